/*
 * tsig.c: TSIG keys and RFC 8945 signing and verification with the HMAC
 * of keys/mac.h (hmac-sha1, -sha224, -sha256, -sha384, -sha512; MD5
 * refused), and the message walker a server uses before it trusts any
 * parser (dns_msg_walk).  Used by timbre-primaryd (src/auth), timbre
 * notify and timbre-signd.
 *
 * Keys come from "_keys" files as DNSKEY records (docs/interface.md): the
 * label "_update", "_transfer" or "_notify" nearest the right names the
 * operation, the labels right of it the zone, the algorithm number the
 * HMAC (161 SHA1 ... 165 SHA512).  MACs are compared in constant time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dns/dns_priv.h"
#include "keys/mac.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

/* A key: what it may do and where (docs/interface.md), and its secret. */
struct dns_tsig_key {
	char		*name;		/* lower case, trailing dot */
	ldns_rdf	*owner;		/* the key's name */
	ldns_rdf	*zone;		/* labels right of the op label */
	enum dns_tsig_op op;	/* what it may do */
	const char	*alg;		/* "hmac-sha256." */
	enum key_hmac	 hmac;
	uint8_t		*secret;
	size_t		 len;
};

struct dns_tsig_keys {
	struct dns_tsig_key	**v;
	size_t			  n;
};

#define TSIG_MAX_DIGEST	(64 * 1024 + 1024)

static const struct {
	int		 dnskey;	/* DNSKEY algorithm number */
	const char	*name;		/* TSIG algorithm name */
	const char	*short_name;	/* "SHA256", as dns-cli writes it */
	enum key_hmac	 hmac;
} algs[] = {
	{ 161, "hmac-sha1.", "SHA1", KEY_HMAC_SHA1 },
	{ 162, "hmac-sha224.", "SHA224", KEY_HMAC_SHA224 },
	{ 163, "hmac-sha256.", "SHA256", KEY_HMAC_SHA256 },
	{ 164, "hmac-sha384.", "SHA384", KEY_HMAC_SHA384 },
	{ 165, "hmac-sha512.", "SHA512", KEY_HMAC_SHA512 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

int
dns_msg_walk(const uint8_t *p, size_t len, struct dns_msg_layout *l)
{
	struct dns_wire_rr	rr;
	size_t			off = DNS_WIRE_HDR, i, total;

	memset(l, 0, sizeof(*l));
	if (len < DNS_WIRE_HDR)
		return -1;
	l->id = dns_wire_peek16(p);
	l->flags = dns_wire_peek16(p + 2);
	l->qd = dns_wire_peek16(p + 4);
	l->an = dns_wire_peek16(p + 6);
	l->ns = dns_wire_peek16(p + 8);
	l->ar = dns_wire_peek16(p + 10);
	for (i = 0; i < l->qd; i++)
		if (dns_wire_question_skip(p, len, &off, DNS_WIRE_PTR) == -1)
			return -1;
	l->qend = off;
	total = (size_t)l->an + l->ns + l->ar;
	for (i = 0; i < total; i++) {
		if (dns_wire_rr_skip(p, len, &off, &rr) == -1)
			return -1;
		if (rr.type == LDNS_RR_TYPE_TSIG) {
			if (i != total - 1 || i < (size_t)l->an + l->ns)
				l->tsig_misplaced = 1;
			else
				l->tsig_off = rr.owner;
		}
		if (rr.type == LDNS_RR_TYPE_OPT &&
		    i >= (size_t)l->an + l->ns) {
			l->nopt++;
			if (p[rr.owner] != 0)
				l->opt_bad = 1;
		}
	}
	return off == len ? 0 : -1;
}

/* Appends the canonical (lower case, uncompressed) wire form of d. */
static int
put_dname(struct buf *b, const ldns_rdf *d, struct err *err)
{
	const uint8_t	*p = ldns_rdf_data(d);
	size_t		 i, n = ldns_rdf_size(d);
	uint8_t		 c;

	for (i = 0; i < n; i++) {
		c = (uint8_t)tolower(p[i]);
		if (buf_add(b, &c, 1, err) == -1)
			return -1;
	}
	return 0;
}

static int
put16(struct buf *b, uint16_t v, struct err *err)
{
	uint8_t	p[2] = { v >> 8, v };

	return buf_add(b, p, 2, err);
}

static int
put48(struct buf *b, uint64_t v, struct err *err)
{
	uint8_t	p[6] = { v >> 40, v >> 32, v >> 24, v >> 16, v >> 8, v };

	return buf_add(b, p, 6, err);
}

/*
 * Appends to the message in b a TSIG record of owner with RDATA rd and
 * counts it in ARCOUNT: all of it, or (-1, no memory) nothing, so that a
 * failure leaves the message as it was.
 */
static int
append_tsig(struct buf *b, const ldns_rdf *owner, const struct buf *rd,
    struct err *err)
{
	struct buf	r;
	uint16_t	ar;
	int		rc = -1;

	buf_init(&r, DNS_WIRE_NAME_MAX + 10 + rd->len);
	if (put_dname(&r, owner, err) == 0 &&
	    put16(&r, LDNS_RR_TYPE_TSIG, err) == 0 &&
	    put16(&r, LDNS_RR_CLASS_ANY, err) == 0 &&
	    buf_add(&r, "\0\0\0\0", 4, err) == 0 &&
	    put16(&r, rd->len, err) == 0 &&
	    buf_add(&r, rd->data, rd->len, err) == 0 &&
	    buf_add(b, r.data, r.len, err) == 0) {
		ar = dns_wire_peek16((uint8_t *)b->data + 10) + 1;
		b->data[10] = ar >> 8;
		b->data[11] = ar & 0xff;
		rc = 0;
	}
	buf_fini(&r);
	return rc;
}

/* Frees a DNSKEY record read from a "_keys" file, its RDATA (the TSIG
 * secret) wiped first. */
static void
key_rr_free(ldns_rr *rr)
{
	ldns_rdf	*rd;
	size_t		 i;

	if (rr == NULL)
		return;
	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		if ((rd = ldns_rr_rdf(rr, i)) != NULL)
			key_wipe(ldns_rdf_data(rd), ldns_rdf_size(rd));
	ldns_rr_free(rr);
}

struct dns_tsig_keys *
dns_tsig_keys_new(void)
{
	return calloc(1, sizeof(struct dns_tsig_keys));
}

void
dns_tsig_key_free(struct dns_tsig_key *k)
{
	if (k == NULL)
		return;
	free(k->name);
	ldns_rdf_deep_free(k->owner);
	ldns_rdf_deep_free(k->zone);
	if (k->secret != NULL) {
		key_wipe(k->secret, k->len);
		free(k->secret);
	}
	free(k);
}

void
dns_tsig_keys_free(struct dns_tsig_keys *ks)
{
	size_t	i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		dns_tsig_key_free(ks->v[i]);
	free(ks->v);
	free(ks);
}

size_t
dns_tsig_keys_count(const struct dns_tsig_keys *ks)
{
	return ks->n;
}

/* Finds the operation label from the right; sets op and the zone.  0,
 * 1 when the name has no such label, -1 without memory. */
static int
key_scope(struct dns_tsig_key *k)
{
	size_t		 n = ldns_dname_label_count(k->owner), i;
	ldns_rdf	*l;
	char		*s;

	for (i = n; i-- > 0;) {
		if ((l = ldns_dname_label(k->owner, i)) == NULL)
			return -1;
		s = ldns_rdf2str(l);
		ldns_rdf_deep_free(l);
		if (s == NULL)
			return -1;
		k->op = strcasecmp(s, "_update.") == 0 ? DNS_TSIG_OP_UPDATE :
		    strcasecmp(s, "_transfer.") == 0 ? DNS_TSIG_OP_TRANSFER :
		    strcasecmp(s, "_notify.") == 0 ? DNS_TSIG_OP_NOTIFY : 0;
		free(s);
		if (k->op != 0) {
			k->zone = ldns_dname_clone_from(k->owner, i + 1);
			return k->zone != NULL ? 0 : -1;
		}
	}
	return 1;
}

static struct dns_tsig_key *
key_new(const ldns_rdf *owner, int alg, const uint8_t *secret, size_t len,
    struct err *err)
{
	struct dns_tsig_key	*k;
	size_t		 i;
	char		*s;

	for (i = 0; i < NALGS && algs[i].dnskey != alg; i++)
		;
	if (i == NALGS) {
		err_set(err, DNS_E_KEY, alg == 157 ? "algorithm 157 "
		    "(hmac-md5) is not supported: use 163 (hmac-sha256)" :
		    "algorithm %d is not an HMAC (161-165)", alg);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->owner = ldns_rdf_clone(owner)) == NULL ||
	    (k->secret = malloc(len > 0 ? len : 1)) == NULL) {
		dns_tsig_key_free(k);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	ldns_dname2canonical(k->owner);
	memcpy(k->secret, secret, len);
	k->len = len;
	k->alg = algs[i].name;
	k->hmac = algs[i].hmac;
	if ((s = ldns_rdf2str(k->owner)) == NULL ||
	    (k->name = strdup(s)) == NULL) {
		free(s);
		dns_tsig_key_free(k);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	free(s);
	switch (key_scope(k)) {
	case 0:
		return k;
	case 1:
		err_set(err, DNS_E_KEY, "key %s has no _update, _transfer "
		    "or _notify label", k->name);
		break;
	default:
		err_set(err, ERR_NOMEM, "out of memory");
		break;
	}
	dns_tsig_key_free(k);
	return NULL;
}

/* The key named name, or NULL. */
static const struct dns_tsig_key *
keys_find(const struct dns_tsig_keys *ks, const ldns_rdf *name)
{
	size_t	i;

	if (ks == NULL)
		return NULL;
	for (i = 0; i < ks->n; i++)
		if (ldns_dname_compare(ks->v[i]->owner, name) == 0)
			return ks->v[i];
	return NULL;
}

static int
keys_add(struct dns_tsig_keys *ks, struct dns_tsig_key *k, struct err *err)
{
	struct dns_tsig_key	**v;

	if (keys_find(ks, k->owner) != NULL) {
		err_set(err, DNS_E_KEY, "key %s is defined twice", k->name);
		return -1;
	}
	if ((v = reallocarray(ks->v, ks->n + 1, sizeof(*v))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	ks->v = v;
	ks->v[ks->n++] = k;
	return 0;
}

int
dns_tsig_keys_load(struct dns_tsig_keys *ks, const char *file, const char *text,
    size_t len, struct err *err)
{
	FILE		*fp;
	ldns_rdf	*orig, *prev = NULL, *dom = NULL;
	ldns_rr		*rr;
	ldns_status	 st;
	struct dns_tsig_key	*k;
	uint32_t	 ttl = 0;
	int		 line = 0, rc = -1, scan_line = 1;
	size_t		 flen = strlen(file), scan_off = 0, from;
	long		 pos;

	if (flen > 6 && strcmp(file + flen - 6, "._keys") == 0) {
		char	name[256];

		snprintf(name, sizeof(name), "%.*s", (int)(flen - 6), file);
		if ((dom = dns_name_parse(name, err)) == NULL) {
			if (err != NULL && err->code == DNS_E_NAME)
				err_set(err, DNS_E_KEY, "%s: not a domain "
				    "name", file);
			return -1;
		}
	}
	if ((orig = ldns_dname_new_frm_str(".")) == NULL ||
	    (fp = fmemopen((void *)text, len, "r")) == NULL) {
		ldns_rdf_deep_free(orig);
		ldns_rdf_deep_free(dom);
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	while (len > 0 && !feof(fp)) {
		rr = NULL;
		from = (pos = ftell(fp)) < 0 ? scan_off : (size_t)pos;
		st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &orig, &prev, &line);
		/* ldns's own count differs between versions: see master.c. */
		pos = ftell(fp);
		line = dns_record_line(text, from, pos < 0 ? len : (size_t)pos,
		    &scan_off, &scan_line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (feof(fp) && rr == NULL &&
			    st == LDNS_STATUS_SYNTAX_ERR)
				break;
			err_set(err, st == LDNS_STATUS_MEM_ERR ? ERR_NOMEM :
			    DNS_E_KEY, "%s:%d: %s", file, line,
			    ldns_get_errorstr_by_id(st));
			goto done;
		}
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY ||
		    ldns_rr_rd_count(rr) != 4 ||
		    ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) != 3) {
			key_rr_free(rr);
			err_set(err, DNS_E_KEY, "%s:%d: not a DNSKEY record "
			    "with protocol 3", file, line);
			goto done;
		}
		k = key_new(ldns_rr_owner(rr),
		    ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)),
		    ldns_rdf_data(ldns_rr_rdf(rr, 3)),
		    ldns_rdf_size(ldns_rr_rdf(rr, 3)), err);
		key_rr_free(rr);
		if (k == NULL) {
			err_prefix(err, "%s:%d", file, line);
			goto done;
		}
		if (dom != NULL && ldns_dname_compare(k->zone, dom) != 0 &&
		    !ldns_dname_is_subdomain(k->zone, dom)) {
			err_set(err, DNS_E_KEY, "%s:%d: key %s is not for "
			    "a name in %s", file, line, k->name, file);
			dns_tsig_key_free(k);
			goto done;
		}
		if (keys_add(ks, k, err) == -1) {
			err_prefix(err, "%s:%d", file, line);
			dns_tsig_key_free(k);
			goto done;
		}
	}
	rc = 0;
done:
	fclose(fp);
	ldns_rdf_deep_free(orig);
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(dom);
	return rc;
}

/* Does the key act on all of zone (no zone labels, or zone is its zone
 * or below it)? */
static bool
key_whole_zone(const struct dns_tsig_key *k, const ldns_rdf *zone)
{
	return ldns_dname_label_count(k->zone) == 0 ||
	    dns_name_in_zone(zone, k->zone);
}

/* The underscore label that restricts k (the first of its zone labels,
 * "_acme-challenge"), in wire form (length octet first), or NULL. */
static const uint8_t *
key_leaf(const struct dns_tsig_key *k)
{
	const uint8_t	*w = ldns_rdf_data(k->zone);

	return ldns_rdf_size(k->zone) > 1 && w[0] > 1 && w[1] == '_' ?
	    w : NULL;
}

/*
 * An _update key whose zone labels begin with an underscore label
 * (certbot._update._acme-challenge.example.org.) may update the zone
 * named by the labels after it, and zones below, but only names having
 * that label (docs/interface.md): an ACME client's key can answer
 * challenges and do nothing else.  A zone at or below all its labels (a
 * delegated _acme-challenge zone) it updates whole, as before.
 */
int
dns_tsig_key_allows(const struct dns_tsig_key *k, enum dns_tsig_op op,
    const ldns_rdf *zone)
{
	ldns_rdf	*parent;
	int		 in;

	if (k == NULL || k->op < op)
		return 0;
	if (key_whole_zone(k, zone))
		return 1;
	if (op != DNS_TSIG_OP_UPDATE || key_leaf(k) == NULL ||
	    (parent = ldns_dname_left_chop(k->zone)) == NULL)
		return 0;
	in = ldns_dname_label_count(parent) == 0 ||
	    dns_name_in_zone(zone, parent);
	ldns_rdf_deep_free(parent);
	return in;
}

int
dns_tsig_key_allows_name(const struct dns_tsig_key *k, const ldns_rdf *zone,
    const ldns_rdf *name, struct err *err)
{
	const uint8_t	*leaf, *w = ldns_rdf_data(name);
	size_t		 i = 0, n = ldns_rdf_size(name);
	char		*s;

	if (key_whole_zone(k, zone) || (leaf = key_leaf(k)) == NULL)
		return 0;
	while (i < n && w[i] != 0 && i + 1 + w[i] <= n) {
		if (w[i] == leaf[0] && strncasecmp((const char *)w + i + 1,
		    (const char *)leaf + 1, leaf[0]) == 0)
			return 0;
		i += 1 + w[i];
	}
	s = ldns_rdf2str(name);
	err_set(err, DNS_E_KEY, "key %s may change only names with the "
	    "label %.*s, not %s", dns_tsig_key_name(k), (int)leaf[0],
	    (const char *)leaf + 1, s != NULL ? s : "this one");
	free(s);
	return -1;
}

struct dns_tsig_key *
dns_tsig_key_dup(const struct dns_tsig_key *k)
{
	struct dns_tsig_key	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	*d = *k;
	d->name = strdup(k->name);
	d->owner = ldns_rdf_clone(k->owner);
	d->zone = ldns_rdf_clone(k->zone);
	if ((d->secret = malloc(k->len > 0 ? k->len : 1)) != NULL)
		memcpy(d->secret, k->secret, k->len);
	if (d->name == NULL || d->owner == NULL || d->zone == NULL ||
	    d->secret == NULL) {
		dns_tsig_key_free(d);
		return NULL;
	}
	return d;
}

const char *
dns_tsig_key_name(const struct dns_tsig_key *k)
{
	return k->name;
}

struct dns_tsig_key *
dns_tsig_key_parse(const char *s, struct err *err)
{
	char		 name[256], alg[32];
	const char	*c1, *c2, *a;
	ldns_rdf	*owner;
	uint8_t		*secret;
	size_t		 len, i;
	struct dns_tsig_key	*k = NULL;

	if ((c1 = strchr(s, ':')) == NULL ||
	    (c2 = strchr(c1 + 1, ':')) == NULL ||
	    (size_t)(c1 - s) >= sizeof(name) ||
	    (size_t)(c2 - c1 - 1) >= sizeof(alg)) {
		err_set(err, DNS_E_KEY, "key: expected NAME:ALGORITHM:SECRET");
		return NULL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(c1 - s), s);
	snprintf(alg, sizeof(alg), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	a = strncasecmp(alg, "hmac-", 5) == 0 ? alg + 5 : alg;
	for (i = 0; i < NALGS; i++)
		if (strcasecmp(a, algs[i].short_name) == 0)
			break;
	if (i == NALGS) {
		err_set(err, DNS_E_KEY, "key: unknown algorithm %s", alg);
		return NULL;
	}
	if ((owner = dns_name_parse(name, err)) == NULL) {
		if (err != NULL && err->code == DNS_E_NAME)
			err_set(err, DNS_E_KEY, "key: bad name %s", name);
		return NULL;
	}
	if (b64_decode(c2 + 1, strcspn(c2 + 1, "\r\n"), &secret, &len,
	    err) == -1) {
		err_prefix(err, "key");
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	/* Keys without an operation label are fine for a client. */
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		key_wipe(secret, len);
		free(secret);
		ldns_rdf_deep_free(owner);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	k->owner = owner;
	k->secret = secret;
	k->len = len;
	k->alg = algs[i].name;
	k->hmac = algs[i].hmac;
	k->op = DNS_TSIG_OP_NOTIFY;
	ldns_dname2canonical(k->owner);
	if ((k->name = ldns_rdf2str(k->owner)) == NULL ||
	    (k->zone = ldns_dname_new_frm_str(".")) == NULL) {
		dns_tsig_key_free(k);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return k;
}

static int
tsig_mac(const struct dns_tsig_key *k, const struct buf *d, uint8_t *mac,
    size_t *maclen, struct err *err)
{
	return key_hmac(k->hmac, k->secret, k->len, d->data, d->len, mac,
	    maclen, err);
}

int
dns_tsig_sign(const struct dns_tsig_key *k, struct buf *b,
    const uint8_t *req_mac, size_t req_mac_len, const uint8_t *prior,
    size_t prior_len, time_t now, uint16_t error, uint8_t *mac_out,
    size_t *mac_len_out, struct err *err)
{
	struct buf	 d, rd;
	ldns_rdf	*alg = NULL;
	uint8_t		 mac[KEY_HMAC_MAX];
	size_t		 maclen = 0;
	int		 rc = -1;

	buf_init(&d, TSIG_MAX_DIGEST);
	buf_init(&rd, 1024);
	if (b->len < 12) {
		err_set(err, ERR_ARG, "tsig: no message");
		goto done;
	}
	if ((alg = ldns_dname_new_frm_str(k->alg)) == NULL) {
		err_set(err, ERR_NOMEM, "tsig: out of memory");
		goto done;
	}
	if (prior != NULL) {
		if (put16(&d, prior_len, err) == -1 ||
		    buf_add(&d, prior, prior_len, err) == -1 ||
		    buf_add(&d, b->data, b->len, err) == -1 ||
		    put48(&d, now, err) == -1 ||
		    put16(&d, DNS_TSIG_FUDGE, err) == -1)
			goto done;
	} else {
		if (req_mac != NULL && (put16(&d, req_mac_len, err) == -1 ||
		    buf_add(&d, req_mac, req_mac_len, err) == -1))
			goto done;
		if (buf_add(&d, b->data, b->len, err) == -1 ||
		    put_dname(&d, k->owner, err) == -1 ||
		    put16(&d, LDNS_RR_CLASS_ANY, err) == -1 ||
		    buf_add(&d, "\0\0\0\0", 4, err) == -1 ||
		    put_dname(&d, alg, err) == -1 ||
		    put48(&d, now, err) == -1 ||
		    put16(&d, DNS_TSIG_FUDGE, err) == -1 ||
		    put16(&d, error, err) == -1 ||
		    put16(&d, error == 18 ? 6 : 0, err) == -1 ||
		    (error == 18 && put48(&d, now, err) == -1))
			goto done;
	}
	if (tsig_mac(k, &d, mac, &maclen, err) == -1)
		goto done;
	if (put_dname(&rd, alg, err) == -1 || put48(&rd, now, err) == -1 ||
	    put16(&rd, DNS_TSIG_FUDGE, err) == -1 ||
	    put16(&rd, maclen, err) == -1 ||
	    buf_add(&rd, mac, maclen, err) == -1 ||
	    buf_add(&rd, b->data, 2, err) == -1 ||
	    put16(&rd, error, err) == -1 ||
	    put16(&rd, error == 18 ? 6 : 0, err) == -1 ||
	    (error == 18 && put48(&rd, now, err) == -1) ||
	    append_tsig(b, k->owner, &rd, err) == -1)
		goto done;
	if (mac_out != NULL) {
		memcpy(mac_out, mac, maclen);
		*mac_len_out = maclen;
	}
	rc = 0;
done:
	ldns_rdf_deep_free(alg);
	buf_fini(&d);
	buf_fini(&rd);
	return rc;
}

/* The fields of a TSIG record. */
struct tsig_rr {
	ldns_rdf	*name, *alg;
	uint64_t	 time;
	uint16_t	 fudge, error, otherlen, origid;
	const uint8_t	*mac, *other;
	size_t		 maclen;
	uint16_t	 class;
	uint32_t	 ttl;
};

static void
tsig_rr_fini(struct tsig_rr *t)
{
	ldns_rdf_deep_free(t->name);
	ldns_rdf_deep_free(t->alg);
}

/*
 * The TSIG record at off (RFC 8945 section 4.2): the record by the wire
 * reader, its names by ldns (which gives the rdfs compared and signed),
 * then the RDATA's fields, each read inside the RDATA.  -1 with err
 * (DNS_E_MALFORMED, ERR_NOMEM).
 */
static int
tsig_parse(const uint8_t *p, size_t len, size_t off, struct tsig_rr *t,
    struct err *err)
{
	struct dns_wire_rr	rr;
	size_t			pos = off, end;
	uint16_t		time_hi, maclen;
	uint32_t		time_lo;
	ldns_status		st = LDNS_STATUS_OK;

	memset(t, 0, sizeof(*t));
	if (dns_wire_rr_skip(p, len, &pos, &rr) == -1)
		goto fail;
	pos = rr.owner;
	if ((st = ldns_wire2dname(&t->name, p, len, &pos)) !=
	    LDNS_STATUS_OK || pos != rr.fixed)
		goto fail;
	t->class = rr.class;
	t->ttl = rr.ttl;
	end = rr.rdata + rr.rdlen;
	pos = rr.rdata;
	if ((st = ldns_wire2dname(&t->alg, p, len, &pos)) != LDNS_STATUS_OK ||
	    dns_wire_u16(p, end, &pos, &time_hi) == -1 ||
	    dns_wire_u32(p, end, &pos, &time_lo) == -1 ||
	    dns_wire_u16(p, end, &pos, &t->fudge) == -1 ||
	    dns_wire_u16(p, end, &pos, &maclen) == -1)
		goto fail;
	t->time = (uint64_t)time_hi << 32 | time_lo;
	t->maclen = maclen;
	t->mac = p + pos;
	if (dns_wire_skip(end, &pos, t->maclen) == -1 ||
	    dns_wire_u16(p, end, &pos, &t->origid) == -1 ||
	    dns_wire_u16(p, end, &pos, &t->error) == -1 ||
	    dns_wire_u16(p, end, &pos, &t->otherlen) == -1 ||
	    end - pos != t->otherlen)
		goto fail;
	t->other = p + pos;
	return 0;
fail:
	/* The names read so far are the caller's only on success. */
	tsig_rr_fini(t);
	memset(t, 0, sizeof(*t));
	if (st == LDNS_STATUS_MEM_ERR)
		err_set(err, ERR_NOMEM, "tsig: out of memory");
	else
		err_set(err, DNS_E_MALFORMED, "tsig: malformed message");
	return -1;
}

int
dns_tsig_verify(const struct dns_tsig_keys *ks, const struct dns_tsig_key *only,
    const uint8_t *p, size_t len, const uint8_t *req_mac,
    size_t req_mac_len, time_t now, const struct dns_tsig_key **key_out,
    uint8_t *mac_out, size_t *mac_len_out, uint16_t *tsig_error_out,
    struct err *err)
{
	struct dns_msg_layout	 l;
	struct tsig_rr		 t;
	const struct dns_tsig_key	*k;
	struct buf		 d;
	uint8_t			 mac[KEY_HMAC_MAX], hdr[12];
	size_t			 maclen;
	ldns_rdf		*alg = NULL;
	int			 rc = 0;

	if (dns_msg_walk(p, len, &l) == -1 || l.tsig_off == 0) {
		err_set(err, DNS_E_MALFORMED, "tsig: malformed message");
		return -1;
	}
	if (tsig_parse(p, len, l.tsig_off, &t, err) == -1)
		return -1;
	buf_init(&d, TSIG_MAX_DIGEST);
	k = only != NULL ? (ldns_dname_compare(only->owner, t.name) == 0 ?
	    only : NULL) : keys_find(ks, t.name);
	if (k != NULL && (alg = ldns_dname_new_frm_str(k->alg)) == NULL) {
		err_set(err, ERR_NOMEM, "tsig: out of memory");
		rc = -1;
		goto done;
	}
	if (k == NULL || ldns_dname_compare(alg, t.alg) != 0) {
		*tsig_error_out = DNS_TSIG_BADKEY;
		goto done;
	}
	memcpy(hdr, p, 12);
	hdr[0] = t.origid >> 8;
	hdr[1] = t.origid & 0xff;
	hdr[10] = (l.ar - 1) >> 8;
	hdr[11] = (l.ar - 1) & 0xff;
	if ((req_mac != NULL && (put16(&d, req_mac_len, err) == -1 ||
	    buf_add(&d, req_mac, req_mac_len, err) == -1)) ||
	    buf_add(&d, hdr, 12, err) == -1 ||
	    buf_add(&d, p + 12, l.tsig_off - 12, err) == -1 ||
	    put_dname(&d, t.name, err) == -1 ||
	    put16(&d, t.class, err) == -1 ||
	    put16(&d, t.ttl >> 16, err) == -1 ||
	    put16(&d, t.ttl & 0xffff, err) == -1 ||
	    put_dname(&d, t.alg, err) == -1 ||
	    put48(&d, t.time, err) == -1 || put16(&d, t.fudge, err) == -1 ||
	    put16(&d, t.error, err) == -1 ||
	    put16(&d, t.otherlen, err) == -1 ||
	    buf_add(&d, t.other, t.otherlen, err) == -1 ||
	    tsig_mac(k, &d, mac, &maclen, err) == -1) {
		rc = -1;
		goto done;
	}
	if (t.maclen != maclen || !key_mem_equal(mac, t.mac, maclen)) {
		*tsig_error_out = DNS_TSIG_BADSIG;
		goto done;
	}
	*key_out = k;
	memcpy(mac_out, t.mac, maclen);
	*mac_len_out = maclen;
	if ((uint64_t)now > t.time + t.fudge ||
	    t.time > (uint64_t)now + t.fudge)
		*tsig_error_out = DNS_TSIG_BADTIME;
	else
		*tsig_error_out = DNS_TSIG_NOERROR;
done:
	ldns_rdf_deep_free(alg);
	tsig_rr_fini(&t);
	buf_fini(&d);
	return rc;
}

int
dns_tsig_append_error(struct buf *b, const uint8_t *p, size_t len,
    size_t off, uint16_t error, struct err *err)
{
	struct tsig_rr	t;
	struct buf	rd;
	int		rc = -1;

	if (tsig_parse(p, len, off, &t, err) == -1)
		return -1;
	buf_init(&rd, 1024);
	if (put_dname(&rd, t.alg, err) == -1 ||
	    put48(&rd, t.time, err) == -1 || put16(&rd, t.fudge, err) == -1 ||
	    put16(&rd, 0, err) == -1 || buf_add(&rd, b->data, 2, err) == -1 ||
	    put16(&rd, error, err) == -1 || put16(&rd, 0, err) == -1 ||
	    append_tsig(b, t.name, &rd, err) == -1)
		goto done;
	rc = 0;
done:
	tsig_rr_fini(&t);
	buf_fini(&rd);
	return rc;
}
