/*
 * parser.c: SMTP command lines (RFC 5321 sections 4.1.1 and 4.1.2, with
 * the MAIL parameters of RFC 1870, RFC 6152 and RFC 6531).
 *
 * Lines come from the splitter of lines.c, so a line is never kept longer
 * than the ceiling.  Each line is copied into the parser's own buffer,
 * NUL-terminated, and taken apart there.  Verbs and the FROM:/TO: keywords
 * are case-insensitive; one or more spaces may follow the colon (many
 * clients send them).  Paths must have their angle brackets.  A source
 * route is parsed and dropped (section 4.1.1.3 says to ignore it).  Bytes
 * above 127 are allowed only in a MAIL or RCPT path and parameter values,
 * and only as well-formed UTF-8; whether SMTPUTF8 allows them is the
 * session's decision, which path_utf8 lets it take.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp.h"
#include "smtp/smtp_priv.h"
#include "util/err.h"

struct smtp_parser {
	struct smtp_lines	 lines;
	char			*line;		/* max_line + 1 */
	char			 path[SMTP_PATH_MAX + 1];
	char			 param[64];	/* unknown keyword, cut */
};

struct smtp_verb_name {
	const char	*name;
	enum smtp_verb	 verb;
};

static const struct smtp_verb_name smtp_verbs[] = {
	{ "EHLO", SMTP_EHLO },
	{ "HELO", SMTP_HELO },
	{ "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT },
	{ "DATA", SMTP_DATA },
	{ "RSET", SMTP_RSET },
	{ "NOOP", SMTP_NOOP },
	{ "QUIT", SMTP_QUIT },
	{ "VRFY", SMTP_VRFY },
	{ "HELP", SMTP_HELP },
	{ "STARTTLS", SMTP_STARTTLS },
	{ "BDAT", SMTP_BDAT },
};

struct smtp_parser *
smtp_parser_new(size_t max_line)
{
	struct smtp_parser	*p;

	if (max_line < SMTP_LINE_MIN)
		max_line = SMTP_LINE_MIN;
	if (max_line > SMTP_LINE_CEILING)
		max_line = SMTP_LINE_CEILING;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (smtp_lines_init(&p->lines, max_line, false) == -1 ||
	    (p->line = malloc(max_line + 1)) == NULL) {
		smtp_parser_free(p);
		return NULL;
	}
	return p;
}

void
smtp_parser_free(struct smtp_parser *p)
{
	if (p == NULL)
		return;
	smtp_lines_fini(&p->lines);
	free(p->line);
	free(p);
}

void
smtp_parser_feed(struct smtp_parser *p, const char *in, size_t n)
{
	smtp_lines_feed(&p->lines, in, n);
}

size_t
smtp_parser_unfeed(struct smtp_parser *p)
{
	return smtp_lines_unfeed(&p->lines);
}

void
smtp_parser_reset(struct smtp_parser *p)
{
	smtp_lines_reset(&p->lines);
}

static bool
smtp_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext, plus UTF-8 bytes (RFC 6531 section 3.3). */
static bool
smtp_is_atext(unsigned char c)
{
	/* strchr() finds the NUL of its string too: keep c off it. */
	return smtp_is_alnum(c) || c >= 0x80 || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static char *
smtp_skip_sp(char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/*
 * Domain (sub-domain *("." sub-domain)) at s; returns the end or NULL.
 * Underscores are tolerated (real host names have them); UTF-8 bytes are
 * allowed for U-labels.  A final dot is allowed when dot_ok.
 */
static char *
smtp_domain(char *s, bool dot_ok)
{
	char	*start = s, *label;

	for (;;) {
		label = s;
		while (smtp_is_alnum((unsigned char)*s) || *s == '-' ||
		    *s == '_' || (unsigned char)*s >= 0x80)
			s++;
		if (s == label || s - label > 63)
			return (dot_ok && s == label && s > start &&
			    s[-1] == '.') ? s : NULL;
		if (*s != '.')
			break;
		s++;
	}
	if (s - start > SMTP_DOMAIN_MAX)
		return NULL;
	return s;
}

/* address-literal: "[" 1*dcontent "]" (general and IPv6 forms alike). */
static char *
smtp_addr_literal(char *s)
{
	char	*start = s;

	if (*s++ != '[')
		return NULL;
	while ((*s >= 33 && *s <= 90) || (*s >= 94 && *s <= 126))
		s++;
	if (s == start + 1 || *s != ']')
		return NULL;
	return s + 1;
}

/*
 * Path at s ("<" [A-d-l ":"] Mailbox ">" or "<>"); copies the mailbox into
 * p->path and returns the end, or NULL with the reason in err.
 */
static char *
smtp_path(struct smtp_parser *p, char *s, struct smtp_cmd *cmd,
    bool rcpt, struct err *err)
{
	char	*lp, *lp_end, *dom, *end;
	size_t	 n;

	if (*s != '<') {
		err_set(err, SMTP_E_PATH, "path must be in angle brackets");
		return NULL;
	}
	s++;
	if (*s == '>') {
		cmd->null_path = true;
		p->path[0] = '\0';
		cmd->path = p->path;
		return s + 1;
	}
	if (*s == '@') {
		/* A source route: parsed, then ignored. */
		for (;;) {
			if (*s != '@' || (s = smtp_domain(s + 1, false)) ==
			    NULL) {
				err_set(err, SMTP_E_PATH, "bad source route");
				return NULL;
			}
			if (*s == ':')
				break;
			if (*s++ != ',') {
				err_set(err, SMTP_E_PATH, "bad source route");
				return NULL;
			}
		}
		s++;
	}
	lp = s;
	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\\' && s[1] >= 32 && s[1] <= 126)
				s++;
			else if (*s == '\\' || *s == '\0' ||
			    ((unsigned char)*s < 32 || *s == 127))
				break;
		}
		if (*s != '"') {
			err_set(err, SMTP_E_PATH, "bad quoted local part");
			return NULL;
		}
		s++;
	} else {
		for (;;) {
			if (!smtp_is_atext((unsigned char)*s)) {
				err_set(err, SMTP_E_PATH, "bad local part");
				return NULL;
			}
			while (smtp_is_atext((unsigned char)*s))
				s++;
			if (*s != '.')
				break;
			s++;
		}
	}
	lp_end = s;
	if ((size_t)(lp_end - lp) > SMTP_LOCAL_MAX) {
		err_set(err, SMTP_E_PATH, "local part too long");
		return NULL;
	}
	if (*s == '>' && rcpt && lp_end - lp == 10 &&
	    strncasecmp(lp, "postmaster", 10) == 0) {
		/* RFC 5321 section 4.1.1.3: "<Postmaster>" alone. */
		cmd->postmaster = true;
		end = s;
	} else {
		if (*s != '@') {
			err_set(err, SMTP_E_PATH, "missing domain");
			return NULL;
		}
		dom = ++s;
		if ((end = (*s == '[' ? smtp_addr_literal(s) :
		    smtp_domain(s, false))) == NULL) {
			err_set(err, SMTP_E_PATH, "bad domain");
			return NULL;
		}
		if (end - dom > SMTP_DOMAIN_MAX) {
			err_set(err, SMTP_E_PATH, "domain too long");
			return NULL;
		}
	}
	if (*end != '>') {
		err_set(err, SMTP_E_PATH, "path must end with '>'");
		return NULL;
	}
	n = (size_t)(end - lp);
	if (n + 2 > SMTP_PATH_MAX) {
		err_set(err, SMTP_E_PATH, "path too long");
		return NULL;
	}
	memcpy(p->path, lp, n);
	p->path[n] = '\0';
	cmd->path = p->path;
	return end + 1;
}

/* Parses the esmtp-params after a path (keyword[=value] separated by
 * spaces); MAIL knows SIZE, BODY, SMTPUTF8, RCPT none. */
static int
smtp_params(struct smtp_parser *p, char *s, struct smtp_cmd *cmd,
    bool mail, struct err *err)
{
	char		*kw, *val;
	size_t		 kwlen, vallen, i;
	uint64_t	 v;
	bool		 seen_size = false, seen_body = false, seen_utf8 = false;

	for (;;) {
		if (*s == '\0')
			return 0;
		if (*s != ' ') {
			err_set(err, SMTP_E_PARAM, "junk after path");
			return -1;
		}
		if (*(s = smtp_skip_sp(s)) == '\0')
			return 0;
		kw = s;
		if (!smtp_is_alnum((unsigned char)*s)) {
			err_set(err, SMTP_E_PARAM, "bad parameter keyword");
			return -1;
		}
		while (smtp_is_alnum((unsigned char)*s) || *s == '-')
			s++;
		kwlen = (size_t)(s - kw);
		val = NULL;
		vallen = 0;
		if (*s == '=') {
			val = ++s;
			while ((*s >= 33 && *s <= 60) || (*s >= 62 &&
			    *s <= 126) || (unsigned char)*s >= 0x80)
				s++;
			if ((vallen = (size_t)(s - val)) == 0) {
				err_set(err, SMTP_E_PARAM, "empty parameter "
				    "value");
				return -1;
			}
		}
		if (*s != ' ' && *s != '\0') {
			err_set(err, SMTP_E_PARAM, "bad parameter");
			return -1;
		}
		if (mail && kwlen == 4 && strncasecmp(kw, "SIZE", 4) == 0) {
			if (seen_size || val == NULL || vallen > 20) {
				err_set(err, SMTP_E_PARAM, "bad SIZE");
				return -1;
			}
			for (v = 0, i = 0; i < vallen; i++) {
				if (val[i] < '0' || val[i] > '9') {
					err_set(err, SMTP_E_PARAM, "bad SIZE");
					return -1;
				}
				if (v > (UINT64_MAX - 9) / 10)
					v = UINT64_MAX;
				else
					v = v * 10 + (uint64_t)(val[i] - '0');
			}
			seen_size = cmd->has_size = true;
			cmd->size = v;
		} else if (mail && kwlen == 4 &&
		    strncasecmp(kw, "BODY", 4) == 0) {
			if (seen_body || val == NULL) {
				err_set(err, SMTP_E_PARAM, "bad BODY");
				return -1;
			}
			seen_body = true;
			if (vallen == 4 && strncasecmp(val, "7BIT", 4) == 0)
				cmd->body = SMTP_BODY_7BIT;
			else if (vallen == 8 &&
			    strncasecmp(val, "8BITMIME", 8) == 0)
				cmd->body = SMTP_BODY_8BITMIME;
			else if (cmd->unknown_param == NULL) {
				/* BINARYMIME needs CHUNKING: not ours. */
				memcpy(p->param, "BODY", 5);
				cmd->unknown_param = p->param;
			}
		} else if (mail && kwlen == 8 &&
		    strncasecmp(kw, "SMTPUTF8", 8) == 0) {
			if (seen_utf8 || val != NULL) {
				err_set(err, SMTP_E_PARAM, "bad SMTPUTF8");
				return -1;
			}
			seen_utf8 = cmd->smtputf8 = true;
		} else if (cmd->unknown_param == NULL) {
			if (kwlen >= sizeof(p->param))
				kwlen = sizeof(p->param) - 1;
			memcpy(p->param, kw, kwlen);
			p->param[kwlen] = '\0';
			cmd->unknown_param = p->param;
		}
	}
}

/* Nothing but spaces may follow. */
static int
smtp_no_args(const char *s, struct err *err)
{
	while (*s == ' ')
		s++;
	if (*s != '\0') {
		err_set(err, SMTP_E_SYNTAX, "no arguments allowed");
		return -1;
	}
	return 0;
}

static int
smtp_parse_helo(char *s, struct smtp_cmd *cmd, struct err *err)
{
	char	*end;

	if (*s != ' ' || *(s = smtp_skip_sp(s)) == '\0') {
		err_set(err, SMTP_E_SYNTAX, "domain name required");
		return -1;
	}
	end = *s == '[' ? smtp_addr_literal(s) : smtp_domain(s, true);
	if (end == NULL || (*end != ' ' && *end != '\0')) {
		err_set(err, SMTP_E_SYNTAX, "bad domain name");
		return -1;
	}
	if (smtp_no_args(end, err) == -1)
		return -1;
	*end = '\0';
	cmd->arg = s;
	return 0;
}

static int
smtp_parse_mailrcpt(struct smtp_parser *p, char *s, struct smtp_cmd *cmd,
    struct err *err)
{
	const unsigned char	*u;
	bool		 mail = cmd->verb == SMTP_MAIL;
	const char	*kw = mail ? "FROM:" : "TO:";
	size_t		 kwlen = strlen(kw);

	if (*s != ' ' || strncasecmp(s + 1, kw, kwlen) != 0) {
		err_set(err, SMTP_E_SYNTAX, "%s expected", mail ?
		    "MAIL FROM:<address>" : "RCPT TO:<address>");
		return -1;
	}
	s = smtp_skip_sp(s + 1 + kwlen);
	if ((s = smtp_path(p, s, cmd, !mail, err)) == NULL)
		return -1;
	if (!mail && cmd->null_path) {
		err_set(err, SMTP_E_PATH, "null path not allowed in RCPT");
		return -1;
	}
	for (u = (const unsigned char *)cmd->path; *u != '\0'; u++)
		if (*u >= 0x80)
			cmd->path_utf8 = true;
	return smtp_params(p, s, cmd, mail, err);
}

static int
smtp_parse_bdat(char *s, struct smtp_cmd *cmd, struct err *err)
{
	uint64_t	v = 0;

	if (*s != ' ' || *(s = smtp_skip_sp(s)) < '0' || *s > '9') {
		err_set(err, SMTP_E_SYNTAX, "chunk size required");
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++)
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
		    v * 10 + (uint64_t)(*s - '0');
	cmd->has_size = true;
	cmd->size = v;
	if (*s == ' ') {
		s = smtp_skip_sp(s);
		if (strncasecmp(s, "LAST", 4) == 0) {
			cmd->bdat_last = true;
			s += 4;
		}
	}
	return smtp_no_args(s, err);
}

static int
smtp_parse_line(struct smtp_parser *p, size_t len, struct smtp_cmd *cmd,
    struct err *err)
{
	char		*s = p->line, *w;
	size_t		 i, wlen;
	bool		 eight = false;

	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if ((c < 32 && c != '\t') || c == 127) {
			err_set(err, SMTP_E_BAD_CHAR, "control character in "
			    "command");
			return -1;
		}
		if (c >= 0x80)
			eight = true;
	}
	w = s;
	while (*s != ' ' && *s != '\0')
		s++;
	wlen = (size_t)(s - w);
	for (i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++)
		if (strlen(smtp_verbs[i].name) == wlen &&
		    strncasecmp(smtp_verbs[i].name, w, wlen) == 0)
			cmd->verb = smtp_verbs[i].verb;
	if (cmd->verb == SMTP_VERB_NONE) {
		err_set(err, SMTP_E_UNKNOWN, "unknown command");
		return -1;
	}
	if (eight && (cmd->verb != SMTP_MAIL && cmd->verb != SMTP_RCPT)) {
		err_set(err, SMTP_E_BAD_CHAR, "8-bit byte in command");
		return -1;
	}
	if (eight && !smtp_utf8_is_valid((const unsigned char *)p->line,
	    len)) {
		err_set(err, SMTP_E_BAD_CHAR, "malformed UTF-8");
		return -1;
	}
	switch (cmd->verb) {
	case SMTP_EHLO:
	case SMTP_HELO:
		return smtp_parse_helo(s, cmd, err);
	case SMTP_MAIL:
	case SMTP_RCPT:
		return smtp_parse_mailrcpt(p, s, cmd, err);
	case SMTP_DATA:
	case SMTP_RSET:
	case SMTP_QUIT:
	case SMTP_STARTTLS:
		return smtp_no_args(s, err);
	case SMTP_VRFY:
	case SMTP_NOOP:
	case SMTP_HELP:
		if (*s == ' ')
			s = smtp_skip_sp(s);
		else if (*s != '\0') {
			err_set(err, SMTP_E_SYNTAX, "bad argument");
			return -1;
		}
		if (cmd->verb == SMTP_VRFY && *s == '\0') {
			err_set(err, SMTP_E_SYNTAX, "VRFY needs an argument");
			return -1;
		}
		cmd->arg = s;
		return 0;
	case SMTP_BDAT:
		return smtp_parse_bdat(s, cmd, err);
	case SMTP_VERB_NONE:
		break;
	}
	return -1;
}

enum smtp_parse
smtp_parser_next(struct smtp_parser *p, struct smtp_cmd *cmd_out,
    struct err *err)
{
	const char	*line;
	size_t		 len;

	memset(cmd_out, 0, sizeof(*cmd_out));
	cmd_out->arg = "";
	switch (smtp_lines_next(&p->lines, &line, &len)) {
	case SMTP_LINE_NEED_MORE:
		return SMTP_PARSE_NEED_MORE;
	case SMTP_LINE_LONG:
		err_set(err, SMTP_E_LINE_TOO_LONG, "line longer than %zu "
		    "bytes", p->lines.max);
		return SMTP_PARSE_ERROR;
	case SMTP_LINE_BARE_LF:
		err_set(err, SMTP_E_BARE_LF, "line ends in a bare LF");
		return SMTP_PARSE_ERROR;
	case SMTP_LINE_OK:
		break;
	}
	memcpy(p->line, line, len);
	p->line[len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		err_set(err, SMTP_E_BAD_CHAR, "NUL byte in command");
		return SMTP_PARSE_ERROR;
	}
	if (smtp_parse_line(p, len, cmd_out, err) == -1)
		return SMTP_PARSE_ERROR;
	return SMTP_PARSE_COMMAND;
}
