/*
 * wire.h: the one reader of DNS messages in wire form (RFC 1035 section
 * 4.1) for the code that walks them by hand before, or instead of, ldns:
 * the reply cache of timbre-primaryd, the message walk that finds TSIG
 * and OPT records (RFC 8945, RFC 6891), the resolver's query parser and
 * its message cache.  Every read is checked against the message's
 * length; names obey RFC 1035 sections 2.3.4 and 4.1.4 (labels of at
 * most 63 octets, names of at most 255 including the root label,
 * pointers only where the caller allows them, and followed only
 * backwards, so that a loop or a forward pointer is an error); the label
 * types 01 and 10 (RFC 6891 section 5) are errors.  Also the seeded hash
 * of the tables keyed by names (dns_hash).
 *
 * Offsets are size_t, passed by address: a function advances *off past
 * what it read and returns 0 (or a length), and on error returns -1 (or
 * 0) with *off unchanged.  Nothing here allocates.
 */
#ifndef TIMBRE_DNS_WIRE_H
#define TIMBRE_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_WIRE_HDR		12	/* the header's octets */
#define DNS_WIRE_NAME_MAX	255	/* a name's octets, root included */
#define DNS_WIRE_LABEL_MAX	63

/* Flags of the name functions. */
#define DNS_WIRE_PTR	0x01	/* compression pointers allowed */
#define DNS_WIRE_LOWER	0x02	/* copy A-Z as a-z (RFC 4343 section 3) */

/*
 * The big-endian 16 and 32-bit values at p, whose octets the caller has
 * already checked are in the message (after dns_wire_need, or inside a
 * record dns_wire_rr_skip returned).
 */
static inline uint16_t
dns_wire_peek16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
dns_wire_peek32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Are n octets at off inside a message of len octets?  (No overflow.) */
static inline int
dns_wire_need(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

/* Skips n octets: 0, or -1 if fewer than n are left. */
static inline int
dns_wire_skip(size_t len, size_t *off, size_t n)
{
	if (!dns_wire_need(len, *off, n))
		return -1;
	*off += n;
	return 0;
}

/* Reads an 8, 16 or 32-bit value at *off (network order): 0, or -1 if
 * the message ends first. */
static inline int
dns_wire_u8(const uint8_t *p, size_t len, size_t *off, uint8_t *v_out)
{
	if (!dns_wire_need(len, *off, 1))
		return -1;
	*v_out = p[(*off)++];
	return 0;
}

static inline int
dns_wire_u16(const uint8_t *p, size_t len, size_t *off, uint16_t *v_out)
{
	if (!dns_wire_need(len, *off, 2))
		return -1;
	*v_out = dns_wire_peek16(p + *off);
	*off += 2;
	return 0;
}

static inline int
dns_wire_u32(const uint8_t *p, size_t len, size_t *off, uint32_t *v_out)
{
	if (!dns_wire_need(len, *off, 4))
		return -1;
	*v_out = dns_wire_peek32(p + *off);
	*off += 4;
	return 0;
}

/*
 * Skips the name at *off.  With DNS_WIRE_PTR a pointer ends it (two
 * octets, its target not read: dns_wire_name_copy follows them); without,
 * a pointer is an error.  -1 if the name is cut, has a label of another
 * type, or (the part of it here) is longer than 255 octets.
 */
int	dns_wire_name_skip(const uint8_t *, size_t len, size_t *off,
	    int flags);

/*
 * Copies the name at *off to out, at most size octets (DNS_WIRE_NAME_MAX
 * is always enough), uncompressed; with DNS_WIRE_LOWER, A-Z as a-z.  With
 * DNS_WIRE_PTR, pointers are followed, each to an offset before the part
 * of the name read so far (so no loop, no forward pointer) and past the
 * header (p is a whole message, as ldns_wire2dname wants).  Returns the
 * name's length in out (at least 1, the root label), *off past the name
 * where it is in the message; 0 on error (cut, bad label type, pointer
 * not allowed or not backwards, longer than 255 octets or than size), out
 * then holding any octets.
 */
size_t	dns_wire_name_copy(const uint8_t *, size_t len, size_t *off,
	    uint8_t *out, size_t size, int flags);

/* Skips a question (name, type and class): 0, or -1 when it is cut or
 * its name bad (flags as dns_wire_name_skip). */
int	dns_wire_question_skip(const uint8_t *, size_t len, size_t *off,
	    int flags);

/* A resource record found by dns_wire_rr_skip: offsets into the message. */
struct dns_wire_rr {
	size_t		owner;		/* the owner name */
	size_t		fixed;		/* TYPE; CLASS, TTL, RDLENGTH follow */
	size_t		rdata;		/* RDATA, rdlen octets */
	uint16_t	type, class;
	uint32_t	ttl;
	uint16_t	rdlen;
};

/* Skips a resource record (RFC 1035 section 4.1.3; owner compressed or
 * not): 0 with *rr_out filled (if not NULL), or -1 when it is cut or its
 * owner bad. */
int	dns_wire_rr_skip(const uint8_t *, size_t len, size_t *off,
	    struct dns_wire_rr *rr_out);

/*
 * The hash of the tables keyed by names (replycache.c, msgcache.c,
 * cache.c): 32 bits of len octets at p, under seed.  Each table draws its
 * seed at random when it is made, so that which keys share a bucket
 * cannot be known from outside (the choice of function: wire.c).
 */
uint32_t dns_hash(uint64_t seed, const void *p, size_t len);

#endif
