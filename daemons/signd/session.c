/*
 * session.c: timbre-signd's SMTP path: mail in on --listen (src/smtp's
 * server machine over its transport), signed, and relayed to --relay
 * within the same transaction (the client machine).  signd keeps no
 * queue: the client's DATA is answered with the relay's own reply, so a
 * 250 means the next hop has the message; a relay that cannot be
 * reached gives 451 4.4.1.
 *
 * The message is spooled while it streams into the signing pipeline,
 * because the signatures go first and are only known at its end: in
 * memory up to SIGND_SPOOL_MEM, beyond that in an unlinked temporary
 * file, and never beyond --max-message-size, which the machine enforces
 * (552 5.3.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "signd.h"
#include "smtp/transport.h"
#include "util/buf.h"
#include "util/err.h"

struct spool {
	char		*mem;
	size_t		 len, cap;
	int		 fd;		/* -1 while in memory */
	uint64_t	 size;
	uint64_t	 rd;		/* read back up to here */
	bool		 failed;
};

struct signd_conn {
	struct signd		*sd;
	struct smtp_conn	*c;
	uint64_t		 id;
	char			 peer[64];
	/* the transaction */
	char			*mail_from;
	char			**rcpt;
	size_t			 nrcpt;
	bool			 body_8bit;
	bool			 smtputf8;
	struct spool		 spool;
	struct signd_sign	*sign;
	struct smtp_send	*send;
	struct buf		 fields;	/* the signatures */
	size_t			 fields_rd;
};

static void
spool_reset(struct spool *sp)
{
	free(sp->mem);
	if (sp->fd != -1)
		close(sp->fd);
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
}

/* An unlinked file in $TMPDIR (or /tmp): gone when closed. */
static int
spool_to_file(struct spool *sp)
{
	char		 path[4096];
	const char	*dir = getenv("TMPDIR");
	int		 fd;

	snprintf(path, sizeof(path), "%s/timbre-signd.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	if (write(fd, sp->mem, sp->len) != (ssize_t)sp->len) {
		close(fd);
		return -1;
	}
	free(sp->mem);
	sp->mem = NULL;
	sp->fd = fd;
	return 0;
}

static void
spool_add(struct spool *sp, const char *p, size_t n)
{
	char	*m;
	size_t	 cap;

	if (sp->failed)
		return;
	if (sp->fd == -1 && sp->len + n > SIGND_SPOOL_MEM &&
	    spool_to_file(sp) == -1) {
		sp->failed = true;
		return;
	}
	if (sp->fd != -1) {
		while (n > 0) {
			ssize_t	w = write(sp->fd, p, n);

			if (w == -1 && errno == EINTR)
				continue;
			if (w <= 0) {
				sp->failed = true;
				return;
			}
			p += w;
			n -= (size_t)w;
			sp->size += (uint64_t)w;
		}
		return;
	}
	if (sp->len + n > sp->cap) {
		/* Doubling, up to the bound checked above. */
		cap = sp->cap ? sp->cap : 16384;
		while (cap < sp->len + n)
			cap *= 2;
		if (cap > SIGND_SPOOL_MEM)
			cap = SIGND_SPOOL_MEM;
		if ((m = realloc(sp->mem, cap)) == NULL) {
			sp->failed = true;
			return;
		}
		sp->mem = m;
		sp->cap = cap;
	}
	memcpy(sp->mem + sp->len, p, n);
	sp->len += n;
	sp->size += n;
}

static ssize_t
spool_read(struct spool *sp, char *buf, size_t cap)
{
	ssize_t	r;
	size_t	n;

	if (sp->fd == -1) {
		n = sp->len - (size_t)sp->rd;
		if (n > cap)
			n = cap;
		memcpy(buf, sp->mem + sp->rd, n);
		sp->rd += n;
		return (ssize_t)n;
	}
	do
		r = pread(sp->fd, buf, cap, (off_t)sp->rd);
	while (r == -1 && errno == EINTR);
	if (r > 0)
		sp->rd += (uint64_t)r;
	return r;
}

static void
conn_reset(struct signd_conn *sc)
{
	size_t	i;

	if (sc->send != NULL) {
		smtp_send_cancel(sc->send);
		sc->send = NULL;
	}
	signd_sign_free(sc->sign);
	sc->sign = NULL;
	free(sc->mail_from);
	sc->mail_from = NULL;
	for (i = 0; i < sc->nrcpt; i++)
		free(sc->rcpt[i]);
	free(sc->rcpt);
	sc->rcpt = NULL;
	sc->nrcpt = 0;
	spool_reset(&sc->spool);
	buf_reset(&sc->fields);
	sc->fields_rd = 0;
}

static void
answer(struct signd_conn *sc, int code, const char *enh, const char *text)
{
	struct err	err;

	if (smtp_conn_answer(sc->c, code, enh, text, &err) == -1)
		log_error("%016" PRIx64 " smtp answer %d failed: %s", sc->id,
		    code, err.msg);
}

static ssize_t
relay_read(void *arg, char *buf, size_t cap)
{
	struct signd_conn	*sc = arg;
	size_t			 n;

	if (sc->fields_rd < sc->fields.len) {
		n = sc->fields.len - sc->fields_rd;
		if (n > cap)
			n = cap;
		memcpy(buf, sc->fields.data + sc->fields_rd, n);
		sc->fields_rd += n;
		return (ssize_t)n;
	}
	return spool_read(&sc->spool, buf, cap);
}

static void
relay_done(void *arg, const struct smtp_client *cl, const char *why)
{
	struct signd_conn		*sc = arg;
	const struct smtp_reply		*r, *rr;
	struct signd			*sd = sc->sd;
	char				 text[SMTP_REPLY_TEXT_MAX + 80];
	size_t				 i, refused = 0;

	sc->send = NULL;	/* gone after this call */
	r = smtp_client_message_reply(cl);
	for (i = 0; i < sc->nrcpt; i++)
		if ((rr = smtp_client_result(cl, i)) != NULL &&
		    rr->code / 100 != 2 && rr != r) {
			refused++;
			log_warn("%016" PRIx64 " relay refused rcpt=<%s>: %d "
			    "%s %s", sc->id, sc->rcpt[i], rr->code,
			    rr->enhanced, rr->text);
		}
	if (r->local) {
		sd->stats.relay[0]++;
		log_warn("%016" PRIx64 " relay failed: %s%s%d %s", sc->id,
		    why ? why : "", why ? ": " : "", r->code, r->text);
		snprintf(text, sizeof(text), "relay %s unavailable, try "
		    "later", sd->set.relay.text);
		answer(sc, 451, "4.4.1", text);
		return;
	}
	if (r->code >= 200 && r->code < 600)
		sd->stats.relay[r->code / 100]++;
	log_info("%016" PRIx64 " relay answer %d %s refused=%zu size=%"
	    PRIu64, sc->id, r->code, r->enhanced, refused, sc->spool.size);
	/* The relay's own answer, so the client knows what the next hop
	 * did; a 421 would close our session, so it is passed as 451. */
	answer(sc, r->code == 421 ? 451 : r->code, r->enhanced[0] ?
	    r->enhanced : NULL, r->text);
}

static void
signed_done(void *arg, enum signd_sign_status st, const struct buf *fields,
    const char *why)
{
	struct signd_conn	*sc = arg;
	struct signd		*sd = sc->sd;
	struct smtp_send_conf	 conf;
	struct smtp_envelope	 env;
	struct err		 err;
	char			 text[256];

	signd_sign_free(sc->sign);
	sc->sign = NULL;
	sd->stats.messages++;
	if (st != SIGND_SIGN_OK)
		sd->stats.refused_by[SIGND_FRONT_SMTP]++;
	switch (st) {
	case SIGND_SIGN_OK:
		break;
	case SIGND_SIGN_UNCHECKED:
		sd->stats.unchecked++;
		log_warn("%016" PRIx64 " smtp refused: %s", sc->id, why);
		answer(sc, 451, "4.7.0", "signing keys failing their "
		    "self-check, try later");
		return;
	case SIGND_SIGN_NOKEY:
		sd->stats.unsigned_nokey++;
		log_warn("%016" PRIx64 " smtp refused: no signing key", sc->id);
		answer(sc, 451, "4.7.0", "no signing key, try later");
		return;
	case SIGND_SIGN_BAD:
		sd->stats.bad_message++;
		log_info("%016" PRIx64 " smtp refused: not a message: %s",
		    sc->id, why);
		snprintf(text, sizeof(text), "not an RFC 5322 message: %s",
		    why);
		answer(sc, 550, "5.6.0", text);
		return;
	case SIGND_SIGN_ERROR:
		log_error("%016" PRIx64 " smtp sign failed: %s", sc->id, why);
		answer(sc, 451, "4.3.0", "signing failed, try later");
		return;
	}
	/* Counted as signed when it goes to the relay; what the relay
	 * answers is counted by class in relay_done. */
	sd->stats.signed_by[SIGND_FRONT_SMTP]++;
	if (sc->spool.failed) {
		log_error("%016" PRIx64 " smtp spool failed: %s", sc->id,
		    strerror(errno));
		answer(sc, 451, "4.3.0", "cannot spool the message, try later");
		return;
	}
	if (buf_add(&sc->fields, fields->data, fields->len, &err) == -1) {
		answer(sc, 451, "4.3.0", "out of memory, try later");
		return;
	}
	memset(&conf, 0, sizeof(conf));
	conf.client.helo = sd->set.hostname;
	conf.read = relay_read;
	conf.done = relay_done;
	conf.arg = sc;
	memset(&env, 0, sizeof(env));
	env.mail_from = sc->mail_from;
	env.rcpt = (const char *const *)sc->rcpt;
	env.nrcpt = sc->nrcpt;
	env.size = sc->spool.size + sc->fields.len;
	env.body_8bit = sc->body_8bit;
	env.smtputf8 = sc->smtputf8;
	if ((sc->send = smtp_send_start(sd->base, (struct sockaddr *)
	    &sd->set.relay.ss, sd->set.relay.len, &conf, &env,
	    &err)) == NULL) {
		log_error("%016" PRIx64 " relay failed: %s", sc->id, err.msg);
		answer(sc, 451, "4.3.0", "cannot relay, try later");
	}
}

static void
on_request(void *arg, const struct smtp_request *r)
{
	struct signd_conn	*sc = arg;
	struct err		 err;
	char			**v;

	switch (r->kind) {
	case SMTP_REQ_CONNECT:
		answer(sc, 220, NULL, NULL);
		break;
	case SMTP_REQ_HELO:
		answer(sc, 250, NULL, NULL);
		break;
	case SMTP_REQ_MAIL:
		conn_reset(sc);
		if (signd_selfcheck_refuses(sc->sd)) {
			/* Before the client sends the message for nothing;
			 * the end of DATA checks again. */
			sc->sd->stats.unchecked++;
			sc->sd->stats.refused_by[SIGND_FRONT_SMTP]++;
			log_warn("%016" PRIx64 " smtp refused: the signing keys "
			    "have not passed their self-check", sc->id);
			answer(sc, 451, "4.7.0", "signing keys failing their "
			    "self-check, try later");
			break;
		}
		if ((sc->mail_from = strdup(r->path)) == NULL) {
			answer(sc, 451, "4.3.0", "out of memory");
			break;
		}
		if ((sc->sign = signd_sign_new(sc->sd, sc->id, &err)) ==
		    NULL) {
			log_error("%016" PRIx64 " smtp: %s", sc->id, err.msg);
			answer(sc, 451, "4.3.0", "out of memory");
			break;
		}
		sc->body_8bit = r->body == SMTP_BODY_8BITMIME;
		sc->smtputf8 = r->smtputf8;
		answer(sc, 250, NULL, NULL);
		break;
	case SMTP_REQ_RCPT:
		if ((v = reallocarray(sc->rcpt, sc->nrcpt + 1,
		    sizeof(*v))) == NULL) {
			answer(sc, 451, "4.3.0", "out of memory");
			break;
		}
		sc->rcpt = v;
		if ((v[sc->nrcpt] = strdup(r->path)) == NULL) {
			answer(sc, 451, "4.3.0", "out of memory");
			break;
		}
		sc->nrcpt++;
		answer(sc, 250, NULL, NULL);
		break;
	case SMTP_REQ_MESSAGE:
		if (sc->sign == NULL) {
			answer(sc, 451, "4.3.0", "out of memory");
			break;
		}
		log_info("%016" PRIx64 " smtp message from=<%s> rcpts=%zu "
		    "size=%" PRIu64, sc->id, sc->mail_from, sc->nrcpt,
		    r->size);
		signd_sign_end(sc->sign, signed_done, sc);
		break;
	case SMTP_REQ_RESET:
		conn_reset(sc);
		break;
	}
}

static void
on_data(void *arg, const char *p, size_t n)
{
	struct signd_conn	*sc = arg;

	spool_add(&sc->spool, p, n);
	if (sc->sign != NULL)
		signd_sign_feed(sc->sign, p, n);
}

static void *
on_open(void *arg, struct smtp_conn *c, const char *peer)
{
	struct signd		*sd = arg;
	struct signd_conn	*sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->sd = sd;
	sc->c = c;
	sc->id = ++sd->next_id;
	sc->spool.fd = -1;
	buf_init(&sc->fields, 1024 * 1024);
	snprintf(sc->peer, sizeof(sc->peer), "%s", peer);
	sd->stats.connections++;
	log_info("%016" PRIx64 " smtp accept from=%s", sc->id, peer);
	return sc;
}

static void
on_close(void *arg)
{
	struct signd_conn	*sc = arg;

	log_debug("%016" PRIx64 " smtp close", sc->id);
	conn_reset(sc);
	buf_fini(&sc->fields);
	free(sc);
}

static bool
on_allow(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct signd	*sd = arg;

	(void)len;
	if (acl_allows(&sd->set.acl, sa))
		return true;
	sd->stats.denied++;
	return false;
}

int
signd_smtp_start(struct signd *sd, struct err *err)
{
	struct smtp_listen_conf	 c;
	const struct opt_addr	*a = sd->set.conf.listen.v;
	size_t			 i;

	if (sd->set.conf.listen.n == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	smtp_server_conf_init(&c.server);
	c.server.hostname = sd->set.hostname;
	c.server.max_size = (uint64_t)sd->set.conf.max_message_size;
	c.max_conns = (size_t)sd->set.conf.max_connections;
	c.tls_cert = sd->set.conf.tls_cert;
	c.tls_key = sd->set.conf.tls_key;
	c.allow = on_allow;
	c.open = on_open;
	c.request = on_request;
	c.data = on_data;
	c.close = on_close;
	c.arg = sd;
	if ((sd->smtp = smtp_listener_new(sd->base, &c, err)) == NULL)
		return -1;
	for (i = 0; i < sd->set.conf.listen.n; i++)
		if (smtp_listener_bind(sd->smtp, (const struct sockaddr *)
		    &a[i].ss, a[i].len, err) == -1)
			return -1;
	return 0;
}

void
signd_smtp_stop(struct signd *sd)
{
	smtp_listener_free(sd->smtp);
	sd->smtp = NULL;
}
