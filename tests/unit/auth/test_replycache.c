/*
 * test_replycache.c: auth_cache_key (src/auth/replycache.c), the parser
 * every UDP query to timbre-primaryd goes through before anything else reads
 * it.  Names are checked at their limits (RFC 1035 section 2.3.4: labels
 * of 63 octets, names of 255) and beyond them, into buffers of exactly
 * AUTH_CACHE_KEY_MAX octets so that the sanitizers see any write past the end,
 * and with a guard after them so that a plain build sees it too.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_zone.h"

#define GUARD		64
#define GUARD_BYTE	0xa5

/*
 * A query (ID 0x1234, RD) for the name of the given label lengths, each
 * label of 'A's (so that lower-casing shows), type A, class IN; with an
 * OPT record when edns.  Returns its length.
 */
static size_t
query_of(const size_t *labels, size_t n, int edns, uint8_t *q)
{
	static const uint8_t	 hdr[12] = { 0x12, 0x34, 0x01, 0, 0, 1,
				    0, 0, 0, 0, 0, 0 };
	static const uint8_t	 opt[11] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0,
				    0, 0 };
	size_t			 len = 12, i;

	memcpy(q, hdr, sizeof(hdr));
	for (i = 0; i < n; i++) {
		q[len++] = (uint8_t)labels[i];
		memset(q + len, 'A', labels[i]);
		len += labels[i];
	}
	q[len++] = 0;
	memcpy(q + len, "\0\1\0\1", 4);
	len += 4;
	if (edns) {
		q[11] = 1;
		memcpy(q + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	return len;
}

/*
 * The name of issue 9: 63, 63, 63 and 61 octets are 254 octets of key,
 * and a fifth label of 63 wrote 64 octets past a key of AUTH_CACHE_KEY_MAX
 * before the length was checked.  The heap buffer is exactly
 * AUTH_CACHE_KEY_MAX octets: ASan stops a write past it.
 */
START_TEST(test_cache_key_overflow)
{
	static const size_t	 labels[] = { 63, 63, 63, 61, 63 };
	uint8_t			 q[600], *key;
	size_t			 len, qend = 0;

	len = query_of(labels, 5, _i, q);
	ck_assert_ptr_nonnull(key = malloc(AUTH_CACHE_KEY_MAX));
	ck_assert_uint_eq(auth_cache_key(q, len, key, &qend), 0);
	free(key);
}
END_TEST

/* The same, and names longer still, with a guard a plain build checks. */
START_TEST(test_cache_key_guard)
{
	static const size_t	 sets[][8] = {
		{ 63, 63, 63, 61, 63 },
		{ 63, 63, 63, 63, 63, 63, 63, 63 },
		{ 63, 63, 63, 62 },
		{ 1, 63, 63, 63, 63 },
	};
	static const size_t	 nsets[] = { 5, 8, 4, 5 };
	uint8_t			 q[1024];
	uint8_t			 key[AUTH_CACHE_KEY_MAX + GUARD];
	size_t			 len, qend = 0, i;

	len = query_of(sets[_i], nsets[_i], 0, q);
	memset(key, GUARD_BYTE, sizeof(key));
	ck_assert_uint_eq(auth_cache_key(q, len, key, &qend), 0);
	for (i = AUTH_CACHE_KEY_MAX; i < sizeof(key); i++)
		ck_assert_msg(key[i] == GUARD_BYTE, "octet %zu past the key "
		    "written", i - AUTH_CACHE_KEY_MAX);
}
END_TEST

/*
 * At the limit: a name of exactly 255 octets (63, 63, 63, 61 and the
 * root) is a key of AUTH_CACHE_KEY_MAX octets, lower-cased; 256 octets (63,
 * 63, 63, 62) is refused.
 */
START_TEST(test_cache_key_limits)
{
	static const size_t	 max[] = { 63, 63, 63, 61 };
	static const size_t	 over[] = { 63, 63, 63, 62 };
	uint8_t			 q[600], *key;
	size_t			 len, qend = 0, klen, i;

	ck_assert_ptr_nonnull(key = malloc(AUTH_CACHE_KEY_MAX));
	len = query_of(max, 4, _i, q);
	klen = auth_cache_key(q, len, key, &qend);
	ck_assert_uint_eq(klen, AUTH_CACHE_KEY_MAX);
	ck_assert_uint_eq(qend, 12 + 255 + 4);
	ck_assert_uint_eq(key[0], _i ? 1 : 0);
	for (i = 7; i < klen - 1; i++)
		ck_assert(key[i] == 'a' || key[i] == q[12 + i - 7]);
	ck_assert_uint_eq(key[klen - 1], 0);
	len = query_of(over, 4, _i, q);
	ck_assert_uint_eq(auth_cache_key(q, len, key, &qend), 0);
	free(key);
}
END_TEST

/* A label of 64 octets or more, or a pointer, is not a simple query. */
START_TEST(test_cache_key_labels)
{
	static const size_t	 long_label[] = { 64 };
	uint8_t			 q[600], key[AUTH_CACHE_KEY_MAX];
	size_t			 len, qend;

	len = query_of(long_label, 1, 0, q);
	ck_assert_uint_eq(auth_cache_key(q, len, key, &qend), 0);
	q[12] = 0xc0;
	q[13] = 12;
	ck_assert_uint_eq(auth_cache_key(q, len, key, &qend), 0);
	q[12] = 0x41;
	ck_assert_uint_eq(auth_cache_key(q, len, key, &qend), 0);
}
END_TEST

/*
 * The daemon's path: with the cache made by a first answer, the query of
 * issue 9 goes through auth_cache_answer (its key on the stack) and
 * auth_handle and auth_cache_store, and is answered, never cached.
 */
START_TEST(test_cache_key_path)
{
	static const size_t	 labels[] = { 63, 63, 63, 61, 63 };
	static const char	 zone[] = "$ORIGIN example.org.\n$TTL 300\n"
				    "@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
				    "@ NS ns1\nns1 A 192.0.2.1\n";
	struct auth_db		*db = db_of(zone);
	struct auth_req		 req;
	struct buf		 q, out;
	struct err		 err;
	uint8_t			 crash[600];
	size_t			 len;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_query("ns1.example.org", LDNS_RR_TYPE_A, LDNS_PACKET_QUERY, 0, 0,
	    &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	auth_cache_store(db, &req, &out);
	auth_req_fini(&req);
	buf_reset(&out);
	ck_assert_int_eq(auth_cache_answer(db, (uint8_t *)q.data, q.len, &out,
	    &err), 1);
	len = query_of(labels, 5, _i, crash);
	buf_reset(&out);
	ck_assert_int_eq(auth_cache_answer(db, crash, len, &out, &err), 0);
	ck_assert_int_eq(auth_handle(db, crash, len, 0, NOW, &req, &out,
	    &err), 0);
	auth_cache_store(db, &req, &out);
	auth_req_fini(&req);
	buf_reset(&out);
	ck_assert_int_eq(auth_cache_answer(db, crash, len, &out, &err), 0);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

TCase *
zone_replycache_tcase(void)
{
	TCase	*tc = tcase_create("replycache");

	tcase_add_loop_test(tc, test_cache_key_overflow, 0, 2);
	tcase_add_loop_test(tc, test_cache_key_guard, 0, 4);
	tcase_add_loop_test(tc, test_cache_key_limits, 0, 2);
	tcase_add_test(tc, test_cache_key_labels);
	tcase_add_loop_test(tc, test_cache_key_path, 0, 2);
	return tc;
}
