/*
 * keyring.c: timbre-signd's key life cycle (keyring.h; docs/interface.md,
 * "Key life cycle"), the I/O around the decisions of plan.c.
 *
 * The zone is the only state.  A refresh reads the key records (AXFR
 * from the primary, or, without one, TXT look-ups of the selectors the
 * operator names) and merges them with what is already known of each
 * (checked, visible, its derived key).  Then one step at a time, each
 * from its own timer callback so that the loop runs between them: plan;
 * switch the current keys; derive and compare one unchecked key; ask the
 * resolver for one published key it has not answered yet; mint and
 * publish one key by UPDATE; delete the expired records by UPDATE; sleep
 * until the plan changes or the next refresh.  A derivation (PBKDF2,
 * and for RSA the prime search) is the longest step: about 0.1 s to 1 s,
 * at start and at rotation only.
 *
 * Failures of the primary or the resolver never drop a key in use: the
 * last records read stay, and the step is retried with back-off.
 *
 * With --derivation nec the Ed25519 keys are nec's, a function of a
 * generation number instead of the selector: the generation of a
 * published key is searched for, a new key takes the next one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "keyring.h"
#include "plan.h"
#include "dkim/dkim.h"
#include "dns/dns.h"
#include "keys/derive.h"
#include "keys/key.h"
#include "keys/mac.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define REFRESH_SECS		600	/* a new look at the zone */
#define REFRESH_BUSY_SECS	30	/* ... while a key waits to be seen */
#define RETRY_MIN_SECS		2	/* back-off of failed exchanges */
#define RETRY_MAX_SECS		600
#define LOOKUP_MIN_SECS		1	/* waiting for the resolver */
#define LOOKUP_MAX_SECS		60
#define LOOKUP_TRIES		10	/* then wait for the next refresh */
#define RECORD_TTL		3600
/* --derivation nec: the generations tried on a published Ed25519 key,
 * on the loop, once per key: PBKDF2 with g iterations each, 525 000 in
 * all, measured at 0.3 s (one nec derivation of that many iterations,
 * on a loaded 2-core machine). */
#define NEC_MAX_GENERATION	1024

/* A published selector and what the keyring knows of it. */
struct kpub {
	struct signd_pub	 pub;
	char			*p;	/* the published key, base64 DER */
	struct key		*key;	/* derived private key, on MATCH */
	unsigned long		 generation;	/* nec: of key, on MATCH */
	int			 lookups;
};

enum busy {
	BUSY_NONE,
	BUSY_REFRESH,
	BUSY_LOOKUP,
	BUSY_UPDATE,
};

struct signd_keyring {
	struct event_base	*base;
	char			*domain;
	uint8_t			*password;
	size_t			 password_len;
	uint8_t			*nec_password;	/* nec: password, decoded */
	size_t			 nec_password_len;
	char			*dkim_prefix, *arc_prefix;
	char			**known;	/* no primary: the selectors */
	size_t			 nknown;
	int			 rsa_bits;
	enum key_derivation	 derivation;	/* of the Ed25519 keys */
	time_t			 clock_offset;
	struct signd_plan_cfg	 pc;
	void			(*changed)(enum signd_kind, void *);
	void			*arg;

	struct dns_stub		*stub;
	struct dns_xfr		*primary;	/* src/dns/xfr.c */
	struct event		*timer;
	struct kpub		*pubs;
	size_t			 npubs;
	struct signd_signkey	*cur[SIGND_NKINDS];
	enum busy		 busy;

	/* refresh from the known selectors (no primary) */
	struct kpub		*fresh;
	size_t			 nfresh, nasked, nanswered;
	bool			 fresh_failed;

	time_t			 refresh_due;	/* real time */
	time_t			 update_retry_at;	/* real time */
	int			 update_backoff, refresh_backoff;
	time_t			 lookup_at;	/* real time */
	int			 lookup_backoff;
	/* the records an UPDATE in flight changes */
	struct kpub		 mint;
	size_t			*deleting;
	size_t			 ndeleting;
	int			 lookup_idx;

	struct signd_keyring_stats stats;
};

static void	step(evutil_socket_t, short, void *);

/* The name of the record of selector in zone, to out (DNS_MAX_NAME+2). */
static int
record_name(const char *selector, const char *zone, char *out, size_t size)
{
	int	n;

	n = snprintf(out, size, "%s._domainkey.%s", selector, zone);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static const char *
kind_name(enum signd_kind k)
{
	switch (k) {
	case SIGND_DKIM_RSA:
		return "dkim-rsa";
	case SIGND_DKIM_ED25519:
		return "dkim-ed25519";
	default:
		return "arc";
	}
}

static enum key_type
kind_key_type(enum signd_kind k)
{
	return k == SIGND_DKIM_ED25519 ? KEY_ED25519 : KEY_RSA;
}

time_t
signd_keyring_now(const struct signd_keyring *kr)
{
	return time(NULL) + kr->clock_offset;
}

static void
kpub_fini(struct kpub *k)
{
	free(k->p);
	key_free(k->key);
	memset(k, 0, sizeof(*k));
}

static void
pubs_free(struct kpub *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		kpub_fini(&v[i]);
	free(v);
}

/* Runs step after secs seconds (0: from the loop, as soon as it can). */
static void
wake(struct signd_keyring *kr, time_t secs)
{
	struct timeval	tv = { secs > 0 ? secs : 0, 0 };

	evtimer_del(kr->timer);
	evtimer_add(kr->timer, &tv);
}

static int
backoff(int *b)
{
	*b = *b == 0 ? RETRY_MIN_SECS : *b * 2;
	if (*b > RETRY_MAX_SECS)
		*b = RETRY_MAX_SECS;
	return *b;
}

/* The canonical base64 of the key record txt's key, or NULL (logged). */
static char *
record_key(struct signd_keyring *kr, const char *sel, enum signd_kind kind,
    const char *txt)
{
	struct dkim_keyrec	 rec;
	struct buf		 b;
	struct err		 err;
	char			*s = NULL;

	if (dkim_keyrec_parse(txt, &rec, &err) == -1) {
		log_warn("keyring %s._domainkey.%s: ignored: %s", sel,
		    kr->domain, err.msg);
		return NULL;
	}
	if (rec.revoked) {
		log_info("keyring %s._domainkey.%s: revoked (empty p=)", sel,
		    kr->domain);
		dkim_keyrec_fini(&rec);
		return NULL;
	}
	buf_init(&b, 16384);
	if (rec.key_type != (int)kind_key_type(kind))
		/* our name, another type: it can never match */
		s = strdup("-");
	else if (key_public_b64(rec.key, &b, &err) == 0 &&
	    buf_addc(&b, '\0', &err) == 0) {
		s = b.data;
		b.data = NULL;
	}
	buf_fini(&b);
	dkim_keyrec_fini(&rec);
	return s;
}

/* Adds one published record to v (grown); 0 also when it is not ours. */
static int
pub_add(struct signd_keyring *kr, struct kpub **v, size_t *n,
    const char *sel, const char *txt)
{
	struct kpub	*nv, k;

	memset(&k, 0, sizeof(k));
	if (strlen(sel) >= sizeof(k.pub.selector) ||
	    !signd_selector_parse(&kr->pc, sel, &k.pub.kind, &k.pub.created))
		return 0;
	snprintf(k.pub.selector, sizeof(k.pub.selector), "%s", sel);
	if ((k.p = record_key(kr, sel, k.pub.kind, txt)) == NULL)
		return 0;
	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
		free(k.p);
		return -1;
	}
	nv[(*n)++] = k;
	*v = nv;
	return 0;
}

/* Takes v[0..n) as the zone's records, keeping what is known of each. */
static void
pubs_merge(struct signd_keyring *kr, struct kpub *v, size_t n,
    bool visible)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		v[i].pub.visible = visible;
		for (j = 0; j < kr->npubs; j++) {
			struct kpub *o = &kr->pubs[j];

			if (strcmp(o->pub.selector, v[i].pub.selector) != 0 ||
			    strcmp(o->p, v[i].p) != 0)
				continue;
			v[i].pub.check = o->pub.check;
			v[i].pub.visible = visible || o->pub.visible;
			v[i].key = o->key;
			v[i].generation = o->generation;
			/* a key given up on gets a new round of look-ups */
			v[i].lookups = o->lookups < LOOKUP_TRIES ?
			    o->lookups : 0;
			o->key = NULL;
		}
	}
	pubs_free(kr->pubs, kr->npubs);
	kr->pubs = v;
	kr->npubs = n;
}

static void
refresh_done(struct signd_keyring *kr, bool ok, const char *why)
{
	kr->busy = BUSY_NONE;
	if (!ok) {
		kr->stats.lookup_failures++;
		log_warn("keyring refresh of %s failed: %s (retry in %d s)",
		    kr->domain, why, backoff(&kr->refresh_backoff));
		kr->refresh_due = time(NULL) + kr->refresh_backoff;
	} else {
		kr->refresh_backoff = 0;
		kr->refresh_due = time(NULL) + REFRESH_SECS;
	}
	wake(kr, 0);
}

static void
on_axfr(bool ok, const char *why, const struct dns_xfr_txt *recs, size_t n,
    void *arg)
{
	struct signd_keyring	*kr = arg;
	struct kpub		*v = NULL;
	size_t			 i, nv = 0;

	for (i = 0; ok && i < n; i++)
		if (pub_add(kr, &v, &nv, recs[i].label, recs[i].txt) == -1) {
			ok = false;
			why = "out of memory";
		}
	if (ok) {
		log_debug("keyring refresh %s: %zu key records of ours",
		    kr->domain, nv);
		pubs_merge(kr, v, nv, false);
	} else
		pubs_free(v, nv);
	refresh_done(kr, ok, why);
}

static void
on_known(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct signd_keyring	*kr = arg;
	const char		*sel = kr->known[kr->nanswered];
	char			**txts = NULL;
	size_t			 n = 0, i;
	struct err		 err;

	kr->nanswered++;
	if (st == DNS_OK && dns_msg_txts(msg, NULL, &txts, &n, &err) == 0) {
		for (i = 0; i < n; i++)
			if (pub_add(kr, &kr->fresh, &kr->nfresh, sel,
			    txts[i]) == -1)
				kr->fresh_failed = true;
		dns_txts_free(txts, n);
	} else if (st != DNS_NXDOMAIN && st != DNS_NODATA)
		kr->fresh_failed = true;
	if (kr->nanswered < kr->nknown) {
		struct err e;
		char name[DNS_MAX_NAME + 2];

		if (record_name(kr->known[kr->nanswered], kr->domain,
		    name, sizeof(name)) == -1 || dns_stub_query(kr->stub, name,
		    DNS_T_TXT, on_known, kr, &e) == -1) {
			kr->fresh_failed = true;
			kr->nanswered = kr->nknown;
		} else
			return;
	}
	if (kr->fresh_failed) {
		pubs_free(kr->fresh, kr->nfresh);
		refresh_done(kr, false, "look-up failed");
	} else {
		pubs_merge(kr, kr->fresh, kr->nfresh, true);
		refresh_done(kr, true, "");
	}
	kr->fresh = NULL;
	kr->nfresh = 0;
}

static void
refresh(struct signd_keyring *kr)
{
	struct err	err;
	char		name[DNS_MAX_NAME + 2];

	kr->busy = BUSY_REFRESH;
	if (kr->primary != NULL) {
		/* the key records are at <selector>.<name> */
		snprintf(name, sizeof(name), "_domainkey.%s", kr->domain);
		if (dns_xfr_axfr(kr->primary, name, on_axfr, kr, &err) == -1)
			refresh_done(kr, false, err.msg);
		return;
	}
	kr->fresh = NULL;
	kr->nfresh = kr->nanswered = 0;
	kr->fresh_failed = false;
	if (record_name(kr->known[0], kr->domain, name,
	    sizeof(name)) == -1 || dns_stub_query(kr->stub, name, DNS_T_TXT,
	    on_known, kr, &err) == -1)
		refresh_done(kr, false, "bad selector name");
}

/* Is kind's key nec's (--derivation nec: its Ed25519 keys only)? */
static bool
is_nec(const struct signd_keyring *kr, enum signd_kind kind)
{
	return kr->derivation == KEY_DERIVE_NEC && kind_key_type(kind) ==
	    KEY_ED25519;
}

/* The key of sel: v1's, or for nec the generation gen's (sel unused). */
static struct key *
derive(struct signd_keyring *kr, enum signd_kind kind, const char *sel,
    int bits, unsigned long gen, struct err *err)
{
	struct key_derive_params	dp;

	memset(&dp, 0, sizeof(dp));
	dp.derivation = is_nec(kr, kind) ? KEY_DERIVE_NEC : KEY_DERIVE_V1;
	dp.generation = gen;
	dp.type = kind_key_type(kind);
	/* nec's password is the bytes its base64 --password decodes to,
	 * as in timbre key derive --derivation nec. */
	dp.password = is_nec(kr, kind) ? kr->nec_password : kr->password;
	dp.password_len = is_nec(kr, kind) ? kr->nec_password_len :
	    kr->password_len;
	dp.domain = kr->domain;
	dp.selector = sel;
	dp.bits = dp.type == KEY_RSA ? bits : 0;
	return key_derive(&dp, err);
}

static char *
public_b64(struct key *k, struct err *err)
{
	struct buf	b;
	char		*s = NULL;

	buf_init(&b, 16384);
	if (key_public_b64(k, &b, err) == 0 && buf_addc(&b, '\0', err) == 0) {
		s = b.data;
		b.data = NULL;
	}
	buf_fini(&b);
	return s;
}

static void
verify_result(struct signd_keyring *kr, struct kpub *k, struct key *priv)
{
	if (priv != NULL) {
		k->pub.check = SIGND_MATCH;
		k->key = priv;
		log_info("keyring verified s=%s kind=%s%s", k->pub.selector,
		    kind_name(k->pub.kind), is_nec(kr, k->pub.kind) ?
		    " derivation=nec" : "");
		return;
	}
	k->pub.check = SIGND_MISMATCH;
	kr->stats.mismatches++;
	log_error("keyring %s._domainkey.%s: the published key is not "
	    "the one the password derives: not signing with it",
	    k->pub.selector, kr->domain);
}

/*
 * nec's key of a selector depends on a generation number, not on the
 * name (nec counted the records in the zone), so the generation is
 * found: the first of 1 to NEC_MAX_GENERATION whose key is the one
 * published.
 */
static void
verify_nec(struct signd_keyring *kr, struct kpub *k)
{
	struct key	*priv;
	struct err	 err;
	char		*mine;
	unsigned long	 g;

	for (g = 1; g <= NEC_MAX_GENERATION; g++) {
		if ((priv = derive(kr, k->pub.kind, k->pub.selector, 0, g,
		    &err)) == NULL || (mine = public_b64(priv, &err)) ==
		    NULL) {
			log_error("keyring %s._domainkey.%s: cannot derive its "
			    "key: %s", k->pub.selector, kr->domain, err.msg);
			key_free(priv);
			break;
		}
		if (strcmp(mine, k->p) == 0) {
			free(mine);
			k->generation = g;
			log_info("keyring s=%s is nec generation %lu",
			    k->pub.selector, g);
			verify_result(kr, k, priv);
			return;
		}
		free(mine);
		key_free(priv);
	}
	verify_result(kr, k, NULL);
}

/* The generation a new nec key takes: one more than any known. */
static unsigned long
nec_next_generation(const struct signd_keyring *kr, enum signd_kind kind)
{
	unsigned long	g = 0;
	size_t		i;

	for (i = 0; i < kr->npubs; i++)
		if (kr->pubs[i].pub.kind == kind && kr->pubs[i].generation > g)
			g = kr->pubs[i].generation;
	return g + 1;
}

/* Derives the key of k and compares it with the published one. */
static void
verify(struct signd_keyring *kr, struct kpub *k)
{
	struct key	*pub = NULL, *priv;
	struct err	 err;
	char		*mine = NULL;
	int		 bits = kr->rsa_bits;
	uint8_t		*der;
	size_t		 len;

	/* An RSA key is derived at the size it was published with, so a
	 * change of --key-bits applies to new keys only. */
	if (kind_key_type(k->pub.kind) == KEY_RSA && strcmp(k->p, "-") != 0 &&
	    b64_decode(k->p, strlen(k->p), &der, &len, &err) == 0) {
		pub = key_from_public(KEY_RSA, der, len, &err);
		free(der);
		if (pub != NULL)
			bits = key_bits(pub);
		key_free(pub);
	}
	if (is_nec(kr, k->pub.kind)) {
		verify_nec(kr, k);
		return;
	}
	if ((priv = derive(kr, k->pub.kind, k->pub.selector, bits, 0,
	    &err)) == NULL || (mine = public_b64(priv, &err)) == NULL) {
		/* not the zone's fault: say so, never sign with it */
		log_error("keyring %s._domainkey.%s: cannot derive its key: %s",
		    k->pub.selector, kr->domain, err.msg);
		k->pub.check = SIGND_MISMATCH;
		kr->stats.mismatches++;
		key_free(priv);
		return;
	}
	if (strcmp(mine, k->p) != 0) {
		key_free(priv);
		priv = NULL;
	}
	verify_result(kr, k, priv);
	free(mine);
}

static void
on_lookup(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct signd_keyring	*kr = arg;
	struct kpub		*k;
	char			**txts = NULL, *p;
	size_t			 n = 0, i;
	struct err		 err;
	bool			 seen = false;

	kr->busy = BUSY_NONE;
	if (kr->lookup_idx < 0 || (size_t)kr->lookup_idx >= kr->npubs) {
		wake(kr, 0);
		return;
	}
	k = &kr->pubs[kr->lookup_idx];
	if (st == DNS_OK && dns_msg_txts(msg, NULL, &txts, &n, &err) == 0) {
		for (i = 0; i < n && !seen; i++) {
			p = record_key(kr, k->pub.selector, k->pub.kind,
			    txts[i]);
			seen = p != NULL && strcmp(p, k->p) == 0;
			free(p);
		}
		dns_txts_free(txts, n);
	}
	if (seen) {
		k->pub.visible = true;
		kr->lookup_backoff = 0;
		wake(kr, 0);
		return;
	}
	/* A resolver may cache the NXDOMAIN it had before the record was
	 * published (RFC 2308): back off, and after LOOKUP_TRIES leave it
	 * to the next refresh. */
	k->lookups++;
	if (st != DNS_OK && st != DNS_NXDOMAIN && st != DNS_NODATA)
		kr->stats.lookup_failures++;
	kr->lookup_backoff = kr->lookup_backoff == 0 ? LOOKUP_MIN_SECS :
	    kr->lookup_backoff * 2;
	if (kr->lookup_backoff > LOOKUP_MAX_SECS)
		kr->lookup_backoff = LOOKUP_MAX_SECS;
	log_info("keyring %s._domainkey.%s: not seen by the resolver yet "
	    "(%s, try %d)", k->pub.selector, kr->domain, dns_status_str(st),
	    k->lookups);
	kr->lookup_at = time(NULL) + kr->lookup_backoff;
	wake(kr, 0);		/* other work (a mint) need not wait for it */
}

static void
lookup(struct signd_keyring *kr, int idx)
{
	struct err	err;
	char		name[DNS_MAX_NAME + 2];

	kr->lookup_idx = idx;
	if (record_name(kr->pubs[idx].pub.selector, kr->domain, name,
	    sizeof(name)) == -1 || dns_stub_query(kr->stub, name, DNS_T_TXT,
	    on_lookup, kr, &err) == -1) {
		kr->pubs[idx].lookups = LOOKUP_TRIES;
		wake(kr, 0);
		return;
	}
	kr->busy = BUSY_LOOKUP;
}

static void
update_failed(struct signd_keyring *kr, const char *what, const char *why)
{
	kr->stats.update_failures++;
	log_warn("keyring update of %s (%s) failed: %s (retry in %d s)",
	    kr->domain, what, why, backoff(&kr->update_backoff));
	kr->update_retry_at = time(NULL) + kr->update_backoff;
}

static void
on_minted(bool ok, const char *why, const struct dns_xfr_txt *recs, size_t n,
    void *arg)
{
	struct signd_keyring	*kr = arg;
	struct kpub		*nv;

	(void)recs;
	(void)n;
	kr->busy = BUSY_NONE;
	if (!ok) {
		update_failed(kr, kr->mint.pub.selector, why);
		kpub_fini(&kr->mint);
		wake(kr, 0);
		return;
	}
	kr->update_backoff = 0;
	kr->stats.published++;
	if (kr->mint.generation > 0)
		log_info("keyring publish s=%s kind=%s d=%s derivation=nec "
		    "generation=%lu", kr->mint.pub.selector,
		    kind_name(kr->mint.pub.kind), kr->domain,
		    kr->mint.generation);
	else
		log_info("keyring publish s=%s kind=%s d=%s",
		    kr->mint.pub.selector, kind_name(kr->mint.pub.kind),
		    kr->domain);
	if ((nv = reallocarray(kr->pubs, kr->npubs + 1, sizeof(*nv))) ==
	    NULL) {
		/* the next refresh finds it in the zone */
		kpub_fini(&kr->mint);
		wake(kr, 0);
		return;
	}
	kr->pubs = nv;
	kr->pubs[kr->npubs++] = kr->mint;
	memset(&kr->mint, 0, sizeof(kr->mint));
	kr->refresh_due = time(NULL) + REFRESH_BUSY_SECS;
	wake(kr, 0);
}

/* Mints the key of kind made now and publishes it. */
static void
mint(struct signd_keyring *kr, enum signd_kind kind, time_t now)
{
	struct dns_xfr_change	 ch;
	struct buf		 txt;
	struct err		 err;
	struct kpub		*k = &kr->mint;
	char			 name[DNS_MAX_NAME + 2];

	memset(k, 0, sizeof(*k));
	k->pub.kind = kind;
	k->pub.created = now;
	k->pub.check = SIGND_MATCH;
	buf_init(&txt, 16384);
	if (is_nec(kr, kind))
		k->generation = nec_next_generation(kr, kind);
	if (signd_selector_name(&kr->pc, kind, now, k->pub.selector) == -1 ||
	    (k->key = derive(kr, kind, k->pub.selector, kr->rsa_bits,
	    k->generation, &err)) == NULL || (k->p = public_b64(k->key, &err)) == NULL ||
	    key_dkim_txt(k->key, &txt, &err) == -1 ||
	    buf_addc(&txt, '\0', &err) == -1 ||
	    record_name(k->pub.selector, kr->domain, name,
	    sizeof(name)) == -1) {
		log_error("keyring cannot mint a %s key: %s", kind_name(kind),
		    err.msg);
		kpub_fini(k);
		buf_fini(&txt);
		kr->update_retry_at = time(NULL) + backoff(&kr->update_backoff);
		wake(kr, 0);
		return;
	}
	ch.add = true;
	ch.name = name;
	ch.txt = txt.data;
	ch.ttl = RECORD_TTL;
	if (dns_xfr_update(kr->primary, &ch, 1, on_minted, kr,
	    &err) == -1) {
		update_failed(kr, k->pub.selector, err.msg);
		kpub_fini(k);
		wake(kr, 0);
	} else
		kr->busy = BUSY_UPDATE;
	buf_fini(&txt);
}

static void
on_deleted(bool ok, const char *why, const struct dns_xfr_txt *recs, size_t n,
    void *arg)
{
	struct signd_keyring	*kr = arg;
	size_t			 i, w;

	(void)recs;
	(void)n;
	kr->busy = BUSY_NONE;
	if (!ok) {
		update_failed(kr, "delete", why);
	} else {
		kr->update_backoff = 0;
		for (i = 0; i < kr->ndeleting; i++) {
			kr->stats.deleted++;
			log_info("keyring delete s=%s d=%s",
			    kr->pubs[kr->deleting[i]].pub.selector, kr->domain);
			kr->pubs[kr->deleting[i]].pub.selector[0] = '\0';
		}
		for (i = w = 0; i < kr->npubs; i++) {
			if (kr->pubs[i].pub.selector[0] == '\0') {
				kpub_fini(&kr->pubs[i]);
				continue;
			}
			kr->pubs[w++] = kr->pubs[i];
		}
		kr->npubs = w;
	}
	free(kr->deleting);
	kr->deleting = NULL;
	kr->ndeleting = 0;
	wake(kr, 0);
}

static void
delete_expired(struct signd_keyring *kr, const struct signd_plan *pl)
{
	struct dns_xfr_change	*ch;
	char			(*names)[DNS_MAX_NAME + 2];
	struct err		 err;
	size_t			 i;

	ch = calloc(pl->ndel, sizeof(*ch));
	names = calloc(pl->ndel, sizeof(*names));
	if (ch == NULL || names == NULL ||
	    (kr->deleting = calloc(pl->ndel, sizeof(size_t))) == NULL) {
		free(names);
		free(ch);
		wake(kr, RETRY_MIN_SECS);
		return;
	}
	for (i = 0; i < pl->ndel; i++) {
		ch[i].add = false;
		/* a selector of signd_selector_name fits */
		(void)record_name(kr->pubs[pl->del[i]].pub.selector,
		    kr->domain, names[i], sizeof(names[i]));
		ch[i].name = names[i];
		kr->deleting[i] = pl->del[i];
	}
	kr->ndeleting = pl->ndel;
	if (dns_xfr_update(kr->primary, ch, pl->ndel, on_deleted, kr,
	    &err) == -1) {
		update_failed(kr, "delete", err.msg);
		free(kr->deleting);
		kr->deleting = NULL;
		kr->ndeleting = 0;
		wake(kr, 0);
	} else
		kr->busy = BUSY_UPDATE;
	free(names);
	free(ch);
}

static void
signkey_release(struct signd_keyring *kr, enum signd_kind kind)
{
	signd_signkey_drop(kr->cur[kind]);
	kr->cur[kind] = NULL;
}

/* Makes pubs[idx] (-1: none) the key of kind. */
static void
switch_to(struct signd_keyring *kr, enum signd_kind kind, int idx)
{
	struct signd_signkey	*sk, *old = kr->cur[kind];
	struct kpub		*k = idx >= 0 ? &kr->pubs[idx] : NULL;

	if (k == NULL && old == NULL)
		return;
	if (k != NULL && old != NULL &&
	    strcmp(old->selector, k->pub.selector) == 0)
		return;
	if (k == NULL) {
		log_warn("keyring no %s key to sign with (was s=%s)",
		    kind_name(kind), old->selector);
		signkey_release(kr, kind);
	} else {
		if ((sk = calloc(1, sizeof(*sk))) == NULL)
			return;		/* the next step tries again */
		sk->key = key_ref(k->key);
		snprintf(sk->selector, sizeof(sk->selector), "%s",
		    k->pub.selector);
		sk->created = k->pub.created;
		sk->expires = k->pub.created + kr->pc.lifetime;
		sk->refs = 1;
		if (old != NULL)
			kr->stats.rotations++;
		log_info("keyring sign kind=%s s=%s expires=%" PRIdMAX "%s%s",
		    kind_name(kind), sk->selector, (intmax_t)sk->expires,
		    old != NULL ? " was=" : "", old != NULL ? old->selector :
		    "");
		signkey_release(kr, kind);
		kr->cur[kind] = sk;
	}
	if (kr->changed != NULL)
		kr->changed(kind, kr->arg);
}

/* The plan for the signd_pub part of each kpub. */
static int
make_plan(struct signd_keyring *kr, time_t now, struct signd_plan *pl)
{
	struct signd_pub	*v;
	size_t			 i;
	int			 rc;

	if ((v = calloc(kr->npubs + 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < kr->npubs; i++)
		v[i] = kr->pubs[i].pub;
	rc = signd_plan_make(&kr->pc, v, kr->npubs, now, pl);
	free(v);
	return rc;
}

static void
step(evutil_socket_t fd, short what, void *arg)
{
	struct signd_keyring	*kr = arg;
	struct signd_plan	 pl;
	time_t			 now, real, sleep_for, t;
	int			 k, idx;
	bool			 waiting = false;

	(void)fd;
	(void)what;
	if (kr->busy != BUSY_NONE)
		return;
	real = time(NULL);
	/* refresh_due is 0 at start; after a failed refresh it is the
	 * retry's time, which must be waited for even if no refresh ever
	 * succeeded (else a resolver down at start spins the loop). */
	if (real >= kr->refresh_due) {
		refresh(kr);
		return;
	}
	now = signd_keyring_now(kr);
	if (make_plan(kr, now, &pl) == -1) {
		wake(kr, RETRY_MIN_SECS);
		return;
	}
	for (k = 0; k < SIGND_NKINDS; k++)
		if (kr->pc.kinds[k])
			switch_to(kr, (enum signd_kind)k, pl.kind[k].current);
	/* One derivation per callback. */
	for (k = 0; k < SIGND_NKINDS; k++)
		if (pl.kind[k].verify >= 0) {
			verify(kr, &kr->pubs[pl.kind[k].verify]);
			signd_plan_fini(&pl);
			wake(kr, 0);
			return;
		}
	for (k = 0; k < SIGND_NKINDS; k++) {
		idx = pl.kind[k].lookup;
		if (idx < 0)
			continue;
		waiting = true;
		if (kr->pubs[idx].lookups >= LOOKUP_TRIES || real < kr->lookup_at)
			continue;
		lookup(kr, idx);
		signd_plan_fini(&pl);
		return;
	}
	if (kr->primary != NULL && real >= kr->update_retry_at) {
		for (k = 0; k < SIGND_NKINDS; k++)
			if (pl.kind[k].mint) {
				mint(kr, (enum signd_kind)k, now);
				signd_plan_fini(&pl);
				return;
			}
		if (pl.ndel > 0) {
			delete_expired(kr, &pl);
			signd_plan_fini(&pl);
			return;
		}
	}
	/* Asleep until the plan changes, a retry, or the next refresh. */
	if (waiting && kr->refresh_due > real + REFRESH_BUSY_SECS)
		kr->refresh_due = real + REFRESH_BUSY_SECS;
	sleep_for = kr->refresh_due - real;
	if (pl.next != 0 && pl.next - now < sleep_for)
		sleep_for = pl.next - now;
	if (kr->update_retry_at > real && kr->update_retry_at - real <
	    sleep_for)
		sleep_for = kr->update_retry_at - real;
	if (kr->lookup_at > real && (t = kr->lookup_at - real) < sleep_for)
		sleep_for = t;
	if (sleep_for < 1)
		sleep_for = 1;
	signd_plan_fini(&pl);
	wake(kr, sleep_for);
}

static char *
dup_or_null(const char *s, bool *failed)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = true;
	return d;
}

/* The primary of --primary, with the key of --tsig-key-file. */
static struct dns_xfr *
primary_new(struct event_base *base, const struct signd_keyring_cfg *c,
    struct err *err)
{
	struct dns_tsig_key	*key = NULL;
	struct dns_xfr		*p = NULL;
	struct buf		 spec;
	char			*b64;

	if (c->tsig_name == NULL || c->tsig_alg == NULL ||
	    c->tsig_secret == NULL || c->tsig_secret_len == 0) {
		err_set(err, ERR_ARG, "primary: an address and a TSIG key "
		    "are needed");
		return NULL;
	}
	if ((b64 = malloc(b64_encoded_len(c->tsig_secret_len) + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "primary: out of memory");
		return NULL;
	}
	b64[b64_encode(c->tsig_secret, c->tsig_secret_len, b64)] = '\0';
	buf_init(&spec, 4096);
	if (buf_printf(&spec, err, "%s:%s:%s", c->tsig_name, c->tsig_alg,
	    b64) == 0 && buf_addc(&spec, '\0', err) == 0 &&
	    (key = dns_tsig_key_parse(spec.data, err)) == NULL)
		err_prefix(err, "tsig key %s", c->tsig_name);
	key_wipe(b64, strlen(b64));
	free(b64);
	buf_fini_secret(&spec);
	if (key != NULL)
		p = dns_xfr_new(base, (const struct sockaddr *)&c->primary,
		    c->primary_len, c->domain, key, err);
	dns_tsig_key_free(key);
	return p;
}

struct signd_keyring *
signd_keyring_new(struct event_base *base, const struct signd_keyring_cfg *c,
    struct err *err)
{
	struct signd_keyring	*kr;
	struct dns_server	 srv;
	bool			 failed = false;
	size_t			 i;
	int			 k, nkinds = 0;

	for (k = 0; k < SIGND_NKINDS; k++)
		nkinds += c->kinds[k];
	if (c->domain == NULL || !key_derive_domain_ok(c->domain) ||
	    c->password == NULL || c->password_len == 0) {
		err_set(err, ERR_ARG, "keyring: a domain and a password are "
		    "needed");
		return NULL;
	}
	if (c->derivation != KEY_DERIVE_V1 && c->derivation !=
	    KEY_DERIVE_NEC) {
		err_set(err, ERR_ARG, "keyring: derivation v1 or nec");
		return NULL;
	}
	if (c->lifetime <= 0 || c->overlap < 0 || c->overlap >= c->lifetime) {
		err_set(err, ERR_ARG, "keyring: the overlap must be shorter "
		    "than the lifetime");
		return NULL;
	}
	if (nkinds == 0 || c->dkim_prefix == NULL || c->arc_prefix == NULL) {
		err_set(err, ERR_ARG, "keyring: no kind of key, or no "
		    "selector prefix");
		return NULL;
	}
	if (c->primary_len == 0 && (c->known_selectors == NULL ||
	    c->known_selectors[0] == NULL)) {
		err_set(err, ERR_ARG, "keyring: without --primary the "
		    "selectors to use must be named");
		return NULL;
	}
	if (c->resolver_len == 0 || c->resolver_len > sizeof(srv.addr)) {
		err_set(err, ERR_ARG, "keyring: no resolver address");
		return NULL;
	}
	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		err_set(err, ERR_NOMEM, "keyring: out of memory");
		return NULL;
	}
	kr->base = base;
	kr->lookup_idx = -1;
	kr->domain = dup_or_null(c->domain, &failed);
	kr->dkim_prefix = dup_or_null(c->dkim_prefix, &failed);
	kr->arc_prefix = dup_or_null(c->arc_prefix, &failed);
	if ((kr->password = malloc(c->password_len)) == NULL)
		failed = true;
	else {
		memcpy(kr->password, c->password, c->password_len);
		kr->password_len = c->password_len;
	}
	for (i = 0; c->primary_len == 0 && c->known_selectors[i] != NULL; i++)
		;
	if (i > 0 && (kr->known = calloc(i, sizeof(char *))) == NULL)
		failed = true;
	for (kr->nknown = 0; !failed && kr->nknown < i; kr->nknown++)
		kr->known[kr->nknown] = dup_or_null(
		    c->known_selectors[kr->nknown], &failed);
	kr->rsa_bits = c->rsa_bits > 0 ? c->rsa_bits : KEY_DERIVE_RSA_BITS;
	kr->derivation = c->derivation;
	kr->clock_offset = c->clock_offset;
	kr->changed = c->changed;
	kr->arg = c->arg;
	kr->pc.dkim_prefix = kr->dkim_prefix;
	kr->pc.arc_prefix = kr->arc_prefix;
	memcpy(kr->pc.kinds, c->kinds, sizeof(kr->pc.kinds));
	kr->pc.lifetime = c->lifetime;
	kr->pc.overlap = c->overlap;
	kr->pc.can_publish = c->primary_len > 0;
	if (failed || (kr->timer = evtimer_new(base, step, kr)) == NULL) {
		err_set(err, ERR_NOMEM, "keyring: out of memory");
		signd_keyring_free(kr);
		return NULL;
	}
	if (kr->derivation == KEY_DERIVE_NEC && (b64_decode((const char *)
	    kr->password, kr->password_len, &kr->nec_password,
	    &kr->nec_password_len, err) == -1 || kr->nec_password_len == 0)) {
		err_set(err, ERR_ARG, "--derivation nec: the password "
		    "is not the base64 nec's --password takes");
		signd_keyring_free(kr);
		return NULL;
	}
	memset(&srv, 0, sizeof(srv));
	memcpy(&srv.addr, &c->resolver, c->resolver_len);
	srv.addrlen = c->resolver_len;
	if ((kr->stub = dns_stub_new(base, &srv, NULL, err)) == NULL ||
	    (c->primary_len > 0 && (kr->primary = primary_new(base, c,
	    err)) == NULL)) {
		err_prefix(err, "keyring");
		signd_keyring_free(kr);
		return NULL;
	}
	wake(kr, 0);
	return kr;
}

void
signd_keyring_free(struct signd_keyring *kr)
{
	size_t	i;
	int	k;

	if (kr == NULL)
		return;
	if (kr->timer != NULL)
		event_free(kr->timer);
	dns_xfr_free(kr->primary);
	dns_stub_free(kr->stub);
	for (k = 0; k < SIGND_NKINDS; k++)
		signkey_release(kr, (enum signd_kind)k);
	pubs_free(kr->pubs, kr->npubs);
	pubs_free(kr->fresh, kr->nfresh);
	kpub_fini(&kr->mint);
	free(kr->deleting);
	if (kr->password != NULL)
		key_wipe(kr->password, kr->password_len);
	free(kr->password);
	if (kr->nec_password != NULL)
		key_wipe(kr->nec_password, kr->nec_password_len);
	free(kr->nec_password);
	for (i = 0; i < kr->nknown; i++)
		free(kr->known[i]);
	free(kr->known);
	free(kr->domain);
	free(kr->dkim_prefix);
	free(kr->arc_prefix);
	free(kr);
}

struct signd_signkey *
signd_keyring_get(struct signd_keyring *kr, enum signd_kind kind)
{
	struct signd_signkey	*sk;

	if ((unsigned)kind >= SIGND_NKINDS || (sk = kr->cur[kind]) == NULL)
		return NULL;
	/* A key that expired since the last step is not handed out. */
	if (sk->expires <= signd_keyring_now(kr))
		return NULL;
	sk->refs++;
	return sk;
}

void
signd_signkey_drop(struct signd_signkey *sk)
{
	if (sk == NULL || --sk->refs > 0)
		return;
	key_free(sk->key);
	free(sk);
}

void
signd_keyring_stats(const struct signd_keyring *kr,
    struct signd_keyring_stats *out)
{
	*out = kr->stats;
}
