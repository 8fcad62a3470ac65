/*
 * stats.c: timbre-signd's statistics, one "name=value" string per
 * counter (the names of timbre-signd(8), STATISTICS), given the two
 * ways docs/interface.md asks of every daemon: logged on SIGUSR1, and
 * answered to "dig CH TXT stats.timbre." (one TXT record per string, as
 * timbre-resolverd answers it) on --stats-listen, over UDP and TCP
 * (RFC 1035 section 4.2; the answer is larger than 512 octets, so a
 * client without EDNS gets TC=1 over UDP and asks again over TCP).
 * Only clients inside --allow, or on loopback, get an answer; others
 * get REFUSED, as does every question but stats.timbre. and
 * version.bind. in class CH (src/resolver parses them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "signd.h"
#include "resolver/resolver.h"
#include "smtp/transport.h"
#include "util/err.h"
#include "util/pool.h"

#define STATS_RCODE_REFUSED	5	/* RFC 1035 section 4.1.1 */
#define STATS_TCP_IDLE		10	/* seconds for a TCP client */
#define STATS_TCP_MAX		16	/* TCP clients at once */

struct signd_statsrv {
	struct signd		*sd;
	struct event		*udp_ev;
	evutil_socket_t		 udp;
	struct evconnlistener	*tcp;
	size_t			 ntcp;
};

/* One "name=value" per counter, the names of timbre-signd(8)'s
 * STATISTICS, into v (n of them at most); how many were written. */
size_t
signd_stats_strings(struct signd *sd, char v[][SIGND_STAT_LEN], size_t n)
{
	struct signd_keyring_stats	 ks;
	struct signd_selfcheck_stats	 cs;
	struct signd_signkey		*k;
	const struct signd_stats	*st = &sd->stats;
	static const char *const	 kn[SIGND_NKINDS] = { "rsa", "ed25519",
					    "arc" };
	time_t				 now;
	size_t				 i = 0;
	enum signd_kind			 kind;

#define STAT(fmt, ...)	do {						\
		if (i < n)						\
			snprintf(v[i++], SIGND_STAT_LEN, fmt, __VA_ARGS__); \
	} while (0)
#define U(name, x)	STAT("%s=%" PRIu64, name, (uint64_t)(x))
	U("messages", st->messages);
	U("milter_messages", st->milter_messages);
	U("smtp_signed", st->signed_by[SIGND_FRONT_SMTP]);
	U("smtp_refused", st->refused_by[SIGND_FRONT_SMTP]);
	U("milter_signed", st->signed_by[SIGND_FRONT_MILTER]);
	U("milter_refused", st->refused_by[SIGND_FRONT_MILTER]);
	U("milter_aborted", st->milter_aborted);
	U("signed_rsa", st->sigs[SIGND_DKIM_RSA]);
	U("signed_ed25519", st->sigs[SIGND_DKIM_ED25519]);
	U("sealed_arc", st->sigs[SIGND_ARC]);
	U("nokey_rsa", st->nokey[SIGND_DKIM_RSA]);
	U("nokey_ed25519", st->nokey[SIGND_DKIM_ED25519]);
	U("nokey_arc", st->nokey[SIGND_ARC]);
	U("refused_nokey", st->unsigned_nokey);
	U("refused_bad", st->bad_message);
	U("refused_selfcheck", st->unchecked);
	U("arc_skipped", st->arc_skipped);
	U("relay_2xx", st->relay[2]);
	U("relay_4xx", st->relay[4]);
	U("relay_5xx", st->relay[5]);
	U("relay_failed", st->relay[0]);
	U("connections", st->connections);
	U("denied", st->denied);
	U("smtp_open", sd->smtp != NULL ? smtp_listener_conns(sd->smtp) : 0);
	U("milter_open", signd_milter_conns(sd));
	U("sign_workers", sd->pool != NULL ? pool_workers(sd->pool) : 0);
	U("sign_queue", sd->pool != NULL ? pool_pending(sd->pool) : 0);
	U("sign_cancelled", st->sign_cancelled);
	signd_selfcheck_stats(sd->selfcheck, &cs);
	STAT("selfcheck=%s", signd_check_state_name(cs.state));
	U("selfcheck_runs", cs.runs);
	U("selfcheck_passed", cs.passed);
	U("selfcheck_failed", cs.failed);
	STAT("selfcheck_age=%lld", cs.last != 0 ? (long long)(time(NULL) -
	    cs.last) : -1LL);
	if (sd->keyring == NULL)
		return i;
	signd_keyring_stats(sd->keyring, &ks);
	U("published", ks.published);
	U("deleted", ks.deleted);
	U("rotations", ks.rotations);
	U("update_failures", ks.update_failures);
	U("lookup_failures", ks.lookup_failures);
	U("mismatches", ks.mismatches);
	now = signd_keyring_now(sd->keyring);
	for (kind = 0; kind < SIGND_NKINDS; kind++) {
		if (!sd->set.kinds[kind])
			continue;
		if ((k = signd_keyring_get(sd->keyring, kind)) == NULL) {
			STAT("key_%s=none", kn[kind]);
			continue;
		}
		STAT("key_%s=%s", kn[kind], k->selector);
		STAT("key_%s_age=%lld", kn[kind], (long long)(now -
		    k->created));
		STAT("key_%s_expires_in=%lld", kn[kind], (long long)
		    (k->expires - now));
		signd_signkey_drop(k);
	}
#undef U
#undef STAT
	return i;
}

/* SIGUSR1: the counters, a few to a line. */
void
signd_stats_log(struct signd *sd)
{
	char	v[SIGND_MAX_STATS][SIGND_STAT_LEN], line[512];
	size_t	n, i, len = 0;

	n = signd_stats_strings(sd, v, SIGND_MAX_STATS);
	for (i = 0; i < n; i++) {
		if (len > 0 && len + strlen(v[i]) + 2 > 200) {
			log_info("signd stats %s", line);
			len = 0;
		}
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
		    len > 0 ? " " : "", v[i]);
	}
	if (len > 0)
		log_info("signd stats %s", line);
}

/* Is sa a client we answer: inside --allow, or on loopback? */
static bool
stats_allowed(const struct signd *sd, const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (acl_allows(&sd->set.acl, sa))
		return true;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return false;
}

/* The answer to the query q[0..len) from sa, at most max_len octets
 * (malloc'ed), or -1 when there is nothing to answer. */
static int
stats_answer(struct signd *sd, const uint8_t *q, size_t len,
    const struct sockaddr *sa, bool tcp, uint8_t **wire_out,
    size_t *len_out)
{
	char		 v[SIGND_MAX_STATS][SIGND_STAT_LEN];
	const char	*txt[SIGND_MAX_STATS];
	struct res_req	 req;
	struct err	 err;
	size_t		 n, i, max;

	if (res_req_parse(q, len, &req) == -1)
		return -1;
	max = tcp ? 65535 : req.udp_size;
	if (req.rcode == 0 && !stats_allowed(sd, sa))
		req.rcode = STATS_RCODE_REFUSED;
	if (req.rcode == 0) {
		switch (res_req_chaos(&req)) {
		case RES_CHAOS_STATS:
			n = signd_stats_strings(sd, v, SIGND_MAX_STATS);
			break;
		case RES_CHAOS_VERSION:
			snprintf(v[0], sizeof(v[0]), "timbre-signd %s",
			    PACKAGE_VERSION);
			n = 1;
			break;
		default:
			req.rcode = STATS_RCODE_REFUSED;
			n = 0;
			break;
		}
	}
	if (req.rcode != 0)
		return res_reply(&req, NULL, req.rcode, max, wire_out, len_out,
		    &err);
	for (i = 0; i < n; i++)
		txt[i] = v[i];
	if (res_chaos_reply(&req, txt, n, max, wire_out, len_out, &err) ==
	    -1) {
		log_warn("signd stats reply: %s", err.msg);
		return -1;
	}
	return 0;
}

static void
stats_on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct signd_statsrv	*ss = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	uint8_t			 buf[512 + 4096], *wire;
	ssize_t			 r;
	size_t			 len;

	(void)what;
	if ((r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen)) <= 0)
		return;
	if (stats_answer(ss->sd, buf, (size_t)r, (struct sockaddr *)&from,
	    false, &wire, &len) == -1)
		return;
	(void)sendto(fd, wire, len, 0, (struct sockaddr *)&from, fromlen);
	free(wire);
}

struct stats_tcp {
	struct signd_statsrv	*ss;
	struct sockaddr_storage	 from;
};

static void
stats_tcp_close(struct bufferevent *bev, struct stats_tcp *t)
{
	t->ss->ntcp--;
	bufferevent_free(bev);
	free(t);
}

static void
stats_tcp_on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	stats_tcp_close(bev, arg);
}

static void
stats_tcp_on_write(struct bufferevent *bev, void *arg)
{
	/* One answer per connection: gone once it is written. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		stats_tcp_close(bev, arg);
}

static void
stats_tcp_on_read(struct bufferevent *bev, void *arg)
{
	struct stats_tcp	*t = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	uint8_t			 lenb[2], *q, *wire;
	size_t			 qlen, len;

	if (evbuffer_copyout(in, lenb, 2) < 2)
		return;
	qlen = (size_t)lenb[0] << 8 | lenb[1];
	if (evbuffer_get_length(in) < 2 + qlen)
		return;
	if ((q = malloc(qlen > 0 ? qlen : 1)) == NULL) {
		stats_tcp_close(bev, t);
		return;
	}
	evbuffer_drain(in, 2);
	evbuffer_remove(in, q, qlen);
	if (stats_answer(t->ss->sd, q, qlen, (struct sockaddr *)&t->from,
	    true, &wire, &len) == -1) {
		free(q);
		stats_tcp_close(bev, t);
		return;
	}
	free(q);
	lenb[0] = (uint8_t)(len >> 8);
	lenb[1] = (uint8_t)len;
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, stats_tcp_on_write, stats_tcp_on_event,
	    t);
	bufferevent_write(bev, lenb, 2);
	bufferevent_write(bev, wire, len);
	free(wire);
}

static void
stats_on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct signd_statsrv	*ss = arg;
	struct stats_tcp	*t;
	struct bufferevent	*bev;
	struct timeval		 idle = { STATS_TCP_IDLE, 0 };

	(void)lev;
	if (ss->ntcp >= STATS_TCP_MAX || (t = calloc(1, sizeof(*t))) ==
	    NULL) {
		evutil_closesocket(fd);
		return;
	}
	if ((bev = bufferevent_socket_new(ss->sd->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		free(t);
		return;
	}
	t->ss = ss;
	memcpy(&t->from, sa, (size_t)salen < sizeof(t->from) ?
	    (size_t)salen : sizeof(t->from));
	ss->ntcp++;
	bufferevent_setcb(bev, stats_tcp_on_read, NULL, stats_tcp_on_event,
	    t);
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_enable(bev, EV_READ);
}

int
signd_stats_start(struct signd *sd, struct err *err)
{
	struct signd_statsrv	*ss;
	const struct opt_addr	*a = &sd->set.conf.stats_listen;
	evutil_socket_t		 fd;
	int			 one = 1;

	if (a->len == 0)
		return 0;
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	ss->sd = sd;
	ss->udp = -1;
	sd->statsrv = ss;
	if ((fd = socket(a->ss.ss_family, SOCK_DGRAM, 0)) == -1 ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1 ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1) {
		err_set(err, ERR_IO, "--stats-listen %s: udp: %s", a->text,
		    strerror(errno));
		if (fd != -1)
			evutil_closesocket(fd);
		return -1;
	}
	ss->udp = fd;
	if ((ss->udp_ev = event_new(sd->base, fd, EV_READ | EV_PERSIST,
	    stats_on_udp, ss)) == NULL || event_add(ss->udp_ev, NULL) == -1) {
		err_set(err, ERR_NOMEM, "--stats-listen: out of memory");
		return -1;
	}
	if ((fd = socket(a->ss.ss_family, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1 ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1 ||
	    (ss->tcp = evconnlistener_new(sd->base, stats_on_accept, ss,
	    LEV_OPT_CLOSE_ON_FREE, 16, fd)) == NULL) {
		err_set(err, ERR_IO, "--stats-listen %s: tcp: %s", a->text,
		    strerror(errno));
		if (fd != -1)
			evutil_closesocket(fd);
		return -1;
	}
	return 0;
}

void
signd_stats_stop(struct signd *sd)
{
	struct signd_statsrv	*ss = sd->statsrv;

	if (ss == NULL)
		return;
	if (ss->udp_ev != NULL)
		event_free(ss->udp_ev);
	if (ss->udp != -1)
		evutil_closesocket(ss->udp);
	if (ss->tcp != NULL)
		evconnlistener_free(ss->tcp);
	free(ss);
	sd->statsrv = NULL;
}
