/*
 * cmd_dkim.c: timbre dkim verify and timbre dkim sign.
 *
 * verify prints one line per DKIM-Signature field, in header order:
 * "[OK]: DOMAIN", "[EX]: DOMAIN" (valid, but x= has passed) or
 * "[ER]: DOMAIN"; with --verbose, the selector, the algorithm and, for
 * failures, the reason follow.  Key records are fetched, all at once,
 * through the DNS stub client while nothing else is going on.
 *
 * sign writes the message back with a DKIM-Signature field first, in the
 * input's own line ends.  The input is spooled to a temporary file as it
 * is hashed, so a message of any size is signed in constant memory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dkim/dkim.h"
#include "keys/key.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

static const char verify_usage[] =
    "usage: timbre dkim verify [-v] [-n udp:ADDR[:PORT]|tcp:ADDR[:PORT]]\n"
    "                          [--newline crlf|lf] [--time UNIX] [MSG|-]";
static const char sign_usage[] =
    "usage: timbre dkim sign --domain D --selector S --key PEMFILE\n"
    "                        [--algorithm rsa-sha256|ed25519-sha256]\n"
    "                        [--headers h1:h2:...] [--canon H/B]\n"
    "                        [--identity I] [--expire SECONDS]\n"
    "                        [--newline crlf|lf] [--time UNIX] [MSG|-]";

/* The state of one verification, shared with the callbacks. */
struct verify_run {
	struct dkim_verify	*dv;
	struct mail_hdrs	*hdrs;
	time_t			 now;
	struct dns_stub		*stub;
	struct err		 err;
};

/* One key look-up; several signatures may share it. */
struct key_query {
	struct verify_run	*run;
	const char		*name;
};

static int
verify_on_headers(struct mail_hdrs *hdrs, void *arg)
{
	struct verify_run	*run = arg;

	run->hdrs = hdrs;
	if ((run->dv = dkim_verify_new(hdrs, run->now, &run->err)) == NULL) {
		tool_warn("dkim verify", "%s", run->err.msg);
		return -1;
	}
	return 0;
}

static void
verify_on_body(const char *p, size_t n, void *arg)
{
	struct verify_run	*run = arg;

	dkim_verify_body(run->dv, p, n);
}

static void
verify_key_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct key_query	*q = arg;

	tool_dkim_set_keys(q->run->dv, q->name, st, msg);
}

/* Asks for every distinct key name and runs the loop until all came. */
static int
verify_fetch_keys(struct verify_run *run, const struct dns_server *srv)
{
	struct event_base	*base;
	struct key_query	*qs;
	struct err		 err;
	const char		*name, *other;
	size_t			 i, j, nq = 0, n = dkim_verify_count(run->dv);
	int			 rc = -1;

	if ((qs = calloc(n + 1, sizeof(*qs))) == NULL ||
	    (base = event_base_new()) == NULL) {
		free(qs);
		tool_warn("dkim verify", "out of memory");
		return -1;
	}
	if ((run->stub = dns_stub_new(base, srv, NULL, &err)) == NULL) {
		tool_warn("dkim verify", "%s", err.msg);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((name = dkim_verify_key_name(run->dv, i)) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if ((other = dkim_verify_key_name(run->dv, j)) != NULL &&
			    strcasecmp(other, name) == 0)
				break;
		if (j < i)
			continue;	/* already asked */
		qs[nq].run = run;
		qs[nq].name = name;
		if (dns_stub_query(run->stub, name, DNS_T_TXT,
		    verify_key_answer, &qs[nq], &err) == -1) {
			/* This key alone fails; the others go on. */
			dkim_verify_set_key(run->dv, i, DKIM_KEY_TEMPFAIL,
			    NULL, 0, err.msg);
			continue;
		}
		nq++;
	}
	if (nq > 0)
		event_base_dispatch(base);
	rc = 0;
out:
	dns_stub_free(run->stub);
	event_base_free(base);
	free(qs);
	return rc;
}

static int
dkim_verify_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "nameserver", required_argument, NULL, 'n' },
		{ "newline", required_argument, NULL, 'N' },
		{ "time", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_run	 run;
	struct dns_server	 srv;
	struct dkim_verdict	 vd;
	const char		*ns = NULL, *path, *tag;
	enum mail_newline	 nl = MAIL_NL_LF;
	bool			 verbose = false, failed = false;
	FILE			*in;
	size_t			 i;
	int			 c;
	struct tool_read_cb	 cb = { verify_on_headers, verify_on_body,
				    NULL };

	memset(&run, 0, sizeof(run));
	run.now = time(NULL);
	while ((c = getopt_long(argc, argv, "hn:v", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'N':
			nl = tool_newline("dkim verify", optarg);
			break;
		case 'T':
			run.now = tool_time("dkim verify", optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			puts(verify_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", verify_usage);
			return EXIT_USAGE;
		}
	if (argc - optind > 1)
		tool_usage_error("dkim verify", "one message at a time\n%s",
		    verify_usage);
	path = optind < argc ? argv[optind] : "-";
	tool_dns_server("dkim verify", ns, &srv);
	in = tool_open_input("dkim verify", path);
	cb.arg = &run;
	if (tool_read_message("dkim verify", in, tool_input_name(path), nl,
	    NULL, &cb) == -1) {
		if (in != stdin)
			fclose(in);
		dkim_verify_free(run.dv);
		mail_hdrs_free(run.hdrs);
		return EXIT_USAGE;
	}
	if (in != stdin)
		fclose(in);
	if (dkim_verify_count(run.dv) == 0) {
		tool_warn("dkim verify", "%s: no DKIM-Signature field",
		    tool_input_name(path));
		dkim_verify_free(run.dv);
		mail_hdrs_free(run.hdrs);
		return EXIT_CHECK_FAILED;
	}
	if (verify_fetch_keys(&run, &srv) == -1) {
		dkim_verify_free(run.dv);
		mail_hdrs_free(run.hdrs);
		return EXIT_USAGE;
	}
	dkim_verify_finish(run.dv);
	for (i = 0; i < dkim_verify_count(run.dv); i++) {
		dkim_verify_get(run.dv, i, &vd);
		switch (vd.result) {
		case DKIM_PASS:
			tag = "OK";
			break;
		case DKIM_EXPIRED:
			tag = "EX";
			break;
		default:
			tag = "ER";
			failed = true;
			break;
		}
		printf("[%s]: %s", tag, vd.domain[0] ? vd.domain : "-");
		if (verbose) {
			printf(" s=%s a=%s", vd.selector[0] ? vd.selector : "-",
			    dkim_alg_name(vd.alg));
			if (vd.testing)
				printf(" (key in testing mode, t=y)");
			if (vd.reason[0] != '\0')
				printf(": %s", vd.reason);
		}
		putchar('\n');
	}
	dkim_verify_free(run.dv);
	mail_hdrs_free(run.hdrs);
	if (fflush(stdout) == EOF)
		return EXIT_USAGE;
	return failed ? EXIT_CHECK_FAILED : 0;
}

struct sign_run {
	struct dkim_sign	*ds;
	struct key		*key;
	struct dkim_sign_params	 p;
	struct mail_hdrs	*hdrs;
	struct err		 err;
};

static int
sign_on_headers(struct mail_hdrs *hdrs, void *arg)
{
	struct sign_run	*run = arg;

	run->hdrs = hdrs;
	if ((run->ds = dkim_sign_new(run->key, &run->p, hdrs, &run->err))
	    == NULL) {
		tool_warn("dkim sign", "%s", run->err.msg);
		return -1;
	}
	return 0;
}

static void
sign_on_body(const char *p, size_t n, void *arg)
{
	struct sign_run	*run = arg;

	dkim_sign_body(run->ds, p, n);
}

static void
sign_canon(const char *s, struct dkim_sign_params *p)
{
	char	h[16], b[16];
	int	n = -1;

	/* "relaxed", "simple/relaxed": the body defaults to simple. */
	if (sscanf(s, "%15[a-z]%n", h, &n) != 1 || (s[n] != '\0' &&
	    (s[n] != '/' || sscanf(s + n + 1, "%15[a-z]", b) != 1)))
		goto bad;
	if (s[n] == '\0')
		strcpy(b, "simple");
	else if (strlen(s + n + 1) != strlen(b))
		goto bad;
	if (strcmp(h, "simple") != 0 && strcmp(h, "relaxed") != 0)
		goto bad;
	if (strcmp(b, "simple") != 0 && strcmp(b, "relaxed") != 0)
		goto bad;
	p->hdr_canon = strcmp(h, "relaxed") == 0 ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE;
	p->body_canon = strcmp(b, "relaxed") == 0 ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE;
	return;
bad:
	tool_usage_error("dkim sign", "--canon wants simple|relaxed"
	    "[/simple|relaxed], not \"%s\"", s);
}

static int
dkim_sign_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "headers", required_argument, NULL, 'H' },
		{ "canon", required_argument, NULL, 'c' },
		{ "identity", required_argument, NULL, 'i' },
		{ "expire", required_argument, NULL, 'x' },
		{ "newline", required_argument, NULL, 'N' },
		{ "time", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sign_run		 run;
	struct buf		 field;
	const char		*keyfile = NULL, *path, *alg = NULL;
	enum mail_newline	 nl = MAIL_NL_LF;
	FILE			*in, *spool;
	char			*end;
	int			 c, rc = EXIT_USAGE;
	struct tool_read_cb	 cb = { sign_on_headers, sign_on_body, NULL };

	memset(&run, 0, sizeof(run));
	run.p.hdr_canon = run.p.body_canon = DKIM_CANON_RELAXED;
	run.p.now = time(NULL);
	while ((c = getopt_long(argc, argv, "a:c:d:hk:s:", opts, NULL)) != -1)
		switch (c) {
		case 'd':
			run.p.domain = optarg;
			break;
		case 's':
			run.p.selector = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'a':
			alg = optarg;
			break;
		case 'H':
			run.p.headers = optarg;
			break;
		case 'c':
			sign_canon(optarg, &run.p);
			break;
		case 'i':
			run.p.auid = optarg;
			break;
		case 'x':
			errno = 0;
			run.p.lifetime = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || run.p.lifetime <= 0)
				tool_usage_error("dkim sign", "--expire wants "
				    "a number of seconds, not \"%s\"", optarg);
			break;
		case 'N':
			nl = tool_newline("dkim sign", optarg);
			break;
		case 'T':
			run.p.now = tool_time("dkim sign", optarg);
			break;
		case 'h':
			puts(sign_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", sign_usage);
			return EXIT_USAGE;
		}
	if (run.p.domain == NULL || run.p.selector == NULL || keyfile == NULL)
		tool_usage_error("dkim sign", "--domain, --selector and --key "
		    "are required\n%s", sign_usage);
	if (argc - optind > 1)
		tool_usage_error("dkim sign", "one message at a time");
	if (alg != NULL) {
		if (strcmp(alg, "rsa-sha256") == 0)
			run.p.alg = DKIM_ALG_RSA_SHA256;
		else if (strcmp(alg, "ed25519-sha256") == 0)
			run.p.alg = DKIM_ALG_ED25519_SHA256;
		else
			tool_usage_error("dkim sign", "--algorithm must be "
			    "rsa-sha256 or ed25519-sha256, not \"%s\"", alg);
	}
	if ((run.key = key_load_pem_file(keyfile, &run.err)) == NULL)
		tool_usage_error("dkim sign", "%s", run.err.msg);
	path = optind < argc ? argv[optind] : "-";
	in = tool_open_input("dkim sign", path);
	if ((spool = tmpfile()) == NULL) {
		tool_warn("dkim sign", "temporary file: %s", strerror(errno));
		goto out;
	}
	buf_init(&field, DKIM_MAX_HDR_BYTES);
	cb.arg = &run;
	if (tool_read_message("dkim sign", in, tool_input_name(path), nl,
	    spool, &cb) == 0) {
		if (dkim_sign_finish(run.ds, &field, &run.err) == -1)
			tool_warn("dkim sign", "%s", run.err.msg);
		else if (tool_write_prepended(&field, spool, nl) == -1)
			tool_warn("dkim sign", "output: %s", strerror(errno));
		else
			rc = 0;
	}
	buf_fini(&field);
	fclose(spool);
out:
	if (in != stdin)
		fclose(in);
	dkim_sign_free(run.ds);
	mail_hdrs_free(run.hdrs);
	key_free(run.key);
	return rc;
}

int
cmd_dkim(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "%s\n%s\n", verify_usage, sign_usage);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "verify") == 0)
		return dkim_verify_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return dkim_sign_main(argc - 1, argv + 1);
	tool_usage_error("dkim", "unknown command \"%s\" (verify, sign)",
	    argv[1]);
}
