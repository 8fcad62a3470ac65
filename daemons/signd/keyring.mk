# daemons/signd/keyring.mk: timbre-signd's key life cycle (keyring.c,
# the decisions in plan.c; AXFR and UPDATE are src/dns/xfr.c's).  The daemon's
# own local.mk adds $(SIGND_KEYRING_SOURCES) to timbre-signd.
SIGND_KEYRING_SOURCES = daemons/signd/keyring.c daemons/signd/keyring.h \
	daemons/signd/plan.c daemons/signd/plan.h

# The decisions, with a table and a clock of the test's own.
check_PROGRAMS += tests/unit/signd/check_signd
TESTS += tests/unit/signd/check_signd
tests_unit_signd_check_signd_SOURCES = tests/unit/signd/test_plan.c \
	daemons/signd/plan.c daemons/signd/plan.h
tests_unit_signd_check_signd_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/daemons/signd
tests_unit_signd_check_signd_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_signd_check_signd_LDADD = $(UNIT_LDADD)

# The keyring on a loop of its own, for tests/integration/signd_keys.sh
# against a real timbre-primaryd.
check_PROGRAMS += tests/unit/signd/keyring_drive
tests_unit_signd_keyring_drive_SOURCES = tests/unit/signd/keyring_drive.c \
	$(SIGND_KEYRING_SOURCES)
tests_unit_signd_keyring_drive_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/daemons/signd
tests_unit_signd_keyring_drive_LDADD = $(TIMBRE_LIBS)
INTEGRATION_TESTS += tests/integration/signd_keys.sh
