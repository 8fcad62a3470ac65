/*
 * test_zone.h: what the files of the "zone" suite share: test_zone.c's
 * zone text, database and message makers, and test_nomem.c's cases.
 */
#ifndef TIMBRE_TESTS_UNIT_ZONE_TEST_ZONE_H
#define TIMBRE_TESTS_UNIT_ZONE_TEST_ZONE_H

#include <stddef.h>

#include <check.h>

#include "auth/auth.h"

struct buf;

#define NOW	1700000000
#define SECRET	"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="

/*
 * A hand-kept zone, for the edits of zonetext.c: a multi-line SOA,
 * comments, blank lines, $ORIGIN and $TTL, relative names, @ and owners
 * inherited by lines that start with a blank.
 */
#define ZT_HEAD		"; example.org, kept by hand\n" \
			"$ORIGIN example.org.\n$TTL 300\n"
#define ZT_SOA(serial)	"@\tIN SOA\tns1 hostmaster (\n" \
			"\t\t" serial " ; serial\n" \
			"\t\t3600 900 604800 300 )\n\n"
#define ZT_NS		"; name servers\n@\tNS\tns1\n\tNS\tns2.example.net.\n" \
			"ns1\tA\t192.0.2.1\n\tAAAA\t2001:db8::1\n\n"
#define ZT_WWW1		"www\tA\t192.0.2.10 ; web\n"
#define ZT_WWW2		"\tA\t192.0.2.11\n"
#define ZT_WWW3		"\tTXT\t\"v=spf1 -all\"\n"
#define ZT_WWW		ZT_WWW1 ZT_WWW2 ZT_WWW3
#define ZT_MAIL		"mail\t60 MX\t10 mx\nmx\tA\t192.0.2.25\n\n"
#define ZT_SUB		"$ORIGIN sub.example.org.\nhost\tA\t192.0.2.40\n"
#define ZT_OLD		ZT_HEAD ZT_SOA("2024010101") ZT_NS ZT_WWW ZT_MAIL \
			ZT_SUB
#define ZT_NEW(body)	ZT_HEAD ZT_SOA("2024010102") body

/* A db holding text as example.org, and two keys: up._update.example.org
 * (hmac-sha256) and no._notify.example.org (hmac-sha512), both SECRET. */
struct auth_db	*db_of(const char *text);
/* A query as wire bytes in b: edns 0 = none, else the payload size. */
void		 make_query(const char *name, ldns_rr_type, int opcode,
		    int edns, int version, struct buf *b);
/* An UPDATE of example.org signed with k, in q: the prerequisite pre
 * (or NULL), then the records up[], at most max of them, NULL-ended if
 * fewer. */
void		 make_update(const char *pre, const char *const *up,
		    size_t max, struct dns_tsig_key *k, struct buf *q);

TCase		*zone_nomem_tcase(void);
/* test_dnssec.c */
TCase		*zone_dnssec_tcase(void);
TCase		*zone_sign_tcase(void);
/* test_limits.c */
TCase		*zone_limits_tcase(void);
TCase		*zone_replycache_tcase(void);
/* test_rrl.c */
TCase		*zone_rrl_tcase(void);

#endif
