/*
 * doctor_tls.c: timbre doctor's connections to the domain's own hosts
 * (see doctor_tls.h): SMTP up to STARTTLS and the TLS handshake on an
 * MX, and the HTTPS GET of the MTA-STS policy.
 *
 * A command-line check makes one connection at a time, so these are
 * plain non-blocking sockets waited on with poll(2) until one deadline,
 * not the daemons' event-driven transport: a server that accepts and
 * never speaks, or speaks forever, costs the time left and no more.
 * Replies are read with src/smtp's reply parser.  The handshake does not
 * stop at a certificate that does not verify (an MX's certificate is
 * judged, not trusted): a verify callback records the first chain error,
 * the host name and the expiry are checked on the leaf after it.  The
 * chain is kept for TLSA: DANE-TA records are verified on it, after the
 * connection, by OpenSSL's DANE code (SSL_dane_enable, SSL_dane_tlsa_add)
 * with the certificate store of a handshake, as a sending MTA does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* OpenSSL 1.1.1 (Debian 11) has the older name of the same call: both
 * return a reference the caller frees. */
#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate	SSL_get_peer_certificate
#endif

#include "smtp/smtp.h"
#include "util/err.h"

#include "doctor_tls.h"

#define REPLY_LINE_MAX	4096	/* bytes of one reply line */

struct doctor_tls_ctx {
	SSL_CTX	*ssl;
};

struct doctor_tls_ctx *
doctor_tls_ctx_new(void)
{
	struct doctor_tls_ctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->ssl = SSL_CTX_new(TLS_client_method())) == NULL) {
		free(c);
		return NULL;
	}
	/* Without trusted CAs every chain is reported as not verifying,
	 * which is what a sender with the same store would find. */
	(void)SSL_CTX_set_default_verify_paths(c->ssl);
	return c;
}

void
doctor_tls_ctx_free(struct doctor_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl);
	free(c);
}

long
doctor_ms_until(const struct timespec *end)
{
	struct timespec	now;
	long		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

int
doctor_wait_fd(int fd, short what, const struct timespec *end,
    struct doctor_tls *out)
{
	struct pollfd	pfd;
	long		ms;
	int		n;

	for (;;) {
		if ((ms = doctor_ms_until(end)) == 0) {
			out->timed_out = true;
			snprintf(out->why, sizeof(out->why), "no answer in "
			    "time");
			return -1;
		}
		pfd.fd = fd;
		pfd.events = what;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms > 3600000 ? 3600000 : (int)ms);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			snprintf(out->why, sizeof(out->why), "poll: %s",
			    strerror(errno));
			return -1;
		}
	}
}

int
doctor_conn_open(const struct sockaddr *sa, socklen_t salen, int socktype,
    const struct timespec *end, struct doctor_tls *out)
{
	socklen_t	elen = sizeof(int);
	int		fd, e = 0;

	if ((fd = socket(sa->sa_family, socktype, 0)) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		snprintf(out->why, sizeof(out->why), "socket: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS)
			e = errno;
		else if (doctor_wait_fd(fd, POLLOUT, end, out) == -1) {
			close(fd);
			return -1;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
		    &elen) == -1)
			e = errno;
	}
	if (e != 0) {
		out->refused = e == ECONNREFUSED;
		snprintf(out->why, sizeof(out->why), "connect: %s",
		    strerror(e));
		close(fd);
		return -1;
	}
	out->connected = true;
	return fd;
}

/* Writes all of s, in plain text.  0, or -1 (out->why). */
static int
plain_write(int fd, const char *s, const struct timespec *end,
    struct doctor_tls *out)
{
	size_t	len = strlen(s), off = 0;
	ssize_t	n;

	while (off < len) {
		n = write(fd, s + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			snprintf(out->why, sizeof(out->why), "write: %s",
			    strerror(errno));
			return -1;
		}
		if (doctor_wait_fd(fd, POLLOUT, end, out) == -1)
			return -1;
	}
	return 0;
}

/*
 * Reads one whole reply in plain text: its code (0 when none could be
 * read: out->why), its first line's text in first (cut).  With offers
 * non-NULL, sets *offered when a line's first word is that keyword (the
 * EHLO reply's extensions).
 */
static int
plain_reply(int fd, struct smtp_reply_parser *rp, const struct timespec *end,
    struct doctor_tls *out, char *first, size_t firstlen, const char *offers,
    bool *offered)
{
	struct smtp_reply_line	 line;
	struct err		 err;
	char			 buf[4096];
	ssize_t			 n;
	size_t			 kl = offers != NULL ? strlen(offers) : 0;
	bool			 got_first = false;

	for (;;) {
		switch (smtp_reply_parser_next(rp, &line, &err)) {
		case SMTP_REPLY_LINE:
			if (!got_first) {
				snprintf(first, firstlen, "%d %.*s", line.code,
				    (int)(line.len > 200 ? 200 : line.len),
				    line.text);
				got_first = true;
			}
			if (offers != NULL && line.len >= kl &&
			    strncasecmp(line.text, offers, kl) == 0 &&
			    (line.len == kl || line.text[kl] == ' '))
				*offered = true;
			if (line.last)
				return line.code;
			continue;
		case SMTP_REPLY_ERROR:
			snprintf(out->why, sizeof(out->why), "a malformed "
			    "reply (%s)", err.msg);
			return 0;
		case SMTP_REPLY_NEED_MORE:
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			smtp_reply_parser_feed(rp, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			snprintf(out->why, sizeof(out->why), "the server "
			    "closed the connection");
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(out->why, sizeof(out->why), "read: %s",
			    strerror(errno));
			return 0;
		}
		if (doctor_wait_fd(fd, POLLIN, end, out) == -1)
			return 0;
	}
}

/* Waits as the last SSL call on ssl with result rc wants: 0 to call it
 * again, -1 (out->why, prefixed with what) when it failed for good. */
static int
ssl_wait(SSL *ssl, int fd, int rc, const char *what,
    const struct timespec *end, struct doctor_tls *out)
{
	unsigned long	e;

	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return doctor_wait_fd(fd, POLLIN, end, out);
	case SSL_ERROR_WANT_WRITE:
		return doctor_wait_fd(fd, POLLOUT, end, out);
	case SSL_ERROR_ZERO_RETURN:
		snprintf(out->why, sizeof(out->why), "%s: the server closed "
		    "the connection", what);
		return -1;
	default:
		e = ERR_peek_last_error();
		snprintf(out->why, sizeof(out->why), "%s: %s", what, e != 0 ?
		    ERR_reason_error_string(e) : "the connection failed");
		ERR_clear_error();
		return -1;
	}
}

/* Records the first chain error and goes on: the chain is judged. */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL			*ssl;
	struct doctor_tls	*out;
	int			 e;

	if (ok)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	out = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	e = X509_STORE_CTX_get_error(xs);
	if (out != NULL && out->verify_err == X509_V_OK) {
		out->verify_err = e;
		snprintf(out->verify_why, sizeof(out->verify_why), "%s",
		    X509_verify_cert_error_string(e));
	}
	return 1;
}

/* The handshake on fd as a client to host.  The SSL, or NULL
 * (out->why). */
static SSL *
tls_start(struct doctor_tls_ctx *c, int fd, const char *host,
    const struct timespec *end, struct doctor_tls *out)
{
	X509			*leaf;
	STACK_OF(X509)		*chain;
	SSL			*ssl;
	int			 rc, day = 0, sec = 0;

	out->verify_err = X509_V_OK;
	if ((ssl = SSL_new(c->ssl)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, host) != 1) {
		snprintf(out->why, sizeof(out->why), "TLS: out of memory");
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_app_data(ssl, out);
	SSL_set_verify(ssl, SSL_VERIFY_NONE, verify_cb);
	while ((rc = SSL_connect(ssl)) != 1)
		if (ssl_wait(ssl, fd, rc, "TLS handshake", end, out) == -1) {
			SSL_free(ssl);
			return NULL;
		}
	out->tls = true;
	snprintf(out->version, sizeof(out->version), "%s",
	    SSL_get_version(ssl));
	if ((leaf = SSL_get1_peer_certificate(ssl)) == NULL) {
		out->verify_err = X509_V_ERR_UNSPECIFIED;
		snprintf(out->verify_why, sizeof(out->verify_why), "no "
		    "certificate");
		return ssl;
	}
	out->have_cert = true;
	snprintf(out->host, sizeof(out->host), "%s", host);
	chain = SSL_get_peer_cert_chain(ssl);
	out->chain_len = chain != NULL ? (size_t)sk_X509_num(chain) : 1;
	if (chain != NULL)
		out->chain = X509_chain_up_ref(chain);
	out->name_ok = X509_check_host(leaf, host, 0, 0, NULL) == 1;
	if (ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(leaf)) == 1)
		out->days_left = day < 0 || sec < 0 ? -1 : day;
	else
		out->days_left = -1;
	X509_free(leaf);
	return ssl;
}

void
doctor_tls_fini(struct doctor_tls *t)
{
	sk_X509_pop_free(t->chain, X509_free);
	t->chain = NULL;
}

/* Does the selector's part of x, hashed as mtype says, equal data?  1,
 * 0, or -1 for a selector or matching type RFC 6698 does not define. */
static int
cert_matches(X509 *x, unsigned selector, unsigned mtype,
    const unsigned char *data, size_t len)
{
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 n, rc = 0;

	if (selector == 0)
		n = i2d_X509(x, &der);
	else if (selector == 1)
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	else
		return -1;
	if (n <= 0)
		return 0;
	if (mtype == 0)
		rc = (size_t)n == len && memcmp(der, data, len) == 0;
	else if (mtype == 1 || mtype == 2) {
		if (EVP_Digest(der, (size_t)n, md, &mdlen, mtype == 1 ?
		    EVP_sha256() : EVP_sha512(), NULL) == 1)
			rc = mdlen == len && memcmp(md, data, len) == 0;
	} else
		rc = -1;
	OPENSSL_free(der);
	return rc;
}

int
doctor_tls_tlsa_match(const struct doctor_tls *t, unsigned usage,
    unsigned selector, unsigned mtype, const unsigned char *data, size_t len)
{
	STACK_OF(X509)	*chain = t->chain;
	char		 why[96];
	int		 rc;

	if (usage == 2)
		return doctor_tls_dane_ta(t, selector, mtype, data, len, why,
		    sizeof(why));
	if (usage != 3)
		return -1;
	/* The leaf is the first certificate a client is sent. */
	if (chain != NULL && sk_X509_num(chain) > 0 &&
	    (rc = cert_matches(sk_X509_value(chain, 0), selector, mtype, data,
	    len)) != 0)
		return rc;
	return selector > 1 || mtype > 2 ? -1 : 0;
}

int
doctor_tls_dane_ta(const struct doctor_tls *t, unsigned selector,
    unsigned mtype, const unsigned char *data, size_t len, char *why,
    size_t whylen)
{
	STACK_OF(X509)	*chain = t->chain;
	X509_STORE_CTX	*xs = NULL;
	SSL_CTX		*ctx = NULL;
	SSL		*ssl = NULL;
	int		 rc = -1, e;

	snprintf(why, whylen, "out of memory");
	if (selector > 1 || mtype > 2) {
		snprintf(why, whylen, "selector or matching type not defined");
		return -1;
	}
	if (chain == NULL || sk_X509_num(chain) == 0 || t->host[0] == '\0') {
		snprintf(why, whylen, "no certificate");
		return 0;
	}
	/*
	 * What libssl does at the end of a handshake (ssl_verify_cert_chain):
	 * the chain sent, as untrusted certificates, verified against the
	 * DANE state of a connection to host, whose store holds no CA: the
	 * record is the only trust anchor.  SSL_dane_enable makes host the
	 * reference identifier, checked on the leaf for usage 2.
	 */
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_dane_enable(ctx) <= 0 || (ssl = SSL_new(ctx)) == NULL ||
	    SSL_dane_enable(ssl, t->host) <= 0)
		goto out;
	if ((e = SSL_dane_tlsa_add(ssl, 2, (uint8_t)selector, (uint8_t)mtype,
	    data, len)) <= 0) {
		/* 0: unusable (a digest of the wrong length, a key or
		 * certificate that does not parse) */
		if (e == 0) {
			snprintf(why, whylen, "the record's data is unusable");
			rc = 0;
		}
		goto out;
	}
	if ((xs = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(ctx),
	    sk_X509_value(chain, 0), chain) != 1)
		goto out;
	if (X509_STORE_CTX_set_default(xs, "ssl_server") != 1 ||
	    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xs),
	    SSL_get0_param(ssl)) != 1)
		goto out;
	X509_STORE_CTX_set0_dane(xs, SSL_get0_dane(ssl));
	if (X509_verify_cert(xs) == 1) {
		why[0] = '\0';
		rc = 1;
	} else {
		e = X509_STORE_CTX_get_error(xs);
		snprintf(why, whylen, "%s", X509_verify_cert_error_string(e));
		rc = 0;
	}
out:
	X509_STORE_CTX_free(xs);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

void
doctor_smtp_probe(struct doctor_tls_ctx *c, const struct sockaddr *sa,
    socklen_t salen, const char *host, const char *helo,
    const struct timespec *end, struct doctor_tls *out)
{
	struct smtp_reply_parser *rp;
	SSL			*ssl;
	char			 cmd[300], first[256];
	int			 fd, code;

	memset(out, 0, sizeof(*out));
	if ((fd = doctor_conn_open(sa, salen, SOCK_STREAM, end, out)) == -1)
		return;
	if ((rp = smtp_reply_parser_new(REPLY_LINE_MAX)) == NULL) {
		snprintf(out->why, sizeof(out->why), "out of memory");
		close(fd);
		return;
	}
	if ((code = plain_reply(fd, rp, end, out, first, sizeof(first), NULL,
	    NULL)) == 0)
		goto out;
	if (code != 220) {
		snprintf(out->why, sizeof(out->why), "greeting \"%.200s\"",
		    first);
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", helo);
	if (plain_write(fd, cmd, end, out) == -1 ||
	    (code = plain_reply(fd, rp, end, out, first, sizeof(first),
	    "STARTTLS", &out->starttls)) == 0)
		goto out;
	if (code != 250) {
		snprintf(out->why, sizeof(out->why), "EHLO answered \"%.200s\"",
		    first);
		out->starttls = false;
		goto out;
	}
	if (!out->starttls) {
		(void)plain_write(fd, "QUIT\r\n", end, out);
		goto out;
	}
	if (plain_write(fd, "STARTTLS\r\n", end, out) == -1 ||
	    (code = plain_reply(fd, rp, end, out, first, sizeof(first), NULL,
	    NULL)) == 0)
		goto out;
	if (code != 220) {
		snprintf(out->why, sizeof(out->why), "STARTTLS answered "
		    "\"%.200s\"", first);
		goto out;
	}
	if ((ssl = tls_start(c, fd, host, end, out)) != NULL) {
		/* A polite end; its answer does not matter. */
		(void)SSL_write(ssl, "QUIT\r\n", 6);
		SSL_free(ssl);
	}
out:
	smtp_reply_parser_free(rp);
	close(fd);
}

int
doctor_https_get(struct doctor_tls_ctx *c, const struct sockaddr *sa,
    socklen_t salen, const char *host, const char *path,
    const struct timespec *end, struct doctor_tls *out, char *buf,
    size_t cap, size_t *len)
{
	SSL	*ssl;
	char	 req[600];
	int	 fd, rc, e, n, ret = -1;

	memset(out, 0, sizeof(*out));
	*len = 0;
	if ((fd = doctor_conn_open(sa, salen, SOCK_STREAM, end, out)) == -1)
		return -1;
	if ((ssl = tls_start(c, fd, host, end, out)) == NULL)
		goto out;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: timbre-doctor\r\nConnection: close\r\n\r\n", path,
	    host);
	while ((rc = SSL_write(ssl, req, n)) <= 0)
		if (ssl_wait(ssl, fd, rc, "HTTPS write", end, out) == -1)
			goto out_ssl;
	while (*len < cap) {
		rc = SSL_read(ssl, buf + *len, (int)(cap - *len > 65536 ?
		    65536 : cap - *len));
		if (rc > 0) {
			*len += (size_t)rc;
			continue;
		}
		e = SSL_get_error(ssl, rc);
		/* A server that closes without close_notify still sent
		 * its whole response over HTTP/1.0. */
		if (e == SSL_ERROR_ZERO_RETURN || (*len > 0 &&
		    (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL))) {
			ERR_clear_error();
			break;
		}
		if (ssl_wait(ssl, fd, rc, "HTTPS read", end, out) == -1)
			goto out_ssl;
	}
	ret = 0;
out_ssl:
	SSL_free(ssl);
out:
	close(fd);
	return ret;
}
