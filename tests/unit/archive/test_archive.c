/*
 * test_archive.c: the "archive" suite: RFC 5322 dates (current and
 * obsolete forms, and what must not parse), what a commit says of a
 * message (author, dates, subject and their fallbacks), and an inbox in
 * a temporary directory read back with libgit2: the layout of
 * public-inbox-v2-format(5), one "m" per commit (LF line ends), a
 * repeated last message
 * not committed twice, and a new epoch once the newest is full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "archive/archive.h"
#include "util/err.h"

#include "../unit.h"

/* libgit2 1.5 leaves pcre2 match data behind (its own cache, not ours). */
const char	*__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

static const struct {
	const char	*in;
	int64_t		 t;	/* -1: must not parse */
	int		 tz;
} dates[] = {
	{ "Mon, 7 Dec 2026 13:59:32 +0000", 1796651972, 0 },
	{ "7 Dec 2026 14:59:32 +0100", 1796651972, 60 },
	{ "Mon, 07 Dec 2026 08:59:32 -0500 (EST)", 1796651972, -300 },
	{ "Mon, 7 Dec 2026 08:59:32 EST", 1796651972, -300 },
	{ "Mon (day), 7 Dec 26 13:59:32 GMT", 1796651972, 0 },
	{ "7 Dec 126 13:59 Z", 1796651940, 0 },
	{ "Thu, 1 Jan 1970 00:00:00 +0000", 0, 0 },
	{ "29 Feb 2024 23:59:60 -0000", 1709251200, 0 },
	{ "Mon, 7 Dec 2026 13:59:32 A", 1796651972, 0 },
	{ "Mon, 32 Dec 2026 13:59:32 +0000", -1, 0 },
	{ "Mon, 7 Dex 2026 13:59:32 +0000", -1, 0 },
	{ "Mon, 7 Dec 2026 24:00:00 +0000", -1, 0 },
	{ "Mon, 7 Dec 2026 13:59:32", -1, 0 },
	{ "Mon, 7 Dec 2026 13:59:32 +01", -1, 0 },
	{ "Mon, 7 Dec 1969 13:59:32 +0000", -1, 0 },
	{ "Monday, 7 Dec 2026 13:59:32 +0000", -1, 0 },
	{ "", -1, 0 },
};

START_TEST(test_date)
{
	int64_t	t = -2;
	int	tz = 9999;
	int	r;

	r = archive_date_parse(dates[_i].in, strlen(dates[_i].in), &t, &tz);
	if (dates[_i].t == -1) {
		ck_assert_msg(r == -1, "%s parsed", dates[_i].in);
		return;
	}
	ck_assert_msg(r == 0, "%s did not parse", dates[_i].in);
	ck_assert_int_eq(t, dates[_i].t);
	ck_assert_int_eq(tz, dates[_i].tz);
}
END_TEST

START_TEST(test_info)
{
	static const char m1[] =
	    "Received: from x by list.example.org; Mon, 7 Dec 2026 "
	    "14:00:00 +0000\r\n"
	    "From: \"Alice <B>\" <alice@example.net>\r\n"
	    "Date: Mon, 7 Dec 2026 13:59:32 +0000\r\n"
	    "Subject: [dev] hello\r\n\tworld\r\n"
	    "\r\nbody\r\nFrom: nobody@x\r\n";
	static const char m2[] =
	    "From: bob@example.net\n"
	    "Date: yesterday\n"
	    "\n"
	    "Subject: not a field\n";
	static const char m3[] = "not a header at all";
	static const char m4[] =
	    "From: \"x\\\rparent 0 <a>\" <evil@example.net>\r\n"
	    "Subject: =?utf-8?q?caf=C3=A9?= a\x01" "b\r\n committer x 1 +0000\r\n"
	    "\r\n";
	struct archive_info	in;

	archive_info_get(m1, sizeof(m1) - 1, 42, &in);
	ck_assert_str_eq(in.name, "Alice B");
	ck_assert_str_eq(in.email, "alice@example.net");
	ck_assert_int_eq(in.author_time, 1796651972);
	ck_assert_int_eq(in.commit_time, 1796652000);
	ck_assert_str_eq(in.subject, "[dev] hello world");

	archive_info_get(m2, sizeof(m2) - 1, 42, &in);
	ck_assert_str_eq(in.name, "bob");
	ck_assert_str_eq(in.email, "bob@example.net");
	ck_assert_int_eq(in.author_time, 42);
	ck_assert_int_eq(in.commit_time, 42);
	ck_assert_str_eq(in.subject, "(no subject)");

	/* Nothing of a header can end the ident or start a line of the
	 * commit object: no '<', '>' or control byte gets through. */
	archive_info_get(m4, sizeof(m4) - 1, 7, &in);
	ck_assert_str_eq(in.name, "x parent 0 a");
	ck_assert_str_eq(in.email, "evil@example.net");
	ck_assert_str_eq(in.subject, "=?utf-8?q?caf=C3=A9?= a b "
	    "committer x 1 +0000");

	archive_info_get(m3, sizeof(m3) - 1, 7, &in);
	ck_assert_str_eq(in.name, "unknown");
	ck_assert_str_eq(in.email, "");
	ck_assert_str_eq(in.subject, "(no subject)");
}
END_TEST

/* The "m" blob of the tip of dir/git/N.git, into out (size n). */
static void
strip_cr(char *s)
{
	char	*d = s;

	for (; *s != '\0'; s++)
		if (*s != '\r')
			*d++ = *s;
	*d = '\0';
}

static void
read_tip_m(const char *dir, unsigned n, char *out, size_t size,
    size_t *parents_out)
{
	git_repository		*g;
	git_commit		*c;
	git_tree		*t;
	git_blob		*b;
	git_oid			 oid;
	char			 path[512];
	size_t			 len;

	snprintf(path, sizeof(path), "%s/git/%u.git", dir, n);
	ck_assert_int_eq(git_repository_open_bare(&g, path), 0);
	ck_assert_int_eq(git_reference_name_to_id(&oid, g,
	    "refs/heads/master"), 0);
	ck_assert_int_eq(git_commit_lookup(&c, g, &oid), 0);
	ck_assert_int_eq(git_commit_tree(&t, c), 0);
	ck_assert_uint_eq(git_tree_entrycount(t), 1);
	ck_assert_str_eq(git_tree_entry_name(git_tree_entry_byindex(t, 0)),
	    "m");
	ck_assert_int_eq(git_blob_lookup(&b, g,
	    git_tree_entry_id(git_tree_entry_byindex(t, 0))), 0);
	len = (size_t)git_blob_rawsize(b);
	ck_assert_uint_lt(len, size);
	memcpy(out, git_blob_rawcontent(b), len);
	out[len] = '\0';
	*parents_out = git_commit_parentcount(c);
	ck_assert_str_eq(git_commit_message(c), "[dev] hello world\n");
	ck_assert_str_eq(git_commit_author(c)->email, "alice@example.net");
	ck_assert_int_eq(git_commit_author(c)->when.time, 1796651972);
	ck_assert_str_eq(git_commit_committer(c)->name, "dev");
	git_blob_free(b);
	git_tree_free(t);
	git_commit_free(c);
	git_repository_free(g);
}

START_TEST(test_inbox)
{
	static const char msg[] =
	    "From: Alice <alice@example.net>\r\n"
	    "Date: Mon, 7 Dec 2026 13:59:32 +0000\r\n"
	    "Message-ID: <1@example.net>\r\n"
	    "Subject: [dev] hello world\r\n\r\nbody %d\r\n";
	struct archive_conf	 c;
	struct archive		*a;
	struct err		 err;
	struct stat		 st;
	char			 dir[] = "/tmp/timbre-archive.XXXXXX", path[128],
				 m[512], got[512], cmd[600];
	size_t			 parents;
	FILE			*f;
	int			 i, n, fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lists/dev", dir);
	memset(&c, 0, sizeof(c));
	c.dir = path;
	c.name = "dev";
	c.address = "dev@example.org";
	c.epoch_max = 4000;	/* 1600 bytes of objects per epoch */
	a = archive_open(&c, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_uint_eq(archive_epoch(a), 0);
	ck_assert_str_eq(archive_tip(a), "");
	snprintf(m, sizeof(m), "%s/inbox.lock", path);
	ck_assert_int_eq(stat(m, &st), 0);
	snprintf(m, sizeof(m), "%s/all.git/objects/info/alternates", path);
	ck_assert_ptr_nonnull(f = fopen(m, "r"));
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	ck_assert_str_eq(got, "../../git/0.git/objects\n");
	fclose(f);

	/* The same bytes twice in a row: one commit (the second is an
	 * attempt whose end was lost). */
	n = snprintf(m, sizeof(m), msg, 0);
	ck_assert_int_eq(archive_add(a, m, (size_t)n, 1, &err), 0);
	ck_assert_int_eq(archive_add(a, m, (size_t)n, 1, &err), 1);
	read_tip_m(path, 0, got, sizeof(got), &parents);
	strip_cr(m);
	ck_assert_str_eq(got, m);	/* with LF line ends */
	ck_assert_uint_eq(parents, 0);

	/* While another writer holds inbox.lock: busy, nothing written. */
	snprintf(got, sizeof(got), "%s/inbox.lock", path);
	ck_assert_int_ne(fd = open(got, O_RDWR), -1);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	n = snprintf(m, sizeof(m), msg, 99);
	ck_assert_int_eq(archive_add(a, m, (size_t)n, 1, &err), -1);
	ck_assert_int_eq(err.code, ARCHIVE_E_BUSY);
	close(fd);

	/* Until the epoch is full, then the next one; a repeat of the last
	 * message of an epoch is seen across the boundary too. */
	for (i = 1; archive_epoch(a) == 0 && i < 100; i++) {
		n = snprintf(m, sizeof(m), msg, i);
		ck_assert_int_eq(archive_add(a, m, (size_t)n, 1, &err), 0);
	}
	ck_assert_uint_eq(archive_epoch(a), 1);
	ck_assert_int_eq(archive_add(a, m, (size_t)n, 1, &err), 1);
	read_tip_m(path, 1, got, sizeof(got), &parents);
	strip_cr(m);
	ck_assert_str_eq(got, m);
	ck_assert_uint_eq(parents, 0);
	archive_close(a);

	/* Reopened: it goes on in the newest epoch, all.git names both. */
	a = archive_open(&c, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_uint_eq(archive_epoch(a), 1);
	n = snprintf(m, sizeof(m), msg, 1000);
	ck_assert_int_eq(archive_add(a, m, (size_t)n, 1, &err), 0);
	read_tip_m(path, 1, got, sizeof(got), &parents);
	ck_assert_uint_eq(parents, 1);
	archive_close(a);
	snprintf(m, sizeof(m), "%s/all.git/objects/info/alternates", path);
	ck_assert_ptr_nonnull(f = fopen(m, "r"));
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	ck_assert_str_eq(got, "../../git/1.git/objects\n");
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	ck_assert_str_eq(got, "../../git/0.git/objects\n");
	fclose(f);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A directory that cannot be made: an error, not a crash. */
START_TEST(test_unwritable)
{
	struct archive_conf	c;
	struct err		err;

	memset(&c, 0, sizeof(c));
	c.dir = "/proc/timbre/archive";
	c.name = "dev";
	c.address = "dev@example.org";
	ck_assert_ptr_null(archive_open(&c, &err));
	ck_assert_int_eq(err.code, ARCHIVE_E_IO);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("archive");
	TCase	*tc = tcase_create("archive");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_date, 0, sizeof(dates) /
	    sizeof(dates[0]));
	tcase_add_test(tc, test_info);
	tcase_add_test(tc, test_inbox);
	tcase_add_test(tc, test_unwritable);
	suite_add_tcase(s, tc);
	return s;
}
