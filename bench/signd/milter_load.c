/*
 * milter_load.c: a milter load driver for bench/signd: plays the MTA's
 * side of the milter protocol, version 6 (what Postfix sends, as
 * src/milter/milter.h describes it), so that timbre-signd and OpenDKIM
 * are measured with the same client doing the same work.
 *
 *	milter_load {-a ADDR -p PORT | -u PATH} -f MESSAGE -m MESSAGES
 *	    -c CONNECTIONS
 *
 * A unix socket (-u) spares both sides TCP's small-segment delays
 * (Nagle and delayed ACKs), which a filter that writes a reply in
 * several pieces (libmilter) meets on loopback TCP and which would then
 * be measured instead of its work.
 *
 * Each of the CONNECTIONS processes opens one connection, negotiates
 * (version 6, the filter may add headers, header values with their
 * leading space; every step sent and replied to, as no SMFIP_NR_ flag
 * is offered), sends CONNECT from 127.0.0.1 and
 * HELO, then per message MAIL, RCPT, one HEADER per field of MESSAGE,
 * EOH, the body in chunks of at most 65535 octets and EOM, and reads the
 * replies; a message counts as signed when the filter inserted or added
 * a DKIM-Signature field before accepting it.  The output, one line:
 *
 *	messages=N signed=S failed=F seconds=T rate=R
 *
 * with R = N / T, T the wall-clock time from the first connection to the
 * last reply.  A benchmark tool, not a test: it trusts the filter's
 * lengths up to a bound and exits non-zero only on usage errors or when
 * it cannot connect.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_PACKET	(1024 * 1024)

static int
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	char	*c = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, c, n)) <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One packet: 4-octet length (command included), command, data; in
 * one write, as the socket does not wait to fill segments. */
static int
send_cmd(int fd, char cmd, const void *data, size_t len)
{
	static char	pkt[5 + 65536 + 1024];
	uint32_t	n = htonl((uint32_t)len + 1);

	if (len > sizeof(pkt) - 5)
		return -1;
	memcpy(pkt, &n, 4);
	pkt[4] = cmd;
	if (len > 0)
		memcpy(pkt + 5, data, len);
	return write_all(fd, pkt, len + 5);
}

/* Reads replies until a final one (its command octet), noting a
 * DKIM-Signature added or inserted.  -1 when the connection fails. */
static int
read_final(int fd, char *buf, int *signed_out)
{
	uint32_t	n;
	size_t		len;

	for (;;) {
		if (read_all(fd, &n, 4) == -1)
			return -1;
		len = ntohl(n);
		if (len == 0 || len > LOAD_MAX_PACKET ||
		    read_all(fd, buf, len) == -1)
			return -1;
		buf[len] = '\0';
		switch (buf[0]) {
		case 'h':		/* SMFIR_ADDHEADER: name\0value\0 */
			if (strcasecmp(buf + 1, "DKIM-Signature") == 0)
				*signed_out = 1;
			break;
		case 'i':		/* SMFIR_INSHEADER: index, name, value */
			if (len > 5 && strcasecmp(buf + 5,
			    "DKIM-Signature") == 0)
				*signed_out = 1;
			break;
		case 'c': case 'a': case 't': case 'r': case 'y': case 'd':
		case 'O':
			return buf[0];
		default:		/* progress, other changes */
			break;
		}
	}
}

struct msg {
	char	**names, **values;
	size_t	 *vlens, nfields;
	char	 *body;
	size_t	  body_len;
};

/* Splits a CRLF message into header fields (unfolded as the MTA sends
 * them: the value after the colon, CRLFs of folding kept) and body. */
static int
msg_load(const char *path, struct msg *m)
{
	FILE	*f;
	char	*data, *p, *end, *line, *colon;
	long	 size;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1 ||
	    (data = malloc((size_t)size + 1)) == NULL ||
	    fread(data, 1, (size_t)size, f) != (size_t)size)
		return -1;
	fclose(f);
	data[size] = '\0';
	memset(m, 0, sizeof(*m));
	p = data;
	end = data + size;
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		line = p;
		/* the field ends at a CRLF not followed by WSP */
		while ((p = strstr(p, "\r\n")) != NULL && (p[2] == ' ' ||
		    p[2] == '\t'))
			p += 2;
		if (p == NULL || (colon = memchr(line, ':', (size_t)(p -
		    line))) == NULL)
			return -1;
		m->names = realloc(m->names, (m->nfields + 1) * sizeof(char *));
		m->values = realloc(m->values, (m->nfields + 1) *
		    sizeof(char *));
		m->vlens = realloc(m->vlens, (m->nfields + 1) * sizeof(size_t));
		if (m->names == NULL || m->values == NULL || m->vlens == NULL)
			return -1;
		*colon = '\0';
		*p = '\0';
		m->names[m->nfields] = line;
		m->values[m->nfields] = colon + 1;
		m->vlens[m->nfields] = strlen(m->values[m->nfields]);
		m->nfields++;
		p += 2;
	}
	if (p + 2 > end)
		return -1;
	m->body = p + 2;
	m->body_len = (size_t)(end - m->body);
	return 0;
}

/* One connection, n messages; "signed failed" on out. */
static void
client(const struct sockaddr *sa, socklen_t salen, const struct msg *m,
    int n, FILE *out)
{
	static const char connect_data[] = "client.test\0" "4\0\0" "127.0.0.1";
	char		*buf, *pkt;
	/* version 6; SMFIF_ADDHDRS | SMFIF_CHGHDRS; SMFIP_HDR_LEADSPC, as
	 * Postfix offers it (header values keep their leading space). */
	uint32_t	 opt[3] = { htonl(6), htonl(0x01 | 0x10),
			    htonl(0x00100000) };
	int		 fd, i, sgn, nsigned = 0, nfailed = 0, r, one = 1;
	size_t		 k, off, chunk;

	if ((buf = malloc(LOAD_MAX_PACKET + 1)) == NULL ||
	    (pkt = malloc(65536 + 1024)) == NULL ||
	    (fd = socket(sa->sa_family, SOCK_STREAM, 0)) == -1 ||
	    (sa->sa_family == AF_INET && setsockopt(fd, IPPROTO_TCP,
	    TCP_NODELAY, &one, sizeof(one)) == -1) ||
	    connect(fd, sa, salen) == -1 ||
	    send_cmd(fd, 'O', opt, sizeof(opt)) == -1 ||
	    read_final(fd, buf, &sgn) != 'O') {
		fprintf(out, "0 %d\n", n);
		return;
	}
	/* CONNECT: host\0, family '4', port (2 octets), address\0. */
	memcpy(pkt, connect_data, sizeof(connect_data));
	if (send_cmd(fd, 'C', pkt, sizeof(connect_data)) == -1 ||
	    read_final(fd, buf, &sgn) == -1 ||
	    send_cmd(fd, 'H', "client.test", 12) == -1 ||
	    read_final(fd, buf, &sgn) == -1) {
		fprintf(out, "0 %d\n", n);
		return;
	}
	for (i = 0; i < n; i++) {
		sgn = 0;
		if (send_cmd(fd, 'M', "<alice@signd.test>", 19) == -1 ||
		    read_final(fd, buf, &sgn) != 'c' ||
		    send_cmd(fd, 'R', "<bob@example.net>", 18) == -1 ||
		    read_final(fd, buf, &sgn) != 'c')
			goto failed;
		for (k = 0; k < m->nfields; k++) {
			size_t nl = strlen(m->names[k]);

			if (nl + m->vlens[k] + 2 > 65536 + 1024)
				continue;
			memcpy(pkt, m->names[k], nl + 1);
			memcpy(pkt + nl + 1, m->values[k], m->vlens[k] + 1);
			if (send_cmd(fd, 'L', pkt, nl + m->vlens[k] + 2) ==
			    -1 || read_final(fd, buf, &sgn) != 'c')
				goto failed;
		}
		if (send_cmd(fd, 'N', NULL, 0) == -1 ||
		    read_final(fd, buf, &sgn) != 'c')
			goto failed;
		for (off = 0; off < m->body_len; off += chunk) {
			chunk = m->body_len - off > 65535 ? 65535 :
			    m->body_len - off;
			if (send_cmd(fd, 'B', m->body + off, chunk) == -1 ||
			    read_final(fd, buf, &sgn) != 'c')
				goto failed;
		}
		if (send_cmd(fd, 'E', NULL, 0) == -1 ||
		    (r = read_final(fd, buf, &sgn)) == -1)
			goto failed;
		if ((r == 'a' || r == 'c') && sgn)
			nsigned++;
		else
			nfailed++;
		continue;
failed:
		nfailed += n - i;
		break;
	}
	(void)send_cmd(fd, 'Q', NULL, 0);
	close(fd);
	fprintf(out, "%d %d\n", nsigned, nfailed);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa;
	struct sockaddr_un	 sun;
	struct msg		 m;
	struct timespec		 t0, t1;
	const char		*addr = "127.0.0.1", *file = NULL, *path = NULL;
	int			 port = 0, total = 1000, conns = 4, c, i, fds[2];
	long			 s, f, nsigned = 0, nfailed = 0;
	double			 secs;
	FILE			*in;

	while ((c = getopt(argc, argv, "a:c:f:m:p:u:")) != -1)
		switch (c) {
		case 'a': addr = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'f': file = optarg; break;
		case 'm': total = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'u': path = optarg; break;
		default: goto usage;
		}
	if (file == NULL || (port <= 0 && path == NULL) || conns < 1 ||
	    total < conns || (path != NULL && strlen(path) >=
	    sizeof(sun.sun_path)))
		goto usage;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path != NULL)
		memcpy(sun.sun_path, path, strlen(path));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if ((path == NULL && inet_pton(AF_INET, addr, &sa.sin_addr) != 1) ||
	    msg_load(file, &m) == -1 || pipe(fds) == -1) {
		fprintf(stderr, "milter_load: bad address or message\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < conns; i++) {
		if (fork() == 0) {
			FILE *out = fdopen(fds[1], "w");

			close(fds[0]);
			if (path != NULL)
				client((struct sockaddr *)&sun, sizeof(sun),
				    &m, total / conns + (i < total % conns),
				    out);
			else
				client((struct sockaddr *)&sa, sizeof(sa), &m,
				    total / conns + (i < total % conns), out);
			fclose(out);
			_exit(0);
		}
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	while (fscanf(in, "%ld %ld", &s, &f) == 2) {
		nsigned += s;
		nfailed += f;
	}
	while (wait(NULL) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec -
	    t0.tv_nsec) / 1e9;
	printf("messages=%d signed=%ld failed=%ld seconds=%.3f rate=%.1f\n",
	    total, nsigned, nfailed, secs, secs > 0 ? total / secs : 0.0);
	return 0;
usage:
	fprintf(stderr, "usage: milter_load {-p PORT [-a ADDR] | -u PATH} "
	    "-f MESSAGE [-m MESSAGES] [-c CONNECTIONS]\n");
	return 2;
}
