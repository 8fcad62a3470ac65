/*
 * mail.h: RFC 5322 messages as timbre reads them.
 *
 * A message arrives as bytes, with CRLF or bare-LF line ends.  The reader
 * normalises line ends to CRLF, collects the header section (bounded),
 * parses it into fields, and then hands the body out in chunks without
 * keeping it, so a body of any size is read in constant memory.  Fields
 * keep their exact bytes (DKIM "simple" needs them), their order and their
 * duplicates; names compare case-insensitively.  Obsolete syntax (RFC 5322
 * section 4: whitespace before the colon, empty continuation lines) is
 * tolerated.  The address parser (section 3.4) understands display names,
 * quoted strings, comments, groups, obs-route and lists of mailboxes.
 *
 * Everything here is a pure function of its input: no I/O, no logging.
 */
#ifndef TIMBRE_MAIL_MAIL_H
#define TIMBRE_MAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct err;

/* Error codes (struct err.code) of this module, after the util ones. */
enum mail_error {
	MAIL_E_SYNTAX = 100,	/* a line is not a header field */
	MAIL_E_LIMIT,		/* a field or the header section is too long */
	MAIL_E_NOHDR,		/* the input ended inside the header section */
	MAIL_E_ADDR,		/* an address does not parse */
};

/*
 * Limits: a field with its folding and final CRLFs; the header section
 * (its fields with their CRLFs, not the empty line after them); fields.
 */
#define MAIL_MAX_FIELD		(64 * 1024)	/* one field, folded */
#define MAIL_MAX_HEADER		(1024 * 1024)	/* the header section */
#define MAIL_MAX_FIELDS		4096

enum mail_newline {
	MAIL_NL_LF,		/* lines end in LF: a LF not after CR -> CRLF */
	MAIL_NL_CRLF,		/* lines end in CRLF: bytes kept as they are */
};

/*
 * One header field.  raw[0..raw_len) is the whole field exactly as it was
 * (after line-end normalisation), folding CRLFs included, without the CRLF
 * that ends it.  The name is raw[0..name_len) (no trailing whitespace even
 * in the obsolete "Name :" form) and the value, unfolded or not, starts at
 * raw + value_off, just after the colon.
 */
struct mail_field {
	const char	*raw;
	size_t		 raw_len;
	size_t		 name_len;
	size_t		 value_off;
	size_t		 line;		/* 1-based line where it starts */
};

/* A parsed header section; owns a copy of the bytes the fields point to. */
struct mail_hdrs;

/*
 * Parses a header section: data[0..len) holds CRLF-terminated field lines
 * and no empty line; len 0 is a section with no fields.  Lines end in CRLF
 * only: a bare CR or LF is a byte of the value it is in.  Returns NULL with
 * err on failure: MAIL_E_SYNTAX naming the line ("line 3: not a header
 * field (missing header/body separator?)", a continuation line before any
 * field, an empty name, an empty line, no CRLF at the end), MAIL_E_LIMIT
 * (MAIL_MAX_FIELD, MAIL_MAX_HEADER, MAIL_MAX_FIELDS), ERR_NOMEM.  data is
 * copied.
 */
struct mail_hdrs *mail_hdrs_parse(const char *, size_t, struct err *);
void		 mail_hdrs_free(struct mail_hdrs *);
size_t		 mail_hdrs_count(const struct mail_hdrs *);
/* The i-th field in header order, 0 = topmost; NULL past the end. */
const struct mail_field *mail_hdrs_at(const struct mail_hdrs *, size_t);
/* The index of the first field at or after start whose name is name
 * (ASCII case-insensitive), or -1. */
long		 mail_hdrs_find(const struct mail_hdrs *, const char *name,
		    size_t start);
/* How many fields are named name. */
size_t		 mail_hdrs_count_name(const struct mail_hdrs *, const char *);
/* The header section as it was parsed (CRLF line ends). */
const char	*mail_hdrs_raw(const struct mail_hdrs *, size_t *len_out);

bool		 mail_field_is_named(const struct mail_field *, const char *);
/* Appends the value with folding CRLFs removed and leading/trailing
 * whitespace trimmed to out; inner whitespace is kept as it is.  On
 * failure (ERR_LIMIT from out's ceiling, ERR_NOMEM) out is unchanged. */
int		 mail_field_unfold(const struct mail_field *, struct buf *out,
		    struct err *);

/*
 * The streaming reader.  Feed it input as it comes, then tell it the input
 * ended; pull events until MAIL_READ_END or MAIL_READ_ERROR.  Pull events
 * after each feed until MAIL_READ_NEED_MORE: the reader then holds at most
 * max_header bytes of header and the body bytes of the last feed, so a
 * body of any size is read in constant memory.
 */
enum mail_read {
	MAIL_READ_NEED_MORE,	/* feed more input (or call finish) */
	MAIL_READ_HEADERS,	/* the header section is parsed */
	MAIL_READ_BODY,		/* *chunk_out: body bytes, CRLF-normalised */
	MAIL_READ_END,		/* the whole message was read */
	MAIL_READ_ERROR,	/* see err; nothing more comes */
};

struct mail_reader;

/* max_header bounds the header section (0: MAIL_MAX_HEADER); NULL with
 * ERR_NOMEM, or ERR_ARG for an unknown newline mode. */
struct mail_reader *mail_reader_new(enum mail_newline, size_t max_header,
		    struct err *);
void		 mail_reader_free(struct mail_reader *);
/*
 * Copies n bytes of input; -1 with ERR_NOMEM if it cannot, or ERR_ARG
 * after mail_reader_finish().  Header bytes are checked as they are fed:
 * at the first one that breaks a rule or passes a limit the reader stops
 * keeping input (a 1 MB header line costs MAIL_MAX_FIELD bytes at most),
 * and the next mail_reader_next() reports the error.
 */
int		 mail_reader_feed(struct mail_reader *, const char *, size_t,
		    struct err *);
void		 mail_reader_finish(struct mail_reader *);
/*
 * Pulls the next event.  After MAIL_READ_HEADERS, mail_reader_hdrs() is
 * valid until the reader is freed.  After MAIL_READ_BODY, *p_out and *n_out
 * hold body bytes (n > 0) valid until the next call on the reader, feed
 * included.  A message that ends inside its header section without a
 * complete last line is MAIL_READ_ERROR with MAIL_E_NOHDR; a line that is
 * not a field, or a limit, gives the errors of mail_hdrs_parse() (the
 * limit being max_header).  A header section that ends at the end of input
 * without an empty line has an empty body (RFC 5322 section 3.5); empty
 * input is a message with no fields and no body.  Once MAIL_READ_END or
 * MAIL_READ_ERROR is returned, every later call returns it again.
 */
enum mail_read	 mail_reader_next(struct mail_reader *, const char **p_out,
		    size_t *n_out, struct err *);
const struct mail_hdrs *mail_reader_hdrs(const struct mail_reader *);
/* mail_reader_take_hdrs() transfers ownership to the caller (free it
 * with mail_hdrs_free()); mail_reader_hdrs() is NULL from then on, as it
 * is before MAIL_READ_HEADERS. */
struct mail_hdrs *mail_reader_take_hdrs(struct mail_reader *);

/*
 * Addresses (RFC 5322 section 3.4), for From, Sender, Reply-To, To, Cc.
 * Each mailbox keeps its display name (decoded from quoted-string form,
 * comments dropped, words joined by one space where the input had
 * whitespace or comments between them, whitespace inside a quoted string
 * kept; RFC 2047 words are left encoded), local part (unquoted, so
 * "\"john doe\"@x" gives `john doe`; obsolete CFWS around its dots
 * dropped) and domain (as written but for CFWS; a domain-literal keeps
 * its brackets and loses its whitespace: "[192.0.2.1]").  Members of groups
 * are listed like other mailboxes; an empty group contributes none.  A
 * bare local part ("To: root", RFC 822 local mail) is a mailbox with a NULL
 * domain; callers that need a domain must check.  Bytes with the high bit
 * set are accepted in atoms and quoted strings (RFC 6532) unchecked; NUL
 * is refused everywhere.
 */
struct mail_mailbox {
	char	*display;	/* may be "" */
	char	*local;
	char	*domain;	/* NULL for a bare local part (obsolete) */
};

struct mail_addrs {
	struct mail_mailbox	*v;
	size_t			 n;
};

/* Parses an address-list value (unfolded or not; obsolete empty elements
 * "a@x, , b@y" allowed); -1 with MAIL_E_ADDR and the reason with its byte
 * offset ("missing domain after '@' at offset 4"; "no address" if there
 * is none at all), or ERR_NOMEM.  out is empty on failure; free it with
 * mail_addrs_fini() on success.  */
int	mail_addrs_parse(const char *, size_t, struct mail_addrs *out,
	    struct err *);
void	mail_addrs_fini(struct mail_addrs *);

#endif
