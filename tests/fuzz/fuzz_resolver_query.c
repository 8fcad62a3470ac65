/*
 * fuzz_resolver_query.c: the bytes timbre-resolverd reads from the
 * network: a client's query (res_req_parse, then res_reply building
 * the answer to it at a small size so truncation runs too) and an
 * upstream server's answer (res_query_answer), fed to a query that asked
 * the root hints' server with the input's own ID so most inputs reach the
 * referral, answer and denial code.  Inputs whose last byte is odd go to
 * a validating resolver (a made-up root anchor, 0x20 on), so the DNSKEY,
 * DS, denial and case checks see hostile records too.
 */
#include <stdint.h>
#include <stdlib.h>

#include "resolver/resolver.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char hints[] =
    ". 3600000 NS a.root.test.\n"
    "a.root.test. 3600000 A 127.0.0.2\n";
static const char anchor[] =
    ". 3600 IN DS 20326 8 2 "
    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";

/* Fixed "random" bits: the 0x20 checks run, reproducibly. */
static uint32_t
fuzz_random(void *arg)
{
	(void)arg;
	return 0x0f0f0f0f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct res_resolver	*rs[2];
	struct res_resolver		*r;
	struct res_conf		 conf = { 0 };
	struct res_request		 rq;
	struct res_query		*q;
	struct res_req			 req;
	struct err			 err;
	uint8_t				*wire;
	size_t				 len;
	uint16_t			 id;
	int				 i;

	if (res_req_parse(data, size, &req) == 0 &&
	    res_reply(&req, NULL, req.rcode ? req.rcode : 2, 64, &wire,
	    &len, &err) == 0)
		free(wire);
	if (rs[0] == NULL) {
		conf.cache_bytes = 1 << 20;
		conf.max_ttl = 86400;
		conf.neg_max_ttl = 3600;
		conf.hints = hints;
		conf.qname_minimisation = true;
		if ((rs[0] = res_resolver_new(&conf, &err)) == NULL)
			abort();
		conf.dnssec = true;
		conf.anchors = anchor;
		conf.random = fuzz_random;
		if ((rs[1] = res_resolver_new(&conf, &err)) == NULL)
			abort();
	}
	r = rs[size > 0 && (data[size - 1] & 1)];
	res_resolver_flush(r);
	id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	if ((q = res_query_new(r, "www.example.test", DNS_T_A, 1000,
	    &err)) == NULL)
		return 0;
	/* The same bytes answer each question asked, a few times over. */
	for (i = 0; i < 4; i++) {
		if (res_query_next(q, 1000, id, &rq) != RES_SEND)
			break;
		res_query_answer(q, data, size, 10, 1000);
	}
	if (req.rcode == 0 && req.qname[0] != '\0' &&
	    res_reply(&req, q, 0, 512, &wire, &len, &err) == 0)
		free(wire);
	res_query_free(q);
	return 0;
}
