/*
 * fuzz_smtp_parser.c: the SMTP command parser on any bytes, fed whole and
 * fed in pieces whose sizes come from the input; both must give the same
 * commands and errors.  The first byte chooses the line ceiling.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_MAX	4096

struct fz_res {
	int		 r;
	int		 verb;
	int		 code;
	uint64_t	 size;
	char		 path[SMTP_PATH_MAX + 1];
};

static size_t
fz_drain(struct smtp_parser *p, struct fz_res *res, size_t n)
{
	struct smtp_cmd	 cmd;
	struct err	 err;
	enum smtp_parse	 r;

	while ((r = smtp_parser_next(p, &cmd, &err)) != SMTP_PARSE_NEED_MORE) {
		if (n == FZ_MAX)
			continue;
		memset(&res[n], 0, sizeof(res[n]));
		res[n].r = r;
		res[n].verb = cmd.verb;
		if (r == SMTP_PARSE_ERROR) {
			res[n].code = err.code;
			smtp_error_reply(err.code, NULL, NULL);
		} else {
			if (cmd.arg == NULL || strlen(cmd.arg) > 65536)
				abort();
			if (cmd.path != NULL) {
				if (strlen(cmd.path) > SMTP_PATH_MAX)
					abort();
				strcpy(res[n].path, cmd.path);
			}
			res[n].size = cmd.size;
		}
		n++;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_res	 a[FZ_MAX], b[FZ_MAX];
	struct smtp_parser	*p;
	const char		*in;
	size_t			 na = 0, nb = 0, off, step, len, max_line;

	if (size < 2)
		return 0;
	max_line = 64 + (size_t)data[0] * 4;
	step = 1 + data[1] % 64;
	in = (const char *)data + 2;
	len = size - 2;
	if ((p = smtp_parser_new(max_line)) == NULL)
		return 0;
	smtp_parser_feed(p, in, len);
	na = fz_drain(p, a, na);
	smtp_parser_free(p);
	if ((p = smtp_parser_new(max_line)) == NULL)
		return 0;
	for (off = 0; off < len; off += step) {
		smtp_parser_feed(p, in + off, len - off < step ? len - off :
		    step);
		nb = fz_drain(p, b, nb);
	}
	smtp_parser_free(p);
	if (na != nb)
		abort();
	for (off = 0; off < na; off++)
		if (a[off].r != b[off].r || a[off].verb != b[off].verb ||
		    a[off].code != b[off].code || a[off].size != b[off].size ||
		    strcmp(a[off].path, b[off].path) != 0)
			abort();
	return 0;
}
