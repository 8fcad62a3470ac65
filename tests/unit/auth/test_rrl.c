/*
 * test_rrl.c: response rate limiting (src/auth/rrl.c): the rate per
 * flow and second, the slip, what makes a flow (client network, kind of
 * answer, name or zone), the pay-back of the seconds that pass, and the
 * truncated answer.  Answers are made with ldns, as the server makes
 * them.
 */
#include <arpa/inet.h>
#include <string.h>

#include <ldns/ldns.h>

#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_zone.h"

/* An answer to (qname, A) with rcode; an answer record, or the SOA or
 * NS record of zone in authority. */
static void
answer(const char *qname, int rcode, const char *an, const char *ns,
    struct buf *out)
{
	ldns_pkt	*p;
	ldns_rr		*rr;
	uint8_t		*w;
	size_t		 n;
	struct err	 err;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, qname,
	    LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (an != NULL) {
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, an, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (ns != NULL) {
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, ns, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	ck_assert_int_eq(ldns_pkt2wire(&w, p, &n), LDNS_STATUS_OK);
	buf_reset(out);
	ck_assert_int_eq(buf_add(out, w, n, &err), 0);
	free(w);
	ldns_pkt_free(p);
}

static struct sockaddr_storage
client(const char *text)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return ss;
}

/* Sends n answers; counts what each became. */
static void
flood(struct auth_rrl *r, const char *from, const struct buf *a, int n,
    time_t now, int count_out[3])
{
	struct sockaddr_storage	ss = client(from);
	int			i;

	memset(count_out, 0, 3 * sizeof(int));
	for (i = 0; i < n; i++)
		count_out[auth_rrl_check(r, (struct sockaddr *)&ss,
		    (const uint8_t *)a->data, a->len, now, NULL)]++;
}

#define SOA	"example.org. 300 IN SOA ns1.example.org. h.example.org. " \
		"1 2 3 4 300"

START_TEST(test_rrl_rate_slip)
{
	struct auth_rrl_conf	 conf = { 10, 2, 1024 };
	struct auth_rrl_stats	 st;
	struct auth_rrl		*r;
	struct sockaddr_storage	 ss = client("192.0.2.7");
	struct buf		 a;
	struct err		 err;
	int			 c[3];
	bool			 started;

	buf_init(&a, 65535);
	ck_assert_ptr_nonnull(r = auth_rrl_new(&conf, 1, &err));
	answer("www.example.org", 0, "www.example.org. 300 IN A 192.0.2.1",
	    NULL, &a);
	/* 10 pass, then half of the rest go out truncated. */
	flood(r, "192.0.2.7", &a, 30, 1000, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 10);
	ck_assert_int_eq(c[AUTH_RRL_SLIP], 10);
	ck_assert_int_eq(c[AUTH_RRL_DROP], 10);
	/* The same /24 is the same flow; another network is not. */
	flood(r, "192.0.2.200", &a, 5, 1000, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 0);
	flood(r, "198.51.100.7", &a, 10, 1000, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 10);
	/* IPv6: the /56 is the flow. */
	flood(r, "2001:db8:0:1::1", &a, 12, 1000, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 10);
	flood(r, "2001:db8:0:ff::2", &a, 1, 1000, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 0);
	flood(r, "2001:db8:0:100::2", &a, 1, 1000, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 1);
	/* 35 were counted for 192.0.2.0/24 in second 1000; three seconds
	 * later 30 are paid back, and 5 more pass. */
	flood(r, "192.0.2.7", &a, 10, 1003, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 5);
	/* The first limited answer of a flow says so, once. */
	(void)auth_rrl_check(r, (struct sockaddr *)&ss,
	    (const uint8_t *)a.data, a.len, 1010, &started);
	ck_assert(!started);
	flood(r, "192.0.2.7", &a, 9, 1010, c);
	(void)auth_rrl_check(r, (struct sockaddr *)&ss,
	    (const uint8_t *)a.data, a.len, 1010, &started);
	ck_assert(started);
	(void)auth_rrl_check(r, (struct sockaddr *)&ss,
	    (const uint8_t *)a.data, a.len, 1010, &started);
	ck_assert(!started);
	auth_rrl_stats(r, &st);
	ck_assert_uint_gt(st.dropped, 10);
	ck_assert_uint_gt(st.slipped, 10);
	auth_rrl_free(r);
	buf_fini(&a);
}
END_TEST

/* NXDOMAIN for random names of one zone is one flow (the zone's); the
 * positive answers for two names are two. */
START_TEST(test_rrl_flows)
{
	struct auth_rrl_conf	 conf = { 3, 0, 1024 };
	struct auth_rrl		*r;
	struct buf		 a;
	struct err		 err;
	char			 name[64];
	int			 c[3], i, passed = 0;

	buf_init(&a, 65535);
	ck_assert_ptr_nonnull(r = auth_rrl_new(&conf, 2, &err));
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "rnd%d.example.org", i);
		answer(name, 3, NULL, SOA, &a);
		flood(r, "203.0.113.9", &a, 1, 50, c);
		passed += c[AUTH_RRL_PASS];
		ck_assert_int_eq(c[AUTH_RRL_SLIP], 0);	/* slip 0 */
	}
	ck_assert_int_eq(passed, 3);
	/* NODATA under the same zone is another kind: a flow of its own. */
	answer("www.example.org", 0, NULL, SOA, &a);
	flood(r, "203.0.113.9", &a, 5, 50, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 3);
	answer("a.example.org", 0, "a.example.org. 300 IN A 192.0.2.1",
	    NULL, &a);
	flood(r, "203.0.113.9", &a, 5, 50, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 3);
	answer("b.example.org", 0, "b.example.org. 300 IN A 192.0.2.1",
	    NULL, &a);
	flood(r, "203.0.113.9", &a, 5, 50, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 3);
	/* A referral counts by the delegation. */
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "h%d.sub.example.org", i);
		answer(name, 0, NULL, "sub.example.org. 300 IN NS ns.sub."
		    "example.org.", &a);
		flood(r, "203.0.113.9", &a, 1, 50, c);
		ck_assert_int_eq(c[AUTH_RRL_PASS], i < 3);
	}
	/* Broken bytes are counted too, never read past their end. */
	flood(r, "203.0.113.9", &a, 1, 50, c);
	auth_rrl_free(r);
	/* Rate 0: off. */
	conf.rate = 0;
	ck_assert_ptr_nonnull(r = auth_rrl_new(&conf, 2, &err));
	flood(r, "203.0.113.9", &a, 1000, 50, c);
	ck_assert_int_eq(c[AUTH_RRL_PASS], 1000);
	auth_rrl_free(r);
	buf_fini(&a);
}
END_TEST

START_TEST(test_rrl_truncate)
{
	struct buf	 a;
	struct err	 err;
	ldns_pkt	*p;

	size_t		 len;

	buf_init(&a, 65535);
	answer("www.example.org", 0, "www.example.org. 300 IN A 192.0.2.1",
	    SOA, &a);
	len = a.len;
	ck_assert_int_eq(auth_rrl_truncate((uint8_t *)a.data, &len, &err), 0);
	ck_assert_int_eq(ldns_wire2pkt(&p, (const uint8_t *)a.data, len),
	    LDNS_STATUS_OK);
	ck_assert(ldns_pkt_tc(p));
	ck_assert(ldns_pkt_qr(p));
	ck_assert_int_eq(ldns_pkt_id(p), 4242);
	ck_assert_int_eq(ldns_pkt_qdcount(p), 1);
	ck_assert_int_eq(ldns_pkt_ancount(p) + ldns_pkt_nscount(p) +
	    ldns_pkt_arcount(p), 0);
	ck_assert_uint_lt(len, a.len);
	ldns_pkt_free(p);
	/* No question: nothing to send. */
	len = 11;
	ck_assert_int_eq(auth_rrl_truncate((uint8_t *)a.data, &len, &err),
	    -1);
	buf_fini(&a);
}
END_TEST

TCase *
zone_rrl_tcase(void)
{
	TCase	*tc = tcase_create("rrl");

	tcase_add_test(tc, test_rrl_rate_slip);
	tcase_add_test(tc, test_rrl_flows);
	tcase_add_test(tc, test_rrl_truncate);
	return tc;
}
