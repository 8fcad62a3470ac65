/*
 * test_dnssec.c: zones signed offline (ldns-signzone, the texts below,
 * NSEC3 with opt-out and NSEC) answered as RFC 4035 section 3.1 and RFC
 * 5155 section 7.2 say: signatures with the answer, the denials' NSEC
 * and NSEC3 records checked with ldns (which names they match or cover),
 * referrals with DS or the proof of none, nothing of it without DO; an
 * UPDATE and a serial fix-up refused; expired signatures counted; every
 * allocation of a signed zone's load and a DO answer failing in turn.
 */
#include <string.h>

#include "auth/auth_priv.h"
#include "util/buf.h"
#include "util/err.h"
#include "../nomem.h"
#include "test_zone.h"

/* ldns-signzone -n -p -s abcd -t 1 (and without -n...: NSEC) of one
 * zone, comments and TTLs left out, names made relative. */
static const char n3_zone[] =
    "$ORIGIN example.org.\n$TTL 300\n"
    "@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
    "@ RRSIG SOA 13 2 300 20360101000000 20260101000000 32749 @ wm61YE9"
    "sR2vX3+sdtR1TBA29yWMchbKGbbHFF+gmI3JmoijMyMW/1cep38H5FHsj0nLcUMUzW"
    "WfNrEN61mstaQ==\n"
    "@ NS ns1\n"
    "@ RRSIG NS 13 2 300 20360101000000 20260101000000 32749 @ 1FlZYVny"
    "rIBnwUYwbwHi4YuY0nxO+DNFQUZoaWCN/4CpUcWCDxCZ5Dh1fTk4hgExpQ5hfIpL1H"
    "Ql6KNqMy9EEw==\n"
    "@ DNSKEY 257 3 13 r4tPTX3uX3hvDH3hp0ODA6Et4aOUXuBDthXYFIHoiFexfhDv"
    "4HT20oyiaBRx23DqmFCYBFx4AvyJMvb3K/9LZg==\n"
    "@ RRSIG DNSKEY 13 2 300 20360101000000 20260101000000 32749 @ lric"
    "7zK5S/klvQlP6M5KrW3tcm+wwz3Rz4dKIFONcT8rZc593BcZbpgPOhQ61s3rNN4A2e"
    "myuL1JoSHsge0Iyw==\n"
    "@ NSEC3PARAM 1 0 1 abcd\n"
    "@ RRSIG NSEC3PARAM 13 2 3600 20360101000000 20260101000000 32749 @"
    " KSkE8mkD4ATVPjIHQeHW40H9qfceRHIY9ATYV80it3PSDBnu2BRQZJF9LsE0nfSPU"
    "9rJnryrBBwiFrjWb7OO4A==\n"
    "6rv6gnqft75frej6nn4m2oq25u7ieo8o NSEC3 1 1 1 abcd bbgos4gdak3op3hg"
    "nv7ucvvkd97bqfms NS SOA RRSIG DNSKEY NSEC3PARAM\n"
    "6rv6gnqft75frej6nn4m2oq25u7ieo8o RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ c3KfDN9iC3k4GSIHN4+OaeeOcwtShcmGQAQF9PJR"
    "QHPw37S0HCscquPxSNfcf7MsiQSuMBTo2N53xyL/B5393Q==\n"
    "tp3pac2u4ou0qlma43sbbnlqvjm70gs8 NSEC3 1 1 1 abcd ttdd49fc9csl2hr4"
    "474iicvld9gabkb9\n"
    "tp3pac2u4ou0qlma43sbbnlqvjm70gs8 RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ lTIQCln6A3CewOlOrPwgF1xA4XwoIk6SYBR+fhlH"
    "Midyvug4CepHVzetYQP5/h59i7xARmxOBMCLWZN0p9AjPA==\n"
    "bbgos4gdak3op3hgnv7ucvvkd97bqfms NSEC3 1 1 1 abcd c7roeqk9a9l37i88"
    "4qkm5r9rsnq1afk3\n"
    "bbgos4gdak3op3hgnv7ucvvkd97bqfms RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ vEmHFekKI69uUrMonL7EkfzheXYELflDgns6GMSV"
    "jkvfxxunWeIN+mT9zHdq1hhPfpsf8cCUz30jgiVnPHIAWw==\n"
    "a.b.c TXT \"deep\"\n"
    "a.b.c RRSIG TXT 13 5 300 20360101000000 20260101000000 32749 @ d54"
    "v0oBmJ5+AJdhcTJTFyZWZ9IdCmkUkUOl+j7O1nAYhX8W1C0kAHc+qArYqWRVW6OHk0"
    "zBA3fBx9ym38Wl1Qg==\n"
    "2hgjfn868vgbagk59kk8sgcuksbj3lc0 NSEC3 1 1 1 abcd 6rv6gnqft75frej6"
    "nn4m2oq25u7ieo8o TXT RRSIG\n"
    "2hgjfn868vgbagk59kk8sgcuksbj3lc0 RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ QUqgiyCOXNHD8LfcjB1AtOcsev/bWxBV6a5E8kvs"
    "PNsKE2QENl+SQaDiIU/bmClR84Mvz8wWjnd5mY5QYNdvKA==\n"
    "insec NS ns.insec\n"
    "qtaflhocnm0a7dctmaeugsrsfgs3j1pm NSEC3 1 1 1 abcd tp3pac2u4ou0qlma"
    "43sbbnlqvjm70gs8 NS\n"
    "qtaflhocnm0a7dctmaeugsrsfgs3j1pm RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ J3by1PFFLOwzE3JoaBwTnFBgjmY+LH+c0StFPVBg"
    "ioh7mEcityUjiTtx1qoJQsplAFwyHTt6nn6scaRr7XYnow==\n"
    "ns.insec A 192.0.2.30\n"
    "ns1 A 192.0.2.1\n"
    "ns1 RRSIG A 13 3 300 20360101000000 20260101000000 32749 @ rlB1Cyl"
    "BESuDBye6ZcRykIJ3EAOet0YKyYlbQQT37KetkGQ6e4HZ12aOaX70BkxynGanz5lby"
    "bexaI9Or6aGdw==\n"
    "f90e6b8mndc08iv9np3f62o3bcem62k9 NSEC3 1 1 1 abcd hh5kjo31347sor9i"
    "0h94eoin6oehgv26 A RRSIG\n"
    "f90e6b8mndc08iv9np3f62o3bcem62k9 RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ w6t7zGenXNYk3sVG2OzUiy+mBya60sCfUrIOTrH0"
    "mSZG/5nuhNOsFlNpb3IZVB6ANRZf0Vk/828VzQIIsQl/RA==\n"
    "sec NS ns.sec\n"
    "sec DS 1 13 2 0000000000000000000000000000000000000000000000000000"
    "000000000001\n"
    "sec RRSIG DS 13 3 300 20360101000000 20260101000000 32749 @ 5ekTTL"
    "VV7QVj3yW8Eh/W6PJj8/r7acX4tUmkb2ck8O0aJxO7d5v2KdeV682m3xxKbZKKJu2s"
    "4BNK9FA1NzxzXQ==\n"
    "ttdd49fc9csl2hr4474iicvld9gabkb9 NSEC3 1 1 1 abcd 2hgjfn868vgbagk5"
    "9kk8sgcuksbj3lc0 NS DS RRSIG\n"
    "ttdd49fc9csl2hr4474iicvld9gabkb9 RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ LaxtbWaTcPM8OLxxJdJ/A1BHYvsKQv4/C8xG8M9u"
    "yGkkCgnyog0yrFsk+6sXKkwJRWEPg3qGjj6s41motWqX8w==\n"
    "ns.sec A 192.0.2.31\n"
    "hh5kjo31347sor9i0h94eoin6oehgv26 NSEC3 1 1 1 abcd iq8de8tv70j1ae81"
    "9lse0q48p6rq0joi\n"
    "hh5kjo31347sor9i0h94eoin6oehgv26 RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ TA1oz98hS13S5+VOwGwUGIKHFkS+CArrV+p4c1KQ"
    "xyRROGTcUGO9r8uVRFciRB9SyLdjqxFiqbntE7xX6TP6Eg==\n"
    "*.wild TXT \"wild\"\n"
    "*.wild RRSIG TXT 13 3 300 20360101000000 20260101000000 32749 @ 9B"
    "GYCsA/0Jwu5V5ufyYkbiWvg1AJMMU/NfQU8SHrWz0nZurNCWboVwH7xaISkcYd8UqZ"
    "577vYIJaNEh+jnwxTA==\n"
    "c7roeqk9a9l37i884qkm5r9rsnq1afk3 NSEC3 1 1 1 abcd f90e6b8mndc08iv9"
    "np3f62o3bcem62k9 TXT RRSIG\n"
    "c7roeqk9a9l37i884qkm5r9rsnq1afk3 RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ a7fGOM8Ph0YXV+4wtbBPykqywwLdh4ImymXyiJAc"
    "gC6BDvHb6VPgmuZAiGlYqrCcLzg94lsvRd3Ygos/ZJgsPQ==\n"
    "www A 192.0.2.10\n"
    "www RRSIG A 13 3 300 20360101000000 20260101000000 32749 @ TiC+JWu"
    "1M4i2MnRmqVIBJK8aFozWoW6KlVmgSUtVbBuT+HNj5PxcsD1dMCTVJue/jepFiUhD5"
    "BiXQA928K7IEw==\n"
    "iq8de8tv70j1ae819lse0q48p6rq0joi NSEC3 1 1 1 abcd qtaflhocnm0a7dct"
    "maeugsrsfgs3j1pm A RRSIG\n"
    "iq8de8tv70j1ae819lse0q48p6rq0joi RRSIG NSEC3 13 3 300 203601010000"
    "00 20260101000000 32749 @ gZS9+QfZF+MU2i0diisWaPBxhj648JE153214oKb"
    "NDqJFpluUf3aB2YRqOAp2Tn92oJszRa2VJRsrkG+mC5yMw==\n";

static const char nsec_zone[] =
    "$ORIGIN example.org.\n$TTL 300\n"
    "@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
    "@ RRSIG SOA 13 2 300 20360101000000 20260101000000 32749 @ 9LT+y4/"
    "wSQnYLOlMbNDtbSODLWZX0NxuYSQdENBWm1GDdcGHvvZ/F9diQajs97yx+qnOMoOdp"
    "d8KBd1HN8DeGA==\n"
    "@ NS ns1\n"
    "@ RRSIG NS 13 2 300 20360101000000 20260101000000 32749 @ 0JXY9eQf"
    "Mz8w6y0cG+d+TpD8yO/FNVyuqih+ocplCUFfAi+Cb0fJRxNiYrhaAazBfkS0goFzG1"
    "v6qfy5HR1r+g==\n"
    "@ DNSKEY 257 3 13 r4tPTX3uX3hvDH3hp0ODA6Et4aOUXuBDthXYFIHoiFexfhDv"
    "4HT20oyiaBRx23DqmFCYBFx4AvyJMvb3K/9LZg==\n"
    "@ RRSIG DNSKEY 13 2 300 20360101000000 20260101000000 32749 @ NeZB"
    "350HyEz0RGcB6YoDIQy8i4Z+w6abedWSsHBbL+tKwLSd4D3beayHRxCH30lvCW2+BY"
    "4tCWv8gwEBUoP6Rg==\n"
    "@ NSEC a.b.c NS SOA RRSIG NSEC DNSKEY\n"
    "@ RRSIG NSEC 13 2 300 20360101000000 20260101000000 32749 @ AYNHDv"
    "CTsc67lXMCmntCl2/3D6jtG/fV5r6vVpqeakkfYchorFMVzcsbI4qu1c/b+TAFKhY9"
    "afPXgJMGGbA2eg==\n"
    "a.b.c TXT \"deep\"\n"
    "a.b.c RRSIG TXT 13 5 300 20360101000000 20260101000000 32749 @ b5w"
    "aD4/9M1tTEeEOF8n12oebaqfGv98Ora0K3NnkL885JIiwzuhHAE8SRJCymUEFMET8H"
    "+RBXgcW2yAw0Ol6Hg==\n"
    "a.b.c NSEC insec TXT RRSIG NSEC\n"
    "a.b.c RRSIG NSEC 13 5 300 20360101000000 20260101000000 32749 @ AG"
    "X0l93+8BkuethelYt27VM7+FD0JHF/jF3tcC6Q9KEty/5TMAJ9TgKuzuquB6sd71Z9"
    "7Ys/OAQCU0xe+7v/tg==\n"
    "insec NS ns.insec\n"
    "insec NSEC ns1 NS RRSIG NSEC\n"
    "insec RRSIG NSEC 13 3 300 20360101000000 20260101000000 32749 @ i+"
    "ikC8a2gaS5UAY63LrwUJHYJleaQ4RhjXi6TJoZKY1bRb5mGkw67CDR+GupCzhEIgBx"
    "ZNLU1B28o4NAujPP6w==\n"
    "ns.insec A 192.0.2.30\n"
    "ns1 A 192.0.2.1\n"
    "ns1 RRSIG A 13 3 300 20360101000000 20260101000000 32749 @ YB1hoS2"
    "UjHj+kFnMxnF6M49JFlCwOT54TzeQEQIxVaydIO51Kad0CyvafKFt7/SvzO9ED97wA"
    "Dalb1csZj/rSw==\n"
    "ns1 NSEC sec A RRSIG NSEC\n"
    "ns1 RRSIG NSEC 13 3 300 20360101000000 20260101000000 32749 @ Xyte"
    "2SKj9wBhzFFO9ZljOf4yuUtZ/kTPzkRLM5sSuIAY1ndJDfPhpZrqeqr27tNHXslSmU"
    "833D2LlsjMfNpLqQ==\n"
    "sec NS ns.sec\n"
    "sec DS 1 13 2 0000000000000000000000000000000000000000000000000000"
    "000000000001\n"
    "sec RRSIG DS 13 3 300 20360101000000 20260101000000 32749 @ LnXICv"
    "msBIGsa57SOFsnheyt5e02fo5D1IiDIVO7KQJSLO1+/phk3bVyD7ZFwHFHCebRA0iQ"
    "NAWU73eMpm4OfA==\n"
    "sec NSEC *.wild NS DS RRSIG NSEC\n"
    "sec RRSIG NSEC 13 3 300 20360101000000 20260101000000 32749 @ UuBy"
    "TcjUAlBU+tJT1bOPxoIuCatKV+/UOMktZ/KF22lFfBf7FMmgYr+ycaSGnb0Y3tIayh"
    "RlH/lyagodXsF36w==\n"
    "ns.sec A 192.0.2.31\n"
    "*.wild TXT \"wild\"\n"
    "*.wild RRSIG TXT 13 3 300 20360101000000 20260101000000 32749 @ 3i"
    "NpBPdtHKvm/Mo5VrCNroZ+7PykfEeawswS+mYqQQGjKluiPNP6jkRiv9jmSjjcz82m"
    "WnGPNzq0I+dzZ3n8uw==\n"
    "*.wild NSEC www TXT RRSIG NSEC\n"
    "*.wild RRSIG NSEC 13 3 300 20360101000000 20260101000000 32749 @ X"
    "ABfwTc5Rk7IlDiS6+yiMR0KkqQUH/nbKLM4F40SwlyCIq10jbe82xhCK3SscCTWWG+"
    "M8jipKmw48/VG91Ob6Q==\n"
    "www A 192.0.2.10\n"
    "www RRSIG A 13 3 300 20360101000000 20260101000000 32749 @ s2mNb0B"
    "gP63RdpwMhcN4SuEzmkTAXhhGUNSkexRpXBaW4gO5VUkWRZOx8WDCC/gsuMvQZ4VPv"
    "8CWV5EhUDD2KQ==\n"
    "www NSEC @ A RRSIG NSEC\n"
    "www RRSIG NSEC 13 3 300 20360101000000 20260101000000 32749 @ FIY7"
    "n2C9zgipGl8ej7HbUEWWza8ARajsPREaECl3Qf9fNz+tYgJNaJwvwb6gImNUiNUfVj"
    "sro1mtZSDxGyomDg==\n";

/* The answer to NAME TYPE, with DO if dnssec (EDNS payload 1232). */
static ldns_pkt *
ask_do(struct auth_db *db, const char *name, ldns_rr_type type, bool dnssec)
{
	struct buf	 q, out;
	struct auth_req	 req;
	struct err	 err;
	ldns_pkt	*p, *r = NULL;
	uint8_t		*wire;
	size_t		 size;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, type,
	    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_pkt_set_edns_do(p, dnssec);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	ck_assert_int_eq(buf_add(&q, wire, size, &err), 0);
	free(wire);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 0, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_REPLY);
	ck_assert_int_eq(ldns_wire2pkt(&r, (uint8_t *)out.data, out.len),
	    LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_edns_do(r), dnssec);
	auth_req_fini(&req);
	buf_fini(&q);
	buf_fini(&out);
	return r;
}

/* The number of records of type in l (and of RRSIGs covering it in
 * *sigs_out, if not NULL). */
static size_t
count(const ldns_rr_list *l, ldns_rr_type type, size_t *sigs_out)
{
	size_t	i, n = 0, s = 0;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == type;
		s += auth_rrsig_covers(ldns_rr_list_rr(l, i)) == type;
	}
	if (sigs_out != NULL)
		*sigs_out = s;
	return n;
}

/* Does an NSEC or NSEC3 of l match (covers false) or cover name? */
static bool
proves(const ldns_rr_list *l, const char *name, bool covers)
{
	ldns_rdf	*n = ldns_dname_new_frm_str(name), *h, *o;
	ldns_rr		*rr;
	size_t		 i;
	bool		 found = false;

	for (i = 0; !found && i < ldns_rr_list_rr_count(l); i++) {
		rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC) {
			found = covers ? ldns_nsec_covers_name(rr, n) :
			    ldns_dname_compare(ldns_rr_owner(rr), n) == 0;
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3) {
			/* ldns_nsec_covers_name takes the hashed name. */
			h = ldns_nsec3_hash_name_frm_nsec3(rr, n);
			o = ldns_dname_new_frm_str("example.org.");
			ck_assert_ptr_nonnull(h);
			ck_assert_int_eq(ldns_dname_cat(h, o), LDNS_STATUS_OK);
			found = covers ? ldns_nsec_covers_name(rr, h) :
			    ldns_dname_compare(h, ldns_rr_owner(rr)) == 0;
			ldns_rdf_deep_free(h);
			ldns_rdf_deep_free(o);
		}
	}
	ldns_rdf_deep_free(n);
	return found;
}

START_TEST(test_dnssec_nsec3)
{
	struct auth_db	*db = db_of(n3_zone);
	ldns_pkt	*r;
	ldns_rr_list	*an, *ns;
	size_t		 sigs;

	/* An answer and its signature; none without DO. */
	r = ask_do(db, "www.example.org", LDNS_RR_TYPE_A, true);
	ck_assert_int_eq(count(ldns_pkt_answer(r), LDNS_RR_TYPE_A, &sigs), 1);
	ck_assert_int_eq(sigs, 1);
	ck_assert_int_eq(ldns_rr_list_rr_count(ldns_pkt_authority(r)), 0);
	ldns_pkt_free(r);
	r = ask_do(db, "www.example.org", LDNS_RR_TYPE_A, false);
	ck_assert_int_eq(ldns_rr_list_rr_count(ldns_pkt_answer(r)), 1);
	ldns_pkt_free(r);

	/* NXDOMAIN: closest encloser (the apex), next closer, wildcard. */
	r = ask_do(db, "nope.example.org", LDNS_RR_TYPE_A, true);
	ns = ldns_pkt_authority(r);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(count(ns, LDNS_RR_TYPE_SOA, &sigs), 1);
	ck_assert_int_eq(sigs, 1);
	ck_assert_uint_ge(count(ns, LDNS_RR_TYPE_NSEC3, &sigs), 2);
	ck_assert_int_eq(count(ns, LDNS_RR_TYPE_NSEC3, NULL), sigs);
	ck_assert(proves(ns, "example.org.", false));
	ck_assert(proves(ns, "nope.example.org.", true));
	ck_assert(proves(ns, "*.example.org.", true));
	ldns_pkt_free(r);
	r = ask_do(db, "nope.example.org", LDNS_RR_TYPE_A, false);
	ck_assert_int_eq(ldns_rr_list_rr_count(ldns_pkt_authority(r)), 1);
	ldns_pkt_free(r);

	/* NODATA, and at an empty non-terminal: the name's NSEC3. */
	r = ask_do(db, "www.example.org", LDNS_RR_TYPE_MX, true);
	ck_assert(proves(ldns_pkt_authority(r), "www.example.org.", false));
	ck_assert_int_eq(count(ldns_pkt_authority(r), LDNS_RR_TYPE_NSEC3,
	    NULL), 1);
	ldns_pkt_free(r);
	r = ask_do(db, "b.c.example.org", LDNS_RR_TYPE_TXT, true);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ck_assert(proves(ldns_pkt_authority(r), "b.c.example.org.", false));
	ldns_pkt_free(r);

	/* A wildcard's answer keeps its signature (labels 3) under the
	 * name asked, and the next closer name is proved absent. */
	r = ask_do(db, "x.y.wild.example.org", LDNS_RR_TYPE_TXT, true);
	an = ldns_pkt_answer(r);
	ck_assert_int_eq(count(an, LDNS_RR_TYPE_TXT, &sigs), 1);
	ck_assert_int_eq(sigs, 1);
	ck_assert_int_eq(ldns_dname_compare(ldns_rr_owner(
	    ldns_rr_list_rr(an, 1)), ldns_rr_owner(ldns_rr_list_rr(an, 0))), 0);
	ck_assert(proves(ldns_pkt_authority(r), "y.wild.example.org.", true));
	ldns_pkt_free(r);
	/* Wildcard NODATA: encloser, next closer, the wildcard's own. */
	r = ask_do(db, "x.wild.example.org", LDNS_RR_TYPE_A, true);
	ns = ldns_pkt_authority(r);
	ck_assert(proves(ns, "wild.example.org.", false));
	ck_assert(proves(ns, "x.wild.example.org.", true));
	ck_assert(proves(ns, "*.wild.example.org.", false));
	ldns_pkt_free(r);

	/* Referrals: the DS and its signature; or the NSEC3 of the cut. */
	r = ask_do(db, "host.sec.example.org", LDNS_RR_TYPE_A, true);
	ck_assert(!ldns_pkt_aa(r));
	ck_assert_int_eq(count(ldns_pkt_authority(r), LDNS_RR_TYPE_DS, &sigs),
	    1);
	ck_assert_int_eq(sigs, 1);
	ck_assert_int_eq(count(ldns_pkt_authority(r), LDNS_RR_TYPE_NS, &sigs),
	    1);
	ck_assert_int_eq(sigs, 0);		/* the child's, unsigned */
	ldns_pkt_free(r);
	r = ask_do(db, "host.insec.example.org", LDNS_RR_TYPE_A, true);
	ck_assert(proves(ldns_pkt_authority(r), "insec.example.org.", false));
	ck_assert_int_eq(count(ldns_pkt_additional(r), LDNS_RR_TYPE_A, &sigs),
	    1);
	ck_assert_int_eq(sigs, 0);		/* glue, unsigned */
	ldns_pkt_free(r);
	r = ask_do(db, "host.sec.example.org", LDNS_RR_TYPE_A, false);
	ck_assert_int_eq(count(ldns_pkt_authority(r), LDNS_RR_TYPE_DS, NULL),
	    0);
	ldns_pkt_free(r);

	/* A hashed owner is no name of the zone. */
	r = ask_do(db, "6rv6gnqft75frej6nn4m2oq25u7ieo8o.example.org",
	    LDNS_RR_TYPE_NSEC3, false);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(r);
	auth_db_free(db);
}
END_TEST

START_TEST(test_dnssec_nsec)
{
	struct auth_db	*db = db_of(nsec_zone);
	ldns_pkt	*r;
	ldns_rr_list	*ns;
	size_t		 sigs;

	r = ask_do(db, "nope.example.org", LDNS_RR_TYPE_A, true);
	ns = ldns_pkt_authority(r);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	ck_assert(proves(ns, "nope.example.org.", true));
	ck_assert(proves(ns, "*.example.org.", true));
	ck_assert_int_eq(count(ns, LDNS_RR_TYPE_NSEC, &sigs), sigs);
	ldns_pkt_free(r);
	/* An empty non-terminal: the NSEC that covers it. */
	r = ask_do(db, "c.example.org", LDNS_RR_TYPE_A, true);
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ck_assert(proves(ldns_pkt_authority(r), "c.example.org.", true));
	ldns_pkt_free(r);
	/* Wildcard: the NSEC covering the name; NODATA adds the wildcard's. */
	r = ask_do(db, "x.wild.example.org", LDNS_RR_TYPE_TXT, true);
	ck_assert(proves(ldns_pkt_authority(r), "x.wild.example.org.", true));
	ck_assert_int_eq(count(ldns_pkt_authority(r), LDNS_RR_TYPE_NSEC,
	    NULL), 1);
	ldns_pkt_free(r);
	r = ask_do(db, "x.wild.example.org", LDNS_RR_TYPE_A, true);
	ck_assert(proves(ldns_pkt_authority(r), "*.wild.example.org.", false));
	ck_assert(proves(ldns_pkt_authority(r), "x.wild.example.org.", true));
	ldns_pkt_free(r);
	/* No DS: the NSEC of the cut; the DS asked of the parent. */
	r = ask_do(db, "host.insec.example.org", LDNS_RR_TYPE_A, true);
	ck_assert(proves(ldns_pkt_authority(r), "insec.example.org.", false));
	ldns_pkt_free(r);
	r = ask_do(db, "insec.example.org", LDNS_RR_TYPE_DS, true);
	ck_assert(ldns_pkt_aa(r));
	ck_assert(proves(ldns_pkt_authority(r), "insec.example.org.", false));
	ldns_pkt_free(r);
	r = ask_do(db, "sec.example.org", LDNS_RR_TYPE_DS, true);
	ck_assert_int_eq(count(ldns_pkt_answer(r), LDNS_RR_TYPE_DS, &sigs), 1);
	ck_assert_int_eq(sigs, 1);
	ldns_pkt_free(r);
	/* ANY: one RRset, with its signature. */
	r = ask_do(db, "www.example.org", LDNS_RR_TYPE_ANY, true);
	ck_assert_int_eq(ldns_rr_list_rr_count(ldns_pkt_answer(r)), 2);
	ldns_pkt_free(r);
	auth_db_free(db);
}
END_TEST

/* A DS at the apex of a child comes from the parent when both are
 * served (RFC 4035 section 3.1.4.1). */
START_TEST(test_dnssec_ds_parent)
{
	static const char child[] =
	    "$ORIGIN sec.example.org.\n$TTL 300\n"
	    "@ SOA ns hostmaster 1 3600 900 604800 300\n"
	    "@ NS ns\nns A 192.0.2.31\n";
	struct auth_db		*db = db_of(nsec_zone);
	struct auth_zone	*z;
	struct err		 err;
	ldns_pkt		*r;

	z = auth_zone_load("sec.example.org", child, strlen(child),
	    "sec.example.org", &err);
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(auth_db_add_zone(db, z, &err), 0);
	auth_zone_free(z);
	r = ask_do(db, "sec.example.org", LDNS_RR_TYPE_DS, true);
	ck_assert_int_eq(count(ldns_pkt_answer(r), LDNS_RR_TYPE_DS, NULL), 1);
	ldns_pkt_free(r);
	r = ask_do(db, "sec.example.org", LDNS_RR_TYPE_SOA, true);
	ck_assert_int_eq(count(ldns_pkt_answer(r), LDNS_RR_TYPE_SOA, NULL), 1);
	ldns_pkt_free(r);
	auth_db_free(db);
}
END_TEST

/* What would change a signed zone's records is refused: the new
 * version could not be signed. */
START_TEST(test_dnssec_refusals)
{
	static const char *const up[] = {
		"new.example.org. 60 IN A 192.0.2.99", NULL,
	};
	struct auth_db		*db = db_of(nsec_zone);
	struct auth_zone	*z = auth_db_zone(db, "example.org"), *nz;
	struct dns_tsig_key	*k;
	struct auth_req		 req;
	struct buf		 q, out, sum;
	struct err		 err;

	ck_assert_ptr_null(auth_zone_with_serial(z, 2, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "signed"));
	buf_init(&q, 65535);
	buf_init(&out, 65535);
	buf_init(&sum, 65535);
	k = dns_tsig_key_parse("up._update.example.org:hmac-sha256:" SECRET,
	    &err);
	ck_assert_ptr_nonnull(k);
	make_update(NULL, up, 1, k, &q);
	ck_assert_int_eq(auth_handle(db, (uint8_t *)q.data, q.len, 1, NOW,
	    &req, &out, &err), 0);
	ck_assert_int_eq(req.kind, AUTH_UPDATE);
	ck_assert_int_eq(auth_update(&req, AUTH_SERIAL_INCREMENT, NOW, &nz,
	    &sum, &err), LDNS_RCODE_REFUSED);
	ck_assert_ptr_null(nz);
	ck_assert_ptr_nonnull(strstr(err.msg, "signed offline"));
	auth_req_fini(&req);
	dns_tsig_key_free(k);
	buf_fini(&q);
	buf_fini(&out);
	buf_fini(&sum);
	auth_db_free(db);
}
END_TEST

/* Expired signatures are counted (RFC 4034 section 3.1.5: serial
 * arithmetic on 32 bits), the earliest named. */
START_TEST(test_dnssec_expired)
{
	struct auth_db		*db = db_of(n3_zone);
	const struct auth_zone	*z = auth_db_zone(db, "example.org");
	uint32_t		 first = 1;
	size_t			 i, sigs = 0;

	for (i = 0; i < z->n; i++)
		sigs += ldns_rr_get_type(z->v[i].rr) == LDNS_RR_TYPE_RRSIG;
	ck_assert_uint_eq(auth_zone_sigs_expired(z, NOW, &first), 0);
	ck_assert_uint_eq(first, 0);
	/* 2036-01-01 00:00:01 UTC: one second past every expiration. */
	ck_assert_uint_eq(auth_zone_sigs_expired(z, 2082758401, &first),
	    sigs);
	ck_assert_uint_eq(first, 2082758400);
	ck_assert_uint_eq(auth_zone_sigs_expired(z, 2082758400, NULL), 0);
	auth_db_free(db);
}
END_TEST

/*
 * A signed zone loaded, then a DO query answered (an NSEC3 NXDOMAIN,
 * the longest proof), with each allocation failing in turn: -1 and
 * ERR_NOMEM, or the same as with memory to spare.
 */
static int
load_and_answer(struct buf *out, struct err *err)
{
	struct auth_zone	*z;
	struct auth_db		*db;
	struct auth_req		 req;
	struct buf		 q;
	ldns_pkt		*p;
	uint8_t			*wire;
	size_t			 size;
	int			 rc = -1;

	nomem_pause(true);
	ldns_pkt_query_new_frm_str(&p, "x.nope.example.org", LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_pkt_set_edns_do(p, true);
	ldns_pkt2wire(&wire, p, &size);
	ldns_pkt_free(p);
	buf_init(&q, 65535);
	(void)buf_add(&q, wire, size, err);
	free(wire);
	nomem_pause(false);
	if ((z = auth_zone_load("example.org", n3_zone, strlen(n3_zone),
	    "example.org", err)) == NULL)
		goto done;
	if ((db = auth_db_new(1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		auth_zone_free(z);
		goto done;
	}
	if (auth_db_add_zone(db, z, err) == 0 && auth_handle(db,
	    (uint8_t *)q.data, q.len, 0, NOW, &req, out, err) == 0) {
		auth_req_fini(&req);
		rc = 0;
	}
	auth_db_free(db);
	auth_zone_free(z);
done:
	buf_fini(&q);
	return rc;
}

START_TEST(test_dnssec_nomem)
{
	struct buf	want, got;
	struct err	err;
	long		n;
	bool		hit;
	int		rc;

	buf_init(&want, 65535);
	ck_assert_int_eq(load_and_answer(&want, &err), 0);
	ck_assert_uint_gt(want.len, 500);
	for (n = 0;; n++) {
		buf_init(&got, 65535);
		err_clear(&err);
		nomem_arm(n);
		rc = load_and_answer(&got, &err);
		hit = nomem_disarm();
		if (rc == -1)
			ck_assert_msg(hit && err.code == ERR_NOMEM,
			    "allocation %ld: %d %s", n + 1, err.code, err.msg);
		else
			ck_assert_msg(got.len == want.len && memcmp(got.data,
			    want.data, got.len) == 0, "allocation %ld: not as "
			    "with memory to spare", n + 1);
		buf_fini(&got);
		if (!hit)
			break;
	}
	ck_assert_int_gt(n, 2);
	buf_fini(&want);
}
END_TEST

TCase *
zone_dnssec_tcase(void)
{
	TCase	*tc = tcase_create("dnssec");

	tcase_add_test(tc, test_dnssec_nsec3);
	tcase_add_test(tc, test_dnssec_nsec);
	tcase_add_test(tc, test_dnssec_ds_parent);
	tcase_add_test(tc, test_dnssec_refusals);
	tcase_add_test(tc, test_dnssec_expired);
	tcase_add_test(tc, test_dnssec_nomem);
	return tc;
}
