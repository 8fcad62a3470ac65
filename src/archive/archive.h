/*
 * archive.h: a mailing list's archive as a public-inbox v2 inbox
 * (public-inbox-v2-format(5)), written with libgit2, so that
 * public-inbox-index, public-inbox-httpd, lei, b4 and plain git read it.
 *
 * The layout of an inbox directory, as public-inbox writes it:
 *
 *   inbox.lock      empty; flock(2)ed while a commit is made, as
 *                   public-inbox's own writers do
 *   git/N.git       the epochs: bare repositories, branch master, each
 *                   commit adding one message as the blob "m" of a tree
 *                   that holds nothing else; include.path pointing at
 *                   ../../all.git/config
 *   all.git         empty, objects/info/alternates naming every epoch's
 *                   objects ("../../git/N.git/objects", newest first)
 *
 * A new epoch begins once the newest one's objects take more than
 * epoch_max times 0.4 bytes on disk: public-inbox's estimate (its
 * PACKING_FACTOR) of when an epoch holds epoch_max bytes of mail.  The
 * Xapian and SQLite indexes are public-inbox-index's to build; this
 * module writes only git.
 *
 * Each commit carries the message's author (From, else Sender: the
 * display name or, without one, the local part, and the address, with
 * '<' and '>' dropped as public-inbox drops them), the author date from
 * Date:, the committer date from the topmost Received: field's date (or
 * Date:), and as its message the unfolded Subject ("(no subject)" if
 * none), like public-inbox's Import.pm.  The committer is the list
 * ("LIST <LIST@DOMAIN>").  The blob is the message byte for byte but
 * for its line ends: CRLF (SMTP's) becomes LF, as in every public-inbox
 * archive, so that git am, b4 and public-inbox's own tools take it.
 *
 * Objects are written loose with libgit2's fsync of the git directory
 * on, and the branch moves last, with a compare-and-swap on its old tip:
 * a crash or a full disk leaves either the old tip or the new commit,
 * never a branch pointing at half an object (unreferenced objects a
 * failed attempt wrote are garbage git gc removes).
 */
#ifndef TIMBRE_ARCHIVE_ARCHIVE_H
#define TIMBRE_ARCHIVE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;

enum archive_error {
	ARCHIVE_E_GIT = 1700,	/* libgit2 failed; msg says how */
	ARCHIVE_E_IO,		/* a file or directory could not be made */
	ARCHIVE_E_BUSY,		/* inbox.lock is held by another writer */
	ARCHIVE_E_LAYOUT,	/* the directory is not an inbox we can write */
};

#define ARCHIVE_EPOCH_DEFAULT	(1024LL * 1024 * 1024)	/* bytes of mail */
#define ARCHIVE_NAME_MAX	255
#define ARCHIVE_SUBJECT_MAX	998	/* bytes of the commit message */

/* ---- msginfo.c: what a commit says of a message (pure) ---- */

struct archive_info {
	char	 name[ARCHIVE_NAME_MAX + 1];	/* author, no '<' '>' */
	char	 email[ARCHIVE_NAME_MAX + 1];	/* may be "" */
	int64_t	 author_time;			/* UNIX seconds */
	int	 author_tz;			/* minutes east of UTC */
	int64_t	 commit_time;
	int	 commit_tz;
	char	 subject[ARCHIVE_SUBJECT_MAX + 1];	/* one line */
};

/*
 * An RFC 5322 date-time (section 3.3, obsolete forms of section 4.3
 * included: two- and three-digit years, named and military zones, the
 * latter taken as -0000) in s[0..n): *t_out the UNIX time, *tz_out the
 * zone in minutes east of UTC.  -1 if it does not parse or is before
 * 1970.
 */
int	archive_date_parse(const char *s, size_t n, int64_t *t_out,
	    int *tz_out);
/*
 * Fills out from the header section of msg[0..len) (CRLF or LF lines);
 * never fails: what is missing or does not parse falls back to now
 * (UTC) for the times, "" for the address (the name then being
 * "unknown") and "(no subject)".
 */
void	archive_info_get(const char *msg, size_t len, time_t now,
	    struct archive_info *out);

/* ---- inbox.c: the inbox (libgit2) ---- */

struct archive_conf {
	const char	*dir;		/* the inbox directory */
	const char	*name;		/* committer name: the list */
	const char	*address;	/* committer address: LIST@DOMAIN */
	long long	 epoch_max;	/* 0: ARCHIVE_EPOCH_DEFAULT */
};

struct archive;

/*
 * Opens the inbox at c->dir, making it (and its parent directory) if it
 * is not there: the directory, inbox.lock, git/0.git and all.git.  The
 * strings of c are copied.  NULL with err: ARCHIVE_E_IO, ARCHIVE_E_GIT,
 * ARCHIVE_E_LAYOUT (a git/ without a usable epoch), ERR_NOMEM.
 */
struct archive	*archive_open(const struct archive_conf *c, struct err *);
void		 archive_close(struct archive *);
/*
 * Commits msg[0..len) (CRLFs made LFs) as the next message of the inbox, a new epoch
 * first if the newest is full; now is for times the message does not
 * give.  Returns 0 when it is committed (on disk); 1 when the newest
 * commit of the inbox already holds exactly these bytes (the commit of
 * an earlier attempt whose end was not recorded: nothing is written);
 * -1 with err: ARCHIVE_E_BUSY (try again later), ARCHIVE_E_GIT,
 * ARCHIVE_E_IO, ERR_NOMEM.  On -1 the branch has not moved.
 */
int		 archive_add(struct archive *, const void *msg, size_t len,
		    time_t now, struct err *);
/* The epoch commits go to now (the newest), and the hex id of its
 * tip ("" when it has no commit yet). */
unsigned	 archive_epoch(const struct archive *);
const char	*archive_tip(const struct archive *);

/* ---- html.c: the static web view (pure; site.c writes it) ---- */

struct buf;

#define ARCHIVE_HTML_INLINE_MAX	(256 * 1024)	/* text shown, bytes */
#define ARCHIVE_HTML_PAGE	100	/* threads per month page */

/* What the pages need of a message, read once from its header. */
struct archive_msg {
	char	  id[48];	/* the blob's hex id: anchors, file names */
	char	 *mid;		/* Message-ID without <>, "" if none */
	char	**refs;		/* References, then In-Reply-To's id */
	size_t	  nrefs;
	char	 *subject;	/* decoded (RFC 2047), one line, UTF-8 */
	char	 *from;		/* likewise; masked only when shown */
	int64_t	  time;		/* Date:, else the caller's fallback */
	size_t	  parent;	/* archive_thread(): index, or (size_t)-1 */
	size_t	  thread;	/* the index of the thread's first root */
	size_t	  next;		/* the thread's next message, in archive
				 * order, or (size_t)-1 */
};

/*
 * Fills m from the header section of msg[0..len) (LF or CRLF lines):
 * never refuses a message; what is missing is "" and the date
 * fallback.  id (at most 47 bytes) names the message.  -1 with
 * ERR_NOMEM only.  Free with archive_msg_fini().
 */
int	archive_msg_parse(const char *msg, size_t len, const char *id,
	    int64_t fallback, struct archive_msg *m, struct err *);
void	archive_msg_fini(struct archive_msg *);
/*
 * Sets parent and thread of v[0..n), in archive order: the parent is
 * the nearest ancestor (References from the newest, then In-Reply-To)
 * in v, the first holder of a duplicated Message-ID, never making a
 * cycle; the roots sharing a first ancestor (present or not) make one
 * thread, named by its first root, whose messages are chained by next
 * from v[thread].  -1 with ERR_NOMEM.
 */
int	archive_thread(struct archive_msg *v, size_t n, struct err *);

/*
 * A part a thread page lists instead of showing (an attachment, a
 * text/html part, a text too long): part k (from 1, in the order the
 * page lists them) of the message whose blob is id, its content
 * transfer encoding undone, p[0..n).  The page links it as
 * ARCHIVE_PART_DIR/ID/K.bin; the callee stores it there.  -1 with err
 * fails the page.
 */
typedef int (*archive_part_fn)(void *arg, const char *id, unsigned k,
	    const char *p, size_t n, struct err *);
#define ARCHIVE_PART_DIR	"a"

/* What the pages are made of: the threaded messages and the names. */
struct archive_view {
	const char		*title;	/* the list: page titles */
	const char		*url;	/* OUTDIR's public URL ending in
					 * '/', or NULL: relative links */
	const struct archive_msg *v;
	size_t			 n;
	time_t			 now;	/* the feed's date when empty */
	size_t			 page_size;	/* threads per month
						 * page; 0: ARCHIVE_HTML_PAGE */
	archive_part_fn		 part;	/* NULL: parts listed, no link */
	void			*part_arg;
};

/* The bytes of message i (valid until the next call), or -1. */
typedef int (*archive_raw_fn)(void *arg, size_t i, const char **p_out,
	    size_t *n_out);

/*
 * The pages, appended to out as UTF-8: the thread whose first root is
 * v[t] (t/ID.html: its outline, then each message's From, To, Cc and
 * Date, its text/plain parts and the list of the others, each a
 * download link when the view has a part callback), a month
 * ("2026-12": its threads, latest first), the index (the months and the
 * latest threads), the Atom feed (the newest max messages).  Every
 * string from a message is decoded, masked and escaped.  -1 with
 * ERR_NOMEM or ERR_LIMIT.
 */
int	archive_html_thread(const struct archive_view *, size_t t,
	    archive_raw_fn, void *arg, struct buf *out, struct err *);
int	archive_html_month(const struct archive_view *, const char *month,
	    size_t page, struct buf *out, struct err *);
/*
 * A month's threads are shown page_size a page, the latest first: page
 * 1 is "2026-12" (YYYY-MM.html, the index's link), page K > 1
 * "2026-12-K"; each page links the newer and the older one (rel prev
 * and next).  The number of pages of month (at least 1), and the name
 * of its page (page 0 is page 1).
 */
size_t	archive_month_pages(const struct archive_view *, const char *month);
void	archive_month_name(const char *month, size_t page, char out[48]);
int	archive_html_index(const struct archive_view *, struct buf *out,
	    struct err *);
int	archive_html_atom(const struct archive_view *, const char *feed_id,
	    size_t max, archive_raw_fn, void *arg, struct buf *out,
	    struct err *);
/* The text/plain parts of msg, decoded and masked (not escaped). */
int	archive_html_text(const char *msg, size_t len, struct buf *out,
	    struct err *);
/* The months ("2026-12") v holds, newest first, at most max. */
size_t	archive_months(const struct archive_view *, char (*out)[16],
	    size_t max);

/* ---- site.c: the web view written from the inbox (libgit2) ---- */

struct archive_site_conf {
	const char	*inbox;		/* ARCHIVE-DIR/LIST */
	const char	*out;		/* OUTDIR, made if missing */
	const char	*title;
	const char	*url;		/* NULL: relative links only */
};

struct archive_site_stats {
	size_t	messages, threads, months, written, removed;
};

/*
 * Reads every epoch of the inbox and (re)writes OUTDIR: index.html,
 * atom.xml, YYYY-MM.html (and YYYY-MM-K.html, its pages K > 1),
 * t/ID.html, a/ID/K.bin (the parts the thread
 * pages link, see archive_part_fn); a file whose bytes change is
 * written to a temporary name and renamed, one that would not change
 * is left alone, and pages no thread or month needs any more are
 * removed.  -1 with ARCHIVE_E_GIT, ARCHIVE_E_IO, ARCHIVE_E_LAYOUT (no
 * git/0.git), ERR_NOMEM.
 */
int	archive_site_write(const struct archive_site_conf *, time_t now,
	    struct archive_site_stats *, struct err *);

#endif
