/*
 * nomem_ldns.c: the failing allocator of tests/unit/nomem.h carried to
 * the calls that src/dns and src/resolver make into libldns.  libldns is
 * a shared library: -Wl,--wrap=malloc does not reach the allocations it
 * makes, and most of what the DNS cores allocate, ldns allocates (lists,
 * records, names, packets and their wire form).  So check_dns and
 * check_resolver also wrap the ldns functions below that allocate
 * (NOMEM_WRAPS in src/dns/local.mk): while armed, each counts as
 * one allocation and, when it is the one to fail, returns what ldns
 * returns when its own first allocation fails (NULL, false or
 * LDNS_STATUS_MEM_ERR, its arguments neither taken nor changed: ldns
 * 1.8.3's packet.c, rr.c, str2host.c, wire2host.c, host2wire.c).
 *
 * fmemopen too (the zone-file readers of tsig.c and iter.c): it
 * allocates inside libc, and fails here as if that allocation had.
 *
 * The linker rewrites the calls of our objects only: ldns calling itself
 * is not counted.  So a run proves how our code takes each ldns call
 * failing at its first allocation; a failure deeper inside ldns (after it
 * has allocated part of its result) is ldns's to clean up.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "../nomem.h"

#define WRAP_PTR(ret, name, params, args)				\
ret	*__real_##name params;						\
ret	*__wrap_##name params;						\
ret *									\
__wrap_##name params							\
{									\
	return nomem_fails() ? NULL : __real_##name args;		\
}

#define WRAP_STATUS(name, params, args)					\
ldns_status	__real_##name params;					\
ldns_status	__wrap_##name params;					\
ldns_status								\
__wrap_##name params							\
{									\
	return nomem_fails() ? LDNS_STATUS_MEM_ERR : __real_##name args; \
}

WRAP_PTR(ldns_rr_list, ldns_rr_list_new, (void), ())
WRAP_PTR(ldns_rr_list, ldns_rr_list_clone, (const ldns_rr_list *l), (l))
WRAP_PTR(ldns_rr, ldns_rr_new, (void), ())
WRAP_PTR(ldns_rr, ldns_rr_clone, (const ldns_rr *rr), (rr))
WRAP_PTR(ldns_rdf, ldns_rdf_clone, (const ldns_rdf *rd), (rd))
WRAP_PTR(ldns_rdf, ldns_rdf_new_frm_data,
    (ldns_rdf_type t, size_t n, const void *p), (t, n, p))
WRAP_PTR(ldns_rdf, ldns_dname_new_frm_str, (const char *s), (s))
WRAP_PTR(ldns_rdf, ldns_dname_clone_from, (const ldns_rdf *d, uint16_t n),
    (d, n))
WRAP_PTR(ldns_rdf, ldns_dname_left_chop, (const ldns_rdf *d), (d))
WRAP_PTR(ldns_rdf, ldns_dname_label, (const ldns_rdf *d, uint8_t n), (d, n))
WRAP_PTR(char, ldns_rdf2str, (const ldns_rdf *rd), (rd))
WRAP_PTR(ldns_pkt, ldns_pkt_new, (void), ())
WRAP_PTR(ldns_pkt, ldns_pkt_query_new,
    (ldns_rdf *n, ldns_rr_type t, ldns_rr_class c, uint16_t f), (n, t, c, f))
WRAP_PTR(ldns_rr_list, ldns_pkt_get_section_clone,
    (const ldns_pkt *p, ldns_pkt_section s), (p, s))

WRAP_STATUS(ldns_wire2pkt, (ldns_pkt **p, const uint8_t *w, size_t n),
    (p, w, n))
WRAP_STATUS(ldns_pkt2wire, (uint8_t **w, const ldns_pkt *p, size_t *n),
    (w, p, n))
WRAP_STATUS(ldns_wire2dname,
    (ldns_rdf **d, const uint8_t *w, size_t n, size_t *pos), (d, w, n, pos))
WRAP_STATUS(ldns_wire2rr, (ldns_rr **rr, const uint8_t *w, size_t n,
    size_t *pos, ldns_pkt_section s), (rr, w, n, pos, s))
WRAP_STATUS(ldns_str2rdf_dname, (ldns_rdf **d, const char *s), (d, s))
WRAP_STATUS(ldns_dname_cat, (ldns_rdf *a, const ldns_rdf *b), (a, b))
WRAP_STATUS(ldns_rr_new_frm_fp_l, (ldns_rr **rr, FILE *f, uint32_t *ttl,
    ldns_rdf **origin, ldns_rdf **prev, int *line),
    (rr, f, ttl, origin, prev, line))

/* Growing the list may fail; the record is then not taken. */
bool	__real_ldns_rr_list_push_rr(ldns_rr_list *, const ldns_rr *);
bool	__wrap_ldns_rr_list_push_rr(ldns_rr_list *, const ldns_rr *);
bool	__real_ldns_pkt_push_rr(ldns_pkt *, ldns_pkt_section, ldns_rr *);
bool	__wrap_ldns_pkt_push_rr(ldns_pkt *, ldns_pkt_section, ldns_rr *);

bool
__wrap_ldns_rr_list_push_rr(ldns_rr_list *l, const ldns_rr *rr)
{
	return nomem_fails() ? false : __real_ldns_rr_list_push_rr(l, rr);
}

bool
__wrap_ldns_pkt_push_rr(ldns_pkt *p, ldns_pkt_section s, ldns_rr *rr)
{
	return nomem_fails() ? false : __real_ldns_pkt_push_rr(p, s, rr);
}

FILE	*__real_fmemopen(void *, size_t, const char *);
FILE	*__wrap_fmemopen(void *, size_t, const char *);

FILE *
__wrap_fmemopen(void *buf, size_t size, const char *mode)
{
	if (nomem_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_fmemopen(buf, size, mode);
}
