#!/usr/bin/python3
# tests/data/keys/derive_ref.py: an independent reference of timbre's key
# derivations, written from docs/interface.md ("Stateless keys: derivation v1")
# and the nec notes (docs/seed.md, "nec: the signer"), not from
# timbre's C code.  It prints derive-vectors.txt:
#
#	/usr/bin/python3 tests/data/keys/derive_ref.py > tests/data/keys/derive-vectors.txt
#
# Only the standard library does the derivation: hashlib.pbkdf2_hmac,
# hmac for HMAC_DRBG (SP 800-90A rev. 1, section 10.1.2), Miller-Rabin with
# 64 random bases, plain integers for the RSA key and a hand-written DER
# encoder for SubjectPublicKeyInfo and PKCS #8.  Two things come from
# Debian packages: the Ed25519 public key from its seed (python3-nacl,
# libsodium) and AES-256 for nec's Fortuna generator (python3-cryptography).
# The HMAC_DRBG is first checked against NIST CAVP vectors (HMAC_DRBG.rsp,
# SHA-256, no reseed), so a wrong DRBG stops the script.
#
# Columns of each vector line (fields separated by one space):
#   derivation  v1 or nec
#   algorithm   rsa or ed25519
#   bits        RSA modulus bits; 256 for ed25519
#   domain      as given to timbre key derive --domain
#   selector    v1: the selector; nec: "-"
#   generation  nec: the key's generation number (PBKDF2 iterations); v1: 0
#   password    hex of the password bytes (for nec: the decoded bytes of
#               nec's base64 --password)
#   p           the p= value of the DKIM key record (base64)
#   private     SHA-256 (hex) of the private key's PKCS #8 DER encoding
import hashlib
import hmac
import math
import secrets
import sys

import nacl.signing
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# ---------------------------------------------------------------- HMAC_DRBG


class HmacDrbg:
    """HMAC_DRBG with SHA-256, no reseeding, no prediction resistance."""

    def __init__(self, entropy, nonce, pers):
        self.k = b"\x00" * 32
        self.v = b"\x01" * 32
        self._update(entropy + nonce + pers)

    def _mac(self, key, data):
        return hmac.new(key, data, hashlib.sha256).digest()

    def _update(self, data):
        self.k = self._mac(self.k, self.v + b"\x00" + data)
        self.v = self._mac(self.k, self.v)
        if data:
            self.k = self._mac(self.k, self.v + b"\x01" + data)
            self.v = self._mac(self.k, self.v)

    def generate(self, n, adin=b""):
        if adin:
            self._update(adin)
        out = b""
        while len(out) < n:
            self.v = self._mac(self.k, self.v)
            out += self.v
        self._update(adin)
        return out[:n]


# NIST CAVP HMAC_DRBG.rsp [SHA-256] [PredictionResistance = False], no
# reseed: two 1024-bit generate calls, ReturnedBits is the second output.
CAVP = [
    ("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
     "659ba96c601dc69fc902940805ec0ca8", "",
     "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89"
     "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1"
     "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
     "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"),
    ("5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
     "6f885496c1e63af620becd9e71ecb824",
     "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
     "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d5"
     "3faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d"
     "9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd72"
     "8e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b"),
]


def check_drbg():
    for ent, nonce, pers, want in CAVP:
        d = HmacDrbg(bytes.fromhex(ent), bytes.fromhex(nonce),
                     bytes.fromhex(pers))
        d.generate(128)
        if d.generate(128).hex() != want:
            sys.exit("derive_ref.py: HMAC_DRBG fails its CAVP vector")


# ---------------------------------------------------------------- primes

SMALL_PRIMES = [p for p in range(3, 2000)
                if all(p % q for q in range(2, int(p ** 0.5) + 1))]


def is_probable_prime(n, rounds=64):
    if n < 2 or n % 2 == 0:
        return n == 2
    for p in SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = 2 + secrets.randbelow(n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


# ---------------------------------------------------------------- DER


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(n):
    return der(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))


def der_seq(*items):
    return der(0x30, b"".join(items))


OID_RSA = bytes.fromhex("06092a864886f70d010101")	# 1.2.840.113549.1.1.1
OID_ED25519 = bytes.fromhex("06032b6570")		# 1.3.101.112
NULL = bytes.fromhex("0500")

# ---------------------------------------------------------------- v1

E = 65537


def seed_v1(password, domain, selector):
    salt = ("timbre-dkim-v1:" + domain.lower() + ":" + selector).encode()
    return hashlib.pbkdf2_hmac("sha256", password, salt, 200000, 32)


def rsa_v1(seed, bits):
    half = bits // 2
    drbg = HmacDrbg(seed, b"", b"timbre-rsa-%d" % bits)

    def candidate():
        c = int.from_bytes(drbg.generate(half // 8), "big")
        return c | (3 << (half - 2)) | 1

    def kept():
        while True:
            c = candidate()
            if is_probable_prime(c) and math.gcd(c - 1, E) == 1:
                return c

    p = kept()
    while True:
        q = kept()
        if (p >> (half - 100)) != (q >> (half - 100)):
            break
    if p < q:
        p, q = q, p
    n = p * q
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(E, -1, lam)
    rsakey = der_seq(der_int(0), der_int(n), der_int(E), der_int(d),
                     der_int(p), der_int(q), der_int(d % (p - 1)),
                     der_int(d % (q - 1)), der_int(pow(q, -1, p)))
    pkcs8 = der_seq(der_int(0), der_seq(OID_RSA, NULL), der(0x04, rsakey))
    spki = der_seq(der_seq(OID_RSA, NULL),
                   der(0x03, b"\x00" + der_seq(der_int(n), der_int(E))))
    return spki, pkcs8


def ed25519(seed):
    pub = nacl.signing.SigningKey(seed).verify_key.encode()
    pkcs8 = der_seq(der_int(0), der_seq(OID_ED25519),
                    der(0x04, der(0x04, seed)))
    return pub, pkcs8

# ---------------------------------------------------------------- nec


class Fortuna:
    """mirage-crypto's Fortuna generator, as nec seeds it: no pools."""

    def __init__(self):
        self.key = b"\x00" * 32
        self.ctr = 0

    def reseed(self, seed):
        self.key = hashlib.sha256(hashlib.sha256(self.key + seed).digest()
                                  ).digest()
        self.ctr += 1

    def generate(self, n):
        blocks = -(-n // 16) + 2
        enc = Cipher(algorithms.AES(self.key),
                     modes.CTR(self.ctr.to_bytes(16, "big"))).encryptor()
        r = enc.update(b"\x00" * (16 * blocks)) + enc.finalize()
        self.key = r[-32:]
        self.ctr += blocks
        return r[:n]


def seed_nec(password, domain, generation):
    salt = (domain + ":ptt").encode()
    pbk = hashlib.pbkdf2_hmac("sha256", password, salt, generation, 32)
    g = Fortuna()
    g.reseed(pbk)
    return g.generate(32)

# ---------------------------------------------------------------- vectors


def b64(b):
    import base64
    return base64.b64encode(b).decode()


def line(deriv, alg, bits, domain, sel, gen, password, p, pkcs8):
    print(deriv, alg, bits, domain, sel, gen, password.hex(), b64(p),
          hashlib.sha256(pkcs8).hexdigest())


def main():
    check_drbg()
    print("# derive-vectors.txt: made by derive_ref.py (see its header for "
          "the columns); do not edit")
    print("# derivation algorithm bits domain selector generation "
          "password-hex p private-pkcs8-sha256")
    v1 = [
        ("ed25519", 256, "example.com", "dkim-1700000000",
         b"correct horse battery staple"),
        ("ed25519", 256, "Mail.Example.ORG", "ed-2026", b"pa\xc3\x9f wort\n"),
        ("rsa", 1024, "example.com", "rsa-1024", b"correct horse battery "
         b"staple"),
        ("rsa", 2048, "example.com", "dkim-1700000000",
         b"correct horse battery staple"),
        ("rsa", 2048, "Lists.Example.NET", "arc-1", b"s3cret"),
    ]
    for alg, bits, domain, sel, pw in v1:
        seed = seed_v1(pw, domain, sel)
        if alg == "ed25519":
            p, pkcs8 = ed25519(seed)
        else:
            p, pkcs8 = rsa_v1(seed, bits)
        line("v1", alg, bits, domain, sel, 0, pw, p, pkcs8)
    nec = [
        ("mailingl.st", 1, b"nec password"),
        ("Example.com", 3, bytes(range(32))),
    ]
    for domain, gen, pw in nec:
        p, pkcs8 = ed25519(seed_nec(pw, domain, gen))
        line("nec", "ed25519", 256, domain, "-", gen, pw, p, pkcs8)


if __name__ == "__main__":
    main()
