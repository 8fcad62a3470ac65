/*
 * psl.c: the Public Suffix List (https://publicsuffix.org/list/), which
 * RFC 7489 section 3.2 uses to find a domain's organisational domain: the
 * public suffix plus one label.  RFC 9989 replaced it with the DNS tree
 * walk; timbre keeps it for --dmarc-mode rfc7489.
 *
 * The rules are kept sorted and looked up with bsearch(), one look-up per
 * label of the name.  The algorithm is the list's own: the longest
 * matching rule wins, an exception rule ("!") beats every other and
 * removes its leftmost label, and a name no rule matches has the
 * implicit rule "*".  The caller reads the file; this code does no I/O.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc.h"
#include "util/err.h"

struct dmarc_psl {
	char	**rules;	/* lower case, sorted; "*.ck", "!www.ck" */
	size_t	  n;
	char	 *text;		/* the strings the rules point into */
};

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct dmarc_psl *
dmarc_psl_new(const char *data, size_t len, struct err *err)
{
	struct dmarc_psl	*psl;
	size_t			 i, cap = 0, tok;
	char			*p, *end, *line;

	if ((psl = calloc(1, sizeof(*psl))) == NULL ||
	    (psl->text = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(psl->text, data, len);
	psl->text[len] = '\0';
	for (i = 0; i < len; i++)
		if (psl->text[i] == '\0')
			psl->text[i] = '\n';
	for (p = psl->text; *p != '\0'; p = end) {
		end = p + strcspn(p, "\n");
		if (*end == '\n')
			*end++ = '\0';
		line = p + strspn(p, " \t\r");
		tok = strcspn(line, " \t\r");
		if (tok == 0 || (line[0] == '/' && line[1] == '/'))
			continue;
		line[tok] = '\0';
		for (i = 0; i < tok; i++)
			line[i] = (char)tolower((unsigned char)line[i]);
		if (psl->n == cap) {
			char	**v;

			cap = cap ? cap * 2 : 1024;
			if ((v = reallocarray(psl->rules, cap, sizeof(*v)))
			    == NULL)
				goto nomem;
			psl->rules = v;
		}
		psl->rules[psl->n++] = line;
	}
	if (psl->n == 0) {
		err_set(err, DMARC_E_PSL, "the public suffix list holds no "
		    "rule");
		dmarc_psl_free(psl);
		return NULL;
	}
	qsort(psl->rules, psl->n, sizeof(*psl->rules), rule_cmp);
	return psl;
nomem:
	err_set(err, ERR_NOMEM, "public suffix list: out of memory");
	dmarc_psl_free(psl);
	return NULL;
}

void
dmarc_psl_free(struct dmarc_psl *psl)
{
	if (psl == NULL)
		return;
	free(psl->rules);
	free(psl->text);
	free(psl);
}

size_t
dmarc_psl_count(const struct dmarc_psl *psl)
{
	return psl->n;
}

static bool
has(const struct dmarc_psl *psl, const char *prefix, const char *name)
{
	char	 key[DNS_MAX_NAME + 4];
	char	*k = key;

	if (strlen(prefix) + strlen(name) >= sizeof(key))
		return false;
	strcpy(key, prefix);
	strcat(key, name);
	return bsearch(&k, psl->rules, psl->n, sizeof(*psl->rules),
	    rule_cmp) != NULL;
}

int
dmarc_psl_org_domain(const struct dmarc_psl *psl, const char *domain,
    char *out, size_t n)
{
	const char	*label[DNS_MAX_NAME / 2 + 2];
	char		 name[DNS_MAX_NAME + 1];
	size_t		 nl = 0, k, suffix = 1, len, i;

	len = strlen(domain);
	if (!dmarc_name_is_valid(domain, len))
		return -1;
	if (domain[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)domain[i]);
	name[len] = '\0';
	/* label[k] is the name from its (k+1)-th label from the right. */
	label[nl++] = name + len;
	for (i = len; i > 0; i--)
		if (name[i - 1] == '.')
			label[nl++] = name + i;
	label[nl++] = name;
	/* label[0] is "", label[1] the TLD, ... label[nl - 1] the name. */
	nl--;
	for (k = 1; k <= nl; k++)
		if (has(psl, "", label[k]) || (k >= 2 &&
		    has(psl, "*.", label[k - 1])))
			suffix = k;
	/* An exception beats every other rule. */
	for (k = 1; k <= nl; k++)
		if (has(psl, "!", label[k])) {
			suffix = k - 1;
			break;
		}
	k = suffix + 1 <= nl ? suffix + 1 : nl;
	if (strlen(label[k]) + 1 > n)
		return -1;
	strcpy(out, label[k]);
	return 0;
}
