# fastbootctl: the operator's view of fastbootd (status, jobs).
bin_PROGRAMS += tools/fastbootctl
tools_fastbootctl_SOURCES = tools/fastbootctl.c
tools_fastbootctl_LDADD = wire/libwire.la
