/*
 * bench_dkim.c: the throughput of timbre's DKIM code (RFC 6376, with
 * RFC 8463 for Ed25519), measured in-process beside the OpenSSL
 * primitives it rests on, so that the cost timbre adds can be read as a
 * ratio.
 *
 * Every message is built in memory: a header section of a dozen ordinary
 * fields and a body of plain text, lines of at most 72 characters made of
 * words and single spaces, in paragraphs (and, for one more row of body
 * hashing, the same as flowed text).  Each row runs one operation
 * over and over for a fixed time and reports operations per second (and
 * MB/s, 10^6 bytes, where bytes are the point): the relaxed and simple
 * body hashes (dkim_body_*), signing a whole message (parse it with the
 * mail reader, dkim_sign_new, the body, dkim_sign_finish), verifying it
 * (parse, dkim_verify_new, the key record given as its TXT string with no
 * DNS, the body, dkim_verify_finish), and as the yardsticks SHA-256 and
 * RSA-2048 and Ed25519 signatures straight through EVP.  Last, the two
 * ratios the project holds itself to are measured with both sides taking
 * turns, which a busy machine disturbs far less than two rows apart.
 *
 * Time is the process's CPU time by default, as `openssl speed` counts it,
 * so that other work on the machine does not count against either side;
 * -e takes wall-clock time (use `openssl speed -elapsed` beside it).  A
 * row takes -s seconds (3) split into -n trials (3) and reports the best
 * trial, the one least disturbed by neighbours.  -r runs only the rows
 * whose record name starts with its argument (-r body_relaxed, to
 * profile one); -o writes "name value" lines for bench/dkim/run.sh, which
 * computes the ratios against `openssl speed`.  This is a benchmark: it
 * reports and never judges.  OpenSSL is used directly here, outside
 * src/keys, only to measure the yardsticks.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "dkim/dkim.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

#ifndef BENCH_KEYDIR
#define BENCH_KEYDIR	"tests/data/keys"
#endif

#define NOW		1795000000
#define MSG_SMALL	(4 * 1024)
#define MSG_LARGE	(1024 * 1024)
#define LINE_MAX_COLS	72
#define BENCH_SLICE	0.05	/* seconds per turn in a paired run */

struct bench {
	double		 seconds;	/* per row */
	int		 trials;	/* the row's best of so many */
	bool		 wall;		/* wall-clock, not CPU time */
	const char	*only;		/* run rows whose key starts so */
	FILE		*rec;		/* machine-readable results, or NULL */
};

/* One message in memory, and what signing and verifying it need. */
struct bench_msg {
	const char	*label;		/* "4 KiB" */
	const char	*tag;		/* "4k", for the record file */
	char		*text;		/* CRLF line ends */
	size_t		 len;
	struct key	*key;
	const char	*txt;		/* the key record */
	char		*signed_text;	/* DKIM-Signature + text */
	size_t		 signed_len;
	enum dkim_canon	 canon;
};

struct bench_body {
	const char	*body;
	size_t		 len;
	enum dkim_canon	 canon;
};

struct bench_evp {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*pctx;		/* reused, as openssl speed does */
	uint8_t		 digest[32];
	uint8_t		 sig[1024];
	const uint8_t	*buf;
	size_t		 len;
};

static void	bench_fail(const char *, ...)
		    __attribute__((__format__(printf, 1, 2), __noreturn__));

static void
bench_fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "bench_dkim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
bench_now(const struct bench *b)
{
	struct timespec	ts;

	clock_gettime(b->wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID,
	    &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether the row named key is to run (-r, for profiling one row). */
static bool
bench_want(const struct bench *b, const char *key)
{
	return b->only == NULL || strncmp(key, b->only, strlen(b->only)) == 0;
}

/*
 * Runs fn once to warm caches and lazy initialisation, then b->trials
 * times as often as fits in b->seconds / b->trials, and returns the best
 * trial's operations per second: on a shared machine the best is the one
 * least disturbed.  Reading the clock costs well under a microsecond and
 * the cheapest operation here takes tens, so it is read after every call.
 */
static double
bench_run(const struct bench *b, void (*fn)(void *), void *arg)
{
	double		start, el, best = 0, per = b->seconds / b->trials;
	uint64_t	n;
	int		t;

	fn(arg);
	for (t = 0; t < b->trials; t++) {
		n = 0;
		start = bench_now(b);
		do {
			fn(arg);
			n++;
		} while ((el = bench_now(b) - start) < per);
		if ((double)n / el > best)
			best = (double)n / el;
	}
	return best;
}

/*
 * Measures one row, prints it and records it: operations per second and,
 * if bytes is not 0, MB/s for that many bytes per operation.  Returns the
 * operations per second, 0 if -r left the row out.
 */
static double
bench_row(const struct bench *b, const char *key, const char *what,
    const char *size, void (*fn)(void *), void *arg, size_t bytes)
{
	double	ops;

	if (!bench_want(b, key))
		return 0;
	ops = bench_run(b, fn, arg);
	if (bytes > 0)
		printf("%-44s %-6s %10.1f %10.1f\n", what, size, ops,
		    ops * (double)bytes / 1e6);
	else
		printf("%-44s %-6s %10.1f %10s\n", what, size, ops, "");
	fflush(stdout);
	if (b->rec != NULL) {
		fprintf(b->rec, "%s_ops %.1f\n", key, ops);
		if (bytes > 0)
			fprintf(b->rec, "%s_mbps %.1f\n", key,
			    ops * (double)bytes / 1e6);
	}
	return ops;
}

/*
 * Runs fa and fb in turns of BENCH_SLICE seconds for b->seconds in all
 * and returns fa's rate over fb's.  Both see the same neighbours, so the
 * ratio holds far better on a shared machine than one of two rates
 * measured apart.  -1 if -r left it out.
 */
static double
bench_pair(const struct bench *b, const char *key, const char *what,
    void (*fa)(void *), void *a, void (*fb)(void *), void *bb)
{
	double		t[2] = { 0, 0 }, n[2] = { 0, 0 }, start, el, total = 0;
	double		r;
	uint64_t	i;
	int		k;

	if (!bench_want(b, key))
		return -1;
	fa(a);
	fb(bb);
	while (total < b->seconds) {
		for (k = 0; k < 2; k++) {
			i = 0;
			start = bench_now(b);
			do {
				if (k == 0)
					fa(a);
				else
					fb(bb);
				i++;
			} while ((el = bench_now(b) - start) < BENCH_SLICE);
			t[k] += el;
			n[k] += (double)i;
			total += el;
		}
	}
	r = (n[0] / t[0]) / (n[1] / t[1]);
	printf("%-62s %6.3f\n", what, r);
	fflush(stdout);
	if (b->rec != NULL)
		fprintf(b->rec, "%s %.4f\n", key, r);
	return r;
}

/* A small deterministic generator (xorshift64), so runs compare. */
static uint64_t
bench_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
bench_add(struct buf *b, const char *s, size_t n)
{
	struct err	err;

	if (buf_add(b, s, n, &err) == -1)
		bench_fail("%s", err.msg);
}

/*
 * Appends plain text until b holds at least len bytes: words separated by
 * single spaces, lines wrapped before LINE_MAX_COLS, paragraphs of three
 * to eight lines between empty lines, a comma or a full stop now and then.
 * Flowed text (RFC 3676) ends each wrapped line in a space, as many mail
 * programs send it, and that space is one relaxed canonicalisation drops.
 */
static void
bench_text(struct buf *b, size_t len, bool flowed, uint64_t seed)
{
	static const char *const words[] = {
		"the", "of", "and", "to", "a", "in", "is", "that", "for", "it",
		"as", "was", "with", "be", "by", "on", "not", "he", "this",
		"are", "or", "his", "from", "at", "which", "but", "have", "an",
		"had", "they", "you", "were", "their", "one", "all", "we",
		"message", "server", "delivery", "signature", "quarterly",
		"report", "figures", "meeting", "Tuesday", "attached",
		"please", "review", "before", "the", "deadline", "thanks",
		"regards", "domain", "selector", "canonical", "agreement",
		"schedule", "infrastructure", "budget", "question", "answer",
	};
	size_t		 nwords = sizeof(words) / sizeof(words[0]);
	size_t		 col = 0, lines = 0, para = 5, wl;
	const char	*w;
	uint64_t	 r;

	while (b->len < len) {
		r = bench_rand(&seed);
		w = words[r % nwords];
		wl = strlen(w);
		if (col > 0 && col + 1 + wl + 1 > LINE_MAX_COLS) {
			if (++lines == para) {
				bench_add(b, "\r\n\r\n", 4);
				lines = 0;
				para = 3 + (size_t)(r >> 32) % 6;
			} else
				bench_add(b, flowed ? " \r\n" : "\r\n",
				    flowed ? 3 : 2);
			col = 0;
		}
		if (col > 0) {
			bench_add(b, " ", 1);
			col++;
		}
		bench_add(b, w, wl);
		col += wl;
		if ((r >> 40) % 11 == 0) {
			bench_add(b, (r >> 48) % 3 == 0 ? "." : ",", 1);
			col++;
		}
	}
}

/* Cuts b to len bytes of text ending in CRLF, without a lone CR. */
static void
bench_text_cut(struct buf *b, size_t len)
{
	b->len = len - 2;
	if (b->data[b->len - 1] == '\r')
		b->data[b->len - 1] = '.';
	b->data[b->len] = '\0';
	bench_add(b, "\r\n", 2);
}

/* A whole message of exactly len bytes, header section included. */
static char *
bench_message(size_t len, uint64_t seed)
{
	static const char hdr[] =
	    "Received: from mail.example.net (mail.example.net [192.0.2.25])"
	    "\r\n\tby mx.example.org (timbre) with ESMTPS id 4KQ2vT1xB7z\r\n"
	    "\tfor <bob@example.org>; Sat, 21 Nov 2026 10:00:02 +0000\r\n"
	    "Received: from [198.51.100.7] (client.example.net "
	    "[198.51.100.7])\r\n\tby mail.example.net with ESMTPSA id "
	    "9f8e7d6c5b4a; Sat, 21 Nov 2026 10:00:00 +0000\r\n"
	    "From: Alice Example <alice@example.org>\r\n"
	    "To: Bob Example <bob@example.net>\r\n"
	    "Cc: carol@example.net, Dave <dave@example.com>\r\n"
	    "Subject: Quarterly report: figures, notes and next steps\r\n"
	    "Date: Sat, 21 Nov 2026 09:59:57 +0000\r\n"
	    "Message-ID: <20261121095957.4711.abc123@mail.example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "User-Agent: ExampleMail/4.2\r\n"
	    "\r\n";
	struct buf	b;

	buf_init(&b, len + 1024);
	bench_add(&b, hdr, sizeof(hdr) - 1);
	bench_text(&b, len, false, seed);
	bench_text_cut(&b, len);
	return b.data;
}

static char *
bench_body_text(size_t len, bool flowed, uint64_t seed)
{
	struct buf	b;

	buf_init(&b, len + 1024);
	bench_text(&b, len, flowed, seed);
	bench_text_cut(&b, len);
	return b.data;
}

/* Body hashing. */
static void
op_body(void *arg)
{
	struct bench_body	*bb = arg;
	struct dkim_body	*h;
	struct err		 err;
	uint8_t			 out[32];

	if ((h = dkim_body_new(bb->canon, -1, &err)) == NULL)
		bench_fail("%s", err.msg);
	dkim_body_update(h, bb->body, bb->len);
	dkim_body_final(h, out, NULL);
	dkim_body_free(h);
}

static void
op_key_hash(void *arg)
{
	struct bench_body	*bb = arg;
	struct key_hash		*h;
	struct err		 err;
	uint8_t			 out[32];

	if ((h = key_hash_new(&err)) == NULL)
		bench_fail("%s", err.msg);
	key_hash_update(h, bb->body, bb->len);
	key_hash_final(h, out);
	key_hash_free(h);
}

/* Signing a message as a signer does: parse, then stream the body. */
static void
msg_sign(struct bench_msg *m, struct buf *sig_out)
{
	struct dkim_sign_params	 p;
	struct mail_reader	*r;
	struct dkim_sign	*s = NULL;
	struct err		 err;
	enum mail_read		 ev;
	const char		*chunk;
	size_t			 n;

	memset(&p, 0, sizeof(p));
	p.domain = "example.org";
	p.selector = "bench";
	p.hdr_canon = m->canon;
	p.body_canon = m->canon;
	p.now = NOW;
	if ((r = mail_reader_new(MAIL_NL_CRLF, 0, &err)) == NULL ||
	    mail_reader_feed(r, m->text, m->len, &err) == -1)
		bench_fail("mail reader: %s", err.msg);
	mail_reader_finish(r);
	while ((ev = mail_reader_next(r, &chunk, &n, &err)) !=
	    MAIL_READ_END) {
		if (ev == MAIL_READ_ERROR || ev == MAIL_READ_NEED_MORE)
			bench_fail("mail reader: %s", err.msg);
		if (ev == MAIL_READ_HEADERS) {
			if ((s = dkim_sign_new(m->key, &p, mail_reader_hdrs(r),
			    &err)) == NULL)
				bench_fail("dkim_sign_new: %s", err.msg);
		} else if (ev == MAIL_READ_BODY)
			dkim_sign_body(s, chunk, n);
	}
	if (dkim_sign_finish(s, sig_out, &err) == -1)
		bench_fail("dkim_sign_finish: %s", err.msg);
	dkim_sign_free(s);
	mail_reader_free(r);
}

static void
op_sign(void *arg)
{
	struct bench_msg	*m = arg;
	struct buf		 sig;

	buf_init(&sig, 64 * 1024);
	msg_sign(m, &sig);
	buf_fini(&sig);
}

/* Verifying a signed message; returns the first verdict. */
static enum dkim_result
msg_verify(struct bench_msg *m, char *reason, size_t reason_size)
{
	struct mail_reader	*r;
	struct dkim_verify	*v = NULL;
	struct dkim_verdict	 vd;
	struct err		 err;
	enum mail_read		 ev;
	const char		*chunk;
	size_t			 i, n;

	if ((r = mail_reader_new(MAIL_NL_CRLF, 0, &err)) == NULL ||
	    mail_reader_feed(r, m->signed_text, m->signed_len, &err) == -1)
		bench_fail("mail reader: %s", err.msg);
	mail_reader_finish(r);
	while ((ev = mail_reader_next(r, &chunk, &n, &err)) !=
	    MAIL_READ_END) {
		if (ev == MAIL_READ_ERROR || ev == MAIL_READ_NEED_MORE)
			bench_fail("mail reader: %s", err.msg);
		if (ev == MAIL_READ_HEADERS) {
			v = dkim_verify_new(mail_reader_hdrs(r), NOW, &err);
			if (v == NULL)
				bench_fail("dkim_verify_new: %s", err.msg);
			for (i = 0; i < dkim_verify_count(v); i++)
				dkim_verify_set_key(v, i, DKIM_KEY_FOUND,
				    &m->txt, 1, NULL);
		} else if (ev == MAIL_READ_BODY)
			dkim_verify_body(v, chunk, n);
	}
	dkim_verify_finish(v);
	if (dkim_verify_count(v) != 1)
		bench_fail("verify: %zu signatures", dkim_verify_count(v));
	dkim_verify_get(v, 0, &vd);
	if (reason != NULL)
		snprintf(reason, reason_size, "%s", vd.reason);
	dkim_verify_free(v);
	mail_reader_free(r);
	return vd.result;
}

static void
op_verify(void *arg)
{
	msg_verify(arg, NULL, 0);
}

/* Signs m once and keeps the signed text for the verify rows. */
static void
msg_prepare(struct bench_msg *m)
{
	struct buf	 sig;
	char		 reason[160];

	buf_init(&sig, 64 * 1024);
	msg_sign(m, &sig);
	m->signed_len = sig.len + m->len;
	if ((m->signed_text = malloc(m->signed_len + 1)) == NULL)
		bench_fail("out of memory");
	memcpy(m->signed_text, sig.data, sig.len);
	memcpy(m->signed_text + sig.len, m->text, m->len + 1);
	buf_fini(&sig);
	if (msg_verify(m, reason, sizeof(reason)) != DKIM_PASS)
		bench_fail("%s message does not verify: %s", m->label, reason);
}

static char *
pub_txt(struct key *k)
{
	struct buf	 b, t;
	struct err	 err;

	buf_init(&b, 4096);
	buf_init(&t, 4096);
	if (key_public_b64(k, &b, &err) == -1 ||
	    buf_printf(&t, &err, "v=DKIM1; k=%s; p=%s",
	    key_type_name(key_type(k)), b.data) == -1)
		bench_fail("public key: %s", err.msg);
	buf_fini(&b);
	return t.data;
}

/* The yardsticks, straight through EVP. */
static void
op_evp_sha256(void *arg)
{
	struct bench_evp	*e = arg;
	unsigned int		 n;

	if (!EVP_Digest(e->buf, e->len, e->digest, &n, EVP_sha256(), NULL))
		bench_fail("EVP_Digest failed");
}

static void
op_evp_rsa_sign(void *arg)
{
	struct bench_evp	*e = arg;
	size_t			 len = sizeof(e->sig);

	if (EVP_PKEY_sign(e->pctx, e->sig, &len, e->digest, 32) <= 0)
		bench_fail("EVP_PKEY_sign failed");
}

/* As src/keys/key.c does it: a new context for every signature. */
static void
op_evp_rsa_sign_new(void *arg)
{
	struct bench_evp	*e = arg;
	EVP_PKEY_CTX		*pctx;
	size_t			 len = sizeof(e->sig);

	if ((pctx = EVP_PKEY_CTX_new(e->pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_sign(pctx, e->sig, &len, e->digest, 32) <= 0)
		bench_fail("EVP_PKEY_sign failed");
	EVP_PKEY_CTX_free(pctx);
}

static void
op_evp_ed25519_sign(void *arg)
{
	struct bench_evp	*e = arg;
	EVP_MD_CTX		*m;
	size_t			 len = sizeof(e->sig);

	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(m, NULL, NULL, NULL, e->pkey) <= 0 ||
	    EVP_DigestSign(m, e->sig, &len, e->digest, 32) <= 0)
		bench_fail("EVP_DigestSign failed");
	EVP_MD_CTX_free(m);
}

static EVP_PKEY *
evp_load(const char *path)
{
	EVP_PKEY	*pkey;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL)
		bench_fail("%s: cannot open", path);
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL)
		bench_fail("%s: not a private key", path);
	return pkey;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_dkim [-e] [-k keydir] [-n trials] "
	    "[-o record] [-r row] [-s seconds]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const char *const algs[] = { "rsa2048", "ed25519" };
	static const char *const canons[] = { "simple", "relaxed" };
	struct bench		 b = { .seconds = 3.0, .trials = 3 };
	struct bench_msg	 msgs[2][2];	/* [key][size] */
	struct bench_body	 bb;
	struct bench_evp	 e, ed;
	struct key		*keys[2];
	struct err		 err;
	const char		*keydir = BENCH_KEYDIR, *recpath = NULL;
	char			 path[4096], key[64], what[96], *end;
	char			*body, *flowed;
	size_t			 ki, si;
	int			 ch;

	while ((ch = getopt(argc, argv, "ek:n:o:r:s:")) != -1) {
		switch (ch) {
		case 'e':
			b.wall = true;
			break;
		case 'k':
			keydir = optarg;
			break;
		case 'n':
			b.trials = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || b.trials < 1 || b.trials > 100)
				usage();
			break;
		case 'o':
			recpath = optarg;
			break;
		case 'r':
			b.only = optarg;
			break;
		case 's':
			b.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(b.seconds > 0 &&
			    b.seconds < 3600))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (recpath != NULL && (b.rec = fopen(recpath, "w")) == NULL)
		bench_fail("%s: cannot write", recpath);

	for (ki = 0; ki < 2; ki++) {
		snprintf(path, sizeof(path), "%s/%s.pem", keydir, algs[ki]);
		if ((keys[ki] = key_load_pem_file(path, &err)) == NULL)
			bench_fail("%s", err.msg);
		for (si = 0; si < 2; si++) {
			struct bench_msg *m = &msgs[ki][si];

			m->label = si == 0 ? "4 KiB" : "1 MiB";
			m->tag = si == 0 ? "4k" : "1m";
			m->len = si == 0 ? MSG_SMALL : MSG_LARGE;
			m->text = bench_message(m->len, 0x9e3779b97f4a7c15ULL +
			    si);
			m->key = keys[ki];
			m->txt = pub_txt(keys[ki]);
			m->canon = DKIM_CANON_RELAXED;
			msg_prepare(m);
		}
	}

	printf("bench_dkim: %.3g s per row, best of %d, %s time, %s\n",
	    b.seconds, b.trials, b.wall ? "wall-clock" : "CPU",
	    OpenSSL_version(OPENSSL_VERSION));
	printf("%-44s %-6s %10s %10s\n", "operation", "size", "ops/s",
	    "MB/s");
	if (b.rec != NULL)
		fprintf(b.rec, "seconds %g\ntrials %d\ntime %s\n", b.seconds,
		    b.trials, b.wall ? "wall" : "cpu");

	/* 1: the body hash against the hash alone. */
	body = bench_body_text(MSG_LARGE, false, 0x243f6a8885a308d3ULL);
	flowed = bench_body_text(MSG_LARGE, true, 0x243f6a8885a308d3ULL);
	bb.body = body;
	bb.len = MSG_LARGE;
	bb.canon = DKIM_CANON_RELAXED;
	bench_row(&b, "body_relaxed",
	    "body hash, relaxed (dkim_body_*)", "1 MiB", op_body, &bb,
	    MSG_LARGE);
	bb.canon = DKIM_CANON_SIMPLE;
	bench_row(&b, "body_simple", "body hash, simple (dkim_body_*)",
	    "1 MiB", op_body, &bb, MSG_LARGE);
	bb.body = flowed;
	bb.canon = DKIM_CANON_RELAXED;
	bench_row(&b, "body_flowed_relaxed",
	    "body hash, relaxed, flowed text", "1 MiB", op_body, &bb,
	    MSG_LARGE);
	bb.body = body;
	bench_row(&b, "key_hash", "SHA-256 (key_hash_*, no canonicalisation)",
	    "1 MiB", op_key_hash, &bb, MSG_LARGE);
	memset(&e, 0, sizeof(e));
	memset(&ed, 0, sizeof(ed));
	e.buf = (const uint8_t *)body;
	e.len = MSG_LARGE;
	bench_row(&b, "evp_sha256", "SHA-256 (EVP_Digest)", "1 MiB",
	    op_evp_sha256, &e, MSG_LARGE);

	/* 2 and 3: whole messages. */
	for (ki = 0; ki < 2; ki++)
		for (si = 0; si < 2; si++) {
			struct bench_msg *m = &msgs[ki][si];

			snprintf(key, sizeof(key), "sign_%s_%s", algs[ki],
			    m->tag);
			snprintf(what, sizeof(what), "sign %s, %s/%s",
			    dkim_alg_name(ki == 0 ? DKIM_ALG_RSA_SHA256 :
			    DKIM_ALG_ED25519_SHA256), canons[m->canon],
			    canons[m->canon]);
			bench_row(&b, key, what, m->label, op_sign, m, m->len);
		}
	for (ki = 0; ki < 2; ki++)
		for (si = 0; si < 2; si++) {
			struct bench_msg *m = &msgs[ki][si];

			snprintf(key, sizeof(key), "verify_%s_%s", algs[ki],
			    m->tag);
			snprintf(what, sizeof(what), "verify %s, %s/%s",
			    dkim_alg_name(ki == 0 ? DKIM_ALG_RSA_SHA256 :
			    DKIM_ALG_ED25519_SHA256), canons[m->canon],
			    canons[m->canon]);
			bench_row(&b, key, what, m->label, op_verify, m,
			    m->signed_len);
		}

	/* 4: the signature primitives alone. */
	snprintf(path, sizeof(path), "%s/rsa2048.pem", keydir);
	e.pkey = evp_load(path);
	key_sha256("bench", 5, e.digest);
	if ((e.pctx = EVP_PKEY_CTX_new(e.pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(e.pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(e.pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(e.pctx, EVP_sha256()) <= 0)
		bench_fail("EVP_PKEY_sign_init failed");
	bench_row(&b, "evp_rsa2048_sign",
	    "RSA-2048 sign (EVP_PKEY_sign)", "32 B", op_evp_rsa_sign, &e, 0);
	bench_row(&b, "evp_rsa2048_sign_newctx",
	    "RSA-2048 sign (EVP_PKEY_sign, new ctx)", "32 B",
	    op_evp_rsa_sign_new, &e, 0);

	snprintf(path, sizeof(path), "%s/ed25519.pem", keydir);
	memcpy(ed.digest, e.digest, sizeof(ed.digest));
	ed.pkey = evp_load(path);
	bench_row(&b, "evp_ed25519_sign", "Ed25519 sign (EVP_DigestSign)",
	    "32 B", op_evp_ed25519_sign, &ed, 0);
	EVP_PKEY_free(ed.pkey);

	/* 5: the two ratios of the bars, taking turns with the yardstick. */
	if (bench_want(&b, "pair"))
		printf("paired in-process, in turns of %g s:\n", BENCH_SLICE);
	bb.canon = DKIM_CANON_RELAXED;
	bench_pair(&b, "pair_body_relaxed_evp_sha256",
	    "  relaxed body hash 1 MiB / EVP_Digest sha256", op_body, &bb,
	    op_evp_sha256, &e);
	bench_pair(&b, "pair_sign_rsa2048_4k_evp_rsa2048_sign",
	    "  sign rsa-sha256 4 KiB msg/s / EVP_PKEY_sign", op_sign,
	    &msgs[0][0], op_evp_rsa_sign, &e);
	/* What src/keys pays for a new context per signature. */
	bench_pair(&b, "pair_evp_rsa2048_sign_newctx",
	    "  EVP_PKEY_sign with a new ctx / with one reused",
	    op_evp_rsa_sign_new, &e, op_evp_rsa_sign, &e);
	EVP_PKEY_CTX_free(e.pctx);
	EVP_PKEY_free(e.pkey);

	if (b.rec != NULL && fclose(b.rec) == EOF)
		bench_fail("%s: cannot write", recpath);

	free(body);
	free(flowed);
	for (ki = 0; ki < 2; ki++) {
		for (si = 0; si < 2; si++) {
			free(msgs[ki][si].text);
			free(msgs[ki][si].signed_text);
			free((char *)msgs[ki][si].txt);
		}
		key_free(keys[ki]);
	}
	return 0;
}
