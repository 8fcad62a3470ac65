/*
 * msgcache.c: whole answers in wire form, the resolver's fast path for a
 * question asked again (the RRset cache of cache.c stays the truth; this
 * keeps what was built from it).  An entry is the answer res_reply
 * built, the offsets of its TTL fields and the time it was built: a hit
 * copies it, puts in the client's ID, RD bit and question (its case, RFC
 * 4343 section 4.1), and counts every TTL down by the time elapsed (RFC
 * 1035 section 7.4); an answer larger than the client takes becomes the
 * header and question with TC=1.  The entry lives no longer than its
 * smallest TTL, so nothing is served past what its records allow.
 * Bounded in bytes, least recently used out first; chains keyed by
 * dns_hash under a seed drawn when the table is made.
 */
#include <stdlib.h>
#include <string.h>

#include "resolver/res_priv.h"

#define MC_BUCKETS	16384
#define MC_MAX_TTLS	64	/* TTL fields patched per answer */

struct mc_entry {
	struct mc_entry	*next;			/* hash chain */
	struct mc_entry	*prev_lru, *next_lru;
	uint32_t	 hash;
	uint8_t		 key[255 + 5];		/* lower-case name, type, flags */
	size_t		 keylen;
	time_t		 built, expire;
	uint16_t	 ttl_off[MC_MAX_TTLS];
	uint32_t	 ttl[MC_MAX_TTLS];
	size_t		 nttl;
	size_t		 qoff;			/* the question's name */
	size_t		 len;
	uint8_t		*wire;
};

struct res_msgcache {
	struct mc_entry	*buckets[MC_BUCKETS];
	struct mc_entry	 lru;			/* sentinel */
	size_t		 bytes, max_bytes;
	uint64_t	 entries, hits;
	uint64_t	 seed;			/* of dns_hash */
};

/* An entry and its answer's copy, as malloc holds them. */
static size_t
mc_cost(size_t len)
{
	return res_malloc_cost(sizeof(struct mc_entry)) + res_malloc_cost(len);
}

static size_t
make_key(const struct res_req *req, uint8_t *key)
{
	size_t	i, n = req->qwire_len;

	for (i = 0; i < n; i++)
		key[i] = (req->qwire[i] >= 'A' && req->qwire[i] <= 'Z') ?
		    (uint8_t)(req->qwire[i] + 'a' - 'A') : req->qwire[i];
	key[n++] = (uint8_t)(req->qtype >> 8);
	key[n++] = (uint8_t)req->qtype;
	key[n++] = (uint8_t)(req->edns | req->do_bit << 1 | req->cd << 2 |
	    req->ad << 3);
	return n;
}

struct res_msgcache *
res_msgcache_new(size_t max_bytes, uint64_t seed)
{
	struct res_msgcache	*mc;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return NULL;
	mc->lru.next_lru = mc->lru.prev_lru = &mc->lru;
	mc->max_bytes = max_bytes;
	mc->seed = seed;
	return mc;
}

static void
mc_remove(struct res_msgcache *mc, struct mc_entry *e)
{
	struct mc_entry	**pp;

	for (pp = &mc->buckets[e->hash % MC_BUCKETS]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	e->prev_lru->next_lru = e->next_lru;
	e->next_lru->prev_lru = e->prev_lru;
	mc->bytes -= mc_cost(e->len);
	mc->entries--;
	free(e->wire);
	free(e);
}

void
res_msgcache_free(struct res_msgcache *mc)
{
	if (mc == NULL)
		return;
	while (mc->lru.next_lru != &mc->lru)
		mc_remove(mc, mc->lru.next_lru);
	free(mc);
}

static struct mc_entry *
mc_find(struct res_msgcache *mc, const uint8_t *key, size_t keylen,
    uint32_t h)
{
	struct mc_entry	*e;

	for (e = mc->buckets[h % MC_BUCKETS]; e != NULL; e = e->next)
		if (e->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

/*
 * Reads the answer's records: TTL offsets and the smallest TTL.  Its
 * question must be qlen octets of name, the length of the client's, so
 * that a hit can write the client's over it (and truncated() read the
 * type and class after it) without a check.
 */
static int
walk(struct mc_entry *e, size_t qlen, uint32_t *min_out)
{
	const uint8_t		*w = e->wire;
	size_t			 off = DNS_WIRE_HDR, i, n, len = e->len;
	uint32_t		 min = UINT32_MAX;
	struct dns_wire_rr	 rr;

	if (len < DNS_WIRE_HDR || dns_wire_peek16(w + 4) != 1)
		return -1;
	e->qoff = off;
	/* The question: uncompressed, as res_reply writes it. */
	if (dns_wire_question_skip(w, len, &off, 0) == -1 ||
	    off - 4 - e->qoff != qlen)
		return -1;
	n = (size_t)dns_wire_peek16(w + 6) + dns_wire_peek16(w + 8) +
	    dns_wire_peek16(w + 10);
	for (i = 0; i < n; i++) {
		if (dns_wire_rr_skip(w, len, &off, &rr) == -1)
			return -1;
		if (rr.type == LDNS_RR_TYPE_OPT)
			continue;
		if (e->nttl == MC_MAX_TTLS)
			return -1;
		e->ttl_off[e->nttl] = (uint16_t)(rr.fixed + 4);
		e->ttl[e->nttl++] = rr.ttl;
		if (rr.ttl < min)
			min = rr.ttl;
	}
	*min_out = min;
	return 0;
}

void
res_msgcache_put(struct res_msgcache *mc, const struct res_req *req,
    const uint8_t *wire, size_t len, time_t now)
{
	struct mc_entry	*e, *old;
	uint32_t	 min;
	int		 rcode;

	if (len < 12 || len > 65535 || req->qwire_len == 0 ||
	    (wire[2] & 0x02) != 0)
		return;
	rcode = wire[3] & 0x0f;
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
		return;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	if ((e->wire = malloc(len)) == NULL) {
		free(e);
		return;
	}
	memcpy(e->wire, wire, len);
	e->len = len;
	if (walk(e, req->qwire_len, &min) == -1 || min == 0 ||
	    min == UINT32_MAX) {
		free(e->wire);
		free(e);
		return;
	}
	e->keylen = make_key(req, e->key);
	e->hash = dns_hash(mc->seed, e->key, e->keylen);
	e->built = now;
	e->expire = now + min;
	if ((old = mc_find(mc, e->key, e->keylen, e->hash)) != NULL)
		mc_remove(mc, old);
	e->next = mc->buckets[e->hash % MC_BUCKETS];
	mc->buckets[e->hash % MC_BUCKETS] = e;
	e->next_lru = mc->lru.next_lru;
	e->prev_lru = &mc->lru;
	mc->lru.next_lru->prev_lru = e;
	mc->lru.next_lru = e;
	mc->bytes += mc_cost(len);
	mc->entries++;
	while (mc->bytes > mc->max_bytes && mc->lru.prev_lru != e)
		mc_remove(mc, mc->lru.prev_lru);
}

/*
 * The answer does not fit: header and question with TC=1 (RFC 2181
 * section 9), and an OPT record when the client sent one.
 */
static int
truncated(struct res_msgcache *mc, const struct mc_entry *e,
    const struct res_req *req, uint8_t *buf, size_t size, size_t *len_out)
{
	size_t	n = 12 + req->qwire_len + 4;

	if (n + (req->edns ? 11 : 0) > size)
		return -1;
	buf[0] = (uint8_t)(req->id >> 8);
	buf[1] = (uint8_t)req->id;
	buf[2] = (uint8_t)((e->wire[2] & ~0x01) | 0x02 | (req->rd ? 1 : 0));
	buf[3] = (uint8_t)(e->wire[3] & ~0x20);		/* no AD */
	memset(buf + 4, 0, 8);
	buf[5] = 1;
	memcpy(buf + 12, req->qwire, req->qwire_len);
	memcpy(buf + 12 + req->qwire_len, e->wire + e->qoff +
	    req->qwire_len, 4);
	if (req->edns) {
		static const uint8_t opt[11] = { 0, 0, 41, 1232 >> 8,
		    1232 & 0xff, 0, 0, 0, 0, 0, 0 };

		memcpy(buf + n, opt, sizeof(opt));
		if (req->do_bit)
			buf[n + 7] = 0x80;
		buf[11] = 1;
		n += sizeof(opt);
	}
	mc->hits++;
	*len_out = n;
	return 0;
}

int
res_msgcache_get(struct res_msgcache *mc, const struct res_req *req,
    time_t now, uint8_t *buf, size_t size, size_t *len_out)
{
	struct mc_entry	*e;
	uint8_t		 key[255 + 5];
	size_t		 keylen, i;
	uint32_t	 h, ttl, age;

	if (req->qwire_len == 0)
		return -1;
	keylen = make_key(req, key);
	h = dns_hash(mc->seed, key, keylen);
	if ((e = mc_find(mc, key, keylen, h)) == NULL)
		return -1;
	if (e->expire <= now) {
		mc_remove(mc, e);
		return -1;
	}
	if (e->len > size)
		return truncated(mc, e, req, buf, size, len_out);
	memcpy(buf, e->wire, e->len);
	buf[0] = (uint8_t)(req->id >> 8);
	buf[1] = (uint8_t)req->id;
	buf[2] = (uint8_t)((buf[2] & ~0x01) | (req->rd ? 0x01 : 0));
	memcpy(buf + e->qoff, req->qwire, req->qwire_len);
	age = now > e->built ? (uint32_t)(now - e->built) : 0;
	for (i = 0; i < e->nttl; i++) {
		ttl = e->ttl[i] > age ? e->ttl[i] - age : 0;
		buf[e->ttl_off[i]] = (uint8_t)(ttl >> 24);
		buf[e->ttl_off[i] + 1] = (uint8_t)(ttl >> 16);
		buf[e->ttl_off[i] + 2] = (uint8_t)(ttl >> 8);
		buf[e->ttl_off[i] + 3] = (uint8_t)ttl;
	}
	/* Most recently used first. */
	e->prev_lru->next_lru = e->next_lru;
	e->next_lru->prev_lru = e->prev_lru;
	e->next_lru = mc->lru.next_lru;
	e->prev_lru = &mc->lru;
	mc->lru.next_lru->prev_lru = e;
	mc->lru.next_lru = e;
	mc->hits++;
	*len_out = e->len;
	return 0;
}

void
res_msgcache_usage(const struct res_msgcache *mc, uint64_t *entries,
    uint64_t *hits)
{
	*entries = mc->entries;
	*hits = mc->hits;
}
