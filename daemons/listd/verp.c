/*
 * verp.c: variable envelope return paths.  Each copy of a post leaves
 * with the return path LIST-bounces+LOCAL=DOMAIN@LISTDOMAIN, so that a
 * bounce, whatever it says or fails to say, names the subscriber it is
 * about (the address is what came back, not what the report claims).
 *
 * The local part of the subscriber is kept as it is: '+', '-' and '='
 * included.  Decoding splits at the last '=', since a domain (letters,
 * digits, '-' and '.') never holds one.  A return path over the 256
 * bytes of an SMTP path (RFC 5321 section 4.5.3.1.3) does not encode:
 * the copy then leaves with LIST-bounces@LISTDOMAIN and its bounces are
 * matched by the addresses the report names.
 */
#include <stdio.h>
#include <string.h>

#include "deliver_priv.h"
#include "smtp/smtp.h"

bool
listd_verp_encode(const char *list, const char *listdomain, const char *rcpt,
    char *out, size_t cap)
{
	const char	*at = strrchr(rcpt, '@');
	int		 n;

	if (at == NULL || at == rcpt || at[1] == '\0')
		return false;
	n = snprintf(out, cap, "%s-bounces+%.*s=%s@%s", list,
	    (int)(at - rcpt), rcpt, at + 1, listdomain);
	return n > 0 && (size_t)n < cap && n <= SMTP_PATH_MAX - 2;
}

bool
listd_verp_decode(const char *verp, char *out, size_t cap)
{
	const char	*eq = strrchr(verp, '=');
	int		 n;

	if (eq == NULL || eq == verp || eq[1] == '\0' ||
	    strchr(eq + 1, '@') != NULL)
		return false;
	n = snprintf(out, cap, "%.*s@%s", (int)(eq - verp), verp, eq + 1);
	return n > 0 && (size_t)n < cap;
}
