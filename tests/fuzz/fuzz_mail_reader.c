/*
 * fuzz_mail_reader.c: the streaming reader on any bytes, fed whole and fed
 * in pieces whose sizes come from the input; both must give the same
 * header section, body and error.  The first byte chooses the newline
 * mode, a small max_header (to reach the limit) and the piece sizes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz_out {
	enum mail_read	 last;
	struct err	 err;
	struct buf	 hdr;
	struct buf	 body;
	int		 got_hdrs;
};

static int
fz_drain(struct mail_reader *r, struct fz_out *o)
{
	const struct mail_hdrs	*h;
	const char		*p;
	size_t			 n;
	struct err		 err;
	enum mail_read		 ev;

	for (;;) {
		switch ((ev = mail_reader_next(r, &p, &n, &err))) {
		case MAIL_READ_NEED_MORE:
			return 0;
		case MAIL_READ_HEADERS:
			if (o->got_hdrs++ || (h = mail_reader_hdrs(r)) == NULL)
				abort();
			p = mail_hdrs_raw(h, &n);
			if (buf_add(&o->hdr, p, n, &err) == -1)
				abort();
			break;
		case MAIL_READ_BODY:
			if (!o->got_hdrs || n == 0 ||
			    buf_add(&o->body, p, n, &err) == -1)
				abort();
			break;
		case MAIL_READ_END:
		case MAIL_READ_ERROR:
			o->last = ev;
			o->err = err;
			if (mail_reader_next(r, &p, &n, &err) != ev)
				abort();
			return 1;
		}
	}
}

static void
fz_read(enum mail_newline nl, size_t max, const uint8_t *data, size_t len,
    size_t step, struct fz_out *o)
{
	struct mail_reader	*r;
	struct err		 err;
	size_t			 off, n;
	int			 done = 0;

	memset(o, 0, sizeof(*o));
	buf_init(&o->hdr, 4 * len + 16);
	buf_init(&o->body, 4 * len + 16);
	if ((r = mail_reader_new(nl, max, &err)) == NULL)
		abort();
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (mail_reader_feed(r, (const char *)data + off, n, &err) ==
		    -1)
			abort();
		if (!done)
			done = fz_drain(r, o);
		step = step * 7 % 61 + 1;
	}
	mail_reader_finish(r);
	if (!done && !fz_drain(r, o))
		abort();
	mail_reader_free(r);
}

static int
fz_same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->data, b->data, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_out		 whole, parts;
	struct mail_hdrs	*h;
	struct err		 err;
	enum mail_newline	 nl;
	size_t			 max;

	if (len == 0)
		return 0;
	nl = data[0] & 1 ? MAIL_NL_LF : MAIL_NL_CRLF;
	max = data[0] & 2 ? (size_t)(data[0] >> 2) * 4 + 1 : 0;
	fz_read(nl, max, data + 1, len - 1, len, &whole);
	fz_read(nl, max, data + 1, len - 1, (data[0] >> 2) + 1, &parts);
	if (whole.last != parts.last || !fz_same(&whole.hdr, &parts.hdr) ||
	    !fz_same(&whole.body, &parts.body) ||
	    (whole.last == MAIL_READ_ERROR &&
	    (whole.err.code != parts.err.code ||
	    strcmp(whole.err.msg, parts.err.msg) != 0)))
		abort();
	/* A header section that the reader accepts parses on its own. */
	if (whole.last == MAIL_READ_END) {
		if ((h = mail_hdrs_parse(whole.hdr.data ? whole.hdr.data : "",
		    whole.hdr.len, &err)) == NULL && err.code != MAIL_E_LIMIT)
			abort();
		mail_hdrs_free(h);
	}
	buf_fini(&whole.hdr);
	buf_fini(&whole.body);
	buf_fini(&parts.hdr);
	buf_fini(&parts.body);
	return 0;
}
