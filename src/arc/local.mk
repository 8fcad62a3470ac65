# src/arc: RFC 8617 ARC validation and sealing.
src_libtimbre_a_SOURCES += src/arc/arc.h src/arc/arc_priv.h \
	src/arc/hdr.c src/arc/verify.c src/arc/seal.c

check_PROGRAMS += tests/unit/arc/check_arc
TESTS += tests/unit/arc/check_arc
tests_unit_arc_check_arc_SOURCES = tests/unit/arc/test_arc.c
tests_unit_arc_check_arc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_arc_check_arc_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += arc_hdr
check_PROGRAMS += tests/fuzz/replay_arc_hdr
TESTS += tests/fuzz/replay_arc_hdr
tests_fuzz_replay_arc_hdr_SOURCES = tests/fuzz/fuzz_arc_hdr.c \
	tests/fuzz/replay.c
tests_fuzz_replay_arc_hdr_LDADD = $(TIMBRE_LIBS)

# The ARC conformance suites (ValiMail) and interoperability with dkimpy.
INTEGRATION_TESTS += tests/integration/arc_suite.sh \
	tests/integration/arc_interop.sh
