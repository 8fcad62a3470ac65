/*
 * update.c: RFC 2136 dynamic update on a copy of a zone: prerequisites
 * (section 3.2), the key's permission (3.3: a key restricted to names
 * with one label, dns_tsig_key_allows), prescan (3.4.1), then the
 * changes (3.4.2: add, delete an RRset, a name or one record; the SOA
 * and the apex NS are never deleted, an added SOA only replaces an
 * older one).  A change bumps the
 * serial unless the update raised it, and the new zone goes through the
 * same checks as a loaded one; the daemon commits and pushes it before
 * it is served.  A zone signed offline (RRSIG records) is REFUSED: the
 * result could not be signed.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define UPDATE_MAX_RRS	1000000

struct work {
	struct auth_zrr	*v;
	size_t		 n, cap;
};

/* Records at name (type 0: any), in the zone's sorted array. */
static size_t
count(const struct auth_zone *z, const ldns_rdf *name, ldns_rr_type type)
{
	size_t	a, e;

	auth_zone_rrset(z, name, type, &a, &e);
	return e - a;
}

/*
 * A value-dependent prerequisite (section 3.2.3): the RRset of rr's name
 * and type must be exactly the prerequisite's records of that name and
 * type, TTLs aside.
 */
static int
prereq_rrset(const struct auth_zone *z, const ldns_rr_list *pre, ldns_rr *rr)
{
	ldns_rr		*o;
	ldns_rr_type	 t = ldns_rr_get_type(rr);
	size_t		 j, a, e, want = 0, have = 0;

	for (j = 0; j < ldns_rr_list_rr_count(pre); j++) {
		o = ldns_rr_list_rr(pre, j);
		if (ldns_rr_get_class(o) == LDNS_RR_CLASS_IN &&
		    ldns_rr_get_type(o) == t &&
		    ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(rr)) == 0)
			want++;
	}
	auth_zone_rrset(z, ldns_rr_owner(rr), t, &a, &e);
	if (e - a != want)
		return LDNS_RCODE_NXRRSET;
	for (; a < e; a++) {
		ldns_rr_set_ttl(rr, ldns_rr_ttl(z->v[a].rr));
		if (ldns_rr_compare(z->v[a].rr, rr) == 0)
			have++;
		ldns_rr_set_ttl(rr, 0);
	}
	return have == 1 ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXRRSET;
}

/* The prerequisites (section 3.2): NOERROR when they all hold, else the
 * rcode of the first that does not. */
static int
prereq(const struct auth_zone *z, const ldns_rr_list *pre)
{
	ldns_rr		*rr;
	size_t		 i;
	ldns_rr_type	 t;
	int		 rc;

	for (i = 0; i < ldns_rr_list_rr_count(pre); i++) {
		rr = ldns_rr_list_rr(pre, i);
		t = ldns_rr_get_type(rr);
		if (ldns_rr_ttl(rr) != 0)
			return LDNS_RCODE_FORMERR;
		if (!dns_name_in_zone(ldns_rr_owner(rr), z->origin))
			return LDNS_RCODE_NOTZONE;
		switch (ldns_rr_get_class(rr)) {
		case LDNS_RR_CLASS_ANY:
			if (ldns_rr_rd_count(rr) != 0)
				return LDNS_RCODE_FORMERR;
			if (t == LDNS_RR_TYPE_ANY) {
				if (count(z, ldns_rr_owner(rr), 0) == 0)
					return LDNS_RCODE_NXDOMAIN;
			} else if (count(z, ldns_rr_owner(rr), t) == 0)
				return LDNS_RCODE_NXRRSET;
			break;
		case LDNS_RR_CLASS_NONE:
			if (ldns_rr_rd_count(rr) != 0)
				return LDNS_RCODE_FORMERR;
			if (t == LDNS_RR_TYPE_ANY) {
				if (count(z, ldns_rr_owner(rr), 0) != 0)
					return LDNS_RCODE_YXDOMAIN;
			} else if (count(z, ldns_rr_owner(rr), t) != 0)
				return LDNS_RCODE_YXRRSET;
			break;
		case LDNS_RR_CLASS_IN:
			if ((rc = prereq_rrset(z, pre, rr)) != LDNS_RCODE_NOERROR)
				return rc;
			break;
		default:
			return LDNS_RCODE_FORMERR;
		}
	}
	return LDNS_RCODE_NOERROR;
}

/* The prescan (section 3.4.1): NOERROR, or the rcode that refuses the
 * whole update before anything is applied. */
static int
prescan(const struct auth_zone *z, const ldns_rr_list *up)
{
	ldns_rr		*rr;
	ldns_rr_type	 t;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(up); i++) {
		rr = ldns_rr_list_rr(up, i);
		t = ldns_rr_get_type(rr);
		if (!dns_name_in_zone(ldns_rr_owner(rr), z->origin))
			return LDNS_RCODE_NOTZONE;
		switch (ldns_rr_get_class(rr)) {
		case LDNS_RR_CLASS_IN:
			if (t == LDNS_RR_TYPE_ANY || t == LDNS_RR_TYPE_AXFR ||
			    t == LDNS_RR_TYPE_IXFR || t == LDNS_RR_TYPE_MAILA ||
			    t == LDNS_RR_TYPE_MAILB || t == LDNS_RR_TYPE_TSIG ||
			    t == LDNS_RR_TYPE_OPT)
				return LDNS_RCODE_FORMERR;
			break;
		case LDNS_RR_CLASS_ANY:
			if (ldns_rr_ttl(rr) != 0 || ldns_rr_rd_count(rr) != 0)
				return LDNS_RCODE_FORMERR;
			break;
		case LDNS_RR_CLASS_NONE:
			if (ldns_rr_ttl(rr) != 0 || t == LDNS_RR_TYPE_ANY)
				return LDNS_RCODE_FORMERR;
			break;
		default:
			return LDNS_RCODE_FORMERR;
		}
	}
	return LDNS_RCODE_NOERROR;
}

/* The requestor's permission (section 3.3): a key restricted to names
 * with one label (dns_tsig_key_allows) may change no other name; REFUSED
 * with err saying which. */
static int
permitted(const struct auth_req *req, const ldns_rr_list *up,
    struct err *err)
{
	size_t	i;

	for (i = 0; i < ldns_rr_list_rr_count(up); i++)
		if (dns_tsig_key_allows_name(req->key, req->zone->origin,
		    ldns_rr_owner(ldns_rr_list_rr(up, i)), err) == -1)
			return LDNS_RCODE_REFUSED;
	return LDNS_RCODE_NOERROR;
}

static int
work_add(struct work *w, ldns_rr *rr)
{
	struct auth_zrr	*v;

	if (w->n == w->cap) {
		if (w->cap >= UPDATE_MAX_RRS || (v = reallocarray(w->v,
		    w->cap ? w->cap * 2 : 64, sizeof(*v))) == NULL) {
			ldns_rr_free(rr);
			return -1;
		}
		w->v = v;
		w->cap = w->cap ? w->cap * 2 : 64;
	}
	/* line 0, no place */
	w->v[w->n++] = (struct auth_zrr){ .rr = rr };
	return 0;
}

static void
work_free(struct work *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		ldns_rr_free(w->v[i].rr);
	free(w->v);
}

static int
same_name(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

/* Compares the data of two records, ignoring TTL and class. */
static int
same_rdata(const ldns_rr *a, ldns_rr *b)
{
	ldns_rr_class	c = ldns_rr_get_class(b);
	uint32_t	t = ldns_rr_ttl(b);
	int		r;

	ldns_rr_set_class(b, ldns_rr_get_class(a));
	ldns_rr_set_ttl(b, ldns_rr_ttl(a));
	r = ldns_rr_compare(a, b) == 0;
	ldns_rr_set_class(b, c);
	ldns_rr_set_ttl(b, t);
	return r;
}

static int
note(struct buf *s, const char *what, const ldns_rr *rr, struct err *err)
{
	char	*t = ldns_rr2str(rr), *p;
	int	 rc;

	if (t == NULL)
		return 0;
	t[strcspn(t, "\n")] = '\0';
	for (p = t; *p != '\0'; p++)
		if (*p == '\t')
			*p = ' ';
	rc = buf_printf(s, err, "%s%s %s", s->len > 0 ? "; " : "", what, t);
	free(t);
	return rc;
}

/* An update being applied to a copy of the zone's records. */
struct upd {
	const struct auth_zone	*z;
	struct work		 w;
	ldns_rr			*oldsoa;	/* the SOA replaced, if one was */
	struct buf		*summary;
	bool			 changed;
};

/* Drops w.v[j] after noting it as deleted. */
static int
upd_drop(struct upd *u, size_t j, struct err *err)
{
	if (note(u->summary, "delete", u->w.v[j].rr, err) == -1)
		return -1;
	ldns_rr_free(u->w.v[j].rr);
	u->w.v[j].rr = NULL;
	u->changed = true;
	return 0;
}

/* Adds rr (class IN) as RFC 2136 section 3.4.2.2 says. */
static int
upd_add(struct upd *u, ldns_rr *rr, bool apex, struct err *err)
{
	struct work	*w = &u->w;
	ldns_rr_type	 t = ldns_rr_get_type(rr), ct;
	ldns_rr		*c;
	size_t		 j;

	if (t == LDNS_RR_TYPE_SOA && (!apex ||
	    !auth_serial_lt(auth_zone_serial(u->z),
	    ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)))))
		return 0;	/* not newer: ignored */
	for (j = 0; j < w->n; j++) {
		if (w->v[j].rr == NULL || !same_name(w->v[j].rr, rr))
			continue;
		ct = ldns_rr_get_type(w->v[j].rr);
		/* CNAME and other data never mix. */
		if ((ct == LDNS_RR_TYPE_CNAME) != (t == LDNS_RR_TYPE_CNAME))
			return 0;	/* ignored */
		if (ct == t && (t == LDNS_RR_TYPE_SOA ||
		    t == LDNS_RR_TYPE_CNAME || same_rdata(w->v[j].rr, rr))) {
			/* The first SOA replaced is kept, as the sign that
			 * one came; a later one replaces the SOA added
			 * before it, which goes. */
			if (t == LDNS_RR_TYPE_SOA && u->oldsoa == NULL)
				u->oldsoa = w->v[j].rr;
			else
				ldns_rr_free(w->v[j].rr);
			w->v[j].rr = NULL;
		}
	}
	if ((c = ldns_rr_clone(rr)) == NULL || work_add(w, c) == -1) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (note(u->summary, "add", rr, err) == -1)
		return -1;
	u->changed = true;
	return 0;
}

/* Deletes what rr (class ANY or NONE) names, section 3.4.2.3 and 4. */
static int
upd_delete(struct upd *u, ldns_rr *rr, bool apex, struct err *err)
{
	struct work	*w = &u->w;
	ldns_rr_type	 t = ldns_rr_get_type(rr), ct;
	bool		 none = ldns_rr_get_class(rr) == LDNS_RR_CLASS_NONE;
	size_t		 j, napexns;

	for (j = 0; j < w->n; j++) {
		if (w->v[j].rr == NULL || !same_name(w->v[j].rr, rr))
			continue;
		ct = ldns_rr_get_type(w->v[j].rr);
		if (apex && (ct == LDNS_RR_TYPE_SOA || ct == LDNS_RR_TYPE_NS))
			continue;	/* 3.4.2.3/4 */
		if (t != LDNS_RR_TYPE_ANY && ct != t)
			continue;
		if (none && !same_rdata(w->v[j].rr, rr))
			continue;
		if (upd_drop(u, j, err) == -1)
			return -1;
	}
	/* The apex NS may lose records, never the last. */
	if (!apex || t != LDNS_RR_TYPE_NS || !none)
		return 0;
	for (j = napexns = 0; j < w->n; j++)
		if (w->v[j].rr != NULL && same_name(w->v[j].rr, rr) &&
		    ldns_rr_get_type(w->v[j].rr) == LDNS_RR_TYPE_NS)
			napexns++;
	if (napexns <= 1)
		return 0;
	for (j = 0; j < w->n; j++)
		if (w->v[j].rr != NULL && ldns_rr_get_type(w->v[j].rr) == t &&
		    same_name(w->v[j].rr, rr) &&
		    same_rdata(w->v[j].rr, rr) &&
		    upd_drop(u, j, err) == -1)
			return -1;
	return 0;
}

/* Without a newer SOA in the update, the serial is the next one under
 * the policy (the same as a push's fix-up: 4294967295 goes to 0, which
 * RFC 1982 allows and NSD and Knot take). */
static int
upd_serial(struct upd *u, enum auth_serial_policy policy, time_t now,
    struct err *err)
{
	struct work	*w = &u->w;
	uint32_t	 serial;
	size_t		 i;

	if (u->oldsoa != NULL)
		return 0;
	for (i = 0; i < w->n; i++)
		if (ldns_rr_get_type(w->v[i].rr) == LDNS_RR_TYPE_SOA)
			break;
	if (i == w->n) {
		err_set(err, AUTH_E_ZONE, "update lost the SOA");
		return -1;
	}
	serial = auth_serial_next(auth_zone_serial(u->z), policy, now);
	ldns_rdf_deep_free(ldns_rr_set_rdf(w->v[i].rr,
	    ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial), 2));
	return 0;
}

/* Copies the zone's records into u->w, the copy the update edits. */
static int
upd_copy(struct upd *u, struct err *err)
{
	ldns_rr	*c;
	size_t	 i;

	for (i = 0; i < u->z->n; i++)
		if ((c = ldns_rr_clone(u->z->v[i].rr)) == NULL ||
		    work_add(&u->w, c) == -1) {
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
	return 0;
}

/* Applies the update section up, record by record, in order (section
 * 3.4.2), then closes the gaps the deletions left. */
static int
upd_apply(struct upd *u, const ldns_rr_list *up, struct err *err)
{
	ldns_rr	*rr;
	size_t	 i, j;
	bool	 apex;
	int	 rc;

	for (i = 0; i < ldns_rr_list_rr_count(up); i++) {
		rr = ldns_rr_list_rr(up, i);
		apex = ldns_dname_compare(ldns_rr_owner(rr), u->z->origin) == 0;
		switch (ldns_rr_get_class(rr)) {
		case LDNS_RR_CLASS_IN:
			rc = upd_add(u, rr, apex, err);
			break;
		case LDNS_RR_CLASS_ANY:
		case LDNS_RR_CLASS_NONE:
			rc = upd_delete(u, rr, apex, err);
			break;
		default:
			rc = 0;		/* the prescan let no other through */
			break;
		}
		if (rc == -1)
			return -1;
	}
	for (i = j = 0; i < u->w.n; i++)
		if (u->w.v[i].rr != NULL)
			u->w.v[j++] = u->w.v[i];
	u->w.n = j;
	return 0;
}

int
auth_update(const struct auth_req *req, enum auth_serial_policy policy,
    time_t now, struct auth_zone **new_out, struct buf *summary,
    struct err *err)
{
	const struct auth_zone	*z = req->zone;
	const ldns_rr_list	*up = ldns_pkt_authority(req->query);
	struct upd		 u = { .z = z, .summary = summary };
	int			 rc;

	*new_out = NULL;
	err_clear(err);		/* the daemon logs it with any refusal */
	/* The changed RRsets, the NSEC chain and the SOA would need new
	 * signatures, made with keys this server does not hold. */
	if (z->has_sigs) {
		err_set(err, AUTH_E_ZONE, "zone %s is signed offline "
		    "(DNSSEC): an update could not be signed", z->name);
		return LDNS_RCODE_REFUSED;
	}
	if ((rc = prereq(z, ldns_pkt_answer(req->query))) != 0 ||
	    (rc = permitted(req, up, err)) != 0 ||
	    (rc = prescan(z, up)) != 0)
		return rc;
	if (upd_copy(&u, err) == -1 || upd_apply(&u, up, err) == -1)
		goto fail;
	if (!u.changed) {
		ldns_rr_free(u.oldsoa);
		work_free(&u.w);
		return LDNS_RCODE_NOERROR;
	}
	if (upd_serial(&u, policy, now, err) == -1)
		goto fail;
	ldns_rr_free(u.oldsoa);
	*new_out = auth_zone_build(z->name, z->file, u.w.v, u.w.n, err);
	if (*new_out == NULL && err->code == ERR_NOMEM)
		return LDNS_RCODE_SERVFAIL;	/* not the update's fault */
	if (*new_out == NULL) {
		err_prefix(err, "update refused");
		return LDNS_RCODE_REFUSED;
	}
	return LDNS_RCODE_NOERROR;
fail:
	ldns_rr_free(u.oldsoa);
	work_free(&u.w);
	return LDNS_RCODE_SERVFAIL;
}
