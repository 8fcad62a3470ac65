/*
 * msg.c: DNS messages as timbre sees them: building a query, checking that
 * the bytes that came back answer it, classifying the answer and reading
 * its TXT records.  No I/O: the stub client (stub.c) and the fuzz harness
 * feed it bytes.
 *
 * An answer answers a question when its header carries the query's ID,
 * QR=1 and opcode QUERY, and its question section is the question (RFC
 * 1035 section 7.3; names compare case-insensitively, RFC 4343).  Its
 * records are then looked up in the answer section, following CNAMEs
 * there (RFC 1034 section 3.6.2) as far as DNS_MAX_CNAMES.  TXT records
 * are the concatenation of their character-strings (RFC 1035 section
 * 3.3.14, RFC 6376 section 3.6.2.2, RFC 7208 section 3.3).  The CNAME
 * walk, the status and the joining of TXT strings serve rr.c as well.
 * Also what the resolver and the authoritative server share over ldns:
 * whether a name is in a zone, and the start of a reply.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_priv.h"
#include "util/err.h"

/* Header fields at fixed offsets (RFC 1035 section 4.1.1). */
#define HDR_LEN		12
#define HDR_QR(w)	(((w)[2] & 0x80) != 0)
#define HDR_OPCODE(w)	(((w)[2] >> 3) & 0x0f)
#define HDR_TC(w)	(((w)[2] & 0x02) != 0)
#define HDR_RCODE(w)	((w)[3] & 0x0f)
#define HDR_ID(w)	((uint16_t)((w)[0] << 8 | (w)[1]))
#define HDR_QDCOUNT(w)	((uint16_t)((w)[4] << 8 | (w)[5]))

const char *
dns_status_str(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "ok";
	case DNS_NODATA:
		return "nodata";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_SERVFAIL:
		return "servfail";
	case DNS_TIMEOUT:
		return "no answer";	/* timed out, or refused */
	case DNS_MALFORMED:
		return "malformed";
	}
	return "unknown";
}

ldns_rdf *
dns_name_parse(const char *name, struct err *err)
{
	ldns_rdf	*dname = NULL;
	ldns_status	 st;

	if (name == NULL || *name == '\0') {
		err_set(err, DNS_E_NAME, "empty domain name");
		return NULL;
	}
	/* ldns makes every name absolute; a trailing dot changes nothing.
	 * Its status tells a name that does not parse from no memory. */
	if ((st = ldns_str2rdf_dname(&dname, name)) != LDNS_STATUS_OK) {
		if (st == LDNS_STATUS_MEM_ERR)
			err_set(err, ERR_NOMEM, "domain name: out of memory");
		else
			err_set(err, DNS_E_NAME, "not a domain name");
		return NULL;
	}
	return dname;
}

bool
dns_name_in_zone(const ldns_rdf *name, const ldns_rdf *zone)
{
	return ldns_dname_compare(name, zone) == 0 ||
	    ldns_dname_is_subdomain(name, zone);
}

ldns_pkt *
dns_reply_new(uint16_t id, int opcode, bool rd, bool cd, ldns_rr *question)
{
	ldns_pkt	*p;

	if ((p = ldns_pkt_new()) == NULL) {
		ldns_rr_free(question);
		return NULL;
	}
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)opcode);
	ldns_pkt_set_rd(p, rd);
	ldns_pkt_set_cd(p, cd);
	if (question != NULL &&
	    !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, question)) {
		ldns_rr_free(question);
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

int
dns_query_wire(const ldns_rdf *qname, uint16_t type, uint16_t id,
    size_t edns_size, bool dnssec, bool cd, uint8_t **wire_out,
    size_t *len_out, struct err *err)
{
	ldns_pkt	*pkt;
	ldns_rdf	*name;
	ldns_status	 st;

	*wire_out = NULL;
	*len_out = 0;
	if ((name = ldns_rdf_clone(qname)) == NULL) {
		err_set(err, ERR_NOMEM, "dns query: out of memory");
		return -1;
	}
	/* On success the packet owns name. */
	if ((pkt = ldns_pkt_query_new(name, (ldns_rr_type)type,
	    LDNS_RR_CLASS_IN, LDNS_RD)) == NULL) {
		ldns_rdf_deep_free(name);
		err_set(err, ERR_NOMEM, "dns query: out of memory");
		return -1;
	}
	ldns_pkt_set_id(pkt, id);
	if (edns_size > DNS_MAX_MSG)
		edns_size = DNS_MAX_MSG;
	ldns_pkt_set_edns_udp_size(pkt, (uint16_t)edns_size);
	if (dnssec) {
		ldns_pkt_set_ad(pkt, true);
		/* ldns writes OPT only with a payload size, so DO rides on
		 * EDNS alone, as RFC 3225 wants. */
		if (edns_size > 0)
			ldns_pkt_set_edns_do(pkt, true);
	}
	if (cd)
		ldns_pkt_set_cd(pkt, true);
	st = ldns_pkt2wire(wire_out, pkt, len_out);
	ldns_pkt_free(pkt);
	if (st != LDNS_STATUS_OK) {
		*wire_out = NULL;
		*len_out = 0;
		err_set(err, st == LDNS_STATUS_MEM_ERR ? ERR_NOMEM : DNS_E_NAME,
		    "dns query: %s", ldns_get_errorstr_by_id(st));
		return -1;
	}
	return 0;
}

/* Is the question at wire + 12 (qname, type, IN)?  Errors in err. */
static int
question_matches(const uint8_t *wire, size_t len, const ldns_rdf *qname,
    uint16_t type, struct err *err)
{
	ldns_rr		*q = NULL;
	size_t		 pos = HDR_LEN;
	ldns_status	 st;
	int		 ok;

	if ((st = ldns_wire2rr(&q, wire, len, &pos, LDNS_SECTION_QUESTION)) !=
	    LDNS_STATUS_OK) {
		if (st == LDNS_STATUS_MEM_ERR)
			err_set(err, ERR_NOMEM, "answer: out of memory");
		else
			err_set(err, DNS_E_MALFORMED, "answer: bad question "
			    "section");
		return -1;
	}
	ok = ldns_rr_get_type(q) == (ldns_rr_type)type &&
	    ldns_rr_get_class(q) == LDNS_RR_CLASS_IN &&
	    ldns_rr_owner(q) != NULL &&
	    ldns_dname_compare(ldns_rr_owner(q), qname) == 0;
	ldns_rr_free(q);
	if (!ok) {
		err_set(err, DNS_E_MISMATCH, "answer: not for this question");
		return -1;
	}
	return 0;
}

bool
dns_rr_matches(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
	return ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_rr_owner(rr) != NULL &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

/*
 * The name whose type records answer (name, type) in the answer section,
 * after following CNAMEs; NULL when the chain is longer than DNS_MAX_CNAMES
 * (which includes every loop).  A question for CNAME itself is not chased.
 */
static const ldns_rdf *
chase(const ldns_pkt *pkt, const ldns_rdf *name, ldns_rr_type type)
{
	const ldns_rr_list	*an = ldns_pkt_answer(pkt);
	const ldns_rdf		*target;
	const ldns_rr		*rr;
	size_t			 i, n, hops;

	if (type == LDNS_RR_TYPE_CNAME || an == NULL)
		return name;
	n = ldns_rr_list_rr_count(an);
	for (hops = 0; hops <= DNS_MAX_CNAMES; hops++) {
		for (i = 0; i < n; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (dns_rr_matches(rr, name, LDNS_RR_TYPE_CNAME) &&
			    ldns_rr_rd_count(rr) == 1 &&
			    (target = ldns_rr_rdf(rr, 0)) != NULL &&
			    ldns_rdf_get_type(target) == LDNS_RDF_TYPE_DNAME)
				break;
		}
		if (i == n)
			return name;
		name = target;
	}
	return NULL;
}

static bool
has_rr(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type)
{
	const ldns_rr_list	*an = ldns_pkt_answer(pkt);
	size_t			 i, n;

	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	for (i = 0; i < n; i++)
		if (dns_rr_matches(ldns_rr_list_rr(an, i), owner, type))
			return true;
	return false;
}

enum dns_status
dns_answer_status(const ldns_pkt *pkt, const ldns_rdf *qname,
    ldns_rr_type type)
{
	const ldns_rdf	*owner;

	if (ldns_pkt_edns_extended_rcode(pkt) != 0)
		return DNS_SERVFAIL;
	switch (ldns_pkt_get_rcode(pkt)) {
	case LDNS_RCODE_NOERROR:
		break;
	case LDNS_RCODE_NXDOMAIN:
		return DNS_NXDOMAIN;
	default:
		return DNS_SERVFAIL;
	}
	/* A CNAME loop is what resolvers report as SERVFAIL; so is a
	 * NOERROR answer to no question. */
	if (qname == NULL || (owner = chase(pkt, qname, type)) == NULL)
		return DNS_SERVFAIL;
	return has_rr(pkt, owner, type) ? DNS_OK : DNS_NODATA;
}

enum dns_check
dns_answer_check(const uint8_t *wire, size_t len, uint16_t id,
    const ldns_rdf *qname, uint16_t type, enum dns_status *status_out,
    struct dns_msg **msg_out, struct err *err)
{
	struct dns_msg	*msg;
	ldns_pkt	*pkt = NULL;
	ldns_status	 st;
	uint16_t	 qd;

	if (wire == NULL || len < HDR_LEN) {
		err_set(err, DNS_E_MALFORMED, "answer: shorter than a header");
		return DNS_CHECK_BAD;
	}
	if (len > DNS_MAX_MSG) {
		err_set(err, DNS_E_MALFORMED, "answer: longer than %d bytes",
		    DNS_MAX_MSG);
		return DNS_CHECK_BAD;
	}
	if (HDR_ID(wire) != id || !HDR_QR(wire) ||
	    HDR_OPCODE(wire) != LDNS_PACKET_QUERY) {
		err_set(err, DNS_E_MISMATCH, "answer: wrong id, qr or opcode");
		return DNS_CHECK_BAD;
	}
	qd = HDR_QDCOUNT(wire);
	if (qd == 0 && HDR_TC(wire))
		return DNS_CHECK_TRUNCATED;
	if (qd == 0 && HDR_RCODE(wire) == LDNS_RCODE_FORMERR)
		return DNS_CHECK_FORMERR;
	if (qd != 1) {
		err_set(err, DNS_E_MISMATCH, "answer: %u questions",
		    (unsigned)qd);
		return DNS_CHECK_BAD;
	}
	if (question_matches(wire, len, qname, type, err) == -1)
		return DNS_CHECK_BAD;
	/* A truncated answer may stop anywhere; the rest is not read. */
	if (HDR_TC(wire))
		return DNS_CHECK_TRUNCATED;
	if (HDR_RCODE(wire) == LDNS_RCODE_FORMERR)
		return DNS_CHECK_FORMERR;
	if ((st = ldns_wire2pkt(&pkt, wire, len)) != LDNS_STATUS_OK) {
		err_set(err, st == LDNS_STATUS_MEM_ERR ? ERR_NOMEM :
		    DNS_E_MALFORMED, "answer: %s", ldns_get_errorstr_by_id(st));
		return DNS_CHECK_BAD;
	}
	if ((msg = calloc(1, sizeof(*msg))) == NULL) {
		ldns_pkt_free(pkt);
		err_set(err, ERR_NOMEM, "answer: out of memory");
		return DNS_CHECK_BAD;
	}
	msg->pkt = pkt;
	*status_out = dns_answer_status(pkt, qname, (ldns_rr_type)type);
	*msg_out = msg;
	return DNS_CHECK_ANSWER;
}

int
dns_answer_parse(const uint8_t *wire, size_t len, uint16_t id,
    const char *name, uint16_t type, enum dns_status *status_out,
    struct dns_msg **msg_out, struct err *err)
{
	struct dns_msg	*msg = NULL;
	enum dns_status	 status = DNS_MALFORMED;
	ldns_rdf	*qname;
	ldns_pkt	*pkt = NULL;
	ldns_status	 st;
	int		 rc = -1;

	if (msg_out != NULL)
		*msg_out = NULL;
	if ((qname = dns_name_parse(name, err)) == NULL)
		return -1;
	switch (dns_answer_check(wire, len, id, qname, type, &status, &msg,
	    err)) {
	case DNS_CHECK_ANSWER:
		rc = 0;
		break;
	case DNS_CHECK_TRUNCATED:
		err_set(err, DNS_E_TRUNCATED, "answer: truncated (tc=1)");
		break;
	case DNS_CHECK_FORMERR:
		/* Not an answer to act on: an error, kept if it parses. */
		if ((st = ldns_wire2pkt(&pkt, wire, len)) != LDNS_STATUS_OK) {
			if (st == LDNS_STATUS_MEM_ERR)
				err_set(err, ERR_NOMEM, "answer: out of memory");
			else
				err_set(err, DNS_E_MALFORMED, "answer: formerr, "
				    "unparsable");
			break;
		}
		if ((msg = calloc(1, sizeof(*msg))) == NULL) {
			ldns_pkt_free(pkt);
			err_set(err, ERR_NOMEM, "answer: out of memory");
			break;
		}
		msg->pkt = pkt;
		status = DNS_SERVFAIL;
		rc = 0;
		break;
	case DNS_CHECK_BAD:
		break;
	}
	ldns_rdf_deep_free(qname);
	if (rc == 0) {
		*status_out = status;
		if (msg_out != NULL)
			*msg_out = msg;
		else
			dns_msg_free(msg);
	}
	return rc;
}

void
dns_msg_free(struct dns_msg *msg)
{
	if (msg == NULL)
		return;
	ldns_pkt_free(msg->pkt);
	free(msg);
}

int
dns_msg_rcode(const struct dns_msg *msg)
{
	return ldns_pkt_edns_extended_rcode(msg->pkt) << 4 |
	    ldns_pkt_get_rcode(msg->pkt);
}

int
dns_txt_join(const ldns_rr *rr, bool keep_nul, char **out, size_t *len_out,
    struct err *err)
{
	const ldns_rdf	*rdf;
	const uint8_t	*d;
	size_t		 i, n, len = 0, sz;
	char		*s;

	*out = NULL;
	n = ldns_rr_rd_count(rr);
	for (i = 0; i < n; i++) {
		rdf = ldns_rr_rdf(rr, i);
		sz = ldns_rdf_size(rdf);
		d = ldns_rdf_data(rdf);
		if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR || sz < 1 ||
		    d[0] != sz - 1)
			return 1;
		if (!keep_nul && memchr(d + 1, '\0', sz - 1) != NULL)
			return 1;
		len += sz - 1;
	}
	if ((s = malloc(len + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "txt: out of memory");
		return -1;
	}
	len = 0;
	for (i = 0; i < n; i++) {
		rdf = ldns_rr_rdf(rr, i);
		memcpy(s + len, ldns_rdf_data(rdf) + 1, ldns_rdf_size(rdf) - 1);
		len += ldns_rdf_size(rdf) - 1;
	}
	s[len] = '\0';
	*out = s;
	*len_out = len;
	return 0;
}

const ldns_rdf *
dns_msg_owner(const struct dns_msg *msg, const char *name, ldns_rr_type type,
    const char *what, ldns_rdf **dname_out, struct err *err)
{
	const ldns_rr_list	*qd;
	const ldns_rdf		*owner;

	*dname_out = NULL;
	if (name != NULL) {
		if ((*dname_out = dns_name_parse(name, err)) == NULL)
			return NULL;
		owner = *dname_out;
	} else {
		qd = ldns_pkt_question(msg->pkt);
		if (qd == NULL || ldns_rr_list_rr_count(qd) != 1) {
			err_set(err, DNS_E_MALFORMED, "%s: no question", what);
			return NULL;
		}
		owner = ldns_rr_owner(ldns_rr_list_rr(qd, 0));
	}
	if ((owner = chase(msg->pkt, owner, type)) == NULL) {
		err_set(err, DNS_E_MALFORMED, "%s: cname chain longer than %d",
		    what, DNS_MAX_CNAMES);
		ldns_rdf_deep_free(*dname_out);
		*dname_out = NULL;
	}
	return owner;
}

int
dns_msg_txts(const struct dns_msg *msg, const char *name, char ***txts_out,
    size_t *n_out, struct err *err)
{
	const ldns_rr_list	*an;
	const ldns_rdf		*owner;
	const ldns_rr		*rr;
	ldns_rdf		*dname;
	char			**v = NULL, *s;
	size_t			 i, n, nv = 0, len;
	int			 r;

	*txts_out = NULL;
	*n_out = 0;
	if ((owner = dns_msg_owner(msg, name, LDNS_RR_TYPE_TXT, "txt", &dname,
	    err)) == NULL)
		return -1;
	an = ldns_pkt_answer(msg->pkt);
	n = an == NULL ? 0 : ldns_rr_list_rr_count(an);
	/* At most n strings: one allocation, never grown. */
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		err_set(err, ERR_NOMEM, "txt: out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!dns_rr_matches(rr, owner, LDNS_RR_TYPE_TXT))
			continue;
		if ((r = dns_txt_join(rr, false, &s, &len, err)) == -1)
			goto fail;
		if (r == 0)
			v[nv++] = s;
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
	dns_txts_free(v, nv);
	ldns_rdf_deep_free(dname);
	return -1;
}

void
dns_txts_free(char **txts, size_t n)
{
	size_t	i;

	if (txts == NULL)
		return;
	for (i = 0; i < n; i++)
		free(txts[i]);
	free(txts);
}
