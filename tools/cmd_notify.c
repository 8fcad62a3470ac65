/*
 * cmd_notify.c: timbre notify: sends a TSIG-signed NOTIFY (RFC 1996,
 * RFC 8945) for a zone to a server over UDP, checks the answer's
 * signature and prints its rcode.  Exit 0 on NOERROR, 1 on another
 * rcode or a bad signature, 2 on usage errors or no answer.
 *
 * timbre-primaryd answers a NOTIFY once it has fetched and reloaded the
 * zone, which over SSH or from a busy git server takes seconds: the
 * message is sent again after 2 and 4 seconds (a lost datagram), then
 * the answer to any copy (they share the ID) is awaited until --timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>


#include "auth/auth.h"
#include "keys/mac.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

static const char notify_usage[] =
    "usage: timbre notify --server ADDR[:PORT] --key-file F"
    " [--timeout SECONDS] ZONE";

#define NOTIFY_SENDS		3	/* copies, NOTIFY_RESEND_MS apart */
#define NOTIFY_RESEND_MS	2000
#define NOTIFY_TIMEOUT		30	/* seconds, --timeout */

static long long
ms_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sends q on fd as the comment atop says and waits for an answer with
 * its ID into ans until timeout_ms.  Returns its length, or -1 (errno
 * set when the socket failed).
 */
static ssize_t
notify_exchange(int fd, const struct buf *q, uint8_t *ans, size_t size,
    long long timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	long long	start = ms_now(), next = start, now, wait;
	ssize_t		n;
	int		sent = 0;

	errno = 0;
	while ((now = ms_now()) - start < timeout_ms) {
		if (sent < NOTIFY_SENDS && now >= next) {
			if (send(fd, q->data, q->len, 0) == -1)
				return -1;
			sent++;
			next = now + NOTIFY_RESEND_MS;
		}
		wait = start + timeout_ms - now;
		if (sent < NOTIFY_SENDS && next - now < wait)
			wait = next - now;
		if (poll(&pfd, 1, (int)wait) != 1)
			continue;
		n = recv(fd, ans, size, 0);
		if (n >= 12 && memcmp(ans, q->data, 2) == 0)
			return n;
	}
	return -1;
}

static struct dns_tsig_key *
read_key(const char *path)
{
	struct dns_tsig_key	*k;
	struct err		 err;

	if ((k = dns_tsig_key_read(path, &err)) == NULL)
		tool_usage_error("notify", "%s", err.msg);
	return k;
}

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
	const struct dns_tsig_key	*vk;
	struct dns_tsig_key		*k = NULL;
	struct opt_addr		 a;
	struct buf		 q;
	struct err		 err;
	ldns_pkt		*p;
	ldns_lookup_table	*rc;
	uint8_t			*wire, ans[65535], mac[64], rmac[64];
	size_t			 size, maclen, rmaclen;
	uint16_t		 id, tsig_error;
	ssize_t			 n = -1;
	long long		 timeout = NOTIFY_TIMEOUT;
	char			*end;
	int			 c, fd, status = EXIT_USAGE;

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
	if (opt_parse_addr(server, 53, &a, &err) == -1)
		tool_usage_error("notify", "--server: %s", err.msg);
	k = read_key(keyfile);
	if (ldns_pkt_query_new_frm_str(&p, argv[optind], LDNS_RR_TYPE_SOA,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		tool_usage_error("notify", "bad zone name %s", argv[optind]);
	if (key_random(&id, sizeof(id), &err) == -1)
		tool_warn("notify", "%s", err.msg);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
	ldns_pkt_set_aa(p, 1);
	ldns_pkt_set_rd(p, 0);
	buf_init(&q, 65535);
	if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK ||
	    buf_add(&q, wire, size, &err) == -1 ||
	    dns_tsig_sign(k, &q, NULL, 0, NULL, 0, time(NULL), 0, mac,
	    &maclen, &err) == -1) {
		tool_warn("notify", "cannot build the message");
		goto done;
	}
	free(wire);
	if ((fd = socket(a.ss.ss_family, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&a.ss, a.len) == -1) {
		tool_warn("notify", "%s: %s", server, strerror(errno));
		goto done;
	}
	n = notify_exchange(fd, &q, ans, sizeof(ans), timeout * 1000);
	close(fd);
	if (n < 12) {
		if (errno != 0)
			tool_warn("notify", "%s: %s", server, strerror(errno));
		else
			tool_warn("notify", "%s: no answer in %lld s", server,
			    timeout);
		goto done;
	}
	rc = ldns_lookup_by_id(ldns_rcodes, ans[3] & 0xf);
	printf("%s\n", rc != NULL ? rc->name : "?");
	status = (ans[3] & 0xf) == 0 ? 0 : EXIT_CHECK_FAILED;
	if (dns_tsig_verify(NULL, k, ans, n, mac, maclen, time(NULL), &vk,
	    rmac, &rmaclen, &tsig_error, &err) == -1 ||
	    tsig_error != DNS_TSIG_NOERROR) {
		tool_warn("notify", "the answer is not signed with %s",
		    dns_tsig_key_name(k));
		status = EXIT_CHECK_FAILED;
	}
done:
	ldns_pkt_free(p);
	buf_fini(&q);
	dns_tsig_key_free(k);
	return status;
}
