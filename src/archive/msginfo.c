/*
 * msginfo.c: what the commit of a message in the archive says of it
 * (archive.h): its author, dates and subject, read from the header
 * section the way public-inbox's Import.pm reads them, and the RFC 5322
 * section 3.3 date-time parser that needs (with the obsolete syntax of
 * section 4.3, which real mail still carries).  No I/O: the input is
 * anyone's mail, and tests/fuzz/fuzz_archive_info.c drives it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "archive/archive.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

/* Skips whitespace and (nested) comments: CFWS. */
static size_t
skip_cfws(const char *s, size_t n, size_t i)
{
	int	depth;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n'))
			i++;
		if (i >= n || s[i] != '(')
			return i;
		for (depth = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0) {
				i++;
				break;
			}
		}
	}
}

/* Up to max digits at s[*i]: their value, or -1 if there is none. */
static long
digits(const char *s, size_t n, size_t *i, int max)
{
	long	v = 0;
	int	k = 0;

	while (*i < n && k < max && isdigit((unsigned char)s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k == 0 || (*i < n && isdigit((unsigned char)s[*i])))
		return -1;
	return v;
}

/* Letters at s[*i] into w (at most 5), lower case. */
static size_t
word(const char *s, size_t n, size_t *i, char w[6])
{
	size_t	k = 0;

	while (*i < n && isalpha((unsigned char)s[*i])) {
		if (k < 5)
			w[k++] = (char)tolower((unsigned char)s[*i]);
		else
			k = 6;
		(*i)++;
	}
	if (k > 5)
		k = 0;
	w[k] = '\0';
	return k;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* An obsolete zone name (RFC 5322 section 4.3): minutes east, or -1 for
 * none.  Military letters are -0000: RFC 822 got their signs wrong. */
static int
zone_name(const char *w, int *tz)
{
	static const struct {
		const char	*name;
		int		 min;
	} zones[] = {
		{ "ut", 0 }, { "gmt", 0 }, { "utc", 0 }, { "z", 0 },
		{ "edt", -4 * 60 }, { "est", -5 * 60 }, { "cdt", -5 * 60 },
		{ "cst", -6 * 60 }, { "mdt", -6 * 60 }, { "mst", -7 * 60 },
		{ "pdt", -7 * 60 }, { "pst", -8 * 60 },
	};
	size_t	i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(w, zones[i].name) == 0) {
			*tz = zones[i].min;
			return 0;
		}
	if (w[0] != '\0' && w[1] == '\0' && w[0] != 'j') {
		*tz = 0;
		return 0;
	}
	return -1;
}

int
archive_date_parse(const char *s, size_t n, int64_t *t_out, int *tz_out)
{
	static const char	 months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char		*p;
	int64_t			 t;
	char			 w[6];
	size_t			 i = 0, save;
	long			 day, year, hour, min, sec = 0, z;
	int			 mon, tz = 0, sign;

	i = skip_cfws(s, n, i);
	save = i;
	if (word(s, n, &i, w) == 3) {
		i = skip_cfws(s, n, i);
		if (i >= n || s[i] != ',')
			return -1;
		i = skip_cfws(s, n, i + 1);
	} else
		i = save;
	if ((day = digits(s, n, &i, 2)) < 1 || day > 31)
		return -1;
	i = skip_cfws(s, n, i);
	if (word(s, n, &i, w) != 3 || (p = strstr(months, w)) == NULL ||
	    (p - months) % 3 != 0)
		return -1;
	mon = (int)((p - months) / 3) + 1;
	i = skip_cfws(s, n, i);
	save = i;
	if ((year = digits(s, n, &i, 4)) < 0)
		return -1;
	if (i - save == 2)
		year += year < 50 ? 2000 : 1900;
	else if (i - save == 3)
		year += 1900;
	i = skip_cfws(s, n, i);
	if ((hour = digits(s, n, &i, 2)) < 0 || hour > 23)
		return -1;
	i = skip_cfws(s, n, i);
	if (i >= n || s[i] != ':')
		return -1;
	i = skip_cfws(s, n, i + 1);
	if ((min = digits(s, n, &i, 2)) < 0 || min > 59)
		return -1;
	i = skip_cfws(s, n, i);
	if (i < n && s[i] == ':') {
		i = skip_cfws(s, n, i + 1);
		if ((sec = digits(s, n, &i, 2)) < 0 || sec > 60)
			return -1;
		i = skip_cfws(s, n, i);
	}
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		i++;
		save = i;
		if ((z = digits(s, n, &i, 4)) < 0 || i - save != 4 ||
		    z % 100 > 59)
			return -1;
		tz = sign * (int)(z / 100 * 60 + z % 100);
	} else if (word(s, n, &i, w) == 0 || zone_name(w, &tz) == -1)
		return -1;
	if (year < 1970 || year > 9999)
		return -1;
	t = days_from_civil(year, mon, day) * 86400 + hour * 3600 +
	    min * 60 + sec - (int64_t)tz * 60;
	if (t < 0)
		return -1;
	*t_out = t;
	*tz_out = tz;
	return 0;
}

/* Copies s[0..n) into out (size m) as one line: control bytes become
 * spaces, runs of spaces one, '<' and '>' go if angles; trimmed. */
static void
one_line(const char *s, size_t n, char *out, size_t m, bool angles)
{
	size_t	i, k = 0;
	char	c;

	for (i = 0; i < n && k + 1 < m; i++) {
		c = s[i];
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		if (angles && (c == '<' || c == '>'))
			continue;
		if (c == ' ' && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = c;
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

/* The unfolded value of the first field named name into b; -1 if none. */
static int
value(const struct mail_hdrs *h, const char *name, struct buf *b)
{
	struct err	err;
	long		i;

	buf_reset(b);
	if (h == NULL || (i = mail_hdrs_find(h, name, 0)) == -1)
		return -1;
	return mail_field_unfold(mail_hdrs_at(h, (size_t)i), b, &err);
}

/* Author from the address field name: 0 if it gave an address. */
static int
author(const struct mail_hdrs *h, const char *name, struct buf *b,
    struct archive_info *out)
{
	struct mail_addrs	 a;
	struct err		 err;
	const struct mail_mailbox *mb;
	char			 addr[2 * ARCHIVE_NAME_MAX + 2];

	if (value(h, name, b) == -1 || mail_addrs_parse(b->data, b->len, &a,
	    &err) == -1)
		return -1;
	if (a.n == 0) {
		mail_addrs_fini(&a);
		return -1;
	}
	mb = &a.v[0];
	snprintf(addr, sizeof(addr), "%s%s%s", mb->local, mb->domain != NULL ?
	    "@" : "", mb->domain != NULL ? mb->domain : "");
	one_line(addr, strlen(addr), out->email, sizeof(out->email), true);
	/* public-inbox's names(): the display name, else the local part. */
	if (mb->display[0] != '\0')
		one_line(mb->display, strlen(mb->display), out->name,
		    sizeof(out->name), true);
	if (out->name[0] == '\0')
		one_line(mb->local, strlen(mb->local), out->name,
		    sizeof(out->name), true);
	mail_addrs_fini(&a);
	return out->email[0] != '\0' ? 0 : -1;
}

/* The header section of msg as CRLF lines into b (LF-only input too). */
static int
header_section(const char *msg, size_t len, struct buf *b)
{
	struct err	err;
	size_t		i;

	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r') &&
		    buf_addc(b, '\r', &err) == -1)
			return -1;
		if (buf_addc(b, msg[i], &err) == -1)
			return -1;
		if (b->len >= 2 && b->data[b->len - 1] == '\n' &&
		    (b->len == 2 || (b->len >= 4 &&
		    memcmp(b->data + b->len - 4, "\r\n\r\n", 4) == 0))) {
			if (b->len == 2)
				b->len = 0;
			else
				b->len -= 2;
			return 0;
		}
	}
	/* No body: the fields up to the last complete line. */
	while (b->len > 0 && b->data[b->len - 1] != '\n')
		b->len--;
	return 0;
}

void
archive_info_get(const char *msg, size_t len, time_t now,
    struct archive_info *out)
{
	struct mail_hdrs	*h = NULL;
	struct buf		 b, v;
	struct err		 err;
	const char		*semi;
	size_t			 i;

	memset(out, 0, sizeof(*out));
	out->author_time = out->commit_time = (int64_t)now;
	buf_init(&b, MAIL_MAX_HEADER + MAIL_MAX_FIELDS);
	buf_init(&v, MAIL_MAX_FIELD + 1);
	if (header_section(msg, len, &b) == 0)
		h = mail_hdrs_parse(b.data != NULL ? b.data : "", b.len, &err);
	if (author(h, "From", &v, out) == -1) {
		out->name[0] = '\0';
		if (author(h, "Sender", &v, out) == -1) {
			out->email[0] = '\0';
			out->name[0] = '\0';
		}
	}
	if (out->name[0] == '\0')
		snprintf(out->name, sizeof(out->name), "unknown");
	if (value(h, "Date", &v) == 0 && archive_date_parse(v.data, v.len,
	    &out->author_time, &out->author_tz) == 0) {
		out->commit_time = out->author_time;
		out->commit_tz = out->author_tz;
	}
	/* When the list's host got it, as public-inbox takes it. */
	if (value(h, "Received", &v) == 0 && v.len > 0) {
		semi = NULL;
		for (i = 0; i < v.len; i++)
			if (v.data[i] == ';')
				semi = v.data + i;
		if (semi != NULL)
			(void)archive_date_parse(semi + 1, v.len -
			    (size_t)(semi + 1 - v.data), &out->commit_time,
			    &out->commit_tz);
	}
	if (value(h, "Subject", &v) == 0)
		one_line(v.data != NULL ? v.data : "", v.len, out->subject,
		    sizeof(out->subject), false);
	if (out->subject[0] == '\0')
		snprintf(out->subject, sizeof(out->subject), "(no subject)");
	mail_hdrs_free(h);
	buf_fini(&b);
	buf_fini(&v);
}
