/*
 * fuzz_dns_xfr.c: the reader of AXFR and UPDATE answers (src/dns/xfr.c,
 * dns_xfr_read_msg) on any bytes: the input is a TCP stream of messages,
 * each after its two-octet length (RFC 7766 section 8), read as one
 * transfer of example.org keeping the TXT records below
 * _domainkey.example.org, then once more as the answer to an UPDATE.
 * Every record kept must be one label (no dot) with its text.  The
 * corpus holds transfers dnspython built (tests/fuzz/corpus/dns_xfr).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Reads the stream p[0..n) as answers into r until one ends it. */
static void
read_stream(struct dns_xfr_read *r, const uint8_t *p, size_t n)
{
	uint8_t	*m;
	size_t	 off = 0, len, i;
	char	 why[96];
	int	 rc = 0;

	while (rc == 0 && n - off >= 2) {
		len = (size_t)p[off] << 8 | p[off + 1];
		off += 2;
		if (len > n - off)
			len = n - off;
		/* On the heap, exactly len octets. */
		if ((m = malloc(len > 0 ? len : 1)) == NULL)
			return;
		memcpy(m, p + off, len);
		rc = dns_xfr_read_msg(r, m, len, why, sizeof(why));
		free(m);
		off += len;
		if (rc == -1 && why[0] == '\0')
			abort();
	}
	for (i = 0; i < r->nrecs; i++)
		if (r->recs[i].label[0] == '\0' ||
		    strchr(r->recs[i].label, '.') != NULL ||
		    r->recs[i].txt == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct dns_xfr_read	r;

	dns_xfr_read_init(&r, "_domainkey.example.org");
	read_stream(&r, p, n);
	dns_xfr_read_fini(&r);
	dns_xfr_read_init(&r, NULL);
	r.update = true;
	read_stream(&r, p, n);
	dns_xfr_read_fini(&r);
	return 0;
}
