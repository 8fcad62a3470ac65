# integration tests (tests/integration/*.sh)
# DKIM interoperability with dkimpy and Perl Mail::DKIM (NSD on loopback);
# helpers: lib.sh, dkim_peer.py, dkim_peer.pl; data: tests/data/dkim/
INTEGRATION_TESTS += tests/integration/dkim_interop.sh
# timbre key derive against tests/data/keys/derive-vectors.txt, and its
# keys verified by dkimpy (python3-dkim)
INTEGRATION_TESTS += tests/integration/key_derive.sh
# the milter core (src/milter) behind a private Postfix on loopback:
# tests/integration/milter_echo inserts headers, smtp-sink receives
INTEGRATION_TESTS += tests/integration/milter.sh
