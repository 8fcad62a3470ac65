/*
 * mx.c: the MX records of an answer with their preferences, for mail
 * delivery (RFC 5321 section 5.1: try the exchanges in order of
 * preference) and the null MX of RFC 7505 (one record "0 .").
 * dns_msg_names() gives the exchanges without their preferences; a
 * sender needs both.  No I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_priv.h"
#include "util/err.h"

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_mx	*x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	/* Stable for equal preferences: answer order.  RFC 5321 asks
	 * for a random order among equals; the caller may shuffle. */
	return x->order < y->order ? -1 : x->order > y->order;
}

int
dns_msg_mxs(const struct dns_msg *msg, const char *name,
    struct dns_mx **mxs_out, size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner, *pref, *ex;
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	struct dns_mx		*v = NULL;
	char			*s;
	size_t			 i, n, nv = 0, len;

	*mxs_out = NULL;
	*n_out = 0;
	if ((owner = dns_msg_owner(msg, name, LDNS_RR_TYPE_MX, "mx",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!dns_rr_matches(rr, owner, LDNS_RR_TYPE_MX) ||
		    ldns_rr_rd_count(rr) != 2 ||
		    (pref = ldns_rr_rdf(rr, 0)) == NULL ||
		    ldns_rdf_get_type(pref) != LDNS_RDF_TYPE_INT16 ||
		    (ex = ldns_rr_rdf(rr, 1)) == NULL ||
		    ldns_rdf_get_type(ex) != LDNS_RDF_TYPE_DNAME)
			continue;
		if ((s = ldns_rdf2str(ex)) == NULL)
			goto nomem;
		len = strlen(s);
		if (len > 1 && s[len - 1] == '.')
			s[--len] = '\0';
		if (len >= sizeof(v[nv].exchange)) {
			free(s);
			continue;
		}
		memcpy(v[nv].exchange, s, len + 1);
		free(s);
		v[nv].preference = ldns_rdf2native_int16(pref);
		v[nv].order = nv;
		nv++;
	}
	ldns_rdf_deep_free(dname);
	if (nv == 0) {
		free(v);
		v = NULL;
	} else
		qsort(v, nv, sizeof(*v), mx_cmp);
	*mxs_out = v;
	*n_out = nv;
	return 0;
nomem:
	free(v);
	ldns_rdf_deep_free(dname);
	err_set(err, ERR_NOMEM, "mx: out of memory");
	return -1;
}

bool
dns_mxs_are_null(const struct dns_mx *mxs, size_t n)
{
	return n == 1 && strcmp(mxs[0].exchange, ".") == 0;
}
