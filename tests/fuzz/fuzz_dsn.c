/*
 * fuzz_dsn.c: mail_dsn_parse() and mail_dsn_is_policy() on any bytes:
 * bounces come from anyone.  Whatever the input, every string found is
 * NUL-terminated within its field, at most MAIL_DSN_MAX_RCPT recipients
 * are given, and an action is one of the enumeration's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mail_dsn	 d;
	size_t		 i;

	mail_dsn_parse((const char *)data, len, &d);
	if (d.nrcpt > MAIL_DSN_MAX_RCPT ||
	    memchr(d.message_id, '\0', sizeof(d.message_id)) == NULL)
		abort();
	for (i = 0; i < d.nrcpt; i++) {
		if (memchr(d.rcpt[i].recipient, '\0',
		    sizeof(d.rcpt[i].recipient)) == NULL ||
		    memchr(d.rcpt[i].status, '\0',
		    sizeof(d.rcpt[i].status)) == NULL ||
		    memchr(d.rcpt[i].diagnostic, '\0',
		    sizeof(d.rcpt[i].diagnostic)) == NULL ||
		    d.rcpt[i].action > MAIL_DSN_EXPANDED)
			abort();
		(void)mail_dsn_is_policy(d.rcpt[i].status,
		    d.rcpt[i].diagnostic);
	}
	return 0;
}
