/*
 * test_limits.c: the "zone" suite's cases for what a client may make the
 * authoritative core hold (issue 9): a transfer made one message at a
 * time (auth_xfr_next) gives what auth_axfr gives and outlives the db it
 * came from; an UPDATE carrying two SOAs leaks nothing (run under
 * LeakSanitizer, as check.sh does, to see it).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "auth/auth.h"
#include "test_zone.h"
#include "util/buf.h"
#include "util/err.h"

#define ZONE_HEAD	"$ORIGIN example.org.\n$TTL 300\n" \
			"@ SOA ns1 hostmaster 1 3600 900 604800 300\n" \
			"@ NS ns1\nns1 A 192.0.2.1\n"

/* A zone of n TXT records of 200 octets after the head. */
static char *
big_zone(size_t n)
{
	struct buf	b;
	struct err	err;
	size_t		i;

	buf_init(&b, 1 << 24);
	ck_assert_int_eq(buf_adds(&b, ZONE_HEAD, &err), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(buf_printf(&b, &err, "t%zu TXT \"%0200zu\"\n",
		    i, i), 0);
	return b.data;		/* the caller frees it */
}

struct msgs {
	struct buf	all;	/* each message, length first */
	int		n;
};

static int
on_msg(const uint8_t *p, size_t n, void *arg)
{
	struct msgs	*m = arg;
	struct err	 err;
	uint8_t		 len[2] = { n >> 8, n & 0xff };

	ck_assert_int_eq(buf_add(&m->all, len, 2, &err), 0);
	ck_assert_int_eq(buf_add(&m->all, p, n, &err), 0);
	m->n++;
	return 0;
}

/* The same bytes one message at a time as all at once, signed or not,
 * with the db (and so the zone and key the request pointed to) freed
 * before the first message is made. */
START_TEST(test_xfr_cursor)
{
	char		*text = big_zone(2000);
	struct auth_db	*db = db_of(text);
	struct dns_tsig_key	*k = NULL;
	struct auth_req	 req;
	struct auth_xfr	*x;
	struct msgs	 whole = { 0 }, one = { 0 };
	struct buf	 q, out, msg;
	struct err	 err;
	int		 rc;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&msg, 65535);
	buf_init(&whole.all, 1 << 24);
	buf_init(&one.all, 1 << 24);
	make_query("example.org", LDNS_RR_TYPE_AXFR, 0, 0, 0, &q);
	if (_i == 0)
		auth_db_set_axfr(db, 1);	/* --axfr */
	else {
		k = dns_tsig_key_parse("up._update.example.org:hmac-sha256:"
		    SECRET, &err);
		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(dns_tsig_sign(k, &q, NULL, 0, NULL, 0, NOW,
		    0, NULL, NULL, &err), 0);
	}
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 1, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_AXFR);
	ck_assert_int_eq(auth_axfr(&req, NOW, on_msg, &whole, &err), 0);
	ck_assert_int_gt(whole.n, 20);		/* ~450 KB in 16 KB steps */
	x = auth_xfr_new(&req, &err);
	ck_assert_ptr_nonnull(x);
	auth_req_fini(&req);
	auth_db_free(db);
	while ((rc = auth_xfr_next(x, NOW, &msg, &err)) == 1)
		on_msg((const uint8_t *)msg.data, msg.len, &one);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(auth_xfr_next(x, NOW, &msg, &err), 0);
	ck_assert_int_eq(one.n, whole.n);
	ck_assert_uint_eq(one.all.len, whole.all.len);
	ck_assert(memcmp(one.all.data, whole.all.data, one.all.len) == 0);
	auth_xfr_free(x);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&msg);
	buf_fini(&whole.all);
	buf_fini(&one.all);
	free(text);
}
END_TEST

/* Two SOAs newer than the zone's in one UPDATE: the second wins, and
 * the SOA the first replaced is freed, not lost (LeakSanitizer). */
START_TEST(test_update_two_soas)
{
	static const char *const up[] = {
		"example.org. 300 IN SOA ns1.example.org. "
		"hostmaster.example.org. 5 3600 900 604800 300",
		"example.org. 300 IN SOA ns1.example.org. "
		"hostmaster.example.org. 7 3600 900 604800 300",
		"new.example.org. 300 IN A 192.0.2.99",
	};
	struct auth_db		*db = db_of(ZONE_HEAD);
	struct dns_tsig_key		*k;
	struct auth_req		 req;
	struct auth_zone	*nz = NULL;
	struct buf		 q, out, sum;
	struct err		 err;

	k = dns_tsig_key_parse("up._update.example.org:hmac-sha256:" SECRET,
	    &err);
	ck_assert_ptr_nonnull(k);
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&sum, 65535);
	make_update(NULL, up, 3, k, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_UPDATE);
	ck_assert_int_eq(auth_update(&req, AUTH_SERIAL_INCREMENT, 0, &nz, &sum,
	    &err), LDNS_RCODE_NOERROR);
	ck_assert_ptr_nonnull(nz);
	ck_assert_uint_eq(auth_zone_serial(nz), 7);
	auth_zone_free(nz);
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&sum);
	auth_db_free(db);
}
END_TEST

TCase *
zone_limits_tcase(void)
{
	TCase	*tc = tcase_create("limits");

	tcase_add_loop_test(tc, test_xfr_cursor, 0, 2);
	tcase_add_test(tc, test_update_two_soas);
	return tc;
}
