/*
 * milter_echo.c: the milter core (src/milter) behind a real MTA, for
 * tests/integration/milter.sh.  Listens on 127.0.0.1:PORT, serves one MTA
 * connection at a time with a plain poll(2) loop, and at each end of
 * message inserts "X-Timbre-Test: 1" then "X-Timbre-Order: 2" at the top.
 * Each event goes to standard output, one line, header values in brackets
 * so that their leading space shows:
 *
 *	header Subject:[ milter test]
 *
 * With a third argument, the bytes of each connection are also appended
 * to that file (a fuzz seed from a real conversation).
 *
 *	usage: milter_echo PORT [DUMPFILE]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter/milter.h"
#include "util/err.h"

static const struct milter_header hdrs[] = {
	{ "X-Timbre-Test", " 1" },
	{ "X-Timbre-Order", " 2" },
};

static void
print_event(struct milter_session *s, enum milter_event ev,
    const struct milter_cmd *c)
{
	const char	*i = milter_session_macro(s, "i");
	uint32_t	 v, a, p;

	switch (ev) {
	case MILTER_EV_OPTNEG:
		milter_session_protocol(s, &v, &a, &p);
		printf("optneg version=%lu actions=0x%lx protocol=0x%lx\n",
		    (unsigned long)v, (unsigned long)a, (unsigned long)p);
		break;
	case MILTER_EV_CONNECT:
		printf("connect %s %c %s\n", c->host, c->family,
		    c->addr != NULL ? c->addr : "-");
		break;
	case MILTER_EV_MAIL:
		printf("mail %s\n", c->addr);
		break;
	case MILTER_EV_HEADER:
		printf("header %s:[%s]\n", c->name, c->value);
		break;
	case MILTER_EV_EOH:
		printf("eoh\n");
		break;
	case MILTER_EV_BODY:
		printf("body %zu bytes\n", c->body_len);
		break;
	case MILTER_EV_EOM:
		printf("eom i=%s\n", i != NULL ? i : "-");
		break;
	case MILTER_EV_ABORT:
		printf("abort\n");
		break;
	case MILTER_EV_QUIT:
		printf("quit\n");
		break;
	default:
		printf("event %d\n", (int)ev);
	}
	fflush(stdout);
}

/* Writes all the session's output; -1 on a write error. */
static int
flush_output(int fd, struct milter_session *s)
{
	const char	*p;
	size_t		 n;
	ssize_t		 w;

	while ((p = milter_session_output(s, &n)) != NULL) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		milter_session_output_drop(s, (size_t)w);
	}
	return 0;
}

static void
serve(int fd, FILE *dump)
{
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;
	enum milter_event	 ev;
	char			 buf[MILTER_MAX_FEED];
	ssize_t			 n;

	if ((s = milter_session_new(MILTER_DEFAULT_ACTIONS,
	    MILTER_DEFAULT_PROTOCOL, &err)) == NULL) {
		fprintf(stderr, "milter_echo: %s\n", err.msg);
		return;
	}
	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("closed by the mta\n");
			break;
		}
		if (dump != NULL)
			fwrite(buf, 1, (size_t)n, dump);
		if (milter_session_feed(s, buf, (size_t)n, &err) == -1)
			goto fail;
		while ((ev = milter_session_next(s, &c, &err)) !=
		    MILTER_EV_NEED_MORE) {
			if (ev == MILTER_EV_ERROR)
				goto fail;
			print_event(s, ev, &c);
			if (ev == MILTER_EV_QUIT)
				goto out;
			if (ev == MILTER_EV_EOM &&
			    milter_session_eom_reply(s, hdrs, 2, &err) == -1)
				goto fail;
		}
		if (flush_output(fd, s) == -1) {
			perror("milter_echo: write");
			goto out;
		}
	}
	goto out;
fail:
	printf("error %d %s\n", err.code, err.msg);
out:
	fflush(stdout);
	if (dump != NULL)
		fflush(dump);
	milter_session_free(s);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	FILE			*dump = NULL;
	int			 ls, fd, one = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: milter_echo PORT [DUMPFILE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && (dump = fopen(argv[2], "ab")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(ls, 16) == -1) {
		perror("milter_echo: listen");
		return 1;
	}
	printf("listening on 127.0.0.1:%s\n", argv[1]);
	fflush(stdout);
	pfd.fd = ls;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			perror("milter_echo: poll");
			return 1;
		}
		if ((fd = accept(ls, NULL, NULL)) == -1)
			continue;
		printf("accepted\n");
		serve(fd, dump);
		close(fd);
	}
}
