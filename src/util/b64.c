/*
 * b64.c: base64 encoding and strict decoding (RFC 4648 section 4).
 */
#include <stdlib.h>

#include "util/b64.h"
#include "util/err.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t
b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t		i, o = 0;
	uint32_t	v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode(const char *s, size_t n, uint8_t **out, size_t *len_out,
    struct err *err)
{
	uint8_t		*p;
	size_t		 i, o = 0, pad = 0, nsym = 0;
	uint32_t	 acc = 0;
	int		 v;

	*out = NULL;
	*len_out = 0;
	if ((p = malloc(n / 4 * 3 + 3)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) == -1) {
			err_set(err, ERR_SYNTAX, "invalid base64 character "
			    "at offset %zu", i);
			free(p);
			return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++nsym % 4 == 0) {
			p[o++] = acc >> 16 & 0xff;
			p[o++] = acc >> 8 & 0xff;
			p[o++] = acc & 0xff;
			acc = 0;
		}
	}
	switch (nsym % 4) {
	case 0:
		if (pad != 0)
			goto bad;
		break;
	case 2:
		if (pad != 0 && pad != 2)
			goto bad;
		p[o++] = acc >> 4 & 0xff;
		break;
	case 3:
		if (pad != 0 && pad != 1)
			goto bad;
		p[o++] = acc >> 10 & 0xff;
		p[o++] = acc >> 2 & 0xff;
		break;
	default:
		goto bad;
	}
	*out = p;
	*len_out = o;
	return 0;
bad:
	err_set(err, ERR_SYNTAX, "invalid base64 length or padding");
	free(p);
	return -1;
}
