# packaging: systemd units (installed, never enabled) and the Debian build.
systemdsystemunit_DATA = packaging/systemd/fastbootd.socket \
	packaging/systemd/fastbootd.service \
	packaging/systemd/fastbootd-tcp.socket
CLEANFILES += packaging/systemd/fastbootd.service \
	packaging/systemd/fastbootd.socket

# Units are made with sed (not config.status) so that the paths follow a
# "make sbindir=..." override; the socket is copied for a builddir that
# holds both units side by side (systemd-analyze verify resolves Requires=
# next to the file).
packaging/systemd/fastbootd.service: \
	$(top_srcdir)/packaging/systemd/fastbootd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) packaging/systemd && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(top_srcdir)/packaging/systemd/fastbootd.service.in > $@.tmp && \
	mv -f $@.tmp $@
packaging/systemd/fastbootd.socket: \
	$(top_srcdir)/packaging/systemd/fastbootd.socket.in Makefile
	$(AM_V_GEN)$(MKDIR_P) packaging/systemd && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(top_srcdir)/packaging/systemd/fastbootd.socket.in > $@.tmp && \
	mv -f $@.tmp $@

EXTRA_DIST += \
	packaging/systemd/fastbootd-tcp.socket \
	packaging/systemd/fastbootd.service.in \
	packaging/systemd/fastbootd.socket.in \
	packaging/build-debs.sh \
	packaging/debian/changelog \
	packaging/debian/control \
	packaging/debian/copyright \
	packaging/debian/rules \
	packaging/debian/source/format \
	packaging/debian/not-installed \
	packaging/debian/fastbootd.install \
	packaging/debian/libfastboot-client1.install \
	packaging/debian/libfastboot-client1.symbols \
	packaging/debian/libfastboot-client-dev.install \
	packaging/debian/libfastboot-client-dev.examples

# Build the Debian packages from this tree's dist tarball (slow).
debs: dist
	$(SHELL) $(top_srcdir)/packaging/build-debs.sh $(DIST_ARCHIVES)
.PHONY: debs
