# tests: the shared pieces of the harness.  Unit suites live in the module
# fragments (src/<module>/local.mk); fuzz harnesses are declared there too
# with FUZZ_HARNESSES += NAME (source tests/fuzz/fuzz_NAME.c) plus a replay
# program tests/fuzz/replay_NAME that runs the corpus under make check.

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; \
	top_srcdir='$(abs_top_srcdir)'; export top_builddir top_srcdir; \
	CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-$(CK_TIMEOUT_MULTIPLIER)}; \
	export CK_TIMEOUT_MULTIPLIER;

EXTRA_DIST += tests/fuzz/replay.c tests/fuzz/README.md tests/unit/unit.h

# Whole folders of test inputs and scripts.  Not in EXTRA_DIST: for a
# folder, automake copies the build tree's one when it exists, and in a
# VPATH build tests/integration there holds the test logs.
TEST_DIST_DIRS = tests/fuzz/corpus tests/integration tests/data tests/compat
dist-hook: dist-test-dirs
dist-test-dirs:
	for d in $(TEST_DIST_DIRS); do \
	  mkdir -p "$(distdir)/$$d" && \
	  (cd "$(srcdir)/$$d" && tar -cf - --exclude=__pycache__ \
	    --exclude='*.log' --exclude='*.trs' .) | \
	  (cd "$(distdir)/$$d" && tar -xf -) || exit 1; \
	done
.PHONY: dist-test-dirs

dist_man_MANS += man/timbre.1
TESTS += tests/man.sh
EXTRA_DIST += tests/man.sh

# Every global symbol of libtimbre carries its folder's prefix (nm.sh),
# checked on the objects the fragments list.
TESTS += tests/nm.sh
EXTRA_DIST += tests/nm.sh
AM_TESTS_ENVIRONMENT += LIBTIMBRE_OBJECTS='$(src_libtimbre_a_OBJECTS) \
	$(src_libtimbre_git_a_OBJECTS) $(src_libtimbre_archive_a_OBJECTS)'; \
	export LIBTIMBRE_OBJECTS;

# docs/layout.md's picture of who uses whom is tools/deps.sh's, from the
# includes (layout.sh); make layout redraws it in the source tree.
TESTS += tests/layout.sh
EXTRA_DIST += tests/layout.sh tools/deps.sh docs/layout.md tests/cppcheck.cfg
layout:
	$(SHELL) $(srcdir)/tools/deps.sh --write $(srcdir)
.PHONY: layout

# docs/ stands alone (docs.sh): nothing in docs/, man/ or README.md points
# outside the repository, and docs/interface.md names every long option
# each daemon's --help prints.
TESTS += tests/docs.sh
EXTRA_DIST += tests/docs.sh

# Integration tests: real peers on loopback.  Each script skips (77) with a
# message when a peer it needs is not installed.
TESTS += $(INTEGRATION_TESTS)
include tests/integration/local.mk

# make fuzz: every harness built with libFuzzer + ASan + UBSan by clang.
# The library is compiled once, instrumented, into tests/fuzz/libtimbre.a
# (make -j compiles it in parallel; -MMD keeps it current with the
# headers), and each harness links against it.
FUZZ_SAN = address,undefined
FUZZ_CPPFLAGS = -include $(top_builddir)/config.h -I$(top_srcdir)/src \
	$(LDNS_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS)
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,$(FUZZ_SAN) $(FUZZ_CPPFLAGS)
FUZZ_LIB_CFLAGS = -g -O1 -fsanitize=fuzzer-no-link,$(FUZZ_SAN) \
	$(FUZZ_CPPFLAGS) -MMD -MP
FUZZ_LIBS = $(LDNS_LIBS) $(LIBEVENT_LIBS) $(OPENSSL_LIBS)
LIBTIMBRE_C = $(filter %.c,$(src_libtimbre_a_SOURCES))
FUZZ_LIB_OBJS = $(addprefix tests/fuzz/obj/,$(LIBTIMBRE_C:.c=.o))

$(FUZZ_LIB_OBJS): tests/fuzz/obj/%.o: $(top_srcdir)/%.c
	@test -n "$(CLANG)" || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	@mkdir -p $(@D)
	$(AM_V_CC)$(CLANG) $(FUZZ_LIB_CFLAGS) -c -o $@ $<

-include $(FUZZ_LIB_OBJS:.o=.d)

tests/fuzz/libtimbre.a: $(FUZZ_LIB_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) rcs $@ $(FUZZ_LIB_OBJS)

fuzz: tests/fuzz/libtimbre.a
	@set -e; for h in $(FUZZ_HARNESSES); do \
	  echo "  FUZZ     tests/fuzz/fuzz_$$h"; \
	  $(CLANG) $(FUZZ_CFLAGS) -o tests/fuzz/fuzz_$$h \
	    $(top_srcdir)/tests/fuzz/fuzz_$$h.c tests/fuzz/libtimbre.a \
	    $(FUZZ_LIBS); \
	done

# make fuzz-smoke FUZZ_SECONDS=N: each harness runs N seconds from its corpus.
FUZZ_SECONDS = 5
fuzz-smoke: fuzz
	@set -e; for h in $(FUZZ_HARNESSES); do \
	  mkdir -p tests/fuzz/work/$$h; \
	  echo "fuzz $$h: $(FUZZ_SECONDS) s"; \
	  tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -print_final_stats=0 tests/fuzz/work/$$h \
	    $(top_srcdir)/tests/fuzz/corpus/$$h 2>tests/fuzz/work/$$h.log \
	    || { tail -n 40 tests/fuzz/work/$$h.log; exit 1; }; \
	done

clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/work tests/fuzz/obj tests/fuzz/libtimbre.a \
	    $(addprefix tests/fuzz/fuzz_,$(FUZZ_HARNESSES))

.PHONY: fuzz fuzz-smoke clean-fuzz
