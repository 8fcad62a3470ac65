/*
 * hdrs.c: the header section of a message (RFC 5322 sections 2.2, 3.6 and
 * the obsolete field syntax of 4.5).
 *
 * A field is a name of printable US-ASCII other than colon (ftext), then
 * optional whitespace (obsolete), a colon and a value that may continue on
 * lines starting with whitespace (folding, section 2.2.3).  Fields keep
 * their bytes so that DKIM can canonicalise them; the scanner below checks
 * them byte by byte, which lets the streaming reader in reader.c stop at
 * the first byte past a limit.  Lines end in CRLF only: a bare CR or LF is
 * part of the value it is in (the reader has already turned bare LFs into
 * CRLF when asked to).  Bytes with the high bit set are allowed in values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "mail/mail_priv.h"
#include "util/buf.h"
#include "util/err.h"

struct mail_hdrs {
	char			*data;	/* the fields, CRLF line ends */
	size_t			 len;
	struct mail_field	*v;
	size_t			 n;
};

/* RFC 5322 section 3.6.8: ftext is %d33-57 / %d59-126. */
static int
mail_is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static int
mail_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* ASCII only: header names must not compare by the locale. */
static int
mail_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

void
mail_hscan_init(struct mail_hscan *s, size_t max_header)
{
	memset(s, 0, sizeof(*s));
	s->state = MAIL_HS_LINE_START;
	s->max_header = max_header;
	s->line = 1;
}

void
mail_hscan_fini(struct mail_hscan *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static enum mail_hscan_step
mail_hscan_fail(struct mail_hscan *s, struct err *err, int code,
    const char *what)
{
	s->state = MAIL_HS_ERROR;
	err_set(err, code, "line %zu: %s", s->line, what);
	return MAIL_HSCAN_ERROR;
}

/*
 * Records the open field, which ended with the CRLF at last_eol.  Field i+1
 * starts where field i and its CRLF end, so only lengths are kept here.
 */
static int
mail_hscan_close(struct mail_hscan *s, struct err *err)
{
	struct mail_field	*v, *f;
	size_t			 cap;

	if (!s->open)
		return 0;
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		if (cap > MAIL_MAX_FIELDS)
			cap = MAIL_MAX_FIELDS;
		if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL) {
			s->state = MAIL_HS_ERROR;
			err_set(err, ERR_NOMEM,
			    "header section: out of memory");
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	f = &s->v[s->n++];
	f->raw = NULL;
	f->raw_len = s->last_eol - s->field_start;
	f->name_len = s->name_len;
	f->value_off = s->value_off;
	f->line = s->field_line;
	s->open = 0;
	return 0;
}

enum mail_hscan_step
mail_hscan_byte(struct mail_hscan *s, unsigned char c, struct err *err)
{
	size_t	line = s->line;		/* the LF of a line is on it */

	switch (s->state) {
	case MAIL_HS_LINE_START:
		if (c == '\r') {
			/* Not counted: it may start the empty line. */
			s->state = MAIL_HS_EMPTY_CR;
			s->off++;
			return MAIL_HSCAN_MORE;
		}
		if (mail_is_wsp(c)) {
			if (!s->open)
				return mail_hscan_fail(s, err, MAIL_E_SYNTAX,
				    "folded line before any header field");
			s->state = MAIL_HS_VALUE;
			break;
		}
		if (mail_hscan_close(s, err) == -1)
			return MAIL_HSCAN_ERROR;
		if (c == ':')
			return mail_hscan_fail(s, err, MAIL_E_SYNTAX,
			    "header field with an empty name");
		if (!mail_is_ftext(c))
			return mail_hscan_fail(s, err, MAIL_E_SYNTAX,
			    "not a header field (missing header/body "
			    "separator?)");
		if (s->n == MAIL_MAX_FIELDS) {
			s->state = MAIL_HS_ERROR;
			err_set(err, MAIL_E_LIMIT, "line %zu: more than %d "
			    "header fields", s->line, MAIL_MAX_FIELDS);
			return MAIL_HSCAN_ERROR;
		}
		s->open = 1;
		s->field_start = s->off;
		s->field_line = s->line;
		s->state = MAIL_HS_NAME;
		break;
	case MAIL_HS_NAME:
		if (c == ':' || mail_is_wsp(c)) {
			s->name_len = s->off - s->field_start;
			s->value_off = s->name_len + 1;
			s->state = c == ':' ? MAIL_HS_VALUE : MAIL_HS_NAME_WSP;
		} else if (!mail_is_ftext(c))
			return mail_hscan_fail(s, err, MAIL_E_SYNTAX,
			    "not a header field (missing header/body "
			    "separator?)");
		break;
	case MAIL_HS_NAME_WSP:
		if (c == ':') {
			s->value_off = s->off - s->field_start + 1;
			s->state = MAIL_HS_VALUE;
		} else if (!mail_is_wsp(c))
			return mail_hscan_fail(s, err, MAIL_E_SYNTAX,
			    "not a header field (missing header/body "
			    "separator?)");
		break;
	case MAIL_HS_VALUE:
		if (c == '\r')
			s->state = MAIL_HS_CR;
		break;
	case MAIL_HS_CR:
		if (c == '\n') {
			s->last_eol = s->off - 1;
			s->line++;
			s->state = MAIL_HS_LINE_START;
		} else	/* a bare CR belongs to the value */
			s->state = c == '\r' ? MAIL_HS_CR : MAIL_HS_VALUE;
		break;
	case MAIL_HS_EMPTY_CR:
		if (c != '\n')
			return mail_hscan_fail(s, err, MAIL_E_SYNTAX,
			    "not a header field (missing header/body "
			    "separator?)");
		if (mail_hscan_close(s, err) == -1)
			return MAIL_HSCAN_ERROR;
		s->off++;
		s->state = MAIL_HS_DONE;
		return MAIL_HSCAN_END;
	case MAIL_HS_DONE:
	case MAIL_HS_ERROR:
		err_set(err, ERR_ARG, "header scanner: byte after the end");
		return MAIL_HSCAN_ERROR;
	}
	s->off++;
	if (s->off > s->max_header) {
		s->state = MAIL_HS_ERROR;
		err_set(err, MAIL_E_LIMIT, "line %zu: header section longer "
		    "than %zu bytes", line, s->max_header);
		return MAIL_HSCAN_ERROR;
	}
	if (s->open && s->off - s->field_start > MAIL_MAX_FIELD) {
		s->state = MAIL_HS_ERROR;
		err_set(err, MAIL_E_LIMIT, "line %zu: header field longer "
		    "than %d bytes", s->field_line, MAIL_MAX_FIELD);
		return MAIL_HSCAN_ERROR;
	}
	return MAIL_HSCAN_MORE;
}

int
mail_hscan_eof(struct mail_hscan *s, struct err *err)
{
	if (s->state == MAIL_HS_DONE)
		return 0;
	if (s->state == MAIL_HS_LINE_START)
		return mail_hscan_close(s, err);
	if (s->state != MAIL_HS_ERROR)
		mail_hscan_fail(s, err, MAIL_E_NOHDR,
		    "message ends in the middle of a header line");
	return -1;
}

struct mail_hdrs *
mail_hdrs_from_scan(struct mail_hscan *s, char *data, size_t len,
    struct err *err)
{
	struct mail_hdrs	*h;
	size_t			 i, off;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		free(data);
		err_set(err, ERR_NOMEM, "header section: out of memory");
		return NULL;
	}
	h->data = data;
	h->len = len;
	h->v = s->v;
	h->n = s->n;
	s->v = NULL;
	s->n = s->cap = 0;
	for (i = 0, off = 0; i < h->n; i++) {
		h->v[i].raw = h->data + off;
		off += h->v[i].raw_len + 2;
	}
	return h;
}

struct mail_hdrs *
mail_hdrs_parse(const char *data, size_t len, struct err *err)
{
	struct mail_hscan	 s;
	struct mail_hdrs	*h;
	char			*copy;
	size_t			 i;

	mail_hscan_init(&s, MAIL_MAX_HEADER);
	for (i = 0; i < len; i++) {
		switch (mail_hscan_byte(&s, (unsigned char)data[i], err)) {
		case MAIL_HSCAN_MORE:
			continue;
		case MAIL_HSCAN_END:
			err_set(err, MAIL_E_SYNTAX, "line %zu: empty line in "
			    "header section", s.line);
			/* FALLTHROUGH */
		case MAIL_HSCAN_ERROR:
			mail_hscan_fini(&s);
			return NULL;
		}
	}
	if (mail_hscan_eof(&s, err) == -1) {
		if (err != NULL && err->code == MAIL_E_NOHDR)
			err_set(err, MAIL_E_SYNTAX, "line %zu: header field "
			    "not terminated by CRLF", s.line);
		mail_hscan_fini(&s);
		return NULL;
	}
	/* One byte more, so that an empty section is not malloc(0). */
	if ((copy = malloc(len + 1)) == NULL) {
		mail_hscan_fini(&s);
		err_set(err, ERR_NOMEM, "header section: out of memory");
		return NULL;
	}
	memcpy(copy, data, len);
	copy[len] = '\0';
	h = mail_hdrs_from_scan(&s, copy, len, err);
	mail_hscan_fini(&s);
	return h;
}

void
mail_hdrs_free(struct mail_hdrs *h)
{
	if (h == NULL)
		return;
	free(h->data);
	free(h->v);
	free(h);
}

size_t
mail_hdrs_count(const struct mail_hdrs *h)
{
	return h->n;
}

const struct mail_field *
mail_hdrs_at(const struct mail_hdrs *h, size_t i)
{
	return i < h->n ? &h->v[i] : NULL;
}

long
mail_hdrs_find(const struct mail_hdrs *h, const char *name, size_t start)
{
	size_t	i;

	for (i = start; i < h->n; i++)
		if (mail_field_is_named(&h->v[i], name))
			return (long)i;
	return -1;
}

size_t
mail_hdrs_count_name(const struct mail_hdrs *h, const char *name)
{
	size_t	i, n = 0;

	for (i = 0; i < h->n; i++)
		if (mail_field_is_named(&h->v[i], name))
			n++;
	return n;
}

const char *
mail_hdrs_raw(const struct mail_hdrs *h, size_t *len_out)
{
	*len_out = h->len;
	return h->data != NULL ? h->data : "";
}

bool
mail_field_is_named(const struct mail_field *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->name_len; i++)
		if (name[i] == '\0' || mail_lower((unsigned char)name[i]) !=
		    mail_lower((unsigned char)f->raw[i]))
			return false;
	return name[i] == '\0';
}

/*
 * Section 2.2.3: unfolding removes each CRLF followed by whitespace; in a
 * field every CRLF is, since one that is not ends the field.
 */
int
mail_field_unfold(const struct mail_field *f, struct buf *out,
    struct err *err)
{
	const char	*p = f->raw + f->value_off;
	const char	*end = f->raw + f->raw_len;
	const char	*q;
	size_t		 old = out->len;

	while (p < end) {
		if (mail_is_wsp(*p))
			p++;
		else if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else
			break;
	}
	while (end > p) {
		if (mail_is_wsp(end[-1]))
			end--;
		else if (end - p >= 2 && end[-2] == '\r' && end[-1] == '\n')
			end -= 2;
		else
			break;
	}
	while (p < end) {
		for (q = p; q + 1 < end && !(q[0] == '\r' && q[1] == '\n');
		    q++)
			;
		if (q + 1 >= end)
			q = end;
		if (buf_add(out, p, (size_t)(q - p), err) == -1) {
			out->len = old;
			if (out->data != NULL)
				out->data[old] = '\0';
			err_prefix(err, "unfolding %.*s", (int)f->name_len,
			    f->raw);
			return -1;
		}
		p = q < end ? q + 2 : end;
	}
	return 0;
}
