/*
 * repo.h: the zone repository of timbre-primaryd, over libgit2.
 *
 * The local clone is a bare repository in a work directory: nothing is
 * checked out, the served tree is read straight from the commit at the
 * tip of the configured branch.  A fetch moves that tip to the remote's;
 * a change becomes a new commit which is pushed at once, and if the push
 * fails the tip goes back to where it was, so the clone never holds a
 * commit the remote has not got.
 *
 * Remotes: "ssh://user@host[:port]/path", "user@host:path", "file:///path"
 * or a local path, with an optional "#BRANCH" (default: the remote's
 * HEAD).  Over SSH the server's host key must match the pinned SHA-256
 * fingerprint (as "ssh-keygen -lf" prints it) or a known_hosts entry;
 * anything else is refused with the fingerprint in the error.  The SSH
 * transport is timbre's own, on libssh (ssh.c): connecting, and every
 * read or write of the session, fails after the configured timeout
 * without a byte from the server, so a stalled server costs one timeout,
 * never a hung worker.
 *
 * SSH keys (sshkey.c): "ed25519:BASE64" (the 32-byte private key, as
 * timbre keygen and awa_gen_key print it) or "rsa:BASE64" (the DER of
 * the private key, PKCS#1 as timbre keygen prints it, PKCS#8 read too;
 * awa_gen_key's RSA seeds cannot be reproduced outside mirage-crypto).
 */
#ifndef TIMBRE_GIT_REPO_H
#define TIMBRE_GIT_REPO_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

enum repo_error {
	REPO_E_URL = 700,	/* the remote does not parse */
	REPO_E_GIT,		/* libgit2 failed; msg says how */
	REPO_E_HOSTKEY,		/* the server's host key is not trusted */
	REPO_E_KEY,		/* an SSH key does not parse */
	REPO_E_PUSH,		/* the remote refused the push */
};

struct repo_config {
	const char	*remote;	/* URL[#BRANCH] */
	const char	*workdir;	/* the local bare clone */
	const char	*ssh_key;	/* TYPE:BASE64, or NULL */
	const char	*ssh_key_file;	/* TYPE:BASE64 line or PEM/OpenSSH */
	const char	*authenticator;	/* SHA256:BASE64, or NULL */
	const char	*known_hosts;	/* path, or NULL */
	long		 timeout;	/* SSH deadline, seconds; 0: 30 */
};

struct repo;

/* Opens (or creates) the clone in workdir and fetches the remote.  The
 * SSH key is read once, into memory; nothing of it is written. */
struct repo	*repo_open(const struct repo_config *, struct err *);
void		 repo_free(struct repo *);
/* Fetches the branch and moves the local tip to the remote's; sets
 * *changed_out when it moved. */
int		 repo_fetch(struct repo *, int *changed_out, struct err *);
/* The branch served, and the hex id of the tip commit ("" if none). */
const char	*repo_branch(const struct repo *);
const char	*repo_head(const struct repo *);

/* Calls fn for every top-level regular file of the tip's tree, in name
 * order; fn returns -1 to stop (repo_files then returns -1). */
typedef int	(*repo_file_fn)(const char *name, const uint8_t *, size_t,
		    void *);
int		 repo_files(struct repo *, repo_file_fn, void *, struct err *);

/* Calls fn with the versions of the top-level file name, newest first:
 * the tip's, then each older one, walking the branch's first parents
 * back from the tip.  Commits that leave the file as it was are skipped;
 * a commit without the file is passed as (NULL, 0).  At most
 * max_commits commits are looked at and max_bytes of blobs read, so the
 * walk stays short.  fn returns 0 for more, 1 to stop, -1 on error
 * (repo_history then returns -1).  Running out of history or of either
 * bound is not an error: the walk just ends. */
typedef int	(*repo_version_fn)(const uint8_t *, size_t, void *);
int		 repo_history(struct repo *, const char *name,
		    size_t max_commits, size_t max_bytes, repo_version_fn,
		    void *, struct err *);

/* One file to write in a commit. */
struct repo_change {
	const char	*name;		/* top-level file name */
	const uint8_t	*data;
	size_t		 len;
};
/* Commits the files (others untouched) with author and committer
 * "timbre-primaryd" and message msg, then pushes.  If the push fails the
 * local tip is put back and -1 returned (REPO_E_PUSH or REPO_E_GIT). */
int		 repo_commit_push(struct repo *, const struct repo_change *,
		    size_t, const char *msg, struct err *);

/* SSH keys (sshkey.c); keys are OpenSSL EVP_PKEYs behind void *. */
enum repo_keytype { REPO_KEY_ED25519, REPO_KEY_RSA };
void	*repo_sshkey_generate(enum repo_keytype, int bits, struct err *);
/* "ed25519:B64" or "rsa:B64" (type case-insensitive). */
void	*repo_sshkey_parse(const char *, struct err *);
void	 repo_sshkey_free(void *);
/* Appends "ed25519:B64" / "rsa:B64" to b. */
int	 repo_sshkey_private_text(void *, struct buf *, struct err *);
/* Appends the OpenSSH public key line ("ssh-ed25519 AAAA... comment"). */
int	 repo_sshkey_public_line(void *, const char *comment, struct buf *,
	    struct err *);
/* Appends the private key as an OpenSSH (ed25519) or PEM (rsa) private
 * key file's text: a secret (buf_fini_secret). */
int	 repo_sshkey_file_text(void *, struct buf *, struct err *);
/* "SHA256:B64" (no padding) of an SSH public key blob. */
void	 repo_fingerprint(const uint8_t sha256[32], char out[60]);

#endif
