/*
 * test_server.c: server specifications and resolv.conf files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "dns/dns.h"
#include "util/err.h"
#include "test_dns.h"

/* "ADDR PORT" of a parsed server, for comparing with the tables. */
static void
server_str(const struct dns_server *srv, char *out, size_t size)
{
	const struct sockaddr_in	*a4;
	const struct sockaddr_in6	*a6;
	char				 a[INET6_ADDRSTRLEN];

	if (srv->addr.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&srv->addr;
		inet_ntop(AF_INET, &a4->sin_addr, a, sizeof(a));
		snprintf(out, size, "%s %u", a, ntohs(a4->sin_port));
		ck_assert_uint_eq(srv->addrlen, sizeof(*a4));
	} else {
		ck_assert_int_eq(srv->addr.ss_family, AF_INET6);
		a6 = (const struct sockaddr_in6 *)&srv->addr;
		inet_ntop(AF_INET6, &a6->sin6_addr, a, sizeof(a));
		snprintf(out, size, "%s %u", a, ntohs(a6->sin6_port));
		ck_assert_uint_eq(srv->addrlen, sizeof(*a6));
	}
}

static const struct {
	const char	*spec;
	int		 rc;
	int		 tcp;
	const char	*want;		/* "ADDR PORT" */
} spec_cases[] = {
	{ "127.0.0.1", 0, 0, "127.0.0.1 53" },
	{ "192.0.2.1:5353", 0, 0, "192.0.2.1 5353" },
	{ "udp:127.0.0.1:5353", 0, 0, "127.0.0.1 5353" },
	{ "UDP:127.0.0.1", 0, 0, "127.0.0.1 53" },
	{ "tcp:10.0.0.1", 0, 1, "10.0.0.1 53" },
	{ "tcp:10.0.0.1:853", 0, 1, "10.0.0.1 853" },
	{ "::1", 0, 0, "::1 53" },
	{ "2001:db8::53", 0, 0, "2001:db8::53 53" },
	{ "[::1]:5353", 0, 0, "::1 5353" },
	{ "[::1]", 0, 0, "::1 53" },
	{ "udp:[::1]:5353", 0, 0, "::1 5353" },
	{ "udp:::1", 0, 0, "::1 53" },
	{ "tcp:[2001:db8::1]", 0, 1, "2001:db8::1 53" },
	{ "tcp:[2001:db8::1]:65535", 0, 1, "2001:db8::1 65535" },
	{ "", -1, 0, NULL },
	{ "udp:", -1, 0, NULL },
	{ "tcp:", -1, 0, NULL },
	{ ":53", -1, 0, NULL },
	{ "1.2.3.4:", -1, 0, NULL },
	{ "1.2.3.4:0", -1, 0, NULL },
	{ "1.2.3.4:65536", -1, 0, NULL },
	{ "1.2.3.4:053x", -1, 0, NULL },
	{ "1.2.3.4:-1", -1, 0, NULL },
	{ "1.2.3.4: 53", -1, 0, NULL },
	{ "1.2.3.4:5:6", -1, 0, NULL },
	{ "300.1.1.1", -1, 0, NULL },
	{ "example.com", -1, 0, NULL },
	{ "localhost:53", -1, 0, NULL },
	{ "[::1", -1, 0, NULL },
	{ "[::1]x", -1, 0, NULL },
	{ "[::1]:", -1, 0, NULL },
	{ "[1.2.3.4]:53", -1, 0, NULL },
	{ "[]:53", -1, 0, NULL },
	{ "dot:1.2.3.4", -1, 0, NULL },
	{ "tcp:1.2.3.4:99999999999999999999", -1, 0, NULL },
};

START_TEST(test_server_parse)
{
	struct dns_server	srv;
	struct err		err;
	char			got[80];
	int			rc;

	err_clear(&err);
	rc = dns_server_parse(spec_cases[_i].spec, &srv, &err);
	ck_assert_msg(rc == spec_cases[_i].rc, "%s: %d %s",
	    spec_cases[_i].spec, rc, err.msg);
	if (rc == 0) {
		server_str(&srv, got, sizeof(got));
		ck_assert_str_eq(got, spec_cases[_i].want);
		ck_assert_int_eq(srv.tcp, spec_cases[_i].tcp);
	} else {
		ck_assert_int_eq(err.code, DNS_E_SPEC);
		ck_assert(err.msg[0] != '\0');
	}
}
END_TEST

START_TEST(test_server_parse_long)
{
	struct dns_server	srv;
	struct err		err;
	char			spec[1024];

	memset(spec, '1', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	ck_assert_int_eq(dns_server_parse(spec, &srv, &err), -1);
	ck_assert_int_eq(err.code, DNS_E_SPEC);
	ck_assert_int_eq(dns_server_parse(NULL, &srv, &err), -1);
}
END_TEST

static const struct {
	const char	*text;
	const char	*want;		/* NULL: no usable nameserver */
} resolv_cases[] = {
	{ "# generated\nsearch example.com\n"
	    "nameserver 192.0.2.1\nnameserver 192.0.2.2\n", "192.0.2.1 53" },
	{ "nameserver\t2001:db8::1  # comment\n", "2001:db8::1 53" },
	{ "  nameserver 192.0.2.7", "192.0.2.7 53" },
	{ "nameserver fe80::1%no-such-if0\n", "fe80::1 53" },
	{ "nameserver bogus\nnameserver\nnameserver ::1\n", "::1 53" },
	{ "; nameserver 192.0.2.9\n#nameserver 192.0.2.9\n"
	    "nameservers 192.0.2.9\n", NULL },
	{ "", NULL },
	{ "options edns0\r\nnameserver 192.0.2.3\r\n", "192.0.2.3 53" },
};

START_TEST(test_server_resolv_conf)
{
	struct dns_server	 srv;
	struct err		 err;
	char			 path[] = "/tmp/check_dns.XXXXXX", got[80];
	FILE			*f;
	int			 fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs(resolv_cases[_i].text, f);
	fclose(f);
	err_clear(&err);
	if (resolv_cases[_i].want == NULL) {
		ck_assert_int_eq(dns_server_from_resolv_conf(path, &srv, &err),
		    -1);
		ck_assert_int_eq(err.code, DNS_E_RESOLV);
	} else {
		ck_assert_msg(dns_server_from_resolv_conf(path, &srv,
		    &err) == 0, "%s", err.msg);
		server_str(&srv, got, sizeof(got));
		ck_assert_str_eq(got, resolv_cases[_i].want);
		ck_assert_int_eq(srv.tcp, 0);
	}
	unlink(path);
}
END_TEST

/* A nameserver line after an overlong line is still found. */
START_TEST(test_server_resolv_conf_long_line)
{
	struct dns_server	 srv;
	struct err		 err;
	char			 path[] = "/tmp/check_dns.XXXXXX", got[80];
	FILE			*f;
	int			 fd, i;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs("search", f);
	for (i = 0; i < 300; i++)
		fputs(" nameserver 192.0.2.66", f);
	fputs("\nnameserver 192.0.2.5\n", f);
	fclose(f);
	ck_assert_int_eq(dns_server_from_resolv_conf(path, &srv, &err), 0);
	server_str(&srv, got, sizeof(got));
	ck_assert_str_eq(got, "192.0.2.5 53");
	unlink(path);
	ck_assert_int_eq(dns_server_from_resolv_conf(path, &srv, &err), -1);
	ck_assert_int_eq(err.code, DNS_E_RESOLV);
}
END_TEST

TCase *
dns_tcase_server(void)
{
	TCase	*tc = tcase_create("server");

	tcase_add_loop_test(tc, test_server_parse, 0,
	    sizeof(spec_cases) / sizeof(spec_cases[0]));
	tcase_add_test(tc, test_server_parse_long);
	tcase_add_loop_test(tc, test_server_resolv_conf, 0,
	    sizeof(resolv_cases) / sizeof(resolv_cases[0]));
	tcase_add_test(tc, test_server_resolv_conf_long_line);
	return tc;
}
