/*
 * test_nomem.c: the resolver's sans-I/O core with its allocations failing
 * one at a time (tests/unit/nomem.h): the resolver set up with hints and
 * trust anchors; resolutions driven over the canned referrals and answers
 * of test_resolver.c, unsigned (every iterator case) and under a signed
 * root (secure answers, a secure NXDOMAIN after a CNAME, a forged
 * NXDOMAIN that must be bogus), each answered to a client by res_reply;
 * the validator alone on signed RRsets, a DNSKEY RRset against its DS,
 * NSEC and NSEC3 denials and a wildcard proof; the RRset cache (inserts
 * of every rank, negative entries, look-ups, eviction under its bound),
 * the answers cache (inserts, hits, eviction) and the CHAOS answers.
 *
 * Each operation runs first with memory to spare, then for n = 0, 1, 2,
 * ... with the (n + 1)-th allocation failing, until a run no longer
 * reaches the failure.  A run must fail as its contract says (NULL or -1
 * with ERR_NOMEM; SERVFAIL for a resolution; RES_SEC_BOGUS with ERR_NOMEM
 * for a validation) or give exactly what the first run gave, and leave
 * nothing half done: a cache insert that fails leaves the cache as it
 * was, and a resolution asked again with memory to spare, on the same
 * resolver, gives what it gives with memory to spare (no failure is
 * remembered as an answer).  Under --enable-sanitizers LeakSanitizer
 * fails the test if anything leaks.
 *
 * What can fail: check_resolver is linked with --wrap for malloc, calloc,
 * realloc, reallocarray, strdup, strndup and fmemopen, and for the ldns
 * functions that allocate (tests/unit/dns/nomem_ldns.c): most of what the
 * resolver allocates, ldns allocates.  The signatures' arithmetic inside
 * ldns and OpenSSL never fails here.  The tables' answers and every
 * assertion run paused (nomem_pause): only the core's allocations count.
 */
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "../nomem.h"
#include "test_resolver.h"

/* What one run gave, to hold against the run with memory to spare. */
struct run {
	int		 rc;		/* 0, or -1: failed, see err */
	int		 rcode;
	enum res_sec	 sec;
	long		 n;		/* records, ede, ... */
	struct buf	 a;		/* a reply's bytes, a cache's contents */
	struct err	 err;
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->a, 1 << 20);
	err_clear(&r->err);
}

static void
run_fini(struct run *r)
{
	buf_fini(&r->a);
}

static bool
run_same(const struct run *x, const struct run *y)
{
	return x->rc == y->rc && x->rcode == y->rcode && x->sec == y->sec &&
	    x->n == y->n && x->a.len == y->a.len && (x->a.len == 0 ||
	    memcmp(x->a.data, y->a.data, x->a.len) == 0);
}

/* Appends to r->a (while paused). */
static void
add(struct run *r, const void *p, size_t len)
{
	ck_assert_int_eq(buf_add(&r->a, p, len, NULL), 0);
}

/* Appends to r->a, paused: the test's own memory. */
static void
note(struct run *r, const void *p, size_t len)
{
	nomem_pause(true);
	add(r, p, len);
	nomem_pause(false);
}

/* A note of a record of the run that must not depend on memory. */
static void
note_ulong(struct run *r, unsigned long v)
{
	note(r, &v, sizeof(v));
}

/* What every run works on, made with memory to spare. */
struct fixture {
	struct snet_ctx	 sc;		/* the signed root */
	struct res_resolver *sr;	/* its resolver (for the context) */
	time_t		 now;
	/* The validator's input: a zone's keys and signed data. */
	ldns_rdf	*zone, *x;
	ldns_key_list	*kl, *zl;	/* KSK, ZSK */
	ldns_rr_list	*dnskeys, *ksigs, *ds;
	ldns_rr_list	*set, *sigs;	/* www A, two records, signed */
	ldns_rr_list	*nsec_auth;	/* NSEC b..d and the apex, signed */
	ldns_rr_list	*nsec3_auth;	/* NSEC3 apex -> * -> apex, signed */
	ldns_rr_list	*wild, *wsigs;	/* x TXT from *, expanded */
	ldns_rr_list	*wild_auth;	/* the NSEC covering x, signed */
};

/* ---- resolutions ---- */

enum net {
	NET_PLAIN,		/* net_answer */
	NET_SIGNED,		/* snet_answer */
};

/* Upstream's answer to rq in wire form, or NULL (none came). */
static uint8_t *
upstream(struct fixture *f, enum net net, const struct res_request *rq,
    size_t *len)
{
	ldns_pkt	*p;
	uint8_t		*w = NULL;
	bool		 none;

	nomem_pause(true);
	p = net == NET_SIGNED ? snet_answer(rq, &f->sc) : net_answer(rq,
	    &none);
	if (p != NULL)
		ck_assert_int_eq(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	nomem_pause(false);
	return w;
}

/*
 * The reply in out as text: header, and each record as ldns prints it
 * but for the RRSIGs, of which only what they sign and their TTL: the
 * signed table signs each answer anew, and ECDSA signatures differ
 * every time.
 */
static void
note_reply(struct run *r, const uint8_t *out, size_t olen)
{
	ldns_pkt		*p;
	const ldns_rr_list	*l;
	const ldns_rr		*rr;
	char			*t, line[128];
	size_t			 i, sec;

	nomem_pause(true);
	ck_assert_int_eq(ldns_wire2pkt(&p, out, olen), LDNS_STATUS_OK);
	add(r, out + 2, 2);
	for (sec = 0; sec < 3; sec++) {
		l = sec == 0 ? ldns_pkt_answer(p) : sec == 1 ?
		    ldns_pkt_authority(p) : ldns_pkt_additional(p);
		for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
			rr = ldns_rr_list_rr(l, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG) {
				t = ldns_rdf2str(ldns_rr_owner(rr));
				snprintf(line, sizeof(line), "%zu %s RRSIG %u "
				    "%u\n", sec, t, (unsigned)ldns_rdf2rr_type(
				    ldns_rr_rrsig_typecovered(rr)),
				    (unsigned)ldns_rr_ttl(rr));
				add(r, line, strlen(line));
			} else {
				t = ldns_rr2str(rr);
				add(r, t, strlen(t));
			}
			free(t);
		}
	}
	snprintf(line, sizeof(line), "edns %d %zu\n", ldns_pkt_edns(p),
	    ldns_pkt_edns_data(p) != NULL ?
	    ldns_rdf_size(ldns_pkt_edns_data(p)) : 0);
	add(r, line, strlen(line));
	ldns_pkt_free(p);
	nomem_pause(false);
}

/*
 * Resolves (name, type) on r and answers a client's query for it (EDNS,
 * DO) with res_reply: the outcome, the reply.
 */
static void
resolve(struct fixture *f, struct res_resolver *r, enum net net,
    const char *name, uint16_t type, struct run *run)
{
	struct res_query	*q;
	struct res_request	 rq;
	struct res_req		 req;
	uint8_t			*w, *out;
	size_t			 len, olen;
	uint16_t		 id = 100;
	int			 sends = 0;

	flaky_seen = 0;
	if ((q = res_query_new(r, name, type, f->now, &run->err)) == NULL) {
		run->rc = -1;
		return;
	}
	while (res_query_next(q, f->now, id++, &rq) == RES_SEND &&
	    ++sends < 200) {
		w = upstream(f, net, &rq, &len);
		res_query_answer(q, w, w != NULL ? len : 0, 5, f->now);
		free(w);
	}
	run->rcode = res_query_rcode(q);
	run->sec = res_query_security(q);
	run->n = sends < 200 ? (long)ldns_rr_list_rr_count(
	    res_query_answer_rrs(q)) : -1;
	nomem_pause(true);
	w = query_wire(name, type, 0, &len);
	ck_assert_int_eq(res_req_parse(w, len, &req), 0);
	free(w);
	nomem_pause(false);
	if (res_reply(&req, q, 0, 65535, &out, &olen, &run->err) == 0) {
		note_reply(run, out, olen);
		free(out);
	} else
		run->rc = -1;
	res_query_free(q);
}

static const struct rcase {
	enum net	 net;
	const char	*name;
	uint16_t	 type;
} rcases[] = {
	{ NET_SIGNED, "host.", LDNS_RR_TYPE_A },	/* secure */
	{ NET_SIGNED, "host.", LDNS_RR_TYPE_MX },	/* forged: bogus */
	{ NET_SIGNED, "alias.", LDNS_RR_TYPE_A },	/* CNAME, NXDOMAIN */
	{ NET_SIGNED, "gone.", LDNS_RR_TYPE_TXT },	/* NXDOMAIN */
	{ NET_SIGNED, "short.", LDNS_RR_TYPE_A },	/* short signatures */
};
#define NRCASES	(sizeof(rcases) / sizeof(rcases[0]))

/* The (i)th resolution: rcases, then the iterator's unsigned cases. */
static void
rcase_get(size_t i, struct rcase *c)
{
	if (i < NRCASES) {
		*c = rcases[i];
		return;
	}
	c->net = NET_PLAIN;
	c->name = iter_cases[i - NRCASES].name;
	c->type = iter_cases[i - NRCASES].type;
}

static struct res_resolver *
resolver_of(struct fixture *f, enum net net)
{
	struct res_conf		 conf = { 0 };
	struct res_resolver	*r;
	struct err		 err;

	if (net == NET_SIGNED)
		snet_conf(&f->sc, &conf);
	else {
		conf.cache_bytes = 1 << 20;
		conf.max_ttl = 86400;
		conf.neg_max_ttl = 3600;
		conf.hints = ROOT_HINTS;
	}
	r = res_resolver_new(&conf, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	return r;
}

/*
 * The i-th resolution on a fresh resolver, armed with n (n < 0: not),
 * into first; then disarmed, the same question again on the same
 * resolver into again.  True if the armed failure happened.
 */
static bool
resolve_twice(struct fixture *f, size_t i, long n, struct run *first,
    struct run *again)
{
	struct res_resolver	*r;
	struct rcase		 c;
	bool			 hit = false;

	rcase_get(i, &c);
	r = resolver_of(f, c.net);
	if (n >= 0)
		nomem_arm(n);
	resolve(f, r, c.net, c.name, c.type, first);
	if (n >= 0)
		hit = nomem_disarm();
	resolve(f, r, c.net, c.name, c.type, again);
	res_resolver_free(r);
	return hit;
}

/*
 * Each resolution with its allocations failing one at a time: no query
 * (ERR_NOMEM), SERVFAIL, or the answer memory to spare gives, byte for
 * byte; and then, asked again, the answer memory to spare gives, first
 * or from the cache.
 */
START_TEST(test_resolve_nomem)
{
	struct fixture	*f = NULL;
	struct run	 want, want2, got, got2;
	struct rcase	 c;
	long		 n;
	bool		 hit;

	rcase_get((size_t)_i, &c);
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->now = time(NULL);
	f->sr = snet_setup(&f->sc, f->now);
	run_init(&want);
	run_init(&want2);
	(void)resolve_twice(f, (size_t)_i, -1, &want, &want2);
	ck_assert_msg(want.rc == 0, "%s: %s", c.name, want.err.msg);
	ck_assert_int_ge(want.n, 0);
	for (n = 0;; n++) {
		run_init(&got);
		run_init(&got2);
		hit = resolve_twice(f, (size_t)_i, n, &got, &got2);
		if (got.rc == -1)
			ck_assert_msg(hit && got.err.code == ERR_NOMEM,
			    "%s %u, allocation %ld: %d %s", c.name, c.type,
			    n + 1, got.err.code, got.err.msg);
		else
			ck_assert_msg(run_same(&got, &want) || (hit &&
			    got.rcode == LDNS_RCODE_SERVFAIL), "%s %u, "
			    "allocation %ld: rcode %d sec %d with %ld records,"
			    " not %d %d %ld", c.name, c.type, n + 1, got.rcode,
			    got.sec, got.n, want.rcode, want.sec, want.n);
		ck_assert_msg(got2.rc == 0 && (run_same(&got2, &want2) ||
		    run_same(&got2, &want)), "%s %u, allocation %ld, asked "
		    "again: rcode %d sec %d with %ld records, not %d %d %ld",
		    c.name, c.type, n + 1, got2.rcode, got2.sec, got2.n,
		    want2.rcode, want2.sec, want2.n);
		run_fini(&got);
		run_fini(&got2);
		if (!hit)
			break;
	}
	/* The last run reached its end without failing: all were tried. */
	ck_assert_int_gt(n, 5);
	run_fini(&want);
	run_fini(&want2);
	snet_teardown(&f->sc, f->sr);
	free(f);
}
END_TEST

/* ---- operations on a fixture ---- */

/* The resolver of the signed root, from hints and anchor text. */
static void
op_resolver_new(struct fixture *f, struct run *r)
{
	struct res_conf		 conf;
	struct res_resolver	*res;

	snet_conf(&f->sc, &conf);
	res = res_resolver_new(&conf, &r->err);
	r->rc = res != NULL ? 0 : -1;
	res_resolver_free(res);
}

/* A validation's outcome: secure, or bogus with ERR_NOMEM. */
static void
val_note(struct run *r, enum res_sec sec, enum res_ede ede)
{
	r->sec = sec;
	r->n = ede;
	if (sec == RES_SEC_BOGUS && r->err.code == ERR_NOMEM)
		r->rc = -1;
}

static void
op_val_rrset(struct fixture *f, struct run *r)
{
	enum res_ede	ede = RES_EDE_NONE;
	enum res_sec	sec;
	time_t		until;

	sec = res_val_rrset(f->set, f->sigs, f->dnskeys, f->zone, f->now,
	    &until, &ede, &r->err);
	val_note(r, sec, ede);
	if (r->rc == 0)
		note_ulong(r, (unsigned long)until);
}

static void
op_val_dnskeys(struct fixture *f, struct run *r)
{
	enum res_ede	ede = RES_EDE_NONE;

	val_note(r, res_val_dnskeys(f->dnskeys, f->ksigs, f->ds, f->now,
	    NULL, &ede, &r->err), ede);
}

/* NXDOMAIN for c (covered by b..d), NODATA for MX at the apex. */
static void
op_val_nsec(struct fixture *f, struct run *r)
{
	enum res_ede	 ede = RES_EDE_NONE;
	enum res_sec	 sec;
	ldns_rdf	*c;

	nomem_pause(true);
	c = ldns_dname_new_frm_str("c.example.test.");
	nomem_pause(false);
	sec = res_val_denial(c, LDNS_RR_TYPE_A, true, f->nsec_auth,
	    f->dnskeys, f->zone, f->now, NULL, &ede, &r->err);
	if (sec == RES_SEC_SECURE)
		sec = res_val_denial(f->zone, LDNS_RR_TYPE_MX, false,
		    f->nsec_auth, f->dnskeys, f->zone, f->now, NULL, &ede,
		    &r->err);
	val_note(r, sec, ede);
	ldns_rdf_deep_free(c);
}

/* NXDOMAIN for x under the NSEC3 chain apex -> wildcard -> apex: the
 * wildcard exists, so bogus; NODATA for MX at the wildcard: secure. */
static void
op_val_nsec3(struct fixture *f, struct run *r)
{
	enum res_ede	 ede = RES_EDE_NONE;
	enum res_sec	 sec;
	ldns_rdf	*w;

	nomem_pause(true);
	w = ldns_dname_new_frm_str("*.example.test.");
	nomem_pause(false);
	sec = res_val_denial(f->x, LDNS_RR_TYPE_A, true, f->nsec3_auth,
	    f->dnskeys, f->zone, f->now, NULL, &ede, &r->err);
	if (sec != RES_SEC_BOGUS || r->err.code != ERR_NOMEM) {
		note_ulong(r, (unsigned long)sec);
		err_clear(&r->err);
		sec = res_val_denial(w, LDNS_RR_TYPE_MX, false,
		    f->nsec3_auth, f->dnskeys, f->zone, f->now, NULL, &ede,
		    &r->err);
	}
	val_note(r, sec, ede);
	ldns_rdf_deep_free(w);
}

static void
op_val_wildcard(struct fixture *f, struct run *r)
{
	enum res_ede	ede = RES_EDE_NONE;
	enum res_sec	sec;

	sec = res_val_rrset(f->wild, f->wsigs, f->dnskeys, f->zone, f->now,
	    NULL, &ede, &r->err);
	if (sec == RES_SEC_SECURE)
		sec = res_val_wildcard(f->x, f->wsigs, f->wild_auth,
		    f->dnskeys, f->zone, f->now, NULL, &ede, &r->err);
	val_note(r, sec, ede);
}

/* An entry of the cache as the run saw it: present, TTL, rank, records. */
static void
note_entry(struct run *r, struct res_cache *c, const ldns_rdf *name,
    uint16_t type, time_t now)
{
	struct res_centry	*e;

	if ((e = res_cache_get(c, name, type, now)) == NULL) {
		note_ulong(r, 0);
		return;
	}
	note_ulong(r, 1);
	note_ulong(r, res_centry_ttl(e, now));
	note_ulong(r, (unsigned long)e->rank);
	note_ulong(r, (unsigned long)e->negative);
	note_ulong(r, ldns_rr_list_rr_count(e->rrs));
	note_ulong(r, ldns_rr_list_rr_count(e->sigs));
}

/*
 * One res_cache_put; if it fails (the armed allocation), the cache must
 * be as it was, and the insert is made again (no longer failing).
 */
static int
cache_put(struct run *r, struct res_cache *c, const ldns_rdf *name,
    uint16_t type, const ldns_rr_list *rrs, const ldns_rr_list *sigs,
    bool negative, uint32_t ttl, enum res_rank rank, time_t now)
{
	uint64_t	e0, b0, e1, b1;
	int		rc;

	res_cache_usage(c, &e0, &b0);
	if ((rc = res_cache_put(c, name, type, rrs, sigs, negative, ttl,
	    rank, RES_SEC_SECURE, 0, now)) != -1)
		return rc;
	res_cache_usage(c, &e1, &b1);
	if (e0 != e1 || b0 != b1) {
		err_set(&r->err, ERR_ARG, "a failed insert changed the cache");
		return -2;
	}
	return res_cache_put(c, name, type, rrs, sigs, negative, ttl, rank,
	    RES_SEC_SECURE, 0, now);
}

/*
 * The RRset cache: answers, glue that must not replace them, an answer
 * that replaces glue, negative entries, then enough names to evict the
 * oldest; then what each name holds.
 */
static void
op_cache(struct fixture *f, struct run *r)
{
	static const char *const names[] = { "a.test.", "b.test.",
	    "c.test.", "d.test.", "e.test.", "f.test.", "g.test.",
	    "h.test.", "i.test.", "j.test.", "k.test.", "l.test." };
	struct res_cache	*c;
	ldns_rdf		*n[12];
	ldns_rr_list		*l;
	size_t			 i;
	int			 rc;

	(void)f;
	nomem_pause(true);
	for (i = 0; i < 12; i++)
		n[i] = ldns_dname_new_frm_str(names[i]);
	l = rrs("x.test. 300 IN TXT \"a record of some size, to fill the "
	    "cache\"", "x.test. 600 IN TXT \"another\"");
	nomem_pause(false);
	if ((c = res_cache_new(4096, 10, 3600, 900, 7)) == NULL) {
		err_set(&r->err, ERR_NOMEM, "res_cache_new: no cache");
		r->rc = -1;
		goto out;
	}
	for (i = 0; i < 12; i++) {
		rc = cache_put(r, c, n[i], LDNS_RR_TYPE_TXT, l, f->sigs,
		    false, 0, RES_RANK_ANSWER, 1000 + (time_t)i);
		note_ulong(r, (unsigned long)(rc + 2));
		/* Glue never replaces an answer; an answer replaces glue. */
		rc = cache_put(r, c, n[i], LDNS_RR_TYPE_TXT, l, NULL, false,
		    0, RES_RANK_GLUE, 1000 + (time_t)i);
		note_ulong(r, (unsigned long)(rc + 2));
		rc = cache_put(r, c, n[i], LDNS_RR_TYPE_A, f->set, NULL,
		    false, 0, RES_RANK_GLUE, 1000 + (time_t)i);
		note_ulong(r, (unsigned long)(rc + 2));
		rc = cache_put(r, c, n[i], LDNS_RR_TYPE_A, f->set, NULL,
		    false, 0, RES_RANK_ANSWER, 1000 + (time_t)i);
		note_ulong(r, (unsigned long)(rc + 2));
		rc = cache_put(r, c, n[i], 0, NULL, NULL, true, 86400,
		    RES_RANK_ANSWER, 1000 + (time_t)i);
		note_ulong(r, (unsigned long)(rc + 2));
		if (r->err.code == ERR_ARG)
			break;
	}
	if (r->err.code == ERR_ARG)
		r->rc = -1;
	for (i = 0; r->rc == 0 && i < 12; i++) {
		note_entry(r, c, n[i], LDNS_RR_TYPE_TXT, 1100);
		note_entry(r, c, n[i], LDNS_RR_TYPE_A, 1100);
		note_entry(r, c, n[i], 0, 1100);
	}
	res_cache_free(c);
out:
	for (i = 0; i < 12; i++)
		ldns_rdf_deep_free(n[i]);
	ldns_rr_list_deep_free(l);
}

/* A client's query (EDNS, DO) and an answer to it, built by res_reply
 * from records, in wire form. */
static uint8_t *
answer_wire(const char *name, struct res_req *req, size_t *len)
{
	ldns_pkt	*p;
	ldns_rr		*rr;
	uint8_t		*w;
	size_t		 qlen;
	char		 text[128];

	w = query_wire(name, LDNS_RR_TYPE_TXT, 0, &qlen);
	ck_assert_int_eq(res_req_parse(w, qlen, req), 0);
	free(w);
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, req->id);
	ldns_pkt_set_qr(p, true);
	snprintf(text, sizeof(text), "%s IN TXT", name);
	ck_assert_int_eq(ldns_rr_new_question_frm_str(&rr, text, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	snprintf(text, sizeof(text), "%s 300 IN TXT \"an answer of %s\"",
	    name, name);
	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_pkt_set_edns_udp_size(p, 1232);
	ck_assert_int_eq(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

/*
 * The answers cache: answers put and got again at once (a put that
 * failed is made again), more than its bound holds; then which are
 * left, and their bytes.
 */
static void
op_msgcache(struct fixture *f, struct run *r)
{
	struct res_msgcache	*mc;
	struct res_req		 req[8];
	uint8_t			*w[8], buf[1024];
	size_t			 len[8], olen, i;
	char			 name[32];

	(void)f;
	nomem_pause(true);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "n%zu.example.test.", i);
		w[i] = answer_wire(name, &req[i], &len[i]);
	}
	nomem_pause(false);
	if ((mc = res_msgcache_new(600, 7)) == NULL) {
		err_set(&r->err, ERR_NOMEM, "res_msgcache_new: no cache");
		r->rc = -1;
		goto out;
	}
	for (i = 0; i < 8; i++) {
		res_msgcache_put(mc, &req[i], w[i], len[i], 1000);
		if (res_msgcache_get(mc, &req[i], 1000, buf, sizeof(buf),
		    &olen) == -1)
			res_msgcache_put(mc, &req[i], w[i], len[i], 1000);
	}
	for (i = 0; i < 8; i++) {
		if (res_msgcache_get(mc, &req[i], 1010, buf, sizeof(buf),
		    &olen) == -1)
			note_ulong(r, 0);
		else
			note(r, buf, olen);
	}
	res_msgcache_free(mc);
out:
	for (i = 0; i < 8; i++)
		free(w[i]);
}

/* CHAOS answers: stats, and one too large for the client. */
static void
op_chaos(struct fixture *f, struct run *r)
{
	static const char *const txt[] = { "queries=3", "bogus=0" };
	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0,
	    0, 0, 5, 's', 't', 'a', 't', 's', 6, 't', 'i', 'm', 'b', 'r',
	    'e', 0, 0, 16, 0, 3 };
	struct res_req	 req;
	uint8_t		*out;
	size_t		 olen;

	(void)f;
	if (res_req_parse(q, sizeof(q), &req) == -1) {
		err_set(&r->err, ERR_ARG, "res_req_parse failed");
		r->rc = -1;
		return;
	}
	if (res_chaos_reply(&req, txt, 2, 512, &out, &olen, &r->err) == -1) {
		r->rc = -1;
		return;
	}
	note(r, out, olen);
	free(out);
	if (res_chaos_reply(&req, txt, 2, 40, &out, &olen, &r->err) == -1) {
		r->rc = -1;
		return;
	}
	note(r, out, olen);
	free(out);
}

static const struct {
	const char	*what;
	void		(*fn)(struct fixture *, struct run *);
	int		 min;		/* allocations at least */
} ops[] = {
	{ "res_resolver_new", op_resolver_new, 5 },
	{ "res_val_rrset", op_val_rrset, 3 },
	{ "res_val_dnskeys", op_val_dnskeys, 3 },
	{ "res_val_denial, nsec", op_val_nsec, 10 },
	{ "res_val_denial, nsec3", op_val_nsec3, 10 },
	{ "res_val_wildcard", op_val_wildcard, 10 },
	{ "the rrset cache", op_cache, 20 },
	{ "the answers cache", op_msgcache, 5 },
	{ "res_chaos_reply", op_chaos, 5 },
};

/* A key of zone for kl, its DNSKEY pushed to keys. */
static void
fixture_key(struct fixture *f, ldns_key_list **kl, uint16_t flags)
{
	ldns_key	*k = zone_key(f->zone, flags, f->now);

	*kl = ldns_key_list_new();
	ldns_key_list_push_key(*kl, k);
	ldns_rr_list_push_rr(f->dnskeys, ldns_key2rr(k));
}

/* Adds text's record and its signature by f->zl to auth. */
static void
fixture_signed(struct fixture *f, ldns_rr_list *auth, const char *text)
{
	ldns_rr_list	*set = rrs(text, NULL), *sigs;

	sigs = signed_set(set, f->zl);
	ldns_rr_list_cat(auth, set);
	ldns_rr_list_cat(auth, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
}

/* The NSEC3 owner label of name (SHA-1, 5 iterations, salt abcd). */
static void
nsec3_label(const char *name, char *buf, size_t len)
{
	static const uint8_t	 salt[] = { 0xab, 0xcd };
	ldns_rdf		*n = ldns_dname_new_frm_str(name), *h;
	char			*s;

	ck_assert_ptr_nonnull(h = ldns_nsec3_hash_name(n, 1, 5, 2, salt));
	ck_assert_ptr_nonnull(s = ldns_rdf2str(h));
	s[strcspn(s, ".")] = '\0';
	snprintf(buf, len, "%s", s);
	free(s);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
}

static void
fixture_init(struct fixture *f)
{
	char	 a[64], w[64], t[256];
	size_t	 i;

	memset(f, 0, sizeof(*f));
	f->now = time(NULL);
	f->sr = snet_setup(&f->sc, f->now);
	f->zone = ldns_dname_new_frm_str("example.test.");
	f->x = ldns_dname_new_frm_str("x.example.test.");
	f->dnskeys = ldns_rr_list_new();
	fixture_key(f, &f->kl, 257);
	fixture_key(f, &f->zl, 256);
	f->ksigs = signed_set(f->dnskeys, f->kl);
	f->ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(f->ds, ldns_key_rr2ds(ldns_rr_list_rr(f->dnskeys,
	    0), LDNS_SHA256));
	f->set = rrs("www.example.test. 300 IN A 192.0.2.1",
	    "www.example.test. 300 IN A 192.0.2.2");
	f->sigs = signed_set(f->set, f->zl);
	f->nsec_auth = ldns_rr_list_new();
	fixture_signed(f, f->nsec_auth, "b.example.test. 300 IN NSEC "
	    "d.example.test. A RRSIG NSEC");
	fixture_signed(f, f->nsec_auth, "example.test. 300 IN NSEC "
	    "b.example.test. A NS SOA RRSIG NSEC DNSKEY");
	nsec3_label("example.test.", a, sizeof(a));
	nsec3_label("*.example.test.", w, sizeof(w));
	f->nsec3_auth = ldns_rr_list_new();
	snprintf(t, sizeof(t), "%s.example.test. 300 IN NSEC3 1 0 5 abcd %s "
	    "SOA NS RRSIG DNSKEY NSEC3PARAM", a, w);
	fixture_signed(f, f->nsec3_auth, t);
	snprintf(t, sizeof(t), "%s.example.test. 300 IN NSEC3 1 0 5 abcd %s "
	    "TXT RRSIG", w, a);
	fixture_signed(f, f->nsec3_auth, t);
	/* Signed at the wildcard, then expanded to x as a server does. */
	f->wild = rrs("*.example.test. 300 IN TXT \"w\"", NULL);
	f->wsigs = signed_set(f->wild, f->zl);
	ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(f->wild, 0)));
	ldns_rr_set_owner(ldns_rr_list_rr(f->wild, 0), ldns_rdf_clone(f->x));
	for (i = 0; i < ldns_rr_list_rr_count(f->wsigs); i++) {
		ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(f->wsigs, i)));
		ldns_rr_set_owner(ldns_rr_list_rr(f->wsigs, i),
		    ldns_rdf_clone(f->x));
	}
	f->wild_auth = ldns_rr_list_new();
	fixture_signed(f, f->wild_auth, "*.example.test. 300 IN NSEC "
	    "example.test. TXT RRSIG NSEC");
}

static void
fixture_fini(struct fixture *f)
{
	snet_teardown(&f->sc, f->sr);
	ldns_rdf_deep_free(f->zone);
	ldns_rdf_deep_free(f->x);
	ldns_key_list_free(f->kl);
	ldns_key_list_free(f->zl);
	ldns_rr_list_deep_free(f->dnskeys);
	ldns_rr_list_deep_free(f->ksigs);
	ldns_rr_list_deep_free(f->ds);
	ldns_rr_list_deep_free(f->set);
	ldns_rr_list_deep_free(f->sigs);
	ldns_rr_list_deep_free(f->nsec_auth);
	ldns_rr_list_deep_free(f->nsec3_auth);
	ldns_rr_list_deep_free(f->wild);
	ldns_rr_list_deep_free(f->wsigs);
	ldns_rr_list_deep_free(f->wild_auth);
}

START_TEST(test_op_nomem)
{
	struct fixture	*f;
	struct run	 want, got;
	long		 n;
	bool		 hit;

	ck_assert_ptr_nonnull(f = calloc(1, sizeof(*f)));
	fixture_init(f);
	run_init(&want);
	ops[_i].fn(f, &want);
	ck_assert_msg(want.rc == 0, "%s: %s", ops[_i].what, want.err.msg);
	for (n = 0;; n++) {
		run_init(&got);
		nomem_arm(n);
		ops[_i].fn(f, &got);
		hit = nomem_disarm();
		if (got.rc == -1)
			ck_assert_msg(hit && got.err.code == ERR_NOMEM,
			    "%s, allocation %ld: %d %s", ops[_i].what, n + 1,
			    got.err.code, got.err.msg);
		else
			ck_assert_msg(run_same(&got, &want), "%s, allocation "
			    "%ld: not as with memory to spare (sec %d, %d %s)",
			    ops[_i].what, n + 1, got.sec, got.err.code,
			    got.err.msg);
		run_fini(&got);
		if (!hit)
			break;
	}
	ck_assert_msg(n >= ops[_i].min, "%s: %ld allocations", ops[_i].what,
	    n);
	run_fini(&want);
	fixture_fini(f);
	free(f);
}
END_TEST

TCase *
res_nomem_tcase(void)
{
	TCase	*tc;

	tc = tcase_create("nomem");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_op_nomem, 0, sizeof(ops) / sizeof(ops[0]));
	tcase_add_loop_test(tc, test_resolve_nomem, 0,
	    (int)(NRCASES + n_iter_cases));
	return tc;
}
