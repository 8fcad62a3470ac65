/*
 * server.c: timbre-primaryd's sockets: UDP and TCP (RFC 7766: two-byte
 * length, several messages per connection, an idle timeout, a cap on
 * connections) on every --listen address, each message handed to the
 * sans-I/O core (src/auth/auth.c).  NOTIFY, UPDATE and IXFR become jobs
 * for the worker thread (worker.c, sync.c), answered when done through
 * the connection they came on, which stays allocated until then.  UDP is
 * read and answered in batches, by the main loop and by each worker loop
 * on its own socket (--workers, loops.c); a query asked before is
 * answered from the cache of answers of the loop's db
 * (src/auth/replycache.c).
 *
 * TCP slots are kept for clients that use them (RFC 7766 §6.2.3): a
 * connection must bring each whole message within TCP_IDLE_SECONDS of
 * the one before (or of its accept), however it trickles the bytes (a
 * slowloris sending one byte at a time does not reset the deadline, as a
 * read timeout would), and when all TCP_MAX_CONNS slots are taken a new
 * client takes the slot of the connection idle the longest: a crowd of
 * silent connections cannot keep real clients out.
 *
 * Nothing a client sends may grow the daemon without a bound (the man
 * page states them): a connection's next query is read only once the
 * answers before it are down to TCP_OUT_MAX octets queued, its job (if
 * any) is done and its transfer (if any) sent; a transfer is made one
 * message at a time as the client reads (auth_xfr_next), not queued
 * whole; the input is read at most one whole message ahead.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "primaryd.h"
#include "util/buf.h"
#include "util/err.h"

#define TCP_IDLE_SECONDS	30
#define TCP_MAX_CONNS		256	/* past it, new ones are closed */
#define TCP_MSG_MAX		(2 + 65535)	/* a framed message */
/* Answers queued for one connection before it is read no further: one
 * more message may come on top (TCP_OUT_MAX + TCP_MSG_MAX), and the
 * input holds at most one message (TCP_MSG_MAX): 144 KiB a connection,
 * 36 MiB for TCP_MAX_CONNS, as the man page says. */
#define TCP_OUT_MAX		(16 * 1024)

/* A socket bound to a (its port, if a has 0, is port: the one the first
 * of several SO_REUSEPORT sockets got). */
static int
bind_one(const struct opt_addr *a, int type, bool reuseport, int port)
{
	struct sockaddr_storage	ss = a->ss;
	int			fd, on = 1;

	if ((fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK, 0)) == -1)
		fatal("listen %s: socket: %s", a->text, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* --workers: one UDP socket a loop on the same address, among
	 * which the kernel spreads the clients by their address and port. */
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1)
		fatal("listen %s: SO_REUSEPORT: %s", a->text, strerror(errno));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (port != 0 && ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else if (port != 0 && ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	if (bind(fd, (const struct sockaddr *)&ss, a->len) == -1)
		fatal("listen %s: bind: %s", a->text, strerror(errno));
	if (type == SOCK_STREAM && listen(fd, 64) == -1)
		fatal("listen %s: %s", a->text, strerror(errno));
	return fd;
}

/* The port fd is bound to. */
static int
bound_port(int fd)
{
	struct sockaddr_storage	ss = { 0 };
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void
primaryd_listen(struct primaryd *d)
{
	const struct opt_addr	*a = d->conf.listen.v;
	size_t			 i, k;
	int			 port;

	if (d->conf.listen.n > PRIMARYD_MAX_LISTEN)
		fatal("at most %d --listen addresses", PRIMARYD_MAX_LISTEN);
	d->nloops = primaryd_nloops(&d->conf);
	if ((d->loops = calloc(d->nloops, sizeof(*d->loops))) == NULL)
		fatal("out of memory");
	for (k = 0; k < d->nloops; k++) {
		d->loops[k].d = d;
		d->loops[k].index = k;
	}
	for (i = 0; i < d->conf.listen.n; i++) {
		port = 0;
		for (k = 0; k < d->nloops; k++) {
			d->loops[k].fd[i] = bind_one(&a[i], SOCK_DGRAM,
			    d->nloops > 1, port);
			if (k == 0)
				port = bound_port(d->loops[0].fd[i]);
		}
		d->tcp[i] = bind_one(&a[i], SOCK_STREAM, false, port);
		log_info("primary listen %s udp tcp", a[i].text);
	}
	d->nlisten = d->conf.listen.n;
}

static void
addr_text(const struct sockaddr *sa, char *out, size_t len)
{
	char	host[64] = "?";
	int	port = 0;

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		snprintf(out, len, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
		    sizeof(host));
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		snprintf(out, len, "[%s]:%d", host, port);
	} else
		snprintf(out, len, "?");
}

/*
 * The client of a message.  Its address is made text only when a line
 * that names it is written: most answers log nothing, and inet_ntop and
 * snprintf for every UDP query are measurable (bench/README.md).
 */
struct peer {
	const struct sockaddr	*sa;	/* NULL once text is made */
	char			 text[80];
};

static const char *
peer_text(struct peer *p)
{
	if (p->sa != NULL) {
		addr_text(p->sa, p->text, sizeof(p->text));
		p->sa = NULL;
	}
	return p->text;
}

/*
 * Where answers go.  emit sends one message; transfer takes a transfer
 * to send as the client reads (TCP only); hold makes an arg that
 * outlives the call, for a job (NULL: out of memory), release lets it go.
 */
struct sink_ops {
	int	(*emit)(const uint8_t *, size_t, void *);
	int	(*transfer)(struct auth_xfr *, void *);
	void	*(*hold)(void *);
	void	(*release)(void *);
};

/* Hands the request to the worker (worker.c); the answer comes later. */
static void
submit(struct primaryd *d, enum job_kind kind, struct auth_req *req,
    const uint8_t *p, size_t n, struct peer *from,
    const struct sink_ops *ops, void *arg)
{
	struct job	*j;

	if ((j = job_new(kind, req, p, n, peer_text(from))) == NULL) {
		log_warn("primary %s: out of memory", peer_text(from));
		return;
	}
	if ((j->sink.arg = ops->hold(arg)) == NULL) {
		log_warn("primary %s: out of memory", peer_text(from));
		job_free(j);
		return;
	}
	j->sink.emit = ops->emit;
	j->sink.transfer = ops->transfer;
	j->sink.release = ops->release;
	primaryd_submit(d, j);
}

/*
 * Handles one message.  The answer is left in out (empty: no answer, or
 * not yet) for the caller to send; the messages of an AXFR go through
 * ops->emit as they are made; NOTIFY, UPDATE and IXFR become jobs, which
 * answer through ops when they are done.
 */
static void
handle(struct primaryd *d, const uint8_t *p, size_t n, int tcp,
    struct peer *from, struct buf *out, const struct sink_ops *ops,
    void *arg)
{
	struct auth_req	 req;
	struct auth_xfr	*x;
	struct err	 err;
	time_t		 now = time(NULL);
	int		 rc;

	buf_reset(out);
	/* A UDP question answered before is answered by copying. */
	if (!tcp && (rc = auth_cache_answer(d->db, p, n, out, &err)) != 0) {
		if (rc == -1)
			buf_reset(out);
		return;
	}
	if (auth_handle(d->db, p, n, tcp, now, &req, out, &err) == -1) {
		log_warn("primary %s: %s", peer_text(from), err.msg);
		buf_reset(out);
		return;
	}
	if (req.tsig_error != 0 && log_enabled(LOG_LEVEL_INFO))
		log_info("primary tsig from=%s error=%u", peer_text(from),
		    req.tsig_error);
	switch (req.kind) {
	case AUTH_REPLY:
		if (!tcp)
			auth_cache_store(d->db, &req, out);
		break;
	case AUTH_NOTIFY:
		log_info("primary notify from=%s zone=%s key=%s",
		    peer_text(from), auth_zone_name(req.zone),
		    dns_tsig_key_name(req.key));
		submit(d, JOB_NOTIFY, &req, p, n, from, ops, arg);
		break;
	case AUTH_UPDATE:
		log_info("primary update from=%s zone=%s key=%s",
		    peer_text(from), auth_zone_name(req.zone),
		    dns_tsig_key_name(req.key));
		submit(d, JOB_UPDATE, &req, p, n, from, ops, arg);
		break;
	case AUTH_AXFR:
		log_info("primary axfr from=%s zone=%s serial=%u key=%s",
		    peer_text(from), auth_zone_name(req.zone),
		    auth_zone_serial(req.zone),
		    req.key != NULL ? dns_tsig_key_name(req.key) : "-");
		/* auth_handle gives AXFR over TCP only (RFC 5936). */
		assert(tcp && ops->transfer != NULL);
		if ((x = auth_xfr_new(&req, &err)) == NULL)
			log_warn("primary axfr to %s: %s", peer_text(from),
			    err.msg);
		else
			ops->transfer(x, arg);
		break;
	case AUTH_IXFR:
		submit(d, JOB_IXFR, &req, p, n, from, ops, arg);
		break;
	}
	auth_req_fini(&req);
}

/*
 * UDP: messages are read and answered UDP_BATCH at a time (recvmmsg,
 * sendmmsg), each answer built in its own buffer kept from batch to
 * batch: under load one system call reads what would take one each.
 */
#define UDP_BATCH	32
#define UDP_MSG_MAX	65535
#define UDP_ROUNDS	8	/* batches per readiness, then the loop */

struct udp_batch {
	struct mmsghdr		 in[UDP_BATCH], out[UDP_BATCH];
	struct iovec		 iov_in[UDP_BATCH], iov_out[UDP_BATCH];
	struct sockaddr_storage	 ss[UDP_BATCH];
	struct buf		 reply[UDP_BATCH];
	uint8_t			*rx;	/* UDP_BATCH * UDP_MSG_MAX */
};

struct udp_peer {
	int			 fd;
	const struct sockaddr	*sa;
	socklen_t		 len;
	struct sockaddr_storage	 ss;	/* where sa points once held */
};

/* The answers of jobs (NOTIFY, UPDATE, IXFR) over UDP. */
static int
udp_emit(const uint8_t *p, size_t n, void *arg)
{
	struct udp_peer	*u = arg;

	return sendto(u->fd, p, n, 0, u->sa, u->len) == (ssize_t)n ? 0 : -1;
}

static void *
udp_hold(void *arg)
{
	struct udp_peer	*u = arg, *h;

	if (u->len > sizeof(h->ss) || (h = malloc(sizeof(*h))) == NULL)
		return NULL;
	h->fd = u->fd;
	h->len = u->len;
	memcpy(&h->ss, u->sa, u->len);
	h->sa = (const struct sockaddr *)&h->ss;
	return h;
}

static const struct sink_ops udp_ops = { udp_emit, NULL, udp_hold, free };

static struct udp_batch *
udp_batch_new(void)
{
	struct udp_batch	*b;
	size_t			 i;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->rx = malloc((size_t)UDP_BATCH * UDP_MSG_MAX)) == NULL)
		fatal("out of memory");
	for (i = 0; i < UDP_BATCH; i++)
		buf_init(&b->reply[i], UDP_MSG_MAX);
	return b;
}

/* Sends the answers of a batch; a peer that cannot be written to loses
 * its answer, the others are still sent. */
static void
udp_send(int fd, struct udp_batch *b, unsigned n)
{
	unsigned	sent = 0;
	int		rc;

	while (sent < n) {
		rc = sendmmsg(fd, b->out + sent, n - sent, 0);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0) {
			log_debug("primary udp send: %s", strerror(errno));
			sent++;		/* skip the one that failed */
			continue;
		}
		sent += (unsigned)rc;
	}
}

/*
 * Response rate limiting (auth/rrl.c) of a UDP answer in reply: true to
 * send it (perhaps truncated), false to drop it.  A flow that starts
 * being limited is logged, once until it falls back under the rate.
 */
static bool
rate_limit(struct primaryd_rrl *rl, const struct sockaddr *sa,
    struct peer *from, struct buf *reply)
{
	enum auth_rrl_action	act;
	struct err		err;
	size_t			len = reply->len;
	bool			started;

	if (rl->rrl == NULL || acl_allows(&rl->allow, sa))
		return true;
	pthread_mutex_lock(&rl->mu);
	act = auth_rrl_check(rl->rrl, sa, (uint8_t *)reply->data, reply->len,
	    time(NULL), &started);
	pthread_mutex_unlock(&rl->mu);
	if (started)
		log_info("primary rrl limiting from=%s", peer_text(from));
	if (act == AUTH_RRL_PASS)
		return true;
	if (act == AUTH_RRL_DROP ||
	    auth_rrl_truncate((uint8_t *)reply->data, &len, &err) == -1)
		return false;
	reply->len = len;
	return true;
}

/*
 * A worker loop's answer to one UDP message, from its own db.  What only
 * the main loop may do (NOTIFY, UPDATE, anything signed: the worker has
 * no keys) is forwarded to it whole, and out left empty.
 */
static void
worker_handle(struct udp_loop *l, const uint8_t *p, size_t n,
    const struct udp_peer *u, struct peer *from, struct buf *out)
{
	struct auth_req	 req;
	struct err	 err;
	int		 rc, opcode = n >= 12 ? (p[2] >> 3) & 0xf : 0;

	buf_reset(out);
	if (n >= 12 && !(p[2] & 0x80) && (opcode == LDNS_PACKET_NOTIFY ||
	    opcode == LDNS_PACKET_UPDATE)) {
		primaryd_forward(l, u->fd, u->sa, u->len, p, n);
		return;
	}
	if ((rc = auth_cache_answer(l->db, p, n, out, &err)) != 0) {
		if (rc == -1)
			buf_reset(out);
		return;
	}
	if (auth_handle(l->db, p, n, 0, time(NULL), &req, out, &err) == -1) {
		log_warn("primary %s: %s", peer_text(from), err.msg);
		buf_reset(out);
		return;
	}
	if (req.kind != AUTH_REPLY || req.tsig_off != 0) {
		buf_reset(out);
		primaryd_forward(l, u->fd, u->sa, u->len, p, n);
	} else
		auth_cache_store(l->db, &req, out);
	auth_req_fini(&req);
}

static void
on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct udp_loop		*l = arg;
	struct primaryd		*d = l->d;
	struct udp_batch	*b = l->batch;
	struct primaryd_rrl	*rl;
	struct udp_peer		 u;
	struct peer		 from;
	unsigned		 i, nout;
	int			 n, round;

	for (round = 0; round < UDP_ROUNDS; round++) {
		for (i = 0; i < UDP_BATCH; i++) {
			b->iov_in[i].iov_base = b->rx + (size_t)i *
			    UDP_MSG_MAX;
			b->iov_in[i].iov_len = UDP_MSG_MAX;
			memset(&b->in[i].msg_hdr, 0, sizeof(b->in[i].msg_hdr));
			b->in[i].msg_hdr.msg_name = &b->ss[i];
			b->in[i].msg_hdr.msg_namelen = sizeof(b->ss[i]);
			b->in[i].msg_hdr.msg_iov = &b->iov_in[i];
			b->in[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(fd, b->in, UDP_BATCH, 0, NULL)) <= 0)
			return;
		atomic_fetch_add_explicit(&l->queries, (unsigned)n,
		    memory_order_relaxed);
		/* The main loop's zones and limiter are d's; a worker's
		 * are those it adopted last (loops.c). */
		rl = l->index == 0 ? d->rl : l->rl;
		for (i = nout = 0; i < (unsigned)n; i++) {
			u.fd = fd;
			u.sa = (struct sockaddr *)&b->ss[i];
			u.len = b->in[i].msg_hdr.msg_namelen;
			from.sa = u.sa;
			if (l->index == 0)
				handle(d, b->iov_in[i].iov_base,
				    b->in[i].msg_len, 0, &from, &b->reply[i],
				    &udp_ops, &u);
			else
				worker_handle(l, b->iov_in[i].iov_base,
				    b->in[i].msg_len, &u, &from, &b->reply[i]);
			if (b->reply[i].len == 0 ||
			    !rate_limit(rl, u.sa, &from, &b->reply[i]))
				continue;
			b->iov_out[nout].iov_base = b->reply[i].data;
			b->iov_out[nout].iov_len = b->reply[i].len;
			memset(&b->out[nout].msg_hdr, 0,
			    sizeof(b->out[nout].msg_hdr));
			b->out[nout].msg_hdr.msg_name = &b->ss[i];
			b->out[nout].msg_hdr.msg_namelen = u.len;
			b->out[nout].msg_hdr.msg_iov = &b->iov_out[nout];
			b->out[nout].msg_hdr.msg_iovlen = 1;
			nout++;
		}
		udp_send(fd, b, nout);
		if (n < UDP_BATCH)
			return;
	}
}

void
primaryd_udp_forwarded(struct primaryd *d, int fd, const struct sockaddr *sa,
    socklen_t len, const uint8_t *p, size_t n)
{
	struct udp_peer	 u;
	struct peer	 from;
	struct buf	*out = &d->tcp_reply;	/* free between messages */

	u.fd = fd;
	u.sa = sa;
	u.len = len;
	from.sa = sa;
	handle(d, p, n, 0, &from, out, &udp_ops, &u);
	if (out->len > 0 && rate_limit(d->rl, sa, &from, out) &&
	    sendto(fd, out->data, out->len, 0, sa, len) != (ssize_t)out->len)
		log_debug("primary udp send: %s", strerror(errno));
	buf_reset(out);
}

void
primaryd_udp_watch(struct udp_loop *l)
{
	size_t	i;

	l->batch = udp_batch_new();
	for (i = 0; i < l->d->nlisten; i++)
		if ((l->ev[i] = event_new(l->base, l->fd[i],
		    EV_READ | EV_PERSIST, on_udp, l)) == NULL ||
		    event_add(l->ev[i], NULL) == -1)
			fatal("cannot watch the UDP socket");
}

void
primaryd_udp_unwatch(struct udp_loop *l)
{
	size_t	i;

	for (i = 0; i < l->d->nlisten; i++) {
		if (l->ev[i] != NULL)
			event_free(l->ev[i]);
		l->ev[i] = NULL;
	}
	if (l->batch != NULL) {
		for (i = 0; i < UDP_BATCH; i++)
			buf_fini(&l->batch->reply[i]);
		free(l->batch->rx);
		free(l->batch);
		l->batch = NULL;
	}
}

/* A TCP connection; it outlives its socket while jobs hold it. */
struct tcp_conn {
	TAILQ_ENTRY(tcp_conn)	 entry;	/* d->tcp_conns, idlest first */
	struct primaryd		*d;
	struct bufferevent	*bev;	/* NULL once closed */
	struct event		*deadline;	/* the next whole message */
	struct peer		 from;	/* made text at accept */
	unsigned		 jobs;
	struct auth_xfr		*xfr;	/* a transfer being sent */
	struct event		*resume;	/* reads what waited */
};

static void
tcp_free(struct tcp_conn *c)
{
	if (c->resume != NULL)
		event_free(c->resume);
	if (c->deadline != NULL)
		event_free(c->deadline);
	auth_xfr_free(c->xfr);
	free(c);
}

/* The connection did something (a whole message in, what was queued
 * read): it goes to the end of the eviction order, and has
 * TCP_IDLE_SECONDS for its next message. */
static void
tcp_active(struct tcp_conn *c)
{
	struct timeval	 idle = { TCP_IDLE_SECONDS, 0 };

	TAILQ_REMOVE(&c->d->tcp_conns, c, entry);
	TAILQ_INSERT_TAIL(&c->d->tcp_conns, c, entry);
	if (c->jobs == 0)
		evtimer_add(c->deadline, &idle);
}

static size_t
tcp_queued(const struct tcp_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* Whether the connection's next query must wait: for its job, its
 * transfer, or the client to read what is queued. */
static int
tcp_busy(const struct tcp_conn *c)
{
	return c->jobs > 0 || c->xfr != NULL || tcp_queued(c) >= TCP_OUT_MAX;
}

/* Once nothing holds the connection's queries back, reads them again,
 * those already received first (from the loop, not from the caller:
 * that may be a job being finished). */
static void
tcp_resume(struct tcp_conn *c)
{
	if (c->bev == NULL || tcp_busy(c))
		return;
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) >= 2)
		event_active(c->resume, EV_TIMEOUT, 0);
}

static int
tcp_emit(const uint8_t *p, size_t n, void *arg)
{
	struct tcp_conn	*c = arg;
	uint8_t		 len[2] = { n >> 8, n & 0xff };

	if (n > 65535 || c->bev == NULL)
		return -1;
	return bufferevent_write(c->bev, len, 2) == 0 &&
	    bufferevent_write(c->bev, p, n) == 0 ? 0 : -1;
}

/* Queues the transfer's next messages while the client keeps up. */
static void
tcp_pump(struct tcp_conn *c)
{
	struct buf	*b = &c->d->tcp_xfr;
	struct err	 err;
	int		 rc;

	while (c->xfr != NULL && c->bev != NULL &&
	    tcp_queued(c) < TCP_OUT_MAX) {
		if ((rc = auth_xfr_next(c->xfr, time(NULL), b, &err)) == 1 &&
		    tcp_emit((const uint8_t *)b->data, b->len, c) == 0)
			continue;
		if (rc == -1)
			log_warn("primary transfer to %s: %s", c->from.text,
			    err.msg);
		auth_xfr_free(c->xfr);
		c->xfr = NULL;
	}
}

static int
tcp_transfer(struct auth_xfr *x, void *arg)
{
	struct tcp_conn	*c = arg;

	/* A connection reads nothing while it has a transfer or a job:
	 * this is its only one. */
	if (c->bev == NULL || c->xfr != NULL) {
		auth_xfr_free(x);
		return -1;
	}
	c->xfr = x;
	tcp_pump(c);
	return 0;
}

/* While a job holds the connection its client is waiting for the
 * answer, however long the push takes: no deadline then, and it is
 * never evicted. */
static void *
tcp_hold(void *arg)
{
	struct tcp_conn	*c = arg;

	if (c->jobs++ == 0) {
		bufferevent_set_timeouts(c->bev, NULL, NULL);
		evtimer_del(c->deadline);
	}
	return c;
}

static void
tcp_release(void *arg)
{
	struct tcp_conn	*c = arg;
	struct timeval	 idle = { TCP_IDLE_SECONDS, 0 };

	if (--c->jobs > 0)
		return;
	if (c->bev == NULL) {
		tcp_free(c);
		return;
	}
	bufferevent_set_timeouts(c->bev, NULL, &idle);
	tcp_active(c);
	tcp_resume(c);
}

static const struct sink_ops tcp_ops = {
	tcp_emit, tcp_transfer, tcp_hold, tcp_release
};

static void
tcp_close(struct tcp_conn *c)
{
	bufferevent_free(c->bev);
	c->bev = NULL;
	evtimer_del(c->deadline);
	TAILQ_REMOVE(&c->d->tcp_conns, c, entry);
	c->d->ntcp--;
	auth_xfr_free(c->xfr);
	c->xfr = NULL;
	if (c->jobs == 0)
		tcp_free(c);
}

static void
on_tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[2], *p;
	size_t		 n;

	while (!tcp_busy(c) && evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < n + 2)
			return;
		if ((p = evbuffer_pullup(in, n + 2)) == NULL) {
			tcp_close(c);
			return;
		}
		tcp_active(c);
		handle(c->d, p + 2, n, 1, &c->from, &c->d->tcp_reply,
		    &tcp_ops, c);
		evbuffer_drain(in, n + 2);
		if (c->d->tcp_reply.len > 0)
			tcp_emit((uint8_t *)c->d->tcp_reply.data,
			    c->d->tcp_reply.len, c);
	}
	/* The kernel holds what the client sends meanwhile. */
	if (tcp_busy(c))
		bufferevent_disable(bev, EV_READ);
}

static void
on_tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn	*c = arg;

	if (c->bev != NULL)
		on_tcp_read(c->bev, c);
}

/* The client has read what was queued: more of the transfer, or the
 * next queries. */
static void
on_tcp_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn	*c = arg;

	tcp_active(c);
	tcp_pump(c);
	tcp_resume(c);
}

static void
on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		tcp_close(arg);
}

static void
on_tcp_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn	*c = arg;

	(void)fd;
	(void)what;
	log_debug("primary tcp %s: no whole message in %d s, closed",
	    c->from.text, TCP_IDLE_SECONDS);
	tcp_close(c);
}

/* All slots taken: the connection idle the longest (no job, nothing
 * being sent) gives its slot up; false when every one is busy. */
static bool
tcp_evict(struct primaryd *d)
{
	struct tcp_conn	*c;

	TAILQ_FOREACH(c, &d->tcp_conns, entry)
		if (c->jobs == 0 && c->xfr == NULL && tcp_queued(c) == 0)
			break;
	if (c == NULL)
		return false;
	log_debug("primary tcp: %zu connections open, %s (the idlest) "
	    "closed for a new one", d->ntcp, c->from.text);
	d->tcp_evicted++;
	tcp_close(c);
	return true;
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct primaryd	*d = arg;
	struct tcp_conn	*c;
	struct timeval	 idle = { TCP_IDLE_SECONDS, 0 };

	if (d->ntcp >= TCP_MAX_CONNS && !tcp_evict(d)) {
		log_debug("primary tcp: %zu connections open, one refused",
		    d->ntcp);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->resume = event_new(d->base, -1, 0, on_tcp_resume, c)) ==
	    NULL || (c->deadline = evtimer_new(d->base, on_tcp_deadline,
	    c)) == NULL || (c->bev = bufferevent_socket_new(d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (c != NULL)
			tcp_free(c);
		close(fd);
		return;
	}
	c->d = d;
	d->ntcp++;
	TAILQ_INSERT_TAIL(&d->tcp_conns, c, entry);
	evtimer_add(c->deadline, &idle);
	c->from.sa = sa;
	peer_text(&c->from);	/* sa does not outlive this call */
	bufferevent_setcb(c->bev, on_tcp_read, on_tcp_write, on_tcp_event, c);
	/* Reading has the deadline above; writing a timeout (a client that
	 * does not read its answers). */
	bufferevent_set_timeouts(c->bev, NULL, &idle);
	/* The input holds one message at most; the rest waits in the
	 * kernel until it is read. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, TCP_MSG_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

void
primaryd_serve(struct primaryd *d)
{
	size_t	i;

	d->loops[0].base = d->base;
	primaryd_udp_watch(&d->loops[0]);
	TAILQ_INIT(&d->tcp_conns);
	buf_init(&d->tcp_reply, UDP_MSG_MAX);
	buf_init(&d->tcp_xfr, UDP_MSG_MAX);
	for (i = 0; i < d->nlisten; i++) {
		/* The listener owns the TCP socket from here on. */
		if ((d->tcp_l[i] = evconnlistener_new(d->base, on_accept, d,
		    LEV_OPT_CLOSE_ON_FREE, -1, d->tcp[i])) == NULL)
			fatal("cannot watch the TCP socket");
	}
}

void
primaryd_unserve(struct primaryd *d)
{
	struct tcp_conn	*c, *next;
	size_t		 i;

	/* The worker is stopped, its jobs released: every connection still
	 * open is closed and freed. */
	for (c = TAILQ_FIRST(&d->tcp_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		tcp_close(c);
	}

	primaryd_udp_unwatch(&d->loops[0]);
	for (i = 0; i < d->nlisten; i++) {
		if (d->tcp_l[i] != NULL)
			evconnlistener_free(d->tcp_l[i]);
		d->tcp_l[i] = NULL;
	}
	buf_fini(&d->tcp_reply);
	buf_fini(&d->tcp_xfr);
}
