/*
 * main.c: timbre-resolverd start-up, in the order it happens (docs/style.md
 * section 7): options, logging, the engine with its hints and anchors,
 * the listeners (bound as root), the privilege drop, the signals, then
 * READY=1 and the loop.  SIGHUP reloads the configuration (a bad one is
 * logged and the old one kept; listeners stay), SIGUSR1 logs statistics,
 * SIGTERM and SIGINT end the loop: exit 0.
 */
#include <err.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "resolverd.h"
#include "util/daemon.h"
#include "util/err.h"

static struct resv *
resv_new(const struct resolverd_settings *s, struct err *err)
{
	struct res_conf	 c;
	struct resv		*v;

	memset(&c, 0, sizeof(c));
	/* Three quarters for RRsets, one for whole answers. */
	c.cache_bytes = ((size_t)s->conf.cache_size << 20) / 4 * 3;
	c.min_ttl = (uint32_t)s->conf.cache_min_ttl;
	c.max_ttl = (uint32_t)s->conf.cache_max_ttl;
	c.neg_max_ttl = c.max_ttl < 10800 ? c.max_ttl : 10800;
	c.dnssec = !s->conf.no_dnssec;
	c.qname_minimisation = !s->conf.no_qname_minimisation;
	if (!s->conf.no_case_randomisation)
		c.random = resolverd_random32;
	c.hints = s->hints;
	c.anchors = s->anchors;
	/* The key of both caches' hashes, new with each engine. */
	c.hash_seed = (uint64_t)resolverd_random32(NULL) << 32 |
	    resolverd_random32(NULL);
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((v->r = res_resolver_new(&c, err)) == NULL) {
		if (err->code == RES_E_HINTS && s->conf.root_hints)
			err_prefix(err, "--root-hints %s", s->conf.root_hints);
		else if (err->code == RES_E_ANCHOR && s->conf.trust_anchor)
			err_prefix(err, "--trust-anchor %s",
			    s->conf.trust_anchor);
		free(v);
		return NULL;
	}
	if ((v->mc = res_msgcache_new(((size_t)s->conf.cache_size << 20) /
	    4, c.hash_seed)) == NULL) {
		res_resolver_free(v->r);
		free(v);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	v->refs = 1;
	return v;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct resolverd		*d = arg;
	struct resolverd_settings	 s;
	struct resv			*v, *old;
	struct err			 err;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("resolver stop signal=%d", (int)sig);
		event_base_loopbreak(d->base);
		break;
	case SIGUSR1:
		resolverd_log_stats(d);
		break;
	case SIGHUP:
		if (resolverd_settings_load(d->argc, d->argv, &s, &err) == -1) {
			log_warn("resolver reload failed, old configuration "
			    "kept: %s", err.msg);
			break;
		}
		if ((v = resv_new(&s, &err)) == NULL) {
			log_warn("resolver reload failed, old configuration "
			    "kept: %s", err.msg);
			resolverd_settings_free(&s);
			break;
		}
		/* Listeners and user stay: they need a restart. */
		free(s.conf.listen.v);
		s.conf.listen = d->set.conf.listen;
		d->set.conf.listen.v = NULL;
		d->set.conf.listen.n = 0;
		resolverd_settings_free(&d->set);
		d->set = s;
		old = d->resv;
		d->resv = v;
		if (--old->refs == 0) {
			res_resolver_free(old->r);
			res_msgcache_free(old->mc);
			free(old);
		}
		log_set_level(d->set.conf.log_level);
		log_info("resolver reload done, cache emptied");
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct resolverd	 d;
	struct event		*sigs[5];
	int			 signos[5] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
				    0 };
	struct err		 err;
	size_t			 i;

	memset(&d, 0, sizeof(d));
#ifdef M_MMAP_THRESHOLD
	/*
	 * The state of a question (a few KiB a goal) lives between cache
	 * entries, which live long; freed, it leaves holes that the heap's
	 * small blocks split, and the heap creeps up past --cache-size
	 * (resolver_memory.sh: 8 MB of cache grew the process by 23 MB,
	 * and still growing).  Blocks of a page and more from mmap go back
	 * to the system whole when freed.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 4096);
#endif
	TAILQ_INIT(&d.tasks);
	TAILQ_INIT(&d.tcpconns);
	d.argc = argc;
	d.argv = argv;
	if (resolverd_settings_load(argc, argv, &d.set, &err) == -1) {
		if (err.code == OPT_E_DONE)
			return 0;
		errx(err.code == OPT_E_USAGE ? 2 : 1, "%s", err.msg);
	}
	if ((d.resv = resv_new(&d.set, &err)) == NULL)
		errx(1, "%s", err.msg);
	log_init("timbre-resolverd", d.set.conf.foreground,
	    d.set.conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	if ((d.base = event_base_new()) == NULL ||
	    (d.rbuf = malloc(65535)) == NULL)
		fatal("event_base_new failed");
	if (resolverd_listen(&d, &err) == -1)		/* port 53 as root */
		fatal("%s", err.msg);
	if (daemon_drop_privileges(d.set.conf.user, &err) == -1)
		fatal("--user %s: %s", d.set.conf.user, err.msg);
	for (i = 0; signos[i] != 0; i++)
		if ((sigs[i] = evsignal_new(d.base, signos[i], on_signal,
		    &d)) == NULL || event_add(sigs[i], NULL) == -1)
			fatal("cannot handle signal %d", signos[i]);
	log_info("resolver start dnssec=%s hints=%s anchors=%s cache=%lldMB",
	    d.set.conf.no_dnssec ? "off" : "on",
	    d.set.conf.root_hints ? d.set.conf.root_hints : "built-in",
	    d.set.conf.trust_anchor ? d.set.conf.trust_anchor : "built-in",
	    d.set.conf.cache_size);
	if (daemon_notify("READY=1", &err) == -1)
		log_warn("sd_notify: %s", err.msg);
	event_base_dispatch(d.base);
	resolverd_shutdown(&d);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	if (--d.resv->refs == 0) {
		res_resolver_free(d.resv->r);
		res_msgcache_free(d.resv->mc);
		free(d.resv);
	}
	resolverd_settings_free(&d.set);
	event_base_free(d.base);
	free(d.rbuf);
	return 0;
}
