# tools: timbre(1).
bin_PROGRAMS += tools/timbre
tools_timbre_SOURCES = tools/timbre.c tools/tool.c tools/tool.h \
	tools/cmd_dkim.c tools/cmd_arc.c \
	tools/cmd_spf.c \
	tools/cmd_dmarc.c \
	tools/cmd_keygen.c tools/cmd_notify.c \
	tools/cmd_key.c \
	tools/cmd_doctor.c \
	tools/cmd_list.c
tools_timbre_LDADD = $(GIT_LIBS) $(STORE_LIBS) $(TIMBRE_LIBS)
