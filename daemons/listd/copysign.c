/*
 * copysign.c: the DKIM signature of one copy of a post, asked of
 * timbre-signd over its milter interface (--signer-milter; src/milter's
 * MTA side).  A copy whose List-Unsubscribe is the subscriber's own
 * (unsub.h) cannot use the signature the post got on its way through
 * signd, which covers fields every copy shares; RFC 8058 section 4 and
 * the large mailbox providers want List-Unsubscribe and
 * List-Unsubscribe-Post under a valid signature.  So the delivery engine
 * hands each such copy, its own fields on top, to signd as Postfix would
 * (one connection per copy, to a local socket), and puts the fields signd
 * inserts (its DKIM-Signature, whose h= lists both) above the copy.
 *
 * The conversation: OPTNEG, the message (milter_client_message), then
 * the replies: CONTINUE for each step the filter did not negotiate away
 * the reply of, then at end of message INSHEADER or ADDHEADER fields,
 * PROGRESS, and a last CONTINUE or ACCEPT.  Anything else (TEMPFAIL,
 * REJECT, a reply code, another modification), a connection that fails
 * or LISTD_CSIGN_TIMEOUT seconds without a byte either way end it with
 * the reason.  The engine then sends the copy with the post's signature
 * alone, which still verifies (deliver.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "deliver_priv.h"
#include "milter/milter.h"
#include "util/buf.h"
#include "util/err.h"

#define LISTD_CSIGN_TIMEOUT	60	/* seconds without progress */

struct listd_csign {
	struct bufferevent	*bev;
	struct buf		 out;		/* the message, encoded */
	struct buf		 fields;	/* what signd inserts */
	const char		*mail_from, *rcpt;
	const char		*pre, *msg;
	size_t			 prelen, len;
	size_t			 owed;
	bool			 negotiated;
	listd_csign_done	*done;
	void			*arg;
};

static void
csign_end(struct listd_csign *c, const char *why)
{
	listd_csign_done	*done = c->done;
	void			*arg = c->arg;
	struct buf		 f = c->fields;

	/* Fields handed over; c is gone before done runs, which may
	 * free the job that holds it. */
	c->fields.data = NULL;
	listd_csign_cancel(c);
	if (why != NULL) {
		done(arg, NULL, 0, why);
		buf_fini(&f);
		return;
	}
	done(arg, f.data, f.len, NULL);
	buf_fini(&f);
}

/* The message under the agreed protocol, written. */
static int
csign_send(struct listd_csign *c, uint32_t protocol, struct err *err)
{
	char	*copy;
	int	 rc;

	if ((copy = malloc(c->prelen + c->len + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	memcpy(copy, c->pre, c->prelen);
	memcpy(copy + c->prelen, c->msg, c->len);
	rc = milter_client_message(&c->out, protocol, c->mail_from, c->rcpt,
	    copy, c->prelen + c->len, &c->owed, err);
	free(copy);
	if (rc == 0 && bufferevent_write(c->bev, c->out.data, c->out.len) ==
	    -1) {
		err_set(err, ERR_NOMEM, "out of memory");
		rc = -1;
	}
	buf_fini(&c->out);
	return rc;
}

/* One field signd inserts: "name:value" with the value's LFs made
 * CRLF, as it will stand in the copy. */
static int
csign_field(struct listd_csign *c, const struct milter_reply *r,
    struct err *err)
{
	const char	*v;
	int		 rc;

	rc = buf_printf(&c->fields, err, "%s:", r->name);
	for (v = r->value; rc == 0 && *v != '\0'; v++)
		rc = *v == '\n' && (v == r->value || v[-1] != '\r') ?
		    buf_adds(&c->fields, "\r\n", err) :
		    buf_addc(&c->fields, *v, err);
	return rc == 0 ? buf_adds(&c->fields, "\r\n", err) : -1;
}

/* Takes one reply; NULL to go on, "" when done, else why it failed. */
static const char *
csign_reply(struct listd_csign *c, const struct milter_reply *r,
    char *why, size_t n)
{
	struct err	err;

	if (!c->negotiated) {
		if (r->code != MILTER_REPLY_OPTNEG ||
		    !(r->actions & MILTER_SMFIF_ADDHDRS))
			goto unexpected;
		c->negotiated = true;
		if (csign_send(c, r->protocol, &err) == -1) {
			snprintf(why, n, "%s", err.msg);
			return why;
		}
		return NULL;
	}
	if (c->owed > 0) {
		if (r->code != MILTER_REPLY_CONTINUE)
			goto unexpected;
		c->owed--;
		return NULL;
	}
	switch (r->code) {
	case MILTER_REPLY_INSHEADER:
	case MILTER_REPLY_ADDHEADER:
		if (csign_field(c, r, &err) == -1) {
			snprintf(why, n, "%s", err.msg);
			return why;
		}
		return NULL;
	case MILTER_REPLY_PROGRESS:
		return NULL;
	case MILTER_REPLY_CONTINUE:
	case MILTER_REPLY_ACCEPT:
		return c->fields.len > 0 ? "" : "signd inserted no field";
	case MILTER_REPLY_REPLYCODE:
		snprintf(why, n, "signd answered \"%.200s\"", r->value);
		return why;
	default:
		break;
	}
unexpected:
	snprintf(why, n, "signd answered '%c' %s", r->code >= ' ' &&
	    r->code < 0x7f ? r->code : '?', c->negotiated ? (c->owed > 0 ?
	    "to a step of the message" : "at its end") : "to OPTNEG");
	return why;
}

static void
csign_read(struct bufferevent *bev, void *arg)
{
	struct listd_csign	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct milter_reply	 r;
	struct err		 err;
	const void		*p;
	const char		*end;
	char			 why[300];
	size_t			 len, used;

	for (;;) {
		len = evbuffer_get_length(in);
		if (len > 4 + MILTER_MAX_PACKET)
			len = 4 + MILTER_MAX_PACKET;
		if (len == 0 || (p = evbuffer_pullup(in, (ssize_t)len)) ==
		    NULL)
			return;
		switch (milter_client_reply(p, len, &used, &r, &err)) {
		case MILTER_PARSE_NEED_MORE:
			return;
		case MILTER_PARSE_ERROR:
			csign_end(c, err.msg);
			return;
		case MILTER_PARSE_CMD:
			break;
		}
		end = csign_reply(c, &r, why, sizeof(why));
		evbuffer_drain(in, used);
		if (end != NULL) {
			/* No QUIT: closing says as much to signd. */
			csign_end(c, end[0] == '\0' ? NULL : end);
			return;
		}
	}
}

static void
csign_event(struct bufferevent *bev, short what, void *arg)
{
	struct listd_csign	*c = arg;
	struct err		 err;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (milter_client_optneg(&c->out, &err) == -1 ||
		    bufferevent_write(c->bev, c->out.data, c->out.len) == -1)
			csign_end(c, "out of memory");
		buf_reset(&c->out);
		return;
	}
	csign_end(c, what & BEV_EVENT_TIMEOUT ? "signd took too long" :
	    what & BEV_EVENT_EOF ? "signd closed the connection" :
	    "connection to signd's milter failed");
}

struct listd_csign *
listd_csign_start(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const char *mail_from, const char *rcpt,
    const char *pre, size_t prelen, const char *msg, size_t len,
    listd_csign_done *done, void *arg, struct err *err)
{
	struct listd_csign	*c;
	struct timeval		 tv = { LISTD_CSIGN_TIMEOUT, 0 };

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	/* The encoded message: the copy, 5 bytes a field and a chunk. */
	buf_init(&c->out, prelen + len + len / 8 + 64 * 1024);
	buf_init(&c->fields, MILTER_MAX_INSERT * 2048);
	c->mail_from = mail_from;
	c->rcpt = rcpt;
	c->pre = pre;
	c->prelen = prelen;
	c->msg = msg;
	c->len = len;
	c->done = done;
	c->arg = arg;
	if ((c->bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	bufferevent_setcb(c->bev, csign_read, NULL, csign_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, sa, (int)salen) == -1) {
		err_set(err, ERR_IO, "cannot connect to signd's milter");
		goto fail;
	}
	return c;
fail:
	listd_csign_cancel(c);
	return NULL;
}

void
listd_csign_cancel(struct listd_csign *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	buf_fini(&c->out);
	buf_fini(&c->fields);
	free(c);
}
