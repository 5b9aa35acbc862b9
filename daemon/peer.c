/*
 * peer.c - warm TCP links between daemons.  One link carries every job
 * between two nodes and stays open after the jobs for the next ones (up to
 * --peer-idle seconds unused).  Links are opened with non-blocking connect
 * and a bounded number of retries; each side's HELLO gives a fresh random
 * nonce, and every job frame on the link carries a MAC keyed by its job's
 * secret over both nonces, the link sequence number and the frame, so a
 * frame can be neither forged nor replayed on this link or another.
 *
 * Once connected (or accepted), a link's bytes belong to a transport
 * (transport.c, WIRE_FROM_PEER, no descriptors): it reads with the one
 * frame reader, queues what the socket does not take, and calls
 * peer_dispatch() per frame and with NULL once at the end.  This file keeps
 * the link's state machine, the MACs, the PINGs and the timeouts (before
 * the connect its own timer, after it the transport's deadline).
 *
 *	CONNECTING --connect--> HELLO --peer's HELLO--> UP --EOF/error--> freed
 *	(accepted)              HELLO
 *	WAITING --the peer's own link comes up--> (its queue moves there)
 *	        --peer-timeout--> CONNECTING
 *
 * Of two daemons, the one with the lower endpoint opens their link; the
 * other, when it has something to send first, waits (WAITING) a while for
 * that link instead of opening a second one.
 *
 * An up link that carried nothing for a quarter of --peer-timeout gets a
 * PING.  One that heard nothing for seven eighths of it (checked every
 * eighth) is judged by what the kernel knows (TCP_INFO): if the other
 * node's kernel has acknowledged nothing of what we sent for half of
 * --peer-timeout, the network is silent (node down, link cut) and the link
 * is lost now, within --peer-timeout; if it still acknowledges our PINGs,
 * the node is up and only its daemon is silent (starved of CPU, stopped,
 * hung): the link is lost only after --peer-hang-timeout, with a message
 * that says so.  Bytes unread in our own socket are never silence, and a
 * beat that runs well after it was due (our own loop starved) forgives the
 * silence once: a PING and one more beat, never more than once in a row.
 * TCP's keepalive is set too (whole seconds), and the user timeout, the
 * kernel's backstop, at --peer-hang-timeout (tcp.c).
 *
 * Frames sent before the peer's HELLO (its nonce) wait, unsealed, in order.
 * Only one link per remote endpoint is "preferred" (used to send), so the
 * order of frames between two nodes is the order they were sent in.
 *
 * Two daemons that open a link to each other at once (discovery) hold two;
 * of those the one the lower endpoint opened stays (peer_winner: both ends
 * know which without a word).  The higher end, once that link can carry
 * its frames, sends RETIRE as its last frame on its own link and sends on
 * the winner from then on (peer_handover_check); the lower end, meanwhile,
 * reads no frame from the winner while the higher end's own link is up and
 * has not brought RETIRE (peer_wait_on: everything sent before the switch
 * goes first), then closes that link.  If RETIRE does not come within
 * --peer-timeout, that link is closed and the frames flow (it stood for
 * nothing here: the lower end never sent on it).
 *
 * A HELLO proves nothing: anyone can connect and claim a node's endpoint.
 * Job frames therefore go out only on a link that we opened to that
 * endpoint or on which a job frame's MAC held (peer_sendable); on an
 * accepted link that has not proved a secret yet they wait, and move to a
 * link of our own if no proof comes within --peer-timeout.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

#define PEER_CONNECT_TRIES	6
#define PEER_RETRY_MS		25	/* doubles each try */
/* Output queued toward a peer that does not read: the link faults.  Room
 * for a few of the largest collective steps. */
#define PEER_OUT_MAX	(4 * ((size_t)WPEER_HDR_LEN + WPEER_PAYLOAD_MAX))

struct peer_q {
	struct peer_q *next;
	crypto_auth_hmacsha512256_state mac;
	size_t len;		/* header + payload before the MAC */
	uint8_t buf[];
};

static struct peer *peer_list;
static const struct peer_hooks *peer_fed;
static uint32_t peer_count;
static int peer_stopping;
/* Accepted links a frame on one of ours may have to wait for (before
 * their HELLO, or a second link of a daemon we opened one to): while there
 * are none, no frame looks further (peer_suspect). */
static uint32_t peer_suspects;

/*
 * Settings for tests only (FASTBOOTD_TEST_LINKS, words separated by
 * commas), not for users: "off" never hands a pair over (two links stay
 * until --peer-idle, as before version 3); "race" opens a link of our own
 * for a discovery JOIN where the only one is the peer's and nothing of ours
 * went on it yet (what a simultaneous open does, on every pair);
 * "delay=MS" switches MS after the winner could carry our frames, so that
 * traffic already flowing crosses the switch; "lag=MS" (with a delay) makes
 * the old link slow: what we send on it during the delay waits, and goes
 * out with RETIRE MS after the switch, so frames sent later on the winner
 * arrive first and the peer must hold them; "nohold" makes the receiving
 * end not hold (to show that order then breaks).
 */
static int peer_t_off, peer_t_race, peer_t_delay_ms, peer_t_lag_ms;
static int peer_t_nohold;

static void peer_dispatch(void *, const struct wire_frame *);
static void peer_fault(void *, int, const char *);
static void peer_expired(void *);
static void peer_input(void *);
static void peer_timer_cb(int, short, void *);
static void peer_connect_cb(int, short, void *);
static void peer_try_connect(struct peer *);

static const struct transport_ops peer_ops = {
	peer_dispatch, peer_fault, peer_expired, peer_input
};

static void
peer_test_settings(void)
{
	const char *v = getenv("FASTBOOTD_TEST_LINKS"), *w;
	size_t n;

	for (w = v; w != NULL && *w != '\0'; w += n + (w[n] == ',')) {
		n = strcspn(w, ",");
		if (n == 3 && strncmp(w, "off", 3) == 0)
			peer_t_off = 1;
		else if (n == 4 && strncmp(w, "race", 4) == 0)
			peer_t_race = 1;
		else if (n > 6 && strncmp(w, "delay=", 6) == 0)
			peer_t_delay_ms = atoi(w + 6);
		else if (n > 4 && strncmp(w, "lag=", 4) == 0)
			peer_t_lag_ms = atoi(w + 4);
		else if (n == 6 && strncmp(w, "nohold", 6) == 0)
			peer_t_nohold = 1;
	}
	if (v != NULL)
		log_info("FASTBOOTD_TEST_LINKS=%s: handover %s, race %s, "
		    "delay %d ms, lag %d ms, hold %s (a test setting)", v,
		    peer_t_off ? "off" : "on", peer_t_race ? "on" : "off",
		    peer_t_delay_ms, peer_t_lag_ms, peer_t_nohold ? "off" :
		    "on");
}

void
peer_set_hooks(const struct peer_hooks *h)
{
	peer_fed = h;
	peer_test_settings();
}

const char *
peer_name(const struct peer *p)
{
	return p->name;
}

struct peer *
peer_first(void)
{
	return peer_list;
}

static void
peer_set_name(struct peer *p)
{
	char a[64];

	wpeer_ep_format(&p->ep, a, sizeof a);
	if (p->host[0] != '\0')
		snprintf(p->name, sizeof p->name, "%s (%s)", p->host, a);
	else
		snprintf(p->name, sizeof p->name, "%s", a);
}

static struct peer *
peer_new(const struct wpeer_ep *ep, int outbound)
{
	struct peer *p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->cfd = -1;
	p->outbound = outbound;
	if (ep != NULL)
		p->ep = *ep;
	p->ev_timer = evtimer_new(dbase, peer_timer_cb, p);
	if (p->ev_timer == NULL)
		fatalx("out of memory for a peer link");
	randombytes_buf(p->nonce, sizeof p->nonce);
	p->since_ns = p->last_ns = p->rx_ns = p->tx_ns = clock_mono_ns();
	p->next = peer_list;
	if (peer_list != NULL)
		peer_list->prev = p;
	peer_list = p;
	peer_count++;
	peer_set_name(p);
	return p;
}

/* The link's socket is connected (or accepted): its bytes go to a
 * transport from here on. */
/*
 * The largest frame a link may bring before it proved anything: a JOIN or
 * RANKS of every rank, a MAP of the most nodes and ranks, a PROOF, FAIL,
 * REFUSE or RETIRE.  A larger first frame (a collective's step, a message)
 * follows a PROOF of its job (peer_send_job), so that a host without a
 * secret cannot make us buffer a 64 MB frame per connection.
 */
static size_t
peer_preauth_max(void)
{
	return WPEER_JOB_OVERHEAD + 12 + (size_t)WPEER_MAX_NODES *
	    WPEER_MAP_NODE_LEN + 4 * (size_t)dconf.max_ranks;
}

/* A frame's header, before its body is buffered (transport.c). */
static int
peer_admit(void *arg, const struct wire_hdr *h, char *err)
{
	struct peer *p = arg;
	size_t max;

	if (p->state != PEER_UP)
		max = WPEER_HELLO_LEN;
	else if (!p->outbound && !p->authed)
		max = peer_preauth_max();
	else
		return 0;
	if (h->length <= max)
		return 0;
	if (log_ratelimit())
		log_warnx("peer link from %s (%s): a %s frame of %u bytes "
		    "before %s, over the %zu allowed: dropping the link",
		    p->outbound ? p->name : p->from, p->state != PEER_UP ?
		    "no HELLO yet" : p->name, wpeer_type_name(h->type),
		    h->length, p->state != PEER_UP ? "its HELLO" :
		    "a MAC held on the link", max);
	snprintf(err, WIRE_TEXT_MAX, "a %s frame of %u bytes before %s",
	    wpeer_type_name(h->type), h->length, p->state != PEER_UP ?
	    "HELLO" : "the link proved a secret");
	return FB_E_PROTO;
}

static int
peer_attach(struct peer *p, int fd)
{
	if ((p->t = transport_new(fd, WIRE_FROM_PEER, 0, PEER_OUT_MAX,
	    &peer_ops, p)) == NULL)
		return -1;
	transport_set_budget(p->t, peer_admit, NULL);
	return 0;
}

static void
peer_q_free(struct peer_q *q)
{
	struct peer_q *next;

	for (; q != NULL; q = next) {
		next = q->next;
		sodium_memzero(&q->mac, sizeof q->mac);
		free(q);
	}
}

static void
peer_free(struct peer *p)
{
	peer_q_free(p->q);
	sodium_memzero(&p->last_key, sizeof p->last_key);
	free(p);
}

static void
peer_free_cb(int fd, short events, void *arg)
{
	peer_free(arg);
}

static void
peer_unlink(struct peer *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		peer_list = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	peer_count--;
}

/* Whether job frames may go out on p: a link we opened to the endpoint,
 * or one that proved a job's secret (a MAC held on it). */
static int
peer_sendable(const struct peer *p)
{
	return p->outbound || p->authed;
}

static void peer_requeue(struct peer *);
static void peer_release(int);

static void
peer_suspect(struct peer *p, int v)
{
	if (p->suspect == v)
		return;
	p->suspect = v;
	if (v)
		peer_suspects++;
	else
		peer_suspects--;
}

/* The link is down: off the list, and jobs that needed it hear why. */
static void
peer_down(struct peer *p, const char *why)
{
	/* Job frames held for a proof that never came: to a link of ours. */
	if (!peer_sendable(p) && p->q != NULL && p->preferred)
		peer_requeue(p);
	p->dead = 1;
	peer_suspect(p, 0);
	/* One accepted that never proved anything: fed.c logged it
	 * (rate-limited) if it sent a bad frame.  One handed over: its pair
	 * goes on over the other. */
	if (((p->state == PEER_UP && peer_sendable(p)) ||
	    p->jobs_served > 0) && !p->retired && !p->retire_in)
		log_info("peer %s: link closed: %s", p->name, why);
	else
		log_debug("peer %s: link closed: %s", p->name, why);
	peer_unlink(p);
	/* Frames that waited on the pair's other link for this one's RETIRE
	 * flow now. */
	if (!p->outbound && !p->retire_in)
		peer_release(1);
	if (p->state == PEER_UP)
		dstats.peer_links--;
	event_free(p->ev_timer);
	p->ev_timer = NULL;
	if (p->ev_connect != NULL)
		event_free(p->ev_connect);
	p->ev_connect = NULL;
	if (p->cfd != -1)
		close(p->cfd);
	p->cfd = -1;
	peer_fed->lost(p, why);
}

/* Take the link down now; jobs that needed it hear why (fed.c). */
void
peer_close(struct peer *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (p->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	peer_down(p, why);
	/* Callers up the stack may still hold p: the transport frees it in
	 * dispatch(NULL), from the loop; without one, the loop frees it. */
	if (p->t != NULL)
		transport_close(p->t);
	else if (event_base_once(dbase, -1, EV_TIMEOUT, peer_free_cb, p,
	    NULL) != 0)
		log_warnx("peer %s: leaking a closed link", p->name);
}

static void
peer_arm(struct peer *p, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(p->ev_timer, &tv);
}

static int
peer_write_now(struct peer *p, const struct iovec *iov, int iovcnt)
{
	if (p->t == NULL || p->dead)
		return -1;
	p->tx_ns = clock_mono_ns();
	return transport_send(p->t, iov, iovcnt);
}

/* Seal a frame (header + payload up to the MAC) and write it. */
static int
peer_seal(struct peer *p, const crypto_auth_hmacsha512256_state *key,
    uint8_t *frame, size_t len, const struct iovec *extra, int nextra)
{
	crypto_auth_hmacsha512256_state st = *key;
	uint8_t mac[WPEER_MAC_LEN];
	struct iovec iov[8];
	int i;

	wire_put32(frame + 12, ++p->sseq);
	/* A RETIRE on this link will be sealed as this frame was. */
	p->last_key = *key;
	memcpy(p->last_tag, frame + WPEER_HDR_LEN, WPEER_TAG_LEN);
	p->last_node = wire_get32(frame + WPEER_HDR_LEN + WPEER_TAG_LEN);
	p->has_last = 1;
	crypto_auth_hmacsha512256_update(&st, p->rnonce, WPEER_NONCE_LEN);
	crypto_auth_hmacsha512256_update(&st, p->nonce, WPEER_NONCE_LEN);
	crypto_auth_hmacsha512256_update(&st, frame, len);
	iov[0].iov_base = frame;
	iov[0].iov_len = len;
	for (i = 0; i < nextra && i < 6; i++) {
		crypto_auth_hmacsha512256_update(&st, extra[i].iov_base,
		    extra[i].iov_len);
		iov[1 + i] = extra[i];
	}
	crypto_auth_hmacsha512256_final(&st, mac);
	iov[1 + i].iov_base = mac;
	iov[1 + i].iov_len = sizeof mac;
	p->frames_out++;
	p->last_ns = clock_mono_ns();
	return peer_write_now(p, iov, 2 + i);
}

/*
 * Send a job frame: header, tag, node, body (iovecs), MAC.  Before the
 * peer's HELLO, and on a link that has not proved a secret, the frame waits
 * in order.  Returns -1 if the link is gone.
 */
int
peer_send_job(struct peer *p, uint16_t type,
    const crypto_auth_hmacsha512256_state *key, const uint8_t *tag,
    uint32_t node, const struct iovec *body, int nbody)
{
	uint8_t head[WPEER_HDR_LEN + WPEER_JOB_HDR_LEN];
	struct peer_q *q, **pp;
	size_t blen = 0, off;
	int i;

	if (p == NULL || p->dead)
		return -1;
	for (i = 0; i < nbody; i++)
		blen += body[i].iov_len;
	if (blen + WPEER_JOB_OVERHEAD > WPEER_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* The peer takes no frame this large on a link it accepted before
	 * a MAC held there (peer_admit): a PROOF of the job goes first. */
	if (p->outbound && type != WPEER_PROOF &&
	    blen + WPEER_JOB_OVERHEAD > peer_preauth_max() &&
	    peer_send_job(p, WPEER_PROOF, key, tag, node, NULL, 0) == -1)
		return -1;
	wpeer_encode_hdr(head, type, (uint32_t)(WPEER_JOB_OVERHEAD + blen), 0);
	memcpy(head + WPEER_HDR_LEN, tag, WPEER_TAG_LEN);
	wire_put32(head + WPEER_HDR_LEN + WPEER_TAG_LEN, node);
	if (p->state == PEER_UP && p->q == NULL && peer_sendable(p) &&
	    !p->stalled)
		return peer_seal(p, key, head, sizeof head, body, nbody);
	/* Wait for the nonce or the proof: keep one contiguous copy. */
	if ((q = malloc(sizeof *q + sizeof head + blen)) == NULL)
		return -1;
	q->next = NULL;
	q->mac = *key;
	q->len = sizeof head + blen;
	memcpy(q->buf, head, sizeof head);
	for (i = 0, off = sizeof head; i < nbody; i++) {
		memcpy(q->buf + off, body[i].iov_base, body[i].iov_len);
		off += body[i].iov_len;
	}
	if (p->q == NULL)
		p->q_ns = clock_mono_ns();
	for (pp = &p->q; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = q;
	return 0;
}

/*
 * A link we opened for a job, with nothing to send yet (fed.c warms the
 * links of a new job): prove the job's secret on it at once, so that the
 * peer may send on it before we do.  Nothing if a job frame already went
 * or waits on it.
 */
int
peer_prove(struct peer *p, const crypto_auth_hmacsha512256_state *key,
    const uint8_t *tag, uint32_t node)
{
	if (p == NULL || p->dead || !p->outbound || p->frames_out > 0 ||
	    p->q != NULL)
		return 0;
	return peer_send_job(p, WPEER_PROOF, key, tag, node, NULL, 0);
}

static void
peer_flush_queue(struct peer *p)
{
	struct peer_q *q;

	while ((q = p->q) != NULL && !p->dead) {
		p->q = q->next;
		peer_seal(p, &q->mac, q->buf, q->len, NULL, 0);
		sodium_memzero(&q->mac, sizeof q->mac);
		free(q);
	}
}

/* Unauthenticated refusal of an unknown job (the sender cannot prove
 * anything to us, nor we to it). */
void
peer_refuse(struct peer *p, const uint8_t *tag, int code, const char *text)
{
	uint8_t frame[WPEER_HDR_LEN + WPEER_REFUSE_MIN + WPEER_TEXT_MAX];
	struct iovec iov;

	iov.iov_base = frame;
	iov.iov_len = wpeer_encode_refuse(frame, tag, code, text);
	peer_write_now(p, &iov, 1);
}

/* Check a received job frame's MAC (constant time). */
int
peer_verify(const struct peer *p, const crypto_auth_hmacsha512256_state *key,
    const uint8_t *frame, size_t len)
{
	return peer_verify_nonces(p->nonce, p->rnonce, key, frame, len);
}

/* The same for a frame kept from a link that may be gone: its nonces. */
int
peer_verify_nonces(const uint8_t *ours, const uint8_t *theirs,
    const crypto_auth_hmacsha512256_state *key, const uint8_t *frame,
    size_t len)
{
	crypto_auth_hmacsha512256_state st = *key;
	uint8_t mac[WPEER_MAC_LEN];
	int ok;

	if (len < WPEER_HDR_LEN + WPEER_JOB_OVERHEAD)
		return -1;
	crypto_auth_hmacsha512256_update(&st, ours, WPEER_NONCE_LEN);
	crypto_auth_hmacsha512256_update(&st, theirs, WPEER_NONCE_LEN);
	crypto_auth_hmacsha512256_update(&st, frame, len - WPEER_MAC_LEN);
	crypto_auth_hmacsha512256_final(&st, mac);
	ok = sodium_memcmp(mac, frame + len - WPEER_MAC_LEN, sizeof mac) == 0;
	sodium_memzero(&st, sizeof st);
	return ok ? 0 : -1;
}

static void
peer_send_hello(struct peer *p)
{
	struct wpeer_hello h;
	uint8_t frame[WPEER_HDR_LEN + WPEER_HELLO_LEN];
	struct iovec iov = { frame, 0 };
	const struct wpeer_ep *me = tcp_primary();

	memset(&h, 0, sizeof h);
	h.min_version = WPEER_VERSION;
	h.max_version = WPEER_VERSION;
	h.instance = tcp_instance();
	memcpy(h.nonce, p->nonce, sizeof h.nonce);
	if (me != NULL)
		h.ep = *me;
	snprintf(h.host, sizeof h.host, "%s", tcp_hostname());
	iov.iov_len = wpeer_encode_hello(frame, &h);
	peer_write_now(p, &iov, 1);
}

/* The preferred (sending) link to an endpoint, if any. */
struct peer *
peer_find(const struct wpeer_ep *ep)
{
	struct peer *p;

	for (p = peer_list; p != NULL; p = p->next)
		if (p->preferred && wpeer_ep_equal(&p->ep, ep))
			return p;
	return NULL;
}

/*
 * Whether p stands for the node at its endpoint: the preferred link to it,
 * and either one we opened to that endpoint ourselves or one on which a job
 * frame's MAC held.  Anyone can connect and claim an endpoint in a HELLO;
 * losing such a link, or a second link to a node, says nothing of the node.
 */
int
peer_stands(const struct peer *p)
{
	return p->preferred && peer_sendable(p);
}

/*
 * A job frame's MAC held on p (fed.c): it is a real node's link, and what
 * waited for that proof goes out.  If the preferred link to its endpoint is
 * an accepted one that never proved anything (someone claiming that
 * endpoint first), p takes its place and the frames held there.
 */
static void peer_handover_check(const struct wpeer_ep *);

void
peer_authed(struct peer *p)
{
	struct peer *o;

	p->authed = 1;
	if (p->state != PEER_UP)
		return;
	if (!p->preferred) {
		if ((o = peer_find(&p->ep)) != NULL) {
			/* We send on a link of our own: if p is the one the
			 * pair keeps, hand over to it. */
			if (peer_sendable(o)) {
				if (!p->retired && !p->retire_in)
					peer_handover_check(&p->ep);
				return;
			}
			/* Nothing of ours went out on o: its queue is
			 * whole, and p has none (never preferred). */
			o->preferred = 0;
			p->q = o->q;
			p->q_ns = o->q_ns;
			o->q = NULL;
		}
		p->preferred = 1;
		log_debug("peer %s: now the preferred link", p->name);
	}
	peer_flush_queue(p);
}

/* Order of endpoints: the lower one opens the link between two daemons. */
int
peer_ep_cmp(const struct wpeer_ep *a, const struct wpeer_ep *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, sizeof a->addr)) != 0)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* Of two links between a node pair, the one the lower endpoint opened is
 * the one the pair keeps: both ends know which without a word. */
static int
peer_winner(const struct peer *p)
{
	const struct wpeer_ep *me = tcp_primary();

	if (me == NULL)
		return p->outbound;
	return p->outbound ? peer_ep_cmp(me, &p->ep) < 0 :
	    peer_ep_cmp(&p->ep, me) < 0;
}

/* Whether p is our only link to its endpoint. */
static int
peer_alone(const struct peer *p)
{
	const struct peer *o;

	for (o = peer_list; o != NULL; o = o->next)
		if (o != p && !o->dead && wpeer_ep_equal(&o->ep, &p->ep))
			return 0;
	return 1;
}

/* Whether a and b are links to one daemon: the endpoint its HELLO gave
 * and the instance (random per start) agree. */
static int
peer_same_daemon(const struct peer *a, const struct peer *b)
{
	return a->state == PEER_UP && b->state == PEER_UP &&
	    wpeer_ep_equal(&a->ep, &b->ep) && a->instance == b->instance;
}

/*
 * o, the link we send on toward its node, is not the one the pair keeps,
 * and w, which is, can carry our frames: RETIRE is our last frame on o
 * (sealed as our last job frame there was: the peer knows that job), and
 * from now on we send on w.  The peer closes o when RETIRE comes; a link
 * on which we never sent a job frame has nothing to mark: we close it.
 */
static void
peer_send_retire(struct peer *o)
{
	uint8_t head[WPEER_HDR_LEN + WPEER_JOB_HDR_LEN];

	o->retire_due = 0;
	o->stalled = 0;
	peer_flush_queue(o);	/* the test's slow link: what waited */
	if (o->dead)
		return;
	wpeer_encode_hdr(head, WPEER_RETIRE, WPEER_JOB_OVERHEAD, 0);
	memcpy(head + WPEER_HDR_LEN, o->last_tag, WPEER_TAG_LEN);
	wire_put32(head + WPEER_HDR_LEN + WPEER_TAG_LEN, o->last_node);
	peer_seal(o, &o->last_key, head, sizeof head, NULL, 0);
}

static void
peer_handover(struct peer *o, struct peer *w)
{
	if (peer_t_lag_ms > 0 && (o->has_last || o->q != NULL)) {
		/* The test's slow old link: what waited on it and RETIRE go
		 * later (peer_timer_cb); nothing else of ours goes on it. */
		o->retire_due = 1;
		peer_arm(o, peer_t_lag_ms);
	} else if (o->has_last)
		peer_send_retire(o);
	o->preferred = 0;
	o->retired = 1;
	w->preferred = 1;
	w->kept = 1;
	dstats.peer_handovers++;
	log_debug("peer %s: handed over after %llu frames: RETIRE on the link "
	    "we opened, sending on the one it opened", o->name,
	    (unsigned long long)o->frames_out);
	if (!o->has_last && !o->retire_due)
		peer_close(o, "handed over before any frame of ours");
}

/*
 * The higher end of a pair with two links: if it sends on the one it opened
 * and the lower end's link can carry its frames, hand over (after the test
 * delay, if one is set).
 */
static void
peer_handover_check(const struct wpeer_ep *ep)
{
	const struct wpeer_ep *me = tcp_primary();
	struct peer *o, *w;
	uint64_t now;

	if (peer_t_off || peer_stopping || me == NULL ||
	    peer_ep_cmp(ep, me) >= 0)
		return;
	if ((o = peer_find(ep)) == NULL || o->dead || o->state != PEER_UP ||
	    (o->q != NULL && !o->stalled) || !o->outbound || o->retired)
		return;
	for (w = peer_list; w != NULL; w = w->next)
		if (w != o && !w->dead && !w->outbound && w->authed &&
		    !w->retire_in && peer_same_daemon(w, o) && peer_winner(w))
			break;
	if (w == NULL) {
		if (o->stalled) {	/* the test's lag, for nothing */
			o->stalled = 0;
			o->handover_ns = 0;
			peer_flush_queue(o);
		}
		return;
	}
	if (peer_t_delay_ms > 0) {
		now = clock_mono_ns();
		if (o->handover_ns == 0) {
			o->handover_ns = now + (uint64_t)peer_t_delay_ms *
			    1000000u;
			o->stalled = peer_t_lag_ms > 0;
		}
		if (now < o->handover_ns) {
			/* Not yet: peer_timer_cb looks again when it is.  From
			 * that timer too: libevent's clock is the coarse
			 * monotonic one, and its timers ran up to 2 ms before
			 * ours said the delay was over; without arming again,
			 * the link stayed stalled, with what it held, until
			 * some other event came. */
			peer_arm(o, (int)((o->handover_ns - now + 999999) /
			    1000000));
			return;
		}
	}
	peer_handover(o, w);
}

/* The same address (any port): one host's links. */
static int
peer_same_host(const struct wpeer_ep *a, const struct wpeer_ep *b)
{
	return a->family == b->family &&
	    memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/*
 * p is our own link to a higher endpoint, the one the pair keeps: its
 * frames wait while the peer's own link to us is up (or an accepted one
 * from its address has not said HELLO yet) and has not brought RETIRE,
 * since what the peer sent there before it switched goes first.  Returns
 * the link waited on, or NULL.
 *
 * A HELLO proves nothing: anyone could claim the peer's endpoint and
 * instance (its HELLO tells them to whoever connects) and hold our frames
 * for --peer-timeout, again and again.  So a link that said HELLO is waited
 * on only once a MAC held on it, or if it came from the address it claims
 * (the peer's own link, before its first job frame was read).
 */
static struct peer *
peer_wait_on(const struct peer *p)
{
	struct peer *o;

	if (peer_t_off || peer_t_nohold || !p->outbound || !peer_winner(p))
		return NULL;
	for (o = peer_list; o != NULL; o = o->next) {
		if (o == p || o->dead || o->outbound || o->retire_in)
			continue;
		if (peer_same_daemon(o, p) && (o->authed ||
		    peer_same_host(&o->from_ep, &o->ep)))
			return o;
		if (o->state == PEER_HELLO && peer_same_host(&o->ep, &p->ep))
			return o;
	}
	return NULL;
}

/* Links whose frames waited: on with them if nothing holds them now (down:
 * a link waited on closed without RETIRE).  All are looked at: one waited
 * on before its HELLO is known only by its address. */
static void
peer_release(int down)
{
	struct peer *p;

	for (p = peer_list; p != NULL; p = p->next) {
		if (!p->deferred || p->dead || peer_wait_on(p) != NULL)
			continue;
		p->deferred = 0;
		if (down) {
			dstats.peer_handover_fallbacks++;
			log_info("peer %s: its other link closed without "
			    "RETIRE; the frames that waited on this one go on",
			    p->name);
		}
		transport_undefer(p->t);
	}
}

/*
 * The peer's RETIRE on p (fed.c checked its MAC if it knows the job): p
 * carries nothing more from it.  What fed.c kept of p moves to the link we
 * send on, frames waiting for this go on, and p closes.
 */
void
peer_retire_in(struct peer *p, int verified)
{
	struct peer *w;

	if (p->dead || p->retire_in)
		return;
	p->retire_in = 1;
	peer_suspect(p, 0);
	dstats.peer_handovers++;
	w = peer_find(&p->ep);
	log_debug("peer %s: RETIRE%s after %llu frames; its frames come on "
	    "the link %s", p->name, verified ? "" : " (of a job not known "
	    "here: not checked)", (unsigned long long)p->frames_in,
	    w != NULL && w != p ? "we opened" : "we send on");
	peer_fed->moved(p, w != p ? w : NULL);
	peer_release(0);
	if (!p->preferred)
		peer_close(p, "handed over to the link the lower endpoint "
		    "opened");
}

/* A new link of ours toward ep, preferred. */
static struct peer *
peer_open(const struct wpeer_ep *ep, int may_wait)
{
	const struct wpeer_ep *me = tcp_primary();
	struct peer *p;

	if (peer_count >= dconf.max_peers) {
		if (log_ratelimit())
			log_warnx("refusing a new peer link: %u links, the "
			    "cap", peer_count);
		return NULL;
	}
	if ((p = peer_new(ep, 1)) == NULL)
		return NULL;
	p->preferred = 1;
	if (may_wait && me != NULL && peer_ep_cmp(ep, me) < 0) {
		p->state = PEER_WAITING;
		peer_arm(p, dconf.peer_timeout_ms);
		return p;
	}
	p->state = PEER_CONNECTING;
	peer_try_connect(p);
	return p->dead ? NULL : p;
}

/*
 * The link to use toward ep: the preferred one, or a new one.  may_wait
 * (PEER_GET_*): with PEER_GET_WAIT, if the peer is the one to open it (its
 * endpoint is lower), wait for it.
 * An accepted link that proved nothing is used (its frames wait for the
 * proof) where we would wait for the peer's link anyway, or where frames of
 * jobs not known here yet came on it (their MACs are checked when the job
 * appears: the proof is on its way); else we open our own.
 */
struct peer *
peer_get(const struct wpeer_ep *ep, int may_wait)
{
	const struct wpeer_ep *me = tcp_primary();
	struct peer *p, *n;

	if ((p = peer_find(ep)) == NULL)
		return peer_open(ep, may_wait == PEER_GET_WAIT);
	if (may_wait == PEER_GET_JOIN && peer_t_race && !p->outbound &&
	    p->state == PEER_UP && p->frames_out == 0 && p->q == NULL &&
	    !p->kept && peer_alone(p)) {
		/* A test: as if the JOIN went before the peer's link came. */
		p->preferred = 0;
		if ((n = peer_open(ep, 0)) != NULL)
			return n;
		p->preferred = 1;
	}
	if (peer_sendable(p) || p->early > 0 || (may_wait == PEER_GET_WAIT &&
	    me != NULL && peer_ep_cmp(ep, me) < 0))
		return p;
	/* We would open this link ourselves: do, and leave the claim. */
	log_info("peer %s: an accepted link from %s that proved nothing "
	    "claims it; opening our own", p->name, p->from);
	peer_requeue(p);
	return peer_find(ep);
}

/*
 * p, an accepted link that proved nothing, stops being the one we send on
 * toward its endpoint: a link of our own takes its place and what waited
 * on p.
 */
static void
peer_requeue(struct peer *p)
{
	struct peer *n;

	p->preferred = 0;
	if (peer_stopping) {
		peer_q_free(p->q);
		p->q = NULL;
		return;
	}
	if ((n = peer_open(&p->ep, 0)) == NULL) {
		log_warnx("peer %s: dropping the frames held for it: no link "
		    "of our own", p->name);
		peer_q_free(p->q);
		p->q = NULL;
		return;
	}
	n->q = p->q;
	n->q_ns = p->q_ns;
	p->q = NULL;
}

/* A placeholder whose link came from the other side: drop it quietly. */
static void
peer_discard(struct peer *p)
{
	p->dead = 1;
	peer_unlink(p);
	event_free(p->ev_timer);
	p->ev_timer = NULL;
	if (event_base_once(dbase, -1, EV_TIMEOUT, peer_free_cb, p, NULL) != 0)
		log_warnx("peer %s: leaking a placeholder", p->name);
}

static void
peer_retry_later(struct peer *p, int err)
{
	if (p->ev_connect != NULL)
		event_free(p->ev_connect);
	p->ev_connect = NULL;
	if (++p->tries >= PEER_CONNECT_TRIES) {
		peer_close(p, "could not connect after %d tries: %s",
		    p->tries, strerror(err));
		return;
	}
	close(p->cfd);
	p->cfd = -1;
	log_debug("peer %s: connect: %s; try %d of %d in %d ms", p->name,
	    strerror(err), p->tries + 1, PEER_CONNECT_TRIES,
	    PEER_RETRY_MS << (p->tries - 1));
	p->retrying = 1;
	peer_arm(p, PEER_RETRY_MS << (p->tries - 1));
}

static void
peer_try_connect(struct peer *p)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_ep_to_sa(&p->ep, &ss);
	int fd;

	p->retrying = 0;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		peer_close(p, "socket: %s", strerror(errno));
		return;
	}
	tcp_set_options(fd);
	p->cfd = fd;
	if ((p->ev_connect = event_new(dbase, fd, EV_WRITE, peer_connect_cb,
	    p)) == NULL)
		fatalx("out of memory for a peer link");
	dstats.peer_connects++;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		peer_retry_later(p, errno);
		return;
	}
	/* Writable: connected or failed (SO_ERROR says which). */
	event_add(p->ev_connect, NULL);
	peer_arm(p, dconf.peer_timeout_ms);
}

/* HELLO sent: the peer's must come within --peer-timeout. */
static void
peer_start(struct peer *p)
{
	p->state = PEER_HELLO;
	peer_send_hello(p);
	transport_set_deadline(p->t, dconf.peer_timeout_ms);
}

static void
peer_connect_cb(int fd, short events, void *arg)
{
	struct peer *p = arg;
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		peer_retry_later(p, err);
		return;
	}
	event_free(p->ev_connect);
	p->ev_connect = NULL;
	evtimer_del(p->ev_timer);
	if (peer_attach(p, fd) == -1) {
		peer_close(p, "out of memory");
		return;
	}
	p->cfd = -1;
	peer_start(p);
	log_debug("peer %s: connected", p->name);
}

void
peer_accept(int fd, const struct sockaddr *sa)
{
	struct wpeer_ep ep;
	struct peer *p;

	if (peer_count >= dconf.max_peers) {
		if (log_ratelimit())
			log_warnx("refusing a peer link: %u links, the cap",
			    peer_count);
		close(fd);
		return;
	}
	tcp_sa_to_ep(sa, &ep);
	tcp_set_options(fd);
	if ((p = peer_new(&ep, 0)) == NULL) {
		close(fd);
		return;
	}
	if (peer_attach(p, fd) == -1) {
		close(fd);
		peer_discard(p);
		return;
	}
	/* Its HELLO may claim any endpoint: keep where it really is. */
	wpeer_ep_format(&ep, p->from, sizeof p->from);
	p->from_ep = ep;
	peer_suspect(p, 1);	/* until its HELLO says whose it is */
	dstats.peer_connects++;
	peer_start(p);
}

/* The beat of an up link: every eighth of --peer-timeout. */
static void
peer_beat_arm(struct peer *p)
{
	p->beat_ns = clock_mono_ns() + (uint64_t)dconf.peer_timeout_ms / 8 *
	    1000000u;
	transport_set_deadline(p->t, dconf.peer_timeout_ms / 8);
}

/*
 * The peer's HELLO: its nonce, where it listens, its name.  An accepted
 * link becomes the preferred link to that endpoint if there is none, and
 * takes over a waiting one; job frames go out on it once it proves a
 * secret (peer_authed).
 */
static void
peer_hello(struct peer *p, const uint8_t *payload, size_t len)
{
	struct wpeer_hello h;
	struct peer *o;

	if (wpeer_decode_hello(payload, len, &h) != WIRE_OK) {
		peer_close(p, "bad HELLO");
		return;
	}
	if (h.min_version > WPEER_VERSION || h.max_version < WPEER_VERSION) {
		peer_close(p, "peer speaks versions %u-%u, we speak %u",
		    h.min_version, h.max_version, WPEER_VERSION);
		return;
	}
	memcpy(p->rnonce, h.nonce, sizeof p->rnonce);
	memcpy(p->host, h.host, sizeof p->host);
	p->instance = h.instance;
	if (!p->outbound) {
		p->ep = h.ep;
		if ((o = peer_find(&h.ep)) == NULL)
			p->preferred = 1;
		else if (o->state == PEER_WAITING) {
			/* What waited for this link goes out on it, once it
			 * proves a secret. */
			p->q = o->q;
			p->q_ns = o->q_ns;
			o->q = NULL;
			o->preferred = 0;
			p->preferred = 1;
			peer_discard(o);
		}
	}
	peer_set_name(p);
	p->state = PEER_UP;
	dstats.peer_links++;
	p->idle_ns = clock_mono_ns() + (uint64_t)dconf.peer_idle_s *
	    1000000000u;
	peer_beat_arm(p);
	log_debug("peer %s: up (%s)", p->name, p->outbound ? "outbound" :
	    "inbound");
	if (peer_sendable(p))
		peer_flush_queue(p);
	peer_fed->up(p);
	if (p->dead)
		return;
	peer_handover_check(&p->ep);
	if (p->dead)
		return;
	/* A second link of one daemon: frames on the one we opened may
	 * have to wait for what comes on the one it opened. */
	for (o = peer_list; o != NULL; o = o->next) {
		if (o == p || o->dead || o->outbound == p->outbound ||
		    !peer_same_daemon(o, p))
			continue;
		if (p->outbound && !o->retire_in)
			peer_suspect(o, 1);
		else if (!p->outbound)
			break;
	}
	if (!p->outbound) {
		peer_suspect(p, o != NULL);
		/* Its HELLO may show it is no link a held frame waits on. */
		peer_release(0);
	}
}

/* Before the socket is connected: waiting for the peer, retries. */
static void
peer_timer_cb(int fd, short events, void *arg)
{
	struct peer *p = arg;

	switch (p->state) {
	case PEER_WAITING:
		/* The other side did not open the link: open it ourselves. */
		log_debug("peer %s: no link from it within %d ms; connecting",
		    p->name, dconf.peer_timeout_ms);
		p->state = PEER_CONNECTING;
		peer_try_connect(p);
		return;
	case PEER_CONNECTING:
		if (p->retrying) {
			peer_try_connect(p);
			return;
		}
		peer_retry_later(p, ETIMEDOUT);
		return;
	case PEER_HELLO:
		return;		/* the transport's deadline */
	case PEER_UP:
		/* The test's delay or lag. */
		if (p->retire_due)
			peer_send_retire(p);
		else
			peer_handover_check(&p->ep);
		return;
	}
}

/*
 * Whether the other node's kernel still acknowledges what we send: all of
 * it is acknowledged, or the last ACK came within half of --peer-timeout
 * (an up link sends at least a PING every quarter).  *ack_ms: how long ago
 * the last ACK came.  If TCP_INFO fails, the network counts as silent
 * and *ack_ms is UINT_MAX.
 */
static int
peer_net_alive(struct peer *p, uint64_t t_ms, unsigned *ack_ms)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(transport_fd(p->t), IPPROTO_TCP, TCP_INFO, &ti,
	    &len) == -1) {
		int e = errno;

		log_warn("peer %s: TCP_INFO", p->name);
		errno = e;
		*ack_ms = UINT_MAX;
		return 0;
	}
	*ack_ms = ti.tcpi_last_ack_recv;
	return ti.tcpi_unacked == 0 || ti.tcpi_last_ack_recv < t_ms / 2;
}

static void
peer_ping(struct peer *p)
{
	uint8_t frame[WPEER_HDR_LEN];
	struct iovec iov = { frame, sizeof frame };

	wpeer_encode_hdr(frame, WPEER_PING, 0, 0);
	peer_write_now(p, &iov, 1);
}

/*
 * An up link that heard nothing for seven eighths of --peer-timeout.
 * Returns 1 if the link was closed.
 */
static int
peer_silent(struct peer *p, uint64_t now)
{
	uint64_t t = (uint64_t)dconf.peer_timeout_ms, quiet, late;
	unsigned ack_ms;
	int avail = 0;

	/* Bytes waiting in our socket: we were slow, not the peer (the read
	 * callback comes next). */
	if (ioctl(transport_fd(p->t), FIONREAD, &avail) == 0 && avail > 0) {
		p->rx_ns = now;
		return 0;
	}
	/* Our own loop ran this beat far after it was due (this daemon is
	 * starved too): the peer's PINGs may be as late as we are.  Once per
	 * silence: a PING now and one more beat. */
	late = now > p->beat_ns ? (now - p->beat_ns) / 1000000u : 0;
	if (late > t / 8 && !p->grace) {
		p->grace = 1;
		dstats.peer_late_beats++;
		log_debug("peer %s: silent for %llu ms, but our beat ran %llu "
		    "ms late; one more beat", p->name,
		    (unsigned long long)((now - p->rx_ns) / 1000000u),
		    (unsigned long long)late);
		peer_ping(p);
		return 0;
	}
	quiet = (now - p->rx_ns) / 1000000u;
	if (!peer_net_alive(p, t, &ack_ms)) {
		if (ack_ms == UINT_MAX)
			peer_close(p, "silent for %llu ms (--peer-timeout %d), "
			    "and TCP_INFO failed: %s", (unsigned long long)
			    quiet, dconf.peer_timeout_ms, strerror(errno));
		else
			peer_close(p, "silent for %llu ms (--peer-timeout %d), "
			    "and its kernel acknowledged nothing for %u ms: "
			    "node down or network cut", (unsigned long long)
			    quiet, dconf.peer_timeout_ms, ack_ms);
		return 1;
	}
	if (quiet >= (uint64_t)dconf.peer_hang_ms) {
		peer_close(p, "the daemon on node %s answers TCP but sent "
		    "nothing for %llu ms (--peer-hang-timeout %d): hung or "
		    "starved", p->host[0] != '\0' ? p->host : p->name,
		    (unsigned long long)quiet, dconf.peer_hang_ms);
		return 1;
	}
	if (!p->starved) {
		p->starved = 1;
		dstats.peer_starved++;
		log_info("peer %s: silent for %llu ms, but its kernel "
		    "acknowledges our PINGs: its daemon is starved or hung; "
		    "waiting up to --peer-hang-timeout %d ms", p->name,
		    (unsigned long long)quiet, dconf.peer_hang_ms);
	}
	return 0;
}

/*
 * The transport's deadline: no HELLO in time, or an up link's beat
 * (silence, PING, frames held for a proof, --peer-idle).
 */
static void
peer_expired(void *arg)
{
	struct peer *p = arg;
	uint64_t now = clock_mono_ns(), t = (uint64_t)dconf.peer_timeout_ms *
	    1000000u, idle;

	if (p->state != PEER_UP) {
		peer_close(p, "no HELLO within %d ms", dconf.peer_timeout_ms);
		return;
	}
	/* Frames read and waiting for a RETIRE are no silence. */
	if (p->deferred)
		p->rx_ns = now;
	if (p->deferred && now - p->defer_ns > t) {
		struct peer *o;

		while ((o = peer_wait_on(p)) != NULL && !p->dead)
			peer_close(o, "no RETIRE within %d ms (--peer-timeout) "
			    "while the peer sent on the link we opened",
			    dconf.peer_timeout_ms);
		if (p->dead)
			return;
	}
	if (now - p->rx_ns > t / 8 * 7 && peer_silent(p, now))
		return;
	peer_beat_arm(p);
	if (now - p->tx_ns >= t / 4)
		peer_ping(p);
	if (p->q != NULL && p->preferred && !peer_sendable(p) &&
	    now - p->q_ns > t) {
		log_info("peer %s: the accepted link from %s proved no secret "
		    "within %d ms; sending on a link of our own", p->name,
		    p->from, dconf.peer_timeout_ms);
		peer_requeue(p);
	}
	if (now >= p->idle_ns) {
		idle = (now - p->last_ns) / 1000000000u;
		if (peer_fed->busy(p) || idle < (uint64_t)dconf.peer_idle_s) {
			p->idle_ns = now + (uint64_t)dconf.peer_idle_s *
			    1000000000u;
			return;
		}
		peer_close(p, "idle for %llu s", (unsigned long long)idle);
	}
}

/* Bytes came in: the link is alive; re-arm the kernel's quick ACKs. */
static void
peer_input(void *arg)
{
	struct peer *p = arg;

	p->rx_ns = clock_mono_ns();
	if (p->starved)
		log_info("peer %s: its daemon speaks again", p->name);
	p->starved = 0;
	p->grace = 0;
	tcp_quickack(transport_fd(p->t));
}

/* The byte stream broke (a bad header, no memory, output unread). */
static void
peer_fault(void *arg, int code, const char *text)
{
	struct peer *p = arg;

	if (code == FB_E_PROTO || code == FB_E_VERSION)
		peer_close(p, "bad frame: %s", text);
	else
		peer_close(p, "%s", text);
}

/* One whole frame whose header passed the decoder, or NULL: the end. */
static void
peer_dispatch(void *arg, const struct wire_frame *f)
{
	struct peer *p = arg;
	const struct wire_hdr *h;
	struct wpeer_refuse r;
	int err;

	if (f == NULL) {
		/* The transport is going; nobody else holds p now. */
		if (!p->dead) {
			err = transport_errno(p->t);
			peer_down(p, err != 0 ? strerror(err) :
			    "connection closed by the peer");
		}
		peer_free(p);
		return;
	}
	if (p->dead)
		return;
	h = &f->hdr;
	if (h->type == WPEER_HELLO) {
		if (p->state != PEER_HELLO) {
			peer_close(p, "second HELLO");
			return;
		}
		peer_hello(p, f->payload, h->length);
		return;
	}
	if (p->state != PEER_UP) {
		peer_close(p, "%s before HELLO", wpeer_type_name(h->type));
		return;
	}
	if (h->type == WPEER_PING)
		return;
	/* A job frame on the link the pair keeps, while the peer's own link
	 * may still bring what it sent before it switched: later. */
	if (peer_suspects > 0 && h->type != WPEER_REFUSE &&
	    peer_wait_on(p) != NULL) {
		if (!p->deferred) {
			p->deferred = 1;
			p->defer_ns = p->rx_ns = clock_mono_ns();
			dstats.peer_handover_waits++;
			log_debug("peer %s: a %s frame waits for RETIRE on its "
			    "other link", p->name, wpeer_type_name(h->type));
		}
		transport_defer(p->t, f);
		return;
	}
	if (h->type == WPEER_REFUSE) {
		if (wpeer_decode_refuse(f->payload, h->length, &r) !=
		    WIRE_OK) {
			peer_close(p, "bad REFUSE");
			return;
		}
		peer_fed->refused(p, &r);
		return;
	}
	/* Sequence first (the MAC covers it, fed.c checks the MAC). */
	if (h->seq != p->rseq + 1) {
		peer_close(p, "frame %u out of sequence (expected %u): a "
		    "replay or a broken link", h->seq, p->rseq + 1);
		return;
	}
	p->rseq = h->seq;
	p->frames_in++;
	p->last_ns = clock_mono_ns();
	peer_fed->frame(p, h, f->bytes, WPEER_HDR_LEN + (size_t)h->length);
}

void
peer_close_all(void)
{
	peer_stopping = 1;	/* for good: nothing is requeued from here */
	while (peer_list != NULL)
		peer_close(peer_list, "fastbootd is stopping");
	/* Their transports were closing: free them (and the peers) now. */
	transport_close_all(&peer_ops);
}

uint32_t
peer_links(void)
{
	return peer_count;
}
