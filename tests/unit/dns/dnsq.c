/*
 * dnsq.c: asks one question through the stub client and prints what came
 * back, for tests/integration/dns_stub.sh: "status STATUS rcode N" (rcode
 * -1 when there is no message), then one "txt STRING" line per TXT record
 * of the name.  Not installed; timbre(1) is the user's tool.
 *
 * usage: dnsq [-e edns_size] [-r retries] [-t timeout_ms] SERVER NAME TYPE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns/dns.h"
#include "util/err.h"

struct dnsq {
	const char	*name;
	int		 done;
};

static const struct {
	const char	*name;
	uint16_t	 type;
} types[] = {
	{ "A", DNS_T_A }, { "NS", DNS_T_NS }, { "CNAME", DNS_T_CNAME },
	{ "SOA", DNS_T_SOA }, { "PTR", DNS_T_PTR }, { "MX", DNS_T_MX },
	{ "TXT", DNS_T_TXT }, { "AAAA", DNS_T_AAAA },
};

static void
usage(void)
{
	fprintf(stderr, "usage: dnsq [-e edns_size] [-r retries] "
	    "[-t timeout_ms] SERVER NAME TYPE\n");
	exit(2);
}

static void
answered(enum dns_status status, const struct dns_msg *msg, void *arg)
{
	struct dnsq	*d = arg;
	struct err	 err;
	char		**txts;
	size_t		 i, n;

	d->done = 1;
	printf("status %s rcode %d\n", dns_status_str(status),
	    msg == NULL ? -1 : dns_msg_rcode(msg));
	if (msg == NULL)
		return;
	if (dns_msg_txts(msg, d->name, &txts, &n, &err) == -1) {
		printf("error %s\n", err.msg);
		return;
	}
	for (i = 0; i < n; i++)
		printf("txt %s\n", txts[i]);
	dns_txts_free(txts, n);
}

int
main(int argc, char *argv[])
{
	struct dns_stub_opts	 opts = { 0, 0, 0, false, false };
	struct event_base	*base;
	struct dns_server	 srv;
	struct dns_stub		*stub;
	struct dnsq		 d;
	struct err		 err;
	size_t			 i;
	long			 type = -1;
	int			 ch;

	while ((ch = getopt(argc, argv, "e:r:t:")) != -1) {
		switch (ch) {
		case 'e':
			opts.edns_size = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			/* 0 in the options would mean the default. */
			if ((opts.retries = atoi(optarg)) == 0)
				opts.retries = -1;
			break;
		case 't':
			opts.timeout_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(argv[2], types[i].name) == 0)
			type = types[i].type;
	if (type == -1 && ((type = strtol(argv[2], NULL, 10)) <= 0 ||
	    type > 65535))
		usage();
	if (dns_server_parse(argv[0], &srv, &err) == -1) {
		fprintf(stderr, "dnsq: %s\n", err.msg);
		return 1;
	}
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "dnsq: event_base_new failed\n");
		return 1;
	}
	if ((stub = dns_stub_new(base, &srv, &opts, &err)) == NULL) {
		fprintf(stderr, "dnsq: %s\n", err.msg);
		return 1;
	}
	d.name = argv[1];
	d.done = 0;
	if (dns_stub_query(stub, argv[1], (uint16_t)type, answered, &d,
	    &err) == -1) {
		fprintf(stderr, "dnsq: %s\n", err.msg);
		return 1;
	}
	while (!d.done)
		event_base_loop(base, EVLOOP_ONCE);
	dns_stub_free(stub);
	event_base_free(base);
	return 0;
}
