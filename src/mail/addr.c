/*
 * addr.c: address lists (RFC 5322 section 3.4, with the obsolete forms of
 * section 4.4).
 *
 * A lexer turns the value into words (atoms and quoted strings), domain
 * literals and the specials < > @ , : ; . and drops CFWS (whitespace,
 * folding and nested comments, section 3.2.2), remembering only whether
 * some came before each token: display names are rebuilt from their words
 * with single spaces where the input had any CFWS.  A recursive-descent
 * parser on top reads address-list, allowing the obsolete empty list
 * elements ("a@x, , b@y"), obs-route ("<@a,@b:u@x>"), obs-local-part and
 * obs-domain (CFWS around the dots), phrases with dots ("Joe Q. Public")
 * and, as RFC 822 mail still has it, a bare local part with no domain.
 *
 * Bytes with the high bit set are taken as atext or qtext (RFC 6532,
 * without checking the UTF-8); NUL is refused anywhere, as results are C
 * strings.  Error messages give the byte offset of the problem.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

enum mail_tok {
	MAIL_T_END,
	MAIL_T_ATOM,		/* text: the atom */
	MAIL_T_QSTR,		/* text: the content, unquoted and unfolded */
	MAIL_T_DLIT,		/* text: "[...]", FWS removed */
	MAIL_T_SPECIAL,		/* ch: one of < > @ , : ; . */
};

struct mail_lex {
	const char	*p;
	size_t		 len;
	size_t		 off;		/* next byte to read */
	enum mail_tok	 type;
	char		 ch;
	int		 ws;		/* CFWS came before this token */
	size_t		 start;		/* offset of this token */
	struct buf	 text;
};

struct mail_aparse {
	struct mail_lex		 lx;
	struct mail_addrs	*out;
	size_t			 cap;
	struct buf		 disp;
	struct buf		 local;
	struct buf		 domain;
};

static int
mail_addr_fail(struct mail_aparse *, struct err *, size_t,
    const char *, ...) __attribute__((__format__(printf, 4, 5)));

static int
mail_addr_fail(struct mail_aparse *ap, struct err *err, size_t off,
    const char *fmt, ...)
{
	char	what[128];
	va_list	va;

	va_start(va, fmt);
	vsnprintf(what, sizeof(what), fmt, va);
	va_end(va);
	err_set(err, MAIL_E_ADDR, "%s at offset %zu", what, off);
	return -1;
}

static int
mail_addr_nomem(struct err *err)
{
	err_set(err, ERR_NOMEM, "address: out of memory");
	return -1;
}

/* RFC 5322 section 3.2.3 atext, plus 8-bit bytes (RFC 6532). */
static int
mail_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
mail_is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips whitespace and comments (which nest, and hold quoted-pairs). */
static int
mail_lex_cfws(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	size_t		 depth, open;
	unsigned char	 c;

	while (lx->off < lx->len) {
		if (mail_is_fws((unsigned char)lx->p[lx->off])) {
			lx->ws = 1;
			lx->off++;
			continue;
		}
		if (lx->p[lx->off] != '(')
			break;
		lx->ws = 1;
		open = lx->off;
		depth = 0;
		do {
			if (lx->off >= lx->len || (lx->p[lx->off] == '\\' &&
			    lx->off + 1 >= lx->len))
				return mail_addr_fail(ap, err, open,
				    "unterminated comment");
			c = (unsigned char)lx->p[lx->off];
			if (c == '\\')
				c = (unsigned char)lx->p[++lx->off];
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			if (c == '\0')
				return mail_addr_fail(ap, err, lx->off,
				    "invalid character 0x00");
			lx->off++;
		} while (depth > 0);
	}
	return 0;
}

static int
mail_lex_add(struct mail_aparse *ap, const char *p, size_t n,
    struct err *err)
{
	return buf_add(&ap->lx.text, p, n, err) == -1 ? mail_addr_nomem(err) :
	    0;
}

/* Section 3.2.4: the content of a quoted string, quoted-pairs undone. */
static int
mail_lex_qstr(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	unsigned char	 c;

	lx->off++;
	for (;;) {
		if (lx->off >= lx->len)
			return mail_addr_fail(ap, err, lx->start,
			    "unterminated quoted string");
		c = (unsigned char)lx->p[lx->off];
		if (c == '"') {
			lx->off++;
			return 0;
		}
		if (c == '\\') {
			if (++lx->off >= lx->len)
				continue;
			c = (unsigned char)lx->p[lx->off];
		} else if (c == '\r' || c == '\n') {
			lx->off++;	/* folding is invisible */
			continue;
		}
		if (c == '\0')
			return mail_addr_fail(ap, err, lx->off,
			    "invalid character 0x00");
		if (mail_lex_add(ap, (const char *)&c, 1, err) == -1)
			return -1;
		lx->off++;
	}
}

/* Section 3.4.1 domain-literal, kept as written but for its FWS. */
static int
mail_lex_dlit(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	unsigned char	 c;
	size_t		 n;

	for (;;) {
		if (lx->off >= lx->len)
			return mail_addr_fail(ap, err, lx->start,
			    "unterminated domain literal");
		c = (unsigned char)lx->p[lx->off];
		n = 1;
		if (c == '\0')
			return mail_addr_fail(ap, err, lx->off,
			    "invalid character 0x00");
		if (c == '[' && lx->off > lx->start)
			return mail_addr_fail(ap, err, lx->off,
			    "'[' inside a domain literal");
		if (c == '\\') {
			if (lx->off + 1 >= lx->len)
				return mail_addr_fail(ap, err, lx->start,
				    "unterminated domain literal");
			if (lx->p[lx->off + 1] == '\0')
				return mail_addr_fail(ap, err, lx->off + 1,
				    "invalid character 0x00");
			n = 2;
		}
		if (!mail_is_fws(c) &&
		    mail_lex_add(ap, lx->p + lx->off, n, err) == -1)
			return -1;
		lx->off += n;
		if (c == ']')
			return 0;
	}
}

static int
mail_lex_next(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	unsigned char	 c;

	lx->ws = 0;
	buf_reset(&lx->text);
	if (mail_lex_cfws(ap, err) == -1)
		return -1;
	lx->start = lx->off;
	if (lx->off >= lx->len) {
		lx->type = MAIL_T_END;
		return 0;
	}
	c = (unsigned char)lx->p[lx->off];
	if (c == '"') {
		lx->type = MAIL_T_QSTR;
		return mail_lex_qstr(ap, err);
	}
	if (c == '[') {
		lx->type = MAIL_T_DLIT;
		return mail_lex_dlit(ap, err);
	}
	if (mail_is_atext(c)) {
		while (lx->off < lx->len &&
		    mail_is_atext((unsigned char)lx->p[lx->off]))
			lx->off++;
		lx->type = MAIL_T_ATOM;
		return mail_lex_add(ap, lx->p + lx->start,
		    lx->off - lx->start, err);
	}
	if (c != '\0' && strchr("<>@,:;.", c) != NULL) {
		lx->type = MAIL_T_SPECIAL;
		lx->ch = (char)c;
		lx->off++;
		return 0;
	}
	if (c == ')' || c == ']')
		return mail_addr_fail(ap, err, lx->off, "unbalanced '%c'", c);
	if (c == '\\')
		return mail_addr_fail(ap, err, lx->off,
		    "'\\' outside a quoted string");
	return mail_addr_fail(ap, err, lx->off, "invalid character 0x%02x", c);
}

/*
 * Input quoted in an error message: at most size - 1 bytes, printable
 * US-ASCII only, so that a message cannot smuggle control characters or
 * broken UTF-8 into a log.
 */
static const char *
mail_addr_quote(const char *in, char *s, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && in != NULL && in[i] != '\0'; i++)
		s[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	s[i] = '\0';
	return s;
}

static int
mail_tok_is(const struct mail_lex *lx, char ch)
{
	return lx->type == MAIL_T_SPECIAL && lx->ch == ch;
}

static int
mail_tok_is_word(const struct mail_lex *lx)
{
	return lx->type == MAIL_T_ATOM || lx->type == MAIL_T_QSTR;
}

/* Names the current token for an error message. */
static const char *
mail_tok_name(const struct mail_lex *lx, char *s, size_t size)
{
	char	q[25];

	switch (lx->type) {
	case MAIL_T_END:
		return "the end";
	case MAIL_T_ATOM:
		snprintf(s, size, "\"%s\"", mail_addr_quote(lx->text.data,
		    q, sizeof(q)));
		return s;
	case MAIL_T_QSTR:
		return "a quoted string";
	case MAIL_T_DLIT:
		return "a domain literal";
	case MAIL_T_SPECIAL:
		break;
	}
	snprintf(s, size, "'%c'", lx->ch);
	return s;
}

static int
mail_addr_unexpected(struct mail_aparse *ap, struct err *err,
    const char *where)
{
	char	name[40];

	return mail_addr_fail(ap, err, ap->lx.start, "unexpected %s %s",
	    mail_tok_name(&ap->lx, name, sizeof(name)), where);
}

/* domain = dot-atom / domain-literal / obs-domain, after the '@'. */
static int
mail_addr_domain(struct mail_aparse *ap, struct buf *dst, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;

	buf_reset(dst);
	if (lx->type == MAIL_T_DLIT) {
		if (buf_add(dst, lx->text.data, lx->text.len, err) == -1)
			return mail_addr_nomem(err);
		return mail_lex_next(ap, err);
	}
	for (;;) {
		if (lx->type != MAIL_T_ATOM)
			return mail_addr_fail(ap, err, lx->start, "%s",
			    dst->len == 0 ? "missing domain after '@'" :
			    "missing domain label after '.'");
		if (buf_add(dst, lx->text.data, lx->text.len, err) == -1)
			return mail_addr_nomem(err);
		if (mail_lex_next(ap, err) == -1)
			return -1;
		if (!mail_tok_is(lx, '.'))
			return 0;
		if (buf_addc(dst, '.', err) == -1)
			return mail_addr_nomem(err);
		if (mail_lex_next(ap, err) == -1)
			return -1;
	}
}

/* strdup(), but through our malloc, which the unit test can make fail. */
static char *
mail_addr_strdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*d;

	if ((d = malloc(n)) != NULL)
		memcpy(d, s, n);
	return d;
}

static int
mail_addr_add(struct mail_aparse *ap, const char *display, const char *local,
    const char *domain, struct err *err)
{
	struct mail_addrs	*out = ap->out;
	struct mail_mailbox	*v, *m;
	size_t			 cap;

	if (out->n == ap->cap) {
		cap = ap->cap ? ap->cap * 2 : 4;
		if ((v = reallocarray(out->v, cap, sizeof(*v))) == NULL)
			return mail_addr_nomem(err);
		out->v = v;
		ap->cap = cap;
	}
	m = &out->v[out->n];
	m->display = mail_addr_strdup(display);
	m->local = mail_addr_strdup(local);
	m->domain = domain != NULL ? mail_addr_strdup(domain) : NULL;
	if (m->display == NULL || m->local == NULL ||
	    (domain != NULL && m->domain == NULL)) {
		free(m->display);
		free(m->local);
		free(m->domain);
		return mail_addr_nomem(err);
	}
	out->n++;
	return 0;
}

/* addr-spec (or obs-local-part "@" obs-domain) inside an angle-addr. */
static int
mail_addr_spec(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	char		 q[41];

	buf_reset(&ap->local);
	for (;;) {
		if (!mail_tok_is_word(lx))
			return ap->local.len == 0 ?
			    mail_addr_unexpected(ap, err, "after '<'") :
			    mail_addr_fail(ap, err, lx->start,
			    "missing word after '.' in local part");
		if (buf_add(&ap->local, lx->text.data, lx->text.len,
		    err) == -1)
			return mail_addr_nomem(err);
		if (mail_lex_next(ap, err) == -1)
			return -1;
		if (!mail_tok_is(lx, '.'))
			break;
		if (buf_addc(&ap->local, '.', err) == -1)
			return mail_addr_nomem(err);
		if (mail_lex_next(ap, err) == -1)
			return -1;
	}
	if (!mail_tok_is(lx, '@'))
		return mail_addr_fail(ap, err, lx->start, "missing '@' in "
		    "\"%s\"", mail_addr_quote(ap->local.data, q, sizeof(q)));
	if (mail_lex_next(ap, err) == -1)
		return -1;
	return mail_addr_domain(ap, &ap->domain, err);
}

/* angle-addr, with obs-route (section 4.4), from its '<'. */
static int
mail_addr_angle(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	size_t		 open = lx->start;

	if (mail_lex_next(ap, err) == -1)
		return -1;
	if (mail_tok_is(lx, '>'))
		return mail_addr_fail(ap, err, open, "empty address '<>'");
	if (mail_tok_is(lx, '@') || mail_tok_is(lx, ',')) {
		while (mail_tok_is(lx, ','))
			if (mail_lex_next(ap, err) == -1)
				return -1;
		for (;;) {
			if (!mail_tok_is(lx, '@'))
				return mail_addr_unexpected(ap, err,
				    "in route");
			if (mail_lex_next(ap, err) == -1 ||
			    mail_addr_domain(ap, &ap->domain, err) == -1)
				return -1;
			if (!mail_tok_is(lx, ','))
				break;
			while (mail_tok_is(lx, ','))
				if (mail_lex_next(ap, err) == -1)
					return -1;
			if (mail_tok_is(lx, ':'))
				break;
		}
		if (!mail_tok_is(lx, ':'))
			return mail_addr_fail(ap, err, lx->start,
			    "route not ended by ':'");
		if (mail_lex_next(ap, err) == -1)
			return -1;
	}
	if (mail_addr_spec(ap, err) == -1)
		return -1;
	if (lx->type == MAIL_T_END)
		return mail_addr_fail(ap, err, open, "'<' without '>'");
	if (!mail_tok_is(lx, '>'))
		return mail_addr_unexpected(ap, err, "in angle address");
	return mail_lex_next(ap, err);
}

static int	mail_addr_address(struct mail_aparse *, int, struct err *);

/* group, from its ':' (the display name is in ap->disp). */
static int
mail_addr_group(struct mail_aparse *ap, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	char		 name[48];

	mail_addr_quote(ap->disp.data, name, sizeof(name));
	if (mail_lex_next(ap, err) == -1)
		return -1;
	for (;;) {
		while (mail_tok_is(lx, ','))
			if (mail_lex_next(ap, err) == -1)
				return -1;
		if (mail_tok_is(lx, ';'))
			break;
		if (lx->type != MAIL_T_END &&
		    mail_addr_address(ap, 1, err) == -1)
			return -1;
		if (lx->type == MAIL_T_END)
			return mail_addr_fail(ap, err, lx->start,
			    "group \"%s\" without ';'", name);
		if (mail_tok_is(lx, ';'))
			break;
		if (!mail_tok_is(lx, ','))
			return mail_addr_unexpected(ap, err, "in group");
	}
	return mail_lex_next(ap, err);
}

/* Appends the current word or dot to dst. */
static int
mail_addr_put(struct buf *dst, const struct mail_lex *lx, struct err *err)
{
	if (mail_tok_is_word(lx))
		return buf_add(dst, lx->text.data, lx->text.len, err);
	return buf_addc(dst, '.', err);
}

/*
 * address, mailbox in a group: the leading words may be a display name (if
 * '<' or ':' follows) or a local part (if '@' follows), so both readings
 * are built as the words come.
 */
static int
mail_addr_address(struct mail_aparse *ap, int in_group, struct err *err)
{
	struct mail_lex	*lx = &ap->lx;
	size_t		 start = lx->start;
	int		 first = 1, want_word = 1, local_ok = 1, disp_ok = 1;
	int		 word;
	char		 q[41];

	buf_reset(&ap->disp);
	buf_reset(&ap->local);
	while (mail_tok_is_word(lx) || mail_tok_is(lx, '.')) {
		word = mail_tok_is_word(lx);
		if ((!first && lx->ws &&
		    buf_addc(&ap->disp, ' ', err) == -1) ||
		    mail_addr_put(&ap->disp, lx, err) == -1 ||
		    mail_addr_put(&ap->local, lx, err) == -1)
			return mail_addr_nomem(err);
		if (word != want_word)
			local_ok = 0;
		if (first && !word)
			disp_ok = 0;
		want_word = !word;
		first = 0;
		if (mail_lex_next(ap, err) == -1)
			return -1;
	}
	if (want_word)
		local_ok = 0;
	if (mail_tok_is(lx, '<')) {
		if (!disp_ok)
			return mail_addr_fail(ap, err, start,
			    "display name starts with '.'");
		if (mail_addr_angle(ap, err) == -1)
			return -1;
		return mail_addr_add(ap, ap->disp.len ? ap->disp.data : "",
		    ap->local.data, ap->domain.data, err);
	}
	if (mail_tok_is(lx, ':')) {
		if (first)
			return mail_addr_fail(ap, err, lx->start,
			    "group without a name");
		if (in_group)
			return mail_addr_fail(ap, err, lx->start,
			    "group inside a group");
		if (!disp_ok)
			return mail_addr_fail(ap, err, start,
			    "group name starts with '.'");
		return mail_addr_group(ap, err);
	}
	if (first)
		return mail_addr_unexpected(ap, err, "where an address "
		    "should be");
	if (!local_ok)
		return mail_addr_fail(ap, err, start, "%s \"%s\"",
		    mail_tok_is(lx, '@') ? "invalid local part" :
		    "missing '@' or '<' after", mail_addr_quote(ap->disp.data,
		    q, sizeof(q)));
	if (mail_tok_is(lx, '@')) {
		if (mail_lex_next(ap, err) == -1 ||
		    mail_addr_domain(ap, &ap->domain, err) == -1)
			return -1;
		return mail_addr_add(ap, "", ap->local.data, ap->domain.data,
		    err);
	}
	if (lx->type == MAIL_T_END || mail_tok_is(lx, ',') ||
	    (in_group && mail_tok_is(lx, ';')))	/* bare local part */
		return mail_addr_add(ap, "", ap->local.data, NULL, err);
	return mail_addr_unexpected(ap, err, "after a local part");
}

int
mail_addrs_parse(const char *s, size_t len, struct mail_addrs *out,
    struct err *err)
{
	struct mail_aparse	 ap;
	struct mail_lex		*lx = &ap.lx;
	size_t			 naddr = 0;
	int			 rc = -1;

	out->v = NULL;
	out->n = 0;
	memset(&ap, 0, sizeof(ap));
	ap.out = out;
	lx->p = s;
	lx->len = len;
	/* Nothing decoded is longer than the input. */
	buf_init(&lx->text, len + 1);
	buf_init(&ap.disp, len + 1);
	buf_init(&ap.local, len + 1);
	buf_init(&ap.domain, len + 1);
	if (mail_lex_next(&ap, err) == -1)
		goto done;
	for (;;) {
		while (mail_tok_is(lx, ','))
			if (mail_lex_next(&ap, err) == -1)
				goto done;
		if (lx->type == MAIL_T_END)
			break;
		if (mail_addr_address(&ap, 0, err) == -1)
			goto done;
		naddr++;
		if (lx->type == MAIL_T_END)
			break;
		if (!mail_tok_is(lx, ',')) {
			mail_addr_unexpected(&ap, err, "after an address");
			goto done;
		}
	}
	if (naddr == 0) {
		err_set(err, MAIL_E_ADDR, "no address");
		goto done;
	}
	rc = 0;
done:
	buf_fini(&lx->text);
	buf_fini(&ap.disp);
	buf_fini(&ap.local);
	buf_fini(&ap.domain);
	if (rc == -1)
		mail_addrs_fini(out);
	return rc;
}

void
mail_addrs_fini(struct mail_addrs *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].display);
		free(a->v[i].local);
		free(a->v[i].domain);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
