/*
 * doctor_sts.h: the parsers timbre doctor applies to what a domain's
 * HTTPS server sends: an HTTP/1.x response, and the MTA-STS policy in
 * its body (RFC 8461 section 3.2), with the MX pattern match of section
 * 4.1.  Pure functions over bytes, without I/O, so that
 * tests/fuzz/fuzz_mtasts_policy.c feeds them anything.
 */
#ifndef TIMBRE_TOOLS_DOCTOR_STS_H
#define TIMBRE_TOOLS_DOCTOR_STS_H

#include <stdbool.h>
#include <stddef.h>

#define DOCTOR_STS_MAX_BODY	65536	/* RFC 8461 section 3.2: 64 KiB */
#define DOCTOR_STS_MAX_MX	32	/* mx: patterns kept */
#define DOCTOR_STS_MAX_AGE	31557600 /* seconds: about a year */
#define DOCTOR_STS_MX_LEN	256	/* bytes of one pattern, with NUL */

/* An HTTP response as far as doctor needs it: pointers into the bytes. */
struct doctor_http {
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
int	doctor_http_parse(const char *, size_t len, struct doctor_http *,
	    const char **why);

/* Is the Content-Type text/plain (parameters allowed)? */
bool	doctor_http_is_text_plain(const struct doctor_http *);

enum doctor_sts_mode {
	DOCTOR_STS_NONE,
	DOCTOR_STS_TESTING,
	DOCTOR_STS_ENFORCE,
};

struct doctor_sts_policy {
	enum doctor_sts_mode	 mode;
	long			 max_age;
	char			 mx[DOCTOR_STS_MAX_MX][DOCTOR_STS_MX_LEN];
	size_t			 nmx;
	size_t			 nmx_dropped;	/* past DOCTOR_STS_MAX_MX */
};

/*
 * Parses a policy body (RFC 8461 section 3.2): "key: value" lines ended
 * by LF or CRLF; version (STSv1), mode and max_age once each, mx once or
 * more (not needed with mode none); unknown keys ignored.  0, or -1 with
 * a reason in why (up to whylen bytes).
 */
int	doctor_sts_parse(const char *, size_t len, struct doctor_sts_policy *,
	    char *why, size_t whylen);

/* Does host (a name, no final dot) match the pattern ("mx.example.org"
 * or "*.example.org": one leftmost label), as section 4.1 says? */
bool	doctor_sts_mx_match(const char *pattern, const char *host);

const char *doctor_sts_mode_str(enum doctor_sts_mode);

#endif
