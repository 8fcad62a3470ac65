/*
 * test_server.c: the server session (src/smtp/server.c) driven from
 * memory by a fake daemon that answers at once or later, as a table says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_smtp.h"

#define NKIND	(SMTP_REQ_RESET + 1)

struct fake {
	struct smtp_server	*s;
	int			 answer[NKIND];	/* 0: answer later */
	int			 nreq[NKIND];
	bool			 deferred;
	struct buf		 msg;
	struct buf		 out;
	char			 last_path[SMTP_PATH_MAX + 1];
	uint64_t		 msg_size;
};

static void
fk_request(void *arg, const struct smtp_request *req)
{
	struct fake	*f = arg;
	struct err	 err;
	int		 code;

	f->nreq[req->kind]++;
	snprintf(f->last_path, sizeof(f->last_path), "%s", req->path);
	if (req->kind == SMTP_REQ_RESET)
		return;
	if (req->kind == SMTP_REQ_MESSAGE)
		f->msg_size = req->size;
	if ((code = f->answer[req->kind]) == 0) {
		f->deferred = true;
		return;
	}
	if (req->kind == SMTP_REQ_RCPT && strncmp(req->path, "bad", 3) == 0)
		code = 550;
	ck_assert_int_eq(smtp_server_answer(f->s, code, NULL, NULL, &err), 0);
}

static void
fk_data(void *arg, const char *p, size_t n)
{
	struct fake	*f = arg;

	ck_assert_int_eq(buf_add(&f->msg, p, n, NULL), 0);
}

static void
fk_take(struct fake *f)
{
	const char	*o;
	size_t		 n;

	o = smtp_server_output(f->s, &n);
	ck_assert_int_eq(buf_add(&f->out, o, n, NULL), 0);
	smtp_server_output_drop(f->s, n);
}

static void
fk_init(struct fake *f, const struct smtp_server_conf *conf)
{
	struct smtp_server_conf	 c;
	struct smtp_server_cbs	 cbs = { fk_request, fk_data };
	struct err		 err;
	int			 k;

	memset(f, 0, sizeof(*f));
	for (k = 0; k < NKIND; k++)
		f->answer[k] = 250;
	buf_init(&f->msg, 64 << 20);
	buf_init(&f->out, 64 << 20);
	if (conf == NULL) {
		smtp_server_conf_init(&c);
		c.hostname = "mx.test";
		conf = &c;
	}
	ck_assert_ptr_nonnull(f->s = smtp_server_new(conf, &cbs, f, &err));
}

static void
fk_start(struct fake *f)
{
	smtp_server_start(f->s);
	fk_take(f);
}

static void
fk_fini(struct fake *f)
{
	smtp_server_free(f->s);
	buf_fini(&f->msg);
	buf_fini(&f->out);
}

/* Feeds all of in, answering deferred requests with 250 when asked to,
 * as a transport would: take the output, feed the rest again. */
static void
fk_run(struct fake *f, const char *in, size_t n, bool answer_later)
{
	size_t		 off = 0, k;
	struct err	 err;

	while (off < n) {
		k = smtp_server_feed(f->s, in + off, n - off);
		off += k;
		fk_take(f);
		if (smtp_server_want(f->s) == SMTP_SERVER_WAIT) {
			ck_assert(f->deferred);
			if (!answer_later)
				return;
			f->deferred = false;
			ck_assert_int_eq(smtp_server_answer(f->s, 250, NULL,
			    NULL, &err), 0);
			fk_take(f);
		} else if (k == 0 &&
		    smtp_server_want(f->s) != SMTP_SERVER_READ)
			return;
	}
}

static void
fk_runs(struct fake *f, const char *in)
{
	fk_run(f, in, strlen(in), true);
}

/* The last reply line of the output. */
static const char *
fk_last(struct fake *f)
{
	static char	 line[1024];
	const char	*p, *end;

	ck_assert_uint_ge(f->out.len, 2);
	end = f->out.data + f->out.len - 2;
	for (p = end; p > f->out.data && p[-1] != '\n'; p--)
		;
	snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
	return line;
}

static size_t
fk_count(struct fake *f, const char *prefix)
{
	const char	*p = f->out.data;
	size_t		 n = 0;

	while (p != NULL && p < f->out.data + f->out.len) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
	return n;
}

START_TEST(test_server_greeting)
{
	struct fake	f;

	fk_init(&f, NULL);
	ck_assert_int_eq(smtp_server_timer(f.s), SMTP_TIMEOUT_COMMAND);
	fk_start(&f);
	ck_assert_str_eq(f.out.data, "220 mx.test ESMTP timbre\r\n");
	fk_runs(&f, "EHLO client.example\r\n");
	ck_assert_str_eq(f.out.data, "220 mx.test ESMTP timbre\r\n"
	    "250-mx.test Hello client.example\r\n250-PIPELINING\r\n"
	    "250-SIZE 26214400\r\n250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n");
	buf_reset(&f.out);
	fk_runs(&f, "HELO client.example\r\n");
	ck_assert_str_eq(f.out.data, "250 mx.test\r\n");
	ck_assert_int_eq(f.nreq[SMTP_REQ_HELO], 2);
	fk_fini(&f);
}
END_TEST

#define E	"EHLO c\r\n"
#define M	"MAIL FROM:<a@b>\r\n"
static const struct {
	const char	*in;
	const char	*last;
} seq[] = {
	{ M, "503 5.5.1 Send HELO/EHLO first" },
	{ E "RCPT TO:<a@b>\r\n", "503 5.5.1 Need MAIL command" },
	{ E "DATA\r\n", "503 5.5.1 Need MAIL command" },
	{ E M "DATA\r\n", "503 5.5.1 Need RCPT command" },
	{ E M M, "503 5.5.1 Nested MAIL command" },
	{ E M "RCPT TO:<bad@x>\r\nDATA\r\n", "554 5.5.1 No valid recipients" },
	{ E M "RCPT TO:<bad@x>\r\n", "550 5.0.0 Recipient refused" },
	{ "FOO\r\n", "500 5.5.1 Command unrecognized" },
	{ "NOOP\n", "500 5.5.2 Bare LF not allowed, lines end in CRLF" },
	{ "HELO\r\n", "501 5.5.4 Syntax error in arguments" },
	{ E "MAIL FROM:<a@b> FOO=1\r\n", "555 5.5.4 Unsupported MAIL "
	  "parameter" },
	{ E M "RCPT TO:<c@d> NOTIFY=NEVER\r\n", "555 5.5.4 Unsupported RCPT "
	  "parameter" },
	{ E "MAIL FROM:<a>\r\n", "501 5.1.7 Bad address syntax" },
	{ E M "RCPT TO:<a>\r\n", "501 5.1.3 Bad address syntax" },
	{ E "MAIL FROM:<a@b> SIZE=2147483648\r\n", "552 5.3.4 Message size "
	  "exceeds fixed maximum message size" },
	{ E "MAIL FROM:<a@b> SIZE=26214400\r\n", "250 2.1.0 Sender OK" },
	{ "HELO c\r\nMAIL FROM:<a@b> SIZE=10\r\n", "555 5.5.4 Unsupported "
	  "MAIL parameter" },
	{ E "MAIL FROM:<\xc3\xbc@b>\r\n", "553 5.6.7 Non-ASCII address needs "
	  "SMTPUTF8" },
	{ E M "RCPT TO:<\xc3\xbc@b>\r\n", "553 5.6.7 Non-ASCII address needs "
	  "SMTPUTF8" },
	{ E "MAIL FROM:<\xc3\xbc@b> SMTPUTF8\r\nRCPT TO:<\xc3\xbc@b>\r\n",
	  "250 2.1.5 Recipient OK" },
	{ E M "RCPT TO:<Postmaster>\r\n", "250 2.1.5 Recipient OK" },
	{ E "STARTTLS\r\n", "502 5.5.1 STARTTLS not available" },
	{ E M "RSET\r\nRCPT TO:<a@b>\r\n", "503 5.5.1 Need MAIL command" },
	{ E M E "RCPT TO:<a@b>\r\n", "503 5.5.1 Need MAIL command" },
	{ "VRFY x\r\n", "252 2.5.0 Cannot VRFY user, but will accept message "
	  "and attempt delivery" },
	{ "HELP\r\n", "214 2.0.0 See RFC 5321" },
	{ "NOOP\r\n", "250 2.0.0 OK" },
	{ "RSET\r\n", "250 2.0.0 OK" },
	{ "QUIT\r\nNOOP\r\n", "221 2.0.0 mx.test closing connection" },
	{ "BDAT 6\r\nxxxxxxNOOP\r\n", "250 2.0.0 OK" },
	{ "BDAT 6\r\n", "502 5.5.1 BDAT not implemented" },
};
#undef E
#undef M

START_TEST(test_server_sequence)
{
	struct fake	f;

	fk_init(&f, NULL);
	fk_start(&f);
	fk_runs(&f, seq[_i].in);
	ck_assert_str_eq(fk_last(&f), seq[_i].last);
	fk_fini(&f);
}
END_TEST

static const char txn[] = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n"
    "RCPT TO:<bad@y>\r\nDATA\r\nSubject: t\r\n\r\nhi\r\n..dot\r\n.\r\n"
    "QUIT\r\n";
static const char txn_out[] = "220 mx.test ESMTP timbre\r\n"
    "250-mx.test Hello c\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n"
    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n"
    "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
    "550 5.0.0 Recipient refused\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    "250 2.0.0 Message accepted\r\n221 2.0.0 mx.test closing connection\r\n";

/* A whole pipelined transaction in one read, answered at once. */
START_TEST(test_server_pipelined)
{
	struct fake	f;

	fk_init(&f, NULL);
	fk_start(&f);
	fk_runs(&f, txn);
	ck_assert_str_eq(f.out.data, txn_out);
	ck_assert_str_eq(f.msg.data, "Subject: t\r\n\r\nhi\r\n.dot\r\n");
	ck_assert(f.msg_size == f.msg.len);
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	ck_assert_int_eq(f.nreq[SMTP_REQ_RESET], 0);
	fk_fini(&f);
}
END_TEST

/* The same, every answer given later: the session waits and the output
 * is the same; also cut at every byte. */
START_TEST(test_server_async)
{
	struct fake	f;
	size_t		 cut, len = strlen(txn);
	int		 k;

	for (cut = 0; cut <= len; cut++) {
		fk_init(&f, NULL);
		for (k = 0; k < NKIND; k++)
			f.answer[k] = 0;
		smtp_server_start(f.s);
		ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_WAIT);
		ck_assert_uint_eq(smtp_server_feed(f.s, txn, len), 0);
		f.deferred = false;
		ck_assert_int_eq(smtp_server_answer(f.s, 250, NULL, NULL,
		    NULL), 0);
		fk_take(&f);
		/* Every request is answered 250 later, bad@y too. */
		fk_run(&f, txn, cut, true);
		fk_run(&f, txn + cut, len - cut, true);
		ck_assert_uint_eq(fk_count(&f, "250 2.1.5"), 2);
		ck_assert_str_eq(fk_last(&f),
		    "221 2.0.0 mx.test closing connection");
		ck_assert_str_eq(f.msg.data, "Subject: t\r\n\r\nhi\r\n.dot\r\n");
		fk_fini(&f);
	}
}
END_TEST

/* 10 000 recipients: 100 taken, the others 452 4.5.3 (not errors). */
START_TEST(test_server_many_rcpt)
{
	struct fake	f;
	struct buf	in;
	size_t		i;

	buf_init(&in, 1 << 20);
	buf_adds(&in, "EHLO c\r\nMAIL FROM:<a@b>\r\n", NULL);
	for (i = 0; i < 10000; i++)
		buf_printf(&in, NULL, "RCPT TO:<r%zu@example.org>\r\n", i);
	buf_adds(&in, "DATA\r\nx\r\n.\r\nQUIT\r\n", NULL);
	fk_init(&f, NULL);
	fk_start(&f);
	fk_run(&f, in.data, in.len, true);
	ck_assert_uint_eq(fk_count(&f, "250 2.1.5"), 100);
	ck_assert_uint_eq(fk_count(&f, "452 4.5.3 Too many recipients"), 9900);
	ck_assert_uint_eq(fk_count(&f, "250 2.0.0 Message accepted"), 1);
	ck_assert_str_eq(fk_last(&f), "221 2.0.0 mx.test closing connection");
	fk_fini(&f);
	buf_fini(&in);
}
END_TEST

/* The daemon's own 452 4.5.3 to RCPT is flow control too: 30 of them
 * close nothing; its ten 550s do. */
START_TEST(test_server_daemon_452)
{
	struct fake	f;
	struct err	err;
	int		i;

	fk_init(&f, NULL);
	f.answer[SMTP_REQ_RCPT] = 0;
	fk_start(&f);
	fk_runs(&f, "EHLO c\r\nMAIL FROM:<a@b>\r\n");
	for (i = 0; i < 30; i++) {
		fk_run(&f, "RCPT TO:<x@y>\r\n", 15, false);
		ck_assert_int_eq(smtp_server_answer(f.s, 452, "4.5.3",
		    "too many recipients", &err), 0);
		fk_take(&f);
	}
	ck_assert_uint_eq(fk_count(&f, "452 4.5.3 too many recipients"), 30);
	ck_assert_int_ne(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	for (i = 0; i < 10; i++) {
		fk_run(&f, "RCPT TO:<x@y>\r\n", 15, false);
		ck_assert_int_eq(smtp_server_answer(f.s, 550, "5.1.1",
		    "no such list", &err), 0);
		fk_take(&f);
	}
	ck_assert_uint_eq(fk_count(&f, "550 5.1.1 no such list"), 9);
	ck_assert_str_eq(fk_last(&f), "421 4.7.0 mx.test Error: too many "
	    "errors, closing connection");
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	fk_fini(&f);
}
END_TEST

START_TEST(test_server_error_limit)
{
	struct fake	f;
	int		i;

	fk_init(&f, NULL);
	fk_start(&f);
	for (i = 0; i < 12; i++)
		fk_runs(&f, "FOO\r\n");
	ck_assert_uint_eq(fk_count(&f, "500 5.5.1"), 9);
	ck_assert_str_eq(fk_last(&f), "421 4.7.0 mx.test Error: too many "
	    "errors, closing connection");
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	fk_fini(&f);
}
END_TEST

static const struct {
	const char	*body;
	size_t		 repeat;	/* of body */
	const char	*last;
} data_cases[] = {
	{ "123456789\r\n", 20, "552 5.3.4 Message size exceeds fixed maximum message "
	  "size" },
	{ "Subject: ", 20, "552 5.6.0 Header line too long" },
	{ "a\r\n\0\r\n", 1, "550 5.6.0 NUL byte in message" },
	{ "a\nb\rc\r\n", 1, "250 2.0.0 Message accepted" },
};

/* Messages refused for their content: the whole DATA is read, the
 * daemon hears RESET, the session goes on. */
START_TEST(test_server_data_limits)
{
	struct smtp_server_conf	 c;
	struct fake		 f;
	struct buf		 in;
	size_t			 i, blen;

	smtp_server_conf_init(&c);
	c.hostname = "mx.test";
	c.max_size = 100;
	c.max_header_line = 40;
	buf_init(&in, 1 << 20);
	buf_adds(&in, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
	    NULL);
	blen = _i == 2 ? 7 : strlen(data_cases[_i].body);
	for (i = 0; i < data_cases[_i].repeat; i++)
		buf_add(&in, data_cases[_i].body, blen, NULL);
	buf_adds(&in, "\r\n.\r\n", NULL);
	fk_init(&f, &c);
	fk_start(&f);
	fk_run(&f, in.data, in.len, true);
	ck_assert_str_eq(fk_last(&f), data_cases[_i].last);
	ck_assert_int_eq(f.nreq[SMTP_REQ_RESET], _i == 3 ? 0 : 1);
	ck_assert_int_eq(f.nreq[SMTP_REQ_MESSAGE], _i == 3 ? 1 : 0);
	if (_i == 3)
		ck_assert_str_eq(f.msg.data, "a\r\nb\r\nc\r\n\r\n");
	fk_runs(&f, "NOOP\r\n");
	ck_assert_str_eq(fk_last(&f), "250 2.0.0 OK");
	fk_fini(&f);
	buf_fini(&in);
}
END_TEST

/* A 1 MB header line and a 256 MB message stream through the session in
 * constant memory (test_data.c streams 2 GB through the reader) (the fake daemon keeps nothing once over the limit). */
START_TEST(test_server_data_huge)
{
	struct fake	 f;
	char		*blk;
	size_t		 n = 1 << 20, i;

	blk = malloc(n);
	memset(blk, 'y', n);
	fk_init(&f, NULL);
	fk_start(&f);
	fk_runs(&f, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
	    "X-Big: ");
	ck_assert_int_eq(smtp_server_timer(f.s), SMTP_TIMEOUT_DATA_BLOCK);
	fk_run(&f, blk, n, true);
	fk_runs(&f, "\r\n\r\n.\r\n");
	ck_assert_str_eq(fk_last(&f), "552 5.6.0 Header line too long");
	ck_assert_uint_le(f.msg.len, SMTP_DATA_HEADER_LINE_MAX);
	fk_runs(&f, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n\r\n");
	for (i = 0; i < 256; i++) {
		fk_run(&f, blk, n, true);
		if (f.msg.len > 0)
			buf_reset(&f.msg);	/* a daemon would spool it */
	}
	fk_runs(&f, "\r\n.\r\n");
	ck_assert_str_eq(fk_last(&f), "552 5.3.4 Message size exceeds fixed "
	    "maximum message size");
	free(blk);
	fk_fini(&f);
}
END_TEST

/* The client goes away in the middle of DATA. */
START_TEST(test_server_eof_in_data)
{
	struct fake	f;

	fk_init(&f, NULL);
	fk_start(&f);
	fk_runs(&f, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
	    "Subject: half");
	smtp_server_eof(f.s);
	ck_assert_int_eq(f.nreq[SMTP_REQ_RESET], 1);
	ck_assert_int_eq(f.nreq[SMTP_REQ_MESSAGE], 0);
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	ck_assert_int_eq(smtp_server_timer(f.s), SMTP_TIMEOUT_NONE);
	fk_fini(&f);
}
END_TEST

/* STARTTLS: plaintext pipelined after it is dropped (RFC 3207 section
 * 6); inside TLS the client greets again and STARTTLS is not offered. */
START_TEST(test_server_starttls)
{
	struct smtp_server_conf	c;
	struct fake		f;

	smtp_server_conf_init(&c);
	c.hostname = "mx.test";
	c.ext |= SMTP_EXT_STARTTLS;
	fk_init(&f, &c);
	fk_start(&f);
	fk_runs(&f, "EHLO c\r\n");
	ck_assert_str_eq(fk_last(&f), "250 STARTTLS");
	ck_assert_uint_eq(smtp_server_feed(f.s, "STARTTLS\r\nMAIL FROM:<a@b>"
	    "\r\n", 27), 27);
	fk_take(&f);
	ck_assert_str_eq(fk_last(&f), "220 2.0.0 Ready to start TLS");
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_STARTTLS);
	ck_assert_int_eq(f.nreq[SMTP_REQ_MAIL], 0);
	smtp_server_tls_started(f.s);
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_READ);
	fk_runs(&f, "MAIL FROM:<a@b>\r\n");
	ck_assert_str_eq(fk_last(&f), "503 5.5.1 Send HELO/EHLO first");
	fk_runs(&f, "EHLO c\r\n");
	ck_assert_str_eq(fk_last(&f), "250 SMTPUTF8");
	fk_runs(&f, "STARTTLS\r\n");
	ck_assert_str_eq(fk_last(&f), "502 5.5.1 STARTTLS not available");
	fk_runs(&f, "MAIL FROM:<a@b>\r\nSTARTTLS\r\n");
	ck_assert_str_eq(fk_last(&f), "502 5.5.1 STARTTLS not available");
	fk_fini(&f);
}
END_TEST

START_TEST(test_server_refused)
{
	struct fake	f;
	struct err	err;

	fk_init(&f, NULL);
	f.answer[SMTP_REQ_CONNECT] = 554;
	fk_start(&f);
	ck_assert_str_eq(f.out.data, "554 mx.test No SMTP service here\r\n");
	fk_runs(&f, "EHLO c\r\n");
	ck_assert_str_eq(fk_last(&f), "503 5.5.1 Bad sequence of commands, "
	    "only QUIT is served");
	fk_runs(&f, "QUIT\r\n");
	ck_assert_str_eq(fk_last(&f), "221 2.0.0 mx.test closing connection");
	fk_fini(&f);
	fk_init(&f, NULL);
	f.answer[SMTP_REQ_CONNECT] = 421;
	fk_start(&f);
	ck_assert_str_eq(f.out.data, "421 mx.test Service not available, "
	    "closing connection\r\n");
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	fk_fini(&f);
	/* The daemon's enhanced code, when it gives one, goes out. */
	fk_init(&f, NULL);
	f.answer[SMTP_REQ_CONNECT] = 0;
	fk_start(&f);
	ck_assert_int_eq(smtp_server_answer(f.s, 421, "4.7.0", "too many "
	    "connections from your address", &err), 0);
	fk_take(&f);
	ck_assert_str_eq(f.out.data, "421 4.7.0 mx.test too many connections "
	    "from your address\r\n");
	fk_fini(&f);
}
END_TEST

/* Answers: 421 ends the session; a MESSAGE answer comes after the data
 * timer; misuse is refused. */
START_TEST(test_server_answers)
{
	struct fake	f;
	struct err	err;

	fk_init(&f, NULL);
	fk_start(&f);
	ck_assert_int_eq(smtp_server_answer(f.s, 250, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, SMTP_E_STATE);
	f.answer[SMTP_REQ_MESSAGE] = 0;
	fk_run(&f, txn, strlen(txn), false);
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_WAIT);
	ck_assert_int_eq(smtp_server_timer(f.s), SMTP_TIMEOUT_DATA_END);
	ck_assert_int_eq(smtp_server_answer(f.s, 99, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(smtp_server_answer(f.s, 451, "4.3.0",
	    "spool\r\nfull", &err), 0);
	fk_take(&f);
	ck_assert_str_eq(fk_last(&f), "451 4.3.0 spool  full");
	fk_fini(&f);

	fk_init(&f, NULL);
	f.answer[SMTP_REQ_RCPT] = 421;
	fk_start(&f);
	fk_runs(&f, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nNOOP\r\n");
	ck_assert_str_eq(fk_last(&f), "421 4.0.0 mx.test Service not "
	    "available, closing connection");
	ck_assert_int_eq(f.nreq[SMTP_REQ_RESET], 1);
	ck_assert_int_eq(smtp_server_want(f.s), SMTP_SERVER_CLOSE);
	fk_fini(&f);

	fk_init(&f, NULL);
	fk_start(&f);
	smtp_server_timeout(f.s);
	fk_take(&f);
	ck_assert_str_eq(fk_last(&f), "421 4.4.2 mx.test Error: timeout "
	    "exceeded");
	fk_fini(&f);
	ck_assert_uint_eq(smtp_timeout_seconds(SMTP_TIMEOUT_COMMAND), 300);
	ck_assert_uint_eq(smtp_timeout_seconds(SMTP_TIMEOUT_DATA_BLOCK), 180);
	ck_assert_uint_eq(smtp_timeout_seconds(SMTP_TIMEOUT_DATA_END), 600);
}
END_TEST

TCase *
server_tests(void)
{
	TCase	*tc;

	tc = tcase_create("server");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_server_greeting);
	tcase_add_loop_test(tc, test_server_sequence, 0,
	    sizeof(seq) / sizeof(seq[0]));
	tcase_add_test(tc, test_server_pipelined);
	tcase_add_test(tc, test_server_async);
	tcase_add_test(tc, test_server_many_rcpt);
	tcase_add_test(tc, test_server_daemon_452);
	tcase_add_test(tc, test_server_error_limit);
	tcase_add_loop_test(tc, test_server_data_limits, 0,
	    sizeof(data_cases) / sizeof(data_cases[0]));
	tcase_add_test(tc, test_server_data_huge);
	tcase_add_test(tc, test_server_eof_in_data);
	tcase_add_test(tc, test_server_starttls);
	tcase_add_test(tc, test_server_refused);
	tcase_add_test(tc, test_server_answers);
	return tc;
}
