# bench: benchmarks, built and run on demand by `make bench`, never by
# `make` or `make check`: a benchmark reports, it never fails the build or
# the test suite.  What each measures and the bars: bench/README.md.

EXTRA_PROGRAMS = bench/dkim/bench_dkim
CLEANFILES += bench/dkim/bench_dkim bench/dkim/results.txt \
	bench/dns-auth/results.txt
EXTRA_DIST += bench/README.md bench/dkim/run.sh bench/dns-auth/run.sh

# bench/signd: timbre-signd beside openssl speed and OpenDKIM, driven by
# its own milter load driver (the MTA's side of the protocol).
EXTRA_PROGRAMS += bench/signd/milter_load
CLEANFILES += bench/signd/milter_load bench/signd/results.txt
EXTRA_DIST += bench/signd/run.sh
bench_signd_milter_load_SOURCES = bench/signd/milter_load.c

# bench/listd: timbre-listd's accepted messages/s and fan-out
# deliveries/s beside smtp-source -> smtp-sink, and its RSS with 100 to
# 100 000 subscribers (a script: nothing to build).
CLEANFILES += bench/listd/results.txt
EXTRA_DIST += bench/listd/run.sh

bench_dkim_bench_dkim_SOURCES = bench/dkim/bench_dkim.c
bench_dkim_bench_dkim_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBENCH_KEYDIR='"$(abs_top_srcdir)/tests/data/keys"'
bench_dkim_bench_dkim_LDADD = $(TIMBRE_LIBS)

# make bench BENCH_SECONDS=N: N seconds per measurement (default 3).
BENCH_SECONDS = 3
bench: bench/dkim/bench_dkim$(EXEEXT) bench/signd/milter_load$(EXEEXT)
	$(SHELL) $(top_srcdir)/bench/dkim/run.sh -s $(BENCH_SECONDS) \
	    -b bench/dkim/bench_dkim$(EXEEXT) -o bench/dkim/results.txt
	-$(SHELL) $(top_srcdir)/bench/resolver/run.sh -s $(BENCH_SECONDS) \
	    -o bench/resolver/results.txt
	-$(SHELL) $(top_srcdir)/bench/dns-auth/run.sh -s $(BENCH_SECONDS) \
	    -o bench/dns-auth/results.txt
	-$(SHELL) $(top_srcdir)/bench/signd/run.sh -s $(BENCH_SECONDS) \
	    -B . -o bench/signd/results.txt
	-$(SHELL) $(top_srcdir)/bench/listd/run.sh -s $(BENCH_SECONDS) \
	    -B . -o bench/listd/results.txt

.PHONY: bench
