/*
 * fuzz_smtp_client_reply.c: what a server may send a client.  The input
 * goes through the reply parser (whole and byte by byte, which must
 * agree), then into a client machine as the server's side of a session:
 * the client gives a message when asked, "does" STARTTLS when asked (or
 * fails the handshake, and the session starts over), and, when the
 * session holds, gives the next message or quits.  Every command it
 * writes must be one CRLF line, and its results must be known after the
 * connection ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
fz_replies(const char *in, size_t len, size_t step, int *codes, size_t max)
{
	struct smtp_reply_parser	*rp;
	struct smtp_reply_line		 l;
	struct smtp_reply		 r;
	size_t				 n = 0, off;
	bool				 open = false, failed = false;
	enum smtp_reply_parse		 ev;

	if ((rp = smtp_reply_parser_new(SMTP_REPLY_LINE_MAX)) == NULL)
		abort();
	for (off = 0; off < len && !failed; off += step) {
		smtp_reply_parser_feed(rp, in + off, len - off < step ?
		    len - off : step);
		while ((ev = smtp_reply_parser_next(rp, &l, NULL)) ==
		    SMTP_REPLY_LINE) {
			if (l.code < 200 || l.code > 559)
				abort();
			smtp_reply_add_line(&r, !open, &l);
			if (strlen(r.text) >= sizeof(r.text) ||
			    strlen(r.enhanced) >= sizeof(r.enhanced))
				abort();
			open = !l.last;
			if (l.last && n < max)
				codes[n++] = r.code;
		}
		if (ev == SMTP_REPLY_ERROR)
			failed = true;
	}
	smtp_reply_parser_free(rp);
	if (failed && n < max)
		codes[n++] = -1;
	return n;
}

static void
fz_check_output(struct smtp_client *c)
{
	const char	*o;
	size_t		 n, i;

	o = smtp_client_output(c, &n);
	for (i = 0; i < n; i++)
		if ((o[i] == '\n' && (i == 0 || o[i - 1] != '\r')) ||
		    (o[i] == '\r' && (i + 1 == n || o[i + 1] != '\n')))
			abort();
	if (n > 0 && o[n - 1] != '\n')
		abort();
	smtp_client_output_drop(c, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpt[] = { "a@x", "b@x", "c@x" };
	static const char msg[] = "Subject: x\n\n.line\r\nend";
	static int		 ca[4096], cb[4096];
	struct smtp_client_conf	 conf = { "client.test", true, false, false,
	    false };
	struct smtp_envelope	 env = { "", rcpt, 3, 100, true, false };
	struct smtp_client	*c;
	const char		*in = (const char *)data;
	size_t			 na, nb, i, off, step;

	na = fz_replies(in, size, size ? size : 1, ca, 4096);
	nb = fz_replies(in, size, 1, cb, 4096);
	if (na != nb || memcmp(ca, cb, na * sizeof(int)) != 0)
		abort();
	if (size < 1)
		return 0;
	env.smtputf8 = data[0] & 1;
	conf.starttls = data[0] & 2;
	/* Sessions that hold: every message after the first on the same
	 * connection, until the input runs out. */
	conf.hold = data[0] & 0x80;
	env.nrcpt = 1 + data[0] % 3;
	step = 1 + data[0] / 4;
	if ((c = smtp_client_new(&conf, &env, NULL)) == NULL)
		abort();
	for (off = 1; off < size; off += step) {
		smtp_client_feed(c, in + off, size - off < step ? size - off :
		    step);
		switch (smtp_client_want(c)) {
		case SMTP_CLIENT_MESSAGE:
			for (i = 0; i < sizeof(msg) - 1; )
				i += smtp_client_message(c, msg + i,
				    sizeof(msg) - 1 - i);
			smtp_client_message_end(c);
			break;
		case SMTP_CLIENT_STARTTLS:
			if (in[off] & 1)
				smtp_client_tls_failed(c);
			else
				smtp_client_tls_started(c);
			break;
		case SMTP_CLIENT_IDLE:
			if (!smtp_client_is_done(c))
				abort();
			if (in[off] & 1)
				smtp_client_quit(c);
			else if (smtp_client_next(c, &env, NULL) == -1)
				abort();
			break;
		default:
			break;
		}
		smtp_client_timer(c);
		fz_check_output(c);
	}
	smtp_client_eof(c);
	if (!smtp_client_is_done(c) ||
	    smtp_client_want(c) != SMTP_CLIENT_CLOSE)
		abort();
	for (i = 0; i < env.nrcpt; i++)
		if (smtp_client_result(c, i)->code < 200)
			abort();
	smtp_client_free(c);
	return 0;
}
