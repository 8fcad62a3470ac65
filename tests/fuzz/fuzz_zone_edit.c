/*
 * fuzz_zone_edit.c: zone files as the repository gives them (anyone who
 * may push writes them) through the loader and through the editor that
 * writes a zone back after an UPDATE (src/auth/zonetext.c).  The input is
 * two master files split at the first NUL: the old version and the new.
 * When both load, the edit of the old text must load back to exactly the
 * new zone: anything else is a crash worth finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	const uint8_t		*nul = memchr(p, 0, n);
	struct auth_zone	*old, *new, *back;
	struct buf		 out;
	struct err		 err;
	size_t			 n1 = nul != NULL ? (size_t)(nul - p) : n;

	if ((old = auth_zone_load("example.org", (const char *)p, n1,
	    "old", &err)) == NULL)
		return 0;
	new = nul == NULL ? NULL : auth_zone_load("example.org",
	    (const char *)nul + 1, n - n1 - 1, "new", &err);
	if (new == NULL) {
		auth_zone_free(old);
		return 0;
	}
	buf_init(&out, 64 * 1024 * 1024);
	if (auth_zone_edit(old, new, &out, NULL, &err) == 0) {
		back = auth_zone_load("example.org", out.data, out.len,
		    "edited", &err);
		if (back == NULL || !auth_zone_same(back, new))
			abort();
		auth_zone_free(back);
	}
	buf_fini(&out);
	auth_zone_free(new);
	auth_zone_free(old);
	return 0;
}
