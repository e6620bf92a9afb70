/* fuzz_frames: arbitrary bytes as what a WebSocket peer sends after the
 * opening handshake, read by a real wf_ws (ws.c: its fast path, wslay with
 * our callbacks, the close handshake) over a socketpair in a wf_loop.
 *
 * Input: byte 0 is a set of flags, byte 1 the size of the pieces the bytes
 * are written in (0: all at once), the rest the bytes.
 *   bit 0     the wf_ws is the client (the bytes are a server's: unmasked)
 *   bit 1     the first piece comes in one write with the handshake
 *   bit 2     echo every message back
 *   bit 3     pause reading after every message, resume at the next pass
 *   bits 4-5  max_message: 16, 125, 1000 or 65536
 *   bits 6-7  at the second message: nothing, wf_ws_close,
 *             wf_ws_close_drained or wf_ws_abort
 *
 * Checked: every message is whole (text valid UTF-8, within max_message);
 * what the wf_ws writes is a valid stream of frames (masked by a client
 * only, control frames short and whole, nothing after a close frame, a
 * close code one may send); the connection ends once the peer's bytes are
 * over (a watchdog aborts a hang). */
#include "fuzz.h"
#include "handshake.h"
#include "loop.h"
#include "utf8.h"
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

struct h {
	struct wf_loop *l;
	struct wf_ws_engine *e;
	struct wf_ws *ws;
	struct wf_ws_cfg cfg;
	struct wf_hs_client client;
	int peer;		/* our end of the socketpair */
	unsigned flags;
	const uint8_t *in;	/* the peer's bytes after the handshake */
	size_t n, off, chunk;
	struct wf_buf out;	/* bytes the peer has still to write */
	size_t outoff;
	int ready;		/* the handshake is done: the bytes may go */
	int shut;		/* the peer has sent everything and shut down */
	int closed;
	int paused;
	int peer_eof;		/* the wf_ws has shut its side */
	int messages;
	struct wf_buf rx;	/* what the wf_ws wrote, not yet checked */
	int head_done;		/* rx is past the handshake head */
	int close_seen;		/* a close frame was written */
	int in_msg;		/* inside a fragmented message */
	struct wf_timer watchdog;
};

/* Check the frames at the start of rx; keep an incomplete one. */
static void check_frames(struct h *h)
{
	const unsigned char *p = (const unsigned char *)h->rx.p;
	size_t n = h->rx.len, off = 0;

	while (n - off >= 2) {
		const unsigned char *f = p + off;
		unsigned op = f[0] & 15, masked = f[1] & 0x80;
		uint64_t len = f[1] & 127;
		size_t hl = 2, i;

		if (len == 126) {
			if (n - off < 4)
				break;
			len = (uint64_t)f[2] << 8 | f[3];
			FUZZ_ASSERT(len >= 126);
			hl = 4;
		} else if (len == 127) {
			if (n - off < 10)
				break;
			for (len = 0, i = 2; i < 10; i++)
				len = len << 8 | f[i];
			FUZZ_ASSERT(len >= 65536 && !(len >> 63));
			hl = 10;
		}
		if (masked)
			hl += 4;
		if (n - off < hl || n - off - hl < len)
			break;
		FUZZ_ASSERT(!h->close_seen);	/* nothing after a close frame */
		FUZZ_ASSERT((f[0] & 0x70) == 0);	/* no RSV bits: no extension */
		FUZZ_ASSERT(!masked == !(h->flags & 1));	/* RFC 6455 5.1 */
		FUZZ_ASSERT(op <= 2 || (op >= 8 && op <= 10));
		if (op >= 8) {
			FUZZ_ASSERT((f[0] & 0x80) && len <= 125);
		} else {
			FUZZ_ASSERT((op == 0) == h->in_msg);
			h->in_msg = !(f[0] & 0x80);
		}
		if (op == 8) {
			unsigned char pl[125];
			unsigned code;
			memcpy(pl, f + hl, (size_t)len);
			for (i = 0; masked && i < len; i++)
				pl[i] ^= f[hl - 4 + (i & 3)];
			FUZZ_ASSERT(len != 1);
			if (len >= 2) {
				code = (unsigned)pl[0] << 8 | pl[1];
				FUZZ_ASSERT((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
					    (code >= 3000 && code <= 4999));
				FUZZ_ASSERT(wf_utf8_valid(pl + 2, (size_t)len - 2));
			}
			h->close_seen = 1;
		}
		off += hl + (size_t)len;
	}
	wf_buf_consume(&h->rx, off);
}

static void on_message(struct wf_ws *ws, int binary, const char *p, size_t n, void *ud)
{
	struct h *h = ud;

	FUZZ_ASSERT(n <= h->cfg.max_message);
	FUZZ_ASSERT(binary || wf_utf8_valid((const unsigned char *)p, n));
	if (h->flags & 4)
		(void)wf_ws_send(ws, binary, p, n);
	if (h->flags & 8) {
		wf_ws_pause(ws, 1);
		h->paused = 1;
		wf_loop_wake(h->l);
	}
	if (++h->messages == 2) {
		switch (h->flags >> 6) {
		case 1:
			wf_ws_close(ws, 1000, "bye");
			break;
		case 2:
			wf_ws_close_drained(ws, 1001, "going");
			break;
		case 3:
			wf_ws_abort(ws, "fuzz");
			break;
		}
	}
}

static void on_closed(struct wf_ws *ws, const struct wf_ws_end *end, void *ud)
{
	struct h *h = ud;

	(void)ws;
	FUZZ_ASSERT(end->code >= 1000 && end->code <= 4999);
	FUZZ_ASSERT(memchr(end->reason, 0, sizeof end->reason) && memchr(end->why, 0, sizeof end->why));
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_frames: %d messages, closed %d \"%s\" (%s)\n", h->messages,
			end->code, end->reason, end->why);
	h->closed = 1;
	h->ws = NULL;
}

static const struct wf_ws_cb callbacks = { NULL, on_message, NULL, on_closed };

/* The next piece of the peer's bytes, into out. */
static void next_piece(struct h *h)
{
	size_t k = h->n - h->off;

	if (h->chunk && k > h->chunk)
		k = h->chunk;
	FUZZ_ASSERT(wf_buf_add(&h->out, h->in + h->off, k) == 0);
	h->off += k;
}

static void peer_write(struct h *h)
{
	while (h->outoff < h->out.len) {
		ssize_t k = send(h->peer, h->out.p + h->outoff, h->out.len - h->outoff, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			break;
		if (k < 0) {
			/* the wf_ws is gone: drop the rest */
			h->outoff = h->out.len;
			h->off = h->n;
			break;
		}
		h->outoff += (size_t)k;
	}
	if (h->outoff == h->out.len)
		h->out.len = h->outoff = 0;
	if (h->ready && !h->out.len && h->off == h->n && !h->shut) {
		shutdown(h->peer, SHUT_WR);
		h->shut = 1;
	}
	wf_loop_set_mask(h->l, h->peer, (h->peer_eof ? 0 : WF_READ) | (h->out.len ? WF_WRITE : 0));
}

/* A client's request read by the peer: answer it as a server would. */
static void answer(struct h *h)
{
	struct wf_hs_req req;
	char why[256];
	long end = wf_hs_head_end(h->rx.p, h->rx.len);

	if (end <= 0)
		return;
	FUZZ_ASSERT(wf_hs_server_check(h->rx.p, (size_t)end, NULL, &req, why, sizeof why) == 0);
	FUZZ_ASSERT(wf_hs_server_accept(&h->out, &req) == 0);
	wf_buf_consume(&h->rx, (size_t)end);
	h->head_done = 1;
	h->ready = 1;
	if (h->flags & 2)
		next_piece(h);
}

static void on_peer(struct wf_loop *l, int fd, int events, void *ud)
{
	struct h *h = ud;
	char buf[65536];
	ssize_t k;

	(void)l;
	if (events & (WF_READ | WF_ERROR)) {
		while ((k = recv(fd, buf, sizeof buf, 0)) > 0) {
			FUZZ_ASSERT(wf_buf_add(&h->rx, buf, (size_t)k) == 0);
			if (!h->head_done && h->flags & 1) {
				answer(h);
			} else if (!h->head_done) {
				long end = wf_hs_head_end(h->rx.p, h->rx.len);
				if (end > 0) {
					FUZZ_ASSERT(!memcmp(h->rx.p, "HTTP/1.1 101 ", 13));
					wf_buf_consume(&h->rx, (size_t)end);
					h->head_done = h->ready = 1;
				}
			}
			if (h->head_done)
				check_frames(h);
		}
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			h->peer_eof = 1;
	}
	peer_write(h);
}

static void before(struct wf_loop *l, void *ud)
{
	struct h *h = ud;

	if (h->paused && h->ws) {
		h->paused = 0;
		wf_ws_pause(h->ws, 0);
	}
	wf_ws_engine_before(h->e);
	if (h->closed || !wf_ws_engine_count(h->e)) {
		wf_loop_stop(l);
		return;
	}
	/* one piece per pass, so that the wf_ws reads them one by one */
	if (h->ready && !h->out.len && h->off < h->n)
		next_piece(h);
	peer_write(h);
}

static void on_watchdog(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	(void)l;
	(void)t;
	(void)ud;
	fprintf(stderr, "fuzz_frames: the connection did not end after the peer's bytes\n");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 16, 125, 1000, 65536 };
	static const char request[] = "GET /fuzz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				      "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n";
	struct h h;
	int sv[2];
	char msg[256];

	if (size < 2 || size > (1u << 20))
		return 0;
	memset(&h, 0, sizeof h);
	signal(SIGPIPE, SIG_IGN);
	h.flags = data[0];
	h.chunk = data[1];
	h.in = data + 2;
	h.n = size - 2;
	h.cfg.server = !(h.flags & 1);
	h.cfg.max_message = maxes[(h.flags >> 4) & 3];
	h.cfg.queue_max = 1 << 20;
	h.cfg.queue_low = 4096;
	h.cfg.queue_high = 65536;
	h.cfg.close_ms = 200;
	h.client.host = "127.0.0.1";
	h.client.path = "/fuzz";
	h.cfg.client = &h.client;
	wf_buf_init(&h.out, 1 << 22);
	wf_buf_init(&h.rx, 1 << 24);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("fuzz_frames: socketpair");
		abort();
	}
	h.peer = sv[1];
	h.l = wf_loop_new();
	h.e = h.l ? wf_ws_engine_new(h.l) : NULL;
	FUZZ_ASSERT(h.l && h.e);
	wf_loop_set_before(h.l, before, &h);
	FUZZ_ASSERT(wf_loop_add_fd(h.l, h.peer, WF_READ, on_peer, &h) == 0);
	wf_timer_init(&h.watchdog, on_watchdog, &h);
	wf_timer_start(h.l, &h.watchdog, 10000);
	if (h.cfg.server) {
		FUZZ_ASSERT(wf_buf_adds(&h.out, request) == 0);
		if (h.flags & 2) {
			h.ready = 1;	/* the bytes go with the request */
			next_piece(&h);
		}
	}
	h.ws = wf_ws_new(h.e, sv[0], &h.cfg, &callbacks, &h, msg, sizeof msg);
	FUZZ_ASSERT(h.ws);
	FUZZ_ASSERT(wf_loop_run(h.l) == 0);
	wf_timer_stop(h.l, &h.watchdog);
	wf_loop_del_fd(h.l, h.peer);
	close(h.peer);
	wf_ws_engine_free(h.e);
	wf_loop_free(h.l);
	wf_buf_free(&h.out);
	wf_buf_free(&h.rx);
	return 0;
}
