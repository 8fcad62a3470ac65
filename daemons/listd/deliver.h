/*
 * deliver.h: timbre-listd's way out: fan-out, retries and bounces.
 *
 * The inbound side (session.c and what it calls) stores a post, has it
 * signed by timbre-signd and, when the signed copy comes back, commits
 * in one sqlite transaction the signed message (state "fanout") and one
 * delivery row per recipient ("queued", next_attempt = now); only then
 * does it call listd_deliver_kick().  The delivery engine claims due
 * rows, delivers each copy with a VERP return path
 * (LIST-bounces+LOCAL=DOMAIN@LISTDOMAIN) to the recipient's MX (MX look-up
 * through --resolver, RFC 5321 section 5.1 fallback to A/AAAA, copy
 * after copy on one connection, many RCPT per transaction where the
 * return path allows it, opportunistic STARTTLS, per-domain caps), or
 * to --smarthost, and records each result: 2xx sent, 5xx failed (a
 * bounce), 4xx or no connection retried on the schedule, failed after
 * the last retry with one DSN (RFC 3464) to the list's owner, signed
 * by timbre-signd on its way.  A message is "done" when no row of it is queued.
 * Everything it knows is in the database, so a restart resumes where the
 * rows say: at least once, never lost.
 *
 * Mail that arrives at a -bounces+VERP address is handed to
 * listd_bounce_take() once stored; bounces are scored per subscriber,
 * except rejections that name a DMARC, SPF or spam policy, which are
 * charged to the author's message.
 */
#ifndef TIMBRE_LISTD_DELIVER_H
#define TIMBRE_LISTD_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct event_base;
struct err;
struct store;

#define LISTD_RETRY_MAX	32

struct listd_deliver_cfg {
	const char		*hostname;	/* EHLO name (--hostname) */
	const char		*domain;	/* the lists' domain */
	struct sockaddr_storage	 resolver;	/* --resolver */
	socklen_t		 resolver_len;
	uint16_t		 deliver_port;	/* --deliver-port, 25 */
	const char		*smarthost;	/* HOST[:PORT], or NULL */
	/* MTA-STS (sts.c): the CAs its certificates are checked against
	 * (--tls-ca-file; NULL: the system's), and the policy server's
	 * port (--mta-sts-port, 443). */
	const char		*tls_ca_file;
	uint16_t		 mta_sts_port;
	/* Seconds after the first attempt at which each retry is due;
	 * past the last, every retry_every until give_up. */
	time_t			 retry[LISTD_RETRY_MAX];
	size_t			 nretry;
	time_t			 retry_every;
	time_t			 give_up;
	unsigned		 max_connections;	/* in all */
	unsigned		 per_domain;	/* connections per domain */
	unsigned		 bounce_disable;	/* score that disables */
	/* A disabled subscriber is probed probe_after after it was
	 * disabled (0: never), and enabled again when its probe did not
	 * bounce within probe_wait (probe.c). */
	time_t			 probe_after;
	time_t			 probe_wait;
	time_t			 clock_offset;	/* test hook: added to now */
	/*
	 * The one-click unsubscribe endpoint's base URL (http.c,
	 * "https://HOST[:PORT]"), or NULL: every copy of a post whose
	 * header section has no List-Unsubscribe gets one of its own
	 * (unsub.h), with a link under this URL, or the mailto: alone.
	 */
	const char		*unsub_url;
	/* timbre-signd's milter (TCP), which signs each copy that has
	 * fields of its own (copysign.c); len 0: none, such copies go
	 * with the post's signature alone. */
	struct sockaddr_storage	 signer_milter;
	socklen_t		 signer_milter_len;
	/*
	 * Mail the engine writes (DSNs): with to_signer set, it is queued
	 * for timbre-signd like the list's other own mail (store_reply_add)
	 * and to_signer(to_signer_arg) is called to send it now; without,
	 * it is queued for delivery as it is (deliver_drive, no signer).
	 */
	void			(*to_signer)(void *);
	void			*to_signer_arg;
};

struct listd_deliver_stats {
	unsigned long	sent, deferred, failed, dsn_sent;
	unsigned long	bounces, bounces_charged_to_author;
	unsigned long	connections, tls;
	unsigned long	probes_sent, probes_failed, probes_passed;
	/* Connections under DANE (RFC 7672), and attempts a TLS policy
	 * failed (no STARTTLS, a certificate that did not match, a TLSA
	 * look-up that failed): each deferred, never sent in plain. */
	unsigned long	dane, tls_policy_failed;
	/* MTA-STS (RFC 8461): connections under an enforced policy;
	 * copies it deferred (an MX not in the policy, a certificate not
	 * valid for the host, no STARTTLS); would-be failures under a
	 * policy in testing mode (the copy went as without); policies
	 * fetched, and fetches that failed or were refused. */
	unsigned long	sts_out, sts_failed, sts_testing_failed;
	unsigned long	sts_fetched, sts_fetch_failed;
};

struct listd_deliver *listd_deliver_new(struct event_base *,
		    struct store *, const struct listd_deliver_cfg *,
		    struct err *);
void		 listd_deliver_free(struct listd_deliver *);

/* What a reload may change: the retry schedule (retry, nretry,
 * retry_every, give_up), the caps (max_connections, per_domain),
 * bounce_disable and the probes' times; copied from src to dst. */
void		 listd_deliver_policy_copy(struct listd_deliver_cfg *dst,
		    const struct listd_deliver_cfg *src);
/* A reload: cfg's policy (above) for every result and connection from
 * now on; its other fields need a new engine. */
void		 listd_deliver_policy(struct listd_deliver *,
		    const struct listd_deliver_cfg *);

/* The key named name of the database (store_secret), made of n (at
 * most 64) fresh random bytes at its first use: the one-click links'
 * key, the probes' (probe.c). */
int		 listd_secret(struct store *, const char *name, uint8_t *key,
		    size_t n, time_t now, struct err *);

/* New delivery rows were committed: look for due rows now. */
void		 listd_deliver_kick(struct listd_deliver *);

/* A message received for LIST-bounces+VERP@domain (verp is the part
 * after '+', e.g. "bob=example.net"), already stored: parse it (DSN or
 * other report) and charge the bounce.  0, or -1 with err when it could
 * not be recorded (the sender then gets a 451). */
int		 listd_bounce_take(struct listd_deliver *, const char *list,
		    const char *verp, const char *msg, size_t len,
		    struct err *);

void		 listd_deliver_stats(const struct listd_deliver *,
		    struct listd_deliver_stats *out);

#endif
