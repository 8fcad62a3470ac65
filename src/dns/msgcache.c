/*
 * msgcache.c: whole answers in wire form, the resolver's fast path for a
 * question asked again (the RRset cache of cache.c stays the truth; this
 * keeps what was built from it).  An entry is the answer dns_res_reply
 * built, the offsets of its TTL fields and the time it was built: a hit
 * copies it, puts in the client's ID, RD bit and question (its case, RFC
 * 4343 section 4.1), and counts every TTL down by the time elapsed (RFC
 * 1035 section 7.4); an answer larger than the client takes becomes the
 * header and question with TC=1.  The entry lives no longer than its smallest TTL, so
 * nothing is served past what its records allow.  Bounded in bytes, least
 * recently used out first.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/res_priv.h"

#define MC_BUCKETS	16384
#define MC_MAX_TTLS	64	/* TTL fields patched per answer */
#define MC_OVERHEAD	(sizeof(struct mc_entry) + 32)

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

struct dns_msgcache {
	struct mc_entry	*buckets[MC_BUCKETS];
	struct mc_entry	 lru;			/* sentinel */
	size_t		 bytes, max_bytes;
	uint64_t	 entries, hits;
};

static size_t
make_key(const struct dns_req *req, uint8_t *key)
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

static uint32_t
key_hash(const uint8_t *k, size_t n)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

struct dns_msgcache *
dns_msgcache_new(size_t max_bytes)
{
	struct dns_msgcache	*mc;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return NULL;
	mc->lru.next_lru = mc->lru.prev_lru = &mc->lru;
	mc->max_bytes = max_bytes;
	return mc;
}

static void
mc_remove(struct dns_msgcache *mc, struct mc_entry *e)
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
	mc->bytes -= MC_OVERHEAD + e->len;
	mc->entries--;
	free(e->wire);
	free(e);
}

void
dns_msgcache_free(struct dns_msgcache *mc)
{
	if (mc == NULL)
		return;
	while (mc->lru.next_lru != &mc->lru)
		mc_remove(mc, mc->lru.next_lru);
	free(mc);
}

static struct mc_entry *
mc_find(struct dns_msgcache *mc, const uint8_t *key, size_t keylen,
    uint32_t h)
{
	struct mc_entry	*e;

	for (e = mc->buckets[h % MC_BUCKETS]; e != NULL; e = e->next)
		if (e->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

/* Reads the answer's records: TTL offsets and the smallest TTL. */
static int
walk(struct mc_entry *e, uint32_t *min_out)
{
	const uint8_t	*w = e->wire;
	size_t		 off = 12, i, n, len = e->len;
	uint32_t	 ttl, min = UINT32_MAX;
	uint16_t	 type, rdlen;

	if (len < 12 || w[4] != 0 || w[5] != 1)
		return -1;
	e->qoff = 12;
	/* The question: uncompressed, as dns_res_reply writes it. */
	while (off < len && w[off] != 0) {
		if (w[off] & 0xc0)
			return -1;
		off += 1 + w[off];
	}
	off += 1 + 4;
	n = (size_t)(w[6] << 8 | w[7]) + (size_t)(w[8] << 8 | w[9]) +
	    (size_t)(w[10] << 8 | w[11]);
	for (i = 0; i < n; i++) {
		while (off < len && w[off] != 0 && (w[off] & 0xc0) != 0xc0)
			off += 1 + w[off];
		if (off >= len)
			return -1;
		off += (w[off] & 0xc0) == 0xc0 ? 2 : 1;
		if (off + 10 > len)
			return -1;
		type = (uint16_t)(w[off] << 8 | w[off + 1]);
		rdlen = (uint16_t)(w[off + 8] << 8 | w[off + 9]);
		if (type != LDNS_RR_TYPE_OPT) {
			if (e->nttl == MC_MAX_TTLS)
				return -1;
			ttl = (uint32_t)w[off + 4] << 24 |
			    (uint32_t)w[off + 5] << 16 |
			    (uint32_t)w[off + 6] << 8 | w[off + 7];
			e->ttl_off[e->nttl] = (uint16_t)(off + 4);
			e->ttl[e->nttl++] = ttl;
			if (ttl < min)
				min = ttl;
		}
		off += 10 + (size_t)rdlen;
		if (off > len)
			return -1;
	}
	*min_out = min;
	return 0;
}

void
dns_msgcache_put(struct dns_msgcache *mc, const struct dns_req *req,
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
	if (walk(e, &min) == -1 || min == 0 || min == UINT32_MAX) {
		free(e->wire);
		free(e);
		return;
	}
	e->keylen = make_key(req, e->key);
	e->hash = key_hash(e->key, e->keylen);
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
	mc->bytes += MC_OVERHEAD + len;
	mc->entries++;
	while (mc->bytes > mc->max_bytes && mc->lru.prev_lru != e)
		mc_remove(mc, mc->lru.prev_lru);
}

/*
 * The answer does not fit: header and question with TC=1 (RFC 2181
 * section 9), and an OPT record when the client sent one.
 */
static int
truncated(struct dns_msgcache *mc, const struct mc_entry *e,
    const struct dns_req *req, uint8_t *buf, size_t size, size_t *len_out)
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
dns_msgcache_get(struct dns_msgcache *mc, const struct dns_req *req,
    time_t now, uint8_t *buf, size_t size, size_t *len_out)
{
	struct mc_entry	*e;
	uint8_t		 key[255 + 5];
	size_t		 keylen, i;
	uint32_t	 h, ttl, age;

	if (req->qwire_len == 0)
		return -1;
	keylen = make_key(req, key);
	h = key_hash(key, keylen);
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
dns_msgcache_usage(const struct dns_msgcache *mc, uint64_t *entries,
    uint64_t *hits)
{
	*entries = mc->entries;
	*hits = mc->hits;
}
