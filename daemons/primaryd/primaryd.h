/*
 * primaryd.h: timbre-primaryd, the authoritative primary served from a
 * git repository (docs/interface.md, "timbre-primaryd"): what main.c,
 * options.c, server.c and sync.c share.
 */
#ifndef TIMBRE_PRIMARYD_H
#define TIMBRE_PRIMARYD_H

#include <stdbool.h>
#include <sys/queue.h>
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
/* Makes the rate limiter of c (--rrl-*) into d->rrl and d->rrl_allow,
 * replacing those d had (a reload starts the counts afresh). */
int	primaryd_rrl_setup(struct primaryd *d, const struct primaryd_conf *c,
	    struct err *);

#define PRIMARYD_MAX_LISTEN	16

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

struct primaryd {
	struct primaryd_conf	 conf;
	struct serial_fix	 fix;		/* from conf */
	int			 argc;
	char			**argv;
	struct event_base	*base;
	struct repo		*repo;
	struct auth_db		*db;
	struct auth_rrl		*rrl;		/* NULL: no rate limiting */
	struct acl		 rrl_allow;	/* clients never limited */
	int			 udp[PRIMARYD_MAX_LISTEN];
	int			 tcp[PRIMARYD_MAX_LISTEN];
	size_t			 nlisten;
	int			 notify_fd;	/* NOTIFY out, and answers */
	struct event		*notify_ev;
	struct notify_job	*jobs;
	struct udp_batch	*udp_batch;	/* server.c */
	struct event		*udp_ev[PRIMARYD_MAX_LISTEN];
	struct evconnlistener	*tcp_l[PRIMARYD_MAX_LISTEN];
	struct buf		 tcp_reply;
	struct buf		 tcp_xfr;	/* a transfer's message */
	size_t			 ntcp;		/* TCP connections open */
	TAILQ_HEAD(, tcp_conn)	 tcp_conns;	/* server.c, idlest first */
	uint64_t		 tcp_evicted;	/* closed for a new client */
	struct worker		*worker;	/* worker.c */
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

/* NOTIFY the secondaries of a zone (its NS hosts, --also-notify). */
void	primaryd_notify_zone(struct primaryd *, const struct auth_zone *);
void	primaryd_notify_start(struct primaryd *);
/* Drops the NOTIFYs not yet answered, closes the socket. */
void	primaryd_notify_stop(struct primaryd *);

#endif
