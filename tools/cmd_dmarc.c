/*
 * cmd_dmarc.c: timbre dmarc verify.
 *
 * Checks SPF (when --ip gives the client), every DKIM signature and DMARC
 * (RFC 9989, or RFC 7489 with --dmarc-mode rfc7489) for one message, and
 * prints the message with an Authentication-Results field (RFC 8601)
 * first, in the input's own line ends, the way blaze dmarc verify does:
 *
 *   Authentication-Results: mx.example.org;
 *    spf=pass (...) smtp.mailfrom=bob@example.org;
 *    dkim=pass header.d=example.org header.i=@example.org header.s=s1
 *    header.b=AbCdEfGh;
 *    dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org
 *
 * The engines (src/spf, src/dkim, src/dmarc) do no I/O; this file asks
 * their questions one at a time through the DNS set-up every verb shares
 * (tool_spf_run, tool_ask and tool_fetch_txts in tool.c) and reads the
 * Public Suffix List file for rfc7489 mode.  The input is spooled to
 * a temporary file as it is hashed, so a message of any size is handled
 * in constant memory.  Exit status: 0 dmarc=pass, 1 anything else, 2
 * usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authres/authres.h"
#include "dkim/dkim.h"
#include "dmarc/dmarc.h"
#include "spf/spf.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

#define PSL_FILE	"/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_MAX		(16 * 1024 * 1024)

static const char verify_usage[] =
    "usage: timbre dmarc verify [--ip IP --mail-from ADDR [--helo NAME]]\n"
    "                           [--authserv-id ID]"
    " [--dmarc-mode dmarcbis|rfc7489]\n"
    "                           [--psl FILE]"
    " [-n udp:ADDR[:PORT]|tcp:ADDR[:PORT]]\n"
    "                           [--newline crlf|lf] [--time UNIX] [MSG|-]";

static int
dmarc_answer(void *de, enum dns_status st, const struct dns_msg *msg,
    struct err *err)
{
	return dmarc_eval_answer(de, st, msg, err);
}

static struct dmarc_psl *
load_psl(const char *path)
{
	struct dmarc_psl	*psl;
	struct buf		 b;
	struct err		 err;
	char			 chunk[64 * 1024];
	FILE			*f;
	size_t			 n;

	if ((f = fopen(path, "rb")) == NULL)
		tool_usage_error("dmarc verify", "%s: %s (install the "
		    "publicsuffix package, or give --psl)", path,
		    strerror(errno));
	buf_init(&b, PSL_MAX);
	/* cppcheck-suppress nullPointerRedundantCheck ; exited above */
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n, &err) == -1)
			tool_usage_error("dmarc verify", "%s: %s", path,
			    err.msg);
	if (ferror(f))
		tool_usage_error("dmarc verify", "%s: %s", path,
		    strerror(errno));
	fclose(f);
	psl = dmarc_psl_new(b.data ? b.data : "", b.len, &err);
	buf_fini(&b);
	if (psl == NULL)
		tool_usage_error("dmarc verify", "%s: %s", path, err.msg);
	return psl;
}

static char *
upper(const char *s, char *out, size_t n)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	out[i] = '\0';
	return out;
}

static const char *
dkim_ar_result(enum dkim_result r, const struct dkim_verdict *vd)
{
	switch (r) {
	case DKIM_PASS:
		return "pass";
	case DKIM_TEMPFAIL:
		return "temperror";
	case DKIM_EXPIRED:
		return "fail";
	case DKIM_FAIL:
		break;
	}
	/* A signature that cannot even be read is a permerror. */
	return vd->domain[0] == '\0' || vd->alg == 0 ? "permerror" : "fail";
}

static void
prop(struct authres_result *res, const char *ptype, const char *property,
    const char *value)
{
	if (value == NULL || value[0] == '\0' ||
	    res->nprops == AUTHRES_MAX_PROPS)
		return;
	res->props[res->nprops].ptype = ptype;
	res->props[res->nprops].property = property;
	res->props[res->nprops].value = value;
	res->nprops++;
}

/* What the command line asked for. */
struct verify_opts {
	const char		*ip, *mail_from, *helo, *id, *ns, *psl_path;
	const char		*path;
	enum mail_newline	 nl;
	enum dmarc_mode		 mode;
	time_t			 now;
	char			 host[256];
};

/* What the three checks found, for the Authentication-Results field. */
struct verify_found {
	struct spf_eval		*se;		/* NULL: SPF not checked */
	enum spf_result		 spf;
	struct dkim_verdict	 vd[DKIM_MAX_SIGS];
	size_t			 nv;
	struct dmarc_outcome	 dmarc;
	/* The outcome's strings point into these: kept until printed. */
	struct dmarc_eval	*de;
	char			 from[DNS_MAX_NAME + 1];
	struct err		 from_err;
};

/*
 * Reads the options into o.  Returns -1 to go on, or the exit status
 * (--help, a bad option); other usage errors exit through
 * tool_usage_error.
 */
static int
verify_options(int argc, char *argv[], struct verify_opts *o)
{
	static const struct option opts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "mail-from", required_argument, NULL, 'm' },
		{ "helo", required_argument, NULL, 'H' },
		{ "authserv-id", required_argument, NULL, 'a' },
		{ "dmarc-mode", required_argument, NULL, 'M' },
		{ "psl", required_argument, NULL, 'P' },
		{ "nameserver", required_argument, NULL, 'n' },
		{ "newline", required_argument, NULL, 'N' },
		{ "time", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int	c;

	memset(o, 0, sizeof(*o));
	o->psl_path = PSL_FILE;
	o->nl = MAIL_NL_LF;
	o->mode = DMARC_MODE_DMARCBIS;
	o->now = time(NULL);
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1)
		switch (c) {
		case 'i':
			o->ip = optarg;
			break;
		case 'm':
			o->mail_from = optarg;
			break;
		case 'H':
			o->helo = optarg;
			break;
		case 'a':
			o->id = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "dmarcbis") == 0)
				o->mode = DMARC_MODE_DMARCBIS;
			else if (strcmp(optarg, "rfc7489") == 0)
				o->mode = DMARC_MODE_RFC7489;
			else
				tool_usage_error("dmarc verify", "--dmarc-mode "
				    "must be dmarcbis or rfc7489, not \"%s\"",
				    optarg);
			break;
		case 'P':
			o->psl_path = optarg;
			break;
		case 'n':
			o->ns = optarg;
			break;
		case 'N':
			o->nl = tool_newline("dmarc verify", optarg);
			break;
		case 'T':
			o->now = tool_time("dmarc verify", optarg);
			break;
		case 'h':
			puts(verify_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", verify_usage);
			return EXIT_USAGE;
		}
	o->path = tool_message_arg("dmarc verify", argc - optind,
	    argv + optind, verify_usage);
	if (o->ip == NULL && (o->mail_from != NULL || o->helo != NULL))
		tool_usage_error("dmarc verify", "--mail-from and --helo need "
		    "--ip");
	if (o->id == NULL) {
		if (gethostname(o->host, sizeof(o->host)) == -1 ||
		    o->host[0] == '\0')
			strcpy(o->host, "localhost");
		o->host[sizeof(o->host) - 1] = '\0';
		o->id = o->host;
	}
	return -1;
}

/* SPF for MAIL FROM, when the client is known; f->se stays NULL if not.
 * Returns -1 (said) if the evaluation could not be run. */
static int
verify_spf(struct tool_dns *dns, const struct verify_opts *o,
    struct verify_found *f)
{
	struct spf_params	sp;
	struct err		err;

	f->spf = SPF_NONE;
	if (o->ip == NULL)
		return 0;
	memset(&sp, 0, sizeof(sp));
	sp.ip = o->ip;
	sp.mail_from = o->mail_from;
	sp.helo = o->helo;
	sp.receiver = o->id;
	sp.identity = SPF_ID_MAILFROM;
	if ((f->se = spf_eval_new(&sp, &err)) == NULL)
		tool_usage_error("dmarc verify", "%s", err.msg);
	return tool_spf_run("dmarc verify", dns, f->se, o->now, false,
	    &f->spf);
}

/* Every DKIM signature; a key that cannot even be asked for is a
 * SERVFAIL.  Returns -1 (said) when the questions cannot be sent. */
static int
verify_dkim(struct tool_dns *dns, struct tool_dkim_msg *m,
    struct verify_found *f)
{
	struct tool_fetch	fetch = { .name = tool_dkim_key_name,
				    .on_answer = tool_dkim_key_answer,
				    .serial = true };
	size_t			i;

	fetch.arg = m->dv;
	if (tool_fetch_txts("dmarc verify", dns, dkim_verify_count(m->dv),
	    &fetch) == -1)
		return -1;
	dkim_verify_finish(m->dv);
	f->nv = dkim_verify_count(m->dv);
	if (f->nv > DKIM_MAX_SIGS)
		f->nv = DKIM_MAX_SIGS;
	for (i = 0; i < f->nv; i++)
		dkim_verify_get(m->dv, i, &f->vd[i]);
	return 0;
}

/* DMARC for the From domain, from the SPF and DKIM results in f. */
static int
verify_dmarc(struct tool_dns *dns, const struct verify_opts *o,
    const struct mail_hdrs *hdrs, struct dmarc_psl *psl, unsigned sample,
    struct verify_found *f)
{
	struct dmarc_params	 dp;
	struct dns_question	 q;
	enum dmarc_result	 dres;
	const char		*dkim_pass[DKIM_MAX_SIGS];
	struct err		 err;
	size_t			 i;

	memset(&dp, 0, sizeof(dp));
	for (i = 0; i < f->nv; i++)
		if (f->vd[i].result == DKIM_PASS)
			dkim_pass[dp.ndkim++] = f->vd[i].domain;
	dp.mode = o->mode;
	if (dmarc_from_domain(hdrs, f->from, sizeof(f->from),
	    &f->from_err) == 0)
		dp.from_domain = f->from;
	else
		dp.from_problem = f->from_err.msg;
	if (f->se != NULL) {
		dp.spf_domain = spf_eval_domain(f->se);
		dp.spf_pass = f->spf == SPF_PASS;
	}
	dp.dkim_domains = dkim_pass;
	dp.psl = psl;
	dp.sample = sample;
	if ((f->de = dmarc_eval_new(&dp, &err)) == NULL) {
		tool_warn("dmarc verify", "%s", err.msg);
		return -1;
	}
	while (dmarc_eval_next(f->de, &q, &dres) == DMARC_STEP_QUERY)
		if (tool_ask("dmarc verify", dns, q.name, q.type, dmarc_answer,
		    f->de, false) == -1)
			return -1;
	dmarc_eval_outcome(f->de, &f->dmarc);
	return 0;
}

/* The spf= result of Authentication-Results; comment is its buffer. */
static void
authres_spf(const struct verify_opts *o, const struct verify_found *f,
    struct authres_result *res, char *comment, size_t size)
{
	struct spf_eval	*se = f->se;

	res->method = "spf";
	if (se == NULL) {
		res->result = "none";
		res->comment = "not checked: no client address given";
		return;
	}
	res->result = spf_result_str(f->spf);
	if (f->spf == SPF_PASS || f->spf == SPF_FAIL ||
	    f->spf == SPF_SOFTFAIL)
		snprintf(comment, size, "%s: domain of %s %s %s as permitted "
		    "sender", o->id, spf_eval_sender(se), f->spf == SPF_PASS ?
		    "designates" : "does not designate", o->ip);
	else
		snprintf(comment, size, "%s: %s", o->id,
		    spf_eval_problem(se) != NULL ? spf_eval_problem(se) :
		    spf_eval_explanation(se));
	res->comment = comment;
	if (strcmp(spf_eval_identity(se), "helo") == 0)
		prop(res, "smtp", "helo", o->helo);
	else
		prop(res, "smtp", "mailfrom", spf_eval_sender(se));
}

/* One dkim= result per signature, or dkim=none.  Returns how many. */
static size_t
authres_dkim(const struct verify_found *f, struct authres_result *res)
{
	const struct dkim_verdict	*vd;
	size_t				 i;

	if (f->nv == 0) {
		res[0].method = "dkim";
		res[0].result = "none";
		return 1;
	}
	for (i = 0; i < f->nv; i++) {
		vd = &f->vd[i];
		res[i].method = "dkim";
		res[i].result = dkim_ar_result(vd->result, vd);
		if (vd->result == DKIM_EXPIRED)
			res[i].comment = "signature expired";
		else if (vd->reason[0] != '\0')
			res[i].comment = vd->reason;
		prop(&res[i], "header", "d", vd->domain);
		prop(&res[i], "header", "i", vd->auid);
		prop(&res[i], "header", "s", vd->selector);
		prop(&res[i], "header", "b", vd->b_prefix);
	}
	return f->nv;
}

/* The dmarc= result; comment is its buffer. */
static void
authres_dmarc(const struct dmarc_outcome *out, struct authres_result *res,
    char *comment, size_t size)
{
	char	up1[16], up2[16], up3[16];

	res->method = "dmarc";
	res->result = dmarc_result_str(out->result);
	if (out->have_record) {
		snprintf(comment, size, "p=%s sp=%s dis=%s",
		    upper(dmarc_policy_str(out->p), up1, sizeof(up1)),
		    upper(dmarc_policy_str(out->sp), up2, sizeof(up2)),
		    upper(dmarc_policy_str(out->policy), up3, sizeof(up3)));
		res->comment = comment;
	}
	if (out->result != DMARC_PASS)
		res->reason = out->reason;
	prop(res, "header", "from", out->domain);
}

/* Formats the Authentication-Results field of what f found into field. */
static int
verify_authres(const struct verify_opts *o, const struct verify_found *f,
    struct buf *field)
{
	struct authres_result	res[DKIM_MAX_SIGS + 2];
	char			spf_comment[512], dmarc_comment[128];
	size_t			nres = 0;
	struct err		err;

	memset(res, 0, sizeof(res));
	authres_spf(o, f, &res[nres++], spf_comment, sizeof(spf_comment));
	nres += authres_dkim(f, &res[nres]);
	authres_dmarc(&f->dmarc, &res[nres++], dmarc_comment,
	    sizeof(dmarc_comment));
	if (authres_format(o->id, res, nres, field, &err) == -1) {
		tool_warn("dmarc verify", "authentication-results: %s",
		    err.msg);
		return -1;
	}
	return 0;
}

static int
dmarc_verify_main(int argc, char *argv[])
{
	struct verify_opts	 o;
	struct verify_found	 f;
	struct tool_dkim_msg	 m = { NULL, NULL };
	struct tool_dns		 dns = { NULL, NULL };
	struct dns_server	 srv;
	struct dmarc_psl	*psl = NULL;
	struct buf		 field;
	FILE			*in, *spool;
	unsigned		 sample = 0;
	int			 rc;

	if ((rc = verify_options(argc, argv, &o)) != -1)
		return rc;
	rc = EXIT_USAGE;
	memset(&f, 0, sizeof(f));
	if (o.mode == DMARC_MODE_RFC7489) {
		psl = load_psl(o.psl_path);
		/* pct= samples; getentropy() failing leaves 0: sampled. */
		if (getentropy(&sample, sizeof(sample)) == 0)
			sample %= 100;
		else
			sample = 0;
	}
	tool_dns_server("dmarc verify", o.ns, &srv);
	in = tool_open_input("dmarc verify", o.path);
	if ((spool = tool_spool("dmarc verify")) == NULL)
		goto out;
	buf_init(&field, 64 * 1024);
	if (tool_dkim_read("dmarc verify", in, tool_input_name(o.path), o.nl,
	    spool, o.now, &m) == -1 ||
	    tool_dns_open("dmarc verify", &srv, NULL, &dns) == -1)
		goto out2;
	if (verify_spf(&dns, &o, &f) == -1 ||
	    verify_dkim(&dns, &m, &f) == -1 ||
	    verify_dmarc(&dns, &o, m.hdrs, psl, sample, &f) == -1 ||
	    verify_authres(&o, &f, &field) == -1 ||
	    tool_write_prepended("dmarc verify", &field, spool, o.nl) == -1)
		goto out2;
	rc = f.dmarc.result == DMARC_PASS ? 0 : EXIT_CHECK_FAILED;
out2:
	buf_fini(&field);
	fclose(spool);
out:
	tool_close_input(in);
	dmarc_eval_free(f.de);
	spf_eval_free(f.se);
	tool_dns_close(&dns);
	tool_dkim_msg_fini(&m);
	dmarc_psl_free(psl);
	return rc;
}

int
cmd_dmarc(int argc, char *argv[])
{
	static const struct tool_cmd verbs[] = {
		{ "verify", dmarc_verify_main, verify_usage },
	};

	return tool_verb_run("dmarc", verbs, sizeof(verbs) / sizeof(verbs[0]),
	    argc, argv);
}
