/*
 * test_dns.h: what the files of the dns suite share: wire answers built
 * with ldns from a table row, and each file's test case.
 */
#ifndef TIMBRE_TESTS_UNIT_DNS_TEST_DNS_H
#define TIMBRE_TESTS_UNIT_DNS_TEST_DNS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#define TDNS_MAX_AN	8

/* An answer as a table row. */
struct tdns_answer {
	uint16_t	 id;
	const char	*qname;		/* NULL: no question section */
	uint16_t	 qtype;
	int		 rcode;
	int		 qr, tc, edns;
	const char	*an[TDNS_MAX_AN]; /* answer records, zone file syntax */
};

/* The wire form of a, malloc'ed; fails the test if ldns refuses. */
uint8_t	*tdns_wire(const struct tdns_answer *, size_t *len_out);

TCase	*dns_tcase_msg(void);
TCase	*dns_tcase_server(void);
TCase	*dns_tcase_stub(void);
TCase	*dns_tcase_wire(void);
TCase	*dns_tcase_nomem(void);
TCase	*dns_tcase_xfr(void);

#endif
