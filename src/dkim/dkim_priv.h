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

/* A DKIM-Signature field, parsed and checked (RFC 6376 section 3.5). */
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

#endif
