/*
 * err.h: the error record every timbre operation fills on failure.
 *
 * Operations return 0/-1 or a pointer/NULL and describe the failure in a
 * caller-supplied struct err: a module code and one line of text, lower
 * case, no final period.  Outcomes (DKIM_FAIL, NXDOMAIN) are not errors.
 */
#ifndef TIMBRE_UTIL_ERR_H
#define TIMBRE_UTIL_ERR_H

#include <stdarg.h>

enum err_code {
	ERR_NONE = 0,
	ERR_NOMEM,		/* an allocation failed */
	ERR_IO,			/* reading or writing failed */
	ERR_LIMIT,		/* input exceeds a configured ceiling */
	ERR_SYNTAX,		/* input does not parse */
	ERR_ARG,		/* caller passed something unusable */
	ERR_CRYPTO,		/* the crypto library refused */
	ERR_DNS,		/* a DNS look-up failed */
	ERR_TIMEOUT,		/* an operation ran out of time */
};

struct err {
	int	code;		/* enum err_code or a module's own; 0 = none */
	char	msg[160];	/* one line, lower case, no final period */
};

/* Sets err (if not NULL) to code and the formatted message. */
void	err_set(struct err *, int, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
/* Prefixes err->msg with the formatted context and ": ". */
void	err_prefix(struct err *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	err_clear(struct err *);

#endif
