/*
 * tool.h: what the subcommands of timbre(1) share: exit statuses, the
 * dispatch to verbs, input handling, DNS look-ups, and usage errors.
 */
#ifndef TIMBRE_TOOLS_TOOL_H
#define TIMBRE_TOOLS_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "dkim/dkim.h"
#include "dns/dns.h"
#include "mail/mail.h"
#include "spf/spf.h"

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
int	cmd_tlsa(int, char **);
int	cmd_key(int, char **);
int	cmd_list(int, char **);
/* timbre list archive-html (tools/cmd_list_html.c). */
int	list_archive_html_main(int, char **);
extern const char list_archive_html_usage[];
int	cmd_doctor(int, char **);

/*
 * Runs the one of the n verbs of cmd ("dkim") that argv[1] names, with
 * argv[1] as its argv[0], and returns its exit status.  Each verb's
 * synopsis is its usage, printed for all when there is no verb; an
 * unknown verb is reported with the names there are.  Both return
 * EXIT_USAGE.
 */
int	tool_verb_run(const char *cmd, const struct tool_cmd *, size_t n,
	    int argc, char **argv);

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
/*
 * The message argument among the nargs arguments left after the options
 * (args): "-" if there is none; more than one is a usage error, which
 * shows usage if that is not NULL.
 */
const char *tool_message_arg(const char *cmd, int nargs, char **args,
	    const char *usage);
/* Opens the message argument ("-" or NULL: standard input). */
FILE	*tool_open_input(const char *cmd, const char *path);
/* Closes what tool_open_input opened (never standard input). */
void	tool_close_input(FILE *);
/* A temporary file to spool the input to, or NULL after printing why. */
FILE	*tool_spool(const char *cmd);

/*
 * The password from path ("-": standard input) into pw (TOOL_PASSWORD_MAX
 * bytes), without one final newline; its length: for timbre key derive
 * and timbre doctor --password-file.  Read straight into pw, which the
 * caller wipes, so that no copy is left in freed memory.  Exits on
 * error, saying why.
 */
#define TOOL_PASSWORD_MAX	4096	/* bytes in a password file, and more */
size_t	tool_read_password(const char *cmd, const char *path, uint8_t *pw);

/* tool_tsig.c: the TSIG key on the first line of the file at path
 * (NAME:ALGORITHM:SECRET; exits on error), and the signed exchange of
 * timbre notify and timbre tlsa: p (its ID set here) signed with k, sent
 * to server (ADDR[:PORT]) over UDP, the answer's rcode printed.  Returns
 * 0 for NOERROR, EXIT_CHECK_FAILED for another rcode or an answer not
 * signed with k, EXIT_USAGE when no answer came in timeout seconds. */
struct dns_tsig_key *tool_tsig_key_read(const char *cmd, const char *path);
int	tool_tsig_send(const char *cmd, const char *server,
	    const struct dns_tsig_key *k, struct ldns_struct_pkt *p,
	    long long timeout);

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
 * A message read into a DKIM verifier: its header section and the
 * verifier over it, both owned; tool_dkim_msg_fini frees them.
 */
struct tool_dkim_msg {
	struct mail_hdrs	*hdrs;
	struct dkim_verify	*dv;
};
/*
 * Reads a message as tool_read_message does into *m_out (zeroed first),
 * verifying at time now.  Returns 0, or -1 after printing why; either
 * way the caller finishes *m_out.
 */
int	tool_dkim_read(const char *cmd, FILE *in, const char *name,
	    enum mail_newline, FILE *copy, time_t now,
	    struct tool_dkim_msg *m_out);
void	tool_dkim_msg_fini(struct tool_dkim_msg *);

/* An event loop and a DNS stub client on it, for one subcommand. */
struct event_base;
struct tool_dns {
	struct event_base	*base;
	struct dns_stub		*stub;
};
/*
 * Opens both, for srv with the time-outs and retries of so (NULL: the
 * stub's defaults).  Returns 0, or -1 after printing why; either way the
 * caller calls tool_dns_close.
 */
struct dns_stub_opts;
int	tool_dns_open(const char *cmd, const struct dns_server *srv,
	    const struct dns_stub_opts *so, struct tool_dns *dns_out);
void	tool_dns_close(struct tool_dns *);

/*
 * What tool_ask does with an answer: fn(arg, status, msg, err), msg as
 * for dns_stub_query; -1 (err) stops.
 */
typedef int	tool_answer_fn(void *, enum dns_status, const struct dns_msg *,
		    struct err *);
/*
 * Asks (name, type) through dns and runs its loop until the answer went
 * to fn: how an engine that asks one question at a time (SPF, DMARC) is
 * driven.  A question that cannot even be sent is a DNS failure: fn gets
 * DNS_SERVFAIL and no message.  With trace, the question and its outcome
 * go to standard error ("query NAME TYPE", then "  STATUS" or "  not
 * sent: WHY").  Returns 0, or -1 after printing why (fn failed, or the
 * loop ended without an answer).
 */
int	tool_ask(const char *cmd, struct tool_dns *, const char *name,
	    uint16_t type, tool_answer_fn *fn, void *arg, bool trace);
/*
 * Runs the SPF evaluation ev to its end at now, its questions asked one
 * at a time with tool_ask (trace as there); the result in *res_out.
 * Returns 0, or -1 after printing why.
 */
int	tool_spf_run(const char *cmd, struct tool_dns *, struct spf_eval *ev,
	    time_t now, bool trace, enum spf_result *res_out);

/*
 * A set of names for tool_fetch_txts, how to ask for them and where the
 * answers go; each function gets arg first.
 */
struct tool_fetch {
	/* Name i, or NULL if there is nothing to ask for it. */
	const char	*(*name)(void *, size_t);
	/* What the look-up of name came to (msg as for dns_stub_query). */
	void	(*on_answer)(void *, const char *name, enum dns_status,
		    const struct dns_msg *);
	/* Name i could not even be asked, for the reason why; NULL: then
	 * on_answer gets DNS_SERVFAIL and no message. */
	void	(*on_unsent)(void *, size_t, const char *name,
		    const char *why);
	void	*arg;
	bool	 serial;	/* ask each name after the last's answer */
};
/*
 * Asks for the TXT records at names 0 to n - 1 of f, a name that equals
 * an earlier one (without case) only once, all at once unless f->serial,
 * and runs the loop of dns until every answer came.  Returns 0, or -1
 * after printing why (out of memory) before anything was asked.
 */
int	tool_fetch_txts(const char *cmd, struct tool_dns *, size_t n,
	    const struct tool_fetch *f);

/*
 * What a look-up of the key record at name came to, as DKIM and ARC want
 * it: the TXT records in msg (*txts_out, freed by the caller with
 * dns_txts_free) or why there are none (*detail_out, which may point
 * into scratch).
 */
enum dkim_key_lookup tool_key_lookup(enum dns_status, const struct dns_msg *,
	    const char *name, char ***txts_out, size_t *n_out,
	    const char **detail_out, struct err *scratch);
/* The name and on_answer of a tool_fetch for the keys of a DKIM
 * verifier (arg): the answer for name goes to every signature whose key
 * lives there. */
const char *tool_dkim_key_name(void *dv, size_t);
void	tool_dkim_key_answer(void *dv, const char *name, enum dns_status,
	    const struct dns_msg *);

struct buf;
/*
 * Writes fields (CRLF) in the input's line ends, then the spooled input:
 * how sign commands print a message with new fields on top.  Returns 0,
 * or -1 after printing why.
 */
int	tool_write_prepended(const char *cmd, const struct buf *, FILE *spool,
	    enum mail_newline);

/*
 * A signer for tool_sign_message: the callbacks of tool_read_message,
 * then finish, which appends the new fields (CRLF) to a buffer of at most
 * max bytes; read.arg is the arg of all three.
 */
struct tool_sign_cb {
	struct tool_read_cb	read;
	int	(*finish)(void *, struct buf *, struct err *);
	size_t	max;
};
/*
 * Reads the message from in through cb, spooling it to spool unless in
 * is the spool, and prints it with the new fields on top (as
 * tool_write_prepended).  Returns 0, or -1 after printing why.
 */
int	tool_sign_message(const char *cmd, FILE *in, const char *name,
	    enum mail_newline, FILE *spool, const struct tool_sign_cb *);

#endif
