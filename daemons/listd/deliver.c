/*
 * deliver.c: timbre-listd's fan-out (deliver.h): the queue in the
 * database, one SMTP transaction per copy, the results and retries.
 *
 * Claims.  Due rows are claimed in batches by pushing their next
 * attempt LISTD_LEASE ahead (store_deliver_claim); the copy is sent,
 * then its result recorded.  A crash between the two sends the copy
 * again when the lease ends: at least once, never lost (lipap kept its
 * retries in memory and a file keyed by Message-ID).  An attempt longer
 * than LISTD_ATTEMPT_MAX is cancelled and retried, so a lease never ends
 * under a running attempt.
 *
 * Transactions.  Every copy has its own VERP return path (verp.c), and
 * an envelope has one return path, so a transaction carries the copies
 * of one message that share their return path: one RCPT for a post, up
 * to LISTD_RCPT_MAX for mail with the null path (DSNs, replies to
 * commands) to recipients of one domain.  Each recipient's result is
 * its own (its RCPT reply if refused, else the reply to the message), so
 * some may be sent, some retried and some bounced from one transaction.
 *
 * Connections.  When a transaction ends with the server's reply to its
 * final dot, the connection carries the next copy waiting for the same
 * address (job_chain), up to LISTD_REUSE_MAX transactions: a fan-out to
 * one domain costs one TCP connection, greeting and TLS handshake per
 * connection, not per copy.  A transaction that ended otherwise (MAIL
 * or every RCPT refused, a 421) ends its connection: the server's state
 * is then not known to be clean.  The caps bound connections:
 * cfg.max_connections in all and cfg.per_domain per recipient domain.
 *
 * STARTTLS is opportunistic, as Postfix's smtp_tls_security_level =
 * may: used when the server offers it, no certificate checked, and a
 * failed handshake sends the copy in plain text over a new connection
 * (src/smtp's transport does that).  The log line of each result says
 * tls=VERSION/CIPHER or tls=none, and a failed handshake is logged with
 * its reason.  Unless DANE applies (RFC 7672; mx.c finds the validated
 * TLSA records): then TLS is required and the certificate must match
 * (job_policy); a connection that fails that is a failed connection,
 * never a plain-text one, and the copy is deferred with 4.7.5 when no
 * address is left.
 *
 * Where a copy goes: the recipient domain's MX hosts by preference, or
 * its A/AAAA when it has no MX (RFC 5321 section 5.1), or --smarthost
 * (mx.c).  A connection that fails or a 421 greeting moves on to the
 * next address of the domain; the others are results.
 *
 * Results (RFC 5321 section 4.2.1, 4.5.4.1): 2xx sent; 5xx failed and
 * a bounce, no retry; 4xx or no connection retried on the schedule of
 * cfg (listd_retry_next), counted from the message's creation, and
 * failed with a soft bounce and a DSN to the list's moderators once
 * give_up has passed (bounce.c; the DSN goes through timbre-signd, so
 * it leaves signed by the list's domain like the posts).  Mail with the null return path (those
 * DSNs) is never bounced or reported on, so no loop can start.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "deliver_priv.h"
#include "dns/dns.h"
#include "keys/mac.h"
#include "smtp/transport.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void	deliver_pump(struct listd_deliver *);
static void	dom_pump(struct listd_dom *);
static void	job_sign_left(struct listd_job *);

/* ---- Configuration and the schedule ---- */

void
listd_deliver_cfg_fill(struct listd_deliver_cfg *c)
{
	static const time_t	sched[] = { 300, 900, 1800, 3600, 7200 };

	if (c->nretry == 0 && c->retry_every == 0) {
		memcpy(c->retry, sched, sizeof(sched));
		c->nretry = sizeof(sched) / sizeof(sched[0]);
		c->retry_every = 4 * 3600;
	}
	if (c->nretry > LISTD_RETRY_MAX)
		c->nretry = LISTD_RETRY_MAX;
	if (c->give_up == 0)
		c->give_up = 5 * 86400;
	if (c->max_connections == 0)
		c->max_connections = 100;
	if (c->per_domain == 0)
		c->per_domain = 5;
	if (c->bounce_disable == 0)
		c->bounce_disable = 5;
	if (c->deliver_port == 0)
		c->deliver_port = 25;
}

time_t
listd_retry_next(const struct listd_deliver_cfg *c, time_t first,
    long attempts, time_t now)
{
	time_t	t, last;
	long	k, extra;

	if (attempts < 1)
		attempts = 1;
	last = c->nretry > 0 ? c->retry[c->nretry - 1] : 0;
	/* The fixed points first, skipping those already past. */
	for (k = attempts; k <= (long)c->nretry; k++) {
		t = first + c->retry[k - 1];
		if (t > now)
			goto found;
	}
	if (c->retry_every <= 0)
		return 0;
	/* Then every retry_every after the last fixed point. */
	extra = attempts > (long)c->nretry ? attempts - (long)c->nretry : 1;
	t = first + last + extra * c->retry_every;
	if (t <= now)
		t = first + last + ((now - first - last) / c->retry_every +
		    1) * c->retry_every;
found:
	if (t > first + c->give_up)
		return 0;
	return t;
}

time_t
listd_deliver_now(const struct listd_deliver *d)
{
	return time(NULL) + d->cfg.clock_offset;
}

/* ---- Internal header fields ---- */

bool
listd_header_is_internal(const char *name, size_t len)
{
	static const char *const	internal[] = {
		"X-Timbre-Queue-Id",
	};
	size_t	i;

	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (len == strlen(internal[i]) &&
		    strncasecmp(name, internal[i], len) == 0)
			return true;
	return false;
}

/* The field at msg[off..len), if off is not the end of the header
 * section: its length with its continuation lines in *flen, and the
 * length of its name in *nlen (0 for a line without a colon). */
static bool
field_at(const char *msg, size_t len, size_t off, size_t *flen, size_t *nlen)
{
	const char	*colon, *eol;
	size_t		 n;

	/* The end of the header section: an empty line. */
	if (off >= len || msg[off] == '\n' || (msg[off] == '\r' &&
	    off + 1 < len && msg[off + 1] == '\n'))
		return false;
	n = 0;
	do {
		eol = memchr(msg + off + n, '\n', len - off - n);
		n = eol == NULL ? len - off : (size_t)(eol - msg) - off + 1;
	} while (off + n < len && (msg[off + n] == ' ' ||
	    msg[off + n] == '\t'));
	*flen = n;
	colon = memchr(msg + off, ':', n);
	n = colon == NULL ? 0 : (size_t)(colon - msg) - off;
	while (n > 0 && (msg[off + n - 1] == ' ' || msg[off + n - 1] == '\t'))
		n--;
	*nlen = n;
	return true;
}

char *
listd_strip_internal(const char *msg, size_t len, size_t *len_out)
{
	char	*out;
	size_t	 off = 0, o = 0, flen, n;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	while (field_at(msg, len, off, &flen, &n)) {
		if (n == 0 || !listd_header_is_internal(msg + off, n)) {
			memcpy(out + o, msg + off, flen);
			o += flen;
		}
		off += flen;
	}
	memcpy(out + o, msg + off, len - off);
	o += len - off;
	out[o] = '\0';
	*len_out = o;
	return out;
}

bool
listd_has_field(const char *msg, size_t len, const char *name)
{
	size_t	off = 0, flen, n;

	for (; field_at(msg, len, off, &flen, &n); off += flen)
		if (n == strlen(name) && strncasecmp(msg + off, name, n) == 0)
			return true;
	return false;
}

/* ---- Messages in memory ---- */

static char *
spool_read(const char *path, size_t *len_out)
{
	char	*p = NULL, *np;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap == 0 ? 65536 * 2 : cap * 2;
			if ((np = realloc(p, cap + 1)) == NULL)
				goto fail;
			p = np;
		}
		if ((r = read(fd, p + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*len_out = len;
	return p;
fail:
	free(p);
	close(fd);
	return NULL;
}

static struct listd_msg *
msg_get(struct listd_deliver *d, int64_t id)
{
	struct listd_msg	*m;
	struct err		 err;
	char			*body, *spool;
	size_t			 len;

	LIST_FOREACH(m, &d->msgs, entry)
		if (m->id == id) {
			m->refs++;
			return m;
		}
	if (store_message_get(d->store, id, &body, &len, &spool, &err) ==
	    -1) {
		log_warn("%016" PRIx64 " deliver message: %s", (uint64_t)id,
		    err.msg);
		return NULL;
	}
	if (spool != NULL) {
		body = spool_read(spool, &len);
		if (body == NULL)
			log_warn("%016" PRIx64 " deliver spool %s: %s",
			    (uint64_t)id, spool, strerror(errno));
		free(spool);
		if (body == NULL)
			return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->data = listd_strip_internal(body, len, &m->len)) == NULL) {
		free(m);
		free(body);
		log_warn("%016" PRIx64 " deliver: out of memory", (uint64_t)id);
		return NULL;
	}
	free(body);
	m->own_unsub = !listd_has_field(m->data, m->len, "List-Unsubscribe");
	m->id = id;
	m->refs = 1;
	LIST_INSERT_HEAD(&d->msgs, m, entry);
	return m;
}

static void
msg_unref(struct listd_msg *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	LIST_REMOVE(m, entry);
	free(m->data);
	free(m);
}

/* ---- Jobs ---- */

static void
job_free(struct listd_job *j)
{
	struct listd_deliver	*d = j->d;

	if (j->send != NULL)
		smtp_send_cancel(j->send);
	if (j->deadline != NULL)
		event_free(j->deadline);
	if (j->dom != NULL)
		job_sign_left(j);
	/* The others of its transaction, if any, are freed on their own. */
	free(j->batch);
	free(j->fields);
	LIST_REMOVE(j, all);
	d->njobs--;
	msg_unref(j->msg);
	free(j);
}

static bool
job_is_claimed(struct listd_deliver *d, const struct store_delivery *row)
{
	struct listd_job	*j;

	LIST_FOREACH(j, &d->jobs, all)
		if (j->row.message == row->message &&
		    strcasecmp(j->row.recipient, row->recipient) == 0)
			return true;
	return false;
}

/* Records what became of j's copy and frees j.  code: the reply, or
 * what timbre made of the failure. */
static void
job_finish(struct listd_job *j, int code, const char *enh, const char *text)
{
	struct listd_deliver	*d = j->d;
	struct store_bounce	 b, *bp = NULL;
	enum store_outcome	 out;
	enum listd_charge	 charge;
	struct err		 err;
	char			 reply[SMTP_REPLY_TEXT_MAX + 32];
	time_t			 now = listd_deliver_now(d), next = 0;
	bool			 done, disabled, dsn = false;
	bool			 null_path = j->row.mail_from[0] == '\0';
	char			 ptoken[LISTD_PROBE_TOKEN_LEN + 1];
	bool			 probe = !null_path && listd_verp_probe_of(
	    j->row.list_name, j->row.list_domain, j->row.recipient,
	    j->row.mail_from, ptoken);

	snprintf(reply, sizeof(reply), "%d%s%s %s", code,
	    enh != NULL && enh[0] != '\0' ? " " : "", enh != NULL ? enh : "",
	    text != NULL ? text : "");
	memset(&b, 0, sizeof(b));
	b.reason = reply;
	b.disable_at = d->cfg.bounce_disable;
	if (code >= 200 && code < 300)
		out = STORE_OUT_SENT;
	else if (code >= 500) {
		out = STORE_OUT_FAILED;
		b.hard = true;
		b.score = LISTD_SCORE_HARD;
		bp = &b;
	} else if ((next = listd_retry_next(&d->cfg, j->row.created,
	    j->row.attempts + 1, now)) != 0)
		out = STORE_OUT_RETRY;
	else {
		out = STORE_OUT_FAILED;
		b.score = LISTD_SCORE_SOFT;
		bp = &b;
		dsn = true;
	}
	if (bp != NULL) {
		charge = listd_bounce_classify(code, enh, text);
		b.author = charge == LISTD_CHARGE_AUTHOR;
		if (null_path)
			bp = NULL;	/* our own DSNs bounce nowhere */
	}
	if (store_deliver_record(d->store, j->row.message, j->row.recipient,
	    out, next, reply, bp, now, &done, &disabled, &err) == -1)
		log_warn("%016" PRIx64 " deliver record to=<%s>: %s",
		    (uint64_t)j->row.message, j->row.recipient, err.msg);
	switch (out) {
	case STORE_OUT_SENT:
		d->stats.sent++;
		log_info("%016" PRIx64 " deliver sent to=<%s> tls=%s "
		    "reply=\"%s\"", (uint64_t)j->row.message, j->row.recipient,
		    j->tls, reply);
		break;
	case STORE_OUT_RETRY:
		d->stats.deferred++;
		log_info("%016" PRIx64 " deliver deferred to=<%s> attempts=%ld "
		    "next=%lld tls=%s reply=\"%s\"", (uint64_t)j->row.message,
		    j->row.recipient, j->row.attempts + 1,
		    (long long)(next - now), j->tls, reply);
		break;
	case STORE_OUT_FAILED:
		d->stats.failed++;
		if (bp != NULL) {
			d->stats.bounces++;
			if (b.author)
				d->stats.bounces_charged_to_author++;
		}
		log_info("%016" PRIx64 " deliver failed to=<%s> charged=%s "
		    "tls=%s reply=\"%s\"", (uint64_t)j->row.message,
		    j->row.recipient, bp == NULL ? "none" : b.author ?
		    "author" : "subscriber", j->tls, reply);
		if (disabled)
			log_info("%016" PRIx64 " bounce disabled "
			    "subscriber=<%s> list=%s@%s",
			    (uint64_t)j->row.message, j->row.recipient,
			    j->row.list_name, j->row.list_domain);
		break;
	}
	/* A probe that fails is the answer it was sent for: no DSN to
	 * the owners, the subscriber goes (probe.c); unless it was
	 * refused as spam or by a policy, which says nothing of the
	 * mailbox. */
	if (probe && out == STORE_OUT_FAILED && !b.author) {
		dsn = false;
		if (listd_probe_bounced(d, j->row.list_name, j->row.recipient,
		    ptoken, reply, &err) == -1)
			log_warn("%016" PRIx64 " probe to=<%s>: %s",
			    (uint64_t)j->row.message, j->row.recipient,
			    err.msg);
	}
	if (dsn && !null_path) {
		if (listd_dsn_queue(d, &j->row, reply, &err) == -1)
			log_warn("%016" PRIx64 " dsn to the owners of %s@%s: "
			    "%s", (uint64_t)j->row.message, j->row.list_name,
			    j->row.list_domain, err.msg);
		else
			d->stats.dsn_sent++;
	}
	if (done)
		log_info("%016" PRIx64 " deliver done", (uint64_t)j->row.message);
	job_free(j);
	listd_deliver_kick(d);
}

/* The copy: its own fields, then the message. */
static ssize_t
job_read(void *arg, char *buf, size_t cap)
{
	struct listd_job	*j = arg;
	size_t			 n, got = 0;

	if (j->off < j->nfields) {
		n = j->nfields - j->off;
		got = n > cap ? cap : n;
		memcpy(buf, j->fields + j->off, got);
		j->off += got;
	}
	n = j->msg->len - (j->off - j->nfields);
	if (n > cap - got)
		n = cap - got;
	memcpy(buf + got, j->msg->data + (j->off - j->nfields), n);
	j->off += n;
	return (ssize_t)(got + n);
}

static void	job_start(struct listd_job *);

static void
job_conn_end(struct listd_job *j)
{
	if (j->deadline != NULL)
		evtimer_del(j->deadline);
	j->send = NULL;
	j->dom->conns--;
	j->d->conns--;
}

/* The jobs of j's transaction (j itself first): *n of them. */
static struct listd_job **
job_members(struct listd_job *j, size_t *n)
{
	if (j->batch == NULL) {
		*n = 1;
		return NULL;
	}
	*n = j->nbatch;
	return j->batch;
}

/* Records member m's result r of a transaction to dom that used
 * address addr; a failed connection (or a 421) sends m on to the next
 * address, if there is one.  A TLS policy not met (policy) is such a
 * failure, and the copy's reply when no address is left. */
static void
job_result(struct listd_job *m, const struct smtp_reply *r, const char *why,
    bool policy)
{
	struct listd_dom	*dom = m->dom;
	bool			 conn_failed;

	/* No server spoke, or it would not take mail now at all (421 to
	 * the greeting or later): the next address may. */
	conn_failed = r == NULL || (r->local && why != NULL) ||
	    r->code == 421;
	if (conn_failed) {
		dom->bad[m->addr] = true;
		log_info("%016" PRIx64 " deliver connection to %s for <%s> "
		    "failed: %s", (uint64_t)m->row.message, dom->name,
		    m->row.recipient, why != NULL ? why : r != NULL ? r->text :
		    "no reply");
		m->addr++;
		while (m->addr < dom->naddr && dom->bad[m->addr])
			m->addr++;
		if (m->addr < dom->naddr) {
			m->off = 0;
			TAILQ_INSERT_HEAD(&dom->waiting, m, entry);
			return;
		}
	}
	if (policy)
		job_finish(m, 451, "4.7.5", why);
	else if (r == NULL)
		job_finish(m, 451, "4.4.1", why != NULL ? why : "no reply");
	else
		job_finish(m, r->code, r->enhanced, r->text);
}

static bool	job_chain(struct listd_dom *, size_t, unsigned,
		    struct smtp_send *);

static void
job_done(void *arg, const struct smtp_client *c, const char *why)
{
	struct listd_job	*j = arg, **batch, *one[1];
	struct listd_deliver	*d = j->d;
	struct listd_dom	*dom = j->dom;
	struct smtp_send	*s = j->send;
	const struct smtp_send_tls *tls = smtp_send_tls(s);
	size_t			 i, n, addr = j->addr;
	unsigned		 reuse = j->reuse;

	if (tls->used)
		d->stats.tls++;
	if (tls->used && tls->dane[0] != '\0' && reuse == 0)
		log_info("%016" PRIx64 " deliver dane %s: %s",
		    (uint64_t)j->row.message, dom->name, tls->dane);
	if (tls->policy_failed) {
		/* As a connection that failed: the next address may do,
		 * the copies are deferred if none does. */
		d->stats.tls_policy_failed++;
		log_info("%016" PRIx64 " deliver tls policy of %s not met: "
		    "%s", (uint64_t)j->row.message, dom->name,
		    tls->policy_why);
		why = tls->policy_why;
	}
	if (tls->policy_failed && j->sts == MAIL_STS_ENFORCE)
		d->stats.sts_failed++;
	if (j->sts == MAIL_STS_TESTING && reuse == 0 && (!tls->used ||
	    !tls->pkix_ok)) {
		/* RFC 8461 section 5: sent as without a policy. */
		d->stats.sts_testing_failed++;
		log_info("%016" PRIx64 " deliver MTA-STS policy of %s (mode "
		    "testing) not met: %s", (uint64_t)j->row.message,
		    dom->name, !tls->used ? "no TLS" : tls->pkix_why);
	}
	if (tls->fallback[0] != '\0' && reuse == 0)
		log_info("%016" PRIx64 " deliver starttls to %s failed, "
		    "plain text: %s", (uint64_t)j->row.message, dom->name,
		    tls->fallback);
	evtimer_del(j->deadline);
	j->send = NULL;
	/* The leader lets go of its transaction: each member (itself
	 * too) is finished or requeued on its own from here. */
	if ((batch = job_members(j, &n)) == NULL) {
		one[0] = j;
		batch = one;
	}
	j->batch = NULL;
	j->nbatch = 0;
	for (i = 0; i < n; i++) {
		if (tls->used)
			snprintf(batch[i]->tls, sizeof(batch[i]->tls), "%s/%s",
			    tls->version, tls->cipher);
		else
			snprintf(batch[i]->tls, sizeof(batch[i]->tls), "none");
		job_result(batch[i], smtp_client_result(c, i), why,
		    tls->policy_failed);
	}
	if (batch != one)
		free(batch);
	/* The connection goes on with the next copy for that address,
	 * if one waits; else it is gone. */
	if (!job_chain(dom, addr, reuse, s)) {
		dom->conns--;
		d->conns--;
	}
	dom_pump(dom);
}

/* Finishes every job of j's transaction with one reply. */
static void
job_finish_all(struct listd_job *j, int code, const char *enh,
    const char *text)
{
	struct listd_job	**batch;
	size_t			  i, n;

	if ((batch = job_members(j, &n)) == NULL) {
		job_finish(j, code, enh, text);
		return;
	}
	j->batch = NULL;
	j->nbatch = 0;
	for (i = 0; i < n; i++)
		job_finish(batch[i], code, enh, text);
	free(batch);
}

static void
job_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct listd_job	*j = arg;
	struct listd_dom	*dom = j->dom;

	(void)fd;
	(void)ev;
	smtp_send_cancel(j->send);
	job_conn_end(j);
	job_finish_all(j, 451, "4.4.2", "the attempt took too long");
	dom_pump(dom);
}

/* The first address of j's domain at or after j->addr that did not
 * fail; naddr if none is left. */
static size_t
job_addr(const struct listd_job *j)
{
	const struct listd_dom	*dom = j->dom;
	size_t			 a = j->addr;

	while (a < dom->naddr && dom->bad[a])
		a++;
	return a;
}

/*
 * Makes j the leader of a transaction with the jobs waiting on its
 * domain that can share it: the same message, the same return path,
 * the same address to try.  Posts have a return path per recipient,
 * so only mail with the null path gathers.
 */
static void
job_gather(struct listd_job *j)
{
	struct listd_dom	*dom = j->dom;
	struct listd_job	*o, *next, **batch;
	size_t			 n = 1;

	TAILQ_FOREACH(o, &dom->waiting, entry)
		if (o->msg == j->msg && job_addr(o) == j->addr &&
		    strcmp(o->return_path, j->return_path) == 0 &&
		    ++n == LISTD_RCPT_MAX)
			break;
	if (n == 1 || (batch = calloc(n, sizeof(*batch))) == NULL)
		return;		/* alone (or short of memory: alone) */
	batch[0] = j;
	j->nbatch = 1;
	for (o = TAILQ_FIRST(&dom->waiting); o != NULL && j->nbatch < n;
	    o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->msg == j->msg && job_addr(o) == j->addr &&
		    strcmp(o->return_path, j->return_path) == 0) {
			TAILQ_REMOVE(&dom->waiting, o, entry);
			o->addr = j->addr;
			batch[j->nbatch++] = o;
		}
	}
	j->batch = batch;
}

/* The envelope of j's transaction, its recipients in rcpt. */
static void
job_envelope(struct listd_job *j, struct smtp_envelope *env,
    const char *rcpt[LISTD_RCPT_MAX])
{
	struct listd_job	**batch;
	size_t			  i, n;

	if ((batch = job_members(j, &n)) == NULL)
		rcpt[0] = j->row.recipient;
	for (i = 0; batch != NULL && i < n; i++)
		rcpt[i] = batch[i]->row.recipient;
	memset(env, 0, sizeof(*env));
	env->mail_from = j->return_path;
	env->rcpt = rcpt;
	env->nrcpt = n;
	env->size = j->nfields + j->msg->len;
	env->body_8bit = true;
}

static void
job_send_conf(struct listd_job *j, struct smtp_send_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->client.helo = j->d->hostname;
	sc->client.starttls = true;
	sc->client.hold = true;		/* the next copy may follow */
	sc->read = job_read;
	sc->done = job_done;
	sc->arg = j;
}

/*
 * The TLS policy of a new connection for j (its address j->addr): SNI
 * names the MX host (not for a smarthost given as an address), and
 * with DANE for that host its TLSA records go in tlsa (for the
 * transport to copy), the domain itself the other name DANE-TA allows
 * (RFC 7672 section 3.2.2).
 */
static void
job_policy(struct listd_job *j, struct smtp_send_conf *sc,
    struct smtp_tlsa tlsa[SMTP_TLS_MAX_TLSA])
{
	struct listd_dom	*dom = j->dom;
	unsigned		 h = dom->host_of[j->addr];
	size_t			 i;

	j->sts = MAIL_STS_NONE;
	if (dom->nhosts == 0 || h >= dom->nhosts)
		return;
	sc->tls_servername = dom->hosts[h];
	/* DANE first where the host has TLSA (RFC 8461 section 2), else
	 * MTA-STS: a certificate valid for the MX host (section 4.2). */
	if (!dom->dane[h] && dom->sts_mode != MAIL_STS_NONE) {
		j->sts = dom->sts_mode;
		sc->tls_policy.level = SMTP_TLS_PKIX;
		sc->tls_policy.ca_file = j->d->cfg.tls_ca_file;
		sc->tls_policy.report_only = dom->sts_mode == MAIL_STS_TESTING;
	}
	if (!dom->dane[h])
		return;
	for (i = 0; i < dom->ntlsa[h] && i < SMTP_TLS_MAX_TLSA; i++) {
		tlsa[i].usage = dom->tlsa[h][i].usage;
		tlsa[i].selector = dom->tlsa[h][i].selector;
		tlsa[i].mtype = dom->tlsa[h][i].mtype;
		tlsa[i].data = dom->tlsa[h][i].data;
		tlsa[i].len = dom->tlsa[h][i].len;
	}
	sc->tls_policy.level = SMTP_TLS_DANE;
	sc->tls_policy.tlsa = tlsa;
	sc->tls_policy.ntlsa = i;
	sc->tls_policy.names[0] = dom->name;
}

/* j's gathered jobs, and j, back in the domain's queue, first. */
static void
job_ungather(struct listd_job *j)
{
	struct listd_job	**batch;
	size_t			  n;

	if ((batch = job_members(j, &n)) != NULL) {
		while (n-- > 1)
			TAILQ_INSERT_HEAD(&j->dom->waiting, batch[n], entry);
		free(batch);
	}
	j->batch = NULL;
	j->nbatch = 0;
	TAILQ_INSERT_HEAD(&j->dom->waiting, j, entry);
}

/*
 * After a transaction to dom's address addr on s (the reuse-th on it),
 * the first copy waiting for that address goes on the same connection:
 * no new TCP, greeting, EHLO or TLS handshake.  False when none waits,
 * the server would not go on, or s carried LISTD_REUSE_MAX already.
 */
static bool
job_chain(struct listd_dom *dom, size_t addr, unsigned reuse,
    struct smtp_send *s)
{
	struct listd_job	*n;
	struct smtp_send_conf	 sc;
	struct smtp_envelope	 env;
	const char		*rcpt[LISTD_RCPT_MAX];
	struct timeval		 tv = { LISTD_ATTEMPT_MAX, 0 };
	struct err		 err;

	if (reuse + 1 >= LISTD_REUSE_MAX || !smtp_send_can_next(s) ||
	    dom->state != LISTD_DOM_READY)
		return false;
	TAILQ_FOREACH(n, &dom->waiting, entry)
		if (job_addr(n) == addr)
			break;
	if (n == NULL)
		return false;
	TAILQ_REMOVE(&dom->waiting, n, entry);
	n->addr = addr;
	job_gather(n);
	job_send_conf(n, &sc);
	job_envelope(n, &env, rcpt);
	n->off = 0;
	if (smtp_send_next(s, &env, &sc, &err) == -1) {
		log_warn("%016" PRIx64 " deliver next on the connection to "
		    "%s: %s", (uint64_t)n->row.message, dom->name, err.msg);
		job_ungather(n);
		return false;
	}
	n->send = s;
	n->reuse = reuse + 1;
	evtimer_add(n->deadline, &tv);
	return true;
}

static void
job_start(struct listd_job *j)
{
	struct listd_deliver	*d = j->d;
	struct listd_dom	*dom = j->dom;
	struct smtp_send_conf	 sc;
	struct smtp_envelope	 env;
	struct sockaddr_storage	 ss;
	const char		*rcpt[LISTD_RCPT_MAX];
	struct smtp_tlsa	 tlsa[SMTP_TLS_MAX_TLSA];
	struct timeval		 tv = { LISTD_ATTEMPT_MAX, 0 };
	struct err		 err;
	uint16_t		 port;

	if ((j->addr = job_addr(j)) >= dom->naddr) {
		job_finish(j, 451, "4.4.1", "no MX host of the domain "
		    "answered");
		return;
	}
	job_gather(j);
	job_send_conf(j, &sc);
	job_policy(j, &sc, tlsa);
	job_envelope(j, &env, rcpt);
	ss = dom->addrs[j->addr];
	port = htons(d->smarthost != NULL ? d->smarthost_port :
	    d->cfg.deliver_port);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)(void *)&ss)->sin6_port = port;
	j->off = 0;
	j->reuse = 0;
	if ((j->send = smtp_send_start(d->base, (struct sockaddr *)&ss,
	    dom->addrlen[j->addr], &sc, &env, &err)) == NULL) {
		job_finish_all(j, 451, "4.3.0", err.msg);
		return;
	}
	dom->conns++;
	d->conns++;
	d->stats.connections++;
	if (sc.tls_policy.level == SMTP_TLS_DANE)
		d->stats.dane++;
	if (j->sts == MAIL_STS_ENFORCE)
		d->stats.sts_out++;
	evtimer_add(j->deadline, &tv);
}

/* ---- Domains ---- */

struct listd_dom *
listd_dom_get(struct listd_deliver *d, const char *name)
{
	struct listd_dom	*dom;

	LIST_FOREACH(dom, &d->doms, entry)
		if (strcasecmp(dom->name, name) == 0)
			return dom;
	if ((dom = calloc(1, sizeof(*dom))) == NULL)
		return NULL;
	dom->d = d;
	snprintf(dom->name, sizeof(dom->name), "%s", name);
	TAILQ_INIT(&dom->waiting);
	LIST_INSERT_HEAD(&d->doms, dom, entry);
	return dom;
}

void
listd_dom_free(struct listd_dom *dom)
{
	LIST_REMOVE(dom, entry);
	listd_sts_cancel(dom);
	listd_dom_tlsa_clear(dom);
	free(dom);
}

void
listd_dom_resolved(struct listd_dom *dom)
{
	dom->expires = listd_deliver_now(dom->d) + LISTD_MX_TTL;
	if (dom->state == LISTD_DOM_READY)
		log_debug("deliver domain %s: %zu addresses", dom->name,
		    dom->naddr);
	else
		log_info("deliver domain %s: %d %s %s", dom->name,
		    dom->fail_code, dom->fail_enh, dom->fail_text);
	dom_pump(dom);
}

static void
dom_pump(struct listd_dom *dom)
{
	struct listd_deliver	*d = dom->d;
	struct listd_job	*j;
	unsigned		 cap;

	if ((dom->state == LISTD_DOM_READY || dom->state == LISTD_DOM_FAILED) &&
	    dom->conns == 0 && listd_deliver_now(d) >= dom->expires &&
	    !TAILQ_EMPTY(&dom->waiting))
		dom->state = LISTD_DOM_NEW;
	switch (dom->state) {
	case LISTD_DOM_NEW:
		if (!TAILQ_EMPTY(&dom->waiting))
			listd_dom_resolve(dom);
		return;
	case LISTD_DOM_RESOLVING:
		return;
	case LISTD_DOM_FAILED:
		while ((j = TAILQ_FIRST(&dom->waiting)) != NULL) {
			TAILQ_REMOVE(&dom->waiting, j, entry);
			job_finish(j, dom->fail_code, dom->fail_enh,
			    dom->fail_text);
		}
		return;
	case LISTD_DOM_READY:
		break;
	}
	cap = d->smarthost != NULL ? d->cfg.max_connections :
	    d->cfg.per_domain;
	while (dom->conns < cap && d->conns < d->cfg.max_connections &&
	    (j = TAILQ_FIRST(&dom->waiting)) != NULL) {
		TAILQ_REMOVE(&dom->waiting, j, entry);
		job_start(j);
	}
}

/* ---- Claiming ---- */

/* j leaves the signing queue or its signing: its domain may now be
 * forgotten when idle. */
static void
job_sign_left(struct listd_job *j)
{
	if (j->sign_queued) {
		TAILQ_REMOVE(&j->d->signq, j, entry);
		j->sign_queued = false;
		j->dom->signing--;
	}
	if (j->csign != NULL) {
		listd_csign_cancel(j->csign);
		j->csign = NULL;
		j->d->nsigning--;
		j->dom->signing--;
	}
}

static void	sign_pump(struct listd_deliver *);

/* copysign.c's answer: the fields signd inserted go on top of the copy's
 * own; without them the copy goes with the post's signature alone,
 * which still verifies, and the log says why. */
static void
job_signed(void *arg, const char *fields, size_t n, const char *why)
{
	struct listd_job	*j = arg;
	struct listd_deliver	*d = j->d;
	char			*f;

	j->csign = NULL;
	d->nsigning--;
	j->dom->signing--;
	if (fields == NULL)
		log_warn("%016" PRIx64 " deliver to=<%s>: no signature of the "
		    "copy's own (its List-Unsubscribe is not covered): %s",
		    (uint64_t)j->row.message, j->row.recipient, why);
	else if ((f = malloc(n + j->nfields)) == NULL)
		log_warn("%016" PRIx64 " deliver to=<%s>: out of memory for "
		    "its signature", (uint64_t)j->row.message,
		    j->row.recipient);
	else {
		memcpy(f, fields, n);
		memcpy(f + n, j->fields, j->nfields);
		free(j->fields);
		j->fields = f;
		j->nfields += n;
		log_debug("%016" PRIx64 " deliver to=<%s>: copy signed",
		    (uint64_t)j->row.message, j->row.recipient);
	}
	TAILQ_INSERT_TAIL(&j->dom->waiting, j, entry);
	dom_pump(j->dom);
	sign_pump(d);
}

/* Starts signing queued copies, up to LISTD_CSIGN_MAX at once. */
static void
sign_pump(struct listd_deliver *d)
{
	struct listd_job	*j;
	struct err		 err;

	while (d->nsigning < LISTD_CSIGN_MAX &&
	    (j = TAILQ_FIRST(&d->signq)) != NULL) {
		TAILQ_REMOVE(&d->signq, j, entry);
		j->sign_queued = false;
		j->csign = listd_csign_start(d->base,
		    (const struct sockaddr *)&d->cfg.signer_milter,
		    d->cfg.signer_milter_len, j->return_path,
		    j->row.recipient, j->fields, j->nfields, j->msg->data,
		    j->msg->len, job_signed, j, &err);
		if (j->csign == NULL) {
			j->dom->signing--;
			log_warn("%016" PRIx64 " deliver to=<%s>: no signature "
			    "of the copy's own: %s", (uint64_t)j->row.message,
			    j->row.recipient, err.msg);
			TAILQ_INSERT_TAIL(&j->dom->waiting, j, entry);
			dom_pump(j->dom);
			continue;
		}
		d->nsigning++;
	}
}

/*
 * The List-Unsubscribe fields of j's copy (unsub.h): a link of its own
 * under the endpoint's URL, made with the database's key, read once.
 * Without a URL, or if the key or the token cannot be had (logged), the
 * mailto: address alone: a copy is never held back for its link.
 */
static void
job_fields(struct listd_job *j)
{
	struct listd_deliver	*d = j->d;
	char			 token[LISTD_UNSUB_TOKEN_MAX + 1];
	const char		*tok = NULL;
	struct buf		 b;
	struct err		 err;

	if (d->unsub_url != NULL && !d->unsub_keyed) {
		if (listd_secret(d->store, LISTD_UNSUB_SECRET, d->unsub_key,
		    sizeof(d->unsub_key), listd_deliver_now(d), &err) == -1)
			log_warn("deliver unsubscribe key: %s", err.msg);
		else
			d->unsub_keyed = true;
	}
	if (d->unsub_url != NULL && d->unsub_keyed) {
		if (listd_unsub_token(d->unsub_key, j->row.list_name,
		    j->row.list_domain, j->row.recipient, token,
		    sizeof(token), &err) == -1)
			log_warn("%016" PRIx64 " deliver unsubscribe link "
			    "for <%s>: %s", (uint64_t)j->row.message,
			    j->row.recipient, err.msg);
		else
			tok = token;
	}
	buf_init(&b, 4096);
	if (listd_unsub_fields(d->unsub_url, tok, j->row.list_name,
	    j->row.list_domain, &b, &err) == -1) {
		log_warn("%016" PRIx64 " deliver unsubscribe fields: %s",
		    (uint64_t)j->row.message, err.msg);
		buf_fini(&b);
		return;
	}
	j->fields = b.data;	/* the buffer's bytes are the job's now */
	j->nfields = b.len;
}

static void
job_new(struct listd_deliver *d, const struct store_delivery *row)
{
	struct listd_job	*j;
	const char		*at, *dname;
	char			 ptoken[LISTD_PROBE_TOKEN_LEN + 1];

	if (job_is_claimed(d, row))
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->deadline = evtimer_new(d->base, job_deadline, j)) == NULL) {
		free(j);
		log_warn("deliver: out of memory");
		return;
	}
	j->d = d;
	j->row = *row;
	snprintf(j->tls, sizeof(j->tls), "-");	/* no connection yet */
	LIST_INSERT_HEAD(&d->jobs, j, all);
	d->njobs++;
	if ((j->msg = msg_get(d, row->message)) == NULL) {
		job_free(j);	/* due again when the lease ends */
		return;
	}
	if (row->mail_from[0] != '\0' && j->msg->own_unsub)
		job_fields(j);
	at = strrchr(row->recipient, '@');
	if (row->mail_from[0] == '\0')
		j->return_path[0] = '\0';
	else if (listd_verp_probe_of(row->list_name, row->list_domain,
	    row->recipient, row->mail_from, ptoken))
		snprintf(j->return_path, sizeof(j->return_path), "%s",
		    row->mail_from);	/* a probe's own path (probe.c) */
	else if (!listd_verp_encode(row->list_name, row->list_domain,
	    row->recipient, j->return_path, sizeof(j->return_path)))
		snprintf(j->return_path, sizeof(j->return_path),
		    "%s-bounces@%s", row->list_name, row->list_domain);
	if (at == NULL || at[1] == '\0') {
		job_finish(j, 553, "5.1.3", "not a usable address");
		return;
	}
	dname = d->smarthost != NULL ? "[smarthost]" : at + 1;
	if ((j->dom = listd_dom_get(d, dname)) == NULL) {
		job_free(j);
		log_warn("deliver: out of memory");
		return;
	}
	if (j->fields != NULL && d->cfg.signer_milter_len != 0) {
		/* Its own fields want its own signature first. */
		j->dom->signing++;
		j->sign_queued = true;
		TAILQ_INSERT_TAIL(&d->signq, j, entry);
		return;
	}
	TAILQ_INSERT_TAIL(&j->dom->waiting, j, entry);
}

/* Wakes the engine when the next retry is due, if that is before the
 * periodic poll: a retry goes when its schedule says, not up to a poll
 * later. */
static void
deliver_wake_at_due(struct listd_deliver *d, time_t now)
{
	struct timeval	tv = { 0, 0 };
	struct err	err;
	time_t		due;

	if (store_deliver_next_due(d->store, &due, &err) == -1 || due == 0 ||
	    due - now >= LISTD_POLL)
		return;
	tv.tv_sec = due > now ? due - now : 1;
	evtimer_add(d->wake, &tv);
}

static void
deliver_pump(struct listd_deliver *d)
{
	struct store_delivery	*rows;
	struct listd_dom	*dom, *next;
	struct err		 err;
	size_t			 want, n, i;
	time_t			 now = listd_deliver_now(d);

	/* Claim only what can be started soon, so that no lease ends on
	 * a copy still waiting for a connection. */
	want = 2 * (size_t)d->cfg.max_connections;
	if (want > LISTD_CLAIM_MAX)
		want = LISTD_CLAIM_MAX;
	/* In batches: once half of them are under way, not after every
	 * copy (a write transaction each, bench/listd). */
	if (d->njobs <= want / 2) {
		want -= d->njobs;
		if ((rows = calloc(want, sizeof(*rows))) == NULL) {
			log_warn("deliver claim: out of memory");
			return;
		}
		if (store_deliver_claim(d->store, now, now + LISTD_LEASE, rows,
		    want, &n, &err) == -1) {
			log_warn("deliver claim: %s", err.msg);
			n = 0;
		}
		for (i = 0; i < n; i++)
			job_new(d, &rows[i]);
		free(rows);
	}
	sign_pump(d);
	for (dom = LIST_FIRST(&d->doms); dom != NULL; dom = next) {
		next = LIST_NEXT(dom, entry);
		dom_pump(dom);
	}
	/* Forget idle domains whose addresses are stale. */
	for (dom = LIST_FIRST(&d->doms); dom != NULL; dom = next) {
		next = LIST_NEXT(dom, entry);
		if (dom->conns == 0 && TAILQ_EMPTY(&dom->waiting) &&
		    dom->signing == 0 &&
		    dom->state != LISTD_DOM_RESOLVING && now >= dom->expires)
			listd_dom_free(dom);
	}
	deliver_wake_at_due(d, now);
}

static void
deliver_on_wake(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	listd_probe_run(arg);
	deliver_pump(arg);
}

/* ---- The interface ---- */

static int
smarthost_parse(struct listd_deliver *d, const char *spec, struct err *err)
{
	const char	*colon, *host = spec, *end;
	char		*e;
	long		 port = 25;

	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL)
			goto bad;
		host = spec + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(spec, ':');
		if (colon != NULL && strchr(spec, ':') != colon)
			colon = NULL;	/* a bare IPv6 address */
		end = colon != NULL ? colon : spec + strlen(spec);
	}
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &e, 10);
		if (errno != 0 || *e != '\0' || port < 1 || port > 65535)
			goto bad;
	}
	if (end == host || (d->smarthost = strndup(host,
	    (size_t)(end - host))) == NULL)
		goto bad;
	d->smarthost_port = (uint16_t)port;
	return 0;
bad:
	err_set(err, ERR_ARG, "--smarthost %s: not HOST[:PORT]", spec);
	return -1;
}

struct listd_deliver *
listd_deliver_new(struct event_base *base, struct store *store,
    const struct listd_deliver_cfg *cfg, struct err *err)
{
	struct listd_deliver	*d;
	struct dns_server	 srv;
	/* AD and DO: the resolver's word on DANE's records (mx.c). */
	struct dns_stub_opts	 dnsopts = { .dnssec = true };
	struct timeval		 tv = { LISTD_POLL, 0 };

	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto nomem;
	d->base = base;
	d->store = store;
	d->cfg = *cfg;
	listd_deliver_cfg_fill(&d->cfg);
	LIST_INIT(&d->msgs);
	LIST_INIT(&d->doms);
	LIST_INIT(&d->jobs);
	LIST_INIT(&d->sts.entries);
	TAILQ_INIT(&d->signq);
	if ((d->hostname = strdup(cfg->hostname != NULL ? cfg->hostname :
	    "localhost")) == NULL || (d->domain = strdup(cfg->domain != NULL ?
	    cfg->domain : "")) == NULL)
		goto nomem;
	d->cfg.hostname = d->hostname;
	d->cfg.domain = d->domain;
	if (cfg->smarthost != NULL && smarthost_parse(d, cfg->smarthost,
	    err) == -1)
		goto fail;
	d->cfg.smarthost = d->smarthost;
	if (cfg->unsub_url != NULL && (d->unsub_url =
	    strdup(cfg->unsub_url)) == NULL)
		goto nomem;
	d->cfg.unsub_url = d->unsub_url;
	if (cfg->tls_ca_file != NULL && (d->ca_file =
	    strdup(cfg->tls_ca_file)) == NULL)
		goto nomem;
	d->cfg.tls_ca_file = d->ca_file;
	memset(&srv, 0, sizeof(srv));
	memcpy(&srv.addr, &cfg->resolver, sizeof(srv.addr));
	srv.addrlen = cfg->resolver_len;
	if ((d->dns = dns_stub_new(base, &srv, &dnsopts, err)) == NULL)
		goto fail;
	if ((d->wake = event_new(base, -1, 0, deliver_on_wake, d)) == NULL ||
	    (d->timer = event_new(base, -1, EV_PERSIST, deliver_on_wake,
	    d)) == NULL)
		goto nomem;
	evtimer_add(d->timer, &tv);
	listd_deliver_kick(d);
	return d;
nomem:
	err_set(err, ERR_NOMEM, "deliver: out of memory");
fail:
	listd_deliver_free(d);
	return NULL;
}

void
listd_deliver_free(struct listd_deliver *d)
{
	struct listd_dom	*dom, *dnext;
	struct listd_job	*j, *jnext;

	if (d == NULL)
		return;
	/* Rows in flight stay claimed; their lease brings them back. */
	for (j = LIST_FIRST(&d->jobs); j != NULL; j = jnext) {
		jnext = LIST_NEXT(j, all);
		job_free(j);
	}
	dns_stub_free(d->dns);
	for (dom = LIST_FIRST(&d->doms); dom != NULL; dom = dnext) {
		dnext = LIST_NEXT(dom, entry);
		listd_dom_free(dom);
	}
	listd_sts_cache_free(&d->sts);
	if (d->wake != NULL)
		event_free(d->wake);
	if (d->timer != NULL)
		event_free(d->timer);
	free(d->hostname);
	free(d->domain);
	free(d->smarthost);
	free(d->unsub_url);
	free(d->ca_file);
	key_wipe(d->unsub_key, sizeof(d->unsub_key));
	free(d);
}

void
listd_deliver_policy_copy(struct listd_deliver_cfg *dst,
    const struct listd_deliver_cfg *src)
{
	memcpy(dst->retry, src->retry, sizeof(dst->retry));
	dst->nretry = src->nretry;
	dst->retry_every = src->retry_every;
	dst->give_up = src->give_up;
	dst->max_connections = src->max_connections;
	dst->per_domain = src->per_domain;
	dst->bounce_disable = src->bounce_disable;
	dst->probe_after = src->probe_after;
	dst->probe_wait = src->probe_wait;
}

void
listd_deliver_policy(struct listd_deliver *d,
    const struct listd_deliver_cfg *cfg)
{
	listd_deliver_policy_copy(&d->cfg, cfg);
	listd_deliver_cfg_fill(&d->cfg);
	/* Higher caps may let waiting copies start now. */
	listd_deliver_kick(d);
}

void
listd_deliver_kick(struct listd_deliver *d)
{
	/* From the loop, never from inside the caller. */
	if (d != NULL && d->wake != NULL)
		event_active(d->wake, 0, 0);
}

void
listd_deliver_stats(const struct listd_deliver *d,
    struct listd_deliver_stats *out)
{
	*out = d->stats;
}
