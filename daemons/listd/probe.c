/*
 * probe.c: what becomes of a subscriber disabled by bounces (bounce.c
 * disables at cfg.bounce_disable).  Mailman and mlmmj do not keep a
 * disabled address for ever, nor drop it on the first bad day of its
 * server: they ask it once more.  So does timbre-listd:
 *
 *   - cfg.probe_after after it was disabled, the subscriber is sent one
 *     probe: a short notice, through the signer like the list's other
 *     own mail, whose return path is LIST-bounces+probe-TOKEN+VERP
 *     (verp.c); its state becomes "probing";
 *   - if the probe bounces (a failed delivery report to that path, or a
 *     permanent failure or the retries running out when it is sent),
 *     the subscriber is removed;
 *   - if nothing comes back within cfg.probe_wait, it is made active
 *     again with a score of 0.
 *
 * TOKEN is 64 bits of an HMAC-SHA256, under a key kept in the database
 * (store_secret "probe"), of the list, the address and the time the
 * probe was sent: a bounce forged to LIST-bounces+probe-... removes no
 * one without it, and a probe of an earlier round counts for nothing.
 * An auto-reply (no report, or a report that is not "failed") to the
 * probe costs nothing, as for posts.
 *
 * cfg.probe_after 0 turns probing off: disabled subscribers then stay
 * disabled until `timbre list` changes them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver_priv.h"
#include "keys/mac.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Subscribers probed, and re-enabled, per pass at most. */
#define PROBE_BATCH	32
/* Seconds between passes. */
#define PROBE_EVERY	60

/* Here rather than in unsub.c, which its fuzz harness compiles alone,
 * without the store. */
int
listd_secret(struct store *s, const char *name, uint8_t *key, size_t n,
    time_t now, struct err *err)
{
	uint8_t	fresh[64];
	int	rc;

	if (n > sizeof(fresh)) {
		err_set(err, ERR_ARG, "secret %s: %zu bytes is too long", name,
		    n);
		return -1;
	}
	if ((rc = key_random(fresh, n, err)) == 0)
		rc = store_secret(s, name, fresh, n, now, key, err);
	key_wipe(fresh, sizeof(fresh));
	return rc;
}

/* The key of the tokens, made at the first need. */
static int
probe_key(struct listd_deliver *d, struct err *err)
{
	if (d->probe_keyed)
		return 0;
	if (listd_secret(d->store, LISTD_PROBE_SECRET, d->probe_key,
	    sizeof(d->probe_key), listd_deliver_now(d), err) == -1)
		return -1;
	d->probe_keyed = true;
	return 0;
}

int
listd_probe_token(const uint8_t key[LISTD_PROBE_KEY_LEN], const char *list,
    const char *domain, const char *address, time_t since,
    char out[LISTD_PROBE_TOKEN_LEN + 1], struct err *err)
{
	char	raw[STORE_NAME_MAX + STORE_DOMAIN_MAX + STORE_ADDR_MAX + 64];
	uint8_t	m[KEY_HMAC_MAX];
	size_t	len, i;
	int	n;

	n = snprintf(raw, sizeof(raw), "probe\n%s@%s\n%s\n%lld", list,
	    domain, address, (long long)since);
	if (n < 0 || (size_t)n >= sizeof(raw)) {
		err_set(err, ERR_ARG, "probe: address too long");
		return -1;
	}
	/* The address as the database compares it: in any case. */
	for (i = 0; raw[i] != '\0'; i++)
		if (raw[i] >= 'A' && raw[i] <= 'Z')
			raw[i] = (char)(raw[i] - 'A' + 'a');
	if (key_hmac(KEY_HMAC_SHA256, key, LISTD_PROBE_KEY_LEN, raw,
	    (size_t)n, m, &len, err) == -1)
		return -1;
	for (i = 0; i < LISTD_PROBE_TOKEN_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", m[i]);
	return 0;
}

/* The notice a probe carries, queued for p's address; 0 or -1. */
static int
probe_send(struct listd_deliver *d, const struct store_probe *p,
    time_t now, struct err *err)
{
	const char	*rcpt[1] = { p->address };
	char		 token[LISTD_PROBE_TOKEN_LEN + 1];
	char		 path[STORE_ADDR_MAX + 1], mid[160], date[64];
	struct buf	 b;
	struct tm	 tm;
	int64_t		 id;
	int		 rc = 0;

	if (probe_key(d, err) == -1 ||
	    listd_probe_token(d->probe_key, p->name, p->domain, p->address,
	    now, token, err) == -1)
		return -1;
	if (!listd_verp_probe_encode(p->name, p->domain, p->address, token,
	    path, sizeof(path))) {
		err_set(err, ERR_ARG, "the probe's return path does not fit");
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(mid, sizeof(mid), "<probe.%s.%lld@%s>", token,
	    (long long)now, d->cfg.hostname);
	buf_init(&b, 4096);
	rc |= buf_printf(&b, err, "From: %s@%s <%s-owner@%s>\r\n"
	    "To: %s\r\nSubject: Mail from %s@%s to you has been bouncing\r\n"
	    "Date: %s\r\nMessage-ID: %s\r\nAuto-Submitted: auto-generated\r\n"
	    "List-Id: <%s.%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    p->name, p->domain, p->name, p->domain, p->address, p->name,
	    p->domain, date, mid, p->name, p->domain);
	rc |= buf_printf(&b, err, "Copies of the posts of %s@%s sent to\r\n"
	    "<%s> have been refused by its mail server,\r\n"
	    "so the list stopped sending them.\r\n\r\n"
	    "This message checks whether the address works again.  If you\r\n"
	    "can read it, there is nothing to do: if it is not refused, the\r\n"
	    "posts start again in %lld days.  If it is refused too, the\r\n"
	    "address is taken off the list.\r\n", p->name, p->domain,
	    p->address, (long long)((d->cfg.probe_wait + 86399) / 86400));
	if (rc != 0)
		goto fail;
	if ((d->cfg.to_signer != NULL ? store_reply_add :
	    store_deliver_enqueue)(d->store, p->domain, p->name, path, mid,
	    (const char *)b.data, b.len, rcpt, 1, now, &id, err) == -1)
		goto fail;
	buf_fini(&b);
	log_info("%016" PRIx64 " probe list=%s@%s subscriber=<%s> sent "
	    "(disabled since %lld)%s", (uint64_t)id, p->name, p->domain,
	    p->address, (long long)p->since,
	    d->cfg.to_signer != NULL ? " via the signer" : "");
	if (d->cfg.to_signer != NULL)
		d->cfg.to_signer(d->cfg.to_signer_arg);
	return 0;
fail:
	buf_fini(&b);
	return -1;
}

void
listd_probe_run(struct listd_deliver *d)
{
	struct store_probe	*ps;
	struct err		 err;
	time_t			 now = listd_deliver_now(d);
	size_t			 n, i;
	int			 r;

	if (d->cfg.probe_after <= 0 || now < d->probe_next)
		return;
	d->probe_next = now + PROBE_EVERY;
	if ((ps = calloc(PROBE_BATCH, sizeof(*ps))) == NULL) {
		log_warn("probe: out of memory");
		return;
	}
	/* Probes that came back from nowhere: the address works. */
	if (store_probe_expire(d->store, now - d->cfg.probe_wait, ps,
	    PROBE_BATCH, &n, &err) == -1) {
		log_warn("probe expiry: %s", err.msg);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		d->stats.probes_passed++;
		log_info("probe list=%s@%s subscriber=<%s> enabled again: "
		    "no bounce since the probe at %lld", ps[i].name,
		    ps[i].domain, ps[i].address, (long long)ps[i].since);
	}
	if (store_probe_due(d->store, now - d->cfg.probe_after, ps,
	    PROBE_BATCH, &n, &err) == -1) {
		log_warn("probe: %s", err.msg);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		/* Probing first: the token is bound to this time.  A probe
		 * that then fails to be queued ends as one not answered. */
		if ((r = store_probe_start(d->store, &ps[i], now, &err)) ==
		    -1 || (r == 1 && probe_send(d, &ps[i], now, &err) == -1)) {
			log_warn("probe list=%s@%s subscriber=<%s>: %s",
			    ps[i].name, ps[i].domain, ps[i].address, err.msg);
			continue;
		}
		if (r == 1)
			d->stats.probes_sent++;
	}
	free(ps);
	/* A full batch: more are due now. */
	if (n == PROBE_BATCH)
		d->probe_next = now;
}

int
listd_probe_bounced(struct listd_deliver *d, const char *list,
    const char *address, const char *token, const char *why,
    struct err *err)
{
	char	mine[LISTD_PROBE_TOKEN_LEN + 1];
	time_t	since;
	int	r;

	if ((r = store_probe_get(d->store, d->cfg.domain, list, address,
	    &since, err)) == -1)
		return -1;
	if (r == 1 && (probe_key(d, err) == -1 ||
	    listd_probe_token(d->probe_key, list, d->cfg.domain, address,
	    since, mine, err) == -1))
		return -1;
	if (r == 0 || strlen(token) != LISTD_PROBE_TOKEN_LEN ||
	    !key_mem_equal(mine, token, LISTD_PROBE_TOKEN_LEN)) {
		log_info("probe list=%s@%s subscriber=<%s>: a bounce of a "
		    "probe not out now, ignored", list, d->cfg.domain,
		    address);
		return 0;
	}
	if ((r = store_probe_bounced(d->store, d->cfg.domain, list, address,
	    since, err)) == -1)
		return -1;
	if (r == 1) {
		d->stats.probes_failed++;
		log_info("probe list=%s@%s subscriber=<%s> bounced (%s): "
		    "unsubscribed", list, d->cfg.domain, address, why);
	}
	return r;
}
