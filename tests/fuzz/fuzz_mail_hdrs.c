/*
 * fuzz_mail_hdrs.c: mail_hdrs_parse() on any bytes.  A section that parses
 * must be the input, field by field: each field starts where the previous
 * one and its CRLF end, its name is ftext, and looking it up by its own
 * name finds it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mail_hdrs	*h;
	const struct mail_field	*f;
	struct buf		 b;
	struct err		 err;
	const char		*raw;
	char			 name[256];
	size_t			 i, n, off = 0;

	if ((h = mail_hdrs_parse((const char *)data, len, &err)) == NULL) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	raw = mail_hdrs_raw(h, &n);
	if (n != len || memcmp(raw, data, len) != 0)
		abort();
	buf_init(&b, len + 1);
	for (i = 0; i < mail_hdrs_count(h); i++) {
		f = mail_hdrs_at(h, i);
		if (f->raw != raw + off || f->name_len == 0 ||
		    f->value_off <= f->name_len || f->value_off > f->raw_len ||
		    f->raw[f->value_off - 1] != ':' ||
		    memcmp(f->raw + f->raw_len, "\r\n", 2) != 0)
			abort();
		off += f->raw_len + 2;
		buf_reset(&b);
		if (mail_field_unfold(f, &b, &err) == -1 ||
		    b.len > f->raw_len - f->value_off)
			abort();
		if (f->name_len < sizeof(name)) {
			memcpy(name, f->raw, f->name_len);
			name[f->name_len] = '\0';
			if (!mail_field_is_named(f, name) ||
			    mail_hdrs_find(h, name, 0) > (long)i ||
			    mail_hdrs_find(h, name, i) != (long)i ||
			    mail_hdrs_count_name(h, name) == 0)
				abort();
		}
	}
	if (off != len || mail_hdrs_at(h, i) != NULL)
		abort();
	buf_fini(&b);
	mail_hdrs_free(h);
	return 0;
}
