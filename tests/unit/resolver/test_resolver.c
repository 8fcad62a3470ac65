/*
 * test_resolver.c: the resolver suite: the cache (TTLs, caps, ranks,
 * negative entries, the memory bound), client queries and answers
 * (parsing, every cut, truncation), and the iterator driven from tables
 * of upstream answers: referrals, bailiwick, glueless NS, CNAME chains,
 * lame and silent servers, TC, FORMERR, wrong IDs, limits; DNSSEC
 * validation, alone and by the iterator against a signed root.  No
 * sockets: a table answers each (server, question).  The same with
 * allocations failing: test_nomem.c.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "resolver/res_priv.h"
#include "util/err.h"
#include "../unit.h"
#include "test_resolver.h"

/*
 * ldns 1.8.3 leaks the hashed name ldns_dnssec_verify_denial_nsec3_match
 * builds (inside ldns; tests/data/resolver/lsan.supp for the daemon).
 * Only full stacks show that frame: libldns has no frame pointers.
 */
const char	*__asan_default_options(void);
const char	*__lsan_default_suppressions(void);
const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
const char *
__lsan_default_suppressions(void)
{
	return "leak:ldns_dnssec_verify_denial_nsec3_match\n";
}

/* ---- cache ---- */

ldns_rr_list *
rrs(const char *a, const char *b)
{
	ldns_rr_list	*l = ldns_rr_list_new();
	ldns_rr		*rr;

	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, a, 300, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, rr);
	if (b != NULL) {
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, b, 300, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

START_TEST(test_cache_ttl_rank)
{
	struct res_cache	*c;
	struct res_centry	*e;
	ldns_rdf		*n = ldns_dname_new_frm_str("WWW.Example.test.");
	ldns_rr_list		*ans, *glue;

	c = res_cache_new(1 << 20, 10, 3600, 900, 1);
	ans = rrs("www.example.test. 600 IN A 192.0.2.1",
	    "www.example.test. 300 IN A 192.0.2.2");
	glue = rrs("www.example.test. 86400 IN A 6.6.6.6", NULL);
	ck_assert_int_eq(res_cache_put(c, n, LDNS_RR_TYPE_A, ans, NULL,
	    false, 0, RES_RANK_ANSWER, RES_SEC_SECURE, 0, 1000), 0);
	/* The smallest TTL of the set; case does not matter. */
	ck_assert_ptr_nonnull(e = res_cache_get(c,
	    ldns_rr_owner(ldns_rr_list_rr(ans, 0)), LDNS_RR_TYPE_A, 1000));
	ck_assert_uint_eq(res_centry_ttl(e, 1000), 300);
	/* Glue never replaces an authoritative answer. */
	ck_assert_int_eq(res_cache_put(c, n, LDNS_RR_TYPE_A, glue, NULL,
	    false, 0, RES_RANK_GLUE, RES_SEC_UNKNOWN, 0, 1001), 1);
	e = res_cache_get(c, n, LDNS_RR_TYPE_A, 1001);
	ck_assert_uint_eq(ldns_rr_list_rr_count(e->rrs), 2);
	/* Expired: gone, and then glue may enter, capped at max_ttl. */
	ck_assert_ptr_null(res_cache_get(c, n, LDNS_RR_TYPE_A, 1300));
	ck_assert_int_eq(res_cache_put(c, n, LDNS_RR_TYPE_A, glue, NULL,
	    false, 0, RES_RANK_GLUE, RES_SEC_UNKNOWN, 0, 1300), 0);
	e = res_cache_get(c, n, LDNS_RR_TYPE_A, 1300);
	ck_assert_uint_eq(res_centry_ttl(e, 1300), 3600);
	/* An answer replaces glue. */
	ck_assert_int_eq(res_cache_put(c, n, LDNS_RR_TYPE_A, ans, NULL,
	    false, 0, RES_RANK_ANSWER, RES_SEC_INSECURE, 0, 1301), 0);
	/* Negative entries: NXDOMAIN under type 0, TTL capped; min_ttl. */
	ck_assert_int_eq(res_cache_put(c, n, 0, NULL, NULL, true, 86400,
	    RES_RANK_ANSWER, RES_SEC_SECURE, 0, 2000), 0);
	e = res_cache_get(c, n, 0, 2000);
	ck_assert(e->negative);
	ck_assert_uint_eq(res_centry_ttl(e, 2000), 900);
	ck_assert_int_eq(res_cache_put(c, n, LDNS_RR_TYPE_MX, NULL, NULL,
	    true, 1, RES_RANK_ANSWER, RES_SEC_SECURE, 0, 2000), 0);
	e = res_cache_get(c, n, LDNS_RR_TYPE_MX, 2000);
	ck_assert_uint_eq(res_centry_ttl(e, 2000), 10);
	ldns_rr_list_deep_free(ans);
	ldns_rr_list_deep_free(glue);
	ldns_rdf_deep_free(n);
	res_cache_free(c);
}
END_TEST

START_TEST(test_cache_bound)
{
	struct res_cache	*c;
	ldns_rdf		*n;
	ldns_rr_list		*l;
	uint64_t		 entries, bytes;
	char			 name[64];
	int			 i;

	c = res_cache_new(64 * 1024, 0, 3600, 900, 1);
	l = rrs("x.test. 300 IN TXT \"some text to take a little room\"",
	    NULL);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "n%d.test.", i);
		n = ldns_dname_new_frm_str(name);
		ck_assert_int_eq(res_cache_put(c, n, LDNS_RR_TYPE_TXT, l,
		    NULL, false, 0, RES_RANK_ANSWER, RES_SEC_UNKNOWN, 0, 1), 0);
		ldns_rdf_deep_free(n);
	}
	res_cache_usage(c, &entries, &bytes);
	ck_assert_uint_le(bytes, 64 * 1024);
	ck_assert_uint_gt(entries, 50);
	ck_assert_uint_lt(entries, 5000);
	/* The newest stay, the oldest went. */
	n = ldns_dname_new_frm_str("n4999.test.");
	ck_assert_ptr_nonnull(res_cache_get(c, n, LDNS_RR_TYPE_TXT, 2));
	ldns_rdf_deep_free(n);
	n = ldns_dname_new_frm_str("n0.test.");
	ck_assert_ptr_null(res_cache_get(c, n, LDNS_RR_TYPE_TXT, 2));
	ldns_rdf_deep_free(n);
	ldns_rr_list_deep_free(l);
	res_cache_free(c);
}
END_TEST

/* ---- client queries ---- */

uint8_t *
query_wire(const char *name, uint16_t type, int edns_version, size_t *len)
{
	ldns_pkt	*p;
	uint8_t		*w;

	p = ldns_pkt_query_new(ldns_dname_new_frm_str(name),
	    (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_id(p, 0x1234);
	if (edns_version >= 0) {
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_version(p, (uint8_t)edns_version);
		ldns_pkt_set_edns_do(p, true);
	}
	ck_assert_int_eq(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

static const struct {
	const char	*hex;		/* NULL: built from the fields */
	const char	*name;
	uint16_t	 type;
	int		 edns_version;
	int		 rc;		/* res_req_parse */
	int		 rcode;
} req_cases[] = {
	{ NULL, "www.example.test.", 1, -1, 0, 0 },
	{ NULL, "example.test.", 15, 0, 0, 0 },
	{ NULL, "example.test.", 1, 1, 0, 16 },		/* BADVERS */
	{ NULL, "example.test.", 252, -1, 0, 4 },	/* AXFR: NOTIMP */
	{ "1234", NULL, 0, 0, -1, 0 },			/* no header */
	{ "123481000001000000000000", NULL, 0, 0, -1, 0 },	/* QR=1 */
	{ "123401000002000000000000", NULL, 0, 0, 0, 1 },	/* QD=2 */
	{ "123401000001000000000000", NULL, 0, 0, 0, 1 },	/* no q */
	{ "123421000001000000000000", NULL, 0, 0, 0, 4 },	/* NOTIFY */
	{ "1234010000010000000000000474657374000001000003", NULL, 0, 0, 0,
	  5 },						/* class CH */
	{ "12340100000100000000000003c00c000001", NULL, 0, 0, 0, 1 },
};

static uint8_t *
hex_wire(const char *hex, size_t *len)
{
	uint8_t	*w = malloc(strlen(hex) / 2 + 1);
	size_t	 i;

	for (i = 0; i < strlen(hex) / 2; i++)
		sscanf(hex + 2 * i, "%2hhx", &w[i]);
	*len = strlen(hex) / 2;
	return w;
}

START_TEST(test_req_parse)
{
	struct res_req	 req;
	uint8_t		*w, *out;
	size_t		 len, olen, cut;
	struct err	 err;

	w = req_cases[_i].hex != NULL ? hex_wire(req_cases[_i].hex, &len) :
	    query_wire(req_cases[_i].name, req_cases[_i].type,
	    req_cases[_i].edns_version, &len);
	ck_assert_int_eq(res_req_parse(w, len, &req), req_cases[_i].rc);
	if (req_cases[_i].rc == 0) {
		ck_assert_int_eq(req.rcode, req_cases[_i].rcode);
		ck_assert_uint_eq(req.id, 0x1234);
		if (req_cases[_i].name != NULL && req.rcode == 0)
			ck_assert_str_eq(req.qname, req_cases[_i].name);
		/* Every answer to it builds and parses. */
		ck_assert_int_eq(res_reply(&req, NULL, req.rcode ?
		    req.rcode : 2, 512, &out, &olen, &err), 0);
		ck_assert_uint_ge(olen, 12);
		ck_assert_int_eq(out[3] & 0x0f, (req.rcode ? req.rcode : 2) &
		    0x0f);
		free(out);
	}
	/* Every cut of it is dropped or answered, never a crash. */
	for (cut = 0; cut < len; cut++) {
		if (res_req_parse(w, cut, &req) == 0)
			ck_assert(cut >= 12);
	}
	free(w);
}
END_TEST

/* ---- the iterator against a table ---- */

struct tanswer {
	const char	*server;	/* address asked */
	const char	*qname;
	uint16_t	 qtype;
	int		 rcode;		/* -1: no answer (timeout) */
	bool		 aa, tc, formerr_edns, wrong_id;
	const char	*an[4], *ns[4], *ar[4];
};

/* The server that echoes questions in lower case (for 0x20). */
#define LOWER_Q_NAME	"lower.example.test."
/* A name whose first question is lost (a dropped datagram). */
#define FLAKY_NAME	"flaky.example.test."
int	flaky_seen;



static const struct tanswer net[] = {
	/* b.root (127.0.0.9) never answers; a.root refers. */
	{ "127.0.0.9", NULL, 0, -1, false, false, false, false, { NULL },
	  { NULL }, { NULL } },
	{ "127.0.0.2", NULL, 0, 0, false, false, false, false, { NULL },
	  { "test. 86400 IN NS ns1.test." },
	  { "ns1.test. 86400 IN A 127.0.0.3",
	    "evil.other. 86400 IN A 127.6.6.6" } },
	/* test.: referrals to example.test (glue), far.test (glueless),
	 * and an out-of-bailiwick referral for bad.test. */
	{ "127.0.0.3", "bad.test.", 0, 0, false, false, false, false, { NULL },
	  { "other. 86400 IN NS ns.other." },
	  { "ns.other. 86400 IN A 127.6.6.6" } },
	{ "127.0.0.3", "x.far.test.", 0, 0, false, false, false, false,
	  { NULL }, { "far.test. 86400 IN NS ns.example.test." }, { NULL } },
	/* Two zones whose servers are named in each other: a loop. */
	{ "127.0.0.3", "www.loopa.test.", 0, 0, false, false, false, false,
	  { NULL }, { "loopa.test. 86400 IN NS ns.loopb.test." }, { NULL } },
	{ "127.0.0.3", "ns.loopa.test.", 0, 0, false, false, false, false,
	  { NULL }, { "loopa.test. 86400 IN NS ns.loopb.test." }, { NULL } },
	{ "127.0.0.3", "ns.loopb.test.", 0, 0, false, false, false, false,
	  { NULL }, { "loopb.test. 86400 IN NS ns.loopa.test." }, { NULL } },
	{ "127.0.0.3", "nx.test.", 0, 3, true, false, false, false, { NULL },
	  { "test. 300 IN SOA ns1.test. h.test. 1 2 3 4 300" }, { NULL } },
	{ "127.0.0.3", "a.b.nx.test.", 0, 3, true, false, false, false,
	  { NULL }, { "test. 300 IN SOA ns1.test. h.test. 1 2 3 4 300" },
	  { NULL } },
	{ "127.0.0.3", NULL, 0, 0, false, false, false, false, { NULL },
	  { "example.test. 86400 IN NS ns.example.test.",
	    "example.test. 86400 IN NS lame.example.test." },
	  { "ns.example.test. 86400 IN A 127.0.0.4",
	    "lame.example.test. 86400 IN A 127.0.0.5" } },
	/* The lame server refuses; the big answer is truncated once. */
	{ "127.0.0.5", NULL, 0, 5, false, false, false, false, { NULL },
	  { NULL }, { NULL } },
	{ "127.0.0.4", "big.example.test.", 16, 0, true, true, false, false,
	  { NULL }, { NULL }, { NULL } },
	{ "127.0.0.4", "old.example.test.", 1, 0, true, false, true, false,
	  { "old.example.test. 300 IN A 192.0.2.9" }, { NULL }, { NULL } },
	{ "127.0.0.4", "spoof.example.test.", 1, 0, true, false, false, true,
	  { "spoof.example.test. 300 IN A 127.6.6.6" }, { NULL }, { NULL } },
	{ "127.0.0.4", "www.example.test.", 1, 0, true, false, false, false,
	  { "www.example.test. 300 IN A 192.0.2.1",
	    "evil.test. 300 IN A 127.6.6.6" }, { NULL }, { NULL } },
	{ "127.0.0.4", "alias.example.test.", 1, 0, true, false, false, false,
	  { "alias.example.test. 300 IN CNAME x.far.test." }, { NULL },
	  { NULL } },
	{ "127.0.0.4", "loop1.example.test.", 1, 0, true, false, false, false,
	  { "loop1.example.test. 300 IN CNAME loop2.example.test.",
	    "loop2.example.test. 300 IN CNAME loop1.example.test." },
	  { NULL }, { NULL } },
	/* The same zone asked for the other name (a cache that kept one
	 * CNAME of the loop and not the other asks for it). */
	{ "127.0.0.4", "loop2.example.test.", 1, 0, true, false, false, false,
	  { "loop2.example.test. 300 IN CNAME loop1.example.test.",
	    "loop1.example.test. 300 IN CNAME loop2.example.test." },
	  { NULL }, { NULL } },
	{ "127.0.0.4", "ns.example.test.", 1, 0, true, false, false, false,
	  { "ns.example.test. 300 IN A 127.0.0.4" }, { NULL }, { NULL } },
	{ "127.0.0.4", "ns.example.test.", 28, 0, true, false, false, false,
	  { NULL }, { "example.test. 300 IN SOA ns h 1 2 3 4 300" },
	  { NULL } },
	{ "127.0.0.4", FLAKY_NAME, 1, 0, true, false, false, false,
	  { "flaky.example.test. 300 IN A 192.0.2.6" }, { NULL }, { NULL } },
	/* RFC 6604: the rcode is the chain's last name's. */
	{ "127.0.0.4", "chainnx.example.test.", 0, 3, true, false, false,
	  false, { "chainnx.example.test. 300 IN CNAME gone.example.test." },
	  { "example.test. 300 IN SOA ns h 1 2 3 4 300" }, { NULL } },
	{ "127.0.0.4", "chainnd.example.test.", 1, 0, true, false, false,
	  false, { "chainnd.example.test. 300 IN CNAME nd.example.test." },
	  { "example.test. 300 IN SOA ns h 1 2 3 4 300" }, { NULL } },
	{ "127.0.0.4", "nd.example.test.", 1, 0, true, false, false, false,
	  { NULL }, { "example.test. 300 IN SOA ns h 1 2 3 4 300" },
	  { NULL } },
	{ "127.0.0.4", LOWER_Q_NAME, 1, 0, true, false, false, false,
	  { "lower.example.test. 300 IN A 192.0.2.8" }, { NULL }, { NULL } },
	{ "127.0.0.4", "x.far.test.", 1, 0, true, false, false, false,
	  { "x.far.test. 300 IN A 192.0.2.7" }, { NULL }, { NULL } },
	{ "127.0.0.4", NULL, 0, 3, true, false, false, false, { NULL },
	  { "example.test. 300 IN SOA ns h 1 2 3 4 300" }, { NULL } },
	{ NULL, NULL, 0, 0, false, false, false, false, { NULL }, { NULL },
	  { NULL } },
};

ldns_pkt *
net_answer(const struct res_request *rq, bool *none)
{
	ldns_pkt		*q = NULL, *p;
	const struct tanswer	*t;
	ldns_rr			*rr;
	char			 addr[64];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&rq->addr;
	int			 i;

	*none = false;
	inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
	ck_assert_int_eq(ntohs(sin->sin_port), 53);
	ck_assert_int_eq(ldns_wire2pkt(&q, rq->wire, rq->len),
	    LDNS_STATUS_OK);
	ck_assert(!ldns_pkt_rd(q));
	for (t = net; t->server != NULL; t++) {
		char	*qn = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(
			    ldns_pkt_question(q), 0)));
		bool	 match = strcmp(t->server, addr) == 0 &&
			    (t->qname == NULL || strcasecmp(t->qname, qn) ==
			    0) && (t->qtype == 0 || t->qtype == rq->qtype);

		free(qn);
		if (match)
			break;
	}
	ck_assert_msg(t->server != NULL, "no table entry for %s %s %u", addr,
	    rq->qname, rq->qtype);
	if (t->qname != NULL && strcmp(t->qname, FLAKY_NAME) == 0 &&
	    flaky_seen++ == 0) {
		ldns_pkt_free(q);
		*none = true;
		return NULL;
	}
	if (t->rcode == -1) {
		ldns_pkt_free(q);
		*none = true;
		return NULL;
	}
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, t->wrong_id ? rq->id ^ 1 : rq->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, t->aa);
	rr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0));
	if (t->qname != NULL && strcmp(t->qname, LOWER_Q_NAME) == 0)
		ldns_dname2canonical(ldns_rr_owner(rr));
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	if (t->formerr_edns && ldns_pkt_edns(q)) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_FORMERR);
		ldns_pkt_free(q);
		return p;
	}
	if (t->tc && !rq->tcp) {
		ldns_pkt_set_tc(p, true);
		ldns_pkt_free(q);
		return p;
	}
	ldns_pkt_set_rcode(p, (uint8_t)t->rcode);
	for (i = 0; i < 4; i++) {
		if (t->an[i] != NULL && ldns_rr_new_frm_str(&rr, t->an[i], 300,
		    NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
		if (t->ns[i] != NULL && ldns_rr_new_frm_str(&rr, t->ns[i], 300,
		    NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
		if (t->ar[i] != NULL && ldns_rr_new_frm_str(&rr, t->ar[i], 300,
		    NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL, rr);
	}
	if (t->tc) {
		/* The big answer over TCP: twenty TXT records. */
		for (i = 0; i < 20; i++) {
			char	txt[128];

			snprintf(txt, sizeof(txt), "big.example.test. 300 IN "
			    "TXT \"%02d-0123456789012345678901234567890\"", i);
			ck_assert_int_eq(ldns_rr_new_frm_str(&rr, txt, 300,
			    NULL, NULL), LDNS_STATUS_OK);
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
		}
	}
	ldns_pkt_free(q);
	return p;
}

struct run {
	int	 sends, tcp, noedns, mixed_case;
	bool	 asked_evil;
	int	 root_labels;		/* most labels the root was asked */
};

/* Resolves (name, type) against the table; returns the query. */
static struct res_query *
resolve(struct res_resolver *r, const char *name, uint16_t type,
    struct run *run)
{
	struct res_query	*q;
	struct res_request	 rq;
	struct err		 err;
	ldns_pkt		*p, *qp;
	uint8_t			*w;
	size_t			 len;
	bool			 none;
	uint16_t		 id = 100;

	memset(run, 0, sizeof(*run));
	ck_assert_ptr_nonnull(q = res_query_new(r, name, type, 1000,
	    &err));
	while (res_query_next(q, 1000, id++, &rq) == RES_SEND) {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)&rq.addr;

		ck_assert_int_lt(++run->sends, 200);
		if (sin->sin_addr.s_addr == inet_addr("127.6.6.6"))
			run->asked_evil = true;
		run->tcp += rq.tcp;
		run->mixed_case += strcspn(rq.qname, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") <
		    strlen(rq.qname);
		if (sin->sin_addr.s_addr == inet_addr("127.0.0.2")) {
			int	labels = 0;
			char	*c;

			for (c = rq.qname; *c != '\0'; c++)
				labels += *c == '.';
			if (labels > run->root_labels)
				run->root_labels = labels;
		}
		ck_assert_int_eq(ldns_wire2pkt(&qp, rq.wire, rq.len),
		    LDNS_STATUS_OK);
		run->noedns += !ldns_pkt_edns(qp);
		ldns_pkt_free(qp);
		if ((p = net_answer(&rq, &none)) == NULL) {
			res_query_answer(q, NULL, 0, 0, 1000);
			continue;
		}
		ck_assert_int_eq(ldns_pkt2wire(&w, p, &len), LDNS_STATUS_OK);
		res_query_answer(q, w, len, 5, 1000);
		free(w);
		ldns_pkt_free(p);
	}
	return q;
}

const struct iter_case iter_cases[] = {
	{ "www.example.test.", 1, 0, 1, 3, 0, 0 },
	{ "x.far.test.", 1, 0, 1, 3, 0, 0 },		/* glueless */
	{ "alias.example.test.", 1, 0, 2, 3, 0, 0 },	/* CNAME across */
	{ "nx.test.", 1, 3, 0, 2, 0, 0 },
	{ "nothing.example.test.", 1, 3, 0, 3, 0, 0 },
	{ "big.example.test.", 16, 0, 20, 3, 1, 0 },	/* TC: TCP */
	{ "old.example.test.", 1, 0, 1, 3, 0, 1 },	/* FORMERR: no EDNS */
	{ "spoof.example.test.", 1, 2, 0, 3, 0, 0 },	/* wrong ID */
	{ "loop1.example.test.", 1, 2, 0, 3, 0, 0 },	/* CNAME loop */
	{ "www.bad.test.", 1, 2, 0, 2, 0, 0 },		/* out of bailiwick */
	{ "www.loopa.test.", 1, 2, 0, 3, 0, 0 },	/* NS loop */
	{ "chainnx.example.test.", 1, 3, 1, 3, 0, 0 },	/* CNAME, NXDOMAIN */
	{ "chainnd.example.test.", 1, 0, 1, 3, 0, 0 },	/* CNAME, NODATA */
};
const size_t n_iter_cases = sizeof(iter_cases) / sizeof(iter_cases[0]);

START_TEST(test_iter_table)
{
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct res_query	*q;
	struct run		 run;
	struct err		 err;

	conf.cache_bytes = 1 << 20;
	conf.max_ttl = 86400;
	conf.neg_max_ttl = 3600;
	conf.hints = ROOT_HINTS;
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	q = resolve(r, iter_cases[_i].name, iter_cases[_i].type, &run);
	ck_assert_int_eq(res_query_rcode(q), iter_cases[_i].rcode);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    iter_cases[_i].nanswer);
	ck_assert_int_ge(run.sends, iter_cases[_i].min_sends);
	ck_assert_int_le(run.sends, RES_MAX_SENDS);
	ck_assert_int_ge(run.tcp, iter_cases[_i].tcp);
	ck_assert_int_ge(run.noedns, iter_cases[_i].noedns);
	ck_assert(!run.asked_evil);		/* no out-of-zone glue used */
	ck_assert_int_eq(res_query_security(q), RES_SEC_UNKNOWN);
	res_query_free(q);
	/* Asked again: from the cache, no query upstream. */
	if (iter_cases[_i].rcode != 2) {
		q = resolve(r, iter_cases[_i].name, iter_cases[_i].type, &run);
		ck_assert_int_eq(run.sends, 0);
		ck_assert_int_eq(res_query_rcode(q), iter_cases[_i].rcode);
		ck_assert_int_eq((int)ldns_rr_list_rr_count(
		    res_query_answer_rrs(q)), iter_cases[_i].nanswer);
		res_query_free(q);
	}
	/* Out-of-bailiwick records never reach the cache. */
	q = resolve(r, "evil.test.", 1, &run);
	ck_assert_int_gt(run.sends, 0);
	res_query_free(q);
	res_resolver_free(r);
}
END_TEST

/*
 * RFC 6604 section 3: an NXDOMAIN (or NODATA) after a CNAME is about the
 * chain's last name.  Cached against the alias, the NXDOMAIN would deny
 * the alias's own CNAME and every other type of it.
 */
START_TEST(test_iter_cname_denial)
{
	static const struct {
		const char	*name;
		uint16_t	 type;
		int		 rcode, nanswer;
	} after[] = {
		{ "gone.example.test.", 1, 3, 0 },
		{ "gone.example.test.", 16, 3, 0 },
		{ "chainnx.example.test.", 5, 0, 1 },
		{ "chainnx.example.test.", 16, 3, 1 },
		{ "nd.example.test.", 1, 0, 0 },
		{ "chainnd.example.test.", 5, 0, 1 },
		{ "chainnd.example.test.", 1, 0, 1 },
	};
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct res_query	*q;
	struct run		 run;
	struct err		 err;
	size_t			 i;

	conf.cache_bytes = 1 << 20;
	conf.max_ttl = 86400;
	conf.neg_max_ttl = 3600;
	conf.hints = ROOT_HINTS;
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	q = resolve(r, "chainnx.example.test.", 1, &run);
	ck_assert_int_eq(res_query_rcode(q), 3);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    1);
	res_query_free(q);
	q = resolve(r, "chainnd.example.test.", 1, &run);
	ck_assert_int_eq(res_query_rcode(q), 0);
	res_query_free(q);
	/* All from the cache: the denials are the targets'. */
	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		q = resolve(r, after[i].name, after[i].type, &run);
		ck_assert_msg(run.sends == 0, "%s %u: %d queries sent",
		    after[i].name, after[i].type, run.sends);
		ck_assert_msg(res_query_rcode(q) == after[i].rcode,
		    "%s %u: rcode %d", after[i].name, after[i].type,
		    res_query_rcode(q));
		ck_assert_int_eq((int)ldns_rr_list_rr_count(
		    res_query_answer_rrs(q)), after[i].nanswer);
		res_query_free(q);
	}
	res_resolver_free(r);
}
END_TEST

/* RFC 9156: the root is asked for "test." only, and the answer comes. */
START_TEST(test_iter_qmin)
{
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct res_query	*q;
	struct run		 run;
	struct err		 err;

	conf.cache_bytes = 1 << 20;
	conf.max_ttl = 86400;
	conf.neg_max_ttl = 3600;
	conf.hints = ROOT_HINTS;
	conf.qname_minimisation = true;
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	q = resolve(r, "www.example.test.", 1, &run);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    1);
	ck_assert_int_eq(run.root_labels, 1);
	res_query_free(q);
	/* NXDOMAIN for a part: the whole name is asked after all. */
	q = resolve(r, "a.b.nx.test.", 1, &run);
	ck_assert_int_eq(res_query_rcode(q), 3);
	res_query_free(q);
	res_resolver_free(r);
}
END_TEST

static uint32_t
fixed_random(void *arg)
{
	(void)arg;
	return 0x5a5a5a5a;
}

/* 0x20: questions in mixed case; a server lowering it is asked again. */
START_TEST(test_iter_0x20)
{
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct res_query	*q;
	struct run		 run, run2;
	struct res_stats	 st;
	struct err		 err;

	conf.cache_bytes = 1 << 20;
	conf.max_ttl = 86400;
	conf.neg_max_ttl = 3600;
	conf.hints = ROOT_HINTS;
	conf.random = fixed_random;
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	q = resolve(r, "www.example.test.", 1, &run);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_gt(run.mixed_case, 0);
	/* The answer's owner is lower case again. */
	ck_assert_int_eq(memcmp(ldns_rdf_data(ldns_rr_owner(ldns_rr_list_rr(
	    res_query_answer_rrs(q), 0))), "\003www\007example\004test", 18),
	    0);
	res_query_free(q);
	res_resolver_stats(r, &st);
	ck_assert_uint_eq(st.mismatched, 0);
	q = resolve(r, "lower.example.test.", 1, &run2);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_eq(run2.sends, 2);	/* mixed, then as is */
	/* The answer in another case was counted, as a spoofer's is. */
	res_resolver_stats(r, &st);
	ck_assert_uint_eq(st.mismatched, 1);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    1);
	res_query_free(q);
	res_resolver_free(r);
}
END_TEST

/* A server that lost one datagram is asked again (after the others). */
START_TEST(test_iter_retry)
{
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct res_query	*q;
	struct run		 run;
	struct err		 err;

	conf.cache_bytes = 1 << 20;
	conf.max_ttl = 86400;
	conf.neg_max_ttl = 3600;
	conf.hints = ROOT_HINTS;
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	flaky_seen = 0;
	q = resolve(r, FLAKY_NAME, 1, &run);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    1);
	ck_assert_int_eq(flaky_seen, 2);
	res_query_free(q);
	res_resolver_free(r);
}
END_TEST

START_TEST(test_iter_truncate_reply)
{
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct res_query	*q;
	struct res_req		 req;
	struct run		 run;
	struct err		 err;
	uint8_t			*w, *out;
	size_t			 len, olen;

	conf.cache_bytes = 1 << 20;
	conf.max_ttl = 86400;
	conf.neg_max_ttl = 3600;
	conf.hints = ROOT_HINTS;
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	q = resolve(r, "big.example.test.", 16, &run);
	w = query_wire("big.example.test.", 16, -1, &len);
	ck_assert_int_eq(res_req_parse(w, len, &req), 0);
	ck_assert_int_eq(res_reply(&req, q, 0, 512, &out, &olen, &err),
	    0);
	ck_assert_uint_le(olen, 512);
	ck_assert(out[2] & 0x02);			/* TC */
	free(out);
	ck_assert_int_eq(res_reply(&req, q, 0, 65535, &out, &olen, &err),
	    0);
	ck_assert_uint_gt(olen, 512);
	ck_assert(!(out[2] & 0x02));
	free(out);
	free(w);
	res_query_free(q);
	res_resolver_free(r);
}
END_TEST

START_TEST(test_resolver_config)
{
	struct res_conf	 conf = { 0 };
	struct res_resolver	*r;
	struct err		 err;

	conf.cache_bytes = 1 << 20;
	conf.hints = "a.root.test. 3600 A 127.0.0.2\n";
	ck_assert_ptr_null(res_resolver_new(&conf, &err));
	ck_assert_int_eq(err.code, RES_E_HINTS);
	conf.hints = ROOT_HINTS "www.test. 3600 IN A not-an-address\n";
	ck_assert_ptr_null(res_resolver_new(&conf, &err));
	ck_assert_int_eq(err.code, RES_E_HINTS);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 5"));
	conf.hints = ROOT_HINTS;
	conf.dnssec = true;
	conf.anchors = ". 3600 IN A 127.0.0.1\n";
	ck_assert_ptr_null(res_resolver_new(&conf, &err));
	ck_assert_int_eq(err.code, RES_E_ANCHOR);
	conf.anchors = NULL;		/* the built-in root KSKs */
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	res_resolver_free(r);
	conf.hints = NULL;		/* the built-in IANA hints */
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	res_resolver_free(r);
}
END_TEST

/* ---- the answers cache ---- */

START_TEST(test_msgcache)
{
	struct res_msgcache	*mc;
	struct res_req		 req, req2;
	uint8_t			*w, *ans, buf[4096];
	size_t			 len, alen, olen;
	ldns_pkt		*p;
	ldns_rr			*rr;
	uint64_t		 entries, hits;

	mc = res_msgcache_new(1 << 20, 1);
	w = query_wire("WWW.Example.test.", 1, 0, &len);
	ck_assert_int_eq(res_req_parse(w, len, &req), 0);
	free(w);
	/* An answer with two TTLs. */
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, true);
	ldns_rr_new_frm_str(&rr, "WWW.Example.test. 0 IN A 0.0.0.0", 0, NULL,
	    NULL);
	ldns_rr_set_question(rr, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	ldns_rr_new_frm_str(&rr, "www.example.test. 300 IN A 192.0.2.1", 0,
	    NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_rr_new_frm_str(&rr, "www.example.test. 100 IN A 192.0.2.2", 0,
	    NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_pkt_set_edns_udp_size(p, 1232);
	ck_assert_int_eq(ldns_pkt2wire(&ans, p, &alen), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	res_msgcache_put(mc, &req, ans, alen, 1000);
	/* Asked again, another case, another ID: its own question back. */
	w = query_wire("www.EXAMPLE.test.", 1, 0, &len);
	w[0] = 0x55;
	ck_assert_int_eq(res_req_parse(w, len, &req2), 0);
	ck_assert_int_eq(res_msgcache_get(mc, &req2, 1040, buf, sizeof(buf),
	    &olen), 0);
	ck_assert_uint_eq(olen, alen);
	ck_assert_int_eq(buf[0], 0x55);
	ck_assert_int_eq(memcmp(buf + 12, w + 12, req2.qwire_len), 0);
	ck_assert_int_eq(ldns_wire2pkt(&p, buf, olen), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
	    260);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 1)),
	    60);
	ldns_pkt_free(p);
	/* Too big for the client: truncated, with the question and OPT. */
	ck_assert_int_eq(res_msgcache_get(mc, &req2, 1040, buf, 50, &olen),
	    0);
	ck_assert_uint_le(olen, 50);
	ck_assert_int_eq(ldns_wire2pkt(&p, buf, olen), LDNS_STATUS_OK);
	ck_assert(ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_id(p), 0x5534);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert(ldns_pkt_edns(p));
	ck_assert(ldns_pkt_edns_do(p));
	ck_assert_uint_eq(ldns_rr_get_type(ldns_rr_list_rr(
	    ldns_pkt_question(p), 0)), LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
	ck_assert_int_eq(res_msgcache_get(mc, &req2, 1040, buf, 20, &olen),
	    -1);
	/* Other flags (no EDNS here) are another answer. */
	free(w);
	w = query_wire("www.example.test.", 1, -1, &len);
	ck_assert_int_eq(res_req_parse(w, len, &req2), 0);
	ck_assert_int_eq(res_msgcache_get(mc, &req2, 1040, buf, sizeof(buf),
	    &olen), -1);
	/* Never past the smallest TTL. */
	ck_assert_int_eq(res_msgcache_get(mc, &req, 1100, buf, sizeof(buf),
	    &olen), -1);
	/* Neither SERVFAIL nor truncated answers are kept. */
	ans[3] = (uint8_t)((ans[3] & 0xf0) | 2);
	res_msgcache_put(mc, &req, ans, alen, 2000);
	ans[3] = (uint8_t)(ans[3] & 0xf0);
	ans[2] |= 0x02;
	res_msgcache_put(mc, &req, ans, alen, 2000);
	ck_assert_int_eq(res_msgcache_get(mc, &req, 2001, buf, sizeof(buf),
	    &olen), -1);
	res_msgcache_usage(mc, &entries, &hits);
	ck_assert_uint_eq(hits, 2);
	free(w);
	free(ans);
	res_msgcache_free(mc);
}
END_TEST

/* ---- DNSSEC ---- */

ldns_rr_list *
signed_set(ldns_rr_list *set, ldns_key_list *keys)
{
	ldns_rr_list	*sigs = ldns_sign_public(set, keys);

	ck_assert_ptr_nonnull(sigs);
	return sigs;
}

START_TEST(test_validate)
{
	ldns_key	*ksk, *zsk;
	ldns_key_list	*kl, *zl;
	ldns_rr_list	*dnskeys, *ksigs, *set, *sigs, *ds, *nsec, *auth;
	ldns_rdf	*zone = ldns_dname_new_frm_str("example.test.");
	ldns_rr		*rr;
	enum res_ede	 ede;
	struct err	 err;
	time_t		 now = time(NULL);
	uint32_t	 inception = (uint32_t)now - 3600;

	ck_assert_ptr_nonnull(ksk = ldns_key_new_frm_algorithm(
	    LDNS_SIGN_ECDSAP256SHA256, 256));
	ck_assert_ptr_nonnull(zsk = ldns_key_new_frm_algorithm(
	    LDNS_SIGN_ECDSAP256SHA256, 256));
	ldns_key_set_flags(ksk, 257);
	ldns_key_set_flags(zsk, 256);
	ldns_key_set_pubkey_owner(ksk, ldns_rdf_clone(zone));
	ldns_key_set_pubkey_owner(zsk, ldns_rdf_clone(zone));
	ldns_key_set_inception(ksk, inception);
	ldns_key_set_inception(zsk, inception);
	ldns_key_set_expiration(ksk, inception + 86400);
	ldns_key_set_expiration(zsk, inception + 86400);
	dnskeys = ldns_rr_list_new();
	ldns_rr_list_push_rr(dnskeys, ldns_key2rr(ksk));
	ldns_rr_list_push_rr(dnskeys, ldns_key2rr(zsk));
	ldns_key_set_keytag(ksk, ldns_calc_keytag(ldns_rr_list_rr(dnskeys, 0)));
	ldns_key_set_keytag(zsk, ldns_calc_keytag(ldns_rr_list_rr(dnskeys, 1)));
	kl = ldns_key_list_new();
	zl = ldns_key_list_new();
	ldns_key_list_push_key(kl, ksk);		/* the lists own them */
	ldns_key_list_push_key(zl, zsk);
	ksigs = signed_set(dnskeys, kl);
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ldns_key_rr2ds(ldns_rr_list_rr(dnskeys, 0),
	    LDNS_SHA256));
	/* The DNSKEY RRset against its DS: secure; against another: bogus. */
	ck_assert_int_eq(res_val_dnskeys(dnskeys, ksigs, ds, now, NULL, &ede, &err),
	    RES_SEC_SECURE);
	ck_assert_int_eq(res_val_dnskeys(dnskeys, ksigs, dnskeys, now, NULL, &ede,
	    &err), RES_SEC_SECURE);
	ldns_rr_list_deep_free(ds);
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ldns_key_rr2ds(ldns_rr_list_rr(dnskeys, 1),
	    LDNS_SHA256));
	ck_assert_int_eq(res_val_dnskeys(dnskeys, ksigs, ds, now, NULL, &ede, &err),
	    RES_SEC_BOGUS);
	ck_assert_int_eq(ede, RES_EDE_DNSKEY_MISSING);
	/* An RRset signed by the ZSK. */
	set = rrs("www.example.test. 300 IN A 192.0.2.1",
	    "www.example.test. 300 IN A 192.0.2.2");
	sigs = signed_set(set, zl);
	ck_assert_int_eq(res_val_rrset(set, sigs, dnskeys, zone, now, NULL, &ede,
	    &err), RES_SEC_SECURE);
	/* No signature; a signer other than the zone; changed data. */
	ck_assert_int_eq(res_val_rrset(set, NULL, dnskeys, zone, now, NULL, &ede,
	    &err), RES_SEC_BOGUS);
	ck_assert_int_eq(ede, RES_EDE_RRSIGS_MISSING);
	rr = ldns_rr_list_rr(set, 0);
	ldns_rdf_deep_free(ldns_rr_set_rdf(rr, ldns_rdf_new_frm_str(
	    LDNS_RDF_TYPE_A, "192.0.2.99"), 0));
	ck_assert_int_eq(res_val_rrset(set, sigs, dnskeys, zone, now, NULL, &ede,
	    &err), RES_SEC_BOGUS);
	ck_assert_int_eq(ede, RES_EDE_DNSSEC_BOGUS);
	ck_assert_ptr_nonnull(strstr(err.msg, "www.example.test."));
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	/* NSEC denial: "b" to "d" covers "c", proves NXDOMAIN and the
	 * wildcard; the apex NSEC proves no MX at the apex. */
	nsec = rrs("b.example.test. 300 IN NSEC d.example.test. A RRSIG NSEC",
	    NULL);
	auth = ldns_rr_list_clone(nsec);
	sigs = signed_set(nsec, zl);
	ldns_rr_list_cat(auth, sigs);
	ldns_rr_list_free(sigs);
	ldns_rr_list_deep_free(nsec);
	nsec = rrs("example.test. 300 IN NSEC b.example.test. A NS SOA RRSIG "
	    "NSEC DNSKEY", NULL);
	sigs = ldns_rr_list_clone(nsec);
	ldns_rr_list_cat(auth, sigs);
	ldns_rr_list_free(sigs);
	sigs = signed_set(nsec, zl);
	ldns_rr_list_cat(auth, sigs);
	ldns_rr_list_free(sigs);
	ldns_rr_list_deep_free(nsec);
	{
		ldns_rdf	*c = ldns_dname_new_frm_str("c.example.test.");

		ck_assert_int_eq(res_val_denial(c, LDNS_RR_TYPE_A, true, auth,
		    dnskeys, zone, now, NULL, &ede, &err), RES_SEC_SECURE);
		ck_assert_int_eq(res_val_denial(zone, LDNS_RR_TYPE_MX, false,
		    auth, dnskeys, zone, now, NULL, &ede, &err), RES_SEC_SECURE);
		/* The apex has A: no proof that A does not exist. */
		ck_assert_int_eq(res_val_denial(zone, LDNS_RR_TYPE_A, false,
		    auth, dnskeys, zone, now, NULL, &ede, &err), RES_SEC_BOGUS);
		/* Without NSEC: bogus, NSEC missing. */
		ck_assert_int_eq(res_val_denial(c, LDNS_RR_TYPE_A, true, NULL,
		    dnskeys, zone, now, NULL, &ede, &err), RES_SEC_BOGUS);
		ck_assert_int_eq(ede, RES_EDE_NSEC_MISSING);
		ldns_rdf_deep_free(c);
	}
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(dnskeys);
	ldns_rr_list_deep_free(ksigs);
	ldns_key_list_free(kl);
	ldns_key_list_free(zl);
	ldns_rdf_deep_free(zone);
}
END_TEST

/* A zone-signing key for zone, valid from an hour ago for a day. */
ldns_key *
zone_key(const ldns_rdf *zone, uint16_t flags, time_t now)
{
	ldns_key	*k;
	ldns_rr		*rr;

	ck_assert_ptr_nonnull(k = ldns_key_new_frm_algorithm(
	    LDNS_SIGN_ECDSAP256SHA256, 256));
	ldns_key_set_flags(k, flags);
	ldns_key_set_pubkey_owner(k, ldns_rdf_clone(zone));
	ldns_key_set_inception(k, (uint32_t)now - 3600);
	ldns_key_set_expiration(k, (uint32_t)now + 86400);
	rr = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_rr_free(rr);
	return k;
}

/* Adds to auth the records of text (one record) and their signature. */
static void
auth_add_signed(ldns_rr_list *auth, const char *text, ldns_key_list *zl)
{
	ldns_rr_list	*set = rrs(text, NULL), *sigs;

	sigs = signed_set(set, zl);
	ldns_rr_list_cat(auth, set);
	ldns_rr_list_cat(auth, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
}

/* The NSEC3 owner of name in zone "example.test." (SHA-1, salt abcd). */
static void
nsec3_owner(const char *name, uint16_t iter, char *buf, size_t len)
{
	uint8_t		 salt[2] = { 0xab, 0xcd };
	ldns_rdf	*n = ldns_dname_new_frm_str(name), *h;
	char		*s;

	ck_assert_ptr_nonnull(h = ldns_nsec3_hash_name(n, 1, iter, 2, salt));
	s = ldns_rdf2str(h);
	ck_assert_ptr_nonnull(s);
	if (strlen(s) > 0 && s[strlen(s) - 1] == '.')
		s[strlen(s) - 1] = '\0';
	snprintf(buf, len, "%s.example.test.", s);
	free(s);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
}

/* An NSEC3 record for name pointing to next (owner names) and types. */
static void
nsec3_text(const char *name, const char *next, uint16_t iter,
    const char *types, char *buf, size_t len)
{
	char	o[128], nx[128];

	nsec3_owner(name, iter, o, sizeof(o));
	nsec3_owner(next, iter, nx, sizeof(nx));
	*strchr(nx, '.') = '\0';
	snprintf(buf, len, "%s 300 IN NSEC3 1 0 %u abcd %s %s", o,
	    (unsigned)iter, nx, types);
}

/*
 * RFC 4035 section 5.2 and RFC 6840 section 5.2: DS records of
 * algorithms or digest types we cannot use do not make a zone secure.
 */
START_TEST(test_ds_usable)
{
	static const char digest[] = "2BB183AF5F22588179A53B0A98631FAD1A29"
	    "2118E7E4B9F6D8ED3E7A0F0E2C6B";
	static const struct {
		const char	*a, *b;
		bool		 usable;
	} cases[] = {
		{ "13 2", NULL, true },
		{ "8 1", NULL, true },
		{ "14 4", NULL, true },
		{ "253 2", NULL, false },	/* private algorithm */
		{ "1 2", NULL, false },		/* RSAMD5 (RFC 8624) */
		{ "3 2", NULL, false },		/* DSA (RFC 8624) */
		{ "13 3", NULL, false },	/* GOST digest */
		{ "13 99", NULL, false },	/* unassigned digest */
		{ "253 2", "13 99", false },	/* neither usable */
		{ "253 2", "8 2", true },	/* one usable */
	};
	char		 a[256], b[256];
	ldns_rr_list	*ds;
	size_t		 i;

	ck_assert(!res_ds_usable(NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(a, sizeof(a), "sub.example.test. 300 IN DS 12345 %s "
		    "%s", cases[i].a, digest);
		snprintf(b, sizeof(b), "sub.example.test. 300 IN DS 54321 %s "
		    "%s", cases[i].b != NULL ? cases[i].b : "", digest);
		ds = rrs(a, cases[i].b != NULL ? b : NULL);
		ck_assert_msg(res_ds_usable(ds) == cases[i].usable,
		    "case %zu", i);
		ldns_rr_list_deep_free(ds);
	}
}
END_TEST

/*
 * NSEC3 denial (RFC 5155 section 8) and the iterations cap (RFC 9276
 * section 3.2): a NODATA proof at the apex with 150 iterations is
 * secure, with 151 insecure and EDE 27, and a forged one still bogus.
 */
START_TEST(test_validate_nsec3_iterations)
{
	static const uint16_t	 iters[] = { 0, 150, 151, 2500 };
	ldns_rdf	*zone = ldns_dname_new_frm_str("example.test.");
	time_t		 now = time(NULL);
	ldns_key	*zsk = zone_key(zone, 256, now);
	ldns_key_list	*zl = ldns_key_list_new();
	ldns_rr_list	*keys = ldns_rr_list_new(), *auth;
	char		 t[512];
	enum res_ede	 ede;
	struct err	 err;
	size_t		 i;

	ldns_key_list_push_key(zl, zsk);
	ldns_rr_list_push_rr(keys, ldns_key2rr(zsk));
	for (i = 0; i < sizeof(iters) / sizeof(iters[0]); i++) {
		auth = ldns_rr_list_new();
		nsec3_text("example.test.", "example.test.", iters[i],
		    "A NS SOA RRSIG DNSKEY NSEC3PARAM", t, sizeof(t));
		auth_add_signed(auth, t, zl);
		ede = RES_EDE_NONE;
		ck_assert_int_eq(res_val_denial(zone, LDNS_RR_TYPE_MX, false,
		    auth, keys, zone, now, NULL, &ede, &err), iters[i] <= 150 ?
		    RES_SEC_SECURE : RES_SEC_INSECURE);
		ck_assert_int_eq(ede, iters[i] <= 150 ? RES_EDE_NONE :
		    RES_EDE_NSEC3_ITER);
		/* The apex has A: never secure, whatever the iterations. */
		ck_assert_int_ne(res_val_denial(zone, LDNS_RR_TYPE_A, false,
		    auth, keys, zone, now, NULL, &ede, &err), RES_SEC_SECURE);
		ldns_rr_list_deep_free(auth);
		/* Unsigned: bogus before any iterations count. */
		auth = rrs(t, NULL);
		ck_assert_int_eq(res_val_denial(zone, LDNS_RR_TYPE_MX, false,
		    auth, keys, zone, now, NULL, &ede, &err), RES_SEC_BOGUS);
		ldns_rr_list_deep_free(auth);
	}
	ldns_rr_list_deep_free(keys);
	ldns_key_list_free(zl);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * The NSEC3 chain of a zone with a wildcard only, signed: apex ->
 * wildcard -> apex, at iter iterations, both records opt-out or not.
 */
static ldns_rr_list *
wild_chain(ldns_key_list *zl, uint16_t iter, bool optout)
{
	ldns_rr_list	*auth = ldns_rr_list_new();
	char		 t[512];

	ck_assert_ptr_nonnull(auth);
	nsec3_text("example.test.", "*.example.test.", iter,
	    "SOA NS RRSIG DNSKEY NSEC3PARAM", t, sizeof(t));
	if (optout)
		strstr(t, " NSEC3 1 0 ")[9] = '1';	/* the flags */
	auth_add_signed(auth, t, zl);
	nsec3_text("*.example.test.", "example.test.", iter, "TXT RRSIG", t,
	    sizeof(t));
	if (optout)
		strstr(t, " NSEC3 1 0 ")[9] = '1';
	auth_add_signed(auth, t, zl);
	return auth;
}

/*
 * Wildcard answers (RFC 4035 section 5.3.4, RFC 5155 section 8.8): the
 * TXT RRset of x.example.test. synthesised from *.example.test. is secure
 * only with an NSEC or NSEC3 proving that x.example.test. does not exist.
 */
START_TEST(test_validate_wildcard)
{
	ldns_rdf	*zone = ldns_dname_new_frm_str("example.test.");
	ldns_rdf	*x = ldns_dname_new_frm_str("x.example.test.");
	time_t		 now = time(NULL);
	ldns_key	*zsk = zone_key(zone, 256, now);
	ldns_key_list	*zl = ldns_key_list_new();
	ldns_rr_list	*keys = ldns_rr_list_new(), *wild, *sigs, *auth;
	ldns_rr_list	*plain, *psigs;
	char		 t[512];
	enum res_ede	 ede;
	struct err	 err;
	size_t		 i;

	ldns_key_list_push_key(zl, zsk);
	ldns_rr_list_push_rr(keys, ldns_key2rr(zsk));
	/* Sign at the wildcard, then expand to x as a server does. */
	wild = rrs("*.example.test. 300 IN TXT \"w\"", NULL);
	sigs = signed_set(wild, zl);
	ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(wild, 0)));
	ldns_rr_set_owner(ldns_rr_list_rr(wild, 0), ldns_rdf_clone(x));
	for (i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(sigs, i)));
		ldns_rr_set_owner(ldns_rr_list_rr(sigs, i),
		    ldns_rdf_clone(x));
	}
	ck_assert_int_eq(res_val_rrset(wild, sigs, keys, zone, now, NULL, &ede,
	    &err), RES_SEC_SECURE);
	/* No proof: bogus. */
	auth = ldns_rr_list_new();
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_BOGUS);
	ck_assert_int_eq(ede, RES_EDE_NSEC_MISSING);
	/* An NSEC not covering x (apex to the wildcard): bogus. */
	auth_add_signed(auth, "example.test. 300 IN NSEC *.example.test. "
	    "SOA NS RRSIG NSEC DNSKEY", zl);
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_BOGUS);
	/* The wildcard's NSEC (to the apex) covers x: secure. */
	auth_add_signed(auth, "*.example.test. 300 IN NSEC example.test. "
	    "TXT RRSIG NSEC", zl);
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_SECURE);
	ldns_rr_list_deep_free(auth);
	/* The same NSEC unsigned: bogus. */
	auth = rrs("*.example.test. 300 IN NSEC example.test. TXT RRSIG NSEC",
	    NULL);
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_BOGUS);
	ldns_rr_list_deep_free(auth);
	/* NSEC3: the chain apex -> wildcard -> apex covers the hash of the
	 * next closer name x.example.test.; one matching x proves it
	 * exists. */
	auth = wild_chain(zl, 5, false);
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_SECURE);
	ldns_rr_list_deep_free(auth);
	auth = ldns_rr_list_new();
	nsec3_text("x.example.test.", "example.test.", 5, "TXT RRSIG", t,
	    sizeof(t));
	auth_add_signed(auth, t, zl);
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_BOGUS);
	ldns_rr_list_deep_free(auth);
	/* The same chain with opt-out over x: insecure (RFC 5155 section
	 * 9.2: x could be an unsigned delegation). */
	auth = wild_chain(zl, 5, true);
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_INSECURE);
	ldns_rr_list_deep_free(auth);
	/* The same chain at 151 iterations: insecure (RFC 9276), EDE 27. */
	auth = wild_chain(zl, 151, false);
	ede = RES_EDE_NONE;
	ck_assert_int_eq(res_val_wildcard(x, sigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_INSECURE);
	ck_assert_int_eq(ede, RES_EDE_NSEC3_ITER);
	ldns_rr_list_deep_free(auth);
	/* An RRset at its own name needs no proof. */
	plain = rrs("x.example.test. 300 IN TXT \"x\"", NULL);
	psigs = signed_set(plain, zl);
	auth = ldns_rr_list_new();
	ck_assert_int_eq(res_val_wildcard(x, psigs, auth, keys, zone, now,
	    NULL, &ede, &err), RES_SEC_SECURE);
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(plain);
	ldns_rr_list_deep_free(psigs);
	ldns_rr_list_deep_free(wild);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(keys);
	ldns_key_list_free(zl);
	ldns_rdf_deep_free(x);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * Proofs of denial with NSEC (RFC 4035 sections 3.1.3 and 5.4, RFC 6840
 * section 4.1) over one zone, each case a question and the NSEC records
 * (signed) a server gave:
 *
 *   example.test.         NS SOA RRSIG NSEC DNSKEY
 *   a.example.test.       A
 *   alias.example.test.   CNAME
 *   (c.example.test.      an empty non-terminal)
 *   b.c.example.test.     A
 *   host.example.test.    A TXT
 *   sub.example.test.     NS: a delegation (the parent side)
 *   (wild.example.test.   an empty non-terminal)
 *   *.wild.example.test.  TXT
 */
static const char *const nsec_zone[] = {
	"example.test. 300 IN NSEC a.example.test. NS SOA RRSIG NSEC DNSKEY",
	"a.example.test. 300 IN NSEC alias.example.test. A RRSIG NSEC",
	"alias.example.test. 300 IN NSEC b.c.example.test. CNAME RRSIG NSEC",
	"b.c.example.test. 300 IN NSEC host.example.test. A RRSIG NSEC",
	"host.example.test. 300 IN NSEC sub.example.test. A TXT RRSIG NSEC",
	"sub.example.test. 300 IN NSEC *.wild.example.test. NS RRSIG NSEC",
	"*.wild.example.test. 300 IN NSEC example.test. TXT RRSIG NSEC",
};

static const struct {
	const char	*name;
	uint16_t	 type;
	bool		 nxdomain;
	unsigned	 nsecs;		/* bit i: nsec_zone[i] given */
	enum res_sec	 sec;
} nsec_cases[] = {
	/* NXDOMAIN: the name covered, and the wildcard at its closest
	 * encloser covered. */
	{ "nope.example.test.", 1, true, 1 << 4 | 1 << 0, RES_SEC_SECURE },
	{ "nope.example.test.", 1, true, 1 << 4, RES_SEC_BOGUS },
	{ "x.host.example.test.", 1, true, 1 << 4, RES_SEC_SECURE },
	/* A name's own NSEC (a NODATA proof) is no NXDOMAIN proof, nor
	 * is the NSEC before an empty non-terminal, nor an existing
	 * wildcard's. */
	{ "host.example.test.", 15, true, 1 << 4 | 1 << 0, RES_SEC_BOGUS },
	{ "c.example.test.", 1, true, 1 << 2 | 1 << 0, RES_SEC_BOGUS },
	{ "x.wild.example.test.", 1, true, 1 << 6, RES_SEC_BOGUS },
	/* RFC 6840 section 4.1: nothing below a delegation. */
	{ "x.sub.example.test.", 1, true, 1 << 5 | 1 << 0, RES_SEC_BOGUS },
	/* NODATA: the name's NSEC without the type. */
	{ "host.example.test.", 15, false, 1 << 4, RES_SEC_SECURE },
	{ "host.example.test.", 16, false, 1 << 4, RES_SEC_BOGUS },
	{ "c.example.test.", 1, false, 1 << 2, RES_SEC_SECURE },
	{ "nope.example.test.", 1, false, 1 << 4 | 1 << 0, RES_SEC_BOGUS },
	/* An alias has every type: the CNAME bit proves no NODATA. */
	{ "alias.example.test.", 1, false, 1 << 2, RES_SEC_BOGUS },
	/* The parent side of a cut proves no DS, and nothing else; the
	 * child's apex NSEC proves nothing about the DS. */
	{ "sub.example.test.", 1, false, 1 << 5, RES_SEC_BOGUS },
	{ "sub.example.test.", 43, false, 1 << 5, RES_SEC_SECURE },
	{ "example.test.", 43, false, 1 << 0, RES_SEC_BOGUS },
	/* Wildcard NODATA (RFC 4035 section 3.1.3.4). */
	{ "x.wild.example.test.", 1, false, 1 << 6, RES_SEC_SECURE },
	{ "x.wild.example.test.", 16, false, 1 << 6, RES_SEC_BOGUS },
};

START_TEST(test_validate_nsec_denial)
{
	ldns_rdf	*zone = ldns_dname_new_frm_str("example.test.");
	ldns_rdf	*name = ldns_dname_new_frm_str(nsec_cases[_i].name);
	time_t		 now = time(NULL);
	ldns_key	*zsk = zone_key(zone, 256, now);
	ldns_key_list	*zl = ldns_key_list_new();
	ldns_rr_list	*keys = ldns_rr_list_new(), *auth = ldns_rr_list_new();
	enum res_ede	 ede;
	struct err	 err;
	size_t		 i;

	ldns_key_list_push_key(zl, zsk);
	ldns_rr_list_push_rr(keys, ldns_key2rr(zsk));
	for (i = 0; i < sizeof(nsec_zone) / sizeof(nsec_zone[0]); i++)
		if (nsec_cases[_i].nsecs & 1u << i)
			auth_add_signed(auth, nsec_zone[i], zl);
	ck_assert_msg(res_val_denial(name, nsec_cases[_i].type,
	    nsec_cases[_i].nxdomain, auth, keys, zone, now, NULL, &ede, &err) ==
	    nsec_cases[_i].sec, "%s %u %s: not %d", nsec_cases[_i].name,
	    nsec_cases[_i].type, nsec_cases[_i].nxdomain ? "nxdomain" :
	    "nodata", nsec_cases[_i].sec);
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(keys);
	ldns_key_list_free(zl);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * The hash of name in zone example.test. (SHA-1, no iterations, salt
 * abcd) in base32hex, moved by delta: -1 and +1 give the two hashes
 * around it, so that a record from one to the other covers name only.
 */
static void
nsec3_hash_moved(const char *name, int delta, char *buf, size_t len)
{
	static const char	 digits[] = "0123456789abcdefghijklmnopqrstuv";
	uint8_t			 salt[2] = { 0xab, 0xcd };
	ldns_rdf		*n = ldns_dname_new_frm_str(name), *h;
	char			*s, *p;
	size_t			 i;

	ck_assert_ptr_nonnull(h = ldns_nsec3_hash_name(n, 1, 0, 2, salt));
	ck_assert_ptr_nonnull(s = ldns_rdf2str(h));
	if ((p = strchr(s, '.')) != NULL)
		*p = '\0';
	for (i = strlen(s); delta != 0 && i > 0; i--) {
		p = strchr(digits, s[i - 1] | 0x20);
		ck_assert_ptr_nonnull(p);
		if (delta > 0 && *p != 'v') {
			s[i - 1] = p[1];
			break;
		}
		if (delta < 0 && *p != '0') {
			s[i - 1] = p[-1];
			break;
		}
		s[i - 1] = delta > 0 ? '0' : 'v';	/* carry */
	}
	snprintf(buf, len, "%s", s);
	free(s);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
}

/* An NSEC3 record matching name (M) or covering it (C), opt-out (O). */
struct n3 {
	char		 how;
	const char	*name;
	const char	*types;
};

static void
nsec3_add(ldns_rr_list *auth, ldns_key_list *zl, const struct n3 *r)
{
	char	o[64], n[64], t[512];

	nsec3_hash_moved(r->name, r->how == 'M' ? 0 : -1, o, sizeof(o));
	nsec3_hash_moved(r->name, 1, n, sizeof(n));
	snprintf(t, sizeof(t), "%s.example.test. 300 IN NSEC3 1 %d 0 abcd %s "
	    "%s", o, r->how == 'O' ? 1 : 0, n, r->types);
	auth_add_signed(auth, t, zl);
}

#define N3_APEX	{ 'M', "example.test.", "NS SOA RRSIG DNSKEY NSEC3PARAM" }
static const struct {
	const char	*name;
	uint16_t	 type;
	bool		 nxdomain;
	struct n3	 recs[4];
	enum res_sec	 sec;
} nsec3_cases[] = {
	/* NXDOMAIN (RFC 5155 section 8.4): the closest encloser matched,
	 * the next closer name and the wildcard covered. */
	{ "nope.example.test.", 1, true, { N3_APEX,
	  { 'C', "nope.example.test.", "" },
	  { 'C', "*.example.test.", "" } }, RES_SEC_SECURE },
	{ "nope.example.test.", 1, true, { N3_APEX,
	  { 'C', "nope.example.test.", "" } }, RES_SEC_BOGUS },
	/* Opt-out over the next closer name: insecure, not secure. */
	{ "nope.example.test.", 1, true, { N3_APEX,
	  { 'O', "nope.example.test.", "" },
	  { 'C', "*.example.test.", "" } }, RES_SEC_INSECURE },
	/* The name's own NSEC3 proves it exists. */
	{ "host.example.test.", 15, true, { N3_APEX,
	  { 'M', "host.example.test.", "A TXT RRSIG" },
	  { 'C', "*.example.test.", "" } }, RES_SEC_BOGUS },
	/* A delegation is no closest encloser (section 8.3). */
	{ "x.sub.example.test.", 1, true, {
	  { 'M', "sub.example.test.", "NS" },
	  { 'C', "x.sub.example.test.", "" },
	  { 'C', "*.sub.example.test.", "" } }, RES_SEC_BOGUS },
	/* NODATA (section 8.5). */
	{ "host.example.test.", 15, false, {
	  { 'M', "host.example.test.", "A TXT RRSIG" } }, RES_SEC_SECURE },
	{ "host.example.test.", 16, false, {
	  { 'M', "host.example.test.", "A TXT RRSIG" } }, RES_SEC_BOGUS },
	{ "alias.example.test.", 1, false, {
	  { 'M', "alias.example.test.", "CNAME RRSIG" } }, RES_SEC_BOGUS },
	/* The parent side of a cut: DS only (RFC 6840 section 4.1). */
	{ "sub.example.test.", 1, false, {
	  { 'M', "sub.example.test.", "NS" } }, RES_SEC_BOGUS },
	{ "sub.example.test.", 43, false, {
	  { 'M', "sub.example.test.", "NS" } }, RES_SEC_SECURE },
	/* No DS under opt-out (section 8.6): an insecure delegation. */
	{ "ins.example.test.", 43, false, { N3_APEX,
	  { 'O', "ins.example.test.", "" } }, RES_SEC_INSECURE },
	{ "ins.example.test.", 43, false, { N3_APEX,
	  { 'C', "ins.example.test.", "" } }, RES_SEC_BOGUS },
	/* Wildcard NODATA (section 8.7). */
	{ "x.wild.example.test.", 1, false, {
	  { 'M', "wild.example.test.", "" },
	  { 'C', "x.wild.example.test.", "" },
	  { 'M', "*.wild.example.test.", "TXT RRSIG" } }, RES_SEC_SECURE },
	{ "x.wild.example.test.", 16, false, {
	  { 'M', "wild.example.test.", "" },
	  { 'C', "x.wild.example.test.", "" },
	  { 'M', "*.wild.example.test.", "TXT RRSIG" } }, RES_SEC_BOGUS },
	/* The next closer name in an opt-out span: an unsigned delegation
	 * could be there, not the wildcard (RFC 5155 section 9.2; Unbound
	 * answers it without AD too). */
	{ "x.wild.example.test.", 1, false, {
	  { 'M', "wild.example.test.", "" },
	  { 'O', "x.wild.example.test.", "" },
	  { 'M', "*.wild.example.test.", "TXT RRSIG" } }, RES_SEC_INSECURE },
};

START_TEST(test_validate_nsec3_denial)
{
	ldns_rdf	*zone = ldns_dname_new_frm_str("example.test.");
	ldns_rdf	*name = ldns_dname_new_frm_str(nsec3_cases[_i].name);
	time_t		 now = time(NULL);
	ldns_key	*zsk = zone_key(zone, 256, now);
	ldns_key_list	*zl = ldns_key_list_new();
	ldns_rr_list	*keys = ldns_rr_list_new(), *auth = ldns_rr_list_new();
	enum res_ede	 ede;
	struct err	 err;
	size_t		 i;

	ldns_key_list_push_key(zl, zsk);
	ldns_rr_list_push_rr(keys, ldns_key2rr(zsk));
	for (i = 0; i < 4 && nsec3_cases[_i].recs[i].name != NULL; i++)
		nsec3_add(auth, zl, &nsec3_cases[_i].recs[i]);
	ck_assert_msg(res_val_denial(name, nsec3_cases[_i].type,
	    nsec3_cases[_i].nxdomain, auth, keys, zone, now, NULL, &ede, &err) ==
	    nsec3_cases[_i].sec, "%s %u %s: not %d", nsec3_cases[_i].name,
	    nsec3_cases[_i].type, nsec3_cases[_i].nxdomain ? "nxdomain" :
	    "nodata", nsec3_cases[_i].sec);
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(keys);
	ldns_key_list_free(zl);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * Validity periods are checked at the core's now, not the wall clock's
 * (docs/style.md section 3): signatures made for a day a month ahead are
 * good then, not yet good a day before, expired two days after.
 */
START_TEST(test_validate_clock)
{
	ldns_rdf	*zone = ldns_dname_new_frm_str("example.test.");
	ldns_rdf	*host = ldns_dname_new_frm_str("host.example.test.");
	time_t		 now = time(NULL) + 30 * 86400;
	ldns_key	*zsk = zone_key(zone, 256, now);
	ldns_key_list	*zl = ldns_key_list_new();
	ldns_rr_list	*keys = ldns_rr_list_new(), *set, *sigs, *auth;
	enum res_ede	 ede;
	struct err	 err;

	ldns_key_list_push_key(zl, zsk);
	ldns_rr_list_push_rr(keys, ldns_key2rr(zsk));
	set = rrs("host.example.test. 300 IN A 192.0.2.1", NULL);
	sigs = signed_set(set, zl);
	ck_assert_int_eq(res_val_rrset(set, sigs, keys, zone, now, NULL, &ede,
	    &err), RES_SEC_SECURE);
	ck_assert_int_eq(res_val_rrset(set, sigs, keys, zone, now - 86400,
	    NULL, &ede, &err), RES_SEC_BOGUS);
	ck_assert_int_eq(ede, RES_EDE_SIG_NOT_YET);
	ck_assert_int_eq(res_val_rrset(set, sigs, keys, zone, now + 2 * 86400,
	    NULL, &ede, &err), RES_SEC_BOGUS);
	ck_assert_int_eq(ede, RES_EDE_SIG_EXPIRED);
	auth = ldns_rr_list_new();
	auth_add_signed(auth, nsec_zone[4], zl);
	ck_assert_int_eq(res_val_denial(host, LDNS_RR_TYPE_MX, false, auth,
	    keys, zone, now, NULL, &ede, &err), RES_SEC_SECURE);
	ck_assert_int_eq(res_val_denial(host, LDNS_RR_TYPE_MX, false, auth,
	    keys, zone, now + 2 * 86400, NULL, &ede, &err), RES_SEC_BOGUS);
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(keys);
	ldns_key_list_free(zl);
	ldns_rdf_deep_free(host);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * ---- the iterator against a signed root ----
 *
 * One zone, the root, signed with one key (the trust anchor), NSEC:
 *
 *   .       NS SOA DNSKEY     alias.  CNAME gone.
 *   deleg.  NS (unsigned)     host.   A        short.  A
 *
 * Each answer of the table is signed when given, with signatures valid
 * from an hour before the test's clock for life seconds (a day when 0).
 */
#define SROOT_SOA	". 300 IN SOA a.root.test. h.test. 1 2 3 4 300"
#define SROOT_NSEC	". 300 IN NSEC alias. NS SOA RRSIG NSEC DNSKEY"
#define DELEG_NSEC	"deleg. 300 IN NSEC host. NS RRSIG NSEC"
#define HOST_NSEC	"host. 300 IN NSEC short. A RRSIG NSEC"

struct sanswer {
	const char	*qname;
	uint16_t	 qtype;		/* 0: any */
	int		 rcode;
	const char	*an[2], *ns[4];
	uint32_t	 life;
};

static const struct sanswer snet[] = {
	{ "host.", 1, 0, { "host. 3600 IN A 192.0.2.1" }, { NULL }, 0 },
	/* A forged NXDOMAIN: the genuine NSEC of host., proof of NODATA. */
	{ "host.", 15, 3, { NULL }, { SROOT_SOA, HOST_NSEC, SROOT_NSEC },
	  0 },
	{ "alias.", 0, 3, { "alias. 300 IN CNAME gone." },
	  { SROOT_SOA, DELEG_NSEC, SROOT_NSEC }, 0 },
	{ "gone.", 0, 3, { NULL }, { SROOT_SOA, DELEG_NSEC, SROOT_NSEC }, 0 },
	/* Signatures that expire long before the TTLs. */
	{ "short.", 1, 0, { "short. 3600 IN A 192.0.2.2" }, { NULL }, 100 },
	{ "nope.", 0, 3, { NULL }, { SROOT_SOA, HOST_NSEC, SROOT_NSEC }, 100 },
	{ NULL, 0, 0, { NULL }, { NULL }, 0 },
};

/* Adds text to section of p, signed (unless an NS record not at the
 * apex: delegations are not signed). */
static void
snet_push(ldns_pkt *p, ldns_pkt_section section, const char *text,
    struct snet_ctx *c, uint32_t life)
{
	ldns_rr_list	*set = rrs(text, NULL), *sigs;
	ldns_rr		*rr = ldns_rr_list_rr(set, 0);
	size_t		 i;

	ldns_key_set_expiration(ldns_key_list_key(c->kl, 0),
	    (uint32_t)(c->base + (life != 0 ? life : 86400)));
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
	    ldns_dname_label_count(ldns_rr_owner(rr)) == 0) {
		sigs = signed_set(set, c->kl);
		for (i = 0; i < ldns_rr_list_rr_count(sigs); i++)
			ldns_pkt_push_rr(p, section, ldns_rr_list_rr(sigs, i));
		ldns_rr_list_free(sigs);
	}
	ldns_pkt_push_rr(p, section, rr);
	ldns_rr_list_free(set);
}

ldns_pkt *
snet_answer(const struct res_request *rq, struct snet_ctx *c)
{
	const struct sanswer	*t;
	ldns_pkt		*q = NULL, *p;
	ldns_rr_list		*set, *sigs;
	char			*qn;
	int			 i;

	ck_assert_int_eq(ldns_wire2pkt(&q, rq->wire, rq->len),
	    LDNS_STATUS_OK);
	qn = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q),
	    0)));
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, rq->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	if (strcmp(qn, ".") == 0 && rq->qtype == LDNS_RR_TYPE_DNSKEY) {
		set = ldns_rr_list_new();
		ldns_rr_list_push_rr(set, ldns_rr_clone(c->dnskey));
		ldns_key_set_expiration(ldns_key_list_key(c->kl, 0),
		    (uint32_t)(c->base + 86400));
		sigs = signed_set(set, c->kl);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
		goto out;
	}
	for (t = snet; t->qname != NULL; t++)
		if (strcasecmp(t->qname, qn) == 0 &&
		    (t->qtype == 0 || t->qtype == rq->qtype))
			break;
	ck_assert_msg(t->qname != NULL, "no table entry for %s %u", qn,
	    rq->qtype);
	ldns_pkt_set_rcode(p, (uint8_t)t->rcode);
	for (i = 0; i < 2 && t->an[i] != NULL; i++)
		snet_push(p, LDNS_SECTION_ANSWER, t->an[i], c, t->life);
	for (i = 0; i < 4 && t->ns[i] != NULL; i++)
		snet_push(p, LDNS_SECTION_AUTHORITY, t->ns[i], c, t->life);
out:
	free(qn);
	ldns_pkt_free(q);
	return p;
}

/* Resolves (name, type) at now against snet; *sends_out upstream. */
static struct res_query *
sresolve(struct res_resolver *r, struct snet_ctx *c, const char *name,
    uint16_t type, time_t now, int *sends_out)
{
	struct res_query	*q;
	struct res_request	 rq;
	struct err		 err;
	ldns_pkt		*p;
	uint8_t			*w;
	size_t			 len;
	uint16_t		 id = 100;

	*sends_out = 0;
	ck_assert_ptr_nonnull(q = res_query_new(r, name, type, now,
	    &err));
	while (res_query_next(q, now, id++, &rq) == RES_SEND) {
		ck_assert_int_lt(++*sends_out, 50);
		p = snet_answer(&rq, c);
		ck_assert_int_eq(ldns_pkt2wire(&w, p, &len), LDNS_STATUS_OK);
		res_query_answer(q, w, len, 5, now);
		free(w);
		ldns_pkt_free(p);
	}
	return q;
}

void
snet_conf(const struct snet_ctx *c, struct res_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->cache_bytes = 1 << 20;
	conf->max_ttl = 86400;
	conf->neg_max_ttl = 3600;
	conf->hints = SROOT_HINTS;
	conf->anchors = c->anchor;
	conf->dnssec = true;
}

struct res_resolver *
snet_setup(struct snet_ctx *c, time_t base)
{
	struct res_conf	 conf;
	struct res_resolver	*r;
	struct err		 err;
	ldns_rdf		*root = ldns_dname_new_frm_str(".");

	c->base = base;
	c->kl = ldns_key_list_new();
	ldns_key_list_push_key(c->kl, zone_key(root, 257, base));
	c->dnskey = ldns_key2rr(ldns_key_list_key(c->kl, 0));
	ck_assert_ptr_nonnull(c->anchor = ldns_rr2str(c->dnskey));
	snet_conf(c, &conf);
	ck_assert_ptr_nonnull(r = res_resolver_new(&conf, &err));
	ldns_rdf_deep_free(root);
	return r;
}

void
snet_teardown(struct snet_ctx *c, struct res_resolver *r)
{
	res_resolver_free(r);
	ldns_rr_free(c->dnskey);
	ldns_key_list_free(c->kl);
	free(c->anchor);
}

/*
 * A forged NXDOMAIN carrying the genuine NSEC of an existing name is
 * bogus (SERVFAIL), and is not kept to deny the name's other types.
 */
START_TEST(test_iter_forged_nxdomain)
{
	struct snet_ctx		 c;
	struct res_resolver	*r;
	struct res_query	*q;
	struct res_req		 req;
	struct err		 err;
	time_t			 now = time(NULL);
	uint8_t			*w, *out;
	size_t			 len, olen;
	int			 sends;

	r = snet_setup(&c, now);
	q = sresolve(r, &c, "host.", LDNS_RR_TYPE_MX, now, &sends);
	ck_assert_int_eq(res_query_security(q), RES_SEC_BOGUS);
	/* The client gets SERVFAIL. */
	w = query_wire("host.", LDNS_RR_TYPE_MX, 0, &len);
	ck_assert_int_eq(res_req_parse(w, len, &req), 0);
	ck_assert_int_eq(res_reply(&req, q, res_query_rcode(q), 4096, &out,
	    &olen, &err), 0);
	ck_assert_int_eq(out[3] & 0x0f, LDNS_RCODE_SERVFAIL);
	free(out);
	free(w);
	res_query_free(q);
	/* Asked again: bogus still, from the cache. */
	q = sresolve(r, &c, "host.", LDNS_RR_TYPE_MX, now + 1, &sends);
	ck_assert_int_eq(res_query_security(q), RES_SEC_BOGUS);
	res_query_free(q);
	q = sresolve(r, &c, "host.", LDNS_RR_TYPE_A, now + 1, &sends);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    2);					/* A and its RRSIG */
	res_query_free(q);
	/* A genuine NXDOMAIN is secure. */
	q = sresolve(r, &c, "gone.", LDNS_RR_TYPE_A, now + 2, &sends);
	ck_assert_int_eq(res_query_rcode(q), LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	res_query_free(q);
	snet_teardown(&c, r);
}
END_TEST

/* RFC 6604 with DNSSEC: the NXDOMAIN after a CNAME is validated for the
 * target and cached for it. */
START_TEST(test_iter_cname_nxdomain_secure)
{
	struct snet_ctx		 c;
	struct res_resolver	*r;
	struct res_query	*q;
	time_t			 now = time(NULL);
	int			 sends;

	r = snet_setup(&c, now);
	q = sresolve(r, &c, "alias.", LDNS_RR_TYPE_A, now, &sends);
	ck_assert_int_eq(res_query_rcode(q), LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	ck_assert_int_eq((int)ldns_rr_list_rr_count(res_query_answer_rrs(q)),
	    2);					/* CNAME and its RRSIG */
	res_query_free(q);
	q = sresolve(r, &c, "gone.", LDNS_RR_TYPE_TXT, now + 1, &sends);
	ck_assert_int_eq(sends, 0);
	ck_assert_int_eq(res_query_rcode(q), LDNS_RCODE_NXDOMAIN);
	res_query_free(q);
	q = sresolve(r, &c, "alias.", LDNS_RR_TYPE_CNAME, now + 1, &sends);
	ck_assert_int_eq(sends, 0);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	res_query_free(q);
	snet_teardown(&c, r);
}
END_TEST

/*
 * RFC 4035 section 5.3.3: a secure RRset, or a secure denial, is cached
 * no longer than its signatures last.
 */
START_TEST(test_iter_sig_expiry_ttl)
{
	struct snet_ctx		 c;
	struct res_resolver	*r;
	struct res_query	*q;
	const ldns_rr_list	*l;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 sends;

	r = snet_setup(&c, now);
	q = sresolve(r, &c, "short.", LDNS_RR_TYPE_A, now, &sends);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	res_query_free(q);
	q = sresolve(r, &c, "nope.", LDNS_RR_TYPE_A, now, &sends);
	ck_assert_int_eq(res_query_rcode(q), LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	res_query_free(q);
	/* From the cache, ten seconds on: at most 90 s left. */
	q = sresolve(r, &c, "short.", LDNS_RR_TYPE_A, now + 10, &sends);
	ck_assert_int_eq(sends, 0);
	l = res_query_answer_rrs(q);
	ck_assert_uint_gt(ldns_rr_list_rr_count(l), 0);
	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		ck_assert_uint_le(ldns_rr_ttl(ldns_rr_list_rr(l, i)), 90);
	res_query_free(q);
	q = sresolve(r, &c, "nope.", LDNS_RR_TYPE_A, now + 10, &sends);
	ck_assert_int_eq(sends, 0);
	l = res_query_authority_rrs(q);
	ck_assert_uint_gt(ldns_rr_list_rr_count(l), 0);
	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		ck_assert_uint_le(ldns_rr_ttl(ldns_rr_list_rr(l, i)), 90);
	res_query_free(q);
	/* Past the signatures' expiration: asked again, not from the
	 * cache. */
	q = sresolve(r, &c, "short.", LDNS_RR_TYPE_A, now + 150, &sends);
	ck_assert_int_gt(sends, 0);
	res_query_free(q);
	q = sresolve(r, &c, "nope.", LDNS_RR_TYPE_A, now + 150, &sends);
	ck_assert_int_gt(sends, 0);
	res_query_free(q);
	snet_teardown(&c, r);
}
END_TEST

/* The iterator validates at the clock it is given (a month ahead). */
START_TEST(test_iter_dnssec_clock)
{
	struct snet_ctx		 c;
	struct res_resolver	*r;
	struct res_query	*q;
	time_t			 now = time(NULL) + 30 * 86400;
	int			 sends;

	r = snet_setup(&c, now);
	q = sresolve(r, &c, "host.", LDNS_RR_TYPE_A, now, &sends);
	ck_assert_int_eq(res_query_rcode(q), 0);
	ck_assert_int_eq(res_query_security(q), RES_SEC_SECURE);
	res_query_free(q);
	snet_teardown(&c, r);
}
END_TEST

/*
 * CHAOS questions: stats.timbre., version.bind. and version.server. (TXT
 * or ANY) parse and are answered with one TXT record per string, AA set,
 * class CH; any other CHAOS question is REFUSED.
 */
START_TEST(test_chaos)
{
	static const char *const	 txt[] = { "queries=3", "bogus=0" };
	static const struct {
		const char	*hex;
		enum res_chaos	 chaos;
		int		 rcode;
	} cases[] = {
		/* stats.timbre. CH TXT */
		{ "123401000001000000000000057374617473067469"
		  "6d627265000010" "0003", RES_CHAOS_STATS, 0 },
		/* VERSION.bind. CH TXT */
		{ "1234010000010000000000000756455253494f4e04"
		  "62696e64000010" "0003", RES_CHAOS_VERSION, 0 },
		/* version.server. CH ANY */
		{ "1234010000010000000000000776657273696f6e06"
		  "736572766572" "0000ff0003", RES_CHAOS_VERSION, 0 },
		/* stats.timbre. CH A: refused */
		{ "123401000001000000000000057374617473067469"
		  "6d627265000001" "0003", RES_CHAOS_NONE, 5 },
		/* stats.timbre. IN TXT: an ordinary question */
		{ "123401000001000000000000057374617473067469"
		  "6d627265000010" "0001", RES_CHAOS_NONE, 0 },
	};
	struct res_req	 req;
	uint8_t		*w, *out;
	size_t		 len, olen, i;
	ldns_pkt	*pkt;
	ldns_rr		*rr;
	struct err	 err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = hex_wire(cases[i].hex, &len);
		ck_assert_int_eq(res_req_parse(w, len, &req), 0);
		ck_assert_msg(req.rcode == cases[i].rcode, "case %zu", i);
		ck_assert_msg(res_req_chaos(&req) == cases[i].chaos,
		    "case %zu", i);
		free(w);
		if (cases[i].chaos == RES_CHAOS_NONE)
			continue;
		ck_assert_int_eq(res_chaos_reply(&req, txt, 2, 512, &out, &olen,
		    &err), 0);
		ck_assert_int_eq(ldns_wire2pkt(&pkt, out, olen),
		    LDNS_STATUS_OK);
		ck_assert(ldns_pkt_aa(pkt) && !ldns_pkt_tc(pkt));
		ck_assert_uint_eq(ldns_pkt_get_rcode(pkt), 0);
		ck_assert_uint_eq(ldns_pkt_id(pkt), 0x1234);
		ck_assert_uint_eq(ldns_rr_list_rr_count(ldns_pkt_answer(pkt)),
		    2);
		rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), 1);
		ck_assert_int_eq(ldns_rr_get_class(rr), LDNS_RR_CLASS_CH);
		ck_assert_int_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
		ck_assert_uint_eq(ldns_rdf_size(ldns_rr_rdf(rr, 0)), 8);
		ck_assert_mem_eq(ldns_rdf_data(ldns_rr_rdf(rr, 0)),
		    "\007bogus=0", 8);
		ldns_pkt_free(pkt);
		free(out);
		/* Too large for the client: TC=1, no records. */
		ck_assert_int_eq(res_chaos_reply(&req, txt, 2, 40, &out, &olen,
		    &err), 0);
		ck_assert_uint_le(olen, 40);
		ck_assert(out[2] & 0x02);
		free(out);
	}
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("resolver");
	TCase	*tc;

	tc = tcase_create("cache");
	tcase_add_test(tc, test_cache_ttl_rank);
	tcase_add_test(tc, test_cache_bound);
	tcase_add_test(tc, test_msgcache);
	suite_add_tcase(s, tc);
	tc = tcase_create("validate");
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_ds_usable);
	tcase_add_test(tc, test_validate_nsec3_iterations);
	tcase_add_test(tc, test_validate_wildcard);
	tcase_add_loop_test(tc, test_validate_nsec_denial, 0,
	    sizeof(nsec_cases) / sizeof(nsec_cases[0]));
	tcase_add_loop_test(tc, test_validate_nsec3_denial, 0,
	    sizeof(nsec3_cases) / sizeof(nsec3_cases[0]));
	tcase_add_test(tc, test_validate_clock);
	suite_add_tcase(s, tc);
	tc = tcase_create("request");
	tcase_add_loop_test(tc, test_req_parse, 0,
	    sizeof(req_cases) / sizeof(req_cases[0]));
	tcase_add_test(tc, test_chaos);
	suite_add_tcase(s, tc);
	tc = tcase_create("iterator");
	tcase_add_loop_test(tc, test_iter_table, 0, n_iter_cases);
	tcase_add_test(tc, test_iter_truncate_reply);
	tcase_add_test(tc, test_iter_qmin);
	tcase_add_test(tc, test_iter_cname_denial);
	tcase_add_test(tc, test_iter_0x20);
	tcase_add_test(tc, test_iter_retry);
	tcase_add_test(tc, test_resolver_config);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, res_nomem_tcase());
	tc = tcase_create("iterator-dnssec");
	tcase_add_test(tc, test_iter_forged_nxdomain);
	tcase_add_test(tc, test_iter_cname_nxdomain_secure);
	tcase_add_test(tc, test_iter_sig_expiry_ttl);
	tcase_add_test(tc, test_iter_dnssec_clock);
	suite_add_tcase(s, tc);
	return s;
}
