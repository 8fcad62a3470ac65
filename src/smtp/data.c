/*
 * data.c: the DATA stream of RFC 5321 sections 4.1.1.4 and 4.5.2, read
 * in constant memory.
 *
 * The reader scans the fed bytes once and hands out runs of them as they
 * are: a run ends where a byte must be dropped (the first dot of a line) or
 * replaced (a bare LF or bare CR becomes the static "\r\n").  What it must
 * remember between feeds is a state, never bytes: a CR at the end of a feed
 * is held as a state and handed out as "\r\n" with whatever follows it.
 *
 * The end of the data is CRLF "." CRLF and nothing else, which is what
 * keeps the message from being cut short by a peer that ends lines
 * differently (SMTP smuggling): a "." after a bare LF is message text,
 * and reaches the next hop re-stuffed.
 */
#include <assert.h>
#include <string.h>

#include "smtp/smtp.h"

enum smtp_data_state {
	SMTP_D_LSTART = 0,	/* at the start of a line */
	SMTP_D_DOT,		/* a line's first dot was dropped */
	SMTP_D_DOT_CR,		/* ... and a CR followed it */
	SMTP_D_LINE,		/* inside a line */
	SMTP_D_CR,		/* a CR ended the last feed */
};

void
smtp_data_init(struct smtp_data *d, uint64_t max_size, size_t max_header_line)
{
	memset(d, 0, sizeof(*d));
	d->max_size = max_size;
	d->max_header_line = max_header_line;
	d->state = SMTP_D_LSTART;
	d->in_header = true;
}

void
smtp_data_feed(struct smtp_data *d, const char *p, size_t n)
{
	if (n == 0)
		return;
	assert(d->in == NULL || d->in_off == d->in_len);
	d->in = p;
	d->in_len = n;
	d->in_off = 0;
}

size_t
smtp_data_unfeed(struct smtp_data *d)
{
	size_t	n;

	n = d->in == NULL ? 0 : d->in_len - d->in_off;
	d->in = NULL;
	d->in_len = d->in_off = 0;
	return n;
}

enum smtp_data_status
smtp_data_status(const struct smtp_data *d)
{
	return d->status;
}

static void
smtp_data_fail(struct smtp_data *d, enum smtp_data_status st)
{
	if (d->status == SMTP_DATA_OK)
		d->status = st;
}

static void
smtp_data_count(struct smtp_data *d, uint64_t n)
{
	d->size = d->size > UINT64_MAX - n ? UINT64_MAX : d->size + n;
	if (d->max_size != 0 && d->size > d->max_size)
		smtp_data_fail(d, SMTP_DATA_TOO_BIG);
}

/* One byte of line text. */
static void
smtp_data_byte(struct smtp_data *d, char c)
{
	smtp_data_count(d, 1);
	d->line_len++;
	if (c == '\0')
		smtp_data_fail(d, SMTP_DATA_NUL);
	if (d->in_header && d->max_header_line != 0 &&
	    d->line_len > d->max_header_line)
		smtp_data_fail(d, SMTP_DATA_HEADER_TOO_LONG);
}

/* One line end (CRLF in the message). */
static void
smtp_data_eol(struct smtp_data *d)
{
	smtp_data_count(d, 2);
	if (d->line_len == 0)
		d->in_header = false;
	d->line_len = 0;
}

enum smtp_data_ev
smtp_data_next(struct smtp_data *d, const char **p_out, size_t *len_out)
{
	const char	*in = d->in;
	size_t		 i, run;
	char		 c;

/* Hands out in[run..i) unless a limit was passed (then drops it). */
#define SMTP_DATA_FLUSH() do {						\
	if (i > run) {							\
		if (d->status == SMTP_DATA_OK) {			\
			d->in_off = i;					\
			*p_out = in + run;				\
			*len_out = i - run;				\
			return SMTP_DATA_CHUNK;				\
		}							\
		run = i;						\
	}								\
} while (0)
/* Hands out "\r\n" for a line end not in the input as such; after a
 * bare CR or LF the next line's dot is text (state LINE), so that "\n.\r\n"
 * never ends the data. */
#define SMTP_DATA_CRLF(next) do {					\
	smtp_data_eol(d);						\
	d->state = (next);						\
	d->in_off = run = i;						\
	if (d->status == SMTP_DATA_OK) {				\
		*p_out = "\r\n";					\
		*len_out = 2;						\
		return SMTP_DATA_CHUNK;					\
	}								\
} while (0)

	if (d->done)
		return SMTP_DATA_END;
	if (in == NULL)
		return SMTP_DATA_NEED_MORE;
	i = run = d->in_off;
	while (i < d->in_len) {
		c = in[i];
		switch (d->state) {
		case SMTP_D_LSTART:
			if (c == '.') {
				SMTP_DATA_FLUSH();
				run = ++i;
				d->state = SMTP_D_DOT;
				continue;
			}
			d->state = SMTP_D_LINE;
			break;
		case SMTP_D_DOT:
			if (c == '\r') {
				run = ++i;
				d->state = SMTP_D_DOT_CR;
				continue;
			}
			d->state = SMTP_D_LINE;
			break;
		case SMTP_D_DOT_CR:
			if (c == '\n') {
				d->in_off = i + 1;
				d->done = true;
				return SMTP_DATA_END;
			}
			/* ".", bare CR: the line ends there. */
			SMTP_DATA_CRLF(SMTP_D_LINE);
			continue;
		case SMTP_D_CR:
			if (c == '\n') {
				i++;
				SMTP_DATA_CRLF(SMTP_D_LSTART);
			} else
				SMTP_DATA_CRLF(SMTP_D_LINE);
			continue;
		case SMTP_D_LINE:
			break;
		}
		/* Inside a line. */
		if (c == '\r') {
			if (i + 1 == d->in_len) {
				/* Hold the CR until we see what follows. */
				if (i > run && d->status == SMTP_DATA_OK) {
					d->in_off = i + 1;
					d->state = SMTP_D_CR;
					*p_out = in + run;
					*len_out = i - run;
					return SMTP_DATA_CHUNK;
				}
				run = ++i;
				d->state = SMTP_D_CR;
				continue;
			}
			if (in[i + 1] == '\n') {
				smtp_data_eol(d);
				i += 2;
				d->state = SMTP_D_LSTART;
				continue;
			}
			/* A bare CR. */
			SMTP_DATA_FLUSH();
			i++;
			SMTP_DATA_CRLF(SMTP_D_LINE);
			continue;
		}
		if (c == '\n') {
			/* A bare LF. */
			SMTP_DATA_FLUSH();
			i++;
			SMTP_DATA_CRLF(SMTP_D_LINE);
			continue;
		}
		smtp_data_byte(d, c);
		i++;
	}
	SMTP_DATA_FLUSH();
	d->in = NULL;
	d->in_len = d->in_off = 0;
	return SMTP_DATA_NEED_MORE;
#undef SMTP_DATA_FLUSH
#undef SMTP_DATA_CRLF
}

int
smtp_data_status_reply(enum smtp_data_status st, const char **enhanced_out,
    const char **text_out)
{
	const char	*enh, *text;
	int		 code;

	switch (st) {
	case SMTP_DATA_TOO_BIG:
		code = 552, enh = "5.3.4", text = "Message size exceeds "
		    "fixed maximum message size";
		break;
	case SMTP_DATA_HEADER_TOO_LONG:
		code = 552, enh = "5.6.0", text = "Header line too long";
		break;
	case SMTP_DATA_NUL:
		code = 550, enh = "5.6.0", text = "NUL byte in message";
		break;
	case SMTP_DATA_OK:
	default:
		code = 250, enh = "2.0.0", text = "OK";
		break;
	}
	if (enhanced_out != NULL)
		*enhanced_out = enh;
	if (text_out != NULL)
		*text_out = text;
	return code;
}
