/*
 * repo.c: fetch, read, commit and push the zone repository with libgit2
 * (see repo.h for the model: a bare clone whose branch tip is only ever
 * a commit the remote has).
 *
 * On an SSH remote every network call goes through the transport of
 * ssh.c (libssh, with deadlines), handed to libgit2 in the callbacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "git/repo.h"
#include "git/repo_priv.h"
#include "util/buf.h"
#include "util/err.h"

struct repo {
	git_repository	*git;
	char		*url;
	char		*branch;	/* NULL until known */
	struct repo_ssh	*ssh;		/* NULL unless the remote is SSH */
	char		 push_err[160];
	char		 head[GIT_OID_HEXSZ + 1];
};

static void
git_err(struct err *err, const char *what)
{
	const git_error	*e = git_error_last();

	err_set(err, REPO_E_GIT, "%s: %s", what,
	    e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* libgit2 asks for the transport of each network call: on SSH, ours. */
static int
transport_cb(git_transport **out, git_remote *owner, void *payload)
{
	struct repo	*r = payload;

	return repo_ssh_transport(out, owner, r->ssh);
}

static int
push_ref_cb(const char *ref, const char *status, void *payload)
{
	struct repo	*r = payload;

	if (status != NULL)
		snprintf(r->push_err, sizeof(r->push_err), "%s: %s", ref,
		    status);
	return 0;
}

static void
callbacks(struct repo *r, git_remote_callbacks *cb)
{
	if (r->ssh != NULL) {
		cb->transport = transport_cb;
		repo_ssh_clear(r->ssh);
	}
	cb->push_update_reference = push_ref_cb;
	cb->payload = r;
	r->push_err[0] = '\0';
}

/* After a failed network call: the transport's own account (a timeout,
 * an untrusted host key) beats libgit2's. */
static void
net_err(struct repo *r, struct err *err, const char *what)
{
	if (repo_ssh_failure(r->ssh, what, err) == 0)
		git_err(err, what);
}

static void
set_head(struct repo *r, const git_oid *oid)
{
	if (oid == NULL)
		r->head[0] = '\0';
	else
		git_oid_tostr(r->head, sizeof(r->head), oid);
}

/*
 * The daemon's clone is configured by the daemon alone: libgit2 reads no
 * system, XDG or global (~/.gitconfig) file.  Besides making what is
 * served independent of whoever started it, this matters after --user:
 * HOME still names root's home, which the user may not even stat, and
 * libgit2 then fails every operation.
 */
static void
no_outside_config(void)
{
	static const int levels[] = { GIT_CONFIG_LEVEL_SYSTEM,
	    GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
	    GIT_CONFIG_LEVEL_PROGRAMDATA };
	size_t	i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		(void)git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
}

struct repo *
repo_open(const struct repo_config *c, struct err *err)
{
	struct repo	*r;
	git_remote	*remote = NULL;
	const char	*hash;
	char		 path[4096];
	int		 changed;

	git_libgit2_init();
	no_outside_config();
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((hash = strrchr(c->remote, '#')) != NULL) {
		r->url = strndup(c->remote, hash - c->remote);
		if (hash[1] != '\0')
			r->branch = strdup(hash + 1);
	} else
		r->url = strdup(c->remote);
	if (r->url == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (r->url[0] == '\0') {
		err_set(err, REPO_E_URL, "remote: empty URL");
		goto fail;
	}
	if (repo_ssh_is_url(r->url) && (r->ssh = repo_ssh_new(c, err)) == NULL) {
		err_prefix(err, "remote %s", r->url);
		goto fail;
	}
	if (mkdir(c->workdir, 0700) == -1 && errno != EEXIST) {
		err_set(err, ERR_IO, "%s: %s", c->workdir, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/git", c->workdir);
	if (git_repository_open_bare(&r->git, path) != 0 &&
	    git_repository_init(&r->git, path, 1) != 0) {
		git_err(err, path);
		goto fail;
	}
	if (git_remote_lookup(&remote, r->git, "origin") == 0) {
		if (strcmp(git_remote_url(remote), r->url) != 0 &&
		    git_remote_set_url(r->git, "origin", r->url) != 0) {
			git_err(err, "set remote url");
			goto fail;
		}
	} else if (git_remote_create(&remote, r->git, "origin",
	    r->url) != 0) {
		git_err(err, "create remote");
		goto fail;
	}
	git_remote_free(remote);
	if (repo_fetch(r, &changed, err) == -1)
		goto fail;
	return r;
fail:
	repo_free(r);
	return NULL;
}

void
repo_free(struct repo *r)
{
	if (r == NULL)
		return;
	git_repository_free(r->git);
	free(r->url);
	free(r->branch);
	repo_ssh_free(r->ssh);
	free(r);
	git_libgit2_shutdown();
}

int
repo_fetch(struct repo *r, int *changed_out, struct err *err)
{
	git_remote		*remote = NULL;
	git_fetch_options	 fo;
	git_remote_callbacks	 cb;
	git_buf			 def = { 0 };
	git_strarray		 specs;
	git_reference		*ref = NULL;
	git_oid			 oid, old;
	char			 spec[600], tracking[300], local[300];
	char			*s = spec;
	int			 had, rc = -1;

	*changed_out = 0;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	if (git_remote_lookup(&remote, r->git, "origin") != 0) {
		git_err(err, "remote");
		return -1;
	}
	if (r->branch == NULL) {
		callbacks(r, &cb);
		if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL,
		    NULL) != 0) {
			net_err(r, err, "fetch");
			goto done;
		}
		if (git_remote_default_branch(&def, remote) != 0) {
			git_err(err, "remote has no default branch");
			git_remote_disconnect(remote);
			goto done;
		}
		git_remote_disconnect(remote);
		r->branch = strdup(strncmp(def.ptr, "refs/heads/", 11) == 0 ?
		    def.ptr + 11 : def.ptr);
		git_buf_dispose(&def);
		if (r->branch == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			goto done;
		}
	}
	snprintf(tracking, sizeof(tracking), "refs/remotes/origin/%s",
	    r->branch);
	snprintf(local, sizeof(local), "refs/heads/%s", r->branch);
	snprintf(spec, sizeof(spec), "+refs/heads/%s:%s", r->branch,
	    tracking);
	specs.strings = &s;
	specs.count = 1;
	callbacks(r, &fo.callbacks);
	if (git_remote_fetch(remote, &specs, &fo, NULL) != 0) {
		net_err(r, err, "fetch");
		goto done;
	}
	if (git_reference_name_to_id(&oid, r->git, tracking) != 0) {
		err_set(err, REPO_E_GIT, "%s: no branch %s", r->url,
		    r->branch);
		goto done;
	}
	had = git_reference_name_to_id(&old, r->git, local) == 0;
	if (!had || !git_oid_equal(&old, &oid)) {
		if (git_reference_create(&ref, r->git, local, &oid, 1,
		    "fetch") != 0) {
			git_err(err, local);
			goto done;
		}
		git_reference_free(ref);
		*changed_out = 1;
	}
	set_head(r, &oid);
	rc = 0;
done:
	git_remote_free(remote);
	return rc;
}

const char *
repo_branch(const struct repo *r)
{
	return r->branch != NULL ? r->branch : "";
}

const char *
repo_head(const struct repo *r)
{
	return r->head;
}

static int
tip_tree(struct repo *r, git_commit **commit_out, git_tree **tree_out,
    struct err *err)
{
	char	local[300];
	git_oid	oid;

	snprintf(local, sizeof(local), "refs/heads/%s", repo_branch(r));
	if (git_reference_name_to_id(&oid, r->git, local) != 0 ||
	    git_commit_lookup(commit_out, r->git, &oid) != 0) {
		git_err(err, local);
		return -1;
	}
	if (git_commit_tree(tree_out, *commit_out) != 0) {
		git_commit_free(*commit_out);
		git_err(err, "tree");
		return -1;
	}
	return 0;
}

int
repo_files(struct repo *r, repo_file_fn fn, void *arg, struct err *err)
{
	git_commit		*commit;
	git_tree		*tree;
	const git_tree_entry	*e;
	git_blob		*blob;
	size_t			 i;
	int			 rc = 0;

	if (tip_tree(r, &commit, &tree, err) == -1)
		return -1;
	for (i = 0; rc == 0 && i < git_tree_entrycount(tree); i++) {
		e = git_tree_entry_byindex(tree, i);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
			continue;
		if (git_blob_lookup(&blob, r->git, git_tree_entry_id(e)) != 0) {
			git_err(err, git_tree_entry_name(e));
			rc = -1;
			break;
		}
		if (fn(git_tree_entry_name(e), git_blob_rawcontent(blob),
		    git_blob_rawsize(blob), arg) == -1) {
			err_set(err, ERR_ARG, "stopped at %s",
			    git_tree_entry_name(e));
			rc = -1;
		}
		git_blob_free(blob);
	}
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int
repo_history(struct repo *r, const char *name, size_t max_commits,
    size_t max_bytes, repo_version_fn fn, void *arg, struct err *err)
{
	char		 local[300];
	git_revwalk	*walk = NULL;
	git_commit	*commit;
	git_tree	*tree;
	git_tree_entry	*e;
	git_blob	*blob;
	git_oid		 oid, prev;
	size_t		 commits = 0, bytes = 0;
	int		 have_prev = 0, rc = 0, stop = 0, gone;

	snprintf(local, sizeof(local), "refs/heads/%s", repo_branch(r));
	if (git_revwalk_new(&walk, r->git) != 0 ||
	    git_revwalk_push_ref(walk, local) != 0) {
		git_err(err, local);
		git_revwalk_free(walk);
		return -1;
	}
	/* The branch's own line of versions, not merged side branches. */
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
	git_revwalk_simplify_first_parent(walk);
	while (!stop && rc == 0 && commits++ < max_commits &&
	    git_revwalk_next(&oid, walk) == 0) {
		if (git_commit_lookup(&commit, r->git, &oid) != 0 ||
		    git_commit_tree(&tree, commit) != 0) {
			git_err(err, "history");
			rc = -1;
			break;
		}
		gone = git_tree_entry_bypath(&e, tree, name) != 0;
		git_tree_free(tree);
		git_commit_free(commit);
		if (gone) {
			stop = fn(NULL, 0, arg);
		} else if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
			git_tree_entry_free(e);
			stop = fn(NULL, 0, arg);
		} else {
			if (have_prev && git_oid_equal(&prev,
			    git_tree_entry_id(e))) {
				git_tree_entry_free(e);
				continue;
			}
			git_oid_cpy(&prev, git_tree_entry_id(e));
			have_prev = 1;
			if (git_blob_lookup(&blob, r->git, &prev) != 0) {
				git_tree_entry_free(e);
				git_err(err, name);
				rc = -1;
				break;
			}
			git_tree_entry_free(e);
			bytes += git_blob_rawsize(blob);
			if (bytes > max_bytes)
				stop = 1;
			else
				stop = fn(git_blob_rawcontent(blob),
				    git_blob_rawsize(blob), arg);
			git_blob_free(blob);
		}
		if (stop == -1) {
			err_set(err, ERR_ARG, "history of %s: stopped", name);
			rc = -1;
		}
	}
	git_revwalk_free(walk);
	return rc;
}

int
repo_commit_push(struct repo *r, const struct repo_change *ch, size_t n,
    const char *msg, struct err *err)
{
	git_commit		*parent = NULL;
	git_tree		*tree = NULL, *newtree = NULL;
	git_treebuilder		*tb = NULL;
	git_signature		*sig = NULL;
	git_remote		*remote = NULL;
	git_push_options	 po;
	git_reference		*ref = NULL;
	git_strarray		 specs;
	git_oid			 blob, treeid, commit;
	char			 local[300], spec[600], *s = spec;
	size_t			 i;
	int			 rc = -1, committed = 0;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	if (tip_tree(r, &parent, &tree, err) == -1)
		return -1;
	if (git_treebuilder_new(&tb, r->git, tree) != 0) {
		git_err(err, "treebuilder");
		goto done;
	}
	for (i = 0; i < n; i++)
		if (git_blob_create_from_buffer(&blob, r->git, ch[i].data,
		    ch[i].len) != 0 || git_treebuilder_insert(NULL, tb,
		    ch[i].name, &blob, GIT_FILEMODE_BLOB) != 0) {
			git_err(err, ch[i].name);
			goto done;
		}
	snprintf(local, sizeof(local), "refs/heads/%s", repo_branch(r));
	if (git_treebuilder_write(&treeid, tb) != 0 ||
	    git_tree_lookup(&newtree, r->git, &treeid) != 0 ||
	    git_signature_now(&sig, "timbre-primaryd",
	    "timbre-primaryd@localhost") != 0 ||
	    git_commit_create(&commit, r->git, local, sig, sig, NULL, msg,
	    newtree, 1, (const git_commit **)&parent) != 0) {
		git_err(err, "commit");
		goto done;
	}
	committed = 1;
	snprintf(spec, sizeof(spec), "%s:%s", local, local);
	specs.strings = &s;
	specs.count = 1;
	callbacks(r, &po.callbacks);
	if (git_remote_lookup(&remote, r->git, "origin") != 0 ||
	    git_remote_push(remote, &specs, &po) != 0) {
		net_err(r, err, "push");
		err->code = REPO_E_PUSH;
		goto done;
	}
	if (r->push_err[0] != '\0') {
		err_set(err, REPO_E_PUSH, "push rejected: %s", r->push_err);
		goto done;
	}
	set_head(r, &commit);
	rc = 0;
done:
	if (rc == -1 && committed) {
		/* Nothing the remote has not got stays on the branch. */
		if (git_reference_create(&ref, r->git, local,
		    git_commit_id(parent), 1, "push failed: rolled back") == 0)
			git_reference_free(ref);
	}
	git_remote_free(remote);
	git_signature_free(sig);
	git_tree_free(newtree);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}
