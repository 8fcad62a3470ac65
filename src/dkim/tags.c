/*
 * tags.c: the tag=value lists of DKIM signatures and key records
 * (RFC 6376 section 3.2), which ARC reuses (RFC 8617 section 4.1).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim.h"
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
