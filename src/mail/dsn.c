/*
 * dsn.c: delivery reports in (dsn.h): RFC 3464 section 2 (the
 * message/delivery-status body: per-message fields, then one block of
 * per-recipient fields each, blocks separated by empty lines), RFC 3463
 * status codes, and the text bounces of MTAs that send no DSN.
 *
 * No MIME tree is built: the delivery-status part is found by its
 * Content-Type line and read up to the next boundary line ("--..."),
 * which is all a report needs, and costs nothing on hostile nesting.
 * Every copy is bounded by its destination; the input is read once.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mail/dsn.h"

/* One line of in[0..len) from *off: its bytes without CR LF. */
static bool
next_line(const char *in, size_t len, size_t *off, const char **line,
    size_t *llen)
{
	size_t	i = *off, n;

	if (i >= len)
		return false;
	for (n = i; n < len && in[n] != '\n'; n++)
		;
	*line = in + i;
	*llen = n - i;
	if (*llen > 0 && in[n - 1] == '\r' && n < len)
		(*llen)--;
	else if (n == len && *llen > 0 && in[n - 1] == '\r')
		(*llen)--;
	*off = n < len ? n + 1 : n;
	return true;
}

static bool
starts_ci(const char *s, size_t len, const char *prefix)
{
	size_t	n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

static bool
contains_ci(const char *s, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp(s + i, needle, n) == 0)
			return true;
	return false;
}

static bool
is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies s[0..len), trimmed, into out[0..cap) (cut, NUL-terminated);
 * control bytes become spaces. */
static void
copy_trim(char *out, size_t cap, const char *s, size_t len)
{
	size_t	i;

	while (len > 0 && is_sp(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_sp(s[len - 1]))
		len--;
	if (len >= cap)
		len = cap - 1;
	for (i = 0; i < len; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' :
		    s[i];
	out[len] = '\0';
}

/* What follows the ';' of a typed value ("rfc822; a@b", "smtp; 550"),
 * or all of it if there is none. */
static void
after_type(const char *v, size_t len, const char **p, size_t *plen)
{
	const char	*semi = memchr(v, ';', len);

	if (semi != NULL) {
		*p = semi + 1;
		*plen = len - (size_t)(semi + 1 - v);
	} else {
		*p = v;
		*plen = len;
	}
}

/* An address as given, without angle brackets and spaces. */
static void
copy_addr(char *out, size_t cap, const char *v, size_t len)
{
	while (len > 0 && (is_sp(*v) || *v == '<')) {
		v++;
		len--;
	}
	while (len > 0 && (is_sp(v[len - 1]) || v[len - 1] == '>'))
		len--;
	copy_trim(out, cap, v, len);
}

bool
mail_dsn_find_status(const char *t, size_t len, char out[MAIL_DSN_STATUS_MAX])
{
	size_t	i, j, k, d;

	for (i = 0; i < len; i++) {
		if (t[i] != '2' && t[i] != '4' && t[i] != '5')
			continue;
		if (i > 0 && (isdigit((unsigned char)t[i - 1]) ||
		    t[i - 1] == '.'))
			continue;
		j = i + 1;
		if (j >= len || t[j] != '.')
			continue;
		for (k = 0; k < 2; k++) {
			j++;
			for (d = 0; j < len && d < 4 &&
			    isdigit((unsigned char)t[j]); d++)
				j++;
			if (d == 0 || d > 3)
				break;
			if (k == 0 && (j >= len || t[j] != '.'))
				break;
		}
		if (k < 2)
			continue;
		/* Not the start of a longer dotted number (an IP address). */
		if (j < len && (isdigit((unsigned char)t[j]) ||
		    (t[j] == '.' && j + 1 < len &&
		    isdigit((unsigned char)t[j + 1]))))
			continue;
		copy_trim(out, MAIL_DSN_STATUS_MAX, t + i, j - i);
		return true;
	}
	return false;
}

/* The per-recipient block being read. */
struct block {
	struct mail_dsn_rcpt	r;
	bool			has_final;
	bool			used;
};

static void
block_field(struct block *b, const char *f, size_t len)
{
	const char	*colon = memchr(f, ':', len), *v, *p;
	size_t		 nlen, vlen, plen;

	if (colon == NULL)
		return;
	nlen = (size_t)(colon - f);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (nlen > 0 && is_sp(f[nlen - 1]))
		nlen--;
#define NAMED(s)	(nlen == strlen(s) && strncasecmp(f, s, nlen) == 0)
	if (NAMED("final-recipient") || (NAMED("original-recipient") &&
	    !b->has_final)) {
		after_type(v, vlen, &p, &plen);
		copy_addr(b->r.recipient, sizeof(b->r.recipient), p, plen);
		if (NAMED("final-recipient"))
			b->has_final = true;
		b->used = true;
	} else if (NAMED("action")) {
		while (vlen > 0 && is_sp(*v)) {
			v++;
			vlen--;
		}
		if (starts_ci(v, vlen, "failed"))
			b->r.action = MAIL_DSN_FAILED;
		else if (starts_ci(v, vlen, "delayed"))
			b->r.action = MAIL_DSN_DELAYED;
		else if (starts_ci(v, vlen, "delivered"))
			b->r.action = MAIL_DSN_DELIVERED;
		else if (starts_ci(v, vlen, "relayed"))
			b->r.action = MAIL_DSN_RELAYED;
		else if (starts_ci(v, vlen, "expanded"))
			b->r.action = MAIL_DSN_EXPANDED;
		b->used = true;
	} else if (NAMED("status")) {
		(void)mail_dsn_find_status(v, vlen, b->r.status);
		b->used = true;
	} else if (NAMED("diagnostic-code")) {
		after_type(v, vlen, &p, &plen);
		copy_trim(b->r.diagnostic, sizeof(b->r.diagnostic), p, plen);
	}
#undef NAMED
}

static void
block_end(struct mail_dsn *out, struct block *b)
{
	/* A block with an Action or a recipient is a recipient's; the
	 * per-message block (Reporting-MTA, Arrival-Date) is neither. */
	if (b->used && out->nrcpt < MAIL_DSN_MAX_RCPT)
		out->rcpt[out->nrcpt++] = b->r;
	memset(b, 0, sizeof(*b));
}

/* The status fields from *off to the next boundary line or the end. */
static void
read_status(const char *in, size_t len, size_t *off, struct mail_dsn *out)
{
	struct block	 b;
	char		 field[2048];
	size_t		 flen = 0, llen;
	const char	*line;

	memset(&b, 0, sizeof(b));
	while (next_line(in, len, off, &line, &llen)) {
		if (llen >= 2 && line[0] == '-' && line[1] == '-')
			break;
		if (llen > 0 && (line[0] == ' ' || line[0] == '\t')) {
			/* Folded: one space for the fold, then the rest. */
			if (flen > 0 && flen + llen < sizeof(field)) {
				memcpy(field + flen, line, llen);
				flen += llen;
			}
			continue;
		}
		if (flen > 0)
			block_field(&b, field, flen);
		flen = 0;
		if (llen == 0) {
			block_end(out, &b);
			continue;
		}
		if (llen < sizeof(field)) {
			memcpy(field, line, llen);
			flen = llen;
		}
	}
	if (flen > 0)
		block_field(&b, field, flen);
	block_end(out, &b);
}

/* The first Message-ID field from *off on. */
static void
find_message_id(const char *in, size_t len, size_t off, struct mail_dsn *out)
{
	const char	*line, *lt, *gt;
	size_t		 llen;

	while (next_line(in, len, &off, &line, &llen)) {
		if (!starts_ci(line, llen, "message-id:"))
			continue;
		if ((lt = memchr(line, '<', llen)) == NULL ||
		    (gt = memchr(lt, '>', llen - (size_t)(lt - line))) == NULL)
			return;
		copy_trim(out->message_id, sizeof(out->message_id), lt,
		    (size_t)(gt - lt) + 1);
		return;
	}
}

/* Where an SMTP reply ("550 5.1.1 ...", "421-4.7.0 ...", or a code
 * after "said:" or "returned") starts in line, or -1. */
static long
reply_at(const char *l, size_t len)
{
	char	st[MAIL_DSN_STATUS_MAX];
	size_t	i;
	bool	told;

	told = contains_ci(l, len, "said:") || contains_ci(l, len, "error") ||
	    contains_ci(l, len, "returned") || contains_ci(l, len, "reply");
	for (i = 0; i + 3 <= len; i++) {
		if ((l[i] != '4' && l[i] != '5') ||
		    !isdigit((unsigned char)l[i + 1]) ||
		    !isdigit((unsigned char)l[i + 2]))
			continue;
		if (i > 0 && (isalnum((unsigned char)l[i - 1]) ||
		    l[i - 1] == '.' || l[i - 1] == '-'))
			continue;
		if (i + 3 < len && l[i + 3] != ' ' && l[i + 3] != '-')
			continue;
		if (i + 4 < len && mail_dsn_find_status(l + i + 4,
		    len - i - 4, st) && st[0] == l[i] &&
		    strncmp(l + i + 4, st, strlen(st)) == 0)
			return (long)i;
		if (told)
			return (long)i;
	}
	return -1;
}

/* "<addr>" in line[0..len), if the line starts with one. */
static bool
line_addr(const char *l, size_t len, char *out, size_t cap)
{
	const char	*gt;

	while (len > 0 && is_sp(*l)) {
		l++;
		len--;
	}
	if (len < 3 || l[0] != '<' ||
	    (gt = memchr(l, '>', len)) == NULL ||
	    memchr(l, '@', (size_t)(gt - l)) == NULL)
		return false;
	copy_addr(out, cap, l, (size_t)(gt - l) + 1);
	return true;
}

static void
read_text(const char *in, size_t len, size_t off, struct mail_dsn *out)
{
	struct mail_dsn_rcpt	*r = &out->rcpt[0];
	const char		*line, *prev[3] = { NULL, NULL, NULL };
	size_t			 llen, plen[3] = { 0, 0, 0 }, dlen, n, i;
	long			 at;
	char			 code[4];

	while (next_line(in, len, &off, &line, &llen)) {
		if ((at = reply_at(line, llen)) < 0) {
			if (llen > 0) {
				prev[2] = prev[1], plen[2] = plen[1];
				prev[1] = prev[0], plen[1] = plen[0];
				prev[0] = line, plen[0] = llen;
			}
			continue;
		}
		memset(r, 0, sizeof(*r));
		/* The address the MTA named: on the reply's line (Postfix:
		 * "<a@b>: host ... said: 550"), or on one of the lines just
		 * before it (qmail, Exim). */
		if (!line_addr(line, (size_t)at, r->recipient,
		    sizeof(r->recipient)))
			for (i = 0; i < 3 && prev[i] != NULL; i++)
				if (line_addr(prev[i], plen[i], r->recipient,
				    sizeof(r->recipient)))
					break;
		memcpy(code, line + at, 3);
		code[3] = '\0';
		copy_trim(r->diagnostic, sizeof(r->diagnostic), line + at,
		    llen - (size_t)at);
		/* "550-5.7.26 ... / 550-5.7.26 ...": one reply, many lines. */
		dlen = strlen(r->diagnostic);
		while (next_line(in, len, &off, &line, &llen)) {
			for (i = 0; i < llen && is_sp(line[i]); i++)
				;
			if (llen - i < 4 || memcmp(line + i, code, 3) != 0 ||
			    (line[i + 3] != ' ' && line[i + 3] != '-'))
				break;
			if (dlen + 2 >= sizeof(r->diagnostic))
				break;
			n = llen - i - 4;
			r->diagnostic[dlen++] = ' ';
			copy_trim(r->diagnostic + dlen,
			    sizeof(r->diagnostic) - dlen, line + i + 4, n);
			dlen = strlen(r->diagnostic);
		}
		(void)mail_dsn_find_status(r->diagnostic,
		    strlen(r->diagnostic), r->status);
		r->action = code[0] == '5' ? MAIL_DSN_FAILED :
		    MAIL_DSN_DELAYED;
		out->nrcpt = 1;
		return;
	}
}

void
mail_dsn_parse(const char *in, size_t len, struct mail_dsn *out)
{
	const char	*line;
	size_t		 off = 0, body, llen;

	memset(out, 0, sizeof(*out));
	if (in == NULL)
		return;
	while (next_line(in, len, &off, &line, &llen) && llen > 0)
		;
	body = off;
	while (next_line(in, len, &off, &line, &llen)) {
		if (!starts_ci(line, llen, "content-type:") ||
		    !contains_ci(line, llen, "delivery-status"))
			continue;
		while (next_line(in, len, &off, &line, &llen) && llen > 0)
			;
		out->standard = true;
		read_status(in, len, &off, out);
		find_message_id(in, len, off, out);
		return;
	}
	read_text(in, len, body, out);
	find_message_id(in, len, body, out);
}

bool
mail_dsn_is_policy(const char *status, const char *diag)
{
	char	st[MAIL_DSN_STATUS_MAX];
	size_t	dlen = diag == NULL ? 0 : strlen(diag);

	if (status != NULL && status[0] != '\0')
		copy_trim(st, sizeof(st), status, strlen(status));
	else if (!mail_dsn_find_status(diag, dlen, st))
		return false;
	if (strncmp(st, "5.7.", 4) != 0)
		return false;
	return contains_ci(diag, dlen, "dmarc") ||
	    contains_ci(diag, dlen, "spf") ||
	    contains_ci(diag, dlen, "policy") ||
	    contains_ci(diag, dlen, "spam");
}
