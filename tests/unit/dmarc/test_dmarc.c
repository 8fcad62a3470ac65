/*
 * test_dmarc.c: the DMARC module: record parsing (bad syntax, unknown and
 * duplicate tags, defaults), the names of the DNS tree walk, the public
 * suffix list, the From domain, and evaluations answered from tables of
 * DNS data: discovery and the organisational domain by the tree walk
 * (psd=), alignment (relaxed, strict, subdomains, PSL mode), and the
 * policy to apply (p, sp, np, t=y, pct=).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc.h"
#include "dns/dns.h"
#include "mail/mail.h"
#include "util/err.h"
#include "../unit.h"

/* Record parsing. */
#define BAD(in, code)	{ in, code, DMARC_POLICY_NONE, DMARC_POLICY_NONE, \
	DMARC_POLICY_NONE, DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 0, \
	false, DMARC_PSD_U, false }

static const struct {
	const char		*in;
	int			 code;		/* 0: parses */
	enum dmarc_policy	 p, sp, np;
	enum dmarc_align	 adkim, aspf;
	int			 pct;
	bool			 testing;
	enum dmarc_psd		 psd;
	bool			 from_rua;
} rec_cases[] = {
	{ "v=DMARC1; p=reject", 0, DMARC_POLICY_REJECT, DMARC_POLICY_REJECT,
	  DMARC_POLICY_REJECT, DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 100,
	  false, DMARC_PSD_U, false },
	{ "v=DMARC1; p=none; sp=quarantine", 0, DMARC_POLICY_NONE,
	  DMARC_POLICY_QUARANTINE, DMARC_POLICY_QUARANTINE,
	  DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 100, false, DMARC_PSD_U,
	  false },
	{ "v=DMARC1;p=quarantine;sp=none;np=reject;adkim=s;aspf=s;pct=20;"
	  "t=y;psd=n", 0, DMARC_POLICY_QUARANTINE, DMARC_POLICY_NONE,
	  DMARC_POLICY_REJECT, DMARC_ALIGN_STRICT, DMARC_ALIGN_STRICT, 20,
	  true, DMARC_PSD_N, false },
	{ " v = DMARC1 ;\tp = REJECT ; psd=y;", 0, DMARC_POLICY_REJECT,
	  DMARC_POLICY_REJECT, DMARC_POLICY_REJECT, DMARC_ALIGN_RELAXED,
	  DMARC_ALIGN_RELAXED, 100, false, DMARC_PSD_Y, false },
	/* Empty tag-specs are tolerated; unknown tags ignored. */
	{ "v=DMARC1;; p=none; xnew=what ever; rf=afrf", 0,
	  DMARC_POLICY_NONE, DMARC_POLICY_NONE, DMARC_POLICY_NONE,
	  DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 100, false, DMARC_PSD_U,
	  false },
	/* Bad values of other tags fall back to their defaults. */
	{ "v=DMARC1; p=reject; adkim=x; pct=101; psd=maybe; t=maybe", 0,
	  DMARC_POLICY_REJECT, DMARC_POLICY_REJECT, DMARC_POLICY_REJECT,
	  DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 100, false, DMARC_PSD_U,
	  false },
	{ "v=DMARC1; p=reject; pct=0", 0, DMARC_POLICY_REJECT,
	  DMARC_POLICY_REJECT, DMARC_POLICY_REJECT, DMARC_ALIGN_RELAXED,
	  DMARC_ALIGN_RELAXED, 0, false, DMARC_PSD_U, false },
	/* No usable p=, but somewhere to report: p=none. */
	{ "v=DMARC1; rua=mailto:d@example.org", 0, DMARC_POLICY_NONE,
	  DMARC_POLICY_NONE, DMARC_POLICY_NONE, DMARC_ALIGN_RELAXED,
	  DMARC_ALIGN_RELAXED, 100, false, DMARC_PSD_U, true },
	{ "v=DMARC1; p=block; sp=reject; rua=x, mailto:d@example.org", 0,
	  DMARC_POLICY_NONE, DMARC_POLICY_NONE, DMARC_POLICY_NONE,
	  DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 100, false, DMARC_PSD_U,
	  true },
	/* Not DMARC records at all. */
	BAD("v=spf1 -all", DMARC_E_NOTDMARC),
	{ "V=DMARC1; p=none", 0, DMARC_POLICY_NONE, DMARC_POLICY_NONE,
	  DMARC_POLICY_NONE, DMARC_ALIGN_RELAXED, DMARC_ALIGN_RELAXED, 100,
	  false, DMARC_PSD_U, false },
	BAD("v=dmarc1; p=none", DMARC_E_NOTDMARC),
	BAD("p=none; v=DMARC1", DMARC_E_NOTDMARC),
	BAD("v=DMARC10; p=none", DMARC_E_NOTDMARC),
	BAD("", DMARC_E_NOTDMARC),
	/* DMARC records that are unusable. */
	BAD("v=DMARC1", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=block", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; sp=block", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; np=", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; p=none", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; P=none", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; v=DMARC1", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; rua", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; 1x=2", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; x-y=2", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; =2", DMARC_E_SYNTAX),
	BAD("v=DMARC1; p=reject; x=a\x80", DMARC_E_SYNTAX),
	BAD("v=DMARC1; rua=nourihere", DMARC_E_SYNTAX),
};

START_TEST(test_record)
{
	struct dmarc_record	 rec;
	struct err		 err;
	int			 rc;

	memset(&err, 0, sizeof(err));
	rc = dmarc_record_parse(rec_cases[_i].in, &rec, &err);
	if (rec_cases[_i].code != 0) {
		ck_assert_msg(rc == -1, "case %d parsed", _i);
		ck_assert_int_eq(err.code, rec_cases[_i].code);
		ck_assert(err.msg[0] != '\0');
		return;
	}
	ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
	ck_assert_int_eq(rec.p, rec_cases[_i].p);
	ck_assert_int_eq(rec.sp, rec_cases[_i].sp);
	ck_assert_int_eq(rec.np, rec_cases[_i].np);
	ck_assert_int_eq(rec.adkim, rec_cases[_i].adkim);
	ck_assert_int_eq(rec.aspf, rec_cases[_i].aspf);
	ck_assert_int_eq(rec.pct, rec_cases[_i].pct);
	ck_assert_int_eq(rec.testing, rec_cases[_i].testing);
	ck_assert_int_eq(rec.psd, rec_cases[_i].psd);
	ck_assert_int_eq(rec.p_from_rua, rec_cases[_i].from_rua);
	dmarc_record_fini(&rec);
}
END_TEST

START_TEST(test_record_kept)
{
	struct dmarc_record	 rec;
	struct err		 err;

	ck_assert_int_eq(dmarc_record_parse("v=DMARC1; p=none; rua=mailto:a@"
	    "example.org; ruf=mailto:f@example.org; fo=1:d; ri=3600", &rec,
	    &err), 0);
	ck_assert_str_eq(rec.rua, "mailto:a@example.org");
	ck_assert_str_eq(rec.ruf, "mailto:f@example.org");
	ck_assert_str_eq(rec.fo, "1:d");
	ck_assert_int_eq(rec.ri, 3600);
	dmarc_record_fini(&rec);
	dmarc_record_fini(NULL);
}
END_TEST

/* The names of the tree walk (RFC 9989 section 4.10). */
static const struct {
	const char	*domain;
	const char	*names;		/* space-separated; "" for none */
} walk_cases[] = {
	{ "example.com", "example.com com" },
	{ "Mail.Example.COM.", "mail.example.com example.com com" },
	{ "com", "com" },
	{ "a.b.c.d.e.f.g", "a.b.c.d.e.f.g b.c.d.e.f.g c.d.e.f.g d.e.f.g "
	  "e.f.g f.g g" },
	{ "a.b.c.d.e.f.g.h", "a.b.c.d.e.f.g.h b.c.d.e.f.g.h c.d.e.f.g.h "
	  "d.e.f.g.h e.f.g.h f.g.h g.h h" },
	{ "x.y.a.b.c.d.e.f.g.h", "x.y.a.b.c.d.e.f.g.h b.c.d.e.f.g.h "
	  "c.d.e.f.g.h d.e.f.g.h e.f.g.h f.g.h g.h h" },
	{ "", "" },
	{ "a..b", "" },
	{ "[192.0.2.1]", "" },
};

START_TEST(test_walk_names)
{
	char	names[DMARC_MAX_WALK][DNS_MAX_NAME + 1];
	char	joined[DMARC_MAX_WALK * (DNS_MAX_NAME + 2)] = "";
	size_t	n, i;

	n = dmarc_walk_names(walk_cases[_i].domain, names);
	ck_assert_uint_le(n, DMARC_MAX_WALK);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, names[i]);
	}
	ck_assert_str_eq(joined, walk_cases[_i].names);
}
END_TEST

/* The public suffix list. */
static const char psl_text[] =
    "// ===BEGIN ICANN DOMAINS===\n"
    "com\n"
    "uk\n"
    "co.uk\n"
    "// a comment\n"
    "\n"
    "*.ck\n"
    "!www.ck\n"
    "jp\n"
    "*.kawasaki.jp\n"
    "!city.kawasaki.jp\n"
    "  test  trailing words are ignored\r\n"
    "// ===BEGIN PRIVATE DOMAINS===\n"
    "github.io\n";

static const struct {
	const char	*domain;
	const char	*org;		/* NULL: -1 */
} psl_cases[] = {
	{ "example.com", "example.com" },
	{ "a.b.example.com", "example.com" },
	{ "com", "com" },
	{ "mail.example.co.uk", "example.co.uk" },
	{ "example.uk", "example.uk" },
	{ "co.uk", "co.uk" },
	{ "a.b.c.ck", "b.c.ck" },
	{ "c.ck", "c.ck" },
	{ "www.ck", "www.ck" },
	{ "a.www.ck", "www.ck" },
	{ "x.y.kawasaki.jp", "x.y.kawasaki.jp" },
	{ "a.city.kawasaki.jp", "city.kawasaki.jp" },
	{ "me.github.io", "me.github.io" },
	{ "Deep.Me.GitHub.IO.", "me.github.io" },
	{ "host.example", "host.example" },	/* implicit "*" rule */
	{ "a.host.example", "host.example" },
	{ "a.b.test", "b.test" },
	{ "", NULL },
	{ "a..com", NULL },
	{ "example.com..", NULL },
	/* Found by fuzzing: 253 bytes and two final dots. */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..",
	  NULL },
};

START_TEST(test_psl)
{
	struct dmarc_psl	*psl;
	struct err		 err;
	char			 org[DNS_MAX_NAME + 1];
	int			 rc;

	psl = dmarc_psl_new(psl_text, sizeof(psl_text) - 1, &err);
	ck_assert_msg(psl != NULL, "%s", err.msg);
	ck_assert_uint_eq(dmarc_psl_count(psl), 10);
	rc = dmarc_psl_org_domain(psl, psl_cases[_i].domain, org, sizeof(org));
	if (psl_cases[_i].org == NULL)
		ck_assert_int_eq(rc, -1);
	else {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(org, psl_cases[_i].org);
	}
	dmarc_psl_free(psl);
}
END_TEST

START_TEST(test_psl_empty)
{
	struct err	err;

	ck_assert_ptr_null(dmarc_psl_new("// nothing\n\n", 12, &err));
	ck_assert_int_eq(err.code, DMARC_E_PSL);
	dmarc_psl_free(NULL);
}
END_TEST

/* The From domain. */
static const struct {
	const char	*hdrs;
	const char	*domain;	/* NULL: DMARC_E_FROM */
} from_cases[] = {
	{ "From: Bob <bob@Example.ORG>\r\n", "example.org" },
	{ "From: bob@example.org.\r\n", NULL },
	{ "From: a@x.example, \"B\" <b@X.example>\r\n", "x.example" },
	{ "From: grp: a@x.example, b@x.example;\r\n", "x.example" },
	{ "Subject: hi\r\n", NULL },
	{ "From: a@x.example\r\nFrom: b@x.example\r\n", NULL },
	{ "From: a@x.example, b@y.example\r\n", NULL },
	{ "From: root\r\n", NULL },
	{ "From: a@[192.0.2.1]\r\n", NULL },
	{ "From: undisclosed:;\r\n", NULL },
	{ "From: <>\r\n", NULL },
	{ "From: a@exa_mple..org\r\n", NULL },
};

START_TEST(test_from)
{
	struct mail_hdrs	*h;
	struct err		 err;
	char			 dom[DNS_MAX_NAME + 1];
	const char		*in = from_cases[_i].hdrs;
	int			 rc;

	h = mail_hdrs_parse(in, strlen(in), &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	rc = dmarc_from_domain(h, dom, sizeof(dom), &err);
	if (from_cases[_i].domain != NULL) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
		ck_assert_str_eq(dom, from_cases[_i].domain);
	} else {
		ck_assert_msg(rc == -1, "case %d gave %s", _i, dom);
		ck_assert_int_eq(err.code, DMARC_E_FROM);
	}
	mail_hdrs_free(h);
}
END_TEST

/*
 * Evaluations.  A zone is a list of records; a name absent from it (and
 * with nothing below it) is NXDOMAIN, a name present with other types is
 * NODATA.  SERVFAIL entries make a look-up fail.
 */
struct zrec {
	const char	*name;
	uint16_t	 type;
	const char	*data;		/* TXT text, or "SERVFAIL" */
};

#define Z_END	{ NULL, 0, NULL }

struct scen {
	const char		*desc;
	enum dmarc_mode		 mode;
	const char		*from;		/* NULL: no usable From */
	const char		*spf;		/* passed SPF; NULL: none */
	const char		*dkim[3];	/* passing d= domains */
	unsigned		 sample;
	struct zrec		 zone[8];
	enum dmarc_result	 res;
	enum dmarc_policy	 policy;
	const char		*tag;		/* policy_tag, NULL */
	int			 queries;	/* -1: not checked */
	const char		*org;		/* org_domain, NULL: skip */
};

#define BIS	DMARC_MODE_DMARCBIS
#define OLD	DMARC_MODE_RFC7489
#define PASS	DMARC_PASS
#define FAIL	DMARC_FAIL
#define NONE	DMARC_POLICY_NONE
#define QUAR	DMARC_POLICY_QUARANTINE
#define REJ	DMARC_POLICY_REJECT
#define TXT	DNS_T_TXT

/* Discovery and the organisational domain by the tree walk. */
static const struct scen walk_scens[] = {
	{ "record at the From domain", BIS, "example.com", NULL,
	  { "example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 1, NULL },
	{ "no record anywhere", BIS, "a.example.com", NULL, { NULL }, 0,
	  { Z_END }, DMARC_NONE, NONE, NULL, 3, NULL },
	{ "record found up the tree", BIS, "a.b.example.com", NULL,
	  { "x.example.net" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; sp=quarantine" },
	    Z_END }, FAIL, QUAR, "sp", 4, "example.com" },
	{ "walk jumps to seven labels", BIS, "a.b.c.d.e.f.g.h.example.com",
	  NULL, { NULL }, 0, { Z_END }, DMARC_NONE, NONE, NULL, 8, NULL },
	{ "walk finds record after the jump", BIS,
	  "a.b.c.d.e.f.g.h.example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=quarantine" },
	    Z_END }, FAIL, QUAR, "p", 7, NULL },
	{ "psd=y: organisational domain below the PSD", BIS, "mail.org.test",
	  NULL, { "org.test" }, 0,
	  { { "_dmarc.test", TXT, "v=DMARC1; p=reject; psd=y" }, Z_END },
	  PASS, NONE, NULL, 3, "org.test" },
	{ "psd=y: other organisation", BIS, "mail.org.test", NULL,
	  { "other.test" }, 0,
	  { { "_dmarc.test", TXT, "v=DMARC1; p=reject; psd=y" }, Z_END },
	  FAIL, REJ, "p", 3, "org.test" },
	{ "psd=n stops the walk", BIS, "a.b.example.com", NULL,
	  { "example.com" }, 0,
	  { { "_dmarc.b.example.com", TXT, "v=DMARC1; p=none; psd=n" },
	    { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  FAIL, NONE, "p", 2, "b.example.com" },
	{ "fewest labels is the organisational domain", BIS, "a.b.example.com",
	  NULL, { "example.com" }, 0,
	  { { "_dmarc.b.example.com", TXT, "v=DMARC1; p=quarantine" },
	    { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 4, "example.com" },
	{ "two records are none", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" },
	    { "_dmarc.example.com", TXT, "v=DMARC1; p=none" }, Z_END },
	  DMARC_NONE, NONE, NULL, 2, NULL },
	{ "a bad record is skipped", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=bad" }, Z_END },
	  DMARC_NONE, NONE, NULL, 2, NULL },
	{ "other TXT records are ignored", BIS, "example.com", NULL, { NULL },
	  0, { { "_dmarc.example.com", TXT, "v=spf1 -all" },
	    { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  FAIL, REJ, "p", 1, NULL },
	{ "SERVFAIL is temperror", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "SERVFAIL" }, Z_END },
	  DMARC_TEMPERROR, NONE, NULL, 1, NULL },
	{ "SERVFAIL up the tree", BIS, "a.example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "SERVFAIL" }, Z_END },
	  DMARC_TEMPERROR, NONE, NULL, 2, NULL },
	{ "no From domain", BIS, NULL, NULL, { NULL }, 0, { Z_END },
	  DMARC_PERMERROR, REJ, NULL, 0, NULL },
	{ "rfc7489: From domain, then organisational domain", OLD,
	  "a.b.example.co.uk", NULL, { NULL }, 0,
	  { { "_dmarc.example.co.uk", TXT, "v=DMARC1; p=reject" }, Z_END },
	  FAIL, REJ, "p", 2, NULL },
	{ "rfc7489: no walk past the organisational domain", OLD,
	  "a.b.example.co.uk", NULL, { NULL }, 0,
	  { { "_dmarc.co.uk", TXT, "v=DMARC1; p=reject" }, Z_END },
	  DMARC_NONE, NONE, NULL, 2, NULL },
};

/* Alignment. */
static const struct scen align_scens[] = {
	{ "dkim relaxed, parent domain", BIS, "mail.example.com", NULL,
	  { "example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 3, "example.com" },
	{ "dkim relaxed, sibling subdomain", BIS, "mail.example.com", NULL,
	  { "news.example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 4, "example.com" },
	{ "dkim strict, parent domain", BIS, "mail.example.com", NULL,
	  { "example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; adkim=s" },
	    Z_END }, FAIL, REJ, "p", 2, NULL },
	{ "dkim strict, same domain", BIS, "example.com", NULL,
	  { "EXAMPLE.com." }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; adkim=s" },
	    Z_END }, PASS, NONE, NULL, 1, NULL },
	{ "dkim other domain", BIS, "example.com", NULL, { "example.net" },
	  0, { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  FAIL, REJ, "p", 2, NULL },
	{ "dkim: second signature aligns", BIS, "example.com", NULL,
	  { "example.net", "example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 1, NULL },
	{ "dkim: own psd=n record splits organisations", BIS,
	  "example.com", NULL, { "dept.example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" },
	    { "_dmarc.dept.example.com", TXT, "v=DMARC1; p=none; psd=n" },
	    Z_END }, FAIL, REJ, "p", 3, NULL },
	{ "spf relaxed", BIS, "example.com", "bounce.example.com", { NULL },
	  0, { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 3, NULL },
	{ "spf strict", BIS, "example.com", "bounce.example.com", { NULL },
	  0, { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; aspf=s" },
	    Z_END }, FAIL, REJ, "p", 1, NULL },
	{ "spf same domain", BIS, "example.com", "example.com", { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; aspf=s" },
	    Z_END }, PASS, NONE, NULL, 1, NULL },
	{ "spf other domain, dkim other domain", BIS, "example.com",
	  "example.org", { "example.net" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=quarantine" }, Z_END },
	  FAIL, QUAR, "p", 2, NULL },
	{ "temperror while walking for alignment", BIS, "example.com", NULL,
	  { "mail.example.com" }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" },
	    { "_dmarc.com", TXT, "SERVFAIL" }, Z_END },
	  DMARC_TEMPERROR, NONE, NULL, 2, NULL },
	{ "psl: relaxed under co.uk", OLD, "mail.example.co.uk", NULL,
	  { "example.co.uk" }, 0,
	  { { "_dmarc.example.co.uk", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 2, "example.co.uk" },
	{ "psl: co.uk is no organisation", OLD, "a.example.co.uk", NULL,
	  { "b.co.uk" }, 0,
	  { { "_dmarc.example.co.uk", TXT, "v=DMARC1; p=reject" }, Z_END },
	  FAIL, REJ, "p", 2, NULL },
	{ "psl: wildcard rule", OLD, "mail.b.c.ck", NULL, { "b.c.ck" }, 0,
	  { { "_dmarc.b.c.ck", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 2, "b.c.ck" },
	{ "psl: strict", OLD, "mail.example.co.uk", NULL,
	  { "example.co.uk" }, 0,
	  { { "_dmarc.example.co.uk", TXT, "v=DMARC1; p=reject; adkim=s" },
	    Z_END }, FAIL, REJ, "p", 2, NULL },
};

/* The policy to apply. */
static const struct scen policy_scens[] = {
	{ "p at the From domain", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; sp=none" },
	    Z_END }, FAIL, REJ, "p", 1, NULL },
	{ "sp for an existing subdomain", BIS, "sub.example.com", NULL,
	  { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; sp=quarantine; "
	    "np=reject" }, { "sub.example.com", DNS_T_A, "192.0.2.1" },
	    Z_END }, FAIL, QUAR, "sp", 3, NULL },
	{ "np for an NXDOMAIN subdomain", BIS, "nx.example.com", NULL,
	  { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=none; sp=none; "
	    "np=reject" }, Z_END }, FAIL, REJ, "np", 3, NULL },
	{ "np for a subdomain without A, AAAA or MX", BIS, "empty.example.com",
	  NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=none; np=quarantine" },
	    { "x.empty.example.com", DNS_T_A, "192.0.2.1" }, Z_END },
	  FAIL, QUAR, "np", 5, NULL },
	{ "np not asked when absent", BIS, "nx.example.com", NULL, { NULL },
	  0, { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  FAIL, REJ, "p", 2, NULL },
	{ "np: failed look-up means exists", BIS, "sub.example.com", NULL,
	  { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; sp=none; "
	    "np=reject" }, { "sub.example.com", DNS_T_A, "SERVFAIL" },
	    Z_END }, FAIL, NONE, "sp", 3, NULL },
	{ "t=y lowers reject", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; t=y" }, Z_END },
	  FAIL, QUAR, "p", 1, NULL },
	{ "t=y lowers quarantine", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=quarantine; t=y" },
	    Z_END }, FAIL, NONE, "p", 1, NULL },
	{ "pct ignored by DMARCbis", BIS, "example.com", NULL, { NULL }, 99,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; pct=0" },
	    Z_END }, FAIL, REJ, "p", 1, NULL },
	{ "pct: sampled", OLD, "example.com", NULL, { NULL }, 49,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; pct=50" },
	    Z_END }, FAIL, REJ, "p", 1, NULL },
	{ "pct: not sampled", OLD, "example.com", NULL, { NULL }, 50,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; pct=50" },
	    Z_END }, FAIL, QUAR, "p", 1, NULL },
	{ "pct=0 quarantine", OLD, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=quarantine; pct=0" },
	    Z_END }, FAIL, NONE, "p", 1, NULL },
	{ "t=y ignored by rfc7489", OLD, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; t=y" }, Z_END },
	  FAIL, REJ, "p", 1, NULL },
	{ "rfc7489 sp", OLD, "sub.example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject; sp=none" },
	    Z_END }, FAIL, NONE, "sp", 2, NULL },
	{ "bad p with rua: none", BIS, "example.com", NULL, { NULL }, 0,
	  { { "_dmarc.example.com", TXT, "v=DMARC1; p=nope; "
	    "rua=mailto:r@example.com" }, Z_END }, FAIL, NONE, "p", 1, NULL },
	{ "pass applies nothing", BIS, "example.com", "example.com", { NULL },
	  0, { { "_dmarc.example.com", TXT, "v=DMARC1; p=reject" }, Z_END },
	  PASS, NONE, NULL, 1, NULL },
};

static bool
zone_has_below(const struct zrec *z, const char *name)
{
	size_t	ln = strlen(name), lz;

	for (; z->name != NULL; z++) {
		lz = strlen(z->name);
		if (strcasecmp(z->name, name) == 0 || (lz > ln &&
		    z->name[lz - ln - 1] == '.' &&
		    strcasecmp(z->name + lz - ln, name) == 0))
			return true;
	}
	return false;
}

/* Answers q from the zone as the stub client would. */
static void
answer(struct dmarc_eval *ev, const struct zrec *zone,
    const struct dns_question *q)
{
	const char		*rrs[8];
	char			 buf[8][512];
	const struct zrec	*z;
	struct dns_msg		*msg = NULL;
	struct err		 err;
	size_t			 n = 0;
	int			 rcode;

	for (z = zone; z->name != NULL; z++) {
		if (strcasecmp(z->name, q->name) != 0 || z->type != q->type)
			continue;
		if (strcmp(z->data, "SERVFAIL") == 0) {
			ck_assert_int_eq(dmarc_eval_answer(ev, DNS_SERVFAIL,
			    NULL, &err), 0);
			return;
		}
		if (z->type == DNS_T_TXT)
			snprintf(buf[n], sizeof(buf[n]), "%s. 300 IN TXT "
			    "\"%s\"", z->name, z->data);
		else
			snprintf(buf[n], sizeof(buf[n]), "%s. 300 IN A %s",
			    z->name, z->data);
		rrs[n] = buf[n];
		n++;
	}
	rcode = n > 0 || zone_has_below(zone, q->name) ? 0 : 3;
	ck_assert_msg(dns_msg_build(q->name, q->type, rcode, rrs, n, &msg,
	    &err) == 0, "%s", err.msg);
	ck_assert_int_eq(dmarc_eval_answer(ev, dns_msg_status(msg), msg, &err),
	    0);
	dns_msg_free(msg);
}

static void
run_scen(const struct scen *s)
{
	struct dmarc_params	 p;
	struct dmarc_psl	*psl;
	struct dmarc_eval	*ev;
	struct dmarc_outcome	 out;
	struct dns_question	 q;
	struct err		 err;
	enum dmarc_result	 res;
	size_t			 nd = 0, steps = 0;

	psl = dmarc_psl_new(psl_text, sizeof(psl_text) - 1, &err);
	ck_assert_ptr_nonnull(psl);
	memset(&p, 0, sizeof(p));
	p.mode = s->mode;
	p.from_domain = s->from;
	p.from_problem = s->from == NULL ? "2 From fields" : NULL;
	p.spf_domain = s->spf;
	p.spf_pass = s->spf != NULL;
	while (nd < 3 && s->dkim[nd] != NULL)
		nd++;
	p.dkim_domains = s->dkim;
	p.ndkim = nd;
	p.psl = psl;
	p.sample = s->sample;
	ev = dmarc_eval_new(&p, &err);
	ck_assert_msg(ev != NULL, "%s", err.msg);
	ck_assert_int_eq(dmarc_eval_answer(ev, DNS_OK, NULL, &err), -1);
	ck_assert_int_eq(err.code, DMARC_E_STATE);
	while (dmarc_eval_next(ev, &q, &res) == DMARC_STEP_QUERY) {
		ck_assert_uint_lt(++steps, 100);
		answer(ev, s->zone, &q);
	}
	dmarc_eval_outcome(ev, &out);
	ck_assert_msg(res == s->res && out.result == s->res,
	    "%s: result %s (%s)", s->desc, dmarc_result_str(res), out.reason);
	ck_assert_msg(out.policy == s->policy, "%s: policy %s (%s)", s->desc,
	    dmarc_policy_str(out.policy), out.reason);
	if (s->tag == NULL)
		ck_assert_ptr_null(out.policy_tag);
	else
		ck_assert_msg(out.policy_tag != NULL &&
		    strcmp(out.policy_tag, s->tag) == 0, "%s: tag %s (%s)",
		    s->desc, out.policy_tag ? out.policy_tag : "-", out.reason);
	if (s->queries >= 0)
		ck_assert_msg(dmarc_eval_queries(ev) == (size_t)s->queries,
		    "%s: %zu queries", s->desc, dmarc_eval_queries(ev));
	if (s->org != NULL)
		ck_assert_str_eq(out.org_domain, s->org);
	ck_assert(out.reason[0] != '\0');
	/* Done is done. */
	ck_assert_int_eq(dmarc_eval_next(ev, &q, &res), DMARC_STEP_DONE);
	ck_assert_int_eq(res, s->res);
	dmarc_eval_free(ev);
	dmarc_psl_free(psl);
}

START_TEST(test_walk)
{
	run_scen(&walk_scens[_i]);
}
END_TEST

START_TEST(test_align)
{
	run_scen(&align_scens[_i]);
}
END_TEST

START_TEST(test_policy)
{
	run_scen(&policy_scens[_i]);
}
END_TEST

START_TEST(test_eval_misc)
{
	struct dmarc_params	 p;
	struct dmarc_eval	*ev;
	struct dmarc_outcome	 out;
	struct dns_question	 q;
	struct err		 err;
	enum dmarc_result	 res;

	memset(&p, 0, sizeof(p));
	p.mode = DMARC_MODE_RFC7489;
	p.from_domain = "example.com";
	ck_assert_ptr_null(dmarc_eval_new(&p, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
	/* A From domain that is no DNS name is a permerror. */
	p.mode = DMARC_MODE_DMARCBIS;
	p.from_domain = "exa mple.com";
	ev = dmarc_eval_new(&p, &err);
	ck_assert_int_eq(dmarc_eval_next(ev, &q, &res), DMARC_STEP_DONE);
	ck_assert_int_eq(res, DMARC_PERMERROR);
	dmarc_eval_outcome(ev, &out);
	ck_assert_int_eq(out.policy, DMARC_POLICY_REJECT);
	dmarc_eval_free(ev);
	/* The question is asked again until answered; a time-out is a
	 * temperror. */
	p.from_domain = "example.com";
	ev = dmarc_eval_new(&p, &err);
	ck_assert_int_eq(dmarc_eval_next(ev, &q, &res), DMARC_STEP_QUERY);
	ck_assert_str_eq(q.name, "_dmarc.example.com");
	ck_assert_int_eq(q.type, DNS_T_TXT);
	ck_assert_int_eq(dmarc_eval_next(ev, &q, &res), DMARC_STEP_QUERY);
	ck_assert_str_eq(q.name, "_dmarc.example.com");
	ck_assert_int_eq(dmarc_eval_answer(ev, DNS_TIMEOUT, NULL, &err), 0);
	ck_assert_int_eq(dmarc_eval_next(ev, &q, &res), DMARC_STEP_DONE);
	ck_assert_int_eq(res, DMARC_TEMPERROR);
	dmarc_eval_free(ev);
	dmarc_eval_free(NULL);
	ck_assert_str_eq(dmarc_result_str(DMARC_PASS), "pass");
	ck_assert_str_eq(dmarc_policy_str(DMARC_POLICY_QUARANTINE),
	    "quarantine");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("dmarc");
	TCase	*tc = tcase_create("dmarc");

	tcase_add_loop_test(tc, test_record, 0,
	    sizeof(rec_cases) / sizeof(rec_cases[0]));
	tcase_add_test(tc, test_record_kept);
	tcase_add_loop_test(tc, test_walk_names, 0,
	    sizeof(walk_cases) / sizeof(walk_cases[0]));
	tcase_add_loop_test(tc, test_psl, 0,
	    sizeof(psl_cases) / sizeof(psl_cases[0]));
	tcase_add_test(tc, test_psl_empty);
	tcase_add_loop_test(tc, test_from, 0,
	    sizeof(from_cases) / sizeof(from_cases[0]));
	tcase_add_loop_test(tc, test_walk, 0,
	    sizeof(walk_scens) / sizeof(walk_scens[0]));
	tcase_add_loop_test(tc, test_align, 0,
	    sizeof(align_scens) / sizeof(align_scens[0]));
	tcase_add_loop_test(tc, test_policy, 0,
	    sizeof(policy_scens) / sizeof(policy_scens[0]));
	tcase_add_test(tc, test_eval_misc);
	suite_add_tcase(s, tc);
	return s;
}
