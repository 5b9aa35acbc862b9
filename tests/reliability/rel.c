/*
 * rel.c - helpers of the reliability tests (see rel.h).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/reader.h"
#include "rel.h"

int
rel_daemon_alive(const struct th_daemon *d)
{
	int st;

	return d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == 0 &&
	    kill(d->pid, 0) == 0;
}

/* A stream socket connected to sa (blocking), or -1. */
static int
rel_connect_sa(const struct sockaddr *sa, socklen_t len)
{
	int fd;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, sa, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
rel_connect(const char *sock)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	return rel_connect_sa((struct sockaddr *)&sun, sizeof sun);
}

int
rel_connect_loopback(int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return rel_connect_sa((struct sockaddr *)&sin, sizeof sin);
}

int
rel_send(int fd, const void *buf, size_t len)
{
	return rel_send_fds(fd, buf, len, NULL, 0);
}

int
rel_send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
	struct iovec iov = { (void *)buf, len };
	ssize_t n;

	/* The descriptors ride on the first sendmsg only. */
	while (iov.iov_len > 0) {
		if ((n = wire_sendmsg(fd, &iov, 1, fds, nfds, 0)) == -1)
			return -1;
		fds = NULL;
		nfds = 0;
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
	}
	return 0;
}

size_t
rel_hello_frame(uint8_t *b)
{
	struct wire_hello m = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_RANK, 0 };

	return wire_encode_hello(b, &m);
}

size_t
rel_join_frame(uint8_t *b, const uint8_t *key, uint32_t rank,
    uint32_t nranks)
{
	struct wire_join m;

	memset(&m, 0, sizeof m);
	memcpy(m.key, key, WIRE_KEY_LEN);
	m.rank = rank;
	m.nranks = nranks;
	return wire_encode_join(b, &m);
}

/* Read exactly n bytes before the deadline: 1, 0 on EOF, -1 otherwise. */
static int
rel_read_full(int fd, uint8_t *buf, size_t n, double end)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct cmsghdr *cmsg;
	struct pollfd pfd;
	struct msghdr mh;
	struct iovec iov;
	size_t got = 0, k;
	ssize_t r;
	int left, cfd;

	while (got < n) {
		left = (int)(end - th_now_ms());
		if (left <= 0)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		iov.iov_base = buf + got;
		iov.iov_len = n - got;
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == ECONNRESET ? 0 : -1;
		}
		for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
		    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
			if (cmsg->cmsg_type != SCM_RIGHTS)
				continue;
			for (k = 0; k < (cmsg->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int); k++) {
				memcpy(&cfd, CMSG_DATA(cmsg) + k * sizeof(int),
				    sizeof cfd);
				close(cfd);
			}
		}
		if (r == 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

int
rel_read_frame(int fd, struct wire_hdr *h, uint8_t *payload, size_t size,
    int ms)
{
	double end = th_now_ms() + ms;
	uint8_t hb[WIRE_HDR_LEN], *tmp;
	int rc;

	if ((rc = rel_read_full(fd, hb, sizeof hb, end)) != 1)
		return rc;
	if (wire_decode_hdr_untrusted(hb, sizeof hb, WIRE_FROM_DAEMON, h) !=
	    WIRE_OK)
		return -1;
	if (h->length == 0)
		return 1;
	if ((tmp = malloc(h->length)) == NULL)
		return -1;
	rc = rel_read_full(fd, tmp, h->length, end);
	if (rc == 1 && payload != NULL)
		memcpy(payload, tmp, h->length < size ? h->length : size);
	free(tmp);
	return rc == 1 ? 1 : -1;
}

int
rel_expect_error(int fd, int ms, char *text, size_t size)
{
	double end = th_now_ms() + ms;
	uint8_t p[WIRE_STATUS_HDR_LEN + WIRE_TEXT_MAX];
	struct wire_status_msg st;
	struct wire_hdr h;
	int rc, left;

	if (size > 0)
		text[0] = '\0';
	for (;;) {
		left = (int)(end - th_now_ms());
		if (left <= 0)
			return 1;
		rc = rel_read_frame(fd, &h, p, sizeof p, left);
		if (rc != 1)
			return 1;
		if (h.type != WIRE_ERROR && h.type != WIRE_FAIL)
			continue;
		if (wire_decode_status(p, h.length, &st) != WIRE_OK)
			return 1;
		if (size > 0)
			snprintf(text, size, "%.*s", (int)st.text_len,
			    st.text);
		if (h.type == WIRE_ERROR && !rel_expect_eof(fd,
		    (int)(end - th_now_ms())))
			return 1;
		return st.code;
	}
}

int
rel_expect_eof(int fd, int ms)
{
	double end = th_now_ms() + ms;
	struct wire_hdr h;
	int rc, left;

	for (;;) {
		left = (int)(end - th_now_ms());
		if (left <= 0)
			return 0;
		rc = rel_read_frame(fd, &h, NULL, 0, left);
		if (rc == 0)
			return 1;
		if (rc == -1)
			return 0;
	}
}

int
rel_join(int fd, const uint8_t *key, uint32_t rank, uint32_t nranks,
    int ms)
{
	uint8_t b[128], p[WIRE_STATUS_HDR_LEN + WIRE_TEXT_MAX];
	struct wire_status_msg st;
	struct wire_hdr h;
	size_t n;

	n = rel_hello_frame(b);
	n += rel_join_frame(b + n, key, rank, nranks);
	if (rel_send(fd, b, n) == -1)
		return FB_E_SYS;
	for (;;) {
		if (rel_read_frame(fd, &h, p, sizeof p, ms) != 1)
			return FB_E_TIMEOUT;
		if (h.type == WIRE_JOIN_ACK)
			return 0;
		if ((h.type == WIRE_ERROR || h.type == WIRE_FAIL) &&
		    wire_decode_status(p, h.length, &st) == WIRE_OK)
			return st.code;
	}
}

void
rel_key(const fb_unique_id *id, uint8_t *key)
{
	memcpy(key, id->internal + 8, WIRE_KEY_LEN);	/* UID_OFF_KEY */
}

void
rel_random_key(uint8_t *key)
{
	fb_unique_id id;

	th_unique_id(&id);
	rel_key(&id, key);
}

int
rel_proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
rel_proc_fds_min(pid_t pid, int ms)
{
	double end = th_now_ms() + ms;
	int n, min = -1;

	do {
		n = rel_proc_fds(pid);
		if (min == -1 || (n != -1 && n < min))
			min = n;
		usleep(10000);
	} while (th_now_ms() < end);
	return min;
}

int
rel_proc_fds_wait(pid_t pid, int want, int ms)
{
	double end = th_now_ms() + ms;
	int n;

	while ((n = rel_proc_fds(pid)) > want && th_now_ms() < end)
		usleep(10000);
	return n;
}

int
rel_proc_sched(pid_t pid, double *run_ms, double *wait_ms)
{
	unsigned long long run, wait;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	if (n != 2)
		return -1;
	*run_ms = (double)run / 1e6;
	*wait_ms = (double)wait / 1e6;
	return 0;
}

long
rel_proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

double
rel_proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

int
rel_proc_maps_has(pid_t pid, const char *needle)
{
	char path[64], line[512];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, needle) != NULL)
			found = 1;
	fclose(f);
	return found;
}

struct rel_rank {
	pthread_t t;
	const fb_unique_id *id;
	int rank;
	int nranks;
	int rc;
};

static void *
rel_rank_main(void *arg)
{
	struct rel_rank *a = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *c;
	uint32_t v[64], s[64], d[64];
	int r, n = a->nranks;

	cfg.timeout_ms = 20000;
	a->rc = 1;
	if (fb_comm_init_config(&c, a->id, a->rank, n, &cfg) != 0)
		return NULL;
	v[a->rank] = 0x1000u * (uint32_t)a->rank + 7u;
	for (r = 0; r < n; r++)
		s[r] = (uint32_t)(a->rank * 100 + r);
	if (fb_barrier(c) != 0 || fb_allgather(c, v, sizeof v[0]) != 0 ||
	    fb_alltoall(c, s, d, sizeof s[0]) != 0)
		goto out;
	for (r = 0; r < n; r++)
		if (v[r] != 0x1000u * (uint32_t)r + 7u ||
		    d[r] != (uint32_t)(r * 100 + a->rank))
			goto out;
	a->rc = 0;
out:
	if (fb_comm_destroy(c) != 0)
		a->rc = 1;
	return NULL;
}

int
rel_job(int nranks)
{
	struct rel_rank ranks[64];
	fb_unique_id id;
	int r, failed = 0;

	if (nranks > 64 || fb_get_unique_id(&id) != 0)
		return -1;
	for (r = 0; r < nranks; r++) {
		ranks[r].id = &id;
		ranks[r].rank = r;
		ranks[r].nranks = nranks;
		ranks[r].rc = 1;
		if (pthread_create(&ranks[r].t, NULL, rel_rank_main,
		    &ranks[r]) != 0)
			return -1;
	}
	for (r = 0; r < nranks; r++) {
		pthread_join(ranks[r].t, NULL);
		failed += ranks[r].rc != 0;
	}
	return failed;
}

int
rel_wait_pids(const pid_t *pids, int n, int timeout_ms)
{
	double end = th_now_ms() + timeout_ms;
	int i, st, left = n, failed = 0, *done;

	if ((done = calloc((size_t)n, sizeof *done)) == NULL)
		return n;
	while (left > 0) {
		for (i = 0; i < n; i++) {
			if (done[i] || waitpid(pids[i], &st, WNOHANG) !=
			    pids[i])
				continue;
			done[i] = 1;
			left--;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
		if (left == 0)
			break;
		if (th_now_ms() > end) {
			for (i = 0; i < n; i++)
				if (!done[i]) {
					kill(pids[i], SIGKILL);
					waitpid(pids[i], &st, 0);
					failed++;
				}
			break;
		}
		usleep(2000);
	}
	free(done);
	return failed;
}

static int
rel_dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
rel_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, rel_dcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
rel_max(const double *v, int n)
{
	double m = 0;
	int i;

	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}
