/*
 * doctor_dns.c: timbre doctor's DNSSEC questions (see doctor_dns.h).
 *
 * The stub client of src/dns neither sets AD or DO in its questions nor
 * reports the AD bit or TLSA records of an answer, and the DNSSEC and
 * TLSA checks need exactly those; so this asks its own questions, one at
 * a time, blocking with poll(2) until the run's deadline, and reads the
 * reply with src/dns's bounded wire readers.  It does not validate
 * anything itself: the AD bit is the resolver's word, which is worth
 * what the path to the resolver is worth (RFC 6698 section 4.1), so the
 * lines say whose word it is.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor_dns.h"
#include "doctor_tls.h"

#define HDR		12
#define FLAG_RD		0x0100
#define FLAG_TC		0x0200
#define FLAG_QR		0x8000
#define FLAG_RA		0x0080
#define FLAG_AD		0x0020
#define FLAG_CD		0x0010
#define EDNS_SIZE	1232
#define QUERY_MAX	(HDR + DNS_WIRE_NAME_MAX + 4 + 11)

/* The wire form of a presentation name into out: its length, 0 when it
 * is no name this can ask (escapes, empty labels, too long). */
static size_t
name_wire(const char *name, uint8_t *out)
{
	size_t	off = 0, n;

	while (*name != '\0') {
		n = strcspn(name, ".");
		if (n == 0 || n > 63 || off + n + 2 > DNS_WIRE_NAME_MAX ||
		    memchr(name, '\\', n) != NULL)
			return 0;
		out[off++] = (uint8_t)n;
		memcpy(out + off, name, n);
		off += n;
		name += n;
		if (*name == '.')
			name++;
	}
	out[off++] = 0;
	return off;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int
doctor_dns_parse(const uint8_t *msg, size_t len, uint16_t id, uint16_t type,
    struct doctor_dns_answer *out)
{
	struct dns_wire_rr	 rr;
	struct doctor_tlsa	*t;
	size_t			 off = HDR, i;
	uint16_t		 flags, qd, an;

	memset(out, 0, sizeof(*out));
	if (len < HDR || dns_wire_peek16(msg) != id) {
		snprintf(out->why, sizeof(out->why), "not the reply");
		return -1;
	}
	flags = dns_wire_peek16(msg + 2);
	qd = dns_wire_peek16(msg + 4);
	an = dns_wire_peek16(msg + 6);
	if (!(flags & FLAG_QR) || qd > 1) {
		snprintf(out->why, sizeof(out->why), "not a reply");
		return -1;
	}
	out->rcode = flags & 0xf;
	out->ad = (flags & FLAG_AD) != 0;
	out->tc = (flags & FLAG_TC) != 0;
	out->ra = (flags & FLAG_RA) != 0;
	if (qd == 1 && dns_wire_question_skip(msg, len, &off, DNS_WIRE_PTR) ==
	    -1) {
		snprintf(out->why, sizeof(out->why), "a malformed reply");
		return -1;
	}
	/* The records of the type asked, after any CNAME chain the
	 * resolver put in front of them. */
	for (i = 0; i < an; i++) {
		if (dns_wire_rr_skip(msg, len, &off, &rr) == -1) {
			if (out->tc)
				break;
			snprintf(out->why, sizeof(out->why), "a malformed "
			    "reply");
			return -1;
		}
		if (rr.type != type || rr.class != 1)
			continue;
		out->ntype++;
		if (type != DOCTOR_DNS_T_TLSA || rr.rdlen < 3 ||
		    out->ntlsa == DOCTOR_MAX_TLSA)
			continue;
		t = &out->tlsa[out->ntlsa++];
		t->usage = msg[rr.rdata];
		t->selector = msg[rr.rdata + 1];
		t->mtype = msg[rr.rdata + 2];
		t->len = (size_t)rr.rdlen - 3;
		if (t->len > sizeof(t->data)) {
			t->len = sizeof(t->data);
			t->cut = true;
		}
		memcpy(t->data, msg + rr.rdata + 3, t->len);
	}
	out->answered = true;
	return 0;
}

/* Sends q over TCP and reads the reply into buf: its length, 0 on
 * failure (why). */
static size_t
ask_tcp(const struct dns_server *srv, const uint8_t *q, size_t qlen,
    uint8_t *buf, size_t cap, const struct timespec *end,
    struct doctor_tls *io)
{
	uint8_t	frame[2 + QUERY_MAX];
	size_t	off = 0, want = 2, got = 0;
	ssize_t	n;
	int	fd;

	if ((fd = doctor_conn_open((const struct sockaddr *)&srv->addr,
	    srv->addrlen, SOCK_STREAM, end, io)) == -1)
		return 0;
	put16(frame, (uint16_t)qlen);
	memcpy(frame + 2, q, qlen);
	while (off < qlen + 2) {
		n = write(fd, frame + off, qlen + 2 - off);
		if (n > 0)
			off += (size_t)n;
		else if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
		    doctor_wait_fd(fd, POLLOUT, end, io) == -1)
			goto fail;
	}
	/* The two length octets, then as many as they say. */
	while (got < want) {
		n = read(fd, buf + got, (want > cap ? cap : want) - got);
		if (n > 0) {
			got += (size_t)n;
			if (got == 2 && want == 2) {
				want = 2 + dns_wire_peek16(buf);
				if (want > cap || want < 2 + HDR)
					goto fail;
			}
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR) ||
		    doctor_wait_fd(fd, POLLIN, end, io) == -1)
			goto fail;
	}
	close(fd);
	memmove(buf, buf + 2, want - 2);
	return want - 2;
fail:
	if (io->why[0] == '\0')
		snprintf(io->why, sizeof(io->why), "no whole reply over TCP");
	close(fd);
	return 0;
}

/* Sends q over UDP and waits for the reply with id: its length in buf,
 * 0 on failure (why). */
static size_t
ask_udp(const struct dns_server *srv, const uint8_t *q, size_t qlen,
    uint16_t id, uint8_t *buf, size_t cap, const struct timespec *end,
    struct doctor_tls *io)
{
	ssize_t	n;
	int	fd;

	if ((fd = doctor_conn_open((const struct sockaddr *)&srv->addr,
	    srv->addrlen, SOCK_DGRAM, end, io)) == -1)
		return 0;
	if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
		snprintf(io->why, sizeof(io->why), "send: %s",
		    strerror(errno));
		close(fd);
		return 0;
	}
	for (;;) {
		n = recv(fd, buf, cap, 0);
		if (n >= HDR && dns_wire_peek16(buf) == id) {
			close(fd);
			return (size_t)n;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			snprintf(io->why, sizeof(io->why), "recv: %s",
			    strerror(errno));
			break;
		}
		if (n == -1 && doctor_wait_fd(fd, POLLIN, end, io) == -1)
			break;
	}
	close(fd);
	return 0;
}

void
doctor_dns_ask(const struct dns_server *srv, const char *name, uint16_t type,
    bool cd, const struct timespec *end, struct doctor_dns_answer *out)
{
	struct doctor_tls	 io;
	uint8_t			 q[QUERY_MAX], *buf;
	size_t			 qlen, nl, len = 0;
	uint16_t		 id = 0;

	memset(out, 0, sizeof(*out));
	memset(&io, 0, sizeof(io));
	if ((nl = name_wire(name, q + HDR)) == 0) {
		snprintf(out->why, sizeof(out->why), "a name it cannot ask");
		return;
	}
	if (getentropy(&id, sizeof(id)) == -1)
		id = (uint16_t)(time(NULL) ^ getpid());
	memset(q, 0, HDR);
	put16(q, id);
	put16(q + 2, FLAG_RD | FLAG_AD | (cd ? FLAG_CD : 0));
	put16(q + 4, 1);
	put16(q + 10, 1);
	qlen = HDR + nl;
	put16(q + qlen, type);
	put16(q + qlen + 2, 1);
	qlen += 4;
	/* OPT: root owner, UDP size, DO=1 (RFC 6891, RFC 3225). */
	q[qlen] = 0;
	put16(q + qlen + 1, 41);
	put16(q + qlen + 3, EDNS_SIZE);
	q[qlen + 5] = q[qlen + 6] = 0;
	put16(q + qlen + 7, 0x8000);
	put16(q + qlen + 9, 0);
	qlen += 11;
	if ((buf = malloc(65536 + 2)) == NULL) {
		snprintf(out->why, sizeof(out->why), "out of memory");
		return;
	}
	if (!srv->tcp)
		len = ask_udp(srv, q, qlen, id, buf, 65536, end, &io);
	if (srv->tcp || (len >= HDR && (dns_wire_peek16(buf + 2) & FLAG_TC)))
		len = ask_tcp(srv, q, qlen, buf, 65536 + 2, end, &io);
	if (len == 0)
		snprintf(out->why, sizeof(out->why), "%.120s", io.timed_out ?
		    "no answer (time-out)" : io.why);
	else
		(void)doctor_dns_parse(buf, len, id, type, out);
	free(buf);
}
