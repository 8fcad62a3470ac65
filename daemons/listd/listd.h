/*
 * listd.h: what the files of timbre-listd's inbound side share: the
 * option table's configuration (options.c), the daemon's state and
 * counters, the public SMTP session and the signer's return path
 * (session.c), verification (verify.c: SPF, DKIM, ARC, DMARC and the
 * Authentication-Results they make), the post as it leaves (post.c,
 * pure functions of the header section) and the hand-off to the signer
 * (queue.c), commands by mail (admin.c), held posts (held.c) and
 * digests (digest.c).  The
 * way out, fan-out and bounces, is deliver.h's.
 *
 * One message, as docs/design.md draws it: session.c takes it on --listen,
 * verify.c checks it, the list's rules decide, post.c rewrites it, and
 * it is committed (store_msg_add) before the client hears 250; queue.c
 * hands it to timbre-signd with an X-Timbre-Queue-Id field, the signed
 * copy comes back on --listen-signed (session.c), loses that field and
 * becomes delivery rows in one transaction (store_msg_signed), and the
 * delivery engine is kicked.
 */
#ifndef TIMBRE_LISTD_H
#define TIMBRE_LISTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "deliver.h"
#include "dmarc/dmarc.h"
#include "store/store.h"
#include "util/acl.h"
#include "util/log.h"
#include "util/opt.h"

struct buf;
struct dns_stub;
struct event;
struct event_base;
struct err;
struct mail_hdrs;
struct smtp_listener;

/* The field that carries the queue id to the signer and back; signd
 * does not sign it (it is in neither its DKIM nor its AMS h=), and it
 * is removed when the signed copy is stored. */
#define LISTD_QUEUE_FIELD	"X-Timbre-Queue-Id"

/* Filled by opt_load from the table in options.c. */
struct listd_conf {
	struct opt_list	 listen;		/* struct opt_addr */
	struct opt_addr	 listen_signed;
	char		*domain;
	char		*hostname;
	char		*db;
	struct opt_addr	 signer;
	struct opt_addr	 resolver;
	char		*tls_cert;
	char		*tls_key;
	long long	 deliver_port;
	char		*tls_ca_file;
	long long	 mta_sts_port;
	long long	 max_message_size;
	bool		 require_tls;
	char		*dmarc_reject;
	long long	 max_recipients;
	long long	 max_connections;
	long long	 max_per_ip;
	long long	 command_timeout;	/* seconds, a deadline */
	char		*smarthost;
	char		*retry_schedule;
	long long	 retry_every;
	long long	 give_up;
	long long	 max_per_domain;
	long long	 bounce_disable;
	long long	 bounce_probe_after;	/* 0: no probes */
	long long	 bounce_probe_wait;
	long long	 signer_retry;
	long long	 signer_retry_max;
	long long	 held_expiry;
	char		*archive_dir;		/* NULL: no archive */
	char		*archive_url;
	long long	 archive_epoch_size;
	long long	 digest_size;		/* digest.c */
	long long	 digest_interval;
	bool		 foreground;
	enum log_level	 log_level;
	char		*user;
	struct opt_addr	 http_listen;		/* http.c; len 0: none */
	struct opt_addr	 signer_milter;		/* copysign.c; len 0: none */
	char		*http_url;
	long long	 http_max_connections;
	long long	 http_timeout;
};

/* What --dmarc-reject does with a DMARC failure under p=reject. */
enum listd_dmarc_action {
	LISTD_DMARC_REJECT,	/* 550 5.7.1 */
	LISTD_DMARC_HOLD,	/* store it held, for a moderator */
	LISTD_DMARC_ACCEPT,	/* post it (From rewritten) */
};

/* What the configuration means, checked. */
struct listd_settings {
	struct listd_conf	 conf;
	char			 hostname[256];	/* banner, EHLO, authserv-id */
	char			 domain[STORE_DOMAIN_MAX + 1];
	enum listd_dmarc_action	 dmarc_reject;
	struct acl		 signer_acl;	/* the signer's address */
	struct listd_deliver_cfg deliver;	/* pointers into conf */
	char			 unsub_url[272];	/* --http-url */
};

extern const struct opt_program listd_program;

/* Loads the configuration (file and argv) into s.  -1 with err:
 * OPT_E_USAGE for exit 2, OPT_E_DONE after --help, else exit 1 (the
 * message names what and where). */
int	listd_settings_load(int argc, char *argv[], struct listd_settings *,
	    struct err *);
void	listd_settings_free(struct listd_settings *);
/* Parses a --retry-schedule ("5m,30m,2h": the delays of the retries
 * after the first attempt) into c->retry.  -1 with OPT_E_CONFIG. */
int	listd_retry_parse(const char *, struct listd_deliver_cfg *c,
	    struct err *);

/* Counters, logged on SIGUSR1. */
struct listd_stats {
	uint64_t	 connections;
	uint64_t	 refused_conn;		/* --max-per-ip, signer acl */
	uint64_t	 accepted;		/* posts stored (250) */
	uint64_t	 held;			/* stored held */
	uint64_t	 refused_rcpt;		/* not ours, relaying */
	uint64_t	 refused_dmarc;
	uint64_t	 refused_poster;	/* not allowed to post */
	uint64_t	 refused_loop;
	uint64_t	 refused_other;		/* not a message, tempfail */
	uint64_t	 to_signer;		/* handed off (250 back) */
	uint64_t	 signer_failed;		/* attempts that failed */
	uint64_t	 signed_back;		/* signed copies stored */
	uint64_t	 fanout_rows;
	uint64_t	 commit_flushes;	/* commit.c's fdatasyncs */
	uint64_t	 commit_posts;		/* posts they covered */
	uint64_t	 commit_batch_max;	/* most in one */
};

struct listd_commit;
struct listd_digest;
struct listd_http;
struct listd_ipcount;
struct listd_queue;

struct listd {
	struct event_base	*base;
	struct listd_settings	 set;
	struct store		*store;
	struct dns_stub		*stub;		/* --resolver */
	struct smtp_listener	*smtp;		/* --listen */
	struct smtp_listener	*signed_smtp;	/* --listen-signed */
	struct listd_deliver	*deliver;	/* NULL: not linked in */
	struct listd_queue	*queue;
	struct listd_commit	*commit;	/* group commit */
	struct listd_ipcount	*ips;		/* connections per address */
	size_t			 nips;
	struct listd_stats	 stats;
	uint64_t		 next_id;
	int			 argc;
	char			**argv;
	time_t			 clock_offset;	/* test hook, as deliver's */
	struct event		*held_timer;	/* held.c's sweep */
	struct event		*held_kick;
	struct listd_archive	*archive;	/* NULL: no --archive-dir */
	struct listd_http	*http;		/* --http-listen, or NULL */
	struct listd_digest	*digest;
};

time_t	listd_now(const struct listd *);

/* ---- session.c: SMTP in (--listen) and the signer's way back ---- */

int	listd_smtp_start(struct listd *, struct err *);
int	listd_signed_start(struct listd *, struct err *);
void	listd_smtp_stop(struct listd *);
/* SIGHUP: the listeners' limits and TLS files for new connections.  -1
 * with err (and nothing changed) when the TLS files do not load. */
int	listd_smtp_update(struct listd *, const struct listd_settings *,
	    struct err *);

/* ---- commit.c: group commit of posts (one flush for many 250s) ---- */

/* A session waiting for the flush that puts its post on disk. */
struct listd_commit_wait {
	/* ok: on disk; false: the flush failed (answer 451). */
	void		(*done)(void *arg, bool ok);
	void		 *arg;
};

/* The flushing thread, after store_open. */
int	listd_commit_start(struct listd *, struct err *);
void	listd_commit_stop(struct listd *);
/* After a post's store_msg_add_nosync returned: w->done is called from
 * the loop once a flush that started after that return has returned.
 * -1 (ERR_NOMEM) when w could not be queued. */
int	listd_commit_wait(struct listd *, struct listd_commit_wait *w,
	    struct err *);
/* w's session is gone: w->done is not called (a no-op for a w that
 * waits for nothing). */
void	listd_commit_cancel(struct listd *, struct listd_commit_wait *w);

/* ---- http.c: the one-click unsubscribe endpoint (RFC 8058) ---- */

/* Binds --http-listen (before the privilege drop); 0 without it. */
int	listd_http_start(struct listd *, struct err *);
/* SIGHUP: the TLS files again, for new connections.  -1 with err (and
 * nothing changed) when they do not load. */
int	listd_http_update(struct listd *, const struct listd_settings *,
	    struct err *);
void	listd_http_stop(struct listd *);

/* ---- verify.c: SPF, DKIM, ARC, DMARC; the Authentication-Results ---- */

/* What the checks of one message found. */
struct listd_verdict {
	struct dmarc_outcome	 dmarc;		/* strings live with the
						 * listd_verify */
	/* The author's domain publishes p= (or sp= for a subdomain)
	 * quarantine or reject, or its policy could not be read: the
	 * From field must be rewritten for the list's copy to pass. */
	bool			 from_strict;
	const char		*authres;	/* the whole field, CRLF */
	size_t			 authres_len;
	const char		*summary;	/* for the log */
};

struct listd_verify;

/* Called once, from the loop. */
typedef void	listd_verify_done(void *arg, const struct listd_verdict *);

/*
 * Verifies the message whose header section is hdrs and body body (both
 * borrowed until done is called or the verification freed), from the
 * client at ip (text) that said helo and MAIL FROM mail_from ("" for
 * <>).  NULL with err (ERR_NOMEM); done is then not called.
 */
struct listd_verify *listd_verify_start(struct listd *, uint64_t id,
		    const char *ip, const char *helo, const char *mail_from,
		    const struct mail_hdrs *hdrs, const char *body,
		    size_t body_len, listd_verify_done *done, void *arg,
		    struct err *);
/* Abandons it (done is not called); NULL does nothing. */
void		 listd_verify_free(struct listd_verify *);

/* ---- post.c: the post as it leaves (pure) ---- */

struct listd_post {
	const char	*list;		/* "dev" */
	const char	*domain;	/* "example.org" */
	const char	*subject_prefix;	/* "" or NULL: none */
	const char	*authserv_id;	/* A-R claiming it are removed */
	const char	*authres;	/* our A-R field (CRLF), or NULL */
	size_t		 authres_len;
	bool		 rewrite_from;	/* author's domain is strict */
	const char	*archive_url;	/* --archive-url, or NULL */
	bool		 one_click_unsub;	/* no List-Unsubscribe: each
						 * copy gets its own */
};

/*
 * Appends the header section of the list's copy to out (fields, each
 * CRLF-terminated, without the empty line): our Authentication-Results
 * first, then the original fields without those the list replaces
 * (Authentication-Results claiming authserv_id, List-*, Sender,
 * Precedence, Return-Path, X-Timbre-Queue-Id, and From and Reply-To when
 * From is rewritten), the Subject with the prefix, then List-Id,
 * List-Post, List-Help, List-Subscribe, List-Unsubscribe (unless
 * one_click_unsub), Sender and Precedence: list; with rewrite_from, From becomes
 * "Author via LIST" <LIST@DOMAIN> and Reply-To the author (unless the
 * message had a Reply-To, which is kept).  With archive_url, RFC 5064's
 * List-Archive <URL/LIST/> and, for a message with a Message-ID,
 * Archived-At <URL/LIST/ID/> (replacing any the message had), ID being
 * the Message-ID without its angle brackets, percent-encoded as
 * public-inbox-httpd's URLs are.  -1 with err (ERR_NOMEM,
 * ERR_LIMIT from out, MAIL_E_ADDR for a From without one mailbox when
 * it must be rewritten).
 */
int	listd_post_headers(const struct listd_post *, const struct mail_hdrs *,
	    struct buf *out, struct err *);
/* Does hdrs carry our List-Id (<LIST.DOMAIN>), i.e. is this a loop? */
bool	listd_post_is_loop(const struct mail_hdrs *, const char *list,
	    const char *domain);
/* The address (local@domain) of the one mailbox of From into out;
 * -1 when there is not exactly one with a domain. */
int	listd_post_author(const struct mail_hdrs *, char *out, size_t n);
/* The Message-ID value (trimmed, at most n - 1 bytes) into out; -1 if
 * none. */
int	listd_post_message_id(const struct mail_hdrs *, char *out, size_t n);
/*
 * Splits msg[0..len) into its header section and body: *hdr_len is the
 * length of the fields (with their CRLFs, without the empty line), and
 * *body_off where the body starts (len if there is none).
 */
void	listd_post_split(const char *msg, size_t len, size_t *hdr_len,
	    size_t *body_off);
/*
 * The signed copy as it comes back: finds the one X-Timbre-Queue-Id
 * field (its id in *id_out) and appends the message without it to out.
 * -1 with ERR_SYNTAX when there is none, or several, or its value is not
 * a number; MAIL_E_* when the header section does not parse.
 */
int	listd_post_unwrap(const char *msg, size_t len, int64_t *id_out,
	    struct buf *out, struct err *);

/* ---- queue.c: to the signer and back ---- */

int	listd_queue_start(struct listd *, struct err *);
void	listd_queue_stop(struct listd *);
/* A message was stored: hand it to the signer now. */
void	listd_queue_kick(struct listd *);
/* The delivery engine, if it is linked in: new rows / a bounce. */
void	listd_out_kick(struct listd *);
int	listd_out_bounce(struct listd *, const char *list, const char *verp,
	    const char *msg, size_t len, struct err *);
/* Starts the delivery engine if it is linked in (0 if it is not). */
int	listd_out_start(struct listd *, struct err *);
void	listd_out_stop(struct listd *);

/* ---- admin.c: commands by mail ---- */

/* How long a confirmation token lives, and the replies an address may
 * be sent per hour (counted in the database). */
#define LISTD_TOKEN_LIFETIME	(7 * 24 * 3600)
#define LISTD_REPLIES_PER_HOUR	5

/* What the session answers to DATA. */
struct listd_admin_answer {
	int	 code;
	char	 enh[8];
	char	 text[400];
};

/*
 * Does what the message (header section hdrs, body body) to the admin
 * address route asks, vd being its verification (NULL for
 * LIST-confirm+TOKEN, which needs none: the token is the proof), and
 * says what to answer.  The author counts as the From address only if
 * DMARC passed for it; replies go to that address, queued for the
 * signer (store_reply_add), and never to the envelope sender.
 */
void	listd_admin_command(struct listd *, uint64_t id,
	    const struct store_route *, const struct mail_hdrs *hdrs,
	    const char *body, size_t body_len, const struct listd_verdict *vd,
	    struct listd_admin_answer *out);
/* Whether suffix (after "LIST-") is confirm+TOKEN: TOKEN into route. */
bool	listd_admin_is_confirm(const char *suffix, struct store_route *);

/* A token: LISTD_TOKEN_LEN hex digits of key_random. */
#define LISTD_TOKEN_LEN	32
int	listd_admin_token(char out[LISTD_TOKEN_LEN + 1], struct err *);
/* Does DMARC vouch for author (From is author, DMARC passed for its
 * domain)?  vd NULL: no. */
bool	listd_admin_verified(const char *author,
	    const struct listd_verdict *vd);
/*
 * Queues a plain-text mail (body: CRLF lines) from LIST-owner to the n
 * rcpts, through the signer (store_reply_add); extra: more header
 * fields (CRLF-terminated, "" for none); attach (NULL: none) a part of
 * attach_type.  limit: counts toward rcpts[0]'s replies an hour.  -1
 * when not queued (logged, with id).
 */
int	listd_admin_mail(struct listd *, uint64_t id, const char *list,
	    const char *const *rcpts, size_t n, bool limit,
	    const char *subject, const char *extra, const char *body,
	    const char *attach_type, const char *attach, size_t attach_len);

/* ---- held.c: posts held for the moderators ---- */

/* The moderators of a list, read at once (store_members_each). */
struct listd_mods {
	char	**v;
	size_t	  n;
};
/* Reads them into ms (empty on error); listd_mods_free frees them. */
int	listd_mods_read(struct listd *, const char *list, struct listd_mods *,
	    struct err *);
void	listd_mods_free(struct listd_mods *);

/* What a held post needs besides its list copy. */
struct listd_hold {
	const char		*list;
	const char		*mail_from;
	const char		*message_id;	/* NULL: none */
	const char		*author;	/* "" if none usable */
	bool			 verified;
	const char		*why;
	const struct mail_hdrs	*hdrs;		/* the post's, as received */
};

/*
 * Holds the list copy body (len bytes): stores it with one token per
 * moderator and action (store_held_add), then sends each moderator a
 * notice with that moderator's accept, reject and discard addresses.
 * *hid_out: the held post's ID.  -1 with err (STORE_E_FULL: too many
 * held).
 */
int	listd_held_hold(struct listd *, uint64_t id, const struct listd_hold *,
	    const void *body, size_t len, int64_t *hid_out, struct err *);
/*
 * If token (to LIST-confirm+TOKEN of list) is a moderator's, does its
 * decision and fills out: 1.  0 if it is not a held post's token, -1 on
 * a database error (logged).
 */
int	listd_held_confirm(struct listd *, uint64_t id, const char *list,
	    const char *token, struct listd_admin_answer *out);
/* The timer that expires held posts (--held-expiry) and sends the
 * notes of decisions, and a nudge to run it now. */
int	listd_held_start(struct listd *, struct err *);
void	listd_held_kick(struct listd *);
void	listd_held_stop(struct listd *);

/* ---- archive.c: posts into the lists' archives (--archive-dir) ---- */

struct listd_archive;

/* Starts taking the archive queue (at once: what a previous run left);
 * 0 and nothing started without --archive-dir. */
int	listd_archive_start(struct listd *, struct err *);
/* A post was fanned out: its row is in the archive queue. */
void	listd_archive_kick(struct listd *);
void	listd_archive_stop(struct listd *);

/* ---- digest.c: the digests of members in digest mode ---- */

/* Starts the timer that sends the digests due (--digest-size,
 * --digest-interval), and at once what a previous run left. */
int	listd_digest_start(struct listd *, struct err *);
void	listd_digest_stop(struct listd *);

#endif
