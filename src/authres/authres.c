/*
 * authres.c: reading and writing Authentication-Results fields (RFC 8601
 * sections 2.2 to 2.7, and section 5 on fields that claim our own
 * authserv-id).
 *
 * The parser walks the value once with a cursor; every string it keeps
 * (unquoted, comments dropped) goes to one arena owned by the struct
 * authres, sized from the input, so that a field costs two allocations
 * at most and authres_fini() one free().
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres/authres.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

#define FOLD_AT		78

struct cur {
	const char	*s;
	size_t		 len;
	size_t		 i;
	char		*arena;		/* NULL: do not keep strings */
	size_t		 used;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters: printable ASCII but tspecials. */
static bool
is_tokchar(char c)
{
	unsigned char	u = (unsigned char)c;

	return u > 0x20 && u < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool
is_keychar(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Skips whitespace and (nested) comments; -1 at an unterminated one. */
static int
skip_cfws(struct cur *c, struct err *err)
{
	size_t	depth, start;

	for (;;) {
		while (c->i < c->len && is_wsp(c->s[c->i]))
			c->i++;
		if (c->i >= c->len || c->s[c->i] != '(')
			return 0;
		start = c->i;
		depth = 0;
		do {
			if (c->i >= c->len) {
				err_set(err, AUTHRES_E_SYNTAX, "unterminated "
				    "comment at offset %zu", start);
				return -1;
			}
			if (c->s[c->i] == '\\' && c->i + 1 < c->len)
				c->i++;
			else if (c->s[c->i] == '(')
				depth++;
			else if (c->s[c->i] == ')')
				depth--;
			c->i++;
		} while (depth > 0);
	}
}

/* Copies s[0..n) into the arena (unescaping if quoted), NUL-terminated. */
static const char *
keep(struct cur *c, const char *s, size_t n, bool quoted)
{
	char	*out;
	size_t	 k;

	if (c->arena == NULL)
		return "";
	out = c->arena + c->used;
	for (k = 0; k < n; k++) {
		if (quoted && s[k] == '\\' && k + 1 < n)
			k++;
		c->arena[c->used++] = s[k];
	}
	c->arena[c->used++] = '\0';
	return out;
}

static const char *
read_keyword(struct cur *c, const char *what, struct err *err)
{
	size_t	start = c->i;

	while (c->i < c->len && is_keychar(c->s[c->i]))
		c->i++;
	if (c->i == start) {
		err_set(err, AUTHRES_E_SYNTAX, "expected %s at offset %zu",
		    what, start);
		return NULL;
	}
	return keep(c, c->s + start, c->i - start, false);
}

/*
 * A quoted-string, or a run of characters allowed by ok().  The
 * authserv-id and reasons are RFC 2045 values; property values take the
 * wider run described in authres.h.
 */
static const char *
read_value(struct cur *c, bool (*ok)(char), const char *what,
    struct err *err)
{
	size_t	start = c->i;

	if (c->i < c->len && c->s[c->i] == '"') {
		for (c->i++; c->i < c->len && c->s[c->i] != '"'; c->i++)
			if (c->s[c->i] == '\\' && c->i + 1 < c->len)
				c->i++;
		if (c->i >= c->len) {
			err_set(err, AUTHRES_E_SYNTAX, "unterminated quoted "
			    "string at offset %zu", start);
			return NULL;
		}
		c->i++;
		return keep(c, c->s + start + 1, c->i - start - 2, true);
	}
	while (c->i < c->len && ok(c->s[c->i]))
		c->i++;
	if (c->i == start) {
		err_set(err, AUTHRES_E_SYNTAX, "expected %s at offset %zu",
		    what, start);
		return NULL;
	}
	return keep(c, c->s + start, c->i - start, false);
}

static bool
is_pvalchar(char c)
{
	unsigned char	u = (unsigned char)c;

	return u > 0x20 && u != 0x7f && c != ';' && c != '(' && c != '"';
}

/* Expects ch after optional CFWS, and skips CFWS after it. */
static int
expect(struct cur *c, char ch, struct err *err)
{
	if (skip_cfws(c, err) == -1)
		return -1;
	if (c->i >= c->len || c->s[c->i] != ch) {
		err_set(err, AUTHRES_E_SYNTAX, "expected \"%c\" at offset %zu",
		    ch, c->i);
		return -1;
	}
	c->i++;
	return skip_cfws(c, err);
}

static bool
at_keyword(const struct cur *c, const char *kw)
{
	size_t	n = strlen(kw);

	return c->len - c->i >= n && strncasecmp(c->s + c->i, kw, n) == 0 &&
	    (c->i + n == c->len || !is_keychar(c->s[c->i + n]));
}

static int
parse_resinfo(struct cur *c, struct authres_result *r, struct err *err)
{
	struct authres_prop	*p;
	size_t			 save, end;

	r->raw_off = c->i;
	if ((r->method = read_keyword(c, "a method", err)) == NULL ||
	    skip_cfws(c, err) == -1)
		return -1;
	if (c->i < c->len && c->s[c->i] == '/') {
		c->i++;
		if (skip_cfws(c, err) == -1 || (r->version = read_keyword(c,
		    "a method version", err)) == NULL)
			return -1;
	}
	if (expect(c, '=', err) == -1 ||
	    (r->result = read_keyword(c, "a result", err)) == NULL ||
	    skip_cfws(c, err) == -1)
		return -1;
	if (at_keyword(c, "reason")) {
		save = c->i;
		c->i += strlen("reason");
		if (skip_cfws(c, err) == -1)
			return -1;
		if (c->i < c->len && c->s[c->i] == '=') {
			c->i++;
			if (skip_cfws(c, err) == -1 || (r->reason =
			    read_value(c, is_pvalchar, "a reason", err)) ==
			    NULL || skip_cfws(c, err) == -1)
				return -1;
		} else
			c->i = save;	/* a ptype named "reason" */
	}
	while (c->i < c->len && c->s[c->i] != ';') {
		if (r->nprops == AUTHRES_MAX_PROPS) {
			err_set(err, AUTHRES_E_LIMIT, "more than %d properties "
			    "in one result", AUTHRES_MAX_PROPS);
			return -1;
		}
		p = &r->props[r->nprops++];
		if ((p->ptype = read_keyword(c, "a property type", err)) ==
		    NULL || expect(c, '.', err) == -1 ||
		    (p->property = read_keyword(c, "a property", err)) ==
		    NULL || expect(c, '=', err) == -1 ||
		    (p->value = read_value(c, is_pvalchar, "a property value",
		    err)) == NULL || skip_cfws(c, err) == -1)
			return -1;
	}
	end = c->i;
	while (end > r->raw_off && is_wsp(c->s[end - 1]))
		end--;
	r->raw_len = end - r->raw_off;
	return 0;
}

/* The authserv-id, and the version after it; c is left after both. */
static int
parse_head(struct cur *c, struct authres *out, struct err *err)
{
	size_t	start;
	int	v = 0;

	if (skip_cfws(c, err) == -1 || (out->authserv_id = read_value(c,
	    is_tokchar, "an authserv-id", err)) == NULL ||
	    skip_cfws(c, err) == -1)
		return -1;
	out->version = 1;
	if (c->i < c->len && isdigit((unsigned char)c->s[c->i])) {
		start = c->i;
		while (c->i < c->len && isdigit((unsigned char)c->s[c->i]) &&
		    v < 1000)
			v = v * 10 + (c->s[c->i++] - '0');
		if (v != 1) {
			err_set(err, AUTHRES_E_SYNTAX, "unknown version %.*s",
			    (int)(c->i - start), c->s + start);
			return -1;
		}
		if (skip_cfws(c, err) == -1)
			return -1;
	}
	return 0;
}

int
authres_parse(const char *val, size_t len, struct authres *out,
    struct err *err)
{
	struct cur	c;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.s = val;
	c.len = len;
	/* Unquoting and dropping comments only shorten: each kept string
	 * takes at most its input bytes and one NUL. */
	if ((c.arena = malloc(2 * len + 2)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	out->strs = c.arena;
	if (parse_head(&c, out, err) == -1)
		goto fail;
	for (;;) {
		if (c.i >= c.len) {
			if (out->n == 0 && !out->none) {
				err_set(err, AUTHRES_E_SYNTAX, "no result "
				    "after the authserv-id");
				goto fail;
			}
			break;
		}
		if (out->none) {
			err_set(err, AUTHRES_E_SYNTAX, "text after \"none\" "
			    "at offset %zu", c.i);
			goto fail;
		}
		if (expect(&c, ';', err) == -1)
			goto fail;
		if (c.i >= c.len && out->n > 0)
			break;		/* a trailing ";" */
		if (out->n == 0 && at_keyword(&c, "none")) {
			c.i += 4;
			if (skip_cfws(&c, err) == -1)
				goto fail;
			out->none = true;
			continue;
		}
		if (out->n == AUTHRES_MAX_RESULTS) {
			err_set(err, AUTHRES_E_LIMIT, "more than %d results",
			    AUTHRES_MAX_RESULTS);
			goto fail;
		}
		if (parse_resinfo(&c, &out->v[out->n++], err) == -1)
			goto fail;
	}
	return 0;
fail:
	authres_fini(out);
	return -1;
}

void
authres_fini(struct authres *ar)
{
	free(ar->strs);
	memset(ar, 0, sizeof(*ar));
}

int
authres_authserv_id(const char *val, size_t len, char *out, size_t n)
{
	struct cur	c;
	struct err	err;
	size_t		start, end;
	bool		quoted;

	memset(&c, 0, sizeof(c));
	c.s = val;
	c.len = len;
	if (n == 0 || skip_cfws(&c, &err) == -1)
		return -1;
	start = c.i;
	quoted = c.i < c.len && val[c.i] == '"';
	if (read_value(&c, is_tokchar, "an authserv-id", &err) == NULL)
		return -1;
	end = c.i;
	if (quoted) {
		start++;
		end--;
	}
	c.arena = out;
	if (end - start >= n)
		end = start + n - 1;
	/* keep() writes at most end - start + 1 bytes. */
	keep(&c, val + start, end - start, quoted);
	return 0;
}

bool
authres_is_ours(const char *val, size_t len, const char *id)
{
	char	buf[256];

	if (strlen(id) >= sizeof(buf) - 1 ||
	    authres_authserv_id(val, len, buf, sizeof(buf)) == -1)
		return false;
	return strcasecmp(buf, id) == 0;
}

long
authres_find(const struct mail_hdrs *hdrs, const char *id, size_t start)
{
	const struct mail_field	*f;
	size_t			 i;

	for (i = start; i < mail_hdrs_count(hdrs); i++) {
		f = mail_hdrs_at(hdrs, i);
		if (mail_field_is_named(f, "Authentication-Results") &&
		    authres_is_ours(f->raw + f->value_off, f->raw_len -
		    f->value_off, id))
			return (long)i;
	}
	return -1;
}

static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_tokchar(*s))
			return false;
	return true;
}

static bool
is_keyword(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_keychar(*s))
			return false;
	return true;
}

/* "[local]@domain" with token-ish parts, which RFC 8601 writes bare. */
static bool
is_bare_addr(const char *s)
{
	const char	*at = strchr(s, '@');
	const char	*p;

	if (at == NULL || strchr(at + 1, '@') != NULL || at[1] == '\0')
		return false;
	for (p = s; *p != '\0'; p++)
		if (p != at && !is_tokchar(*p))
			return false;
	return true;
}

/* Appends s, quoted when it is not a token, to b. */
static int
add_value(struct buf *b, const char *s, bool force_quote, struct err *err)
{
	if (!force_quote && (is_token(s) || is_bare_addr(s)))
		return buf_adds(b, s, err);
	if (buf_addc(b, '"', err) == -1)
		return -1;
	for (; *s != '\0'; s++)
		if (((*s == '"' || *s == '\\') && buf_addc(b, '\\', err) ==
		    -1) || buf_addc(b, *s, err) == -1)
			return -1;
	return buf_addc(b, '"', err);
}

/* Appends tok[0..n), after a space or on a new line past FOLD_AT. */
static int
fold_tok(struct buf *b, size_t *col, const char *tok, size_t n,
    struct err *err)
{
	if (*col + 1 + n > FOLD_AT && *col > 8) {
		if (buf_add(b, "\r\n\t  ", 5, err) == -1)
			return -1;
		*col = 10;
	} else {
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
authres_format(const char *id, const struct authres_result *v, size_t n,
    struct buf *out, struct err *err)
{
	const struct authres_result	*r;
	const struct authres_prop	*p;
	struct buf			 f, tok;
	const char			*s;
	size_t				 k, j, col;
	int				 rc = -1;

	if (!is_token(id)) {
		err_set(err, ERR_ARG, "authserv-id \"%s\" is not a token", id);
		return -1;
	}
	for (k = 0; k < n; k++) {
		if (!is_keyword(v[k].method) || !is_keyword(v[k].result)) {
			err_set(err, ERR_ARG, "result %zu: method or result is "
			    "not a keyword", k + 1);
			return -1;
		}
		for (j = 0; j < v[k].nprops; j++)
			if (!is_keyword(v[k].props[j].ptype) ||
			    !is_keyword(v[k].props[j].property)) {
				err_set(err, ERR_ARG, "result %zu: property "
				    "name is not a keyword", k + 1);
				return -1;
			}
	}
	buf_init(&f, 64 * 1024);
	buf_init(&tok, 8 * 1024);
	if (buf_printf(&f, err, "Authentication-Results: %s;", id) == -1)
		goto out;
	if (n == 0 && buf_adds(&f, " none", err) == -1)
		goto out;
	for (k = 0; k < n; k++) {
		r = &v[k];
		if (buf_printf(&f, err, "\r\n\t%s=%s", r->method, r->result) ==
		    -1)
			goto out;
		col = 8 + strlen(r->method) + 1 + strlen(r->result);
		if (r->comment != NULL) {
			buf_reset(&tok);
			if (buf_addc(&tok, '(', err) == -1)
				goto out;
			for (s = r->comment; *s != '\0'; s++)
				if ((strchr("()\\", *s) != NULL &&
				    buf_addc(&tok, '\\', err) == -1) ||
				    buf_addc(&tok, *s, err) == -1)
					goto out;
			if (buf_addc(&tok, ')', err) == -1 ||
			    fold_tok(&f, &col, tok.data, tok.len, err) == -1)
				goto out;
		}
		if (r->reason != NULL) {
			buf_reset(&tok);
			if (buf_adds(&tok, "reason=", err) == -1 ||
			    add_value(&tok, r->reason, true, err) == -1 ||
			    fold_tok(&f, &col, tok.data, tok.len, err) == -1)
				goto out;
		}
		for (j = 0; j < r->nprops; j++) {
			p = &r->props[j];
			buf_reset(&tok);
			if (buf_printf(&tok, err, "%s.%s=", p->ptype,
			    p->property) == -1 ||
			    add_value(&tok, p->value, false, err) == -1 ||
			    fold_tok(&f, &col, tok.data, tok.len, err) == -1)
				goto out;
		}
		if (k + 1 < n && buf_addc(&f, ';', err) == -1)
			goto out;
	}
	if (buf_add(&f, "\r\n", 2, err) == -1 ||
	    buf_add(out, f.data, f.len, err) == -1)
		goto out;
	rc = 0;
out:
	buf_fini(&f);
	buf_fini(&tok);
	return rc;
}
