# src/smtp: the SMTP command parser, DATA reader, reply parser, server and
# client state machines (sans-I/O), and their libevent transport.
src_libtimbre_a_SOURCES += src/smtp/smtp.h src/smtp/smtp_priv.h \
	src/smtp/lines.c src/smtp/parser.c src/smtp/data.c src/smtp/reply.c \
	src/smtp/server.c src/smtp/client.c
