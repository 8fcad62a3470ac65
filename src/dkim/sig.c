/*
 * sig.c: reading DKIM-Signature fields (RFC 6376 sections 3.5 and 6.1.1,
 * RFC 8301, RFC 8463), with the first steps that the ARC-Message-Signature
 * and the ARC-Seal share (RFC 8617 section 4.1), and key records (section
 * 3.6.1), and the header hash both signing and verifying compute (section
 * 3.7 and 5.4.2).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_priv.h"
#include "keys/key.h"
#include "mail/mail.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

const char *
dkim_alg_name(enum dkim_alg alg)
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		return "rsa-sha256";
	case DKIM_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	case DKIM_ALG_RSA_SHA1:
		return "rsa-sha1";
	}
	return "unknown";
}

const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_PASS:
		return "pass";
	case DKIM_EXPIRED:
		return "expired";
	case DKIM_FAIL:
		return "fail";
	case DKIM_TEMPFAIL:
		return "temperror";
	}
	return "unknown";
}

bool
dkim_list_has(const char *list, size_t len, const char *word)
{
	size_t	i = 0, start, end, n = strlen(word);

	while (i <= len) {
		while (i < len && isspace((unsigned char)list[i]))
			i++;
		start = i;
		while (i < len && list[i] != ':')
			i++;
		end = i;
		while (end > start && isspace((unsigned char)list[end - 1]))
			end--;
		if (end - start == n && strncasecmp(list + start, word, n) == 0)
			return true;
		i++;
	}
	return false;
}

bool
dkim_domain_is_valid(const char *d)
{
	size_t	label = 0, len = strlen(d), i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 || len > 1;
}

bool
dkim_domain_within(const char *sub, const char *dom)
{
	size_t	ls = strlen(sub), ld = strlen(dom);

	if (ls == ld)
		return strcasecmp(sub, dom) == 0;
	return ls > ld && sub[ls - ld - 1] == '.' &&
	    strcasecmp(sub + ls - ld, dom) == 0;
}

char *
dkim_key_name(const char *selector, const char *domain)
{
	char	*s;
	size_t	 n;

	n = strlen(selector) + strlen(domain) + sizeof("._domainkey.");
	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%s._domainkey.%s", selector, domain);
	if (!dkim_domain_is_valid(s)) {
		free(s);
		return NULL;
	}
	return s;
}

int
dkim_key_name_check(const char *selector, const char *domain, int code,
    struct err *err)
{
	char	*kn;

	if (!dkim_domain_is_valid(domain)) {
		err_set(err, code, "d= is not a domain name");
		return -1;
	}
	if ((kn = dkim_key_name(selector, domain)) == NULL) {
		err_set(err, code, "s= is not a usable selector");
		return -1;
	}
	free(kn);
	return 0;
}

int
dkim_sig_tags_parse(const char *v, size_t len, const char *const *required,
    size_t nreq, int code, struct dkim_tags *tags_out, char **domain_out,
    char **selector_out, struct err *err)
{
	const struct dkim_tag	*t;
	size_t			 i;

	if (dkim_tags_parse(v, len, tags_out, err) == -1)
		return -1;
	/* Name the domain and selector even if something else is wrong. */
	if (((t = dkim_tags_get(tags_out, "d")) != NULL &&
	    (*domain_out = dkim_tag_dup(t)) == NULL) ||
	    ((t = dkim_tags_get(tags_out, "s")) != NULL &&
	    (*selector_out = dkim_tag_dup(t)) == NULL)) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < nreq; i++)
		if (dkim_tags_get(tags_out, required[i]) == NULL) {
			err_set(err, code, "required tag %s= missing",
			    required[i]);
			return -1;
		}
	return 0;
}

int
dkim_sig_parse(const char *raw, size_t len, size_t value_off,
    struct dkim_sig *sig, struct err *err)
{
	struct dkim_tags	 tags;
	const struct dkim_tag	*t, *tb;
	static const char *const required[] = { "v", "a", "b", "bh", "d",
	    "h", "s" };
	const char		*at;
	size_t			 i;

	memset(sig, 0, sizeof(*sig));
	sig->limit = sig->timestamp = sig->expires = -1;
	if (dkim_sig_tags_parse(raw + value_off, len - value_off, required,
	    sizeof(required) / sizeof(required[0]), DKIM_E_SIG, &tags,
	    &sig->domain, &sig->selector, err) == -1)
		return -1;
	if (!dkim_tag_is(dkim_tags_get(&tags, "v"), "1")) {
		err_set(err, DKIM_E_SIG, "unsupported version v=%.*s",
		    (int)dkim_tags_get(&tags, "v")->val_len,
		    dkim_tags_get(&tags, "v")->val);
		return -1;
	}
	if (dkim_tag_alg(dkim_tags_get(&tags, "a"), DKIM_E_SIG, &sig->alg,
	    err) == -1 ||
	    dkim_tag_canon(dkim_tags_get(&tags, "c"), DKIM_E_SIG,
	    &sig->hdr_canon, &sig->body_canon, err) == -1 ||
	    dkim_key_name_check(sig->selector, sig->domain, DKIM_E_SIG,
	    err) == -1)
		return -1;
	if ((t = dkim_tags_get(&tags, "i")) != NULL) {
		if ((sig->auid = dkim_tag_dup(t)) == NULL)
			goto nomem;
		if ((at = strrchr(sig->auid, '@')) == NULL) {
			err_set(err, DKIM_E_SIG, "i= has no \"@\"");
			return -1;
		}
		if (!dkim_domain_within(at + 1, sig->domain)) {
			err_set(err, DKIM_E_SIG, "i= domain %s is not d= or a "
			    "subdomain of it", at + 1);
			return -1;
		}
	} else {
		if ((sig->auid = malloc(strlen(sig->domain) + 2)) == NULL)
			goto nomem;
		sig->auid[0] = '@';
		strcpy(sig->auid + 1, sig->domain);
	}
	t = dkim_tags_get(&tags, "h");
	if ((sig->hlist = dkim_tag_strip(t)) == NULL)
		goto nomem;
	if (!dkim_list_has(sig->hlist, strlen(sig->hlist), "from")) {
		err_set(err, DKIM_E_SIG, "h= does not include From");
		return -1;
	}
	if (sig->hlist[0] == ':' || strstr(sig->hlist, "::") != NULL ||
	    sig->hlist[strlen(sig->hlist) - 1] == ':') {
		err_set(err, DKIM_E_SIG, "h= has an empty field name");
		return -1;
	}
	if ((t = dkim_tags_get(&tags, "q")) != NULL &&
	    !dkim_list_has(t->val, t->val_len, "dns/txt")) {
		err_set(err, DKIM_E_SIG, "q= does not offer dns/txt");
		return -1;
	}
	if (((t = dkim_tags_get(&tags, "l")) != NULL &&
	    dkim_tag_uint(t, DKIM_E_SIG, &sig->limit, err) == -1) ||
	    ((t = dkim_tags_get(&tags, "t")) != NULL &&
	    dkim_tag_uint(t, DKIM_E_SIG, &sig->timestamp, err) == -1) ||
	    ((t = dkim_tags_get(&tags, "x")) != NULL &&
	    dkim_tag_uint(t, DKIM_E_SIG, &sig->expires, err) == -1))
		return -1;
	if (sig->timestamp >= 0 && sig->expires >= 0 &&
	    sig->expires < sig->timestamp) {
		err_set(err, DKIM_E_SIG, "x= is earlier than t=");
		return -1;
	}
	tb = dkim_tags_get(&tags, "b");
	for (i = 0; i < tb->val_len && i < 8; i++)
		sig->b_prefix[i] = tb->val[i];
	sig->b_prefix[i] = '\0';
	if (dkim_tag_b64(tb, DKIM_E_SIG, &sig->b, &sig->b_len, err) == -1 ||
	    dkim_tag_b64(dkim_tags_get(&tags, "bh"), DKIM_E_SIG, &sig->bh,
	    &sig->bh_len, err) == -1)
		return -1;
	if (sig->b_len == 0) {
		err_set(err, DKIM_E_SIG, "b= is empty");
		return -1;
	}
	if (sig->alg != DKIM_ALG_RSA_SHA1 && sig->bh_len != KEY_SHA256_LEN) {
		err_set(err, DKIM_E_SIG, "bh= is %zu bytes, not the 32 of a "
		    "SHA-256 hash", sig->bh_len);
		return -1;
	}
	/* The field with b='s value (and the FWS around it) removed. */
	if ((sig->unsigned_raw = dkim_field_without_b(raw, len, value_off, tb,
	    &sig->unsigned_len)) == NULL)
		goto nomem;
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

char *
dkim_field_without_b(const char *raw, size_t len, size_t value_off,
    const struct dkim_tag *b, size_t *len_out)
{
	char	*out;
	size_t	 n;

	n = len - (b->val_end - b->val_off);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, raw, value_off + b->val_off);
	memcpy(out + value_off + b->val_off, raw + value_off + b->val_end,
	    len - value_off - b->val_end);
	out[n] = '\0';
	*len_out = n;
	return out;
}

void
dkim_sig_fini(struct dkim_sig *sig)
{
	free(sig->domain);
	free(sig->selector);
	free(sig->auid);
	free(sig->hlist);
	free(sig->b);
	free(sig->bh);
	free(sig->unsigned_raw);
	memset(sig, 0, sizeof(*sig));
}

int
dkim_keyrec_parse(const char *txt, struct dkim_keyrec *rec, struct err *err)
{
	struct dkim_tags	 tags;
	const struct dkim_tag	*t;
	uint8_t			*der;
	size_t			 der_len;

	memset(rec, 0, sizeof(*rec));
	rec->key_type = KEY_RSA;
	rec->sha256_ok = true;
	if (dkim_tags_parse(txt, strlen(txt), &tags, err) == -1) {
		err_prefix(err, "key record");
		err->code = DKIM_E_KEYREC;
		return -1;
	}
	if ((t = dkim_tags_get(&tags, "v")) != NULL && !dkim_tag_is(t, "DKIM1")) {
		err_set(err, DKIM_E_KEYREC, "key record has v=%.*s, not DKIM1",
		    (int)t->val_len, t->val);
		return -1;
	}
	if ((t = dkim_tags_get(&tags, "h")) != NULL)
		rec->sha256_ok = dkim_list_has(t->val, t->val_len, "sha256");
	if ((t = dkim_tags_get(&tags, "k")) != NULL) {
		if (dkim_tag_is(t, "rsa"))
			rec->key_type = KEY_RSA;
		else if (dkim_tag_is(t, "ed25519"))
			rec->key_type = KEY_ED25519;
		else {
			err_set(err, DKIM_E_KEYREC, "unknown key type k=%.*s",
			    (int)t->val_len, t->val);
			return -1;
		}
	}
	if ((t = dkim_tags_get(&tags, "s")) != NULL &&
	    !dkim_list_has(t->val, t->val_len, "*") &&
	    !dkim_list_has(t->val, t->val_len, "email")) {
		err_set(err, DKIM_E_KEYREC, "key is not for email (s=%.*s)",
		    (int)t->val_len, t->val);
		return -1;
	}
	if ((t = dkim_tags_get(&tags, "t")) != NULL) {
		rec->testing = dkim_list_has(t->val, t->val_len, "y");
		rec->strict = dkim_list_has(t->val, t->val_len, "s");
	}
	if ((t = dkim_tags_get(&tags, "p")) == NULL) {
		err_set(err, DKIM_E_KEYREC, "key record has no p=");
		return -1;
	}
	if (t->val_len == 0) {
		rec->revoked = true;
		return 0;
	}
	if (b64_decode(t->val, t->val_len, &der, &der_len, err) == -1) {
		err_prefix(err, "key record p=");
		err->code = DKIM_E_KEYREC;
		return -1;
	}
	rec->key = key_from_public(rec->key_type, der, der_len, err);
	free(der);
	if (rec->key == NULL) {
		err_prefix(err, "key record");
		return -1;
	}
	return 0;
}

void
dkim_keyrec_fini(struct dkim_keyrec *rec)
{
	key_free(rec->key);
	rec->key = NULL;
}

int
dkim_header_hash(const struct mail_hdrs *hdrs, const char *hlist,
    enum dkim_canon canon, const char *sigraw, size_t siglen,
    uint8_t out[32], struct err *err)
{
	const struct mail_field	*f;
	struct buf		 b;
	size_t			 nf = mail_hdrs_count(hdrs), start, end, i, j,
				 n;
	char			 name[256];
	unsigned char		*used = NULL;
	int			 rc = -1;

	buf_init(&b, DKIM_MAX_HDR_BYTES);
	if (nf > 0 && (used = calloc(nf, 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (start = 0; hlist[start] != '\0'; start = end + 1) {
		end = start + strcspn(hlist + start, ":");
		while (start < end && isspace((unsigned char)hlist[start]))
			start++;
		n = end - start;
		while (n > 0 && isspace((unsigned char)hlist[start + n - 1]))
			n--;
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, hlist + start, n);
			name[n] = '\0';
			/* The last instance not yet used, from the bottom up;
			 * a name with none left contributes nothing. */
			for (i = nf; i > 0; i--) {
				j = i - 1;
				f = mail_hdrs_at(hdrs, j);
				if (!used[j] && mail_field_is_named(f, name)) {
					used[j] = 1;
					if (dkim_canon_header(canon, f->raw,
					    f->raw_len, &b, err) == -1)
						goto out;
					break;
				}
			}
		}
		if (hlist[end] == '\0')
			break;
	}
	if (dkim_canon_header(canon, sigraw, siglen, &b, err) == -1)
		goto out;
	/* The signature field is hashed without its final CRLF. */
	key_sha256(b.data, b.len - 2, out);
	rc = 0;
out:
	if (rc == -1)
		err_prefix(err, "header hash");
	free(used);
	buf_fini(&b);
	return rc;
}
