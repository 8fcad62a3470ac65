/*
 * unsub.h: timbre-listd's one-click unsubscribe links (RFC 8058) and
 * what they take: the token, the header fields of a copy, the form body
 * of the POST.  Pure functions, apart from the HMAC (src/keys), shared
 * by the delivery engine (deliver.c, which writes the fields of every
 * copy of a post) and the HTTP endpoint (http.c, which reads them back).
 *
 * A token is base32 (RFC 4648 section 6, lower case, no padding) of
 *
 *	0x01 | LIST@DOMAIN | 0x00 | ADDRESS | MAC
 *
 * with LIST, DOMAIN and ADDRESS in lower case (membership ignores case,
 * src/store/store.h) and MAC the first LISTD_UNSUB_MAC_LEN bytes of
 * HMAC-SHA256 over everything before it under the database's
 * "unsubscribe" secret (store_secret).  The link says whom it removes
 * from what, so no row per link is kept; without the key nobody can
 * make one, and one made for an address removes no other.  The version
 * byte lets the layout change later.
 */
#ifndef TIMBRE_LISTD_UNSUB_H
#define TIMBRE_LISTD_UNSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct buf;
struct err;

#define LISTD_UNSUB_SECRET	"unsubscribe"	/* store_secret's name */
#define LISTD_UNSUB_KEY_LEN	32
#define LISTD_UNSUB_MAC_LEN	16		/* 128 bits */
/* The largest payload: version, LIST@DOMAIN, NUL, ADDRESS, MAC. */
#define LISTD_UNSUB_RAW_MAX	(1 + STORE_NAME_MAX + 1 + STORE_DOMAIN_MAX + \
				 1 + STORE_ADDR_MAX + LISTD_UNSUB_MAC_LEN)
/* Its base32 text, without the NUL. */
#define LISTD_UNSUB_TOKEN_MAX	((LISTD_UNSUB_RAW_MAX * 8 + 4) / 5)
/* The form body RFC 8058 section 3.1 asks for. */
#define LISTD_UNSUB_BODY	"List-Unsubscribe=One-Click"

/* Who a valid token names. */
struct listd_unsub_who {
	char	list[STORE_NAME_MAX + 1];
	char	domain[STORE_DOMAIN_MAX + 1];
	char	address[STORE_ADDR_MAX + 1];
};

/*
 * The token of address on LIST@DOMAIN under key into out (cap bytes, at
 * most LISTD_UNSUB_TOKEN_MAX + 1 needed).  -1 with err: ERR_ARG when a
 * part is empty, too long or holds a control character, ERR_CRYPTO.
 */
int	listd_unsub_token(const uint8_t key[LISTD_UNSUB_KEY_LEN],
	    const char *list, const char *domain, const char *address,
	    char *out, size_t cap, struct err *);
/*
 * Reads token[0..len) (from anyone): 0 and who_out filled when it is a
 * token made under key; -1 with err ERR_SYNTAX (not base32, too short or
 * long, a layout that does not parse) or ERR_CRYPTO (the MAC does not
 * match: tampered with, or made under another key).  Upper case letters
 * are read as lower case.
 */
int	listd_unsub_check(const uint8_t key[LISTD_UNSUB_KEY_LEN],
	    const char *token, size_t len, struct listd_unsub_who *who_out,
	    struct err *);
/*
 * Is body[0..len), of content type ctype (NULL: none given), the
 * one-click form, List-Unsubscribe=One-Click, as
 * application/x-www-form-urlencoded (one of its '&'-separated pairs) or
 * multipart/form-data (a part named List-Unsubscribe whose content is
 * One-Click)?  Bytes from anyone.
 */
bool	listd_unsub_is_one_click(const char *ctype, const char *body,
	    size_t len);
/*
 * Appends the List-Unsubscribe field of a copy of a post of LIST@DOMAIN
 * to out: with url (the endpoint's base, "https://lists.example.org",
 * NULL: none) and token, the HTTPS link then the mailto: address, and
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click; without, the
 * mailto: address alone.  CRLF-terminated fields.  -1 with err.
 */
int	listd_unsub_fields(const char *url, const char *token,
	    const char *list, const char *domain, struct buf *out,
	    struct err *);

#endif
