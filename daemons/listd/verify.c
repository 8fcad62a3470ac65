/*
 * verify.c: what timbre-listd knows of a message's origin, found at the
 * end of DATA and written in one Authentication-Results field (RFC 8601)
 * whose authserv-id is --hostname:
 *
 *  - SPF (RFC 7208) of the MAIL FROM identity (the HELO identity for the
 *    null reverse-path) and, as its own result, of the HELO identity
 *    (section 2.3), for the client's address;
 *  - every DKIM-Signature (RFC 6376, RFC 8463);
 *  - the ARC chain (RFC 8617 section 5.2);
 *  - DMARC (RFC 9989) from the SPF and DKIM results, and whether the
 *    author's domain asks for quarantine or reject, which post.c needs.
 *
 * The engines do no I/O.  This file is the event-driven twin of timbre
 * dmarc verify (tools/cmd_dmarc.c): it sends their questions through the
 * --resolver stub client and feeds the answers back from its callbacks,
 * SPF one question at a time as the engine asks, the DKIM and ARC keys
 * all at once.  The result is given to the caller from the loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "listd.h"
#include "arc/arc.h"
#include "authres/authres.h"
#include "dkim/dkim.h"
#include "dns/dns.h"
#include "mail/mail.h"
#include "spf/spf.h"
#include "util/buf.h"
#include "util/err.h"

#define VERIFY_MAX_FIELD	(64 * 1024)

enum vq_kind {
	VQ_SPF_MAILFROM,
	VQ_SPF_HELO,
	VQ_DKIM_KEY,
	VQ_ARC_KEY,
	VQ_DMARC,
};

/* One question on the way; it outlives the verification if that is
 * abandoned while the stub still waits (v is then NULL). */
struct vq {
	struct listd_verify	*v;
	enum vq_kind		 kind;
	struct vq		*next;
	char			 name[DNS_MAX_NAME + 2];
};

enum phase {
	PH_SPF_MAILFROM,
	PH_SPF_HELO,
	PH_KEYS,
	PH_DMARC,
	PH_DONE,
};

struct listd_verify {
	struct listd		*ld;
	uint64_t		 id;
	char			*ip, *helo, *mail_from;
	const struct mail_hdrs	*hdrs;
	const char		*body;
	size_t			 body_len;
	time_t			 now;
	enum phase		 phase;
	struct spf_eval		*spf_mf, *spf_helo;
	enum spf_result		 res_mf, res_helo;
	struct dkim_verify	*dv;
	struct arc_verify	*av;
	struct dmarc_eval	*de;
	struct vq		*queries;	/* on the way */
	size_t			 pending;
	struct event		*ev;
	listd_verify_done	*done;
	void			*arg;
	struct buf		 field;
	char			 summary[256];
	char			 from[DNS_MAX_NAME + 1];
};

static void	advance(struct listd_verify *);

static void
vq_unlink(struct listd_verify *v, struct vq *q)
{
	struct vq	**pp;

	for (pp = &v->queries; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			return;
		}
}

static enum dkim_key_lookup
key_lookup(enum dns_status st, const struct dns_msg *msg, const char *name,
    char ***txts, size_t *n, const char **detail, struct err *scratch)
{
	*txts = NULL;
	*n = 0;
	*detail = dns_status_str(st);
	switch (st) {
	case DNS_OK:
		if (dns_msg_txts(msg, name, txts, n, scratch) == -1) {
			*detail = scratch->msg;
			return DKIM_KEY_TEMPFAIL;
		}
		return *n > 0 ? DKIM_KEY_FOUND : DKIM_KEY_NONE;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		return DKIM_KEY_NONE;
	default:
		return DKIM_KEY_TEMPFAIL;
	}
}

static void
vq_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct vq		*q = arg;
	struct listd_verify	*v = q->v;
	enum dkim_key_lookup	 lk;
	struct err		 err;
	const char		*detail, *other;
	char			**txts;
	size_t			 n, i;

	if (v == NULL) {
		free(q);
		return;
	}
	vq_unlink(v, q);
	v->pending--;
	switch (q->kind) {
	case VQ_SPF_MAILFROM:
		(void)spf_eval_answer(v->spf_mf, st, msg, &err);
		break;
	case VQ_SPF_HELO:
		(void)spf_eval_answer(v->spf_helo, st, msg, &err);
		break;
	case VQ_DMARC:
		(void)dmarc_eval_answer(v->de, st, msg, &err);
		break;
	case VQ_DKIM_KEY:
	case VQ_ARC_KEY:
		lk = key_lookup(st, msg, q->name, &txts, &n, &detail, &err);
		if (q->kind == VQ_ARC_KEY)
			arc_verify_set_key(v->av, q->name, lk,
			    (const char *const *)txts, n,
			    lk == DKIM_KEY_FOUND ? NULL : detail);
		else
			for (i = 0; i < dkim_verify_count(v->dv); i++)
				if ((other = dkim_verify_key_name(v->dv, i)) !=
				    NULL && strcasecmp(other, q->name) == 0)
					dkim_verify_set_key(v->dv, i, lk,
					    (const char *const *)txts, n,
					    lk == DKIM_KEY_FOUND ? NULL :
					    detail);
		dns_txts_free(txts, n);
		break;
	}
	free(q);
	if (v->pending == 0)
		advance(v);
}

/* Asks (name, type); 0, or -1 when it could not even be asked. */
static int
ask(struct listd_verify *v, enum vq_kind kind, const char *name,
    uint16_t type)
{
	struct vq	*q;
	struct err	 err;

	if (strlen(name) >= sizeof(((struct vq *)NULL)->name) ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	q->v = v;
	q->kind = kind;
	snprintf(q->name, sizeof(q->name), "%s", name);
	if (v->ld->stub == NULL || dns_stub_query(v->ld->stub, name, type,
	    vq_answer, q, &err) == -1) {
		log_debug("%016" PRIx64 " dns %s: %s", v->id, name,
		    v->ld->stub == NULL ? "no resolver" : err.msg);
		free(q);
		return -1;
	}
	q->next = v->queries;
	v->queries = q;
	v->pending++;
	return 0;
}

/* Runs an SPF evaluation to its next question; true when it is over. */
static bool
spf_step(struct listd_verify *v, struct spf_eval *se, enum vq_kind kind,
    enum spf_result *res)
{
	struct dns_question	q;
	struct err		err;

	while (spf_eval_next(se, v->now, &q, res) == SPF_STEP_QUERY) {
		if (ask(v, kind, q.name, q.type) == 0)
			return false;
		(void)spf_eval_answer(se, DNS_SERVFAIL, NULL, &err);
	}
	return true;
}

static bool
dmarc_step(struct listd_verify *v)
{
	struct dns_question	q;
	enum dmarc_result	r;
	struct err		err;

	while (dmarc_eval_next(v->de, &q, &r) == DMARC_STEP_QUERY) {
		if (ask(v, VQ_DMARC, q.name, q.type) == 0)
			return false;
		(void)dmarc_eval_answer(v->de, DNS_SERVFAIL, NULL, &err);
	}
	return true;
}

static void
ask_keys(struct listd_verify *v)
{
	const char	*name;
	size_t		 i;

	for (i = 0; v->dv != NULL && i < dkim_verify_count(v->dv); i++)
		if ((name = dkim_verify_key_name(v->dv, i)) != NULL &&
		    ask(v, VQ_DKIM_KEY, name, DNS_T_TXT) == -1)
			dkim_verify_set_key(v->dv, i, DKIM_KEY_TEMPFAIL, NULL,
			    0, "cannot ask");
	for (i = 0; v->av != NULL && i < arc_verify_key_count(v->av); i++)
		if ((name = arc_verify_key_name(v->av, i)) != NULL &&
		    ask(v, VQ_ARC_KEY, name, DNS_T_TXT) == -1)
			arc_verify_set_key(v->av, name, DKIM_KEY_TEMPFAIL,
			    NULL, 0, "cannot ask");
}

static void
start_dmarc(struct listd_verify *v)
{
	struct dmarc_params	 dp;
	struct dkim_verdict	 vd;
	const char		*pass[DKIM_MAX_SIGS];
	struct err		 err, from_err;
	struct spf_eval		*se;
	size_t			 i, n = 0;

	dkim_verify_finish(v->dv);
	if (v->av != NULL)
		arc_verify_finish(v->av);
	for (i = 0; i < dkim_verify_count(v->dv) && n < DKIM_MAX_SIGS; i++) {
		dkim_verify_get(v->dv, i, &vd);
		if (vd.result == DKIM_PASS)
			pass[n++] = vd.domain;
	}
	memset(&dp, 0, sizeof(dp));
	dp.mode = DMARC_MODE_DMARCBIS;
	if (dmarc_from_domain(v->hdrs, v->from, sizeof(v->from), &from_err) ==
	    0)
		dp.from_domain = v->from;
	else
		dp.from_problem = from_err.msg;
	se = v->spf_mf != NULL ? v->spf_mf : v->spf_helo;
	if (se != NULL) {
		dp.spf_domain = spf_eval_domain(se);
		dp.spf_pass = (se == v->spf_mf ? v->res_mf : v->res_helo) ==
		    SPF_PASS;
	}
	dp.dkim_domains = pass;
	dp.ndkim = n;
	if ((v->de = dmarc_eval_new(&dp, &err)) == NULL)
		log_warn("%016" PRIx64 " dmarc: %s", v->id, err.msg);
}

static const char *
dkim_ar_result(const struct dkim_verdict *vd)
{
	switch (vd->result) {
	case DKIM_PASS:
		return "pass";
	case DKIM_TEMPFAIL:
		return "temperror";
	case DKIM_EXPIRED:
		return "fail";
	case DKIM_FAIL:
		break;
	}
	return vd->domain[0] == '\0' || vd->alg == 0 ? "permerror" : "fail";
}

static void
prop(struct authres_result *r, const char *ptype, const char *property,
    const char *value)
{
	if (value == NULL || value[0] == '\0' || r->nprops == AUTHRES_MAX_PROPS)
		return;
	r->props[r->nprops].ptype = ptype;
	r->props[r->nprops].property = property;
	r->props[r->nprops].value = value;
	r->nprops++;
}

static void
upper(const char *s, char *out, size_t n)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	out[i] = '\0';
}

/* The SPF resinfo of one evaluation. */
static void
spf_resinfo(struct listd_verify *v, struct spf_eval *se, enum spf_result r,
    bool helo, struct authres_result *res, char *comment, size_t n)
{
	const char	*id = v->ld->set.hostname;

	res->method = "spf";
	res->result = spf_result_str(r);
	if (r == SPF_PASS || r == SPF_FAIL || r == SPF_SOFTFAIL)
		snprintf(comment, n, "%s: %s of %s %s %s as permitted sender",
		    id, helo ? "host" : "domain", spf_eval_sender(se),
		    r == SPF_PASS ? "designates" : "does not designate", v->ip);
	else
		snprintf(comment, n, "%s: %s", id, spf_eval_problem(se) !=
		    NULL ? spf_eval_problem(se) : spf_eval_explanation(se));
	res->comment = comment;
	if (helo)
		prop(res, "smtp", "helo", v->helo);
	else
		prop(res, "smtp", "mailfrom", spf_eval_sender(se));
}

static void
finish(struct listd_verify *v)
{
	struct listd_verdict	 out;
	struct authres_result	 res[DKIM_MAX_SIGS + 4];
	struct dkim_verdict	 vd[DKIM_MAX_SIGS];
	char			 c_mf[512], c_helo[512], c_dmarc[128];
	char			 up1[16], up2[16], up3[16];
	const char		*arc_reason = NULL;
	enum arc_cv		 cv = ARC_CV_NONE;
	struct err		 err;
	size_t			 nres = 0, nv, i;
	bool			 sub;

	memset(&out, 0, sizeof(out));
	memset(res, 0, sizeof(res));
	if (v->de != NULL)
		dmarc_eval_outcome(v->de, &out.dmarc);
	else {
		out.dmarc.result = DMARC_TEMPERROR;
		out.dmarc.domain = "";
		out.dmarc.reason = "out of memory";
	}
	if (v->spf_mf != NULL)
		spf_resinfo(v, v->spf_mf, v->res_mf, false, &res[nres++], c_mf,
		    sizeof(c_mf));
	if (v->spf_helo != NULL)
		spf_resinfo(v, v->spf_helo, v->res_helo, true, &res[nres++],
		    c_helo, sizeof(c_helo));
	if (nres == 0) {
		res[nres].method = "spf";
		res[nres++].result = "none";
	}
	nv = dkim_verify_count(v->dv);
	if (nv > DKIM_MAX_SIGS)
		nv = DKIM_MAX_SIGS;
	if (nv == 0) {
		res[nres].method = "dkim";
		res[nres++].result = "none";
	}
	for (i = 0; i < nv; i++, nres++) {
		dkim_verify_get(v->dv, i, &vd[i]);
		res[nres].method = "dkim";
		res[nres].result = dkim_ar_result(&vd[i]);
		if (vd[i].result == DKIM_EXPIRED)
			res[nres].comment = "signature expired";
		else if (vd[i].reason[0] != '\0')
			res[nres].comment = vd[i].reason;
		prop(&res[nres], "header", "d", vd[i].domain);
		prop(&res[nres], "header", "i", vd[i].auid);
		prop(&res[nres], "header", "s", vd[i].selector);
		prop(&res[nres], "header", "b", vd[i].b_prefix);
	}
	if (v->av != NULL)
		cv = arc_verify_result(v->av, &arc_reason);
	res[nres].method = "arc";
	res[nres].result = arc_cv_name(cv);
	if (cv == ARC_CV_FAIL && arc_reason != NULL)
		res[nres].comment = arc_reason;
	prop(&res[nres], "smtp", "remote-ip", v->ip);
	nres++;
	res[nres].method = "dmarc";
	res[nres].result = dmarc_result_str(out.dmarc.result);
	if (out.dmarc.have_record) {
		upper(dmarc_policy_str(out.dmarc.p), up1, sizeof(up1));
		upper(dmarc_policy_str(out.dmarc.sp), up2, sizeof(up2));
		upper(dmarc_policy_str(out.dmarc.policy), up3, sizeof(up3));
		snprintf(c_dmarc, sizeof(c_dmarc), "p=%s sp=%s dis=%s", up1,
		    up2, up3);
		res[nres].comment = c_dmarc;
	}
	if (out.dmarc.result != DMARC_PASS && out.dmarc.reason != NULL &&
	    out.dmarc.reason[0] != '\0')
		res[nres].reason = out.dmarc.reason;
	prop(&res[nres], "header", "from", out.dmarc.domain);
	nres++;
	buf_reset(&v->field);
	if (authres_format(v->ld->set.hostname, res, nres, &v->field, &err) ==
	    -1) {
		log_warn("%016" PRIx64 " authentication-results: %s", v->id,
		    err.msg);
		buf_reset(&v->field);
	}
	/* Is the author's domain strict?  Its own p=, or sp= when the
	 * record was found at a parent; a policy that could not be read
	 * counts as strict, since the copy must pass whatever it is. */
	sub = out.dmarc.have_record && out.dmarc.record_domain != NULL &&
	    out.dmarc.domain != NULL &&
	    strcasecmp(out.dmarc.record_domain, out.dmarc.domain) != 0;
	out.from_strict = out.dmarc.result == DMARC_TEMPERROR ||
	    (out.dmarc.have_record && (sub ? out.dmarc.sp : out.dmarc.p) !=
	    DMARC_POLICY_NONE);
	out.authres = v->field.data;
	out.authres_len = v->field.len;
	snprintf(v->summary, sizeof(v->summary), "spf=%s helo=%s dkim=%zu "
	    "arc=%s dmarc=%s from=%s policy=%s", v->spf_mf ?
	    spf_result_str(v->res_mf) : "-", v->spf_helo ?
	    spf_result_str(v->res_helo) : "-", nv, arc_cv_name(cv),
	    dmarc_result_str(out.dmarc.result), out.dmarc.domain[0] ?
	    out.dmarc.domain : "-", dmarc_policy_str(out.dmarc.policy));
	out.summary = v->summary;
	v->done(v->arg, &out);
}

static void
on_finish(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg);
}

/* Goes as far as the answers allow. */
static void
advance(struct listd_verify *v)
{
	for (;;) {
		switch (v->phase) {
		case PH_SPF_MAILFROM:
			if (v->spf_mf != NULL && !spf_step(v, v->spf_mf,
			    VQ_SPF_MAILFROM, &v->res_mf))
				return;
			v->phase = PH_SPF_HELO;
			break;
		case PH_SPF_HELO:
			if (v->spf_helo != NULL && !spf_step(v, v->spf_helo,
			    VQ_SPF_HELO, &v->res_helo))
				return;
			v->phase = PH_KEYS;
			ask_keys(v);
			if (v->pending > 0)
				return;
			break;
		case PH_KEYS:
			v->phase = PH_DMARC;
			start_dmarc(v);
			break;
		case PH_DMARC:
			if (v->de != NULL && !dmarc_step(v))
				return;
			v->phase = PH_DONE;
			event_active(v->ev, EV_TIMEOUT, 0);
			return;
		case PH_DONE:
			return;
		}
	}
}

/* Is the HELO argument a name SPF can check (not an address literal)? */
static bool
helo_is_name(const char *h)
{
	return h != NULL && h[0] != '\0' && h[0] != '[' &&
	    strchr(h, '.') != NULL;
}

struct listd_verify *
listd_verify_start(struct listd *ld, uint64_t id, const char *ip,
    const char *helo, const char *mail_from, const struct mail_hdrs *hdrs,
    const char *body, size_t body_len, listd_verify_done *done, void *arg,
    struct err *err)
{
	struct listd_verify	*v;
	struct spf_params	 sp;
	struct err		 e;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto nomem;
	v->ld = ld;
	v->id = id;
	v->hdrs = hdrs;
	v->body = body;
	v->body_len = body_len;
	v->now = listd_now(ld);
	v->done = done;
	v->arg = arg;
	buf_init(&v->field, VERIFY_MAX_FIELD);
	if ((v->ip = strdup(ip)) == NULL || (v->helo = strdup(helo ? helo :
	    "")) == NULL || (v->mail_from = strdup(mail_from)) == NULL ||
	    (v->ev = event_new(ld->base, -1, 0, on_finish, v)) == NULL)
		goto nomem;
	memset(&sp, 0, sizeof(sp));
	sp.ip = v->ip;
	sp.helo = helo_is_name(v->helo) ? v->helo : NULL;
	sp.receiver = ld->set.hostname;
	if (v->mail_from[0] != '\0') {
		sp.mail_from = v->mail_from;
		sp.identity = SPF_ID_MAILFROM;
		if ((v->spf_mf = spf_eval_new(&sp, &e)) == NULL)
			log_warn("%016" PRIx64 " spf: %s", id, e.msg);
	}
	if (sp.helo != NULL) {
		sp.mail_from = NULL;
		sp.identity = SPF_ID_HELO;
		if ((v->spf_helo = spf_eval_new(&sp, &e)) == NULL)
			log_warn("%016" PRIx64 " spf helo: %s", id, e.msg);
	}
	if ((v->dv = dkim_verify_new(hdrs, v->now, err)) == NULL)
		goto fail;
	dkim_verify_body(v->dv, body, body_len);
	if (mail_hdrs_count_name(hdrs, "ARC-Seal") > 0 ||
	    mail_hdrs_count_name(hdrs, "ARC-Message-Signature") > 0 ||
	    mail_hdrs_count_name(hdrs, "ARC-Authentication-Results") > 0) {
		if ((v->av = arc_verify_new(hdrs, v->now, &e)) == NULL)
			log_warn("%016" PRIx64 " arc: %s", id, e.msg);
		else
			arc_verify_body(v->av, body, body_len);
	}
	v->phase = PH_SPF_MAILFROM;
	advance(v);
	return v;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
fail:
	listd_verify_free(v);
	return NULL;
}

void
listd_verify_free(struct listd_verify *v)
{
	struct vq	*q;

	if (v == NULL)
		return;
	for (q = v->queries; q != NULL; q = q->next)
		q->v = NULL;		/* freed by their answer */
	if (v->ev != NULL)
		event_free(v->ev);
	spf_eval_free(v->spf_mf);
	spf_eval_free(v->spf_helo);
	dkim_verify_free(v->dv);
	arc_verify_free(v->av);
	dmarc_eval_free(v->de);
	buf_fini(&v->field);
	free(v->ip);
	free(v->helo);
	free(v->mail_from);
	free(v);
}
