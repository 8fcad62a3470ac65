/*
 * sign.c: the DKIM signer (RFC 6376 section 5), sans-I/O.
 *
 * The field it makes is folded at 78 columns, never carries l= (a body
 * limit lets anyone append to the message), and by default signs the
 * header fields of section 5.4.1 that are present, oversigning those a
 * forger would most like to add (section 8.15): each is listed once more
 * than it occurs, so that a field added later breaks the signature.
 * The pieces it makes the field with (the checks of d= and s=, the h=
 * list, folding, the signature) serve ARC sealing too (src/arc/seal.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#define FOLD_AT		78

struct dkim_sign {
	struct key		*key;
	struct dkim_sign_params	 p;
	const struct mail_hdrs	*hdrs;
	char			*hlist;
	struct dkim_body	*body;
};

static const struct {
	const char	*name;
	bool		 oversign;
} sign_fields[] = {
	{ "From", true }, { "Reply-To", true }, { "Subject", true },
	{ "Date", true }, { "To", true }, { "Cc", true },
	{ "Sender", true }, { "Message-ID", true },
	{ "In-Reply-To", true }, { "References", true },
	{ "MIME-Version", true }, { "Content-Type", true },
	{ "Content-Transfer-Encoding", true },
	{ "Resent-Date", false }, { "Resent-From", false },
	{ "Resent-Sender", false }, { "Resent-To", false },
	{ "Resent-Cc", false }, { "Content-ID", false },
	{ "Content-Description", false }, { "List-Id", false },
	{ "List-Help", false }, { "List-Unsubscribe", false },
	{ "List-Subscribe", false }, { "List-Post", false },
	{ "List-Owner", false }, { "List-Archive", false },
};

char *
dkim_sign_default_headers(const struct mail_hdrs *hdrs, struct err *err)
{
	struct buf	b;
	size_t		i, k, n;
	char		lower[64];

	buf_init(&b, 64 * 1024);
	for (i = 0; i < sizeof(sign_fields) / sizeof(sign_fields[0]); i++) {
		n = mail_hdrs_count_name(hdrs, sign_fields[i].name);
		if (sign_fields[i].oversign)
			n++;
		for (k = 0; sign_fields[i].name[k] != '\0'; k++)
			lower[k] = (char)(sign_fields[i].name[k] |
			    (sign_fields[i].name[k] >= 'A' &&
			    sign_fields[i].name[k] <= 'Z' ? 0x20 : 0));
		lower[k] = '\0';
		for (k = 0; k < n; k++)
			if ((b.len > 0 && buf_addc(&b, ':', err) == -1) ||
			    buf_adds(&b, lower, err) == -1) {
				buf_fini(&b);
				return NULL;
			}
	}
	return b.data;		/* never NULL: From is always listed */
}

int
dkim_sign_names_check(const char *domain, const char *selector,
    const char *role, int code, struct err *err)
{
	if (domain == NULL || !dkim_domain_is_valid(domain))
		err_set(err, code, "%s domain is not a domain name", role);
	else if (selector == NULL ||
	    dkim_key_name_check(selector, domain, code, err) == -1)
		err_set(err, code, "selector is not usable in a DNS name");
	else
		return 0;
	return -1;
}

char *
dkim_sign_hlist(const struct mail_hdrs *hdrs, const char *headers,
    const char *cite, int code, struct err *err)
{
	char	*h;

	h = headers != NULL ? strdup(headers) :
	    dkim_sign_default_headers(hdrs, err);
	if (h == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!dkim_list_has(h, strlen(h), "from")) {
		err_set(err, code, "the signed fields must include From%s",
		    cite);
		free(h);
		return NULL;
	}
	return h;
}

struct dkim_sign *
dkim_sign_new(struct key *key, const struct dkim_sign_params *p,
    const struct mail_hdrs *hdrs, struct err *err)
{
	struct dkim_sign	*s;
	enum dkim_alg		 alg;
	const char		*at;

	alg = key_type(key) == KEY_ED25519 ? DKIM_ALG_ED25519_SHA256 :
	    DKIM_ALG_RSA_SHA256;
	if (p->alg != 0 && p->alg != alg) {
		err_set(err, DKIM_E_PARAM, "a %s key cannot make %s "
		    "signatures", key_type_name(key_type(key)),
		    dkim_alg_name(p->alg));
		return NULL;
	}
	if (!key_is_private(key)) {
		err_set(err, DKIM_E_PARAM, "the key is a public key");
		return NULL;
	}
	if (dkim_sign_names_check(p->domain, p->selector, "signing",
	    DKIM_E_PARAM, err) == -1)
		return NULL;
	if (p->auid != NULL && ((at = strrchr(p->auid, '@')) == NULL ||
	    !dkim_domain_within(at + 1, p->domain))) {
		err_set(err, DKIM_E_PARAM, "identity %s is not in the signing "
		    "domain %s", p->auid, p->domain);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->p = *p;
	s->p.alg = alg;
	s->hdrs = hdrs;
	if ((s->hlist = dkim_sign_hlist(hdrs, p->headers,
	    " (RFC 6376 section 5.4)", DKIM_E_PARAM, err)) == NULL)
		goto fail;
	if (mail_hdrs_find(hdrs, "From", 0) == -1) {
		err_set(err, DKIM_E_PARAM, "the message has no From field");
		goto fail;
	}
	if ((s->body = dkim_body_new(p->body_canon, -1, err)) == NULL)
		goto fail;
	s->key = key_ref(key);
	return s;
fail:
	dkim_sign_free(s);
	return NULL;
}

void
dkim_sign_body(struct dkim_sign *s, const char *p, size_t n)
{
	dkim_body_update(s->body, p, n);
}

/* Appends tok, after a space if space, or on a new folded line when it
 * would pass FOLD_AT columns. */
static int
fold_add(struct buf *b, size_t *col, const char *tok, bool space,
    struct err *err)
{
	size_t	n = strlen(tok);

	if (*col + (space ? 1 : 0) + n > FOLD_AT && *col > 1) {
		if (buf_add(b, "\r\n\t", 3, err) == -1)
			return -1;
		*col = 1;
	} else if (space) {
		if (buf_addc(b, ' ', err) == -1)
			return -1;
		(*col)++;
	}
	if (buf_add(b, tok, n, err) == -1)
		return -1;
	*col += n;
	return 0;
}

int
dkim_fold_addf(struct buf *b, size_t *col, struct err *err, const char *fmt,
    ...)
{
	char	tok[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(tok, sizeof(tok), fmt, ap);
	va_end(ap);
	return fold_add(b, col, tok, true, err);
}

int
dkim_fold_hlist(struct buf *b, size_t *col, const char *hlist,
    struct err *err)
{
	const char	*h, *colon;
	char		 tok[512];
	size_t		 n, i;

	/* One token per name with its colon, so that h= folds after one. */
	for (h = hlist, i = 0; *h != '\0'; i++) {
		colon = strchr(h, ':');
		n = colon ? (size_t)(colon - h) + 1 : strlen(h);
		snprintf(tok, sizeof(tok), "%s%.*s%s", i == 0 ? "h=" : "",
		    (int)n, h, colon ? "" : ";");
		if (fold_add(b, col, tok, i == 0, err) == -1)
			return -1;
		h += n;
	}
	return 0;
}

int
dkim_fold_b(struct buf *b, size_t col, struct key *key,
    const uint8_t digest[32], struct err *err)
{
	uint8_t	 sig[KEY_MAX_SIG];
	char	*b64;
	size_t	 siglen, n, i = 0, room;
	int	 rc = -1;

	if (key_sign_sha256(key, digest, sig, &siglen, err) == -1)
		return -1;
	if ((b64 = malloc(b64_encoded_len(siglen) + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	n = b64_encode(sig, siglen, b64);
	while (i < n) {
		room = col < FOLD_AT ? FOLD_AT - col : 0;
		if (room == 0) {
			if (buf_add(b, "\r\n\t", 3, err) == -1)
				goto out;
			col = 1;
			continue;
		}
		if (room > n - i)
			room = n - i;
		if (buf_add(b, b64 + i, room, err) == -1)
			goto out;
		col += room;
		i += room;
	}
	rc = 0;
out:
	free(b64);
	return rc;
}

int
dkim_sign_finish(struct dkim_sign *s, struct buf *out, struct err *err)
{
	static const char *const canon[] = { "simple", "relaxed" };
	struct buf	 f;
	uint8_t		 bh[32], digest[32];
	char		 bh64[64];
	size_t		 col;
	int		 rc = -1;

	buf_init(&f, DKIM_MAX_HDR_BYTES);
	dkim_body_final(s->body, bh, NULL);
	b64_encode(bh, sizeof(bh), bh64);

	col = strlen("DKIM-Signature: v=1;");
	if (buf_adds(&f, "DKIM-Signature: v=1;", err) == -1 ||
	    dkim_fold_addf(&f, &col, err, "a=%s;",
	    dkim_alg_name(s->p.alg)) == -1 ||
	    dkim_fold_addf(&f, &col, err, "c=%s/%s;", canon[s->p.hdr_canon],
	    canon[s->p.body_canon]) == -1 ||
	    dkim_fold_addf(&f, &col, err, "d=%s;", s->p.domain) == -1 ||
	    dkim_fold_addf(&f, &col, err, "s=%s;", s->p.selector) == -1 ||
	    (s->p.auid != NULL &&
	    dkim_fold_addf(&f, &col, err, "i=%s;", s->p.auid) == -1) ||
	    dkim_fold_addf(&f, &col, err, "t=%lld;",
	    (long long)s->p.now) == -1 ||
	    (s->p.lifetime > 0 && dkim_fold_addf(&f, &col, err, "x=%lld;",
	    (long long)s->p.now + s->p.lifetime) == -1) ||
	    dkim_fold_addf(&f, &col, err, "bh=%s;", bh64) == -1 ||
	    dkim_fold_hlist(&f, &col, s->hlist, err) == -1 ||
	    dkim_fold_addf(&f, &col, err, "b=") == -1)
		goto out;
	if (dkim_header_hash(s->hdrs, s->hlist, s->p.hdr_canon, f.data,
	    f.len, digest, err) == -1 ||
	    dkim_fold_b(&f, col, s->key, digest, err) == -1 ||
	    buf_add(&f, "\r\n", 2, err) == -1 ||
	    buf_add(out, f.data, f.len, err) == -1)
		goto out;
	rc = 0;
out:
	buf_fini(&f);
	return rc;
}

void
dkim_sign_free(struct dkim_sign *s)
{
	if (s == NULL)
		return;
	key_free(s->key);
	free(s->hlist);
	dkim_body_free(s->body);
	free(s);
}
