/*
 * auth_priv.h: what the files of src/auth share (zone.c, zonetext.c,
 * auth.c, update.c, replycache.c, dnssec.c) and nobody else sees but
 * their tests.
 */
#ifndef TIMBRE_AUTH_AUTH_PRIV_H
#define TIMBRE_AUTH_AUTH_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>

#include "auth/auth.h"

/*
 * One record and the line of the file it came from (0: from UPDATE).  A
 * loaded record's text is src[start..end) of its zone (below): from the
 * start of the line on which it starts (with the blanks that make it
 * inherit its owner) to where ldns stopped reading it, which may be past
 * blank lines after it.  Records from UPDATE have 0, 0.
 */
struct auth_zrr {
	ldns_rr	*rr;
	int	 line;
	size_t	 start, end;
	bool	 hidden;	/* NSEC3 or its RRSIG (dnssec.c) */
};

/*
 * A zone: records sorted by owner (canonical order), then type.  Each
 * record's owner also has a key (auth_zone_key), in kbuf from kend[i - 1]
 * (0 for the first) to kend[i], so that lookups compare with memcmp.
 */
struct auth_zone {
	atomic_int	 refs;		/* the daemon's worker shares zones */
	char		*name;		/* "example.org" */
	char		*file;		/* for messages */
	ldns_rdf	*origin;
	struct auth_zrr	*v;
	size_t		 n;
	ldns_rr		*soa;
	uint8_t		*kbuf;
	uint32_t	*kend;
	char		*src;		/* the master file, or NULL */
	size_t		 srclen;
	bool		 src_ranges;	/* v[].start, end are places in src */
	/* DNSSEC (dnssec.c), for a zone signed offline. */
	bool		 has_sigs;	/* it holds RRSIG records */
	size_t		*nsec;		/* its NSEC records, in order */
	size_t		 nnsec;
	size_t		*nsec3;		/* its NSEC3 chain, in hash order */
	size_t		 nnsec3;
	uint8_t		 n3alg;		/* the chain's parameters */
	uint16_t	 n3iter;
	uint8_t		 n3saltlen;
	uint8_t		 n3salt[255];
	/* Signed online (sign.c): the unsigned zone it was made from,
	 * which UPDATE edits and git holds (a reference); else NULL. */
	struct auth_zone *plain;
	struct auth_zone **older;	/* the versions before, for IXFR */
	size_t		 nolder;
};

/* Takes v (records and array) and checks them into a zone; on failure
 * everything is freed and err names file and line. */
struct auth_zone *auth_zone_build(const char *name, const char *file,
		    struct auth_zrr *, size_t, struct err *);
/*
 * A name's key: its labels from the right, each lower-cased (A-Z only,
 * as ldns_dname_compare) and ended by a 0 octet, octets 0 and 1 written
 * as 1 1 and 1 2.  memcmp on keys (the shorter first when one is a
 * prefix of the other) is the canonical order of RFC 4034 section 6.1,
 * and the keys of a name's ancestors are prefixes of its own.  Writes at
 * most AUTH_ZONE_KEY_MAX octets to key_out and returns their number; if
 * ends_out is not NULL, ends_out[k] (k up to the label count, at most
 * AUTH_ZONE_MAX_LABELS) is the length of the key of the name's last k
 * labels, and *nlabels_out their count.
 */
#define AUTH_ZONE_KEY_MAX	512
#define AUTH_ZONE_MAX_LABELS	128
size_t		 auth_zone_key(const ldns_rdf *, uint8_t *key_out,
		    size_t *ends_out, size_t *nlabels_out);
/* The key of record i's owner, in the zone's kbuf; its length in *len_out. */
const uint8_t	*auth_zone_rr_key(const struct auth_zone *, size_t i,
		    size_t *len_out);
/* Index of the first record whose owner is >= name. */
size_t		 auth_zone_lower(const struct auth_zone *,
		    const ldns_rdf *);
/* Does name own records, or have descendants that do?  The records of
 * an NSEC3 chain do not count: their hashed owners are no names of the
 * zone (RFC 5155 section 7.2.8). */
int		 auth_zone_name_exists(const struct auth_zone *,
		    const ldns_rdf *);
/* Records at name of type (0: any type), as [*first, *end). */
void		 auth_zone_rrset(const struct auth_zone *, const ldns_rdf *,
		    ldns_rr_type, size_t *first, size_t *end);
/* auth_zone_name_exists and auth_zone_rrset, given the name's key. */
int		 auth_zone_name_exists_key(const struct auth_zone *,
		    const uint8_t *, size_t);
void		 auth_zone_rrset_key(const struct auth_zone *,
		    const uint8_t *, size_t, ldns_rr_type, size_t *first,
		    size_t *end);

/* Does the name whose key is key own records (those of an NSEC3 chain
 * aside)? */
bool		 auth_zone_has_data_key(const struct auth_zone *,
		    const uint8_t *, size_t);

/*
 * dnssec.c: what a zone signed offline needs to be served as RFC 4035
 * section 3.1 says.  auth_dnssec_index (from auth_zone_build) marks
 * the NSEC3 records and their RRSIGs hidden and indexes the NSEC records
 * and the NSEC3 chain of the zone's NSEC3PARAM (or of its first NSEC3
 * record); -1 (err) out of memory.  auth_dnssec_free frees the index.
 * auth_nsec_find: the NSEC record whose owner is the last at or before
 * the name whose key is key (canonical order): the name's own NSEC
 * (*match_out) or the one that covers it; AUTH_ZONE_NONE without NSEC.
 * auth_nsec3_find: the same in the NSEC3 chain, for the hash of name:
 * 0 with the record's index (AUTH_ZONE_NONE without a chain), -1 (err)
 * out of memory.  auth_rrsig_covers: the type an RRSIG covers, or 0.
 */
int		 auth_dnssec_index(struct auth_zone *, struct err *);
void		 auth_dnssec_free(struct auth_zone *);
size_t		 auth_nsec_find(const struct auth_zone *, const uint8_t *key,
		    size_t len, bool *match_out);
int		 auth_nsec3_find(const struct auth_zone *, const ldns_rdf *name,
		    size_t *i_out, bool *match_out, struct err *);
ldns_rr_type	 auth_rrsig_covers(const ldns_rr *);

/*
 * The answers to plain UDP queries, as wire bytes (replycache.c), at
 * most entries (rounded up to a power of 2) holding at most max_bytes,
 * hashed under seed (dns_hash).
 * auth_cache_key writes to key_out (AUTH_CACHE_KEY_MAX octets) the key
 * of a query simple enough to be answered from the cache and returns its
 * length, with the end of the question in *qend_out; 0 for any other
 * message.  auth_cache_get returns the answer stored for key (its length
 * in *len_out), valid until the next auth_cache_put or auth_cache_clear,
 * or NULL; auth_cache_put stores one, replacing what held its slot,
 * unless that would pass max_bytes or memory is short.
 */
#define AUTH_CACHE_KEY_MAX	(7 + 255)
struct auth_cache;
struct auth_cache *auth_cache_new(size_t entries, size_t max_bytes,
		    uint64_t seed);
void		 auth_cache_free(struct auth_cache *);
void		 auth_cache_clear(struct auth_cache *);
size_t		 auth_cache_count(const struct auth_cache *);
size_t		 auth_cache_bytes(const struct auth_cache *);
size_t		 auth_cache_key(const uint8_t *, size_t, uint8_t *key_out,
		    size_t *qend_out);
const uint8_t	*auth_cache_get(const struct auth_cache *,
		    const uint8_t *key, size_t keylen, size_t *len_out);
void		 auth_cache_put(struct auth_cache *, const uint8_t *key,
		    size_t keylen, const uint8_t *, size_t);

/*
 * Walks the records of a and b, each sorted as a zone's are, comparing
 * them as auth_zone_same does: fn(arg, i, j) for a record in both,
 * fn(arg, i, AUTH_ZONE_NONE) for one only in a and fn(arg,
 * AUTH_ZONE_NONE, j) for one only in b (a record whose TTL changed is
 * both).  Returns -1 as soon as fn does, else 0.
 */
/* The master-file line of rr (ldns's presentation, absolute names, an
 * owner starting with "$" escaped), ended by eol; and rr's owner alone,
 * to start a line with. */
int	auth_zone_rr_line(struct buf *, const ldns_rr *, const char *eol,
	    struct err *);
int	auth_zone_owner_text(struct buf *, const ldns_rr *, struct err *);

#define AUTH_ZONE_NONE	((size_t)-1)
int	auth_zone_merge(const struct auth_zrr *a, size_t na,
	    const struct auth_zrr *b, size_t nb,
	    int (*fn)(void *, size_t, size_t), void *arg);


#endif
