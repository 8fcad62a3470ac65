/*
 * tool.h: what the subcommands of timbre(1) share: exit statuses, input
 * handling, the look-up of DNS servers, and usage errors.
 */
#ifndef TIMBRE_TOOLS_TOOL_H
#define TIMBRE_TOOLS_TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "dkim/dkim.h"
#include "dns/dns.h"
#include "mail/mail.h"

#define EXIT_CHECK_FAILED	1	/* a verification failed */
#define EXIT_USAGE		2	/* usage or I/O error */

/* One subcommand: argv[0] is its name ("dkim"). */
struct tool_cmd {
	const char	*name;
	int		(*run)(int, char **);
	const char	*synopsis;
};

int	cmd_dkim(int, char **);
int	cmd_arc(int, char **);
int	cmd_spf(int, char **);
int	cmd_dmarc(int, char **);
int	cmd_keygen(int, char **);
int	cmd_tsig_keygen(int, char **);
int	cmd_notify(int, char **);

/* Prints "timbre CMD: message" to stderr and exits with EXIT_USAGE. */
void	tool_usage_error(const char *cmd, const char *, ...)
	    __attribute__((__format__(printf, 2, 3), __noreturn__));
/* Prints "timbre CMD: message" to stderr. */
void	tool_warn(const char *cmd, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));

/* Parses --newline crlf|lf; exits on anything else. */
enum mail_newline tool_newline(const char *cmd, const char *);
/* Parses a decimal UNIX time for --time; exits on garbage. */
time_t	tool_time(const char *cmd, const char *);

/* The name of the message argument for messages: "standard input" for
 * "-", else the path. */
const char *tool_input_name(const char *path);
/* Opens the message argument ("-" or NULL: standard input). */
FILE	*tool_open_input(const char *cmd, const char *path);

/* The server given with -n, or the first of /etc/resolv.conf. */
void	tool_dns_server(const char *cmd, const char *spec,
	    struct dns_server *out);

/*
 * Reads a whole message from in through a mail reader, calling on_headers
 * once with the parsed header section (which it then owns; it returns -1
 * to stop) and on_body for each body chunk.
 * If copy is not NULL every input byte is also written to it.  Returns 0,
 * or -1 after printing why (the input is not a message, I/O error).
 */
struct tool_read_cb {
	int	(*on_headers)(struct mail_hdrs *, void *);
	void	(*on_body)(const char *, size_t, void *);
	void	*arg;
};
int	tool_read_message(const char *cmd, FILE *in, const char *name,
	    enum mail_newline, FILE *copy, const struct tool_read_cb *);

/*
 * What a look-up of the key record at name came to, as DKIM and ARC want
 * it: the TXT records in msg (*txts_out, freed by the caller with
 * dns_txts_free) or why there are none (*detail_out, which may point
 * into scratch).
 */
enum dkim_key_lookup tool_key_lookup(enum dns_status, const struct dns_msg *,
	    const char *name, char ***txts_out, size_t *n_out,
	    const char **detail_out, struct err *scratch);
/* Gives every signature of dv whose key lives at name that look-up. */
void	tool_dkim_set_keys(struct dkim_verify *, const char *name,
	    enum dns_status, const struct dns_msg *);

struct buf;
/* Writes fields (CRLF) in the input's line ends, then the spooled input:
 * how sign commands print a message with new fields on top. */
int	tool_write_prepended(const struct buf *, FILE *spool,
	    enum mail_newline);

#endif
