# src/store: listd's durable state in sqlite3 (lists, subscribers, the
# queue, bounces), in a library of its own so that only the programs
# using it link sqlite3.
noinst_LIBRARIES += src/libtimbre_store.a
src_libtimbre_store_a_SOURCES = src/store/store.h src/store/store_priv.h \
	src/store/db.c src/store/schema.c src/store/names.c src/store/lists.c
src_libtimbre_store_a_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS)
STORE_LIBS = src/libtimbre_store.a $(SQLITE3_LIBS)
