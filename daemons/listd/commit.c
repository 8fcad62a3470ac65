/*
 * commit.c: group commit, so that accepting posts is not one flush of
 * the disk per message.
 *
 * session.c commits a post without waiting for the disk
 * (store_msg_add_nosync: the row is in the write-ahead log, in the
 * kernel's cache) and hands its session here instead of answering.
 * One fdatasync of the log then puts on disk every transaction
 * committed before it started, and only when it has returned does each
 * of those sessions hear its 250: a 250 still means "on disk", as with
 * one synchronous=FULL commit per message, for the price of one flush
 * per batch.  The flush runs on a worker thread (util/pool.h), so the
 * loop goes on reading, verifying and committing the next posts
 * meanwhile; they wait for the next flush, which starts as soon as the
 * one in flight returns (they have waited already).  With no flush in
 * flight, a batch waits at most COMMIT_WINDOW_US after its first post
 * for others to join it, and not at all once it holds COMMIT_BATCH.
 *
 * The first flush, and any after the log became another file (another
 * inode), flushes the directory too, so that the log's name is on disk
 * with its contents, as sqlite3 does for a new journal.  A flush that
 * fails (EIO) leaves the rows it should have covered committed but
 * perhaps not on disk: those sessions answer 451, and if the rows
 * survive, the post goes out and the client's retry makes a duplicate
 * (at least once), never a loss.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "listd.h"
#include "util/err.h"
#include "util/pool.h"

#define COMMIT_WINDOW_US	2000	/* a lone post waits this long */
#define COMMIT_BATCH		64	/* ... unless this many wait */

/* The worker's part: only what the job gives it. */
struct flush {
	struct pool_job	 job;
	char		 wal[PATH_MAX];
	char		 dir[PATH_MAX];
	dev_t		 dev;		/* the log whose name is on disk */
	ino_t		 ino;
	bool		 named;		/* dev, ino are set */
	int		 error;		/* errno, 0: flushed */
	const char	*what;		/* the call that failed */
};

struct waiters {
	struct listd_commit_wait	**v;
	size_t				  n, cap;
};

struct listd_commit {
	struct listd	*ld;
	struct pool	*pool;
	struct event	*done_ev;	/* pool_fd readable */
	struct event	*window;
	struct flush	 flush;
	bool		 in_flight;
	struct waiters	 waiting;	/* for the next flush */
	struct waiters	 flushing;	/* covered by the one in flight */
};

static void	flush_start(struct listd_commit *);

/* On the worker: fdatasync of the log, and of its directory when the
 * log is a file not flushed by name yet. */
static void
flush_work(void *arg)
{
	struct flush	*f = &((struct listd_commit *)arg)->flush;
	struct stat	 sb;
	int		 fd, dfd;

	f->error = 0;
	if ((fd = open(f->wal, O_RDONLY | O_CLOEXEC)) == -1) {
		f->error = errno;
		f->what = "open";
		return;
	}
	if (fstat(fd, &sb) == -1 || fdatasync(fd) == -1) {
		f->error = errno;
		f->what = "fstat or fdatasync";
		close(fd);
		return;
	}
	close(fd);
	if (f->named && sb.st_dev == f->dev && sb.st_ino == f->ino)
		return;
	if ((dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		f->error = errno;
		f->what = "fsync of the directory";
		if (dfd != -1)
			close(dfd);
		return;
	}
	close(dfd);
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->named = true;
}

/* On the loop: the flush returned, or never ran (the pool stopped; this
 * code never cancels a flush). */
static void
flush_done(void *arg, enum pool_end end)
{
	struct listd_commit		*cm = arg;
	struct listd			*ld = cm->ld;
	struct listd_commit_wait	*w;
	bool				 ran = end == POOL_RAN;
	bool				 ok = ran && cm->flush.error == 0;
	size_t				 i, n = 0;

	if (ran && !ok)
		log_error("group commit: %s %s: %s", cm->flush.what,
		    cm->flush.wal, strerror(cm->flush.error));
	for (i = 0; i < cm->flushing.n; i++)
		if (cm->flushing.v[i] != NULL)
			n++;
	ld->stats.commit_flushes++;
	ld->stats.commit_posts += n;
	if (n > ld->stats.commit_batch_max)
		ld->stats.commit_batch_max = n;
	log_debug("group commit: %zu posts in one flush", n);
	/* A callback may close its session (its cancel finds nothing
	 * left to clear) or, answering, let the session go on to its next
	 * post, which joins the waiting: in_flight stays set until the
	 * flushing are told, so that nothing swaps the arrays meanwhile. */
	for (i = 0; i < cm->flushing.n; i++) {
		if ((w = cm->flushing.v[i]) == NULL)
			continue;
		cm->flushing.v[i] = NULL;
		w->done(w->arg, ok);
	}
	cm->flushing.n = 0;
	cm->in_flight = false;
	if (cm->waiting.n > 0)
		flush_start(cm);
}

static void
on_pool(evutil_socket_t fd, short what, void *arg)
{
	struct listd_commit	*cm = arg;

	(void)fd;
	(void)what;
	pool_complete(cm->pool);
}

static void
flush_start(struct listd_commit *cm)
{
	struct waiters	t;

	event_del(cm->window);
	/* The waiting become the flushing: swap the two arrays. */
	t = cm->flushing;
	cm->flushing = cm->waiting;
	cm->waiting = t;
	cm->waiting.n = 0;
	cm->in_flight = true;
	cm->flush.job.work = flush_work;
	cm->flush.job.done = flush_done;
	cm->flush.job.arg = cm;
	pool_submit(cm->pool, &cm->flush.job);
}

static void
on_window(evutil_socket_t fd, short what, void *arg)
{
	struct listd_commit	*cm = arg;

	(void)fd;
	(void)what;
	if (!cm->in_flight && cm->waiting.n > 0)
		flush_start(cm);
}

int
listd_commit_wait(struct listd *ld, struct listd_commit_wait *w,
    struct err *err)
{
	struct listd_commit		 *cm = ld->commit;
	struct listd_commit_wait	**v;
	struct timeval			  tv = { 0, COMMIT_WINDOW_US };
	size_t				  cap;

	if (cm->waiting.n == cm->waiting.cap) {
		cap = cm->waiting.cap ? cm->waiting.cap * 2 : COMMIT_BATCH;
		if ((v = reallocarray(cm->waiting.v, cap, sizeof(*v))) ==
		    NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
		cm->waiting.v = v;
		cm->waiting.cap = cap;
	}
	cm->waiting.v[cm->waiting.n++] = w;
	if (cm->in_flight)
		return 0;		/* flush_done starts the next */
	if (cm->waiting.n >= COMMIT_BATCH)
		flush_start(cm);
	else if (cm->waiting.n == 1)
		event_add(cm->window, &tv);
	return 0;
}

static void
cancel_in(struct waiters *ws, const struct listd_commit_wait *w)
{
	size_t	i;

	for (i = 0; i < ws->n; i++)
		if (ws->v[i] == w)
			ws->v[i] = NULL;
}

void
listd_commit_cancel(struct listd *ld, struct listd_commit_wait *w)
{
	if (ld->commit == NULL)
		return;
	cancel_in(&ld->commit->waiting, w);
	cancel_in(&ld->commit->flushing, w);
}

int
listd_commit_start(struct listd *ld, struct err *err)
{
	struct listd_commit	*cm;
	const char		*wal, *slash;

	if ((wal = store_wal_path(ld->store)) == NULL || wal[0] == '\0') {
		err_set(err, ERR_ARG, "the database has no write-ahead log");
		return -1;
	}
	if ((cm = calloc(1, sizeof(*cm))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	cm->ld = ld;
	ld->commit = cm;
	if ((size_t)snprintf(cm->flush.wal, sizeof(cm->flush.wal), "%s",
	    wal) >= sizeof(cm->flush.wal)) {
		err_set(err, ERR_ARG, "%s: path too long", wal);
		goto fail;
	}
	if ((slash = strrchr(wal, '/')) == NULL)
		snprintf(cm->flush.dir, sizeof(cm->flush.dir), ".");
	else
		snprintf(cm->flush.dir, sizeof(cm->flush.dir), "%.*s",
		    slash == wal ? 1 : (int)(slash - wal), wal);
	if ((cm->pool = pool_new(1, err)) == NULL)
		goto fail;
	if ((cm->done_ev = event_new(ld->base, pool_fd(cm->pool), EV_READ |
	    EV_PERSIST, on_pool, cm)) == NULL ||
	    (cm->window = evtimer_new(ld->base, on_window, cm)) == NULL ||
	    event_add(cm->done_ev, NULL) == -1) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	listd_commit_stop(ld);
	return -1;
}

void
listd_commit_stop(struct listd *ld)
{
	struct listd_commit	*cm = ld->commit;

	if (cm == NULL)
		return;
	/* The sessions closed first (listd_smtp_stop) and cancelled their
	 * waits: a flush still in flight is joined with no one to tell,
	 * and none starts after it. */
	cm->waiting.n = 0;
	pool_free(cm->pool);
	if (cm->done_ev != NULL)
		event_free(cm->done_ev);
	if (cm->window != NULL)
		event_free(cm->window);
	free(cm->waiting.v);
	free(cm->flushing.v);
	free(cm);
	ld->commit = NULL;
}
