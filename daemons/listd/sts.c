/*
 * sts.c: MTA-STS (RFC 8461) on timbre-listd's way out.  Once mx.c knows
 * a domain's mail hosts, the TXT record _mta-sts.DOMAIN is asked through
 * --resolver; when it is there (v=STSv1; id=...) and the policy cached
 * for the domain has another id or has expired, the policy is fetched
 * from https://mta-sts.DOMAIN/.well-known/mta-sts.txt, its certificate
 * PKIX-valid for that name (--tls-ca-file, or the system's CAs), HTTP
 * 200, text/plain, no redirect followed, the body 64 KiB at most; then
 * mx.c keeps the hosts the policy allows (listd_dom_sts_done) and
 * deliver.c asks the transport for a certificate valid for the host
 * (SMTP_TLS_PKIX).  A failed TXT look-up or fetch keeps a cached policy
 * that has not expired (section 3.3, 5.1); without one the domain has
 * no policy.  The cache is in memory only (lost at a restart, when every
 * policy is fetched again) and bounded by LISTD_STS_CACHE domains.
 *
 * The fetch runs on a thread of its own, one per fetch, over a blocking
 * OpenSSL connection on a non-blocking socket waited on with poll(2)
 * until one deadline (LISTD_STS_FETCH_S seconds): the loop never waits
 * on a web server.  A thread keeps OpenSSL's handshake and the reads a
 * straight line (a loop-driven bufferevent would need a second TLS
 * client beside src/smtp's for one GET), costs nothing when no domain
 * has a policy, and is bounded in number by the domains resolving at
 * once.  It touches nothing of the loop's: its questions and answers are
 * in struct sts_fetch, and it says it is done by writing a byte to a
 * socketpair the loop watches; the loop cancels it (shutdown) by writing
 * the other way, which its poll(2) also watches, then joins it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "deliver_priv.h"
#include "dns/dns.h"
#include "mail/mtasts.h"
#include "util/err.h"
#include "util/log.h"

#define STS_ADDRS	8		/* addresses of mta-sts.DOMAIN tried */
#define STS_HEAD_MAX	16384		/* bytes of the response's header */

/* A fetch: what the thread is given, and what it gives back. */
struct sts_fetch {
	struct listd_sts	*e;
	struct listd_dom	*dom;		/* waiting for it */
	pthread_t		 thread;
	bool			 started;
	int			 sv[2];		/* [0] the loop's, [1] its */
	struct event		*ev;
	unsigned		 pending;	/* A, AAAA questions */
	char			 host[STORE_DOMAIN_MAX + 16];
	uint16_t		 port;
	const char		*ca_file;
	struct sockaddr_storage	 addrs[STS_ADDRS];
	socklen_t		 addrlen[STS_ADDRS];
	size_t			 naddr;
	/* The thread's answer. */
	int			 rc;		/* 0: pol is the policy */
	struct mail_sts_policy	 pol;
	char			 why[256];
};

/* ---- The cache (pure; the unit suite runs it) ---- */

enum listd_sts_next
listd_sts_decide(const struct listd_sts *e, enum listd_sts_txt txt,
    const char *id, time_t now)
{
	bool	fresh = e != NULL && e->have && now < e->expires;

	switch (txt) {
	case LISTD_STS_TXT_FOUND:
		/* Section 3.3: a new id means a new policy to fetch. */
		if (fresh && strcmp(e->id, id) == 0)
			return LISTD_STS_USE;
		return LISTD_STS_FETCH;
	case LISTD_STS_TXT_NONE:
	case LISTD_STS_TXT_FAILED:
		break;
	}
	/* Section 5.1: a cached policy is used until it expires, TXT
	 * record or not. */
	return fresh ? LISTD_STS_USE : LISTD_STS_NONE;
}

void
listd_sts_store(struct listd_sts *e, const char *id,
    const struct mail_sts_policy *pol, time_t now)
{
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->pol = *pol;
	e->have = true;
	e->expires = now + pol->max_age;
}

struct listd_sts *
listd_sts_entry(struct listd_sts_cache *c, const char *name, time_t now)
{
	struct listd_sts	*e, *next, *oldest = NULL;

	LIST_FOREACH(e, &c->entries, entry)
		if (strcasecmp(e->name, name) == 0)
			return e;
	/* Room: the expired go first, then the one that expires first;
	 * never one a fetch still writes into. */
	for (e = LIST_FIRST(&c->entries); e != NULL; e = next) {
		next = LIST_NEXT(e, entry);
		if (e->busy)
			continue;
		if (!e->have || now >= e->expires) {
			LIST_REMOVE(e, entry);
			c->n--;
			free(e);
		} else if (oldest == NULL || e->expires < oldest->expires)
			oldest = e;
	}
	if (c->n >= LISTD_STS_CACHE && oldest != NULL) {
		LIST_REMOVE(oldest, entry);
		c->n--;
		free(oldest);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->name, sizeof(e->name), "%s", name);
	LIST_INSERT_HEAD(&c->entries, e, entry);
	c->n++;
	return e;
}

void
listd_sts_cache_free(struct listd_sts_cache *c)
{
	struct listd_sts	*e;

	while ((e = LIST_FIRST(&c->entries)) != NULL) {
		LIST_REMOVE(e, entry);
		free(e);
	}
	c->n = 0;
}

bool
listd_sts_host_ok(const struct mail_sts_policy *pol, const char *host)
{
	size_t	i;

	for (i = 0; i < pol->nmx; i++)
		if (mail_sts_mx_match(pol->mx[i], host))
			return true;
	return false;
}

/* ---- The fetch thread ---- */

/* One byte to the other end of the socketpair: "done" or "cancel".
 * Its failure leaves nothing to do: the other side then sees the end
 * of the thread's deadline, or the loop's join waits for it. */
static void
sts_poke(int fd)
{
	char	c = 1;
	ssize_t	n = write(fd, &c, 1);

	(void)n;
}

static long
ms_until(const struct timespec *end)
{
	struct timespec	now;
	long		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Waits until fd can do what, the loop's cancel or end.  0, or -1
 * (f->why). */
static int
fetch_wait(struct sts_fetch *f, int fd, short what,
    const struct timespec *end)
{
	struct pollfd	pfd[2];
	long		ms;
	int		n;

	for (;;) {
		if ((ms = ms_until(end)) == 0) {
			snprintf(f->why, sizeof(f->why), "timed out");
			return -1;
		}
		pfd[0].fd = fd;
		pfd[0].events = what;
		pfd[1].fd = f->sv[1];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, 2, (int)ms);
		if (n > 0 && pfd[1].revents != 0) {
			snprintf(f->why, sizeof(f->why), "cancelled");
			return -1;
		}
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			snprintf(f->why, sizeof(f->why), "poll: %s",
			    strerror(errno));
			return -1;
		}
	}
}

/* After an SSL call returned rc: waits for what it wants.  0 to call
 * again, -1 (f->why) when it failed. */
static int
fetch_ssl_wait(struct sts_fetch *f, SSL *ssl, int fd, int rc,
    const char *what, const struct timespec *end)
{
	unsigned long	e;
	long		v;

	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return fetch_wait(f, fd, POLLIN, end);
	case SSL_ERROR_WANT_WRITE:
		return fetch_wait(f, fd, POLLOUT, end);
	default:
		break;
	}
	e = ERR_get_error();
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(f->why, sizeof(f->why), "%s: certificate: %s", what,
		    X509_verify_cert_error_string(v));
	else
		snprintf(f->why, sizeof(f->why), "%s: %s", what, e != 0 ?
		    ERR_reason_error_string(e) : "connection closed");
	ERR_clear_error();
	return -1;
}

/* A connected non-blocking socket to sa, or -1 (f->why). */
static int
fetch_connect(struct sts_fetch *f, const struct sockaddr *sa, socklen_t len,
    const struct timespec *end)
{
	socklen_t	elen = sizeof(int);
	int		fd, e = 0;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(f->why, sizeof(f->why), "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (connect(fd, sa, len) == -1 && errno != EINPROGRESS) {
		snprintf(f->why, sizeof(f->why), "connect: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (fetch_wait(f, fd, POLLOUT, end) == -1)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 || e != 0) {
		snprintf(f->why, sizeof(f->why), "connect: %s",
		    strerror(e != 0 ? e : errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* GETs the policy over ssl into buf (up to cap bytes, *len).  0 when
 * the response ended within cap, -1 (f->why) when not. */
static int
fetch_get(struct sts_fetch *f, SSL *ssl, int fd, char *buf, size_t cap,
    size_t *len, const struct timespec *end)
{
	char	req[STORE_DOMAIN_MAX + 160];
	int	n, rc, e;

	*len = 0;
	/* HTTP/1.0: the answer ends with the connection, never chunked;
	 * the port in Host only when not 443 (RFC 7230 section 5.4). */
	if (f->port == 443)
		n = snprintf(req, sizeof(req), "GET /.well-known/mta-sts.txt "
		    "HTTP/1.0\r\nHost: %s\r\nUser-Agent: timbre-listd\r\n"
		    "Connection: close\r\n\r\n", f->host);
	else
		n = snprintf(req, sizeof(req), "GET /.well-known/mta-sts.txt "
		    "HTTP/1.0\r\nHost: %s:%u\r\nUser-Agent: timbre-listd\r\n"
		    "Connection: close\r\n\r\n", f->host, (unsigned)f->port);
	while ((rc = SSL_write(ssl, req, n)) <= 0)
		if (fetch_ssl_wait(f, ssl, fd, rc, "HTTPS write", end) == -1)
			return -1;
	for (;;) {
		if (*len == cap) {
			snprintf(f->why, sizeof(f->why), "the response is "
			    "longer than %zu bytes (RFC 8461 section 3.2: a "
			    "policy of 64 KiB at most)", cap - STS_HEAD_MAX);
			return -1;
		}
		rc = SSL_read(ssl, buf + *len, (int)(cap - *len));
		if (rc > 0) {
			*len += (size_t)rc;
			continue;
		}
		e = SSL_get_error(ssl, rc);
		/* A server that closes without close_notify still sent its
		 * whole HTTP/1.0 response. */
		if (e == SSL_ERROR_ZERO_RETURN || (*len > 0 &&
		    (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL))) {
			ERR_clear_error();
			return 0;
		}
		if (fetch_ssl_wait(f, ssl, fd, rc, "HTTPS read", end) == -1)
			return -1;
	}
}

/* The response in buf[0..len): the policy in f->pol, or -1 (f->why). */
static int
fetch_judge(struct sts_fetch *f, const char *buf, size_t len)
{
	struct mail_http	 h;
	const char		*why;
	char			 pwhy[128];

	if (mail_http_parse(buf, len, &h, &why) == -1) {
		snprintf(f->why, sizeof(f->why), "%s", why);
		return -1;
	}
	/* Section 3.3: redirects are not followed. */
	if (h.status != 200) {
		snprintf(f->why, sizeof(f->why), "HTTP status %d%s", h.status,
		    h.has_location ? " (a redirect, not followed)" : "");
		return -1;
	}
	if (h.chunked) {
		snprintf(f->why, sizeof(f->why), "a chunked answer to "
		    "HTTP/1.0");
		return -1;
	}
	if (!mail_http_is_text_plain(&h)) {
		snprintf(f->why, sizeof(f->why), "Content-Type is not "
		    "text/plain");
		return -1;
	}
	if (mail_sts_parse(h.body, h.body_len, &f->pol, pwhy,
	    sizeof(pwhy)) == -1) {
		snprintf(f->why, sizeof(f->why), "policy: %s", pwhy);
		return -1;
	}
	return 0;
}

static void *
fetch_main(void *arg)
{
	struct sts_fetch	*f = arg;
	struct timespec		 end;
	SSL_CTX			*ctx = NULL;
	SSL			*ssl;
	char			*buf = NULL;
	size_t			 cap = MAIL_STS_MAX_BODY + STS_HEAD_MAX, len, i;
	int			 fd, rc;
	bool			 answered = false;

	f->rc = -1;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += LISTD_STS_FETCH_S;
	if ((buf = malloc(cap)) == NULL ||
	    (ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(f->why, sizeof(f->why), "out of memory");
		goto out;
	}
	if ((f->ca_file != NULL ? SSL_CTX_load_verify_locations(ctx,
	    f->ca_file, NULL) : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		snprintf(f->why, sizeof(f->why), "the CA file does not load");
		goto out;
	}
	/* Section 3.3: a certificate valid for mta-sts.DOMAIN by PKIX. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	for (i = 0; i < f->naddr && f->rc == -1; i++) {
		if ((fd = fetch_connect(f, (struct sockaddr *)&f->addrs[i],
		    f->addrlen[i], &end)) == -1)
			continue;
		if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
		    SSL_set_tlsext_host_name(ssl, f->host) != 1 ||
		    SSL_set1_host(ssl, f->host) != 1) {
			snprintf(f->why, sizeof(f->why), "out of memory");
			goto next;
		}
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		while ((rc = SSL_connect(ssl)) != 1)
			if (fetch_ssl_wait(f, ssl, fd, rc, "TLS handshake",
			    &end) == -1)
				goto next;
		/* The server proved itself: what it says is the answer,
		 * good or bad; another address is not asked. */
		answered = true;
		if (fetch_get(f, ssl, fd, buf, cap, &len, &end) == 0 &&
		    fetch_judge(f, buf, len) == 0)
			f->rc = 0;
next:
		SSL_free(ssl);
		close(fd);
		if (answered || strcmp(f->why, "cancelled") == 0 ||
		    strcmp(f->why, "timed out") == 0)
			break;
	}
	if (f->naddr == 0)
		snprintf(f->why, sizeof(f->why), "no address");
out:
	SSL_CTX_free(ctx);
	free(buf);
	ERR_clear_error();
	sts_poke(f->sv[1]);
	return NULL;
}

/* ---- The loop's side ---- */

static void
fetch_free(struct sts_fetch *f)
{
	if (f->started) {
		/* Cancel it (a no-op if it is done), then wait for it. */
		sts_poke(f->sv[0]);
		pthread_join(f->thread, NULL);
	}
	if (f->ev != NULL)
		event_free(f->ev);
	if (f->sv[0] != -1)
		close(f->sv[0]);
	if (f->sv[1] != -1)
		close(f->sv[1]);
	if (f->e != NULL)
		f->e->busy = false;
	free(f);
}

/* The domain knows its policy (or that there is none): mx.c goes on. */
static void
sts_settle(struct listd_dom *dom, const struct listd_sts *e)
{
	dom->sts_fetch = NULL;
	dom->sts_mode = MAIL_STS_NONE;
	if (e != NULL && e->have) {
		dom->sts_mode = e->pol.mode;
		dom->sts_pol = &e->pol;
	}
	listd_dom_sts_done(dom);
	dom->sts_pol = NULL;
}

static void
fetch_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetch	*f = arg;
	struct listd_dom	*dom = f->dom;
	struct listd_deliver	*d = dom->d;
	struct listd_sts	*e = f->e;
	time_t			 now = listd_deliver_now(d);
	bool			 ok;

	(void)fd;
	(void)what;
	pthread_join(f->thread, NULL);
	f->started = false;
	if (f->rc == 0) {
		d->stats.sts_fetched++;
		listd_sts_store(e, e->want_id, &f->pol, now);
		log_info("deliver domain %s: MTA-STS policy id %s: mode %s, "
		    "max_age %ld, %zu mx pattern%s", dom->name, e->id,
		    mail_sts_mode_str(e->pol.mode), e->pol.max_age,
		    e->pol.nmx, e->pol.nmx == 1 ? "" : "s");
	} else {
		d->stats.sts_fetch_failed++;
		log_info("deliver domain %s: MTA-STS policy id %s not taken "
		    "from https://%s/.well-known/mta-sts.txt: %s; %s",
		    dom->name, e->want_id, f->host, f->why,
		    listd_sts_decide(e, LISTD_STS_TXT_NONE, NULL, now) ==
		    LISTD_STS_USE ? "the cached policy stays" :
		    "no policy");
	}
	/* A policy just fetched applies even with max_age 0. */
	ok = f->rc == 0;
	fetch_free(f);
	sts_settle(dom, ok || listd_sts_decide(e, LISTD_STS_TXT_NONE, NULL,
	    now) == LISTD_STS_USE ? e : NULL);
}

/* Every address of mta-sts.DOMAIN is in: the thread starts. */
static void
fetch_start(struct sts_fetch *f)
{
	struct listd_dom	*dom = f->dom;
	struct listd_deliver	*d = dom->d;

	int			 e = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sv) == -1 ||
	    (f->ev = event_new(d->base, f->sv[0], EV_READ, fetch_done_cb,
	    f)) == NULL || event_add(f->ev, NULL) == -1 ||
	    (e = pthread_create(&f->thread, NULL, fetch_main, f)) != 0) {
		/* pthread_create says why itself, the others in errno. */
		log_warn("deliver domain %s: MTA-STS fetch: cannot start: %s",
		    dom->name, strerror(e != 0 ? e : errno));
		d->stats.sts_fetch_failed++;
		fetch_free(f);
		sts_settle(dom, NULL);
		return;
	}
	f->started = true;
}

static void
fetch_addr_cb(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct sts_fetch	*f = arg;
	struct dns_addr		*a = NULL;
	struct err		 err;
	size_t			 n = 0, i;

	/* The answer to A or to AAAA: whichever has addresses. */
	if (st == DNS_OK) {
		if (dns_msg_addrs(msg, f->host, DNS_T_A, &a, &n, &err) == -1)
			n = 0;
		if (n == 0 && dns_msg_addrs(msg, f->host, DNS_T_AAAA, &a, &n,
		    &err) == -1)
			n = 0;
	}
	for (i = 0; i < n && f->naddr < STS_ADDRS; i++) {
		struct sockaddr_storage	*ss = &f->addrs[f->naddr];

		memset(ss, 0, sizeof(*ss));
		if (a[i].family == AF_INET) {
			struct sockaddr_in	*sin = (void *)ss;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(f->port);
			memcpy(&sin->sin_addr, a[i].addr, 4);
			f->addrlen[f->naddr++] = sizeof(*sin);
		} else {
			struct sockaddr_in6	*sin6 = (void *)ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(f->port);
			memcpy(&sin6->sin6_addr, a[i].addr, 16);
			f->addrlen[f->naddr++] = sizeof(*sin6);
		}
	}
	free(a);
	if (--f->pending == 0)
		fetch_start(f);
}

/* The policy of e (a new id in e->want_id) is to be fetched for dom. */
static void
fetch_policy(struct listd_dom *dom, struct listd_sts *e)
{
	struct listd_deliver	*d = dom->d;
	struct sts_fetch	*f;
	struct err		 err;
	static const uint16_t	 types[2] = { DNS_T_A, DNS_T_AAAA };
	unsigned		 t;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		sts_settle(dom, listd_sts_decide(e, LISTD_STS_TXT_NONE, NULL,
		    listd_deliver_now(d)) == LISTD_STS_USE ? e : NULL);
		return;
	}
	f->sv[0] = f->sv[1] = -1;
	f->e = e;
	f->dom = dom;
	f->port = d->cfg.mta_sts_port != 0 ? d->cfg.mta_sts_port : 443;
	f->ca_file = d->cfg.tls_ca_file;
	snprintf(f->host, sizeof(f->host), "mta-sts.%s", dom->name);
	e->busy = true;
	dom->sts_fetch = f;
	for (t = 0; t < 2; t++)
		if (dns_stub_query(d->dns, f->host, types[t], fetch_addr_cb, f,
		    &err) == 0)
			f->pending++;
	if (f->pending == 0)
		fetch_start(f);
}

static void
txt_cb(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct listd_dom	*dom = arg;
	struct listd_deliver	*d = dom->d;
	struct listd_sts	*e;
	enum listd_sts_txt	 txt = LISTD_STS_TXT_NONE;
	struct dns_txt		*txts = NULL;
	struct err		 err;
	size_t			 n = 0, i, found = 0;
	char			 id[MAIL_STS_ID_LEN + 1] = "", one[sizeof(id)];
	int			 r;
	time_t			 now = listd_deliver_now(d);

	if (st == DNS_OK && dns_msg_txts_bin(msg, NULL, &txts, &n,
	    &err) == 0) {
		/* Section 3.1: exactly one record that begins with
		 * v=STSv1, and valid; else no policy here. */
		for (i = 0; i < n; i++) {
			r = mail_sts_txt_parse(txts[i].data, txts[i].len, one);
			if (r == -1)
				continue;
			found++;
			if (r == 0 && found == 1)
				memcpy(id, one, sizeof(id));
			else
				id[0] = '\0';
		}
		dns_txts_bin_free(txts, n);
		if (found == 1 && id[0] != '\0')
			txt = LISTD_STS_TXT_FOUND;
		else if (found > 0)
			log_info("deliver domain %s: _mta-sts TXT: %s",
			    dom->name, found > 1 ? "more than one STSv1 "
			    "record" : "an STSv1 record that does not parse");
	} else if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN)
		txt = LISTD_STS_TXT_FAILED;
	e = listd_sts_entry(&d->sts, dom->name, now);
	if (e == NULL) {
		sts_settle(dom, NULL);
		return;
	}
	switch (listd_sts_decide(e, txt, id, now)) {
	case LISTD_STS_USE:
		sts_settle(dom, e);
		break;
	case LISTD_STS_FETCH:
		snprintf(e->want_id, sizeof(e->want_id), "%s", id);
		fetch_policy(dom, e);
		break;
	case LISTD_STS_NONE:
		sts_settle(dom, NULL);
		break;
	}
}

void
listd_sts_resolve(struct listd_dom *dom)
{
	struct listd_deliver	*d = dom->d;
	struct err		 err;
	char			 name[STORE_DOMAIN_MAX + 16];

	snprintf(name, sizeof(name), "_mta-sts.%s", dom->name);
	if (dns_stub_query(d->dns, name, DNS_T_TXT, txt_cb, dom, &err) == -1)
		txt_cb(DNS_SERVFAIL, NULL, dom);
}

void
listd_sts_cancel(struct listd_dom *dom)
{
	if (dom->sts_fetch != NULL) {
		fetch_free(dom->sts_fetch);
		dom->sts_fetch = NULL;
	}
}
