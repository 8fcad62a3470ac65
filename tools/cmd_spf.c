/*
 * cmd_spf.c: timbre spf check: evaluates SPF (RFC 7208) for a client
 * address and a MAIL FROM address or HELO name.
 *
 * The first output line is the result ("pass", "fail", "softfail",
 * "neutral", "none", "temperror" or "permerror"), the second the
 * explanation: the domain's exp= text for a fail that has one, else a
 * sentence naming the mechanism that decided or the error.  With
 * --verbose the Received-SPF header field (section 9.1) follows, and
 * every DNS question and its outcome goes to standard error.
 *
 * The evaluator asks one question at a time; tool_spf_run (tool.c) sends
 * each through the DNS stub client set up as for every other verb, and
 * hands the answer back, until the evaluator is done.  Exit status 0 for pass, 1 for
 * every other result (the check did not pass), 2 for usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "spf/spf.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

static const char check_usage[] =
    "usage: timbre spf check --ip IP --mail-from ADDR [--helo NAME]\n"
    "                        [--identity mailfrom|helo] [--receiver NAME]\n"
    "                        [-n udp:ADDR[:PORT]|tcp:ADDR[:PORT]]\n"
    "                        [--timeout MS] [--retries N] [-v]";

static int
check_number(const char *opt, const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		tool_usage_error("spf check", "--%s wants a number from %ld "
		    "to %ld, not \"%s\"", opt, lo, hi, s);
	return (int)v;
}

/* What the command line asked for. */
struct check_opts {
	struct spf_params	 p;
	struct dns_stub_opts	 so;
	const char		*ns;
	bool			 verbose;
	char			*from;	/* MAIL FROM without its <>, or NULL */
};

/*
 * Reads the options into o.  Returns -1 to go on, or the exit status
 * (--help, a bad option); other usage errors exit through
 * tool_usage_error.
 */
static int
check_options(int argc, char *argv[], struct check_opts *o)
{
	static const struct option opts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "mail-from", required_argument, NULL, 'm' },
		{ "helo", required_argument, NULL, 'H' },
		{ "identity", required_argument, NULL, 'I' },
		{ "receiver", required_argument, NULL, 'r' },
		{ "nameserver", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct spf_params	*p = &o->p;
	size_t			 len;
	bool			 have_from = false;
	int			 c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "hn:v", opts, NULL)) != -1)
		switch (c) {
		case 'i':
			p->ip = optarg;
			break;
		case 'm':
			p->mail_from = optarg;
			have_from = true;
			break;
		case 'H':
			p->helo = optarg;
			break;
		case 'I':
			if (strcmp(optarg, "helo") == 0)
				p->identity = SPF_ID_HELO;
			else if (strcmp(optarg, "mailfrom") == 0)
				p->identity = SPF_ID_MAILFROM;
			else
				tool_usage_error("spf check", "--identity must "
				    "be mailfrom or helo, not \"%s\"", optarg);
			break;
		case 'r':
			p->receiver = optarg;
			break;
		case 'n':
			o->ns = optarg;
			break;
		case 't':
			o->so.timeout_ms = check_number("timeout", optarg, 1,
			    3600000);
			break;
		case 'R':
			o->so.retries = check_number("retries", optarg, 0, 16);
			if (o->so.retries == 0)
				o->so.retries = -1;	/* none */
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			puts(check_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", check_usage);
			return EXIT_USAGE;
		}
	if (optind < argc)
		tool_usage_error("spf check", "unexpected argument \"%s\"\n%s",
		    argv[optind], check_usage);
	if (p->ip == NULL)
		tool_usage_error("spf check", "--ip is required\n%s",
		    check_usage);
	if (!have_from && p->identity == SPF_ID_MAILFROM)
		tool_usage_error("spf check", "--mail-from is required (\"\" "
		    "for the null reverse-path)\n%s", check_usage);
	/* "<user@example.org>" as SMTP writes it is user@example.org. */
	if (p->mail_from != NULL && p->mail_from[0] == '<' &&
	    (len = strlen(p->mail_from)) >= 2 &&
	    p->mail_from[len - 1] == '>') {
		if ((o->from = strndup(p->mail_from + 1, len - 2)) == NULL)
			tool_usage_error("spf check", "out of memory");
		p->mail_from = o->from;
	}
	if ((p->mail_from == NULL || *p->mail_from == '\0' ||
	    p->identity == SPF_ID_HELO) && p->helo == NULL)
		tool_usage_error("spf check", "checking the HELO identity "
		    "needs --helo");
	return -1;
}

/* Prints the result, the explanation and, verbose, Received-SPF. */
static int
check_print(struct spf_eval *ev, enum spf_result res, bool verbose)
{
	const char	*expl = spf_eval_explanation(ev);
	struct buf	 hdr;
	struct err	 err = { 0, "" };

	printf("%s\n%s\n", spf_result_str(res), expl != NULL ? expl : "");
	if (verbose) {
		buf_init(&hdr, 64 * 1024);
		if (spf_received_spf(ev, &hdr, &err) == 0)
			fwrite(hdr.data, 1, hdr.len, stdout);
		buf_fini(&hdr);
		fprintf(stderr, "%zu dns queries\n", spf_eval_queries(ev));
	}
	return fflush(stdout) == EOF ? -1 : 0;
}

static int
cmd_spf_check(int argc, char *argv[])
{
	struct check_opts	 o;
	struct dns_server	 srv;
	struct tool_dns		 dns = { NULL, NULL };
	struct spf_eval		*ev;
	enum spf_result		 res;
	struct err		 err;
	int			 rc;

	if ((rc = check_options(argc, argv, &o)) != -1)
		return rc;
	rc = EXIT_USAGE;
	tool_dns_server("spf check", o.ns, &srv);
	if ((ev = spf_eval_new(&o.p, &err)) == NULL)
		tool_usage_error("spf check", "%s", err.msg);
	if (tool_dns_open("spf check", &srv, &o.so, &dns) == 0 &&
	    tool_spf_run("spf check", &dns, ev, time(NULL), o.verbose,
	    &res) == 0 && check_print(ev, res, o.verbose) == 0)
		rc = res == SPF_PASS ? 0 : EXIT_CHECK_FAILED;
	tool_dns_close(&dns);
	spf_eval_free(ev);
	free(o.from);
	return rc;
}

int
cmd_spf(int argc, char *argv[])
{
	static const struct tool_cmd verbs[] = {
		{ "check", cmd_spf_check, check_usage },
	};

	return tool_verb_run("spf", verbs, sizeof(verbs) / sizeof(verbs[0]),
	    argc, argv);
}
