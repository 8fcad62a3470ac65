/*
 * test_msg.c: dns_answer_parse() over tables of wire answers built with
 * ldns and of hand-made bytes (truncated, compression loops, garbage), every
 * cut of a good answer, and dns_msg_txts() over tables of TXT records.
 */
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
	tcase_add_test(tc, test_status_str);
	return tc;
}
