/*
 * test_wire.c: the wire reader (src/dns/wire.c): names at their limits
 * (RFC 1035 section 2.3.4) and past them, pointers (section 4.1.4)
 * backwards, forwards and in loops, the label types of RFC 6891 section
 * 5, every case cut at every octet, records and questions, the bounded
 * integer reads, and the seeded hash.  Against ldns_wire2dname where the
 * two must agree.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns.h"
#include "test_dns.h"

#define W(s)	(const uint8_t *)(s), sizeof(s) - 1
#define H	"0123456789ab"	/* a header: pointers may not point into it */

/*
 * Names at offset at of a message (what precedes them is a header, then
 * names for pointers to point at).  ok_ptr, ok_plain: the name's length when read
 * with and without DNS_WIRE_PTR, 0 if refused; end: where it ends in the
 * message; want: the name copied (lower case), when ok_ptr.
 */
static const struct wcase {
	const uint8_t	*w;
	size_t		 len, at;
	size_t		 ok_ptr, ok_plain, end;
	const uint8_t	*want;
	size_t		 wantlen;
} cases[] = {
	{ W(H "\0"), 12, 1, 1, 13, W("\0") },
	{ W(H "\3WwW\7Example\3ORG\0"), 12, 17, 17, 29,
	  W("\3www\7example\3org\0") },
	/* A pointer back to "example.org" after "www". */
	{ W(H "\7example\3org\0\3www\300\14"), 25, 17, 0, 31,
	  W("\3www\7example\3org\0") },
	/* Pointers to pointers, each further back. */
	{ W(H "\3org\0\7example\300\14\3www\300\21"), 27, 17, 0, 33,
	  W("\3www\7example\3org\0") },
	/* Forward, to itself, a loop of two, into the header. */
	{ W(H "\300\16\3org\0"), 12, 0, 0, 0, NULL, 0 },
	{ W(H "\300\14"), 12, 0, 0, 0, NULL, 0 },
	{ W(H "\1a\300\20\1b\300\14"), 16, 0, 0, 0, NULL, 0 },
	{ W(H "\3www\300\0"), 12, 0, 0, 0, NULL, 0 },
	/* Past the end, and cut. */
	{ W(H "\300\37\0"), 12, 0, 0, 0, NULL, 0 },
	{ W("\300"), 0, 0, 0, 0, NULL, 0 },
	{ W("\3www"), 0, 0, 0, 0, NULL, 0 },
	{ W("\3ww"), 0, 0, 0, 0, NULL, 0 },
	/* Label types 01 and 10. */
	{ W("\100\0"), 0, 0, 0, 0, NULL, 0 },
	{ W("\1a\200\0"), 0, 0, 0, 0, NULL, 0 },
};

/* Skip and copy agree with the table, for each flag. */
START_TEST(test_wire_names)
{
	const struct wcase	*c = &cases[_i];
	uint8_t			 out[DNS_WIRE_NAME_MAX];
	size_t			 off, n;
	int			 rc;

	off = c->at;
	n = dns_wire_name_copy(c->w, c->len, &off, out, sizeof(out),
	    DNS_WIRE_PTR | DNS_WIRE_LOWER);
	ck_assert_uint_eq(n, c->ok_ptr);
	if (n > 0) {
		ck_assert_uint_eq(off, c->end);
		ck_assert_uint_eq(n, c->wantlen);
		ck_assert(memcmp(out, c->want, n) == 0);
	} else
		ck_assert_uint_eq(off, c->at);
	off = c->at;
	n = dns_wire_name_copy(c->w, c->len, &off, out, sizeof(out), 0);
	ck_assert_uint_eq(n, c->ok_plain);
	off = c->at;
	rc = dns_wire_name_skip(c->w, c->len, &off, 0);
	ck_assert_int_eq(rc, c->ok_plain ? 0 : -1);
	if (rc == 0)
		ck_assert_uint_eq(off, c->end);
	/* Skipping stops at a pointer, so it accepts the loops copying
	 * refuses; it still refuses what is cut or of a bad type. */
	off = c->at;
	rc = dns_wire_name_skip(c->w, c->len, &off, DNS_WIRE_PTR);
	if (c->ok_ptr)
		ck_assert_int_eq(rc, 0);
	if (rc == 0)
		ck_assert_uint_le(off, c->len);
}
END_TEST

/* Every case cut at every octet: refused, or read within the cut. */
START_TEST(test_wire_names_cut)
{
	const struct wcase	*c = &cases[_i];
	uint8_t			*w, out[DNS_WIRE_NAME_MAX];
	size_t			 cut, off, n;

	for (cut = 0; cut <= c->len; cut++) {
		/* On the heap, exactly cut octets: ASan sees a read past. */
		ck_assert_ptr_nonnull(w = malloc(cut > 0 ? cut : 1));
		memcpy(w, c->w, cut);
		off = c->at;
		n = dns_wire_name_copy(w, cut, &off, out, sizeof(out),
		    DNS_WIRE_PTR);
		if (cut < c->end)
			ck_assert_uint_eq(n, 0);
		else
			ck_assert_uint_eq(n, c->ok_ptr);
		off = c->at;
		if (dns_wire_name_skip(w, cut, &off, DNS_WIRE_PTR) == 0)
			ck_assert_uint_le(off, cut);
		free(w);
	}
}
END_TEST

/* A name of labels of the given lengths, of 'x's, at b; its length. */
static size_t
name_of(const size_t *labels, size_t n, uint8_t *b)
{
	size_t	len = 0, i;

	for (i = 0; i < n; i++) {
		b[len++] = (uint8_t)labels[i];
		memset(b + len, 'x', labels[i]);
		len += labels[i];
	}
	b[len++] = 0;
	return len;
}

/*
 * The limits: 63-octet labels, 255-octet names (63, 63, 63, 61 and the
 * root) accepted by skip, copy and ldns; 256 octets refused by all three,
 * and the name of issue 9 (a fifth label after 254 octets) too; a copy
 * into fewer octets than the name is refused without a write past them.
 */
START_TEST(test_wire_limits)
{
	static const size_t	 n255[] = { 63, 63, 63, 61 };
	static const size_t	 n256[] = { 63, 63, 63, 62 };
	static const size_t	 n9[] = { 63, 63, 63, 61, 63 };
	uint8_t			 b[600], *out;
	size_t			 len, off, n;
	ldns_rdf		*rdf = NULL;

	ck_assert_ptr_nonnull(out = malloc(DNS_WIRE_NAME_MAX));
	len = name_of(n255, 4, b);
	ck_assert_uint_eq(len, 255);
	off = 0;
	ck_assert_int_eq(dns_wire_name_skip(b, len, &off, 0), 0);
	ck_assert_uint_eq(off, 255);
	off = 0;
	ck_assert_uint_eq(dns_wire_name_copy(b, len, &off, out,
	    DNS_WIRE_NAME_MAX, 0), 255);
	ck_assert(memcmp(out, b, 255) == 0);
	off = 0;
	ck_assert_int_eq(ldns_wire2dname(&rdf, b, len, &off), LDNS_STATUS_OK);
	ldns_rdf_deep_free(rdf);
	rdf = NULL;
	off = 0;
	ck_assert_uint_eq(dns_wire_name_copy(b, len, &off, out, 254, 0), 0);

	len = name_of(n256, 4, b);
	ck_assert_uint_eq(len, 256);
	off = 0;
	ck_assert_int_eq(dns_wire_name_skip(b, len, &off, 0), -1);
	ck_assert_uint_eq(dns_wire_name_copy(b, len, &off, out,
	    DNS_WIRE_NAME_MAX, 0), 0);
	ck_assert_int_ne(ldns_wire2dname(&rdf, b, len, &off), LDNS_STATUS_OK);
	ldns_rdf_deep_free(rdf);
	rdf = NULL;

	len = name_of(n9, 5, b);
	off = 0;
	ck_assert_int_eq(dns_wire_name_skip(b, len, &off, DNS_WIRE_PTR), -1);
	ck_assert_uint_eq(dns_wire_name_copy(b, len, &off, out,
	    DNS_WIRE_NAME_MAX, DNS_WIRE_PTR | DNS_WIRE_LOWER), 0);

	/* After a header, "\1x\0", then 254 octets of labels and a pointer
	 * to "\1x\0": 257 octets expanded, refused; a pointer to the
	 * root: 255, taken. */
	memset(b, 0, 12);
	b[12] = 1;
	b[13] = 'x';
	b[14] = 0;
	len = 15 + name_of(n255, 4, b + 15) - 1;
	b[len++] = 0xc0;
	b[len++] = 12;
	off = 15;
	ck_assert_uint_eq(dns_wire_name_copy(b, len, &off, out,
	    DNS_WIRE_NAME_MAX, DNS_WIRE_PTR), 0);
	b[len - 1] = 14;
	off = 15;
	n = dns_wire_name_copy(b, len, &off, out, DNS_WIRE_NAME_MAX,
	    DNS_WIRE_PTR);
	ck_assert_uint_eq(n, 255);
	ck_assert_uint_eq(off, len);
	free(out);
}
END_TEST

/* A record, a question, and each cut at every octet. */
START_TEST(test_wire_records)
{
	static const uint8_t	 msg[] = {
		3, 'w', 'w', 'w', 0, 0, 1, 0, 1,		/* question */
		0xc0, 0, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4,	/* A, 3600 */
		192, 0, 2, 1,
	};
	struct dns_wire_rr	 rr;
	uint8_t			*w;
	size_t			 off = 0, cut;

	ck_assert_int_eq(dns_wire_question_skip(msg, sizeof(msg), &off, 0), 0);
	ck_assert_uint_eq(off, 9);
	ck_assert_int_eq(dns_wire_rr_skip(msg, sizeof(msg), &off, &rr), 0);
	ck_assert_uint_eq(off, sizeof(msg));
	ck_assert_uint_eq(rr.owner, 9);
	ck_assert_uint_eq(rr.fixed, 11);
	ck_assert_uint_eq(rr.type, 1);
	ck_assert_uint_eq(rr.class, 1);
	ck_assert_uint_eq(rr.ttl, 3600);
	ck_assert_uint_eq(rr.rdlen, 4);
	ck_assert_uint_eq(rr.rdata, 21);
	for (cut = 0; cut < sizeof(msg); cut++) {
		ck_assert_ptr_nonnull(w = malloc(cut > 0 ? cut : 1));
		memcpy(w, msg, cut);
		off = 0;
		ck_assert_int_eq(dns_wire_question_skip(w, cut, &off, 0),
		    cut >= 9 ? 0 : -1);
		if (cut >= 9) {
			ck_assert_int_eq(dns_wire_rr_skip(w, cut, &off, NULL),
			    -1);
			ck_assert_uint_eq(off, 9);
		} else
			ck_assert_uint_eq(off, 0);
		free(w);
	}
}
END_TEST

/* The integer reads stop at the end, and leave *off there. */
START_TEST(test_wire_ints)
{
	static const uint8_t	 b[] = { 1, 2, 3, 4, 5, 6, 7 };
	uint8_t			 v8;
	uint16_t		 v16;
	uint32_t		 v32;
	size_t			 off = 0;

	ck_assert_int_eq(dns_wire_u8(b, sizeof(b), &off, &v8), 0);
	ck_assert_uint_eq(v8, 1);
	ck_assert_int_eq(dns_wire_u16(b, sizeof(b), &off, &v16), 0);
	ck_assert_uint_eq(v16, 0x0203);
	ck_assert_int_eq(dns_wire_u32(b, sizeof(b), &off, &v32), 0);
	ck_assert_uint_eq(v32, 0x04050607);
	ck_assert_uint_eq(off, 7);
	ck_assert_int_eq(dns_wire_u8(b, sizeof(b), &off, &v8), -1);
	off = 6;
	ck_assert_int_eq(dns_wire_u16(b, sizeof(b), &off, &v16), -1);
	off = 4;
	ck_assert_int_eq(dns_wire_u32(b, sizeof(b), &off, &v32), -1);
	ck_assert_uint_eq(off, 4);
	off = 8;
	ck_assert_int_eq(dns_wire_skip(sizeof(b), &off, 0), -1);
	off = 3;
	ck_assert_int_eq(dns_wire_skip(sizeof(b), &off, SIZE_MAX), -1);
	ck_assert_int_eq(dns_wire_skip(sizeof(b), &off, 4), 0);
	ck_assert_uint_eq(off, 7);
}
END_TEST

/*
 * The hash: the same for the same bytes and seed; another seed puts keys
 * in other buckets; 65536 names that differ in one label fill 1024
 * buckets evenly (none with more than twice its share); and names that
 * differ only in a word's top bit, and in the top bit and bit 34 of the
 * next (a difference that passes a multiply-and-shift round whatever the
 * state), do not collide.
 */
START_TEST(test_wire_hash)
{
	uint8_t		name[32] = "\10xxxxxxxx\7example\3org";
	uint8_t		a[16], b[16];
	unsigned	count[1024];
	size_t		i, max = 0, moved = 0;
	uint64_t	d;

	ck_assert_uint_eq(dns_hash(7, name, sizeof(name)),
	    dns_hash(7, name, sizeof(name)));
	memset(count, 0, sizeof(count));
	for (i = 0; i < 65536; i++) {
		memcpy(name + 1, &i, sizeof(i) < 8 ? sizeof(i) : 8);
		count[dns_hash(7, name, sizeof(name)) % 1024]++;
		if (dns_hash(7, name, sizeof(name)) % 1024 !=
		    dns_hash(8, name, sizeof(name)) % 1024)
			moved++;
	}
	for (i = 0; i < 1024; i++)
		if (count[i] > max)
			max = count[i];
	ck_assert_uint_le(max, 2 * 64);
	ck_assert_uint_gt(moved, 65536 * 9 / 10);
	memset(a, 0x33, sizeof(a));
	memcpy(b, a, sizeof(b));
	b[7] ^= 0x80;
	d = (uint64_t)1 << 63 | (uint64_t)1 << 34;
	for (i = 0; i < 8; i++)
		b[8 + i] ^= (uint8_t)(d >> (8 * i));
	for (i = 0; i < 64; i++)
		ck_assert_uint_ne(dns_hash(i, a, sizeof(a)),
		    dns_hash(i, b, sizeof(b)));
}
END_TEST

TCase *
dns_tcase_wire(void)
{
	TCase	*tc = tcase_create("wire");
	size_t	 n = sizeof(cases) / sizeof(cases[0]);

	tcase_add_loop_test(tc, test_wire_names, 0, n);
	tcase_add_loop_test(tc, test_wire_names_cut, 0, n);
	tcase_add_test(tc, test_wire_limits);
	tcase_add_test(tc, test_wire_records);
	tcase_add_test(tc, test_wire_ints);
	tcase_add_test(tc, test_wire_hash);
	return tc;
}
