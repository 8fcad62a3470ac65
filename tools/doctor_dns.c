/*
 * doctor_dns.c: timbre doctor's DNSSEC answers (see doctor_dns.h).
 *
 * The questions go through src/dns's stub like the others, made with
 * dnssec (and cd) set; this only keeps what the DNSSEC and TLSA checks
 * read of the answer.  It does not validate anything itself: the AD bit
 * is the resolver's word, which is worth what the path to the resolver
 * is worth (RFC 6698 section 4.1), so the lines say whose word it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_dns.h"
#include "util/err.h"

void
doctor_dns_take(enum dns_status st, const struct dns_msg *msg, uint16_t type,
    struct doctor_dns_answer *out)
{
	struct dns_tlsa		*v = NULL;
	struct doctor_tlsa	*t;
	struct err		 err;
	size_t			 i, n = 0;

	memset(out, 0, sizeof(*out));
	if (msg == NULL) {
		snprintf(out->why, sizeof(out->why), "%s", st == DNS_TIMEOUT ?
		    "no answer (time-out)" : st == DNS_MALFORMED ?
		    "a malformed reply" : dns_status_str(st));
		/*
		 * A SERVFAIL is an answer all the same (what CD=1 then
		 * turns into an answer is bogus), but the stub keeps no
		 * message of it, so its RA bit is unknown: taken as set,
		 * since SERVFAIL is what resolvers say.
		 */
		if (st == DNS_SERVFAIL) {
			out->answered = true;
			out->rcode = 2;
			out->ra = true;
		}
		return;
	}
	out->answered = true;
	out->rcode = dns_msg_rcode(msg);
	out->ad = dns_msg_ad(msg);
	out->ra = dns_msg_ra(msg);
	if (dns_msg_count(msg, NULL, type, &out->ntype, &err) == -1)
		out->ntype = 0;
	if (type != DOCTOR_DNS_T_TLSA ||
	    dns_msg_tlsas(msg, NULL, &v, &n, &err) == -1)
		return;
	for (i = 0; i < n && out->ntlsa < DOCTOR_MAX_TLSA; i++) {
		t = &out->tlsa[out->ntlsa++];
		t->usage = v[i].usage;
		t->selector = v[i].selector;
		t->mtype = v[i].mtype;
		t->len = v[i].len;
		if (t->len > sizeof(t->data)) {
			t->len = sizeof(t->data);
			t->cut = true;
		}
		memcpy(t->data, v[i].data, t->len);
	}
	dns_tlsas_free(v, n);
}
