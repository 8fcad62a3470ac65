/*
 * cmd_list.c: timbre list (docs/interface.md, "timbre (the tool)"): makes
 * and edits the database of timbre-listd (src/store) and shows it.
 *
 *	create DB				a new database, mode 0640
 *	add DB --domain D LIST [--moderator A]...
 *	remove DB --domain D LIST		with its members and queue
 *	settings DB --domain D LIST [--posting P] [--subject-prefix T]
 *	add-moderator, remove-moderator DB --domain D LIST ADDR
 *	subscribe, unsubscribe DB --domain D LIST ADDR
 *	delivery DB --domain D LIST ADDR single|digest
 *	show DB [--domain D [LIST]]
 *	held DB [--domain D [LIST]]		the held posts
 *	accept, discard DB --domain D LIST ID	decides a held post
 *	reject DB --domain D LIST ID [REASON]	the author is told
 *	archive-html ARCHIVE-DIR LIST OUTDIR	the web view (cmd_list_html.c)
 *
 * show prints one line per list, moderator and subscriber, and held one
 * per held post, each opening with the list's address and the kind of
 * line, so that grep and awk pick out what they want (timbre(1) gives
 * the format).  A decision is the store's (store_held_decide): a
 * running listd sends an accepted post on, and the notes that go with
 * the decision, within seconds.  Exit status: 0
 * done, 1 refused (the error names the database, what and why), 2
 * usage.  A listd running on the database sees the change at once (it
 * polls PRAGMA data_version); nothing needs a signal.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "tools/tool.h"
#include "util/err.h"

#define EXIT_REFUSED	1	/* the store said no; see the message */

static const char create_usage[] =
    "usage: timbre list create DB";
static const char add_usage[] =
    "usage: timbre list add DB --domain D LIST [--moderator ADDR]...";
static const char remove_usage[] =
    "usage: timbre list remove DB --domain D LIST";
static const char settings_usage[] =
    "usage: timbre list settings DB --domain D LIST\n"
    "                            [--posting subscribers|moderated|open]\n"
    "                            [--subject-prefix TEXT]";
static const char add_mod_usage[] =
    "usage: timbre list add-moderator DB --domain D LIST ADDR";
static const char rm_mod_usage[] =
    "usage: timbre list remove-moderator DB --domain D LIST ADDR";
static const char sub_usage[] =
    "usage: timbre list subscribe DB --domain D LIST ADDR";
static const char unsub_usage[] =
    "usage: timbre list unsubscribe DB --domain D LIST ADDR";
static const char delivery_usage[] =
    "usage: timbre list delivery DB --domain D LIST ADDR single|digest";
static const char show_usage[] =
    "usage: timbre list show DB [--domain D [LIST]]";
static const char held_usage[] =
    "usage: timbre list held DB [--domain D [LIST]]";
static const char accept_usage[] =
    "usage: timbre list accept DB --domain D LIST ID";
static const char reject_usage[] =
    "usage: timbre list reject DB --domain D LIST ID [REASON]";
static const char discard_usage[] =
    "usage: timbre list discard DB --domain D LIST ID";

/* Who decided, as the moderators' note says. */
#define OPERATOR	"the operator (timbre list)"

/* What the command line of a verb gave. */
struct list_args {
	const char		 *cmd;		/* "list add" */
	const char		 *db;
	const char		 *domain;
	const char		 *list;
	const char		 *addr;		/* or a post ID */
	const char		 *reason;	/* reject's REASON */
	const char		**moderators;	/* --moderator, in argv order */
	size_t			  n_moderators;
	const char		 *posting;
	const char		 *subject_prefix;
	time_t			  now;
};

enum {
	ALLOW_MODERATOR = 0x01,
	ALLOW_SETTINGS = 0x02,
	ALLOW_REASON = 0x04,	/* one more positional, optional */
};

/*
 * Parses the options of a verb (allow: which besides --domain, --time and
 * --help it takes) and its nargs positional arguments, DB first, into a;
 * show takes 1 to 2 (nargs -2).  Exits on a usage error.
 */
static void
parse(const char *cmd, const char *usage, unsigned allow, int nargs,
    int argc, char *argv[], struct list_args *a)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "moderator", required_argument, NULL, 'm' },
		{ "posting", required_argument, NULL, 'p' },
		{ "subject-prefix", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int	c, n, min, max;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->now = time(NULL);
	if ((a->moderators = calloc((size_t)argc, sizeof(char *))) == NULL)
		tool_usage_error(cmd, "out of memory");
	while ((c = getopt_long(argc, argv, "d:m:h", opts, NULL)) != -1)
		switch (c) {
		case 'd':
			a->domain = optarg;
			break;
		case 'm':
			if (!(allow & ALLOW_MODERATOR))
				goto bad;
			a->moderators[a->n_moderators++] = optarg;
			break;
		case 'p':
			if (!(allow & ALLOW_SETTINGS))
				goto bad;
			a->posting = optarg;
			break;
		case 's':
			if (!(allow & ALLOW_SETTINGS))
				goto bad;
			a->subject_prefix = optarg;
			break;
		case 't':
			a->now = tool_time(cmd, optarg);
			break;
		case 'h':
			puts(usage);
			free(a->moderators);
			exit(0);
		default:
bad:
			/* getopt_long has said what was wrong with the
			 * others ('?'); these are options of other verbs. */
			if (c != '?')
				fprintf(stderr, "timbre %s: --%s is not an "
				    "option of this command\n", cmd,
				    c == 'm' ? "moderator" : c == 'p' ?
				    "posting" : "subject-prefix");
			fprintf(stderr, "%s\n", usage);
			free(a->moderators);
			exit(EXIT_USAGE);
		}
	n = argc - optind;
	min = nargs < 0 ? 1 : nargs;
	max = (nargs < 0 ? -nargs : nargs) + (allow & ALLOW_REASON ? 1 : 0);
	if (n < min || n > max) {
		free(a->moderators);
		tool_usage_error(cmd, "%s arguments\n%s", n < min ?
		    "missing" : "too many", usage);
	}
	a->db = argv[optind];
	if (n > 1)
		a->list = argv[optind + 1];
	if (n > 2)
		a->addr = argv[optind + 2];
	if (n > 3)
		a->reason = argv[optind + 3];
	if (a->domain == NULL && (a->list != NULL || nargs > 1)) {
		free(a->moderators);
		tool_usage_error(cmd, "--domain is required\n%s", usage);
	}
}

/* Opens a->db, or says why not (naming it) and returns NULL. */
static struct store *
open_db(const struct list_args *a, unsigned flags)
{
	struct store	*s;
	struct err	 err;

	if ((s = store_open(a->db, flags, &err)) == NULL)
		tool_warn(a->cmd, "%s: %s%s", a->db, err.msg,
		    err.code == STORE_E_NODB ? " (timbre list create makes "
		    "one)" : "");
	return s;
}

/*
 * Ends a verb: prints err (naming the database) if rc is -1 and err is
 * not NULL (open_db has spoken), frees what parse and open_db gave, and
 * returns the exit status.
 */
static int
done(const struct list_args *a, struct store *s, int rc,
    const struct err *err)
{
	if (rc == -1 && err != NULL)
		tool_warn(a->cmd, "%s: %s", a->db, err->msg);
	store_close(s);
	free(a->moderators);
	return rc == -1 ? EXIT_REFUSED : 0;
}

static int
list_create_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;

	parse("list create", create_usage, 0, 1, argc, argv, &a);
	s = open_db(&a, STORE_CREATE);
	return done(&a, s, s == NULL ? -1 : 0, NULL);
}

static int
list_add_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct err		 err;

	parse("list add", add_usage, ALLOW_MODERATOR, 2, argc, argv, &a);
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	return done(&a, s, store_list_add(s, a.domain, a.list, a.moderators,
	    a.n_moderators, a.now, &err), &err);
}

static int
list_remove_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct err		 err;

	parse("list remove", remove_usage, 0, 2, argc, argv, &a);
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	return done(&a, s, store_list_remove(s, a.domain, a.list, &err),
	    &err);
}

static int
list_settings_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store_settings	 set;
	enum store_posting	 posting;
	struct store		*s;
	struct err		 err;

	parse("list settings", settings_usage, ALLOW_SETTINGS, 2, argc, argv,
	    &a);
	memset(&set, 0, sizeof(set));
	if (a.posting != NULL) {
		if (store_posting_parse(a.posting, &posting) == -1) {
			free(a.moderators);
			tool_usage_error(a.cmd, "--posting must be "
			    "subscribers, moderated or open, not \"%s\"",
			    a.posting);
		}
		set.posting = &posting;
	}
	set.subject_prefix = a.subject_prefix;
	if (set.posting == NULL && set.subject_prefix == NULL) {
		free(a.moderators);
		tool_usage_error(a.cmd, "nothing to change: give --posting or "
		    "--subject-prefix\n%s", settings_usage);
	}
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	return done(&a, s, store_list_set(s, a.domain, a.list, &set, &err),
	    &err);
}

/* add-moderator, remove-moderator, subscribe, unsubscribe. */
static int
member_main(const char *cmd, const char *usage, enum store_role role,
    bool add, int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct err		 err;
	int			 rc;

	parse(cmd, usage, 0, 3, argc, argv, &a);
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	if (add)
		rc = store_member_add(s, role, a.domain, a.list, a.addr, a.now,
		    &err);
	else
		rc = store_member_remove(s, role, a.domain, a.list, a.addr,
		    &err);
	return done(&a, s, rc, &err);
}

static int
list_add_mod_main(int argc, char *argv[])
{
	return member_main("list add-moderator", add_mod_usage,
	    STORE_MODERATOR, true, argc, argv);
}

static int
list_rm_mod_main(int argc, char *argv[])
{
	return member_main("list remove-moderator", rm_mod_usage,
	    STORE_MODERATOR, false, argc, argv);
}

static int
list_sub_main(int argc, char *argv[])
{
	return member_main("list subscribe", sub_usage, STORE_SUBSCRIBER,
	    true, argc, argv);
}

static int
list_unsub_main(int argc, char *argv[])
{
	return member_main("list unsubscribe", unsub_usage, STORE_SUBSCRIBER,
	    false, argc, argv);
}

/* delivery: how a subscriber gets the posts (digest.c of timbre-listd
 * sends the digests). */
static int
list_delivery_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct err		 err;
	enum store_mode		 mode;
	bool			 changed;
	int			 rc;

	parse("list delivery", delivery_usage, 0, 4, argc, argv, &a);
	if (store_mode_parse(a.reason, &mode) == -1) {
		free(a.moderators);
		tool_usage_error(a.cmd, "single or digest, not \"%s\"\n%s",
		    a.reason, delivery_usage);
	}
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	rc = store_member_set_mode(s, a.domain, a.list, a.addr, mode,
	    &changed, &err);
	if (rc == 0 && !changed)
		printf("%s: %s was in %s mode already\n", a.cmd, a.addr,
		    store_mode_name(mode));
	return done(&a, s, rc, &err);
}

/* What the callbacks of show need. */
struct show {
	struct store		*s;
	struct err		*err;
	enum store_role		 role;
	const char		*domain;	/* of the list being shown */
	const char		*name;
};

/* t as 2026-11-22T10:00:00Z, or "-" for 0 (never). */
static const char *
iso_time(time_t t, char out[32])
{
	struct tm	tm;

	if (t == 0)
		return "-";
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return out;
}

static int
show_member(const struct store_member_info *m, void *arg)
{
	const struct show	*sh = arg;
	char			 added[32], last[32];

	if (sh->role == STORE_MODERATOR)
		printf("%s@%s moderator %s added=%s\n", sh->name, sh->domain,
		    m->address, iso_time(m->added, added));
	else
		printf("%s@%s subscriber %s state=%s bounce-score=%ld "
		    "bounces=%ld last-bounce=%s added=%s%s\n", sh->name,
		    sh->domain, m->address, store_sub_state_name(m->state),
		    m->bounce_score, m->bounces,
		    iso_time(m->last_bounce, last), iso_time(m->added, added),
		    m->mode == STORE_MODE_DIGEST ? " delivery=digest" : "");
	return 0;
}

/* One line for the list, then its moderators and subscribers, from the
 * same read transaction (store.h). */
static int
show_list(const struct store_list_info *l, void *arg)
{
	struct show	*sh = arg;
	char		 created[32];
	const char	*p;

	printf("%s@%s list posting=%s moderators=%ld subscribers=%ld "
	    "bounces=%ld created=%s subject-prefix=\"", l->name, l->domain,
	    store_posting_name(l->posting), l->moderators, l->subscribers,
	    l->bounces, iso_time(l->created, created));
	for (p = l->subject_prefix; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	puts("\"");
	sh->domain = l->domain;
	sh->name = l->name;
	sh->role = STORE_MODERATOR;
	if (store_members_each(sh->s, STORE_MODERATOR, l->domain, l->name,
	    show_member, sh, sh->err) == -1)
		return -1;
	sh->role = STORE_SUBSCRIBER;
	return store_members_each(sh->s, STORE_SUBSCRIBER, l->domain,
	    l->name, show_member, sh, sh->err);
}

static int
list_show_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct show		 sh;
	struct err		 err;
	int			 rc;

	parse("list show", show_usage, 0, -2, argc, argv, &a);
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	memset(&sh, 0, sizeof(sh));
	sh.s = s;
	sh.err = &err;
	rc = store_lists_each(s, a.domain, a.list, show_list, &sh, &err);
	if (rc == 0 && fflush(stdout) == EOF) {
		err_set(&err, ERR_IO, "standard output: %s", strerror(errno));
		rc = -1;
	}
	return done(&a, s, rc, &err);
}

static int
show_held(const struct store_held_info *h, void *arg)
{
	char		 held[32], expires[32];
	const char	*p;

	(void)arg;
	printf("%s@%s held %" PRId64 " from=<%s> verified=%s envelope=<%s> "
	    "size=%zu held=%s expires=%s reason=\"%s\" subject=\"", h->list,
	    h->domain, h->id, h->author, h->verified ? "yes" : "no",
	    h->mail_from, h->size, iso_time(h->held, held),
	    iso_time(h->expires, expires), h->reason);
	for (p = h->subject; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	puts("\"");
	return 0;
}

static int
list_held_main(int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct err		 err;
	int			 rc;

	parse("list held", held_usage, 0, -2, argc, argv, &a);
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	rc = store_held_each(s, a.domain, a.list, show_held, NULL, &err);
	if (rc == 0 && fflush(stdout) == EOF) {
		err_set(&err, ERR_IO, "standard output: %s", strerror(errno));
		rc = -1;
	}
	return done(&a, s, rc, &err);
}

/* accept, reject, discard. */
static int
decide_main(const char *cmd, const char *usage, enum store_held_action act,
    int argc, char *argv[])
{
	struct list_args	 a;
	struct store		*s;
	struct err		 err;
	char			*end;
	long long		 id;

	parse(cmd, usage, act == STORE_HELD_REJECT ? ALLOW_REASON : 0, 3,
	    argc, argv, &a);
	errno = 0;
	id = strtoll(a.addr, &end, 10);
	if (errno != 0 || end == a.addr || *end != '\0' || id <= 0) {
		free(a.moderators);
		tool_usage_error(cmd, "ID must be the number timbre list held "
		    "shows, not \"%s\"", a.addr);
	}
	if ((s = open_db(&a, 0)) == NULL)
		return done(&a, NULL, -1, NULL);
	return done(&a, s, store_held_decide(s, a.domain, a.list, id, act,
	    OPERATOR, a.reason != NULL ? a.reason : "", a.now, &err), &err);
}

static int
list_accept_main(int argc, char *argv[])
{
	return decide_main("list accept", accept_usage, STORE_HELD_ACCEPT,
	    argc, argv);
}

static int
list_reject_main(int argc, char *argv[])
{
	return decide_main("list reject", reject_usage, STORE_HELD_REJECT,
	    argc, argv);
}

static int
list_discard_main(int argc, char *argv[])
{
	return decide_main("list discard", discard_usage, STORE_HELD_DISCARD,
	    argc, argv);
}

int
cmd_list(int argc, char *argv[])
{
	static const struct tool_cmd verbs[] = {
		{ "create", list_create_main, create_usage },
		{ "add", list_add_main, add_usage },
		{ "remove", list_remove_main, remove_usage },
		{ "settings", list_settings_main, settings_usage },
		{ "add-moderator", list_add_mod_main, add_mod_usage },
		{ "remove-moderator", list_rm_mod_main, rm_mod_usage },
		{ "subscribe", list_sub_main, sub_usage },
		{ "unsubscribe", list_unsub_main, unsub_usage },
		{ "delivery", list_delivery_main, delivery_usage },
		{ "show", list_show_main, show_usage },
		{ "held", list_held_main, held_usage },
		{ "accept", list_accept_main, accept_usage },
		{ "reject", list_reject_main, reject_usage },
		{ "discard", list_discard_main, discard_usage },
		{ "archive-html", list_archive_html_main,
		    list_archive_html_usage },
	};

	return tool_verb_run("list", verbs, sizeof(verbs) / sizeof(verbs[0]),
	    argc, argv);
}
