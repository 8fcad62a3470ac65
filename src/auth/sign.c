/*
 * sign.c: online signing (issue 22, part 2).  From a zone as the
 * operator wrote it (unsigned), makes the zone timbre-primaryd serves:
 * the same records, the signing keys' DNSKEY records at the apex (and
 * their CDNSKEY and CDS, RFC 7344, for the parent), an NSEC
 * chain (RFC 4034 section 4) or an NSEC3 chain and its NSEC3PARAM (RFC
 * 5155, as RFC 9276 advises) over every authoritative name and every
 * delegation (names below a cut, glue, are left out, RFC 4035 section
 * 2.3), and an RRSIG by each key over every authoritative RRset (at a
 * delegation only the DS and NSEC: RFC 4035 section 2.2).  The signing
 * itself is ldns's (ldns_sign_public, OpenSSL underneath).
 *
 * Signing is incremental: given the version served before, an RRset
 * that holds the same records with the same TTL keeps the signatures it
 * had, unless one of them expires in less than AUTH_SIGN_REFRESH; only
 * the RRsets an UPDATE changed, and the NSEC or NSEC3 records around
 * the names it added or removed (whose next name or type bitmap moved),
 * are signed anew.  The chain itself is made again each time (one SHA-1
 * a name with RFC 9276's 0 iterations: cheaper than tracking it); only
 * its records that differ are signed.  Validity is Knot DNS's default:
 * AUTH_SIGN_LIFETIME (14 days), less a jitter fixed per RRset, renewed
 * when less than AUTH_SIGN_REFRESH (7 days) is left; the inception is
 * backdated AUTH_SIGN_BACKDATE for clocks behind ours.
 *
 * The signed zone keeps a reference to the unsigned one (auth_zone_plain)
 * which UPDATE edits and git holds; the signed one is what is answered
 * and transferred.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_priv.h"
#include "util/err.h"

struct sig_work {
	struct auth_zrr	*v;
	size_t		 n, cap;
	size_t		 reused, made;
};

static int
work_push(struct sig_work *w, ldns_rr *rr, struct err *err)
{
	struct auth_zrr	*nv;
	size_t		 cap;

	if (rr == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (w->n == w->cap) {
		cap = w->cap ? w->cap * 2 : 64;
		if ((nv = reallocarray(w->v, cap, sizeof(*nv))) == NULL) {
			ldns_rr_free(rr);
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
		w->v = nv;
		w->cap = cap;
	}
	memset(&w->v[w->n], 0, sizeof(w->v[w->n]));
	w->v[w->n++].rr = rr;
	return 0;
}

static void
work_free(struct sig_work *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		ldns_rr_free(w->v[i].rr);
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

/* Types that only a signer makes: a zone holding them was signed
 * offline, and is served as it is. */
static bool
is_signer_type(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC ||
	    t == LDNS_RR_TYPE_NSEC3 || t == LDNS_RR_TYPE_NSEC3PARAM;
}

/* Are records [f, e) of z the same set as list (records and TTL)? */
static bool
same_rrset(const struct auth_zone *z, size_t f, size_t e,
    const ldns_rr_list *list)
{
	size_t	i, j, n = ldns_rr_list_rr_count(list);
	bool	found;

	if (e - f != n)
		return false;
	for (i = 0; i < n; i++) {
		found = false;
		for (j = f; j < e && !found; j++)
			found = ldns_rr_compare(z->v[j].rr,
			    ldns_rr_list_rr(list, i)) == 0 &&
			    ldns_rr_ttl(z->v[j].rr) ==
			    ldns_rr_ttl(ldns_rr_list_rr(list, i));
		if (!found)
			return false;
	}
	return true;
}

/* Is sig, over an RRset of ttl, one of key's still good at now for at
 * least AUTH_SIGN_REFRESH? */
static bool
sig_keep(const ldns_rr *sig, const ldns_key *key, uint32_t ttl, time_t now)
{
	uint32_t	inc, exp;

	if (ldns_rr_rd_count(sig) < 9 ||
	    ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig)) !=
	    (uint8_t)ldns_key_algorithm(key) ||
	    ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)) !=
	    ldns_key_keytag(key) ||
	    ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig)) != ttl)
		return false;
	inc = ldns_rdf2native_int32(ldns_rr_rrsig_inception(sig));
	exp = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig));
	/* Serial number arithmetic, as RFC 4034 section 3.1.5 says. */
	return (int32_t)((uint32_t)now - inc) >= 0 &&
	    (int32_t)(exp - (uint32_t)now) > AUTH_SIGN_REFRESH;
}

/*
 * How much earlier than AUTH_SIGN_LIFETIME from now the signatures of
 * the RRset of owner and type expire: a number below AUTH_SIGN_JITTER
 * drawn from the two (FNV-1a), so that the signatures of a zone signed
 * at once do not all expire, nor all come due for refresh, in the same
 * second, and each RRset keeps its place in the spread from one
 * refresh to the next (what BIND's sig-validity-interval jitter does).
 * A hash rather than a random draw: a test can predict it.
 */
static uint32_t
sign_jitter(const ldns_rdf *owner, ldns_rr_type type)
{
	const uint8_t	*p = ldns_rdf_data(owner);
	uint32_t	 h = 2166136261u;	/* FNV-1a */
	size_t		 i;
	uint8_t		 c;

	for (i = 0; i < ldns_rdf_size(owner); i++) {
		c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	h = (h ^ (type >> 8)) * 16777619u;
	h = (h ^ (type & 0xff)) * 16777619u;
	return h % AUTH_SIGN_JITTER;
}

/* The signatures of list (an RRset of owner and type): prev's when they
 * can stay (the same records, each key's signature good for long
 * enough), else new ones from keys. */
static int
sign_rrset(struct sig_work *w, const struct auth_zone *prev,
    ldns_rr_list *list, ldns_key_list *keys, time_t now, struct err *err)
{
	const ldns_rr	*first = ldns_rr_list_rr(list, 0);
	ldns_rr_list	*sigs;
	size_t		 f, e, sf, se, i, k, nkeys, kept = 0;
	size_t		 mark = w->n;
	uint32_t	 exp;
	bool		 have;

	nkeys = ldns_key_list_key_count(keys);
	if (prev != NULL) {
		auth_zone_rrset(prev, ldns_rr_owner(first),
		    ldns_rr_get_type(first), &f, &e);
		if (f < e && same_rrset(prev, f, e, list)) {
			auth_zone_rrset(prev, ldns_rr_owner(first),
			    LDNS_RR_TYPE_RRSIG, &sf, &se);
			for (k = 0; k < nkeys; k++) {
				have = false;
				for (i = sf; i < se && !have; i++) {
					if (auth_rrsig_covers(prev->v[i].rr) !=
					    ldns_rr_get_type(first) ||
					    !sig_keep(prev->v[i].rr,
					    ldns_key_list_key(keys, k),
					    ldns_rr_ttl(first), now))
						continue;
					if (work_push(w, ldns_rr_clone(
					    prev->v[i].rr), err) == -1)
						return -1;
					have = true;
				}
				kept += have;
			}
			if (kept == nkeys) {
				w->reused++;
				return 0;
			}
			/* One key lacks one: all signed anew. */
			while (w->n > mark)
				ldns_rr_free(w->v[--w->n].rr);
		}
	}
	exp = (uint32_t)(now + AUTH_SIGN_LIFETIME) -
	    sign_jitter(ldns_rr_owner(first), ldns_rr_get_type(first));
	for (k = 0; k < nkeys; k++)
		ldns_key_set_expiration(ldns_key_list_key(keys, k), exp);
	if ((sigs = ldns_sign_public(list, keys)) == NULL) {
		err_set(err, ERR_CRYPTO, "signing type %u failed",
		    (unsigned)ldns_rr_get_type(first));
		return -1;
	}
	for (i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		if (work_push(w, ldns_rr_clone(ldns_rr_list_rr(sigs, i)),
		    err) == -1) {
			ldns_rr_list_deep_free(sigs);
			return -1;
		}
	ldns_rr_list_deep_free(sigs);
	w->made++;
	return 0;
}

/* Are records i and j of z at the same owner? */
static bool
same_owner(const struct auth_zone *z, size_t i, size_t j)
{
	const uint8_t	*a, *b;
	size_t		 al, bl;

	a = auth_zone_rr_key(z, i, &al);
	b = auth_zone_rr_key(z, j, &bl);
	return al == bl && memcmp(a, b, al) == 0;
}

/* Is the name of record i strictly below the name whose key is cut? */
static bool
below(const struct auth_zone *z, size_t i, const uint8_t *cut, size_t cutlen)
{
	const uint8_t	*k;
	size_t		 kl;

	k = auth_zone_rr_key(z, i, &kl);
	return cut != NULL && kl > cutlen && memcmp(k, cut, cutlen) == 0;
}

/* The zone u (plain records and the DNSKEYs) as owners: start[] the
 * first record of each name the NSEC chain holds (apex, authoritative
 * names, delegations), cut[] whether it is a delegation. */
static int
sign_names(const struct auth_zone *u, size_t **start_out, bool **cut_out,
    size_t *n_out, struct err *err)
{
	const uint8_t	*cutkey = NULL;
	size_t		 cutlen = 0, i, j, n = 0, *start;
	size_t		 f, e;
	bool		*cut;

	start = calloc(u->n + 1, sizeof(*start));
	cut = calloc(u->n + 1, sizeof(*cut));
	if (start == NULL || cut == NULL) {
		free(start);
		free(cut);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < u->n; i = j) {
		for (j = i + 1; j < u->n && same_owner(u, i, j); j++)
			continue;
		if (below(u, i, cutkey, cutlen))
			continue;	/* glue, or occluded */
		start[n] = i;
		if (ldns_dname_compare(ldns_rr_owner(u->v[i].rr),
		    u->origin) != 0) {
			auth_zone_rrset(u, ldns_rr_owner(u->v[i].rr),
			    LDNS_RR_TYPE_NS, &f, &e);
			if (f < e) {
				cut[n] = true;
				cutkey = auth_zone_rr_key(u, i, &cutlen);
			}
		}
		n++;
	}
	*start_out = start;
	*cut_out = cut;
	*n_out = n;
	return 0;
}

/* Signs the RRsets of the name whose records are u->v[i, end), which
 * go on all (what its NSEC or NSEC3 lists); at a delegation only NS and
 * DS are listed and only DS is signed.  *signed_out: one was. */
static int
sign_sets(struct sig_work *w, const struct auth_zone *u,
    const struct auth_zone *prev, size_t i, size_t end, bool cut,
    ldns_rr_list *all, bool *signed_out, ldns_key_list *keys, time_t now,
    struct err *err)
{
	ldns_rr_list	*set = NULL;
	ldns_rr_type	 t;
	size_t		 j, k;
	int		 rc = -1;

	*signed_out = false;
	for (j = i; j < end; j = k) {
		t = ldns_rr_get_type(u->v[j].rr);
		for (k = j + 1; k < end && ldns_rr_get_type(u->v[k].rr) == t;
		    k++)
			continue;
		if (cut && t != LDNS_RR_TYPE_NS && t != LDNS_RR_TYPE_DS)
			continue;
		if ((set = ldns_rr_list_new()) == NULL)
			goto nomem;
		for (; j < k; j++)
			if (!ldns_rr_list_push_rr(set, u->v[j].rr) ||
			    !ldns_rr_list_push_rr(all, u->v[j].rr))
				goto nomem;
		if (!cut || t == LDNS_RR_TYPE_DS) {
			if (sign_rrset(w, prev, set, keys, now, err) == -1)
				goto out;
			*signed_out = true;
		}
		ldns_rr_list_free(set);
		set = NULL;
	}
	rc = 0;
	goto out;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
out:
	ldns_rr_list_free(set);
	return rc;
}

/* rr (an NSEC or NSEC3 made here, taken) signed and kept. */
static int
sign_denial(struct sig_work *w, const struct auth_zone *prev, ldns_rr *rr,
    ldns_key_list *keys, time_t now, struct err *err)
{
	ldns_rr_list	*set;
	int		 rc;

	if ((set = ldns_rr_list_new()) == NULL ||
	    !ldns_rr_list_push_rr(set, rr)) {
		ldns_rr_list_free(set);
		ldns_rr_free(rr);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	rc = sign_rrset(w, prev, set, keys, now, err);
	ldns_rr_list_free(set);
	if (rc == -1) {
		ldns_rr_free(rr);
		return -1;
	}
	return work_push(w, rr, err);
}

/* Signs the name whose records are u->v[i, end) and its NSEC (next: the
 * next name of the chain). */
static int
sign_name(struct sig_work *w, const struct auth_zone *u,
    const struct auth_zone *prev, size_t i, size_t end, bool cut,
    ldns_rdf *next, uint32_t nsec_ttl, ldns_key_list *keys, time_t now,
    struct err *err)
{
	ldns_rr_list	*all;
	ldns_rr		*nsec;
	bool		 sig;
	int		 rc = -1;

	if ((all = ldns_rr_list_new()) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (sign_sets(w, u, prev, i, end, cut, all, &sig, keys, now,
	    err) == 0) {
		if ((nsec = ldns_create_nsec(ldns_rr_owner(u->v[i].rr), next,
		    all)) == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
		} else {
			ldns_rr_set_ttl(nsec, nsec_ttl);
			rc = sign_denial(w, prev, nsec, keys, now, err);
		}
	}
	ldns_rr_list_free(all);
	return rc;
}

/*
 * NSEC3 (RFC 5155).  Each name of the chain (and each empty non-terminal
 * above one: section 7.1) gets an NSEC3 whose owner is its hash under
 * the zone's name; the records, ordered by hash, are chained by their
 * next hashed owner once all are made.  Opt-out is off: every
 * delegation, signed or not, has its NSEC3 (RFC 9276 section 3.1).
 */
struct n3_work {
	ldns_rr		**v;
	size_t		  n, cap;
};

static void
n3_free(struct n3_work *n3)
{
	size_t	i;

	for (i = 0; i < n3->n; i++)
		ldns_rr_free(n3->v[i]);
	free(n3->v);
}

/* The NSEC3 of name (its next hashed owner left for n3_chain) listing
 * the types of all (if not NULL), and RRSIG if sig. */
static int
n3_push(struct n3_work *n3, const ldns_rdf *name, const ldns_rdf *origin,
    const ldns_rr_list *all, bool sig, const struct auth_sign_denial *d,
    uint32_t ttl, struct err *err)
{
	ldns_rr_type	 types[256];
	ldns_rr		*rr = NULL, **nv;
	ldns_rdf	*h, *bitmap;
	ldns_rr_type	 t;
	size_t		 i, nt = 0, cap;

	for (i = 0; all != NULL && i < ldns_rr_list_rr_count(all); i++) {
		t = ldns_rr_get_type(ldns_rr_list_rr(all, i));
		if ((nt == 0 || types[nt - 1] != t) && nt < 255)
			types[nt++] = t;
	}
	if (sig)
		types[nt++] = LDNS_RR_TYPE_RRSIG;
	if ((h = ldns_nsec3_hash_name(name, AUTH_NSEC3_SHA1, d->iterations,
	    d->saltlen, d->salt)) == NULL ||
	    ldns_dname_cat(h, origin) != LDNS_STATUS_OK ||
	    (rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_NSEC3)) == NULL ||
	    (bitmap = ldns_dnssec_create_nsec_bitmap(types, nt,
	    LDNS_RR_TYPE_NSEC3)) == NULL)
		goto nomem;
	ldns_rr_set_owner(rr, h);
	h = NULL;
	ldns_rr_set_ttl(rr, ttl);
	ldns_nsec3_add_param_rdfs(rr, AUTH_NSEC3_SHA1, 0, d->iterations,
	    d->saltlen, d->salt);
	/* The type bitmaps field may be empty, so that ldns makes the
	 * record without it (5 fields): pushed, not set. */
	if (ldns_rr_rd_count(rr) > 5)
		ldns_rdf_deep_free(ldns_rr_set_rdf(rr, bitmap, 5));
	else if (!ldns_rr_push_rdf(rr, bitmap)) {
		ldns_rdf_deep_free(bitmap);
		goto nomem;
	}
	if (n3->n == n3->cap) {
		cap = n3->cap ? n3->cap * 2 : 64;
		if ((nv = reallocarray(n3->v, cap, sizeof(*nv))) == NULL)
			goto nomem;
		n3->v = nv;
		n3->cap = cap;
	}
	n3->v[n3->n++] = rr;
	return 0;
nomem:
	ldns_rdf_deep_free(h);
	ldns_rr_free(rr);
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

/* The empty non-terminals between the name of u's record i and the
 * apex (names with nothing of their own, RFC 5155 section 7.1). */
static int
n3_push_ents(struct n3_work *n3, const struct auth_zone *u, size_t i,
    const struct auth_sign_denial *d, uint32_t ttl, struct err *err)
{
	uint8_t		 key[AUTH_ZONE_KEY_MAX];
	ldns_rdf	*name, *up;
	size_t		 apex = ldns_dname_label_count(u->origin);
	int		 rc = 0;

	if ((name = ldns_rdf_clone(ldns_rr_owner(u->v[i].rr))) == NULL)
		goto nomem;
	while (rc == 0 && ldns_dname_label_count(name) > apex + 1) {
		if ((up = ldns_dname_left_chop(name)) == NULL)
			goto nomem;
		ldns_rdf_deep_free(name);
		name = up;
		if (!auth_zone_has_data_key(u, key, auth_zone_key(name, key,
		    NULL, NULL)))
			rc = n3_push(n3, name, u->origin, NULL, false, d, ttl,
			    err);
	}
	ldns_rdf_deep_free(name);
	return rc;
nomem:
	ldns_rdf_deep_free(name);
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

static int
n3_cmp(const void *a, const void *b)
{
	return ldns_dname_compare(ldns_rr_owner(*(ldns_rr *const *)a),
	    ldns_rr_owner(*(ldns_rr *const *)b));
}

/* n3's records in hash order, one per owner (empty non-terminals shared
 * by several names come more than once), each naming the next. */
static int
n3_chain(struct n3_work *n3, struct err *err)
{
	ldns_rr_list	*list;
	size_t		 i, n = 0;
	ldns_status	 st;

	if (n3->n == 0)
		return 0;		/* no name: nothing to chain */
	qsort(n3->v, n3->n, sizeof(*n3->v), n3_cmp);
	for (i = 0; i < n3->n; i++) {
		if (n > 0 && n3_cmp(&n3->v[n - 1], &n3->v[i]) == 0)
			ldns_rr_free(n3->v[i]);
		else
			n3->v[n++] = n3->v[i];
	}
	n3->n = n;
	if ((list = ldns_rr_list_new()) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < n3->n; i++)
		if (!ldns_rr_list_push_rr(list, n3->v[i])) {
			ldns_rr_list_free(list);
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
	st = ldns_dnssec_chain_nsec3_list(list);
	ldns_rr_list_free(list);
	if (st != LDNS_STATUS_OK) {
		err_set(err, ERR_NOMEM, "NSEC3 chain: %s",
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	return 0;
}

/* The names of u (start[], cut[], n as sign_names gives them) signed,
 * and their NSEC3 chain. */
static int
sign_nsec3(struct sig_work *w, const struct auth_zone *u,
    const struct auth_zone *prev, const size_t *start, const bool *cut,
    size_t n, const struct auth_sign_denial *d, uint32_t ttl,
    ldns_key_list *keys, time_t now, struct err *err)
{
	struct n3_work	 n3 = { NULL, 0, 0 };
	ldns_rr_list	*all = NULL;
	size_t		 i, end;
	bool		 sig;
	int		 rc = -1;

	for (i = 0; i < n; i++) {
		for (end = start[i] + 1; end < u->n &&
		    same_owner(u, start[i], end); end++)
			continue;
		if ((all = ldns_rr_list_new()) == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		if (sign_sets(w, u, prev, start[i], end, cut[i], all, &sig,
		    keys, now, err) == -1 ||
		    n3_push(&n3, ldns_rr_owner(u->v[start[i]].rr), u->origin,
		    all, sig, d, ttl, err) == -1 ||
		    n3_push_ents(&n3, u, start[i], d, ttl, err) == -1)
			goto out;
		ldns_rr_list_free(all);
		all = NULL;
	}
	if (n3_chain(&n3, err) == -1)
		goto out;
	for (i = 0; i < n3.n; i++) {
		rc = sign_denial(w, prev, n3.v[i], keys, now, err);
		n3.v[i] = NULL;
		if (rc == -1)
			goto out;
	}
	rc = 0;
out:
	ldns_rr_list_free(all);
	n3_free(&n3);
	return rc;
}

/* The CDNSKEY and CDS (SHA-256) records of dnskey (RFC 7344): what the
 * parent's DS should be, for a parent (or registrar) that reads them
 * (RFC 8078).  Published all the time, a CSK being the one key. */
static int
cds_push(struct sig_work *w, const ldns_rr *dnskey, struct err *err)
{
	ldns_rr	*cdnskey, *cds;

	if ((cdnskey = ldns_rr_clone(dnskey)) != NULL)
		ldns_rr_set_type(cdnskey, LDNS_RR_TYPE_CDNSKEY);
	if (work_push(w, cdnskey, err) == -1)
		return -1;
	if ((cds = ldns_key_rr2ds(dnskey, LDNS_SHA256)) != NULL) {
		ldns_rr_set_type(cds, LDNS_RR_TYPE_CDS);
		ldns_rr_set_ttl(cds, ldns_rr_ttl(dnskey));
	}
	return work_push(w, cds, err);
}

/* plain's records, a DNSKEY for each key (and its CDNSKEY and CDS)
 * and, for NSEC3, the NSEC3PARAM (flags 0: RFC 5155 section 4.1.2), as
 * a zone. */
static struct auth_zone *
with_dnskeys(const struct auth_zone *plain, ldns_key_list *keys,
    const struct auth_sign_denial *d, uint32_t serial, struct err *err)
{
	ldns_rdf	*old;
	char		*tname;
	struct sig_work	 w = { NULL, 0, 0, 0, 0 };
	struct auth_zone *u;
	ldns_rr		*rr;
	size_t		 i;

	for (i = 0; i < plain->n; i++) {
		if (is_signer_type(ldns_rr_get_type(plain->v[i].rr))) {
			tname = ldns_rr_type2str(
			    ldns_rr_get_type(plain->v[i].rr));
			err_set(err, AUTH_E_ZONE, "zone %s holds %s records "
			    "(signed offline): not signed online",
			    plain->name, tname != NULL ? tname : "DNSSEC");
			free(tname);
			work_free(&w);
			return NULL;
		}
		if (work_push(&w, ldns_rr_clone(plain->v[i].rr), err) == -1)
			goto fail;
		if (ldns_rr_get_type(plain->v[i].rr) != LDNS_RR_TYPE_SOA)
			continue;
		if ((old = ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
		    serial)) == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		old = ldns_rr_set_rdf(w.v[w.n - 1].rr, old, 2);
		ldns_rdf_deep_free(old);
	}
	for (i = 0; i < ldns_key_list_key_count(keys); i++) {
		rr = ldns_key2rr(ldns_key_list_key(keys, i));
		/* Its owner is the key's (the zone's name, signkey.c). */
		if (rr != NULL)
			ldns_rr_set_ttl(rr, ldns_rr_ttl(plain->soa));
		if (work_push(&w, rr, err) == -1 ||
		    cds_push(&w, rr, err) == -1)
			goto fail;
	}
	if (d->nsec3) {
		if ((rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_NSEC3PARAM)) !=
		    NULL) {
			ldns_rr_set_owner(rr, ldns_rdf_clone(plain->origin));
			ldns_rr_set_ttl(rr, ldns_rr_ttl(plain->soa));
			ldns_nsec3_add_param_rdfs(rr, AUTH_NSEC3_SHA1, 0,
			    d->iterations, d->saltlen, d->salt);
		}
		if (work_push(&w, rr, err) == -1)
			goto fail;
	}
	u = auth_zone_build(plain->name, plain->file, w.v, w.n, err);
	return u;
fail:
	work_free(&w);
	return NULL;
}

/*
 * The versions before s, newest first, kept for IXFR: prev and the ones
 * prev kept, AUTH_SIGN_HISTORY at most.  They move from prev to s: were
 * each version to keep its own, every version ever signed would stay
 * reachable.  prev changes, although it may be served: only the daemon's
 * one worker thread, which signs and answers IXFR one job at a time,
 * reads older and nolder (an IXFR of prev after this is a full one).
 */
static int
sign_history(struct auth_zone *s, const struct auth_zone *prev,
    struct err *err)
{
	struct auth_zone	*p = (struct auth_zone *)prev;
	size_t			 i, n;

	if (prev == NULL)
		return 0;
	n = prev->nolder + 1 < AUTH_SIGN_HISTORY ? prev->nolder + 1 :
	    AUTH_SIGN_HISTORY;
	if ((s->older = calloc(n, sizeof(*s->older))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	s->older[0] = auth_zone_ref(p);
	for (i = 1; i < n; i++)
		s->older[i] = p->older[i - 1];
	for (i = n - 1; i < p->nolder; i++)
		auth_zone_free(p->older[i]);
	free(p->older);
	p->older = NULL;
	p->nolder = 0;
	s->nolder = n;
	return 0;
}

struct auth_zone *
auth_zone_sign(const struct auth_zone *plain, const struct auth_zone *prev,
    ldns_key_list *keys, const struct auth_sign_denial *d, time_t now,
    enum auth_serial_policy policy, struct auth_sign_stats *st,
    struct err *err)
{
	static const struct auth_sign_denial nsec = { false, 0, 0, { 0 } };
	uint32_t	 serial = auth_zone_serial(plain);
	struct sig_work	 w = { NULL, 0, 0, 0, 0 };
	struct auth_zone *u, *s = NULL;
	size_t		*start = NULL, n = 0, i, end;
	bool		*cut = NULL;
	uint32_t	 nsec_ttl, min;

	if (ldns_key_list_key_count(keys) == 0) {
		err_set(err, ERR_ARG, "zone %s: no signing key", plain->name);
		return NULL;
	}
	if (d == NULL)
		d = &nsec;
	if (prev != NULL && prev->plain == NULL)
		prev = NULL;		/* not one of ours */
	for (i = 0; i < ldns_key_list_key_count(keys); i++) {
		ldns_key_set_inception(ldns_key_list_key(keys, i),
		    (uint32_t)(now - AUTH_SIGN_BACKDATE));
	}
	/* A secondary only transfers a newer serial: one re-signed from
	 * the same (or an older) serial gets the next one. */
	if (prev != NULL && !auth_serial_lt(auth_zone_serial(prev), serial))
		serial = auth_serial_next(auth_zone_serial(prev), policy, now);
	if ((u = with_dnskeys(plain, keys, d, serial, err)) == NULL)
		return NULL;
	/* RFC 9077: the lesser of the SOA's TTL and its minimum. */
	min = ldns_rdf2native_int32(ldns_rr_rdf(u->soa, 6));
	nsec_ttl = ldns_rr_ttl(u->soa) < min ? ldns_rr_ttl(u->soa) : min;
	if (sign_names(u, &start, &cut, &n, err) == -1)
		goto out;
	for (i = 0; i < u->n; i++)
		if (work_push(&w, ldns_rr_clone(u->v[i].rr), err) == -1)
			goto out;
	for (i = 0; !d->nsec3 && i < n; i++) {
		for (end = start[i] + 1; end < u->n &&
		    same_owner(u, start[i], end); end++)
			continue;
		if (sign_name(&w, u, prev, start[i], end, cut[i],
		    ldns_rr_owner(u->v[start[(i + 1) % n]].rr), nsec_ttl,
		    keys, now, err) == -1)
			goto out;
	}
	if (d->nsec3 && sign_nsec3(&w, u, prev, start, cut, n, d, nsec_ttl,
	    keys, now, err) == -1)
		goto out;
	if (st != NULL) {
		st->reused = w.reused;
		st->made = w.made;
	}
	s = auth_zone_build(plain->name, plain->file, w.v, w.n, err);
	w.v = NULL;
	w.n = 0;
	if (s != NULL) {
		s->plain = auth_zone_ref((struct auth_zone *)plain);
		if (sign_history(s, prev, err) == -1) {
			auth_zone_free(s);
			s = NULL;
		}
	}
out:
	work_free(&w);
	free(start);
	free(cut);
	auth_zone_free(u);
	return s;
}

const struct auth_zone *
auth_zone_plain(const struct auth_zone *z)
{
	return z->plain != NULL ? z->plain : z;
}

bool
auth_zone_signed_online(const struct auth_zone *z)
{
	return z->plain != NULL;
}

/* Do a and b hold the same rdata (an SOA's serial aside) and TTL? */
static bool
same_data(const ldns_rr *a, const ldns_rr *b)
{
	size_t	i;

	if (ldns_rr_get_type(a) != LDNS_RR_TYPE_SOA ||
	    ldns_rr_get_type(b) != LDNS_RR_TYPE_SOA)
		return ldns_rr_compare(a, b) == 0 &&
		    ldns_rr_ttl(a) == ldns_rr_ttl(b);
	if (ldns_rr_rd_count(a) != ldns_rr_rd_count(b) ||
	    ldns_rr_ttl(a) != ldns_rr_ttl(b) ||
	    ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) != 0)
		return false;
	for (i = 0; i < ldns_rr_rd_count(a); i++)
		if (i != 2 && ldns_rdf_compare(ldns_rr_rdf(a, i),
		    ldns_rr_rdf(b, i)) != 0)
			return false;
	return true;
}

bool
auth_zone_signed_from(const struct auth_zone *s, const struct auth_zone *plain)
{
	size_t		i, j = 0;
	ldns_rr_type	t;

	if (auth_serial_lt(auth_zone_serial(s), auth_zone_serial(plain)))
		return false;
	for (i = 0; i < s->n; i++) {
		t = ldns_rr_get_type(s->v[i].rr);
		if (is_signer_type(t) || t == LDNS_RR_TYPE_DNSKEY ||
		    t == LDNS_RR_TYPE_CDS || t == LDNS_RR_TYPE_CDNSKEY)
			continue;
		if (j == plain->n || !same_data(s->v[i].rr, plain->v[j].rr))
			return false;
		j++;
	}
	return j == plain->n;
}

struct auth_zone *
auth_zone_older(const struct auth_zone *z, size_t i)
{
	return i < z->nolder ? z->older[i] : NULL;
}

bool
auth_zone_sign_due(const struct auth_zone *z, time_t now)
{
	size_t		i;
	uint32_t	exp;

	for (i = 0; i < z->n; i++) {
		if (ldns_rr_get_type(z->v[i].rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rd_count(z->v[i].rr) < 9)
			continue;
		exp = ldns_rdf2native_int32(
		    ldns_rr_rrsig_expiration(z->v[i].rr));
		if ((int32_t)(exp - (uint32_t)now) <= AUTH_SIGN_REFRESH)
			return true;
	}
	return false;
}

int
auth_sign_denial_parse(const char *text, struct auth_sign_denial *d,
    struct err *err)
{
	const char	*p, *salt;
	char		*end;
	unsigned long	 iter = 0;
	size_t		 i, len;
	int		 hi, lo;

	memset(d, 0, sizeof(*d));
	if (strcmp(text, "nsec") == 0)
		return 0;
	if (strncmp(text, "nsec3", 5) != 0 || (text[5] != '\0' &&
	    text[5] != ':'))
		goto bad;
	d->nsec3 = true;
	if (text[5] == '\0')
		return 0;
	p = text + 6;
	if (*p < '0' || *p > '9')
		goto bad;
	iter = strtoul(p, &end, 10);
	if (iter > AUTH_NSEC3_ITER_MAX || (*end != '\0' && *end != ':'))
		goto bad;
	d->iterations = (uint16_t)iter;
	if (*end == '\0')
		return 0;
	salt = end + 1;
	len = strlen(salt);
	if (strcmp(salt, "-") == 0)
		return 0;
	if (len % 2 != 0 || len / 2 > sizeof(d->salt))
		goto bad;
	for (i = 0; i < len / 2; i++) {
		if (!isxdigit((unsigned char)salt[2 * i]) ||
		    !isxdigit((unsigned char)salt[2 * i + 1]))
			goto bad;
		hi = ldns_hexdigit_to_int(salt[2 * i]);
		lo = ldns_hexdigit_to_int(salt[2 * i + 1]);
		d->salt[i] = (uint8_t)(hi << 4 | lo);
	}
	d->saltlen = (uint8_t)(len / 2);
	return 0;
bad:
	memset(d, 0, sizeof(*d));
	err_set(err, ERR_ARG, "%s: not nsec, nsec3 or nsec3:ITERATIONS[:SALT] "
	    "(ITERATIONS at most %d, SALT hexadecimal or -)", text,
	    AUTH_NSEC3_ITER_MAX);
	return -1;
}

bool
auth_zone_sign_denial_is(const struct auth_zone *z,
    const struct auth_sign_denial *d)
{
	const ldns_rr	*rr;
	const ldns_rdf	*s;
	size_t		 f, e;

	auth_zone_rrset(z, z->origin, LDNS_RR_TYPE_NSEC3PARAM, &f, &e);
	if (!d->nsec3 || f == e)
		return !d->nsec3 && f == e;
	rr = z->v[f].rr;
	return e - f == 1 && ldns_rr_rd_count(rr) == 4 &&
	    ldns_nsec3_algorithm(rr) == AUTH_NSEC3_SHA1 &&
	    ldns_nsec3_flags(rr) == 0 &&
	    ldns_nsec3_iterations(rr) == d->iterations &&
	    (s = ldns_rr_rdf(rr, 3)) != NULL && ldns_rdf_size(s) >= 1 &&
	    ldns_rdf_data(s)[0] == d->saltlen &&
	    ldns_rdf_size(s) == 1u + d->saltlen &&
	    memcmp(ldns_rdf_data(s) + 1, d->salt, d->saltlen) == 0;
}
