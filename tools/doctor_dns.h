/*
 * doctor_dns.h: the DNSSEC questions of timbre doctor: a question with
 * AD=1 and DO=1 (RFC 6840 section 5.7, RFC 3225), CD when asked, to the
 * resolver, whose answer's AD bit says whether the resolver validated
 * it; and the TLSA records of the answer (RFC 6698 section 2).  The
 * parser is pure (tests/fuzz/fuzz_doctor_dns.c).
 */
#ifndef TIMBRE_TOOLS_DOCTOR_DNS_H
#define TIMBRE_TOOLS_DOCTOR_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns/dns.h"

#define DOCTOR_DNS_T_DS		43
#define DOCTOR_DNS_T_DNSKEY	48
#define DOCTOR_DNS_T_TLSA	52
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
	bool			ad, tc, ra;
	size_t			ntype;		/* records of the type asked */
	struct doctor_tlsa	tlsa[DOCTOR_MAX_TLSA];
	size_t			ntlsa;
	char			why[128];	/* when not answered */
};

/* Reads the reply msg (len bytes) to the question of id and type.  0, or
 * -1 with out->why when it is no reply to it. */
int	doctor_dns_parse(const uint8_t *msg, size_t len, uint16_t id,
	    uint16_t type, struct doctor_dns_answer *out);

/* Asks srv (UDP, then TCP on TC=1; TCP only if srv says so) for (name,
 * type), with CD=1 when cd, until end. */
void	doctor_dns_ask(const struct dns_server *srv, const char *name,
	    uint16_t type, bool cd, const struct timespec *end,
	    struct doctor_dns_answer *out);

#endif
