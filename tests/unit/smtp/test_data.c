/*
 * test_data.c: the DATA reader (src/smtp/data.c).  Every case is read
 * whole, cut at every byte and a byte at a time, and must give the same
 * message, status and rest; then the limits on streams far bigger than
 * the memory the reader may use.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_smtp.h"

static const struct {
	const char		*in;
	const char		*msg;
	enum smtp_data_status	 status;
	const char		*rest;
	uint64_t		 max_size;
	size_t			 max_hdr;
} cases[] = {
	{ ".\r\n", "", SMTP_DATA_OK, "" },
	{ "a: b\r\n\r\nbody\r\n.\r\nQUIT\r\n", "a: b\r\n\r\nbody\r\n",
	  SMTP_DATA_OK, "QUIT\r\n" },
	/* dot-unstuffing: a leading dot always goes (RFC 5321 4.5.2) */
	{ "..\r\n...x\r\n.y\r\n.\r\n", ".\r\n..x\r\ny\r\n", SMTP_DATA_OK, "" },
	/* no header/body separator */
	{ "Subject: only\r\nFrom: a@b\r\n.\r\n", "Subject: only\r\n"
	  "From: a@b\r\n", SMTP_DATA_OK, "" },
	/* bare LF and bare CR become CRLF; they never end the data */
	{ "a\nb\r\n.\n.\r\n.\r\n", "a\r\nb\r\n\r\n.\r\n", SMTP_DATA_OK, "" },
	{ "a\rb\r\n\n.\n.\r\n.\r\n", "a\r\nb\r\n\r\n.\r\n.\r\n", SMTP_DATA_OK,
	  "" },
	{ "x\r\n.\rz\r\n.\r\n", "x\r\n\r\nz\r\n", SMTP_DATA_OK, "" },
	{ "x\r\r\n.\r\n", "x\r\n\r\n", SMTP_DATA_OK, "" },
	/* smuggling attempts are message text */
	{ "a\r\n\n.\nMAIL FROM:<x@y>\r\n.\r\n", "a\r\n\r\n.\r\n"
	  "MAIL FROM:<x@y>\r\n", SMTP_DATA_OK, "" },
	{ "a\n.\r\nMAIL\r\n.\r\n", "a\r\n.\r\nMAIL\r\n", SMTP_DATA_OK, "" },
	/* NUL is refused, the rest still read */
	{ "a\r\nb\0c\r\n.\r\nNOOP\r\n", NULL, SMTP_DATA_NUL, "NOOP\r\n" },
	/* limits */
	{ "12345\r\n.\r\n", "12345\r\n", SMTP_DATA_OK, "", 7 },
	{ "123456\r\n.\r\nQUIT\r\n", NULL, SMTP_DATA_TOO_BIG, "QUIT\r\n", 7 },
	{ "Subject: 12345\r\n\r\n123456789012345678\r\n.\r\n",
	  "Subject: 12345\r\n\r\n123456789012345678\r\n", SMTP_DATA_OK, "",
	  0, 14 },
	{ "Subject: 123456\r\n\r\nx\r\n.\r\n", NULL,
	  SMTP_DATA_HEADER_TOO_LONG, "", 0, 14 },
};

struct dt_out {
	struct buf		 msg;
	enum smtp_data_status	 status;
	bool			 end;
	size_t			 rest;
};

static void
dt_feed(struct smtp_data *d, const char *p, size_t n, struct dt_out *o)
{
	const char	*c;
	size_t		 len;
	enum smtp_data_ev ev;

	smtp_data_feed(d, p, n);
	while ((ev = smtp_data_next(d, &c, &len)) == SMTP_DATA_CHUNK) {
		ck_assert_uint_gt(len, 0);
		ck_assert_int_eq(buf_add(&o->msg, c, len, NULL), 0);
	}
	if (ev == SMTP_DATA_END) {
		ck_assert(!o->end);
		o->end = true;
		o->rest = smtp_data_unfeed(d);
		ck_assert_int_eq(smtp_data_next(d, &c, &len), SMTP_DATA_END);
	}
}

static void
dt_check(size_t i, struct dt_out *o, struct smtp_data *d)
{
	ck_assert(o->end);
	ck_assert_int_eq(smtp_data_status(d), cases[i].status);
	ck_assert_uint_eq(o->rest, strlen(cases[i].rest));
	if (cases[i].msg != NULL) {
		ck_assert_uint_eq(o->msg.len, strlen(cases[i].msg));
		if (o->msg.len > 0)
			ck_assert_mem_eq(o->msg.data, cases[i].msg,
			    o->msg.len);
	}
}

/* The NUL case is not a C string. */
static size_t
dt_len(const char *in)
{
	if (strncmp(in, "a\r\nb", 4) == 0 && in[4] == '\0')
		return 4 + 1 + strlen(in + 5);
	return strlen(in);
}

START_TEST(test_data_cases)
{
	const char		*in = cases[_i].in;
	struct smtp_data	 d;
	struct dt_out		 o;
	size_t			 len = dt_len(in), cut, k;

	for (cut = 0; cut <= len; cut++) {
		memset(&o, 0, sizeof(o));
		buf_init(&o.msg, 4096);
		smtp_data_init(&d, cases[_i].max_size, cases[_i].max_hdr);
		if (cut > 0)
			dt_feed(&d, in, cut, &o);
		if (!o.end)
			dt_feed(&d, in + cut, len - cut, &o);
		else
			o.rest += len - cut;
		dt_check(_i, &o, &d);
		buf_fini(&o.msg);
	}
	/* A byte at a time. */
	memset(&o, 0, sizeof(o));
	buf_init(&o.msg, 4096);
	smtp_data_init(&d, cases[_i].max_size, cases[_i].max_hdr);
	for (k = 0; k < len; k++) {
		if (o.end) {
			o.rest += len - k;
			break;
		}
		dt_feed(&d, in + k, 1, &o);
	}
	dt_check(_i, &o, &d);
	buf_fini(&o.msg);
}
END_TEST

/* 2 GB through a reader limited to 1 MB: it ends with TOO_BIG, having
 * handed out no more than the limit, and used no memory of its own. */
START_TEST(test_data_huge)
{
	struct smtp_data	 d;
	char			*blk;
	const char		*c;
	size_t			 len, n = 1 << 20, i;
	uint64_t		 out = 0;
	enum smtp_data_ev	 ev;

	blk = malloc(n);
	for (i = 0; i < n; i++)
		blk[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' : 'x';
	smtp_data_init(&d, 1 << 20, 0);
	for (i = 0; i < 2048; i++) {
		smtp_data_feed(&d, blk, n);
		while ((ev = smtp_data_next(&d, &c, &len)) ==
		    SMTP_DATA_CHUNK)
			out += len;
		ck_assert_int_eq(ev, SMTP_DATA_NEED_MORE);
	}
	ck_assert_int_eq(smtp_data_status(&d), SMTP_DATA_TOO_BIG);
	ck_assert(out <= 1 << 20);
	ck_assert(d.size >= 2048ULL << 20);
	smtp_data_feed(&d, "\r\n.\r\n", 5);
	ck_assert_int_eq(smtp_data_next(&d, &c, &len), SMTP_DATA_END);
	free(blk);
}
END_TEST

/* A 1 MB header line: refused, read to the end in constant memory. */
START_TEST(test_data_long_header)
{
	struct smtp_data	 d;
	char			*blk;
	const char		*c;
	size_t			 len, n = 1 << 20;
	enum smtp_data_ev	 ev;

	blk = malloc(n);
	memset(blk, 'h', n);
	memcpy(blk, "X-Long: ", 8);
	smtp_data_init(&d, 0, SMTP_DATA_HEADER_LINE_MAX);
	smtp_data_feed(&d, blk, n);
	while ((ev = smtp_data_next(&d, &c, &len)) == SMTP_DATA_CHUNK)
		ck_assert_uint_le(len, SMTP_DATA_HEADER_LINE_MAX);
	ck_assert_int_eq(smtp_data_status(&d), SMTP_DATA_HEADER_TOO_LONG);
	smtp_data_feed(&d, "\r\n\r\nbody\r\n.\r\n", 13);
	while ((ev = smtp_data_next(&d, &c, &len)) == SMTP_DATA_CHUNK)
		ck_abort_msg("no chunk after a limit");
	ck_assert_int_eq(ev, SMTP_DATA_END);
	free(blk);
	/* A long body line is fine. */
	blk = malloc(n);
	memset(blk, 'b', n);
	smtp_data_init(&d, 0, SMTP_DATA_HEADER_LINE_MAX);
	smtp_data_feed(&d, "A: b\r\n\r\n", 8);
	while (smtp_data_next(&d, &c, &len) == SMTP_DATA_CHUNK)
		;
	smtp_data_feed(&d, blk, n);
	while (smtp_data_next(&d, &c, &len) == SMTP_DATA_CHUNK)
		;
	ck_assert_int_eq(smtp_data_status(&d), SMTP_DATA_OK);
	free(blk);
}
END_TEST

TCase *
data_tests(void)
{
	TCase	*tc;

	tc = tcase_create("data");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_data_cases, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_data_huge);
	tcase_add_test(tc, test_data_long_header);
	return tc;
}
