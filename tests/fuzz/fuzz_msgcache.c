/*
 * fuzz_msgcache.c: the resolver's message cache (src/resolver/msgcache.c) on
 * any answer: the input is a client's query (its length in the first
 * two octets) then an answer that res_msgcache_put walks for its TTLs as
 * if res_reply had built it; res_msgcache_get then writes the cached
 * answer, or its TC=1 form, into buffers of exactly the client's size
 * and of a few smaller sizes (the sanitizers see any write past them),
 * later in time so that TTLs count down.  A hit must fit and carry the
 * client's ID and question.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/resolver.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static const size_t	 sizes[] = { 65535, 1232, 512, 40, 12 };
	struct res_msgcache	*mc;
	struct res_req		 req;
	uint8_t			*buf;
	size_t			 qlen, i, len;

	if (n < 2)
		return 0;
	qlen = (size_t)p[0] << 8 | p[1];
	if (qlen > n - 2)
		qlen = n - 2;
	if (res_req_parse(p + 2, qlen, &req) == -1 || req.rcode != 0)
		return 0;
	if ((mc = res_msgcache_new(1 << 16, 0x5eed)) == NULL)
		return 0;
	res_msgcache_put(mc, &req, p + 2 + qlen, n - 2 - qlen, NOW);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if ((buf = malloc(sizes[i])) == NULL)
			break;
		if (res_msgcache_get(mc, &req, NOW + (time_t)i, buf, sizes[i],
		    &len) == 0 && (len > sizes[i] || len < 12 +
		    req.qwire_len + 4 || buf[0] != req.id >> 8 ||
		    buf[1] != (req.id & 0xff) ||
		    memcmp(buf + 12, req.qwire, req.qwire_len) != 0))
			abort();
		free(buf);
	}
	res_msgcache_free(mc);
	return 0;
}
