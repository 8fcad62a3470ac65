/*
 * selfcheck.c: timbre-signd's self-check (issue 11 item 6): after every
 * change of the keys to sign with, and then every --selfcheck-interval,
 * a probe message goes through the same signing pipeline as real mail
 * (sign.c), and its signatures are verified as a receiver would verify
 * them: every key is fetched through --resolver, then every
 * DKIM-Signature (RFC 6376 section 6) and the ARC chain (RFC 8617
 * section 5.2) are checked by src/dkim and src/arc.  The check passes
 * when each kind that has a key (DKIM rsa-sha256, DKIM ed25519-sha256,
 * the ARC set) produced a signature that verifies with the selector the
 * keyring chose.
 *
 * The keyring already compares each derived public key with the record
 * it read (AXFR or the resolver) before using it; this check sees what
 * the rest of the world sees: a resolver serving another record than
 * the primary (a stale secondary, a split view), a record changed or
 * removed after the keyring looked, a signing or canonicalisation fault.
 *
 * A failure is an error in the log and a counter.  With
 * --strict-selfcheck the daemon also refuses new mail (451 4.7.0) from
 * the moment the keys change until a check of the new keys passes, and
 * whenever the last check failed; a failed check is retried sooner
 * than the interval (SELFCHECK_RETRY_SECS).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "signd.h"
#include "arc/arc.h"
#include "dkim/dkim.h"
#include "dns/dns.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

#define SELFCHECK_RETRY_SECS	60	/* after a failure, at most */
#define SELFCHECK_MAX_NAMES	(SIGND_NKINDS + 2)	/* keys to fetch */

/* One key look-up: the check is alive while it is pending, as the
 * check owns its stub and frees it (cancelling) before the look-ups. */
struct sc_lookup {
	struct signd_selfcheck	*sc;
	char			 name[DNS_MAX_NAME + 2];
};

struct signd_selfcheck {
	struct signd		*sd;
	struct dns_stub		*stub;
	struct event		*timer;
	time_t			 interval;
	bool			 strict;
	enum signd_check_state	 state;
	bool			 running;
	bool			 again;		/* keys changed meanwhile */
	/* the check under way */
	char			 expect[SIGND_NKINDS][64];	/* s= */
	struct signd_sign	*sign;
	struct buf		 probe;		/* the probe as signed */
	struct buf		 msg;		/* ... with its signatures */
	struct mail_reader	*reader;
	struct dkim_verify	*dv;
	struct arc_verify	*av;
	struct sc_lookup	 lookups[SELFCHECK_MAX_NAMES];
	size_t			 nlookups, pending;
	struct signd_selfcheck_stats stats;
};

static void	sc_finish(struct signd_selfcheck *);

static void
sc_schedule(struct signd_selfcheck *sc, time_t secs)
{
	struct timeval	tv = { secs, 0 };

	evtimer_del(sc->timer);
	evtimer_add(sc->timer, &tv);
}

/* Frees what the check under way holds. */
static void
sc_reset(struct signd_selfcheck *sc)
{
	signd_sign_free(sc->sign);
	sc->sign = NULL;
	dkim_verify_free(sc->dv);
	sc->dv = NULL;
	arc_verify_free(sc->av);
	sc->av = NULL;
	mail_reader_free(sc->reader);
	sc->reader = NULL;
	buf_reset(&sc->probe);
	buf_reset(&sc->msg);
	sc->nlookups = sc->pending = 0;
	memset(sc->expect, 0, sizeof(sc->expect));
}

static void
sc_result(struct signd_selfcheck *sc, enum signd_check_state st,
    const char *why)
{
	time_t	next = sc->interval;

	sc->running = false;
	sc->stats.runs++;
	sc->stats.last = time(NULL);
	snprintf(sc->stats.reason, sizeof(sc->stats.reason), "%s", why);
	switch (st) {
	case SIGND_CHECK_PASS:
		sc->stats.passed++;
		log_info("signd selfcheck pass rsa=%s ed25519=%s arc=%s",
		    sc->expect[SIGND_DKIM_RSA][0] ? sc->expect[SIGND_DKIM_RSA] :
		    "-", sc->expect[SIGND_DKIM_ED25519][0] ?
		    sc->expect[SIGND_DKIM_ED25519] : "-",
		    sc->expect[SIGND_ARC][0] ? sc->expect[SIGND_ARC] : "-");
		break;
	case SIGND_CHECK_FAIL:
		sc->stats.failed++;
		log_error("signd selfcheck failed: %s%s", why, sc->strict ?
		    " (--strict-selfcheck: new mail is refused with 451 "
		    "until a check passes)" : "");
		if (next > SELFCHECK_RETRY_SECS)
			next = SELFCHECK_RETRY_SECS;
		break;
	default:
		log_info("signd selfcheck skipped: %s", why);
		break;
	}
	sc->state = st;
	sc_reset(sc);
	if (sc->again) {
		/* The keys changed while this check ran: check the new
		 * ones now; the verdict just given was about the old. */
		sc->again = false;
		sc->state = SIGND_CHECK_PENDING;
		next = 0;
	}
	sc_schedule(sc, next);
}

static void
sc_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct sc_lookup	*lk = arg;
	struct signd_selfcheck	*sc = lk->sc;
	enum dkim_key_lookup	 res;
	struct err		 err;
	char			**txts = NULL;
	const char		*detail;
	const char		*name;
	size_t			 n = 0, i;

	res = signd_key_answer(st, msg, lk->name, &txts, &n, &detail, &err);
	for (i = 0; i < dkim_verify_count(sc->dv); i++)
		if ((name = dkim_verify_key_name(sc->dv, i)) != NULL &&
		    strcasecmp(name, lk->name) == 0)
			dkim_verify_set_key(sc->dv, i, res,
			    (const char *const *)txts, n, detail);
	if (sc->av != NULL)
		arc_verify_set_key(sc->av, lk->name, res,
		    (const char *const *)txts, n, detail);
	dns_txts_free(txts, n);
	if (--sc->pending == 0)
		sc_finish(sc);
}

/* Adds name to the keys to fetch, once. */
static void
sc_want(struct signd_selfcheck *sc, const char *name)
{
	size_t	i;

	if (name == NULL || strlen(name) >= sizeof(sc->lookups[0].name))
		return;
	for (i = 0; i < sc->nlookups; i++)
		if (strcasecmp(sc->lookups[i].name, name) == 0)
			return;
	if (sc->nlookups == SELFCHECK_MAX_NAMES)
		return;		/* more than we signed: fails for want of it */
	sc->lookups[sc->nlookups].sc = sc;
	snprintf(sc->lookups[sc->nlookups].name, sizeof(sc->lookups[0].name),
	    "%s", name);
	sc->nlookups++;
}

/* The probe came back signed: read it as a receiver, fetch the keys. */
static void
sc_signed(void *arg, enum signd_sign_status st, const struct buf *fields,
    const char *why)
{
	struct signd_selfcheck	*sc = arg;
	struct err		 err;
	const char		*p;
	char			 text[256];
	size_t			 n, i;
	time_t			 now = signd_keyring_now(sc->sd->keyring);
	enum mail_read		 r;

	signd_sign_free(sc->sign);
	sc->sign = NULL;
	if (st == SIGND_SIGN_NOKEY) {
		sc_result(sc, SIGND_CHECK_NONE, "no key to sign with");
		return;
	}
	if (st != SIGND_SIGN_OK) {
		snprintf(text, sizeof(text), "the probe was not signed: %s",
		    why);
		sc_result(sc, SIGND_CHECK_FAIL, text);
		return;
	}
	/* The message as it leaves: the signatures, then the probe. */
	if (buf_add(&sc->msg, fields->data, fields->len, &err) == -1 ||
	    buf_add(&sc->msg, sc->probe.data, sc->probe.len, &err) == -1 ||
	    (sc->reader = mail_reader_new(MAIL_NL_CRLF, 0, &err)) == NULL ||
	    mail_reader_feed(sc->reader, sc->msg.data, sc->msg.len,
	    &err) == -1)
		goto fail;
	mail_reader_finish(sc->reader);
	while ((r = mail_reader_next(sc->reader, &p, &n, &err)) !=
	    MAIL_READ_END) {
		if (r == MAIL_READ_ERROR || r == MAIL_READ_NEED_MORE)
			goto fail;
		if (r == MAIL_READ_HEADERS) {
			if ((sc->dv = dkim_verify_new(mail_reader_hdrs(
			    sc->reader), now, &err)) == NULL)
				goto fail;
			if (sc->expect[SIGND_ARC][0] != '\0' &&
			    (sc->av = arc_verify_new(mail_reader_hdrs(
			    sc->reader), now, &err)) == NULL)
				goto fail;
			continue;
		}
		dkim_verify_body(sc->dv, p, n);
		if (sc->av != NULL)
			arc_verify_body(sc->av, p, n);
	}
	if (sc->dv == NULL) {
		err_set(&err, ERR_ARG, "no header section");
		goto fail;
	}
	for (i = 0; i < dkim_verify_count(sc->dv); i++)
		sc_want(sc, dkim_verify_key_name(sc->dv, i));
	for (i = 0; sc->av != NULL && i < arc_verify_key_count(sc->av); i++)
		sc_want(sc, arc_verify_key_name(sc->av, i));
	for (i = 0; i < sc->nlookups; i++) {
		/* A key not asked for fails its signature ("no key
		 * look-up was made"); the answers asked for still come. */
		if (dns_stub_query(sc->stub, sc->lookups[i].name, DNS_T_TXT,
		    sc_answer, &sc->lookups[i], &err) == -1) {
			log_warn("signd selfcheck: %s: %s", sc->lookups[i].name,
			    err.msg);
			break;
		}
		sc->pending++;
	}
	if (sc->pending == 0)
		sc_finish(sc);
	return;
fail:
	snprintf(text, sizeof(text), "the signed probe cannot be read: %s",
	    err.msg);
	sc_result(sc, SIGND_CHECK_FAIL, text);
}

/* Every key is in: the verdicts. */
static void
sc_finish(struct signd_selfcheck *sc)
{
	struct dkim_verdict	 v;
	const char		*reason = "";
	char			 why[512] = "";
	size_t			 i, len;
	bool			 ok[SIGND_NKINDS] = { false };
	bool			 told[SIGND_NKINDS] = { false };
	enum signd_kind		 kind;

	dkim_verify_finish(sc->dv);
	for (i = 0; i < dkim_verify_count(sc->dv); i++) {
		dkim_verify_get(sc->dv, i, &v);
		kind = v.alg == DKIM_ALG_ED25519_SHA256 ? SIGND_DKIM_ED25519 :
		    SIGND_DKIM_RSA;
		if (strcmp(v.selector, sc->expect[kind]) != 0)
			continue;
		if (v.result == DKIM_PASS) {
			ok[kind] = true;
			continue;
		}
		told[kind] = true;
		len = strlen(why);
		snprintf(why + len, sizeof(why) - len, "%sDKIM a=%s s=%s: %s "
		    "(%s)", len ? "; " : "", signd_kind_name(kind), v.selector,
		    dkim_result_name(v.result), v.reason);
	}
	if (sc->av != NULL) {
		arc_verify_finish(sc->av);
		ok[SIGND_ARC] = arc_verify_result(sc->av, &reason) ==
		    ARC_CV_PASS;
		if (!ok[SIGND_ARC]) {
			told[SIGND_ARC] = true;
			len = strlen(why);
			snprintf(why + len, sizeof(why) - len, "%sARC s=%s: "
			    "cv=%s (%s)", len ? "; " : "",
			    sc->expect[SIGND_ARC], arc_cv_name(arc_verify_result(
			    sc->av, &reason)), reason);
		}
	}
	for (kind = 0; kind < SIGND_NKINDS; kind++) {
		if (sc->expect[kind][0] == '\0' || ok[kind] || told[kind])
			continue;
		len = strlen(why);
		snprintf(why + len, sizeof(why) - len, "%s%s s=%s: no "
		    "signature of it", len ? "; " : "", signd_kind_name(kind),
		    sc->expect[kind]);
	}
	sc_result(sc, why[0] == '\0' ? SIGND_CHECK_PASS : SIGND_CHECK_FAIL,
	    why);
}

static void
sc_run(evutil_socket_t fd, short what, void *arg)
{
	struct signd_selfcheck	*sc = arg;
	struct signd		*sd = sc->sd;
	struct signd_signkey	*k;
	struct err		 err;
	enum signd_kind		 kind;
	bool			 any = false;

	(void)fd;
	(void)what;
	if (sc->running)
		return;
	/* The keys the pipeline will take, in this same callback. */
	for (kind = 0; kind < SIGND_NKINDS; kind++) {
		if (!sd->set.kinds[kind] ||
		    (k = signd_keyring_get(sd->keyring, kind)) == NULL)
			continue;
		snprintf(sc->expect[kind], sizeof(sc->expect[kind]), "%s",
		    k->selector);
		signd_signkey_drop(k);
		any = true;
	}
	if (!any) {
		sc->state = SIGND_CHECK_NONE;
		sc_schedule(sc, sc->interval);
		return;
	}
	sc->running = true;
	if ((sc->sign = signd_sign_new(sd, 0, &err)) == NULL ||
	    signd_selfcheck_probe(sd, signd_keyring_now(sd->keyring),
	    &sc->probe, &err) == -1) {
		sc_result(sc, SIGND_CHECK_FAIL, err.msg);
		return;
	}
	log_debug("signd selfcheck start");
	signd_sign_probe(sc->sign);
	signd_sign_feed(sc->sign, sc->probe.data, sc->probe.len);
	signd_sign_end(sc->sign, sc_signed, sc);
}

struct signd_selfcheck *
signd_selfcheck_new(struct signd *sd, struct err *err)
{
	struct signd_selfcheck	*sc;
	struct dns_server	 srv;

	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	sc->sd = sd;
	sc->interval = (time_t)sd->set.conf.selfcheck_interval;
	sc->strict = sd->set.conf.strict_selfcheck;
	sc->state = SIGND_CHECK_NONE;
	buf_init(&sc->probe, 64 * 1024);
	buf_init(&sc->msg, 2 * SIGND_SPOOL_MEM);
	memset(&srv, 0, sizeof(srv));
	srv.addr = sd->set.conf.resolver.ss;
	srv.addrlen = sd->set.conf.resolver.len;
	if ((sc->timer = evtimer_new(sd->base, sc_run, sc)) == NULL ||
	    (sc->stub = dns_stub_new(sd->base, &srv, NULL, err)) == NULL) {
		if (sc->timer == NULL)
			err_set(err, ERR_NOMEM, "out of memory");
		signd_selfcheck_free(sc);
		return NULL;
	}
	sc_schedule(sc, sc->interval);
	return sc;
}

void
signd_selfcheck_free(struct signd_selfcheck *sc)
{
	if (sc == NULL)
		return;
	dns_stub_free(sc->stub);	/* no answer comes after this */
	if (sc->timer != NULL)
		event_free(sc->timer);
	sc_reset(sc);
	buf_fini(&sc->probe);
	buf_fini(&sc->msg);
	free(sc);
}

void
signd_selfcheck_keys_changed(struct signd_selfcheck *sc)
{
	if (sc == NULL)
		return;
	/* Mail is held (strict) from now until the new keys pass. */
	sc->state = SIGND_CHECK_PENDING;
	if (sc->running)
		sc->again = true;
	else
		sc_schedule(sc, 0);
}

bool
signd_selfcheck_refuses(const struct signd *sd)
{
	const struct signd_selfcheck	*sc = sd->selfcheck;

	return sc != NULL && sc->strict && (sc->state ==
	    SIGND_CHECK_PENDING || sc->state == SIGND_CHECK_FAIL);
}

void
signd_selfcheck_stats(const struct signd_selfcheck *sc,
    struct signd_selfcheck_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (sc == NULL)
		return;
	*out = sc->stats;
	out->state = sc->state;
}

const char *
signd_check_state_name(enum signd_check_state st)
{
	switch (st) {
	case SIGND_CHECK_PENDING:
		return "pending";
	case SIGND_CHECK_PASS:
		return "pass";
	case SIGND_CHECK_FAIL:
		return "fail";
	default:
		return "none";
	}
}

int
signd_selfcheck_probe(const struct signd *sd, time_t now, struct buf *out,
    struct err *err)
{
	char		date[64];
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* An A-R of our authserv-id, so that the ARC key is used too. */
	if (sd->set.kinds[SIGND_ARC] && buf_printf(out, err,
	    "Authentication-Results: %s; none\r\n", sd->set.authserv_id) ==
	    -1)
		return -1;
	return buf_printf(out, err, "From: timbre-signd self-check "
	    "<postmaster@%s>\r\nTo: postmaster@%s\r\nSubject: timbre-signd "
	    "self-check\r\nDate: %s\r\nMessage-ID: <selfcheck.%lld@%s>\r\n"
	    "\r\nA probe signed and verified through the resolver; never "
	    "sent.\r\n", sd->set.conf.domain, sd->set.conf.domain, date,
	    (long long)now, sd->set.conf.domain);
}
