# libfastboot-client: the library each process of a job links.
lib_LTLIBRARIES += libclient/libfastboot-client.la

fastbootincludedir = $(includedir)/fastboot
# fastboot.h is written by configure from fastboot.h.in (the version).
nodist_fastbootinclude_HEADERS = include/fastboot/fastboot.h
fastbootinclude_HEADERS = include/fastboot/mscclpp_bootstrap.hpp
libclient_libfastboot_client_la_SOURCES = \
	libclient/client.h \
	libclient/comm.c \
	libclient/coll.c \
	libclient/decode.c \
	libclient/error.c \
	libclient/io.c \
	libclient/mq.c \
	libclient/nodemap.h \
	libclient/p2p.c \
	libclient/rtab.c \
	libclient/shm.c
libclient_libfastboot_client_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libclient_libfastboot_client_la_LIBADD = wire/libwire.la
# The node map of a PMIx launcher (libclient/nodemap.h); without PMIx the
# header's inline answers "no PMIx here".
libclient_libfastboot_client_la_CPPFLAGS = $(AM_CPPFLAGS) $(PMIX_CFLAGS)
if HAVE_PMIX
libclient_libfastboot_client_la_SOURCES += libclient/pmix.c
libclient_libfastboot_client_la_LIBADD += $(PMIX_LIBS)
else
EXTRA_DIST += libclient/pmix.c
endif
# Interface version: see the bump rules beside LIBFASTBOOT_LT_VERSION in
# configure.ac.
libclient_libfastboot_client_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(LIBFASTBOOT_LT_VERSION) -no-undefined \
	-Wl,--version-script=$(top_srcdir)/libclient/libfastboot-client.map
EXTRA_libclient_libfastboot_client_la_DEPENDENCIES = \
	libclient/libfastboot-client.map
EXTRA_DIST += include/fastboot/fastboot.h.in
DISTCLEANFILES += include/fastboot/fastboot.h
EXTRA_DIST += libclient/libfastboot-client.map libclient/libfastboot-cuda.map \
	libclient/libfastboot-client.pc.in
pkgconfig_DATA += libclient/libfastboot-client.pc
DISTCLEANFILES += libclient/libfastboot-client.pc

# Optional CUDA helpers: a library of their own, so that the client library
# never depends on CUDA.
if HAVE_CUDA
lib_LTLIBRARIES += libclient/libfastboot-cuda.la
fastbootinclude_HEADERS += include/fastboot/fastboot_cuda.h
libclient_libfastboot_cuda_la_SOURCES = libclient/cuda.c
libclient_libfastboot_cuda_la_CPPFLAGS = $(AM_CPPFLAGS) $(CUDA_CPPFLAGS)
libclient_libfastboot_cuda_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libclient_libfastboot_cuda_la_LIBADD = libclient/libfastboot-client.la \
	$(CUDA_LIBS)
libclient_libfastboot_cuda_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(LIBFASTBOOT_LT_VERSION) -no-undefined \
	-Wl,--version-script=$(top_srcdir)/libclient/libfastboot-cuda.map
EXTRA_libclient_libfastboot_cuda_la_DEPENDENCIES = \
	libclient/libfastboot-cuda.map
else
EXTRA_DIST += include/fastboot/fastboot_cuda.h libclient/cuda.c
endif
