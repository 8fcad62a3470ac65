/*
 * cmd_arc.c: timbre arc verify and timbre arc sign (RFC 8617).
 *
 * verify prints the chain of custody on one line, the originator (the
 * From address) first, then each ARC set as "-✓-> NN:DOMAIN" or, from
 * the first broken link on, "-✗-> NN:DOMAIN", and then "cv=none",
 * "cv=pass" or "cv=fail" (with --verbose, the reason).  It exits 0 for
 * none and pass, 1 for fail.
 *
 * sign validates the existing chain first (its keys come through DNS),
 * then reads the message a second time from a spool to seal it, and
 * writes the new set (ARC-Seal, ARC-Message-Signature,
 * ARC-Authentication-Results) on top of the message, in the input's own
 * line ends.  It exits 1 without output when the chain has ended (its
 * newest seal says cv=fail), 2 when there is no Authentication-Results
 * of the authserv-id to copy or on usage and I/O errors.
 */
#include <getopt.h>
#include <string.h>

#include "arc/arc.h"
#include "keys/key.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

static const char verify_usage[] =
    "usage: timbre arc verify [-v] [-n udp:ADDR[:PORT]|tcp:ADDR[:PORT]]\n"
    "                         [--newline crlf|lf] [--time UNIX] [MSG|-]";
static const char sign_usage[] =
    "usage: timbre arc sign --domain D --selector S --key PEMFILE\n"
    "                       --authserv-id ID [--headers h1:h2:...]\n"
    "                       [-n udp:ADDR[:PORT]|tcp:ADDR[:PORT]]\n"
    "                       [--newline crlf|lf] [--time UNIX] [MSG|-]";

/* One validation, shared with the callbacks. */
struct verify_run {
	const char		*cmd;
	struct arc_verify	*av;
	struct mail_hdrs	*hdrs;
	time_t			 now;
	struct err		 err;
};

static int
verify_on_headers(struct mail_hdrs *hdrs, void *arg)
{
	struct verify_run	*run = arg;

	run->hdrs = hdrs;
	if ((run->av = arc_verify_new(hdrs, run->now, &run->err)) == NULL) {
		tool_warn(run->cmd, "%s", run->err.msg);
		return -1;
	}
	return 0;
}

static void
verify_on_body(const char *p, size_t n, void *arg)
{
	struct verify_run	*run = arg;

	arc_verify_body(run->av, p, n);
}

static const char *
key_name(void *av, size_t i)
{
	return arc_verify_key_name(av, i);
}

static void
key_answer(void *av, const char *name, enum dns_status st,
    const struct dns_msg *msg)
{
	enum dkim_key_lookup	 lookup;
	struct err		 scratch;
	char			**txts;
	const char		*detail;
	size_t			 ntxt;

	lookup = tool_key_lookup(st, msg, name, &txts, &ntxt, &detail,
	    &scratch);
	arc_verify_set_key(av, name, lookup, (const char *const *)txts, ntxt,
	    detail);
	dns_txts_free(txts, ntxt);
}

static void
key_unsent(void *av, size_t i, const char *name, const char *why)
{
	(void)i;
	arc_verify_set_key(av, name, DKIM_KEY_TEMPFAIL, NULL, 0, why);
}

/* Asks for every key the validator needs and waits for the answers. */
static int
fetch_keys(struct verify_run *run, const char *ns)
{
	struct dns_server	srv;
	struct tool_dns		dns = { NULL, NULL };
	struct tool_fetch	f = { .name = key_name,
				    .on_answer = key_answer,
				    .on_unsent = key_unsent, .arg = run->av };
	size_t			n = arc_verify_key_count(run->av);
	int			rc = -1;

	if (n == 0)
		return 0;
	tool_dns_server(run->cmd, ns, &srv);
	if (tool_dns_open(run->cmd, &srv, NULL, &dns) == 0)
		rc = tool_fetch_txts(run->cmd, &dns, n, &f);
	tool_dns_close(&dns);
	return rc;
}

/* Reads a message from in and validates its chain; -1 after a warning. */
static int
verify_message(struct verify_run *run, FILE *in, const char *name,
    enum mail_newline nl, FILE *copy, const char *ns)
{
	struct tool_read_cb	cb = { verify_on_headers, verify_on_body, run };

	if (tool_read_message(run->cmd, in, name, nl, copy, &cb) == -1 ||
	    fetch_keys(run, ns) == -1)
		return -1;
	arc_verify_finish(run->av);
	return 0;
}

/* The addr-spec of the first mailbox of From, or "-". */
static void
print_originator(const struct mail_hdrs *hdrs)
{
	const struct mail_field	*f;
	struct mail_addrs	 addrs;
	struct buf		 b;
	struct err		 err;
	long			 i;

	buf_init(&b, MAIL_MAX_FIELD);
	if ((i = mail_hdrs_find(hdrs, "From", 0)) != -1 &&
	    (f = mail_hdrs_at(hdrs, (size_t)i)) != NULL &&
	    mail_field_unfold(f, &b, &err) == 0 && b.len > 0 &&
	    mail_addrs_parse(b.data, b.len, &addrs, &err) == 0) {
		if (addrs.n > 0 && addrs.v[0].domain != NULL)
			printf("%s@%s", addrs.v[0].local, addrs.v[0].domain);
		else if (addrs.n > 0)
			printf("%s", addrs.v[0].local);
		else
			printf("-");
		mail_addrs_fini(&addrs);
	} else
		printf("-");
	buf_fini(&b);
}

static int
arc_verify_main(int argc, char *argv[])
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
	struct arc_hop		 hop;
	const char		*ns = NULL, *path, *reason;
	enum mail_newline	 nl = MAIL_NL_LF;
	enum arc_cv		 cv;
	bool			 verbose = false;
	FILE			*in;
	unsigned		 k;
	int			 c, rc;

	memset(&run, 0, sizeof(run));
	run.cmd = "arc verify";
	run.now = time(NULL);
	while ((c = getopt_long(argc, argv, "hn:v", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'N':
			nl = tool_newline(run.cmd, optarg);
			break;
		case 'T':
			run.now = tool_time(run.cmd, optarg);
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
	path = tool_message_arg(run.cmd, argc - optind, argv + optind,
	    verify_usage);
	if (ns != NULL)
		tool_dns_server(run.cmd, ns, &(struct dns_server){ 0 });
	in = tool_open_input(run.cmd, path);
	rc = verify_message(&run, in, tool_input_name(path), nl, NULL, ns);
	tool_close_input(in);
	if (rc == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	print_originator(run.hdrs);
	for (k = 1; k <= arc_verify_hops(run.av); k++) {
		arc_verify_hop(run.av, k, &hop);
		printf(" -%s-> %02u:%s", hop.ok ? "\xe2\x9c\x93" :
		    "\xe2\x9c\x97", k, hop.domain);
	}
	putchar('\n');
	cv = arc_verify_result(run.av, &reason);
	printf("cv=%s", arc_cv_name(cv));
	if (verbose && reason[0] != '\0')
		printf(": %s", reason);
	putchar('\n');
	if (verbose)
		for (k = 1; k <= arc_verify_hops(run.av); k++) {
			arc_verify_hop(run.av, k, &hop);
			if (!hop.ok)
				printf("  %02u:%s: %s\n", k, hop.domain,
				    hop.reason);
		}
	rc = cv == ARC_CV_FAIL ? EXIT_CHECK_FAILED : 0;
	if (fflush(stdout) == EOF)
		rc = EXIT_USAGE;
out:
	arc_verify_free(run.av);
	mail_hdrs_free(run.hdrs);
	return rc;
}

struct sign_run {
	struct arc_seal		*as;
	struct key		*key;
	struct arc_seal_params	 p;
	enum arc_cv		 cv;
	bool			 ended;		/* the chain had ended */
	struct mail_hdrs	*hdrs;
	struct err		 err;
};

static int
sign_on_headers(struct mail_hdrs *hdrs, void *arg)
{
	struct sign_run	*run = arg;

	run->hdrs = hdrs;
	if ((run->as = arc_seal_new(run->key, &run->p, hdrs, run->cv,
	    &run->err)) == NULL) {
		tool_warn("arc sign", "%s", run->err.msg);
		run->ended = run->err.code == ARC_E_ENDED;
		return -1;
	}
	return 0;
}

static void
sign_on_body(const char *p, size_t n, void *arg)
{
	struct sign_run	*run = arg;

	arc_seal_body(run->as, p, n);
}

static int
sign_finish(void *arg, struct buf *set, struct err *err)
{
	struct sign_run	*run = arg;

	return arc_seal_finish(run->as, set, err);
}

static int
arc_sign_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "authserv-id", required_argument, NULL, 'A' },
		{ "headers", required_argument, NULL, 'H' },
		{ "nameserver", required_argument, NULL, 'n' },
		{ "newline", required_argument, NULL, 'N' },
		{ "time", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_run	 vrun;
	struct sign_run		 run;
	const char		*keyfile = NULL, *path, *ns = NULL;
	enum mail_newline	 nl = MAIL_NL_LF;
	FILE			*in, *spool = NULL;
	int			 c, rc = EXIT_USAGE;
	struct tool_sign_cb	 cb = { { sign_on_headers, sign_on_body, NULL },
				    sign_finish, 3 * DKIM_MAX_HDR_BYTES };

	memset(&run, 0, sizeof(run));
	memset(&vrun, 0, sizeof(vrun));
	vrun.cmd = "arc sign";
	run.p.now = time(NULL);
	while ((c = getopt_long(argc, argv, "d:hk:n:s:", opts, NULL)) != -1)
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
		case 'A':
			run.p.authserv_id = optarg;
			break;
		case 'H':
			run.p.headers = optarg;
			break;
		case 'n':
			ns = optarg;
			break;
		case 'N':
			nl = tool_newline("arc sign", optarg);
			break;
		case 'T':
			run.p.now = tool_time("arc sign", optarg);
			break;
		case 'h':
			puts(sign_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", sign_usage);
			return EXIT_USAGE;
		}
	if (run.p.domain == NULL || run.p.selector == NULL ||
	    keyfile == NULL || run.p.authserv_id == NULL)
		tool_usage_error("arc sign", "--domain, --selector, --key and "
		    "--authserv-id are required\n%s", sign_usage);
	path = tool_message_arg("arc sign", argc - optind, argv + optind,
	    NULL);
	if (ns != NULL)
		tool_dns_server("arc sign", ns, &(struct dns_server){ 0 });
	if ((run.key = key_load_pem_file(keyfile, &run.err)) == NULL)
		tool_usage_error("arc sign", "%s", run.err.msg);
	vrun.now = run.p.now;
	in = tool_open_input("arc sign", path);
	if ((spool = tool_spool("arc sign")) == NULL)
		goto out;
	/* Pass 1: the existing chain. */
	if (verify_message(&vrun, in, tool_input_name(path), nl, spool,
	    ns) == -1)
		goto out;
	run.cv = arc_verify_result(vrun.av, NULL);
	/* Pass 2: the seal, from the spool. */
	rewind(spool);
	cb.read.arg = &run;
	if (tool_sign_message("arc sign", spool, tool_input_name(path), nl,
	    spool, &cb) == 0)
		rc = 0;
	if (run.ended)
		rc = EXIT_CHECK_FAILED;
out:
	if (spool != NULL)
		fclose(spool);
	tool_close_input(in);
	arc_verify_free(vrun.av);
	mail_hdrs_free(vrun.hdrs);
	arc_seal_free(run.as);
	mail_hdrs_free(run.hdrs);
	key_free(run.key);
	return rc;
}

int
cmd_arc(int argc, char *argv[])
{
	static const struct tool_cmd verbs[] = {
		{ "verify", arc_verify_main, verify_usage },
		{ "sign", arc_sign_main, sign_usage },
	};

	return tool_verb_run("arc", verbs, sizeof(verbs) / sizeof(verbs[0]),
	    argc, argv);
}
