/*
 * test_stub.c: the stub client against a scripted peer in the same event
 * loop, on 127.0.0.1 and a random port: what a real server cannot be made
 * to do (stay silent, spoof, truncate, answer FORMERR to EDNS, trickle a
 * TCP answer byte by byte, send a bad answer or close over TCP); and the
 * stub with its allocations failing one at a time (tests/unit/nomem.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dns/dns.h"
#include "util/err.h"
#include "test_dns.h"
#include "../nomem.h"

/*
 * The peer's callbacks as the event loop calls them: paused for the
 * allocation-failure tests, so that only the stub's allocations count.
 */
#define PEER_PAUSED(fn)							\
static void								\
fn##_paused(evutil_socket_t fd, short what, void *arg)			\
{									\
	nomem_pause(true);						\
	fn(fd, what, arg);						\
	nomem_pause(false);						\
}

#define QNAME		"txt.example.com"
#define TIMEOUT_MS	150	/* where the test waits for timeouts */
#define SLOW_MS		2000	/* where it does not */

enum udp_act {
	U_ANSWER,	/* TXT "hello" */
	U_SILENT,	/* no answer at all */
	U_TC,		/* TC=1, no records */
	U_SPOOF,	/* wrong ID, wrong question, junk, then "real" */
	U_FORMERR,	/* FORMERR (no question) to EDNS, else the answer */
	U_FORMERR_ALL,	/* FORMERR to everything */
	U_NXDOMAIN,
	U_NODATA,
	U_SERVFAIL,
};

enum tcp_act {
	T_ANSWER,	/* TXT "hello" */
	T_BIG,		/* the long TXT, more than 512 bytes */
	T_BAD,		/* an answer with another ID */
	T_CLOSE,	/* reads the query and hangs up */
	T_FORMERR,	/* FORMERR to EDNS, else the long TXT */
	T_SILENT,	/* reads the query, never answers */
};

struct peer {
	struct event_base	*base;
	enum udp_act		 uact;
	enum tcp_act		 tact;
	int			 drip;		/* TCP answer in pieces */
	int			 udp, lsn, port;
	struct event		*ev_udp, *ev_lsn;
	int			 conn;
	struct event		*ev_conn, *ev_drip;
	uint8_t			 in[1024];
	size_t			 inlen;
	uint8_t			*out;
	size_t			 outlen, outoff;
	int			 udp_queries, tcp_queries;
	int			 edns_queries, plain_queries;
};

static char	big_zone[2048];		/* the long TXT, zone file syntax */
static char	big_text[2048];		/* its strings joined */

static void
big_init(void)
{
	size_t	i, j, zl = 0, tl = 0;

	if (big_text[0] != '\0')
		return;
	for (i = 0; i < 6; i++) {
		big_zone[zl++] = '"';
		for (j = 0; j < 200; j++)
			big_zone[zl++] = big_text[tl++] = (char)('a' + i);
		big_zone[zl++] = '"';
		big_zone[zl++] = ' ';
	}
}

/* The peer's answer to query (wire), as its script says; NULL: none. */
static uint8_t *
peer_answer(struct peer *p, const uint8_t *query, size_t qlen, int tcp,
    int rcode, const char *txt, uint16_t idxor, const char *qname,
    size_t *len_out)
{
	struct tdns_answer	 a;
	ldns_pkt		*q;
	ldns_rr			*qrr;
	char			*name, rr[4096];
	uint8_t			*wire;

	ck_assert_int_eq(ldns_wire2pkt(&q, query, qlen), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_qdcount(q), 1);
	ck_assert(ldns_pkt_rd(q));
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	name = ldns_rdf2str(ldns_rr_owner(qrr));
	memset(&a, 0, sizeof(a));
	a.id = ldns_pkt_id(q) ^ idxor;
	a.qname = qname != NULL ? qname : name;
	a.qtype = ldns_rr_get_type(qrr);
	a.rcode = rcode;
	a.qr = 1;
	a.edns = ldns_pkt_edns(q);
	if (rcode == LDNS_RCODE_FORMERR)
		a.qname = NULL;
	if (txt != NULL && rcode == 0) {
		snprintf(rr, sizeof(rr), "%s TXT %s", a.qname, txt);
		a.an[0] = rr;
	}
	wire = tdns_wire(&a, len_out);
	free(name);
	ldns_pkt_free(q);
	(void)p;
	(void)tcp;
	return wire;
}

static void
peer_udp_send(struct peer *p, const struct sockaddr_storage *to,
    socklen_t tolen, uint8_t *wire, size_t len)
{
	ck_assert_int_eq(sendto(p->udp, wire, len, 0,
	    (const struct sockaddr *)to, tolen), (ssize_t)len);
	free(wire);
}

static void
peer_udp(evutil_socket_t fd, short what, void *arg)
{
	struct peer		*p = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	uint8_t			 buf[4096], *w, junk[5] = { 1, 2, 3, 4, 5 };
	ldns_pkt		*q;
	ssize_t			 n;
	size_t			 len;
	int			 edns, other;

	if ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen)) <= 0)
		return;
	p->udp_queries++;
	ck_assert_int_eq(ldns_wire2pkt(&q, buf, (size_t)n), LDNS_STATUS_OK);
	edns = ldns_pkt_edns(q);
	if (edns) {
		p->edns_queries++;
		ck_assert_uint_eq(ldns_pkt_edns_udp_size(q), 1232);
	} else
		p->plain_queries++;
	ldns_pkt_free(q);
	switch (p->uact) {
	case U_SILENT:
		return;
	case U_ANSWER:
		w = peer_answer(p, buf, n, 0, 0, "\"hello\"", 0, NULL, &len);
		break;
	case U_TC:
		w = peer_answer(p, buf, n, 0, 0, NULL, 0, NULL, &len);
		w[2] |= 0x02;
		break;
	case U_SPOOF:
		w = peer_answer(p, buf, n, 0, 0, "\"spoofed\"", 1, NULL, &len);
		peer_udp_send(p, &from, fromlen, w, len);
		w = peer_answer(p, buf, n, 0, 0, "\"spoofed\"", 0,
		    "other.example.com.", &len);
		peer_udp_send(p, &from, fromlen, w, len);
		ck_assert_int_eq(sendto(p->udp, junk, sizeof(junk), 0,
		    (struct sockaddr *)&from, fromlen), sizeof(junk));
		/* The right answer from the wrong port. */
		w = peer_answer(p, buf, n, 0, 0, "\"spoofed\"", 0, NULL, &len);
		ck_assert_int_ne(other = socket(AF_INET, SOCK_DGRAM, 0), -1);
		ck_assert_int_eq(sendto(other, w, len, 0,
		    (struct sockaddr *)&from, fromlen), (ssize_t)len);
		close(other);
		free(w);
		w = peer_answer(p, buf, n, 0, 0, "\"real\"", 0, NULL, &len);
		break;
	case U_FORMERR:
		w = peer_answer(p, buf, n, 0, edns ? LDNS_RCODE_FORMERR : 0,
		    "\"hello\"", 0, NULL, &len);
		break;
	case U_FORMERR_ALL:
		w = peer_answer(p, buf, n, 0, LDNS_RCODE_FORMERR, NULL, 0,
		    NULL, &len);
		break;
	case U_NXDOMAIN:
		w = peer_answer(p, buf, n, 0, LDNS_RCODE_NXDOMAIN, NULL, 0,
		    NULL, &len);
		break;
	case U_NODATA:
		w = peer_answer(p, buf, n, 0, 0, NULL, 0, NULL, &len);
		break;
	case U_SERVFAIL:
	default:
		w = peer_answer(p, buf, n, 0, LDNS_RCODE_SERVFAIL, NULL, 0,
		    NULL, &len);
		break;
	}
	peer_udp_send(p, &from, fromlen, w, len);
}
PEER_PAUSED(peer_udp)

static void
peer_conn_close(struct peer *p)
{
	if (p->ev_conn != NULL)
		event_free(p->ev_conn);
	if (p->ev_drip != NULL)
		event_free(p->ev_drip);
	p->ev_conn = p->ev_drip = NULL;
	if (p->conn != -1)
		close(p->conn);
	p->conn = -1;
	free(p->out);
	p->out = NULL;
	p->inlen = p->outlen = p->outoff = 0;
}

static void
peer_drip(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval	 ms = { 0, 1000 };
	struct peer			*p = arg;
	size_t				 n;

	/* Byte by byte through the length and header, then 100 at a time. */
	if (p->outoff < p->outlen) {
		n = p->outoff < 16 ? 1 : 100;
		if (n > p->outlen - p->outoff)
			n = p->outlen - p->outoff;
		ck_assert_int_eq(send(p->conn, p->out + p->outoff, n,
		    MSG_NOSIGNAL), (ssize_t)n);
		p->outoff += n;
		evtimer_add(p->ev_drip, &ms);
	}
}
PEER_PAUSED(peer_drip)

static void
peer_tcp_answer(struct peer *p, uint8_t *w, size_t len)
{
	static const struct timeval	now = { 0, 0 };

	ck_assert_ptr_nonnull(p->out = malloc(len + 2));
	p->out[0] = (uint8_t)(len >> 8);
	p->out[1] = (uint8_t)len;
	memcpy(p->out + 2, w, len);
	p->outlen = len + 2;
	free(w);
	if (p->drip) {
		p->ev_drip = evtimer_new(p->base, peer_drip_paused, p);
		evtimer_add(p->ev_drip, &now);
		return;
	}
	ck_assert_int_eq(send(p->conn, p->out, p->outlen, MSG_NOSIGNAL),
	    (ssize_t)p->outlen);
}

static void
peer_conn(evutil_socket_t fd, short what, void *arg)
{
	struct peer	*p = arg;
	ldns_pkt	*q;
	uint8_t		*w, *qw;
	size_t		 qlen, len;
	ssize_t		 n;
	int		 edns;

	/* Byte by byte too: the client's query may come in pieces. */
	n = recv(fd, p->in + p->inlen, sizeof(p->in) - p->inlen, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			peer_conn_close(p);
		return;
	}
	p->inlen += (size_t)n;
	if (p->inlen < 2 || p->inlen < 2 + (size_t)(p->in[0] << 8 | p->in[1]))
		return;
	qw = p->in + 2;
	qlen = (size_t)(p->in[0] << 8 | p->in[1]);
	ck_assert_uint_eq(p->inlen, qlen + 2);
	p->tcp_queries++;
	ck_assert_int_eq(ldns_wire2pkt(&q, qw, qlen), LDNS_STATUS_OK);
	edns = ldns_pkt_edns(q);
	if (edns)
		p->edns_queries++;
	else
		p->plain_queries++;
	ldns_pkt_free(q);
	p->inlen = 0;
	event_del(p->ev_conn);
	switch (p->tact) {
	case T_SILENT:
		return;
	case T_CLOSE:
		peer_conn_close(p);
		return;
	case T_ANSWER:
		w = peer_answer(p, qw, qlen, 1, 0, "\"hello\"", 0, NULL, &len);
		break;
	case T_BAD:
		w = peer_answer(p, qw, qlen, 1, 0, "\"hello\"", 1, NULL, &len);
		break;
	case T_FORMERR:
		w = peer_answer(p, qw, qlen, 1, edns ? LDNS_RCODE_FORMERR : 0,
		    big_zone, 0, NULL, &len);
		break;
	case T_BIG:
	default:
		w = peer_answer(p, qw, qlen, 1, 0, big_zone, 0, NULL, &len);
		break;
	}
	peer_tcp_answer(p, w, len);
}
PEER_PAUSED(peer_conn)

static void
peer_accept(evutil_socket_t fd, short what, void *arg)
{
	struct peer	*p = arg;
	int		 c;

	if ((c = accept(fd, NULL, NULL)) == -1)
		return;
	/* One connection at a time; a retry replaces the last. */
	peer_conn_close(p);
	p->conn = c;
	ck_assert_int_ne(fcntl(c, F_SETFL, O_NONBLOCK), -1);
	p->ev_conn = event_new(p->base, c, EV_READ | EV_PERSIST,
	    peer_conn_paused, p);
	event_add(p->ev_conn, NULL);
}
PEER_PAUSED(peer_accept)

/*
 * A UDP socket and a TCP listener on the same random port of 127.0.0.1 (or
 * ::1); -1 when the address cannot be bound (no IPv6 here).
 */
static int
peer_start_af(struct peer *p, struct event_base *base, int af)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 tries, one = 1;

	memset(p, 0, sizeof(*p));
	p->base = base;
	p->conn = -1;
	for (tries = 0; tries < 50; tries++) {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = af;
		if (af == AF_INET)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else
			sin6->sin6_addr = in6addr_loopback;
		len = af == AF_INET ? sizeof(*sin) : sizeof(*sin6);
		ck_assert_int_ne(p->udp = socket(af, SOCK_DGRAM, 0), -1);
		if (bind(p->udp, (struct sockaddr *)&ss, len) == -1) {
			close(p->udp);
			return -1;
		}
		ck_assert_int_eq(getsockname(p->udp, (struct sockaddr *)&ss,
		    &len), 0);
		ck_assert_int_ne(p->lsn = socket(af, SOCK_STREAM, 0), -1);
		setsockopt(p->lsn, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(p->lsn, (struct sockaddr *)&ss, len) == 0 &&
		    listen(p->lsn, 8) == 0)
			break;
		close(p->udp);
		close(p->lsn);
	}
	ck_assert_int_lt(tries, 50);
	p->port = ntohs(af == AF_INET ? sin->sin_port : sin6->sin6_port);
	p->ev_udp = event_new(base, p->udp, EV_READ | EV_PERSIST,
	    peer_udp_paused, p);
	p->ev_lsn = event_new(base, p->lsn, EV_READ | EV_PERSIST,
	    peer_accept_paused, p);
	event_add(p->ev_udp, NULL);
	event_add(p->ev_lsn, NULL);
	return 0;
}

static void
peer_start(struct peer *p, struct event_base *base)
{
	ck_assert_int_eq(peer_start_af(p, base, AF_INET), 0);
}

static void
peer_stop(struct peer *p)
{
	peer_conn_close(p);
	event_free(p->ev_udp);
	event_free(p->ev_lsn);
	close(p->udp);
	close(p->lsn);
}

/* What a callback saw. */
struct result {
	int		 called;
	enum dns_status	 status;
	int		 has_msg;
	int		 rcode;
	size_t		 ntxt;
	char		 txt[2048];
};

static void
on_answer(enum dns_status status, const struct dns_msg *msg, void *arg)
{
	struct result	*r = arg;
	struct err	 err;
	char		**txts;
	size_t		 n;

	r->called++;
	r->status = status;
	r->has_msg = msg != NULL;
	if (msg == NULL)
		return;
	r->rcode = dns_msg_rcode(msg);
	ck_assert_int_eq(dns_msg_txts(msg, QNAME, &txts, &n, &err), 0);
	r->ntxt = n;
	if (n > 0)
		snprintf(r->txt, sizeof(r->txt), "%s", txts[0]);
	dns_txts_free(txts, n);
}

static void
wake(evutil_socket_t fd, short what, void *arg)
{
	int	*expired = arg;

	*expired = 1;
}

static long
ms_since(const struct timeval *t0)
{
	struct timeval	t;

	gettimeofday(&t, NULL);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_usec - t0->tv_usec) /
	    1000;
}

/* Runs the loop until *count reaches want or limit_ms pass. */
static void
run_until(struct event_base *base, const int *count, int want, int limit_ms)
{
	struct timeval	 tv = { limit_ms / 1000, (limit_ms % 1000) * 1000 };
	struct event	*ev;
	int		 expired = 0;

	ev = evtimer_new(base, wake, &expired);
	evtimer_add(ev, &tv);
	while (*count < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
}

static struct dns_stub *
stub_for(struct event_base *base, const struct peer *p, int tcp, int retries,
    int timeout_ms)
{
	struct dns_stub_opts	 o = { timeout_ms, retries, 0, false,
	    false };
	struct dns_server	 srv;
	struct dns_stub		*stub;
	struct err		 err;
	char			 spec[64];

	snprintf(spec, sizeof(spec), "%s:127.0.0.1:%d", tcp ? "tcp" : "udp",
	    p->port);
	ck_assert_int_eq(dns_server_parse(spec, &srv, &err), 0);
	ck_assert_ptr_nonnull(stub = dns_stub_new(base, &srv, &o, &err));
	return stub;
}

static const struct {
	const char	*what;
	enum udp_act	 uact;
	enum tcp_act	 tact;
	int		 drip, tcp;
	enum dns_status	 status;
	const char	*txt;		/* first TXT; "BIG": the long one */
	int		 rcode;		/* -1: no message */
	int		 udp, tcpq;	/* queries the peer saw */
	int		 edns, plain;
} stub_cases[] = {
	{ "answer", U_ANSWER, T_ANSWER, 0, 0, DNS_OK, "hello", 0,
	    1, 0, 1, 0 },
	{ "nodata", U_NODATA, T_ANSWER, 0, 0, DNS_NODATA, NULL, 0,
	    1, 0, 1, 0 },
	{ "nxdomain", U_NXDOMAIN, T_ANSWER, 0, 0, DNS_NXDOMAIN, NULL, 3,
	    1, 0, 1, 0 },
	{ "servfail", U_SERVFAIL, T_ANSWER, 0, 0, DNS_SERVFAIL, NULL, -1,
	    1, 0, 1, 0 },
	{ "tc, then tcp", U_TC, T_BIG, 0, 0, DNS_OK, "BIG", 0,
	    1, 1, 2, 0 },
	{ "tc, then tcp in pieces", U_TC, T_BIG, 1, 0, DNS_OK, "BIG",
	    0, 1, 1, 2, 0 },
	{ "timeout after retries", U_SILENT, T_ANSWER, 0, 0, DNS_TIMEOUT,
	    NULL, -1, 3, 0, 3, 0 },
	{ "spoofs ignored", U_SPOOF, T_ANSWER, 0, 0, DNS_OK, "real", 0,
	    1, 0, 1, 0 },
	{ "formerr, then without edns", U_FORMERR, T_ANSWER, 0, 0, DNS_OK,
	    "hello", 0, 2, 0, 1, 1 },
	{ "formerr always", U_FORMERR_ALL, T_ANSWER, 0, 0, DNS_SERVFAIL,
	    NULL, -1, 2, 0, 1, 1 },
	{ "tcp only", U_SILENT, T_ANSWER, 0, 1, DNS_OK, "hello", 0,
	    0, 1, 1, 0 },
	{ "tcp only, in pieces", U_SILENT, T_BIG, 1, 1, DNS_OK, "BIG", 0,
	    0, 1, 1, 0 },
	{ "tcp, formerr, then without edns", U_SILENT, T_FORMERR, 1, 1,
	    DNS_OK, "BIG", 0, 0, 2, 1, 1 },
	{ "tcp, wrong id", U_SILENT, T_BAD, 0, 1, DNS_MALFORMED, NULL, -1,
	    0, 1, 1, 0 },
	{ "tcp, hang-ups", U_SILENT, T_CLOSE, 0, 1, DNS_TIMEOUT, NULL, -1,
	    0, 3, 3, 0 },
};

START_TEST(test_stub_script)
{
	struct event_base	*base;
	struct dns_stub		*stub;
	struct peer		 p;
	struct result		 r;
	struct err		 err;
	const char		*want;

	big_init();
	ck_assert_ptr_nonnull(base = event_base_new());
	peer_start(&p, base);
	p.uact = stub_cases[_i].uact;
	p.tact = stub_cases[_i].tact;
	p.drip = stub_cases[_i].drip;
	/* Short only where waiting is the test: a loaded machine is slow. */
	stub = stub_for(base, &p, stub_cases[_i].tcp, 2,
	    stub_cases[_i].status == DNS_TIMEOUT ? TIMEOUT_MS : SLOW_MS);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, on_answer, &r,
	    &err), 0);
	ck_assert_int_eq(r.called, 0);
	ck_assert_uint_eq(dns_stub_pending(stub), 1);
	run_until(base, &r.called, 1, 3000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_msg(r.status == stub_cases[_i].status, "%s: %s",
	    stub_cases[_i].what, dns_status_str(r.status));
	ck_assert_uint_eq(dns_stub_pending(stub), 0);
	ck_assert_int_eq(r.has_msg, stub_cases[_i].rcode != -1);
	if (r.has_msg)
		ck_assert_int_eq(r.rcode, stub_cases[_i].rcode);
	if ((want = stub_cases[_i].txt) != NULL) {
		ck_assert_uint_eq(r.ntxt, 1);
		ck_assert_str_eq(r.txt, strcmp(want, "BIG") == 0 ? big_text :
		    want);
	} else
		ck_assert_uint_eq(r.ntxt, 0);
	ck_assert_int_eq(p.udp_queries, stub_cases[_i].udp);
	ck_assert_int_eq(p.tcp_queries, stub_cases[_i].tcpq);
	ck_assert_int_eq(p.edns_queries, stub_cases[_i].edns);
	ck_assert_int_eq(p.plain_queries, stub_cases[_i].plain);
	dns_stub_free(stub);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

/* What a query gave, recorded without allocating (nomem). */
struct bare {
	int		called;
	enum dns_status	status;
};

static void
on_bare(enum dns_status status, const struct dns_msg *msg, void *arg)
{
	struct bare	*b = arg;

	(void)msg;
	b->called++;
	b->status = status;
}

/* The cases of stub_cases that end without waiting for a time-out. */
static const int nomem_cases[] = { 0, 4, 5, 8, 11, 12 };

/*
 * A query with the stub's allocations failing one at a time: the query
 * is refused (ERR_NOMEM), or it ends, once, as with memory to spare or
 * with SERVFAIL; never a crash, a second call or, under LeakSanitizer,
 * a leak.  The peer's own work runs paused (PEER_PAUSED).
 */
START_TEST(test_stub_nomem)
{
	int			 c = nomem_cases[_i];
	struct event_base	*base;
	struct dns_stub		*stub;
	struct peer		 p;
	struct dns_stub_opts	 o = { SLOW_MS, 2, 0, false, false };
	struct dns_server	 srv;
	struct bare		 b;
	struct err		 err;
	char			 spec[64];
	long			 n;
	bool			 hit;
	int			 rc;

	big_init();
	for (n = 0; n < 100000; n++) {
		ck_assert_ptr_nonnull(base = event_base_new());
		peer_start(&p, base);
		p.uact = stub_cases[c].uact;
		p.tact = stub_cases[c].tact;
		p.drip = stub_cases[c].drip;
		memset(&b, 0, sizeof(b));
		snprintf(spec, sizeof(spec), "%s:127.0.0.1:%d",
		    stub_cases[c].tcp ? "tcp" : "udp", p.port);
		ck_assert_int_eq(dns_server_parse(spec, &srv, &err), 0);
		nomem_arm(n);
		rc = -1;
		if ((stub = dns_stub_new(base, &srv, &o, &err)) != NULL &&
		    (rc = dns_stub_query(stub, QNAME, DNS_T_TXT, on_bare, &b,
		    &err)) == 0)
			while (b.called == 0 &&
			    event_base_loop(base, EVLOOP_ONCE) == 0)
				;
		hit = nomem_disarm();
		if (rc == -1) {
			ck_assert(hit);
			ck_assert_int_eq(err.code, ERR_NOMEM);
			ck_assert_int_eq(b.called, 0);
		} else {
			ck_assert_int_eq(b.called, 1);
			ck_assert_msg(b.status == stub_cases[c].status ||
			    (hit && b.status == DNS_SERVFAIL), "%s, "
			    "allocation %ld failed: %s", stub_cases[c].what,
			    n + 1, dns_status_str(b.status));
		}
		ck_assert(stub == NULL || dns_stub_pending(stub) == 0);
		dns_stub_free(stub);
		peer_stop(&p);
		event_base_free(base);
		if (!hit)
			break;
	}
	ck_assert_int_gt(n, 0);
}
END_TEST

static const struct {
	int	retries;	/* as given in the options */
	int	attempts;	/* as the peer sees them */
} retry_cases[] = {
	{ -1, 1 }, { 0, 3 }, { 1, 2 }, { 2, 3 },
};

/* Retries are separate attempts, each timeout_ms apart; 0 is 2. */
START_TEST(test_stub_retries)
{
	struct dns_stub_opts	 o = { TIMEOUT_MS, retry_cases[_i].retries, 0,
	    false, false };
	struct event_base	*base;
	struct dns_server	 srv;
	struct dns_stub		*stub;
	struct peer		 p;
	struct result		 r;
	struct err		 err;
	struct timeval		 t0;
	char			 spec[64];
	long			 ms, want;

	ck_assert_ptr_nonnull(base = event_base_new());
	peer_start(&p, base);
	p.uact = U_SILENT;
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", p.port);
	ck_assert_int_eq(dns_server_parse(spec, &srv, &err), 0);
	ck_assert_ptr_nonnull(stub = dns_stub_new(base, &srv, &o, &err));
	memset(&r, 0, sizeof(r));
	gettimeofday(&t0, NULL);
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, on_answer, &r,
	    &err), 0);
	run_until(base, &r.called, 1, 3000);
	ms = ms_since(&t0);
	want = (long)retry_cases[_i].attempts * TIMEOUT_MS;
	ck_assert_int_eq(r.status, DNS_TIMEOUT);
	ck_assert_int_eq(p.udp_queries, retry_cases[_i].attempts);
	ck_assert_int_ge(ms, want - 20);
	ck_assert_int_lt(ms, want + 1000);
	dns_stub_free(stub);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

/* Nobody listens: every attempt fails at once, no timeout is waited for. */
START_TEST(test_stub_refused)
{
	struct dns_stub_opts	 o = { 2000, 2, 0, false, false };
	struct event_base	*base;
	struct dns_server	 srv;
	struct dns_stub		*stub;
	struct sockaddr_in	 sin;
	struct result		 r;
	struct err		 err;
	struct timeval		 t0;
	socklen_t		 len = sizeof(sin);
	char			 spec[64];
	int			 fd;

	/* A port just closed is a port nobody listens on. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(fd = socket(AF_INET, _i ? SOCK_STREAM : SOCK_DGRAM,
	    0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	snprintf(spec, sizeof(spec), "%s:127.0.0.1:%u", _i ? "tcp" : "udp",
	    ntohs(sin.sin_port));
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_int_eq(dns_server_parse(spec, &srv, &err), 0);
	ck_assert_ptr_nonnull(stub = dns_stub_new(base, &srv, &o, &err));
	memset(&r, 0, sizeof(r));
	gettimeofday(&t0, NULL);
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, on_answer, &r,
	    &err), 0);
	ck_assert_int_eq(r.called, 0);
	run_until(base, &r.called, 1, 5000);
	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, DNS_TIMEOUT);
	ck_assert_int_lt(ms_since(&t0), 1000);
	dns_stub_free(stub);
	event_base_free(base);
}
END_TEST

struct chain {
	struct dns_stub	**stub;
	int		  called;
	struct result	  again;
	int		  ask_again;
};

static void
on_answer_free(enum dns_status status, const struct dns_msg *msg, void *arg)
{
	struct chain	*c = arg;

	c->called++;
	dns_stub_free(*c->stub);
	*c->stub = NULL;
}

static void
on_answer_again(enum dns_status status, const struct dns_msg *msg,
    void *arg)
{
	struct chain	*c = arg;
	struct err	 err;

	c->called++;
	ck_assert_int_eq(status, DNS_OK);
	if (c->ask_again--)
		ck_assert_int_eq(dns_stub_query(*c->stub, QNAME, DNS_T_TXT,
		    on_answer, &c->again, &err), 0);
}

/* A callback that frees the stub cancels the others, silently. */
START_TEST(test_stub_free_in_callback)
{
	struct event_base	*base;
	struct dns_stub		*stub;
	struct peer		 p;
	struct chain		 c;
	struct result		 r1, r2;
	struct err		 err;

	ck_assert_ptr_nonnull(base = event_base_new());
	peer_start(&p, base);
	p.uact = U_ANSWER;
	stub = stub_for(base, &p, 0, 2, SLOW_MS);
	memset(&c, 0, sizeof(c));
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	c.stub = &stub;
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT,
	    on_answer_free, &c, &err), 0);
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, on_answer,
	    &r1, &err), 0);
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, on_answer,
	    &r2, &err), 0);
	ck_assert_uint_eq(dns_stub_pending(stub), 3);
	run_until(base, &c.called, 1, 3000);
	ck_assert_int_eq(c.called, 1);
	ck_assert_ptr_null(stub);
	/* Give the cancelled answers time to arrive: nobody hears them. */
	run_until(base, &r1.called, 1, 100);
	ck_assert_int_eq(r1.called + r2.called, 0);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

/* A callback may ask again; the new question gets its own answer. */
START_TEST(test_stub_query_in_callback)
{
	struct event_base	*base;
	struct dns_stub		*stub;
	struct peer		 p;
	struct chain		 c;
	struct err		 err;

	ck_assert_ptr_nonnull(base = event_base_new());
	peer_start(&p, base);
	p.uact = U_ANSWER;
	stub = stub_for(base, &p, 0, 2, SLOW_MS);
	memset(&c, 0, sizeof(c));
	c.stub = &stub;
	c.ask_again = 1;
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT,
	    on_answer_again, &c, &err), 0);
	run_until(base, &c.again.called, 1, 3000);
	ck_assert_int_eq(c.called, 1);
	ck_assert_int_eq(c.again.called, 1);
	ck_assert_int_eq(c.again.status, DNS_OK);
	ck_assert_str_eq(c.again.txt, "hello");
	ck_assert_int_eq(p.udp_queries, 2);
	ck_assert_uint_eq(dns_stub_pending(stub), 0);
	dns_stub_free(stub);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

/* Many questions at once, each on its own socket, each answered. */
START_TEST(test_stub_many)
{
	struct event_base	*base;
	struct dns_stub		*stub;
	struct peer		 p;
	struct result		 r[20];
	struct err		 err;
	int			 i, done;

	ck_assert_ptr_nonnull(base = event_base_new());
	peer_start(&p, base);
	p.uact = U_ANSWER;
	stub = stub_for(base, &p, 0, 2, SLOW_MS);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT,
		    on_answer, &r[i], &err), 0);
	ck_assert_uint_eq(dns_stub_pending(stub), 20);
	for (done = 0; done < 20; ) {
		run_until(base, &r[done].called, 1, 3000);
		ck_assert_int_eq(r[done].called, 1);
		ck_assert_int_eq(r[done].status, DNS_OK);
		done++;
	}
	ck_assert_uint_eq(dns_stub_pending(stub), 0);
	dns_stub_free(stub);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

/* Freeing a stub with questions out calls nobody and leaks nothing. */
START_TEST(test_stub_free_pending)
{
	struct event_base	*base;
	struct dns_stub		*udp, *tcp;
	struct peer		 p;
	struct result		 r[4];
	struct err		 err;
	int			 i;

	ck_assert_ptr_nonnull(base = event_base_new());
	peer_start(&p, base);
	p.uact = U_SILENT;
	p.tact = T_SILENT;
	udp = stub_for(base, &p, 0, 2, SLOW_MS);
	tcp = stub_for(base, &p, 1, 2, SLOW_MS);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(dns_stub_query(udp, QNAME, DNS_T_TXT,
		    on_answer, &r[i], &err), 0);
	ck_assert_int_eq(dns_stub_query(tcp, QNAME, DNS_T_TXT, on_answer,
	    &r[3], &err), 0);
	/* Long enough for the questions to be sent and the TCP one read. */
	run_until(base, &p.tcp_queries, 1, 100);
	run_until(base, &p.udp_queries, 3, 100);
	ck_assert_int_eq(p.tcp_queries, 1);
	ck_assert_int_eq(p.udp_queries, 3);
	dns_stub_free(udp);
	dns_stub_free(tcp);
	run_until(base, &r[0].called, 1, 2 * TIMEOUT_MS);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(r[i].called, 0);
	dns_stub_free(NULL);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

/* The same over IPv6, "udp:[::1]:PORT" and "tcp:[::1]:PORT", where ::1 is. */
START_TEST(test_stub_ipv6)
{
	struct event_base	*base;
	struct dns_server	 srv;
	struct dns_stub		*stub;
	struct peer		 p;
	struct result		 r;
	struct err		 err;
	char			 spec[64];

	big_init();
	ck_assert_ptr_nonnull(base = event_base_new());
	if (peer_start_af(&p, base, AF_INET6) == -1) {
		event_base_free(base);
		return;		/* no IPv6 on this machine */
	}
	p.uact = U_TC;
	p.tact = T_BIG;
	snprintf(spec, sizeof(spec), "%s:[::1]:%d", _i ? "tcp" : "udp",
	    p.port);
	ck_assert_int_eq(dns_server_parse(spec, &srv, &err), 0);
	ck_assert_ptr_nonnull(stub = dns_stub_new(base, &srv, NULL, &err));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, on_answer, &r,
	    &err), 0);
	run_until(base, &r.called, 1, 3000);
	ck_assert_int_eq(r.status, DNS_OK);
	ck_assert_str_eq(r.txt, big_text);
	ck_assert_int_eq(p.udp_queries, _i ? 0 : 1);
	ck_assert_int_eq(p.tcp_queries, 1);
	dns_stub_free(stub);
	peer_stop(&p);
	event_base_free(base);
}
END_TEST

START_TEST(test_stub_bad_input)
{
	struct event_base	*base;
	struct dns_server	 srv;
	struct dns_stub		*stub;
	struct result		 r;
	struct err		 err;
	char			 name[300];

	ck_assert_ptr_nonnull(base = event_base_new());
	memset(&srv, 0, sizeof(srv));
	ck_assert_ptr_null(dns_stub_new(base, &srv, NULL, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(dns_server_parse("127.0.0.1:9", &srv, &err), 0);
	ck_assert_ptr_nonnull(stub = dns_stub_new(base, &srv, NULL, &err));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(dns_stub_query(stub, "", DNS_T_TXT, on_answer, &r,
	    &err), -1);
	ck_assert_int_eq(err.code, DNS_E_NAME);
	ck_assert_int_eq(dns_stub_query(stub, "a..b", DNS_T_TXT, on_answer,
	    &r, &err), -1);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(dns_stub_query(stub, name, DNS_T_TXT, on_answer, &r,
	    &err), -1);
	ck_assert_int_eq(dns_stub_query(stub, QNAME, DNS_T_TXT, NULL, &r,
	    &err), -1);
	ck_assert_uint_eq(dns_stub_pending(stub), 0);
	ck_assert_int_eq(r.called, 0);
	dns_stub_free(stub);
	event_base_free(base);
}
END_TEST

TCase *
dns_tcase_stub(void)
{
	TCase	*tc = tcase_create("stub");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_stub_script, 0,
	    sizeof(stub_cases) / sizeof(stub_cases[0]));
	tcase_add_loop_test(tc, test_stub_retries, 0,
	    sizeof(retry_cases) / sizeof(retry_cases[0]));
	tcase_add_loop_test(tc, test_stub_refused, 0, 2);
	tcase_add_test(tc, test_stub_free_in_callback);
	tcase_add_test(tc, test_stub_query_in_callback);
	tcase_add_test(tc, test_stub_many);
	tcase_add_test(tc, test_stub_free_pending);
	tcase_add_loop_test(tc, test_stub_ipv6, 0, 2);
	tcase_add_test(tc, test_stub_bad_input);
	tcase_add_loop_test(tc, test_stub_nomem, 0,
	    sizeof(nomem_cases) / sizeof(nomem_cases[0]));
	return tc;
}
