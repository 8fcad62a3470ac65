/*
 * arc_priv.h: what the files of src/arc share and nobody else sees.
 */
#ifndef TIMBRE_ARC_ARC_PRIV_H
#define TIMBRE_ARC_ARC_PRIV_H

#include <stdint.h>

#include "arc/arc.h"
#include "dkim/dkim_priv.h"

struct mail_field;

enum arc_kind {
	ARC_AAR = 0,
	ARC_AMS,
	ARC_AS,
};

/* The three fields of each instance, 1..n (sets[0] unused). */
struct arc_chain {
	const struct mail_field	*sets[ARC_MAX_INSTANCES + 1][3];
	unsigned		 n;
	/* Header index of the topmost ARC field, or -1 if there is none. */
	long			 top;
};

/*
 * An ARC-Message-Signature or an ARC-Seal, parsed (section 4.1).  What it
 * shares with a DKIM-Signature is in dkim: a=, d=, s=, t=, b= and the
 * field without b=, and for an AMS also c=, h=, bh= and l= (an AS leaves
 * them unset; no ARC signature has an identity or x=).
 */
struct arc_sig {
	struct dkim_sig	 dkim;
	enum arc_kind	 kind;
	unsigned	 instance;
	enum arc_cv	 cv;		/* AS */
};

/* Which ARC field f is, or -1 if it is none. */
int	arc_field_kind(const struct mail_field *);
/* The instance (i=) of an ARC field; -1 with the reason if unreadable or
 * outside 1..ARC_MAX_INSTANCES. */
int	arc_field_instance(const struct mail_field *, enum arc_kind,
	    unsigned *out, struct err *);
/* Collects the sets; -1 with the reason if the structure is broken
 * (out->n is then the highest instance seen). */
int	arc_chain_collect(const struct mail_hdrs *, struct arc_chain *out,
	    struct err *);

/* Parses an AMS or AS field; on failure d= and s= may be set; free with
 * arc_sig_fini either way. */
int	arc_sig_parse(const struct mail_field *, enum arc_kind,
	    struct arc_sig *out, struct err *);
void	arc_sig_fini(struct arc_sig *);

/*
 * The ARC-Seal header hash (section 5.1.1): the AAR, AMS and AS of sets
 * first..last-1 of chain, then the AAR and AMS of set last (given as raw
 * fields, CRLF-less) and the seal being made or checked, b= empty.  All
 * relaxed; the seal without its final CRLF.
 */
int	arc_seal_hash(const struct arc_chain *, unsigned first, unsigned last,
	    const char *aar, size_t aar_len, const char *ams, size_t ams_len,
	    const char *seal, size_t seal_len, uint8_t out[32], struct err *);

#endif
