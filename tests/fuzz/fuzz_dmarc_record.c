/*
 * fuzz_dmarc_record.c: DMARC policy records (TXT data from anyone's DNS),
 * the public suffix list parser and look-up, and the tree walk's name
 * splitting, all fed the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record	 rec;
	struct dmarc_psl	*psl;
	struct err		 err;
	char			 names[DMARC_MAX_WALK][DNS_MAX_NAME + 1];
	char			 org[DNS_MAX_NAME + 1];
	char			*txt;

	if ((txt = malloc(size + 1)) == NULL)
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	(void)dmarc_record_is_dmarc(txt);
	if (dmarc_record_parse(txt, &rec, &err) == 0)
		dmarc_record_fini(&rec);
	(void)dmarc_walk_names(txt, names);
	if ((psl = dmarc_psl_new((const char *)data, size, &err)) != NULL) {
		(void)dmarc_psl_org_domain(psl, "a.b.example.co.uk", org,
		    sizeof(org));
		(void)dmarc_psl_org_domain(psl, txt, org, sizeof(org));
		dmarc_psl_free(psl);
	}
	free(txt);
	return 0;
}
