/*
 * keyring_drive.c: the keyring of timbre-signd on an event loop of its
 * own, for tests/integration/signd_keys.sh until the daemon runs it:
 *
 *	keyring_drive --domain D --password-file F --resolver A:P
 *	    [--primary A:P --tsig-key-file F] [--selector S]...
 *	    [--kinds rsa,ed25519,arc] [--bits N] [--lifetime S]
 *	    [--overlap S] [--clock-offset S] [--seconds N]
 *	    [--until current | --until STAT=N]...
 *
 * It logs to stderr at debug level and stops when every --until holds
 * (exit 0) or after --seconds (exit 0 without --until, else 1).  On
 * stdout it then prints, for each kind, "KIND SELECTOR" of the key
 * signd_keyring_get gives ("KIND none" without one) and the counters as
 * "stats published=N deleted=N ...".  Each change of a current key is
 * printed as it happens ("changed KIND SELECTOR").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "keyring.h"
#include "keys/mac.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/log.h"
#include "util/opt.h"

#define MAX_UNTIL	8
#define MAX_SELECTORS	16

static const char *const kind_names[SIGND_NKINDS] = {
	"dkim-rsa", "dkim-ed25519", "arc"
};

struct drive {
	struct event_base	*base;
	struct signd_keyring	*kr;
	const char		*until[MAX_UNTIL];
	int			 nuntil;
	bool			 kinds[SIGND_NKINDS];
	bool			 met;
};

static void
usage(void)
{
	fprintf(stderr, "usage: keyring_drive --domain D --password-file F "
	    "--resolver A:P [--primary A:P --tsig-key-file F] ...\n");
	exit(2);
}

/* The file's bytes without a final newline (a secret: wiped by caller). */
static char *
read_secret(const char *path, size_t *len_out)
{
	FILE	*f;
	char	*s;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL ||
	    (s = calloc(1, 4096)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	n = fread(s, 1, 4095, f);
	fclose(f);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	*len_out = n;
	return s;
}

static unsigned long
stat_of(const struct signd_keyring_stats *st, const char *name, bool *ok)
{
	*ok = true;
	if (strcmp(name, "published") == 0)
		return st->published;
	if (strcmp(name, "deleted") == 0)
		return st->deleted;
	if (strcmp(name, "rotations") == 0)
		return st->rotations;
	if (strcmp(name, "update_failures") == 0)
		return st->update_failures;
	if (strcmp(name, "lookup_failures") == 0)
		return st->lookup_failures;
	if (strcmp(name, "mismatches") == 0)
		return st->mismatches;
	*ok = false;
	return 0;
}

static bool
holds(struct drive *d, const char *cond)
{
	struct signd_keyring_stats	 st;
	struct signd_signkey		*sk;
	const char			*eq;
	char				 name[32];
	bool				 ok;
	int				 k;

	if (strcmp(cond, "current") == 0) {
		for (k = 0; k < SIGND_NKINDS; k++) {
			if (!d->kinds[k])
				continue;
			if ((sk = signd_keyring_get(d->kr, k)) == NULL)
				return false;
			signd_signkey_drop(sk);
		}
		return true;
	}
	signd_keyring_stats(d->kr, &st);
	if ((eq = strchr(cond, '=')) == NULL ||
	    (size_t)(eq - cond) >= sizeof(name))
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - cond), cond);
	return stat_of(&st, name, &ok) >= strtoul(eq + 1, NULL, 10) && ok;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct drive	*d = arg;
	int		 i;

	(void)fd;
	(void)what;
	if (d->nuntil == 0)
		return;
	for (i = 0; i < d->nuntil; i++)
		if (!holds(d, d->until[i]))
			return;
	d->met = true;
	event_base_loopexit(d->base, NULL);
}

static void
on_changed(enum signd_kind kind, void *arg)
{
	struct drive		*d = arg;
	struct signd_signkey	*sk;

	sk = signd_keyring_get(d->kr, kind);
	printf("changed %s %s\n", kind_names[kind], sk != NULL ?
	    sk->selector : "none");
	fflush(stdout);
	signd_signkey_drop(sk);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "primary", required_argument, NULL, 'P' },
		{ "tsig-key-file", required_argument, NULL, 'k' },
		{ "selector", required_argument, NULL, 's' },
		{ "kinds", required_argument, NULL, 'K' },
		{ "bits", required_argument, NULL, 'b' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "overlap", required_argument, NULL, 'o' },
		{ "clock-offset", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct signd_keyring_cfg	 cfg;
	struct signd_keyring_stats	 st;
	struct signd_signkey		*sk;
	struct drive			 d;
	struct opt_addr			 a;
	struct event			*tick;
	struct timeval			 tv = { 0, 50000 }, limit = { 60, 0 };
	struct err			 err;
	const char			*selectors[MAX_SELECTORS + 1];
	char				*pw = NULL, *tsig = NULL, *alg, *sec;
	uint8_t				*secret = NULL;
	size_t				 pwlen = 0, tsiglen = 0, secretlen = 0;
	int				 c, k, nsel = 0;

	memset(&cfg, 0, sizeof(cfg));
	memset(&d, 0, sizeof(d));
	cfg.derivation = KEY_DERIVE_V1;
	cfg.rsa_bits = 2048;
	cfg.lifetime = 30 * 86400;
	cfg.overlap = 7 * 86400;
	cfg.dkim_prefix = "dkim-";
	cfg.arc_prefix = "arc-";
	d.kinds[SIGND_DKIM_RSA] = d.kinds[SIGND_DKIM_ED25519] = true;
	d.kinds[SIGND_ARC] = true;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.domain = optarg;
			break;
		case 'p':
			pw = read_secret(optarg, &pwlen);
			break;
		case 'r':
		case 'P':
			if (opt_parse_addr(optarg, 53, &a, &err) == -1) {
				fprintf(stderr, "%s: %s\n", optarg, err.msg);
				return 2;
			}
			if (c == 'r') {
				cfg.resolver = a.ss;
				cfg.resolver_len = a.len;
			} else {
				cfg.primary = a.ss;
				cfg.primary_len = a.len;
			}
			break;
		case 'k':
			tsig = read_secret(optarg, &tsiglen);
			break;
		case 's':
			if (nsel < MAX_SELECTORS)
				selectors[nsel++] = optarg;
			break;
		case 'K':
			d.kinds[SIGND_DKIM_RSA] = strstr(optarg, "rsa") != NULL;
			d.kinds[SIGND_DKIM_ED25519] =
			    strstr(optarg, "ed25519") != NULL;
			d.kinds[SIGND_ARC] = strstr(optarg, "arc") != NULL;
			break;
		case 'b':
			cfg.rsa_bits = atoi(optarg);
			break;
		case 'l':
			cfg.lifetime = atol(optarg);
			break;
		case 'o':
			cfg.overlap = atol(optarg);
			break;
		case 'c':
			cfg.clock_offset = atol(optarg);
			break;
		case 't':
			limit.tv_sec = atol(optarg);
			break;
		case 'u':
			if (d.nuntil < MAX_UNTIL)
				d.until[d.nuntil++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (cfg.domain == NULL || pw == NULL || cfg.resolver_len == 0)
		usage();
	selectors[nsel] = NULL;
	cfg.known_selectors = selectors;
	memcpy(cfg.kinds, d.kinds, sizeof(cfg.kinds));
	cfg.password = (const uint8_t *)pw;
	cfg.password_len = pwlen;
	if (tsig != NULL) {
		/* NAME:ALG:BASE64, as timbre tsig-keygen prints it */
		if ((alg = strchr(tsig, ':')) == NULL ||
		    (sec = strchr(alg + 1, ':')) == NULL)
			usage();
		*alg++ = '\0';
		*sec++ = '\0';
		if (b64_decode(sec, strlen(sec), &secret, &secretlen,
		    &err) == -1) {
			fprintf(stderr, "tsig key: %s\n", err.msg);
			return 2;
		}
		cfg.tsig_name = tsig;
		cfg.tsig_alg = alg;
		cfg.tsig_secret = secret;
		cfg.tsig_secret_len = secretlen;
	}
	cfg.changed = on_changed;
	cfg.arg = &d;
	log_init("keyring_drive", 1, LOG_LEVEL_DEBUG);
	if ((d.base = event_base_new()) == NULL)
		return 1;
	if ((d.kr = signd_keyring_new(d.base, &cfg, &err)) == NULL) {
		fprintf(stderr, "keyring: %s\n", err.msg);
		return 1;
	}
	/* the keyring keeps copies: wipe ours now */
	key_wipe(pw, 4096);
	if (tsig != NULL)
		key_wipe(tsig, 4096);
	if (secret != NULL)
		key_wipe(secret, secretlen);
	tick = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
	event_add(tick, &tv);
	event_base_loopexit(d.base, &limit);
	event_base_dispatch(d.base);
	for (k = 0; k < SIGND_NKINDS; k++) {
		if (!d.kinds[k])
			continue;
		sk = signd_keyring_get(d.kr, k);
		printf("%s %s\n", kind_names[k], sk != NULL ? sk->selector :
		    "none");
		signd_signkey_drop(sk);
	}
	signd_keyring_stats(d.kr, &st);
	printf("stats published=%lu deleted=%lu rotations=%lu "
	    "update_failures=%lu lookup_failures=%lu mismatches=%lu\n",
	    st.published, st.deleted, st.rotations, st.update_failures,
	    st.lookup_failures, st.mismatches);
	event_free(tick);
	signd_keyring_free(d.kr);
	event_base_free(d.base);
	free(pw);
	free(tsig);
	free(secret);
	return d.nuntil == 0 || d.met ? 0 : 1;
}
