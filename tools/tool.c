/*
 * tool.c: helpers shared by the subcommands of timbre(1).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

void
tool_warn(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "timbre %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
tool_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "timbre %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

enum mail_newline
tool_newline(const char *cmd, const char *s)
{
	if (strcmp(s, "lf") == 0)
		return MAIL_NL_LF;
	if (strcmp(s, "crlf") == 0)
		return MAIL_NL_CRLF;
	tool_usage_error(cmd, "--newline must be crlf or lf, not \"%s\"", s);
}

time_t
tool_time(const char *cmd, const char *s)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		tool_usage_error(cmd, "--time wants a UNIX time in seconds, "
		    "not \"%s\"", s);
	return (time_t)v;
}

const char *
tool_input_name(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "standard input" :
	    path;
}

FILE *
tool_open_input(const char *cmd, const char *path)
{
	FILE	*f;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdin;
	if ((f = fopen(path, "rb")) == NULL)
		tool_usage_error(cmd, "%s: %s", path, strerror(errno));
	return f;
}

void
tool_dns_server(const char *cmd, const char *spec, struct dns_server *out)
{
	struct err	err;

	if (spec != NULL) {
		if (dns_server_parse(spec, out, &err) == -1)
			tool_usage_error(cmd, "-n %s: %s", spec, err.msg);
		return;
	}
	if (dns_server_from_resolv_conf("/etc/resolv.conf", out, &err) == -1)
		tool_usage_error(cmd, "no name server (use -n udp:ADDR): %s",
		    err.msg);
}

int
tool_read_message(const char *cmd, FILE *in, const char *name,
    enum mail_newline nl, FILE *copy, const struct tool_read_cb *cb)
{
	struct mail_reader	*r;
	struct err		 err;
	char			 chunk[64 * 1024];
	const char		*p;
	size_t			 n;
	bool			 eof = false;
	int			 rc = -1;

	if ((r = mail_reader_new(nl, 0, &err)) == NULL) {
		tool_warn(cmd, "%s", err.msg);
		return -1;
	}
	for (;;) {
		switch (mail_reader_next(r, &p, &n, &err)) {
		case MAIL_READ_NEED_MORE:
			if (eof) {
				/* The reader asks for more after finish only
				 * if it is broken; never loop on it. */
				tool_warn(cmd, "%s: internal error: reader "
				    "stalled", name);
				goto out;
			}
			n = fread(chunk, 1, sizeof(chunk), in);
			if (n > 0 && copy != NULL &&
			    fwrite(chunk, 1, n, copy) != n) {
				tool_warn(cmd, "spool: %s", strerror(errno));
				goto out;
			}
			if (n > 0 && mail_reader_feed(r, chunk, n, &err) == -1) {
				tool_warn(cmd, "%s: %s", name, err.msg);
				goto out;
			}
			if (n < sizeof(chunk)) {
				if (ferror(in)) {
					tool_warn(cmd, "%s: %s", name,
					    strerror(errno));
					goto out;
				}
				if (feof(in)) {
					eof = true;
					mail_reader_finish(r);
				}
			}
			break;
		case MAIL_READ_HEADERS:
			if (cb->on_headers(mail_reader_take_hdrs(r), cb->arg) == -1)
				goto out;
			break;
		case MAIL_READ_BODY:
			cb->on_body(p, n, cb->arg);
			break;
		case MAIL_READ_END:
			rc = 0;
			goto out;
		case MAIL_READ_ERROR:
			tool_warn(cmd, "%s: not a message: %s", name, err.msg);
			goto out;
		}
	}
out:
	mail_reader_free(r);
	return rc;
}

enum dkim_key_lookup
tool_key_lookup(enum dns_status st, const struct dns_msg *msg,
    const char *name, char ***txts_out, size_t *n_out,
    const char **detail_out, struct err *scratch)
{
	*txts_out = NULL;
	*n_out = 0;
	*detail_out = dns_status_str(st);
	switch (st) {
	case DNS_OK:
		if (dns_msg_txts(msg, name, txts_out, n_out, scratch) == -1) {
			*detail_out = scratch->msg;
			return DKIM_KEY_TEMPFAIL;
		}
		return *n_out > 0 ? DKIM_KEY_FOUND : DKIM_KEY_NONE;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		return DKIM_KEY_NONE;
	default:
		return DKIM_KEY_TEMPFAIL;
	}
}

void
tool_dkim_set_keys(struct dkim_verify *dv, const char *name,
    enum dns_status st, const struct dns_msg *msg)
{
	enum dkim_key_lookup	 lookup;
	struct err		 scratch;
	char			**txts;
	const char		*detail, *other;
	size_t			 ntxt, i;

	lookup = tool_key_lookup(st, msg, name, &txts, &ntxt, &detail,
	    &scratch);
	for (i = 0; i < dkim_verify_count(dv); i++)
		if ((other = dkim_verify_key_name(dv, i)) != NULL &&
		    strcasecmp(other, name) == 0)
			dkim_verify_set_key(dv, i, lookup,
			    (const char *const *)txts, ntxt,
			    lookup == DKIM_KEY_FOUND ? NULL : detail);
	dns_txts_free(txts, ntxt);
}

int
tool_write_prepended(const struct buf *fields, FILE *spool,
    enum mail_newline nl)
{
	char	chunk[64 * 1024];
	size_t	i, n;

	for (i = 0; i < fields->len; i++) {
		if (nl == MAIL_NL_LF && fields->data[i] == '\r' &&
		    i + 1 < fields->len && fields->data[i + 1] == '\n')
			continue;
		putchar(fields->data[i]);
	}
	rewind(spool);
	while ((n = fread(chunk, 1, sizeof(chunk), spool)) > 0)
		if (fwrite(chunk, 1, n, stdout) != n)
			return -1;
	return ferror(spool) || fflush(stdout) == EOF ? -1 : 0;
}
