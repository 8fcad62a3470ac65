/*
 * from.c: the RFC5322.From domain DMARC evaluates (RFC 9989 section 4.1,
 * RFC 7489 section 6.6.1).
 *
 * RFC 5322 allows one From field; a message with none, or with several,
 * is malformed and the RFCs advise rejecting it rather than picking one
 * (an attacker would add the field that suits him).  A From field with
 * several mailboxes is allowed by RFC 5322; DMARC evaluates it when all
 * share one domain and treats it as malformed otherwise.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"

bool
dmarc_name_is_valid(const char *s, size_t n)
{
	size_t	i, label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_MAX_NAME)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

int
dmarc_from_domain(const struct mail_hdrs *hdrs, char *out, size_t n,
    struct err *err)
{
	const struct mail_field	*f;
	struct mail_addrs	 addrs;
	struct buf		 val;
	struct err		 e;
	const char		*dom = NULL;
	size_t			 nfrom, i, len;
	long			 at;
	int			 rc = -1;

	if ((nfrom = mail_hdrs_count_name(hdrs, "From")) == 0) {
		err_set(err, DMARC_E_FROM, "no From field");
		return -1;
	}
	if (nfrom > 1) {
		err_set(err, DMARC_E_FROM, "%zu From fields", nfrom);
		return -1;
	}
	at = mail_hdrs_find(hdrs, "From", 0);
	f = mail_hdrs_at(hdrs, (size_t)at);
	buf_init(&val, MAIL_MAX_FIELD);
	if (mail_field_unfold(f, &val, &e) == -1) {
		err_set(err, e.code, "From: %s", e.msg);
		buf_fini(&val);
		return -1;
	}
	if (mail_addrs_parse(val.data ? val.data : "", val.len, &addrs, &e)
	    == -1) {
		err_set(err, e.code == ERR_NOMEM ? ERR_NOMEM : DMARC_E_FROM,
		    "From does not parse: %s", e.msg);
		buf_fini(&val);
		return -1;
	}
	buf_fini(&val);
	for (i = 0; i < addrs.n; i++) {
		const char *d = addrs.v[i].domain;

		if (d == NULL) {
			err_set(err, DMARC_E_FROM, "From mailbox \"%.64s\" has "
			    "no domain", addrs.v[i].local);
			goto out;
		}
		if (d[0] == '[') {
			err_set(err, DMARC_E_FROM, "From domain %.64s is an "
			    "address literal", d);
			goto out;
		}
		if (dom != NULL && strcasecmp(dom, d) != 0) {
			err_set(err, DMARC_E_FROM, "From has mailboxes in "
			    "different domains (%.48s, %.48s)", dom, d);
			goto out;
		}
		dom = d;
	}
	if (dom == NULL) {
		err_set(err, DMARC_E_FROM, "From has no mailbox");
		goto out;
	}
	len = strlen(dom);
	if (!dmarc_name_is_valid(dom, len)) {
		err_set(err, DMARC_E_FROM, "From domain \"%.64s\" is not a "
		    "valid DNS name", dom);
		goto out;
	}
	if (dom[len - 1] == '.')
		len--;
	if (len + 1 > n) {
		err_set(err, ERR_LIMIT, "From domain too long");
		goto out;
	}
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)dom[i]);
	out[len] = '\0';
	rc = 0;
out:
	mail_addrs_fini(&addrs);
	return rc;
}
