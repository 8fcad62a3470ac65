/*
 * record.c: DMARC policy records, RFC 9989 section 4.7 (and RFC 7489
 * section 6.3 for pct=, ri= and the handling of bad values).
 *
 * A record is a tag list in the syntax of RFC 6376 section 3.2 whose
 * first tag is v=DMARC1.  Anything else found at a _dmarc name is not a
 * DMARC record and is ignored (the walk treats the name as having none).
 * A DMARC record whose tag list is broken, or that repeats a tag, is
 * unusable as a whole; a known tag with a value we cannot read falls back
 * to its default, but a record without a usable p= (or with a bad sp= or
 * np=) is only used, as p=none, when it names somewhere to send reports.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc.h"
#include "util/err.h"

#define RECORD_MAX_TAGS	64

struct tag {
	const char	*name;
	size_t		 name_len;
	const char	*val;
	size_t		 val_len;
};

const char *
dmarc_policy_str(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE:
		return "none";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	}
	return "none";
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_wsp(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((*p)[*n - 1]))
		(*n)--;
}

/* RFC 6376 section 3.2: tag-name = ALPHA *ALNUMPUNC. */
static bool
name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* tag-value = [ tval *( 1*(WSP / FWS) tval ) ], VALCHAR = %x21-3A /
 * %x3C-7E; the value is already trimmed. */
static bool
value_ok(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_wsp(s[i]))
			continue;
		if (c < 0x21 || c > 0x7e || c == ';')
			return false;
	}
	return true;
}

static bool
tag_is(const struct tag *t, const char *name)
{
	return t->name_len == strlen(name) &&
	    strncasecmp(t->name, name, t->name_len) == 0;
}

static bool
val_is(const struct tag *t, const char *v)
{
	return t->val_len == strlen(v) && strncasecmp(t->val, v, t->val_len)
	    == 0;
}

/* Splits txt into tags; -1 with DMARC_E_SYNTAX. */
static int
split(const char *txt, struct tag *tags, size_t *n_out, struct err *err)
{
	const char	*p = txt, *semi, *eq;
	size_t		 len, n = 0, i;

	for (;;) {
		semi = strchr(p, ';');
		len = semi != NULL ? (size_t)(semi - p) : strlen(p);
		trim(&p, &len);
		if (len > 0) {
			if (n == RECORD_MAX_TAGS) {
				err_set(err, DMARC_E_SYNTAX, "more than %d "
				    "tags", RECORD_MAX_TAGS);
				return -1;
			}
			if ((eq = memchr(p, '=', len)) == NULL) {
				err_set(err, DMARC_E_SYNTAX, "tag \"%.*s\" has "
				    "no \"=\"", (int)(len > 32 ? 32 : len), p);
				return -1;
			}
			tags[n].name = p;
			tags[n].name_len = (size_t)(eq - p);
			trim(&tags[n].name, &tags[n].name_len);
			tags[n].val = eq + 1;
			tags[n].val_len = len - (size_t)(eq + 1 - p);
			trim(&tags[n].val, &tags[n].val_len);
			if (!name_ok(tags[n].name, tags[n].name_len)) {
				err_set(err, DMARC_E_SYNTAX, "bad tag name "
				    "\"%.*s\"", (int)(tags[n].name_len > 32 ?
				    32 : tags[n].name_len), tags[n].name);
				return -1;
			}
			if (!value_ok(tags[n].val, tags[n].val_len)) {
				err_set(err, DMARC_E_SYNTAX, "bad value for "
				    "tag %.*s", (int)tags[n].name_len,
				    tags[n].name);
				return -1;
			}
			for (i = 0; i < n; i++)
				if (tags[i].name_len == tags[n].name_len &&
				    strncasecmp(tags[i].name, tags[n].name,
				    tags[n].name_len) == 0) {
					err_set(err, DMARC_E_SYNTAX, "tag %.*s "
					    "appears twice",
					    (int)tags[n].name_len,
					    tags[n].name);
					return -1;
				}
			n++;
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	*n_out = n;
	return 0;
}

bool
dmarc_record_is_dmarc(const char *txt)
{
	const char	*p = txt, *v;
	size_t		 n;

	while (is_wsp(*p))
		p++;
	if (*p != 'v' && *p != 'V')
		return false;
	p++;
	while (is_wsp(*p))
		p++;
	if (*p++ != '=')
		return false;
	while (is_wsp(*p))
		p++;
	v = p;
	n = strcspn(v, ";");
	trim(&v, &n);
	return n == 6 && memcmp(v, "DMARC1", 6) == 0;
}

static int
policy_parse(const struct tag *t, enum dmarc_policy *out)
{
	if (val_is(t, "none"))
		*out = DMARC_POLICY_NONE;
	else if (val_is(t, "quarantine"))
		*out = DMARC_POLICY_QUARANTINE;
	else if (val_is(t, "reject"))
		*out = DMARC_POLICY_REJECT;
	else
		return -1;
	return 0;
}

/* A decimal of at most digits digits not above max, or -1. */
static long
number(const struct tag *t, size_t digits, long max)
{
	long	v = 0;
	size_t	i;

	if (t->val_len == 0 || t->val_len > digits)
		return -1;
	for (i = 0; i < t->val_len; i++) {
		if (!isdigit((unsigned char)t->val[i]))
			return -1;
		v = v * 10 + (t->val[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* Does rua= hold at least one syntactically valid URI (RFC 3986
 * scheme ":" something; the "!size" suffix of RFC 7489 is allowed)? */
static bool
uri_list_ok(const char *s)
{
	const char	*p = s, *c;
	size_t		 n, i;

	while (*p != '\0') {
		n = strcspn(p, ",");
		c = p;
		trim(&c, &n);
		for (i = 0; i < n && c[i] != ':'; i++)
			if (!(isalpha((unsigned char)c[i]) || (i > 0 &&
			    (isdigit((unsigned char)c[i]) || c[i] == '+' ||
			    c[i] == '-' || c[i] == '.'))))
				break;
		if (i > 0 && i + 1 < n && c[i] == ':')
			return true;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return false;
}

static char *
dup_val(const struct tag *t)
{
	char	*s;

	if ((s = malloc(t->val_len + 1)) == NULL)
		return NULL;
	memcpy(s, t->val, t->val_len);
	s[t->val_len] = '\0';
	return s;
}

int
dmarc_record_parse(const char *txt, struct dmarc_record *rec,
    struct err *err)
{
	struct tag	 tags[RECORD_MAX_TAGS];
	const char	*bad = NULL;
	bool		 p_ok = false;
	size_t		 n, i;
	long		 v;
	char		**dst;

	memset(rec, 0, sizeof(*rec));
	if (!dmarc_record_is_dmarc(txt)) {
		err_set(err, DMARC_E_NOTDMARC, "not a DMARC record "
		    "(v=DMARC1 must come first)");
		return -1;
	}
	if (split(txt, tags, &n, err) == -1)
		return -1;
	rec->adkim = rec->aspf = DMARC_ALIGN_RELAXED;
	rec->pct = 100;
	rec->ri = 86400;
	rec->psd = DMARC_PSD_U;
	for (i = 1; i < n; i++) {
		const struct tag *t = &tags[i];

		if (tag_is(t, "p")) {
			if (policy_parse(t, &rec->p) == 0)
				p_ok = true;
			else
				bad = "p";
		} else if (tag_is(t, "sp")) {
			if (policy_parse(t, &rec->sp) == 0)
				rec->sp_set = true;
			else
				bad = bad ? bad : "sp";
		} else if (tag_is(t, "np")) {
			if (policy_parse(t, &rec->np) == 0)
				rec->np_set = true;
			else
				bad = bad ? bad : "np";
		} else if (tag_is(t, "adkim") || tag_is(t, "aspf")) {
			enum dmarc_align *a = tag_is(t, "adkim") ?
			    &rec->adkim : &rec->aspf;

			if (val_is(t, "s"))
				*a = DMARC_ALIGN_STRICT;
		} else if (tag_is(t, "pct")) {
			if ((v = number(t, 3, 100)) >= 0) {
				rec->pct = (int)v;
				rec->pct_set = true;
			}
		} else if (tag_is(t, "t")) {
			rec->testing = val_is(t, "y");
		} else if (tag_is(t, "psd")) {
			if (val_is(t, "y"))
				rec->psd = DMARC_PSD_Y;
			else if (val_is(t, "n"))
				rec->psd = DMARC_PSD_N;
		} else if (tag_is(t, "ri")) {
			if ((v = number(t, 9, 999999999L)) >= 0)
				rec->ri = (int)v;
		} else if (tag_is(t, "rua") || tag_is(t, "ruf") ||
		    tag_is(t, "fo")) {
			dst = tag_is(t, "rua") ? &rec->rua :
			    tag_is(t, "ruf") ? &rec->ruf : &rec->fo;
			if ((*dst = dup_val(t)) == NULL) {
				dmarc_record_fini(rec);
				err_set(err, ERR_NOMEM, "dmarc record: out of "
				    "memory");
				return -1;
			}
		}
		/* Unknown tags are ignored (RFC 9989 section 4.7). */
	}
	if (!p_ok || bad != NULL) {
		if (rec->rua == NULL || !uri_list_ok(rec->rua)) {
			err_set(err, DMARC_E_SYNTAX, "%s", bad == NULL ?
			    "no p= tag and no rua= to report to" :
			    strcmp(bad, "p") == 0 ? "bad p= value and no "
			    "rua= to report to" : "bad sp= or np= value and "
			    "no rua= to report to");
			dmarc_record_fini(rec);
			return -1;
		}
		/* RFC 7489 section 6.6.3 step 6: act as p=none. */
		rec->p = DMARC_POLICY_NONE;
		rec->p_from_rua = true;
		rec->sp_set = rec->np_set = false;
	}
	if (!rec->sp_set)
		rec->sp = rec->p;
	if (!rec->np_set)
		rec->np = rec->sp;
	return 0;
}

void
dmarc_record_fini(struct dmarc_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->rua);
	free(rec->ruf);
	free(rec->fo);
	rec->rua = rec->ruf = rec->fo = NULL;
}
