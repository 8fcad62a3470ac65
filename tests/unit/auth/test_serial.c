/*
 * test_serial.c: the serial fix-ups of timbre-primaryd (issue 21) as
 * src/auth sees them: the next serial by policy (RFC 1982 arithmetic,
 * the wrap from 4294967295 to 0 included), comparing two versions but
 * for their serials, the fix-up's file as a one-number edit of the
 * pushed text, and IXFR from a history in which fix-up commits stand
 * (auth_ixfr_version): a client at the serial served before a fix-up
 * gets exactly the change, never the version that was not served.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"
#include "../unit.h"

#define T_NOW	1700000000	/* 2023-11-14 22:13:20 UTC */

static const struct {
	uint32_t		 served;
	enum auth_serial_policy	 policy;
	uint32_t		 want;
} nexts[] = {
	{ 5, AUTH_SERIAL_INCREMENT, 6 },
	{ 2147483647u, AUTH_SERIAL_INCREMENT, 2147483648u },
	{ 4294967295u, AUTH_SERIAL_INCREMENT, 0 },	/* RFC 1982 3.1 */
	{ 5, AUTH_SERIAL_UNIXTIME, T_NOW },
	{ T_NOW, AUTH_SERIAL_UNIXTIME, T_NOW + 1 },
	{ 1800000000u, AUTH_SERIAL_UNIXTIME, 1800000001u },
	{ 4294967295u, AUTH_SERIAL_UNIXTIME, T_NOW },	/* T_NOW is newer */
	{ 5, AUTH_SERIAL_DATESERIAL, 2023111400u },
	{ 2023111400u, AUTH_SERIAL_DATESERIAL, 2023111401u },
	{ 2023111499u, AUTH_SERIAL_DATESERIAL, 2023111500u },
	{ 2023121500u, AUTH_SERIAL_DATESERIAL, 2023121501u },
	{ 4294967295u, AUTH_SERIAL_DATESERIAL, 2023111400u },
};

START_TEST(test_serial_next)
{
	uint32_t	got;

	got = auth_serial_next(nexts[_i].served, nexts[_i].policy, T_NOW);
	ck_assert_uint_eq(got, nexts[_i].want);
	ck_assert(auth_serial_lt(nexts[_i].served, got));
}
END_TEST

/* A small zone at serial, www at 192.0.2.1<v> (v '0' to '9'). */
static void
zone_text(uint32_t serial, char v, char *out, size_t size)
{
	snprintf(out, size, "$ORIGIN example.org.\n$TTL 300\n"
	    "@ SOA ns1 hostmaster %u 3600 900 604800 300\n"
	    "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.1%c\n", serial, v);
}

static struct auth_zone *
load(const char *text)
{
	struct auth_zone	*z;
	struct err		 err;

	z = auth_zone_load("example.org", text, strlen(text), "example.org",
	    &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	return z;
}

static struct auth_zone *
zone_at(uint32_t serial, char v)
{
	char	text[512];

	zone_text(serial, v, text, sizeof(text));
	return load(text);
}

START_TEST(test_same_but_serial)
{
	struct auth_zone	*a = zone_at(5, '0'), *b = zone_at(6, '0');
	struct auth_zone	*c = zone_at(5, '1'), *d;

	ck_assert(!auth_zone_same(a, b));
	ck_assert(auth_zone_same_but_serial(a, b));
	ck_assert(auth_zone_same_but_serial(a, a));
	ck_assert(!auth_zone_same_but_serial(a, c));
	/* Another SOA field is more than the serial. */
	d = load("$ORIGIN example.org.\n$TTL 300\n"
	    "@ SOA ns1 hostmaster 6 7200 900 604800 300\n"
	    "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\n");
	ck_assert(!auth_zone_same_but_serial(a, d));
	auth_zone_free(a);
	auth_zone_free(b);
	auth_zone_free(c);
	auth_zone_free(d);
}
END_TEST

/* The operator's file: comments, a multi-line SOA, relative names. */
#define HAND(serial) "; example.org, kept by hand\n$ORIGIN example.org.\n" \
	"$TTL 300\n@\tIN SOA\tns1 hostmaster (\n\t\t" serial " ; serial\n" \
	"\t\t3600 900 604800 300 )\n\n; name servers\n@ NS ns1\n" \
	"ns1 A 192.0.2.1\nwww A 192.0.2.99 ; moved\n"

static const struct {
	const char	*pushed;
	uint32_t	 to;
	const char	*want;
} edits[] = {
	{ HAND("5"), 6, HAND("6") },
	{ HAND("4294967295"), 0, HAND("0") },
	{ HAND("2023111499"), 2023111500u, HAND("2023111500") },
};

/* The fix-up's commit is the pushed file with the serial's digits
 * changed, and it loads back to the zone served. */
START_TEST(test_fixup_edit)
{
	struct auth_zone	*z = load(edits[_i].pushed), *nz, *back;
	struct buf		 out;
	struct err		 err;
	int			 rewritten = -1;

	ck_assert_ptr_nonnull(nz = auth_zone_with_serial(z, edits[_i].to,
	    &err));
	ck_assert_uint_eq(auth_zone_serial(nz), edits[_i].to);
	ck_assert(auth_zone_same_but_serial(z, nz));
	buf_init(&out, 65536);
	ck_assert_int_eq(auth_zone_edit(z, nz, &out, &rewritten, &err), 0);
	ck_assert_int_eq(rewritten, 0);
	ck_assert_uint_eq(out.len, strlen(edits[_i].want));
	ck_assert(memcmp(out.data, edits[_i].want, out.len) == 0);
	back = load(edits[_i].want);
	ck_assert(auth_zone_same(back, nz));
	auth_zone_free(back);
	auth_zone_free(nz);
	auth_zone_free(z);
	buf_fini(&out);
}
END_TEST

/*
 * Histories, newest first: "6B" is serial 6 with www at 192.0.2.11 (A
 * .10, B .11, C .12), "-" a version that does not load.  The zone served
 * is the first version (or cur when given); the answer to IXFR=want is
 * written as the SOA serials and www addresses in order, or "full".
 */
static const struct {
	const char	*history;
	const char	*cur;		/* NULL: the history's first */
	uint32_t	 want;
	const char	*answer;
} histories[] = {
	/* Forgotten serial: 5B was never served. */
	{ "6B 5B 5A", NULL, 5, "6 5 .10 6 .11 6" },
	/* Serial gone back: 3B was never served. */
	{ "6B 3B 5A", NULL, 5, "6 5 .10 6 .11 6" },
	/* Two fix-ups, one after the other. */
	{ "7C 6C 6B 5B 5A", NULL, 5, "7 5 .10 6 .11 6 .11 7 .12 7" },
	{ "7C 6C 6B 5B 5A", NULL, 6, "7 6 .11 7 .12 7" },
	/* Two pushes before one fetch: one fix-up for both. */
	{ "6C 5C 5B 5A", NULL, 5, "6 5 .10 6 .12 6" },
	/* The fix-up could not be pushed: served 6B, git's tip 5B. */
	{ "5B 5A", "6B", 5, "6 5 .10 6 .11 6" },
	/* A fix-up at the wrap (RFC 1982: 0 follows 4294967295). */
	{ "0B 4294967295B 4294967295A", NULL, 4294967295u,
	  "0 4294967295 .10 0 .11 0" },
	/* Serials raised by hand, as before. */
	{ "3C 2B 1A", NULL, 1, "3 1 .10 2 .11 2 .11 3 .12 3" },
	{ "3C 2B 1A", NULL, 2, "3 2 .11 3 .12 3" },
	/* A comment-only push (same records) between. */
	{ "6B 6B 5B 5A", NULL, 5, "6 5 .10 6 .11 6" },
	/* Before a gap, 5B may be a fix-up's source: the full zone. */
	{ "6B 5B - 5A", NULL, 5, "full" },
	/* An unknown serial: the full zone. */
	{ "6B 5B 5A", NULL, 4, "full" },
};

/* "6B" into serial and the www digit; "-" is no zone. */
static struct auth_zone *
version(const char *tok)
{
	char	*end;
	unsigned long s;

	if (strcmp(tok, "-") == 0)
		return NULL;
	s = strtoul(tok, &end, 10);
	ck_assert(*end >= 'A' && *end <= 'C');
	return zone_at((uint32_t)s, (char)('0' + (*end - 'A')));
}

static int
on_msg(const uint8_t *p, size_t n, void *arg)
{
	struct buf	*b = arg;
	ldns_pkt	*pkt;
	ldns_rr		*rr;
	struct err	 err;
	char		*a;
	size_t		 i;

	ck_assert_int_eq(ldns_wire2pkt(&pkt, p, n), LDNS_STATUS_OK);
	for (i = 0; i < ldns_pkt_ancount(pkt); i++) {
		rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			ck_assert_int_eq(buf_printf(b, &err, "%s%u",
			    b->len > 0 ? " " : "", ldns_rdf2native_int32(
			    ldns_rr_rdf(rr, 2))), 0);
		else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
		    (a = ldns_rdf2str(ldns_rr_rdf(rr, 0))) != NULL) {
			/* Only www changes: its last octet says which. */
			ck_assert_int_eq(buf_printf(b, &err, " %s",
			    strrchr(a, '.')), 0);
			free(a);
		}
	}
	ldns_pkt_free(pkt);
	return 0;
}

START_TEST(test_ixfr_fixups)
{
	struct auth_db		*db = auth_db_new(1);
	struct auth_zone	*cur;
	struct auth_ixfr	*x;
	struct auth_req		 req;
	struct buf		 q, out, ans;
	struct err		 err;
	ldns_pkt		*p;
	ldns_rr			*soa;
	uint8_t			*wire;
	size_t			 size;
	char			 hist[256], text[160], *tok, *save;
	enum auth_ixfr_step	 step = AUTH_IXFR_MORE;
	int			 incremental = -1;

	snprintf(hist, sizeof(hist), "%s", histories[_i].history);
	cur = version(histories[_i].cur != NULL ? histories[_i].cur :
	    strtok_r(hist, " ", &save));
	snprintf(hist, sizeof(hist), "%s", histories[_i].history);
	ck_assert_int_eq(auth_db_add_zone(db, cur, &err), 0);
	auth_db_set_axfr(db, 1);
	/* IXFR=want over TCP, unsigned (--axfr). */
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, "example.org",
	    LDNS_RR_TYPE_IXFR, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	snprintf(text, sizeof(text), "example.org. 300 IN SOA "
	    "ns1.example.org. hostmaster.example.org. %u 3600 900 604800 "
	    "300", histories[_i].want);
	ck_assert_int_eq(ldns_rr_new_frm_str(&soa, text, 300, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&ans, 65535);
	ck_assert_int_eq(buf_add(&q, wire, size, &err), 0);
	free(wire);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 1, T_NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_IXFR);
	ck_assert_ptr_nonnull(x = auth_ixfr_new(&req, 10));
	for (tok = strtok_r(hist, " ", &save); tok != NULL &&
	    step == AUTH_IXFR_MORE; tok = strtok_r(NULL, " ", &save))
		step = auth_ixfr_version(x, version(tok));
	if (step == AUTH_IXFR_MORE)
		(void)auth_ixfr_version(x, NULL);
	ck_assert_int_eq(auth_ixfr_send(x, T_NOW, on_msg, &ans, &incremental,
	    &err), 0);
	if (strcmp(histories[_i].answer, "full") == 0)
		ck_assert_int_eq(incremental, 0);
	else {
		ck_assert_int_eq(incremental, 1);
		ck_assert_str_eq(ans.data, histories[_i].answer);
	}
	auth_ixfr_free(x);
	auth_req_fini(&req);
	auth_zone_free(cur);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&ans);
	auth_db_free(db);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("serial");
	TCase	*tc = tcase_create("serial");

	tcase_add_loop_test(tc, test_serial_next, 0,
	    sizeof(nexts) / sizeof(nexts[0]));
	tcase_add_test(tc, test_same_but_serial);
	tcase_add_loop_test(tc, test_fixup_edit, 0,
	    sizeof(edits) / sizeof(edits[0]));
	tcase_add_loop_test(tc, test_ixfr_fixups, 0,
	    sizeof(histories) / sizeof(histories[0]));
	suite_add_tcase(s, tc);
	return s;
}
