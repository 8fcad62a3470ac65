/*
 * sync.c: timbre-primaryd between git and DNS, as jobs (primaryd.h):
 * loading the repository's zones and keys (a zone that does not load
 * keeps its previous version, logged with file and line; files that are
 * not zones are left alone), UPDATE committed and pushed before it is
 * answered NOERROR (on a failed push: SERVFAIL, the zone and the clone
 * unchanged), and IXFR answered from the zone file's versions in the git
 * history, read a bounded number at a time.  What runs in the worker
 * (*_run) reads the repository and the db the job started from; what
 * runs in the loop (*_finish) changes d->db and answers.
 *
 * A zone pushed with changed records but a serial that is not newer
 * than the one served (forgotten, or gone back) would strand the
 * secondaries, which only transfer a newer serial (RFC 1982, RFC 1996):
 * the reload serves it with the serial --serial-policy gives after the
 * one served and commits that serial back as an edit of the one number
 * (auth_zone_edit), so git, the served zone and the secondaries agree.
 * A push the remote refuses (it moved on meanwhile) is retried after a
 * fetch, the whole reload done again, FIX_TRIES times; then the bumped
 * serial is served uncommitted and the log says so.  A push whose only
 * change is a lower serial gets the served serial back, which nobody
 * needs to transfer.  IXFR leaves out the versions never served
 * (auth_ixfr_version).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "primaryd.h"
#include "keys/mac.h"
#include "util/buf.h"
#include "util/err.h"

/* How far back IXFR looks: past these, a full zone is sent. */
#define IXFR_MAX_VERSIONS	100
#define IXFR_MAX_COMMITS	1000
#define IXFR_MAX_BYTES		(64 * 1024 * 1024)

/* Pushes of a serial fix-up, each after a fetch but the first. */
#define FIX_TRIES		3
#define ZONE_TEXT_MAX		(64 * 1024 * 1024)

/* A zone a reload gave a newer serial than the one pushed. */
struct fixup {
	struct auth_zone	*nz;		/* served */
	uint32_t		 served;	/* the serial served before */
	uint32_t		 pushed;	/* and the one pushed */
	int			 only;		/* nothing else changed */
};

/* A reload read in the worker: the new db, not yet served. */
struct reload {
	const struct primaryd_sign *sign;
	const struct auth_db	*old;
	struct auth_db		*db;
	struct dns_tsig_keys	*keys;
	int			 keys_bad;
	int			 changed;
	struct fixup		*fx;
	size_t			 nfx;
};

static int
is_keys_file(const char *name)
{
	size_t	n = strlen(name);

	return strcmp(name, "_keys") == 0 ||
	    (n > 6 && strcmp(name + n - 6, "._keys") == 0);
}

/* A zone signed offline is served as it is, expired signatures too (its
 * signing is the operator's), but validators will call it bogus. */
static void
warn_expired(const struct auth_zone *z)
{
	struct tm	tm;
	time_t		when;
	uint32_t	first;
	size_t		n;
	char		date[32];

	if ((n = auth_zone_sigs_expired(z, time(NULL), &first)) == 0)
		return;
	when = (time_t)first;
	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(date, sizeof(date), "%u", first);
	log_warn("zone %s: %zu RRSIG records expired (the first at %s UTC), "
	    "served as they are: validating resolvers will fail the zone "
	    "until it is signed again", auth_zone_name(z), n, date);
}

static int
on_file(const char *name, const uint8_t *p, size_t n, void *arg)
{
	struct reload		*l = arg;
	struct auth_zone	*z, *old;
	struct err		 err;

	if (is_keys_file(name)) {
		if (dns_tsig_keys_load(l->keys, name, (const char *)p, n,
		    &err) == -1) {
			log_warn("keys %s: not reloaded: %s", name, err.msg);
			l->keys_bad = 1;
		}
		return 0;
	}
	old = l->old != NULL ? auth_db_zone(l->old, name) : NULL;
	if ((z = auth_zone_load(name, (const char *)p, n, name,
	    &err)) == NULL) {
		if (old != NULL) {
			log_warn("zone %s: not reloaded, serial %u kept: %s",
			    name, auth_zone_serial(old), err.msg);
			z = auth_zone_ref(old);
		} else if (memmem(p, n, "SOA", 3) != NULL) {
			log_warn("zone %s: not served: %s", name, err.msg);
			return 0;
		} else {
			log_debug("file %s: not a zone, left alone", name);
			return 0;
		}
	}
	warn_expired(z);
	if (auth_db_add_zone(l->db, z, &err) == -1)
		log_error("zone %s: %s", name, err.msg);
	auth_zone_free(z);
	return 0;
}

static void
reload_free(struct reload *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nfx; i++)
		auth_zone_free(l->fx[i].nz);
	free(l->fx);
	auth_db_free(l->db);
	dns_tsig_keys_free(l->keys);
	free(l);
}

/*
 * Fetches (if asked) and reads the tip into a new db, comparing with old
 * (which nobody changes meanwhile).  NULL and err on failure; a fetch
 * that finds the tip where it was gives a reload with changed 0, unless
 * reread (the read before was not served: read again all the same).
 */
static struct reload *
reload_load(struct repo *repo, const struct auth_db *old, int fetch,
    int reread, const struct primaryd_sign *sg, struct err *err)
{
	struct reload	*l;
	uint64_t	 seed;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	l->old = old;
	l->sign = sg;
	l->changed = 1;
	if (fetch && repo_fetch(repo, &l->changed, err) == -1) {
		free(l);
		return NULL;
	}
	if (reread)
		l->changed = 1;
	/* An unchanged tip is read again when signatures are due. */
	if (!l->changed && old != NULL && !primaryd_sign_due(sg, old,
	    time(NULL)))
		return l;
	/* A new key for the hash of each db's reply cache. */
	if (key_random(&seed, sizeof(seed), err) == -1) {
		reload_free(l);
		return NULL;
	}
	if ((l->db = auth_db_new(seed)) == NULL ||
	    (l->keys = dns_tsig_keys_new()) == NULL) {
		reload_free(l);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (repo_files(repo, on_file, l, err) == -1) {
		reload_free(l);
		return NULL;
	}
	return l;
}

/* The served zone's serial, what the push said and what it is served
 * as, for the log and the commit message. */
static void
fix_describe(const struct fixup *x, const char *name, struct buf *b)
{
	struct err	err;

	if (x->only)
		(void)buf_printf(b, &err, "zone %s: serial went back from %u "
		    "to %u, nothing else changed: serial %u kept", name,
		    x->served, x->pushed, x->served);
	else if (x->pushed == x->served)
		(void)buf_printf(b, &err, "zone %s: changed but serial %u "
		    "not incremented: served as serial %u", name, x->pushed,
		    auth_zone_serial(x->nz));
	else
		(void)buf_printf(b, &err, "zone %s: changed but serial went "
		    "back from %u to %u: served as serial %u", name,
		    x->served, x->pushed, auth_zone_serial(x->nz));
}

/* Logs each fix-up with how it ended (what follows the description). */
static void
fix_log(const struct reload *l, const char *how, const char *what)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 1024);
	for (i = 0; i < l->nfx; i++) {
		buf_reset(&b);
		fix_describe(&l->fx[i], auth_zone_name(l->fx[i].nz), &b);
		log_warn("%s, %s%s", b.data, how, what);
	}
	buf_fini(&b);
}

/* The zone pushed (z) and the one served (o): a fix-up in x, its file's
 * text in text; 0 for none needed (or no memory to make it: then the
 * zone is served as pushed, as with --no-serial-fix, and it is logged). */
static int
fix_zone(const struct auth_zone *o, const struct auth_zone *z,
    const struct serial_fix *f, time_t now, struct fixup *x,
    struct buf *text)
{
	struct err	err;
	uint32_t	to;

	/* A zone signed online is compared by the records it was signed
	 * from; its serial is the one served. */
	if (o == NULL || o == z || auth_zone_same(auth_zone_plain(o), z) ||
	    auth_serial_lt(auth_zone_serial(o), auth_zone_serial(z)))
		return 0;
	x->served = auth_zone_serial(o);
	x->pushed = auth_zone_serial(z);
	x->only = auth_zone_same_but_serial(auth_zone_plain(o), z);
	to = x->only ? x->served : auth_serial_next(x->served, f->policy,
	    now);
	/* z was loaded from the pushed text: the edit is of the serial. */
	if ((x->nz = auth_zone_with_serial(z, to, &err)) == NULL ||
	    auth_zone_edit(z, x->nz, text, NULL, &err) == -1 ||
	    auth_zone_set_source(x->nz, text->data, text->len) == -1) {
		log_warn("zone %s: serial %u not fixed: %s", auth_zone_name(z),
		    x->pushed, x->nz == NULL || text->len == 0 ? err.msg :
		    "out of memory");
		auth_zone_free(x->nz);
		x->nz = NULL;
		return 0;
	}
	return 1;
}

/*
 * The zones of l that changed without a newer serial, given one, served
 * from l->db whatever happens, committed and pushed as one commit.  0
 * when there is nothing to fix or the push succeeded; -1 (err) when it
 * failed.
 */
static int
fix_serials(struct repo *repo, struct reload *l, const struct serial_fix *f,
    time_t now, struct err *err)
{
	struct repo_change	*ch = NULL;
	struct buf		*text = NULL, msg, subj;
	struct auth_zone	*z;
	struct fixup		*x;
	size_t			 i, n, nzones;
	int			 rc = -1;

	if (!f->on || l->old == NULL || l->db == NULL)
		return 0;
	nzones = auth_db_nzones(l->db);
	buf_init(&msg, 1024 * 1024);
	buf_init(&subj, 2 * 1024 * 1024);
	if ((l->fx = calloc(nzones + 1, sizeof(*l->fx))) == NULL ||
	    (ch = calloc(nzones + 1, sizeof(*ch))) == NULL ||
	    (text = calloc(nzones + 1, sizeof(*text))) == NULL) {
		log_warn("primary reload: out of memory: serials not fixed");
		rc = 0;
		goto done;
	}
	for (i = 0; i < nzones; i++) {
		z = auth_db_zone_at(l->db, i);
		x = &l->fx[l->nfx];
		buf_init(&text[l->nfx], ZONE_TEXT_MAX);
		if (!fix_zone(auth_db_zone(l->old, auth_zone_name(z)), z, f,
		    now, x, &text[l->nfx])) {
			buf_fini(&text[l->nfx]);
			continue;
		}
		ch[l->nfx].name = auth_zone_name(x->nz);
		ch[l->nfx].data = (const uint8_t *)text[l->nfx].data;
		ch[l->nfx].len = text[l->nfx].len;
		l->nfx++;
	}
	if (l->nfx == 0) {
		rc = 0;
		goto done;
	}
	/* Served from now on, pushed or not. */
	for (i = 0; i < l->nfx; i++)
		auth_db_replace(l->db, auth_zone_ref(l->fx[i].nz));
	/* The subject names each zone and its new serial; the body says
	 * why, for whoever reads git log. */
	(void)buf_printf(&subj, err, "Serial fix-up:");
	for (i = 0; i < l->nfx; i++) {
		x = &l->fx[i];
		(void)buf_printf(&subj, err, "%s %s %u -> %u", i > 0 ? "," : "",
		    auth_zone_name(x->nz), x->pushed, auth_zone_serial(x->nz));
		fix_describe(x, auth_zone_name(x->nz), &msg);
		(void)buf_adds(&msg, "\n", err);
	}
	(void)buf_printf(&msg, err, "\nThe secondaries transfer a zone only "
	    "when its SOA serial is newer than\nthe one they hold (RFC 1982): "
	    "timbre-primaryd serves the serial%s above\n(--serial-policy) and "
	    "records %s here, so that git, the served zone\nand the "
	    "secondaries agree.  Pull before the next change.\n",
	    l->nfx > 1 ? "s" : "", l->nfx > 1 ? "them" : "it");
	if (buf_printf(&subj, err, "\n\n%s", msg.data) == -1)
		goto done;
	rc = repo_commit_push(repo, ch, l->nfx, subj.data, err);
done:
	for (n = 0; text != NULL && n < l->nfx; n++)
		buf_fini(&text[n]);
	free(text);
	free(ch);
	buf_fini(&msg);
	buf_fini(&subj);
	return rc;
}

/*
 * reload_load, then the serial fix-ups (fix_serials).  A fix-up the
 * remote refuses (it moved on: another push came meanwhile) is made
 * again from a new fetch; after FIX_TRIES, or when that fetch fails, the
 * last reload is served with its serials uncommitted.
 */
static struct reload *
reload_read_plain(struct repo *repo, const struct auth_db *old, int fetch,
    const struct serial_fix *f, const struct primaryd_sign *sg,
    struct err *err)
{
	struct reload	*l, *kept = NULL;
	struct err	 ferr;
	char		 how[240];
	int		 try;

	for (try = 1;; try++) {
		if ((l = reload_load(repo, old, fetch || try > 1, try > 1,
		    sg, err)) == NULL) {
			if (kept == NULL)
				return NULL;
			snprintf(how, sizeof(how), "not committed: the fetch "
			    "after the refused push failed: %s", err->msg);
			fix_log(kept, how, "");
			return kept;
		}
		reload_free(kept);
		kept = NULL;
		if (fix_serials(repo, l, f, time(NULL), &ferr) == 0) {
			snprintf(how, sizeof(how), "commit=%.12s",
			    repo_head(repo));
			if (l->nfx > 0)
				fix_log(l, how, "");
			return l;
		}
		if (try == FIX_TRIES) {
			snprintf(how, sizeof(how), "not committed after %d "
			    "pushes: ", try);
			fix_log(l, how, ferr.msg);
			return l;
		}
		log_info("primary fix-up push %d of %d refused, fetching to "
		    "make it again: %s", try, FIX_TRIES, ferr.msg);
		kept = l;
	}
}

/* reload_read_plain, then the zones to sign signed (sign.c in
 * daemons/primaryd): what is served. */
static struct reload *
reload_read(struct repo *repo, const struct auth_db *old, int fetch,
    const struct serial_fix *f, const struct primaryd_sign *sg,
    struct err *err)
{
	struct reload	*l;

	if ((l = reload_read_plain(repo, old, fetch, f, sg, err)) != NULL &&
	    l->db != NULL)
		primaryd_sign_db(sg, l->db, old, f->policy);
	return l;
}

/* Serves what reload_read read (which it takes), NOTIFYing the
 * secondaries of every zone that changed. */
static void
reload_install(struct primaryd *d, struct reload *l, const char *head)
{
	struct auth_zone	*z, *old;
	size_t			 i;

	if (!l->changed && d->db != NULL) {
		log_info("primary fetch commit=%.12s unchanged", head);
		reload_free(l);
		return;
	}
	if (l->keys_bad && d->db != NULL) {
		/* A broken _keys file keeps every key as it was. */
		dns_tsig_keys_free(l->keys);
		auth_db_set_keys(l->db, auth_db_take_keys(d->db));
	} else
		auth_db_set_keys(l->db, l->keys);
	l->keys = NULL;
	auth_db_set_axfr(l->db, d->conf.axfr);
	for (i = 0; i < auth_db_nzones(l->db); i++) {
		z = auth_db_zone_at(l->db, i);
		old = d->db != NULL ? auth_db_zone(d->db, auth_zone_name(z)) :
		    NULL;
		if (old == z || (old != NULL && auth_zone_same(old, z)))
			continue;
		/* Served as pushed (--no-serial-fix): secondaries that
		 * hold the old serial keep the old zone. */
		if (old != NULL && auth_zone_serial(old) ==
		    auth_zone_serial(z))
			log_warn("zone %s: changed but serial %u not "
			    "incremented", auth_zone_name(z),
			    auth_zone_serial(z));
		else if (old != NULL && auth_serial_lt(auth_zone_serial(z),
		    auth_zone_serial(old)))
			log_warn("zone %s: changed but serial went back from "
			    "%u to %u", auth_zone_name(z),
			    auth_zone_serial(old), auth_zone_serial(z));
		log_info("zone %s: loaded serial=%u commit=%.12s",
		    auth_zone_name(z), auth_zone_serial(z), head);
		if (d->db != NULL)
			primaryd_notify_zone(d, z);
	}
	auth_db_free(d->db);
	d->db = l->db;
	l->db = NULL;
	reload_free(l);
	primaryd_publish(d);
}

int
primaryd_reload(struct primaryd *d, int fetch, struct err *err)
{
	struct reload	*l;

	if ((l = reload_read(d->repo, d->db, fetch, &d->fix, &d->sign,
	    err)) == NULL)
		return -1;
	reload_install(d, l, repo_head(d->repo));
	return 0;
}

/* Worker: apply, commit, push; the new zone stays in j->nz. */
static void
update_run(struct primaryd *d, struct job *j)
{
	struct auth_zone	*nz = NULL, *sz = NULL;
	struct auth_req		 req = j->req;
	struct repo_change	 ch;
	struct buf		 sum, text, msg;
	struct err		 err;
	const char		*key = dns_tsig_key_name(j->key);
	int			 rewritten = 0;

	buf_init(&sum, 60000);
	buf_init(&text, 64 * 1024 * 1024);
	buf_init(&msg, 65536);
	/* A zone signed online is updated as git holds it, unsigned, and
	 * signed again (sign.c) before anything is committed. */
	req.zone = (struct auth_zone *)auth_zone_plain(j->req.zone);
	j->rcode = auth_update(&req, j->fix.policy, time(NULL), &nz, &sum,
	    &err);
	if (j->rcode != LDNS_RCODE_NOERROR) {
		log_info("zone %s: update by %s refused rcode=%d%s%s", j->zone,
		    key, j->rcode, nz == NULL && err.msg[0] ? ": " : "",
		    nz == NULL ? err.msg : "");
		goto done;
	}
	if (nz == NULL) {
		log_info("zone %s: update by %s changed nothing", j->zone, key);
		goto done;
	}
	if (primaryd_sign_wanted(&d->sign, j->zone) && (sz =
	    primaryd_sign_update(&d->sign, nz, j->req.zone, j->fix.policy,
	    &err)) == NULL) {
		log_warn("zone %s: update by %s not applied, serial %u kept: "
		    "%s", j->zone, key, auth_zone_serial(j->req.zone),
		    err.msg);
		j->rcode = LDNS_RCODE_SERVFAIL;
		goto done;
	}
	/* The file as the operator wrote it, the changed lines aside. */
	if (auth_zone_edit(req.zone, nz, &text, &rewritten, &err) == -1 ||
	    buf_printf(&msg, &err, "UPDATE by %s: %s\n\nzone %s serial %u\n",
	    key, sum.data, j->zone, auth_zone_serial(nz)) == -1) {
		log_warn("zone %s: update by %s: %s", j->zone, key, err.msg);
		j->rcode = LDNS_RCODE_SERVFAIL;
		goto done;
	}
	ch.name = j->zone;
	ch.data = (const uint8_t *)text.data;
	ch.len = text.len;
	if (repo_commit_push(d->repo, &ch, 1, msg.data, &err) == -1) {
		log_warn("zone %s: update by %s not applied, serial %u kept: "
		    "%s", j->zone, key, auth_zone_serial(j->req.zone),
		    err.msg);
		j->rcode = LDNS_RCODE_SERVFAIL;
		goto done;
	}
	log_info("zone %s: update by %s serial=%u commit=%.12s: %s", j->zone,
	    key, auth_zone_serial(sz != NULL ? sz : nz), repo_head(d->repo),
	    sum.data);
	if (rewritten)
		log_info("zone %s: the file was written anew, one record a "
		    "line (its old text did not match its records)", j->zone);
	/* What the next UPDATE edits (nz is not shared yet). */
	if (auth_zone_set_source(nz, text.data, text.len) == -1)
		log_warn("zone %s: out of memory: the next update rewrites "
		    "the file", j->zone);
	if (sz != NULL) {
		primaryd_sign_keep(&d->sign, sz);
		auth_zone_free(nz);
		nz = sz;
		sz = NULL;
	}
	j->nz = nz;
	nz = NULL;
done:
	auth_zone_free(sz);
	auth_zone_free(nz);
	buf_fini(&sum);
	buf_fini(&text);
	buf_fini(&msg);
}

struct ixfr_walk {
	struct auth_ixfr	*x;
	const char		*name;
	size_t			 versions;
	enum auth_ixfr_step	 step;
};

static int
on_version(const uint8_t *p, size_t n, void *arg)
{
	struct ixfr_walk	*w = arg;
	struct auth_zone	*z = NULL;
	struct err		 err;

	w->versions++;
	if (p != NULL && (z = auth_zone_load(w->name, (const char *)p, n,
	    w->name, &err)) == NULL)
		log_debug("zone %s: ixfr: an old version does not load: %s",
		    w->name, err.msg);
	w->step = auth_ixfr_version(w->x, z);
	return w->step == AUTH_IXFR_MORE ? 0 : 1;
}

/* Worker: the older versions of the zone, into j->ixfr. */
static void
ixfr_run(struct primaryd *d, struct job *j)
{
	struct ixfr_walk	 w;
	struct auth_zone	*z;
	struct err		 err;

	memset(&w, 0, sizeof(w));
	w.name = j->zone;
	if ((w.x = j->ixfr = auth_ixfr_new(&j->req, IXFR_MAX_VERSIONS)) ==
	    NULL) {
		log_warn("primary ixfr to %s: out of memory", j->from);
		return;
	}
	w.step = AUTH_IXFR_MORE;
	if (auth_zone_signed_online(j->req.zone)) {
		/* The versions signed since start, not git's unsigned
		 * ones: older than those, a full transfer. */
		while (w.step == AUTH_IXFR_MORE) {
			z = auth_zone_older(j->req.zone, w.versions);
			if (z != NULL)
				(void)auth_zone_ref(z);
			w.versions++;
			w.step = auth_ixfr_older(w.x, z);
			if (z == NULL)
				break;
		}
		j->versions = w.versions;
		return;
	}
	if (repo_history(d->repo, w.name, IXFR_MAX_COMMITS, IXFR_MAX_BYTES,
	    on_version, &w, &err) == -1)
		log_warn("zone %s: ixfr: history: %s", w.name, err.msg);
	/* The end of the history (or of the walk). */
	if (w.step == AUTH_IXFR_MORE)
		(void)auth_ixfr_version(w.x, NULL);
	j->versions = w.versions;
}

/* Loop: the answer, over TCP as a transfer the connection sends as its
 * client reads.  A job whose history was not read (refused a place on
 * the worker, or out of memory) answers with the full zone (RFC 1995
 * section 4 allows it). */
static void
ixfr_finish(struct job *j)
{
	struct auth_xfr	*x = NULL;
	struct err	 err;
	int		 incremental = 0, rc;

	if (j->ixfr == NULL && (j->ixfr = auth_ixfr_new(&j->req, 0)) ==
	    NULL) {
		log_warn("primary ixfr to %s: out of memory", j->from);
		return;
	}
	if (j->req.tcp && j->sink.transfer != NULL) {
		if ((x = auth_ixfr_xfr(j->ixfr, &incremental, &err)) == NULL)
			rc = -1;
		else
			rc = j->sink.transfer(x, j->sink.arg);
		if (rc == -1 && x != NULL)
			err_set(&err, ERR_IO, "the connection is gone");
	} else
		rc = auth_ixfr_send(j->ixfr, time(NULL), j->sink.emit,
		    j->sink.arg, &incremental, &err);
	if (rc == -1)
		log_warn("primary ixfr to %s: %s", j->from, err.msg);
	else
		log_info("primary ixfr from=%s zone=%s serial=%u->%u %s "
		    "versions=%zu tcp=%d key=%s", j->from, j->zone,
		    j->req.ixfr_serial, auth_zone_serial(j->req.zone),
		    incremental ? "incremental" : "full", j->versions,
		    j->req.tcp,
		    j->key != NULL ? dns_tsig_key_name(j->key) : "-");
}

struct job *
job_new(enum job_kind kind, struct auth_req *req, const uint8_t *p,
    size_t n, const char *from)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->kind = kind;
	snprintf(j->from, sizeof(j->from), "%s", from);
	if (req == NULL)
		return j;
	/* The request's key lives in the db, which a reload may free,
	 * and its bytes in a buffer the next message reuses. */
	if ((req->key != NULL && (j->key = dns_tsig_key_dup(req->key)) ==
	    NULL) || (j->raw = malloc(n)) == NULL) {
		job_free(j);
		return NULL;
	}
	memcpy(j->raw, p, n);
	j->rawlen = n;
	j->req = *req;
	j->has_req = 1;
	memset(req, 0, sizeof(*req));
	j->req.raw = j->raw + (j->req.raw - p);
	j->req.key = j->key;
	snprintf(j->zone, sizeof(j->zone), "%s", auth_zone_name(j->req.zone));
	j->req.zone = NULL;
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->sink.release != NULL)
		j->sink.release(j->sink.arg);
	auth_ixfr_free(j->ixfr);
	auth_zone_free(j->req.zone);
	auth_zone_free(j->nz);
	if (j->has_req)
		auth_req_fini(&j->req);
	dns_tsig_key_free(j->key);
	reload_free(j->reload);
	free(j->raw);
	free(j);
}

int
job_prepare(struct primaryd *d, struct job *j)
{
	struct auth_zone	*z;

	j->old = d->db;
	j->fix = d->fix;	/* UPDATE: the serial policy */
	if (j->kind != JOB_UPDATE && j->kind != JOB_IXFR)
		return 0;
	/* The zone as the jobs before this one left it. */
	if ((z = auth_db_zone(d->db, j->zone)) == NULL) {
		log_warn("zone %s: no longer served, %s from %s refused",
		    j->zone, j->kind == JOB_UPDATE ? "update" : "ixfr",
		    j->from);
		j->rcode = LDNS_RCODE_NOTAUTH;
		j->failed = 1;
		return -1;
	}
	j->req.zone = auth_zone_ref(z);
	return 0;
}

void
job_run(struct primaryd *d, struct job *j)
{
	switch (j->kind) {
	case JOB_RELOAD:
	case JOB_NOTIFY:
		if ((j->reload = reload_read(d->repo, j->old, 1, &j->fix,
		    &d->sign, &j->err)) == NULL)
			j->failed = 1;
		break;
	case JOB_UPDATE:
		update_run(d, j);
		break;
	case JOB_IXFR:
		ixfr_run(d, j);
		break;
	}
	snprintf(j->head, sizeof(j->head), "%s", repo_head(d->repo));
}

/* Sends the answer to a NOTIFY or UPDATE with the rcode set. */
static void
job_answer(struct job *j)
{
	struct buf	out;
	struct err	err;

	if (!j->has_req || j->sink.emit == NULL)
		return;
	buf_init(&out, 65535);
	ldns_pkt_set_rcode(j->req.reply, j->rcode);
	if (auth_finish(&j->req, time(NULL), &out, &err) == -1)
		log_warn("primary %s: %s", j->from, err.msg);
	else if (out.len > 0)
		j->sink.emit((const uint8_t *)out.data, out.len, j->sink.arg);
	buf_fini(&out);
}

void
job_finish(struct primaryd *d, struct job *j)
{
	switch (j->kind) {
	case JOB_RELOAD:
	case JOB_NOTIFY:
		if (j->reload != NULL) {
			reload_install(d, j->reload, j->head);
			j->reload = NULL;
			j->rcode = LDNS_RCODE_NOERROR;
		} else {
			log_warn("primary %s: fetch failed, old data kept: %s",
			    j->kind == JOB_NOTIFY ? "notify" : "reload",
			    j->err.msg);
			j->rcode = LDNS_RCODE_SERVFAIL;
		}
		if (j->kind == JOB_NOTIFY)
			job_answer(j);
		break;
	case JOB_UPDATE:
		if (j->nz != NULL) {
			auth_db_replace(d->db, auth_zone_ref(j->nz));
			primaryd_publish(d);
			primaryd_notify_zone(d, j->nz);
		}
		job_answer(j);
		break;
	case JOB_IXFR:
		if (j->failed)
			job_answer(j);
		else
			ixfr_finish(j);
		break;
	}
}
