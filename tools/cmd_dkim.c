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

/* A signature whose key could not even be asked for fails alone. */
static void
verify_key_unsent(void *dv, size_t i, const char *name, const char *why)
{
	(void)name;
	dkim_verify_set_key(dv, i, DKIM_KEY_TEMPFAIL, NULL, 0, why);
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
	struct tool_dkim_msg	 m = { NULL, NULL };
	struct tool_dns		 dns = { NULL, NULL };
	struct dns_server	 srv;
	struct dkim_verdict	 vd;
	const char		*ns = NULL, *path, *tag;
	enum mail_newline	 nl = MAIL_NL_LF;
	time_t			 now = time(NULL);
	bool			 verbose = false, failed = false;
	FILE			*in;
	size_t			 i;
	int			 c, rc = EXIT_USAGE;
	struct tool_fetch	 fetch = { .name = tool_dkim_key_name,
				    .on_answer = tool_dkim_key_answer,
				    .on_unsent = verify_key_unsent };

	while ((c = getopt_long(argc, argv, "hn:v", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'N':
			nl = tool_newline("dkim verify", optarg);
			break;
		case 'T':
			now = tool_time("dkim verify", optarg);
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
	path = tool_message_arg("dkim verify", argc - optind, argv + optind,
	    verify_usage);
	tool_dns_server("dkim verify", ns, &srv);
	in = tool_open_input("dkim verify", path);
	if (tool_dkim_read("dkim verify", in, tool_input_name(path), nl, NULL,
	    now, &m) == -1) {
		tool_close_input(in);
		goto out;
	}
	tool_close_input(in);
	if (dkim_verify_count(m.dv) == 0) {
		tool_warn("dkim verify", "%s: no DKIM-Signature field",
		    tool_input_name(path));
		rc = EXIT_CHECK_FAILED;
		goto out;
	}
	fetch.arg = m.dv;
	if (tool_dns_open("dkim verify", &srv, NULL, &dns) == -1 ||
	    tool_fetch_txts("dkim verify", &dns, dkim_verify_count(m.dv),
	    &fetch) == -1)
		goto out;
	dkim_verify_finish(m.dv);
	for (i = 0; i < dkim_verify_count(m.dv); i++) {
		dkim_verify_get(m.dv, i, &vd);
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
	if (fflush(stdout) != EOF)
		rc = failed ? EXIT_CHECK_FAILED : 0;
out:
	tool_dns_close(&dns);
	tool_dkim_msg_fini(&m);
	return rc;
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

static int
sign_finish(void *arg, struct buf *field, struct err *err)
{
	struct sign_run	*run = arg;

	return dkim_sign_finish(run->ds, field, err);
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
	const char		*keyfile = NULL, *path, *alg = NULL;
	enum mail_newline	 nl = MAIL_NL_LF;
	FILE			*in, *spool;
	char			*end;
	int			 c, rc = EXIT_USAGE;
	struct tool_sign_cb	 cb = { { sign_on_headers, sign_on_body, NULL },
				    sign_finish, DKIM_MAX_HDR_BYTES };

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
	path = tool_message_arg("dkim sign", argc - optind, argv + optind,
	    NULL);
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
	in = tool_open_input("dkim sign", path);
	if ((spool = tool_spool("dkim sign")) == NULL)
		goto out;
	cb.read.arg = &run;
	if (tool_sign_message("dkim sign", in, tool_input_name(path), nl,
	    spool, &cb) == 0)
		rc = 0;
	fclose(spool);
out:
	tool_close_input(in);
	dkim_sign_free(run.ds);
	mail_hdrs_free(run.hdrs);
	key_free(run.key);
	return rc;
}

int
cmd_dkim(int argc, char *argv[])
{
	static const struct tool_cmd verbs[] = {
		{ "verify", dkim_verify_main, verify_usage },
		{ "sign", dkim_sign_main, sign_usage },
	};

	return tool_verb_run("dkim", verbs, sizeof(verbs) / sizeof(verbs[0]),
	    argc, argv);
}
