/*
 * authres.h: the Authentication-Results header field, RFC 8601.
 *
 * A verifier stamps its findings in one Authentication-Results field
 * naming its authserv-id; later readers parse the fields of the
 * authserv-ids they trust and must ignore (or remove) fields that claim
 * their own authserv-id but were not made by them (section 5).  ARC copies
 * the field of its own ADMD into ARC-Authentication-Results (RFC 8617
 * section 4.1.1).
 *
 * The parser takes a field value (after the colon, folded or not) and is
 * a pure function of it.  It follows the ABNF of section 2.2 with the
 * leniency real mail needs: a trailing ";" is allowed, and a property
 * value is a quoted-string or any run of characters other than
 * whitespace, ";", "(" and "\"" (base64 header.b values carry "/" and
 * "=", which RFC 2045 tokens do not allow).  Comments nest and hold
 * quoted-pairs; they are skipped, but the span of each resinfo, comments
 * included, is kept for ARC.
 */
#ifndef TIMBRE_AUTHRES_AUTHRES_H
#define TIMBRE_AUTHRES_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct err;
struct mail_hdrs;

enum authres_error {
	AUTHRES_E_SYNTAX = 1100,	/* a field value does not parse */
	AUTHRES_E_LIMIT,		/* too many results or properties */
};

#define AUTHRES_MAX_RESULTS	64	/* resinfos in one field */
#define AUTHRES_MAX_PROPS	16	/* properties in one resinfo */

/* One property: ptype.property=value ("smtp.mailfrom=a@example.org"). */
struct authres_prop {
	const char	*ptype;		/* "smtp", "header", "body", "policy" */
	const char	*property;	/* "mailfrom", "d", "from" */
	const char	*value;		/* unquoted */
};

/*
 * One resinfo: method=result [reason=...] props.  When parsed, the
 * strings belong to the struct authres and raw_off/raw_len locate the
 * resinfo (from the method to the last byte before the next ";" or the
 * end, comments included, surrounding whitespace trimmed) in the value.
 * For authres_format() the caller fills method, result, reason (NULL:
 * none), comment (NULL: none; written in parentheses after the result)
 * and props; version and raw_* are ignored.
 */
struct authres_result {
	const char		*method;	/* "spf", "dkim", "dmarc", "arc" */
	const char		*version;	/* method version, NULL if absent */
	const char		*result;	/* "pass", "fail", "none", ... */
	const char		*reason;	/* unquoted, or NULL */
	const char		*comment;	/* for authres_format() only */
	struct authres_prop	 props[AUTHRES_MAX_PROPS];
	size_t			 nprops;
	size_t			 raw_off;
	size_t			 raw_len;
};

/* A parsed field; authres_fini() frees everything it holds. */
struct authres {
	const char		*authserv_id;	/* unquoted */
	int			 version;	/* authres-version, 1 if absent */
	bool			 none;		/* "; none": no result at all */
	struct authres_result	 v[AUTHRES_MAX_RESULTS];
	size_t			 n;
	char			*strs;		/* holds every string above */
};

/*
 * Parses the value of an Authentication-Results field, val[0..len).
 * -1 with AUTHRES_E_SYNTAX and the reason with its byte offset, with
 * AUTHRES_E_LIMIT past AUTHRES_MAX_RESULTS or AUTHRES_MAX_PROPS, or
 * ERR_NOMEM; out is then empty and need not be finished.  A version
 * other than 1 is a syntax error (section 2.2: fields of unknown versions
 * are ignored).
 */
int	authres_parse(const char *, size_t, struct authres *out,
	    struct err *);
void	authres_fini(struct authres *);

/*
 * Reads only the authserv-id of a field value into out (size n), unquoted
 * and truncated to n - 1 bytes; -1 if the value does not start with one.
 */
int	authres_authserv_id(const char *, size_t, char *out, size_t n);

/*
 * Does the field value claim authserv-id id (ASCII case-insensitive)?
 * True even when the rest of the value does not parse: such a field is
 * still a forgery of ours to remove (RFC 8601 section 5).
 */
bool	authres_is_ours(const char *, size_t, const char *id);

/*
 * The index of the first Authentication-Results field at or after start
 * (0 = topmost, the newest) that claims authserv-id id, or -1.  Callers
 * loop to find them all: to delete those that arrived from outside, or to
 * find the one they added themselves.
 */
long	authres_find(const struct mail_hdrs *, const char *id, size_t start);

/*
 * Appends a whole Authentication-Results field to out, CRLF-terminated:
 * "Authentication-Results: ID;" then each result on its own continuation
 * line, folded at 78 columns between properties.  Values that are not
 * RFC 2045 tokens (addresses excepted: "[local]@domain" is written bare)
 * are quoted; the reason is always quoted.  n == 0 writes "ID; none".
 * -1 with ERR_ARG for an authserv-id, method, result or property name
 * that is not a token, or with out's errors.
 */
int	authres_format(const char *id, const struct authres_result *, size_t n,
	    struct buf *out, struct err *);

#endif
