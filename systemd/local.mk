# systemd: one hardened unit per daemon.  The units are written from
# systemd/*.service.in with configure's paths (sbindir, sysconfdir), and
# installed into systemd's unit directory (configure
# --with-systemdsystemunitdir; make distcheck gives it one under its own
# prefix).  tests/systemd.sh checks them with systemd-analyze.
TIMBRE_UNITS = $(foreach d,$(TIMBRE_DAEMONS),systemd/timbre-$(d).service)
EXTRA_DIST += $(TIMBRE_UNITS:=.in) systemd/local.mk
CLEANFILES += $(TIMBRE_UNITS)
noinst_DATA = $(TIMBRE_UNITS)
if HAVE_SYSTEMD
systemdsystemunit_DATA = $(TIMBRE_UNITS)
endif
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$$(prefix)/lib/systemd/system'

$(TIMBRE_UNITS): %: $(srcdir)/%.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' $(srcdir)/$@.in >$@.tmp && \
	mv $@.tmp $@

# systemd-analyze verify and security on the units as make install puts
# them (exposure 2.0 at most).
TESTS += tests/systemd.sh
EXTRA_DIST += tests/systemd.sh
