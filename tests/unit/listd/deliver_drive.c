/*
 * deliver_drive.c: timbre-listd's delivery engine on a loop of its own,
 * over a database made by timbre list create, until the daemon's
 * inbound side exists (tests/integration/listd_deliver.sh).
 *
 *   deliver_drive enqueue DB DOMAIN LIST MAILFROM MSGFILE RCPTFILE
 *	queues MSGFILE (LF ends become CRLF) for the addresses of RCPTFILE
 *	(one a line), as the inbound side would; prints the message id.
 *   deliver_drive run DB DOMAIN RESOLVER [options]
 *	runs the engine until nothing is due and nothing is in flight
 *	(--idle), or for --seconds N; prints its counters.  Options:
 *	--port N, --smarthost H:P, --offset S (clock), --retry A,B,..
 *	--every S, --give-up S, --max N, --per-domain N, --disable N,
 *	--probe-after S, --probe-wait S (probes of disabled subscribers),
 *	--tls-ca-file F, --mta-sts-port N (MTA-STS),
 *	--to-signer (DSNs queued for a signer, as the daemon does; this
 *	program has none, so they wait in "received").
 *   deliver_drive bounce DB DOMAIN LIST VERP MSGFILE
 *	gives MSGFILE to listd_bounce_take.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "deliver_priv.h"
#include "smtp/transport.h"
#include "util/err.h"
#include "util/log.h"

static char *
slurp(const char *path, size_t *len_out, bool crlf)
{
	FILE	*f;
	char	*p;
	size_t	 cap = 1 << 16, len = 0;
	int	 c;

	if ((f = fopen(path, "r")) == NULL || (p = malloc(cap)) == NULL) {
		perror(path);
		exit(2);
	}
	while ((c = getc(f)) != EOF) {
		if (len + 3 > cap && (p = realloc(p, cap *= 2)) == NULL)
			exit(2);
		if (crlf && c == '\n' && (len == 0 || p[len - 1] != '\r'))
			p[len++] = '\r';
		p[len++] = (char)c;
	}
	fclose(f);
	p[len] = '\0';
	*len_out = len;
	return p;
}

struct run {
	struct event_base	*base;
	struct listd_deliver	*d;
	struct store		*s;
	bool			 idle;
	long			 seconds;
	long			 ticks;
	long			 drain;	/* ticks left before stopping */
	unsigned		 to_signer;	/* DSNs queued for a signer */
};

static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct run	*r = arg;
	struct err	 err;
	time_t		 next;

	(void)fd;
	(void)ev;
	r->ticks++;
	if (r->drain > 0) {
		/* Sessions that reported go on to QUIT on their own: let
		 * them end before the loop does. */
		if (--r->drain == 0)
			event_base_loopbreak(r->base);
		return;
	}
	if (r->seconds > 0 && r->ticks >= r->seconds * 10) {
		event_base_loopbreak(r->base);
		return;
	}
	if (!r->idle || r->d->njobs > 0)
		return;
	if (store_deliver_next_due(r->s, &next, &err) == -1) {
		fprintf(stderr, "next due: %s\n", err.msg);
		return;
	}
	if (next == 0 || next > listd_deliver_now(r->d))
		r->drain = 5;
}

/* Options without a value. */
static bool
is_flag(const char *a)
{
	return strcmp(a, "--idle") == 0 || strcmp(a, "--to-signer") == 0;
}

/* What the daemon's queue would be asked: counted, said at the end. */
static void
to_signer(void *arg)
{
	((struct run *)arg)->to_signer++;
}

static int
cmd_run(int argc, char **argv)
{
	struct listd_deliver_cfg	 cfg;
	struct listd_deliver_stats	 st;
	struct sockaddr_in		*sin;
	struct run			 r;
	struct event			*tick;
	struct timeval			 tv = { 0, 100000 };
	struct err			 err;
	char				 host[64], *p;
	int				 i, port = 53;

	memset(&cfg, 0, sizeof(cfg));
	memset(&r, 0, sizeof(r));
	cfg.hostname = "lists.test";
	cfg.domain = argv[3];
	snprintf(host, sizeof(host), "%s", argv[4]);
	if ((p = strchr(host, ':')) != NULL) {
		*p = '\0';
		port = atoi(p + 1);
	}
	sin = (struct sockaddr_in *)&cfg.resolver;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sin->sin_addr);
	cfg.resolver_len = sizeof(*sin);
	for (i = 5; i + 1 < argc || (i < argc && is_flag(argv[i])); i += 2) {
		if (strcmp(argv[i], "--idle") == 0) {
			r.idle = true;
			i--;
		} else if (strcmp(argv[i], "--to-signer") == 0) {
			cfg.to_signer = to_signer;
			cfg.to_signer_arg = &r;
			i--;
		} else if (strcmp(argv[i], "--port") == 0)
			cfg.deliver_port = (uint16_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--smarthost") == 0)
			cfg.smarthost = argv[i + 1];
		else if (strcmp(argv[i], "--tls-ca-file") == 0)
			cfg.tls_ca_file = argv[i + 1];
		else if (strcmp(argv[i], "--mta-sts-port") == 0)
			cfg.mta_sts_port = (uint16_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--offset") == 0)
			cfg.clock_offset = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--seconds") == 0)
			r.seconds = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--every") == 0)
			cfg.retry_every = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--give-up") == 0)
			cfg.give_up = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--max") == 0)
			cfg.max_connections = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--per-domain") == 0)
			cfg.per_domain = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--disable") == 0)
			cfg.bounce_disable = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--probe-after") == 0)
			cfg.probe_after = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--probe-wait") == 0)
			cfg.probe_wait = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--retry") == 0) {
			for (p = strtok(argv[i + 1], ","); p != NULL &&
			    cfg.nretry < LISTD_RETRY_MAX;
			    p = strtok(NULL, ","))
				cfg.retry[cfg.nretry++] = atol(p);
		} else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	log_init("deliver_drive", 1, LOG_LEVEL_INFO);
	if ((r.s = store_open(argv[2], 0, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[2], err.msg);
		return 1;
	}
	r.base = event_base_new();
	if ((r.d = listd_deliver_new(r.base, r.s, &cfg, &err)) == NULL) {
		fprintf(stderr, "deliver: %s\n", err.msg);
		return 1;
	}
	tick = event_new(r.base, -1, EV_PERSIST, on_tick, &r);
	evtimer_add(tick, &tv);
	event_base_dispatch(r.base);
	listd_deliver_stats(r.d, &st);
	printf("sent=%lu deferred=%lu failed=%lu dsn=%lu bounces=%lu "
	    "author=%lu connections=%lu tls=%lu dane=%lu tls_policy_failed=%lu "
	    "probes=%lu/%lu/%lu sts_out=%lu sts_failed=%lu "
	    "sts_testing_failed=%lu sts_fetched=%lu sts_fetch_failed=%lu",
	    st.sent, st.deferred, st.failed, st.dsn_sent, st.bounces,
	    st.bounces_charged_to_author, st.connections, st.tls, st.dane,
	    st.tls_policy_failed, st.probes_sent, st.probes_failed,
	    st.probes_passed, st.sts_out, st.sts_failed,
	    st.sts_testing_failed, st.sts_fetched, st.sts_fetch_failed);
	if (cfg.to_signer != NULL)
		printf(" to_signer=%u", r.to_signer);
	printf("\n");
	event_free(tick);
	listd_deliver_free(r.d);
	/* Connections still saying QUIT belong to the transport alone. */
	smtp_send_shutdown(r.base);
	event_base_free(r.base);
	store_close(r.s);
	return 0;
}

int
main(int argc, char **argv)
{
	struct store	*s;
	struct err	 err;
	char		*body, *rc, **rcpts = NULL, *line;
	size_t		 len, rlen, n = 0;
	int64_t		 id;

	if (argc >= 5 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc, argv);
	if (argc == 8 && strcmp(argv[1], "enqueue") == 0) {
		body = slurp(argv[6], &len, true);
		rc = slurp(argv[7], &rlen, false);
		for (line = strtok(rc, "\n"); line != NULL;
		    line = strtok(NULL, "\n")) {
			rcpts = realloc(rcpts, (n + 1) * sizeof(*rcpts));
			rcpts[n++] = line;
		}
		if ((s = store_open(argv[2], 0, &err)) == NULL ||
		    store_deliver_enqueue(s, argv[3], argv[4], argv[5],
		    "<drive@test>", body, len, (const char *const *)rcpts, n,
		    time(NULL), &id, &err) == -1) {
			fprintf(stderr, "enqueue: %s\n", err.msg);
			return 1;
		}
		printf("%lld\n", (long long)id);
		store_close(s);
		free(rcpts);
		free(rc);
		free(body);
		return 0;
	}
	if (argc == 7 && strcmp(argv[1], "bounce") == 0) {
		struct listd_deliver_cfg	cfg;
		struct listd_deliver		*d;
		struct event_base		*base = event_base_new();
		struct sockaddr_in		*sin;

		memset(&cfg, 0, sizeof(cfg));
		cfg.hostname = "lists.test";
		cfg.domain = argv[3];
		sin = (struct sockaddr_in *)&cfg.resolver;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cfg.resolver_len = sizeof(*sin);
		log_init("deliver_drive", 1, LOG_LEVEL_INFO);
		body = slurp(argv[6], &len, true);
		if ((s = store_open(argv[2], 0, &err)) == NULL ||
		    (d = listd_deliver_new(base, s, &cfg, &err)) == NULL ||
		    listd_bounce_take(d, argv[4], argv[5], body, len,
		    &err) == -1) {
			fprintf(stderr, "bounce: %s\n", err.msg);
			return 1;
		}
		listd_deliver_free(d);
		store_close(s);
		event_base_free(base);
		free(body);
		return 0;
	}
	fprintf(stderr, "usage: deliver_drive enqueue|run|bounce ...\n");
	return 2;
}
