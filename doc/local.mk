# doc: man pages (installed) and the design notes (distributed).
# The pages with a .TH version are written by configure from NAME.in.
man_MANS = doc/fastbootd.8 doc/fastbootctl.1 doc/fastboot.3
EXTRA_DIST += doc/fastbootd.8.in doc/fastbootctl.1.in doc/fastboot.3.in
DISTCLEANFILES += $(man_MANS)
dist_man_MANS += doc/fb_get_unique_id.3 doc/fb_config_init.3 doc/fb_comm_init.3 \
	doc/fb_comm_init_config.3 doc/fb_comm_rank.3 doc/fb_comm_size.3 \
	doc/fb_comm_local_rank.3 doc/fb_comm_local_size.3 doc/fb_comm_node.3 \
	doc/fb_barrier.3 \
	doc/fb_allgather.3 doc/fb_alltoall.3 doc/fb_send.3 doc/fb_recv.3 \
	doc/fb_comm_destroy.3 doc/fb_strerror.3 doc/fb_comm_last_error.3 \
	doc/fb_version.3
EXTRA_DIST += doc/protocol.md doc/decisions.md doc/architecture.md
EXTRA_DIST += doc/multinode.md doc/scale.md doc/limits.md
