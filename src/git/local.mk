# src/git: the zone repository (libgit2), its SSH transport (libssh) and
# SSH keys, in a library of its own so that only the programs using them
# link libgit2 and libssh.
noinst_LIBRARIES += src/libtimbre_git.a
src_libtimbre_git_a_SOURCES = src/git/repo.h src/git/repo_priv.h \
	src/git/repo.c src/git/ssh.c src/git/sshkey.c
src_libtimbre_git_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBGIT2_CFLAGS) $(LIBSSH_CFLAGS)
GIT_LIBS = src/libtimbre_git.a $(LIBGIT2_LIBS) $(LIBSSH_LIBS)

check_PROGRAMS += tests/unit/git/check_git
TESTS += tests/unit/git/check_git
tests_unit_git_check_git_SOURCES = tests/unit/git/test_git.c
tests_unit_git_check_git_CPPFLAGS = $(AM_CPPFLAGS) $(LIBGIT2_CFLAGS)
tests_unit_git_check_git_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_git_check_git_LDADD = $(GIT_LIBS) $(UNIT_LDADD)
