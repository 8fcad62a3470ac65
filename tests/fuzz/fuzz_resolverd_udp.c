/*
 * fuzz_resolverd_udp.c: timbre-resolverd's UDP path, bytes in, bytes out,
 * message cache included: the steps client_query() and reply() in
 * daemons/resolverd/server.c take for a datagram (res_req_parse, an
 * error answer, a CHAOS answer, res_msgcache_get, else the engine, then
 * res_reply at the TCP size for res_msgcache_put and again at the
 * client's size), with the upstream servers answered from the input.
 *
 * The input: two octets giving the length of the client's datagram, the
 * datagram, then what answers each upstream question: two octets of
 * flags, three counts (answer, authority, additional) and the records,
 * after the header and question of the engine's own query (its ID, its
 * question), so that the records reach the referral, answer, denial and
 * validation code.  Inputs whose last octet is odd go to a validating
 * engine.  The datagram is then asked again, answered by the message
 * cache when it kept the answer: ldns must read every answer built, and a
 * cached one must carry the client's ID and question.  Answers are copied
 * to buffers of their exact size, cache hits written into one of the
 * client's size, so that the sanitizers see any access past them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "resolver/resolver.h"
#include "dns/dns.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW		1700000000
#define TCP_MAX		65535
#define UDP_MAX		1232
#define MAX_SENDS	6

static const char hints[] =
    ". 3600000 NS a.root.test.\n"
    "a.root.test. 3600000 A 127.0.0.2\n";
static const char anchor[] =
    ". 3600 IN DS 20326 8 2 "
    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";

static uint32_t
fuzz_random(void *arg)
{
	(void)arg;
	return 0x0f0f0f0f;
}

/* ldns reads the answer, which answers req; then it is freed. */
static void
check_answer(const struct res_req *req, uint8_t *wire, size_t len,
    int cached)
{
	ldns_pkt	*pkt = NULL;
	uint8_t		*copy;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, wire, len);
	if (ldns_wire2pkt(&pkt, copy, len) != LDNS_STATUS_OK)
		abort();
	if (cached && (ldns_pkt_id(pkt) != req->id ||
	    ldns_pkt_qdcount(pkt) != 1 || len < 12 + req->qwire_len ||
	    memcmp(copy + 12, req->qwire, req->qwire_len) != 0))
		abort();
	ldns_pkt_free(pkt);
	free(copy);
}

/* The upstream answer to the engine's query rq, from the input's bytes. */
static void
answer(struct res_query *q, const struct res_request *rq,
    const uint8_t *up, size_t uplen)
{
	uint8_t	*a;
	size_t	 qend = DNS_WIRE_HDR, n;

	if (rq->len < DNS_WIRE_HDR || dns_wire_question_skip(rq->wire,
	    rq->len, &qend, 0) == -1)
		abort();		/* the engine's own query */
	n = uplen > 8 ? uplen - 8 : 0;
	if ((a = malloc(qend + n)) == NULL)
		return;
	memcpy(a, rq->wire, qend);
	memset(a + 2, 0, 10);
	a[2] = 0x80 | (uplen > 0 ? up[0] & 0x07 : 0);	/* QR, AA TC RD */
	a[3] = uplen > 1 ? up[1] : 0;
	a[5] = 1;
	if (uplen >= 8)
		memcpy(a + 6, up + 2, 6);
	if (n > 0)
		memcpy(a + qend, up + 8, n);
	res_query_answer(q, a, qend + n, 10, NOW);
	free(a);
}

/* client_query(): 1 if the answer came from the message cache. */
static int
client(struct res_resolver *r, struct res_msgcache *mc, const uint8_t *dg,
    size_t dglen, const uint8_t *up, size_t uplen)
{
	static const char *const	 txt[] = { "timbre", "1" };
	struct res_req			 req;
	struct res_request		 rq;
	struct res_query		*q;
	struct err			 err;
	uint8_t				*wire, *buf;
	size_t				 len, max;
	int				 i;

	if (res_req_parse(dg, dglen, &req) == -1)
		return 0;
	max = req.udp_size < UDP_MAX ? req.udp_size : UDP_MAX;
	if (req.rcode != 0) {
		if (res_reply(&req, NULL, req.rcode, max, &wire, &len,
		    &err) == 0) {
			check_answer(&req, wire, len, 0);
			free(wire);
		}
		return 0;
	}
	if (req.qclass == LDNS_RR_CLASS_CH) {
		if (res_req_chaos(&req) != RES_CHAOS_NONE &&
		    res_chaos_reply(&req, txt, 2, max, &wire, &len,
		    &err) == 0) {
			check_answer(&req, wire, len, 0);
			free(wire);
		}
		return 0;
	}
	if ((buf = malloc(max)) == NULL)
		return 0;
	if (res_msgcache_get(mc, &req, NOW, buf, max, &len) == 0) {
		if (len > max)
			abort();
		check_answer(&req, buf, len, 1);
		free(buf);
		return 1;
	}
	free(buf);
	if ((q = res_query_new(r, req.qname, req.qtype, NOW,
	    &err)) == NULL)
		return 0;
	for (i = 0; i < MAX_SENDS; i++) {
		if (res_query_next(q, NOW, 0x1234, &rq) != RES_SEND)
			break;
		answer(q, &rq, up, uplen);
	}
	if (i < MAX_SENDS && res_reply(&req, q, 0, TCP_MAX, &wire, &len,
	    &err) == 0) {
		check_answer(&req, wire, len, 0);
		res_msgcache_put(mc, &req, wire, len, NOW);
		if (len > max) {
			free(wire);
			if (res_reply(&req, q, 0, max, &wire, &len,
			    &err) == 0)
				check_answer(&req, wire, len, 0);
			else
				wire = NULL;
		}
		free(wire);
	}
	res_query_free(q);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct res_resolver	*rs[2];
	struct res_conf		 conf = { 0 };
	struct res_resolver		*r;
	struct res_msgcache		*mc;
	struct err			 err;
	size_t				 dglen;

	if (rs[0] == NULL) {
		conf.cache_bytes = 1 << 20;
		conf.max_ttl = 86400;
		conf.neg_max_ttl = 3600;
		conf.hints = hints;
		conf.qname_minimisation = true;
		conf.hash_seed = 0x5eed;
		if ((rs[0] = res_resolver_new(&conf, &err)) == NULL)
			abort();
		conf.dnssec = true;
		conf.anchors = anchor;
		conf.random = fuzz_random;
		if ((rs[1] = res_resolver_new(&conf, &err)) == NULL)
			abort();
	}
	if (size < 2)
		return 0;
	dglen = (size_t)data[0] << 8 | data[1];
	if (dglen > size - 2)
		dglen = size - 2;
	r = rs[data[size - 1] & 1];
	res_resolver_flush(r);
	if ((mc = res_msgcache_new(1 << 16, 0x5eed)) == NULL)
		return 0;
	client(r, mc, data + 2, dglen, data + 2 + dglen, size - 2 - dglen);
	client(r, mc, data + 2, dglen, data + 2 + dglen, size - 2 - dglen);
	res_msgcache_free(mc);
	return 0;
}
