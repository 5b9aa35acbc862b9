/*
 * listener.c - the daemon's listening socket: taken from systemd (socket
 * activation) or made here, with a connect probe so that a second daemon
 * refuses to start and a stale socket file is replaced.  Accepting backs
 * off on EMFILE/ENFILE instead of spinning.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fastbootd.h"

#define LISTENER_ACCEPT_BURST	64

static int listener_fd = -1;
static int listener_owned;		/* we bound the path ourselves */
static struct stat listener_st;		/* its inode, to unlink only ours */
static struct event *listener_ev;
static struct event *listener_backoff_ev;
static void (*listener_accept_fn)(int);

static void
listener_accept_cb(int fd, short events, void *arg)
{
	int i, cfd;

	for (i = 0; i < LISTENER_ACCEPT_BURST; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			util_accept_failed(listener_ev, listener_backoff_ev,
			    "accept");
			return;
		}
		listener_accept_fn(cfd);
	}
}

static int
listener_fill_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		log_warnx("socket path too long (%zu bytes, at most %zu): %s",
		    strlen(path), sizeof sun->sun_path - 1, path);
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* Make the socket ourselves; refuse if a live daemon answers there. */
static int
listener_bind(const char *path)
{
	struct sockaddr_un sun;
	char dir[sizeof sun.sun_path];
	mode_t old;
	int fd, probe;

	if (listener_fill_addr(&sun, path) == -1)
		return -1;
	strcpy(dir, path);
	if (mkdir(dirname(dir), 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", dir);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe == -1) {
		log_warn("socket");
		return -1;
	}
	if (connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(probe);
		log_warnx("another fastbootd is already serving %s", path);
		errno = EADDRINUSE;
		return -1;
	}
	if (errno == ECONNREFUSED) {
		struct stat st;

		/* Nobody listens: a stale socket.  Replace only sockets. */
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			close(probe);
			log_warnx("%s exists and is not a socket", path);
			return -1;
		}
		log_info("removing stale socket %s", path);
		unlink(path);
	}
	close(probe);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("socket");
		return -1;
	}
	old = umask(0777 & ~dconf.socket_mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		log_warn("bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, dconf.socket_mode) == -1)
		log_warn("chmod %s", path);
	if (listen(fd, SOMAXCONN) == -1) {
		log_warn("listen %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	if (stat(path, &listener_st) == 0)
		listener_owned = 1;
	return fd;
}

/* The AF_UNIX socket among those systemd passed (fastbootd-tcp.socket may
 * add TCP ones: tcp.c takes those). */
static int
listener_inherit(void)
{
	int n, i, fd = -1;

	n = sd_listen_fds(0);
	if (n < 0) {
		errno = -n;
		log_warn("sd_listen_fds");
		return -1;
	}
	if (n == 0)
		return -2;
	for (i = SD_LISTEN_FDS_START; i < SD_LISTEN_FDS_START + n; i++) {
		if (sd_is_socket_unix(i, SOCK_STREAM, 1, NULL, 0) <= 0)
			continue;
		if (fd != -1) {
			log_warnx("systemd passed two AF_UNIX sockets, "
			    "expected one");
			return -1;
		}
		fd = i;
	}
	if (fd == -1) {
		if (sd_is_socket_inet(SD_LISTEN_FDS_START, 0, SOCK_STREAM, 1,
		    0) > 0)
			return -2;	/* only TCP: bind the path ourselves */
		log_warnx("the socket systemd passed is not a listening "
		    "AF_UNIX stream socket");
		return -1;
	}
	/* Activated sockets are blocking; a blocking accept would stall. */
	if (util_set_nonblock(fd) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("fcntl");
		return -1;
	}
	log_info("using the socket passed by systemd");
	return fd;
}

int
listener_activated(void)
{
	return listener_fd != -1 && !listener_owned;
}

int
listener_open(void (*accept_fn)(int))
{
	int fd;

	listener_accept_fn = accept_fn;
	fd = listener_inherit();
	if (fd == -1)
		return -1;
	if (fd == -2) {
		fd = listener_bind(dconf.socket_path);
		if (fd == -1)
			return -1;
		log_info("listening on %s", dconf.socket_path);
	}
	listener_fd = fd;
	listener_ev = event_new(dbase, fd, EV_READ | EV_PERSIST,
	    listener_accept_cb, NULL);
	listener_backoff_ev = evtimer_new(dbase, util_accept_resume,
	    listener_ev);
	if (listener_ev == NULL || listener_backoff_ev == NULL)
		fatalx("event_new failed");
	event_add(listener_ev, NULL);
	return 0;
}

void
listener_close(void)
{
	struct stat st;

	if (listener_fd == -1)
		return;
	event_free(listener_ev);
	event_free(listener_backoff_ev);
	close(listener_fd);
	/* Unlink the path only if it is still the socket we made. */
	if (listener_owned && stat(dconf.socket_path, &st) == 0 &&
	    st.st_dev == listener_st.st_dev && st.st_ino == listener_st.st_ino)
		unlink(dconf.socket_path);
	listener_fd = -1;
}
