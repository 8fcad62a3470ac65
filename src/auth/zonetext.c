/*
 * zonetext.c: a new version of a zone written as an edit of the master
 * file its old version was loaded from, so that the commit after an
 * RFC 2136 UPDATE touches only the lines of the records that changed, and
 * the operator's comments, blank lines, directives ($ORIGIN, $TTL),
 * relative names and layout stay (RFC 1035 section 5.1 for the syntax
 * read here).  The loader (zone.c) notes where each record's text stands;
 * the records the new version lacks are cut out, those it gained are
 * appended, and an SOA that changed is edited where it stands, its serial
 * alone when nothing else moved.  The result must load back to exactly
 * the new version's records, or the whole zone is written out instead:
 * a wrong zone must never reach git.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"

enum soa_change {
	SOA_SAME,
	SOA_SERIAL,		/* the serial alone moved */
	SOA_OTHER,
};

/* One edit in progress. */
struct edit {
	const struct auth_zone	*old;		/* its records have places */
	const struct auth_zone	*new;
	enum soa_change		 soa;
	const char		*eol;		/* "\n" or "\r\n", as old's */
	bool			*gone;		/* per record of old */
	struct buf		*tail;		/* the records new gained */
	struct err		*err;
};

/*
 * A cursor over the tokens of one record: blanks part them, parentheses
 * carry the record over newlines, ";" starts a comment to the end of the
 * line, and quotes and backslashes protect what they cover.
 */
struct lex {
	const char	*t;
	size_t		 at, to;
	int		 depth;		/* parentheses open */
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Moves to the next token; false at the record's end: a newline outside
 * parentheses (l->at is then just past it) or l->to. */
static bool
lex_skip(struct lex *l)
{
	while (l->at < l->to) {
		switch (l->t[l->at]) {
		case '\n':
			l->at++;
			if (l->depth == 0)
				return false;
			break;
		case ';':
			while (l->at < l->to && l->t[l->at] != '\n')
				l->at++;
			break;
		case '(':
			l->depth++;
			l->at++;
			break;
		case ')':
			if (l->depth > 0)
				l->depth--;
			l->at++;
			break;
		default:
			if (!is_blank(l->t[l->at]))
				return true;
			l->at++;
		}
	}
	return false;
}

/* The next token, t[*off_out..l->at); false at the record's end. */
static bool
lex_next(struct lex *l, size_t *off_out)
{
	bool	quoted = false;
	char	c;

	if (!lex_skip(l))
		return false;
	*off_out = l->at;
	for (; l->at < l->to; l->at++) {
		c = l->t[l->at];
		if (c == '\\' && l->at + 1 < l->to)
			l->at++;
		else if (c == '"')
			quoted = !quoted;
		else if (!quoted && (is_blank(c) || memchr("\n;()", c, 4)))
			break;
	}
	return true;
}

/* Where the text of record r ends: just past the newline that closes it
 * (a comment on its last line included), not past the blank lines that
 * ldns may have read after it. */
static size_t
record_end(const char *src, const struct auth_zrr *r)
{
	struct lex	l = { src, r->start, r->end, 0 };
	size_t		off;

	while (lex_next(&l, &off))
		;
	return l.at;
}

/* Does r's line start with a blank, giving it the previous owner? */
static bool
owner_is_inherited(const char *src, const struct auth_zrr *r)
{
	return r->start < r->end &&
	    (src[r->start] == ' ' || src[r->start] == '\t');
}

/* The serial in the text of SOA record r: the third token after the
 * type (the owner, TTL and class come before it, "SOA" is not a TTL or
 * a class). */
static bool
soa_serial_at(const char *src, const struct auth_zrr *r, size_t *off_out,
    size_t *end_out)
{
	struct lex	l = { src, r->start, r->end, 0 };
	size_t		off;
	int		k = -1;

	if (!owner_is_inherited(src, r) && !lex_next(&l, &off))
		return false;
	while (lex_next(&l, &off)) {
		if (k >= 0 && ++k == 3) {
			*off_out = off;
			*end_out = l.at;
			return true;
		}
		if (k < 0 && l.at - off == 3 &&
		    strncasecmp(src + off, "SOA", 3) == 0)
			k = 0;
	}
	return false;
}

static enum soa_change
soa_change(const ldns_rr *a, const ldns_rr *b)
{
	ldns_rr		*c;
	ldns_rdf	*serial;
	enum soa_change	 ch = SOA_OTHER;

	if (ldns_rr_ttl(a) != ldns_rr_ttl(b) || ldns_rr_rd_count(a) < 3 ||
	    ldns_rr_rd_count(b) < 3)
		return SOA_OTHER;
	if (ldns_rr_compare(a, b) == 0)
		return SOA_SAME;
	if ((c = ldns_rr_clone(a)) == NULL)
		return SOA_OTHER;
	if ((serial = ldns_rdf_clone(ldns_rr_rdf(b, 2))) != NULL) {
		ldns_rdf_deep_free(ldns_rr_set_rdf(c, serial, 2));
		if (ldns_rr_compare(c, b) == 0)
			ch = SOA_SERIAL;
	}
	ldns_rr_free(c);
	return ch;
}

/* auth_zone_merge's step: marks old's records that new lacks and appends the
 * records new gained to the tail; the SOAs are the walk's business. */
static int
edit_mark(void *arg, size_t i, size_t j)
{
	struct edit	*e = arg;

	if (j == AUTH_ZONE_NONE && e->old->v[i].rr != e->old->soa)
		e->gone[i] = true;
	else if (i == AUTH_ZONE_NONE && e->new->v[j].rr != e->new->soa)
		return auth_zone_rr_line(e->tail, e->new->v[j].rr, e->eol,
		    e->err);
	return 0;
}

static int
by_place(const void *a, const void *b)
{
	const struct auth_zrr	*x = *(const struct auth_zrr *const *)a;
	const struct auth_zrr	*y = *(const struct auth_zrr *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Writes what kept record r needs before the text from *at on is copied:
 * its owner, if it inherited one that the record now before it does not
 * have; for a changed SOA, its text up to the serial and the new serial,
 * or the whole new SOA; *at moves past the text replaced.
 */
static int
edit_kept(struct edit *e, const struct auth_zrr *r, const ldns_rdf *prev,
    struct buf *out, size_t *at)
{
	const char	*src = e->old->src;
	bool		 soa = r->rr == e->old->soa && e->soa != SOA_SAME;
	size_t		 off = 0, end = 0;

	if (soa && (e->soa != SOA_SERIAL ||
	    !soa_serial_at(src, r, &off, &end))) {
		*at = record_end(src, r);
		return auth_zone_rr_line(out, e->new->soa, e->eol, e->err);
	}
	if (owner_is_inherited(src, r) && (prev == NULL ||
	    ldns_dname_compare(prev, ldns_rr_owner(r->rr)) != 0) &&
	    auth_zone_owner_text(out, r->rr, e->err) == -1)
		return -1;
	if (soa) {
		if (buf_add(out, src + *at, off - *at, e->err) == -1 ||
		    buf_printf(out, e->err, "%u",
		    auth_zone_serial(e->new)) == -1)
			return -1;
		*at = end;
	}
	return 0;
}

/* Copies old's text from *at to record r, then cuts r out or edits it;
 * *prev is the owner of the last record kept. */
static int
edit_record(struct edit *e, const struct auth_zrr *r, const ldns_rdf **prev,
    struct buf *out, size_t *at)
{
	const struct auth_zone	*z = e->old;

	if (r->start < *at || r->end > z->srclen) {
		err_set(e->err, AUTH_E_ZONE, "zone %s: records overlap in "
		    "its text", z->name);
		return -1;
	}
	if (buf_add(out, z->src + *at, r->start - *at, e->err) == -1)
		return -1;
	*at = r->start;
	if (e->gone[r - z->v]) {
		*at = record_end(z->src, r);
		return 0;
	}
	if (edit_kept(e, r, *prev, out, at) == -1)
		return -1;
	*prev = ldns_rr_owner(r->rr);
	return 0;
}

/* Old's source edited record by record, in the file's order. */
static int
edit_body(struct edit *e, struct buf *out)
{
	const struct auth_zone	*z = e->old;
	const struct auth_zrr	**ord;
	const ldns_rdf		*prev = NULL;
	size_t			 i, at = 0;
	int			 rc = 0;

	if ((ord = calloc(z->n, sizeof(*ord))) == NULL) {
		err_set(e->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < z->n; i++)
		ord[i] = &z->v[i];
	qsort(ord, z->n, sizeof(*ord), by_place);
	for (i = 0; rc == 0 && i < z->n; i++)
		rc = edit_record(e, ord[i], &prev, out, &at);
	if (rc == 0)
		rc = buf_add(out, z->src + at, z->srclen - at, e->err);
	free(ord);
	return rc;
}

/* The edit of old's source into new's master file, appended to out. */
static int
edit(const struct auth_zone *old, const struct auth_zone *new,
    struct buf *out, struct err *err)
{
	struct edit	 e = { .old = old, .new = new, .err = err };
	struct buf	 tail;
	const char	*nl = memchr(old->src, '\n', old->srclen);
	int		 rc = -1;

	e.eol = nl != NULL && nl > old->src && nl[-1] == '\r' ? "\r\n" : "\n";
	e.soa = soa_change(old->soa, new->soa);
	e.tail = &tail;
	buf_init(&tail, out->max);
	if ((e.gone = calloc(old->n, sizeof(*e.gone))) == NULL)
		err_set(err, ERR_NOMEM, "out of memory");
	else
		rc = auth_zone_merge(old->v, old->n, new->v, new->n, edit_mark,
		    &e);
	if (rc == 0)
		rc = edit_body(&e, out);
	/* Appended records start on a line of their own. */
	if (rc == 0 && tail.len > 0 && out->len > 0 &&
	    out->data[out->len - 1] != '\n')
		rc = buf_adds(out, e.eol, err);
	if (rc == 0)
		rc = buf_add(out, tail.data, tail.len, err);
	free(e.gone);
	buf_fini(&tail);
	return rc;
}

/* old with places for its records in its source: old itself, or, for a
 * zone given its source after UPDATE made it, that source loaded again
 * (*owned, for the caller to free) if it holds old's records; NULL if
 * there is no such source, or (err set) no memory to load it. */
static const struct auth_zone *
with_places(const struct auth_zone *old, struct auth_zone **owned,
    struct err *err)
{
	struct err	scratch;

	*owned = NULL;
	if (old->src == NULL)
		return NULL;
	if (old->src_ranges)
		return old;
	*owned = auth_zone_load(old->name, old->src, old->srclen, old->file,
	    &scratch);
	if (*owned == NULL && scratch.code == ERR_NOMEM)
		*err = scratch;
	return *owned != NULL && auth_zone_same(*owned, old) ? *owned : NULL;
}

/* The safety net: does text load back to exactly new's records?  1 or
 * 0; -1 (err) if there is no memory to tell. */
static int
loads_as(const struct auth_zone *new, const struct buf *text,
    struct err *err)
{
	struct auth_zone	*z;
	struct err		 scratch;
	int			 same;

	if ((z = auth_zone_load(new->name, text->data, text->len, new->file,
	    &scratch)) == NULL && scratch.code == ERR_NOMEM) {
		*err = scratch;
		return -1;
	}
	same = z != NULL && auth_zone_same(z, new);
	auth_zone_free(z);
	return same;
}

int
auth_zone_edit(const struct auth_zone *old, const struct auth_zone *new,
    struct buf *out, int *rewritten, struct err *err)
{
	const struct auth_zone	*o;
	struct auth_zone	*owned;
	struct buf		 b;
	struct err		 scratch;
	bool			 edited;
	int			 rc;

	buf_init(&b, out->max);
	err_clear(&scratch);
	o = with_places(old, &owned, &scratch);
	/* Whatever in the text stops the edit, the whole zone can still be
	 * written; not when memory is short, which would lose the file's
	 * comments and layout for good. */
	edited = o != NULL && edit(o, new, &b, &scratch) == 0 &&
	    loads_as(new, &b, &scratch) == 1;
	auth_zone_free(owned);
	if (!edited && scratch.code == ERR_NOMEM) {
		buf_fini(&b);
		*err = scratch;
		return -1;
	}
	if (rewritten != NULL)
		*rewritten = !edited;
	if (edited && buf_add(out, b.data, b.len, err) == -1) {
		buf_fini(&b);
		return -1;
	}
	buf_fini(&b);
	if (edited)
		return 0;
	/* The whole zone, which must load back just as well. */
	buf_init(&b, out->max);
	if (auth_zone_text(new, &b, err) == -1) {
		buf_fini(&b);
		return -1;
	}
	if ((rc = loads_as(new, &b, err)) != 1) {
		buf_fini(&b);
		if (rc == 0)
			err_set(err, AUTH_E_ZONE, "zone %s: no master file "
			    "loads back to the updated records", new->name);
		return -1;
	}
	rc = buf_add(out, b.data, b.len, err);
	buf_fini(&b);
	return rc;
}
