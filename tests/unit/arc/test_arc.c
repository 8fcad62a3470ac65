/*
 * test_arc.c: the "arc" suite: the structural rules of ARC set collection
 * (RFC 8617 section 5.2 steps 1 and 2), which fail the chain with a reason
 * before any key is asked for, and sealing followed by validation over
 * several hops with the test key tests/data/keys/rsa2048.pem, tampering
 * included, and the exact reason for every check of an AMS or AS field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc/arc.h"
#include "arc/arc_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "../unit.h"

#define NOW	1700000000

static const char *
data_path(const char *rel)
{
	static char	path[4096];
	const char	*top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : "../..",
	    rel);
	return path;
}

static struct mail_hdrs *
hdrs_of(const char *s)
{
	struct mail_hdrs	*h;
	struct err		 err;

	h = mail_hdrs_parse(s, strlen(s), &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	return h;
}

/* A syntactically complete set of instance I (signatures are junk). */
#define AAR(i)	"ARC-Authentication-Results: i=" i "; mx.example; spf=pass\r\n"
#define AMS(i)	"ARC-Message-Signature: i=" i "; a=rsa-sha256; d=example.org;" \
		" s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;" \
		" b=AAAA\r\n"
#define AS(i, cv) "ARC-Seal: i=" i "; a=rsa-sha256; cv=" cv "; d=example.org;" \
		" s=s; b=AAAA\r\n"
#define FROM	"From: a@example.org\r\n"

static const struct {
	const char	*hdr;
	int		 cv;		/* enum arc_cv */
	const char	*reason;	/* a substring of it */
	bool		 keys;		/* are key look-ups asked for? */
} struct_cases[] = {
	{ FROM, ARC_CV_NONE, "", false },
	{ AS("1", "none") AMS("1") AAR("1") FROM, ARC_CV_FAIL,
	  "no key record at s._domainkey.example.org", true },
	{ AMS("1") AAR("1") FROM, ARC_CV_FAIL, "ARC set 1 has no ARC-Seal",
	  false },
	{ AS("1", "none") AAR("1") FROM, ARC_CV_FAIL,
	  "ARC set 1 has no ARC-Message-Signature", false },
	{ AS("1", "none") AMS("1") FROM, ARC_CV_FAIL,
	  "ARC set 1 has no ARC-Authentication-Results", false },
	{ AS("2", "pass") AMS("2") AAR("2") FROM, ARC_CV_FAIL,
	  "ARC set 1 has no", false },
	{ AS("1", "none") AS("1", "none") AMS("1") AAR("1") FROM, ARC_CV_FAIL,
	  "two ARC-Seal fields with i=1", false },
	{ AS("1", "none") AMS("1") AMS("1") AAR("1") FROM, ARC_CV_FAIL,
	  "two ARC-Message-Signature fields with i=1", false },
	{ AS("1", "none") AMS("1") AAR("1") AAR("1") FROM, ARC_CV_FAIL,
	  "two ARC-Authentication-Results fields with i=1", false },
	{ AS("0", "none") AMS("0") AAR("0") FROM, ARC_CV_FAIL,
	  "i=0 is outside 1..50", false },
	{ AS("51", "pass") AMS("51") AAR("51") FROM, ARC_CV_FAIL,
	  "i=51 is outside 1..50", false },
	{ AS("x", "none") AMS("1") AAR("1") FROM, ARC_CV_FAIL,
	  "i=x is not a number", false },
	{ "ARC-Seal: a=rsa-sha256; cv=none; d=example.org; s=s; b=AAAA\r\n"
	  AMS("1") AAR("1") FROM, ARC_CV_FAIL, "no i= tag", false },
	{ AS("1", "none") AMS("1")
	  "ARC-Authentication-Results: mx.example; i=1; spf=pass\r\n" FROM,
	  ARC_CV_FAIL, "does not start with i=", false },
	{ AS("1", "none") AMS("1")
	  "ARC-Authentication-Results: i=1 mx.example; spf=pass\r\n" FROM,
	  ARC_CV_FAIL, "no \";\" after i=1", false },
	/* Well formed, but the cv= chain rules break (step 4). */
	{ AS("2", "pass") AMS("2") AAR("2") AS("1", "pass") AMS("1") AAR("1")
	  FROM, ARC_CV_FAIL, "ARC-Seal i=1 has cv=pass, not none", true },
	{ AS("2", "none") AMS("2") AAR("2") AS("1", "none") AMS("1") AAR("1")
	  FROM, ARC_CV_FAIL, "ARC-Seal i=2 has cv=none, not pass", true },
	{ AS("2", "fail") AMS("2") AAR("2") AS("1", "none") AMS("1") AAR("1")
	  FROM, ARC_CV_FAIL, "ARC-Seal i=2 says cv=fail", true },
	{ "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=s; h=from;"
	  " b=AAAA\r\n" AMS("1") AAR("1") FROM, ARC_CV_FAIL,
	  "h= is not allowed in an ARC-Seal", true },
};

START_TEST(test_structure)
{
	struct mail_hdrs	*h = hdrs_of(struct_cases[_i].hdr);
	struct arc_verify	*av;
	struct arc_hop		 hop;
	struct err		 err;
	const char		*reason;
	size_t			 k;

	ck_assert_ptr_nonnull(av = arc_verify_new(h, NOW, &err));
	ck_assert(struct_cases[_i].keys == (arc_verify_key_count(av) > 0));
	for (k = 0; k < arc_verify_key_count(av); k++)
		arc_verify_set_key(av, arc_verify_key_name(av, k),
		    DKIM_KEY_NONE, NULL, 0, NULL);
	arc_verify_body(av, "hello\r\n", 7);
	arc_verify_finish(av);
	ck_assert_int_eq(arc_verify_result(av, &reason), struct_cases[_i].cv);
	/* The verdict's reason, or that of hop 1 (a seal's own fault
	 * shows there when the newest AMS failed first). */
	arc_verify_hop(av, 1, &hop);
	ck_assert_msg(strstr(reason, struct_cases[_i].reason) != NULL ||
	    strstr(hop.reason, struct_cases[_i].reason) != NULL,
	    "reason \"%s\" lacks \"%s\"", reason, struct_cases[_i].reason);
	arc_verify_free(av);
	mail_hdrs_free(h);
}
END_TEST

/*
 * AMS and AS fields, each failing (or not) at one check; where two checks
 * fail, the one made first is the reason.
 */
#define BH	"bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define AMSF(rest)	"ARC-Message-Signature: " rest "\r\n"
#define ASF(rest)	"ARC-Seal: " rest "\r\n"

static const struct {
	const char	*field;
	int		 code;		/* 0: it parses */
	const char	*msg;		/* the exact reason, if it fails */
	int		 alg;		/* enum dkim_alg, 0 if unread */
	const char	*domain;	/* d= as kept, even on failure */
} sig_cases[] = {
	{ AMSF("i=2; a=rsa-sha256; d=example.org; s=s; h=from; " BH
	  "; b=AAAA"), 0, NULL, DKIM_ALG_RSA_SHA256, "example.org" },
	{ AMSF("i=1; a=Ed25519-SHA256; d=example.org; s=s; h=; " BH
	  "; b=AAAA"), 0, NULL, DKIM_ALG_ED25519_SHA256, "example.org" },
	{ ASF("i=1; a=rsa-sha256; cv=pass; d=example.org; s=s; b=AAAA"), 0,
	  NULL, DKIM_ALG_RSA_SHA256, "example.org" },
	{ ASF(""), DKIM_E_TAG, "empty tag list", 0, NULL },
	{ AMSF("i=1; a=rsa-sha256; d=example.org; s=s; " BH "; b=AAAA"),
	  ERR_SYNTAX, "required tag h= missing", 0, "example.org" },
	{ ASF("i=1; a=rsa-sha256; d=example.org; s=s; b=AAAA"), ERR_SYNTAX,
	  "required tag cv= missing", 0, "example.org" },
	{ AMSF("i=0; a=rsa-sha256; d=example.org; s=s; h=from; " BH
	  "; b=AAAA"), ERR_SYNTAX, "i=0 is outside 1..50", 0, "example.org" },
	{ AMSF("i=1; a=rsa-md5; d=a..b; s=s; h=from; " BH "; b=AAAA"),
	  ERR_SYNTAX, "unknown algorithm a=rsa-md5", 0, "a..b" },
	{ AMSF("i=1; a=rsa-sha256; d=a..b; s=s..s; h=from; " BH "; b=AAAA"),
	  ERR_SYNTAX, "d= is not a domain name", DKIM_ALG_RSA_SHA256, "a..b" },
	{ ASF("i=1; a=rsa-sha256; cv=x; d=example.org; s=s..s; b=AAAA"),
	  ERR_SYNTAX, "s= is not a usable selector", DKIM_ALG_RSA_SHA256,
	  "example.org" },
	{ ASF("i=1; a=rsa-sha256; cv=x; d=example.org; s=s; t=x; b=AAAA"),
	  ERR_SYNTAX, "t= is not a number", DKIM_ALG_RSA_SHA256,
	  "example.org" },
	{ ASF("i=1; a=rsa-sha256; cv=x; d=example.org; s=s; h=a; b=AAAA"),
	  ERR_SYNTAX, "h= is not allowed in an ARC-Seal (RFC 8617 section "
	  "4.1.3)", DKIM_ALG_RSA_SHA256, "example.org" },
	{ ASF("i=1; a=rsa-sha256; cv=x; d=example.org; s=s; b=!"),
	  ERR_SYNTAX, "unknown chain status cv=x", DKIM_ALG_RSA_SHA256,
	  "example.org" },
	{ AMSF("i=1; a=rsa-sha256; c=x; d=example.org; s=s; h=arc-seal; "
	  BH "; b=AAAA"), ERR_SYNTAX, "unknown canonicalization c=x",
	  DKIM_ALG_RSA_SHA256, "example.org" },
	{ AMSF("i=1; a=rsa-sha256; d=example.org; s=s; h=from:arc-seal; "
	  "l=x; " BH "; b=AAAA"), ERR_SYNTAX, "h= includes ARC-Seal (RFC 8617 "
	  "section 4.1.2)", DKIM_ALG_RSA_SHA256, "example.org" },
	{ AMSF("i=1; a=rsa-sha256; d=example.org; s=s; h=from; l=x; bh=!; "
	  "b=AAAA"), ERR_SYNTAX, "l= is not a number", DKIM_ALG_RSA_SHA256,
	  "example.org" },
	{ AMSF("i=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=!; b=!"),
	  ERR_SYNTAX, "bh=: invalid base64 character at offset 0",
	  DKIM_ALG_RSA_SHA256, "example.org" },
	{ AMSF("i=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; "
	  "b=!"), ERR_SYNTAX, "bh= is 3 bytes, not the 32 of a SHA-256 hash",
	  DKIM_ALG_RSA_SHA256, "example.org" },
	{ AMSF("i=1; a=rsa-sha256; d=example.org; s=s; h=from; " BH "; b=!"),
	  ERR_SYNTAX, "b=: invalid base64 character at offset 0",
	  DKIM_ALG_RSA_SHA256, "example.org" },
	{ ASF("i=1; a=rsa-sha256; cv=none; d=example.org; s=s; b="),
	  ERR_SYNTAX, "b= is empty", DKIM_ALG_RSA_SHA256, "example.org" },
};

START_TEST(test_sig_parse)
{
	struct mail_hdrs	*h = hdrs_of(sig_cases[_i].field);
	const struct mail_field	*f = mail_hdrs_at(h, 0);
	struct arc_sig		 sig;
	struct err		 err;
	int			 kind, rc;

	ck_assert_int_ne(kind = arc_field_kind(f), -1);
	err_clear(&err);
	rc = arc_sig_parse(f, kind, &sig, &err);
	if (sig_cases[_i].code == 0) {
		ck_assert_msg(rc == 0, "%s: %s", sig_cases[_i].field, err.msg);
		ck_assert_ptr_nonnull(sig.unsigned_raw);
		ck_assert(strstr(sig.unsigned_raw, "b=AAAA") == NULL);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.code, sig_cases[_i].code);
		ck_assert_str_eq(err.msg, sig_cases[_i].msg);
	}
	ck_assert_int_eq(sig.alg, sig_cases[_i].alg);
	if (sig_cases[_i].domain == NULL)
		ck_assert_ptr_null(sig.domain);
	else
		ck_assert_str_eq(sig.domain, sig_cases[_i].domain);
	arc_sig_fini(&sig);
	mail_hdrs_free(h);
}
END_TEST

/* The key record of the test key, as DNS would give it. */
static char *
txt_of(struct key *k)
{
	struct buf	 b;
	struct err	 err;

	buf_init(&b, 8192);
	ck_assert_int_eq(buf_adds(&b, "v=DKIM1; k=rsa; p=", &err), 0);
	ck_assert_int_eq(key_public_b64(k, &b, &err), 0);
	return b.data;
}

/* The header section of the last validation; free_av() frees it. */
static struct mail_hdrs	*last_hdrs;

/* Validates msg (header section CRLF-terminated, then CRLF and body). */
static enum arc_cv
validate(const char *msg, const char *txt, const char **reason_out,
    unsigned *hops_out, struct arc_verify **av_out)
{
	const char		*body = strstr(msg, "\r\n\r\n") + 4;
	char			*hdr;
	struct mail_hdrs	*h;
	struct arc_verify	*av;
	struct err		 err;
	enum arc_cv		 cv;
	size_t			 k;

	hdr = strndup(msg, (size_t)(body - msg - 2));
	h = hdrs_of(hdr);
	free(hdr);
	ck_assert_ptr_nonnull(av = arc_verify_new(h, NOW, &err));
	for (k = 0; k < arc_verify_key_count(av); k++)
		arc_verify_set_key(av, arc_verify_key_name(av, k),
		    DKIM_KEY_FOUND, &txt, 1, NULL);
	arc_verify_body(av, body, strlen(body));
	arc_verify_finish(av);
	cv = arc_verify_result(av, reason_out);
	*hops_out = arc_verify_hops(av);
	/* The caller may look at the hops; free_av() frees both. */
	*av_out = av;
	last_hdrs = h;
	return cv;
}

/* Seals msg as hop id with chain status cv; returns the new message. */
static char *
seal(struct key *k, const char *msg, const char *id, enum arc_cv cv,
    const char *headers, int expect_code)
{
	const char		*body = strstr(msg, "\r\n\r\n") + 4;
	struct arc_seal_params	 p = { "example.org", "sel", id, headers, NOW };
	struct mail_hdrs	*h;
	struct arc_seal		*s;
	struct buf		 out;
	struct err		 err;
	char			*hdr;

	hdr = strndup(msg, (size_t)(body - msg - 2));
	h = hdrs_of(hdr);
	free(hdr);
	s = arc_seal_new(k, &p, h, cv, &err);
	if (expect_code != 0) {
		ck_assert_ptr_null(s);
		ck_assert_int_eq(err.code, expect_code);
		mail_hdrs_free(h);
		return NULL;
	}
	ck_assert_msg(s != NULL, "%s", err.msg);
	arc_seal_body(s, body, strlen(body));
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(arc_seal_finish(s, &out, &err), 0);
	ck_assert_int_eq(buf_adds(&out, msg, &err), 0);
	arc_seal_free(s);
	mail_hdrs_free(h);
	return out.data;
}

static const char base_msg[] =
    "Authentication-Results: hop1.example; spf=pass smtp.mailfrom=a@"
    "origin.example;\r\n\tdkim=pass header.d=origin.example\r\n"
    "From: Alice <alice@origin.example>\r\n"
    "To: list@example.org\r\n"
    "Subject: roundtrip\r\n"
    "\r\n"
    "Hello  world \r\n\r\n\r\n";

static void
free_av(struct arc_verify *av)
{
	arc_verify_free(av);
	mail_hdrs_free(last_hdrs);
	last_hdrs = NULL;
}

START_TEST(test_roundtrip)
{
	struct key		*k;
	struct err		 err;
	struct arc_verify	*av;
	struct arc_hop		 hop;
	char			*txt, *m1, *m1b, *m2, *m3, *bad, *p;
	const char		*reason;
	unsigned		 hops;

	k = key_load_pem_file(data_path("keys/rsa2048.pem"), &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	txt = txt_of(k);

	/* Hop 1. */
	m1 = seal(k, base_msg, "hop1.example", ARC_CV_NONE, NULL, 0);
	ck_assert(strncmp(m1, "ARC-Seal: i=1; a=rsa-sha256; t=1700000000; "
	    "cv=none; d=example.org; s=sel; b=", 60) == 0);
	ck_assert_ptr_nonnull(strstr(m1, "\r\nARC-Authentication-Results: "
	    "i=1; hop1.example;\r\n\tspf=pass smtp.mailfrom=a@origin.example;"
	    "\r\n\tdkim=pass header.d=origin.example\r\n"));
	ck_assert_int_eq(validate(m1, txt, &reason, &hops, &av), ARC_CV_PASS);
	ck_assert_uint_eq(hops, 1);
	arc_verify_hop(av, 1, &hop);
	ck_assert(hop.ok);
	ck_assert_str_eq(hop.domain, "example.org");
	ck_assert_uint_eq(arc_verify_oldest_pass(av), 1);
	free_av(av);

	/* Hop 2 needs its own Authentication-Results, and cv=pass. */
	seal(k, m1, "hop2.example", ARC_CV_PASS, NULL, ARC_E_NOAR);
	seal(k, m1, "hop1.example", ARC_CV_NONE, NULL, ARC_E_PARAM);
	m1b = malloc(strlen(m1) + 100);
	sprintf(m1b, "Authentication-Results: hop2.example; arc=pass\r\n%s",
	    m1);
	m2 = seal(k, m1b, "hop2.example", ARC_CV_PASS, NULL, 0);
	ck_assert_int_eq(validate(m2, txt, &reason, &hops, &av), ARC_CV_PASS);
	ck_assert_uint_eq(hops, 2);
	free_av(av);

	/* Hop 3 changes the Subject, which breaks AMS 1 and 2 but not the
	 * chain: only the newest AMS counts; oldest-pass is 3. */
	p = strstr(m2, "Subject: roundtrip");
	memcpy(p, "Subject: Roundtrip", 18);
	bad = malloc(strlen(m2) + 100);
	sprintf(bad, "Authentication-Results: hop3.example; arc=pass\r\n%s",
	    m2);
	m3 = seal(k, bad, "hop3.example", ARC_CV_PASS, NULL, 0);
	ck_assert_int_eq(validate(m3, txt, &reason, &hops, &av), ARC_CV_PASS);
	ck_assert_uint_eq(arc_verify_oldest_pass(av), 3);
	free_av(av);

	/* The same change after the last seal breaks the chain. */
	ck_assert_int_eq(validate(bad, txt, &reason, &hops, &av), ARC_CV_FAIL);
	ck_assert_ptr_nonnull(strstr(reason, "ARC-Message-Signature i=2"));
	arc_verify_hop(av, 1, &hop);
	ck_assert(hop.ok);
	arc_verify_hop(av, 2, &hop);
	ck_assert(!hop.ok);
	free_av(av);
	/* Sealing it says cv=fail over the new set alone; it then fails
	 * (step 3), and nothing more may be added. */
	free(m3);
	m3 = seal(k, bad, "hop3.example", ARC_CV_FAIL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(m3, "cv=fail;"));
	ck_assert_int_eq(validate(m3, txt, &reason, &hops, &av), ARC_CV_FAIL);
	ck_assert_ptr_nonnull(strstr(reason, "ARC-Seal i=3 says cv=fail"));
	free_av(av);
	seal(k, m3, "hop3.example", ARC_CV_FAIL, NULL, ARC_E_ENDED);

	/* A changed AAR breaks its seal. */
	free(bad);
	bad = strdup(m2);
	p = strstr(bad, "Subject: Roundtrip");	/* undo the change above */
	memcpy(p, "Subject: roundtrip", 18);
	p = strstr(bad, "i=1; hop1.example;");
	memcpy(p, "i=1; hop1.examplf;", 18);
	ck_assert_int_eq(validate(bad, txt, &reason, &hops, &av), ARC_CV_FAIL);
	ck_assert_msg(strstr(reason, "ARC-Seal i=2") != NULL, "%s", reason);
	free_av(av);

	/* A key that is not the signer's. */
	ck_assert_int_eq(validate(m1, "v=DKIM1; k=rsa; p=", &reason, &hops,
	    &av), ARC_CV_FAIL);
	ck_assert_ptr_nonnull(strstr(reason, "revoked"));
	free_av(av);

	/* Parameters: h= with ARC fields, an Ed25519 key. */
	seal(k, base_msg, "hop1.example", ARC_CV_NONE, "from:arc-seal",
	    ARC_E_PARAM);
	seal(k, base_msg, "hop1.example", ARC_CV_NONE,
	    "from:authentication-results", ARC_E_PARAM);
	seal(k, base_msg, "hop1.example", ARC_CV_NONE, "to:subject",
	    ARC_E_PARAM);
	free(bad);
	free(m1);
	free(m1b);
	free(m2);
	free(m3);
	free(txt);
	key_free(k);
	k = key_load_pem_file(data_path("keys/ed25519.pem"), &err);
	ck_assert_ptr_nonnull(k);
	seal(k, base_msg, "hop1.example", ARC_CV_NONE, NULL, ARC_E_PARAM);
	key_free(k);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("arc");
	TCase	*tc = tcase_create("arc");

	tcase_add_loop_test(tc, test_structure, 0,
	    sizeof(struct_cases) / sizeof(struct_cases[0]));
	tcase_add_loop_test(tc, test_sig_parse, 0,
	    sizeof(sig_cases) / sizeof(sig_cases[0]));
	tcase_add_test(tc, test_roundtrip);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
