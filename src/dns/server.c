/*
 * server.c: where the stub client sends its questions: a server given as
 * "udp:ADDR[:PORT]", "tcp:ADDR[:PORT]" or a bare address (IPv6 in
 * brackets when a port follows, RFC 3986 section 3.2.2 style), or the first
 * usable nameserver of a resolv.conf file (resolv.conf(5)).  Addresses are
 * numeric: no name is ever resolved to find the resolver.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include "dns/dns.h"
#include "util/err.h"

#define SPEC_MAX	256	/* longest specification looked at */
#define DEFAULT_PORT	53

/* Fills srv from a numeric address (scope id allowed) and port. */
static int
addr_parse(const char *addr, unsigned port, struct dns_server *srv)
{
	struct addrinfo	 hints, *res = NULL;
	char		 portstr[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(addr, portstr, &hints, &res) != 0 ||
	    res == NULL)
		return -1;
	if (res->ai_addrlen > sizeof(srv->addr) ||
	    (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
		freeaddrinfo(res);
		return -1;
	}
	memset(&srv->addr, 0, sizeof(srv->addr));
	memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
	srv->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
port_parse(const char *s, unsigned *port_out)
{
	unsigned long	v = 0;
	size_t		i;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port_out = (unsigned)v;
	return 0;
}

int
dns_server_parse(const char *spec, struct dns_server *srv, struct err *err)
{
	char		 buf[SPEC_MAX], *addr, *port = NULL, *end;
	unsigned	 portnum = DEFAULT_PORT;
	const char	*rest = spec;
	int		 tcp = 0;

	if (spec == NULL || *spec == '\0') {
		err_set(err, DNS_E_SPEC, "empty dns server");
		return -1;
	}
	if (strncasecmp(spec, "udp:", 4) == 0)
		rest = spec + 4;
	else if (strncasecmp(spec, "tcp:", 4) == 0) {
		rest = spec + 4;
		tcp = 1;
	}
	if (strlen(rest) >= sizeof(buf)) {
		err_set(err, DNS_E_SPEC, "dns server: specification too long");
		return -1;
	}
	memcpy(buf, rest, strlen(rest) + 1);
	addr = buf;
	if (*addr == '[') {
		if ((end = strchr(addr, ']')) == NULL) {
			err_set(err, DNS_E_SPEC, "dns server %.64s: missing ]",
			    spec);
			return -1;
		}
		*end = '\0';
		addr++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			err_set(err, DNS_E_SPEC,
			    "dns server %.64s: junk after ]", spec);
			return -1;
		}
		if (strchr(addr, ':') == NULL) {
			err_set(err, DNS_E_SPEC, "dns server %.64s: brackets "
			    "are for ipv6 addresses", spec);
			return -1;
		}
	} else if ((end = strchr(addr, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL) {
		/* One colon: IPv4 and port.  More: a bare IPv6 address. */
		*end = '\0';
		port = end + 1;
	}
	if (port != NULL && port_parse(port, &portnum) == -1) {
		err_set(err, DNS_E_SPEC, "dns server %.64s: bad port", spec);
		return -1;
	}
	if (*addr == '\0') {
		err_set(err, DNS_E_SPEC, "dns server %.64s: no address", spec);
		return -1;
	}
	memset(srv, 0, sizeof(*srv));
	if (addr_parse(addr, portnum, srv) == -1) {
		err_set(err, DNS_E_SPEC, "dns server %.64s: not an ip address",
		    spec);
		return -1;
	}
	srv->tcp = tcp;
	return 0;
}

/*
 * One nameserver line's address: fe80::1%eth0 names an interface, which
 * may not exist here; then the address is used without its scope.
 */
static int
resolv_addr(const char *word, struct dns_server *srv)
{
	char	buf[INET6_ADDRSTRLEN + 64], *pct;

	if (strlen(word) >= sizeof(buf))
		return -1;
	if (addr_parse(word, DEFAULT_PORT, srv) == 0)
		return 0;
	memcpy(buf, word, strlen(word) + 1);
	if ((pct = strchr(buf, '%')) == NULL)
		return -1;
	*pct = '\0';
	return addr_parse(buf, DEFAULT_PORT, srv);
}

int
dns_server_from_resolv_conf(const char *path, struct dns_server *srv,
    struct err *err)
{
	FILE	*f;
	char	 line[1024], *word, *save;
	int	 cont = 0, found = 0;

	if (path == NULL)
		path = "/etc/resolv.conf";
	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, DNS_E_RESOLV, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(srv, 0, sizeof(*srv));
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		/* The tail of an overlong line is not a line of its own. */
		if (cont) {
			cont = strchr(line, '\n') == NULL;
			continue;
		}
		cont = strchr(line, '\n') == NULL && !feof(f);
		if ((word = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    strcmp(word, "nameserver") != 0)
			continue;
		if ((word = strtok_r(NULL, " \t\r\n", &save)) == NULL ||
		    *word == '#' || *word == ';')
			continue;
		if (resolv_addr(word, srv) == 0)
			found = 1;
	}
	if (ferror(f)) {
		err_set(err, DNS_E_RESOLV, "%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	if (!found) {
		err_set(err, DNS_E_RESOLV, "%s: no usable nameserver", path);
		return -1;
	}
	srv->tcp = 0;
	return 0;
}
