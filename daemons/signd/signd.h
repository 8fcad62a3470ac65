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
#include <sys/types.h>
#include <sys/un.h>

#include "keyring.h"
#include "dkim/dkim.h"
#include "dns/dns.h"
#include "util/acl.h"
#include "util/log.h"
#include "util/opt.h"

struct buf;
struct event_base;
struct err;
struct smtp_listener;

/* Filled by opt_load from the table in options.c. */
struct signd_conf {
	struct opt_list	 listen;		/* struct opt_addr */
	char		*milter;		/* ADDR:PORT or unix:PATH */
	char		*relay;			/* HOST[:PORT] */
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
	char		*derivation;		/* v1 or nec */
	char		*authserv_id;
	struct opt_list	 allow;			/* char *, CIDR */
	char		*selector_format;
	struct opt_list	 selector;		/* char *: known selectors */
	char		*hostname;
	long long	 max_message_size;
	long long	 max_connections;
	char		*tls_cert;
	char		*tls_key;
	bool		 strict_selfcheck;
	char		*sign_workers;		/* N; default: online CPUs */
	long long	 selfcheck_interval;
	long long	 clock_offset;		/* test hook */
	struct opt_addr	 stats_listen;
	char		*milter_mode;		/* octal */
	char		*milter_group;
	bool		 foreground;
	enum log_level	 log_level;
	char		*user;
};

/* What the configuration means, checked. */
struct signd_settings {
	struct signd_conf	 conf;
	struct acl		 acl;
	struct opt_addr		 relay;		/* --relay, resolved */
	uint8_t			*password;	/* wiped when freed */
	size_t			 password_len;
	char			*tsig_name;
	char			*tsig_alg;
	uint8_t			*tsig_secret;	/* wiped when freed */
	size_t			 tsig_secret_len;
	bool			 kinds[SIGND_NKINDS];
	unsigned		 sign_workers;	/* 0: sign on the loop */
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
	mode_t			 milter_mode;	/* unix socket */
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

/* The ways mail comes in. */
enum signd_front {
	SIGND_FRONT_SMTP,
	SIGND_FRONT_MILTER,
	SIGND_NFRONTS
};

/* Counters, logged on SIGUSR1. */
struct signd_stats {
	uint64_t	 messages;		/* SMTP and milter, ended */
	uint64_t	 milter_messages;
	uint64_t	 milter_aborted;	/* transactions the MTA dropped */
	uint64_t	 signed_by[SIGND_NFRONTS];	/* sent on signed */
	uint64_t	 refused_by[SIGND_NFRONTS];	/* not signed */
	uint64_t	 unchecked;		/* refused: self-check */
	uint64_t	 sigs[SIGND_NKINDS];	/* signatures (sets) added */
	uint64_t	 nokey[SIGND_NKINDS];	/* wanted, but no key */
	uint64_t	 unsigned_nokey;	/* refused: no key at all */
	uint64_t	 bad_message;		/* refused: not RFC 5322 */
	uint64_t	 arc_skipped;		/* already sealed by us */
	uint64_t	 sign_cancelled;	/* owner gone before a worker
						 * took it: never signed */
	uint64_t	 relay[6];		/* by class: 2xx..5xx; [0]
						 * local failures */
	uint64_t	 connections;
	uint64_t	 denied;
};

#define SIGND_MAX_STATS	64	/* "name=value" strings */
#define SIGND_STAT_LEN	80

struct event;
struct pool;
struct signd_milter;
struct signd_selfcheck;
struct signd_statsrv;

struct signd {
	struct event_base	*base;
	struct signd_settings	 set;
	struct signd_keyring	*keyring;
	struct dns_stub		*stub;		/* --resolver, for ARC */
	struct smtp_listener	*smtp;
	struct signd_milter	*milter;
	struct signd_selfcheck	*selfcheck;
	struct signd_statsrv	*statsrv;	/* --stats-listen */
	struct pool		*pool;		/* --sign-workers; NULL: 0 */
	struct event		*pool_ev;	/* its pipe */
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
	SIGND_SIGN_UNCHECKED,	/* --strict-selfcheck: the keys have not
				 * passed their self-check */
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
/* Abandons the message (done is not called).  NULL does nothing.  A
 * pipeline still waiting for a worker is withdrawn from the queue and
 * freed (counted in sign_cancelled); one a worker is signing is freed
 * when the worker hands it back (or at signd_sign_stop()), not
 * before. */
void		 signd_sign_free(struct signd_sign *);
/* The signing workers (--sign-workers; none for 0): each message's
 * private-key operations run on one of them, everything else (logging,
 * counters, keys, the done callback) stays on the loop. */
int		 signd_sign_start(struct signd *, struct err *);
/* Stops the workers once every pipeline's owner (SMTP, milter,
 * self-check) is gone: pipelines abandoned while a worker had them are
 * freed here, after the worker let go. */
void		 signd_sign_stop(struct signd *);
/* Marks the pipeline as the self-check's probe: its signatures are not
 * counted, and it is signed whatever the self-check's state. */
void		 signd_sign_probe(struct signd_sign *);

/* A TXT answer for name as src/dkim and src/arc take a key: *txts_out
 * (dns_txts_free) and *detail_out (borrowed, maybe from err) say what
 * came.  Shared by the ARC validator of sign.c and the self-check. */
enum dkim_key_lookup signd_key_answer(enum dns_status,
		    const struct dns_msg *, const char *name, char ***txts_out,
		    size_t *n_out, const char **detail_out, struct err *);

/* ---- selfcheck.c: sign a probe, verify it through --resolver ---- */

enum signd_check_state {
	SIGND_CHECK_NONE,	/* no key at all: nothing to check */
	SIGND_CHECK_PENDING,	/* the keys changed, not checked yet */
	SIGND_CHECK_PASS,
	SIGND_CHECK_FAIL,
};

struct signd_selfcheck_stats {
	enum signd_check_state	 state;
	uint64_t		 runs, passed, failed;
	time_t			 last;		/* real time, 0: never */
	char			 reason[160];	/* of the last failure */
};

/* Checks every --selfcheck-interval from now, and at once after each
 * signd_selfcheck_keys_changed().  sd->keyring must exist. */
struct signd_selfcheck *signd_selfcheck_new(struct signd *, struct err *);
void		 signd_selfcheck_free(struct signd_selfcheck *);
void		 signd_selfcheck_keys_changed(struct signd_selfcheck *);
/* Must new mail be refused (--strict-selfcheck, not passed)? */
bool		 signd_selfcheck_refuses(const struct signd *);
void		 signd_selfcheck_stats(const struct signd_selfcheck *,
		    struct signd_selfcheck_stats *out);
const char	*signd_check_state_name(enum signd_check_state);
/* Appends the probe message (CRLF text) dated now to out. */
int		 signd_selfcheck_probe(const struct signd *, time_t now,
		    struct buf *out, struct err *);

/* ---- session.c: SMTP in, relay out ---- */

int	signd_smtp_start(struct signd *, struct err *);
void	signd_smtp_stop(struct signd *);

/* ---- stats.c ---- */

/* One "name=value" per counter into v (n at most); how many. */
size_t	signd_stats_strings(struct signd *, char v[][SIGND_STAT_LEN],
	    size_t n);
void	signd_stats_log(struct signd *);		/* SIGUSR1 */
/* CH TXT stats.timbre. on --stats-listen (nothing without it). */
int	signd_stats_start(struct signd *, struct err *);
void	signd_stats_stop(struct signd *);

/* ---- milter.c ---- */

int	signd_milter_start(struct signd *, struct err *);
void	signd_milter_stop(struct signd *);
size_t	signd_milter_conns(const struct signd *);

#endif
