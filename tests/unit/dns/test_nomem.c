/*
 * test_nomem.c: the stub client's sans-I/O core and the message helpers
 * with their allocations failing one at a time (tests/unit/nomem.h): a
 * query built (dns_query_wire), answers parsed and checked against their
 * question (dns_answer_parse: an answer through a CNAME chain, a FORMERR
 * without a question), the readers of an answer (TXT, raw TXT, addresses,
 * names, MX, the SOA serial), an answer built from text (dns_msg_build)
 * and the start of a reply (dns_reply_new); TSIG: a key parsed and
 * copied, a _keys file loaded, a request signed and verified, the signed
 * response to it verified against the request's MAC, the error TSIG of a
 * refused response.  (The stub itself, with its sockets: test_stub.c.)
 *
 * Each operation runs first with memory to spare, then for n = 0, 1, 2,
 * ... with the (n + 1)-th allocation failing, until a run no longer
 * reaches the failure.  A run must fail as its contract says (-1 or NULL
 * with ERR_NOMEM; a NULL key copy) or give exactly what the first run
 * gave; a message that signing failed to extend is left as it was.  Under
 * --enable-sanitizers LeakSanitizer fails the test if anything leaks.
 *
 * What can fail: check_dns is linked with --wrap for malloc, calloc,
 * realloc, reallocarray, strdup, strndup and fmemopen, and for the ldns
 * functions that allocate (nomem_ldns.c).  OpenSSL's allocations for the
 * HMAC never fail here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_priv.h"
#include "util/buf.h"
#include "util/err.h"
#include "../nomem.h"
#include "test_dns.h"

#define QID	0x4242
#define SECRET	"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="
#define NOW	1700000000

/* What one run made, to hold against the run with memory to spare. */
struct run {
	int		 rc;		/* 0, or -1: failed, see err */
	struct buf	 a;		/* what it gave, as bytes or text */
	struct err	 err;
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->a, 1 << 16);
	err_clear(&r->err);
}

static bool
run_same(const struct run *x, const struct run *y)
{
	return x->rc == y->rc && x->a.len == y->a.len && (x->a.len == 0 ||
	    memcmp(x->a.data, y->a.data, x->a.len) == 0);
}

/* Appends to r->a, paused: the test's own memory. */
static void
note(struct run *r, const void *p, size_t len)
{
	nomem_pause(true);
	ck_assert_int_eq(buf_add(&r->a, p, len, NULL), 0);
	ck_assert_int_eq(buf_add(&r->a, "|", 1, NULL), 0);
	nomem_pause(false);
}

static void
note_str(struct run *r, const char *s)
{
	note(r, s, strlen(s));
}

/* 0 from f, or -1 noted as the run's failure. */
static int
step(struct run *r, int rc)
{
	if (rc == -1)
		r->rc = -1;
	return rc;
}

/* What every run works on, made with memory to spare. */
struct fixture {
	uint8_t			*txt, *mx, *formerr;	/* answers, wire */
	size_t			 txt_len, mx_len, formerr_len;
	struct dns_msg		*mmx;		/* the mx answer, parsed */
	struct dns_tsig_key	*key;		/* up._update.example.org */
	struct dns_tsig_keys	*keys;		/* the _keys file's */
	struct buf		 req;		/* a query, signed by key */
	uint8_t			 req_mac[64];
	size_t			 req_mac_len;
	size_t			 tsig_off;	/* of req's TSIG */
};

static const char	 nomem_keys[] =
    "; who may do what in example.org\n"
    "up._update.example.org. DNSKEY 0 3 163 " SECRET "\n"
    "\n"
    "no._notify.example.org. 3600 IN DNSKEY 0 3 165 " SECRET " ; NOTIFY\n"
    "x._transfer.sub.example.org. DNSKEY 0 3 161 " SECRET "\n";

/* ---- messages ---- */

static void
op_query_wire(struct fixture *f, struct run *r)
{
	ldns_rdf	*name;
	uint8_t		*w;
	size_t		 len;

	(void)f;
	if ((name = dns_name_parse("www.Example.com", &r->err)) == NULL) {
		r->rc = -1;
		return;
	}
	if (step(r, dns_query_wire(name, DNS_T_TXT, QID, 1232, false, false,
	    &w, &len, &r->err)) == 0) {
		note(r, w, len);
		free(w);
	}
	ldns_rdf_deep_free(name);
}

/* The TXT records of the question's name in msg, which is freed. */
static void
note_txts(struct run *r, struct dns_msg *msg)
{
	char	**v;
	size_t	  n, i;

	if (step(r, dns_msg_txts(msg, NULL, &v, &n, &r->err)) == 0) {
		for (i = 0; i < n; i++)
			note_str(r, v[i]);
		dns_txts_free(v, n);
	}
	dns_msg_free(msg);
}

/* The answer through its CNAME chain, and its TXT records. */
static void
op_answer_parse(struct fixture *f, struct run *r)
{
	struct dns_msg	*msg;
	enum dns_status	 st;

	if (step(r, dns_answer_parse(f->txt, f->txt_len, QID,
	    "example.com", DNS_T_TXT, &st, &msg, &r->err)) == -1)
		return;
	note_str(r, dns_status_str(st));
	note_txts(r, msg);
}

/* A FORMERR without a question: a message kept, SERVFAIL. */
static void
op_answer_formerr(struct fixture *f, struct run *r)
{
	struct dns_msg	*msg;
	enum dns_status	 st;
	char		 rc[16];

	if (step(r, dns_answer_parse(f->formerr, f->formerr_len, QID,
	    "example.com", DNS_T_TXT, &st, &msg, &r->err)) == -1)
		return;
	snprintf(rc, sizeof(rc), "%d", dns_msg_rcode(msg));
	note_str(r, dns_status_str(st));
	note_str(r, rc);
	dns_msg_free(msg);
}

/* Every reader of rr.c and mx.c on the mx answer. */
static void
op_readers(struct fixture *f, struct run *r)
{
	struct dns_addr	*addrs;
	struct dns_txt	*bin;
	struct dns_mx	*mxs;
	char		**v, a[INET6_ADDRSTRLEN];
	size_t		 n, i;
	uint32_t	 serial;

	if (step(r, dns_msg_addrs(f->mmx, "mx.example.com", DNS_T_A, &addrs,
	    &n, &r->err)) == -1)
		return;
	for (i = 0; i < n; i++)
		note_str(r, inet_ntop(addrs[i].family, addrs[i].addr, a,
		    sizeof(a)));
	free(addrs);
	if (step(r, dns_msg_names(f->mmx, NULL, DNS_T_MX, &v, &n,
	    &r->err)) == -1)
		return;
	for (i = 0; i < n; i++)
		note_str(r, v[i]);
	dns_txts_free(v, n);
	if (step(r, dns_msg_mxs(f->mmx, NULL, &mxs, &n, &r->err)) == -1)
		return;
	for (i = 0; i < n; i++)
		note_str(r, mxs[i].exchange);
	free(mxs);
	if (step(r, dns_msg_txts_bin(f->mmx, "txt.example.com", &bin, &n,
	    &r->err)) == -1)
		return;
	for (i = 0; i < n; i++)
		note(r, bin[i].data, bin[i].len);
	dns_txts_bin_free(bin, n);
	if (step(r, dns_msg_soa_serial(f->mmx, "example.com", &serial,
	    &r->err)) == -1)
		return;
	note(r, &serial, sizeof(serial));
}

static void
op_msg_build(struct fixture *f, struct run *r)
{
	static const char *const rrs[] = {
		"example.com. 300 IN CNAME t.example.net.",
		"t.example.net. 300 IN TXT \"v=spf1 -all\"",
		"t.example.net. 300 IN TXT \"two\" \"strings\"",
	};
	struct dns_msg	*msg;

	(void)f;
	if (step(r, dns_msg_build("example.com", DNS_T_TXT, 0, rrs, 3, &msg,
	    &r->err)) == -1)
		return;
	note_str(r, dns_status_str(dns_msg_status(msg)));
	note_txts(r, msg);
}

/* dns_reply_new takes the question; NULL (question freed) or a reply. */
static void
op_reply_new(struct fixture *f, struct run *r)
{
	ldns_pkt	*p;
	ldns_rr		*q;
	uint8_t		*w;
	size_t		 len;

	(void)f;
	nomem_pause(true);
	ck_assert_int_eq(ldns_rr_new_question_frm_str(&q, "example.com. IN "
	    "SOA", NULL, NULL), LDNS_STATUS_OK);
	nomem_pause(false);
	if ((p = dns_reply_new(QID, LDNS_PACKET_QUERY, true, false, q)) ==
	    NULL) {
		err_set(&r->err, ERR_NOMEM, "dns_reply_new: no reply");
		r->rc = -1;
		return;
	}
	nomem_pause(true);
	ck_assert_int_eq(ldns_pkt2wire(&w, p, &len), LDNS_STATUS_OK);
	nomem_pause(false);
	note(r, w, len);
	free(w);
	ldns_pkt_free(p);
}

/* ---- TSIG ---- */

static void
op_key_parse(struct fixture *f, struct run *r)
{
	struct dns_tsig_key	*k, *d;

	(void)f;
	if ((k = dns_tsig_key_parse("Key.Example.org:hmac-sha512:" SECRET,
	    &r->err)) == NULL) {
		r->rc = -1;
		return;
	}
	note_str(r, dns_tsig_key_name(k));
	/* The copy says nothing but NULL. */
	if ((d = dns_tsig_key_dup(k)) == NULL) {
		err_set(&r->err, ERR_NOMEM, "dns_tsig_key_dup: no copy");
		r->rc = -1;
	} else
		note_str(r, dns_tsig_key_name(d));
	dns_tsig_key_free(d);
	dns_tsig_key_free(k);
}

static void
op_keys_load(struct fixture *f, struct run *r)
{
	struct dns_tsig_keys	*ks;
	char			 n[16];

	(void)f;
	if ((ks = dns_tsig_keys_new()) == NULL) {
		err_set(&r->err, ERR_NOMEM, "dns_tsig_keys_new: no set");
		r->rc = -1;
		return;
	}
	if (step(r, dns_tsig_keys_load(ks, "example.org._keys", nomem_keys,
	    strlen(nomem_keys), &r->err)) == 0) {
		snprintf(n, sizeof(n), "%zu", dns_tsig_keys_count(ks));
		note_str(r, n);
	}
	dns_tsig_keys_free(ks);
}

/* A copy of f->req without its TSIG, in b (paused). */
static void
unsigned_req(struct fixture *f, struct buf *b)
{
	nomem_pause(true);
	buf_init(b, 65535);
	ck_assert_int_eq(buf_add(b, f->req.data, f->tsig_off, NULL), 0);
	b->data[11]--;				/* ARCOUNT */
	nomem_pause(false);
}

/* Signing: the signed message, or the message as it was. */
static void
op_sign(struct fixture *f, struct run *r)
{
	struct buf	b, orig;
	uint8_t		mac[64];
	size_t		maclen;

	unsigned_req(f, &b);
	unsigned_req(f, &orig);
	if (step(r, dns_tsig_sign(f->key, &b, NULL, 0, NULL, 0, NOW, 0, mac,
	    &maclen, &r->err)) == 0) {
		note(r, b.data, b.len);
		note(r, mac, maclen);
	} else if (b.len != orig.len || memcmp(b.data, orig.data, b.len) !=
	    0)
		err_set(&r->err, ERR_ARG, "dns_tsig_sign changed the message "
		    "and failed");
	buf_fini(&b);
	buf_fini(&orig);
}

/* A request verified with the key set, then with the one key. */
static void
op_verify(struct fixture *f, struct run *r)
{
	const struct dns_tsig_key	*k = NULL;
	uint8_t				 mac[64];
	size_t				 maclen;
	uint16_t			 terr;
	char				 s[32];

	if (step(r, dns_tsig_verify(f->keys, NULL, (uint8_t *)f->req.data,
	    f->req.len, NULL, 0, NOW + 10, &k, mac, &maclen, &terr,
	    &r->err)) == -1)
		return;
	snprintf(s, sizeof(s), "%u %s", terr, k != NULL ?
	    dns_tsig_key_name(k) : "-");
	note_str(r, s);
	if (step(r, dns_tsig_verify(NULL, f->key, (uint8_t *)f->req.data,
	    f->req.len, NULL, 0, NOW + 1000, &k, mac, &maclen, &terr,
	    &r->err)) == -1)
		return;
	snprintf(s, sizeof(s), "%u", terr);
	note_str(r, s);
	note(r, mac, maclen);
}

/* The signed response to the request, verified with its MAC. */
static void
op_response(struct fixture *f, struct run *r)
{
	const struct dns_tsig_key	*k = NULL;
	struct buf			 b;
	uint8_t				 mac[64];
	size_t				 maclen;
	uint16_t			 terr;
	char				 s[16];

	unsigned_req(f, &b);
	b.data[2] |= (char)0x80;		/* QR */
	if (step(r, dns_tsig_sign(f->key, &b, f->req_mac, f->req_mac_len,
	    NULL, 0, NOW, 0, NULL, NULL, &r->err)) == 0 &&
	    step(r, dns_tsig_verify(NULL, f->key, (uint8_t *)b.data, b.len,
	    f->req_mac, f->req_mac_len, NOW, &k, mac, &maclen, &terr,
	    &r->err)) == 0) {
		snprintf(s, sizeof(s), "%u", terr);
		note_str(r, s);
		note(r, b.data, b.len);
	}
	nomem_pause(true);
	buf_fini(&b);
	nomem_pause(false);
}

/* REFUSED with the request's TSIG, error BADKEY, unsigned. */
static void
op_append_error(struct fixture *f, struct run *r)
{
	struct buf	b, orig;

	unsigned_req(f, &b);
	unsigned_req(f, &orig);
	b.data[2] |= (char)0x80;
	b.data[3] = 5;
	orig.data[2] |= (char)0x80;
	orig.data[3] = 5;
	if (step(r, dns_tsig_append_error(&b, (uint8_t *)f->req.data,
	    f->req.len, f->tsig_off, DNS_TSIG_BADKEY, &r->err)) == 0)
		note(r, b.data, b.len);
	else if (b.len != orig.len || memcmp(b.data, orig.data, b.len) != 0)
		err_set(&r->err, ERR_ARG, "dns_tsig_append_error changed the "
		    "message and failed");
	buf_fini(&b);
	buf_fini(&orig);
}

static const struct {
	const char	*what;
	void		(*fn)(struct fixture *, struct run *);
	int		 min;		/* allocations at least */
} ops[] = {
	{ "dns_query_wire", op_query_wire, 3 },
	{ "dns_answer_parse", op_answer_parse, 5 },
	{ "dns_answer_parse, formerr", op_answer_formerr, 3 },
	{ "the readers of an answer", op_readers, 10 },
	{ "dns_msg_build", op_msg_build, 5 },
	{ "dns_reply_new", op_reply_new, 1 },
	{ "dns_tsig_key_parse and dup", op_key_parse, 5 },
	{ "dns_tsig_keys_load", op_keys_load, 10 },
	{ "dns_tsig_sign", op_sign, 3 },
	{ "dns_tsig_verify", op_verify, 3 },
	{ "a signed response", op_response, 5 },
	{ "dns_tsig_append_error", op_append_error, 3 },
};

static void
fixture_init(struct fixture *f)
{
	struct tdns_answer	txt = { QID, "example.com", DNS_T_TXT, 0, 1,
				    0, 1, { "example.com. CNAME a.example.net.",
				    "a.example.net. CNAME b.example.org.",
				    "b.example.org. TXT \"v=spf1\" \" -all\"",
				    "b.example.org. TXT \"second\"" } };
	struct tdns_answer	mx = { QID, "example.com", DNS_T_MX, 0, 1, 0,
				    0, { "example.com. MX 20 mx2.example.com.",
				    "example.com. MX 10 mx.example.com.",
				    "mx.example.com. A 192.0.2.1",
				    "mx.example.com. A 192.0.2.2",
				    "txt.example.com. TXT \"a\\000b\"",
				    "example.com. SOA ns h 2024010101 1 2 3 4" } };
	struct tdns_answer	formerr = { QID, NULL, 0, 1, 1, 0, 0,
				    { NULL } };
	struct dns_msg_layout	l;
	enum dns_status		st;
	ldns_rdf		*name;
	uint8_t			*w;
	size_t			 len;
	struct err		 err;

	memset(f, 0, sizeof(*f));
	f->txt = tdns_wire(&txt, &f->txt_len);
	f->mx = tdns_wire(&mx, &f->mx_len);
	f->formerr = tdns_wire(&formerr, &f->formerr_len);
	ck_assert_int_eq(dns_answer_parse(f->mx, f->mx_len, QID,
	    "example.com", DNS_T_MX, &st, &f->mmx, &err), 0);
	ck_assert_ptr_nonnull(f->key = dns_tsig_key_parse(
	    "up._update.example.org:hmac-sha256:" SECRET, &err));
	ck_assert_ptr_nonnull(f->keys = dns_tsig_keys_new());
	ck_assert_int_eq(dns_tsig_keys_load(f->keys, "_keys", nomem_keys,
	    strlen(nomem_keys), &err), 0);
	buf_init(&f->req, 65535);
	ck_assert_ptr_nonnull(name = dns_name_parse("example.org", &err));
	ck_assert_int_eq(dns_query_wire(name, DNS_T_SOA, QID, 1232, false, false,
	    &w, &len, &err), 0);
	ldns_rdf_deep_free(name);
	ck_assert_int_eq(buf_add(&f->req, w, len, &err), 0);
	free(w);
	ck_assert_int_eq(dns_tsig_sign(f->key, &f->req, NULL, 0, NULL, 0, NOW,
	    0, f->req_mac, &f->req_mac_len, &err), 0);
	ck_assert_int_eq(dns_msg_walk((uint8_t *)f->req.data, f->req.len,
	    &l), 0);
	ck_assert_uint_ne(l.tsig_off, 0);
	f->tsig_off = l.tsig_off;
}

static void
fixture_fini(struct fixture *f)
{
	free(f->txt);
	free(f->mx);
	free(f->formerr);
	dns_msg_free(f->mmx);
	dns_tsig_key_free(f->key);
	dns_tsig_keys_free(f->keys);
	buf_fini(&f->req);
}

START_TEST(test_nomem)
{
	struct fixture	f;
	struct run	want, got;
	long		n;
	bool		hit;

	fixture_init(&f);
	run_init(&want);
	ops[_i].fn(&f, &want);
	ck_assert_msg(want.rc == 0 && want.err.code == 0, "%s: %s",
	    ops[_i].what, want.err.msg);
	for (n = 0;; n++) {
		run_init(&got);
		nomem_arm(n);
		ops[_i].fn(&f, &got);
		hit = nomem_disarm();
		if (got.rc == -1 || got.err.code != 0)
			ck_assert_msg(hit && got.err.code == ERR_NOMEM,
			    "%s, allocation %ld: %d %s", ops[_i].what, n + 1,
			    got.err.code, got.err.msg);
		else
			ck_assert_msg(run_same(&got, &want), "%s, allocation "
			    "%ld: not as with memory to spare", ops[_i].what,
			    n + 1);
		buf_fini(&got.a);
		if (!hit)
			break;
	}
	ck_assert_msg(n >= ops[_i].min, "%s: %ld allocations", ops[_i].what,
	    n);
	buf_fini(&want.a);
	fixture_fini(&f);
}
END_TEST

TCase *
dns_tcase_nomem(void)
{
	TCase	*tc;

	tc = tcase_create("nomem");
	tcase_add_loop_test(tc, test_nomem, 0, sizeof(ops) / sizeof(ops[0]));
	return tc;
}
