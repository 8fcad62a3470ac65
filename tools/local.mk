# tools: timbre(1).
bin_PROGRAMS += tools/timbre
tools_timbre_SOURCES = tools/timbre.c tools/tool.c tools/tool.h \
	tools/tool_tsig.c \
	tools/cmd_dkim.c tools/cmd_arc.c \
	tools/cmd_spf.c \
	tools/cmd_dmarc.c \
	tools/cmd_keygen.c tools/cmd_notify.c tools/cmd_tlsa.c \
	tools/cmd_key.c \
	tools/cmd_doctor.c tools/doctor_tls.c tools/doctor_tls.h \
	tools/doctor_dns.c tools/doctor_dns.h \
	tools/cmd_list.c tools/cmd_list_html.c
tools_timbre_LDADD = $(GIT_LIBS) $(STORE_LIBS) $(ARCHIVE_LIBS) $(TIMBRE_LIBS)

# timbre spf check's output, -v trace, exit statuses and usage errors,
# and the DNS set-up it shares with dkim verify and dmarc verify (the -n
# errors, dmarc verify's SPF), over tests/integration/dnsfake.py.
INTEGRATION_TESTS += tests/integration/spf_cli.sh
