/*
 * validate.c: DNSSEC checks for the resolver (RFC 4035 section 5): an
 * RRset's signatures against a zone's trusted keys, a DNSKEY RRset against
 * its DS records or trust anchors (section 5.2), and proofs of denial
 * with NSEC (section 5.4) and NSEC3 (RFC 5155 section 8).  The signature
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
