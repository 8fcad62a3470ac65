/*
 * b64.h: base64 (RFC 4648 section 4) as DKIM uses it.
 *
 * The decoder skips whitespace (RFC 6376 allows FWS inside b=, bh= and p=),
 * requires correct padding and rejects any other character.
 */
#ifndef TIMBRE_UTIL_B64_H
#define TIMBRE_UTIL_B64_H

#include <stddef.h>
#include <stdint.h>

struct err;

/* Length of the encoding of n bytes, without the terminating NUL. */
size_t	b64_encoded_len(size_t n);
/* Writes the encoding of in[0..n) and a NUL to out, which has room for
 * b64_encoded_len(n) + 1 bytes; returns the encoded length. */
size_t	b64_encode(const uint8_t *, size_t, char *out);
/* Decodes s[0..n) into a malloc'ed buffer (caller frees); -1 on bad input
 * with err saying why. */
int	b64_decode(const char *, size_t, uint8_t **out, size_t *len_out,
	    struct err *);

#endif
