/*
 * record.c: SPF records: recognising one (RFC 7208 section 4.5) and
 * parsing its terms (sections 4.6.1, 5, 6 and the ABNF of section 12).
 *
 * Terms are separated by one or more spaces; a term is a modifier when
 * it starts with a name followed by "=", else a directive: an optional
 * qualifier and a mechanism.  Everything the ABNF rejects is a syntax
 * error, which check_host() turns into permerror (section 4.6).  Unknown
 * modifiers are kept (their value must still be a macro-string) and
 * ignored by the evaluator (section 6).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf/spf.h"
#include "util/err.h"

bool
spf_record_is_spf(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 &&
	    (txt[6] == '\0' || txt[6] == ' ');
}

static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static bool
is_toplabel(const char *s, size_t len)
{
	size_t	i;
	bool	alpha = false, hyphen = false;

	if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			hyphen = true;
		else if (!is_alnum(s[i]))
			return false;
		else if (!isdigit((unsigned char)s[i]))
			alpha = true;
	}
	return alpha || hyphen;
}

/* The number of "%" right before s[i]. */
static size_t
percents_before(const char *s, size_t i)
{
	size_t	n = 0;

	while (i > n && s[i - n - 1] == '%')
		n++;
	return n;
}

/*
 * domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 */
static int
check_domain_spec(const char *s, size_t len, bool *uses_p, struct err *err)
{
	size_t	end = len, dot;

	if (len == 0) {
		err_set(err, SPF_E_SYNTAX, "empty domain-spec");
		return -1;
	}
	if (spf_macro_check(s, len, 0, uses_p, err) == -1)
		return -1;
	/* Ends in a macro-expand: "%{...}", "%%", "%_" or "%-".  A "%" that
	 * is itself the second of "%%" cannot end one, so count them. */
	if (s[len - 1] == '}') {
		for (dot = len; dot > 0 && s[dot - 1] != '{'; dot--)
			;
		if (dot >= 1 && percents_before(s, dot - 1) % 2 == 1)
			return 0;
	}
	if (len >= 2 && (s[len - 1] == '%' || s[len - 1] == '_' ||
	    s[len - 1] == '-') && percents_before(s, len - 1) % 2 == 1)
		return 0;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0 || !is_toplabel(s + dot, end - dot)) {
		err_set(err, SPF_E_SYNTAX, "domain-spec \"%.*s\" does not end "
		    "in a macro or a top-level label", (int)(len > 60 ? 60 :
		    len), s);
		return -1;
	}
	return 0;
}

/* A CIDR length "/N": "0" or no leading zero, at most max. */
static int
parse_len(const char *s, size_t len, int max, int *out)
{
	size_t	i;
	int	v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Takes a dual-cidr-length ("/24", "//64", "/24//64") off the end of
 * s[0..*len): *len shrinks past it.  -1 for a bad length.
 */
static int
take_dual_cidr(const char *s, size_t *len, int *c4, int *c6)
{
	size_t	e = *len, p;

	p = e;
	while (p > 0 && isdigit((unsigned char)s[p - 1]))
		p--;
	if (p < e && p >= 2 && s[p - 1] == '/' && s[p - 2] == '/') {
		if (parse_len(s + p, e - p, 128, c6) == -1)
			return -1;
		e = p - 2;
	}
	p = e;
	while (p > 0 && isdigit((unsigned char)s[p - 1]))
		p--;
	if (p < e && p >= 1 && s[p - 1] == '/') {
		if (parse_len(s + p, e - p, 32, c4) == -1)
			return -1;
		e = p - 1;
	}
	*len = e;
	return 0;
}

/* ip4-network: four qnums without leading zeros. */
static int
parse_ip4(const char *s, size_t len, uint8_t *out)
{
	size_t	i = 0, n;
	int	part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		for (n = 0, v = 0; i + n < len && isdigit((unsigned char)
		    s[i + n]) && n < 4; n++)
			v = v * 10 + (s[i + n] - '0');
		if (n == 0 || n > 3 || v > 255 || (n > 1 && s[i] == '0'))
			return -1;
		out[part] = (uint8_t)v;
		i += n;
	}
	return i == len ? 0 : -1;
}

static int
parse_ip6(const char *s, size_t len, uint8_t *out)
{
	char	tmp[64];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

static const struct {
	const char	*name;
	enum spf_mech	 mech;
} mechs[] = {
	{ "all", SPF_MECH_ALL }, { "include", SPF_MECH_INCLUDE },
	{ "a", SPF_MECH_A }, { "mx", SPF_MECH_MX }, { "ptr", SPF_MECH_PTR },
	{ "ip4", SPF_MECH_IP4 }, { "ip6", SPF_MECH_IP6 },
	{ "exists", SPF_MECH_EXISTS },
};

static int
parse_modifier(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t len, size_t eq, struct err *err)
{
	t->spec = s + eq + 1;
	t->spec_len = len - eq - 1;
	if (eq == 8 && strncasecmp(s, "redirect", 8) == 0) {
		t->mech = SPF_MOD_REDIRECT;
		if (rec->redirect >= 0)
			goto twice;
		rec->redirect = (int)rec->nterms;
		return check_domain_spec(t->spec, t->spec_len, &t->uses_p, err);
	}
	if (eq == 3 && strncasecmp(s, "exp", 3) == 0) {
		t->mech = SPF_MOD_EXP;
		if (rec->exp >= 0)
			goto twice;
		rec->exp = (int)rec->nterms;
		return check_domain_spec(t->spec, t->spec_len, &t->uses_p, err);
	}
	t->mech = SPF_MOD_UNKNOWN;
	return spf_macro_check(t->spec, t->spec_len, 0, &t->uses_p, err);
twice:
	err_set(err, SPF_E_SYNTAX, "%.*s= given twice", (int)eq, s);
	return -1;
}

static int
parse_term(struct spf_record *rec, const char *s, size_t len, struct err *err)
{
	struct spf_term	*t = &rec->terms[rec->nterms];
	size_t		 i, n, rest;
	const char	*arg;

	memset(t, 0, sizeof(*t));
	t->text = s;
	t->text_len = len;
	t->qual = SPF_PASS;
	t->cidr4 = 32;
	t->cidr6 = 128;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			goto bad;
	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=". */
	if (isalpha((unsigned char)s[0])) {
		for (i = 1; i < len && (is_alnum(s[i]) || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'); i++)
			;
		if (i < len && s[i] == '=')
			return parse_modifier(rec, t, s, len, i, err);
	}
	i = 0;
	switch (s[0]) {
	case '+':
		i = 1;
		break;
	case '-':
		t->qual = SPF_FAIL;
		i = 1;
		break;
	case '~':
		t->qual = SPF_SOFTFAIL;
		i = 1;
		break;
	case '?':
		t->qual = SPF_NEUTRAL;
		i = 1;
		break;
	}
	for (n = 0; i + n < len && isalnum((unsigned char)s[i + n]); n++)
		;
	for (rest = 0; rest < sizeof(mechs) / sizeof(mechs[0]); rest++)
		if (strlen(mechs[rest].name) == n &&
		    strncasecmp(mechs[rest].name, s + i, n) == 0)
			break;
	if (n == 0 || rest == sizeof(mechs) / sizeof(mechs[0])) {
		err_set(err, SPF_E_SYNTAX, "unknown mechanism \"%.*s\"",
		    (int)(len > 60 ? 60 : len), s);
		return -1;
	}
	t->mech = mechs[rest].mech;
	arg = s + i + n;
	rest = len - i - n;
	switch (t->mech) {
	case SPF_MECH_ALL:
		if (rest != 0)
			goto bad;
		return 0;
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		if (rest < 2 || arg[0] != ':')
			goto bad;
		t->spec = arg + 1;
		t->spec_len = rest - 1;
		return check_domain_spec(t->spec, t->spec_len, &t->uses_p, err);
	case SPF_MECH_A:
	case SPF_MECH_MX:
		if (take_dual_cidr(arg, &rest, &t->cidr4, &t->cidr6) == -1)
			goto bad;
		/* FALLTHROUGH */
	case SPF_MECH_PTR:
		if (rest == 0)
			return 0;
		if (rest < 2 || arg[0] != ':')
			goto bad;
		t->spec = arg + 1;
		t->spec_len = rest - 1;
		return check_domain_spec(t->spec, t->spec_len, &t->uses_p, err);
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		if (rest < 2 || arg[0] != ':')
			goto bad;
		arg++;
		rest--;
		for (n = 0; n < rest && arg[n] != '/'; n++)
			;
		if (n < rest && parse_len(arg + n + 1, rest - n - 1,
		    t->mech == SPF_MECH_IP4 ? 32 : 128,
		    t->mech == SPF_MECH_IP4 ? &t->cidr4 : &t->cidr6) == -1)
			goto bad;
		if (t->mech == SPF_MECH_IP4 ? parse_ip4(arg, n, t->addr) :
		    parse_ip6(arg, n, t->addr))
			goto bad;
		return 0;
	default:
		break;
	}
bad:
	err_set(err, SPF_E_SYNTAX, "bad term \"%.*s\"",
	    (int)(len > 60 ? 60 : len), s);
	return -1;
}

int
spf_record_parse(const char *txt, struct spf_record *rec, struct err *err)
{
	const char	*p, *e;
	size_t		 n, len;

	memset(rec, 0, sizeof(*rec));
	rec->redirect = rec->exp = -1;
	if (!spf_record_is_spf(txt)) {
		err_set(err, SPF_E_SYNTAX, "not an spf record");
		return -1;
	}
	len = strlen(txt);
	if ((rec->text = strdup(txt)) == NULL)
		goto nomem;
	/* At most one term per two bytes after "v=spf1". */
	n = (len - 6) / 2 + 1;
	if ((rec->terms = calloc(n, sizeof(*rec->terms))) == NULL)
		goto nomem;
	p = rec->text + 6;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if (parse_term(rec, p, (size_t)(e - p), err) == -1)
			return -1;
		rec->nterms++;
		p = e;
	}
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "spf record: out of memory");
	return -1;
}

void
spf_record_fini(struct spf_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->text);
	free(rec->terms);
	memset(rec, 0, sizeof(*rec));
	rec->redirect = rec->exp = -1;
}
