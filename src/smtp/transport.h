/*
 * transport.h: the libevent transport of src/smtp's machines.
 *
 * Server side, a listener takes connections on one or more addresses
 * (IPv4 and IPv6) and gives each a bufferevent and a struct smtp_server,
 * driven as smtp.h says: input fed as it comes, output written, input
 * only buffered (up to 64 KiB) while a request waits for the daemon,
 * so that a client leaving then is closed at once (close is called
 * with the request unanswered), reading stopped while the client does
 * not read its replies (the socket's output over out_high), the timer
 * the machine asks for, STARTTLS (RFC 3207) over bufferevent_openssl
 * when a certificate and key are given.  Before the greeting, a client
 * the allow callback refuses gets "554 5.7.1" and is closed, and one
 * over the connection cap gets "421 4.7.0".
 *
 * Client side, smtp_send_start() connects to one server, drives one
 * struct smtp_client (one message to its recipients) with a timeout on
 * the connection and the machine's own timers, pulls the message from a
 * read callback, and calls back once with the results.  With
 * client.starttls it uses STARTTLS when the server offers it, the way
 * Postfix's smtp_tls_security_level = may does: no certificate is
 * checked (nothing would say which one to expect), and when the
 * handshake fails or times out the message goes in plain text over a
 * new connection to the same address, the reason kept for the log
 * (smtp_send_tls()).  A TLS policy (DANE: struct
 * smtp_tls_policy) makes TLS required and checks the certificate.
 * With client.hold, one connection carries several messages: from
 * inside done, smtp_send_next() gives the next one.
 */
#ifndef TIMBRE_SMTP_TRANSPORT_H
#define TIMBRE_SMTP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#include "smtp/smtp.h"

struct event_base;
struct err;

/* ---- Server ---- */

/*
 * A TLS server context of its own, for another protocol on the same
 * certificate (timbre-listd's HTTPS endpoint, RFC 8058): the files are
 * read as STARTTLS reads them (TLS 1.2 at least).  smtp_tls_server_bev
 * makes a bufferevent that accepts a TLS handshake, its socket not yet
 * set (the caller's bufferevent_setfd; evhttp's bevcb), freed with its
 * SSL and socket.  NULL with err (ERR_NOMEM, ERR_CRYPTO naming the
 * file); smtp_tls_server_bev NULL when memory is short.  A context may
 * be freed while its connections live on.
 */
struct smtp_tls_server;
struct bufferevent;
struct smtp_tls_server	*smtp_tls_server_new(const char *cert,
			    const char *key, struct err *);
struct bufferevent	*smtp_tls_server_bev(struct smtp_tls_server *,
			    struct event_base *);
void			 smtp_tls_server_free(struct smtp_tls_server *);

struct smtp_listener;
struct smtp_conn;

struct smtp_listen_conf {
	struct smtp_server_conf	 server;	/* copied (its strings too) */
	size_t			 max_conns;	/* 0: 100 */
	size_t			 out_high;	/* 0: 4 * SMTP_SERVER_OUT_HIGH */
	/* Seconds a client has to bring its next whole command after the
	 * last reply (0: RFC 5321's 5 minutes).  A deadline, not an idle
	 * time: bytes that make no line do not move it (slowloris). */
	unsigned		 command_timeout;
	/* STARTTLS when both are set (PEM files, read at once). */
	const char		*tls_cert;
	const char		*tls_key;
	/* May the client at sa connect?  NULL: everyone. */
	bool	(*allow)(void *arg, const struct sockaddr *sa, socklen_t);
	/*
	 * A connection was accepted (peer: its address as text): returns
	 * the connection's argument for the calls below, or NULL to refuse
	 * it with 421.  request and data are the machine's callbacks
	 * (smtp.h); answer requests with smtp_conn_answer().  close tells
	 * that the connection is gone: no more calls on c after it.
	 */
	void	*(*open)(void *arg, struct smtp_conn *c, const char *peer);
	void	(*request)(void *conn_arg, const struct smtp_request *);
	void	(*data)(void *conn_arg, const char *, size_t);
	void	(*close)(void *conn_arg);
	void	 *arg;
};

/* Reads the TLS files if any.  NULL with err (ERR_NOMEM, ERR_CRYPTO
 * naming the file). */
struct smtp_listener *smtp_listener_new(struct event_base *,
		    const struct smtp_listen_conf *, struct err *);
/* Listens on sa (SO_REUSEADDR; IPv6 only for an IPv6 address).  -1
 * with ERR_IO naming the address. */
int		 smtp_listener_bind(struct smtp_listener *,
		    const struct sockaddr *, socklen_t, struct err *);
/*
 * A reload: for the connections accepted from now on, conf's
 * server.max_size, server.max_rcpt, max_conns and command_timeout (0:
 * unchanged) and TLS
 * files (both NULL: no more STARTTLS; re-read when given, so a renewed
 * certificate is taken).  The rest of conf is ignored.  Connections
 * already open keep what they had.  -1 with err as smtp_listener_new,
 * and nothing changed, when the files do not load.
 */
int		 smtp_listener_update(struct smtp_listener *,
		    const struct smtp_listen_conf *, struct err *);
/* Closes the listening sockets and every connection (calling close). */
void		 smtp_listener_free(struct smtp_listener *);
size_t		 smtp_listener_conns(const struct smtp_listener *);

/* smtp_server_answer() for c's pending request, from inside the
 * request callback or later; the transport goes on from the loop.  -1
 * with err as smtp_server_answer. */
int		 smtp_conn_answer(struct smtp_conn *, int code,
		    const char *enhanced, const char *text, struct err *);

/* ---- Client ---- */

struct smtp_send;

/*
 * The TLS a delivery requires (RFC 7672 DANE), on top
 * of client.starttls.  Beyond SMTP_TLS_MAY the message never goes in
 * plain text: no STARTTLS, a refusal, a failed handshake or a
 * certificate that does not prove itself fails the attempt (a local
 * 4xx; smtp_send_tls() says policy_failed and why).
 *
 * SMTP_TLS_DANE: the certificate must match one of tlsa[] (OpenSSL's
 * DANE: usages 2, DANE-TA, and 3, DANE-EE; 0 and 1 are unusable for
 * SMTP, RFC 7672 section 3.1.3), names checked as RFC 7672 section
 * 3.2.2 says for DANE-TA: tls_servername (the TLSA base domain) or one
 * of names[] (the next-hop domain); DANE-EE checks no name or date.
 * With no usable record TLS is still required, unauthenticated (RFC
 * 7672 section 2.2).  The records and names are copied.
 *
 * SMTP_TLS_PKIX (MTA-STS, RFC 8461 section 4.2): the chain must verify
 * up to a CA of ca_file (NULL: the system's store) and the leaf must be
 * valid for tls_servername, the MX host (one leftmost "*" label at most,
 * RFC 6125 section 6.4.3).  With report_only (a policy in testing mode,
 * section 5) nothing is required: the message goes as with
 * SMTP_TLS_MAY, and smtp_send_tls() says whether the check passed.
 */
enum smtp_tls_level {
	SMTP_TLS_MAY,		/* opportunistic (RFC 7435) */
	SMTP_TLS_DANE,
	SMTP_TLS_PKIX,
};

struct smtp_tlsa {
	uint8_t		 usage, selector, mtype;
	const uint8_t	*data;
	size_t		 len;
};

#define SMTP_TLS_MAX_TLSA	16	/* records taken, the rest ignored */

struct smtp_tls_policy {
	enum smtp_tls_level	 level;
	const struct smtp_tlsa	*tlsa;
	size_t			 ntlsa;
	const char		*names[2];	/* DANE-TA's other names */
	const char		*ca_file;	/* PKIX: the CAs, or NULL */
	bool			 report_only;	/* PKIX: check, not require */
};

struct smtp_send_conf {
	struct smtp_client_conf	 client;	/* helo, starttls */
	unsigned		 connect_timeout; /* seconds; 0: 30 */
	/* Seconds for the TLS handshake; 0: 60.  Past it, plain text. */
	unsigned		 tls_timeout;
	/* Server name for SNI (the MX host), or NULL. */
	const char		*tls_servername;
	/* What TLS must be and prove (the default, all zero: "may"). */
	struct smtp_tls_policy	 tls_policy;
	/* The message, in order: fills buf with up to cap bytes, returns
	 * how many (0 at the end), -1 on failure (the attempt fails with a
	 * local 451 4.3.0). */
	ssize_t	(*read)(void *arg, char *buf, size_t cap);
	/* Called once, from the loop, when every result is known: c is
	 * valid during the call (smtp_client_result() and friends); why is
	 * NULL or what failed locally ("connect: Connection refused").
	 * After it the smtp_send is gone. */
	void	(*done)(void *arg, const struct smtp_client *c,
		    const char *why);
	void	 *arg;
};

/* Connects to sa and delivers one message.  NULL with err (bad
 * envelope, no memory, no socket); otherwise done is called later. */
struct smtp_send *smtp_send_start(struct event_base *, const struct sockaddr *,
		    socklen_t, const struct smtp_send_conf *,
		    const struct smtp_envelope *, struct err *);
/* What became of TLS on the attempt, for the log line of its result. */
struct smtp_send_tls {
	bool	 used;		/* the transaction went over TLS */
	char	 version[16];	/* "TLSv1.3" when used */
	char	 cipher[64];	/* "TLS_AES_256_GCM_SHA384" when used */
	/* Why TLS was offered and not used ("" if it was not offered or
	 * worked): "refused: 454 ..." when the server said no to STARTTLS,
	 * "handshake: ..." when the message went in plain text over a
	 * second connection. */
	char	 fallback[SMTP_REPLY_TEXT_MAX + 48];
	/* Beyond SMTP_TLS_MAY: the policy was not met (the attempt then
	 * failed, the message unsent), and what failed. */
	bool	 policy_failed;
	char	 policy_why[SMTP_REPLY_TEXT_MAX + 48];
	/* SMTP_TLS_DANE: the TLSA record that matched ("" for none) as
	 * "usage selector mtype" at depth N, for the log line. */
	char	 dane[48];
	/* SMTP_TLS_PKIX, when TLS was used: whether the certificate
	 * verified for the host name, and if not why (OpenSSL's words). */
	bool	 pkix_ok;
	char	 pkix_why[96];
};

/*
 * From inside done only, with conf.client.hold and smtp_send_can_next():
 * the next message on the same connection, with its own read, done and
 * arg (those of conf; its other fields are ignored).  done is then
 * called for it as for the first.  -1 with err (SMTP_E_STATE, the
 * envelope's ERR_ARG, ERR_NOMEM): the connection quits after done
 * returns, and done is not called for that message.
 */
int		 smtp_send_next(struct smtp_send *,
		    const struct smtp_envelope *,
		    const struct smtp_send_conf *, struct err *);
/* Whether the connection can take another message (inside done). */
bool		 smtp_send_can_next(const struct smtp_send *);

/* Valid from inside done (and before): the TLS state of s. */
const struct smtp_send_tls *smtp_send_tls(const struct smtp_send *);

/* Abandons the attempt before done was called: done is not called. */
void		 smtp_send_cancel(struct smtp_send *);
/*
 * When the loop of base is stopping: frees every smtp_send still alive
 * on it, those whose done was called and that were still saying QUIT
 * or closing (nobody holds them), and any other not cancelled.  Call it
 * after the owners cancelled theirs and before event_base_free(); no
 * done callback is called.
 */
void		 smtp_send_shutdown(struct event_base *);

#endif
