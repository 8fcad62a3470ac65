/*
 * dnssec.c: the index that lets timbre-primaryd serve a zone signed
 * offline (ldns-signzone, dnssec-signzone, Knot's kzonesign) as RFC 4035
 * section 3.1 says: its NSEC records in canonical order (RFC 4034
 * section 6.1), so that the one at or before a name, which matches or
 * covers it, is a binary search away; its NSEC3 chain (RFC 5155) in hash
 * order, the owners' base32hex (section 3.3) sorting as their hashes do,
 * so that the record matching or covering a name's hash (section 5) is
 * found the same way.
 *
 * NSEC3 records and their RRSIGs are marked hidden: their hashed owners
 * are no names of the zone (section 7.2.8), so lookups pass over them and
 * a query for one is NXDOMAIN.  They stay in the zone's records for the
 * transfers.  The chain is that of the apex NSEC3PARAM (what a secondary
 * would use too), or of the first NSEC3 when there is none; NSEC3 records
 * of other parameters are served in transfers but never as proofs.  The
 * hashes are ldns's (SHA-1, the one algorithm RFC 5155 defines).
 *
 * Signatures are served as they are, expired or not: a zone signed
 * offline is the operator's.  auth_zone_sigs_expired says how many have
 * expired, for the daemon's warning.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_priv.h"
#include "util/err.h"


ldns_rr_type
auth_rrsig_covers(const ldns_rr *rr)
{
	const ldns_rdf	*t;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
	    (t = ldns_rr_rrsig_typecovered(rr)) == NULL ||
	    ldns_rdf_get_type(t) != LDNS_RDF_TYPE_TYPE)
		return 0;
	return ldns_rdf2rr_type(t);
}

/* The parameters of an NSEC3 or NSEC3PARAM record (RFC 5155 sections
 * 3.2 and 4.2): algorithm, flags, iterations, salt (its length first);
 * false if they are not there as ldns reads them. */
static bool
nsec3_params(const ldns_rr *rr, uint8_t *alg_out, uint16_t *iter_out,
    const uint8_t **salt_out, size_t *saltlen_out)
{
	const ldns_rdf	*a, *it, *s;

	if (ldns_rr_rd_count(rr) < 4 || (a = ldns_rr_rdf(rr, 0)) == NULL ||
	    (it = ldns_rr_rdf(rr, 2)) == NULL ||
	    (s = ldns_rr_rdf(rr, 3)) == NULL ||
	    ldns_rdf_size(a) != 1 || ldns_rdf_size(it) != 2 ||
	    ldns_rdf_size(s) < 1 ||
	    ldns_rdf_size(s) != 1u + ldns_rdf_data(s)[0])
		return false;
	*alg_out = ldns_rdf_data(a)[0];
	*iter_out = (uint16_t)(ldns_rdf_data(it)[0] << 8 |
	    ldns_rdf_data(it)[1]);
	*salt_out = ldns_rdf_data(s) + 1;
	*saltlen_out = ldns_rdf_data(s)[0];
	return true;
}

/* Is rr an NSEC3 of the zone's chain? */
static bool
in_chain(const struct auth_zone *z, const ldns_rr *rr)
{
	const uint8_t	*salt;
	size_t		 saltlen;
	uint8_t		 alg;
	uint16_t	 iter;

	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 &&
	    nsec3_params(rr, &alg, &iter, &salt, &saltlen) &&
	    alg == z->n3alg && iter == z->n3iter &&
	    saltlen == z->n3saltlen && memcmp(salt, z->n3salt, saltlen) == 0 &&
	    ldns_dname_label_count(ldns_rr_owner(rr)) ==
	    ldns_dname_label_count(z->origin) + 1;
}

/* The chain's parameters: the apex NSEC3PARAM's, else the first
 * NSEC3's; false for none (or a hash other than SHA-1). */
static bool
chain_params(struct auth_zone *z)
{
	const ldns_rr	*from = NULL;
	const uint8_t	*salt;
	size_t		 i, e, saltlen;

	auth_zone_rrset(z, z->origin, LDNS_RR_TYPE_NSEC3PARAM, &i, &e);
	if (i < e)
		from = z->v[i].rr;
	for (i = 0; from == NULL && i < z->n; i++)
		if (ldns_rr_get_type(z->v[i].rr) == LDNS_RR_TYPE_NSEC3)
			from = z->v[i].rr;
	if (from == NULL || !nsec3_params(from, &z->n3alg, &z->n3iter, &salt,
	    &saltlen) || z->n3alg != AUTH_NSEC3_SHA1)
		return false;
	z->n3saltlen = (uint8_t)saltlen;
	memcpy(z->n3salt, salt, saltlen);
	return true;
}

int
auth_dnssec_index(struct auth_zone *z, struct err *err)
{
	ldns_rr_type	t;
	size_t		i, nn = 0, n3 = 0;
	bool		chain;

	for (i = 0; i < z->n; i++) {
		t = ldns_rr_get_type(z->v[i].rr);
		z->v[i].hidden = t == LDNS_RR_TYPE_NSEC3 ||
		    auth_rrsig_covers(z->v[i].rr) == LDNS_RR_TYPE_NSEC3;
		if (t == LDNS_RR_TYPE_RRSIG)
			z->has_sigs = true;
		nn += t == LDNS_RR_TYPE_NSEC;
		n3 += t == LDNS_RR_TYPE_NSEC3;
	}
	chain = n3 > 0 && chain_params(z);
	if ((nn > 0 && (z->nsec = calloc(nn, sizeof(*z->nsec))) == NULL) ||
	    (chain && (z->nsec3 = calloc(n3, sizeof(*z->nsec3))) == NULL)) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	/* The records are in canonical order, hashed owners too. */
	for (i = 0; i < z->n; i++) {
		t = ldns_rr_get_type(z->v[i].rr);
		if (t == LDNS_RR_TYPE_NSEC)
			z->nsec[z->nnsec++] = i;
		else if (chain && in_chain(z, z->v[i].rr))
			z->nsec3[z->nnsec3++] = i;
	}
	return 0;
}

void
auth_dnssec_free(struct auth_zone *z)
{
	free(z->nsec);
	free(z->nsec3);
}

/* memcmp order of record i's owner key and key[0..len). */
static int
owner_cmp(const struct auth_zone *z, size_t i, const uint8_t *key,
    size_t len)
{
	size_t		 n;
	const uint8_t	*k = auth_zone_rr_key(z, i, &n);
	int		 c = memcmp(k, key, n < len ? n : len);

	if (c != 0)
		return c;
	return n < len ? -1 : n > len;
}

/* The last of idx[0..n) (records, in order) whose owner is at or
 * before key; the last of all when key is before the first (a chain
 * wraps round, RFC 4034 section 4.1.1, RFC 5155 section 3.1.7). */
static size_t
find_before(const struct auth_zone *z, const size_t *idx, size_t n,
    const uint8_t *key, size_t len, bool *match_out)
{
	size_t	lo = 0, hi = n, mid;

	*match_out = false;
	if (n == 0)
		return AUTH_ZONE_NONE;
	while (lo < hi) {		/* the first owner after key */
		mid = lo + (hi - lo) / 2;
		if (owner_cmp(z, idx[mid], key, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return idx[n - 1];
	*match_out = owner_cmp(z, idx[lo - 1], key, len) == 0;
	return idx[lo - 1];
}

size_t
auth_nsec_find(const struct auth_zone *z, const uint8_t *key, size_t len,
    bool *match_out)
{
	return find_before(z, z->nsec, z->nnsec, key, len, match_out);
}

int
auth_nsec3_find(const struct auth_zone *z, const ldns_rdf *name,
    size_t *i_out, bool *match_out, struct err *err)
{
	uint8_t		 key[AUTH_ZONE_KEY_MAX];
	ldns_rdf	*h;
	size_t		 len;

	*i_out = AUTH_ZONE_NONE;
	*match_out = false;
	if (z->nnsec3 == 0)
		return 0;
	if ((h = ldns_nsec3_hash_name(name, z->n3alg, z->n3iter,
	    z->n3saltlen, z->n3salt)) == NULL ||
	    ldns_dname_cat(h, z->origin) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	len = auth_zone_key(h, key, NULL, NULL);
	ldns_rdf_deep_free(h);
	*i_out = find_before(z, z->nsec3, z->nnsec3, key, len, match_out);
	return 0;
}

size_t
auth_zone_sigs_expired(const struct auth_zone *z, time_t now,
    uint32_t *first_out)
{
	const ldns_rdf	*x;
	uint32_t	 t, first = 0;
	size_t		 i, n = 0;

	for (i = 0; i < z->n; i++) {
		if (ldns_rr_get_type(z->v[i].rr) != LDNS_RR_TYPE_RRSIG ||
		    (x = ldns_rr_rrsig_expiration(z->v[i].rr)) == NULL ||
		    ldns_rdf_size(x) != 4)
			continue;
		t = ldns_rdf2native_int32(x);
		/* RFC 4034 section 3.1.5: serial number arithmetic. */
		if (!auth_serial_lt(t, (uint32_t)now))
			continue;
		if (n++ == 0 || auth_serial_lt(t, first))
			first = t;
	}
	if (first_out != NULL)
		*first_out = first;
	return n;
}
