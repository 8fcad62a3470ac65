/*
 * drbg.h: the two deterministic generators key derivation draws from.
 *
 * HMAC_DRBG is NIST SP 800-90A rev. 1 section 10.1.2 with SHA-256, as
 * derivation v1 specifies it for RSA primes (docs/interface.md, "Stateless
 * keys"): instantiate and generate only, never reseeded, no prediction
 * resistance.  OpenSSL 3 has it as EVP_RAND "HMAC-DRBG", OpenSSL 1.1.1
 * does not, so its two small algorithms are written here over OpenSSL's
 * HMAC.
 *
 * The Fortuna generator is mirage-crypto's (rng/fortuna.ml), as the OCaml
 * nec seeds it once and draws from it (docs/seed.md, "nec: the signer"): a
 * 256-bit AES key and a 128-bit big-endian counter, both zero at first;
 * reseed sets key := SHA-256(SHA-256(key || seed)) and counter += 1;
 * generate(n) draws ceil(n/16) + 2 blocks of AES-256-CTR from the
 * counter, returns the first n bytes, makes the last 32 the new key and
 * adds the blocks drawn to the counter.  Its accumulator pools are left
 * out: nec never feeds them.
 *
 * Both states live in caller storage; _fini wipes them.
 */
#ifndef TIMBRE_KEYS_DRBG_H
#define TIMBRE_KEYS_DRBG_H

#include <stddef.h>
#include <stdint.h>

struct err;

#define KEY_DRBG_OUTLEN		32	/* SHA-256 */
#define KEY_DRBG_MAX_INPUT	1024	/* bytes of entropy, nonce, ... */
#define KEY_DRBG_MAX_REQUEST	65536	/* bytes: SP 800-90A's 2^19 bits */

struct key_hmac_drbg {
	uint8_t		K[KEY_DRBG_OUTLEN];
	uint8_t		V[KEY_DRBG_OUTLEN];
	uint64_t	reseed_counter;
};

/*
 * HMAC_DRBG_Instantiate_algorithm (10.1.2.3) with seed material entropy
 * || nonce || pers; either of the last two may be empty (NULL, 0).  -1
 * (ERR_ARG) if the three together exceed KEY_DRBG_MAX_INPUT bytes.
 */
int	key_hmac_drbg_init(struct key_hmac_drbg *, const uint8_t *entropy,
	    size_t, const uint8_t *nonce, size_t, const uint8_t *pers,
	    size_t, struct err *);
/*
 * HMAC_DRBG_Generate_algorithm (10.1.2.5): n bytes (at most
 * KEY_DRBG_MAX_REQUEST) to out, with optional additional input.
 */
int	key_hmac_drbg_generate(struct key_hmac_drbg *, uint8_t *out,
	    size_t n, const uint8_t *adin, size_t, struct err *);
void	key_hmac_drbg_fini(struct key_hmac_drbg *);

struct key_fortuna {
	uint8_t		key[32];
	uint8_t		ctr[16];	/* big-endian */
};

void	key_fortuna_init(struct key_fortuna *);
int	key_fortuna_reseed(struct key_fortuna *, const uint8_t *seed,
	    size_t, struct err *);
/* n bytes to out, at most 65536 (mirage-crypto serves a larger request
 * in chunks, in an order nothing here needs); 0 bytes change nothing. */
int	key_fortuna_generate(struct key_fortuna *, uint8_t *out, size_t n,
	    struct err *);
void	key_fortuna_fini(struct key_fortuna *);

#endif
