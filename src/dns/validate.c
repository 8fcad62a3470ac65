/*
 * validate.c: DNSSEC checks for the resolver (RFC 4035 section 5): an
 * RRset's signatures against a zone's trusted keys, a DNSKEY RRset against
 * its DS records or trust anchors (section 5.2), and proofs of denial
 * with NSEC (section 5.4) and NSEC3 (RFC 5155 section 8), including the
 * proof that a wildcard answer had no closer match (RFC 4035 section
 * 5.3.4, RFC 5155 section 8.8).  DS records of algorithms or digest types
 * we cannot use do not make a zone secure (RFC 4035 section 5.2, RFC 6840
 * section 5.2), and NSEC3 chains of more than DNS_VAL_NSEC3_MAX_ITER
 * iterations prove nothing securely (RFC 9276 section 3.2).  The signature
 * arithmetic is ldns's, through the functions of ldns 1.7.1 and 1.8.3.
 */
#include <string.h>

#include "dns/res_priv.h"
#include "util/err.h"

ldns_rr_list *
dns_rrs_select(const ldns_rr_list *l, const ldns_rdf *owner, uint16_t type)
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
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0))
			ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	return out;
}

ldns_rr_list *
dns_sigs_select(const ldns_rr_list *l, const ldns_rdf *owner, uint16_t type)
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
		ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	return out;
}

static enum dns_ede
status_ede(ldns_status st)
{
	switch (st) {
	case LDNS_STATUS_CRYPTO_SIG_EXPIRED:
		return DNS_EDE_SIG_EXPIRED;
	case LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED:
		return DNS_EDE_SIG_NOT_YET;
	case LDNS_STATUS_CRYPTO_NO_RRSIG:
		return DNS_EDE_RRSIGS_MISSING;
	case LDNS_STATUS_CRYPTO_NO_DNSKEY:
	case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY:
		return DNS_EDE_DNSKEY_MISSING;
	default:
		return DNS_EDE_DNSSEC_BOGUS;
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

enum dns_sec
dns_val_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr_list *keys, const ldns_rdf *zone, time_t now,
    enum dns_ede *ede_out, struct err *err)
{
	ldns_rr_list	*rs, *ss, *ks, *good;
	ldns_rr		*first;
	ldns_status	 st;
	char		*owner, tbuf[16];
	size_t		 i;

	(void)now;	/* ldns 1.7.1 checks the validity period at its now */
	if (ldns_rr_list_rr_count(rrset) == 0) {
		*ede_out = DNS_EDE_OTHER;
		err_set(err, ERR_ARG, "empty rrset");
		return DNS_SEC_BOGUS;
	}
	first = ldns_rr_list_rr(rrset, 0);
	owner = ldns_rdf2str(ldns_rr_owner(first));
	type_str(ldns_rr_get_type(first), tbuf, sizeof(tbuf));
	ss = dns_sigs_select(sigs, ldns_rr_owner(first),
	    ldns_rr_get_type(first));
	/* Only signatures by the zone's own keys count (RFC 4035 5.3.1). */
	for (i = ldns_rr_list_rr_count(ss); ss != NULL && i > 0; i--) {
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
	if (ss == NULL || ldns_rr_list_rr_count(ss) == 0) {
		*ede_out = DNS_EDE_RRSIGS_MISSING;
		err_set(err, ERR_CRYPTO, "%s %s: no rrsig", owner ? owner :
		    "?", tbuf);
		ldns_rr_list_deep_free(ss);
		free(owner);
		return DNS_SEC_BOGUS;
	}
	rs = ldns_rr_list_clone(rrset);
	ks = ldns_rr_list_clone(keys);
	good = ldns_rr_list_new();
	st = (rs && ks && good) ? ldns_verify(rs, ss, ks, good) :
	    LDNS_STATUS_MEM_ERR;
	ldns_rr_list_deep_free(rs);
	ldns_rr_list_deep_free(ks);
	ldns_rr_list_free(good);
	ldns_rr_list_deep_free(ss);
	if (st != LDNS_STATUS_OK) {
		*ede_out = status_ede(st);
		err_set(err, ERR_CRYPTO, "%s %s: %s", owner ? owner : "?", tbuf,
		    ldns_get_errorstr_by_id(st));
		free(owner);
		return DNS_SEC_BOGUS;
	}
	free(owner);
	return DNS_SEC_SECURE;
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

enum dns_sec
dns_val_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
    const ldns_rr_list *trusted, time_t now, enum dns_ede *ede_out,
    struct err *err)
{
	ldns_rr_list	*cand;
	ldns_rr		*k, *t;
	size_t		 i, j;
	enum dns_sec	 sec;

	if (ldns_rr_list_rr_count(dnskeys) == 0) {
		*ede_out = DNS_EDE_DNSKEY_MISSING;
		err_set(err, ERR_CRYPTO, "no dnskey");
		return DNS_SEC_BOGUS;
	}
	if ((cand = ldns_rr_list_new()) == NULL) {
		*ede_out = DNS_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		return DNS_SEC_BOGUS;
	}
	for (i = 0; i < ldns_rr_list_rr_count(dnskeys); i++) {
		k = ldns_rr_list_rr(dnskeys, i);
		for (j = 0; j < ldns_rr_list_rr_count(trusted); j++) {
			t = ldns_rr_list_rr(trusted, j);
			if ((ldns_rr_get_type(t) == LDNS_RR_TYPE_DS &&
			    ldns_rr_compare_ds(k, t)) ||
			    (ldns_rr_get_type(t) == LDNS_RR_TYPE_DNSKEY &&
			    dnskey_equal(k, t))) {
				ldns_rr_list_push_rr(cand, ldns_rr_clone(k));
				break;
			}
		}
	}
	if (ldns_rr_list_rr_count(cand) == 0) {
		ldns_rr_list_deep_free(cand);
		*ede_out = DNS_EDE_DNSKEY_MISSING;
		err_set(err, ERR_CRYPTO, "no dnskey matches the ds");
		return DNS_SEC_BOGUS;
	}
	sec = dns_val_rrset(dnskeys, sigs, cand,
	    ldns_rr_owner(ldns_rr_list_rr(dnskeys, 0)), now, ede_out, err);
	ldns_rr_list_deep_free(cand);
	return sec;
}

bool
dns_ds_usable(const ldns_rr_list *ds)
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
		    DNS_VAL_NSEC3_MAX_ITER)
			return true;
	return false;
}

/* Checks the signature of each record of l (each its own RRset). */
static enum dns_sec
val_each(const ldns_rr_list *l, const ldns_rr_list *sigs,
    const ldns_rr_list *keys, const ldns_rdf *zone, time_t now,
    enum dns_ede *ede_out, struct err *err)
{
	ldns_rr_list	*set;
	enum dns_sec	 sec = DNS_SEC_SECURE;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		if ((set = ldns_rr_list_new()) == NULL) {
			*ede_out = DNS_EDE_OTHER;
			err_set(err, ERR_NOMEM, "out of memory");
			return DNS_SEC_BOGUS;
		}
		ldns_rr_list_push_rr(set, ldns_rr_clone(ldns_rr_list_rr(l, i)));
		sec = dns_val_rrset(set, sigs, keys, zone, now, ede_out, err);
		ldns_rr_list_deep_free(set);
		if (sec != DNS_SEC_SECURE)
			return sec;
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

/*
 * Whether one of nsec3s covers the hash of name (strictly: a record
 * whose owner is the hash proves name exists).
 */
static bool
nsec3_covers(const ldns_rr_list *nsec3s, const ldns_rdf *name,
    const ldns_rdf *zone)
{
	ldns_rdf	*h;
	ldns_rr		*rr;
	size_t		 i;
	bool		 found = false;

	for (i = 0; !found && i < ldns_rr_list_rr_count(nsec3s); i++) {
		rr = ldns_rr_list_rr(nsec3s, i);
		if ((h = ldns_nsec3_hash_name_frm_nsec3(rr, name)) == NULL)
			continue;
		if (ldns_dname_cat(h, zone) == LDNS_STATUS_OK &&
		    ldns_dname_compare(h, ldns_rr_owner(rr)) != 0 &&
		    ldns_nsec_covers_name(rr, h))
			found = true;
		ldns_rdf_deep_free(h);
	}
	return found;
}

enum dns_sec
dns_val_wildcard(const ldns_rdf *owner, const ldns_rr_list *sigs,
    const ldns_rr_list *auth, const ldns_rr_list *keys, const ldns_rdf *zone,
    time_t now, enum dns_ede *ede_out, struct err *err)
{
	ldns_rr_list	*nsecs = NULL, *nsec3s = NULL, *asigs = NULL;
	ldns_rdf	*next = NULL;
	ldns_rr		*rr;
	size_t		 i, n, labels = 255;
	enum dns_sec	 sec = DNS_SEC_BOGUS;
	bool		 found = false;

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
		return DNS_SEC_SECURE;
	/* The next closer name: the closest encloser (labels labels) and
	 * one more label of owner (RFC 5155 section 1.3). */
	next = ldns_dname_clone_from(owner, (uint16_t)(n - labels - 1));
	nsecs = dns_rrs_select(auth, NULL, LDNS_RR_TYPE_NSEC);
	nsec3s = dns_rrs_select(auth, NULL, LDNS_RR_TYPE_NSEC3);
	asigs = dns_rrs_select(auth, NULL, LDNS_RR_TYPE_RRSIG);
	if (next == NULL || nsecs == NULL || nsec3s == NULL || asigs == NULL) {
		*ede_out = DNS_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; !found && i < ldns_rr_list_rr_count(nsecs); i++) {
		rr = ldns_rr_list_rr(nsecs, i);
		/* Covers owner, which is not the NSEC's own name. */
		found = ldns_dname_compare(ldns_rr_owner(rr), owner) != 0 &&
		    ldns_nsec_covers_name(rr, owner);
	}
	if (found) {
		sec = val_each(nsecs, asigs, keys, zone, now, ede_out, err);
		goto done;
	}
	if (ldns_rr_list_rr_count(nsec3s) > 0) {
		if ((sec = val_each(nsec3s, asigs, keys, zone, now, ede_out,
		    err)) != DNS_SEC_SECURE)
			goto done;
		if (nsec3_too_costly(nsec3s)) {
			err_set(err, ERR_CRYPTO, "nsec3 iterations above %d",
			    DNS_VAL_NSEC3_MAX_ITER);
			sec = DNS_SEC_INSECURE;
			goto done;
		}
		if (nsec3_covers(nsec3s, next, zone))
			goto done;	/* secure */
	}
	*ede_out = DNS_EDE_NSEC_MISSING;
	err_set(err, ERR_CRYPTO, "wildcard answer without proof of no closer "
	    "match");
	sec = DNS_SEC_BOGUS;
done:
	ldns_rdf_deep_free(next);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(nsec3s);
	ldns_rr_list_deep_free(asigs);
	return sec;
}

enum dns_sec
dns_val_denial(const ldns_rdf *qname, uint16_t qtype, bool nxdomain,
    const ldns_rr_list *auth, const ldns_rr_list *keys, const ldns_rdf *zone,
    time_t now, enum dns_ede *ede_out, struct err *err)
{
	ldns_rr_list	*nsecs, *nsec3s, *set, *sigs, *use;
	ldns_rr		*q, *rr;
	ldns_status	 st;
	enum dns_sec	 sec = DNS_SEC_SECURE;
	size_t		 i;

	nsecs = dns_rrs_select(auth, NULL, LDNS_RR_TYPE_NSEC);
	nsec3s = dns_rrs_select(auth, NULL, LDNS_RR_TYPE_NSEC3);
	sigs = dns_rrs_select(auth, NULL, LDNS_RR_TYPE_RRSIG);
	q = ldns_rr_new();
	if (nsecs == NULL || nsec3s == NULL || sigs == NULL || q == NULL) {
		*ede_out = DNS_EDE_OTHER;
		err_set(err, ERR_NOMEM, "out of memory");
		sec = DNS_SEC_BOGUS;
		goto done;
	}
	use = ldns_rr_list_rr_count(nsecs) > 0 ? nsecs : nsec3s;
	if (ldns_rr_list_rr_count(use) == 0) {
		*ede_out = DNS_EDE_NSEC_MISSING;
		err_set(err, ERR_CRYPTO, "denial without nsec or nsec3");
		sec = DNS_SEC_BOGUS;
		goto done;
	}
	/* Each NSEC(3) record is its own RRset: check its signature. */
	for (i = 0; i < ldns_rr_list_rr_count(use); i++) {
		rr = ldns_rr_list_rr(use, i);
		if ((set = ldns_rr_list_new()) == NULL) {
			sec = DNS_SEC_BOGUS;
			goto done;
		}
		ldns_rr_list_push_rr(set, ldns_rr_clone(rr));
		sec = dns_val_rrset(set, sigs, keys, zone, now, ede_out, err);
		ldns_rr_list_deep_free(set);
		if (sec != DNS_SEC_SECURE)
			goto done;
	}
	if (use == nsec3s && nsec3_too_costly(nsec3s)) {
		err_set(err, ERR_CRYPTO, "nsec3 iterations above %d",
		    DNS_VAL_NSEC3_MAX_ITER);
		sec = DNS_SEC_INSECURE;
		goto done;
	}
	ldns_rr_set_owner(q, ldns_rdf_clone(qname));
	ldns_rr_set_type(q, (ldns_rr_type)qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	if (use == nsecs)
		st = ldns_dnssec_verify_denial(q, nsecs, sigs);
	else
		st = ldns_dnssec_verify_denial_nsec3(q, nsec3s, sigs,
		    nxdomain ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR,
		    (ldns_rr_type)qtype, !nxdomain);
	if (st != LDNS_STATUS_OK) {
		*ede_out = DNS_EDE_NSEC_MISSING;
		err_set(err, ERR_CRYPTO, "denial not proven: %s",
		    ldns_get_errorstr_by_id(st));
		sec = DNS_SEC_BOGUS;
	}
done:
	ldns_rr_free(q);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(nsec3s);
	ldns_rr_list_deep_free(sigs);
	return sec;
}
