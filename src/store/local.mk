# src/store: listd's durable state in sqlite3 (lists, subscribers, the
# queue, bounces), in a library of its own so that only the programs
# using it link sqlite3.
noinst_LIBRARIES += src/libtimbre_store.a
src_libtimbre_store_a_SOURCES = src/store/store.h src/store/store_priv.h \
	src/store/db.c src/store/schema.c src/store/names.c src/store/lists.c \
	src/store/queue.c src/store/admin.c src/store/held.c \
	src/store/archive.c src/store/secrets.c src/store/digest.c
src_libtimbre_store_a_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS)
STORE_LIBS = src/libtimbre_store.a $(SQLITE3_LIBS)

check_PROGRAMS += tests/unit/store/check_store
TESTS += tests/unit/store/check_store
tests_unit_store_check_store_SOURCES = tests/unit/store/test_store.c \
	tests/unit/store/test_store.h tests/unit/store/test_names.c \
	tests/unit/store/test_lists.c tests/unit/store/test_concurrent.c \
	tests/unit/store/test_nomem.c tests/unit/nomem.c tests/unit/nomem.h \
	tests/unit/store/test_admin.c tests/unit/store/test_digest.c
tests_unit_store_check_store_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS)
tests_unit_store_check_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_store_check_store_LDADD = $(STORE_LIBS) $(UNIT_LDADD)
# test_nomem.c fails allocations on demand (tests/unit/nomem.h), sqlite3's
# too: it gives sqlite3 an allocator over the wrapped malloc.
tests_unit_store_check_store_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=reallocarray
