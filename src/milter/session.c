/*
 * session.c: one MTA connection of the milter protocol, version 6, filter
 * side: negotiation, macros, the order of events and the replies due.
 *
 * Which commands expect a reply follows libmilter and Postfix's milter8.c:
 * connect, helo, mail, rcpt, data, unknown, header, eoh and body do,
 * unless the matching SMFIP_NR_ flag was agreed; eom always does; macro,
 * abort, quit and quit_nc never do.  An event the filter negotiated away
 * (SMFIP_NO*) is never sent, but its macros still are, so every stage's
 * macros are accepted whatever was negotiated.
 *
 * Order: events of one SMTP session come in protocol order, some of them
 * skipped (negotiated away, or not used by the client), so the session
 * keeps the latest phase reached and refuses only what goes backwards or
 * cannot repeat; see phase_allows().
 */
#include <stdlib.h>
#include <string.h>

#include "milter/milter.h"
#include "util/buf.h"
#include "util/err.h"

/* Reply octets (SMFIR_ in mfdef.h). */
#define SMFIR_ACCEPT	'a'
#define SMFIR_CONTINUE	'c'
#define SMFIR_INSHEADER	'i'
#define SMFIR_PROGRESS	'p'
#define SMFIR_REJECT	'r'
#define SMFIR_TEMPFAIL	't'
#define SMFIR_REPLYCODE	'y'

/* Output: all of an EOM's insertions fit, plus the small replies. */
#define MILTER_MAX_OUTPUT	(2 * MILTER_MAX_PACKET)

/* Header names: RFC 5322 lines are at most 998 bytes with the colon. */
#define MILTER_MAX_NAME		997

/* Macro stages: the commands macros come with, newest stage first (the
 * order in which milter_session_macro() looks). */
static const char	stage_cmds[] = "EBNLTRMHCU";
#define NSTAGES		(sizeof(stage_cmds) - 1)
/* Stages of a message: those before 'H' in stage_cmds. */
#define NSTAGES_MSG	7

enum phase {
	PH_NONE,		/* no event of this connection yet */
	PH_CONNECT,
	PH_HELO,		/* between messages */
	PH_MAIL,
	PH_RCPT,
	PH_DATA,
	PH_HEADER,
	PH_EOH,
	PH_BODY,
};

enum state {
	ST_OPTNEG,		/* the first packet must be OPTNEG */
	ST_OPEN,
	ST_WAIT_EOM,		/* an EOM was handed out, not answered */
	ST_QUIT,
	ST_FAILED,
};

struct milter_session {
	struct milter_parser	*parser;
	struct buf		 out;
	struct buf		 hdr;		/* a header value, CRLF restored */
	struct buf		 macros[NSTAGES];
	uint32_t		 want_actions, want_protocol;
	uint32_t		 version, actions, protocol;	/* agreed */
	enum state		 state;
	enum phase		 phase;
	int			 due;		/* command answer due to, or 0 */
	bool			 eom_next;	/* EOM data was handed as BODY */
	struct err		 fail;
};

struct milter_session *
milter_session_new(uint32_t actions, uint32_t protocol, struct err *err)
{
	struct milter_session	*s;
	size_t			 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(err, ERR_NOMEM, "milter session: out of memory");
		return NULL;
	}
	if ((s->parser = milter_parser_new(0, err)) == NULL) {
		free(s);
		return NULL;
	}
	buf_init(&s->out, MILTER_MAX_OUTPUT);
	/* Every LF may become CRLF. */
	buf_init(&s->hdr, 2 * MILTER_MAX_PACKET);
	for (i = 0; i < NSTAGES; i++)
		buf_init(&s->macros[i], MILTER_MAX_MACROS);
	s->want_actions = actions;
	s->want_protocol = protocol | MILTER_SMFIP_HDR_LEADSPC;
	s->state = ST_OPTNEG;
	return s;
}

void
milter_session_free(struct milter_session *s)
{
	size_t	i;

	if (s == NULL)
		return;
	milter_parser_free(s->parser);
	buf_fini(&s->out);
	buf_fini(&s->hdr);
	for (i = 0; i < NSTAGES; i++)
		buf_fini(&s->macros[i]);
	free(s);
}

int
milter_session_feed(struct milter_session *s, const void *data, size_t n,
    struct err *err)
{
	if (s->state == ST_QUIT || s->state == ST_FAILED) {
		err_set(err, ERR_ARG, "milter: input after the session ended");
		return -1;
	}
	return milter_parser_feed(s->parser, data, n, err);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends the header of a packet whose data is len bytes. */
static int
out_start(struct milter_session *s, char code, size_t len, struct err *err)
{
	unsigned char	hdr[5];

	put32(hdr, (uint32_t)(len + 1));
	hdr[4] = (unsigned char)code;
	return buf_add(&s->out, hdr, sizeof(hdr), err);
}

static int
out_simple(struct milter_session *s, char code, struct err *err)
{
	return out_start(s, code, 0, err);
}

/* Takes back what an answer that failed half-way appended. */
static void
out_truncate(struct milter_session *s, size_t mark)
{
	s->out.len = mark;
	if (s->out.data != NULL)
		s->out.data[mark] = '\0';
}

/* Forgets the macros of the stages from first on (in stage_cmds). */
static void
macros_clear(struct milter_session *s, size_t first, size_t end)
{
	size_t	i;

	for (i = first; i < end; i++)
		buf_reset(&s->macros[i]);
}

/* The message is over (answered, aborted): its macros go. */
static void
message_end(struct milter_session *s)
{
	macros_clear(s, 0, NSTAGES_MSG);
	if (s->phase > PH_HELO)
		s->phase = PH_HELO;
}

static int
negotiate(struct milter_session *s, const struct milter_cmd *cmd,
    struct err *err)
{
	unsigned char	data[12];

	if (cmd->version < MILTER_VERSION) {
		err_set(err, MILTER_E_NEGOTIATE, "milter: mta speaks version "
		    "%lu, we need %d", (unsigned long)cmd->version,
		    MILTER_VERSION);
		return -1;
	}
	/*
	 * Without SMFIP_HDR_LEADSPC the MTA eats the space after each
	 * header's colon: the header could not be signed as it is.
	 */
	if ((cmd->protocol & MILTER_SMFIP_HDR_LEADSPC) == 0) {
		err_set(err, MILTER_E_NEGOTIATE, "milter: mta does not offer "
		    "SMFIP_HDR_LEADSPC (protocol 0x%08lx)",
		    (unsigned long)cmd->protocol);
		return -1;
	}
	if ((cmd->actions & s->want_actions) != s->want_actions) {
		err_set(err, MILTER_E_NEGOTIATE, "milter: mta offers actions "
		    "0x%08lx, we need 0x%08lx", (unsigned long)cmd->actions,
		    (unsigned long)s->want_actions);
		return -1;
	}
	s->version = MILTER_VERSION;
	s->actions = s->want_actions;
	/* What we want and it offers; the rest it does as usual. */
	s->protocol = s->want_protocol & cmd->protocol;
	put32(data, s->version);
	put32(data + 4, s->actions);
	put32(data + 8, s->protocol);
	if (out_start(s, MILTER_CMD_OPTNEG, sizeof(data), err) == -1 ||
	    buf_add(&s->out, data, sizeof(data), err) == -1)
		return -1;
	s->state = ST_OPEN;
	return 0;
}

/* Where a stage's macros are kept; -1 for a command without. */
static int
stage_of(char cmd)
{
	const char	*p;

	if (cmd == '\0' || (p = strchr(stage_cmds, cmd)) == NULL)
		return -1;
	return (int)(p - stage_cmds);
}

static int
macros_store(struct milter_session *s, const struct milter_cmd *cmd,
    struct err *err)
{
	int	i;

	if ((i = stage_of(cmd->macro_cmd)) == -1) {
		err_set(err, MILTER_E_STATE, "milter: macros for command "
		    "0x%02x, which has none", (unsigned char)cmd->macro_cmd);
		return -1;
	}
	buf_reset(&s->macros[i]);
	if (buf_add(&s->macros[i], cmd->args, cmd->len - 1, err) == -1) {
		err_prefix(err, "milter: macros of '%c'", cmd->macro_cmd);
		return -1;
	}
	return 0;
}

/* Compares macro names without their braces ("{i}" is "i"). */
static bool
macro_name_eq(const char *a, const char *b)
{
	size_t	al, bl;

	al = strlen(a);
	bl = strlen(b);
	if (al >= 2 && a[0] == '{' && a[al - 1] == '}') {
		a++;
		al -= 2;
	}
	if (bl >= 2 && b[0] == '{' && b[bl - 1] == '}') {
		b++;
		bl -= 2;
	}
	return al == bl && memcmp(a, b, al) == 0;
}

const char *
milter_session_macro(const struct milter_session *s, const char *name)
{
	const struct buf	*m;
	const char		*p, *end, *value;
	size_t			 i;

	for (i = 0; i < NSTAGES; i++) {
		m = &s->macros[i];
		if (m->len == 0)
			continue;
		/* Stored as checked by the parser: NUL-terminated pairs. */
		p = m->data;
		end = m->data + m->len;
		while (p < end) {
			value = p + strlen(p) + 1;
			if (macro_name_eq(p, name))
				return value;
			p = value + strlen(value) + 1;
		}
	}
	return NULL;
}

/* The SMFIP_NO flag of an event, the SMFIP_NR flag of its reply. */
static void
event_flags(int code, uint32_t *no, uint32_t *nr)
{
	*no = *nr = 0;
	switch (code) {
	case MILTER_CMD_CONNECT:
		*no = MILTER_SMFIP_NOCONNECT, *nr = MILTER_SMFIP_NR_CONN;
		break;
	case MILTER_CMD_HELO:
		*no = MILTER_SMFIP_NOHELO, *nr = MILTER_SMFIP_NR_HELO;
		break;
	case MILTER_CMD_MAIL:
		*no = MILTER_SMFIP_NOMAIL, *nr = MILTER_SMFIP_NR_MAIL;
		break;
	case MILTER_CMD_RCPT:
		*no = MILTER_SMFIP_NORCPT, *nr = MILTER_SMFIP_NR_RCPT;
		break;
	case MILTER_CMD_DATA:
		*no = MILTER_SMFIP_NODATA, *nr = MILTER_SMFIP_NR_DATA;
		break;
	case MILTER_CMD_UNKNOWN:
		*no = MILTER_SMFIP_NOUNKNOWN, *nr = MILTER_SMFIP_NR_UNKN;
		break;
	case MILTER_CMD_HEADER:
		*no = MILTER_SMFIP_NOHDRS, *nr = MILTER_SMFIP_NR_HDR;
		break;
	case MILTER_CMD_EOH:
		*no = MILTER_SMFIP_NOEOH, *nr = MILTER_SMFIP_NR_EOH;
		break;
	case MILTER_CMD_BODY:
		*no = MILTER_SMFIP_NOBODY, *nr = MILTER_SMFIP_NR_BODY;
		break;
	}
}

/*
 * Whether an event may come at the session's phase, and the phase after
 * it.  Message events need MAIL first, unless MAIL was negotiated away;
 * then any of them starts a message.
 */
static bool
phase_allows(const struct milter_session *s, int code, enum phase *next)
{
	bool	mail = (s->protocol & MILTER_SMFIP_NOMAIL) == 0;
	bool	in_msg = s->phase >= PH_MAIL || !mail;

	*next = s->phase;
	switch (code) {
	case MILTER_CMD_CONNECT:
		*next = PH_CONNECT;
		return s->phase == PH_NONE;
	case MILTER_CMD_HELO:
		*next = PH_HELO;
		return s->phase <= PH_HELO;
	case MILTER_CMD_UNKNOWN:
		return s->phase < PH_DATA;
	case MILTER_CMD_MAIL:
		*next = PH_MAIL;
		return s->phase <= PH_HELO;
	case MILTER_CMD_RCPT:
		*next = PH_RCPT;
		return in_msg && s->phase <= PH_RCPT;
	case MILTER_CMD_DATA:
		*next = PH_DATA;
		return in_msg && s->phase < PH_DATA;
	case MILTER_CMD_HEADER:
		*next = PH_HEADER;
		return in_msg && s->phase <= PH_HEADER;
	case MILTER_CMD_EOH:
		*next = PH_EOH;
		return in_msg && s->phase < PH_EOH;
	case MILTER_CMD_BODY:
		*next = PH_BODY;
		return in_msg && s->phase <= PH_BODY;
	case MILTER_CMD_EOM:
		return in_msg;
	}
	return true;
}

/* Copies a header value, each LF not after a CR made CRLF. */
static int
header_restore(struct milter_session *s, struct milter_cmd *cmd,
    struct err *err)
{
	size_t	i;

	buf_reset(&s->hdr);
	for (i = 0; i < cmd->value_len; i++) {
		if (cmd->value[i] == '\n' && (i == 0 || cmd->value[i - 1] !=
		    '\r') && buf_addc(&s->hdr, '\r', err) == -1)
			return -1;
		if (buf_addc(&s->hdr, cmd->value[i], err) == -1)
			return -1;
	}
	if (buf_addc(&s->hdr, '\0', err) == -1)
		return -1;
	cmd->value = s->hdr.data;
	cmd->value_len = s->hdr.len - 1;
	return 0;
}

static enum milter_event
session_fail(struct milter_session *s, struct err *err)
{
	s->state = ST_FAILED;
	s->fail = *err;
	return MILTER_EV_ERROR;
}

static const char *
cmd_name(int code)
{
	switch (code) {
	case MILTER_CMD_ABORT:	return "abort";
	case MILTER_CMD_BODY:	return "body";
	case MILTER_CMD_CONNECT: return "connect";
	case MILTER_CMD_MACRO:	return "macro";
	case MILTER_CMD_EOM:	return "eom";
	case MILTER_CMD_HELO:	return "helo";
	case MILTER_CMD_QUIT_NC: return "quit_nc";
	case MILTER_CMD_HEADER:	return "header";
	case MILTER_CMD_MAIL:	return "mail";
	case MILTER_CMD_EOH:	return "eoh";
	case MILTER_CMD_OPTNEG:	return "optneg";
	case MILTER_CMD_QUIT:	return "quit";
	case MILTER_CMD_RCPT:	return "rcpt";
	case MILTER_CMD_DATA:	return "data";
	case MILTER_CMD_UNKNOWN: return "unknown";
	}
	return "?";
}

static enum milter_event
eom_event(struct milter_session *s)
{
	s->state = ST_WAIT_EOM;
	s->due = MILTER_CMD_EOM;
	return MILTER_EV_EOM;
}

enum milter_event
milter_session_next(struct milter_session *s, struct milter_cmd *cmd,
    struct err *err)
{
	enum phase	next;
	uint32_t	no, nr;

	switch (s->state) {
	case ST_FAILED:
		memset(cmd, 0, sizeof(*cmd));
		*err = s->fail;
		return MILTER_EV_ERROR;
	case ST_QUIT:
		memset(cmd, 0, sizeof(*cmd));
		return MILTER_EV_QUIT;
	case ST_WAIT_EOM:
		memset(cmd, 0, sizeof(*cmd));
		return MILTER_EV_WAIT;
	default:
		break;
	}
	if (s->due != 0) {
		/* The daemon did not answer: go on. */
		s->due = 0;
		if (out_simple(s, SMFIR_CONTINUE, err) == -1)
			return session_fail(s, err);
	}
	if (s->eom_next) {
		s->eom_next = false;
		memset(cmd, 0, sizeof(*cmd));
		cmd->code = MILTER_CMD_EOM;
		return eom_event(s);
	}
	for (;;) {
		switch (milter_parser_next(s->parser, cmd, err)) {
		case MILTER_PARSE_NEED_MORE:
			return MILTER_EV_NEED_MORE;
		case MILTER_PARSE_ERROR:
			return session_fail(s, err);
		case MILTER_PARSE_CMD:
			break;
		}
		if (s->state == ST_OPTNEG) {
			if (cmd->code != MILTER_CMD_OPTNEG) {
				err_set(err, MILTER_E_STATE, "milter: %s "
				    "before optneg", cmd_name(cmd->code));
				return session_fail(s, err);
			}
			if (negotiate(s, cmd, err) == -1)
				return session_fail(s, err);
			return MILTER_EV_OPTNEG;
		}
		switch (cmd->code) {
		case MILTER_CMD_OPTNEG:
			err_set(err, MILTER_E_STATE, "milter: second optneg");
			return session_fail(s, err);
		case MILTER_CMD_MACRO:
			if (macros_store(s, cmd, err) == -1)
				return session_fail(s, err);
			continue;
		case MILTER_CMD_ABORT:
			message_end(s);
			return MILTER_EV_ABORT;
		case MILTER_CMD_QUIT:
			s->state = ST_QUIT;
			return MILTER_EV_QUIT;
		case MILTER_CMD_QUIT_NC:
			macros_clear(s, 0, NSTAGES);
			s->phase = PH_NONE;
			return MILTER_EV_QUIT_NC;
		}
		event_flags(cmd->code, &no, &nr);
		if ((s->protocol & no) != 0) {
			err_set(err, MILTER_E_STATE, "milter: %s, which was "
			    "negotiated away", cmd_name(cmd->code));
			return session_fail(s, err);
		}
		if (!phase_allows(s, cmd->code, &next)) {
			err_set(err, MILTER_E_STATE, "milter: %s out of order",
			    cmd_name(cmd->code));
			return session_fail(s, err);
		}
		s->phase = next;
		if (cmd->code != MILTER_CMD_EOM && (s->protocol & nr) == 0)
			s->due = cmd->code;
		switch (cmd->code) {
		case MILTER_CMD_CONNECT:
			return MILTER_EV_CONNECT;
		case MILTER_CMD_HELO:
			return MILTER_EV_HELO;
		case MILTER_CMD_MAIL:
			return MILTER_EV_MAIL;
		case MILTER_CMD_RCPT:
			return MILTER_EV_RCPT;
		case MILTER_CMD_DATA:
			return MILTER_EV_DATA;
		case MILTER_CMD_UNKNOWN:
			return MILTER_EV_UNKNOWN;
		case MILTER_CMD_HEADER:
			if (header_restore(s, cmd, err) == -1)
				return session_fail(s, err);
			return MILTER_EV_HEADER;
		case MILTER_CMD_EOH:
			return MILTER_EV_EOH;
		case MILTER_CMD_BODY:
			return MILTER_EV_BODY;
		default:	/* MILTER_CMD_EOM */
			/* Old MTAs send the last chunk with EOM: it is body
			 * first, without a reply of its own. */
			if (cmd->body_len > 0) {
				cmd->code = MILTER_CMD_BODY;
				s->eom_next = true;
				return MILTER_EV_BODY;
			}
			return eom_event(s);
		}
	}
}

/* A reply text Postfix and Sendmail take: "4xy text", printable. */
static int
reply_check(const char *reply, char first, struct err *err)
{
	size_t	i, n;

	n = strlen(reply);
	if (n < 4 || n > MILTER_MAX_REPLY || reply[0] != first ||
	    reply[1] < '0' || reply[1] > '9' || reply[2] < '0' ||
	    reply[2] > '9' || reply[3] != ' ') {
		err_set(err, ERR_ARG, "milter: reply is not \"%cxy text\"",
		    first);
		return -1;
	}
	for (i = 4; i < n; i++)
		if (reply[i] < 0x20 || reply[i] > 0x7e) {
			err_set(err, ERR_ARG, "milter: reply has byte 0x%02x",
			    (unsigned char)reply[i]);
			return -1;
		}
	return 0;
}

/* The MTAs read the text as a format: '%' goes as "%%". */
static int
out_replycode(struct milter_session *s, const char *reply, struct err *err)
{
	size_t		 n, pct = 0;
	const char	*p;

	n = strlen(reply);
	for (p = reply; (p = strchr(p, '%')) != NULL; p++)
		pct++;
	if (out_start(s, SMFIR_REPLYCODE, n + pct + 1, err) == -1)
		return -1;
	for (p = reply; *p != '\0'; p++)
		if ((*p == '%' && buf_addc(&s->out, '%', err) == -1) ||
		    buf_addc(&s->out, *p, err) == -1)
			return -1;
	return buf_addc(&s->out, '\0', err);
}

/* Ends an answer: the message may be over, the EOM answered. */
static void
answered(struct milter_session *s, int due, enum milter_answer a)
{
	s->due = 0;
	if (due == MILTER_CMD_EOM) {
		s->state = ST_OPEN;
		message_end(s);
	} else if (a != MILTER_CONTINUE && due != MILTER_CMD_RCPT &&
	    s->phase >= PH_MAIL)
		message_end(s);
}

int
milter_session_answer(struct milter_session *s, enum milter_answer a,
    const char *reply, struct err *err)
{
	size_t	mark = s->out.len;
	char	code;
	int	rc;

	if (s->due == 0 || s->state == ST_FAILED || s->state == ST_QUIT) {
		err_set(err, ERR_ARG, "milter: no answer is due");
		return -1;
	}
	switch (a) {
	case MILTER_CONTINUE:
		code = SMFIR_CONTINUE;
		break;
	case MILTER_ACCEPT:
		code = SMFIR_ACCEPT;
		break;
	case MILTER_TEMPFAIL:
		code = SMFIR_TEMPFAIL;
		break;
	case MILTER_REJECT:
		code = SMFIR_REJECT;
		break;
	default:
		err_set(err, ERR_ARG, "milter: unknown answer %d", (int)a);
		return -1;
	}
	if (reply != NULL && code != SMFIR_TEMPFAIL && code != SMFIR_REJECT) {
		err_set(err, ERR_ARG, "milter: a reply text needs tempfail or "
		    "reject");
		return -1;
	}
	if (reply != NULL) {
		if (reply_check(reply, code == SMFIR_TEMPFAIL ? '4' : '5',
		    err) == -1)
			return -1;
		rc = out_replycode(s, reply, err);
	} else
		rc = out_simple(s, code, err);
	if (rc == -1) {
		/* Nothing half-written reaches the MTA. */
		out_truncate(s, mark);
		return -1;
	}
	answered(s, s->due, a);
	return 0;
}

/* A header the MTA can take back as one field: see milter.h. */
static int
header_check(const struct milter_header *h, size_t i, struct err *err)
{
	const char	*p;
	size_t		 n;

	n = h->name == NULL ? 0 : strlen(h->name);
	if (n == 0 || n > MILTER_MAX_NAME) {
		err_set(err, ERR_ARG, "milter: header %zu: name of %zu bytes",
		    i, n);
		return -1;
	}
	for (p = h->name; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ':') {
			err_set(err, ERR_ARG, "milter: header %zu: byte 0x%02x "
			    "in its name", i, (unsigned char)*p);
			return -1;
		}
	if (h->value == NULL) {
		err_set(err, ERR_ARG, "milter: header %zu: no value", i);
		return -1;
	}
	for (p = h->value; *p != '\0'; p++) {
		if (*p == '\n') {
			err_set(err, ERR_ARG, "milter: header %zu: LF without "
			    "CR at %zu", i, (size_t)(p - h->value));
			return -1;
		}
		if (*p != '\r')
			continue;
		if (p[1] != '\n' || (p[2] != ' ' && p[2] != '\t')) {
			err_set(err, ERR_ARG, "milter: header %zu: CR that "
			    "does not fold at %zu", i, (size_t)(p - h->value));
			return -1;
		}
		p++;
	}
	return 0;
}

/* SMFIR_INSHEADER: uint32 index, name NUL, value NUL with LF for CRLF. */
static int
out_insheader(struct milter_session *s, uint32_t index,
    const struct milter_header *h, struct err *err)
{
	unsigned char	 idx[4];
	const char	*p;
	size_t		 nl, vl, crs = 0;

	nl = strlen(h->name);
	vl = strlen(h->value);
	for (p = h->value; (p = strchr(p, '\r')) != NULL; p++)
		crs++;
	if (4 + nl + 1 + vl - crs + 1 + 1 > MILTER_MAX_PACKET) {
		err_set(err, ERR_LIMIT, "milter: header %s too long", h->name);
		return -1;
	}
	put32(idx, index);
	if (out_start(s, SMFIR_INSHEADER, 4 + nl + 1 + vl - crs + 1,
	    err) == -1 || buf_add(&s->out, idx, 4, err) == -1 ||
	    buf_add(&s->out, h->name, nl + 1, err) == -1)
		return -1;
	for (p = h->value; *p != '\0'; p++)
		if (*p != '\r' && buf_addc(&s->out, *p, err) == -1)
			return -1;
	return buf_addc(&s->out, '\0', err);
}

int
milter_session_eom_reply(struct milter_session *s,
    const struct milter_header *h, size_t n, struct err *err)
{
	size_t	i, mark = s->out.len;

	if (s->state != ST_WAIT_EOM) {
		err_set(err, ERR_ARG, "milter: no end of message waits");
		return -1;
	}
	if (n > 0 && (s->actions & MILTER_SMFIF_ADDHDRS) == 0) {
		err_set(err, ERR_ARG, "milter: adding headers was not "
		    "negotiated");
		return -1;
	}
	if (n > MILTER_MAX_INSERT) {
		err_set(err, ERR_LIMIT, "milter: %zu headers to insert, over "
		    "%d", n, MILTER_MAX_INSERT);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (header_check(&h[i], i, err) == -1)
			return -1;
	/*
	 * Index 0 is the top (Sendmail; Postfix adds one and counts its own
	 * Received: header, which it hides from the filter).  Each insert
	 * goes above the header then at that index, so the i-th at index i
	 * puts them all above the MTA's in the order given.
	 */
	for (i = 0; i < n; i++)
		if (out_insheader(s, (uint32_t)i, &h[i], err) == -1)
			goto fail;
	if (out_simple(s, SMFIR_CONTINUE, err) == -1)
		goto fail;
	answered(s, MILTER_CMD_EOM, MILTER_CONTINUE);
	return 0;
fail:
	out_truncate(s, mark);
	return -1;
}

int
milter_session_progress(struct milter_session *s, struct err *err)
{
	if (s->state != ST_WAIT_EOM) {
		err_set(err, ERR_ARG, "milter: no end of message waits");
		return -1;
	}
	return out_simple(s, SMFIR_PROGRESS, err);
}

void
milter_session_protocol(const struct milter_session *s, uint32_t *version,
    uint32_t *actions, uint32_t *protocol)
{
	*version = s->version;
	*actions = s->actions;
	*protocol = s->protocol;
}

const char *
milter_session_output(const struct milter_session *s, size_t *len)
{
	*len = s->out.len;
	return s->out.len > 0 ? s->out.data : NULL;
}

void
milter_session_output_drop(struct milter_session *s, size_t n)
{
	buf_drop(&s->out, n < s->out.len ? n : s->out.len);
}
