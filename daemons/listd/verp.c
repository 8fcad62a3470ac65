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
 *
 * A probe (probe.c) leaves with LIST-bounces+probe-TOKEN+LOCAL=DOMAIN:
 * a subscriber's local part may begin with "probe-" too, so a path is
 * a probe's only when TOKEN has its exact form, and the bounce counts
 * only when TOKEN is the one the list sent.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

bool
listd_verp_probe_encode(const char *list, const char *listdomain,
    const char *rcpt, const char *token, char *out, size_t cap)
{
	const char	*at = strrchr(rcpt, '@');
	int		 n;

	if (at == NULL || at == rcpt || at[1] == '\0' ||
	    strlen(token) != LISTD_PROBE_TOKEN_LEN)
		return false;
	n = snprintf(out, cap, "%s-bounces+probe-%s+%.*s=%s@%s", list, token,
	    (int)(at - rcpt), rcpt, at + 1, listdomain);
	return n > 0 && (size_t)n < cap && n <= SMTP_PATH_MAX - 2;
}

bool
listd_verp_probe_decode(const char *verp,
    char token[LISTD_PROBE_TOKEN_LEN + 1], char *rcpt, size_t cap)
{
	size_t	i;

	if (strncmp(verp, "probe-", 6) != 0)
		return false;
	verp += 6;
	for (i = 0; i < LISTD_PROBE_TOKEN_LEN; i++)
		if (!((verp[i] >= '0' && verp[i] <= '9') ||
		    (verp[i] >= 'a' && verp[i] <= 'f')))
			return false;
	if (verp[i] != '+' || !listd_verp_decode(verp + i + 1, rcpt, cap))
		return false;
	memcpy(token, verp, LISTD_PROBE_TOKEN_LEN);
	token[LISTD_PROBE_TOKEN_LEN] = '\0';
	return true;
}

bool
listd_verp_probe_of(const char *list, const char *listdomain,
    const char *rcpt, const char *path,
    char token[LISTD_PROBE_TOKEN_LEN + 1])
{
	char		 who[SMTP_PATH_MAX + 1], addr[SMTP_PATH_MAX + 1];
	const char	*at = strrchr(path, '@'), *from;
	size_t		 ll = strlen(list);

	if (at == NULL || strcasecmp(at + 1, listdomain) != 0 ||
	    strncasecmp(path, list, ll) != 0 ||
	    strncmp(path + ll, "-bounces+", 9) != 0)
		return false;
	from = path + ll + 9;
	if (at < from || (size_t)(at - from) >= sizeof(who))
		return false;
	memcpy(who, from, (size_t)(at - from));
	who[at - from] = '\0';
	return listd_verp_probe_decode(who, token, addr, sizeof(addr)) &&
	    strcasecmp(addr, rcpt) == 0;
}
