/*
 * test_dns.c: the dns suite (messages, server specifications, the stub
 * client against scripted peers, the wire reader, allocation failures)
 * and the wire builder its tables use.
 */
#include <stdlib.h>

#include <ldns/ldns.h>

#include "test_dns.h"
#include "../unit.h"

uint8_t *
tdns_wire(const struct tdns_answer *a, size_t *len_out)
{
	ldns_pkt	*pkt;
	ldns_rr		*rr;
	uint8_t		*wire = NULL;
	size_t		 i;

	ck_assert_ptr_nonnull(pkt = ldns_pkt_new());
	ldns_pkt_set_id(pkt, a->id);
	ldns_pkt_set_qr(pkt, a->qr);
	ldns_pkt_set_tc(pkt, a->tc);
	ldns_pkt_set_rd(pkt, 1);
	ldns_pkt_set_ra(pkt, 1);
	ldns_pkt_set_rcode(pkt, (uint8_t)a->rcode);
	if (a->qname != NULL) {
		ck_assert_ptr_nonnull(rr = ldns_rr_new());
		ldns_rr_set_question(rr, true);
		ldns_rr_set_owner(rr, ldns_dname_new_frm_str(a->qname));
		ldns_rr_set_type(rr, (ldns_rr_type)a->qtype);
		ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
		ck_assert(ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr));
	}
	for (i = 0; i < TDNS_MAX_AN && a->an[i] != NULL; i++) {
		ck_assert_msg(ldns_rr_new_frm_str(&rr, a->an[i], 300, NULL,
		    NULL) == LDNS_STATUS_OK, "bad rr %s", a->an[i]);
		ck_assert(ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr));
	}
	if (a->edns)
		ldns_pkt_set_edns_udp_size(pkt, 1232);
	ck_assert_int_eq(ldns_pkt2wire(&wire, pkt, len_out), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return wire;
}

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("dns");

	suite_add_tcase(s, dns_tcase_msg());
	suite_add_tcase(s, dns_tcase_server());
	suite_add_tcase(s, dns_tcase_stub());
	suite_add_tcase(s, dns_tcase_wire());
	suite_add_tcase(s, dns_tcase_nomem());
	suite_add_tcase(s, dns_tcase_xfr());
	return s;
}
