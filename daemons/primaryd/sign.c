/*
 * sign.c: timbre-primaryd's online signing (--dnssec-sign, issue 22
 * part 2; docs/interface.md, "timbre-primaryd").  The zones in git stay
 * unsigned; each reload and each UPDATE hands the zones to sign to
 * auth_zone_sign (src/auth/sign.c) with the version served before, so
 * that only what changed is signed anew, and the result is served and
 * saved in the state directory (src/auth/signkey.c), where the keys
 * live too.  An hourly timer has the worker reload when a signature is
 * due for refresh, so the zone is re-signed well before any expires.
 *
 * When a zone cannot be signed (its key gone or unreadable), signing
 * stops for it and the version signed before is served: the one in
 * memory, or the one saved at the last run; a zone never signed and
 * whose key cannot be made is served unsigned, which is what its parent
 * (holding no DS yet) expects.  A zone signed offline (holding RRSIG,
 * NSEC or NSEC3 records) is served as it is.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "primaryd.h"

#define SIGN_CHECK_SECONDS	3600

bool
primaryd_sign_wanted(const struct primaryd_sign *sg, const char *zone)
{
	size_t	i;

	if (sg->all)
		return true;
	for (i = 0; i < sg->nzones; i++)
		if (strcasecmp(sg->zones[i], zone) == 0)
			return true;
	return false;
}

int
primaryd_sign_setup(struct primaryd_sign *sg, const struct primaryd_conf *c,
    struct err *err)
{
	size_t	i;
	int	rc;

	memset(sg, 0, sizeof(*sg));
	if (c->dnssec_sign.n == 0)
		return 0;
	sg->zones = (char **)c->dnssec_sign.v;
	sg->nzones = c->dnssec_sign.n;
	for (i = 0; i < sg->nzones; i++) {
		if (strcmp(sg->zones[i], "all") == 0)
			sg->all = true;
		/* "example.org." and "example.org" are one zone. */
		if (strlen(sg->zones[i]) > 1 &&
		    sg->zones[i][strlen(sg->zones[i]) - 1] == '.')
			sg->zones[i][strlen(sg->zones[i]) - 1] = '\0';
	}
	sg->dir = c->dnssec_dir;
	if (c->dnssec_algorithm == NULL ||
	    (rc = auth_sign_alg(c->dnssec_algorithm, &sg->alg)) == -1) {
		err_set(err, OPT_E_CONFIG, "--dnssec-algorithm %s: not "
		    "ecdsap256 or ed25519", c->dnssec_algorithm != NULL ?
		    c->dnssec_algorithm : "");
		return -1;
	}
	if (rc == -2) {
		err_set(err, OPT_E_CONFIG, "--dnssec-algorithm ed25519: the "
		    "ldns library timbre-primaryd was built with cannot sign "
		    "with Ed25519 (ldns 1.8 can); use ecdsap256");
		return -1;
	}
	if (auth_sign_denial_parse(c->dnssec_denial != NULL ?
	    c->dnssec_denial : "nsec", &sg->denial, err) == -1) {
		err_set(err, OPT_E_CONFIG, "--dnssec-denial %s", err->msg);
		return -1;
	}
	if (sg->denial.iterations > 0 || sg->denial.saltlen > 0)
		log_warn("--dnssec-denial %s: RFC 9276 asks for no salt and "
		    "0 iterations; validators may treat the zones as "
		    "insecure", c->dnssec_denial);
	return auth_sign_dir(sg->dir, err);
}

bool
primaryd_sign_due(const struct primaryd_sign *sg, const struct auth_db *db,
    time_t now)
{
	const struct auth_zone	*z;
	size_t			 i;

	if (sg == NULL || db == NULL || (!sg->all && sg->nzones == 0))
		return false;
	for (i = 0; i < auth_db_nzones(db); i++) {
		z = auth_db_zone_at(db, i);
		if (auth_zone_signed_online(z) &&
		    primaryd_sign_wanted(sg, auth_zone_name(z)) &&
		    auth_zone_sign_due(z, now))
			return true;
	}
	return false;
}

void
primaryd_sign_keep(const struct primaryd_sign *sg, const struct auth_zone *z)
{
	struct err	err;

	if (auth_sign_save(sg->dir, z, &err) == -1)
		log_warn("zone %s: signed version not saved (a restart "
		    "signs it all again): %s", auth_zone_name(z), err.msg);
}

/* The DS record of the zone's key, for the log of a new key. */
static void
log_new_key(const struct auth_zone *z, ldns_key_list *keys)
{
	ldns_key	*k = ldns_key_list_key(keys, 0);
	ldns_rr		*dnskey, *ds = NULL;
	char		*text = NULL;

	if ((dnskey = ldns_key2rr(k)) != NULL &&
	    (ds = ldns_key_rr2ds(dnskey, LDNS_SHA256)) != NULL)
		text = ldns_rr2str(ds);
	if (text != NULL)
		text[strcspn(text, "\n")] = '\0';
	log_warn("zone %s: new signing key (CSK) tag=%u algorithm=%d: the "
	    "zone validates only once its parent holds its DS; give the "
	    "registrar this record (`timbre key dnssec-ds` prints it again): "
	    "%s", auth_zone_name(z), ldns_key_keytag(k),
	    (int)ldns_key_algorithm(k), text != NULL ? text : "(none)");
	free(text);
	ldns_rr_free(ds);
	ldns_rr_free(dnskey);
}

/* plain signed with keys (made is their being new), prev (may be NULL)
 * the version before; NULL (err) when it cannot be. */
static struct auth_zone *
sign_with(const struct primaryd_sign *sg, ldns_key_list *keys, bool made,
    const struct auth_zone *plain, const struct auth_zone *prev,
    enum auth_serial_policy policy, struct err *err)
{
	struct auth_sign_stats	 st = { 0, 0 };
	struct auth_zone	*sz;

	if (prev != NULL && !auth_zone_sign_denial_is(prev, &sg->denial))
		log_info("zone %s: denial of existence changed: %s chain "
		    "made, the old one dropped", auth_zone_name(plain),
		    sg->denial.nsec3 ? "NSEC3" : "NSEC");
	sz = auth_zone_sign(plain, prev, keys, &sg->denial, time(NULL),
	    policy, &st, err);
	if (sz != NULL) {
		log_info("zone %s: signed serial=%u denial=%s "
		    "rrsets_signed=%zu rrsets_kept=%zu", auth_zone_name(sz),
		    auth_zone_serial(sz), sg->denial.nsec3 ? "nsec3" : "nsec",
		    st.made, st.reused);
		if (made)
			log_new_key(sz, keys);
	}
	return sz;
}

struct auth_zone *
primaryd_sign_update(const struct primaryd_sign *sg,
    const struct auth_zone *nz, const struct auth_zone *prev,
    enum auth_serial_policy policy, struct err *err)
{
	struct auth_zone	*sz;
	ldns_key_list		*keys;
	bool			 made;

	if ((keys = auth_sign_keys_load(sg->dir, auth_zone_name(nz), sg->alg,
	    &made, err)) == NULL)
		return NULL;
	sz = sign_with(sg, keys, made, nz, auth_zone_signed_online(prev) ?
	    prev : NULL, policy, err);
	auth_sign_keys_free(keys);
	return sz;
}

/* The zone to serve for z (loaded from git, or kept from old). */
static struct auth_zone *
sign_zone(const struct primaryd_sign *sg, struct auth_zone *z,
    const struct auth_zone *old, enum auth_serial_policy policy)
{
	const struct auth_zone	*plain = auth_zone_plain(z);
	struct auth_zone	*prev = NULL, *saved = NULL, *sz = NULL;
	ldns_key_list		*keys;
	struct err		 err;
	time_t			 now = time(NULL);
	bool			 made;

	if (auth_zone_signed_online(z))
		prev = z;		/* kept: it did not load */
	else if (old != NULL && auth_zone_signed_online(old))
		prev = (struct auth_zone *)old;
	/* Unchanged, and its signatures good for long enough. */
	if (prev != NULL && !auth_zone_sign_due(prev, now) &&
	    auth_zone_sign_denial_is(prev, &sg->denial) &&
	    auth_zone_same_but_serial(auth_zone_plain(prev), plain) &&
	    !auth_serial_lt(auth_zone_serial(prev), auth_zone_serial(plain)))
		return auth_zone_ref(prev);
	/* The version saved at the last run: its schedule goes on. */
	if (prev == NULL && (saved = auth_sign_saved(sg->dir, plain,
	    &err)) != NULL)
		prev = saved;
	if ((keys = auth_sign_keys_load(sg->dir, auth_zone_name(plain),
	    sg->alg, &made, &err)) != NULL) {
		/* Saved from the same records, still good: served as it
		 * is, serial and all (the secondaries need no transfer). */
		if (saved != NULL && auth_zone_signed_from(saved, plain) &&
		    auth_zone_sign_denial_is(saved, &sg->denial) &&
		    !auth_zone_sign_due(saved, now)) {
			log_info("zone %s: signed version serial=%u kept from "
			    "%s", auth_zone_name(saved),
			    auth_zone_serial(saved), sg->dir);
			auth_sign_keys_free(keys);
			return saved;
		}
		sz = sign_with(sg, keys, made, plain, prev, policy, &err);
		auth_sign_keys_free(keys);
	}
	if (sz != NULL) {
		primaryd_sign_keep(sg, sz);
	} else if (err.code == AUTH_E_ZONE) {
		log_warn("zone %s: %s", auth_zone_name(z), err.msg);
		sz = auth_zone_ref(z);
	} else if (prev != NULL) {
		log_error("zone %s: signing stopped, the version signed "
		    "before (serial %u) is served: %s", auth_zone_name(z),
		    auth_zone_serial(prev), err.msg);
		sz = auth_zone_ref(prev);
	} else {
		log_error("zone %s: not signed, served unsigned: %s",
		    auth_zone_name(z), err.msg);
		sz = auth_zone_ref(z);
	}
	auth_zone_free(saved);
	return sz;
}

void
primaryd_sign_db(const struct primaryd_sign *sg, struct auth_db *db,
    const struct auth_db *old, enum auth_serial_policy policy)
{
	struct auth_zone	*z, *sz;
	size_t			 i;

	for (i = 0; i < auth_db_nzones(db); i++) {
		z = auth_db_zone_at(db, i);
		if (!primaryd_sign_wanted(sg, auth_zone_name(z)))
			continue;
		sz = sign_zone(sg, z, old != NULL ? auth_db_zone(old,
		    auth_zone_name(z)) : NULL, policy);
		if (sz == z)
			auth_zone_free(sz);
		else
			auth_db_replace(db, sz);
	}
}

/* Hourly: a reload when a signature is due (the worker signs). */
static void
on_sign_check(evutil_socket_t fd, short what, void *arg)
{
	struct primaryd	*d = arg;
	struct job	*j;

	(void)fd;
	(void)what;
	if (!primaryd_sign_due(&d->sign, d->db, time(NULL)))
		return;
	log_info("primary signatures due for refresh: reloading");
	if ((j = job_new(JOB_RELOAD, NULL, NULL, 0, "re-sign")) == NULL)
		log_warn("primary re-sign: out of memory");
	else
		primaryd_submit(d, j);
}

void
primaryd_sign_start(struct primaryd *d)
{
	struct timeval	tv = { SIGN_CHECK_SECONDS, 0 };

	if (!d->sign.all && d->sign.nzones == 0)
		return;
	if ((d->sign_ev = event_new(d->base, -1, EV_PERSIST, on_sign_check,
	    d)) == NULL || event_add(d->sign_ev, &tv) == -1)
		fatal("cannot start the signing timer");
}

void
primaryd_sign_stop(struct primaryd *d)
{
	if (d->sign_ev != NULL)
		event_free(d->sign_ev);
	d->sign_ev = NULL;
}
