/*
 * tcp.c - the daemon's TCP side: --listen-tcp addresses (or sockets from
 * systemd), the interface an "auto" address comes from (FASTBOOT_IFNAME,
 * NCCL's syntax), the endpoints this daemon advertises, and the options
 * every daemon-to-daemon socket gets.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fastbootd.h"

#define TCP_MAX_LISTEN	8

struct tcp_listener {
	int fd;
	struct wpeer_ep ep;	/* as bound (may be a wildcard) */
	struct event *ev;
	struct event *backoff;	/* out of descriptors: ev waits */
};

static struct tcp_listener tcp_ls[TCP_MAX_LISTEN];
static int tcp_nls;
static const char *tcp_specs[TCP_MAX_LISTEN];
static int tcp_nspecs;
static struct wpeer_ep tcp_adv[TCP_MAX_LISTEN];	/* advertised */
static int tcp_nadv;
static char tcp_host[WPEER_HOST_LEN];
static uint64_t tcp_inst;
static void (*tcp_accept_fn)(int, const struct sockaddr *);

int
tcp_add_spec(const char *spec)
{
	if (tcp_nspecs >= TCP_MAX_LISTEN)
		return -1;
	tcp_specs[tcp_nspecs++] = spec;
	return 0;
}

void
tcp_sa_to_ep(const struct sockaddr *sa, struct wpeer_ep *ep)
{
	memset(ep, 0, sizeof *ep);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		ep->family = 4;
		ep->port = ntohs(in->sin_port);
		memcpy(ep->addr, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		ep->family = 6;
		ep->port = ntohs(in6->sin6_port);
		memcpy(ep->addr, &in6->sin6_addr, 16);
	}
}

socklen_t
tcp_ep_to_sa(const struct wpeer_ep *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (ep->family == 4) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(ep->port);
		memcpy(&in->sin_addr, ep->addr, 4);
		return sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(ep->port);
		memcpy(&in6->sin6_addr, ep->addr, 16);
		return sizeof *in6;
	}
}

static int
tcp_ep_wildcard(const struct wpeer_ep *ep)
{
	static const uint8_t zero[16];

	return memcmp(ep->addr, zero, ep->family == 4 ? 4 : 16) == 0;
}

/* Does an interface name match FASTBOOT_IFNAME (NCCL's syntax: a list of
 * prefixes, "^" excludes, "=" asks for exact names)? */
static int
tcp_if_match(const char *name, const char *spec)
{
	char buf[256], *tok, *save;
	int exclude = 0, exact = 0, hit = 0;

	if (spec == NULL || *spec == '\0')
		return strcmp(name, "lo") != 0;
	if (*spec == '^') {
		exclude = 1;
		spec++;
	}
	if (*spec == '=') {
		exact = 1;
		spec++;
	}
	snprintf(buf, sizeof buf, "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (exact ? strcmp(name, tok) == 0 :
		    strncmp(name, tok, strlen(tok)) == 0)
			hit = 1;
	}
	return exclude ? !hit && strcmp(name, "lo") != 0 : hit;
}

/* The address of the interface FASTBOOT_IFNAME picks (else the first
 * non-loopback interface that is up), of the family asked (0: any). */
static int
tcp_pick_if(int family, struct wpeer_ep *ep, char *ifname, size_t ifsize)
{
	const char *spec = getenv("FASTBOOT_IFNAME");
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return -1;
	}
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK && (spec == NULL ||
		    *spec == '\0')))
			continue;
		if (i->ifa_addr->sa_family != AF_INET &&
		    i->ifa_addr->sa_family != AF_INET6)
			continue;
		if (family != 0 && i->ifa_addr->sa_family != family)
			continue;
		if (i->ifa_addr->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)
		    (void *)i->ifa_addr)->sin6_addr))
			continue;
		if (!tcp_if_match(i->ifa_name, spec))
			continue;
		tcp_sa_to_ep(i->ifa_addr, ep);
		snprintf(ifname, ifsize, "%s", i->ifa_name);
		found = 1;
	}
	freeifaddrs(ifa);
	if (!found) {
		log_warnx("no interface that is up matches FASTBOOT_IFNAME=%s",
		    spec != NULL && *spec != '\0' ? spec :
		    "(unset: the first non-loopback)");
		return -1;
	}
	return 0;
}

/* "ADDR", "ADDR:PORT", "[ADDR6]:PORT", "auto", "auto:PORT". */
static int
tcp_parse(const char *spec, struct wpeer_ep *ep)
{
	char buf[128], *host = buf, *port = NULL, *end, ifname[IFNAMSIZ];
	struct in6_addr a6;
	struct in_addr a4;
	unsigned long p = WPEER_DEFAULT_PORT;

	if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf)
		return -1;
	if (*host == '[') {
		host++;
		if ((end = strchr(host, ']')) == NULL)
			return -1;
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((end = strrchr(host, ':')) != NULL &&
	    strchr(host, ':') == end) {
		*end = '\0';
		port = end + 1;
	}
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || p == 0 || p > 65535)
			return -1;
	}
	memset(ep, 0, sizeof *ep);
	if (strcmp(host, "auto") == 0) {
		if (tcp_pick_if(0, ep, ifname, sizeof ifname) == -1)
			return -1;
		log_info("--listen-tcp auto: interface %s", ifname);
	} else if (inet_pton(AF_INET, host, &a4) == 1) {
		ep->family = 4;
		memcpy(ep->addr, &a4, 4);
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		ep->family = 6;
		memcpy(ep->addr, &a6, 16);
	} else
		return -1;
	ep->port = (uint16_t)p;
	return 0;
}

static void
tcp_accept_cb(int fd, short events, void *arg)
{
	struct tcp_listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int i, cfd;

	for (i = 0; i < 16; i++) {
		len = sizeof ss;
		cfd = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			util_accept_failed(l->ev, l->backoff, "accept (tcp)");
			return;
		}
		tcp_accept_fn(cfd, (struct sockaddr *)&ss);
	}
}

static int
tcp_listen_fd(int fd, const struct wpeer_ep *ep)
{
	struct tcp_listener *l;

	if (tcp_nls >= TCP_MAX_LISTEN) {
		close(fd);
		return -1;
	}
	l = &tcp_ls[tcp_nls++];
	l->fd = fd;
	l->ep = *ep;
	l->ev = event_new(dbase, fd, EV_READ | EV_PERSIST, tcp_accept_cb, l);
	l->backoff = evtimer_new(dbase, util_accept_resume, l->ev);
	if (l->ev == NULL || l->backoff == NULL)
		fatalx("event_new failed");
	event_add(l->ev, NULL);
	return 0;
}

static int
tcp_bind(const struct wpeer_ep *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_ep_to_sa(ep, &ss);
	char name[64];
	int fd, one = 1;

	wpeer_ep_format(ep, name, sizeof name);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("socket for %s", name);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		log_warn("listen on %s", name);
		close(fd);
		return -1;
	}
	log_info("listening on tcp %s", name);
	return tcp_listen_fd(fd, ep);
}

/* An address the others can reach us at, for a wildcard listener. */
static void
tcp_advertise(const struct wpeer_ep *ep)
{
	struct wpeer_ep a = *ep;
	char ifname[IFNAMSIZ], name[64];

	if (tcp_nadv >= TCP_MAX_LISTEN)
		return;
	if (tcp_ep_wildcard(&a)) {
		/* [::] is dual-stack (systemd's ListenStream=PORT): any. */
		if (tcp_pick_if(a.family == 4 ? AF_INET : 0, &a,
		    ifname, sizeof ifname) == -1)
			return;
		a.port = ep->port;
		wpeer_ep_format(&a, name, sizeof name);
		log_info("advertising %s (interface %s) for a wildcard "
		    "listener", name, ifname);
	}
	tcp_adv[tcp_nadv++] = a;
}

/* Sockets systemd passed (fastbootd-tcp.socket): every AF_INET/6 one. */
static void
tcp_inherit(void)
{
	struct sockaddr_storage ss;
	struct wpeer_ep ep;
	socklen_t len;
	int n, fd;

	n = sd_listen_fds(0);
	for (fd = SD_LISTEN_FDS_START; n > 0 && fd < SD_LISTEN_FDS_START + n;
	    fd++) {
		if (sd_is_socket_inet(fd, 0, SOCK_STREAM, 1, 0) <= 0)
			continue;
		len = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			continue;
		util_set_nonblock(fd);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		tcp_sa_to_ep((struct sockaddr *)&ss, &ep);
		if (tcp_listen_fd(fd, &ep) == 0)
			log_info("using a tcp socket passed by systemd");
	}
}

int
tcp_open(void (*accept)(int, const struct sockaddr *))
{
	struct wpeer_ep ep;
	int i;

	tcp_accept_fn = accept;
	randombytes_buf(&tcp_inst, sizeof tcp_inst);
	if (dconf.node_name != NULL)
		snprintf(tcp_host, sizeof tcp_host, "%s", dconf.node_name);
	else if (gethostname(tcp_host, sizeof tcp_host - 1) == -1)
		snprintf(tcp_host, sizeof tcp_host, "unknown");
	tcp_inherit();
	for (i = 0; i < tcp_nspecs; i++) {
		if (tcp_parse(tcp_specs[i], &ep) == -1) {
			log_warnx("--listen-tcp %s: not ADDR[:PORT], "
			    "[ADDR6]:PORT or auto[:PORT] (or no usable "
			    "interface)", tcp_specs[i]);
			return -1;
		}
		if (tcp_bind(&ep) == -1)
			return -1;
	}
	for (i = 0; i < tcp_nls; i++)
		tcp_advertise(&tcp_ls[i].ep);
	if (tcp_nls > 0 && tcp_nadv == 0) {
		log_warnx("no address to advertise for the tcp listeners");
		return -1;
	}
	return 0;
}

void
tcp_close(void)
{
	int i;

	for (i = 0; i < tcp_nls; i++) {
		event_free(tcp_ls[i].ev);
		event_free(tcp_ls[i].backoff);
		close(tcp_ls[i].fd);
	}
	tcp_nls = 0;
}

int
tcp_endpoints(struct wpeer_ep *eps, int max)
{
	int i;

	for (i = 0; i < tcp_nadv && i < max; i++)
		eps[i] = tcp_adv[i];
	return i;
}

const struct wpeer_ep *
tcp_primary(void)
{
	return tcp_nadv > 0 ? &tcp_adv[0] : NULL;
}

int
tcp_is_self(const struct wpeer_ep *ep)
{
	int i;

	for (i = 0; i < tcp_nadv; i++)
		if (wpeer_ep_equal(ep, &tcp_adv[i]))
			return 1;
	return 0;
}

const char *
tcp_hostname(void)
{
	return tcp_host;
}

uint64_t
tcp_instance(void)
{
	return tcp_inst;
}

/*
 * Every link: no Nagle delay, immediate ACKs (the kernel clears QUICKACK
 * again; peer.c re-arms it after each read), keepalive probes, and a user
 * timeout as the kernel's backstop.  peer.c's beat notices a network that
 * acknowledges nothing within --peer-timeout (TCP_INFO); the user timeout
 * is --peer-hang-timeout, because the kernel also applies it to a zero
 * window, and a peer daemon that is only starved may leave its receive
 * buffer full for that long without being dead.
 */
void
tcp_set_options(int fd)
{
	int one = 1, idle, ut, cnt = 2;

	ut = dconf.peer_hang_ms > dconf.peer_timeout_ms ? dconf.peer_hang_ms :
	    dconf.peer_timeout_ms;
	idle = dconf.peer_timeout_ms / 2000;
	if (idle < 1)
		idle = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
}

void
tcp_quickack(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}
