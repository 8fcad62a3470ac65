/*
 * archive.c: timbre-listd's archive (--archive-dir): every post, as the
 * members get it (the signed copy, after the list's rewriting and before
 * anything per recipient), committed to its list's public-inbox v2
 * inbox, DIR/LIST (src/archive/archive.h).
 *
 * Where in the pipeline, and why there.  The post is archived from the
 * durable queue, not from memory: store_msg_signed makes the post's row
 * in the archive queue in the same transaction that fans it out, so no
 * crash can deliver a post the archive then misses.  This file takes
 * the rows one at a time, oldest first, commits the post, then deletes
 * the row.  A crash between the commit and the delete leaves the row of
 * a post whose commit is the newest of its inbox; since rows are taken
 * strictly in order, that row is the first one taken after the restart,
 * and archive_add sees the same bytes at the tip and commits nothing:
 * at most one commit per post, keyed by its queue id's row.
 *
 * Archiving is apart from delivery: an archive that cannot be written (a
 * full disk, inbox.lock held by public-inbox-index, a bad directory)
 * delays no delivery; the row waits, with a back-off that doubles from
 * ARCHIVE_RETRY up to ARCHIVE_RETRY_MAX, and holds back the rows after
 * it so that the archive keeps the order of the list.  The commit runs
 * in the event loop: a post of --max-message-size is hashed and
 * compressed once, well under a second.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "archive/archive.h"
#include "listd.h"
#include "util/err.h"

#define ARCHIVE_RETRY		30
#define ARCHIVE_RETRY_MAX	3600
#define ARCHIVE_BATCH		16	/* posts per turn of the loop */

struct listd_archive {
	struct listd	*ld;
	struct event	*timer;
	struct event	*kick;
	/* The inbox of the last post, kept open: opening one walks its
	 * newest epoch's objects to learn their size. */
	struct archive	*cur;
	char		 cur_list[STORE_NAME_MAX + 1];
};

static void
later(struct listd_archive *ar, time_t secs)
{
	struct timeval	tv = { secs > 0 ? secs : 1, 0 };

	(void)event_add(ar->timer, &tv);
}

static time_t
backoff(long attempts)
{
	time_t	d = ARCHIVE_RETRY;

	while (attempts-- > 0 && d < ARCHIVE_RETRY_MAX)
		d *= 2;
	return d < ARCHIVE_RETRY_MAX ? d : ARCHIVE_RETRY_MAX;
}

/* Commits it into its list's inbox: 0 (committed), 1 (it was already),
 * -1 with err (and the inbox closed, to be read afresh next time). */
static int
commit_one(struct listd_archive *ar, const struct store_archive_item *it,
    unsigned *epoch_out, char tip[64], struct err *err)
{
	struct listd		*ld = ar->ld;
	struct archive_conf	 c;
	char			 dir[4096];
	char			 addr[STORE_NAME_MAX + STORE_DOMAIN_MAX + 2];
	int			 r;

	if (ar->cur != NULL && strcmp(ar->cur_list, it->list) != 0) {
		archive_close(ar->cur);
		ar->cur = NULL;
	}
	if (ar->cur == NULL) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s",
		    ld->set.conf.archive_dir, it->list) >= sizeof(dir)) {
			err_set(err, ERR_ARG, "--archive-dir: path too long");
			return -1;
		}
		snprintf(addr, sizeof(addr), "%s@%s", it->list, it->domain);
		memset(&c, 0, sizeof(c));
		c.dir = dir;
		c.name = it->list;
		c.address = addr;
		c.epoch_max = ld->set.conf.archive_epoch_size;
		if ((ar->cur = archive_open(&c, err)) == NULL)
			return -1;
		snprintf(ar->cur_list, sizeof(ar->cur_list), "%s", it->list);
	}
	r = archive_add(ar->cur, it->body, it->len, listd_now(ld), err);
	*epoch_out = archive_epoch(ar->cur);
	snprintf(tip, 64, "%s", archive_tip(ar->cur));
	if (r == -1) {
		archive_close(ar->cur);
		ar->cur = NULL;
	}
	return r;
}

static void
run(struct listd_archive *ar)
{
	struct listd			*ld = ar->ld;
	struct store_archive_item	 it;
	struct err			 err;
	char				 tip[64];
	unsigned			 epoch = 0;
	time_t				 now;
	int				 i, r;

	for (i = 0; i < ARCHIVE_BATCH; i++) {
		now = listd_now(ld);
		if ((r = store_archive_next(ld->store, now, &it, &err)) == -1) {
			log_error("archive: %s", err.msg);
			later(ar, ARCHIVE_RETRY);
			return;
		}
		if (r == 0)
			return;
		if (it.body == NULL) {
			later(ar, it.next_attempt - now);
			return;
		}
		r = commit_one(ar, &it, &epoch, tip, &err);
		free(it.body);
		if (r == -1) {
			log_warn("archive queue=%" PRId64 " list=%s attempt=%ld: "
			    "%s", it.message, it.list, it.attempts + 1,
			    err.msg);
			if (store_archive_retry(ld->store, it.message, now +
			    backoff(it.attempts), err.msg, &err) == -1)
				log_error("archive queue=%" PRId64 ": %s",
				    it.message, err.msg);
			later(ar, backoff(it.attempts));
			return;
		}
		log_info("archive queue=%" PRId64 " list=%s epoch=%u commit=%s%s",
		    it.message, it.list, epoch, tip, r == 1 ?
		    " (committed before)" : "");
		if (store_archive_done(ld->store, it.message, &err) == -1) {
			/* Taken again later: the inbox's tip says it is in. */
			log_error("archive queue=%" PRId64 ": %s", it.message,
			    err.msg);
			later(ar, ARCHIVE_RETRY);
			return;
		}
	}
	event_active(ar->kick, EV_TIMEOUT, 0);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run(arg);
}

int
listd_archive_start(struct listd *ld, struct err *err)
{
	struct listd_archive	*ar;

	if (ld->set.conf.archive_dir == NULL)
		return 0;
	if ((ar = calloc(1, sizeof(*ar))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	ar->ld = ld;
	ld->archive = ar;
	if ((ar->timer = event_new(ld->base, -1, 0, on_timer, ar)) == NULL ||
	    (ar->kick = event_new(ld->base, -1, 0, on_timer, ar)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		listd_archive_stop(ld);
		return -1;
	}
	/* What a previous run left: at once. */
	event_active(ar->kick, EV_TIMEOUT, 0);
	return 0;
}

void
listd_archive_kick(struct listd *ld)
{
	if (ld->archive != NULL)
		event_active(ld->archive->kick, EV_TIMEOUT, 0);
}

void
listd_archive_stop(struct listd *ld)
{
	struct listd_archive	*ar = ld->archive;

	if (ar == NULL)
		return;
	if (ar->timer != NULL)
		event_free(ar->timer);
	if (ar->kick != NULL)
		event_free(ar->kick);
	archive_close(ar->cur);
	free(ar);
	ld->archive = NULL;
}
