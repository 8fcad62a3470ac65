/*
 * mtasts.c: the HTTP response and MTA-STS policy parsers (see
 * mtasts.h) of timbre doctor and of timbre-listd's delivery.  Both
 * read bytes from a server anyone can run: every read is bounded by the length given, nothing is assumed to
 * be NUL-terminated, and what is kept is copied into fixed buffers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mtasts.h"

/* The next line of [p, end): its length without the CRLF or LF, and
 * *next after it. */
static size_t
next_line(const char *p, const char *end, const char **next)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));
	size_t		 n;

	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* Is the line [p, p + n) the header name (without case) and ":"?  The
 * value, its blanks trimmed, in *v and *vn. */
static bool
header_is(const char *p, size_t n, const char *name, const char **v,
    size_t *vn)
{
	size_t	len = strlen(name);

	if (n <= len || p[len] != ':' || strncasecmp(p, name, len) != 0)
		return false;
	p += len + 1;
	n -= len + 1;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*v = p;
	*vn = n;
	return true;
}

int
mail_http_parse(const char *buf, size_t len, struct mail_http *h,
    const char **why)
{
	const char	*p = buf, *end = buf + len, *next, *v;
	size_t		 n, vn, i;
	unsigned long	 clen = 0;
	bool		 have_clen = false;

	memset(h, 0, sizeof(*h));
	n = next_line(p, end, &next);
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]) || (n > 12 && p[12] != ' ')) {
		*why = "not an HTTP/1.x status line";
		return -1;
	}
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (p = next;; p = next) {
		if (p >= end) {
			*why = "the headers do not end";
			return -1;
		}
		n = next_line(p, end, &next);
		if (n == 0)
			break;
		if (header_is(p, n, "Content-Type", &v, &vn)) {
			h->content_type = v;
			h->content_type_len = vn;
		} else if (header_is(p, n, "Transfer-Encoding", &v, &vn)) {
			for (i = 0; i + 7 <= vn; i++)
				if (strncasecmp(v + i, "chunked", 7) == 0)
					h->chunked = true;
		} else if (header_is(p, n, "Location", &v, &vn))
			h->has_location = true;
		else if (header_is(p, n, "Content-Length", &v, &vn)) {
			have_clen = vn > 0 && vn < 12;
			for (i = 0, clen = 0; i < vn && have_clen; i++) {
				if (!isdigit((unsigned char)v[i]))
					have_clen = false;
				clen = clen * 10 + (unsigned long)(v[i] - '0');
			}
		}
	}
	h->body = next;
	h->body_len = (size_t)(end - next);
	if (have_clen && clen < h->body_len)
		h->body_len = clen;
	return 0;
}

bool
mail_http_is_text_plain(const struct mail_http *h)
{
	size_t	n = h->content_type_len;

	if (h->content_type == NULL || n < 10 ||
	    strncasecmp(h->content_type, "text/plain", 10) != 0)
		return false;
	return n == 10 || h->content_type[10] == ';' ||
	    h->content_type[10] == ' ';
}

/* Is [p, p + n) a domain name, "*." in front allowed when wild? */
static bool
name_ok(const char *p, size_t n, bool wild)
{
	size_t	i, label = 0;

	if (wild && n > 2 && p[0] == '*' && p[1] == '.') {
		p += 2;
		n -= 2;
	}
	if (n == 0 || n >= MAIL_STS_MX_LEN - 2)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)p[i]) || p[i] == '-' ||
		    p[i] == '_') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0;
}

int
mail_sts_parse(const char *buf, size_t len, struct mail_sts_policy *pol,
    char *why, size_t whylen)
{
	const char	*p = buf, *end = buf + len, *next, *k, *v;
	size_t		 n, kn, vn, i;
	bool		 have_version = false, have_mode = false;
	bool		 have_age = false;
	long		 age;

	memset(pol, 0, sizeof(*pol));
	if (len > MAIL_STS_MAX_BODY) {
		snprintf(why, whylen, "longer than 64 KiB");
		return -1;
	}
	for (; p < end; p = next) {
		n = next_line(p, end, &next);
		if (n == 0)
			continue;
		k = p;
		for (kn = 0; kn < n && k[kn] != ':'; kn++)
			if (!isalnum((unsigned char)k[kn]) && k[kn] != '_' &&
			    k[kn] != '-' && k[kn] != '.')
				break;
		if (kn == 0 || kn == n || k[kn] != ':') {
			snprintf(why, whylen, "a line that is not "
			    "\"key: value\"");
			return -1;
		}
		v = k + kn + 1;
		vn = n - kn - 1;
		while (vn > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vn--;
		}
		while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		if (kn == 7 && memcmp(k, "version", 7) == 0) {
			if (have_version)
				continue;
			if (vn != 5 || memcmp(v, "STSv1", 5) != 0) {
				snprintf(why, whylen, "version is not STSv1");
				return -1;
			}
			have_version = true;
		} else if (kn == 4 && memcmp(k, "mode", 4) == 0) {
			if (have_mode)
				continue;
			if (vn == 7 && memcmp(v, "enforce", 7) == 0)
				pol->mode = MAIL_STS_ENFORCE;
			else if (vn == 7 && memcmp(v, "testing", 7) == 0)
				pol->mode = MAIL_STS_TESTING;
			else if (vn == 4 && memcmp(v, "none", 4) == 0)
				pol->mode = MAIL_STS_NONE;
			else {
				snprintf(why, whylen, "mode is not enforce, "
				    "testing or none");
				return -1;
			}
			have_mode = true;
		} else if (kn == 7 && memcmp(k, "max_age", 7) == 0) {
			if (have_age)
				continue;
			for (i = 0, age = 0; i < vn && i < 10 &&
			    isdigit((unsigned char)v[i]); i++)
				age = age * 10 + (v[i] - '0');
			if (vn == 0 || i != vn || age > MAIL_STS_MAX_AGE) {
				snprintf(why, whylen, "max_age is not a number "
				    "of seconds up to %d", MAIL_STS_MAX_AGE);
				return -1;
			}
			pol->max_age = age;
			have_age = true;
		} else if (kn == 2 && memcmp(k, "mx", 2) == 0) {
			if (!name_ok(v, vn, true)) {
				snprintf(why, whylen, "an mx: that is not a "
				    "host name or *.domain");
				return -1;
			}
			if (pol->nmx == MAIL_STS_MAX_MX) {
				pol->nmx_dropped++;
				continue;
			}
			memcpy(pol->mx[pol->nmx], v, vn);
			pol->mx[pol->nmx++][vn] = '\0';
		}
	}
	if (!have_version || !have_mode || !have_age) {
		snprintf(why, whylen, "no %s: field", !have_version ?
		    "version" : !have_mode ? "mode" : "max_age");
		return -1;
	}
	if (pol->nmx == 0 && pol->mode != MAIL_STS_NONE) {
		snprintf(why, whylen, "no mx: field");
		return -1;
	}
	return 0;
}

bool
mail_sts_mx_match(const char *pattern, const char *host)
{
	const char	*dot;
	size_t		 hn = strlen(host);

	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (pattern[0] == '*' && pattern[1] == '.') {
		/* One label, not the parent itself (RFC 8461 4.1). */
		if ((dot = memchr(host, '.', hn)) == NULL || dot == host)
			return false;
		return strlen(pattern + 1) == hn - (size_t)(dot - host) &&
		    strncasecmp(pattern + 1, dot, hn - (size_t)(dot - host)) ==
		    0;
	}
	return strlen(pattern) == hn && strncasecmp(pattern, host, hn) == 0;
}

const char *
mail_sts_mode_str(enum mail_sts_mode m)
{
	switch (m) {
	case MAIL_STS_ENFORCE:
		return "enforce";
	case MAIL_STS_TESTING:
		return "testing";
	case MAIL_STS_NONE:
		break;
	}
	return "none";
}

int
mail_sts_txt_parse(const char *p, size_t len, char id[MAIL_STS_ID_LEN + 1])
{
	const char	*end = p + len, *f, *fe, *eq;
	size_t		 n, i;
	bool		 first = true, have_id = false;

	id[0] = '\0';
	if (len < 7 || memcmp(p, "v=STSv1", 7) != 0 ||
	    (len > 7 && p[7] != ';' && p[7] != ' ' && p[7] != '\t'))
		return -1;
	/* The pieces between ";"s: the first (after the version) and the
	 * last may be blank, no other. */
	for (p += 7;; p = fe + 1) {
		if ((fe = memchr(p, ';', (size_t)(end - p))) == NULL)
			fe = end;
		f = p;
		while (f < fe && (*f == ' ' || *f == '\t'))
			f++;
		n = (size_t)(fe - f);
		while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
			n--;
		if (first || n == 0) {
			if (n != 0 || (!first && fe != end))
				return -2;
		} else if ((eq = memchr(f, '=', n)) == NULL || eq == f)
			return -2;
		else if (eq - f == 2 && memcmp(f, "id", 2) == 0 && !have_id) {
			/* Other fields (extensions) are not read. */
			n -= 3;
			if (n == 0 || n > MAIL_STS_ID_LEN)
				return -2;
			for (i = 0; i < n; i++)
				if (!isalnum((unsigned char)eq[1 + i]))
					return -2;
			memcpy(id, eq + 1, n);
			id[n] = '\0';
			have_id = true;
		}
		first = false;
		if (fe == end)
			break;
	}
	return have_id ? 0 : -2;
}
