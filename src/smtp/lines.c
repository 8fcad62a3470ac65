/*
 * lines.c: the line splitter both parsers stand on, the UTF-8 check, the
 * replies for parser errors and the timeouts of RFC 5321 section 4.5.3.2.
 *
 * A line is kept only when it has to be (split between two feeds), and
 * then never more than max bytes of it: a line over the ceiling is
 * skipped as it streams past and reported once its LF arrives, so the
 * peer gets exactly one reply for it (RFC 5321 section 4.5.3.1.4).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "smtp/smtp_priv.h"
#include "util/err.h"

int
smtp_lines_init(struct smtp_lines *l, size_t max, bool lenient)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
	l->lenient = lenient;
	if ((l->part = malloc(max)) == NULL)
		return -1;
	return 0;
}

void
smtp_lines_fini(struct smtp_lines *l)
{
	free(l->part);
	l->part = NULL;
}

void
smtp_lines_feed(struct smtp_lines *l, const char *p, size_t n)
{
	if (n == 0)
		return;
	/* Feeding again before NEED_MORE or unfeed would lose bytes. */
	assert(l->in == NULL || l->in_off == l->in_len);
	l->in = p;
	l->in_len = n;
	l->in_off = 0;
}

enum smtp_line
smtp_lines_next(struct smtp_lines *l, const char **line_out, size_t *len_out)
{
	const char	*avail, *lf, *line;
	size_t		 n, k, len;

	if (l->in == NULL || l->in_off == l->in_len) {
		l->in = NULL;
		l->in_len = l->in_off = 0;
		return SMTP_LINE_NEED_MORE;
	}
	avail = l->in + l->in_off;
	n = l->in_len - l->in_off;
	if ((lf = memchr(avail, '\n', n)) == NULL) {
		/* Keep the partial line if a LF could still end it in
		 * time; otherwise drop it and skip to its end. */
		if (!l->skipping && l->part_len + n + 1 <= l->max) {
			memcpy(l->part + l->part_len, avail, n);
			l->part_len += n;
		} else {
			l->skipping = true;
			l->part_len = 0;
		}
		l->in = NULL;
		l->in_len = l->in_off = 0;
		return SMTP_LINE_NEED_MORE;
	}
	k = (size_t)(lf - avail);
	l->in_off += k + 1;
	if (l->skipping || l->part_len + k + 1 > l->max) {
		l->skipping = false;
		l->part_len = 0;
		return SMTP_LINE_LONG;
	}
	if (l->part_len == 0) {
		line = avail;
		len = k;
	} else {
		memcpy(l->part + l->part_len, avail, k);
		line = l->part;
		len = l->part_len + k;
		l->part_len = 0;
	}
	*line_out = line;
	if (len == 0 || line[len - 1] != '\r') {
		*len_out = len;
		return l->lenient ? SMTP_LINE_OK : SMTP_LINE_BARE_LF;
	}
	*len_out = len - 1;
	return SMTP_LINE_OK;
}

size_t
smtp_lines_unfeed(struct smtp_lines *l)
{
	size_t	n;

	n = l->in == NULL ? 0 : l->in_len - l->in_off;
	l->in = NULL;
	l->in_len = l->in_off = 0;
	return n;
}

void
smtp_lines_reset(struct smtp_lines *l)
{
	l->in = NULL;
	l->in_len = l->in_off = 0;
	l->part_len = 0;
	l->skipping = false;
}

bool
smtp_utf8_is_valid(const unsigned char *s, size_t n)
{
	size_t		i = 0, need, j;
	unsigned long	cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return false;
		if (n - i - 1 < need)
			return false;
		for (j = 1; j <= need; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

int
smtp_error_reply(int code, const char **enhanced_out, const char **text_out)
{
	const char	*enh, *text;
	int		 reply;

	switch (code) {
	case SMTP_E_UNKNOWN:
		reply = 500, enh = "5.5.1", text = "Command unrecognized";
		break;
	case SMTP_E_LINE_TOO_LONG:
		reply = 500, enh = "5.5.2", text = "Line too long";
		break;
	case SMTP_E_BARE_LF:
		reply = 500, enh = "5.5.2", text = "Bare LF not allowed, "
		    "lines end in CRLF";
		break;
	case SMTP_E_BAD_CHAR:
		reply = 500, enh = "5.5.2", text = "Invalid character in "
		    "command";
		break;
	case SMTP_E_PATH:
		reply = 501, enh = "5.1.3", text = "Bad address syntax";
		break;
	case SMTP_E_PARAM:
		reply = 501, enh = "5.5.4", text = "Invalid parameter";
		break;
	case ERR_NOMEM:
	case ERR_LIMIT:
		reply = 451, enh = "4.3.0", text = "Local error, try again "
		    "later";
		break;
	case SMTP_E_SYNTAX:
	default:
		reply = 501, enh = "5.5.4", text = "Syntax error in "
		    "arguments";
		break;
	}
	if (enhanced_out != NULL)
		*enhanced_out = enh;
	if (text_out != NULL)
		*text_out = text;
	return reply;
}

unsigned
smtp_timeout_seconds(enum smtp_timeout t)
{
	switch (t) {
	case SMTP_TIMEOUT_COMMAND:
		return 5 * 60;
	case SMTP_TIMEOUT_DATA_INIT:
		return 2 * 60;
	case SMTP_TIMEOUT_DATA_BLOCK:
		return 3 * 60;
	case SMTP_TIMEOUT_DATA_END:
		return 10 * 60;
	case SMTP_TIMEOUT_NONE:
		break;
	}
	return 0;
}
