/*
 * reqreply.c: the resolver's side facing clients: parsing a query (RFC
 * 1035 section 4.1, RFC 6891 for EDNS0: BADVERS for a version above 0)
 * into the few fields the daemon needs, and building the answer: the
 * records found, AD for a secure answer when the client asked with DO or
 * AD (RFC 6840 section 5.7), SERVFAIL with an Extended DNS Error (RFC
 * 8914) for a bogus one unless CD is set, RRSIGs and NSEC(3) only with
 * DO, and truncation to the client's size with TC=1 (RFC 2181 section 9).
 * Everything here reads untrusted bytes: tests/fuzz/fuzz_resolver_query.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resolver/res_priv.h"
#include "util/err.h"

#define EDNS_OPT_EDE	15
#define REPLY_EDNS	1232

/*
 * The question's name: uncompressed labels, at most 255 octets, copied as
 * sent to qwire by the wire reader, then written in presentation form
 * (each octet at most 4 characters: qname has room for 255 of them).
 */
static int
parse_qname(const uint8_t *w, size_t len, size_t *off, struct res_req *req)
{
	size_t		 o, n = 0, i;
	char		*p = req->qname;
	const uint8_t	*q = req->qwire;
	uint8_t		 l, c;

	if ((req->qwire_len = dns_wire_name_copy(w, len, off, req->qwire,
	    sizeof(req->qwire), 0)) == 0)
		return -1;
	for (o = 0; (l = q[o]) != 0; o += 1 + (size_t)l) {
		for (i = 1; i <= l; i++) {
			c = q[o + i];
			if (c == '.' || c == '\\' || c == '"' || c == ';' ||
			    c == '(' || c == ')' || c == '@' || c == '$') {
				p[n++] = '\\';
				p[n++] = (char)c;
			} else if (c <= ' ' || c >= 0x7f) {
				n += (size_t)snprintf(p + n, 5, "\\%03u", c);
			} else
				p[n++] = (char)c;
		}
		p[n++] = '.';
	}
	if (n == 0)
		p[n++] = '.';
	p[n] = '\0';
	return 0;
}

int
res_req_parse(const uint8_t *wire, size_t len, struct res_req *req)
{
	struct dns_wire_rr	 rr;
	size_t			 off = DNS_WIRE_HDR, i, nrr;

	memset(req, 0, sizeof(*req));
	req->udp_size = 512;
	if (len < DNS_WIRE_HDR || (wire[2] & 0x80) != 0)
		return -1;		/* no header, or a response: drop */
	req->id = dns_wire_peek16(wire);
	req->rd = (wire[2] & 0x01) != 0;
	req->cd = (wire[3] & 0x10) != 0;
	req->ad = (wire[3] & 0x20) != 0;
	if (((wire[2] >> 3) & 0x0f) != LDNS_PACKET_QUERY) {
		req->rcode = LDNS_RCODE_NOTIMPL;
		return 0;
	}
	if (dns_wire_peek16(wire + 4) != 1 ||
	    parse_qname(wire, len, &off, req) == -1 ||
	    dns_wire_u16(wire, len, &off, &req->qtype) == -1 ||
	    dns_wire_u16(wire, len, &off, &req->qclass) == -1) {
		req->qname[0] = '\0';
		req->qwire_len = 0;
		req->qtype = req->qclass = 0;
		req->rcode = LDNS_RCODE_FORMERR;
		return 0;
	}
	/* Answer, authority and additional: find the OPT (RFC 6891 6.1.1). */
	nrr = (size_t)dns_wire_peek16(wire + 6) + dns_wire_peek16(wire + 8) +
	    dns_wire_peek16(wire + 10);
	for (i = 0; i < nrr; i++) {
		if (dns_wire_rr_skip(wire, len, &off, &rr) == -1) {
			req->rcode = LDNS_RCODE_FORMERR;
			return 0;
		}
		if (rr.type == LDNS_RR_TYPE_OPT) {
			if (req->edns || wire[rr.owner] != 0) {
				req->rcode = LDNS_RCODE_FORMERR;
				return 0;
			}
			/* CLASS is the size; TTL: extended rcode, version,
			 * DO and the other flags (RFC 6891 section 6.1.3). */
			req->edns = true;
			req->udp_size = rr.class < 512 ? 512 : rr.class;
			req->do_bit = (rr.ttl & 0x8000) != 0;
			if (((rr.ttl >> 16) & 0xff) > 0)
				req->rcode = 16;	/* BADVERS */
		}
	}
	if (req->rcode == 0 && req->qclass != LDNS_RR_CLASS_IN &&
	    res_req_chaos(req) == RES_CHAOS_NONE)
		req->rcode = LDNS_RCODE_REFUSED;
	if (req->rcode == 0 && (req->qtype == LDNS_RR_TYPE_AXFR ||
	    req->qtype == LDNS_RR_TYPE_IXFR || req->qtype == LDNS_RR_TYPE_OPT ||
	    req->qtype == LDNS_RR_TYPE_RRSIG || req->qtype == 0))
		req->rcode = req->qtype == LDNS_RR_TYPE_RRSIG || req->qtype == 0 ?
		    LDNS_RCODE_REFUSED : LDNS_RCODE_NOTIMPL;
	return 0;
}

static bool
dnssec_type(const ldns_rr *rr)
{
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
		return true;
	default:
		return false;
	}
}

/* Copies of the records of l into section sec: 0, or -1 without memory. */
static int
push_section(ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr_list *l,
    bool with_dnssec, uint16_t qtype)
{
	ldns_rr	*c;
	size_t	 i;

	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr	*rr = ldns_rr_list_rr(l, i);

		if (!with_dnssec && dnssec_type(rr) &&
		    ldns_rr_get_type(rr) != qtype)
			continue;
		if ((c = ldns_rr_clone(rr)) == NULL)
			return -1;
		if (!ldns_pkt_push_rr(pkt, sec, c)) {
			ldns_rr_free(c);
			return -1;
		}
	}
	return 0;
}

/* The EDE option (RFC 8914 section 2): INFO-CODE and EXTRA-TEXT. */
static ldns_rdf *
ede_option(enum res_ede ede, const char *text)
{
	uint8_t	buf[4 + 2 + 200];
	size_t	tl = text != NULL ? strlen(text) : 0;

	if (tl > 200)
		tl = 200;
	buf[0] = 0;
	buf[1] = EDNS_OPT_EDE;
	buf[2] = (uint8_t)((2 + tl) >> 8);
	buf[3] = (uint8_t)(2 + tl);
	buf[4] = (uint8_t)((unsigned)ede >> 8);
	buf[5] = (uint8_t)ede;
	if (tl > 0)
		memcpy(buf + 6, text, tl);
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 6 + tl, buf);
}

/*
 * The reply to req: its question (as parsed; none when its name does not
 * parse again), RA, rcode and EDNS.  NULL without memory.
 */
static ldns_pkt *
req_reply(const struct res_req *req, int rcode)
{
	ldns_pkt	*pkt;
	ldns_rdf	*name = NULL;
	ldns_rr		*q = NULL;

	/* A name that does not parse is answered without a question. */
	if (req->qname[0] != '\0' &&
	    ldns_str2rdf_dname(&name, req->qname) == LDNS_STATUS_MEM_ERR)
		return NULL;
	if (name != NULL) {
		if ((q = ldns_rr_new()) == NULL) {
			ldns_rdf_deep_free(name);
			return NULL;
		}
		ldns_rr_set_question(q, true);
		ldns_rr_set_owner(q, name);
		ldns_rr_set_type(q, (ldns_rr_type)req->qtype);
		ldns_rr_set_class(q, (ldns_rr_class)req->qclass);
	}
	if ((pkt = dns_reply_new(req->id, LDNS_PACKET_QUERY, req->rd, req->cd,
	    q)) == NULL)
		return NULL;
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, (uint8_t)(rcode & 0x0f));
	if (req->edns) {
		ldns_pkt_set_edns_udp_size(pkt, REPLY_EDNS);
		ldns_pkt_set_edns_do(pkt, req->do_bit);
		ldns_pkt_set_edns_extended_rcode(pkt, (uint8_t)(rcode >> 4));
	}
	return pkt;
}

int
res_reply(const struct res_req *req, const struct res_query *q,
    int rcode, size_t max_len, uint8_t **wire_out, size_t *len_out,
    struct err *err)
{
	ldns_pkt	*pkt;
	ldns_rdf	*opt;
	enum res_sec	 sec = RES_SEC_UNKNOWN;
	enum res_ede	 ede = RES_EDE_NONE;
	const char	*text = NULL;
	ldns_status	 st;

	*wire_out = NULL;
	if (q != NULL) {
		rcode = res_query_rcode(q);
		sec = res_query_security(q);
		ede = res_query_ede(q, &text);
		if (sec == RES_SEC_BOGUS && !req->cd) {
			rcode = LDNS_RCODE_SERVFAIL;
			if (ede == RES_EDE_NONE)
				ede = RES_EDE_DNSSEC_BOGUS;
		}
		if (rcode == LDNS_RCODE_SERVFAIL && !(sec == RES_SEC_BOGUS &&
		    req->cd))
			q = NULL;	/* no records with SERVFAIL */
		else if (ede != RES_EDE_NSEC3_ITER)
			ede = RES_EDE_NONE;	/* only this one with data */
	}
	if ((pkt = req_reply(req, rcode)) == NULL)
		goto nomem;
	if (q != NULL) {
		if (push_section(pkt, LDNS_SECTION_ANSWER,
		    res_query_answer_rrs(q), req->do_bit, req->qtype) == -1 ||
		    push_section(pkt, LDNS_SECTION_AUTHORITY,
		    res_query_authority_rrs(q), req->do_bit, req->qtype) == -1)
			goto nomem;
		ldns_pkt_set_ad(pkt, sec == RES_SEC_SECURE && !(req->cd &&
		    !req->do_bit && !req->ad) && (req->do_bit || req->ad));
	}
	if (req->edns && ede != RES_EDE_NONE) {
		if ((opt = ede_option(ede, text)) == NULL)
			goto nomem;
		ldns_pkt_set_edns_data(pkt, opt);
	}
	st = ldns_pkt2wire(wire_out, pkt, len_out);
	if (st == LDNS_STATUS_OK && *len_out > max_len) {
		/* Too large: header and question only, TC=1. */
		free(*wire_out);
		*wire_out = NULL;
		ldns_pkt_free(pkt);
		if ((pkt = req_reply(req, rcode)) == NULL)
			goto nomem;
		ldns_pkt_set_tc(pkt, true);
		st = ldns_pkt2wire(wire_out, pkt, len_out);
	}
	ldns_pkt_free(pkt);
	if (st != LDNS_STATUS_OK) {
		free(*wire_out);
		*wire_out = NULL;
		err_set(err, ERR_NOMEM, "reply: %s", ldns_get_errorstr_by_id(st));
		return -1;
	}
	return 0;
nomem:
	ldns_pkt_free(pkt);
	err_set(err, ERR_NOMEM, "reply: out of memory");
	return -1;
}

enum res_chaos
res_req_chaos(const struct res_req *req)
{
	if (req->qclass != LDNS_RR_CLASS_CH ||
	    (req->qtype != LDNS_RR_TYPE_TXT && req->qtype != LDNS_RR_TYPE_ANY))
		return RES_CHAOS_NONE;
	if (strcasecmp(req->qname, "stats.timbre.") == 0)
		return RES_CHAOS_STATS;
	if (strcasecmp(req->qname, "version.bind.") == 0 ||
	    strcasecmp(req->qname, "version.server.") == 0)
		return RES_CHAOS_VERSION;
	return RES_CHAOS_NONE;
}

/* One CH TXT record at owner holding the string s (cut at 255 bytes). */
static ldns_rr *
chaos_txt(const ldns_rdf *owner, const char *s)
{
	uint8_t		 buf[256];
	size_t		 l = strlen(s);
	ldns_rr		*rr;
	ldns_rdf	*rd, *o;

	if (l > 255)
		l = 255;
	buf[0] = (uint8_t)l;
	memcpy(buf + 1, s, l);
	if ((rr = ldns_rr_new()) == NULL)
		return NULL;
	rd = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, l + 1, buf);
	o = ldns_rdf_clone(owner);
	if (rd == NULL || o == NULL) {
		ldns_rdf_deep_free(rd);
		ldns_rdf_deep_free(o);
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_CH);
	ldns_rr_set_ttl(rr, 0);
	if (!ldns_rr_push_rdf(rr, rd)) {
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

int
res_chaos_reply(const struct res_req *req, const char *const *txt, size_t n,
    size_t max_len, uint8_t **wire_out, size_t *len_out, struct err *err)
{
	ldns_pkt	*pkt;
	ldns_rdf	*owner = NULL;
	ldns_rr		*rr;
	ldns_status	 st;
	size_t		 i;

	*wire_out = NULL;
	if ((pkt = req_reply(req, LDNS_RCODE_NOERROR)) == NULL ||
	    (owner = ldns_dname_new_frm_str(req->qname)) == NULL)
		goto nomem;
	ldns_pkt_set_aa(pkt, true);
	for (i = 0; i < n; i++) {
		if ((rr = chaos_txt(owner, txt[i])) == NULL)
			goto nomem;
		if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr)) {
			ldns_rr_free(rr);
			goto nomem;
		}
	}
	st = ldns_pkt2wire(wire_out, pkt, len_out);
	if (st == LDNS_STATUS_OK && *len_out > max_len) {
		free(*wire_out);
		*wire_out = NULL;
		ldns_pkt_free(pkt);
		if ((pkt = req_reply(req, LDNS_RCODE_NOERROR)) == NULL)
			goto nomem;
		ldns_pkt_set_aa(pkt, true);
		ldns_pkt_set_tc(pkt, true);
		st = ldns_pkt2wire(wire_out, pkt, len_out);
	}
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(owner);
	if (st != LDNS_STATUS_OK) {
		free(*wire_out);
		*wire_out = NULL;
		err_set(err, ERR_NOMEM, "reply: %s",
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	return 0;
nomem:
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(owner);
	err_set(err, ERR_NOMEM, "reply: out of memory");
	return -1;
}
