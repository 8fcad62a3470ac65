/*
 * parser.c: milter packets, MTA to filter: framing and the data layout of
 * each command, as libmilter's mfdef.h names them and Postfix's milter8.c
 * sends them (version 6).
 *
 *	OPTNEG	uint32 version, uint32 actions, uint32 protocol
 *	CONNECT	host NUL, family; for '4' '6' 'L' also uint16 port, addr NUL
 *	HELO	name NUL			UNKNOWN	command NUL
 *	MAIL	addr NUL, esmtp-arg NUL ...	RCPT	the same
 *	MACRO	cmd, name NUL, value NUL ...	HEADER	name NUL, value NUL
 *	BODY	bytes				EOM	bytes (normally none)
 *	ABORT DATA EOH QUIT QUIT_NC		no data
 *
 * The buffer keeps the bytes fed and not yet consumed; a packet handed out
 * stays where it is until the next call, which drops it.
 */
#include <stdlib.h>
#include <string.h>

#include "milter/milter.h"
#include "util/buf.h"
#include "util/err.h"

struct milter_parser {
	struct buf	in;
	size_t		off;		/* bytes of in already consumed */
	size_t		max_packet;
	struct err	fail;		/* sticky, once failed */
	bool		failed;
};

struct milter_parser *
milter_parser_new(size_t max_packet, struct err *err)
{
	struct milter_parser	*p;

	if (max_packet == 0)
		max_packet = MILTER_MAX_PACKET;
	if (max_packet > MILTER_MAX_PACKET) {
		err_set(err, ERR_ARG, "milter: packet ceiling %zu over %d",
		    max_packet, MILTER_MAX_PACKET);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		err_set(err, ERR_NOMEM, "milter parser: out of memory");
		return NULL;
	}
	/* One packet with its length field, plus one feed. */
	buf_init(&p->in, 4 + max_packet + MILTER_MAX_FEED);
	p->max_packet = max_packet;
	return p;
}

void
milter_parser_free(struct milter_parser *p)
{
	if (p == NULL)
		return;
	buf_fini(&p->in);
	free(p);
}

/* Drops what the last packet handed out used. */
static void
parser_compact(struct milter_parser *p)
{
	if (p->off > 0) {
		buf_drop(&p->in, p->off);
		p->off = 0;
	}
}

int
milter_parser_feed(struct milter_parser *p, const void *data, size_t n,
    struct err *err)
{
	parser_compact(p);
	if (n > MILTER_MAX_FEED) {
		err_set(err, ERR_LIMIT, "milter: feed of %zu bytes over %d", n,
		    MILTER_MAX_FEED);
		return -1;
	}
	if (buf_add(&p->in, data, n, err) == -1) {
		err_prefix(err, "milter: input not pulled");
		return -1;
	}
	return 0;
}

static uint32_t
get32(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	    (uint32_t)u[2] << 8 | u[3];
}

/*
 * A reader over one command's data: each take checks the bytes are there,
 * so no layout can read past the packet.
 */
struct cursor {
	const char	*p;
	size_t		 left;
	const char	*what;		/* the command, for messages */
	struct err	*err;
};

/* A NUL-terminated string; NULL with MILTER_E_SYNTAX if no NUL. */
static const char *
take_str(struct cursor *c, const char *field, size_t *len_out)
{
	const char	*s = c->p, *nul;

	if ((nul = memchr(c->p, '\0', c->left)) == NULL) {
		err_set(c->err, MILTER_E_SYNTAX, "milter %s: %s without its "
		    "NUL", c->what, field);
		return NULL;
	}
	if (len_out != NULL)
		*len_out = (size_t)(nul - s);
	c->left -= (size_t)(nul - s) + 1;
	c->p = nul + 1;
	return s;
}

static int
take_end(struct cursor *c)
{
	if (c->left != 0) {
		err_set(c->err, MILTER_E_SYNTAX, "milter %s: %zu bytes after "
		    "the last field", c->what, c->left);
		return -1;
	}
	return 0;
}

/* The rest: strings one after the other, counted into *n_out. */
static int
take_strs(struct cursor *c, const char *field, size_t *n_out)
{
	*n_out = 0;
	while (c->left > 0) {
		if (take_str(c, field, NULL) == NULL)
			return -1;
		(*n_out)++;
	}
	return 0;
}

static int
decode_connect(struct cursor *c, struct milter_cmd *cmd)
{
	if ((cmd->host = take_str(c, "host name", NULL)) == NULL)
		return -1;
	if (c->left < 1) {
		err_set(c->err, MILTER_E_SYNTAX, "milter connect: no address "
		    "family");
		return -1;
	}
	cmd->family = *c->p++;
	c->left--;
	switch (cmd->family) {
	case 'U':
		return take_end(c);
	case '4':
	case '6':
	case 'L':
		break;
	default:
		err_set(c->err, MILTER_E_SYNTAX, "milter connect: unknown "
		    "address family 0x%02x", (unsigned char)cmd->family);
		return -1;
	}
	if (c->left < 2) {
		err_set(c->err, MILTER_E_SYNTAX, "milter connect: no port");
		return -1;
	}
	cmd->port = (uint16_t)((unsigned char)c->p[0] << 8 |
	    (unsigned char)c->p[1]);
	c->p += 2;
	c->left -= 2;
	if ((cmd->addr = take_str(c, "address", NULL)) == NULL)
		return -1;
	return take_end(c);
}

/* Decodes the data of cmd->code; 0 or -1 with err. */
static int
parser_decode(struct milter_cmd *cmd, struct err *err)
{
	struct cursor	 c = { cmd->data, cmd->len, "", err };

	switch (cmd->code) {
	case MILTER_CMD_OPTNEG:
		c.what = "optneg";
		if (cmd->len != 12) {
			err_set(err, MILTER_E_SYNTAX, "milter optneg: %zu bytes "
			    "of data, not 12", cmd->len);
			return -1;
		}
		cmd->version = get32(cmd->data);
		cmd->actions = get32(cmd->data + 4);
		cmd->protocol = get32(cmd->data + 8);
		return 0;
	case MILTER_CMD_CONNECT:
		c.what = "connect";
		return decode_connect(&c, cmd);
	case MILTER_CMD_HELO:
		c.what = "helo";
		if ((cmd->helo = take_str(&c, "name", NULL)) == NULL)
			return -1;
		return take_end(&c);
	case MILTER_CMD_UNKNOWN:
		c.what = "unknown";
		if ((cmd->unknown = take_str(&c, "command", NULL)) == NULL)
			return -1;
		return take_end(&c);
	case MILTER_CMD_MAIL:
	case MILTER_CMD_RCPT:
		c.what = cmd->code == MILTER_CMD_MAIL ? "mail" : "rcpt";
		if ((cmd->addr = take_str(&c, "address", NULL)) == NULL)
			return -1;
		cmd->args = c.p;
		return take_strs(&c, "esmtp parameter", &cmd->nargs);
	case MILTER_CMD_MACRO:
		c.what = "macro";
		if (cmd->len < 1) {
			err_set(err, MILTER_E_SYNTAX, "milter macro: no command");
			return -1;
		}
		cmd->macro_cmd = *c.p++;
		c.left--;
		cmd->args = c.p;
		if (take_strs(&c, "macro", &cmd->nargs) == -1)
			return -1;
		if (cmd->nargs % 2 != 0) {
			err_set(err, MILTER_E_SYNTAX, "milter macro: a name "
			    "without a value");
			return -1;
		}
		return 0;
	case MILTER_CMD_HEADER:
		c.what = "header";
		if ((cmd->name = take_str(&c, "name", NULL)) == NULL ||
		    (cmd->value = take_str(&c, "value", &cmd->value_len)) ==
		    NULL)
			return -1;
		return take_end(&c);
	case MILTER_CMD_BODY:
	case MILTER_CMD_EOM:
		cmd->body = cmd->data;
		cmd->body_len = cmd->len;
		return 0;
	case MILTER_CMD_ABORT:
	case MILTER_CMD_DATA:
	case MILTER_CMD_EOH:
	case MILTER_CMD_QUIT:
	case MILTER_CMD_QUIT_NC:
		if (cmd->len != 0) {
			err_set(err, MILTER_E_SYNTAX, "milter command '%c': "
			    "%zu bytes of data, not 0", cmd->code, cmd->len);
			return -1;
		}
		return 0;
	default:
		/* The octet is printable here or shown as a number. */
		if (cmd->code > 0x20 && cmd->code < 0x7f)
			err_set(err, MILTER_E_COMMAND, "milter: unknown "
			    "command '%c'", cmd->code);
		else
			err_set(err, MILTER_E_COMMAND, "milter: unknown "
			    "command 0x%02x", (unsigned)cmd->code);
		return -1;
	}
}

enum milter_parse
milter_parser_next(struct milter_parser *p, struct milter_cmd *cmd,
    struct err *err)
{
	const char	*in;
	size_t		 avail;
	uint32_t	 len;

	if (p->failed) {
		*err = p->fail;
		return MILTER_PARSE_ERROR;
	}
	memset(cmd, 0, sizeof(*cmd));
	parser_compact(p);
	in = p->in.data;
	avail = p->in.len;
	if (avail < 4)
		return MILTER_PARSE_NEED_MORE;
	/* Judged on the length field alone, before any data is kept. */
	len = get32(in);
	if (len == 0) {
		err_set(&p->fail, MILTER_E_FRAME, "milter: packet of length 0");
		goto fail;
	}
	if (len > p->max_packet) {
		err_set(&p->fail, MILTER_E_FRAME, "milter: packet of length "
		    "%lu over %zu", (unsigned long)len, p->max_packet);
		goto fail;
	}
	if (avail - 4 < len)
		return MILTER_PARSE_NEED_MORE;
	cmd->code = (unsigned char)in[4];
	cmd->data = in + 5;
	cmd->len = len - 1;
	p->off = 4 + (size_t)len;
	if (parser_decode(cmd, &p->fail) == -1)
		goto fail;
	return MILTER_PARSE_CMD;
fail:
	p->failed = true;
	*err = p->fail;
	memset(cmd, 0, sizeof(*cmd));
	return MILTER_PARSE_ERROR;
}
