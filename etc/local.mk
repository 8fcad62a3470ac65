# etc: one configuration file per daemon, every option commented out with
# its help text and default, written by etc/genconf.sh from the daemon's
# --help (so from its option table).  make install puts each in
# $(sysconfdir)/timbre, where the daemon looks by default, but never over
# a file that is already there: that one is the administrator's.
# tests/etc.sh fails when a file is stale; `make etc` writes them again.
TIMBRE_DAEMONS = resolverd primaryd signd listd
TIMBRE_CONFS = $(foreach d,$(TIMBRE_DAEMONS),etc/timbre-$(d).conf)
timbreconfdir = $(sysconfdir)/timbre
EXTRA_DIST += $(TIMBRE_CONFS) etc/genconf.sh etc/local.mk

install-data-local: install-timbre-confs
install-timbre-confs:
	$(MKDIR_P) '$(DESTDIR)$(timbreconfdir)'
	@for f in $(TIMBRE_CONFS); do \
	  t='$(DESTDIR)$(timbreconfdir)'/$${f#etc/}; \
	  if test -e "$$t"; then \
	    echo "  keeping $$t (already there)"; \
	  else \
	    echo " $(INSTALL_DATA) $(srcdir)/$$f '$$t'"; \
	    $(INSTALL_DATA) '$(srcdir)'/$$f "$$t" || exit 1; \
	  fi; \
	done

# Removes only the files still as shipped: an edited one is kept.
uninstall-local: uninstall-timbre-confs
uninstall-timbre-confs:
	@for f in $(TIMBRE_CONFS); do \
	  t='$(DESTDIR)$(timbreconfdir)'/$${f#etc/}; \
	  if test -f "$$t" && cmp -s '$(srcdir)'/$$f "$$t"; then \
	    echo " rm -f '$$t'"; rm -f "$$t"; \
	  fi; \
	done
	-rmdir '$(DESTDIR)$(timbreconfdir)' 2>/dev/null

etc: $(foreach d,$(TIMBRE_DAEMONS),daemons/$(d)/timbre-$(d))
	@for d in $(TIMBRE_DAEMONS); do \
	  echo "  GEN      etc/timbre-$$d.conf"; \
	  $(SHELL) $(srcdir)/etc/genconf.sh daemons/$$d/timbre-$$d \
	    >'$(srcdir)'/etc/timbre-$$d.conf.tmp && \
	  mv '$(srcdir)'/etc/timbre-$$d.conf.tmp '$(srcdir)'/etc/timbre-$$d.conf \
	    || exit 1; \
	done

# The files match the daemons' --help, every line is a comment, and the
# defaults they show are values the daemons accept.
TESTS += tests/etc.sh
EXTRA_DIST += tests/etc.sh
.PHONY: etc install-timbre-confs uninstall-timbre-confs

# The syntax of those files, and the walk through a whole deployment.
dist_man_MANS += man/timbre.conf.5 man/timbre-deploy.7

# The deployment's scripts, for users of the packages as much as of the
# tree (timbre-deploy(7)): the NAT of ports 25 and 53 (iptables and
# nftables) and certbot's deploy hook with its plugin's example file.
deploydir = $(pkgdatadir)
dist_deploy_SCRIPTS = contrib/iptables/timbre-nat.sh \
	contrib/iptables/timbre-nat.nft
acmedir = $(pkgdatadir)/acme
dist_acme_SCRIPTS = contrib/acme/deploy-hook
dist_acme_DATA = contrib/acme/rfc2136.ini.example
