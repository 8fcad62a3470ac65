/*
 * tool_tsig.c: the TSIG-signed exchange that timbre notify (a NOTIFY)
 * and timbre tlsa (an UPDATE) make with a primary: the key read from the
 * first line of a file (never argv), the message signed (RFC 8945), sent
 * over UDP, the answer's rcode printed and its signature checked.
 *
 * timbre-primaryd answers a NOTIFY once it has fetched and reloaded the
 * zone, and an UPDATE once it has committed and pushed it, which over SSH
 * or from a busy git server takes seconds: the message is sent again
 * after 2 and 4 seconds (a lost datagram), then the answer to any copy
 * (they share the ID, and the primary's reply cache answers a repeated
 * UPDATE without applying it twice) is awaited until the timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "keys/mac.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

#define SIGNED_SENDS		3	/* copies, SIGNED_RESEND_MS apart */
#define SIGNED_RESEND_MS	2000

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
exchange(int fd, const struct buf *q, uint8_t *ans, size_t size,
    long long timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	long long	start = ms_now(), next = start, now, wait;
	ssize_t		n;
	int		sent = 0;

	errno = 0;
	while ((now = ms_now()) - start < timeout_ms) {
		if (sent < SIGNED_SENDS && now >= next) {
			if (send(fd, q->data, q->len, 0) == -1)
				return -1;
			sent++;
			next = now + SIGNED_RESEND_MS;
		}
		wait = start + timeout_ms - now;
		if (sent < SIGNED_SENDS && next - now < wait)
			wait = next - now;
		if (poll(&pfd, 1, (int)wait) != 1)
			continue;
		n = recv(fd, ans, size, 0);
		if (n >= 12 && memcmp(ans, q->data, 2) == 0)
			return n;
	}
	return -1;
}

struct dns_tsig_key *
tool_tsig_key_read(const char *cmd, const char *path)
{
	struct dns_tsig_key	*k;
	struct err		 err;

	if ((k = dns_tsig_key_read(path, &err)) == NULL)
		tool_usage_error(cmd, "%s", err.msg);
	return k;
}

int
tool_tsig_send(const char *cmd, const char *server,
    const struct dns_tsig_key *k, struct ldns_struct_pkt *p,
    long long timeout)
{
	const struct dns_tsig_key	*vk;
	struct opt_addr		 a;
	struct buf		 q;
	struct err		 err;
	ldns_lookup_table	*rc;
	uint8_t			*wire, ans[65535], mac[64], rmac[64];
	size_t			 size, maclen, rmaclen;
	uint16_t		 id, tsig_error;
	ssize_t			 n = -1;
	int			 fd, status = EXIT_USAGE;

	if (opt_parse_addr(server, 53, &a, &err) == -1)
		tool_usage_error(cmd, "--server: %s", err.msg);
	if (key_random(&id, sizeof(id), &err) == -1)
		tool_warn(cmd, "%s", err.msg);
	ldns_pkt_set_id(p, id);
	buf_init(&q, 65535);
	if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK)
		goto build;
	if (buf_add(&q, wire, size, &err) == -1 ||
	    dns_tsig_sign(k, &q, NULL, 0, NULL, 0, time(NULL), 0, mac,
	    &maclen, &err) == -1) {
		free(wire);
		goto build;
	}
	free(wire);
	if ((fd = socket(a.ss.ss_family, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&a.ss, a.len) == -1) {
		tool_warn(cmd, "%s: %s", server, strerror(errno));
		if (fd != -1)
			close(fd);
		goto done;
	}
	n = exchange(fd, &q, ans, sizeof(ans), timeout * 1000);
	close(fd);
	if (n < 12) {
		if (errno != 0)
			tool_warn(cmd, "%s: %s", server, strerror(errno));
		else
			tool_warn(cmd, "%s: no answer in %lld s", server,
			    timeout);
		goto done;
	}
	rc = ldns_lookup_by_id(ldns_rcodes, ans[3] & 0xf);
	printf("%s\n", rc != NULL ? rc->name : "?");
	status = (ans[3] & 0xf) == 0 ? 0 : EXIT_CHECK_FAILED;
	if (dns_tsig_verify(NULL, k, ans, n, mac, maclen, time(NULL), &vk,
	    rmac, &rmaclen, &tsig_error, &err) == -1 ||
	    tsig_error != DNS_TSIG_NOERROR) {
		tool_warn(cmd, "the answer is not signed with %s",
		    dns_tsig_key_name(k));
		status = EXIT_CHECK_FAILED;
	}
	goto done;
build:
	tool_warn(cmd, "cannot build the message");
done:
	buf_fini(&q);
	return status;
}
