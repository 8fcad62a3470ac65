/*
 * fuzz_dkim_sig.c: DKIM-Signature fields from the network: the tag-list
 * parser, the signature checks, and both header canonicalisations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_priv.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 name[] = "DKIM-Signature:";
	struct dkim_tags	 tags;
	struct dkim_sig		 sig;
	struct err		 err;
	struct buf		 b;
	char			*field;

	if ((field = malloc(sizeof(name) - 1 + size)) == NULL)
		return 0;
	memcpy(field, name, sizeof(name) - 1);
	memcpy(field + sizeof(name) - 1, data, size);
	(void)dkim_tags_parse((const char *)data, size, &tags, &err);
	(void)dkim_sig_parse(field, sizeof(name) - 1 + size, sizeof(name) - 1,
	    &sig, &err);
	dkim_sig_fini(&sig);
	buf_init(&b, 1024 * 1024);
	(void)dkim_canon_header(DKIM_CANON_RELAXED, field,
	    sizeof(name) - 1 + size, &b, &err);
	(void)dkim_canon_header(DKIM_CANON_SIMPLE, field,
	    sizeof(name) - 1 + size, &b, &err);
	buf_fini(&b);
	free(field);
	return 0;
}
