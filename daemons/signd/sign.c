/*
 * sign.c: timbre-signd's signing pipeline, shared by the SMTP and the
 * milter paths.  One pass over the message: the header section is
 * parsed (src/mail's reader), then every body byte goes once to every
 * hash that needs it.
 *
 *  - A DKIM-Signature (RFC 6376, RFC 8463) per configured algorithm
 *    whose kind has a key in the keyring, relaxed/relaxed, t= now and x=
 *    the key's expiry, h= dkim_sign's default set (From, To, Cc,
 *    Subject, Date, Message-ID, Reply-To, Sender, the MIME fields,
 *    oversigned, and the List-* fields present, which dkim_sign lists
 *    once per occurrence and signd oversigns too, so that nobody can
 *    add a second List-Unsubscribe or List-Post under our signature;
 *    List-Unsubscribe-Post, which dkim_sign does not list, signd lists
 *    when present, once per occurrence and once more: RFC 8058 section 4
 *    wants it signed).
 *  - An ARC set (RFC 8617) only when the message carries an
 *    Authentication-Results of --authserv-id (it becomes the AAR) and no
 *    ARC-Seal of our domain already (a message is never sealed twice by
 *    us).  The incoming chain is validated (src/arc, keys through the
 *    --resolver stub) while the body streams; as the seal's cv= is only
 *    known at the end and src/arc fixes it when the sealer is made, a
 *    chain gets two sealers, one for cv=pass and one for cv=fail, fed
 *    the same bytes, and the one the validator agrees with is finished.
 *
 * A kind without a key is skipped with a warning; a message that would
 * get no signature at all is refused (SIGND_SIGN_NOKEY: 451 4.7.0),
 * never sent on unsigned.  A message that is not RFC 5322 (a line that
 * is no header field, a header section over 1 MiB) is SIGND_SIGN_BAD.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "signd.h"
#include "arc/arc.h"
#include "authres/authres.h"
#include "dkim/dkim.h"
#include "dns/dns.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/pool.h"

#define SIGN_MAX_FIELDS	(256 * 1024)	/* the fields we prepend */

/* One key look-up for the ARC validator: outlives the pipeline if it
 * is abandoned while the stub still waits (s is then NULL). */
struct lookup {
	struct signd_sign	*s;
	char			 name[DNS_MAX_NAME + 2];
};

struct signd_sign {
	struct signd		*sd;
	uint64_t		 id;
	bool			 probe;		/* the self-check's */
	struct signd_stats	*stats;		/* sd's, or probe_stats */
	struct signd_stats	 probe_stats;	/* counted nowhere */
	struct mail_reader	*reader;
	bool			 started;	/* headers seen */
	bool			 bad;
	char			 why[200];
	time_t			 now;
	struct signd_signkey	*keys[SIGND_NKINDS];
	struct dkim_sign	*dkim[2];	/* by kind: rsa, ed25519 */
	struct arc_verify	*av;
	struct arc_seal		*seal[3];	/* by enum arc_cv */
	struct lookup		**lookups;
	size_t			 nlookups;
	size_t			 pending;
	bool			 ended;
	struct event		*finish_ev;
	signd_sign_done		*done;
	void			*done_arg;
	/* The end: sign_compute's (a worker's while running), then the
	 * loop's again. */
	struct pool_job		 job;
	bool			 running;	/* submitted, not handed back */
	bool			 abandoned;	/* freed while running */
	enum signd_sign_status	 st;
	enum arc_cv		 cv;
	const char		*reason;	/* the validator's */
	int			 seal_rc;
	struct err		 seal_err;
	int			 dkim_rc[2];
	struct err		 dkim_err[2];
	struct buf		 fields;	/* what done prepends */
};

struct signd_sign *
signd_sign_new(struct signd *sd, uint64_t id, struct err *err)
{
	struct signd_sign	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->sd = sd;
	s->id = id;
	s->stats = &sd->stats;
	buf_init(&s->fields, SIGN_MAX_FIELDS);
	if ((s->reader = mail_reader_new(MAIL_NL_CRLF, 0, err)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return NULL;
}

static void
sign_bad(struct signd_sign *s, const char *what, const char *msg)
{
	if (s->bad)
		return;
	s->bad = true;
	snprintf(s->why, sizeof(s->why), "%s%s", what, msg);
}

/* Does an ARC-Seal of our domain sit in the header already? */
static bool
sealed_by_us(const struct signd_sign *s, const struct mail_hdrs *h)
{
	const struct mail_field		*f;
	const struct dkim_tag		*d;
	struct dkim_tags		 tags;
	struct err			 err;
	const char			*dom = s->sd->set.conf.domain;
	long				 i = 0;

	while ((i = mail_hdrs_find(h, "ARC-Seal", (size_t)i)) != -1) {
		f = mail_hdrs_at(h, (size_t)i);
		i++;
		if (dkim_tags_parse(f->raw + f->value_off, f->raw_len -
		    f->value_off, &tags, &err) == -1 ||
		    (d = dkim_tags_get(&tags, "d")) == NULL)
			continue;
		if (d->val_len == strlen(dom) &&
		    strncasecmp(d->val, dom, d->val_len) == 0)
			return true;
	}
	return false;
}

static void	sign_try_finish(struct signd_sign *);

enum dkim_key_lookup
signd_key_answer(enum dns_status st, const struct dns_msg *msg,
    const char *name, char ***txts_out, size_t *n_out,
    const char **detail_out, struct err *err)
{
	*txts_out = NULL;
	*n_out = 0;
	*detail_out = dns_status_str(st);
	switch (st) {
	case DNS_OK:
		if (dns_msg_txts(msg, name, txts_out, n_out, err) == -1) {
			*detail_out = err->msg;
			return DKIM_KEY_TEMPFAIL;
		}
		if (*n_out == 0)
			return DKIM_KEY_NONE;
		*detail_out = NULL;
		return DKIM_KEY_FOUND;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		return DKIM_KEY_NONE;
	default:
		return DKIM_KEY_TEMPFAIL;
	}
}

static void
lookup_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct lookup		*lk = arg;
	struct signd_sign	*s = lk->s;
	enum dkim_key_lookup	 res;
	struct err		 err;
	char			**txts;
	const char		*detail;
	size_t			 n, i;

	if (s == NULL) {
		free(lk);		/* the pipeline was abandoned */
		return;
	}
	res = signd_key_answer(st, msg, lk->name, &txts, &n, &detail, &err);
	arc_verify_set_key(s->av, lk->name, res, (const char *const *)txts,
	    n, detail);
	dns_txts_free(txts, n);
	for (i = 0; i < s->nlookups; i++)
		if (s->lookups[i] == lk)
			s->lookups[i] = NULL;
	free(lk);
	s->pending--;
	sign_try_finish(s);
}

/* Asks the resolver for every key the incoming chain needs. */
static void
arc_fetch_keys(struct signd_sign *s)
{
	struct lookup	*lk;
	struct err	 err;
	const char	*name;
	size_t		 i, n = arc_verify_key_count(s->av);

	if (n == 0)
		return;
	if ((s->lookups = calloc(n, sizeof(*s->lookups))) == NULL)
		n = 0;
	for (i = 0; i < n; i++) {
		name = arc_verify_key_name(s->av, i);
		if ((lk = calloc(1, sizeof(*lk))) == NULL ||
		    strlen(name) >= sizeof(lk->name)) {
			free(lk);
			arc_verify_set_key(s->av, name, DKIM_KEY_TEMPFAIL,
			    NULL, 0, "out of memory");
			continue;
		}
		lk->s = s;
		snprintf(lk->name, sizeof(lk->name), "%s", name);
		if (s->sd->stub == NULL || dns_stub_query(s->sd->stub, name,
		    DNS_T_TXT, lookup_answer, lk, &err) == -1) {
			arc_verify_set_key(s->av, name, DKIM_KEY_TEMPFAIL,
			    NULL, 0, s->sd->stub == NULL ? "no resolver" :
			    err.msg);
			free(lk);
			continue;
		}
		s->lookups[s->nlookups++] = lk;
		s->pending++;
	}
}

static void
sign_arc_start(struct signd_sign *s, const struct mail_hdrs *h)
{
	struct arc_seal_params	 p;
	struct signd_signkey	*k;
	struct err		 err;
	enum arc_cv		 cv;

	if (!s->sd->set.kinds[SIGND_ARC] ||
	    authres_find(h, s->sd->set.authserv_id, 0) == -1)
		return;
	if (sealed_by_us(s, h)) {
		s->stats->arc_skipped++;
		log_info("%016" PRIx64 " arc skip: already sealed by %s",
		    s->id, s->sd->set.conf.domain);
		return;
	}
	if ((k = s->keys[SIGND_ARC]) == NULL) {
		s->stats->nokey[SIGND_ARC]++;
		/* A probe checks the kinds that have a key: no warning. */
		if (!s->probe)
			log_warn("%016" PRIx64 " arc not sealed: no key",
			    s->id);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.domain = s->sd->set.conf.domain;
	p.selector = k->selector;
	p.authserv_id = s->sd->set.authserv_id;
	p.now = s->now;
	if (mail_hdrs_count_name(h, "ARC-Seal") == 0 &&
	    mail_hdrs_count_name(h, "ARC-Message-Signature") == 0 &&
	    mail_hdrs_count_name(h, "ARC-Authentication-Results") == 0) {
		if ((s->seal[ARC_CV_NONE] = arc_seal_new(k->key, &p, h,
		    ARC_CV_NONE, &err)) == NULL)
			log_warn("%016" PRIx64 " arc not sealed: %s", s->id,
			    err.msg);
		return;
	}
	if ((s->av = arc_verify_new(h, s->now, &err)) == NULL) {
		log_warn("%016" PRIx64 " arc not sealed: %s", s->id, err.msg);
		return;
	}
	for (cv = ARC_CV_PASS; cv <= ARC_CV_FAIL; cv++)
		if ((s->seal[cv] = arc_seal_new(k->key, &p, h, cv, &err)) ==
		    NULL && err.code != ARC_E_PARAM) {
			/* The chain ended, is full, or memory ran out. */
			log_info("%016" PRIx64 " arc not sealed: %s", s->id,
			    err.msg);
			break;
		}
	if (s->seal[ARC_CV_PASS] == NULL && s->seal[ARC_CV_FAIL] == NULL) {
		arc_verify_free(s->av);
		s->av = NULL;
		return;
	}
	arc_fetch_keys(s);
}

/* dkim_sign's default h=, with the List-* fields present listed once
 * more.  NULL with err. */
static char *
headers_list(const struct mail_hdrs *h, struct err *err)
{
	static const char *const lists[] = { "list-id", "list-help",
	    "list-unsubscribe", "list-unsubscribe-post", "list-subscribe",
	    "list-post", "list-owner", "list-archive", NULL };
	struct buf	 b;
	char		*def, *out = NULL;
	size_t		 i, n;

	if ((def = dkim_sign_default_headers(h, err)) == NULL)
		return NULL;
	buf_init(&b, 64 * 1024);
	if (buf_adds(&b, def, err) == -1)
		goto done;
	for (i = 0; lists[i] != NULL; i++)
		if (mail_hdrs_count_name(h, lists[i]) > 0 &&
		    buf_printf(&b, err, ":%s", lists[i]) == -1)
			goto done;
	/* Not in dkim_sign's set: each occurrence, then the extra one. */
	for (n = mail_hdrs_count_name(h, "list-unsubscribe-post"); n > 0; n--)
		if (buf_adds(&b, ":list-unsubscribe-post", err) == -1)
			goto done;
	if ((out = strdup(b.data)) == NULL)
		err_set(err, ERR_NOMEM, "out of memory");
done:
	free(def);
	buf_fini(&b);
	return out;
}

static void
sign_headers(struct signd_sign *s, const struct mail_hdrs *h)
{
	struct dkim_sign_params	 p;
	struct signd_signkey	*k;
	struct err		 err;
	enum signd_kind		 kind;
	char			*hlist;

	s->started = true;
	if ((hlist = headers_list(h, &err)) == NULL)
		log_warn("%016" PRIx64 " dkim h=: %s (default kept)", s->id,
		    err.msg);
	s->now = s->sd->keyring != NULL ? signd_keyring_now(s->sd->keyring) :
	    time(NULL);
	for (kind = 0; kind < SIGND_NKINDS; kind++)
		if (s->sd->set.kinds[kind] && s->sd->keyring != NULL)
			s->keys[kind] = signd_keyring_get(s->sd->keyring,
			    kind);
	for (kind = SIGND_DKIM_RSA; kind <= SIGND_DKIM_ED25519; kind++) {
		if (!s->sd->set.kinds[kind])
			continue;
		if ((k = s->keys[kind]) == NULL) {
			s->stats->nokey[kind]++;
			if (!s->probe)
				log_warn("%016" PRIx64 " dkim not signed a=%s: "
				    "no key", s->id, signd_kind_name(kind));
			continue;
		}
		memset(&p, 0, sizeof(p));
		p.domain = s->sd->set.conf.domain;
		p.selector = k->selector;
		p.alg = kind == SIGND_DKIM_RSA ? DKIM_ALG_RSA_SHA256 :
		    DKIM_ALG_ED25519_SHA256;
		p.hdr_canon = DKIM_CANON_RELAXED;
		p.body_canon = DKIM_CANON_RELAXED;
		p.now = s->now;
		p.headers = hlist;
		/* x= is the key's expiry: no signature outlives its key. */
		p.lifetime = k->expires > s->now ? (int64_t)(k->expires -
		    s->now) : 1;
		if ((s->dkim[kind] = dkim_sign_new(k->key, &p, h, &err)) ==
		    NULL)
			log_warn("%016" PRIx64 " dkim not signed a=%s: %s",
			    s->id, signd_kind_name(kind), err.msg);
	}
	free(hlist);
	sign_arc_start(s, h);
}

static void
sign_body(struct signd_sign *s, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < 2; i++)
		if (s->dkim[i] != NULL)
			dkim_sign_body(s->dkim[i], p, n);
	if (s->av != NULL)
		arc_verify_body(s->av, p, n);
	for (i = 0; i < 3; i++)
		if (s->seal[i] != NULL)
			arc_seal_body(s->seal[i], p, n);
}

/* Pulls what the reader has: headers, then body chunks. */
static void
sign_pull(struct signd_sign *s)
{
	const char	*p;
	size_t		 n;
	struct err	 err;

	for (;;) {
		switch (mail_reader_next(s->reader, &p, &n, &err)) {
		case MAIL_READ_NEED_MORE:
		case MAIL_READ_END:
			return;
		case MAIL_READ_HEADERS:
			sign_headers(s, mail_reader_hdrs(s->reader));
			break;
		case MAIL_READ_BODY:
			sign_body(s, p, n);
			break;
		case MAIL_READ_ERROR:
			sign_bad(s, "", err.msg);
			return;
		}
	}
}

void
signd_sign_feed(struct signd_sign *s, const char *p, size_t n)
{
	struct err	err;

	if (s->bad || n == 0)
		return;
	if (mail_reader_feed(s->reader, p, n, &err) == -1) {
		sign_bad(s, "", err.msg);
		return;
	}
	sign_pull(s);
}

/*
 * The end of the message, the private-key operations: the ARC chain's
 * verdict, the seal, the DKIM signatures, into s->fields.  Touches only
 * what s owns (its signers, validator and their keys, which nobody
 * changes meanwhile), logs nothing and counts nothing: it runs on a
 * worker thread, or on the loop with --sign-workers 0.
 */
static void
sign_compute(void *arg)
{
	struct signd_sign	*s = arg;
	size_t			 i;

	s->cv = ARC_CV_NONE;
	s->reason = "";
	if (s->av != NULL) {
		arc_verify_finish(s->av);
		s->cv = arc_verify_result(s->av, &s->reason);
	} else if (s->seal[ARC_CV_PASS] != NULL || s->seal[ARC_CV_FAIL] !=
	    NULL)
		s->cv = ARC_CV_FAIL;
	if (s->seal[s->cv] != NULL)
		s->seal_rc = arc_seal_finish(s->seal[s->cv], &s->fields,
		    &s->seal_err);
	for (i = 0; i < 2; i++)
		if (s->dkim[i] != NULL)
			s->dkim_rc[i] = dkim_sign_finish(s->dkim[i],
			    &s->fields, &s->dkim_err[i]);
}

/* On the loop, after sign_compute or instead of it: the log lines, the
 * counters and the done callback. */
static void
sign_report(struct signd_sign *s)
{
	enum signd_sign_status	 st = s->st;
	struct buf		 fields;
	char			 why[sizeof(s->why)];
	size_t			 i, nsigs = 0;

	if (st != SIGND_SIGN_OK)
		goto out;
	if (s->seal[s->cv] != NULL) {
		if (s->seal_rc == -1)
			log_warn("%016" PRIx64 " arc not sealed: %s", s->id,
			    s->seal_err.msg);
		else {
			nsigs++;
			s->stats->sigs[SIGND_ARC]++;
			log_info("%016" PRIx64 " arc seal d=%s s=%s i=%u "
			    "cv=%s%s%s", s->id, s->sd->set.conf.domain,
			    s->keys[SIGND_ARC]->selector,
			    arc_seal_instance(s->seal[s->cv]),
			    arc_cv_name(s->cv), s->reason[0] ? " reason=" : "",
			    s->reason);
		}
	} else if (s->av != NULL)
		log_info("%016" PRIx64 " arc not sealed: no sealer for cv=%s",
		    s->id, arc_cv_name(s->cv));
	for (i = 0; i < 2; i++) {
		if (s->dkim[i] == NULL)
			continue;
		if (s->dkim_rc[i] == -1) {
			log_warn("%016" PRIx64 " dkim not signed a=%s: %s",
			    s->id, signd_kind_name(i), s->dkim_err[i].msg);
			continue;
		}
		nsigs++;
		s->stats->sigs[i]++;
		log_info("%016" PRIx64 " dkim sign d=%s s=%s a=%s", s->id,
		    s->sd->set.conf.domain, s->keys[i]->selector,
		    signd_kind_name(i));
	}
	if (nsigs == 0) {
		st = SIGND_SIGN_NOKEY;
		snprintf(s->why, sizeof(s->why), "no signing key");
	}
out:
	/* done may free s: neither why nor the fields may be in it. */
	memcpy(why, s->why, sizeof(why));
	fields = s->fields;
	buf_init(&s->fields, SIGN_MAX_FIELDS);
	s->done(s->done_arg, st, &fields, why);
	buf_fini(&fields);
}

/* A worker handed s back (POOL_RAN), its owner withdrew it before a
 * worker took it (signd_sign_free), or the pool stopped first
 * (signd_sign_stop).  The loop owns s again. */
static void
sign_computed(void *arg, enum pool_end end)
{
	struct signd_sign	*s = arg;

	s->running = false;
	if (end == POOL_CANCELLED) {
		s->stats->sign_cancelled++;
		log_debug("%016" PRIx64 " sign cancelled before a worker took "
		    "it", s->id);
	}
	if (s->abandoned) {
		signd_sign_free(s);
		return;
	}
	if (end != POOL_RAN) {
		s->st = SIGND_SIGN_ERROR;
		snprintf(s->why, sizeof(s->why), "timbre-signd is stopping");
	}
	sign_report(s);
}

static void
sign_finish(struct signd_sign *s)
{
	s->st = SIGND_SIGN_OK;
	if (s->bad)
		s->st = SIGND_SIGN_BAD;
	/* Checked at the end too: the keys may have changed while the
	 * message came in. */
	else if (!s->probe && signd_selfcheck_refuses(s->sd)) {
		s->st = SIGND_SIGN_UNCHECKED;
		snprintf(s->why, sizeof(s->why), "the signing keys have not "
		    "passed their self-check");
	}
	if (s->st != SIGND_SIGN_OK || s->sd->pool == NULL) {
		if (s->st == SIGND_SIGN_OK)
			sign_compute(s);
		sign_report(s);
		return;
	}
	s->running = true;
	s->job.work = sign_compute;
	s->job.done = sign_computed;
	s->job.arg = s;
	pool_submit(s->sd->pool, &s->job);
}

static void
sign_on_finish(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sign_finish(arg);
}

static void
sign_try_finish(struct signd_sign *s)
{
	if (!s->ended || s->pending > 0)
		return;
	event_active(s->finish_ev, EV_TIMEOUT, 0);
}

void
signd_sign_end(struct signd_sign *s, signd_sign_done *done, void *arg)
{
	s->done = done;
	s->done_arg = arg;
	s->ended = true;
	if (!s->bad) {
		mail_reader_finish(s->reader);
		sign_pull(s);
		if (!s->started && !s->bad)
			sign_bad(s, "", "no header section");
	}
	if ((s->finish_ev = event_new(s->sd->base, -1, 0, sign_on_finish,
	    s)) == NULL) {
		/* Without the event there is no way back to the loop. */
		s->bad = true;
		s->pending = 0;
		snprintf(s->why, sizeof(s->why), "out of memory");
		sign_finish(s);
		return;
	}
	sign_try_finish(s);
}

void
signd_sign_probe(struct signd_sign *s)
{
	s->probe = true;
	s->stats = &s->probe_stats;
}

void
signd_sign_free(struct signd_sign *s)
{
	size_t	i;

	if (s == NULL)
		return;
	if (s->running) {
		s->abandoned = true;
		/* Still queued: nobody signs it for nothing, and
		 * sign_computed has freed it when this returns. */
		if (pool_cancel(s->sd->pool, &s->job))
			return;
		/* A worker is using it: sign_computed frees it. */
		log_debug("%016" PRIx64 " sign abandoned while a worker signs "
		    "it", s->id);
		return;
	}
	for (i = 0; i < s->nlookups; i++)
		if (s->lookups[i] != NULL)
			s->lookups[i]->s = NULL; /* freed by their answer */
	free(s->lookups);
	if (s->finish_ev != NULL)
		event_free(s->finish_ev);
	for (i = 0; i < 2; i++)
		dkim_sign_free(s->dkim[i]);
	for (i = 0; i < 3; i++)
		arc_seal_free(s->seal[i]);
	arc_verify_free(s->av);
	for (i = 0; i < SIGND_NKINDS; i++)
		if (s->keys[i] != NULL)
			signd_signkey_drop(s->keys[i]);
	mail_reader_free(s->reader);
	buf_fini(&s->fields);
	free(s);
}

static void
sign_on_pool(evutil_socket_t fd, short what, void *arg)
{
	struct signd	*sd = arg;

	(void)fd;
	(void)what;
	(void)pool_complete(sd->pool);
}

int
signd_sign_start(struct signd *sd, struct err *err)
{
	if (sd->set.sign_workers == 0)
		return 0;
	if ((sd->pool = pool_new(sd->set.sign_workers, err)) == NULL) {
		err_prefix(err, "--sign-workers %u", sd->set.sign_workers);
		return -1;
	}
	if ((sd->pool_ev = event_new(sd->base, pool_fd(sd->pool), EV_READ |
	    EV_PERSIST, sign_on_pool, sd)) == NULL ||
	    event_add(sd->pool_ev, NULL) == -1) {
		err_set(err, ERR_NOMEM, "--sign-workers: cannot watch the "
		    "workers' pipe");
		signd_sign_stop(sd);
		return -1;
	}
	return 0;
}

void
signd_sign_stop(struct signd *sd)
{
	if (sd->pool_ev != NULL)
		event_free(sd->pool_ev);
	sd->pool_ev = NULL;
	/* Joins the workers, then answers what they held or never took:
	 * the owners are gone, so each is an abandoned pipeline, freed. */
	pool_free(sd->pool);
	sd->pool = NULL;
}
