/*
 * validate.c: DNSSEC checks for the resolver (RFC 4035 section 5): an
 * RRset's signatures against a zone's trusted keys, a DNSKEY RRset against
 * its DS records or trust anchors (section 5.2), and proofs of denial
 * with NSEC (section 5.4) and NSEC3 (RFC 5155 section 8), including the
 * proof that a wildcard answer had no closer match (RFC 4035 section
 * 5.3.4, RFC 5155 section 8.8).  DS records of algorithms or digest types
 * we cannot use do not make a zone secure (RFC 4035 section 5.2, RFC 6840
 * section 5.2), and NSEC3 chains of more than RES_VAL_NSEC3_MAX_ITER
 * iterations prove nothing securely (RFC 9276 section 3.2).  The signature
 * arithmetic is ldns's, through the functions of ldns 1.7.1 and 1.8.3,
 * at the clock the core is given (the *_time variants).  The proofs of
 * denial are ours: ldns_dnssec_verify_denial() counts a name's own NSEC
 * as covering it, so a NODATA proof would pass for an NXDOMAIN; here an
 * NXDOMAIN needs names covered strictly, a NODATA the name's own record
 * (or an empty non-terminal's, or a wildcard's), and neither takes the
 * parent side of a zone cut for more than the DS nor a CNAME bit for an
 * absent type (RFC 6840 section 4).
 */
#include <string.h>

#include "resolver/res_priv.h"
#include "util/err.h"

int
res_rr_push_copy(ldns_rr_list *l, const ldns_rr *rr)
{
	ldns_rr	*c;

	if ((c = ldns_rr_clone(rr)) == NULL)
		return -1;
	if (!ldns_rr_list_push_rr(l, c)) {
		ldns_rr_free(c);
		return -1;
	}
	return 0;
}

ldns_rr_list *
res_rrs_select(const ldns_rr_list *l, const ldns_rdf *owner, uint16_t type)
{
	ldns_rr_list	*out;
	ldns_rr		*rr;
	size_t		 i;

	if ((out = ldns_rr_list_new()) == NULL)
		return NULL;
	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) == type &&
		    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		    (owner == NULL ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) &&
		    res_rr_push_copy(out, rr) == -1) {
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	return out;
}

ldns_rr_list *
res_sigs_select(const ldns_rr_list *l, const ldns_rdf *owner, uint16_t type)
{
	ldns_rr_list	*out;
	ldns_rr		*rr;
	ldns_rdf	*cov;
	size_t		 i;

	if ((out = ldns_rr_list_new()) == NULL)
		return NULL;
	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    (cov = ldns_rr_rrsig_typecovered(rr)) == NULL ||
		    ldns_rdf2rr_type(cov) != type ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		if (res_rr_push_copy(out, rr) == -1) {
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	return out;
}

static enum res_ede
status_ede(ldns_status st)
{
	switch (st) {
	case LDNS_STATUS_CRYPTO_SIG_EXPIRED:
		return RES_EDE_SIG_EXPIRED;
	case LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED:
		return RES_EDE_SIG_NOT_YET;
	case LDNS_STATUS_CRYPTO_NO_RRSIG:
		return RES_EDE_RRSIGS_MISSING;
	case LDNS_STATUS_CRYPTO_NO_DNSKEY:
	case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY:
		return RES_EDE_DNSKEY_MISSING;
	default:
		return RES_EDE_DNSSEC_BOGUS;
	}
}

static const char *
type_str(uint16_t type, char *buf, size_t len)
{
	char	*s = ldns_rr_type2str((ldns_rr_type)type);

	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
	return buf;
}

/* The earlier of two expirations, 0 standing for none. */
static time_t
until_min(time_t a, time_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/*
 * The expiration of rrsig as a time near now: the field is a 32-bit
 * serial number (RFC 4034 section 3.1.5), so 2106 is not the end.
 */
static time_t
rrsig_until(const ldns_rr *rrsig, time_t now)
{
	const ldns_rdf	*e = ldns_rr_rrsig_expiration(rrsig);
	int32_t		 d;

	if (e == NULL || ldns_rdf_size(e) != 4)
		return now;
	d = (int32_t)(ldns_rdf2native_time_t(e) - (uint32_t)now);
	return now + d;
}

enum res_sec
res_val_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr_list *keys, const ldns_rdf *zone, time_t now,
    time_t *until_out, enum res_ede *ede_out, struct err *err)
{
	ldns_rr_list	*ss, *good;
	ldns_rr		*first, *sig;
	ldns_status	 st, s1;
	char		*owner, tbuf[16];
	time_t		 until = 0;
	size_t		 i;

	if (until_out != NULL)
		*until_out = 0;
	if (ldns_rr_list_rr_count(rrset) == 0) {
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_ARG, "empty rrset");
		return RES_SEC_BOGUS;
	}
	first = ldns_rr_list_rr(rrset, 0);
	owner = ldns_rdf2str(ldns_rr_owner(first));
	type_str(ldns_rr_get_type(first), tbuf, sizeof(tbuf));
	if ((ss = res_sigs_select(sigs, ldns_rr_owner(first),
	    ldns_rr_get_type(first))) == NULL) {
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		free(owner);
		return RES_SEC_BOGUS;
	}
	/* Only signatures by the zone's own keys count (RFC 4035 5.3.1). */
	for (i = ldns_rr_list_rr_count(ss); i > 0; i--) {
		ldns_rr	*s = ldns_rr_list_rr(ss, i - 1);

		if (ldns_rr_rrsig_signame(s) == NULL ||
		    ldns_dname_compare(ldns_rr_rrsig_signame(s), zone) != 0) {
			ldns_rr_list_set_rr(ss, ldns_rr_list_rr(ss,
			    ldns_rr_list_rr_count(ss) - 1), i - 1);
			ldns_rr_list_set_rr_count(ss,
			    ldns_rr_list_rr_count(ss) - 1);
			ldns_rr_free(s);
		}
	}
	if (ldns_rr_list_rr_count(ss) == 0) {
		*ede_out = RES_EDE_RRSIGS_MISSING;
		err_set(err, ERR_CRYPTO, "%s %s: no rrsig", owner ? owner :
		    "?", tbuf);
		ldns_rr_list_deep_free(ss);
		free(owner);
		return RES_SEC_BOGUS;
	}
	/*
	 * Each signature on its own, at the core's clock (ldns_verify
	 * would read the wall clock): the RRset is good while the
	 * signatures that verify are, so their earliest expiration bounds
	 * how long it may be kept (RFC 4035 section 5.3.3).  The status
	 * kept for a failure is the most telling, as ldns_verify_time
	 * chooses it.
	 */
	st = LDNS_STATUS_ERR;
	if (ldns_rr_list_rr_count(keys) == 0)
		st = LDNS_STATUS_CRYPTO_NO_TRUSTED_DNSKEY;
	for (i = 0; ldns_rr_list_rr_count(keys) > 0 &&
	    i < ldns_rr_list_rr_count(ss); i++) {
		sig = ldns_rr_list_rr(ss, i);
		if ((good = ldns_rr_list_new()) == NULL) {
			s1 = LDNS_STATUS_MEM_ERR;
		} else {
			s1 = ldns_verify_rrsig_keylist_time(rrset, sig, keys,
			    now, good);
			ldns_rr_list_free(good);
		}
		if (s1 == LDNS_STATUS_OK) {
			until = until_min(until, rrsig_until(sig, now));
			st = LDNS_STATUS_OK;
		} else if (s1 == LDNS_STATUS_MEM_ERR) {
			/* Nothing can be said of the RRset. */
			st = s1;
			break;
		} else if (st == LDNS_STATUS_ERR)
			st = s1;
		else if (st != LDNS_STATUS_OK && s1 != LDNS_STATUS_ERR &&
		    st == LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY)
			st = s1;
	}
	ldns_rr_list_deep_free(ss);
	if (st != LDNS_STATUS_OK) {
		*ede_out = st == LDNS_STATUS_MEM_ERR ? RES_EDE_OTHER :
		    status_ede(st);
		err_set(err, st == LDNS_STATUS_MEM_ERR ? ERR_NOMEM : ERR_CRYPTO,
		    "%s %s: %s", owner ? owner : "?", tbuf,
		    ldns_get_errorstr_by_id(st));
		free(owner);
		return RES_SEC_BOGUS;
	}
	free(owner);
	if (until_out != NULL)
		*until_out = until;
	return RES_SEC_SECURE;
}

/* Whether two DNSKEY records carry the same key. */
static bool
dnskey_equal(const ldns_rr *a, const ldns_rr *b)
{
	size_t	i;

	if (ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	for (i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return false;
	return true;
}

enum res_sec
res_val_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
    const ldns_rr_list *trusted, time_t now, time_t *until_out,
    enum res_ede *ede_out, struct err *err)
{
	ldns_rr_list	*cand;
	ldns_rr		*k, *t;
	size_t		 i, j;
	enum res_sec	 sec;

	if (until_out != NULL)
		*until_out = 0;
	if (ldns_rr_list_rr_count(dnskeys) == 0) {
		*ede_out = RES_EDE_DNSKEY_MISSING;
		err_set(err, ERR_CRYPTO, "no dnskey");
		return RES_SEC_BOGUS;
	}
	if ((cand = ldns_rr_list_new()) == NULL) {
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		return RES_SEC_BOGUS;
	}
	for (i = 0; i < ldns_rr_list_rr_count(dnskeys); i++) {
		k = ldns_rr_list_rr(dnskeys, i);
		for (j = 0; j < ldns_rr_list_rr_count(trusted); j++) {
			t = ldns_rr_list_rr(trusted, j);
			if ((ldns_rr_get_type(t) == LDNS_RR_TYPE_DS &&
			    ldns_rr_compare_ds(k, t)) ||
			    (ldns_rr_get_type(t) == LDNS_RR_TYPE_DNSKEY &&
			    dnskey_equal(k, t))) {
				if (res_rr_push_copy(cand, k) == -1) {
					ldns_rr_list_deep_free(cand);
					*ede_out = RES_EDE_OTHER;
					err_set(err, ERR_NOMEM, "out of memory");
					return RES_SEC_BOGUS;
				}
				break;
			}
		}
	}
	if (ldns_rr_list_rr_count(cand) == 0) {
		ldns_rr_list_deep_free(cand);
		*ede_out = RES_EDE_DNSKEY_MISSING;
		err_set(err, ERR_CRYPTO, "no dnskey matches the ds");
		return RES_SEC_BOGUS;
	}
	sec = res_val_rrset(dnskeys, sigs, cand,
	    ldns_rr_owner(ldns_rr_list_rr(dnskeys, 0)), now, until_out,
	    ede_out, err);
	ldns_rr_list_deep_free(cand);
	return sec;
}

bool
res_ds_usable(const ldns_rr_list *ds)
{
	const ldns_rr	*rr;
	size_t		 i;
	int		 alg, dig;

	for (i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		rr = ldns_rr_list_rr(ds, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS ||
		    ldns_rr_rd_count(rr) < 4 || ldns_rr_rdf(rr, 1) == NULL ||
		    ldns_rr_rdf(rr, 2) == NULL)
			continue;
		alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		dig = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		/* RFC 8624 section 3.1: RSAMD5 and DSA are not validated;
		 * Ed25519 and Ed448 only when this ldns was built with them. */
		switch (alg) {
		case LDNS_RSASHA1:
		case LDNS_RSASHA1_NSEC3:
		case LDNS_RSASHA256:
		case LDNS_RSASHA512:
		case LDNS_ECDSAP256SHA256:
		case LDNS_ECDSAP384SHA384:
			break;
		case 15:	/* ED25519 */
		case 16:	/* ED448 */
			if (ldns_key_algo_supported(alg))
				break;
			continue;
		default:
			continue;
		}
		/* RFC 4509, RFC 6605; GOST (3) is not. */
		if (dig == LDNS_SHA1 || dig == LDNS_SHA256 ||
		    dig == LDNS_SHA384)
			return true;
	}
	return false;
}

/*
 * Whether an NSEC3 chain is too costly to trust (RFC 9276 section 3.2);
 * only the records' own parameters count, their signatures are checked
 * by the caller.
 */
static bool
nsec3_too_costly(const ldns_rr_list *nsec3s)
{
	size_t	i;

	for (i = 0; i < ldns_rr_list_rr_count(nsec3s); i++)
		if (ldns_nsec3_iterations(ldns_rr_list_rr(nsec3s, i)) >
		    RES_VAL_NSEC3_MAX_ITER)
			return true;
	return false;
}

/*
 * Checks the signature of each record of l (each its own RRset); *until
 * becomes the earliest expiration of the signatures that verified.
 */
static enum res_sec
val_each(const ldns_rr_list *l, const ldns_rr_list *sigs,
    const ldns_rr_list *keys, const ldns_rdf *zone, time_t now,
    time_t *until, enum res_ede *ede_out, struct err *err)
{
	ldns_rr_list	*set;
	enum res_sec	 sec = RES_SEC_SECURE;
	time_t		 u;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		if ((set = ldns_rr_list_new()) == NULL ||
		    res_rr_push_copy(set, ldns_rr_list_rr(l, i)) == -1) {
			ldns_rr_list_free(set);
			*ede_out = RES_EDE_OTHER;
			err_set(err, ERR_NOMEM, "out of memory");
			return RES_SEC_BOGUS;
		}
		sec = res_val_rrset(set, sigs, keys, zone, now, &u, ede_out,
		    err);
		ldns_rr_list_deep_free(set);
		if (sec != RES_SEC_SECURE)
			return sec;
		*until = until_min(*until, u);
	}
	return sec;
}

/* The labels of name as RRSIG counts them (RFC 4034 section 3.1.3). */
static size_t
rrsig_label_count(const ldns_rdf *name)
{
	size_t		n = ldns_dname_label_count(name);
	const uint8_t	*d = ldns_rdf_data(name);

	if (n > 0 && ldns_rdf_size(name) >= 2 && d[0] == 1 && d[1] == '*')
		n--;
	return n;
}

/* ---- proofs of denial ---- */

static bool
at_or_below(const ldns_rdf *name, const ldns_rdf *zone)
{
	return ldns_dname_compare(name, zone) == 0 ||
	    ldns_dname_is_subdomain(name, zone);
}

/* Whether the type bitmap of an NSEC or NSEC3 record has type. */
static bool
has_type(const ldns_rr *rr, uint16_t type)
{
	ldns_rdf	*bm;

	bm = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC ? ldns_rr_rdf(rr, 1) :
	    ldns_rr_rdf(rr, 5);
	return bm != NULL && ldns_rdf_get_type(bm) == LDNS_RDF_TYPE_BITMAP &&
	    ldns_nsec_bitmap_covers_type(bm, (ldns_rr_type)type);
}

/*
 * What a proof of denial found against it: why it does not hold, and
 * whether memory ran out on the way (then it proves nothing, whatever it
 * found: a name not copied may be what a record covers).
 */
struct proof {
	const char	*why;
	bool		 nomem;
};

/* NULL, noting that memory ran out. */
static void *
proof_nomem(struct proof *pf)
{
	pf->nomem = true;
	pf->why = "out of memory";
	return NULL;
}

/*
 * The name an NSEC points to, or the owner name an NSEC3's next hash
 * stands for (in zone): a copy, or NULL when the record has none.
 * ldns_nsec_covers_name() does the same but counts a record's own name
 * as covered and prints to stdout on a bad next hash.
 */
static ldns_rdf *
next_name(const ldns_rr *rr, const ldns_rdf *zone, struct proof *pf)
{
	ldns_rdf	*next = NULL, *h;
	ldns_status	 st;
	char		*str;

	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC) {
		if (ldns_rr_rdf(rr, 0) == NULL ||
		    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) !=
		    LDNS_RDF_TYPE_DNAME)
			return NULL;
		if ((next = ldns_rdf_clone(ldns_rr_rdf(rr, 0))) == NULL)
			return proof_nomem(pf);
		return next;
	}
	if ((h = ldns_nsec3_next_owner(rr)) == NULL ||
	    ldns_rdf_size(h) < 2 || ldns_rdf_size(h) > 40)
		return NULL;
	if ((str = ldns_rdf2str(h)) == NULL)
		return proof_nomem(pf);
	st = str[0] != '\0' && strchr(str, '.') == NULL ?
	    ldns_str2rdf_dname(&next, str) : LDNS_STATUS_ERR;
	free(str);
	if (st == LDNS_STATUS_OK)
		st = ldns_dname_cat(next, zone);
	if (st != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(next);
		return st == LDNS_STATUS_MEM_ERR ? proof_nomem(pf) : NULL;
	}
	return next;
}

/*
 * Whether rr (NSEC or NSEC3) covers name strictly: its owner comes
 * before name and its next name after, in canonical order (RFC 4034
 * section 6.1); the last record of the chain, pointing back to the
 * start, covers every name after its owner.  Its own name it does not
 * cover (that it matches: the name exists).
 */
static bool
covers(const ldns_rr *rr, const ldns_rdf *name, const ldns_rdf *zone,
    struct proof *pf)
{
	ldns_rdf	*next;
	int		 on, nn, oo;

	if ((next = next_name(rr, zone, pf)) == NULL)
		return false;
	on = ldns_dname_compare(ldns_rr_owner(rr), name);
	nn = ldns_dname_compare(name, next);
	oo = ldns_dname_compare(ldns_rr_owner(rr), next);
	ldns_rdf_deep_free(next);
	if (on == 0)
		return false;
	if (oo < 0)
		return on < 0 && nn < 0;
	return on < 0 || nn < 0;	/* the last one (or the only one) */
}

/*
 * Whether an NSEC or NSEC3 record at a name proves that type is not
 * there.  Not when the bitmap has the type or a CNAME (an alias answers
 * every type with its CNAME); not at the parent side of a zone cut (NS
 * without SOA), which knows nothing at the cut but the DS (RFC 6840
 * section 4.1, RFC 5155 section 8.5); and for a DS not from a zone apex
 * (SOA): that is the child speaking, not the parent.
 */
static bool
proves_nodata_at(const ldns_rr *rr, uint16_t type, bool root)
{
	if (has_type(rr, type) || has_type(rr, LDNS_RR_TYPE_CNAME))
		return false;
	if (type != LDNS_RR_TYPE_DS && has_type(rr, LDNS_RR_TYPE_NS) &&
	    !has_type(rr, LDNS_RR_TYPE_SOA))
		return false;
	if (type == LDNS_RR_TYPE_DS && has_type(rr, LDNS_RR_TYPE_SOA) &&
	    !root)
		return false;
	return true;
}

/*
 * Whether a record at an ancestor of a name may speak for names below
 * it: not at a delegation (NS without SOA) nor at a DNAME (RFC 6840
 * section 4.1, RFC 5155 section 8.3).
 */
static bool
may_speak_below(const ldns_rr *rr)
{
	return !has_type(rr, LDNS_RR_TYPE_DNAME) &&
	    (!has_type(rr, LDNS_RR_TYPE_NS) || has_type(rr, LDNS_RR_TYPE_SOA));
}

/* The longest common ancestor of a and b (a copy). */
static ldns_rdf *
common_ancestor(const ldns_rdf *a, const ldns_rdf *b, struct proof *pf)
{
	size_t		la = ldns_dname_label_count(a);
	size_t		lb = ldns_dname_label_count(b);
	size_t		n = la < lb ? la : lb;
	ldns_rdf	*x, *y;

	for (; n > 0; n--) {
		x = ldns_dname_clone_from(a, (uint16_t)(la - n));
		y = ldns_dname_clone_from(b, (uint16_t)(lb - n));
		if (x == NULL || y == NULL) {
			ldns_rdf_deep_free(x);
			ldns_rdf_deep_free(y);
			return proof_nomem(pf);
		}
		if (ldns_dname_compare(x, y) == 0) {
			ldns_rdf_deep_free(y);
			return x;
		}
		ldns_rdf_deep_free(x);
		ldns_rdf_deep_free(y);
	}
	if ((x = ldns_dname_new_frm_str(".")) == NULL)
		return proof_nomem(pf);
	return x;
}

/* "*." prepended to name, or NULL (too long, or no memory). */
static ldns_rdf *
wildcard_at(const ldns_rdf *name, struct proof *pf)
{
	ldns_rdf	*w = ldns_dname_new_frm_str("*");
	ldns_status	 st;

	if (w == NULL)
		return proof_nomem(pf);
	if ((st = ldns_dname_cat(w, name)) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(w);
		return st == LDNS_STATUS_MEM_ERR ? proof_nomem(pf) : NULL;
	}
	return w;
}

static const ldns_rr *
nsec_matching(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	size_t	i;

	for (i = 0; i < ldns_rr_list_rr_count(nsecs); i++)
		if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(nsecs, i)),
		    name) == 0)
			return ldns_rr_list_rr(nsecs, i);
	return NULL;
}

/*
 * An NSEC covering name, that may speak for it (not the parent side of
 * a cut above it).  *ent_out: name is an empty non-terminal (the NSEC's
 * next name is below it), so it exists after all.
 */
static const ldns_rr *
nsec_covering(const ldns_rr_list *nsecs, const ldns_rdf *name,
    const ldns_rdf *zone, bool *ent_out, struct proof *pf)
{
	const ldns_rr	*rr;
	ldns_rdf	*next;
	size_t		 i;

	*ent_out = false;
	for (i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		rr = ldns_rr_list_rr(nsecs, i);
		if (!covers(rr, name, zone, pf))
			continue;
		if (ldns_dname_is_subdomain(name, ldns_rr_owner(rr)) &&
		    !may_speak_below(rr))
			continue;
		if ((next = next_name(rr, zone, pf)) != NULL &&
		    ldns_dname_is_subdomain(next, name))
			*ent_out = true;
		ldns_rdf_deep_free(next);
		return rr;
	}
	return NULL;
}

/*
 * The closest encloser of name given the NSEC that covers it: the
 * longer of the ancestors name shares with the NSEC's owner and next
 * name (RFC 4035 section 5.4), never above the zone.
 */
static ldns_rdf *
nsec_closest_encloser(const ldns_rr *rr, const ldns_rdf *name,
    const ldns_rdf *zone, struct proof *pf)
{
	ldns_rdf	*a, *b, *next;

	a = common_ancestor(name, ldns_rr_owner(rr), pf);
	next = next_name(rr, zone, pf);
	b = next != NULL ? common_ancestor(name, next, pf) : NULL;
	ldns_rdf_deep_free(next);
	if (a != NULL && b != NULL &&
	    ldns_dname_label_count(b) > ldns_dname_label_count(a)) {
		ldns_rdf_deep_free(a);
		a = b;
		b = NULL;
	}
	ldns_rdf_deep_free(b);
	if (a != NULL && !at_or_below(a, zone)) {
		ldns_rdf_deep_free(a);
		if ((a = ldns_rdf_clone(zone)) == NULL)
			return proof_nomem(pf);
	}
	return a;
}

/*
 * NSEC (RFC 4035 sections 3.1.3 and 5.4): NXDOMAIN needs an NSEC
 * covering the name and one covering the wildcard at its closest
 * encloser; NODATA the name's own NSEC without the type, or, for an
 * empty non-terminal, the NSEC before it, or, for a wildcard that
 * matched, the proof that the name does not exist and the wildcard's
 * NSEC without the type.
 */
static enum res_sec
nsec_denial(const ldns_rdf *qname, uint16_t qtype, bool nxdomain,
    const ldns_rr_list *nsecs, const ldns_rdf *zone, struct proof *pf)
{
	const ldns_rr	*rr, *w;
	ldns_rdf	*ce = NULL, *wild = NULL;
	bool		 ent, root = ldns_dname_label_count(qname) == 0;
	enum res_sec	 sec = RES_SEC_BOGUS;

	if ((rr = nsec_matching(nsecs, qname)) != NULL) {
		pf->why = nxdomain ? "nsec proves the name exists" :
		    "nsec at the name does not prove the type absent";
		return !nxdomain && proves_nodata_at(rr, qtype, root) ?
		    RES_SEC_SECURE : RES_SEC_BOGUS;
	}
	if ((rr = nsec_covering(nsecs, qname, zone, &ent, pf)) == NULL) {
		pf->why = "no nsec covers the name";
		return RES_SEC_BOGUS;
	}
	if (ent) {
		pf->why = "the name is an empty non-terminal";
		return nxdomain ? RES_SEC_BOGUS : RES_SEC_SECURE;
	}
	if ((ce = nsec_closest_encloser(rr, qname, zone, pf)) == NULL ||
	    (wild = wildcard_at(ce, pf)) == NULL) {
		pf->why = "no wildcard name";
		goto done;
	}
	if ((w = nsec_matching(nsecs, wild)) != NULL) {
		pf->why = nxdomain ? "a wildcard matches the name" :
		    "the wildcard's nsec does not prove the type absent";
		if (!nxdomain && proves_nodata_at(w, qtype, false))
			sec = RES_SEC_SECURE;
		goto done;
	}
	pf->why = nxdomain ? "no nsec denies the wildcard" :
	    "no nsec at the name";
	if (nxdomain && nsec_covering(nsecs, wild, zone, &ent, pf) != NULL &&
	    !ent)
		sec = RES_SEC_SECURE;
done:
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return sec;
}

/* The hash owner name of name in zone for the parameters of rr. */
static ldns_rdf *
nsec3_hashed(const ldns_rr *rr, const ldns_rdf *name, const ldns_rdf *zone,
    struct proof *pf)
{
	ldns_rdf	*h;
	ldns_status	 st;

	if ((h = ldns_nsec3_hash_name_frm_nsec3(rr, name)) != NULL &&
	    (st = ldns_dname_cat(h, zone)) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		return st == LDNS_STATUS_MEM_ERR ? proof_nomem(pf) : NULL;
	}
	return h;
}

/* The NSEC3 record whose owner is the hash of name, or NULL. */
static const ldns_rr *
nsec3_matching(const ldns_rr_list *nsec3s, const ldns_rdf *name,
    const ldns_rdf *zone, struct proof *pf)
{
	const ldns_rr	*rr;
	ldns_rdf	*h;
	size_t		 i;
	bool		 match;

	for (i = 0; i < ldns_rr_list_rr_count(nsec3s); i++) {
		rr = ldns_rr_list_rr(nsec3s, i);
		if ((h = nsec3_hashed(rr, name, zone, pf)) == NULL)
			continue;
		match = ldns_dname_compare(h, ldns_rr_owner(rr)) == 0;
		ldns_rdf_deep_free(h);
		if (match)
			return rr;
	}
	return NULL;
}

int
res_denial_shows_cut(const ldns_rr_list *auth, const ldns_rdf *name)
{
	const ldns_rr	*rr;
	ldns_rdf	*zone;
	struct proof	 pf = { NULL, false };
	size_t		 i;
	bool		 match;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC) {
			if (ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
				return has_type(rr, LDNS_RR_TYPE_NS) ? 1 : 0;
			continue;
		}
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
			continue;
		/* An NSEC3's zone is its owner but the hash label. */
		if ((zone = ldns_dname_left_chop(ldns_rr_owner(rr))) == NULL)
			return -1;
		match = nsec3_matching(auth, name, zone, &pf) == rr;
		ldns_rdf_deep_free(zone);
		if (pf.nomem)
			return -1;
		if (match)
			return has_type(rr, LDNS_RR_TYPE_NS) ? 1 : 0;
	}
	return 0;
}

/* The NSEC3 record covering the hash of name (strictly), or NULL. */
static const ldns_rr *
nsec3_covering(const ldns_rr_list *nsec3s, const ldns_rdf *name,
    const ldns_rdf *zone, struct proof *pf)
{
	const ldns_rr	*rr;
	ldns_rdf	*h;
	size_t		 i;
	bool		 cov;

	for (i = 0; i < ldns_rr_list_rr_count(nsec3s); i++) {
		rr = ldns_rr_list_rr(nsec3s, i);
		if ((h = nsec3_hashed(rr, name, zone, pf)) == NULL)
			continue;
		cov = covers(rr, h, zone, pf);
		ldns_rdf_deep_free(h);
		if (cov)
			return rr;
	}
	return NULL;
}

/*
 * The closest encloser proof (RFC 5155 section 8.3): the longest
 * ancestor of qname (in zone) whose hash an NSEC3 matches, which is no
 * delegation nor DNAME, and the NSEC3 covering the next closer name.
 * The encloser (a copy) in *ce_out, the covering record in *nc_out.
 */
static bool
nsec3_closest_encloser(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
    const ldns_rdf *zone, ldns_rdf **ce_out, const ldns_rr **nc_out,
    struct proof *pf)
{
	ldns_rdf	*ce, *nc = NULL, *up;
	const ldns_rr	*m = NULL;

	*ce_out = NULL;
	*nc_out = NULL;
	if (!ldns_dname_is_subdomain(qname, zone))
		return false;
	nc = ldns_rdf_clone(qname);
	ce = ldns_dname_left_chop(qname);
	if (nc == NULL || ce == NULL) {
		ldns_rdf_deep_free(nc);
		ldns_rdf_deep_free(ce);
		proof_nomem(pf);
		return false;
	}
	while (at_or_below(ce, zone)) {
		if ((m = nsec3_matching(nsec3s, ce, zone, pf)) != NULL)
			break;
		if (ldns_dname_label_count(ce) == 0)
			break;
		if ((up = ldns_dname_left_chop(ce)) == NULL) {
			proof_nomem(pf);
			break;
		}
		ldns_rdf_deep_free(nc);
		nc = ce;
		ce = up;
	}
	if (m == NULL || !may_speak_below(m) ||
	    (*nc_out = nsec3_covering(nsec3s, nc, zone, pf)) == NULL) {
		ldns_rdf_deep_free(ce);
		ldns_rdf_deep_free(nc);
		*nc_out = NULL;
		return false;
	}
	ldns_rdf_deep_free(nc);
	*ce_out = ce;
	return true;
}

/*
 * NSEC3 (RFC 5155 sections 8.4 to 8.7): NXDOMAIN needs the closest
 * encloser proof and the wildcard at the encloser covered; NODATA the
 * name's own NSEC3 without the type, or for a DS the closest encloser
 * proof under opt-out (an insecure delegation), or for a wildcard that
 * matched the closest encloser proof and the wildcard's NSEC3 without
 * the type.  Opt-out over the next closer name makes a proof insecure,
 * a wildcard NODATA's too: an unsigned delegation could hide there, which
 * the wildcard would not speak for (RFC 5155 section 9.2; Unbound too).
 */
static enum res_sec
nsec3_denial(const ldns_rdf *qname, uint16_t qtype, bool nxdomain,
    const ldns_rr_list *nsec3s, const ldns_rdf *zone, struct proof *pf)
{
	const ldns_rr	*rr, *nc;
	ldns_rdf	*ce = NULL, *wild = NULL;
	bool		 root = ldns_dname_label_count(qname) == 0;
	enum res_sec	 sec = RES_SEC_BOGUS;

	if ((rr = nsec3_matching(nsec3s, qname, zone, pf)) != NULL) {
		pf->why = nxdomain ? "nsec3 proves the name exists" :
		    "nsec3 at the name does not prove the type absent";
		return !nxdomain && proves_nodata_at(rr, qtype, root) ?
		    RES_SEC_SECURE : RES_SEC_BOGUS;
	}
	if (!nsec3_closest_encloser(nsec3s, qname, zone, &ce, &nc, pf)) {
		pf->why = "no closest encloser proof";
		return RES_SEC_BOGUS;
	}
	if ((wild = wildcard_at(ce, pf)) == NULL) {
		pf->why = "no wildcard name";
		goto done;
	}
	if (nxdomain) {
		pf->why = "no nsec3 denies the wildcard";
		if (nsec3_covering(nsec3s, wild, zone, pf) != NULL)
			sec = ldns_nsec3_optout(nc) ? RES_SEC_INSECURE :
			    RES_SEC_SECURE;
		goto done;
	}
	if ((rr = nsec3_matching(nsec3s, wild, zone, pf)) != NULL) {
		pf->why = "the wildcard's nsec3 does not prove the type absent";
		if (proves_nodata_at(rr, qtype, false))
			sec = ldns_nsec3_optout(nc) ? RES_SEC_INSECURE :
			    RES_SEC_SECURE;
		goto done;
	}
	pf->why = "no nsec3 at the name";
	if (qtype == LDNS_RR_TYPE_DS && ldns_nsec3_optout(nc))
		sec = RES_SEC_INSECURE;
done:
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return sec;
}

/*
 * The NSEC or NSEC3 records of auth that belong to zone: NSEC owners in
 * it, NSEC3 owners one label below its apex (RFC 5155 section 7.1).
 */
static ldns_rr_list *
denial_records(const ldns_rr_list *auth, uint16_t type, const ldns_rdf *zone)
{
	ldns_rr_list	*l;
	ldns_rr		*rr;
	size_t		 i;

	if ((l = res_rrs_select(auth, NULL, type)) == NULL)
		return NULL;
	for (i = ldns_rr_list_rr_count(l); i > 0; i--) {
		rr = ldns_rr_list_rr(l, i - 1);
		if (type == LDNS_RR_TYPE_NSEC ? at_or_below(ldns_rr_owner(rr),
		    zone) : (ldns_dname_is_subdomain(ldns_rr_owner(rr), zone) &&
		    ldns_dname_label_count(ldns_rr_owner(rr)) ==
		    ldns_dname_label_count(zone) + 1))
			continue;
		ldns_rr_list_set_rr(l, ldns_rr_list_rr(l,
		    ldns_rr_list_rr_count(l) - 1), i - 1);
		ldns_rr_list_set_rr_count(l, ldns_rr_list_rr_count(l) - 1);
		ldns_rr_free(rr);
	}
	return l;
}

enum res_sec
res_val_wildcard(const ldns_rdf *owner, const ldns_rr_list *sigs,
    const ldns_rr_list *auth, const ldns_rr_list *keys, const ldns_rdf *zone,
    time_t now, time_t *until_out, enum res_ede *ede_out, struct err *err)
{
	ldns_rr_list	*nsecs = NULL, *nsec3s = NULL, *asigs = NULL;
	ldns_rdf	*next = NULL;
	const ldns_rr	*nc;
	ldns_rr		*rr;
	size_t		 i, n, labels = 255;
	enum res_sec	 sec = RES_SEC_BOGUS;
	time_t		 until = 0;
	struct proof	 pf = { "", false };
	bool		 ent;

	if (until_out != NULL)
		*until_out = 0;
	/* The fewest labels any signature claims: an expansion as soon as
	 * one claims fewer than the owner has. */
	for (i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		rr = ldns_rr_list_rr(sigs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rr_rrsig_labels(rr) != NULL &&
		    ldns_rdf2native_int8(ldns_rr_rrsig_labels(rr)) < labels)
			labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(rr));
	}
	n = rrsig_label_count(owner);
	if (labels >= n)
		return RES_SEC_SECURE;
	/* The next closer name: the closest encloser (labels labels) and
	 * one more label of owner (RFC 5155 section 1.3). */
	next = ldns_dname_clone_from(owner, (uint16_t)(n - labels - 1));
	nsecs = denial_records(auth, LDNS_RR_TYPE_NSEC, zone);
	nsec3s = denial_records(auth, LDNS_RR_TYPE_NSEC3, zone);
	asigs = res_rrs_select(auth, NULL, LDNS_RR_TYPE_RRSIG);
	if (next == NULL || nsecs == NULL || nsec3s == NULL || asigs == NULL) {
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	if (ldns_rr_list_rr_count(nsecs) > 0) {
		if ((sec = val_each(nsecs, asigs, keys, zone, now, &until,
		    ede_out, err)) != RES_SEC_SECURE)
			goto done;
		/* An NSEC covering owner (not an empty non-terminal). */
		if (nsec_covering(nsecs, owner, zone, &ent, &pf) != NULL &&
		    !ent && !pf.nomem)
			goto done;	/* secure */
	} else if (ldns_rr_list_rr_count(nsec3s) > 0) {
		if ((sec = val_each(nsec3s, asigs, keys, zone, now, &until,
		    ede_out, err)) != RES_SEC_SECURE)
			goto done;
		if (nsec3_too_costly(nsec3s)) {
			err_set(err, ERR_CRYPTO, "nsec3 iterations above %d",
			    RES_VAL_NSEC3_MAX_ITER);
			*ede_out = RES_EDE_NSEC3_ITER;
			sec = RES_SEC_INSECURE;
			goto done;
		}
		if ((nc = nsec3_covering(nsec3s, next, zone, &pf)) != NULL &&
		    !pf.nomem) {
			if (ldns_nsec3_optout(nc)) {
				err_set(err, ERR_CRYPTO, "wildcard answer in "
				    "an nsec3 opt-out span");
				sec = RES_SEC_INSECURE;
			}
			goto done;	/* secure, or insecure */
		}
	}
	sec = RES_SEC_BOGUS;
	if (pf.nomem) {
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
	} else {
		*ede_out = RES_EDE_NSEC_MISSING;
		err_set(err, ERR_CRYPTO, "wildcard answer without proof of no "
		    "closer match");
	}
done:
	if (sec == RES_SEC_SECURE && until_out != NULL)
		*until_out = until;
	ldns_rdf_deep_free(next);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(nsec3s);
	ldns_rr_list_deep_free(asigs);
	return sec;
}

enum res_sec
res_val_denial(const ldns_rdf *qname, uint16_t qtype, bool nxdomain,
    const ldns_rr_list *auth, const ldns_rr_list *keys, const ldns_rdf *zone,
    time_t now, time_t *until_out, enum res_ede *ede_out, struct err *err)
{
	ldns_rr_list	*nsecs, *nsec3s, *sigs, *use;
	ldns_rdf	*name;
	struct proof	 pf = { "", false };
	enum res_sec	 sec = RES_SEC_SECURE;
	time_t		 until = 0;

	if (until_out != NULL)
		*until_out = 0;
	nsecs = denial_records(auth, LDNS_RR_TYPE_NSEC, zone);
	nsec3s = denial_records(auth, LDNS_RR_TYPE_NSEC3, zone);
	sigs = res_rrs_select(auth, NULL, LDNS_RR_TYPE_RRSIG);
	name = ldns_dname_clone_from(qname, 0);
	if (nsecs == NULL || nsec3s == NULL || sigs == NULL || name == NULL) {
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		sec = RES_SEC_BOGUS;
		goto done;
	}
	ldns_dname2canonical(name);
	use = ldns_rr_list_rr_count(nsecs) > 0 ? nsecs : nsec3s;
	if (ldns_rr_list_rr_count(use) == 0 || !at_or_below(name, zone)) {
		*ede_out = RES_EDE_NSEC_MISSING;
		err_set(err, ERR_CRYPTO, "denial without nsec or nsec3");
		sec = RES_SEC_BOGUS;
		goto done;
	}
	/* Each NSEC(3) record is its own RRset: check its signature. */
	if ((sec = val_each(use, sigs, keys, zone, now, &until, ede_out,
	    err)) != RES_SEC_SECURE)
		goto done;
	if (use == nsec3s && nsec3_too_costly(nsec3s)) {
		err_set(err, ERR_CRYPTO, "nsec3 iterations above %d",
		    RES_VAL_NSEC3_MAX_ITER);
		*ede_out = RES_EDE_NSEC3_ITER;
		sec = RES_SEC_INSECURE;
		goto done;
	}
	sec = use == nsecs ?
	    nsec_denial(name, qtype, nxdomain, nsecs, zone, &pf) :
	    nsec3_denial(name, qtype, nxdomain, nsec3s, zone, &pf);
	if (pf.nomem) {
		/* Whatever it found, a proof short of memory proves
		 * nothing. */
		*ede_out = RES_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		sec = RES_SEC_BOGUS;
	} else if (sec == RES_SEC_BOGUS) {
		*ede_out = RES_EDE_NSEC_MISSING;
		err_set(err, ERR_CRYPTO, "%s not proven: %s", nxdomain ?
		    "nxdomain" : "nodata", pf.why);
	} else if (sec == RES_SEC_INSECURE)
		err_set(err, ERR_CRYPTO, "nsec3 opt-out: %s", pf.why);
done:
	if (sec == RES_SEC_SECURE && until_out != NULL)
		*until_out = until;
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(nsec3s);
	ldns_rr_list_deep_free(sigs);
	return sec;
}
