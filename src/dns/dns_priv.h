/*
 * dns_priv.h: what the files of src/dns share and nobody else sees: the
 * ldns packet behind struct dns_msg, building a query and checking an
 * answer against its question (msg.c), for the stub client (stub.c) and,
 * later, the DNS daemons, which may use ldns themselves; and reading the
 * answer section (msg.c), for the readers of rr.c.
 */
#ifndef TIMBRE_DNS_DNS_PRIV_H
#define TIMBRE_DNS_DNS_PRIV_H

#include <stdbool.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

/* Longest CNAME chain followed inside one answer section. */
#define DNS_MAX_CNAMES		16
/* Largest DNS message over TCP (RFC 7766 section 8) or UDP. */
#define DNS_MAX_MSG		65535
/* Smallest and default advertised EDNS0 UDP payload (RFC 6891 6.2.5). */
#define DNS_MIN_EDNS		512
#define DNS_DEFAULT_EDNS	1232

struct dns_msg {
	ldns_pkt	*pkt;
};

/* What an answer is to a question, as far as the wire says. */
enum dns_check {
	DNS_CHECK_BAD,		/* not (usable as) the answer: see err */
	DNS_CHECK_ANSWER,	/* *status_out and *msg_out are set */
	DNS_CHECK_TRUNCATED,	/* TC=1: ask again over TCP */
	DNS_CHECK_FORMERR,	/* FORMERR: perhaps the server lacks EDNS */
};

/*
 * Builds the wire form of a query for (qname, type, IN) with RD set and
 * id, with an EDNS0 OPT record advertising edns_size when edns_size > 0.
 * With dnssec, AD=1 (RFC 6840 section 5.7: tell us whether the answer
 * validated) and, with the OPT record, DO=1 (RFC 3225); with cd, CD=1.
 * *wire_out is malloc'ed.  0, or -1 with err.
 */
int	dns_query_wire(const ldns_rdf *qname, uint16_t type, uint16_t id,
	    size_t edns_size, bool dnssec, bool cd, uint8_t **wire_out,
	    size_t *len_out, struct err *);
/*
 * Parses a name in presentation form ("example.com", trailing dot
 * optional) into a new absolute dname; NULL with err (DNS_E_NAME,
 * ERR_NOMEM).
 */
ldns_rdf *dns_name_parse(const char *, struct err *);
/*
 * Checks len bytes of wire against the question (id, qname, type, IN) and
 * classifies it.  Only DNS_CHECK_ANSWER sets *status_out and *msg_out (the
 * caller frees the message).  The question must be echoed, except that a
 * TC or FORMERR answer may carry no question at all (RFC 6891 section 7).
 */
enum dns_check dns_answer_check(const uint8_t *, size_t, uint16_t id,
	    const ldns_rdf *qname, uint16_t type,
	    enum dns_status *status_out, struct dns_msg **msg_out,
	    struct err *);

/*
 * Reading the answer section, following CNAMEs within it (RFC 1034
 * section 3.6.2) as far as DNS_MAX_CNAMES; a question for CNAME itself is
 * not followed.
 *
 * dns_rr_matches: is rr a record of (owner, type, class IN)?  Names
 * compare without case.
 *
 * dns_answer_status: what the answer pkt says of (qname, type), as in
 * dns_answer_parse: DNS_NXDOMAIN, DNS_SERVFAIL for other rcodes, a CNAME
 * chain too long (every loop) or qname NULL (no question to answer),
 * otherwise DNS_OK or DNS_NODATA.
 *
 * dns_msg_owner: the owner of the records answering (name, type) in msg:
 * name (NULL: the question's) after the CNAMEs.  The result may point
 * into *dname_out (the parsed name; NULL when name is NULL), which the
 * caller frees with ldns_rdf_deep_free once done with the result.  NULL
 * with err: DNS_E_NAME for a bad name, DNS_E_MALFORMED for no question or
 * a chain too long, the message starting with what ("txt: no question").
 *
 * dns_txt_join: the character-strings of a TXT record, concatenated, as
 * a new NUL-terminated string *out of *len_out bytes.  1 (and *out NULL)
 * when rr holds other rdata or, unless keep_nul, a NUL byte: the caller
 * skips it; 0; -1 with ERR_NOMEM.
 */
bool	dns_rr_matches(const ldns_rr *, const ldns_rdf *owner, ldns_rr_type);
enum dns_status dns_answer_status(const ldns_pkt *, const ldns_rdf *qname,
	    ldns_rr_type);
const ldns_rdf *dns_msg_owner(const struct dns_msg *, const char *name,
	    ldns_rr_type, const char *what, ldns_rdf **dname_out,
	    struct err *);
int	dns_txt_join(const ldns_rr *, bool keep_nul, char **out,
	    size_t *len_out, struct err *);

#endif
