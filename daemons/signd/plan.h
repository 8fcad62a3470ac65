/*
 * plan.h: the keyring's decisions, without sockets, clocks or crypto:
 * the selector names of each kind of key, and, given the selectors a
 * zone publishes, what they are known to hold and the time, which key
 * to sign with, what to verify or look up next, when to mint a key and
 * which records to delete (the "Key life cycle" of docs/interface.md).
 * keyring.c does the I/O and the derivations and asks again.
 *
 * Selectors (the created time is the one the name carries):
 *	DKIM rsa-sha256		<dkim_prefix><t>		dkim-1767225600
 *	DKIM ed25519-sha256	<dkim_prefix><t>-ed25519	dkim-1767225600-ed25519
 *	ARC (rsa-sha256)	<arc_prefix><t>			arc-1767225600
 * A DKIM rsa and an ed25519 key minted at the same second cannot share a
 * name (a name has one key record), hence the suffix; rsa keeps the bare
 * dkim-<t> of docs/interface.md.  t is decimal without leading zeros.
 */
#ifndef TIMBRE_SIGND_PLAN_H
#define TIMBRE_SIGND_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "keyring.h"

#define SIGND_ED25519_SUFFIX	"-ed25519"
#define SIGND_SELECTOR_MAX	64	/* bytes with the NUL */
/* What the keyring knows of one published selector. */
enum signd_check {
	SIGND_UNCHECKED,	/* the derived key not yet compared */
	SIGND_MATCH,		/* derived public key == published p= */
	SIGND_MISMATCH,		/* it differs: never sign with it */
};

struct signd_pub {
	char		 selector[SIGND_SELECTOR_MAX];
	enum signd_kind	 kind;
	time_t		 created;
	enum signd_check check;
	bool		 visible;	/* the resolver answers this p= */
};

struct signd_plan_cfg {
	const char	*dkim_prefix, *arc_prefix;
	bool		 kinds[SIGND_NKINDS];
	time_t		 lifetime, overlap;
	bool		 can_publish;	/* a primary is configured */
};

/* The plan for one kind; indexes are into the pubs given, -1 for none. */
struct signd_kind_plan {
	int	current;	/* the key to sign with */
	int	verify;		/* derive and compare this one first */
	int	lookup;		/* ask the resolver whether it sees this */
	bool	mint;		/* publish a key made now */
	bool	held;		/* a mismatch: the zone is left alone */
	time_t	mint_at;	/* when minting is due (no mint yet) */
};

struct signd_plan {
	struct signd_kind_plan	 kind[SIGND_NKINDS];
	/* the pubs to delete by UPDATE (expired more than the overlap ago) */
	size_t			*del;
	size_t			 ndel;
	/* the earliest time something in this plan changes */
	time_t			 next;
};

/*
 * The selector of kind created at t, to out (SIGND_SELECTOR_MAX bytes).
 * -1 if it does not fit or prefix is NULL.
 */
int	signd_selector_name(const struct signd_plan_cfg *, enum signd_kind,
	    time_t t, char *out);
/*
 * Reads a selector back: true with its kind and time when name is one
 * of the forms above for a kind that is configured (kinds[]).  Any
 * other name in _domainkey is not the keyring's and left alone.
 */
bool	signd_selector_parse(const struct signd_plan_cfg *, const char *name,
	    enum signd_kind *kind_out, time_t *created_out);

/*
 * The plan for pubs[0..n) at now (order does not matter).  For each
 * configured kind, among its unexpired keys (created + lifetime > now),
 * newest first: current is the first that matches and is visible;
 * verify the first unchecked one newer than current; lookup the first
 * matching but not visible one newer than current.  A kind with a
 * mismatch among its unexpired keys is held: nothing minted or deleted
 * for it (a wrong password never touches the zone).  Otherwise, with
 * can_publish, mint when it has no unexpired key or its newest was made
 * at or before now - (lifetime - overlap), and delete its keys with
 * created + lifetime + overlap <= now.  del is malloc'ed (free with
 * signd_plan_fini); -1 only when memory is short.
 */
int	signd_plan_make(const struct signd_plan_cfg *,
	    const struct signd_pub *, size_t n, time_t now,
	    struct signd_plan *out);
void	signd_plan_fini(struct signd_plan *);

#endif
