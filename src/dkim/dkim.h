/*
 * dkim.h: DomainKeys Identified Mail, RFC 6376, with RFC 8301 (rsa-sha1
 * is no longer accepted; RSA keys of 1024 bits at least) and RFC 8463
 * (ed25519-sha256).
 *
 * Verifying and signing are sans-I/O engines.  A verifier is given the
 * parsed header section, says which key records it needs (by DNS name),
 * is given the TXT records (or the look-up failure) and the body in
 * chunks, and then tells for each DKIM-Signature field, in header order,
 * whether it verified and, if not, why.  A signer is given the header
 * section, a key and the parameters, then the body, and produces the
 * DKIM-Signature field to prepend.  Body hashes are computed while the
 * body streams by, in constant memory; signatures that hash the body the
 * same way share one hash.
 *
 * The lower pieces (tag lists, canonicalisation, key records) are
 * exported for src/arc, whose ARC-Message-Signature and ARC-Seal reuse
 * them (RFC 8617 section 4.1).
 */
#ifndef TIMBRE_DKIM_DKIM_H
#define TIMBRE_DKIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct err;
struct key;
struct mail_field;
struct mail_hdrs;

enum dkim_error {
	DKIM_E_TAG = 400,	/* a tag list does not parse */
	DKIM_E_SIG,		/* a signature field is unusable */
	DKIM_E_KEYREC,		/* a key record is unusable */
	DKIM_E_PARAM,		/* signing parameters are unusable */
};

#define DKIM_MAX_SIGS		16	/* DKIM-Signature fields evaluated */
#define DKIM_MAX_TAGS		64	/* tags in one tag list */
#define DKIM_MAX_HDR_BYTES	(1024 * 1024)	/* canonical header data */

enum dkim_alg {
	DKIM_ALG_RSA_SHA256 = 1,
	DKIM_ALG_ED25519_SHA256,
	DKIM_ALG_RSA_SHA1,	/* recognised only to say why it fails */
};

enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED,
};

/* What a verification came to, per signature. */
enum dkim_result {
	DKIM_PASS,		/* verified */
	DKIM_EXPIRED,		/* verified, but x= is in the past */
	DKIM_FAIL,		/* permanent failure (bad signature, no key..) */
	DKIM_TEMPFAIL,		/* the key could not be fetched for now */
};

const char	*dkim_alg_name(enum dkim_alg);
const char	*dkim_result_name(enum dkim_result);

/*
 * Tag lists (RFC 6376 section 3.2).  The parser is strict: tag names are
 * ALPHA *(ALPHA / DIGIT / "_"), values are VALCHARs with inner FWS, a
 * duplicate tag is an error.  Each tag records where its value lies in the
 * input, so that b= can be blanked in place.
 */
struct dkim_tag {
	const char	*name;		/* points into the input */
	size_t		 name_len;
	const char	*val;		/* trimmed value, points into the input */
	size_t		 val_len;
	size_t		 val_off;	/* offset just after the "=" */
	size_t		 val_end;	/* offset of the ";" ending it, or len */
};

struct dkim_tags {
	struct dkim_tag	 v[DKIM_MAX_TAGS];
	size_t		 n;
};

int	dkim_tags_parse(const char *, size_t, struct dkim_tags *out,
	    struct err *);
/* The tag named name, or NULL. */
const struct dkim_tag *dkim_tags_get(const struct dkim_tags *, const char *);
/* Copies a tag value with all whitespace removed (b=, bh=, p=, h=) into a
 * new string; NULL on allocation failure. */
char	*dkim_tag_strip(const struct dkim_tag *);

/*
 * Canonicalisation (RFC 6376 section 3.4).  dkim_canon_header appends one
 * field, as the hash sees it, CRLF included.
 */
int	dkim_canon_header(enum dkim_canon, const char *raw, size_t len,
	    struct buf *out, struct err *);

/* A streaming body hash: canonicalisation, the l= limit, SHA-256. */
struct dkim_body;
/* limit < 0: the whole body. */
struct dkim_body *dkim_body_new(enum dkim_canon, int64_t limit, struct err *);
void	dkim_body_update(struct dkim_body *, const char *, size_t);
/* Finishes the hash; *total_out is the length of the canonical body
 * (whole, not limited). */
void	dkim_body_final(struct dkim_body *, uint8_t out[32],
	    uint64_t *total_out);
void	dkim_body_free(struct dkim_body *);

/* A key record (RFC 6376 section 3.6.1) as a verifier needs it. */
struct dkim_keyrec {
	struct key	*key;		/* NULL when revoked (empty p=) */
	int		 key_type;	/* enum key_type of k= */
	bool		 revoked;
	bool		 testing;	/* t=y */
	bool		 strict;	/* t=s: i= must be d= exactly */
	bool		 sha256_ok;	/* h= absent or lists sha256 */
};

/* Parses one TXT record; -1 with DKIM_E_KEYREC and the reason. */
int	dkim_keyrec_parse(const char *, struct dkim_keyrec *out, struct err *);
void	dkim_keyrec_fini(struct dkim_keyrec *);

/* Verification. */
struct dkim_verify;

struct dkim_verdict {
	enum dkim_result	 result;
	const char		*domain;	/* d=, or "" if unreadable */
	const char		*selector;	/* s=, or "" */
	const char		*auid;		/* i= (or "@d") */
	const char		*reason;	/* "" when it passed */
	enum dkim_alg		 alg;		/* 0 if unreadable */
	char			 b_prefix[9];	/* first 8 chars of b= */
	bool			 testing;	/* key says t=y */
	int64_t			 timestamp;	/* t=, -1 if absent */
	int64_t			 expires;	/* x=, -1 if absent */
};

/* What became of a key look-up. */
enum dkim_key_lookup {
	DKIM_KEY_FOUND,		/* txts holds the TXT records */
	DKIM_KEY_NONE,		/* NXDOMAIN or no TXT record */
	DKIM_KEY_TEMPFAIL,	/* time-out, SERVFAIL: try later */
};

/*
 * A verifier for the DKIM-Signature fields of hdrs (borrowed; it must
 * outlive the verifier), evaluated at time now.  Fields past
 * DKIM_MAX_SIGS are reported as failing.
 */
struct dkim_verify *dkim_verify_new(const struct mail_hdrs *, time_t now,
		    struct err *);
void		 dkim_verify_free(struct dkim_verify *);
size_t		 dkim_verify_count(const struct dkim_verify *);
/* The DNS name of the key signature i needs ("s._domainkey.d"), or NULL
 * if it needs none (it already failed). */
const char	*dkim_verify_key_name(const struct dkim_verify *, size_t);
/* Gives signature i its key: the TXT records found (borrowed), or why
 * there are none (detail, borrowed, says more: "timeout"). */
void		 dkim_verify_set_key(struct dkim_verify *, size_t,
		    enum dkim_key_lookup, const char *const *txts, size_t n,
		    const char *detail);
void		 dkim_verify_body(struct dkim_verify *, const char *, size_t);
/* Ends the body and checks every signature.  Signatures whose key was
 * never set fail with "no key look-up was made". */
void		 dkim_verify_finish(struct dkim_verify *);
/* Valid after dkim_verify_finish, until the verifier is freed. */
void		 dkim_verify_get(const struct dkim_verify *, size_t,
		    struct dkim_verdict *out);

/* Signing. */
struct dkim_sign_params {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*auid;		/* i=, NULL: none (means @d) */
	enum dkim_alg	 alg;		/* 0: from the key's type */
	enum dkim_canon	 hdr_canon;
	enum dkim_canon	 body_canon;
	/* Colon-separated field names for h=, used as given; NULL: the
	 * recommended set of RFC 6376 section 5.4.1 that is present, with
	 * From, To, Cc, Subject, Date, Reply-To, Sender, Message-ID and the
	 * MIME fields oversigned (listed once more than they occur). */
	const char	*headers;
	time_t		 now;		/* t= */
	int64_t		 lifetime;	/* x= = now + lifetime; 0: no x= */
};

struct dkim_sign;

/* key and hdrs are borrowed (hdrs until dkim_sign_finish). */
struct dkim_sign *dkim_sign_new(struct key *, const struct dkim_sign_params *,
		    const struct mail_hdrs *, struct err *);
void		 dkim_sign_body(struct dkim_sign *, const char *, size_t);
/* Appends the whole DKIM-Signature field, folded, CRLF-terminated. */
int		 dkim_sign_finish(struct dkim_sign *, struct buf *out,
		    struct err *);
void		 dkim_sign_free(struct dkim_sign *);

/* The h= list dkim_sign would choose for hdrs, as a new string. */
char		*dkim_sign_default_headers(const struct mail_hdrs *,
		    struct err *);

#endif
