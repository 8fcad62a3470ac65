/*
 * test_xfr.c: the reader of AXFR and UPDATE answers (src/dns/xfr.c,
 * dns_xfr_read_msg): a transfer in two messages keeps exactly the TXT
 * records one label below the name asked for (not at the name itself,
 * not deeper, not under another name, not other types, not escaped
 * labels, not records holding a NUL), whatever the case of the owner,
 * and ends at the closing SOA (RFC 5936 section 2.2); a transfer that
 * does not start with SOA, an error rcode and bytes that are no message
 * are errors that say so; an UPDATE ends at NOERROR.  The exchange
 * itself is tested against NSD and timbre-primaryd
 * (tests/integration/doctor_axfr.sh, signd_keys.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "test_dns.h"

#define SOA	"example.org. 300 IN SOA ns1.example.org. h.example.org. " \
		"1 3600 900 604800 300"

static int
read_one(struct dns_xfr_read *r, const struct tdns_answer *a, char *why,
    size_t n)
{
	uint8_t	*w;
	size_t	 len;
	int	 rc;

	w = tdns_wire(a, &len);
	rc = dns_xfr_read_msg(r, w, len, why, n);
	free(w);
	return rc;
}

START_TEST(test_xfr_two_messages)
{
	static const struct tdns_answer m1 = { 7, "example.org", 252, 0, 1,
	    0, 0, {
		SOA,
		"s1._domainkey.example.org. 300 IN TXT \"v=DKIM1; p=\"",
		"big._domainkey.example.org. 300 IN TXT \"v=DKIM1; \" "
		    "\"k=rsa; p=AB\"",
		"deep.x._domainkey.example.org. 300 IN TXT \"v=DKIM1\"",
		"_domainkey.example.org. 300 IN TXT \"o=~\"",
		"s1._domainkey.example.org. 300 IN A 192.0.2.1",
		"a\\.b._domainkey.example.org. 300 IN TXT \"escaped\"",
		"nul._domainkey.example.org. 300 IN TXT \"a\\000b\"",
	} };
	static const struct tdns_answer m2 = { 7, "example.org", 252, 0, 1,
	    0, 0, {
		"x._domainkey.other.org. 300 IN TXT \"elsewhere\"",
		"S2._DomainKey.EXAMPLE.org. 300 IN TXT \"upper\"",
		SOA,
		"late._domainkey.example.org. 300 IN TXT \"after the end\"",
	} };
	struct dns_xfr_read	r;
	char			why[96] = "";

	dns_xfr_read_init(&r, "_domainkey.example.org.");
	ck_assert_str_eq(r.under, "_domainkey.example.org");
	ck_assert_int_eq(read_one(&r, &m1, why, sizeof(why)), 0);
	ck_assert_int_eq(read_one(&r, &m2, why, sizeof(why)), 1);
	ck_assert_uint_eq(r.nrecs, 3);
	ck_assert_str_eq(r.recs[0].label, "s1");
	ck_assert_str_eq(r.recs[0].txt, "v=DKIM1; p=");
	ck_assert_str_eq(r.recs[1].label, "big");
	ck_assert_str_eq(r.recs[1].txt, "v=DKIM1; k=rsa; p=AB");
	ck_assert_str_eq(r.recs[2].label, "S2");
	ck_assert_str_eq(r.recs[2].txt, "upper");
	dns_xfr_read_fini(&r);
	ck_assert_ptr_null(r.recs);
}
END_TEST

START_TEST(test_xfr_errors)
{
	static const struct tdns_answer nosoa = { 7, "example.org", 252, 0,
	    1, 0, 0, {
		"s1._domainkey.example.org. 300 IN TXT \"v=DKIM1; p=\"",
		SOA,
	} };
	static const struct tdns_answer refused = { 7, "example.org", 252,
	    5, 1, 0, 0, { NULL } };
	static const struct tdns_answer update = { 7, "example.org", 6, 0,
	    1, 0, 0, { NULL } };
	static const uint8_t junk[] = { 0, 7, 0x80, 0, 0, 1, 0, 0, 0, 0, 0,
	    0, 9 };
	struct dns_xfr_read	r;
	char			why[96];

	dns_xfr_read_init(&r, "_domainkey.example.org");
	ck_assert_int_eq(read_one(&r, &nosoa, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "transfer does not start with SOA");
	ck_assert_uint_eq(r.nrecs, 0);
	dns_xfr_read_fini(&r);

	dns_xfr_read_init(&r, "_domainkey.example.org");
	ck_assert_int_eq(read_one(&r, &refused, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "REFUSED");
	ck_assert_int_eq(dns_xfr_read_msg(&r, junk, sizeof(junk), why,
	    sizeof(why)), -1);
	ck_assert_str_eq(why, "malformed answer");
	dns_xfr_read_fini(&r);

	/* An UPDATE's answer ends the exchange at NOERROR. */
	dns_xfr_read_init(&r, NULL);
	r.update = true;
	ck_assert_int_eq(read_one(&r, &update, why, sizeof(why)), 1);
	ck_assert_int_eq(read_one(&r, &refused, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "REFUSED");
	dns_xfr_read_fini(&r);
}
END_TEST

TCase *
dns_tcase_xfr(void)
{
	TCase	*tc = tcase_create("xfr");

	tcase_add_test(tc, test_xfr_two_messages);
	tcase_add_test(tc, test_xfr_errors);
	return tc;
}
