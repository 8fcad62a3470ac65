/*
 * test_milter.c: the milter protocol core (src/milter): framing, command
 * layouts, the session's negotiation, order, macros and replies, and its
 * errors.  The conversations are Postfix's (src/milter/milter8.c, protocol
 * version 6), written out byte by byte from the layouts of milter.h:
 * each packet is a 4-byte big-endian length (command octet included), the
 * command octet, then its data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter/milter.h"
#include "util/buf.h"
#include "util/err.h"
#include "../unit.h"

/*
 * A whole message through Postfix with the default protocol of milter.h:
 * HELO, RCPT and DATA are negotiated away (only their macros come), and
 * connect, mail, header, eoh and body need no reply.
 */
static const char conv_signd[] =
	/* OPTNEG: version 6, actions 0x1ff, protocol 0x1fffff (length 13) */
	    "\x00\x00\x00\x0dO\x00\x00\x00\x06\x00\x00\x01\xff\x00"
	    "\x1f\xff\xff"
	/* MACRO for CONNECT: j, {daemon_name}, v (length 56) */
	    "\x00\x00\x00"
	    "8DCj\x00mx.example.org\x00{daemon_name}\x00smtpd\x00v"
	    "\x00Postfix 3.7.11\x00"
	/* CONNECT: host, family '4', port 50000, address (length 29) */
	    "\x00\x00\x00\x1d""Cclient.example\x00""4\xc3P192.0.2.1\x00"
	/* MACRO for HELO (length 24) */
	    "\x00\x00\x00\x18""DH{tls_version}\x00TLSv1.3\x00"
	/* MACRO for MAIL: i, {mail_addr} (length 37) */
	    "\x00\x00\x00%DMi\x00""ABC123\x00{mail_addr}\x00"
	    "a@example.org\x00"
	/* MAIL: address, one ESMTP parameter (length 26) */
	    "\x00\x00\x00\x1aM<a@example.org>\x00SIZE=100\x00"
	/* MACRO for RCPT (length 28) */
	    "\x00\x00\x00\x1c""DR{rcpt_addr}\x00""b@example.net\x00"
	/* MACRO for DATA (none) (length 2) */
	    "\x00\x00\x00\x02""DT"
	/* MACRO for HEADER (eoh macros, none) (length 2) */
	    "\x00\x00\x00\x02""DL"
	/* HEADER From, leading space kept (SMFIP_HDR_LEADSPC) (length 21) */
	    "\x00\x00\x00\x15LFrom\x00 a@example.org\x00"
	/* MACRO for HEADER (length 2) */
	    "\x00\x00\x00\x02""DL"
	/* HEADER Subject, folded: lines joined by LF (length 23) */
	    "\x00\x00\x00\x17LSubject\x00 folded\x0a\x09line\x00"
	/* MACRO for EOH (length 2) */
	    "\x00\x00\x00\x02""DN"
	/* EOH (length 1) */
	    "\x00\x00\x00\x01N"
	/* MACRO for BODY (length 2) */
	    "\x00\x00\x00\x02""DB"
	/* BODY: lines with CRLF (length 15) */
	    "\x00\x00\x00\x0f""Bhello\x0d\x0aworld\x0d\x0a"
	/* MACRO for EOM: i (length 11) */
	    "\x00\x00\x00\x0b""DEi\x00""ABC123\x00"
	/* EOM (length 1) */
	    "\x00\x00\x00\x01""E"
	/* QUIT (length 1) */
	    "\x00\x00\x00\x01Q";

/* The same with protocol 0: every event comes and wants a reply. */
static const char conv_full[] =
	/* OPTNEG: version 6, actions 0x1ff, protocol 0x1fffff (length 13) */
	    "\x00\x00\x00\x0dO\x00\x00\x00\x06\x00\x00\x01\xff\x00"
	    "\x1f\xff\xff"
	/* MACRO for CONNECT: j, {daemon_name}, v (length 56) */
	    "\x00\x00\x00"
	    "8DCj\x00mx.example.org\x00{daemon_name}\x00smtpd\x00v"
	    "\x00Postfix 3.7.11\x00"
	/* CONNECT: host, family '4', port 50000, address (length 29) */
	    "\x00\x00\x00\x1d""Cclient.example\x00""4\xc3P192.0.2.1\x00"
	/* MACRO for HELO (length 24) */
	    "\x00\x00\x00\x18""DH{tls_version}\x00TLSv1.3\x00"
	/* HELO (length 16) */
	    "\x00\x00\x00\x10Hclient.example\x00"
	/* MACRO for MAIL: i, {mail_addr} (length 37) */
	    "\x00\x00\x00%DMi\x00""ABC123\x00{mail_addr}\x00"
	    "a@example.org\x00"
	/* MAIL: address, one ESMTP parameter (length 26) */
	    "\x00\x00\x00\x1aM<a@example.org>\x00SIZE=100\x00"
	/* MACRO for RCPT (length 28) */
	    "\x00\x00\x00\x1c""DR{rcpt_addr}\x00""b@example.net\x00"
	/* RCPT (length 17) */
	    "\x00\x00\x00\x11R<b@example.net>\x00"
	/* MACRO for DATA (none) (length 2) */
	    "\x00\x00\x00\x02""DT"
	/* DATA (length 1) */
	    "\x00\x00\x00\x01T"
	/* MACRO for HEADER (eoh macros, none) (length 2) */
	    "\x00\x00\x00\x02""DL"
	/* HEADER From, leading space kept (SMFIP_HDR_LEADSPC) (length 21) */
	    "\x00\x00\x00\x15LFrom\x00 a@example.org\x00"
	/* MACRO for HEADER (length 2) */
	    "\x00\x00\x00\x02""DL"
	/* HEADER Subject, folded: lines joined by LF (length 23) */
	    "\x00\x00\x00\x17LSubject\x00 folded\x0a\x09line\x00"
	/* MACRO for EOH (length 2) */
	    "\x00\x00\x00\x02""DN"
	/* EOH (length 1) */
	    "\x00\x00\x00\x01N"
	/* MACRO for BODY (length 2) */
	    "\x00\x00\x00\x02""DB"
	/* BODY: lines with CRLF (length 15) */
	    "\x00\x00\x00\x0f""Bhello\x0d\x0aworld\x0d\x0a"
	/* MACRO for EOM: i (length 11) */
	    "\x00\x00\x00\x0b""DEi\x00""ABC123\x00"
	/* EOM (length 1) */
	    "\x00\x00\x00\x01""E"
	/* QUIT (length 1) */
	    "\x00\x00\x00\x01Q";

/* What the session answers to conv_signd, EOM answered with hdrs[]. */
static const char want_signd[] =
	/* OPTNEG reply: version 6, actions SMFIF_ADDHDRS, protocol 0x1c538a (length 13) */
	    "\x00\x00\x00\x0dO\x00\x00\x00\x06\x00\x00\x00\x01\x00"
	    "\x1cS\x8a"
	/* INSHEADER index 0: folded with LF on the wire (length 51) */
	    "\x00\x00\x00""3i\x00\x00\x00\x00"
	    "DKIM-Signature\x00 v=1; a=ed25519-sha256;\x0a\x09""b=abc\x00"
	/* INSHEADER index 1 (length 22) */
	    "\x00\x00\x00\x16i\x00\x00\x00\x01X-Timbre-Test\x00 1\x00"
	/* CONTINUE (length 1) */
	    "\x00\x00\x00\x01""c";

/* ... and to conv_full. */
static const char want_full[] =
	/* OPTNEG reply: version 6, actions SMFIF_ADDHDRS, protocol 0x100000 (length 13) */
	    "\x00\x00\x00\x0dO\x00\x00\x00\x06\x00\x00\x00\x01\x00"
	    "\x10\x00\x00"
	/* CONTINUE after connect (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after helo (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after mail (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after rcpt (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after data (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after header (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after header (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after eoh (length 1) */
	    "\x00\x00\x00\x01""c"
	/* CONTINUE after body (length 1) */
	    "\x00\x00\x00\x01""c"
	/* INSHEADER index 0: folded with LF on the wire (length 51) */
	    "\x00\x00\x00""3i\x00\x00\x00\x00"
	    "DKIM-Signature\x00 v=1; a=ed25519-sha256;\x0a\x09""b=abc\x00"
	/* INSHEADER index 1 (length 22) */
	    "\x00\x00\x00\x16i\x00\x00\x00\x01X-Timbre-Test\x00 1\x00"
	/* CONTINUE (length 1) */
	    "\x00\x00\x00\x01""c";

/* The events of both conversations, as conv_log() writes them. */
static const char log_signd[] =
    "optneg\n"
    "connect client.example 4 50000 192.0.2.1 j=mx.example.org\n"
    "mail <a@example.org> SIZE=100 i=ABC123\n"
    "header From: a@example.org\n"
    "header Subject: folded\r\n\tline\n"
    "eoh\n"
    "body hello\r\nworld\r\n\n"
    "eom i=ABC123 mail_addr=a@example.org rcpt_addr=b@example.net\n"
    "quit\n";
static const char log_full[] =
    "optneg\n"
    "connect client.example 4 50000 192.0.2.1 j=mx.example.org\n"
    "helo client.example\n"
    "mail <a@example.org> SIZE=100 i=ABC123\n"
    "rcpt <b@example.net>\n"
    "data\n"
    "header From: a@example.org\n"
    "header Subject: folded\r\n\tline\n"
    "eoh\n"
    "body hello\r\nworld\r\n\n"
    "eom i=ABC123 mail_addr=a@example.org rcpt_addr=b@example.net\n"
    "quit\n";

/* What timbre-signd would insert: a folded value, then a short one. */
static const struct milter_header hdrs[] = {
	{ "DKIM-Signature", " v=1; a=ed25519-sha256;\r\n\tb=abc" },
	{ "X-Timbre-Test", " 1" },
};

static const char *
macro_or(const struct milter_session *s, const char *name)
{
	const char	*v = milter_session_macro(s, name);

	return v != NULL ? v : "(none)";
}

/* One line per event into log. */
static void
conv_log(struct milter_session *s, enum milter_event ev,
    const struct milter_cmd *c, struct buf *log)
{
	struct err	 err;
	const char	*a;
	size_t		 i;
	int		 rc = 0;

	switch (ev) {
	case MILTER_EV_OPTNEG:
		rc = buf_adds(log, "optneg\n", &err);
		break;
	case MILTER_EV_CONNECT:
		rc = buf_printf(log, &err, "connect %s %c %u %s j=%s\n",
		    c->host, c->family, c->port, c->addr, macro_or(s, "j"));
		break;
	case MILTER_EV_HELO:
		rc = buf_printf(log, &err, "helo %s\n", c->helo);
		break;
	case MILTER_EV_MAIL:
	case MILTER_EV_RCPT:
		rc = buf_printf(log, &err, "%s %s", ev == MILTER_EV_MAIL ?
		    "mail" : "rcpt", c->addr);
		for (i = 0, a = c->args; rc == 0 && i < c->nargs; i++) {
			rc = buf_printf(log, &err, " %s", a);
			a += strlen(a) + 1;
		}
		if (rc == 0 && ev == MILTER_EV_MAIL)
			rc = buf_printf(log, &err, " i=%s", macro_or(s, "i"));
		if (rc == 0)
			rc = buf_adds(log, "\n", &err);
		break;
	case MILTER_EV_DATA:
		rc = buf_adds(log, "data\n", &err);
		break;
	case MILTER_EV_UNKNOWN:
		rc = buf_printf(log, &err, "unknown %s\n", c->unknown);
		break;
	case MILTER_EV_HEADER:
		ck_assert_uint_eq(strlen(c->value), c->value_len);
		rc = buf_printf(log, &err, "header %s:%s\n", c->name,
		    c->value);
		break;
	case MILTER_EV_EOH:
		rc = buf_adds(log, "eoh\n", &err);
		break;
	case MILTER_EV_BODY:
		if ((rc = buf_adds(log, "body ", &err)) == 0 &&
		    (rc = buf_add(log, c->body, c->body_len, &err)) == 0)
			rc = buf_adds(log, "\n", &err);
		break;
	case MILTER_EV_EOM:
		rc = buf_printf(log, &err, "eom i=%s mail_addr=%s "
		    "rcpt_addr=%s\n", macro_or(s, "{i}"),
		    macro_or(s, "{mail_addr}"), macro_or(s, "rcpt_addr"));
		break;
	case MILTER_EV_ABORT:
		rc = buf_adds(log, "abort\n", &err);
		break;
	case MILTER_EV_QUIT_NC:
		rc = buf_adds(log, "quit_nc\n", &err);
		break;
	case MILTER_EV_QUIT:
		rc = buf_adds(log, "quit\n", &err);
		break;
	default:
		ck_abort_msg("event %d logged", (int)ev);
	}
	ck_assert_int_eq(rc, 0);
}

/* Moves the session's output to out. */
static void
conv_drain(struct milter_session *s, struct buf *out)
{
	struct err	 err;
	const char	*p;
	size_t		 n;

	if ((p = milter_session_output(s, &n)) == NULL) {
		ck_assert_uint_eq(n, 0);
		return;
	}
	ck_assert_int_eq(buf_add(out, p, n, &err), 0);
	milter_session_output_drop(s, n);
	ck_assert_ptr_null(milter_session_output(s, &n));
}

/* Pulls events until more input is needed; the last event. */
static enum milter_event
conv_pull(struct milter_session *s, struct buf *log, struct buf *out,
    struct err *err)
{
	struct milter_cmd	c;
	enum milter_event	ev;

	for (;;) {
		ev = milter_session_next(s, &c, err);
		if (ev == MILTER_EV_NEED_MORE || ev == MILTER_EV_ERROR)
			break;
		ck_assert_int_ne(ev, MILTER_EV_WAIT);
		conv_log(s, ev, &c, log);
		if (ev == MILTER_EV_EOM)
			ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 2,
			    err), 0);
		if (ev == MILTER_EV_QUIT)
			break;
	}
	conv_drain(s, out);
	return ev;
}

/*
 * Feeds in[0..cut) then in[cut..len) in pieces of at most step bytes,
 * pulling after each; the last event.
 */
static enum milter_event
conv_run(const char *in, size_t len, size_t cut, size_t step,
    uint32_t protocol, struct buf *log, struct buf *out, struct err *err)
{
	struct milter_session	*s;
	enum milter_event	 ev = MILTER_EV_NEED_MORE;
	size_t			 off, n, end;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, protocol, err);
	ck_assert_ptr_nonnull(s);
	for (off = 0; off < len && ev == MILTER_EV_NEED_MORE; off += n) {
		end = off < cut ? cut : len;
		n = end - off < step ? end - off : step;
		ck_assert_int_eq(milter_session_feed(s, in + off, n, err), 0);
		ev = conv_pull(s, log, out, err);
		ck_assert(ev == MILTER_EV_QUIT || off + n == len ||
		    ev == MILTER_EV_NEED_MORE);
	}
	milter_session_free(s);
	return ev;
}

static const struct {
	const char	*name;
	const char	*in;
	size_t		 len;
	uint32_t	 protocol;
	const char	*log;
	const char	*want;
	size_t		 want_len;
} convs[] = {
	{ "signd", conv_signd, sizeof(conv_signd) - 1,
	  MILTER_DEFAULT_PROTOCOL, log_signd, want_signd,
	  sizeof(want_signd) - 1 },
	{ "full", conv_full, sizeof(conv_full) - 1, 0, log_full, want_full,
	  sizeof(want_full) - 1 },
};

START_TEST(test_conversation)
{
	struct buf	log, out;
	struct err	err;

	buf_init(&log, 1 << 20);
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(conv_run(convs[_i].in, convs[_i].len, 0,
	    MILTER_MAX_FEED, convs[_i].protocol, &log, &out, &err),
	    MILTER_EV_QUIT);
	ck_assert_str_eq(log.data, convs[_i].log);
	ck_assert_uint_eq(out.len, convs[_i].want_len);
	ck_assert_mem_eq(out.data, convs[_i].want, out.len);
	buf_fini(&log);
	buf_fini(&out);
}
END_TEST

/* Every cut of each conversation, and byte by byte: the same events and
 * the same replies. */
START_TEST(test_conversation_every_split)
{
	struct buf	log, out;
	struct err	err;
	size_t		cut, len = convs[_i].len;

	buf_init(&log, 1 << 20);
	buf_init(&out, 1 << 20);
	for (cut = 0; cut <= len + 1; cut++) {
		buf_reset(&log);
		buf_reset(&out);
		/* cut == len + 1: one byte at a time. */
		ck_assert_int_eq(conv_run(convs[_i].in, len, cut > len ? 0 :
		    cut, cut > len ? 1 : MILTER_MAX_FEED, convs[_i].protocol,
		    &log, &out, &err), MILTER_EV_QUIT);
		ck_assert_str_eq(log.data, convs[_i].log);
		ck_assert_uint_eq(out.len, convs[_i].want_len);
		ck_assert_mem_eq(out.data, convs[_i].want, out.len);
	}
	buf_fini(&log);
	buf_fini(&out);
}
END_TEST

/* Packet builder for the cases below: cmd and data of n bytes. */
static void
pkt(struct buf *b, char cmd, const char *data, size_t n)
{
	struct err	err;
	unsigned char	h[5];

	h[0] = (unsigned char)((n + 1) >> 24);
	h[1] = (unsigned char)((n + 1) >> 16);
	h[2] = (unsigned char)((n + 1) >> 8);
	h[3] = (unsigned char)(n + 1);
	h[4] = (unsigned char)cmd;
	ck_assert_int_eq(buf_add(b, h, 5, &err), 0);
	ck_assert_int_eq(buf_add(b, data, n, &err), 0);
}

#define PKT(b, cmd, lit)	pkt((b), (cmd), (lit), sizeof(lit) - 1)

/* Postfix's OPTNEG, as in conv_signd. */
#define OPTNEG	"\x00\x00\x00\x06\x00\x00\x01\xff\x00\x1f\xff\xff"

/*
 * Framing and layout errors, straight to the parser, each in one feed.
 */
static const struct {
	const char	*in;
	size_t		 len;
	int		 code;
	const char	*msg;
} parse_errors[] = {
#define E(lit, code, msg)	{ lit, sizeof(lit) - 1, code, msg }
	E("\x00\x00\x00\x00", MILTER_E_FRAME, "milter: packet of length 0"),
	/* 1 MiB + 1: refused on its length alone. */
	E("\x00\x10\x00\x01" "B", MILTER_E_FRAME,
	  "milter: packet of length 1048577 over 1048576"),
	E("\xff\xff\xff\xff", MILTER_E_FRAME,
	  "milter: packet of length 4294967295 over 1048576"),
	E("\x00\x00\x00\x01" "Z", MILTER_E_COMMAND,
	  "milter: unknown command 'Z'"),
	E("\x00\x00\x00\x01" "\x01", MILTER_E_COMMAND,
	  "milter: unknown command 0x01"),
	E("\x00\x00\x00\x01" "c", MILTER_E_COMMAND,
	  "milter: unknown command 'c'"),	/* a reply octet */
	/* OPTNEG of 8 and 16 bytes: the length lies either way. */
	E("\x00\x00\x00\x09" "O\x00\x00\x00\x06\x00\x00\x01\xff",
	  MILTER_E_SYNTAX, "milter optneg: 8 bytes of data, not 12"),
	E("\x00\x00\x00\x11" "O" OPTNEG "\x00\x00\x00\x00", MILTER_E_SYNTAX,
	  "milter optneg: 16 bytes of data, not 12"),
	E("\x00\x00\x00\x04" "Hfoo", MILTER_E_SYNTAX,
	  "milter helo: name without its NUL"),
	E("\x00\x00\x00\x06" "Hfoo\x00x", MILTER_E_SYNTAX,
	  "milter helo: 1 bytes after the last field"),
	E("\x00\x00\x00\x01" "H", MILTER_E_SYNTAX,
	  "milter helo: name without its NUL"),
	E("\x00\x00\x00\x05" "LFoo\x00", MILTER_E_SYNTAX,
	  "milter header: value without its NUL"),
	E("\x00\x00\x00\x06" "LFoo\x00x", MILTER_E_SYNTAX,
	  "milter header: value without its NUL"),
	E("\x00\x00\x00\x08" "LFoo\x00x\x00y", MILTER_E_SYNTAX,
	  "milter header: 1 bytes after the last field"),
	E("\x00\x00\x00\x04" "Mfoo", MILTER_E_SYNTAX,
	  "milter mail: address without its NUL"),
	E("\x00\x00\x00\x07" "R<a>\x00SI", MILTER_E_SYNTAX,
	  "milter rcpt: esmtp parameter without its NUL"),
	E("\x00\x00\x00\x04" "Ux\x00y", MILTER_E_SYNTAX,
	  "milter unknown: 1 bytes after the last field"),
	E("\x00\x00\x00\x03" "Ch\x00", MILTER_E_SYNTAX,
	  "milter connect: no address family"),
	E("\x00\x00\x00\x04" "Ch\x00X", MILTER_E_SYNTAX,
	  "milter connect: unknown address family 0x58"),
	E("\x00\x00\x00\x05" "Ch\x00" "4\x00", MILTER_E_SYNTAX,
	  "milter connect: no port"),
	E("\x00\x00\x00\x07" "Ch\x00" "4\x00\x19" "1", MILTER_E_SYNTAX,
	  "milter connect: address without its NUL"),
	E("\x00\x00\x00\x05" "Ch\x00Ux", MILTER_E_SYNTAX,
	  "milter connect: 1 bytes after the last field"),
	E("\x00\x00\x00\x04" "Chost", MILTER_E_SYNTAX,
	  "milter connect: host name without its NUL"),
	E("\x00\x00\x00\x01" "D", MILTER_E_SYNTAX, "milter macro: no command"),
	E("\x00\x00\x00\x04" "DCj\x00", MILTER_E_SYNTAX,
	  "milter macro: a name without a value"),
	E("\x00\x00\x00\x05" "DCj\x00x", MILTER_E_SYNTAX,
	  "milter macro: macro without its NUL"),
	E("\x00\x00\x00\x02" "Qx", MILTER_E_SYNTAX,
	  "milter command 'Q': 1 bytes of data, not 0"),
	E("\x00\x00\x00\x02" "A\x00", MILTER_E_SYNTAX,
	  "milter command 'A': 1 bytes of data, not 0"),
	E("\x00\x00\x00\x02" "N\x00", MILTER_E_SYNTAX,
	  "milter command 'N': 1 bytes of data, not 0"),
	E("\x00\x00\x00\x02" "T\x00", MILTER_E_SYNTAX,
	  "milter command 'T': 1 bytes of data, not 0"),
	E("\x00\x00\x00\x02" "K\x00", MILTER_E_SYNTAX,
	  "milter command 'K': 1 bytes of data, not 0"),
#undef E
};

START_TEST(test_parse_errors)
{
	struct milter_parser	*p;
	struct milter_cmd	 c;
	struct err		 err;

	p = milter_parser_new(0, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(milter_parser_feed(p, parse_errors[_i].in,
	    parse_errors[_i].len, &err), 0);
	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_ERROR);
	ck_assert_int_eq(err.code, parse_errors[_i].code);
	ck_assert_str_eq(err.msg, parse_errors[_i].msg);
	/* Sticky. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_ERROR);
	ck_assert_int_eq(err.code, parse_errors[_i].code);
	milter_parser_free(p);
}
END_TEST

/* Each command's fields, and the ones it does not have left empty. */
START_TEST(test_parse_fields)
{
	struct milter_parser	*p;
	struct milter_cmd	 c;
	struct buf		 in;
	struct err		 err;

	buf_init(&in, 4096);
	PKT(&in, 'O', OPTNEG);
	PKT(&in, 'C', "h\0" "6\x01\xbb" "2001:db8::1\0");	/* port 443 */
	PKT(&in, 'C', "localhost\0" "L\0\0" "/run/x.sock\0");
	PKT(&in, 'C', "unknown\0" "U");
	PKT(&in, 'M', "<>\0");				/* no parameters */
	PKT(&in, 'L', "X-Empty\0\0");			/* empty value */
	PKT(&in, 'B', "");				/* empty chunk */
	PKT(&in, 'D', "E");				/* no macros */
	p = milter_parser_new(0, &err);
	ck_assert_int_eq(milter_parser_feed(p, in.data, in.len, &err), 0);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.code, MILTER_CMD_OPTNEG);
	ck_assert_uint_eq(c.version, 6);
	ck_assert_uint_eq(c.actions, 0x1ff);
	ck_assert_uint_eq(c.protocol, 0x1fffff);
	ck_assert_ptr_null(c.host);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.code, MILTER_CMD_CONNECT);
	ck_assert_str_eq(c.host, "h");
	ck_assert_int_eq(c.family, '6');
	ck_assert_uint_eq(c.port, 443);
	ck_assert_str_eq(c.addr, "2001:db8::1\0");
	ck_assert_uint_eq(c.version, 0);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.family, 'L');
	ck_assert_uint_eq(c.port, 0);
	ck_assert_str_eq(c.addr, "/run/x.sock\0");

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.family, 'U');
	ck_assert_str_eq(c.host, "unknown");
	ck_assert_ptr_null(c.addr);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.code, MILTER_CMD_MAIL);
	ck_assert_str_eq(c.addr, "<>");
	ck_assert_uint_eq(c.nargs, 0);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_str_eq(c.name, "X-Empty");
	ck_assert_str_eq(c.value, "");
	ck_assert_uint_eq(c.value_len, 0);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.code, MILTER_CMD_BODY);
	ck_assert_uint_eq(c.body_len, 0);

	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.code, MILTER_CMD_MACRO);
	ck_assert_int_eq(c.macro_cmd, 'E');
	ck_assert_uint_eq(c.nargs, 0);

	ck_assert_int_eq(milter_parser_next(p, &c, &err),
	    MILTER_PARSE_NEED_MORE);
	milter_parser_free(p);
	buf_fini(&in);
}
END_TEST

/* The ceilings: a packet over the parser's own, feeds that are too big or
 * not pulled. */
START_TEST(test_parse_limits)
{
	struct milter_parser	*p;
	struct milter_cmd	 c;
	struct err		 err;
	char			*big;
	size_t			 i;

	ck_assert_ptr_null(milter_parser_new(MILTER_MAX_PACKET + 1, &err));
	ck_assert_int_eq(err.code, ERR_ARG);

	p = milter_parser_new(16, &err);
	ck_assert_int_eq(milter_parser_feed(p, "\x00\x00\x00\x11", 4, &err),
	    0);
	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_ERROR);
	ck_assert_int_eq(err.code, MILTER_E_FRAME);
	milter_parser_free(p);

	big = calloc(1, MILTER_MAX_FEED + 1);
	p = milter_parser_new(0, &err);
	ck_assert_int_eq(milter_parser_feed(p, big, MILTER_MAX_FEED + 1, &err),
	    -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	/*
	 * A body packet of the largest size, fed in whole feeds, is
	 * accepted; whatever comes past one packet and a feed is refused.
	 */
	big[0] = 0x00, big[1] = 0x10, big[2] = 0x00, big[3] = 0x00;
	big[4] = 'B';
	for (i = 0; i < MILTER_MAX_PACKET / MILTER_MAX_FEED; i++) {
		ck_assert_int_eq(milter_parser_feed(p, big, MILTER_MAX_FEED,
		    &err), 0);
		big[0] = big[1] = big[2] = big[3] = big[4] = 0;
	}
	ck_assert_int_eq(milter_parser_feed(p, big, MILTER_MAX_FEED, &err),
	    0);
	ck_assert_int_eq(milter_parser_feed(p, big, 5, &err), -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	ck_assert_int_eq(milter_parser_next(p, &c, &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(c.code, MILTER_CMD_BODY);
	ck_assert_uint_eq(c.body_len, MILTER_MAX_PACKET - 1);
	milter_parser_free(p);
	free(big);
}
END_TEST

/* Packets for the session cases (the length, then command and data). */
#define P_OPTNEG	"\x00\x00\x00\x0d" "O" OPTNEG
#define P_CONNECT	"\x00\x00\x00\x04" "Ch\0U"
#define P_HELO		"\x00\x00\x00\x03" "Hh\0"
#define P_MAIL		"\x00\x00\x00\x05" "M<a>\0"
#define P_RCPT		"\x00\x00\x00\x05" "R<b>\0"
#define P_DATA		"\x00\x00\x00\x01" "T"
#define P_HEADER	"\x00\x00\x00\x06" "LA\0 b\0"
#define P_EOH		"\x00\x00\x00\x01" "N"
#define P_BODY		"\x00\x00\x00\x03" "Bx\n"
#define P_EOM		"\x00\x00\x00\x01" "E"
#define P_ABORT		"\x00\x00\x00\x01" "A"
#define P_QUIT		"\x00\x00\x00\x01" "Q"
#define P_QUIT_NC	"\x00\x00\x00\x01" "K"
#define P_UNKNOWN	"\x00\x00\x00\x03" "Ux\0"

#define DEF	MILTER_DEFAULT_PROTOCOL

static const struct {
	const char	*in;
	size_t		 len;
	uint32_t	 protocol;
	int		 code;
	const char	*msg;
} session_errors[] = {
#define E(lit, proto, code, msg)	{ lit, sizeof(lit) - 1, proto, code, msg }
	E(P_HELO, 0, MILTER_E_STATE, "milter: helo before optneg"),
	E(P_QUIT, 0, MILTER_E_STATE, "milter: quit before optneg"),
	E(P_OPTNEG P_OPTNEG, 0, MILTER_E_STATE, "milter: second optneg"),
	E("\x00\x00\x00\x0d" "O\x00\x00\x00\x02\x00\x00\x01\xff\x00\x1f\xff"
	  "\xff", 0, MILTER_E_NEGOTIATE,
	  "milter: mta speaks version 2, we need 6"),
	E("\x00\x00\x00\x0d" "O\x00\x00\x00\x06\x00\x00\x01\xff\x00\x0f\xff"
	  "\xff", 0, MILTER_E_NEGOTIATE,
	  "milter: mta does not offer SMFIP_HDR_LEADSPC (protocol "
	  "0x000fffff)"),
	E("\x00\x00\x00\x0d" "O\x00\x00\x00\x06\x00\x00\x01\xfe\x00\x1f\xff"
	  "\xff", 0, MILTER_E_NEGOTIATE,
	  "milter: mta offers actions 0x000001fe, we need 0x00000001"),
	E(P_OPTNEG "\x00\x00\x00\x02" "DQ", 0, MILTER_E_STATE,
	  "milter: macros for command 0x51, which has none"),
	E(P_OPTNEG "\x00\x00\x00\x02" "D\0", 0, MILTER_E_STATE,
	  "milter: macros for command 0x00, which has none"),
	E(P_OPTNEG P_CONNECT P_HELO, DEF, MILTER_E_STATE,
	  "milter: helo, which was negotiated away"),
	E(P_OPTNEG P_MAIL P_RCPT, DEF, MILTER_E_STATE,
	  "milter: rcpt, which was negotiated away"),
	E(P_OPTNEG P_CONNECT P_CONNECT, 0, MILTER_E_STATE,
	  "milter: connect out of order"),
	E(P_OPTNEG P_HELO P_CONNECT, 0, MILTER_E_STATE,
	  "milter: connect out of order"),
	E(P_OPTNEG P_CONNECT P_RCPT, 0, MILTER_E_STATE,
	  "milter: rcpt out of order"),
	E(P_OPTNEG P_MAIL P_MAIL, 0, MILTER_E_STATE,
	  "milter: mail out of order"),
	E(P_OPTNEG P_MAIL P_HELO, 0, MILTER_E_STATE,
	  "milter: helo out of order"),
	E(P_OPTNEG P_MAIL P_HEADER P_DATA, 0, MILTER_E_STATE,
	  "milter: data out of order"),
	E(P_OPTNEG P_MAIL P_EOH P_HEADER, 0, MILTER_E_STATE,
	  "milter: header out of order"),
	E(P_OPTNEG P_MAIL P_EOH P_EOH, 0, MILTER_E_STATE,
	  "milter: eoh out of order"),
	E(P_OPTNEG P_MAIL P_BODY P_HEADER, 0, MILTER_E_STATE,
	  "milter: header out of order"),
	E(P_OPTNEG P_CONNECT P_EOM, 0, MILTER_E_STATE,
	  "milter: eom out of order"),
	E(P_OPTNEG P_CONNECT P_HEADER, 0, MILTER_E_STATE,
	  "milter: header out of order"),
	E(P_OPTNEG P_MAIL P_DATA P_UNKNOWN, 0, MILTER_E_STATE,
	  "milter: unknown out of order"),
	E(P_OPTNEG P_MAIL P_ABORT P_RCPT, 0, MILTER_E_STATE,
	  "milter: rcpt out of order"),
	/* A parser error reaches the session's caller. */
	E(P_OPTNEG "\x00\x00\x00\x01" "Z", 0, MILTER_E_COMMAND,
	  "milter: unknown command 'Z'"),
#undef E
};

START_TEST(test_session_errors)
{
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;
	enum milter_event	 ev;
	size_t			 n = 0;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS,
	    session_errors[_i].protocol, &err);
	ck_assert_int_eq(milter_session_feed(s, session_errors[_i].in,
	    session_errors[_i].len, &err), 0);
	while ((ev = milter_session_next(s, &c, &err)) != MILTER_EV_ERROR) {
		ck_assert_int_ne(ev, MILTER_EV_NEED_MORE);
		ck_assert_int_ne(ev, MILTER_EV_EOM);
		ck_assert_uint_lt(n++, 10);
	}
	ck_assert_int_eq(err.code, session_errors[_i].code);
	ck_assert_str_eq(err.msg, session_errors[_i].msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_ERROR);
	ck_assert_int_eq(err.code, session_errors[_i].code);
	ck_assert_int_eq(milter_session_feed(s, "x", 1, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    -1);
	milter_session_free(s);
}
END_TEST

/* Feeds lit and checks the events that come, as letters: see ev_letter
 * ('.' for NEED_MORE, 'W' for WAIT, '!' for ERROR). */
static char
ev_letter(enum milter_event ev)
{
	static const char	letters[] = "!.WOCHMRTULNBEAKQ";

	ck_assert_int_lt((int)ev, (int)sizeof(letters) - 1);
	return letters[ev];
}

static void
expect(struct milter_session *s, const char *in, size_t len,
    const char *events)
{
	struct milter_cmd	 c;
	struct err		 err;
	char			 got[64];
	size_t			 n = 0;
	enum milter_event	 ev;

	if (len > 0)
		ck_assert_int_eq(milter_session_feed(s, in, len, &err), 0);
	/* Exactly as many pulls as events expected: an answer due to the
	 * last is not sent before the test has its turn. */
	while (n < strlen(events) && n < sizeof(got) - 1) {
		ev = milter_session_next(s, &c, &err);
		got[n++] = ev_letter(ev);
		if (ev == MILTER_EV_ERROR)
			break;
	}
	got[n] = '\0';
	ck_assert_str_eq(got, events);
}

#define EXPECT(s, lit, events)	expect((s), (lit), sizeof(lit) - 1, (events))

/* The output since the last call, compared and dropped. */
static void
expect_out(struct milter_session *s, const char *want, size_t len)
{
	const char	*p;
	size_t		 n;

	p = milter_session_output(s, &n);
	ck_assert_uint_eq(n, len);
	if (len > 0)
		ck_assert_mem_eq(p, want, len);
	milter_session_output_drop(s, n);
}

#define EXPECT_OUT(s, lit)	expect_out((s), (lit), sizeof(lit) - 1)

#define R_OPTNEG_0	"\x00\x00\x00\x0d" "O\x00\x00\x00\x06\x00\x00\x00" \
			"\x01\x00\x10\x00\x00"
#define R_CONTINUE	"\x00\x00\x00\x01" "c"

START_TEST(test_answers)
{
	struct milter_session	*s;
	struct err		 err;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, 0, &err);
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	EXPECT(s, P_OPTNEG P_CONNECT, "OC");
	EXPECT_OUT(s, R_OPTNEG_0);
	/* A reply text must fit the answer and be printable. */
	ck_assert_int_eq(milter_session_answer(s, MILTER_TEMPFAIL,
	    "550 5.7.1 no", &err), -1);
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE,
	    "450 4.7.1 no", &err), -1);
	ck_assert_int_eq(milter_session_answer(s, MILTER_TEMPFAIL,
	    "450 4.7.1 no\r\n", &err), -1);
	ck_assert_int_eq(milter_session_answer(s, MILTER_TEMPFAIL, "45 x",
	    &err), -1);
	ck_assert_int_eq(milter_session_answer(s, MILTER_TEMPFAIL, "4500",
	    &err), -1);
	ck_assert_int_eq(milter_session_answer(s, 99, NULL, &err), -1);
	EXPECT_OUT(s, "");
	/* '%' is doubled: the MTAs read the text as a format. */
	ck_assert_int_eq(milter_session_answer(s, MILTER_TEMPFAIL,
	    "451 4.7.0 100% busy", &err), 0);
	EXPECT_OUT(s, "\x00\x00\x00\x16" "y451 4.7.0 100%% busy\0");
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    -1);
	/* Not answered: CONTINUE at the next pull. */
	EXPECT(s, P_MAIL, "M.");
	EXPECT_OUT(s, R_CONTINUE);
	EXPECT(s, P_RCPT, "R");
	ck_assert_int_eq(milter_session_answer(s, MILTER_REJECT, NULL, &err),
	    0);
	EXPECT_OUT(s, "\x00\x00\x00\x01" "r");
	/* A rejected RCPT leaves the message going; a rejected DATA ends
	 * it, so a new MAIL may come. */
	EXPECT(s, P_RCPT P_DATA, "RT");
	EXPECT_OUT(s, R_CONTINUE);
	ck_assert_int_eq(milter_session_answer(s, MILTER_REJECT,
	    "554 5.7.1 go away", &err), 0);
	EXPECT_OUT(s, "\x00\x00\x00\x13" "y554 5.7.1 go away\0");
	EXPECT(s, P_MAIL, "M");
	ck_assert_int_eq(milter_session_answer(s, MILTER_ACCEPT, NULL, &err),
	    0);
	EXPECT_OUT(s, "\x00\x00\x00\x01" "a");
	EXPECT(s, P_QUIT, "Q");
	EXPECT_OUT(s, "");
	milter_session_free(s);
}
END_TEST

/* Message events on a connection whose MAIL was negotiated away. */
START_TEST(test_nomail)
{
	struct milter_session	*s;
	struct err		 err;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF |
	    MILTER_SMFIP_NOMAIL, &err);
	EXPECT(s, P_OPTNEG P_HEADER P_EOH P_BODY P_EOM, "OLNBE");
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    0);
	EXPECT(s, P_EOM, "E");
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    0);
	EXPECT(s, P_QUIT, "Q");
	milter_session_free(s);
}
END_TEST

START_TEST(test_eom_reply_errors)
{
	static const struct milter_header bad[] = {
		{ "", " x" },
		{ NULL, " x" },
		{ "A:B", " x" },
		{ "A B", " x" },
		{ "A\x7f", " x" },
		{ "A", NULL },
		{ "A", " x\ny" },
		{ "A", " x\r\ny" },
		{ "A", " x\r" },
		{ "A", " x\r\n" },
		{ "A", " x\r\n\r\n y" },
		{ "A", " x\ry" },
	};
	struct milter_header	 two[2], many[MILTER_MAX_INSERT + 1];
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;
	size_t			 i;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 1, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(milter_session_progress(s, &err), -1);
	EXPECT(s, P_OPTNEG P_MAIL P_EOM P_QUIT, "OME");
	milter_session_output_drop(s, 17);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Behind a good one, which is not sent either. */
		two[0] = hdrs[0];
		two[1] = bad[i];
		err.code = 0;
		ck_assert_int_eq(milter_session_eom_reply(s, two, 2, &err), -1);
		ck_assert_int_eq(err.code, ERR_ARG);
		EXPECT_OUT(s, "");
	}
	for (i = 0; i < MILTER_MAX_INSERT + 1; i++)
		many[i] = hdrs[1];
	ck_assert_int_eq(milter_session_eom_reply(s, many,
	    MILTER_MAX_INSERT + 1, &err), -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	/* Still waiting, the QUIT held. */
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_WAIT);
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_WAIT);
	ck_assert_int_eq(milter_session_progress(s, &err), 0);
	EXPECT_OUT(s, "\x00\x00\x00\x01" "p");
	ck_assert_int_eq(milter_session_answer(s, MILTER_TEMPFAIL, NULL, &err),
	    0);
	EXPECT_OUT(s, "\x00\x00\x00\x01" "t");
	ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 1, &err), -1);
	ck_assert_int_eq(milter_session_progress(s, &err), -1);
	EXPECT(s, "", "Q");
	milter_session_free(s);
}
END_TEST

/* MILTER_MAX_INSERT headers go, index 0 to 63; no header is CONTINUE. */
START_TEST(test_eom_reply_many)
{
	struct milter_header	 many[MILTER_MAX_INSERT];
	struct milter_session	*s;
	struct err		 err;
	const char		*p;
	size_t			 i, n;

	for (i = 0; i < MILTER_MAX_INSERT; i++)
		many[i] = hdrs[1];
	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	EXPECT(s, P_OPTNEG P_MAIL P_EOM, "OME");
	milter_session_output_drop(s, 17);
	ck_assert_int_eq(milter_session_eom_reply(s, many, MILTER_MAX_INSERT,
	    &err), 0);
	p = milter_session_output(s, &n);
	ck_assert_uint_eq(n, MILTER_MAX_INSERT * 26 + 5);
	for (i = 0; i < MILTER_MAX_INSERT; i++) {
		ck_assert_mem_eq(p + i * 26, "\x00\x00\x00\x16" "i\x00\x00\x00",
		    8);
		ck_assert_int_eq((unsigned char)p[i * 26 + 8], i);
	}
	ck_assert_mem_eq(p + n - 5, R_CONTINUE, 5);
	milter_session_output_drop(s, n);
	EXPECT(s, P_MAIL P_EOM, "ME");
	ck_assert_int_eq(milter_session_eom_reply(s, NULL, 0, &err), 0);
	EXPECT_OUT(s, R_CONTINUE);
	milter_session_free(s);
}
END_TEST

/* ABORT forgets the message and its macros, not the connection's. */
START_TEST(test_abort)
{
	struct milter_session	*s;
	struct err		 err;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	EXPECT(s, P_OPTNEG "\x00\x00\x00\x06" "DCj\0x\0" P_CONNECT
	    "\x00\x00\x00\x10" "DM{mail_addr}\0a\0" P_MAIL P_HEADER P_ABORT,
	    "OCMLA");
	ck_assert_ptr_null(milter_session_macro(s, "mail_addr"));
	ck_assert_str_eq(milter_session_macro(s, "j"), "x");
	EXPECT(s, "\x00\x00\x00\x10" "DM{mail_addr}\0b\0" P_MAIL P_HEADER
	    P_EOH P_BODY P_EOM, "MLNBE");
	ck_assert_str_eq(milter_session_macro(s, "mail_addr"), "b");
	ck_assert_int_eq(milter_session_answer(s, MILTER_ACCEPT, NULL, &err),
	    0);
	ck_assert_ptr_null(milter_session_macro(s, "mail_addr"));
	/* ABORT between messages is harmless. */
	EXPECT(s, P_ABORT P_MAIL P_ABORT P_ABORT P_QUIT, "AMAAQ");
	milter_session_free(s);
}
END_TEST

/* QUIT_NC: another SMTP session follows on the same connection. */
START_TEST(test_quit_nc)
{
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	EXPECT(s, P_OPTNEG "\x00\x00\x00\x06" "DCj\0x\0" P_CONNECT P_MAIL
	    P_QUIT_NC, "OCMK");
	ck_assert_ptr_null(milter_session_macro(s, "j"));
	EXPECT(s, P_CONNECT P_MAIL P_EOM, "CME");
	ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 1, &err), 0);
	EXPECT(s, P_QUIT_NC P_QUIT, "KQ");
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_QUIT);
	ck_assert_int_eq(milter_session_feed(s, P_MAIL, 9, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_QUIT);
	milter_session_free(s);
}
END_TEST

/* An EOM with data (older MTAs): a BODY event first, then EOM. */
START_TEST(test_eom_with_data)
{
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, 0, &err);
	EXPECT(s, P_OPTNEG P_MAIL, "OM");
	ck_assert_int_eq(milter_session_feed(s, "\x00\x00\x00\x05" "Etail",
	    9, &err), 0);
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_BODY);
	ck_assert_int_eq(c.code, MILTER_CMD_BODY);
	ck_assert_uint_eq(c.body_len, 4);
	ck_assert_mem_eq(c.body, "tail", 4);
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_EOM);
	/* MAIL's CONTINUE, none for the body part. */
	EXPECT_OUT(s, R_OPTNEG_0 R_CONTINUE);
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    0);
	EXPECT_OUT(s, R_CONTINUE);
	milter_session_free(s);
}
END_TEST

/* Header values: LF becomes CRLF, an existing CRLF stays, bytes kept. */
START_TEST(test_header_values)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} cases[] = {
		{ "\x00\x00\x00\x06" "LA\0 b\0", 10, " b" },
		{ "\x00\x00\x00\x04" "LA\0\0", 8, "" },
		{ "\x00\x00\x00\x09" "LA\0 b\n\tc\0", 13, " b\r\n\tc" },
		{ "\x00\x00\x00\x0a" "LA\0 b\r\n\tc\0", 14, " b\r\n\tc" },
		{ "\x00\x00\x00\x07" "LA\0\n\n \0", 11, "\r\n\r\n " },
		{ "\x00\x00\x00\x07" "LA\0\t\xe9\r\0", 11, "\t\xe9\r" },
	};
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;
	size_t			 i;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	EXPECT(s, P_OPTNEG P_MAIL, "OM");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(milter_session_feed(s, cases[i].in,
		    cases[i].len, &err), 0);
		ck_assert_int_eq(milter_session_next(s, &c, &err),
		    MILTER_EV_HEADER);
		ck_assert_str_eq(c.name, "A");
		ck_assert_str_eq(c.value, cases[i].want);
		ck_assert_uint_eq(c.value_len, strlen(cases[i].want));
	}
	milter_session_free(s);
}
END_TEST

/* Macros: braces or not, the newest stage first, a ceiling per stage. */
START_TEST(test_macros)
{
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct buf		 in;
	struct err		 err;
	char			*v;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	EXPECT(s, P_OPTNEG "\x00\x00\x00\x0e" "DC{i}\0c\0{x}\0y\0" P_CONNECT
	    "\x00\x00\x00\x06" "DMi\0m\0" P_MAIL "\x00\x00\x00\x06" "DEi\0e\0"
	    P_EOM, "OCME");
	ck_assert_str_eq(milter_session_macro(s, "i"), "e");
	ck_assert_str_eq(milter_session_macro(s, "{i}"), "e");
	ck_assert_str_eq(milter_session_macro(s, "x"), "y");
	ck_assert_str_eq(milter_session_macro(s, "{x}"), "y");
	ck_assert_ptr_null(milter_session_macro(s, "{x"));
	ck_assert_ptr_null(milter_session_macro(s, "y"));
	ck_assert_ptr_null(milter_session_macro(s, ""));
	ck_assert_int_eq(milter_session_answer(s, MILTER_CONTINUE, NULL, &err),
	    0);
	/* The message's macros went with it. */
	ck_assert_str_eq(milter_session_macro(s, "i"), "c");
	milter_session_free(s);

	/* A stage of exactly MILTER_MAX_MACROS bytes, then one more. */
	buf_init(&in, 2 * MILTER_MAX_MACROS + 64);
	v = malloc(MILTER_MAX_MACROS + 2);
	memset(v, 'v', MILTER_MAX_MACROS + 2);
	memcpy(v, "Cn\0", 3);
	v[MILTER_MAX_MACROS] = '\0';
	pkt(&in, 'D', v, MILTER_MAX_MACROS + 1);
	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	EXPECT(s, P_OPTNEG, "O");
	ck_assert_int_eq(milter_session_feed(s, in.data, in.len, &err), 0);
	ck_assert_int_eq(milter_session_next(s, &c, &err),
	    MILTER_EV_NEED_MORE);
	ck_assert_uint_eq(strlen(milter_session_macro(s, "n")),
	    MILTER_MAX_MACROS - 3);
	buf_reset(&in);
	v[MILTER_MAX_MACROS] = 'v';
	v[MILTER_MAX_MACROS + 1] = '\0';
	pkt(&in, 'D', v, MILTER_MAX_MACROS + 2);
	ck_assert_int_eq(milter_session_feed(s, in.data, in.len, &err), 0);
	ck_assert_int_eq(milter_session_next(s, &c, &err), MILTER_EV_ERROR);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	milter_session_free(s);
	buf_fini(&in);
	free(v);
}
END_TEST

/* What the MTA does not offer is not asked for; replies follow. */
START_TEST(test_negotiation)
{
	struct milter_session	*s;
	struct err		 err;
	uint32_t		 v, a, p;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS, DEF, &err);
	milter_session_protocol(s, &v, &a, &p);
	ck_assert_uint_eq(v | a | p, 0);
	/* Postfix with milter_protocol = 6 but offering only LEADSPC and
	 * NOHELO: connect then wants a reply. */
	EXPECT(s, "\x00\x00\x00\x0d" "O\x00\x00\x00\x07\x00\x00\x00\x01"
	    "\x00\x10\x00\x02" P_CONNECT, "OC");
	milter_session_protocol(s, &v, &a, &p);
	ck_assert_uint_eq(v, 6);
	ck_assert_uint_eq(a, MILTER_SMFIF_ADDHDRS);
	ck_assert_uint_eq(p, MILTER_SMFIP_HDR_LEADSPC | MILTER_SMFIP_NOHELO);
	EXPECT(s, P_QUIT, "Q");
	EXPECT_OUT(s, "\x00\x00\x00\x0d" "O\x00\x00\x00\x06\x00\x00\x00\x01"
	    "\x00\x10\x00\x02" R_CONTINUE);
	milter_session_free(s);

	/* Actions asked for: none at all, then headers cannot be added. */
	s = milter_session_new(0, DEF, &err);
	EXPECT(s, P_OPTNEG P_MAIL P_EOM, "OME");
	ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 1, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 0, &err), 0);
	milter_session_free(s);
}
END_TEST

/* The MTA side (client.c) against the filter side: what the client
 * encodes, the session reads as Postfix's; what the session answers,
 * the client reads back, header values byte for byte. */
START_TEST(test_client_round_trip)
{
	static const char	 msg[] = "From: a@b.example\r\nSubject: x\r\n"
	    "\tfolded\r\n\r\nbody\r\n";
	struct milter_session	*s;
	struct milter_cmd	 cmd;
	struct milter_reply	 r;
	struct buf		 out;
	struct err		 err;
	const char		*p;
	size_t			 len, used, owed, nhdr = 0;
	enum milter_event	 ev;
	bool			 eom = false, body = false, mail = false;

	s = milter_session_new(MILTER_DEFAULT_ACTIONS,
	    MILTER_DEFAULT_PROTOCOL, &err);
	ck_assert_ptr_nonnull(s);
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(milter_client_optneg(&out, &err), 0);
	ck_assert_int_eq(milter_session_feed(s, out.data, out.len, &err), 0);
	ck_assert_int_eq(milter_session_next(s, &cmd, &err), MILTER_EV_OPTNEG);
	p = milter_session_output(s, &len);
	ck_assert_int_eq(milter_client_reply(p, len, &used, &r, &err),
	    MILTER_PARSE_CMD);
	ck_assert_int_eq(r.code, MILTER_REPLY_OPTNEG);
	ck_assert_uint_eq(used, len);
	ck_assert(r.actions & MILTER_SMFIF_ADDHDRS);
	milter_session_output_drop(s, len);
	buf_reset(&out);
	ck_assert_int_eq(milter_client_message(&out, r.protocol, "l@b.example",
	    "c@d.example", msg, sizeof(msg) - 1, &owed, &err), 0);
	ck_assert_uint_eq(owed, 0);	/* signd's steps want no replies */
	ck_assert_int_eq(milter_session_feed(s, out.data, out.len, &err), 0);
	while ((ev = milter_session_next(s, &cmd, &err)) >
	    MILTER_EV_WAIT) {
		if (ev == MILTER_EV_MAIL) {
			ck_assert_str_eq(cmd.addr, "<l@b.example>");
			mail = true;
		} else if (ev == MILTER_EV_HEADER && nhdr++ == 0) {
			ck_assert_str_eq(cmd.name, "From");
			ck_assert_str_eq(cmd.value, " a@b.example");
		} else if (ev == MILTER_EV_HEADER) {
			ck_assert_str_eq(cmd.name, "Subject");
			ck_assert_str_eq(cmd.value, " x\r\n\tfolded");
		} else if (ev == MILTER_EV_BODY) {
			ck_assert_uint_eq(cmd.body_len, 6);
			ck_assert(memcmp(cmd.body, "body\r\n", 6) == 0);
			body = true;
		} else if (ev == MILTER_EV_EOM)
			eom = true;
	}
	ck_assert(mail && body && eom);
	ck_assert_uint_eq(nhdr, 2);
	ck_assert_int_eq(milter_session_eom_reply(s, hdrs, 1, &err), 0);
	p = milter_session_output(s, &len);
	ck_assert_int_eq(milter_client_reply(p, len, &used, &r, &err),
	    MILTER_PARSE_CMD);
	ck_assert_int_eq(r.code, MILTER_REPLY_INSHEADER);
	ck_assert_str_eq(r.name, hdrs[0].name);
	/* Folded lines joined by LF on the wire, as MTAs want them. */
	ck_assert_str_eq(r.value, " v=1; a=ed25519-sha256;\n\tb=abc");
	ck_assert_int_eq(milter_client_reply(p + used, len - used, &used, &r,
	    &err), MILTER_PARSE_CMD);
	ck_assert_int_eq(r.code, MILTER_REPLY_CONTINUE);
	/* Half a reply waits; a length of 0 is refused. */
	ck_assert_int_eq(milter_client_reply(p, 4, &used, &r, &err),
	    MILTER_PARSE_NEED_MORE);
	ck_assert_int_eq(milter_client_reply("\0\0\0\0c", 5, &used, &r,
	    &err), MILTER_PARSE_ERROR);
	ck_assert_int_eq(err.code, MILTER_E_FRAME);
	ck_assert_int_eq(milter_client_reply("\0\0\0\2hx", 6, &used, &r,
	    &err), MILTER_PARSE_ERROR);
	ck_assert_int_eq(err.code, MILTER_E_SYNTAX);
	buf_fini(&out);
	milter_session_free(s);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("milter");
	tc = tcase_create("parser");
	tcase_add_loop_test(tc, test_parse_errors, 0,
	    sizeof(parse_errors) / sizeof(parse_errors[0]));
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_parse_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("session");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_conversation, 0,
	    sizeof(convs) / sizeof(convs[0]));
	tcase_add_loop_test(tc, test_conversation_every_split, 0,
	    sizeof(convs) / sizeof(convs[0]));
	tcase_add_loop_test(tc, test_session_errors, 0,
	    sizeof(session_errors) / sizeof(session_errors[0]));
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_nomail);
	tcase_add_test(tc, test_eom_reply_errors);
	tcase_add_test(tc, test_eom_reply_many);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_quit_nc);
	tcase_add_test(tc, test_eom_with_data);
	tcase_add_test(tc, test_header_values);
	tcase_add_test(tc, test_macros);
	tcase_add_test(tc, test_negotiation);
	tcase_add_test(tc, test_client_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
