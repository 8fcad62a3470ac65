/*
 * pool.c: worker threads for pool.h.  One mutex guards two lists, the
 * jobs waiting for a worker and the jobs done but not yet handed back;
 * a condition variable wakes idle workers, and a pipe wakes the owner.
 *
 * The pipe carries at most one byte per batch: a worker writes only
 * when it finds the done list unsignalled, and pool_complete() empties
 * the pipe before it takes the list and clears the flag under the
 * mutex.  A job finished after that write is either in the list taken
 * (the flag was still set) or writes a byte of its own (it was clear),
 * so no completion waits for a wake-up that never comes, and the pipe
 * cannot fill up however many jobs finish.
 *
 * The lists are doubly linked so that pool_cancel() takes a job out of
 * the waiting list where it is, under the same mutex a worker takes it
 * with: whichever comes first has it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/pool.h"

struct pool_list {
	struct pool_job	*head, *tail;
};

struct pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct pool_list waiting;	/* under mu */
	struct pool_list finished;	/* under mu */
	bool		 signalled;	/* under mu: a byte is in the pipe */
	bool		 stop;		/* under mu */
	int		 pipe[2];	/* workers -> owner */
	pthread_t	*threads;
	unsigned	 n;		/* threads started */
	size_t		 pending;	/* owner only */
};

static void
list_put(struct pool_list *l, struct pool_job *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static void
list_remove(struct pool_list *l, struct pool_job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->next = j->prev = NULL;
}

static struct pool_job *
list_take(struct pool_list *l)
{
	struct pool_job	*j;

	if ((j = l->head) != NULL)
		list_remove(l, j);
	return j;
}

static void *
pool_main(void *arg)
{
	struct pool	*p = arg;
	struct pool_job	*j;
	char		 c = 1;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->waiting.head == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		j = list_take(&p->waiting);
		j->queued = false;
		pthread_mutex_unlock(&p->mu);
		j->work(j->arg);
		pthread_mutex_lock(&p->mu);
		list_put(&p->finished, j);
		if (!p->signalled) {
			p->signalled = true;
			/* Non-blocking, and at most a byte or two in it. */
			while (write(p->pipe[1], &c, 1) == -1 &&
			    errno == EINTR)
				;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Stops and joins the threads started. */
static void
pool_join(struct pool *p)
{
	unsigned	i;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	p->n = 0;
}

static void
pool_release(struct pool *p)
{
	if (p->pipe[0] != -1)
		close(p->pipe[0]);
	if (p->pipe[1] != -1)
		close(p->pipe[1]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}

struct pool *
pool_new(unsigned n, struct err *err)
{
	struct pool	*p;
	sigset_t	 all, old;
	int		 rc = 0;

	if (n < 1 || n > POOL_MAX_WORKERS) {
		err_set(err, ERR_ARG, "%u worker threads: not from 1 to %d", n,
		    POOL_MAX_WORKERS);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->threads = calloc(n, sizeof(*p->threads))) == NULL) {
		free(p);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->pipe[0] = p->pipe[1] = -1;
	if (pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		err_set(err, ERR_IO, "pipe: %s", strerror(errno));
		pool_release(p);
		return NULL;
	}
	/* A signal must reach the owner's handlers, not a worker. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (p->n < n && (rc = pthread_create(&p->threads[p->n], NULL,
	    pool_main, p)) == 0)
		p->n++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_set(err, ERR_IO, "worker thread %u of %u: %s", p->n + 1,
		    n, strerror(rc));
		pool_join(p);
		pool_release(p);
		return NULL;
	}
	return p;
}

int
pool_fd(const struct pool *p)
{
	return p->pipe[0];
}

unsigned
pool_workers(const struct pool *p)
{
	return p->n;
}

size_t
pool_pending(const struct pool *p)
{
	return p->pending;
}

void
pool_submit(struct pool *p, struct pool_job *j)
{
	p->pending++;
	pthread_mutex_lock(&p->mu);
	list_put(&p->waiting, j);
	j->queued = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

size_t
pool_complete(struct pool *p)
{
	struct pool_job	*j, *next;
	char		 buf[64];
	size_t		 n = 0;

	while (read(p->pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&p->mu);
	j = p->finished.head;
	p->finished.head = p->finished.tail = NULL;
	p->signalled = false;
	pthread_mutex_unlock(&p->mu);
	for (; j != NULL; j = next) {
		next = j->next;		/* done may free j */
		p->pending--;
		n++;
		j->done(j->arg, POOL_RAN);
	}
	return n;
}

bool
pool_cancel(struct pool *p, struct pool_job *j)
{
	bool	queued;

	pthread_mutex_lock(&p->mu);
	if ((queued = j->queued)) {
		list_remove(&p->waiting, j);
		j->queued = false;
	}
	pthread_mutex_unlock(&p->mu);
	if (!queued)
		return false;
	p->pending--;
	j->done(j->arg, POOL_CANCELLED);
	return true;
}

void
pool_free(struct pool *p)
{
	struct pool_job	*j;
	bool		 ran;

	if (p == NULL)
		return;
	pool_join(p);
	/* No thread is left: the lists are the owner's.  A done callback
	 * may still submit; what it submits is owed a callback too. */
	for (;;) {
		ran = p->finished.head != NULL;
		if ((j = list_take(ran ? &p->finished : &p->waiting)) == NULL)
			break;
		p->pending--;
		j->queued = false;
		j->done(j->arg, ran ? POOL_RAN : POOL_STOPPED);
	}
	pool_release(p);
}
