# src/dns: the wire reader, names, DNS messages over ldns, TSIG, server
# specifications, the asynchronous stub client, AXFR and UPDATE with a
# zone's primary (xfr.c); its unit suite, a
# query tool for the integration test, the fuzz harnesses of its parsers.
src_libtimbre_a_SOURCES += src/dns/dns.h src/dns/dns_priv.h \
	src/dns/msg.c src/dns/server.c src/dns/stub.c \
	src/dns/rr.c src/dns/wire.c src/dns/tsig.c \
	src/dns/master.c src/dns/xfr.c

check_PROGRAMS += tests/unit/dns/check_dns tests/unit/dns/dnsq
TESTS += tests/unit/dns/check_dns
tests_unit_dns_check_dns_SOURCES = tests/unit/dns/test_msg.c \
	tests/unit/dns/test_server.c tests/unit/dns/test_stub.c \
	tests/unit/dns/test_dns.c tests/unit/dns/test_dns.h \
	tests/unit/dns/test_wire.c tests/unit/dns/test_nomem.c \
	tests/unit/dns/test_xfr.c \
	tests/unit/dns/nomem_ldns.c tests/unit/nomem.c tests/unit/nomem.h
tests_unit_dns_check_dns_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_dns_check_dns_LDADD = $(UNIT_LDADD)
# test_nomem.c and test_stub_nomem fail allocations on demand
# (tests/unit/nomem.h): libc's, and (nomem_ldns.c) those of the ldns
# calls that allocate, which src/resolver's suite fails too.
NOMEM_WRAPS = -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc \
	-Wl,--wrap=reallocarray -Wl,--wrap=strdup -Wl,--wrap=strndup \
	-Wl,--wrap=fmemopen -Wl,--wrap=ldns_rr_list_new \
	-Wl,--wrap=ldns_rr_list_clone -Wl,--wrap=ldns_rr_new \
	-Wl,--wrap=ldns_rr_clone -Wl,--wrap=ldns_rdf_clone \
	-Wl,--wrap=ldns_rdf_new_frm_data -Wl,--wrap=ldns_dname_new_frm_str \
	-Wl,--wrap=ldns_dname_clone_from -Wl,--wrap=ldns_dname_left_chop \
	-Wl,--wrap=ldns_dname_label -Wl,--wrap=ldns_rdf2str \
	-Wl,--wrap=ldns_pkt_new -Wl,--wrap=ldns_pkt_query_new \
	-Wl,--wrap=ldns_pkt_get_section_clone -Wl,--wrap=ldns_wire2pkt \
	-Wl,--wrap=ldns_pkt2wire -Wl,--wrap=ldns_wire2dname \
	-Wl,--wrap=ldns_wire2rr -Wl,--wrap=ldns_str2rdf_dname \
	-Wl,--wrap=ldns_dname_cat \
	-Wl,--wrap=ldns_rr_new_frm_fp_l -Wl,--wrap=ldns_rr_list_push_rr \
	-Wl,--wrap=ldns_pkt_push_rr
tests_unit_dns_check_dns_LDFLAGS = $(AM_LDFLAGS) $(NOMEM_WRAPS)
tests_unit_dns_dnsq_SOURCES = tests/unit/dns/dnsq.c
tests_unit_dns_dnsq_LDADD = $(TIMBRE_LIBS)

FUZZ_HARNESSES += dns_answer
check_PROGRAMS += tests/fuzz/replay_dns_answer
TESTS += tests/fuzz/replay_dns_answer
tests_fuzz_replay_dns_answer_SOURCES = tests/fuzz/fuzz_dns_answer.c \
	tests/fuzz/replay.c
tests_fuzz_replay_dns_answer_LDADD = $(TIMBRE_LIBS)

# The wire reader (wire.c) on any bytes.
FUZZ_HARNESSES += dns_wire
check_PROGRAMS += tests/fuzz/replay_dns_wire
TESTS += tests/fuzz/replay_dns_wire
tests_fuzz_replay_dns_wire_SOURCES = tests/fuzz/fuzz_dns_wire.c \
	tests/fuzz/replay.c
tests_fuzz_replay_dns_wire_LDADD = $(TIMBRE_LIBS)

# The reader of AXFR and UPDATE answers (xfr.c).
FUZZ_HARNESSES += dns_xfr
check_PROGRAMS += tests/fuzz/replay_dns_xfr
TESTS += tests/fuzz/replay_dns_xfr
tests_fuzz_replay_dns_xfr_SOURCES = tests/fuzz/fuzz_dns_xfr.c \
	tests/fuzz/replay.c
tests_fuzz_replay_dns_xfr_LDADD = $(TIMBRE_LIBS)

# TSIG records and the message walk (tsig.c).
FUZZ_HARNESSES += tsig
check_PROGRAMS += tests/fuzz/replay_tsig
TESTS += tests/fuzz/replay_tsig
tests_fuzz_replay_tsig_SOURCES = tests/fuzz/fuzz_tsig.c \
	tests/fuzz/replay.c
tests_fuzz_replay_tsig_LDADD = $(TIMBRE_LIBS)

INTEGRATION_TESTS += tests/integration/dns_stub.sh
