/*
 * smtp_priv.h: what the pieces of src/smtp share and nothing outside
 * uses: the line splitter under the command and reply parsers, and the
 * UTF-8 check.
 */
#ifndef TIMBRE_SMTP_SMTP_PRIV_H
#define TIMBRE_SMTP_SMTP_PRIV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Splits borrowed input into lines of at most max bytes with their line
 * end.  Complete lines are returned where they lie in the input when they
 * can be; a line split between feeds is copied into part (at most max
 * bytes), and a line over max is skipped to its LF without being kept.
 */
struct smtp_lines {
	char		*part;		/* max bytes */
	size_t		 part_len;
	size_t		 max;
	bool		 skipping;	/* the current line is over max */
	bool		 lenient;	/* LF alone ends a line quietly */
	const char	*in;		/* borrowed */
	size_t		 in_len;
	size_t		 in_off;
};

enum smtp_line {
	SMTP_LINE_NEED_MORE,
	SMTP_LINE_OK,		/* *line_out: the line without its end */
	SMTP_LINE_LONG,		/* a line over max was skipped */
	SMTP_LINE_BARE_LF,	/* a line ended in LF alone (not lenient) */
};

int	smtp_lines_init(struct smtp_lines *, size_t max, bool lenient);
void	smtp_lines_fini(struct smtp_lines *);
void	smtp_lines_feed(struct smtp_lines *, const char *, size_t);
enum smtp_line smtp_lines_next(struct smtp_lines *, const char **line_out,
	    size_t *len_out);
size_t	smtp_lines_unfeed(struct smtp_lines *);
void	smtp_lines_reset(struct smtp_lines *);

/* Whether s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool	smtp_utf8_is_valid(const unsigned char *, size_t);

#endif
