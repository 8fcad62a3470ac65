/*
 * queue.c: the hand-off of stored posts to timbre-signd, and the calls
 * into the delivery engine (deliver.h).
 *
 * A post is in the database before anyone said 250 for it (session.c).
 * From there this file sends it to --signer over SMTP (src/smtp's
 * client transport), one at a time, oldest due first, with an
 * X-Timbre-Queue-Id field on top; envelope LIST-bounces@DOMAIN ->
 * LIST@DOMAIN.  signd keeps no queue: it answers with the reply of its
 * relay, our --listen-signed, which says 250 only once the signed copy
 * is stored as delivery rows.  So the hand-off's 250 means the message
 * is through; anything else leaves it in "signing", due again after a
 * back-off that doubles from --signer-retry up to --signer-retry-max.
 * Each attempt is marked in the row before it starts, and at start-up
 * every message in received or signing is sent again at once: a crash
 * or a signer that is down loses nothing (at worst the signer sees a
 * message twice, and the second copy changes nothing: store_msg_signed).
 * Then the delivery engine (deliver.h) takes the rows; the functions at
 * the end are the daemon's calls into it.  Before the engine's first
 * claim, the rows an earlier daemon claimed and never recorded (it was
 * killed mid-attempt) are released and due at once, rather than after
 * their lease: their copies may have gone, and go again (at least
 * once).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "listd.h"
#include "smtp/transport.h"
#include "util/err.h"

#define QUEUE_BATCH	64
#define QUEUE_TICK_MAX	5	/* seconds between looks at the queue */

struct entry {
	int64_t	 id;
	long	 attempts;
	char	 list[STORE_NAME_MAX + 1];
};

struct listd_queue {
	struct listd		*ld;
	struct event		*timer;
	struct event		*kick;
	struct smtp_send	*send;
	struct entry		 batch[QUEUE_BATCH];
	size_t			 nbatch, next;
	bool			 everything;	/* at start: due or not */
	/* the message on its way */
	struct entry		 cur;
	char			*body;
	size_t			 len, rd;
	char			 field[64];
	size_t			 field_len, field_rd;
	char			 from[STORE_NAME_MAX + STORE_DOMAIN_MAX + 16];
	char			 to[STORE_NAME_MAX + STORE_DOMAIN_MAX + 16];
	const char		*rcpt[1];
};

static void	queue_run(struct listd_queue *);

static time_t
backoff(const struct listd *ld, long attempts)
{
	time_t	d = (time_t)ld->set.conf.signer_retry;
	long	i;

	for (i = 1; i < attempts && d < ld->set.conf.signer_retry_max; i++)
		d *= 2;
	if (d > ld->set.conf.signer_retry_max)
		d = (time_t)ld->set.conf.signer_retry_max;
	return d;
}

static int
collect(const struct store_msg_info *mi, void *arg)
{
	struct listd_queue	*q = arg;
	struct entry		*e;

	if (q->nbatch == QUEUE_BATCH)
		return -1;
	e = &q->batch[q->nbatch++];
	e->id = mi->id;
	e->attempts = mi->attempts;
	snprintf(e->list, sizeof(e->list), "%s", mi->list);
	return 0;
}

static ssize_t
send_read(void *arg, char *buf, size_t cap)
{
	struct listd_queue	*q = arg;
	size_t			 n;

	if (q->field_rd < q->field_len) {
		n = q->field_len - q->field_rd;
		if (n > cap)
			n = cap;
		memcpy(buf, q->field + q->field_rd, n);
		q->field_rd += n;
		return (ssize_t)n;
	}
	n = q->len - q->rd;
	if (n > cap)
		n = cap;
	memcpy(buf, q->body + q->rd, n);
	q->rd += n;
	return (ssize_t)n;
}

static void
send_end(struct listd_queue *q)
{
	free(q->body);
	q->body = NULL;
	q->send = NULL;
}

/* The attempt failed: the message waits for its back-off. */
static void
send_failed(struct listd_queue *q, const char *why)
{
	struct listd	*ld = q->ld;
	struct err	 err;
	time_t		 wait = backoff(ld, q->cur.attempts + 1);

	ld->stats.signer_failed++;
	log_warn("queue %" PRId64 " signer %s: %s; again in %llds", q->cur.id,
	    ld->set.conf.signer.text, why, (long long)wait);
	if (store_msg_state(ld->store, q->cur.id, STORE_MSG_SIGNING,
	    listd_now(ld) + wait, false, why, &err) == -1 &&
	    err.code != STORE_E_NOMSG)
		log_error("queue %" PRId64 " state: %s", q->cur.id, err.msg);
}

static void
send_done(void *arg, const struct smtp_client *c, const char *why)
{
	struct listd_queue	*q = arg;
	const struct smtp_reply	*r = smtp_client_message_reply(c);
	char			 text[SMTP_REPLY_TEXT_MAX + 200];

	send_end(q);
	if (r->code / 100 == 2) {
		q->ld->stats.to_signer++;
		log_info("queue %" PRId64 " signer answer %d %s %s", q->cur.id,
		    r->code, r->enhanced, r->text);
	} else {
		snprintf(text, sizeof(text), "%s%s%d %s %s", why ? why : "",
		    why ? ": " : "", r->code, r->enhanced, r->text);
		send_failed(q, text);
	}
	queue_run(q);
}

/* Starts the hand-off of e; false when it could not start. */
static bool
send_one(struct listd_queue *q, const struct entry *e)
{
	struct listd		*ld = q->ld;
	struct smtp_send_conf	 conf;
	struct smtp_envelope	 env;
	struct err		 err;
	time_t			 now = listd_now(ld);

	q->cur = *e;
	/* Marked before it leaves: due again after the back-off if this
	 * attempt never ends (a crash, a hung signer). */
	if (store_msg_state(ld->store, e->id, STORE_MSG_SIGNING, now +
	    backoff(ld, e->attempts + 1), true, NULL, &err) == -1) {
		if (err.code != STORE_E_NOMSG)
			log_error("queue %" PRId64 " state: %s", e->id,
			    err.msg);
		return false;
	}
	q->cur.attempts++;
	if (store_msg_body(ld->store, e->id, &q->body, &q->len, &err) == -1) {
		log_error("queue %" PRId64 " body: %s", e->id, err.msg);
		return false;
	}
	q->rd = 0;
	q->field_len = (size_t)snprintf(q->field, sizeof(q->field),
	    LISTD_QUEUE_FIELD ": %" PRId64 "\r\n", e->id);
	q->field_rd = 0;
	snprintf(q->from, sizeof(q->from), "%s-bounces@%s", e->list,
	    ld->set.domain);
	snprintf(q->to, sizeof(q->to), "%s@%s", e->list, ld->set.domain);
	q->rcpt[0] = q->to;
	memset(&conf, 0, sizeof(conf));
	conf.client.helo = ld->set.hostname;
	conf.read = send_read;
	conf.done = send_done;
	conf.arg = q;
	memset(&env, 0, sizeof(env));
	env.mail_from = q->from;
	env.rcpt = q->rcpt;
	env.nrcpt = 1;
	env.size = q->len + q->field_len;
	env.body_8bit = true;
	log_info("queue %" PRId64 " to signer %s list=%s size=%zu attempt=%ld",
	    e->id, ld->set.conf.signer.text, e->list, q->len,
	    q->cur.attempts);
	if ((q->send = smtp_send_start(ld->base, (const struct sockaddr *)
	    &ld->set.conf.signer.ss, ld->set.conf.signer.len, &conf, &env,
	    &err)) == NULL) {
		free(q->body);
		q->body = NULL;
		send_failed(q, err.msg);
		return false;
	}
	return true;
}

static void
queue_run(struct listd_queue *q)
{
	struct listd	*ld = q->ld;
	struct err	 err;
	time_t		 due;

	while (q->send == NULL) {
		if (q->next == q->nbatch) {
			q->nbatch = q->next = 0;
			due = q->everything ? (time_t)INT64_MAX / 2 :
			    listd_now(ld);
			q->everything = false;
			if (store_msg_each_unsigned(ld->store, due, collect, q,
			    &err) == -1 && q->nbatch < QUEUE_BATCH) {
				log_error("queue: %s", err.msg);
				return;
			}
			if (q->nbatch == 0)
				return;
		}
		(void)send_one(q, &q->batch[q->next++]);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	queue_run(arg);
}

int
listd_queue_start(struct listd *ld, struct err *err)
{
	struct listd_queue	*q;
	struct timeval		 tv = { QUEUE_TICK_MAX, 0 };

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	q->ld = ld;
	q->everything = true;
	if (ld->set.conf.signer_retry < QUEUE_TICK_MAX)
		tv.tv_sec = (time_t)ld->set.conf.signer_retry;
	if ((q->timer = event_new(ld->base, -1, EV_PERSIST, on_timer, q)) ==
	    NULL || (q->kick = event_new(ld->base, -1, 0, on_timer, q)) ==
	    NULL || event_add(q->timer, &tv) == -1) {
		err_set(err, ERR_NOMEM, "out of memory");
		ld->queue = q;
		listd_queue_stop(ld);
		return -1;
	}
	ld->queue = q;
	event_active(q->kick, EV_TIMEOUT, 0);
	return 0;
}

void
listd_queue_kick(struct listd *ld)
{
	if (ld->queue != NULL && ld->queue->send == NULL)
		event_active(ld->queue->kick, EV_TIMEOUT, 0);
}

void
listd_queue_stop(struct listd *ld)
{
	struct listd_queue	*q = ld->queue;

	if (q == NULL)
		return;
	if (q->send != NULL)
		smtp_send_cancel(q->send);
	if (q->timer != NULL)
		event_free(q->timer);
	if (q->kick != NULL)
		event_free(q->kick);
	free(q->body);
	free(q);
	ld->queue = NULL;
}

/* The delivery engine queued a DSN for the signer: send it now. */
static void
out_to_signer(void *arg)
{
	listd_queue_kick(arg);
}

int
listd_out_start(struct listd *ld, struct err *err)
{
	long	n;

	if (store_deliver_release(ld->store, listd_now(ld), &n, err) == -1) {
		err_prefix(err, "releasing an earlier daemon's claims");
		return -1;
	}
	if (n > 0)
		log_info("deliver released=%ld (claimed by an earlier daemon, "
		    "due now)", n);
	ld->set.deliver.clock_offset = ld->clock_offset;
	ld->set.deliver.to_signer = out_to_signer;
	ld->set.deliver.to_signer_arg = ld;
	if ((ld->deliver = listd_deliver_new(ld->base, ld->store,
	    &ld->set.deliver, err)) == NULL)
		return -1;
	return 0;
}

void
listd_out_stop(struct listd *ld)
{
	listd_deliver_free(ld->deliver);
	ld->deliver = NULL;
}

void
listd_out_kick(struct listd *ld)
{
	if (ld->deliver != NULL)
		listd_deliver_kick(ld->deliver);
}

int
listd_out_bounce(struct listd *ld, const char *list, const char *verp,
    const char *msg, size_t len, struct err *err)
{
	if (ld->deliver == NULL) {
		err_set(err, ERR_ARG, "no delivery engine to take bounces");
		return -1;
	}
	return listd_bounce_take(ld->deliver, list, verp, msg, len, err);
}
