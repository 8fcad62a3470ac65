/*
 * pool.h: a pool of worker threads for pure computations that must not
 * hold up an event loop (timbre-signd's private-key operations).
 *
 * One thread owns the pool (the loop): it submits jobs, watches
 * pool_fd() and calls pool_complete() when it is readable, which runs
 * each finished job's done callback on the owner's thread.  A worker
 * only runs a job's work callback; it logs nothing and touches nothing
 * but what the job's arg gives it, so the owner must leave that alone
 * from submit until done.  Every submitted job gets its done callback
 * exactly once: after its work, from pool_cancel() when the owner
 * withdrew it before a worker took it, or from pool_free() when the
 * pool stopped first.
 *
 * Nothing here is specific to libevent: the owner watches the
 * descriptor with whatever it uses (event_new(..., EV_READ |
 * EV_PERSIST, ...)).
 */
#ifndef TIMBRE_UTIL_POOL_H
#define TIMBRE_UTIL_POOL_H

#include <stdbool.h>
#include <stddef.h>

struct err;
struct pool;

#define POOL_MAX_WORKERS	256

/* How a job ended, for its done callback. */
enum pool_end {
	POOL_RAN,		/* work ran */
	POOL_CANCELLED,		/* pool_cancel(): work never ran */
	POOL_STOPPED		/* pool_free(): work never ran */
};

/* Runs on a worker thread. */
typedef void	pool_work_fn(void *arg);
/* Runs on the owner's thread. */
typedef void	pool_done_fn(void *arg, enum pool_end);

/*
 * A job, usually a member of the object its arg points to, so that a
 * submission cannot fail for memory.  Fill work, done and arg; the
 * pool owns the rest (and the job) from pool_submit() until done is
 * called, and done may free the job.
 */
struct pool_job {
	pool_work_fn	*work;
	pool_done_fn	*done;
	void		*arg;
	/* The pool's: */
	struct pool_job	*next, *prev;
	bool		 queued;	/* waiting for a worker */
};

/* Starts n workers (1 to POOL_MAX_WORKERS), with every signal blocked
 * (signals stay the owner's).  NULL with err: ERR_ARG for n out of
 * range, ERR_NOMEM, ERR_IO (a thread or the pipe could not
 * be made). */
struct pool	*pool_new(unsigned n, struct err *);
/* Readable when done callbacks are waiting for pool_complete(). */
int		 pool_fd(const struct pool *);
/* Queues j for the next free worker. */
void		 pool_submit(struct pool *, struct pool_job *j);
/* Runs the done callback of every job finished so far, on the calling
 * (owner's) thread; how many.  A callback may submit or free jobs. */
size_t		 pool_complete(struct pool *);
/* The owner no longer wants j: if no worker took it yet, it is taken
 * off the queue and its done callback called (POOL_CANCELLED) before
 * this returns true.  False when a worker has it, or had it: done comes
 * from pool_complete() as for any other. */
bool		 pool_cancel(struct pool *, struct pool_job *j);
unsigned	 pool_workers(const struct pool *);
/* Jobs submitted whose done callback has not run yet. */
size_t		 pool_pending(const struct pool *);
/* Stops the workers: jobs not yet taken are not run, running ones end
 * first; then every done callback still owed is called (POOL_STOPPED
 * for those never run), and the pool is freed.  NULL does nothing. */
void		 pool_free(struct pool *);

#endif
