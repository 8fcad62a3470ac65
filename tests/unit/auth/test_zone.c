/*
 * test_zone.c: the "zone" suite: zone files that must not load (each
 * error naming file and line), _keys files, answers to a table of
 * queries (RFC 1034 4.3.2, RFC 4592, RFC 6891, RFC 8482), every query
 * cut short, TSIG (RFC 8945) on NOTIFY and UPDATE, RFC 2136 updates,
 * IXFR (RFC 1995): differences between versions and the answers, and
 * zone files written back after an update as edits of their text.
 * test_nomem.c adds every allocation failing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_zone.h"

#include "../unit.h"

static const char zone_text[] =
    "$ORIGIN example.org.\n"
    "$TTL 300\n"
    "@ SOA ns1 hostmaster 2024010101 3600 900 604800 300\n"
    "@ NS ns1\n"
    "@ NS ns2.example.net.\n"
    "ns1 A 192.0.2.1\n"
    "ns1 AAAA 2001:db8::1\n"
    "www A 192.0.2.10\n"
    "alias CNAME www\n"
    "ext CNAME www.example.net.\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "*.wild A 192.0.2.20\n"
    "*.wild TXT \"wild\"\n"
    "sub NS ns.sub\n"
    "ns.sub A 192.0.2.30\n"
    "a.b.c TXT \"deep\"\n"
    "big TXT \"" "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789" "\"\n"
    "big TXT \"1123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789" "\"\n"
    "big TXT \"2123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789" "\"\n"
    "big TXT \"3123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789" "\"\n";

static const char keys_text[] =
    "up._update.example.org. DNSKEY 0 3 163 " SECRET "\n"
    "no._notify.example.org. DNSKEY 0 3 165 " SECRET "\n"
    "acme._update._acme-challenge.example.org. DNSKEY 0 3 163 " SECRET "\n";

static const struct {
	const char	*text;
	const char	*msg;
} bad_zones[] = {
	{ "@ 300 NS ns1.example.net.\n", "no SOA at the apex" },
	{ "@ 300 SOA a b 1 2 3 4 5\n", "no NS at the apex" },
	{ "@ 300 SOA a b 1 2 3 4 5\n@ NS ns.example.net.\nx CNAME y\n"
	  "x A 192.0.2.1\n", ":3: x.example.org. has a CNAME and other" },
	{ "@ 300 SOA a b 1 2 3 4 5\n@ NS ns.example.net.\n"
	  "www.example.com. A 192.0.2.1\n", ":3: www.example.com. is outside" },
	{ "@ 300 SOA a b 1 2 3 4 5\n@ NS ns1\n", ":2: no address (glue)" },
	{ "@ 300 SOA a b 1 2 3 4 5\n@ NS ns.example.net.\nx A 1.2.3\n",
	  "zone:3:" },
	{ "@ 300 SOA a b 1 2 3 4 5\n$INCLUDE /etc/passwd\n",
	  ":2: $INCLUDE is not allowed" },
	{ "@ 300 SOA a b 1 2 3 4 5\n@ SOA a b 2 2 3 4 5\n"
	  "@ NS ns.example.net.\n", "a second SOA" },
	{ "@ 300 SOA a b 1 2 3 4 5\n@ NS ns.example.net.\nx SOA a b 1 2 3 4 5\n",
	  ":3: SOA of x.example.org. is not at the apex" },
	{ "", ":1: empty file" },
};

START_TEST(test_zone_errors)
{
	struct err		 err;
	struct auth_zone	*z;
	const char		*t = bad_zones[_i].text;

	z = auth_zone_load("example.org", t, strlen(t), "zone", &err);
	ck_assert_ptr_null(z);
	ck_assert_msg(strstr(err.msg, bad_zones[_i].msg) != NULL,
	    "case %d: \"%s\" lacks \"%s\"", _i, err.msg, bad_zones[_i].msg);
	ck_assert(strncmp(err.msg, "zone:", 5) == 0);
}
END_TEST

static const struct {
	const char	*file, *text, *msg;	/* msg NULL: loads */
} key_cases[] = {
	{ "_keys", keys_text, NULL },
	{ "example.org._keys", keys_text, NULL },
	{ "example.com._keys", keys_text, ":1: key up._update.example.org." },
	{ "_keys", "a._update. DNSKEY 0 3 157 " SECRET "\n",
	  ":1: algorithm 157 (hmac-md5) is not supported" },
	{ "_keys", "\n\nplain.example.org. DNSKEY 0 3 163 " SECRET "\n",
	  ":3: key plain.example.org. has no _update" },
	{ "_keys", "a._update. DNSKEY 0 3 8 " SECRET "\n",
	  "algorithm 8 is not an HMAC" },
	{ "_keys", "a._update. A 192.0.2.1\n", "not a DNSKEY" },
	{ "_keys", "a._update. DNSKEY 0 3 163 " SECRET "\n"
	  "A._update. DNSKEY 0 3 163 " SECRET "\n", "defined twice" },
};

START_TEST(test_keys)
{
	struct dns_tsig_keys	*ks = dns_tsig_keys_new();
	struct err		 err;
	const char		*t = key_cases[_i].text;
	int			 rc;

	rc = dns_tsig_keys_load(ks, key_cases[_i].file, t, strlen(t), &err);
	if (key_cases[_i].msg == NULL)
		ck_assert_msg(rc == 0, "%s", err.msg);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err.msg, key_cases[_i].msg) != NULL,
		    "\"%s\" lacks \"%s\"", err.msg, key_cases[_i].msg);
	}
	dns_tsig_keys_free(ks);
}
END_TEST

struct auth_db *
db_of(const char *text)
{
	struct auth_db		*db = auth_db_new(1);
	struct dns_tsig_keys	*ks = dns_tsig_keys_new();
	struct auth_zone	*z;
	struct err		 err;

	z = auth_zone_load("example.org", text, strlen(text), "example.org",
	    &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	ck_assert_int_eq(auth_db_add_zone(db, z, &err), 0);
	auth_zone_free(z);
	ck_assert_int_eq(dns_tsig_keys_load(ks, "_keys", keys_text,
	    strlen(keys_text), &err), 0);
	auth_db_set_keys(db, ks);
	return db;
}

static struct auth_db *
make_db(void)
{
	return db_of(zone_text);
}

void
make_query(const char *name, ldns_rr_type type, int opcode, int edns,
    int version, struct buf *b)
{
	ldns_pkt	*p;
	uint8_t		*wire;
	size_t		 size;
	struct err	 err;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, type,
	    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_opcode(p, opcode);
	if (edns) {
		ldns_pkt_set_edns_udp_size(p, edns);
		ldns_pkt_set_edns_version(p, version);
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
	buf_reset(b);
	ck_assert_int_eq(buf_add(b, wire, size, &err), 0);
	free(wire);
	ldns_pkt_free(p);
}

static const struct qcase {
	const char	*name;
	ldns_rr_type	 type;
	int		 edns, tcp;
	int		 rcode, aa, an, ns, ar, tc;
	const char	*owner;		/* first answer's owner, or NULL */
} queries[] = {
	{ "example.org", LDNS_RR_TYPE_SOA, 0, 0, 0, 1, 1, 0, 0, 0, NULL },
	{ "WWW.Example.ORG", LDNS_RR_TYPE_A, 0, 0, 0, 1, 1, 0, 0, 0,
	  "WWW.Example.ORG." },
	{ "nope.example.org", LDNS_RR_TYPE_A, 0, 0, 3, 1, 0, 1, 0, 0, NULL },
	{ "www.example.org", LDNS_RR_TYPE_AAAA, 0, 0, 0, 1, 0, 1, 0, 0, NULL },
	{ "c.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 1, 0, 1, 0, 0, NULL },
	{ "b.c.example.org", LDNS_RR_TYPE_TXT, 0, 0, 0, 1, 0, 1, 0, 0, NULL },
	{ "alias.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 1, 2, 0, 0, 0, NULL },
	{ "alias.example.org", LDNS_RR_TYPE_CNAME, 0, 0, 0, 1, 1, 0, 0, 0,
	  NULL },
	{ "ext.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 1, 1, 0, 0, 0, NULL },
	{ "loop1.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 1, 8, 0, 0, 0, NULL },
	{ "x.wild.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 1, 1, 0, 0, 0,
	  "x.wild.example.org." },
	{ "x.y.wild.example.org", LDNS_RR_TYPE_TXT, 0, 0, 0, 1, 1, 0, 0, 0,
	  "x.y.wild.example.org." },
	{ "x.wild.example.org", LDNS_RR_TYPE_MX, 0, 0, 0, 1, 0, 1, 0, 0, NULL },
	{ "wild.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 1, 0, 1, 0, 0, NULL },
	{ "host.sub.example.org", LDNS_RR_TYPE_A, 0, 0, 0, 0, 0, 1, 1, 0,
	  NULL },
	{ "sub.example.org", LDNS_RR_TYPE_NS, 0, 0, 0, 0, 0, 1, 1, 0, NULL },
	{ "sub.example.org", LDNS_RR_TYPE_DS, 0, 0, 0, 1, 0, 1, 0, 0, NULL },
	{ "example.com", LDNS_RR_TYPE_A, 0, 0, 5, 0, 0, 0, 0, 0, NULL },
	{ "org", LDNS_RR_TYPE_SOA, 0, 0, 5, 0, 0, 0, 0, 0, NULL },
	{ "ns1.example.org", LDNS_RR_TYPE_ANY, 0, 0, 0, 1, 1, 0, 0, 0, NULL },
	{ "big.example.org", LDNS_RR_TYPE_TXT, 0, 0, 0, 1, 0, 0, 0, 1, NULL },
	{ "big.example.org", LDNS_RR_TYPE_TXT, 1232, 0, 0, 1, 4, 0, 0, 0,
	  NULL },
	{ "big.example.org", LDNS_RR_TYPE_TXT, 100, 0, 0, 1, 0, 0, 0, 1, NULL },
	{ "big.example.org", LDNS_RR_TYPE_TXT, 0, 1, 0, 1, 4, 0, 0, 0, NULL },
	{ "example.org", LDNS_RR_TYPE_AXFR, 0, 0, 5, 0, 0, 0, 0, 0, NULL },
	{ "example.org", LDNS_RR_TYPE_AXFR, 0, 1, 5, 0, 0, 0, 0, 0, NULL },
};

static ldns_pkt *
ask(struct auth_db *db, const struct buf *q, int tcp, struct auth_req *req,
    struct buf *out)
{
	struct err	 err;
	ldns_pkt	*r = NULL;

	buf_reset(out);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q->data, q->len, tcp, NOW,
	    req, out, &err), 0);
	if (req->kind == AUTH_REPLY && out->len > 0)
		ck_assert_int_eq(ldns_wire2pkt(&r, (uint8_t *)out->data,
		    out->len), LDNS_STATUS_OK);
	return r;
}

START_TEST(test_queries)
{
	const struct qcase	*c = &queries[_i];
	struct auth_db		*db = make_db();
	struct auth_req		 req;
	struct buf		 q, out;
	ldns_pkt		*r;
	char			*owner;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_query(c->name, c->type, LDNS_PACKET_QUERY, c->edns, 0, &q);
	r = ask(db, &q, c->tcp, &req, &out);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg((int)ldns_pkt_get_rcode(r) == c->rcode, "case %d rcode %d",
	    _i, ldns_pkt_get_rcode(r));
	ck_assert_msg(ldns_pkt_aa(r) == c->aa, "case %d aa", _i);
	ck_assert_msg(ldns_pkt_ancount(r) == c->an, "case %d an %d", _i,
	    ldns_pkt_ancount(r));
	ck_assert_msg(ldns_pkt_nscount(r) == c->ns, "case %d ns %d", _i,
	    ldns_pkt_nscount(r));
	ck_assert_msg(ldns_pkt_arcount(r) == c->ar, "case %d ar %d", _i,
	    ldns_pkt_arcount(r));
	ck_assert_msg(ldns_pkt_tc(r) == c->tc, "case %d tc", _i);
	ck_assert_int_eq(ldns_pkt_edns(r), c->edns != 0);
	ck_assert_uint_eq(ldns_pkt_id(r), 4242);
	ck_assert(c->tcp || out.len <= (size_t)(c->edns ? (c->edns < 512 ? 512 :
	    c->edns) : 512));
	if (c->owner != NULL) {
		owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(
		    ldns_pkt_answer(r), 0)));
		ck_assert_str_eq(owner, c->owner);
		free(owner);
	}
	ldns_pkt_free(r);
	auth_req_fini(&req);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/* Every query cut at every byte gets FORMERR or nothing, never a crash. */
START_TEST(test_queries_cut)
{
	struct auth_db	*db = make_db();
	struct auth_req	 req;
	struct buf	 q, out;
	struct err	 err;
	size_t		 cut;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_query(queries[_i].name, queries[_i].type, LDNS_PACKET_QUERY,
	    1232, 0, &q);
	for (cut = 0; cut < q.len; cut++) {
		buf_reset(&out);
		ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, cut, 0,
		    NOW, &req, &out, &err), 0);
		ck_assert(out.len == 0 || (out.len == 12 &&
		    (out.data[3] & 0xf) == LDNS_RCODE_FORMERR));
		auth_req_fini(&req);
	}
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

START_TEST(test_edns)
{
	struct auth_db	*db = make_db();
	struct auth_req	 req;
	struct buf	 q, out;
	ldns_pkt	*r;
	uint8_t		*p;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	/* BADVERS */
	make_query("example.org", LDNS_RR_TYPE_SOA, 0, 1232, 1, &q);
	r = ask(db, &q, 0, &req, &out);
	ck_assert_int_eq(ldns_pkt_edns_extended_rcode(r), 1);
	ck_assert_int_eq(ldns_pkt_edns_version(r), 0);
	ck_assert_int_eq(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	auth_req_fini(&req);
	/* Two OPT records: FORMERR. */
	make_query("example.org", LDNS_RR_TYPE_SOA, 0, 1232, 0, &q);
	p = (uint8_t *)q.data;
	ck_assert_int_eq(p[11], 1);
	buf_add(&q, q.data + q.len - 11, 11, NULL);
	p = (uint8_t *)q.data;
	p[11] = 2;
	r = ask(db, &q, 0, &req, &out);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);
	auth_req_fini(&req);
	/* Unknown opcode: NOTIMP. */
	make_query("example.org", LDNS_RR_TYPE_SOA, 2, 0, 0, &q);
	r = ask(db, &q, 0, &req, &out);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(r);
	auth_req_fini(&req);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

static struct dns_tsig_key *
key(const char *spec)
{
	struct err	 err;
	struct dns_tsig_key	*k = dns_tsig_key_parse(spec, &err);

	ck_assert_msg(k != NULL, "%s", err.msg);
	return k;
}

/* TSIG: name:alg of the signer, time offset, expected rcode and error. */
static const struct {
	const char	*key;
	long		 skew;
	int		 opcode, rcode, kind, tsig_error;
} signed_cases[] = {
	{ NULL, 0, LDNS_PACKET_NOTIFY, LDNS_RCODE_NOTAUTH, AUTH_REPLY, 0 },
	{ "up._update.example.org:hmac-sha256:" SECRET, 0, LDNS_PACKET_NOTIFY,
	  0, AUTH_NOTIFY, 0 },
	{ "no._notify.example.org:hmac-sha512:" SECRET, 0, LDNS_PACKET_NOTIFY,
	  0, AUTH_NOTIFY, 0 },
	{ "no._notify.example.org:hmac-sha512:" SECRET, 0, LDNS_PACKET_UPDATE,
	  LDNS_RCODE_NOTAUTH, AUTH_REPLY, 0 },
	{ "up._update.example.org:hmac-sha256:" SECRET, 0, LDNS_PACKET_UPDATE,
	  0, AUTH_UPDATE, 0 },
	{ "up._update.example.org:hmac-sha256:AAAA", 0, LDNS_PACKET_UPDATE,
	  LDNS_RCODE_NOTAUTH, AUTH_REPLY, 16 },
	{ "up._update.example.org:hmac-sha1:" SECRET, 0, LDNS_PACKET_UPDATE,
	  LDNS_RCODE_NOTAUTH, AUTH_REPLY, 17 },
	{ "other._update.example.org:hmac-sha256:" SECRET, 0,
	  LDNS_PACKET_NOTIFY, LDNS_RCODE_NOTAUTH, AUTH_REPLY, 17 },
	{ "up._update.example.org:hmac-sha256:" SECRET, 301,
	  LDNS_PACKET_NOTIFY, LDNS_RCODE_NOTAUTH, AUTH_REPLY, 18 },
	{ "up._update.example.org:hmac-sha256:" SECRET, -301,
	  LDNS_PACKET_UPDATE, LDNS_RCODE_NOTAUTH, AUTH_REPLY, 18 },
};

START_TEST(test_tsig)
{
	struct auth_db		*db = make_db();
	struct auth_req		 req;
	struct dns_tsig_key		*k = NULL;
	const struct dns_tsig_key	*vk;
	struct buf		 q, out;
	struct err		 err;
	ldns_pkt		*r;
	uint8_t			 mac[64], rmac[64];
	size_t			 maclen = 0, rmaclen;
	uint16_t		 tsig_error;
	int			 rc;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_query("example.org", LDNS_RR_TYPE_SOA, signed_cases[_i].opcode,
	    0, 0, &q);
	if (signed_cases[_i].key != NULL) {
		k = key(signed_cases[_i].key);
		ck_assert_int_eq(dns_tsig_sign(k, &q, NULL, 0, NULL, 0,
		    NOW + signed_cases[_i].skew, 0, mac, &maclen, &err), 0);
	}
	buf_reset(&out);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, signed_cases[_i].kind);
	if (req.kind != AUTH_REPLY) {
		ck_assert_ptr_nonnull(req.key);
		ck_assert_int_eq(auth_finish(&req, NOW, &out, &err), 0);
	}
	ck_assert_int_eq(ldns_wire2pkt(&r, (uint8_t *)out.data, out.len),
	    LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), signed_cases[_i].rcode);
	ck_assert_int_eq(req.tsig_error, signed_cases[_i].tsig_error);
	if (k != NULL && (signed_cases[_i].tsig_error == 0 ||
	    signed_cases[_i].tsig_error == 18)) {
		/* The answer is signed, over the request's MAC. */
		rc = dns_tsig_verify(NULL, k, (uint8_t *)out.data, out.len,
		    mac, maclen, NOW, &vk, rmac, &rmaclen, &tsig_error, &err);
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(tsig_error, DNS_TSIG_NOERROR);
	} else if (k != NULL)
		ck_assert_ptr_nonnull(ldns_pkt_tsig(r));
	ldns_pkt_free(r);
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/* An UPDATE: prerequisite class, update records, expected rcode. */
static const struct {
	const char	*pre;		/* prerequisite RR or NULL */
	const char	*up[3];
	int		 rcode, changed;
	const char	*name;		/* then answers this name ... */
	ldns_rr_type	 type;
	int		 an;		/* ... with so many records */
} updates[] = {
	{ NULL, { "new.example.org. 60 IN A 192.0.2.99" }, 0, 1,
	  "new.example.org", LDNS_RR_TYPE_A, 1 },
	{ NULL, { "www.example.org. 0 ANY A" }, 0, 1,
	  "www.example.org", LDNS_RR_TYPE_A, 0 },
	{ NULL, { "www.example.org. 0 NONE A 192.0.2.10" }, 0, 1,
	  "www.example.org", LDNS_RR_TYPE_A, 0 },
	{ NULL, { "www.example.org. 0 NONE A 192.0.2.11" }, 0, 0,
	  "www.example.org", LDNS_RR_TYPE_A, 1 },
	{ NULL, { "example.org. 0 ANY ANY" }, 0, 0,
	  "example.org", LDNS_RR_TYPE_NS, 2 },
	{ NULL, { "example.org. 0 ANY SOA" }, 0, 0,
	  "example.org", LDNS_RR_TYPE_SOA, 1 },
	{ NULL, { "www.example.com. 60 IN A 192.0.2.1" }, LDNS_RCODE_NOTZONE,
	  0, NULL, 0, 0 },
	{ "www.example.org. 0 NONE ANY", { "x.example.org. 60 IN A 1.2.3.4" },
	  LDNS_RCODE_YXDOMAIN, 0, NULL, 0, 0 },
	{ "nope.example.org. 0 ANY ANY", { "x.example.org. 60 IN A 1.2.3.4" },
	  LDNS_RCODE_NXDOMAIN, 0, NULL, 0, 0 },
	{ "www.example.org. 0 ANY TXT", { "x.example.org. 60 IN A 1.2.3.4" },
	  LDNS_RCODE_NXRRSET, 0, NULL, 0, 0 },
	{ "www.example.org. 0 NONE A", { "x.example.org. 60 IN A 1.2.3.4" },
	  LDNS_RCODE_YXRRSET, 0, NULL, 0, 0 },
	{ "www.example.org. 0 IN A 192.0.2.10",
	  { "x.example.org. 60 IN A 1.2.3.4" }, 0, 1,
	  "x.example.org", LDNS_RR_TYPE_A, 1 },
	{ NULL, { "www.example.org. 60 IN CNAME x.example.org." }, 0, 0,
	  "www.example.org", LDNS_RR_TYPE_A, 1 },
	{ NULL, { "sub2.example.org. 60 IN NS ns.sub2.example.org." },
	  LDNS_RCODE_REFUSED, 0, NULL, 0, 0 },
	{ NULL, { "example.org. 60 IN SOA ns1 h 2024010105 1 1 1 1" }, 0, 1,
	  "example.org", LDNS_RR_TYPE_SOA, 1 },
	/* The apex NS loses one record of two ... */
	{ NULL, { "example.org. 0 NONE NS ns1.example.org." }, 0, 1,
	  "example.org", LDNS_RR_TYPE_NS, 1 },
	/* ... never the last: the second delete is ignored. */
	{ NULL, { "example.org. 0 NONE NS ns2.example.net.",
	  "example.org. 0 NONE NS ns1.example.org." }, 0, 1,
	  "example.org", LDNS_RR_TYPE_NS, 1 },
	/* The whole apex NS set cannot be deleted by type. */
	{ NULL, { "example.org. 0 ANY NS" }, 0, 0,
	  "example.org", LDNS_RR_TYPE_NS, 2 },
	/* CNAME and other data never mix: the add is ignored. */
	{ NULL, { "www.example.org. 60 IN A 192.0.2.77",
	  "www.example.org. 60 IN CNAME x.example.org." }, 0, 1,
	  "www.example.org", LDNS_RR_TYPE_A, 2 },
	/* Value-dependent (section 3.2.3): other data, or no RRset. */
	{ "www.example.org. 0 IN A 192.0.2.99",
	  { "x.example.org. 60 IN A 1.2.3.4" }, LDNS_RCODE_NXRRSET, 0,
	  NULL, 0, 0 },
	{ "www.example.org. 0 IN TXT \"x\"",
	  { "x.example.org. 60 IN A 1.2.3.4" }, LDNS_RCODE_NXRRSET, 0,
	  NULL, 0, 0 },
	/* A prerequisite with a TTL is malformed (section 3.2). */
	{ "www.example.org. 60 IN A 192.0.2.10",
	  { "x.example.org. 60 IN A 1.2.3.4" }, LDNS_RCODE_FORMERR, 0,
	  NULL, 0, 0 },
};

/* "NAME TTL CLASS TYPE [RDATA]": ldns cannot parse empty data. */
static ldns_rr *
update_rr(const char *s)
{
	char		 name[256], cls[16], type[16];
	ldns_rr		*rr;
	unsigned int	 ttl;

	if (sscanf(s, "%255s %u %15s %15s", name, &ttl, cls, type) == 4 &&
	    strcmp(s + strlen(s) - strlen(type), type) == 0) {
		rr = ldns_rr_new();
		ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
		ldns_rr_set_ttl(rr, ttl);
		ldns_rr_set_class(rr, ldns_get_rr_class_by_name(cls));
		ldns_rr_set_type(rr, ldns_get_rr_type_by_name(type));
		return rr;
	}
	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL),
	    LDNS_STATUS_OK);
	return rr;
}

void
make_update(const char *pre, const char *const *up, size_t max,
    struct dns_tsig_key *k, struct buf *q)
{
	ldns_pkt	*p;
	uint8_t		*wire;
	size_t		 size, i;
	struct err	 err;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, "example.org",
	    LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	if (pre != NULL)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, update_rr(pre));
	for (i = 0; i < max && up[i] != NULL; i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, update_rr(up[i]));
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
	buf_reset(q);
	ck_assert_int_eq(buf_add(q, wire, size, &err), 0);
	free(wire);
	ldns_pkt_free(p);
	ck_assert_int_eq(dns_tsig_sign(k, q, NULL, 0, NULL, 0, NOW, 0, NULL,
	    NULL, &err), 0);
}

/* Sends db the update (pre, up[max]) signed with k; the rcode of
 * auth_update, the new zone in *nz, its summary's length in *sum_len. */
static int
update_as(struct auth_db *db, struct dns_tsig_key *k, const char *pre,
    const char *const *up, size_t max, struct auth_zone **nz,
    size_t *sum_len, struct err *err)
{
	struct auth_req	 req;
	struct buf	 q, out, sum;
	int		 rc;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&sum, 65535);
	make_update(pre, up, max, k, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, err), 0);
	ck_assert_int_eq(req.kind, AUTH_UPDATE);
	rc = auth_update(&req, AUTH_SERIAL_INCREMENT, NOW, nz, &sum, err);
	*sum_len = sum.len;
	auth_req_fini(&req);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&sum);
	return rc;
}

START_TEST(test_update)
{
	struct auth_db		*db = make_db();
	struct auth_req		 req;
	struct auth_zone	*nz;
	struct dns_tsig_key		*k = key("up._update.example.org:"
				    "hmac-sha256:" SECRET);
	struct buf		 q, out;
	struct err		 err;
	ldns_pkt		*r;
	size_t			 sum_len;
	int			 rc;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	rc = update_as(db, k, updates[_i].pre, updates[_i].up, 3, &nz,
	    &sum_len, &err);
	ck_assert_msg(rc == updates[_i].rcode, "case %d: rcode %d (%s)", _i,
	    rc, err.msg);
	ck_assert_int_eq(nz != NULL, updates[_i].changed);
	if (nz != NULL) {
		ck_assert_uint_eq(auth_zone_serial(nz), _i == 14 ?
		    2024010105 : 2024010102);
		ck_assert(sum_len > 0);
		auth_db_replace(db, nz);
	}
	if (updates[_i].name != NULL) {
		make_query(updates[_i].name, updates[_i].type,
		    LDNS_PACKET_QUERY, 0, 0, &q);
		r = ask(db, &q, 0, &req, &out);
		ck_assert_msg((int)ldns_pkt_ancount(r) == updates[_i].an,
		    "case %d: %d answers", _i, ldns_pkt_ancount(r));
		ldns_pkt_free(r);
		auth_req_fini(&req);
	}
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/* A key restricted to _acme-challenge names (dns_tsig_key_allows): its
 * challenge records are applied, any other name REFUSED, the whole
 * update with it. */
static const struct {
	const char	*up[2];
	int		 rcode;
} scoped[] = {
	{ { "_acme-challenge.example.org. 60 IN TXT" }, 0 },
	{ { "_acme-challenge.www.example.org. 60 IN TXT" }, 0 },
	{ { "www.example.org. 60 IN A 192.0.2.99" }, LDNS_RCODE_REFUSED },
	{ { "_acme-challenge.example.org. 60 IN TXT",
	    "example.org. 0 ANY MX" }, LDNS_RCODE_REFUSED },
	{ { "_acme-challenge.example.org.example.org. 0 ANY A" }, 0 },
	{ { "acme-challenge.example.org. 60 IN TXT" }, LDNS_RCODE_REFUSED },
};

START_TEST(test_update_scoped)
{
	struct auth_db		*db = make_db();
	struct auth_req		 req;
	struct auth_zone	*nz;
	struct dns_tsig_key	*k = key("acme._update._acme-challenge."
				    "example.org:hmac-sha256:" SECRET);
	struct buf		 q, out;
	struct err		 err;
	size_t			 sum_len;
	int			 rc;

	rc = update_as(db, k, NULL, scoped[_i].up, 2, &nz, &sum_len, &err);
	ck_assert_msg(rc == scoped[_i].rcode, "case %d: rcode %d (%s)", _i,
	    rc, err.msg);
	if (rc == LDNS_RCODE_REFUSED)
		ck_assert_msg(strstr(err.msg, "only names with the label "
		    "_acme-challenge") != NULL, "%s", err.msg);
	ck_assert(rc != 0 || _i == 4 || nz != NULL);
	auth_zone_free(nz);
	/* Neither a transfer nor a NOTIFY: those act on the whole zone. */
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_query("example.org", LDNS_RR_TYPE_AXFR, LDNS_PACKET_QUERY, 0, 0,
	    &q);
	ck_assert_int_eq(dns_tsig_sign(k, &q, NULL, 0, NULL, 0, NOW, 0, NULL,
	    NULL, &err), 0);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 1, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_ne(req.kind, AUTH_AXFR);
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/*
 * The serial of an UPDATE that brings no SOA follows the serial policy,
 * as a push's fix-up does: unixtime when that is newer, and the wrap of
 * RFC 1982 (4294967295 + 1 is 0, as NSD and Knot take it).
 */
START_TEST(test_update_serial_policy)
{
	static const struct {
		const char		*serial;
		enum auth_serial_policy	 policy;
		time_t			 now;
		uint32_t		 want;
	} cases[] = {
		{ "2024010101", AUTH_SERIAL_UNIXTIME, 2100000000, 2100000000 },
		{ "2024010101", AUTH_SERIAL_UNIXTIME, NOW, 2024010102 },
		{ "2024010101", AUTH_SERIAL_DATESERIAL, 2100000000,
		  2036071800 },
		{ "4294967295", AUTH_SERIAL_INCREMENT, NOW, 0 },
	};
	static const char *const up[] = { "new.example.org. 60 IN A 192.0.2.9" };
	char			 text[4096];
	struct auth_db		*db;
	struct auth_req		 req;
	struct auth_zone	*nz;
	struct dns_tsig_key	*k = key("up._update.example.org:hmac-sha256:"
				    SECRET);
	struct buf		 q, out, sum;
	struct err		 err;

	snprintf(text, sizeof(text), ZT_HEAD "@ SOA ns1 hostmaster %s 3600 "
	    "900 604800 300\n" ZT_NS, cases[_i].serial);
	ck_assert_ptr_nonnull(db = db_of(text));
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&sum, 65535);
	make_update(NULL, up, 1, k, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(auth_update(&req, cases[_i].policy, cases[_i].now,
	    &nz, &sum, &err), 0);
	ck_assert_ptr_nonnull(nz);
	ck_assert_uint_eq(auth_zone_serial(nz), cases[_i].want);
	auth_zone_free(nz);
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&sum);
	auth_db_free(db);
}
END_TEST

struct axfr_run {
	struct dns_tsig_key	*k;
	uint8_t		 mac[64];
	size_t		 maclen;
	int		 msgs, soas, bad;
};

static int
on_axfr(const uint8_t *p, size_t n, void *arg)
{
	struct axfr_run		*a = arg;
	ldns_pkt		*r;
	size_t			 i;

	if (ldns_wire2pkt(&r, p, n) != LDNS_STATUS_OK) {
		a->bad++;
		return 0;
	}
	for (i = 0; i < ldns_pkt_ancount(r); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(r), i)) ==
		    LDNS_RR_TYPE_SOA)
			a->soas++;
	if (ldns_pkt_tsig(r) == NULL)
		a->bad++;
	a->msgs++;
	ldns_pkt_free(r);
	return 0;
}

START_TEST(test_axfr)
{
	struct auth_db		*db = make_db();
	struct auth_req		 req;
	struct axfr_run		 a = { 0 };
	struct buf		 q, out;
	struct err		 err;

	a.k = key("up._update.example.org:hmac-sha256:" SECRET);
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_query("example.org", LDNS_RR_TYPE_AXFR, 0, 0, 0, &q);
	ck_assert_int_eq(dns_tsig_sign(a.k, &q, NULL, 0, NULL, 0, NOW, 0,
	    a.mac, &a.maclen, &err), 0);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 1, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_AXFR);
	ck_assert_int_eq(auth_axfr(&req, NOW, on_axfr, &a, &err), 0);
	ck_assert_int_eq(a.msgs, 1);
	ck_assert_int_eq(a.soas, 2);
	ck_assert_int_eq(a.bad, 0);
	auth_req_fini(&req);
	dns_tsig_key_free(a.k);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/* Three versions of a small zone for the IXFR tests. */
static const char *ixfr_versions[] = {
	"$ORIGIN example.org.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
	"@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\n"
	"mail A 192.0.2.20\ntxt TXT \"one\"\nttl 60 A 192.0.2.30\n",
	/* www changed, txt replaced, a TTL changed, case changed only. */
	"$ORIGIN example.org.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 2 3600 900 604800 300\n"
	"@ NS NS1\nNS1 A 192.0.2.1\nWWW A 192.0.2.11\n"
	"mail A 192.0.2.20\ntxt TXT \"two\"\nttl 120 A 192.0.2.30\n",
	/* new added, mail deleted. */
	"$ORIGIN example.org.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 3 3600 900 604800 300\n"
	"@ NS NS1\nNS1 A 192.0.2.1\nWWW A 192.0.2.11\n"
	"new A 192.0.2.40\ntxt TXT \"two\"\nttl 120 A 192.0.2.30\n",
};

static struct auth_zone *
ixfr_version(int i)
{
	struct auth_zone	*z;
	struct err		 err;

	z = auth_zone_load("example.org", ixfr_versions[i],
	    strlen(ixfr_versions[i]), "example.org", &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	return z;
}

/* The record written in text (TTL 300 if it has none). */
static ldns_rr *
text_rr(const char *text)
{
	ldns_rr	*rr;

	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, text, 300, NULL, NULL),
	    LDNS_STATUS_OK);
	return rr;
}

/* Is rr the record written in text, TTL included? */
static int
rr_is(const ldns_rr *rr, const char *text)
{
	ldns_rr	*t = text_rr(text);
	int	 same;

	same = ldns_rr_compare(rr, t) == 0 && ldns_rr_ttl(rr) == ldns_rr_ttl(t);
	ldns_rr_free(t);
	return same;
}

static int
list_has(const ldns_rr_list *l, const char *text)
{
	size_t	i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (rr_is(ldns_rr_list_rr(l, i), text))
			return 1;
	return 0;
}

START_TEST(test_zone_diff)
{
	struct auth_zone	*a = ixfr_version(0), *b = ixfr_version(1);
	ldns_rr_list		*del = ldns_rr_list_new();
	ldns_rr_list		*add = ldns_rr_list_new();
	struct err		 err;

	ck_assert_int_eq(auth_zone_diff(a, b, del, add, &err), 0);
	ck_assert_int_eq(ldns_rr_list_rr_count(del), 3);
	ck_assert_int_eq(ldns_rr_list_rr_count(add), 3);
	ck_assert(list_has(del, "www.example.org. 300 IN A 192.0.2.10"));
	ck_assert(list_has(del, "txt.example.org. 300 IN TXT \"one\""));
	ck_assert(list_has(del, "ttl.example.org. 60 IN A 192.0.2.30"));
	ck_assert(list_has(add, "www.example.org. 300 IN A 192.0.2.11"));
	ck_assert(list_has(add, "txt.example.org. 300 IN TXT \"two\""));
	ck_assert(list_has(add, "ttl.example.org. 120 IN A 192.0.2.30"));
	ldns_rr_list_deep_free(del);
	ldns_rr_list_deep_free(add);
	/* Against itself: nothing. */
	del = ldns_rr_list_new();
	add = ldns_rr_list_new();
	ck_assert_int_eq(auth_zone_diff(b, b, del, add, &err), 0);
	ck_assert_int_eq(ldns_rr_list_rr_count(del), 0);
	ck_assert_int_eq(ldns_rr_list_rr_count(add), 0);
	ldns_rr_list_deep_free(del);
	ldns_rr_list_deep_free(add);
	auth_zone_free(a);
	auth_zone_free(b);
}
END_TEST

/* An IXFR query from a client at serial, signed with k. */
static void
make_ixfr(uint32_t serial, struct dns_tsig_key *k, uint8_t *mac, size_t *maclen,
    struct buf *b)
{
	ldns_pkt	*p;
	ldns_rr		*soa;
	uint8_t		*wire;
	size_t		 size;
	char		 text[128];
	struct err	 err;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, "example.org",
	    LDNS_RR_TYPE_IXFR, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	snprintf(text, sizeof(text), "example.org. 300 IN SOA ns1.example.org."
	    " hostmaster.example.org. %u 3600 900 604800 300", serial);
	ck_assert_int_eq(ldns_rr_new_frm_str(&soa, text, 300, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
	buf_reset(b);
	ck_assert_int_eq(buf_add(b, wire, size, &err), 0);
	free(wire);
	ldns_pkt_free(p);
	ck_assert_int_eq(dns_tsig_sign(k, b, NULL, 0, NULL, 0, NOW, 0,
	    mac, maclen, &err), 0);
}

struct ixfr_run {
	ldns_rr_list	*rrs;
	int		 msgs, unsigned_msgs;
};

static int
on_ixfr(const uint8_t *p, size_t n, void *arg)
{
	struct ixfr_run	*r = arg;
	ldns_pkt	*pkt;
	size_t		 i;

	ck_assert_int_eq(ldns_wire2pkt(&pkt, p, n), LDNS_STATUS_OK);
	for (i = 0; i < ldns_pkt_ancount(pkt); i++)
		ldns_rr_list_push_rr(r->rrs,
		    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_answer(pkt), i)));
	if (ldns_pkt_tsig(pkt) == NULL)
		r->unsigned_msgs++;
	r->msgs++;
	ldns_pkt_free(pkt);
	return 0;
}

static uint32_t
rr_serial(const ldns_rr_list *l, size_t i)
{
	const ldns_rr	*rr = ldns_rr_list_rr(l, i);

	ck_assert_int_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	return ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
}

/* IXFR from serial want, the history holding versions 3, 2, 1 (newest
 * first), over TCP or UDP. */
static void
run_ixfr(uint32_t want, int tcp, enum auth_ixfr_step step, int incr,
    struct ixfr_run *r)
{
	struct auth_db		*db = auth_db_new(1);
	struct auth_zone	*cur = ixfr_version(2);
	struct dns_tsig_key		*k = key("up._update.example.org:"
				    "hmac-sha256:" SECRET);
	struct dns_tsig_keys	*ks = dns_tsig_keys_new();
	struct auth_ixfr	*x;
	struct auth_req		 req;
	struct buf		 q, out;
	struct err		 err;
	uint8_t			 mac[64];
	size_t			 maclen;
	int			 i, incremental = -1;
	enum auth_ixfr_step	 got = AUTH_IXFR_MORE;

	ck_assert_int_eq(auth_db_add_zone(db, cur, &err), 0);
	ck_assert_int_eq(dns_tsig_keys_load(ks, "_keys", keys_text,
	    strlen(keys_text), &err), 0);
	auth_db_set_keys(db, ks);
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	make_ixfr(want, k, mac, &maclen, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, tcp, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_IXFR);
	ck_assert_ptr_nonnull(x = auth_ixfr_new(&req, 10));
	for (i = 2; i >= 0 && got == AUTH_IXFR_MORE; i--)
		got = auth_ixfr_older(x, ixfr_version(i));
	ck_assert_int_eq(got, step);
	ck_assert_int_eq(auth_ixfr_send(x, NOW, on_ixfr, r, &incremental,
	    &err), 0);
	ck_assert_int_eq(incremental, incr);
	ck_assert_int_eq(r->unsigned_msgs, 0);
	auth_ixfr_free(x);
	auth_req_fini(&req);
	auth_zone_free(cur);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}

START_TEST(test_ixfr)
{
	struct ixfr_run	r = { ldns_rr_list_new(), 0, 0 };
	ldns_rr_list	*l = r.rrs;

	/* From 1: 3, [1, -3, 2, +3], [2, -1, 3, +1], 3. */
	run_ixfr(1, 1, AUTH_IXFR_FOUND, 1, &r);
	ck_assert_int_eq(ldns_rr_list_rr_count(l), 14);
	ck_assert_int_eq(rr_serial(l, 0), 3);
	ck_assert_int_eq(rr_serial(l, 1), 1);
	ck_assert_int_eq(rr_serial(l, 5), 2);
	ck_assert_int_eq(rr_serial(l, 9), 2);
	ck_assert_int_eq(rr_serial(l, 11), 3);
	ck_assert_int_eq(rr_serial(l, 13), 3);
	ck_assert(list_has(l, "mail.example.org. 300 IN A 192.0.2.20"));
	ck_assert(list_has(l, "new.example.org. 300 IN A 192.0.2.40"));
	ldns_rr_list_deep_free(l);

	/* From 2 over UDP: it fits in one message. */
	r.rrs = l = ldns_rr_list_new();
	r.msgs = 0;
	run_ixfr(2, 0, AUTH_IXFR_FOUND, 1, &r);
	ck_assert_int_eq(r.msgs, 1);
	ck_assert_int_eq(ldns_rr_list_rr_count(l), 6);
	ck_assert_int_eq(rr_serial(l, 1), 2);
	ldns_rr_list_deep_free(l);

	/* From an unknown serial: the full zone, AXFR-style. */
	r.rrs = l = ldns_rr_list_new();
	run_ixfr(0, 1, AUTH_IXFR_MORE, 0, &r);
	ck_assert_int_eq(ldns_rr_list_rr_count(l), 8);
	ck_assert_int_eq(rr_serial(l, 0), 3);
	ck_assert_int_eq(rr_serial(l, 7), 3);
	ldns_rr_list_deep_free(l);
}
END_TEST

START_TEST(test_ixfr_current)
{
	struct auth_db		*db = make_db();
	struct dns_tsig_key		*k = key("up._update.example.org:"
				    "hmac-sha256:" SECRET);
	struct auth_req		 req;
	struct buf		 q, out;
	struct err		 err;
	ldns_pkt		*r;
	uint8_t			 mac[64];
	size_t			 maclen;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	/* The current serial, and one ahead of it (RFC 1982): one SOA. */
	make_ixfr(2024010101, k, mac, &maclen, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 1, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_REPLY);
	ck_assert_int_eq(ldns_wire2pkt(&r, (uint8_t *)out.data, out.len),
	    LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_ancount(r), 1);
	ck_assert_ptr_nonnull(ldns_pkt_tsig(r));
	ldns_pkt_free(r);
	auth_req_fini(&req);
	buf_reset(&out);
	make_ixfr(2024010102, k, mac, &maclen, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_REPLY);
	ck_assert_int_eq(ldns_wire2pkt(&r, (uint8_t *)out.data, out.len),
	    LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_ancount(r), 1);
	ldns_pkt_free(r);
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/* auth_zone_key's memcmp order is ldns_dname_compare's, and an ancestor's
 * key is a prefix of its descendants' (the lookups rely on both). */
static const char *const key_names[] = {
	".", "org.", "example.org.", "a.example.org.", "A.example.org.",
	"aa.example.org.", "a\\000.example.org.", "a\\001.example.org.",
	"a\\002.example.org.", "\\000.example.org.", "\\001a.example.org.",
	"a[b.example.org.", "aZb.example.org.", "a_b.example.org.",
	"a-b.example.org.", "h\\200igh.example.org.", "H\\200.example.org.",
	"*.a.example.org.", "b.a.example.org.", "z.b.a.example.org.",
	"a.b.example.org.", "example.org\\000.", "examplf.org.", "\\255.",
	"xn--bcher-kva.example.", "a.example", "a\\.b.example.org.",
};

/* Flips the case of every other letter of the question's name. */
static void
query_mixcase(struct buf *q)
{
	uint8_t	*p = (uint8_t *)q->data;
	size_t	 i, k = 0;

	for (i = 12; i < q->len && p[i] != 0; i += 1 + p[i]) {
		for (k = i + 1; k <= i + p[i]; k++)
			if (((p[k] | 0x20) >= 'a' && (p[k] | 0x20) <= 'z') &&
			    k % 2 == 0)
				p[k] ^= 0x20;
	}
}

/*
 * The reply cache: a miss, then for the same question with another ID,
 * RD, CD and letter case a hit that gives auth_handle's bytes; nothing
 * for TCP, TSIG or FORMERR; emptied when a zone is replaced.
 */
START_TEST(test_cache)
{
	const struct qcase	*c = &queries[_i];
	struct auth_db		*db = make_db();
	struct auth_req		 req;
	struct buf		 q, out, hit;
	struct err		 err;
	uint8_t			*p;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&hit, 65535);
	make_query(c->name, c->type, LDNS_PACKET_QUERY, c->edns, 0, &q);
	ck_assert_int_eq(auth_cache_answer(db, (uint8_t *)q.data, q.len, &hit,
	    &err), 0);
	ldns_pkt_free(ask(db, &q, c->tcp, &req, &out));
	auth_cache_store(db, &req, &out);
	auth_req_fini(&req);
	p = (uint8_t *)q.data;
	p[0] ^= 0x5a;
	p[2] ^= 0x01;		/* RD */
	p[3] ^= 0x10;		/* CD */
	query_mixcase(&q);
	ldns_pkt_free(ask(db, &q, 0, &req, &out));
	auth_req_fini(&req);
	if (c->tcp || c->type == LDNS_RR_TYPE_AXFR) {
		ck_assert_int_eq(auth_cache_answer(db, (uint8_t *)q.data,
		    q.len, &hit, &err), 0);
	} else {
		ck_assert_int_eq(auth_cache_answer(db, (uint8_t *)q.data,
		    q.len, &hit, &err), 1);
		ck_assert_uint_eq(hit.len, out.len);
		ck_assert(memcmp(hit.data, out.data, out.len) == 0);
		/* A new version of the zone empties the cache. */
		auth_db_replace(db, auth_zone_ref(auth_db_zone(db,
		    "example.org")));
		buf_reset(&hit);
		ck_assert_int_eq(auth_cache_answer(db, (uint8_t *)q.data,
		    q.len, &hit, &err), 0);
	}
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&hit);
	auth_db_free(db);
}
END_TEST

/* The table keeps at most its entries and bytes. */
START_TEST(test_cache_bound)
{
	struct auth_cache	*c = auth_cache_new(5, 4000, 1);
	uint8_t			 key[8], val[300];
	size_t			 i, len;

	ck_assert_ptr_nonnull(c);
	memset(val, 0xab, sizeof(val));
	for (i = 0; i < 1000; i++) {
		memcpy(key, &i, sizeof(i) < 8 ? sizeof(i) : 8);
		auth_cache_put(c, key, sizeof(key), val, 100 + i % 200);
		ck_assert_uint_le(auth_cache_count(c), 8);
		ck_assert_uint_le(auth_cache_bytes(c), 4000);
	}
	ck_assert_uint_gt(auth_cache_count(c), 0);
	/* The last one stored is there (its slot's old entry made room). */
	ck_assert_ptr_nonnull(auth_cache_get(c, key, sizeof(key), &len));
	ck_assert_uint_eq(len, 100 + 999 % 200);
	auth_cache_clear(c);
	ck_assert_uint_eq(auth_cache_count(c), 0);
	ck_assert_uint_eq(auth_cache_bytes(c), 0);
	ck_assert_ptr_null(auth_cache_get(c, key, sizeof(key), &len));
	auth_cache_free(c);
}
END_TEST

START_TEST(test_zone_key_order)
{
	ldns_rdf	*x, *y;
	uint8_t		 kx[AUTH_ZONE_KEY_MAX], ky[AUTH_ZONE_KEY_MAX];
	size_t		 i, j, lx, ly, ends[AUTH_ZONE_MAX_LABELS], nl;
	int		 c, want;

	for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		ck_assert_ptr_nonnull(x = ldns_dname_new_frm_str(
		    key_names[i]));
		lx = auth_zone_key(x, kx, ends, &nl);
		ck_assert_uint_eq(nl, ldns_dname_label_count(x));
		ck_assert_uint_eq(ends[nl], lx);
		for (j = 0; j < sizeof(key_names) / sizeof(key_names[0]);
		    j++) {
			ck_assert_ptr_nonnull(y = ldns_dname_new_frm_str(
			    key_names[j]));
			ly = auth_zone_key(y, ky, NULL, NULL);
			c = memcmp(kx, ky, lx < ly ? lx : ly);
			if (c == 0)
				c = lx < ly ? -1 : lx > ly;
			want = ldns_dname_compare(x, y);
			ck_assert_msg((c > 0) - (c < 0) ==
			    (want > 0) - (want < 0), "%s vs %s: %d, want %d",
			    key_names[i], key_names[j], c, want);
			ck_assert_int_eq(ly >= lx && memcmp(kx, ky, lx) == 0,
			    ldns_dname_compare(x, y) == 0 ||
			    ldns_dname_is_subdomain(y, x));
			ldns_rdf_deep_free(y);
		}
		ldns_rdf_deep_free(x);
	}
}
END_TEST

/* Zone files written back as edits (zonetext.c): the hand-kept zone of
 * test_zone.h, and small zones for the line ends. */
#define ZT_MINI(serial)	"$ORIGIN example.org.\n@ 300 SOA ns1 h " serial \
			" 2 3 4 5\n@ 300 NS ns1\nns1 300 A 192.0.2.1\n"
#define ZT_CRLF(serial)	"$ORIGIN example.org.\r\n$TTL 300\r\n" \
			"@ SOA ns1 h " serial " 2 3 4 5\r\n@ NS ns1\r\n" \
			"ns1 A 192.0.2.1\r\n"

/* The old text, the records the new version loses and gains (an SOA
 * gained replaces the old one, else the serial moves up by one, as an
 * UPDATE does) and the text expected: NULL for the whole zone written
 * again. */
static const struct {
	const char	*what, *old;
	const char	*del[3], *add[3];
	const char	*text;
} edits[] = {
	{ "the serial alone, in place", ZT_OLD, { NULL }, { NULL },
	  ZT_NEW(ZT_NS ZT_WWW ZT_MAIL ZT_SUB) },
	{ "a removed owner (and its comment) goes to the next line", ZT_OLD,
	  { "www.example.org. 300 IN A 192.0.2.10" }, { NULL },
	  ZT_NEW(ZT_NS "www.example.org.\tA\t192.0.2.11\n" ZT_WWW3 ZT_MAIL
	  ZT_SUB) },
	{ "a record that inherited its owner", ZT_OLD,
	  { "www.example.org. 300 IN A 192.0.2.11" }, { NULL },
	  ZT_NEW(ZT_NS ZT_WWW1 ZT_WWW3 ZT_MAIL ZT_SUB) },
	{ "consecutive lines, a name's last records", ZT_OLD,
	  { "www.example.org. 300 IN A 192.0.2.10",
	    "www.example.org. 300 IN A 192.0.2.11",
	    "www.example.org. 300 IN TXT \"v=spf1 -all\"" }, { NULL },
	  ZT_NEW(ZT_NS ZT_MAIL ZT_SUB) },
	{ "the last record of a name", ZT_OLD,
	  { "mail.example.org. 60 IN MX 10 mx.example.org." }, { NULL },
	  ZT_NEW(ZT_NS ZT_WWW "mx\tA\t192.0.2.25\n\n" ZT_SUB) },
	{ "@: the owner inherited is still the SOA's", ZT_OLD,
	  { "example.org. 300 IN NS ns1.example.org." }, { NULL },
	  ZT_NEW("; name servers\n\tNS\tns2.example.net.\n"
	  "ns1\tA\t192.0.2.1\n\tAAAA\t2001:db8::1\n\n" ZT_WWW ZT_MAIL
	  ZT_SUB) },
	{ "added to an empty-owner run", ZT_OLD, { NULL },
	  { "www.example.org. 300 IN A 192.0.2.12" },
	  ZT_NEW(ZT_NS ZT_WWW ZT_MAIL ZT_SUB
	  "www.example.org.\t300\tIN\tA\t192.0.2.12\n") },
	{ "a TTL changed: removed and added", ZT_OLD,
	  { "mail.example.org. 60 IN MX 10 mx.example.org." },
	  { "mail.example.org. 120 IN MX 10 mx.example.org." },
	  ZT_NEW(ZT_NS ZT_WWW "mx\tA\t192.0.2.25\n\n" ZT_SUB
	  "mail.example.org.\t120\tIN\tMX\t10 mx.example.org.\n") },
	{ "a relative name under a second $ORIGIN", ZT_OLD,
	  { "host.sub.example.org. 300 IN A 192.0.2.40" },
	  { "new.sub.example.org. 300 IN A 192.0.2.41" },
	  ZT_NEW(ZT_NS ZT_WWW ZT_MAIL "$ORIGIN sub.example.org.\n"
	  "new.sub.example.org.\t300\tIN\tA\t192.0.2.41\n") },
	{ "an SOA changed beyond its serial: rewritten where it stood",
	  ZT_OLD, { NULL }, { "example.org. 300 IN SOA ns1.example.org. "
	  "hostmaster.example.org. 2024010102 7200 900 604800 300" },
	  ZT_HEAD "example.org.\t300\tIN\tSOA\tns1.example.org. "
	  "hostmaster.example.org. 2024010102 7200 900 604800 300\n\n"
	  ZT_NS ZT_WWW ZT_MAIL ZT_SUB },
	{ "a record over lines, a comment above it stays",
	  ZT_MINI("1") "; two strings\ntxt TXT ( \"one\"\n\t\"two\" ) ; x\n\n"
	  "after A 192.0.2.60\n",
	  { "txt.example.org. 3600 IN TXT \"one\" \"two\"" }, { NULL },
	  ZT_MINI("2") "; two strings\n\nafter A 192.0.2.60\n" },
	{ "no final newline: added", ZT_MINI("1") "www 300 A 192.0.2.10",
	  { NULL }, { "www.example.org. 300 IN A 192.0.2.11" },
	  ZT_MINI("2") "www 300 A 192.0.2.10\n"
	  "www.example.org.\t300\tIN\tA\t192.0.2.11\n" },
	{ "no final newline: the last line removed",
	  ZT_MINI("1") "www 300 A 192.0.2.10",
	  { "www.example.org. 300 IN A 192.0.2.10" }, { NULL },
	  ZT_MINI("2") },
	{ "CRLF line ends", ZT_CRLF("1") "www A 192.0.2.10\r\n\tTXT \"x\"\r\n",
	  { "www.example.org. 300 IN A 192.0.2.10" },
	  { "new.example.org. 300 IN A 192.0.2.50" },
	  ZT_CRLF("2") "www.example.org.\tTXT \"x\"\r\n"
	  "new.example.org.\t300\tIN\tA\t192.0.2.50\r\n" },
	{ "a line twice: the edit would keep one, so the whole zone",
	  ZT_MINI("1") "www 300 A 192.0.2.10\nwww 300 A 192.0.2.10\n",
	  { "www.example.org. 300 IN A 192.0.2.10" }, { NULL }, NULL },
};

/* old's records, less del, plus add, as a new zone made by UPDATE. */
static struct auth_zone *
edited_zone(const struct auth_zone *old, const char *const *del,
    const char *const *add)
{
	struct auth_zrr		*v = calloc(old->n + 3, sizeof(*v));
	struct auth_zone	*z;
	ldns_rr			*rr, *soa = NULL;
	size_t			 i, j, n = 0;
	struct err		 err;

	for (j = 0; j < 3 && add[j] != NULL; j++) {
		v[n++].rr = rr = text_rr(add[j]);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			soa = rr;
	}
	for (i = 0; i < old->n; i++) {
		rr = old->v[i].rr;
		for (j = 0; j < 3 && del[j] != NULL; j++)
			if (rr_is(rr, del[j]))
				break;
		if ((j < 3 && del[j] != NULL) || (rr == old->soa && soa))
			continue;
		v[n++].rr = rr = ldns_rr_clone(rr);
		if (old->v[i].rr == old->soa)
			ldns_rdf_deep_free(ldns_rr_set_rdf(rr,
			    ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
			    auth_zone_serial(old) + 1), 2));
	}
	z = auth_zone_build(old->name, old->file, v, n, &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	return z;
}

/* Does text load back to exactly z's records? */
static int
loads_back(const struct auth_zone *z, const struct buf *text)
{
	struct auth_zone	*y;
	struct err		 err;
	int			 same;

	y = auth_zone_load("example.org", text->data, text->len, "edited",
	    &err);
	ck_assert_msg(y != NULL, "%s", err.msg);
	same = auth_zone_same(y, z);
	auth_zone_free(y);
	return same;
}

START_TEST(test_zone_edit)
{
	struct auth_zone	*old, *new;
	struct buf		 out, whole;
	struct err		 err;
	int			 rewritten = -1;
	const char		*t = edits[_i].old;

	old = auth_zone_load("example.org", t, strlen(t), "example.org",
	    &err);
	ck_assert_msg(old != NULL, "%s: %s", edits[_i].what, err.msg);
	new = edited_zone(old, edits[_i].del, edits[_i].add);
	buf_init(&out, 1 << 20);
	buf_init(&whole, 1 << 20);
	ck_assert_int_eq(auth_zone_edit(old, new, &out, &rewritten, &err), 0);
	ck_assert_msg(loads_back(new, &out), "%s", edits[_i].what);
	ck_assert_int_eq(rewritten, edits[_i].text == NULL);
	if (edits[_i].text == NULL) {
		ck_assert_int_eq(auth_zone_text(new, &whole, &err), 0);
		ck_assert_str_eq(out.data, whole.data);
	} else
		ck_assert_msg(strcmp(out.data, edits[_i].text) == 0,
		    "%s: got\n%s\nwant\n%s", edits[_i].what, out.data,
		    edits[_i].text);
	buf_fini(&out);
	buf_fini(&whole);
	auth_zone_free(old);
	auth_zone_free(new);
}
END_TEST

/* The zone that a signed UPDATE (records up[], NULL-ended) makes of
 * db's example.org. */
static struct auth_zone *
update_zone(struct auth_db *db, const char *const *up)
{
	struct dns_tsig_key		*k = key("up._update.example.org:"
				    "hmac-sha256:" SECRET);
	struct auth_req		 req;
	struct auth_zone	*nz;
	struct buf		 q, out, sum;
	struct err		 err;

	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&sum, 65535);
	make_update(NULL, up, 3, k, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_UPDATE);
	ck_assert_int_eq(auth_update(&req, AUTH_SERIAL_INCREMENT, NOW, &nz,
	    &sum, &err), 0);
	ck_assert_ptr_nonnull(nz);
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&sum);
	return nz;
}

/* What auth_zone_edit makes of new from old, and whether it rewrote. */
static int
edit_text(const struct auth_zone *old, const struct auth_zone *new,
    struct buf *out)
{
	struct err	err;
	int		rewritten = -1;

	buf_reset(out);
	ck_assert_int_eq(auth_zone_edit(old, new, out, &rewritten, &err), 0);
	ck_assert(loads_back(new, out));
	return rewritten;
}

/* Two UPDATEs in a row, as the daemon makes them: the first edits the
 * loaded file; the second the text the first wrote, given to the zone it
 * made. */
START_TEST(test_zone_edit_update)
{
	static const char *const up1[] = {
		"www.example.org. 0 NONE A 192.0.2.10",
		"new.example.org. 60 IN A 192.0.2.99", NULL };
	static const char *const up2[] = {
		"new.example.org. 0 ANY A", NULL };
	struct auth_db		*db = db_of(ZT_OLD);
	struct auth_zone	*old = auth_db_zone(db, "example.org"), *nz;
	struct buf		 out;
	size_t			 len;

	buf_init(&out, 1 << 20);
	ck_assert_str_eq(auth_zone_source(old, &len), ZT_OLD);
	ck_assert_uint_eq(len, strlen(ZT_OLD));
	nz = update_zone(db, up1);
	ck_assert_ptr_null(auth_zone_source(nz, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(edit_text(old, nz, &out), 0);
	ck_assert_str_eq(out.data, ZT_NEW(ZT_NS "www.example.org.\tA\t"
	    "192.0.2.11\n" ZT_WWW3 ZT_MAIL ZT_SUB "new.example.org.\t60\tIN\t"
	    "A\t192.0.2.99\n"));
	ck_assert_int_eq(auth_zone_set_source(nz, out.data, out.len), 0);
	auth_db_replace(db, nz);
	nz = update_zone(db, up2);
	ck_assert_int_eq(edit_text(auth_db_zone(db, "example.org"), nz, &out),
	    0);
	ck_assert_str_eq(out.data, ZT_HEAD ZT_SOA("2024010103") ZT_NS
	    "www.example.org.\tA\t192.0.2.11\n" ZT_WWW3 ZT_MAIL ZT_SUB);
	auth_zone_free(nz);
	buf_fini(&out);
	auth_db_free(db);
}
END_TEST

/* Unchanged, the text stays as it is; without a source that holds its
 * records, a zone is written whole. */
START_TEST(test_zone_edit_source)
{
	static const char *const up[] = {
		"new.example.org. 60 IN A 192.0.2.99", NULL };
	struct auth_db		*db = db_of(ZT_OLD);
	struct auth_zone	*old = auth_db_zone(db, "example.org"), *nz;
	struct buf		 out, whole;
	struct err		 err;

	buf_init(&out, 1 << 20);
	buf_init(&whole, 1 << 20);
	ck_assert_int_eq(edit_text(old, old, &out), 0);
	ck_assert_str_eq(out.data, ZT_OLD);
	nz = update_zone(db, up);
	ck_assert_int_eq(auth_zone_text(nz, &whole, &err), 0);
	ck_assert_int_eq(edit_text(nz, nz, &out), 1);
	ck_assert_str_eq(out.data, whole.data);
	ck_assert_int_eq(auth_zone_set_source(nz, ZT_OLD, strlen(ZT_OLD)), 0);
	ck_assert_int_eq(edit_text(nz, nz, &out), 1);
	ck_assert_str_eq(out.data, whole.data);
	/* rewritten may be NULL; out is appended to. */
	ck_assert_int_eq(auth_zone_edit(old, old, &out, NULL, &err), 0);
	ck_assert_uint_eq(out.len, whole.len + strlen(ZT_OLD));
	auth_zone_free(nz);
	buf_fini(&out);
	buf_fini(&whole);
	auth_db_free(db);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("zone");
	TCase	*tc = tcase_create("zone");

	tcase_add_loop_test(tc, test_zone_errors, 0,
	    sizeof(bad_zones) / sizeof(bad_zones[0]));
	tcase_add_loop_test(tc, test_keys, 0,
	    sizeof(key_cases) / sizeof(key_cases[0]));
	tcase_add_loop_test(tc, test_queries, 0,
	    sizeof(queries) / sizeof(queries[0]));
	tcase_add_loop_test(tc, test_queries_cut, 0,
	    sizeof(queries) / sizeof(queries[0]));
	tcase_add_test(tc, test_edns);
	tcase_add_loop_test(tc, test_tsig, 0,
	    sizeof(signed_cases) / sizeof(signed_cases[0]));
	tcase_add_loop_test(tc, test_update_serial_policy, 0, 4);
	tcase_add_loop_test(tc, test_update, 0,
	    sizeof(updates) / sizeof(updates[0]));
	tcase_add_loop_test(tc, test_update_scoped, 0,
	    sizeof(scoped) / sizeof(scoped[0]));
	tcase_add_test(tc, test_axfr);
	tcase_add_test(tc, test_zone_diff);
	tcase_add_test(tc, test_ixfr);
	tcase_add_test(tc, test_ixfr_current);
	tcase_add_test(tc, test_zone_key_order);
	tcase_add_loop_test(tc, test_cache, 0,
	    sizeof(queries) / sizeof(queries[0]));
	tcase_add_test(tc, test_cache_bound);
	tcase_add_loop_test(tc, test_zone_edit, 0,
	    sizeof(edits) / sizeof(edits[0]));
	tcase_add_test(tc, test_zone_edit_update);
	tcase_add_test(tc, test_zone_edit_source);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, zone_nomem_tcase());
	suite_add_tcase(s, zone_limits_tcase());
	suite_add_tcase(s, zone_replycache_tcase());
	suite_add_tcase(s, zone_rrl_tcase());
	suite_add_tcase(s, zone_dnssec_tcase());
	suite_add_tcase(s, zone_sign_tcase());
	return s;
}
