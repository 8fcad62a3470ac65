/*
 * fuzz_primaryd_udp.c: timbre-primaryd's UDP path, bytes in, bytes out,
 * reply cache included: the steps handle() in daemons/primaryd/server.c
 * takes for a datagram (auth_cache_answer, else auth_handle, then
 * auth_cache_store for a reply, auth_update and auth_finish for the
 * other kinds), against a zone with a key and the cache on, and two
 * zones signed offline (auth_signed.h) for the answers with DO.
 *
 * Each input goes through three times: as it came, again (the answer now
 * from the cache when it was stored), and with another ID, RD and CD
 * flipped and the letters of its first name in the other case.  Whenever
 * the cache answers, auth_handle must give the same bytes (the cache's
 * promise, RFC 1035 section 4.1.1 and RFC 4343 for what it echoes): a
 * difference aborts.  Each answer is copied into a buffer of its exact
 * size so that the sanitizers see a read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"
#include "auth_signed.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000

static const char zone[] =
    "$ORIGIN example.org.\n$TTL 300\n"
    "@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\n"
    "ns1 A 192.0.2.1\nwww A 192.0.2.2\nwww AAAA 2001:db8::2\n"
    "alias CNAME www\n*.w TXT \"x\"\nsub NS ns.sub\nns.sub A 192.0.2.3\n"
    "big TXT \"0123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"1123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"2123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"3123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"4123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"5123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"6123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"7123456789012345678901234567890123456789012345678901\"\n"
    "big TXT \"8123456789012345678901234567890123456789012345678901\"\n";
static const char keys[] =
    "k._update.example.org. DNSKEY 0 3 163 "
    "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\n";

/* handle()'s UDP path; 1 if the answer came from the cache. */
static int
udp(struct auth_db *db, const uint8_t *p, size_t n, struct buf *out)
{
	struct auth_zone	*nz;
	struct auth_req		 req;
	struct buf		 sum;
	struct err		 err;
	int			 rc;

	buf_reset(out);
	if ((rc = auth_cache_answer(db, p, n, out, &err)) != 0) {
		if (rc == -1)
			buf_reset(out);
		return rc == 1;
	}
	if (auth_handle(db, p, n, 0, NOW, &req, out, &err) == -1) {
		buf_reset(out);
		return 0;
	}
	switch (req.kind) {
	case AUTH_REPLY:
		auth_cache_store(db, &req, out);
		break;
	case AUTH_UPDATE:
		buf_init(&sum, 65535);
		nz = NULL;
		auth_update(&req, AUTH_SERIAL_INCREMENT, 0, &nz, &sum, &err);
		auth_zone_free(nz);
		buf_fini(&sum);
		/* FALLTHROUGH */
	default:
		auth_finish(&req, NOW, out, &err);
		break;
	}
	auth_req_fini(&req);
	return 0;
}

/* The answer, exactly as long as it is, read once through. */
static void
touch(const struct buf *out)
{
	uint8_t		*copy;
	unsigned	 sum = 0;
	size_t		 i;

	if (out->len == 0 || (copy = malloc(out->len)) == NULL)
		return;
	memcpy(copy, out->data, out->len);
	for (i = 0; i < out->len; i++)
		sum += copy[i];
	free(copy);
	if (sum == 0xffffffffu)
		abort();
}

/* The cache answered in: auth_handle must say the same. */
static void
same_as_handle(struct auth_db *db, const uint8_t *p, size_t n,
    const struct buf *hit)
{
	struct auth_req	 req;
	struct buf	 fresh;
	struct err	 err;

	buf_init(&fresh, 65535);
	if (auth_handle(db, p, n, 0, NOW, &req, &fresh, &err) == -1 ||
	    req.kind != AUTH_REPLY || fresh.len != hit->len ||
	    memcmp(fresh.data, hit->data, hit->len) != 0)
		abort();
	auth_req_fini(&req);
	buf_fini(&fresh);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct auth_db	*db;
	struct auth_zone	*z;
	struct dns_tsig_keys	*ks;
	struct buf		 out;
	struct err		 err;
	uint8_t			*v;
	size_t			 i, o;
	int			 pass;

	if (db == NULL) {
		db = auth_db_new(0x5eed);
		z = auth_zone_load("example.org", zone, strlen(zone),
		    "example.org", &err);
		ks = dns_tsig_keys_new();
		if (db == NULL || z == NULL || ks == NULL ||
		    dns_tsig_keys_load(ks, "_keys", keys, strlen(keys),
		    &err) == -1)
			abort();
		auth_db_add_zone(db, z, &err);
		auth_zone_free(z);
		for (i = 0; i < 2; i++) {
			z = auth_zone_load(i ? "t.example" : "s.example",
			    i ? signed_nsec : signed_nsec3,
			    strlen(i ? signed_nsec : signed_nsec3),
			    "signed", &err);
			if (z == NULL || auth_db_add_zone(db, z, &err) == -1)
				abort();
			auth_zone_free(z);
		}
		auth_db_set_keys(db, ks);
		auth_db_set_cache(db, 64, 1 << 20);
	}
	/* The variant: another ID, RD and CD flipped, the case of the
	 * letters of the uncompressed labels at 12 flipped. */
	if ((v = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(v, p, n);
	if (n >= 12) {
		v[0] ^= 0x5a;
		v[2] ^= 0x01;
		v[3] ^= 0x10;
		for (o = 12; o < n && v[o] != 0 && v[o] <= 63; o += 1 + v[o])
			for (i = o + 1; i <= o + v[o] && i < n; i++)
				if ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z')
					v[i] ^= 0x20;
	}
	buf_init(&out, 65535);
	for (pass = 0; pass < 3; pass++) {
		if (udp(db, pass < 2 ? p : v, n, &out))
			same_as_handle(db, pass < 2 ? p : v, n, &out);
		touch(&out);
	}
	buf_fini(&out);
	free(v);
	return 0;
}
