/*
 * admin.c: the commands of a list by mail: LIST-subscribe,
 * -unsubscribe, -help, -owner, -subscribers, -digest (digest mode, or
 * back to single posts with the subject "off"), and LIST-confirm+TOKEN.
 *
 * Nothing here trusts an address it has not checked.  A command comes
 * from ADDRESS only when the message's From is ADDRESS and DMARC passed
 * for it (verify.c: an aligned DKIM signature or SPF pass); the
 * envelope sender is never used, not even as the address of a reply.
 * Without that proof the only thing done for a subscribe or unsubscribe
 * (or a change of digest mode) is a confirmation request to the From
 * address: a random token, kept
 * in the pending table (store_pending_add) for LISTD_TOKEN_LIFETIME,
 * bound to the list, the action and the address; mail to
 * LIST-confirm+TOKEN does the action, from anyone, since only the
 * mailbox that got the token can know it, and the token is spent in the
 * same transaction (store_pending_take).  Help and the subscriber list
 * are sent only to a DMARC-verified From (the subscriber list only to a
 * moderator), so that a forged From cannot turn the list into a source
 * of backscatter.
 *
 * Replies are plain text (RFC 3834 auto-replies: Auto-Submitted, the
 * null return path), queued with store_reply_add: they go through
 * timbre-signd like posts and out by the delivery engine, each with its
 * own delivery row.  An address gets at most LISTD_REPLIES_PER_HOUR of
 * them an hour, counted in the database (store_reply_allowed: a restart
 * does not reset the counts; a flood of new addresses is bounded), and a
 * command in an automatic message (Auto-Submitted, Precedence bulk) is
 * ignored, which keeps the list out of loops with autoresponders.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys/mac.h"
#include "listd.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

#define TOKEN_BYTES	(LISTD_TOKEN_LEN / 2)
#define REPLY_MAX	(1024 * 1024)

struct cmd {
	struct listd		*ld;
	uint64_t		 id;
	const char		*list;
	const char		*dom;
	char			 author[STORE_ADDR_MAX + 1];
	bool			 verified;	/* DMARC pass for author */
	struct listd_admin_answer *out;
};

static void
say(struct listd_admin_answer *out, int code, const char *enh,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

static void
say(struct listd_admin_answer *out, int code, const char *enh,
    const char *fmt, ...)
{
	va_list	ap;

	out->code = code;
	snprintf(out->enh, sizeof(out->enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(out->text, sizeof(out->text), fmt, ap);
	va_end(ap);
}

bool
listd_admin_is_confirm(const char *suffix, struct store_route *r)
{
	size_t	i;

	if (strncasecmp(suffix, "confirm+", 8) != 0)
		return false;
	suffix += 8;
	/* Kept as given; a token of the wrong form is refused at DATA
	 * with a reply that says so. */
	for (i = 0; i < sizeof(r->verp) - 1 && suffix[i] != '\0'; i++)
		r->verp[i] = (char)tolower((unsigned char)suffix[i]);
	r->verp[i] = '\0';
	r->kind = STORE_ROUTE_CONFIRM;
	return true;
}

static bool
token_is_wellformed(const char *t)
{
	size_t	i;

	for (i = 0; t[i] != '\0'; i++)
		if (!isxdigit((unsigned char)t[i]))
			return false;
	return i == TOKEN_BYTES * 2;
}

/* May addr be sent one more reply now?  Counts it if so (in the
 * database, so that a restart does not reset the count). */
static bool
rate_take(struct listd *ld, const char *addr, time_t now)
{
	struct err	err;
	int		r;

	r = store_reply_allowed(ld->store, addr, now, 3600,
	    LISTD_REPLIES_PER_HOUR, &err);
	if (r == -1)
		log_error("admin rate limit <%s>: %s", addr, err.msg);
	return r == 1;
}

int
listd_admin_mail(struct listd *ld, uint64_t id, const char *list,
    const char *const *rcpts, size_t n, bool limit, const char *subject,
    const char *extra, const char *body, const char *attach_type,
    const char *attach, size_t attach_len)
{
	const char	*dom = ld->set.domain;
	struct buf	 b;
	struct err	 err;
	unsigned char	 rnd[8];
	char		 date[64], mid[400], hex[17];
	time_t		 now = listd_now(ld);
	struct tm	 tm;
	int64_t		 qid;
	size_t		 i;
	int		 rc = 0;

	if (limit && !rate_take(ld, rcpts[0], now)) {
		log_info("%016" PRIx64 " admin list=%s reply to <%s> not "
		    "sent: over %d an hour", id, list, rcpts[0],
		    LISTD_REPLIES_PER_HOUR);
		return -1;
	}
	if (key_random(rnd, sizeof(rnd), &err) == -1) {
		log_error("%016" PRIx64 " admin random: %s", id, err.msg);
		return -1;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(mid, sizeof(mid), "<admin.%s.%lld@%s>", hex, (long long)now,
	    ld->set.hostname);
	buf_init(&b, REPLY_MAX);
	rc |= buf_printf(&b, &err, "From: %s@%s <%s-owner@%s>\r\nTo: ",
	    list, dom, list, dom);
	for (i = 0; i < n; i++)
		rc |= buf_printf(&b, &err, "%s%s", i > 0 ? ",\r\n\t" : "",
		    rcpts[i]);
	rc |= buf_printf(&b, &err, "\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: %s\r\nAuto-Submitted: auto-replied\r\n"
	    "List-Id: <%s.%s>\r\n%sMIME-Version: 1.0\r\n", subject, date,
	    mid, list, dom, extra);
	if (attach == NULL)
		rc |= buf_printf(&b, &err, "Content-Type: text/plain; "
		    "charset=us-ascii\r\n\r\n%s", body);
	else {
		rc |= buf_printf(&b, &err, "Content-Type: multipart/mixed; "
		    "boundary=\"=_timbre_%s\"\r\n\r\n--=_timbre_%s\r\n"
		    "Content-Type: text/plain; charset=us-ascii\r\n\r\n%s"
		    "\r\n--=_timbre_%s\r\nContent-Type: %s\r\n"
		    "\r\n", hex, hex, body, hex, attach_type);
		rc |= buf_add(&b, attach, attach_len, &err);
		rc |= buf_printf(&b, &err, "\r\n--=_timbre_%s--\r\n", hex);
	}
	if (rc != 0 || store_reply_add(ld->store, dom, list, "", mid,
	    (const char *)b.data, b.len, rcpts, n, now, &qid, &err) == -1) {
		log_error("%016" PRIx64 " admin list=%s reply to <%s>: %s",
		    id, list, rcpts[0], err.msg);
		buf_fini(&b);
		return -1;
	}
	buf_fini(&b);
	log_info("%016" PRIx64 " admin list=%s reply queue=%" PRId64
	    " to=<%s>%s subject=\"%s\"", id, list, qid, rcpts[0],
	    n > 1 ? " and others" : "", subject);
	listd_queue_kick(ld);
	return 0;
}

/* listd_admin_mail for the command c; attach is a message/rfc822. */
static int
reply(struct cmd *c, const char *const *rcpts, size_t n, bool limit,
    const char *subject, const char *extra, const char *body,
    const char *attach, size_t attach_len)
{
	return listd_admin_mail(c->ld, c->id, c->list, rcpts, n, limit,
	    subject, extra, body, "message/rfc822", attach, attach_len);
}

int
listd_admin_token(char out[LISTD_TOKEN_LEN + 1], struct err *err)
{
	unsigned char	rnd[TOKEN_BYTES];
	size_t		i;

	if (key_random(rnd, sizeof(rnd), err) == -1)
		return -1;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

bool
listd_admin_verified(const char *author, const struct listd_verdict *vd)
{
	const char	*at;

	/* DMARC passed for the From domain, and From is this address. */
	return author[0] != '\0' && vd != NULL &&
	    vd->dmarc.result == DMARC_PASS && vd->dmarc.domain != NULL &&
	    (at = strrchr(author, '@')) != NULL &&
	    strcasecmp(at + 1, vd->dmarc.domain) == 0;
}

/* What the confirmation and the log call an action. */
static const char *
action_verb(enum store_pending_action action)
{
	switch (action) {
	case STORE_PENDING_SUBSCRIBE:
		return "subscribe";
	case STORE_PENDING_UNSUBSCRIBE:
		return "unsubscribe";
	case STORE_PENDING_DIGEST:
		return "digest";
	case STORE_PENDING_SINGLE:
		return "digest off";
	}
	return "?";
}

/* A confirmation request for action to c->author. */
static void
ask_confirm(struct cmd *c, enum store_pending_action action)
{
	struct listd	*ld = c->ld;
	struct err	 err;
	char		 token[LISTD_TOKEN_LEN + 1], text[1500], extra[400];
	char		 subject[600];
	const char	*verb = action_verb(action);
	const char	*rcpt[1] = { c->author };
	time_t		 now = listd_now(ld);
	int		 rc;

	if (listd_admin_token(token, &err) == -1) {
		log_error("%016" PRIx64 " admin random: %s", c->id, err.msg);
		say(c->out, 451, "4.3.0", "cannot make a token, try later");
		return;
	}
	if ((rc = store_pending_add(ld->store, c->dom, c->list, c->author,
	    action, token, now, now + LISTD_TOKEN_LIFETIME, &err)) == -1 &&
	    err.code == STORE_E_FULL) {
		/* Every earlier token went to the same mailbox, and works:
		 * no more mail to it, no more rows. */
		log_info("%016" PRIx64 " admin list=%s %s request from=<%s>: "
		    "not recorded, %s", c->id, c->list, verb, c->author,
		    err.msg);
		say(c->out, 250, "2.0.0", "not recorded: %s; no mail sent",
		    err.msg);
		return;
	} else if (rc == -1) {
		log_error("%016" PRIx64 " admin list=%s pending <%s>: %s",
		    c->id, c->list, c->author, err.msg);
		say(c->out, 451, "4.3.0", "cannot record the request, try "
		    "later");
		return;
	}
	log_info("%016" PRIx64 " admin list=%s %s request from=<%s> "
	    "verified=%s: confirmation asked", c->id, c->list, verb,
	    c->author, c->verified ? "yes" : "no");
	snprintf(subject, sizeof(subject), "Confirm: %s %s %s@%s", verb,
	    c->author, c->list, c->dom);
	snprintf(extra, sizeof(extra), "Reply-To: %s-confirm+%s@%s\r\n",
	    c->list, token, c->dom);
	snprintf(text, sizeof(text),
	    "Command: %s, for %s, to the list %s@%s.\r\n\r\n"
	    "Nothing was done yet: the request must come from this "
	    "mailbox.\r\n\r\n"
	    "To confirm, send any message (or reply to this one) to\r\n\r\n"
	    "  %s-confirm+%s@%s\r\n\r\n"
	    "within %d days.  The address works once.\r\n\r\n"
	    "If you did not ask for this, ignore this message: nothing\r\n"
	    "will happen.\r\n", verb, c->author, c->list, c->dom, c->list,
	    token, c->dom, LISTD_TOKEN_LIFETIME / 86400);
	if (reply(c, rcpt, 1, true, subject, extra, text, NULL, 0) == -1) {
		say(c->out, 250, "2.0.0", "request recorded; no confirmation "
		    "sent (too many replies to this address)");
		return;
	}
	say(c->out, 250, "2.0.0", "confirmation request sent to <%s>",
	    c->author);
}

static void
welcome(struct cmd *c, const char *addr, bool subscribed)
{
	const char	*rcpt[1] = { addr };
	char		 text[1000], subject[600];

	snprintf(subject, sizeof(subject), "%s %s@%s", subscribed ?
	    "Welcome to" : "Goodbye from", c->list, c->dom);
	if (subscribed)
		snprintf(text, sizeof(text),
		    "Command: subscribe, for %s, to the list %s@%s.\r\n\r\n"
		    "Done: %s is subscribed.  Posts go to %s@%s.\r\n\r\n"
		    "To leave the list, write to %s-unsubscribe@%s.\r\n"
		    "For help, write to %s-help@%s.\r\n", addr, c->list,
		    c->dom, addr, c->list, c->dom, c->list, c->dom, c->list,
		    c->dom);
	else
		snprintf(text, sizeof(text),
		    "Command: unsubscribe, for %s, from the list %s@%s.\r\n"
		    "\r\nDone: %s is no longer subscribed.\r\n\r\n"
		    "To come back, write to %s-subscribe@%s.\r\n", addr,
		    c->list, c->dom, addr, c->list, c->dom);
	(void)reply(c, rcpt, 1, true, subject, "", text, NULL, 0);
}

/* The note and the answer once addr's mode is set (changed) or was so
 * (or addr is no subscriber: nothing was changed, no note). */
static void
mode_done(struct cmd *c, const char *addr, enum store_mode mode,
    bool changed)
{
	const char	*rcpt[1] = { addr };
	char		 text[1000], subject[600];
	bool		 digest = mode == STORE_MODE_DIGEST;

	if (!changed) {
		say(c->out, 250, "2.0.0", "<%s> was not changed (already in "
		    "%s mode, or not subscribed to %s@%s)", addr,
		    store_mode_name(mode), c->list, c->dom);
		return;
	}
	snprintf(subject, sizeof(subject), "%s %s@%s", digest ?
	    "Digests of" : "Single posts of", c->list, c->dom);
	snprintf(text, sizeof(text),
	    "Command: digest%s, for %s, on the list %s@%s.\r\n\r\n"
	    "Done: %s\r\n\r\n"
	    "To switch %s, write to %s-digest@%s%s.\r\n", digest ? "" :
	    " off", addr, c->list, c->dom, digest ? "the posts now come "
	    "gathered in digests, and no longer\r\none by one." :
	    "each post now comes as it is sent, and no more digests.",
	    digest ? "back to single posts" : "to digests again", c->list,
	    c->dom, digest ? " with the subject \"off\"" : "");
	(void)reply(c, rcpt, 1, true, subject, "", text, NULL, 0);
	say(c->out, 250, "2.0.0", "<%s> now gets %s of %s@%s", addr, digest ?
	    "digests" : "single posts", c->list, c->dom);
}

/* Subject "off" (or "single", "nodigest"; any case, "Re:" ignored): back
 * to single posts.  Anything else, an empty subject too, asks for
 * digests. */
static enum store_mode
wanted_mode(const struct mail_hdrs *hdrs)
{
	static const char *const	 offs[] = { "off", "single",
					    "nodigest" };
	const struct mail_field		*f;
	struct buf			 v;
	struct err			 err;
	const char			*t;
	size_t				 k, n;
	long				 i;
	enum store_mode			 m = STORE_MODE_DIGEST;

	if (hdrs == NULL ||
	    (i = mail_hdrs_find(hdrs, "Subject", 0)) == -1 ||
	    (f = mail_hdrs_at(hdrs, (size_t)i)) == NULL)
		return m;
	buf_init(&v, 1000);
	if (mail_field_unfold(f, &v, &err) == 0 &&
	    buf_add(&v, "", 1, &err) == 0) {
		t = (const char *)v.data;
		t += strspn(t, " \t");
		if (strncasecmp(t, "re:", 3) == 0)
			t += 3 + strspn(t + 3, " \t");
		n = strcspn(t, " \t");
		for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++)
			if (n == strlen(offs[k]) &&
			    strncasecmp(t, offs[k], n) == 0 &&
			    t[n + strspn(t + n, " \t")] == '\0')
				m = STORE_MODE_SINGLE;
	}
	buf_fini(&v);
	return m;
}

/* LIST-digest: the author's delivery mode, at once with DMARC's proof,
 * else after a confirmation, as an unsubscribe. */
static void
do_digest(struct cmd *c, const struct mail_hdrs *hdrs)
{
	struct err	err;
	enum store_mode	mode = wanted_mode(hdrs);
	bool		changed;
	int		r;

	if (!c->verified) {
		ask_confirm(c, mode == STORE_MODE_DIGEST ?
		    STORE_PENDING_DIGEST : STORE_PENDING_SINGLE);
		return;
	}
	r = store_member_set_mode(c->ld->store, c->dom, c->list, c->author,
	    mode, &changed, &err);
	if (r == -1 && err.code != STORE_E_NOMEMBER) {
		log_error("%016" PRIx64 " admin list=%s digest <%s>: %s",
		    c->id, c->list, c->author, err.msg);
		say(c->out, 451, "4.3.0", "cannot change the list, try later");
		return;
	}
	log_info("%016" PRIx64 " admin list=%s digest from=<%s> mode=%s "
	    "changed=%s (dmarc pass)%s", c->id, c->list, c->author,
	    store_mode_name(mode), changed ? "yes" : "no", r == -1 ?
	    ": not a subscriber" : "");
	mode_done(c, c->author, mode, r == 0 && changed);
}

static void
do_confirm(struct cmd *c, const char *token)
{
	struct listd			*ld = c->ld;
	struct err			 err;
	char				 addr[STORE_ADDR_MAX + 1];
	enum store_pending_action	 action;
	bool				 changed;

	if (!token_is_wellformed(token)) {
		log_info("%016" PRIx64 " admin list=%s confirm refused: "
		    "malformed token", c->id, c->list);
		say(c->out, 550, "5.1.1", "not a confirmation token of this "
		    "list (%d hex digits expected)", TOKEN_BYTES * 2);
		return;
	}
	switch (listd_held_confirm(ld, c->id, c->list, token, c->out)) {
	case 1:
		return;			/* a moderator's token */
	case -1:
		say(c->out, 451, "4.3.0", "cannot read the request, try "
		    "later");
		return;
	}
	if (store_pending_take(ld->store, c->dom, c->list, token,
	    listd_now(ld), addr, &action, &changed, &err) == -1) {
		switch (err.code) {
		case STORE_E_NOTOKEN:
		case STORE_E_EXPIRED:
		case STORE_E_OTHERLIST:
			log_info("%016" PRIx64 " admin list=%s confirm "
			    "refused: %s", c->id, c->list, err.msg);
			say(c->out, 550, "5.7.1", "%s; nothing was changed",
			    err.msg);
			return;
		default:
			log_error("%016" PRIx64 " admin list=%s confirm: %s",
			    c->id, c->list, err.msg);
			say(c->out, 451, "4.3.0", "cannot read the request, "
			    "try later");
			return;
		}
	}
	log_info("%016" PRIx64 " admin list=%s confirmed %s address=<%s> "
	    "changed=%s", c->id, c->list, action_verb(action), addr,
	    changed ? "yes" : "no");
	if (action == STORE_PENDING_DIGEST || action == STORE_PENDING_SINGLE) {
		mode_done(c, addr, action == STORE_PENDING_DIGEST ?
		    STORE_MODE_DIGEST : STORE_MODE_SINGLE, changed);
		return;
	}
	if (action == STORE_PENDING_SUBSCRIBE) {
		welcome(c, addr, true);
		say(c->out, 250, "2.0.0", "<%s> %s %s@%s", addr, changed ?
		    "is now subscribed to" : "was subscribed already to",
		    c->list, c->dom);
	} else {
		if (changed)
			welcome(c, addr, false);
		say(c->out, 250, "2.0.0", "<%s> %s %s@%s", addr, changed ?
		    "is no longer subscribed to" : "was not subscribed to",
		    c->list, c->dom);
	}
}

static int
is_member(struct cmd *c, enum store_role role)
{
	struct err	err;
	int		r;

	r = store_member_is(c->ld->store, role, c->dom, c->list, c->author,
	    &err);
	if (r == -1)
		log_error("%016" PRIx64 " admin list=%s member <%s>: %s",
		    c->id, c->list, c->author, err.msg);
	return r;
}

static void
do_unsubscribe(struct cmd *c)
{
	struct err	err;
	int		r;

	if (!c->verified) {
		ask_confirm(c, STORE_PENDING_UNSUBSCRIBE);
		return;
	}
	r = store_member_remove(c->ld->store, STORE_SUBSCRIBER, c->dom,
	    c->list, c->author, &err);
	if (r == -1 && err.code == STORE_E_NOMEMBER) {
		log_info("%016" PRIx64 " admin list=%s unsubscribe from=<%s>: "
		    "not a subscriber", c->id, c->list, c->author);
		say(c->out, 250, "2.0.0", "<%s> is not subscribed to %s@%s",
		    c->author, c->list, c->dom);
		return;
	}
	if (r == -1) {
		log_error("%016" PRIx64 " admin list=%s unsubscribe <%s>: %s",
		    c->id, c->list, c->author, err.msg);
		say(c->out, 451, "4.3.0", "cannot change the list, try later");
		return;
	}
	log_info("%016" PRIx64 " admin list=%s unsubscribed <%s> "
	    "(dmarc pass)", c->id, c->list, c->author);
	welcome(c, c->author, false);
	say(c->out, 250, "2.0.0", "<%s> is no longer subscribed to %s@%s",
	    c->author, c->list, c->dom);
}

static void
do_help(struct cmd *c)
{
	const char	*rcpt[1] = { c->author };
	char		 text[1500], subject[600];
	const char	*l = c->list, *d = c->dom;

	if (!c->verified) {
		log_info("%016" PRIx64 " admin list=%s help from=<%s>: not "
		    "answered, From not verified by DMARC", c->id, l,
		    c->author);
		say(c->out, 250, "2.0.0", "no reply: the From address is not "
		    "verified (DMARC)");
		return;
	}
	snprintf(subject, sizeof(subject), "Help for %s@%s", l, d);
	snprintf(text, sizeof(text),
	    "Command: help, from %s, for the list %s@%s.\r\n\r\n"
	    "The list's addresses:\r\n\r\n"
	    "  %s@%s              post to the list\r\n"
	    "  %s-subscribe@%s    join (you will be asked to confirm)\r\n"
	    "  %s-unsubscribe@%s  leave\r\n"
	    "  %s-digest@%s       digests instead of single posts\r\n"
	    "                     (subject \"off\": single posts again)\r\n"
	    "  %s-owner@%s        write to the moderators\r\n"
	    "  %s-subscribers@%s  the subscriber list (moderators only)\r\n"
	    "  %s-help@%s         this text\r\n\r\n"
	    "A command counts as yours only when your From address passes\r\n"
	    "DMARC; otherwise a confirmation is sent to it first.\r\n",
	    c->author, l, d, l, d, l, d, l, d, l, d, l, d, l, d, l, d);
	if (reply(c, rcpt, 1, true, subject, "", text, NULL, 0) == -1)
		say(c->out, 250, "2.0.0", "no reply sent (too many replies to "
		    "this address)");
	else
		say(c->out, 250, "2.0.0", "help sent to <%s>", c->author);
}

struct names {
	struct buf	 b;
	size_t		 n;
	int		 rc;
};

static int
name_text(const struct store_member_info *m, void *arg)
{
	struct names	*ns = arg;
	struct err	 err;

	ns->rc |= buf_printf(&ns->b, &err, "  %s (%s)\r\n", m->address,
	    store_sub_state_name(m->state));
	ns->n++;
	return 0;
}

static void
do_subscribers(struct cmd *c)
{
	struct names	 ns;
	struct err	 err;
	const char	*rcpt[1] = { c->author };
	char		 subject[600];

	if (!c->verified || is_member(c, STORE_MODERATOR) != 1) {
		log_info("%016" PRIx64 " admin list=%s subscribers from=<%s>: "
		    "refused (verified=%s, not a moderator or unknown)",
		    c->id, c->list, c->author, c->verified ? "yes" : "no");
		say(c->out, 550, "5.7.1", "the subscriber list goes only to a "
		    "moderator whose From passes DMARC");
		return;
	}
	memset(&ns, 0, sizeof(ns));
	buf_init(&ns.b, REPLY_MAX / 2);
	ns.rc |= buf_printf(&ns.b, &err, "Command: subscribers, from %s, "
	    "for the list %s@%s.\r\n\r\nSubscribers:\r\n\r\n", c->author,
	    c->list, c->dom);
	if (store_members_each(c->ld->store, STORE_SUBSCRIBER, c->dom,
	    c->list, name_text, &ns, &err) == -1 || ns.rc != 0 ||
	    buf_printf(&ns.b, &err, "\r\n%zu in all.\r\n", ns.n) == -1 ||
	    buf_add(&ns.b, "", 1, &err) == -1) {
		buf_fini(&ns.b);
		say(c->out, 451, "4.3.0", "cannot read the list, try later");
		return;
	}
	snprintf(subject, sizeof(subject), "Subscribers of %s@%s", c->list,
	    c->dom);
	if (reply(c, rcpt, 1, true, subject, "", (const char *)ns.b.data,
	    NULL, 0) == -1)
		say(c->out, 250, "2.0.0", "no reply sent (too many replies to "
		    "this address)");
	else
		say(c->out, 250, "2.0.0", "subscriber list sent to <%s>",
		    c->author);
	buf_fini(&ns.b);
}

static void
do_owner(struct cmd *c, const struct mail_hdrs *hdrs, const char *body,
    size_t body_len)
{
	struct listd_mods	 ms;
	struct err		 err;
	struct buf		 msg;
	const char		*raw;
	char			 subject[600], text[600], extra[400];
	size_t			 rawlen;
	int			 r;

	if ((r = listd_mods_read(c->ld, c->list, &ms, &err)) == -1 ||
	    ms.n == 0) {
		log_warn("%016" PRIx64 " admin list=%s owner: %s", c->id,
		    c->list, r == 0 ? "no moderator" : err.msg);
		say(c->out, r == 0 ? 550 : 451, r == 0 ? "5.1.1" : "4.3.0",
		    r == 0 ? "the list has no moderator" : "cannot read the "
		    "list, try later");
		goto out;
	}
	raw = mail_hdrs_raw(hdrs, &rawlen);
	buf_init(&msg, rawlen + body_len + 8);
	if (buf_add(&msg, raw, rawlen, &err) == -1 ||
	    buf_add(&msg, "\r\n", 2, &err) == -1 ||
	    buf_add(&msg, body, body_len, &err) == -1) {
		buf_fini(&msg);
		say(c->out, 451, "4.3.0", "out of memory, try later");
		goto out;
	}
	snprintf(subject, sizeof(subject), "Message for the owners of %s@%s",
	    c->list, c->dom);
	extra[0] = '\0';
	if (c->author[0] != '\0')
		snprintf(extra, sizeof(extra), "Reply-To: %s\r\n", c->author);
	snprintf(text, sizeof(text), "A message to %s-owner@%s is attached.\r\n"
	    "Its From: %s (%s by DMARC).\r\n", c->list, c->dom,
	    c->author[0] ? c->author : "(none usable)", c->verified ?
	    "verified" : "NOT verified");
	if (reply(c, (const char *const *)ms.v, ms.n, false, subject, extra,
	    text, (const char *)msg.data, msg.len) == -1)
		say(c->out, 451, "4.3.0", "cannot queue the message, try "
		    "later");
	else
		say(c->out, 250, "2.0.0", "forwarded to the moderators of "
		    "%s@%s", c->list, c->dom);
	buf_fini(&msg);
out:
	listd_mods_free(&ms);
}

/* Is the message an automatic one (RFC 3834 section 2: Auto-Submitted
 * other than "no"; or Precedence bulk, junk or list)?  Such mail gets
 * no reply, so that two robots cannot answer each other forever. */
static bool
is_automatic(const struct mail_hdrs *hdrs)
{
	static const char *const	 names[] = { "Auto-Submitted",
					    "Precedence" };
	struct buf			 v;
	struct err			 err;
	const struct mail_field		*f;
	bool				 yes = false;
	long				 i;
	size_t				 k;

	for (k = 0; k < 2 && !yes; k++) {
		if ((i = mail_hdrs_find(hdrs, names[k], 0)) == -1 ||
		    (f = mail_hdrs_at(hdrs, (size_t)i)) == NULL)
			continue;
		buf_init(&v, 1000);
		if (mail_field_unfold(f, &v, &err) == 0 &&
		    buf_add(&v, "", 1, &err) == 0) {
			const char	*t = (const char *)v.data;

			yes = k == 0 ? strncasecmp(t, "no", 2) != 0 ||
			    (t[2] != '\0' && t[2] != ' ' && t[2] != ';' &&
			    t[2] != '(') : strcasecmp(t, "bulk") == 0 ||
			    strcasecmp(t, "junk") == 0 ||
			    strcasecmp(t, "list") == 0;
		}
		buf_fini(&v);
	}
	return yes;
}

void
listd_admin_command(struct listd *ld, uint64_t id,
    const struct store_route *route, const struct mail_hdrs *hdrs,
    const char *body, size_t body_len, const struct listd_verdict *vd,
    struct listd_admin_answer *out)
{
	struct cmd	 c;
	memset(&c, 0, sizeof(c));
	c.ld = ld;
	c.id = id;
	c.list = route->list;
	c.dom = ld->set.domain;
	c.out = out;
	say(out, 451, "4.3.0", "not handled");
	if (route->kind == STORE_ROUTE_CONFIRM) {
		do_confirm(&c, route->verp);
		return;
	}
	if (hdrs == NULL || listd_post_author(hdrs, c.author,
	    sizeof(c.author)) == -1)
		c.author[0] = '\0';
	c.verified = listd_admin_verified(c.author, vd);
	if (route->kind == STORE_ROUTE_OWNER) {
		do_owner(&c, hdrs, body, body_len);
		return;
	}
	if (c.author[0] == '\0') {
		log_info("%016" PRIx64 " admin list=%s refused: no single "
		    "From address", id, c.list);
		say(out, 550, "5.6.0", "a command needs a From field with one "
		    "address");
		return;
	}
	if (is_automatic(hdrs)) {
		log_info("%016" PRIx64 " admin list=%s from=<%s>: automatic "
		    "message (Auto-Submitted or Precedence), ignored", id,
		    c.list, c.author);
		say(out, 250, "2.0.0", "an automatic message: ignored, no "
		    "reply");
		return;
	}
	switch (route->kind) {
	case STORE_ROUTE_SUBSCRIBE:
		ask_confirm(&c, STORE_PENDING_SUBSCRIBE);
		break;
	case STORE_ROUTE_UNSUBSCRIBE:
		do_unsubscribe(&c);
		break;
	case STORE_ROUTE_HELP:
		do_help(&c);
		break;
	case STORE_ROUTE_SUBSCRIBERS:
		do_subscribers(&c);
		break;
	case STORE_ROUTE_DIGEST:
		do_digest(&c, hdrs);
		break;
	default:
		say(out, 550, "5.1.1", "not a command address");
		break;
	}
}
