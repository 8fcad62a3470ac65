/*
 * resolverd.h: what the files of timbre-resolverd share: the option
 * table's configuration (options.c), the settings derived from it, the
 * daemon's state, the listeners and client handling (server.c) and the
 * upstream transport (upstream.c).
 */
#ifndef TIMBRE_RESOLVERD_H
#define TIMBRE_RESOLVERD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "resolver/resolver.h"
#include "util/acl.h"
#include "util/log.h"
#include "util/opt.h"

struct event_base;
struct event;
struct err;

/* Filled by opt_load from the table in options.c. */
struct resolverd_conf {
	struct opt_list	 listen;	/* struct opt_addr */
	struct opt_list	 allow;		/* char *, CIDR */
	char		*root_hints;
	char		*trust_anchor;
	bool		 no_dnssec;
	bool		 no_qname_minimisation;
	bool		 no_case_randomisation;
	long long	 cache_size;	/* MB */
	long long	 cache_min_ttl;
	long long	 cache_max_ttl;
	char		*port_range;
	bool		 foreground;
	enum log_level	 log_level;
	char		*user;
};

/* What the configuration means, checked. */
struct resolverd_settings {
	struct resolverd_conf	 conf;
	struct acl		 acl;
	uint16_t		 port_lo, port_hi;
	char			*hints;		/* file contents, or NULL */
	char			*anchors;
};

extern const struct opt_program resolverd_program;

/*
 * Loads the configuration (file and argv) into s.  -1 with err: the
 * code is OPT_E_USAGE for exit 2, else exit 1 (the message names what and
 * where).
 */
int	resolverd_settings_load(int argc, char *argv[],
	    struct resolverd_settings *, struct err *);
void	resolverd_settings_free(struct resolverd_settings *);
bool	resolverd_acl_allows(const struct resolverd_settings *,
	    const struct sockaddr *);

/* The engine and the answers built from it, replaced together on
 * SIGHUP; tasks in flight keep the one they started with. */
struct resv {
	struct res_resolver	*r;
	struct res_msgcache	*mc;
	int			 refs;
};

struct task;
TAILQ_HEAD(tasks, task);
struct tcpconn;
TAILQ_HEAD(tcpconns, tcpconn);

struct listener {
	int		 udp, tcp;
	struct event	*ev_udp;
	struct evconnlistener *lev;
	char		 text[64];
};

struct resolverd {
	struct event_base		*base;
	struct resolverd_settings	 set;
	struct resv			*resv;
	struct listener			*ls;
	size_t				 nls;
	struct tasks			 tasks;
	size_t				 ntasks;
	size_t				 ntcp;
	struct tcpconns			 tcpconns;	/* open */
	size_t				 nwaiters;	/* all tasks' */
	int				 argc;
	char				**argv;
	/* counters besides the engine's */
	uint64_t			 refused, formerr, dropped, tcp_clients;
	uint64_t			 tcp_evicted;	/* closed for a new one */
	uint64_t			 fast_hits;	/* answers cache */
	uint64_t			 wrong_id;	/* upstream datagrams */
	uint8_t				*rbuf;		/* one answer */
};

#define RESOLVERD_MAX_TASKS	4096	/* client questions in flight */
#define RESOLVERD_MAX_WAITERS	8192	/* clients waiting on them */
#define RESOLVERD_MAX_WAITERS_TASK 64	/* clients waiting on one */
#define RESOLVERD_MAX_TCP	256	/* client TCP connections */

/* server.c */
int	resolverd_listen(struct resolverd *, struct err *);
void	resolverd_log_stats(struct resolverd *);
void	resolverd_shutdown(struct resolverd *);

/* upstream.c: one exchange with an authoritative server. */
struct upstream;
typedef void	upstream_cb(const uint8_t *, size_t, unsigned rtt_ms, void *);
/*
 * Sends req; cb is called once from the loop (NULL bytes: no answer);
 * *wrong_id counts the datagrams that carried another ID meanwhile.
 */
struct upstream	*upstream_send(struct event_base *, const struct res_request *,
		    uint16_t port_lo, uint16_t port_hi, uint64_t *wrong_id,
		    upstream_cb *, void *);
void		 upstream_cancel(struct upstream *);
uint16_t	 resolverd_random16(void);
uint32_t	 resolverd_random32(void *);

#endif
