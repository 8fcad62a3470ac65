/*
 * wire.c: names, questions and records of DNS messages in wire form, read
 * without trusting a length (RFC 1035 sections 2.3.4, 3.1, 4.1.2 to 4.1.4;
 * label types other than 00 and 11 are refused, RFC 6891 section 5), and
 * the seeded hash of the tables keyed by names.  dns.h gives the
 * contracts; tests/unit/dns/test_wire.c and tests/fuzz/fuzz_dns_wire.c
 * check them.
 */
#include <string.h>

#include "dns/dns.h"

#define LABEL_TYPE	0xc0
#define LABEL_PTR	0xc0

int
dns_wire_name_skip(const uint8_t *p, size_t len, size_t *off, int flags)
{
	size_t	o = *off, n = 0;
	uint8_t	l;

	for (;;) {
		if (o >= len)
			return -1;
		l = p[o];
		if ((l & LABEL_TYPE) == LABEL_PTR) {
			/* At least the root label is at the target. */
			if (!(flags & DNS_WIRE_PTR) || len - o < 2 ||
			    n + 1 > DNS_WIRE_NAME_MAX)
				return -1;
			*off = o + 2;
			return 0;
		}
		if ((l & LABEL_TYPE) != 0)
			return -1;
		n += 1 + (size_t)l;
		if (n > DNS_WIRE_NAME_MAX)
			return -1;
		o += 1 + (size_t)l;
		if (l == 0) {
			*off = o;
			return 0;
		}
	}
}

size_t
dns_wire_name_copy(const uint8_t *p, size_t len, size_t *off, uint8_t *out,
    size_t size, int flags)
{
	size_t	o = *off, lim = *off, end = 0, n = 0, i;
	uint8_t	l, c;

	if (size > DNS_WIRE_NAME_MAX)
		size = DNS_WIRE_NAME_MAX;
	for (;;) {
		if (o >= len)
			return 0;
		l = p[o];
		if ((l & LABEL_TYPE) == LABEL_PTR) {
			if (!(flags & DNS_WIRE_PTR) || len - o < 2)
				return 0;
			/* Strictly backwards of all read so far: each jump
			 * lowers lim, so the walk ends. */
			if (end == 0)
				end = o + 2;
			o = (size_t)(l & ~LABEL_TYPE) << 8 | p[o + 1];
			if (o >= lim || o < DNS_WIRE_HDR)
				return 0;	/* forward, or into the header */
			lim = o;
			continue;
		}
		if ((l & LABEL_TYPE) != 0 || (size_t)l > len - o - 1 ||
		    (size_t)l + 1 > size - n)
			return 0;
		out[n++] = l;
		if (l == 0)
			break;
		if (flags & DNS_WIRE_LOWER)
			for (i = 1; i <= l; i++) {
				c = p[o + i];
				out[n++] = c >= 'A' && c <= 'Z' ? c + 32 : c;
			}
		else {
			memcpy(out + n, p + o + 1, l);
			n += l;
		}
		o += 1 + (size_t)l;
	}
	*off = end != 0 ? end : o + 1;
	return n;
}

int
dns_wire_question_skip(const uint8_t *p, size_t len, size_t *off, int flags)
{
	size_t	o = *off;

	if (dns_wire_name_skip(p, len, &o, flags) == -1 ||
	    dns_wire_skip(len, &o, 4) == -1)
		return -1;
	*off = o;
	return 0;
}

int
dns_wire_rr_skip(const uint8_t *p, size_t len, size_t *off,
    struct dns_wire_rr *rr_out)
{
	struct dns_wire_rr	rr;
	size_t			o = *off;

	rr.owner = o;
	if (dns_wire_name_skip(p, len, &o, DNS_WIRE_PTR) == -1 ||
	    !dns_wire_need(len, o, 10))
		return -1;
	rr.fixed = o;
	rr.type = dns_wire_peek16(p + o);
	rr.class = dns_wire_peek16(p + o + 2);
	rr.ttl = dns_wire_peek32(p + o + 4);
	rr.rdlen = dns_wire_peek16(p + o + 8);
	rr.rdata = o + 10;
	if (!dns_wire_need(len, rr.rdata, rr.rdlen))
		return -1;
	*off = rr.rdata + rr.rdlen;
	if (rr_out != NULL)
		*rr_out = rr;
	return 0;
}

/*
 * The hash.  What the tables need: speed on names of 10 to 60 octets (the
 * reply cache hashes every UDP query), and no collisions that can be
 * aimed at without the seed, since a flood of keys that share a bucket
 * turns each look-up into a walk of a long chain.  A keyed PRF (SipHash)
 * is the thorough answer, but it would be cryptography written by hand
 * here, and OpenSSL's costs a context per call; so a seeded mix, not a
 * PRF: the state starts from the seed and the length, takes 8 octets at
 * a time (the last ones padded with zeros) by a 64 x 64 -> 128-bit
 * multiplication of state-and-input by a seeded multiplier, its halves
 * folded by XOR, and ends with one more such multiplication.  Since the
 * input is multiplied together with the unknown state (not mixed on its
 * own and then added, as in MurmurHash, whose collisions hold for every
 * seed), and the carries of a product depend on all its bits, no input
 * difference is known to pass a round with certainty whatever the seed.
 * One multiplication per 8 octets is cheaper than FNV-1a's one per octet.
 * The constants are the fractional parts of the golden ratio and of the
 * square roots of 2, 3 and 5.
 */
#define HASH_K0		0x9e3779b97f4a7c15ULL
#define HASH_K1		0x6a09e667f3bcc909ULL
#define HASH_K2		0xbb67ae8584caa73bULL
#define HASH_K3		0x3c6ef372fe94f82bULL

/* The 128-bit product of a and b, its two halves XORed. */
static inline uint64_t
hash_mix(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128	r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t	al = (uint32_t)a, ah = a >> 32;
	uint64_t	bl = (uint32_t)b, bh = b >> 32;
	uint64_t	ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t	mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

	return ((mid << 32) | (uint32_t)ll) ^
	    (hh + (lh >> 32) + (hl >> 32) + (mid >> 32));
#endif
}

uint32_t
dns_hash(uint64_t seed, const void *p, size_t len)
{
	const uint8_t	*s = p;
	uint64_t	 h, m, w;

	m = seed ^ HASH_K2;
	h = hash_mix(seed ^ HASH_K0, (uint64_t)len ^ HASH_K1);
	while (len >= 8) {
		memcpy(&w, s, 8);
		h = hash_mix(h ^ w, m);
		s += 8;
		len -= 8;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		h = hash_mix(h ^ w, m);
	}
	h = hash_mix(h ^ seed, HASH_K3);
	return (uint32_t)(h ^ (h >> 32));
}
