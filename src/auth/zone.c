/*
 * zone.c: zones from master files (RFC 1035 section 5: $ORIGIN, $TTL,
 * relative names, every type ldns knows), checked before they are
 * served: one SOA, at the apex; NS at the apex; no CNAME beside other
 * data (RFC 1034 section 3.6.2, RFC 2181 section 10.1); nothing outside
 * the zone; an address for every NS host inside the zone (glue).
 * $INCLUDE is refused: a zone file from git must not read local files.
 *
 * Records are kept in one array sorted in canonical order (RFC 4034
 * section 6.1), so a name's descendants follow it and a name "exists"
 * (RFC 4592 section 2.2.2, empty non-terminals included) when the first
 * record at or after it is the name or below it.  A loaded zone keeps its
 * text and where each record stands in it, for zonetext.c.  Serials
 * follow RFC 1982; the next one after a push that forgot it follows one
 * of Knot DNS's three policies (auth_serial_next).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define ZONE_DEFAULT_TTL	3600
#define ZONE_MAX_RECORDS	1000000

static int
zrr_cmp(const void *a, const void *b)
{
	const ldns_rr	*x = ((const struct auth_zrr *)a)->rr;
	const ldns_rr	*y = ((const struct auth_zrr *)b)->rr;
	int		 c;

	if ((c = ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(y))) != 0)
		return c;
	if (ldns_rr_get_type(x) != ldns_rr_get_type(y))
		return ldns_rr_get_type(x) < ldns_rr_get_type(y) ? -1 : 1;
	return ldns_rr_compare(x, y);
}

size_t
auth_zone_key(const ldns_rdf *name, uint8_t *key_out, size_t *ends_out,
    size_t *nlabels_out)
{
	const uint8_t	*d = ldns_rdf_data(name);
	size_t		 size = ldns_rdf_size(name);
	size_t		 at[AUTH_ZONE_MAX_LABELS];
	size_t		 nl = 0, i, k, len = 0, ll;
	uint8_t		 c;

	/* The labels' starts, left to right; a bad name ends early. */
	for (i = 0; i < size && d[i] != 0 && (d[i] & 0xc0) == 0 &&
	    i + 1 + d[i] <= size && nl < AUTH_ZONE_MAX_LABELS - 1;
	    i += 1 + d[i])
		at[nl++] = i;
	if (ends_out != NULL)
		ends_out[0] = 0;
	for (k = 0; k < nl; k++) {
		i = at[nl - 1 - k];
		for (ll = d[i++]; ll > 0; ll--, i++) {
			c = d[i];
			if (c <= 1) {
				key_out[len++] = 1;
				key_out[len++] = c + 1;
			} else
				key_out[len++] = c >= 'A' && c <= 'Z' ?
				    c - 'A' + 'a' : c;
		}
		key_out[len++] = 0;
		if (ends_out != NULL)
			ends_out[k + 1] = len;
	}
	if (nlabels_out != NULL)
		*nlabels_out = nl;
	return len;
}

/* memcmp order of record i's key and key[0..len). */
static int
key_cmp(const struct auth_zone *z, size_t i, const uint8_t *key, size_t len)
{
	size_t	from = i > 0 ? z->kend[i - 1] : 0, n = z->kend[i] - from;
	int	c = memcmp(z->kbuf + from, key, n < len ? n : len);

	if (c != 0)
		return c;
	return n < len ? -1 : n > len;
}

/* Is name (key[0..len)) record i's owner or an ancestor of it? */
static int
key_is_at_or_above(const struct auth_zone *z, size_t i, const uint8_t *key,
    size_t len)
{
	size_t	from = i > 0 ? z->kend[i - 1] : 0;

	return z->kend[i] - from >= len &&
	    memcmp(z->kbuf + from, key, len) == 0;
}

static size_t
zone_lower_key(const struct auth_zone *z, const uint8_t *key, size_t len)
{
	size_t	lo = 0, hi = z->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(z, mid, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
auth_zone_lower(const struct auth_zone *z, const ldns_rdf *name)
{
	uint8_t	key[AUTH_ZONE_KEY_MAX];

	return zone_lower_key(z, key, auth_zone_key(name, key, NULL, NULL));
}

const uint8_t *
auth_zone_rr_key(const struct auth_zone *z, size_t i, size_t *len_out)
{
	size_t	from = i > 0 ? z->kend[i - 1] : 0;

	*len_out = z->kend[i] - from;
	return z->kbuf + from;
}

/* The records of an NSEC3 chain (hidden) are passed over: a hashed owner
 * neither exists nor makes its apex exist (RFC 5155 section 7.2.8). */
int
auth_zone_name_exists_key(const struct auth_zone *z, const uint8_t *key,
    size_t len)
{
	size_t	i = zone_lower_key(z, key, len);

	while (i < z->n && z->v[i].hidden && key_is_at_or_above(z, i, key, len))
		i++;
	return i < z->n && key_is_at_or_above(z, i, key, len);
}

bool
auth_zone_has_data_key(const struct auth_zone *z, const uint8_t *key,
    size_t len)
{
	size_t	i = zone_lower_key(z, key, len);

	for (; i < z->n && key_cmp(z, i, key, len) == 0; i++)
		if (!z->v[i].hidden)
			return true;
	return false;
}

int
auth_zone_name_exists(const struct auth_zone *z, const ldns_rdf *name)
{
	uint8_t	key[AUTH_ZONE_KEY_MAX];

	return auth_zone_name_exists_key(z, key,
	    auth_zone_key(name, key, NULL, NULL));
}

void
auth_zone_rrset_key(const struct auth_zone *z, const uint8_t *key, size_t len,
    ldns_rr_type type, size_t *first, size_t *end)
{
	size_t	i = zone_lower_key(z, key, len);

	while (i < z->n && key_cmp(z, i, key, len) == 0 &&
	    type != 0 && ldns_rr_get_type(z->v[i].rr) < type)
		i++;
	*first = i;
	while (i < z->n && key_cmp(z, i, key, len) == 0 &&
	    (type == 0 || ldns_rr_get_type(z->v[i].rr) == type))
		i++;
	*end = i;
}

void
auth_zone_rrset(const struct auth_zone *z, const ldns_rdf *name,
    ldns_rr_type type, size_t *first, size_t *end)
{
	uint8_t	key[AUTH_ZONE_KEY_MAX];

	auth_zone_rrset_key(z, key, auth_zone_key(name, key, NULL, NULL),
	    type, first, end);
}

/* The owners' keys, made once so that lookups need no ldns compares. */
static int
zone_keys(struct auth_zone *z, struct err *err)
{
	uint8_t	key[AUTH_ZONE_KEY_MAX];
	size_t	i, len, used = 0, cap;
	uint8_t	*nb;

	if ((z->kend = calloc(z->n + 1, sizeof(*z->kend))) == NULL ||
	    (z->kbuf = malloc(cap = 4096)) == NULL)
		goto nomem;
	for (i = 0; i < z->n; i++) {
		len = auth_zone_key(ldns_rr_owner(z->v[i].rr), key, NULL, NULL);
		if (used + len > cap) {
			cap *= 2;
			if (cap < used + len)
				cap = used + len;
			if ((nb = realloc(z->kbuf, cap)) == NULL)
				goto nomem;
			z->kbuf = nb;
		}
		memcpy(z->kbuf + used, key, len);
		used += len;
		z->kend[i] = used;
	}
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
	return -1;
}

static void
zrrs_free(struct auth_zrr *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		ldns_rr_free(v[i].rr);
	free(v);
}

static char *
name_str(const ldns_rdf *d)
{
	char	*s = ldns_rdf2str(d);

	return s != NULL ? s : strdup("?");
}

/* The checks of the file's head comment, on sorted records. */
static int
zone_check(struct auth_zone *z, struct err *err)
{
	const ldns_rdf	*o, *t;
	ldns_rr		*rr;
	ldns_rr_type	 type;
	size_t		 i, j, a, e, nsoa = 0, apexns = 0;
	char		*s;

	for (i = 0; i < z->n; i++) {
		rr = z->v[i].rr;
		o = ldns_rr_owner(rr);
		type = ldns_rr_get_type(rr);
		s = NULL;
		if (ldns_dname_compare(o, z->origin) != 0 &&
		    !ldns_dname_is_subdomain(o, z->origin)) {
			err_set(err, AUTH_E_ZONE, "%s:%d: %s is outside the "
			    "zone %s", z->file, z->v[i].line,
			    s = name_str(o), z->name);
			goto fail;
		}
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			err_set(err, AUTH_E_ZONE, "%s:%d: class is not IN",
			    z->file, z->v[i].line);
			goto fail;
		}
		if (type == LDNS_RR_TYPE_SOA) {
			if (ldns_dname_compare(o, z->origin) != 0) {
				err_set(err, AUTH_E_ZONE, "%s:%d: SOA of %s "
				    "is not at the apex", z->file,
				    z->v[i].line, s = name_str(o));
				goto fail;
			}
			if (nsoa++ > 0) {
				err_set(err, AUTH_E_ZONE, "%s:%d: a second "
				    "SOA", z->file, z->v[i].line);
				goto fail;
			}
			z->soa = rr;
		}
		if (type == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(o, z->origin) == 0)
			apexns++;
		if (type == LDNS_RR_TYPE_CNAME) {
			auth_zone_rrset(z, o, 0, &a, &e);
			for (j = a; j < e; j++)
				if (j != i && ldns_rr_get_type(z->v[j].rr) !=
				    LDNS_RR_TYPE_RRSIG &&
				    ldns_rr_get_type(z->v[j].rr) !=
				    LDNS_RR_TYPE_NSEC)
					break;
			if (j < e) {
				err_set(err, AUTH_E_ZONE, "%s:%d: %s has a "
				    "CNAME and other data", z->file,
				    z->v[i].line, s = name_str(o));
				goto fail;
			}
		}
		if (type == LDNS_RR_TYPE_NS) {
			t = ldns_rr_rdf(rr, 0);
			if (t != NULL && ldns_dname_is_subdomain(t, z->origin)) {
				auth_zone_rrset(z, t, LDNS_RR_TYPE_A, &a, &e);
				if (a == e)
					auth_zone_rrset(z, t,
					    LDNS_RR_TYPE_AAAA, &a, &e);
				if (a == e) {
					err_set(err, AUTH_E_ZONE, "%s:%d: no "
					    "address (glue) for NS host %s",
					    z->file, z->v[i].line,
					    s = name_str(t));
					goto fail;
				}
			}
		}
		free(s);
	}
	if (z->soa == NULL) {
		err_set(err, AUTH_E_ZONE, "%s:%d: no SOA at the apex %s",
		    z->file, z->n > 0 ? z->v[0].line : 1, z->name);
		return -1;
	}
	if (apexns == 0) {
		err_set(err, AUTH_E_ZONE, "%s:%d: no NS at the apex %s",
		    z->file, z->v[0].line, z->name);
		return -1;
	}
	return 0;
fail:
	free(s);
	return -1;
}

struct auth_zone *
auth_zone_build(const char *name, const char *file, struct auth_zrr *v,
    size_t n, struct err *err)
{
	struct auth_zone	*z;
	size_t			 i, k;

	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->name = strdup(name)) == NULL ||
	    (z->file = strdup(file)) == NULL ||
	    (z->origin = ldns_dname_new_frm_str(name)) == NULL) {
		if (z != NULL && z->name != NULL && z->file != NULL)
			err_set(err, AUTH_E_ZONE, "%s: not a domain name",
			    file);
		else
			err_set(err, ERR_NOMEM, "out of memory");
		zrrs_free(v, n);
		auth_zone_free(z);
		return NULL;
	}
	z->refs = 1;
	if (n > 0)		/* an empty zone has no array: qsort wants one */
		qsort(v, n, sizeof(*v), zrr_cmp);
	for (i = k = 0; i < n; i++) {		/* drop exact duplicates */
		if (k > 0 && ldns_rr_compare(v[k - 1].rr, v[i].rr) == 0 &&
		    ldns_dname_compare(ldns_rr_owner(v[k - 1].rr),
		    ldns_rr_owner(v[i].rr)) == 0) {
			ldns_rr_free(v[i].rr);
			continue;
		}
		v[k++] = v[i];
	}
	z->v = v;
	z->n = k;
	if (zone_keys(z, err) == -1 || zone_check(z, err) == -1 ||
	    auth_dnssec_index(z, err) == -1) {
		auth_zone_free(z);
		return NULL;
	}
	return z;
}

/* The place of the record ldns read from text[from..to) (struct auth_zrr):
 * the line it starts on, blanks included, to where ldns stopped. */
static void
record_range(const char *text, size_t from, size_t to, struct auth_zrr *r)
{
	size_t	start = dns_record_first(text, from, to);

	while (start > from && text[start - 1] != '\n')
		start--;
	r->start = start;
	r->end = to;
}

struct auth_zone *
auth_zone_load(const char *origin, const char *text, size_t len,
    const char *file, struct err *err)
{
	FILE			*fp;
	ldns_rdf		*orig, *prev = NULL;
	ldns_rr			*rr;
	ldns_status		 st;
	struct auth_zrr		*v = NULL, *nv;
	struct auth_zone	*z;
	size_t			 n = 0, cap = 0;
	uint32_t		 ttl = ZONE_DEFAULT_TTL;
	int			 line = 0, start, scan_line = 1, rline;
	size_t			 scan_off = 0, from, to;
	long			 pos;

	if (len == 0) {
		err_set(err, AUTH_E_ZONE, "%s:1: empty file", file);
		return NULL;
	}
	if ((orig = ldns_dname_new_frm_str(origin)) == NULL) {
		err_set(err, AUTH_E_ZONE, "%s: not a domain name", file);
		return NULL;
	}
	if ((fp = fmemopen((void *)text, len, "r")) == NULL) {
		ldns_rdf_deep_free(orig);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	while (!feof(fp)) {
		from = (pos = ftell(fp)) < 0 ? scan_off : (size_t)pos;
		rr = NULL;
		st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &orig, &prev, &line);
		to = (pos = ftell(fp)) < 0 ? len : (size_t)pos;
		rline = start = dns_record_line(text, from, to, &scan_off,
		    &scan_line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
			err_set(err, AUTH_E_ZONE, "%s:%d: $INCLUDE is not "
			    "allowed", file, start);
			goto fail;
		}
		if (st != LDNS_STATUS_OK) {
			if (feof(fp) && st == LDNS_STATUS_SYNTAX_ERR &&
			    rr == NULL)
				break;
			err_set(err, AUTH_E_ZONE, "%s:%d: %s", file, rline,
			    ldns_get_errorstr_by_id(st));
			goto fail;
		}
		if (n == cap) {
			if (cap >= ZONE_MAX_RECORDS) {
				ldns_rr_free(rr);
				err_set(err, ERR_LIMIT, "%s:%d: too many "
				    "records", file, rline);
				goto fail;
			}
			if ((nv = reallocarray(v, cap ? cap * 2 : 64,
			    sizeof(*v))) == NULL) {
				ldns_rr_free(rr);
				err_set(err, ERR_NOMEM, "%s:%d: out of memory",
				    file, rline);
				goto fail;
			}
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		v[n].rr = rr;
		v[n].line = rline;
		record_range(text, from, to, &v[n++]);
	}
	fclose(fp);
	ldns_rdf_deep_free(orig);
	ldns_rdf_deep_free(prev);
	if ((z = auth_zone_build(origin, file, v, n, err)) == NULL)
		return NULL;
	/* Kept for auth_zone_edit, which the records' places point into. */
	if (auth_zone_set_source(z, text, len) == -1) {
		auth_zone_free(z);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	z->src_ranges = true;
	return z;
fail:
	fclose(fp);
	ldns_rdf_deep_free(orig);
	ldns_rdf_deep_free(prev);
	zrrs_free(v, n);
	return NULL;
}

struct auth_zone *
auth_zone_ref(struct auth_zone *z)
{
	atomic_fetch_add(&z->refs, 1);
	return z;
}

void
auth_zone_free(struct auth_zone *z)
{
	size_t	i;

	if (z == NULL || atomic_fetch_sub(&z->refs, 1) > 1)
		return;
	auth_dnssec_free(z);
	auth_zone_free(z->plain);
	for (i = 0; i < z->nolder; i++)
		auth_zone_free(z->older[i]);
	free(z->older);
	zrrs_free(z->v, z->n);
	free(z->kbuf);
	free(z->kend);
	ldns_rdf_deep_free(z->origin);
	free(z->name);
	free(z->file);
	free(z->src);
	free(z);
}

const char *
auth_zone_name(const struct auth_zone *z)
{
	return z->name;
}

uint32_t
auth_zone_serial(const struct auth_zone *z)
{
	return ldns_rdf2native_int32(ldns_rr_rdf(z->soa, 2));
}

/* The text a zone was loaded from, kept for auth_zone_edit (zonetext.c),
 * which reads it and never the other way round. */
const char *
auth_zone_source(const struct auth_zone *z, size_t *len)
{
	*len = z->src != NULL ? z->srclen : 0;
	return z->src;
}

int
auth_zone_set_source(struct auth_zone *z, const char *text, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(s, text, len);
	s[len] = '\0';
	free(z->src);
	z->src = s;
	z->srclen = len;
	z->src_ranges = false;		/* the places were in the old text */
	return 0;
}

int
auth_serial_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}

/* Unsigned arithmetic is RFC 1982's addition (section 3.1): 4294967295
 * + 1 is 0, which the secondaries take as newer. */
uint32_t
auth_serial_next(uint32_t served, enum auth_serial_policy policy,
    time_t now)
{
	struct tm	tm;
	uint32_t	next = served + 1, cand;

	switch (policy) {
	case AUTH_SERIAL_INCREMENT:
		return next;
	case AUTH_SERIAL_UNIXTIME:
		cand = (uint32_t)now;
		break;
	case AUTH_SERIAL_DATESERIAL:
		if (gmtime_r(&now, &tm) == NULL)
			return next;
		cand = ((uint32_t)(tm.tm_year + 1900) * 10000 +
		    (uint32_t)(tm.tm_mon + 1) * 100 + (uint32_t)tm.tm_mday) *
		    100;
		break;
	default:
		return next;
	}
	return auth_serial_lt(served, cand) ? cand : next;
}

/* Same SOA but for the serial: a's with b's serial is b. */
static int
soa_same_but_serial(const ldns_rr *a, const ldns_rr *b)
{
	ldns_rr		*c;
	ldns_rdf	*serial;
	int		 same = 0;

	if (ldns_rr_ttl(a) != ldns_rr_ttl(b) || ldns_rr_rd_count(a) < 3 ||
	    ldns_rr_rd_count(b) < 3 || (c = ldns_rr_clone(a)) == NULL)
		return 0;
	if ((serial = ldns_rdf_clone(ldns_rr_rdf(b, 2))) != NULL) {
		ldns_rdf_deep_free(ldns_rr_set_rdf(c, serial, 2));
		same = ldns_rr_compare(c, b) == 0;
	}
	ldns_rr_free(c);
	return same;
}

int
auth_zone_same_but_serial(const struct auth_zone *a,
    const struct auth_zone *b)
{
	size_t	i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->v[i].rr == a->soa && b->v[i].rr == b->soa) {
			if (!soa_same_but_serial(a->soa, b->soa))
				return 0;
		} else if (ldns_rr_compare(a->v[i].rr, b->v[i].rr) != 0 ||
		    ldns_rr_ttl(a->v[i].rr) != ldns_rr_ttl(b->v[i].rr))
			return 0;
	}
	return 1;
}

struct auth_zone *
auth_zone_with_serial(const struct auth_zone *z, uint32_t serial,
    struct err *err)
{
	struct auth_zrr	*v;
	ldns_rdf	*s;
	size_t		 i;

	/* A new serial would not match the SOA's RRSIG: a zone signed
	 * offline is the operator's, to sign again. */
	if (z->has_sigs) {
		err_set(err, AUTH_E_ZONE, "zone %s is signed (DNSSEC): its "
		    "SOA cannot change without a new signature", z->name);
		return NULL;
	}
	if ((v = calloc(z->n + 1, sizeof(*v))) == NULL)
		goto nomem;
	for (i = 0; i < z->n; i++) {
		if ((v[i].rr = ldns_rr_clone(z->v[i].rr)) == NULL)
			goto nomem;
		v[i].line = z->v[i].line;
		if (z->v[i].rr != z->soa)
			continue;
		if ((s = ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
		    serial)) == NULL)
			goto nomem;
		ldns_rdf_deep_free(ldns_rr_set_rdf(v[i].rr, s, 2));
	}
	/* Places in no text: auth_zone_edit finds them in z's. */
	return auth_zone_build(z->name, z->file, v, z->n, err);
nomem:
	if (v != NULL)
		zrrs_free(v, z->n);
	err_set(err, ERR_NOMEM, "out of memory");
	return NULL;
}

int
auth_zone_same(const struct auth_zone *a, const struct auth_zone *b)
{
	size_t	i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (ldns_rr_compare(a->v[i].rr, b->v[i].rr) != 0 ||
		    ldns_rr_ttl(a->v[i].rr) != ldns_rr_ttl(b->v[i].rr))
			return 0;
	return 1;
}

/* Appends text, a leading "$" escaped: an owner name that starts with
 * one would read as a directive ($ORIGIN, $TTL) at the start of a line. */
static int
line_start_add(struct buf *b, const char *text, size_t len, struct err *err)
{
	if (len > 0 && text[0] == '$' && buf_addc(b, '\\', err) == -1)
		return -1;
	return buf_add(b, text, len, err);
}

int
auth_zone_rr_line(struct buf *b, const ldns_rr *rr, const char *eol,
    struct err *err)
{
	char	*s;
	size_t	 len;
	int	 rc;

	if ((s = ldns_rr2str(rr)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	len = strlen(s);
	if (len > 0 && s[len - 1] == '\n')
		len--;
	rc = line_start_add(b, s, len, err) == -1 ||
	    buf_adds(b, eol, err) == -1 ? -1 : 0;
	free(s);
	return rc;
}

int
auth_zone_owner_text(struct buf *b, const ldns_rr *rr, struct err *err)
{
	char	*s;
	int	 rc;

	if ((s = ldns_rdf2str(ldns_rr_owner(rr))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	rc = line_start_add(b, s, strlen(s), err);
	free(s);
	return rc;
}

int
auth_zone_text(const struct auth_zone *z, struct buf *b, struct err *err)
{
	size_t	i;

	if (auth_zone_rr_line(b, z->soa, "\n", err) == -1)
		return -1;
	for (i = 0; i < z->n; i++)
		if (z->v[i].rr != z->soa &&
		    auth_zone_rr_line(b, z->v[i].rr, "\n", err) == -1)
			return -1;
	return 0;
}

void
auth_zone_ns_addrs(const struct auth_zone *z,
    void (*fn)(const char *, void *), void *arg)
{
	const ldns_rdf	*t, *mname = ldns_rr_rdf(z->soa, 0);
	size_t		 i, e, j, je;
	ldns_rr_type	 types[2] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	int		 k;
	char		*s;

	auth_zone_rrset(z, z->origin, LDNS_RR_TYPE_NS, &i, &e);
	for (; i < e; i++) {
		t = ldns_rr_rdf(z->v[i].rr, 0);
		if (ldns_dname_compare(t, mname) == 0)
			continue;
		for (k = 0; k < 2; k++) {
			auth_zone_rrset(z, t, types[k], &j, &je);
			for (; j < je; j++)
				if ((s = ldns_rdf2str(ldns_rr_rdf(z->v[j].rr,
				    0))) != NULL) {
					fn(s, arg);
					free(s);
				}
		}
	}
}

/* Canonical copies (RFC 4034 section 6.2) of a zone's records but the
 * SOA, sorted as zrr_cmp sorts, for auth_zone_diff's merge. */
static struct auth_zrr *
diff_side(const struct auth_zone *z, size_t *n_out)
{
	struct auth_zrr	*v;
	size_t		 i, n = 0;

	if ((v = calloc(z->n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < z->n; i++) {
		if (z->v[i].rr == z->soa)
			continue;
		if ((v[n].rr = ldns_rr_clone(z->v[i].rr)) == NULL) {
			while (n > 0)
				ldns_rr_free(v[--n].rr);
			free(v);
			return NULL;
		}
		ldns_rr2canonical(v[n++].rr);
	}
	qsort(v, n, sizeof(*v), zrr_cmp);
	*n_out = n;
	return v;
}

static void
diff_side_free(struct auth_zrr *v, size_t n)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++)
		ldns_rr_free(v[i].rr);
	free(v);
}

int
auth_zone_merge(const struct auth_zrr *a, size_t na,
    const struct auth_zrr *b, size_t nb, int (*fn)(void *, size_t, size_t),
    void *arg)
{
	size_t	i = 0, j = 0;
	int	c;

	while (i < na || j < nb) {
		if (i == na)
			c = 1;
		else if (j == nb)
			c = -1;
		else
			c = zrr_cmp(&a[i], &b[j]);
		if (c == 0 && ldns_rr_ttl(a[i].rr) == ldns_rr_ttl(b[j].rr)) {
			if (fn(arg, i++, j++) == -1)
				return -1;
			continue;
		}
		/* A record whose TTL changed is deleted and added again. */
		if (c <= 0 && fn(arg, i++, AUTH_ZONE_NONE) == -1)
			return -1;
		if (c >= 0 && fn(arg, AUTH_ZONE_NONE, j++) == -1)
			return -1;
	}
	return 0;
}

struct diff_run {
	struct auth_zrr	*a, *b;
	ldns_rr_list	*del, *add;
};

/* auth_zone_merge's step for auth_zone_diff: the records move to the lists. */
static int
diff_move(void *arg, size_t i, size_t j)
{
	struct diff_run	*d = arg;

	if (j == AUTH_ZONE_NONE) {
		if (!ldns_rr_list_push_rr(d->del, d->a[i].rr))
			return -1;
		d->a[i].rr = NULL;
	} else if (i == AUTH_ZONE_NONE) {
		if (!ldns_rr_list_push_rr(d->add, d->b[j].rr))
			return -1;
		d->b[j].rr = NULL;
	}
	return 0;
}

int
auth_zone_diff(const struct auth_zone *from, const struct auth_zone *to,
    ldns_rr_list *del, ldns_rr_list *add, struct err *err)
{
	struct diff_run	 d = { .del = del, .add = add };
	size_t		 na = 0, nb = 0;
	int		 rc = -1;

	if ((d.a = diff_side(from, &na)) != NULL &&
	    (d.b = diff_side(to, &nb)) != NULL)
		rc = auth_zone_merge(d.a, na, d.b, nb, diff_move, &d);
	diff_side_free(d.a, na);
	diff_side_free(d.b, nb);
	if (rc == -1)
		err_set(err, ERR_NOMEM, "zone diff: out of memory");
	return rc;
}
