/*
 * doctor_dns.h: what timbre doctor keeps of the answer to one of its
 * DNSSEC questions, asked by src/dns's stub with AD=1 and DO=1 (RFC 6840
 * section 5.7, RFC 3225), CD when asked (dns_stub_opts): the rcode, the
 * AD bit that says whether the resolver validated it, the RA bit, how
 * many records of the type asked it holds, and its TLSA records (RFC
 * 6698 section 2), read by src/dns (dns_msg_tlsas).
 */
#ifndef TIMBRE_TOOLS_DOCTOR_DNS_H
#define TIMBRE_TOOLS_DOCTOR_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

#define DOCTOR_DNS_T_DS		43
#define DOCTOR_DNS_T_DNSKEY	48
#define DOCTOR_DNS_T_TLSA	DNS_T_TLSA
#define DOCTOR_MAX_TLSA		8	/* TLSA records kept */
#define DOCTOR_TLSA_DATA	1024	/* bytes of association data kept */

/* One TLSA record. */
struct doctor_tlsa {
	uint8_t		usage, selector, mtype;
	uint8_t		data[DOCTOR_TLSA_DATA];
	size_t		len;
	bool		cut;		/* longer than DOCTOR_TLSA_DATA */
};

struct doctor_dns_answer {
	bool			answered;	/* a reply came (rcode valid) */
	int			rcode;
	bool			ad, ra;
	size_t			ntype;		/* records of the type asked */
	struct doctor_tlsa	tlsa[DOCTOR_MAX_TLSA];
	size_t			ntlsa;
	char			why[128];	/* when not answered */
};

/* Fills out from the stub's answer to a question of type: st and msg
 * as a dns_stub_cb gets them (msg NULL: not answered, why says st). */
void	doctor_dns_take(enum dns_status st, const struct dns_msg *msg,
	    uint16_t type, struct doctor_dns_answer *out);

#endif
