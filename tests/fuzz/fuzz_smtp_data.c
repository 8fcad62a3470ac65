/*
 * fuzz_smtp_data.c: the DATA reader on any bytes, fed whole and in pieces
 * whose sizes come from the input; both must give the same message,
 * status and rest.  The message handed out must be CRLF text (no CR or LF
 * alone) and never larger than the limit while the status is OK.  The
 * first bytes choose the size and header line limits and the piece size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz_out {
	struct buf		 msg;
	bool			 end;
	size_t			 rest;
};

static void
fz_feed(struct smtp_data *d, const char *p, size_t n, struct fz_out *o)
{
	const char		*c;
	size_t			 len;
	enum smtp_data_ev	 ev;

	if (o->end) {
		o->rest += n;
		return;
	}
	smtp_data_feed(d, p, n);
	while ((ev = smtp_data_next(d, &c, &len)) == SMTP_DATA_CHUNK) {
		if (len == 0 || buf_add(&o->msg, c, len, NULL) == -1)
			abort();
	}
	if (ev == SMTP_DATA_END) {
		o->end = true;
		o->rest = smtp_data_unfeed(d);
		if (smtp_data_next(d, &c, &len) != SMTP_DATA_END)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_data	 da, db;
	struct fz_out		 a, b;
	const char		*in;
	size_t			 len, off, step, i;
	uint64_t		 max_size;
	size_t			 max_hdr;

	if (size < 3)
		return 0;
	max_size = data[0] == 0 ? 0 : (uint64_t)data[0] * 8;
	max_hdr = data[1] % 100;
	step = 1 + data[2] % 32;
	in = (const char *)data + 3;
	len = size - 3;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	buf_init(&a.msg, 1 << 20);
	buf_init(&b.msg, 1 << 20);
	smtp_data_init(&da, max_size, max_hdr);
	smtp_data_init(&db, max_size, max_hdr);
	fz_feed(&da, in, len, &a);
	for (off = 0; off < len; off += step)
		fz_feed(&db, in + off, len - off < step ? len - off : step,
		    &b);
	if (a.end != b.end || a.rest != b.rest ||
	    smtp_data_status(&da) != smtp_data_status(&db))
		abort();
	if (smtp_data_status(&da) == SMTP_DATA_OK) {
		if (a.msg.len != b.msg.len || (a.msg.len > 0 &&
		    memcmp(a.msg.data, b.msg.data, a.msg.len) != 0))
			abort();
		if (max_size != 0 && a.msg.len > max_size)
			abort();
		for (i = 0; i < a.msg.len; i++) {
			if (a.msg.data[i] == '\r' && (i + 1 == a.msg.len ||
			    a.msg.data[i + 1] != '\n'))
				abort();
			if (a.msg.data[i] == '\n' && (i == 0 ||
			    a.msg.data[i - 1] != '\r'))
				abort();
		}
		if (a.end && a.msg.len != da.size)
			abort();
	}
	buf_fini(&a.msg);
	buf_fini(&b.msg);
	return 0;
}
