# fastbootd = main.c + a convenience library, so tests link the real code.
sbin_PROGRAMS += daemon/fastbootd
noinst_LTLIBRARIES += daemon/libfastbootd.la
daemon_libfastbootd_la_SOURCES = \
	daemon/fastbootd.h \
	daemon/conn.c \
	daemon/ctl.c \
	daemon/fed.c \
	daemon/job.c \
	daemon/listener.c \
	daemon/log.c \
	daemon/notify.c \
	daemon/peer.c \
	daemon/state.c \
	daemon/table.c \
	daemon/tcp.c \
	daemon/transport.c \
	daemon/uidmap.c \
	daemon/util.c
daemon_libfastbootd_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(SYSTEMD_CFLAGS) $(SODIUM_CFLAGS)
daemon_libfastbootd_la_LIBADD = wire/libwire.la $(LIBEVENT_LIBS) \
	$(SYSTEMD_LIBS) $(SODIUM_LIBS)
daemon_fastbootd_SOURCES = daemon/main.c
daemon_fastbootd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SYSTEMD_CFLAGS) \
	$(SODIUM_CFLAGS)
daemon_fastbootd_LDADD = daemon/libfastbootd.la
