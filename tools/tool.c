/*
 * tool.c: helpers shared by the subcommands of timbre(1): the dispatch to
 * verbs, input and output of messages, password files, and the DNS
 * set-up of every verb that looks names up: the server (-n), the stub
 * client on an event loop, and the engines' questions (the keys of DKIM
 * and ARC, the look-ups of SPF and DMARC) answered from its loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "keys/mac.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

int
tool_verb_run(const char *cmd, const struct tool_cmd *verbs, size_t n,
    int argc, char **argv)
{
	size_t	i;

	if (argc < 2) {
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s\n", verbs[i].synopsis);
		return EXIT_USAGE;
	}
	for (i = 0; i < n; i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "timbre %s: unknown command \"%s\" (", cmd, argv[1]);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i > 0 ? ", " : "", verbs[i].name);
	fputs(")\n", stderr);
	return EXIT_USAGE;
}

static void
tool_vwarn(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "timbre %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
tool_warn(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tool_vwarn(cmd, fmt, ap);
	va_end(ap);
}

void
tool_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tool_vwarn(cmd, fmt, ap);
	va_end(ap);
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

const char *
tool_message_arg(const char *cmd, int nargs, char **args, const char *usage)
{
	if (nargs > 1)
		tool_usage_error(cmd, "one message at a time%s%s",
		    usage != NULL ? "\n" : "", usage != NULL ? usage : "");
	return nargs > 0 ? args[0] : "-";
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
tool_close_input(FILE *f)
{
	if (f != NULL && f != stdin)
		fclose(f);
}

FILE *
tool_spool(const char *cmd)
{
	FILE	*f;

	if ((f = tmpfile()) == NULL)
		tool_warn(cmd, "temporary file: %s", strerror(errno));
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

/* What the callbacks of tool_dkim_read share. */
struct dkim_read {
	const char		*cmd;
	time_t			 now;
	struct tool_dkim_msg	*m;
};

static int
dkim_read_headers(struct mail_hdrs *hdrs, void *arg)
{
	struct dkim_read	*rd = arg;
	struct err		 err;

	rd->m->hdrs = hdrs;
	if ((rd->m->dv = dkim_verify_new(hdrs, rd->now, &err)) == NULL) {
		tool_warn(rd->cmd, "%s", err.msg);
		return -1;
	}
	return 0;
}

static void
dkim_read_body(const char *p, size_t n, void *arg)
{
	struct dkim_read	*rd = arg;

	dkim_verify_body(rd->m->dv, p, n);
}

int
tool_dkim_read(const char *cmd, FILE *in, const char *name,
    enum mail_newline nl, FILE *copy, time_t now, struct tool_dkim_msg *m_out)
{
	struct dkim_read	rd = { cmd, now, m_out };
	struct tool_read_cb	cb = { dkim_read_headers, dkim_read_body, &rd };

	memset(m_out, 0, sizeof(*m_out));
	return tool_read_message(cmd, in, name, nl, copy, &cb);
}

void
tool_dkim_msg_fini(struct tool_dkim_msg *m)
{
	dkim_verify_free(m->dv);	/* before the fields it reads */
	mail_hdrs_free(m->hdrs);
	m->dv = NULL;
	m->hdrs = NULL;
}

int
tool_dns_open(const char *cmd, const struct dns_server *srv,
    const struct dns_stub_opts *so, struct tool_dns *dns_out)
{
	struct err	err;

	dns_out->stub = NULL;
	if ((dns_out->base = event_base_new()) == NULL) {
		tool_warn(cmd, "out of memory");
		return -1;
	}
	if ((dns_out->stub = dns_stub_new(dns_out->base, srv, so, &err)) ==
	    NULL) {
		tool_warn(cmd, "%s", err.msg);
		return -1;
	}
	return 0;
}

void
tool_dns_close(struct tool_dns *dns)
{
	dns_stub_free(dns->stub);
	if (dns->base != NULL)
		event_base_free(dns->base);
	dns->stub = NULL;
	dns->base = NULL;
}

static const char *
type_name(uint16_t type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_MX:
		return "MX";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_TXT:
		return "TXT";
	}
	return "?";
}

/* The question of tool_ask on the way. */
struct ask {
	tool_answer_fn	*fn;
	void		*arg;
	bool		 trace;
	bool		 answered;
	int		 rc;
	struct err	 err;
};

static void
ask_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct ask	*a = arg;

	a->answered = true;
	if (a->trace)
		fprintf(stderr, "  %s\n", dns_status_str(st));
	a->rc = a->fn(a->arg, st, msg, &a->err);
}

int
tool_ask(const char *cmd, struct tool_dns *dns, const char *name,
    uint16_t type, tool_answer_fn *fn, void *arg, bool trace)
{
	struct ask	a;

	memset(&a, 0, sizeof(a));
	a.fn = fn;
	a.arg = arg;
	a.trace = trace;
	if (trace)
		fprintf(stderr, "query %s %s\n", name, type_name(type));
	if (dns_stub_query(dns->stub, name, type, ask_answer, &a, &a.err) ==
	    0)
		/* The stub calls back once, answer or time-out, and then
		 * has nothing left for the loop to wait for. */
		event_base_dispatch(dns->base);
	else {
		if (trace)
			fprintf(stderr, "  not sent: %s\n", a.err.msg);
		a.answered = true;
		a.rc = fn(arg, DNS_SERVFAIL, NULL, &a.err);
	}
	if (!a.answered) {
		tool_warn(cmd, "internal error: evaluation stalled at %s %s",
		    name, type_name(type));
		return -1;
	}
	if (a.rc == -1) {
		tool_warn(cmd, "%s", a.err.msg);
		return -1;
	}
	return 0;
}

static int
spf_answer(void *ev, enum dns_status st, const struct dns_msg *msg,
    struct err *err)
{
	return spf_eval_answer(ev, st, msg, err);
}

int
tool_spf_run(const char *cmd, struct tool_dns *dns, struct spf_eval *ev,
    time_t now, bool trace, enum spf_result *res_out)
{
	struct dns_question	q;

	while (spf_eval_next(ev, now, &q, res_out) == SPF_STEP_QUERY)
		if (tool_ask(cmd, dns, q.name, q.type, spf_answer, ev,
		    trace) == -1)
			return -1;
	return 0;
}

/* One question of tool_fetch_txts on the way. */
struct fetch_query {
	const struct tool_fetch	*f;
	const char		*name;
};

static void
fetch_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct fetch_query	*q = arg;

	q->f->on_answer(q->f->arg, q->name, st, msg);
}

int
tool_fetch_txts(const char *cmd, struct tool_dns *dns, size_t n,
    const struct tool_fetch *f)
{
	struct fetch_query	*qs;
	struct err		 err;
	const char		*name, *other;
	size_t			 i, j, nq = 0;

	if ((qs = calloc(n + 1, sizeof(*qs))) == NULL) {
		tool_warn(cmd, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((name = f->name(f->arg, i)) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if ((other = f->name(f->arg, j)) != NULL &&
			    strcasecmp(other, name) == 0)
				break;
		if (j < i)
			continue;	/* already asked */
		qs[nq].f = f;
		qs[nq].name = name;
		if (dns_stub_query(dns->stub, name, DNS_T_TXT, fetch_answer,
		    &qs[nq], &err) == 0) {
			if (f->serial)
				event_base_dispatch(dns->base);
			nq++;
			continue;
		}
		/* This name alone fails; the others go on. */
		if (f->on_unsent != NULL)
			f->on_unsent(f->arg, i, name, err.msg);
		else
			f->on_answer(f->arg, name, DNS_SERVFAIL, NULL);
	}
	if (nq > 0 && !f->serial)
		event_base_dispatch(dns->base);
	free(qs);
	return 0;
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

const char *
tool_dkim_key_name(void *dv, size_t i)
{
	return dkim_verify_key_name(dv, i);
}

void
tool_dkim_key_answer(void *arg, const char *name, enum dns_status st,
    const struct dns_msg *msg)
{
	struct dkim_verify	*dv = arg;
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
tool_write_prepended(const char *cmd, const struct buf *fields, FILE *spool,
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
			goto fail;
	if (ferror(spool) || fflush(stdout) == EOF)
		goto fail;
	return 0;
fail:
	tool_warn(cmd, "output: %s", strerror(errno));
	return -1;
}

int
tool_sign_message(const char *cmd, FILE *in, const char *name,
    enum mail_newline nl, FILE *spool, const struct tool_sign_cb *cb)
{
	struct buf	fields;
	struct err	err;
	int		rc = -1;

	buf_init(&fields, cb->max);
	if (tool_read_message(cmd, in, name, nl, in == spool ? NULL : spool,
	    &cb->read) == 0) {
		if (cb->finish(cb->read.arg, &fields, &err) == -1)
			tool_warn(cmd, "%s", err.msg);
		else
			rc = tool_write_prepended(cmd, &fields, spool, nl);
	}
	buf_fini(&fields);
	return rc;
}

size_t
tool_read_password(const char *cmd, const char *path, uint8_t *pw)
{
	FILE		*f;
	size_t		 len = 0, n;
	bool		 is_stdin = strcmp(path, "-") == 0;
	const char	*name = is_stdin ? "standard input" : path;
	const char	*why = NULL;

	if (is_stdin)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL)
		tool_usage_error(cmd, "--password-file %s: %s", path,
		    strerror(errno));
	/* No stdio buffer: it would keep a copy. */
	setvbuf(f, NULL, _IONBF, 0);
	while (len < TOOL_PASSWORD_MAX &&
	    (n = fread(pw + len, 1, TOOL_PASSWORD_MAX - len, f)) > 0)
		len += n;
	if (ferror(f))
		why = strerror(errno);
	else if (len == TOOL_PASSWORD_MAX)
		why = "too long for a password file";
	if (!is_stdin)
		fclose(f);
	if (len > 0 && pw[len - 1] == '\n')
		len--;
	if (why == NULL && len == 0)
		why = "empty password";
	if (why != NULL) {
		key_wipe(pw, TOOL_PASSWORD_MAX);
		tool_usage_error(cmd, "%s: %s", name, why);
	}
	return len;
}
