/*
 * server.c: the clients' side of timbre-resolverd: UDP and TCP listeners
 * (RFC 7766: length-framed, several queries per connection), the --allow
 * check (REFUSED outside), FORMERR/NOTIMP for queries that do not parse
 * or ask what a resolver does not do, the CHAOS TXT questions about the
 * resolver itself (statistics, version), and the tasks driving the engine:
 * one per distinct question in flight, so identical questions from many
 * clients cost one resolution (coalescing).
 *
 * Every client's share is bounded (the man page states the bounds): a
 * question joins a task only while the task has fewer than
 * RESOLVERD_MAX_WAITERS_TASK clients waiting and the daemon fewer than
 * RESOLVERD_MAX_WAITERS; past that, a UDP query is dropped (its source
 * may be forged: an answer could go to a victim, and a real client asks
 * again) and a TCP query, whose client proved its address, is answered
 * SERVFAIL at once rather than left to time out.  A TCP connection's
 * next query is read only while it has fewer than TCP_MAX_INFLIGHT
 * questions unanswered and fewer than TCP_OUT_MAX octets of answers
 * queued; the input holds one message at most.
 *
 * TCP slots are kept for clients that use them (RFC 7766 §6.2.3): a
 * connection must bring each whole message within TCP_IDLE_SECONDS of
 * its last activity (a message in, its answers read), however it
 * trickles the bytes (a slowloris's byte a time does not reset that
 * deadline, as a read timeout would), and when all RESOLVERD_MAX_TCP
 * slots are taken a new client takes the slot of the connection idle the
 * longest (none of its questions in flight, nothing queued).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <ldns/ldns.h>

#include "resolverd.h"
#include "util/err.h"

#define TCP_IDLE_SECONDS	10
#define UDP_REPLY_MAX		1232	/* RFC 9715 advice for UDP */
#define TCP_REPLY_MAX		65535
#define TCP_MSG_MAX		(2 + TCP_REPLY_MAX)	/* framed */
#define TCP_MAX_INFLIGHT	32	/* a connection's questions waiting */
/* Answers queued for one connection before it is read no further (one
 * more answer may come on top of it). */
#define TCP_OUT_MAX		(16 * 1024)

struct tcpconn {
	TAILQ_ENTRY(tcpconn)	 entry;		/* d->tcpconns */
	struct resolverd	*d;
	struct bufferevent	*bev;
	struct event		*deadline;	/* the next whole message */
	int			 refs;		/* waiters holding it */
	unsigned		 inflight;	/* its waiters */
	bool			 closed;
	struct event		*resume;	/* reads what waited */
};

/* A client waiting for a task's answer. */
struct waiter {
	struct waiter		*next;
	struct res_req		 req;
	int			 udp;		/* UDP listener fd, or -1 */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	struct tcpconn		*tcp;
};

struct task {
	TAILQ_ENTRY(task)	 entry;
	struct resolverd	*d;
	struct resv		*resv;
	struct res_query	*q;
	char			 qname[sizeof(((struct res_req *)0)->qname)];
	uint16_t		 qtype;
	struct waiter		*waiters;
	size_t			 nwaiters;
	struct upstream		*up;
	struct event		*ev_kick;
};

static void	task_step(struct task *, const uint8_t *, size_t, unsigned,
		    bool);
static void	tcp_readable(struct bufferevent *, void *);

static void
resv_release(struct resv *v)
{
	if (v != NULL && --v->refs == 0) {
		res_resolver_free(v->r);
		res_msgcache_free(v->mc);
		free(v);
	}
}

static void
tcpconn_release(struct tcpconn *c)
{
	if (--c->refs > 0)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	TAILQ_REMOVE(&c->d->tcpconns, c, entry);
	c->d->ntcp--;
	if (c->resume != NULL)
		event_free(c->resume);
	if (c->deadline != NULL)
		event_free(c->deadline);
	free(c);
}

/* Whether the connection's next query must wait (see the top). */
static bool
tcpconn_busy(const struct tcpconn *c)
{
	return c->inflight >= TCP_MAX_INFLIGHT ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >=
	    TCP_OUT_MAX;
}

/* Reads the connection again once nothing holds it back, the queries
 * already received first (from the loop: the caller may be a task). */
static void
tcpconn_resume(struct tcpconn *c)
{
	if (c->closed || tcpconn_busy(c))
		return;
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) >= 2)
		event_active(c->resume, EV_TIMEOUT, 0);
}

static void
tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct tcpconn	*c = arg;

	(void)fd;
	(void)what;
	if (!c->closed)
		tcp_readable(c->bev, c);
}

static void
tcpconn_close(struct tcpconn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	bufferevent_free(c->bev);
	c->bev = NULL;
	evtimer_del(c->deadline);
	tcpconn_release(c);
}

/* The connection did something (a whole message in, its answers read):
 * last in the eviction order, TCP_IDLE_SECONDS for its next message. */
static void
tcpconn_active(struct tcpconn *c)
{
	struct timeval	 tv = { TCP_IDLE_SECONDS, 0 };

	TAILQ_REMOVE(&c->d->tcpconns, c, entry);
	TAILQ_INSERT_TAIL(&c->d->tcpconns, c, entry);
	evtimer_add(c->deadline, &tv);
}

static void
tcp_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tcpconn_close(arg);
}

/* All slots taken: the connection idle the longest gives its slot up;
 * false when every one has questions in flight or answers queued. */
static bool
tcpconn_evict(struct resolverd *d)
{
	struct tcpconn	*c;

	TAILQ_FOREACH(c, &d->tcpconns, entry)
		if (!c->closed && c->inflight == 0 && evbuffer_get_length(
		    bufferevent_get_output(c->bev)) == 0)
			break;
	if (c == NULL)
		return false;
	d->tcp_evicted++;
	tcpconn_close(c);
	return true;
}

static const char *
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*a = ss->ss_family == AF_INET ?
			    (const void *)&((const struct sockaddr_in *)ss)->
			    sin_addr : (const void *)&((const struct
			    sockaddr_in6 *)ss)->sin6_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static size_t
reply_max(const struct waiter *w)
{
	if (w->udp == -1)
		return TCP_REPLY_MAX;
	return w->req.udp_size < UDP_REPLY_MAX ? w->req.udp_size :
	    UDP_REPLY_MAX;
}

static void
send_wire(const struct waiter *w, const uint8_t *wire, size_t len)
{
	uint8_t	hdr[2];

	if (w->udp != -1) {
		if (sendto(w->udp, wire, len, 0, (struct sockaddr *)&w->addr,
		    w->addrlen) == -1)
			log_debug("resolver reply: sendto: %s",
			    strerror(errno));
	} else if (!w->tcp->closed) {
		hdr[0] = (uint8_t)(len >> 8);
		hdr[1] = (uint8_t)len;
		bufferevent_write(w->tcp->bev, hdr, 2);
		bufferevent_write(w->tcp->bev, wire, len);
	}
}

/* Sends the answer to one client (q NULL: just rcode), and keeps an
 * answer from q for the next time (v: the engine q came from). */
static void
reply(struct resv *v, const struct waiter *w, const struct res_query *q,
    int rcode)
{
	uint8_t		*wire;
	size_t		 len;
	struct err	 err;

	/* The whole answer is kept, whatever this client takes. */
	if (res_reply(&w->req, q, rcode, q != NULL && v != NULL ?
	    TCP_REPLY_MAX : reply_max(w), &wire, &len, &err) == -1) {
		log_warn("resolver reply %s: %s", w->req.qname, err.msg);
		return;
	}
	if (q != NULL && v != NULL) {
		res_msgcache_put(v->mc, &w->req, wire, len, time(NULL));
		if (len > reply_max(w)) {
			free(wire);
			if (res_reply(&w->req, q, rcode, reply_max(w),
			    &wire, &len, &err) == -1) {
				log_warn("resolver reply %s: %s",
				    w->req.qname, err.msg);
				return;
			}
		}
	}
	send_wire(w, wire, len);
	free(wire);
}

/* Frees a waiter kept by waiter_keep. */
static void
waiter_free(struct resolverd *d, struct waiter *w)
{
	d->nwaiters--;
	if (w->tcp != NULL) {
		w->tcp->inflight--;
		tcpconn_resume(w->tcp);
		tcpconn_release(w->tcp);
	}
	free(w);
}

static void
task_free(struct task *t)
{
	struct waiter	*w;

	while ((w = t->waiters) != NULL) {
		t->waiters = w->next;
		waiter_free(t->d, w);
	}
	upstream_cancel(t->up);
	if (t->ev_kick != NULL)
		event_free(t->ev_kick);
	res_query_free(t->q);
	resv_release(t->resv);
	TAILQ_REMOVE(&t->d->tasks, t, entry);
	t->d->ntasks--;
	free(t);
}

static void
task_done(struct task *t)
{
	struct waiter	*w;
	const char	*text;
	enum res_ede	 ede;

	ede = res_query_ede(t->q, &text);
	log_debug("resolver done q=%s type=%u rcode=%d sec=%d ede=%d %s",
	    t->qname, t->qtype, res_query_rcode(t->q), res_query_security(t->q),
	    ede, ede != RES_EDE_NONE ? text : "");
	if (res_query_security(t->q) == RES_SEC_BOGUS)
		log_info("resolver bogus q=%s type=%u ede=%d reason=\"%s\"",
		    t->qname, t->qtype, ede, text);
	for (w = t->waiters; w != NULL; w = w->next)
		reply(t->resv, w, t->q, 0);
	task_free(t);
}

static void
upstream_answer(const uint8_t *data, size_t len, unsigned rtt, void *arg)
{
	struct task	*t = arg;

	t->up = NULL;
	task_step(t, data, len, rtt, true);
}

/* Sends what the engine asks; false when it could not even be sent. */
static bool
task_send(struct task *t, const struct res_request *rq)
{
	char	a[64];

	log_debug("resolver ask %s q=%s type=%u%s",
	    addr_str(&rq->addr, a, sizeof(a)), rq->qname, rq->qtype,
	    rq->tcp ? " tcp" : "");
	t->up = upstream_send(t->d->base, rq, t->d->set.port_lo,
	    t->d->set.port_hi, &t->d->wrong_id, upstream_answer, t);
	return t->up != NULL;
}

/*
 * Feeds an answer (when answered) to the engine and sends what it asks
 * next, until it is done (the task is freed) or waits for the network.
 */
static void
task_step(struct task *t, const uint8_t *data, size_t len, unsigned rtt,
    bool answered)
{
	struct res_request	 rq;

	for (;;) {
		if (answered)
			res_query_answer(t->q, data, len, rtt, time(NULL));
		if (res_query_next(t->q, time(NULL), resolverd_random16(),
		    &rq) == RES_DONE) {
			task_done(t);
			return;
		}
		if (task_send(t, &rq))
			return;
		/* Could not even send: as if the server did not answer. */
		answered = true;
		data = NULL;
		len = 0;
		rtt = 0;
	}
}

static struct task *
task_find(struct resolverd *d, const char *qname, uint16_t qtype)
{
	struct task	*t;

	TAILQ_FOREACH(t, &d->tasks, entry)
		if (t->qtype == qtype && strcasecmp(t->qname, qname) == 0 &&
		    t->resv == d->resv)
			return t;
	return NULL;
}

/* A copy of w for a task to keep (the TCP connection is held). */
static struct waiter *
waiter_keep(struct resolverd *d, const struct waiter *w)
{
	struct waiter	*k;

	if ((k = malloc(sizeof(*k))) == NULL)
		return NULL;
	*k = *w;
	k->next = NULL;
	if (k->tcp != NULL) {
		k->tcp->refs++;
		k->tcp->inflight++;
	}
	d->nwaiters++;
	return k;
}

/* A question past the bounds on waiting clients (see the top). */
static void
refuse(struct resolverd *d, const struct waiter *w)
{
	d->dropped++;
	if (w->udp == -1)
		reply(NULL, w, NULL, LDNS_RCODE_SERVFAIL);
}

/* Answers w from the engine, now or when a task is done (w borrowed). */
static void
handle_query(struct resolverd *d, const struct waiter *w)
{
	struct res_request	 rq;
	struct res_query	*q;
	struct task		*t;
	struct waiter		*k;
	struct err		 err;

	if ((t = task_find(d, w->req.qname, w->req.qtype)) != NULL) {
		if (t->nwaiters >= RESOLVERD_MAX_WAITERS_TASK ||
		    d->nwaiters >= RESOLVERD_MAX_WAITERS) {
			refuse(d, w);
			return;
		}
		if ((k = waiter_keep(d, w)) != NULL) {
			k->next = t->waiters;
			t->waiters = k;
			t->nwaiters++;
		}
		return;
	}
	if (d->nwaiters >= RESOLVERD_MAX_WAITERS) {
		refuse(d, w);
		return;
	}
	if ((q = res_query_new(d->resv->r, w->req.qname, w->req.qtype,
	    time(NULL), &err)) == NULL) {
		reply(NULL, w, NULL, LDNS_RCODE_SERVFAIL);
		return;
	}
	/* A question the cache answers needs no task. */
	if (res_query_next(q, time(NULL), resolverd_random16(), &rq) ==
	    RES_DONE) {
		reply(d->resv, w, q, 0);
		res_query_free(q);
		return;
	}
	if (d->ntasks >= RESOLVERD_MAX_TASKS ||
	    (t = calloc(1, sizeof(*t))) == NULL ||
	    (k = waiter_keep(d, w)) == NULL) {
		free(t);
		d->dropped++;
		reply(NULL, w, NULL, LDNS_RCODE_SERVFAIL);
		res_query_free(q);
		return;
	}
	t->d = d;
	t->q = q;
	t->resv = d->resv;
	t->resv->refs++;
	snprintf(t->qname, sizeof(t->qname), "%s", w->req.qname);
	t->qtype = w->req.qtype;
	t->waiters = k;
	t->nwaiters = 1;
	TAILQ_INSERT_TAIL(&d->tasks, t, entry);
	d->ntasks++;
	if (!task_send(t, &rq))
		task_step(t, NULL, 0, 0, true);
}

/*
 * The statistics as "name=value" strings into buf (RESOLVERD_NSTATS of
 * them), for CH TXT stats.timbre.; the names are those of the man page.
 */
#define RESOLVERD_NSTATS	20
static size_t
stats_strings(struct resolverd *d, char buf[][48])
{
	struct res_stats	s;
	uint64_t		mce, mch;
	size_t			i = 0;

	res_resolver_stats(d->resv->r, &s);
	res_msgcache_usage(d->resv->mc, &mce, &mch);
#define STAT(name, v)	do {						\
		if (i < RESOLVERD_NSTATS)				\
			snprintf(buf[i++], 48, "%s=%" PRIu64, name,	\
			    (uint64_t)(v));				\
	} while (0)
	STAT("queries", s.queries);
	STAT("cache-hits", s.cache_hits);
	STAT("answers-from-cache", d->fast_hits);
	STAT("upstream-queries", s.upstream);
	STAT("upstream-timeouts", s.timeouts);
	STAT("upstream-wrong-id", d->wrong_id);
	STAT("upstream-mismatch", s.mismatched);
	STAT("secure", s.secure);
	STAT("insecure", s.insecure);
	STAT("bogus", s.bogus);
	STAT("servfail", s.servfail);
	STAT("refused", d->refused);
	STAT("formerr", d->formerr);
	STAT("dropped", d->dropped);
	STAT("tcp-clients", d->tcp_clients);
	STAT("tcp-evicted", d->tcp_evicted);
	STAT("in-flight", d->ntasks);
	STAT("cache-entries", s.cache_entries);
	STAT("cache-bytes", s.cache_bytes);
	STAT("answers-cached", mce);
#undef STAT
	return i;
}

/* A CHAOS question (res_req_chaos): statistics or the version. */
static void
chaos_reply(struct resolverd *d, const struct waiter *w)
{
	char		 buf[RESOLVERD_NSTATS][48];
	const char	*txt[RESOLVERD_NSTATS];
	uint8_t		*wire;
	size_t		 len, i, n;
	struct err	 err;

	if (res_req_chaos(&w->req) == RES_CHAOS_STATS)
		n = stats_strings(d, buf);
	else {
		snprintf(buf[0], sizeof(buf[0]), "timbre-resolverd %s",
		    PACKAGE_VERSION);
		n = 1;
	}
	for (i = 0; i < n; i++)
		txt[i] = buf[i];
	if (res_chaos_reply(&w->req, txt, n, reply_max(w), &wire, &len,
	    &err) == -1) {
		log_warn("resolver reply %s: %s", w->req.qname, err.msg);
		return;
	}
	send_wire(w, wire, len);
	free(wire);
}

/*
 * A query from a client: checks, then answers or starts resolving.
 * Returns without answering for what is not a query at all.
 */
static void
client_query(struct resolverd *d, const uint8_t *buf, size_t len,
    int udp, const struct sockaddr_storage *from, socklen_t fromlen,
    struct tcpconn *tcp)
{
	struct waiter	w;
	size_t		rlen;

	w.next = NULL;
	w.udp = udp;
	memcpy(&w.addr, from, fromlen);
	w.addrlen = fromlen;
	w.tcp = tcp;
	if (res_req_parse(buf, len, &w.req) == -1) {
		d->dropped++;
		return;
	}
	if (!resolverd_acl_allows(&d->set, (const struct sockaddr *)from)) {
		d->refused++;
		reply(NULL, &w, NULL, LDNS_RCODE_REFUSED);
		return;
	}
	if (w.req.rcode != 0) {
		d->formerr++;
		reply(NULL, &w, NULL, w.req.rcode);
		return;
	}
	/* Before the answers cache: it does not key on the class. */
	if (w.req.qclass == LDNS_RR_CLASS_CH) {
		chaos_reply(d, &w);
		return;
	}
	if (res_msgcache_get(d->resv->mc, &w.req, time(NULL), d->rbuf,
	    reply_max(&w), &rlen) == 0) {
		d->fast_hits++;
		send_wire(&w, d->rbuf, rlen);
		return;
	}
	handle_query(d, &w);
}

static void
udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct resolverd	*d = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	uint8_t			 buf[4096];
	ssize_t			 n;
	int			 i;

	(void)what;
	for (i = 0; i < 64; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n < 0)
			return;
		client_query(d, buf, (size_t)n, fd, &from, fromlen, NULL);
	}
}

static void
tcp_readable(struct bufferevent *bev, void *arg)
{
	struct tcpconn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct sockaddr_storage	from;
	socklen_t	 fromlen = sizeof(from);
	uint8_t		 hdr[2], *msg;
	size_t		 len;

	if (getpeername(bufferevent_getfd(bev), (struct sockaddr *)&from,
	    &fromlen) == -1) {
		tcpconn_close(c);
		return;
	}
	while (!c->closed && !tcpconn_busy(c) &&
	    evbuffer_copyout(in, hdr, 2) == 2) {
		len = (size_t)(hdr[0] << 8 | hdr[1]);
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		if ((msg = malloc(len ? len : 1)) == NULL) {
			tcpconn_close(c);
			return;
		}
		evbuffer_remove(in, msg, len);
		tcpconn_active(c);
		c->refs++;
		client_query(c->d, msg, len, -1, &from, fromlen, c);
		free(msg);
		tcpconn_release(c);
	}
	/* The kernel holds what the client sends meanwhile. */
	if (!c->closed && tcpconn_busy(c))
		bufferevent_disable(bev, EV_READ);
}

/* The client read what was queued: its next queries. */
static void
tcp_writable(struct bufferevent *bev, void *arg)
{
	struct tcpconn	*c = arg;

	(void)bev;
	if (!c->closed)
		tcpconn_active(c);
	tcpconn_resume(c);
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		tcpconn_close(arg);
}

static void
tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct resolverd	*d = arg;
	struct tcpconn		*c;
	struct timeval		 tv = { TCP_IDLE_SECONDS, 0 };

	(void)l;
	(void)sa;
	(void)salen;
	if ((d->ntcp >= RESOLVERD_MAX_TCP && !tcpconn_evict(d)) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->d = d;
	c->refs = 1;
	if ((c->resume = event_new(d->base, -1, 0, tcp_resume, c)) == NULL ||
	    (c->deadline = evtimer_new(d->base, tcp_deadline, c)) == NULL ||
	    (c->bev = bufferevent_socket_new(d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (c->resume != NULL)
			event_free(c->resume);
		if (c->deadline != NULL)
			event_free(c->deadline);
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&d->tcpconns, c, entry);
	d->ntcp++;
	d->tcp_clients++;
	bufferevent_setcb(c->bev, tcp_readable, tcp_writable, tcp_event, c);
	/* Reading has the deadline; writing a timeout (a client that does
	 * not read its answers). */
	evtimer_add(c->deadline, &tv);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	/* One message at most in the input; the rest waits in the kernel. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, TCP_MSG_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int
resolverd_listen(struct resolverd *d, struct err *err)
{
	const struct opt_addr	*a = d->set.conf.listen.v;
	struct listener		*l;
	size_t			 i;
	int			 on = 1;

	if ((d->ls = calloc(d->set.conf.listen.n, sizeof(*d->ls))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < d->set.conf.listen.n; i++) {
		l = &d->ls[i];
		l->udp = l->tcp = -1;
		snprintf(l->text, sizeof(l->text), "%s", a[i].text);
		d->nls++;
		if ((l->udp = socket(a[i].ss.ss_family, SOCK_DGRAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
			goto fail;
		if (a[i].ss.ss_family == AF_INET6)
			setsockopt(l->udp, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(l->udp, (const struct sockaddr *)&a[i].ss,
		    a[i].len) == -1)
			goto fail;
		if ((l->ev_udp = event_new(d->base, l->udp, EV_READ |
		    EV_PERSIST, udp_readable, d)) == NULL ||
		    event_add(l->ev_udp, NULL) == -1)
			goto fail;
		if ((l->tcp = socket(a[i].ss.ss_family, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
			goto fail;
		setsockopt(l->tcp, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (a[i].ss.ss_family == AF_INET6)
			setsockopt(l->tcp, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(l->tcp, (const struct sockaddr *)&a[i].ss,
		    a[i].len) == -1 || listen(l->tcp, 64) == -1)
			goto fail;
		if ((l->lev = evconnlistener_new(d->base, tcp_accept, d,
		    LEV_OPT_CLOSE_ON_FREE, -1, l->tcp)) == NULL)
			goto fail;
		log_info("resolver listen %s udp tcp", l->text);
	}
	return 0;
fail:
	err_set(err, ERR_IO, "--listen %s: %s", l->text, strerror(errno));
	return -1;
}

void
resolverd_log_stats(struct resolverd *d)
{
	struct res_stats	s;
	uint64_t		mce, mch;

	res_resolver_stats(d->resv->r, &s);
	res_msgcache_usage(d->resv->mc, &mce, &mch);
	log_info("resolver stats queries=%" PRIu64 " cache_hits=%" PRIu64
	    " upstream=%" PRIu64 " timeouts=%" PRIu64
	    " upstream_wrong_id=%" PRIu64 " upstream_mismatch=%" PRIu64
	    " secure=%" PRIu64
	    " insecure=%" PRIu64 " bogus=%" PRIu64 " servfail=%" PRIu64
	    " refused=%" PRIu64 " formerr=%" PRIu64 " dropped=%" PRIu64
	    " tcp_clients=%" PRIu64 " tcp_evicted=%" PRIu64
	    " in_flight=%zu cache_entries=%" PRIu64
	    " cache_bytes=%" PRIu64 " answers_cached=%" PRIu64
	    " answers_from_cache=%" PRIu64, s.queries, s.cache_hits,
	    s.upstream, s.timeouts, d->wrong_id, s.mismatched, s.secure,
	    s.insecure, s.bogus, s.servfail,
	    d->refused, d->formerr, d->dropped, d->tcp_clients,
	    d->tcp_evicted, d->ntasks,
	    s.cache_entries, s.cache_bytes, mce, d->fast_hits);
}

void
resolverd_shutdown(struct resolverd *d)
{
	struct tcpconn	*c, *next;
	struct task	*t, *tnext;
	size_t		 i;

	/* A task frees itself alone (its waiters, its upstream question). */
	for (t = TAILQ_FIRST(&d->tasks); t != NULL; t = tnext) {
		tnext = TAILQ_NEXT(t, entry);
		task_free(t);
	}
	/* With the tasks gone no waiter holds a connection: closing
	 * frees each one still open. */
	for (c = TAILQ_FIRST(&d->tcpconns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		tcpconn_close(c);
	}
	for (i = 0; i < d->nls; i++) {
		if (d->ls[i].ev_udp != NULL)
			event_free(d->ls[i].ev_udp);
		if (d->ls[i].lev != NULL)
			evconnlistener_free(d->ls[i].lev);
		else if (d->ls[i].tcp != -1)
			close(d->ls[i].tcp);
		if (d->ls[i].udp != -1)
			close(d->ls[i].udp);
	}
	free(d->ls);
	d->ls = NULL;
	d->nls = 0;
}
