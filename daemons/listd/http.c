/*
 * http.c: timbre-listd's one-click unsubscribe endpoint (RFC 8058),
 * --http-listen, on libevent's evhttp: HTTPS over OpenSSL bufferevents
 * with the certificate of STARTTLS (--tls-cert, --tls-key), or plain
 * HTTP on a loopback address (options.c refuses it elsewhere) for a
 * proxy on the same host that does the TLS, or a test.
 *
 * The links are /u/TOKEN (unsub.h: the MAC of the list and the address
 * under the database's key, so no row per link).  RFC 8058 section 3.2:
 *
 *  - POST with the form List-Unsubscribe=One-Click removes the address
 *    from the list: 200 and a line of text, no cookie, no redirect.  A
 *    POST without that form changes nothing (400).
 *  - GET (and HEAD) never changes anything, since mail scanners and
 *    link previews follow every link in a message: it shows a page with
 *    one button, a POST form of the same body.
 *  - A token that does not parse is 400, one whose MAC does not match
 *    (tampered with, made under another database's key) 403, one for a
 *    list that is not here 404: nothing changes.
 *
 * Bounds: a request's header section of 8 KiB and body of
 * HTTP_BODY_MAX (evhttp answers 413 beyond), --http-timeout for a
 * request to arrive and its answer to leave (a slow client is closed),
 * and at most --http-max-connections connections: at the cap the
 * listener stops accepting (the kernel's backlog holds the rest) until
 * one ends.  evhttp of libevent 2.1 tells nobody when a connection
 * ends, so each bufferevent made here is kept with a reference of ours
 * and looked at every second: one whose callbacks evhttp cleared
 * (bufferevent_free does that) is gone, and our reference is dropped.
 *
 * Every request is logged with the client's address and what happened;
 * never the key, and not the token (it is a capability).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "listd.h"
#include "unsub.h"
#include "keys/mac.h"
#include "smtp/transport.h"
#include "util/buf.h"
#include "util/err.h"

#define HTTP_BODY_MAX		(16 * 1024)
#define HTTP_HEADERS_MAX	(8 * 1024)

struct listd_http {
	struct listd		 *ld;
	struct evhttp		 *http;
	struct evconnlistener	 *lev;		/* evhttp's, ours to pause */
	struct smtp_tls_server	 *tls;		/* NULL: plain HTTP */
	struct bufferevent	**bevs;		/* live connections */
	size_t			  nbevs, max;
	bool			  paused;
	struct event		 *sweep;
	uint8_t			  key[LISTD_UNSUB_KEY_LEN];
	bool			  keyed;
};

/* ---- Connections ---- */

static void
http_sweep(evutil_socket_t fd, short ev, void *arg)
{
	struct listd_http	*h = arg;
	bufferevent_data_cb	 r, w;
	bufferevent_event_cb	 e;
	size_t			 i = 0;

	(void)fd;
	(void)ev;
	while (i < h->nbevs) {
		bufferevent_getcb(h->bevs[i], &r, &w, &e, NULL);
		if (r == NULL && w == NULL && e == NULL) {
			bufferevent_decref(h->bevs[i]);
			h->bevs[i] = h->bevs[--h->nbevs];
		} else
			i++;
	}
	if (h->paused && h->nbevs < h->max) {
		evconnlistener_enable(h->lev);
		h->paused = false;
	}
	if (h->nbevs == 0)
		evtimer_del(h->sweep);
}

/* evhttp's bevcb: the bufferevent of each accepted connection. */
static struct bufferevent *
http_bev(struct event_base *base, void *arg)
{
	struct listd_http	*h = arg;
	struct bufferevent	*bev;
	struct timeval		 tv = { 1, 0 };

	bev = h->tls != NULL ? smtp_tls_server_bev(h->tls, base) :
	    bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	/* NULL: evhttp makes a plain one, which must not serve HTTPS
	 * clients; there is no way to refuse here, and it is memory
	 * that is short, so the handshake fails and the client goes. */
	if (bev == NULL)
		return NULL;
	bufferevent_incref(bev);
	h->bevs[h->nbevs++] = bev;
	if (h->nbevs == 1)
		evtimer_add(h->sweep, &tv);
	if (h->nbevs >= h->max && !h->paused) {
		evconnlistener_disable(h->lev);
		h->paused = true;
		log_info("http max connections %zu reached: not accepting",
		    h->max);
	}
	return bev;
}

/* ---- Requests ---- */

static void
peer(struct evhttp_request *req, char *out, size_t n)
{
	char		*addr = NULL;
	ev_uint16_t	 port = 0;

	evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr,
	    &port);
	snprintf(out, n, "%s", addr != NULL ? addr : "?");
}

/* Sends code with body (text/plain or text/html). */
static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, const char *body, size_t len)
{
	struct evkeyvalq	*oh = evhttp_request_get_output_headers(req);
	struct evbuffer		*b = evbuffer_new();

	evhttp_add_header(oh, "Content-Type", type);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(oh, "Referrer-Policy", "no-referrer");
	evhttp_add_header(oh, "Content-Security-Policy", "default-src "
	    "'none'; form-action 'self'; frame-ancestors 'none'");
	evhttp_add_header(oh, "Connection", "close");
	if (b == NULL) {
		evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	reply(req, code, reason, "text/plain; charset=utf-8", text,
	    strlen(text));
}

/* Appends s to b with the five characters HTML gives meaning to
 * escaped. */
static int
html_add(struct buf *b, const char *s, struct err *err)
{
	int	rc = 0;

	for (; *s != '\0' && rc == 0; s++)
		switch (*s) {
		case '&': rc = buf_adds(b, "&amp;", err); break;
		case '<': rc = buf_adds(b, "&lt;", err); break;
		case '>': rc = buf_adds(b, "&gt;", err); break;
		case '"': rc = buf_adds(b, "&quot;", err); break;
		case '\'': rc = buf_adds(b, "&#39;", err); break;
		default: rc = buf_addc(b, *s, err); break;
		}
	return rc;
}

/* GET: the page with the button; nothing changes. */
static void
page(struct evhttp_request *req, const struct listd_unsub_who *who,
    const char *token, bool member)
{
	struct buf	b;
	struct err	err;
	int		rc;

	buf_init(&b, 64 * 1024);
	rc = buf_adds(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8"
	    "\"><meta name=\"robots\" content=\"noindex\"><title>Unsubscribe"
	    "</title></head><body>\n<p>", &err);
	rc |= html_add(&b, who->address, &err);
	rc |= buf_adds(&b, member ? " is subscribed to " :
	    " is not subscribed to ", &err);
	rc |= html_add(&b, who->list, &err);
	rc |= buf_addc(&b, '@', &err);
	rc |= html_add(&b, who->domain, &err);
	rc |= buf_adds(&b, ".</p>\n", &err);
	if (member)
		rc |= buf_printf(&b, &err, "<form method=\"post\" action=\"/u/"
		    "%s\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
		    "value=\"One-Click\"><button type=\"submit\">Unsubscribe"
		    "</button></form>\n", token);
	rc |= buf_adds(&b, "</body></html>\n", &err);
	if (rc != 0)
		evhttp_send_error(req, 500, "Out of memory");
	else
		reply(req, 200, "OK", "text/html; charset=utf-8", b.data,
		    b.len);
	buf_fini(&b);
}

/* The key of the links, made at the first need (store_secret). */
static int
http_key(struct listd_http *h, struct err *err)
{
	int	rc;

	if (h->keyed)
		return 0;
	rc = listd_secret(h->ld->store, LISTD_UNSUB_SECRET, h->key,
	    sizeof(h->key), listd_now(h->ld), err);
	h->keyed = rc == 0;
	return rc;
}

/* POST: the form, then the removal. */
static void
unsubscribe(struct listd_http *h, struct evhttp_request *req,
    const struct listd_unsub_who *who, const char *ip)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*ctype, *body;
	size_t		 len = evbuffer_get_length(in);
	struct err	 err;
	char		 text[STORE_ADDR_MAX + STORE_NAME_MAX +
			    STORE_DOMAIN_MAX + 64];

	ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	body = len == 0 ? "" : (const char *)evbuffer_pullup(in, -1);
	if (body == NULL || !listd_unsub_is_one_click(ctype, body, len)) {
		log_info("http client=%s list=%s@%s address=<%s> refused: a "
		    "POST without List-Unsubscribe=One-Click", ip, who->list,
		    who->domain, who->address);
		reply_text(req, 400, "Bad Request", "This address takes a "
		    "POST of List-Unsubscribe=One-Click (RFC 8058).\n");
		return;
	}
	if (store_member_remove(h->ld->store, STORE_SUBSCRIBER, who->domain,
	    who->list, who->address, &err) == -1) {
		if (err.code == STORE_E_NOMEMBER) {
			log_info("http client=%s list=%s@%s address=<%s> "
			    "unsubscribe: not subscribed", ip, who->list,
			    who->domain, who->address);
			snprintf(text, sizeof(text), "%s is not subscribed to "
			    "%s@%s.\n", who->address, who->list, who->domain);
			reply_text(req, 200, "OK", text);
			return;
		}
		log_warn("http client=%s list=%s@%s address=<%s> unsubscribe "
		    "failed: %s", ip, who->list, who->domain, who->address,
		    err.msg);
		reply_text(req, err.code == STORE_E_NOLIST ? 404 : 503,
		    err.code == STORE_E_NOLIST ? "Not Found" :
		    "Service Unavailable", err.code == STORE_E_NOLIST ?
		    "No such list.\n" : "Please try again later.\n");
		return;
	}
	log_info("http client=%s list=%s@%s address=<%s> unsubscribed "
	    "(one-click)", ip, who->list, who->domain, who->address);
	snprintf(text, sizeof(text), "%s is unsubscribed from %s@%s.\n",
	    who->address, who->list, who->domain);
	reply_text(req, 200, "OK", text);
}

static void
http_request(struct evhttp_request *req, void *arg)
{
	struct listd_http	*h = arg;
	struct listd_unsub_who	 who;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const char		*path, *token;
	struct err		 err;
	char			 ip[64];
	int			 rc;

	peer(req, ip, sizeof(ip));
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || strncmp(path, "/u/", 3) != 0) {
		reply_text(req, 404, "Not Found", "Not found.\n");
		return;
	}
	token = path + 3;
	if (http_key(h, &err) == -1) {
		log_warn("http client=%s: the key: %s", ip, err.msg);
		reply_text(req, 503, "Service Unavailable", "Please try again "
		    "later.\n");
		return;
	}
	if (listd_unsub_check(h->key, token, strlen(token), &who, &err) ==
	    -1) {
		log_info("http client=%s refused: %s", ip, err.msg);
		if (err.code == ERR_CRYPTO)
			reply_text(req, 403, "Forbidden", "This link is not "
			    "valid.\n");
		else
			reply_text(req, 400, "Bad Request", "This link is "
			    "not valid.\n");
		return;
	}
	if (strcmp(who.domain, h->ld->set.domain) != 0 ||
	    (rc = store_member_is(h->ld->store, STORE_SUBSCRIBER, who.domain,
	    who.list, who.address, &err)) == -1) {
		if (strcmp(who.domain, h->ld->set.domain) != 0 ||
		    err.code == STORE_E_NOLIST) {
			log_info("http client=%s list=%s@%s refused: no such "
			    "list here", ip, who.list, who.domain);
			reply_text(req, 404, "Not Found", "No such list.\n");
		} else {
			log_warn("http client=%s list=%s@%s: %s", ip, who.list,
			    who.domain, err.msg);
			reply_text(req, 503, "Service Unavailable", "Please "
			    "try again later.\n");
		}
		return;
	}
	if (cmd == EVHTTP_REQ_POST)
		unsubscribe(h, req, &who, ip);
	else {
		log_info("http client=%s list=%s@%s address=<%s> page "
		    "(subscribed=%s)", ip, who.list, who.domain, who.address,
		    rc == 1 ? "yes" : "no");
		page(req, &who, token, rc == 1);
	}
}

/* ---- The interface ---- */

int
listd_http_start(struct listd *ld, struct err *err)
{
	struct listd_http	*h;
	const struct listd_conf	*c = &ld->set.conf;

	if (c->http_listen.len == 0)
		return 0;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->bevs = calloc((size_t)c->http_max_connections,
	    sizeof(*h->bevs))) == NULL) {
		free(h);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	h->ld = ld;
	h->max = (size_t)c->http_max_connections;
	ld->http = h;
	if (c->tls_cert != NULL && (h->tls = smtp_tls_server_new(c->tls_cert,
	    c->tls_key, err)) == NULL)
		goto fail;
	if ((h->sweep = event_new(ld->base, -1, EV_PERSIST, http_sweep,
	    h)) == NULL || (h->http = evhttp_new(ld->base)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((h->lev = evconnlistener_new_bind(ld->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	    LEV_OPT_REUSEABLE, 128, (const struct sockaddr *)
	    &c->http_listen.ss, (int)c->http_listen.len)) == NULL) {
		err_set(err, ERR_IO, "%s: cannot bind", c->http_listen.text);
		goto fail;
	}
	if (evhttp_bind_listener(h->http, h->lev) == NULL) {
		evconnlistener_free(h->lev);
		h->lev = NULL;
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(h->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->http, HTTP_BODY_MAX);
	evhttp_set_timeout(h->http, (int)c->http_timeout);
	evhttp_set_bevcb(h->http, http_bev, h);
	evhttp_set_gencb(h->http, http_request, h);
	log_info("http listen=%s %s max_connections=%zu url=%s",
	    c->http_listen.text, h->tls != NULL ? "https" : "plain",
	    h->max, ld->set.unsub_url);
	if (c->signer_milter.len == 0)
		log_warn("http: without --signer-milter no DKIM signature "
		    "covers the copies' List-Unsubscribe, and the large "
		    "mailbox providers ignore it");
	return 0;
fail:
	listd_http_stop(ld);
	return -1;
}

int
listd_http_update(struct listd *ld, const struct listd_settings *s,
    struct err *err)
{
	struct listd_http	*h = ld->http;
	struct smtp_tls_server	*t;

	if (h == NULL || h->tls == NULL || s->conf.tls_cert == NULL)
		return 0;	/* HTTPS or not is fixed at start */
	if ((t = smtp_tls_server_new(s->conf.tls_cert, s->conf.tls_key,
	    err)) == NULL)
		return -1;
	smtp_tls_server_free(h->tls);
	h->tls = t;
	return 0;
}

void
listd_http_stop(struct listd *ld)
{
	struct listd_http	*h = ld->http;
	size_t			 i;

	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);	/* its connections, its listener */
	else if (h->lev != NULL)
		evconnlistener_free(h->lev);
	for (i = 0; i < h->nbevs; i++)
		bufferevent_decref(h->bevs[i]);
	if (h->sweep != NULL)
		event_free(h->sweep);
	smtp_tls_server_free(h->tls);
	key_wipe(h->key, sizeof(h->key));
	free(h->bevs);
	free(h);
	ld->http = NULL;
}
