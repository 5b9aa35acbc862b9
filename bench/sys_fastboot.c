/*
 * sys_fastboot.c - fastboot as a system under test, and a private fastbootd
 * for one-command runs.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include <fastboot/fastboot.h>

#include "bench/bench.h"

const char	*sys_fastboot_socket;	/* NULL: the library's default */
int		 sys_fastboot_nodes;	/* --nodes: the job must span them */
pid_t		 sys_fastboot_daemon_pid;
static char	 sys_fastboot_dir[64];
static char	 sys_fastboot_sock[128];
static char	 sys_fastboot_log[128];
static pid_t	 sys_fastboot_peer_pid = -1;

/* The phases of the last bootstrap, bench_now_us() when each ended. */
const char *const sys_fastboot_phase_names[SYS_FASTBOOT_NPHASES] = {
	"getid", "id", "connect", "nodemap", "sent", "join_ack", "mmap",
	"ready", "barrier"
};
double		 sys_fastboot_phase_us[SYS_FASTBOOT_NPHASES];
static double	 sys_fastboot_init_us;	/* when fb_comm_init was called */

static void
sys_fastboot_err(char *err, size_t errlen, const char *what, int rc,
    fb_comm *comm)
{
	const char *detail = fb_comm_last_error(comm);	/* NULL: init's */

	/* The detail names the rank, phase, time or socket; else the code. */
	snprintf(err, errlen, "%s: %s", what, detail != NULL &&
	    *detail != '\0' ? detail : fb_strerror(rc));
}

/*
 * Is a fastbootd listening on path?  1 (and its pid, or 0), or 0 with the
 * reason.  A full backlog (EAGAIN) still means a listener.
 */
int
sys_fastboot_probe(const char *path, pid_t *pid, char *why, size_t len)
{
	struct sockaddr_un sun;
	struct ucred uc;
	socklen_t ulen = sizeof uc;
	int fd, ok;

	*pid = 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(why, len, "path longer than %zu bytes",
		    sizeof sun.sun_path - 1);
		return 0;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return 0;
	}
	ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 ||
	    errno == EAGAIN;
	if (!ok)
		snprintf(why, len, "%s", strerror(errno));
	else if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ulen) == 0)
		*pid = uc.pid;
	close(fd);
	return ok;
}

/* The last line of the private daemon's log, for an error message. */
static void
sys_fastboot_log_tail(char *buf, size_t len)
{
	char line[512];
	FILE *f;

	buf[0] = '\0';
	if ((f = fopen(sys_fastboot_log, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		if (line[0] != '\n')
			snprintf(buf, len, "%s", line);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Start fastbootd on a private socket, its log in a file beside it, and
 * wait for its READY=1 on a notify socket we own (bounded).  Called by rank
 * 0 only.
 */
int
sys_fastboot_start_daemon(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char notify[128], buf[512];
	char *argv[] = { (char *)path, (char *)"-s", sys_fastboot_sock, NULL };
	struct pollfd pfd;
	double end;
	ssize_t n;
	pid_t ppid;
	int fd, lfd, status;

	strcpy(sys_fastboot_dir, "/tmp/fbbench.XXXXXX");
	if (mkdtemp(sys_fastboot_dir) == NULL) {
		snprintf(err, errlen, "mkdtemp /tmp/fbbench.XXXXXX: %s",
		    strerror(errno));
		return -1;
	}
	/* The folder's name is short: every path below fits sun_path. */
	_Static_assert(sizeof "/tmp/fbbench.XXXXXX/fastbootd.sock" <=
	    sizeof sun.sun_path, "private socket path fits sun_path");
	snprintf(sys_fastboot_sock, sizeof sys_fastboot_sock,
	    "%s/fastbootd.sock", sys_fastboot_dir);
	snprintf(notify, sizeof notify, "%s/notify", sys_fastboot_dir);
	snprintf(sys_fastboot_log, sizeof sys_fastboot_log,
	    "%s/fastbootd.log", sys_fastboot_dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, notify, strlen(notify) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		snprintf(err, errlen, "notify socket %s: %s", notify,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		rmdir(sys_fastboot_dir);
		return -1;
	}
	/*
	 * fork + exec at once (no MPI call in between), so that the daemon can
	 * be told to go when we do, even if we are killed (a timeout).
	 */
	ppid = getpid();
	sys_fastboot_daemon_pid = fork();
	if (sys_fastboot_daemon_pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (sys_fastboot_daemon_pid == 0) {
		cpu_set_t all;
		long c, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != ppid)
			_exit(127);
		/* Not rank 0's CPU binding (mpirun binds 2 ranks to a core
		 * each): the daemon runs where a system's would, anywhere. */
		CPU_ZERO(&all);
		for (c = 0; c < ncpu && c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		(void)sched_setaffinity(0, sizeof all, &all);
		setenv("NOTIFY_SOCKET", notify, 1);
		lfd = open(sys_fastboot_log, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600);
		if (lfd == -1 || dup2(lfd, STDERR_FILENO) == -1)
			_exit(127);
		execv(path, argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	end = bench_now_us() + 10e6;
	for (;;) {
		int left = (int)((end - bench_now_us()) / 1000);

		if (left <= 0) {
			snprintf(err, errlen, "%s: no READY=1 within 10 s",
			    path);
			close(fd);
			unlink(notify);
			sys_fastboot_stop_daemon();
			return -1;
		}
		if (waitpid(sys_fastboot_daemon_pid, &status, WNOHANG) ==
		    sys_fastboot_daemon_pid) {
			sys_fastboot_log_tail(buf, sizeof buf);
			snprintf(err, errlen, "%s %s %d before READY=1: %s",
			    path, WIFEXITED(status) ? "exited with" :
			    "was killed by signal", WIFEXITED(status) ?
			    WEXITSTATUS(status) : WTERMSIG(status), buf);
			unlink(sys_fastboot_log);
			sys_fastboot_daemon_pid = 0;
			close(fd);
			unlink(notify);
			rmdir(sys_fastboot_dir);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left > 100 ? 100 : left) <= 0)
			continue;
		n = recv(fd, buf, sizeof buf - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "READY=1") != NULL)
			break;
	}
	close(fd);
	unlink(notify);
	sys_fastboot_socket = sys_fastboot_sock;
	return 0;
}

void
sys_fastboot_stop_daemon(void)
{
	int i, status = -1;

	if (sys_fastboot_daemon_pid <= 0)
		return;
	kill(sys_fastboot_daemon_pid, SIGTERM);
	for (i = 0; i < 300; i++) {
		if (waitpid(sys_fastboot_daemon_pid, &status, WNOHANG) ==
		    sys_fastboot_daemon_pid)
			break;
		usleep(10000);
	}
	if (i == 300) {
		kill(sys_fastboot_daemon_pid, SIGKILL);
		waitpid(sys_fastboot_daemon_pid, &status, 0);
	}
	unlink(sys_fastboot_sock);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		unlink(sys_fastboot_log);
		rmdir(sys_fastboot_dir);
	} else
		fprintf(stderr, "bootstrap_benchmark: the private fastbootd "
		    "(pid %ld) %s %d on SIGTERM; its log: %s\n",
		    (long)sys_fastboot_daemon_pid, WIFEXITED(status) ?
		    "exited with" : "was ended by signal", WIFEXITED(status) ?
		    WEXITSTATUS(status) : WTERMSIG(status), sys_fastboot_log);
	sys_fastboot_daemon_pid = 0;
}

/*
 * The library's debug line at the end of fb_comm_init (libclient/comm.c)
 * gives its phases in us from the call: when each ended, on our clock.
 */
static void
sys_fastboot_phase_log(void *arg, int level, const char *msg)
{
	int v[6], i;
	const char *p;

	if ((p = strstr(msg, " us: connect=")) == NULL ||
	    sscanf(p, " us: connect=%d nodemap=%d sent=%d join_ack=%d "
	    "mmap=%d ready=%d", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		return;
	for (i = 0; i < 6; i++)
		sys_fastboot_phase_us[2 + i] = v[i] < 0 ? -1 :
		    sys_fastboot_init_us + v[i];
}

static int
sys_fastboot_boot(void **h, char *err, size_t errlen)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_unique_id id;
	fb_comm *comm = NULL;
	int rc = 0, i;

	for (i = 0; i < SYS_FASTBOOT_NPHASES; i++)
		sys_fastboot_phase_us[i] = -1;

	if (bench_rank == 0) {
		rc = fb_get_unique_id(&id);
		sys_fastboot_phase_us[0] = bench_now_us();
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc != 0) {
		sys_fastboot_err(err, errlen, "fb_get_unique_id", rc, NULL);
		return -1;
	}
	MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
	cfg.socket_path = sys_fastboot_socket;
	/* Debug level for the phases only: nothing else logs on this path. */
	cfg.log_fn = sys_fastboot_phase_log;
	cfg.log_level = FB_LOG_DEBUG;
	sys_fastboot_init_us = sys_fastboot_phase_us[1] = bench_id_us =
	    bench_now_us();
	if ((rc = fb_comm_init_config(&comm, &id, bench_rank, bench_nranks,
	    &cfg)) != 0) {
		sys_fastboot_err(err, errlen, "fb_comm_init", rc, comm);
		fb_comm_destroy(comm);
		return -1;
	}
	if ((rc = fb_barrier(comm)) != 0) {
		sys_fastboot_err(err, errlen, "fb_barrier", rc, comm);
		fb_comm_destroy(comm);
		return -1;
	}
	sys_fastboot_phase_us[SYS_FASTBOOT_NPHASES - 1] = bench_now_us();
	/* Across simulated nodes: the job must really span them, else the
	 * figures would be one node's. */
	if (sys_fastboot_nodes > 0) {
		int node, nnodes;

		if ((rc = fb_comm_node(comm, &node, &nnodes)) != 0 ||
		    nnodes != sys_fastboot_nodes) {
			snprintf(err, errlen, "rank %d: the job spans %d "
			    "nodes, --nodes says %d (is FASTBOOT_SOCKET this "
			    "node's fastbootd, listening on TCP?)", bench_rank,
			    rc != 0 ? -1 : nnodes, sys_fastboot_nodes);
			fb_comm_destroy(comm);
			return -1;
		}
	}
	*h = comm;
	return 0;
}

/*
 * The untimed warm-up before the first timed job: a job of this node's
 * ranks alone, on their own daemon (an id from the node's first rank,
 * broadcast within the node): fb_get_unique_id, fb_comm_init, a barrier,
 * fb_comm_destroy.  It pays the process's first-time costs (lazy binding,
 * first page faults, the first connection to the daemon, a first wait in a
 * barrier) and the daemon's first job of that size, but spans one node, so
 * no daemon opens a TCP link for it (the benchmark counts them).
 */
int
sys_fastboot_warm(char *err, size_t errlen)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	MPI_Comm node = bench_node_comm();
	fb_unique_id id;
	fb_comm *comm = NULL;
	int rc = 0, me, n;

	MPI_Comm_rank(node, &me);
	MPI_Comm_size(node, &n);
	if (me == 0)
		rc = fb_get_unique_id(&id);
	MPI_Bcast(&rc, 1, MPI_INT, 0, node);
	if (rc != 0) {
		sys_fastboot_err(err, errlen, "warm-up: fb_get_unique_id", rc,
		    NULL);
		return -1;
	}
	MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, node);
	/* The timed jobs' settings, their phase log included. */
	cfg.socket_path = sys_fastboot_socket;
	cfg.log_fn = sys_fastboot_phase_log;
	cfg.log_level = FB_LOG_DEBUG;
	sys_fastboot_init_us = bench_now_us();
	if ((rc = fb_comm_init_config(&comm, &id, me, n, &cfg)) != 0) {
		sys_fastboot_err(err, errlen, "warm-up: fb_comm_init (this "
		    "node's ranks)", rc, comm);
		fb_comm_destroy(comm);
		return -1;
	}
	if ((rc = fb_barrier(comm)) != 0) {
		sys_fastboot_err(err, errlen, "warm-up: fb_barrier (this "
		    "node's ranks)", rc, comm);
		fb_comm_destroy(comm);
		return -1;
	}
	if ((rc = fb_comm_destroy(comm)) != 0) {
		snprintf(err, errlen, "warm-up: fb_comm_destroy (this node's "
		    "ranks): %s", fb_strerror(rc));
		return -1;
	}
	return 0;
}

static int
sys_fastboot_fini(void *h)
{
	return fb_comm_destroy(h) == 0 ? 0 : -1;
}

static int
sys_fastboot_barrier(void *h, char *err, size_t errlen)
{
	int rc;

	if ((rc = fb_barrier(h)) != 0) {
		sys_fastboot_err(err, errlen, "fb_barrier", rc, h);
		return -1;
	}
	return 0;
}

static int
sys_fastboot_allgather(void *h, void *buf, size_t bytes, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = fb_allgather(h, buf, bytes)) != 0) {
		sys_fastboot_err(err, errlen, "fb_allgather", rc, h);
		return -1;
	}
	return 0;
}

static int
sys_fastboot_alltoall(void *h, const void *sbuf, void *rbuf, size_t bytes,
    char *err, size_t errlen)
{
	int rc;

	if ((rc = fb_alltoall(h, sbuf, rbuf, bytes)) != 0) {
		sys_fastboot_err(err, errlen, "fb_alltoall", rc, h);
		return -1;
	}
	return 0;
}

static int
sys_fastboot_pingpong(void *h, void *buf, size_t len, int peer, char *err,
    size_t errlen)
{
	int rc;

	if (bench_rank < peer) {
		if ((rc = fb_send(h, buf, len, peer, 1)) == 0)
			rc = fb_recv(h, buf, len, peer, 2);
	} else {
		if ((rc = fb_recv(h, buf, len, peer, 1)) == 0)
			rc = fb_send(h, buf, len, peer, 2);
	}
	if (rc != 0) {
		sys_fastboot_err(err, errlen, "fb_send/fb_recv", rc, h);
		return -1;
	}
	return 0;
}

/* Endpoint exchange (bench.h): all sends, then all receives, a barrier. */
static int
sys_fastboot_exchange(void *h, const void *sbuf, void *rbuf, char *err,
    size_t errlen)
{
	const unsigned char *s = sbuf;
	unsigned char *r = rbuf;
	int n = bench_nranks, me = bench_rank, i, p, rc = 0;

	for (i = 1; i < n && rc == 0; i++) {
		p = (me + i) % n;
		rc = fb_send(h, s + (size_t)p * BENCH_EXCH_BYTES,
		    BENCH_EXCH_SMALL, p, BENCH_EXCH_TAG(me, 0));
		if (rc == 0)
			rc = fb_send(h, s + (size_t)p * BENCH_EXCH_BYTES +
			    BENCH_EXCH_SMALL, BENCH_EXCH_LARGE, p,
			    BENCH_EXCH_TAG(me, 1));
	}
	for (i = 1; i < n && rc == 0; i++) {
		p = (me - i + n) % n;
		rc = fb_recv(h, r + (size_t)p * BENCH_EXCH_BYTES,
		    BENCH_EXCH_SMALL, p, BENCH_EXCH_TAG(p, 0));
		if (rc == 0)
			rc = fb_recv(h, r + (size_t)p * BENCH_EXCH_BYTES +
			    BENCH_EXCH_SMALL, BENCH_EXCH_LARGE, p,
			    BENCH_EXCH_TAG(p, 1));
	}
	if (rc == 0)
		rc = fb_barrier(h);
	if (rc != 0) {
		sys_fastboot_err(err, errlen, "endpoint exchange", rc, h);
		return -1;
	}
	return 0;
}

/* The daemon's pid: ours, or the peer of a bare connection (SO_PEERCRED). */
static pid_t
sys_fastboot_server_pid(void *h)
{
	struct sockaddr_un sun;
	struct ucred uc;
	socklen_t len = sizeof uc;
	const char *path;
	int fd;

	if (sys_fastboot_daemon_pid > 0)
		return sys_fastboot_daemon_pid;
	if (sys_fastboot_peer_pid != -1)
		return sys_fastboot_peer_pid;
	sys_fastboot_peer_pid = 0;
	path = sys_fastboot_socket;
	if (path == NULL && (path = getenv("FASTBOOT_SOCKET")) == NULL)
		path = FB_DEFAULT_SOCKET;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return 0;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
		sys_fastboot_peer_pid = uc.pid;
	close(fd);
	return sys_fastboot_peer_pid;
}

const struct bench_sys sys_fastboot = {
	.name = "fastboot",
	.boot_what = "fb_get_unique_id (rank 0) -> MPI_Bcast -> "
	    "fb_comm_init -> first fb_barrier",
	.boot = sys_fastboot_boot,
	.fini = sys_fastboot_fini,
	.barrier = sys_fastboot_barrier,
	.allgather = sys_fastboot_allgather,
	.alltoall = sys_fastboot_alltoall,
	.pingpong = sys_fastboot_pingpong,
	.exchange = sys_fastboot_exchange,
	.server_pid = sys_fastboot_server_pid,
};
