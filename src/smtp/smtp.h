/*
 * smtp.h: the SMTP protocol as timbre speaks it (RFC 5321), server and
 * client, with PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152),
 * ENHANCEDSTATUSCODES (RFC 2034, codes of RFC 3463), SMTPUTF8 (RFC 6531)
 * and STARTTLS (RFC 3207).
 *
 * Everything here is sans-I/O: bytes in, bytes and decisions out.  The
 * libevent transport (smtp/transport.h) drives these machines over sockets;
 * the unit suites and the fuzz harnesses drive them from memory.
 *
 * Pieces, from the bottom up:
 *
 *   smtp_parser_*		command lines -> struct smtp_cmd
 *   smtp_data_*		the DATA stream: dot-unstuffing, end of data,
 *				limits, message bytes out in chunks
 *   smtp_reply_parser_*	reply lines (client side)
 *   smtp_server_*		the server session, asking the daemon through
 *				one request/answer interface
 *   smtp_client_*		one delivery attempt of one message
 *
 * Feeding convention: the parsers borrow the bytes given to *_feed(); they
 * must stay valid and unchanged until *_next() has said NEED_MORE (then the
 * parser has copied what it still needs: at most one partial line) or until
 * *_unfeed() has been called.  So input of any size is parsed in memory
 * bounded by the line ceiling.  Feeding zero bytes does nothing; feeding
 * again before that point is a bug (an assert says so).
 *
 * A transport drives a server session like this (smtp/transport.c is to
 * do it over a bufferevent): call smtp_server_start(); on every read,
 * pull up the input and give it to smtp_server_feed(), drain what it
 * took, and write out smtp_server_output() (then output_drop); act on
 * smtp_server_want(): READ keep reading, WAIT stop reading until the
 * daemon's smtp_server_answer() (then write the output and feed what is
 * still buffered), STARTTLS write the output, start TLS, call
 * smtp_server_tls_started(), CLOSE write the output and close.  Stop
 * reading while the socket's output is over its bound.  Re-arm the timer
 * from smtp_server_timer() after every call; when it fires call
 * smtp_server_timeout(); on EOF or error smtp_server_eof().  The client
 * machine is driven the same way.
 */
#ifndef TIMBRE_SMTP_SMTP_H
#define TIMBRE_SMTP_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* Error codes (struct err.code) of this module, after the util ones. */
enum smtp_error {
	SMTP_E_UNKNOWN = 1400,	/* command not recognised: 500 5.5.1 */
	SMTP_E_LINE_TOO_LONG,	/* line over the ceiling: 500 5.5.2 */
	SMTP_E_BARE_LF,		/* line ends in LF without CR: 500 5.5.2 */
	SMTP_E_BAD_CHAR,	/* NUL, CR or 8-bit byte in a command: 500 5.5.2 */
	SMTP_E_SYNTAX,		/* bad arguments: 501 5.5.4 */
	SMTP_E_PATH,		/* a path does not parse: 501 5.1.3 */
	SMTP_E_PARAM,		/* a MAIL/RCPT parameter is malformed: 501 5.5.4 */
	SMTP_E_REPLY,		/* a reply line does not parse (client) */
	SMTP_E_STATE,		/* an answer or call out of sequence */
};

/*
 * Ceilings.  RFC 5321 section 4.5.3.1: a command line is at most 512
 * octets with its CRLF (the parser's max_line, which a daemon may raise),
 * a path 256, a local part 64, a domain 255, a reply line 512.
 */
#define SMTP_LINE_MAX		512
#define SMTP_LINE_MIN		64	/* smallest max_line accepted */
#define SMTP_LINE_CEILING	65536	/* largest max_line accepted */
#define SMTP_PATH_MAX		256
#define SMTP_LOCAL_MAX		64
#define SMTP_DOMAIN_MAX		255
#define SMTP_REPLY_LINE_MAX	2048	/* lenient: servers do send more */
#define SMTP_REPLY_TEXT_MAX	512	/* text kept of one reply */

/* Reply code, enhanced status code and text for a parser error code
 * (enum smtp_error or ERR_NOMEM/ERR_LIMIT); never NULL. */
int	smtp_error_reply(int code, const char **enhanced_out,
	    const char **text_out);

/* ---- Command parser (RFC 5321 sections 4.1.1, 4.1.2) ---- */

enum smtp_verb {
	SMTP_VERB_NONE = 0,	/* the line was not recognised */
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_RSET,
	SMTP_NOOP,
	SMTP_QUIT,
	SMTP_VRFY,
	SMTP_HELP,
	SMTP_STARTTLS,
	SMTP_BDAT,		/* RFC 3030; parsed so it can be refused */
};

enum smtp_body {
	SMTP_BODY_NONE = 0,	/* no BODY= parameter */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
};

/*
 * One command.  Strings are NUL-terminated and valid until the next call on
 * the parser.  For MAIL and RCPT, path is the mailbox without angle
 * brackets and without the source route (RFC 5321 section 4.1.1.3: ignored),
 * quoted local parts kept with their quotes ("\"a b\"@example.org"); it is
 * "" for the null path <>, which null_path says.  path_utf8 says the path
 * holds (well-formed) UTF-8: the session allows that only with SMTPUTF8.
 * Parameters: SIZE= (size, has_size; a value over UINT64_MAX saturates),
 * BODY=7BIT|8BITMIME, SMTPUTF8; unknown_param names the first unknown one
 * (keyword only), which the session refuses with 555.  BDAT's chunk size
 * is in size.
 */
struct smtp_cmd {
	enum smtp_verb	 verb;
	const char	*arg;		/* EHLO/HELO domain, VRFY/HELP/NOOP
					 * argument ("" if none) */
	const char	*path;
	bool		 null_path;
	bool		 postmaster;	/* RCPT TO:<Postmaster> (no domain) */
	bool		 path_utf8;
	bool		 has_size;
	uint64_t	 size;
	enum smtp_body	 body;
	bool		 smtputf8;
	const char	*unknown_param;
	bool		 bdat_last;
};

enum smtp_parse {
	SMTP_PARSE_NEED_MORE,	/* feed more bytes */
	SMTP_PARSE_COMMAND,	/* *cmd_out valid until the next call */
	SMTP_PARSE_ERROR,	/* see err (smtp_error_reply() gives the
				 * reply); cmd_out->verb says which command
				 * it was, if recognised; the line is gone */
};

/* max_line includes the CRLF; clamped to [SMTP_LINE_MIN,
 * SMTP_LINE_CEILING].  NULL when out of memory. */
struct smtp_parser *smtp_parser_new(size_t max_line);
/* Borrows the bytes: see the feeding convention above. */
void	smtp_parser_feed(struct smtp_parser *, const char *, size_t);
/*
 * Parses the next whole line.  A line over max_line is skipped to its end
 * (never kept) and reported once, when its LF arrives, so every line gets
 * exactly one result and pipelined replies stay in step.
 */
enum smtp_parse smtp_parser_next(struct smtp_parser *,
	    struct smtp_cmd *cmd_out, struct err *);
/* Forgets the bytes of the last feed that next() has not parsed yet and
 * returns their number; they must be fed again to be parsed. */
size_t	smtp_parser_unfeed(struct smtp_parser *);
/* Discards everything fed, and any partial line. */
void	smtp_parser_reset(struct smtp_parser *);
void	smtp_parser_free(struct smtp_parser *);

/* ---- The DATA stream (RFC 5321 sections 4.1.1.4, 4.5.2) ---- */

/*
 * Reads what follows the 354 reply: removes the dot of dot-stuffed lines,
 * ends at CRLF "." CRLF (only there: a LF or CR alone never ends the data,
 * so no message can be smuggled past the end), and hands out the message
 * in chunks that point into the fed bytes (or at static "\r\n").
 *
 * Bare LF and bare CR are accepted and normalised: each becomes CRLF in
 * the message, and a dot after one is not unstuffed (only a dot after a
 * real CRLF is).  The message handed out is therefore always CRLF text,
 * and a client that re-stuffs it (smtp_client_*) sends it on intact.
 *
 * Limits are checked while streaming.  Once one is passed no more chunks
 * are handed out, the rest of the data is read and discarded up to its end
 * in constant memory, and smtp_data_status() tells which limit it was:
 * the size of the message (after unstuffing), the length of one line of
 * the header section (up to the first empty line, CRLF excluded), or a NUL
 * byte (refused: RFC 5321 and RFC 6152 text has none).
 */
enum smtp_data_ev {
	SMTP_DATA_NEED_MORE,	/* feed more bytes */
	SMTP_DATA_CHUNK,	/* *p_out, *len_out: message bytes (len > 0),
				 * valid until the next call */
	SMTP_DATA_END,		/* the terminating CRLF.CRLF was read */
};

enum smtp_data_status {
	SMTP_DATA_OK = 0,
	SMTP_DATA_TOO_BIG,		/* 552 5.3.4 */
	SMTP_DATA_HEADER_TOO_LONG,	/* 552 5.6.0 */
	SMTP_DATA_NUL,			/* 550 5.6.0 */
};

#define SMTP_DATA_HEADER_LINE_MAX	998	/* RFC 5322 section 2.1.1 */

struct smtp_data {
	uint64_t		 max_size;	/* 0: no limit */
	size_t			 max_header_line; /* 0: no limit */
	uint64_t		 size;		/* message bytes so far */
	size_t			 line_len;	/* of the current line */
	int			 state;
	bool			 in_header;
	bool			 done;
	enum smtp_data_status	 status;
	const char		*in;		/* borrowed */
	size_t			 in_len;
	size_t			 in_off;
};

/* Prepares d for one message; it holds no memory (no fini needed). */
void	smtp_data_init(struct smtp_data *, uint64_t max_size,
	    size_t max_header_line);
void	smtp_data_feed(struct smtp_data *, const char *, size_t);
enum smtp_data_ev smtp_data_next(struct smtp_data *, const char **p_out,
	    size_t *len_out);
/* After SMTP_DATA_END: the bytes of the last feed after the terminator
 * (the next commands), forgotten by d; before it, those not read yet. */
size_t	smtp_data_unfeed(struct smtp_data *);
enum smtp_data_status smtp_data_status(const struct smtp_data *);
/* The reply for a status other than SMTP_DATA_OK. */
int	smtp_data_status_reply(enum smtp_data_status,
	    const char **enhanced_out, const char **text_out);

/* ---- Replies (RFC 5321 section 4.2, RFC 2034, RFC 3463) ---- */

/*
 * One whole reply as the client keeps it: the code, the enhanced status
 * code if the server gave one ("" if not), and the text of its lines
 * joined by "\n", cut at SMTP_REPLY_TEXT_MAX - 1 bytes.  local says that
 * timbre made it up (connection lost, malformed reply, timeout) rather
 * than the server saying it.
 */
struct smtp_reply {
	int	code;
	char	enhanced[16];
	char	text[SMTP_REPLY_TEXT_MAX];
	bool	local;
};

/* One line of a reply: code, whether it is the last line, its text
 * (after the "250-" or "250 ", not NUL-terminated, valid until the next
 * call). */
struct smtp_reply_line {
	int		 code;
	bool		 last;
	const char	*text;
	size_t		 len;
};

enum smtp_reply_parse {
	SMTP_REPLY_NEED_MORE,
	SMTP_REPLY_LINE,	/* *line_out valid until the next call */
	SMTP_REPLY_ERROR,	/* SMTP_E_REPLY or SMTP_E_LINE_TOO_LONG */
};

/* Lines end in CRLF or, leniently, LF.  NULL when out of memory. */
struct smtp_reply_parser *smtp_reply_parser_new(size_t max_line);
void	smtp_reply_parser_feed(struct smtp_reply_parser *, const char *,
	    size_t);
/* A line whose code differs from the previous lines' of the same reply,
 * with a bad code or separator, or a NUL is an error.  After an error
 * the parser stays in error (a client cannot resynchronise). */
enum smtp_reply_parse smtp_reply_parser_next(struct smtp_reply_parser *,
	    struct smtp_reply_line *line_out, struct err *);
void	smtp_reply_parser_free(struct smtp_reply_parser *);

/* Adds a line to a reply being collected (first line: sets code and the
 * enhanced code when the text starts with one whose class matches). */
void	smtp_reply_add_line(struct smtp_reply *, bool first,
	    const struct smtp_reply_line *);
/* Fills r with a reply timbre makes up (local = true). */
void	smtp_reply_set_local(struct smtp_reply *, int code,
	    const char *enhanced, const char *text);

/* ---- Timeouts (RFC 5321 section 4.5.3.2) ---- */

/* Which timer the transport should run now, and for how long. */
enum smtp_timeout {
	SMTP_TIMEOUT_NONE = 0,	/* no timer (closing, or TLS handshake) */
	SMTP_TIMEOUT_COMMAND,	/* 5 min: next command, or reply to one */
	SMTP_TIMEOUT_DATA_INIT,	/* 2 min: reply to DATA */
	SMTP_TIMEOUT_DATA_BLOCK,/* 3 min: between blocks of data */
	SMTP_TIMEOUT_DATA_END,	/* 10 min: reply to the final dot */
};
/* Seconds for each; 0 for SMTP_TIMEOUT_NONE. */
unsigned	smtp_timeout_seconds(enum smtp_timeout);

/* ---- Server session ---- */

/* Extensions the server offers (ENHANCEDSTATUSCODES always). */
#define SMTP_EXT_PIPELINING	0x01u
#define SMTP_EXT_8BITMIME	0x02u
#define SMTP_EXT_SIZE		0x04u
#define SMTP_EXT_SMTPUTF8	0x08u
#define SMTP_EXT_STARTTLS	0x10u	/* only while not in TLS */

struct smtp_server_conf {
	const char	*hostname;	/* greeting, EHLO, 221/421 replies */
	unsigned	 ext;		/* SMTP_EXT_* */
	uint64_t	 max_size;	/* message size limit, SIZE n; 0: none */
	size_t		 max_rcpt;	/* recipients per message: 452 4.5.3 */
	size_t		 max_errors;	/* error replies before 421 and close */
	size_t		 max_line;	/* command line ceiling with CRLF */
	size_t		 max_header_line; /* header line ceiling in DATA */
};

/* Defaults: hostname "localhost", PIPELINING 8BITMIME SIZE SMTPUTF8,
 * 26214400 bytes, 100 recipients (RFC 5321 4.5.3.1.8), 10 errors, 512,
 * SMTP_DATA_HEADER_LINE_MAX. */
void	smtp_server_conf_init(struct smtp_server_conf *);

/*
 * What the session asks the daemon.  The request callback is called during
 * smtp_server_start(), smtp_server_feed() or smtp_server_eof(); the daemon
 * answers with smtp_server_answer(), at once (from inside the callback) or
 * later (asynchronously): until then the session reads no more input.
 * SMTP_REQ_RESET is a notice, not answered: the transaction whose MAIL was
 * accepted is gone (RSET, HELO/EHLO, a refused message, the connection
 * lost), and whatever the daemon spooled for it may go.
 *
 * The strings of a request stay valid until it is answered (a notice's:
 * during the callback).
 */
enum smtp_req_kind {
	SMTP_REQ_CONNECT,	/* a client connected: accept it? */
	SMTP_REQ_HELO,		/* HELO/EHLO helo (esmtp says which) */
	SMTP_REQ_MAIL,		/* MAIL FROM: path, size, body, smtputf8 */
	SMTP_REQ_RCPT,		/* RCPT TO: path */
	SMTP_REQ_MESSAGE,	/* the message ended (its bytes went to the
				 * data callback): store or relay it, then
				 * answer; 250 only once it is safe */
	SMTP_REQ_RESET,		/* notice: the transaction is gone */
};

struct smtp_request {
	enum smtp_req_kind	 kind;
	const char		*helo;		/* the last HELO/EHLO name */
	bool			 esmtp;
	bool			 tls;		/* STARTTLS was done */
	const char		*path;		/* MAIL, RCPT: "" for <> */
	bool			 path_utf8;
	uint64_t		 size;		/* MAIL: SIZE=, MESSAGE: bytes */
	enum smtp_body		 body;		/* MAIL */
	bool			 smtputf8;	/* MAIL */
	size_t			 nrcpt;		/* MESSAGE: recipients */
};

struct smtp_server_cbs {
	void	(*request)(void *arg, const struct smtp_request *);
	/* Message bytes (CRLF text, unstuffed) between the 354 reply and
	 * SMTP_REQ_MESSAGE or SMTP_REQ_RESET. */
	void	(*data)(void *arg, const char *, size_t);
};

/* What the transport does next. */
enum smtp_server_want {
	SMTP_SERVER_READ,	/* feed input as it comes */
	SMTP_SERVER_WAIT,	/* a request is pending: read nothing */
	SMTP_SERVER_STARTTLS,	/* write the output, then start TLS and
				 * call smtp_server_tls_started() */
	SMTP_SERVER_CLOSE,	/* write the output, then close */
};

/* Output beyond this many bytes stops smtp_server_feed() until the
 * transport takes it (smtp_server_output_drop). */
#define SMTP_SERVER_OUT_HIGH	16384

/* The conf's strings are copied.  NULL with err on failure. */
struct smtp_server *smtp_server_new(const struct smtp_server_conf *,
	    const struct smtp_server_cbs *, void *arg, struct err *);
/* Asks SMTP_REQ_CONNECT; the 220 greeting follows its answer. */
void	smtp_server_start(struct smtp_server *);
/*
 * Reads client bytes; returns how many it took.  It stops early when a
 * request is pending, when the session must start TLS or close, or when
 * its output is over SMTP_SERVER_OUT_HIGH; the caller keeps the rest and
 * feeds it again once smtp_server_want() says READ and the output was
 * taken.  Plaintext that follows STARTTLS in the same read is taken and
 * discarded (RFC 3207 section 6: no command injection).
 */
size_t	smtp_server_feed(struct smtp_server *, const char *, size_t);
/*
 * Answers the pending request: code 200-599, enhanced ("2.1.0") or NULL
 * for a default, text (one line; control bytes become spaces) or NULL.
 * 421 closes the session after the reply.  For SMTP_REQ_MESSAGE, a 2xx
 * must mean the message is stored or relayed.  -1 with SMTP_E_STATE when
 * nothing is pending, ERR_ARG for a code out of range.
 */
int	smtp_server_answer(struct smtp_server *, int code,
	    const char *enhanced, const char *text, struct err *);
/* The connection is gone (EOF, error or timeout): notices the daemon
 * (SMTP_REQ_RESET) if a transaction was open; want becomes CLOSE. */
void	smtp_server_eof(struct smtp_server *);
/* The transport reached its timer: answers 421 4.4.2 and closes. */
void	smtp_server_timeout(struct smtp_server *);
/* TLS is up: the session starts again from before EHLO (RFC 3207). */
void	smtp_server_tls_started(struct smtp_server *);
enum smtp_server_want smtp_server_want(const struct smtp_server *);
enum smtp_timeout smtp_server_timer(const struct smtp_server *);
/* Bytes to send: valid until the next call on s. */
const char *smtp_server_output(const struct smtp_server *, size_t *len_out);
void	smtp_server_output_drop(struct smtp_server *, size_t);
void	smtp_server_free(struct smtp_server *);

/* ---- Client (one attempt to deliver one message) ---- */

struct smtp_client_conf {
	const char	*helo;		/* our name, for EHLO/HELO */
	bool		 starttls;	/* ask for STARTTLS when offered */
	bool		 tls;		/* the connection is TLS already */
	/* After the reply to the message's final dot (not a 421), wait in
	 * SMTP_CLIENT_IDLE for smtp_client_next() or smtp_client_quit()
	 * instead of quitting. */
	bool		 hold;
	/* With starttls: no transaction without it.  A server that does
	 * not offer STARTTLS, refuses it or answers EHLO with HELO's
	 * fallback fails the attempt with a local 451 4.7.5 (RFC 7672
	 * section 2.2: never in plain text). */
	bool		 require_tls;
};

struct smtp_envelope {
	const char		*mail_from;	/* "" for the null path */
	const char *const	*rcpt;
	size_t			 nrcpt;
	uint64_t		 size;		/* SIZE= if offered; 0: unknown */
	bool			 body_8bit;	/* BODY=8BITMIME if offered */
	bool			 smtputf8;	/* SMTPUTF8 (refused locally
						 * with 553 5.6.7 if not
						 * offered) */
};

enum smtp_client_want {
	SMTP_CLIENT_READ,	/* wait for the server's reply */
	SMTP_CLIENT_MESSAGE,	/* give message bytes (smtp_client_message)
				 * and then smtp_client_message_end() */
	SMTP_CLIENT_STARTTLS,	/* write the output, start TLS, then
				 * smtp_client_tls_started() */
	SMTP_CLIENT_CLOSE,	/* write the output and close: done */
	SMTP_CLIENT_IDLE,	/* hold: the results are known; call
				 * smtp_client_next() or smtp_client_quit() */
};

/* Output beyond this many bytes is not added to until taken. */
#define SMTP_CLIENT_OUT_HIGH	16384

/* Copies conf and envelope (at most 100000 recipients, each a path of at
 * most SMTP_PATH_MAX bytes).  NULL with err (ERR_ARG, ERR_NOMEM). */
struct smtp_client *smtp_client_new(const struct smtp_client_conf *,
	    const struct smtp_envelope *, struct err *);
/* Reads the server's bytes (all of them). */
void	smtp_client_feed(struct smtp_client *, const char *, size_t);
/*
 * With SMTP_CLIENT_MESSAGE: takes message bytes (CRLF or LF text; bare LF
 * and bare CR go out as CRLF, leading dots are doubled) and returns how
 * many it took: fewer when its output is full.  message_end() adds the
 * final CRLF if needed and the ".".
 */
size_t	smtp_client_message(struct smtp_client *, const char *, size_t);
void	smtp_client_message_end(struct smtp_client *);
void	smtp_client_tls_started(struct smtp_client *);
/*
 * With SMTP_CLIENT_IDLE: the next message on the same session (the
 * results of the last one are gone).  What the server offered holds;
 * the new envelope is checked as smtp_client_new's.  -1 with err
 * (SMTP_E_STATE when not idle, ERR_ARG, ERR_NOMEM: then the session
 * quits) and nothing sent.
 */
int	smtp_client_next(struct smtp_client *, const struct smtp_envelope *,
	    struct err *);
/* With SMTP_CLIENT_IDLE: say QUIT (then CLOSE). */
void	smtp_client_quit(struct smtp_client *);
/*
 * With SMTP_CLIENT_STARTTLS: the handshake failed.  The machine starts
 * over for a new plaintext connection (greeting awaited, STARTTLS not
 * asked again); nothing of the message was asked for yet.
 */
void	smtp_client_tls_failed(struct smtp_client *);
/* The connection is gone, failed or timed out: what is not answered yet
 * gets a local 421 4.4.2 (EOF) or 451 4.4.2 (timeout). */
void	smtp_client_eof(struct smtp_client *);
void	smtp_client_timeout(struct smtp_client *);
enum smtp_client_want smtp_client_want(const struct smtp_client *);
enum smtp_timeout smtp_client_timer(const struct smtp_client *);
const char *smtp_client_output(const struct smtp_client *, size_t *len_out);
void	smtp_client_output_drop(struct smtp_client *, size_t);
/* True once every result is known (the session may still be quitting). */
bool	smtp_client_is_done(const struct smtp_client *);
/* Whether STARTTLS was done on this connection. */
bool	smtp_client_is_tls(const struct smtp_client *);
/* The server's refusal of STARTTLS (not 220, not 421), after which the
 * session went on in plain text; NULL if none. */
const struct smtp_reply *smtp_client_tls_refusal(const struct smtp_client *);
/*
 * The result for recipient i: its RCPT reply if that refused it, else the
 * reply to the message (the final dot), or what failed before (greeting,
 * EHLO, MAIL, DATA, connection).  Code 2xx: delivered; 4xx: try again;
 * 5xx: bounce.  NULL for i out of range.
 */
const struct smtp_reply *smtp_client_result(const struct smtp_client *,
	    size_t i);
/* The reply to the message itself (or what failed the transaction). */
const struct smtp_reply *smtp_client_message_reply(
	    const struct smtp_client *);
void	smtp_client_free(struct smtp_client *);

#endif
