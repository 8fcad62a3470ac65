/*
 * eval.c: DMARC evaluation of one message, RFC 9989 sections 4.4 (identifier
 * alignment), 4.10 (the DNS tree walk: policy discovery and the
 * organisational domain) and 5.3 (the receiver's actions), with RFC 7489
 * sections 3.2 and 6.6 for rfc7489 mode.
 *
 * The evaluator keeps every answer it was given in a small table and, at
 * each step, decides again from that table alone: the first thing the
 * decision needs that the table lacks becomes the next question.  So the
 * logic reads as if all answers were at hand, the walks of several
 * identifiers share look-ups, and nothing is asked that the result does
 * not depend on: exact matches are tried before any walk for an
 * organisational domain, and the From domain's existence (for np=) is
 * asked only when the message fails and the record has np=.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc.h"
#include "util/err.h"

enum ent_state {
	ENT_NOREC,		/* no (usable) DMARC record, or no data */
	ENT_REC,		/* one usable DMARC record: rec */
	ENT_FOUND,		/* A, AAAA, MX: records exist */
	ENT_NXDOMAIN,		/* A, AAAA, MX: the name does not exist */
	ENT_TEMP,		/* the look-up failed for now */
};

/* One question and what became of it. */
struct ent {
	char			 name[DNS_MAX_NAME + 1];	/* no _dmarc. */
	uint16_t		 type;
	enum ent_state		 state;
	struct dmarc_record	 rec;
	char			 note[192];	/* why a TXT gave no record */
};

/* What a decision step came to. */
enum walk {
	W_OK,			/* decided */
	W_NEED,			/* ev->want names the question */
	W_TEMP,			/* a look-up it needs failed */
};

struct dmarc_eval {
	enum dmarc_mode		 mode;
	const struct dmarc_psl	*psl;
	unsigned		 sample;
	char			 from[DNS_MAX_NAME + 1];	/* "" if none */
	char			 from_problem[128];
	char			 spf[DNS_MAX_NAME + 1];	/* "" if not passed */
	bool			 spf_checked;
	char			 (*dkim)[DNS_MAX_NAME + 1];
	size_t			 ndkim;

	struct ent		*ents;
	size_t			 nents;
	bool			 pending;	/* ents[nents] is asked */
	struct ent		 want;		/* the next question */

	bool			 done;
	struct dmarc_outcome	 out;
	char			 recdom[DNS_MAX_NAME + 1];
	char			 org[DNS_MAX_NAME + 1];
	char			 dkim_al[DNS_MAX_NAME + 1];
	char			 reason[384];
	char			 temp[160];	/* the first transient error */
};

const char *
dmarc_result_str(enum dmarc_result r)
{
	switch (r) {
	case DMARC_NONE:
		return "none";
	case DMARC_PASS:
		return "pass";
	case DMARC_FAIL:
		return "fail";
	case DMARC_TEMPERROR:
		return "temperror";
	case DMARC_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

/* Copies a domain in lower case without a final dot; false if unusable. */
static bool
norm(const char *in, char out[DNS_MAX_NAME + 1])
{
	size_t	n, i;

	if (in == NULL)
		return false;
	n = strlen(in);
	if (!dmarc_name_is_valid(in, n))
		return false;
	if (in[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return true;
}

static size_t
labels(const char *d)
{
	size_t	n = 1;

	for (; *d != '\0'; d++)
		if (*d == '.')
			n++;
	return n;
}

/* The rightmost k labels of d (k <= labels(d)). */
static const char *
rightmost(const char *d, size_t k)
{
	size_t	skip = labels(d) - k;

	while (skip-- > 0)
		d = strchr(d, '.') + 1;
	return d;
}

size_t
dmarc_walk_names(const char *domain,
    char out[DMARC_MAX_WALK][DNS_MAX_NAME + 1])
{
	char	d[DNS_MAX_NAME + 1];
	size_t	n = 0, x;

	if (!norm(domain, d))
		return 0;
	strcpy(out[n++], d);
	/* RFC 9989 section 4.10, steps 5 and 8: from eight labels or more,
	 * jump to the last seven; then one label less each time. */
	x = labels(d);
	if (x >= 8)
		x = 7;
	else
		x--;
	for (; x >= 1 && n < DMARC_MAX_WALK; x--)
		strcpy(out[n++], rightmost(d, x));
	return n;
}

/* Is id the domain org or below it? */
static bool
in_domain(const char *id, const char *org)
{
	size_t	li = strlen(id), lo = strlen(org);

	if (li == lo)
		return strcmp(id, org) == 0;
	return li > lo && id[li - lo - 1] == '.' &&
	    strcmp(id + li - lo, org) == 0;
}

/* The entry for (name, type), or NULL after setting ev->want. */
static const struct ent *
lookup(struct dmarc_eval *ev, const char *name, uint16_t type)
{
	size_t	i;

	for (i = 0; i < ev->nents; i++)
		if (ev->ents[i].type == type && strcmp(ev->ents[i].name, name)
		    == 0)
			return &ev->ents[i];
	memset(&ev->want, 0, sizeof(ev->want));
	snprintf(ev->want.name, sizeof(ev->want.name), "%s", name);
	ev->want.type = type;
	return NULL;
}

static void
note_temp(struct dmarc_eval *ev, const struct ent *e)
{
	if (ev->temp[0] == '\0')
		snprintf(ev->temp, sizeof(ev->temp), "%s look-up of %s%.100s "
		    "failed", e->type == DNS_T_TXT ? "TXT" : e->type ==
		    DNS_T_A ? "A" : e->type == DNS_T_AAAA ? "AAAA" : "MX",
		    e->type == DNS_T_TXT ? "_dmarc." : "", e->name);
}

/* The names where the policy record of the From domain may be. */
static size_t
policy_names(struct dmarc_eval *ev,
    char names[DMARC_MAX_WALK][DNS_MAX_NAME + 1])
{
	if (ev->mode == DMARC_MODE_DMARCBIS)
		return dmarc_walk_names(ev->from, names);
	strcpy(names[0], ev->from);
	if (dmarc_psl_org_domain(ev->psl, ev->from, names[1],
	    sizeof(names[1])) == 0 && strcmp(names[1], ev->from) != 0)
		return 2;
	return 1;
}

/* Policy discovery: the first record of the walk (RFC 9989 section
 * 4.10.1), or of the From domain then its organisational domain (RFC
 * 7489 section 6.6.3).  *e_out is NULL when there is none. */
static enum walk
discover(struct dmarc_eval *ev, const struct ent **e_out)
{
	char			 names[DMARC_MAX_WALK][DNS_MAX_NAME + 1];
	const struct ent	*e;
	size_t			 n, i;

	*e_out = NULL;
	n = policy_names(ev, names);
	for (i = 0; i < n; i++) {
		if ((e = lookup(ev, names[i], DNS_T_TXT)) == NULL)
			return W_NEED;
		if (e->state == ENT_TEMP) {
			note_temp(ev, e);
			return W_TEMP;
		}
		if (e->state == ENT_REC) {
			*e_out = e;
			return W_OK;
		}
	}
	return W_OK;
}

/* The organisational domain of d (RFC 9989 section 4.10.2, or the
 * public suffix list in rfc7489 mode) into out. */
static enum walk
org_domain(struct dmarc_eval *ev, const char *d, char out[DNS_MAX_NAME + 1])
{
	char			 names[DMARC_MAX_WALK][DNS_MAX_NAME + 1];
	const struct ent	*e;
	size_t			 n, i;
	long			 best = -1;

	if (ev->mode == DMARC_MODE_RFC7489) {
		if (dmarc_psl_org_domain(ev->psl, d, out, DNS_MAX_NAME + 1)
		    == -1)
			strcpy(out, d);
		return W_OK;
	}
	n = dmarc_walk_names(d, names);
	for (i = 0; i < n; i++) {
		if ((e = lookup(ev, names[i], DNS_T_TXT)) == NULL)
			return W_NEED;
		if (e->state == ENT_TEMP) {
			note_temp(ev, e);
			return W_TEMP;
		}
		if (e->state != ENT_REC)
			continue;
		if (e->rec.psd == DMARC_PSD_N) {
			strcpy(out, names[i]);
			return W_OK;
		}
		if (e->rec.psd == DMARC_PSD_Y && i > 0) {
			/* The domain one label below the public suffix
			 * domain, on the way to d. */
			strcpy(out, rightmost(d, labels(names[i]) + 1));
			return W_OK;
		}
		best = (long)i;
	}
	strcpy(out, best >= 0 ? names[best] : d);
	return W_OK;
}

/* Is id aligned with the From domain in mode a (RFC 9989 4.4)? */
static enum walk
aligned(struct dmarc_eval *ev, const char *id, enum dmarc_align a,
    bool *yes)
{
	char		org_id[DNS_MAX_NAME + 1];
	enum walk	w;

	*yes = strcmp(id, ev->from) == 0;
	if (*yes || a == DMARC_ALIGN_STRICT)
		return W_OK;
	if ((w = org_domain(ev, ev->from, ev->org)) != W_OK) {
		ev->org[0] = '\0';
		return w;
	}
	/* org(id) is id or above it: unless id is in org(from), they
	 * cannot be equal, and there is no need to walk. */
	if (!in_domain(id, ev->org))
		return W_OK;
	if ((w = org_domain(ev, id, org_id)) != W_OK)
		return w;
	*yes = strcmp(org_id, ev->org) == 0;
	return W_OK;
}

/* Does the From domain exist (RFC 9989 section 3.2.11 / RFC 9091: not
 * NXDOMAIN, and some A, AAAA or MX record)?  A failed look-up counts as
 * existing: np= is not applied on a guess. */
static enum walk
exists(struct dmarc_eval *ev, bool *yes)
{
	static const uint16_t	 types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX };
	const struct ent	*e;
	size_t			 i;

	*yes = true;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if ((e = lookup(ev, ev->from, types[i])) == NULL)
			return W_NEED;
		if (e->state == ENT_FOUND || e->state == ENT_TEMP)
			return W_OK;
		if (e->state == ENT_NXDOMAIN)
			break;
	}
	*yes = false;
	return W_OK;
}

static void
finish(struct dmarc_eval *ev, enum dmarc_result r, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
finish(struct dmarc_eval *ev, enum dmarc_result r, const char *fmt, ...)
{
	va_list	ap;

	ev->done = true;
	ev->out.result = r;
	va_start(ap, fmt);
	vsnprintf(ev->reason, sizeof(ev->reason), fmt, ap);
	va_end(ap);
}

static enum dmarc_policy
lower(enum dmarc_policy p)
{
	return p == DMARC_POLICY_REJECT ? DMARC_POLICY_QUARANTINE :
	    DMARC_POLICY_NONE;
}

/* The decision, from the answers so far; W_NEED asks ev->want. */
static enum walk
decide(struct dmarc_eval *ev)
{
	const struct ent	*e;
	const struct dmarc_record *rec;
	enum walk		 w;
	bool			 yes, temp = false, exist;
	size_t			 i;
	char			 spfnote[DNS_MAX_NAME + 64];

	if (ev->from[0] == '\0') {
		ev->out.policy = ev->out.requested = DMARC_POLICY_REJECT;
		finish(ev, DMARC_PERMERROR, "%s", ev->from_problem);
		return W_OK;
	}
	if ((w = discover(ev, &e)) == W_NEED)
		return w;
	if (w == W_TEMP) {
		finish(ev, DMARC_TEMPERROR, "%s", ev->temp);
		return W_OK;
	}
	if (e == NULL) {
		finish(ev, DMARC_NONE, "no DMARC record for %s%s%s", ev->from,
		    ev->nents > 0 && ev->ents[0].note[0] ? ": " : "",
		    ev->nents > 0 ? ev->ents[0].note : "");
		return W_OK;
	}
	rec = &e->rec;
	ev->out.have_record = true;
	ev->out.p = rec->p;
	ev->out.sp = rec->sp;
	snprintf(ev->recdom, sizeof(ev->recdom), "%s", e->name);

	/* Exact matches first: they need no look-up in either mode. */
	for (i = 0; i < ev->ndkim; i++)
		if (strcmp(ev->dkim[i], ev->from) == 0) {
			ev->out.dkim_aligned = true;
			strcpy(ev->dkim_al, ev->dkim[i]);
			finish(ev, DMARC_PASS, "dkim d=%s aligned", ev->from);
			return W_OK;
		}
	if (ev->spf[0] != '\0' && strcmp(ev->spf, ev->from) == 0) {
		ev->out.spf_aligned = true;
		finish(ev, DMARC_PASS, "spf %s aligned", ev->from);
		return W_OK;
	}
	for (i = 0; i < ev->ndkim; i++) {
		if ((w = aligned(ev, ev->dkim[i], rec->adkim, &yes)) ==
		    W_NEED)
			return w;
		if (w == W_TEMP) {
			temp = true;
			continue;
		}
		if (yes) {
			ev->out.dkim_aligned = true;
			strcpy(ev->dkim_al, ev->dkim[i]);
			finish(ev, DMARC_PASS, "dkim d=%s aligned with %s "
			    "(relaxed, organisational domain %s)",
			    ev->dkim[i], ev->from, ev->org);
			return W_OK;
		}
	}
	if (ev->spf[0] != '\0') {
		if ((w = aligned(ev, ev->spf, rec->aspf, &yes)) == W_NEED)
			return w;
		if (w == W_TEMP)
			temp = true;
		else if (yes) {
			ev->out.spf_aligned = true;
			finish(ev, DMARC_PASS, "spf %s aligned with %s "
			    "(relaxed, organisational domain %s)", ev->spf,
			    ev->from, ev->org);
			return W_OK;
		}
	}
	if (temp) {
		finish(ev, DMARC_TEMPERROR, "alignment unknown: %s",
		    ev->temp);
		return W_OK;
	}

	/* Fail: which policy (RFC 9989 section 5.3 step 5). */
	if (strcmp(e->name, ev->from) == 0) {
		ev->out.requested = rec->p;
		ev->out.policy_tag = "p";
	} else {
		exist = true;
		if (rec->np_set && (w = exists(ev, &exist)) == W_NEED)
			return w;
		ev->out.nonexistent = !exist;
		if (!exist) {
			ev->out.requested = rec->np;
			ev->out.policy_tag = "np";
		} else {
			ev->out.requested = rec->sp;
			ev->out.policy_tag = rec->sp_set ? "sp" : "p";
		}
	}
	ev->out.policy = ev->out.requested;
	if (ev->mode == DMARC_MODE_DMARCBIS && rec->testing &&
	    ev->out.policy != DMARC_POLICY_NONE) {
		ev->out.policy = lower(ev->out.policy);
		ev->out.lowered = true;
	}
	if (ev->mode == DMARC_MODE_RFC7489 && rec->pct < 100 &&
	    ev->sample >= (unsigned)rec->pct &&
	    ev->out.policy != DMARC_POLICY_NONE) {
		ev->out.policy = lower(ev->out.policy);
		ev->out.lowered = true;
	}
	if (!ev->spf_checked)
		snprintf(spfnote, sizeof(spfnote), "spf not checked");
	else if (ev->spf[0] == '\0')
		snprintf(spfnote, sizeof(spfnote), "spf did not pass");
	else
		snprintf(spfnote, sizeof(spfnote), "spf %s not aligned",
		    ev->spf);
	finish(ev, DMARC_FAIL, "no aligned identifier for %s: %s; %s; "
	    "policy %s=%s%s", ev->from, ev->ndkim == 0 ? "no passing dkim "
	    "signature" : "no passing dkim signature aligned", spfnote,
	    ev->out.policy_tag, dmarc_policy_str(ev->out.requested),
	    !ev->out.lowered ? "" : ev->mode == DMARC_MODE_DMARCBIS ?
	    " lowered by t=y" : " lowered by pct=");
	return W_OK;
}

struct dmarc_eval *
dmarc_eval_new(const struct dmarc_params *p, struct err *err)
{
	struct dmarc_eval	*ev;
	size_t			 i, n;

	if (p->mode == DMARC_MODE_RFC7489 && p->psl == NULL) {
		err_set(err, ERR_ARG, "dmarc: rfc7489 mode needs the public "
		    "suffix list");
		return NULL;
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		goto nomem;
	ev->mode = p->mode;
	ev->psl = p->psl;
	ev->sample = p->sample;
	if (!norm(p->from_domain, ev->from)) {
		ev->from[0] = '\0';
		snprintf(ev->from_problem, sizeof(ev->from_problem), "%s",
		    p->from_problem != NULL ? p->from_problem :
		    p->from_domain != NULL ? "From domain is not a valid DNS "
		    "name" : "no usable From domain");
	}
	ev->spf_checked = p->spf_domain != NULL;
	if (!p->spf_pass || !norm(p->spf_domain, ev->spf))
		ev->spf[0] = '\0';
	n = p->ndkim < DMARC_MAX_IDS ? p->ndkim : DMARC_MAX_IDS;
	if (n > 0 && (ev->dkim = calloc(n, sizeof(*ev->dkim))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (norm(p->dkim_domains[i], ev->dkim[ev->ndkim]))
			ev->ndkim++;
	if ((ev->ents = calloc(DMARC_MAX_QUERIES, sizeof(*ev->ents))) == NULL)
		goto nomem;
	return ev;
nomem:
	err_set(err, ERR_NOMEM, "dmarc: out of memory");
	dmarc_eval_free(ev);
	return NULL;
}

void
dmarc_eval_free(struct dmarc_eval *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nents; i++)
		dmarc_record_fini(&ev->ents[i].rec);
	free(ev->ents);
	free(ev->dkim);
	free(ev);
}

enum dmarc_step
dmarc_eval_next(struct dmarc_eval *ev, struct dns_question *q_out,
    enum dmarc_result *res_out)
{
	while (!ev->done) {
		if (ev->pending) {
			/* Asked and not answered: ask again. */
			break;
		}
		if (decide(ev) == W_OK)
			break;
		if (ev->nents == DMARC_MAX_QUERIES) {
			finish(ev, DMARC_TEMPERROR, "more than %d look-ups",
			    DMARC_MAX_QUERIES);
			break;
		}
		ev->ents[ev->nents] = ev->want;
		if (ev->want.type == DNS_T_TXT &&
		    strlen(ev->want.name) + 7 > DNS_MAX_NAME) {
			/* _dmarc.<name> is too long to exist. */
			ev->ents[ev->nents].state = ENT_NOREC;
			ev->nents++;
			continue;
		}
		ev->pending = true;
	}
	if (ev->done) {
		*res_out = ev->out.result;
		return DMARC_STEP_DONE;
	}
	/* Names that would not fit were never asked (see above). */
	if (snprintf(q_out->name, sizeof(q_out->name), "%s%s",
	    ev->ents[ev->nents].type == DNS_T_TXT ? "_dmarc." : "",
	    ev->ents[ev->nents].name) >= (int)sizeof(q_out->name))
		q_out->name[0] = '\0';
	q_out->type = ev->ents[ev->nents].type;
	return DMARC_STEP_QUERY;
}

/* Fills a TXT entry from an answer. */
static void
take_txt(struct ent *e, enum dns_status st, const struct dns_msg *msg)
{
	struct err	 err;
	char		**txts = NULL;
	size_t		 n = 0, i, found = 0, which = 0;

	e->state = ENT_NOREC;
	switch (st) {
	case DNS_OK:
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		return;
	default:
		e->state = ENT_TEMP;
		return;
	}
	if (msg == NULL || dns_msg_txts(msg, NULL, &txts, &n, &err) == -1) {
		e->state = ENT_TEMP;
		return;
	}
	for (i = 0; i < n; i++)
		if (dmarc_record_is_dmarc(txts[i])) {
			found++;
			which = i;
		}
	if (found > 1)
		snprintf(e->note, sizeof(e->note), "%zu DMARC records at "
		    "_dmarc.%.48s, all discarded", found, e->name);
	else if (found == 1) {
		if (dmarc_record_parse(txts[which], &e->rec, &err) == 0)
			e->state = ENT_REC;
		else if (err.code == ERR_NOMEM)
			e->state = ENT_TEMP;
		else
			snprintf(e->note, sizeof(e->note), "record at "
			    "_dmarc.%.32s discarded: %.100s", e->name,
			    err.msg);
	}
	dns_txts_free(txts, n);
}

int
dmarc_eval_answer(struct dmarc_eval *ev, enum dns_status st,
    const struct dns_msg *msg, struct err *err)
{
	struct ent	*e;

	if (!ev->pending) {
		err_set(err, DMARC_E_STATE, "dmarc: answer without a question");
		return -1;
	}
	e = &ev->ents[ev->nents];
	if (e->type == DNS_T_TXT)
		take_txt(e, st, msg);
	else
		e->state = st == DNS_OK ? ENT_FOUND : st == DNS_NXDOMAIN ?
		    ENT_NXDOMAIN : st == DNS_NODATA ? ENT_NOREC : ENT_TEMP;
	ev->nents++;
	ev->pending = false;
	return 0;
}

void
dmarc_eval_outcome(const struct dmarc_eval *ev, struct dmarc_outcome *out)
{
	*out = ev->out;
	out->domain = ev->from;
	out->record_domain = ev->recdom;
	out->org_domain = ev->org;
	out->dkim_domain = ev->dkim_al;
	out->reason = ev->reason;
}

size_t
dmarc_eval_queries(const struct dmarc_eval *ev)
{
	size_t	i, n = 0;

	for (i = 0; i < ev->nents; i++)
		if (ev->ents[i].type != DNS_T_TXT ||
		    strlen(ev->ents[i].name) + 7 <= DNS_MAX_NAME)
			n++;
	return n + (ev->pending ? 1 : 0);
}
