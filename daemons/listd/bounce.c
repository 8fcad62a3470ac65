/*
 * bounce.c: what a failure costs and whom (deliver.h), and the report
 * of a copy that could not be delivered.
 *
 * A failure is charged to the subscriber (bounce_score, LISTD_SCORE_HARD
 * for a permanent one, LISTD_SCORE_SOFT when the retries ran out;
 * cfg.bounce_disable disables), except a rejection that names the
 * author's domain policy or a spam verdict (5.7.x with DMARC, SPF,
 * policy or spam in its text, mail_dsn_is_policy): that one is the
 * author's message's (bounces.charged_to = 'author'), no fault of the
 * subscriber's.  lipap counted every reply but 451, auto-replies too.
 *
 * Bounces that come back later (listd_bounce_take) are read with
 * src/mail/dsn.h: the VERP address says which subscriber, the report
 * says whether it failed ("failed": hard or soft by its status;
 * "delayed" and the others cost nothing; mail that is no report, an
 * auto-reply say, costs nothing either).
 *
 * When the retries of a copy run out, one DSN (RFC 3464: a
 * multipart/report with a message/delivery-status part and the header
 * of the message) goes to the list's moderators, the people behind
 * LIST-owner, with the null return path (RFC 3464 section 2, RFC 5321
 * section 4.5.5), through the same queue.  It is queued rather than
 * sent to LIST-owner@ so that it does not come back in through the
 * public listener and its checks; with a signer (cfg.to_signer, the
 * daemon) it goes to timbre-signd first, as replies to commands do, so
 * that it leaves DKIM-signed by the list's domain.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver_priv.h"
#include "mail/dsn.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

enum listd_charge
listd_bounce_classify(int code, const char *enhanced, const char *text)
{
	if (code < 400)
		return LISTD_CHARGE_NONE;
	if (code >= 500 && mail_dsn_is_policy(enhanced, text))
		return LISTD_CHARGE_AUTHOR;
	return LISTD_CHARGE_SUBSCRIBER;
}

/* A subscriber's bounce learnt from a report, for one recipient. */
static int
take_one(struct listd_deliver *d, const char *list, const char *rcpt,
    const struct mail_dsn_rcpt *r, const char *message_id, struct err *err)
{
	struct store_bounce	b;
	char			reason[MAIL_DSN_DIAG_MAX + 32];
	int64_t			msg;
	bool			disabled;

	if (r->action != MAIL_DSN_FAILED)
		return 0;
	memset(&b, 0, sizeof(b));
	b.dsn = true;
	b.hard = r->status[0] != '4';
	b.score = b.hard ? LISTD_SCORE_HARD : LISTD_SCORE_SOFT;
	b.disable_at = d->cfg.bounce_disable;
	b.author = mail_dsn_is_policy(r->status, r->diagnostic);
	snprintf(reason, sizeof(reason), "%s%s%s", r->status,
	    r->status[0] != '\0' ? " " : "", r->diagnostic);
	b.reason = reason;
	if (store_bounce_add(d->store, d->cfg.domain, list, rcpt, message_id,
	    &b, listd_deliver_now(d), &msg, &disabled, err) == -1)
		return -1;
	d->stats.bounces++;
	if (b.author)
		d->stats.bounces_charged_to_author++;
	log_info("%016" PRIx64 " bounce list=%s@%s rcpt=<%s> kind=%s "
	    "charged=%s reason=\"%s\"", (uint64_t)msg, list, d->cfg.domain,
	    rcpt, b.hard ? "hard" : "soft", b.author ? "author" :
	    "subscriber", reason);
	if (disabled)
		log_info("%016" PRIx64 " bounce disabled subscriber=<%s> "
		    "list=%s@%s", (uint64_t)msg, rcpt, list, d->cfg.domain);
	return 0;
}

int
listd_bounce_take(struct listd_deliver *d, const char *list, const char *verp,
    const char *msg, size_t len, struct err *err)
{
	struct mail_dsn		*dsn;
	struct mail_dsn_rcpt	 any;
	char			 rcpt[STORE_ADDR_MAX + 1];
	char			 token[LISTD_PROBE_TOKEN_LEN + 1];
	char			 why[MAIL_DSN_DIAG_MAX + 32];
	size_t			 i;
	int			 rc = 0;

	if ((dsn = malloc(sizeof(*dsn))) == NULL) {
		err_set(err, ERR_NOMEM, "bounce: out of memory");
		return -1;
	}
	mail_dsn_parse(msg, len, dsn);
	if (verp != NULL && listd_verp_probe_decode(verp, token, rcpt,
	    sizeof(rcpt))) {
		/* A probe's: a failed report removes the subscriber; an
		 * auto-reply, a delay or a policy's refusal costs nothing
		 * (probe.c). */
		for (i = 0; i < dsn->nrcpt; i++)
			if (dsn->rcpt[i].action == MAIL_DSN_FAILED)
				break;
		if (i < dsn->nrcpt && !mail_dsn_is_policy(dsn->rcpt[i].status,
		    dsn->rcpt[i].diagnostic)) {
			snprintf(why, sizeof(why), "%s %s",
			    dsn->rcpt[i].status, dsn->rcpt[i].diagnostic);
			rc = listd_probe_bounced(d, list, rcpt, token, why,
			    err) == -1 ? -1 : 0;
		} else
			log_info("bounce list=%s@%s probe to <%s>: not a "
			    "failed delivery report for the mailbox, "
			    "ignored", list, d->cfg.domain, rcpt);
		free(dsn);
		return rc;
	}
	if (verp != NULL && listd_verp_decode(verp, rcpt, sizeof(rcpt))) {
		/* The return path names the subscriber; the report says
		 * how it went (its first failed recipient: a copy has
		 * one). */
		memset(&any, 0, sizeof(any));
		for (i = 0; i < dsn->nrcpt; i++)
			if (dsn->rcpt[i].action == MAIL_DSN_FAILED) {
				any = dsn->rcpt[i];
				break;
			}
		rc = take_one(d, list, rcpt, &any, dsn->message_id, err);
	} else {
		/* No VERP (the path did not fit, or a bounce to the bare
		 * LIST-bounces): the recipients the report names. */
		for (i = 0; i < dsn->nrcpt && rc == 0; i++)
			if (dsn->rcpt[i].recipient[0] != '\0')
				rc = take_one(d, list, dsn->rcpt[i].recipient,
				    &dsn->rcpt[i], dsn->message_id, err);
	}
	if (dsn->nrcpt == 0)
		log_info("bounce list=%s@%s verp=%s: not a delivery report, "
		    "ignored", list, d->cfg.domain, verp != NULL ? verp : "");
	free(dsn);
	return rc;
}

/* ---- The DSN to the owners ---- */

static void
date_str(time_t t, char *out, size_t cap)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

char *
listd_dsn_build(const char *hostname, const char *list, const char *ldom,
    const struct store_delivery *row, const char *reply, const char *orig,
    size_t origlen, time_t now, size_t *len_out)
{
	struct buf	 b;
	struct err	 err;
	char		 date[64], arrival[64], boundary[96], status[16];
	size_t		 hlen = 0;
	int		 rc = 0;

	date_str(now, date, sizeof(date));
	date_str(row->created, arrival, sizeof(arrival));
	snprintf(boundary, sizeof(boundary), "=_timbre_%lld_%lld",
	    (long long)row->message, (long long)now);
	if (!mail_dsn_find_status(reply, strlen(reply), status))
		snprintf(status, sizeof(status), "%s", reply[0] == '5' ?
		    "5.0.0" : "4.0.0");
	/* The returned header: up to the empty line. */
	while (hlen < origlen) {
		const char	*nl = memchr(orig + hlen, '\n', origlen - hlen);
		size_t		 l = nl == NULL ? origlen - hlen :
				    (size_t)(nl - orig) - hlen + 1;

		if (l <= 2 && (orig[hlen] == '\n' || orig[hlen] == '\r'))
			break;
		hlen += l;
	}
	if (buf_init(&b, 1024 * 1024) == -1)
		return NULL;
	rc |= buf_printf(&b, &err,
	    "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	    "To: %s-owner@%s\r\n"
	    "Subject: Undeliverable list mail: %s@%s to %s\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <dsn.%lld.%lld@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "--%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "A copy of a post to %s@%s could not be delivered to %s,\r\n"
	    "after retrying since %s.\r\n\r\nThe last reply was:\r\n  %s\r\n"
	    "\r\n--%s\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; %s\r\n"
	    "Arrival-Date: %s\r\n\r\n"
	    "Final-Recipient: rfc822; %s\r\n"
	    "Action: failed\r\n"
	    "Status: %s\r\n"
	    "Diagnostic-Code: smtp; %s\r\n"
	    "Last-Attempt-Date: %s\r\n\r\n"
	    "--%s\r\n"
	    "Content-Type: text/rfc822-headers\r\n\r\n",
	    hostname, list, ldom, list, ldom, row->recipient, date,
	    (long long)row->message, (long long)now, hostname, boundary,
	    boundary, list, ldom, row->recipient, arrival, reply, boundary,
	    hostname, arrival, row->recipient, status, reply, date, boundary);
	rc |= buf_add(&b, orig, hlen, &err);
	rc |= buf_printf(&b, &err, "%s--%s--\r\n", hlen > 0 &&
	    orig[hlen - 1] == '\n' ? "\r\n" : "\r\n\r\n", boundary);
	if (rc != 0) {
		buf_fini(&b);
		return NULL;
	}
	*len_out = b.len;
	return (char *)b.data;
}

struct mods {
	char	**v;
	size_t	  n;
};

static int
mod_add(const struct store_member_info *m, void *arg)
{
	struct mods	*ms = arg;
	char		**nv;

	if ((nv = realloc(ms->v, (ms->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	ms->v = nv;
	if ((ms->v[ms->n] = strdup(m->address)) == NULL)
		return -1;
	ms->n++;
	return 0;
}

int
listd_dsn_queue(struct listd_deliver *d, const struct store_delivery *row,
    const char *reply, struct err *err)
{
	struct mods	 ms = { NULL, 0 };
	char		*orig = NULL, *spool = NULL, *dsn = NULL;
	char		 mid[128];
	size_t		 olen = 0, len, i;
	int64_t		 id;
	int		 rc = -1;

	if (store_members_each(d->store, STORE_MODERATOR, row->list_domain,
	    row->list_name, mod_add, &ms, err) == -1)
		goto out;
	if (ms.n == 0) {
		err_set(err, STORE_E_NOMEMBER, "the list has no moderator");
		goto out;
	}
	/* The header of the message, if it is still there (a spooled
	 * one is reported without it). */
	if (store_message_get(d->store, row->message, &orig, &olen, &spool,
	    err) == -1) {
		orig = NULL;
		olen = 0;
	}
	if ((dsn = listd_dsn_build(d->cfg.hostname, row->list_name,
	    row->list_domain, row, reply, orig != NULL ? orig : "", olen,
	    listd_deliver_now(d), &len)) == NULL) {
		err_set(err, ERR_NOMEM, "dsn: out of memory");
		goto out;
	}
	snprintf(mid, sizeof(mid), "<dsn.%lld.%lld@%s>",
	    (long long)row->message, (long long)listd_deliver_now(d), d->cfg.hostname);
	/* Signed by the list's domain like every message it sends, when
	 * there is a signer; its rows are made now either way. */
	if ((d->cfg.to_signer != NULL ? store_reply_add :
	    store_deliver_enqueue)(d->store, row->list_domain, row->list_name,
	    "", mid, dsn, len, (const char *const *)ms.v, ms.n,
	    listd_deliver_now(d), &id, err) == -1)
		goto out;
	log_info("%016" PRIx64 " dsn queued as %016" PRIx64 " for %zu "
	    "moderators of %s@%s rcpt=<%s>%s", (uint64_t)row->message,
	    (uint64_t)id, ms.n, row->list_name, row->list_domain,
	    row->recipient, d->cfg.to_signer != NULL ? " via the signer" : "");
	if (d->cfg.to_signer != NULL)
		d->cfg.to_signer(d->cfg.to_signer_arg);
	rc = 0;
out:
	for (i = 0; i < ms.n; i++)
		free(ms.v[i]);
	free(ms.v);
	free(orig);
	free(spool);
	free(dsn);
	return rc;
}
