/*
 * spf.h: Sender Policy Framework (RFC 7208): which hosts a domain lets
 * send its mail.
 *
 * The evaluator (eval.c) runs check_host() (RFC 7208 section 4) for the
 * MAIL FROM or the HELO identity without doing any I/O: it asks for DNS
 * records one question at a time and is given the answers.  A caller
 * loops:
 *
 *	ev = spf_eval_new(&params, &err);
 *	while (spf_eval_next(ev, time(NULL), &q, &res) == SPF_STEP_QUERY)
 *		... look up (q.name, q.type), then
 *		spf_eval_answer(ev, status, msg, &err);
 *	... res is the result; spf_eval_explanation(ev), and so on.
 *
 * The daemons send q through the dns/ stub client and answer from its
 * callback; the unit tests answer from a table.  Every limit of RFC 7208
 * section 4.6.4 is applied (10 terms that cause DNS queries, 10 MX and
 * 10 PTR names per look-up, 2 void look-ups), so one evaluation asks at
 * most a few hundred questions, holds at most SPF_MAX_DEPTH records and
 * always ends.  Outcomes (fail, permerror...) are results, not errors.
 *
 * The record parser (record.c) and the macro expander (macro.c) are
 * exposed for the tests and fuzzers and for tools that lint records.
 */
#ifndef TIMBRE_SPF_SPF_H
#define TIMBRE_SPF_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns/dns.h"

struct buf;
struct err;

enum spf_error {
	SPF_E_SYNTAX = 500,	/* a record or macro-string does not parse */
	SPF_E_ARG,		/* the client address or identity is unusable */
	SPF_E_STATE,		/* answer without a question, or vice versa */
};

/* The results of RFC 7208 section 2.6, in the order of the RFC. */
enum spf_result {
	SPF_NONE,		/* no record, or no usable domain */
	SPF_NEUTRAL,		/* the domain asserts nothing (?) */
	SPF_PASS,		/* the client is authorised (+) */
	SPF_FAIL,		/* the client is not authorised (-) */
	SPF_SOFTFAIL,		/* probably not authorised (~) */
	SPF_TEMPERROR,		/* a transient DNS error; try later */
	SPF_PERMERROR,		/* the record(s) cannot be interpreted */
};

/* "pass", "fail", ... as in Received-SPF and Authentication-Results. */
const char	*spf_result_str(enum spf_result);

/* The limits of RFC 7208 section 4.6.4 and our own ceilings. */
#define SPF_MAX_DNS_TERMS	10	/* include a mx ptr exists redirect */
#define SPF_MAX_VOID		2	/* look-ups finding NXDOMAIN, nothing */
#define SPF_MAX_MX_NAMES	10	/* more is a permerror */
#define SPF_MAX_PTR_NAMES	10	/* more are ignored */
#define SPF_MAX_DEPTH		(SPF_MAX_DNS_TERMS + 1)	/* nested records */
#define SPF_MAX_EXPANSION	8192	/* bytes of one macro expansion */
#define SPF_MAX_EXPLANATION	1024	/* bytes of an explanation */
#define SPF_MAX_MECHANISM	256	/* bytes of spf_eval_mechanism() */

/* ---- Records (record.c), RFC 7208 sections 4.5, 4.6, 5, 6 and 12 ---- */

enum spf_mech {
	SPF_MECH_ALL, SPF_MECH_INCLUDE, SPF_MECH_A, SPF_MECH_MX,
	SPF_MECH_PTR, SPF_MECH_IP4, SPF_MECH_IP6, SPF_MECH_EXISTS,
	SPF_MOD_REDIRECT, SPF_MOD_EXP, SPF_MOD_UNKNOWN,
};

/* One term of a record; the pointers point into the record's text. */
struct spf_term {
	enum spf_mech	 mech;
	enum spf_result	 qual;		/* PASS FAIL SOFTFAIL NEUTRAL */
	const char	*text;		/* the term as written */
	size_t		 text_len;
	const char	*spec;		/* domain-spec or modifier value */
	size_t		 spec_len;	/* 0 with spec NULL: none given */
	int		 cidr4, cidr6;	/* prefix lengths: 32, 128 if none */
	uint8_t		 addr[16];	/* ip4 (4 bytes) and ip6 networks */
	bool		 uses_p;	/* spec holds %{p} */
};

struct spf_record {
	char		*text;		/* owned copy the terms point into */
	struct spf_term	*terms;		/* mechanisms and modifiers in order */
	size_t		 nterms;
	int		 redirect;	/* index of redirect=, or -1 */
	int		 exp;		/* index of exp=, or -1 */
};

/*
 * Is txt an SPF record: "v=spf1" (any case) alone or followed by a space
 * (RFC 7208 section 4.5)?  Other TXT records are ignored.
 */
bool	spf_record_is_spf(const char *txt);
/*
 * Parses an SPF record (which spf_record_is_spf accepts) into rec, which
 * the caller finishes with spf_record_fini, even after a failure.  -1
 * with SPF_E_SYNTAX and the offending term in err for anything RFC 7208
 * calls a permerror at parse time: an unknown mechanism, bad syntax of a
 * term, of a CIDR length or of a macro-string, a domain-spec without a
 * valid domain-end, redirect= or exp= twice.  ERR_NOMEM.
 */
int	spf_record_parse(const char *txt, struct spf_record *rec,
	    struct err *);
void	spf_record_fini(struct spf_record *);

/* ---- Macros (macro.c), RFC 7208 section 7 ---- */

/* A client address. */
struct spf_ip {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* 4 or 16 bytes in network order */
};

/*
 * Parses a client address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is the IPv4 address (RFC 7208 section 5).  -1 with SPF_E_ARG.
 */
int	spf_ip_parse(const char *, struct spf_ip *, struct err *);

/* What the macro letters stand for; strings are borrowed. */
struct spf_macro_vars {
	const char	*sender;	/* s: local-part@domain, never empty */
	const char	*domain;	/* d: the current <domain> */
	const char	*helo;		/* h: HELO domain (NULL: "unknown") */
	const char	*receiver;	/* r: this host (NULL: "unknown") */
	const char	*ptr;		/* p: validated name (NULL: unknown) */
	struct spf_ip	 ip;		/* i, c, v */
	time_t		 now;		/* t */
};

/* Flags for spf_macro_check and spf_macro_expand. */
#define SPF_MACRO_EXP		0x01	/* explain-string: c r t and SP */
#define SPF_MACRO_DOMAIN	0x02	/* truncate to 253 (section 7.3) */

/*
 * Is s[0..len) a valid macro-string (with SPF_MACRO_EXP an
 * explain-string)?  -1 with SPF_E_SYNTAX; 0.  Sets *uses_p when it
 * holds a %{p} macro, which needs DNS look-ups first.
 */
int	spf_macro_check(const char *s, size_t len, int flags, bool *uses_p,
	    struct err *);
/*
 * Appends the expansion of s[0..len) to out (RFC 7208 sections 7.2 to
 * 7.4): letters, transformers (digits, r), delimiters, URL escaping for
 * upper-case letters, %%, %_ and %-.  With SPF_MACRO_DOMAIN the result is
 * cut to its rightmost labels fitting 253 bytes.  -1 with SPF_E_SYNTAX,
 * ERR_LIMIT (past SPF_MAX_EXPANSION or out's ceiling) or ERR_NOMEM.
 */
int	spf_macro_expand(const char *s, size_t len, int flags,
	    const struct spf_macro_vars *, struct buf *out, struct err *);

/* ---- Evaluation (eval.c), RFC 7208 sections 2.3, 2.4, 4, 5, 6 ---- */

enum spf_identity {
	SPF_ID_MAILFROM,	/* check the MAIL FROM domain (or HELO if
				 * the reverse-path is empty) */
	SPF_ID_HELO,		/* check the HELO identity */
};

struct spf_params {
	const char		*ip;		/* client IP, text: required */
	const char		*mail_from;	/* reverse-path; NULL or ""
						 * for the null path "<>" */
	const char		*helo;		/* HELO/EHLO argument or NULL */
	const char		*receiver;	/* %{r}, receiver=; NULL:
						 * "unknown" */
	enum spf_identity	 identity;
};

enum spf_step {
	SPF_STEP_QUERY,		/* ask *q_out, then call spf_eval_answer */
	SPF_STEP_DONE,		/* *res_out is the result */
};

struct spf_eval;

/*
 * A new evaluation of p (copied).  The identity is the MAIL FROM address
 * (a local-part without a domain, "@example.com" or a missing local-part
 * is taken as postmaster, RFC 7208 section 4.3), or postmaster@HELO when
 * the reverse-path is empty or SPF_ID_HELO is asked.  An identity whose
 * domain is not a usable FQDN does not fail here: it evaluates to
 * SPF_NONE.  NULL with SPF_E_ARG for a client address that does not
 * parse, or ERR_NOMEM.
 */
struct spf_eval	*spf_eval_new(const struct spf_params *, struct err *);
void		 spf_eval_free(struct spf_eval *);
/*
 * Runs the evaluation until it needs an answer (SPF_STEP_QUERY, *q_out
 * holds the question; call spf_eval_answer before calling this again)
 * or it is over (SPF_STEP_DONE, *res_out holds the result; later calls
 * give it again).  now is used for %{t} only.  Never fails: running out
 * of memory is a temperror.
 */
enum spf_step	 spf_eval_next(struct spf_eval *, time_t now,
		    struct dns_question *q_out, enum spf_result *res_out);
/*
 * The answer to the last question: status as the stub client reports it
 * and msg (may be NULL unless DNS_OK or DNS_NODATA; borrowed).  DNS_OK
 * and DNS_NODATA without records, DNS_NXDOMAIN, DNS_SERVFAIL,
 * DNS_TIMEOUT and DNS_MALFORMED are all results the RFC has rules for.
 * -1 with SPF_E_STATE when no question is pending; 0.
 */
int		 spf_eval_answer(struct spf_eval *, enum dns_status,
		    const struct dns_msg *, struct err *);

/* After SPF_STEP_DONE; the strings live as long as the evaluation. */
/*
 * The explanation: for fail, the expanded exp= text when the record has
 * one that resolves (section 6.2); otherwise a sentence saying what
 * happened, naming the mechanism that matched or the error.
 */
const char	*spf_eval_explanation(const struct spf_eval *);
/* The mechanism that decided, as written ("ip4:192.0.2.0/24"), "default"
 * when none matched, NULL for none, temperror and permerror. */
const char	*spf_eval_mechanism(const struct spf_eval *);
/* For temperror and permerror, what went wrong; else NULL. */
const char	*spf_eval_problem(const struct spf_eval *);
/* The identity checked ("user@example.com") and its domain. */
const char	*spf_eval_sender(const struct spf_eval *);
const char	*spf_eval_domain(const struct spf_eval *);
/* "mailfrom" or "helo": which identity was checked. */
const char	*spf_eval_identity(const struct spf_eval *);
/* DNS questions asked so far. */
size_t		 spf_eval_queries(const struct spf_eval *);
/* Terms that cause DNS look-ups, and void look-ups, counted so far
 * against the limits of section 4.6.4 (SPF_MAX_DNS_TERMS, SPF_MAX_VOID):
 * what timbre doctor reports. */
int		 spf_eval_terms(const struct spf_eval *);
int		 spf_eval_voids(const struct spf_eval *);

/*
 * Appends a Received-SPF header field (RFC 7208 section 9.1) for a
 * finished evaluation to out, folded at 78 columns and ending in CRLF:
 *
 *   Received-SPF: pass (mx.example.org: domain of u@example.com
 *    designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;
 *    envelope-from="u@example.com"; helo=mail.example.com;
 *    identity=mailfrom; receiver=mx.example.org; mechanism="ip4:..."
 *
 * The comment is the explanation for results other than fail (whose
 * explanation comes from the sender's domain and is not trusted here).
 * -1 with SPF_E_STATE before the end, ERR_LIMIT or ERR_NOMEM.
 */
int	spf_received_spf(const struct spf_eval *, struct buf *out,
	    struct err *);

#endif
