/*
 * stub.c: the asynchronous DNS stub client: one server, questions sent
 * over UDP from a fresh connected socket (so a random source port, RFC
 * 5452 section 9.2) with a random ID, EDNS0 (RFC 6891), retransmitted on
 * timeout; re-asked over TCP with two-byte length framing when the answer
 * is truncated (RFC 7766 sections 5 and 8), or over TCP only; re-asked
 * without EDNS when the server answers FORMERR to it (RFC 6891 section 7).
 *
 * On UDP, a datagram that does not answer the question (wrong source,
 * ID, question, or unparsable) is dropped and the client keeps waiting, so
 * a spoofer has to guess port and ID inside the window (RFC 5452 section
 * 4).  On TCP the peer is the server, so a bad answer ends the query as
 * DNS_MALFORMED.
 *
 * Each query runs a sequence of exchanges (UDP with EDNS, then perhaps
 * UDP without it, then perhaps TCP), each of 1 + retries attempts of
 * timeout_ms.  One timer per query serves as the attempt timeout and, at
 * zero delay, to move on from a failed attempt, so that a callback is
 * always called from the event loop, never from dns_stub_query().  A query
 * is unlinked from its stub before its callback runs, so the callback may
 * free the stub or ask new questions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns/dns_priv.h"
#include "keys/mac.h"
#include "util/err.h"

#define DEFAULT_TIMEOUT_MS	2000
#define DEFAULT_RETRIES		2
#define MAX_RETRIES		16
#define MAX_TIMEOUT_MS		(3600 * 1000)
#define UDP_READS_PER_WAKE	32	/* datagrams drained per wake-up */

struct dns_query {
	TAILQ_ENTRY(dns_query)	 entry;
	struct dns_stub		*stub;
	dns_stub_cb		*cb;
	void			*arg;
	ldns_rdf		*qname;
	uint16_t		 type;
	uint16_t		 id;
	int			 edns;		/* the query carries OPT */
	int			 tcp;		/* this exchange is over TCP */
	int			 tries;		/* attempts left after this */
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;	/* TCP only */
	struct event		*ev_timer;
	uint8_t			*out;		/* length + query (RFC 7766) */
	size_t			 outlen;
	size_t			 outoff;	/* TCP bytes written */
	uint8_t			 inhdr[2];	/* TCP length read so far */
	size_t			 inhdrlen;
	uint8_t			*in;		/* TCP answer */
	size_t			 inlen, inoff;
};

TAILQ_HEAD(dns_queries, dns_query);

struct dns_stub {
	struct event_base	*base;
	struct dns_server	 server;
	struct timeval		 timeout;
	int			 retries;
	size_t			 edns_size;
	bool			 dnssec;	/* AD=1, DO=1 */
	bool			 cd;		/* CD=1 */
	struct dns_queries	 queries;
	size_t			 npending;
	uint8_t			*rbuf;		/* one UDP datagram */
};

static void	query_udp_read(evutil_socket_t, short, void *);
static void	query_tcp_read(evutil_socket_t, short, void *);
static void	query_tcp_write(evutil_socket_t, short, void *);
static void	query_timer(evutil_socket_t, short, void *);

struct dns_stub *
dns_stub_new(struct event_base *base, const struct dns_server *server,
    const struct dns_stub_opts *opts, struct err *err)
{
	struct dns_stub	*stub;
	int		 ms = DEFAULT_TIMEOUT_MS, retries = DEFAULT_RETRIES;
	size_t		 edns = DNS_DEFAULT_EDNS;

	if (base == NULL || server == NULL ||
	    (server->addr.ss_family != AF_INET &&
	    server->addr.ss_family != AF_INET6) ||
	    server->addrlen == 0 || server->addrlen > sizeof(server->addr)) {
		err_set(err, ERR_ARG, "dns stub: no usable server address");
		return NULL;
	}
	/* Zero means the default, so that { 0 } asks for the defaults. */
	if (opts != NULL) {
		if (opts->timeout_ms > 0)
			ms = opts->timeout_ms;
		if (opts->retries != 0)
			retries = opts->retries < 0 ? 0 : opts->retries;
		if (opts->edns_size != 0)
			edns = opts->edns_size;
	}
	if (ms > MAX_TIMEOUT_MS)
		ms = MAX_TIMEOUT_MS;
	if (retries > MAX_RETRIES)
		retries = MAX_RETRIES;
	if (edns < DNS_MIN_EDNS)
		edns = DNS_MIN_EDNS;
	if (edns > DNS_MAX_MSG)
		edns = DNS_MAX_MSG;
	if ((stub = calloc(1, sizeof(*stub))) == NULL ||
	    (stub->rbuf = malloc(DNS_MAX_MSG)) == NULL) {
		free(stub);
		err_set(err, ERR_NOMEM, "dns stub: out of memory");
		return NULL;
	}
	stub->base = base;
	stub->server = *server;
	stub->timeout.tv_sec = ms / 1000;
	stub->timeout.tv_usec = (ms % 1000) * 1000;
	stub->retries = retries;
	stub->edns_size = edns;
	stub->dnssec = opts != NULL && opts->dnssec;
	stub->cd = opts != NULL && opts->cd;
	TAILQ_INIT(&stub->queries);
	return stub;
}

/* Closes the attempt's socket and frees its transfer state. */
static void
query_close(struct dns_query *q)
{
	if (q->ev_read != NULL)
		event_free(q->ev_read);
	if (q->ev_write != NULL)
		event_free(q->ev_write);
	q->ev_read = q->ev_write = NULL;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
	free(q->in);
	q->in = NULL;
	q->inlen = q->inoff = q->inhdrlen = q->outoff = 0;
}

static void
query_free(struct dns_query *q)
{
	if (q == NULL)
		return;
	query_close(q);
	if (q->ev_timer != NULL)
		event_free(q->ev_timer);
	ldns_rdf_deep_free(q->qname);
	free(q->out);
	free(q);
}

void
dns_stub_free(struct dns_stub *stub)
{
	struct dns_query	*q;

	if (stub == NULL)
		return;
	while ((q = TAILQ_FIRST(&stub->queries)) != NULL) {
		TAILQ_REMOVE(&stub->queries, q, entry);
		query_free(q);
	}
	free(stub->rbuf);
	free(stub);
}

size_t
dns_stub_pending(const struct dns_stub *stub)
{
	return stub->npending;
}

/*
 * Ends q: unlinked first, so that the callback may free the stub or ask
 * again; q itself is freed after the callback returns.  msg is consumed.
 */
static void
query_done(struct dns_query *q, enum dns_status status, struct dns_msg *msg)
{
	struct dns_stub	*stub = q->stub;

	TAILQ_REMOVE(&stub->queries, q, entry);
	stub->npending--;
	query_close(q);
	event_del(q->ev_timer);
	if (status != DNS_OK && status != DNS_NODATA &&
	    status != DNS_NXDOMAIN) {
		dns_msg_free(msg);
		msg = NULL;
	}
	q->cb(status, msg, q->arg);
	dns_msg_free(msg);
	query_free(q);
}

/*
 * The attempt is over without an answer: the timer, due now, starts the
 * next from the loop (or ends the query when none is left).
 */
static void
query_attempt_failed(struct dns_query *q)
{
	static const struct timeval	now = { 0, 0 };

	query_close(q);
	evtimer_add(q->ev_timer, &now);
}

static int
query_socket(struct dns_query *q, struct err *err)
{
	const struct dns_server	*srv = &q->stub->server;
	int			 type;

	type = (q->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
	    SOCK_CLOEXEC;
	if ((q->fd = socket(srv->addr.ss_family, type, 0)) == -1) {
		err_set(err, ERR_IO, "dns query: socket: %s", strerror(errno));
		return -1;
	}
	if (q->tcp) {
		q->ev_read = event_new(q->stub->base, q->fd,
		    EV_READ | EV_PERSIST, query_tcp_read, q);
		q->ev_write = event_new(q->stub->base, q->fd,
		    EV_WRITE | EV_PERSIST, query_tcp_write, q);
	} else
		q->ev_read = event_new(q->stub->base, q->fd,
		    EV_READ | EV_PERSIST, query_udp_read, q);
	if (q->ev_read == NULL || (q->tcp && q->ev_write == NULL)) {
		query_close(q);
		err_set(err, ERR_NOMEM, "dns query: out of memory");
		return -1;
	}
	return 0;
}

/*
 * Starts (or, on UDP, repeats) an attempt and arms its timeout.  -1 with
 * err only for local failures (no socket, no memory); a network error is
 * a failed attempt.
 */
static int
query_attempt(struct dns_query *q, struct err *err)
{
	const struct dns_server	*srv = &q->stub->server;
	ssize_t			 n;

	if (evtimer_add(q->ev_timer, &q->stub->timeout) == -1) {
		err_set(err, ERR_IO, "dns query: cannot arm timer");
		return -1;
	}
	if (q->tcp)
		query_close(q);
	if (q->fd == -1) {
		if (query_socket(q, err) == -1)
			return -1;
		if (connect(q->fd, (const struct sockaddr *)&srv->addr,
		    srv->addrlen) == -1 && errno != EINPROGRESS) {
			query_attempt_failed(q);
			return 0;
		}
		if (event_add(q->ev_read, NULL) == -1 || (q->tcp &&
		    event_add(q->ev_write, NULL) == -1)) {
			query_close(q);
			err_set(err, ERR_IO, "dns query: cannot add event");
			return -1;
		}
	}
	if (q->tcp)
		return 0;	/* query_tcp_write() sends when connected */
	n = send(q->fd, q->out + 2, q->outlen - 2, 0);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR && errno != ENOBUFS)
		query_attempt_failed(q);
	/* A datagram lost here is one lost on the way: the timer retries. */
	return 0;
}

/* Starts an exchange: a new ID and query, and a new budget of attempts. */
static int
query_exchange(struct dns_query *q, int tcp, int edns, struct err *err)
{
	uint8_t		*wire, rnd[2];
	size_t		 len;

	if (key_random(rnd, sizeof(rnd), err) == -1)
		return -1;
	if (dns_query_wire(q->qname, q->type, (uint16_t)(rnd[0] << 8 | rnd[1]),
	    edns ? q->stub->edns_size : 0, q->stub->dnssec, q->stub->cd,
	    &wire, &len, err) == -1)
		return -1;
	free(q->out);
	if ((q->out = malloc(len + 2)) == NULL) {
		free(wire);
		err_set(err, ERR_NOMEM, "dns query: out of memory");
		return -1;
	}
	q->out[0] = (uint8_t)(len >> 8);
	q->out[1] = (uint8_t)len;
	memcpy(q->out + 2, wire, len);
	q->outlen = len + 2;
	free(wire);
	q->id = (uint16_t)(rnd[0] << 8 | rnd[1]);
	q->tcp = tcp;
	q->edns = edns;
	q->tries = q->stub->retries;
	query_close(q);
	return query_attempt(q, err);
}

/* Moves to another exchange from the loop; a local failure ends q. */
static void
query_reask(struct dns_query *q, int tcp, int edns)
{
	struct err	err;

	if (query_exchange(q, tcp, edns, &err) == -1)
		query_done(q, DNS_SERVFAIL, NULL);
}

static void
query_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query	*q = arg;
	struct err		 err;

	if (q->tries <= 0) {
		query_done(q, DNS_TIMEOUT, NULL);
		return;
	}
	q->tries--;
	if (query_attempt(q, &err) == -1)
		query_done(q, DNS_SERVFAIL, NULL);
}

/*
 * Acts on a checked answer; 1 if q is gone or re-asked (the caller must
 * not touch its socket again), 0 to keep waiting.
 */
static int
query_answer(struct dns_query *q, const uint8_t *wire, size_t len)
{
	struct dns_msg	*msg = NULL;
	enum dns_status	 status = DNS_MALFORMED;
	struct err	 err = { 0, "" };

	switch (dns_answer_check(wire, len, q->id, q->qname, q->type, &status,
	    &msg, &err)) {
	case DNS_CHECK_ANSWER:
		query_done(q, status, msg);
		return 1;
	case DNS_CHECK_TRUNCATED:
		if (q->tcp) {
			query_done(q, DNS_MALFORMED, NULL);
			return 1;
		}
		query_reask(q, 1, q->edns);
		return 1;
	case DNS_CHECK_FORMERR:
		if (q->edns)
			query_reask(q, q->tcp, 0);
		else
			query_done(q, DNS_SERVFAIL, NULL);
		return 1;
	case DNS_CHECK_BAD:
		/* Out of memory is ours, not the server's fault; over UDP a
		 * bad answer may be a spoof, and the real one may follow. */
		if (err.code == ERR_NOMEM) {
			query_done(q, DNS_SERVFAIL, NULL);
			return 1;
		}
		if (q->tcp) {
			query_done(q, DNS_MALFORMED, NULL);
			return 1;
		}
		break;
	}
	return 0;
}

static int
from_server(const struct dns_server *srv, const struct sockaddr_storage *ss,
    socklen_t len)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (ss->ss_family != srv->addr.ss_family)
		return 0;
	if (ss->ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)ss;
		b4 = (const struct sockaddr_in *)&srv->addr;
		return len >= sizeof(*a4) && a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)ss;
	b6 = (const struct sockaddr_in6 *)&srv->addr;
	return len >= sizeof(*a6) && a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

static void
query_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query	*q = arg;
	struct dns_stub		*stub = q->stub;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < UDP_READS_PER_WAKE; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, stub->rbuf, DNS_MAX_MSG, 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			/*
			 * ICMP unreachable and the like: the server is not
			 * there now; the next attempt may find it.
			 */
			query_attempt_failed(q);
			return;
		}
		if (!from_server(&stub->server, &from, fromlen))
			continue;
		if (query_answer(q, stub->rbuf, (size_t)n))
			return;
	}
}

static void
query_tcp_write(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query	*q = arg;
	socklen_t		 len = sizeof(int);
	ssize_t			 n;
	int			 soerr = 0;

	if (q->outoff == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
	    &len) == -1 || soerr != 0)) {
		query_attempt_failed(q);
		return;
	}
	while (q->outoff < q->outlen) {
		n = send(fd, q->out + q->outoff, q->outlen - q->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			query_attempt_failed(q);
			return;
		}
		q->outoff += (size_t)n;
	}
	event_del(q->ev_write);
}

/* Reads into p up to want bytes; 1 when all came, 0 for more, -1 over. */
static int
tcp_fill(int fd, uint8_t *p, size_t want, size_t *have)
{
	ssize_t	n;

	while (*have < want) {
		n = recv(fd, p + *have, want - *have, 0);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
	return 1;
}

static void
query_tcp_read(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query	*q = arg;
	int			 r;

	if (q->inhdrlen < 2) {
		if ((r = tcp_fill(fd, q->inhdr, 2, &q->inhdrlen)) != 1) {
			if (r == -1)
				query_attempt_failed(q);
			return;
		}
		q->inlen = (size_t)q->inhdr[0] << 8 | q->inhdr[1];
		if (q->inlen == 0) {
			query_done(q, DNS_MALFORMED, NULL);
			return;
		}
		if ((q->in = malloc(q->inlen)) == NULL) {
			query_done(q, DNS_SERVFAIL, NULL);
			return;
		}
		q->inoff = 0;
	}
	if ((r = tcp_fill(fd, q->in, q->inlen, &q->inoff)) != 1) {
		if (r == -1)
			query_attempt_failed(q);
		return;
	}
	if (!query_answer(q, q->in, q->inlen))
		query_done(q, DNS_MALFORMED, NULL);
}

int
dns_stub_query(struct dns_stub *stub, const char *name, uint16_t type,
    dns_stub_cb *cb, void *arg, struct err *err)
{
	struct dns_query	*q;

	if (cb == NULL) {
		err_set(err, ERR_ARG, "dns query: no callback");
		return -1;
	}
	if (stub->npending >= DNS_STUB_MAX_PENDING) {
		err_set(err, ERR_LIMIT, "dns query: %d queries already pending",
		    DNS_STUB_MAX_PENDING);
		return -1;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		err_set(err, ERR_NOMEM, "dns query: out of memory");
		return -1;
	}
	q->fd = -1;
	q->stub = stub;
	q->cb = cb;
	q->arg = arg;
	q->type = type;
	if ((q->qname = dns_name_parse(name, err)) == NULL) {
		err_prefix(err, "dns query %.64s", name == NULL ? "" : name);
		free(q);
		return -1;
	}
	if ((q->ev_timer = evtimer_new(stub->base, query_timer, q)) == NULL) {
		err_set(err, ERR_NOMEM, "dns query: out of memory");
		query_free(q);
		return -1;
	}
	if (query_exchange(q, stub->server.tcp, 1, err) == -1) {
		query_free(q);
		return -1;
	}
	TAILQ_INSERT_TAIL(&stub->queries, q, entry);
	stub->npending++;
	return 0;
}
