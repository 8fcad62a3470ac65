/*
 * site.c: the static web view of an inbox (archive.h), written by
 * timbre list archive-html.  Every epoch git/N.git is walked with
 * libgit2 from its first commit to its tip on master; a commit's blob
 * "m" is a message, and a commit whose tree holds "d" instead removes
 * the message that blob is (public-inbox-v2-format(5), "Deletes").
 * html.c makes the pages; this file reads the blobs and writes the
 * files.
 *
 * The whole site is made again on each run, from the inbox alone, so a
 * run after new posts leaves what one run over the whole archive would:
 * a page whose bytes change goes to NAME.tmp, is fsync'ed and renamed
 * over NAME (a reader sees the old page or the new, never half of one),
 * a page whose bytes would not change is not touched, and a page no
 * thread or month needs any more (a thread merged into another when its
 * missing parent arrived) is removed.  The parts a thread page lists
 * but does not show are stored as a/ID/K.bin (ID the message's blob),
 * written once, and removed with their message.
 *
 * A new post changes one thread, so only that thread's page is made
 * again: OUTDIR/.timbre-archive-html keeps, for each thread page, the
 * SHA-1 of what it was made of (its messages, their times and parents,
 * and the title), and a page whose key did not change and is on disk
 * is neither made nor read.  The file is written last: a run that
 * fails leaves the old keys, whose pages the next run makes again.
 * Without the file (or with another title) every page is made; so a
 * page edited or damaged by hand is mended by removing it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "archive/archive.h"
#include "archive/archive_priv.h"
#include "util/buf.h"
#include "util/err.h"

#define PAGE_MAX	(512u * 1024 * 1024)
#define FEED_ENTRIES	30
#define STATE_NAME	".timbre-archive-html"
#define STATE_MAGIC	"timbre archive-html 1"	/* bump when pages change */
#define STATE_HEAD	(sizeof(STATE_MAGIC) + GIT_OID_HEXSZ + 2)
#define STATE_MAX	(64u * 1024 * 1024)

/* A thread page of the last run: its name and what it was made of. */
struct made {
	char	id[GIT_OID_HEXSZ + 1];
	char	key[GIT_OID_HEXSZ + 1];
};

struct site {
	git_repository	**epochs;
	size_t		  nepochs;
	struct archive_msg *v;
	unsigned	 *epoch_of;	/* of each message */
	size_t		  n, cap;
	git_blob	 *blob;		/* the one raw() handed out */
	struct archive_site_stats *st;
	const char	 *out;		/* OUTDIR */
	struct made	 *old, *now;	/* the state file's, this run's */
	size_t		  nold, nnow;
};

/* archive_raw_fn: the blob of message i. */
static int
raw(void *arg, size_t i, const char **p_out, size_t *n_out)
{
	struct site	*s = arg;
	git_oid		 oid;

	git_blob_free(s->blob);
	s->blob = NULL;
	if (git_oid_fromstr(&oid, s->v[i].id) != 0 ||
	    git_blob_lookup(&s->blob, s->epochs[s->epoch_of[i]], &oid) != 0)
		return -1;
	*p_out = git_blob_rawcontent(s->blob);
	*n_out = (size_t)git_blob_rawsize(s->blob);
	if (*p_out == NULL)
		*p_out = "";
	return 0;
}

/* Drops the message whose blob is oid (a "d" commit). */
static void
drop(struct site *s, const char *hex)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, hex) == 0) {
			archive_msg_fini(&s->v[i]);
			memmove(s->v + i, s->v + i + 1, (s->n - i - 1) *
			    sizeof(*s->v));
			memmove(s->epoch_of + i, s->epoch_of + i + 1,
			    (s->n - i - 1) * sizeof(*s->epoch_of));
			s->n--;
			return;
		}
}

/* One commit of epoch e: a message added, or one deleted. */
static int
read_commit(struct site *s, unsigned e, const git_oid *c_oid,
    struct err *err)
{
	git_repository		*git = s->epochs[e];
	git_commit		*c;
	git_tree		*t;
	git_blob		*b;
	const git_tree_entry	*m, *d;
	char			 hex[GIT_OID_HEXSZ + 1];
	void			*nv;
	int			 rc = -1;

	if (git_commit_lookup(&c, git, c_oid) != 0) {
		archive_git_err(err, "commit");
		return -1;
	}
	if (git_commit_tree(&t, c) != 0) {
		archive_git_err(err, "tree");
		git_commit_free(c);
		return -1;
	}
	m = git_tree_entry_byname(t, "m");
	d = git_tree_entry_byname(t, "d");
	if (m == NULL) {
		if (d != NULL) {
			git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(d));
			drop(s, hex);
		}
		rc = 0;
		goto done;
	}
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 256 : s->cap * 2;
		if ((nv = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			goto nomem;
		s->v = nv;
		if ((nv = realloc(s->epoch_of, s->cap *
		    sizeof(*s->epoch_of))) == NULL)
			goto nomem;
		s->epoch_of = nv;
	}
	if (git_blob_lookup(&b, git, git_tree_entry_id(m)) != 0) {
		archive_git_err(err, "blob");
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(m));
	if (archive_msg_parse(git_blob_rawcontent(b) != NULL ?
	    git_blob_rawcontent(b) : "", (size_t)git_blob_rawsize(b), hex,
	    (int64_t)git_commit_time(c), &s->v[s->n], err) == 0) {
		s->epoch_of[s->n++] = e;
		rc = 0;
	}
	git_blob_free(b);
	goto done;
nomem:
	err_set(err, ERR_NOMEM, "out of memory");
done:
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

/* Every commit of epoch e, oldest first. */
static int
read_epoch(struct site *s, unsigned e, struct err *err)
{
	git_revwalk	*w;
	git_oid		 oid;
	int		 r, rc = 0;

	if (git_revwalk_new(&w, s->epochs[e]) != 0) {
		archive_git_err(err, "revwalk");
		return -1;
	}
	git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	r = git_revwalk_push_ref(w, "refs/heads/master");
	if (r == GIT_ENOTFOUND) {
		git_revwalk_free(w);
		return 0;
	}
	if (r != 0) {
		archive_git_err(err, "master");
		git_revwalk_free(w);
		return -1;
	}
	while (rc == 0 && (r = git_revwalk_next(&oid, w)) == 0)
		rc = read_commit(s, e, &oid, err);
	if (rc == 0 && r != GIT_ITEROVER) {
		archive_git_err(err, "revwalk");
		rc = -1;
	}
	git_revwalk_free(w);
	return rc;
}

/* Opens git/0.git, git/1.git, ... up to the first one missing. */
static int
open_epochs(struct site *s, const char *inbox, struct err *err)
{
	git_repository	*g;
	struct stat	 st;
	char		 path[4200];
	void		*nv;

	for (;;) {
		snprintf(path, sizeof(path), "%s/git/%zu.git", inbox,
		    s->nepochs);
		if (stat(path, &st) == -1)
			break;
		if (git_repository_open_bare(&g, path) != 0) {
			archive_git_err(err, path);
			return -1;
		}
		if ((nv = realloc(s->epochs, (s->nepochs + 1) *
		    sizeof(*s->epochs))) == NULL) {
			git_repository_free(g);
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
		s->epochs = nv;
		s->epochs[s->nepochs++] = g;
	}
	if (s->nepochs == 0) {
		err_set(err, ARCHIVE_E_LAYOUT, "%s: no git/0.git: not a "
		    "public-inbox v2 inbox", inbox);
		return -1;
	}
	return 0;
}

/* Whether path holds exactly b's bytes. */
static bool
same(const char *path, const struct buf *b)
{
	struct stat	 st;
	char		*d;
	FILE		*f;
	bool		 eq = false;

	if (stat(path, &st) == -1 || (size_t)st.st_size != b->len)
		return false;
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if ((d = malloc(b->len + 1)) != NULL)
		eq = fread(d, 1, b->len, f) == b->len && memcmp(d, b->data,
		    b->len) == 0;
	free(d);
	fclose(f);
	return eq;
}

/* dir/name from b (archive_write_file), if its bytes change. */
static int
put_file(struct site *s, const char *dir, const char *name,
    const struct buf *b, struct err *err)
{
	char	path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (same(path, b))
		return 0;
	if (archive_write_file(path, b->data != NULL ? b->data : "", b->len,
	    err) == -1)
		return -1;
	s->st->written++;
	return 0;
}

/*
 * archive_part_fn: OUTDIR/a/ID/K.bin.  The blob ID is the message's
 * bytes and K their K-th listed part, so a file of the right size is
 * the part already: it is not read again (a 20 MB attachment costs its
 * decoding on each run, not its writing).
 */
static int
put_part(void *arg, const char *id, unsigned k, const char *p, size_t n,
    struct err *err)
{
	struct site	*s = arg;
	struct stat	 st;
	char		 path[4200];

	snprintf(path, sizeof(path), "%s/" ARCHIVE_PART_DIR, s->out);
	if (archive_make_dir(path, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/" ARCHIVE_PART_DIR "/%s", s->out,
	    id);
	if (archive_make_dir(path, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/" ARCHIVE_PART_DIR "/%s/%u.bin",
	    s->out, id, k);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == n)
		return 0;
	if (archive_write_file(path, p, n, err) == -1)
		return -1;
	s->st->written++;
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the state file: which thread pages need making again ---- */

static int
made_cmp(const void *a, const void *b)
{
	return strcmp(((const struct made *)a)->id,
	    ((const struct made *)b)->id);
}

/* The first line of the state file: the format and the title. */
static int
state_head(const struct archive_site_conf *c, char out[STATE_HEAD],
    struct err *err)
{
	git_oid	oid;
	char	hex[GIT_OID_HEXSZ + 1];

	if (git_odb_hash(&oid, c->title, strlen(c->title),
	    GIT_OBJECT_BLOB) != 0) {
		archive_git_err(err, "hash");
		return -1;
	}
	git_oid_tostr(hex, sizeof(hex), &oid);
	snprintf(out, STATE_HEAD, "%s %s", STATE_MAGIC, hex);
	return 0;
}

/*
 * Reads OUTDIR/.timbre-archive-html into s->old, sorted: what each
 * thread page was made of.  A file that is missing, of another format
 * or title, or that does not parse is no state: every page is made.
 */
static void
state_read(struct site *s, const struct archive_site_conf *c)
{
	char		 path[4200], head[STATE_HEAD], line[256];
	struct err	 err;
	FILE		*f;
	size_t		 cap = 0;
	void		*nv;

	snprintf(path, sizeof(path), "%s/" STATE_NAME, c->out);
	if (state_head(c, head, &err) == -1 ||
	    (f = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL ||
	    strcspn(line, "\n") != strlen(head) ||
	    strncmp(line, head, strlen(head)) != 0)
		goto done;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strlen(line) != 2 * GIT_OID_HEXSZ + 2 ||
		    line[GIT_OID_HEXSZ] != ' ' || strspn(line,
		    "0123456789abcdef") != GIT_OID_HEXSZ || strspn(line +
		    GIT_OID_HEXSZ + 1, "0123456789abcdef") != GIT_OID_HEXSZ)
			goto bad;
		if (s->nold == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if (cap > STATE_MAX / sizeof(*s->old) ||
			    (nv = realloc(s->old, cap * sizeof(*s->old))) ==
			    NULL)
				goto bad;
			s->old = nv;
		}
		memcpy(s->old[s->nold].id, line, GIT_OID_HEXSZ);
		s->old[s->nold].id[GIT_OID_HEXSZ] = '\0';
		memcpy(s->old[s->nold].key, line + GIT_OID_HEXSZ + 1,
		    GIT_OID_HEXSZ);
		s->old[s->nold].key[GIT_OID_HEXSZ] = '\0';
		s->nold++;
	}
	qsort(s->old, s->nold, sizeof(*s->old), made_cmp);
	goto done;
bad:
	s->nold = 0;
done:
	fclose(f);
}

/*
 * What the page of thread t is made of: the SHA-1 of its messages, in
 * archive order, each with its time and its parent (a thread page shows
 * nothing else of the archive).  Same key, same page.
 */
static int
thread_key(struct site *s, size_t t, struct made *out, struct err *err)
{
	struct buf	b;
	git_oid		oid;
	size_t		i;
	int		rc = 0;

	buf_init(&b, 1u << 30);
	for (i = t; i != (size_t)-1 && rc == 0; i = s->v[i].next)
		rc = buf_printf(&b, err, "%s %lld %s\n", s->v[i].id,
		    (long long)s->v[i].time, s->v[i].parent != (size_t)-1 ?
		    s->v[s->v[i].parent].id : "-");
	if (rc == 0 && git_odb_hash(&oid, b.data != NULL ? b.data : "",
	    b.len, GIT_OBJECT_BLOB) != 0) {
		archive_git_err(err, "hash");
		rc = -1;
	}
	buf_fini(&b);
	if (rc == 0) {
		snprintf(out->id, sizeof(out->id), "%.40s", s->v[t].id);
		git_oid_tostr(out->key, sizeof(out->key), &oid);
	}
	return rc;
}

/* Whether the page of m is on disk as the last run made it. */
static bool
is_made(const struct site *s, const char *tdir, const struct made *m)
{
	const struct made	*o;
	struct stat		 st;
	char			 path[4300];

	if (s->nold == 0)	/* bsearch of NULL: undefined */
		return false;
	o = bsearch(m, s->old, s->nold, sizeof(*s->old), made_cmp);
	if (o == NULL || strcmp(o->key, m->key) != 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s.html", tdir, m->id);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Writes s->now as the state file, last, once every page is written. */
static int
state_write(struct site *s, const struct archive_site_conf *c,
    struct err *err)
{
	struct buf	b;
	char		head[STATE_HEAD];
	size_t		i;
	int		rc;

	if (state_head(c, head, err) == -1)
		return -1;
	buf_init(&b, STATE_MAX);
	rc = buf_printf(&b, err, "%s\n", head);
	for (i = 0; i < s->nnow && rc == 0; i++)
		rc = buf_printf(&b, err, "%s %s\n", s->now[i].id,
		    s->now[i].key);
	if (rc == 0)
		rc = put_file(s, c->out, STATE_NAME, &b, err);
	buf_fini(&b);
	return rc;
}

/* Whether name is a month's page: YYYY-MM or YYYY-MM-K. */
static bool
is_month_page(const char *name, size_t l)
{
	if (l < 7 || strspn(name, "0123456789") != 4 || name[4] != '-' ||
	    strspn(name + 5, "0123456789") != 2)
		return false;
	return l == 7 || (l > 8 && name[7] == '-' && name[8] != '0' &&
	    strspn(name + 8, "0123456789") == l - 8);
}

/*
 * Removes the pages of dir that this run did not write: in t/ (threads)
 * NAME.html of 40 hex digits, in OUTDIR YYYY-MM.html and YYYY-MM-K.html;
 * keep[0..nkeep), sorted, the NAMEs written.
 */
static void
sweep(struct site *s, const char *dir, bool threads, char **keep,
    size_t nkeep)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[4200], base[64], *key = base;
	size_t		 l;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l < 6 || l >= sizeof(base) + 5 ||
		    strcmp(e->d_name + l - 5, ".html") != 0)
			continue;
		if (threads ? l != GIT_OID_HEXSZ + 5 || strspn(e->d_name,
		    "0123456789abcdef") != GIT_OID_HEXSZ :
		    !is_month_page(e->d_name, l - 5))
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(l - 5), e->d_name);
		if (bsearch(&key, keep, nkeep, sizeof(*keep), str_cmp) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) == 0)
			s->st->removed++;
	}
	closedir(d);
}

/*
 * Removes OUTDIR/a/ID/ of every message the inbox no longer holds (a
 * "d" commit): the directories of 40 hex digits whose name is not in
 * keep[0..nkeep), sorted, and the K.bin files in them.
 */
static void
sweep_parts(struct site *s, char **keep, size_t nkeep)
{
	DIR		*d, *pd;
	struct dirent	*e, *pe;
	char		 dir[4200], path[4400];
	const char	*key;

	snprintf(dir, sizeof(dir), "%s/" ARCHIVE_PART_DIR, s->out);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		key = e->d_name;
		if (strlen(key) != GIT_OID_HEXSZ || strspn(key,
		    "0123456789abcdef") != GIT_OID_HEXSZ ||
		    bsearch(&key, keep, nkeep, sizeof(*keep), str_cmp) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, key);
		if ((pd = opendir(path)) == NULL)
			continue;
		while ((pe = readdir(pd)) != NULL) {
			size_t l = strlen(pe->d_name);

			if (l < 5 || strcmp(pe->d_name + l - 4, ".bin") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", dir, key,
			    pe->d_name);
			if (unlink(path) == 0)
				s->st->removed++;
		}
		closedir(pd);
		snprintf(path, sizeof(path), "%s/%s", dir, key);
		(void)rmdir(path);
	}
	closedir(d);
}

static int
write_pages(struct site *s, const struct archive_site_conf *c,
    time_t now, struct err *err)
{
	struct archive_view	  w;
	struct buf		  b;
	char			(*months)[16] = NULL;
	char			(*pages)[48] = NULL;
	char			**keep = NULL;
	char			  tdir[4200], name[80], feed[GIT_OID_HEXSZ + 1];
	git_oid			  oid;
	size_t			  i, k, nm = 0, np = 0, pg, npg;
	int			  rc = -1;

	memset(&w, 0, sizeof(w));
	w.title = c->title;
	w.url = c->url;
	w.v = s->v;
	w.n = s->n;
	w.now = now;
	w.part = put_part;
	w.part_arg = s;
	s->out = c->out;
	snprintf(tdir, sizeof(tdir), "%s/t", c->out);
	if (archive_make_dir(c->out, err) == -1 ||
	    archive_make_dir(tdir, err) == -1)
		return -1;
	buf_init(&b, PAGE_MAX);
	state_read(s, c);
	if ((s->now = calloc(s->n + 1, sizeof(*s->now))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < s->n; i++) {
		if (s->v[i].thread != i)
			continue;
		s->st->threads++;
		if (thread_key(s, i, &s->now[s->nnow], err) == -1)
			goto done;
		if (is_made(s, tdir, &s->now[s->nnow++]))
			continue;
		buf_reset(&b);
		snprintf(name, sizeof(name), "%s.html", s->v[i].id);
		if (archive_html_thread(&w, i, raw, s, &b, err) == -1 ||
		    put_file(s, tdir, name, &b, err) == -1)
			goto done;
	}
	if ((months = calloc(s->n + 1, 16)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	nm = archive_months(&w, months, s->n);
	s->st->months = nm;
	/* At most one page per thread, and one per month without any. */
	if ((pages = calloc(s->n + nm + 1, sizeof(*pages))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < nm; i++) {
		npg = archive_month_pages(&w, months[i]);
		for (pg = 1; pg <= npg && np < s->n + nm; pg++) {
			buf_reset(&b);
			archive_month_name(months[i], pg, pages[np]);
			snprintf(name, sizeof(name), "%s.html", pages[np++]);
			if (archive_html_month(&w, months[i], pg, &b,
			    err) == -1 || put_file(s, c->out, name, &b,
			    err) == -1)
				goto done;
		}
	}
	buf_reset(&b);
	if (archive_html_index(&w, &b, err) == -1 ||
	    put_file(s, c->out, "index.html", &b, err) == -1)
		goto done;
	/* The feed's id: a name-based UUID of the title and the URL. */
	buf_reset(&b);
	if (buf_printf(&b, err, "timbre archive %s %s", c->title,
	    c->url != NULL ? c->url : "") == -1)
		goto done;
	if (git_odb_hash(&oid, b.data, b.len, GIT_OBJECT_BLOB) != 0) {
		archive_git_err(err, "hash");
		goto done;
	}
	git_oid_tostr(feed, sizeof(feed), &oid);
	buf_reset(&b);
	if (archive_html_atom(&w, feed, FEED_ENTRIES, raw, s, &b, err) == -1 ||
	    put_file(s, c->out, "atom.xml", &b, err) == -1)
		goto done;
	if ((keep = calloc(s->n + np + 1, sizeof(*keep))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = k = 0; i < s->n; i++)
		if (s->v[i].thread == i)
			keep[k++] = s->v[i].id;
	qsort(keep, k, sizeof(*keep), str_cmp);
	sweep(s, tdir, true, keep, k);
	for (i = 0; i < s->n; i++)
		keep[i] = s->v[i].id;
	qsort(keep, s->n, sizeof(*keep), str_cmp);
	sweep_parts(s, keep, s->n);
	for (i = 0; i < np; i++)
		keep[i] = pages[i];
	qsort(keep, np, sizeof(*keep), str_cmp);
	sweep(s, c->out, false, keep, np);
	rc = state_write(s, c, err);
done:
	free(keep);
	free(pages);
	free(months);
	buf_fini(&b);
	return rc;
}

int
archive_site_write(const struct archive_site_conf *c, time_t now,
    struct archive_site_stats *st, struct err *err)
{
	struct site	s;
	size_t		i;
	int		rc = -1;

	memset(st, 0, sizeof(*st));
	memset(&s, 0, sizeof(s));
	s.st = st;
	if (git_libgit2_init() < 0) {
		archive_git_err(err, "libgit2");
		return -1;
	}
	if (open_epochs(&s, c->inbox, err) == -1)
		goto done;
	for (i = 0; i < s.nepochs; i++)
		if (read_epoch(&s, (unsigned)i, err) == -1)
			goto done;
	st->messages = s.n;
	if (archive_thread(s.v, s.n, err) == -1 ||
	    write_pages(&s, c, now, err) == -1)
		goto done;
	rc = 0;
done:
	git_blob_free(s.blob);
	free(s.old);
	free(s.now);
	for (i = 0; i < s.n; i++)
		archive_msg_fini(&s.v[i]);
	free(s.v);
	free(s.epoch_of);
	for (i = 0; i < s.nepochs; i++)
		git_repository_free(s.epochs[i]);
	free(s.epochs);
	git_libgit2_shutdown();
	return rc;
}
