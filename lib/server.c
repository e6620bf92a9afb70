#include "server.h"
#include "endpoint.h"
#include "envelope.h"
#include "io.h"
#include "loop.h"
#include "map.h"
#include "url.h"
#include "utf8.h"
#include "ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	struct srv *s;
	struct wf_ws *ws;
	long long stream;
	char host[INET6_ADDRSTRLEN];
	int port;
	char peerkey[INET6_ADDRSTRLEN + 8];
	struct wf_tails tails;	/* the end of its events */
	int full;		/* its send queue is above the high-water mark */
	struct conn *prev, *next;
};

struct srv {
	const struct wf_server_cfg *cfg;
	struct wf_loop *loop;
	struct wf_ws_engine *eng;
	struct wf_ws_cfg wcfg;
	struct wf_tls_creds tls;
	int use_tls;
	int lfd;
	int accepting;
	struct wf_timer accept_retry;
	struct conn *conns;
	size_t nconns;
	long long next_stream;
	struct wf_map by_peer, by_stream;
	struct wf_stdout out;
	int peers_paused;
	struct wf_reader in;
	int in_fd;
	int in_open;		/* stdin not at EOF */
	int nfull;		/* connections whose queue is above high-water */
	struct wf_buf scratch;
	struct wf_buf name;	/* a host or source name from an event, unescaped */
	int stopping;
	int status;
	char *msg;
	size_t msglen;
	struct wf_timer stop_deadline;
};

static void on_in(struct wf_loop *l, int fd, int events, void *ud);
static void begin_stop(struct srv *s);

/* stdout */

static void update_in(struct srv *s)
{
	int want = s->in_open && !s->stopping && !s->nfull;

	if (s->in_fd >= 0)
		wf_loop_set_mask(s->loop, s->in_fd, want ? WF_READ : 0);
}

static void fatal(struct srv *s, int status, const char *what, int err)
{
	if (!s->status) {
		s->status = status;
		snprintf(s->msg, s->msglen, "%s: %s", what, strerror(err));
	}
	begin_stop(s);	/* the peers are told with 1001 */
}

static void pause_peers(int paused, void *ud)
{
	struct srv *s = ud;
	struct conn *c;

	s->peers_paused = paused;
	for (c = s->conns; c; c = c->next)
		wf_ws_pause(c->ws, paused);
}

static void emit_control(struct srv *s, struct conn *c, const char *what, const struct wf_ws_end *end)
{
	if (s->cfg->stream_events && !s->cfg->raw_out)
		wf_emit_control(&s->out.w.buf, &c->tails, what, end ? end->code : 0,
				end ? end->reason : NULL);
}

static void on_message(struct wf_ws *ws, int binary, const char *p, size_t n, void *ud)
{
	struct conn *c = ud;
	struct srv *s = c->s;

	(void)ws;
	if (s->out.err)
		return;
	wf_emit_message(&s->out.w.buf, &c->tails, s->cfg->raw_out, binary, p, n);
	if (wf_writer_pending(&s->out.w) >= WF_OUT_HIGH && !s->out.paused)
		wf_stdout_flush(&s->out);	/* pauses the peers if stdout stays behind */
}

/* An error about a connection, with its meta and origin. */
static void conn_error(struct srv *s, struct conn *c, const char *why)
{
	struct wf_buf b;
	struct wf_event ev;

	wf_buf_init(&b, (size_t)-1);
	if (wf_tails_event(&c->tails, &b, &ev) == 0)
		wf_err_event(s->cfg->err, &ev, c->stream, NULL, 0, "%s:%d: connection closed: %s",
			     c->host, c->port, why);
	wf_buf_free(&b);
}

static void on_open(struct wf_ws *ws, void *ud)
{
	struct conn *c = ud;
	struct srv *s = c->s;
	char key[32];
	int k;

	(void)ws;
	c->stream = ++s->next_stream;
	wf_tails_build(&c->tails, "ws_server", s->use_tls, c->host, c->port, s->cfg->id, c->stream);
	wf_map_put(&s->by_peer, c->peerkey, strlen(c->peerkey), c);
	k = snprintf(key, sizeof key, "%lld", c->stream);
	wf_map_put(&s->by_stream, key, (size_t)k, c);
	emit_control(s, c, "open", NULL);
	if (s->peers_paused)
		wf_ws_pause(ws, 1);
}

static void on_drained(struct wf_ws *ws, void *ud)
{
	struct conn *c = ud;

	(void)ws;
	if (c->full) {
		c->full = 0;
		c->s->nfull--;
		update_in(c->s);
	}
}

static void on_closed(struct wf_ws *ws, const struct wf_ws_end *end, void *ud)
{
	struct conn *c = ud;
	struct srv *s = c->s;

	(void)ws;
	if (end->opened) {
		char key[32];
		int k = snprintf(key, sizeof key, "%lld", c->stream);
		emit_control(s, c, "close", end);
		if (end->why[0] && end->code != 1000 && end->code != 1001)
			conn_error(s, c, end->why);
		wf_map_del(&s->by_peer, c->peerkey, strlen(c->peerkey));
		wf_map_del(&s->by_stream, key, (size_t)k);
	} else if (!s->stopping) {
		wf_err_event(s->cfg->err, NULL, -1, NULL, 0, "%s:%d: %s", c->host, c->port,
			     end->why[0] ? end->why : "connection failed");
	}
	if (c->full) {
		c->full = 0;
		s->nfull--;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	wf_tails_free(&c->tails);
	free(c);
	if (!s->stopping && !s->accepting && s->lfd >= 0 &&
	    (!s->cfg->max_connections || s->nconns < (size_t)s->cfg->max_connections)) {
		s->accepting = 1;
		wf_loop_set_mask(s->loop, s->lfd, WF_READ);
	}
	update_in(s);
}

static const struct wf_ws_cb conn_cb = { on_open, on_message, on_drained, on_closed };

/* accepting */

static void on_accept(struct wf_loop *l, int fd, int events, void *ud)
{
	struct srv *s = ud;
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof sa;
		struct conn *c;
		char msg[256];
		int cfd = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: wait, the kernel keeps the backlog */
				wf_err_event(s->cfg->err, NULL, -1, NULL, 0, "accept: %s", strerror(errno));
				s->accepting = 0;
				wf_loop_set_mask(l, fd, 0);
				wf_timer_start(l, &s->accept_retry, 200);
			}
			return;
		}
		if (s->cfg->nodelay) {
			int one = 1;
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		c = calloc(1, sizeof *c);
		if (!c) {
			close(cfd);
			return;
		}
		c->s = s;
		if (sa.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
			if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
				inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], c->host, sizeof c->host);
			else
				inet_ntop(AF_INET6, &a->sin6_addr, c->host, sizeof c->host);
			c->port = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&sa;
			inet_ntop(AF_INET, &a->sin_addr, c->host, sizeof c->host);
			c->port = ntohs(a->sin_port);
		}
		snprintf(c->peerkey, sizeof c->peerkey, "%s|%d", c->host, c->port);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		c->ws = wf_ws_new(s->eng, cfd, &s->wcfg, &conn_cb, c, msg, sizeof msg);
		if (!c->ws) {
			wf_err_event(s->cfg->err, NULL, -1, NULL, 0, "%s:%d: %s", c->host, c->port, msg);
			s->conns = c->next;
			if (c->next)
				c->next->prev = NULL;
			s->nconns--;
			free(c);
			continue;
		}
		if (s->cfg->max_connections && s->nconns >= (size_t)s->cfg->max_connections) {
			s->accepting = 0;
			wf_loop_set_mask(l, fd, 0);
			return;
		}
	}
}

static void on_accept_retry(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct srv *s = ud;

	(void)t;
	if (s->stopping || s->lfd < 0)
		return;
	s->accepting = 1;
	wf_loop_set_mask(l, s->lfd, WF_READ);
}

static int listen_on(struct srv *s, const struct wf_url *u, char *msg, size_t n)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	int rc, fd = -1, err = 0;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	char host[INET6_ADDRSTRLEN];
	int port;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc) {
		snprintf(msg, n, "%s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (s->cfg->reuseaddr)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (s->cfg->reuseport)
			setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, s->cfg->backlog) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(msg, n, "cannot listen on %s:%s: %s", u->host, u->port, strerror(err));
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	if (sa.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		port = ntohs(a->sin6_port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&sa;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		port = ntohs(a->sin_port);
	}
	s->lfd = fd;
	if (s->cfg->listening) {
		char url[INET6_ADDRSTRLEN + 32];
		snprintf(url, sizeof url, "%s://%s%s%s:%d", s->use_tls ? "wss" : "ws",
			 sa.ss_family == AF_INET6 ? "[" : "", host, sa.ss_family == AF_INET6 ? "]" : "", port);
		s->cfg->listening(url, s->cfg->ud);
	}
	return 0;
}

/* routing stdin events */

static struct conn *by_meta_peer(struct srv *s, const struct wf_event *ev)
{
	const char *v, *ve, *pv, *pve, *hv = NULL, *hve = NULL, *qv = NULL, *qve = NULL;
	struct wf_json_member m;
	unsigned long long u;
	long long port;
	char num[24], *d = num + sizeof num;

	if (!ev->meta.k || !wf_json_get(ev->meta.v, ev->meta.ve, "ws_server", &v, &ve) || *v != '{' ||
	    !wf_json_get(v, ve, "peer", &pv, &pve) || *pv != '{')
		return NULL;
	while (wf_json_next(&pv, pve, &m)) {	/* host and port in one pass; the last wins */
		if (wf_json_key_is(&m, "host")) {
			hv = m.v;
			hve = m.ve;
		} else if (wf_json_key_is(&m, "port")) {
			qv = m.v;
			qve = m.ve;
		}
	}
	if (!hv || *hv != '"' || !qv || !wf_json_int(qv, qve, &port))
		return NULL;
	/* the key of by_peer, "host|port", built here, not by snprintf */
	u = port < 0 ? 0 - (unsigned long long)port : (unsigned long long)port;
	do
		*--d = (char)('0' + u % 10);
	while (u /= 10);
	if (port < 0)
		*--d = '-';
	s->name.len = 0;
	if (wf_json_unescape(&s->name, hv + 1, hve - 1) || wf_buf_addc(&s->name, '|') ||
	    wf_buf_add(&s->name, d, (size_t)(num + sizeof num - d)))
		return NULL;
	return wf_map_get(&s->by_peer, s->name.p, s->name.len);
}

/* Call fn for every connection the event goes to; returns how many. */
static size_t route(struct srv *s, const struct wf_event *ev,
		    void (*fn)(struct srv *, struct conn *, const struct wf_event *, void *), void *arg)
{
	struct conn *c = by_meta_peer(s, ev), *next;
	size_t count = 0;

	if (c) {
		fn(s, c, ev, arg);
		return 1;
	}
	if (ev->origin.k) {
		const char *p = wf_json_ws(ev->origin.v + 1, ev->origin.ve), *e = ev->origin.ve;
		while (p < e && *p == '{') {
			const char *oe = wf_json_skip(p, e, NULL), *v, *ve;
			long long stream;
			struct wf_json_member m;
			const char *q = p;
			int ours = 0;
			while (wf_json_next(&q, oe, &m))
				if (wf_json_key_is(&m, "source") && *m.v == '"') {
					s->name.len = 0;
					ours = !wf_json_unescape(&s->name, m.v + 1, m.ve - 1) &&
					       s->name.len == strlen(s->cfg->id) &&
					       !memcmp(s->name.p, s->cfg->id, s->name.len);
				}
			if (ours && wf_json_get(p, oe, "stream", &v, &ve) && wf_json_int(v, ve, &stream)) {
				char key[32];
				int k = snprintf(key, sizeof key, "%lld", stream);
				if ((c = wf_map_get(&s->by_stream, key, (size_t)k))) {
					fn(s, c, ev, arg);
					count++;
				}
			}
			p = wf_json_ws(oe, e);
			if (p < e && *p == ',')
				p = wf_json_ws(p + 1, e);
		}
		if (count)
			return count;
	}
	if (s->cfg->broadcast) {
		for (c = s->conns; c; c = next) {
			next = c->next;
			if (wf_ws_is_open(c->ws)) {
				fn(s, c, ev, arg);
				count++;
			}
		}
	}
	return count;
}

struct payload {
	const char *p;
	size_t n;
	int binary;
};

static void send_to(struct srv *s, struct conn *c, const struct wf_event *ev, void *arg)
{
	struct payload *pl = arg;
	int rc = wf_ws_send(c->ws, pl->binary, pl->p, pl->n);

	if (rc == -ENOBUFS) {
		wf_err_event(s->cfg->err, ev, c->stream, NULL, 0,
			     "%s:%d: send queue full (%zu bytes): message not sent",
			     c->host, c->port, wf_ws_queued(c->ws));
	} else if (rc == -EPIPE) {
		wf_err_event(s->cfg->err, ev, c->stream, NULL, 0, "%s:%d: connection is closing: message not sent",
			     c->host, c->port);
	} else if (rc < 0) {
		wf_err_event(s->cfg->err, ev, c->stream, NULL, 0, "%s:%d: cannot send: %s",
			     c->host, c->port, strerror(-rc));
	} else if (!c->full && wf_ws_queued(c->ws) > s->wcfg.queue_high) {
		c->full = 1;
		s->nfull++;
	}
}

struct closing {
	int code;
	const char *reason;
};

static void close_one(struct srv *s, struct conn *c, const struct wf_event *ev, void *arg)
{
	const struct closing *cl = arg;

	(void)s;
	(void)ev;
	wf_ws_close(c->ws, cl->code, cl->reason);
}

/* A control close event read on stdin: its code must be one an endpoint may
 * send (RFC 6455 7.4), its reason is cut to the 123 bytes a close frame has
 * room for, at a character. One for a connection that is gone (ws-listen's
 * own close event come back) is ignored. */
static void handle_close(struct srv *s, const struct wf_event *ev, unsigned long lineno)
{
	const char *v, *ve;
	long long code = 1000;
	struct closing cl;
	size_t n;

	if (wf_json_get(ev->line, ev->end, "code", &v, &ve) && !wf_json_int(v, ve, &code))
		code = 0;
	if (!(code >= 1000 && code <= 1003) && !(code >= 1007 && code <= 1011) &&
	    !(code >= 3000 && code <= 4999)) {
		wf_err_event(s->cfg->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
			     "line %lu: not a close code to send", lineno);
		return;
	}
	s->scratch.len = 0;
	if (wf_json_get(ev->line, ev->end, "reason", &v, &ve) && *v == '"')
		wf_json_unescape(&s->scratch, v + 1, ve - 1);
	n = s->scratch.len < 123 ? s->scratch.len : 123;
	while (n && !wf_utf8_valid((const unsigned char *)s->scratch.p, n))
		n--;
	s->scratch.len = n;
	wf_buf_addc(&s->scratch, 0);
	cl.code = (int)code;
	cl.reason = s->scratch.p ? s->scratch.p : "";
	route(s, ev, close_one, &cl);
}

static void handle_event(struct srv *s, const struct wf_event *ev, unsigned long lineno)
{
	struct payload pl;
	int binary, rc;

	if (ev->kind == WF_CONTROL) {
		if (ev->control.ve - ev->control.v == 7 && !memcmp(ev->control.v, "\"close\"", 7))
			handle_close(s, ev, lineno);
		return;
	}
	s->scratch.len = 0;
	rc = wf_event_frame(ev, "ws_server", &s->scratch, &binary);
	if (rc) {
		wf_err_event(s->cfg->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
			     "line %lu: %s", lineno, rc == -EINVAL ? "bytes is not valid base64" : strerror(-rc));
		return;
	}
	pl.p = s->scratch.p ? s->scratch.p : "";
	pl.n = s->scratch.len;
	pl.binary = binary;
	if (!route(s, ev, send_to, &pl))
		wf_err_event(s->cfg->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
			     "line %lu: no connection for event", lineno);
}

static int lines_pending(const struct srv *s)
{
	return s->in_fd >= 0 && s->in.start < s->in.buf.len;
}

/* Route the complete lines read so far, until a peer's queue is full. */
static void process_lines(struct srv *s)
{
	const char *line;
	size_t n;
	int k;

	while ((k = wf_reader_next(&s->in, &line, &n)) != 0) {
		struct wf_event ev;
		struct wf_json_err jerr;
		if (k == WF_LINE_LONG) {
			wf_err_event(s->cfg->err, NULL, -1, NULL, 0, "line %lu: longer than %zu bytes, skipped",
				     s->in.lineno, s->in.maxline);
			continue;
		}
		if (s->cfg->raw_in) {
			/* -R: each line is a message to every connection, text
			 * when it is UTF-8 */
			struct payload pl = { line, n, !wf_utf8_valid((const unsigned char *)line, n) };
			struct conn *c, *next;
			for (c = s->conns; c; c = next) {
				next = c->next;
				if (wf_ws_is_open(c->ws))
					send_to(s, c, NULL, &pl);
			}
		} else if (wf_env_parse(&ev, line, n, &jerr) < 0) {
			wf_err_event(s->cfg->err, NULL, -1, line, n, "line %lu: not an envelope: %s at byte %zu",
				     s->in.lineno, jerr.msg, (size_t)(jerr.at - line));
			continue;
		} else {
			handle_event(s, &ev, s->in.lineno);
		}
		if (s->nfull)
			break;	/* the rest waits until the slow peer drains */
	}
	if (s->in_fd >= 0 && s->in.eof && !s->in.skipping && s->in.start >= s->in.buf.len) {
		/* stdin EOF does not stop the server */
		s->in_open = 0;
		wf_loop_del_fd(s->loop, s->in_fd);
		s->in_fd = -1;
	}
	update_in(s);
}

static void on_in(struct wf_loop *l, int fd, int events, void *ud)
{
	struct srv *s = ud;
	ssize_t got;

	(void)events;
	got = wf_reader_fill(&s->in);
	if (got < 0 && got != -EAGAIN) {
		wf_err_event(s->cfg->err, NULL, -1, NULL, 0, "stdin: %s", strerror((int)-got));
		s->in.eof = 1;
	}
	if (s->in.eof)
		wf_loop_del_fd(l, fd);	/* a hung-up fifo polls ready for ever */
	process_lines(s);
}

/* shutdown */

static void stop_now(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	(void)t;
	(void)ud;
	wf_loop_stop(l);
}

static void begin_stop(struct srv *s)
{
	struct conn *c;

	if (s->stopping)
		return;
	s->stopping = 1;
	if (s->lfd >= 0) {
		wf_loop_del_fd(s->loop, s->lfd);
		close(s->lfd);
		s->lfd = -1;
	}
	pause_peers(0, s);
	for (c = s->conns; c; c = c->next)
		wf_ws_close(c->ws, 1001, "server shutting down");
	update_in(s);
	wf_timer_start(s->loop, &s->stop_deadline, s->cfg->close_ms + 500);
}

static void on_signal(struct wf_loop *l, int signo, int events, void *ud)
{
	(void)l;
	(void)signo;
	(void)events;
	begin_stop(ud);
}

static void before(struct wf_loop *l, void *ud)
{
	struct srv *s = ud;

	/* stdin lines read but not routed while a peer was full */
	if (!s->nfull && !s->stopping && lines_pending(s))
		process_lines(s);
	wf_ws_engine_before(s->eng);
	if (wf_writer_pending(&s->out.w))
		wf_stdout_flush(&s->out);
	if (s->out.err)
		fatal(s, 1, "stdout: write error", -s->out.err);
	if (s->stopping && !wf_ws_engine_count(s->eng) && (!wf_writer_pending(&s->out.w) || s->out.err))
		wf_loop_stop(l);
}

int wf_server_run(const struct wf_server_cfg *cfg, char *msg, size_t n)
{
	struct srv s;
	struct wf_url u;
	int rc = 0;

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.msg = msg;
	s.msglen = n;
	s.lfd = -1;
	s.in_fd = -1;
	if (wf_url_parse(cfg->url, &u, msg, n) < 0)
		return 2;
	if (u.secure && !cfg->tls_cert) {
		snprintf(msg, n, "%s: wss:// needs --tls-cert and --tls-key", cfg->url);
		return 2;
	}
	if (cfg->tls_cert || cfg->tls_key) {
		if (!cfg->tls_cert || !cfg->tls_key) {
			snprintf(msg, n, "--tls-cert and --tls-key go together");
			return 2;
		}
		if (wf_tls_server_creds(&s.tls, cfg->tls_cert, cfg->tls_key, msg, n) < 0)
			return 2;
		s.use_tls = 1;
	}
	s.wcfg.server = 1;
	wf_ws_cfg_limits(&s.wcfg, cfg->max_message, cfg->max_queue, cfg->handshake_ms, cfg->ping_ms,
			 cfg->pong_ms, cfg->close_ms, cfg->stall_ms);
	s.wcfg.protocol = cfg->protocol;
	s.wcfg.tls = s.use_tls ? &s.tls : NULL;
	s.loop = wf_loop_new();
	s.eng = s.loop ? wf_ws_engine_new(s.loop) : NULL;
	if (!s.eng) {
		snprintf(msg, n, "out of memory");
		rc = 1;
		goto out;
	}
	wf_map_init(&s.by_peer);
	wf_map_init(&s.by_stream);
	wf_buf_init(&s.scratch, (size_t)-1);
	wf_buf_init(&s.name, 4096);
	wf_timer_init(&s.accept_retry, on_accept_retry, &s);
	wf_timer_init(&s.stop_deadline, stop_now, &s);
	if (listen_on(&s, &u, msg, n) < 0) {
		rc = 1;
		goto out;
	}
	s.accepting = 1;
	wf_loop_add_fd(s.loop, s.lfd, WF_READ, on_accept, &s);
	wf_stdout_init(&s.out, s.loop, pause_peers, &s);
	s.in_fd = wf_nonblock_dup(0, 0);
	wf_reader_init(&s.in, s.in_fd, cfg->max_line);
	s.in_open = 1;
	wf_loop_add_fd(s.loop, s.in_fd, WF_READ, on_in, &s);
	wf_loop_signal(s.loop, SIGINT, on_signal, &s);
	wf_loop_signal(s.loop, SIGTERM, on_signal, &s);
	wf_loop_set_before(s.loop, before, &s);
	if (wf_loop_run(s.loop) < 0 && !s.status) {
		snprintf(msg, n, "event loop failed");
		s.status = 1;
	}
	/* flush what is left, blocking if need be */
	rc = wf_stdout_finish(&s.out);
	if (rc < 0 && !s.status) {
		snprintf(msg, n, "stdout: write error: %s", strerror(-rc));
		s.status = 1;
	}
	rc = s.status;
	wf_reader_free(&s.in);
	if (s.in_fd >= 0 && s.in_fd != 0)
		close(s.in_fd);
out:
	while (s.conns) {
		struct conn *c = s.conns;
		s.conns = c->next;
		wf_tails_free(&c->tails);
		free(c);
	}
	wf_ws_engine_free(s.eng);
	wf_loop_free(s.loop);
	if (s.lfd >= 0)
		close(s.lfd);
	wf_map_free(&s.by_peer);
	wf_map_free(&s.by_stream);
	wf_buf_free(&s.scratch);
	wf_buf_free(&s.name);
	if (s.use_tls)
		wf_tls_creds_free(&s.tls);
	return rc;
}
