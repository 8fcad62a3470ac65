/*
 * res_priv.h: what the files of src/resolver share (cache.c, iter.c,
 * validate.c, reqreply.c, msgcache.c): the cache over ldns types and the
 * validator.
 */
#ifndef TIMBRE_RESOLVER_RES_PRIV_H
#define TIMBRE_RESOLVER_RES_PRIV_H

#include <ldns/ldns.h>

#include "resolver/resolver.h"

/*
 * Credibility (RFC 2181 section 5.4.1), lowest first: data from a lower
 * rank never replaces live data of a higher one.
 */
enum res_rank {
	RES_RANK_GLUE = 1,	/* additional section, referral glue */
	RES_RANK_REFERRAL,	/* authority section of a referral */
	RES_RANK_ANSWER,	/* authoritative answer */
};

/* One cached RRset, or a negative entry (RFC 2308). */
struct res_centry {
	struct res_centry	*next;		/* hash chain */
	struct res_centry	*lru_prev, *lru_next;
	ldns_rdf		*name;		/* lower case */
	uint16_t		 type;		/* 0: the name does not exist */
	bool			 negative;	/* NXDOMAIN (type 0) or NODATA */
	enum res_rank		 rank;
	enum res_sec		 sec;
	enum res_ede		 ede;		/* bogus: why (RFC 8914), so
						   that answers from the cache
						   say what the first one did */
	time_t			 expire;
	ldns_rr_list		*rrs;		/* the RRset; negative: the
						   authority section (SOA,
						   NSEC/NSEC3) */
	ldns_rr_list		*sigs;		/* covering RRSIGs */
	size_t			 bytes;		/* accounted size */
	uint32_t		 hash;
};

struct res_cache;

/* seed keys the hash of its chains (dns_hash); random, from the conf. */
struct res_cache *res_cache_new(size_t max_bytes, uint32_t min_ttl,
		    uint32_t max_ttl, uint32_t neg_max_ttl, uint64_t seed);
void		 res_cache_free(struct res_cache *);
void		 res_cache_flush(struct res_cache *);
/*
 * Stores copies of rrs and sigs under (name, type) with the smallest TTL
 * of rrs (negative: ttl) capped, and gone by until when not 0: the
 * earliest expiration of the signatures that validated the data (RFC
 * 4035 section 5.3.3).  An entry of a higher rank that has not expired
 * is kept: 1.  0 when stored, -1 without memory.  Evicts the least
 * recently used entries beyond the bound.
 */
int		 res_cache_put(struct res_cache *, const ldns_rdf *name,
		    uint16_t type, const ldns_rr_list *rrs,
		    const ldns_rr_list *sigs, bool negative, uint32_t ttl,
		    enum res_rank, enum res_sec, time_t until, time_t now);
/* The live entry for (name, type), or NULL.  Moves it to the LRU head. */
struct res_centry *res_cache_get(struct res_cache *, const ldns_rdf *name,
		    uint16_t type, time_t now);
void		 res_cache_usage(const struct res_cache *, uint64_t *entries,
		    uint64_t *bytes);
/*
 * What malloc takes for a block of n bytes, as glibc's allocator does:
 * n and a size word, rounded up to 16, 32 at least.  The caches count
 * their memory so, block by block, for --cache-size to bound the
 * process's size and not only the data's.
 */
size_t		 res_malloc_cost(size_t n);
/* The remaining TTL of an entry (for answers). */
uint32_t	 res_centry_ttl(const struct res_centry *, time_t now);

/*
 * validate.c.  Each returns RES_SEC_SECURE or RES_SEC_BOGUS with *ede_out
 * and a reason in err; res_val_denial and res_val_wildcard also
 * RES_SEC_INSECURE (reason in err) for NSEC3 records of more than
 * RES_VAL_NSEC3_MAX_ITER iterations (RFC 9276 section 3.2; *ede_out
 * RES_EDE_NSEC3_ITER then, which the answer carries), and
 * both for a proof resting on NSEC3 opt-out (RFC 5155 section 9.2: an
 * opt-out span may hide an unsigned delegation).  Signatures are
 * checked at now (the core's clock, not the wall clock's).  When secure,
 * *until_out (which may be NULL) is the earliest expiration of the
 * signatures that verified, past which the data must not be used (RFC
 * 4035 section 5.3.3); 0 when none were needed.
 */
#define RES_VAL_NSEC3_MAX_ITER	150
/* rrset (one RRset) against sigs (any RRSIGs, filtered here) with keys. */
enum res_sec	 res_val_rrset(const ldns_rr_list *rrset,
		    const ldns_rr_list *sigs, const ldns_rr_list *keys,
		    const ldns_rdf *zone, time_t now, time_t *until_out,
		    enum res_ede *ede_out, struct err *);
/* A DNSKEY RRset against DS records (or trusted DNSKEYs). */
enum res_sec	 res_val_dnskeys(const ldns_rr_list *dnskeys,
		    const ldns_rr_list *sigs, const ldns_rr_list *trusted,
		    time_t now, time_t *until_out, enum res_ede *ede_out,
		    struct err *);
/*
 * A denial from the authority section auth (NSEC/NSEC3 of zone and their
 * RRSIGs), signed by keys: with nxdomain, that qname does not exist (a
 * record covering it, none matching it, and none for the wildcard at its
 * closest encloser); else that it has no qtype (its own record without
 * qtype or CNAME, and no parent-side record of a zone cut but for a DS;
 * an empty non-terminal; a wildcard without qtype), or for a DS no
 * delegation proof under NSEC3 opt-out (insecure).  RFC 4035 section
 * 5.4, RFC 5155 section 8, RFC 6840 section 4.
 */
enum res_sec	 res_val_denial(const ldns_rdf *qname, uint16_t qtype,
		    bool nxdomain, const ldns_rr_list *auth,
		    const ldns_rr_list *keys, const ldns_rdf *zone, time_t now,
		    time_t *until_out, enum res_ede *ede_out, struct err *);

/*
 * An RRset at owner whose signatures sigs (already checked with
 * res_val_rrset) claim fewer labels than owner has was synthesised from a
 * wildcard: secure only when the NSEC or NSEC3 records of auth, signed by
 * keys, prove that no closer name exists (RFC 4035 section 5.3.4, RFC 5155
 * section 8.8); insecure when the NSEC3 covering the next closer name has
 * opt-out.  Not an expansion: secure.
 */
enum res_sec	 res_val_wildcard(const ldns_rdf *owner,
		    const ldns_rr_list *sigs, const ldns_rr_list *auth,
		    const ldns_rr_list *keys, const ldns_rdf *zone, time_t now,
		    time_t *until_out, enum res_ede *ede_out, struct err *);
/*
 * Whether the records of a proven denial of name's DS (auth, as cached:
 * NSEC or NSEC3 records) show name as a zone cut: its own NSEC, or the
 * NSEC3 matching its hash, has NS.  A name that signs records but is no
 * delegation of its parent is no zone (RFC 4035 section 5.2): 1 a cut,
 * 0 not, -1 without memory.
 */
int		 res_denial_shows_cut(const ldns_rr_list *auth,
		    const ldns_rdf *name);
/*
 * Whether a DS RRset has a record of an algorithm and a digest type this
 * validator supports; without one, the zone is insecure (RFC 4035 section
 * 5.2, RFC 6840 section 5.2).
 */
bool		 res_ds_usable(const ldns_rr_list *ds);

/* Pushes a copy of rr to the list: 0, or -1 (the list unchanged) without
 * memory. */
int		 res_rr_push_copy(ldns_rr_list *, const ldns_rr *);
/* The records of rrs with this owner and type (copies; caller frees);
 * NULL without memory.  res_sigs_select likewise. */
ldns_rr_list	*res_rrs_select(const ldns_rr_list *, const ldns_rdf *owner,
		    uint16_t type);
/* The RRSIGs of rrs covering type at owner (copies). */
ldns_rr_list	*res_sigs_select(const ldns_rr_list *, const ldns_rdf *owner,
		    uint16_t type);

/* The records the answer to a query carries, for reqreply.c. */
const ldns_rr_list *res_query_answer_rrs(const struct res_query *);
const ldns_rr_list *res_query_authority_rrs(const struct res_query *);

#endif
