/*
 * keyring.h: timbre-signd's signing keys and their life cycle.
 *
 * A keyring holds, for each kind of signature signd adds (DKIM with
 * rsa-sha256, DKIM with ed25519-sha256, the ARC set with rsa-sha256), the
 * key to sign with now.  Keys are never stored: each is derived from the
 * password, the domain and the selector published in DNS (src/keys,
 * derivation v1, or nec for the Ed25519 keys: then the generation
 * number nec used stands in for the selector), checked against the
 * published public key, minted and published by TSIG-signed UPDATE
 * when the newest is older than its lifetime less the overlap, switched
 * to once the resolver answers the new record, and deleted by UPDATE
 * once expired for longer than the overlap (the "Key life cycle" of
 * timbre-signd(8)).
 *
 * The keyring runs on the daemon's event base with its own timers and
 * DNS traffic; the SMTP and milter paths only ask it for the current
 * key of a kind.  It never blocks the loop: derivation of an RSA key
 * (about 0.1 s) runs off the loop or is bounded and rare (at start and
 * at rotation).
 */
#ifndef TIMBRE_SIGND_KEYRING_H
#define TIMBRE_SIGND_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "keys/derive.h"

struct event_base;
struct err;
struct key;

enum signd_kind {
	SIGND_DKIM_RSA,		/* DKIM-Signature a=rsa-sha256 */
	SIGND_DKIM_ED25519,	/* DKIM-Signature a=ed25519-sha256 */
	SIGND_ARC,		/* the ARC set (rsa-sha256, RFC 8617) */
	SIGND_NKINDS
};

/* A key to sign with, refcounted: valid until signd_signkey_drop(),
 * whatever the keyring does meanwhile (a rotation, a deletion). */
struct signd_signkey {
	struct key	*key;		/* private; owned by this object */
	char		 selector[64];	/* s= */
	time_t		 created;	/* t= of the key, from its selector */
	time_t		 expires;	/* created + lifetime: x= */
	unsigned	 refs;
};

struct signd_keyring_cfg {
	const char		*domain;	/* d=, the zone's apex */
	const uint8_t		*password;	/* copied, wiped when freed */
	size_t			 password_len;
	/* KEY_DERIVE_V1, or KEY_DERIVE_NEC for the Ed25519 keys (the
	 * RSA ones stay v1) */
	enum key_derivation	 derivation;
	bool			 kinds[SIGND_NKINDS];	/* which to keep */
	int			 rsa_bits;	/* --key-bits */
	time_t			 lifetime;	/* --key-lifetime */
	time_t			 overlap;	/* --key-overlap */
	const char		*dkim_prefix;	/* "dkim-" (selector format) */
	const char		*arc_prefix;	/* "arc-" */
	/* --resolver: where published records are read back. */
	struct sockaddr_storage	 resolver;
	socklen_t		 resolver_len;
	/* --primary and --tsig-key-file: where UPDATEs go; primary_len 0
	 * means no primary, so the keyring only uses keys it finds. */
	struct sockaddr_storage	 primary;
	socklen_t		 primary_len;
	const char		*tsig_name;	/* copied */
	const char		*tsig_alg;	/* "hmac-sha256", ... */
	const uint8_t		*tsig_secret;	/* copied, wiped when freed */
	size_t			 tsig_secret_len;
	time_t			 clock_offset;	/* test hook: added to now */
	/* Called (may be NULL) whenever the current key of a kind changes
	 * or becomes unusable, so the daemon can log or run a self-check. */
	void			(*changed)(enum signd_kind, void *);
	void			 *arg;
	/* Without a primary the zone cannot be listed: the selectors to
	 * look up through the resolver, NULL-terminated (--selector); the
	 * newest unexpired one of each kind that matches is used.  Ignored
	 * with a primary, which the AXFR lists.  Added after the rest, so
	 * that callers that do not set it keep compiling. */
	const char *const	*known_selectors;
};

struct signd_keyring_stats {
	unsigned long	published, deleted, rotations;
	unsigned long	update_failures, lookup_failures, mismatches;
};

/* Starts the life cycle on base (a first look-up at once); cfg and what
 * it points to are copied.  NULL with err on a bad configuration. */
struct signd_keyring *signd_keyring_new(struct event_base *base,
		    const struct signd_keyring_cfg *cfg, struct err *);
void		 signd_keyring_free(struct signd_keyring *);

/* The key of kind to sign with now, a new reference; NULL when there is
 * none (not found or published yet, or the published key does not match
 * the password: then nothing is signed with that kind). */
struct signd_signkey *signd_keyring_get(struct signd_keyring *,
		    enum signd_kind);
void		 signd_signkey_drop(struct signd_signkey *);

/* The keyring's now: time(NULL) + the configured clock offset. */
time_t		 signd_keyring_now(const struct signd_keyring *);

void		 signd_keyring_stats(const struct signd_keyring *,
		    struct signd_keyring_stats *out);

#endif
