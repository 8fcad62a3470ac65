/*
 * test_reader.c: the streaming reader (src/mail/reader.c).  Every case is
 * read whole, cut at every byte, and a byte at a time; those written with
 * LF line ends are also read as CRLF input in both modes.  Then the limits:
 * a huge header line fails early and in bounded memory, a huge body
 * streams in constant memory.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_mail.h"

struct rd_result {
	enum mail_read	 last;		/* MAIL_READ_END or MAIL_READ_ERROR */
	struct err	 err;
	int		 got_hdrs;
	struct buf	 hdr;
	struct buf	 body;
	size_t		 nfields;
};

static void
rd_result_init(struct rd_result *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->hdr, 1 << 20);
	buf_init(&res->body, 1 << 20);
}

static void
rd_result_fini(struct rd_result *res)
{
	buf_fini(&res->hdr);
	buf_fini(&res->body);
}

/* Pulls events until the reader wants more; 1 once it is done. */
static int
rd_drain(struct mail_reader *r, struct rd_result *res)
{
	const struct mail_hdrs	*h;
	const char		*raw, *p;
	size_t			 n;
	struct err		 err;
	enum mail_read		 ev;

	for (;;) {
		ev = mail_reader_next(r, &p, &n, &err);
		switch (ev) {
		case MAIL_READ_NEED_MORE:
			return 0;
		case MAIL_READ_HEADERS:
			ck_assert(!res->got_hdrs);
			res->got_hdrs = 1;
			ck_assert_ptr_nonnull(h = mail_reader_hdrs(r));
			raw = mail_hdrs_raw(h, &n);
			ck_assert_int_eq(buf_add(&res->hdr, raw, n, &err), 0);
			res->nfields = mail_hdrs_count(h);
			break;
		case MAIL_READ_BODY:
			ck_assert(res->got_hdrs);
			ck_assert_uint_gt(n, 0);
			ck_assert_int_eq(buf_add(&res->body, p, n, &err), 0);
			break;
		case MAIL_READ_END:
			ck_assert(res->got_hdrs);
			/* FALLTHROUGH */
		case MAIL_READ_ERROR:
			res->last = ev;
			res->err = err;
			/* Done stays done. */
			ck_assert_int_eq(mail_reader_next(r, &p, &n, &err), ev);
			if (ev == MAIL_READ_ERROR)
				ck_assert_str_eq(err.msg, res->err.msg);
			return 1;
		}
	}
}

/* Reads in[0..len) fed in pieces ending at cuts[], then the rest. */
static void
rd_run(enum mail_newline nl, size_t max_header, const char *in, size_t len,
    const size_t *cuts, size_t ncuts, struct rd_result *res)
{
	struct mail_reader	*r;
	struct err		 err;
	size_t			 i, off = 0, end;
	int			 done = 0;

	ck_assert_ptr_nonnull(r = mail_reader_new(nl, max_header, &err));
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		ck_assert_uint_ge(end, off);
		ck_assert_int_eq(mail_reader_feed(r, in + off, end - off,
		    &err), 0);
		off = end;
		if (!done)
			done = rd_drain(r, res);
	}
	mail_reader_finish(r);
	if (!done)
		ck_assert_int_eq(rd_drain(r, res), 1);
	mail_reader_free(r);
}

/* Each "\n" of s as "\r\n". */
static char *
rd_crlf(const char *s)
{
	char	*t, *q;

	ck_assert_ptr_nonnull(t = malloc(2 * strlen(s) + 1));
	for (q = t; *s != '\0'; s++) {
		if (*s == '\n')
			*q++ = '\r';
		*q++ = *s;
	}
	*q = '\0';
	return t;
}

/* Written with LF line ends; the header section excludes the empty line. */
static const struct {
	const char	*in;
	const char	*hdr;
	const char	*body;
	int		 code;		/* 0: reads */
	const char	*msg;
} lf_cases[] = {
	{ "From: a\n\nbody\n", "From: a\n", "body\n", 0, NULL },
	{ "From: a\nTo: b\n\n", "From: a\nTo: b\n", "", 0, NULL },
	{ "From: a\n", "From: a\n", "", 0, NULL },	/* no empty line */
	{ "From: a\nTo: b\n", "From: a\nTo: b\n", "", 0, NULL },
	{ "", "", "", 0, NULL },
	{ "\nbody", "", "body", 0, NULL },
	{ "\n\n", "", "\n", 0, NULL },
	{ "Subject: a\n b\n\nx\n\ny\n", "Subject: a\n b\n", "x\n\ny\n", 0,
	  NULL },
	{ "From: a\n\n\n\n", "From: a\n", "\n\n", 0, NULL },
	{ "From: a\n\nno line end", "From: a\n", "no line end", 0, NULL },
	{ "From : a\n\t\n b\n\nX: y\n", "From : a\n\t\n b\n", "X: y\n", 0,
	  NULL },
	{ "S: caf\xc3\xa9\n\n\xff\xfe\x00z\n", "S: caf\xc3\xa9\n",
	  "\xff\xfe", 0, NULL },		/* strlen stops at NUL */
	{ "A: 1\nB: 2\nC 3\n\nbody\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 3: not a header field (missing header/body separator?)" },
	{ "From: a\nDear Bob,\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 2: not a header field (missing header/body separator?)" },
	{ " A: 1\n\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 1: folded line before any header field" },
	{ "Fr om: a\n\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
	{ "Subject\n\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
	{ ": a\n\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 1: header field with an empty name" },
	{ "From: a", NULL, NULL, MAIL_E_NOHDR,
	  "line 1: message ends in the middle of a header line" },
	{ "From: a\nTo: b", NULL, NULL, MAIL_E_NOHDR,
	  "line 2: message ends in the middle of a header line" },
	{ "From: a\n b", NULL, NULL, MAIL_E_NOHDR,
	  "line 2: message ends in the middle of a header line" },
	{ "From", NULL, NULL, MAIL_E_NOHDR,
	  "line 1: message ends in the middle of a header line" },
};

static void
rd_check(const struct rd_result *res, const char *hdr, const char *body,
    int code, const char *msg, const char *what, size_t cut)
{
	if (code != 0) {
		ck_assert_msg(res->last == MAIL_READ_ERROR, "%s cut %zu",
		    what, cut);
		ck_assert_int_eq(res->err.code, code);
		ck_assert_str_eq(res->err.msg, msg);
		return;
	}
	ck_assert_msg(res->last == MAIL_READ_END, "%s cut %zu: %s", what,
	    cut, res->err.msg);
	ck_assert_str_eq(res->hdr.len ? res->hdr.data : "", hdr);
	ck_assert_msg(res->body.len == strlen(body) && (res->body.len == 0 ||
	    memcmp(res->body.data, body, res->body.len) == 0),
	    "%s cut %zu: body differs", what, cut);
}

/* Whole, at every cut, at every pair of cuts, a byte at a time. */
static void
rd_every_split(enum mail_newline nl, const char *in, const char *hdr,
    const char *body, int code, const char *msg, const char *what)
{
	struct rd_result	 res;
	size_t			 len = strlen(in), cuts[2], *bytes, i, j;

	for (i = 0; i <= len; i++) {
		rd_result_init(&res);
		cuts[0] = i;
		rd_run(nl, 0, in, len, cuts, 1, &res);
		rd_check(&res, hdr, body, code, msg, what, i);
		rd_result_fini(&res);
	}
	for (i = 0; i <= len; i++)
		for (j = i; j <= len; j++) {
			rd_result_init(&res);
			cuts[0] = i;
			cuts[1] = j;
			rd_run(nl, 0, in, len, cuts, 2, &res);
			rd_check(&res, hdr, body, code, msg, what, i);
			rd_result_fini(&res);
		}
	ck_assert_ptr_nonnull(bytes = calloc(len + 1, sizeof(*bytes)));
	for (i = 0; i < len; i++)
		bytes[i] = i;
	rd_result_init(&res);
	rd_run(nl, 0, in, len, bytes, len, &res);
	rd_check(&res, hdr, body, code, msg, what, 1);
	rd_result_fini(&res);
	free(bytes);
}

START_TEST(test_reader_every_split)
{
	char	*in, *hdr = NULL, *body = NULL;

	if (lf_cases[_i].code == 0) {
		hdr = rd_crlf(lf_cases[_i].hdr);
		body = rd_crlf(lf_cases[_i].body);
	}
	rd_every_split(MAIL_NL_LF, lf_cases[_i].in, hdr, body,
	    lf_cases[_i].code, lf_cases[_i].msg, "lf input, lf mode");
	in = rd_crlf(lf_cases[_i].in);
	rd_every_split(MAIL_NL_LF, in, hdr, body, lf_cases[_i].code,
	    lf_cases[_i].msg, "crlf input, lf mode");
	rd_every_split(MAIL_NL_CRLF, in, hdr, body, lf_cases[_i].code,
	    lf_cases[_i].msg, "crlf input, crlf mode");
	free(in);
	free(hdr);
	free(body);
}
END_TEST

/* Mixed and bare line ends, read exactly as written in the given mode. */
static const struct {
	enum mail_newline	 nl;
	const char		*in;
	const char		*hdr;
	const char		*body;
	int			 code;
	const char		*msg;
} raw_cases[] = {
	{ MAIL_NL_LF, "A: 1\r\nB: 2\n\r\nbody\r\nx\ny\r\r\n",
	  "A: 1\r\nB: 2\r\n", "body\r\nx\r\ny\r\r\n", 0, NULL },
	{ MAIL_NL_LF, "A: 1\r\n\n", "A: 1\r\n", "", 0, NULL },
	{ MAIL_NL_LF, "A: 1\n\r\n\r\n\n\r", "A: 1\r\n", "\r\n\r\n\r", 0,
	  NULL },
	{ MAIL_NL_LF, "A: x\ry\n\na\rb\r", "A: x\ry\r\n", "a\rb\r", 0, NULL },
	{ MAIL_NL_LF, "A: x\r\r\n\r\n", "A: x\r\r\n", "", 0, NULL },
	{ MAIL_NL_LF, "A: x\n\n\r\r\r\n\n", "A: x\r\n", "\r\r\r\n\r\n", 0,
	  NULL },
	{ MAIL_NL_CRLF, "A: 1\r\n\r\nx\ny\rz\r\n", "A: 1\r\n", "x\ny\rz\r\n",
	  0, NULL },
	{ MAIL_NL_CRLF, "A: 1\nB: 2\r\n\r\n", "A: 1\nB: 2\r\n", "", 0, NULL },
	{ MAIL_NL_CRLF, "A: 1\n\nbody", NULL, NULL, MAIL_E_NOHDR,
	  "line 1: message ends in the middle of a header line" },
	{ MAIL_NL_CRLF, "A: 1\r\n\nB: 2\r\n\r\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 2: not a header field (missing header/body separator?)" },
	{ MAIL_NL_LF, "A: 1\n\r", NULL, NULL, MAIL_E_NOHDR,
	  "line 2: message ends in the middle of a header line" },
	{ MAIL_NL_LF, "A: 1\r", NULL, NULL, MAIL_E_NOHDR,
	  "line 1: message ends in the middle of a header line" },
	{ MAIL_NL_LF, "A: 1\n\rX: 2\n\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 2: not a header field (missing header/body separator?)" },
	{ MAIL_NL_LF, "A\r: 1\n\n", NULL, NULL, MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
};

START_TEST(test_reader_raw)
{
	rd_every_split(raw_cases[_i].nl, raw_cases[_i].in, raw_cases[_i].hdr,
	    raw_cases[_i].body, raw_cases[_i].code, raw_cases[_i].msg,
	    raw_cases[_i].nl == MAIL_NL_LF ? "lf mode" : "crlf mode");
}
END_TEST

START_TEST(test_reader_hdrs)
{
	static const char	 in[] =
	    "From: a\nReceived: 1\nreceived: 2\n\nb\n";
	struct mail_reader	*r;
	struct mail_hdrs	*h;
	const char		*p;
	size_t			 n;
	struct err		 err;

	ck_assert_ptr_nonnull(r = mail_reader_new(MAIL_NL_LF, 0, &err));
	ck_assert_ptr_null(mail_reader_hdrs(r));
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err),
	    MAIL_READ_NEED_MORE);
	ck_assert_int_eq(mail_reader_feed(r, in, strlen(in), &err), 0);
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err),
	    MAIL_READ_HEADERS);
	ck_assert_uint_eq(mail_hdrs_count(mail_reader_hdrs(r)), 3);
	ck_assert_uint_eq(mail_hdrs_count_name(mail_reader_hdrs(r),
	    "RECEIVED"), 2);
	ck_assert_uint_eq(mail_hdrs_at(mail_reader_hdrs(r), 2)->line, 3);
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err), MAIL_READ_BODY);
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(p, "b\r\n", 3) == 0);
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err),
	    MAIL_READ_NEED_MORE);
	h = mail_reader_take_hdrs(r);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_null(mail_reader_hdrs(r));
	mail_reader_finish(r);
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err), MAIL_READ_END);
	ck_assert_int_eq(mail_reader_feed(r, "x", 1, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	mail_reader_free(r);
	/* The header section outlives the reader it was taken from. */
	ck_assert_int_eq(mail_hdrs_find(h, "from", 0), 0);
	mail_hdrs_free(h);
	mail_reader_free(NULL);

	ck_assert_ptr_null(mail_reader_new((enum mail_newline)7, 0, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
}
END_TEST

START_TEST(test_reader_max_header)
{
	static const char	 in[] = "A: 12345\nB: 12345\n\nbody\n";
	struct rd_result	 res;
	size_t			 cut = 3;

	/* 20 bytes of fields once normalised: a limit of 20 is enough. */
	rd_result_init(&res);
	rd_run(MAIL_NL_LF, 20, in, strlen(in), &cut, 1, &res);
	rd_check(&res, "A: 12345\r\nB: 12345\r\n", "body\r\n", 0, NULL,
	    "max 20", 0);
	rd_result_fini(&res);
	rd_result_init(&res);
	rd_run(MAIL_NL_LF, 19, in, strlen(in), &cut, 1, &res);
	rd_check(&res, NULL, NULL, MAIL_E_LIMIT,
	    "line 2: header section longer than 19 bytes", "max 19", 0);
	rd_result_fini(&res);
}
END_TEST

/* Bytes in use by malloc, where ASan does not take malloc over. */
static size_t
rd_heap(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	return mallinfo2().uordblks;
#else
	/* Debian 11's glibc 2.31 has only mallinfo(), whose int fields
	 * suffice for the few megabytes this test measures. */
	return (size_t)mallinfo().uordblks;
#endif
}

START_TEST(test_reader_long_line)
{
	struct mail_reader	*r;
	const char		*p;
	char			*line;
	size_t			 n, len = 1 << 20, fed, before;
	struct err		 err;
	enum mail_read		 ev;

	ck_assert_ptr_nonnull(line = malloc(len));
	memset(line, 'x', len);
	memcpy(line, "Subject: ", 9);

	/* One call: refused at the limit; the rest is not kept. */
	before = rd_heap();
	ck_assert_ptr_nonnull(r = mail_reader_new(MAIL_NL_LF, 0, &err));
	ck_assert_int_eq(mail_reader_feed(r, line, len, &err), 0);
	ck_assert_uint_le(rd_heap(), before + 4 * MAIL_MAX_FIELD);
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err), MAIL_READ_ERROR);
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_str_eq(err.msg,
	    "line 1: header field longer than 65536 bytes");
	mail_reader_free(r);

	/* In 4 KiB pieces: the error comes once the limit is passed. */
	ck_assert_ptr_nonnull(r = mail_reader_new(MAIL_NL_CRLF, 0, &err));
	for (fed = 0; fed < len; fed += 4096) {
		ck_assert_int_eq(mail_reader_feed(r, line + fed, 4096, &err),
		    0);
		if ((ev = mail_reader_next(r, &p, &n, &err)) !=
		    MAIL_READ_NEED_MORE)
			break;
	}
	ck_assert_int_eq(ev, MAIL_READ_ERROR);
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_uint_eq(fed, MAIL_MAX_FIELD);	/* the 17th piece */
	mail_reader_free(r);

	/* A header section of many fields passes max_header the same way. */
	for (fed = 0; fed + 100 <= len; fed += 100)
		memcpy(line + fed + 97, "\nX:", 3);
	ck_assert_ptr_nonnull(r = mail_reader_new(MAIL_NL_LF, 65536, &err));
	ck_assert_int_eq(mail_reader_feed(r, line, len, &err), 0);
	ck_assert_int_eq(mail_reader_next(r, &p, &n, &err), MAIL_READ_ERROR);
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_str_eq(err.msg,
	    "line 649: header section longer than 65536 bytes");
	mail_reader_free(r);
	free(line);
}
END_TEST

START_TEST(test_reader_big_body)
{
	static const char	 hdr[] = "From: a\r\n\r\n";
	struct mail_reader	*r;
	const char		*p;
	char			*chunk;
	size_t			 n, i, clen = 65536, total, before, peak = 0;
	struct err		 err;
	enum mail_read		 ev;
	int			 mode;

	ck_assert_ptr_nonnull(chunk = malloc(clen));
	for (i = 0; i < clen; i++)
		chunk[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
	for (mode = 0; mode < 2; mode++) {
		before = rd_heap();
		ck_assert_ptr_nonnull(r = mail_reader_new(mode == 0 ?
		    MAIL_NL_LF : MAIL_NL_CRLF, 0, &err));
		ck_assert_int_eq(mail_reader_feed(r, hdr, strlen(hdr), &err),
		    0);
		ck_assert_int_eq(mail_reader_next(r, &p, &n, &err),
		    MAIL_READ_HEADERS);
		total = 0;
		for (i = 0; i < 256; i++) {	/* 16 MiB */
			ck_assert_int_eq(mail_reader_feed(r, chunk, clen,
			    &err), 0);
			while ((ev = mail_reader_next(r, &p, &n, &err)) ==
			    MAIL_READ_BODY)
				total += n;
			ck_assert_int_eq(ev, MAIL_READ_NEED_MORE);
			if (rd_heap() > before + peak)
				peak = rd_heap() - before;
		}
		mail_reader_finish(r);
		ck_assert_int_eq(mail_reader_next(r, &p, &n, &err),
		    MAIL_READ_END);
		ck_assert_uint_eq(total, mode == 0 ? 256 * (clen + clen / 64) :
		    256 * clen);
		mail_reader_free(r);
		ck_assert_uint_le(peak, 4 * clen);
	}
	free(chunk);
}
END_TEST

TCase *
mail_reader_tcase(void)
{
	TCase	*tc;

	tc = tcase_create("reader");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_reader_every_split, 0,
	    sizeof(lf_cases) / sizeof(lf_cases[0]));
	tcase_add_loop_test(tc, test_reader_raw, 0,
	    sizeof(raw_cases) / sizeof(raw_cases[0]));
	tcase_add_test(tc, test_reader_hdrs);
	tcase_add_test(tc, test_reader_max_header);
	tcase_add_test(tc, test_reader_long_line);
	tcase_add_test(tc, test_reader_big_body);
	return tc;
}
