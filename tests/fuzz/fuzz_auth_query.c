/*
 * fuzz_auth_query.c: the authoritative server's untrusted input: any
 * message (query, NOTIFY, UPDATE, with or without TSIG and EDNS) through
 * auth_handle against a small zone with keys, then, for UPDATE, through
 * auth_update; over UDP and TCP.  Two zones signed offline
 * (auth_signed.h: NSEC3 with opt-out, NSEC) take queries with DO through
 * the DNSSEC answers: proofs, hashed names, referrals with DS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"
#include "auth_signed.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char zone[] =
    "$ORIGIN example.org.\n$TTL 300\n"
    "@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\n"
    "ns1 A 192.0.2.1\nwww A 192.0.2.2\nalias CNAME www\n*.w TXT \"x\"\n"
    "sub NS ns.sub\nns.sub A 192.0.2.3\n";

static const char keys[] =
    "k._update.example.org. DNSKEY 0 3 163 "
    "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\n";

static const struct {
	const char	*name, *text;
} zones[] = {
	{ "example.org", zone },
	{ "s.example", signed_nsec3 },
	{ "t.example", signed_nsec },
};

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct auth_db	*db;
	struct auth_zone	*z, *nz;
	struct dns_tsig_keys	*ks;
	struct auth_req		 req;
	struct buf		 out, sum;
	struct err		 err;
	size_t			 i;
	int			 tcp;

	if (db == NULL) {
		db = auth_db_new(1);
		ks = dns_tsig_keys_new();
		if (db == NULL || ks == NULL || dns_tsig_keys_load(ks,
		    "_keys", keys, strlen(keys), &err) == -1)
			abort();
		for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
			z = auth_zone_load(zones[i].name, zones[i].text,
			    strlen(zones[i].text), zones[i].name, &err);
			if (z == NULL || auth_db_add_zone(db, z, &err) == -1)
				abort();
			auth_zone_free(z);
		}
		auth_db_set_keys(db, ks);
	}
	for (tcp = 0; tcp < 2; tcp++) {
		buf_init(&out, 65535);
		buf_init(&sum, 65535);
		if (auth_handle(db, p, n, tcp, 1700000000, &req, &out,
		    &err) == 0) {
			if (req.kind == AUTH_UPDATE) {
				nz = NULL;
				auth_update(&req, AUTH_SERIAL_INCREMENT, 0, &nz,
				    &sum, &err);
				auth_zone_free(nz);
			}
			if (req.kind != AUTH_REPLY)
				auth_finish(&req, 1700000000, &out, &err);
		}
		auth_req_fini(&req);
		buf_fini(&out);
		buf_fini(&sum);
	}
	return 0;
}
