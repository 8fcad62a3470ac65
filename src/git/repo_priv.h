/*
 * repo_priv.h: what repo.c and ssh.c share inside src/git: the SSH
 * transport of the zone repository (ssh.c), which libgit2 is handed for
 * every operation on an SSH remote through git_remote_callbacks.transport
 * (a per-call transport, rather than git_transport_register's process-wide
 * table, so that each repository brings its own key, trust and deadline).
 */
#ifndef TIMBRE_GIT_REPO_PRIV_H
#define TIMBRE_GIT_REPO_PRIV_H

#include <stdbool.h>

#include <git2.h>

struct err;
struct repo_config;

/* The SSH side of one repository: the client key, the trusted host
 * keys, the deadline, and the last failure of a network operation. */
struct repo_ssh;

/* Is url one for this transport: ssh://, ssh+git://, git+ssh:// or
 * scp-like "[user@]host:path"?  Other schemes (file://, https://) and
 * paths are libgit2's. */
bool		 repo_ssh_is_url(const char *url);
/* Reads the key of c (--ssh-key or --ssh-key-file) into memory; NULL and
 * err if it does not parse, or if c trusts no host key. */
struct repo_ssh	*repo_ssh_new(const struct repo_config *c, struct err *);
void		 repo_ssh_free(struct repo_ssh *);
/* Makes the transport of one libgit2 network operation on owner (what a
 * git_transport_cb does): libgit2's smart protocol over an SSH channel
 * of libssh running "git-upload-pack 'PATH'" or "git-receive-pack
 * 'PATH'".  c must outlive the operation. */
int		 repo_ssh_transport(git_transport **out, git_remote *owner,
		    struct repo_ssh *c);
/* Forgets the last failure (before each network operation). */
void		 repo_ssh_clear(struct repo_ssh *);
/* After a failed libgit2 call: 0 if the transport had no failure of its
 * own, else -1 with err set from it (REPO_E_HOSTKEY, ERR_TIMEOUT or
 * REPO_E_GIT), its message prefixed with what. */
int		 repo_ssh_failure(const struct repo_ssh *, const char *what,
		    struct err *);

#endif
