/*
 * milter.h: the Sendmail milter protocol, version 6, filter side, as a
 * sans-I/O core, for timbre-signd behind Postfix (smtpd_milters).
 *
 * There is no RFC.  The protocol is defined by Sendmail's libmilter
 * (include/libmilter/mfdef.h: command and reply octets, the SMFIF_ and
 * SMFIP_ masks) and by what the MTAs send; the client of Postfix
 * (src/milter/milter8.c) is the one timbre is written against.  On the
 * wire every packet, both ways, is
 *
 *	uint32 len (network order) | octet cmd | len - 1 octets of data
 *
 * with strings NUL-terminated and integers in network order.  The MTA
 * opens with SMFIC_OPTNEG, then sends, per SMTP session, connect, helo,
 * and per message mail, rcpt..., data, header..., eoh, body..., eom, each
 * event preceded by an SMFIC_MACRO packet with the macros of its stage.
 * The filter answers each event with one reply (SMFIR_CONTINUE, ACCEPT,
 * TEMPFAIL, REJECT) unless it negotiated not to (the SMFIP_NR_ flags);
 * at end of message it may first send modifications, here only
 * SMFIR_INSHEADER.
 *
 * Two layers: the framing parser (milter_parser_*), which splits bytes into
 * packets and decodes each command's data, checking every length, and the
 * session (milter_session_*), which negotiates, keeps the macros, checks
 * that commands come in an order the protocol allows, hands events to the
 * daemon and produces the reply bytes.  Neither does I/O: the daemon feeds
 * what it reads, pulls events, and writes what milter_session_output()
 * holds.
 */
#ifndef TIMBRE_MILTER_MILTER_H
#define TIMBRE_MILTER_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* Error codes (struct err.code) of this module. */
enum milter_error {
	MILTER_E_FRAME = 1500,	/* a length field of 0 or over the ceiling */
	MILTER_E_COMMAND,	/* a command octet the protocol does not have */
	MILTER_E_SYNTAX,	/* a command's data does not fit its layout */
	MILTER_E_STATE,		/* a command out of the protocol's order */
	MILTER_E_NEGOTIATE,	/* the MTA does not offer what we need */
};

/*
 * Ceilings.  Postfix sends body chunks of at most 65535 bytes
 * (MILTER_CHUNK_SIZE) and header fields, macros and envelope commands far
 * smaller than that; libmilter refuses packets over 64 KiB unless a larger
 * SMFIP_MDS_ size was negotiated, and 1 MiB is its largest.  A length field
 * over MILTER_MAX_PACKET is refused as soon as its 4 bytes are in, before
 * any of its data is kept.  The parser holds at most one partial packet
 * plus one feed: feed at most MILTER_MAX_FEED bytes at a time and pull
 * until MILTER_PARSE_NEED_MORE (the session: until NEED_MORE or WAIT).
 */
#define MILTER_MAX_PACKET	(1024 * 1024)	/* cmd + data, the length field */
#define MILTER_MAX_FEED		(64 * 1024)	/* one milter_*_feed() */
#define MILTER_MAX_MACROS	(16 * 1024)	/* macro bytes kept per stage */
#define MILTER_MAX_INSERT	64		/* headers inserted at EOM */
#define MILTER_MAX_REPLY	512		/* SMTP reply text for REJECT */

/* The protocol version we speak; MTAs older than 6 are refused. */
#define MILTER_VERSION		6

/* Commands, MTA to filter: the command octet (SMFIC_ in mfdef.h). */
enum milter_cmd_code {
	MILTER_CMD_ABORT = 'A',		/* SMFIC_ABORT: forget this message */
	MILTER_CMD_BODY = 'B',		/* SMFIC_BODY: a body chunk */
	MILTER_CMD_CONNECT = 'C',	/* SMFIC_CONNECT: client host */
	MILTER_CMD_MACRO = 'D',		/* SMFIC_MACRO: macros of a stage */
	MILTER_CMD_EOM = 'E',		/* SMFIC_BODYEOB: end of message */
	MILTER_CMD_HELO = 'H',		/* SMFIC_HELO */
	MILTER_CMD_QUIT_NC = 'K',	/* SMFIC_QUIT_NC: next connection */
	MILTER_CMD_HEADER = 'L',	/* SMFIC_HEADER: one field */
	MILTER_CMD_MAIL = 'M',		/* SMFIC_MAIL: MAIL FROM */
	MILTER_CMD_EOH = 'N',		/* SMFIC_EOH: end of header */
	MILTER_CMD_OPTNEG = 'O',	/* SMFIC_OPTNEG: negotiation */
	MILTER_CMD_QUIT = 'Q',		/* SMFIC_QUIT: close */
	MILTER_CMD_RCPT = 'R',		/* SMFIC_RCPT: RCPT TO */
	MILTER_CMD_DATA = 'T',		/* SMFIC_DATA */
	MILTER_CMD_UNKNOWN = 'U',	/* SMFIC_UNKNOWN: unknown SMTP command */
};

/* Actions the filter may ask for (SMFIF_ in mfdef.h). */
#define MILTER_SMFIF_ADDHDRS	0x00000001u	/* add or insert headers */
#define MILTER_SMFIF_CHGBODY	0x00000002u
#define MILTER_SMFIF_ADDRCPT	0x00000004u
#define MILTER_SMFIF_DELRCPT	0x00000008u
#define MILTER_SMFIF_CHGHDRS	0x00000010u	/* change or delete headers */
#define MILTER_SMFIF_QUARANTINE	0x00000020u
#define MILTER_SMFIF_CHGFROM	0x00000040u
#define MILTER_SMFIF_ADDRCPT_PAR 0x00000080u
#define MILTER_SMFIF_SETSYMLIST	0x00000100u

/* Protocol steps (SMFIP_ in mfdef.h): events not sent, replies not due. */
#define MILTER_SMFIP_NOCONNECT	0x00000001u
#define MILTER_SMFIP_NOHELO	0x00000002u
#define MILTER_SMFIP_NOMAIL	0x00000004u
#define MILTER_SMFIP_NORCPT	0x00000008u
#define MILTER_SMFIP_NOBODY	0x00000010u
#define MILTER_SMFIP_NOHDRS	0x00000020u
#define MILTER_SMFIP_NOEOH	0x00000040u
#define MILTER_SMFIP_NR_HDR	0x00000080u
#define MILTER_SMFIP_NOUNKNOWN	0x00000100u
#define MILTER_SMFIP_NODATA	0x00000200u
#define MILTER_SMFIP_SKIP	0x00000400u
#define MILTER_SMFIP_RCPT_REJ	0x00000800u
#define MILTER_SMFIP_NR_CONN	0x00001000u
#define MILTER_SMFIP_NR_HELO	0x00002000u
#define MILTER_SMFIP_NR_MAIL	0x00004000u
#define MILTER_SMFIP_NR_RCPT	0x00008000u
#define MILTER_SMFIP_NR_DATA	0x00010000u
#define MILTER_SMFIP_NR_UNKN	0x00020000u
#define MILTER_SMFIP_NR_EOH	0x00040000u
#define MILTER_SMFIP_NR_BODY	0x00080000u
#define MILTER_SMFIP_HDR_LEADSPC 0x00100000u

/*
 * What a signer needs, and the defaults of milter_session_new(): insert
 * headers (SMFIF_ADDHDRS, nothing else).  Events: connect (the client, for
 * the log) and mail (the envelope sender, for the log) without replies;
 * headers, eoh and body without replies (Postfix then streams them, and
 * the daemon hashes as they come); no helo, rcpt, data or unknown commands.
 * SMFIP_HDR_LEADSPC is always asked for and required: see
 * milter_session_next().
 */
#define MILTER_DEFAULT_ACTIONS	MILTER_SMFIF_ADDHDRS
#define MILTER_DEFAULT_PROTOCOL						\
	(MILTER_SMFIP_NOHELO | MILTER_SMFIP_NORCPT |			\
	MILTER_SMFIP_NOUNKNOWN | MILTER_SMFIP_NODATA |			\
	MILTER_SMFIP_NR_CONN | MILTER_SMFIP_NR_MAIL |			\
	MILTER_SMFIP_NR_HDR | MILTER_SMFIP_NR_EOH | MILTER_SMFIP_NR_BODY)

/*
 * A decoded command.  Pointers are into the parser's buffer and valid
 * until the next call on the parser (or session); strings are
 * NUL-terminated within the packet.  Only the fields of the command's
 * code are set; the others are 0 or NULL.
 */
struct milter_cmd {
	int		 code;		/* enum milter_cmd_code */
	const char	*data;		/* the data as received (not cmd) */
	size_t		 len;		/* its length: the length field - 1 */

	/* OPTNEG: what the MTA offers. */
	uint32_t	 version;
	uint32_t	 actions;	/* SMFIF_ */
	uint32_t	 protocol;	/* SMFIP_ */

	/* CONNECT: host name ("[192.0.2.1]" if it has none); family '4',
	 * '6', 'L' (unix socket: port 0, addr a path) or 'U' (unknown: no
	 * port, addr NULL). */
	const char	*host;
	char		 family;
	uint16_t	 port;		/* host order */
	/* CONNECT: the address; MAIL, RCPT: the address ("<a@b>"). */
	const char	*addr;

	const char	*helo;		/* HELO: the name given */
	const char	*unknown;	/* UNKNOWN: the SMTP command line */

	/* HEADER: the field's name and its value (see the session for the
	 * value the session hands out). */
	const char	*name;
	const char	*value;
	size_t		 value_len;

	/* MAIL, RCPT: the ESMTP parameters ("SIZE=100"), nargs strings one
	 * after the other, each with its NUL.  MACRO: name, value, name,
	 * value...: nargs (even) strings. */
	const char	*args;
	size_t		 nargs;
	char		 macro_cmd;	/* MACRO: the command they go with */

	/* BODY (and EOM, if it carries a last chunk): the bytes. */
	const char	*body;
	size_t		 body_len;
};

/*
 * Framing parser.  Bytes in, packets out:
 *
 *	MILTER_E_FRAME		a length field of 0 (no command octet) or over
 *				max_packet
 *	MILTER_E_COMMAND	a command octet not in enum milter_cmd_code
 *	MILTER_E_SYNTAX		the data does not fit the command: a string
 *				without its NUL, bytes left after the last
 *				field, an OPTNEG that is not 12 bytes, a
 *				CONNECT family the protocol does not have, a
 *				MACRO with an odd number of strings, data on a
 *				command that has none (ABORT, DATA, EOH, QUIT,
 *				QUIT_NC)
 *
 * A length field that promises more bytes than come is indistinguishable
 * from a slow MTA: the parser waits (NEED_MORE) and the daemon's timeout
 * ends it.  Once MILTER_PARSE_ERROR is returned, every later call returns
 * it again with the same err.
 */
enum milter_parse {
	MILTER_PARSE_NEED_MORE,	/* feed more bytes */
	MILTER_PARSE_CMD,	/* *cmd_out valid until the next call */
	MILTER_PARSE_ERROR,	/* see err; close the connection */
};

struct milter_parser;

/* max_packet: 0 for MILTER_MAX_PACKET (and at most that).  NULL with
 * ERR_NOMEM, or ERR_ARG if max_packet is too large. */
struct milter_parser *milter_parser_new(size_t max_packet, struct err *);
void		 milter_parser_free(struct milter_parser *);
/* Copies n bytes (n <= MILTER_MAX_FEED); -1 with ERR_LIMIT if the parser
 * would hold more than a packet and a feed (pull first), ERR_NOMEM. */
int		 milter_parser_feed(struct milter_parser *, const void *,
		    size_t, struct err *);
enum milter_parse milter_parser_next(struct milter_parser *,
		    struct milter_cmd *cmd_out, struct err *);

/*
 * Session.  The daemon's loop, per connection from the MTA:
 *
 *	read bytes; milter_session_feed(s, bytes);
 *	while ((ev = milter_session_next(s, &cmd, &err)) > MILTER_EV_WAIT)
 *		handle ev;
 *	write milter_session_output(); milter_session_output_drop(n);
 *	MILTER_EV_EOM: compute the headers (asynchronously if need be), then
 *	    milter_session_eom_reply() or milter_session_answer(), and go on
 *	    pulling: the session holds further input until then (WAIT);
 *	MILTER_EV_QUIT: write the output, close; MILTER_EV_ERROR: log err,
 *	    close.
 *
 * Events that the protocol answers get SMFIR_CONTINUE automatically at the
 * next milter_session_next() unless the daemon answered first with
 * milter_session_answer().  MILTER_EV_EOM is never answered automatically.
 */
enum milter_event {
	MILTER_EV_ERROR,	/* see err; close (sticky) */
	MILTER_EV_NEED_MORE,	/* feed more bytes */
	MILTER_EV_WAIT,		/* EOM not answered yet: answer it */
	MILTER_EV_OPTNEG,	/* negotiated: milter_session_protocol() */
	MILTER_EV_CONNECT,	/* cmd: host, family, port, addr */
	MILTER_EV_HELO,		/* cmd: helo */
	MILTER_EV_MAIL,		/* cmd: addr, args, nargs */
	MILTER_EV_RCPT,		/* cmd: addr, args, nargs */
	MILTER_EV_DATA,
	MILTER_EV_UNKNOWN,	/* cmd: unknown */
	MILTER_EV_HEADER,	/* cmd: name, value, value_len (see below) */
	MILTER_EV_EOH,
	MILTER_EV_BODY,		/* cmd: body, body_len */
	MILTER_EV_EOM,		/* end of message: answer it */
	MILTER_EV_ABORT,	/* the message is abandoned (and state reset) */
	MILTER_EV_QUIT_NC,	/* the SMTP session ended, another follows */
	MILTER_EV_QUIT,		/* the MTA is done: write output, close */
};

/* The answers to an event (the reply octets of mfdef.h). */
enum milter_answer {
	MILTER_CONTINUE,	/* SMFIR_CONTINUE: go on */
	MILTER_ACCEPT,		/* SMFIR_ACCEPT: accept, send us no more */
	MILTER_TEMPFAIL,	/* SMFIR_TEMPFAIL: 4xx (or the reply given) */
	MILTER_REJECT,		/* SMFIR_REJECT: 5xx (or the reply given) */
};

/* A header to insert: value as it stands after the colon, see
 * milter_session_eom_reply(). */
struct milter_header {
	const char	*name;
	const char	*value;
};

struct milter_session;

/*
 * actions (SMFIF_) and protocol (SMFIP_) are what the filter asks for;
 * MILTER_DEFAULT_ACTIONS and MILTER_DEFAULT_PROTOCOL for a signer.
 * SMFIP_HDR_LEADSPC is added.  NULL with ERR_NOMEM.
 */
struct milter_session *milter_session_new(uint32_t actions, uint32_t protocol,
		    struct err *);
void		 milter_session_free(struct milter_session *);
/* As milter_parser_feed(); -1 also after QUIT or an error (ERR_ARG). */
int		 milter_session_feed(struct milter_session *, const void *,
		    size_t, struct err *);
/*
 * Pulls the next event.  *cmd_out is valid until the next call on the
 * session.  Errors are the parser's, plus:
 *
 *	MILTER_E_STATE		a command out of order: anything before
 *				OPTNEG, a second OPTNEG, a CONNECT after the
 *				connection's first event, HELO or MAIL inside
 *				a message, a message event (RCPT, DATA,
 *				HEADER, EOH, BODY) after a later one, a HEADER
 *				after EOH, EOM before any message event, any
 *				event the filter negotiated away, a MACRO for
 *				a command that has none, a message event
 *				before MAIL unless MAIL was negotiated away
 *	MILTER_E_NEGOTIATE	OPTNEG from an MTA older than version 6, or
 *				one that does not offer SMFIP_HDR_LEADSPC or
 *				the actions asked for
 *	ERR_LIMIT		a stage's macros over MILTER_MAX_MACROS
 *
 * Header values.  By default Sendmail and Postfix eat the one space after
 * a header field's colon ("Subject: hi" arrives as "hi"), and put one back
 * on headers the filter adds; SMFIP_HDR_LEADSPC turns that off both ways.
 * The session always negotiates it, so a value arrives byte for byte as it
 * stands after the colon, leading space included, which DKIM's "simple"
 * header canonicalisation (RFC 6376 section 3.4.1) needs.  The MTAs send a
 * folded value with its lines joined by a bare LF ("a\n\tb"); the session
 * hands it out with the CRLF of the message restored ("a\r\n\tb"), so that
 * "name:value\r\n" is the field as delivered.  The value may hold NUL-free
 * bytes of any kind (8-bit, bare CR).
 *
 * MAIL starts a message; ABORT ends it, as does the answer to EOM, and
 * both forget the message's macros (those of MAIL and later stages).
 * While an EOM waits, input is held unparsed (the MTA itself waits for
 * the reply).  After MILTER_EV_QUIT or MILTER_EV_ERROR every later call
 * returns the same.
 */
enum milter_event milter_session_next(struct milter_session *,
		    struct milter_cmd *cmd_out, struct err *);
/*
 * Answers the last event, which must be due an answer (not negotiated
 * away with an SMFIP_NR_ flag): -1 with ERR_ARG if none is due.  reply,
 * for TEMPFAIL and REJECT, may be NULL (the MTA's default) or a full SMTP
 * reply, "451 4.7.0 signing is unavailable" (SMFIR_REPLYCODE): three
 * digits starting with 4 for TEMPFAIL or 5 for REJECT, a space, then
 * printable ASCII, at most MILTER_MAX_REPLY bytes; -1 with ERR_ARG if not.
 * Answering EOM this way inserts nothing.
 */
int		 milter_session_answer(struct milter_session *,
		    enum milter_answer, const char *reply, struct err *);
/*
 * Answers MILTER_EV_EOM: inserts the n headers (n <= MILTER_MAX_INSERT)
 * at the top of the message, in the order given, above every header the
 * MTA has (Postfix's own Received: included), then SMFIR_CONTINUE.  Each
 * name is 1 to 997 printable ASCII bytes other than ':'; each value is
 * what follows the colon, leading space included ("name:value" is the
 * field), folded lines separated by CRLF followed by a space or a tab, no
 * other CR or LF, no CRLF at its end.  -1 with ERR_ARG if one is not (and
 * nothing is sent: the EOM is still waiting), if no EOM waits, or if the
 * MTA did not grant SMFIF_ADDHDRS; ERR_LIMIT past MILTER_MAX_INSERT or if
 * the packets would not fit the output.
 */
int		 milter_session_eom_reply(struct milter_session *,
		    const struct milter_header *, size_t n, struct err *);
/* While an EOM waits: SMFIR_PROGRESS, which restarts the MTA's timeout
 * (Postfix: milter_content_timeout).  -1 with ERR_ARG if none waits. */
int		 milter_session_progress(struct milter_session *,
		    struct err *);
/*
 * A macro's value, from the newest stage that has it ("i", the queue id,
 * at EOM); braces optional ("{mail_addr}" and "mail_addr" are one name).
 * NULL if none has it.  Valid until the next milter_session_next().
 */
const char	*milter_session_macro(const struct milter_session *,
		    const char *name);
/* After MILTER_EV_OPTNEG: the version, actions (SMFIF_) and protocol
 * (SMFIP_) agreed; 0 before. */
void		 milter_session_protocol(const struct milter_session *,
		    uint32_t *version_out, uint32_t *actions_out,
		    uint32_t *protocol_out);
/* The bytes to send to the MTA (NULL, 0 if none), valid until the next
 * call on the session; drop the n of them written. */
const char	*milter_session_output(const struct milter_session *,
		    size_t *len_out);
void		 milter_session_output_drop(struct milter_session *, size_t);

/* ---- The MTA side (client.c) ---- */

struct buf;

/* Replies, filter to MTA (SMFIR_ in mfdef.h). */
enum milter_reply_code {
	MILTER_REPLY_OPTNEG = 'O',
	MILTER_REPLY_CONTINUE = 'c',
	MILTER_REPLY_ACCEPT = 'a',
	MILTER_REPLY_TEMPFAIL = 't',
	MILTER_REPLY_REJECT = 'r',
	MILTER_REPLY_DISCARD = 'd',
	MILTER_REPLY_REPLYCODE = 'y',	/* value: the SMTP reply */
	MILTER_REPLY_PROGRESS = 'p',
	MILTER_REPLY_ADDHEADER = 'h',	/* name, value */
	MILTER_REPLY_INSHEADER = 'i',	/* index, name, value */
};

/* A decoded reply; pointers into the caller's bytes.  code may be any
 * octet (a modification this side does not take). */
struct milter_reply {
	char		 code;
	const char	*data;		/* the data after the code */
	size_t		 len;
	uint32_t	 version, actions, protocol;	/* OPTNEG */
	uint32_t	 index;				/* INSHEADER */
	const char	*name;		/* ADDHEADER, INSHEADER */
	const char	*value;		/* those, REPLYCODE: NUL-terminated */
};

/* Appends OPTNEG: version 6, SMFIF_ADDHDRS, every protocol step
 * offered (the filter takes what it wants). */
int	milter_client_optneg(struct buf *out, struct err *);
/*
 * Appends one message under the protocol the filter agreed to: CONNECT
 * (an unknown client), MAIL <mail_from>, RCPT <rcpt>, DATA, a HEADER per
 * field of msg[0..len) (values as they stand after the colon, folded
 * lines joined by LF: SMFIP_HDR_LEADSPC), EOH, the body in BODY chunks,
 * EOM; each step only if not negotiated away.  *owed_out: the replies
 * the filter owes before those to EOM.  -1 with err (ERR_SYNTAX: a
 * header line without a name; ERR_LIMIT, ERR_NOMEM from out).
 */
int	milter_client_message(struct buf *out, uint32_t protocol,
	    const char *mail_from, const char *rcpt, const char *msg,
	    size_t len, size_t *owed_out, struct err *);
/*
 * Decodes the reply at the start of in[0..len): MILTER_PARSE_CMD with
 * *r and *used_out (the bytes it took), NEED_MORE, or ERROR with err
 * (MILTER_E_FRAME: a length of 0 or over MILTER_MAX_PACKET, known as
 * soon as its 4 bytes are in; MILTER_E_SYNTAX: an OPTNEG under 12
 * bytes, a header or reply text without its NUL, or an empty name).
 */
enum milter_parse milter_client_reply(const void *in, size_t len,
	    size_t *used_out, struct milter_reply *r, struct err *);

#endif
