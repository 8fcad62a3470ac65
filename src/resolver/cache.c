/*
 * cache.c: the resolver's RRset cache: entries keyed by (name, type),
 * positive RRsets with their RRSIGs or negative entries (RFC 2308
 * sections 3 and 5: NXDOMAIN under type 0, NODATA under the type, both
 * with the SOA and NSEC records that proved them), TTLs capped on entry
 * (RFC 8767's advice of at most a week; configurable), credibility
 * ranking so that glue never overrides authoritative data (RFC 2181
 * section 5.4.1), and a memory bound enforced by evicting the least
 * recently used entries.  Chains are keyed by dns_hash under a seed the
 * resolver's owner draws at random, so that names chosen to share one do
 * not make every look-up a walk of a long chain.
 */
#include <stdlib.h>
#include <string.h>

#include "resolver/res_priv.h"

#define NBUCKETS	65536

struct res_cache {
	struct res_centry	**buckets;
	struct res_centry	 lru;		/* sentinel: next is newest */
	size_t			 bytes, max_bytes;
	uint64_t		 entries;
	uint32_t		 min_ttl, max_ttl, neg_max_ttl;
	uint64_t		 seed;		/* of dns_hash */
};

/* The type and the name without case, under the table's seed. */
static uint32_t
cache_hash(const struct res_cache *c, const ldns_rdf *name, uint16_t type)
{
	const uint8_t	*p = ldns_rdf_data(name);
	uint8_t		 key[2 + DNS_WIRE_NAME_MAX], ch;
	size_t		 i, n = ldns_rdf_size(name);

	if (n > DNS_WIRE_NAME_MAX)
		n = DNS_WIRE_NAME_MAX;	/* not a name ldns makes */
	key[0] = (uint8_t)(type >> 8);
	key[1] = (uint8_t)type;
	for (i = 0; i < n; i++) {
		ch = p[i];
		key[2 + i] = ch >= 'A' && ch <= 'Z' ? ch + 'a' - 'A' : ch;
	}
	return dns_hash(c->seed, key, 2 + n);
}

size_t
res_malloc_cost(size_t n)
{
	n = (n + sizeof(size_t) + 15) & ~(size_t)15;
	return n < 32 ? 32 : n;
}

/* An rdf as ldns allocates it: the struct, then its data. */
static size_t
rdf_bytes(const ldns_rdf *rd)
{
	return rd == NULL ? 0 : res_malloc_cost(sizeof(ldns_rdf)) +
	    res_malloc_cost(ldns_rdf_size(rd));
}

/*
 * What an RRset (or any list) copied by ldns_rr_list_clone holds in
 * memory, block by block: the list and its array of pointers; each
 * record, its owner, its array of fields and each field.  A signed A
 * record is about 900 bytes so, four times its wire size.
 */
static size_t
rrs_bytes(const ldns_rr_list *l)
{
	const ldns_rr	*rr;
	size_t		 i, j, n;

	if (l == NULL)
		return 0;
	n = res_malloc_cost(sizeof(*l)) +
	    res_malloc_cost(l->_rr_capacity * sizeof(ldns_rr *));
	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		rr = ldns_rr_list_rr(l, i);
		n += res_malloc_cost(sizeof(*rr)) + rdf_bytes(ldns_rr_owner(rr));
		if (ldns_rr_rd_count(rr) > 0)
			n += res_malloc_cost(ldns_rr_rd_count(rr) *
			    sizeof(ldns_rdf *));
		for (j = 0; j < ldns_rr_rd_count(rr); j++)
			n += rdf_bytes(ldns_rr_rdf(rr, j));
	}
	return n;
}

struct res_cache *
res_cache_new(size_t max_bytes, uint32_t min_ttl, uint32_t max_ttl,
    uint32_t neg_max_ttl, uint64_t seed)
{
	struct res_cache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->buckets = calloc(NBUCKETS, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	c->lru.lru_next = c->lru.lru_prev = &c->lru;
	c->max_bytes = max_bytes;
	c->min_ttl = min_ttl;
	c->max_ttl = max_ttl;
	c->neg_max_ttl = neg_max_ttl;
	c->seed = seed;
	return c;
}

static void
entry_free(struct res_centry *e)
{
	ldns_rdf_deep_free(e->name);
	ldns_rr_list_deep_free(e->rrs);
	ldns_rr_list_deep_free(e->sigs);
	free(e);
}

/* Unlinks e from its chain and the LRU list, and frees it. */
static void
entry_remove(struct res_cache *c, struct res_centry *e)
{
	struct res_centry	**pp;

	for (pp = &c->buckets[e->hash % NBUCKETS]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	c->bytes -= e->bytes;
	c->entries--;
	entry_free(e);
}

void
res_cache_flush(struct res_cache *c)
{
	while (c->lru.lru_next != &c->lru)
		entry_remove(c, c->lru.lru_next);
}

void
res_cache_free(struct res_cache *c)
{
	if (c == NULL)
		return;
	res_cache_flush(c);
	free(c->buckets);
	free(c);
}

static struct res_centry *
cache_find(struct res_cache *c, const ldns_rdf *name, uint16_t type,
    uint32_t h)
{
	struct res_centry	*e;

	for (e = c->buckets[h % NBUCKETS]; e != NULL; e = e->next)
		if (e->hash == h && e->type == type &&
		    ldns_dname_compare(e->name, name) == 0)
			return e;
	return NULL;
}

static void
lru_front(struct res_cache *c, struct res_centry *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	e->lru_next = c->lru.lru_next;
	e->lru_prev = &c->lru;
	c->lru.lru_next->lru_prev = e;
	c->lru.lru_next = e;
}

struct res_centry *
res_cache_get(struct res_cache *c, const ldns_rdf *name, uint16_t type,
    time_t now)
{
	struct res_centry	*e;

	if ((e = cache_find(c, name, type, cache_hash(c, name, type))) == NULL)
		return NULL;
	if (e->expire <= now) {
		entry_remove(c, e);
		return NULL;
	}
	lru_front(c, e);
	return e;
}

uint32_t
res_centry_ttl(const struct res_centry *e, time_t now)
{
	return e->expire > now ? (uint32_t)(e->expire - now) : 0;
}

static uint32_t
min_ttl_of(const ldns_rr_list *l, uint32_t dflt)
{
	size_t		i;
	uint32_t	t = dflt;

	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++)
		if (i == 0 || ldns_rr_ttl(ldns_rr_list_rr(l, i)) < t)
			t = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	return t;
}

int
res_cache_put(struct res_cache *c, const ldns_rdf *name, uint16_t type,
    const ldns_rr_list *rrs, const ldns_rr_list *sigs, bool negative,
    uint32_t ttl, enum res_rank rank, enum res_sec sec, time_t until,
    time_t now)
{
	struct res_centry	*e, *old, *prev;
	uint32_t		 h;

	if (!negative)
		ttl = min_ttl_of(rrs, ttl);
	if (negative && ttl > c->neg_max_ttl)
		ttl = c->neg_max_ttl;
	if (ttl > c->max_ttl)
		ttl = c->max_ttl;
	if (ttl < c->min_ttl)
		ttl = c->min_ttl;
	/* Not past its signatures, whatever min_ttl says (RFC 4035
	 * 5.3.3). */
	if (until != 0 && until - now < (time_t)ttl)
		ttl = until > now ? (uint32_t)(until - now) : 0;
	h = cache_hash(c, name, type);
	old = cache_find(c, name, type, h);
	if (old != NULL && old->expire > now && old->rank > rank)
		return 1;
	/* Bogus data never replaces data that validated. */
	if (old != NULL && old->expire > now && old->sec == RES_SEC_SECURE &&
	    sec == RES_SEC_BOGUS)
		return 1;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	e->name = ldns_dname_clone_from(name, 0);
	e->rrs = rrs != NULL ? ldns_rr_list_clone(rrs) : ldns_rr_list_new();
	e->sigs = sigs != NULL ? ldns_rr_list_clone(sigs) : ldns_rr_list_new();
	if (e->name == NULL || e->rrs == NULL || e->sigs == NULL) {
		entry_free(e);
		return -1;
	}
	ldns_dname2canonical(e->name);
	e->type = type;
	e->negative = negative;
	e->rank = rank;
	e->sec = sec;
	e->ede = RES_EDE_NONE;
	e->expire = now + ttl;
	e->hash = h;
	e->bytes = res_malloc_cost(sizeof(*e)) + rdf_bytes(e->name) +
	    rrs_bytes(e->rrs) + rrs_bytes(e->sigs);
	if (old != NULL)
		entry_remove(c, old);
	e->next = c->buckets[h % NBUCKETS];
	c->buckets[h % NBUCKETS] = e;
	e->lru_next = c->lru.lru_next;
	e->lru_prev = &c->lru;
	c->lru.lru_next->lru_prev = e;
	c->lru.lru_next = e;
	c->bytes += e->bytes;
	c->entries++;
	/* Evict from the cold end (never e itself). */
	for (old = c->lru.lru_prev; c->bytes > c->max_bytes && old != e;
	    old = prev) {
		prev = old->lru_prev;
		entry_remove(c, old);
	}
	return 0;
}

void
res_cache_usage(const struct res_cache *c, uint64_t *entries, uint64_t *bytes)
{
	*entries = c->entries;
	*bytes = c->bytes;
}
