/*
 * test_derive.c: keys/drbg.h against NIST CAVP HMAC_DRBG vectors and the
 * Fortuna stream nec draws from, and keys/derive.h against every known
 * answer in tests/data/keys/derive-vectors.txt (made by derive_ref.py,
 * an independent Python reference): the public key, the PKCS #8 private
 * key's SHA-256, and a signature that verifies.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/derive.h"
#include "keys/drbg.h"
#include "keys/key.h"
#include "keys/mac.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

TCase	*derive_tcase(void);

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t		n = strlen(s) / 2, i;
	unsigned int	b;

	ck_assert_uint_le(n, max);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

static void
tohex(const uint8_t *p, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/*
 * HMAC_DRBG.rsp, [SHA-256], [PredictionResistance = False], no reseed,
 * COUNT = 0 and 1 of the blocks without and with a personalization
 * string (no additional input): two generate calls of 1024 bits,
 * ReturnedBits being the second one's output.
 */
static const struct {
	const char	*entropy, *nonce, *pers, *adin1, *adin2, *out;
} cavp[] = {
	{ "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
	  "659ba96c601dc69fc902940805ec0ca8", "", "", "",
	  "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89"
	  "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1"
	  "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
	  "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8" },
	{ "79737479ba4e7642a221fcfd1b820b134e9e3540a35bb48ffae29c20f5418ea3",
	  "3593259c092bef4129bc2c6c9e19f343", "", "", "",
	  "cf5ad5984f9e43917aa9087380dac46e410ddc8a7731859c84e9d0f31bd43655"
	  "b924159413e2293b17610f211e09f770f172b8fb693a35b85d3b9e5e63b1dc25"
	  "2ac0e115002e9bedfb4b5b6fd43f33b8e0eafb2d072e1a6fee1f159df9b51e6c"
	  "8da737e60d5032dd30544ec51558c6f080bdbdab1de8a939e961e06b5f1aca37" },
	{ "5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
	  "6f885496c1e63af620becd9e71ecb824",
	  "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
	  "", "",
	  "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d5"
	  "3faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d"
	  "9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd72"
	  "8e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b" },
	{ "8df013b4d103523073917ddf6a869793059e9943fc8654549e7ab22f7c29f122",
	  "da2625af2ddd4abcce3cf4fa4659d84e",
	  "b571e66d7c338bc07b76ad3757bb2f9452bf7e07437ae8581ce7bc7c3ac651a9",
	  "", "",
	  "b91cba4cc84fa25df8610b81b641402768a2097234932e37d590b1154cbd23f9"
	  "7452e310e291c45146147f0da2d81761fe90fba64f94419c0f662b28c1ed94da"
	  "487bb7e73eec798fbcf981b791d1be4f177a8907aa3c401643a5b62b87b89d66"
	  "b3a60e40d4a8e4e9d82af6d2700e6f535cdb51f75c321729103741030ccc3a56" },
};

START_TEST(test_hmac_drbg_cavp)
{
	struct key_hmac_drbg	 d;
	uint8_t			 ent[64], nonce[32], pers[64], a1[64], a2[64];
	uint8_t			 out[128];
	char			 hex[2 * sizeof(out) + 1];
	size_t			 ne, nn, np, n1, n2;
	struct err		 err;

	ne = unhex(cavp[_i].entropy, ent, sizeof(ent));
	nn = unhex(cavp[_i].nonce, nonce, sizeof(nonce));
	np = unhex(cavp[_i].pers, pers, sizeof(pers));
	n1 = unhex(cavp[_i].adin1, a1, sizeof(a1));
	n2 = unhex(cavp[_i].adin2, a2, sizeof(a2));
	ck_assert_int_eq(key_hmac_drbg_init(&d, ent, ne, nonce, nn, pers, np,
	    &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&d, out, sizeof(out), a1, n1,
	    &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&d, out, sizeof(out), a2, n2,
	    &err), 0);
	ck_assert_uint_eq(d.reseed_counter, 3);
	tohex(out, sizeof(out), hex);
	ck_assert_str_eq(hex, cavp[_i].out);
	key_hmac_drbg_fini(&d);
	ck_assert_uint_eq(d.reseed_counter, 0);
}
END_TEST

/*
 * A request that is not whole blocks gives the leftmost bytes of the
 * blocks it draws, and leaves the state a request of those whole blocks
 * leaves: 100 bytes and 128 bytes draw 4 blocks, 37 bytes 2.
 */
START_TEST(test_hmac_drbg_partial)
{
	struct key_hmac_drbg	a, b;
	uint8_t			x[128], y[128];
	struct err		err;

	ck_assert_int_eq(key_hmac_drbg_init(&a, (const uint8_t *)"seed", 4,
	    NULL, 0, NULL, 0, &err), 0);
	ck_assert_int_eq(key_hmac_drbg_init(&b, (const uint8_t *)"seed", 4,
	    NULL, 0, NULL, 0, &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&a, x, 100, NULL, 0, &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&b, y, 128, NULL, 0, &err), 0);
	ck_assert(memcmp(x, y, 100) == 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&a, x, 10, NULL, 0, &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&b, y, 10, NULL, 0, &err), 0);
	ck_assert(memcmp(x, y, 10) == 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&a, x, 37, NULL, 0, &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&b, y, 64, NULL, 0, &err), 0);
	ck_assert(memcmp(x, y, 37) == 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&a, x, 10, NULL, 0, &err), 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&b, y, 10, NULL, 0, &err), 0);
	ck_assert(memcmp(x, y, 10) == 0);
	ck_assert_int_eq(key_hmac_drbg_generate(&a, x, KEY_DRBG_MAX_REQUEST +
	    1, NULL, 0, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	key_hmac_drbg_fini(&a);
	key_hmac_drbg_fini(&b);
}
END_TEST

/*
 * Fortuna as nec seeds it, after one reseed with "a": a draw of 48 bytes
 * (3 + 2 blocks of AES-256-CTR from counter 1), then one of 32 under the
 * key the first draw left.  The expected bytes come from derive_ref.py's
 * Fortuna (python3-cryptography's AES); a draw of 16 bytes starts alike.
 */
START_TEST(test_fortuna_stream)
{
	struct key_fortuna	g, h;
	uint8_t			a[48], b[32];
	char			hex[2 * sizeof(a) + 1];
	struct err		err;

	key_fortuna_init(&g);
	ck_assert_int_eq(key_fortuna_reseed(&g, (const uint8_t *)"a", 1, &err),
	    0);
	ck_assert_uint_eq(g.ctr[15], 1);
	ck_assert_int_eq(key_fortuna_generate(&g, a, 0, &err), 0);
	ck_assert_uint_eq(g.ctr[15], 1);
	h = g;
	ck_assert_int_eq(key_fortuna_generate(&g, a, sizeof(a), &err), 0);
	tohex(a, sizeof(a), hex);
	ck_assert_str_eq(hex, "b955c6b5dd89f11576ca6bb954ce60644c814e2303e7398"
	    "7d0ebd744cd4012432202a04727df8ff84154feecba79a066");
	ck_assert_uint_eq(g.ctr[15], 6);
	ck_assert_int_eq(key_fortuna_generate(&g, b, sizeof(b), &err), 0);
	tohex(b, sizeof(b), hex);
	ck_assert_str_eq(hex, "da9b2d7882f76b86af0451c5b01b6e0ac4f77cc1dd6a706"
	    "954a362dc54956b8a");
	ck_assert_uint_eq(g.ctr[15], 10);
	ck_assert_int_eq(key_fortuna_generate(&h, b, 16, &err), 0);
	ck_assert(memcmp(a, b, 16) == 0);
	ck_assert_int_eq(key_fortuna_generate(&h, b, 65537, &err), -1);
	key_fortuna_fini(&g);
	key_fortuna_fini(&h);
}
END_TEST

/* One line of derive-vectors.txt. */
struct vec {
	char		 derivation[8], alg[16], domain[256], selector[64];
	char		 pwhex[256], p[1024], priv[65];
	int		 bits;
	unsigned long	 generation;
};

#define MAX_VECS	32
static struct vec	vecs[MAX_VECS];
static size_t		nvecs;

static bool	vecs_bad;	/* a line did not parse, or too many */

/* Reads the vectors when the suite is made, so that each is a test. */
static void
load_vectors(void)
{
	char		 path[4096], line[2048];
	const char	*top = getenv("top_srcdir");
	FILE		*f;
	struct vec	*v;

	snprintf(path, sizeof(path), "%s/tests/data/keys/derive-vectors.txt",
	    top ? top : "../..");
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nvecs == MAX_VECS) {
			vecs_bad = true;
			break;
		}
		v = &vecs[nvecs];
		if (sscanf(line, "%7s %15s %d %255s %63s %lu %255s %1023s "
		    "%64s", v->derivation, v->alg, &v->bits, v->domain,
		    v->selector, &v->generation, v->pwhex, v->p, v->priv) != 9)
			vecs_bad = true;
		else
			nvecs++;
	}
	fclose(f);
}

/* Every kind of vector is there, and all of them parsed. */
START_TEST(test_vectors_present)
{
	size_t	i, rsa1024 = 0, rsa2048 = 0, ed = 0, nec = 0;

	ck_assert(!vecs_bad);
	for (i = 0; i < nvecs; i++) {
		if (strcmp(vecs[i].derivation, "nec") == 0)
			nec++;
		else if (strcmp(vecs[i].alg, "ed25519") == 0)
			ed++;
		else if (vecs[i].bits == 1024)
			rsa1024++;
		else if (vecs[i].bits == 2048)
			rsa2048++;
	}
	ck_assert_uint_ge(ed, 1);
	ck_assert_uint_ge(rsa1024, 1);
	ck_assert_uint_ge(rsa2048, 1);
	ck_assert_uint_ge(nec, 1);
}
END_TEST

/* The SHA-256 of the DER inside a PEM, in hex. */
static void
pem_der_sha256(const struct buf *pem, char hex[65])
{
	const char	*b, *e;
	uint8_t		*der, md[KEY_SHA256_LEN];
	size_t		 n;
	struct err	 err;

	b = strstr(pem->data, "-----\n");
	ck_assert_ptr_nonnull(b);
	b += 6;
	e = strstr(b, "-----END");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(b64_decode(b, (size_t)(e - b), &der, &n, &err), 0);
	key_sha256(der, n, md);
	tohex(md, sizeof(md), hex);
	key_wipe(der, n);
	free(der);
}

START_TEST(test_derive_vectors)
{
	struct key_derive_params	 p;
	struct key			*k;
	struct vec			*v;
	struct buf			 b, txt;
	struct err			 err;
	uint8_t				 pw[128], digest[KEY_SHA256_LEN];
	uint8_t				 sig[KEY_MAX_SIG];
	char				 hex[65], want[1100];
	size_t				 n;

	v = &vecs[_i];
	memset(&p, 0, sizeof(p));
	p.derivation = strcmp(v->derivation, "nec") == 0 ? KEY_DERIVE_NEC :
	    KEY_DERIVE_V1;
	p.type = strcmp(v->alg, "rsa") == 0 ? KEY_RSA : KEY_ED25519;
	p.password_len = unhex(v->pwhex, pw, sizeof(pw));
	p.password = pw;
	p.domain = v->domain;
	p.selector = v->selector;
	p.bits = p.type == KEY_RSA ? v->bits : 0;
	p.generation = v->generation;
	k = key_derive(&p, &err);
	ck_assert_msg(k != NULL, "vector %d: %s", _i, err.msg);
	ck_assert(key_is_private(k));
	ck_assert_int_eq(key_bits(k), v->bits);

	buf_init(&b, 65536);
	ck_assert_int_eq(key_public_b64(k, &b, &err), 0);
	ck_assert_str_eq(b.data, v->p);
	buf_fini(&b);

	buf_init(&txt, 65536);
	ck_assert_int_eq(key_dkim_txt(k, &txt, &err), 0);
	snprintf(want, sizeof(want), "v=DKIM1; k=%s; p=%s", v->alg, v->p);
	ck_assert_str_eq(txt.data, want);
	buf_fini(&txt);

	buf_init(&b, 65536);
	ck_assert_int_eq(key_private_pem(k, &b, &err), 0);
	pem_der_sha256(&b, hex);
	ck_assert_str_eq(hex, v->priv);
	buf_fini_secret(&b);

	key_sha256("message", 7, digest);
	ck_assert_int_eq(key_sign_sha256(k, digest, sig, &n, &err), 0);
	ck_assert_int_eq(key_verify_sha256(k, digest, sig, n, &err), 0);
	key_free(k);
	key_wipe(pw, sizeof(pw));
}
END_TEST

/* The same inputs give the same key; domain case and a final dot do not
 * matter in v1, the selector's case does. */
START_TEST(test_derive_v1_names)
{
	static const char	*doms[] = { "example.com", "EXAMPLE.com",
				    "example.com." };
	struct key_derive_params p = { KEY_DERIVE_V1, KEY_ED25519,
				    (const uint8_t *)"pw", 2, NULL, "s1", 0,
				    0 };
	struct key		*k;
	struct buf		 b, first;
	struct err		 err;
	size_t			 i;

	buf_init(&first, 1024);
	for (i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
		p.domain = doms[i];
		ck_assert_ptr_nonnull(k = key_derive(&p, &err));
		buf_init(&b, 1024);
		ck_assert_int_eq(key_public_b64(k, &b, &err), 0);
		if (i == 0)
			buf_adds(&first, b.data, &err);
		else
			ck_assert_str_eq(b.data, first.data);
		buf_fini(&b);
		key_free(k);
	}
	p.selector = "S1";
	ck_assert_ptr_nonnull(k = key_derive(&p, &err));
	buf_init(&b, 1024);
	ck_assert_int_eq(key_public_b64(k, &b, &err), 0);
	ck_assert_str_ne(b.data, first.data);
	buf_fini(&b);
	buf_fini(&first);
	key_free(k);
}
END_TEST

static const struct {
	enum key_derivation	 der;
	enum key_type		 type;
	const char		*pw, *domain, *selector;
	int			 bits;
	unsigned long		 gen;
	const char		*msg;	/* a part of the error */
} bad[] = {
	{ KEY_DERIVE_V1, KEY_ED25519, "", "example.com", "s", 0, 0,
	  "empty password" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", "example.com", "bad_sel", 0, 0,
	  "not a dkim selector" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", "example.com", "-s", 0, 0,
	  "not a dkim selector" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", "example.com", "a..b", 0, 0,
	  "not a dkim selector" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", "example.com", "", 0, 0,
	  "not a dkim selector" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", "example.com", NULL, 0, 0,
	  "not a dkim selector" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", "exa mple.com", "s", 0, 0,
	  "not a dns name" },
	{ KEY_DERIVE_V1, KEY_ED25519, "pw", ".", "s", 0, 0,
	  "not a dns name" },
	{ KEY_DERIVE_V1, KEY_RSA, "pw", "example.com", "s", 512, 0,
	  "multiple of 16" },
	{ KEY_DERIVE_V1, KEY_RSA, "pw", "example.com", "s", 2040, 0,
	  "multiple of 16" },
	{ KEY_DERIVE_V1, KEY_RSA, "pw", "example.com", "s", 16384, 0,
	  "multiple of 16" },
	{ KEY_DERIVE_NEC, KEY_RSA, "pw", "example.com", NULL, 0, 1,
	  "ed25519 keys only" },
	{ KEY_DERIVE_NEC, KEY_ED25519, "pw", "example.com", NULL, 0, 0,
	  "1 or more" },
	{ KEY_DERIVE_NEC, KEY_ED25519, "pw", "", NULL, 0, 1,
	  "not a dns name" },
	{ 7, KEY_ED25519, "pw", "example.com", "s", 0, 1,
	  "unknown key derivation" },
};

START_TEST(test_derive_bad)
{
	struct key_derive_params p;
	struct err		 err;

	memset(&p, 0, sizeof(p));
	p.derivation = bad[_i].der;
	p.type = bad[_i].type;
	p.password = (const uint8_t *)bad[_i].pw;
	p.password_len = strlen(bad[_i].pw);
	p.domain = bad[_i].domain;
	p.selector = bad[_i].selector;
	p.bits = bad[_i].bits;
	p.generation = bad[_i].gen;
	ck_assert_ptr_null(key_derive(&p, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_msg(strstr(err.msg, bad[_i].msg) != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_names)
{
	ck_assert(key_derive_selector_ok("dkim-1700000000"));
	ck_assert(key_derive_selector_ok("a.b-c.9"));
	ck_assert(!key_derive_selector_ok("a-"));
	ck_assert(!key_derive_selector_ok("a."));
	ck_assert(!key_derive_selector_ok("_a"));
	ck_assert(key_derive_domain_ok("_x.example.com."));
	ck_assert(!key_derive_domain_ok("example..com"));
	ck_assert(!key_derive_domain_ok("example.com.."));
	ck_assert(!key_derive_domain_ok("0123456789012345678901234567890123456"
	    "789012345678901234567890123.com"));
}
END_TEST

TCase *
derive_tcase(void)
{
	TCase	*tc = tcase_create("derive");

	/* Each vector runs PBKDF2 with 200000 iterations, and RSA ones
	 * search for primes: slow under the sanitizers. */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_hmac_drbg_cavp, 0,
	    sizeof(cavp) / sizeof(cavp[0]));
	tcase_add_test(tc, test_hmac_drbg_partial);
	tcase_add_test(tc, test_fortuna_stream);
	load_vectors();
	tcase_add_test(tc, test_vectors_present);
	tcase_add_loop_test(tc, test_derive_vectors, 0, (int)nvecs);
	tcase_add_test(tc, test_derive_v1_names);
	tcase_add_loop_test(tc, test_derive_bad, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_names);
	return tc;
}
