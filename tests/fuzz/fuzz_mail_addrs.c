/*
 * fuzz_mail_addrs.c: mail_addrs_parse() on any bytes.  A list that parses
 * has mailboxes with a local part and no NUL; one that does not leaves the
 * result empty and says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mail_addrs	 a;
	struct err		 err;
	size_t			 i, total = 0;

	if (mail_addrs_parse((const char *)data, len, &a, &err) == -1) {
		if (a.v != NULL || a.n != 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < a.n; i++) {
		if (a.v[i].display == NULL || a.v[i].local == NULL ||
		    (a.v[i].domain != NULL && a.v[i].domain[0] == '\0'))
			abort();
		total += strlen(a.v[i].local);
		if (a.v[i].domain != NULL)
			total += strlen(a.v[i].domain);
	}
	/* Nothing decoded is longer than the input. */
	if (total > len)
		abort();
	mail_addrs_fini(&a);
	return 0;
}
