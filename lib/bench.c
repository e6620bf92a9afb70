#include "bench.h"
#include "handshake.h"
#include "loop.h"
#include "tls.h"
#include "url.h"
#include "ws.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/crypto.h>

/* Flood: what may wait between the client and the server's reading, per
 * connection: the queue, up to QUEUE_HIGH plus a block, and the socket's
 * send buffer (SNDBUF, doubled by Linux; left alone it grows to 4 MiB): under
 * a megabyte, so the run ends soon after the sending stops even against a
 * slow server, and enough that the client is not what limits a fast one. */
#define QUEUE_HIGH (128u << 10)	/* queue frames up to this per connection */
#define QUEUE_LOW (32u << 10)	/* and top it up once it is below this */
#define BLOCK_BYTES (64u << 10)	/* the pre-built frames queued at once */
#define SNDBUF (256 << 10)

/* histogram */

void wf_hist_init(struct wf_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

static size_t hist_index(uint64_t v)
{
	int e;

	if (v < (1u << WF_HIST_SUB))
		return (size_t)v;
	e = 63 - __builtin_clzll(v) - WF_HIST_SUB;
	return ((size_t)(e + 1) << WF_HIST_SUB) + (size_t)((v >> e) - (1u << WF_HIST_SUB));
}

void wf_hist_add(struct wf_hist *h, uint64_t v)
{
	h->count[hist_index(v)]++;
	h->n++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t wf_hist_quantile(const struct wf_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, width, v;
	size_t i;

	if (!h->n)
		return 0;
	rank = (uint64_t)(q * (double)h->n);
	if ((double)rank < q * (double)h->n)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (i = 0; i < WF_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	if (i < (1u << WF_HIST_SUB)) {
		lo = i;
		width = 1;
	} else {
		int e = (int)(i >> WF_HIST_SUB) - 1;
		lo = ((uint64_t)(1u << WF_HIST_SUB) + (i & ((1u << WF_HIST_SUB) - 1))) << e;
		width = (uint64_t)1 << e;
	}
	v = lo + (width - 1) / 2;
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

size_t wf_bench_frame(unsigned char *out, int binary, const unsigned char *p, size_t n,
		      const unsigned char mask[4])
{
	size_t h = 0, i;

	out[h++] = 0x80 | (binary ? 2 : 1);
	if (n < 126) {
		out[h++] = (unsigned char)(0x80 | n);
	} else if (n <= 0xffff) {
		out[h++] = 0x80 | 126;
		out[h++] = (unsigned char)(n >> 8);
		out[h++] = (unsigned char)n;
	} else {
		out[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[h++] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (i = 0; i < n; i++)
		out[h + i] = p[i] ^ mask[i & 3];
	return h + n;
}

/* the run */

struct bench;

struct bconn {
	struct bench *b;
	int idx;
	struct wf_ws *ws;
	struct wf_ws_cfg cfg;
	struct wf_hs_client hs;
	const struct addrinfo *ai;	/* the address tried */
	unsigned long long quota;	/* messages to send */
	unsigned long long sent, recvd;
	int64_t *stamps;		/* echo: send times of the messages in flight */
	int64_t started;		/* connect: when this connection was started (ns) */
	int open;
	int fill;		/* flood: room in the queue for more frames */
	int finished;		/* nothing more to send: the close is asked for */
	int closed;
};

struct bench {
	const struct wf_bench_cfg *cfg;
	struct wf_bench_result *res;
	struct wf_loop *loop;
	struct wf_ws_engine *eng;
	struct wf_tls_creds tls;
	int use_tls;
	struct wf_url url;
	struct addrinfo *addrs;
	struct bconn *c;
	int nopen, nclosed;
	int nopen_max;		/* hold: the most open at once */
	int opening;		/* hold: handshakes in flight */
	int next;		/* hold: the next connection to start */
	int active;		/* connect: connections in flight */
	unsigned long long started, handshakes;	/* connect */
	int running;		/* every connection opened: the scenario runs
				 * (connect: from the start; hold: holding) */
	int timeup;		/* stop sending */
	int interrupted;
	int64_t t0, tend;	/* ns */
	int64_t thold;		/* hold: when every connection was open */
	unsigned char *payload;
	unsigned char *block;	/* block_frames copies of the message's frame */
	size_t frame_len, block_frames;
	struct wf_timer duration, watchdog;
	unsigned long long progress, progress_seen;
	int64_t progress_at;
	int status;
	char *msg;
	size_t msglen;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fail(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->status) {
		b->status = 1;
		va_start(ap, fmt);
		vsnprintf(b->msg, b->msglen, fmt, ap);
		va_end(ap);
	}
	wf_loop_stop(b->loop);
}

static const struct wf_ws_cb conn_cb;

static int start_conn(struct bconn *c)
{
	struct bench *b = c->b;
	char msg[256];
	int fd, one = 1, sndbuf = SNDBUF;

	fd = socket(c->ai->ai_family, c->ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, c->ai->ai_protocol);
	if (fd < 0) {
		fail(b, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (b->cfg->scenario == WF_BENCH_FLOOD)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if (connect(fd, c->ai->ai_addr, c->ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		int err = errno;
		close(fd);
		if (c->ai->ai_next) {
			c->ai = c->ai->ai_next;
			return start_conn(c);
		}
		fail(b, "%s: connect: %s", b->cfg->url, strerror(err));
		return -1;
	}
	c->hs.host = b->url.hostport;
	c->hs.path = b->url.path;
	c->ws = wf_ws_new(b->eng, fd, &c->cfg, &conn_cb, c, msg, sizeof msg);
	if (!c->ws) {
		fail(b, "%s: %s", b->cfg->url, msg);
		return -1;
	}
	return 0;
}

/* A fresh connection in slot c (connect: a replacement; hold: the next). */
static int new_conn(struct bconn *c)
{
	struct bench *b = c->b;

	c->ai = b->addrs;
	c->open = c->finished = c->closed = 0;
	c->started = now_ns();
	return start_conn(c);
}

/* This connection sends nothing more: the close handshake follows what is queued. */
static void finish_conn(struct bconn *c)
{
	if (c->finished)
		return;
	c->finished = 1;
	wf_ws_close(c->ws, 1000, NULL);
}

/* flood: queue pre-built frames until the queue is above its high mark */
static void fill_conn(struct bconn *c)
{
	struct bench *b = c->b;

	c->fill = 0;
	while (!c->finished) {
		unsigned long long k = b->block_frames;
		int rc;
		if (b->timeup || c->sent >= c->quota) {
			finish_conn(c);
			break;
		}
		if (wf_ws_queued(c->ws) > QUEUE_HIGH)
			break;	/* until `drained` */
		if (c->quota - c->sent < k)
			k = c->quota - c->sent;
		rc = wf_ws_send_frames(c->ws, b->block, (size_t)k * b->frame_len);
		if (rc == -EBUSY) {
			/* a control frame (a pong) is on its way: come back next pass */
			c->fill = 1;
			wf_loop_wake(b->loop);
			break;
		}
		if (rc < 0) {
			fail(b, "connection %d: cannot queue frames: %s", c->idx, strerror(-rc));
			break;
		}
		c->sent += k;
		b->progress += k;
	}
}

/* echo: one more message in flight */
static void send_one(struct bconn *c)
{
	struct bench *b = c->b;
	int rc;

	c->stamps[c->sent % (unsigned)b->cfg->depth] = now_ns();
	rc = wf_ws_send(c->ws, b->cfg->binary, b->payload, b->cfg->size);
	if (rc < 0) {
		fail(b, "connection %d: cannot send: %s", c->idx, strerror(-rc));
		return;
	}
	c->sent++;
}

static void begin(struct bench *b)
{
	int i, k;

	b->running = 1;
	b->t0 = b->tend = now_ns();
	if (b->cfg->duration_ms > 0)
		wf_timer_start(b->loop, &b->duration, b->cfg->duration_ms);
	for (i = 0; i < b->cfg->connections && !b->status; i++) {
		struct bconn *c = &b->c[i];
		if (b->cfg->scenario == WF_BENCH_FLOOD) {
			c->fill = 1;
			continue;
		}
		for (k = 0; k < b->cfg->depth && c->sent < c->quota && !b->status; k++)
			send_one(c);
		if (!c->sent)
			finish_conn(c);
	}
}

/* hold: every connection is open */
static void hold(struct bench *b)
{
	b->running = 1;
	b->thold = b->tend = now_ns();
	if (b->cfg->duration_ms > 0)
		wf_timer_start(b->loop, &b->duration, b->cfg->duration_ms);
	if (b->cfg->holding)
		b->cfg->holding(b->cfg->connections, b->cfg->ud);
}

static void on_open(struct wf_ws *ws, void *ud)
{
	struct bconn *c = ud;
	struct bench *b = c->b;

	(void)ws;
	c->open = 1;
	b->progress++;
	switch (b->cfg->scenario) {
	case WF_BENCH_CONNECT:
		wf_hist_add(&b->res->rtt, (uint64_t)(now_ns() - c->started));
		b->handshakes++;
		finish_conn(c);
		return;
	case WF_BENCH_HOLD:
		b->opening--;
		if (++b->nopen > b->nopen_max)
			b->nopen_max = b->nopen;
		if (b->nopen == b->cfg->connections)
			hold(b);	/* else `before` starts the next ones */
		return;
	default:
		if (++b->nopen == b->cfg->connections)
			begin(b);
	}
}

static void on_message(struct wf_ws *ws, int binary, const char *p, size_t n, void *ud)
{
	struct bconn *c = ud;
	struct bench *b = c->b;
	int64_t now;

	(void)ws;
	if (b->cfg->scenario != WF_BENCH_ECHO || c->recvd >= c->sent) {
		fail(b, "connection %d: the server sent a message that was not asked for", c->idx);
		return;
	}
	if (binary != b->cfg->binary || n != b->cfg->size || memcmp(p, b->payload, n)) {
		fail(b, "connection %d: the echo differs from the message sent (%s, %zu bytes)",
		     c->idx, binary ? "binary" : "text", n);
		return;
	}
	now = now_ns();
	wf_hist_add(&b->res->rtt, (uint64_t)(now - c->stamps[c->recvd % (unsigned)b->cfg->depth]));
	c->recvd++;
	b->progress++;
	b->tend = now;
	if (!b->timeup && c->sent < c->quota)
		send_one(c);
	else if (c->recvd == c->sent)
		finish_conn(c);
}

static void on_drained(struct wf_ws *ws, void *ud)
{
	struct bconn *c = ud;

	(void)ws;
	if (c->b->cfg->scenario == WF_BENCH_FLOOD && !c->finished) {
		c->fill = 1;
		wf_loop_wake(c->b->loop);
	}
}

static void on_closed(struct wf_ws *ws, const struct wf_ws_end *end, void *ud)
{
	struct bconn *c = ud;
	struct bench *b = c->b;

	(void)ws;
	c->ws = NULL;
	if (!end->opened) {
		if (!strncmp(end->why, "connect:", 8) && c->ai->ai_next) {
			c->ai = c->ai->ai_next;	/* the next address of the name */
			start_conn(c);
			return;
		}
		fail(b, "%s: %s", b->cfg->url, end->why[0] ? end->why : "connection failed");
		return;
	}
	c->closed = 1;
	b->progress++;
	if (b->cfg->scenario == WF_BENCH_HOLD)
		b->nopen--;
	if (!c->finished || end->code != 1000 || end->why[0]) {
		if (end->why[0])
			fail(b, "connection %d: %s (close code %d)", c->idx, end->why, end->code);
		else
			fail(b, "connection %d: the server closed it (code %d%s%s)", c->idx, end->code,
			     end->reason[0] ? ": " : "", end->reason);
		return;
	}
	if (b->cfg->scenario == WF_BENCH_FLOOD || b->cfg->scenario == WF_BENCH_CONNECT)
		b->tend = now_ns();
	if (b->cfg->scenario == WF_BENCH_CONNECT) {
		/* the next one takes its place; the fd of this one is closed
		 * once this returns, so at most one more is open for a moment */
		if (!b->timeup && (!b->cfg->count || b->started < b->cfg->count)) {
			b->started++;
			new_conn(c);
		} else if (!--b->active) {
			wf_loop_stop(b->loop);
		}
		return;
	}
	if (++b->nclosed == b->cfg->connections)
		wf_loop_stop(b->loop);
}

static const struct wf_ws_cb conn_cb = { on_open, on_message, on_drained, on_closed };

static void time_up(struct bench *b)
{
	int i;

	b->timeup = 1;
	if (b->cfg->scenario == WF_BENCH_CONNECT)
		return;	/* those in flight finish, none replaces them */
	if (b->cfg->scenario == WF_BENCH_HOLD)
		b->tend = now_ns();
	for (i = 0; i < b->cfg->connections; i++) {
		struct bconn *c = &b->c[i];
		if (!c->ws || c->finished)
			continue;
		if (b->cfg->scenario == WF_BENCH_FLOOD)
			c->fill = 1;
		else if (c->recvd == c->sent && c->open)
			finish_conn(c);
	}
	wf_loop_wake(b->loop);
}

static void on_duration(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct bench *b = ud;

	int64_t from = b->cfg->scenario == WF_BENCH_HOLD ? b->thold : b->t0;

	if (now_ns() - from < b->cfg->duration_ms * 1000000) {
		wf_timer_start(l, t, 1);	/* the loop's clock is in ms: not a bit short */
		return;
	}
	time_up(b);
}

static void on_watchdog(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct bench *b = ud;
	int64_t now = wf_now_ms();

	if (b->cfg->scenario == WF_BENCH_HOLD && b->running && !b->timeup) {
		b->progress_at = now;	/* idle on purpose */
	} else if (b->progress != b->progress_seen) {
		b->progress_seen = b->progress;
		b->progress_at = now;
	} else if (now - b->progress_at >= b->cfg->timeout_ms) {
		fail(b, "%s: no progress for %.1f s (%s)", b->cfg->url, b->cfg->timeout_ms / 1000.0,
		     !b->running || b->cfg->scenario == WF_BENCH_CONNECT ? "connecting"
		     : b->timeup || b->nclosed ? "waiting for the close handshakes"
					       : "the server reads nothing");
		return;
	}
	wf_timer_start(l, t, 200);
}

static void on_signal(struct wf_loop *l, int signo, int events, void *ud)
{
	struct bench *b = ud;

	(void)l;
	(void)events;
	if (!b->running || b->interrupted) {
		fail(b, "interrupted by signal %d", signo);
		return;
	}
	b->interrupted = 1;	/* end the run as if the time were up; a second signal aborts */
	time_up(b);
}

static void before(struct wf_loop *l, void *ud)
{
	struct bench *b = ud;
	int i;

	(void)l;
	if (b->cfg->scenario == WF_BENCH_HOLD)
		while (b->next < b->cfg->connections && b->opening < b->cfg->opening && !b->status) {
			b->opening++;
			new_conn(&b->c[b->next++]);
		}
	if (b->running && b->cfg->scenario == WF_BENCH_FLOOD)
		for (i = 0; i < b->cfg->connections && !b->status; i++)
			if (b->c[i].fill && b->c[i].ws)
				fill_conn(&b->c[i]);
	wf_ws_engine_before(b->eng);
}

static int prepare(struct bench *b, char *msg, size_t n)
{
	const struct wf_bench_cfg *cfg = b->cfg;
	struct addrinfo hints = { 0 };
	unsigned char mask[4];
	size_t i;
	uint32_t x = 0x9e3779b9;
	int rc;

	if (cfg->connections < 1 || cfg->depth < 1 || cfg->timeout_ms <= 0 ||
	    (cfg->scenario == WF_BENCH_HOLD ? cfg->opening < 1 || cfg->count
					     : !cfg->count && cfg->duration_ms <= 0)) {
		snprintf(msg, n, "connections, depth, opening and timeout must be positive, and a count or "
			 "a duration given (hold: no count)");
		return 2;
	}
	if (wf_url_parse(cfg->url, &b->url, msg, n) < 0)
		return 2;
	if (!b->url.secure && (cfg->tls_cafile || cfg->tls_insecure || cfg->tls_domain)) {
		snprintf(msg, n, "%s: the TLS options need a wss:// URL", cfg->url);
		return 2;
	}
	if (b->url.secure) {
		if (wf_tls_client_creds(&b->tls, cfg->tls_cafile, NULL, NULL, cfg->tls_insecure, msg, n) < 0)
			return 2;
		b->use_tls = 1;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	rc = getaddrinfo(b->url.host, b->url.port, &hints, &b->addrs);
	if (rc) {
		snprintf(msg, n, "%s: %s", b->url.host, gai_strerror(rc));
		return 1;
	}
	/* the message: letters for text, noise for binary */
	b->payload = malloc(cfg->size ? cfg->size : 1);
	if (!b->payload)
		goto nomem;
	for (i = 0; i < cfg->size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b->payload[i] = cfg->binary ? (unsigned char)x : (unsigned char)('a' + i % 26);
	}
	if (cfg->scenario == WF_BENCH_FLOOD) {
		unsigned char *one;
		if (gnutls_rnd(GNUTLS_RND_NONCE, mask, sizeof mask) < 0) {
			snprintf(msg, n, "no random bytes for the masking key");
			return 1;
		}
		one = malloc(cfg->size + WF_BENCH_HEAD_MAX);
		if (!one)
			goto nomem;
		b->frame_len = wf_bench_frame(one, cfg->binary, b->payload, cfg->size, mask);
		b->block_frames = BLOCK_BYTES / b->frame_len ? BLOCK_BYTES / b->frame_len : 1;
		b->block = malloc(b->block_frames * b->frame_len);
		if (!b->block) {
			free(one);
			goto nomem;
		}
		for (i = 0; i < b->block_frames; i++)
			memcpy(b->block + i * b->frame_len, one, b->frame_len);
		free(one);
	}
	return 0;
nomem:
	snprintf(msg, n, "out of memory");
	return 1;
}

int wf_bench_run(const struct wf_bench_cfg *cfg, struct wf_bench_result *r, char *msg, size_t n)
{
	struct bench b;
	struct wf_ws_cfg wcfg = { 0 };
	unsigned long long total = 0;
	int i, rc;

	memset(&b, 0, sizeof b);
	memset(r, 0, sizeof *r);
	wf_hist_init(&r->rtt);
	b.cfg = cfg;
	b.res = r;
	b.msg = msg;
	b.msglen = n;
	rc = prepare(&b, msg, n);
	if (rc)
		goto out;
	r->tls = b.use_tls;
	wcfg.server = 0;
	wcfg.max_message = cfg->size + (1u << 20);
	wcfg.queue_max = (size_t)1 << 40;
	wcfg.queue_high = QUEUE_HIGH;
	wcfg.queue_low = QUEUE_LOW;
	wcfg.handshake_ms = cfg->timeout_ms;
	wcfg.close_ms = cfg->timeout_ms;
	wcfg.tls = b.use_tls ? &b.tls : NULL;
	wcfg.tls_domain = cfg->tls_domain ? cfg->tls_domain : b.url.host;
	b.c = calloc((size_t)cfg->connections, sizeof *b.c);
	b.loop = wf_loop_new();
	b.eng = b.loop ? wf_ws_engine_new(b.loop) : NULL;
	if (!b.c || !b.eng) {
		snprintf(msg, n, "out of memory");
		rc = 1;
		goto out;
	}
	for (i = 0; i < cfg->connections; i++) {
		struct bconn *c = &b.c[i];
		c->b = &b;
		c->idx = i + 1;
		c->ai = b.addrs;
		c->cfg = wcfg;
		c->cfg.client = &c->hs;
		c->quota = ULLONG_MAX;
		if (cfg->count)
			c->quota = cfg->count / (unsigned)cfg->connections +
				   (i < (int)(cfg->count % (unsigned)cfg->connections));
		if (cfg->scenario == WF_BENCH_ECHO) {
			c->stamps = calloc((size_t)cfg->depth, sizeof *c->stamps);
			if (!c->stamps) {
				snprintf(msg, n, "out of memory");
				rc = 1;
				goto out;
			}
		}
	}
	wf_timer_init(&b.duration, on_duration, &b);
	wf_timer_init(&b.watchdog, on_watchdog, &b);
	wf_loop_signal(b.loop, SIGINT, on_signal, &b);
	wf_loop_signal(b.loop, SIGTERM, on_signal, &b);
	wf_loop_set_before(b.loop, before, &b);
	b.progress_at = wf_now_ms();
	wf_timer_start(b.loop, &b.watchdog, 200);
	b.t0 = b.tend = now_ns();
	if (cfg->scenario == WF_BENCH_CONNECT) {
		b.running = 1;
		if (cfg->duration_ms > 0)
			wf_timer_start(b.loop, &b.duration, cfg->duration_ms);
		for (i = 0; i < cfg->connections && (!cfg->count || b.started < cfg->count) && !b.status; i++) {
			b.started++;
			b.active++;
			new_conn(&b.c[i]);
		}
	} else if (cfg->scenario != WF_BENCH_HOLD) {
		for (i = 0; i < cfg->connections && !b.status; i++)
			start_conn(&b.c[i]);
	}	/* hold: `before` starts them, `opening` at a time */
	if (!b.status && wf_loop_run(b.loop) < 0 && !b.status)
		fail(&b, "event loop failed");
	rc = b.status;
	for (i = 0; i < cfg->connections; i++)
		total += cfg->scenario == WF_BENCH_FLOOD ? b.c[i].sent : b.c[i].recvd;
	r->messages = cfg->scenario == WF_BENCH_CONNECT ? b.handshakes : total;
	r->seconds = (double)(b.tend - (cfg->scenario == WF_BENCH_HOLD ? b.thold : b.t0)) / 1e9;
	if (cfg->scenario == WF_BENCH_HOLD) {
		r->connect_seconds = (double)(b.thold - b.t0) / 1e9;
		r->open = b.nopen_max;
	}
out:
	wf_ws_engine_free(b.eng);
	wf_loop_free(b.loop);
	if (b.c)
		for (i = 0; i < cfg->connections; i++)
			free(b.c[i].stamps);
	free(b.c);
	free(b.payload);
	free(b.block);
	if (b.addrs)
		freeaddrinfo(b.addrs);
	if (b.use_tls)
		wf_tls_creds_free(&b.tls);
	return rc;
}
