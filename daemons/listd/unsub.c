/*
 * unsub.c: the one-click unsubscribe links of timbre-listd (unsub.h):
 * RFC 8058's List-Unsubscribe and List-Unsubscribe-Post fields, the
 * token they carry (a MAC over the list and the address, base32 of RFC
 * 4648 section 6 so that it survives any URL handling), and the form
 * body of the POST (RFC 8058 section 3.1).
 *
 * Tokens and form bodies come from anyone: every length is checked
 * before a byte is read or written, the MAC is compared in constant
 * time (key_mem_equal), and the fields a token names are checked for
 * control characters before anything uses them.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "unsub.h"
#include "keys/mac.h"
#include "util/buf.h"
#include "util/err.h"

static const char	b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Appends the lower-case copy of s (n bytes, no control characters, no
 * NUL) to raw at *off; false when it does not fit or holds one. */
static bool
put_lower(uint8_t *raw, size_t *off, size_t cap, const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || *off + n > cap)
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
		raw[(*off)++] = (uint8_t)tolower((unsigned char)s[i]);
	}
	return true;
}

static int
mac(const uint8_t key[LISTD_UNSUB_KEY_LEN], const uint8_t *raw, size_t n,
    uint8_t out[KEY_HMAC_MAX], struct err *err)
{
	size_t	len;

	return key_hmac(KEY_HMAC_SHA256, key, LISTD_UNSUB_KEY_LEN, raw, n, out,
	    &len, err);
}

int
listd_unsub_token(const uint8_t key[LISTD_UNSUB_KEY_LEN], const char *list,
    const char *domain, const char *address, char *out, size_t cap,
    struct err *err)
{
	uint8_t		raw[LISTD_UNSUB_RAW_MAX], m[KEY_HMAC_MAX];
	size_t		off = 0, i, o = 0;
	unsigned	acc = 0, bits = 0;

	raw[off++] = 1;
	/* The token is read back by splitting at the first '@'. */
	if (strchr(list, '@') != NULL || strlen(list) > STORE_NAME_MAX || strlen(domain) >
	    STORE_DOMAIN_MAX || strlen(address) > STORE_ADDR_MAX ||
	    !put_lower(raw, &off, sizeof(raw), list, strlen(list)) ||
	    !put_lower(raw, &off, sizeof(raw), "@", 1) ||
	    !put_lower(raw, &off, sizeof(raw), domain, strlen(domain))) {
		err_set(err, ERR_ARG, "unsubscribe token: not a list name");
		return -1;
	}
	raw[off++] = 0;
	if (!put_lower(raw, &off, sizeof(raw), address, strlen(address))) {
		err_set(err, ERR_ARG, "unsubscribe token: not an address");
		return -1;
	}
	if (mac(key, raw, off, m, err) == -1)
		return -1;
	memcpy(raw + off, m, LISTD_UNSUB_MAC_LEN);
	off += LISTD_UNSUB_MAC_LEN;
	if (cap < (off * 8 + 4) / 5 + 1) {
		err_set(err, ERR_ARG, "unsubscribe token: no room");
		return -1;
	}
	for (i = 0; i < off; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

/* Copies raw[from..to) into out (cap bytes with its NUL). */
static bool
take(const uint8_t *raw, size_t from, size_t to, char *out, size_t cap)
{
	size_t	i;

	if (to <= from || to - from >= cap)
		return false;
	for (i = from; i < to; i++)
		if (raw[i] <= ' ' || raw[i] == 0x7f)
			return false;
	memcpy(out, raw + from, to - from);
	out[to - from] = '\0';
	return true;
}

int
listd_unsub_check(const uint8_t key[LISTD_UNSUB_KEY_LEN], const char *token,
    size_t len, struct listd_unsub_who *who, struct err *err)
{
	uint8_t		 raw[LISTD_UNSUB_RAW_MAX], m[KEY_HMAC_MAX];
	const uint8_t	*nul, *at;
	const char	*p;
	size_t		 n = 0, i, body;
	unsigned	 acc = 0, bits = 0;

	memset(who, 0, sizeof(*who));
	if (len > LISTD_UNSUB_TOKEN_MAX)
		goto syntax;
	for (i = 0; i < len; i++) {
		if ((p = strchr(b32, tolower((unsigned char)token[i]))) ==
		    NULL || token[i] == '\0')
			goto syntax;
		acc = (acc << 5) | (unsigned)(p - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The leftover bits are padding: fewer than 5, all zero. */
	if (bits >= 5 || acc != 0)
		goto syntax;
	/* version, "l@d", NUL, "a", MAC: at least 1 + 3 + 1 + 1 + MAC. */
	if (n < 6 + LISTD_UNSUB_MAC_LEN || raw[0] != 1)
		goto syntax;
	body = n - LISTD_UNSUB_MAC_LEN;
	if ((nul = memchr(raw + 1, 0, body - 1)) == NULL ||
	    (at = memchr(raw + 1, '@', (size_t)(nul - raw) - 1)) == NULL ||
	    !take(raw, 1, (size_t)(at - raw), who->list, sizeof(who->list)) ||
	    !take(raw, (size_t)(at - raw) + 1, (size_t)(nul - raw),
	    who->domain, sizeof(who->domain)) ||
	    !take(raw, (size_t)(nul - raw) + 1, body, who->address,
	    sizeof(who->address)))
		goto syntax;
	if (mac(key, raw, body, m, err) == -1)
		goto fail;
	if (!key_mem_equal(m, raw + body, LISTD_UNSUB_MAC_LEN)) {
		err_set(err, ERR_CRYPTO, "unsubscribe token: not ours (MAC "
		    "mismatch)");
		goto fail;
	}
	return 0;
syntax:
	err_set(err, ERR_SYNTAX, "unsubscribe token: does not parse");
fail:
	memset(who, 0, sizeof(*who));
	return -1;
}

/* Does s[0..n) equal lit, without regard to ASCII case? */
static bool
is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

/* The urlencoded form: a pair of exactly these bytes.  Neither the key
 * nor the value has a byte that needs %-encoding, and RFC 8058's
 * senders send them as they are. */
static bool
urlencoded(const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *amp;
	size_t		 n;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		n = (size_t)((amp != NULL ? amp : end) - p);
		/* A final CRLF some clients add is no part of the value. */
		while (amp == NULL && n > 0 && (p[n - 1] == '\r' ||
		    p[n - 1] == '\n'))
			n--;
		if (n == strlen(LISTD_UNSUB_BODY) &&
		    memcmp(p, LISTD_UNSUB_BODY, n) == 0)
			return true;
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return false;
}

/* Finds needle in h[0..n); NULL if it is not there. */
static const char *
find(const char *h, size_t n, const char *needle)
{
	size_t	k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(h + i, needle, k) == 0)
			return h + i;
	return NULL;
}

/* multipart/form-data (RFC 7578): a part whose Content-Disposition
 * names List-Unsubscribe, whose content, up to the CRLF before the next
 * boundary, is One-Click. */
static bool
multipart(const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *hdr_end, *v;
	static const char name[] = "name=\"List-Unsubscribe\"";

	while ((v = find(p, (size_t)(end - p), name)) != NULL) {
		p = v + strlen(name);
		if ((hdr_end = find(p, (size_t)(end - p), "\r\n\r\n")) ==
		    NULL)
			return false;
		v = hdr_end + 4;
		if ((size_t)(end - v) >= 11 && is(v, 9, "One-Click") &&
		    v[9] == '\r' && v[10] == '\n')
			return true;
	}
	return false;
}

bool
listd_unsub_is_one_click(const char *ctype, const char *body, size_t len)
{
	size_t	n;

	if (ctype == NULL)
		return urlencoded(body, len);
	n = strcspn(ctype, "; \t");
	if (is(ctype, n, "multipart/form-data"))
		return multipart(body, len);
	if (is(ctype, n, "application/x-www-form-urlencoded"))
		return urlencoded(body, len);
	return false;
}

int
listd_unsub_fields(const char *url, const char *token, const char *list,
    const char *domain, struct buf *out, struct err *err)
{
	/* A line of a header section stays under 998 bytes (RFC 5322
	 * 2.1.1): a link that long (an address of 200 bytes) is left out,
	 * the mailto: address still works. */
	if (url == NULL || token == NULL ||
	    strlen(url) + strlen(token) + 32 > 998)
		return buf_printf(out, err, "List-Unsubscribe: "
		    "<mailto:%s-unsubscribe@%s>\r\n", list, domain);
	/* Folded between the two, each on a line of its own. */
	return buf_printf(out, err, "List-Unsubscribe: <%s/u/%s>,\r\n"
	    " <mailto:%s-unsubscribe@%s>\r\n"
	    "List-Unsubscribe-Post: " LISTD_UNSUB_BODY "\r\n", url, token,
	    list, domain);
}
