/*
 * cmd_notify.c: timbre notify: sends a TSIG-signed NOTIFY (RFC 1996,
 * RFC 8945) for a zone to a server over UDP, checks the answer's
 * signature and prints its rcode (tool_tsig_send, tools/tool_tsig.c,
 * which also says why the message is sent three times).  Exit 0 on
 * NOERROR, 1 on another rcode or a bad signature, 2 on usage errors or
 * no answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <ldns/ldns.h>

#include "tools/tool.h"

static const char notify_usage[] =
    "usage: timbre notify --server ADDR[:PORT] --key-file F"
    " [--timeout SECONDS] ZONE";

#define NOTIFY_TIMEOUT		30	/* seconds, --timeout */

int
cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char		*server = NULL, *keyfile = NULL;
	struct dns_tsig_key	*k;
	ldns_pkt		*p;
	long long		 timeout = NOTIFY_TIMEOUT;
	char			*end;
	int			 c, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    timeout < 1 || timeout > 3600)
				tool_usage_error("notify", "--timeout wants "
				    "seconds from 1 to 3600, not \"%s\"",
				    optarg);
			break;
		case 'h':
			printf("%s\n", notify_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", notify_usage);
			return EXIT_USAGE;
		}
	}
	if (server == NULL || keyfile == NULL || optind != argc - 1)
		tool_usage_error("notify", "%s", notify_usage + 7);
	k = tool_tsig_key_read("notify", keyfile);
	if (ldns_pkt_query_new_frm_str(&p, argv[optind], LDNS_RR_TYPE_SOA,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		tool_usage_error("notify", "bad zone name %s", argv[optind]);
	ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
	ldns_pkt_set_aa(p, 1);
	ldns_pkt_set_rd(p, 0);
	status = tool_tsig_send("notify", server, k, p, timeout);
	ldns_pkt_free(p);
	dns_tsig_key_free(k);
	return status;
}
