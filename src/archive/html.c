/*
 * html.c: the static web view of a list's archive (archive.h): what a
 * message says (its decoded header fields, its text and the list of its
 * other parts), the threads (References and In-Reply-To, RFC 5322
 * section 3.6.4), and the pages: a page per thread, a page per month
 * (ARCHIVE_HTML_PAGE threads a page, in as many pages as it takes),
 * the index of months and an Atom feed (RFC 4287).  No I/O: the bytes
 * come from the caller (site.c reads them from the inbox's git), which
 * makes this the parser tests/fuzz/fuzz_archive_html.c drives.
 *
 * Everything a message says is untrusted and shown as text only:
 * RFC 2047 encoded words are decoded (their charset made UTF-8 with
 * iconv(3)), then every address-like word is masked ("b…@example.net"),
 * then the result is escaped for HTML and XML.  Bodies are MIME (RFC
 * 2045, 2046): base64 and quoted-printable are decoded; text/plain parts
 * of at most ARCHIVE_HTML_INLINE_MAX bytes are shown; every other part
 * (text/html among them: a post's HTML is never rendered) is listed by
 * name, type and size, with a download link to a file of our naming
 * ("K.bin", application/octet-stream to any static server) when the
 * caller stores the parts (archive_view's part).  Pages carry a Content-Security-Policy that
 * forbids scripts, as a second wall behind the escaping.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "archive/archive.h"
#include "util/buf.h"
#include "util/err.h"

#define PAGE_MAX	(256u * 1024 * 1024)	/* bytes of one page */
#define FIELD_MAX	(64u * 1024)		/* a header field we read */
#define SHOWN_MAX	(1024u * 1024)		/* text shown per message */
#define DEPTH_MAX	8			/* nested multiparts */
#define PARTS_MAX	256			/* parts of one message */
#define REFS_MAX	64			/* References we keep */
#define CHAIN_MAX	4096			/* a thread's depth */
#define SUMMARY_MAX	1000			/* bytes of text in the feed */
#define NONE		((size_t)-1)

static const char ellipsis[] = "\xe2\x80\xa6";	/* U+2026 */

/* ---- text: UTF-8, charsets, masking, escaping ---- */

/* Length of the valid UTF-8 sequence at s[0..n), 0 if there is none
 * (overlong forms, surrogates and code points past U+10FFFF refused). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	c;
	size_t		k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	c = s[0] & (0x7f >> k);
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (k == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return k;
}

/* Appends s[0..n) as valid UTF-8: a byte that does not begin a valid
 * sequence becomes U+FFFD. */
static int
add_utf8(struct buf *b, const char *s, size_t n, struct err *err)
{
	size_t	i = 0, k;

	while (i < n) {
		k = utf8_len((const unsigned char *)s + i, n - i);
		if (k == 0) {
			if (buf_adds(b, "\xef\xbf\xbd", err) == -1)
				return -1;
			i++;
			continue;
		}
		if (buf_add(b, s + i, k, err) == -1)
			return -1;
		i += k;
	}
	return 0;
}

static bool
is_utf8_name(const char *cs)
{
	return cs[0] == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0;
}

/* Appends s[0..n), in charset cs, as UTF-8.  A charset iconv does not
 * know is read as UTF-8; bytes it cannot convert become U+FFFD. */
static int
add_charset(struct buf *b, const char *cs, const char *s, size_t n,
    struct err *err)
{
	iconv_t	 cd;
	char	 tmp[1024], *in = (char *)(uintptr_t)s, *o;
	size_t	 left = n, room, r;
	int	 rc = 0;

	if (is_utf8_name(cs) || strlen(cs) > 64 ||
	    (cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return add_utf8(b, s, n, err);
	while (left > 0 && rc == 0) {
		o = tmp;
		room = sizeof(tmp);
		r = iconv(cd, &in, &left, &o, &room);
		if (o > tmp)
			rc = add_utf8(b, tmp, (size_t)(o - tmp), err);
		if (r == (size_t)-1 && errno != E2BIG && rc == 0) {
			/* EILSEQ or EINVAL: one byte the charset has not. */
			rc = buf_adds(b, "\xef\xbf\xbd", err);
			in++;
			left--;
		}
	}
	iconv_close(cd);
	return rc;
}

/* RFC 5322 atext, the bytes of a local part (and UTF-8's, RFC 6532). */
static bool
is_atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || strchr("!#$%&'*+/=?^_`{|}~.-", c) !=
	    NULL;
}

/*
 * s[0..n) (UTF-8) with every local part before an '@' cut to its first
 * character and an ellipsis: "bob@example.net" is "b…@example.net",
 * "\"b o b\"@x" "b…@x".  Whatever precedes an '@' in the output is then
 * the ellipsis or a byte that no local part holds.
 */
static int
add_masked(struct buf *b, const char *s, size_t n, struct err *err)
{
	size_t	i, j, from = 0, k, start;
	bool	quoted;

	for (i = 0; i < n; i++) {
		if (s[i] != '@')
			continue;
		j = i;
		quoted = false;
		if (j > from && s[j - 1] == '"') {
			for (k = j - 1; k > from && j - k < 256; k--)
				if (s[k - 1] == '"') {
					quoted = true;
					break;
				}
			if (quoted)
				j = k - 1;
		}
		if (!quoted)
			while (j > from && is_atext((unsigned char)s[j - 1]))
				j--;
		if (j == i) {
			if (buf_add(b, s + from, i + 1 - from, err) == -1)
				return -1;
			from = i + 1;
			continue;
		}
		if (buf_add(b, s + from, j - from, err) == -1)
			return -1;
		start = quoted ? j + 1 : j;
		k = start < i ? utf8_len((const unsigned char *)s + start,
		    i - start) : 0;
		if (quoted && k == 1 && s[start] == '"')
			k = 0;
		if ((k > 0 && buf_add(b, s + start, k, err) == -1) ||
		    buf_adds(b, ellipsis, err) == -1 || buf_addc(b, '@', err) ==
		    -1)
			return -1;
		from = i + 1;
	}
	return buf_add(b, s + from, n - from, err);
}

/*
 * Appends s[0..n) escaped for HTML and XML: the five special characters
 * as references, control bytes but tab and newline (which XML 1.0 does
 * not allow) dropped, and newlines kept only if lines.
 */
static int
add_esc(struct buf *b, const char *s, size_t n, bool lines, struct err *err)
{
	const char	*r;
	size_t		 i, from = 0;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		switch (c) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		case '\n': r = lines ? "\n" : " "; break;
		case '\t': r = lines ? "\t" : " "; break;
		default:
			if (c >= 0x20 && c != 0x7f)
				continue;
			r = "";
		}
		if (buf_add(b, s + from, i - from, err) == -1 ||
		    buf_adds(b, r, err) == -1)
			return -1;
		from = i + 1;
	}
	return buf_add(b, s + from, n - from, err);
}

/* Appends s[0..n) (valid UTF-8) as shown: the bytes escaping drops
 * dropped first, lest "a\001@x" be masked as it stands and shown as
 * "a@x", then masked. */
static int
add_shown(struct buf *b, const char *s, size_t n, struct err *err)
{
	struct buf	c;
	size_t		i, from = 0;
	int		rc = 0;

	buf_init(&c, n + 1);
	for (i = 0; i < n && rc == 0; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] !=
		    '\t') || s[i] == 0x7f) {
			rc = buf_add(&c, s + from, i - from, err);
			from = i + 1;
		}
	if (rc == 0)
		rc = buf_add(&c, s + from, n - from, err);
	if (rc == 0)
		rc = add_masked(b, c.data != NULL ? c.data : "", c.len, err);
	buf_fini(&c);
	return rc;
}

/* Appends the masked, escaped text s[0..n) (valid UTF-8). */
static int
add_text(struct buf *b, const char *s, size_t n, bool lines,
    struct err *err)
{
	struct buf	m;
	int		rc;

	buf_init(&m, 2 * n + 64);
	rc = add_shown(&m, s, n, err);
	if (rc == 0)
		rc = add_esc(b, m.data != NULL ? m.data : "", m.len, lines, err);
	buf_fini(&m);
	return rc;
}

/* ---- header fields (LF lines, as the inbox keeps them) ---- */

/* The end of the header section of m[0..n): the offset of the body
 * (just past the empty line), or n if there is none. */
static size_t
body_off(const char *m, size_t n, size_t *hlen_out)
{
	size_t	i;

	if (n > 0 && m[0] == '\n') {
		*hlen_out = 0;
		return 1;
	}
	if (n > 1 && m[0] == '\r' && m[1] == '\n') {
		*hlen_out = 0;
		return 2;
	}
	for (i = 0; i + 1 < n; i++) {
		if (m[i] != '\n')
			continue;
		if (m[i + 1] == '\n') {
			*hlen_out = i + 1;
			return i + 2;
		}
		if (m[i + 1] == '\r' && i + 2 < n && m[i + 2] == '\n') {
			*hlen_out = i + 1;
			return i + 3;
		}
	}
	*hlen_out = n;
	return n;
}

/*
 * The value of the first field named name in h[0..n), unfolded (line
 * ends and CRs dropped, continuation lines joined) and trimmed, into v
 * (reset first).  -1 if there is no such field.
 */
static int
field(const char *h, size_t n, const char *name, struct buf *v)
{
	struct err	err;
	size_t		i = 0, nl = strlen(name), e;

	buf_reset(v);
	while (i < n) {
		if (n - i > nl && strncasecmp(h + i, name, nl) == 0) {
			e = i + nl;
			while (e < n && (h[e] == ' ' || h[e] == '\t'))
				e++;
			if (e < n && h[e] == ':') {
				for (e++; e < n; e++) {
					if (h[e] == '\n' && (e + 1 >= n ||
					    (h[e + 1] != ' ' && h[e + 1] !=
					    '\t')))
						break;
					if (h[e] == '\n' || h[e] == '\r')
						continue;
					if (buf_addc(v, h[e], &err) == -1)
						break;
				}
				while (v->len > 0 && (v->data[v->len - 1] ==
				    ' ' || v->data[v->len - 1] == '\t'))
					v->len--;
				i = 0;
				while (i < v->len && (v->data[i] == ' ' ||
				    v->data[i] == '\t'))
					i++;
				buf_drop(v, i);
				if (v->data != NULL)
					v->data[v->len] = '\0';
				return 0;
			}
		}
		while (i < n && h[i] != '\n')
			i++;
		i++;
	}
	return -1;
}

/* ---- RFC 2047 encoded words, RFC 2045 transfer encodings ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Base64, lenient as mail readers are: bytes outside the alphabet are
 * skipped, decoding stops at '='. */
static int
add_b64(struct buf *b, const char *s, size_t n, struct err *err)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*p;
	uint32_t		 acc = 0;
	unsigned		 bits = 0;
	size_t			 i;

	for (i = 0; i < n && s[i] != '='; i++) {
		if (s[i] == '\0' || (p = strchr(a, s[i])) == NULL)
			continue;
		acc = acc << 6 | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (buf_addc(b, (char)(acc >> bits & 0xff), err) == -1)
				return -1;
		}
	}
	return 0;
}

/* Quoted-printable (RFC 2045 section 6.7); q: the Q encoding of RFC
 * 2047 section 4.2, where '_' is a space. */
static int
add_qp(struct buf *b, const char *s, size_t n, bool q, struct err *err)
{
	size_t	i;
	int	h, l;
	char	c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '=' && i + 1 < n && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (c == '=' && i + 2 < n && (h = hexval((unsigned char)s[i +
		    1])) >= 0 && (l = hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(h << 4 | l);
			i += 2;
		} else if (q && c == '_')
			c = ' ';
		if (buf_addc(b, c, err) == -1)
			return -1;
	}
	return 0;
}

/* One encoded word =?cs?e?text?= at s[0..n): its length, 0 if none. */
static size_t
word_len(const char *s, size_t n, size_t *cs_end, size_t *text)
{
	size_t	i, q = 0;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	for (i = 2; i < n && i < 200; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
			return 0;
		if (s[i] != '?')
			continue;
		if (++q == 1)
			*cs_end = i;
		else if (q == 2) {
			if (i != *cs_end + 2 || strchr("bBqQ", s[i - 1]) ==
			    NULL)
				return 0;
			*text = i + 1;
		} else if (i + 1 < n && s[i + 1] == '=')
			return i + 2;
	}
	return 0;
}

/*
 * Appends the header value s[0..n) with its encoded words decoded (RFC
 * 2047: whitespace between two of them dropped; an RFC 2231 language
 * after '*' ignored), as one line of valid UTF-8: control characters
 * the words decode to become spaces.
 */
static int
add_decoded(struct buf *b, const char *s, size_t n, struct err *err)
{
	struct buf	 w, raw;
	char		 cs[72], *star;
	size_t		 i = 0, k, j, cs_end = 0, text = 0, from = 0;
	bool		 after_word = false, blank;
	int		 rc = 0;

	buf_init(&w, 4 * n + 64);
	buf_init(&raw, n + 1);
	while (i < n && rc == 0) {
		if ((k = word_len(s + i, n - i, &cs_end, &text)) == 0) {
			i++;
			continue;
		}
		for (blank = true, j = from; j < i; j++)
			if (s[j] != ' ' && s[j] != '\t')
				blank = false;
		if (!(after_word && blank))
			rc = add_utf8(&w, s + from, i - from, err);
		snprintf(cs, sizeof(cs), "%.*s", (int)(cs_end - 2 < 64 ?
		    cs_end - 2 : 64), s + i + 2);
		if ((star = strchr(cs, '*')) != NULL)
			*star = '\0';
		buf_reset(&raw);
		if (rc == 0)
			rc = strchr("bB", s[i + cs_end + 1]) != NULL ?
			    add_b64(&raw, s + i + text, k - 2 - text, err) :
			    add_qp(&raw, s + i + text, k - 2 - text, true, err);
		if (rc == 0)
			rc = add_charset(&w, cs, raw.data != NULL ? raw.data :
			    "", raw.len, err);
		i += k;
		from = i;
		after_word = true;
	}
	if (rc == 0)
		rc = add_utf8(&w, s + from, n - from, err);
	for (i = 0; rc == 0 && i < w.len; i++)
		if ((unsigned char)w.data[i] < 0x20 || w.data[i] == 0x7f)
			w.data[i] = ' ';
	if (rc == 0)
		rc = buf_add(b, w.data != NULL ? w.data : "", w.len, err);
	buf_fini(&w);
	buf_fini(&raw);
	return rc;
}

/*
 * The parameter name of a Content-Type or Content-Disposition value
 * v[0..n) into out (reset): a token or quoted string, or the RFC 2231
 * extended form name*=charset'lang'%XX (its continuations not joined).
 * -1 if it is not there.
 */
static int
param(const char *v, size_t n, const char *name, struct buf *out)
{
	struct err	 err;
	struct buf	 raw;
	char		 cs[72];
	size_t		 i = 0, nl = strlen(name), e, q1, q2;
	int		 h, l;
	bool		 ext;

	buf_reset(out);
	while (i < n) {
		while (i < n && v[i] != ';')
			if (v[i++] == '"')
				while (i < n && v[i] != '"')
					i += v[i] == '\\' ? 2 : 1;
		if (i >= n)
			return -1;
		for (i++; i < n && (v[i] == ' ' || v[i] == '\t'); i++)
			;
		if (n - i <= nl || strncasecmp(v + i, name, nl) != 0)
			continue;
		e = i + nl;
		ext = e < n && v[e] == '*';
		if (ext && e + 1 < n && v[e + 1] != '=')
			continue;	/* name*0*=: continuations */
		e += ext;
		while (e < n && (v[e] == ' ' || v[e] == '\t'))
			e++;
		if (e >= n || v[e] != '=')
			continue;
		for (e++; e < n && (v[e] == ' ' || v[e] == '\t'); e++)
			;
		if (e < n && v[e] == '"') {
			for (e++; e < n && v[e] != '"'; e++) {
				if (v[e] == '\\' && e + 1 < n)
					e++;
				if (buf_addc(out, v[e], &err) == -1)
					return -1;
			}
			return 0;
		}
		for (i = e; e < n && v[e] != ';' && v[e] != ' ' && v[e] !=
		    '\t'; e++)
			;
		if (!ext)
			return buf_add(out, v + i, e - i, &err);
		/* RFC 2231 section 4: charset'language'percent-encoded. */
		for (q1 = i; q1 < e && v[q1] != '\''; q1++)
			;
		for (q2 = q1 + 1; q2 < e && v[q2] != '\''; q2++)
			;
		if (q2 >= e)
			return buf_add(out, v + i, e - i, &err);
		snprintf(cs, sizeof(cs), "%.*s", (int)(q1 - i < 64 ? q1 - i :
		    64), v + i);
		buf_init(&raw, e - q2 + 1);
		for (i = q2 + 1; i < e; i++) {
			if (v[i] == '%' && i + 2 < e && (h = hexval((unsigned
			    char)v[i + 1])) >= 0 && (l = hexval((unsigned
			    char)v[i + 2])) >= 0) {
				(void)buf_addc(&raw, (char)(h << 4 | l), &err);
				i += 2;
			} else
				(void)buf_addc(&raw, v[i], &err);
		}
		h = add_charset(out, cs, raw.data != NULL ? raw.data : "",
		    raw.len, &err);
		buf_fini(&raw);
		return h;
	}
	return -1;
}

/* ---- one message: its fields and its parts ---- */

struct body {
	struct buf	text;		/* the shown text, UTF-8, raw */
	struct buf	parts;		/* <li> items, escaped */
	unsigned	nparts;
	size_t		shown;
	struct err	*err;
	int		rc;
	const struct archive_view *w;	/* NULL: no links (the feed) */
	const char	*id;		/* the message's blob */
};

/* The media type of a Content-Type value, lower case, into t. */
static void
media_type(const char *v, size_t n, char *t, size_t tsize)
{
	size_t	i, k = 0;

	for (i = 0; i < n && v[i] != ';' && k + 1 < tsize; i++)
		if (v[i] != ' ' && v[i] != '\t')
			t[k++] = (char)tolower((unsigned char)v[i]);
	t[k] = '\0';
}

/*
 * Lists a part that is not shown: its name, type and size, and with a
 * part callback a link to its bytes, stored under a name of ours
 * ("K.bin": no server guesses HTML or a script from it) and fetched
 * with the download attribute, so that a browser saves the part as a
 * file (its name escaped and masked) and never renders it.
 */
static void
list_part(struct body *bd, const char *name, const char *type,
    const struct buf *data, const char *why)
{
	char		num[96], href[160];
	unsigned	k = bd->nparts + 1;

	if (bd->rc != 0)
		return;
	snprintf(num, sizeof(num), ", %zu bytes%s)</li>\n", data->len, why);
	bd->rc = buf_adds(&bd->parts, "<li>", bd->err);
	if (bd->rc == 0 && bd->w != NULL && bd->w->part != NULL) {
		bd->rc = bd->w->part(bd->w->part_arg, bd->id, k, data->data !=
		    NULL ? data->data : "", data->len, bd->err);
		snprintf(href, sizeof(href), "<a href=\"../" ARCHIVE_PART_DIR
		    "/%s/%u.bin\" type=\"application/octet-stream\" "
		    "download=\"", bd->id, k);
		if (bd->rc == 0)
			bd->rc = buf_adds(&bd->parts, href, bd->err);
		if (bd->rc == 0 && name[0] != '\0')
			bd->rc = add_text(&bd->parts, name, strlen(name),
			    false, bd->err);
		else if (bd->rc == 0)
			bd->rc = buf_printf(&bd->parts, bd->err, "part-%u.bin",
			    k);
		if (bd->rc == 0)
			bd->rc = buf_printf(&bd->parts, bd->err,
			    "\">part %u</a> ", k);
	}
	if (bd->rc == 0 && name[0] != '\0') {
		bd->rc = add_text(&bd->parts, name, strlen(name), false,
		    bd->err);
		if (bd->rc == 0)
			bd->rc = buf_adds(&bd->parts, " ", bd->err);
	}
	if (bd->rc == 0)
		bd->rc = buf_adds(&bd->parts, "(", bd->err);
	if (bd->rc == 0)
		bd->rc = add_text(&bd->parts, type, strlen(type), false,
		    bd->err);
	if (bd->rc == 0)
		bd->rc = buf_adds(&bd->parts, num, bd->err);
	bd->nparts++;
}

static void walk(struct body *, const char *, size_t, unsigned, bool);

/* The parts of a multipart body b[0..n) with the given boundary. */
static void
walk_multi(struct body *bd, const char *b, size_t n, const char *bound,
    unsigned depth, bool digest)
{
	size_t	bl = strlen(bound), i = 0, start = NONE, end, eol;
	bool	last;

	while (i < n && bd->rc == 0 && bd->nparts < PARTS_MAX) {
		for (eol = i; eol < n && b[eol] != '\n'; eol++)
			;
		if (eol - i >= 2 + bl && b[i] == '-' && b[i + 1] == '-' &&
		    memcmp(b + i + 2, bound, bl) == 0) {
			last = eol - i >= 4 + bl && b[i + 2 + bl] == '-' &&
			    b[i + 3 + bl] == '-';
			if (start != NONE) {
				/* The line end before a delimiter is its. */
				end = i > start ? i - 1 : start;
				if (end > start && b[end - 1] == '\r')
					end--;
				walk(bd, b + start, end - start, depth + 1,
				    digest);
			}
			if (last)
				return;
			start = eol + 1 < n ? eol + 1 : n;
		}
		i = eol + 1;
	}
	if (start != NONE && start < n && bd->nparts < PARTS_MAX)
		walk(bd, b + start, n - start, depth + 1, digest);
}

/* One entity (header and body) e[0..n): shown, listed or walked. */
static void
walk(struct body *bd, const char *e, size_t n, unsigned depth,
    bool in_digest)
{
	struct buf	 v, name, data, fn;
	char		 type[128], cte[64], cs[72];
	size_t		 hlen, off;
	bool		 attach, text;

	if (bd->rc != 0)
		return;
	off = body_off(e, n, &hlen);
	buf_init(&v, FIELD_MAX);
	buf_init(&name, FIELD_MAX);
	buf_init(&data, n + 16);
	if (field(e, hlen, "Content-Type", &v) == 0)
		media_type(v.data, v.len, type, sizeof(type));
	else
		snprintf(type, sizeof(type), "%s", in_digest ?
		    "message/rfc822" : "text/plain");
	if (strchr(type, '/') == NULL)
		snprintf(type, sizeof(type), "text/plain");
	if (strncmp(type, "multipart/", 10) == 0 && depth < DEPTH_MAX &&
	    param(v.data, v.len, "boundary", &name) == 0 && name.len > 0 &&
	    name.len <= 200) {
		walk_multi(bd, e + off, n - off, name.data, depth,
		    strcmp(type, "multipart/digest") == 0);
		goto done;
	}
	cs[0] = '\0';
	if (param(v.data != NULL ? v.data : "", v.len, "charset", &name) == 0)
		snprintf(cs, sizeof(cs), "%.*s", (int)(name.len < 64 ? name.len
		    : 64), name.data != NULL ? name.data : "");
	(void)param(v.data != NULL ? v.data : "", v.len, "name", &name);
	attach = false;
	if (field(e, hlen, "Content-Disposition", &v) == 0 && v.len > 0) {
		attach = strncasecmp(v.data, "attachment", 10) == 0;
		buf_init(&fn, FIELD_MAX);
		if (param(v.data, v.len, "filename", &fn) == 0 && fn.len > 0) {
			buf_reset(&name);
			(void)buf_add(&name, fn.data, fn.len, bd->err);
		}
		buf_fini(&fn);
	}
	cte[0] = '\0';
	if (field(e, hlen, "Content-Transfer-Encoding", &v) == 0)
		media_type(v.data, v.len, cte, sizeof(cte));
	if (strcmp(cte, "base64") == 0)
		bd->rc = add_b64(&data, e + off, n - off, bd->err);
	else if (strcmp(cte, "quoted-printable") == 0)
		bd->rc = add_qp(&data, e + off, n - off, false, bd->err);
	else
		bd->rc = buf_add(&data, e + off, n - off, bd->err);
	/* The name as its words say, one line. */
	buf_reset(&v);
	if (bd->rc == 0 && name.len > 0)
		bd->rc = add_decoded(&v, name.data, name.len, bd->err);
	if (bd->rc != 0)
		goto done;
	text = strcmp(type, "text/plain") == 0 && !(attach && v.len > 0);
	if (text && data.len <= ARCHIVE_HTML_INLINE_MAX &&
	    bd->shown + data.len <= SHOWN_MAX) {
		if (bd->text.len > 0)
			bd->rc = buf_adds(&bd->text, "\n", bd->err);
		if (bd->rc == 0)
			bd->rc = add_charset(&bd->text, cs, data.data != NULL ?
			    data.data : "", data.len, bd->err);
		bd->shown += data.len;
	} else
		list_part(bd, v.data != NULL ? v.data : "", type, &data,
		    text ? ", too long to show" : strncmp(type, "text/html",
		    9) == 0 ? ", HTML not shown" : "");
done:
	buf_fini(&v);
	buf_fini(&name);
	buf_fini(&data);
}

/* ---- the index entry of a message ---- */

/* The <...> tokens of v[0..n) appended to m's refs (at most REFS_MAX:
 * the first and the newest ones). */
/* The next "<id>" of v[0..n) from *ip (ids of 1 to 998 bytes; others
 * skipped): its bytes in *s and *len; false when none is left. */
static bool
next_id(const char *v, size_t n, size_t *ip, const char **s, size_t *len)
{
	size_t	i = *ip, e;

	while (i < n) {
		while (i < n && v[i] != '<')
			i++;
		for (e = i; e < n && v[e] != '>'; e++)
			;
		if (e >= n)
			break;
		if (e - i > 1 && e - i < 1000) {
			*s = v + i + 1;
			*len = e - i - 1;
			*ip = e + 1;
			return true;
		}
		i = e + 1;
	}
	*ip = n;
	return false;
}

/* Append a copy of s[0..len) to m's references, keeping the first and
 * the REFS_MAX - 1 newest. */
static int
push_ref(struct archive_msg *m, const char *s, size_t len, struct err *err)
{
	char	*id, **nv;

	if ((id = strndup(s, len)) == NULL)
		goto nomem;
	if (m->nrefs == REFS_MAX) {
		free(m->refs[1]);
		memmove(m->refs + 1, m->refs + 2,
		    (REFS_MAX - 2) * sizeof(char *));
		m->nrefs--;
	}
	if ((nv = realloc(m->refs, (m->nrefs + 1) * sizeof(char *))) ==
	    NULL) {
		free(id);
		goto nomem;
	}
	m->refs = nv;
	m->refs[m->nrefs++] = id;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

/* A decoded field as a malloc'ed one-line string ("" if absent). */
static char *
decoded(const char *h, size_t hlen, const char *name, struct buf *v,
    struct err *err)
{
	struct buf	d;
	char		*s = NULL;

	buf_init(&d, 4 * FIELD_MAX);
	if (field(h, hlen, name, v) == -1 || add_decoded(&d, v->data, v->len,
	    err) == 0) {
		if ((s = strdup(d.data != NULL ? d.data : "")) == NULL)
			err_set(err, ERR_NOMEM, "out of memory");
	}
	buf_fini(&d);
	return s;
}

int
archive_msg_parse(const char *msg, size_t len, const char *id,
    int64_t fallback, struct archive_msg *m, struct err *err)
{
	struct buf	 v;
	const char	*s;
	size_t		 hlen, i, slen;
	int		 tz;

	memset(m, 0, sizeof(*m));
	m->parent = m->thread = m->next = NONE;
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->time = fallback;
	(void)body_off(msg, len, &hlen);
	buf_init(&v, FIELD_MAX);
	if ((m->subject = decoded(msg, hlen, "Subject", &v, err)) == NULL ||
	    (m->from = decoded(msg, hlen, "From", &v, err)) == NULL)
		goto fail;
	if (field(msg, hlen, "Date", &v) == 0)
		(void)archive_date_parse(v.data, v.len, &m->time, &tz);
	m->mid = NULL;
	/* The first id; the others a broken field gave go. */
	i = 0;
	if (field(msg, hlen, "Message-ID", &v) == 0 &&
	    next_id(v.data, v.len, &i, &s, &slen) &&
	    (m->mid = strndup(s, slen)) == NULL)
		goto nomem;
	if (m->mid == NULL && (m->mid = strdup("")) == NULL)
		goto nomem;
	if (field(msg, hlen, "References", &v) == 0)
		for (i = 0; next_id(v.data, v.len, &i, &s, &slen); )
			if (push_ref(m, s, slen, err) == -1)
				goto fail;
	/* In-Reply-To's first id, unless References ends with it. */
	i = 0;
	if (field(msg, hlen, "In-Reply-To", &v) == 0 &&
	    next_id(v.data, v.len, &i, &s, &slen) &&
	    (m->nrefs == 0 || strlen(m->refs[m->nrefs - 1]) != slen ||
	    memcmp(m->refs[m->nrefs - 1], s, slen) != 0) &&
	    push_ref(m, s, slen, err) == -1)
		goto fail;
	buf_fini(&v);
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
fail:
	buf_fini(&v);
	archive_msg_fini(m);
	return -1;
}

void
archive_msg_fini(struct archive_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nrefs; i++)
		free(m->refs[i]);
	free(m->refs);
	free(m->mid);
	free(m->subject);
	free(m->from);
	memset(m, 0, sizeof(*m));
}

/* ---- threads ---- */

struct key {
	const char	*s;
	size_t		 i;
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key	*x = a, *y = b;
	int			 c = strcmp(x->s, y->s);

	return c != 0 ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* The first message whose Message-ID is s, or NONE. */
static size_t
lookup(const struct key *k, size_t n, const char *s)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(k[mid].s, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(k[lo].s, s) == 0 ? k[lo].i : NONE;
}

/* Whether i is p or an ancestor of p (or the chain is too long). */
static bool
is_above(const struct archive_msg *v, size_t i, size_t p)
{
	unsigned	steps;

	for (steps = 0; p != NONE; steps++) {
		if (p == i || steps == CHAIN_MAX)
			return true;
		p = v[p].parent;
	}
	return false;
}

int
archive_thread(struct archive_msg *v, size_t n, struct err *err)
{
	struct key	*ids, *roots;
	const char	*s;
	size_t		 i, r, k, p, nids = 0;
	unsigned	 steps;

	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL ||
	    (roots = calloc(n + 1, sizeof(*roots))) == NULL) {
		free(ids);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (v[i].mid[0] != '\0') {
			ids[nids].s = v[i].mid;
			ids[nids++].i = i;
		}
	qsort(ids, nids, sizeof(*ids), key_cmp);
	/* The nearest ancestor in the archive (public-inbox's rule for a
	 * duplicated Message-ID: the first message holds it). */
	for (i = 0; i < n; i++) {
		v[i].parent = NONE;
		for (k = v[i].nrefs; k-- > 0;) {
			p = lookup(ids, nids, v[i].refs[k]);
			if (p != NONE && !is_above(v, i, p)) {
				v[i].parent = p;
				break;
			}
		}
	}
	/* Roots are grouped by the thread's first Message-ID, which an
	 * absent ancestor may be. */
	for (i = 0; i < n; i++) {
		for (r = i, steps = 0; v[r].parent != NONE && steps < CHAIN_MAX;
		    steps++)
			r = v[r].parent;
		roots[i].s = v[r].nrefs > 0 ? v[r].refs[0] : v[r].mid[0] !=
		    '\0' ? v[r].mid : v[r].id;
		roots[i].i = i;
	}
	qsort(roots, n, sizeof(*roots), key_cmp);
	for (i = 0; i < n; i++) {
		s = roots[i].s;
		v[roots[i].i].thread = i > 0 && strcmp(roots[i - 1].s, s) == 0 ?
		    v[roots[i - 1].i].thread : roots[i].i;
	}
	/* The chains, through the last message of each thread so far
	 * (ids[].i reused as that, by thread index). */
	for (i = 0; i < n; i++) {
		v[i].next = NONE;
		ids[i].i = NONE;
	}
	for (i = 0; i < n; i++) {
		r = v[i].thread;
		if (ids[r].i != NONE)
			v[ids[r].i].next = i;
		ids[r].i = i;
	}
	free(ids);
	free(roots);
	return 0;
}

/* ---- pages ---- */

static const char head1[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
    "'none'; style-src 'unsafe-inline'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<style>body{max-width:50em;margin:auto;padding:0 1em;font-family:"
    "sans-serif}pre{white-space:pre-wrap;font-size:95%}"
    ".m{border-top:1px solid #999;margin-top:1.5em}"
    ".h{color:#444}ul.t{padding-left:1.2em}</style>\n";

/* Sticky output: the first failure is kept and the rest skipped. */
struct page {
	struct buf	*b;
	struct err	*err;
	int		 rc;
};

static void
put(struct page *p, const char *s)
{
	if (p->rc == 0)
		p->rc = buf_adds(p->b, s, p->err);
}

static void
putf(struct page *p, const char *fmt, ...)
	__attribute__((__format__(printf, 2, 3)));

static void
putf(struct page *p, const char *fmt, ...)
{
	char	tmp[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(p, tmp);
}

/* Masked, escaped text. */
static void
put_text(struct page *p, const char *s, bool lines)
{
	if (p->rc == 0)
		p->rc = add_text(p->b, s, strlen(s), lines, p->err);
}

/* The operator's title: escaped, not masked (a list's own address is
 * public). */
static void
put_title(struct page *p, const char *s)
{
	if (p->rc == 0)
		p->rc = add_esc(p->b, s, strlen(s), false, p->err);
}

static void
put_subject(struct page *p, const struct archive_msg *m)
{
	put_text(p, m->subject[0] != '\0' ? m->subject : "(no subject)",
	    false);
}

static void
put_from(struct page *p, const struct archive_msg *m)
{
	put_text(p, m->from[0] != '\0' ? m->from : "(unknown)", false);
}

/* "2026-12-07 17:22" (UTC), or the RFC 3339 form. */
static void
fmt_time(int64_t t, bool rfc3339, char out[32])
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(out, 32, rfc3339 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M",
	    &tm);
}

static void
page_open(struct page *p, const struct archive_view *w, const char *title,
    const char *up)
{
	put(p, head1);
	put(p, "<title>");
	if (strcmp(title, w->title) != 0) {
		put_text(p, title, false);
		put(p, " - ");
	}
	put_title(p, w->title);
	putf(p, "</title>\n<link rel=\"alternate\" type=\"application/atom+xml"
	    "\" href=\"%satom.xml\">\n</head>\n<body>\n", up);
	putf(p, "<p><a href=\"%sindex.html\">", up);
	put_title(p, w->title);
	putf(p, "</a> | <a href=\"%satom.xml\">Atom feed</a></p>\n", up);
}

static void
page_close(struct page *p, const struct archive_view *w)
{
	(void)w;
	put(p, "<hr>\n<p><small>Dates are UTC.  Addresses are shortened; "
	    "parts other than plain text are listed, not shown.</small></p>\n"
	    "</body>\n</html>\n");
}

/* The messages of a thread, tree order: children by date. */
struct tree {
	size_t	*v;		/* message indexes, tree order */
	size_t	*depth;
	size_t	 n;
};

struct tkey {
	int64_t	t;
	size_t	i;
};

static int
tkey_cmp(const void *a, const void *b)
{
	const struct tkey	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Sorts idx[0..n) by the dates of their messages, oldest first. */
static int
sort_by_time(const struct archive_msg *v, size_t *idx, size_t n,
    struct err *err)
{
	struct tkey	*k;
	size_t		 i;

	if ((k = calloc(n + 1, sizeof(*k))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		k[i].t = v[idx[i]].time;
		k[i].i = idx[i];
	}
	qsort(k, n, sizeof(*k), tkey_cmp);
	for (i = 0; i < n; i++)
		idx[i] = k[i].i;
	free(k);
	return 0;
}

/* Depth first from the members of thread t (by date), iteratively. */
static int
tree_build(const struct archive_view *w, size_t t, struct tree *tr,
    struct err *err)
{
	size_t	*mem, *stack, *sd, nm = 0, i, k, top = 0, c;

	memset(tr, 0, sizeof(*tr));
	for (i = t; i != NONE && nm < w->n; i = w->v[i].next)
		nm++;
	mem = calloc(nm + 1, sizeof(size_t));
	stack = calloc(nm + 1, sizeof(size_t));
	sd = calloc(nm + 1, sizeof(size_t));
	tr->v = calloc(nm + 1, sizeof(size_t));
	tr->depth = calloc(nm + 1, sizeof(size_t));
	if (mem == NULL || stack == NULL || sd == NULL || tr->v == NULL ||
	    tr->depth == NULL) {
		free(mem), free(stack), free(sd), free(tr->v), free(tr->depth);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = t, k = 0; i != NONE && k < nm; i = w->v[i].next)
		mem[k++] = i;
	if (sort_by_time(w->v, mem, nm, err) == -1) {
		free(mem), free(stack), free(sd), free(tr->v), free(tr->depth);
		return -1;
	}
	/* Roots pushed newest first so that the oldest comes out first;
	 * mem[k] is NONE once pushed. */
	for (k = nm; k-- > 0;)
		if (w->v[mem[k]].parent == NONE) {
			stack[top] = mem[k];
			sd[top++] = 0;
			mem[k] = NONE;
		}
	for (;;) {
		if (top == 0) {
			/* Left over: a parent past CHAIN_MAX, as a root. */
			for (k = 0; k < nm && mem[k] == NONE; k++)
				;
			if (k == nm)
				break;
			stack[top] = mem[k];
			sd[top++] = 0;
			mem[k] = NONE;
		}
		top--;
		c = stack[top];
		tr->v[tr->n] = c;
		tr->depth[tr->n++] = sd[top];
		for (k = nm; k-- > 0 && top < nm;)
			if (mem[k] != NONE && w->v[mem[k]].parent == c) {
				stack[top] = mem[k];
				sd[top++] = tr->depth[tr->n - 1] + 1;
				mem[k] = NONE;
			}
	}
	free(mem), free(stack), free(sd);
	return 0;
}

static void
tree_free(struct tree *tr)
{
	free(tr->v);
	free(tr->depth);
}

/* The thread's outline: nested lists of links to the messages. */
static void
put_outline(struct page *p, const struct archive_view *w,
    const struct tree *tr)
{
	const struct archive_msg	*m;
	size_t				 i, d = 0, k;
	char				 t[32];

	put(p, "<ul class=\"t\">\n");
	for (i = 0; i < tr->n; i++) {
		m = &w->v[tr->v[i]];
		for (k = d; k < tr->depth[i]; k++)
			put(p, "<ul class=\"t\">\n");
		for (k = tr->depth[i]; k < d; k++)
			put(p, "</ul>\n");
		d = tr->depth[i];
		fmt_time(m->time, false, t);
		putf(p, "<li><a href=\"#m-%s\">", m->id);
		put_subject(p, m);
		put(p, "</a> ");
		put_from(p, m);
		putf(p, ", %s</li>\n", t);
	}
	for (k = 0; k < d; k++)
		put(p, "</ul>\n");
	put(p, "</ul>\n");
}

int
archive_html_thread(const struct archive_view *w, size_t t,
    archive_raw_fn raw, void *arg, struct buf *out, struct err *err)
{
	struct page			 p = { out, err, 0 };
	struct tree			 tr;
	struct body			 bd;
	const struct archive_msg	*m, *pm;
	const char			*data;
	size_t				 i, len, hlen;
	struct buf			 v;
	char				 tm[32];
	static const char *const	 shown[] = { "From", "To", "Cc",
	    "Date" };
	unsigned			 f;

	if (tree_build(w, t, &tr, err) == -1)
		return -1;
	page_open(&p, w, w->v[t].subject[0] != '\0' ? w->v[t].subject :
	    "(no subject)", "../");
	put(&p, "<h1>");
	put_subject(&p, &w->v[t]);
	putf(&p, "</h1>\n<p>%zu message%s in this thread.</p>\n", tr.n,
	    tr.n == 1 ? "" : "s");
	put_outline(&p, w, &tr);
	buf_init(&v, 4 * FIELD_MAX);
	for (i = 0; i < tr.n && p.rc == 0; i++) {
		m = &w->v[tr.v[i]];
		putf(&p, "<div class=\"m\" id=\"m-%s\">\n<h2>", m->id);
		put_subject(&p, m);
		put(&p, "</h2>\n<p class=\"h\">");
		if (raw(arg, tr.v[i], &data, &len) == -1) {
			put(&p, "(this message could not be read)</p>\n</div>\n");
			continue;
		}
		(void)body_off(data, len, &hlen);
		for (f = 0; f < sizeof(shown) / sizeof(shown[0]); f++) {
			if (field(data, hlen, shown[f], &v) == -1)
				continue;
			putf(&p, "%s: ", shown[f]);
			if (f == 3) {
				fmt_time(m->time, false, tm);
				putf(&p, "%s UTC<br>\n", tm);
				continue;
			}
			{
				struct buf d;

				buf_init(&d, 8 * FIELD_MAX);
				if (p.rc == 0)
					p.rc = add_decoded(&d, v.data, v.len,
					    err);
				if (p.rc == 0)
					p.rc = add_text(out, d.data != NULL ?
					    d.data : "", d.len, false, err);
				buf_fini(&d);
			}
			put(&p, "<br>\n");
		}
		if (m->parent != NONE && w->v[m->parent].thread == t) {
			pm = &w->v[m->parent];
			putf(&p, "In reply to: <a href=\"#m-%s\">", pm->id);
			put_from(&p, pm);
			put(&p, "</a><br>\n");
		}
		put(&p, "</p>\n");
		memset(&bd, 0, sizeof(bd));
		bd.err = err;
		bd.w = w;
		bd.id = m->id;
		buf_init(&bd.text, SHOWN_MAX * 4 + 64);
		buf_init(&bd.parts, SHOWN_MAX);
		walk(&bd, data, len, 0, false);
		if (bd.rc != 0 && p.rc == 0)
			p.rc = bd.rc;
		put(&p, "<pre>");
		if (p.rc == 0)
			p.rc = add_text(out, bd.text.data != NULL ?
			    bd.text.data : "", bd.text.len, true, err);
		put(&p, "</pre>\n");
		if (bd.nparts > 0) {
			put(&p, "<p>Parts not shown:</p>\n<ul>\n");
			if (p.rc == 0)
				p.rc = buf_add(out, bd.parts.data,
				    bd.parts.len, err);
			put(&p, "</ul>\n");
		}
		put(&p, "</div>\n");
		buf_fini(&bd.text);
		buf_fini(&bd.parts);
	}
	buf_fini(&v);
	page_close(&p, w);
	tree_free(&tr);
	return p.rc;
}

int
archive_html_text(const char *msg, size_t len, struct buf *out,
    struct err *err)
{
	struct body	bd;
	int		rc;

	memset(&bd, 0, sizeof(bd));
	bd.err = err;
	buf_init(&bd.text, SHOWN_MAX * 4 + 64);
	buf_init(&bd.parts, SHOWN_MAX);
	walk(&bd, msg, len, 0, false);
	rc = bd.rc;
	if (rc == 0)
		rc = add_shown(out, bd.text.data != NULL ? bd.text.data : "",
		    bd.text.len, err);
	buf_fini(&bd.text);
	buf_fini(&bd.parts);
	return rc;
}

/* "2026-12" of a time. */
static void
month_of(int64_t t, char out[16])
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(out, 16, "%Y-%m", &tm);
}

/* Threads with posts in month (or all, month NULL): newest last post
 * first, the skip first ones left out, at most max; *total_out (if not
 * NULL) the number of them all. */
static void
put_threads(struct page *p, const struct archive_view *w, const char *month,
    size_t skip, size_t max, const char *up, size_t *total_out)
{
	size_t	*last, *cnt, *order, i, n = 0, k;
	char	 mo[16], t[32];

	last = calloc(w->n + 1, sizeof(size_t));
	cnt = calloc(w->n + 1, sizeof(size_t));
	order = calloc(w->n + 1, sizeof(size_t));
	if (last == NULL || cnt == NULL || order == NULL) {
		free(last), free(cnt), free(order);
		if (p->rc == 0)
			err_set(p->err, ERR_NOMEM, "out of memory");
		p->rc = -1;
		return;
	}
	for (i = 0; i < w->n; i++)
		last[i] = NONE;
	for (i = 0; i < w->n; i++) {
		month_of(w->v[i].time, mo);
		if (month != NULL && strcmp(mo, month) != 0)
			continue;
		k = w->v[i].thread;
		if (cnt[k]++ == 0)
			order[n++] = k;
		if (last[k] == NONE || w->v[i].time >= w->v[last[k]].time)
			last[k] = i;
	}
	/* Sorted by their last post, newest first. */
	for (i = 0; i < n; i++)
		order[i] = last[order[i]];
	if (p->rc == 0 && sort_by_time(w->v, order, n, p->err) == -1)
		p->rc = -1;
	if (total_out != NULL)
		*total_out = n;
	put(p, "<ul>\n");
	for (i = n > skip ? n - skip : 0; i-- > 0 && n - skip - i <= max;) {
		k = w->v[order[i]].thread;
		fmt_time(w->v[order[i]].time, false, t);
		putf(p, "<li><a href=\"%st/%s.html\">", up, w->v[k].id);
		put_subject(p, &w->v[k]);
		putf(p, "</a> (%zu) %s ", cnt[k], t);
		put_from(p, &w->v[order[i]]);
		put(p, "</li>\n");
	}
	put(p, "</ul>\n");
	free(last), free(cnt), free(order);
}

/* The page size of a view's month pages. */
static size_t
page_size(const struct archive_view *w)
{
	return w->page_size > 0 ? w->page_size : ARCHIVE_HTML_PAGE;
}

size_t
archive_month_pages(const struct archive_view *w, const char *month)
{
	bool	*seen;
	char	 mo[16];
	size_t	 i, n = 0;

	if ((seen = calloc(w->n + 1, sizeof(*seen))) == NULL)
		return 1;	/* the page itself then fails, ERR_NOMEM */
	for (i = 0; i < w->n; i++) {
		month_of(w->v[i].time, mo);
		if (strcmp(mo, month) == 0 && !seen[w->v[i].thread]) {
			seen[w->v[i].thread] = true;
			n++;
		}
	}
	free(seen);
	return n == 0 ? 1 : (n + page_size(w) - 1) / page_size(w);
}

void
archive_month_name(const char *month, size_t page, char out[48])
{
	if (page <= 1)
		snprintf(out, 48, "%.16s", month);
	else
		snprintf(out, 48, "%.16s-%zu", month, page);
}

/* "Page K of N", with the links to the newer and older pages. */
static void
put_pager(struct page *p, const char *month, size_t page, size_t npages)
{
	char	name[48];

	if (npages <= 1)
		return;
	putf(p, "<p>Page %zu of %zu", page, npages);
	if (page > 1) {
		archive_month_name(month, page - 1, name);
		putf(p, " | <a rel=\"prev\" href=\"%s.html\">newer</a>", name);
	}
	if (page < npages) {
		archive_month_name(month, page + 1, name);
		putf(p, " | <a rel=\"next\" href=\"%s.html\">older</a>", name);
	}
	put(p, "</p>\n");
}

int
archive_html_month(const struct archive_view *w, const char *month,
    size_t page, struct buf *out, struct err *err)
{
	struct page	p = { out, err, 0 };
	char		title[64];
	size_t		npages = archive_month_pages(w, month), total = 0;

	if (page == 0)
		page = 1;
	snprintf(title, sizeof(title), "%.16s", month);
	if (page > 1)
		snprintf(title, sizeof(title), "%.16s, page %zu", month, page);
	page_open(&p, w, title, "");
	put(&p, "<h1>");
	put_title(&p, w->title);
	putf(&p, ": %s</h1>\n<p>Threads with posts in %.16s, the latest first "
	    "(number of posts that month, date and author of the last):</p>\n",
	    title, month);
	put_pager(&p, month, page, npages);
	put_threads(&p, w, month, (page - 1) * page_size(w), page_size(w), "",
	    &total);
	put_pager(&p, month, page, npages);
	page_close(&p, w);
	return p.rc;
}

size_t
archive_months(const struct archive_view *w, char (*out)[16], size_t max)
{
	char	mo[16];
	size_t	i, k, n = 0;

	for (i = 0; i < w->n; i++) {
		month_of(w->v[i].time, mo);
		for (k = 0; k < n && strcmp(out[k], mo) != 0; k++)
			;
		if (k == n && n < max)
			memcpy(out[n++], mo, 16);
	}
	/* Newest first. */
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && strcmp(out[k - 1], out[k]) < 0; k--) {
			memcpy(mo, out[k], 16);
			memcpy(out[k], out[k - 1], 16);
			memcpy(out[k - 1], mo, 16);
		}
	return n;
}

int
archive_html_index(const struct archive_view *w, struct buf *out,
    struct err *err)
{
	struct page	  p = { out, err, 0 };
	char		(*mo)[16];
	size_t		  n, i, k, c;
	char		  m2[16];

	if ((mo = calloc(w->n + 1, 16)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	n = archive_months(w, mo, w->n);
	page_open(&p, w, w->title, "");
	put(&p, "<h1>");
	put_title(&p, w->title);
	putf(&p, "</h1>\n<p>%zu message%s.</p>\n<h2>Months</h2>\n<ul>\n",
	    w->n, w->n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		for (k = c = 0; k < w->n; k++) {
			month_of(w->v[k].time, m2);
			c += strcmp(m2, mo[i]) == 0;
		}
		putf(&p, "<li><a href=\"%s.html\">%s</a> (%zu message%s)"
		    "</li>\n", mo[i], mo[i], c, c == 1 ? "" : "s");
	}
	put(&p, "</ul>\n<h2>Latest threads</h2>\n");
	put_threads(&p, w, NULL, 0, 20, "", NULL);
	page_close(&p, w);
	free(mo);
	return p.rc;
}

/* A URN for a SHA-1-like hex id: the UUID of its first 32 digits, with
 * the version (5, name-based SHA-1) and variant bits of RFC 4122. */
static void
urn(const char *hex, char out[64])
{
	char	h[33];
	size_t	i;

	for (i = 0; i < 32; i++)
		h[i] = isxdigit((unsigned char)hex[i]) ? (char)tolower(
		    (unsigned char)hex[i]) : '0';
	h[32] = '\0';
	h[12] = '5';
	h[16] = "89ab"[hexval((unsigned char)h[16]) & 3];
	snprintf(out, 64, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	    h + 12, h + 16, h + 20);
	(void)i;
}

int
archive_html_atom(const struct archive_view *w, const char *feed_id,
    size_t max, archive_raw_fn raw, void *arg, struct buf *out,
    struct err *err)
{
	struct page	 p = { out, err, 0 };
	struct buf	 text;
	size_t		*order, i, k, len, cut;
	const char	*data;
	const char	*base = w->url != NULL ? w->url : "";
	char		 t[32], u[64];

	if ((order = calloc(w->n + 1, sizeof(size_t))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < w->n; i++)
		order[i] = i;
	if (sort_by_time(w->v, order, w->n, err) == -1) {
		free(order);
		return -1;
	}
	put(&p, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>");
	put_title(&p, w->title);
	urn(feed_id, u);
	putf(&p, "</title>\n<id>%s</id>\n", u);
	fmt_time(w->n > 0 ? w->v[order[w->n - 1]].time : w->now, true, t);
	putf(&p, "<updated>%s</updated>\n", t);
	if (w->url != NULL) {
		put(&p, "<link rel=\"self\" href=\"");
		put_text(&p, base, false);
		put(&p, "atom.xml\"/>\n<link href=\"");
		put_text(&p, base, false);
		put(&p, "index.html\"/>\n");
	} else
		put(&p, "<link href=\"index.html\"/>\n");
	buf_init(&text, 4 * SHOWN_MAX + 64);
	for (i = w->n; i-- > 0 && w->n - i <= max && p.rc == 0;) {
		k = order[i];
		put(&p, "<entry>\n<title>");
		put_subject(&p, &w->v[k]);
		urn(w->v[k].id, u);
		fmt_time(w->v[k].time, true, t);
		putf(&p, "</title>\n<id>%s</id>\n<updated>%s</updated>\n"
		    "<author><name>", u, t);
		put_from(&p, &w->v[k]);
		put(&p, "</name></author>\n<link href=\"");
		put_text(&p, base, false);
		putf(&p, "t/%s.html#m-%s\"/>\n<summary type=\"text\">",
		    w->v[w->v[k].thread].id, w->v[k].id);
		buf_reset(&text);
		if (raw(arg, k, &data, &len) == 0 && archive_html_text(data,
		    len, &text, err) == 0 && text.len > 0) {
			/* Cut at a character boundary. */
			cut = text.len < SUMMARY_MAX ? text.len : SUMMARY_MAX;
			while (cut > 0 && cut < text.len &&
			    ((unsigned char)text.data[cut] & 0xc0) == 0x80)
				cut--;
			if (p.rc == 0)
				p.rc = add_esc(out, text.data, cut, true, err);
		}
		put(&p, "</summary>\n</entry>\n");
	}
	put(&p, "</feed>\n");
	buf_fini(&text);
	free(order);
	return p.rc;
}
