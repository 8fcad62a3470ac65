/*
 * rr.c: reading address, name and TLSA records out of an answer (TLSA
 * for timbre-listd's DANE, RFC 7672), and building an answer from
 * records in zone-file syntax, for the sans-I/O engines (SPF's a, mx,
 * ptr and exists look-ups, RFC 7208 section 5) and for the tests that
 * drive them from a table.  No I/O.
 *
 * As in msg.c, the records for a name are those of the answer section
 * after following CNAMEs there (RFC 1034 section 3.6.2), at most
 * DNS_MAX_CNAMES of them: msg.c does that walk (dns_msg_owner), the
 * status and the joining of TXT strings for both files (dns_priv.h).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_priv.h"
#include "util/err.h"

int
dns_msg_addrs(const struct dns_msg *msg, const char *name, uint16_t type,
    struct dns_addr **addrs_out, size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner, *rdf;
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	struct dns_addr		*v = NULL;
	size_t			 i, n, nv = 0, want;

	*addrs_out = NULL;
	*n_out = 0;
	if (type != DNS_T_A && type != DNS_T_AAAA) {
		err_set(err, ERR_ARG, "addresses: type %u is not A or AAAA",
		    (unsigned)type);
		return -1;
	}
	want = type == DNS_T_A ? 4 : 16;
	if ((owner = dns_msg_owner(msg, name, (ldns_rr_type)type, "answer",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		ldns_rdf_deep_free(dname);
		err_set(err, ERR_NOMEM, "addresses: out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!dns_rr_matches(rr, owner, (ldns_rr_type)type) ||
		    ldns_rr_rd_count(rr) != 1 ||
		    (rdf = ldns_rr_rdf(rr, 0)) == NULL ||
		    ldns_rdf_size(rdf) != want)
			continue;
		v[nv].family = want == 4 ? AF_INET : AF_INET6;
		memcpy(v[nv].addr, ldns_rdf_data(rdf), want);
		nv++;
	}
	ldns_rdf_deep_free(dname);
	if (nv == 0) {
		free(v);
		v = NULL;
	}
	*addrs_out = v;
	*n_out = nv;
	return 0;
}

/* A dname as text without the final dot; NULL on no memory. */
static char *
name_str(const ldns_rdf *rdf)
{
	char	*s;
	size_t	 len;

	if ((s = ldns_rdf2str(rdf)) == NULL)
		return NULL;
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		s[len - 1] = '\0';
	return s;
}

int
dns_msg_names(const struct dns_msg *msg, const char *name, uint16_t type,
    char ***names_out, size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner, *rdf;
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	char			**v = NULL;
	size_t			 i, n, nv = 0, field;

	*names_out = NULL;
	*n_out = 0;
	switch (type) {
	case DNS_T_MX:
		field = 1;	/* after the preference */
		break;
	case DNS_T_PTR:
	case DNS_T_NS:
	case DNS_T_CNAME:
		field = 0;
		break;
	default:
		err_set(err, ERR_ARG, "names: type %u holds no name",
		    (unsigned)type);
		return -1;
	}
	if ((owner = dns_msg_owner(msg, name, (ldns_rr_type)type, "answer",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!dns_rr_matches(rr, owner, (ldns_rr_type)type) ||
		    ldns_rr_rd_count(rr) != field + 1 ||
		    (rdf = ldns_rr_rdf(rr, field)) == NULL ||
		    ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
			continue;
		if ((v[nv] = name_str(rdf)) == NULL)
			goto nomem;
		nv++;
	}
	ldns_rdf_deep_free(dname);
	if (nv == 0) {
		free(v);
		v = NULL;
	}
	*names_out = v;
	*n_out = nv;
	return 0;
nomem:
	dns_txts_free(v, nv);
	ldns_rdf_deep_free(dname);
	err_set(err, ERR_NOMEM, "names: out of memory");
	return -1;
}

int
dns_msg_soa_serial(const struct dns_msg *msg, const char *name,
    uint32_t *serial_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner, *rdf;
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	size_t			 i, n;
	int			 found = 0;

	*serial_out = 0;
	if ((owner = dns_msg_owner(msg, name, LDNS_RR_TYPE_SOA, "answer",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	for (i = 0; i < n && !found; i++) {
		rr = ldns_rr_list_rr(an, i);
		/* SERIAL is the third field (RFC 1035 section 3.3.13). */
		if (!dns_rr_matches(rr, owner, LDNS_RR_TYPE_SOA) ||
		    ldns_rr_rd_count(rr) != 7 ||
		    (rdf = ldns_rr_rdf(rr, 2)) == NULL ||
		    ldns_rdf_size(rdf) != 4)
			continue;
		*serial_out = ldns_rdf2native_int32(rdf);
		found = 1;
	}
	ldns_rdf_deep_free(dname);
	return found;
}

int
dns_msg_build(const char *qname, uint16_t type, int rcode,
    const char *const *rrs, size_t n, struct dns_msg **msg_out,
    struct err *err)
{
	struct dns_msg	*msg = NULL;
	ldns_pkt	*pkt = NULL;
	ldns_rdf	*name;
	ldns_rr		*rr;
	ldns_status	 st;
	size_t		 i;

	*msg_out = NULL;
	if ((name = dns_name_parse(qname, err)) == NULL)
		return -1;
	if ((pkt = ldns_pkt_query_new(name, (ldns_rr_type)type,
	    LDNS_RR_CLASS_IN, LDNS_RD)) == NULL) {
		ldns_rdf_deep_free(name);
		goto nomem;
	}
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rcode(pkt, (uint8_t)(rcode & 0x0f));
	for (i = 0; i < n; i++) {
		rr = NULL;
		if ((st = ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL,
		    NULL)) != LDNS_STATUS_OK) {
			ldns_pkt_free(pkt);
			err_set(err, st == LDNS_STATUS_MEM_ERR ? ERR_NOMEM :
			    ERR_SYNTAX, "record %zu: %s", i,
			    ldns_get_errorstr_by_id(st));
			return -1;
		}
		if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr)) {
			ldns_rr_free(rr);
			ldns_pkt_free(pkt);
			goto nomem;
		}
	}
	if ((msg = calloc(1, sizeof(*msg))) == NULL) {
		ldns_pkt_free(pkt);
		goto nomem;
	}
	msg->pkt = pkt;
	*msg_out = msg;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "answer: out of memory");
	return -1;
}

enum dns_status
dns_msg_status(const struct dns_msg *msg)
{
	const ldns_rr_list	*qd = ldns_pkt_question(msg->pkt);
	const ldns_rr		*q;

	/* Without a question, the type is not looked at. */
	if (qd == NULL || ldns_rr_list_rr_count(qd) != 1)
		return dns_answer_status(msg->pkt, NULL, LDNS_RR_TYPE_A);
	q = ldns_rr_list_rr(qd, 0);
	return dns_answer_status(msg->pkt, ldns_rr_owner(q),
	    ldns_rr_get_type(q));
}

int
dns_msg_txts_bin(const struct dns_msg *msg, const char *name,
    struct dns_txt **txts_out, size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner;
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	struct dns_txt		*v = NULL;
	size_t			 i, n, nv = 0, len;
	char			*s;
	int			 r;

	*txts_out = NULL;
	*n_out = 0;
	if ((owner = dns_msg_owner(msg, name, LDNS_RR_TYPE_TXT, "answer",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		err_set(err, ERR_NOMEM, "txt: out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!dns_rr_matches(rr, owner, LDNS_RR_TYPE_TXT))
			continue;
		/* Records that are not character-strings are skipped. */
		if ((r = dns_txt_join(rr, true, &s, &len, err)) == -1)
			goto fail;
		if (r == 0) {
			v[nv].data = s;
			v[nv++].len = len;
		}
	}
	ldns_rdf_deep_free(dname);
	if (nv == 0) {
		free(v);
		v = NULL;
	}
	*txts_out = v;
	*n_out = nv;
	return 0;
fail:
	dns_txts_bin_free(v, nv);
	ldns_rdf_deep_free(dname);
	return -1;
}

void
dns_txts_bin_free(struct dns_txt *txts, size_t n)
{
	size_t	i;

	if (txts == NULL)
		return;
	for (i = 0; i < n; i++)
		free(txts[i].data);
	free(txts);
}

int
dns_msg_tlsas(const struct dns_msg *msg, const char *name,
    struct dns_tlsa **tlsas_out, size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner, *f[4];
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	struct dns_tlsa		*v = NULL;
	size_t			 i, k, n, nv = 0;

	*tlsas_out = NULL;
	*n_out = 0;
	if ((owner = dns_msg_owner(msg, name, LDNS_RR_TYPE_TLSA, "tlsa",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!dns_rr_matches(rr, owner, LDNS_RR_TYPE_TLSA) ||
		    ldns_rr_rd_count(rr) != 4)
			continue;
		for (k = 0; k < 4; k++)
			f[k] = ldns_rr_rdf(rr, k);
		if (f[0] == NULL || f[1] == NULL || f[2] == NULL ||
		    f[3] == NULL || ldns_rdf_size(f[0]) != 1 ||
		    ldns_rdf_size(f[1]) != 1 || ldns_rdf_size(f[2]) != 1 ||
		    ldns_rdf_size(f[3]) == 0)
			continue;
		if ((v[nv].data = malloc(ldns_rdf_size(f[3]))) == NULL)
			goto nomem;
		v[nv].usage = ldns_rdf_data(f[0])[0];
		v[nv].selector = ldns_rdf_data(f[1])[0];
		v[nv].mtype = ldns_rdf_data(f[2])[0];
		v[nv].len = ldns_rdf_size(f[3]);
		memcpy(v[nv].data, ldns_rdf_data(f[3]), v[nv].len);
		nv++;
	}
	ldns_rdf_deep_free(dname);
	if (nv == 0) {
		free(v);
		v = NULL;
	}
	*tlsas_out = v;
	*n_out = nv;
	return 0;
nomem:
	dns_tlsas_free(v, nv);
	ldns_rdf_deep_free(dname);
	err_set(err, ERR_NOMEM, "tlsa: out of memory");
	return -1;
}

void
dns_tlsas_free(struct dns_tlsa *v, size_t n)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].data);
	free(v);
}

bool
dns_msg_ad(const struct dns_msg *msg)
{
	return ldns_pkt_ad(msg->pkt);
}

bool
dns_msg_ra(const struct dns_msg *msg)
{
	return ldns_pkt_ra(msg->pkt);
}

int
dns_msg_count(const struct dns_msg *msg, const char *name, uint16_t type,
    size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner;
	ldns_rdf		*dname;
	size_t			 i, n;

	*n_out = 0;
	if ((owner = dns_msg_owner(msg, name, (ldns_rr_type)type, "count",
	    &dname, err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	for (i = 0; i < n; i++)
		if (dns_rr_matches(ldns_rr_list_rr(an, i), owner,
		    (ldns_rr_type)type))
			(*n_out)++;
	ldns_rdf_deep_free(dname);
	return 0;
}
