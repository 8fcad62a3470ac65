/*
 * buf.h: growable byte buffers with a ceiling.
 *
 * Every buffer is given its maximum size at init; an append that would pass
 * it fails with ERR_LIMIT and leaves the buffer unchanged, so untrusted input
 * can never make timbre use unbounded memory.  The data is always followed
 * by a NUL byte (not counted in len) so it may be used as a C string.
 */
#ifndef TIMBRE_UTIL_BUF_H
#define TIMBRE_UTIL_BUF_H

#include <stddef.h>

struct err;

struct buf {
	char	*data;		/* NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* ceiling on len */
};

/* Prepares b, empty, with ceiling max bytes.  Never fails today. */
int	buf_init(struct buf *, size_t max);
void	buf_fini(struct buf *);
/* Same as buf_fini, but wipes the bytes first (secrets). */
void	buf_fini_secret(struct buf *);
void	buf_reset(struct buf *);
/* Append n bytes, or fail with ERR_LIMIT/ERR_NOMEM in err; 0 or -1. */
int	buf_add(struct buf *, const void *, size_t, struct err *);
int	buf_addc(struct buf *, char, struct err *);
int	buf_adds(struct buf *, const char *, struct err *);
int	buf_printf(struct buf *, struct err *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
/* Removes the first n bytes (n <= len). */
void	buf_drop(struct buf *, size_t);

#endif
