# src/keys: RSA and Ed25519 keys (OpenSSL), SHA-256.
src_libtimbre_a_SOURCES += src/keys/key.c src/keys/key.h
