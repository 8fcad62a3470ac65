/*
 * fuzz_dns_wire.c: the wire reader (src/dns/wire.c) on any bytes: at each
 * of the first offsets, a name skipped and copied with and without
 * pointers and lower-casing, into an output of exactly the size the input
 * asks for (the sanitizers see a write past it), then the input walked as
 * questions and records.  Each result is checked against the contract in
 * dns.h and, where the two must agree, against ldns_wire2dname: a name
 * the reader copies, ldns reads to the same octets (ldns also takes
 * forward pointers, which the reader refuses).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one_name(const uint8_t *p, size_t n, size_t at, size_t size, int flags)
{
	uint8_t		*out, c;
	ldns_rdf	*rdf = NULL;
	size_t		 off = at, skip = at, len, lpos = at, i;

	if ((out = malloc(size > 0 ? size : 1)) == NULL)
		return;
	len = dns_wire_name_copy(p, n, &off, out, size, flags);
	if (dns_wire_name_skip(p, n, &skip, flags) == 0) {
		if (skip > n || skip <= at)
			abort();
		/* A copy ends where the skip does. */
		if (len > 0 && off != skip)
			abort();
	} else if (len > 0)
		abort();
	if (len == 0) {
		if (off != at)
			abort();
		free(out);
		return;
	}
	if (len > size || len > DNS_WIRE_NAME_MAX || out[len - 1] != 0)
		abort();
	if (ldns_wire2dname(&rdf, p, n, &lpos) != LDNS_STATUS_OK ||
	    ldns_rdf_size(rdf) != len || lpos != off)
		abort();
	for (i = 0; i < len; i++) {
		c = ldns_rdf_data(rdf)[i];
		if ((flags & DNS_WIRE_LOWER) && c >= 'A' && c <= 'Z')
			c += 32;
		if (c != out[i])
			abort();
	}
	ldns_rdf_deep_free(rdf);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct dns_wire_rr	 rr;
	size_t			 at, off, size;
	uint32_t		 v32;
	uint16_t		 v16;
	uint8_t			 v8;
	int			 flags;

	if (n < 2)
		return 0;
	/* The first octet: the output's size (0 to 255, then 255 as 255). */
	size = p[0];
	p++;
	n--;
	for (at = 0; at < n && at < 24; at++)
		for (flags = 0; flags < 4; flags++)
			one_name(p, n, at, flags & 1 ? size : DNS_WIRE_NAME_MAX,
			    flags);
	/* A header, questions, then records to the end. */
	off = DNS_WIRE_HDR;
	if (n >= DNS_WIRE_HDR) {
		for (at = 0; at < dns_wire_peek16(p + 4); at++)
			if (dns_wire_question_skip(p, n, &off,
			    DNS_WIRE_PTR) == -1)
				break;
		while (off < n) {
			at = off;
			if (dns_wire_rr_skip(p, n, &off, &rr) == -1) {
				if (off != at)
					abort();
				break;
			}
			if (off > n || off <= at || rr.owner != at ||
			    rr.rdata + rr.rdlen != off ||
			    rr.fixed + 10 != rr.rdata)
				abort();
		}
	}
	/* The integer reads, from every offset, never past the end. */
	for (at = 0; at <= n && at < 16; at++) {
		off = at;
		if (dns_wire_u8(p, n, &off, &v8) == 0 && off > n)
			abort();
		off = at;
		if (dns_wire_u16(p, n, &off, &v16) == 0 && off > n)
			abort();
		off = at;
		if (dns_wire_u32(p, n, &off, &v32) == 0 && off > n)
			abort();
	}
	(void)dns_hash((uint64_t)n, p, n);
	return 0;
}
