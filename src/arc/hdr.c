/*
 * hdr.c: reading ARC header fields (RFC 8617 sections 4.1 and 4.2):
 * instance numbers, the collection of ARC sets with the structural rules
 * of section 5.2 steps 1 and 2, the tag lists of ARC-Message-Signature
 * and ARC-Seal, and the ARC-Seal header hash of section 5.1.1.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_priv.h"
#include "dkim/dkim_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

static const char *const kind_names[] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

const char *
arc_cv_name(enum arc_cv cv)
{
	switch (cv) {
	case ARC_CV_NONE:
		return "none";
	case ARC_CV_PASS:
		return "pass";
	case ARC_CV_FAIL:
		return "fail";
	}
	return "unknown";
}

int
arc_field_kind(const struct mail_field *f)
{
	int	k;

	for (k = ARC_AAR; k <= ARC_AS; k++)
		if (mail_field_is_named(f, kind_names[k]))
			return k;
	return -1;
}

/* A decimal instance number of 1 to 3 digits, in range. */
static int
instance_value(const char *s, size_t n, unsigned *out, struct err *err)
{
	unsigned	v = 0;
	size_t		i;

	if (n == 0 || n > 3) {
		err_set(err, ERR_SYNTAX, "i= is not a number of 1 to 3 digits");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			err_set(err, ERR_SYNTAX, "i=%.*s is not a number",
			    (int)n, s);
			return -1;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > ARC_MAX_INSTANCES) {
		err_set(err, ERR_SYNTAX, "i=%u is outside 1..%d", v,
		    ARC_MAX_INSTANCES);
		return -1;
	}
	*out = v;
	return 0;
}

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
arc_field_instance(const struct mail_field *f, enum arc_kind kind,
    unsigned *out, struct err *err)
{
	const char		*v = f->raw + f->value_off;
	size_t			 n = f->raw_len - f->value_off, i = 0, start;
	struct dkim_tags	 tags;
	const struct dkim_tag	*t;

	if (kind != ARC_AAR) {
		if (dkim_tags_parse(v, n, &tags, err) == -1)
			return -1;
		if ((t = dkim_tags_get(&tags, "i")) == NULL) {
			err_set(err, ERR_SYNTAX, "no i= tag");
			return -1;
		}
		return instance_value(t->val, t->val_len, out, err);
	}
	/* arc-info = "i" [FWS] "=" [FWS] instance [CFWS] ";" (4.1.1). */
	while (i < n && is_fws(v[i]))
		i++;
	if (i >= n || v[i] != 'i') {
		err_set(err, ERR_SYNTAX, "does not start with i=");
		return -1;
	}
	for (i++; i < n && is_fws(v[i]); i++)
		;
	if (i >= n || v[i] != '=') {
		err_set(err, ERR_SYNTAX, "does not start with i=");
		return -1;
	}
	for (i++; i < n && is_fws(v[i]); i++)
		;
	for (start = i; i < n && isdigit((unsigned char)v[i]); i++)
		;
	if (instance_value(v + start, i - start, out, err) == -1)
		return -1;
	while (i < n && is_fws(v[i]))
		i++;
	if (i >= n || v[i] != ';') {
		err_set(err, ERR_SYNTAX, "no \";\" after i=%u", *out);
		return -1;
	}
	return 0;
}

int
arc_chain_collect(const struct mail_hdrs *hdrs, struct arc_chain *c,
    struct err *err)
{
	const struct mail_field	*f;
	size_t			 i, nf = mail_hdrs_count(hdrs);
	unsigned		 inst, k;
	int			 kind;

	memset(c, 0, sizeof(*c));
	c->top = -1;
	for (i = 0; i < nf; i++) {
		f = mail_hdrs_at(hdrs, i);
		if ((kind = arc_field_kind(f)) == -1)
			continue;
		if (c->top == -1)
			c->top = (long)i;
		if (arc_field_instance(f, kind, &inst, err) == -1) {
			err_prefix(err, "%s on line %zu", kind_names[kind],
			    f->line);
			return -1;
		}
		if (inst > c->n)
			c->n = inst;
		if (c->sets[inst][kind] != NULL) {
			err_set(err, ERR_SYNTAX, "two %s fields with i=%u",
			    kind_names[kind], inst);
			return -1;
		}
		c->sets[inst][kind] = f;
	}
	for (inst = 1; inst <= c->n; inst++)
		for (k = ARC_AAR; k <= ARC_AS; k++)
			if (c->sets[inst][k] == NULL) {
				err_set(err, ERR_SYNTAX, "ARC set %u has no "
				    "%s", inst, kind_names[k]);
				return -1;
			}
	return 0;
}

int
arc_sig_parse(const struct mail_field *f, enum arc_kind kind,
    struct arc_sig *sig, struct err *err)
{
	static const char *const ams_required[] = { "i", "a", "b", "bh", "d",
	    "h", "s" };
	static const char *const as_required[] = { "i", "a", "b", "cv", "d",
	    "s" };
	const char *const	*required;
	struct dkim_sig		*ds = &sig->dkim;
	struct dkim_tags	 tags;
	const struct dkim_tag	*t, *tb;
	size_t			 nreq;

	memset(sig, 0, sizeof(*sig));
	sig->kind = kind;
	ds->limit = ds->timestamp = ds->expires = -1;
	required = kind == ARC_AMS ? ams_required : as_required;
	nreq = kind == ARC_AMS ? sizeof(ams_required) / sizeof(*required) :
	    sizeof(as_required) / sizeof(*required);
	if (dkim_sig_tags_parse(f->raw + f->value_off,
	    f->raw_len - f->value_off, required, nreq, ERR_SYNTAX, &tags,
	    &ds->domain, &ds->selector, err) == -1)
		return -1;
	t = dkim_tags_get(&tags, "i");
	if (instance_value(t->val, t->val_len, &sig->instance, err) == -1 ||
	    dkim_tag_alg(dkim_tags_get(&tags, "a"), ERR_SYNTAX, &ds->alg,
	    err) == -1 ||
	    dkim_key_name_check(ds->selector, ds->domain, ERR_SYNTAX,
	    err) == -1)
		return -1;
	if ((t = dkim_tags_get(&tags, "t")) != NULL &&
	    dkim_tag_uint(t, ERR_SYNTAX, &ds->timestamp, err) == -1)
		return -1;
	if (kind == ARC_AS) {
		if (dkim_tags_get(&tags, "h") != NULL) {
			err_set(err, ERR_SYNTAX, "h= is not allowed in an "
			    "ARC-Seal (RFC 8617 section 4.1.3)");
			return -1;
		}
		t = dkim_tags_get(&tags, "cv");
		if (dkim_tag_is(t, "none"))
			sig->cv = ARC_CV_NONE;
		else if (dkim_tag_is(t, "pass"))
			sig->cv = ARC_CV_PASS;
		else if (dkim_tag_is(t, "fail"))
			sig->cv = ARC_CV_FAIL;
		else {
			err_set(err, ERR_SYNTAX, "unknown chain status cv=%.*s",
			    (int)t->val_len, t->val);
			return -1;
		}
	} else {
		if (dkim_tag_canon(dkim_tags_get(&tags, "c"),
		    ERR_SYNTAX, &ds->hdr_canon, &ds->body_canon, err) == -1)
			return -1;
		if ((ds->hlist = dkim_tag_strip(dkim_tags_get(&tags, "h"))) ==
		    NULL)
			goto nomem;
		/* Unlike DKIM, an empty h= (or an empty name in it) is
		 * allowed: it signs no field, only the AMS itself. */
		if (dkim_list_has(ds->hlist, strlen(ds->hlist),
		    "arc-seal")) {
			err_set(err, ERR_SYNTAX, "h= includes ARC-Seal "
			    "(RFC 8617 section 4.1.2)");
			return -1;
		}
		if ((t = dkim_tags_get(&tags, "l")) != NULL &&
		    dkim_tag_uint(t, ERR_SYNTAX, &ds->limit, err) == -1)
			return -1;
		if (dkim_tag_b64(dkim_tags_get(&tags, "bh"), ERR_SYNTAX,
		    &ds->bh, &ds->bh_len, err) == -1)
			return -1;
		if (ds->alg != DKIM_ALG_RSA_SHA1 &&
		    ds->bh_len != KEY_SHA256_LEN) {
			err_set(err, ERR_SYNTAX, "bh= is %zu bytes, not the 32 "
			    "of a SHA-256 hash", ds->bh_len);
			return -1;
		}
	}
	tb = dkim_tags_get(&tags, "b");
	if (dkim_tag_b64(tb, ERR_SYNTAX, &ds->b, &ds->b_len, err) == -1)
		return -1;
	if (ds->b_len == 0) {
		err_set(err, ERR_SYNTAX, "b= is empty");
		return -1;
	}
	if ((ds->unsigned_raw = dkim_field_without_b(f->raw, f->raw_len,
	    f->value_off, tb, &ds->unsigned_len)) == NULL)
		goto nomem;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

void
arc_sig_fini(struct arc_sig *sig)
{
	dkim_sig_fini(&sig->dkim);
	memset(sig, 0, sizeof(*sig));
}

int
arc_seal_hash(const struct arc_chain *c, unsigned first, unsigned last,
    const char *aar, size_t aar_len, const char *ams, size_t ams_len,
    const char *seal, size_t seal_len, uint8_t out[32], struct err *err)
{
	const struct mail_field	*f;
	struct buf		 b;
	unsigned		 inst, k;
	int			 rc = -1;

	buf_init(&b, DKIM_MAX_HDR_BYTES);
	for (inst = first; inst < last; inst++)
		for (k = ARC_AAR; k <= ARC_AS; k++) {
			f = c->sets[inst][k];
			if (dkim_canon_header(DKIM_CANON_RELAXED, f->raw,
			    f->raw_len, &b, err) == -1)
				goto out;
		}
	if (dkim_canon_header(DKIM_CANON_RELAXED, aar, aar_len, &b, err) ==
	    -1 || dkim_canon_header(DKIM_CANON_RELAXED, ams, ams_len, &b,
	    err) == -1 || dkim_canon_header(DKIM_CANON_RELAXED, seal,
	    seal_len, &b, err) == -1)
		goto out;
	key_sha256(b.data, b.len - 2, out);
	rc = 0;
out:
	if (rc == -1)
		err_prefix(err, "seal hash");
	buf_fini(&b);
	return rc;
}
