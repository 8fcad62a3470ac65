/*
 * fuzz_tsig.c: TSIG (src/dns/tsig.c, RFC 8945) on any message: dns_msg_walk
 * finds the sections, OPT and TSIG records; dns_tsig_verify parses the
 * TSIG record and checks its MAC with a loaded key (as a request, and as
 * a response to a MAC); dns_tsig_append_error copies the record into an
 * unsigned error answer.  The walk's layout must stay inside the message.
 * The corpus holds messages signed with the key, so that the MAC code
 * runs past the parsing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000

static const char keys[] =
    "k._update.example.org. DNSKEY 0 3 163 "
    "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\n";

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct dns_tsig_keys	*ks;
	static const uint8_t	 req_mac[32] = { 1, 2, 3 };
	struct dns_msg_layout	 l;
	const struct dns_tsig_key	*k;
	struct buf		 b;
	struct err		 err;
	uint8_t			 mac[64], *copy;
	size_t			 maclen;
	uint16_t		 tsig_error;

	if (ks == NULL && ((ks = dns_tsig_keys_new()) == NULL ||
	    dns_tsig_keys_load(ks, "_keys", keys, strlen(keys),
	    &err) == -1))
		abort();
	/* On the heap, exactly n octets. */
	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(copy, p, n);
	if (dns_msg_walk(copy, n, &l) == 0) {
		if (l.qend > n || l.tsig_off >= n + (n == 0))
			abort();
		if (l.tsig_off != 0) {
			buf_init(&b, 65535);
			if (buf_add(&b, copy, l.qend > 12 ? l.qend : 12,
			    &err) == 0)
				dns_tsig_append_error(&b, copy, n,
				    l.tsig_off, 16, &err);
			buf_fini(&b);
		}
	}
	dns_tsig_verify(ks, NULL, copy, n, NULL, 0, NOW, &k, mac, &maclen,
	    &tsig_error, &err);
	dns_tsig_verify(ks, NULL, copy, n, req_mac, sizeof(req_mac), NOW, &k,
	    mac, &maclen, &tsig_error, &err);
	free(copy);
	return 0;
}
