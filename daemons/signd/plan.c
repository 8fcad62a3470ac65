/*
 * plan.c: the keyring's decisions as pure functions of the published
 * selectors and the time (plan.h), so that tests drive them with a
 * table and a clock of their own.
 *
 * Two mistakes of the OCaml nec signer shape this file: its expiry test
 * was inverted, so here the one test of validity is created + lifetime >
 * now, written once (key_alive); and it never deleted a record, so here
 * every key of ours that expired more than the overlap ago is planned
 * for deletion.  The age of the newest key in the zone, not anything
 * remembered, decides whether to mint: a restart never mints twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static bool
kind_is_dkim(enum signd_kind k)
{
	return k == SIGND_DKIM_RSA || k == SIGND_DKIM_ED25519;
}

int
signd_selector_name(const struct signd_plan_cfg *c, enum signd_kind kind,
    time_t t, char *out)
{
	const char	*prefix;
	int		 n;

	prefix = kind_is_dkim(kind) ? c->dkim_prefix : c->arc_prefix;
	if (prefix == NULL || t < 0)
		return -1;
	n = snprintf(out, SIGND_SELECTOR_MAX, "%s%" PRIdMAX "%s", prefix,
	    (intmax_t)t, kind == SIGND_DKIM_ED25519 ? SIGND_ED25519_SUFFIX :
	    "");
	return n < 0 || n >= SIGND_SELECTOR_MAX ? -1 : 0;
}

/* The decimal time at s, up to end (without leading zeros); -1 if not. */
static int
parse_time(const char *s, const char *end, time_t *out)
{
	intmax_t	v = 0;
	const char	*p;

	if (s == end || (*s == '0' && end - s > 1) || end - s > 18)
		return -1;
	for (p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	*out = (time_t)v;
	return 0;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return prefix != NULL && *prefix != '\0' &&
	    strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool
signd_selector_parse(const struct signd_plan_cfg *c, const char *name,
    enum signd_kind *kind_out, time_t *created_out)
{
	const char	*t, *end;
	size_t		 len, slen = strlen(SIGND_ED25519_SUFFIX);
	enum signd_kind	 kind;
	time_t		 created;

	len = strlen(name);
	end = name + len;
	/* The longer prefix first: "arc-" must not be read as "a"+... */
	if (has_prefix(name, c->dkim_prefix) && (!has_prefix(name,
	    c->arc_prefix) || strlen(c->dkim_prefix) >= strlen(c->arc_prefix))) {
		t = name + strlen(c->dkim_prefix);
		kind = SIGND_DKIM_RSA;
		if (end - t > (ptrdiff_t)slen &&
		    strcasecmp(end - slen, SIGND_ED25519_SUFFIX) == 0) {
			end -= slen;
			kind = SIGND_DKIM_ED25519;
		}
	} else if (has_prefix(name, c->arc_prefix)) {
		t = name + strlen(c->arc_prefix);
		kind = SIGND_ARC;
	} else
		return false;
	if (parse_time(t, end, &created) == -1 || !c->kinds[kind])
		return false;
	*kind_out = kind;
	*created_out = created;
	return true;
}

static bool
key_alive(const struct signd_plan_cfg *c, const struct signd_pub *p,
    time_t now)
{
	return p->created + c->lifetime > now;
}

static void
next_at(struct signd_plan *pl, time_t t, time_t now)
{
	if (t > now && (pl->next == 0 || t < pl->next))
		pl->next = t;
}

/* The unexpired pubs of kind, newest first, to idx; their number. */
static size_t
alive_sorted(const struct signd_plan_cfg *c, const struct signd_pub *pubs,
    size_t n, enum signd_kind kind, time_t now, size_t *idx)
{
	size_t	i, j, m = 0;

	for (i = 0; i < n; i++) {
		if (pubs[i].kind != kind || !key_alive(c, &pubs[i], now))
			continue;
		/* insertion: newest first, ties by name for a stable plan */
		for (j = m; j > 0 && (pubs[idx[j - 1]].created <
		    pubs[i].created || (pubs[idx[j - 1]].created ==
		    pubs[i].created && strcmp(pubs[idx[j - 1]].selector,
		    pubs[i].selector) > 0)); j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		m++;
	}
	return m;
}

static void
plan_kind(const struct signd_plan_cfg *c, const struct signd_pub *pubs,
    size_t n, enum signd_kind kind, time_t now, size_t *idx,
    struct signd_plan *pl)
{
	struct signd_kind_plan	*kp = &pl->kind[kind];
	size_t			 i, m;

	m = alive_sorted(c, pubs, n, kind, now, idx);
	for (i = 0; i < m; i++) {
		const struct signd_pub *p = &pubs[idx[i]];

		next_at(pl, p->created + c->lifetime, now);
		if (p->check == SIGND_MISMATCH)
			kp->held = true;
		else if (p->check == SIGND_UNCHECKED && kp->verify == -1 &&
		    kp->current == -1)
			kp->verify = (int)idx[i];
		else if (p->check == SIGND_MATCH && !p->visible &&
		    kp->lookup == -1 && kp->current == -1)
			kp->lookup = (int)idx[i];
		else if (p->check == SIGND_MATCH && p->visible &&
		    kp->current == -1)
			kp->current = (int)idx[i];
	}
	if (!c->can_publish || kp->held)
		return;
	if (m == 0)
		kp->mint_at = now;
	else
		kp->mint_at = pubs[idx[0]].created + c->lifetime - c->overlap;
	if (kp->mint_at <= now)
		kp->mint = true;
	else
		next_at(pl, kp->mint_at, now);
}

int
signd_plan_make(const struct signd_plan_cfg *c, const struct signd_pub *pubs,
    size_t n, time_t now, struct signd_plan *pl)
{
	size_t		*idx;
	size_t		 i;
	int		 k;
	time_t		 gone;

	memset(pl, 0, sizeof(*pl));
	for (k = 0; k < SIGND_NKINDS; k++) {
		pl->kind[k].current = pl->kind[k].verify = -1;
		pl->kind[k].lookup = -1;
	}
	if ((idx = calloc(n + 1, sizeof(*idx))) == NULL ||
	    (pl->del = calloc(n + 1, sizeof(*pl->del))) == NULL) {
		free(idx);
		return -1;
	}
	for (k = 0; k < SIGND_NKINDS; k++)
		if (c->kinds[k])
			plan_kind(c, pubs, n, (enum signd_kind)k, now, idx, pl);
	free(idx);
	for (i = 0; i < n && c->can_publish; i++) {
		if (!c->kinds[pubs[i].kind] || pl->kind[pubs[i].kind].held)
			continue;
		gone = pubs[i].created + c->lifetime + c->overlap;
		if (gone <= now)
			pl->del[pl->ndel++] = i;
		else
			next_at(pl, gone, now);
	}
	return 0;
}

void
signd_plan_fini(struct signd_plan *pl)
{
	free(pl->del);
	pl->del = NULL;
	pl->ndel = 0;
}
