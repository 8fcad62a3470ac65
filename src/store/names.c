/*
 * names.c: list names, domains and addresses in the form the store keeps
 * them (store.h), and the names of the enumerations in the database.
 *
 * Local parts are RFC 5321 dot-strings (section 4.1.2: atoms of atext,
 * RFC 5322 section 3.2.3, joined by single dots); quoted strings are not
 * taken, since a list has no use for them and they are where parsers
 * disagree.  Domains are LDH labels of 1 to 63 bytes (RFC 1035 section
 * 2.3.1, with RFC 1123's leading digits), no address literals.  No I/O.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* RFC 5322 atext. */
static bool
is_atext(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/* Why s[0..len) is not a dot-string of chars that ok() accepts, or
 * NULL if it is one. */
static const char *
dot_string_why(const char *s, size_t len, bool (*ok)(int))
{
	size_t	i;

	if (len == 0)
		return "empty";
	if (s[0] == '.' || s[len - 1] == '.')
		return "a dot first or last";
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return "two dots in a row";
			continue;
		}
		if (!ok((unsigned char)s[i]))
			return "a character that is not allowed";
	}
	return NULL;
}

static bool
is_name_char(int c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

/* The suffixes of admin addresses, which no list name may end in. */
static const char *const	admin_suffixes[] = {
	"subscribe", "unsubscribe", "subscribers", "owner", "help", "bounces",
	"digest",
};

int
store_name_normalize(const char *in, char out[STORE_NAME_MAX + 1],
    struct err *err)
{
	size_t		 len = strlen(in), i, n;
	const char	*why;

	if (len > STORE_NAME_MAX) {
		err_set(err, STORE_E_NAME, "list name \"%.*s...\": longer "
		    "than %d bytes", 20, in, STORE_NAME_MAX);
		return -1;
	}
	if ((why = dot_string_why(in, len, is_name_char)) != NULL) {
		err_set(err, STORE_E_NAME, "list name \"%s\": %s (letters, "
		    "digits, '-', '_' and '.')", in, why);
		return -1;
	}
	/* "dev-" would make "dev--help" an admin address. */
	if (!is_alnum((unsigned char)in[0]) ||
	    !is_alnum((unsigned char)in[len - 1])) {
		err_set(err, STORE_E_NAME, "list name \"%s\": must begin and "
		    "end with a letter or digit", in);
		return -1;
	}
	for (i = 0; i <= len; i++)
		out[i] = (char)to_lower((unsigned char)in[i]);
	for (i = 0; i < sizeof(admin_suffixes) / sizeof(admin_suffixes[0]);
	    i++) {
		n = strlen(admin_suffixes[i]);
		if (len > n && out[len - n - 1] == '-' &&
		    strcmp(out + len - n, admin_suffixes[i]) == 0) {
			err_set(err, STORE_E_NAME, "list name \"%s\": ends in "
			    "\"-%s\", which is an admin address of list "
			    "\"%.*s\"", in, admin_suffixes[i],
			    (int)(len - n - 1), out);
			return -1;
		}
	}
	return 0;
}

/* Whether s[0..len) is a host name: labels of 1 to 63 letters, digits
 * and inner hyphens. */
static bool
is_host_name(const char *s, size_t len)
{
	size_t	i, label = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum((unsigned char)s[i]) ||
		    (s[i] == '-' && label > 0))
			label++;
		else
			return false;
	}
	return true;
}

/* Checks and lower-cases the domain s[0..len) into out (len + 1 bytes),
 * without a final dot; what names it in errors. */
static int
domain_copy(const char *s, size_t len, char *out, const char *what,
    struct err *err)
{
	size_t	i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		err_set(err, STORE_E_DOMAIN, "%s: empty domain", what);
		return -1;
	}
	if (len > STORE_DOMAIN_MAX) {
		err_set(err, STORE_E_DOMAIN, "%s: domain longer than %d bytes",
		    what, STORE_DOMAIN_MAX);
		return -1;
	}
	if (!is_host_name(s, len)) {
		err_set(err, STORE_E_DOMAIN, "%s: not a domain name (labels of "
		    "letters, digits and inner hyphens)", what);
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] = (char)to_lower((unsigned char)s[i]);
	out[len] = '\0';
	return 0;
}

int
store_domain_normalize(const char *in, char out[STORE_DOMAIN_MAX + 1],
    struct err *err)
{
	size_t	len = strlen(in);

	if (len > STORE_DOMAIN_MAX + 1) {
		err_set(err, STORE_E_DOMAIN, "domain \"%.*s...\": longer than "
		    "%d bytes", 20, in, STORE_DOMAIN_MAX);
		return -1;
	}
	return domain_copy(in, len, out, in, err);
}

int
store_addr_normalize(const char *in, char out[STORE_ADDR_MAX + 1],
    struct err *err)
{
	const char	*at = strrchr(in, '@'), *why;
	size_t		 len = strlen(in), local;
	char		 what[48];
	struct err	 derr;

	snprintf(what, sizeof(what), "address \"%.*s%s\"", 32, in,
	    len > 32 ? "..." : "");
	if (len > STORE_ADDR_MAX) {
		err_set(err, STORE_E_ADDR, "%s: longer than %d bytes", what,
		    STORE_ADDR_MAX);
		return -1;
	}
	if (at == NULL) {
		err_set(err, STORE_E_ADDR, "%s: no '@'", what);
		return -1;
	}
	local = (size_t)(at - in);
	if (local > STORE_LOCAL_MAX) {
		err_set(err, STORE_E_ADDR, "%s: local part longer than %d "
		    "bytes", what, STORE_LOCAL_MAX);
		return -1;
	}
	if ((why = dot_string_why(in, local, is_atext)) != NULL) {
		err_set(err, STORE_E_ADDR, "%s: local part has %s", what,
		    strcmp(why, "empty") == 0 ? "nothing" : why);
		return -1;
	}
	memcpy(out, in, local + 1);
	if (domain_copy(at + 1, len - local - 1, out + local + 1, what,
	    &derr) == -1) {
		err_set(err, STORE_E_ADDR, "%s", derr.msg);
		return -1;
	}
	return 0;
}

static const char *const	posting_names[] = {
	[STORE_POST_SUBSCRIBERS] = "subscribers",
	[STORE_POST_MODERATED] = "moderated",
	[STORE_POST_OPEN] = "open",
};

const char *
store_posting_name(enum store_posting p)
{
	return posting_names[p];
}

int
store_posting_parse(const char *s, enum store_posting *out)
{
	size_t	i;

	for (i = 0; i < sizeof(posting_names) / sizeof(posting_names[0]); i++)
		if (strcmp(s, posting_names[i]) == 0) {
			*out = (enum store_posting)i;
			return 0;
		}
	return -1;
}

static const char *const	sub_state_names[] = {
	[STORE_SUB_ACTIVE] = "active",
	[STORE_SUB_DISABLED] = "disabled",
	[STORE_SUB_PROBING] = "probing",
};

const char *
store_sub_state_name(enum store_sub_state st)
{
	return sub_state_names[st];
}

/* The enumeration value of a name read from the database (the CHECKs
 * hold them to these): 0 for one we do not know. */
int
store_sub_state_parse(const char *s)
{
	size_t	i;

	for (i = 0; s != NULL &&
	    i < sizeof(sub_state_names) / sizeof(sub_state_names[0]); i++)
		if (strcmp(s, sub_state_names[i]) == 0)
			return (int)i;
	return 0;
}

static const char *const	mode_names[] = {
	[STORE_MODE_SINGLE] = "single",
	[STORE_MODE_DIGEST] = "digest",
};

const char *
store_mode_name(enum store_mode d)
{
	return mode_names[d];
}

int
store_mode_parse(const char *s, enum store_mode *out)
{
	size_t	i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]);
	    i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum store_mode)i;
			return 0;
		}
	return -1;
}
