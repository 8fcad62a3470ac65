/*
 * mail_priv.h: what the files of src/mail share and nobody else sees.
 *
 * The header scanner checks a header section one byte at a time, so that
 * mail_hdrs_parse() and the streaming reader apply the same rules and give
 * the same errors, and so that the reader can stop at the first byte that
 * breaks a rule or a limit instead of buffering a whole bad line first.
 * The scanner does not keep the bytes; its caller does, and it records
 * where each field starts and ends as offsets into them.
 */
#ifndef TIMBRE_MAIL_MAIL_PRIV_H
#define TIMBRE_MAIL_MAIL_PRIV_H

#include <stddef.h>

struct err;
struct mail_field;
struct mail_hdrs;

enum mail_hscan_state {
	MAIL_HS_LINE_START,	/* at the first byte of a line */
	MAIL_HS_NAME,		/* inside a field name */
	MAIL_HS_NAME_WSP,	/* obsolete whitespace before the colon */
	MAIL_HS_VALUE,		/* after the colon, or in a continuation */
	MAIL_HS_CR,		/* a CR in a value: a line end if LF follows */
	MAIL_HS_EMPTY_CR,	/* a CR at the start of a line */
	MAIL_HS_DONE,		/* the empty line that ends the section */
	MAIL_HS_ERROR,
};

enum mail_hscan_step {
	MAIL_HSCAN_MORE,	/* byte accepted */
	MAIL_HSCAN_END,		/* byte completed the empty line */
	MAIL_HSCAN_ERROR,	/* byte refused; err says why */
};

struct mail_hscan {
	enum mail_hscan_state	 state;
	size_t			 max_header;	/* bytes of fields */
	size_t			 off;		/* bytes accepted so far */
	size_t			 line;		/* 1-based current line */
	size_t			 field_start;	/* of the open field */
	size_t			 field_line;
	size_t			 name_len;
	size_t			 value_off;
	size_t			 last_eol;	/* of the last line's CR */
	int			 open;		/* a field is open */
	struct mail_field	*v;		/* raw == NULL: offsets only */
	size_t			 n;
	size_t			 cap;
};

void	mail_hscan_init(struct mail_hscan *, size_t max_header);
void	mail_hscan_fini(struct mail_hscan *);
/* Takes the next byte of a CRLF-normalised header section. */
enum mail_hscan_step mail_hscan_byte(struct mail_hscan *, unsigned char,
	    struct err *);
/*
 * The input ended before an empty line: 0 if it ended after a whole line
 * (the section is complete), -1 with MAIL_E_NOHDR otherwise.
 */
int	mail_hscan_eof(struct mail_hscan *, struct err *);
/*
 * Builds the header section from a scanner that reached MAIL_HSCAN_END or
 * a successful mail_hscan_eof().  data[0..len) are the bytes of the fields
 * (without the empty line); data is taken (freed on failure too) and the
 * field table is moved out of the scanner.
 */
struct mail_hdrs *mail_hdrs_from_scan(struct mail_hscan *, char *data,
	    size_t len, struct err *);

#endif
