# src/mail: header sections, the streaming message reader, addresses,
# MTA-STS policies.
src_libtimbre_a_SOURCES += src/mail/mail.h src/mail/mail_priv.h \
	src/mail/hdrs.c src/mail/reader.c src/mail/addr.c \
	src/mail/mtasts.h src/mail/mtasts.c

check_PROGRAMS += tests/unit/mail/check_mail
TESTS += tests/unit/mail/check_mail
tests_unit_mail_check_mail_SOURCES = tests/unit/mail/test_hdrs.c \
	tests/unit/mail/test_reader.c tests/unit/mail/test_addr.c \
	tests/unit/mail/test_nomem.c tests/unit/mail/test_mail.c \
	tests/unit/mail/test_mail.h tests/unit/nomem.c tests/unit/nomem.h
tests_unit_mail_check_mail_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_mail_check_mail_LDADD = $(UNIT_LDADD)
# test_nomem.c fails allocations on demand (tests/unit/nomem.h).
tests_unit_mail_check_mail_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=reallocarray

FUZZ_HARNESSES += mail_hdrs mail_addrs mail_reader mtasts_policy

check_PROGRAMS += tests/fuzz/replay_mail_hdrs tests/fuzz/replay_mail_addrs \
	tests/fuzz/replay_mail_reader tests/fuzz/replay_mtasts_policy
TESTS += tests/fuzz/replay_mail_hdrs tests/fuzz/replay_mail_addrs \
	tests/fuzz/replay_mail_reader tests/fuzz/replay_mtasts_policy
tests_fuzz_replay_mail_hdrs_SOURCES = tests/fuzz/fuzz_mail_hdrs.c \
	tests/fuzz/replay.c
tests_fuzz_replay_mail_hdrs_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_mail_addrs_SOURCES = tests/fuzz/fuzz_mail_addrs.c \
	tests/fuzz/replay.c
tests_fuzz_replay_mail_addrs_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_mail_reader_SOURCES = tests/fuzz/fuzz_mail_reader.c \
	tests/fuzz/replay.c
tests_fuzz_replay_mail_reader_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_mtasts_policy_SOURCES = tests/fuzz/fuzz_mtasts_policy.c \
	tests/fuzz/replay.c
tests_fuzz_replay_mtasts_policy_LDADD = $(TIMBRE_LIBS)
