/*
 * held.c: posts held for the moderators of a list (the list's rules in
 * session.c decide which: every post to a moderated list but a
 * moderator's, a post to a subscribers-only list from someone who is
 * not a subscriber, a DMARC failure under --dmarc-reject hold).
 *
 * A held post is stored with one random token per moderator and action
 * (accept, reject, discard) in one transaction (store_held_add), and
 * each moderator gets a notice with the three LIST-confirm+TOKEN
 * addresses that are theirs: like a subscriber's confirmation, the
 * token proves the mailbox it was sent to, so the mail that spends it
 * needs no other proof, and a forged From or envelope gains nothing.
 * A token is bound to its list (another list's is refused, nothing
 * changed), its post, its action and its moderator; the first decision
 * wins (the store reads the held row under the write lock), and it
 * spends every token of the post.  The operator decides with timbre
 * list accept, reject or discard, straight in the database.
 *
 * The notes that follow a decision are sent from a timer, not where
 * the decision is made, so that a decision made by timbre list (which
 * sends no mail) gets them too: the other moderators are told who
 * decided what; the author is told of a rejection (with the reason)
 * or an expiry, but only if DMARC verified the From address when the
 * post came (else the note could go to a forged address: backscatter),
 * and within the rate limit of admin.c.  A held post that no one
 * decides within --held-expiry (14 days) is dropped by the same timer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "listd.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

#define HELD_TICK	5		/* seconds between sweeps */
#define SUBJECT_MAX	200
#define SWEEP_BATCH	32		/* decided posts noted per sweep */

/* The ISO 8601 form of t (UTC). */
static const char *
iso(time_t t, char out[32])
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", (long long)t);
	return out;
}

/* The Subject of h, unfolded, as printable ASCII (other bytes become
 * '?'), at most n - 1 bytes; "" if there is none. */
static void
subject_of(const struct mail_hdrs *h, char *out, size_t n)
{
	struct buf	 b;
	struct err	 err;
	long		 i;
	size_t		 k, w = 0;

	out[0] = '\0';
	if (h == NULL || (i = mail_hdrs_find(h, "Subject", 0)) == -1)
		return;
	buf_init(&b, MAIL_MAX_FIELD);
	if (mail_field_unfold(mail_hdrs_at(h, (size_t)i), &b, &err) == 0)
		for (k = 0; k < b.len && w + 1 < n; k++) {
			unsigned char	ch = (unsigned char)b.data[k];

			if (ch == ' ' && (w == 0 || out[w - 1] == ' '))
				continue;
			out[w++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
	out[w] = '\0';
	buf_fini(&b);
}

static int
mod_add(const struct store_member_info *m, void *arg)
{
	struct listd_mods	*ms = arg;
	char			**v;

	if ((v = reallocarray(ms->v, ms->n + 1, sizeof(*v))) == NULL)
		return -1;
	ms->v = v;
	if ((v[ms->n] = strdup(m->address)) == NULL)
		return -1;
	ms->n++;
	return 0;
}

void
listd_mods_free(struct listd_mods *ms)
{
	size_t	i;

	for (i = 0; i < ms->n; i++)
		free(ms->v[i]);
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

int
listd_mods_read(struct listd *ld, const char *list, struct listd_mods *ms,
    struct err *err)
{
	memset(ms, 0, sizeof(*ms));
	err->code = 0;
	if (store_members_each(ld->store, STORE_MODERATOR, ld->set.domain,
	    list, mod_add, ms, err) == -1) {
		if (err->code == 0)	/* mod_add's */
			err_set(err, ERR_NOMEM, "out of memory");
		listd_mods_free(ms);
		return -1;
	}
	return 0;
}

static const char *const	action_words[] = {
	[STORE_HELD_ACCEPT] = "the post goes to the list",
	[STORE_HELD_REJECT] = "the author is told",
	[STORE_HELD_DISCARD] = "dropped, nobody is told",
};

/* The notice to moderator m of held post hid, with its tokens tok[3]. */
static void
notify(struct listd *ld, uint64_t id, const struct listd_hold *h,
    int64_t hid, const char *subject, size_t len, time_t expires,
    const char *m, char tok[][LISTD_TOKEN_LEN + 1])
{
	const char	*l = h->list, *d = ld->set.domain, *raw;
	const char	*rcpt[1] = { m };
	char		 text[3000], subj[SUBJECT_MAX + 200], when[32];
	size_t		 rawlen, a;
	int		 w;

	w = snprintf(text, sizeof(text),
	    "A post to %s@%s waits for a moderator (held post %" PRId64
	    ").\r\n\r\n"
	    "  From:      %s (%s by DMARC)\r\n"
	    "  Envelope:  <%s>\r\n"
	    "  Subject:   %s\r\n"
	    "  Held:      %s\r\n"
	    "  Size:      %zu bytes\r\n"
	    "  Expires:   %s (then it is dropped)\r\n\r\n"
	    "To decide, send any message to one of these addresses:\r\n\r\n",
	    l, d, hid, h->author[0] ? h->author : "(no usable From)",
	    h->verified ? "verified" : "NOT verified", h->mail_from, subject,
	    h->why, len, iso(expires, when));
	for (a = 0; a < 3 && w > 0 && (size_t)w < sizeof(text); a++)
		w += snprintf(text + w, sizeof(text) - (size_t)w,
		    "  %-8s %s-confirm+%s@%s\r\n           (%s)\r\n",
		    store_held_action_name((enum store_held_action)a), l,
		    tok[a], d, action_words[a]);
	if (w > 0 && (size_t)w < sizeof(text))
		snprintf(text + w, sizeof(text) - (size_t)w,
		    "\r\nThese addresses are yours alone and work once; the "
		    "first\r\nanswer of any moderator wins, and the others are "
		    "told.\r\nThe post's header section is attached.\r\n");
	snprintf(subj, sizeof(subj), "Held for moderation: %s@%s: %s", l, d,
	    subject[0] ? subject : "(no subject)");
	raw = mail_hdrs_raw(h->hdrs, &rawlen);
	(void)listd_admin_mail(ld, id, l, rcpt, 1, false, subj, "", text,
	    "text/rfc822-headers", raw, rawlen);
}

int
listd_held_hold(struct listd *ld, uint64_t id, const struct listd_hold *h,
    const void *body, size_t len, int64_t *hid_out, struct err *err)
{
	struct store_held_new	 hn;
	struct store_held_token	*t = NULL;
	struct listd_mods	 ms;
	char			 subject[SUBJECT_MAX + 1];
	char			(*tok)[LISTD_TOKEN_LEN + 1] = NULL;
	time_t			 now = listd_now(ld);
	size_t			 i, a;
	int			 rc = -1;

	if (listd_mods_read(ld, h->list, &ms, err) == -1)
		return -1;
	if (ms.n > 0 && ((tok = calloc(ms.n * 3, sizeof(*tok))) == NULL ||
	    (t = calloc(ms.n * 3, sizeof(*t))) == NULL)) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < ms.n; i++)
		for (a = 0; a < 3; a++) {
			if (listd_admin_token(tok[i * 3 + a], err) == -1)
				goto done;
			t[i * 3 + a].token = tok[i * 3 + a];
			t[i * 3 + a].moderator = ms.v[i];
			t[i * 3 + a].action = (enum store_held_action)a;
		}
	subject_of(h->hdrs, subject, sizeof(subject));
	memset(&hn, 0, sizeof(hn));
	hn.mail_from = h->mail_from;
	hn.message_id = h->message_id;
	hn.author = h->author;
	hn.verified = h->verified;
	hn.subject = subject;
	hn.reason = h->why;
	hn.expires = now + (time_t)ld->set.conf.held_expiry;
	if (store_held_add(ld->store, ld->set.domain, h->list, &hn, body, len,
	    t, ms.n * 3, now, hid_out, err) == -1)
		goto done;
	if (ms.n == 0)
		log_warn("%016" PRIx64 " held list=%s id=%" PRId64 ": the list "
		    "has no moderator to tell (timbre list held shows it)",
		    id, h->list, *hid_out);
	for (i = 0; i < ms.n; i++)
		notify(ld, id, h, *hid_out, subject, len, hn.expires, ms.v[i],
		    &tok[i * 3]);
	rc = 0;
done:
	free(t);
	free(tok);
	listd_mods_free(&ms);
	return rc;
}

static void
answer(struct listd_admin_answer *out, int code, const char *enh,
    const char *text)
{
	out->code = code;
	snprintf(out->enh, sizeof(out->enh), "%s", enh);
	snprintf(out->text, sizeof(out->text), "%s", text);
}

int
listd_held_confirm(struct listd *ld, uint64_t id, const char *list,
    const char *token, struct listd_admin_answer *out)
{
	static const char *const	 done[] = {
		[STORE_HELD_ACCEPT] = "accepted: it goes to the list",
		[STORE_HELD_REJECT] = "rejected: the author is told if DMARC "
		    "verified them",
		[STORE_HELD_DISCARD] = "discarded",
		[STORE_HELD_EXPIRE] = "expired",
	};
	struct err			 err;
	enum store_held_action		 action;
	char				 mod[STORE_ADDR_MAX + 1], text[400];
	int64_t				 hid;

	if (store_held_take(ld->store, ld->set.domain, list, token,
	    listd_now(ld), &hid, &action, mod, &err) == -1) {
		switch (err.code) {
		case STORE_E_NOTOKEN:
			return 0;
		case STORE_E_OTHERLIST:
		case STORE_E_EXPIRED:
			log_info("%016" PRIx64 " held list=%s decision "
			    "refused: %s", id, list, err.msg);
			snprintf(text, sizeof(text), "%s; nothing was changed",
			    err.msg);
			if (err.code == STORE_E_EXPIRED) {
				snprintf(text, sizeof(text), "%s: it was "
				    "dropped", err.msg);
				listd_held_kick(ld);
			}
			answer(out, 550, "5.7.1", text);
			return 1;
		default:
			log_error("%016" PRIx64 " held list=%s token: %s", id,
			    list, err.msg);
			return -1;
		}
	}
	log_info("%016" PRIx64 " held list=%s id=%" PRId64 " %s by=<%s>", id,
	    list, hid, store_held_action_name(action), mod);
	snprintf(text, sizeof(text), "held post %" PRId64 " of %s@%s %s", hid,
	    list, ld->set.domain, done[action]);
	answer(out, 250, "2.0.0", text);
	if (action == STORE_HELD_ACCEPT)
		listd_queue_kick(ld);
	listd_held_kick(ld);
	return 1;
}

/* ---- the sweep: expiry and the notes of decisions ---- */

struct decided {
	int64_t			 id;
	enum store_held_state	 state;
	bool			 verified;
	time_t			 held;
	char			 list[STORE_NAME_MAX + 1];
	char			 author[STORE_ADDR_MAX + 1];
	char			 by[STORE_ADDR_MAX + 1];
	char			 subject[SUBJECT_MAX + 1];
	char			 note[300];
};

struct sweep {
	struct decided	 v[SWEEP_BATCH];
	size_t		 n;
};

static int
decided_add(const struct store_held_info *hi, void *arg)
{
	struct sweep	*sw = arg;
	struct decided	*d;

	if (sw->n == SWEEP_BATCH)
		return -1;
	d = &sw->v[sw->n++];
	d->id = hi->id;
	d->state = hi->state;
	d->verified = hi->verified;
	d->held = hi->held;
	snprintf(d->list, sizeof(d->list), "%s", hi->list);
	snprintf(d->author, sizeof(d->author), "%s", hi->author);
	snprintf(d->by, sizeof(d->by), "%s", hi->decided_by);
	snprintf(d->subject, sizeof(d->subject), "%s", hi->subject);
	snprintf(d->note, sizeof(d->note), "%s", hi->note);
	/* The operator's reason goes into a mail: one line of text. */
	for (char *p = d->note; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return 0;
}

/* The author's note of a rejection or an expiry. */
static void
note_author(struct listd *ld, const struct decided *d)
{
	const char	*rcpt[1] = { d->author };
	const char	*l = d->list, *dom = ld->set.domain;
	char		 text[1500], subj[SUBJECT_MAX + 200], when[32];

	if (d->state == STORE_HELD_REJECTED) {
		snprintf(subj, sizeof(subj), "Rejected: your post to %s@%s",
		    l, dom);
		snprintf(text, sizeof(text),
		    "Your post to %s@%s of %s,\r\n\r\n  Subject: %s\r\n\r\n"
		    "was rejected by the moderators of the list; it was not "
		    "sent.\r\n%s%s%s\r\n"
		    "To write to the moderators: %s-owner@%s.\r\n", l, dom,
		    iso(d->held, when), d->subject, d->note[0] ?
		    "\r\nTheir reason: " : "", d->note, d->note[0] ? "\r\n" :
		    "", l, dom);
	} else {
		snprintf(subj, sizeof(subj), "Expired: your post to %s@%s", l,
		    dom);
		snprintf(text, sizeof(text),
		    "Your post to %s@%s of %s,\r\n\r\n  Subject: %s\r\n\r\n"
		    "waited for a moderator for %lld days, no one decided, "
		    "and it\r\nwas dropped; it was not sent.\r\n\r\n"
		    "To write to the moderators: %s-owner@%s.\r\n", l, dom,
		    iso(d->held, when), d->subject,
		    ld->set.conf.held_expiry / 86400, l, dom);
	}
	(void)listd_admin_mail(ld, 0, l, rcpt, 1, true, subj, "", text, NULL,
	    NULL, 0);
}

/* The other moderators' note of a decision. */
static void
note_moderators(struct listd *ld, const struct decided *d)
{
	struct listd_mods	 ms;
	struct err	 err;
	const char	*to[64];
	char		 text[2400], subj[SUBJECT_MAX + 200];
	size_t		 i, n = 0;

	if (listd_mods_read(ld, d->list, &ms, &err) == -1) {
		log_error("held list=%s id=%" PRId64 " moderators: %s",
		    d->list, d->id, err.msg);
		return;
	}
	for (i = 0; i < ms.n && n < sizeof(to) / sizeof(to[0]); i++)
		if (strcasecmp(ms.v[i], d->by) != 0)
			to[n++] = ms.v[i];
	if (n > 0) {
		snprintf(subj, sizeof(subj), "Decided: held post %" PRId64
		    " of %s@%s", d->id, d->list, ld->set.domain);
		snprintf(text, sizeof(text),
		    "Held post %" PRId64 " of %s@%s,\r\n\r\n"
		    "  From:     %s\r\n  Subject:  %s\r\n\r\n"
		    "was %s by %s.%s%s\r\n\r\n"
		    "Its addresses for moderators no longer work.\r\n",
		    d->id, d->list, ld->set.domain, d->author[0] ? d->author :
		    "(no usable From)", d->subject,
		    store_held_state_name(d->state), d->by[0] ? d->by :
		    "the operator", d->note[0] ? "\r\nReason: " : "",
		    d->note);
		(void)listd_admin_mail(ld, 0, d->list, to, n, false, subj, "",
		    text, NULL, NULL, 0);
	}
	listd_mods_free(&ms);
}

static void
sweep(struct listd *ld)
{
	struct sweep	*sw;
	struct err	 err;
	size_t		 i, n;

	if (store_held_expire(ld->store, listd_now(ld), &n, &err) == -1) {
		log_error("held expiry: %s", err.msg);
		return;
	}
	if (n > 0)
		log_info("held expired=%zu after %llds", n,
		    ld->set.conf.held_expiry);
	if ((sw = calloc(1, sizeof(*sw))) == NULL) {
		log_error("held sweep: out of memory");
		return;
	}
	if (store_held_each_decided(ld->store, decided_add, sw, &err) == -1 &&
	    sw->n < SWEEP_BATCH) {
		log_error("held decided: %s", err.msg);
		free(sw);
		return;
	}
	for (i = 0; i < sw->n; i++) {
		struct decided	*d = &sw->v[i];

		if ((d->state == STORE_HELD_REJECTED ||
		    d->state == STORE_HELD_EXPIRED) && d->author[0] != '\0') {
			if (d->verified)
				note_author(ld, d);
			else
				log_info("held list=%s id=%" PRId64 " %s: no "
				    "note to <%s>, not verified by DMARC",
				    d->list, d->id,
				    store_held_state_name(d->state),
				    d->author);
		}
		if (d->state != STORE_HELD_EXPIRED)
			note_moderators(ld, d);
		if (store_held_forget(ld->store, d->id, &err) == -1)
			log_error("held list=%s id=%" PRId64 " forget: %s",
			    d->list, d->id, err.msg);
	}
	if (sw->n == SWEEP_BATCH)
		listd_held_kick(ld);
	free(sw);
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sweep(arg);
}

int
listd_held_start(struct listd *ld, struct err *err)
{
	struct timeval	tv = { HELD_TICK, 0 };

	if ((ld->held_timer = event_new(ld->base, -1, EV_PERSIST, on_sweep,
	    ld)) == NULL || (ld->held_kick = event_new(ld->base, -1, 0,
	    on_sweep, ld)) == NULL || event_add(ld->held_timer, &tv) == -1) {
		err_set(err, ERR_NOMEM, "out of memory");
		listd_held_stop(ld);
		return -1;
	}
	event_active(ld->held_kick, EV_TIMEOUT, 0);
	return 0;
}

void
listd_held_kick(struct listd *ld)
{
	if (ld->held_kick != NULL)
		event_active(ld->held_kick, EV_TIMEOUT, 0);
}

void
listd_held_stop(struct listd *ld)
{
	if (ld->held_timer != NULL)
		event_free(ld->held_timer);
	if (ld->held_kick != NULL)
		event_free(ld->held_kick);
	ld->held_timer = NULL;
	ld->held_kick = NULL;
}
