/*
 * test_client.c: the client machine (src/smtp/client.c) against scripted
 * replies, then against the server machine, back to back in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_smtp.h"

static char	 cl_buf[1 << 16];

/* Everything the client wants to send, as a string, taken. */
static const char *
cl_out(struct smtp_client *c)
{
	const char	*o;
	size_t		 n;

	o = smtp_client_output(c, &n);
	ck_assert_uint_lt(n, sizeof(cl_buf));
	memcpy(cl_buf, o, n);
	cl_buf[n] = '\0';
	smtp_client_output_drop(c, n);
	return cl_buf;
}

static void
cl_say(struct smtp_client *c, const char *s)
{
	smtp_client_feed(c, s, strlen(s));
}

static struct smtp_client *
cl_new(bool tls, size_t nrcpt, const char *const *rcpt)
{
	static const char *const def[] = { "x@y", "z@y" };
	struct smtp_client_conf	 conf = { "me.test", tls, false, false,
	    false };
	struct smtp_envelope	 env = { "a@b", rcpt ? rcpt : def,
	    rcpt ? nrcpt : 2, 10, true, false };
	struct smtp_client	*c;
	struct err		 err;

	ck_assert_ptr_nonnull(c = smtp_client_new(&conf, &env, &err));
	return c;
}

START_TEST(test_client_pipelined)
{
	struct smtp_client	*c;
	const struct smtp_reply	*r;
	static const char	 msg[] = ".a\nb\r\n.\r\nc";

	c = cl_new(false, 0, NULL);
	ck_assert_str_eq(cl_out(c), "");
	cl_say(c, "220 mx ESMTP\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\n");
	cl_say(c, "250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250 8BITMIME\r\n");
	ck_assert_str_eq(cl_out(c), "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME\r\n"
	    "RCPT TO:<x@y>\r\nRCPT TO:<z@y>\r\nDATA\r\n");
	ck_assert_int_eq(smtp_client_timer(c), SMTP_TIMEOUT_COMMAND);
	cl_say(c, "250 2.1.0 ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n"
	    "250 ok\r\n");
	ck_assert_int_eq(smtp_client_timer(c), SMTP_TIMEOUT_DATA_INIT);
	cl_say(c, "354 go\r\n");
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_MESSAGE);
	ck_assert_uint_eq(smtp_client_message(c, msg, sizeof(msg) - 1),
	    sizeof(msg) - 1);
	smtp_client_message_end(c);
	ck_assert_str_eq(cl_out(c), "..a\r\nb\r\n..\r\nc\r\n.\r\n");
	ck_assert_int_eq(smtp_client_timer(c), SMTP_TIMEOUT_DATA_END);
	ck_assert(!smtp_client_is_done(c));
	cl_say(c, "250 2.0.0 queued as 1\r\n");
	ck_assert_str_eq(cl_out(c), "QUIT\r\n");
	ck_assert(smtp_client_is_done(c));
	r = smtp_client_result(c, 0);
	ck_assert_int_eq(r->code, 550);
	ck_assert_str_eq(r->enhanced, "5.1.1");
	ck_assert_str_eq(r->text, "no\nsuch user");
	r = smtp_client_result(c, 1);
	ck_assert_int_eq(r->code, 250);
	ck_assert_str_eq(r->text, "queued as 1");
	ck_assert(!r->local);
	ck_assert_ptr_null(smtp_client_result(c, 2));
	cl_say(c, "221 bye\r\n");
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_CLOSE);
	smtp_client_free(c);
}
END_TEST

/* No PIPELINING: one command at a time; EHLO refused: HELO. */
START_TEST(test_client_lockstep)
{
	struct smtp_client	*c;

	c = cl_new(false, 0, NULL);
	cl_say(c, "220 mx\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\n");
	cl_say(c, "502 5.5.1 what\r\n");
	ck_assert_str_eq(cl_out(c), "HELO me.test\r\n");
	cl_say(c, "250 mx\r\n");
	ck_assert_str_eq(cl_out(c), "MAIL FROM:<a@b>\r\n");
	cl_say(c, "250 ok\r\n");
	ck_assert_str_eq(cl_out(c), "RCPT TO:<x@y>\r\n");
	cl_say(c, "451 4.3.0 later\r\n");
	ck_assert_str_eq(cl_out(c), "RCPT TO:<z@y>\r\n");
	cl_say(c, "550 no\r\n");
	/* Nobody took it: no DATA. */
	ck_assert_str_eq(cl_out(c), "QUIT\r\n");
	ck_assert(smtp_client_is_done(c));
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 451);
	ck_assert_int_eq(smtp_client_result(c, 1)->code, 550);
	smtp_client_free(c);
}
END_TEST

START_TEST(test_client_failures)
{
	struct smtp_client	*c;

	/* Greeting refused. */
	c = cl_new(false, 0, NULL);
	cl_say(c, "554 5.7.1 go away\r\n");
	ck_assert_str_eq(cl_out(c), "QUIT\r\n");
	ck_assert_int_eq(smtp_client_result(c, 1)->code, 554);
	smtp_client_free(c);
	/* MAIL refused under pipelining: everyone gets its reply. */
	c = cl_new(false, 0, NULL);
	cl_say(c, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
	cl_out(c);
	cl_say(c, "553 5.1.8 bad sender\r\n503 5.5.1 no\r\n503 5.5.1 no\r\n"
	    "503 5.5.1 no\r\n");
	ck_assert_str_eq(cl_out(c), "QUIT\r\n");
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 553);
	ck_assert_str_eq(smtp_client_result(c, 1)->enhanced, "5.1.8");
	smtp_client_free(c);
	/* All refused, yet 354: the empty message is ended. */
	c = cl_new(false, 0, NULL);
	cl_say(c, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
	cl_out(c);
	cl_say(c, "250 ok\r\n550 no\r\n550 no\r\n354 go\r\n");
	ck_assert_str_eq(cl_out(c), ".\r\n");
	cl_say(c, "250 ok\r\n");
	ck_assert_str_eq(cl_out(c), "QUIT\r\n");
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 550);
	smtp_client_free(c);
	/* Connection lost after RCPT. */
	c = cl_new(false, 0, NULL);
	cl_say(c, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n250 ok\r\n550 no\r\n");
	smtp_client_eof(c);
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_CLOSE);
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 550);
	ck_assert_int_eq(smtp_client_result(c, 1)->code, 421);
	ck_assert(smtp_client_result(c, 1)->local);
	smtp_client_free(c);
	/* A malformed reply. */
	c = cl_new(false, 0, NULL);
	cl_say(c, "220 mx\r\nHELLO\r\n");
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_CLOSE);
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 451);
	ck_assert_str_eq(smtp_client_result(c, 0)->enhanced, "4.5.0");
	smtp_client_free(c);
	/* Timeout. */
	c = cl_new(false, 0, NULL);
	smtp_client_timeout(c);
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 451);
	smtp_client_free(c);
}
END_TEST

START_TEST(test_client_starttls)
{
	struct smtp_client	*c;

	c = cl_new(true, 0, NULL);
	cl_say(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\nSTARTTLS\r\n");
	cl_say(c, "220 2.0.0 go\r\n250 injected\r\n");
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_STARTTLS);
	smtp_client_tls_started(c);
	ck_assert(smtp_client_is_tls(c));
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\n");
	cl_say(c, "250-mx\r\n250 STARTTLS\r\n");
	ck_assert_str_eq(cl_out(c), "MAIL FROM:<a@b>\r\n");
	smtp_client_free(c);
	/* Refused: carry on in plaintext. */
	c = cl_new(true, 0, NULL);
	cl_say(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 no\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\nSTARTTLS\r\n"
	    "MAIL FROM:<a@b>\r\n");
	ck_assert(!smtp_client_is_tls(c));
	ck_assert_ptr_nonnull(smtp_client_tls_refusal(c));
	ck_assert_int_eq(smtp_client_tls_refusal(c)->code, 454);
	ck_assert_str_eq(smtp_client_tls_refusal(c)->enhanced, "4.7.0");
	smtp_client_free(c);
}
END_TEST

/* TLS required (DANE, MTA-STS): not offered, refused, or EHLO refused
 * each fail with a local 451 4.7.5, QUIT said, nothing of the message
 * sent in plain text. */
START_TEST(test_client_require_tls)
{
	static const char *const	 greet[] = {
		"220 mx\r\n250-mx\r\n250 8BITMIME\r\n",
		"220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 no\r\n",
		"220 mx\r\n500 5.5.1 what\r\n",
	};
	struct smtp_client_conf	 conf = { "me.test", true, false, false,
	    true };
	struct smtp_envelope	 env = { "a@b", NULL, 0, 0, false, false };
	static const char *const rcpt[] = { "x@y" };
	struct smtp_client	*c;
	const struct smtp_reply	*r;
	struct err		 err;

	env.rcpt = rcpt;
	env.nrcpt = 1;
	ck_assert_ptr_nonnull(c = smtp_client_new(&conf, &env, &err));
	cl_say(c, greet[_i]);
	ck_assert_ptr_null(strstr(cl_out(c), "MAIL"));
	ck_assert_ptr_nonnull(r = smtp_client_result(c, 0));
	ck_assert_int_eq(r->code, 451);
	ck_assert_str_eq(r->enhanced, "4.7.5");
	ck_assert(r->local);
	ck_assert(!smtp_client_is_tls(c));
	smtp_client_free(c);
}
END_TEST

/* The handshake failed: a new connection, its greeting, no STARTTLS. */
START_TEST(test_client_tls_failed)
{
	struct smtp_client	*c;

	c = cl_new(true, 0, NULL);
	/* Out of sequence: nothing happens. */
	smtp_client_tls_failed(c);
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_READ);
	cl_say(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\nSTARTTLS\r\n");
	/* Half a line after the 220 must not reach the new session. */
	cl_say(c, "220 go\r\n250-hal");
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_STARTTLS);
	smtp_client_tls_failed(c);
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_READ);
	ck_assert_str_eq(cl_out(c), "");
	cl_say(c, "220 mx again\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\n");
	cl_say(c, "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
	ck_assert_str_eq(cl_out(c), "MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n"
	    "RCPT TO:<z@y>\r\nDATA\r\n");
	ck_assert(!smtp_client_is_tls(c));
	ck_assert_ptr_null(smtp_client_tls_refusal(c));
	smtp_client_free(c);
}
END_TEST

/* hold: after the dot's reply, the next message on the same session. */
START_TEST(test_client_hold_next)
{
	static const char *const r1[] = { "x@y" }, *const r2[] = { "p@q",
	    "r@s" }, *const bad[] = { "a\r\nb" };
	struct smtp_client_conf	 conf = { "me.test", false, false, true,
	    false };
	struct smtp_envelope	 env = { "a@b", r1, 1, 0, false, false };
	struct smtp_client	*c;
	struct err		 err;

	ck_assert_ptr_nonnull(c = smtp_client_new(&conf, &env, &err));
	/* Not idle yet: refused. */
	ck_assert_int_eq(smtp_client_next(c, &env, &err), -1);
	ck_assert_int_eq(err.code, SMTP_E_STATE);
	cl_say(c, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\nMAIL FROM:<a@b>\r\n"
	    "RCPT TO:<x@y>\r\nDATA\r\n");
	cl_say(c, "250 ok\r\n250 ok\r\n354 go\r\n");
	smtp_client_message(c, "m\n", 2);
	smtp_client_message_end(c);
	ck_assert_str_eq(cl_out(c), "m\r\n.\r\n");
	cl_say(c, "250 2.0.0 queued as 1\r\n");
	ck_assert(smtp_client_is_done(c));
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_IDLE);
	ck_assert_int_eq(smtp_client_timer(c), SMTP_TIMEOUT_NONE);
	ck_assert_str_eq(cl_out(c), "");	/* no QUIT */
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 250);
	/* A bad envelope: refused, still idle. */
	env.rcpt = bad;
	ck_assert_int_eq(smtp_client_next(c, &env, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_IDLE);
	/* The next: no new EHLO, the results its own. */
	env.mail_from = "";
	env.rcpt = r2;
	env.nrcpt = 2;
	ck_assert_int_eq(smtp_client_next(c, &env, &err), 0);
	ck_assert(!smtp_client_is_done(c));
	ck_assert_str_eq(cl_out(c), "MAIL FROM:<>\r\nRCPT TO:<p@q>\r\n"
	    "RCPT TO:<r@s>\r\nDATA\r\n");
	cl_say(c, "250 ok\r\n550 5.1.1 no\r\n250 ok\r\n354 go\r\n");
	smtp_client_message_end(c);
	ck_assert_str_eq(cl_out(c), ".\r\n");
	cl_say(c, "451 4.3.0 later\r\n");
	ck_assert_int_eq(smtp_client_result(c, 0)->code, 550);
	ck_assert_int_eq(smtp_client_result(c, 1)->code, 451);
	ck_assert_ptr_null(smtp_client_result(c, 2));
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_IDLE);
	/* The server gives up on an idle session: closed, results kept. */
	cl_say(c, "421 4.4.2 idle too long\r\n");
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_CLOSE);
	ck_assert_int_eq(smtp_client_result(c, 1)->code, 451);
	smtp_client_free(c);
	/* A transaction that did not reach the dot quits, hold or not. */
	env.rcpt = r1;
	env.nrcpt = 1;
	ck_assert_ptr_nonnull(c = smtp_client_new(&conf, &env, &err));
	cl_say(c, "220 mx\r\n250 mx\r\n");
	ck_assert_str_eq(cl_out(c), "EHLO me.test\r\nMAIL FROM:<>\r\n");
	cl_say(c, "550 5.7.1 not you\r\n");
	ck_assert_str_eq(cl_out(c), "QUIT\r\n");
	ck_assert_int_ne(smtp_client_want(c), SMTP_CLIENT_IDLE);
	/* Not idle: QUIT is not the caller's to say. */
	smtp_client_quit(c);
	ck_assert_str_eq(cl_out(c), "");
	smtp_client_free(c);
}
END_TEST

START_TEST(test_client_bad_args)
{
	static const char *const rcpt[] = { "a\r\nDATA" };
	struct smtp_client_conf	 conf = { "me.test", false, false, false,
	    false };
	struct smtp_envelope	 env = { "a@b", rcpt, 1, 0, false, false };
	struct err		 err;

	ck_assert_ptr_null(smtp_client_new(&conf, &env, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
	env.nrcpt = 0;
	ck_assert_ptr_null(smtp_client_new(&conf, &env, &err));
	conf.helo = "a b";
	ck_assert_ptr_null(smtp_client_new(&conf, &env, &err));
}
END_TEST

/* ---- client and server back to back ---- */

struct b2b {
	struct smtp_server	*s;
	struct buf		 got;
	size_t			 nrcpt_ok;
};

static void
b2b_request(void *arg, const struct smtp_request *req)
{
	struct b2b	*b = arg;

	if (req->kind == SMTP_REQ_RESET)
		return;
	if (req->kind == SMTP_REQ_RCPT && strncmp(req->path, "no", 2) == 0)
		smtp_server_answer(b->s, 550, "5.1.1", "no such user", NULL);
	else
		smtp_server_answer(b->s, 250, NULL, NULL, NULL);
}

static void
b2b_data(void *arg, const char *p, size_t n)
{
	struct b2b	*b = arg;

	ck_assert_int_eq(buf_add(&b->got, p, n, NULL), 0);
}

START_TEST(test_client_server)
{
	struct smtp_server_conf	 sc;
	struct smtp_server_cbs	 cbs = { b2b_request, b2b_data };
	struct smtp_client_conf	 cc = { "me.test", false, false, false,
	    false };
	struct smtp_envelope	 env = { "", NULL, 150, 0, false, false };
	struct smtp_client	*c;
	struct b2b		 b;
	struct buf		 msg, s2c;
	char			**rcpt;
	const char		*o;
	size_t			 n, k, off = 0, i;
	int			 rounds;

	smtp_server_conf_init(&sc);
	sc.hostname = "mx.test";
	memset(&b, 0, sizeof(b));
	buf_init(&b.got, 1 << 20);
	buf_init(&msg, 1 << 20);
	buf_init(&s2c, 1 << 20);
	for (i = 0; i < 3000; i++)
		buf_printf(&msg, NULL, "%s%zu\r\n", i % 7 == 0 ? "." :
		    i == 5 ? "" : "line ", i);
	rcpt = calloc(150, sizeof(*rcpt));
	for (i = 0; i < 150; i++) {
		rcpt[i] = malloc(32);
		snprintf(rcpt[i], 32, "%s%zu@example.org", i == 3 ? "no" :
		    "r", i);
	}
	env.rcpt = (const char *const *)rcpt;
	ck_assert_ptr_nonnull(b.s = smtp_server_new(&sc, &cbs, &b, NULL));
	ck_assert_ptr_nonnull(c = smtp_client_new(&cc, &env, NULL));
	smtp_server_start(b.s);
	for (rounds = 0; rounds < 100000 &&
	    smtp_client_want(c) != SMTP_CLIENT_CLOSE; rounds++) {
		o = smtp_server_output(b.s, &n);
		smtp_client_feed(c, o, n);
		smtp_server_output_drop(b.s, n);
		if (smtp_client_want(c) == SMTP_CLIENT_MESSAGE) {
			off += smtp_client_message(c, msg.data + off,
			    msg.len - off);
			if (off == msg.len)
				smtp_client_message_end(c);
		}
		o = smtp_client_output(c, &n);
		k = smtp_server_feed(b.s, o, n);
		smtp_client_output_drop(c, k);
	}
	ck_assert_int_eq(smtp_client_want(c), SMTP_CLIENT_CLOSE);
	ck_assert(smtp_client_is_done(c));
	ck_assert_uint_eq(b.got.len, msg.len);
	ck_assert_mem_eq(b.got.data, msg.data, msg.len);
	for (i = 0; i < 150; i++)
		ck_assert_int_eq(smtp_client_result(c, i)->code,
		    i == 3 ? 550 : i < 101 ? 250 : 452);
	ck_assert_str_eq(smtp_client_result(c, 149)->enhanced, "4.5.3");
	smtp_client_free(c);
	smtp_server_free(b.s);
	for (i = 0; i < 150; i++)
		free(rcpt[i]);
	free(rcpt);
	buf_fini(&b.got);
	buf_fini(&msg);
	buf_fini(&s2c);
}
END_TEST

TCase *
client_tests(void)
{
	TCase	*tc;

	tc = tcase_create("client");
	tcase_add_test(tc, test_client_pipelined);
	tcase_add_test(tc, test_client_lockstep);
	tcase_add_test(tc, test_client_failures);
	tcase_add_test(tc, test_client_starttls);
	tcase_add_loop_test(tc, test_client_require_tls, 0, 3);
	tcase_add_test(tc, test_client_tls_failed);
	tcase_add_test(tc, test_client_hold_next);
	tcase_add_test(tc, test_client_bad_args);
	tcase_add_test(tc, test_client_server);
	return tc;
}
