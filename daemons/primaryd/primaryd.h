/*
 * primaryd.h: timbre-primaryd, the authoritative primary served from a
 * git repository (docs/interface.md, "timbre-primaryd"): what main.c,
 * options.c, server.c and sync.c share.
 */
#ifndef TIMBRE_PRIMARYD_H
#define TIMBRE_PRIMARYD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include "auth/auth.h"
#include "git/repo.h"
#include "util/acl.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/opt.h"

struct event;
struct event_base;

struct primaryd_conf {
	struct opt_list	 listen;	/* struct opt_addr */
	char		*remote;
	char		*ssh_key;
	char		*ssh_key_file;
	char		*ssh_authenticator;
	char		*ssh_known_hosts;
	long long	 git_timeout;	/* seconds (src/git/ssh.c) */
	bool		 axfr;
	struct opt_list	 also_notify;	/* struct opt_addr */
	char		*workdir;
	bool		 foreground;
	enum log_level	 log_level;
	char		*user;
	char		*serial_policy;
	bool		 no_serial_fix;
	long long	 rrl_rate;	/* answers a second a flow; 0: off */
	long long	 rrl_slip;
	struct opt_list	 rrl_allow;	/* char *: CIDR never limited */
	long long	 workers;	/* UDP loops; 0: one per CPU */
	struct opt_list	 dnssec_sign;	/* char *: zones, or "all" */
	char		*dnssec_dir;
	char		*dnssec_algorithm;
	char		*dnssec_denial;	/* nsec, nsec3[:ITER[:SALT]] */
};

/* Online signing (--dnssec-*, sign.c), fixed at start: read by the
 * worker thread and the loop alike, changed by nobody. */
struct primaryd_sign {
	bool		 all;
	char		**zones;	/* conf's dnssec_sign, no final dot */
	size_t		 nzones;
	const char	*dir;
	int		 alg;		/* ldns_signing_algorithm */
	struct auth_sign_denial denial;	/* NSEC or NSEC3 */
};

/*
 * What a reload does with a zone that changed without a newer serial
 * (sync.c): with on, it serves it with the serial policy gives after the
 * one served, commits that serial and pushes; else it serves it as it is.
 */
struct serial_fix {
	bool			 on;
	enum auth_serial_policy	 policy;
};

extern const struct opt_program primaryd_program;

struct primaryd;
/*
 * The rate limiter (--rrl-*) and the clients it spares, shared by every
 * UDP loop (loops.c): the table is one, so a flow is counted once
 * whichever loop the kernel gives its packets to; its mutex is taken
 * for each answer counted.  Each loop holds a reference; a SIGHUP makes
 * a new one (fresh counts) and the last holder of the old frees it.
 */
struct primaryd_rrl {
	atomic_int		 refs;
	pthread_mutex_t		 mu;
	struct auth_rrl		*rrl;		/* NULL: no rate limiting */
	struct acl		 allow;		/* clients never limited */
};
/* Makes the rate limiter of c (--rrl-*) into d->rl, replacing the one d
 * had (a reload starts the counts afresh); the worker loops get it with
 * the next primaryd_publish. */
int	primaryd_rrl_setup(struct primaryd *d, const struct primaryd_conf *c,
	    struct err *);
struct primaryd_rrl *primaryd_rrl_ref(struct primaryd_rrl *);
void	primaryd_rrl_unref(struct primaryd_rrl *);

#define PRIMARYD_MAX_LISTEN	16
#define PRIMARYD_MAX_WORKERS	256	/* --workers */

struct fwd_queue;
struct notify_job;
struct tcp_conn;
struct udp_batch;
struct worker;

/*
 * Work that reads or writes git (a fetch and reload, an UPDATE, the
 * history of an IXFR) is a job, run by one worker thread (worker.c) so
 * that the loop keeps answering queries meanwhile.  Jobs run one at a
 * time, in the order they came, and each starts from the zones the one
 * before it left: UPDATEs are serialised, none loses another's change.
 * The loop prepares a job (job_prepare), the worker runs it (job_run:
 * git and parsing, nothing the loop touches), the loop finishes it
 * (job_finish: swaps zones in, NOTIFYs, answers).
 */
enum job_kind {
	JOB_RELOAD,		/* SIGHUP: fetch, reload */
	JOB_NOTIFY,		/* a signed NOTIFY: fetch, reload, answer */
	JOB_UPDATE,		/* apply, commit, push, answer */
	JOB_IXFR,		/* read the history, answer */
};

/* Where a job's answer goes: emit as in auth_axfr; transfer (TCP only,
 * else NULL) takes a transfer to send as the client reads; release when
 * the job is done with arg. */
struct job_sink {
	int		(*emit)(const uint8_t *, size_t, void *);
	int		(*transfer)(struct auth_xfr *, void *);
	void		(*release)(void *);
	void		 *arg;
};

struct reload;

struct job {
	struct job		*next;
	enum job_kind		 kind;
	char			 from[80];	/* the client, for logs */
	/* The request (all kinds but JOB_RELOAD), kept whole: req.raw
	 * points into raw, req.key is key, req.zone is a reference taken
	 * when the job starts (the zone as the jobs before left it). */
	uint8_t			*raw;
	size_t			 rawlen;
	struct auth_req		 req;
	int			 has_req;
	struct dns_tsig_key		*key;
	char			 zone[256];
	struct job_sink		 sink;
	struct serial_fix	 fix;		/* RELOAD, NOTIFY */
	/* What the worker left. */
	const struct auth_db	*old;		/* the db when it started */
	struct reload		*reload;	/* RELOAD, NOTIFY */
	struct auth_zone	*nz;		/* UPDATE: the new zone */
	int			 rcode;
	struct auth_ixfr	*ixfr;		/* IXFR */
	size_t			 versions;
	char			 head[48];	/* the tip afterwards */
	int			 failed;
	struct err		 err;
};

/*
 * A loop answering UDP queries (--workers, loops.c).  Loop 0 is the main
 * loop, which answers from d->db and does everything else besides
 * (TCP, NOTIFY, UPDATE, transfers, the jobs).  Each other one is a
 * thread with an event base of its own, reading its own SO_REUSEPORT
 * socket on every --listen address, and answering plain queries from a
 * db of its own: the same zones (reference-counted, read only: nothing
 * changes a zone once it is served) and a reply cache nobody else
 * touches.  When the main loop's zones change it hands each worker a new
 * db (primaryd_publish) by an atomic exchange of l->pending, and wakes
 * it; the worker adopts it between two batches and frees the old one.
 * A zone is freed by whoever drops its last reference, so no loop ever
 * reads one freed.  Messages a worker must not answer (NOTIFY, UPDATE,
 * a TSIG record: it holds no keys) go to the main loop whole
 * (primaryd_forward), which answers through the worker's socket.
 */
struct udp_view;
struct udp_loop {
	struct primaryd		*d;
	size_t			 index;		/* 0: the main loop */
	struct event_base	*base;
	int			 fd[PRIMARYD_MAX_LISTEN];
	struct event		*ev[PRIMARYD_MAX_LISTEN];
	struct udp_batch	*batch;		/* server.c */
	/* Workers only. */
	struct auth_db		*db;		/* its own, see above */
	struct primaryd_rrl	*rl;
	_Atomic(struct udp_view *) pending;	/* from primaryd_publish */
	atomic_bool		 stop;
	int			 wake[2];	/* pipe: pending or stop */
	struct event		*wake_ev;
	pthread_t		 thread;
	bool			 running;
	/* Any loop; read by the stats line. */
	atomic_uint_least64_t	 queries;	/* UDP messages read */
};

struct primaryd {
	struct primaryd_conf	 conf;
	struct serial_fix	 fix;		/* from conf */
	int			 argc;
	char			**argv;
	struct event_base	*base;
	struct repo		*repo;
	struct auth_db		*db;
	struct primaryd_rrl	*rl;
	struct udp_loop		*loops;		/* nloops; loops.c */
	size_t			 nloops;
	struct fwd_queue	*fwd;		/* loops.c */
	int			 tcp[PRIMARYD_MAX_LISTEN];
	size_t			 nlisten;
	int			 notify_fd;	/* NOTIFY out, and answers */
	struct event		*notify_ev;
	struct notify_job	*jobs;
	struct evconnlistener	*tcp_l[PRIMARYD_MAX_LISTEN];
	struct buf		 tcp_reply;
	struct buf		 tcp_xfr;	/* a transfer's message */
	size_t			 ntcp;		/* TCP connections open */
	TAILQ_HEAD(, tcp_conn)	 tcp_conns;	/* server.c, idlest first */
	uint64_t		 tcp_evicted;	/* closed for a new client */
	struct worker		*worker;	/* worker.c */
	struct primaryd_sign	 sign;		/* sign.c */
	struct event		*sign_ev;
};

/* options.c */
void	primaryd_default_listen(struct primaryd_conf *);
/* --serial-policy and --no-serial-fix into fix_out; -1 (err) for a
 * policy it does not know. */
int	primaryd_serial_fix(const struct primaryd_conf *,
	    struct serial_fix *fix_out, struct err *);

/* server.c: binds (as root), then serves. */
void	primaryd_listen(struct primaryd *);
void	primaryd_serve(struct primaryd *);
/* Frees what primaryd_serve made, once the loop is over. */
void	primaryd_unserve(struct primaryd *);
/* Watches loop l's UDP sockets in its base, with a batch of its own;
 * primaryd_udp_unwatch frees them. */
void	primaryd_udp_watch(struct udp_loop *l);
void	primaryd_udp_unwatch(struct udp_loop *l);
/* Main loop: answers a UDP message a worker forwarded, through fd. */
void	primaryd_udp_forwarded(struct primaryd *, int fd,
	    const struct sockaddr *, socklen_t, const uint8_t *, size_t);

/* loops.c */
/* --workers: how many loops (0: one per CPU this process may run on). */
size_t	primaryd_nloops(const struct primaryd_conf *);
/* Starts the worker loops (after the first load), stops and frees them
 * (after the main loop is over). */
void	primaryd_loops_start(struct primaryd *);
void	primaryd_loops_stop(struct primaryd *);
/* Main loop: hands the zones now in d->db and d->rl to every worker. */
void	primaryd_publish(struct primaryd *);
/* Worker: has the main loop answer a message (copied). */
void	primaryd_forward(struct udp_loop *, int fd, const struct sockaddr *,
	    socklen_t, const uint8_t *, size_t);

/* sync.c */
/* Reads the zones and keys of the repository's tip into a new db (a
 * zone that does not load keeps its previous version); fetch first if
 * asked.  -1 only when nothing could be read.  At start-up, before the
 * worker runs; afterwards a JOB_RELOAD does it. */
int	primaryd_reload(struct primaryd *, int fetch, struct err *);
/* A job for the request in req (auth_handle's, on the message p, n),
 * which it takes over (req is left empty); NULL if out of memory. */
struct job *job_new(enum job_kind, struct auth_req *, const uint8_t *p,
	    size_t n, const char *from);
void	job_free(struct job *);
/* Loop: binds the job to the current zones; 0, or -1 when it cannot
 * run (then job_finish answers it). */
int	job_prepare(struct primaryd *, struct job *);
/* Worker: the git and parsing work. */
void	job_run(struct primaryd *, struct job *);
/* Loop: installs what the job made, NOTIFYs, answers. */
void	job_finish(struct primaryd *, struct job *);
/* worker.c */
void	primaryd_worker_start(struct primaryd *);
/* Queues a job (taken); it runs when those before it are done. */
void	primaryd_submit(struct primaryd *, struct job *);
/* Waits for the job running, drops the queued ones, ends the thread. */
void	primaryd_worker_stop(struct primaryd *);

/* sign.c.  primaryd_sign_setup: from c (the state directory made);
 * -1 (err) for an algorithm it does not know.  primaryd_sign_wanted:
 * is zone to be signed?  primaryd_sign_due: does a zone of db signed
 * online have a signature to refresh?  primaryd_sign_db (worker): the
 * zones of db to sign replaced by their signed versions (old: the db
 * served, whose versions are built on).  primaryd_sign_update (worker):
 * nz, the unsigned zone an UPDATE made, signed on prev, the version
 * served; NULL (err) if it cannot be.  primaryd_sign_keep: saves a
 * signed zone in the state directory.  primaryd_sign_start, _stop: the
 * hourly check of primaryd_sign_due, which submits a reload. */
int	primaryd_sign_setup(struct primaryd_sign *,
	    const struct primaryd_conf *c, struct err *);
bool	primaryd_sign_wanted(const struct primaryd_sign *, const char *zone);
bool	primaryd_sign_due(const struct primaryd_sign *, const struct auth_db *,
	    time_t now);
void	primaryd_sign_db(const struct primaryd_sign *, struct auth_db *db,
	    const struct auth_db *old, enum auth_serial_policy);
struct auth_zone *primaryd_sign_update(const struct primaryd_sign *,
	    const struct auth_zone *nz, const struct auth_zone *prev,
	    enum auth_serial_policy, struct err *);
void	primaryd_sign_keep(const struct primaryd_sign *,
	    const struct auth_zone *);
void	primaryd_sign_start(struct primaryd *);
void	primaryd_sign_stop(struct primaryd *);

/* NOTIFY the secondaries of a zone (its NS hosts, --also-notify). */
void	primaryd_notify_zone(struct primaryd *, const struct auth_zone *);
void	primaryd_notify_start(struct primaryd *);
/* Drops the NOTIFYs not yet answered, closes the socket. */
void	primaryd_notify_stop(struct primaryd *);

#endif
