/*
 * test_git.c: the "git" suite: SSH key forms (RFC 8032 vector), and
 * fetch, read, commit and push against a bare repository made with
 * libgit2 in a temporary directory, including a push that fails, and
 * a zone file's versions read back from the history (for IXFR); which
 * remotes the SSH transport (ssh.c) takes, and its failures that need no
 * server: a port nobody listens on, a key file libssh cannot read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "git/repo.h"
#include "git/repo_priv.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#include "../unit.h"

/* libgit2 1.5 leaves pcre2 match data behind (its own cache, not ours). */
const char	*__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

/* RFC 8032 section 7.1, test 1. */
static const char rfc8032_priv[] =
    "ed25519:nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
static const uint8_t rfc8032_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

static const struct {
	const char	*in;
	int		 ok;
} keys[] = {
	{ rfc8032_priv, 1 },
	{ "ED25519:nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", 1 },
	{ "ed25519:AAAA", 0 },
	{ "ed25519", 0 },
	{ "dsa:AAAA", 0 },
	{ "rsa:AAAA", 0 },
	{ "ed25519:!!!", 0 },
};

START_TEST(test_sshkey_parse)
{
	struct err	 err;
	void		*pk;

	pk = repo_sshkey_parse(keys[_i].in, &err);
	ck_assert_int_eq(pk != NULL, keys[_i].ok);
	repo_sshkey_free(pk);
}
END_TEST

START_TEST(test_sshkey_rfc8032)
{
	struct err	 err;
	struct buf	 b;
	void		*pk;
	uint8_t		*blob;
	size_t		 len;
	char		*sp;

	pk = repo_sshkey_parse(rfc8032_priv, &err);
	ck_assert_ptr_nonnull(pk);
	buf_init(&b, 4096);
	ck_assert_int_eq(repo_sshkey_private_text(pk, &b, &err), 0);
	ck_assert_str_eq(b.data, rfc8032_priv);
	buf_reset(&b);
	ck_assert_int_eq(repo_sshkey_public_line(pk, "c", &b, &err), 0);
	ck_assert(strncmp(b.data, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI",
	    37) == 0);
	sp = strchr(b.data + 12, ' ');
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(b64_decode(b.data + 12, sp - b.data - 12, &blob,
	    &len, &err), 0);
	ck_assert_uint_eq(len, 4 + 11 + 4 + 32);
	ck_assert(memcmp(blob + 19, rfc8032_pub, 32) == 0);
	free(blob);
	buf_fini(&b);
	repo_sshkey_free(pk);
}
END_TEST

START_TEST(test_sshkey_rsa_roundtrip)
{
	struct err	 err;
	struct buf	 b, pub;
	void		*pk, *pk2;

	pk = repo_sshkey_generate(REPO_KEY_RSA, 1024, &err);
	ck_assert_ptr_nonnull(pk);
	buf_init(&b, 8192);
	buf_init(&pub, 8192);
	ck_assert_int_eq(repo_sshkey_private_text(pk, &b, &err), 0);
	ck_assert(strncmp(b.data, "rsa:", 4) == 0);
	pk2 = repo_sshkey_parse(b.data, &err);
	ck_assert_ptr_nonnull(pk2);
	ck_assert_int_eq(repo_sshkey_public_line(pk2, NULL, &pub, &err), 0);
	ck_assert(strncmp(pub.data, "ssh-rsa AAAAB3NzaC1yc2EAAAAD", 28) == 0);
	buf_fini(&b);
	buf_fini(&pub);
	repo_sshkey_free(pk);
	repo_sshkey_free(pk2);
}
END_TEST

START_TEST(test_fingerprint)
{
	uint8_t	sha[32];
	char	fp[60];

	memset(sha, 0, sizeof(sha));
	repo_fingerprint(sha, fp);
	ck_assert_str_eq(fp,
	    "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}
END_TEST

/* A bare repository at dir/remote.git with one commit on "main". */
static void
make_remote(const char *dir)
{
	git_repository	*g;
	git_treebuilder	*tb;
	git_signature	*sig;
	git_tree	*tree;
	git_oid		 blob, tid, cid;
	char		 path[512];
	static const char zone[] = "example.org. 300 IN SOA ns hm 1 2 3 4 5\n";
	static const char readme[] = "not a zone\n";

	snprintf(path, sizeof(path), "%s/remote.git", dir);
	ck_assert_int_eq(git_repository_init(&g, path, 1), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, g, NULL), 0);
	git_blob_create_from_buffer(&blob, g, zone, strlen(zone));
	git_treebuilder_insert(NULL, tb, "example.org", &blob,
	    GIT_FILEMODE_BLOB);
	git_blob_create_from_buffer(&blob, g, readme, strlen(readme));
	git_treebuilder_insert(NULL, tb, "README", &blob, GIT_FILEMODE_BLOB);
	ck_assert_int_eq(git_treebuilder_write(&tid, tb), 0);
	git_tree_lookup(&tree, g, &tid);
	git_signature_now(&sig, "test", "test@example.org");
	ck_assert_int_eq(git_commit_create(&cid, g, "refs/heads/main", sig,
	    sig, NULL, "initial", tree, 0, NULL), 0);
	git_repository_set_head(g, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_repository_free(g);
}

struct seen {
	int	zone, readme;
	char	content[256];
};

static int
on_file(const char *name, const uint8_t *p, size_t n, void *arg)
{
	struct seen	*s = arg;

	if (strcmp(name, "example.org") == 0) {
		s->zone = 1;
		snprintf(s->content, sizeof(s->content), "%.*s", (int)n,
		    (const char *)p);
	} else if (strcmp(name, "README") == 0)
		s->readme = 1;
	return 0;
}

struct versions {
	int	n, stop_at;
	char	serial[4];	/* the SOA serial of each version seen */
};

static int
on_version(const uint8_t *p, size_t n, void *arg)
{
	struct versions	*v = arg;

	ck_assert_ptr_nonnull(p);
	ck_assert(n > 20);
	if (v->n < 4)
		v->serial[v->n] = (char)p[n - 10];	/* "... S 2 3 4 5\n" */
	v->n++;
	return v->n == v->stop_at ? 1 : 0;
}

static char *
remote_tip(const char *dir)
{
	git_repository	*g;
	git_oid		 oid;
	char		 path[512];
	static char	 hex[GIT_OID_HEXSZ + 1];

	snprintf(path, sizeof(path), "%s/remote.git", dir);
	ck_assert_int_eq(git_repository_open_bare(&g, path), 0);
	ck_assert_int_eq(git_reference_name_to_id(&oid, g,
	    "refs/heads/main"), 0);
	git_oid_tostr(hex, sizeof(hex), &oid);
	git_repository_free(g);
	return hex;
}

START_TEST(test_clone_commit_push)
{
	char			 dir[] = "/tmp/timbre-git.XXXXXX", url[512];
	char			 work[512], cmd[600], old[64];
	struct repo_config	 c = { 0 };
	struct repo		*r;
	struct repo_change	 ch;
	struct seen		 s = { 0 };
	struct err		 err;
	int			 changed;
	static const char	 z2[] = "example.org. 300 IN SOA ns hm 2 2 3 4 5\n";

	git_libgit2_init();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	make_remote(dir);
	snprintf(url, sizeof(url), "file://%s/remote.git%s", dir,
	    _i == 0 ? "#main" : "");
	snprintf(work, sizeof(work), "%s/work", dir);
	c.remote = url;
	c.workdir = work;
	r = repo_open(&c, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_str_eq(repo_branch(r), "main");
	ck_assert_str_eq(repo_head(r), remote_tip(dir));
	ck_assert_int_eq(repo_files(r, on_file, &s, &err), 0);
	ck_assert(s.zone && s.readme);
	ck_assert(strstr(s.content, " 1 2 3 4 5") != NULL);

	ch.name = "example.org";
	ch.data = (const uint8_t *)z2;
	ch.len = strlen(z2);
	ck_assert_int_eq(repo_commit_push(r, &ch, 1, "UPDATE by k: test",
	    &err), 0);
	ck_assert_str_eq(repo_head(r), remote_tip(dir));
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(repo_files(r, on_file, &s, &err), 0);
	ck_assert(s.readme);			/* others left alone */
	ck_assert(strstr(s.content, " 2 2 3 4 5") != NULL);
	ck_assert_int_eq(repo_fetch(r, &changed, &err), 0);
	ck_assert_int_eq(changed, 0);

	/* History: a commit that leaves the zone alone is passed over. */
	ch.name = "README";
	ch.data = (const uint8_t *)"still not a zone\n";
	ch.len = 17;
	ck_assert_int_eq(repo_commit_push(r, &ch, 1, "readme", &err), 0);
	{
		struct versions	v = { 0 };

		ck_assert_int_eq(repo_history(r, "example.org", 100, 1 << 20,
		    on_version, &v, &err), 0);
		ck_assert_int_eq(v.n, 2);
		ck_assert_int_eq(v.serial[0], '2');
		ck_assert_int_eq(v.serial[1], '1');
		memset(&v, 0, sizeof(v));
		v.stop_at = 1;
		ck_assert_int_eq(repo_history(r, "example.org", 100, 1 << 20,
		    on_version, &v, &err), 0);
		ck_assert_int_eq(v.n, 1);
		memset(&v, 0, sizeof(v));	/* bounded by commits */
		ck_assert_int_eq(repo_history(r, "example.org", 1, 1 << 20,
		    on_version, &v, &err), 0);
		ck_assert_int_eq(v.n, 1);
	}
	ch.name = "example.org";

	/* The remote goes away: the push fails, the tip stays. */
	snprintf(old, sizeof(old), "%s", repo_head(r));
	snprintf(cmd, sizeof(cmd), "mv %s/remote.git %s/gone.git", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	ch.data = (const uint8_t *)"garbage\n";
	ch.len = 8;
	ck_assert_int_eq(repo_commit_push(r, &ch, 1, "x", &err), -1);
	ck_assert_str_eq(repo_head(r), old);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(repo_files(r, on_file, &s, &err), 0);
	ck_assert(strstr(s.content, " 2 2 3 4 5") != NULL);
	repo_free(r);
	/* A second open reuses the work directory. */
	snprintf(cmd, sizeof(cmd), "mv %s/gone.git %s/remote.git", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	r = repo_open(&c, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	repo_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	git_libgit2_shutdown();
}
END_TEST

START_TEST(test_ssh_needs_authenticator)
{
	struct repo_config	 c = { 0 };
	struct err		 err;
	char			 dir[] = "/tmp/timbre-git.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	c.remote = "git@127.0.0.1:zone.git";
	c.workdir = dir;
	ck_assert_ptr_null(repo_open(&c, &err));
	ck_assert_int_eq(err.code, REPO_E_URL);
	c.remote = "/nonexistent/repo.git";
	ck_assert_ptr_null(repo_open(&c, &err));
	rmdir(dir);
}
END_TEST

static const struct {
	const char	*url;
	bool		 ssh;
} urls[] = {
	{ "ssh://git@example.org/zone.git", true },
	{ "SSH://example.org:2222/~/zone.git", true },
	{ "git+ssh://example.org/zone.git", true },
	{ "ssh+git://example.org/zone.git", true },
	{ "git@example.org:zone.git", true },
	{ "example.org:zones/zone.git", true },
	{ "[::1]:zone.git", true },
	{ "file:///srv/zone.git", false },
	{ "https://example.org/zone.git", false },
	{ "git://example.org/zone.git", false },
	{ "/srv/zone.git", false },
	{ "./zone.git", false },
	{ "zone.git", false },
	{ "dir/with:colon", false },
};

START_TEST(test_ssh_is_url)
{
	ck_assert_int_eq(repo_ssh_is_url(urls[_i].url), urls[_i].ssh);
}
END_TEST

/* A port nobody listens on: the connect fails at once, named. */
START_TEST(test_ssh_refused)
{
	struct repo_config	 c = { 0 };
	struct err		 err;
	char			 dir[] = "/tmp/timbre-git.XXXXXX", cmd[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	c.remote = "ssh://git@127.0.0.1:1/zone.git#main";
	c.workdir = dir;
	c.authenticator = "SHA256:AAAA";
	c.timeout = 5;
	ck_assert_ptr_null(repo_open(&c, &err));
	ck_assert_int_eq(err.code, REPO_E_GIT);
	ck_assert_msg(strstr(err.msg, "ssh 127.0.0.1:1: connecting") != NULL,
	    "%s", err.msg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A PEM key libssh cannot read (encrypted, say) is refused at open. */
START_TEST(test_ssh_bad_key_file)
{
	struct repo_config	 c = { 0 };
	struct err		 err;
	char			 dir[] = "/tmp/timbre-git.XXXXXX", path[64];
	FILE			*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n"
	    "-----END OPENSSH PRIVATE KEY-----\n", f);
	fclose(f);
	c.remote = "git@127.0.0.1:zone.git";
	c.workdir = dir;
	c.authenticator = "SHA256:AAAA";
	c.ssh_key_file = path;
	ck_assert_ptr_null(repo_open(&c, &err));
	ck_assert_int_eq(err.code, REPO_E_KEY);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("git");
	TCase	*tc = tcase_create("git");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_sshkey_parse, 0,
	    sizeof(keys) / sizeof(keys[0]));
	tcase_add_test(tc, test_sshkey_rfc8032);
	tcase_add_test(tc, test_sshkey_rsa_roundtrip);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_loop_test(tc, test_clone_commit_push, 0, 2);
	tcase_add_test(tc, test_ssh_needs_authenticator);
	tcase_add_loop_test(tc, test_ssh_is_url, 0,
	    sizeof(urls) / sizeof(urls[0]));
	tcase_add_test(tc, test_ssh_refused);
	tcase_add_test(tc, test_ssh_bad_key_file);
	suite_add_tcase(s, tc);
	return s;
}
