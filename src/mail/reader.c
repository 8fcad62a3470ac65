/*
 * reader.c: a message read as a stream (RFC 5322 sections 2.1 and 3.5).
 *
 * Input is fed in chunks of any size and events are pulled.  Header bytes
 * are checked by the scanner of hdrs.c as they arrive, in mail_reader_feed()
 * itself, so a line that breaks a rule or a limit is refused at its first
 * bad byte and the rest of the chunk is not kept: the reader never holds
 * more than max_header bytes of header.  Body bytes are kept only until
 * mail_reader_next() hands them out, so a body of any size takes no more
 * memory than the largest chunk fed while events were not being pulled.
 *
 * With MAIL_NL_LF, a LF not preceded by CR becomes CRLF.  Whether a LF is
 * preceded by CR depends only on the byte before it, which the reader
 * remembers across chunks, so a CRLF split between two chunks stays one
 * CRLF.  A bare CR is kept as it is in both modes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "mail/mail_priv.h"
#include "util/buf.h"
#include "util/err.h"

/* MAIL_NL_LF converts at most this much input per body event. */
#define MAIL_BODY_CHUNK		(32 * 1024)

enum mail_reader_state {
	MAIL_R_HEADER,		/* reading the header section */
	MAIL_R_BODY,		/* headers handed out; body chunks follow */
	MAIL_R_END,
	MAIL_R_ERROR,
};

struct mail_reader {
	enum mail_newline	 nl;
	enum mail_reader_state	 state;
	struct mail_hscan	 scan;
	struct buf		 hdr;		/* header bytes, normalised */
	int			 hdr_done;	/* scanner saw the empty line */
	int			 hdr_cr;	/* last header input byte: CR */
	struct mail_hdrs	*hdrs;
	struct buf		 in;		/* body input not handed out */
	size_t			 in_off;	/* of which handed out */
	int			 body_cr;	/* last body input byte: CR */
	char			*out;		/* MAIL_NL_LF: a body chunk */
	int			 finished;
	struct err		 err;		/* repeated by every next() */
};

struct mail_reader *
mail_reader_new(enum mail_newline nl, size_t max_header, struct err *err)
{
	struct mail_reader	*r;

	if (nl != MAIL_NL_LF && nl != MAIL_NL_CRLF) {
		err_set(err, ERR_ARG, "mail reader: unknown newline mode");
		return NULL;
	}
	if (max_header == 0)
		max_header = MAIL_MAX_HEADER;
	if (max_header > SIZE_MAX / 2)
		max_header = SIZE_MAX / 2;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (nl == MAIL_NL_LF &&
	    (r->out = malloc(2 * MAIL_BODY_CHUNK)) == NULL)) {
		free(r);
		err_set(err, ERR_NOMEM, "mail reader: out of memory");
		return NULL;
	}
	r->nl = nl;
	r->state = MAIL_R_HEADER;
	mail_hscan_init(&r->scan, max_header);
	/* The empty line that ends the section is two bytes more. */
	buf_init(&r->hdr, max_header + 2);
	/*
	 * Pending body input is bounded by what the caller feeds between
	 * two drains of the events, not by us.
	 */
	buf_init(&r->in, SIZE_MAX / 2);
	return r;
}

void
mail_reader_free(struct mail_reader *r)
{
	if (r == NULL)
		return;
	mail_hscan_fini(&r->scan);
	buf_fini(&r->hdr);
	buf_fini(&r->in);
	mail_hdrs_free(r->hdrs);
	free(r->out);
	free(r);
}

static void
mail_reader_fail(struct mail_reader *r, const struct err *why)
{
	r->state = MAIL_R_ERROR;
	r->err = *why;
	buf_fini(&r->hdr);
	buf_fini(&r->in);
	mail_hscan_fini(&r->scan);
}

/* One normalised header byte: 0, 1 at the empty line, -1 on error. */
static int
mail_reader_hdr_byte(struct mail_reader *r, unsigned char c)
{
	struct err	e;

	switch (mail_hscan_byte(&r->scan, c, &e)) {
	case MAIL_HSCAN_ERROR:
		mail_reader_fail(r, &e);
		return -1;
	case MAIL_HSCAN_END:
		r->hdr_done = 1;
		break;
	case MAIL_HSCAN_MORE:
		break;
	}
	if (buf_addc(&r->hdr, (char)c, &e) == -1) {
		err_prefix(&e, "header section");
		mail_reader_fail(r, &e);
		return -1;
	}
	return r->hdr_done;
}

int
mail_reader_feed(struct mail_reader *r, const char *p, size_t n,
    struct err *err)
{
	struct err	e;
	unsigned char	c;
	size_t		i = 0;
	int		rc;

	if (r->finished) {
		err_set(err, ERR_ARG, "mail reader: input after the end");
		return -1;
	}
	for (; i < n && r->state == MAIL_R_HEADER && !r->hdr_done; i++) {
		c = (unsigned char)p[i];
		rc = 0;
		if (r->nl == MAIL_NL_LF && c == '\n' && !r->hdr_cr)
			rc = mail_reader_hdr_byte(r, '\r');
		if (rc == 0)
			rc = mail_reader_hdr_byte(r, c);
		if (rc == -1) {
			if (r->err.code != ERR_NOMEM)
				return 0;	/* next() tells */
			if (err != NULL)
				*err = r->err;
			return -1;
		}
		r->hdr_cr = c == '\r';
	}
	if (r->state == MAIL_R_ERROR || i == n)
		return 0;
	if (r->in_off == r->in.len)
		buf_reset(&r->in);
	else
		buf_drop(&r->in, r->in_off);
	r->in_off = 0;
	if (buf_add(&r->in, p + i, n - i, &e) == -1) {
		err_prefix(&e, "mail reader");
		mail_reader_fail(r, &e);
		if (err != NULL)
			*err = e;
		return -1;
	}
	return 0;
}

void
mail_reader_finish(struct mail_reader *r)
{
	r->finished = 1;
}

static enum mail_read
mail_reader_error(struct mail_reader *r, struct err *err)
{
	if (err != NULL)
		*err = r->err;
	return MAIL_READ_ERROR;
}

static enum mail_read
mail_reader_headers(struct mail_reader *r, struct err *err)
{
	struct err	 e;
	size_t		 len = r->hdr.len;
	char		*data;

	if (r->hdr_done)
		len -= 2;	/* the empty line */
	else if (!r->finished)
		return MAIL_READ_NEED_MORE;
	else if (mail_hscan_eof(&r->scan, &e) == -1) {
		mail_reader_fail(r, &e);
		return mail_reader_error(r, err);
	}
	if ((data = r->hdr.data) == NULL && (data = calloc(1, 1)) == NULL) {
		err_set(&e, ERR_NOMEM, "header section: out of memory");
		mail_reader_fail(r, &e);
		return mail_reader_error(r, err);
	}
	r->hdr.data = NULL;
	buf_fini(&r->hdr);
	if ((r->hdrs = mail_hdrs_from_scan(&r->scan, data, len, &e)) ==
	    NULL) {
		mail_reader_fail(r, &e);
		return mail_reader_error(r, err);
	}
	mail_hscan_fini(&r->scan);
	r->state = MAIL_R_BODY;
	return MAIL_READ_HEADERS;
}

static enum mail_read
mail_reader_body(struct mail_reader *r, const char **p_out, size_t *n_out)
{
	const unsigned char	*p;
	size_t			 n, i, o;

	n = r->in.len - r->in_off;
	if (n == 0) {
		buf_reset(&r->in);
		r->in_off = 0;
		if (!r->finished)
			return MAIL_READ_NEED_MORE;
		buf_fini(&r->in);
		r->state = MAIL_R_END;
		return MAIL_READ_END;
	}
	p = (const unsigned char *)r->in.data + r->in_off;
	if (r->nl == MAIL_NL_CRLF) {
		*p_out = (const char *)p;
		*n_out = n;
		r->in_off += n;
		return MAIL_READ_BODY;
	}
	if (n > MAIL_BODY_CHUNK)
		n = MAIL_BODY_CHUNK;
	for (i = 0, o = 0; i < n; i++) {
		if (p[i] == '\n' && !r->body_cr)
			r->out[o++] = '\r';
		r->out[o++] = (char)p[i];
		r->body_cr = p[i] == '\r';
	}
	r->in_off += n;
	*p_out = r->out;
	*n_out = o;
	return MAIL_READ_BODY;
}

enum mail_read
mail_reader_next(struct mail_reader *r, const char **p_out, size_t *n_out,
    struct err *err)
{
	switch (r->state) {
	case MAIL_R_HEADER:
		return mail_reader_headers(r, err);
	case MAIL_R_BODY:
		return mail_reader_body(r, p_out, n_out);
	case MAIL_R_END:
		return MAIL_READ_END;
	case MAIL_R_ERROR:
		break;
	}
	return mail_reader_error(r, err);
}

const struct mail_hdrs *
mail_reader_hdrs(const struct mail_reader *r)
{
	return r->hdrs;
}

struct mail_hdrs *
mail_reader_take_hdrs(struct mail_reader *r)
{
	struct mail_hdrs	*h = r->hdrs;

	r->hdrs = NULL;
	return h;
}
