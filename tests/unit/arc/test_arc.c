/*
 * test_arc.c: the "arc" suite: the structural rules of ARC set collection
 * (RFC 8617 section 5.2 steps 1 and 2), which fail the chain with a reason
 * before any key is asked for, and sealing followed by validation over
 * several hops with the test key tests/data/keys/rsa2048.pem, tampering
 * included, and the exact reason for every check of an AMS or AS field and
 * of their key; the exact set made for fixed keys and time, and the exact
 * errors for refused sealing parameters.
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
		ck_assert_ptr_nonnull(sig.dkim.unsigned_raw);
		ck_assert(strstr(sig.dkim.unsigned_raw, "b=AAAA") == NULL);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.code, sig_cases[_i].code);
		ck_assert_str_eq(err.msg, sig_cases[_i].msg);
	}
	ck_assert_int_eq(sig.dkim.alg, sig_cases[_i].alg);
	if (sig_cases[_i].domain == NULL)
		ck_assert_ptr_null(sig.dkim.domain);
	else
		ck_assert_str_eq(sig.dkim.domain, sig_cases[_i].domain);
	arc_sig_fini(&sig);
	mail_hdrs_free(h);
}
END_TEST

/* The key record of k, as DNS would give it. */
static char *
txt_of(struct key *k)
{
	struct buf	 b;
	struct err	 err;

	buf_init(&b, 8192);
	ck_assert_int_eq(buf_printf(&b, &err, "v=DKIM1; k=%s; p=",
	    key_type_name(key_type(k))), 0);
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

/*
 * The exact set a sealer adds for fixed keys and time, hop after hop:
 * each case seals the previous case's message (the first, base_msg) with
 * the Authentication-Results field of its hop put on top.
 */
static const struct {
	const char		*key;		/* under tests/data */
	struct arc_seal_params	 p;
	enum arc_cv		 cv;
	const char		*ar;		/* put on top, or "" */
	const char		*set;		/* exact: AS, AMS, AAR */
} seal_cases[] = {
	{ "keys/rsa2048.pem", { "example.org", "sel", "hop1.example", NULL,
	  NOW }, ARC_CV_NONE, "",
	  "ARC-Seal: i=1; a=rsa-sha256; t=1700000000; cv=none; d=example.org; "
	  "s=sel; b=Sh\r\n"
	  "\tGbfV+kRZr7KPcfYXZCrPwzRz+jZTHW/UTq6jIud+/pc4YM4WXBvL+E0uQDIIDKmZtk"
	  "+Z7W1Jpqp9u\r\n"
	  "\tI1+4M/rA2vdSmgHm28yuK6bEP5SpwjhfHLsd9wFzcukhjdi3Qm8R4o+jhU4ZCRzUgX"
	  "wX6+sUSaskx\r\n"
	  "\tEXBszzUaCT67wgdGix3FJJgNbCldOIbi3I2AgjrMM99hd6dCzYTIt6kPQxL4lEKWsT"
	  "Uqk85EXdMWz\r\n"
	  "\tfSu5r7BZ5qTuR6HQRgyvSNc1DYuZUoEIoGzHGqI+p4NOwEQASzzmMobwzYLy/r8zWK"
	  "XlJIR676SXD\r\n"
	  "\ttCy/WcrCHtuJOnxKE1IRhrRqpfZCZ1zQ==\r\n"
	  "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; "
	  "d=example.org;\r\n"
	  "\ts=sel; t=1700000000; h=from:from:reply-to:subject:subject:date:to:"
	  "to:cc:\r\n"
	  "\tsender:message-id:in-reply-to:references:mime-version:"
	  "content-type:\r\n"
	  "\tcontent-transfer-encoding; bh=yGIXoM91E1DiKjvCBcC8NlWyw54TdfMQ08sd"
	  "twtOO4I=;\r\n"
	  "\tb=e3ITsG2DjdnScYWaaYrufW+QdzTZk0lUgYzACffvrHKSrV3agjpjYG/OJO2Cruk3"
	  "bo6J+giD83+\r\n"
	  "\tgYYCNX3qDu0pSWX7yzLX1RVTeywNVqxKq3+XFTR3ADhHO7fZ4KuWJgmGfZw9bnut1F"
	  "8ilDWPArcYD\r\n"
	  "\tfwTt6IHHCIcb7P3S1TmCl/0wcHh/qMVsSbsJbr8Hgmi+pVjPiTv5cDbgSnmAUWU7uh"
	  "/JF7Cp/DQ+v\r\n"
	  "\tYq1jTZuY+sC52lIL0HUYeyzFQI1KuabBW6BuOCqgL3wMUdLjFyUtMn+m0L0RSP/D4h"
	  "kTDs3r2gal4\r\n"
	  "\tHJFEEjzfDceF7WwUaKmfUlB163reoUSAYjzQ==\r\n"
	  "ARC-Authentication-Results: i=1; hop1.example;\r\n"
	  "\tspf=pass smtp.mailfrom=a@origin.example;\r\n"
	  "\tdkim=pass header.d=origin.example\r\n" },
	{ "keys/rsa1024.pem", {
	  "a-long-label-to-push-the-tags-along.example.org",
	  "selector-2026-with-a-long-name", "hop2.example",
	  "from:to:subject:from:date:message-id", NOW }, ARC_CV_PASS,
	  "Authentication-Results: hop2.example; arc=pass; dkim=none\r\n",
	  "ARC-Seal: i=2; a=rsa-sha256; t=1700000000; cv=pass;\r\n"
	  "\td=a-long-label-to-push-the-tags-along.example.org;\r\n"
	  "\ts=selector-2026-with-a-long-name; b=izNXaodI9osbCySclK8WgQ+QQul/lE"
	  "o8L/Vw/Yeg8\r\n"
	  "\tOZ7TcAMYt6afTIOkltoADHgd6EeXogu7A/YOBbZxbUjFQetfkjLlDWhaedGmNtND7V"
	  "lQvZQktp6pG\r\n"
	  "\t560jg11U+2SWxsRUcfmU7gqghRCmxYyLhaXYN0ePAw/wrHLL4Z+hE=\r\n"
	  "ARC-Message-Signature: i=2; a=rsa-sha256; c=relaxed/relaxed;\r\n"
	  "\td=a-long-label-to-push-the-tags-along.example.org;\r\n"
	  "\ts=selector-2026-with-a-long-name; t=1700000000; h=from:to:subject:"
	  "from:date:\r\n"
	  "\tmessage-id; bh=yGIXoM91E1DiKjvCBcC8NlWyw54TdfMQ08sdtwtOO4I=; "
	  "b=L9eFRUNp2Q9cc0\r\n"
	  "\tFjGowLtwtdCRrlihIDquKJliGnGTKb4i3c9Eko3T2cLgKqPQneIRrxMDYzrZEb78Zu"
	  "xDb5bEwLSDG\r\n"
	  "\tnKAgfG++2sOOVIcBaUgSHHXe44FjirN6WRobJymvIIeiyuLMJrMec+ndPt9h5HcOKc"
	  "hKPQNp8zBu0\r\n"
	  "\t93k=\r\n"
	  "ARC-Authentication-Results: i=2; hop2.example;\r\n"
	  "\tarc=pass;\r\n"
	  "\tdkim=none\r\n" },
	{ "keys/rsa1024.pem", { "example.net", "s", "hop3.example", NULL,
	  NOW }, ARC_CV_FAIL,
	  "Authentication-Results: hop3.example;\r\n\tnone\r\n",
	  "ARC-Seal: i=3; a=rsa-sha256; t=1700000000; cv=fail; d=example.net; "
	  "s=s; b=nzJi\r\n"
	  "\tjUdz4FmCjYAKQRV07Q4FAl22rnnIUd0ILKfNoveor7OUEv5Rvlo09ZX/lCF3ly1JrP"
	  "RFweW+qaXp9\r\n"
	  "\tRXJ7b+R1SZ7t1xXELb29kwdPK49GKuJGRVL5ChHRBadViaBxJqltDzA9Gzt95hLbWj"
	  "cFI/iuspxYa\r\n"
	  "\tSTUrGwn+b9uCM=\r\n"
	  "ARC-Message-Signature: i=3; a=rsa-sha256; c=relaxed/relaxed; "
	  "d=example.net;\r\n"
	  "\ts=s; t=1700000000; h=from:from:reply-to:subject:subject:date:to:"
	  "to:cc:sender:\r\n"
	  "\tmessage-id:in-reply-to:references:mime-version:content-type:\r\n"
	  "\tcontent-transfer-encoding; bh=yGIXoM91E1DiKjvCBcC8NlWyw54TdfMQ08sd"
	  "twtOO4I=;\r\n"
	  "\tb=LOsKEbmQsDepYBQqVcWCekRedqbmDm+kfxeEQYaE1G1VRyQKF5TiSM2DUGwQPBhs"
	  "kGTBxGLTyGf\r\n"
	  "\tXmM8fkETo2cvS5QfMnGgv1etKQSMxj3Goyux9OsH6Ha5aLAe2sRcLBR3UJv8EQpgTA"
	  "HgfK+YaIiF5\r\n"
	  "\tuWn38VYw2GVJcoK0Y8I=\r\n"
	  "ARC-Authentication-Results: i=3; hop3.example;\r\n"
	  "\tnone\r\n" },
};

START_TEST(test_seal_bytes)
{
	struct arc_seal		*s;
	struct mail_hdrs	*h;
	struct key		*k;
	struct buf		 out;
	struct err		 err;
	char			*msg, *next, *hdr;
	const char		*body;
	size_t			 i;

	msg = strdup(base_msg);
	for (i = 0; i < sizeof(seal_cases) / sizeof(seal_cases[0]); i++) {
		k = key_load_pem_file(data_path(seal_cases[i].key), &err);
		ck_assert_msg(k != NULL, "%s", err.msg);
		next = malloc(strlen(seal_cases[i].ar) + strlen(msg) + 1);
		strcpy(next, seal_cases[i].ar);
		strcat(next, msg);
		free(msg);
		msg = next;
		body = strstr(msg, "\r\n\r\n") + 4;
		hdr = strndup(msg, (size_t)(body - msg - 2));
		h = hdrs_of(hdr);
		free(hdr);
		s = arc_seal_new(k, &seal_cases[i].p, h, seal_cases[i].cv,
		    &err);
		ck_assert_msg(s != NULL, "case %zu: %s", i, err.msg);
		ck_assert_uint_eq(arc_seal_instance(s), i + 1);
		arc_seal_body(s, body, strlen(body));
		buf_init(&out, 1 << 20);
		ck_assert_int_eq(arc_seal_finish(s, &out, &err), 0);
		ck_assert_str_eq(out.data, seal_cases[i].set);
		ck_assert_int_eq(buf_adds(&out, msg, &err), 0);
		free(msg);
		msg = out.data;
		arc_seal_free(s);
		mail_hdrs_free(h);
		key_free(k);
	}
	free(msg);
}
END_TEST

/*
 * Sealing refused, with the exact error.  The key "public" is the public
 * half of rsa2048.pem; hdr is the header section sealed.
 */
#define AR1	"Authentication-Results: hop1.example; spf=pass\r\n"
#define SET1	AS("1", "none") AMS("1") AAR("1")

static const struct {
	const char		*key;		/* under tests/data */
	struct arc_seal_params	 p;
	const char		*hdr;
	enum arc_cv		 cv;
	int			 code;
	const char		*msg;		/* exact */
} seal_param_cases[] = {
	{ "keys/ed25519.pem", { "example.org", "s", "hop1.example", NULL,
	  NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "ARC seals need a private RSA key (rsa-sha256)" },
	{ "public", { "example.org", "s", "hop1.example", NULL, NOW },
	  AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "ARC seals need a private RSA key (rsa-sha256)" },
	{ "keys/rsa2048.pem", { NULL, "s", "hop1.example", NULL, NOW },
	  AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "sealing domain is not a domain name" },
	{ "keys/rsa2048.pem", { "example..org", "s", "hop1.example", NULL,
	  NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "sealing domain is not a domain name" },
	{ "keys/rsa2048.pem", { "example.org", NULL, "hop1.example", NULL,
	  NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "selector is not usable in a DNS name" },
	{ "keys/rsa2048.pem", { "example.org", "s 1", "hop1.example", NULL,
	  NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "selector is not usable in a DNS name" },
	{ "keys/rsa2048.pem", { "example.org", "s", NULL, NULL, NOW },
	  AR1 FROM, ARC_CV_NONE, ARC_E_PARAM, "no authserv-id" },
	{ "keys/rsa2048.pem", { "example.org", "s", "", NULL, NOW },
	  AR1 FROM, ARC_CV_NONE, ARC_E_PARAM, "no authserv-id" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example", NULL,
	  NOW }, AR1 AMS("1") AAR("1") FROM, ARC_CV_PASS, ARC_E_PARAM,
	  "the existing ARC chain is malformed (ARC set 1 has no ARC-Seal): "
	  "it can only be sealed with cv=fail" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example", NULL,
	  NOW }, AR1 FROM, ARC_CV_PASS, ARC_E_PARAM,
	  "cv=pass does not fit a chain of 0 sets" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example", NULL,
	  NOW }, AR1 SET1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "cv=none does not fit a chain of 1 sets" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example", NULL,
	  NOW }, AR1 AS("1", "fail") AMS("1") AAR("1") FROM, ARC_CV_PASS,
	  ARC_E_ENDED, "the chain ended with cv=fail at i=1; no set is added "
	  "to it" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example",
	  "to:subject", NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "the signed fields must include From" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example", "to",
	  NOW }, AR1, ARC_CV_NONE, ARC_E_PARAM,
	  "the signed fields must include From" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example",
	  "from:ARC-Seal", NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_PARAM,
	  "ARC fields and Authentication-Results are not signed by an AMS" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example",
	  "from:arc-message-signature", NOW }, AR1 FROM, ARC_CV_NONE,
	  ARC_E_PARAM,
	  "ARC fields and Authentication-Results are not signed by an AMS" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example",
	  "arc-authentication-results:from", NOW }, AR1 FROM, ARC_CV_NONE,
	  ARC_E_PARAM,
	  "ARC fields and Authentication-Results are not signed by an AMS" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example",
	  "from:authentication-results", NOW }, AR1, ARC_CV_NONE, ARC_E_PARAM,
	  "ARC fields and Authentication-Results are not signed by an AMS" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example",
	  "from:subject", NOW }, AR1 "Subject: x\r\n", ARC_CV_NONE,
	  ARC_E_PARAM, "the message has no From field" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop1.example", NULL,
	  NOW }, AR1, ARC_CV_NONE, ARC_E_PARAM,
	  "the message has no From field" },
	{ "keys/rsa2048.pem", { "example.org", "s", "hop9.example", NULL,
	  NOW }, AR1 FROM, ARC_CV_NONE, ARC_E_NOAR, "no "
	  "Authentication-Results field of hop9.example to copy into "
	  "ARC-Authentication-Results" },
};

START_TEST(test_seal_params)
{
	struct dkim_keyrec	 rec;
	struct mail_hdrs	*h;
	struct key		*k;
	struct err		 err;
	char			*txt;

	k = key_load_pem_file(data_path(strcmp(seal_param_cases[_i].key,
	    "public") == 0 ? "keys/rsa2048.pem" : seal_param_cases[_i].key),
	    &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	if (strcmp(seal_param_cases[_i].key, "public") == 0) {
		txt = txt_of(k);
		key_free(k);
		ck_assert_int_eq(dkim_keyrec_parse(txt, &rec, &err), 0);
		k = key_ref(rec.key);
		dkim_keyrec_fini(&rec);
		free(txt);
	}
	h = hdrs_of(seal_param_cases[_i].hdr);
	err_clear(&err);
	ck_assert_ptr_null(arc_seal_new(k, &seal_param_cases[_i].p, h,
	    seal_param_cases[_i].cv, &err));
	ck_assert_int_eq(err.code, seal_param_cases[_i].code);
	ck_assert_str_eq(err.msg, seal_param_cases[_i].msg);
	mail_hdrs_free(h);
	key_free(k);
}
END_TEST

/* A chain of ARC_MAX_INSTANCES sets takes no more. */
START_TEST(test_seal_limit)
{
	struct arc_seal_params	 p = { "example.org", "s", "hop1.example",
	    NULL, NOW };
	struct mail_hdrs	*h;
	struct key		*k;
	struct buf		 b;
	struct err		 err;
	unsigned		 i;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(buf_adds(&b, AR1, &err), 0);
	for (i = ARC_MAX_INSTANCES; i >= 1; i--)
		ck_assert_int_eq(buf_printf(&b, &err, "ARC-Seal: i=%u; "
		    "a=rsa-sha256; cv=%s; d=example.org; s=s; b=AAAA\r\n"
		    "ARC-Message-Signature: i=%u; a=rsa-sha256; d=example.org; "
		    "s=s; h=from; bh=AAAA; b=AAAA\r\n"
		    "ARC-Authentication-Results: i=%u; mx.example; "
		    "spf=pass\r\n", i, i == 1 ? "none" : "pass", i, i), 0);
	ck_assert_int_eq(buf_adds(&b, FROM, &err), 0);
	k = key_load_pem_file(data_path("keys/rsa2048.pem"), &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	h = hdrs_of(b.data);
	ck_assert_ptr_null(arc_seal_new(k, &p, h, ARC_CV_PASS, &err));
	ck_assert_int_eq(err.code, ARC_E_LIMIT);
	ck_assert_str_eq(err.msg,
	    "the chain has 50 sets already, the most ARC allows");
	mail_hdrs_free(h);
	key_free(k);
	buf_fini(&b);
}
END_TEST

/*
 * What the validator makes of the key it is given for a one-hop chain
 * (perhaps changed), with the exact reasons of the verdict and of the
 * hop.  "KEY" stands for the signer's record, with the rest of the string
 * appended; "ED25519" and "RSA1024" for those of other keys.
 */
#define KN	"sel._domainkey.example.org"
#define AMSR	"ARC-Message-Signature i=1: "
#define SIGBAD	"signature did not verify (a signed header field was changed)"
#define SEALBAD	"seal did not verify (an ARC set was changed)"

static const struct {
	const char	*from, *to;	/* a change to the sealed message */
	int		 lookup;	/* enum dkim_key_lookup; -1: none */
	const char	*txt[3];
	const char	*detail;
	enum arc_cv	 cv;
	const char	*reason;	/* exact */
	const char	*hop_reason;	/* exact */
	bool		 ams_ok;
} akey_cases[] = {
	{ NULL, NULL, DKIM_KEY_FOUND, { "KEY" }, NULL, ARC_CV_PASS, "", "",
	  true },
	{ NULL, NULL, DKIM_KEY_FOUND, { "v=spf1 -all", "KEY" }, NULL,
	  ARC_CV_PASS, "", "", true },
	{ NULL, NULL, -1, { NULL }, NULL, ARC_CV_FAIL,
	  AMSR "no key look-up was made", "no key look-up was made", false },
	{ NULL, NULL, DKIM_KEY_TEMPFAIL, { NULL }, "timeout", ARC_CV_FAIL,
	  AMSR "key " KN ": look-up failed (timeout)",
	  "key " KN ": look-up failed (timeout)", false },
	{ NULL, NULL, DKIM_KEY_TEMPFAIL, { "KEY" }, NULL, ARC_CV_FAIL,
	  AMSR "key " KN ": look-up failed (temporary error)",
	  "key " KN ": look-up failed (temporary error)", false },
	{ NULL, NULL, DKIM_KEY_NONE, { NULL }, "NXDOMAIN", ARC_CV_FAIL,
	  AMSR "no key record at " KN, "no key record at " KN, false },
	{ NULL, NULL, DKIM_KEY_FOUND, { NULL }, "odd", ARC_CV_FAIL,
	  AMSR "no key record at " KN, "no key record at " KN, false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "v=spf1 -all" }, NULL, ARC_CV_FAIL,
	  AMSR "key " KN ": key record has v=spf1 -all, not DKIM1",
	  "key " KN ": key record has v=spf1 -all, not DKIM1", false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "KEY", "KEY" }, NULL, ARC_CV_FAIL,
	  AMSR "key " KN ": 2 key records, which is ambiguous",
	  "key " KN ": 2 key records, which is ambiguous", false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "v=DKIM1; p=" }, NULL, ARC_CV_FAIL,
	  AMSR "key revoked (empty p=)", "key revoked (empty p=)", false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "KEY; h=sha1" }, NULL, ARC_CV_FAIL,
	  AMSR "key's h= does not allow sha256",
	  "key's h= does not allow sha256", false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "ED25519" }, NULL, ARC_CV_FAIL,
	  AMSR "key type ed25519 does not match a=rsa-sha256",
	  "key type ed25519 does not match a=rsa-sha256", false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "RSA1024" }, NULL, ARC_CV_FAIL,
	  AMSR SIGBAD, SEALBAD, false },
	{ NULL, NULL, DKIM_KEY_FOUND, { "KEY; t=s" }, NULL, ARC_CV_PASS, "",
	  "", true },
	{ "Subject: roundtrip", "Subject: Roundtrip", DKIM_KEY_FOUND,
	  { "KEY" }, NULL, ARC_CV_FAIL, AMSR SIGBAD, SIGBAD, false },
	{ "Hello  world", "Hello world", DKIM_KEY_FOUND, { "KEY" }, NULL,
	  ARC_CV_PASS, "", "", true },
	{ "Hello  world", "Hello, world", DKIM_KEY_FOUND, { "KEY" }, NULL,
	  ARC_CV_FAIL, AMSR "body hash did not verify (the body was changed)",
	  "body hash did not verify (the body was changed)", false },
	{ " bh=", " l=99999; bh=", DKIM_KEY_FOUND, { "KEY" }, NULL,
	  ARC_CV_FAIL, AMSR "l=99999 is longer than the body", SEALBAD,
	  false },
	{ "i=1; hop1.example;", "i=1; hop1.examplf;", DKIM_KEY_FOUND,
	  { "KEY" }, NULL, ARC_CV_FAIL, "ARC-Seal i=1: " SEALBAD, SEALBAD,
	  true },
};

START_TEST(test_verify_key_reasons)
{
	struct arc_verify	*av;
	struct arc_hop		 hop;
	struct mail_hdrs	*h;
	struct key		*k, *other;
	struct err		 err;
	struct buf		 b;
	char			 recs[3][2048], *sealed, *msg, *hdr, *rec;
	const char		*txts[3], *body, *reason, *t, *at;
	size_t			 n;

	k = key_load_pem_file(data_path("keys/rsa2048.pem"), &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	sealed = seal(k, base_msg, "hop1.example", ARC_CV_NONE, NULL, 0);
	/* The change, made to the first place the text is found. */
	buf_init(&b, 1 << 20);
	at = sealed + strlen(sealed);
	if ((t = akey_cases[_i].from) != NULL)
		ck_assert_ptr_nonnull(at = strstr(sealed, t));
	ck_assert_int_eq(buf_add(&b, sealed, (size_t)(at - sealed), &err), 0);
	if (t != NULL)
		ck_assert_int_eq(buf_printf(&b, &err, "%s%s", akey_cases[_i].to,
		    at + strlen(t)), 0);
	for (n = 0; n < 3 && (t = akey_cases[_i].txt[n]) != NULL; n++) {
		if (strncmp(t, "KEY", 3) == 0)
			rec = txt_of(k);
		else if (strncmp(t, "ED25519", 7) == 0 ||
		    strncmp(t, "RSA1024", 7) == 0) {
			other = key_load_pem_file(data_path(t[0] == 'E' ?
			    "keys/ed25519.pem" : "keys/rsa1024.pem"), &err);
			ck_assert_msg(other != NULL, "%s", err.msg);
			rec = txt_of(other);
			key_free(other);
		} else
			rec = strdup("");
		/* The record, then what follows its stand-in name. */
		snprintf(recs[n], sizeof(recs[n]), "%s%s", rec, rec[0] == '\0' ?
		    t : t + strcspn(t, ";"));
		free(rec);
		txts[n] = recs[n];
	}
	msg = b.data;
	body = strstr(msg, "\r\n\r\n") + 4;
	hdr = strndup(msg, (size_t)(body - msg - 2));
	h = hdrs_of(hdr);
	ck_assert_ptr_nonnull(av = arc_verify_new(h, NOW, &err));
	ck_assert_uint_eq(arc_verify_key_count(av), 1);
	ck_assert_str_eq(arc_verify_key_name(av, 0), KN);
	if (akey_cases[_i].lookup != -1) {
		arc_verify_set_key(av, "SEL._domainkey.example.ORG",
		    akey_cases[_i].lookup, txts, n, akey_cases[_i].detail);
		/* Only the first key given counts. */
		arc_verify_set_key(av, KN, DKIM_KEY_NONE, NULL, 0, "late");
	}
	arc_verify_body(av, body, strlen(body));
	arc_verify_finish(av);
	ck_assert_int_eq(arc_verify_result(av, &reason), akey_cases[_i].cv);
	ck_assert_str_eq(reason, akey_cases[_i].reason);
	arc_verify_hop(av, 1, &hop);
	ck_assert_str_eq(hop.reason, akey_cases[_i].hop_reason);
	ck_assert(hop.ok == (akey_cases[_i].cv == ARC_CV_PASS));
	ck_assert(hop.ams_ok == akey_cases[_i].ams_ok);
	arc_verify_free(av);
	mail_hdrs_free(h);
	free(hdr);
	free(msg);
	free(sealed);
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
	tcase_add_test(tc, test_seal_bytes);
	tcase_add_loop_test(tc, test_seal_params, 0,
	    sizeof(seal_param_cases) / sizeof(seal_param_cases[0]));
	tcase_add_test(tc, test_seal_limit);
	tcase_add_loop_test(tc, test_verify_key_reasons, 0,
	    sizeof(akey_cases) / sizeof(akey_cases[0]));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
