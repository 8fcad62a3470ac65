/*
 * milter.c: timbre-signd's milter path (--milter ADDR:PORT or
 * unix:PATH): Postfix's smtpd_milters (or non_smtpd_milters) hand each
 * message over the milter protocol, version 6 (src/milter); the header
 * fields and body go through the same signing pipeline as the SMTP path
 * (sign.c), and the signatures are inserted at the top of the message
 * at end of message (SMFIR_INSHEADER).  The MTA keeps the message
 * meanwhile, so nothing is spooled here.  No key at all: 451 4.7.0 (the
 * MTA answers its client with it); a message that is not RFC 5322: 550
 * 5.6.0.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "signd.h"
#include "milter/milter.h"
#include "util/buf.h"
#include "util/err.h"

#define MILTER_IDLE	600	/* seconds without a command from the MTA */

struct mconn {
	TAILQ_ENTRY(mconn)	 entry;
	struct signd_milter	*m;
	struct bufferevent	*bev;
	struct milter_session	*ms;
	struct signd_sign	*sign;
	uint64_t		 id;
	bool			 waiting;	/* an EOM is being signed */
	bool			 closing;
};

TAILQ_HEAD(mconns, mconn);

struct signd_milter {
	struct signd		*sd;
	struct evconnlistener	*lev;
	struct mconns		 conns;
	size_t			 nconns;
};

static void	mconn_run(struct mconn *);

static void
mconn_free(struct mconn *c)
{
	TAILQ_REMOVE(&c->m->conns, c, entry);
	c->m->nconns--;
	signd_sign_free(c->sign);
	milter_session_free(c->ms);
	bufferevent_free(c->bev);
	free(c);
}

static void
mconn_flush(struct mconn *c)
{
	const char	*p;
	size_t		 len;

	if ((p = milter_session_output(c->ms, &len)) != NULL && len > 0 &&
	    bufferevent_write(c->bev, p, len) == 0)
		milter_session_output_drop(c->ms, len);
}

/* Splits the fields sign.c made into what milter_session_eom_reply
 * takes: the name, and the value after the colon without its CRLF. */
static size_t
split_fields(char *p, struct milter_header *h, size_t max)
{
	size_t	n = 0;
	char	*colon, *end;

	while (*p != '\0' && n < max) {
		end = p;
		for (;;) {
			if ((end = strstr(end, "\r\n")) == NULL)
				return n;
			if (end[2] != ' ' && end[2] != '\t')
				break;
			end += 2;
		}
		if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
			return n;
		*colon = '\0';
		*end = '\0';
		h[n].name = p;
		h[n].value = colon + 1;
		n++;
		p = end + 2;
	}
	return n;
}

static void
signed_done(void *arg, enum signd_sign_status st, const struct buf *fields,
    const char *why)
{
	struct mconn		*c = arg;
	struct signd		*sd = c->m->sd;
	struct milter_header	 h[MILTER_MAX_INSERT];
	struct err		 err;
	char			*copy, reply[MILTER_MAX_REPLY];
	size_t			 n;
	int			 rc = -1;

	signd_sign_free(c->sign);
	c->sign = NULL;
	sd->stats.messages++;
	sd->stats.milter_messages++;
	switch (st) {
	case SIGND_SIGN_UNCHECKED:
		sd->stats.unchecked++;
		log_warn("%016" PRIx64 " milter refused: %s", c->id, why);
		rc = milter_session_answer(c->ms, MILTER_TEMPFAIL,
		    "451 4.7.0 signing keys failing their self-check, try "
		    "later", &err);
		break;
	case SIGND_SIGN_OK:
		if ((copy = malloc(fields->len + 1)) == NULL) {
			err_set(&err, ERR_NOMEM, "out of memory");
			break;
		}
		memcpy(copy, fields->data, fields->len);
		copy[fields->len] = '\0';
		n = split_fields(copy, h, MILTER_MAX_INSERT);
		rc = milter_session_eom_reply(c->ms, h, n, &err);
		free(copy);
		if (rc == 0) {
			sd->stats.signed_by[SIGND_FRONT_MILTER]++;
			log_info("%016" PRIx64 " milter signed fields=%zu",
			    c->id, n);
		}
		break;
	case SIGND_SIGN_NOKEY:
		sd->stats.unsigned_nokey++;
		log_warn("%016" PRIx64 " milter refused: no signing key",
		    c->id);
		rc = milter_session_answer(c->ms, MILTER_TEMPFAIL,
		    "451 4.7.0 no signing key, try later", &err);
		break;
	case SIGND_SIGN_BAD:
		sd->stats.bad_message++;
		log_info("%016" PRIx64 " milter refused: not a message: %s",
		    c->id, why);
		snprintf(reply, sizeof(reply), "550 5.6.0 not an RFC 5322 "
		    "message: %s", why);
		rc = milter_session_answer(c->ms, MILTER_REJECT, reply, &err);
		break;
	case SIGND_SIGN_ERROR:
		log_error("%016" PRIx64 " milter sign failed: %s", c->id, why);
		break;
	}
	if (st != SIGND_SIGN_OK || rc == -1)
		sd->stats.refused_by[SIGND_FRONT_MILTER]++;
	if (rc == -1 && milter_session_answer(c->ms, MILTER_TEMPFAIL,
	    "451 4.3.0 signing failed, try later", &err) == -1) {
		log_error("%016" PRIx64 " milter answer failed: %s", c->id,
		    err.msg);
		mconn_free(c);
		return;
	}
	c->waiting = false;
	mconn_flush(c);
	mconn_run(c);
}

static int
mconn_sign(struct mconn *c, struct err *err)
{
	if (c->sign == NULL && (c->sign = signd_sign_new(c->m->sd, c->id,
	    err)) == NULL)
		return -1;
	return 0;
}

/* Pulls events until the session wants more input; false if c is gone
 * or must go. */
static bool
mconn_pull(struct mconn *c)
{
	struct milter_cmd	 cmd;
	struct err		 err;
	enum milter_event	 ev;

	for (;;) {
		ev = milter_session_next(c->ms, &cmd, &err);
		switch (ev) {
		case MILTER_EV_ERROR:
			log_warn("%016" PRIx64 " milter error: %s", c->id,
			    err.msg);
			return false;
		case MILTER_EV_NEED_MORE:
			return true;
		case MILTER_EV_WAIT:
			return true;
		case MILTER_EV_QUIT:
			mconn_flush(c);
			c->closing = true;
			return true;
		case MILTER_EV_CONNECT:
			log_info("%016" PRIx64 " milter connect client=%s",
			    c->id, cmd.host);
			break;
		case MILTER_EV_MAIL:
			signd_sign_free(c->sign);
			c->sign = NULL;
			c->id = ++c->m->sd->next_id;
			log_debug("%016" PRIx64 " milter mail from=%s", c->id,
			    cmd.addr);
			if (mconn_sign(c, &err) == -1)
				return false;
			break;
		case MILTER_EV_HEADER:
			if (mconn_sign(c, &err) == -1)
				return false;
			signd_sign_feed(c->sign, cmd.name, strlen(cmd.name));
			signd_sign_feed(c->sign, ":", 1);
			signd_sign_feed(c->sign, cmd.value, cmd.value_len);
			signd_sign_feed(c->sign, "\r\n", 2);
			break;
		case MILTER_EV_EOH:
			if (mconn_sign(c, &err) == -1)
				return false;
			signd_sign_feed(c->sign, "\r\n", 2);
			break;
		case MILTER_EV_BODY:
			if (c->sign != NULL)
				signd_sign_feed(c->sign, cmd.body,
				    cmd.body_len);
			break;
		case MILTER_EV_EOM:
			if (mconn_sign(c, &err) == -1)
				return false;
			if (cmd.body_len > 0)
				signd_sign_feed(c->sign, cmd.body,
				    cmd.body_len);
			c->waiting = true;
			bufferevent_disable(c->bev, EV_READ);
			signd_sign_end(c->sign, signed_done, c);
			return true;
		case MILTER_EV_ABORT:
			/* The MTA dropped the transaction (RSET, its client
			 * gone mid-DATA): nothing of it is signed or kept.
			 * An ABORT between messages is no news. */
			if (c->sign != NULL) {
				c->m->sd->stats.milter_aborted++;
				log_info("%016" PRIx64 " milter abort: the MTA "
				    "dropped the message", c->id);
			}
			signd_sign_free(c->sign);
			c->sign = NULL;
			break;
		case MILTER_EV_QUIT_NC:
			signd_sign_free(c->sign);
			c->sign = NULL;
			break;
		default:
			break;
		}
	}
}

static void
mconn_run(struct mconn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct err	 err;
	size_t		 n;
	const void	*p;

	if (!mconn_pull(c))
		goto close;
	mconn_flush(c);
	while (!c->waiting && !c->closing &&
	    (n = evbuffer_get_length(in)) > 0) {
		if (n > MILTER_MAX_FEED)
			n = MILTER_MAX_FEED;
		if ((p = evbuffer_pullup(in, (ssize_t)n)) == NULL ||
		    milter_session_feed(c->ms, p, n, &err) == -1) {
			log_warn("%016" PRIx64 " milter error: %s", c->id,
			    p == NULL ? "out of memory" : err.msg);
			goto close;
		}
		evbuffer_drain(in, n);
		if (!mconn_pull(c))
			goto close;
		mconn_flush(c);
	}
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			mconn_free(c);
		return;
	}
	if (!c->waiting)
		bufferevent_enable(c->bev, EV_READ);
	return;
close:
	mconn_free(c);
}

static void
mconn_on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	mconn_run(arg);
}

static void
mconn_on_write(struct bufferevent *bev, void *arg)
{
	struct mconn	*c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0)
		mconn_free(c);
}

static void
mconn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct mconn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_info("%016" PRIx64 " milter timeout", c->id);
	mconn_free(c);
}

static void
milter_on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct signd_milter	*m = arg;
	struct mconn		*c;
	struct err		 err;
	struct timeval		 idle = { MILTER_IDLE, 0 };

	(void)lev;
	(void)sa;
	(void)salen;
	if (m->nconns >= (size_t)m->sd->set.conf.max_connections ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("milter connection refused: %zu open", m->nconns);
		evutil_closesocket(fd);
		return;
	}
	c->m = m;
	c->id = ++m->sd->next_id;
	evutil_make_socket_nonblocking(fd);
	if ((c->bev = bufferevent_socket_new(m->sd->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&m->conns, c, entry);
	m->nconns++;
	if ((c->ms = milter_session_new(MILTER_DEFAULT_ACTIONS,
	    MILTER_DEFAULT_PROTOCOL, &err)) == NULL) {
		mconn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, mconn_on_read, mconn_on_write,
	    mconn_on_event, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("%016" PRIx64 " milter accept", c->id);
}

/*
 * The unix socket is bound as root: its mode is --milter-mode, its
 * owner the --user the daemon becomes and its group --milter-group, so
 * that the MTA (Postfix's smtpd runs as postfix) can connect.  errno
 * says why on -1, except for a name that does not exist (ERR_ARG).
 */
static int
unix_perms(struct signd *sd, struct err *err)
{
	const char	*path = sd->set.milter_sun.sun_path;
	struct passwd	*pw;
	struct group	*gr;
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;

	if (sd->set.conf.user != NULL) {
		if ((pw = getpwnam(sd->set.conf.user)) == NULL) {
			err_set(err, ERR_ARG, "--user %s: no such user",
			    sd->set.conf.user);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (sd->set.conf.milter_group != NULL) {
		if ((gr = getgrnam(sd->set.conf.milter_group)) == NULL) {
			err_set(err, ERR_ARG, "--milter-group %s: no such "
			    "group", sd->set.conf.milter_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) ==
	    -1)
		return -1;
	return chmod(path, sd->set.milter_mode);
}

int
signd_milter_start(struct signd *sd, struct err *err)
{
	struct signd_milter	*m;
	const struct sockaddr	*sa;
	socklen_t		 len;
	evutil_socket_t		 fd;
	int			 one = 1;

	if (!sd->set.milter_on)
		return 0;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	err->code = 0;
	m->sd = sd;
	TAILQ_INIT(&m->conns);
	sd->milter = m;
	if (sd->set.milter_unix) {
		sa = (const struct sockaddr *)&sd->set.milter_sun;
		len = sizeof(sd->set.milter_sun);
		/* A socket left by an earlier run. */
		unlink(sd->set.milter_sun.sun_path);
	} else {
		sa = (const struct sockaddr *)&sd->set.milter_addr.ss;
		len = sd->set.milter_addr.len;
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) == -1 ||
	    (!sd->set.milter_unix && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &one, sizeof(one)) == -1) ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1 || bind(fd, sa, len) ==
	    -1 || (sd->set.milter_unix && unix_perms(sd, err) == -1)) {
		if (err->code == ERR_ARG) {	/* unix_perms said why */
			evutil_closesocket(fd);
			return -1;
		}
		err_set(err, ERR_IO, "--milter %s: %s", sd->set.conf.milter,
		    strerror(errno));
		if (fd != -1)
			evutil_closesocket(fd);
		return -1;
	}
	if ((m->lev = evconnlistener_new(sd->base, milter_on_accept, m,
	    LEV_OPT_CLOSE_ON_FREE, 64, fd)) == NULL) {
		err_set(err, ERR_IO, "--milter %s: %s", sd->set.conf.milter,
		    strerror(errno));
		evutil_closesocket(fd);
		return -1;
	}
	return 0;
}

void
signd_milter_stop(struct signd *sd)
{
	struct signd_milter	*m = sd->milter;
	struct mconn		*c, *next;

	if (m == NULL)
		return;
	if (m->lev != NULL)
		evconnlistener_free(m->lev);
	for (c = TAILQ_FIRST(&m->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		mconn_free(c);
	}
	if (sd->set.milter_unix)
		unlink(sd->set.milter_sun.sun_path);
	free(m);
	sd->milter = NULL;
}

size_t
signd_milter_conns(const struct signd *sd)
{
	return sd->milter != NULL ? sd->milter->nconns : 0;
}
