/*
 * fuzz_spf_macro.c: SPF macro expansion (RFC 7208 section 7): the first
 * byte picks the flags and the client address family, the rest is the
 * macro-string, checked and then expanded, with an IPv4 and an IPv6
 * client, so that every letter and transformer meets odd input.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "spf/spf.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_macro_vars	 v = { "strong-bad@email.example.com",
				    "email.example.com", "mx.example.org",
				    NULL, "a.b.example.org",
				    { AF_INET, { 192, 0, 2, 3 } }, 1700000000 };
	struct buf		 out;
	struct err		 err;
	bool			 uses_p;
	int			 flags;

	if (size < 1)
		return 0;
	flags = data[0] & (SPF_MACRO_EXP | SPF_MACRO_DOMAIN);
	if (data[0] & 0x80) {
		v.ip.family = AF_INET6;
		memcpy(v.ip.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01",
		    16);
	}
	if (data[0] & 0x40)
		v.sender = "@";
	if (data[0] & 0x20)
		v.helo = NULL;
	data++;
	size--;
	buf_init(&out, SPF_MAX_EXPANSION * 2);
	if (spf_macro_check((const char *)data, size, flags, &uses_p,
	    &err) == 0 && spf_macro_expand((const char *)data, size, flags,
	    &v, &out, &err) == -1 && err.code == SPF_E_SYNTAX)
		__builtin_trap();	/* the two must agree */
	buf_fini(&out);
	return 0;
}
