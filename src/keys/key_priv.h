/*
 * key_priv.h: what the files of src/keys share beyond key.h: turning an
 * OpenSSL key into a struct key.  Only for src/keys (it names OpenSSL's
 * types, which no other module sees).
 */
#ifndef TIMBRE_KEYS_KEY_PRIV_H
#define TIMBRE_KEYS_KEY_PRIV_H

#include <stdbool.h>

#include <openssl/evp.h>

struct err;

/*
 * A struct key owning pkey (RSA or Ed25519; private says whether it holds
 * the private half).  On failure pkey is freed too.
 */
struct key	*key_from_evp_take(EVP_PKEY *pkey, bool private, struct err *);

#endif
