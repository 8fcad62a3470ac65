/*
 * macro.c: SPF macros (RFC 7208 section 7) and client addresses.
 *
 * A macro-string mixes literals with "%{" letter transformers
 * delimiters "}" and the escapes "%%", "%_" and "%-" (section 7.1).
 * Expanding one splits the letter's value on the delimiters (default
 * "."), optionally reverses the parts, keeps the rightmost N and joins
 * them with "." (section 7.3); an upper-case letter URL-escapes the
 * result (section 7.3, RFC 3986 unreserved characters stay).  The
 * letters c, r and t exist only in explanation strings (section 7.2).
 * A domain name built by expansion is cut from the left, label by
 * label, to 253 bytes (section 7.3).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "spf/spf.h"
#include "util/buf.h"
#include "util/err.h"

/* Most parts a transformer keeps; more than a name can have. */
#define MAX_PARTS	128

int
spf_ip_parse(const char *s, struct spf_ip *ip, struct err *err)
{
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };

	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->addr) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->addr) == 1) {
		ip->family = AF_INET6;
		if (memcmp(ip->addr, mapped, sizeof(mapped)) == 0) {
			memmove(ip->addr, ip->addr + 12, 4);
			memset(ip->addr + 4, 0, 12);
			ip->family = AF_INET;
		}
		return 0;
	}
	err_set(err, SPF_E_ARG, "\"%.60s\" is not an ip address", s);
	return -1;
}

static bool
is_delim(int c)
{
	return strchr(".-+,/_=", c) != NULL && c != '\0';
}

/* Parses "%{...}" at s[0..len) (s[0] is '%', s[1] '{'); the length of
 * the macro in *n_out. */
static int
parse_expand(const char *s, size_t len, int flags, int *letter_out,
    size_t *digits_out, bool *reverse_out, char *delims_out, size_t *n_out,
    struct err *err)
{
	size_t	i = 2, nd = 0, digits = 0;
	int	c;

	if (i >= len)
		goto bad;
	c = tolower((unsigned char)s[i]);
	if (strchr("slodiphv", c) == NULL &&
	    ((flags & SPF_MACRO_EXP) == 0 || strchr("crt", c) == NULL))
		goto letter;
	*letter_out = (unsigned char)s[i];
	i++;
	if (i < len && isdigit((unsigned char)s[i])) {
		while (i < len && isdigit((unsigned char)s[i])) {
			if (digits < 1000)
				digits = digits * 10 + (size_t)(s[i] - '0');
			i++;
		}
		if (digits == 0) {
			err_set(err, SPF_E_SYNTAX, "macro: zero labels "
			    "asked for");
			return -1;
		}
	}
	*reverse_out = false;
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		*reverse_out = true;
		i++;
	}
	while (i < len && is_delim(s[i])) {
		if (nd < 7 && strchr(delims_out, s[i]) == NULL)
			delims_out[nd++] = s[i];
		delims_out[nd] = '\0';
		i++;
	}
	if (i >= len || s[i] != '}')
		goto bad;
	*digits_out = digits;
	*n_out = i + 1;
	return 0;
letter:
	err_set(err, SPF_E_SYNTAX, "macro: bad letter \"%c\"",
	    isprint(c) ? c : '?');
	return -1;
bad:
	err_set(err, SPF_E_SYNTAX, "macro: malformed \"%%{\"");
	return -1;
}

/* Checks s and, with out, expands it: spf_macro_check and
 * spf_macro_expand share the walk so they can never disagree. */
static int
walk(const char *s, size_t len, int flags, const struct spf_macro_vars *v,
    bool *uses_p, struct buf *out, struct err *err);

int
spf_macro_check(const char *s, size_t len, int flags, bool *uses_p,
    struct err *err)
{
	bool	p = false;

	if (walk(s, len, flags, NULL, &p, NULL, err) == -1)
		return -1;
	if (uses_p != NULL)
		*uses_p = p;
	return 0;
}

/* The value of a letter: *len_out bytes at the result, which is tmp
 * (tmplen bytes, enough for an address or a time) or the vars' strings. */
static const char *
value_of(int letter, const struct spf_macro_vars *v, char *tmp, size_t tmplen,
    size_t *len_out)
{
	const char	*at, *s = "";
	size_t		 i;
	char		*p;

	switch (tolower(letter)) {
	case 's':
		s = v->sender;
		break;
	case 'l':
		if ((at = strrchr(v->sender, '@')) == NULL || at == v->sender)
			s = "postmaster";
		else {
			*len_out = (size_t)(at - v->sender);
			return v->sender;
		}
		break;
	case 'o':
		at = strrchr(v->sender, '@');
		s = at == NULL ? v->sender : at + 1;
		break;
	case 'd':
		s = v->domain;
		break;
	case 'i':
		if (v->ip.family == AF_INET) {
			s = inet_ntop(AF_INET, v->ip.addr, tmp,
			    (socklen_t)tmplen);
			break;
		}
		/* Dot-format nibbles, most significant first. */
		for (i = 0, p = tmp; i < 16; i++)
			p += snprintf(p, tmplen - (size_t)(p - tmp), "%x.%x%s",
			    v->ip.addr[i] >> 4, v->ip.addr[i] & 0x0f,
			    i < 15 ? "." : "");
		s = tmp;
		break;
	case 'c':
		s = inet_ntop(v->ip.family, v->ip.addr, tmp, (socklen_t)tmplen);
		break;
	case 'p':
		s = v->ptr != NULL ? v->ptr : "unknown";
		break;
	case 'v':
		s = v->ip.family == AF_INET ? "in-addr" : "ip6";
		break;
	case 'h':
		s = v->helo != NULL && *v->helo != '\0' ? v->helo : "unknown";
		break;
	case 'r':
		s = v->receiver != NULL && *v->receiver != '\0' ?
		    v->receiver : "unknown";
		break;
	case 't':
		snprintf(tmp, tmplen, "%" PRIdMAX, (intmax_t)v->now);
		s = tmp;
		break;
	}
	if (s == NULL)
		s = "";
	*len_out = strlen(s);
	return s;
}

/* Appends the transformed value of one macro. */
static int
expand_one(int letter, size_t digits, bool reverse, const char *delims,
    const struct spf_macro_vars *v, struct buf *out, struct err *err)
{
	char		 tmp[128];
	const char	*val, *parts[MAX_PARTS];
	size_t		 lens[MAX_PARTS], np = 0, i, first, start, k, vlen;
	bool		 esc = isupper(letter);

	val = value_of(letter, v, tmp, sizeof(tmp), &vlen);
	if (*delims == '\0')
		delims = ".";
	/* Split; past MAX_PARTS the last part holds the rest. */
	for (start = 0, i = 0;; i++) {
		if (i == vlen || (strchr(delims, val[i]) != NULL &&
		    np < MAX_PARTS - 1)) {
			parts[np] = val + start;
			lens[np++] = i - start;
			start = i + 1;
			if (i == vlen)
				break;
		}
	}
	first = digits > 0 && digits < np ? np - digits : 0;
	for (k = 0; k < np - first; k++) {
		/* The rightmost N of the (reversed) list. */
		i = reverse ? np - 1 - (first + k) : first + k;
		if (k > 0 && buf_addc(out, '.', err) == -1)
			return -1;
		if (!esc) {
			if (buf_add(out, parts[i], lens[i], err) == -1)
				return -1;
			continue;
		}
		for (start = 0; start < lens[i]; start++) {
			unsigned char	c = (unsigned char)parts[i][start];

			if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
			    c == '~') {
				if (buf_addc(out, (char)c, err) == -1)
					return -1;
			} else if (buf_printf(out, err, "%%%02X", c) == -1)
				return -1;
		}
	}
	return 0;
}

static int
walk(const char *s, size_t len, int flags, const struct spf_macro_vars *v,
    bool *uses_p, struct buf *out, struct err *err)
{
	size_t		 i, n, digits;
	int		 letter;
	bool		 reverse;
	char		 delims[8];
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (out != NULL && out->len > SPF_MAX_EXPANSION) {
			err_set(err, ERR_LIMIT, "macro: expansion longer than "
			    "%d bytes", SPF_MAX_EXPANSION);
			return -1;
		}
		if (c == ' ' && (flags & SPF_MACRO_EXP)) {
			if (out != NULL && buf_addc(out, ' ', err) == -1)
				return -1;
			continue;
		}
		if (c < 0x21 || c > 0x7e) {
			err_set(err, SPF_E_SYNTAX, "macro-string: byte 0x%02x",
			    c);
			return -1;
		}
		if (c != '%') {
			if (out != NULL && buf_addc(out, (char)c, err) == -1)
				return -1;
			continue;
		}
		if (i + 1 >= len)
			goto bad;
		switch (s[i + 1]) {
		case '%':
			if (out != NULL && buf_addc(out, '%', err) == -1)
				return -1;
			i++;
			continue;
		case '_':
			if (out != NULL && buf_addc(out, ' ', err) == -1)
				return -1;
			i++;
			continue;
		case '-':
			if (out != NULL && buf_adds(out, "%20", err) == -1)
				return -1;
			i++;
			continue;
		case '{':
			break;
		default:
			goto bad;
		}
		delims[0] = '\0';
		if (parse_expand(s + i, len - i, flags, &letter, &digits,
		    &reverse, delims, &n, err) == -1)
			return -1;
		if (tolower(letter) == 'p')
			*uses_p = true;
		if (out != NULL && expand_one(letter, digits, reverse, delims,
		    v, out, err) == -1)
			return -1;
		i += n - 1;
	}
	return 0;
bad:
	err_set(err, SPF_E_SYNTAX, "macro-string: \"%%\" not followed by "
	    "\"{\", \"%%\", \"_\" or \"-\"");
	return -1;
}

int
spf_macro_expand(const char *s, size_t len, int flags,
    const struct spf_macro_vars *v, struct buf *out, struct err *err)
{
	size_t	start = out->len, dlen, cut;
	bool	p = false;

	if (walk(s, len, flags, v, &p, out, err) == -1) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return -1;
	}
	if (out->len - start > SPF_MAX_EXPANSION) {
		out->len = start;
		out->data[start] = '\0';
		err_set(err, ERR_LIMIT, "macro: expansion longer than %d bytes",
		    SPF_MAX_EXPANSION);
		return -1;
	}
	if ((flags & SPF_MACRO_DOMAIN) == 0)
		return 0;
	/* Section 7.3: drop whole labels from the left down to 253. */
	dlen = out->len - start;
	cut = 0;
	while (dlen - cut > 253) {
		const char *dot = memchr(out->data + start + cut, '.',
		    dlen - cut);

		if (dot == NULL) {
			cut = dlen;
			break;
		}
		cut = (size_t)(dot - (out->data + start)) + 1;
	}
	if (cut > 0) {
		memmove(out->data + start, out->data + start + cut, dlen - cut);
		out->len -= cut;
		out->data[out->len] = '\0';
	}
	return 0;
}
