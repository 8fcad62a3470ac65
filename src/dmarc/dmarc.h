/*
 * dmarc.h: Domain-based Message Authentication, Reporting and
 * Conformance, as RFC 9989 (DMARCbis) has it, with the older RFC 7489
 * discovery (Public Suffix List, pct=) on request.
 *
 * DMARC asks whether the domain of the message's RFC5322.From field is
 * the domain, or in relaxed mode in the same organisational domain, as a
 * domain that SPF or DKIM authenticated, and what the From domain's owner
 * wants done with mail where it is not.  The pieces:
 *
 *   record.c  the policy record (RFC 9989 section 4.7, RFC 7489 6.3);
 *   psl.c     the Public Suffix List, for rfc7489 mode (RFC 7489 3.2);
 *   from.c    the From domain of a header section (RFC 7489 6.6.1);
 *   eval.c    discovery by the DNS tree walk (RFC 9989 section 4.10),
 *             alignment (section 4.4), the policy to apply (section 5).
 *
 * The evaluator does no I/O: like src/spf it asks one DNS question at a
 * time (TXT at _dmarc names; A, AAAA and MX to tell whether the From
 * domain exists, for np=) and is given the answers; SPF and DKIM results
 * come in as plain inputs.  Outcomes (fail, permerror) are results.
 */
#ifndef TIMBRE_DMARC_DMARC_H
#define TIMBRE_DMARC_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"

struct err;
struct mail_hdrs;

enum dmarc_error {
	DMARC_E_SYNTAX = 1300,	/* a record is a DMARC record, but unusable */
	DMARC_E_NOTDMARC,	/* a TXT record that is not "v=DMARC1" */
	DMARC_E_FROM,		/* no single usable From domain */
	DMARC_E_STATE,		/* answer without a question */
	DMARC_E_PSL,		/* the public suffix list is unusable */
};

/* Look-ups one evaluation may make (each tree walk makes at most 8). */
#define DMARC_MAX_QUERIES	160
#define DMARC_MAX_IDS		32	/* DKIM domains considered */
#define DMARC_MAX_WALK		8	/* queries of one tree walk */

enum dmarc_policy {
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

enum dmarc_align {
	DMARC_ALIGN_RELAXED,	/* same organisational domain */
	DMARC_ALIGN_STRICT,	/* the same domain */
};

enum dmarc_psd {
	DMARC_PSD_U,		/* absent or "u": not said */
	DMARC_PSD_Y,		/* a public suffix domain's record */
	DMARC_PSD_N,		/* an organisational domain's record */
};

/* "none", "quarantine", "reject". */
const char	*dmarc_policy_str(enum dmarc_policy);

/* ---- Records (record.c) ---- */

/*
 * A policy record.  Tags that are absent or whose value is not valid take
 * their defaults (adkim=r, aspf=r, pct=100, t=n, psd=u, sp and np as p);
 * the *_set flags say what the record itself said.  rua, ruf and fo are
 * kept as written (NULL when absent) but timbre sends no reports.
 */
struct dmarc_record {
	enum dmarc_policy	 p, sp, np;	/* sp, np: resolved defaults */
	bool			 sp_set, np_set;
	bool			 p_from_rua;	/* no valid p=, rua: as none */
	enum dmarc_align	 adkim, aspf;
	int			 pct;		/* 0..100; rfc7489 mode */
	bool			 pct_set;
	bool			 testing;	/* t=y (RFC 9989) */
	enum dmarc_psd		 psd;
	int			 ri;		/* seconds; 86400 default */
	char			*rua, *ruf, *fo;
};

/*
 * Is txt a DMARC record: "v" "=" "DMARC1" as its first tag, case and
 * whitespace as RFC 9989 section 4.7 allows (the value exactly)?  TXT
 * records at a _dmarc name that are not are ignored.
 */
bool	dmarc_record_is_dmarc(const char *txt);
/*
 * Parses a record into rec (finish it with dmarc_record_fini on success;
 * on failure it holds nothing).  The tag list follows RFC 6376 section
 * 3.2 (tags named ALPHA *(ALPHA / DIGIT / "_"), inner whitespace allowed,
 * empty tag-specs tolerated); tags are case-sensitive, names compared
 * without case.  Unknown tags are ignored.  -1 with:
 *   DMARC_E_NOTDMARC  the record does not start with v=DMARC1;
 *   DMARC_E_SYNTAX    the tag list does not parse, a tag occurs twice,
 *                     or p= (or sp=, np=) is missing or invalid and no
 *                     rua= with a URI saves it as p=none (RFC 7489
 *                     section 6.6.3 step 6, RFC 9989 section 5.3);
 *   ERR_NOMEM.
 * Other invalid values (adkim=x, pct=200, psd=maybe) are ignored, as RFC
 * 7489 section 6.3 asks.
 */
int	dmarc_record_parse(const char *txt, struct dmarc_record *rec,
	    struct err *);
void	dmarc_record_fini(struct dmarc_record *);

/* ---- The Public Suffix List (psl.c), for rfc7489 mode ---- */

struct dmarc_psl;

/*
 * Parses the list in the format of publicsuffix.org
 * (public_suffix_list.dat: one rule a line, "//" comments, "*." wildcards,
 * "!" exceptions; both the ICANN and the private sections are used).
 * data is copied.  NULL with DMARC_E_PSL when it holds no rule, or
 * ERR_NOMEM.  Rules are compared in lower case, byte for byte: IDN rules
 * in UTF-8 do not match A-labels.
 */
struct dmarc_psl *dmarc_psl_new(const char *data, size_t len, struct err *);
void		 dmarc_psl_free(struct dmarc_psl *);
size_t		 dmarc_psl_count(const struct dmarc_psl *);
/*
 * The organisational domain of domain (lower case, no final dot) by RFC
 * 7489 section 3.2: its public suffix plus one label, written to out
 * (size n, DNS_MAX_NAME + 1 is enough).  A domain that is itself a
 * public suffix is its own organisational domain.  -1 if domain is not a
 * usable name or does not fit.
 */
int	dmarc_psl_org_domain(const struct dmarc_psl *, const char *domain,
	    char *out, size_t n);

/* ---- The From domain (from.c) ---- */

/*
 * The RFC5322.From domain of hdrs, lower case, into out (size n, at least
 * DNS_MAX_NAME + 1).  -1 with DMARC_E_FROM and the reason when there is
 * none DMARC can use: no From field, several From fields, a From that
 * does not parse, a mailbox without a domain or with a domain literal,
 * mailboxes in different domains (several mailboxes in one domain are
 * that domain: RFC 7489 section 6.6.1), a name that is not a valid DNS
 * name.  Such messages are reject-worthy (RFC 7489 6.6.1, RFC 9989 5.3).
 */
int	dmarc_from_domain(const struct mail_hdrs *, char *out, size_t n,
	    struct err *);
/* Is s (n bytes) a usable DNS name: labels of 1 to 63 letters, digits,
 * "-" or "_", at most DNS_MAX_NAME bytes, one final dot allowed? */
bool	dmarc_name_is_valid(const char *s, size_t n);

/* ---- Evaluation (eval.c) ---- */

enum dmarc_mode {
	DMARC_MODE_DMARCBIS,	/* RFC 9989: DNS tree walk, psd=, np=, t= */
	DMARC_MODE_RFC7489,	/* RFC 7489: Public Suffix List, pct= */
};

enum dmarc_result {
	DMARC_NONE,		/* no policy record: no DMARC here */
	DMARC_PASS,		/* an aligned identifier passed */
	DMARC_FAIL,		/* none did: apply the policy */
	DMARC_TEMPERROR,	/* a look-up failed for now */
	DMARC_PERMERROR,	/* no usable From domain */
};

/* "none", "pass", "fail", "temperror", "permerror" (RFC 8601). */
const char	*dmarc_result_str(enum dmarc_result);

/* What the evaluation is about; every string is copied. */
struct dmarc_params {
	enum dmarc_mode		 mode;
	/* The From domain (dmarc_from_domain), or NULL when there is none:
	 * the result is then permerror, the policy reject, and from_problem
	 * (NULL: "no usable From domain") the reason. */
	const char		*from_domain;
	const char		*from_problem;
	/* The domain SPF checked (MAIL FROM's, or HELO's for a null
	 * reverse-path) and whether it passed; NULL: SPF was not checked. */
	const char		*spf_domain;
	bool			 spf_pass;
	/* The d= domains of the DKIM signatures that passed; only the
	 * first DMARC_MAX_IDS are considered. */
	const char *const	*dkim_domains;
	size_t			 ndkim;
	/* rfc7489 mode: the suffix list (borrowed; it must outlive the
	 * evaluation) and a sample drawn uniformly from 0..99 for pct=. */
	const struct dmarc_psl	*psl;
	unsigned		 sample;
};

/* Everything an evaluation found; strings live as long as it does. */
struct dmarc_outcome {
	enum dmarc_result	 result;
	/* The policy to apply: reject, quarantine or none.  For fail it is
	 * the record's (p=, sp= or np=, see policy_tag) after t=y or pct=
	 * (lowered one step: reject -> quarantine -> none); for permerror
	 * reject; otherwise none. */
	enum dmarc_policy	 policy;
	enum dmarc_policy	 requested;	/* before t= / pct= */
	const char		*policy_tag;	/* "p", "sp", "np" or NULL */
	bool			 lowered;	/* t=y or pct= lowered it */
	bool			 have_record;
	enum dmarc_policy	 p, sp;		/* the record's, for comments */
	const char		*domain;	/* the From domain, or "" */
	const char		*record_domain;	/* where it was found, or "" */
	const char		*org_domain;	/* when it was needed, or "" */
	bool			 nonexistent;	/* the From domain is not there */
	bool			 dkim_aligned;
	const char		*dkim_domain;	/* the aligned d=, or "" */
	bool			 spf_aligned;
	/* One sentence: why this result ("dkim d=example.com aligned
	 * (relaxed)", "no aligned identifier: spf mailfrom example.net
	 * not aligned; no passing dkim signature"). */
	const char		*reason;
};

enum dmarc_step {
	DMARC_STEP_QUERY,	/* ask *q_out, then call dmarc_eval_answer */
	DMARC_STEP_DONE,	/* *res_out is the result */
};

struct dmarc_eval;

/*
 * A new evaluation.  NULL with ERR_ARG for rfc7489 mode without a suffix
 * list, or ERR_NOMEM.  A From domain that is not a usable name is a
 * permerror, not an error here.
 */
struct dmarc_eval *dmarc_eval_new(const struct dmarc_params *, struct err *);
void		 dmarc_eval_free(struct dmarc_eval *);
/*
 * Runs the evaluation until it needs an answer (DMARC_STEP_QUERY: ask
 * *q_out, a TXT, A, AAAA or MX question, then call dmarc_eval_answer
 * before calling this again) or it is over (DMARC_STEP_DONE; *res_out is
 * the result, and later calls give it again).  Never fails: running out
 * of memory or past DMARC_MAX_QUERIES is a temperror.
 */
enum dmarc_step	 dmarc_eval_next(struct dmarc_eval *,
		    struct dns_question *q_out, enum dmarc_result *res_out);
/*
 * The answer to the last question, as the stub client reports it (msg
 * borrowed; NULL unless DNS_OK, DNS_NODATA or DNS_NXDOMAIN).  SERVFAIL,
 * time-outs and malformed answers are transient errors (RFC 9989 section
 * 4.10: the walk cannot go on).  -1 with DMARC_E_STATE when no question
 * is pending; 0.
 */
int		 dmarc_eval_answer(struct dmarc_eval *, enum dns_status,
		    const struct dns_msg *, struct err *);
/* After DMARC_STEP_DONE. */
void		 dmarc_eval_outcome(const struct dmarc_eval *,
		    struct dmarc_outcome *out);
/* DNS questions asked so far. */
size_t		 dmarc_eval_queries(const struct dmarc_eval *);

/*
 * Exposed for the tests: the names
 * the DNS tree walk of RFC 9989 section 4.10 queries, without "_dmarc.",
 * in order (domain; then, from 8 labels or more, its last 7; then one
 * label less each time down to the top-level domain).  Returns how many
 * (at most DMARC_MAX_WALK), 0 for an unusable name.
 */
size_t	dmarc_walk_names(const char *domain,
	    char out[DMARC_MAX_WALK][DNS_MAX_NAME + 1]);

#endif
