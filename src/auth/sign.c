/*
 * sign.c: online signing (issue 22, part 2).  From a zone as the
 * operator wrote it (unsigned), makes the zone timbre-primaryd serves:
 * the same records, the signing keys' DNSKEY records at the apex (and
 * their CDNSKEY and CDS, RFC 7344, for the parent), an NSEC
 * chain (RFC 4034 section 4) over every authoritative name and every
 * delegation (names below a cut, glue, are left out, RFC 4035 section
 * 2.3), and an RRSIG by each key over every authoritative RRset (at a
 * delegation only the DS and NSEC: RFC 4035 section 2.2).  The signing
 * itself is ldns's (ldns_sign_public, OpenSSL underneath).
 *
 * Signing is incremental: given the version served before, an RRset
 * that holds the same records with the same TTL keeps the signatures it
 * had, unless one of them expires in less than AUTH_SIGN_REFRESH; only
 * the RRsets an UPDATE changed, and the NSEC records around the names it
 * added or removed (whose next name or type bitmap moved), are signed
 * anew.  Validity is Knot DNS's default: AUTH_SIGN_LIFETIME (14 days),
 * renewed when less than AUTH_SIGN_REFRESH (7 days) is left; the
 * inception is backdated AUTH_SIGN_BACKDATE for clocks behind ours.
 *
 * The signed zone keeps a reference to the unsigned one (auth_zone_plain)
 * which UPDATE edits and git holds; the signed one is what is answered
 * and transferred.
 */
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

/* Signs the RRsets of the name whose records are u->v[i, end) and its
 * NSEC (next: the next name of the chain); at a delegation only DS and
 * NSEC are signed and listed besides NS. */
static int
sign_name(struct sig_work *w, const struct auth_zone *u,
    const struct auth_zone *prev, size_t i, size_t end, bool cut,
    ldns_rdf *next, uint32_t nsec_ttl, ldns_key_list *keys, time_t now,
    struct err *err)
{
	ldns_rr_list	*set = NULL, *all = NULL;
	ldns_rr		*nsec = NULL;
	ldns_rr_type	 t;
	size_t		 j, k;
	int		 rc = -1;

	if ((all = ldns_rr_list_new()) == NULL)
		goto nomem;
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
		if ((!cut || t == LDNS_RR_TYPE_DS) &&
		    sign_rrset(w, prev, set, keys, now, err) == -1)
			goto out;
		ldns_rr_list_free(set);
		set = NULL;
	}
	if ((nsec = ldns_create_nsec(ldns_rr_owner(u->v[i].rr), next,
	    all)) == NULL)
		goto nomem;
	ldns_rr_set_ttl(nsec, nsec_ttl);
	if ((set = ldns_rr_list_new()) == NULL ||
	    !ldns_rr_list_push_rr(set, nsec))
		goto nomem;
	if (sign_rrset(w, prev, set, keys, now, err) == -1)
		goto out;
	rc = work_push(w, nsec, err);
	nsec = NULL;
	goto out;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
out:
	ldns_rr_free(nsec);
	ldns_rr_list_free(set);
	ldns_rr_list_free(all);
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

/* plain's records and a DNSKEY for each key (and its CDNSKEY and CDS),
 * as a zone. */
static struct auth_zone *
with_dnskeys(const struct auth_zone *plain, ldns_key_list *keys,
    uint32_t serial, struct err *err)
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
    ldns_key_list *keys, time_t now, enum auth_serial_policy policy,
    struct auth_sign_stats *st, struct err *err)
{
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
	if (prev != NULL && prev->plain == NULL)
		prev = NULL;		/* not one of ours */
	for (i = 0; i < ldns_key_list_key_count(keys); i++) {
		ldns_key_set_inception(ldns_key_list_key(keys, i),
		    (uint32_t)(now - AUTH_SIGN_BACKDATE));
		ldns_key_set_expiration(ldns_key_list_key(keys, i),
		    (uint32_t)(now + AUTH_SIGN_LIFETIME));
	}
	/* A secondary only transfers a newer serial: one re-signed from
	 * the same (or an older) serial gets the next one. */
	if (prev != NULL && !auth_serial_lt(auth_zone_serial(prev), serial))
		serial = auth_serial_next(auth_zone_serial(prev), policy, now);
	if ((u = with_dnskeys(plain, keys, serial, err)) == NULL)
		return NULL;
	/* RFC 9077: the lesser of the SOA's TTL and its minimum. */
	min = ldns_rdf2native_int32(ldns_rr_rdf(u->soa, 6));
	nsec_ttl = ldns_rr_ttl(u->soa) < min ? ldns_rr_ttl(u->soa) : min;
	if (sign_names(u, &start, &cut, &n, err) == -1)
		goto out;
	for (i = 0; i < u->n; i++)
		if (work_push(&w, ldns_rr_clone(u->v[i].rr), err) == -1)
			goto out;
	for (i = 0; i < n; i++) {
		for (end = start[i] + 1; end < u->n &&
		    same_owner(u, start[i], end); end++)
			continue;
		if (sign_name(&w, u, prev, start[i], end, cut[i],
		    ldns_rr_owner(u->v[start[(i + 1) % n]].rr), nsec_ttl,
		    keys, now, err) == -1)
			goto out;
	}
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
		if (t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC ||
		    t == LDNS_RR_TYPE_DNSKEY || t == LDNS_RR_TYPE_CDS ||
		    t == LDNS_RR_TYPE_CDNSKEY)
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
