/*
 * fuzz_milter_reply.c: milter_client_reply() (src/milter/client.c), the
 * MTA side's reader of a filter's replies, on any bytes: every reply in
 * the input in turn, as timbre-listd's copysign.c reads them.  Whatever
 * the input, each reply takes at least 5 bytes and no more than are
 * there, and the strings it gives end with a NUL inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter/milter.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
inside(const char *s, const char *base, size_t len)
{
	if (s == NULL)
		return;
	if (s < base || s >= base + len ||
	    memchr(s, '\0', (size_t)(base + len - s)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct milter_reply	 r;
	struct err		 err;
	char			*copy;
	size_t			 off = 0, used;

	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	while (off < len && milter_client_reply(copy + off, len - off, &used,
	    &r, &err) == MILTER_PARSE_CMD) {
		if (used < 5 || used > len - off)
			abort();
		inside(r.name, copy + off, used);
		inside(r.value, copy + off, used);
		off += used;
	}
	free(copy);
	return 0;
}
