/*
 * signd.h: what the files of timbre-signd share: the option table's
 * configuration (options.c), the settings derived from it, the daemon's
 * state and counters, the signing pipeline (sign.c), the SMTP path
 * (session.c: SMTP in, relay out) and the milter path (milter.c).  The
 * key life cycle is keyring.h's.
 */
#ifndef TIMBRE_SIGND_H
#define TIMBRE_SIGND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "keyring.h"
#include "util/acl.h"
#include "util/log.h"
#include "util/opt.h"

struct buf;
struct dns_stub;
struct event_base;
struct err;
struct smtp_listener;

/* Filled by opt_load from the table in options.c. */
struct signd_conf {
	struct opt_list	 listen;		/* struct opt_addr */
	char		*milter;		/* ADDR:PORT or unix:PATH */
	struct opt_addr	 relay;
	char		*domain;
	char		*password_file;
	char		*password;		/* argv form, warned about */
	struct opt_addr	 resolver;
	struct opt_addr	 primary;
	char		*tsig_key_file;
	char		*tsig_key;		/* argv form, warned about */
	struct opt_list	 algorithm;		/* char * */
	long long	 key_lifetime;
	long long	 key_overlap;
	long long	 key_bits;
	char		*authserv_id;
	struct opt_list	 allow;			/* char *, CIDR */
	char		*selector_format;
	struct opt_list	 selector;		/* char *: known selectors */
	char		*hostname;
	long long	 max_message_size;
	long long	 max_connections;
	char		*tls_cert;
	char		*tls_key;
	bool		 foreground;
	enum log_level	 log_level;
	char		*user;
};

/* What the configuration means, checked. */
struct signd_settings {
	struct signd_conf	 conf;
	struct acl		 acl;
	uint8_t			*password;	/* wiped when freed */
	size_t			 password_len;
	char			*tsig_name;
	char			*tsig_alg;
	uint8_t			*tsig_secret;	/* wiped when freed */
	size_t			 tsig_secret_len;
	bool			 kinds[SIGND_NKINDS];
	enum key_derivation	 derivation;
	char			 dkim_prefix[64];
	char			 arc_prefix[64];
	char			 hostname[256];	/* EHLO, greeting */
	const char		*authserv_id;	/* conf's or hostname */
	const char		**selectors;	/* --selector, NULL-ended */
	/* --milter */
	bool			 milter_on;
	bool			 milter_unix;
	struct sockaddr_un	 milter_sun;
	struct opt_addr		 milter_addr;
};

extern const struct opt_program signd_program;

/* Loads the configuration (file, argv, credential files) into s.  -1
 * with err: OPT_E_USAGE for exit 2, OPT_E_DONE after --help, else exit
 * 1 (the message names what and where). */
int	signd_settings_load(int argc, char *argv[], struct signd_settings *,
	    struct err *);
void	signd_settings_free(struct signd_settings *);
/* Fills the keyring's configuration from s (pointers into s). */
void	signd_settings_keyring(const struct signd_settings *,
	    struct signd_keyring_cfg *out);
const char *signd_kind_name(enum signd_kind);

/* Counters, logged on SIGUSR1. */
struct signd_stats {
	uint64_t	 messages;		/* SMTP and milter, ended */
	uint64_t	 milter_messages;
	uint64_t	 sigs[SIGND_NKINDS];	/* signatures (sets) added */
	uint64_t	 nokey[SIGND_NKINDS];	/* wanted, but no key */
	uint64_t	 unsigned_nokey;	/* refused: no key at all */
	uint64_t	 bad_message;		/* refused: not RFC 5322 */
	uint64_t	 arc_skipped;		/* already sealed by us */
	uint64_t	 relay[6];		/* by class: 2xx..5xx; [0]
						 * local failures */
	uint64_t	 connections;
	uint64_t	 denied;
};

struct signd_milter;

struct signd {
	struct event_base	*base;
	struct signd_settings	 set;
	struct signd_keyring	*keyring;
	struct dns_stub		*stub;		/* --resolver, for ARC */
	struct smtp_listener	*smtp;
	struct signd_milter	*milter;
	struct signd_stats	 stats;
	uint64_t		 next_id;
	int			 argc;
	char			**argv;
};

#define SIGND_SPOOL_MEM		(1024 * 1024)	/* then a temp file */

/* ---- sign.c: one message through the signing pipeline ---- */

enum signd_sign_status {
	SIGND_SIGN_OK,		/* fields hold at least one signature */
	SIGND_SIGN_NOKEY,	/* no key for any signature: send nothing */
	SIGND_SIGN_BAD,		/* the message is not RFC 5322 (why) */
	SIGND_SIGN_ERROR,	/* out of memory or a crypto failure (why) */
};

struct signd_sign;

/* Called once, from the loop: fields are the header fields to prepend
 * (CRLF text; borrowed for the call), why says what went wrong. */
typedef void	signd_sign_done(void *arg, enum signd_sign_status,
		    const struct buf *fields, const char *why);

/* A pipeline for one message (id for the log).  NULL on ERR_NOMEM. */
struct signd_sign *signd_sign_new(struct signd *, uint64_t id, struct err *);
/* The message's bytes as they come, CRLF text, header then body: the
 * DKIM body hashes, the ARC validator and sealer see them once. */
void		 signd_sign_feed(struct signd_sign *, const char *, size_t);
/* The message ended: done is called once the ARC chain's keys are in. */
void		 signd_sign_end(struct signd_sign *, signd_sign_done *,
		    void *arg);
/* Abandons the message (done is not called).  NULL does nothing. */
void		 signd_sign_free(struct signd_sign *);

/* ---- session.c: SMTP in, relay out ---- */

int	signd_smtp_start(struct signd *, struct err *);
void	signd_smtp_stop(struct signd *);

/* ---- milter.c ---- */

int	signd_milter_start(struct signd *, struct err *);
void	signd_milter_stop(struct signd *);
size_t	signd_milter_conns(const struct signd *);

#endif
