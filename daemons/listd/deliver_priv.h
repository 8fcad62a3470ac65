/*
 * deliver_priv.h: what the files of timbre-listd's delivery engine
 * share (deliver.c: the queue and the connections; mx.c: where a
 * domain's mail goes; bounce.c: bounces and the DSN to the owners;
 * verp.c: the return paths), and the pure parts the unit suite tests:
 * the retry schedule, VERP, the classification of a failure.
 */
#ifndef TIMBRE_LISTD_DELIVER_PRIV_H
#define TIMBRE_LISTD_DELIVER_PRIV_H

#include <stdbool.h>
#include <sys/queue.h>

#include "deliver.h"
#include "mail/mtasts.h"
#include "store/store.h"
#include "unsub.h"

struct dns_stub;
struct dns_tlsa;
struct smtp_send;
struct event;

/* Longest a claim holds a row: longer than any attempt (an attempt
 * that lasts LISTD_ATTEMPT_MAX is cancelled and retried). */
#define LISTD_LEASE		(15 * 60)
#define LISTD_ATTEMPT_MAX	(14 * 60)
/* Seconds between looks at the queue when nothing says to look. */
#define LISTD_POLL		30
/* How long a domain's addresses are kept. */
#define LISTD_MX_TTL		300
/* MX hosts tried per domain, and addresses kept in all. */
#define LISTD_MX_HOSTS		5
#define LISTD_MX_ADDRS		16
/* Recipients in one transaction at most (RFC 5321 section 4.5.3.1.8:
 * every server takes 100). */
#define LISTD_RCPT_MAX		100
/* Transactions one connection carries at most, one after the other. */
#define LISTD_REUSE_MAX		100
/* Rows claimed at once at most. */
#define LISTD_CLAIM_MAX		256
/* Points a bounce adds to a subscriber's score. */
#define LISTD_SCORE_HARD	2
#define LISTD_SCORE_SOFT	1

/* The retry schedule of cfg (or the defaults for fields left 0). */
void	listd_deliver_cfg_fill(struct listd_deliver_cfg *);
/*
 * When the next attempt is due after the attempts-th attempt failed
 * (attempts >= 1) for a message first tried at first: the next point of
 * the schedule after now (retry[], then every retry_every), or 0 when
 * that is past first + give_up: give up now.
 */
time_t	listd_retry_next(const struct listd_deliver_cfg *, time_t first,
	    long attempts, time_t now);

/*
 * VERP (verp.c).  The return path of a copy to rcpt (local@domain) of
 * LIST@listdomain is LIST-bounces+local=domain@listdomain; decoding
 * splits at the last '=' (a domain has none, a local part may).  Both
 * false when it does not fit or does not parse.
 */
bool	listd_verp_encode(const char *list, const char *listdomain,
	    const char *rcpt, char *out, size_t cap);
bool	listd_verp_decode(const char *verp, char *out, size_t cap);

/*
 * Probes (probe.c): the return path of a probe to rcpt is
 * LIST-bounces+probe-TOKEN+local=domain@listdomain, TOKEN
 * LISTD_PROBE_TOKEN_LEN lower-case hex digits.  probe_decode takes what
 * follows "bounces+" and gives TOKEN and the address; probe_of says
 * whether path is rcpt's probe path of LIST@listdomain, and its TOKEN.
 */
#define LISTD_PROBE_SECRET	"probe"		/* store_secret's name */
#define LISTD_PROBE_KEY_LEN	32
#define LISTD_PROBE_TOKEN_LEN	16
bool	listd_verp_probe_encode(const char *list, const char *listdomain,
	    const char *rcpt, const char *token, char *out, size_t cap);
bool	listd_verp_probe_decode(const char *verp,
	    char token[LISTD_PROBE_TOKEN_LEN + 1], char *rcpt, size_t cap);
bool	listd_verp_probe_of(const char *list, const char *listdomain,
	    const char *rcpt, const char *path,
	    char token[LISTD_PROBE_TOKEN_LEN + 1]);

/* What an SMTP reply or DSN recipient means for the bounce count. */
enum listd_charge {
	LISTD_CHARGE_NONE,	/* not a failure (delayed, delivered) */
	LISTD_CHARGE_SUBSCRIBER,
	LISTD_CHARGE_AUTHOR,	/* DMARC, SPF, spam policy: the author's */
};
enum listd_charge listd_bounce_classify(int code, const char *enhanced,
	    const char *text);

/* Headers the inbound side adds for itself: never sent out. */
bool	listd_header_is_internal(const char *name, size_t len);
/* Copies msg without its internal header fields; *len_out.  NULL if
 * memory is short. */
char	*listd_strip_internal(const char *msg, size_t len, size_t *len_out);
/* Does the header section of msg[0..len) have a field named name? */
bool	listd_has_field(const char *msg, size_t len, const char *name);

/*
 * copysign.c: asks timbre-signd's milter at sa for the signature of one
 * copy, pre (its own fields) then msg; the strings and bytes are
 * borrowed until done or cancel.  done(arg, fields, n, NULL) with the
 * fields signd inserts (CRLF-terminated, to go on top of the copy; valid
 * during the call), or done(arg, NULL, 0, why); called once, from the
 * loop, after which the handle is gone.  NULL with err.
 */
struct listd_csign;
typedef void	listd_csign_done(void *arg, const char *fields, size_t n,
		    const char *why);
struct listd_csign *listd_csign_start(struct event_base *,
		    const struct sockaddr *, socklen_t, const char *mail_from,
		    const char *rcpt, const char *pre, size_t prelen,
		    const char *msg, size_t len, listd_csign_done *, void *arg,
		    struct err *);
void		 listd_csign_cancel(struct listd_csign *);
/* Copies signed at once at most (each holds its copy encoded). */
#define LISTD_CSIGN_MAX		4

/* ---- The engine's state (deliver.c, mx.c) ---- */

struct listd_msg {
	int64_t			 id;
	char			*data;
	size_t			 len;
	unsigned		 refs;
	bool			 own_unsub;	/* no List-Unsubscribe: each
						 * copy of a post gets its
						 * own (unsub.h) */
	LIST_ENTRY(listd_msg)	 entry;
};

struct listd_dom;
struct sts_fetch;

/* ---- MTA-STS (sts.c) ---- */

/* Domains whose policy is kept, and seconds a fetch may take. */
#define LISTD_STS_CACHE		1024
#define LISTD_STS_FETCH_S	60

/* A domain's cached policy (RFC 8461 section 5.1), in memory only. */
struct listd_sts {
	char			 name[STORE_DOMAIN_MAX + 1];
	char			 id[MAIL_STS_ID_LEN + 1];	/* have's */
	char			 want_id[MAIL_STS_ID_LEN + 1];	/* fetching */
	bool			 have;		/* pol is valid until expires */
	bool			 busy;		/* a fetch writes into it */
	time_t			 expires;
	struct mail_sts_policy	 pol;
	LIST_ENTRY(listd_sts)	 entry;
};
struct listd_sts_cache {
	LIST_HEAD(, listd_sts)	 entries;
	size_t			 n;
};

/* What the TXT look-up of _mta-sts.DOMAIN found. */
enum listd_sts_txt {
	LISTD_STS_TXT_FOUND,	/* one valid v=STSv1 record, its id */
	LISTD_STS_TXT_NONE,	/* no record, or none valid */
	LISTD_STS_TXT_FAILED,	/* SERVFAIL, a time-out */
};
enum listd_sts_next {
	LISTD_STS_USE,		/* the cached policy */
	LISTD_STS_FETCH,	/* a new one */
	LISTD_STS_NONE,		/* no policy */
};
/* What to do with cache entry e (NULL: none) after the TXT look-up
 * (id: the record's, with FOUND) at now; and after a failed fetch,
 * with LISTD_STS_TXT_NONE. */
enum listd_sts_next listd_sts_decide(const struct listd_sts *,
	    enum listd_sts_txt, const char *id, time_t now);
/* A fetched policy goes into e, valid max_age seconds from now. */
void	listd_sts_store(struct listd_sts *, const char *id,
	    const struct mail_sts_policy *, time_t now);
/* The entry of domain name, made if need be (the expired and, past
 * LISTD_STS_CACHE, the first to expire make room).  NULL: no memory. */
struct listd_sts *listd_sts_entry(struct listd_sts_cache *, const char *name,
	    time_t now);
void	listd_sts_cache_free(struct listd_sts_cache *);
/* Does host match one of the policy's mx patterns (section 4.1)? */
bool	listd_sts_host_ok(const struct mail_sts_policy *, const char *host);
/* Finds dom's policy (its hosts are known), then calls
 * listd_dom_sts_done(dom) (mx.c), from the loop. */
void	listd_sts_resolve(struct listd_dom *);
/* Stops dom's fetch, if any (listd_dom_sts_done is not called). */
void	listd_sts_cancel(struct listd_dom *);
/* dom->sts_mode and dom->sts_pol are known: the hosts an enforced
 * policy does not allow are marked, the addresses looked up (mx.c). */
void	listd_dom_sts_done(struct listd_dom *);

struct listd_job {
	struct listd_deliver	*d;
	struct store_delivery	 row;
	struct listd_msg	*msg;
	struct listd_dom	*dom;
	char			 return_path[STORE_ADDR_MAX + 1];
	char			*fields;	/* this copy's own header
						 * fields, sent first (NULL:
						 * none) */
	size_t			 nfields;
	struct listd_csign	*csign;		/* being signed */
	bool			 sign_queued;	/* in the engine's signq */
	size_t			 off;		/* into fields, then
						 * msg->data */
	size_t			 addr;		/* the address tried */
	char			 tls[96];	/* "none", "TLSv1.3/..." */
	enum mail_sts_mode	 sts;		/* MTA-STS on its connection
						 * (not under DANE) */
	struct smtp_send	*send;
	struct event		*deadline;
	/* The leader of a transaction: every job in it, itself first
	 * (batch[0]); NULL for a transaction of one. */
	struct listd_job	**batch;
	size_t			 nbatch;
	unsigned		 reuse;		/* transactions before, on
						 * the same connection */
	TAILQ_ENTRY(listd_job)	 entry;
	LIST_ENTRY(listd_job)	 all;
};
TAILQ_HEAD(listd_jobq, listd_job);

enum listd_dom_state {
	LISTD_DOM_NEW,
	LISTD_DOM_RESOLVING,
	LISTD_DOM_READY,
	LISTD_DOM_FAILED,
};

struct listd_dom {
	struct listd_deliver	*d;
	char			 name[STORE_DOMAIN_MAX + 1];
	enum listd_dom_state	 state;
	time_t			 expires;
	struct sockaddr_storage	 addrs[LISTD_MX_ADDRS];
	socklen_t		 addrlen[LISTD_MX_ADDRS];
	bool			 bad[LISTD_MX_ADDRS];
	unsigned		 host_of[LISTD_MX_ADDRS]; /* into hosts */
	size_t			 naddr;
	/*
	 * DANE (RFC 7672): the MX answer (or the implicit MX's) was
	 * validated (AD), and per host the TLSA records of
	 * _PORT._tcp.HOST when their answer and the host's addresses were
	 * validated too: then TLS is required and must match them.
	 */
	bool			 mx_secure;
	struct dns_tlsa		*tlsa[LISTD_MX_HOSTS];
	size_t			 ntlsa[LISTD_MX_HOSTS];
	bool			 dane[LISTD_MX_HOSTS];
	/* MTA-STS (RFC 8461, sts.c): the policy's mode, the hosts its mx
	 * patterns do not match; sts_pol only during
	 * listd_dom_sts_done. */
	enum mail_sts_mode	 sts_mode;
	bool			 sts_bad[LISTD_MX_HOSTS]; /* not in the
						 * enforced policy */
	const struct mail_sts_policy *sts_pol;
	struct sts_fetch	*sts_fetch;	/* the fetch it waits for */
	/* While resolving: the hosts and answers still awaited. */
	char			 hosts[LISTD_MX_HOSTS][256];
	size_t			 nhosts;
	unsigned		 pending;
	bool			 implicit;	/* no MX: the domain itself */
	/* FAILED: the reply every copy gets (permanent when 5xx). */
	int			 fail_code;
	char			 fail_enh[16];
	char			 fail_text[512];
	unsigned		 conns;
	unsigned		 signing;	/* its jobs in signq or
						 * being signed */
	struct listd_jobq	 waiting;
	LIST_ENTRY(listd_dom)	 entry;
};

struct listd_deliver {
	struct event_base		*base;
	struct store			*store;
	struct listd_deliver_cfg	 cfg;
	char				*hostname;
	char				*domain;
	char				*smarthost;	/* host part */
	uint16_t			 smarthost_port;
	struct dns_stub			*dns;
	struct listd_sts_cache		 sts;		/* MTA-STS policies */
	struct event			*wake;		/* claim now */
	struct event			*timer;		/* poll */
	LIST_HEAD(, listd_msg)		 msgs;
	LIST_HEAD(, listd_dom)		 doms;
	LIST_HEAD(, listd_job)		 jobs;		/* every job */
	size_t				 njobs;
	unsigned			 conns;
	struct listd_deliver_stats	 stats;
	struct listd_jobq		 signq;		/* copies to sign */
	unsigned			 nsigning;
	char				*unsub_url;
	char				*ca_file;	/* --tls-ca-file */
	uint8_t				 unsub_key[LISTD_UNSUB_KEY_LEN];
	bool				 unsub_keyed;
	uint8_t				 probe_key[LISTD_PROBE_KEY_LEN];
	bool				 probe_keyed;
	time_t				 probe_next;	/* next pass */
};

time_t	listd_deliver_now(const struct listd_deliver *);
/* The domain entry for name, made if need be (NULL: no memory). */
struct listd_dom *listd_dom_get(struct listd_deliver *, const char *name);
/* Starts resolving d (state NEW or expired). */
void	listd_dom_resolve(struct listd_dom *);
/* mx.c tells deliver.c that the domain is READY or FAILED. */
void	listd_dom_resolved(struct listd_dom *);
void	listd_dom_free(struct listd_dom *);
/* Frees the TLSA records dom keeps (mx.c). */
void	listd_dom_tlsa_clear(struct listd_dom *);

/* probe.c.  A pass over the disabled subscribers (probes to send,
 * probes not answered), at most once a minute; from the poll. */
void	listd_probe_run(struct listd_deliver *);
/* The token of the probe to address sent at since. */
int	listd_probe_token(const uint8_t key[LISTD_PROBE_KEY_LEN],
	    const char *list, const char *domain, const char *address,
	    time_t since, char out[LISTD_PROBE_TOKEN_LEN + 1], struct err *);
/* The probe with token to address bounced (why: the reply or report):
 * the subscriber is removed if the token is the one out now.  1 removed,
 * 0 not (another round's, or not probing), -1 on error. */
int	listd_probe_bounced(struct listd_deliver *, const char *list,
	    const char *address, const char *token, const char *why,
	    struct err *);

/* bounce.c: the DSN (RFC 3464) for a copy that failed after its last
 * retry, queued for the list's moderators. */
int	listd_dsn_queue(struct listd_deliver *, const struct store_delivery *,
	    const char *reply, struct err *);
/* Builds the DSN text (for the tests too): malloc'ed, *len_out. */
char	*listd_dsn_build(const char *hostname, const char *list,
	    const char *listdomain, const struct store_delivery *,
	    const char *reply, const char *orig, size_t origlen, time_t now,
	    size_t *len_out);

#endif
