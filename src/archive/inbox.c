/*
 * inbox.c: the public-inbox v2 inbox of a list, written with libgit2
 * (archive.h has the layout and the guarantees).
 *
 * The commit is written as git-fast-import writes public-inbox's: a
 * tree of one entry "m", and the commit object formatted here, byte for
 * byte what public-inbox's Import.pm gives fast-import ("author NAME
 * <EMAIL> TIME ZONE", the subject and a newline), because libgit2's
 * signature API refuses what real mail has (an empty name, say).  The
 * branch moves by compare-and-swap on the tip read before, so that two
 * writers that slipped past inbox.lock cannot lose a commit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "archive/archive.h"
#include "archive/archive_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define BRANCH		"refs/heads/master"
#define PACKING_FACTOR	0.4	/* public-inbox's V2Writable.pm */
#define EPOCHS_MAX	100000

struct archive {
	char		*dir;
	char		*name;
	char		*address;
	long long	 epoch_max;
	unsigned	 epoch;		/* the newest */
	long long	 epoch_bytes;	/* its objects on disk */
	git_repository	*git;		/* the newest epoch */
	char		 tip[GIT_OID_HEXSZ + 1];
	int		 lock_fd;
};

void
archive_git_err(struct err *err, const char *what)
{
	const git_error	*e = git_error_last();

	err_set(err, ARCHIVE_E_GIT, "%s: %s", what,
	    e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* mkdir that accepts an existing directory. */
int
archive_make_dir(const char *path, struct err *err)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		err_set(err, ARCHIVE_E_IO, "mkdir %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The directory and every missing parent, as mkdir -p. */
static int
make_dirs(const char *path, struct err *err)
{
	char	*p, *s;
	int	 rc;

	if ((p = strdup(path)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		rc = archive_make_dir(p, err);
		*s = '/';
		if (rc == -1) {
			free(p);
			return -1;
		}
	}
	rc = archive_make_dir(p, err);
	free(p);
	return rc;
}

/* The bytes of the files under dir (the objects of an epoch). */
static long long
du(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		 path[4096];
	long long	 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") ==
		    0 || strcmp(e->d_name, "info") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    e->d_name) >= sizeof(path) || lstat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode))
			n += du(path);
		else if (S_ISREG(st.st_mode))
			n += (long long)st.st_size;
	}
	closedir(d);
	return n;
}

/* The highest N of git/N.git, or -1 when there is none. */
static long
newest_epoch(const char *dir)
{
	char		 path[4096];
	DIR		*d;
	struct dirent	*e;
	char		*end;
	long		 v, max = -1;

	snprintf(path, sizeof(path), "%s/git", dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		v = strtol(e->d_name, &end, 10);
		if (strcmp(end, ".git") == 0 && v >= 0 && v < EPOCHS_MAX &&
		    v > max)
			max = v;
	}
	closedir(d);
	return max;
}

/* Writes path (via a temporary file and rename) with text. */
int
archive_write_file(const char *path, const char *text, size_t len,
    struct err *err)
{
	char	tmp[4200];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		err_set(err, ARCHIVE_E_IO, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((len > 0 && fwrite(text, 1, len, f) != len) || fflush(f) != 0 ||
	    fsync(fileno(f)) == -1) {
		err_set(err, ARCHIVE_E_IO, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		err_set(err, ARCHIVE_E_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A bare repository at path with HEAD on master (made if missing). */
static int
init_bare(const char *path, git_repository **out, struct err *err)
{
	git_repository_init_options	o;

	if (git_repository_init_options_init(&o,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION) != 0) {
		archive_git_err(err, path);
		return -1;
	}
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "master";
	if (git_repository_init_ext(out, path, &o) != 0) {
		archive_git_err(err, path);
		return -1;
	}
	return 0;
}

/* all.git: a bare repository whose alternates name every epoch. */
static int
write_all(struct archive *a, unsigned newest, struct err *err)
{
	git_repository	*all;
	struct buf	 b;
	char		 path[4096];
	long		 i;
	int		 rc = -1;

	snprintf(path, sizeof(path), "%s/all.git", a->dir);
	if (init_bare(path, &all, err) == -1)
		return -1;
	git_repository_free(all);
	buf_init(&b, 64 * (size_t)(newest + 1) + 1);
	for (i = (long)newest; i >= 0; i--)
		if (buf_printf(&b, err, "../../git/%ld.git/objects\n", i) == -1)
			goto done;
	snprintf(path, sizeof(path), "%s/all.git/objects/info/alternates",
	    a->dir);
	rc = archive_write_file(path, b.data, b.len, err);
done:
	buf_fini(&b);
	return rc;
}

/* The tip of git (hex into tip, "" if none); -1 on a libgit2 error. */
static int
read_tip(git_repository *git, git_oid *oid, char tip[GIT_OID_HEXSZ + 1],
    struct err *err)
{
	int	r;

	tip[0] = '\0';
	r = git_reference_name_to_id(oid, git, BRANCH);
	if (r == GIT_ENOTFOUND)
		return 0;
	if (r != 0) {
		archive_git_err(err, BRANCH);
		return -1;
	}
	git_oid_tostr(tip, GIT_OID_HEXSZ + 1, oid);
	return 0;
}

/* Opens (making it) epoch n as the newest. */
static int
open_epoch(struct archive *a, unsigned n, struct err *err)
{
	git_repository	*git;
	git_config	*cfg;
	git_oid		 oid;
	struct stat	 st;
	char		 path[4096];
	bool		 existed;

	snprintf(path, sizeof(path), "%s/git/%u.git/config", a->dir, n);
	existed = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/git/%u.git", a->dir, n);
	/* Not made again: libgit2's init would set core.* once more, which
	 * the included all.git/config defines too. */
	if (existed && git_repository_open_bare(&git, path) != 0) {
		archive_git_err(err, path);
		return -1;
	}
	if (!existed && init_bare(path, &git, err) == -1)
		return -1;
	/* public-inbox's epoch_cfg_set: settings made once, in all.git. */
	if (!existed && git_repository_config(&cfg, git) != 0) {
		archive_git_err(err, path);
		git_repository_free(git);
		return -1;
	}
	if (!existed) {
		if (git_config_set_string(cfg, "include.path",
		    "../../all.git/config") != 0) {
			archive_git_err(err, path);
			git_config_free(cfg);
			git_repository_free(git);
			return -1;
		}
		git_config_free(cfg);
	}
	if (write_all(a, n, err) == -1 || read_tip(git, &oid, a->tip, err) ==
	    -1) {
		git_repository_free(git);
		return -1;
	}
	git_repository_free(a->git);
	a->git = git;
	a->epoch = n;
	snprintf(path, sizeof(path), "%s/git/%u.git/objects", a->dir, n);
	a->epoch_bytes = du(path);
	return 0;
}

static int
lock_take(struct archive *a, struct err *err)
{
	if (flock(a->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		err_set(err, errno == EWOULDBLOCK ? ARCHIVE_E_BUSY :
		    ARCHIVE_E_IO, "%s/inbox.lock: %s", a->dir, errno ==
		    EWOULDBLOCK ? "held by another writer" : strerror(errno));
		return -1;
	}
	return 0;
}

static void
lock_give(struct archive *a)
{
	(void)flock(a->lock_fd, LOCK_UN);
}

struct archive *
archive_open(const struct archive_conf *c, struct err *err)
{
	struct archive	*a;
	char		 path[4096];
	long		 n;
	int		 rc;

	if (strlen(c->dir) > 3000) {
		err_set(err, ARCHIVE_E_IO, "%s: path too long", c->dir);
		return NULL;
	}
	/* Once per process; libgit2 counts the calls. */
	if (git_libgit2_init() < 0) {
		archive_git_err(err, "libgit2");
		return NULL;
	}
	/* A commit is on disk when archive_add returns. */
	(void)git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if ((a = calloc(1, sizeof(*a))) == NULL || (a->dir = strdup(c->dir)) ==
	    NULL || (a->name = strdup(c->name)) == NULL ||
	    (a->address = strdup(c->address)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	a->lock_fd = -1;
	a->epoch_max = c->epoch_max > 0 ? c->epoch_max : ARCHIVE_EPOCH_DEFAULT;
	if (make_dirs(a->dir, err) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/git", a->dir);
	if (archive_make_dir(path, err) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/inbox.lock", a->dir);
	if ((a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) ==
	    -1) {
		err_set(err, ARCHIVE_E_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (lock_take(a, err) == -1)
		goto fail;
	n = newest_epoch(a->dir);
	rc = open_epoch(a, n < 0 ? 0 : (unsigned)n, err);
	lock_give(a);
	if (rc == -1)
		goto fail;
	return a;
fail:
	archive_close(a);
	return NULL;
}

void
archive_close(struct archive *a)
{
	if (a == NULL)
		return;
	if (a->git != NULL)
		git_repository_free(a->git);
	if (a->lock_fd != -1)
		close(a->lock_fd);
	free(a->dir);
	free(a->name);
	free(a->address);
	free(a);
	git_libgit2_shutdown();
}

unsigned
archive_epoch(const struct archive *a)
{
	return a->epoch;
}

const char *
archive_tip(const struct archive *a)
{
	return a->tip;
}

/* The blob "m" of commit tip in git into m; 1 if there is none. */
static int
tip_blob(git_repository *git, const git_oid *tip, git_oid *m,
    struct err *err)
{
	git_commit		*c;
	git_tree		*t;
	const git_tree_entry	*e;
	int			 rc = 1;

	if (git_commit_lookup(&c, git, tip) != 0) {
		archive_git_err(err, "tip");
		return -1;
	}
	if (git_commit_tree(&t, c) != 0) {
		archive_git_err(err, "tip's tree");
		git_commit_free(c);
		return -1;
	}
	if ((e = git_tree_entry_byname(t, "m")) != NULL) {
		git_oid_cpy(m, git_tree_entry_id(e));
		rc = 0;
	}
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

/* The newest commit of the inbox (this epoch's tip or, for an epoch
 * still empty, the one before's): is its m exactly blob? */
static int
is_last(struct archive *a, const git_oid *blob, struct err *err)
{
	git_repository	*prev;
	git_oid		 tip, m;
	char		 path[4096], hex[GIT_OID_HEXSZ + 1];
	int		 r;

	if (read_tip(a->git, &tip, hex, err) == -1)
		return -1;
	if (hex[0] != '\0') {
		if ((r = tip_blob(a->git, &tip, &m, err)) != 0)
			return r == 1 ? 0 : -1;
		return git_oid_equal(&m, blob) ? 1 : 0;
	}
	if (a->epoch == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/git/%u.git", a->dir, a->epoch - 1);
	if (git_repository_open_bare(&prev, path) != 0) {
		archive_git_err(err, path);
		return -1;
	}
	r = 0;
	if (read_tip(prev, &tip, hex, err) == -1)
		r = -1;
	else if (hex[0] != '\0') {
		r = tip_blob(prev, &tip, &m, err);
		r = r == 0 ? git_oid_equal(&m, blob) : r == 1 ? 0 : -1;
	}
	git_repository_free(prev);
	return r;
}

/* The size of the loose object oid, if it is one. */
static long long
loose_size(const struct archive *a, const git_oid *oid)
{
	struct stat	st;
	char		hex[GIT_OID_HEXSZ + 1], path[4200];

	git_oid_tostr(hex, sizeof(hex), oid);
	snprintf(path, sizeof(path), "%s/git/%u.git/objects/%.2s/%s", a->dir,
	    a->epoch, hex, hex + 2);
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* "+HHMM" / "-HHMM" of a zone in minutes. */
static void
zone(int tz, char out[6])
{
	int	m = tz < 0 ? -tz : tz;

	snprintf(out, 6, "%c%02d%02d", tz < 0 ? '-' : '+', (m / 60) % 100,
	    m % 60);
}

/* Writes the tree of blob and the commit on parent (NULL: none). */
static int
write_commit(struct archive *a, const struct archive_info *in,
    const git_oid *blob, const git_oid *parent, git_oid *commit,
    struct err *err)
{
	git_odb		*odb;
	git_oid		 tree;
	struct buf	 b;
	char		 hex[GIT_OID_HEXSZ + 1], az[6], cz[6];
	unsigned char	 entry[32];
	int		 rc = -1;

	if (git_repository_odb(&odb, a->git) != 0) {
		archive_git_err(err, "odb");
		return -1;
	}
	memcpy(entry, "100644 m", 9);	/* with its NUL */
	memcpy(entry + 9, blob->id, GIT_OID_RAWSZ);
	if (git_odb_write(&tree, odb, entry, 9 + GIT_OID_RAWSZ,
	    GIT_OBJECT_TREE) != 0) {
		archive_git_err(err, "tree");
		goto done;
	}
	zone(in->author_tz, az);
	zone(in->commit_tz, cz);
	buf_init(&b, 4 * ARCHIVE_NAME_MAX + ARCHIVE_SUBJECT_MAX + 512);
	git_oid_tostr(hex, sizeof(hex), &tree);
	if (buf_printf(&b, err, "tree %s\n", hex) == -1)
		goto done_b;
	if (parent != NULL) {
		git_oid_tostr(hex, sizeof(hex), parent);
		if (buf_printf(&b, err, "parent %s\n", hex) == -1)
			goto done_b;
	}
	if (buf_printf(&b, err, "author %s <%s> %lld %s\n"
	    "committer %s <%s> %lld %s\n\n%s\n", in->name, in->email,
	    (long long)in->author_time, az, a->name, a->address,
	    (long long)in->commit_time, cz, in->subject) == -1)
		goto done_b;
	if (git_odb_write(commit, odb, b.data, b.len, GIT_OBJECT_COMMIT) !=
	    0) {
		archive_git_err(err, "commit");
		goto done_b;
	}
	a->epoch_bytes += loose_size(a, &tree) + loose_size(a, commit);
	rc = 0;
done_b:
	buf_fini(&b);
done:
	git_odb_free(odb);
	return rc;
}

static int
add_lf(struct archive *a, const char *msg, size_t len, time_t now,
    struct err *err)
{
	struct archive_info	 in;
	git_reference		*ref = NULL;
	git_odb			*odb;
	git_oid			 blob, tip, commit;
	char			 hex[GIT_OID_HEXSZ + 1];
	int			 r, rc = -1;

	if (lock_take(a, err) == -1)
		return -1;
	if (git_odb_hash(&blob, msg, len, GIT_OBJECT_BLOB) != 0) {
		archive_git_err(err, "hash");
		goto done;
	}
	if ((r = is_last(a, &blob, err)) != 0) {
		rc = r == 1 ? 1 : -1;
		goto done;
	}
	if ((double)a->epoch_bytes >= (double)a->epoch_max * PACKING_FACTOR &&
	    read_tip(a->git, &tip, hex, err) == 0 && hex[0] != '\0' &&
	    open_epoch(a, a->epoch + 1, err) == -1)
		goto done;
	if (read_tip(a->git, &tip, hex, err) == -1)
		goto done;
	archive_info_get(msg, len, now, &in);
	if (git_repository_odb(&odb, a->git) != 0) {
		archive_git_err(err, "odb");
		goto done;
	}
	r = git_odb_write(&blob, odb, msg, len, GIT_OBJECT_BLOB);
	git_odb_free(odb);
	if (r != 0) {
		archive_git_err(err, "blob");
		goto done;
	}
	a->epoch_bytes += loose_size(a, &blob);
	if (write_commit(a, &in, &blob, hex[0] != '\0' ? &tip : NULL, &commit,
	    err) == -1)
		goto done;
	if (hex[0] != '\0')
		r = git_reference_create_matching(&ref, a->git, BRANCH,
		    &commit, 1, &tip, "archive");
	else
		r = git_reference_create(&ref, a->git, BRANCH, &commit, 0,
		    "archive");
	if (r != 0) {
		archive_git_err(err, BRANCH);
		goto done;
	}
	git_reference_free(ref);
	git_oid_tostr(a->tip, sizeof(a->tip), &commit);
	rc = 0;
done:
	lock_give(a);
	return rc;
}

/* msg with its CRLFs as LFs, in a malloc'ed copy (*n_out bytes). */
static char *
to_lf(const char *msg, size_t len, size_t *n_out, struct err *err)
{
	char	*out;
	size_t	 i, k = 0;

	if ((out = malloc(len + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
			continue;
		out[k++] = msg[i];
	}
	*n_out = k;
	return out;
}

int
archive_add(struct archive *a, const void *wire, size_t wire_len,
    time_t now, struct err *err)
{
	char	*msg;
	size_t	 len;
	int	 rc;

	if ((msg = to_lf(wire, wire_len, &len, err)) == NULL)
		return -1;
	rc = add_lf(a, msg, len, now, err);
	free(msg);
	return rc;
}
