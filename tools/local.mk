# tools: timbre(1).
bin_PROGRAMS += tools/timbre
tools_timbre_SOURCES = tools/timbre.c tools/tool.c tools/tool.h \
	tools/cmd_dkim.c
tools_timbre_LDADD = $(TIMBRE_LIBS)
