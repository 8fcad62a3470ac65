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
 *
 * Most bodies are already canonical: lines end in CRLF, words are apart by
 * one space, no line ends in blanks.  So when the state machine is about
 * to take a content byte, a scan first finds the longest stretch from
 * there that canonicalisation leaves as it is and that ends in content:
 * for simple, up to the last byte that is not CR or LF; for relaxed, up
 * to the first HTAB, WSP before WSP or CR, or CR not before LF (looked
 * for 32 or 16 bytes at a time with AVX2 or SSE2 where the CPU has them),
 * less any WSP, CR and LF just before it.  A long stretch goes to the
 * hash in place, a short one to the staging buffer in one copy; the state
 * machine then goes on from its end, in the middle of a line with content,
 * through the bytes that need it.
 */
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BODY_SCAN_AVX2
#endif
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dkim/dkim.h"
#include "keys/key.h"
#include "util/buf.h"
#include "util/err.h"

#define BODY_STAGE	(32 * 1024)
#define BODY_IN_PLACE	1024	/* stretches this long skip the stage */

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

/* Hashes n canonical bytes, up to what l= leaves. */
static void
body_hash(struct dkim_body *b, const char *p, size_t n)
{
	b->total += n;
	if (b->limit >= 0) {
		if ((int64_t)n > b->limit)
			n = (size_t)b->limit;
		b->limit -= (int64_t)n;
	}
	if (n > 0)
		key_hash_update(b->hash, p, n);
}

static void
body_flush(struct dkim_body *b)
{
	if (b->stage_len == 0)
		return;
	body_hash(b, b->stage, b->stage_len);
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

#ifdef BODY_SCAN_AVX2
/* body_relaxed_scan 32 bytes at a time: the offset of the first byte it
 * finds, or where it stopped looking, with fewer than 33 bytes left. */
__attribute__((__target__("avx2")))
static size_t
body_relaxed_scan_avx2(const char *p, size_t n)
{
	const __m256i	sp = _mm256_set1_epi8(' ');
	const __m256i	ht = _mm256_set1_epi8('\t');
	const __m256i	cr = _mm256_set1_epi8('\r');
	const __m256i	lf = _mm256_set1_epi8('\n');
	__m256i		x, y, yw, bad;
	unsigned	m;
	size_t		i;

	for (i = 0; i + 33 <= n; i += 32) {
		x = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		y = _mm256_loadu_si256((const __m256i *)(const void *)
		    (p + i + 1));
		yw = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(y, sp),
		    _mm256_cmpeq_epi8(y, ht)), _mm256_cmpeq_epi8(y, cr));
		bad = _mm256_or_si256(_mm256_cmpeq_epi8(x, ht),
		    _mm256_or_si256(_mm256_and_si256(_mm256_cmpeq_epi8(x, sp),
		    yw), _mm256_andnot_si256(_mm256_cmpeq_epi8(y, lf),
		    _mm256_cmpeq_epi8(x, cr))));
		if ((m = (unsigned)_mm256_movemask_epi8(bad)) != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	return i;
}
#endif

/*
 * The offset of the first byte in p[0..n) that relaxed canonicalisation
 * could change: an HTAB, a SP before SP, HTAB or CR, a CR not before LF,
 * or a SP or CR ending the input (what follows is unknown); n if none.
 */
static size_t
body_relaxed_scan(const char *p, size_t n)
{
	size_t		i = 0;
#ifdef __SSE2__
	const __m128i	sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t');
	const __m128i	cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	__m128i		x, y, yw, bad;
	int		m;
#endif

#ifdef BODY_SCAN_AVX2
	/* The loops below go on from i, at once stopping again if the AVX2
	 * loop stopped at a byte it found. */
	if (n >= 33 && __builtin_cpu_supports("avx2"))
		i = body_relaxed_scan_avx2(p, n);
#endif
#ifdef __SSE2__
	/* x holds bytes i.., y the bytes after them. */
	for (; i + 17 <= n; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		y = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
		yw = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(y, sp),
		    _mm_cmpeq_epi8(y, ht)), _mm_cmpeq_epi8(y, cr));
		bad = _mm_or_si128(_mm_cmpeq_epi8(x, ht),
		    _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(x, sp), yw),
		    _mm_andnot_si128(_mm_cmpeq_epi8(y, lf),
		    _mm_cmpeq_epi8(x, cr))));
		if ((m = _mm_movemask_epi8(bad)) != 0)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	for (; i < n; i++) {
		switch (p[i]) {
		case '\t':
			return i;
		case ' ':
			if (i + 1 == n || body_class[(unsigned char)p[i + 1]])
				return i;
			break;
		case '\r':
			if (i + 1 == n || p[i + 1] != '\n')
				return i;
			break;
		}
	}
	return n;
}

/*
 * How many bytes from p (at a content byte, nothing pending) canonicalise
 * to themselves and end in content, so that hashed as they are they leave
 * the state machine as it would be: in a line with content, nothing
 * pending.  *slow_out is past the byte that stopped the scan: up to there
 * the state machine runs without asking again.
 */
static size_t
body_span(const struct dkim_body *b, const char *p, size_t n,
    const char **slow_out)
{
	bool	relaxed = b->canon == DKIM_CANON_RELAXED;
	size_t	len;

	len = relaxed ? body_relaxed_scan(p, n) : n;
	*slow_out = p + (len < n ? len + 1 : n);
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
	    (relaxed && body_class[(unsigned char)p[len - 1]] == 1)))
		len--;
	return len;
}

void
dkim_body_update(struct dkim_body *b, const char *p, size_t n)
{
	const char	*end = p + n, *run, *slow = p;
	bool		 relaxed = b->canon == DKIM_CANON_RELAXED;
	size_t		 span;

	while (p < end) {
		if (p >= slow && !b->cr && body_class[(unsigned char)*p] == 0 &&
		    (span = body_span(b, p, (size_t)(end - p), &slow)) > 0) {
			body_line_content(b);
			if (span >= BODY_IN_PLACE) {
				body_flush(b);
				body_hash(b, p, span);
			} else
				body_emit(b, p, span);
			p += span;
			continue;
		}
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
	const char	*colon, *p, *q, *end = raw + len;
	size_t		 name_len, start, i;
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
	if (buf_add(out, raw, name_len, err) == -1)
		return -1;
	for (i = start; i < out->len; i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'Z')
			out->data[i] = (char)(out->data[i] - 'A' + 'a');
	if (buf_addc(out, ':', err) == -1)
		return -1;
	/* Words are appended whole: one buf_add each, not one per byte. */
	start = out->len;
	for (p = colon + 1; p < end; p = q) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			q = p + 2;	/* unfold: the CRLF goes */
			continue;
		}
		if (canon_is_wsp(*p)) {
			wsp = true;
			q = p + 1;
			continue;
		}
		for (q = p + 1; q < end && !canon_is_wsp(*q) && *q != '\r'; q++)
			;
		/* A WSP run becomes one SP, but none after the colon. */
		if (wsp && out->len > start && buf_addc(out, ' ', err) == -1)
			return -1;
		wsp = false;
		if (buf_add(out, p, (size_t)(q - p), err) == -1)
			return -1;
	}
	return buf_add(out, "\r\n", 2, err);
}
