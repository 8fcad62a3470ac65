/*
 * fuzz_dkim_keyrec.c: DKIM key records (TXT data from DNS), which reach
 * the base64 decoder and OpenSSL's key parsers; and the body
 * canonicaliser fed the same bytes in two pieces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_keyrec	 rec;
	struct dkim_body	*body;
	struct err		 err;
	uint8_t			 hash[32];
	char			*txt;

	if ((txt = malloc(size + 1)) == NULL)
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	if (dkim_keyrec_parse(txt, &rec, &err) == 0)
		dkim_keyrec_fini(&rec);
	free(txt);
	if ((body = dkim_body_new(size % 2 ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE, (int64_t)size / 3 - 1, &err)) != NULL) {
		dkim_body_update(body, (const char *)data, size / 2);
		dkim_body_update(body, (const char *)data + size / 2,
		    size - size / 2);
		dkim_body_final(body, hash, NULL);
		dkim_body_free(body);
	}
	return 0;
}
