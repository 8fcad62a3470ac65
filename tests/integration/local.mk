# integration tests (tests/integration/*.sh)
# DKIM interoperability with dkimpy and Perl Mail::DKIM (NSD on loopback);
# helpers: lib.sh, dkim_peer.py, dkim_peer.pl; data: tests/data/dkim/
INTEGRATION_TESTS += tests/integration/dkim_interop.sh
