/*
 * dkim_priv.h: what the files of src/dkim share and nobody else sees.
 */
#ifndef TIMBRE_DKIM_DKIM_PRIV_H
#define TIMBRE_DKIM_DKIM_PRIV_H

#include "dkim/dkim.h"

/*
 * Tag values as signatures and key records use them (tags.c): a copy as a
 * string; a case-insensitive comparison; a decimal number; base64
 * decoding, the a= and the c= of a signature (DKIM, AMS or AS), failing
 * with the caller's error code.  An unknown a= leaves *out as it was.
 * c= absent is simple/simple; a lone header canonicalisation leaves the
 * body simple.
 */
char	*dkim_tag_dup(const struct dkim_tag *);
bool	 dkim_tag_is(const struct dkim_tag *, const char *);
int	 dkim_tag_b64(const struct dkim_tag *, int code, uint8_t **out,
	    size_t *len, struct err *);
int	 dkim_tag_uint(const struct dkim_tag *, int code, int64_t *out,
	    struct err *);
int	 dkim_tag_alg(const struct dkim_tag *, int code, enum dkim_alg *out,
	    struct err *);
int	 dkim_tag_canon(const struct dkim_tag *, int code,
	    enum dkim_canon *hdr_out, enum dkim_canon *body_out, struct err *);

/*
 * The first steps of reading a DKIM-Signature, an ARC-Message-Signature
 * or an ARC-Seal (RFC 6376 section 3.5, RFC 8617 section 4.1): parses the
 * value v[0..len) into *tags_out, copies d= and s= (when present) into
 * new strings in *domain_out and *selector_out, so that a later failure
 * can still name them, then checks that the nreq tags named in required
 * are all there.  -1 with err: DKIM_E_TAG from the tag list, ERR_NOMEM,
 * or code for a missing tag.  What is copied stays the caller's to free,
 * on failure too.
 */
int	dkim_sig_tags_parse(const char *v, size_t len,
	    const char *const *required, size_t nreq, int code,
	    struct dkim_tags *tags_out, char **domain_out, char **selector_out,
	    struct err *);

/*
 * A DKIM-Signature field, parsed and checked (RFC 6376 section 3.5); also
 * what an ARC-Message-Signature or ARC-Seal shares with one (struct
 * arc_sig), where auid stays NULL and expires -1.
 */
struct dkim_sig {
	enum dkim_alg	 alg;
	enum dkim_canon	 hdr_canon;
	enum dkim_canon	 body_canon;
	char		*domain;	/* d= */
	char		*selector;	/* s= */
	char		*auid;		/* i=, or "@" d */
	char		*hlist;		/* h=, whitespace removed */
	uint8_t		*b;		/* b=, decoded */
	size_t		 b_len;
	uint8_t		*bh;		/* bh=, decoded */
	size_t		 bh_len;
	int64_t		 limit;		/* l=, -1 if absent */
	int64_t		 timestamp;	/* t=, -1 if absent */
	int64_t		 expires;	/* x=, -1 if absent */
	char		 b_prefix[9];
	/* The field with the b= value removed, as the header hash wants. */
	char		*unsigned_raw;
	size_t		 unsigned_len;
};

/*
 * Parses the field raw[0..len) (the whole field, name included) whose
 * value starts at value_off.  On failure the fields already read (d=,
 * s=) stay set so that the failure can name the domain; free with
 * dkim_sig_fini either way.
 */
int	dkim_sig_parse(const char *raw, size_t len, size_t value_off,
	    struct dkim_sig *out, struct err *);
void	dkim_sig_fini(struct dkim_sig *);

/*
 * The field raw[0..len), whose value starts at value_off and whose tag
 * list gave b, with the b= value and the FWS around it removed: what the
 * header hash of DKIM, the AMS and the AS covers (RFC 6376 section 3.7).
 * A new NUL-terminated string of *len_out bytes, or NULL (no memory).
 */
char	*dkim_field_without_b(const char *raw, size_t len, size_t value_off,
	    const struct dkim_tag *b, size_t *len_out);

/* "s._domainkey.d", or NULL if either is not a usable DNS name. */
char	*dkim_key_name(const char *selector, const char *domain);
/* Whether a signature's d= and s= make a key name: 0, or -1 with code
 * and which of the two is wrong (d= first). */
int	 dkim_key_name_check(const char *selector, const char *domain,
	    int code, struct err *);

bool	dkim_domain_is_valid(const char *);

/* Does the colon-separated list (FWS allowed) hold word, ignoring case? */
bool	dkim_list_has(const char *, size_t, const char *word);

/* Case-insensitive: is sub equal to dom or a subdomain of it? */
bool	dkim_domain_within(const char *sub, const char *dom);

/*
 * The header hash (RFC 6376 section 3.7): the fields named by hlist
 * (colon-separated), each taken from the bottom up, canonicalised, then
 * the signature field itself (b= empty, no final CRLF).
 */
int	dkim_header_hash(const struct mail_hdrs *, const char *hlist,
	    enum dkim_canon, const char *sigraw, size_t siglen, uint8_t out[32],
	    struct err *);

/*
 * Making a signature field (sign.c): the DKIM-Signature, the AMS and the
 * AS are built alike, tag by tag, folded at 78 columns.
 *
 * dkim_sign_names_check: are domain and selector (either may be NULL)
 * usable for signing?  0, or -1 with code and "<role> domain is not a
 * domain name" or "selector is not usable in a DNS name".
 *
 * dkim_sign_hlist: the h= list to sign, as a new string: headers as given,
 * or dkim_sign_default_headers(hdrs).  NULL with ERR_NOMEM, or with code
 * when the list lacks From ("the signed fields must include From", then
 * cite, which may be "").
 */
int	 dkim_sign_names_check(const char *domain, const char *selector,
	    const char *role, int code, struct err *);
char	*dkim_sign_hlist(const struct mail_hdrs *, const char *headers,
	    const char *cite, int code, struct err *);

/*
 * Appending to a field being made; *col is the column the field has
 * reached.  dkim_fold_addf appends a token after a space, or on a new
 * folded line if it would pass column 78; dkim_fold_hlist appends
 * "h=" and hlist, folding after its colons; dkim_fold_b signs digest with
 * key and appends the base64 signature, filling each line to column 78
 * (no final CRLF).  0, or -1 with err.
 */
int	 dkim_fold_addf(struct buf *, size_t *col, struct err *,
	    const char *, ...) __attribute__((__format__(printf, 4, 5)));
int	 dkim_fold_hlist(struct buf *, size_t *col, const char *hlist,
	    struct err *);
int	 dkim_fold_b(struct buf *, size_t col, struct key *,
	    const uint8_t digest[32], struct err *);

/*
 * Verifying (verify.c), for DKIM-Signatures and ARC signatures alike.
 *
 * Body hashes are shared between the signatures that hash the body the
 * same way (canonicalisation and l=).  dkim_body_slot finds the slot of
 * slots[0..*n) for (canon, limit) or starts a new one at slots[*n], which
 * the caller has room for; -1 with err (ERR_NOMEM).  After
 * dkim_body_slots_final each slot holds its digest and the length of the
 * whole canonical body.
 */
struct dkim_body_slot {
	struct dkim_body	*hash;
	enum dkim_canon		 canon;
	int64_t			 limit;
	uint8_t			 digest[32];
	uint64_t		 total;
};

int	dkim_body_slot(struct dkim_body_slot *slots, size_t *n,
	    enum dkim_canon, int64_t limit, size_t *slot_out, struct err *);
void	dkim_body_slots_update(struct dkim_body_slot *, size_t n, const char *,
	    size_t);
void	dkim_body_slots_final(struct dkim_body_slot *, size_t n);
void	dkim_body_slots_free(struct dkim_body_slot *, size_t n);

/*
 * The key record of a signature whose key is at name, from what its
 * look-up found (RFC 6376 section 3.6.2.2): records that are not key
 * records are left out; none left, or more than one, is a failure.
 * DKIM_PASS with *rec_out set and reason_out "", or DKIM_TEMPFAIL or
 * DKIM_FAIL with the reason in reason_out[0..size) (cut to fit).
 * *rec_out is written only when a record parsed, with the first one, even
 * on failure: start it zeroed and free it with dkim_keyrec_fini either way.
 */
enum dkim_result dkim_keyrec_choose(const char *name, enum dkim_key_lookup,
		    const char *const *txts, size_t n, const char *detail,
		    struct dkim_keyrec *rec_out, char *reason_out, size_t size);

/*
 * The checks of a parsed signature (DKIM-Signature or ARC) that need its
 * key and the message, each 0, or -1 with the reason in reason_out[0..
 * size).  dkim_sig_key_check: the key is not revoked, allows sha256 and
 * is of the type a= names.  dkim_sig_hash_check: the body hash body (the
 * digest of the signature's body slot) is bh=, and b= verifies over the
 * header hash of hdrs with key; mismatch is the reason when b= does not
 * verify (any other error gives its own).
 */
int	dkim_sig_key_check(const struct dkim_sig *, const struct dkim_keyrec *,
	    char *reason_out, size_t size);
int	dkim_sig_hash_check(const struct dkim_sig *, const struct mail_hdrs *,
	    const uint8_t body[32], struct key *, const char *mismatch,
	    char *reason_out, size_t size);

#endif
