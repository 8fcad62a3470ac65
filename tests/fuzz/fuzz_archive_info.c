/*
 * fuzz_archive_info.c: archive_info_get() and archive_date_parse() on
 * any bytes: the archive commits whatever mail a list accepted.  Whatever
 * the input, the strings are NUL-terminated within their arrays, the
 * name and subject are never empty, none holds a control byte, and the
 * author's fields hold no '<' or '>' (they would end the git ident).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const char *s, size_t size, int angles)
{
	const char	*end;

	if ((end = memchr(s, '\0', size)) == NULL)
		abort();
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (angles && (*s == '<' || *s == '>')))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct archive_info	in;
	int64_t			t;
	int			tz;

	archive_info_get((const char *)data, len, 1000, &in);
	check(in.name, sizeof(in.name), 1);
	check(in.email, sizeof(in.email), 1);
	check(in.subject, sizeof(in.subject), 0);
	if (in.name[0] == '\0' || in.subject[0] == '\0' ||
	    in.author_time < 0 || in.commit_time < 0)
		abort();
	if (archive_date_parse((const char *)data, len, &t, &tz) == 0 &&
	    (t < 0 || tz < -100 * 60 || tz > 100 * 60))
		abort();
	return 0;
}
