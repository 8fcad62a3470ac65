/*
 * test_msg.c: dns_answer_parse() over tables of wire answers built with
 * ldns and of hand-made bytes (truncated, compression loops, garbage), every
 * cut of a good answer, dns_msg_txts() over tables of TXT records, and
 * the readers of rr.c (dns_msg_status, addresses, names, raw TXT data,
 * TLSA) over the same CNAME chains, with the exact errors.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "util/err.h"
#include "test_dns.h"

#define QID	0x1234
#define QNAME	"example.com"

static const struct {
	const char		*what;
	struct tdns_answer	 a;
	int			 rc;
	enum dns_status		 status;	/* if rc == 0 */
	int			 code;		/* err.code if rc == -1 */
	int			 rcode;		/* if rc == 0 */
} parse_cases[] = {
	{ "txt", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0,
	    { "example.com. TXT \"v=spf1 -all\"" } }, 0, DNS_OK, 0, 0 },
	{ "names ignore case", { QID, "EXAMPLE.Com.", DNS_T_TXT, 0, 1, 0, 0,
	    { "Example.COM. TXT \"x\"" } }, 0, DNS_OK, 0, 0 },
	{ "edns answer", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 1,
	    { "example.com. TXT \"x\"" } }, 0, DNS_OK, 0, 0 },
	{ "nodata, empty", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0, { NULL } },
	    0, DNS_NODATA, 0, 0 },
	{ "nodata, other type", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0,
	    { "example.com. A 192.0.2.1" } }, 0, DNS_NODATA, 0, 0 },
	{ "nodata, other owner", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0,
	    { "www.example.com. TXT \"x\"" } }, 0, DNS_NODATA, 0, 0 },
	{ "nxdomain", { QID, QNAME, DNS_T_TXT, 3, 1, 0, 0, { NULL } },
	    0, DNS_NXDOMAIN, 0, 3 },
	{ "servfail", { QID, QNAME, DNS_T_TXT, 2, 1, 0, 0, { NULL } },
	    0, DNS_SERVFAIL, 0, 2 },
	{ "refused", { QID, QNAME, DNS_T_TXT, 5, 1, 0, 0, { NULL } },
	    0, DNS_SERVFAIL, 0, 5 },
	{ "formerr", { QID, QNAME, DNS_T_TXT, 1, 1, 0, 0, { NULL } },
	    0, DNS_SERVFAIL, 0, 1 },
	{ "formerr without question", { QID, NULL, 0, 1, 1, 0, 0, { NULL } },
	    0, DNS_SERVFAIL, 0, 1 },
	{ "cname chain", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0, {
	    "example.com. CNAME a.example.net.",
	    "a.example.net. CNAME B.example.org.",
	    "b.example.org. TXT \"x\"" } }, 0, DNS_OK, 0, 0 },
	{ "cname chain out of order", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0, {
	    "b.example.org. TXT \"x\"",
	    "a.example.net. CNAME b.example.org.",
	    "example.com. CNAME a.example.net." } }, 0, DNS_OK, 0, 0 },
	{ "cname to nothing", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0, {
	    "example.com. CNAME a.example.net.",
	    "example.com. TXT \"not at the end of the chain\"" } },
	    0, DNS_NODATA, 0, 0 },
	{ "cname loop", { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0, {
	    "example.com. CNAME a.example.net.",
	    "a.example.net. CNAME example.com." } }, 0, DNS_SERVFAIL, 0, 0 },
	{ "cname to nxdomain", { QID, QNAME, DNS_T_TXT, 3, 1, 0, 0, {
	    "example.com. CNAME a.example.net." } }, 0, DNS_NXDOMAIN, 0, 3 },
	{ "wrong id", { QID + 1, QNAME, DNS_T_TXT, 0, 1, 0, 0,
	    { "example.com. TXT \"x\"" } }, -1, 0, DNS_E_MISMATCH, 0 },
	{ "wrong name", { QID, "example.org", DNS_T_TXT, 0, 1, 0, 0,
	    { "example.org. TXT \"x\"" } }, -1, 0, DNS_E_MISMATCH, 0 },
	{ "wrong type", { QID, QNAME, DNS_T_A, 0, 1, 0, 0,
	    { "example.com. A 192.0.2.1" } }, -1, 0, DNS_E_MISMATCH, 0 },
	{ "a query, not an answer", { QID, QNAME, DNS_T_TXT, 0, 0, 0, 0,
	    { NULL } }, -1, 0, DNS_E_MISMATCH, 0 },
	{ "no question", { QID, NULL, 0, 0, 1, 0, 0, { NULL } },
	    -1, 0, DNS_E_MISMATCH, 0 },
	{ "truncated (tc)", { QID, QNAME, DNS_T_TXT, 0, 1, 1, 0, { NULL } },
	    -1, 0, DNS_E_TRUNCATED, 0 },
	{ "truncated (tc), no question", { QID, NULL, 0, 0, 1, 1, 0,
	    { NULL } }, -1, 0, DNS_E_TRUNCATED, 0 },
};

START_TEST(test_answer_parse)
{
	struct dns_msg	*msg;
	enum dns_status	 status;
	struct err	 err;
	uint8_t		*wire;
	size_t		 len;

	wire = tdns_wire(&parse_cases[_i].a, &len);
	err_clear(&err);
	ck_assert_msg(dns_answer_parse(wire, len, QID, QNAME, DNS_T_TXT,
	    &status, &msg, &err) == parse_cases[_i].rc, "%s: %s",
	    parse_cases[_i].what, err.msg);
	if (parse_cases[_i].rc == 0) {
		ck_assert_msg(status == parse_cases[_i].status, "%s: %s",
		    parse_cases[_i].what, dns_status_str(status));
		ck_assert_int_eq(dns_msg_rcode(msg), parse_cases[_i].rcode);
		dns_msg_free(msg);
	} else {
		ck_assert_msg(err.code == parse_cases[_i].code, "%s: %d %s",
		    parse_cases[_i].what, err.code, err.msg);
		ck_assert_ptr_null(msg);
	}
	free(wire);
}
END_TEST

/* A CNAME question is asked with its own type. */
START_TEST(test_answer_parse_cname_question)
{
	struct tdns_answer	 a = { QID, QNAME, DNS_T_CNAME, 0, 1, 0, 0,
				    { "example.com. CNAME a.example.net." } };
	enum dns_status		 status;
	struct err		 err;
	uint8_t			*wire;
	size_t			 len;

	wire = tdns_wire(&a, &len);
	ck_assert_int_eq(dns_answer_parse(wire, len, QID, QNAME, DNS_T_CNAME,
	    &status, NULL, &err), 0);
	ck_assert_int_eq(status, DNS_OK);
	free(wire);
}
END_TEST

/* Header of an answer to (QID, example.com, TXT) with the given counts. */
#define HDR(qd, an)	0x12, 0x34, 0x81, 0x80, 0, qd, 0, an, 0, 0, 0, 0
#define QEXAMPLE	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', \
			'm', 0, 0, 16, 0, 1

static const uint8_t raw_short[] = { 0x12, 0x34, 0x81 };
static const uint8_t raw_no_question[] = { HDR(1, 0) };
static const uint8_t raw_qloop[] = { HDR(1, 0), 0xc0, 12, 0, 16, 0, 1 };
static const uint8_t raw_qforward[] = { HDR(1, 0), 0xc0, 18, 0, 16, 0, 1,
	0xc0, 12 };
static const uint8_t raw_anloop[] = { HDR(1, 1), QEXAMPLE,
	0xc0, 29, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'x' };
static const uint8_t raw_ancount[] = { HDR(1, 2), QEXAMPLE,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'x' };
static const uint8_t raw_rdlength[] = { HDR(1, 1), QEXAMPLE,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 9, 1, 'x' };
static const uint8_t raw_txtlen[] = { HDR(1, 1), QEXAMPLE,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 7, 'x' };
static const uint8_t raw_label[] = { HDR(1, 0), 0x7f, 'a', 0, 0, 16, 0, 1 };
static const uint8_t raw_garbage[] = { 0x12, 0x34, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef };
static const uint8_t raw_good[] = { HDR(1, 1), QEXAMPLE,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'x' };

static const struct {
	const char	*what;
	const uint8_t	*wire;
	size_t		 len;
	int		 rc;
} raw_cases[] = {
#define RAW(w, rc)	{ #w, w, sizeof(w), rc }
	{ "empty", raw_short, 0, -1 },
	RAW(raw_short, -1),
	RAW(raw_no_question, -1),
	RAW(raw_qloop, -1),
	RAW(raw_qforward, -1),
	RAW(raw_anloop, -1),
	RAW(raw_ancount, -1),
	RAW(raw_rdlength, -1),
	RAW(raw_txtlen, -1),
	RAW(raw_label, -1),
	RAW(raw_garbage, -1),
	RAW(raw_good, 0),
#undef RAW
};

START_TEST(test_answer_parse_raw)
{
	struct dns_msg	*msg = NULL;
	enum dns_status	 status;
	struct err	 err;
	int		 rc;

	err_clear(&err);
	rc = dns_answer_parse(raw_cases[_i].wire, raw_cases[_i].len, QID,
	    QNAME, DNS_T_TXT, &status, &msg, &err);
	ck_assert_msg(rc == raw_cases[_i].rc, "%s: %s", raw_cases[_i].what,
	    err.msg);
	if (rc == -1) {
		ck_assert_ptr_null(msg);
		ck_assert_int_ne(err.code, 0);
	} else
		ck_assert_int_eq(status, DNS_OK);
	dns_msg_free(msg);
}
END_TEST

/* Every strict prefix of a good answer is refused, never half-read. */
START_TEST(test_answer_parse_every_cut)
{
	struct tdns_answer	 a = { QID, QNAME, DNS_T_TXT, 0, 1, 0, 1, {
				    "example.com. CNAME a.example.net.",
				    "a.example.net. TXT \"one\" \"two\"",
				    "a.example.net. TXT \"three\"" } };
	struct dns_msg		*msg;
	enum dns_status		 status;
	struct err		 err;
	uint8_t			*wire, *cut;
	size_t			 len, n;

	wire = tdns_wire(&a, &len);
	for (n = 0; n < len; n++) {
		/* A copy of exactly n bytes, so ASan sees any over-read. */
		cut = malloc(n == 0 ? 1 : n);
		memcpy(cut, wire, n);
		ck_assert_msg(dns_answer_parse(cut, n, QID, QNAME, DNS_T_TXT,
		    &status, &msg, &err) == -1, "cut at %zu accepted", n);
		free(cut);
	}
	ck_assert_int_eq(dns_answer_parse(wire, len, QID, QNAME, DNS_T_TXT,
	    &status, &msg, &err), 0);
	ck_assert_int_eq(status, DNS_OK);
	dns_msg_free(msg);
	free(wire);
}
END_TEST

START_TEST(test_answer_parse_bad_name)
{
	enum dns_status	 status;
	struct err	 err;

	ck_assert_int_eq(dns_answer_parse(raw_good, sizeof(raw_good), QID,
	    "", DNS_T_TXT, &status, NULL, &err), -1);
	ck_assert_int_eq(err.code, DNS_E_NAME);
	ck_assert_int_eq(dns_answer_parse(raw_good, sizeof(raw_good), QID,
	    "a..b", DNS_T_TXT, &status, NULL, &err), -1);
	ck_assert_int_eq(err.code, DNS_E_NAME);
}
END_TEST

static const struct {
	const char	*what;
	const char	*an[TDNS_MAX_AN];
	const char	*name;		/* asked of dns_msg_txts; NULL: qname */
	size_t		 n;
	const char	*want[3];
} txt_cases[] = {
	{ "one string", { "example.com. TXT \"v=spf1 -all\"" }, QNAME,
	    1, { "v=spf1 -all" } },
	{ "strings joined", { "example.com. TXT \"v=DKIM1; k=rsa; \" "
	    "\"p=MIIB\" \"\" \"IjAN\"" }, QNAME,
	    1, { "v=DKIM1; k=rsa; p=MIIBIjAN" } },
	{ "two records", { "example.com. TXT \"a\"",
	    "example.com. TXT \"b\" \"c\"" }, QNAME, 2, { "a", "bc" } },
	{ "empty string", { "example.com. TXT \"\"" }, QNAME, 1, { "" } },
	{ "question name", { "example.com. TXT \"q\"" }, NULL, 1, { "q" } },
	{ "name ignores case", { "example.com. TXT \"q\"" }, "EXAMPLE.COM.",
	    1, { "q" } },
	{ "through cnames", { "example.com. CNAME a.example.net.",
	    "a.example.net. CNAME b.example.net.",
	    "b.example.net. TXT \"end\"",
	    "example.com. TXT \"not this\"",
	    "a.example.net. TXT \"nor this\"" }, QNAME, 1, { "end" } },
	{ "other owners", { "www.example.com. TXT \"no\"",
	    "example.com. A 192.0.2.1" }, QNAME, 0, { NULL } },
	{ "embedded nul skipped", { "example.com. TXT \"a\\000b\"",
	    "example.com. TXT \"ok\"" }, QNAME, 1, { "ok" } },
	{ "other name", { "example.com. TXT \"a\"",
	    "x.example.com. TXT \"b\"" },
	    "x.example.com", 1, { "b" } },
};

START_TEST(test_msg_txts)
{
	struct tdns_answer	 a = { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0,
				    { NULL } };
	struct dns_msg		*msg;
	enum dns_status		 status;
	struct err		 err;
	uint8_t			*wire;
	char			**txts;
	size_t			 len, n, i;

	memcpy(a.an, txt_cases[_i].an, sizeof(a.an));
	wire = tdns_wire(&a, &len);
	ck_assert_int_eq(dns_answer_parse(wire, len, QID, QNAME, DNS_T_TXT,
	    &status, &msg, &err), 0);
	ck_assert_msg(dns_msg_txts(msg, txt_cases[_i].name, &txts, &n,
	    &err) == 0, "%s: %s", txt_cases[_i].what, err.msg);
	ck_assert_msg(n == txt_cases[_i].n, "%s: %zu txts",
	    txt_cases[_i].what, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(txts[i], txt_cases[_i].want[i]);
	if (n == 0)
		ck_assert_ptr_null(txts);
	dns_txts_free(txts, n);
	dns_msg_free(msg);
	free(wire);
}
END_TEST

START_TEST(test_msg_txts_loop)
{
	struct tdns_answer	 a = { QID, QNAME, DNS_T_TXT, 0, 1, 0, 0, {
				    "example.com. CNAME a.example.net.",
				    "a.example.net. CNAME example.com.",
				    "example.com. TXT \"x\"" } };
	struct dns_msg		*msg;
	enum dns_status		 status;
	struct err		 err;
	uint8_t			*wire;
	char			**txts;
	size_t			 len, n;

	wire = tdns_wire(&a, &len);
	ck_assert_int_eq(dns_answer_parse(wire, len, QID, QNAME, DNS_T_TXT,
	    &status, &msg, &err), 0);
	ck_assert_int_eq(status, DNS_SERVFAIL);
	ck_assert_int_eq(dns_msg_txts(msg, QNAME, &txts, &n, &err), -1);
	ck_assert_int_eq(err.code, DNS_E_MALFORMED);
	ck_assert_ptr_null(txts);
	ck_assert_int_eq(dns_msg_txts(msg, "bad..name", &txts, &n, &err), -1);
	ck_assert_int_eq(err.code, DNS_E_NAME);
	dns_msg_free(msg);
	free(wire);
}
END_TEST

/* What a reader of an answer is asked, in read_cases[]. */
enum rd_op {
	RD_STATUS,	/* dns_msg_status: want is dns_status_str() */
	RD_TXTS,	/* dns_msg_txts */
	RD_TXTS_BIN,	/* dns_msg_txts_bin: NUL bytes shown as "\0" */
	RD_ADDRS,	/* dns_msg_addrs of type */
	RD_NAMES,	/* dns_msg_names of type */
};

#define LOOP	"example.com. CNAME a.example.net.", \
		"a.example.net. CNAME example.com."
#define CHAIN	"example.com. CNAME a.example.net.", \
		"a.example.net. CNAME b.example.net."

static const struct {
	const char	*what;
	uint16_t	 qtype;		/* question (QNAME, qtype); 0: none */
	int		 rcode;		/* with qtype 0, FORMERR (1) */
	const char	*an[TDNS_MAX_AN];
	enum rd_op	 op;
	const char	*name;		/* asked; NULL: the question's */
	uint16_t	 type;		/* asked of RD_ADDRS and RD_NAMES */
	int		 code;		/* err.code; 0: it succeeds */
	const char	*want;		/* err.msg, or the results joined */
} read_cases[] = {
	{ "status ok", DNS_T_A, 0, { "example.com. A 192.0.2.1" },
	  RD_STATUS, NULL, 0, 0, "ok" },
	{ "status through cnames", DNS_T_TXT, 0, { CHAIN,
	  "b.example.net. TXT \"x\"" }, RD_STATUS, NULL, 0, 0, "ok" },
	{ "status cname to nothing", DNS_T_TXT, 0, { CHAIN,
	  "a.example.net. TXT \"x\"" }, RD_STATUS, NULL, 0, 0, "nodata" },
	{ "status other class", DNS_T_TXT, 0, { "example.com. CH TXT \"x\"" },
	  RD_STATUS, NULL, 0, 0, "nodata" },
	{ "status loop", DNS_T_TXT, 0, { LOOP }, RD_STATUS, NULL, 0, 0,
	  "servfail" },
	{ "status loop, nxdomain", DNS_T_TXT, 3, { LOOP }, RD_STATUS, NULL,
	  0, 0, "nxdomain" },
	{ "status refused", DNS_T_TXT, 5, { "example.com. TXT \"x\"" },
	  RD_STATUS, NULL, 0, 0, "servfail" },
	{ "status cname question", DNS_T_CNAME, 0, { LOOP }, RD_STATUS, NULL,
	  0, 0, "ok" },
	{ "txts loop", DNS_T_TXT, 0, { LOOP }, RD_TXTS, QNAME, 0,
	  DNS_E_MALFORMED, "txt: cname chain longer than 16" },
	{ "txts empty name", DNS_T_TXT, 0, { LOOP }, RD_TXTS, "", 0,
	  DNS_E_NAME, "empty domain name" },
	{ "txts bin", DNS_T_TXT, 0, { CHAIN,
	  "b.example.net. TXT \"a\\000b\" \"c\"", "b.example.net. TXT \"d\"",
	  "example.com. TXT \"no\"", "b.example.net. CH TXT \"no\"" },
	  RD_TXTS_BIN, NULL, 0, 0, "a\\0bc d" },
	{ "txts bin loop", DNS_T_TXT, 0, { LOOP }, RD_TXTS_BIN, NULL, 0,
	  DNS_E_MALFORMED, "answer: cname chain longer than 16" },
	{ "txts bin bad name", DNS_T_TXT, 0, { LOOP }, RD_TXTS_BIN, "a..b", 0,
	  DNS_E_NAME, "not a domain name" },
	{ "addrs", DNS_T_A, 0, { CHAIN, "b.example.net. A 192.0.2.1",
	  "example.com. A 192.0.2.9", "b.example.net. AAAA 2001:db8::1",
	  "b.example.net. A 192.0.2.2" }, RD_ADDRS, NULL, DNS_T_A, 0,
	  "192.0.2.1 192.0.2.2" },
	{ "addrs aaaa, other name", DNS_T_A, 0, { LOOP,
	  "x.example.com. AAAA 2001:db8::1" }, RD_ADDRS, "X.example.com",
	  DNS_T_AAAA, 0, "2001:db8::1" },
	{ "addrs none", DNS_T_A, 0, { "example.com. TXT \"x\"" }, RD_ADDRS,
	  NULL, DNS_T_A, 0, "" },
	{ "addrs loop", DNS_T_A, 0, { LOOP }, RD_ADDRS, QNAME, DNS_T_A,
	  DNS_E_MALFORMED, "answer: cname chain longer than 16" },
	{ "addrs of txt", DNS_T_A, 0, { LOOP }, RD_ADDRS, QNAME, DNS_T_TXT,
	  ERR_ARG, "addresses: type 16 is not A or AAAA" },
	{ "names mx", DNS_T_MX, 0, { CHAIN,
	  "b.example.net. MX 10 mx1.example.",
	  "b.example.net. MX 20 mx2.example.",
	  "example.com. MX 5 no.example." },
	  RD_NAMES, NULL, DNS_T_MX, 0, "mx1.example mx2.example" },
	{ "names ptr to the root", DNS_T_PTR, 0, { "example.com. PTR ." },
	  RD_NAMES, NULL, DNS_T_PTR, 0, "." },
	{ "names cname, not chased", DNS_T_TXT, 0, { LOOP }, RD_NAMES, QNAME,
	  DNS_T_CNAME, 0, "a.example.net" },
	{ "names loop", DNS_T_NS, 0, { LOOP }, RD_NAMES, QNAME, DNS_T_NS,
	  DNS_E_MALFORMED, "answer: cname chain longer than 16" },
	{ "names of a", DNS_T_A, 0, { LOOP }, RD_NAMES, QNAME, DNS_T_A,
	  ERR_ARG, "names: type 1 holds no name" },
	{ "no question: status", 0, 1, { NULL }, RD_STATUS, NULL, 0, 0,
	  "servfail" },
	{ "no question: txts", 0, 1, { NULL }, RD_TXTS, NULL, 0,
	  DNS_E_MALFORMED, "txt: no question" },
	{ "no question: txts of a name", 0, 1, { NULL }, RD_TXTS, QNAME, 0, 0,
	  "" },
	{ "no question: txts bin", 0, 1, { NULL }, RD_TXTS_BIN, NULL, 0,
	  DNS_E_MALFORMED, "answer: no question" },
	{ "no question: addrs", 0, 1, { NULL }, RD_ADDRS, NULL, DNS_T_A,
	  DNS_E_MALFORMED, "answer: no question" },
	{ "no question: names", 0, 1, { NULL }, RD_NAMES, NULL, DNS_T_MX,
	  DNS_E_MALFORMED, "answer: no question" },
};

/* Appends one result to out, after a space if there is one already. */
static void
join(char *out, size_t size, const char *s, size_t len)
{
	size_t	i, o = strlen(out);

	if (o > 0 && o + 1 < size)
		out[o++] = ' ';
	for (i = 0; i < len && o + 2 < size; i++) {
		if (s[i] == '\0') {
			out[o++] = '\\';
			out[o++] = '0';
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
}

/* Asks msg what read_cases[c] asks: 0 with the results joined in out, or
 * -1 with err. */
static int
read_answer(const struct dns_msg *msg, size_t c, char *out, size_t size,
    struct err *err)
{
	struct dns_addr	*addrs;
	struct dns_txt	*bin;
	char		**strs, a[INET6_ADDRSTRLEN];
	size_t		 i, n;

	out[0] = '\0';
	switch (read_cases[c].op) {
	case RD_STATUS:
		snprintf(out, size, "%s", dns_status_str(dns_msg_status(msg)));
		return 0;
	case RD_TXTS:
	case RD_NAMES:
		if ((read_cases[c].op == RD_TXTS ? dns_msg_txts(msg,
		    read_cases[c].name, &strs, &n, err) : dns_msg_names(msg,
		    read_cases[c].name, read_cases[c].type, &strs, &n, err)) ==
		    -1) {
			ck_assert_ptr_null(strs);
			return -1;
		}
		for (i = 0; i < n; i++)
			join(out, size, strs[i], strlen(strs[i]));
		dns_txts_free(strs, n);
		return 0;
	case RD_TXTS_BIN:
		if (dns_msg_txts_bin(msg, read_cases[c].name, &bin, &n, err) ==
		    -1) {
			ck_assert_ptr_null(bin);
			return -1;
		}
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(bin[i].data[bin[i].len], '\0');
			join(out, size, bin[i].data, bin[i].len);
		}
		dns_txts_bin_free(bin, n);
		return 0;
	case RD_ADDRS:
		if (dns_msg_addrs(msg, read_cases[c].name, read_cases[c].type,
		    &addrs, &n, err) == -1) {
			ck_assert_ptr_null(addrs);
			return -1;
		}
		for (i = 0; i < n; i++) {
			ck_assert_ptr_nonnull(inet_ntop(addrs[i].family,
			    addrs[i].addr, a, sizeof(a)));
			join(out, size, a, strlen(a));
		}
		free(addrs);
		return 0;
	}
	return -1;
}

START_TEST(test_msg_read)
{
	struct tdns_answer	 noq = { QID, NULL, 0, 1, 1, 0, 0, { NULL } };
	struct dns_msg		*msg;
	enum dns_status		 status;
	struct err		 err;
	uint8_t			*wire;
	char			 out[256];
	size_t			 n;

	for (n = 0; n < TDNS_MAX_AN && read_cases[_i].an[n] != NULL; n++)
		;
	if (read_cases[_i].qtype == 0) {
		/* Only the wire gives an answer without a question. */
		wire = tdns_wire(&noq, &n);
		ck_assert_int_eq(dns_answer_parse(wire, n, QID, QNAME,
		    DNS_T_TXT, &status, &msg, &err), 0);
		free(wire);
	} else
		ck_assert_int_eq(dns_msg_build(QNAME, read_cases[_i].qtype,
		    read_cases[_i].rcode, read_cases[_i].an, n, &msg, &err),
		    0);
	err_clear(&err);
	if (read_cases[_i].code == 0) {
		ck_assert_msg(read_answer(msg, _i, out, sizeof(out), &err) == 0,
		    "%s: %s", read_cases[_i].what, err.msg);
		ck_assert_str_eq(out, read_cases[_i].want);
	} else {
		ck_assert_msg(read_answer(msg, _i, out, sizeof(out), &err) ==
		    -1, "%s: succeeded", read_cases[_i].what);
		ck_assert_int_eq(err.code, read_cases[_i].code);
		ck_assert_str_eq(err.msg, read_cases[_i].want);
	}
	dns_msg_free(msg);
}
END_TEST

/* 16 CNAMEs are followed, 17 are not: for every reader alike. */
START_TEST(test_msg_cname_limit)
{
	const char	*rrs[20];
	char		 rr[18][96], **txts;
	struct dns_msg	*msg;
	struct dns_txt	*bin;
	struct dns_addr	*addrs;
	struct err	 err;
	size_t		 i, n, hops = 16 + (size_t)_i;
	int		 rc;

	for (i = 0; i < hops; i++) {
		if (i == 0)
			snprintf(rr[i], sizeof(rr[i]), "%s. CNAME c1.example.",
			    QNAME);
		else
			snprintf(rr[i], sizeof(rr[i]), "c%zu.example. CNAME "
			    "c%zu.example.", i, i + 1);
		rrs[i] = rr[i];
	}
	rrs[hops] = "example.com. A 192.0.2.9";
	snprintf(rr[hops], sizeof(rr[hops]), "c%zu.example. A 192.0.2.1", hops);
	rrs[hops + 1] = rr[hops];
	ck_assert_int_eq(dns_msg_build(QNAME, DNS_T_A, 0, rrs, hops + 2, &msg,
	    &err), 0);
	rc = _i == 0 ? 0 : -1;
	ck_assert_str_eq(dns_status_str(dns_msg_status(msg)),
	    _i == 0 ? "ok" : "servfail");
	ck_assert_int_eq(dns_msg_addrs(msg, NULL, DNS_T_A, &addrs, &n, &err),
	    rc);
	if (rc == 0) {
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(addrs[0].addr[3], 1);
		free(addrs);
	} else
		ck_assert_str_eq(err.msg, "answer: cname chain longer than 16");
	ck_assert_int_eq(dns_msg_txts(msg, QNAME, &txts, &n, &err), rc);
	if (rc == -1)
		ck_assert_str_eq(err.msg, "txt: cname chain longer than 16");
	ck_assert_int_eq(dns_msg_txts_bin(msg, QNAME, &bin, &n, &err), rc);
	dns_msg_free(msg);
}
END_TEST

/* The SOA serial timbre doctor compares across name servers. */
START_TEST(test_msg_soa_serial)
{
	const char	*soa[] = { "example.com. 300 IN SOA ns.example.com. "
			    "h.example.com. 4294967295 3600 600 86400 300" };
	const char	*txt[] = { "example.com. 300 IN TXT \"x\"" };
	struct dns_msg	*msg;
	struct err	 err;
	uint32_t	 serial = 7;

	ck_assert_int_eq(dns_msg_build(QNAME, DNS_T_SOA, 0, soa, 1, &msg,
	    &err), 0);
	ck_assert_int_eq(dns_msg_soa_serial(msg, NULL, &serial, &err), 1);
	ck_assert_uint_eq(serial, 4294967295u);
	ck_assert_int_eq(dns_msg_soa_serial(msg, "other.example", &serial,
	    &err), 0);
	ck_assert_uint_eq(serial, 0);
	ck_assert_int_eq(dns_msg_soa_serial(msg, "bad..name", &serial, &err),
	    -1);
	dns_msg_free(msg);
	ck_assert_int_eq(dns_msg_build(QNAME, DNS_T_SOA, 0, txt, 1, &msg,
	    &err), 0);
	ck_assert_int_eq(dns_msg_soa_serial(msg, NULL, &serial, &err), 0);
	dns_msg_free(msg);
}
END_TEST

/* The TLSA records of timbre-listd's DANE, after a CNAME; others and
 * other owners skipped; the AD bit of a built answer (clear). */
START_TEST(test_msg_tlsas)
{
	const char	*rrs[] = {
		"example.com. 300 IN CNAME _25._tcp.mx.example.net.",
		"_25._tcp.mx.example.net. 300 IN TLSA 3 1 1 "
		    "0102030405060708090a0b0c0d0e0f10"
		    "1112131415161718191a1b1c1d1e1f20",
		"_25._tcp.mx.example.net. 300 IN TLSA 2 0 2 "
		    "aabbcc",
		"other.example.net. 300 IN TLSA 3 1 1 00",
		"_25._tcp.mx.example.net. 300 IN TXT \"x\"",
	};
	struct dns_msg	*msg;
	struct dns_tlsa	*t;
	struct err	 err;
	size_t		 n;

	ck_assert_int_eq(dns_msg_build(QNAME, DNS_T_TLSA, 0, rrs, 5, &msg,
	    &err), 0);
	ck_assert_int_eq(dns_msg_tlsas(msg, NULL, &t, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(t[0].usage, 3);
	ck_assert_uint_eq(t[0].selector, 1);
	ck_assert_uint_eq(t[0].mtype, 1);
	ck_assert_uint_eq(t[0].len, 32);
	ck_assert_uint_eq(t[0].data[0], 1);
	ck_assert_uint_eq(t[0].data[31], 0x20);
	ck_assert_uint_eq(t[1].usage, 2);
	ck_assert_uint_eq(t[1].selector, 0);
	ck_assert_uint_eq(t[1].mtype, 2);
	ck_assert_uint_eq(t[1].len, 3);
	ck_assert_uint_eq(t[1].data[2], 0xcc);
	dns_tlsas_free(t, n);
	ck_assert_int_eq(dns_msg_tlsas(msg, "none.example", &t, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(dns_msg_tlsas(msg, "bad..name", &t, &n, &err), -1);
	ck_assert(!dns_msg_ad(msg));
	dns_msg_free(msg);
}
END_TEST

START_TEST(test_status_str)
{
	ck_assert_str_eq(dns_status_str(DNS_OK), "ok");
	ck_assert_str_eq(dns_status_str(DNS_NODATA), "nodata");
	ck_assert_str_eq(dns_status_str(DNS_NXDOMAIN), "nxdomain");
	ck_assert_str_eq(dns_status_str(DNS_SERVFAIL), "servfail");
	ck_assert_str_eq(dns_status_str(DNS_TIMEOUT), "no answer");
	ck_assert_str_eq(dns_status_str(DNS_MALFORMED), "malformed");
}
END_TEST

TCase *
dns_tcase_msg(void)
{
	TCase	*tc = tcase_create("msg");

	tcase_add_loop_test(tc, test_answer_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_answer_parse_cname_question);
	tcase_add_loop_test(tc, test_answer_parse_raw, 0,
	    sizeof(raw_cases) / sizeof(raw_cases[0]));
	tcase_add_test(tc, test_answer_parse_every_cut);
	tcase_add_test(tc, test_answer_parse_bad_name);
	tcase_add_loop_test(tc, test_msg_txts, 0,
	    sizeof(txt_cases) / sizeof(txt_cases[0]));
	tcase_add_test(tc, test_msg_txts_loop);
	tcase_add_loop_test(tc, test_msg_read, 0,
	    sizeof(read_cases) / sizeof(read_cases[0]));
	tcase_add_loop_test(tc, test_msg_cname_limit, 0, 2);
	tcase_add_test(tc, test_msg_soa_serial);
	tcase_add_test(tc, test_msg_tlsas);
	tcase_add_test(tc, test_status_str);
	return tc;
}
