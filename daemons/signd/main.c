/*
 * main.c: timbre-signd start-up, in the order it happens (docs/style.md
 * section 7): options and secrets, logging, the listeners (SMTP and
 * milter, bound as root), the privilege drop, the signing workers
 * (sign.c, --sign-workers), the keyring (selectors, rotation timer) and
 * the resolver stub, the signals, then READY=1 and the loop.  SIGHUP re-reads the configuration: the allow list, limits
 * and log level change at once (listeners, keys and the password need a
 * restart; a bad file keeps the old settings); SIGUSR1 logs statistics;
 * each change of key starts a self-check (selfcheck.c);
 * SIGTERM and SIGINT end the loop: exit 0.
 */
#include <err.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "signd.h"
#include "dns/dns.h"
#include "smtp/transport.h"
#include "util/daemon.h"
#include "util/err.h"

static void
key_changed(enum signd_kind kind, void *arg)
{
	struct signd		*sd = arg;
	struct signd_signkey	*k;

	if ((k = signd_keyring_get(sd->keyring, kind)) == NULL) {
		log_warn("signd key kind=%s: none to sign with",
		    signd_kind_name(kind));
		signd_selfcheck_keys_changed(sd->selfcheck);
		return;
	}
	log_info("signd key kind=%s s=%s", signd_kind_name(kind), k->selector);
	signd_signkey_drop(k);
	signd_selfcheck_keys_changed(sd->selfcheck);
}

/* SIGHUP: what can change without a restart. */
static void
reload(struct signd *sd)
{
	struct signd_settings	s;
	struct err		err;

	if (signd_settings_load(sd->argc, sd->argv, &s, &err) == -1) {
		log_warn("signd reload failed, old configuration kept: %s",
		    err.msg);
		return;
	}
	/* The allow list and the log level; the rest needs a restart. */
	acl_fini(&sd->set.acl);
	sd->set.acl = s.acl;
	memset(&s.acl, 0, sizeof(s.acl));
	sd->set.conf.log_level = s.conf.log_level;
	signd_settings_free(&s);
	log_set_level(sd->set.conf.log_level);
	log_info("signd reload done (listeners, keys and limits need a "
	    "restart)");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct signd	*sd = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signd stop signal=%d", (int)sig);
		event_base_loopbreak(sd->base);
		break;
	case SIGUSR1:
		signd_stats_log(sd);
		break;
	case SIGHUP:
		reload(sd);
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct signd		 sd;
	struct signd_keyring_cfg kc;
	struct dns_server	 srv;
	struct event		*sigs[5];
	int			 signos[5] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
				    0 };
	struct err		 err;
	size_t			 i;

	memset(&sd, 0, sizeof(sd));
	sd.argc = argc;
	sd.argv = argv;
	if (signd_settings_load(argc, argv, &sd.set, &err) == -1) {
		if (err.code == OPT_E_DONE)
			return 0;
		errx(err.code == OPT_E_USAGE ? 2 : 1, "%s", err.msg);
	}
	log_init("timbre-signd", sd.set.conf.foreground, sd.set.conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	if ((sd.base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	if (signd_smtp_start(&sd, &err) == -1)		/* port 25 as root */
		fatal("%s", err.msg);
	if (signd_milter_start(&sd, &err) == -1)
		fatal("%s", err.msg);
	if (signd_stats_start(&sd, &err) == -1)
		fatal("%s", err.msg);
	if (daemon_drop_privileges(sd.set.conf.user, &err) == -1)
		fatal("--user %s: %s", sd.set.conf.user, err.msg);
	/* Threads after the privilege drop: they run as the user too. */
	if (signd_sign_start(&sd, &err) == -1)
		fatal("%s", err.msg);
	memset(&srv, 0, sizeof(srv));
	srv.addr = sd.set.conf.resolver.ss;
	srv.addrlen = sd.set.conf.resolver.len;
	if ((sd.stub = dns_stub_new(sd.base, &srv, NULL, &err)) == NULL)
		fatal("--resolver %s: %s", sd.set.conf.resolver.text, err.msg);
	signd_settings_keyring(&sd.set, &kc);
	kc.changed = key_changed;
	kc.arg = &sd;
	if ((sd.keyring = signd_keyring_new(sd.base, &kc, &err)) == NULL)
		fatal("keyring: %s", err.msg);
	if ((sd.selfcheck = signd_selfcheck_new(&sd, &err)) == NULL)
		fatal("self-check: %s", err.msg);
	for (i = 0; signos[i] != 0; i++)
		if ((sigs[i] = evsignal_new(sd.base, signos[i], on_signal,
		    &sd)) == NULL || event_add(sigs[i], NULL) == -1)
			fatal("cannot handle signal %d", signos[i]);
	log_info("signd start domain=%s relay=%s milter=%s authserv-id=%s "
	    "rsa=%s ed25519=%s arc=%s sign-workers=%u", sd.set.conf.domain,
	    sd.set.relay.len ? sd.set.relay.text : "-",
	    sd.set.conf.milter ? sd.set.conf.milter : "-",
	    sd.set.authserv_id, sd.set.kinds[SIGND_DKIM_RSA] ? "on" : "off",
	    sd.set.kinds[SIGND_DKIM_ED25519] ? "on" : "off",
	    sd.set.kinds[SIGND_ARC] ? "on" : "off", sd.set.sign_workers);
	if (daemon_notify("READY=1", &err) == -1)
		log_warn("sd_notify: %s", err.msg);
	event_base_dispatch(sd.base);
	signd_smtp_stop(&sd);
	signd_milter_stop(&sd);
	signd_stats_stop(&sd);
	signd_selfcheck_free(sd.selfcheck);
	/* After every owner of a pipeline, before the keys' keyring. */
	signd_sign_stop(&sd);
	/* The relays answered but still saying QUIT: nobody holds them
	 * once the sessions are gone. */
	smtp_send_shutdown(sd.base);
	signd_keyring_free(sd.keyring);
	dns_stub_free(sd.stub);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	signd_settings_free(&sd.set);
	event_base_free(sd.base);
	return 0;
}
