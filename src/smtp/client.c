/*
 * client.c: one attempt to deliver one message over SMTP (RFC 5321
 * sections 3.3 and 4.1, RFC 2920 pipelining, RFC 3207 STARTTLS, RFC 1870
 * SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8).
 *
 * The machine reads the server's replies, writes commands, and asks its
 * caller for the message once the server said 354.  It greets with EHLO
 * and falls back to HELO when EHLO is refused with 5xx; with STARTTLS
 * wanted and offered it asks for TLS and greets again inside it (and
 * carries on in plaintext if the server then refuses, as opportunistic
 * TLS does; after a failed handshake smtp_client_tls_failed() starts it
 * over for a plaintext connection).  With TLS required (DANE)
 * no step leads to plain text: the attempt fails with a local 4.7.5.
 * With PIPELINING, MAIL, every RCPT and DATA go out together (RFC 2920
 * section 3.1: DATA last), as many as the output ceiling lets at a
 * time; replies are matched to commands in order.
 *
 * Results are values: each recipient ends with the reply that decided its
 * fate (its RCPT reply if refused, else the reply to the message, or to
 * whatever failed before it), made up locally (local = true) when the
 * connection broke or the server spoke nonsense.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"

#define SMTP_CLIENT_MAX_RCPT	100000
#define SMTP_CLIENT_OUT_MAX	(2 * SMTP_CLIENT_OUT_HIGH + 1024)

enum smtp_client_phase {
	SMTP_C_GREETING,
	SMTP_C_EHLO,
	SMTP_C_HELO,
	SMTP_C_STARTTLS,	/* STARTTLS sent, reply awaited */
	SMTP_C_TLS,		/* the transport does the handshake */
	SMTP_C_TXN,		/* MAIL, RCPT, DATA replies awaited */
	SMTP_C_MESSAGE,		/* the caller gives the message */
	SMTP_C_DOT,		/* the reply to the final dot awaited */
	SMTP_C_IDLE,		/* hold: results known, another may follow */
	SMTP_C_QUIT,
	SMTP_C_CLOSED,
};

struct smtp_client {
	char			 helo[SMTP_DOMAIN_MAX + 1];
	bool			 want_tls;
	bool			 need_tls;	/* require_tls */
	bool			 tls;
	bool			 hold;		/* IDLE, not QUIT, after a dot */
	char			*mail_from;
	char			**rcpt;
	size_t			 nrcpt;
	uint64_t		 size;
	bool			 body_8bit;
	bool			 smtputf8;

	enum smtp_client_phase	 phase;
	struct smtp_reply_parser *rp;
	struct smtp_reply	 cur;		/* reply being read */
	bool			 cur_open;
	struct buf		 out;

	unsigned		 ext;		/* the server's SMTP_EXT_* */
	uint64_t		 srv_size;

	/* Positions in the command sequence MAIL, RCPT 0..n-1, DATA. */
	size_t			 next_send;
	size_t			 next_reply;
	bool			 mail_ok;
	size_t			 naccepted;
	bool			 discard_dot;	/* 354 with no recipient */

	bool			 line_start;	/* message: dot-stuffing */
	bool			 cr_pending;

	struct smtp_reply	 msg;		/* the message's reply */
	bool			 msg_set;
	struct smtp_reply	**refused;	/* per recipient, or NULL */
	bool			 done;
	struct smtp_reply	 tls_refusal;	/* not 220 to STARTTLS */
	bool			 tls_refused;
};

static bool
smtp_cl_path_ok(const char *p)
{
	size_t	n = strlen(p), i;

	if (n + 2 > SMTP_PATH_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 32 || p[i] == 127 || p[i] == '<' ||
		    p[i] == '>')
			return false;
	return true;
}

/* The envelope's paths, checked: 0, or -1 with err (ERR_ARG). */
static int
smtp_cl_env_check(const struct smtp_envelope *env, struct err *err)
{
	size_t	i;

	if (env->mail_from == NULL || !smtp_cl_path_ok(env->mail_from) ||
	    env->nrcpt == 0 || env->nrcpt > SMTP_CLIENT_MAX_RCPT) {
		err_set(err, ERR_ARG, "smtp client: bad envelope");
		return -1;
	}
	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpt[i] == NULL || *env->rcpt[i] == '\0' ||
		    !smtp_cl_path_ok(env->rcpt[i])) {
			err_set(err, ERR_ARG, "smtp client: bad recipient "
			    "%zu", i);
			return -1;
		}
	return 0;
}

/* The envelope's transaction state freed (the results with it). */
static void
smtp_cl_env_free(struct smtp_client *c)
{
	size_t	i;

	free(c->mail_from);
	for (i = 0; c->rcpt != NULL && i < c->nrcpt; i++)
		free(c->rcpt[i]);
	for (i = 0; c->refused != NULL && i < c->nrcpt; i++)
		free(c->refused[i]);
	free(c->rcpt);
	free(c->refused);
	c->mail_from = NULL;
	c->rcpt = NULL;
	c->refused = NULL;
	c->nrcpt = 0;
}

/* Copies a checked envelope into c (whose old one is freed first).  -1
 * with err when memory is short. */
static int
smtp_cl_env_set(struct smtp_client *c, const struct smtp_envelope *env,
    struct err *err)
{
	size_t	i;

	smtp_cl_env_free(c);
	if ((c->mail_from = strdup(env->mail_from)) == NULL ||
	    (c->rcpt = calloc(env->nrcpt, sizeof(*c->rcpt))) == NULL ||
	    (c->refused = calloc(env->nrcpt, sizeof(*c->refused))) == NULL)
		goto nomem;
	c->nrcpt = env->nrcpt;
	for (i = 0; i < env->nrcpt; i++)
		if ((c->rcpt[i] = strdup(env->rcpt[i])) == NULL)
			goto nomem;
	c->size = env->size;
	c->body_8bit = env->body_8bit;
	c->smtputf8 = env->smtputf8;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "smtp client: out of memory");
	return -1;
}

struct smtp_client *
smtp_client_new(const struct smtp_client_conf *conf,
    const struct smtp_envelope *env, struct err *err)
{
	struct smtp_client	*c;

	if (conf->helo == NULL || *conf->helo == '\0' ||
	    strlen(conf->helo) > SMTP_DOMAIN_MAX ||
	    strpbrk(conf->helo, " \r\n") != NULL) {
		err_set(err, ERR_ARG, "smtp client: bad HELO name");
		return NULL;
	}
	if (smtp_cl_env_check(env, err) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, ERR_NOMEM, "smtp client: out of memory");
		return NULL;
	}
	buf_init(&c->out, SMTP_CLIENT_OUT_MAX);
	if ((c->rp = smtp_reply_parser_new(SMTP_REPLY_LINE_MAX)) == NULL) {
		err_set(err, ERR_NOMEM, "smtp client: out of memory");
		goto fail;
	}
	if (smtp_cl_env_set(c, env, err) == -1)
		goto fail;
	snprintf(c->helo, sizeof(c->helo), "%s", conf->helo);
	c->want_tls = conf->starttls;
	c->need_tls = conf->starttls && conf->require_tls;
	c->tls = conf->tls;
	c->hold = conf->hold;
	c->phase = SMTP_C_GREETING;
	return c;
fail:
	smtp_client_free(c);
	return NULL;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	smtp_reply_parser_free(c->rp);
	buf_fini(&c->out);
	smtp_cl_env_free(c);
	free(c);
}

static void
smtp_cl_cmd(struct smtp_client *c, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
smtp_cl_cmd(struct smtp_client *c, const char *fmt, ...)
{
	char		 line[SMTP_LINE_MAX * 2];
	struct err	 err;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (buf_printf(&c->out, &err, "%s\r\n", line) == -1) {
		/* Only out of memory: give up on this attempt. */
		smtp_reply_set_local(&c->msg, 451, "4.3.0",
		    "local error: out of memory");
		c->msg_set = c->done = true;
		c->phase = SMTP_C_CLOSED;
	}
}

/* The results are known: say goodbye. */
static void
smtp_cl_finish(struct smtp_client *c)
{
	c->done = true;
	if (c->phase == SMTP_C_CLOSED)
		return;
	smtp_cl_cmd(c, "QUIT");
	c->phase = SMTP_C_QUIT;
}

static void
smtp_cl_fail(struct smtp_client *c, const struct smtp_reply *r)
{
	c->msg = *r;
	c->msg_set = true;
	smtp_cl_finish(c);
}

static void
smtp_cl_local_fail(struct smtp_client *c, int code, const char *enh,
    const char *text, bool quit)
{
	struct smtp_reply	r;

	smtp_reply_set_local(&r, code, enh, text);
	if (!quit)
		c->phase = SMTP_C_CLOSED;
	smtp_cl_fail(c, &r);
}

/* Queues the commands of the transaction that may go now. */
static void
smtp_cl_fill(struct smtp_client *c)
{
	bool	pipe = (c->ext & SMTP_EXT_PIPELINING) != 0;
	size_t	pos;

	if (c->phase != SMTP_C_TXN)
		return;
	while (c->next_send <= c->nrcpt + 1 &&
	    c->out.len < SMTP_CLIENT_OUT_HIGH) {
		pos = c->next_send;
		if (!pipe && pos != c->next_reply)
			break;
		if (pos == 0) {
			char	 size[40] = "";

			if ((c->ext & SMTP_EXT_SIZE) && c->size != 0)
				snprintf(size, sizeof(size), " SIZE=%llu",
				    (unsigned long long)c->size);
			smtp_cl_cmd(c, "MAIL FROM:<%s>%s%s%s", c->mail_from,
			    size, c->body_8bit && (c->ext &
			    SMTP_EXT_8BITMIME) ? " BODY=8BITMIME" : "",
			    c->smtputf8 ? " SMTPUTF8" : "");
		} else if (pos <= c->nrcpt)
			smtp_cl_cmd(c, "RCPT TO:<%s>", c->rcpt[pos - 1]);
		else {
			if (!pipe && c->naccepted == 0) {
				/* No one to send it to. */
				if (!c->msg_set)
					smtp_reply_set_local(&c->msg, 554,
					    "5.5.1", "no valid recipients");
				c->msg_set = true;
				smtp_cl_finish(c);
				return;
			}
			smtp_cl_cmd(c, "DATA");
		}
		if (c->phase == SMTP_C_CLOSED)
			return;
		c->next_send++;
	}
}

static void
smtp_cl_start_txn(struct smtp_client *c)
{
	if (c->smtputf8 && !(c->ext & SMTP_EXT_SMTPUTF8)) {
		smtp_cl_local_fail(c, 553, "5.6.7", "server does not "
		    "offer SMTPUTF8", true);
		return;
	}
	if (c->size != 0 && c->srv_size != 0 && c->size > c->srv_size) {
		smtp_cl_local_fail(c, 552, "5.3.4", "message larger than "
		    "the server's SIZE", true);
		return;
	}
	c->phase = SMTP_C_TXN;
	c->next_send = c->next_reply = 0;
	smtp_cl_fill(c);
}

static void
smtp_cl_ehlo_line(struct smtp_client *c, const struct smtp_reply_line *l)
{
	char		 kw[32];
	size_t		 n = 0;
	const char	*t = l->text, *e = l->text + l->len;
	unsigned long long v;

	while (t < e && *t != ' ' && n + 1 < sizeof(kw))
		kw[n++] = *t++;
	kw[n] = '\0';
	if (strcasecmp(kw, "PIPELINING") == 0)
		c->ext |= SMTP_EXT_PIPELINING;
	else if (strcasecmp(kw, "8BITMIME") == 0)
		c->ext |= SMTP_EXT_8BITMIME;
	else if (strcasecmp(kw, "SMTPUTF8") == 0)
		c->ext |= SMTP_EXT_SMTPUTF8;
	else if (strcasecmp(kw, "STARTTLS") == 0)
		c->ext |= SMTP_EXT_STARTTLS;
	else if (strcasecmp(kw, "SIZE") == 0) {
		c->ext |= SMTP_EXT_SIZE;
		for (v = 0, t++; t < e && *t >= '0' && *t <= '9'; t++)
			v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
			    v * 10 + (unsigned long long)(*t - '0');
		c->srv_size = v;
	}
}

static void
smtp_cl_txn_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	size_t	pos = c->next_reply++;
	bool	ok = r->code >= 200 && r->code < 300;

	if (pos == 0) {
		c->mail_ok = ok;
		if (!ok) {
			c->msg = *r;
			c->msg_set = true;
			if (!(c->ext & SMTP_EXT_PIPELINING)) {
				smtp_cl_finish(c);
				return;
			}
		}
	} else if (pos <= c->nrcpt) {
		if (c->mail_ok && ok)
			c->naccepted++;
		else if (c->mail_ok) {
			if ((c->refused[pos - 1] = malloc(sizeof(*r))) ==
			    NULL) {
				smtp_cl_local_fail(c, 451, "4.3.0",
				    "local error: out of memory", false);
				return;
			}
			*c->refused[pos - 1] = *r;
		}
	} else {
		/* The reply to DATA. */
		if (r->code == 354 && c->mail_ok && c->naccepted > 0) {
			c->phase = SMTP_C_MESSAGE;
			c->line_start = true;
			c->cr_pending = false;
			return;
		}
		if (r->code == 354) {
			/* RFC 2920 section 3.1: end the empty message. */
			c->discard_dot = true;
			smtp_cl_cmd(c, ".");
			c->phase = SMTP_C_DOT;
			return;
		}
		if (c->mail_ok) {
			c->msg = *r;
			c->msg_set = true;
		}
		smtp_cl_finish(c);
		return;
	}
	smtp_cl_fill(c);
}

static void
smtp_cl_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	bool	ok = r->code >= 200 && r->code < 300;

	switch (c->phase) {
	case SMTP_C_GREETING:
		if (r->code != 220) {
			smtp_cl_fail(c, r);
			return;
		}
		smtp_cl_cmd(c, "EHLO %s", c->helo);
		c->phase = SMTP_C_EHLO;
		break;
	case SMTP_C_EHLO:
		if (ok) {
			if (c->want_tls && !c->tls &&
			    (c->ext & SMTP_EXT_STARTTLS)) {
				smtp_cl_cmd(c, "STARTTLS");
				c->phase = SMTP_C_STARTTLS;
			} else if (c->need_tls && !c->tls)
				smtp_cl_local_fail(c, 451, "4.7.5", "TLS is "
				    "required, but the server does not offer "
				    "STARTTLS", true);
			else
				smtp_cl_start_txn(c);
		} else if (r->code >= 500 && c->need_tls && !c->tls)
			smtp_cl_local_fail(c, 451, "4.7.5", "TLS is required, "
			    "but the server refused EHLO", true);
		else if (r->code >= 500) {
			c->ext = 0;
			smtp_cl_cmd(c, "HELO %s", c->helo);
			c->phase = SMTP_C_HELO;
		} else
			smtp_cl_fail(c, r);
		break;
	case SMTP_C_HELO:
		if (ok)
			smtp_cl_start_txn(c);
		else
			smtp_cl_fail(c, r);
		break;
	case SMTP_C_STARTTLS:
		if (r->code == 220) {
			/* Plaintext after the 220 is not to be believed. */
			smtp_reply_parser_free(c->rp);
			if ((c->rp = smtp_reply_parser_new(
			    SMTP_REPLY_LINE_MAX)) == NULL) {
				smtp_cl_local_fail(c, 451, "4.3.0",
				    "local error: out of memory", false);
				return;
			}
			c->phase = SMTP_C_TLS;
		} else if (r->code == 421)
			smtp_cl_fail(c, r);
		else {
			/* Opportunistic: on in plain text, saying why. */
			c->tls_refusal = *r;
			c->tls_refused = true;
			if (c->need_tls)
				smtp_cl_local_fail(c, 451, "4.7.5", "TLS is "
				    "required, but the server refused "
				    "STARTTLS", true);
			else
				smtp_cl_start_txn(c);
		}
		break;
	case SMTP_C_TXN:
		smtp_cl_txn_reply(c, r);
		break;
	case SMTP_C_DOT:
		if (!c->discard_dot) {
			c->msg = *r;
			c->msg_set = true;
		} else if (!c->msg_set) {
			smtp_reply_set_local(&c->msg, 554, "5.5.1",
			    "no valid recipients");
			c->msg_set = true;
		}
		/* The transaction is over on both sides: with hold, the
		 * connection may carry the next one. */
		if (c->hold && r->code != 421) {
			c->done = true;
			c->phase = SMTP_C_IDLE;
		} else
			smtp_cl_finish(c);
		break;
	case SMTP_C_QUIT:
		c->phase = SMTP_C_CLOSED;
		break;
	case SMTP_C_TLS:
	case SMTP_C_MESSAGE:
	case SMTP_C_IDLE:
	case SMTP_C_CLOSED:
		if (c->done) {
			c->phase = SMTP_C_CLOSED;
			break;
		}
		if (r->code == 421)
			c->phase = SMTP_C_CLOSED, smtp_cl_fail(c, r);
		else
			smtp_cl_local_fail(c, 451, "4.5.0", "protocol error: "
			    "reply out of sequence", false);
		break;
	}
}

void
smtp_client_feed(struct smtp_client *c, const char *p, size_t n)
{
	struct smtp_reply_line	 l;
	struct err		 err;
	enum smtp_reply_parse	 r;
	char			 msg[sizeof(err.msg) + 32];

	if (c->phase == SMTP_C_CLOSED)
		return;
	smtp_reply_parser_feed(c->rp, p, n);
	while (c->phase != SMTP_C_CLOSED && c->phase != SMTP_C_TLS) {
		r = smtp_reply_parser_next(c->rp, &l, &err);
		if (r == SMTP_REPLY_NEED_MORE)
			break;
		if (r == SMTP_REPLY_ERROR) {
			snprintf(msg, sizeof(msg), "protocol error: %s",
			    err.msg);
			smtp_cl_local_fail(c, 451, "4.5.0", msg, false);
			break;
		}
		if (c->phase == SMTP_C_EHLO && l.code == 250 && c->cur_open)
			smtp_cl_ehlo_line(c, &l);
		smtp_reply_add_line(&c->cur, !c->cur_open, &l);
		c->cur_open = !l.last;
		if (l.last)
			smtp_cl_reply(c, &c->cur);
	}
	/* Bytes left unread here follow a 220 to STARTTLS or the end of
	 * the session: they went with the old parser, and are dropped. */
}

size_t
smtp_client_message(struct smtp_client *c, const char *p, size_t n)
{
	struct err	 err;
	size_t		 i = 0, run;
	char		 ch;

	if (c->phase != SMTP_C_MESSAGE)
		return 0;
	while (i < n && c->out.len < SMTP_CLIENT_OUT_HIGH) {
		ch = p[i];
		if (c->cr_pending) {
			/* CRLF, or a bare CR: either way a line end. */
			c->cr_pending = false;
			if (buf_add(&c->out, "\r\n", 2, &err) == -1)
				goto fail;
			c->line_start = true;
			if (ch == '\n')
				i++;
			continue;
		}
		if (ch == '\r') {
			c->cr_pending = true;
			i++;
			continue;
		}
		if (ch == '\n') {
			if (buf_add(&c->out, "\r\n", 2, &err) == -1)
				goto fail;
			c->line_start = true;
			i++;
			continue;
		}
		if (c->line_start && ch == '.' &&
		    buf_addc(&c->out, '.', &err) == -1)
			goto fail;
		/* The rest of the line up to a CR or LF goes as it is. */
		for (run = i; i < n && p[i] != '\r' && p[i] != '\n' &&
		    i - run < SMTP_CLIENT_OUT_HIGH; i++)
			;
		if (buf_add(&c->out, p + run, i - run, &err) == -1)
			goto fail;
		c->line_start = false;
	}
	return i;
fail:
	smtp_cl_local_fail(c, 451, "4.3.0", "local error: out of memory",
	    false);
	return n;
}

void
smtp_client_message_end(struct smtp_client *c)
{
	if (c->phase != SMTP_C_MESSAGE)
		return;
	if (c->cr_pending || !c->line_start)
		smtp_cl_cmd(c, "%s", "");
	c->cr_pending = false;
	smtp_cl_cmd(c, ".");
	if (c->phase != SMTP_C_CLOSED)
		c->phase = SMTP_C_DOT;
}

void
smtp_client_tls_started(struct smtp_client *c)
{
	if (c->phase != SMTP_C_TLS)
		return;
	c->tls = true;
	c->ext = 0;
	c->srv_size = 0;
	c->cur_open = false;
	smtp_cl_cmd(c, "EHLO %s", c->helo);
	if (c->phase != SMTP_C_CLOSED)
		c->phase = SMTP_C_EHLO;
}

void
smtp_client_quit(struct smtp_client *c)
{
	if (c->phase != SMTP_C_IDLE)
		return;
	smtp_cl_cmd(c, "QUIT");
	if (c->phase != SMTP_C_CLOSED)
		c->phase = SMTP_C_QUIT;
}

int
smtp_client_next(struct smtp_client *c, const struct smtp_envelope *env,
    struct err *err)
{
	if (c->phase != SMTP_C_IDLE) {
		err_set(err, SMTP_E_STATE, "smtp client: not idle");
		return -1;
	}
	if (smtp_cl_env_check(env, err) == -1)
		return -1;
	if (smtp_cl_env_set(c, env, err) == -1) {
		smtp_client_quit(c);
		return -1;
	}
	c->mail_ok = false;
	c->naccepted = 0;
	c->discard_dot = false;
	c->msg_set = false;
	memset(&c->msg, 0, sizeof(c->msg));
	c->done = false;
	/* What the server offered holds for the whole session. */
	smtp_cl_start_txn(c);
	return 0;
}

void
smtp_client_tls_failed(struct smtp_client *c)
{
	struct smtp_reply_parser	*rp;

	if (c->phase != SMTP_C_TLS)
		return;
	if ((rp = smtp_reply_parser_new(SMTP_REPLY_LINE_MAX)) == NULL) {
		smtp_cl_local_fail(c, 451, "4.3.0",
		    "local error: out of memory", false);
		return;
	}
	smtp_reply_parser_free(c->rp);
	c->rp = rp;
	/* A new connection: its greeting, EHLO, and no STARTTLS again. */
	c->want_tls = false;
	c->ext = 0;
	c->srv_size = 0;
	c->cur_open = false;
	buf_drop(&c->out, c->out.len);
	c->phase = SMTP_C_GREETING;
}

static void
smtp_cl_lost(struct smtp_client *c, int code, const char *text)
{
	if (c->done) {
		c->phase = SMTP_C_CLOSED;
		return;
	}
	smtp_cl_local_fail(c, code, "4.4.2", text, false);
}

void
smtp_client_eof(struct smtp_client *c)
{
	smtp_cl_lost(c, 421, "connection lost");
}

void
smtp_client_timeout(struct smtp_client *c)
{
	smtp_cl_lost(c, 451, "timeout waiting for the server");
}

enum smtp_client_want
smtp_client_want(const struct smtp_client *c)
{
	switch (c->phase) {
	case SMTP_C_CLOSED:
		return SMTP_CLIENT_CLOSE;
	case SMTP_C_TLS:
		return SMTP_CLIENT_STARTTLS;
	case SMTP_C_MESSAGE:
		return SMTP_CLIENT_MESSAGE;
	case SMTP_C_IDLE:
		return SMTP_CLIENT_IDLE;
	default:
		return SMTP_CLIENT_READ;
	}
}

enum smtp_timeout
smtp_client_timer(const struct smtp_client *c)
{
	switch (c->phase) {
	case SMTP_C_CLOSED:
	case SMTP_C_TLS:
	case SMTP_C_IDLE:
		return SMTP_TIMEOUT_NONE;
	case SMTP_C_MESSAGE:
		return SMTP_TIMEOUT_DATA_BLOCK;
	case SMTP_C_DOT:
		return SMTP_TIMEOUT_DATA_END;
	case SMTP_C_TXN:
		if (c->next_reply == c->nrcpt + 1)
			return SMTP_TIMEOUT_DATA_INIT;
		return SMTP_TIMEOUT_COMMAND;
	default:
		return SMTP_TIMEOUT_COMMAND;
	}
}

const char *
smtp_client_output(const struct smtp_client *c, size_t *len_out)
{
	*len_out = c->out.len;
	return c->out.data != NULL ? c->out.data : "";
}

void
smtp_client_output_drop(struct smtp_client *c, size_t n)
{
	buf_drop(&c->out, n > c->out.len ? c->out.len : n);
	smtp_cl_fill(c);
}

bool
smtp_client_is_done(const struct smtp_client *c)
{
	return c->done;
}

bool
smtp_client_is_tls(const struct smtp_client *c)
{
	return c->tls;
}

const struct smtp_reply *
smtp_client_tls_refusal(const struct smtp_client *c)
{
	return c->tls_refused ? &c->tls_refusal : NULL;
}

const struct smtp_reply *
smtp_client_result(const struct smtp_client *c, size_t i)
{
	if (i >= c->nrcpt)
		return NULL;
	if (c->mail_ok && c->refused[i] != NULL)
		return c->refused[i];
	return &c->msg;
}

const struct smtp_reply *
smtp_client_message_reply(const struct smtp_client *c)
{
	return &c->msg;
}
