/*
 * fuzz_dns_answer.c: DNS answers from the network, as the stub client
 * sees them: dns_answer_parse() checks them against a question and
 * classifies them, dns_msg_txts() reads their TXT records,
 * dns_msg_tlsas() their TLSA records (timbre-listd's DANE, timbre
 * doctor), dns_msg_count() the records of the type asked, and
 * dns_msg_ad() and dns_msg_ra() their flags.
 *
 * The input's first byte picks the question (type and name) and the
 * answer's own ID is used, so that most inputs get past the header check
 * and reach the question, CNAME and TXT code.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct {
	const char	*name;
	uint16_t	 type;
} questions[] = {
	{ "example.com", DNS_T_TXT },
	{ "_dmarc.example.com", DNS_T_TXT },
	{ "sel._domainkey.example.org", DNS_T_TXT },
	{ "example.com", DNS_T_A },
	{ "example.com", DNS_T_MX },
	{ "www.example.net", DNS_T_CNAME },
	{ "example.com", DNS_T_AAAA },
	{ ".", DNS_T_NS },
	{ "_25._tcp.mx.example.com", DNS_T_TLSA },
};
#define NQUESTIONS	(sizeof(questions) / sizeof(questions[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg	*msg = NULL;
	enum dns_status	 status;
	struct err	 err;
	char		**txts;
	struct dns_tlsa	*tlsa;
	size_t		 n, which;
	uint16_t	 id;

	if (size < 1)
		return 0;
	which = data[0] % NQUESTIONS;
	data++;
	size--;
	id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	if (dns_answer_parse(data, size, id, questions[which].name,
	    questions[which].type, &status, &msg, &err) == -1)
		return 0;
	if (dns_status_str(status) == NULL)
		abort();
	(void)dns_msg_rcode(msg);
	if (dns_msg_txts(msg, questions[which].name, &txts, &n, &err) == 0)
		dns_txts_free(txts, n);
	if (dns_msg_txts(msg, NULL, &txts, &n, &err) == 0)
		dns_txts_free(txts, n);
	if (dns_msg_tlsas(msg, NULL, &tlsa, &n, &err) == 0) {
		if (n > 0 && tlsa == NULL)
			abort();
		dns_tlsas_free(tlsa, n);
	}
	if (dns_msg_count(msg, NULL, questions[which].type, &n, &err) == 0 &&
	    n > 65535)
		abort();
	(void)dns_msg_ad(msg);
	(void)dns_msg_ra(msg);
	dns_msg_free(msg);
	return 0;
}
