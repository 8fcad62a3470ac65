/*
 * post.c: the list's copy of a post, as a function of its header
 * section (no I/O, so tests/unit/listd drives it from tables).
 *
 *  - RFC 2369 and RFC 2919: List-Id, List-Post, List-Help,
 *    List-Subscribe and List-Unsubscribe (mailto: the admin addresses
 *    of store.h), replacing any the message brought, with Sender and
 *    Precedence: list; with one_click_unsub, no List-Unsubscribe: the
 *    delivery engine gives each copy its own, with its one-click link
 *    (RFC 8058, unsub.h);
 *  - RFC 8601 section 5: Authentication-Results fields that claim our
 *    authserv-id arrived from outside and are forgeries; they go, and
 *    ours is put on top;
 *  - RFC 7960 section 4.1.3.3 (the usual mitigation of DMARC for lists):
 *    when the author's domain asks for quarantine or reject, the list's
 *    copy cannot pass DMARC under the author's From, so From becomes
 *    "Author via LIST" <LIST@DOMAIN> and Reply-To the author;
 *  - the subject prefix of the list, once;
 *  - RFC 5064: List-Archive and Archived-At, with --archive-url.
 *
 * Fields are copied byte for byte (folding kept), so the original
 * DKIM-Signature still verifies where it did not cover what changed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "listd.h"
#include "mail/mail.h"
#include "authres/authres.h"
#include "util/buf.h"
#include "util/err.h"

/* Fields the list writes itself, so those of the message go. */
static const char *const replaced[] = {
	"List-Id", "List-Post", "List-Help", "List-Subscribe",
	"List-Unsubscribe", "List-Unsubscribe-Post", "List-Owner",
	"List-Archive", "Sender", "Precedence", "Return-Path",
	LISTD_QUEUE_FIELD, NULL,
};

void
listd_post_split(const char *msg, size_t len, size_t *hdr_len,
    size_t *body_off)
{
	size_t	i;

	if (len >= 2 && msg[0] == '\r' && msg[1] == '\n') {
		*hdr_len = 0;
		*body_off = 2;
		return;
	}
	for (i = 0; i + 3 < len; i++)
		if (msg[i] == '\r' && msg[i + 1] == '\n' && msg[i + 2] == '\r' &&
		    msg[i + 3] == '\n') {
			*hdr_len = i + 2;
			*body_off = i + 4;
			return;
		}
	*hdr_len = len;
	*body_off = len;
}

/* The unfolded value of the first field named name into b (reset). */
static int
field_value(const struct mail_hdrs *h, const char *name, struct buf *b,
    struct err *err)
{
	long	i;

	buf_reset(b);
	if ((i = mail_hdrs_find(h, name, 0)) == -1)
		return -1;
	if (mail_field_unfold(mail_hdrs_at(h, (size_t)i), b, err) == -1 ||
	    buf_addc(b, '\0', err) == -1)
		return -1;
	return 0;
}

bool
listd_post_is_loop(const struct mail_hdrs *h, const char *list,
    const char *domain)
{
	const struct mail_field	*f;
	struct buf		 b;
	struct err		 err;
	char			 id[STORE_NAME_MAX + STORE_DOMAIN_MAX + 4];
	bool			 loop = false;
	long			 i = 0;
	size_t			 n;

	n = (size_t)snprintf(id, sizeof(id), "<%s.%s>", list, domain);
	buf_init(&b, MAIL_MAX_FIELD);
	while (!loop && (i = mail_hdrs_find(h, "List-Id", (size_t)i)) != -1) {
		f = mail_hdrs_at(h, (size_t)i++);
		buf_reset(&b);
		if (mail_field_unfold(f, &b, &err) == -1)
			continue;
		for (size_t k = 0; k + n <= b.len; k++)
			if (strncasecmp(b.data + k, id, n) == 0) {
				loop = true;
				break;
			}
	}
	buf_fini(&b);
	return loop;
}

/* The one mailbox of From, parsed into a (finish it), or -1. */
static int
from_mailbox(const struct mail_hdrs *h, struct mail_addrs *a,
    struct err *err)
{
	struct buf	b;
	int		rc = -1;

	memset(a, 0, sizeof(*a));
	buf_init(&b, MAIL_MAX_FIELD + 1);
	if (mail_hdrs_count_name(h, "From") != 1) {
		err_set(err, MAIL_E_ADDR, "not exactly one From field");
		goto done;
	}
	if (field_value(h, "From", &b, err) == -1 ||
	    mail_addrs_parse(b.data, b.len - 1, a, err) == -1)
		goto done;
	if (a->n != 1 || a->v[0].domain == NULL || a->v[0].domain[0] == '[') {
		mail_addrs_fini(a);
		memset(a, 0, sizeof(*a));
		err_set(err, MAIL_E_ADDR, "From is not one mailbox with a "
		    "domain");
		goto done;
	}
	rc = 0;
done:
	buf_fini(&b);
	return rc;
}

int
listd_post_author(const struct mail_hdrs *h, char *out, size_t n)
{
	struct mail_addrs	a;
	struct err		err;
	int			w;

	if (from_mailbox(h, &a, &err) == -1)
		return -1;
	w = snprintf(out, n, "%s@%s", a.v[0].local, a.v[0].domain);
	mail_addrs_fini(&a);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int
listd_post_message_id(const struct mail_hdrs *h, char *out, size_t n)
{
	struct buf	b;
	struct err	err;
	int		rc = -1;

	buf_init(&b, MAIL_MAX_FIELD + 1);
	if (field_value(h, "Message-ID", &b, &err) == 0 && b.len > 1 &&
	    n > 0) {
		snprintf(out, n, "%s", b.data);
		rc = 0;
	}
	buf_fini(&b);
	return rc;
}

static bool
is_replaced(const struct mail_field *f, const struct listd_post *p)
{
	size_t	i;

	for (i = 0; replaced[i] != NULL; i++)
		if (mail_field_is_named(f, replaced[i]))
			return true;
	if (mail_field_is_named(f, "Authentication-Results") &&
	    p->authserv_id != NULL && authres_is_ours(f->raw + f->value_off,
	    f->raw_len - f->value_off, p->authserv_id))
		return true;
	if (p->archive_url != NULL && mail_field_is_named(f, "Archived-At"))
		return true;
	return p->rewrite_from && mail_field_is_named(f, "From");
}

/* List-Archive, and Archived-At if there is a Message-ID.  Its bytes
 * outside RFC 3986's pchar are percent-encoded, as public-inbox's
 * mid_escape does, so that the URL is the one public-inbox-httpd
 * serves. */
static int
add_archive(const struct listd_post *p, const struct mail_hdrs *h,
    struct buf *out, struct err *err)
{
	static const char	 ok[] = "-._~!$&'()*+,;=:@";
	char			 mid[1024], *s, *e;
	size_t			 n;

	n = strlen(p->archive_url);
	while (n > 0 && p->archive_url[n - 1] == '/')
		n--;
	if (buf_printf(out, err, "List-Archive: <%.*s/%s/>\r\n", (int)n,
	    p->archive_url, p->list) == -1)
		return -1;
	if (listd_post_message_id(h, mid, sizeof(mid)) == -1)
		return 0;
	s = mid;
	if ((e = strchr(s, '<')) != NULL) {
		s = e + 1;
		if ((e = strchr(s, '>')) != NULL)
			*e = '\0';
	}
	if (*s == '\0')
		return 0;
	if (buf_printf(out, err, "Archived-At: <%.*s/%s/", (int)n,
	    p->archive_url, p->list) == -1)
		return -1;
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr(ok, *s) != NULL) {
			if (buf_addc(out, *s, err) == -1)
				return -1;
		} else if (buf_printf(out, err, "%%%02X", (unsigned char)*s) ==
		    -1)
			return -1;
	}
	return buf_adds(out, "/>\r\n", err);
}

/* Appends s as the inside of a quoted-string (RFC 5322 3.2.4). */
static int
add_quoted_inner(struct buf *out, const char *s, struct err *err)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n')
			continue;
		if ((*s == '"' || *s == '\\') && buf_addc(out, '\\', err) == -1)
			return -1;
		if (buf_addc(out, *s, err) == -1)
			return -1;
	}
	return 0;
}

/* From: "Author via LIST" <LIST@DOMAIN>, and Reply-To: the author. */
static int
add_from(const struct listd_post *p, const struct mail_hdrs *h,
    struct buf *out, struct err *err)
{
	struct mail_addrs	 a;
	struct buf		 v;
	const char		*disp;
	long			 i;
	int			 rc = -1;

	if (from_mailbox(h, &a, err) == -1)
		return -1;
	disp = a.v[0].display;
	if (buf_adds(out, "From: ", err) == -1)
		goto done;
	if (disp[0] != '\0' && strstr(disp, "=?") != NULL) {
		/* Encoded words are not decoded inside quotes (RFC 2047
		 * section 5): keep them as atoms, quote the rest. */
		if (buf_printf(out, err, "%s \"via ", disp) == -1)
			goto done;
	} else {
		if (buf_addc(out, '"', err) == -1)
			goto done;
		if (disp[0] != '\0') {
			if (add_quoted_inner(out, disp, err) == -1)
				goto done;
		} else if (add_quoted_inner(out, a.v[0].local, err) == -1 ||
		    buf_addc(out, '@', err) == -1 ||
		    add_quoted_inner(out, a.v[0].domain, err) == -1)
			goto done;
		if (buf_adds(out, " via ", err) == -1)
			goto done;
	}
	if (add_quoted_inner(out, p->list, err) == -1 ||
	    buf_printf(out, err, "\" <%s@%s>\r\n", p->list, p->domain) == -1)
		goto done;
	if (mail_hdrs_count_name(h, "Reply-To") == 0) {
		/* The author's own From value, display name and all. */
		i = mail_hdrs_find(h, "From", 0);
		buf_init(&v, MAIL_MAX_FIELD);
		if (mail_field_unfold(mail_hdrs_at(h, (size_t)i), &v, err) ==
		    -1 || buf_adds(out, "Reply-To: ", err) == -1 ||
		    buf_add(out, v.data, v.len, err) == -1 ||
		    buf_adds(out, "\r\n", err) == -1) {
			buf_fini(&v);
			goto done;
		}
		buf_fini(&v);
	}
	rc = 0;
done:
	mail_addrs_fini(&a);
	return rc;
}

/* Subject: PREFIX value, unless the value holds the prefix already. */
static int
add_subject(const struct listd_post *p, const struct mail_field *f,
    struct buf *out, struct err *err)
{
	const char	*v = f->raw + f->value_off;
	size_t		 n = f->raw_len - f->value_off, k, plen;

	plen = strlen(p->subject_prefix);
	for (k = 0; k + plen <= n; k++)
		if (strncasecmp(v + k, p->subject_prefix, plen) == 0)
			return buf_add(out, f->raw, f->raw_len, err) == -1 ||
			    buf_adds(out, "\r\n", err) == -1 ? -1 : 0;
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (buf_add(out, f->raw, f->name_len, err) == -1 ||
	    buf_printf(out, err, ": %s ", p->subject_prefix) == -1 ||
	    buf_add(out, v, n, err) == -1 ||
	    buf_adds(out, "\r\n", err) == -1)
		return -1;
	return 0;
}

int
listd_post_headers(const struct listd_post *p, const struct mail_hdrs *h,
    struct buf *out, struct err *err)
{
	const struct mail_field	*f;
	const char		*l = p->list, *d = p->domain;
	bool			 prefix, subject = false;
	size_t			 i;

	prefix = p->subject_prefix != NULL && p->subject_prefix[0] != '\0';
	if (p->authres != NULL && buf_add(out, p->authres, p->authres_len,
	    err) == -1)
		return -1;
	for (i = 0; (f = mail_hdrs_at(h, i)) != NULL; i++) {
		if (is_replaced(f, p))
			continue;
		if (prefix && !subject && mail_field_is_named(f, "Subject")) {
			subject = true;
			if (add_subject(p, f, out, err) == -1)
				return -1;
			continue;
		}
		if (buf_add(out, f->raw, f->raw_len, err) == -1 ||
		    buf_adds(out, "\r\n", err) == -1)
			return -1;
	}
	if (prefix && !subject && buf_printf(out, err, "Subject: %s\r\n",
	    p->subject_prefix) == -1)
		return -1;
	if (p->rewrite_from && add_from(p, h, out, err) == -1)
		return -1;
	if (buf_printf(out, err, "List-Id: <%s.%s>\r\n"
	    "List-Post: <mailto:%s@%s>\r\n"
	    "List-Help: <mailto:%s-help@%s>\r\n"
	    "List-Subscribe: <mailto:%s-subscribe@%s>\r\n", l, d, l, d, l,
	    d, l, d) == -1)
		return -1;
	if (!p->one_click_unsub && buf_printf(out, err, "List-Unsubscribe: "
	    "<mailto:%s-unsubscribe@%s>\r\n", l, d) == -1)
		return -1;
	if (buf_printf(out, err, "Sender: <%s-owner@%s>\r\n"
	    "Precedence: list\r\n", l, d) == -1)
		return -1;
	if (p->archive_url != NULL && add_archive(p, h, out, err) == -1)
		return -1;
	return 0;
}

int
listd_post_unwrap(const char *msg, size_t len, int64_t *id_out,
    struct buf *out, struct err *err)
{
	const struct mail_field	*f;
	struct mail_hdrs	*h;
	size_t			 hdr_len, body_off, i, k, found = 0;
	const char		*v;
	int64_t			 id = 0;
	int			 rc = -1;

	listd_post_split(msg, len, &hdr_len, &body_off);
	if ((h = mail_hdrs_parse(msg, hdr_len, err)) == NULL)
		return -1;
	for (i = 0; (f = mail_hdrs_at(h, i)) != NULL; i++) {
		if (!mail_field_is_named(f, LISTD_QUEUE_FIELD)) {
			if (buf_add(out, f->raw, f->raw_len, err) == -1 ||
			    buf_adds(out, "\r\n", err) == -1)
				goto done;
			continue;
		}
		found++;
		v = f->raw + f->value_off;
		k = f->raw_len - f->value_off;
		while (k > 0 && isspace((unsigned char)*v)) {
			v++;
			k--;
		}
		while (k > 0 && isspace((unsigned char)v[k - 1]))
			k--;
		id = 0;
		if (k == 0 || k > 18)
			found = 99;
		for (; k > 0; v++, k--) {
			if (!isdigit((unsigned char)*v)) {
				found = 99;
				break;
			}
			id = id * 10 + (*v - '0');
		}
	}
	if (found != 1 || id <= 0) {
		err_set(err, ERR_SYNTAX, "%s", found == 0 ? "no "
		    LISTD_QUEUE_FIELD " field" : "not one "
		    LISTD_QUEUE_FIELD " field with a number");
		goto done;
	}
	if (body_off > hdr_len && buf_add(out, msg + hdr_len,
	    len - hdr_len, err) == -1)
		goto done;
	*id_out = id;
	rc = 0;
done:
	mail_hdrs_free(h);
	return rc;
}
