# src/milter: the milter protocol, filter side (framing, session), for
# timbre-signd behind Postfix's smtpd_milters.
src_libtimbre_a_SOURCES += src/milter/milter.h src/milter/parser.c \
	src/milter/session.c

check_PROGRAMS += tests/unit/milter/check_milter
TESTS += tests/unit/milter/check_milter
tests_unit_milter_check_milter_SOURCES = tests/unit/milter/test_milter.c
tests_unit_milter_check_milter_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_milter_check_milter_LDADD = $(UNIT_LDADD)
