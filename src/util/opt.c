/*
 * opt.c: option tables (see opt.h): defaults, then the configuration
 * file, then the command line.  A secret (OPT_SECRET: a password, a
 * key) is wiped wherever opt.c held it: its copy before it is freed,
 * the line of the file it was read from, and its text in argv, which
 * /proc/PID/cmdline would show to every user for as long as the daemon
 * runs.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/err.h"
#include "util/log.h"
#include "util/opt.h"

#define OPT_MAX		64	/* options in one table */
#define OPT_LINE	4096	/* longest line of a configuration file */

static size_t
opt_elem_size(int type)
{
	switch (type & OPT_TYPE_MASK) {
	case OPT_STRING:
		return sizeof(char *);
	case OPT_BOOL:
		return sizeof(bool);
	case OPT_INT:
	case OPT_DURATION:
		return sizeof(long long);
	case OPT_ADDR:
		return sizeof(struct opt_addr);
	case OPT_LOGLEVEL:
		return sizeof(enum log_level);
	}
	return 0;
}

int
opt_parse_addr(const char *s, int default_port, struct opt_addr *a,
    struct err *err)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a->ss;
	char			 host[64];
	const char		*port = NULL, *close;
	char			*end;
	long			 p = default_port;
	size_t			 n;

	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), "%s", s);
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL)
			goto bad;
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			goto bad;
		s++;
	} else if ((close = strchr(s, ':')) != NULL &&
	    strchr(close + 1, ':') == NULL) {
		n = (size_t)(close - s);	/* ADDR:PORT */
		port = close + 1;
	} else
		n = strlen(s);			/* ADDR, or a bare IPv6 */
	if (n == 0 || n >= sizeof(host))
		goto bad;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port != NULL) {
		errno = 0;
		p = strtol(port, &end, 10);
		if (errno != 0 || *port == '\0' || *end != '\0' || p < 0 ||
		    p > 65535)
			goto bad;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		a->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*sin6);
		return 0;
	}
bad:
	err_set(err, OPT_E_CONFIG, "\"%s\" is not ADDR[:PORT] (IPv6 as "
	    "[ADDR]:PORT)", a->text);
	return -1;
}

int
opt_parse_host_addr(const char *s, int default_port, struct opt_addr *a,
    struct err *err)
{
	struct addrinfo	 hints, *res;
	const char	*colon, *port;
	char		 host[256], defport[8];
	size_t		 hlen;
	int		 rc;

	if (opt_parse_addr(s, default_port, a, err) == 0)
		return 0;
	colon = strchr(s, ':');
	hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	snprintf(defport, sizeof(defport), "%d", default_port);
	port = colon != NULL ? colon + 1 : defport;
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0' ||
	    strlen(port) > 5 || strspn(port, "0123456789") != strlen(port)) {
		err_set(err, OPT_E_CONFIG, "\"%s\" is not ADDR[:PORT] or "
		    "HOST[:PORT]", s);
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	/* A name, not something for the resolver to make sense of. */
	if (strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != hlen ||
	    host[0] == '-' || host[0] == '.' || strstr(host, "..") != NULL) {
		err_set(err, OPT_E_CONFIG, "\"%s\" is not an address or a "
		    "host name", s);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		err_set(err, OPT_E_CONFIG, "%s: %s", s, gai_strerror(rc));
		return -1;
	}
	if (res->ai_addrlen > sizeof(a->ss)) {
		freeaddrinfo(res);
		err_set(err, OPT_E_CONFIG, "%s: an address too long", s);
		return -1;
	}
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	snprintf(a->text, sizeof(a->text), "%s", s);
	freeaddrinfo(res);
	return 0;
}

int
opt_parse_duration(const char *s, long long *out, struct err *err)
{
	static const struct {
		char		unit;
		long long	secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	    { 'w', 604800 } };
	long long	v;
	char		*end;
	size_t		i;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		goto bad;
	if (*end == '\0') {
		*out = v;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && end[1] == '\0') {
			if (v > INT64_MAX / units[i].secs)
				goto bad;
			*out = v * units[i].secs;
			return 0;
		}
bad:
	err_set(err, OPT_E_CONFIG, "\"%s\" is not a duration (30, 90s, 15m, "
	    "2h, 30d, 1w)", s);
	return -1;
}

/* Parses text as o's type into the element at dst. */
static int
opt_parse_value(const struct opt *o, const char *text, void *dst,
    struct err *err)
{
	long long	 v;
	char		*end;

	switch (o->type & OPT_TYPE_MASK) {
	case OPT_STRING:
		if ((*(char **)dst = strdup(text)) == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
		return 0;
	case OPT_BOOL:
		if (strcmp(text, "yes") == 0 || strcmp(text, "true") == 0 ||
		    strcmp(text, "1") == 0 || strcmp(text, "") == 0)
			*(bool *)dst = true;
		else if (strcmp(text, "no") == 0 ||
		    strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			*(bool *)dst = false;
		else {
			err_set(err, OPT_E_CONFIG, "\"%s\" is not yes or no",
			    text);
			return -1;
		}
		return 0;
	case OPT_INT:
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0') {
			err_set(err, OPT_E_CONFIG, "\"%s\" is not a number",
			    text);
			return -1;
		}
		*(long long *)dst = v;
		return 0;
	case OPT_DURATION:
		return opt_parse_duration(text, (long long *)dst, err);
	case OPT_ADDR:
		if (o->type & OPT_HOSTNAME)
			return opt_parse_host_addr(text, o->port, dst, err);
		return opt_parse_addr(text, o->port, dst, err);
	case OPT_LOGLEVEL:
		if (log_level_parse(text, dst) == -1) {
			err_set(err, OPT_E_CONFIG, "\"%s\" is not error, warn, "
			    "info or debug", text);
			return -1;
		}
		return 0;
	}
	err_set(err, OPT_E_CONFIG, "option of unknown type");
	return -1;
}

static void
opt_free_value(const struct opt *o, void *elem)
{
	char	*v;

	if ((o->type & OPT_TYPE_MASK) == OPT_STRING) {
		v = *(char **)elem;
		if (v != NULL && (o->type & OPT_SECRET))
			OPENSSL_cleanse(v, strlen(v));
		free(v);
		*(char **)elem = NULL;
	}
}

static void
opt_clear(const struct opt *o, void *conf)
{
	char		*field = (char *)conf + o->off;
	struct opt_list	*l;
	size_t		 i, sz = opt_elem_size(o->type);

	if (o->type & OPT_REPEAT) {
		l = (struct opt_list *)(void *)field;
		for (i = 0; i < l->n; i++)
			opt_free_value(o, (char *)l->v + i * sz);
		free(l->v);
		l->v = NULL;
		l->n = 0;
	} else
		opt_free_value(o, field);
}

/* Sets (or, for a repeatable option, appends) one value. */
static int
opt_set(const struct opt *o, void *conf, const char *text, struct err *err)
{
	char		*field = (char *)conf + o->off, *nv;
	struct opt_list	*l;
	size_t		 sz = opt_elem_size(o->type);

	if (!(o->type & OPT_REPEAT)) {
		opt_free_value(o, field);
		return opt_parse_value(o, text, field, err);
	}
	l = (struct opt_list *)(void *)field;
	if ((nv = realloc(l->v, (l->n + 1) * sz)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	l->v = nv;
	memset(nv + l->n * sz, 0, sz);
	if (opt_parse_value(o, text, nv + l->n * sz, err) == -1)
		return -1;
	l->n++;
	return 0;
}

static const struct opt *
opt_find(const struct opt *opts, const char *name)
{
	for (; opts->name != NULL; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

/* Reads "name = value" lines; seen[] marks the options the file set. */
static int
opt_read_file(const struct opt_program *prog, const char *path,
    bool must_exist, void *conf, bool *seen, struct err *err)
{
	FILE		*f;
	char		 line[OPT_LINE], *p, *eq, *name, *val, *e;
	const struct opt *o;
	size_t		 lineno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (!must_exist && errno == ENOENT)
			return 0;
		err_set(err, OPT_E_CONFIG, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			err_set(err, OPT_E_CONFIG, "%s:%zu: line too long",
			    path, lineno);
			goto fail;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0')
			continue;
		name = p;
		if ((eq = strchr(p, '=')) == NULL) {
			/* A bare name sets a boolean. */
			val = NULL;
			e = p + strlen(p);
		} else {
			e = eq;
			val = eq + 1;
		}
		while (e > name && isspace((unsigned char)e[-1]))
			e--;
		*e = '\0';
		if (val != NULL) {
			while (isspace((unsigned char)*val))
				val++;
			e = val + strlen(val);
			while (e > val && isspace((unsigned char)e[-1]))
				e--;
			*e = '\0';
		}
		if ((o = opt_find(prog->opts, name)) == NULL) {
			err_set(err, OPT_E_CONFIG, "%s:%zu: unknown option "
			    "\"%s\"", path, lineno, name);
			goto fail;
		}
		if (val == NULL && (o->type & OPT_TYPE_MASK) != OPT_BOOL) {
			err_set(err, OPT_E_CONFIG, "%s:%zu: %s needs \"= "
			    "value\"", path, lineno, name);
			goto fail;
		}
		if (!(o->type & OPT_REPEAT) && seen[o - prog->opts] &&
		    (o->type & OPT_TYPE_MASK) != OPT_BOOL) {
			err_set(err, OPT_E_CONFIG, "%s:%zu: %s given twice",
			    path, lineno, name);
			goto fail;
		}
		if ((o->type & OPT_REPEAT) && !seen[o - prog->opts])
			opt_clear(o, conf);	/* the file replaces defaults */
		seen[o - prog->opts] = true;
		if (opt_set(o, conf, val ? val : "yes", err) == -1) {
			err_prefix(err, "%s:%zu: %s", path, lineno, name);
			err->code = OPT_E_CONFIG;
			goto fail;
		}
	}
	if (ferror(f)) {
		err_set(err, OPT_E_CONFIG, "%s: read error", path);
		goto fail;
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return 0;
fail:
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return -1;
}

static void
opt_help(const struct opt_program *prog)
{
	const struct opt	*o;
	char			 lhs[64];

	printf("usage: %s [-c FILE] [OPTIONS]\n%s\n\n", prog->name,
	    prog->synopsis);
	printf("  -c, --config FILE          configuration file (default %s)\n",
	    prog->config);
	for (o = prog->opts; o->name != NULL; o++) {
		snprintf(lhs, sizeof(lhs), "%c%c%c --%s%s",
		    o->short_name ? '-' : ' ', o->short_name ? o->short_name :
		    ' ', o->short_name ? ',' : ' ', o->name,
		    (o->type & OPT_TYPE_MASK) == OPT_BOOL ? "" : " VALUE");
		printf("  %-26s %s%s%s%s\n", lhs, o->help,
		    o->def ? " (default " : "", o->def ? o->def : "",
		    o->def ? ")" : "");
	}
	printf("      --help                 this text\n"
	    "      --version              the version\n\n"
	    "Every option may also be set in the file as \"name = value\".\n");
}

int
opt_load(const struct opt_program *prog, int argc, char *argv[], void *conf,
    void (*warn_cb)(const char *), struct err *err)
{
	struct option		 lopts[OPT_MAX + 4];
	char			 shorts[OPT_MAX * 2 + 8], msg[160];
	const struct opt	*o;
	const char		*config = prog->config;
	bool			 config_given = false, short_opt;
	bool			 seen[OPT_MAX] = { false };
	bool			 argv_seen[OPT_MAX] = { false };
	size_t			 n, s = 0, i;
	int			 c, idx;

	for (n = 0; prog->opts[n].name != NULL; n++)
		;
	if (n > OPT_MAX) {
		err_set(err, OPT_E_CONFIG, "too many options");
		return -1;
	}
	shorts[s++] = ':';
	shorts[s++] = 'c';
	shorts[s++] = ':';
	for (i = 0; i < n; i++) {
		o = &prog->opts[i];
		lopts[i].name = o->name;
		lopts[i].has_arg = (o->type & OPT_TYPE_MASK) == OPT_BOOL ?
		    no_argument : required_argument;
		lopts[i].flag = NULL;
		lopts[i].val = 1000 + (int)i;
		if (o->short_name) {
			shorts[s++] = (char)o->short_name;
			if (lopts[i].has_arg == required_argument)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	lopts[n] = (struct option){ "config", required_argument, NULL, 'c' };
	lopts[n + 1] = (struct option){ "help", no_argument, NULL, 'H' };
	lopts[n + 2] = (struct option){ "version", no_argument, NULL, 'V' };
	lopts[n + 3] = (struct option){ NULL, 0, NULL, 0 };

	/* Pass 1: -c, --help, --version, and the syntax of the line. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lopts, &idx)) != -1) {
		if (c == 'c') {
			config = optarg;
			config_given = true;
		} else if (c == 'H') {
			opt_help(prog);
			err_set(err, OPT_E_DONE, "help printed");
			return -1;
		} else if (c == 'V') {
			printf("%s %s\n", prog->name, PACKAGE_VERSION);
			err_set(err, OPT_E_DONE, "version printed");
			return -1;
		} else if (c == '?' || c == ':') {
			/* The caller prefixes the program's name. */
			/* optopt is a short option's letter, or for a long
			 * one its code (1000 + index) or 0: then argv says. */
			short_opt = optopt > 0 && optopt < 256;
			err_set(err, OPT_E_USAGE, "%s option %s%s (see "
			    "--help)", c == ':' ? "missing value for" :
			    "unknown", short_opt ? "-" : "", short_opt ?
			    (char[]){ (char)optopt, '\0' } : argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		err_set(err, OPT_E_USAGE, "unexpected argument \"%s\"",
		    argv[optind]);
		return -1;
	}

	/* Defaults. */
	for (i = 0; i < n; i++) {
		o = &prog->opts[i];
		if (o->def != NULL && opt_set(o, conf, o->def, err) == -1) {
			err_prefix(err, "default of %s", o->name);
			return -1;
		}
	}
	/* The file. */
	if (opt_read_file(prog, config, config_given, conf, seen, err) == -1)
		return -1;
	/* Pass 2: the command line wins. */
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lopts, &idx)) != -1) {
		if (c == 'c')
			continue;
		if (c >= 1000)
			i = (size_t)(c - 1000);
		else
			for (i = 0; i < n && prog->opts[i].short_name != c; i++)
				;
		o = &prog->opts[i];
		if ((o->type & OPT_REPEAT) && !argv_seen[i])
			opt_clear(o, conf);
		argv_seen[i] = true;
		if ((o->type & OPT_SECRET) && warn_cb != NULL) {
			snprintf(msg, sizeof(msg), "--%s on the command line "
			    "is visible to every user of this machine: prefer "
			    "a file", o->name);
			warn_cb(msg);
		}
		if (opt_set(o, conf, optarg ? optarg : "yes", err) == -1) {
			err_prefix(err, "--%s", o->name);
			err->code = OPT_E_USAGE;
			return -1;
		}
		/* Copied: argv keeps "--name=" or "--name", and NULs. */
		if ((o->type & OPT_SECRET) && optarg != NULL)
			OPENSSL_cleanse(optarg, strlen(optarg));
	}
	return 0;
}

void
opt_free(const struct opt_program *prog, void *conf)
{
	const struct opt	*o;

	for (o = prog->opts; o->name != NULL; o++)
		opt_clear(o, conf);
}
