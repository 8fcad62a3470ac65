# integration tests (tests/integration/*.sh)
# DKIM interoperability with dkimpy and Perl Mail::DKIM (NSD on loopback);
# helpers: lib.sh, dkim_peer.py, dkim_peer.pl; data: tests/data/dkim/
INTEGRATION_TESTS += tests/integration/dkim_interop.sh
# Broken DNS messages (random, mutated, over-long names, compression loops,
# bad OPT and TSIG, odd counts; UDP and TCP) against timbre-primaryd and
# timbre-resolverd, which must stay up and answer right; generator:
# malformed.py.
INTEGRATION_TESTS += tests/integration/malformed.sh
