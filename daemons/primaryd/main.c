/*
 * main.c: timbre-primaryd's start-up, in the order it happens: options,
 * logging, the sockets (bound as root), the privilege drop, the clone of
 * the zone repository and the first load (a remote that cannot be read
 * is fatal: nothing to serve), NOTIFY to the secondaries, the worker
 * thread, the UDP worker loops (--workers, loops.c), the signals,
 * READY=1 and the loop.  Online signing (--dnssec-*, sign.c) is set up
 * before the first load and stays as started.  SIGHUP re-reads the
 * configuration (a bad one is logged and the old one kept; the serial
 * options apply to the reloads that start afterwards, the rate limiting
 * ones at once, with fresh counts) and has the worker fetch the
 * repository again.  SIGUSR1 logs the counters.
 */
#include <err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "keys/mac.h"
#include "primaryd.h"
#include "util/daemon.h"
#include "util/err.h"

static void
on_warn(const char *msg)
{
	log_warn("%s", msg);
}

/* SIGUSR1: the counters, in one line. */
static void
log_stats(struct primaryd *d)
{
	struct auth_rrl_stats	st = { 0, 0, 0 };
	unsigned long long	queries = 0;
	size_t			k;

	/* One limiter for every loop: its counts are already the sum. */
	if (d->rl->rrl != NULL) {
		pthread_mutex_lock(&d->rl->mu);
		auth_rrl_stats(d->rl->rrl, &st);
		pthread_mutex_unlock(&d->rl->mu);
	}
	for (k = 0; k < d->nloops; k++)
		queries += atomic_load_explicit(&d->loops[k].queries,
		    memory_order_relaxed);
	log_info("primary stats rrl=%s rrl_passed=%llu rrl_dropped=%llu "
	    "rrl_slipped=%llu tcp_open=%zu tcp_evicted=%llu workers=%zu "
	    "udp_queries=%llu",
	    d->rl->rrl != NULL ? "on" : "off", (unsigned long long)st.passed,
	    (unsigned long long)st.dropped, (unsigned long long)st.slipped,
	    d->ntcp, (unsigned long long)d->tcp_evicted, d->nloops, queries);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct primaryd		*d = arg;
	struct primaryd_conf	 nc;
	struct serial_fix	 fix;
	struct job		*j;
	struct err		 err;

	if (sig == SIGUSR1) {
		log_stats(d);
		return;
	}
	if (sig != SIGHUP) {
		log_info("primary stop signal=%d", (int)sig);
		event_base_loopbreak(d->base);
		return;
	}
	memset(&nc, 0, sizeof(nc));
	if (opt_load(&primaryd_program, d->argc, d->argv, &nc, on_warn,
	    &err) == -1 || primaryd_serial_fix(&nc, &fix, &err) == -1 ||
	    primaryd_rrl_setup(d, &nc, &err) == -1) {
		log_warn("primary reload: configuration kept: %s", err.msg);
		opt_free(&primaryd_program, &nc);
	} else {
		/* Sockets, the remote and the user stay as started. */
		d->conf.log_level = nc.log_level;
		d->conf.axfr = nc.axfr;
		d->fix = fix;
		free(d->conf.also_notify.v);
		d->conf.also_notify = nc.also_notify;
		nc.also_notify.v = NULL;
		nc.also_notify.n = 0;
		opt_free(&primaryd_program, &nc);
		log_set_level(d->conf.log_level);
		auth_db_set_axfr(d->db, d->conf.axfr);
		primaryd_publish(d);
	}
	if ((j = job_new(JOB_RELOAD, NULL, NULL, 0, "SIGHUP")) == NULL)
		log_warn("primary reload: out of memory");
	else
		primaryd_submit(d, j);
}

int
main(int argc, char *argv[])
{
	struct primaryd		 d;
	struct repo_config	 rc;
	struct event		*sigs[5];
	int			 signos[5] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
				    0 };
	struct err		 err;
	size_t			 i;

	memset(&d, 0, sizeof(d));
	d.argc = argc;
	d.argv = argv;
	if (opt_load(&primaryd_program, argc, argv, &d.conf, on_warn,
	    &err) == -1) {
		if (err.code == OPT_E_DONE)
			return 0;
		errx(err.code == OPT_E_USAGE ? 2 : 1, "%s", err.msg);
	}
	if (d.conf.remote == NULL)
		errx(1, "--remote is required (URL[#BRANCH])");
	if (d.conf.ssh_key != NULL && d.conf.ssh_key_file != NULL)
		errx(1, "--ssh-key and --ssh-key-file exclude each other");
	if (d.conf.git_timeout < 1 || d.conf.git_timeout > 3600)
		errx(1, "--git-timeout: not from 1 s to 1 h");
	if (d.conf.workers < 0 || d.conf.workers > PRIMARYD_MAX_WORKERS)
		errx(1, "--workers %lld: not from 0 to %d", d.conf.workers,
		    PRIMARYD_MAX_WORKERS);
	if (primaryd_serial_fix(&d.conf, &d.fix, &err) == -1 ||
	    primaryd_rrl_setup(&d, &d.conf, &err) == -1)
		errx(1, "%s", err.msg);
	primaryd_default_listen(&d.conf);
	log_init("timbre-primaryd", d.conf.foreground, d.conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	if ((d.base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	primaryd_listen(&d);			/* binds port 53 as root */
	if (daemon_drop_privileges(d.conf.user, &err) == -1)
		fatal("%s", err.msg);
	memset(&rc, 0, sizeof(rc));
	rc.remote = d.conf.remote;
	rc.workdir = d.conf.workdir;
	rc.ssh_key = d.conf.ssh_key;
	rc.ssh_key_file = d.conf.ssh_key_file;
	rc.authenticator = d.conf.ssh_authenticator;
	rc.known_hosts = d.conf.ssh_known_hosts;
	rc.timeout = d.conf.git_timeout;
	if ((d.repo = repo_open(&rc, &err)) == NULL)
		fatal("remote %s: %s", d.conf.remote, err.msg);
	/* The SSH transport holds its own copy of the key now: this goes. */
	if (d.conf.ssh_key != NULL) {
		key_wipe(d.conf.ssh_key, strlen(d.conf.ssh_key));
		free(d.conf.ssh_key);
		d.conf.ssh_key = NULL;
	}
	if (primaryd_sign_setup(&d.sign, &d.conf, &err) == -1)
		fatal("%s", err.msg);
	if (primaryd_reload(&d, 0, &err) == -1)
		fatal("remote %s: %s", d.conf.remote, err.msg);
	primaryd_notify_start(&d);		/* every zone, once */
	primaryd_worker_start(&d);
	primaryd_loops_start(&d);
	primaryd_sign_start(&d);
	for (i = 0; signos[i] != 0; i++)
		if ((sigs[i] = evsignal_new(d.base, signos[i], on_signal,
		    &d)) == NULL || event_add(sigs[i], NULL) == -1)
			fatal("cannot handle signal %d", signos[i]);
	primaryd_serve(&d);
	if (daemon_notify("READY=1", &err) == -1)
		log_warn("sd_notify: %s", err.msg);
	event_base_dispatch(d.base);
	primaryd_sign_stop(&d);
	primaryd_worker_stop(&d);
	primaryd_notify_stop(&d);
	primaryd_unserve(&d);
	primaryd_loops_stop(&d);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	auth_db_free(d.db);
	primaryd_rrl_unref(d.rl);
	repo_free(d.repo);
	opt_free(&primaryd_program, &d.conf);
	event_base_free(d.base);
	return 0;
}
