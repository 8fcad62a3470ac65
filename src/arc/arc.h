/*
 * arc.h: the Authenticated Received Chain, RFC 8617.
 *
 * An ARC set is three header fields with one instance number i=: the
 * ARC-Authentication-Results (AAR, a copy of the intermediary's
 * Authentication-Results), the ARC-Message-Signature (AMS, a DKIM
 * signature without v= whose i= is the instance) and the ARC-Seal (AS,
 * a signature over all the sets up to its own, with the chain validation
 * status cv= it found).
 *
 * Validation (section 5.2) and sealing (section 5.1) are sans-I/O, like
 * src/dkim: the validator says which key records it needs, by DNS name,
 * and is given the TXT records and the body; the sealer is given the
 * header section, the key, the body and the validator's verdict on the
 * existing chain, and produces the new set.  Signatures use rsa-sha256
 * (ed25519-sha256 is verified too); rsa-sha1 fails (RFC 8301).  Keys and
 * canonicalisation are DKIM's (src/dkim).
 */
#ifndef TIMBRE_ARC_ARC_H
#define TIMBRE_ARC_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dkim/dkim.h"

struct buf;
struct err;
struct key;
struct mail_hdrs;

enum arc_error {
	ARC_E_PARAM = 1200,	/* sealing parameters are unusable */
	ARC_E_NOAR,		/* no Authentication-Results of ours to copy */
	ARC_E_LIMIT,		/* the chain already has ARC_MAX_INSTANCES */
	ARC_E_ENDED,		/* the newest seal says cv=fail: no new set */
};

#define ARC_MAX_INSTANCES	50	/* section 4.2.1 */

/* The chain validation status (section 4.4). */
enum arc_cv {
	ARC_CV_NONE,		/* no ARC set at all */
	ARC_CV_PASS,
	ARC_CV_FAIL,
};

const char	*arc_cv_name(enum arc_cv);	/* "none", "pass", "fail" */

/*
 * Validation.  arc_verify_new() collects the sets of hdrs (borrowed; it
 * must outlive the validator): instances must run from 1 to N <= 50 with
 * exactly one AAR, AMS and AS each, or the chain fails at once (and no
 * key is asked for).  Then every AS and AMS is parsed; the key names they
 * need are offered once each.  After the body, arc_verify_finish() checks,
 * in the order of section 5.2: the newest AS's cv= is not "fail", i=1 says
 * cv=none and every later AS cv=pass, the newest AMS verifies, every AS
 * verifies (newest first).  The first failure is the reason.
 */
struct arc_verify;

struct arc_verify *arc_verify_new(const struct mail_hdrs *, time_t now,
		    struct err *);
void		 arc_verify_free(struct arc_verify *);
/* The distinct DNS names ("s._domainkey.d") of the keys needed. */
size_t		 arc_verify_key_count(const struct arc_verify *);
const char	*arc_verify_key_name(const struct arc_verify *, size_t);
/* Gives every signature whose key is at name the TXT records found, or
 * why there are none (as dkim_verify_set_key; all borrowed). */
void		 arc_verify_set_key(struct arc_verify *, const char *name,
		    enum dkim_key_lookup, const char *const *txts, size_t n,
		    const char *detail);
void		 arc_verify_body(struct arc_verify *, const char *, size_t);
void		 arc_verify_finish(struct arc_verify *);

/* After arc_verify_finish: the status and, unless it passed or is none,
 * why (valid until the validator is freed). */
enum arc_cv	 arc_verify_result(const struct arc_verify *,
		    const char **reason_out);
/*
 * The chain as a postmaster reads it: instances 1..arc_verify_hops().
 * A hop is good when its AS verifies and says the cv= its place requires
 * and, for the newest, the AMS verifies too; the first bad hop and all
 * after it are broken links.  domain is the AS's d= ("?" if unreadable).
 */
struct arc_hop {
	unsigned	 instance;
	const char	*domain;
	bool		 ok;
	bool		 ams_ok;	/* this hop's AMS verifies */
	const char	*reason;	/* "" when ok */
};

unsigned	 arc_verify_hops(const struct arc_verify *);
void		 arc_verify_hop(const struct arc_verify *, unsigned instance,
		    struct arc_hop *out);
/* Section 5.2 step 6: the lowest instance whose AMS and every later one
 * verify (0 if the newest AMS does not). */
unsigned	 arc_verify_oldest_pass(const struct arc_verify *);

/*
 * Sealing.  The sealer adds set N+1 to the chain of hdrs (borrowed until
 * arc_seal_finish): an AAR copying the Authentication-Results fields of
 * authserv_id that lie above every existing ARC field (or, if there are
 * none there, the newest one of authserv_id anywhere), merged into one
 * when there are several; an AMS (rsa-sha256 or ed25519-sha256 from the
 * key, relaxed/relaxed, t=, h= as given or DKIM's default set, never an
 * ARC field nor Authentication-Results); an AS with cv=chain_cv (which
 * the caller got from arc_verify on the same message; ARC_CV_NONE when
 * there is no chain) over all sets in instance order, or, when chain_cv
 * is fail, over the new set alone (section 5.1.2).
 * A chain whose newest seal already says cv=fail has ended: no set is
 * added to it (ARC_E_ENDED), as the ARC test suite and dkimpy do.
 * Errors: ARC_E_NOAR, ARC_E_LIMIT (N = 50), ARC_E_PARAM (bad domain,
 * selector, h= list, chain_cv none with a chain or pass/fail without one,
 * a malformed existing chain sealed as pass), ERR_NOMEM.
 */
struct arc_seal_params {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*authserv_id;	/* whose Authentication-Results */
	const char	*headers;	/* AMS h=, NULL: DKIM's default */
	time_t		 now;		/* t= */
};

struct arc_seal;

struct arc_seal	*arc_seal_new(struct key *, const struct arc_seal_params *,
		    const struct mail_hdrs *, enum arc_cv chain_cv,
		    struct err *);
void		 arc_seal_body(struct arc_seal *, const char *, size_t);
/* Appends ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results,
 * in that order, each folded and CRLF-terminated. */
int		 arc_seal_finish(struct arc_seal *, struct buf *out,
		    struct err *);
void		 arc_seal_free(struct arc_seal *);
/* The instance the new set gets. */
unsigned	 arc_seal_instance(const struct arc_seal *);

#endif
