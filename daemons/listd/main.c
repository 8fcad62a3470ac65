/*
 * main.c: timbre-listd start-up, in the order it happens (docs/style.md
 * section 7): options, logging, the database (opened before the
 * privilege drop would be nicer for the file's owner, but listd must
 * keep writing it as the unprivileged user, so it is opened after),
 * the listeners (port 25, bound as root), the privilege drop, the
 * resolver stub, the group commit's flushing thread (commit.c), the
 * hand-off queue (which first sends the signer every
 * message a previous run left in received or signing), the delivery
 * engine, the signals, then READY=1 and the loop.
 *
 * SIGHUP re-reads the configuration (reload()): what is read where it
 * is used changes at once, the TLS files are read again (a renewed
 * certificate), what was bound or opened at start-up needs a restart
 * and is named in the log; a configuration that does not load, TLS
 * files included, keeps the old one whole.  Lists and members are read
 * from the database for every message, so `timbre list` changes need no
 * signal.  SIGUSR1 logs statistics; SIGTERM and
 * SIGINT end the loop: exit 0.
 */
#include <err.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "listd.h"
#include "dns/dns.h"
#include "smtp/transport.h"
#include "util/daemon.h"
#include "util/err.h"

static void
log_stats(struct listd *ld)
{
	const struct listd_stats	*st = &ld->stats;
	struct listd_deliver_stats	 ds;

	log_info("listd stats connections=%" PRIu64 " refused_conn=%" PRIu64
	    " accepted=%" PRIu64 " held=%" PRIu64 " refused_rcpt=%" PRIu64
	    " refused_dmarc=%" PRIu64 " refused_poster=%" PRIu64
	    " refused_loop=%" PRIu64 " refused_other=%" PRIu64 " smtp_open=%zu",
	    st->connections, st->refused_conn, st->accepted, st->held,
	    st->refused_rcpt, st->refused_dmarc, st->refused_poster,
	    st->refused_loop, st->refused_other,
	    ld->smtp != NULL ? smtp_listener_conns(ld->smtp) : 0);
	log_info("listd stats to_signer=%" PRIu64 " signer_failed=%" PRIu64
	    " signed_back=%" PRIu64 " fanout_rows=%" PRIu64, st->to_signer,
	    st->signer_failed, st->signed_back, st->fanout_rows);
	log_info("listd stats commit_flushes=%" PRIu64 " commit_posts=%"
	    PRIu64 " commit_batch_max=%" PRIu64, st->commit_flushes,
	    st->commit_posts, st->commit_batch_max);
	if (ld->deliver != NULL) {
		listd_deliver_stats(ld->deliver, &ds);
		log_info("listd stats sent=%lu deferred=%lu failed=%lu "
		    "dsn_sent=%lu bounces=%lu connections_out=%lu tls_out=%lu "
		    "dane_out=%lu tls_policy_failed=%lu probes_sent=%lu "
		    "probes_failed=%lu probes_passed=%lu sts_out=%lu "
		    "sts_failed=%lu sts_testing_failed=%lu sts_fetched=%lu "
		    "sts_fetch_failed=%lu",
		    ds.sent, ds.deferred, ds.failed, ds.dsn_sent, ds.bounces,
		    ds.connections, ds.tls, ds.dane, ds.tls_policy_failed,
		    ds.probes_sent, ds.probes_failed, ds.probes_passed,
		    ds.sts_out, ds.sts_failed, ds.sts_testing_failed,
		    ds.sts_fetched, ds.sts_fetch_failed);
	}
}

/* The options reload() leaves alone, when s changes them: logged. */
static void
reload_restart_only(const struct listd *ld, const struct listd_settings *s)
{
	const struct listd_conf	*o = &ld->set.conf, *n = &s->conf;
	const struct opt_addr	*ol = o->listen.v, *nl = n->listen.v;
	char			 which[256] = "";
	size_t			 i;
	bool			 listen = o->listen.n != n->listen.n;

	for (i = 0; !listen && i < o->listen.n; i++)
		listen = strcmp(ol[i].text, nl[i].text) != 0;
#define CHANGED(name, cond) do {					\
	if (cond)							\
		snprintf(which + strlen(which), sizeof(which) -		\
		    strlen(which), " --%s", name);			\
} while (0)
#define STR_NE(a, b) (((a) == NULL) != ((b) == NULL) ||		\
	((a) != NULL && strcmp((a), (b)) != 0))
	CHANGED("listen", listen);
	CHANGED("listen-signed", strcmp(o->listen_signed.text,
	    n->listen_signed.text) != 0);
	CHANGED("domain", strcmp(ld->set.domain, s->domain) != 0);
	CHANGED("hostname", strcmp(ld->set.hostname, s->hostname) != 0);
	CHANGED("db", STR_NE(o->db, n->db));
	CHANGED("signer", strcmp(o->signer.text, n->signer.text) != 0);
	CHANGED("resolver", strcmp(o->resolver.text, n->resolver.text) != 0);
	CHANGED("smarthost", STR_NE(o->smarthost, n->smarthost));
	CHANGED("deliver-port", o->deliver_port != n->deliver_port);
	CHANGED("tls-ca-file", STR_NE(o->tls_ca_file, n->tls_ca_file));
	CHANGED("mta-sts-port", o->mta_sts_port != n->mta_sts_port);
	CHANGED("user", STR_NE(o->user, n->user));
	CHANGED("archive-dir", STR_NE(o->archive_dir, n->archive_dir));
	CHANGED("archive-url", STR_NE(o->archive_url, n->archive_url));
	CHANGED("archive-epoch-size", o->archive_epoch_size !=
	    n->archive_epoch_size);
	CHANGED("http-listen", strcmp(o->http_listen.text,
	    n->http_listen.text) != 0);
	CHANGED("http-url", strcmp(ld->set.unsub_url, s->unsub_url) != 0);
	CHANGED("http-max-connections", o->http_max_connections !=
	    n->http_max_connections);
	CHANGED("http-timeout", o->http_timeout != n->http_timeout);
	CHANGED("signer-milter", strcmp(o->signer_milter.text,
	    n->signer_milter.text) != 0);
#undef STR_NE
#undef CHANGED
	if (which[0] != '\0')
		log_warn("listd reload: changed, kept until a restart:%s",
		    which);
}

/* SIGHUP: everything that can change without a restart, or nothing. */
static void
reload(struct listd *ld)
{
	struct listd_settings	 s;
	struct err		 err;
	char			*t;

	if (listd_settings_load(ld->argc, ld->argv, &s, &err) == -1) {
		log_warn("listd reload failed, old configuration kept: %s",
		    err.msg);
		return;
	}
	if (listd_smtp_update(ld, &s, &err) == -1 ||
	    listd_http_update(ld, &s, &err) == -1) {
		log_warn("listd reload failed, old configuration kept: %s",
		    err.msg);
		listd_settings_free(&s);
		return;
	}
	reload_restart_only(ld, &s);
	/* Read where they are used: from the next session or message. */
	ld->set.conf.require_tls = s.conf.require_tls;
	ld->set.dmarc_reject = s.dmarc_reject;
	ld->set.conf.max_message_size = s.conf.max_message_size;
	ld->set.conf.max_recipients = s.conf.max_recipients;
	ld->set.conf.max_connections = s.conf.max_connections;
	ld->set.conf.max_per_ip = s.conf.max_per_ip;
	ld->set.conf.command_timeout = s.conf.command_timeout;	/* smtp */
	ld->set.conf.signer_retry = s.conf.signer_retry;
	ld->set.conf.signer_retry_max = s.conf.signer_retry_max;
	ld->set.conf.digest_size = s.conf.digest_size;		/* digest.c */
	ld->set.conf.digest_interval = s.conf.digest_interval;
	ld->set.conf.log_level = s.conf.log_level;
	/* Strings: swapped, so that freeing s frees the old ones. */
#define SWAP(f) (t = ld->set.conf.f, ld->set.conf.f = s.conf.f, s.conf.f = t)
	SWAP(dmarc_reject);
	SWAP(tls_cert);
	SWAP(tls_key);
	SWAP(retry_schedule);
#undef SWAP
	listd_deliver_policy_copy(&ld->set.deliver, &s.deliver);
	if (ld->deliver != NULL)
		listd_deliver_policy(ld->deliver, &ld->set.deliver);
	listd_settings_free(&s);
	log_set_level(ld->set.conf.log_level);
	log_info("listd reload done require_tls=%s dmarc_reject=%s "
	    "max_message_size=%lld max_recipients=%lld max_connections=%lld "
	    "max_per_ip=%lld tls=%s retry_schedule=%s give_up=%lld "
	    "max_per_domain=%u", ld->set.conf.require_tls ? "yes" : "no",
	    ld->set.conf.dmarc_reject, ld->set.conf.max_message_size,
	    ld->set.conf.max_recipients, ld->set.conf.max_connections,
	    ld->set.conf.max_per_ip, ld->set.conf.tls_cert != NULL ?
	    ld->set.conf.tls_cert : "none", ld->set.conf.retry_schedule,
	    (long long)ld->set.deliver.give_up, ld->set.deliver.per_domain);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct listd	*ld = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("listd stop signal=%d", (int)sig);
		event_base_loopbreak(ld->base);
		break;
	case SIGUSR1:
		log_stats(ld);
		break;
	case SIGHUP:
		reload(ld);
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct listd		 ld;
	struct dns_server	 srv;
	struct event		*sigs[5];
	int			 signos[5] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
				    0 };
	const char		*off;
	struct err		 err;
	size_t			 i;

	memset(&ld, 0, sizeof(ld));
	ld.argc = argc;
	ld.argv = argv;
	if (listd_settings_load(argc, argv, &ld.set, &err) == -1) {
		if (err.code == OPT_E_DONE)
			return 0;
		errx(err.code == OPT_E_USAGE ? 2 : 1, "%s", err.msg);
	}
	log_init("timbre-listd", ld.set.conf.foreground, ld.set.conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	/* Tests move the clock of the queue and of the delivery engine. */
	if ((off = getenv("TIMBRE_LISTD_CLOCK_OFFSET")) != NULL)
		ld.clock_offset = (time_t)strtoll(off, NULL, 10);
	if ((ld.base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	if (listd_smtp_start(&ld, &err) == -1)		/* port 25 as root */
		fatal("--listen: %s", err.msg);
	if (listd_signed_start(&ld, &err) == -1)
		fatal("--listen-signed: %s", err.msg);
	if (listd_http_start(&ld, &err) == -1)		/* port 443 too */
		fatal("--http-listen: %s", err.msg);
	if (daemon_drop_privileges(ld.set.conf.user, &err) == -1)
		fatal("--user %s: %s", ld.set.conf.user, err.msg);
	if ((ld.store = store_open(ld.set.conf.db, 0, &err)) == NULL)
		fatal("--db %s: %s", ld.set.conf.db, err.msg);
	memset(&srv, 0, sizeof(srv));
	srv.addr = ld.set.conf.resolver.ss;
	srv.addrlen = ld.set.conf.resolver.len;
	if ((ld.stub = dns_stub_new(ld.base, &srv, NULL, &err)) == NULL)
		fatal("--resolver %s: %s", ld.set.conf.resolver.text, err.msg);
	if (listd_commit_start(&ld, &err) == -1)
		fatal("group commit: %s", err.msg);
	if (listd_queue_start(&ld, &err) == -1)
		fatal("queue: %s", err.msg);
	if (listd_out_start(&ld, &err) == -1)
		fatal("delivery: %s", err.msg);
	if (listd_held_start(&ld, &err) == -1)
		fatal("held posts: %s", err.msg);
	if (listd_archive_start(&ld, &err) == -1)
		fatal("archive: %s", err.msg);
	if (listd_digest_start(&ld, &err) == -1)
		fatal("digest: %s", err.msg);
	for (i = 0; signos[i] != 0; i++)
		if ((sigs[i] = evsignal_new(ld.base, signos[i], on_signal,
		    &ld)) == NULL || event_add(sigs[i], NULL) == -1)
			fatal("cannot handle signal %d", signos[i]);
	log_info("listd start domain=%s hostname=%s db=%s signer=%s "
	    "listen_signed=%s dmarc_reject=%s", ld.set.domain,
	    ld.set.hostname, ld.set.conf.db, ld.set.conf.signer.text,
	    ld.set.conf.listen_signed.text, ld.set.conf.dmarc_reject);
	if (daemon_notify("READY=1", &err) == -1)
		log_warn("sd_notify: %s", err.msg);
	event_base_dispatch(ld.base);
	listd_smtp_stop(&ld);
	listd_http_stop(&ld);
	listd_held_stop(&ld);
	listd_archive_stop(&ld);
	listd_digest_stop(&ld);
	listd_commit_stop(&ld);
	listd_queue_stop(&ld);
	listd_out_stop(&ld);
	/* The MTAs that took a copy but have not answered QUIT yet:
	 * nobody holds those connections once the engine is gone. */
	smtp_send_shutdown(ld.base);
	dns_stub_free(ld.stub);
	store_close(ld.store);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	listd_settings_free(&ld.set);
	event_base_free(ld.base);
	return 0;
}
