/*
 * reply.c: SMTP replies as a client reads them (RFC 5321 section 4.2,
 * enhanced status codes of RFC 2034 and RFC 3463).
 *
 * A reply is one or more lines "ddd-text" ending with "ddd text" (or
 * "ddd" alone); every line of one reply has the same code.  The parser
 * hands out lines; smtp_reply_add_line() gathers them into a struct
 * smtp_reply of bounded size.  Servers are read leniently where it costs
 * nothing (a LF alone ends a line) and strictly where a mistake would
 * confuse replies with each other (codes, separators, NUL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "smtp/smtp_priv.h"
#include "util/err.h"

struct smtp_reply_parser {
	struct smtp_lines	 lines;
	int			 code;		/* of an unfinished reply */
	bool			 failed;
	struct err		 err;
};

struct smtp_reply_parser *
smtp_reply_parser_new(size_t max_line)
{
	struct smtp_reply_parser	*rp;

	if (max_line < SMTP_LINE_MIN)
		max_line = SMTP_LINE_MIN;
	if (max_line > SMTP_LINE_CEILING)
		max_line = SMTP_LINE_CEILING;
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return NULL;
	if (smtp_lines_init(&rp->lines, max_line, true) == -1) {
		free(rp);
		return NULL;
	}
	return rp;
}

void
smtp_reply_parser_free(struct smtp_reply_parser *rp)
{
	if (rp == NULL)
		return;
	smtp_lines_fini(&rp->lines);
	free(rp);
}

void
smtp_reply_parser_feed(struct smtp_reply_parser *rp, const char *p, size_t n)
{
	smtp_lines_feed(&rp->lines, p, n);
}

static enum smtp_reply_parse
smtp_reply_fail(struct smtp_reply_parser *rp, struct err *err, int code,
    const char *msg)
{
	rp->failed = true;
	err_set(&rp->err, code, "%s", msg);
	smtp_lines_reset(&rp->lines);
	if (err != NULL)
		*err = rp->err;
	return SMTP_REPLY_ERROR;
}

enum smtp_reply_parse
smtp_reply_parser_next(struct smtp_reply_parser *rp,
    struct smtp_reply_line *line_out, struct err *err)
{
	const char	*line;
	size_t		 len;
	int		 code;

	if (rp->failed) {
		if (err != NULL)
			*err = rp->err;
		return SMTP_REPLY_ERROR;
	}
	switch (smtp_lines_next(&rp->lines, &line, &len)) {
	case SMTP_LINE_NEED_MORE:
		return SMTP_REPLY_NEED_MORE;
	case SMTP_LINE_LONG:
		return smtp_reply_fail(rp, err, SMTP_E_LINE_TOO_LONG,
		    "reply line too long");
	case SMTP_LINE_OK:
	case SMTP_LINE_BARE_LF:
		break;
	}
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || line[2] < '0' || line[2] > '9')
		return smtp_reply_fail(rp, err, SMTP_E_REPLY,
		    "reply line without a valid code");
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return smtp_reply_fail(rp, err, SMTP_E_REPLY,
		    "bad separator after reply code");
	if (memchr(line, '\0', len) != NULL)
		return smtp_reply_fail(rp, err, SMTP_E_REPLY,
		    "NUL byte in reply");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (rp->code != 0 && code != rp->code)
		return smtp_reply_fail(rp, err, SMTP_E_REPLY,
		    "reply code changes within a reply");
	line_out->code = code;
	line_out->last = len == 3 || line[3] == ' ';
	line_out->text = len > 3 ? line + 4 : line + 3;
	line_out->len = len > 3 ? len - 4 : 0;
	rp->code = line_out->last ? 0 : code;
	return SMTP_REPLY_LINE;
}

/* Length of an enhanced status code "c.s.d" (RFC 3463: class 2, 4 or 5
 * matching the reply, subject and detail of 1-3 digits) at p, or 0. */
static size_t
smtp_enhanced_len(const char *p, size_t n, int code)
{
	size_t	i = 0, part, digits;

	if (n < 5 || p[0] != '0' + code / 100 || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < n && p[i] >= '0' && p[i] <= '9';
		    digits++)
			i++;
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && p[i] != ' ')
		return 0;
	return i;
}

static void
smtp_reply_append(struct smtp_reply *r, const char *p, size_t n)
{
	size_t	len = strlen(r->text), i;

	for (i = 0; i < n && len + 1 < sizeof(r->text); i++, len++)
		r->text[len] = ((unsigned char)p[i] < 32 || p[i] == 127) ?
		    ' ' : p[i];
	r->text[len] = '\0';
}

void
smtp_reply_add_line(struct smtp_reply *r, bool first,
    const struct smtp_reply_line *l)
{
	const char	*t = l->text;
	size_t		 n = l->len, e, len;

	if (first) {
		memset(r, 0, sizeof(*r));
		r->code = l->code;
	} else if ((len = strlen(r->text)) + 1 < sizeof(r->text)) {
		r->text[len] = '\n';
		r->text[len + 1] = '\0';
	}
	if (l->code / 100 != 3 &&
	    (e = smtp_enhanced_len(t, n, l->code)) != 0) {
		if (first)
			memcpy(r->enhanced, t, e);
		while (e < n && t[e] == ' ')
			e++;
		t += e;
		n -= e;
	}
	smtp_reply_append(r, t, n);
}

void
smtp_reply_set_local(struct smtp_reply *r, int code, const char *enhanced,
    const char *text)
{
	memset(r, 0, sizeof(*r));
	r->code = code;
	r->local = true;
	snprintf(r->enhanced, sizeof(r->enhanced), "%s", enhanced);
	snprintf(r->text, sizeof(r->text), "%s", text);
}
