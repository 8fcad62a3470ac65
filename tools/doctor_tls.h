/*
 * doctor_tls.h: the connections timbre doctor makes to a domain's own
 * hosts: SMTP with STARTTLS (RFC 3207) to an MX on port 25, and an HTTPS
 * GET of the MTA-STS policy (RFC 8461 section 3.3), each bounded by a
 * deadline; and what the TLS handshake showed of the server's
 * certificate.
 */
#ifndef TIMBRE_TOOLS_DOCTOR_TLS_H
#define TIMBRE_TOOLS_DOCTOR_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#define DOCTOR_TLS_WHY		256

/* How far a connection got, and what was seen. */
struct doctor_tls {
	bool	 connected;	/* TCP connected */
	bool	 refused;	/* ECONNREFUSED (else: a time-out, ...) */
	bool	 timed_out;	/* the deadline passed */
	bool	 starttls;	/* EHLO offered STARTTLS (SMTP only) */
	bool	 tls;		/* the handshake completed */
	char	 version[16];	/* "TLSv1.3" */
	bool	 have_cert;	/* the server sent a certificate */
	int	 verify_err;	/* first chain error (X509_V_OK: none) */
	char	 verify_why[96];/* its text */
	bool	 name_ok;	/* the leaf is valid for the host name */
	char	 host[256];	/* that name (the SNI), for DANE-TA */
	long	 days_left;	/* of the leaf; < 0 when expired */
	size_t	 chain_len;	/* certificates the server sent */
	void	*chain;		/* them (STACK_OF(X509)), for TLSA */
	char	 why[DOCTOR_TLS_WHY];	/* what failed, "" if nothing */
};

/* Frees what a probe kept of the chain. */
void	doctor_tls_fini(struct doctor_tls *);

/*
 * Does the TLSA association (usage, selector, mtype, data: RFC 6698
 * section 2.1) match the chain the server sent?  Usage 3 (DANE-EE) is
 * held against the leaf; 2 (DANE-TA) as doctor_tls_dane_ta judges it.
 * 1 for a match, 0 for none, -1 for usages 0 and 1 (not for SMTP, RFC
 * 7672 section 3.1.3) or a selector or matching type not defined.
 */
int	doctor_tls_tlsa_match(const struct doctor_tls *, unsigned usage,
	    unsigned selector, unsigned mtype, const unsigned char *data,
	    size_t len);
/*
 * DANE-TA (usage 2; RFC 7671 section 5.2, RFC 7672 section 3.1.1): does
 * the chain the server sent verify, by OpenSSL's DANE code as a sending
 * MTA's handshake would, up to the trust anchor the record names (a
 * certificate the server sent, or with matching type 0 the certificate
 * or key itself), with every certificate in its validity period and the
 * leaf valid for the host name (RFC 7672 section 3.2.2)?  1 yes; 0 no,
 * with why (OpenSSL's reason, "certificate has expired"); -1 for a
 * selector or matching type not defined, or no memory (why).
 */
int	doctor_tls_dane_ta(const struct doctor_tls *, unsigned selector,
	    unsigned mtype, const unsigned char *data, size_t len, char *why,
	    size_t whylen);

struct doctor_tls_ctx;

/* Milliseconds from now (CLOCK_MONOTONIC) until end, 0 when it is past. */
long	doctor_ms_until(const struct timespec *end);

/* Waits until fd can do what (POLLIN, POLLOUT).  0, or -1 (out->why,
 * out->timed_out) at end or on an error. */
int	doctor_wait_fd(int fd, short what, const struct timespec *end,
	    struct doctor_tls *out);
/* A non-blocking socket of socktype (SOCK_STREAM, SOCK_DGRAM) connected
 * to sa by end, or -1 (out->why, out->refused). */
int	doctor_conn_open(const struct sockaddr *, socklen_t, int socktype,
	    const struct timespec *end, struct doctor_tls *out);

/* One TLS client context for the run (the system's trusted CAs, or
 * those of $SSL_CERT_FILE / $SSL_CERT_DIR).  NULL when out of memory. */
struct doctor_tls_ctx *doctor_tls_ctx_new(void);
void	doctor_tls_ctx_free(struct doctor_tls_ctx *);

/*
 * Speaks SMTP to sa (an MX named host): greeting, EHLO as helo, and if
 * offered STARTTLS and a handshake (SNI host), then QUIT.  Everything
 * ends by end (CLOCK_MONOTONIC).  Fills *out; never fails otherwise.
 */
void	doctor_smtp_probe(struct doctor_tls_ctx *, const struct sockaddr *,
	    socklen_t, const char *host, const char *helo,
	    const struct timespec *end, struct doctor_tls *out);

/*
 * GETs https://host/path from sa over HTTP/1.0 (so that the answer is
 * not chunked) and puts up to cap bytes of the response in buf (*len
 * out).  0 when the response was read to its end (or to cap), -1 when
 * not (out->why says why).
 */
int	doctor_https_get(struct doctor_tls_ctx *, const struct sockaddr *,
	    socklen_t, const char *host, const char *path,
	    const struct timespec *end, struct doctor_tls *out, char *buf,
	    size_t cap, size_t *len);

#endif
