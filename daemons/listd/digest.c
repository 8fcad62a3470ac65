/*
 * digest.c: timbre-listd's digests.  A subscriber in digest mode
 * (timbre list digest, or mail to LIST-digest, admin.c) gets no single
 * post; the posts gather in the store (store_msg_signed makes a row, a
 * copy of the post as the members get it, in the transaction that fans
 * it out) and go out as one MIME digest when they reach --digest-size
 * bytes or the oldest of them is --digest-interval old, whichever comes
 * first, as Mailman's digest_size_threshold and daily digests do.
 *
 * Why the daemon sends them, not a `timbre list digest-send` run by a
 * timer: a digest is due on size as well as on time, which only the
 * process that sees the posts can tell at once; and mlmmj (mlmmj-maintd)
 * and Mailman 3 (its digest runner) both send digests themselves,
 * with nothing for the operator to schedule.
 *
 * The digest is built from the queue, not from the archive, so it works
 * without --archive-dir and sees exactly the posts that were fanned out.
 * It is RFC 2046 section 5.1.5's multipart/digest, inside a
 * multipart/mixed whose first part is the table of contents (text/plain:
 * number, subject and author of each post) and how to switch back, as
 * Mailman's MIME digests are.  Each post is a message/rfc822 part, as
 * signed, with its own DKIM signature.  The digest is queued like a
 * reply (store_digest_queue: state received, one delivery row per member
 * in digest mode, the rows it holds deleted in the same transaction, the
 * issue number checked so that no issue goes twice), so it goes through
 * timbre-signd, the durable queue and its retries like every post, with
 * the list's return path so that its bounces count as a post's do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "archive/archive.h"
#include "keys/mac.h"
#include "listd.h"
#include "util/buf.h"
#include "util/err.h"

#define DIGEST_TICK	10	/* seconds between looks at the queue */
#define DIGEST_RETRY	60	/* after a failure */
#define DIGEST_LISTS	64	/* lists sent per turn */
#define DIGEST_MAX	(64 * 1024 * 1024)	/* bytes of one digest */

struct listd_digest {
	struct listd	*ld;
	struct event	*timer;
};

/* A list whose digest is due. */
struct due {
	char	domain[STORE_DOMAIN_MAX + 1];
	char	name[STORE_NAME_MAX + 1];
	long	issue;
	long	readers;
};

struct scan {
	struct listd	*ld;
	time_t		 now;
	time_t		 wake;		/* the next one due on time */
	struct due	 due[DIGEST_LISTS];
	size_t		 n;
	bool		 more;		/* due lists left for the next turn */
};

static int
scan_fn(const struct store_digest_info *di, void *arg)
{
	struct scan		*sc = arg;
	const struct listd_conf	*c = &sc->ld->set.conf;
	time_t			 at = di->oldest + (time_t)c->digest_interval;

	/* Nobody reads it any more: the rows go at once. */
	if (di->readers > 0 && di->size < (size_t)c->digest_size &&
	    at > sc->now) {
		if (sc->wake == 0 || at < sc->wake)
			sc->wake = at;
		return 0;
	}
	if (sc->n == DIGEST_LISTS) {
		sc->more = true;
		return 0;
	}
	snprintf(sc->due[sc->n].domain, sizeof(sc->due[sc->n].domain), "%s",
	    di->domain);
	snprintf(sc->due[sc->n].name, sizeof(sc->due[sc->n].name), "%s",
	    di->name);
	sc->due[sc->n].issue = di->issue;
	sc->due[sc->n].readers = di->readers;
	sc->n++;
	return 0;
}

/* The posts of one digest, as they are read. */
struct parts {
	struct buf	 toc;		/* the table of contents */
	struct buf	 msgs;		/* the multipart/digest's parts */
	char		 bound[40];	/* of the multipart/digest */
	char		 hex[25];	/* the random part of both */
	size_t		 n;
	size_t		 size;
	size_t		 max;		/* --digest-size */
	int64_t		 upto;
	bool		 clash;		/* a post holds a boundary */
	bool		 eight;		/* the table is not ASCII */
	int		 rc;
};

/* Does the random part of the boundaries occur in p[0..len)?  If not,
 * neither boundary can. */
static bool
holds(const void *p, size_t len, const char *hex)
{
	return memmem(p, len, hex, strlen(hex)) != NULL;
}

/* s, one line of the table: control characters become spaces. */
static void
toc_text(struct parts *ps, const char *s)
{
	struct err	err;
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			ps->eight = true;
		ps->rc |= buf_addc(&ps->toc, (unsigned char)*p < 0x20 ||
		    *p == 0x7f ? ' ' : *p, &err);
	}
}

static int
post_fn(const struct store_digest_post *p, void *arg)
{
	struct parts		*ps = arg;
	struct archive_msg	 m;
	struct err		 err;

	if (ps->n > 0 && (ps->size >= ps->max ||
	    ps->size + p->len > DIGEST_MAX))
		return 1;		/* the rest: the next digest */
	if (holds(p->body, p->len, ps->hex))
		ps->clash = true;
	if (archive_msg_parse(p->body, p->len, "", (int64_t)p->created, &m,
	    &err) == -1) {
		ps->rc = -1;	/* ERR_NOMEM, the only failure */
		return -1;
	}
	ps->n++;
	ps->size += p->len;
	ps->upto = p->seq;
	ps->rc |= buf_printf(&ps->toc, &err, "%3zu. ", ps->n);
	toc_text(ps, m.subject[0] != '\0' ? m.subject : "(no subject)");
	ps->rc |= buf_adds(&ps->toc, "\r\n      From: ", &err);
	toc_text(ps, m.from[0] != '\0' ? m.from : "(unknown)");
	ps->rc |= buf_adds(&ps->toc, "\r\n", &err);
	archive_msg_fini(&m);
	ps->rc |= buf_printf(&ps->msgs, &err, "--%s\r\nContent-Type: "
	    "message/rfc822\r\n\r\n", ps->bound);
	ps->rc |= buf_add(&ps->msgs, p->body, p->len, &err);
	ps->rc |= buf_adds(&ps->msgs, "\r\n", &err);
	return ps->rc != 0 ? -1 : 0;
}

/* Two fresh boundaries, "=_timbre_toc_HEX" and "=_timbre_msgs_HEX": "=_"
 * cannot occur in quoted-printable, and neither is the other's prefix. */
static int
boundaries(char toc[40], char msgs[40], char hex[25], struct err *err)
{
	unsigned char	rnd[12];
	size_t		i;

	if (key_random(rnd, sizeof(rnd), err) == -1)
		return -1;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(toc, 40, "=_timbre_toc_%s", hex);
	snprintf(msgs, 40, "=_timbre_msgs_%s", hex);
	return 0;
}

/* The digest's header section and table into out. */
static int
head(struct listd *ld, const struct due *du, const struct parts *ps,
    const char *outer, const char *mid, struct buf *out, struct err *err)
{
	const char	*l = du->name, *d = du->domain;
	char		 date[64];
	time_t		 now = listd_now(ld);
	struct tm	 tm;
	int		 rc = 0;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	rc |= buf_printf(out, err, "From: \"%s@%s digest\" <%s-owner@%s>\r\n"
	    "To: %s@%s\r\nReply-To: %s@%s\r\n"
	    "Subject: %s@%s digest, issue %ld (%zu message%s)\r\n"
	    "Date: %s\r\nMessage-ID: %s\r\nList-Id: <%s.%s>\r\n"
	    "List-Post: <mailto:%s@%s>\r\nList-Help: <mailto:%s-help@%s>\r\n"
	    "List-Subscribe: <mailto:%s-subscribe@%s>\r\n",
	    l, d, l, d, l, d, l, d, l, d, du->issue, ps->n,
	    ps->n == 1 ? "" : "s", date, mid, l, d, l, d, l, d, l, d);
	/* Else the delivery engine gives each copy its one-click link. */
	if (ld->set.deliver.unsub_url == NULL)
		rc |= buf_printf(out, err, "List-Unsubscribe: "
		    "<mailto:%s-unsubscribe@%s>\r\n", l, d);
	rc |= buf_printf(out, err, "Precedence: list\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "This is a MIME digest of %s@%s: %zu message%s.\r\n\r\n"
	    "--%s\r\nContent-Type: text/plain; charset=%s\r\n"
	    "Content-Transfer-Encoding: %s\r\n"
	    "Content-Description: Table of contents\r\n\r\n"
	    "%s@%s digest, issue %ld\r\n\r\n"
	    "In this digest:\r\n\r\n", outer, l, d, ps->n,
	    ps->n == 1 ? "" : "s", outer, ps->eight ? "utf-8" : "us-ascii",
	    ps->eight ? "8bit" : "7bit", l, d, du->issue);
	rc |= buf_add(out, ps->toc.data, ps->toc.len, err);
	rc |= buf_printf(out, err, "\r\nTo post, write to %s@%s.\r\n"
	    "To get each post as it is sent instead of digests, write to\r\n"
	    "%s-digest@%s with the subject \"off\".\r\n"
	    "To leave the list, write to %s-unsubscribe@%s.\r\n\r\n"
	    "--%s\r\nContent-Type: multipart/digest; boundary=\"%s\"\r\n"
	    "Content-Description: %zu message%s\r\n\r\n", l, d, l, d, l, d,
	    outer, ps->bound, ps->n, ps->n == 1 ? "" : "s");
	return rc != 0 ? -1 : 0;
}

/* Builds and queues the next digest of du: 0, or -1 (logged). */
static int
send_one(struct listd *ld, const struct due *du)
{
	struct store_digest_issue	 is;
	struct parts			 ps;
	struct buf			 msg;
	struct err			 err;
	char				 outer[40], mid[400], from[400];
	unsigned char			 rnd[8];
	int64_t				 qid;
	size_t				 nrcpt, i;
	int				 tries, r, ret = -1;

	memset(&is, 0, sizeof(is));
	is.issue = du->issue;
	snprintf(from, sizeof(from), "%s-bounces@%s", du->name, du->domain);
	is.mail_from = from;
	if (du->readers == 0) {
		/* Nobody left in digest mode: the rows go, nothing is sent
		 * (len 0). */
		is.upto = INT64_MAX;
		is.body = "";
		if (store_digest_queue(ld->store, du->domain, du->name, &is,
		    listd_now(ld), &qid, &nrcpt, &err) == -1) {
			log_error("digest list=%s: %s", du->name, err.msg);
			return -1;
		}
		log_info("digest list=%s issue=%ld: no member reads digests, "
		    "posts dropped from the digest queue", du->name,
		    du->issue);
		return 0;
	}
	buf_init(&msg, DIGEST_MAX + 1024 * 1024);
	for (tries = 0; tries < 4; tries++) {
		memset(&ps, 0, sizeof(ps));
		buf_init(&ps.toc, 1024 * 1024);
		buf_init(&ps.msgs, DIGEST_MAX + 64 * 1024);
		ps.max = (size_t)ld->set.conf.digest_size;
		if (boundaries(outer, ps.bound, ps.hex, &err) == -1 ||
		    store_digest_posts(ld->store, du->domain, du->name,
		    post_fn, &ps, &err) == -1) {
			log_error("digest list=%s: %s", du->name, ps.rc != 0 ?
			    "out of memory, or a post over the digest's "
			    "limit" : err.msg);
			goto out;
		}
		if (ps.n == 0) {
			ret = 0;	/* gone meanwhile */
			goto out;
		}
		if (!ps.clash && !holds(ps.toc.data, ps.toc.len, ps.hex))
			break;
		if (tries == 3) {
			log_error("digest list=%s: no boundary that no post "
			    "holds", du->name);
			goto out;
		}
		buf_fini(&ps.toc);
		buf_fini(&ps.msgs);
	}
	if (key_random(rnd, sizeof(rnd), &err) == -1) {
		log_error("digest list=%s random: %s", du->name, err.msg);
		goto out;
	}
	r = snprintf(mid, sizeof(mid), "<digest.%ld.", du->issue);
	for (i = 0; i < sizeof(rnd); i++)
		r += snprintf(mid + r, sizeof(mid) - (size_t)r, "%02x",
		    rnd[i]);
	snprintf(mid + r, sizeof(mid) - (size_t)r, ".%s@%s>", du->name,
	    ld->set.hostname);
	if (head(ld, du, &ps, outer, mid, &msg, &err) == -1 ||
	    buf_add(&msg, ps.msgs.data, ps.msgs.len, &err) == -1 ||
	    buf_printf(&msg, &err, "--%s--\r\n\r\n--%s--\r\n", ps.bound,
	    outer) == -1) {
		log_error("digest list=%s: %s", du->name, err.msg);
		goto out;
	}
	is.upto = ps.upto;
	is.message_id = mid;
	is.body = msg.data;
	is.len = msg.len;
	if ((r = store_digest_queue(ld->store, du->domain, du->name, &is,
	    listd_now(ld), &qid, &nrcpt, &err)) == -1) {
		log_error("digest list=%s issue=%ld: %s", du->name, du->issue,
		    err.msg);
		goto out;
	}
	if (r == 1)
		log_info("digest list=%s issue=%ld: sent already", du->name,
		    du->issue);
	else
		log_info("digest list=%s issue=%ld queue=%" PRId64 " posts=%zu "
		    "size=%zu rcpts=%zu", du->name, du->issue, qid, ps.n,
		    msg.len, nrcpt);
	listd_queue_kick(ld);
	ret = 0;
out:
	buf_fini(&ps.toc);
	buf_fini(&ps.msgs);
	buf_fini(&msg);
	return ret;
}

static void
later(struct listd_digest *dg, time_t secs)
{
	struct timeval	tv = { secs > 0 ? secs : 1, 0 };

	(void)event_add(dg->timer, &tv);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct listd_digest	*dg = arg;
	struct listd		*ld = dg->ld;
	struct scan		 sc;
	struct err		 err;
	time_t			 next = DIGEST_TICK;
	size_t			 i;

	(void)fd;
	(void)what;
	memset(&sc, 0, sizeof(sc));
	sc.ld = ld;
	sc.now = listd_now(ld);
	if (store_digest_each(ld->store, scan_fn, &sc, &err) == -1) {
		log_error("digest: %s", err.msg);
		later(dg, DIGEST_RETRY);
		return;
	}
	for (i = 0; i < sc.n; i++)
		if (send_one(ld, &sc.due[i]) == -1)
			next = DIGEST_RETRY;
		else
			sc.more = true;	/* the rest of a big one: at once */
	if (sc.more && next != DIGEST_RETRY)
		next = 1;
	else if (sc.wake != 0 && sc.wake - sc.now < next)
		next = sc.wake - sc.now;
	later(dg, next);
}

int
listd_digest_start(struct listd *ld, struct err *err)
{
	struct listd_digest	*dg;

	if ((dg = calloc(1, sizeof(*dg))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	dg->ld = ld;
	ld->digest = dg;
	if ((dg->timer = event_new(ld->base, -1, 0, on_timer, dg)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		listd_digest_stop(ld);
		return -1;
	}
	/* What a previous run left: soon. */
	later(dg, 1);
	return 0;
}

void
listd_digest_stop(struct listd *ld)
{
	struct listd_digest	*dg = ld->digest;

	if (dg == NULL)
		return;
	if (dg->timer != NULL)
		event_free(dg->timer);
	free(dg);
	ld->digest = NULL;
}
