/*
 * upstream.c: one exchange with an authoritative server for the engine:
 * over UDP from a fresh socket bound to a random port of
 * --port-outgoing-range and connected to the server, so that only its
 * datagrams arrive, and only those carrying the query's ID are taken (RFC
 * 5452 sections 4 and 9.2); over TCP with two-byte framing (RFC 7766
 * section 8) when the engine asks for it after a truncated answer.  One
 * attempt per call: retrying another server is the engine's choice.
 * An exchange holds no buffer for the answer: a datagram is read into
 * the stack, a TCP answer stays in its bufferevent (one message at
 * most), and the engine gets a copy of just the bytes received.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "resolverd.h"
#include "keys/mac.h"

#define UDP_TIMEOUT_MS	1000
#define TCP_TIMEOUT_MS	3000
#define BIND_TRIES	16
#define MSG_MAX		65535

struct upstream {
	struct event_base	*base;
	upstream_cb		*cb;
	void			*arg;
	uint16_t		 id;
	uint64_t		*wrong_id;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_timer;
	struct bufferevent	*bev;
	struct timeval		 start;
};

uint16_t
resolverd_random16(void)
{
	static uint8_t	pool[512];
	static size_t	left;
	uint16_t	v;

	if (left < 2) {
		if (key_random(pool, sizeof(pool), NULL) == -1)
			abort();	/* no randomness: no safe query */
		left = sizeof(pool);
	}
	left -= 2;
	v = (uint16_t)(pool[left] << 8 | pool[left + 1]);
	return v;
}

uint32_t
resolverd_random32(void *arg)
{
	(void)arg;
	return (uint32_t)resolverd_random16() << 16 | resolverd_random16();
}

static unsigned
elapsed_ms(const struct timeval *start)
{
	struct timeval	now, d;

	gettimeofday(&now, NULL);
	timersub(&now, start, &d);
	return (unsigned)(d.tv_sec * 1000 + d.tv_usec / 1000);
}

static void
upstream_finish(struct upstream *u, const uint8_t *data, size_t len)
{
	upstream_cb	*cb = u->cb;
	void		*arg = u->arg;
	unsigned	 rtt = elapsed_ms(&u->start);
	uint8_t		*copy = NULL;

	if (data != NULL && (copy = malloc(len)) != NULL)
		memcpy(copy, data, len);
	upstream_cancel(u);
	cb(copy, copy != NULL ? len : 0, rtt, arg);
	free(copy);
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct upstream	*u = arg;
	uint8_t		 buf[MSG_MAX];
	ssize_t		 n;

	(void)what;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			upstream_finish(u, NULL, 0);	/* unreachable */
			return;
		}
		/*
		 * Another ID is not the answer (nor proof of an attack:
		 * a late answer to an earlier query of the same port is
		 * one too), counted and logged at debug level, so that
		 * a spoofer's flood shows without filling the log.
		 */
		if (n >= 12 && (buf[0] << 8 | buf[1]) == u->id &&
		    (buf[2] & 0x80) != 0) {
			upstream_finish(u, buf, (size_t)n);
			return;
		}
		(*u->wrong_id)++;
		log_debug("resolver upstream datagram of %zd octets with"
		    " another ID than %u: ignored", n, u->id);
	}
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	upstream_finish(arg, NULL, 0);
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	struct upstream	*u = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[2], *p;
	size_t		 len;

	if (evbuffer_copyout(in, hdr, 2) != 2)
		return;
	len = (size_t)(hdr[0] << 8 | hdr[1]);
	if (evbuffer_get_length(in) < len + 2)
		return;
	if ((p = evbuffer_pullup(in, len + 2)) == NULL)
		upstream_finish(u, NULL, 0);
	else
		upstream_finish(u, p + 2, len);	/* copied before freed */
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		upstream_finish(arg, NULL, 0);
}

/* A UDP socket bound to a random port of the range, connected to to. */
static int
udp_socket(const struct res_request *req, uint16_t lo, uint16_t hi)
{
	struct sockaddr_storage	 ss;
	int			 fd, i;
	uint16_t		 port;

	if ((fd = socket(req->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	for (i = 0; i < BIND_TRIES; i++) {
		port = (uint16_t)(lo + resolverd_random16() %
		    ((unsigned)hi - lo + 1));
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = req->addr.ss_family;
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		if (bind(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)) == 0)
			break;
	}
	if (i == BIND_TRIES || connect(fd, (const struct sockaddr *)&req->addr,
	    req->addrlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

struct upstream *
upstream_send(struct event_base *base, const struct res_request *req,
    uint16_t lo, uint16_t hi, uint64_t *wrong_id, upstream_cb *cb, void *arg)
{
	struct upstream	*u;
	struct timeval	 tv;
	uint8_t		 hdr[2];

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->base = base;
	u->cb = cb;
	u->arg = arg;
	u->id = req->id;
	u->wrong_id = wrong_id;
	u->fd = -1;
	gettimeofday(&u->start, NULL);
	if ((u->ev_timer = evtimer_new(base, on_timeout, u)) == NULL)
		goto fail;
	if (!req->tcp) {
		if ((u->fd = udp_socket(req, lo, hi)) == -1 ||
		    (u->ev_read = event_new(base, u->fd, EV_READ | EV_PERSIST,
		    udp_read, u)) == NULL || event_add(u->ev_read, NULL) ==
		    -1)
			goto fail;
		/* A refused send (ICMP) shows as a read error: time out then. */
		(void)send(u->fd, req->wire, req->len, 0);
		tv.tv_sec = UDP_TIMEOUT_MS / 1000;
		tv.tv_usec = (UDP_TIMEOUT_MS % 1000) * 1000;
	} else {
		if ((u->bev = bufferevent_socket_new(base, -1,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			goto fail;
		bufferevent_setcb(u->bev, tcp_read, NULL, tcp_event, u);
		/* One message is all an exchange reads. */
		bufferevent_setwatermark(u->bev, EV_READ, 0, 2 + MSG_MAX);
		hdr[0] = (uint8_t)(req->len >> 8);
		hdr[1] = (uint8_t)req->len;
		if (bufferevent_write(u->bev, hdr, 2) == -1 ||
		    bufferevent_write(u->bev, req->wire, req->len) == -1 ||
		    bufferevent_enable(u->bev, EV_READ | EV_WRITE) == -1 ||
		    bufferevent_socket_connect(u->bev,
		    (const struct sockaddr *)&req->addr, (int)req->addrlen) ==
		    -1)
			goto fail;
		tv.tv_sec = TCP_TIMEOUT_MS / 1000;
		tv.tv_usec = (TCP_TIMEOUT_MS % 1000) * 1000;
	}
	evtimer_add(u->ev_timer, &tv);
	return u;
fail:
	upstream_cancel(u);
	return NULL;
}

void
upstream_cancel(struct upstream *u)
{
	if (u == NULL)
		return;
	if (u->ev_read != NULL)
		event_free(u->ev_read);
	if (u->ev_timer != NULL)
		event_free(u->ev_timer);
	if (u->bev != NULL)
		bufferevent_free(u->bev);
	if (u->fd != -1)
		close(u->fd);
	free(u);
}
