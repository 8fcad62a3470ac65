# src/archive: lists' archives as public-inbox v2 inboxes.  What a commit
# says of a message (msginfo.c) and the web view's pages (html.c), no
# I/O, are in libtimbre; the inbox itself (inbox.c) and the web view's
# reading of it (site.c) in a library of its own, so that only the
# programs reading or writing archives link libgit2 for it.
src_libtimbre_a_SOURCES += src/archive/archive.h src/archive/msginfo.c \
	src/archive/html.c
noinst_LIBRARIES += src/libtimbre_archive.a
src_libtimbre_archive_a_SOURCES = src/archive/archive.h \
	src/archive/archive_priv.h src/archive/inbox.c src/archive/site.c
src_libtimbre_archive_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBGIT2_CFLAGS)
ARCHIVE_LIBS = src/libtimbre_archive.a $(LIBGIT2_LIBS)

check_PROGRAMS += tests/unit/archive/check_archive
TESTS += tests/unit/archive/check_archive
tests_unit_archive_check_archive_SOURCES = tests/unit/archive/test_archive.c
tests_unit_archive_check_archive_CPPFLAGS = $(AM_CPPFLAGS) $(LIBGIT2_CFLAGS)
tests_unit_archive_check_archive_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_archive_check_archive_LDADD = $(ARCHIVE_LIBS) $(UNIT_LDADD)

# The web view's fields, bodies, threads and escaping (html.c).
check_PROGRAMS += tests/unit/archive/check_archive_html
TESTS += tests/unit/archive/check_archive_html
tests_unit_archive_check_archive_html_SOURCES = \
	tests/unit/archive/test_html.c
tests_unit_archive_check_archive_html_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_archive_check_archive_html_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += archive_info
check_PROGRAMS += tests/fuzz/replay_archive_info
TESTS += tests/fuzz/replay_archive_info
tests_fuzz_replay_archive_info_SOURCES = tests/fuzz/fuzz_archive_info.c \
	tests/fuzz/replay.c
tests_fuzz_replay_archive_info_LDADD = $(TIMBRE_LIBS)

# The web view's message parser and pages (html.c): message bytes in,
# the thread page out, with no unescaped markup and no whole address.
FUZZ_HARNESSES += archive_html
check_PROGRAMS += tests/fuzz/replay_archive_html
TESTS += tests/fuzz/replay_archive_html
tests_fuzz_replay_archive_html_SOURCES = tests/fuzz/fuzz_archive_html.c \
	tests/fuzz/replay.c
tests_fuzz_replay_archive_html_LDADD = $(TIMBRE_LIBS)
