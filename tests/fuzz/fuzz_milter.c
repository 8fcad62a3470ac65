/*
 * fuzz_milter.c: a whole milter session (src/milter) on any bytes, as an
 * MTA would send them, twice: with the signer's protocol and with protocol
 * 0 (every event, every reply due).  The input is fed in pieces of varying
 * size; every EOM is answered at once, in turn with two headers to insert,
 * with TEMPFAIL and a reply text, and with a progress then CONTINUE.  The
 * session must never fail without saying why, must hold the promises of
 * milter.h (header values NUL-free with value_len their length, body
 * chunks within a packet), and what it writes must be whole packets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter/milter.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct milter_header hdrs[] = {
	{ "DKIM-Signature", " v=1; a=ed25519-sha256;\r\n\tb=abc" },
	{ "X-Timbre-Test", " 1" },
};

/* The output is a sequence of whole packets of known reply octets. */
static void
check_output(struct milter_session *s)
{
	const unsigned char	*p;
	size_t			 n, off, len;

	p = (const unsigned char *)milter_session_output(s, &n);
	for (off = 0; off < n; off += 4 + len) {
		if (n - off < 5)
			abort();
		len = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
		    (size_t)p[off + 2] << 8 | p[off + 3];
		if (len == 0 || len > n - off - 4 ||
		    strchr("Ocaitpy", p[off + 4]) == NULL)
			abort();
	}
	milter_session_output_drop(s, n);
}

static void
run(const uint8_t *data, size_t len, uint32_t protocol)
{
	static const size_t	 steps[] = { 1, 7, 64, 4096, 65536 };
	struct milter_session	*s;
	struct milter_cmd	 c;
	struct err		 err;
	enum milter_event	 ev = MILTER_EV_NEED_MORE;
	size_t			 off = 0, n, k = 0, eoms = 0;

	if ((s = milter_session_new(MILTER_DEFAULT_ACTIONS, protocol,
	    &err)) == NULL)
		abort();
	while (off < len) {
		n = steps[k++ % 5];
		if (n > len - off)
			n = len - off;
		if (milter_session_feed(s, data + off, n, &err) == -1) {
			if (err.code == 0 || err.msg[0] == '\0')
				abort();
			break;
		}
		off += n;
		while ((ev = milter_session_next(s, &c, &err)) !=
		    MILTER_EV_NEED_MORE) {
			if (ev == MILTER_EV_ERROR) {
				if (err.code == 0 || err.msg[0] == '\0')
					abort();
				goto out;
			}
			if (ev == MILTER_EV_QUIT || ev == MILTER_EV_WAIT)
				goto out;
			if (ev == MILTER_EV_HEADER &&
			    (strlen(c.name) > c.len ||
			    strlen(c.value) != c.value_len))
				abort();
			if (ev == MILTER_EV_BODY && c.body_len > c.len)
				abort();
			(void)milter_session_macro(s, "i");
			if (ev != MILTER_EV_EOM)
				continue;
			switch (eoms++ % 3) {
			case 0:
				if (milter_session_eom_reply(s, hdrs, 2,
				    &err) == -1)
					abort();
				break;
			case 1:
				if (milter_session_answer(s, MILTER_TEMPFAIL,
				    "451 4.3.0 try 100% later", &err) == -1)
					abort();
				break;
			default:
				if (milter_session_progress(s, &err) == -1 ||
				    milter_session_answer(s, MILTER_CONTINUE,
				    NULL, &err) == -1)
					abort();
			}
			if (milter_session_answer(s, MILTER_CONTINUE, NULL,
			    &err) != -1)
				abort();
		}
		check_output(s);
	}
out:
	check_output(s);
	milter_session_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	run(data, len, MILTER_DEFAULT_PROTOCOL);
	run(data, len, 0);
	return 0;
}
