/*
 * test_deliver.c: the pure parts of timbre-listd's delivery engine: the
 * retry schedule, VERP both ways, classification of failures, the
 * internal header fields that never leave, the DSN it writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_priv.h"
#include "mail/dsn.h"
#include "util/err.h"
#include "test_deliver.h"
#include "../unit.h"

#define M	60
#define H	3600
#define D	86400

static struct listd_deliver_cfg
cfg_default(void)
{
	struct listd_deliver_cfg	c;

	memset(&c, 0, sizeof(c));
	listd_deliver_cfg_fill(&c);
	return c;
}

/* Attempt k failed at exactly its due time: the next one is due at
 * want (seconds after the first attempt), 0 for giving up. */
static const struct {
	long	attempts;
	time_t	now;		/* after first */
	time_t	want;
} sched[] = {
	{ 1, 0, 5 * M },
	{ 2, 5 * M, 15 * M },
	{ 3, 15 * M, 30 * M },
	{ 4, 30 * M, 1 * H },
	{ 5, 1 * H, 2 * H },
	{ 6, 2 * H, 6 * H },
	{ 7, 6 * H, 10 * H },
	{ 8, 10 * H, 14 * H },
	/* Late (the daemon was down): the next point after now. */
	{ 2, 40 * M, 1 * H },
	{ 6, 9 * H, 10 * H },
	/* The last within 5 days, then nothing. */
	{ 20, 100 * H, 102 * H },
	{ 33, 114 * H, 118 * H },
	{ 34, 118 * H, 0 },
	{ 40, 121 * H, 0 },
};

START_TEST(test_retry_schedule)
{
	struct listd_deliver_cfg	c = cfg_default();
	time_t				first = 1700000000, t;

	t = listd_retry_next(&c, first, sched[_i].attempts,
	    first + sched[_i].now);
	ck_assert_msg(t == (sched[_i].want == 0 ? 0 : first +
	    sched[_i].want), "case %d: got %lld", _i,
	    (long long)(t == 0 ? -1 : t - first));
}
END_TEST

START_TEST(test_retry_defaults)
{
	struct listd_deliver_cfg	c = cfg_default();

	ck_assert_uint_eq(c.nretry, 5);
	ck_assert_int_eq(c.retry[0], 300);
	ck_assert_int_eq(c.retry[4], 7200);
	ck_assert_int_eq(c.retry_every, 4 * H);
	ck_assert_int_eq(c.give_up, 5 * D);
	ck_assert_uint_eq(c.deliver_port, 25);
}
END_TEST

START_TEST(test_retry_never_past_give_up)
{
	struct listd_deliver_cfg	c = cfg_default();
	time_t				first = 1000, now = first, t;
	long				k;

	for (k = 1; k < 100; k++) {
		t = listd_retry_next(&c, first, k, now);
		if (t == 0)
			break;
		ck_assert(t > now);
		ck_assert(t <= first + c.give_up);
		now = t;
	}
	ck_assert_int_eq(k, 5 + 29 + 1);	/* 5 fixed, 6 h to 118 h */
}
END_TEST

static const struct {
	const char	*rcpt;
	const char	*path;
} verps[] = {
	{ "bob@example.net", "dev-bounces+bob=example.net@lists.test" },
	{ "bob+tag@example.net", "dev-bounces+bob+tag=example.net@lists.test" },
	{ "a=b@example.net", "dev-bounces+a=b=example.net@lists.test" },
	{ "first-last@ex-ample.net",
	  "dev-bounces+first-last=ex-ample.net@lists.test" },
	{ "x+y=z-w@sub.example.org",
	  "dev-bounces+x+y=z-w=sub.example.org@lists.test" },
	{ "Bob.Smith@Example.NET",
	  "dev-bounces+Bob.Smith=Example.NET@lists.test" },
};

START_TEST(test_verp_round_trip)
{
	char	path[300], back[300], *at;

	ck_assert(listd_verp_encode("dev", "lists.test", verps[_i].rcpt, path,
	    sizeof(path)));
	ck_assert_str_eq(path, verps[_i].path);
	/* What store_addr_route hands on: after "bounces+", before '@'. */
	at = strrchr(path, '@');
	*at = '\0';
	ck_assert(listd_verp_decode(path + strlen("dev-bounces+"), back,
	    sizeof(back)));
	ck_assert_str_eq(back, verps[_i].rcpt);
}
END_TEST

/* A probe's path: encoded, decoded, recognised as rcpt's only. */
START_TEST(test_verp_probe)
{
	char	path[300], back[300], tok[LISTD_PROBE_TOKEN_LEN + 1];

	ck_assert(listd_verp_probe_encode("dev", "lists.test",
	    "first-last+x=y@example.net", "0123456789abcdef", path,
	    sizeof(path)));
	ck_assert_str_eq(path, "dev-bounces+probe-0123456789abcdef+"
	    "first-last+x=y=example.net@lists.test");
	ck_assert(listd_verp_probe_of("dev", "lists.test",
	    "First-Last+x=y@Example.NET", path, tok));
	ck_assert_str_eq(tok, "0123456789abcdef");
	ck_assert(!listd_verp_probe_of("dev", "lists.test",
	    "other@example.net", path, tok));
	ck_assert(!listd_verp_probe_of("devel", "lists.test",
	    "first-last+x=y@example.net", path, tok));
	ck_assert(!listd_verp_probe_of("dev", "other.test",
	    "first-last+x=y@example.net", path, tok));
	/* A copy's ordinary VERP, and an author's address, are no probe's. */
	ck_assert(!listd_verp_probe_of("dev", "lists.test", "bob@example.net",
	    "dev-bounces+bob=example.net@lists.test", tok));
	ck_assert(!listd_verp_probe_of("dev", "lists.test", "bob@example.net",
	    "alice@example.org", tok));
	ck_assert(listd_verp_probe_decode("probe-fedcba9876543210+bob="
	    "example.net", tok, back, sizeof(back)));
	ck_assert_str_eq(back, "bob@example.net");
	ck_assert_str_eq(tok, "fedcba9876543210");
	/* A subscriber whose local part begins with "probe-": the VERP of
	 * a copy to them, not a probe's. */
	ck_assert(!listd_verp_probe_decode("probe-x+bob=example.net", tok,
	    back, sizeof(back)));
	ck_assert(!listd_verp_probe_decode("probe-FEDCBA9876543210+bob="
	    "example.net", tok, back, sizeof(back)));
	ck_assert(!listd_verp_probe_decode("probe-fedcba987654321+bob="
	    "example.net", tok, back, sizeof(back)));
	ck_assert(!listd_verp_probe_decode("probe-fedcba9876543210bob="
	    "example.net", tok, back, sizeof(back)));
	ck_assert(!listd_verp_probe_decode("probe-fedcba9876543210+bob",
	    tok, back, sizeof(back)));
	ck_assert(!listd_verp_probe_encode("dev", "lists.test",
	    "bob@example.net", "0123", path, sizeof(path)));
}
END_TEST

/* The token: bound to the list, the address (in any case) and the
 * time; another key gives another. */
START_TEST(test_probe_token)
{
	uint8_t		key[LISTD_PROBE_KEY_LEN] = { 1, 2, 3 };
	char		a[LISTD_PROBE_TOKEN_LEN + 1], b[LISTD_PROBE_TOKEN_LEN + 1];
	struct err	err;

	ck_assert_int_eq(listd_probe_token(key, "dev", "lists.test",
	    "Bob@Example.net", 1000, a, &err), 0);
	ck_assert_uint_eq(strlen(a), LISTD_PROBE_TOKEN_LEN);
	ck_assert_int_eq(listd_probe_token(key, "dev", "lists.test",
	    "bob@example.net", 1000, b, &err), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(listd_probe_token(key, "dev", "lists.test",
	    "bob@example.net", 1001, b, &err), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(listd_probe_token(key, "devel", "lists.test",
	    "bob@example.net", 1000, b, &err), 0);
	ck_assert_str_ne(a, b);
	key[0] = 9;
	ck_assert_int_eq(listd_probe_token(key, "dev", "lists.test",
	    "bob@example.net", 1000, b, &err), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_verp_refused)
{
	char	out[300], local[80];

	ck_assert(!listd_verp_decode("", out, sizeof(out)));
	ck_assert(!listd_verp_decode("bob", out, sizeof(out)));
	ck_assert(!listd_verp_decode("=example.net", out, sizeof(out)));
	ck_assert(!listd_verp_decode("bob=", out, sizeof(out)));
	ck_assert(!listd_verp_decode("bob=a@b", out, sizeof(out)));
	ck_assert(!listd_verp_encode("dev", "lists.test", "nobody", out,
	    sizeof(out)));
	/* Over an SMTP path: not encoded (the caller falls back). */
	memset(local, 'a', 64);
	local[64] = '\0';
	{
		char	rcpt[400], dom[200];

		memset(dom, 'b', 180);
		strcpy(dom + 180, ".test");
		snprintf(rcpt, sizeof(rcpt), "%s@%s", local, dom);
		ck_assert(!listd_verp_encode("dev", "lists.test", rcpt, out,
		    sizeof(out)));
	}
}
END_TEST

static const struct {
	int		 code;
	const char	*enh;
	const char	*text;
	enum listd_charge want;
} charges[] = {
	{ 250, "2.0.0", "ok", LISTD_CHARGE_NONE },
	{ 550, "5.1.1", "user unknown", LISTD_CHARGE_SUBSCRIBER },
	{ 550, "5.7.26", "Unauthenticated email from example.org is not "
	  "accepted due to domain's DMARC policy", LISTD_CHARGE_AUTHOR },
	{ 550, "5.7.1", "Message rejected: SPF fail", LISTD_CHARGE_AUTHOR },
	{ 554, "5.7.1", "Message looks like spam", LISTD_CHARGE_AUTHOR },
	{ 550, "5.7.1", "Relay access denied", LISTD_CHARGE_SUBSCRIBER },
	{ 550, "5.1.1", "mailbox unavailable (policy: none)",
	  LISTD_CHARGE_SUBSCRIBER },
	{ 550, "", "5.7.509 Access denied, sending domain does not pass "
	  "DMARC verification", LISTD_CHARGE_AUTHOR },
	{ 451, "4.7.1", "greylisted, spam policy", LISTD_CHARGE_SUBSCRIBER },
	{ 552, "5.2.2", "mailbox full", LISTD_CHARGE_SUBSCRIBER },
};

START_TEST(test_classify)
{
	ck_assert_int_eq(listd_bounce_classify(charges[_i].code,
	    charges[_i].enh, charges[_i].text), charges[_i].want);
}
END_TEST

START_TEST(test_strip_internal)
{
	static const char	in[] =
	    "Received: by x\r\nX-Timbre-Queue-Id: 42\r\n\tfolded\r\n"
	    "Subject: hi\r\nx-timbre-queue-id : 43\r\n\r\n"
	    "X-Timbre-Queue-Id: in the body stays\r\n";
	static const char	want[] =
	    "Received: by x\r\nSubject: hi\r\n\r\n"
	    "X-Timbre-Queue-Id: in the body stays\r\n";
	char	*out;
	size_t	 len;

	out = listd_strip_internal(in, strlen(in), &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(out, want);
	free(out);
}
END_TEST

START_TEST(test_dsn_written_reads_back)
{
	struct store_delivery	 row;
	struct mail_dsn		 dsn;
	static const char	 orig[] = "From: a@b\r\nSubject: x\r\n\r\nbody\r\n";
	char			*out;
	size_t			 len;

	memset(&row, 0, sizeof(row));
	row.message = 7;
	strcpy(row.recipient, "bob@example.net");
	row.created = 1700000000;
	out = listd_dsn_build("lists.test", "dev", "lists.test", &row,
	    "451 4.7.1 try later", orig, strlen(orig), 1700400000, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert(strstr(out, "multipart/report; report-type=delivery-status")
	    != NULL);
	ck_assert(strstr(out, "body\r\n") == NULL);	/* the header only */
	mail_dsn_parse(out, len, &dsn);
	ck_assert(dsn.standard);
	ck_assert_uint_eq(dsn.nrcpt, 1);
	ck_assert_str_eq(dsn.rcpt[0].recipient, "bob@example.net");
	ck_assert_int_eq(dsn.rcpt[0].action, MAIL_DSN_FAILED);
	ck_assert_str_eq(dsn.rcpt[0].status, "4.7.1");
	ck_assert_str_eq(dsn.rcpt[0].diagnostic, "451 4.7.1 try later");
	free(out);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("listd_deliver");
	TCase	*tc = tcase_create("deliver");

	tcase_add_loop_test(tc, test_retry_schedule, 0,
	    sizeof(sched) / sizeof(sched[0]));
	tcase_add_test(tc, test_retry_defaults);
	tcase_add_test(tc, test_retry_never_past_give_up);
	tcase_add_loop_test(tc, test_verp_round_trip, 0,
	    sizeof(verps) / sizeof(verps[0]));
	tcase_add_test(tc, test_verp_refused);
	tcase_add_test(tc, test_verp_probe);
	tcase_add_test(tc, test_probe_token);
	tcase_add_loop_test(tc, test_classify, 0,
	    sizeof(charges) / sizeof(charges[0]));
	tcase_add_test(tc, test_strip_internal);
	tcase_add_test(tc, test_dsn_written_reads_back);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, test_dsn_tcase());
	suite_add_tcase(s, test_sts_tcase());
	return s;
}
