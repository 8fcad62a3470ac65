/*
 * notify.c: timbre-primaryd's NOTIFY to the secondaries (RFC 1996) after
 * every change of a zone: to the addresses of the zone's NS hosts found
 * in its own data and to --also-notify, from one UDP socket, each
 * retried after 1, 2, 4, 8 and 16 s until it is answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "primaryd.h"
#include "keys/mac.h"
#include "util/buf.h"
#include "util/err.h"

#define NOTIFY_TRIES	6	/* after 1, 2, 4, 8, 16 s: give up */

/* One NOTIFY to one secondary, until it answers or we give up. */
struct notify_job {
	struct primaryd		*d;
	struct notify_job	*next;
	struct event		*timer;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 to[80];
	char			 zone[256];
	uint32_t		 serial;
	uint16_t		 id;
	int			 tries;
	struct buf		 msg;
};

static void
notify_job_free(struct primaryd *d, struct notify_job *j)
{
	struct notify_job	**p;

	for (p = &d->jobs; *p != NULL; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	event_free(j->timer);
	buf_fini(&j->msg);
	free(j);
}

static void
on_notify_timer(evutil_socket_t fd, short what, void *arg)
{
	struct notify_job	*j = arg;
	struct timeval		 tv = { 1, 0 };

	if (j->tries >= NOTIFY_TRIES) {
		log_warn("zone %s: notify to %s serial=%u: no answer after %d "
		    "tries", j->zone, j->to, j->serial, j->tries);
		notify_job_free(j->d, j);
		return;
	}
	tv.tv_sec = 1 << j->tries;
	j->tries++;
	if (sendto(j->d->notify_fd, j->msg.data, j->msg.len, 0,
	    (struct sockaddr *)&j->ss, j->len) == -1)
		log_debug("zone %s: notify to %s: %s", j->zone, j->to,
		    strerror(errno));
	evtimer_add(j->timer, &tv);
}

static void
on_notify_answer(evutil_socket_t fd, short what, void *arg)
{
	struct primaryd		*d = arg;
	struct notify_job	*j;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	uint8_t			 p[4096];

	/* An answer: its header (12 bytes) is all that is read. */
	while (recvfrom(fd, p, sizeof(p), 0, (struct sockaddr *)&ss,
	    &len) >= 12) {
		for (j = d->jobs; j != NULL; j = j->next)
			if (j->id == (p[0] << 8 | p[1]) && j->len == len &&
			    memcmp(&j->ss, &ss, len) == 0)
				break;
		if (j != NULL && (p[2] & 0x80)) {
			log_info("zone %s: notify to %s serial=%u rcode=%d",
			    j->zone, j->to, j->serial, p[3] & 0xf);
			notify_job_free(d, j);
		}
		len = sizeof(ss);
	}
}

static void
notify_one(struct primaryd *d, const struct auth_zone *z,
    const struct opt_addr *a)
{
	struct notify_job	*j;
	struct err		 err;

	if (d->notify_fd == -1 || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->d = d;
	j->ss = a->ss;
	j->len = a->len;
	snprintf(j->to, sizeof(j->to), "%s", a->text);
	snprintf(j->zone, sizeof(j->zone), "%s", auth_zone_name(z));
	j->serial = auth_zone_serial(z);
	if (key_random(&j->id, sizeof(j->id), &err) == -1)
		log_warn("zone %s: notify: %s", j->zone, err.msg);
	buf_init(&j->msg, 65535);
	if ((j->timer = evtimer_new(d->base, on_notify_timer, j)) == NULL ||
	    auth_notify_msg(z, j->id, NULL, time(NULL), &j->msg, &err) == -1) {
		event_free(j->timer);
		buf_fini(&j->msg);
		free(j);
		return;
	}
	j->next = d->jobs;
	d->jobs = j;
	on_notify_timer(-1, 0, j);
}

struct ns_walk {
	struct primaryd		*d;
	const struct auth_zone	*z;
};

static void
on_ns_addr(const char *addr, void *arg)
{
	struct ns_walk	*w = arg;
	struct opt_addr	 a;
	struct err	 err;
	char		 spec[80];

	snprintf(spec, sizeof(spec), strchr(addr, ':') ? "[%s]:53" : "%s:53",
	    addr);
	if (opt_parse_addr(spec, 53, &a, &err) == 0)
		notify_one(w->d, w->z, &a);
}

void
primaryd_notify_zone(struct primaryd *d, const struct auth_zone *z)
{
	const struct opt_addr	*a = d->conf.also_notify.v;
	struct ns_walk		 w = { d, z };
	size_t			 i;

	auth_zone_ns_addrs(z, on_ns_addr, &w);
	for (i = 0; i < d->conf.also_notify.n; i++)
		notify_one(d, z, &a[i]);
}

void
primaryd_notify_start(struct primaryd *d)
{
	size_t	i;

	if ((d->notify_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK,
	    0)) == -1) {
		/* No IPv6 here: IPv4 secondaries only. */
		d->notify_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	} else {
		int off = 0;
		setsockopt(d->notify_fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off));
	}
	if (d->notify_fd == -1 || (d->notify_ev = event_new(d->base,
	    d->notify_fd, EV_READ | EV_PERSIST, on_notify_answer, d)) == NULL ||
	    event_add(d->notify_ev, NULL) == -1) {
		log_warn("notify: no socket: %s", strerror(errno));
		d->notify_fd = -1;
		return;
	}
	for (i = 0; i < auth_db_nzones(d->db); i++)
		primaryd_notify_zone(d, auth_db_zone_at(d->db, i));
}

void
primaryd_notify_stop(struct primaryd *d)
{
	while (d->jobs != NULL)
		notify_job_free(d, d->jobs);
	event_free(d->notify_ev);
	d->notify_ev = NULL;
	if (d->notify_fd != -1)
		close(d->notify_fd);
	d->notify_fd = -1;
}
