/*
 * options.c: the option table of timbre-signd (docs/interface.md,
 * "timbre-signd" and "Conventions shared by every daemon") and what it
 * means: the secrets read from their files or systemd credentials
 * ($CREDENTIALS_DIRECTORY/password, .../tsig-key), the signatures to
 * add, the selector prefixes, the --allow networks (util/acl.c) and the
 * --milter socket.
 */
#include <err.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "signd.h"
#include "keys/derive.h"
#include "util/b64.h"
#include "util/pool.h"
#include "util/err.h"

#define OFF(f) offsetof(struct signd_conf, f)
static const struct opt signd_options[] = {
	{ "listen", OPT_ADDR | OPT_REPEAT, NULL, OFF(listen),
	  "SMTP address for mail to sign, ADDR[:PORT] (repeatable; "
	  "default 127.0.0.1:25 unless --milter is given)", 0, 25 },
	{ "milter", OPT_STRING, NULL, OFF(milter),
	  "milter socket, ADDR:PORT or unix:PATH (default: off)", 0, 0 },
	{ "relay", OPT_STRING, NULL, OFF(relay),
	  "where signed mail is sent, HOST[:PORT] (required with "
	  "--listen; a name is resolved at start)", 0, 0 },
	{ "domain", OPT_STRING, NULL, OFF(domain),
	  "signing domain, d= (required)", 'd', 0 },
	{ "password-file", OPT_STRING, NULL, OFF(password_file),
	  "file holding the password keys are derived from (default: "
	  "$CREDENTIALS_DIRECTORY/password)", 0, 0 },
	{ "password", OPT_STRING | OPT_SECRET, NULL, OFF(password),
	  "the password itself (prefer --password-file)", 0, 0 },
	{ "resolver", OPT_ADDR, "127.0.0.1:53", OFF(resolver),
	  "DNS resolver for selectors and ARC keys, ADDR[:PORT]", 0, 53 },
	{ "primary", OPT_ADDR, NULL, OFF(primary),
	  "DNS primary taking UPDATEs of new keys, ADDR[:PORT]", 0, 53 },
	{ "tsig-key-file", OPT_STRING, NULL, OFF(tsig_key_file),
	  "file holding the UPDATE key NAME:ALGORITHM:BASE64SECRET "
	  "(default: $CREDENTIALS_DIRECTORY/tsig-key)", 0, 0 },
	{ "tsig-key", OPT_STRING | OPT_SECRET, NULL, OFF(tsig_key),
	  "the UPDATE key itself (prefer --tsig-key-file)", 0, 0 },
	{ "algorithm", OPT_STRING | OPT_REPEAT, NULL, OFF(algorithm),
	  "DKIM signature to add: rsa-sha256 or ed25519-sha256 "
	  "(repeatable; default both)", 'a', 0 },
	{ "key-lifetime", OPT_DURATION, "30d", OFF(key_lifetime),
	  "time from a key's creation to its expiry", 0, 0 },
	{ "key-overlap", OPT_DURATION, "7d", OFF(key_overlap),
	  "time before expiry a new key is minted, and after it the old "
	  "one is deleted", 0, 0 },
	{ "key-bits", OPT_INT, "2048", OFF(key_bits),
	  "RSA modulus size", 0, 0 },
	{ "derivation", OPT_STRING, "v1", OFF(derivation),
	  "how keys come from the password: v1, or nec (the Ed25519 keys "
	  "of the nec signer; RSA keys stay v1)", 0, 0 },
	{ "authserv-id", OPT_STRING, NULL, OFF(authserv_id),
	  "authserv-id of the Authentication-Results trusted for ARC "
	  "(default: the host name)", 0, 0 },
	{ "allow", OPT_STRING | OPT_REPEAT, NULL, OFF(allow),
	  "CIDR of SMTP clients allowed (repeatable; default: the listen "
	  "addresses' networks)", 0, 0 },
	{ "selector-format", OPT_STRING, "%s-%d", OFF(selector_format),
	  "selector names: %s the kind (dkim, arc), then %d the creation "
	  "time at the end", 0, 0 },
	{ "selector", OPT_STRING | OPT_REPEAT, NULL, OFF(selector),
	  "a published selector to look up when there is no --primary to "
	  "list the zone (repeatable)", 's', 0 },
	{ "hostname", OPT_STRING, NULL, OFF(hostname),
	  "name in the greeting and EHLO (default: the host name)", 0, 0 },
	{ "max-message-size", OPT_INT, "26214400", OFF(max_message_size),
	  "largest message accepted, in bytes (SIZE)", 0, 0 },
	{ "max-connections", OPT_INT, "100", OFF(max_connections),
	  "SMTP clients served at once", 0, 0 },
	{ "tls-cert", OPT_STRING, NULL, OFF(tls_cert),
	  "certificate chain (PEM) for STARTTLS (default: no STARTTLS)",
	  0, 0 },
	{ "tls-key", OPT_STRING, NULL, OFF(tls_key),
	  "its private key (PEM)", 0, 0 },
	{ "selfcheck-interval", OPT_DURATION, "10m", OFF(selfcheck_interval),
	  "how often a probe is signed and verified through --resolver "
	  "(and after every change of key)", 0, 0 },
	{ "clock-offset", OPT_INT, "0", OFF(clock_offset),
	  "seconds added to the clock of the key life cycle and of "
	  "signatures (a test hook)", 0, 0 },
	{ "stats-listen", OPT_ADDR, NULL, OFF(stats_listen),
	  "where to answer CH TXT stats.timbre. (UDP and TCP), ADDR[:PORT] "
	  "(default: off)", 0, 53 },
	{ "milter-mode", OPT_STRING, "0660", OFF(milter_mode),
	  "permissions of a unix milter socket, octal", 0, 0 },
	{ "milter-group", OPT_STRING, NULL, OFF(milter_group),
	  "group of a unix milter socket (the MTA's, e.g. postfix)", 0, 0 },
	{ "strict-selfcheck", OPT_BOOL, NULL, OFF(strict_selfcheck),
	  "refuse new mail (451) until the keys pass the self-check", 0,
	  0 },
	{ "sign-workers", OPT_STRING, NULL, OFF(sign_workers),
	  "threads computing the signatures, 0 to sign on the event loop "
	  "(default: the number of online CPUs)", 0, 0 },
	OPT_DAEMON_COMMON(OFF),
	{ NULL, 0, NULL, 0, NULL, 0, 0 },
};

const struct opt_program signd_program = {
	"timbre-signd",
	"DKIM and ARC signer: SMTP relay and milter",
	SYSCONFDIR "/timbre/timbre-signd.conf",
	signd_options,
};

const char *
signd_kind_name(enum signd_kind k)
{
	switch (k) {
	case SIGND_DKIM_RSA:
		return "rsa-sha256";
	case SIGND_DKIM_ED25519:
		return "ed25519-sha256";
	case SIGND_ARC:
		return "arc";
	default:
		return "?";
	}
}

static void
warn_secret(const char *msg)
{
	warnx("%s", msg);
}

/*
 * Reads a secret: the file named by opt, else the systemd credential
 * cred, else the argv form (already in *argv_val).  The trailing newline
 * is not part of it.  0 and *out NULL when there is none at all.
 */
static int
read_secret(const char *opt, const char *file, const char *cred,
    const char *argv_val, uint8_t **out, size_t *len_out, struct err *err)
{
	char		 path[4096];
	const char	*dir;
	FILE		*f;
	uint8_t		*data;
	size_t		 len;

	*out = NULL;
	*len_out = 0;
	if (file == NULL && (dir = getenv("CREDENTIALS_DIRECTORY")) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, cred);
		if (access(path, F_OK) == 0)
			file = path;
	}
	if (file == NULL) {
		if (argv_val == NULL)
			return 0;
		len = strlen(argv_val);
		if ((data = malloc(len + 1)) == NULL)
			goto nomem;
		memcpy(data, argv_val, len + 1);
	} else {
		if ((f = fopen(file, "r")) == NULL) {
			err_set(err, OPT_E_CONFIG, "--%s %s: %s", opt, file,
			    strerror(errno));
			return -1;
		}
		if ((data = malloc(4097)) == NULL) {
			fclose(f);
			goto nomem;
		}
		len = fread(data, 1, 4097, f);
		if (ferror(f) || len > 4096) {
			fclose(f);
			OPENSSL_cleanse(data, 4097);
			free(data);
			err_set(err, OPT_E_CONFIG, "--%s %s: %s", opt, file,
			    len > 4096 ? "longer than 4096 bytes" :
			    "read error");
			return -1;
		}
		fclose(f);
		data[len] = '\0';
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len == 0) {
		free(data);
		err_set(err, OPT_E_CONFIG, "--%s%s%s: empty", opt,
		    file ? " " : "", file ? file : "");
		return -1;
	}
	*out = data;
	*len_out = len;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

/*
 * --sign-workers: a decimal from 0 to POOL_MAX_WORKERS; without it, one
 * worker per online CPU, so that the signatures use every core while
 * the loop (one of them, mostly idle) only moves bytes.
 */
static int
parse_sign_workers(struct signd_settings *s, struct err *err)
{
	const char	*w = s->conf.sign_workers;
	char		*end;
	long		 n;

	if (w == NULL) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		s->sign_workers = n < 1 ? 1 : n > POOL_MAX_WORKERS ?
		    POOL_MAX_WORKERS : (unsigned)n;
		return 0;
	}
	errno = 0;
	n = strtol(w, &end, 10);
	if (errno != 0 || end == w || *end != '\0' || w[0] == '-' ||
	    w[0] == '+' || n < 0 || n > POOL_MAX_WORKERS) {
		err_set(err, OPT_E_CONFIG, "--sign-workers %s: not a number "
		    "from 0 (sign on the event loop) to %d", w,
		    POOL_MAX_WORKERS);
		return -1;
	}
	s->sign_workers = (unsigned)n;
	return 0;
}

/* NAME:ALGORITHM:BASE64SECRET, as timbre tsig-keygen prints it. */
static int
parse_tsig(struct signd_settings *s, uint8_t *text, struct err *err)
{
	char	*name = (char *)text, *alg, *secret;

	if ((alg = strchr(name, ':')) == NULL ||
	    (secret = strchr(alg + 1, ':')) == NULL)
		goto bad;
	*alg++ = '\0';
	*secret++ = '\0';
	if (*name == '\0' || *alg == '\0' || *secret == '\0')
		goto bad;
	if ((s->tsig_name = strdup(name)) == NULL ||
	    (s->tsig_alg = strdup(alg)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (b64_decode(secret, strlen(secret), &s->tsig_secret,
	    &s->tsig_secret_len, err) == -1 || s->tsig_secret_len == 0)
		goto bad;
	return 0;
bad:
	err_set(err, OPT_E_CONFIG, "--tsig-key-file: not "
	    "NAME:ALGORITHM:BASE64SECRET");
	return -1;
}

/* "%s-%d" -> "dkim-" and "arc-": the format must end in %d and hold
 * one %s before it. */
static int
parse_selector_format(struct signd_settings *s, struct err *err)
{
	const char	*f = s->conf.selector_format, *p;
	size_t		 len = strlen(f);
	int		 n;

	p = strstr(f, "%s");
	if (len < 2 || strcmp(f + len - 2, "%d") != 0 || p == NULL ||
	    strstr(p + 2, "%s") != NULL || strchr(f, '%') != p ||
	    strchr(p + 2, '%') != f + len - 2)
		goto bad;
	n = snprintf(s->dkim_prefix, sizeof(s->dkim_prefix), "%.*sdkim%.*s",
	    (int)(p - f), f, (int)(f + len - 2 - (p + 2)), p + 2);
	if (n < 0 || (size_t)n >= sizeof(s->dkim_prefix) - 12)
		goto bad;
	snprintf(s->arc_prefix, sizeof(s->arc_prefix), "%.*sarc%.*s",
	    (int)(p - f), f, (int)(f + len - 2 - (p + 2)), p + 2);
	return 0;
bad:
	err_set(err, OPT_E_CONFIG, "--selector-format %s: not a name with "
	    "one %%s (the kind) and %%d (the time) at its end", f);
	return -1;
}

static int
parse_milter(struct signd_settings *s, struct err *err)
{
	const char	*m = s->conf.milter;
	char		*end;
	long		 mode;

	s->milter_on = true;
	if (strncmp(m, "unix:", 5) == 0) {
		if (m[5] == '\0' || strlen(m + 5) >= sizeof(s->milter_sun.
		    sun_path)) {
			err_set(err, OPT_E_CONFIG, "--milter %s: no path, or "
			    "a path too long", m);
			return -1;
		}
		s->milter_unix = true;
		s->milter_sun.sun_family = AF_UNIX;
		errno = 0;
		mode = strtol(s->conf.milter_mode, &end, 8);
		if (errno != 0 || *end != '\0' || end == s->conf.milter_mode ||
		    mode < 0 || mode > 0777) {
			err_set(err, OPT_E_CONFIG, "--milter-mode %s: not an "
			    "octal mode from 0 to 0777", s->conf.milter_mode);
			return -1;
		}
		s->milter_mode = (mode_t)mode;
		snprintf(s->milter_sun.sun_path, sizeof(s->milter_sun.
		    sun_path), "%s", m + 5);
		return 0;
	}
	if (strncmp(m, "inet:", 5) == 0)
		m += 5;
	if (opt_parse_addr(m, 0, &s->milter_addr, err) == -1) {
		err_prefix(err, "--milter");
		return -1;
	}
	return 0;
}

/*
 * --relay: an address as every ADDR[:PORT] option takes it, else a host
 * name and an optional port, resolved now by the system's resolver
 * (util/opt.c): the first address it gives is used until the daemon
 * restarts.
 */
static int
parse_relay(struct signd_settings *s, struct err *err)
{
	if (opt_parse_host_addr(s->conf.relay, 25, &s->relay, err) == -1) {
		err_prefix(err, "--relay");
		return -1;
	}
	return 0;
}

int
signd_settings_load(int argc, char *argv[], struct signd_settings *s,
    struct err *err)
{
	struct acl_net	 n;
	uint8_t		*tsig = NULL;
	size_t		 i, tsig_len;
	const char	*a;

	memset(s, 0, sizeof(*s));
	if (opt_load(&signd_program, argc, argv, &s->conf, warn_secret,
	    err) == -1) {
		/* What it set before the bad value: a reload goes on. */
		opt_free(&signd_program, &s->conf);
		return -1;
	}
	if (s->conf.domain == NULL || !key_derive_domain_ok(s->conf.domain)) {
		err_set(err, OPT_E_CONFIG, "--domain: %s", s->conf.domain ?
		    "not a domain name" : "required");
		goto fail;
	}
	if (s->conf.milter != NULL && parse_milter(s, err) == -1)
		goto fail;
	if (s->conf.listen.n == 0 && !s->milter_on) {
		struct opt_addr	*l;

		if ((l = calloc(1, sizeof(*l))) == NULL ||
		    opt_parse_addr("127.0.0.1:25", 25, l, err) == -1) {
			free(l);
			err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		s->conf.listen.v = l;
		s->conf.listen.n = 1;
	}
	if (s->conf.listen.n > 0 && s->conf.relay == NULL) {
		err_set(err, OPT_E_CONFIG, "--relay: required with --listen");
		goto fail;
	}
	if (s->conf.relay != NULL && parse_relay(s, err) == -1)
		goto fail;
	if (read_secret("password-file", s->conf.password_file, "password",
	    s->conf.password, &s->password, &s->password_len, err) == -1)
		goto fail;
	if (s->password == NULL) {
		err_set(err, OPT_E_CONFIG, "--password-file: required (or "
		    "the systemd credential \"password\")");
		goto fail;
	}
	if (read_secret("tsig-key-file", s->conf.tsig_key_file, "tsig-key",
	    s->conf.tsig_key, &tsig, &tsig_len, err) == -1)
		goto fail;
	if (tsig != NULL) {
		i = (size_t)parse_tsig(s, tsig, err);
		OPENSSL_cleanse(tsig, tsig_len);
		free(tsig);
		if (i != 0)
			goto fail;
	}
	if (s->conf.primary.len != 0 && s->tsig_secret == NULL) {
		err_set(err, OPT_E_CONFIG, "--primary: needs --tsig-key-file");
		goto fail;
	}
	if (s->conf.primary.len == 0 && s->conf.selector.n == 0) {
		err_set(err, OPT_E_CONFIG, "--selector: required without "
		    "--primary (the zone cannot be listed)");
		goto fail;
	}
	if ((s->selectors = calloc(s->conf.selector.n + 1,
	    sizeof(*s->selectors))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < s->conf.selector.n; i++) {
		s->selectors[i] = ((char **)s->conf.selector.v)[i];
		if (!key_derive_selector_ok(s->selectors[i])) {
			err_set(err, OPT_E_CONFIG, "--selector %s: not a "
			    "selector", s->selectors[i]);
			goto fail;
		}
	}
	if (s->conf.algorithm.n == 0) {
		s->kinds[SIGND_DKIM_RSA] = true;
		s->kinds[SIGND_DKIM_ED25519] = true;
	}
	for (i = 0; i < s->conf.algorithm.n; i++) {
		a = ((char **)s->conf.algorithm.v)[i];
		if (strcasecmp(a, "rsa-sha256") == 0)
			s->kinds[SIGND_DKIM_RSA] = true;
		else if (strcasecmp(a, "ed25519-sha256") == 0)
			s->kinds[SIGND_DKIM_ED25519] = true;
		else {
			err_set(err, OPT_E_CONFIG, "--algorithm %s: not "
			    "rsa-sha256 or ed25519-sha256", a);
			goto fail;
		}
	}
	s->kinds[SIGND_ARC] = true;
	if (strcasecmp(s->conf.derivation, "v1") == 0)
		s->derivation = KEY_DERIVE_V1;
	else if (strcasecmp(s->conf.derivation, "nec") == 0)
		s->derivation = KEY_DERIVE_NEC;
	else {
		err_set(err, OPT_E_CONFIG, "--derivation %s: not v1 or nec",
		    s->conf.derivation);
		goto fail;
	}
	if (s->conf.key_bits < KEY_DERIVE_RSA_MIN_BITS ||
	    s->conf.key_bits > KEY_DERIVE_RSA_MAX_BITS ||
	    s->conf.key_bits % 16 != 0) {
		err_set(err, OPT_E_CONFIG, "--key-bits %lld: not a multiple "
		    "of 16 from %d to %d", s->conf.key_bits,
		    KEY_DERIVE_RSA_MIN_BITS, KEY_DERIVE_RSA_MAX_BITS);
		goto fail;
	}
	if (s->conf.key_lifetime < 3600 ||
	    s->conf.key_overlap >= s->conf.key_lifetime) {
		err_set(err, OPT_E_CONFIG, "--key-lifetime: under an hour, "
		    "or not longer than --key-overlap");
		goto fail;
	}
	if (parse_selector_format(s, err) == -1)
		goto fail;
	if (s->conf.max_message_size < 1024 ||
	    s->conf.max_message_size > (1LL << 40)) {
		err_set(err, OPT_E_CONFIG, "--max-message-size %lld: not "
		    "between 1024 and 2^40", s->conf.max_message_size);
		goto fail;
	}
	if (s->conf.max_connections < 1 || s->conf.max_connections > 65536) {
		err_set(err, OPT_E_CONFIG, "--max-connections %lld: not "
		    "between 1 and 65536", s->conf.max_connections);
		goto fail;
	}
	if (s->conf.selfcheck_interval < 1 ||
	    s->conf.selfcheck_interval > 7 * 86400) {
		err_set(err, OPT_E_CONFIG, "--selfcheck-interval %lld: not "
		    "between 1 s and 7 d", s->conf.selfcheck_interval);
		goto fail;
	}
	if (parse_sign_workers(s, err) == -1)
		goto fail;
	if ((s->conf.tls_cert == NULL) != (s->conf.tls_key == NULL)) {
		err_set(err, OPT_E_CONFIG, "--tls-cert and --tls-key go "
		    "together");
		goto fail;
	}
	if (s->conf.hostname != NULL)
		snprintf(s->hostname, sizeof(s->hostname), "%s",
		    s->conf.hostname);
	else if (gethostname(s->hostname, sizeof(s->hostname) - 1) == -1 ||
	    s->hostname[0] == '\0')
		snprintf(s->hostname, sizeof(s->hostname), "localhost");
	s->authserv_id = s->conf.authserv_id != NULL ? s->conf.authserv_id :
	    s->hostname;
	for (i = 0; i < s->conf.allow.n; i++)
		if (acl_parse("--allow", ((char **)s->conf.allow.v)[i], &n,
		    err) == -1 || acl_add(&s->acl, &n, err) == -1)
			goto fail;
	if (s->conf.allow.n == 0 && acl_add_listen_nets(&s->acl,
	    s->conf.listen.v, s->conf.listen.n, err) == -1)
		goto fail;
	return 0;
fail:
	if (err->code != OPT_E_USAGE)
		err->code = OPT_E_CONFIG;
	signd_settings_free(s);
	return -1;
}

void
signd_settings_keyring(const struct signd_settings *s,
    struct signd_keyring_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->domain = s->conf.domain;
	c->password = s->password;
	c->password_len = s->password_len;
	c->derivation = s->derivation;
	memcpy(c->kinds, s->kinds, sizeof(c->kinds));
	c->rsa_bits = (int)s->conf.key_bits;
	c->lifetime = (time_t)s->conf.key_lifetime;
	c->overlap = (time_t)s->conf.key_overlap;
	c->dkim_prefix = s->dkim_prefix;
	c->arc_prefix = s->arc_prefix;
	c->known_selectors = s->selectors;
	c->resolver = s->conf.resolver.ss;
	c->resolver_len = s->conf.resolver.len;
	c->clock_offset = (time_t)s->conf.clock_offset;
	if (s->conf.primary.len != 0 && s->tsig_secret != NULL) {
		c->primary = s->conf.primary.ss;
		c->primary_len = s->conf.primary.len;
		c->tsig_name = s->tsig_name;
		c->tsig_alg = s->tsig_alg;
		c->tsig_secret = s->tsig_secret;
		c->tsig_secret_len = s->tsig_secret_len;
	}
}

void
signd_settings_free(struct signd_settings *s)
{
	opt_free(&signd_program, &s->conf);
	acl_fini(&s->acl);
	free(s->selectors);
	if (s->password != NULL)
		OPENSSL_cleanse(s->password, s->password_len);
	free(s->password);
	if (s->tsig_secret != NULL)
		OPENSSL_cleanse(s->tsig_secret, s->tsig_secret_len);
	free(s->tsig_secret);
	free(s->tsig_name);
	free(s->tsig_alg);
	memset(s, 0, sizeof(*s));
}
