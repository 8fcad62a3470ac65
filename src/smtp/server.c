/*
 * server.c: the server side of an SMTP session (RFC 5321 sections 3, 4.1
 * and 4.3.2, with RFC 2920 pipelining, RFC 1870 SIZE, RFC 6152 8BITMIME,
 * RFC 2034 enhanced status codes, RFC 6531 SMTPUTF8, RFC 3207 STARTTLS).
 *
 * The session is a state machine fed with the client's bytes.  It answers
 * what it can decide alone (syntax, sequence, limits) and asks the daemon
 * the rest through one request callback, whose answer may come later: the
 * session then stops taking input, so pipelined commands wait in the
 * transport's buffer and every reply goes out in order.  That one narrow
 * interface is what lets a daemon move the session into an unprivileged
 * process later and carry requests and answers over a socketpair.
 *
 * Every reply except the greeting and the HELO/EHLO reply carries an
 * enhanced status code (RFC 2034 section 3); a refusal at the greeting
 * carries the one the daemon gives, if any, as the transport's own
 * refusals do ("421 4.7.0 ... too many connections") and Postfix's.
 * Errors the session answers (and refusals by the daemon of HELO, MAIL
 * and RCPT) count towards max_errors; at that count the reply is 421
 * 4.7.0 and the session ends.
 * "452 4.5.3 too many recipients" is flow control, not an error (the
 * client sends the others in a new transaction), and is not counted,
 * whether the session or the daemon says it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"

#define SMTP_SERVER_OUT_MAX	(64 * 1024)
#define SMTP_TEXT_MAX		400		/* of a daemon's reply text */
#define SMTP_NO_REQUEST		(-1)

enum smtp_server_phase {
	SMTP_S_INIT,		/* waiting for the answer to CONNECT */
	SMTP_S_COMMAND,
	SMTP_S_REFUSED,		/* 554 at connect: only QUIT is served */
	SMTP_S_DATA,
	SMTP_S_STARTTLS,
	SMTP_S_CLOSED,
};

struct smtp_server {
	struct smtp_server_conf	 conf;
	char			 hostname[SMTP_DOMAIN_MAX + 1];
	struct smtp_server_cbs	 cbs;
	void			*arg;
	struct smtp_parser	*parser;
	struct smtp_data	 data;
	struct buf		 out;
	enum smtp_server_phase	 phase;
	int			 pending;	/* enum smtp_req_kind */
	struct smtp_request	 req;
	bool			 helo_done;
	bool			 esmtp;
	bool			 tls;
	char			 helo[SMTP_DOMAIN_MAX + 1];
	/* The transaction, from an accepted MAIL. */
	bool			 in_txn;
	char			 mail[SMTP_PATH_MAX + 1];
	bool			 mail_utf8;
	uint64_t		 mail_size;
	enum smtp_body		 body;
	bool			 smtputf8;
	char			 rcpt[SMTP_PATH_MAX + 1];
	bool			 rcpt_utf8;
	size_t			 nrcpt;
	size_t			 nrcpt_refused;
	size_t			 errors;
	uint64_t		 skip;		/* BDAT bytes to discard */
};

void
smtp_server_conf_init(struct smtp_server_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->hostname = "localhost";
	c->ext = SMTP_EXT_PIPELINING | SMTP_EXT_8BITMIME | SMTP_EXT_SIZE |
	    SMTP_EXT_SMTPUTF8;
	c->max_size = 26214400;
	c->max_rcpt = 100;
	c->max_errors = 10;
	c->max_line = SMTP_LINE_MAX;
	c->max_header_line = SMTP_DATA_HEADER_LINE_MAX;
}

struct smtp_server *
smtp_server_new(const struct smtp_server_conf *conf,
    const struct smtp_server_cbs *cbs, void *arg, struct err *err)
{
	struct smtp_server	*s;

	if (conf->hostname == NULL || strlen(conf->hostname) == 0 ||
	    strlen(conf->hostname) > SMTP_DOMAIN_MAX ||
	    strpbrk(conf->hostname, " \r\n") != NULL) {
		err_set(err, ERR_ARG, "smtp server: bad host name");
		return NULL;
	}
	if (cbs == NULL || cbs->request == NULL) {
		err_set(err, ERR_ARG, "smtp server: no request callback");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->parser = smtp_parser_new(conf->max_line)) == NULL) {
		err_set(err, ERR_NOMEM, "smtp server: out of memory");
		smtp_server_free(s);
		return NULL;
	}
	buf_init(&s->out, SMTP_SERVER_OUT_MAX);
	s->conf = *conf;
	snprintf(s->hostname, sizeof(s->hostname), "%s", conf->hostname);
	s->conf.hostname = s->hostname;
	if (s->conf.max_errors == 0)
		s->conf.max_errors = 1;
	s->cbs = *cbs;
	s->arg = arg;
	s->phase = SMTP_S_INIT;
	s->pending = SMTP_NO_REQUEST;
	return s;
}

void
smtp_server_free(struct smtp_server *s)
{
	if (s == NULL)
		return;
	smtp_parser_free(s->parser);
	buf_fini(&s->out);
	free(s);
}

/* Appends one reply line; a session that cannot is closed. */
static void
smtp_srv_line(struct smtp_server *s, int code, char sep, const char *enh,
    const char *fmt, ...) __attribute__((__format__(printf, 5, 6)));

static void
smtp_srv_line(struct smtp_server *s, int code, char sep, const char *enh,
    const char *fmt, ...)
{
	char		 text[SMTP_TEXT_MAX + 1];
	va_list		 ap;
	struct err	 err;
	int		 rc;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (enh != NULL)
		rc = buf_printf(&s->out, &err, "%03d%c%s %s\r\n", code, sep,
		    enh, text);
	else
		rc = buf_printf(&s->out, &err, "%03d%c%s\r\n", code, sep,
		    text);
	if (rc == -1)
		s->phase = SMTP_S_CLOSED;
}

#define smtp_srv_reply(s, code, enh, ...) \
	smtp_srv_line((s), (code), ' ', (enh), __VA_ARGS__)

/* The transaction is gone without a message: tell the daemon. */
static void
smtp_srv_txn_abort(struct smtp_server *s)
{
	struct smtp_request	req;

	if (s->in_txn || s->pending != SMTP_NO_REQUEST) {
		memset(&req, 0, sizeof(req));
		req.kind = SMTP_REQ_RESET;
		req.helo = s->helo;
		req.esmtp = s->esmtp;
		req.tls = s->tls;
		req.path = "";
		s->pending = SMTP_NO_REQUEST;
		s->in_txn = false;
		s->cbs.request(s->arg, &req);
	}
	s->in_txn = false;
	s->nrcpt = s->nrcpt_refused = 0;
	s->mail[0] = '\0';
	s->smtputf8 = false;
	s->body = SMTP_BODY_NONE;
	s->mail_size = 0;
}

static void
smtp_srv_close(struct smtp_server *s)
{
	smtp_srv_txn_abort(s);
	s->phase = SMTP_S_CLOSED;
}

/* An error reply, counted; at max_errors it becomes 421 and the end. */
static void
smtp_srv_error(struct smtp_server *s, int code, const char *enh,
    const char *text)
{
	if (++s->errors >= s->conf.max_errors) {
		smtp_srv_reply(s, 421, "4.7.0", "%s Error: too many errors, "
		    "closing connection", s->hostname);
		smtp_srv_close(s);
		return;
	}
	smtp_srv_reply(s, code, enh, "%s", text);
}

static void
smtp_srv_ask(struct smtp_server *s, enum smtp_req_kind kind)
{
	memset(&s->req, 0, sizeof(s->req));
	s->req.kind = kind;
	s->req.helo = s->helo;
	s->req.esmtp = s->esmtp;
	s->req.tls = s->tls;
	s->req.path = "";
	switch (kind) {
	case SMTP_REQ_MAIL:
		s->req.path = s->mail;
		s->req.path_utf8 = s->mail_utf8;
		s->req.size = s->mail_size;
		s->req.body = s->body;
		s->req.smtputf8 = s->smtputf8;
		break;
	case SMTP_REQ_RCPT:
		s->req.path = s->rcpt;
		s->req.path_utf8 = s->rcpt_utf8;
		s->req.smtputf8 = s->smtputf8;
		break;
	case SMTP_REQ_MESSAGE:
		s->req.path = s->mail;
		s->req.size = s->data.size;
		s->req.nrcpt = s->nrcpt;
		s->req.body = s->body;
		s->req.smtputf8 = s->smtputf8;
		break;
	default:
		break;
	}
	s->pending = (int)kind;
	s->cbs.request(s->arg, &s->req);
}

void
smtp_server_start(struct smtp_server *s)
{
	if (s->phase == SMTP_S_INIT && s->pending == SMTP_NO_REQUEST)
		smtp_srv_ask(s, SMTP_REQ_CONNECT);
}

static void
smtp_srv_ehlo_reply(struct smtp_server *s)
{
	const char	*ext[8];
	char		 size[32];
	size_t		 n = 0, i;

	if (!s->esmtp) {
		smtp_srv_reply(s, 250, NULL, "%s", s->hostname);
		return;
	}
	if (s->conf.ext & SMTP_EXT_PIPELINING)
		ext[n++] = "PIPELINING";
	if (s->conf.ext & SMTP_EXT_SIZE) {
		if (s->conf.max_size != 0)
			snprintf(size, sizeof(size), "SIZE %llu",
			    (unsigned long long)s->conf.max_size);
		else
			snprintf(size, sizeof(size), "SIZE");
		ext[n++] = size;
	}
	if (s->conf.ext & SMTP_EXT_8BITMIME)
		ext[n++] = "8BITMIME";
	ext[n++] = "ENHANCEDSTATUSCODES";
	if (s->conf.ext & SMTP_EXT_SMTPUTF8)
		ext[n++] = "SMTPUTF8";
	if ((s->conf.ext & SMTP_EXT_STARTTLS) && !s->tls)
		ext[n++] = "STARTTLS";
	smtp_srv_line(s, 250, '-', NULL, "%s Hello %s", s->hostname,
	    s->helo);
	for (i = 0; i < n; i++)
		smtp_srv_line(s, 250, i + 1 == n ? ' ' : '-', NULL, "%s",
		    ext[i]);
}

static void
smtp_srv_mail(struct smtp_server *s, const struct smtp_cmd *cmd)
{
	if (!s->helo_done) {
		smtp_srv_error(s, 503, "5.5.1", "Send HELO/EHLO first");
		return;
	}
	if (s->in_txn) {
		smtp_srv_error(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (cmd->unknown_param != NULL || (!s->esmtp && (cmd->has_size ||
	    cmd->body != SMTP_BODY_NONE || cmd->smtputf8)) ||
	    (cmd->smtputf8 && !(s->conf.ext & SMTP_EXT_SMTPUTF8)) ||
	    (cmd->body == SMTP_BODY_8BITMIME &&
	    !(s->conf.ext & SMTP_EXT_8BITMIME))) {
		smtp_srv_error(s, 555, "5.5.4", "Unsupported MAIL parameter");
		return;
	}
	if (cmd->path_utf8 && !cmd->smtputf8) {
		smtp_srv_error(s, 553, "5.6.7", "Non-ASCII address needs "
		    "SMTPUTF8");
		return;
	}
	if (cmd->has_size && s->conf.max_size != 0 &&
	    cmd->size > s->conf.max_size) {
		smtp_srv_error(s, 552, "5.3.4", "Message size exceeds fixed "
		    "maximum message size");
		return;
	}
	snprintf(s->mail, sizeof(s->mail), "%s", cmd->path);
	s->mail_utf8 = cmd->path_utf8;
	s->mail_size = cmd->has_size ? cmd->size : 0;
	s->body = cmd->body;
	s->smtputf8 = cmd->smtputf8;
	s->nrcpt = s->nrcpt_refused = 0;
	smtp_srv_ask(s, SMTP_REQ_MAIL);
}

static void
smtp_srv_rcpt(struct smtp_server *s, const struct smtp_cmd *cmd)
{
	if (!s->in_txn) {
		smtp_srv_error(s, 503, "5.5.1", "Need MAIL command");
		return;
	}
	if (cmd->unknown_param != NULL) {
		smtp_srv_error(s, 555, "5.5.4", "Unsupported RCPT parameter");
		return;
	}
	if (cmd->path_utf8 && !s->smtputf8) {
		smtp_srv_error(s, 553, "5.6.7", "Non-ASCII address needs "
		    "SMTPUTF8");
		return;
	}
	if (s->conf.max_rcpt != 0 && s->nrcpt >= s->conf.max_rcpt) {
		smtp_srv_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	snprintf(s->rcpt, sizeof(s->rcpt), "%s", cmd->postmaster ?
	    "Postmaster" : cmd->path);
	s->rcpt_utf8 = cmd->path_utf8;
	smtp_srv_ask(s, SMTP_REQ_RCPT);
}

static void
smtp_srv_command(struct smtp_server *s, const struct smtp_cmd *cmd)
{
	if (s->phase == SMTP_S_REFUSED) {
		if (cmd->verb == SMTP_QUIT) {
			smtp_srv_reply(s, 221, "2.0.0", "%s closing "
			    "connection", s->hostname);
			smtp_srv_close(s);
		} else
			smtp_srv_error(s, 503, "5.5.1", "Bad sequence of "
			    "commands, only QUIT is served");
		return;
	}
	switch (cmd->verb) {
	case SMTP_EHLO:
	case SMTP_HELO:
		smtp_srv_txn_abort(s);
		s->helo_done = false;
		s->esmtp = cmd->verb == SMTP_EHLO;
		snprintf(s->helo, sizeof(s->helo), "%s", cmd->arg);
		smtp_srv_ask(s, SMTP_REQ_HELO);
		break;
	case SMTP_MAIL:
		smtp_srv_mail(s, cmd);
		break;
	case SMTP_RCPT:
		smtp_srv_rcpt(s, cmd);
		break;
	case SMTP_DATA:
		if (!s->in_txn)
			smtp_srv_error(s, 503, "5.5.1", "Need MAIL command");
		else if (s->nrcpt == 0 && s->nrcpt_refused != 0)
			smtp_srv_error(s, 554, "5.5.1", "No valid "
			    "recipients");
		else if (s->nrcpt == 0)
			smtp_srv_error(s, 503, "5.5.1", "Need RCPT command");
		else {
			smtp_srv_reply(s, 354, NULL, "End data with "
			    "<CR><LF>.<CR><LF>");
			smtp_data_init(&s->data, s->conf.max_size,
			    s->conf.max_header_line);
			s->phase = SMTP_S_DATA;
		}
		break;
	case SMTP_RSET:
		smtp_srv_txn_abort(s);
		smtp_srv_reply(s, 250, "2.0.0", "OK");
		break;
	case SMTP_NOOP:
		smtp_srv_reply(s, 250, "2.0.0", "OK");
		break;
	case SMTP_HELP:
		smtp_srv_reply(s, 214, "2.0.0", "See RFC 5321");
		break;
	case SMTP_VRFY:
		smtp_srv_reply(s, 252, "2.5.0", "Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	case SMTP_QUIT:
		smtp_srv_reply(s, 221, "2.0.0", "%s closing connection",
		    s->hostname);
		smtp_srv_close(s);
		break;
	case SMTP_STARTTLS:
		if (!(s->conf.ext & SMTP_EXT_STARTTLS) || s->tls)
			smtp_srv_error(s, 502, "5.5.1", "STARTTLS not "
			    "available");
		else if (s->in_txn)
			smtp_srv_error(s, 503, "5.5.1", "Mail transaction in "
			    "progress");
		else {
			smtp_srv_reply(s, 220, "2.0.0", "Ready to start TLS");
			s->phase = SMTP_S_STARTTLS;
		}
		break;
	case SMTP_BDAT:
		/* RFC 3030 section 2: the chunk follows whatever the
		 * reply; it is read and thrown away, never parsed. */
		s->skip = cmd->size;
		smtp_srv_error(s, 502, "5.5.1", "BDAT not implemented");
		break;
	case SMTP_VERB_NONE:
		break;
	}
}

static void
smtp_srv_parse_error(struct smtp_server *s, const struct smtp_cmd *cmd,
    const struct err *err)
{
	const char	*enh, *text;
	int		 code;

	if (s->phase == SMTP_S_REFUSED) {
		smtp_srv_error(s, 503, "5.5.1", "Bad sequence of commands, "
		    "only QUIT is served");
		return;
	}
	code = smtp_error_reply(err->code, &enh, &text);
	if (err->code == SMTP_E_PATH && cmd->verb == SMTP_MAIL)
		enh = "5.1.7";
	smtp_srv_error(s, code, enh, text);
}

/* The message ended: ask the daemon to take it, or refuse it. */
static void
smtp_srv_data_end(struct smtp_server *s)
{
	enum smtp_data_status	 st;
	const char		*enh, *text;
	int			 code;

	s->phase = SMTP_S_COMMAND;
	if ((st = smtp_data_status(&s->data)) == SMTP_DATA_OK) {
		smtp_srv_ask(s, SMTP_REQ_MESSAGE);
		return;
	}
	code = smtp_data_status_reply(st, &enh, &text);
	smtp_srv_txn_abort(s);
	smtp_srv_reply(s, code, enh, "%s", text);
}

/* Whether feed may take more input now. */
static bool
smtp_srv_can_read(const struct smtp_server *s)
{
	return (s->phase == SMTP_S_COMMAND || s->phase == SMTP_S_REFUSED ||
	    s->phase == SMTP_S_DATA) && s->pending == SMTP_NO_REQUEST &&
	    s->out.len <= SMTP_SERVER_OUT_HIGH;
}

size_t
smtp_server_feed(struct smtp_server *s, const char *in, size_t n)
{
	struct smtp_cmd		 cmd;
	struct err		 err;
	const char		*p;
	size_t			 off = 0, len;
	enum smtp_parse		 r;
	enum smtp_data_ev	 ev;

	if (s->phase == SMTP_S_CLOSED || s->phase == SMTP_S_STARTTLS)
		return n;		/* thrown away */
	while (off < n && smtp_srv_can_read(s)) {
		if (s->skip > 0) {
			len = n - off < s->skip ? n - off : (size_t)s->skip;
			s->skip -= len;
			off += len;
			continue;
		}
		if (s->phase == SMTP_S_DATA) {
			smtp_data_feed(&s->data, in + off, n - off);
			while ((ev = smtp_data_next(&s->data, &p, &len)) ==
			    SMTP_DATA_CHUNK)
				if (s->cbs.data != NULL)
					s->cbs.data(s->arg, p, len);
			if (ev == SMTP_DATA_NEED_MORE)
				off = n;
			else {
				off = n - smtp_data_unfeed(&s->data);
				smtp_srv_data_end(s);
			}
			continue;
		}
		smtp_parser_feed(s->parser, in + off, n - off);
		for (;;) {
			r = smtp_parser_next(s->parser, &cmd, &err);
			if (r == SMTP_PARSE_NEED_MORE) {
				off = n;
				break;
			}
			if (r == SMTP_PARSE_COMMAND)
				smtp_srv_command(s, &cmd);
			else
				smtp_srv_parse_error(s, &cmd, &err);
			if (s->phase == SMTP_S_STARTTLS ||
			    s->phase == SMTP_S_CLOSED) {
				/* Whatever follows in plaintext is dropped. */
				smtp_parser_reset(s->parser);
				off = n;
				break;
			}
			if (!smtp_srv_can_read(s) || s->skip > 0 ||
			    s->phase == SMTP_S_DATA) {
				off = n - smtp_parser_unfeed(s->parser);
				break;
			}
		}
	}
	if (s->phase == SMTP_S_CLOSED || s->phase == SMTP_S_STARTTLS)
		return n;
	return off;
}

int
smtp_server_answer(struct smtp_server *s, int code, const char *enhanced,
    const char *text, struct err *err)
{
	enum smtp_req_kind	 kind;
	char			 t[SMTP_TEXT_MAX + 1];
	const char		*enh;
	size_t			 i;
	bool			 ok = code >= 200 && code < 300;

	if (s->pending == SMTP_NO_REQUEST) {
		err_set(err, SMTP_E_STATE, "smtp server: no request pending");
		return -1;
	}
	if (code < 200 || code > 599) {
		err_set(err, ERR_ARG, "smtp server: reply code %d", code);
		return -1;
	}
	kind = (enum smtp_req_kind)s->pending;
	s->pending = SMTP_NO_REQUEST;
	snprintf(t, sizeof(t), "%s", text != NULL ? text : "");
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 32 || t[i] == 127)
			t[i] = ' ';
	if (enhanced != NULL && (strlen(enhanced) > 9 ||
	    enhanced[0] != '0' + code / 100 ||
	    strspn(enhanced, "0123456789.") != strlen(enhanced)))
		enhanced = NULL;	/* a wrong one would mislead */
	enh = enhanced != NULL ? enhanced : code >= 500 ? "5.0.0" :
	    code >= 400 ? "4.0.0" : kind == SMTP_REQ_MAIL ? "2.1.0" :
	    kind == SMTP_REQ_RCPT ? "2.1.5" : "2.0.0";
	if (code == 421) {
		if (kind == SMTP_REQ_MESSAGE)
			s->in_txn = false;	/* the daemon knows */
		smtp_srv_reply(s, 421, kind == SMTP_REQ_CONNECT ? enhanced :
		    enh, "%s %s", s->hostname, t[0] ? t : "Service not "
		    "available, closing connection");
		smtp_srv_close(s);
		return 0;
	}
	switch (kind) {
	case SMTP_REQ_CONNECT:
		if (ok) {
			smtp_srv_reply(s, 220, NULL, "%s ESMTP %s",
			    s->hostname, t[0] ? t : "timbre");
			s->phase = SMTP_S_COMMAND;
		} else if (code >= 500) {
			/* RFC 5321 section 3.1: then wait for QUIT. */
			smtp_srv_reply(s, code, enhanced, "%s %s",
			    s->hostname, t[0] ? t : "No SMTP service here");
			s->phase = SMTP_S_REFUSED;
		} else {
			smtp_srv_reply(s, code, enhanced, "%s %s",
			    s->hostname, t[0] ? t : "Try again later");
			smtp_srv_close(s);
		}
		break;
	case SMTP_REQ_HELO:
		if (ok) {
			s->helo_done = true;
			smtp_srv_ehlo_reply(s);
		} else
			smtp_srv_error(s, code, enh, t[0] ? t : "Go away");
		break;
	case SMTP_REQ_MAIL:
		if (ok) {
			s->in_txn = true;
			smtp_srv_reply(s, code, enh, "%s", t[0] ? t :
			    "Sender OK");
		} else
			smtp_srv_error(s, code, enh, t[0] ? t :
			    "Sender refused");
		break;
	case SMTP_REQ_RCPT:
		if (ok) {
			s->nrcpt++;
			smtp_srv_reply(s, code, enh, "%s", t[0] ? t :
			    "Recipient OK");
		} else if (code == 452 && strcmp(enh, "4.5.3") == 0) {
			/* The daemon's own "too many recipients" (or "this
			 * one in the next transaction"): flow control, as
			 * the session's own 452 is, not an error: a client
			 * that pipelined past the limit must not lose the
			 * recipients already taken to a 421. */
			s->nrcpt_refused++;
			smtp_srv_reply(s, code, enh, "%s", t[0] ? t :
			    "Too many recipients");
		} else {
			s->nrcpt_refused++;
			smtp_srv_error(s, code, enh, t[0] ? t :
			    "Recipient refused");
		}
		break;
	case SMTP_REQ_MESSAGE:
		/* Stored, relayed or refused: the transaction is over
		 * either way, and the daemon knows it. */
		s->in_txn = false;
		smtp_srv_txn_abort(s);
		smtp_srv_reply(s, code, enh, "%s", t[0] ? t : ok ?
		    "Message accepted" : "Message refused");
		break;
	case SMTP_REQ_RESET:
		break;
	}
	return 0;
}

void
smtp_server_eof(struct smtp_server *s)
{
	smtp_srv_close(s);
}

void
smtp_server_timeout(struct smtp_server *s)
{
	if (s->phase != SMTP_S_CLOSED)
		smtp_srv_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
		    s->hostname);
	smtp_srv_close(s);
}

void
smtp_server_tls_started(struct smtp_server *s)
{
	if (s->phase != SMTP_S_STARTTLS)
		return;
	/* RFC 3207 section 4.2: forget everything learnt in plaintext. */
	s->tls = true;
	s->helo_done = false;
	s->esmtp = false;
	s->helo[0] = '\0';
	smtp_parser_reset(s->parser);
	s->phase = SMTP_S_COMMAND;
}

enum smtp_server_want
smtp_server_want(const struct smtp_server *s)
{
	if (s->phase == SMTP_S_CLOSED)
		return SMTP_SERVER_CLOSE;
	if (s->phase == SMTP_S_STARTTLS)
		return SMTP_SERVER_STARTTLS;
	if (s->pending != SMTP_NO_REQUEST)
		return SMTP_SERVER_WAIT;
	return SMTP_SERVER_READ;
}

enum smtp_timeout
smtp_server_timer(const struct smtp_server *s)
{
	switch (s->phase) {
	case SMTP_S_CLOSED:
	case SMTP_S_STARTTLS:
		return SMTP_TIMEOUT_NONE;
	case SMTP_S_DATA:
		return SMTP_TIMEOUT_DATA_BLOCK;
	default:
		break;
	}
	if (s->pending == SMTP_REQ_MESSAGE)
		return SMTP_TIMEOUT_DATA_END;
	return SMTP_TIMEOUT_COMMAND;
}

const char *
smtp_server_output(const struct smtp_server *s, size_t *len_out)
{
	*len_out = s->out.len;
	return s->out.data != NULL ? s->out.data : "";
}

void
smtp_server_output_drop(struct smtp_server *s, size_t n)
{
	buf_drop(&s->out, n > s->out.len ? s->out.len : n);
}
