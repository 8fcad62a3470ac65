# src/smtp: the SMTP command parser, DATA reader, reply parser, server and
# client state machines (sans-I/O), and their libevent transport.
src_libtimbre_a_SOURCES += src/smtp/smtp.h src/smtp/smtp_priv.h \
	src/smtp/lines.c src/smtp/parser.c src/smtp/data.c src/smtp/reply.c \
	src/smtp/server.c src/smtp/client.c
src_libtimbre_a_SOURCES += src/smtp/transport.c src/smtp/transport.h

check_PROGRAMS += tests/unit/smtp/check_smtp
TESTS += tests/unit/smtp/check_smtp
tests_unit_smtp_check_smtp_SOURCES = tests/unit/smtp/test_smtp.c \
	tests/unit/smtp/test_smtp.h tests/unit/smtp/test_parser.c \
	tests/unit/smtp/test_data.c tests/unit/smtp/test_reply.c \
	tests/unit/smtp/test_server.c tests/unit/smtp/test_client.c
# Case tables leave their trailing fields zero.
tests_unit_smtp_check_smtp_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-Wno-missing-field-initializers
tests_unit_smtp_check_smtp_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += smtp_parser
FUZZ_HARNESSES += smtp_data
FUZZ_HARNESSES += smtp_server
FUZZ_HARNESSES += smtp_client_reply
check_PROGRAMS += tests/fuzz/replay_smtp_parser tests/fuzz/replay_smtp_data \
	tests/fuzz/replay_smtp_server tests/fuzz/replay_smtp_client_reply
TESTS += tests/fuzz/replay_smtp_parser tests/fuzz/replay_smtp_data \
	tests/fuzz/replay_smtp_server tests/fuzz/replay_smtp_client_reply
tests_fuzz_replay_smtp_parser_SOURCES = tests/fuzz/fuzz_smtp_parser.c \
	tests/fuzz/replay.c
tests_fuzz_replay_smtp_parser_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_smtp_data_SOURCES = tests/fuzz/fuzz_smtp_data.c \
	tests/fuzz/replay.c
tests_fuzz_replay_smtp_data_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_smtp_server_SOURCES = tests/fuzz/fuzz_smtp_server.c \
	tests/fuzz/replay.c
tests_fuzz_replay_smtp_server_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_smtp_client_reply_SOURCES = \
	tests/fuzz/fuzz_smtp_client_reply.c tests/fuzz/replay.c
tests_fuzz_replay_smtp_client_reply_LDADD = $(TIMBRE_LIBS)
