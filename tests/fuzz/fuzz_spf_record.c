/*
 * fuzz_spf_record.c: SPF records (TXT data from DNS, RFC 7208 sections
 * 4.5 and 12): the parser; every macro-string it accepted, expanded as a
 * domain-spec; then the evaluator, with the input as the TXT record of
 * every name it asks for (so include: and redirect= recurse into it
 * until the limits stop them), A, AAAA, MX and PTR answers for the
 * rest.  The evaluation must end within its question budget.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "spf/spf.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Appends s in zone-file syntax: every byte that might mean something
 * there as \DDD. */
static void
escaped(struct buf *b, const char *s, size_t len, struct err *err)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			buf_addc(b, (char)c, err);
		else
			buf_printf(b, err, "\\%03u", c);
	}
}

static void
answer(struct spf_eval *ev, const struct dns_question *q, const char *txt,
    size_t len)
{
	struct dns_msg	*msg = NULL;
	struct buf	 rr;
	struct err	 err;
	const char	*one;
	size_t		 i;

	buf_init(&rr, 1 << 20);
	escaped(&rr, q->name, strlen(q->name), &err);
	switch (q->type) {
	case DNS_T_TXT:
		buf_adds(&rr, ". TXT", &err);
		for (i = 0; i == 0 || i < len; i += 255) {
			buf_adds(&rr, " \"", &err);
			escaped(&rr, txt + i, len - i < 255 ? len - i : 255,
			    &err);
			buf_addc(&rr, '"', &err);
		}
		break;
	case DNS_T_A:
		buf_adds(&rr, ". A 192.0.2.1", &err);
		break;
	case DNS_T_AAAA:
		buf_adds(&rr, ". AAAA 2001:db8::1", &err);
		break;
	case DNS_T_MX:
		buf_adds(&rr, ". MX 10 mx.example.com.", &err);
		break;
	default:
		buf_adds(&rr, ". PTR mail.example.com.", &err);
		break;
	}
	one = rr.data;
	if (dns_msg_build(q->name, q->type, 0, &one, 1, &msg, &err) == 0)
		spf_eval_answer(ev, DNS_OK, msg, &err);
	else
		spf_eval_answer(ev, DNS_SERVFAIL, NULL, &err);
	dns_msg_free(msg);
	buf_fini(&rr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_record	 rec;
	struct spf_macro_vars	 v = { "user@example.com", "example.com",
				    "mail.example.com", "mx.example.org",
				    NULL, { AF_INET, { 192, 0, 2, 1 } }, 0 };
	struct spf_params	 p = { "192.0.2.1", "user@example.com",
				    "mail.example.com", NULL,
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct dns_question	 q;
	enum spf_result		 res;
	struct buf		 out;
	struct err		 err;
	char			*txt;
	size_t			 i, asked = 0;

	if ((txt = malloc(size + 1)) == NULL)
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	(void)spf_record_is_spf(txt);
	buf_init(&out, SPF_MAX_EXPANSION * 2);
	if (spf_record_parse(txt, &rec, &err) == 0) {
		for (i = 0; i < rec.nterms; i++) {
			if (rec.terms[i].spec == NULL)
				continue;
			buf_reset(&out);
			(void)spf_macro_expand(rec.terms[i].spec,
			    rec.terms[i].spec_len, SPF_MACRO_DOMAIN, &v, &out,
			    &err);
		}
	}
	spf_record_fini(&rec);
	if (size > 0 && (data[0] & 1))
		p.ip = "2001:db8::1";
	if (size < 4096 && (ev = spf_eval_new(&p, &err)) != NULL) {
		while (spf_eval_next(ev, 0, &q, &res) == SPF_STEP_QUERY) {
			if (++asked > 400)
				__builtin_trap();	/* no end in sight */
			answer(ev, &q, txt, size);
		}
		buf_reset(&out);
		(void)spf_received_spf(ev, &out, &err);
		spf_eval_free(ev);
	}
	buf_fini(&out);
	free(txt);
	return 0;
}
