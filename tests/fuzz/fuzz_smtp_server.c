/*
 * fuzz_smtp_server.c: the whole server session on any bytes.  The input
 * is a header of 8 bytes and the client's stream.  The header chooses the
 * configuration, the piece sizes, and the daemon's answers: each request
 * takes the next header byte (cycling) to decide whether to accept,
 * refuse, answer 421, or answer only later.  STARTTLS is "done" when the
 * session asks for it.  Every reply the session writes must be a line
 * "ddd" SP or "-" text CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	struct smtp_server	*s;
	const uint8_t		*dec;
	size_t			 ndec;
	size_t			 next;
	bool			 deferred;
	uint64_t		 bytes;
	bool			 in_message;
};

static const int fz_codes[] = { 250, 250, 250, 550, 451, 421, 554, 0 };

static void
fz_answer(struct fz *f)
{
	uint8_t	d = f->dec[f->next++ % f->ndec];
	int	code = fz_codes[d % 8];

	if (code == 0)
		code = 250;
	if (smtp_server_answer(f->s, code, (d & 0x80) ? NULL : "", (d & 0x40) ?
	    "text\r\nwith\x01controls" : NULL, NULL) == -1)
		abort();
}

static void
fz_request(void *arg, const struct smtp_request *req)
{
	struct fz	*f = arg;
	uint8_t		 d;

	if (req->path == NULL || req->helo == NULL)
		abort();
	if (req->kind == SMTP_REQ_RESET) {
		f->in_message = false;
		return;
	}
	if (req->kind == SMTP_REQ_MESSAGE && req->size != f->bytes)
		abort();
	f->bytes = 0;
	d = f->dec[f->next % f->ndec];
	if (fz_codes[d % 8] == 0) {
		f->next++;
		f->deferred = true;
		return;
	}
	fz_answer(f);
}

static void
fz_data(void *arg, const char *p, size_t n)
{
	struct fz	*f = arg;

	if (n == 0 || p == NULL)
		abort();
	f->bytes += n;
}

static void
fz_check_output(struct smtp_server *s)
{
	const char	*o;
	size_t		 n, i, start = 0;

	o = smtp_server_output(s, &n);
	for (i = 0; i < n; i++) {
		if (o[i] != '\n')
			continue;
		if (i - start < 4 || o[i - 1] != '\r' ||
		    o[start] < '2' || o[start] > '5' ||
		    (o[start + 3] != ' ' && o[start + 3] != '-' &&
		    o[start + 3] != '\r'))
			abort();
		start = i + 1;
	}
	if (start != n)
		abort();
	smtp_server_output_drop(s, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_server_conf	 conf;
	struct smtp_server_cbs	 cbs = { fz_request, fz_data };
	struct fz		 f;
	const char		*in;
	size_t			 len, off = 0, step, k, stuck = 0;

	if (size < 8)
		return 0;
	memset(&f, 0, sizeof(f));
	f.dec = data + 2;
	f.ndec = 6;
	smtp_server_conf_init(&conf);
	conf.hostname = "fuzz.test";
	conf.ext = data[0] & 0x1f;
	conf.max_size = (data[0] & 0x20) ? 0 : 64;
	conf.max_rcpt = 1 + data[1] % 4;
	conf.max_errors = 1 + data[1] / 16;
	conf.max_line = 64;
	conf.max_header_line = 1 + data[1] % 50;
	step = 1 + data[7] % 128;
	in = (const char *)data + 8;
	len = size - 8;
	if ((f.s = smtp_server_new(&conf, &cbs, &f, NULL)) == NULL)
		return 0;
	smtp_server_start(f.s);
	while (stuck < 4) {
		fz_check_output(f.s);
		switch (smtp_server_want(f.s)) {
		case SMTP_SERVER_CLOSE:
			stuck = 4;
			continue;
		case SMTP_SERVER_WAIT:
			if (!f.deferred)
				abort();
			f.deferred = false;
			fz_answer(&f);
			continue;
		case SMTP_SERVER_STARTTLS:
			smtp_server_tls_started(f.s);
			continue;
		case SMTP_SERVER_READ:
			break;
		}
		if (off == len)
			break;
		k = smtp_server_feed(f.s, in + off, len - off < step ?
		    len - off : step);
		off += k;
		stuck = k == 0 ? stuck + 1 : 0;
	}
	if (stuck >= 4 && smtp_server_want(f.s) == SMTP_SERVER_READ)
		abort();		/* took nothing, yet wants more */
	smtp_server_timer(f.s);
	smtp_server_eof(f.s);
	fz_check_output(f.s);
	if (smtp_server_want(f.s) != SMTP_SERVER_CLOSE)
		abort();
	smtp_server_free(f.s);
	return 0;
}
