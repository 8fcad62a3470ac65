/*
 * tags.c: the tag=value lists of DKIM signatures and key records
 * (RFC 6376 section 3.2), which ARC reuses (RFC 8617 section 4.1).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_priv.h"
#include "util/b64.h"
#include "util/err.h"

static bool
tag_is_wsp(char c)
{
	/* FWS: WSP, and the CRLF of a folded line. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
tag_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
tag_is_valchar(char c)
{
	unsigned char	u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && u != ';';
}

int
dkim_tags_parse(const char *s, size_t len, struct dkim_tags *out,
    struct err *err)
{
	struct dkim_tag	*t;
	size_t		 i = 0, j, last_nonwsp;

	out->n = 0;
	for (;;) {
		while (i < len && tag_is_wsp(s[i]))
			i++;
		if (i == len) {
			/* Only the list's end may follow a ";" with nothing. */
			if (out->n == 0) {
				err_set(err, DKIM_E_TAG, "empty tag list");
				return -1;
			}
			return 0;
		}
		if (out->n == DKIM_MAX_TAGS) {
			err_set(err, DKIM_E_TAG, "more than %d tags",
			    DKIM_MAX_TAGS);
			return -1;
		}
		t = &out->v[out->n];
		t->name = s + i;
		if (!tag_is_alpha(s[i])) {
			err_set(err, DKIM_E_TAG, "tag name expected at offset "
			    "%zu", i);
			return -1;
		}
		while (i < len && (tag_is_alpha(s[i]) ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
		t->name_len = (size_t)(s + i - t->name);
		while (i < len && tag_is_wsp(s[i]))
			i++;
		if (i == len || s[i] != '=') {
			err_set(err, DKIM_E_TAG, "tag %.*s: \"=\" expected",
			    (int)t->name_len, t->name);
			return -1;
		}
		t->val_off = ++i;
		while (i < len && tag_is_wsp(s[i]))
			i++;
		t->val = s + i;
		last_nonwsp = i;
		for (; i < len && s[i] != ';'; i++) {
			if (tag_is_wsp(s[i]))
				continue;
			if (!tag_is_valchar(s[i])) {
				err_set(err, DKIM_E_TAG, "tag %.*s: invalid "
				    "character 0x%02x in value",
				    (int)t->name_len, t->name,
				    (unsigned char)s[i]);
				return -1;
			}
			last_nonwsp = i + 1;
		}
		t->val_len = last_nonwsp > (size_t)(t->val - s) ?
		    last_nonwsp - (size_t)(t->val - s) : 0;
		t->val_end = i;
		for (j = 0; j < out->n; j++)
			if (out->v[j].name_len == t->name_len &&
			    memcmp(out->v[j].name, t->name, t->name_len) == 0) {
				err_set(err, DKIM_E_TAG, "duplicate tag %.*s",
				    (int)t->name_len, t->name);
				return -1;
			}
		out->n++;
		if (i == len)
			return 0;
		i++;		/* the ";" */
	}
}

const struct dkim_tag *
dkim_tags_get(const struct dkim_tags *tags, const char *name)
{
	size_t	i, n = strlen(name);

	/* Tag names are case-sensitive (RFC 6376 section 3.2). */
	for (i = 0; i < tags->n; i++)
		if (tags->v[i].name_len == n &&
		    memcmp(tags->v[i].name, name, n) == 0)
			return &tags->v[i];
	return NULL;
}

char *
dkim_tag_strip(const struct dkim_tag *t)
{
	char	*s;
	size_t	 i, o = 0;

	if ((s = malloc(t->val_len + 1)) == NULL)
		return NULL;
	for (i = 0; i < t->val_len; i++)
		if (!tag_is_wsp(t->val[i]))
			s[o++] = t->val[i];
	s[o] = '\0';
	return s;
}

char *
dkim_tag_dup(const struct dkim_tag *t)
{
	char	*s;

	if ((s = malloc(t->val_len + 1)) == NULL)
		return NULL;
	memcpy(s, t->val, t->val_len);
	s[t->val_len] = '\0';
	return s;
}

bool
dkim_tag_is(const struct dkim_tag *t, const char *s)
{
	return t->val_len == strlen(s) && strncasecmp(t->val, s,
	    t->val_len) == 0;
}

int
dkim_tag_b64(const struct dkim_tag *t, int code, uint8_t **out,
    size_t *len, struct err *err)
{
	if (b64_decode(t->val, t->val_len, out, len, err) == -1) {
		err_prefix(err, "%.*s=", (int)t->name_len, t->name);
		err->code = code;
		return -1;
	}
	return 0;
}

int
dkim_tag_alg(const struct dkim_tag *t, int code, enum dkim_alg *out,
    struct err *err)
{
	/* rsa-sha1 is read only so that the verifier can say why it fails
	 * (RFC 8301). */
	if (dkim_tag_is(t, "rsa-sha256"))
		*out = DKIM_ALG_RSA_SHA256;
	else if (dkim_tag_is(t, "ed25519-sha256"))
		*out = DKIM_ALG_ED25519_SHA256;
	else if (dkim_tag_is(t, "rsa-sha1"))
		*out = DKIM_ALG_RSA_SHA1;
	else {
		err_set(err, code, "unknown algorithm a=%.*s",
		    (int)t->val_len, t->val);
		return -1;
	}
	return 0;
}

int
dkim_tag_canon(const struct dkim_tag *t, int code, enum dkim_canon *hdr_out,
    enum dkim_canon *body_out, struct err *err)
{
	static const char *const names[] = { "simple", "relaxed" };
	const char	*slash;
	size_t		 hl, bl;
	int		 k, h = -1, b = DKIM_CANON_SIMPLE;

	*hdr_out = *body_out = DKIM_CANON_SIMPLE;
	if (t == NULL)
		return 0;
	slash = memchr(t->val, '/', t->val_len);
	hl = slash ? (size_t)(slash - t->val) : t->val_len;
	bl = slash ? t->val_len - hl - 1 : 0;
	for (k = 0; k < 2; k++)
		if (hl == strlen(names[k]) && strncasecmp(t->val, names[k],
		    hl) == 0)
			h = k;
	if (slash != NULL) {
		b = -1;
		for (k = 0; k < 2; k++)
			if (bl == strlen(names[k]) && strncasecmp(slash + 1,
			    names[k], bl) == 0)
				b = k;
	}
	if (h == -1 || b == -1) {
		err_set(err, code, "unknown canonicalization c=%.*s",
		    (int)t->val_len, t->val);
		return -1;
	}
	*hdr_out = (enum dkim_canon)h;
	*body_out = (enum dkim_canon)b;
	return 0;
}

int
dkim_tag_uint(const struct dkim_tag *t, int code, int64_t *out,
    struct err *err)
{
	int64_t	v = 0;
	size_t	i;

	/* 18 digits always fit an int64_t; RFC 6376 allows 12 for t=, x=
	 * and 76 for l=, which no body reaches. */
	if (t->val_len == 0 || t->val_len > 18) {
		err_set(err, code, "%.*s= is not a number of 1 to 18 digits",
		    (int)t->name_len, t->name);
		return -1;
	}
	for (i = 0; i < t->val_len; i++) {
		if (!isdigit((unsigned char)t->val[i])) {
			err_set(err, code, "%.*s= is not a number",
			    (int)t->name_len, t->name);
			return -1;
		}
		v = v * 10 + (t->val[i] - '0');
	}
	*out = v;
	return 0;
}
