/*
 * ssh.c: the SSH transport of the zone repository: libgit2's smart
 * protocol (git_transport_smart, a stateful subtransport as for git://)
 * over a channel of libssh running git-upload-pack or git-receive-pack,
 * so that timbre, not libgit2's libssh2 transport, owns the connection.
 *
 * Why not libgit2's own: libgit2 1.1 and 1.5 (Debian 11, 12) set no time
 * limit on the network, so a server that accepts the connection and then
 * says nothing holds the caller as long as the connection lasts; and
 * Debian's libssh2 signs with RSA keys only as ssh-rsa (SHA-1), which
 * OpenSSH 8.8 and later refuse by default.  libssh 0.9 and 0.10 sign
 * with rsa-sha2-256/512 (RFC 8332) when the server lists them in
 * server-sig-algs (RFC 8308), and take a timeout for each blocking step.
 *
 * Deadlines: the TCP connect and the key exchange together, then the
 * log-in, then starting the command, must each end within the timeout;
 * after that each read must get a byte, and each write room in the
 * channel, within the timeout.  A stream that missed a deadline or
 * failed is dead: it does no more I/O, not even the polite close, so a
 * stalled server costs one timeout and no more.
 *
 * Host keys: after the key exchange, the SHA-256 of the server's host key
 * must be the pinned fingerprint or that of a known_hosts entry for the
 * host ("host", or "[host]:port" off port 22; plain or hashed).  libssh
 * is given the known_hosts file only so that it asks for the host key
 * types listed there; the decision is made here.  Nothing else is read:
 * no ~/.ssh/config, /etc/ssh/ssh_config, ~/.ssh/known_hosts or agent.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <git2.h>
#include <git2/sys/transport.h>
#include <libssh/libssh.h>

#include "git/repo.h"
#include "git/repo_priv.h"
#include "keys/key.h"
#include "keys/mac.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#define SSH_TIMEOUT_DEFAULT_S	30
#define SSH_IO_CHUNK		65536	/* one read or write call, at most */
#define SSH_PEM_MAX		65536

struct repo_ssh {
	ssh_key		 key;		/* NULL: log in without one */
	char		*authenticator;	/* "SHA256:..." or NULL */
	char		*known_hosts;	/* path or NULL */
	long		 timeout;	/* seconds */
	int		 code;		/* of the first failure; 0: none */
	char		 msg[140];
};

/* The parts of an SSH remote URL. */
struct sshurl {
	char	user[128];
	char	host[256];
	int	port;
	char	path[1024];
};

/* The length of url's SSH scheme ("ssh://", ...), 0 if it has none. */
static size_t
scheme_len(const char *url)
{
	static const char *const schemes[] = { "ssh://", "ssh+git://",
	    "git+ssh://" };
	size_t	i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
			return strlen(schemes[i]);
	return 0;
}

struct sshsub;

struct sshstream {
	git_smart_subtransport_stream	 parent;	/* first: cast */
	struct sshsub			*sub;
	ssh_session			 s;
	ssh_channel			 ch;
	bool				 dead;
	char				 where[280];	/* host:port */
	size_t				 errlen;
	char				 errtext[100];	/* server's stderr */
};

struct sshsub {
	git_smart_subtransport	 parent;		/* first: cast */
	struct repo_ssh		*cfg;
	struct sshstream	*cur;
};

static int	fail(struct repo_ssh *, int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

/* Records the first failure of an operation (a later one, such as the
 * close after a timeout, says less) and gives it to libgit2 too. */
static int
fail(struct repo_ssh *c, int code, const char *fmt, ...)
{
	va_list	ap;

	if (c->code == 0) {
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
		c->code = code;
	}
	(void)git_error_set_str(GIT_ERROR_SSH, c->msg);
	return -1;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Did a step begun at t0 fail because the deadline passed?  libssh
 * starts its clock after ours, so ours has run at least as long. */
static bool
timed_out(const struct repo_ssh *c, const struct timespec *t0)
{
	return ms_since(t0) >= c->timeout * 1000;
}

/* A daemon has no one to ask: an encrypted key is refused. */
static int
no_passphrase(const char *prompt, char *buf, size_t len, int echo,
    int verify, void *userdata)
{
	return -1;
}

static int
load_key(struct repo_ssh *c, const struct repo_config *rc, struct err *err)
{
	char		 line[8192];
	const char	*text = rc->ssh_key;
	struct buf	 pem;
	FILE		*f;
	void		*pk;
	int		 ret;

	line[0] = '\0';
	if (rc->ssh_key_file != NULL) {
		if ((f = fopen(rc->ssh_key_file, "r")) == NULL) {
			err_set(err, ERR_IO, "%s: cannot open", rc->ssh_key_file);
			return -1;
		}
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
		if (strncmp(line, "-----BEGIN", 10) == 0) {
			key_wipe(line, sizeof(line));
			if (ssh_pki_import_privkey_file(rc->ssh_key_file, NULL,
			    no_passphrase, NULL, &c->key) != SSH_OK) {
				err_set(err, REPO_E_KEY, "%s: not an SSH "
				    "private key libssh reads (encrypted?)",
				    rc->ssh_key_file);
				return -1;
			}
			return 0;
		}
		line[strcspn(line, "\r\n")] = '\0';
		text = line;
	}
	if (text == NULL)
		return 0;
	pk = repo_sshkey_parse(text, err);
	key_wipe(line, sizeof(line));
	if (pk == NULL)
		return -1;
	buf_init(&pem, SSH_PEM_MAX);
	ret = repo_sshkey_file_text(pk, &pem, err);
	repo_sshkey_free(pk);
	if (ret == 0 && ssh_pki_import_privkey_base64(pem.data, NULL,
	    no_passphrase, NULL, &c->key) != SSH_OK) {
		err_set(err, REPO_E_KEY, "ssh key: libssh cannot read it");
		ret = -1;
	}
	buf_fini_secret(&pem);
	return ret;
}

struct repo_ssh *
repo_ssh_new(const struct repo_config *rc, struct err *err)
{
	struct repo_ssh	*c;

	if (rc->authenticator == NULL && rc->known_hosts == NULL) {
		err_set(err, REPO_E_URL, "ssh needs --ssh-authenticator or "
		    "--ssh-known-hosts");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->timeout = rc->timeout > 0 ? rc->timeout : SSH_TIMEOUT_DEFAULT_S;
	if ((rc->authenticator != NULL &&
	    (c->authenticator = strdup(rc->authenticator)) == NULL) ||
	    (rc->known_hosts != NULL &&
	    (c->known_hosts = strdup(rc->known_hosts)) == NULL))
		goto nomem;
	if (load_key(c, rc, err) == -1) {
		repo_ssh_free(c);
		return NULL;
	}
	return c;
nomem:
	repo_ssh_free(c);
	err_set(err, ERR_NOMEM, "out of memory");
	return NULL;
}

void
repo_ssh_free(struct repo_ssh *c)
{
	if (c == NULL)
		return;
	ssh_key_free(c->key);
	free(c->authenticator);
	free(c->known_hosts);
	free(c);
}

void
repo_ssh_clear(struct repo_ssh *c)
{
	c->code = 0;
	c->msg[0] = '\0';
}

int
repo_ssh_failure(const struct repo_ssh *c, const char *what,
    struct err *err)
{
	if (c == NULL || c->code == 0)
		return 0;
	err_set(err, c->code, "%s: %s", what, c->msg);
	return -1;
}

/* Does a known_hosts host field name host:port? */
static bool
kh_host_match(const char *host, int port, const char *field)
{
	char		 spec[300];
	const char	*p = field, *end = field + strlen(field), *sep;
	uint8_t		*salt = NULL, *hash = NULL, mac[KEY_HMAC_MAX];
	size_t		 saltlen, hashlen, n, maclen;
	struct err	 e;
	bool		 ok = false;

	if (port == 22)
		snprintf(spec, sizeof(spec), "%s", host);
	else
		snprintf(spec, sizeof(spec), "[%s]:%d", host, port);
	if (strncmp(field, "|1|", 3) == 0) {
		p = field + 3;
		if ((sep = strchr(p, '|')) == NULL)
			return false;
		if (b64_decode(p, sep - p, &salt, &saltlen, &e) == 0 &&
		    b64_decode(sep + 1, end - sep - 1, &hash, &hashlen,
		    &e) == 0 &&
		    key_hmac(KEY_HMAC_SHA1, salt, saltlen, spec, strlen(spec),
		    mac, &maclen, &e) == 0 && maclen == hashlen &&
		    key_mem_equal(mac, hash, maclen))
			ok = true;
		free(salt);
		free(hash);
		return ok;
	}
	while (p < end) {
		sep = strchr(p, ',');
		n = (sep != NULL ? sep : end) - p;
		if (n == strlen(spec) && strncasecmp(p, spec, n) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

/* Is there a known_hosts line for host:port with a key of this SHA-256? */
static bool
kh_check(const char *path, const char *host, int port, const uint8_t sha[32])
{
	FILE		*f;
	char		 line[16384], *p, *name, *key, *save;
	uint8_t		*blob, md[32];
	size_t		 blen;
	struct err	 e;
	bool		 found = false;

	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '@')
			continue;
		name = strtok_r(p, " \t\n", &save);
		if (name == NULL || strtok_r(NULL, " \t\n", &save) == NULL ||
		    (key = strtok_r(NULL, " \t\n", &save)) == NULL)
			continue;
		if (!kh_host_match(host, port, name))
			continue;
		if (b64_decode(key, strlen(key), &blob, &blen, &e) == -1)
			continue;
		key_sha256(blob, blen, md);
		free(blob);
		found = key_mem_equal(md, sha, 32);
	}
	fclose(f);
	return found;
}

static int
check_host_key(struct sshstream *st, const struct sshurl *u)
{
	struct repo_ssh	*c = st->sub->cfg;
	ssh_key		 hk = NULL;
	unsigned char	*hash = NULL;
	size_t		 hlen = 0;
	char		 fp[60];
	bool		 ok = false;

	if (ssh_get_server_publickey(st->s, &hk) != SSH_OK ||
	    ssh_get_publickey_hash(hk, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0 || hlen != 32) {
		ssh_key_free(hk);
		ssh_clean_pubkey_hash(&hash);
		return fail(c, REPO_E_HOSTKEY, "ssh %s: no host key",
		    st->where);
	}
	repo_fingerprint(hash, fp);
	if (c->authenticator != NULL &&
	    strncasecmp(c->authenticator, "SHA256:", 7) == 0 &&
	    strcmp(c->authenticator + 7, fp + 7) == 0)
		ok = true;
	if (!ok && c->known_hosts != NULL)
		ok = kh_check(c->known_hosts, u->host, u->port, hash);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(hk);
	if (!ok)
		return fail(c, REPO_E_HOSTKEY, "host %s: host key %s is not "
		    "trusted", u->host, fp);
	return 0;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Copies [s, e) to out (size n), NUL-terminated; -1 if it does not fit.
 * With pct, %XX escapes are decoded (the path of a URL). */
static int
copy_part(char *out, size_t n, const char *s, const char *e, bool pct)
{
	size_t	i = 0;

	while (s < e) {
		if (i + 1 >= n)
			return -1;
		if (pct && *s == '%' && e - s >= 3 && hexval(s[1]) >= 0 &&
		    hexval(s[2]) >= 0) {
			out[i++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 3;
		} else
			out[i++] = *s++;
	}
	out[i] = '\0';
	return 0;
}

/*
 * "ssh://[user@]host[:port]/path" (also ssh+git://, git+ssh://; a path
 * "/~user/..." is given to the server as "~user/...") or scp-like
 * "[user@]host:path".  A host may be an IPv6 address in brackets.  The
 * user is "git" when the URL names none, as libgit2 did.
 */
static int
url_parse(const char *url, struct sshurl *u)
{
	const char	*s = url, *auth_end, *at, *h, *hend, *path, *q;
	bool		 scp = true;
	size_t		 i;
	long		 port;
	char		*end;

	memset(u, 0, sizeof(*u));
	u->port = 22;
	if ((i = scheme_len(url)) > 0) {
		s = url + i;
		scp = false;
	}
	if (scp) {
		/* The first ':' outside brackets ends the host. */
		q = s;
		if ((at = strchr(s, '@')) != NULL && at < s + strcspn(s, ":"))
			q = at + 1;
		if (*q == '[' && (q = strchr(q, ']')) == NULL)
			return -1;
		if ((auth_end = strchr(q, ':')) == NULL)
			return -1;
		path = auth_end + 1;
	} else {
		auth_end = s + strcspn(s, "/");
		if (*auth_end != '/')
			return -1;
		path = auth_end[1] == '~' ? auth_end + 1 : auth_end;
	}
	at = NULL;
	for (q = s; q < auth_end; q++)
		if (*q == '@')
			at = q;
	h = s;
	if (at != NULL) {
		if (copy_part(u->user, sizeof(u->user), s, at, true) == -1)
			return -1;
		h = at + 1;
	} else
		snprintf(u->user, sizeof(u->user), "git");
	if (*h == '[') {
		if ((hend = memchr(h, ']', auth_end - h)) == NULL)
			return -1;
		q = hend + 1;
		h++;
	} else {
		hend = memchr(h, ':', auth_end - h);
		if (hend == NULL)
			hend = auth_end;
		q = hend;
	}
	if (copy_part(u->host, sizeof(u->host), h, hend, false) == -1 ||
	    u->host[0] == '\0')
		return -1;
	if (!scp && q < auth_end) {
		if (*q != ':')
			return -1;
		port = strtol(q + 1, &end, 10);
		if (end != auth_end || port < 1 || port > 65535)
			return -1;
		u->port = (int)port;
	}
	if (copy_part(u->path, sizeof(u->path), path, path + strlen(path),
	    !scp) == -1 || u->path[0] == '\0')
		return -1;
	return 0;
}

bool
repo_ssh_is_url(const char *url)
{
	const char	*colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (scheme_len(url) > 0)
		return true;
	if (strstr(url, "://") != NULL || url[0] == '/' || url[0] == '.')
		return false;
	return colon != NULL && (slash == NULL || colon < slash);
}

/* "git-upload-pack '/path'", the path quoted for the server's shell. */
static int
command(const char *cmd, const char *path, struct buf *b, struct err *err)
{
	const char	*p;

	if (buf_printf(b, err, "%s '", cmd) == -1)
		return -1;
	for (p = path; *p != '\0'; p++)
		if ((*p == '\'' ? buf_adds(b, "'\\''", err) :
		    buf_addc(b, *p, err)) == -1)
			return -1;
	return buf_addc(b, '\'', err);
}

/* Keeps the start of what the server wrote to stderr, for the error. */
static void
drain_stderr(struct sshstream *st)
{
	char	tmp[512];
	int	n, i;

	while ((n = ssh_channel_read_nonblocking(st->ch, tmp, sizeof(tmp),
	    1)) > 0)
		for (i = 0; i < n && st->errlen + 1 < sizeof(st->errtext);
		    i++)
			st->errtext[st->errlen++] = (unsigned char)tmp[i] < ' ' ?
			    ' ' : tmp[i];
	st->errtext[st->errlen] = '\0';
	while (st->errlen > 0 && st->errtext[st->errlen - 1] == ' ')
		st->errtext[--st->errlen] = '\0';
}

/* The end of a step that failed: a timeout, or what libssh says. */
static int
step_failed(struct sshstream *st, const struct timespec *t0,
    const char *step)
{
	struct repo_ssh	*c = st->sub->cfg;

	st->dead = true;
	if (timed_out(c, t0))
		return fail(c, ERR_TIMEOUT, "ssh %s: timed out after %ld s "
		    "%s", st->where, c->timeout, step);
	if (st->ch != NULL)
		drain_stderr(st);
	if (st->errlen > 0)
		return fail(c, REPO_E_GIT, "ssh %s: %s: %s", st->where, step,
		    st->errtext);
	return fail(c, REPO_E_GIT, "ssh %s: %s: %s", st->where, step,
	    ssh_get_error(st->s));
}

static int
stream_connect(struct sshstream *st, const struct sshurl *u, const char *cmd)
{
	struct repo_ssh	*c = st->sub->cfg;
	struct timespec	 t0;
	bool		 no = false;
	long		 timeout = c->timeout;
	int		 rc;

	snprintf(st->where, sizeof(st->where), "%s:%d", u->host, u->port);
	if ((st->s = ssh_new()) == NULL)
		return fail(c, ERR_NOMEM, "ssh: out of memory");
	if (ssh_options_set(st->s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(st->s, SSH_OPTIONS_HOST, u->host) < 0 ||
	    ssh_options_set(st->s, SSH_OPTIONS_PORT, &u->port) < 0 ||
	    ssh_options_set(st->s, SSH_OPTIONS_USER, u->user) < 0 ||
	    ssh_options_set(st->s, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    ssh_options_set(st->s, SSH_OPTIONS_KNOWNHOSTS,
	    c->known_hosts != NULL ? c->known_hosts : "/dev/null") < 0 ||
	    ssh_options_set(st->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
	    "/dev/null") < 0) {
		st->dead = true;
		return fail(c, REPO_E_GIT, "ssh %s: %s", st->where,
		    ssh_get_error(st->s));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ssh_connect(st->s) != SSH_OK)
		return step_failed(st, &t0, "connecting");
	if (check_host_key(st, u) == -1) {
		st->dead = true;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = c->key != NULL ? ssh_userauth_publickey(st->s, NULL, c->key) :
	    ssh_userauth_none(st->s, NULL);
	if (rc != SSH_AUTH_SUCCESS) {
		if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
			st->dead = true;
			return fail(c, REPO_E_GIT, "ssh %s: user %s: %s",
			    st->where, u->user, c->key != NULL ?
			    "key refused" : "a key is needed (--ssh-key-file)");
		}
		return step_failed(st, &t0, "logging in");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((st->ch = ssh_channel_new(st->s)) == NULL ||
	    ssh_channel_open_session(st->ch) != SSH_OK ||
	    ssh_channel_request_exec(st->ch, cmd) != SSH_OK)
		return step_failed(st, &t0, "starting git");
	return 0;
}

/* I/O on a stream that has failed: none. */
static int
lost(struct sshstream *st)
{
	return fail(st->sub->cfg, REPO_E_GIT, "ssh %s: connection lost",
	    st->where);
}

static int
stream_read(git_smart_subtransport_stream *gs, char *buf, size_t size,
    size_t *nread)
{
	struct sshstream	*st = (struct sshstream *)(void *)gs;
	struct repo_ssh		*c = st->sub->cfg;
	struct timespec		 t0;
	long			 left;
	int			 n;

	*nread = 0;
	if (st->dead)
		return lost(st);
	if (size > SSH_IO_CHUNK)
		size = SSH_IO_CHUNK;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		drain_stderr(st);
		if ((left = c->timeout * 1000 - ms_since(&t0)) <= 0)
			return step_failed(st, &t0, "reading");
		n = ssh_channel_read_timeout(st->ch, buf, (uint32_t)size, 0,
		    (int)left);
		if (n > 0) {
			*nread = (size_t)n;
			return 0;
		}
		if (n < 0)
			return step_failed(st, &t0, "reading");
		drain_stderr(st);
		if (ssh_channel_is_eof(st->ch)) {
			/* An end libgit2 did not expect, with the reason
			 * ("fatal: ... does not appear to be a git
			 * repository") on stderr. */
			if (st->errlen > 0) {
				st->dead = true;
				return fail(c, REPO_E_GIT, "ssh %s: %s",
				    st->where, st->errtext);
			}
			return 0;
		}
	}
}

static int
stream_write(git_smart_subtransport_stream *gs, const char *buf, size_t len)
{
	struct sshstream	*st = (struct sshstream *)(void *)gs;
	struct timespec		 t0;
	size_t			 chunk;
	int			 n;

	if (st->dead)
		return lost(st);
	drain_stderr(st);
	if (st->errlen == 0 && (ssh_channel_is_closed(st->ch) ||
	    ssh_channel_is_eof(st->ch))) {
		/* The server is done (libgit2 says goodbye after the end
		 * of a fetch): libgit2's account of why, if any, stands. */
		st->dead = true;
		(void)git_error_set_str(GIT_ERROR_SSH, "ssh: channel closed");
		return -1;
	}
	while (len > 0) {
		chunk = len > SSH_IO_CHUNK ? SSH_IO_CHUNK : len;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* Blocking: it returns less only when the server gave no
		 * room in the channel within the timeout, or closed it. */
		n = ssh_channel_write(st->ch, buf, (uint32_t)chunk);
		if (n < 0 || (size_t)n < chunk)
			return step_failed(st, &t0, "writing");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
stream_free(git_smart_subtransport_stream *gs)
{
	struct sshstream	*st = (struct sshstream *)(void *)gs;

	if (st->sub->cur == st)
		st->sub->cur = NULL;
	if (st->s != NULL) {
		/* ssh_free drops the channel without a word to the server;
		 * a live one is closed as the protocol asks. */
		if (!st->dead) {
			if (st->ch != NULL) {
				ssh_channel_close(st->ch);
				ssh_channel_free(st->ch);
			}
			ssh_disconnect(st->s);
		}
		ssh_free(st->s);
	}
	free(st);
}

static int
sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *gt,
    const char *url, git_smart_service_t action)
{
	struct sshsub		*sub = (struct sshsub *)(void *)gt;
	struct sshstream	*st;
	struct sshurl		 u;
	struct buf		 cmd;
	struct err		 err;
	const char		*prog;
	int			 rc;

	*out = NULL;
	switch (action) {
	case GIT_SERVICE_UPLOADPACK_LS:
		prog = "git-upload-pack";
		break;
	case GIT_SERVICE_RECEIVEPACK_LS:
		prog = "git-receive-pack";
		break;
	case GIT_SERVICE_UPLOADPACK:
	case GIT_SERVICE_RECEIVEPACK:
		/* Stateful: the pack goes over the stream of the refs. */
		if (sub->cur == NULL)
			return fail(sub->cfg, REPO_E_GIT, "ssh: no "
			    "connection to go on with");
		*out = &sub->cur->parent;
		return 0;
	default:
		return fail(sub->cfg, REPO_E_GIT, "ssh: unknown service");
	}
	if (url_parse(url, &u) == -1)
		return fail(sub->cfg, REPO_E_URL, "ssh: cannot parse %s", url);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return fail(sub->cfg, ERR_NOMEM, "ssh: out of memory");
	st->parent.subtransport = gt;
	st->parent.read = stream_read;
	st->parent.write = stream_write;
	st->parent.free = stream_free;
	st->sub = sub;
	buf_init(&cmd, sizeof(u.path) * 4 + 64);
	if (command(prog, u.path, &cmd, &err) == -1)
		rc = fail(sub->cfg, REPO_E_URL, "ssh: %s", err.msg);
	else
		rc = stream_connect(st, &u, cmd.data);
	buf_fini(&cmd);
	if (rc == -1) {
		stream_free(&st->parent);
		return -1;
	}
	sub->cur = st;
	*out = &st->parent;
	return 0;
}

static int
sub_close(git_smart_subtransport *gt)
{
	return 0;
}

static void
sub_free(git_smart_subtransport *gt)
{
	free(gt);
}

static int
sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	struct sshsub	*sub;

	if ((sub = calloc(1, sizeof(*sub))) == NULL)
		return fail(param, ERR_NOMEM, "ssh: out of memory");
	sub->parent.action = sub_action;
	sub->parent.close = sub_close;
	sub->parent.free = sub_free;
	sub->cfg = param;
	*out = &sub->parent;
	return 0;
}

int
repo_ssh_transport(git_transport **out, git_remote *owner,
    struct repo_ssh *c)
{
	/* rpc 0: one connection carries the refs and then the pack. */
	git_smart_subtransport_definition	def = { sub_new, 0, c };

	return git_transport_smart(out, owner, &def);
}
