/*
 * fuzz_doctor_dns.c: the reply reader of timbre doctor's DNSSEC questions
 * (tools/doctor_dns.c: header flags, the question, the answer section's
 * records and their TLSA data), fed any bytes as the reply to a TLSA
 * question and to an MX question, with the ID taken from the bytes so
 * that the reader goes past the header; and the name encoder, fed the
 * same bytes as a name.
 *
 * The code lives in tools/, outside libtimbre, so the harness compiles it
 * in (with doctor_tls.c, whose socket helpers it calls).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/doctor_dns.c"
#include "../../tools/doctor_tls.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doctor_dns_answer a;
	uint8_t			 wire[DNS_WIRE_NAME_MAX + 2];
	char			*name;
	size_t			 i;
	uint16_t		 id = size >= 2 ? dns_wire_peek16(data) : 0;

	if (doctor_dns_parse(data, size, id, DOCTOR_DNS_T_TLSA, &a) == 0) {
		if (a.ntlsa > DOCTOR_MAX_TLSA || a.ntlsa > a.ntype)
			abort();
		for (i = 0; i < a.ntlsa; i++)
			if (a.tlsa[i].len > sizeof(a.tlsa[i].data))
				abort();
	}
	(void)doctor_dns_parse(data, size, id, DNS_T_MX, &a);
	if ((name = malloc(size + 1)) == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	if (name_wire(name, wire) > DNS_WIRE_NAME_MAX)
		abort();
	free(name);
	return 0;
}
