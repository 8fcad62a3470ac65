/*
 * err.c: filling struct err.  Messages are truncated, never overflowed.
 */
#include <stdio.h>
#include <string.h>

#include "util/err.h"

void
err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
err_prefix(struct err *err, const char *fmt, ...)
{
	char	out[sizeof(err->msg)];
	size_t	n, m;
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	n = strlen(out);
	if (n + 2 < sizeof(out)) {
		memcpy(out + n, ": ", 2);
		n += 2;
		/* The old message is cut to what fits; it stays terminated. */
		m = strnlen(err->msg, sizeof(err->msg));
		if (m > sizeof(out) - n - 1)
			m = sizeof(out) - n - 1;
		memcpy(out + n, err->msg, m);
		out[n + m] = '\0';
	}
	memcpy(err->msg, out, sizeof(err->msg));
}

void
err_clear(struct err *err)
{
	if (err == NULL)
		return;
	err->code = ERR_NONE;
	err->msg[0] = '\0';
}
