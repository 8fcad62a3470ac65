# src/util: buffers, errors, base64, logging, worker threads (pool.c).
src_libtimbre_a_SOURCES += src/util/err.c src/util/err.h \
	src/util/buf.c src/util/buf.h src/util/b64.c src/util/b64.h \
	src/util/log.c src/util/log.h src/util/opt.c src/util/opt.h \
	src/util/daemon.c src/util/daemon.h src/util/acl.c src/util/acl.h \
	src/util/pool.c src/util/pool.h

check_PROGRAMS += tests/unit/util/check_util
TESTS += tests/unit/util/check_util
tests_unit_util_check_util_SOURCES = tests/unit/util/test_util.c \
	tests/unit/util/test_pool.c
tests_unit_util_check_util_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_util_check_util_LDFLAGS = -pthread
tests_unit_util_check_util_LDADD = $(UNIT_LDADD)
