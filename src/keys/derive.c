/*
 * derive.c: key derivation v1 and nec's Ed25519 keys (derive.h), over
 * OpenSSL's PBKDF2, BIGNUM primality tests and RSA key import.
 *
 * OpenSSL 3.0 deprecates the RSA_set0_* calls 1.1.1 needs to assemble a
 * key and 1.1.1 lacks EVP_PKEY_fromdata, and BN_check_prime (3.0)
 * replaces BN_is_prime_ex (1.1.1): the two places that differ are
 * rsa_is_prime() and rsa_assemble().  Both primality tests are
 * Miller-Rabin with enough rounds for an error below 2^-80, so a derived
 * key does not depend on the OpenSSL version.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#else
#include <openssl/rsa.h>
#endif

#include "keys/derive.h"
#include "keys/drbg.h"
#include "keys/key.h"
#include "keys/key_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define DERIVE_V1_SALT		"timbre-dkim-v1:"
#define DERIVE_NEC_SALT		":ptt"
#define DERIVE_RSA_E		65537
#define DERIVE_RSA_PERS		"timbre-rsa-"
#define DERIVE_TOP_BITS		100	/* p and q differ in these */
/* About ln(2^4096) / 2 candidates are drawn per prime of 4096 bits:
 * 100 times that means something is broken. */
#define DERIVE_MAX_CANDIDATES	150000

/* Is s[0..n) a label of letters, digits, hyphens (and underscores if
 * under), starting and ending with neither? */
static bool
derive_label_ok(const char *s, size_t n, bool under)
{
	size_t	i;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++) {
		if (isalnum((unsigned char)s[i]) || (under && s[i] == '_'))
			continue;
		if (s[i] != '-' || i == 0 || i == n - 1)
			return false;
	}
	return true;
}

static bool
derive_name_ok(const char *s, bool under, bool final_dot)
{
	const char	*dot;
	size_t		 len;

	if (s == NULL || (len = strlen(s)) == 0)
		return false;
	if (final_dot && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (;;) {
		dot = memchr(s, '.', len);
		if (!derive_label_ok(s, dot != NULL ? (size_t)(dot - s) : len,
		    under))
			return false;
		if (dot == NULL)
			return true;
		len -= (size_t)(dot - s) + 1;
		s = dot + 1;
	}
}

bool
key_derive_selector_ok(const char *s)
{
	return derive_name_ok(s, false, false);
}

bool
key_derive_domain_ok(const char *s)
{
	return derive_name_ok(s, true, true);
}

/* The domain without a final dot, in lower case if lower: to out, which
 * has room for 254 bytes. */
static void
derive_domain(const char *d, bool lower, char out[254])
{
	size_t	i, len = strlen(d);

	if (len > 0 && d[len - 1] == '.')
		len--;
	for (i = 0; i < len && i < 253; i++)
		out[i] = lower ? (char)tolower((unsigned char)d[i]) : d[i];
	out[i] = '\0';
}

static int
derive_pbkdf2(const uint8_t *pw, size_t pwlen, const char *salt,
    unsigned long iter, uint8_t out[KEY_DERIVE_SEED_LEN], struct err *err)
{
	if (pwlen > INT_MAX || iter == 0 || iter > INT_MAX) {
		err_set(err, ERR_ARG, "pbkdf2: password or iterations out "
		    "of range");
		return -1;
	}
	if (PKCS5_PBKDF2_HMAC((const char *)pw, (int)pwlen,
	    (const unsigned char *)salt, (int)strlen(salt), (int)iter,
	    EVP_sha256(), KEY_DERIVE_SEED_LEN, out) != 1) {
		err_set(err, ERR_CRYPTO, "pbkdf2-hmac-sha256 failed");
		return -1;
	}
	return 0;
}

int
key_derive_seed_v1(const uint8_t *pw, size_t pwlen, const char *domain,
    const char *selector, uint8_t seed_out[KEY_DERIVE_SEED_LEN],
    struct err *err)
{
	char	dom[254], salt[sizeof(DERIVE_V1_SALT) + 254 + 1 + 254];
	int	n;

	if (pw == NULL || pwlen == 0) {
		err_set(err, ERR_ARG, "empty password");
		return -1;
	}
	if (!key_derive_domain_ok(domain)) {
		err_set(err, ERR_ARG, "domain \"%.64s\" is not a dns name",
		    domain != NULL ? domain : "");
		return -1;
	}
	if (!key_derive_selector_ok(selector)) {
		err_set(err, ERR_ARG, "selector \"%.64s\" is not a dkim "
		    "selector", selector != NULL ? selector : "");
		return -1;
	}
	derive_domain(domain, true, dom);
	n = snprintf(salt, sizeof(salt), "%s%s:%s", DERIVE_V1_SALT, dom,
	    selector);
	if (n < 0 || (size_t)n >= sizeof(salt)) {
		err_set(err, ERR_ARG, "domain and selector too long");
		return -1;
	}
	return derive_pbkdf2(pw, pwlen, salt, KEY_DERIVE_V1_ITERATIONS,
	    seed_out, err);
}

/* 1 if c is a probable prime, 0 if not, -1 on error. */
static int
rsa_is_prime(const BIGNUM *c, BN_CTX *ctx)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	return BN_check_prime(c, ctx, NULL);
#else
	return BN_is_prime_ex(c, BN_prime_checks, ctx, NULL);
#endif
}

/*
 * The next kept candidate of half bits from d to c: drawn, top two bits
 * and low bit set, kept if 65537 does not divide c - 1 and c is a
 * probable prime.
 */
static int
rsa_next_prime(struct key_hmac_drbg *d, int half, BIGNUM *c, BN_CTX *ctx,
    struct err *err)
{
	uint8_t		buf[KEY_DERIVE_RSA_MAX_BITS / 16];
	size_t		n = (size_t)half / 8;
	BN_ULONG	rem;
	int		i, prime;

	for (i = 0; i < DERIVE_MAX_CANDIDATES; i++) {
		if (key_hmac_drbg_generate(d, buf, n, NULL, 0, err) == -1)
			return -1;
		if (BN_bin2bn(buf, (int)n, c) == NULL ||
		    !BN_set_bit(c, half - 1) || !BN_set_bit(c, half - 2) ||
		    !BN_set_bit(c, 0))
			goto fail;
		/* c mod 65537 = 1 exactly when 65537 (a prime) divides
		 * c - 1, that is when gcd(c - 1, 65537) != 1. */
		if ((rem = BN_mod_word(c, DERIVE_RSA_E)) == (BN_ULONG)-1)
			goto fail;
		if (rem == 1)
			continue;
		if ((prime = rsa_is_prime(c, ctx)) < 0)
			goto fail;
		if (prime == 1) {
			OPENSSL_cleanse(buf, sizeof(buf));
			return 0;
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	err_set(err, ERR_CRYPTO, "no prime in %d candidates",
	    DERIVE_MAX_CANDIDATES);
	return -1;
fail:
	OPENSSL_cleanse(buf, sizeof(buf));
	err_set(err, ERR_NOMEM, "rsa candidate: out of memory");
	return -1;
}

/* The RSA numbers, all owned here; NULL entries are fine to free. */
struct rsa_parts {
	BIGNUM	*n, *e, *d, *p, *q, *dmp1, *dmq1, *iqmp;
};

static void
rsa_parts_free(struct rsa_parts *r)
{
	BN_free(r->n);
	BN_free(r->e);
	BN_clear_free(r->d);
	BN_clear_free(r->p);
	BN_clear_free(r->q);
	BN_clear_free(r->dmp1);
	BN_clear_free(r->dmq1);
	BN_clear_free(r->iqmp);
	memset(r, 0, sizeof(*r));
}

/* An RSA EVP_PKEY of r; takes what it uses of r (1.1.1). */
static EVP_PKEY *
rsa_assemble(struct rsa_parts *r)
{
	EVP_PKEY	*pkey = NULL;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;

	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, r->n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, r->e) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, r->d) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, r->p) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, r->q) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    r->dmp1) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    r->dmq1) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    r->iqmp) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	/* The secret numbers were BN_secure_new: their copies in params are
	 * in secure memory, which OSSL_PARAM_free wipes. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
#else
	RSA		*rsa;

	if ((rsa = RSA_new()) == NULL)
		return NULL;
	if (!RSA_set0_key(rsa, r->n, r->e, r->d)) {
		RSA_free(rsa);
		return NULL;
	}
	r->n = r->e = r->d = NULL;
	if (!RSA_set0_factors(rsa, r->p, r->q)) {
		RSA_free(rsa);
		return NULL;
	}
	r->p = r->q = NULL;
	if (!RSA_set0_crt_params(rsa, r->dmp1, r->dmq1, r->iqmp)) {
		RSA_free(rsa);
		return NULL;
	}
	r->dmp1 = r->dmq1 = r->iqmp = NULL;
	if ((pkey = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_assign_RSA(pkey, rsa) != 1) {
		EVP_PKEY_free(pkey);
		RSA_free(rsa);		/* wipes its numbers */
		return NULL;
	}
#endif
	return pkey;
}

static struct key *
derive_rsa(const uint8_t seed[KEY_DERIVE_SEED_LEN], int bits,
    struct err *err)
{
	struct key_hmac_drbg	 drbg;
	struct rsa_parts	 r = { NULL };
	BN_CTX			*ctx = NULL;
	BIGNUM			*p1 = NULL, *q1 = NULL, *lcm = NULL;
	BIGNUM			*tp = NULL, *tq = NULL;
	EVP_PKEY		*pkey;
	char			 pers[32];
	int			 half = bits / 2, top = half - DERIVE_TOP_BITS;
	struct key		*k = NULL;

	snprintf(pers, sizeof(pers), "%s%d", DERIVE_RSA_PERS, bits);
	if (key_hmac_drbg_init(&drbg, seed, KEY_DERIVE_SEED_LEN, NULL, 0,
	    (const uint8_t *)pers, strlen(pers), err) == -1)
		return NULL;
	if ((ctx = BN_CTX_secure_new()) == NULL ||
	    (r.p = BN_secure_new()) == NULL ||
	    (r.q = BN_secure_new()) == NULL ||
	    (r.d = BN_secure_new()) == NULL ||
	    (r.dmp1 = BN_secure_new()) == NULL ||
	    (r.dmq1 = BN_secure_new()) == NULL ||
	    (r.iqmp = BN_secure_new()) == NULL ||
	    (r.n = BN_new()) == NULL || (r.e = BN_new()) == NULL ||
	    (p1 = BN_secure_new()) == NULL || (q1 = BN_secure_new()) == NULL ||
	    (lcm = BN_secure_new()) == NULL ||
	    (tp = BN_secure_new()) == NULL || (tq = BN_secure_new()) == NULL) {
		err_set(err, ERR_NOMEM, "rsa derivation: out of memory");
		goto out;
	}
	/* p: the first kept candidate; q: the next whose top bits differ. */
	if (rsa_next_prime(&drbg, half, r.p, ctx, err) == -1 ||
	    !BN_rshift(tp, r.p, top))
		goto bn_fail;
	do {
		if (rsa_next_prime(&drbg, half, r.q, ctx, err) == -1 ||
		    !BN_rshift(tq, r.q, top))
			goto bn_fail;
	} while (BN_cmp(tp, tq) == 0);
	if (BN_cmp(r.p, r.q) < 0)
		BN_swap(r.p, r.q);
	/* The secret numbers take OpenSSL's constant-time paths. */
	BN_set_flags(r.p, BN_FLG_CONSTTIME);
	BN_set_flags(r.q, BN_FLG_CONSTTIME);
	BN_set_flags(p1, BN_FLG_CONSTTIME);
	BN_set_flags(q1, BN_FLG_CONSTTIME);
	BN_set_flags(lcm, BN_FLG_CONSTTIME);
	/* n = pq; d = e^-1 mod lcm(p - 1, q - 1); the CRT values. */
	if (!BN_set_word(r.e, DERIVE_RSA_E) ||
	    !BN_mul(r.n, r.p, r.q, ctx) ||
	    !BN_sub(p1, r.p, BN_value_one()) ||
	    !BN_sub(q1, r.q, BN_value_one()) ||
	    !BN_gcd(tp, p1, q1, ctx) ||
	    !BN_mul(tq, p1, q1, ctx) ||
	    !BN_div(lcm, NULL, tq, tp, ctx) ||
	    BN_mod_inverse(r.d, r.e, lcm, ctx) == NULL ||
	    !BN_mod(r.dmp1, r.d, p1, ctx) ||
	    !BN_mod(r.dmq1, r.d, q1, ctx) ||
	    BN_mod_inverse(r.iqmp, r.q, r.p, ctx) == NULL)
		goto bn_fail;
	if ((pkey = rsa_assemble(&r)) == NULL) {
		err_set(err, ERR_CRYPTO, "rsa key assembly failed");
		goto out;
	}
	k = key_from_evp_take(pkey, true, err);
	goto out;
bn_fail:
	if (err != NULL && err->code == ERR_NONE)
		err_set(err, ERR_CRYPTO, "rsa derivation: bignum failed");
out:
	key_hmac_drbg_fini(&drbg);
	rsa_parts_free(&r);
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_clear_free(lcm);
	BN_clear_free(tp);
	BN_clear_free(tq);
	BN_CTX_free(ctx);
	return k;
}

static struct key *
derive_nec(const struct key_derive_params *p, struct err *err)
{
	struct key_fortuna	 g;
	uint8_t			 seed[KEY_DERIVE_SEED_LEN];
	uint8_t			 priv[32];
	char			 dom[254], salt[254 + sizeof(DERIVE_NEC_SALT)];
	struct key		*k = NULL;

	if (p->type != KEY_ED25519) {
		err_set(err, ERR_ARG, "nec derivation makes ed25519 keys only");
		return NULL;
	}
	if (p->generation == 0) {
		err_set(err, ERR_ARG, "nec key generation must be 1 or more");
		return NULL;
	}
	if (!key_derive_domain_ok(p->domain)) {
		err_set(err, ERR_ARG, "domain \"%.64s\" is not a dns name",
		    p->domain != NULL ? p->domain : "");
		return NULL;
	}
	derive_domain(p->domain, false, dom);
	snprintf(salt, sizeof(salt), "%s%s", dom, DERIVE_NEC_SALT);
	key_fortuna_init(&g);
	if (derive_pbkdf2(p->password, p->password_len, salt, p->generation,
	    seed, err) == 0 &&
	    key_fortuna_reseed(&g, seed, sizeof(seed), err) == 0 &&
	    key_fortuna_generate(&g, priv, sizeof(priv), err) == 0)
		k = key_from_ed25519_seed(priv, err);
	key_fortuna_fini(&g);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(priv, sizeof(priv));
	return k;
}

struct key *
key_derive(const struct key_derive_params *p, struct err *err)
{
	uint8_t		 seed[KEY_DERIVE_SEED_LEN];
	struct key	*k = NULL;
	int		 bits = p->bits != 0 ? p->bits : KEY_DERIVE_RSA_BITS;

	err_clear(err);
	if (p->password == NULL || p->password_len == 0) {
		err_set(err, ERR_ARG, "empty password");
		return NULL;
	}
	switch (p->derivation) {
	case KEY_DERIVE_NEC:
		return derive_nec(p, err);
	case KEY_DERIVE_V1:
		break;
	default:
		err_set(err, ERR_ARG, "unknown key derivation %d",
		    (int)p->derivation);
		return NULL;
	}
	if (p->type != KEY_ED25519 && p->type != KEY_RSA) {
		err_set(err, ERR_ARG, "unknown key type %d", (int)p->type);
		return NULL;
	}
	if (p->type == KEY_RSA && (bits < KEY_DERIVE_RSA_MIN_BITS ||
	    bits > KEY_DERIVE_RSA_MAX_BITS || bits % 16 != 0)) {
		err_set(err, ERR_ARG, "rsa key bits must be a multiple of 16 "
		    "from %d to %d, not %d", KEY_DERIVE_RSA_MIN_BITS,
		    KEY_DERIVE_RSA_MAX_BITS, bits);
		return NULL;
	}
	if (key_derive_seed_v1(p->password, p->password_len, p->domain,
	    p->selector, seed, err) == -1)
		return NULL;
	if (p->type == KEY_ED25519)
		k = key_from_ed25519_seed(seed, err);
	else
		k = derive_rsa(seed, bits, err);
	OPENSSL_cleanse(seed, sizeof(seed));
	return k;
}

int
key_dkim_txt(struct key *k, struct buf *out, struct err *err)
{
	if (buf_printf(out, err, "v=DKIM1; k=%s; p=",
	    key_type_name(key_type(k))) == -1)
		return -1;
	return key_public_b64(k, out, err);
}
