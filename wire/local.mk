# The wire codec: linked into the library, the daemon, tools and tests.
noinst_LTLIBRARIES += wire/libwire.la
wire_libwire_la_SOURCES = wire/wire.c wire/wire.h wire/table.h wire/clock.h \
	wire/peer.c wire/peer.h wire/reader.c wire/reader.h \
	wire/ring.c wire/ring.h
wire_libwire_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
