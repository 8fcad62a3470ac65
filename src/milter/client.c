/*
 * client.c: the MTA side of the milter protocol (milter.h), as little as
 * a program needs that hands one message to a signing filter and takes
 * back the header fields it inserts: timbre-listd asks timbre-signd for
 * the signature of each copy of a post, whose List-Unsubscribe is the
 * subscriber's own (RFC 8058 wants it signed).  No I/O: the encoder
 * appends packets to a buffer, the reader decodes the filter's replies
 * from bytes the caller holds.
 *
 * The conversation is Postfix's (src/milter/milter8.c), reduced: OPTNEG
 * offering every protocol step and asking for SMFIP_HDR_LEADSPC (values
 * go byte for byte as they stand after the colon, folded lines joined by
 * a bare LF as Postfix joins them), then CONNECT, MAIL, RCPT, HEADER...,
 * EOH, BODY in chunks of at most 65535 bytes and EOM, each only if the
 * filter did not negotiate it away; the replies the filter still owes
 * (those without an SMFIP_NR_ flag) are counted so that the caller can
 * tell them from the end-of-message replies.  No macros are sent.
 *
 * Replies come from the filter, a peer of ours but still bytes off a
 * socket: every length is checked, strings must hold their NUL, and a
 * packet over MILTER_MAX_PACKET is refused before its data is read.
 */
#include <string.h>

#include "milter/milter.h"
#include "util/buf.h"
#include "util/err.h"

#define CHUNK	65535

static int
packet(struct buf *out, char cmd, const void *data, size_t len,
    struct err *err)
{
	unsigned char	hdr[5];
	uint32_t	n = (uint32_t)len + 1;

	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	hdr[4] = (unsigned char)cmd;
	if (buf_add(out, hdr, sizeof(hdr), err) == -1)
		return -1;
	return len == 0 ? 0 : buf_add(out, data, len, err);
}

int
milter_client_optneg(struct buf *out, struct err *err)
{
	unsigned char	d[12];
	const uint32_t	v[3] = { MILTER_VERSION, MILTER_SMFIF_ADDHDRS,
			    /* every step and every no-reply offered */
			    0x001fffffu };
	size_t		i;

	for (i = 0; i < 3; i++) {
		d[i * 4] = (unsigned char)(v[i] >> 24);
		d[i * 4 + 1] = (unsigned char)(v[i] >> 16);
		d[i * 4 + 2] = (unsigned char)(v[i] >> 8);
		d[i * 4 + 3] = (unsigned char)v[i];
	}
	return packet(out, MILTER_CMD_OPTNEG, d, sizeof(d), err);
}

/* One HEADER packet: name NUL value NUL, the value's CRLFs made LF. */
static int
header(struct buf *out, const char *f, size_t len, struct err *err)
{
	const char	*colon = memchr(f, ':', len);
	struct buf	 b;
	size_t		 i;
	int		 rc;

	if (colon == NULL || colon == f) {
		err_set(err, ERR_SYNTAX, "milter: a header line without a "
		    "field name");
		return -1;
	}
	buf_init(&b, MILTER_MAX_PACKET - 1);
	rc = buf_add(&b, f, (size_t)(colon - f), err);
	rc |= buf_addc(&b, '\0', err);
	for (i = (size_t)(colon - f) + 1; rc == 0 && i < len; i++)
		if (!(f[i] == '\r' && i + 1 < len && f[i + 1] == '\n'))
			rc = buf_addc(&b, f[i], err);
	rc |= buf_addc(&b, '\0', err);
	if (rc == 0)
		rc = packet(out, MILTER_CMD_HEADER, b.data, b.len, err);
	buf_fini(&b);
	return rc;
}

int
milter_client_message(struct buf *out, uint32_t protocol,
    const char *mail_from, const char *rcpt, const char *msg, size_t len,
    size_t *owed_out, struct err *err)
{
	static const char	connect[] = "localhost\0U";
	struct buf		 a;
	const char		*p = msg, *end = msg + len, *eol, *f;
	size_t			 owed = 0, n;
	int			 rc = 0;

	buf_init(&a, 1024);
	if (!(protocol & MILTER_SMFIP_NOCONNECT)) {
		rc |= packet(out, MILTER_CMD_CONNECT, connect,
		    sizeof(connect) - 1, err);	/* no NUL after 'U' */
		owed += !(protocol & MILTER_SMFIP_NR_CONN);
	}
	if (!(protocol & MILTER_SMFIP_NOMAIL)) {
		rc |= buf_printf(&a, err, "<%s>", mail_from);
		rc |= packet(out, MILTER_CMD_MAIL, a.data, a.len + 1, err);
		owed += !(protocol & MILTER_SMFIP_NR_MAIL);
	}
	if (!(protocol & MILTER_SMFIP_NORCPT)) {
		buf_reset(&a);
		rc |= buf_printf(&a, err, "<%s>", rcpt);
		rc |= packet(out, MILTER_CMD_RCPT, a.data, a.len + 1, err);
		owed += !(protocol & MILTER_SMFIP_NR_RCPT);
	}
	buf_fini(&a);
	if (!(protocol & MILTER_SMFIP_NODATA)) {
		rc |= packet(out, MILTER_CMD_DATA, NULL, 0, err);
		owed += !(protocol & MILTER_SMFIP_NR_DATA);
	}
	/* The header section, a field (with its continuation lines) at a
	 * time, up to the empty line. */
	while (rc == 0 && p < end && !(*p == '\r' && end - p >= 2 &&
	    p[1] == '\n') && *p != '\n') {
		f = p;
		do {
			eol = memchr(p, '\n', (size_t)(end - p));
			p = eol == NULL ? end : eol + 1;
		} while (p < end && (*p == ' ' || *p == '\t'));
		n = (size_t)(p - f);
		while (n > 0 && (f[n - 1] == '\n' || f[n - 1] == '\r'))
			n--;
		if (!(protocol & MILTER_SMFIP_NOHDRS)) {
			rc = header(out, f, n, err);
			owed += !(protocol & MILTER_SMFIP_NR_HDR);
		}
	}
	if (p < end)
		p += *p == '\r' ? 2 : 1;	/* the empty line */
	if (rc == 0 && !(protocol & MILTER_SMFIP_NOEOH)) {
		rc = packet(out, MILTER_CMD_EOH, NULL, 0, err);
		owed += !(protocol & MILTER_SMFIP_NR_EOH);
	}
	while (rc == 0 && p < end && !(protocol & MILTER_SMFIP_NOBODY)) {
		n = (size_t)(end - p) > CHUNK ? CHUNK : (size_t)(end - p);
		rc = packet(out, MILTER_CMD_BODY, p, n, err);
		owed += !(protocol & MILTER_SMFIP_NR_BODY);
		p += n;
	}
	if (rc == 0)
		rc = packet(out, MILTER_CMD_EOM, NULL, 0, err);
	*owed_out = owed;
	return rc == 0 ? 0 : -1;
}

static uint32_t
get32(const unsigned char *s)
{
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
	    (uint32_t)s[2] << 8 | s[3];
}

enum milter_parse
milter_client_reply(const void *in, size_t len, size_t *used_out,
    struct milter_reply *r, struct err *err)
{
	const unsigned char	*s = in;
	const char		*d, *nul;
	uint32_t		 n;

	memset(r, 0, sizeof(*r));
	*used_out = 0;
	if (len < 4)
		return MILTER_PARSE_NEED_MORE;
	n = get32(s);
	if (n == 0 || n > MILTER_MAX_PACKET) {
		err_set(err, MILTER_E_FRAME, "milter reply: a length of %lu",
		    (unsigned long)n);
		return MILTER_PARSE_ERROR;
	}
	if (len - 4 < n)
		return MILTER_PARSE_NEED_MORE;
	*used_out = 4 + (size_t)n;
	r->code = (char)s[4];
	d = (const char *)s + 5;
	r->len = n - 1;
	r->data = d;
	switch (r->code) {
	case MILTER_REPLY_OPTNEG:
		if (r->len < 12)
			goto syntax;
		r->version = get32(s + 5);
		r->actions = get32(s + 9);
		r->protocol = get32(s + 13);
		break;
	case MILTER_REPLY_INSHEADER:
		if (r->len < 4)
			goto syntax;
		r->index = get32(s + 5);
		d += 4;
		/* FALLTHROUGH */
	case MILTER_REPLY_ADDHEADER:
		n = (uint32_t)(r->data + r->len - d);
		if ((nul = memchr(d, '\0', n)) == NULL || nul == d)
			goto syntax;
		r->name = d;
		r->value = nul + 1;
		n -= (uint32_t)(nul + 1 - d);
		if (n == 0 || r->value[n - 1] != '\0' ||
		    memchr(r->value, '\0', n - 1) != NULL)
			goto syntax;
		break;
	case MILTER_REPLY_REPLYCODE:
		if (r->len == 0 || d[r->len - 1] != '\0' ||
		    memchr(d, '\0', r->len - 1) != NULL)
			goto syntax;
		r->value = d;
		break;
	default:
		break;
	}
	return MILTER_PARSE_CMD;
syntax:
	memset(r, 0, sizeof(*r));
	err_set(err, MILTER_E_SYNTAX, "milter reply '%c': its data does "
	    "not fit", s[4] >= ' ' && s[4] < 0x7f ? s[4] : '?');
	return MILTER_PARSE_ERROR;
}
