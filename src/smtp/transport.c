/*
 * transport.c: src/smtp's machines over libevent bufferevents (see
 * transport.h and the driving rules at the top of smtp.h).
 *
 * Every connection is driven by one function (conn_run, send_run) that
 * writes what the machine has to say, then feeds it what is buffered,
 * as long as the machine wants input and the socket's output is under
 * its bound; it is called from the bufferevent callbacks and from a
 * "kick" event made active whenever the daemon answers, so an answer
 * given from inside a callback never re-enters the machine.  RFC 5321
 * section 4.5.3.2 timeouts come from the machine (smtp_server_timer,
 * smtp_client_timer); RFC 3207 STARTTLS puts a bufferevent_openssl
 * filter over the socket's bufferevent.
 *
 * A server connection's command timeout is a deadline: it starts when
 * the machine last made progress (a reply went out, or a whole command
 * waits for the daemon) and bytes that complete no command do not move
 * it.  Otherwise a client sending a byte every few minutes (slowloris)
 * would hold its slot for ever; Postfix's smtpd_per_record_deadline.
 * The data timeouts stay idle times, as RFC 5321 says ("between blocks").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "smtp/transport.h"
#include "util/err.h"

#define FEED_CHUNK	16384	/* bytes given to a machine at once */
#define SEND_BUF	16384	/* message bytes read ahead by a client */
#define WAIT_READ_MAX	65536	/* read ahead while a request waits */

struct smtp_conn {
	TAILQ_ENTRY(smtp_conn)	 entry;
	struct smtp_listener	*l;
	struct bufferevent	*bev;
	struct smtp_server	*srv;		/* NULL: refused at connect */
	struct event		*timer;
	struct event		*kick;
	void			*arg;		/* the daemon's; NULL if none */
	bool			 closing;	/* flush, then free */
	unsigned		 close_ticks;	/* waits for the flush */
	bool			 tls_pending;	/* handshake under way */
	bool			 progress;	/* since the timer was armed */
	enum smtp_timeout	 timer_kind;	/* what it was armed for */
	char			 peer[INET6_ADDRSTRLEN + 8];
};

TAILQ_HEAD(smtp_conns, smtp_conn);

struct smtp_listener {
	struct event_base	*base;
	struct smtp_listen_conf	 conf;
	char			*hostname;
	SSL_CTX			*tls;
	struct evconnlistener	**lev;
	size_t			 nlev;
	struct smtp_conns	 conns;
	size_t			 nconns;
};

static void	conn_run(struct smtp_conn *);

static void
addr_text(const struct sockaddr *sa, char *out, size_t n)
{
	char		host[INET6_ADDRSTRLEN];
	const void	*a;
	unsigned	port;

	if (sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	} else if (sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	} else {
		snprintf(out, n, "unknown");
		return;
	}
	if (inet_ntop(sa->sa_family, a, host, sizeof(host)) == NULL)
		snprintf(out, n, "unknown");
	else if (sa->sa_family == AF_INET6)
		snprintf(out, n, "[%s]:%u", host, port);
	else
		snprintf(out, n, "%s:%u", host, port);
}

static void
conn_free(struct smtp_conn *c)
{
	struct smtp_listener	*l = c->l;

	TAILQ_REMOVE(&l->conns, c, entry);
	l->nconns--;
	if (c->arg != NULL && l->conf.close != NULL)
		l->conf.close(c->arg);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->kick != NULL)
		event_free(c->kick);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	smtp_server_free(c->srv);
	free(c);
}

/* Bytes not yet handed to the kernel: over TLS, those of the filter
 * and of the socket's bufferevent under it. */
static size_t
bev_unsent(struct bufferevent *bev)
{
	struct bufferevent	*under = bufferevent_get_underlying(bev);
	size_t			 n;

	n = evbuffer_get_length(bufferevent_get_output(bev));
	if (under != NULL)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

static size_t
conn_unsent(struct smtp_conn *c)
{
	return bev_unsent(c->bev);
}

/* Frees c if its output is written, else checks again soon (the write
 * callback does not see the socket under a TLS filter drain); after
 * 10 s it gives up on a client that reads nothing. */
static void
conn_try_close(struct smtp_conn *c)
{
	struct timeval	tv = { 0, 50000 };

	if (conn_unsent(c) == 0 || ++c->close_ticks > 200) {
		conn_free(c);
		return;
	}
	evtimer_add(c->timer, &tv);
}

/* Closes c once its output is written. */
static void
conn_close_after_flush(struct smtp_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_try_close(c);
}

static void
conn_timer_arm(struct smtp_conn *c)
{
	struct timeval		tv = { 0, 0 };
	enum smtp_timeout	kind;
	unsigned		secs;

	kind = c->srv == NULL || c->tls_pending ? SMTP_TIMEOUT_NONE :
	    smtp_server_timer(c->srv);
	if (c->srv != NULL && smtp_server_want(c->srv) == SMTP_SERVER_WAIT)
		c->progress = true;	/* a whole command, for the daemon */
	/* The deadline for the next command stands until progress. */
	if (kind == SMTP_TIMEOUT_COMMAND && c->timer_kind == kind &&
	    !c->progress && evtimer_pending(c->timer, NULL))
		return;
	c->timer_kind = kind;
	c->progress = false;
	secs = c->srv == NULL ? 10 : smtp_timeout_seconds(kind);
	if (kind == SMTP_TIMEOUT_COMMAND && c->l->conf.command_timeout != 0)
		secs = c->l->conf.command_timeout;
	if (c->tls_pending)
		secs = 60;
	if (secs == 0) {
		evtimer_del(c->timer);
		return;
	}
	tv.tv_sec = secs;
	evtimer_add(c->timer, &tv);
}

static void
conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->closing) {
		conn_try_close(c);
		return;
	}
	if (c->srv == NULL || c->tls_pending) {
		conn_free(c);
		return;
	}
	smtp_server_timeout(c->srv);
	conn_run(c);
}

static void
conn_on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_run(arg);
}

static void
conn_on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_run(arg);
}

static void
conn_on_write(struct bufferevent *bev, void *arg)
{
	struct smtp_conn	*c = arg;

	(void)bev;
	if (c->closing) {
		if (conn_unsent(c) == 0)
			conn_free(c);
		return;
	}
	conn_run(c);
}

static void
conn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* The TLS handshake is done. */
		if (c->tls_pending) {
			c->tls_pending = false;
			smtp_server_tls_started(c->srv);
			conn_run(c);
		}
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->srv != NULL)
			smtp_server_eof(c->srv);
		conn_free(c);
	}
}

static void
conn_set_cbs(struct smtp_conn *c)
{
	bufferevent_setcb(c->bev, conn_on_read, conn_on_write, conn_on_event,
	    c);
	/* The write callback runs when the output drains below half the
	 * bound: the machine may then be fed again. */
	bufferevent_setwatermark(c->bev, EV_WRITE, c->l->conf.out_high / 2,
	    0);
}

static int
conn_start_tls(struct smtp_conn *c)
{
	struct bufferevent	*tls;
	SSL			*ssl;

	if ((ssl = SSL_new(c->l->tls)) == NULL)
		return -1;
	/* The filter owns the socket's bufferevent from now on. */
	if ((tls = bufferevent_openssl_filter_new(c->l->base, c->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		return -1;
	}
	c->bev = tls;
	c->tls_pending = true;
	conn_set_cbs(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

static void
conn_run(struct smtp_conn *c)
{
	struct evbuffer		*in, *out;
	const char		*p;
	size_t			 len, n, took;

	if (c->closing || c->tls_pending)
		return;
	in = bufferevent_get_input(c->bev);
	out = bufferevent_get_output(c->bev);
	for (;;) {
		if ((p = smtp_server_output(c->srv, &len)) != NULL && len > 0) {
			if (bufferevent_write(c->bev, p, len) == -1) {
				smtp_server_eof(c->srv);
				conn_free(c);
				return;
			}
			smtp_server_output_drop(c->srv, len);
			c->progress = true;
		}
		switch (smtp_server_want(c->srv)) {
		case SMTP_SERVER_WAIT:
			/* Still reading, into the buffer only and up to
			 * a bound, so that a client gone (a reset, or
			 * QUIT and a close after its final ".") is seen
			 * now and the daemon drops the work it asked for
			 * (close), instead of finishing it for nobody;
			 * what it pipelined waits for the answer. */
			bufferevent_setwatermark(c->bev, EV_READ, 0,
			    WAIT_READ_MAX);
			bufferevent_enable(c->bev, EV_READ);
			conn_timer_arm(c);
			return;
		case SMTP_SERVER_CLOSE:
			evtimer_del(c->timer);
			conn_close_after_flush(c);
			return;
		case SMTP_SERVER_STARTTLS:
			/* The 220 must go out in plaintext first; the
			 * machine discarded any plaintext after it. */
			if (evbuffer_get_length(out) > 0) {
				bufferevent_disable(c->bev, EV_READ);
				bufferevent_setwatermark(c->bev, EV_WRITE, 0,
				    0);
				return;
			}
			evbuffer_drain(in, evbuffer_get_length(in));
			if (c->l->tls == NULL || conn_start_tls(c) == -1) {
				smtp_server_eof(c->srv);
				conn_free(c);
				return;
			}
			conn_timer_arm(c);
			return;
		case SMTP_SERVER_READ:
			break;
		}
		/* Stop reading a client that does not read its replies. */
		if (evbuffer_get_length(out) > c->l->conf.out_high) {
			bufferevent_disable(c->bev, EV_READ);
			conn_timer_arm(c);
			return;
		}
		bufferevent_setwatermark(c->bev, EV_WRITE,
		    c->l->conf.out_high / 2, 0);
		bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
		if ((n = evbuffer_get_length(in)) == 0)
			break;
		if (n > FEED_CHUNK)
			n = FEED_CHUNK;
		if ((p = (const char *)evbuffer_pullup(in, (ssize_t)n)) ==
		    NULL) {
			smtp_server_eof(c->srv);
			conn_free(c);
			return;
		}
		took = smtp_server_feed(c->srv, p, n);
		evbuffer_drain(in, took);
		if (took == 0 && smtp_server_want(c->srv) ==
		    SMTP_SERVER_READ && (smtp_server_output(c->srv, &len),
		    len == 0))
			break;	/* nothing taken, nothing to say: wait */
	}
	bufferevent_enable(c->bev, EV_READ);
	conn_timer_arm(c);
}

int
smtp_conn_answer(struct smtp_conn *c, int code, const char *enhanced,
    const char *text, struct err *err)
{
	if (smtp_server_answer(c->srv, code, enhanced, text, err) == -1)
		return -1;
	event_active(c->kick, EV_TIMEOUT, 0);
	return 0;
}

static void
srv_request(void *arg, const struct smtp_request *r)
{
	struct smtp_conn	*c = arg;
	struct err		 err;

	if (c->arg == NULL) {
		/* Refused by open(): 421 at connect. */
		if (r->kind == SMTP_REQ_CONNECT)
			smtp_server_answer(c->srv, 421, "4.7.0",
			    "service not available, try later", &err);
		return;
	}
	c->l->conf.request(c->arg, r);
}

static void
srv_data(void *arg, const char *p, size_t n)
{
	struct smtp_conn	*c = arg;

	if (c->arg != NULL && c->l->conf.data != NULL)
		c->l->conf.data(c->arg, p, n);
}

/* A client refused before any machine runs: one reply, then close. */
static void
conn_refuse(struct smtp_conn *c, const char *reply)
{
	bufferevent_setcb(c->bev, NULL, conn_on_write, conn_on_event, c);
	bufferevent_enable(c->bev, EV_WRITE);
	conn_timer_arm(c);
	if (bufferevent_write(c->bev, reply, strlen(reply)) == -1) {
		conn_free(c);
		return;
	}
	conn_close_after_flush(c);
}

static void
listener_on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct smtp_listener	*l = arg;
	struct smtp_conn	*c;
	struct smtp_server_cbs	 cbs = { srv_request, srv_data };
	struct err		 err;
	char			 reply[SMTP_DOMAIN_MAX + 80];

	(void)lev;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->l = l;
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	l->nconns++;
	addr_text(sa, c->peer, sizeof(c->peer));
	evutil_make_socket_nonblocking(fd);
	if ((c->bev = bufferevent_socket_new(l->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		conn_free(c);
		return;
	}
	if ((c->timer = evtimer_new(l->base, conn_on_timer, c)) == NULL ||
	    (c->kick = event_new(l->base, -1, 0, conn_on_kick, c)) == NULL) {
		conn_free(c);
		return;
	}
	if (l->conf.allow != NULL && !l->conf.allow(l->conf.arg, sa,
	    (socklen_t)salen)) {
		snprintf(reply, sizeof(reply), "554 5.7.1 %s access denied\r\n",
		    l->hostname);
		conn_refuse(c, reply);
		return;
	}
	if (l->nconns > l->conf.max_conns) {
		snprintf(reply, sizeof(reply), "421 4.7.0 %s too many "
		    "connections, try later\r\n", l->hostname);
		conn_refuse(c, reply);
		return;
	}
	if ((c->srv = smtp_server_new(&l->conf.server, &cbs, c, &err)) ==
	    NULL) {
		snprintf(reply, sizeof(reply), "421 4.3.0 %s out of memory\r\n",
		    l->hostname);
		conn_refuse(c, reply);
		return;
	}
	c->arg = l->conf.open(l->conf.arg, c, c->peer);
	conn_set_cbs(c);
	bufferevent_enable(c->bev, EV_WRITE);
	smtp_server_start(c->srv);
	conn_run(c);
}

static SSL_CTX *
tls_ctx_new(const char *cert, const char *key, struct err *err)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		err_set(err, ERR_NOMEM, "tls: out of memory");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		err_set(err, ERR_CRYPTO, "%s: not a usable certificate chain",
		    cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		err_set(err, ERR_CRYPTO, "%s: not the certificate's private "
		    "key", key);
		goto fail;
	}
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

struct smtp_tls_server {
	SSL_CTX	*ctx;
};

struct smtp_tls_server *
smtp_tls_server_new(const char *cert, const char *key, struct err *err)
{
	struct smtp_tls_server	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		err_set(err, ERR_NOMEM, "tls: out of memory");
		return NULL;
	}
	if ((t->ctx = tls_ctx_new(cert, key, err)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

struct bufferevent *
smtp_tls_server_bev(struct smtp_tls_server *t, struct event_base *base)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	/* Once the bufferevent is made, the SSL is freed with it; when
	 * it cannot be, libevent 2.1 may have freed it or not: a leak when
	 * memory is short beats a double free. */
	if ((bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		ERR_clear_error();
	return bev;
}

void
smtp_tls_server_free(struct smtp_tls_server *t)
{
	if (t == NULL)
		return;
	/* Each SSL holds a reference: live connections keep theirs. */
	SSL_CTX_free(t->ctx);
	free(t);
}

struct smtp_listener *
smtp_listener_new(struct event_base *base, const struct smtp_listen_conf *conf,
    struct err *err)
{
	struct smtp_listener	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->hostname = strdup(conf->server.hostname != NULL ?
	    conf->server.hostname : "localhost")) == NULL) {
		free(l);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	l->base = base;
	l->conf = *conf;
	l->conf.server.hostname = l->hostname;
	l->conf.tls_cert = l->conf.tls_key = NULL;
	if (l->conf.max_conns == 0)
		l->conf.max_conns = 100;
	if (l->conf.out_high == 0)
		l->conf.out_high = 4 * SMTP_SERVER_OUT_HIGH;
	TAILQ_INIT(&l->conns);
	if (conf->tls_cert != NULL && conf->tls_key != NULL) {
		if ((l->tls = tls_ctx_new(conf->tls_cert, conf->tls_key,
		    err)) == NULL) {
			smtp_listener_free(l);
			return NULL;
		}
		l->conf.server.ext |= SMTP_EXT_STARTTLS;
	} else
		l->conf.server.ext &= ~SMTP_EXT_STARTTLS;
	return l;
}

int
smtp_listener_bind(struct smtp_listener *l, const struct sockaddr *sa,
    socklen_t len, struct err *err)
{
	struct evconnlistener	**v, *lev;
	evutil_socket_t		  fd;
	int			  one = 1;
	char			  text[INET6_ADDRSTRLEN + 8];

	addr_text(sa, text, sizeof(text));
	if ((v = reallocarray(l->lev, l->nlev + 1, sizeof(*v))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	l->lev = v;
	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1 ||
	    bind(fd, sa, len) == -1)
		goto fail_fd;
	if ((lev = evconnlistener_new(l->base, listener_on_accept, l,
	    LEV_OPT_CLOSE_ON_FREE, 128, fd)) == NULL)
		goto fail_fd;
	l->lev[l->nlev++] = lev;
	return 0;
fail_fd:
	err_set(err, ERR_IO, "smtp listen %s: %s", text, strerror(errno));
	evutil_closesocket(fd);
	return -1;
fail:
	err_set(err, ERR_IO, "smtp listen %s: %s", text, strerror(errno));
	return -1;
}

int
smtp_listener_update(struct smtp_listener *l,
    const struct smtp_listen_conf *conf, struct err *err)
{
	SSL_CTX	*tls = NULL;

	if (conf->tls_cert != NULL && conf->tls_key != NULL &&
	    (tls = tls_ctx_new(conf->tls_cert, conf->tls_key, err)) == NULL)
		return -1;
	/* Sessions under way hold their own reference to the old one. */
	SSL_CTX_free(l->tls);
	l->tls = tls;
	if (tls != NULL)
		l->conf.server.ext |= SMTP_EXT_STARTTLS;
	else
		l->conf.server.ext &= ~SMTP_EXT_STARTTLS;
	l->conf.server.max_size = conf->server.max_size;
	l->conf.server.max_rcpt = conf->server.max_rcpt;
	if (conf->max_conns != 0)
		l->conf.max_conns = conf->max_conns;
	if (conf->command_timeout != 0)
		l->conf.command_timeout = conf->command_timeout;
	return 0;
}

size_t
smtp_listener_conns(const struct smtp_listener *l)
{
	return l->nconns;
}

void
smtp_listener_free(struct smtp_listener *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nlev; i++)
		evconnlistener_free(l->lev[i]);
	free(l->lev);
	while (!TAILQ_EMPTY(&l->conns)) {
		struct smtp_conn	*c = TAILQ_FIRST(&l->conns);

		if (c->srv != NULL)
			smtp_server_eof(c->srv);
		conn_free(c);
	}
	SSL_CTX_free(l->tls);
	free(l->hostname);
	free(l);
}

/* ---- Client ---- */

struct smtp_send {
	struct event_base	*base;
	struct bufferevent	*bev;
	struct smtp_client	*cl;
	struct event		*timer;
	struct smtp_send_conf	 conf;
	char			*servername;	/* SNI, or NULL */
	/* conf.tls_policy's records and names point here. */
	struct smtp_tlsa	 tlsa[SMTP_TLS_MAX_TLSA];
	uint8_t			*tlsa_data;
	char			*names[2];
	char			*ca_file;
	struct sockaddr_storage	 sa;		/* for a plaintext retry */
	socklen_t		 salen;
	SSL_CTX			*tls_ctx;
	bool			 tls_pending;	/* in the handshake */
	struct smtp_send_tls	 tls;
	char			 buf[SEND_BUF];
	size_t			 off, len;
	bool			 src_eof;
	bool			 connected;
	bool			 reported;
	bool			 closing;
	char			 why[160];
	struct smtp_send	*live_prev, *live_next;
};

/*
 * Every smtp_send not yet freed.  After its done callback a send has no
 * owner but the transport (its QUIT and the close are still to come),
 * so smtp_send_shutdown() finds it here when the loop stops first.
 * Only the loop's thread touches a send, and so this list.
 */
static struct smtp_send	*send_live;

static void	send_run(struct smtp_send *);
static void	send_on_io(struct bufferevent *, void *);
static void	send_on_event(struct bufferevent *, short, void *);

static void
send_free(struct smtp_send *s)
{
	if (s->live_prev != NULL)
		s->live_prev->live_next = s->live_next;
	else if (send_live == s)
		send_live = s->live_next;
	if (s->live_next != NULL)
		s->live_next->live_prev = s->live_prev;
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	smtp_client_free(s->cl);
	SSL_CTX_free(s->tls_ctx);
	free(s->servername);
	free(s->tlsa_data);
	free(s->names[0]);
	free(s->names[1]);
	free(s->ca_file);
	free(s);
}

static void
send_timer_arm(struct smtp_send *s)
{
	struct timeval	tv = { 0, 0 };

	if (s->tls_pending)
		tv.tv_sec = s->conf.tls_timeout;
	else
		tv.tv_sec = s->connected ? smtp_timeout_seconds(
		    smtp_client_timer(s->cl)) : s->conf.connect_timeout;
	if (tv.tv_sec == 0)
		evtimer_del(s->timer);
	else
		evtimer_add(s->timer, &tv);
}

/* Whether the policy requires TLS: beyond "may", and not only
 * reported on. */
static bool
send_tls_required(const struct smtp_tls_policy *p)
{
	return p->level != SMTP_TLS_MAY && !p->report_only;
}

/* Reports the results once; the connection may go on to QUIT. */
static void
send_report(struct smtp_send *s)
{
	const struct smtp_reply	*r;

	if (s->reported)
		return;
	s->reported = true;
	if (s->tls.fallback[0] == '\0' &&
	    (r = smtp_client_tls_refusal(s->cl)) != NULL)
		snprintf(s->tls.fallback, sizeof(s->tls.fallback),
		    "refused: %d %s%s%s", r->code, r->enhanced,
		    r->enhanced[0] != '\0' ? " " : "", r->text);
	/* The machine's own 4.7.5: TLS required and not to be had. */
	if (send_tls_required(&s->conf.tls_policy) && !s->tls.used &&
	    !s->tls.policy_failed &&
	    (r = smtp_client_message_reply(s->cl)) != NULL && r->local &&
	    strcmp(r->enhanced, "4.7.5") == 0) {
		s->tls.policy_failed = true;
		snprintf(s->tls.policy_why, sizeof(s->tls.policy_why), "%s",
		    r->text);
	}
	s->conf.done(s->conf.arg, s->cl, s->why[0] != '\0' ? s->why : NULL);
}

static void
send_fail(struct smtp_send *s, const char *what)
{
	if (s->why[0] == '\0')
		snprintf(s->why, sizeof(s->why), "%s", what);
	smtp_client_eof(s->cl);
	send_report(s);
	send_free(s);
}

/* Opens the connection to s->sa; a failure to even start is reported
 * from the loop, like any other. */
static void
send_connect(struct smtp_send *s)
{
	struct timeval	tv = { 0, 0 };

	s->connected = false;
	if ((s->bev = bufferevent_socket_new(s->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		snprintf(s->why, sizeof(s->why), "connect: out of memory");
		evtimer_add(s->timer, &tv);
		return;
	}
	bufferevent_setcb(s->bev, send_on_io, send_on_io, send_on_event, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, 2 * SMTP_CLIENT_OUT_HIGH,
	    0);
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)(void *)
	    &s->sa, (int)s->salen) == -1) {
		snprintf(s->why, sizeof(s->why), "connect: %s",
		    strerror(errno));
		bufferevent_free(s->bev);
		s->bev = NULL;
		evtimer_add(s->timer, &tv);
		return;
	}
	send_timer_arm(s);
}

/*
 * The handshake failed (what says how): as Postfix's "may" level does,
 * the message goes in plain text, over a new connection since the old
 * one is in an unknown TLS state.  Nothing of the message was read yet
 * (STARTTLS comes before MAIL), so the machine just starts over.
 */
static void
send_tls_fallback(struct smtp_send *s, const char *what)
{
	if (send_tls_required(&s->conf.tls_policy)) {
		/* Required: the attempt fails, never in plain text. */
		s->tls_pending = false;
		s->tls.policy_failed = true;
		snprintf(s->tls.policy_why, sizeof(s->tls.policy_why),
		    "TLS handshake: %s", what);
		send_fail(s, s->tls.policy_why);
		return;
	}
	snprintf(s->tls.fallback, sizeof(s->tls.fallback), "handshake: %s",
	    what);
	s->tls_pending = false;
	bufferevent_free(s->bev);
	s->bev = NULL;
	smtp_client_tls_failed(s->cl);
	send_connect(s);
}

/* The reason OpenSSL gives for a failed handshake, or the socket's.
 * The filter's error list also holds SSL_get_error() codes, which name
 * no library: the first error OpenSSL has words for is the one said. */
static void
send_tls_error(struct smtp_send *s, short what, char *out, size_t n)
{
	unsigned long	 e;
	long		 v;
	SSL		*ssl;
	const char	*reason = NULL, *lib = NULL;

	while ((e = bufferevent_get_openssl_error(s->bev)) != 0)
		if (reason == NULL &&
		    (reason = ERR_reason_error_string(e)) != NULL)
			lib = ERR_lib_error_string(e);
	if (reason != NULL && (ssl = bufferevent_openssl_get_ssl(s->bev)) !=
	    NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(out, n, "%s%s%s (%s)", lib != NULL ? lib : "",
		    lib != NULL ? ": " : "", reason,
		    X509_verify_cert_error_string(v));
	else if (reason != NULL)
		snprintf(out, n, "%s%s%s", lib != NULL ? lib : "",
		    lib != NULL ? ": " : "", reason);
	else if (what & BEV_EVENT_EOF)
		snprintf(out, n, "connection closed by the server");
	else if (what & BEV_EVENT_ERROR)
		snprintf(out, n, "%s", evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	else
		snprintf(out, n, "failed");
	ERR_clear_error();
}

/* The context's part of the policy: DANE's digests; PKIX's CAs, and
 * the chain checked in the handshake unless only reported on (the
 * result is read after it).  -1 when memory is short or the CA file
 * does not load. */
static int
send_tls_ctx_policy(struct smtp_send *s)
{
	const struct smtp_tls_policy	*p = &s->conf.tls_policy;

	if (p->level == SMTP_TLS_DANE)
		return SSL_CTX_dane_enable(s->tls_ctx) > 0 ? 0 : -1;
	if (p->level != SMTP_TLS_PKIX)
		return 0;
	if ((p->ca_file != NULL ? SSL_CTX_load_verify_locations(s->tls_ctx,
	    p->ca_file, NULL) : SSL_CTX_set_default_verify_paths(
	    s->tls_ctx)) != 1)
		return -1;
	if (!p->report_only)
		SSL_CTX_set_verify(s->tls_ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

/*
 * The connection's part: the TLSA records (RFC 7672 section 3.1.3:
 * usages 0 and 1 are not for SMTP; OpenSSL's DANE checks the rest,
 * DANE-EE without names or dates, section 3.1.1) and the names that do
 * for DANE-TA (section 3.2.2).  With no usable TLSA record TLS is still
 * required, its certificate unchecked.  -1 when memory is short.
 */
static int
send_tls_ssl_policy(struct smtp_send *s, SSL *ssl)
{
	const struct smtp_tls_policy	*p = &s->conf.tls_policy;
	size_t				 i, usable = 0;

	if (p->level == SMTP_TLS_PKIX) {
		/* The MX host name, and no "f*o.example" partial
		 * wildcard (RFC 8461 section 4.2 by RFC 6125). */
		if (s->servername == NULL)
			return -1;
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		return SSL_set1_host(ssl, s->servername) == 1 ? 0 : -1;
	}
	if (p->level != SMTP_TLS_DANE)
		return 0;
	if (SSL_dane_enable(ssl, s->servername) <= 0)
		return -1;
	(void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < 2; i++)
		if (p->names[i] != NULL && SSL_add1_host(ssl, p->names[i]) != 1)
			return -1;
	for (i = 0; i < p->ntlsa; i++) {
		if (p->tlsa[i].usage != 2 && p->tlsa[i].usage != 3)
			continue;
		/* 0: unusable (a digest OpenSSL lacks, a bad length),
		 * skipped as RFC 7671 section 5 says. */
		if (SSL_dane_tlsa_add(ssl, p->tlsa[i].usage,
		    p->tlsa[i].selector, p->tlsa[i].mtype, p->tlsa[i].data,
		    p->tlsa[i].len) > 0)
			usable++;
	}
	ERR_clear_error();
	if (usable > 0)
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	return 0;
}

/* Puts a TLS client filter over the connection (the 220 to STARTTLS
 * was read; nothing of ours is left to write). */
static void
send_start_tls(struct smtp_send *s)
{
	struct bufferevent	*tls;
	SSL			*ssl;
	const char		*why = "out of memory";

	if (s->tls_ctx == NULL) {
		if ((s->tls_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			goto fail;
		/* Opportunistic: any certificate does (RFC 7435). */
		SSL_CTX_set_verify(s->tls_ctx, SSL_VERIFY_NONE, NULL);
		if (send_tls_ctx_policy(s) == -1) {
			why = "out of memory, or the CA file does not load";
			goto fail;
		}
	}
	if ((ssl = SSL_new(s->tls_ctx)) == NULL)
		goto fail;
	if (s->servername != NULL)
		(void)SSL_set_tlsext_host_name(ssl, s->servername);
	if (send_tls_ssl_policy(s, ssl) == -1) {
		SSL_free(ssl);
		goto fail;
	}
	/* The filter owns the socket's bufferevent from now on. */
	if ((tls = bufferevent_openssl_filter_new(s->base, s->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		goto fail;
	}
	/* Servers often close without close_notify after QUIT. */
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	s->bev = tls;
	s->tls_pending = true;
	bufferevent_setcb(s->bev, send_on_io, send_on_io, send_on_event, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, 2 * SMTP_CLIENT_OUT_HIGH,
	    0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	send_timer_arm(s);
	return;
fail:
	ERR_clear_error();
	s->tls_pending = true;	/* what send_tls_fallback undoes */
	send_tls_fallback(s, why);
}

/* Which TLSA record the certificate matched, for the log. */
static void
send_tls_dane_note(struct smtp_send *s, SSL *ssl)
{
	uint8_t	usage, selector, mtype;
	int	depth;

	if (s->conf.tls_policy.level != SMTP_TLS_DANE)
		return;
	if ((depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, NULL,
	    NULL)) >= 0)
		snprintf(s->tls.dane, sizeof(s->tls.dane), "%u %u %u depth %d",
		    usage, selector, mtype, depth);
	else
		snprintf(s->tls.dane, sizeof(s->tls.dane), "unauthenticated");
}

/* PKIX: did the chain verify for the host?  (When required, a chain
 * that did not has already failed the handshake.) */
static void
send_tls_pkix_note(struct smtp_send *s, SSL *ssl)
{
	long	 v;

	if (s->conf.tls_policy.level != SMTP_TLS_PKIX)
		return;
	/* A client's view of the chain has the leaf first. */
	if (SSL_get_peer_cert_chain(ssl) == NULL) {
		snprintf(s->tls.pkix_why, sizeof(s->tls.pkix_why), "no "
		    "certificate");
		return;
	}
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(s->tls.pkix_why, sizeof(s->tls.pkix_why), "%s",
		    X509_verify_cert_error_string(v));
		return;
	}
	s->tls.pkix_ok = true;
}

/* The handshake is done: note what was agreed, greet again inside. */
static void
send_tls_started(struct smtp_send *s)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(s->bev);

	s->tls_pending = false;
	s->tls.used = true;
	if (ssl != NULL) {
		snprintf(s->tls.version, sizeof(s->tls.version), "%s",
		    SSL_get_version(ssl));
		snprintf(s->tls.cipher, sizeof(s->tls.cipher), "%s",
		    SSL_get_cipher_name(ssl));
		send_tls_dane_note(s, ssl);
		send_tls_pkix_note(s, ssl);
	}
	smtp_client_tls_started(s->cl);
	send_run(s);
}

static void
send_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_send	*s = arg;

	(void)fd;
	(void)what;
	if (s->tls_pending) {
		send_tls_fallback(s, "timed out");
		return;
	}
	if (!s->connected) {
		if (s->why[0] == '\0')
			snprintf(s->why, sizeof(s->why), "connect: timed out");
		smtp_client_timeout(s->cl);
		send_report(s);
		send_free(s);
		return;
	}
	if (s->closing) {
		send_free(s);
		return;
	}
	snprintf(s->why, sizeof(s->why), "timed out");
	smtp_client_timeout(s->cl);
	send_run(s);
}

static void
send_on_io(struct bufferevent *bev, void *arg)
{
	struct smtp_send	*s = arg;

	(void)bev;
	if (s->closing) {
		if (bev_unsent(s->bev) == 0)
			send_free(s);
		return;
	}
	send_run(s);
}

static void
send_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_send	*s = arg;
	char			 why[160];

	(void)bev;
	if (s->tls_pending) {
		if (what & BEV_EVENT_CONNECTED)
			send_tls_started(s);
		else {
			send_tls_error(s, what, why, sizeof(why));
			send_tls_fallback(s, why);
		}
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		s->connected = true;
		bufferevent_enable(s->bev, EV_READ | EV_WRITE);
		send_run(s);
		return;
	}
	if (s->closing) {
		send_free(s);
		return;
	}
	snprintf(why, sizeof(why), "%s: %s", s->connected ? "connection" :
	    "connect", (what & BEV_EVENT_EOF) ? "closed by the server" :
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	ERR_clear_error();
	send_fail(s, why);
}

static void
send_run(struct smtp_send *s)
{
	struct evbuffer		*in, *out;
	struct evbuffer_iovec	 v[8];
	struct timeval		 tv = { 0, 0 };
	const char		*p;
	size_t			 len, took;
	ssize_t			 r;
	int			 i, nv;

	if (!s->connected || s->closing || s->tls_pending)
		return;
	in = bufferevent_get_input(s->bev);
	out = bufferevent_get_output(s->bev);
	/* The server's replies: the machine takes all of them (after a
	 * 220 to STARTTLS it drops the plaintext that follows). */
	while (evbuffer_get_length(in) > 0) {
		nv = evbuffer_peek(in, -1, NULL, v, 8);
		if (nv > 8)
			nv = 8;
		len = 0;
		for (i = 0; i < nv; i++) {
			smtp_client_feed(s->cl, v[i].iov_base, v[i].iov_len);
			len += v[i].iov_len;
		}
		evbuffer_drain(in, len);
	}
	for (;;) {
		if ((p = smtp_client_output(s->cl, &len)) != NULL && len > 0) {
			if (bufferevent_write(s->bev, p, len) == -1) {
				send_fail(s, "out of memory");
				return;
			}
			smtp_client_output_drop(s->cl, len);
		}
		if (smtp_client_is_done(s->cl) && !s->reported) {
			/* done may start the next message here
			 * (smtp_send_next): its commands go out first. */
			send_report(s);
			continue;
		}
		switch (smtp_client_want(s->cl)) {
		case SMTP_CLIENT_READ:
			send_timer_arm(s);
			return;
		case SMTP_CLIENT_IDLE:
			/* done did not give another message. */
			smtp_client_quit(s->cl);
			continue;
		case SMTP_CLIENT_STARTTLS:
			/* The STARTTLS command went out before its 220
			 * came, so nothing is left to write. */
			if (bev_unsent(s->bev) > 0) {
				bufferevent_setwatermark(s->bev, EV_WRITE, 0,
				    0);
				return;
			}
			send_start_tls(s);
			return;
		case SMTP_CLIENT_CLOSE:
			if (!smtp_client_is_done(s->cl))
				smtp_client_eof(s->cl);
			send_report(s);
			s->closing = true;
			evtimer_del(s->timer);
			if (bev_unsent(s->bev) == 0) {
				send_free(s);
				return;
			}
			bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
			bufferevent_disable(s->bev, EV_READ);
			/* Do not wait for ever on a server that reads
			 * nothing more. */
			tv.tv_sec = 10;
			evtimer_add(s->timer, &tv);
			return;
		case SMTP_CLIENT_MESSAGE:
			break;
		}
		if (evbuffer_get_length(out) > 4 * SMTP_CLIENT_OUT_HIGH) {
			send_timer_arm(s);
			return;		/* the write callback goes on */
		}
		if (s->off == s->len && !s->src_eof) {
			if ((r = s->conf.read(s->conf.arg, s->buf,
			    sizeof(s->buf))) < 0) {
				snprintf(s->why, sizeof(s->why), "reading the "
				    "message failed");
				send_fail(s, s->why);
				return;
			}
			s->off = 0;
			s->len = (size_t)r;
			if (r == 0)
				s->src_eof = true;
		}
		if (s->off < s->len) {
			took = smtp_client_message(s->cl, s->buf + s->off,
			    s->len - s->off);
			s->off += took;
			if (took == 0 && smtp_client_output(s->cl, &len) !=
			    NULL && len == 0) {
				send_timer_arm(s);
				return;
			}
		} else if (s->src_eof)
			smtp_client_message_end(s->cl);
	}
}

/* s->conf.tls_policy, pointing into s's own copies of p's records and
 * names (at most SMTP_TLS_MAX_TLSA records).  -1 when memory is short. */
static int
send_policy_copy(struct smtp_send *s, const struct smtp_tls_policy *p)
{
	size_t	i, n = p->ntlsa, total = 0, off = 0;

	s->conf.tls_policy.tlsa = NULL;
	s->conf.tls_policy.ntlsa = 0;
	s->conf.tls_policy.names[0] = s->conf.tls_policy.names[1] = NULL;
	if (n > SMTP_TLS_MAX_TLSA)
		n = SMTP_TLS_MAX_TLSA;
	for (i = 0; i < n; i++)
		total += p->tlsa[i].len;
	/* One byte at least: the records' data point into it even when
	 * every one is empty. */
	if (n > 0 && (s->tlsa_data = malloc(total > 0 ? total : 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		s->tlsa[i] = p->tlsa[i];
		if (p->tlsa[i].len > 0)
			memcpy(s->tlsa_data + off, p->tlsa[i].data,
			    p->tlsa[i].len);
		s->tlsa[i].data = s->tlsa_data + off;
		off += p->tlsa[i].len;
	}
	s->conf.tls_policy.tlsa = s->tlsa;
	s->conf.tls_policy.ntlsa = n;
	for (i = 0; i < 2; i++) {
		if (p->names[i] == NULL)
			continue;
		if ((s->names[i] = strdup(p->names[i])) == NULL)
			return -1;
		s->conf.tls_policy.names[i] = s->names[i];
	}
	if (p->ca_file != NULL && (s->ca_file = strdup(p->ca_file)) == NULL)
		return -1;
	s->conf.tls_policy.ca_file = s->ca_file;
	return 0;
}

struct smtp_send *
smtp_send_start(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const struct smtp_send_conf *conf,
    const struct smtp_envelope *env, struct err *err)
{
	struct smtp_send	*s;

	if (salen > sizeof(s->sa)) {
		err_set(err, ERR_ARG, "smtp send: bad address");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->base = base;
	s->conf = *conf;
	s->conf.tls_servername = NULL;
	s->conf.client.tls = false;
	if (send_tls_required(&s->conf.tls_policy)) {
		s->conf.client.starttls = true;
		s->conf.client.require_tls = true;
	}
	if (s->conf.connect_timeout == 0)
		s->conf.connect_timeout = 30;
	if (s->conf.tls_timeout == 0)
		s->conf.tls_timeout = 60;
	memcpy(&s->sa, sa, salen);
	s->salen = salen;
	if ((s->cl = smtp_client_new(&s->conf.client, env, err)) == NULL) {
		free(s);
		return NULL;
	}
	if ((s->live_next = send_live) != NULL)
		send_live->live_prev = s;
	send_live = s;
	if ((conf->tls_servername != NULL && (s->servername =
	    strdup(conf->tls_servername)) == NULL) ||
	    send_policy_copy(s, &conf->tls_policy) == -1 ||
	    (s->timer = evtimer_new(base, send_on_timer, s)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		send_free(s);
		return NULL;
	}
	send_connect(s);
	return s;
}

int
smtp_send_next(struct smtp_send *s, const struct smtp_envelope *env,
    const struct smtp_send_conf *conf, struct err *err)
{
	if (!s->reported || smtp_client_want(s->cl) != SMTP_CLIENT_IDLE) {
		err_set(err, SMTP_E_STATE, "smtp send: no message can follow");
		return -1;
	}
	if (smtp_client_next(s->cl, env, err) == -1)
		return -1;
	s->conf.read = conf->read;
	s->conf.done = conf->done;
	s->conf.arg = conf->arg;
	s->off = s->len = 0;
	s->src_eof = false;
	s->reported = false;
	s->why[0] = '\0';
	return 0;
}

bool
smtp_send_can_next(const struct smtp_send *s)
{
	return s->reported && smtp_client_want(s->cl) == SMTP_CLIENT_IDLE;
}

const struct smtp_send_tls *
smtp_send_tls(const struct smtp_send *s)
{
	return &s->tls;
}

void
smtp_send_cancel(struct smtp_send *s)
{
	if (s != NULL)
		send_free(s);
}

void
smtp_send_shutdown(struct event_base *base)
{
	struct smtp_send	*s, *next;

	for (s = send_live; s != NULL; s = next) {
		next = s->live_next;
		if (s->base == base)
			send_free(s);
	}
}
