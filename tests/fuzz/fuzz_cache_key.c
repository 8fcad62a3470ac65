/*
 * fuzz_cache_key.c: auth_cache_key (src/auth/replycache.c), the first
 * parser of every UDP query to timbre-primaryd, on any bytes, into a key of
 * exactly AUTH_CACHE_KEY_MAX octets on the heap (the overflow of issue 9 is
 * the seed crash-issue9-labels-63-63-63-61-63).  A key it returns must be
 * the question's name lower-cased, as the wire reader copies it, after
 * the flags, size and type and class, and the question must end inside
 * the message; then the key goes through a small table, put and got.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_priv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct auth_cache	*c;
	uint8_t				*key, name[DNS_WIRE_NAME_MAX];
	const uint8_t			*got;
	size_t				 klen, qend = 0, off = DNS_WIRE_HDR, nlen;
	size_t				 glen;

	if (c == NULL && (c = auth_cache_new(16, 1 << 16, 0x5eed)) == NULL)
		abort();
	if ((key = malloc(AUTH_CACHE_KEY_MAX)) == NULL)
		return 0;
	if ((klen = auth_cache_key(p, n, key, &qend)) != 0) {
		nlen = dns_wire_name_copy(p, n, &off, name, sizeof(name),
		    DNS_WIRE_LOWER);
		if (klen > AUTH_CACHE_KEY_MAX || nlen == 0 ||
		    klen != 7 + nlen || memcmp(key + 7, name, nlen) != 0 ||
		    qend != off + 4 || qend > n ||
		    memcmp(key + 3, p + off, 4) != 0)
			abort();
		auth_cache_put(c, key, klen, p, n);
		if ((got = auth_cache_get(c, key, klen, &glen)) != NULL &&
		    (glen != n || memcmp(got, p, n) != 0))
			abort();
	}
	free(key);
	return 0;
}
