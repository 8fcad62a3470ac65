/*
 * fuzz_arc_hdr.c: ARC header sections from the network: field instance
 * numbers, set collection, AMS and AS tag lists, and a whole validation
 * without keys (every signature must fail, nothing may crash).  The input
 * is a header section with LF or CRLF line ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arc/arc_priv.h"
#include "mail/mail.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_reader	*r;
	struct mail_hdrs	*hdrs = NULL;
	struct arc_verify	*av;
	struct arc_sig		 sig;
	struct arc_hop		 hop;
	struct err		 err;
	const char		*p;
	size_t			 n, i;
	unsigned		 inst, k;
	int			 kind;
	enum mail_read		 ev;

	if ((r = mail_reader_new(MAIL_NL_LF, 0, &err)) == NULL)
		return 0;
	if (mail_reader_feed(r, (const char *)data, size, &err) == -1) {
		mail_reader_free(r);
		return 0;
	}
	mail_reader_finish(r);
	while ((ev = mail_reader_next(r, &p, &n, &err)) != MAIL_READ_END &&
	    ev != MAIL_READ_ERROR && ev != MAIL_READ_NEED_MORE)
		if (ev == MAIL_READ_HEADERS)
			hdrs = mail_reader_take_hdrs(r);
	mail_reader_free(r);
	if (hdrs == NULL)
		return 0;
	for (i = 0; i < mail_hdrs_count(hdrs); i++) {
		const struct mail_field *f = mail_hdrs_at(hdrs, i);

		if ((kind = arc_field_kind(f)) == -1)
			continue;
		(void)arc_field_instance(f, kind, &inst, &err);
		if (kind != ARC_AAR) {
			(void)arc_sig_parse(f, kind, &sig, &err);
			arc_sig_fini(&sig);
		}
	}
	if ((av = arc_verify_new(hdrs, 0, &err)) != NULL) {
		for (i = 0; i < arc_verify_key_count(av); i++)
			arc_verify_set_key(av, arc_verify_key_name(av, i),
			    DKIM_KEY_NONE, NULL, 0, NULL);
		arc_verify_body(av, "body\r\n", 6);
		arc_verify_finish(av);
		(void)arc_verify_result(av, &p);
		for (k = 1; k <= arc_verify_hops(av); k++)
			arc_verify_hop(av, k, &hop);
		arc_verify_free(av);
	}
	mail_hdrs_free(hdrs);
	return 0;
}
