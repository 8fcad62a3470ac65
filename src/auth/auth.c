/*
 * auth.c: the authoritative server's answers (RFC 1034 section 4.3.2):
 * AA answers, NXDOMAIN and NODATA with the SOA (RFC 2308), referrals
 * with glue, CNAME chains through the served zones (RFC 6604), wildcards
 * (RFC 4592), EDNS (RFC 6891: payload size, TC, FORMERR for a bad OPT,
 * BADVERS), minimal ANY (RFC 8482), REFUSED outside the served zones,
 * the query's case echoed; AXFR (RFC 5936) in signed messages (RFC 8945
 * section 5.3.1); IXFR (RFC 1995) from versions the daemon reads out of
 * git, differences computed by auth_zone_diff, serials compared as RFC
 * 1982 says; the checks that route NOTIFY and UPDATE to the daemon.
 * With DO (RFC 3225), a zone signed offline answers as RFC 4035 section
 * 3.1 says: RRSIGs beside their RRsets, and the NSEC or NSEC3 records
 * (RFC 5155 section 7.2) found through dnssec.c's index for denials,
 * wildcard answers and referrals without DS.
 *
 * A message is walked (dns_msg_walk) before ldns parses it, so that a TSIG
 * not last or a second OPT is FORMERR whatever ldns makes of it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define AUTH_MAX_CHAIN		8
#define AUTH_TSIG_ROOM		256	/* bytes kept for the TSIG record */
#define AUTH_AXFR_CHUNK		16000
/* An IXFR answer larger than the zone is sent as the zone instead, once
 * it has more records than this (below, it costs nothing to keep). */
#define AUTH_IXFR_SMALL		10000

struct auth_db {
	struct auth_zone	**v;
	size_t			  n;
	struct dns_tsig_keys	 *keys;
	int			  axfr_any;
	struct auth_cache	 *cache;	/* made on the first store */
	size_t			  cache_entries, cache_bytes;
	uint64_t		  hash_seed;	/* the cache's */
};

struct auth_db *
auth_db_new(uint64_t hash_seed)
{
	struct auth_db	*db;

	if ((db = calloc(1, sizeof(struct auth_db))) == NULL)
		return NULL;
	db->hash_seed = hash_seed;
	db->cache_entries = AUTH_CACHE_ENTRIES;
	db->cache_bytes = AUTH_CACHE_BYTES;
	return db;
}

void
auth_db_free(struct auth_db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		auth_zone_free(db->v[i]);
	free(db->v);
	dns_tsig_keys_free(db->keys);
	auth_cache_free(db->cache);
	free(db);
}

int
auth_db_add_zone(struct auth_db *db, struct auth_zone *z, struct err *err)
{
	struct auth_zone	**v;

	if ((v = reallocarray(db->v, db->n + 1, sizeof(*v))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	db->v = v;
	db->v[db->n++] = auth_zone_ref(z);
	auth_cache_clear(db->cache);
	return 0;
}

void
auth_db_set_keys(struct auth_db *db, struct dns_tsig_keys *ks)
{
	dns_tsig_keys_free(db->keys);
	db->keys = ks;
	auth_cache_clear(db->cache);
}

struct dns_tsig_keys *
auth_db_take_keys(struct auth_db *db)
{
	struct dns_tsig_keys	*ks = db->keys;

	db->keys = NULL;
	auth_cache_clear(db->cache);
	return ks;
}

void
auth_db_set_axfr(struct auth_db *db, int any)
{
	db->axfr_any = any;
	auth_cache_clear(db->cache);
}

struct auth_zone *
auth_db_zone(const struct auth_db *db, const char *name)
{
	size_t	i;

	for (i = 0; i < db->n; i++)
		if (strcasecmp(db->v[i]->name, name) == 0)
			return db->v[i];
	return NULL;
}

size_t
auth_db_nzones(const struct auth_db *db)
{
	return db->n;
}

struct auth_zone *
auth_db_zone_at(const struct auth_db *db, size_t i)
{
	return db->v[i];
}

void
auth_db_replace(struct auth_db *db, struct auth_zone *z)
{
	size_t	i;

	for (i = 0; i < db->n; i++)
		if (strcasecmp(db->v[i]->name, z->name) == 0) {
			auth_zone_free(db->v[i]);
			db->v[i] = z;
			auth_cache_clear(db->cache);
			return;
		}
	auth_zone_free(z);
}

void
auth_db_set_cache(struct auth_db *db, size_t entries, size_t bytes)
{
	auth_cache_free(db->cache);
	db->cache = NULL;
	db->cache_entries = entries;
	db->cache_bytes = bytes;
}

int
auth_cache_answer(const struct auth_db *db, const uint8_t *in, size_t len,
    struct buf *out, struct err *err)
{
	uint8_t		 key[AUTH_CACHE_KEY_MAX], *r;
	const uint8_t	*a;
	size_t		 keylen, qend, alen;

	if (db->cache == NULL ||
	    (keylen = auth_cache_key(in, len, key, &qend)) == 0 ||
	    (a = auth_cache_get(db->cache, key, keylen, &alen)) == NULL)
		return 0;
	if (buf_add(out, a, alen, err) == -1)
		return -1;
	/* The ID, RD and CD as query_reply copies them, the name's case. */
	r = (uint8_t *)out->data + out->len - alen;
	r[0] = in[0];
	r[1] = in[1];
	r[2] = (r[2] & ~0x01) | (in[2] & 0x01);
	r[3] = (r[3] & ~0x10) | (in[3] & 0x10);
	memcpy(r + 12, in + 12, qend - 12);
	return 1;
}

void
auth_cache_store(struct auth_db *db, const struct auth_req *req,
    const struct buf *out)
{
	uint8_t		 key[AUTH_CACHE_KEY_MAX];
	const uint8_t	*r = (const uint8_t *)out->data;
	size_t		 keylen, qend;
	int		 rcode;

	if (req->kind != AUTH_REPLY || req->tcp || req->tsig_off != 0 ||
	    req->key != NULL || db->cache_entries == 0 ||
	    (keylen = auth_cache_key(req->raw, req->rawlen, key, &qend)) == 0 ||
	    out->len < qend)
		return;
	/* Answers, NXDOMAIN and REFUSED, that repeat the question as it
	 * came: then writing a query's over it is all a hit changes. */
	rcode = r[3] & 0xf;
	if ((rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN &&
	    rcode != LDNS_RCODE_REFUSED) || r[4] != 0 || r[5] != 1 ||
	    memcmp(r + 12, req->raw + 12, qend - 12) != 0)
		return;
	if (db->cache == NULL && (db->cache = auth_cache_new(db->cache_entries,
	    db->cache_bytes, db->hash_seed)) == NULL)
		return;
	auth_cache_put(db->cache, key, keylen, r, out->len);
}

/* The deepest zone served that holds name (strictly below its apex if
 * below is set), or NULL. */
static struct auth_zone *
db_find(const struct auth_db *db, const ldns_rdf *name, bool below)
{
	struct auth_zone	*best = NULL;
	size_t			 i;

	for (i = 0; i < db->n; i++)
		if (((!below && ldns_dname_compare(db->v[i]->origin,
		    name) == 0) ||
		    ldns_dname_is_subdomain(name, db->v[i]->origin)) &&
		    (best == NULL || ldns_dname_label_count(db->v[i]->origin) >
		    ldns_dname_label_count(best->origin)))
			best = db->v[i];
	return best;
}

struct auth_zone *
auth_db_find(const struct auth_db *db, const ldns_rdf *name)
{
	return db_find(db, name, false);
}

/* The zone that answers name and type: a DS at the apex of a zone comes
 * from the parent's side of the cut when that is served too (RFC 4035
 * section 3.1.4.1). */
static const struct auth_zone *
zone_for(const struct auth_db *db, const ldns_rdf *name, ldns_rr_type type)
{
	const struct auth_zone	*z = db_find(db, name, false), *parent;

	if (z != NULL && type == LDNS_RR_TYPE_DS &&
	    ldns_dname_compare(z->origin, name) == 0 &&
	    (parent = db_find(db, name, true)) != NULL)
		return parent;
	return z;
}

/*
 * Appends rr (taken) to l; -1 if rr is NULL (a clone that failed) or
 * the list cannot grow.  An answer missing a record is never sent: the
 * builders below pass -1 up and the message is dropped (out of memory).
 */
static int
push_taken(ldns_rr_list *l, ldns_rr *rr)
{
	if (rr == NULL)
		return -1;
	if (!ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return -1;
	}
	return 0;
}

/* Appends clones of v[a..e) to the list, owned by owner if not NULL,
 * their TTLs at most ttl_max if it is not 0. */
static int
push_rrs(ldns_rr_list *l, const struct auth_zone *z, size_t a, size_t e,
    const ldns_rdf *owner, uint32_t ttl_max)
{
	ldns_rr		*rr;
	ldns_rdf	*o;

	for (; a < e; a++) {
		if ((rr = ldns_rr_clone(z->v[a].rr)) == NULL)
			return -1;
		if (owner != NULL) {
			if ((o = ldns_rdf_clone(owner)) == NULL) {
				ldns_rr_free(rr);
				return -1;
			}
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, o);
		}
		if (ttl_max != 0 && ldns_rr_ttl(rr) > ttl_max)
			ldns_rr_set_ttl(rr, ttl_max);
		if (push_taken(l, rr) == -1)
			return -1;
	}
	return 0;
}

/*
 * One answer in the making: the packet, whether the query asked for
 * DNSSEC records (its DO bit, RFC 3225), and the NSEC and NSEC3 records
 * already in the authority section, which no later proof repeats (one
 * record may cover the name and its wildcard, or serve two hops of a
 * CNAME chain).
 */
#define AUTH_MAX_PROOFS	32
struct answer {
	ldns_pkt		*p;
	bool			 dnssec;
	const struct auth_zone	*proof_zone[AUTH_MAX_PROOFS];
	size_t			 proof_rr[AUTH_MAX_PROOFS];
	size_t			 nproofs;
};

/*
 * With DO, the RRSIGs of the RRset of record i (its owner, its type),
 * after it in l, owned by owner if not NULL (a wildcard's expansion
 * keeps its signatures, whose label count tells a validator so, RFC
 * 4035 section 3.1.3.3), TTLs capped as push_rrs caps them.
 */
static int
push_sigs(const struct answer *an, ldns_rr_list *l, const struct auth_zone *z,
    size_t i, const ldns_rdf *owner, uint32_t ttl_max)
{
	ldns_rr_type	 t = ldns_rr_get_type(z->v[i].rr);
	const uint8_t	*k;
	size_t		 klen, a, e;

	if (!an->dnssec)
		return 0;
	k = auth_zone_rr_key(z, i, &klen);
	auth_zone_rrset_key(z, k, klen, LDNS_RR_TYPE_RRSIG, &a, &e);
	for (; a < e; a++)
		if (auth_rrsig_covers(z->v[a].rr) == t &&
		    push_rrs(l, z, a, a + 1, owner, ttl_max) == -1)
			return -1;
	return 0;
}

/* An RRset, v[a..e), and with DO its signatures. */
static int
push_set(const struct answer *an, ldns_rr_list *l, const struct auth_zone *z,
    size_t a, size_t e, const ldns_rdf *owner)
{
	if (a == e)
		return 0;
	if (push_rrs(l, z, a, e, owner, 0) == -1)
		return -1;
	return push_sigs(an, l, z, a, owner, 0);
}

/* The SOA of a negative answer, its TTL (and its signature's) at most
 * the SOA minimum (RFC 2308 section 3). */
static int
add_soa(const struct answer *an, const struct auth_zone *z)
{
	uint32_t	min = ldns_rdf2native_int32(ldns_rr_rdf(z->soa, 6));
	size_t		a, e;

	auth_zone_rrset(z, z->origin, LDNS_RR_TYPE_SOA, &a, &e);
	if (push_rrs(ldns_pkt_authority(an->p), z, a, e, NULL, min) == -1)
		return -1;
	return push_sigs(an, ldns_pkt_authority(an->p), z, a, NULL, min);
}

/* An NSEC or NSEC3 record (i, of z; AUTH_ZONE_NONE: none) and its
 * RRSIGs in the authority section, unless they are there already. */
static int
add_proof(struct answer *an, const struct auth_zone *z, size_t i)
{
	size_t	k;

	if (i == AUTH_ZONE_NONE)
		return 0;
	for (k = 0; k < an->nproofs; k++)
		if (an->proof_zone[k] == z && an->proof_rr[k] == i)
			return 0;
	if (an->nproofs < AUTH_MAX_PROOFS) {
		an->proof_zone[an->nproofs] = z;
		an->proof_rr[an->nproofs++] = i;
	}
	if (push_rrs(ldns_pkt_authority(an->p), z, i, i + 1, NULL, 0) == -1)
		return -1;
	return push_sigs(an, ldns_pkt_authority(an->p), z, i, NULL, 0);
}

/* Which denial a zone gives: NSEC records, else its NSEC3 chain, and
 * none without DO or when it has neither. */
static bool
uses_nsec(const struct answer *an, const struct auth_zone *z)
{
	return an->dnssec && z->nnsec > 0;
}

static bool
uses_nsec3(const struct answer *an, const struct auth_zone *z)
{
	return an->dnssec && z->nnsec == 0 && z->nnsec3 > 0;
}

/* The NSEC matching or covering the name whose key is key. */
static int
nsec_proof(struct answer *an, const struct auth_zone *z, const uint8_t *key,
    size_t len)
{
	bool	match;

	return add_proof(an, z, auth_nsec_find(z, key, len, &match));
}

/* The NSEC3 matching or covering the name of the last k labels of name
 * (it has nl), "*." before them if wild: *i_out, *match_out. */
static int
nsec3_at(const struct auth_zone *z, const ldns_rdf *name, size_t nl,
    size_t k, bool wild, size_t *i_out, bool *match_out)
{
	ldns_rdf	*n, *w = NULL;
	struct err	 err;
	int		 rc = -1;

	if ((n = ldns_dname_clone_from(name, nl - k)) == NULL)
		return -1;
	if (wild && ((w = ldns_dname_new_frm_str("*")) == NULL ||
	    ldns_dname_cat(w, n) != LDNS_STATUS_OK))
		goto done;
	rc = auth_nsec3_find(z, wild ? w : n, i_out, match_out, &err);
done:
	ldns_rdf_deep_free(w);
	ldns_rdf_deep_free(n);
	return rc;
}

/*
 * The closest encloser proof (RFC 5155 section 7.2.1) for name (nl
 * labels), from its ancestor of m labels up: the NSEC3 matching the
 * closest provable encloser (the first ancestor that has one, which
 * opt-out may put above m), the one covering the next closer name, and
 * if wild the one for the wildcard at the encloser.
 */
static int
nsec3_ce_proof(struct answer *an, const struct auth_zone *z,
    const ldns_rdf *name, size_t nl, size_t m, bool wild)
{
	size_t	zl = ldns_dname_label_count(z->origin), k = m, i;
	bool	match;

	for (;;) {
		if (nsec3_at(z, name, nl, k, false, &i, &match) == -1)
			return -1;
		if (match || k <= zl)
			break;
		k--;
	}
	if (add_proof(an, z, i) == -1)
		return -1;
	if (k < nl && (nsec3_at(z, name, nl, k + 1, false, &i, &match) == -1 ||
	    add_proof(an, z, i) == -1))
		return -1;
	if (wild && (nsec3_at(z, name, nl, k, true, &i, &match) == -1 ||
	    add_proof(an, z, i) == -1))
		return -1;
	return 0;
}

/* NODATA for name (key; nl labels), which exists (maybe empty): the SOA,
 * and the NSEC at the name or covering it (an empty non-terminal has
 * none), or the NSEC3 matching it (RFC 5155 section 7.2.3), or, for an
 * opt-out name that has none, the closest encloser proof (7.2.4). */
static int
nodata(struct answer *an, const struct auth_zone *z, const ldns_rdf *name,
    size_t nl, const uint8_t *key, size_t len)
{
	size_t	i;
	bool	match;

	if (add_soa(an, z) == -1)
		return -1;
	if (uses_nsec(an, z))
		return nsec_proof(an, z, key, len);
	if (!uses_nsec3(an, z))
		return 0;
	if (nsec3_at(z, name, nl, nl, false, &i, &match) == -1)
		return -1;
	if (match)
		return add_proof(an, z, i);
	return nsec3_ce_proof(an, z, name, nl, nl - 1, false);
}

/*
 * The delegation point at or above the name whose key is key, with nl
 * labels and ends as auth_zone_key gives them: the label count of the
 * highest ancestor below the apex (or the name) with NS records (its key
 * is key[0..ends[count])), or 0.
 */
static size_t
find_cut(const struct auth_zone *z, const uint8_t *key, const size_t *ends,
    size_t nl)
{
	size_t	zl = ldns_dname_label_count(z->origin), k, a, e;

	for (k = zl + 1; k <= nl; k++) {
		auth_zone_rrset_key(z, key, ends[k], LDNS_RR_TYPE_NS, &a, &e);
		if (a < e)
			return k;
	}
	return 0;
}

/* The referral to the cut of k labels above name (nl labels, key and
 * ends as find_cut has them): its NS, with DO its signed DS or the
 * proof that it has none (RFC 4035 section 3.1.4, RFC 5155 sections
 * 7.2.7), then the glue. */
static int
referral(struct answer *an, const struct auth_zone *z, const ldns_rdf *name,
    size_t nl, const uint8_t *key, const size_t *ends, size_t k)
{
	ldns_pkt	*p = an->p;
	ldns_rr_list	*auth = ldns_pkt_authority(p);
	size_t		 a, e, i, ga, ge, cutlen = ends[k];
	const ldns_rdf	*t;
	bool		 match;

	ldns_pkt_set_aa(p, ldns_rr_list_rr_count(ldns_pkt_answer(p)) > 0);
	auth_zone_rrset_key(z, key, cutlen, LDNS_RR_TYPE_NS, &a, &e);
	if (push_rrs(auth, z, a, e, NULL, 0) == -1)
		return -1;
	auth_zone_rrset_key(z, key, cutlen, LDNS_RR_TYPE_DS, &ga, &ge);
	if (an->dnssec && ga < ge) {
		if (push_set(an, auth, z, ga, ge, NULL) == -1)
			return -1;
	} else if (uses_nsec(an, z)) {
		if (nsec_proof(an, z, key, cutlen) == -1)
			return -1;
	} else if (uses_nsec3(an, z)) {
		if (nsec3_at(z, name, nl, k, false, &i, &match) == -1 ||
		    (match ? add_proof(an, z, i) : nsec3_ce_proof(an, z, name,
		    nl, k - 1, false)) == -1)
			return -1;
	}
	for (i = a; i < e; i++) {
		t = ldns_rr_rdf(z->v[i].rr, 0);
		if (!ldns_dname_is_subdomain(t, z->origin))
			continue;
		auth_zone_rrset(z, t, LDNS_RR_TYPE_A, &ga, &ge);
		if (push_rrs(ldns_pkt_additional(p), z, ga, ge, NULL, 0) == -1)
			return -1;
		auth_zone_rrset(z, t, LDNS_RR_TYPE_AAAA, &ga, &ge);
		if (push_rrs(ldns_pkt_additional(p), z, ga, ge, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

/*
 * Answers from the records at src (the key of the name itself or of its
 * wildcard) for name: 1 when records went in (*next_out is the CNAME
 * target to follow, or NULL when done), 0 for none of the type (NODATA,
 * nothing added), -1 out of memory.
 */
static int
answer_at(struct answer *an, const struct auth_zone *z, const uint8_t *src,
    size_t srclen, const ldns_rdf *name, ldns_rr_type qtype,
    const ldns_rdf **next_out)
{
	ldns_rr_list	*l = ldns_pkt_answer(an->p);
	size_t		 a, e;

	*next_out = NULL;
	if (qtype == LDNS_RR_TYPE_ANY) {
		/* RFC 8482 section 4.2: one RRset is enough (one of data,
		 * not signatures). */
		auth_zone_rrset_key(z, src, srclen, 0, &a, &e);
		while (a < e && (z->v[a].hidden ||
		    ldns_rr_get_type(z->v[a].rr) == LDNS_RR_TYPE_RRSIG))
			a++;
		if (a == e)
			return 0;
		auth_zone_rrset_key(z, src, srclen,
		    ldns_rr_get_type(z->v[a].rr), &a, &e);
		return push_set(an, l, z, a, e, name) == -1 ? -1 : 1;
	}
	auth_zone_rrset_key(z, src, srclen, qtype, &a, &e);
	if (a < e)
		return push_set(an, l, z, a, e, name) == -1 ? -1 : 1;
	auth_zone_rrset_key(z, src, srclen, LDNS_RR_TYPE_CNAME, &a, &e);
	if (a < e) {
		*next_out = ldns_rr_rdf(z->v[a].rr, 0);
		return push_set(an, l, z, a, e, name) == -1 ? -1 : 1;
	}
	return 0;
}

/*
 * The name (key; nl labels, ends) does not exist in z, whose closest
 * encloser of it has m labels: answered from the wildcard there if there
 * is one (RFC 4592), else NXDOMAIN.  With DO, the proofs of RFC 4035
 * section 3.1.3 (NSEC) or RFC 5155 sections 7.2.2, 7.2.5 and 7.2.6
 * (NSEC3).  As answer_at returns, 0 for a negative answer made.
 */
static int
answer_wild(struct answer *an, const struct auth_zone *z,
    const ldns_rdf *name, size_t nl, const uint8_t *key, size_t len,
    const size_t *ends, size_t m, ldns_rr_type qtype, bool first,
    const ldns_rdf **next_out)
{
	uint8_t	wild[AUTH_ZONE_KEY_MAX];
	size_t	wlen = ends[m] + 2, i;
	bool	match;
	int	rc;

	*next_out = NULL;
	memcpy(wild, key, ends[m]);
	wild[ends[m]] = '*';
	wild[ends[m] + 1] = 0;
	rc = 0;
	if (!auth_zone_has_data_key(z, wild, wlen)) {
		if (first || ldns_rr_list_rr_count(ldns_pkt_answer(an->p)) > 0)
			ldns_pkt_set_rcode(an->p, LDNS_RCODE_NXDOMAIN);
	} else if ((rc = answer_at(an, z, wild, wlen, name, qtype,
	    next_out)) == -1)
		return -1;
	if (rc == 0) {
		/* NXDOMAIN or wildcard NODATA: the name and the wildcard
		 * (which one covers, the other matches). */
		if (add_soa(an, z) == -1)
			return -1;
		if (uses_nsec(an, z))
			return nsec_proof(an, z, key, len) == -1 ||
			    nsec_proof(an, z, wild, wlen) == -1 ? -1 : 0;
		if (uses_nsec3(an, z))
			return nsec3_ce_proof(an, z, name, nl, m, true);
		return 0;
	}
	/* The name itself does not exist: NSEC covering it, or NSEC3
	 * covering the next closer name. */
	if (uses_nsec(an, z) && nsec_proof(an, z, key, len) == -1)
		return -1;
	if (uses_nsec3(an, z) && (nsec3_at(z, name, nl, m + 1, false, &i,
	    &match) == -1 || add_proof(an, z, i) == -1))
		return -1;
	return 1;
}

/*
 * The lookups work on keys (auth_zone_key): the name's is made once a hop,
 * and those of its ancestors, the cut and the closest encloser, are its
 * prefixes, so no name is copied or compared label by label.  -1: out
 * of memory, the answer incomplete.
 */
static int
answer_query(const struct auth_db *db, struct answer *an,
    const ldns_rdf *qname, ldns_rr_type qtype)
{
	ldns_pkt		*p = an->p;
	const struct auth_zone	*z;
	const ldns_rdf		*name = qname, *next;
	uint8_t			 key[AUTH_ZONE_KEY_MAX];
	size_t			 ends[AUTH_ZONE_MAX_LABELS];
	size_t			 nl, len, cut, m, hops;
	int			 rc;

	if ((z = zone_for(db, qname, qtype)) == NULL) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		return 0;
	}
	ldns_pkt_set_aa(p, 1);
	for (hops = 0; hops < AUTH_MAX_CHAIN; hops++) {
		len = auth_zone_key(name, key, ends, &nl);
		if ((cut = find_cut(z, key, ends, nl)) != 0 &&
		    !(qtype == LDNS_RR_TYPE_DS && ends[cut] == len))
			return referral(an, z, name, nl, key, ends, cut);
		if (auth_zone_has_data_key(z, key, len)) {
			if ((rc = answer_at(an, z, key, len, name, qtype,
			    &next)) == -1)
				return -1;
			if (rc == 0)
				return nodata(an, z, name, nl, key, len);
		} else if (auth_zone_name_exists_key(z, key, len))
			return nodata(an, z, name, nl, key, len); /* empty
							 * non-terminal */
		else {
			/* RFC 4592 section 3.3.1: the closest encloser,
			 * at most the apex, since the name is in the zone. */
			if (nl == 0)
				return 0;
			m = nl - 1;
			while (!auth_zone_name_exists_key(z, key, ends[m]) &&
			    m > ldns_dname_label_count(z->origin))
				m--;
			if ((rc = answer_wild(an, z, name, nl, key, len, ends,
			    m, qtype, hops == 0, &next)) <= 0)
				return rc;
		}
		if (next == NULL)
			return 0;
		if ((z = zone_for(db, next, qtype)) == NULL)
			return 0;		/* not ours: stop here */
		name = next;
	}
	return 0;
}

/* The reply to q: its ID, opcode, RD, CD and (if it has one) question
 * (for an UPDATE, the zone section). */
static ldns_pkt *
query_reply(const ldns_pkt *q)
{
	ldns_rr	*qr = NULL;

	if (ldns_pkt_qdcount(q) == 1 &&
	    ldns_rr_list_rr_count(ldns_pkt_question(q)) == 1)
		qr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0));
	return dns_reply_new(ldns_pkt_id(q), ldns_pkt_get_opcode(q),
	    ldns_pkt_rd(q), ldns_pkt_cd(q), qr);
}

/* A FORMERR or other header-only answer for a message ldns cannot use. */
static int
header_only(const uint8_t *in, uint8_t rcode, struct buf *out,
    struct err *err)
{
	uint8_t	h[12];

	memset(h, 0, sizeof(h));
	h[0] = in[0];
	h[1] = in[1];
	h[2] = 0x80 | (in[2] & 0x78);
	h[3] = rcode;
	return buf_add(out, h, sizeof(h), err);
}

/* An IXFR carries the client's SOA in the authority section (RFC 1995
 * section 3).  If the client is not behind, the answer is the current
 * SOA (section 2); else (0) the daemon looks for its version. */
static int
ixfr_start(struct auth_req *req, const ldns_pkt *q)
{
	ldns_rr		*soa = ldns_rr_list_rr(ldns_pkt_authority(q), 0);
	ldns_rdf	*sr;

	ldns_pkt_set_aa(req->reply, 1);
	if (soa == NULL || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA ||
	    ldns_dname_compare(ldns_rr_owner(soa), req->zone->origin) != 0 ||
	    (sr = ldns_rr_rdf(soa, 2)) == NULL ||
	    ldns_rdf_get_type(sr) != LDNS_RDF_TYPE_INT32) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_FORMERR);
		return -1;
	}
	req->ixfr_serial = ldns_rdf2native_int32(sr);
	if (!auth_serial_lt(req->ixfr_serial, auth_zone_serial(req->zone))) {
		/* (render counts the sections) */
		if (push_taken(ldns_pkt_answer(req->reply),
		    ldns_rr_clone(req->zone->soa)) == -1)
			ldns_pkt_set_rcode(req->reply, LDNS_RCODE_SERVFAIL);
		return -1;
	}
	req->kind = AUTH_IXFR;
	return 0;
}

/*
 * An AXFR or IXFR query (qr, its question): of a zone served, with a key
 * that may transfer it unless any client may (--axfr); an AXFR only over
 * TCP (RFC 5936 section 4.2).  0 when the daemon takes over (AUTH_AXFR,
 * AUTH_IXFR), else the answer as auth_finish renders it.
 */
static int
xfr_request(const struct auth_db *db, struct auth_req *req,
    const ldns_pkt *q, const ldns_rr *qr, int tcp, time_t now,
    struct buf *out, struct err *err)
{
	req->zone = auth_db_zone_rdf(db, ldns_rr_owner(qr));
	if (req->zone == NULL) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_NOTAUTH);
	} else if (!db->axfr_any && !dns_tsig_key_allows(req->key,
	    DNS_TSIG_OP_TRANSFER, req->zone->origin)) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_REFUSED);
	} else if (ldns_rr_get_type(qr) == LDNS_RR_TYPE_IXFR) {
		if (ixfr_start(req, q) == 0)
			return 0;
	} else if (!tcp) {
		/* AXFR needs TCP (RFC 5936). */
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_REFUSED);
		ldns_pkt_set_aa(req->reply, 1);
	} else {
		req->kind = AUTH_AXFR;
		return 0;
	}
	return auth_finish(req, now, out, err);
}

/*
 * A NOTIFY or UPDATE (opcode; qr, its question, names the zone): of a
 * zone served, by its SOA, signed with a key that may notify or update
 * it.  0 when the daemon takes over (AUTH_NOTIFY, AUTH_UPDATE), else the
 * refusal as auth_finish renders it.
 */
static int
change_request(const struct auth_db *db, struct auth_req *req, int opcode,
    const ldns_rr *qr, time_t now, struct buf *out, struct err *err)
{
	req->zone = auth_db_zone_rdf(db, ldns_rr_owner(qr));
	if (req->zone == NULL || ldns_rr_get_type(qr) != LDNS_RR_TYPE_SOA) {
		ldns_pkt_set_rcode(req->reply, req->zone == NULL ?
		    LDNS_RCODE_NOTAUTH : LDNS_RCODE_FORMERR);
		return auth_finish(req, now, out, err);
	}
	if (!dns_tsig_key_allows(req->key, opcode == LDNS_PACKET_NOTIFY ?
	    DNS_TSIG_OP_NOTIFY : DNS_TSIG_OP_UPDATE, req->zone->origin)) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_NOTAUTH);
		return auth_finish(req, now, out, err);
	}
	ldns_pkt_set_aa(req->reply, 1);
	req->kind = opcode == LDNS_PACKET_NOTIFY ? AUTH_NOTIFY : AUTH_UPDATE;
	return 0;
}

/* The work of auth_handle, which frees what req holds if this fails. */
static int
handle(const struct auth_db *db, const uint8_t *in, size_t len, int tcp,
    time_t now, struct auth_req *req, struct buf *out, struct err *err)
{
	struct dns_msg_layout	 l;
	struct answer		 an;
	struct err		 verr;
	ldns_pkt		*q = NULL;
	ldns_rr			*qr;
	ldns_rdf		*qname;
	int			 opcode;
	uint16_t		 tsig_error;
	size_t			 size;

	memset(req, 0, sizeof(*req));
	req->kind = AUTH_REPLY;
	req->tcp = tcp;
	req->raw = in;
	req->rawlen = len;
	if (len < 12 || (in[2] & 0x80))
		return 0;			/* too short, or an answer */
	opcode = (in[2] >> 3) & 0xf;
	if (dns_msg_walk(in, len, &l) == -1 || l.tsig_misplaced || l.nopt > 1 ||
	    l.opt_bad || ldns_wire2pkt(&q, in, len) != LDNS_STATUS_OK)
		return header_only(in, LDNS_RCODE_FORMERR, out, err);
	req->query = q;
	req->tsig_off = l.tsig_off;
	if ((req->reply = query_reply(q)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	req->limit = 512;
	if (ldns_pkt_edns(q)) {
		size = ldns_pkt_edns_udp_size(q);
		req->limit = size < 512 ? 512 : size > AUTH_UDP_MAX ?
		    AUTH_UDP_MAX : size;
		ldns_pkt_set_edns_udp_size(req->reply, AUTH_UDP_MAX);
		/* DO echoed (RFC 3225 section 3). */
		ldns_pkt_set_edns_do(req->reply, ldns_pkt_edns_do(q));
		if (ldns_pkt_edns_version(q) > 0) {
			ldns_pkt_set_edns_extended_rcode(req->reply, 1);
			return auth_finish(req, now, out, err);
		}
	}
	if (tcp)
		req->limit = 65535;
	if (l.tsig_off != 0) {
		if (dns_tsig_verify(db->keys, NULL, in, len, NULL, 0, now,
		    &req->key, req->mac, &req->maclen, &tsig_error,
		    &verr) == -1) {
			if (verr.code != DNS_E_MALFORMED) {
				err_set(err, verr.code, "tsig: %s", verr.msg);
				return -1;
			}
			ldns_pkt_set_rcode(req->reply, LDNS_RCODE_FORMERR);
			req->key = NULL;
			return auth_finish(req, now, out, err);
		}
		if (tsig_error != DNS_TSIG_NOERROR) {
			req->tsig_error = tsig_error;
			if (tsig_error != DNS_TSIG_BADTIME)
				req->key = NULL;
			ldns_pkt_set_rcode(req->reply, LDNS_RCODE_NOTAUTH);
			return auth_finish(req, now, out, err);
		}
	}
	if (opcode != LDNS_PACKET_QUERY && opcode != LDNS_PACKET_NOTIFY &&
	    opcode != LDNS_PACKET_UPDATE) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_NOTIMPL);
		return auth_finish(req, now, out, err);
	}
	if (ldns_pkt_qdcount(q) != 1 ||
	    (qr = ldns_rr_list_rr(ldns_pkt_question(q), 0)) == NULL) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_FORMERR);
		return auth_finish(req, now, out, err);
	}
	qname = ldns_rr_owner(qr);
	if (ldns_rr_get_class(qr) != LDNS_RR_CLASS_IN &&
	    !(opcode == LDNS_PACKET_QUERY &&
	    ldns_rr_get_class(qr) == LDNS_RR_CLASS_ANY)) {
		ldns_pkt_set_rcode(req->reply, LDNS_RCODE_REFUSED);
		return auth_finish(req, now, out, err);
	}
	if (opcode == LDNS_PACKET_QUERY) {
		switch (ldns_rr_get_type(qr)) {
		case LDNS_RR_TYPE_AXFR:
		case LDNS_RR_TYPE_IXFR:
			return xfr_request(db, req, q, qr, tcp, now, out, err);
		case LDNS_RR_TYPE_TSIG:
		case LDNS_RR_TYPE_OPT:
			ldns_pkt_set_rcode(req->reply, LDNS_RCODE_FORMERR);
			return auth_finish(req, now, out, err);
		default:
			memset(&an, 0, sizeof(an));
			an.p = req->reply;
			an.dnssec = ldns_pkt_edns_do(q);
			if (answer_query(db, &an, qname,
			    ldns_rr_get_type(qr)) == -1) {
				err_set(err, ERR_NOMEM, "out of memory");
				return -1;
			}
			return auth_finish(req, now, out, err);
		}
	}
	return change_request(db, req, opcode, qr, now, out, err);
}

/* On -1 the request holds nothing: the daemon drops the message then,
 * without auth_req_fini. */
int
auth_handle(const struct auth_db *db, const uint8_t *in, size_t len,
    int tcp, time_t now, struct auth_req *req, struct buf *out,
    struct err *err)
{
	if (handle(db, in, len, tcp, now, req, out, err) == 0)
		return 0;
	auth_req_fini(req);
	return -1;
}

struct auth_zone *
auth_db_zone_rdf(const struct auth_db *db, const ldns_rdf *name)
{
	size_t	i;

	for (i = 0; i < db->n; i++)
		if (ldns_dname_compare(db->v[i]->origin, name) == 0)
			return db->v[i];
	return NULL;
}

static int
render(ldns_pkt *p, struct buf *out, size_t limit, struct err *err)
{
	uint8_t		*wire = NULL;
	size_t		 size;
	ldns_rr_list	*empty;
	int		 pass, rc;

	for (pass = 0; pass < 3; pass++) {
		ldns_pkt_set_ancount(p,
		    ldns_rr_list_rr_count(ldns_pkt_answer(p)));
		ldns_pkt_set_nscount(p,
		    ldns_rr_list_rr_count(ldns_pkt_authority(p)));
		ldns_pkt_set_arcount(p,
		    ldns_rr_list_rr_count(ldns_pkt_additional(p)));
		if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK) {
			err_set(err, ERR_NOMEM, "cannot render the answer");
			return -1;
		}
		if (size <= limit)
			break;
		free(wire);
		wire = NULL;
		/* First the additional data goes, then (TC) everything. */
		if (pass == 0) {
			empty = ldns_rr_list_new();
			ldns_rr_list_deep_free(ldns_pkt_additional(p));
			ldns_pkt_set_additional(p, empty);
			ldns_pkt_set_arcount(p, 0);
		} else {
			empty = ldns_rr_list_new();
			ldns_rr_list_deep_free(ldns_pkt_answer(p));
			ldns_pkt_set_answer(p, empty);
			ldns_pkt_set_ancount(p, 0);
			empty = ldns_rr_list_new();
			ldns_rr_list_deep_free(ldns_pkt_authority(p));
			ldns_pkt_set_authority(p, empty);
			ldns_pkt_set_nscount(p, 0);
			ldns_pkt_set_tc(p, 1);
		}
	}
	if (wire == NULL) {
		err_set(err, ERR_LIMIT, "answer does not fit");
		return -1;
	}
	rc = buf_add(out, wire, size, err);
	free(wire);
	return rc;
}

int
auth_finish(struct auth_req *req, time_t now, struct buf *out,
    struct err *err)
{
	size_t	limit = req->limit;

	if (req->reply == NULL)
		return 0;
	if (req->tsig_off != 0)
		limit -= limit > AUTH_TSIG_ROOM ? AUTH_TSIG_ROOM : 0;
	if (render(req->reply, out, limit, err) == -1)
		return -1;
	if (req->tsig_error == 16 || req->tsig_error == 17)
		return dns_tsig_append_error(out, req->raw, req->rawlen,
		    req->tsig_off, req->tsig_error, err);
	if (req->key != NULL)
		return dns_tsig_sign(req->key, out, req->mac, req->maclen,
		    NULL, 0, now, req->tsig_error, NULL, NULL, err);
	return 0;
}

void
auth_req_fini(struct auth_req *req)
{
	ldns_pkt_free(req->query);
	ldns_pkt_free(req->reply);
	req->query = req->reply = NULL;
}

/*
 * A transfer over TCP, made one message at a time (auth.h): the records
 * are the zone's, AXFR-style (its SOA, the others, the SOA again), or a
 * list made beforehand (an IXFR's differences).  The cursor keeps what
 * it needs of the request (the query, the request's MAC, a copy of the
 * key) and a reference to the zone, so that neither the request nor the
 * db it came from has to outlive a client that reads slowly.
 */
struct auth_xfr {
	ldns_pkt		*query;
	struct auth_zone	*zone;
	struct dns_tsig_key	*key;		/* NULL: unsigned */
	uint8_t			 req_mac[64], mac[64];
	size_t			 req_maclen, maclen;
	ldns_rr_list		*all;		/* NULL: the zone's records */
	size_t			 i, n;		/* next record, records */
	int			 first;
};

void
auth_xfr_free(struct auth_xfr *x)
{
	if (x == NULL)
		return;
	ldns_pkt_free(x->query);
	auth_zone_free(x->zone);
	dns_tsig_key_free(x->key);
	ldns_rr_list_deep_free(x->all);
	free(x);
}

/* A cursor over all (taken, even on failure), or over the zone. */
static struct auth_xfr *
xfr_new(const struct auth_req *req, ldns_rr_list *all, struct err *err)
{
	struct auth_xfr	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		ldns_rr_list_deep_free(all);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	x->all = all;
	x->zone = auth_zone_ref(req->zone);
	x->first = 1;
	x->n = all != NULL ? ldns_rr_list_rr_count(all) : req->zone->n + 2;
	memcpy(x->req_mac, req->mac, req->maclen);
	x->req_maclen = req->maclen;
	if ((x->query = ldns_pkt_clone(req->query)) == NULL ||
	    (req->key != NULL &&
	    (x->key = dns_tsig_key_dup(req->key)) == NULL)) {
		auth_xfr_free(x);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return x;
}

struct auth_xfr *
auth_xfr_new(const struct auth_req *req, struct err *err)
{
	return xfr_new(req, NULL, err);
}

/* The i-th record of the transfer, or NULL for one to pass over. */
static const ldns_rr *
xfr_rr(const struct auth_xfr *x, size_t i)
{
	const struct auth_zone	*z = x->zone;

	if (x->all != NULL)
		return ldns_rr_list_rr(x->all, i);
	if (i == 0 || i == z->n + 1)
		return z->soa;
	return z->v[i - 1].rr != z->soa ? z->v[i - 1].rr : NULL;
}

int
auth_xfr_next(struct auth_xfr *x, time_t now, struct buf *out,
    struct err *err)
{
	ldns_pkt	*p;
	const ldns_rr	*rr;
	uint8_t		 prior[64];
	size_t		 bytes, plen = x->maclen;
	int		 rc = -1;

	buf_reset(out);
	if (x->i >= x->n)
		return 0;
	if ((p = query_reply(x->query)) == NULL)
		goto nomem;
	ldns_pkt_set_aa(p, 1);
	/* Records until one passes the chunk size (the last, the final
	 * SOA, is never passed over: no message is empty). */
	for (bytes = 0; x->i < x->n && bytes <= AUTH_AXFR_CHUNK; x->i++) {
		if ((rr = xfr_rr(x, x->i)) == NULL)
			continue;
		if (push_taken(ldns_pkt_answer(p), ldns_rr_clone(rr)) == -1)
			goto nomem;
		bytes += ldns_rr_uncompressed_size(rr);
	}
	memcpy(prior, x->mac, plen);
	if (render(p, out, 65535 - AUTH_TSIG_ROOM, err) == -1 ||
	    (x->key != NULL && dns_tsig_sign(x->key, out, x->first ?
	    x->req_mac : NULL, x->req_maclen, x->first ? NULL : prior, plen,
	    now, 0, x->mac, &x->maclen, err) == -1))
		goto done;
	x->first = 0;
	rc = 1;
	goto done;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
done:
	ldns_pkt_free(p);
	if (rc == -1)
		x->i = x->n;	/* a transfer that failed stays failed */
	return rc;
}

/* Makes every message of the transfer and hands each to fn. */
static int
xfr_pump(struct auth_xfr *x, time_t now,
    int (*fn)(const uint8_t *, size_t, void *), void *arg, struct err *err)
{
	struct buf	b;
	int		rc;

	buf_init(&b, 65535);
	while ((rc = auth_xfr_next(x, now, &b, err)) == 1)
		if (fn((uint8_t *)b.data, b.len, arg) == -1) {
			err_set(err, ERR_IO, "transfer: write failed");
			rc = -1;
			break;
		}
	buf_fini(&b);
	return rc;
}

int
auth_axfr(struct auth_req *req, time_t now,
    int (*fn)(const uint8_t *, size_t, void *), void *arg, struct err *err)
{
	struct auth_xfr	*x;
	int		 rc;

	if ((x = auth_xfr_new(req, err)) == NULL)
		return -1;
	rc = xfr_pump(x, now, fn, arg, err);
	auth_xfr_free(x);
	return rc;
}

int
auth_notify_msg(const struct auth_zone *z, uint16_t id,
    const struct dns_tsig_key *k, time_t now, struct buf *out, struct err *err)
{
	ldns_pkt	*p;
	ldns_rr		*q;
	int		 rc = -1;

	if ((p = ldns_pkt_new()) == NULL || (q = ldns_rr_new()) == NULL) {
		ldns_pkt_free(p);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
	ldns_pkt_set_aa(p, 1);
	ldns_rr_set_owner(q, ldns_rdf_clone(z->origin));
	ldns_rr_set_type(q, LDNS_RR_TYPE_SOA);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	if (push_taken(ldns_pkt_answer(p), ldns_rr_clone(z->soa)) == -1)
		err_set(err, ERR_NOMEM, "out of memory");
	else if (render(p, out, 65535, err) == 0 && (k == NULL ||
	    dns_tsig_sign(k, out, NULL, 0, NULL, 0, now, 0, NULL, NULL,
	    err) == 0))
		rc = 0;
	ldns_pkt_free(p);
	return rc;
}

struct auth_ixfr {
	struct auth_req		 *req;
	struct auth_zone	**v;		/* older versions, newest 1st */
	size_t			  n, max;
	int			  started;	/* passed the current one */
	enum auth_ixfr_step	  step;
	/* auth_ixfr_version: the version held back, and the last one
	 * handed on (references). */
	struct auth_zone	 *pending, *passed;
};

struct auth_ixfr *
auth_ixfr_new(struct auth_req *req, size_t max_versions)
{
	struct auth_ixfr	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->v = calloc(max_versions + 1, sizeof(*x->v))) == NULL) {
		free(x);
		return NULL;
	}
	x->req = req;
	x->max = max_versions;
	x->step = AUTH_IXFR_MORE;
	return x;
}

void
auth_ixfr_free(struct auth_ixfr *x)
{
	size_t	i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++)
		auth_zone_free(x->v[i]);
	auth_zone_free(x->pending);
	auth_zone_free(x->passed);
	free(x->v);
	free(x);
}

static enum auth_ixfr_step
ixfr_older(struct auth_ixfr *x, struct auth_zone *z)
{
	const struct auth_zone	*cur = x->req->zone, *last;
	uint32_t		 s, want = x->req->ixfr_serial;

	if (!x->started) {
		/* The history's tip may be ahead of what is served (a
		 * version that did not load): skip to the served one. */
		if (z == NULL || auth_serial_lt(auth_zone_serial(cur),
		    auth_zone_serial(z)))
			return AUTH_IXFR_MORE;
		x->started = 1;
		if (auth_zone_serial(z) == auth_zone_serial(cur))
			return AUTH_IXFR_MORE;
	}
	if (z == NULL)
		return AUTH_IXFR_FULL;
	last = x->n > 0 ? x->v[x->n - 1] : cur;
	s = auth_zone_serial(z);
	if (auth_zone_same(z, last))
		return AUTH_IXFR_MORE;
	/* Going back, serials must go down, or the steps mean nothing. */
	if (!auth_serial_lt(s, auth_zone_serial(last)) ||
	    auth_serial_lt(s, want) || x->n == x->max)
		return AUTH_IXFR_FULL;
	x->v[x->n++] = auth_zone_ref(z);
	return s == want ? AUTH_IXFR_FOUND : AUTH_IXFR_MORE;
}

enum auth_ixfr_step
auth_ixfr_older(struct auth_ixfr *x, struct auth_zone *z)
{
	if (x->step == AUTH_IXFR_MORE)
		x->step = ixfr_older(x, z);
	auth_zone_free(z);
	return x->step;
}

/* Hands p (taken) on to auth_ixfr_older, remembering it. */
static enum auth_ixfr_step
ixfr_pass(struct auth_ixfr *x, struct auth_zone *p)
{
	auth_zone_free(x->passed);
	x->passed = auth_zone_ref(p);
	return auth_ixfr_older(x, p);
}

/*
 * A version is known to have been served once the next older one is
 * seen: if that one's serial is not older, the version was served under
 * the serial of the fix-up commit that follows it (or not at all), and
 * a client at that serial holds the older one's records: it is left
 * out.  At a gap or the end, a version that differs from the one after
 * it by the serial alone may be such a fix-up's source, or an operator's
 * new serial: nobody can tell, and the full zone is the safe answer.
 */
enum auth_ixfr_step
auth_ixfr_version(struct auth_ixfr *x, struct auth_zone *z)
{
	struct auth_zone	*p = x->pending;
	const struct auth_zone	*after;

	if (x->step != AUTH_IXFR_MORE) {
		auth_zone_free(z);
		return x->step;
	}
	if (p != NULL && z != NULL && !auth_serial_lt(auth_zone_serial(z),
	    auth_zone_serial(p))) {
		auth_zone_free(p);
		x->pending = z;
		return AUTH_IXFR_MORE;
	}
	x->pending = NULL;
	if (p != NULL && z == NULL) {
		after = x->passed != NULL ? x->passed : x->req->zone;
		if (auth_zone_same_but_serial(p, after)) {
			auth_zone_free(p);
			p = NULL;
		}
	}
	if (p != NULL && ixfr_pass(x, p) != AUTH_IXFR_MORE) {
		auth_zone_free(z);
		return x->step;
	}
	if (z == NULL)
		return auth_ixfr_older(x, NULL);
	x->pending = z;
	return AUTH_IXFR_MORE;
}

/* The answer records: the current SOA, for each step from the client's
 * version on the old SOA, the deletions, the new SOA, the additions,
 * then the current SOA again (RFC 1995 section 4).  NULL with *full_out
 * set when a full zone is smaller and this is not small. */
static ldns_rr_list *
ixfr_records(struct auth_ixfr *x, int *full_out, struct err *err)
{
	const struct auth_zone	*cur = x->req->zone, *from, *to;
	ldns_rr_list		*all, *del = NULL, *add = NULL;
	size_t			 i;

	*full_out = 0;
	if ((all = ldns_rr_list_new()) == NULL ||
	    push_taken(all, ldns_rr_clone(cur->soa)) == -1)
		goto nomem;
	for (i = x->n; i > 0; i--) {
		from = x->v[i - 1];
		to = i > 1 ? x->v[i - 2] : cur;
		if ((del = ldns_rr_list_new()) == NULL ||
		    (add = ldns_rr_list_new()) == NULL)
			goto nomem;
		if (auth_zone_diff(from, to, del, add, err) == -1)
			goto fail;
		/* cat moves the records: then only the lists are freed. */
		if (push_taken(all, ldns_rr_clone(from->soa)) == -1 ||
		    !ldns_rr_list_cat(all, del))
			goto nomem;
		ldns_rr_list_free(del);
		del = NULL;
		if (push_taken(all, ldns_rr_clone(to->soa)) == -1 ||
		    !ldns_rr_list_cat(all, add))
			goto nomem;
		ldns_rr_list_free(add);
		add = NULL;
		if (ldns_rr_list_rr_count(all) > cur->n + 1 &&
		    ldns_rr_list_rr_count(all) > AUTH_IXFR_SMALL) {
			ldns_rr_list_deep_free(all);
			*full_out = 1;
			return NULL;
		}
	}
	if (push_taken(all, ldns_rr_clone(cur->soa)) == -1)
		goto nomem;
	return all;
nomem:
	err_set(err, ERR_NOMEM, "ixfr: out of memory");
fail:
	ldns_rr_list_deep_free(del);
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(all);
	return NULL;
}

/* All the zone's records, AXFR-style, for a UDP answer. */
static ldns_rr_list *
full_records(const struct auth_zone *z)
{
	ldns_rr_list	*all;
	size_t		 i;

	if ((all = ldns_rr_list_new()) == NULL ||
	    push_taken(all, ldns_rr_clone(z->soa)) == -1)
		goto nomem;
	for (i = 0; i < z->n; i++)
		if (z->v[i].rr != z->soa &&
		    push_taken(all, ldns_rr_clone(z->v[i].rr)) == -1)
			goto nomem;
	if (push_taken(all, ldns_rr_clone(z->soa)) == -1)
		goto nomem;
	return all;
nomem:
	ldns_rr_list_deep_free(all);
	return NULL;
}

/* Over UDP: one message if it fits, else the current SOA alone. */
static int
xfr_send_udp(struct auth_req *req, ldns_rr_list *all, time_t now,
    int (*fn)(const uint8_t *, size_t, void *), void *arg, struct err *err)
{
	struct buf	 b;
	uint8_t		*wire = NULL;
	size_t		 size, limit = req->limit;
	int		 rc = -1;

	if (req->tsig_off != 0)
		limit -= limit > AUTH_TSIG_ROOM ? AUTH_TSIG_ROOM : 0;
	ldns_pkt_set_aa(req->reply, 1);
	ldns_rr_list_deep_free(ldns_pkt_answer(req->reply));
	ldns_pkt_set_answer(req->reply, all);
	ldns_pkt_set_ancount(req->reply, ldns_rr_list_rr_count(all));
	if (ldns_pkt2wire(&wire, req->reply, &size) != LDNS_STATUS_OK) {
		err_set(err, ERR_NOMEM, "cannot render the answer");
		return -1;
	}
	free(wire);
	if (size > limit) {
		if ((all = ldns_rr_list_new()) == NULL)
			goto nomem;
		ldns_rr_list_deep_free(ldns_pkt_answer(req->reply));
		ldns_pkt_set_answer(req->reply, all);
		if (push_taken(all, ldns_rr_clone(req->zone->soa)) == -1)
			goto nomem;
		ldns_pkt_set_ancount(req->reply, 1);
	}
	buf_init(&b, 65535);
	if (auth_finish(req, now, &b, err) == 0) {
		if (fn((uint8_t *)b.data, b.len, arg) == -1)
			err_set(err, ERR_IO, "transfer: write failed");
		else
			rc = 0;
	}
	buf_fini(&b);
	return rc;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

struct auth_xfr *
auth_ixfr_xfr(struct auth_ixfr *x, int *incremental_out, struct err *err)
{
	ldns_rr_list	*all = NULL;
	int		 full = 1;

	if (x->step == AUTH_IXFR_FOUND && x->n > 0) {
		if ((all = ixfr_records(x, &full, err)) == NULL && !full)
			return NULL;
	}
	if (incremental_out != NULL)
		*incremental_out = all != NULL;
	return xfr_new(x->req, all, err);
}

int
auth_ixfr_send(struct auth_ixfr *x, time_t now,
    int (*fn)(const uint8_t *, size_t, void *), void *arg,
    int *incremental_out, struct err *err)
{
	struct auth_req	*req = x->req;
	struct auth_xfr	*xf;
	ldns_rr_list	*all = NULL;
	int		 full = 1, rc;

	if (req->tcp) {
		if ((xf = auth_ixfr_xfr(x, incremental_out, err)) == NULL)
			return -1;
		rc = xfr_pump(xf, now, fn, arg, err);
		auth_xfr_free(xf);
		return rc;
	}
	if (x->step == AUTH_IXFR_FOUND && x->n > 0) {
		if ((all = ixfr_records(x, &full, err)) == NULL && !full)
			return -1;
	}
	if (incremental_out != NULL)
		*incremental_out = all != NULL;
	if (all == NULL && (all = full_records(req->zone)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	return xfr_send_udp(req, all, now, fn, arg, err);
}
