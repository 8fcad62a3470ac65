/*
 * store.h: the durable state of timbre-listd in one sqlite3 database:
 * lists and their settings, moderators, subscribers, pending requests,
 * the message queue with its per-recipient deliveries, and bounces.
 * timbre list (timbre(1)) edits it; listd reads it, and writes the queue.
 *
 * The schema is versioned (PRAGMA user_version, STORE_SCHEMA_VERSION):
 * store_open() brings an older database up to date one migration at a
 * time, each in a transaction of its own, and refuses a database newer
 * than this program rather than guess at it.  Every connection uses WAL
 * (readers never block the writer, so listd reads while timbre list
 * writes), synchronous=FULL (a commit is on disk when it returns; the
 * few writes that say otherwise below are flushed by other means, or
 * harmless to lose), foreign keys, and a busy timeout, after
 * which a locked database is STORE_E_BUSY.  Every change runs in one
 * BEGIN IMMEDIATE transaction: all or nothing.
 *
 * Names.  A list is LIST@DOMAIN.  LIST is letters, digits, '-', '_' and
 * '.', a letter or digit first and last, no two dots in a row, at
 * most STORE_NAME_MAX bytes, kept in lower case; it may not end in
 * one of the admin suffixes below (the list "dev-owner" would hide the
 * owner address of "dev").  Names with '-' are reachable: the longest
 * list name that, followed by '-' or by the end, begins a local part is
 * the one it addresses (store_list_match), unlike lipap, which matched
 * only up to the first '-'.
 *
 * Addresses are ASCII addr-specs, local@domain: a dot-atom local part of
 * at most 64 bytes (no quoted strings, no SMTPUTF8), a domain of
 * letter-digit-hyphen labels (no address literals), 254 bytes in all.
 * The domain is lower-cased and loses a final dot; the local part is
 * kept as given, but compared without regard to ASCII case.  RFC 5321
 * section 2.4 lets a host tell "Bob" from "bob"; no real mailbox
 * provider does, and a list that did would keep Bob@ subscribed when
 * bob@ asks to leave, so membership ignores case, as Mailman's does.
 *
 * Admin addresses of LIST: LIST-subscribe, -unsubscribe, -subscribers,
 * -owner, -help, and LIST-bounces+VERP, the return path of deliveries.
 *
 * Times are UNIX seconds, given by the caller (the store reads no clock).
 */
#ifndef TIMBRE_STORE_STORE_H
#define TIMBRE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;

enum store_error {
	STORE_E_DB = 1600,	/* sqlite3 failed; msg says how */
	STORE_E_BUSY,		/* still locked by another writer at timeout */
	STORE_E_NODB,		/* no database at that path */
	STORE_E_NOTOURS,	/* the file is not a timbre database */
	STORE_E_VERSION,	/* the schema is newer than this program */
	STORE_E_EXISTS,		/* the list, database or member exists */
	STORE_E_NOLIST,		/* no such list */
	STORE_E_NOMEMBER,	/* no such moderator or subscriber */
	STORE_E_NAME,		/* not a usable list name */
	STORE_E_ADDR,		/* not a usable address */
	STORE_E_DOMAIN,		/* not a usable domain */
	STORE_E_VALUE,		/* a setting's value is unusable */
};

#define STORE_SCHEMA_VERSION	7
#define STORE_APPLICATION_ID	0x74696d62	/* "timb", PRAGMA application_id */
#define STORE_NAME_MAX		48	/* bytes in a list name */
#define STORE_LOCAL_MAX		64	/* bytes in a local part */
#define STORE_DOMAIN_MAX	253	/* bytes in a domain */
#define STORE_ADDR_MAX		254	/* bytes in an address */
#define STORE_PREFIX_MAX	64	/* bytes in a subject prefix */
#define STORE_BUSY_MS		5000	/* default busy timeout */

/* Who may post to a list. */
enum store_posting {
	STORE_POST_SUBSCRIBERS,	/* subscribers; others are refused */
	STORE_POST_MODERATED,	/* every post waits for a moderator */
	STORE_POST_OPEN,	/* anyone */
};

enum store_sub_state {
	STORE_SUB_ACTIVE,	/* receives the list's mail */
	STORE_SUB_DISABLED,	/* kept, but sent nothing (bounces) */
	STORE_SUB_PROBING,	/* a probe is out to see if it works again */
};

/* How a subscriber gets the list's posts. */
enum store_mode {
	STORE_MODE_SINGLE,	/* each post as it comes */
	STORE_MODE_DIGEST,	/* now and then, gathered in a digest */
};

enum store_role {
	STORE_MODERATOR,
	STORE_SUBSCRIBER,
};

/* What a local part at a list domain is (store_addr_route). */
enum store_route_kind {
	STORE_ROUTE_NONE,		/* not one of ours */
	STORE_ROUTE_POST,		/* LIST */
	STORE_ROUTE_SUBSCRIBE,		/* LIST-subscribe */
	STORE_ROUTE_UNSUBSCRIBE,	/* LIST-unsubscribe */
	STORE_ROUTE_SUBSCRIBERS,	/* LIST-subscribers */
	STORE_ROUTE_OWNER,		/* LIST-owner */
	STORE_ROUTE_HELP,		/* LIST-help */
	STORE_ROUTE_BOUNCES,		/* LIST-bounces or LIST-bounces+VERP */
	/* LIST-confirm+TOKEN: never returned by store_addr_route; listd
	 * recognises it (after store_list_match) and keeps TOKEN in verp. */
	STORE_ROUTE_CONFIRM,
	STORE_ROUTE_DIGEST,		/* LIST-digest */
};

struct store_route {
	enum store_route_kind	kind;
	char			list[STORE_NAME_MAX + 1];	/* lower case */
	/* For STORE_ROUTE_BOUNCES: what follows "bounces+", as given
	 * ("" if nothing); listd decodes it. */
	char			verp[STORE_ADDR_MAX + 1];
};

struct store;

/* store_open flags. */
#define STORE_CREATE	0x01	/* make a new database; an existing file
				 * is STORE_E_EXISTS */

/*
 * Opens the database at path, creating it (mode 0640, whatever the
 * umask) with STORE_CREATE, and brings its schema to
 * STORE_SCHEMA_VERSION.  Errors: STORE_E_NODB (no file, without
 * STORE_CREATE), STORE_E_EXISTS (a file, with it), STORE_E_NOTOURS (an
 * sqlite database with tables but not ours, or not a database at all),
 * STORE_E_VERSION (newer than this program), STORE_E_BUSY, STORE_E_DB,
 * ERR_NOMEM.  A migration that fails leaves the database as it was.
 */
struct store	*store_open(const char *path, unsigned flags, struct err *);
void		 store_close(struct store *);
/* How long a change waits for another writer's lock (default
 * STORE_BUSY_MS); 0: not at all. */
void		 store_set_busy_timeout(struct store *, int ms);
/* The schema version of the open database (STORE_SCHEMA_VERSION once
 * opened). */
int		 store_schema_version(struct store *, struct err *);
/*
 * Whether another connection (timbre list, another process) committed a
 * change since the last call, or since store_open: 1 yes, 0 no, -1 on
 * error.  PRAGMA data_version: listd polls it to reload its lists
 * without a signal.  The connection's own changes do not count.
 */
int		 store_changed(struct store *, struct err *);
/*
 * The path of the database's write-ahead log, the file every commit
 * goes to first (the database is always in WAL mode): flushing it
 * (fdatasync, from any thread, through a descriptor of one's own) puts
 * every transaction committed before the flush on disk.  Valid while
 * the store is open.
 */
const char	*store_wal_path(struct store *);

/*
 * Names.  Each writes the normal form into out (of the size named) and
 * returns 0, or -1 with STORE_E_NAME, STORE_E_DOMAIN or STORE_E_ADDR and
 * the reason.
 */
int	store_name_normalize(const char *, char out[STORE_NAME_MAX + 1],
	    struct err *);
int	store_domain_normalize(const char *, char out[STORE_DOMAIN_MAX + 1],
	    struct err *);
int	store_addr_normalize(const char *, char out[STORE_ADDR_MAX + 1],
	    struct err *);
const char	*store_posting_name(enum store_posting);
/* Parses "subscribers", "moderated" or "open"; -1 if none of them. */
int		 store_posting_parse(const char *, enum store_posting *out);
const char	*store_sub_state_name(enum store_sub_state);

/*
 * Lists.  domain, name and addresses are normalised as above; errors
 * name the list (LIST@DOMAIN) or the address.  Each returns 0 or -1.
 */

/* Adds the list with posting "subscribers", no subject prefix, and the n
 * moderators (none is fine), all or nothing.  STORE_E_EXISTS if it is
 * there; a moderator given twice is there once. */
int	store_list_add(struct store *, const char *domain, const char *name,
	    const char *const *moderators, size_t n, time_t now,
	    struct err *);
/* Removes the list with its members, pending requests, queued messages
 * and bounces.  STORE_E_NOLIST. */
int	store_list_remove(struct store *, const char *domain,
	    const char *name, struct err *);

/* Changes of settings: a NULL field is left as it is. */
struct store_settings {
	const enum store_posting	*posting;
	const char			*subject_prefix;	/* "" for none */
};
/* STORE_E_NOLIST; STORE_E_VALUE for a prefix longer than
 * STORE_PREFIX_MAX or with control characters. */
int	store_list_set(struct store *, const char *domain, const char *name,
	    const struct store_settings *, struct err *);

/* Adds addr as a moderator or subscriber (active, no bounces) of the
 * list.  STORE_E_NOLIST, STORE_E_ADDR, STORE_E_EXISTS (already there,
 * in any case). */
int	store_member_add(struct store *, enum store_role, const char *domain,
	    const char *name, const char *addr, time_t now, struct err *);
/* Removes it.  STORE_E_NOLIST, STORE_E_ADDR, STORE_E_NOMEMBER. */
int	store_member_remove(struct store *, enum store_role,
	    const char *domain, const char *name, const char *addr,
	    struct err *);
/* Sets how subscriber addr gets the list's posts; *changed_out: it
 * was not so already.  STORE_E_NOLIST, STORE_E_ADDR, STORE_E_NOMEMBER. */
int	store_member_set_mode(struct store *, const char *domain,
	    const char *name, const char *addr, enum store_mode,
	    bool *changed_out, struct err *);
const char	*store_mode_name(enum store_mode);
/* Parses "single" or "digest"; -1 if neither. */
int		 store_mode_parse(const char *, enum store_mode *);

/* 1 if addr is a moderator or subscriber (any state) of the list, 0
 * if not, -1 on error (STORE_E_NOLIST, STORE_E_ADDR, ...). */
int	store_member_is(struct store *, enum store_role, const char *domain,
	    const char *name, const char *addr, struct err *);

/*
 * Reading.  Each calls fn for every item, in a stable order, from one
 * read transaction (a consistent view), which fn may read more in: a
 * store_members_each called from the fn of store_lists_each sees the
 * same state.  fn's arguments live until it returns; fn returns 0 to go
 * on, or -1 to stop, which the call returns (with err as fn left it).
 * Lists come by domain, then name; members by address, without case.
 */
struct store_list_info {
	const char		*domain;
	const char		*name;
	enum store_posting	 posting;
	const char		*subject_prefix;	/* "" for none */
	time_t			 created;
	long			 moderators;
	long			 subscribers;
	long			 bounces;	/* charged to subscribers */
};
struct store_member_info {
	const char		*address;
	time_t			 added;
	/* Subscribers only (moderators: active, 0, 0, 0). */
	enum store_sub_state	 state;
	long			 bounce_score;
	time_t			 last_bounce;	/* 0: never */
	long			 bounces;	/* charged to them */
	enum store_mode		 mode;		/* moderators: single */
};
/* The lists of domain (all if NULL), or the one named name (domain
 * then required; STORE_E_NOLIST if it is not there). */
int	store_lists_each(struct store *, const char *domain, const char *name,
	    int (*fn)(const struct store_list_info *, void *), void *arg,
	    struct err *);
/* The moderators or subscribers of a list.  STORE_E_NOLIST. */
int	store_members_each(struct store *, enum store_role,
	    const char *domain, const char *name,
	    int (*fn)(const struct store_member_info *, void *), void *arg,
	    struct err *);

/*
 * Routing (listd): local part of a recipient at domain.
 *
 * store_list_match finds the list with the longest name that is
 * local_part, or a prefix of it followed by '-', without case: 1 with
 * the name in list_out and *suffix_out pointing into local_part after
 * that '-' ("" for the list itself), 0 if there is none, -1 on error.
 * "dev-team-subscribe" is list "dev-team", suffix "subscribe", when
 * both "dev" and "dev-team" exist.
 *
 * store_addr_route says what the address is: a list, one of its admin
 * addresses, or none of ours (STORE_ROUTE_NONE: no list, or a suffix
 * that means nothing).  Suffixes are matched without case; a VERP tail
 * is kept as given.  Returns 0 or -1.
 */
int	store_list_match(struct store *, const char *domain,
	    const char *local_part, char list_out[STORE_NAME_MAX + 1],
	    const char **suffix_out, struct err *);
int	store_addr_route(struct store *, const char *domain,
	    const char *local_part, struct store_route *out, struct err *);

/*
 * ---- The inbound queue (timbre-listd's receiving side; queue.c) ----
 *
 * A post is one row of messages, moving received -> signing (handed to
 * timbre-signd at least once) -> fanout (the signed copy is back and
 * one deliveries row per active subscriber is queued) -> done (the
 * delivery engine's), or to held (waiting for a moderator).  The body
 * is kept in the row (a blob).  Each call is one transaction: a 250 to
 * the client of listd follows the commit of store_msg_add.
 */
enum store_queue_error {
	STORE_E_NOMSG = 1650,	/* no such message */
};

enum store_msg_state {
	STORE_MSG_RECEIVED,	/* stored, not yet handed to the signer */
	STORE_MSG_HELD,		/* waits for a moderator */
	STORE_MSG_SIGNING,	/* handed to the signer, copy not back */
	STORE_MSG_SIGNED,	/* (unused by listd: signed, no rows yet) */
	STORE_MSG_FANOUT,	/* deliveries rows queued */
	STORE_MSG_DONE,		/* no delivery row queued any more */
};

/* "received", "held", ... as in the database. */
const char	*store_msg_state_name(enum store_msg_state);

/*
 * Stores a message for list name@domain in state (received or held),
 * with its envelope sender ("" for <>), Message-ID (NULL: none) and
 * body (len bytes, copied), created and due at now; *id_out is its id.
 * STORE_E_NOLIST, STORE_E_VALUE (another state), STORE_E_BUSY,
 * STORE_E_DB, ERR_NOMEM.  When it returns 0 the row is on disk.
 */
int	store_msg_add(struct store *, const char *domain, const char *name,
	    enum store_msg_state, const char *mail_from,
	    const char *message_id, const void *body, size_t len, time_t now,
	    int64_t *id_out, struct err *);
/*
 * store_msg_add committed without waiting for the disk
 * (synchronous=NORMAL): when it returns 0 the row is in the database for
 * every connection and survives the death of the process, but not yet
 * a power failure or an OS crash.  It is on disk once the write-ahead
 * log (store_wal_path) has been flushed (fdatasync) after the return:
 * timbre-listd's group commit, one flush for the messages that ended
 * DATA together, before any of their 250s.
 */
int	store_msg_add_nosync(struct store *, const char *domain,
	    const char *name, enum store_msg_state, const char *mail_from,
	    const char *message_id, const void *body, size_t len, time_t now,
	    int64_t *id_out, struct err *);
/*
 * Moves message id to state, due again at next_attempt; attempted adds
 * one to its attempts; last_error (NULL: cleared) says why it waits.
 * Only a message not yet handed to the delivery engine (not in fanout
 * or done) is changed: STORE_E_NOMSG for one that is, or is not there.
 * Written without waiting for the disk (store_begin_write_relaxed): a
 * change lost to a power failure sends the message to the signer again.
 */
int	store_msg_state(struct store *, int64_t id, enum store_msg_state,
	    time_t next_attempt, bool attempted, const char *last_error,
	    struct err *);
/*
 * The signed copy of message id came back: in one transaction, replaces
 * its body with body (len bytes), inserts one deliveries row (queued,
 * next_attempt now) per active subscriber of its list in single mode,
 * and sets it to fanout (done if there is nobody to deliver to); with
 * archive, a post (a message that had no deliveries rows of its own,
 * unlike a reply of store_reply_add) also gets its row in the archive
 * queue (store_archive_* below); a post to a list with an active
 * member in digest mode gets its row in the digest queue
 * (store_digest_* below).  *nrcpt_out: the rows made.  Returns 0; 1 if the message was
 * not waiting for its signed copy (already fanned out: a duplicate,
 * nothing changed); -1 with STORE_E_NOMSG (no such message, or it is
 * held) or the database's errors.
 */
int	store_msg_signed(struct store *, int64_t id, const void *body,
	    size_t len, time_t now, bool archive, size_t *nrcpt_out,
	    struct err *);

struct store_msg_info {
	int64_t			 id;
	const char		*domain;
	const char		*list;
	enum store_msg_state	 state;
	const char		*mail_from;
	time_t			 created;
	time_t			 next_attempt;
	long			 attempts;
	size_t			 size;
};
/*
 * Calls fn for every message in state received or signing due by
 * due_by (next_attempt <= due_by), oldest due first, from one read
 * transaction, as store_lists_each does.
 */
int	store_msg_each_unsigned(struct store *, time_t due_by,
	    int (*fn)(const struct store_msg_info *, void *), void *arg,
	    struct err *);
/* A malloc'ed copy of the body of message id (*len_out bytes; free()
 * it).  STORE_E_NOMSG. */
int	store_msg_body(struct store *, int64_t id, char **body_out,
	    size_t *len_out, struct err *);

/*
 * ---- The archive queue (timbre-listd's archive.c; src/store/archive.c) ----
 *
 * Posts fanned out while listd keeps an archive wait here, oldest first
 * (by when their row was made), until they are committed to their
 * list's archive.  A row is taken only once it is due; the oldest row
 * being not due holds back the rest, so that the archive keeps the
 * order of the queue.
 */
struct store_archive_item {
	int64_t		 message;
	char		 domain[STORE_DOMAIN_MAX + 1];
	char		 list[STORE_NAME_MAX + 1];
	long		 attempts;
	time_t		 next_attempt;
	char		*body;		/* malloc'ed; free() it */
	size_t		 len;
};
/*
 * The oldest row of the archive queue into out: 1, with its body if it
 * is due by now, else with body NULL (nothing is due before
 * out->next_attempt); 0 when the queue is empty.  STORE_E_DB, ERR_NOMEM.
 */
int	store_archive_next(struct store *, time_t now,
	    struct store_archive_item *out, struct err *);
/* The post message is in the archive: its row goes.  0 if it had none. */
int	store_archive_done(struct store *, int64_t message, struct err *);
/* The attempt failed: one more attempt, due again at next_attempt,
 * last_error why. */
int	store_archive_retry(struct store *, int64_t message,
	    time_t next_attempt, const char *last_error, struct err *);
/* Rows waiting (for timbre list archive-status). */
int	store_archive_pending(struct store *, long long *n_out,
	    struct err *);

/* ==================================================================
 * Digests (timbre-listd's digest.c; src/store/digest.c).
 *
 * A post fanned out (store_msg_signed) to a list with an active member
 * in digest mode also gets a row here: a copy of it as signed.  Members
 * in digest mode get no deliveries row of the post itself.  listd reads
 * the rows per list and queues the digest (store_digest_queue), which
 * deletes the rows it holds in the same transaction.
 * ================================================================== */

/* What waits for one list's next digest. */
struct store_digest_info {
	const char	*domain;
	const char	*name;
	long		 posts;
	size_t		 size;		/* bytes of the posts */
	time_t		 oldest;	/* when the first one came */
	long		 issue;		/* the next digest's number */
	long		 readers;	/* active members in digest mode */
};
/* Every list with posts waiting, by domain then name (as
 * store_lists_each calls its fn). */
int	store_digest_each(struct store *,
	    int (*fn)(const struct store_digest_info *, void *), void *arg,
	    struct err *);

struct store_digest_post {
	int64_t		 seq;		/* its place in the queue */
	const void	*body;
	size_t		 len;
	time_t		 created;
};
/* The posts waiting for the digest of name@domain, oldest first; fn
 * returns 0 for the next one, 1 to stop there, -1 to fail (the call
 * then returns -1).  STORE_E_NOLIST. */
int	store_digest_posts(struct store *, const char *domain,
	    const char *name,
	    int (*fn)(const struct store_digest_post *, void *), void *arg,
	    struct err *);

/* One digest, made of the posts up to seq upto. */
struct store_digest_issue {
	long		 issue;		/* store_digest_info's */
	int64_t		 upto;
	const char	*mail_from;	/* "" for <> */
	const char	*message_id;
	const void	*body;
	size_t		 len;
};
/*
 * Queues the digest is of name@domain, in one transaction: the rows up
 * to is->upto go, the list's last issue becomes is->issue, and the
 * message (state received, for the signer, as store_reply_add's) is
 * made with one deliveries row per active member in digest mode
 * (*nrcpt_out; *id_out 0 and no message when there is none, or when
 * is->len is 0: the rows are only dropped).  Returns
 * 0; 1 when issue is not the next one (sent already: nothing changed);
 * -1 with STORE_E_NOLIST or why.
 */
int	store_digest_queue(struct store *, const char *domain,
	    const char *name, const struct store_digest_issue *is,
	    time_t now, int64_t *id_out, size_t *nrcpt_out, struct err *);

/* ==================================================================
 * The delivery side (timbre-listd's fan-out; src/store/deliver.c).
 *
 * The rows are the queue: a delivery is claimed by pushing its
 * next_attempt forward past the end of any attempt (a lease) and
 * marking it claimed until its result is recorded, so a crash leaves
 * it queued, due again when the lease ends or, sooner, when the next
 * daemon releases the claims at its start: at least once, never lost.  A result, the bounce it makes and the end of the
 * message ("done" once no row of it is queued) are one transaction.
 * Claims and results are written without waiting for the disk
 * (store_begin_write_relaxed in store_priv.h): one lost to a power
 * failure sends a copy again, it never loses one.
 * ================================================================== */

/* One claimed delivery, with what the engine needs of its message. */
struct store_delivery {
	int64_t		message;
	char		recipient[STORE_ADDR_MAX + 1];
	char		list_domain[STORE_DOMAIN_MAX + 1];
	char		list_name[STORE_NAME_MAX + 1];
	char		mail_from[STORE_ADDR_MAX + 1];	/* "": null path */
	time_t		created;	/* the message's */
	long		attempts;	/* finished attempts so far */
};

/*
 * Claims up to max due deliveries (queued, next_attempt <= now, of a
 * message in state "fanout"), oldest due first (then in the order the
 * rows were made), and sets their
 * next_attempt to lease_until, in one transaction.  out[0..*n_out).
 */
int	store_deliver_claim(struct store *, time_t now, time_t lease_until,
	    struct store_delivery *out, size_t max, size_t *n_out,
	    struct err *);

/*
 * Makes every claimed delivery unclaimed and due by now (a row due
 * earlier keeps its time), in one transaction; *n_out how many.  For a
 * daemon at its start, before its first claim: the claims are those of
 * an earlier daemon killed mid-attempt, whose copy may or may not have
 * gone (at least once: sent again).  A second engine on the database
 * would lose its claims to it, and send those copies twice.
 */
int	store_deliver_release(struct store *, time_t now, long *n_out,
	    struct err *);

/*
 * A message's bytes: *body_out (malloc'ed, *len_out bytes) from the
 * blob, or, if it is spooled, *spool_out (malloc'ed path) and
 * *body_out NULL.  STORE_E_NOMEMBER if the message is gone.
 */
int	store_message_get(struct store *, int64_t id, char **body_out,
	    size_t *len_out, char **spool_out, struct err *);

/*
 * Queues a message of the list for the n recipients (state "fanout",
 * the body as a blob, one queued delivery each, due at now), in one
 * transaction; *id_out its id.  The DSNs of the engine go this way, and
 * the tests' messages.  STORE_E_NOLIST.
 */
int	store_deliver_enqueue(struct store *, const char *domain,
	    const char *list, const char *mail_from, const char *message_id,
	    const char *body, size_t len, const char *const *rcpts, size_t n,
	    time_t now, int64_t *id_out, struct err *);

enum store_outcome {
	STORE_OUT_SENT,		/* 2xx */
	STORE_OUT_RETRY,	/* 4xx or no connection: at next_attempt */
	STORE_OUT_FAILED,	/* 5xx, or the last retry failed */
};

/* A bounce to record: charged to the subscriber (score += score, and
 * disabled at disable_at or more) or to the author (no score). */
struct store_bounce {
	bool		 hard;		/* else soft */
	bool		 dsn;		/* learnt from a DSN, else SMTP */
	bool		 author;	/* charged to the author */
	const char	*reason;	/* the reply or diagnostic */
	long		 score;
	long		 disable_at;	/* 0: never */
};

/*
 * Records the result of one attempt at (message, recipient): attempts +
 * 1, state, next_attempt (RETRY), last_reply; with b, a bounce row and
 * the subscriber's score; and the message "done" if no row is left
 * queued (*done_out).  *disabled_out: b disabled the subscriber.  All
 * one transaction.  STORE_E_NOMEMBER if the row is gone.
 */
int	store_deliver_record(struct store *, int64_t message,
	    const char *recipient, enum store_outcome, time_t next_attempt,
	    const char *reply, const struct store_bounce *b, time_t now,
	    bool *done_out, bool *disabled_out, struct err *);

/*
 * A bounce learnt later (a DSN to LIST-bounces+VERP): a bounce row for
 * recipient of list, for the message whose Message-ID is message_id if
 * it is one of the list's (NULL or unknown: none), and the
 * subscriber's score as above.  *message_out: that message, or 0.
 * STORE_E_NOLIST.
 */
int	store_bounce_add(struct store *, const char *domain, const char *list,
	    const char *recipient, const char *message_id,
	    const struct store_bounce *b, time_t now, int64_t *message_out,
	    bool *disabled_out, struct err *);

/* The earliest next_attempt of a queued delivery of a "fanout"
 * message, in *next_out; 0 when none is queued. */
int	store_deliver_next_due(struct store *, time_t *next_out,
	    struct err *);

/* Counts of deliveries of a message by state (for tests and logs). */
int	store_deliver_counts(struct store *, int64_t message, long *queued,
	    long *sent, long *failed, struct err *);

/*
 * Probing a disabled subscriber (timbre-listd's probe.c).  A subscriber
 * disabled by bounces is sent one probe; while it is out its state is
 * "probing" and last_bounce is the time it was sent (later bounces of
 * older copies leave that time alone).  A probe that bounces removes
 * the subscriber; one that does not within the wait re-enables it with
 * a score of 0.
 */
struct store_probe {
	char		 domain[STORE_DOMAIN_MAX + 1];
	char		 name[STORE_NAME_MAX + 1];
	char		 address[STORE_ADDR_MAX + 1];
	time_t		 since;		/* disabled, or the probe sent */
};

/* Up to max subscribers disabled at or before `before`, oldest first. */
int	store_probe_due(struct store *, time_t before, struct store_probe *,
	    size_t max, size_t *n_out, struct err *);
/* p (from store_probe_due) disabled -> probing since now: 1 done; 0 if
 * it changed meanwhile (re-enabled, removed). */
int	store_probe_start(struct store *, const struct store_probe *p,
	    time_t now, struct err *);
/* Up to max subscribers probing since at or before `before` made active
 * again with a score of 0, one transaction; out: who (since: the probe). */
int	store_probe_expire(struct store *, time_t before, struct store_probe *,
	    size_t max, size_t *n_out, struct err *);
/* The time the probe now out to address was sent, in *since: 1; 0 if
 * the subscriber is not probing. */
int	store_probe_get(struct store *, const char *domain, const char *name,
	    const char *address, time_t *since, struct err *);
/* The probe sent at since bounced: the subscriber is removed if still
 * probing since then.  1 removed, 0 not. */
int	store_probe_bounced(struct store *, const char *domain,
	    const char *name, const char *address, time_t since,
	    struct err *);

/* ==================================================================
 * Administration by mail (timbre-listd's admin.c; src/store/admin.c).
 *
 * A request that must be confirmed by the requester is one pending row:
 * (list, address, action) with a token, unique in the database, and its
 * expiry.  A new request for the same (list, address, action) adds a
 * row and leaves the earlier ones valid: anyone can send a request in
 * someone's name, and it must not cancel the token the mailbox got for
 * a genuine one (every token of the address went to that same mailbox,
 * so any of them proves it).  The rows are bounded instead: at most
 * STORE_PENDING_PER_ADDR per (list, address, action) and
 * STORE_PENDING_PER_LIST per list, counting only those not expired;
 * expired ones are kept STORE_PENDING_KEEP more (their token is then
 * refused as expired, not unknown) and deleted on the way after that,
 * so that the rows of a list stay bounded.  Taking a token is one
 * transaction: the row is deleted and the action done together, so a
 * token works once.
 * ================================================================== */

enum store_admin_error {
	STORE_E_NOTOKEN = 1670,	/* no such token (never issued, or used) */
	STORE_E_EXPIRED,	/* it was issued, and it expired (now gone) */
	STORE_E_OTHERLIST,	/* it is another list's */
	STORE_E_FULL,		/* a bound on pending or held rows is met */
	STORE_E_DECIDED,	/* the held post was decided already */
};

#define STORE_PENDING_PER_ADDR	3
#define STORE_PENDING_PER_LIST	10000
#define STORE_PENDING_KEEP	(7 * 86400)

enum store_pending_action {
	STORE_PENDING_SUBSCRIBE,
	STORE_PENDING_UNSUBSCRIBE,
	STORE_PENDING_DIGEST,	/* the subscriber's delivery to digest */
	STORE_PENDING_SINGLE,	/* and back to single posts */
};

/*
 * Records the request of addr to subscribe or unsubscribe from
 * name@domain, with token (NUL-terminated text, made by the caller),
 * valid until expires; earlier requests stay valid.  STORE_E_NOLIST,
 * STORE_E_ADDR, STORE_E_FULL (the bounds above: nothing recorded).
 */
int	store_pending_add(struct store *, const char *domain, const char *name,
	    const char *addr, enum store_pending_action, const char *token,
	    time_t now, time_t expires, struct err *);
/*
 * Takes token for list name@domain: in one transaction, deletes its
 * pending row and does its action (a subscriber added active, or
 * removed, or its delivery set; changed false for an address that is
 * not a subscriber).  addr_out: the address; *action_out: the action;
 * *changed_out: false when there was nothing to do (already subscribed,
 * or not a subscriber).  STORE_E_NOTOKEN, STORE_E_OTHERLIST (nothing
 * changed), STORE_E_EXPIRED (the row is deleted, nothing else).
 */
int	store_pending_take(struct store *, const char *domain,
	    const char *name, const char *token, time_t now,
	    char addr_out[STORE_ADDR_MAX + 1],
	    enum store_pending_action *action_out, bool *changed_out,
	    struct err *);

/*
 * Queues a message the list itself writes (a reply to a command, a
 * forward to the moderators) for the n recipients: state "received", so
 * that it goes to the signer like a post, with its delivery rows
 * already made (store_msg_signed then fans it out to them, not to the
 * subscribers).  One transaction; *id_out its id.  STORE_E_NOLIST.
 */
int	store_reply_add(struct store *, const char *domain, const char *name,
	    const char *mail_from, const char *message_id, const char *body,
	    size_t len, const char *const *rcpts, size_t n, time_t now,
	    int64_t *id_out, struct err *);

/*
 * The rate limit of replies to commands: may addr be sent one more at
 * now?  Counts it and returns 1 if fewer than max were sent to it in
 * the window (seconds) that began with its first one; 0 if not, or if
 * the table holds STORE_REPLIES_ADDRS addresses already (a flood: no
 * one new is answered until the window passes); -1 on error.  Rows
 * older than the window are deleted on the way.  One transaction.
 */
#define STORE_REPLIES_ADDRS	4096
int	store_reply_allowed(struct store *, const char *addr, time_t now,
	    long window, long max, struct err *);

/*
 * A named secret (say "unsubscribe", the key of listd's unsubscribe
 * links): the value stored under name, or, at the first call for name,
 * fresh (n random bytes the caller drew: the store reads no random
 * source, as it reads no clock), stored and returned.  Two processes
 * racing get the same value: the first commit wins.  The n bytes go to
 * out.  STORE_E_VALUE when the stored value is not n bytes long.  One
 * transaction.
 */
int	store_secret(struct store *, const char *name, const void *fresh,
	    size_t n, time_t now, void *out, struct err *);

/* ==================================================================
 * Held posts (timbre-listd's held.c, timbre list held/accept/reject;
 * src/store/held.c).
 *
 * A post the list's rules hold is a messages row in state held and a
 * held row (its id is the held post's ID, the one timbre list shows),
 * with one token per moderator and action, all made in one transaction
 * (store_held_add).  A decision (store_held_decide by the operator,
 * store_held_take by a moderator's token, store_held_expire when its
 * time is up) is one transaction too, and the first one wins: the
 * tokens go, an accepted post becomes "received" (listd sends it to
 * the signer and fans it out like any post), a rejected, discarded or
 * expired one loses its message row, and the held row stays, decided,
 * until listd has sent the notes that go with the decision
 * (store_held_each_decided, then store_held_forget).
 * ================================================================== */

#define STORE_HELD_PER_LIST	1000	/* waiting at once */

enum store_held_action {
	STORE_HELD_ACCEPT,
	STORE_HELD_REJECT,
	STORE_HELD_DISCARD,
	STORE_HELD_EXPIRE,	/* not a token's: store_held_expire */
};

enum store_held_state {
	STORE_HELD_WAITING,
	STORE_HELD_ACCEPTED,
	STORE_HELD_REJECTED,
	STORE_HELD_DISCARDED,
	STORE_HELD_EXPIRED,
};

/* "accept", ...; "waiting", "accepted", ... as in the database. */
const char	*store_held_action_name(enum store_held_action);
const char	*store_held_state_name(enum store_held_state);
/* Parses "accept", "reject" or "discard"; -1 if none of them. */
int		 store_held_action_parse(const char *,
		    enum store_held_action *);

/* What is known of a post when it is held. */
struct store_held_new {
	const char	*mail_from;	/* envelope sender, "" for <> */
	const char	*message_id;	/* NULL: none */
	const char	*author;	/* From address, "" if none usable */
	bool		 verified;	/* DMARC passed for author */
	const char	*subject;	/* for the notes, "" if none */
	const char	*reason;	/* why it is held */
	time_t		 expires;
};

struct store_held_token {
	const char		*token;		/* NUL-terminated text */
	const char		*moderator;
	enum store_held_action	 action;	/* not STORE_HELD_EXPIRE */
};

/*
 * Holds the list copy body (len bytes) of a post to name@domain: its
 * messages row (state held), its held row and the n tokens, at now, in
 * one transaction; *id_out: the held post's ID.  STORE_E_NOLIST;
 * STORE_E_FULL when STORE_HELD_PER_LIST posts of the list are waiting
 * (nothing stored).
 */
int	store_held_add(struct store *, const char *domain, const char *name,
	    const struct store_held_new *, const void *body, size_t len,
	    const struct store_held_token *tokens, size_t n, time_t now,
	    int64_t *id_out, struct err *);

struct store_held_info {
	int64_t			 id;
	const char		*domain;
	const char		*list;
	const char		*author;	/* "" if none usable */
	bool			 verified;
	const char		*mail_from;
	const char		*subject;
	const char		*reason;
	size_t			 size;
	time_t			 held;
	time_t			 expires;
	enum store_held_state	 state;
	const char		*decided_by;	/* "" while waiting */
	const char		*note;		/* the reject reason, or "" */
};

/*
 * The waiting posts of domain (all if NULL), or of the list name (domain
 * then required; STORE_E_NOLIST), oldest first, as store_lists_each
 * calls its fn.
 */
int	store_held_each(struct store *, const char *domain, const char *name,
	    int (*fn)(const struct store_held_info *, void *), void *arg,
	    struct err *);
/* The decided posts whose notes are not sent yet, oldest first. */
int	store_held_each_decided(struct store *,
	    int (*fn)(const struct store_held_info *, void *), void *arg,
	    struct err *);
/* The moderators' notes of decided post id are sent: its row goes. */
int	store_held_forget(struct store *, int64_t id, struct err *);

/*
 * Decides held post id of name@domain: accept, reject or discard (by:
 * who, for the notes; note: the reason told the author, "" for none).
 * STORE_E_NOLIST; STORE_E_NOMSG (no such held post of the list);
 * STORE_E_DECIDED (decided already: err says how and by whom).
 */
int	store_held_decide(struct store *, const char *domain,
	    const char *name, int64_t id, enum store_held_action,
	    const char *by, const char *note, time_t now, struct err *);
/*
 * Takes a moderator's token for name@domain: decides its post with its
 * action, by its moderator; *id_out, *action_out and moderator_out say
 * which.  STORE_E_NOTOKEN (not a held post's token: never issued, used,
 * or its post decided), STORE_E_OTHERLIST (nothing changed), and
 * STORE_E_EXPIRED (the post's time is up: it expires now).
 */
int	store_held_take(struct store *, const char *domain, const char *name,
	    const char *token, time_t now, int64_t *id_out,
	    enum store_held_action *action_out,
	    char moderator_out[STORE_ADDR_MAX + 1], struct err *);
/* Expires every post still waiting at now (expires <= now); *n_out how
 * many.  Deletes the pending requests expired STORE_PENDING_KEEP ago. */
int	store_held_expire(struct store *, time_t now, size_t *n_out,
	    struct err *);

#endif
