/*
 * mtasts.h: the parsers timbre doctor and timbre-listd's delivery apply
 * to what a domain's MTA-STS server sends: an HTTP/1.x response, and the MTA-STS policy in
 * its body (RFC 8461 section 3.2), with the MX pattern match of section
 * 4.1.  Pure functions over bytes, without I/O, so that
 * tests/fuzz/fuzz_mtasts_policy.c feeds them anything.
 */
#ifndef TIMBRE_MAIL_MTASTS_H
#define TIMBRE_MAIL_MTASTS_H

#include <stdbool.h>
#include <stddef.h>

#define MAIL_STS_MAX_BODY	65536	/* RFC 8461 section 3.2: 64 KiB */
#define MAIL_STS_MAX_MX	32	/* mx: patterns kept */
#define MAIL_STS_MAX_AGE	31557600 /* seconds: about a year */
#define MAIL_STS_MX_LEN	256	/* bytes of one pattern, with NUL */

/* An HTTP response as far as MTA-STS needs it: pointers into the bytes. */
struct mail_http {
	int		 status;		/* 200 */
	const char	*content_type;		/* the value, or NULL */
	size_t		 content_type_len;
	bool		 chunked;		/* Transfer-Encoding: chunked */
	bool		 has_location;		/* a Location: header */
	const char	*body;
	size_t		 body_len;
};

/* Splits the len bytes of an HTTP/1.x response.  0, or -1 with a
 * reason in why (a static string) when they are no response. */
int	mail_http_parse(const char *, size_t len, struct mail_http *,
	    const char **why);

/* Is the Content-Type text/plain (parameters allowed)? */
bool	mail_http_is_text_plain(const struct mail_http *);

enum mail_sts_mode {
	MAIL_STS_NONE,
	MAIL_STS_TESTING,
	MAIL_STS_ENFORCE,
};

struct mail_sts_policy {
	enum mail_sts_mode	 mode;
	long			 max_age;
	char			 mx[MAIL_STS_MAX_MX][MAIL_STS_MX_LEN];
	size_t			 nmx;
	size_t			 nmx_dropped;	/* past MAIL_STS_MAX_MX */
};

/*
 * Parses a policy body (RFC 8461 section 3.2): "key: value" lines ended
 * by LF or CRLF; version (STSv1), mode and max_age once each, mx once or
 * more (not needed with mode none); unknown keys ignored.  0, or -1 with
 * a reason in why (up to whylen bytes).
 */
int	mail_sts_parse(const char *, size_t len, struct mail_sts_policy *,
	    char *why, size_t whylen);

/* Does host (a name, no final dot) match the pattern ("mx.example.org"
 * or "*.example.org": one leftmost label), as section 4.1 says? */
bool	mail_sts_mx_match(const char *pattern, const char *host);

const char *mail_sts_mode_str(enum mail_sts_mode);

#define MAIL_STS_ID_LEN		32	/* characters of an id= at most */

/*
 * One TXT record of _mta-sts.DOMAIN (RFC 8461 section 3.1): "v=STSv1"
 * first, then ";"-separated fields, blanks around them allowed, one of
 * them id= with 1 to 32 letters and digits (copied to id).  0 for a
 * valid record; -1 when the record does not begin with v=STSv1 (another
 * record, to be ignored); -2 for an STSv1 record that is not valid.
 */
int	mail_sts_txt_parse(const char *, size_t len,
	    char id[MAIL_STS_ID_LEN + 1]);

#endif
