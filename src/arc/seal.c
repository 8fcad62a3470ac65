/*
 * seal.c: ARC sealing (RFC 8617 section 5.1), sans-I/O.
 *
 * The new set is made in the order its parts depend on each other: the
 * AAR (a copy of our Authentication-Results, section 4.1.1), the AMS
 * (a DKIM signature of the message, section 4.1.2; ARC fields are never
 * signed, since later hops add more of them), then the AS over the
 * chain (section 5.1.1), or over the new set alone when the chain failed
 * (section 5.1.2).  Signatures are rsa-sha256, relaxed/relaxed, the
 * algorithm RFC 8617 section 4.1.3 expects every validator to know.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_priv.h"
#include "authres/authres.h"
#include "dkim/dkim_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#define AAR_MAX		(64 * 1024)

struct arc_seal {
	struct key		*key;
	struct arc_seal_params	 p;
	const struct mail_hdrs	*hdrs;
	struct arc_chain	 chain;
	enum arc_cv		 cv;
	unsigned		 instance;
	char			*hlist;
	struct buf		 aar;	/* the whole AAR field, no CRLF */
	struct dkim_body	*body;
};

/* Appends s[0..n) with every run of whitespace made one space. */
static int
add_collapsed(struct buf *b, const char *s, size_t n, struct err *err)
{
	size_t	i;
	bool	space = false;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			space = true;
			continue;
		}
		if (space && buf_addc(b, ' ', err) == -1)
			return -1;
		space = false;
		if (buf_addc(b, s[i], err) == -1)
			return -1;
	}
	return 0;
}

/* Adds the results of the field at index idx, if it parses, to the AAR. */
static int
aar_add_field(struct arc_seal *s, long idx, size_t *nres, struct err *err)
{
	const struct mail_field	*f = mail_hdrs_at(s->hdrs, (size_t)idx);
	const char		*v = f->raw + f->value_off;
	struct authres		 ar;
	struct err		 perr;
	size_t			 k;

	if (authres_parse(v, f->raw_len - f->value_off, &ar, &perr) == -1) {
		if (perr.code == ERR_NOMEM) {
			*err = perr;
			return -1;
		}
		return 0;	/* a field we cannot read is not ours */
	}
	for (k = 0; k < ar.n; k++) {
		if ((*nres > 0 && buf_adds(&s->aar, ";\r\n\t", err) == -1) ||
		    add_collapsed(&s->aar, v + ar.v[k].raw_off,
		    ar.v[k].raw_len, err) == -1) {
			authres_fini(&ar);
			return -1;
		}
		(*nres)++;
	}
	authres_fini(&ar);
	return 1;
}

static int
seal_make_aar(struct arc_seal *s, struct err *err)
{
	const char	*id = s->p.authserv_id;
	long		 idx, first;
	size_t		 nres = 0, nfields = 0;
	int		 r;

	buf_init(&s->aar, AAR_MAX);
	if (buf_printf(&s->aar, err, "ARC-Authentication-Results: i=%u; "
	    "%s;\r\n\t", s->instance, id) == -1)
		return -1;
	/* Ours since the last hop: above every ARC field. */
	for (idx = authres_find(s->hdrs, id, 0); idx != -1 &&
	    (s->chain.top == -1 || idx < s->chain.top);
	    idx = authres_find(s->hdrs, id, (size_t)idx + 1)) {
		if ((r = aar_add_field(s, idx, &nres, err)) == -1)
			return -1;
		nfields += (size_t)r;
	}
	if (nfields == 0 && (first = authres_find(s->hdrs, id, 0)) != -1) {
		if ((r = aar_add_field(s, first, &nres, err)) == -1)
			return -1;
		nfields += (size_t)r;
	}
	if (nfields == 0) {
		err_set(err, ARC_E_NOAR, "no Authentication-Results field of "
		    "%s to copy into ARC-Authentication-Results", id);
		return -1;
	}
	if (nres == 0 && buf_adds(&s->aar, "none", err) == -1)
		return -1;
	return 0;
}

/* Does the newest ARC-Seal say cv=fail? */
static bool
newest_says_fail(const struct arc_chain *c)
{
	struct arc_sig	sig;
	struct err	err;
	bool		fail;

	fail = arc_sig_parse(c->sets[c->n][ARC_AS], ARC_AS, &sig, &err) == 0 &&
	    sig.cv == ARC_CV_FAIL;
	arc_sig_fini(&sig);
	return fail;
}

struct arc_seal *
arc_seal_new(struct key *key, const struct arc_seal_params *p,
    const struct mail_hdrs *hdrs, enum arc_cv cv, struct err *err)
{
	struct arc_seal	*s;
	struct err	 cerr;
	bool		 malformed;

	if (key_type(key) != KEY_RSA || !key_is_private(key)) {
		err_set(err, ARC_E_PARAM, "ARC seals need a private RSA key "
		    "(rsa-sha256)");
		return NULL;
	}
	if (dkim_sign_names_check(p->domain, p->selector, "sealing",
	    ARC_E_PARAM, err) == -1)
		return NULL;
	if (p->authserv_id == NULL || p->authserv_id[0] == '\0') {
		err_set(err, ARC_E_PARAM, "no authserv-id");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->p = *p;
	s->hdrs = hdrs;
	s->cv = cv;
	malformed = arc_chain_collect(hdrs, &s->chain, &cerr) == -1;
	if (malformed && cv != ARC_CV_FAIL) {
		err_set(err, ARC_E_PARAM, "the existing ARC chain is "
		    "malformed (%s): it can only be sealed with cv=fail",
		    cerr.msg);
		goto fail;
	}
	if (!malformed && (s->chain.n == 0) != (cv == ARC_CV_NONE)) {
		err_set(err, ARC_E_PARAM, "cv=%s does not fit a chain of %u "
		    "sets", arc_cv_name(cv), s->chain.n);
		goto fail;
	}
	if (!malformed && s->chain.n > 0 && newest_says_fail(&s->chain)) {
		err_set(err, ARC_E_ENDED, "the chain ended with cv=fail at "
		    "i=%u; no set is added to it", s->chain.n);
		goto fail;
	}
	if (s->chain.n >= ARC_MAX_INSTANCES) {
		err_set(err, ARC_E_LIMIT, "the chain has %u sets already, "
		    "the most ARC allows", s->chain.n);
		goto fail;
	}
	s->instance = s->chain.n + 1;
	if ((s->hlist = dkim_sign_hlist(hdrs, p->headers, "", ARC_E_PARAM,
	    err)) == NULL)
		goto fail;
	if (dkim_list_has(s->hlist, strlen(s->hlist), "arc-seal") ||
	    dkim_list_has(s->hlist, strlen(s->hlist),
	    "arc-message-signature") ||
	    dkim_list_has(s->hlist, strlen(s->hlist),
	    "arc-authentication-results") ||
	    dkim_list_has(s->hlist, strlen(s->hlist),
	    "authentication-results")) {
		err_set(err, ARC_E_PARAM, "ARC fields and "
		    "Authentication-Results are not signed by an AMS");
		goto fail;
	}
	if (mail_hdrs_find(hdrs, "From", 0) == -1) {
		err_set(err, ARC_E_PARAM, "the message has no From field");
		goto fail;
	}
	if (seal_make_aar(s, err) == -1 ||
	    (s->body = dkim_body_new(DKIM_CANON_RELAXED, -1, err)) == NULL)
		goto fail;
	s->key = key_ref(key);
	return s;
fail:
	arc_seal_free(s);
	return NULL;
}

void
arc_seal_body(struct arc_seal *s, const char *p, size_t n)
{
	dkim_body_update(s->body, p, n);
}

unsigned
arc_seal_instance(const struct arc_seal *s)
{
	return s->instance;
}

int
arc_seal_finish(struct arc_seal *s, struct buf *out, struct err *err)
{
	struct buf	 ams, as;
	uint8_t		 bh[32], digest[32];
	char		 bh64[64], tok[64];
	size_t		 col;
	int		 rc = -1;

	buf_init(&ams, DKIM_MAX_HDR_BYTES);
	buf_init(&as, DKIM_MAX_HDR_BYTES);
	dkim_body_final(s->body, bh, NULL);
	b64_encode(bh, sizeof(bh), bh64);

	col = (size_t)snprintf(tok, sizeof(tok), "ARC-Message-Signature: "
	    "i=%u;", s->instance);
	if (buf_adds(&ams, tok, err) == -1 ||
	    dkim_fold_addf(&ams, &col, err, "a=rsa-sha256;") == -1 ||
	    dkim_fold_addf(&ams, &col, err, "c=relaxed/relaxed;") == -1 ||
	    dkim_fold_addf(&ams, &col, err, "d=%s;", s->p.domain) == -1 ||
	    dkim_fold_addf(&ams, &col, err, "s=%s;", s->p.selector) == -1 ||
	    dkim_fold_addf(&ams, &col, err, "t=%lld;",
	    (long long)s->p.now) == -1 ||
	    dkim_fold_hlist(&ams, &col, s->hlist, err) == -1 ||
	    dkim_fold_addf(&ams, &col, err, "bh=%s;", bh64) == -1 ||
	    dkim_fold_addf(&ams, &col, err, "b=") == -1 ||
	    dkim_header_hash(s->hdrs, s->hlist, DKIM_CANON_RELAXED, ams.data,
	    ams.len, digest, err) == -1 ||
	    dkim_fold_b(&ams, col, s->key, digest, err) == -1)
		goto out;

	col = (size_t)snprintf(tok, sizeof(tok), "ARC-Seal: i=%u;",
	    s->instance);
	if (buf_adds(&as, tok, err) == -1 ||
	    dkim_fold_addf(&as, &col, err, "a=rsa-sha256;") == -1 ||
	    dkim_fold_addf(&as, &col, err, "t=%lld;",
	    (long long)s->p.now) == -1 ||
	    dkim_fold_addf(&as, &col, err, "cv=%s;",
	    arc_cv_name(s->cv)) == -1 ||
	    dkim_fold_addf(&as, &col, err, "d=%s;", s->p.domain) == -1 ||
	    dkim_fold_addf(&as, &col, err, "s=%s;", s->p.selector) == -1 ||
	    dkim_fold_addf(&as, &col, err, "b=") == -1 ||
	    arc_seal_hash(&s->chain, s->cv == ARC_CV_FAIL ? s->instance : 1,
	    s->instance, s->aar.data, s->aar.len, ams.data, ams.len, as.data,
	    as.len, digest, err) == -1 ||
	    dkim_fold_b(&as, col, s->key, digest, err) == -1)
		goto out;
	if (buf_add(out, as.data, as.len, err) == -1 ||
	    buf_add(out, "\r\n", 2, err) == -1 ||
	    buf_add(out, ams.data, ams.len, err) == -1 ||
	    buf_add(out, "\r\n", 2, err) == -1 ||
	    buf_add(out, s->aar.data, s->aar.len, err) == -1 ||
	    buf_add(out, "\r\n", 2, err) == -1)
		goto out;
	rc = 0;
out:
	buf_fini(&ams);
	buf_fini(&as);
	return rc;
}

void
arc_seal_free(struct arc_seal *s)
{
	if (s == NULL)
		return;
	key_free(s->key);
	free(s->hlist);
	buf_fini(&s->aar);
	dkim_body_free(s->body);
	free(s);
}
