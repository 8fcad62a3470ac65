# contrib/deb: the Debian packaging (debian/) and build.sh, which builds the
# packages for Debian 12 and 11 in chroots, runs lintian and installs them
# in a throwaway copy of each (check.sh runs it; it needs root).  Shipped
# so that a release tarball builds its packages too.
EXTRA_DIST += debian contrib/deb/build.sh contrib/deb/install-check.sh \
	contrib/deb/local.mk
