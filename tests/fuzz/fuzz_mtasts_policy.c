/*
 * fuzz_mtasts_policy.c: what timbre doctor and timbre-listd's delivery
 * read from a domain's MTA-STS server (src/mail/mtasts.c): the HTTP/1.x
 * response, the MTA-STS policy in its body (RFC 8461 section 3.2) and
 * the mx: pattern match, fed the same bytes as a whole response, as a
 * bare policy and as the TXT record of _mta-sts (section 3.1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mtasts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Checks what a parsed policy holds, and matches its patterns. */
static void
policy_use(const struct mail_sts_policy *p)
{
	static const char *const hosts[] = { "mx.example.org",
	    "a.mx.example.org", "example.org", "x", "" };
	size_t	i, j;

	if (p->nmx > MAIL_STS_MAX_MX || p->max_age < 0 ||
	    p->max_age > MAIL_STS_MAX_AGE)
		abort();
	for (i = 0; i < p->nmx; i++) {
		if (p->mx[i][0] == '\0' ||
		    strlen(p->mx[i]) >= MAIL_STS_MX_LEN)
			abort();
		for (j = 0; j < sizeof(hosts) / sizeof(hosts[0]); j++)
			(void)mail_sts_mx_match(p->mx[i], hosts[j]);
		/* A pattern without "*." matches itself. */
		if (p->mx[i][0] != '*' && !mail_sts_mx_match(p->mx[i],
		    p->mx[i]))
			abort();
	}
	(void)mail_sts_mode_str(p->mode);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_sts_policy pol;
	struct mail_http	 h;
	const char		*why, *s = (const char *)data;
	char			 w[128], id[MAIL_STS_ID_LEN + 1];

	if (mail_http_parse(s, size, &h, &why) == 0) {
		if (h.body < s || h.body + h.body_len > s + size)
			abort();
		(void)mail_http_is_text_plain(&h);
		if (mail_sts_parse(h.body, h.body_len, &pol, w,
		    sizeof(w)) == 0)
			policy_use(&pol);
	}
	if (mail_sts_parse(s, size, &pol, w, sizeof(w)) == 0)
		policy_use(&pol);
	/* The same bytes as a _mta-sts TXT record. */
	if (mail_sts_txt_parse(s, size, id) == 0 && (id[0] == '\0' ||
	    strlen(id) > MAIL_STS_ID_LEN))
		abort();
	return 0;
}
