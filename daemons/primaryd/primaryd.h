/*
 * primaryd.h: timbre-primaryd, the authoritative primary served from a
 * git repository (INTERFACE.md, "timbre-primaryd"): what main.c,
 * options.c, server.c and sync.c share.
 */
#ifndef TIMBRE_PRIMARYD_H
#define TIMBRE_PRIMARYD_H

#include <stdbool.h>
#include <time.h>

#include "dns/auth.h"
#include "git/repo.h"
#include "util/buf.h"
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
	bool		 axfr;
	struct opt_list	 also_notify;	/* struct opt_addr */
	char		*workdir;
	bool		 foreground;
	enum log_level	 log_level;
	char		*user;
};

extern const struct opt_program primaryd_program;

#define PRIMARYD_MAX_LISTEN	16

struct notify_job;
struct udp_batch;

struct primaryd {
	struct primaryd_conf	 conf;
	int			 argc;
	char			**argv;
	struct event_base	*base;
	struct repo		*repo;
	struct auth_db		*db;
	int			 udp[PRIMARYD_MAX_LISTEN];
	int			 tcp[PRIMARYD_MAX_LISTEN];
	size_t			 nlisten;
	int			 notify_fd;	/* NOTIFY out, and answers */
	struct event		*notify_ev;
	struct notify_job	*jobs;
	struct udp_batch	*udp_batch;	/* server.c */
	struct buf		 tcp_reply;
};

/* options.c */
void	primaryd_default_listen(struct primaryd_conf *);

/* server.c: binds (as root), then serves. */
void	primaryd_listen(struct primaryd *);
void	primaryd_serve(struct primaryd *);

/* sync.c */
/* Reads the zones and keys of the repository's tip into a new db (a
 * zone that does not load keeps its previous version); fetch first if
 * asked.  -1 only when nothing could be read. */
int	primaryd_reload(struct primaryd *, int fetch, struct err *);
/* The UPDATE in req: apply, commit, push; sets the answer's rcode. */
void	primaryd_update(struct primaryd *, struct auth_req *);
/* Answers the IXFR in req (RFC 1995) from the zone's git history,
 * through emit. */
void	primaryd_ixfr(struct primaryd *, struct auth_req *, time_t now,
	    int (*emit)(const uint8_t *, size_t, void *), void *,
	    const char *from);
/* NOTIFY the secondaries of a zone (its NS hosts, --also-notify). */
void	primaryd_notify_zone(struct primaryd *, const struct auth_zone *);
void	primaryd_notify_start(struct primaryd *);

#endif
