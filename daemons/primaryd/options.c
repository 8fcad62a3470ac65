/*
 * options.c: the option table of timbre-primaryd (docs/interface.md,
 * "timbre-primaryd" and "Conventions shared by every daemon").
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "keys/mac.h"
#include "primaryd.h"
#include "util/err.h"

#define OFF(f) offsetof(struct primaryd_conf, f)
static const struct opt primaryd_options[] = {
	{ "listen", OPT_ADDR | OPT_REPEAT, NULL, OFF(listen),
	  "where to serve, UDP and TCP (repeatable; default 0.0.0.0:53 "
	  "and [::]:53)", 0, 53 },
	{ "remote", OPT_STRING, NULL, OFF(remote),
	  "the zone repository, URL[#BRANCH] (required)", 'r', 0 },
	{ "ssh-key", OPT_STRING | OPT_SECRET, NULL, OFF(ssh_key),
	  "SSH private key TYPE:BASE64 (prefer --ssh-key-file)", 0, 0 },
	{ "ssh-key-file", OPT_STRING, NULL, OFF(ssh_key_file),
	  "file holding the SSH key (TYPE:BASE64, or OpenSSH/PEM)", 0, 0 },
	{ "ssh-authenticator", OPT_STRING, NULL, OFF(ssh_authenticator),
	  "the SSH server's host key fingerprint, SHA256:BASE64", 0, 0 },
	{ "ssh-known-hosts", OPT_STRING, NULL, OFF(ssh_known_hosts),
	  "known_hosts file for the SSH server's host key", 0, 0 },
	{ "git-timeout", OPT_DURATION, "30", OFF(git_timeout),
	  "SSH to the zone repository: most time to connect, or to wait "
	  "for the server at each read or write", 0, 0 },
	{ "axfr", OPT_BOOL, NULL, OFF(axfr),
	  "allow zone transfers without TSIG", 0, 0 },
	{ "also-notify", OPT_ADDR | OPT_REPEAT, NULL, OFF(also_notify),
	  "extra secondary to NOTIFY, ADDR[:PORT] (repeatable)", 0, 53 },
	{ "workdir", OPT_STRING, "/var/lib/timbre/primary", OFF(workdir),
	  "the local clone", 0, 0 },
	OPT_DAEMON_COMMON(OFF),
	{ "serial-policy", OPT_STRING, "increment", OFF(serial_policy),
	  "serial for a zone pushed without a newer one: increment, "
	  "unixtime or dateserial", 0, 0 },
	{ "no-serial-fix", OPT_BOOL, NULL, OFF(no_serial_fix),
	  "serve a zone pushed without a newer serial as it is, "
	  "committing nothing", 0, 0 },
	{ "rrl-rate", OPT_INT, "200", OFF(rrl_rate),
	  "UDP answers a second per client network and answer before "
	  "rate limiting (0: off)", 0, 0 },
	{ "rrl-slip", OPT_INT, "2", OFF(rrl_slip),
	  "of the answers limited, every Nth goes out truncated "
	  "(0: none, 1: all)", 0, 0 },
	{ "rrl-allow", OPT_STRING | OPT_REPEAT, NULL, OFF(rrl_allow),
	  "CIDR of clients never rate limited (repeatable; default "
	  "127.0.0.0/8 and ::1)", 0, 0 },
	{ "workers", OPT_INT, "0", OFF(workers),
	  "loops answering UDP queries, each on a thread and socket of "
	  "its own (0: one per CPU the daemon may run on)", 0, 0 },
	{ "dnssec-sign", OPT_STRING | OPT_REPEAT, NULL, OFF(dnssec_sign),
	  "sign ZONE online (DNSSEC), or every zone with all "
	  "(repeatable)", 0, 0 },
	{ "dnssec-dir", OPT_STRING, "/var/lib/timbre/primary-dnssec",
	  OFF(dnssec_dir), "the signing keys and signed zones (made "
	  "mode 0700; never in git)", 0, 0 },
	{ "dnssec-algorithm", OPT_STRING, "ecdsap256", OFF(dnssec_algorithm),
	  "the algorithm of new signing keys: ecdsap256 or ed25519", 0, 0 },
	{ "dnssec-denial", OPT_STRING, "nsec", OFF(dnssec_denial),
	  "denial of existence: nsec, or nsec3 (RFC 9276: no salt, 0 "
	  "iterations), or nsec3:ITERATIONS[:SALT_HEX]", 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 },
};

const struct opt_program primaryd_program = {
	"timbre-primaryd",
	"authoritative DNS primary served from a git repository",
	SYSCONFDIR "/timbre/timbre-primaryd.conf",
	primaryd_options,
};

/* Both wildcard addresses when --listen was not given. */
void
primaryd_default_listen(struct primaryd_conf *c)
{
	static const char	*defs[] = { "0.0.0.0:53", "[::]:53" };
	struct opt_addr		*v;
	struct err		 err;
	size_t			 i;

	if (c->listen.n > 0 || (v = calloc(2, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < 2; i++)
		if (opt_parse_addr(defs[i], 53, &v[i], &err) == -1)
			fatal("%s", err.msg);
	c->listen.v = v;
	c->listen.n = 2;
}

int
primaryd_serial_fix(const struct primaryd_conf *c, struct serial_fix *fix_out,
    struct err *err)
{
	static const struct {
		const char		*name;
		enum auth_serial_policy	 policy;
	} policies[] = {
		{ "increment", AUTH_SERIAL_INCREMENT },
		{ "unixtime", AUTH_SERIAL_UNIXTIME },
		{ "dateserial", AUTH_SERIAL_DATESERIAL },
	};
	size_t	i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (c->serial_policy != NULL &&
		    strcmp(c->serial_policy, policies[i].name) == 0) {
			fix_out->on = !c->no_serial_fix;
			fix_out->policy = policies[i].policy;
			return 0;
		}
	err_set(err, OPT_E_CONFIG, "--serial-policy %s: not increment, "
	    "unixtime or dateserial", c->serial_policy != NULL ?
	    c->serial_policy : "");
	return -1;
}

int
primaryd_rrl_setup(struct primaryd *d, const struct primaryd_conf *c,
    struct err *err)
{
	static const char *const loopback[] = { "127.0.0.0/8", "::1" };
	struct auth_rrl_conf	 rc = { 0, 0, 0 };
	struct auth_rrl		*rrl = NULL;
	struct primaryd_rrl	*nrl;
	struct acl		 allow = { NULL, 0 };
	struct acl_net		 net;
	const char *const	*nets = loopback;
	size_t			 i, n = 2;
	uint64_t		 seed;

	if (c->rrl_rate < 0 || c->rrl_rate > 1000000) {
		err_set(err, OPT_E_CONFIG, "--rrl-rate %lld: not from 0 to "
		    "1000000", c->rrl_rate);
		return -1;
	}
	if (c->rrl_slip < 0 || c->rrl_slip > 100) {
		err_set(err, OPT_E_CONFIG, "--rrl-slip %lld: not from 0 to "
		    "100", c->rrl_slip);
		return -1;
	}
	if (c->rrl_allow.n > 0) {
		nets = (const char *const *)c->rrl_allow.v;
		n = c->rrl_allow.n;
	}
	for (i = 0; i < n; i++)
		if (acl_parse("--rrl-allow", nets[i], &net, err) == -1 ||
		    acl_add(&allow, &net, err) == -1)
			goto fail;
	if (c->rrl_rate > 0) {
		rc.rate = (unsigned)c->rrl_rate;
		rc.slip = (unsigned)c->rrl_slip;
		if (key_random(&seed, sizeof(seed), err) == -1 ||
		    (rrl = auth_rrl_new(&rc, seed, err)) == NULL)
			goto fail;
	}
	if ((nrl = calloc(1, sizeof(*nrl))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		auth_rrl_free(rrl);
		goto fail;
	}
	atomic_init(&nrl->refs, 1);
	pthread_mutex_init(&nrl->mu, NULL);
	nrl->rrl = rrl;
	nrl->allow = allow;
	primaryd_rrl_unref(d->rl);
	d->rl = nrl;
	return 0;
fail:
	acl_fini(&allow);
	return -1;
}

struct primaryd_rrl *
primaryd_rrl_ref(struct primaryd_rrl *rl)
{
	atomic_fetch_add(&rl->refs, 1);
	return rl;
}

void
primaryd_rrl_unref(struct primaryd_rrl *rl)
{
	if (rl == NULL || atomic_fetch_sub(&rl->refs, 1) > 1)
		return;
	auth_rrl_free(rl->rrl);
	acl_fini(&rl->allow);
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}
