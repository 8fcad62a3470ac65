/*
 * fuzz_rrl.c: response rate limiting (src/auth/rrl.c) on any bytes as
 * the answer: auth_rrl_check reads the answer's header, question and
 * first authority record to find its flow, and auth_rrl_truncate cuts it
 * to its question; neither may read past the end, and a truncated
 * answer must keep the header and the question, TC set and no records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "auth/auth.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct auth_rrl		*r;
	static const struct auth_rrl_conf conf = { 2, 2, 64 };
	struct sockaddr_in		 sin;
	struct err			 err;
	uint8_t				*copy;
	size_t				 len = n;

	if (r == NULL && (r = auth_rrl_new(&conf, 0x5eed, &err)) == NULL)
		abort();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0000201);
	(void)auth_rrl_check(r, (struct sockaddr *)&sin, p, n, 1000, NULL);
	if ((copy = malloc(n + 1)) == NULL)
		return 0;
	memcpy(copy, p, n);
	if (auth_rrl_truncate(copy, &len, &err) == 0 &&
	    (len > n || len < 12 + 5 || !(copy[2] & 0x02) ||
	    copy[6] != 0 || copy[7] != 0 || copy[10] != 0 || copy[11] != 0 ||
	    memcmp(copy + 12, p + 12, len - 12) != 0))
		abort();
	free(copy);
	return 0;
}
