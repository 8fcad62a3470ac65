/*
 * acl.h: the --allow lists of the daemons: networks in CIDR notation,
 * by default those of the interfaces carrying the daemon's --listen
 * addresses, and the check of a client's address against them (an
 * IPv4 client on a dual-stack socket, ::ffff:a.b.c.d, is matched as
 * IPv4).
 */
#ifndef TIMBRE_UTIL_ACL_H
#define TIMBRE_UTIL_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct err;
struct opt_addr;

struct acl_net {
	int	family;
	uint8_t	addr[16];
	int	prefix;
};

/* A growable list of networks; zero it before the first acl_add. */
struct acl {
	struct acl_net	*v;
	size_t		 n;
};

/* Parses "ADDR" or "ADDR/PREFIX"; -1 with OPT_E_CONFIG naming opt
 * ("--allow 10.0.0.0/33: not an address/prefix"). */
int	acl_parse(const char *opt, const char *, struct acl_net *,
	    struct err *);
/* -1 with ERR_NOMEM. */
int	acl_add(struct acl *, const struct acl_net *, struct err *);
/* Adds the networks of the interfaces that carry the n listen
 * addresses (every interface for a wildcard address); an address no
 * interface carries adds itself alone, or 127/8 for IPv4 loopback. */
int	acl_add_listen_nets(struct acl *, const struct opt_addr *, size_t n,
	    struct err *);
bool	acl_allows(const struct acl *, const struct sockaddr *);
void	acl_fini(struct acl *);

#endif
