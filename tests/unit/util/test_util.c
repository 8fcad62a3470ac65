/*
 * test_util.c: buffers, errors, base64 and option tables.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/opt.h"
#include "../unit.h"

TCase	*pool_tcase(void);	/* test_pool.c */

static const struct {
	const char	*plain;
	const char	*enc;
} b64_cases[] = {		/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_b64_roundtrip)
{
	const char	*plain = b64_cases[_i].plain, *enc = b64_cases[_i].enc;
	char		 out[64];
	uint8_t		*dec;
	size_t		 n;
	struct err	 err;

	ck_assert_uint_eq(b64_encode((const uint8_t *)plain, strlen(plain),
	    out), strlen(enc));
	ck_assert_str_eq(out, enc);
	ck_assert_int_eq(b64_decode(enc, strlen(enc), &dec, &n, &err), 0);
	ck_assert_uint_eq(n, strlen(plain));
	ck_assert(memcmp(dec, plain, n) == 0);
	free(dec);
}
END_TEST

START_TEST(test_b64_whitespace_and_errors)
{
	uint8_t		*dec;
	size_t		 n;
	struct err	 err;

	ck_assert_int_eq(b64_decode("Zm9v\r\n YmFy", 11, &dec, &n, &err), 0);
	ck_assert_uint_eq(n, 6);
	free(dec);
	ck_assert_int_eq(b64_decode("Zm9v!", 5, &dec, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_SYNTAX);
	ck_assert_int_eq(b64_decode("Zm9vY", 5, &dec, &n, &err), -1);
	ck_assert_int_eq(b64_decode("Zg=", 3, &dec, &n, &err), -1);
	ck_assert_int_eq(b64_decode("Zg==Zg==", 8, &dec, &n, &err), -1);
	ck_assert_ptr_null(dec);
}
END_TEST

START_TEST(test_buf_ceiling)
{
	struct buf	b;
	struct err	err;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_adds(&b, "12345", &err), 0);
	ck_assert_int_eq(buf_adds(&b, "6789", &err), -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(buf_printf(&b, &err, "%d", 678), 0);
	ck_assert_str_eq(b.data, "12345678");
	buf_drop(&b, 3);
	ck_assert_str_eq(b.data, "45678");
	buf_fini(&b);
}
END_TEST

START_TEST(test_err_prefix)
{
	struct err	err;

	err_set(&err, ERR_SYNTAX, "bad %s", "tag");
	err_prefix(&err, "signature %d", 2);
	ck_assert_str_eq(err.msg, "signature 2: bad tag");
}
END_TEST

static const struct {
	const char	*in;
	int		 ok;
	int		 family;
	int		 port;
} addr_cases[] = {
	{ "127.0.0.1", 1, AF_INET, 53 },
	{ "127.0.0.1:5353", 1, AF_INET, 5353 },
	{ "[::1]:25", 1, AF_INET6, 25 },
	{ "::1", 1, AF_INET6, 53 },
	{ "[::1]", 1, AF_INET6, 53 },
	{ "0.0.0.0:0", 1, AF_INET, 0 },
	{ "127.0.0.1:65536", 0, 0, 0 },
	{ "127.0.0.1:", 0, 0, 0 },
	{ "localhost:53", 0, 0, 0 },
	{ "[::1", 0, 0, 0 },
	{ "[::1]x", 0, 0, 0 },
	{ "", 0, 0, 0 },
};

START_TEST(test_opt_addr)
{
	struct opt_addr	a;
	struct err	err;
	int		rc;

	rc = opt_parse_addr(addr_cases[_i].in, 53, &a, &err);
	ck_assert_int_eq(rc, addr_cases[_i].ok ? 0 : -1);
	if (rc == -1)
		return;
	ck_assert_int_eq(a.ss.ss_family, addr_cases[_i].family);
	ck_assert_int_eq(ntohs(a.ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&a.ss)->sin_port :
	    ((struct sockaddr_in6 *)&a.ss)->sin6_port), addr_cases[_i].port);
}
END_TEST

/* opt_parse_host_addr: addresses as above; names through getaddrinfo,
 * which knows "localhost" from /etc/hosts without asking DNS. */
START_TEST(test_opt_host_addr)
{
	struct opt_addr	a;
	struct err	err;
	struct addrinfo	*ai;
	static const char *const bad[] = {
		"local host:25", "-x.test", "a..b", ".x", "x.test:", "x.test:2a",
		"x.test:123456", "", "no-such-host.invalid",
	};
	size_t		i;

	ck_assert_int_eq(opt_parse_host_addr("127.0.0.2:26", 25, &a, &err),
	    0);
	ck_assert_int_eq(a.ss.ss_family, AF_INET);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 26);
	/* A name, where the system knows "localhost" (a minimal chroot
	 * has no /etc/hosts: tests/compat). */
	if (getaddrinfo("localhost", NULL, NULL, &ai) == 0) {
		freeaddrinfo(ai);
		ck_assert_int_eq(opt_parse_host_addr("localhost:2525", 25, &a,
		    &err), 0);
		ck_assert_str_eq(a.text, "localhost:2525");
		ck_assert(a.ss.ss_family == AF_INET ||
		    a.ss.ss_family == AF_INET6);
		ck_assert_int_eq(ntohs(a.ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&a.ss)->sin_port :
		    ((struct sockaddr_in6 *)&a.ss)->sin6_port), 2525);
		ck_assert_int_eq(opt_parse_host_addr("localhost", 25, &a,
		    &err), 0);
		ck_assert_int_eq(ntohs(a.ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&a.ss)->sin_port :
		    ((struct sockaddr_in6 *)&a.ss)->sin6_port), 25);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(opt_parse_host_addr(bad[i], 25, &a, &err) == -1,
		    "\"%s\" taken", bad[i]);
		ck_assert_int_eq(err.code, OPT_E_CONFIG);
	}
}
END_TEST

START_TEST(test_opt_duration)
{
	long long	v;
	struct err	err;

	ck_assert_int_eq(opt_parse_duration("30", &v, &err), 0);
	ck_assert_int_eq(v, 30);
	ck_assert_int_eq(opt_parse_duration("30d", &v, &err), 0);
	ck_assert_int_eq(v, 30 * 86400);
	ck_assert_int_eq(opt_parse_duration("15m", &v, &err), 0);
	ck_assert_int_eq(v, 900);
	ck_assert_int_eq(opt_parse_duration("2x", &v, &err), -1);
	ck_assert_int_eq(opt_parse_duration("-1", &v, &err), -1);
	ck_assert_int_eq(opt_parse_duration("d", &v, &err), -1);
}
END_TEST

struct test_conf {
	struct opt_list	 listen;
	char		*domain;
	bool		 foreground;
	long long	 lifetime;
	enum log_level	 level;
};

#define OFF(f) offsetof(struct test_conf, f)
static const struct opt test_opts[] = {
	{ "listen", OPT_ADDR | OPT_REPEAT, "127.0.0.1:53", OFF(listen),
	  "where to serve", 0, 53 },
	{ "domain", OPT_STRING, NULL, OFF(domain), "the domain", 'd', 0 },
	{ "foreground", OPT_BOOL, NULL, OFF(foreground), "stay", 'f', 0 },
	{ "key-lifetime", OPT_DURATION, "30d", OFF(lifetime), "life", 0, 0 },
	{ "log-level", OPT_LOGLEVEL, "info", OFF(level), "level", 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 },
};

static const char *
write_conf(const char *text)
{
	static char	path[64];
	FILE		*f;
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/timbre-opt-XXXXXX");
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

static int
load(const char *conf_text, int argc, char **argv, struct test_conf *c,
    struct err *err)
{
	struct opt_program	prog = { "test", "a test", NULL, test_opts };
	const char		*path;
	int			 rc;

	memset(c, 0, sizeof(*c));
	path = write_conf(conf_text);
	prog.config = path;
	rc = opt_load(&prog, argc, argv, c, NULL, err);
	unlink(path);
	return rc;
}

START_TEST(test_opt_load)
{
	struct opt_program	 prog = { "test", "a test", NULL, test_opts };
	struct test_conf	 c;
	struct err		 err;
	char			*argv1[] = { "test", "-f", "--listen",
				    "[::1]:5353", "--domain=b.example", NULL };
	char			*argv2[] = { "test", "--bogus", NULL };
	char			*argv3[] = { "test", "--domain", NULL };
	char			*argv4[] = { "test", "extra", NULL };

	/* Defaults, then the file, then the command line. */
	ck_assert_int_eq(load("# comment\nlisten = 10.0.0.1\n"
	    "listen = 10.0.0.2:54  # two\ndomain = a.example\n"
	    "key-lifetime = 2h\nlog-level=debug\n", 1, argv1, &c, &err), 0);
	ck_assert_uint_eq(c.listen.n, 2);
	ck_assert_str_eq(((struct opt_addr *)c.listen.v)[1].text,
	    "10.0.0.2:54");
	ck_assert_str_eq(c.domain, "a.example");
	ck_assert_int_eq(c.lifetime, 7200);
	ck_assert_int_eq(c.level, LOG_LEVEL_DEBUG);
	opt_free(&prog, &c);
	ck_assert_int_eq(load("listen = 10.0.0.1\ndomain = a.example\n", 5,
	    argv1, &c, &err), 0);
	ck_assert_uint_eq(c.listen.n, 1);
	ck_assert_str_eq(((struct opt_addr *)c.listen.v)[0].text,
	    "[::1]:5353");
	ck_assert_str_eq(c.domain, "b.example");
	ck_assert(c.foreground);
	ck_assert_int_eq(c.lifetime, 30 * 86400);
	opt_free(&prog, &c);
	/* No file at all: the defaults. */
	memset(&c, 0, sizeof(c));
	prog.config = "/nonexistent/timbre.conf";
	ck_assert_int_eq(opt_load(&prog, 1, argv1, &c, NULL, &err), 0);
	ck_assert_uint_eq(c.listen.n, 1);
	ck_assert_str_eq(((struct opt_addr *)c.listen.v)[0].text,
	    "127.0.0.1:53");
	opt_free(&prog, &c);

	/* Errors name the file and line, or the option. */
	ck_assert_int_eq(load("domain = x\nnonsense = 1\n", 1, argv1, &c,
	    &err), -1);
	ck_assert_int_eq(err.code, OPT_E_CONFIG);
	ck_assert(strstr(err.msg, ":2: unknown option \"nonsense\"") != NULL);
	opt_free(&prog, &c);
	ck_assert_int_eq(load("listen = nowhere\n", 1, argv1, &c, &err), -1);
	ck_assert(strstr(err.msg, ":1: listen") != NULL);
	opt_free(&prog, &c);
	ck_assert_int_eq(load("domain\n", 1, argv1, &c, &err), -1);
	opt_free(&prog, &c);
	ck_assert_int_eq(load("domain = a\ndomain = b\n", 1, argv1, &c, &err),
	    -1);
	ck_assert(strstr(err.msg, "twice") != NULL);
	opt_free(&prog, &c);
	/* The messages name the option; the caller adds the program's. */
	ck_assert_int_eq(load("", 2, argv2, &c, &err), -1);
	ck_assert_int_eq(err.code, OPT_E_USAGE);
	ck_assert_str_eq(err.msg, "unknown option --bogus (see --help)");
	ck_assert_int_eq(load("", 2, argv3, &c, &err), -1);
	ck_assert_int_eq(err.code, OPT_E_USAGE);
	ck_assert_str_eq(err.msg, "missing value for option --domain (see "
	    "--help)");
	ck_assert_int_eq(load("", 2, argv4, &c, &err), -1);
	ck_assert_int_eq(err.code, OPT_E_USAGE);
	ck_assert_str_eq(err.msg, "unexpected argument \"extra\"");
	opt_free(&prog, &c);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_b64_roundtrip, 0,
	    sizeof(b64_cases) / sizeof(b64_cases[0]));
	tcase_add_test(tc, test_b64_whitespace_and_errors);
	tcase_add_test(tc, test_buf_ceiling);
	tcase_add_test(tc, test_err_prefix);
	tcase_add_loop_test(tc, test_opt_addr, 0,
	    sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(tc, test_opt_host_addr);
	tcase_add_test(tc, test_opt_duration);
	tcase_add_test(tc, test_opt_load);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, pool_tcase());
	return s;
}
