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

#endif
