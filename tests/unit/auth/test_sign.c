/*
 * test_sign.c: online signing (sign.c, signkey.c): every RRSIG of a
 * signed zone verified by ldns against the DNSKEY served, CDS and CDNSKEY
 * published, the NSEC chain
 * over the authoritative names and the delegation (glue left out and
 * unsigned), a name added between two others re-signing only itself, the
 * NSEC before it and the SOA, signatures renewed once within the refresh
 * time, the serial moved on when git's is not newer, the versions kept
 * for IXFR, a saved version known to be made from git's records; an
 * NSEC3 chain (empty non-terminals, the insecure delegation without
 * RRSIG in its bitmap) matching and covering what it should, kept
 * incremental, and dropped for NSEC again; expirations spread (jitter); keys made (ECDSA, Ed25519), read back, never made again for
 * a zone signed before, refused when unreadable; a zone signed offline
 * refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth_priv.h"
#include "util/err.h"
#include "test_zone.h"

#define SZ_HEAD	"$ORIGIN example.org.\n$TTL 300\n" \
		"@ SOA ns1 hostmaster %u 3600 900 604800 300\n" \
		"@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\n" \
		"www AAAA 2001:db8::10\n*.wild TXT \"w\"\n" \
		"sub NS ns1.sub\nns1.sub A 192.0.2.53\n"

static struct auth_zone *
sz_load(unsigned serial, const char *more)
{
	char			 text[2048];
	struct auth_zone	*z;
	struct err		 err;

	snprintf(text, sizeof(text), SZ_HEAD "%s", serial, more);
	z = auth_zone_load("example.org", text, strlen(text), "t", &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	return z;
}

static char *
sz_dir(void)
{
	char	*dir = strdup("/tmp/timbre-test-sign.XXXXXX");

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void
sz_rmdir(char *dir)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/example.org.key", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/example.org.signed", dir);
	(void)unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
	free(dir);
}

/* Every RRSIG of s verifies at now with s's DNSKEY; returns their
 * number.  Every RRset but the NS at the cut and the glue is signed. */
static size_t
sz_verify(const struct auth_zone *s, time_t now)
{
	size_t		 i, f, e, k, kf, ke, nsig = 0;
	ldns_rr_list	*set, *keys;
	ldns_rr_type	 t;
	ldns_status	 st;

	auth_zone_rrset(s, s->origin, LDNS_RR_TYPE_DNSKEY, &kf, &ke);
	ck_assert_uint_gt(ke, kf);
	keys = ldns_rr_list_new();
	for (k = kf; k < ke; k++)
		ldns_rr_list_push_rr(keys, s->v[k].rr);
	for (i = 0; i < s->n; i++) {
		if ((t = auth_rrsig_covers(s->v[i].rr)) == 0)
			continue;
		auth_zone_rrset(s, ldns_rr_owner(s->v[i].rr), t, &f, &e);
		ck_assert_uint_gt(e, f);
		set = ldns_rr_list_new();
		for (k = f; k < e; k++)
			ldns_rr_list_push_rr(set, s->v[k].rr);
		st = ldns_verify_rrsig_keylist_time(set, s->v[i].rr, keys, now,
		    NULL);
		ck_assert_msg(st == LDNS_STATUS_OK, "RRSIG %zu: %s", i,
		    ldns_get_errorstr_by_id(st));
		ldns_rr_list_free(set);
		nsig++;
	}
	ldns_rr_list_free(keys);
	return nsig;
}

/* The number of records of type t at name (text). */
static size_t
sz_count(const struct auth_zone *s, const char *name, ldns_rr_type t)
{
	ldns_rdf	*d = ldns_dname_new_frm_str(name);
	size_t		 f, e, i, n = 0;

	auth_zone_rrset(s, d, t == LDNS_RR_TYPE_RRSIG ? 0 : t, &f, &e);
	for (i = f; i < e; i++)
		if (ldns_rr_get_type(s->v[i].rr) == t)
			n++;
	ldns_rdf_deep_free(d);
	return n;
}

/* The algorithms the ldns at hand signs with: Debian 11's has no
 * Ed25519 (auth_sign_alg then answers -2). */
#if defined(LDNS_BUILD_CONFIG_USE_ED25519) && LDNS_BUILD_CONFIG_USE_ED25519
static const int algs[] = { LDNS_SIGN_ECDSAP256SHA256, LDNS_SIGN_ED25519 };
#define ALG_LAST	LDNS_SIGN_ED25519
#else
static const int algs[] = { LDNS_SIGN_ECDSAP256SHA256 };
#define ALG_LAST	LDNS_SIGN_ECDSAP256SHA256
#endif

START_TEST(test_sign_zone)
{
	struct auth_sign_stats	 st;
	struct auth_zone	*p, *s;
	ldns_key_list		*keys;
	struct err		 err;
	char			*dir = sz_dir();
	bool			 made;

	keys = auth_sign_keys_load(dir, "example.org", algs[_i], &made, &err);
	ck_assert_msg(keys != NULL, "%s", err.msg);
	ck_assert(made);
	p = sz_load(1, "");
	s = auth_zone_sign(p, NULL, keys, NULL, NOW,
	    AUTH_SERIAL_INCREMENT, &st, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert(auth_zone_signed_online(s));
	ck_assert_ptr_eq(auth_zone_plain(s), p);
	ck_assert_uint_eq(auth_zone_serial(s), 1);
	/* apex SOA NS DNSKEY CDS CDNSKEY NSEC, ns1 A NSEC, sub (no DS)
	 * NSEC, www A AAAA NSEC, *.wild TXT NSEC. */
	ck_assert_uint_eq(st.made, 14);
	ck_assert_uint_eq(st.reused, 0);
	ck_assert_uint_eq(sz_verify(s, NOW), 14);
	ck_assert_uint_eq(sz_count(s, "example.org.", LDNS_RR_TYPE_CDS), 1);
	ck_assert_uint_eq(sz_count(s, "example.org.", LDNS_RR_TYPE_CDNSKEY),
	    1);
	/* The chain: apex, *.wild, ns1, sub, www (canonical order). */
	ck_assert_uint_eq(s->nnsec, 5);
	ck_assert_uint_eq(sz_count(s, "sub.example.org.", LDNS_RR_TYPE_NSEC),
	    1);
	ck_assert_uint_eq(sz_count(s, "sub.example.org.", LDNS_RR_TYPE_RRSIG),
	    1);
	ck_assert_uint_eq(sz_count(s, "ns1.sub.example.org.",
	    LDNS_RR_TYPE_NSEC), 0);
	ck_assert_uint_eq(sz_count(s, "ns1.sub.example.org.",
	    LDNS_RR_TYPE_RRSIG), 0);
	/* The last NSEC points back to the apex. */
	ck_assert_int_eq(ldns_dname_compare(ldns_rr_rdf(s->v[s->nsec[4]].rr,
	    0), s->origin), 0);
	auth_zone_free(s);
	auth_zone_free(p);
	auth_sign_keys_free(keys);
	/* Read back: the same key. */
	keys = auth_sign_keys_load(dir, "example.org", 0, &made, &err);
	ck_assert_msg(keys != NULL, "%s", err.msg);
	ck_assert(!made);
	ck_assert_int_eq(ldns_key_algorithm(ldns_key_list_key(keys, 0)),
	    algs[_i]);
	auth_sign_keys_free(keys);
	sz_rmdir(dir);
}
END_TEST

START_TEST(test_sign_incremental)
{
	struct auth_sign_stats	 st;
	struct auth_zone	*p1, *p2, *s1, *s2, *s3, *s4;
	ldns_key_list		*keys;
	struct err		 err;
	char			*dir = sz_dir();

	keys = auth_sign_keys_load(dir, "example.org", ALG_LAST, NULL,
	    &err);
	ck_assert_msg(keys != NULL, "%s", err.msg);
	p1 = sz_load(1, "");
	p2 = sz_load(2, "mid A 192.0.2.99\n");
	s1 = auth_zone_sign(p1, NULL, keys, NULL, NOW,
	    AUTH_SERIAL_INCREMENT, NULL, &err);
	ck_assert_ptr_nonnull(s1);
	/* mid between ns1 and sub: its A and NSEC, ns1's NSEC, the SOA. */
	s2 = auth_zone_sign(p2, s1, keys, NULL, NOW + 60,
	    AUTH_SERIAL_INCREMENT, &st, &err);
	ck_assert_msg(s2 != NULL, "%s", err.msg);
	ck_assert_uint_eq(st.made, 4);
	ck_assert_uint_eq(st.reused, 12);
	ck_assert_uint_eq(sz_verify(s2, NOW + 60), 16);
	ck_assert_uint_eq(s2->nnsec, 6);
	ck_assert_uint_eq(auth_zone_serial(s2), 2);
	ck_assert_ptr_eq(auth_zone_older(s2, 0), s1);
	ck_assert_ptr_null(auth_zone_older(s2, 1));
	/* The same records again, serial not newer: the next serial, only
	 * the SOA signed. */
	s3 = auth_zone_sign(p2, s2, keys, NULL, NOW + 120,
	    AUTH_SERIAL_INCREMENT, &st, &err);
	ck_assert_ptr_nonnull(s3);
	ck_assert_uint_eq(auth_zone_serial(s3), 3);
	ck_assert_uint_eq(st.made, 1);
	ck_assert_ptr_eq(auth_zone_older(s3, 1), s1);
	/* Moved, not shared: no version keeps a chain of all before. */
	ck_assert_ptr_null(auth_zone_older(s2, 0));
	/* Refresh: within 7 days of expiry, all is signed anew. */
	ck_assert(!auth_zone_sign_due(s3, NOW + 86400));
	ck_assert(auth_zone_sign_due(s3, NOW + 8 * 86400));
	s4 = auth_zone_sign(p2, s3, keys, NULL, NOW + 8 * 86400,
	    AUTH_SERIAL_INCREMENT, &st, &err);
	ck_assert_ptr_nonnull(s4);
	ck_assert_uint_eq(st.reused, 0);
	ck_assert_uint_eq(st.made, 16);
	ck_assert(!auth_zone_sign_due(s4, NOW + 8 * 86400));
	ck_assert_uint_eq(sz_verify(s4, NOW + 8 * 86400), 16);
	/* Saved and read back: the same records. */
	ck_assert_int_eq(auth_sign_save(dir, s4, &err), 0);
	auth_zone_free(s3);
	s3 = auth_sign_saved(dir, p2, &err);
	ck_assert_msg(s3 != NULL, "%s", err.msg);
	ck_assert(auth_zone_same(s3, s4));
	ck_assert(auth_zone_signed_online(s3));
	/* Made from p2 (its serial bumped): may be served as it is; not
	 * from p1. */
	ck_assert(auth_zone_signed_from(s3, p2));
	ck_assert(!auth_zone_signed_from(s3, p1));
	ck_assert(!auth_zone_signed_from(s1, p2));
	auth_zone_free(s1);
	auth_zone_free(s2);
	auth_zone_free(s3);
	auth_zone_free(s4);
	auth_zone_free(p1);
	auth_zone_free(p2);
	auth_sign_keys_free(keys);
	sz_rmdir(dir);
}
END_TEST

START_TEST(test_sign_refusals)
{
	static const char bad[] = "Private-key-format: v1.2\nAlgorithm: 13 "
	    "(ECDSAP256SHA256)\n";
	struct auth_zone	*p, *s;
	ldns_key_list		*keys;
	struct err		 err;
	char			*dir = sz_dir(), path[512];
	FILE			*fp;
	int			 alg;

	ck_assert_int_eq(auth_sign_alg("ecdsap256", &alg), 0);
	ck_assert_int_eq(alg, LDNS_SIGN_ECDSAP256SHA256);
	ck_assert_int_eq(auth_sign_alg("rsa", &alg), -1);
#if !(defined(LDNS_BUILD_CONFIG_USE_ED25519) && LDNS_BUILD_CONFIG_USE_ED25519)
	ck_assert_int_eq(auth_sign_alg("ed25519", &alg), -2);
#endif
	ck_assert_int_eq(auth_sign_alg("ecdsap256", &alg), 0);
	keys = auth_sign_keys_load(dir, "../x", alg, NULL, &err);
	ck_assert_ptr_null(keys);
	/* Signed offline: refused. */
	keys = auth_sign_keys_load(dir, "example.org", alg, NULL, &err);
	ck_assert_ptr_nonnull(keys);
	p = sz_load(1, "www NSEC sub A NSEC\n");
	s = auth_zone_sign(p, NULL, keys, NULL, NOW,
	    AUTH_SERIAL_INCREMENT, NULL, &err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.code, AUTH_E_ZONE);
	ck_assert_ptr_nonnull(strstr(err.msg, "signed offline"));
	auth_zone_free(p);
	/* A zone signed before whose key is gone: no new key. */
	p = sz_load(1, "");
	s = auth_zone_sign(p, NULL, keys, NULL, NOW,
	    AUTH_SERIAL_INCREMENT, NULL, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(auth_sign_save(dir, s, &err), 0);
	auth_sign_keys_free(keys);
	snprintf(path, sizeof(path), "%s/example.org.key", dir);
	ck_assert_int_eq(unlink(path), 0);
	keys = auth_sign_keys_load(dir, "example.org", alg, NULL, &err);
	ck_assert_ptr_null(keys);
	ck_assert_ptr_nonnull(strstr(err.msg, "no new key made"));
	ck_assert_int_eq(access(path, F_OK), -1);
	/* Unreadable: refused. */
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(bad, fp);
	fclose(fp);
	keys = auth_sign_keys_load(dir, "example.org", alg, NULL, &err);
	ck_assert_ptr_null(keys);
	auth_zone_free(s);
	auth_zone_free(p);
	sz_rmdir(dir);
}
END_TEST

/* The NSEC3 of name in s (the chain's parameters d): found, matching
 * (match) or covering it, and really so by its owner and next hashed
 * owner; its index. */
static size_t
sz_nsec3(const struct auth_zone *s, const char *name, bool match,
    const struct auth_sign_denial *d)
{
	ldns_rdf	*n = ldns_dname_new_frm_str(name), *h;
	struct err	 err;
	size_t		 i;
	bool		 m;

	ck_assert_int_eq(auth_nsec3_find(s, n, &i, &m, &err), 0);
	ck_assert_msg(i != AUTH_ZONE_NONE && m == match, "%s", name);
	h = ldns_nsec3_hash_name(n, AUTH_NSEC3_SHA1, d->iterations,
	    d->saltlen, d->salt);
	ck_assert_int_eq(ldns_dname_cat(h, s->origin), LDNS_STATUS_OK);
	if (match)
		ck_assert_int_eq(ldns_dname_compare(h,
		    ldns_rr_owner(s->v[i].rr)), 0);
	else
		ck_assert_msg(ldns_nsec_covers_name(s->v[i].rr, h), "%s",
		    name);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
	return i;
}

/* Does the NSEC3 at i of s list type t? */
static bool
sz_n3_has(const struct auth_zone *s, size_t i, ldns_rr_type t)
{
	const ldns_rdf	*b = ldns_rr_rdf(s->v[i].rr, 5);

	return b != NULL && ldns_rdf_size(b) > 0 &&
	    ldns_nsec_bitmap_covers_type(b, t);
}

START_TEST(test_sign_nsec3)
{
	struct auth_sign_denial	 d, nsec;
	struct auth_sign_stats	 st;
	struct auth_zone	*p1, *p2, *s1, *s2, *s3;
	ldns_key_list		*keys;
	struct err		 err;
	char			*dir = sz_dir();
	size_t			 i;

	ck_assert_int_eq(auth_sign_denial_parse("nsec", &nsec, &err), 0);
	ck_assert(!nsec.nsec3);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:3:aBcd", &d, &err), 0);
	ck_assert(d.nsec3 && d.iterations == 3 && d.saltlen == 2 &&
	    d.salt[0] == 0xab && d.salt[1] == 0xcd);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:0:-", &d, &err), 0);
	ck_assert(d.nsec3 && d.iterations == 0 && d.saltlen == 0);
	ck_assert_int_eq(auth_sign_denial_parse("nsec5", &d, &err), -1);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:", &d, &err), -1);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:101", &d, &err), -1);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:1:abc", &d, &err),
	    -1);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:1:zz", &d, &err), -1);
	ck_assert_int_eq(auth_sign_denial_parse("nsec3:1x", &d, &err), -1);
	/* RFC 9276's: no salt, 0 iterations. */
	ck_assert_int_eq(auth_sign_denial_parse("nsec3", &d, &err), 0);
	ck_assert(d.nsec3 && d.iterations == 0 && d.saltlen == 0);

	keys = auth_sign_keys_load(dir, "example.org",
	    LDNS_SIGN_ECDSAP256SHA256, NULL, &err);
	ck_assert_msg(keys != NULL, "%s", err.msg);
	p1 = sz_load(1, "");
	p2 = sz_load(2, "mid A 192.0.2.99\n");
	s1 = auth_zone_sign(p1, NULL, keys, &d, NOW, AUTH_SERIAL_INCREMENT,
	    &st, &err);
	ck_assert_msg(s1 != NULL, "%s", err.msg);
	ck_assert(auth_zone_sign_denial_is(s1, &d));
	ck_assert(!auth_zone_sign_denial_is(s1, &nsec));
	/* apex SOA NS DNSKEY CDS CDNSKEY NSEC3PARAM, ns1 A, www A AAAA,
	 * *.wild TXT; six NSEC3: apex, ns1, www, *.wild, wild (an empty
	 * non-terminal), sub (no DS); none for the glue. */
	ck_assert_uint_eq(st.made, 16);
	ck_assert_uint_eq(sz_verify(s1, NOW), 16);
	ck_assert_uint_eq(s1->nnsec, 0);
	ck_assert_uint_eq(s1->nnsec3, 6);
	ck_assert_uint_eq(sz_count(s1, "example.org.",
	    LDNS_RR_TYPE_NSEC3PARAM), 1);
	i = sz_nsec3(s1, "example.org.", true, &d);
	ck_assert(sz_n3_has(s1, i, LDNS_RR_TYPE_NSEC3PARAM) &&
	    sz_n3_has(s1, i, LDNS_RR_TYPE_SOA) &&
	    sz_n3_has(s1, i, LDNS_RR_TYPE_RRSIG));
	ck_assert_uint_eq(ldns_nsec3_flags(s1->v[i].rr), 0);
	/* The insecure delegation: NS, nothing signed, no RRSIG. */
	i = sz_nsec3(s1, "sub.example.org.", true, &d);
	ck_assert(sz_n3_has(s1, i, LDNS_RR_TYPE_NS) &&
	    !sz_n3_has(s1, i, LDNS_RR_TYPE_RRSIG) &&
	    !sz_n3_has(s1, i, LDNS_RR_TYPE_DS));
	i = sz_nsec3(s1, "wild.example.org.", true, &d);
	ck_assert(!sz_n3_has(s1, i, LDNS_RR_TYPE_RRSIG) &&
	    !sz_n3_has(s1, i, LDNS_RR_TYPE_TXT));
	i = sz_nsec3(s1, "*.wild.example.org.", true, &d);
	ck_assert(sz_n3_has(s1, i, LDNS_RR_TYPE_TXT));
	(void)sz_nsec3(s1, "www.example.org.", true, &d);
	(void)sz_nsec3(s1, "ns1.example.org.", true, &d);
	(void)sz_nsec3(s1, "nope.example.org.", false, &d);
	(void)sz_nsec3(s1, "ns1.sub.example.org.", false, &d);
	/* Signature jitter: expirations spread below the lifetime. */
	{
		uint32_t	exp, lo = UINT32_MAX, hi = 0;

		for (i = 0; i < s1->n; i++) {
			if (ldns_rr_get_type(s1->v[i].rr) !=
			    LDNS_RR_TYPE_RRSIG)
				continue;
			exp = ldns_rdf2native_int32(
			    ldns_rr_rrsig_expiration(s1->v[i].rr));
			lo = exp < lo ? exp : lo;
			hi = exp > hi ? exp : hi;
		}
		ck_assert_uint_le(hi, NOW + AUTH_SIGN_LIFETIME);
		ck_assert_uint_gt(lo, NOW + AUTH_SIGN_LIFETIME -
		    AUTH_SIGN_JITTER);
		ck_assert_uint_gt(hi - lo, 3600);
	}
	/* mid added: its A and NSEC3, the NSEC3 before it in hash order,
	 * the SOA. */
	s2 = auth_zone_sign(p2, s1, keys, &d, NOW + 60,
	    AUTH_SERIAL_INCREMENT, &st, &err);
	ck_assert_msg(s2 != NULL, "%s", err.msg);
	ck_assert_uint_eq(st.made, 4);
	ck_assert_uint_eq(st.reused, 14);
	ck_assert_uint_eq(sz_verify(s2, NOW + 60), 18);
	ck_assert_uint_eq(s2->nnsec3, 7);
	(void)sz_nsec3(s2, "mid.example.org.", true, &d);
	(void)sz_nsec3(s2, "mie.example.org.", false, &d);
	/* Back to NSEC: the NSEC3 records and NSEC3PARAM gone, the other
	 * signatures kept. */
	s3 = auth_zone_sign(p2, s2, keys, &nsec, NOW + 120,
	    AUTH_SERIAL_INCREMENT, &st, &err);
	ck_assert_msg(s3 != NULL, "%s", err.msg);
	ck_assert(auth_zone_sign_denial_is(s3, &nsec));
	ck_assert_uint_eq(s3->nnsec3, 0);
	ck_assert_uint_eq(s3->nnsec, 6);
	ck_assert_uint_eq(sz_count(s3, "example.org.",
	    LDNS_RR_TYPE_NSEC3PARAM), 0);
	/* The SOA signed anew (its serial), the six NSEC made; the rest
	 * kept. */
	ck_assert_uint_eq(st.made, 7);
	ck_assert_uint_eq(sz_verify(s3, NOW + 120), 16);
	ck_assert(auth_zone_signed_from(s3, p2));
	ck_assert(auth_zone_signed_from(s2, p2));
	auth_zone_free(s1);
	auth_zone_free(s2);
	auth_zone_free(s3);
	auth_zone_free(p1);
	auth_zone_free(p2);
	auth_sign_keys_free(keys);
	sz_rmdir(dir);
}
END_TEST

TCase *
zone_sign_tcase(void)
{
	TCase	*tc = tcase_create("sign");

	tcase_add_loop_test(tc, test_sign_zone, 0,
	    (int)(sizeof(algs) / sizeof(algs[0])));
	tcase_add_test(tc, test_sign_incremental);
	tcase_add_test(tc, test_sign_refusals);
	tcase_add_test(tc, test_sign_nsec3);
	return tc;
}
