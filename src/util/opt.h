/*
 * opt.h: one option table per daemon drives the command line
 * (getopt_long), the "name = value" configuration file, --help and the
 * test that every option is documented (docs/interface.md, "Conventions shared
 * by every daemon").
 *
 * The file (-c FILE, or the table's default path when it exists) is read
 * first, then the command line, which wins: an option given on the
 * command line replaces what the file said, repeatable ones included.  An
 * unknown name in the file is an error naming the file and line.
 */
#ifndef TIMBRE_UTIL_OPT_H
#define TIMBRE_UTIL_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct err;

enum opt_error {
	OPT_E_USAGE = 500,	/* bad command line: exit 2 */
	OPT_E_CONFIG,		/* bad file or value: exit 1 */
	OPT_E_DONE,		/* --help or --version was printed: exit 0 */
};

/* Types, and flags or'ed into them. */
enum opt_type {
	OPT_STRING = 1,		/* char *: a copy of the value */
	OPT_BOOL,		/* bool: the option takes no value */
	OPT_INT,		/* long long, decimal */
	OPT_ADDR,		/* struct opt_addr: ADDR[:PORT], [V6]:PORT */
	OPT_DURATION,		/* long long seconds: 30, 90s, 15m, 2h, 30d */
	OPT_LOGLEVEL,		/* enum log_level */
	OPT_TYPE_MASK = 0xff,
	OPT_REPEAT = 0x100,	/* struct opt_list of the type above */
	/* Warn when given on the command line, wipe the value there once
	 * copied (argv is changed: a reload reads it as ""), and wipe the
	 * copy before freeing it. */
	OPT_SECRET = 0x200,
	/* OPT_ADDR only: a host name and an optional port is taken too,
	 * resolved when the option is loaded (opt_parse_host_addr). */
	OPT_HOSTNAME = 0x400,
};

struct opt_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 text[64];	/* as given, for logs */
};

/* A repeatable option's values: an array of the option's type. */
struct opt_list {
	void	*v;
	size_t	 n;
};

struct opt {
	const char	*name;		/* long name, and the file's name */
	int		 type;		/* enum opt_type | flags */
	const char	*def;		/* default, as text; NULL: none */
	size_t		 off;		/* offset of the field in the config */
	const char	*help;		/* one line for --help */
	int		 short_name;	/* 0: none */
	int		 port;		/* OPT_ADDR: port when none is given */
};

/*
 * The options every daemon has (-f, --log-level, --user), as entries of
 * its table: its configuration struct has the fields foreground, log_level
 * and user, and OFF(field) gives their offsets.
 */
#define OPT_DAEMON_COMMON(OFF)						\
	{ "foreground", OPT_BOOL, NULL, OFF(foreground),		\
	  "stay in the foreground, log to stderr", 'f', 0 },		\
	{ "log-level", OPT_LOGLEVEL, "info", OFF(log_level),		\
	  "error, warn, info or debug", 0, 0 },				\
	{ "user", OPT_STRING, NULL, OFF(user),				\
	  "drop root to this user after binding", 0, 0 }

/* The description of a daemon for opt_load. */
struct opt_program {
	const char		*name;		/* "timbre-resolverd" */
	const char		*synopsis;	/* one line for --help */
	const char		*config;	/* default config file path */
	const struct opt	*opts;		/* ends with { NULL } */
};

/*
 * Fills conf (zeroed by the caller) from the defaults, the file and argv.
 * Returns 0, or -1 with err: OPT_E_USAGE, OPT_E_CONFIG, or OPT_E_DONE
 * after printing --help or --version to stdout.  Warnings (a secret on
 * the command line) go through warn_cb if not NULL.
 */
int	opt_load(const struct opt_program *, int argc, char *argv[],
	    void *conf, void (*warn_cb)(const char *), struct err *);
/* Frees the strings and lists opt_load put in conf.  To reload on
 * SIGHUP, call opt_load again with the same argv into a new conf and
 * keep the old one if it fails. */
void	opt_free(const struct opt_program *, void *conf);

/* Parsers, exported for tests and for other configuration sources. */
int	opt_parse_addr(const char *, int default_port, struct opt_addr *,
	    struct err *);
/* An address as opt_parse_addr takes it, else HOST[:PORT]: a host name
 * (letters, digits, '-' and '.') resolved now by the system's resolver
 * (getaddrinfo: /etc/hosts, then DNS), whose first address is kept; its
 * text stays as given. */
int	opt_parse_host_addr(const char *, int default_port, struct opt_addr *,
	    struct err *);
int	opt_parse_duration(const char *, long long *, struct err *);

#endif
