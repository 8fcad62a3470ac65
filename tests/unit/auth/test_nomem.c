/*
 * test_nomem.c: the authoritative core that timbre-primaryd runs, with
 * its allocations failing one at a time (tests/unit/nomem.h): a zone
 * loaded, a _keys file loaded, a query answered (and answered again
 * from the reply cache), a signed query answered and its answer signed,
 * a signed UPDATE through auth_handle, auth_update and auth_finish, and
 * the zone file written back by auth_zone_edit, from the loaded text
 * and, as for a second UPDATE, from the text the first one wrote.
 *
 * Each operation runs first with memory to spare, then for n = 0, 1,
 * 2, ... with the (n + 1)-th allocation failing, until a run no longer
 * reaches the failure.  A run must fail as its contract says (-1 or
 * NULL or SERVFAIL, err ERR_NOMEM; after auth_handle's -1 the request
 * holds nothing, as the daemon frees nothing then) or give exactly what
 * the first run gave; it must not crash, and in a build with
 * --enable-sanitizers (or CFLAGS with -fsanitize=address) LeakSanitizer
 * fails the test if anything leaks.
 *
 * What can fail: check_auth is linked with --wrap for malloc, calloc,
 * realloc, reallocarray, strdup, strndup and fmemopen (src/auth/local.mk).
 * The linker rewrites the calls that our objects make: the src/auth
 * files, util/buf.c and the rest of libtimbre.a.  libldns is a shared
 * library, which the wrap does not reach: no ldns call fails here, and
 * those make most of what a query allocates (packets, records, names,
 * ldns_pkt2wire's buffer; ldns_rr_new_frm_fp_l while a zone loads).  Nor
 * do OpenSSL's allocations for the HMAC of TSIG, or those libc makes
 * inside fmemopen (the fmemopen call itself does fail).  So these tests
 * prove our own allocations' failure paths, and that no failure of ours
 * leaks what ldns allocated; how our code takes a failing ldns call is
 * not tested.  (Linked with libldns.a instead, ldns 1.8.3's own failed
 * allocations stop the program on its assertions, rdata.c and buffer.h.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"
#include "../nomem.h"
#include "test_zone.h"

FILE	*__real_fmemopen(void *, size_t, const char *);
FILE	*__wrap_fmemopen(void *, size_t, const char *);

/* zone.c and tsig.c read text through fmemopen, which allocates inside
 * libc: the call fails as if that allocation had. */
FILE *
__wrap_fmemopen(void *buf, size_t size, const char *mode)
{
	if (nomem_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_fmemopen(buf, size, mode);
}

static const char	 nomem_keys[] =
    "; who may do what in example.org\n"
    "up._update.example.org. DNSKEY 0 3 163 " SECRET "\n"
    "\n"
    "no._notify.example.org. 3600 IN DNSKEY 0 3 165 " SECRET " ; NOTIFY\n"
    "x._transfer.sub.example.org. DNSKEY 0 3 161 " SECRET "\n";

/* An UPDATE that removes one of the two apex NS (first, so that its
 * line of the summary is the one that allocates), a record of an
 * inherited owner, and adds a name; and a second, for the second edit. */
static const char *const nomem_up1[] = {
	"example.org. 0 NONE NS ns2.example.net.",
	"www.example.org. 0 NONE A 192.0.2.11",
	"new.example.org. 60 IN A 192.0.2.99",
};
static const char *const nomem_up2[] = {
	"new.example.org. 0 ANY A",
	"mail.example.org. 60 IN MX 20 mx.example.org.",
	NULL,
};

/* What every run works on, made with memory to spare. */
struct fixture {
	struct auth_db		*db;		/* ZT_OLD and two keys */
	struct auth_zone	*old;		/* the db's example.org */
	struct auth_zone	*nz;		/* old after nomem_up1 */
	struct auth_zone	*nz2;		/* nz after nomem_up2 */
	struct buf		 q;		/* the message to answer */
};

static void
fixture_fini(struct fixture *f)
{
	auth_zone_free(f->old);
	auth_zone_free(f->nz);
	auth_zone_free(f->nz2);
	auth_db_free(f->db);
	buf_fini(&f->q);
}

/* What one run made, to hold against the run with memory to spare. */
struct run {
	int			 rc;		/* 0, or -1: failed, see err */
	struct auth_zone	*zone;		/* a zone made, or NULL */
	struct buf		 a, b;		/* answers, text, summary */
	long			 n;		/* keys, request kind, ... */
	struct err		 err;
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->a, 1 << 20);
	buf_init(&r->b, 1 << 20);
	err_clear(&r->err);
}

static void
run_fini(struct run *r)
{
	auth_zone_free(r->zone);
	buf_fini(&r->a);
	buf_fini(&r->b);
}

static bool
bytes_same(const struct buf *x, const struct buf *y)
{
	return x->len == y->len && (x->len == 0 ||
	    memcmp(x->data, y->data, x->len) == 0);
}

static bool
run_same(const struct run *x, const struct run *y)
{
	return x->rc == y->rc && x->n == y->n && bytes_same(&x->a, &y->a) &&
	    bytes_same(&x->b, &y->b) &&
	    (x->zone == NULL || y->zone == NULL ? x->zone == y->zone :
	    auth_zone_same(x->zone, y->zone));
}

static void
op_zone_load(struct fixture *f, struct run *r)
{
	r->zone = auth_zone_load("example.org", ZT_OLD, strlen(ZT_OLD),
	    "example.org", &r->err);
	r->rc = r->zone != NULL ? 0 : -1;
}

static void
op_keys_load(struct fixture *f, struct run *r)
{
	struct dns_tsig_keys	*ks;

	nomem_pause(true);
	ks = dns_tsig_keys_new();
	nomem_pause(false);
	r->rc = dns_tsig_keys_load(ks, "example.org._keys", nomem_keys,
	    strlen(nomem_keys), &r->err);
	r->n = (long)dns_tsig_keys_count(ks);
	dns_tsig_keys_free(ks);
}

/* auth_handle into out, as the daemon calls it: after -1 it frees
 * nothing, so the request must hold nothing. */
static int
handle(struct fixture *f, int tcp, struct auth_req *req, struct buf *out,
    struct err *err)
{
	if (auth_handle(f->db, (uint8_t *)f->q.data, f->q.len, tcp, NOW, req,
	    out, err) == 0)
		return 0;
	if (req->query != NULL || req->reply != NULL)
		err_set(err, ERR_ARG, "auth_handle failed holding a message");
	return -1;
}

/* One message to the daemon's UDP path: from the reply cache, or
 * answered and stored there. */
static int
serve_udp(struct fixture *f, struct buf *out, struct err *err)
{
	struct auth_req	req;
	int		rc;

	if ((rc = auth_cache_answer(f->db, (uint8_t *)f->q.data, f->q.len,
	    out, err)) != 0)
		return rc == 1 ? 0 : -1;
	if (handle(f, 0, &req, out, err) == -1)
		return -1;
	auth_cache_store(f->db, &req, out);
	auth_req_fini(&req);
	return 0;
}

/* The same query twice: the second answer is the cache's (or, if
 * storing it failed, made again). */
static void
op_query(struct fixture *f, struct run *r)
{
	auth_db_set_cache(f->db, 16, 65536);		/* empty */
	if (serve_udp(f, &r->a, &r->err) == -1 ||
	    serve_udp(f, &r->b, &r->err) == -1)
		r->rc = -1;
}

static void
op_signed_query(struct fixture *f, struct run *r)
{
	struct auth_req	req;

	if (handle(f, 1, &req, &r->a, &r->err) == -1) {
		r->rc = -1;
		return;
	}
	r->n = req.kind;
	auth_req_fini(&req);
}

/* As the daemon's worker: auth_update, then the answer with its rcode. */
static void
op_update(struct fixture *f, struct run *r)
{
	struct auth_req	req;
	int		rcode;

	if (handle(f, 0, &req, &r->a, &r->err) == -1) {
		r->rc = -1;
		return;
	}
	r->n = req.kind;
	if (req.kind == AUTH_UPDATE) {
		rcode = auth_update(&req, AUTH_SERIAL_INCREMENT, NOW,
		    &r->zone, &r->b, &r->err);
		if (rcode == LDNS_RCODE_SERVFAIL)
			r->rc = -1;
		else if (rcode != LDNS_RCODE_NOERROR)
			r->rc = rcode;
		else {
			ldns_pkt_set_rcode(req.reply, rcode);
			r->rc = auth_finish(&req, NOW, &r->a, &r->err);
		}
	}
	auth_req_fini(&req);
}

static void
edit(const struct auth_zone *old, const struct auth_zone *new, struct run *r)
{
	int	rewritten = -1;

	r->rc = auth_zone_edit(old, new, &r->a, &rewritten, &r->err);
	r->n = rewritten;
}

static void
op_edit(struct fixture *f, struct run *r)
{
	edit(f->old, f->nz, r);
}

static void
op_edit_again(struct fixture *f, struct run *r)
{
	edit(f->nz, f->nz2, r);
}

/* The zone that an UPDATE of up (3 records at most), signed with k,
 * makes of the db's example.org. */
static struct auth_zone *
updated(struct fixture *f, struct dns_tsig_key *k, const char *const *up)
{
	struct run	r;

	make_update(NULL, up, 3, k, &f->q);
	run_init(&r);
	op_update(f, &r);
	ck_assert_msg(r.rc == 0 && r.zone != NULL, "%s", r.err.msg);
	buf_fini(&r.a);
	buf_fini(&r.b);
	return r.zone;
}

enum msg {
	MSG_NONE,
	MSG_QUERY,		/* www.example.org A, EDNS */
	MSG_SIGNED,		/* example.org SOA, signed by up._update */
	MSG_UPDATE,		/* nomem_up1, signed by up._update */
};

static const struct {
	const char	*what;
	void		(*fn)(struct fixture *, struct run *);
	enum msg	 msg;
	bool		 again;		/* the db serves nz; nz2 made */
	long		 n;		/* struct run's n with memory */
} ops[] = {
	{ "auth_zone_load", op_zone_load, MSG_NONE, false, 0 },
	{ "dns_tsig_keys_load", op_keys_load, MSG_NONE, false, 3 },
	{ "a query, then from the cache", op_query, MSG_QUERY, false, 0 },
	{ "a signed query", op_signed_query, MSG_SIGNED, false, AUTH_REPLY },
	{ "a signed UPDATE", op_update, MSG_UPDATE, false, AUTH_UPDATE },
	/* Edits, not the whole zone written anew. */
	{ "auth_zone_edit of the loaded zone", op_edit, MSG_NONE, false, 0 },
	{ "auth_zone_edit of a zone made by UPDATE", op_edit_again, MSG_NONE,
	  true, 0 },
};

static void
fixture_init(struct fixture *f, size_t i)
{
	struct dns_tsig_key	*k;
	struct run	 r;
	struct err	 err;

	memset(f, 0, sizeof(*f));
	buf_init(&f->q, 65535);
	f->db = db_of(ZT_OLD);
	f->old = auth_zone_ref(auth_db_zone(f->db, "example.org"));
	k = dns_tsig_key_parse("up._update.example.org:hmac-sha256:" SECRET,
	    &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	f->nz = updated(f, k, nomem_up1);
	if (ops[i].again) {
		/* As the daemon does after its commit. */
		run_init(&r);
		op_edit(f, &r);
		ck_assert_int_eq(r.rc, 0);
		ck_assert_int_eq(auth_zone_set_source(f->nz, r.a.data,
		    r.a.len), 0);
		run_fini(&r);
		auth_db_replace(f->db, auth_zone_ref(f->nz));
		f->nz2 = updated(f, k, nomem_up2);
	}
	switch (ops[i].msg) {
	case MSG_NONE:
		break;
	case MSG_QUERY:
		make_query("www.example.org", LDNS_RR_TYPE_A,
		    LDNS_PACKET_QUERY, 1232, 0, &f->q);
		break;
	case MSG_SIGNED:
		make_query("example.org", LDNS_RR_TYPE_SOA, LDNS_PACKET_QUERY,
		    0, 0, &f->q);
		ck_assert_int_eq(dns_tsig_sign(k, &f->q, NULL, 0, NULL, 0,
		    NOW, 0, NULL, NULL, &err), 0);
		break;
	case MSG_UPDATE:
		make_update(NULL, nomem_up1, 3, k, &f->q);
		break;
	}
	dns_tsig_key_free(k);
}

START_TEST(test_nomem)
{
	struct fixture	f;
	struct run	want, got;
	long		n;
	bool		hit;

	fixture_init(&f, _i);
	run_init(&want);
	ops[_i].fn(&f, &want);
	ck_assert_msg(want.rc == 0, "%s: %s", ops[_i].what, want.err.msg);
	ck_assert_int_eq(want.n, ops[_i].n);
	for (n = 0;; n++) {
		run_init(&got);
		nomem_arm(n);
		ops[_i].fn(&f, &got);
		hit = nomem_disarm();
		if (got.rc == -1)
			ck_assert_msg(hit && got.err.code == ERR_NOMEM,
			    "%s, allocation %ld: %d %s", ops[_i].what, n + 1,
			    got.err.code, got.err.msg);
		else
			ck_assert_msg(run_same(&got, &want), "%s, allocation "
			    "%ld: not as with memory to spare (%d %s)",
			    ops[_i].what, n + 1, got.rc, got.err.msg);
		run_fini(&got);
		if (!hit)
			break;
	}
	/* Each has a few allocations of its own to fail. */
	ck_assert_int_gt(n, 2);
	run_fini(&want);
	fixture_fini(&f);
}
END_TEST

TCase *
zone_nomem_tcase(void)
{
	TCase	*tc;

	tc = tcase_create("nomem");
	tcase_add_loop_test(tc, test_nomem, 0, sizeof(ops) / sizeof(ops[0]));
	return tc;
}
