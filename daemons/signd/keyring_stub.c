/*
 * keyring_stub.c: a stand-in for keyring.c (branch signd-keys) until it
 * is merged, so that the SMTP and milter paths can be built and tested
 * end to end.  It implements keyring.h without DNS: each kind's key is
 * derived at start for the selector <prefix><T>, T taken from the
 * environment variable TIMBRE_SIGND_STUB_CREATED (the test publishes the
 * matching records beforehand).  It is removed when keyring.c lands.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "keyring.h"
#include "keys/derive.h"
#include "keys/key.h"
#include "util/err.h"

struct signd_keyring {
	struct signd_signkey	*cur[SIGND_NKINDS];
	time_t			 offset;
};

struct signd_keyring *
signd_keyring_new(struct event_base *base, const struct signd_keyring_cfg *c,
    struct err *err)
{
	struct signd_keyring	*kr;
	struct key_derive_params p;
	struct signd_signkey	*k;
	const char		*t = getenv("TIMBRE_SIGND_STUB_CREATED");
	int			 i;

	(void)base;
	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	kr->offset = c->clock_offset;
	if (t == NULL)
		return kr;
	for (i = 0; i < SIGND_NKINDS; i++) {
		if (!c->kinds[i] || (k = calloc(1, sizeof(*k))) == NULL)
			continue;
		k->created = (time_t)strtoll(t, NULL, 10);
		k->expires = k->created + c->lifetime;
		k->refs = 1;
		snprintf(k->selector, sizeof(k->selector), "%s%s",
		    i == SIGND_ARC ? c->arc_prefix : c->dkim_prefix, t);
		memset(&p, 0, sizeof(p));
		p.derivation = KEY_DERIVE_V1;
		p.type = i == SIGND_DKIM_ED25519 ? KEY_ED25519 : KEY_RSA;
		p.password = c->password;
		p.password_len = c->password_len;
		p.domain = c->domain;
		p.selector = k->selector;
		p.bits = c->rsa_bits;
		if ((k->key = key_derive(&p, err)) == NULL) {
			free(k);
			continue;
		}
		kr->cur[i] = k;
	}
	return kr;
}

void
signd_keyring_free(struct signd_keyring *kr)
{
	int	i;

	if (kr == NULL)
		return;
	for (i = 0; i < SIGND_NKINDS; i++)
		if (kr->cur[i] != NULL)
			signd_signkey_drop(kr->cur[i]);
	free(kr);
}

struct signd_signkey *
signd_keyring_get(struct signd_keyring *kr, enum signd_kind kind)
{
	if (kr->cur[kind] == NULL)
		return NULL;
	kr->cur[kind]->refs++;
	return kr->cur[kind];
}

void
signd_signkey_drop(struct signd_signkey *k)
{
	if (k == NULL || --k->refs > 0)
		return;
	key_free(k->key);
	free(k);
}

time_t
signd_keyring_now(const struct signd_keyring *kr)
{
	return time(NULL) + kr->offset;
}

void
signd_keyring_stats(const struct signd_keyring *kr,
    struct signd_keyring_stats *out)
{
	(void)kr;
	memset(out, 0, sizeof(*out));
}
