/*
 * session.c: timbre-listd's two SMTP servers, both src/smtp's machine
 * over its transport.
 *
 * --listen, the public one (RFC 5321), is never a relay: a recipient
 * must be at --domain (else 550 5.7.1) and be a list or one of its
 * admin addresses (store_addr_route; else 550 5.1.1).  A transaction
 * carries one kind of mail: the posts to one list, or bounces; a
 * recipient of another kind gets 452 4.5.3 and comes in the client's
 * next transaction (RFC 5321 section 4.5.3.1.10), so that one answer to
 * DATA is true of every recipient.  At the end of DATA the message is
 * verified (verify.c), then refused with a reply that says why (a loop,
 * a DMARC policy of reject), held for the moderators (held.c: a
 * moderated list, a sender who is not a subscriber), or rewritten
 * (post.c) and stored; "250" is only
 * said once the row is on disk, which lipap said before it had done
 * anything: a post is committed without waiting for the disk
 * (store_msg_add_nosync), and its session waits for commit.c's next
 * flush of the database's log, one for all the posts that ended DATA
 * together (group commit).
 *
 * --listen-signed takes only the signer's address (554 5.7.1 for
 * everyone else, at connect): the signed copy, matched to its queue row
 * by X-Timbre-Queue-Id, becomes delivery rows in one transaction
 * (store_msg_signed) before the signer hears 250; the signer answers
 * its own client, queue.c, with that same reply.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "listd.h"
#include "mail/mail.h"
#include "smtp/transport.h"
#include "util/buf.h"
#include "util/err.h"

/* What the signer adds: signatures and an ARC set. */
#define SIGNED_EXTRA	(1024 * 1024)

struct listd_ipcount {
	char		 ip[64];
	unsigned	 n;
};

/* The kind of a transaction, set by its first recipient. */
enum txn_kind {
	TXN_NONE,
	TXN_POST,		/* to one list */
	TXN_BOUNCES,		/* LIST-bounces[+VERP] */
	TXN_COMMAND,		/* -subscribe, -owner, ...: admin.c */
};

struct rcpt {
	struct store_route	 route;
	char			 addr[SMTP_PATH_MAX + 1];
};

struct listd_conn {
	struct listd		*ld;
	struct smtp_conn	*c;
	uint64_t		 id;
	bool			 signed_side;
	bool			 over_ip_cap;
	char			 peer[64];
	char			 ip[64];
	/* the transaction */
	char			 helo[SMTP_DOMAIN_MAX + 1];
	char			*mail_from;
	enum txn_kind		 kind;
	char			 list[STORE_NAME_MAX + 1];
	struct rcpt		*rcpt;
	size_t			 nrcpt;
	struct buf		 msg;
	bool			 msg_failed;
	struct mail_hdrs	*hdrs;
	size_t			 hdr_len, body_off;
	struct listd_verify	*verify;
	/* a post committed, waiting for the flush (commit.c) */
	struct listd_commit_wait wait;
	int64_t			 qid;
	size_t			 size;
	bool			 rewrite_from;
};

time_t
listd_now(const struct listd *ld)
{
	return time(NULL) + ld->clock_offset;
}

static void
conn_reset(struct listd_conn *lc)
{
	listd_verify_free(lc->verify);
	lc->verify = NULL;
	mail_hdrs_free(lc->hdrs);
	lc->hdrs = NULL;
	free(lc->mail_from);
	lc->mail_from = NULL;
	free(lc->rcpt);
	lc->rcpt = NULL;
	lc->nrcpt = 0;
	lc->kind = TXN_NONE;
	lc->list[0] = '\0';
	buf_reset(&lc->msg);
	lc->msg_failed = false;
}

static void
answer(struct listd_conn *lc, int code, const char *enh, const char *text)
{
	struct err	err;

	if (smtp_conn_answer(lc->c, code, enh, text, &err) == -1)
		log_error("%016" PRIx64 " smtp answer %d failed: %s", lc->id,
		    code, err.msg);
}

/* The client address without its port. */
static void
peer_ip(const char *peer, char *out, size_t n)
{
	const char	*e;

	if (peer[0] == '[' && (e = strchr(peer, ']')) != NULL)
		snprintf(out, n, "%.*s", (int)(e - peer - 1), peer + 1);
	else if ((e = strrchr(peer, ':')) != NULL)
		snprintf(out, n, "%.*s", (int)(e - peer), peer);
	else
		snprintf(out, n, "%s", peer);
}

/* ---- --max-per-ip ---- */

static struct listd_ipcount *
ip_find(struct listd *ld, const char *ip)
{
	size_t	i;

	for (i = 0; i < ld->nips; i++)
		if (strcmp(ld->ips[i].ip, ip) == 0)
			return &ld->ips[i];
	return NULL;
}

/* Counts one more connection from ip: false when over the cap. */
static bool
ip_take(struct listd *ld, const char *ip)
{
	struct listd_ipcount	*c, *v;

	if ((c = ip_find(ld, ip)) == NULL) {
		if ((v = reallocarray(ld->ips, ld->nips + 1, sizeof(*v))) ==
		    NULL)
			return false;
		ld->ips = v;
		c = &ld->ips[ld->nips++];
		memset(c, 0, sizeof(*c));
		snprintf(c->ip, sizeof(c->ip), "%s", ip);
	}
	if (c->n >= (unsigned)ld->set.conf.max_per_ip)
		return false;
	c->n++;
	return true;
}

static void
ip_give(struct listd *ld, const char *ip)
{
	struct listd_ipcount	*c;

	if ((c = ip_find(ld, ip)) == NULL || c->n == 0)
		return;
	if (--c->n == 0) {
		*c = ld->ips[--ld->nips];
		if (ld->nips == 0) {
			free(ld->ips);
			ld->ips = NULL;
		}
	}
}

/* ---- the public side: recipients ---- */

static enum txn_kind
route_kind(enum store_route_kind k)
{
	switch (k) {
	case STORE_ROUTE_POST:
		return TXN_POST;
	case STORE_ROUTE_BOUNCES:
		return TXN_BOUNCES;
	default:
		return TXN_COMMAND;
	}
}

static void
on_rcpt(struct listd_conn *lc, const char *path)
{
	struct listd		*ld = lc->ld;
	struct store_route	 route;
	struct rcpt		*v;
	struct err		 err;
	char			 dom[STORE_DOMAIN_MAX + 1], local[SMTP_PATH_MAX + 1];
	char			 text[SMTP_PATH_MAX + 120];
	const char		*at;
	enum txn_kind		 kind;

	if (lc->nrcpt >= (size_t)ld->set.conf.max_recipients) {
		answer(lc, 452, "4.5.3", "too many recipients");
		return;
	}
	if ((at = strrchr(path, '@')) == NULL || at == path ||
	    (size_t)(at - path) >= sizeof(local)) {
		ld->stats.refused_rcpt++;
		snprintf(text, sizeof(text), "<%s>: no such list here", path);
		answer(lc, 550, "5.1.1", text);
		return;
	}
	if (store_domain_normalize(at + 1, dom, &err) == -1 ||
	    strcmp(dom, ld->set.domain) != 0) {
		ld->stats.refused_rcpt++;
		log_info("%016" PRIx64 " smtp refused rcpt=<%s>: relaying",
		    lc->id, path);
		snprintf(text, sizeof(text), "<%s>: relaying denied, this "
		    "server only takes mail for lists at %s", path,
		    ld->set.domain);
		answer(lc, 550, "5.7.1", text);
		return;
	}
	snprintf(local, sizeof(local), "%.*s", (int)(at - path), path);
	if (store_addr_route(ld->store, ld->set.domain, local, &route,
	    &err) == -1) {
		log_error("%016" PRIx64 " store route <%s>: %s", lc->id, path,
		    err.msg);
		answer(lc, 451, "4.3.0", "cannot look the list up, try later");
		return;
	}
	if (route.kind == STORE_ROUTE_NONE) {
		const char	*suffix;

		/* LIST-confirm+TOKEN (admin.c) is none of store's. */
		if (store_list_match(ld->store, ld->set.domain, local,
		    route.list, &suffix, &err) == 1)
			(void)listd_admin_is_confirm(suffix, &route);
	}
	if (route.kind == STORE_ROUTE_NONE) {
		ld->stats.refused_rcpt++;
		log_info("%016" PRIx64 " smtp refused rcpt=<%s>: no such list",
		    lc->id, path);
		snprintf(text, sizeof(text), "<%s>: no such list here", path);
		answer(lc, 550, "5.1.1", text);
		return;
	}
	kind = route_kind(route.kind);
	if (lc->kind != TXN_NONE && (kind != lc->kind ||
	    strcmp(route.list, lc->list) != 0 || (kind == TXN_COMMAND &&
	    (route.kind != lc->rcpt[0].route.kind ||
	    strcmp(route.verp, lc->rcpt[0].route.verp) != 0)))) {
		/* One answer to DATA must be true of every recipient. */
		answer(lc, 452, "4.5.3", "one list per transaction: send "
		    "to this one in the next");
		return;
	}
	if ((v = reallocarray(lc->rcpt, lc->nrcpt + 1, sizeof(*v))) == NULL) {
		answer(lc, 451, "4.3.0", "out of memory");
		return;
	}
	lc->rcpt = v;
	v[lc->nrcpt].route = route;
	snprintf(v[lc->nrcpt].addr, sizeof(v[lc->nrcpt].addr), "%s", path);
	lc->nrcpt++;
	lc->kind = kind;
	snprintf(lc->list, sizeof(lc->list), "%s", route.list);
	answer(lc, 250, "2.1.5", NULL);
}

/* ---- the public side: the message ---- */

struct list_found {
	enum store_posting	 posting;
	char			 prefix[STORE_PREFIX_MAX + 1];
	bool			 found;
};

static int
list_found_fn(const struct store_list_info *li, void *arg)
{
	struct list_found	*f = arg;

	f->posting = li->posting;
	snprintf(f->prefix, sizeof(f->prefix), "%s", li->subject_prefix);
	f->found = true;
	return 0;
}

/* Is addr (may be "") a member of the list in role?  -1 on error. */
static int
member(struct listd_conn *lc, enum store_role role, const char *addr,
    struct err *err)
{
	int	r;

	if (addr == NULL || addr[0] == '\0')
		return 0;
	r = store_member_is(lc->ld->store, role, lc->ld->set.domain,
	    lc->list, addr, err);
	if (r == -1 && (err->code == STORE_E_ADDR))
		return 0;		/* not an address a member can have */
	return r;
}

/* commit.c: the post is on disk (ok), or may not be. */
static void
post_flushed(void *arg, bool ok)
{
	struct listd_conn	*lc = arg;
	struct listd		*ld = lc->ld;
	char			 text[64];

	if (!ok) {
		ld->stats.refused_other++;
		log_error("%016" PRIx64 " post list=%s queue=%" PRId64 ": not "
		    "flushed to disk", lc->id, lc->list, lc->qid);
		answer(lc, 451, "4.3.0", "cannot store the message, try later");
		return;
	}
	ld->stats.accepted++;
	log_info("%016" PRIx64 " post queued list=%s queue=%" PRId64
	    " from=<%s> size=%zu rewrite_from=%s", lc->id, lc->list, lc->qid,
	    lc->mail_from, lc->size, lc->rewrite_from ? "yes" : "no");
	snprintf(text, sizeof(text), "queued as %" PRId64, lc->qid);
	answer(lc, 250, "2.0.0", text);
	listd_queue_kick(ld);
}

/* Stores the list's copy in state and answers (a post: once flushed). */
static void
store_post(struct listd_conn *lc, const struct listd_verdict *vd,
    const struct list_found *lf, enum store_msg_state state,
    const char *why_held, const char *author)
{
	struct listd_hold	 h;
	struct listd		*ld = lc->ld;
	bool			 full;
	struct listd_post	 p;
	struct buf		 out;
	struct err		 err;
	char			 mid[512], text[600];
	int64_t			 qid;
	int			 rc;

	memset(&p, 0, sizeof(p));
	p.list = lc->list;
	p.domain = ld->set.domain;
	p.subject_prefix = lf->prefix;
	p.authserv_id = ld->set.hostname;
	p.authres = vd->authres;
	p.authres_len = vd->authres_len;
	p.rewrite_from = vd->from_strict;
	p.archive_url = ld->set.conf.archive_url;
	p.one_click_unsub = ld->set.deliver.unsub_url != NULL;
	buf_init(&out, lc->msg.len + SIGNED_EXTRA);
	rc = listd_post_headers(&p, lc->hdrs, &out, &err);
	if (rc == -1 && p.rewrite_from && err.code == MAIL_E_ADDR) {
		/* No single author to name (DMARC said permerror, and
		 * --dmarc-reject let it through): From stays as it is. */
		buf_reset(&out);
		p.rewrite_from = false;
		rc = listd_post_headers(&p, lc->hdrs, &out, &err);
	}
	if (rc == 0)
		rc = buf_add(&out, lc->msg.data + lc->hdr_len,
		    lc->msg.len - lc->hdr_len, &err);
	if (rc == -1) {
		ld->stats.refused_other++;
		log_error("%016" PRIx64 " post %s: %s", lc->id, lc->list,
		    err.msg);
		answer(lc, 451, "4.3.0", "cannot prepare the post, try later");
		buf_fini(&out);
		return;
	}
	if (listd_post_message_id(lc->hdrs, mid, sizeof(mid)) == -1)
		mid[0] = '\0';
	memset(&h, 0, sizeof(h));
	h.list = lc->list;
	h.mail_from = lc->mail_from;
	h.message_id = mid[0] ? mid : NULL;
	h.author = author;
	h.verified = listd_admin_verified(author, vd);
	h.why = why_held;
	h.hdrs = lc->hdrs;
	if (state == STORE_MSG_HELD)
		rc = listd_held_hold(ld, lc->id, &h, out.data, out.len, &qid,
		    &err);
	else
		rc = store_msg_add_nosync(ld->store, ld->set.domain, lc->list,
		    state, lc->mail_from, h.message_id, out.data, out.len,
		    listd_now(ld), &qid, &err);
	if (rc == -1) {
		/* STORE_E_FULL: held.c's bound on held posts. */
		full = err.code == STORE_E_FULL;
		ld->stats.refused_other++;
		log_error("%016" PRIx64 " store message %s: %s", lc->id,
		    lc->list, err.msg);
		answer(lc, full ? 452 : 451, full ? "4.3.1" : "4.3.0", full ?
		    "too many posts wait for the moderators of this list, try "
		    "later" : "cannot store the message, try later");
		buf_fini(&out);
		return;
	}
	buf_fini(&out);
	if (state == STORE_MSG_HELD) {
		ld->stats.held++;
		log_info("%016" PRIx64 " post held list=%s held=%" PRId64
		    " from=<%s> why=%s", lc->id, lc->list, qid, lc->mail_from,
		    why_held);
		snprintf(text, sizeof(text), "held for the moderators of "
		    "%s@%s (%s) as %" PRId64, lc->list, ld->set.domain,
		    why_held, qid);
		answer(lc, 250, "2.0.0", text);
		return;
	}
	lc->qid = qid;
	lc->size = lc->msg.len;
	lc->rewrite_from = p.rewrite_from;
	lc->wait.done = post_flushed;
	lc->wait.arg = lc;
	if (listd_commit_wait(ld, &lc->wait, &err) == -1) {
		/* Committed, but not known to be on disk: the client's retry
		 * may make a duplicate, never a loss. */
		log_error("%016" PRIx64 " post queue=%" PRId64 ": %s", lc->id,
		    qid, err.msg);
		post_flushed(lc, false);
	}
}

static void
refuse(struct listd_conn *lc, uint64_t *counter, int code, const char *enh,
    const char *text)
{
	(*counter)++;
	log_info("%016" PRIx64 " post refused list=%s from=<%s>: %d %s %s",
	    lc->id, lc->list, lc->mail_from, code, enh, text);
	answer(lc, code, enh, text);
}

static void
verified(void *arg, const struct listd_verdict *vd)
{
	struct listd_conn	*lc = arg;
	struct listd		*ld = lc->ld;
	struct list_found	 lf;
	struct err		 err;
	enum store_msg_state	 state = STORE_MSG_RECEIVED;
	const char		*why_held = NULL;
	const char		*dom = ld->set.domain;
	char			 author[STORE_ADDR_MAX + 1], text[1200];
	int			 sub, mod;

	log_info("%016" PRIx64 " verify %s", lc->id, vd->summary);
	if (listd_post_is_loop(lc->hdrs, lc->list, dom)) {
		snprintf(text, sizeof(text), "mail loop: this message went "
		    "through %s@%s already", lc->list, dom);
		refuse(lc, &ld->stats.refused_loop, 550, "5.4.6", text);
		goto out;
	}
	if ((vd->dmarc.result == DMARC_FAIL ||
	    vd->dmarc.result == DMARC_PERMERROR) &&
	    vd->dmarc.policy == DMARC_POLICY_REJECT) {
		switch (ld->set.dmarc_reject) {
		case LISTD_DMARC_REJECT:
			if (vd->dmarc.result == DMARC_PERMERROR)
				snprintf(text, sizeof(text), "no usable "
				    "author (From): %s", vd->dmarc.reason);
			else
				snprintf(text, sizeof(text), "the DMARC policy "
				    "of %s is reject, and this message fails "
				    "it: %s", vd->dmarc.domain,
				    vd->dmarc.reason);
			refuse(lc, &ld->stats.refused_dmarc, 550, "5.7.1",
			    text);
			goto out;
		case LISTD_DMARC_HOLD:
			state = STORE_MSG_HELD;
			why_held = "dmarc policy reject";
			break;
		case LISTD_DMARC_ACCEPT:
			break;
		}
	}
	memset(&lf, 0, sizeof(lf));
	if (store_lists_each(ld->store, dom, lc->list, list_found_fn, &lf,
	    &err) == -1 || !lf.found) {
		log_error("%016" PRIx64 " store list %s: %s", lc->id,
		    lc->list, lf.found ? err.msg : "gone");
		answer(lc, 451, "4.3.0", "cannot read the list, try later");
		goto out;
	}
	if (listd_post_author(lc->hdrs, author, sizeof(author)) == -1)
		author[0] = '\0';
	/* The author (From) or the envelope sender may be the member. */
	if ((mod = member(lc, STORE_MODERATOR, author, &err)) == 0)
		mod = member(lc, STORE_MODERATOR, lc->mail_from, &err);
	sub = 0;
	if (mod == 0 && (sub = member(lc, STORE_SUBSCRIBER, author, &err)) ==
	    0)
		sub = member(lc, STORE_SUBSCRIBER, lc->mail_from, &err);
	if (mod == -1 || sub == -1) {
		log_error("%016" PRIx64 " store members %s: %s", lc->id,
		    lc->list, err.msg);
		answer(lc, 451, "4.3.0", "cannot read the list, try later");
		goto out;
	}
	switch (lf.posting) {
	case STORE_POST_SUBSCRIBERS:
		/* Held, as Mailman does: a moderator may let it through. */
		if (sub != 1 && mod != 1 && state != STORE_MSG_HELD) {
			state = STORE_MSG_HELD;
			why_held = "not a subscriber";
		}
		break;
	case STORE_POST_MODERATED:
		if (mod != 1 && state != STORE_MSG_HELD) {
			state = STORE_MSG_HELD;
			why_held = "moderated list";
		}
		break;
	case STORE_POST_OPEN:
		break;
	}
	store_post(lc, vd, &lf, state, why_held, author);
out:
	/* The verdict's strings belong to the verification. */
	listd_verify_free(lc->verify);
	lc->verify = NULL;
}

static void
on_bounces(struct listd_conn *lc)
{
	struct err	err;
	size_t		i;

	for (i = 0; i < lc->nrcpt; i++)
		if (listd_out_bounce(lc->ld, lc->rcpt[i].route.list,
		    lc->rcpt[i].route.verp, lc->msg.data, lc->msg.len,
		    &err) == -1) {
			log_warn("%016" PRIx64 " bounce <%s>: %s", lc->id,
			    lc->rcpt[i].addr, err.msg);
			answer(lc, 451, "4.3.0", "cannot record the bounce, "
			    "try later");
			return;
		}
	log_info("%016" PRIx64 " bounce taken list=%s rcpts=%zu", lc->id,
	    lc->list, lc->nrcpt);
	answer(lc, 250, "2.0.0", "bounce recorded");
}

/* A command's answer, once verified (or at once for a confirmation). */
static void
command_verified(void *arg, const struct listd_verdict *vd)
{
	struct listd_conn		*lc = arg;
	struct listd_admin_answer	 a;

	if (vd != NULL)
		log_info("%016" PRIx64 " verify %s", lc->id, vd->summary);
	listd_admin_command(lc->ld, lc->id, &lc->rcpt[0].route, lc->hdrs,
	    lc->msg.data + lc->body_off, lc->msg.len - lc->body_off, vd, &a);
	if (a.code / 100 != 2)
		lc->ld->stats.refused_other++;
	answer(lc, a.code, a.enh, a.text);
	listd_verify_free(lc->verify);
	lc->verify = NULL;
}

static void
on_message(struct listd_conn *lc)
{
	struct listd	*ld = lc->ld;
	struct err	 err;
	char		 text[SMTP_PATH_MAX + 200];

	if (lc->msg_failed) {
		answer(lc, 451, "4.3.0", "out of memory, try later");
		return;
	}
	if (lc->msg.len == 0) {
		ld->stats.refused_other++;
		answer(lc, 550, "5.6.0", "an empty message");
		return;
	}
	switch (lc->kind) {
	case TXN_BOUNCES:
		on_bounces(lc);
		return;
	case TXN_COMMAND:
	case TXN_POST:
	case TXN_NONE:
		break;
	}
	listd_post_split(lc->msg.data ? lc->msg.data : "", lc->msg.len,
	    &lc->hdr_len, &lc->body_off);
	if ((lc->hdrs = mail_hdrs_parse(lc->msg.data ? lc->msg.data : "",
	    lc->hdr_len, &err)) == NULL) {
		ld->stats.refused_other++;
		snprintf(text, sizeof(text), "not an RFC 5322 message: %s",
		    err.msg);
		answer(lc, 550, "5.6.0", text);
		return;
	}
	if (lc->kind == TXN_COMMAND &&
	    lc->rcpt[0].route.kind == STORE_ROUTE_CONFIRM) {
		command_verified(lc, NULL);	/* the token is the proof */
		return;
	}
	if ((lc->verify = listd_verify_start(ld, lc->id, lc->ip, lc->helo,
	    lc->mail_from, lc->hdrs, lc->msg.data + lc->body_off,
	    lc->msg.len - lc->body_off, lc->kind == TXN_COMMAND ?
	    command_verified : verified, lc, &err)) == NULL) {
		log_error("%016" PRIx64 " verify: %s", lc->id, err.msg);
		answer(lc, 451, "4.3.0", "out of memory, try later");
	}
}

static void
on_request(void *arg, const struct smtp_request *r)
{
	struct listd_conn	*lc = arg;

	switch (r->kind) {
	case SMTP_REQ_CONNECT:
		if (lc->over_ip_cap) {
			lc->ld->stats.refused_conn++;
			answer(lc, 421, "4.7.0", "too many connections from "
			    "your address, try later");
			break;
		}
		answer(lc, 220, NULL, NULL);
		break;
	case SMTP_REQ_HELO:
		answer(lc, 250, NULL, NULL);
		break;
	case SMTP_REQ_MAIL:
		conn_reset(lc);
		if (lc->ld->set.conf.require_tls && !r->tls) {
			answer(lc, 530, "5.7.0", "must issue a STARTTLS "
			    "command first");
			break;
		}
		snprintf(lc->helo, sizeof(lc->helo), "%s", r->helo ? r->helo :
		    "");
		if ((lc->mail_from = strdup(r->path)) == NULL) {
			answer(lc, 451, "4.3.0", "out of memory");
			break;
		}
		answer(lc, 250, "2.1.0", NULL);
		break;
	case SMTP_REQ_RCPT:
		on_rcpt(lc, r->path);
		break;
	case SMTP_REQ_MESSAGE:
		log_info("%016" PRIx64 " smtp message from=<%s> rcpts=%zu "
		    "size=%" PRIu64, lc->id, lc->mail_from ? lc->mail_from :
		    "", lc->nrcpt, r->size);
		on_message(lc);
		break;
	case SMTP_REQ_RESET:
		conn_reset(lc);
		break;
	}
}

static void
on_data(void *arg, const char *p, size_t n)
{
	struct listd_conn	*lc = arg;
	struct err		 err;

	if (!lc->msg_failed && buf_add(&lc->msg, p, n, &err) == -1)
		lc->msg_failed = true;
}

static void *
conn_open(struct listd *ld, struct smtp_conn *c, const char *peer,
    bool signed_side)
{
	struct listd_conn	*lc;
	size_t			 max;

	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return NULL;
	lc->ld = ld;
	lc->c = c;
	lc->id = ++ld->next_id;
	lc->signed_side = signed_side;
	max = (size_t)ld->set.conf.max_message_size + (signed_side ?
	    SIGNED_EXTRA : 0);
	buf_init(&lc->msg, max);
	snprintf(lc->peer, sizeof(lc->peer), "%s", peer);
	peer_ip(peer, lc->ip, sizeof(lc->ip));
	ld->stats.connections++;
	if (!signed_side && !ip_take(ld, lc->ip))
		lc->over_ip_cap = true;
	log_info("%016" PRIx64 " smtp accept from=%s%s", lc->id, peer,
	    signed_side ? " side=signed" : "");
	return lc;
}

static void *
on_open(void *arg, struct smtp_conn *c, const char *peer)
{
	return conn_open(arg, c, peer, false);
}

static void
on_close(void *arg)
{
	struct listd_conn	*lc = arg;

	log_debug("%016" PRIx64 " smtp close", lc->id);
	if (!lc->signed_side && !lc->over_ip_cap)
		ip_give(lc->ld, lc->ip);
	listd_commit_cancel(lc->ld, &lc->wait);
	conn_reset(lc);
	buf_fini(&lc->msg);
	free(lc);
}

/* ---- the signer's way back (--listen-signed) ---- */

static void
on_signed_message(struct listd_conn *lc)
{
	struct listd	*ld = lc->ld;
	struct buf	 out;
	struct err	 err;
	char		 text[300];
	int64_t		 qid;
	size_t		 nrcpt;
	int		 r;

	if (lc->msg_failed) {
		answer(lc, 451, "4.3.0", "out of memory, try later");
		return;
	}
	buf_init(&out, lc->msg.len + 1);
	if (listd_post_unwrap(lc->msg.data ? lc->msg.data : "", lc->msg.len,
	    &qid, &out, &err) == -1) {
		log_warn("%016" PRIx64 " signed copy refused: %s", lc->id,
		    err.msg);
		snprintf(text, sizeof(text), "not a copy listd sent: %s",
		    err.msg);
		answer(lc, 554, "5.6.0", text);
		buf_fini(&out);
		return;
	}
	r = store_msg_signed(ld->store, qid, out.data ? out.data : "",
	    out.len, listd_now(ld), ld->archive != NULL, &nrcpt, &err);
	buf_fini(&out);
	if (r == -1 && err.code == STORE_E_NOMSG) {
		log_warn("%016" PRIx64 " signed copy queue=%" PRId64 ": %s",
		    lc->id, qid, err.msg);
		snprintf(text, sizeof(text), "queue id %" PRId64 ": %s", qid,
		    err.msg);
		answer(lc, 550, "5.1.1", text);
		return;
	}
	if (r == -1) {
		log_error("%016" PRIx64 " signed copy queue=%" PRId64 ": %s",
		    lc->id, qid, err.msg);
		answer(lc, 451, "4.3.0", "cannot store the signed copy, try "
		    "later");
		return;
	}
	if (r == 1) {
		log_info("%016" PRIx64 " signed copy queue=%" PRId64 " again: "
		    "fanned out already", lc->id, qid);
		answer(lc, 250, "2.0.0", "fanned out already");
		return;
	}
	ld->stats.signed_back++;
	ld->stats.fanout_rows += nrcpt;
	log_info("%016" PRIx64 " signed copy queue=%" PRId64 " fanout=%zu",
	    lc->id, qid, nrcpt);
	snprintf(text, sizeof(text), "queue id %" PRId64 ": %zu deliveries "
	    "queued", qid, nrcpt);
	answer(lc, 250, "2.0.0", text);
	if (nrcpt > 0)
		listd_out_kick(ld);
	listd_archive_kick(ld);
}

static void
on_signed_request(void *arg, const struct smtp_request *r)
{
	struct listd_conn	*lc = arg;

	switch (r->kind) {
	case SMTP_REQ_CONNECT:
		answer(lc, 220, NULL, NULL);
		break;
	case SMTP_REQ_HELO:
	case SMTP_REQ_RCPT:
		answer(lc, 250, NULL, NULL);
		break;
	case SMTP_REQ_MAIL:
		conn_reset(lc);
		answer(lc, 250, NULL, NULL);
		break;
	case SMTP_REQ_MESSAGE:
		on_signed_message(lc);
		break;
	case SMTP_REQ_RESET:
		conn_reset(lc);
		break;
	}
}

static void *
on_signed_open(void *arg, struct smtp_conn *c, const char *peer)
{
	return conn_open(arg, c, peer, true);
}

static bool
on_signed_allow(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct listd	*ld = arg;

	(void)len;
	if (acl_allows(&ld->set.signer_acl, sa))
		return true;
	ld->stats.refused_conn++;
	return false;
}

/* ---- listeners ---- */

static int
listen_on(struct listd *ld, struct smtp_listener **out,
    const struct smtp_listen_conf *c, const struct opt_addr *a, size_t n,
    struct err *err)
{
	size_t	i;

	if ((*out = smtp_listener_new(ld->base, c, err)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (smtp_listener_bind(*out, (const struct sockaddr *)&a[i].ss,
		    a[i].len, err) == -1)
			return -1;
	return 0;
}

/* The limits and TLS files of the --listen (or, signed_side, the
 * --listen-signed) listener under settings s. */
static void
listen_limits(const struct listd_settings *s, bool signed_side,
    struct smtp_listen_conf *c)
{
	if (signed_side) {
		c->server.max_size = (uint64_t)s->conf.max_message_size +
		    SIGNED_EXTRA;
		return;
	}
	c->server.max_size = (uint64_t)s->conf.max_message_size;
	/* The session's own cap, with its own reply, comes first. */
	c->server.max_rcpt = (size_t)s->conf.max_recipients + 1;
	c->command_timeout = (unsigned)s->conf.command_timeout;
	c->max_conns = (size_t)s->conf.max_connections;
	c->tls_cert = s->conf.tls_cert;
	c->tls_key = s->conf.tls_key;
}

int
listd_smtp_start(struct listd *ld, struct err *err)
{
	struct smtp_listen_conf	c;

	memset(&c, 0, sizeof(c));
	smtp_server_conf_init(&c.server);
	c.server.hostname = ld->set.hostname;
	listen_limits(&ld->set, false, &c);
	c.open = on_open;
	c.request = on_request;
	c.data = on_data;
	c.close = on_close;
	c.arg = ld;
	return listen_on(ld, &ld->smtp, &c, ld->set.conf.listen.v,
	    ld->set.conf.listen.n, err);
}

int
listd_signed_start(struct listd *ld, struct err *err)
{
	struct smtp_listen_conf	c;

	memset(&c, 0, sizeof(c));
	smtp_server_conf_init(&c.server);
	c.server.hostname = ld->set.hostname;
	listen_limits(&ld->set, true, &c);
	c.allow = on_signed_allow;
	c.open = on_signed_open;
	c.request = on_signed_request;
	c.data = on_data;
	c.close = on_close;
	c.arg = ld;
	return listen_on(ld, &ld->signed_smtp, &c, &ld->set.conf.listen_signed,
	    1, err);
}

int
listd_smtp_update(struct listd *ld, const struct listd_settings *s,
    struct err *err)
{
	struct smtp_listen_conf	c, sc;

	memset(&c, 0, sizeof(c));
	memset(&sc, 0, sizeof(sc));
	smtp_server_conf_init(&sc.server);
	listen_limits(s, true, &sc);
	smtp_server_conf_init(&c.server);
	listen_limits(s, false, &c);
	/* TLS first: the one part that can fail, before anything moved. */
	if (ld->smtp != NULL && smtp_listener_update(ld->smtp, &c, err) == -1)
		return -1;
	if (ld->signed_smtp != NULL)
		(void)smtp_listener_update(ld->signed_smtp, &sc, err);
	return 0;
}

void
listd_smtp_stop(struct listd *ld)
{
	smtp_listener_free(ld->smtp);
	smtp_listener_free(ld->signed_smtp);
	ld->smtp = NULL;
	ld->signed_smtp = NULL;
	free(ld->ips);
	ld->ips = NULL;
	ld->nips = 0;
}
