/*
 * worker.c: the thread that runs timbre-primaryd's jobs (primaryd.h), so
 * that a fetch, a push or a read of the history, which take as long as
 * the network and the repository make them, never stop the loop from
 * answering.  The loop keeps the queue; one job at a time is handed to
 * the worker under a mutex, and the worker hands it back by writing to
 * a pipe the loop watches.  Only the job crosses: the worker touches the
 * repository (which the loop leaves alone while the thread runs) and
 * what the job holds, the loop everything else.
 *
 * Two queues, so that transfers asked by anyone cannot keep out the
 * NOTIFYs and UPDATEs signed by the operator's keys: RELOAD, NOTIFY and
 * UPDATE wait in theirs (CTL_QUEUE_MAX, in order: each starts from the
 * zones the one before left) and go first; the IXFRs wait in their own,
 * a small one (XFR_QUEUE_MAX, XFR_PER_CLIENT from one address).  An
 * IXFR refused a place is answered at once with the full zone, which
 * needs no history (RFC 1995 section 4); so the worst a flood of IXFRs
 * does to an UPDATE is make it wait for the one IXFR running.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "primaryd.h"
#include "util/err.h"

#define CTL_QUEUE_MAX	256	/* NOTIFY, UPDATE, RELOAD waiting */
#define XFR_QUEUE_MAX	16	/* IXFRs waiting or running */
#define XFR_PER_CLIENT	2	/* of them from one address */

struct queue {
	struct job	*head, *tail;
	size_t		 n;
};

struct worker {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	*given;		/* handed to the worker */
	struct job	*done;		/* handed back */
	int		 stop;
	int		 pipe[2];	/* worker -> loop: a job is done */
	struct event	*ev;
	/* Loop only. */
	struct queue	 ctl, xfr;	/* waiting */
	struct job	*running;
};

static void *
worker_main(void *arg)
{
	struct primaryd	*d = arg;
	struct worker	*w = d->worker;
	struct job	*j;
	char		 c = 1;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->given == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->given == NULL)
			break;
		j = w->given;
		w->given = NULL;
		pthread_mutex_unlock(&w->mu);
		job_run(d, j);
		pthread_mutex_lock(&w->mu);
		w->done = j;
		while (write(w->pipe[1], &c, 1) == -1 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
queue_put(struct queue *q, struct job *j)
{
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
}

static struct job *
queue_take(struct queue *q)
{
	struct job	*j;

	if ((j = q->head) == NULL)
		return NULL;
	if ((q->head = j->next) == NULL)
		q->tail = NULL;
	q->n--;
	j->next = NULL;
	return j;
}

/* The address of a job's client ("192.0.2.1" of "192.0.2.1:5353",
 * "[2001:db8::1]" of "[2001:db8::1]:53"), its length. */
static size_t
client_len(const struct job *j)
{
	const char	*colon = strrchr(j->from, ':');

	return colon != NULL ? (size_t)(colon - j->from) : strlen(j->from);
}

static int
same_client(const struct job *a, const struct job *b)
{
	size_t	n = client_len(a);

	return n == client_len(b) && strncmp(a->from, b->from, n) == 0;
}

/* Whether an IXFR may wait for the worker (see the top of the file). */
static int
xfr_room(const struct worker *w, const struct job *j)
{
	const struct job	*q;
	size_t			 n = 0, mine = 0;

	if (w->running != NULL && w->running->kind == JOB_IXFR) {
		n++;
		mine += same_client(w->running, j);
	}
	for (q = w->xfr.head; q != NULL; q = q->next) {
		n++;
		mine += same_client(q, j);
	}
	return n < XFR_QUEUE_MAX && mine < XFR_PER_CLIENT;
}

/* Starts the next waiting job, finishing at once those that cannot run. */
static void
next(struct primaryd *d)
{
	struct worker	*w = d->worker;
	struct job	*j;

	while (w->running == NULL && ((j = queue_take(&w->ctl)) != NULL ||
	    (j = queue_take(&w->xfr)) != NULL)) {
		if (job_prepare(d, j) == -1) {
			job_finish(d, j);
			job_free(j);
			continue;
		}
		w->running = j;
		pthread_mutex_lock(&w->mu);
		w->given = j;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct primaryd	*d = arg;
	struct worker	*w = d->worker;
	struct job	*j;
	char		 buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	if (j == NULL)
		return;
	w->running = NULL;
	job_finish(d, j);
	job_free(j);
	next(d);
}

void
primaryd_worker_start(struct primaryd *d)
{
	struct worker	*w;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("out of memory");
	d->worker = w;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("worker: pipe: %s", strerror(errno));
	if ((w->ev = event_new(d->base, w->pipe[0], EV_READ | EV_PERSIST,
	    on_done, d)) == NULL || event_add(w->ev, NULL) == -1)
		fatal("worker: cannot watch the pipe");
	if ((rc = pthread_create(&w->thread, NULL, worker_main, d)) != 0)
		fatal("worker: %s", strerror(rc));
}

void
primaryd_submit(struct primaryd *d, struct job *j)
{
	struct worker	*w = d->worker;

	if (j->kind == JOB_IXFR && !xfr_room(w, j)) {
		/* No history read: job_finish sends the full zone. */
		log_debug("primary ixfr from=%s zone=%s: %zu transfers "
		    "waiting, answered without the history", j->from,
		    j->zone, w->xfr.n);
		(void)job_prepare(d, j);	/* -1: failed, NOTAUTH */
		job_finish(d, j);
		job_free(j);
		return;
	}
	if (j->kind != JOB_IXFR && w->ctl.n >= CTL_QUEUE_MAX) {
		err_set(&j->err, ERR_LIMIT, "%zu jobs waiting, this one "
		    "refused", w->ctl.n);
		log_warn("primary %s: %s", j->from, j->err.msg);
		j->failed = 1;
		j->rcode = LDNS_RCODE_SERVFAIL;
		job_finish(d, j);
		job_free(j);
		return;
	}
	queue_put(j->kind == JOB_IXFR ? &w->xfr : &w->ctl, j);
	next(d);
}

void
primaryd_worker_stop(struct primaryd *d)
{
	struct worker	*w = d->worker;
	struct job	*j;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	/* A job the worker finished is not answered: the loop is over. */
	job_free(w->done != NULL ? w->done : w->given);
	while ((j = queue_take(&w->ctl)) != NULL ||
	    (j = queue_take(&w->xfr)) != NULL)
		job_free(j);
	event_free(w->ev);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	d->worker = NULL;
}
