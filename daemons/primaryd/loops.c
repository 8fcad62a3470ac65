/*
 * loops.c: timbre-primaryd's UDP loops (--workers, primaryd.h "struct
 * udp_loop"): one thread a worker, each with an event base and an
 * SO_REUSEPORT socket of its own on every --listen address, so that
 * plain queries are answered on every core while the main loop keeps
 * TCP, NOTIFY, UPDATE, transfers and the git jobs as they were.
 *
 * What crosses between the threads, and how:
 *  - the zones: the main loop alone changes d->db; after each change
 *    primaryd_publish gives every worker a db of its own holding
 *    references to the same zones (atomic counts, src/auth/zone.c) by an
 *    atomic exchange of its pending pointer, and wakes it through a pipe.
 *    The worker adopts the new db between two batches and frees the one
 *    it had; one the worker never adopted is freed by the next publish
 *    or at stop.  Nothing writes a zone once it is served, and the
 *    reply cache of a worker's db is that worker's alone;
 *  - the rate limiter: one, shared, under its mutex (primaryd.h
 *    "struct primaryd_rrl"), a reference in each published view;
 *  - messages a worker may not answer: copied into a bounded queue
 *    under a mutex, the main loop woken through a pipe; past FWD_MAX
 *    waiting, more are dropped (UDP: the client asks again);
 *  - the counters: atomic, read by the stats line.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "keys/mac.h"
#include "primaryd.h"
#include "util/err.h"

#define FWD_MAX		256	/* forwarded messages waiting */

/* What a worker is handed: its next db and rate limiter. */
struct udp_view {
	struct auth_db		*db;
	struct primaryd_rrl	*rl;
};

struct fwd {
	struct fwd		*next;
	int			 fd;
	socklen_t		 salen;
	struct sockaddr_storage	 ss;
	size_t			 n;
	uint8_t			 msg[];
};

struct fwd_queue {
	pthread_mutex_t	 mu;
	struct fwd	*head, *tail;
	size_t		 n;
	uint64_t	 dropped;
	int		 pipe[2];	/* workers -> main loop */
	struct event	*ev;
};

size_t
primaryd_nloops(const struct primaryd_conf *c)
{
	cpu_set_t	set;
	int		n;

	if (c->workers > 0)
		return (size_t)c->workers;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == -1 ||
	    (n = CPU_COUNT(&set)) < 1)
		return 1;
	return n > PRIMARYD_MAX_WORKERS ? PRIMARYD_MAX_WORKERS : (size_t)n;
}

static void
view_free(struct udp_view *v)
{
	if (v == NULL)
		return;
	auth_db_free(v->db);
	primaryd_rrl_unref(v->rl);
	free(v);
}

static void
wake(int fd)
{
	char	c = 1;

	/* A full pipe already holds a wake-up. */
	while (write(fd, &c, 1) == -1 && errno == EINTR)
		;
}

static void
drain(int fd)
{
	char	buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Worker: the view handed last, if any, replaces the one it had. */
static void
adopt(struct udp_loop *l)
{
	struct udp_view	*v;

	if ((v = atomic_exchange(&l->pending, NULL)) == NULL)
		return;
	auth_db_free(l->db);
	primaryd_rrl_unref(l->rl);
	l->db = v->db;
	l->rl = v->rl;
	free(v);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct udp_loop	*l = arg;

	(void)what;
	drain(fd);
	if (atomic_load(&l->stop))
		event_base_loopbreak(l->base);
	else
		adopt(l);
}

static void *
loop_main(void *arg)
{
	struct udp_loop	*l = arg;

	adopt(l);
	event_base_dispatch(l->base);
	return NULL;
}

/* A pipe whose ends do not block and do not outlive an exec. */
static void
make_pipe(int p[2])
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe: %s", strerror(errno));
}

static void
on_forwarded(evutil_socket_t fd, short what, void *arg)
{
	struct primaryd		*d = arg;
	struct fwd_queue	*q = d->fwd;
	struct fwd		*f, *next;

	(void)what;
	drain(fd);
	pthread_mutex_lock(&q->mu);
	f = q->head;
	q->head = q->tail = NULL;
	q->n = 0;
	pthread_mutex_unlock(&q->mu);
	for (; f != NULL; f = next) {
		next = f->next;
		primaryd_udp_forwarded(d, f->fd,
		    (const struct sockaddr *)&f->ss, f->salen, f->msg, f->n);
		free(f);
	}
}

void
primaryd_forward(struct udp_loop *l, int fd, const struct sockaddr *sa,
    socklen_t salen, const uint8_t *p, size_t n)
{
	struct fwd_queue	*q = l->d->fwd;
	struct fwd		*f;

	if (salen > sizeof(f->ss) || (f = malloc(sizeof(*f) + n)) == NULL)
		return;
	f->next = NULL;
	f->fd = fd;
	f->salen = salen;
	memcpy(&f->ss, sa, salen);
	f->n = n;
	memcpy(f->msg, p, n);
	pthread_mutex_lock(&q->mu);
	if (q->n >= FWD_MAX) {
		q->dropped++;
		pthread_mutex_unlock(&q->mu);
		free(f);
		return;
	}
	if (q->tail != NULL)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->n++;
	pthread_mutex_unlock(&q->mu);
	wake(q->pipe[1]);
}

/* A worker's own db: d's zones (references) and settings, no keys. */
static struct auth_db *
db_copy(const struct auth_db *from, int axfr)
{
	struct auth_db	*db;
	struct err	 err;
	uint64_t	 seed;
	size_t		 i;

	if (key_random(&seed, sizeof(seed), &err) == -1 ||
	    (db = auth_db_new(seed)) == NULL)
		return NULL;
	for (i = 0; i < auth_db_nzones(from); i++)
		if (auth_db_add_zone(db, auth_db_zone_at(from, i), &err) ==
		    -1) {
			auth_db_free(db);
			return NULL;
		}
	auth_db_set_axfr(db, axfr);
	return db;
}

void
primaryd_publish(struct primaryd *d)
{
	struct udp_view	*v;
	size_t		 k;

	if (d->fwd == NULL)		/* no worker, or not yet started */
		return;
	for (k = 1; k < d->nloops; k++) {
		if ((v = calloc(1, sizeof(*v))) == NULL ||
		    (v->db = db_copy(d->db, d->conf.axfr)) == NULL) {
			/* The worker keeps the zones it has. */
			free(v);
			log_warn("primary workers: out of memory, worker %zu "
			    "keeps its zones", k);
			continue;
		}
		v->rl = primaryd_rrl_ref(d->rl);
		view_free(atomic_exchange(&d->loops[k].pending, v));
		wake(d->loops[k].wake[1]);
	}
}

void
primaryd_loops_start(struct primaryd *d)
{
	struct fwd_queue	*q;
	struct udp_loop		*l;
	sigset_t		 all, old;
	size_t			 k;
	int			 rc;

	if (d->nloops < 2)
		return;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("out of memory");
	pthread_mutex_init(&q->mu, NULL);
	make_pipe(q->pipe);
	if ((q->ev = event_new(d->base, q->pipe[0], EV_READ | EV_PERSIST,
	    on_forwarded, d)) == NULL || event_add(q->ev, NULL) == -1)
		fatal("cannot watch the workers' pipe");
	d->fwd = q;
	for (k = 1; k < d->nloops; k++) {
		l = &d->loops[k];
		make_pipe(l->wake);
		if ((l->base = event_base_new()) == NULL ||
		    (l->wake_ev = event_new(l->base, l->wake[0],
		    EV_READ | EV_PERSIST, on_wake, l)) == NULL ||
		    event_add(l->wake_ev, NULL) == -1)
			fatal("cannot make worker loop %zu", k);
		primaryd_udp_watch(l);
	}
	primaryd_publish(d);
	/* Signals are the main loop's (main.c). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (k = 1; k < d->nloops; k++) {
		if ((rc = pthread_create(&d->loops[k].thread, NULL, loop_main,
		    &d->loops[k])) != 0)
			fatal("worker loop %zu: %s", k, strerror(rc));
		d->loops[k].running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("primary workers=%zu", d->nloops);
}

void
primaryd_loops_stop(struct primaryd *d)
{
	struct udp_loop	*l;
	struct fwd	*f;
	size_t		 k, i;

	for (k = 1; k < d->nloops; k++) {
		l = &d->loops[k];
		if (!l->running)
			continue;
		atomic_store(&l->stop, true);
		wake(l->wake[1]);
		pthread_join(l->thread, NULL);
		l->running = false;
	}
	for (k = 1; k < d->nloops; k++) {
		l = &d->loops[k];
		primaryd_udp_unwatch(l);
		if (l->wake_ev != NULL)
			event_free(l->wake_ev);
		if (l->base != NULL)
			event_base_free(l->base);
		for (i = 0; i < d->nlisten; i++)
			close(l->fd[i]);
		if (l->wake[0] > 0) {
			close(l->wake[0]);
			close(l->wake[1]);
		}
		view_free(atomic_exchange(&l->pending, NULL));
		auth_db_free(l->db);
		primaryd_rrl_unref(l->rl);
	}
	if (d->fwd != NULL) {
		event_free(d->fwd->ev);
		while ((f = d->fwd->head) != NULL) {
			d->fwd->head = f->next;
			free(f);
		}
		close(d->fwd->pipe[0]);
		close(d->fwd->pipe[1]);
		pthread_mutex_destroy(&d->fwd->mu);
		free(d->fwd);
		d->fwd = NULL;
	}
	free(d->loops);
	d->loops = NULL;
}
