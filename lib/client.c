#include "client.h"
#include "endpoint.h"
#include "envelope.h"
#include "io.h"
#include "loop.h"
#include "url.h"
#include "utf8.h"
#include "ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gnutls/crypto.h>

/* Name resolution runs in a thread so the loop keeps serving signals. */
struct resolver {
	pthread_t th;
	int pipe[2];
	char host[256], port[8];
	struct addrinfo *res;
	int rc;
	int busy;
};

enum cstate { C_IDLE, C_RESOLVING, C_CONNECTING, C_OPEN, C_WAITING, C_DONE };

struct cli {
	const struct wf_client_cfg *cfg;
	struct wf_url u;
	struct wf_loop *loop;
	struct wf_ws_engine *eng;
	struct wf_ws_cfg wcfg;
	struct wf_hs_client hs;
	char chosen[256];
	struct wf_tls_creds tls;
	int use_tls;
	struct resolver rs;
	struct addrinfo *addrs, *next_addr;
	enum cstate st;
	struct wf_ws *ws;
	struct wf_tails tails;
	int have_tails;
	int ever_open;
	int fails;		/* failed attempts since the last success */
	int waits;		/* waits since the last success */
	int64_t last_wait;
	int none_retried;	/* policy none: the one retry after a loss is used */
	char last_why[300];
	char lost_why[300];	/* how the last connection ended */
	struct wf_timer retry;
	struct wf_timer deadline;
	struct wf_stdout out;
	struct wf_reader in;
	int in_fd;
	int in_watched;		/* in_fd is in the loop: only while it is read,
				 * so a hung-up pipe nobody reads cannot spin it */
	int in_eof;		/* stdin is done: close once sent */
	int full;
	int stopping;		/* a signal or EOF asked us to finish */
	struct wf_buf scratch;
	int status;
	char *msg;
	size_t msglen;
};

static void attempt(struct cli *c);
static void next_address(struct cli *c);

static void note(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct cli *c, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	if (!c->cfg->note)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	c->cfg->note(m, c->cfg->ud);
}

static void finish(struct cli *c, int status, const char *why)
{
	if (c->st == C_DONE)
		return;
	c->st = C_DONE;
	if (status && !c->status) {
		c->status = status;
		snprintf(c->msg, c->msglen, "%s", why);
	}
	wf_loop_stop(c->loop);
}

int64_t wf_retry_wait(const struct wf_client_cfg *cfg, int k, int64_t prev)
{
	double lo, hi, r;
	uint32_t x;

	if (k == 0)
		return cfg->retry_ms;
	lo = (double)prev;
	hi = (double)prev * cfg->growth;
	if (!cfg->randomized)
		return (int64_t)hi;
	if (hi < lo) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	gnutls_rnd(GNUTLS_RND_NONCE, &x, sizeof x);
	r = lo + (hi - lo) * ((double)x / 4294967296.0);
	return (int64_t)r;
}

/* stdin */

static void on_in(struct wf_loop *l, int fd, int events, void *ud);

static void update_in(struct cli *c)
{
	int want = c->in_fd >= 0 && c->st == C_OPEN && !c->full && !c->in_eof && !c->in.eof;

	if (want == c->in_watched)
		return;
	if (want && wf_loop_add_fd(c->loop, c->in_fd, WF_READ, on_in, c) < 0)
		return;
	if (!want)
		wf_loop_del_fd(c->loop, c->in_fd);
	c->in_watched = want;
}

/* Send one payload; ev (NULL for a -R line) lends its meta to an error. */
static void send_payload(struct cli *c, const struct wf_event *ev, int binary, const char *p, size_t n,
			 const char *line, size_t len, unsigned long lineno)
{
	int rc = wf_ws_send(c->ws, binary, p, n);

	if (rc < 0)
		wf_err_event(c->cfg->err, ev, ev ? wf_env_stream(ev) : -1, line, len, "line %lu: not sent: %s",
			     lineno,
			     rc == -ENOBUFS ? "send queue full" : rc == -EPIPE ? "connection closing" : strerror(-rc));
	else if (wf_ws_queued(c->ws) > c->wcfg.queue_high)
		c->full = 1;
}

static void send_event(struct cli *c, const struct wf_event *ev, unsigned long lineno)
{
	int binary, rc;

	if (ev->kind == WF_CONTROL)
		return;	/* one connection: nothing to open or close by event */
	c->scratch.len = 0;
	rc = wf_event_frame(ev, "ws_client", &c->scratch, &binary);
	if (rc) {
		wf_err_event(c->cfg->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
			     "line %lu: %s", lineno, rc == -EINVAL ? "bytes is not valid base64" : strerror(-rc));
		return;
	}
	send_payload(c, ev, binary, c->scratch.p ? c->scratch.p : "", c->scratch.len, ev->line,
		     (size_t)(ev->end - ev->line), lineno);
}

static void process_lines(struct cli *c)
{
	const char *line;
	size_t n;
	int k;

	while (c->st == C_OPEN && !c->full && (k = wf_reader_next(&c->in, &line, &n)) != 0) {
		struct wf_event ev;
		struct wf_json_err jerr;
		if (k == WF_LINE_LONG) {
			wf_err_event(c->cfg->err, NULL, -1, NULL, 0, "line %lu: longer than %zu bytes, skipped",
				     c->in.lineno, c->in.maxline);
			continue;
		}
		if (c->cfg->raw_in) {
			/* -R: the line is the message, text when it is UTF-8 */
			send_payload(c, NULL, !wf_utf8_valid((const unsigned char *)line, n), line, n, line, n,
				     c->in.lineno);
			continue;
		}
		if (wf_env_parse(&ev, line, n, &jerr) < 0) {
			wf_err_event(c->cfg->err, NULL, -1, line, n, "line %lu: not an envelope: %s at byte %zu",
				     c->in.lineno, jerr.msg, (size_t)(jerr.at - line));
			continue;
		}
		send_event(c, &ev, c->in.lineno);
	}
	if (c->st == C_OPEN && c->in.eof && !c->in_eof && c->in.start >= c->in.buf.len && !c->in.skipping) {
		/* stdin is done: close 1000 once the queue is out (with
		 * --no-close, wait for the server to close instead) */
		c->in_eof = 1;
		c->stopping = 1;
		if (!c->cfg->no_close) {
			/* the queue out, a ping and its pong, the close handshake */
			wf_ws_close_drained(c->ws, 1000, "");
			wf_timer_start(c->loop, &c->deadline,
				       2 * c->cfg->close_ms + (c->cfg->stall_ms > 0 ? c->cfg->stall_ms : 0) + 500);
		}
	}
	update_in(c);
}

static void on_in(struct wf_loop *l, int fd, int events, void *ud)
{
	struct cli *c = ud;
	ssize_t got;

	(void)l;
	(void)fd;
	(void)events;
	got = wf_reader_fill(&c->in);
	if (got < 0 && got != -EAGAIN) {
		wf_err_event(c->cfg->err, NULL, -1, NULL, 0, "stdin: %s", strerror((int)-got));
		c->in.eof = 1;
	}
	process_lines(c);
}

/* the connection */

static void on_open(struct wf_ws *ws, void *ud)
{
	struct cli *c = ud;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	char host[INET6_ADDRSTRLEN] = "";
	int port = 0;

	if (getpeername(wf_ws_fd(ws), (struct sockaddr *)&sa, &sl) == 0) {
		if (sa.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
			port = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&sa;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
		}
	}
	if (c->have_tails)
		wf_tails_free(&c->tails);
	/* Tremor's client has one stream: the default, 0 */
	wf_tails_build(&c->tails, "ws_client", c->use_tls, host, port, c->cfg->id, 0);
	c->have_tails = 1;
	c->st = C_OPEN;
	c->ever_open = 1;
	c->fails = c->waits = 0;
	c->none_retried = 0;
	c->full = 0;
	if (c->addrs) {
		freeaddrinfo(c->addrs);
		c->addrs = c->next_addr = NULL;
	}
	note(c, "connected to %s", c->cfg->url);
	if (c->cfg->stream_events && !c->cfg->raw_out)
		wf_emit_control(&c->out.w.buf, &c->tails, "open", 0, NULL);
	if (c->out.paused)
		wf_ws_pause(ws, 1);
	process_lines(c);
}

static void on_message(struct wf_ws *ws, int binary, const char *p, size_t n, void *ud)
{
	struct cli *c = ud;

	(void)ws;
	wf_emit_message(&c->out.w.buf, &c->tails, c->cfg->raw_out, binary, p, n);
	if (wf_writer_pending(&c->out.w) >= WF_OUT_HIGH && !c->out.paused)
		wf_stdout_flush(&c->out);
}

static void on_drained(struct wf_ws *ws, void *ud)
{
	struct cli *c = ud;

	(void)ws;
	c->full = 0;
	update_in(c);
}

/* After a failed attempt or a lost connection: wait per policy, or give up. */
static void schedule(struct cli *c, int lost, int clean)
{
	const struct wf_client_cfg *cfg = c->cfg;
	int64_t wait;

	if (c->stopping) {
		finish(c, 0, "");
		return;
	}
	if (!cfg->retry) {
		/* Tremor's "none": the first connect failing is final; a lost
		 * connection is tried once more after a second */
		if (lost && clean) {
			finish(c, 0, "");
			return;
		}
		if (!lost && c->none_retried) {
			char m[640];
			snprintf(m, sizeof m, "%s; reconnecting failed: %s", c->lost_why, c->last_why);
			finish(c, 1, m);
			return;
		}
		if (!lost) {
			finish(c, 1, c->last_why);
			return;
		}
		c->none_retried = 1;
		wait = 1000;
	} else {
		if (!lost && cfg->max_retries >= 0 && c->fails >= cfg->max_retries) {
			char m[400];
			snprintf(m, sizeof m, "giving up after %d attempts: %s", c->fails, c->last_why);
			finish(c, 1, m);
			return;
		}
		wait = wf_retry_wait(cfg, c->waits, c->last_wait);
		c->last_wait = wait;
		c->waits++;
	}
	note(c, "%s; retrying in %lld ms", c->last_why, (long long)wait);
	c->st = C_WAITING;
	update_in(c);
	wf_timer_start(c->loop, &c->retry, wait);
}

static void on_closed(struct wf_ws *ws, const struct wf_ws_end *end, void *ud)
{
	struct cli *c = ud;

	(void)ws;
	c->ws = NULL;
	if (c->st == C_DONE)
		return;
	if (end->opened) {
		int clean = !end->why[0];
		if (c->cfg->stream_events && !c->cfg->raw_out)
			wf_emit_control(&c->out.w.buf, &c->tails, "close", end->code, end->reason);
		if (end->unsent) {
			struct wf_buf b;
			struct wf_event ev;
			wf_buf_init(&b, (size_t)-1);
			if (wf_tails_event(&c->tails, &b, &ev) == 0)
				wf_err_event(c->cfg->err, &ev, 0, NULL, 0,
					     "connection lost with %zu bytes of messages not sent", end->unsent);
			wf_buf_free(&b);
		}
		if (clean)
			snprintf(c->last_why, sizeof c->last_why, "the server closed the connection (%d%s%s)",
				 end->code, end->reason[0] ? " " : "", end->reason);
		else
			snprintf(c->last_why, sizeof c->last_why, "connection lost: %s",
				 strcmp(end->why, "connection lost") ? end->why : "no close frame from the server");
		snprintf(c->lost_why, sizeof c->lost_why, "%s", c->last_why);
		c->st = C_IDLE;
		schedule(c, 1, clean || end->code == 1000 || end->code == 1001);
		return;
	}
	snprintf(c->last_why, sizeof c->last_why, "%s", end->why[0] ? end->why : "connect failed");
	if (c->next_addr && !c->stopping) {
		next_address(c);
		return;
	}
	c->fails++;
	c->st = C_IDLE;
	schedule(c, 0, 0);
}

static const struct wf_ws_cb conn_cb = { on_open, on_message, on_drained, on_closed };

static void next_address(struct cli *c)
{
	while (c->next_addr) {
		struct addrinfo *ai = c->next_addr;
		char m[256];
		int fd;

		c->next_addr = ai->ai_next;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(c->last_why, sizeof c->last_why, "socket: %s", strerror(errno));
			continue;
		}
		if (c->cfg->nodelay) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			snprintf(c->last_why, sizeof c->last_why, "connect: %s", strerror(errno));
			close(fd);
			continue;
		}
		c->st = C_CONNECTING;
		c->ws = wf_ws_new(c->eng, fd, &c->wcfg, &conn_cb, c, m, sizeof m);
		if (c->ws)
			return;
		snprintf(c->last_why, sizeof c->last_why, "%s", m);
	}
	c->fails++;
	c->st = C_IDLE;
	schedule(c, 0, 0);
}

static void *resolve_thread(void *arg)
{
	struct resolver *r = arg;
	struct addrinfo hints = { 0 };
	char b = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	r->rc = getaddrinfo(r->host, r->port, &hints, &r->res);
	if (r->rc == EAI_BADFLAGS || (r->rc && !strcmp(r->host, "localhost"))) {
		hints.ai_flags = AI_NUMERICSERV;
		r->rc = getaddrinfo(r->host, r->port, &hints, &r->res);
	}
	if (write(r->pipe[1], &b, 1) < 0) {
		/* the loop never learns: it will time out on the deadline */
	}
	return NULL;
}

static void on_resolved(struct wf_loop *l, int fd, int events, void *ud)
{
	struct cli *c = ud;
	char b;

	(void)events;
	if (read(fd, &b, 1) != 1)
		return;
	pthread_join(c->rs.th, NULL);
	c->rs.busy = 0;
	wf_loop_set_mask(l, fd, 0);
	if (c->st != C_RESOLVING)
		return;
	if (c->rs.rc) {
		snprintf(c->last_why, sizeof c->last_why, "%s: %s", c->u.host, gai_strerror(c->rs.rc));
		c->fails++;
		c->st = C_IDLE;
		schedule(c, 0, 0);
		return;
	}
	if (c->addrs)
		freeaddrinfo(c->addrs);
	c->addrs = c->next_addr = c->rs.res;
	c->rs.res = NULL;
	next_address(c);
}

static void attempt(struct cli *c)
{
	if (c->stopping) {
		finish(c, 0, "");
		return;
	}
	note(c, "connecting to %s", c->cfg->url);
	c->st = C_RESOLVING;
	snprintf(c->rs.host, sizeof c->rs.host, "%s", c->u.host);
	snprintf(c->rs.port, sizeof c->rs.port, "%s", c->u.port);
	c->rs.busy = 1;
	if (pthread_create(&c->rs.th, NULL, resolve_thread, &c->rs)) {
		c->rs.busy = 0;
		snprintf(c->last_why, sizeof c->last_why, "cannot start the resolver");
		finish(c, 1, c->last_why);
		return;
	}
	wf_loop_set_mask(c->loop, c->rs.pipe[0], WF_READ);
}

static void on_retry(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	(void)l;
	(void)t;
	attempt(ud);
}

static void on_deadline(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct cli *c = ud;

	(void)t;
	c->st = C_DONE;
	wf_loop_stop(l);
}

static void on_signal(struct wf_loop *l, int signo, int events, void *ud)
{
	struct cli *c = ud;

	(void)signo;
	(void)events;
	c->stopping = 1;
	if (c->st == C_OPEN && c->ws) {
		wf_ws_close(c->ws, 1001, "");
		wf_timer_start(l, &c->deadline, c->cfg->close_ms + 500);
	} else {
		finish(c, 0, "");
	}
}

static void pause_peer(int paused, void *ud)
{
	struct cli *c = ud;

	if (c->ws)
		wf_ws_pause(c->ws, paused);
}

static void before(struct wf_loop *l, void *ud)
{
	struct cli *c = ud;

	(void)l;
	if (c->st == C_OPEN && !c->full && c->in.start < c->in.buf.len)
		process_lines(c);
	wf_ws_engine_before(c->eng);
	if (wf_writer_pending(&c->out.w))
		wf_stdout_flush(&c->out);
	if (c->out.err && !c->status) {
		c->status = 1;
		snprintf(c->msg, c->msglen, "stdout: write error: %s", strerror(-c->out.err));
		wf_loop_stop(c->loop);
	}
}

int wf_client_run(const struct wf_client_cfg *cfg, char *msg, size_t n)
{
	struct cli c;
	int rc;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.msg = msg;
	c.msglen = n;
	c.in_fd = -1;
	c.rs.pipe[0] = c.rs.pipe[1] = -1;
	if (wf_url_parse(cfg->url, &c.u, msg, n) < 0)
		return 2;
	c.use_tls = c.u.secure || cfg->tls || cfg->cafile || cfg->cert;
	if ((cfg->cert != NULL) != (cfg->key != NULL)) {
		snprintf(msg, n, "--tls-cert and --tls-key go together");
		return 2;
	}
	if (c.use_tls && wf_tls_client_creds(&c.tls, cfg->cafile, cfg->cert, cfg->key, cfg->insecure,
					     msg, n) < 0)
		return 2;
	c.hs.host = c.u.hostport;
	c.hs.path = c.u.path;
	c.hs.protocol = cfg->protocol;
	c.hs.origin = cfg->origin;
	c.hs.headers = cfg->headers;
	c.hs.nheaders = cfg->nheaders;
	{
		struct wf_buf probe;
		wf_buf_init(&probe, (size_t)-1);
		rc = wf_hs_client_request(&probe, &c.hs);
		wf_buf_free(&probe);
		if (rc < 0) {
			snprintf(msg, n, "--header must be \"Name: value\" on one line");
			goto cfgfail;
		}
	}
	c.wcfg.server = 0;
	wf_ws_cfg_limits(&c.wcfg, cfg->max_message, cfg->max_queue, cfg->connect_ms, cfg->ping_ms,
			 cfg->pong_ms, cfg->close_ms, cfg->stall_ms);
	c.wcfg.tls = c.use_tls ? &c.tls : NULL;
	c.wcfg.tls_domain = cfg->domain ? cfg->domain : c.u.host;
	c.wcfg.client = &c.hs;
	c.wcfg.chosen_protocol = c.chosen;
	c.wcfg.chosen_len = sizeof c.chosen;
	c.loop = wf_loop_new();
	c.eng = c.loop ? wf_ws_engine_new(c.loop) : NULL;
	if (!c.eng || pipe2(c.rs.pipe, O_CLOEXEC) < 0) {
		snprintf(msg, n, "out of resources");
		rc = 1;
		goto out;
	}
	wf_buf_init(&c.scratch, (size_t)-1);
	wf_timer_init(&c.retry, on_retry, &c);
	wf_timer_init(&c.deadline, on_deadline, &c);
	wf_loop_add_fd(c.loop, c.rs.pipe[0], 0, on_resolved, &c);
	wf_stdout_init(&c.out, c.loop, pause_peer, &c);
	c.in_fd = wf_nonblock_dup(0, 0);
	wf_reader_init(&c.in, c.in_fd, cfg->max_line);
	wf_loop_signal(c.loop, SIGINT, on_signal, &c);
	wf_loop_signal(c.loop, SIGTERM, on_signal, &c);
	wf_loop_set_before(c.loop, before, &c);
	attempt(&c);
	if (wf_loop_run(c.loop) < 0 && !c.status) {
		snprintf(msg, n, "event loop failed");
		c.status = 1;
	}
	rc = wf_stdout_finish(&c.out);
	if (rc < 0 && !c.status) {
		snprintf(msg, n, "stdout: write error: %s", strerror(-rc));
		c.status = 1;
	}
	rc = c.status;
	wf_reader_free(&c.in);
	if (c.in_fd > 0)
		close(c.in_fd);
out:
	if (c.rs.busy)
		pthread_join(c.rs.th, NULL);
	if (c.rs.res)
		freeaddrinfo(c.rs.res);
	if (c.addrs)
		freeaddrinfo(c.addrs);
	if (c.have_tails)
		wf_tails_free(&c.tails);
	wf_ws_engine_free(c.eng);
	wf_loop_free(c.loop);
	if (c.rs.pipe[0] >= 0) {
		close(c.rs.pipe[0]);
		close(c.rs.pipe[1]);
	}
	wf_buf_free(&c.scratch);
	if (c.use_tls)
		wf_tls_creds_free(&c.tls);
	return rc;
cfgfail:
	if (c.use_tls)
		wf_tls_creds_free(&c.tls);
	return 2;
}
