/*
 * replycache.c: the answers to plain UDP queries kept as wire bytes, so
 * that timbre-primaryd answers a question it has answered before by
 * copying them (docs/design.md: a fast path for the authoritative hot loop).
 *
 * An answer depends on the question (name compared without case, type,
 * class), on whether the query had EDNS and on the size limit it sets
 * (RFC 6891 section 6.2.5), and on nothing else but the ID, the RD and
 * CD bits and the letter case of the name, which auth.c echoes (RFC 1035
 * section 4.1.1; RFC 4343 section 4.1).  ldns compresses names without
 * regard to case, so every name of the answer that is the question's
 * name or one of its suffixes is a pointer into the question: writing
 * the query's own name over the question echoes its case everywhere.
 * Only queries of the simplest form are looked up (one question, no
 * other record than an OPT of version 0, no TSIG, no compression), so
 * that what ldns and dns_msg_walk would make of them is known without
 * asking them.
 *
 * The table is set-associative: a question hashes to a set of
 * CACHE_WAYS slots, and a new answer takes a free slot of its set, or
 * the one a rotating hand points at.  (Direct-mapped, a table with as
 * many slots as the zone has questions kept losing two of every five
 * answers to collisions.)  Entries and bytes are bounded; the db empties
 * it whenever the zones it serves change (auth.c).
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_priv.h"

struct cache_ent {
	uint32_t	hash;
	uint16_t	keylen;
	uint16_t	len;		/* of the answer */
	uint8_t		data[];		/* the key, then the answer */
};

#define CACHE_WAYS	4

struct auth_cache {
	struct cache_ent	**slot;
	size_t			  nslots;	/* a power of 2, >= CACHE_WAYS */
	unsigned		  hand;		/* the way a full set gives up */
	size_t			  n;
	size_t			  bytes, max_bytes;
	uint64_t		  seed;		/* of dns_hash */
};

struct auth_cache *
auth_cache_new(size_t entries, size_t max_bytes, uint64_t seed)
{
	struct auth_cache	*c;
	size_t			 n = 1;

	while ((n < entries || n < CACHE_WAYS) && n < ((size_t)1 << 30))
		n <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->slot = calloc(n, sizeof(*c->slot))) == NULL) {
		free(c);
		return NULL;
	}
	c->nslots = n;
	c->max_bytes = max_bytes;
	c->seed = seed;
	return c;
}

void
auth_cache_clear(struct auth_cache *c)
{
	size_t	i;

	if (c == NULL || c->n == 0)
		return;
	for (i = 0; i < c->nslots; i++) {
		free(c->slot[i]);
		c->slot[i] = NULL;
	}
	c->n = 0;
	c->bytes = 0;
}

void
auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	auth_cache_clear(c);
	free(c->slot);
	free(c);
}

size_t
auth_cache_count(const struct auth_cache *c)
{
	return c == NULL ? 0 : c->n;
}

size_t
auth_cache_bytes(const struct auth_cache *c)
{
	return c == NULL ? 0 : c->bytes;
}

/*
 * The key: a flags octet (1: EDNS, 2: DO), the size limit, type and
 * class (two octets each), then the name in wire form with A-Z lowered,
 * as ldns_dname_compare and auth_zone_key compare names.  The name is copied
 * by dns_wire_name_copy, which never writes more than the 255 octets of
 * room the key has for it.
 */
size_t
auth_cache_key(const uint8_t *in, size_t len, uint8_t *key_out,
    size_t *qend_out)
{
	size_t		off = DNS_WIRE_HDR, name, o, limit = 512, end;
	uint16_t	type, size, optlen;

	/* A query (QR 0), opcode QUERY, one question, no answer or
	 * authority records, at most one additional (the OPT). */
	if (len < DNS_WIRE_HDR + 1 + 4 || (in[2] & 0xf8) != 0 ||
	    in[4] != 0 || in[5] != 1 || in[6] != 0 || in[7] != 0 ||
	    in[8] != 0 || in[9] != 0 || in[10] != 0 || in[11] > 1)
		return 0;
	/* Uncompressed: a pointer is not the simplest form. */
	if ((name = dns_wire_name_copy(in, len, &off, key_out + 7,
	    AUTH_CACHE_KEY_MAX - 7, DNS_WIRE_LOWER)) == 0 ||
	    !dns_wire_need(len, off, 4))
		return 0;
	type = dns_wire_peek16(in + off);
	/* OPT and TSIG are FORMERR, transfers not plain answers. */
	if (type == LDNS_RR_TYPE_OPT || type == LDNS_RR_TYPE_TSIG ||
	    type == LDNS_RR_TYPE_IXFR || type == LDNS_RR_TYPE_AXFR)
		return 0;
	memcpy(key_out + 3, in + off, 4);
	off += 4;
	*qend_out = off;
	key_out[0] = 0;
	if (in[11] == 1) {
		/* OPT: root owner, type 41, size, extended rcode 0,
		 * version 0, flags, options that end with the message. */
		if (!dns_wire_need(len, off, 11) || in[off] != 0 ||
		    dns_wire_peek16(in + off + 1) != LDNS_RR_TYPE_OPT ||
		    in[off + 5] != 0 || in[off + 6] != 0)
			return 0;
		size = dns_wire_peek16(in + off + 3);
		if (size == 0)
			return 0;
		limit = size < 512 ? 512 : size > AUTH_UDP_MAX ?
		    AUTH_UDP_MAX : size;
		key_out[0] = 1 | ((in[off + 7] & 0x80) ? 2 : 0);
		o = off + 11;
		end = o + dns_wire_peek16(in + off + 9);
		if (end != len)
			return 0;
		/* Each option: code, length, data (RFC 6891 6.1.2). */
		while (o < end)
			if (dns_wire_skip(end, &o, 2) == -1 ||
			    dns_wire_u16(in, end, &o, &optlen) == -1 ||
			    dns_wire_skip(end, &o, optlen) == -1)
				return 0;
	} else if (off != len)
		return 0;
	key_out[1] = limit >> 8;
	key_out[2] = limit & 0xff;
	return 7 + name;
}

/* The first slot of the set of hash h. */
static size_t
cache_set(const struct auth_cache *c, uint32_t h)
{
	return (h & (c->nslots - 1)) & ~(size_t)(CACHE_WAYS - 1);
}

const uint8_t *
auth_cache_get(const struct auth_cache *c, const uint8_t *key, size_t keylen,
    size_t *len_out)
{
	const struct cache_ent	*e;
	uint32_t		 h;
	size_t			 s, w;

	if (c == NULL)
		return NULL;
	h = dns_hash(c->seed, key, keylen);
	s = cache_set(c, h);
	for (w = 0; w < CACHE_WAYS; w++) {
		e = c->slot[s + w];
		if (e != NULL && e->hash == h && e->keylen == keylen &&
		    memcmp(e->data, key, keylen) == 0) {
			*len_out = e->len;
			return e->data + keylen;
		}
	}
	return NULL;
}

void
auth_cache_put(struct auth_cache *c, const uint8_t *key, size_t keylen,
    const uint8_t *reply, size_t len)
{
	struct cache_ent	*e, **s;
	uint32_t		 h;
	size_t			 size, old, set, w;

	if (keylen > AUTH_CACHE_KEY_MAX || len > 65535)
		return;
	h = dns_hash(c->seed, key, keylen);
	set = cache_set(c, h);
	for (w = 0; w < CACHE_WAYS; w++)
		if (c->slot[set + w] == NULL || (c->slot[set + w]->hash == h &&
		    c->slot[set + w]->keylen == keylen &&
		    memcmp(c->slot[set + w]->data, key, keylen) == 0))
			break;
	if (w == CACHE_WAYS)
		w = c->hand++ % CACHE_WAYS;
	s = &c->slot[set + w];
	size = sizeof(*e) + keylen + len;
	old = *s != NULL ? sizeof(**s) + (*s)->keylen + (*s)->len : 0;
	if (c->bytes - old + size > c->max_bytes)
		return;
	if ((e = malloc(size)) == NULL)
		return;
	e->hash = h;
	e->keylen = keylen;
	e->len = len;
	memcpy(e->data, key, keylen);
	memcpy(e->data + keylen, reply, len);
	if (*s != NULL) {
		free(*s);
		c->n--;
	}
	*s = e;
	c->n++;
	c->bytes += size - old;
}
