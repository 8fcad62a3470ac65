/*
 * worker.c: the thread that runs timbre-primaryd's jobs (primaryd.h), so
 * that a fetch, a push or a read of the history, which take as long as
 * the network and the repository make them, never stop the loop from
 * answering.  The loop keeps the queue; one job at a time is handed to
 * the worker under a mutex, and the worker hands it back by writing to
 * a pipe the loop watches.  Only the job crosses: the worker touches the
 * repository (which the loop leaves alone while the thread runs) and
 * what the job holds, the loop everything else.
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

#define QUEUE_MAX	256	/* jobs waiting; past it they are refused */

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
	struct job	*head, *tail;	/* waiting */
	size_t		 nqueued;
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

/* Starts the next waiting job, finishing at once those that cannot run. */
static void
next(struct primaryd *d)
{
	struct worker	*w = d->worker;
	struct job	*j;

	while (w->running == NULL && (j = w->head) != NULL) {
		if ((w->head = j->next) == NULL)
			w->tail = NULL;
		w->nqueued--;
		j->next = NULL;
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

	if (w->nqueued >= QUEUE_MAX) {
		err_set(&j->err, ERR_LIMIT, "%zu jobs waiting, this one "
		    "refused", w->nqueued);
		log_warn("primary %s: %s", j->from, j->err.msg);
		j->failed = 1;
		j->rcode = LDNS_RCODE_SERVFAIL;
		job_finish(d, j);
		job_free(j);
		return;
	}
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->nqueued++;
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
	while ((j = w->head) != NULL) {
		w->head = j->next;
		job_free(j);
	}
	event_free(w->ev);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	d->worker = NULL;
}
