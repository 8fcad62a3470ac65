/*
 * sync.c: timbre-primaryd between git and DNS: loading the repository's
 * zones and keys (a zone that does not load keeps its previous version,
 * logged with file and line; files that are not zones are left alone),
 * UPDATE committed and pushed before it is answered NOERROR (on a failed
 * push: SERVFAIL, the zone and the clone unchanged), and NOTIFY to the
 * secondaries, retried until they answer; IXFR answered from the zone
 * file's versions in the git history, read a bounded number at a time.
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
#include <openssl/rand.h>

#include "primaryd.h"
#include "util/buf.h"
#include "util/err.h"

#define NOTIFY_TRIES	6	/* after 1, 2, 4, 8, 16 s: give up */
/* How far back IXFR looks: past these, a full zone is sent. */
#define IXFR_MAX_VERSIONS	100
#define IXFR_MAX_COMMITS	1000
#define IXFR_MAX_BYTES		(64 * 1024 * 1024)

struct load {
	struct primaryd		*d;
	struct auth_db		*db;
	struct auth_keys	*keys;
	int			 keys_bad;
};

static int
is_keys_file(const char *name)
{
	size_t	n = strlen(name);

	return strcmp(name, "_keys") == 0 ||
	    (n > 6 && strcmp(name + n - 6, "._keys") == 0);
}

static int
on_file(const char *name, const uint8_t *p, size_t n, void *arg)
{
	struct load		*l = arg;
	struct auth_zone	*z, *old;
	struct err		 err;

	if (is_keys_file(name)) {
		if (auth_keys_load(l->keys, name, (const char *)p, n,
		    &err) == -1) {
			log_warn("keys %s: not reloaded: %s", name, err.msg);
			l->keys_bad = 1;
		}
		return 0;
	}
	old = l->d->db != NULL ? auth_db_zone(l->d->db, name) : NULL;
	if ((z = auth_zone_load(name, (const char *)p, n, name,
	    &err)) == NULL) {
		if (old != NULL) {
			log_warn("zone %s: not reloaded, serial %u kept: %s",
			    name, auth_zone_serial(old), err.msg);
			z = auth_zone_ref(old);
		} else if (memmem(p, n, "SOA", 3) != NULL) {
			log_warn("zone %s: not served: %s", name, err.msg);
			return 0;
		} else {
			log_debug("file %s: not a zone, left alone", name);
			return 0;
		}
	}
	if (auth_db_add_zone(l->db, z, &err) == -1)
		log_error("zone %s: %s", name, err.msg);
	auth_zone_free(z);
	return 0;
}

int
primaryd_reload(struct primaryd *d, int fetch, struct err *err)
{
	struct load		 l;
	struct auth_zone	*z, *old;
	size_t			 i;
	int			 changed = 1;

	if (fetch && repo_fetch(d->repo, &changed, err) == -1)
		return -1;
	if (!changed && d->db != NULL) {
		log_info("primary fetch commit=%.12s unchanged",
		    repo_head(d->repo));
		return 0;
	}
	memset(&l, 0, sizeof(l));
	l.d = d;
	if ((l.db = auth_db_new()) == NULL ||
	    (l.keys = auth_keys_new()) == NULL) {
		auth_db_free(l.db);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (repo_files(d->repo, on_file, &l, err) == -1) {
		auth_db_free(l.db);
		auth_keys_free(l.keys);
		return -1;
	}
	if (l.keys_bad && d->db != NULL) {
		/* A broken _keys file keeps every key as it was. */
		auth_keys_free(l.keys);
		l.keys = NULL;
	} else
		auth_db_set_keys(l.db, l.keys);
	auth_db_set_axfr(l.db, d->conf.axfr);
	for (i = 0; i < auth_db_nzones(l.db); i++) {
		z = auth_db_zone_at(l.db, i);
		old = d->db != NULL ? auth_db_zone(d->db, auth_zone_name(z)) :
		    NULL;
		if (old == z)
			continue;
		if (old != NULL && auth_zone_same(old, z))
			continue;
		if (old != NULL && auth_zone_serial(old) ==
		    auth_zone_serial(z))
			log_warn("zone %s: changed but serial %u not "
			    "incremented", auth_zone_name(z),
			    auth_zone_serial(z));
		log_info("zone %s: loaded serial=%u commit=%.12s",
		    auth_zone_name(z), auth_zone_serial(z),
		    repo_head(d->repo));
		if (d->db != NULL)
			primaryd_notify_zone(d, z);
	}
	if (l.keys == NULL)
		auth_db_set_keys(l.db, auth_db_take_keys(d->db));
	auth_db_free(d->db);
	d->db = l.db;
	return 0;
}

void
primaryd_update(struct primaryd *d, struct auth_req *req)
{
	struct auth_zone	*nz = NULL;
	struct repo_change	 ch;
	struct buf		 sum, text, msg;
	struct err		 err;
	const char		*zone = auth_zone_name(req->zone);
	const char		*key = auth_key_name(req->key);
	int			 rcode;

	buf_init(&sum, 60000);
	buf_init(&text, 64 * 1024 * 1024);
	buf_init(&msg, 65536);
	rcode = auth_update(req, &nz, &sum, &err);
	if (rcode != LDNS_RCODE_NOERROR) {
		log_info("zone %s: update by %s refused rcode=%d%s%s", zone,
		    key, rcode, nz == NULL && err.msg[0] ? ": " : "",
		    nz == NULL ? err.msg : "");
		goto done;
	}
	if (nz == NULL) {
		log_info("zone %s: update by %s changed nothing", zone, key);
		goto done;
	}
	if (auth_zone_text(nz, &text, &err) == -1 ||
	    buf_printf(&msg, &err, "UPDATE by %s: %s\n\nzone %s serial %u\n",
	    key, sum.data, zone, auth_zone_serial(nz)) == -1) {
		log_warn("zone %s: update by %s: %s", zone, key, err.msg);
		rcode = LDNS_RCODE_SERVFAIL;
		goto done;
	}
	ch.name = zone;
	ch.data = (const uint8_t *)text.data;
	ch.len = text.len;
	if (repo_commit_push(d->repo, &ch, 1, msg.data, &err) == -1) {
		log_warn("zone %s: update by %s not applied, serial %u kept: "
		    "%s", zone, key, auth_zone_serial(req->zone), err.msg);
		rcode = LDNS_RCODE_SERVFAIL;
		goto done;
	}
	log_info("zone %s: update by %s serial=%u commit=%.12s: %s", zone,
	    key, auth_zone_serial(nz), repo_head(d->repo), sum.data);
	auth_db_replace(d->db, auth_zone_ref(nz));
	primaryd_notify_zone(d, nz);
done:
	auth_zone_free(nz);
	ldns_pkt_set_rcode(req->reply, rcode);
	buf_fini(&sum);
	buf_fini(&text);
	buf_fini(&msg);
}

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
job_free(struct primaryd *d, struct notify_job *j)
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
		job_free(j->d, j);
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
	ssize_t			 n;

	while ((n = recvfrom(fd, p, sizeof(p), 0, (struct sockaddr *)&ss,
	    &len)) >= 12) {
		for (j = d->jobs; j != NULL; j = j->next)
			if (j->id == (p[0] << 8 | p[1]) && j->len == len &&
			    memcmp(&j->ss, &ss, len) == 0)
				break;
		if (j != NULL && (p[2] & 0x80)) {
			log_info("zone %s: notify to %s serial=%u rcode=%d",
			    j->zone, j->to, j->serial, p[3] & 0xf);
			job_free(d, j);
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
	RAND_bytes((uint8_t *)&j->id, sizeof(j->id));
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

struct ixfr_walk {
	struct auth_ixfr	*x;
	const char		*name;
	size_t			 versions;
};

static int
on_version(const uint8_t *p, size_t n, void *arg)
{
	struct ixfr_walk	*w = arg;
	struct auth_zone	*z = NULL;
	struct err		 err;

	w->versions++;
	if (p != NULL && (z = auth_zone_load(w->name, (const char *)p, n,
	    w->name, &err)) == NULL)
		log_debug("zone %s: ixfr: an old version does not load: %s",
		    w->name, err.msg);
	return auth_ixfr_older(w->x, z) == AUTH_IXFR_MORE ? 0 : 1;
}

void
primaryd_ixfr(struct primaryd *d, struct auth_req *req, time_t now,
    int (*emit)(const uint8_t *, size_t, void *), void *arg,
    const char *from)
{
	struct ixfr_walk	 w;
	struct err		 err;
	int			 incremental = 0;

	memset(&w, 0, sizeof(w));
	w.name = auth_zone_name(req->zone);
	if ((w.x = auth_ixfr_new(req, IXFR_MAX_VERSIONS)) == NULL) {
		log_warn("primary ixfr to %s: out of memory", from);
		return;
	}
	if (repo_history(d->repo, w.name, IXFR_MAX_COMMITS, IXFR_MAX_BYTES,
	    on_version, &w, &err) == -1)
		log_warn("zone %s: ixfr: history: %s", w.name, err.msg);
	if (auth_ixfr_send(w.x, now, emit, arg, &incremental, &err) == -1)
		log_warn("primary ixfr to %s: %s", from, err.msg);
	else
		log_info("primary ixfr from=%s zone=%s serial=%u->%u %s "
		    "versions=%zu tcp=%d key=%s", from, w.name,
		    req->ixfr_serial, auth_zone_serial(req->zone),
		    incremental ? "incremental" : "full", w.versions,
		    req->tcp, req->key != NULL ? auth_key_name(req->key) :
		    "-");
	auth_ixfr_free(w.x);
}
