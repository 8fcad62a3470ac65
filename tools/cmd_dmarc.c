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
 * their questions through the DNS stub client one at a time and reads
 * the Public Suffix List file for rfc7489 mode.  The input is spooled to
 * a temporary file as it is hashed, so a message of any size is handled
 * in constant memory.  Exit status: 0 dmarc=pass, 1 anything else, 2
 * usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

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

/* One question on the way, and what to do with the answer. */
struct ask {
	void	(*fn)(void *, enum dns_status, const struct dns_msg *);
	void	*eng;
};

static void
ask_done(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct ask	*a = arg;

	a->fn(a->eng, st, msg);
}

/* Asks (name, type) and runs the loop until the answer was handled. */
static void
ask(struct tool_dns *dns, const char *name, uint16_t type,
    void (*fn)(void *, enum dns_status, const struct dns_msg *), void *eng)
{
	struct ask	a = { fn, eng };
	struct err	err;

	if (dns_stub_query(dns->stub, name, type, ask_done, &a, &err) == -1) {
		fn(eng, DNS_SERVFAIL, NULL);
		return;
	}
	event_base_dispatch(dns->base);
}

static void
spf_answer(void *eng, enum dns_status st, const struct dns_msg *msg)
{
	struct err	err;

	(void)spf_eval_answer(eng, st, msg, &err);
}

static void
dmarc_answer(void *eng, enum dns_status st, const struct dns_msg *msg)
{
	struct err	err;

	(void)dmarc_eval_answer(eng, st, msg, &err);
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

static int
dmarc_verify_main(int argc, char *argv[])
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
	struct tool_dkim_msg	 m = { NULL, NULL };
	struct tool_dns		 dns = { NULL, NULL };
	struct dns_server	 srv;
	struct spf_params	 sp;
	struct spf_eval		*se = NULL;
	enum spf_result		 spf_res = SPF_NONE;
	struct dmarc_params	 dp;
	struct dmarc_eval	*de = NULL;
	struct dmarc_psl	*psl = NULL;
	struct dmarc_outcome	 out;
	enum dmarc_result	 dres;
	struct dns_question	 q;
	struct dkim_verdict	 vd[DKIM_MAX_SIGS];
	struct authres_result	 res[DKIM_MAX_SIGS + 2];
	const char		*dkim_pass[DKIM_MAX_SIGS];
	char			 from[DNS_MAX_NAME + 1], host[256];
	char			 spf_comment[512], dmarc_comment[128];
	char			 up1[16], up2[16], up3[16];
	const char		*ns = NULL, *path, *ip = NULL;
	const char		*mail_from = NULL;
	const char		*helo = NULL, *id = NULL, *psl_path = PSL_FILE;
	enum mail_newline	 nl = MAIL_NL_LF;
	enum dmarc_mode		 mode = DMARC_MODE_DMARCBIS;
	struct buf		 field;
	struct err		 err, from_err;
	FILE			*in, *spool;
	size_t			 i, nv = 0, nres = 0, npass = 0;
	time_t			 now = time(NULL);
	unsigned		 sample = 0;
	int			 c, rc = EXIT_USAGE;
	struct tool_fetch	 fetch = { .name = tool_dkim_key_name,
				    .on_answer = tool_dkim_key_answer,
				    .serial = true };

	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1)
		switch (c) {
		case 'i':
			ip = optarg;
			break;
		case 'm':
			mail_from = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'a':
			id = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "dmarcbis") == 0)
				mode = DMARC_MODE_DMARCBIS;
			else if (strcmp(optarg, "rfc7489") == 0)
				mode = DMARC_MODE_RFC7489;
			else
				tool_usage_error("dmarc verify", "--dmarc-mode "
				    "must be dmarcbis or rfc7489, not \"%s\"",
				    optarg);
			break;
		case 'P':
			psl_path = optarg;
			break;
		case 'n':
			ns = optarg;
			break;
		case 'N':
			nl = tool_newline("dmarc verify", optarg);
			break;
		case 'T':
			now = tool_time("dmarc verify", optarg);
			break;
		case 'h':
			puts(verify_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", verify_usage);
			return EXIT_USAGE;
		}
	path = tool_message_arg("dmarc verify", argc - optind, argv + optind,
	    verify_usage);
	if (ip == NULL && (mail_from != NULL || helo != NULL))
		tool_usage_error("dmarc verify", "--mail-from and --helo need "
		    "--ip");
	if (id == NULL) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		id = host;
	}
	if (mode == DMARC_MODE_RFC7489) {
		psl = load_psl(psl_path);
		/* pct= samples; getentropy() failing leaves 0: sampled. */
		if (getentropy(&sample, sizeof(sample)) == 0)
			sample %= 100;
		else
			sample = 0;
	}
	tool_dns_server("dmarc verify", ns, &srv);
	in = tool_open_input("dmarc verify", path);
	if ((spool = tool_spool("dmarc verify")) == NULL)
		goto out;
	buf_init(&field, 64 * 1024);
	if (tool_dkim_read("dmarc verify", in, tool_input_name(path), nl,
	    spool, now, &m) == -1 ||
	    tool_dns_open("dmarc verify", &srv, &dns) == -1)
		goto out2;

	/* SPF, when the client is known. */
	if (ip != NULL) {
		memset(&sp, 0, sizeof(sp));
		sp.ip = ip;
		sp.mail_from = mail_from;
		sp.helo = helo;
		sp.receiver = id;
		sp.identity = SPF_ID_MAILFROM;
		if ((se = spf_eval_new(&sp, &err)) == NULL)
			tool_usage_error("dmarc verify", "%s", err.msg);
		while (spf_eval_next(se, now, &q, &spf_res) ==
		    SPF_STEP_QUERY)
			ask(&dns, q.name, q.type, spf_answer, se);
	}

	/* DKIM; a key that cannot even be asked for is a SERVFAIL. */
	fetch.arg = m.dv;
	if (tool_fetch_txts("dmarc verify", &dns, dkim_verify_count(m.dv),
	    &fetch) == -1)
		goto out2;
	dkim_verify_finish(m.dv);
	nv = dkim_verify_count(m.dv);
	if (nv > DKIM_MAX_SIGS)
		nv = DKIM_MAX_SIGS;
	for (i = 0; i < nv; i++) {
		dkim_verify_get(m.dv, i, &vd[i]);
		if (vd[i].result == DKIM_PASS)
			dkim_pass[npass++] = vd[i].domain;
	}

	/* DMARC. */
	memset(&dp, 0, sizeof(dp));
	dp.mode = mode;
	if (dmarc_from_domain(m.hdrs, from, sizeof(from), &from_err) == 0)
		dp.from_domain = from;
	else
		dp.from_problem = from_err.msg;
	if (se != NULL) {
		dp.spf_domain = spf_eval_domain(se);
		dp.spf_pass = spf_res == SPF_PASS;
	}
	dp.dkim_domains = dkim_pass;
	dp.ndkim = npass;
	dp.psl = psl;
	dp.sample = sample;
	if ((de = dmarc_eval_new(&dp, &err)) == NULL) {
		tool_warn("dmarc verify", "%s", err.msg);
		goto out2;
	}
	while (dmarc_eval_next(de, &q, &dres) == DMARC_STEP_QUERY)
		ask(&dns, q.name, q.type, dmarc_answer, de);
	dmarc_eval_outcome(de, &out);

	/* Authentication-Results. */
	memset(res, 0, sizeof(res));
	res[nres].method = "spf";
	if (se == NULL) {
		res[nres].result = "none";
		res[nres].comment = "not checked: no client address given";
	} else {
		res[nres].result = spf_result_str(spf_res);
		if (spf_res == SPF_PASS || spf_res == SPF_FAIL ||
		    spf_res == SPF_SOFTFAIL)
			snprintf(spf_comment, sizeof(spf_comment), "%s: domain "
			    "of %s %s %s as permitted sender", id,
			    spf_eval_sender(se), spf_res == SPF_PASS ?
			    "designates" : "does not designate", ip);
		else
			snprintf(spf_comment, sizeof(spf_comment), "%s: %s",
			    id, spf_eval_problem(se) != NULL ?
			    spf_eval_problem(se) : spf_eval_explanation(se));
		res[nres].comment = spf_comment;
		if (strcmp(spf_eval_identity(se), "helo") == 0)
			prop(&res[nres], "smtp", "helo", helo);
		else
			prop(&res[nres], "smtp", "mailfrom",
			    spf_eval_sender(se));
	}
	nres++;
	if (nv == 0) {
		res[nres].method = "dkim";
		res[nres].result = "none";
		nres++;
	}
	for (i = 0; i < nv; i++, nres++) {
		res[nres].method = "dkim";
		res[nres].result = dkim_ar_result(vd[i].result, &vd[i]);
		if (vd[i].result == DKIM_EXPIRED)
			res[nres].comment = "signature expired";
		else if (vd[i].reason[0] != '\0')
			res[nres].comment = vd[i].reason;
		prop(&res[nres], "header", "d", vd[i].domain);
		prop(&res[nres], "header", "i", vd[i].auid);
		prop(&res[nres], "header", "s", vd[i].selector);
		prop(&res[nres], "header", "b", vd[i].b_prefix);
	}
	res[nres].method = "dmarc";
	res[nres].result = dmarc_result_str(out.result);
	if (out.have_record) {
		snprintf(dmarc_comment, sizeof(dmarc_comment),
		    "p=%s sp=%s dis=%s", upper(dmarc_policy_str(out.p), up1,
		    sizeof(up1)), upper(dmarc_policy_str(out.sp), up2,
		    sizeof(up2)), upper(dmarc_policy_str(out.policy), up3,
		    sizeof(up3)));
		res[nres].comment = dmarc_comment;
	}
	if (out.result != DMARC_PASS)
		res[nres].reason = out.reason;
	prop(&res[nres], "header", "from", out.domain);
	nres++;
	if (authres_format(id, res, nres, &field, &err) == -1) {
		tool_warn("dmarc verify", "authentication-results: %s",
		    err.msg);
		goto out2;
	}
	if (tool_write_prepended("dmarc verify", &field, spool, nl) == -1)
		goto out2;
	rc = out.result == DMARC_PASS ? 0 : EXIT_CHECK_FAILED;
out2:
	buf_fini(&field);
	fclose(spool);
out:
	tool_close_input(in);
	dmarc_eval_free(de);
	spf_eval_free(se);
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
