/*
 * archive_priv.h: what the libgit2 side of src/archive (inbox.c, the
 * inbox; site.c, the web view) shares and no other module sees.
 */
#ifndef TIMBRE_ARCHIVE_ARCHIVE_PRIV_H
#define TIMBRE_ARCHIVE_ARCHIVE_PRIV_H

#include <stddef.h>

struct err;

/* Sets err to ARCHIVE_E_GIT: "what: libgit2's last error". */
void	archive_git_err(struct err *, const char *what);
/* mkdir(2) with mode 0755 that accepts an existing directory;
 * ARCHIVE_E_IO. */
int	archive_make_dir(const char *path, struct err *);
/* Writes path with text[0..len) through path.tmp, fsync(2) and
 * rename(2): a reader sees the old file or the new; ARCHIVE_E_IO. */
int	archive_write_file(const char *path, const char *text, size_t len,
	    struct err *);

#endif
