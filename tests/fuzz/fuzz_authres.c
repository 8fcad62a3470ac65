/*
 * fuzz_authres.c: Authentication-Results values from the network: the
 * RFC 8601 parser, the authserv-id reader, and formatting what parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres/authres.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authres	 ar;
	struct err	 err;
	struct buf	 b;
	char		 id[64];

	(void)authres_authserv_id((const char *)data, size, id, sizeof(id));
	(void)authres_is_ours((const char *)data, size, "example.org");
	if (authres_parse((const char *)data, size, &ar, &err) == 0) {
		buf_init(&b, 1024 * 1024);
		(void)authres_format(ar.authserv_id, ar.v, ar.n, &b, &err);
		buf_fini(&b);
		authres_fini(&ar);
	}
	return 0;
}
