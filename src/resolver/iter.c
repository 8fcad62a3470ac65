/*
 * iter.c: iterative resolution (RFC 1034 section 5.3.3, RFC 1035 section
 * 7), without I/O.  A client question is a stack of goals: the question
 * itself, and on top of it the side look-ups it needs: the address of a
 * name server given without glue, the DNSKEY RRset of a signed zone.  Each
 * goal walks down from the closest zone cut in the cache (the root hints
 * at worst), asking the zone's servers in order of measured RTT, skipping
 * lame and unreachable ones, until an answer, a denial or a failure.
 *
 * What is kept from an answer is checked against the zone asked
 * (bailiwick): a referral must delegate a name below that zone and above
 * the question, glue must lie inside the zone, answer records must lie
 * inside the zone.  With DNSSEC, each zone cut carries the validated DS
 * RRset (RFC 4035 section 5.2) or the validated proof that there is none
 * (an insecure delegation); every answer RRset and denial from a secure
 * zone is checked against the zone's DNSKEYs, themselves checked against
 * the DS or the trust anchors.  Questions are minimised (RFC 9156: a
 * zone sees one label more than its own name, type A) and sent with
 * their letters in random case (0x20), which the answer must echo.
 * Limits bound the work of one question:
 * RES_MAX_REFERRALS, RES_MAX_CNAMES, RES_MAX_SENDS and
 * RES_MAX_DEPTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "resolver/res_priv.h"
#include "util/err.h"

#define MAX_SERVERS	32	/* addresses tried per zone and goal */
#define RTT_SLOTS	1024	/* servers whose RTT is remembered */
#define RTT_INITIAL	200	/* ms, for a server never asked */
#define RTT_TIMEOUT	3000	/* ms, charged for a timeout */
#define UPSTREAM_EDNS	1232
#define RES_MAX_STEPS	4096	/* goal steps per client query */
#define RES_SERVER_TRIES	2	/* attempts per server and goal */

/* Built-in root hints (https://www.internic.net/domain/named.root). */
static const char builtin_hints[] =
    ". 3600000 NS a.root-servers.net.\n"
    ". 3600000 NS b.root-servers.net.\n"
    ". 3600000 NS c.root-servers.net.\n"
    ". 3600000 NS d.root-servers.net.\n"
    ". 3600000 NS e.root-servers.net.\n"
    ". 3600000 NS f.root-servers.net.\n"
    ". 3600000 NS g.root-servers.net.\n"
    ". 3600000 NS h.root-servers.net.\n"
    ". 3600000 NS i.root-servers.net.\n"
    ". 3600000 NS j.root-servers.net.\n"
    ". 3600000 NS k.root-servers.net.\n"
    ". 3600000 NS l.root-servers.net.\n"
    ". 3600000 NS m.root-servers.net.\n"
    "a.root-servers.net. 3600000 A 198.41.0.4\n"
    "a.root-servers.net. 3600000 AAAA 2001:503:ba3e::2:30\n"
    "b.root-servers.net. 3600000 A 170.247.170.2\n"
    "b.root-servers.net. 3600000 AAAA 2801:1b8:10::b\n"
    "c.root-servers.net. 3600000 A 192.33.4.12\n"
    "c.root-servers.net. 3600000 AAAA 2001:500:2::c\n"
    "d.root-servers.net. 3600000 A 199.7.91.13\n"
    "d.root-servers.net. 3600000 AAAA 2001:500:2d::d\n"
    "e.root-servers.net. 3600000 A 192.203.230.10\n"
    "e.root-servers.net. 3600000 AAAA 2001:500:a8::e\n"
    "f.root-servers.net. 3600000 A 192.5.5.241\n"
    "f.root-servers.net. 3600000 AAAA 2001:500:2f::f\n"
    "g.root-servers.net. 3600000 A 192.112.36.4\n"
    "g.root-servers.net. 3600000 AAAA 2001:500:12::d0d\n"
    "h.root-servers.net. 3600000 A 198.97.190.53\n"
    "h.root-servers.net. 3600000 AAAA 2001:500:1::53\n"
    "i.root-servers.net. 3600000 A 192.36.148.17\n"
    "i.root-servers.net. 3600000 AAAA 2001:7fe::53\n"
    "j.root-servers.net. 3600000 A 192.58.128.30\n"
    "j.root-servers.net. 3600000 AAAA 2001:503:c27::2:30\n"
    "k.root-servers.net. 3600000 A 193.0.14.129\n"
    "k.root-servers.net. 3600000 AAAA 2001:7fd::1\n"
    "l.root-servers.net. 3600000 A 199.7.83.42\n"
    "l.root-servers.net. 3600000 AAAA 2001:500:9f::42\n"
    "m.root-servers.net. 3600000 A 202.12.27.33\n"
    "m.root-servers.net. 3600000 AAAA 2001:dc3::35\n";

/* The root KSKs: KSK-2017 (20326) and KSK-2024 (38696). */
static const char builtin_anchors[] =
    ". 86400 IN DS 20326 8 2 "
    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". 86400 IN DS 38696 8 2 "
    "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

struct rtt_slot {
	struct sockaddr_storage	 addr;
	socklen_t		 len;
	unsigned		 srtt;
};

struct res_resolver {
	struct res_conf	 conf;
	struct res_cache	*cache;
	ldns_rr_list		*hints;
	ldns_rr_list		*anchors;
	ldns_rdf		*root;
	struct rtt_slot		 rtt[RTT_SLOTS];
	struct res_stats	 stats;
};

enum goal_kind {
	GOAL_MAIN,		/* the client's question */
	GOAL_ADDR,		/* an address of a name server */
	GOAL_DNSKEY,		/* a zone's keys */
	GOAL_DS,		/* the DS of a zone found by its signatures */
};

struct server {
	struct sockaddr_storage	 addr;
	socklen_t		 len;
	bool			 tried;
	bool			 noedns;	/* it answered FORMERR to EDNS */
	bool			 tcp;		/* it answered truncated */
	bool			 no0x20;	/* it does not echo case */
	int			 timeouts;	/* unanswered attempts */
};

struct goal {
	enum goal_kind		 kind;
	ldns_rdf		*qname;
	uint16_t		 qtype;
	ldns_rdf		*zone;		/* the zone asked; NULL: find */
	enum res_sec		 zsec;		/* its security */
	ldns_rr_list		*keys;		/* its trusted DNSKEYs */
	ldns_rr_list		*ns;		/* its NS RRset */
	struct server		 srv[MAX_SERVERS];
	size_t			 nsrv;
	size_t			 cur;		/* the server asked */
	size_t			 ns_next;	/* next glueless NS to resolve */
	int			 referrals;
	bool			 done;
	/* QNAME minimisation (RFC 9156): what was asked of the zone. */
	ldns_rdf		*asked;
	uint16_t		 asked_type;
	bool			 asked_0x20;	/* in random case */
	int			 qmin_extra;	/* labels past zone + 1 */
	bool			 qmin_off;	/* full names for this zone */
};

struct res_query {
	struct res_resolver	*r;
	struct goal		*stack[RES_MAX_DEPTH];
	int			 depth;
	int			 cnames;
	int			 sends;
	int			 steps;		/* of res_query_next's loop */
	bool			 done;
	int			 rcode;
	enum res_sec		 sec;
	enum res_ede		 ede;
	char			 ede_text[160];
	ldns_rr_list		*answer;	/* records and RRSIGs */
	ldns_rr_list		*authority;	/* denial: SOA, NSEC(3) */
	uint8_t			*wire;		/* the pending request */
	uint16_t		 id;
	bool			 waiting;
};

/* ---- set-up ---- */

static ldns_rr_list *
rrs_parse(const char *text, struct err *err, int code, const char *what)
{
	ldns_rr_list	*l;
	ldns_rr		*rr;
	ldns_rdf	*origin = NULL, *prev = NULL;
	uint32_t	 ttl = 3600;
	int		 line = 0;
	ldns_status	 st;
	FILE		*f;

	if ((l = ldns_rr_list_new()) == NULL ||
	    (f = fmemopen((void *)(uintptr_t)text, strlen(text), "r")) ==
	    NULL) {
		ldns_rr_list_free(l);
		err_set(err, ERR_NOMEM, "%s: out of memory", what);
		return NULL;
	}
	while (!feof(f)) {
		st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN ||
		    st == LDNS_STATUS_SYNTAX_INCLUDE)
			continue;
		if (st == LDNS_STATUS_OK && !ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_free(rr);
			st = LDNS_STATUS_MEM_ERR;
		}
		if (st != LDNS_STATUS_OK) {
			if (st == LDNS_STATUS_MEM_ERR)
				err_set(err, ERR_NOMEM, "%s: out of memory",
				    what);
			else
				err_set(err, code, "%s: line %d: %s", what,
				    line, ldns_get_errorstr_by_id(st));
			ldns_rr_list_deep_free(l);
			l = NULL;
			break;
		}
	}
	fclose(f);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (l != NULL && ldns_rr_list_rr_count(l) == 0) {
		err_set(err, code, "%s: no records", what);
		ldns_rr_list_free(l);
		l = NULL;
	}
	return l;
}

struct res_resolver *
res_resolver_new(const struct res_conf *conf, struct err *err)
{
	struct res_resolver	*r;
	ldns_rr_list		*ns;
	size_t			 i;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		err_set(err, ERR_NOMEM, "resolver: out of memory");
		return NULL;
	}
	r->conf = *conf;
	r->conf.hints = r->conf.anchors = NULL;
	if ((r->hints = rrs_parse(conf->hints ? conf->hints : builtin_hints,
	    err, RES_E_HINTS, "root hints")) == NULL)
		goto fail;
	if ((r->root = ldns_dname_new_frm_str(".")) == NULL ||
	    (ns = res_rrs_select(r->hints, r->root, LDNS_RR_TYPE_NS)) ==
	    NULL) {
		err_set(err, ERR_NOMEM, "resolver: out of memory");
		goto fail;
	}
	i = ldns_rr_list_rr_count(ns);
	ldns_rr_list_deep_free(ns);
	if (i == 0) {
		err_set(err, RES_E_HINTS, "root hints: no NS for the root");
		goto fail;
	}
	if (conf->dnssec && (r->anchors = rrs_parse(conf->anchors ?
	    conf->anchors : builtin_anchors, err, RES_E_ANCHOR,
	    "trust anchors")) == NULL)
		goto fail;
	for (i = 0; r->anchors && i < ldns_rr_list_rr_count(r->anchors);
	    i++) {
		ldns_rr	*a = ldns_rr_list_rr(r->anchors, i);

		if (ldns_rr_get_type(a) != LDNS_RR_TYPE_DS &&
		    ldns_rr_get_type(a) != LDNS_RR_TYPE_DNSKEY) {
			err_set(err, RES_E_ANCHOR, "trust anchors: record "
			    "%zu is neither DS nor DNSKEY", i + 1);
			goto fail;
		}
		if (ldns_dname_compare(ldns_rr_owner(a), r->root) != 0) {
			err_set(err, RES_E_ANCHOR, "trust anchors: record "
			    "%zu: only root anchors are supported", i + 1);
			goto fail;
		}
	}
	if ((r->cache = res_cache_new(conf->cache_bytes, conf->min_ttl,
	    conf->max_ttl, conf->neg_max_ttl, conf->hash_seed)) == NULL) {
		err_set(err, ERR_NOMEM, "resolver: out of memory");
		goto fail;
	}
	return r;
fail:
	res_resolver_free(r);
	return NULL;
}

void
res_resolver_free(struct res_resolver *r)
{
	if (r == NULL)
		return;
	res_cache_free(r->cache);
	ldns_rr_list_deep_free(r->hints);
	ldns_rr_list_deep_free(r->anchors);
	ldns_rdf_deep_free(r->root);
	free(r);
}

void
res_resolver_flush(struct res_resolver *r)
{
	res_cache_flush(r->cache);
}

void
res_resolver_stats(const struct res_resolver *r, struct res_stats *out)
{
	*out = r->stats;
	res_cache_usage(r->cache, &out->cache_entries, &out->cache_bytes);
}

/* ---- RTT ---- */

static bool
addr_equal(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static struct rtt_slot *
rtt_slot(struct res_resolver *r, const struct server *s)
{
	const uint8_t	*p = (const uint8_t *)&s->addr;
	uint32_t	 h = 2166136261u;
	socklen_t	 i;

	for (i = 0; i < s->len; i++)
		h = (h ^ p[i]) * 16777619u;
	return &r->rtt[h % RTT_SLOTS];
}

static unsigned
rtt_get(struct res_resolver *r, const struct server *s)
{
	struct rtt_slot	*t = rtt_slot(r, s);

	return addr_equal(&t->addr, t->len, &s->addr, s->len) ? t->srtt :
	    RTT_INITIAL;
}

/* Smoothed RTT (RFC 6298's 7/8 weighting); a new server takes the slot. */
static void
rtt_update(struct res_resolver *r, const struct server *s, unsigned ms)
{
	struct rtt_slot	*t = rtt_slot(r, s);

	if (!addr_equal(&t->addr, t->len, &s->addr, s->len)) {
		memcpy(&t->addr, &s->addr, s->len);
		t->len = s->len;
		t->srtt = ms;
		return;
	}
	t->srtt = (t->srtt * 7 + ms) / 8;
}

/* ---- goals ---- */

static void
goal_free(struct goal *g)
{
	if (g == NULL)
		return;
	ldns_rdf_deep_free(g->qname);
	ldns_rdf_deep_free(g->zone);
	ldns_rdf_deep_free(g->asked);
	ldns_rr_list_deep_free(g->keys);
	ldns_rr_list_deep_free(g->ns);
	free(g);
}

/* Forgets the zone being asked, so the next step finds the cut anew. */
static void
goal_reset_zone(struct goal *g)
{
	ldns_rdf_deep_free(g->zone);
	ldns_rr_list_deep_free(g->keys);
	ldns_rr_list_deep_free(g->ns);
	g->zone = NULL;
	g->keys = g->ns = NULL;
	g->nsrv = g->cur = g->ns_next = 0;
	g->zsec = RES_SEC_UNKNOWN;
	g->qmin_extra = 0;
	g->qmin_off = false;
}

/* 0 pushed; -1 too deep or a loop; -2 without memory. */
static int
goal_push(struct res_query *q, enum goal_kind kind, const ldns_rdf *name,
    uint16_t type)
{
	struct goal	*g;
	int		 i;

	if (q->depth >= RES_MAX_DEPTH)
		return -1;
	/* A look-up already under way below would loop. */
	for (i = 0; i < q->depth; i++)
		if (q->stack[i]->qtype == type &&
		    ldns_dname_compare(q->stack[i]->qname, name) == 0)
			return -1;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -2;
	if ((g->qname = ldns_dname_clone_from(name, 0)) == NULL) {
		free(g);
		return -2;
	}
	ldns_dname2canonical(g->qname);
	g->kind = kind;
	g->qtype = type;
	q->stack[q->depth++] = g;
	return 0;
}

static void
query_fail(struct res_query *q, enum res_ede ede, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

/* Ends the whole query with SERVFAIL (bogus when ede is a DNSSEC code). */
static void
query_fail(struct res_query *q, enum res_ede ede, const char *fmt, ...)
{
	va_list	ap;

	/* A validation failure found first says more: keep it (not the
	 * note that an insecure proof was too costly). */
	if (q->ede == RES_EDE_NONE || q->ede_text[0] == '\0' ||
	    q->ede == RES_EDE_NSEC3_ITER) {
		va_start(ap, fmt);
		vsnprintf(q->ede_text, sizeof(q->ede_text), fmt, ap);
		va_end(ap);
		q->ede = ede;
	}
	q->rcode = LDNS_RCODE_SERVFAIL;
	/* Nothing of a failed resolution reaches the client. */
	ldns_rr_list_deep_free(q->answer);
	ldns_rr_list_deep_free(q->authority);
	q->answer = ldns_rr_list_new();
	q->authority = ldns_rr_list_new();
	if (ede >= RES_EDE_DNSSEC_BOGUS && ede <= RES_EDE_NSEC_MISSING)
		q->sec = RES_SEC_BOGUS;
	q->done = true;
}

/*
 * A bogus entry just stored for (name, type) keeps the reason the query
 * found (q->ede), which later answers from the cache then give too; so
 * does an insecure one that is so for its NSEC3 iterations (EDE 27).
 */
static void
cache_note_ede(struct res_query *q, const ldns_rdf *name, uint16_t type,
    enum res_sec sec, time_t now)
{
	struct res_centry	*e;

	if (q->ede == RES_EDE_NONE || !(sec == RES_SEC_BOGUS ||
	    (sec == RES_SEC_INSECURE && q->ede == RES_EDE_NSEC3_ITER)))
		return;
	if ((e = res_cache_get(q->r->cache, name, type, now)) != NULL &&
	    e->sec == sec && e->ede == RES_EDE_NONE)
		e->ede = q->ede;
}

/* The reason a cached entry is bogus, for a SERVFAIL that rests on it. */
static void
query_ede_from(struct res_query *q, const struct res_centry *e)
{
	if (q->ede == RES_EDE_NONE && e != NULL && e->ede != RES_EDE_NONE) {
		q->ede = e->ede;
		snprintf(q->ede_text, sizeof(q->ede_text), "cached: failed "
		    "validation");
	}
}

/* Folds the security of one piece into the answer's. */
static void
query_sec(struct res_query *q, enum res_sec s)
{
	if (s == RES_SEC_BOGUS || q->sec == RES_SEC_BOGUS)
		q->sec = RES_SEC_BOGUS;
	else if (s == RES_SEC_INSECURE || s == RES_SEC_UNKNOWN ||
	    q->sec == RES_SEC_INSECURE)
		q->sec = s == RES_SEC_UNKNOWN && q->sec == RES_SEC_UNKNOWN ?
		    RES_SEC_UNKNOWN : RES_SEC_INSECURE;
}

/*
 * Adds copies of the records of from to q's list to (its answer or
 * authority).  Without memory the query fails (SERVFAIL): an answer
 * with records missing would be a wrong one.  -1 then.
 */
static int
list_add_all(struct res_query *q, ldns_rr_list *to, const ldns_rr_list *from)
{
	size_t	i;

	for (i = 0; to != NULL && from != NULL &&
	    i < ldns_rr_list_rr_count(from); i++)
		if (res_rr_push_copy(to, ldns_rr_list_rr(from, i)) == -1) {
			query_fail(q, RES_EDE_OTHER, "out of memory");
			return -1;
		}
	return 0;
}

/* Sets every record's TTL to ttl (answers from the cache count down). */
static int
list_add_ttl(struct res_query *q, ldns_rr_list *to, const ldns_rr_list *from,
    uint32_t ttl)
{
	size_t	i, n = to != NULL ? ldns_rr_list_rr_count(to) : 0;

	if (list_add_all(q, to, from) == -1)
		return -1;
	for (i = n; to != NULL && i < ldns_rr_list_rr_count(to); i++)
		ldns_rr_set_ttl(ldns_rr_list_rr(to, i), ttl);
	return 0;
}

struct res_query *
res_query_new(struct res_resolver *r, const char *qname, uint16_t qtype,
    time_t now, struct err *err)
{
	struct res_query	*q;
	ldns_rdf		*name = NULL;
	ldns_status		 st;

	(void)now;
	if ((st = ldns_str2rdf_dname(&name, qname)) != LDNS_STATUS_OK) {
		if (st == LDNS_STATUS_MEM_ERR)
			err_set(err, ERR_NOMEM, "resolver: out of memory");
		else
			err_set(err, DNS_E_NAME, "%s: not a domain name",
			    qname);
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->answer = ldns_rr_list_new()) == NULL ||
	    (q->authority = ldns_rr_list_new()) == NULL ||
	    goal_push(q, GOAL_MAIN, name, qtype) != 0) {
		ldns_rdf_deep_free(name);
		res_query_free(q);
		err_set(err, ERR_NOMEM, "resolver: out of memory");
		return NULL;
	}
	ldns_rdf_deep_free(name);
	q->r = r;
	q->sec = r->conf.dnssec ? RES_SEC_SECURE : RES_SEC_UNKNOWN;
	q->ede = RES_EDE_NONE;
	r->stats.queries++;
	return q;
}

void
res_query_free(struct res_query *q)
{
	int	i;

	if (q == NULL)
		return;
	for (i = 0; i < q->depth; i++)
		goal_free(q->stack[i]);
	ldns_rr_list_deep_free(q->answer);
	ldns_rr_list_deep_free(q->authority);
	free(q->wire);
	free(q);
}

int
res_query_rcode(const struct res_query *q)
{
	return q->rcode;
}

enum res_sec
res_query_security(const struct res_query *q)
{
	return q->sec;
}

enum res_ede
res_query_ede(const struct res_query *q, const char **text_out)
{
	if (text_out != NULL)
		*text_out = q->ede_text;
	return q->ede;
}

const ldns_rr_list *
res_query_answer_rrs(const struct res_query *q)
{
	return q->answer;
}

const ldns_rr_list *
res_query_authority_rrs(const struct res_query *q)
{
	return q->authority;
}

/* ---- the cache side ---- */

/*
 * The target of name under a DNAME at owner pointing to to (RFC 6672
 * section 2.2): name with the owner suffix replaced.  NULL when too long.
 */
static ldns_rdf *
dname_subst(const ldns_rdf *name, const ldns_rdf *owner, const ldns_rdf *to)
{
	char		*ns, *os, *ts, buf[600];
	ldns_rdf	*target = NULL;
	size_t		 nl, ol;

	if (name == NULL || owner == NULL || to == NULL ||
	    ldns_rdf_get_type(to) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	ns = ldns_rdf2str(name);
	os = ldns_rdf2str(owner);
	ts = ldns_rdf2str(to);
	if (ns != NULL && os != NULL && ts != NULL &&
	    (nl = strlen(ns)) > (ol = strlen(os)) &&
	    (size_t)snprintf(buf, sizeof(buf), "%.*s%s", (int)(nl - ol), ns,
	    strcmp(ts, ".") == 0 ? "" : ts) < sizeof(buf) &&
	    (target = ldns_dname_new_frm_str(buf)) != NULL &&
	    ldns_rdf_size(target) > 255) {
		ldns_rdf_deep_free(target);
		target = NULL;
	}
	free(ns);
	free(os);
	free(ts);
	if (target != NULL)
		ldns_dname2canonical(target);
	return target;
}

/* Adds to the answer the CNAME from owner to target that a DNAME
 * implies.  -1 (the query failed) without memory. */
static int
answer_cname(struct res_query *q, const ldns_rdf *owner,
    const ldns_rdf *target, uint32_t ttl)
{
	ldns_rr		*cn;
	ldns_rdf	*o = NULL, *t = NULL;

	if ((cn = ldns_rr_new()) == NULL ||
	    (o = ldns_rdf_clone(owner)) == NULL ||
	    (t = ldns_rdf_clone(target)) == NULL)
		goto nomem;
	ldns_rr_set_owner(cn, o);
	o = NULL;
	ldns_rr_set_type(cn, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_class(cn, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(cn, ttl);
	if (!ldns_rr_push_rdf(cn, t))
		goto nomem;
	t = NULL;
	if (q->answer == NULL || !ldns_rr_list_push_rr(q->answer, cn))
		goto nomem;
	return 0;
nomem:
	ldns_rr_free(cn);
	ldns_rdf_deep_free(o);
	ldns_rdf_deep_free(t);
	query_fail(q, RES_EDE_OTHER, "out of memory");
	return -1;
}

/*
 * A cached DNAME above g's name: adds it and the CNAME it implies to the
 * answer and moves g to the target.  true when one was found (or the
 * query failed for want of memory).
 */
static bool
dname_from_cache(struct res_query *q, struct goal *g, time_t now)
{
	struct res_centry	*e = NULL;
	ldns_rdf		*up, *next, *target;
	uint32_t		 ttl;

	up = ldns_dname_left_chop(g->qname);
	while (up != NULL && ldns_dname_label_count(up) > 0) {
		e = res_cache_get(q->r->cache, up, LDNS_RR_TYPE_DNAME, now);
		if (e != NULL && !e->negative && e->rank == RES_RANK_ANSWER &&
		    ldns_rr_list_rr_count(e->rrs) > 0)
			break;
		e = NULL;
		next = ldns_dname_left_chop(up);
		ldns_rdf_deep_free(up);
		up = next;
	}
	ldns_rdf_deep_free(up);
	if (e == NULL || (target = dname_subst(g->qname, e->name,
	    ldns_rr_rdf(ldns_rr_list_rr(e->rrs, 0), 0))) == NULL)
		return false;
	ttl = res_centry_ttl(e, now);
	if (list_add_ttl(q, q->answer, e->rrs, ttl) == -1 ||
	    list_add_ttl(q, q->answer, e->sigs, ttl) == -1 ||
	    answer_cname(q, g->qname, target, ttl) == -1) {
		ldns_rdf_deep_free(target);
		return true;		/* the query failed */
	}
	query_sec(q, e->sec);
	ldns_rdf_deep_free(g->qname);
	g->qname = target;
	goal_reset_zone(g);
	return true;
}

/*
 * Answers goal g from the cache, following cached CNAMEs (the main goal
 * collects them).  true when g is done.
 */
static bool
goal_from_cache(struct res_query *q, struct goal *g, time_t now)
{
	struct res_cache	*c = q->r->cache;
	struct res_centry	*e;
	ldns_rdf		*target;
	bool			 main = g->kind == GOAL_MAIN;

	for (;;) {
		if ((e = res_cache_get(c, g->qname, 0, now)) != NULL ||
		    (e = res_cache_get(c, g->qname, g->qtype, now)) != NULL) {
			/* Referral data answers nobody's question. */
			if (e->rank < RES_RANK_ANSWER && g->kind == GOAL_MAIN)
				goto cname;
			if (e->rank < RES_RANK_GLUE)
				return false;
			if (main) {
				uint32_t	ttl = res_centry_ttl(e, now);

				q->rcode = e->type == 0 ? LDNS_RCODE_NXDOMAIN :
				    LDNS_RCODE_NOERROR;
				if (list_add_ttl(q, e->negative ?
				    q->authority : q->answer, e->rrs, ttl) ==
				    -1 || list_add_ttl(q, e->negative ?
				    q->authority : q->answer, e->sigs, ttl) ==
				    -1)
					return true;
				query_sec(q, e->sec);
				if (e->sec == RES_SEC_BOGUS) {
					q->ede = e->ede != RES_EDE_NONE ?
					    e->ede : RES_EDE_DNSSEC_BOGUS;
					snprintf(q->ede_text,
					    sizeof(q->ede_text),
					    "cached answer failed validation");
				} else if (e->ede == RES_EDE_NSEC3_ITER &&
				    q->ede == RES_EDE_NONE) {
					q->ede = e->ede;
					snprintf(q->ede_text,
					    sizeof(q->ede_text), "cached: nsec3 "
					    "iterations above %d",
					    RES_VAL_NSEC3_MAX_ITER);
				}
			}
			return true;
		}
cname:
		if (g->qtype == LDNS_RR_TYPE_CNAME || !main)
			return false;
		if ((e = res_cache_get(c, g->qname, LDNS_RR_TYPE_CNAME, now)) ==
		    NULL || e->negative || e->rank < RES_RANK_ANSWER ||
		    ldns_rr_list_rr_count(e->rrs) == 0) {
			if (!dname_from_cache(q, g, now))
				return false;
			if (q->done)
				return true;
			if (++q->cnames > RES_MAX_CNAMES) {
				query_fail(q, RES_EDE_OTHER,
				    "cname chain too long");
				return true;
			}
			continue;
		}
		if (++q->cnames > RES_MAX_CNAMES) {
			query_fail(q, RES_EDE_OTHER, "cname chain too long");
			return true;
		}
		if (list_add_ttl(q, q->answer, e->rrs, res_centry_ttl(e,
		    now)) == -1 || list_add_ttl(q, q->answer, e->sigs,
		    res_centry_ttl(e, now)) == -1)
			return true;
		query_sec(q, e->sec);
		if ((target = ldns_rr_rdf(ldns_rr_list_rr(e->rrs, 0), 0)) ==
		    NULL)
			return false;
		if ((target = ldns_dname_clone_from(target, 0)) == NULL) {
			query_fail(q, RES_EDE_OTHER, "out of memory");
			return true;
		}
		ldns_rdf_deep_free(g->qname);
		g->qname = target;
		ldns_dname2canonical(g->qname);
		goal_reset_zone(g);
	}
}

/*
 * The zone security of zone as the cache knows it: *sec_out, and the
 * trusted keys (clone) when secure.  0 ready; 1 the keys must be fetched
 * first; -1 unknown (the cut cannot be used); -2 bogus; -3 no memory.
 */
static int
zone_security(struct res_query *q, const ldns_rdf *zone, bool for_keys,
    time_t now, enum res_sec *sec_out, ldns_rr_list **keys_out)
{
	struct res_resolver	*r = q->r;
	struct res_centry	*ds, *k;

	*keys_out = NULL;
	if (!r->conf.dnssec) {
		*sec_out = RES_SEC_UNKNOWN;
		return 0;
	}
	if (ldns_dname_compare(zone, r->root) != 0) {
		if ((ds = res_cache_get(r->cache, zone, LDNS_RR_TYPE_DS,
		    now)) == NULL)
			return -1;
		if (ds->sec == RES_SEC_BOGUS) {
			query_ede_from(q, ds);
			return -2;
		}
		/* A DS RRset of algorithms or digests we cannot use makes
		 * the zone insecure, not bogus (RFC 4035 5.2, RFC 6840
		 * 5.2). */
		if (ds->negative || ds->sec != RES_SEC_SECURE ||
		    !res_ds_usable(ds->rrs)) {
			*sec_out = RES_SEC_INSECURE;
			return 0;
		}
	}
	*sec_out = RES_SEC_SECURE;
	if (for_keys)
		return 0;
	if ((k = res_cache_get(r->cache, zone, LDNS_RR_TYPE_DNSKEY, now)) ==
	    NULL || k->negative)
		return 1;
	if (k->sec != RES_SEC_SECURE) {
		query_ede_from(q, k);
		return -2;
	}
	if ((*keys_out = ldns_rr_list_clone(k->rrs)) == NULL)
		return -3;
	return 0;
}

static void
add_server(struct goal *g, const ldns_rr *a)
{
	struct server		*s;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	ldns_rdf		*rd = ldns_rr_rdf(a, 0);
	size_t			 i;

	if (g->nsrv >= MAX_SERVERS || rd == NULL)
		return;
	s = &g->srv[g->nsrv];
	memset(s, 0, sizeof(*s));
	if (ldns_rr_get_type(a) == LDNS_RR_TYPE_A &&
	    ldns_rdf_size(rd) == 4) {
		sin = (struct sockaddr_in *)&s->addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		memcpy(&sin->sin_addr, ldns_rdf_data(rd), 4);
		s->len = sizeof(*sin);
	} else if (ldns_rr_get_type(a) == LDNS_RR_TYPE_AAAA &&
	    ldns_rdf_size(rd) == 16) {
		sin6 = (struct sockaddr_in6 *)&s->addr;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(53);
		memcpy(&sin6->sin6_addr, ldns_rdf_data(rd), 16);
		s->len = sizeof(*sin6);
	} else
		return;
	for (i = 0; i < g->nsrv; i++)
		if (addr_equal(&g->srv[i].addr, g->srv[i].len, &s->addr,
		    s->len))
			return;
	g->nsrv++;
}

/* Adds the cached (or hinted) addresses of the zone's NS names. */
static void
collect_servers(struct res_query *q, struct goal *g, time_t now)
{
	struct res_resolver	*r = q->r;
	struct res_centry	*e;
	ldns_rdf		*nsname;
	size_t			 i, j;
	uint16_t		 types[2] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	int			 t;

	for (i = 0; i < ldns_rr_list_rr_count(g->ns); i++) {
		if ((nsname = ldns_rr_rdf(ldns_rr_list_rr(g->ns, i), 0)) ==
		    NULL)
			continue;
		for (t = 0; t < 2; t++) {
			if ((e = res_cache_get(r->cache, nsname, types[t],
			    now)) != NULL) {
				for (j = 0; !e->negative &&
				    j < ldns_rr_list_rr_count(e->rrs); j++)
					add_server(g, ldns_rr_list_rr(e->rrs,
					    j));
				continue;
			}
			if (ldns_dname_compare(g->zone, r->root) != 0)
				continue;
			for (j = 0; j < ldns_rr_list_rr_count(r->hints); j++) {
				ldns_rr	*h = ldns_rr_list_rr(r->hints, j);

				if (ldns_rr_get_type(h) == types[t] &&
				    ldns_dname_compare(ldns_rr_owner(h),
				    nsname) == 0)
					add_server(g, h);
			}
		}
	}
}

/*
 * Chooses the zone cut to ask for g: the deepest cached NS RRset above
 * the name (the parent side for DS) whose DNSSEC state is known.  As
 * zone_security; -3 also when the cut could not be copied.
 */
static int
goal_find_zone(struct res_query *q, struct goal *g, time_t now)
{
	struct res_resolver	*r = q->r;
	struct res_centry	*e;
	ldns_rdf		*name, *up;
	enum res_sec		 sec;
	ldns_rr_list		*keys;
	int			 rc;

	name = ldns_dname_clone_from(g->qname, 0);
	if (name != NULL && g->qtype == LDNS_RR_TYPE_DS &&
	    ldns_dname_label_count(name) > 0) {
		up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	while (name != NULL) {
		if (ldns_dname_compare(name, r->root) == 0)
			break;
		e = res_cache_get(r->cache, name, LDNS_RR_TYPE_NS, now);
		if (e != NULL && !e->negative &&
		    ldns_rr_list_rr_count(e->rrs) > 0 &&
		    zone_security(q, name, true, now, &sec, &keys) >= 0) {
			g->ns = ldns_rr_list_clone(e->rrs);
			break;
		}
		/* Below the root a name always has a parent. */
		up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	if (name == NULL)
		return -3;
	if (g->ns == NULL && ldns_dname_compare(name, r->root) == 0)
		g->ns = res_rrs_select(r->hints, r->root, LDNS_RR_TYPE_NS);
	if (g->ns == NULL) {
		ldns_rdf_deep_free(name);
		return -3;
	}
	g->zone = name;
	rc = zone_security(q, name, g->qtype == LDNS_RR_TYPE_DNSKEY &&
	    ldns_dname_compare(name, g->qname) == 0, now, &g->zsec, &g->keys);
	collect_servers(q, g, now);
	return rc;
}

/* ---- asking ---- */

/* Flips the case of each letter of name at random (0x20). */
static void
case_randomise(struct res_resolver *r, ldns_rdf *name)
{
	uint8_t		*p = ldns_rdf_data(name);
	size_t		 i, n = ldns_rdf_size(name);
	uint32_t	 bits = 0;
	int		 left = 0;

	for (i = 0; i < n; i++) {
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z')))
			continue;
		if (left == 0) {
			bits = r->conf.random(r->conf.random_arg);
			left = 32;
		}
		p[i] = (uint8_t)((p[i] & ~0x20) | ((bits & 1) ? 0x20 : 0));
		bits >>= 1;
		left--;
	}
}

/* Owner names in lower case, so the random case of 0x20 is not kept. */
static void
pkt_lower_owners(ldns_pkt *pkt)
{
	ldns_rr_list	*l[3];
	size_t		 i, j;

	l[0] = ldns_pkt_answer(pkt);
	l[1] = ldns_pkt_authority(pkt);
	l[2] = ldns_pkt_additional(pkt);
	for (j = 0; j < 3; j++)
		for (i = 0; l[j] != NULL && i < ldns_rr_list_rr_count(l[j]);
		    i++)
			ldns_dname2canonical(ldns_rr_owner(
			    ldns_rr_list_rr(l[j], i)));
}

static int
build_query(struct res_query *q, struct goal *g, struct server *s,
    uint16_t id, struct res_request *req)
{
	ldns_pkt	*pkt;
	ldns_rdf	*name;
	char		*str;
	size_t		 len, want, have;

	/*
	 * QNAME minimisation: one label more than the zone, type A (RFC
	 * 9156 section 3), until the name is whole or the zone answers
	 * NXDOMAIN to a part of it (then whole names: some zones lie).
	 */
	want = ldns_dname_label_count(g->zone) + 1 + (size_t)g->qmin_extra;
	have = ldns_dname_label_count(g->qname);
	ldns_rdf_deep_free(g->asked);
	if (q->r->conf.qname_minimisation && !g->qmin_off && want < have &&
	    g->qmin_extra < RES_MAX_QMIN) {
		g->asked = ldns_dname_clone_from(g->qname, have - want);
		g->asked_type = LDNS_RR_TYPE_A;
	} else {
		g->asked = ldns_rdf_clone(g->qname);
		g->asked_type = g->qtype;
	}
	if (g->asked == NULL)
		return -1;
	g->asked_0x20 = q->r->conf.random != NULL && !s->no0x20;
	if (g->asked_0x20)
		case_randomise(q->r, g->asked);
	/* On success the packet owns the copy of the name. */
	if ((name = ldns_rdf_clone(g->asked)) == NULL)
		return -1;
	if ((pkt = ldns_pkt_query_new(name, (ldns_rr_type)g->asked_type,
	    LDNS_RR_CLASS_IN, 0)) == NULL) {
		ldns_rdf_deep_free(name);
		return -1;
	}
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_rd(pkt, false);
	if (!s->noedns) {
		ldns_pkt_set_edns_udp_size(pkt, UPSTREAM_EDNS);
		ldns_pkt_set_edns_do(pkt, q->r->conf.dnssec);
		/* An empty OPT: ldns writes it only when something is set. */
		ldns_pkt_set_edns_version(pkt, 0);
	}
	free(q->wire);
	q->wire = NULL;
	if (ldns_pkt2wire(&q->wire, pkt, &len) != LDNS_STATUS_OK) {
		ldns_pkt_free(pkt);
		return -1;
	}
	ldns_pkt_free(pkt);
	memcpy(&req->addr, &s->addr, s->len);
	req->addrlen = s->len;
	req->tcp = s->tcp;
	req->wire = q->wire;
	req->len = len;
	req->id = id;
	req->qtype = g->asked_type;
	str = ldns_rdf2str(g->asked);
	snprintf(req->qname, sizeof(req->qname), "%s", str ? str : "?");
	free(str);
	q->id = id;
	return 0;
}

/* The next server to ask: untried, lowest RTT. */
static struct server *
pick_server(struct res_query *q, struct goal *g)
{
	size_t	i, best = SIZE_MAX;
	unsigned	rtt, best_rtt = 0;

	for (i = 0; i < g->nsrv; i++) {
		if (g->srv[i].tried)
			continue;
		rtt = rtt_get(q->r, &g->srv[i]);
		if (best == SIZE_MAX || rtt < best_rtt) {
			best = i;
			best_rtt = rtt;
		}
	}
	if (best == SIZE_MAX)
		return NULL;
	g->cur = best;
	return &g->srv[best];
}

/*
 * Pushes a look-up for the address of a glueless NS name not yet tried.
 * 0 pushed, -1 nothing left to try.
 */
static int
push_glueless(struct res_query *q, struct goal *g, time_t now)
{
	ldns_rdf	*nsname;

	while (g->ns_next < ldns_rr_list_rr_count(g->ns) * 2) {
		size_t		i = g->ns_next / 2;
		uint16_t	type = g->ns_next % 2 == 0 ? LDNS_RR_TYPE_A :
				    LDNS_RR_TYPE_AAAA;

		g->ns_next++;
		nsname = ldns_rr_rdf(ldns_rr_list_rr(g->ns, i), 0);
		if (nsname == NULL ||
		    res_cache_get(q->r->cache, nsname, type, now) != NULL)
			continue;
		/* A name inside the zone needed glue: nothing to ask. */
		if (ldns_dname_is_subdomain(nsname, g->zone) ||
		    ldns_dname_compare(nsname, g->zone) == 0)
			continue;
		switch (goal_push(q, GOAL_ADDR, nsname, type)) {
		case 0:
			return 0;
		case -2:
			query_fail(q, RES_EDE_OTHER, "out of memory");
			return -1;
		default:
			break;
		}
	}
	return -1;
}

/* Ends goal g (popped by the caller's loop). */
static void
goal_done(struct goal *g)
{
	g->done = true;
}

enum res_step
res_query_next(struct res_query *q, time_t now, uint16_t id,
    struct res_request *req_out)
{
	struct goal	*g;
	struct server	*s;
	int		 rc;

	while (!q->done) {
		if (++q->steps > RES_MAX_STEPS) {
			query_fail(q, RES_EDE_OTHER, "too much work");
			break;
		}
		g = q->stack[q->depth - 1];
		if (g->done) {
			if (q->depth == 1) {
				q->done = true;
				break;
			}
			goal_free(g);
			q->stack[--q->depth] = NULL;
			g = q->stack[q->depth - 1];
			/* The parent looks at the cache anew. */
			if (g->zone != NULL) {
				ldns_rr_list_deep_free(g->keys);
				g->keys = NULL;
				rc = zone_security(q, g->zone, g->qtype ==
				    LDNS_RR_TYPE_DNSKEY && ldns_dname_compare(
				    g->zone, g->qname) == 0, now, &g->zsec,
				    &g->keys);
				if (rc == -3) {
					query_fail(q, RES_EDE_OTHER,
					    "out of memory");
					break;
				}
				/* Keys still missing after their look-up
				 * ended: give up rather than ask again. */
				if (rc == -2 || rc == 1) {
					query_fail(q, RES_EDE_DNSKEY_MISSING,
					    "no valid dnskey for the zone");
					break;
				}
				if (rc != 0) {
					goal_reset_zone(g);
					continue;
				}
				collect_servers(q, g, now);
			}
			continue;
		}
		if (g->zone == NULL) {
			if (goal_from_cache(q, g, now)) {
				goal_done(g);
				continue;
			}
			if (q->done)
				break;
			rc = goal_find_zone(q, g, now);
			if (rc == -3) {
				query_fail(q, RES_EDE_OTHER, "out of memory");
				break;
			}
			if (rc == -2) {
				query_fail(q, RES_EDE_DNSSEC_BOGUS,
				    "zone failed validation");
				break;
			}
			if (rc == 1) {
				rc = goal_push(q, GOAL_DNSKEY, g->zone,
				    LDNS_RR_TYPE_DNSKEY);
				if (rc == -2) {
					query_fail(q, RES_EDE_OTHER,
					    "out of memory");
					break;
				}
				if (rc == -1) {
					query_fail(q, RES_EDE_DNSKEY_MISSING,
					    "cannot fetch the zone's dnskey");
					break;
				}
				continue;
			}
			if (rc == -1) {
				query_fail(q, RES_EDE_OTHER, "no zone cut");
				break;
			}
		}
		if ((s = pick_server(q, g)) == NULL) {
			if (push_glueless(q, g, now) == 0 || q->done)
				continue;
			if (g->kind != GOAL_MAIN) {
				/* The parent goes on with what it has. */
				goal_done(g);
				continue;
			}
			query_fail(q, RES_EDE_NO_REACHABLE,
			    "no server of the zone answered");
			break;
		}
		if (++q->sends > RES_MAX_SENDS) {
			query_fail(q, RES_EDE_OTHER, "too much work");
			break;
		}
		if (build_query(q, g, s, id, req_out) == -1) {
			query_fail(q, RES_EDE_OTHER, "out of memory");
			break;
		}
		q->waiting = true;
		q->r->stats.upstream++;
		return RES_SEND;
	}
	if (q->sends == 0)
		q->r->stats.cache_hits++;
	if (q->sec == RES_SEC_SECURE)
		q->r->stats.secure++;
	else if (q->sec == RES_SEC_INSECURE)
		q->r->stats.insecure++;
	else if (q->sec == RES_SEC_BOGUS)
		q->r->stats.bogus++;
	if (q->rcode == LDNS_RCODE_SERVFAIL)
		q->r->stats.servfail++;
	return RES_DONE;
}

/* ---- answers ---- */

/*
 * Notes why a validation found sec bogus, if it did: the first reason
 * found is the answer's (RFC 8914).  A validation that ran out of memory
 * proved nothing either way: the query fails (SERVFAIL, not bogus) and
 * nothing is cached from it, which its callers see as q->done.
 */
static void
val_failed(struct res_query *q, enum res_sec sec, enum res_ede ede,
    const struct err *err)
{
	if (sec != RES_SEC_BOGUS)
		return;
	if (err->code == ERR_NOMEM) {
		query_fail(q, RES_EDE_OTHER, "out of memory");
		return;
	}
	if (q->ede == RES_EDE_NONE) {
		q->ede = ede;
		snprintf(q->ede_text, sizeof(q->ede_text), "%s", err->msg);
	}
}

/*
 * An insecure proof of the client's answer that was insecure only for
 * its NSEC3 iterations says so (RFC 9276 section 3.2: EDE 27 with the
 * answer), unless the query already has a reason.
 */
static void
val_note_insecure(struct res_query *q, const struct goal *g,
    enum res_sec sec, enum res_ede ede, const struct err *err)
{
	if (sec != RES_SEC_INSECURE || ede != RES_EDE_NSEC3_ITER ||
	    g->kind != GOAL_MAIN || q->ede != RES_EDE_NONE)
		return;
	q->ede = ede;
	snprintf(q->ede_text, sizeof(q->ede_text), "%s", err->msg);
}

/*
 * Validates one RRset (rrset, from section sigs) for goal g.  Returns
 * its security; *until as res_val_rrset gives it.
 */
static enum res_sec
check_rrset(struct res_query *q, struct goal *g,
    const ldns_rr_list *rrset, const ldns_rr_list *sigs, time_t now,
    time_t *until)
{
	enum res_ede	ede;
	struct err	err;
	enum res_sec	sec;

	*until = 0;
	if (g->zsec != RES_SEC_SECURE)
		return g->zsec;
	sec = res_val_rrset(rrset, sigs, g->keys, g->zone, now, until, &ede,
	    &err);
	val_failed(q, sec, ede, &err);
	return sec;
}

/*
 * A secure RRset at owner from a wildcard needs the proof that owner
 * itself does not exist (RFC 4035 section 5.3.4); for the main goal the
 * proof goes into the answer's authority section.
 */
static enum res_sec
check_wildcard(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    const ldns_rdf *owner, const ldns_rr_list *sigs, time_t now,
    time_t *until)
{
	const ldns_rr_list	*au = ldns_pkt_authority(pkt);
	ldns_rr_list		*auth;
	ldns_rr			*rr;
	ldns_rdf		*cov;
	enum res_ede		 ede;
	struct err		 err;
	enum res_sec		 sec;
	size_t			 i;

	*until = 0;
	if ((auth = ldns_rr_list_new()) == NULL) {
		query_fail(q, RES_EDE_OTHER, "out of memory");
		return RES_SEC_BOGUS;
	}
	/* The zone's NSEC(3) records and their signatures only. */
	for (i = 0; i < ldns_rr_list_rr_count(au); i++) {
		rr = ldns_rr_list_rr(au, i);
		if (!dns_name_in_zone(ldns_rr_owner(rr), g->zone))
			continue;
		if ((ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC ||
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 ||
		    (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    (cov = ldns_rr_rrsig_typecovered(rr)) != NULL &&
		    (ldns_rdf2rr_type(cov) == LDNS_RR_TYPE_NSEC ||
		    ldns_rdf2rr_type(cov) == LDNS_RR_TYPE_NSEC3))) &&
		    res_rr_push_copy(auth, rr) == -1) {
			ldns_rr_list_deep_free(auth);
			query_fail(q, RES_EDE_OTHER, "out of memory");
			return RES_SEC_BOGUS;
		}
	}
	ede = RES_EDE_NONE;
	sec = res_val_wildcard(owner, sigs, auth, g->keys, g->zone, now, until,
	    &ede, &err);
	val_failed(q, sec, ede, &err);
	val_note_insecure(q, g, sec, ede, &err);
	if (sec != RES_SEC_BOGUS && g->kind == GOAL_MAIN &&
	    ldns_rr_list_rr_count(auth) > 0 &&
	    ldns_rr_list_rr_count(sigs) > 0 &&
	    ldns_rr_rrsig_labels(ldns_rr_list_rr(sigs, 0)) != NULL &&
	    ldns_rdf2native_int8(ldns_rr_rrsig_labels(ldns_rr_list_rr(sigs,
	    0))) < ldns_dname_label_count(owner))
		(void)list_add_all(q, q->authority, auth);
	ldns_rr_list_deep_free(auth);
	return sec;
}

/*
 * Stores an RRset of the answer section; for the main goal, keeps it.
 * Without memory the query fails (q->done) and nothing is stored.
 */
static enum res_sec
take_rrset(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    const ldns_rdf *owner, uint16_t type, time_t now)
{
	ldns_rr_list	*set, *sigs;
	enum res_sec	 sec;
	time_t		 until = 0, wuntil;

	set = res_rrs_select(ldns_pkt_answer(pkt), owner, type);
	sigs = res_sigs_select(ldns_pkt_answer(pkt), owner, type);
	if (set == NULL || sigs == NULL) {
		ldns_rr_list_deep_free(set);
		ldns_rr_list_deep_free(sigs);
		query_fail(q, RES_EDE_OTHER, "out of memory");
		return RES_SEC_BOGUS;
	}
	if (type == LDNS_RR_TYPE_DNSKEY && g->zsec == RES_SEC_SECURE &&
	    ldns_dname_compare(owner, g->zone) == 0) {
		struct res_centry	*ds;
		enum res_ede		 ede;
		struct err		 err;
		ldns_rr_list		*trusted;

		ds = res_cache_get(q->r->cache, owner, LDNS_RR_TYPE_DS, now);
		trusted = ldns_dname_compare(owner, q->r->root) == 0 ?
		    q->r->anchors : ds != NULL ? ds->rrs : NULL;
		if (trusted == NULL) {
			sec = RES_SEC_BOGUS;
			ede = RES_EDE_DNSKEY_MISSING;
			err_set(&err, ERR_CRYPTO, "dnskey: no ds");
		} else {
			sec = res_val_dnskeys(set, sigs, trusted, now, &until,
			    &ede, &err);
			if (sec == RES_SEC_BOGUS)
				err_prefix(&err, "dnskey");
		}
		val_failed(q, sec, ede, &err);
	} else if ((sec = check_rrset(q, g, set, sigs, now, &until)) ==
	    RES_SEC_SECURE) {
		sec = check_wildcard(q, g, pkt, owner, sigs, now, &wuntil);
		if (wuntil != 0 && (until == 0 || wuntil < until))
			until = wuntil;
	}
	/* A side look-up's goal reads its answer from the cache. */
	if (!q->done && res_cache_put(q->r->cache, owner, type, set, sigs,
	    false, 0, RES_RANK_ANSWER, sec, sec == RES_SEC_SECURE ? until : 0,
	    now) == -1 && g->kind != GOAL_MAIN)
		query_fail(q, RES_EDE_OTHER, "out of memory");
	if (!q->done)
		cache_note_ede(q, owner, type, sec, now);
	if (!q->done && g->kind == GOAL_MAIN &&
	    list_add_all(q, q->answer, set) == 0 &&
	    list_add_all(q, q->answer, sigs) == 0)
		query_sec(q, sec);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	return sec;
}

/* Is there an RRset (owner, type) in the answer or authority section? */
static bool
has_rrset(const ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rdf *owner,
    uint16_t type)
{
	const ldns_rr_list	*l = sec == LDNS_SECTION_ANSWER ?
				    ldns_pkt_answer(pkt) :
				    ldns_pkt_authority(pkt);
	size_t			 i;

	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr	*rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			return true;
	}
	return false;
}

/*
 * A DNAME above *name in the answer (RFC 6672 section 3): keeps it
 * (validated like any RRset) and the CNAME synthesised from it, which
 * carries no signature and takes the DNAME's security, after checking
 * that it is what the DNAME says; *name becomes the target.  false when
 * there is no such DNAME.
 */
static bool
take_dname(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    ldns_rdf **name, time_t now)
{
	ldns_rr_list	*an = ldns_pkt_answer(pkt), *cn;
	ldns_rr		*rr, *dn = NULL;
	ldns_rdf	*target;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME &&
		    ldns_dname_is_subdomain(*name, ldns_rr_owner(rr)) &&
		    dns_name_in_zone(ldns_rr_owner(rr), g->zone)) {
			dn = rr;
			break;
		}
	}
	if (dn == NULL || ldns_rr_rdf(dn, 0) == NULL ||
	    (target = dname_subst(*name, ldns_rr_owner(dn),
	    ldns_rr_rdf(dn, 0))) == NULL)
		return false;
	take_rrset(q, g, pkt, ldns_rr_owner(dn), LDNS_RR_TYPE_DNAME, now);
	/* The synthesised CNAME is kept only as the DNAME implies it; it
	 * is not cached (the DNAME is, and implies it again). */
	cn = q->done ? NULL : res_rrs_select(an, *name, LDNS_RR_TYPE_CNAME);
	if (!q->done && cn == NULL)
		query_fail(q, RES_EDE_OTHER, "out of memory");
	if (cn != NULL && ldns_rr_list_rr_count(cn) == 1 &&
	    ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0) != NULL &&
	    ldns_dname_compare(ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0),
	    target) == 0)
		(void)list_add_all(q, q->answer, cn);
	ldns_rr_list_deep_free(cn);
	if (q->done) {
		ldns_rdf_deep_free(target);
		return false;
	}
	if (++q->cnames > RES_MAX_CNAMES) {
		ldns_rdf_deep_free(target);
		query_fail(q, RES_EDE_OTHER, "cname chain too long");
		return false;
	}
	ldns_rdf_deep_free(*name);
	*name = target;
	return true;
}

/*
 * Whether a record at name in the answer is signed by a zone below zone:
 * a CNAME's target in a child that the same server serves, to be asked
 * anew from the top (the child's keys are not known here).
 */
static bool
signed_below(const ldns_pkt *pkt, const ldns_rdf *name, const ldns_rdf *zone)
{
	const ldns_rr_list	*an = ldns_pkt_answer(pkt);
	const ldns_rr		*rr;
	const ldns_rdf		*signer;
	size_t			 i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    (signer = ldns_rr_rrsig_signame(rr)) != NULL &&
		    ldns_rdf_get_type(signer) == LDNS_RDF_TYPE_DNAME &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0 &&
		    ldns_dname_is_subdomain(signer, zone))
			return true;
	}
	return false;
}

static void	handle_denial(struct res_query *, struct goal *,
		    const ldns_pkt *, const ldns_rdf *, bool, time_t);

/*
 * An answer for g from the zone asked: the RRset, or a CNAME chain to
 * it, or a chain that ends in a denial (NXDOMAIN, or NODATA with the
 * zone's SOA), which is about the chain's last name (RFC 6604 section
 * 3, RFC 2308 section 2.1).
 */
static void
handle_answer(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    time_t now)
{
	ldns_rdf	*name, *target;
	ldns_rr_list	*cn;
	bool		 nxdomain, empty = false;

	nxdomain = ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN;
	if ((name = ldns_dname_clone_from(g->qname, 0)) == NULL) {
		query_fail(q, RES_EDE_OTHER, "out of memory");
		return;
	}
	while (!q->done && dns_name_in_zone(name, g->zone) &&
	    !signed_below(pkt, name, g->zone)) {
		if (has_rrset(pkt, LDNS_SECTION_ANSWER, name, g->qtype)) {
			take_rrset(q, g, pkt, name, g->qtype, now);
			goal_done(g);
			break;
		}
		if (g->kind == GOAL_MAIN && take_dname(q, g, pkt, &name, now))
			continue;
		if (q->done)
			break;
		if ((cn = res_rrs_select(ldns_pkt_answer(pkt), name,
		    LDNS_RR_TYPE_CNAME)) == NULL) {
			query_fail(q, RES_EDE_OTHER, "out of memory");
			break;
		}
		if (ldns_rr_list_rr_count(cn) == 0 || g->kind != GOAL_MAIN) {
			/* Nothing at name: a denial, or ask anew. */
			empty = ldns_rr_list_rr_count(cn) == 0;
			ldns_rr_list_deep_free(cn);
			break;
		}
		target = ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0);
		if (target != NULL && (target = ldns_rdf_clone(target)) ==
		    NULL) {
			ldns_rr_list_deep_free(cn);
			query_fail(q, RES_EDE_OTHER, "out of memory");
			break;
		}
		ldns_rr_list_deep_free(cn);
		if (take_rrset(q, g, pkt, name, LDNS_RR_TYPE_CNAME, now) ==
		    RES_SEC_BOGUS || q->done) {
			ldns_rdf_deep_free(target);
			goal_done(g);
			break;
		}
		if (++q->cnames > RES_MAX_CNAMES || target == NULL) {
			ldns_rdf_deep_free(target);
			query_fail(q, RES_EDE_OTHER, "cname chain too long");
			break;
		}
		ldns_dname2canonical(target);
		ldns_rdf_deep_free(name);
		name = target;
	}
	if (empty && !g->done && !q->done && ldns_pkt_aa(pkt) &&
	    dns_name_in_zone(name, g->zone) && (nxdomain ||
	    (ldns_dname_compare(name, g->qname) != 0 &&
	    has_rrset(pkt, LDNS_SECTION_AUTHORITY, g->zone,
	    LDNS_RR_TYPE_SOA))))
		handle_denial(q, g, pkt, name, nxdomain, now);
	if (!g->done && !q->done) {
		/* The chain leaves the zone, or stops: follow from the top. */
		if (ldns_dname_compare(name, g->qname) == 0 ||
		    g->kind != GOAL_MAIN) {
			g->srv[g->cur].tried = true;
		} else {
			ldns_rdf_deep_free(g->qname);
			g->qname = name;
			name = NULL;
			goal_reset_zone(g);
		}
	}
	ldns_rdf_deep_free(name);
}

/*
 * NXDOMAIN or NODATA for name (g's, or the last of a CNAME chain) from
 * the zone asked (RFC 2308).  A denial that fails validation is kept
 * for its question only and briefly: under type 0 it would deny every
 * type of a name that may well exist.
 */
static void
handle_denial(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    const ldns_rdf *name, bool nxdomain, time_t now)
{
	ldns_rr_list	*auth, *soa;
	ldns_rr		*rr;
	uint32_t	 ttl = 0;
	time_t		 until = 0;
	enum res_sec	 sec = g->zsec;
	enum res_ede	 ede;
	struct err	 err;
	size_t		 i;

	auth = ldns_rr_list_new();
	soa = res_rrs_select(ldns_pkt_authority(pkt), NULL, LDNS_RR_TYPE_SOA);
	if (auth == NULL || soa == NULL)
		goto nomem;
	/* Keep the zone's own SOA, NSEC(3) and their RRSIGs. */
	for (i = 0; i < ldns_rr_list_rr_count(ldns_pkt_authority(pkt)); i++) {
		rr = ldns_rr_list_rr(ldns_pkt_authority(pkt), i);
		if (!dns_name_in_zone(ldns_rr_owner(rr), g->zone))
			continue;
		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_SOA:
		case LDNS_RR_TYPE_NSEC:
		case LDNS_RR_TYPE_NSEC3:
		case LDNS_RR_TYPE_RRSIG:
			if (res_rr_push_copy(auth, rr) == -1)
				goto nomem;
			break;
		default:
			break;
		}
	}
	if (ldns_rr_list_rr_count(soa) > 0) {
		rr = ldns_rr_list_rr(soa, 0);
		ttl = ldns_rr_ttl(rr);
		if (ldns_rr_rdf(rr, 6) != NULL &&
		    ldns_rdf2native_int32(ldns_rr_rdf(rr, 6)) < ttl)
			ttl = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
	}
	if (g->zsec == RES_SEC_SECURE) {
		ede = RES_EDE_NONE;
		sec = res_val_denial(name, g->qtype, nxdomain, auth,
		    g->keys, g->zone, now, &until, &ede, &err);
		val_failed(q, sec, ede, &err);
		val_note_insecure(q, g, sec, ede, &err);
		if (q->done)
			goto out;
	}
	if (sec == RES_SEC_BOGUS && ttl > 60)
		ttl = 60;
	res_cache_put(q->r->cache, name, nxdomain && sec != RES_SEC_BOGUS ?
	    0 : g->qtype, auth, NULL, true, ttl, RES_RANK_ANSWER, sec,
	    sec == RES_SEC_SECURE ? until : 0, now);
	cache_note_ede(q, name, nxdomain && sec != RES_SEC_BOGUS ? 0 :
	    g->qtype, sec, now);
	if (g->kind == GOAL_MAIN) {
		q->rcode = nxdomain ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR;
		if (list_add_all(q, q->authority, auth) == 0)
			query_sec(q, sec);
	}
	goto out;
nomem:
	query_fail(q, RES_EDE_OTHER, "out of memory");
out:
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(soa);
	goal_done(g);
}

/*
 * A referral to child: checks it and the DS (or its absence) against the
 * zone asked, keeps the NS RRset and the glue inside that zone, and moves
 * g down.  false when unusable (the server is lame).
 */
static bool
handle_referral(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    const ldns_rdf *child, time_t now)
{
	struct res_resolver	*r = q->r;
	ldns_rr_list		*ns, *ds, *dssigs;
	enum res_sec		 dssec = RES_SEC_INSECURE;
	enum res_ede		 ede = RES_EDE_NONE;
	time_t			 until = 0;
	struct err		 err;
	size_t			 i;
	bool			 ok = false;

	if (++g->referrals > RES_MAX_REFERRALS) {
		query_fail(q, RES_EDE_OTHER, "too many referrals");
		return true;
	}
	ns = res_rrs_select(ldns_pkt_authority(pkt), child, LDNS_RR_TYPE_NS);
	ds = res_rrs_select(ldns_pkt_authority(pkt), child, LDNS_RR_TYPE_DS);
	dssigs = res_sigs_select(ldns_pkt_authority(pkt), child,
	    LDNS_RR_TYPE_DS);
	if (ns == NULL || ds == NULL || dssigs == NULL) {
		query_fail(q, RES_EDE_OTHER, "out of memory");
		ok = true;
		goto out;
	}
	if (ldns_rr_list_rr_count(ns) == 0)
		goto out;
	err.msg[0] = '\0';
	if (!r->conf.dnssec)
		dssec = RES_SEC_UNKNOWN;
	else if (g->zsec == RES_SEC_SECURE) {
		if (ldns_rr_list_rr_count(ds) > 0)
			dssec = res_val_rrset(ds, dssigs, g->keys, g->zone, now,
			    &until, &ede, &err);
		else
			dssec = res_val_denial(child, LDNS_RR_TYPE_DS, false,
			    ldns_pkt_authority(pkt), g->keys, g->zone, now,
			    &until, &ede, &err) != RES_SEC_BOGUS ?
			    RES_SEC_INSECURE : RES_SEC_BOGUS;
	}
	if (dssec == RES_SEC_BOGUS && err.code == ERR_NOMEM) {
		/* Nothing proven, nothing cached. */
		query_fail(q, RES_EDE_OTHER, "out of memory");
		ok = true;
		goto out;
	}
	if (dssec == RES_SEC_BOGUS) {
		res_cache_put(r->cache, child, LDNS_RR_TYPE_DS, ds, dssigs,
		    ldns_rr_list_rr_count(ds) == 0, 60, RES_RANK_REFERRAL,
		    dssec, 0, now);
		query_fail(q, ede, "ds for %s: %s", "delegation", err.msg);
		cache_note_ede(q, child, LDNS_RR_TYPE_DS, dssec, now);
		ok = true;
		goto out;
	}
	/*
	 * Glue: addresses of the NS names, inside the zone asked; then the
	 * DS, then the NS RRset, which makes the cut usable: never the cut
	 * without what it needs (an NS name inside the child without its
	 * glue would make the zone unreachable for the NS RRset's TTL).
	 */
	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		ldns_rdf	*nsname = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
		uint16_t	 t;

		if (nsname == NULL || !dns_name_in_zone(nsname, g->zone))
			continue;
		for (t = LDNS_RR_TYPE_A; t != 0;
		    t = t == LDNS_RR_TYPE_A ? LDNS_RR_TYPE_AAAA : 0) {
			ldns_rr_list	*glue;
			int		 rc = 0;

			glue = res_rrs_select(ldns_pkt_additional(pkt), nsname,
			    t);
			if (glue == NULL)
				rc = -1;
			else if (ldns_rr_list_rr_count(glue) > 0)
				rc = res_cache_put(r->cache, nsname, t, glue,
				    NULL, false, 0, RES_RANK_GLUE,
				    RES_SEC_UNKNOWN, 0, now);
			ldns_rr_list_deep_free(glue);
			if (rc == -1)
				goto nomem;
		}
	}
	if (res_cache_put(r->cache, child, LDNS_RR_TYPE_DS, ds, dssigs,
	    dssec != RES_SEC_SECURE, ldns_rr_ttl(ldns_rr_list_rr(ns, 0)),
	    RES_RANK_REFERRAL, dssec, until, now) == -1 ||
	    res_cache_put(r->cache, child, LDNS_RR_TYPE_NS, ns, NULL, false, 0,
	    RES_RANK_REFERRAL, RES_SEC_UNKNOWN, 0, now) == -1)
		goto nomem;
	goal_reset_zone(g);
	ok = true;
	goto out;
nomem:
	query_fail(q, RES_EDE_OTHER, "out of memory");
	ok = true;
out:
	ldns_rr_list_deep_free(ns);
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(dssigs);
	return ok;
}

/*
 * The shallowest zone below the one asked that an authoritative answer
 * speaks for: the signer of an RRSIG or the owner of a SOA, at or above
 * the name asked (above it for a DS, which the parent holds).  A server
 * that serves a parent and its child answers from the child at once,
 * with no referral: that is how the cut shows.  NULL: none.
 */
static const ldns_rdf *
answer_cut(const struct goal *g, const ldns_pkt *pkt)
{
	const ldns_rr_list	*l;
	const ldns_rdf		*best = NULL, *name;
	const ldns_rr		*rr;
	size_t			 i;
	int			 sec;

	for (sec = 0; sec < 2; sec++) {
		l = sec == 0 ? ldns_pkt_answer(pkt) : ldns_pkt_authority(pkt);
		for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
			rr = ldns_rr_list_rr(l, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
				name = ldns_rr_rrsig_signame(rr);
			else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
				name = ldns_rr_owner(rr);
			else
				continue;
			if (name == NULL ||
			    ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME ||
			    !ldns_dname_is_subdomain(name, g->zone) ||
			    !dns_name_in_zone(g->asked, name) ||
			    (g->asked_type == LDNS_RR_TYPE_DS &&
			    ldns_dname_compare(g->asked, name) == 0))
				continue;
			if (best == NULL || ldns_dname_label_count(name) <
			    ldns_dname_label_count(best))
				best = name;
		}
	}
	return best;
}

/*
 * An answer with records and no RRSIG at all, asked in a secure zone, may
 * come from an unsigned child that the same server also serves: asked
 * the whole name (no qname minimisation), nothing in it shows the cut.
 * As Unbound's validator does, the names between the zone and the name
 * asked are tried from the top by their DS in the parent: the first
 * whose DS is not known yet is the candidate (discover_cut fetches it,
 * and this runs again on the next answer); one with a DS, or whose
 * proven absence shows a delegation, is the cut; one proven to be no
 * delegation is passed over.  Stripped signatures find no insecure cut
 * and stay bogus.  NULL: no candidate, or no memory (*nomem).
 */
static ldns_rdf *
unsigned_cut(struct res_query *q, const struct goal *g, const ldns_pkt *pkt,
    time_t now, bool *nomem)
{
	const ldns_rr_list	*an = ldns_pkt_answer(pkt);
	struct res_centry	*ds;
	ldns_rdf		*name;
	size_t			 i, n, zl, al, last;
	int			 rc;

	*nomem = false;
	if (ldns_rr_list_rr_count(an) == 0)
		return NULL;
	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(an, i)) ==
		    LDNS_RR_TYPE_RRSIG)
			return NULL;
	zl = ldns_dname_label_count(g->zone);
	al = ldns_dname_label_count(g->asked);
	/* A DS at the name asked is its parent's. */
	last = g->asked_type == LDNS_RR_TYPE_DS ? al - 1 : al;
	for (n = zl + 1; n <= last; n++) {
		if ((name = ldns_dname_clone_from(g->asked, (uint16_t)(al - n)))
		    == NULL) {
			*nomem = true;
			return NULL;
		}
		ldns_dname2canonical(name);
		ds = res_cache_get(q->r->cache, name, LDNS_RR_TYPE_DS, now);
		if (ds == NULL || !ds->negative || ds->sec != RES_SEC_SECURE ||
		    ds->rank != RES_RANK_ANSWER)
			return name;
		if ((rc = res_denial_shows_cut(ds->rrs, name)) != 0) {
			if (rc == -1) {
				ldns_rdf_deep_free(name);
				*nomem = true;
				return NULL;
			}
			return name;
		}
		ldns_rdf_deep_free(name);
	}
	return NULL;
}

/*
 * A cut found by answer_cut or unsigned_cut: first its DS from the parent
 * (a goal of its own), then, with the DS proven or its absence proven at
 * a delegation, the cut is kept with the parent's servers (they answered
 * for it) and g asks anew below it.  A name that signs but has no DS and
 * no delegation in its parent is bogus: else any signer name would make a
 * secure zone's names insecure.  true when it took the answer over.
 */
static bool
discover_cut(struct res_query *q, struct goal *g, const ldns_pkt *pkt,
    time_t now)
{
	struct res_cache	*c = q->r->cache;
	struct res_centry	*ds, *nx;
	const ldns_rdf		*found;
	ldns_rdf		*cut;
	ldns_rr_list		*ns = NULL;
	size_t			 i;
	int			 rc;
	bool			 nomem;

	if (!q->r->conf.dnssec || g->zsec != RES_SEC_SECURE ||
	    g->asked == NULL)
		return false;
	if ((found = answer_cut(g, pkt)) != NULL)
		cut = ldns_dname_clone_from(found, 0);
	else if ((cut = unsigned_cut(q, g, pkt, now, &nomem)) == NULL) {
		if (!nomem)
			return false;
		goto nomem;
	}
	if (cut == NULL)
		goto nomem;
	if (++g->referrals > RES_MAX_REFERRALS) {
		ldns_rdf_deep_free(cut);
		query_fail(q, RES_EDE_OTHER, "too many zone cuts");
		return true;
	}
	ldns_dname2canonical(cut);
	ds = res_cache_get(c, cut, LDNS_RR_TYPE_DS, now);
	nx = res_cache_get(c, cut, 0, now);
	if (ds == NULL && nx == NULL) {
		goal_reset_zone(g);
		rc = goal_push(q, GOAL_DS, cut, LDNS_RR_TYPE_DS);
		ldns_rdf_deep_free(cut);
		if (rc == -2)
			goto nomem;
		if (rc == -1)
			query_fail(q, RES_EDE_DNSSEC_BOGUS,
			    "cannot fetch the ds of a signer");
		return true;
	}
	if (ds != NULL && ds->sec == RES_SEC_BOGUS) {
		ldns_rdf_deep_free(cut);
		query_ede_from(q, ds);
		query_fail(q, RES_EDE_DNSSEC_BOGUS, "the ds of a signer "
		    "failed validation");
		return true;
	}
	/* A DS, or a referral without one, shows the cut. */
	rc = ds == NULL ? 0 : ds->negative && ds->sec == RES_SEC_SECURE &&
	    ds->rank == RES_RANK_ANSWER ? res_denial_shows_cut(ds->rrs, cut) :
	    1;
	if (rc == 0) {
		ldns_rdf_deep_free(cut);
		query_fail(q, RES_EDE_DNSSEC_BOGUS,
		    "a signer is no zone cut of its parent");
		return true;
	}
	if (rc == -1 || (ns = ldns_rr_list_new()) == NULL)
		goto nomem_cut;
	for (i = 0; i < ldns_rr_list_rr_count(g->ns); i++) {
		ldns_rr	*rr = ldns_rr_clone(ldns_rr_list_rr(g->ns, i));
		ldns_rdf *owner = ldns_rdf_clone(cut);

		if (rr == NULL || owner == NULL ||
		    !ldns_rr_list_push_rr(ns, rr)) {
			ldns_rr_free(rr);
			ldns_rdf_deep_free(owner);
			goto nomem_cut;
		}
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, owner);
	}
	if (res_cache_put(c, cut, LDNS_RR_TYPE_NS, ns, NULL, false, 0,
	    RES_RANK_REFERRAL, RES_SEC_UNKNOWN, 0, now) == -1)
		goto nomem_cut;
	ldns_rr_list_deep_free(ns);
	ldns_rdf_deep_free(cut);
	goal_reset_zone(g);
	return true;
nomem_cut:
	ldns_rr_list_deep_free(ns);
	ldns_rdf_deep_free(cut);
nomem:
	query_fail(q, RES_EDE_OTHER, "out of memory");
	return true;
}

/* The delegated zone of a referral in pkt for g, or NULL. */
static const ldns_rdf *
referral_child(const struct goal *g, const ldns_pkt *pkt)
{
	ldns_rr_list	*auth = ldns_pkt_authority(pkt);
	ldns_rr		*rr;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rdf(rr, 0) == NULL)
			continue;
		/* Below the zone asked, at or above the question. */
		if (!ldns_dname_is_subdomain(ldns_rr_owner(rr), g->zone))
			return NULL;
		if (!dns_name_in_zone(g->qname, ldns_rr_owner(rr)))
			return NULL;
		/* DS lives in the parent: a referral for it is lame. */
		if (g->qtype == LDNS_RR_TYPE_DS &&
		    ldns_dname_compare(g->qname, ldns_rr_owner(rr)) == 0)
			return NULL;
		return ldns_rr_owner(rr);
	}
	return NULL;
}

void
res_query_answer(struct res_query *q, const uint8_t *wire, size_t len,
    unsigned rtt_ms, time_t now)
{
	struct goal	*g;
	struct server	*s;
	ldns_pkt	*pkt = NULL;
	ldns_rr		*qrr;
	const ldns_rdf	*child;
	ldns_status	 st;
	int		 rcode;

	if (!q->waiting || q->done)
		return;
	q->waiting = false;
	g = q->stack[q->depth - 1];
	s = &g->srv[g->cur];
	if (wire == NULL) {
		/* A second chance (a lost datagram), after the others:
		 * its RTT is now the timeout's. */
		if (++s->timeouts >= RES_SERVER_TRIES)
			s->tried = true;
		rtt_update(q->r, s, RTT_TIMEOUT);
		q->r->stats.timeouts++;
		return;
	}
	if ((st = ldns_wire2pkt(&pkt, wire, len)) == LDNS_STATUS_MEM_ERR) {
		/* The server did nothing wrong. */
		query_fail(q, RES_EDE_OTHER, "out of memory");
		goto out;
	}
	if (st != LDNS_STATUS_OK || ldns_pkt_id(pkt) != q->id ||
	    !ldns_pkt_qr(pkt) || ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY) {
		q->r->stats.mismatched++;
		s->tried = true;
		goto out;
	}
	rtt_update(q->r, s, rtt_ms);
	rcode = ldns_pkt_get_rcode(pkt);
	if (ldns_pkt_tc(pkt) && !s->tcp) {
		s->tcp = true;		/* ask the same server over TCP */
		goto out;
	}
	if (rcode == LDNS_RCODE_FORMERR && !s->noedns) {
		s->noedns = true;	/* RFC 6891 section 7 */
		goto out;
	}
	/* The question must be echoed (0x20 is not used: exact match). */
	if (ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1 ||
	    (qrr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) == NULL ||
	    g->asked == NULL ||
	    ldns_dname_compare(ldns_rr_owner(qrr), g->asked) != 0 ||
	    ldns_rr_get_type(qrr) != g->asked_type ||
	    ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN) {
		q->r->stats.mismatched++;
		s->tried = true;
		goto out;
	}
	/* 0x20: the case must come back as sent; a server that changes
	 * it is asked again without (a spoofer must then guess twice). */
	if (g->asked_0x20 && memcmp(ldns_rdf_data(ldns_rr_owner(qrr)),
	    ldns_rdf_data(g->asked), ldns_rdf_size(g->asked)) != 0) {
		q->r->stats.mismatched++;
		s->no0x20 = true;
		goto out;
	}
	if (g->asked_0x20)
		pkt_lower_owners(pkt);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		s->tried = true;	/* lame, refused, broken */
		goto out;
	}
	if (ldns_pkt_aa(pkt) && discover_cut(q, g, pkt, now))
		goto out;
	if (ldns_dname_compare(g->asked, g->qname) != 0 ||
	    g->asked_type != g->qtype) {
		/* A minimised question: only the zone cut matters. */
		if ((child = referral_child(g, pkt)) != NULL &&
		    !ldns_pkt_aa(pkt)) {
			if (!handle_referral(q, g, pkt, child, now))
				s->tried = true;
		} else if (rcode == LDNS_RCODE_NXDOMAIN)
			g->qmin_off = true;
		else if (ldns_pkt_aa(pkt))
			g->qmin_extra++;	/* no cut there: go deeper */
		else
			s->tried = true;
	} else if (ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) > 0) {
		/* Records, or a CNAME chain and the denial at its end. */
		handle_answer(q, g, pkt, now);
	} else if (rcode == LDNS_RCODE_NXDOMAIN && ldns_pkt_aa(pkt)) {
		handle_denial(q, g, pkt, g->qname, true, now);
	} else if ((child = referral_child(g, pkt)) != NULL &&
	    !ldns_pkt_aa(pkt)) {
		if (!handle_referral(q, g, pkt, child, now))
			s->tried = true;
	} else if (ldns_pkt_aa(pkt)) {
		handle_denial(q, g, pkt, g->qname, false, now);
	} else
		s->tried = true;	/* not authoritative: lame */
out:
	ldns_pkt_free(pkt);
}
