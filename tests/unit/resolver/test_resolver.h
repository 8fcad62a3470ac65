/*
 * test_resolver.h: what the files of the resolver suite share: the tables
 * that answer the iterator instead of a network (net_answer, unsigned
 * zones under a root of two servers; snet_answer, a root zone signed with
 * one key that is the trust anchor), the iterator's cases, and the
 * builders of records, queries and signatures (test_resolver.c).
 */
#ifndef TIMBRE_TESTS_UNIT_RESOLVER_TEST_RESOLVER_H
#define TIMBRE_TESTS_UNIT_RESOLVER_TEST_RESOLVER_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "resolver/res_priv.h"

/* The hints of net_answer's root: a.root answers, b.root never does. */
#define ROOT_HINTS \
    ". 3600000 NS a.root.test.\n" \
    "a.root.test. 3600000 A 127.0.0.2\n" \
    ". 3600000 NS b.root.test.\n" \
    "b.root.test. 3600000 A 127.0.0.9\n"
/* The hints of snet_answer's signed root. */
#define SROOT_HINTS \
    ". 3600000 NS a.root.test.\n" \
    "a.root.test. 3600000 A 127.0.0.2\n"

/* A question the unsigned table answers, and what resolving it gives. */
struct iter_case {
	const char	*name;
	uint16_t	 type;
	int		 rcode;
	int		 nanswer;	/* records in the answer */
	int		 min_sends;
	int		 tcp, noedns;	/* at least */
};

extern const struct iter_case	iter_cases[];
extern const size_t		n_iter_cases;
/* Questions for FLAKY_NAME seen: the first is not answered. */
extern int			flaky_seen;

/* The unsigned table's answer to rq, or NULL with *none (a time-out). */
ldns_pkt	*net_answer(const struct res_request *rq, bool *none);

/* The signed root: its key (the trust anchor) and the test's clock. */
struct snet_ctx {
	ldns_key_list	*kl;
	ldns_rr		*dnskey;
	char		*anchor;	/* dnskey as text */
	time_t		 base;
};

/* Makes the key and a resolver of the signed root; undone by
 * snet_teardown.  snet_conf: the configuration of such a resolver. */
struct res_resolver *snet_setup(struct snet_ctx *, time_t base);
void		 snet_conf(const struct snet_ctx *, struct res_conf *);
void		 snet_teardown(struct snet_ctx *, struct res_resolver *);
/* The signed root's answer to rq, signed at the context's clock. */
ldns_pkt	*snet_answer(const struct res_request *rq, struct snet_ctx *);

/* Records a (and b, unless NULL) in zone-file syntax, as a list. */
ldns_rr_list	*rrs(const char *a, const char *b);
/* A query for (name, type) with ID 0x1234, RD, and EDNS of that version
 * with DO unless edns_version < 0; malloc'ed. */
uint8_t		*query_wire(const char *name, uint16_t type, int edns_version,
		    size_t *len);
/* The RRSIGs of set by keys. */
ldns_rr_list	*signed_set(ldns_rr_list *set, ldns_key_list *keys);
/* A key for zone (flags 256 or 257), valid from an hour before now for
 * a day. */
ldns_key	*zone_key(const ldns_rdf *zone, uint16_t flags, time_t now);

TCase		*res_nomem_tcase(void);

#endif
