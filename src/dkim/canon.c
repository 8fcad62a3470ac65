/*
 * canon.c: DKIM canonicalisation (RFC 6376 section 3.4) of header fields
 * and, streaming, of the body, with the body length limit l= (section
 * 3.5) and the SHA-256 body hash (section 3.7).
 *
 * The body canonicaliser is a small state machine that sees each byte
 * once.  Runs of ordinary bytes are copied to a staging buffer in one go
 * and the staging buffer is hashed when full, so the cost per byte is a
 * table look-up and a copy: hashing dominates, whatever the body size, in
 * constant memory.  Empty lines are not emitted when seen but counted, and
 * flushed only when content follows, which is how trailing empty lines
 * disappear (sections 3.4.3 and 3.4.4) without buffering the body.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "keys/key.h"
#include "util/buf.h"
#include "util/err.h"

#define BODY_STAGE	(32 * 1024)

struct dkim_body {
	enum dkim_canon	 canon;
	int64_t		 limit;		/* bytes still to hash; <0: all */
	uint64_t	 total;		/* canonical bytes produced */
	struct key_hash	*hash;
	size_t		 pending_crlf;	/* line ends not yet emitted */
	bool		 pending_wsp;	/* relaxed: WSP run not yet emitted */
	bool		 cr;		/* last byte was a CR, not emitted */
	bool		 content;	/* some line had content */
	bool		 in_line;	/* the current line has content */
	size_t		 stage_len;
	char		 stage[BODY_STAGE];
};

/* Byte classes for the body scanner: 0 ordinary, 1 WSP, 2 CR. */
static const unsigned char body_class[256] = {
	['\t'] = 1, [' '] = 1, ['\r'] = 2,
};

static void
body_flush(struct dkim_body *b)
{
	size_t	n = b->stage_len;

	if (n == 0)
		return;
	b->total += n;
	if (b->limit >= 0) {
		if ((int64_t)n > b->limit)
			n = (size_t)b->limit;
		b->limit -= (int64_t)n;
	}
	if (n > 0)
		key_hash_update(b->hash, b->stage, n);
	b->stage_len = 0;
}

static void
body_emit(struct dkim_body *b, const char *p, size_t n)
{
	size_t	room;

	while (n > 0) {
		room = BODY_STAGE - b->stage_len;
		if (room > n)
			room = n;
		memcpy(b->stage + b->stage_len, p, room);
		b->stage_len += room;
		p += room;
		n -= room;
		if (b->stage_len == BODY_STAGE)
			body_flush(b);
	}
}

/* Content is about to be emitted on the current line: first the line
 * ends held back, then (relaxed) the single space of a WSP run. */
static void
body_line_content(struct dkim_body *b)
{
	static const char	crlf[] = "\r\n";

	if (!b->in_line) {
		while (b->pending_crlf > 0) {
			body_emit(b, crlf, 2);
			b->pending_crlf--;
		}
		b->in_line = true;
		b->content = true;
	}
	if (b->pending_wsp) {
		body_emit(b, " ", 1);
		b->pending_wsp = false;
	}
}

static void
body_line_end(struct dkim_body *b)
{
	b->pending_crlf++;
	b->pending_wsp = false;
	b->in_line = false;
}

struct dkim_body *
dkim_body_new(enum dkim_canon canon, int64_t limit, struct err *err)
{
	struct dkim_body	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		err_set(err, ERR_NOMEM, "body hash: out of memory");
		return NULL;
	}
	if ((b->hash = key_hash_new(err)) == NULL) {
		free(b);
		return NULL;
	}
	b->canon = canon;
	b->limit = limit;
	return b;
}

void
dkim_body_update(struct dkim_body *b, const char *p, size_t n)
{
	const char	*end = p + n, *run;
	bool		 relaxed = b->canon == DKIM_CANON_RELAXED;

	while (p < end) {
		if (b->cr) {
			b->cr = false;
			if (*p == '\n') {
				body_line_end(b);
				p++;
				continue;
			}
			/* A lone CR is ordinary content. */
			body_line_content(b);
			body_emit(b, "\r", 1);
		}
		switch (body_class[(unsigned char)*p]) {
		case 2:
			b->cr = true;
			p++;
			break;
		case 1:
			if (relaxed) {
				b->pending_wsp = true;
				p++;
				while (p < end && body_class[(unsigned char)*p]
				    == 1)
					p++;
				break;
			}
			/* FALLTHROUGH */
		default:
			body_line_content(b);
			run = p++;
			if (relaxed)
				while (p < end &&
				    body_class[(unsigned char)*p] == 0)
					p++;
			else
				while (p < end && *p != '\r')
					p++;
			body_emit(b, run, (size_t)(p - run));
			break;
		}
	}
}

void
dkim_body_final(struct dkim_body *b, uint8_t out[32], uint64_t *total_out)
{
	if (b->cr) {
		b->cr = false;
		body_line_content(b);
		body_emit(b, "\r", 1);
	}
	if (b->in_line)
		body_line_end(b);	/* the last line lacked its CRLF */
	if (b->content || b->canon == DKIM_CANON_SIMPLE) {
		/* One CRLF ends the last non-empty line; simple turns an
		 * empty body into a single CRLF (section 3.4.3). */
		b->pending_crlf = 0;
		body_emit(b, "\r\n", 2);
	}
	body_flush(b);
	key_hash_final(b->hash, out);
	if (total_out != NULL)
		*total_out = b->total;
}

void
dkim_body_free(struct dkim_body *b)
{
	if (b == NULL)
		return;
	key_hash_free(b->hash);
	free(b);
}

static bool
canon_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

int
dkim_canon_header(enum dkim_canon canon, const char *raw, size_t len,
    struct buf *out, struct err *err)
{
	const char	*colon, *p, *end = raw + len;
	size_t		 name_len, start;
	bool		 wsp = false;

	if (canon == DKIM_CANON_SIMPLE)
		return buf_add(out, raw, len, err) == -1 ||
		    buf_add(out, "\r\n", 2, err) == -1 ? -1 : 0;

	if ((colon = memchr(raw, ':', len)) == NULL) {
		err_set(err, DKIM_E_SIG, "header field without a colon");
		return -1;
	}
	name_len = (size_t)(colon - raw);
	while (name_len > 0 && canon_is_wsp(raw[name_len - 1]))
		name_len--;
	start = out->len;
	for (p = raw; p < raw + name_len; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (buf_addc(out, c, err) == -1)
			return -1;
	}
	if (buf_addc(out, ':', err) == -1)
		return -1;
	start = out->len;
	for (p = colon + 1; p < end; p++) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			p++;		/* unfold: the CRLF goes */
			continue;
		}
		if (canon_is_wsp(*p)) {
			wsp = true;
			continue;
		}
		/* A WSP run becomes one SP, but none after the colon. */
		if (wsp && out->len > start && buf_addc(out, ' ', err) == -1)
			return -1;
		wsp = false;
		if (buf_addc(out, *p, err) == -1)
			return -1;
	}
	return buf_add(out, "\r\n", 2, err);
}
