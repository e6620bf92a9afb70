#include "ws.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>
#include <gnutls/crypto.h>

#define RBUF_SIZE (256 * 1024)
#define OBUF_MAX (256 * 1024)	/* bytes handed to the socket per pump */

enum state { S_CONNECTING, S_TLS, S_HTTP, S_OPEN, S_CLOSING, S_REFUSING, S_DEAD };

struct wf_ws {
	struct wf_ws_engine *e;
	int fd;
	enum state st;
	const struct wf_ws_cfg *cfg;
	const struct wf_ws_cb *cb;
	void *ud;
	struct wf_tls tls;
	int use_tls;
	wslay_event_context_ptr ctx;
	struct wf_buf obuf;	/* bytes on their way to the socket */
	size_t ooff;
	struct wf_buf hs;	/* the handshake head being read */
	struct wf_buf pre;	/* frame bytes that came with the head */
	size_t preoff;
	struct wf_buf msg;	/* the message being assembled */
	int msg_op;		/* its opcode */
	int frame_ctrl;		/* the frame being read is a control frame */
	const char *rp, *re;	/* engine rbuf bytes not yet given to wslay */
	struct {
		unsigned char h[14];	/* the header being read */
		size_t have, need;
		uint64_t left;		/* payload bytes still to pass */
		int close;		/* the frame is a close frame */
	} fh;			/* the peer's frames as they go to wslay */
	int bad_frame;		/* the close code for a header wslay would not
				 * refuse right (1002, 1009), or 0 */
	int frag;		/* wslay is inside a fragmented message */
	struct {
		uint64_t left;		/* payload bytes still to come, 0: none */
		unsigned char key[4];
		unsigned phase;		/* payload bytes unmasked so far, mod 4 */
		uint32_t utf8;		/* wf_utf8_feed state for text */
		int binary;
		unsigned char carry[14];	/* a header cut by the end of a read */
		size_t ncarry;
	} ff;			/* the fast path's frame in progress (fast_frames) */
	int wr_shut;		/* refusing: our side is shut down */
	int tls_hello;		/* server: the client's first byte was TLS's */
	int lingering;		/* failed: our close is out, reading to EOF */
	int eof;		/* the peer closed its side, or a read failed */
	int paused;
	int above_high;		/* queue went above queue_high */
	int dirty;		/* on the engine's dirty list */
	int tls_pending;	/* on the engine's pending list */
	struct wf_ws *next_dirty, *next_pending, *next_dead, *prev, *next;
	struct wf_timer timer;	/* handshake, ping/pong or close deadline */
	struct wf_timer stall;
	int64_t ping_sent;	/* 0 when no pong is awaited */
	int64_t last_rx;
	int close_code;		/* a close asked for while data was queued */
	char close_reason[124];
	int close_ping;		/* wf_ws_close_drained: 1 ping once the queue is
				 * out, 2 ping sent: close at its pong */
	int data_out;		/* our close (or its ping) was queued behind all
				 * the data: what is left queued is control */
	int code_rx;		/* close frame received: code, or 0 */
	int fin_wait;		/* client: the close handshake is done, the
				 * server is to end TCP (RFC 6455 7.1.1) */
	char reason_rx[128];
	struct wf_ws_end end;
};

struct wf_ws_engine {
	struct wf_loop *loop;
	char *rbuf;
	struct wf_ws *all;	/* every live connection */
	struct wf_ws *dirty, *pending, *dead;
	size_t count;
};

static void ws_pump(struct wf_ws *ws);
static void on_fd(struct wf_loop *l, int fd, int events, void *ud);

struct wf_ws_engine *wf_ws_engine_new(struct wf_loop *l)
{
	struct wf_ws_engine *e = calloc(1, sizeof *e);

	if (!e)
		return NULL;
	e->loop = l;
	e->rbuf = malloc(RBUF_SIZE);
	if (!e->rbuf) {
		free(e);
		return NULL;
	}
	return e;
}

size_t wf_ws_engine_count(const struct wf_ws_engine *e)
{
	return e->count;
}

void *wf_ws_ud(const struct wf_ws *ws) { return ws->ud; }
int wf_ws_fd(const struct wf_ws *ws) { return ws->fd; }
int wf_ws_tls(const struct wf_ws *ws) { return ws->use_tls; }
int wf_ws_is_open(const struct wf_ws *ws) { return ws->st == S_OPEN; }

size_t wf_ws_queued(const struct wf_ws *ws)
{
	size_t q = ws->obuf.len - ws->ooff;

	if (ws->ctx)
		q += wslay_event_get_queued_msg_length(ws->ctx);
	return q;
}

static void mark_dirty(struct wf_ws *ws)
{
	if (ws->dirty || ws->st == S_DEAD)
		return;
	ws->dirty = 1;
	ws->next_dirty = ws->e->dirty;
	ws->e->dirty = ws;
	wf_loop_wake(ws->e->loop);	/* marked after this pass's hook: no wait */
}

/* End the connection: it is reported and freed from the engine's hook. */
static void ws_die(struct wf_ws *ws)
{
	if (ws->st == S_DEAD)
		return;
	if (ws->st == S_OPEN || ws->st == S_CLOSING)
		ws->end.opened = 1;
	ws->end.unsent = ws->data_out ? 0 : wf_ws_queued(ws);
	ws->st = S_DEAD;
	wf_loop_del_fd(ws->e->loop, ws->fd);
	wf_timer_stop(ws->e->loop, &ws->timer);
	wf_timer_stop(ws->e->loop, &ws->stall);
	ws->next_dead = ws->e->dead;
	ws->e->dead = ws;
	wf_loop_wake(ws->e->loop);
}

static void set_why(struct wf_ws *ws, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(struct wf_ws *ws, const char *fmt, ...)
{
	va_list ap;

	if (ws->end.why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(ws->end.why, sizeof ws->end.why, fmt, ap);
	va_end(ap);
}

static void fail(struct wf_ws *ws, const char *why)
{
	set_why(ws, "%s", why);
	if (!ws->end.code)
		ws->end.code = 1006;
	ws_die(ws);
}

/* I/O on the transport: bytes, 0 at EOF, -EAGAIN, or -EIO (why set). */
static ssize_t tr_read(struct wf_ws *ws, void *buf, size_t len)
{
	char msg[200];
	ssize_t n;

	if (ws->use_tls) {
		n = wf_tls_read(&ws->tls, buf, len, msg, sizeof msg);
		if (n == WF_TLS_AGAIN)
			return -EAGAIN;
		if (n < 0) {
			set_why(ws, "%s", msg);
			return -EIO;
		}
		return n;
	}
	do
		n = recv(ws->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		set_why(ws, "read: %s", strerror(errno));
		return -EIO;
	}
	return n;
}

static ssize_t tr_write(struct wf_ws *ws, const void *buf, size_t len)
{
	char msg[200];
	ssize_t n;

	if (ws->use_tls) {
		n = wf_tls_write(&ws->tls, buf, len, msg, sizeof msg);
		if (n == WF_TLS_AGAIN)
			return -EAGAIN;
		if (n < 0) {
			set_why(ws, "%s", msg);
			return -EIO;
		}
		return n;
	}
	do
		n = send(ws->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		set_why(ws, "write: %s", strerror(errno));
		return -EIO;
	}
	return n;
}

/* Write obuf out: 0 when empty, 1 when the socket is full, -1 on error. */
static int flush_obuf(struct wf_ws *ws)
{
	int progress = 0;

	while (ws->ooff < ws->obuf.len) {
		ssize_t n = tr_write(ws, ws->obuf.p + ws->ooff, ws->obuf.len - ws->ooff);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return -1;
		ws->ooff += (size_t)n;
		progress = 1;
	}
	if (progress && wf_timer_armed(&ws->stall))
		wf_timer_start(ws->e->loop, &ws->stall, ws->cfg->stall_ms);
	if (ws->ooff == ws->obuf.len) {
		ws->obuf.len = ws->ooff = 0;
		if (ws->obuf.cap > OBUF_MAX * 2) {
			wf_buf_free(&ws->obuf);
			wf_buf_init(&ws->obuf, (size_t)-1);
		}
		return 0;
	}
	if (ws->ooff > ws->obuf.len / 2) {
		wf_buf_consume(&ws->obuf, ws->ooff);
		ws->ooff = 0;
	}
	return 1;
}

/* TLS: bytes already read from the socket wait in the session (decrypted,
 * or read ahead): no poll will say so, so the engine reads them before
 * its next poll. */
static void queue_tls(struct wf_ws *ws)
{
	if (ws->use_tls && !ws->eof && !ws->tls_pending && wf_tls_pending(&ws->tls)) {
		ws->tls_pending = 1;
		ws->next_pending = ws->e->pending;
		ws->e->pending = ws;
	}
}

static void update_mask(struct wf_ws *ws)
{
	int mask = 0, tls_want = 0;

	if (ws->st == S_DEAD)
		return;
	if (ws->use_tls && (ws->st == S_TLS || ws->tls.pending))
		tls_want = wf_tls_want(&ws->tls);
	if (ws->st == S_CONNECTING)
		mask = WF_WRITE;
	else if (ws->st == S_TLS)
		mask = tls_want;
	else {
		if (!ws->paused || ws->st != S_OPEN)
			mask |= WF_READ;
		if (ws->ooff < ws->obuf.len || (ws->ctx && ws->st >= S_OPEN && wslay_event_want_write(ws->ctx)
						 && wf_ws_queued(ws)))
			mask |= WF_WRITE;
		mask |= tls_want;
	}
	wf_loop_set_mask(ws->e->loop, ws->fd, mask);
}

/* How many of the peer's next bytes p[0..n) may go to wslay: all of them,
 * or those before the byte that makes a frame header bad (bad_frame set to
 * the close code), or those before a close frame's payload when not all of
 * it is here. wslay fails a control frame over 125 bytes or in fragments
 * and a length not in its shortest form with an empty close frame, and
 * takes a close frame of one byte as one without a code; RFC 6455 5.2, 5.5
 * and 7.1.5 make them protocol errors, closed here with 1002. A data frame
 * longer than max_message is refused at its header (1009), not once its
 * payload starts. wslay checks a close reason's UTF-8 from its third byte
 * in every piece the payload comes in, so the payload goes in one piece. */
static size_t scan_frames(struct wf_ws *ws, const unsigned char *p, size_t n)
{
	unsigned char *h = ws->fh.h;
	size_t i;

	for (i = 0; i < n && !ws->bad_frame; i++) {
		size_t ext, k;
		uint64_t len;
		if (ws->fh.left) {
			if (ws->fh.close && n - i < ws->fh.left)
				return i;	/* the rest of the close payload first */
			k = n - i < ws->fh.left ? n - i : (size_t)ws->fh.left;
			ws->fh.left -= k;
			i += k - 1;
			continue;
		}
		h[ws->fh.have++] = p[i];
		if (ws->fh.have < 2)
			continue;
		len = h[1] & 127;
		ext = len == 126 ? 2 : len == 127 ? 8 : 0;
		if (ws->fh.have == 2 && (h[0] & 8) &&
		    (!(h[0] & 0x80) || len > 125 || ((h[0] & 15) == 8 && len == 1)))
			ws->bad_frame = 1002;	/* control frames: RFC 6455 5.5, 7.1.5 */
		if (ext && ws->fh.have >= 2 + ext) {
			for (len = 0, k = 2; k < 2 + ext; k++)
				len = len << 8 | h[k];
			if (ws->fh.have == 2 + ext && (ext == 2 ? len < 126 : len < 65536 || len >> 63))
				ws->bad_frame = 1002;	/* not the shortest form: 5.2 */
		}
		if (ws->fh.have == 2 + ext && !ws->bad_frame && !(h[0] & 8) && len > ws->cfg->max_message)
			ws->bad_frame = 1009;
		if (ws->bad_frame)
			return i;	/* wslay waits for this byte */
		if (ws->fh.have == 2 + ext + (h[1] & 0x80 ? 4 : 0)) {
			ws->fh.left = len;
			ws->fh.close = (h[0] & 15) == 8;
			ws->fh.have = 0;
		}
	}
	return i;
}

/* Close for a header scan_frames refused, once wslay has taken the frames
 * before it. */
static void refuse_frame(struct wf_ws *ws)
{
	if (!ws->bad_frame || !wslay_event_get_read_enabled(ws->ctx))
		return;
	wslay_event_queue_close(ws->ctx, (uint16_t)ws->bad_frame, NULL, 0);
	wslay_event_shutdown_read(ws->ctx);
}

/* wslay callbacks */

static ssize_t cb_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct wf_ws *ws = ud;
	size_t n;

	(void)flags;
	if (ws->preoff < ws->pre.len && ws->rp < ws->re) {
		/* a close frame's payload is held in pre: the new bytes join it */
		if (wf_buf_add(&ws->pre, ws->rp, (size_t)(ws->re - ws->rp))) {
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
			return -1;
		}
		ws->rp = ws->re;
	}
	if (ws->preoff < ws->pre.len) {
		n = ws->pre.len - ws->preoff;
		if (n > len)
			n = len;
		n = scan_frames(ws, (const unsigned char *)ws->pre.p + ws->preoff, n);
		if (!n)
			goto wouldblock;
		memcpy(buf, ws->pre.p + ws->preoff, n);
		ws->preoff += n;
		if (ws->preoff == ws->pre.len) {
			wf_buf_free(&ws->pre);
			ws->preoff = 0;
		}
		return (ssize_t)n;
	}
	if (ws->rp < ws->re) {
		n = (size_t)(ws->re - ws->rp);
		if (n > len)
			n = len;
		n = scan_frames(ws, (const unsigned char *)ws->rp, n);
		if (!n && !ws->bad_frame) {
			/* part of a close payload: held in pre until it is whole */
			if (wf_buf_add(&ws->pre, ws->rp, (size_t)(ws->re - ws->rp))) {
				wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
				return -1;
			}
			ws->preoff = 0;
			ws->rp = ws->re;
		}
		if (!n)
			goto wouldblock;
		memcpy(buf, ws->rp, n);
		ws->rp += n;
		return (ssize_t)n;
	}
	if (ws->eof && !ws->bad_frame) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
wouldblock:
	wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	return -1;
}

static ssize_t cb_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *ud)
{
	struct wf_ws *ws = ud;
	size_t room;

	(void)flags;
	room = ws->obuf.len - ws->ooff < OBUF_MAX ? OBUF_MAX - (ws->obuf.len - ws->ooff) : 0;
	if (!room) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (len > room)
		len = room;
	if (wf_buf_add(&ws->obuf, data, len)) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static int cb_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
	(void)ctx;
	(void)ud;
	return gnutls_rnd(GNUTLS_RND_NONCE, buf, len) < 0 ? -1 : 0;
}

static void cb_frame_start(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_start_arg *a,
			   void *ud)
{
	struct wf_ws *ws = ud;

	(void)ctx;
	ws->frame_ctrl = (a->opcode & 8) != 0;
	if (!ws->frame_ctrl)
		ws->frag = !a->fin;
	if (a->opcode == WSLAY_TEXT_FRAME || a->opcode == WSLAY_BINARY_FRAME) {
		ws->msg_op = a->opcode;
		ws->msg.len = 0;
	}
}

static void cb_chunk(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_chunk_arg *a,
		     void *ud)
{
	struct wf_ws *ws = ud;

	if (ws->frame_ctrl || !a->data_length)
		return;
	if (wf_buf_add(&ws->msg, a->data, a->data_length)) {
		/* cannot happen below max_message: wslay closes 1009 first */
		wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG, NULL, 0);
		wslay_event_shutdown_read(ctx);
	}
}

static void cb_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *ud)
{
	struct wf_ws *ws = ud;

	switch (a->opcode) {
	case WSLAY_TEXT_FRAME:
	case WSLAY_BINARY_FRAME:
		/* read off: cb_chunk cut it at max_message, it is not whole */
		if ((ws->st == S_OPEN || ws->st == S_CLOSING) && ws->cb->message &&
		    wslay_event_get_read_enabled(ctx))
			ws->cb->message(ws, a->opcode == WSLAY_BINARY_FRAME, ws->msg.p ? ws->msg.p : "",
					ws->msg.len, ws->ud);
		ws->msg.len = 0;
		if (ws->msg.cap > 64 * 1024) {
			wf_buf_free(&ws->msg);
			wf_buf_init(&ws->msg, ws->cfg->max_message);
		}
		break;
	case WSLAY_CONNECTION_CLOSE:
		ws->code_rx = a->status_code ? a->status_code : 1005;
		if (a->msg_length > 2) {
			size_t n = a->msg_length - 2;
			if (n >= sizeof ws->reason_rx)
				n = sizeof ws->reason_rx - 1;
			memcpy(ws->reason_rx, a->msg + 2, n);
			ws->reason_rx[n] = 0;
		}
		break;
	case WSLAY_PONG:
		ws->ping_sent = 0;
		if (ws->close_ping == 2 && a->msg_length == 5 && !memcmp(a->msg, "drain", 5))
			ws->close_ping = 0;	/* the peer has read it all: close now */
		break;
	default:
		break;
	}
}

static const struct wslay_event_callbacks wslay_cbs = {
	cb_recv, cb_send, cb_genmask, cb_frame_start, cb_chunk, NULL, cb_msg
};

static const char *code_why(int code)
{
	switch (code) {
	case 1002: return "protocol error";
	case 1007: return "invalid UTF-8 in a text message";
	case 1009: return "message too big";
	default: return "";
	}
}

/* After wslay ran: decide whether the connection is over. */
static void check_done(struct wf_ws *ws)
{
	wslay_event_context_ptr c = ws->ctx;

	if (ws->st == S_DEAD || !c)
		return;
	if (wslay_event_get_close_sent(c) && (ws->ooff == ws->obuf.len || ws->eof) &&
	    (wslay_event_get_close_received(c) || !wslay_event_get_read_enabled(c) || ws->eof)) {
		if (ws->code_rx) {
			ws->end.code = ws->code_rx;
			snprintf(ws->end.reason, sizeof ws->end.reason, "%s", ws->reason_rx);
		} else {
			ws->end.code = wslay_event_get_status_code_sent(c);
			if (ws->end.code == WSLAY_CODE_NO_STATUS_RCVD)
				ws->end.code = 1005;
			if (!wslay_event_get_read_enabled(c) && !wslay_event_get_close_received(c))
				set_why(ws, "%s", code_why(ws->end.code));
		}
		if (!wslay_event_get_close_received(c) && !ws->eof) {
			/* we failed the connection: end our side and read what the
			 * peer still sends until it leaves, lest its unread bytes
			 * reset the connection before it has read our close */
			if (!ws->lingering) {
				ws->lingering = 1;
				if (ws->use_tls)
					wf_tls_bye(&ws->tls);
				shutdown(ws->fd, SHUT_WR);
				wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms);
			}
			return;
		}
		/* the TCP side: our close is out; a server closes first, a
		 * client waits for that, close_ms at most (RFC 6455 7.1.1) */
		if (!ws->cfg->server && !ws->eof && wslay_event_get_close_received(c)) {
			ws->fin_wait = 1;
			if (ws->st == S_OPEN) {
				ws->st = S_CLOSING;
				wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms);
			}
			return;
		}
		ws_die(ws);
		return;
	}
	if (ws->eof) {
		ws->end.code = 1006;
		set_why(ws, "%s", "connection lost");
		ws_die(ws);
		return;
	}
	if (!wslay_event_get_read_enabled(c) && ws->st == S_OPEN) {
		/* wslay queued a close for a protocol failure: now closing */
		ws->st = S_CLOSING;
		wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms);
	}
	if (wslay_event_get_close_received(c) && ws->st == S_OPEN) {
		ws->st = S_CLOSING;
		wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms);
	}
}

static void start_open(struct wf_ws *ws)
{
	struct wslay_event_callbacks cbs = wslay_cbs;
	int rc;

	rc = ws->cfg->server ? wslay_event_context_server_init(&ws->ctx, &cbs, ws)
			     : wslay_event_context_client_init(&ws->ctx, &cbs, ws);
	if (rc) {
		fail(ws, "out of memory");
		return;
	}
	wslay_event_config_set_no_buffering(ws->ctx, 1);
	wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->cfg->max_message);
	wf_buf_init(&ws->msg, ws->cfg->max_message);
	ws->st = S_OPEN;
	ws->last_rx = wf_now_ms();
	wf_timer_stop(ws->e->loop, &ws->timer);
	if (ws->cfg->ping_ms > 0)
		wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->ping_ms);
	if (ws->cb->open)
		ws->cb->open(ws, ws->ud);
	/* frames may have come with the head */
	if (ws->st == S_OPEN && ws->pre.len) {
		if (wslay_event_recv(ws->ctx) && !ws->eof)
			ws->eof = 1;
		refuse_frame(ws);
		check_done(ws);
	}
	mark_dirty(ws);
}

/* A refused handshake: send the answer, end our side, and read what the
 * client still sends until it leaves (or the timer), so that closing with
 * unread bytes does not reset the connection before the answer is read. */
static void do_refusing(struct wf_ws *ws, int events)
{
	char junk[4096];
	ssize_t n;

	if (flush_obuf(ws) < 0) {
		ws_die(ws);
		return;
	}
	if (ws->ooff == ws->obuf.len && !ws->wr_shut) {
		ws->wr_shut = 1;
		if (ws->use_tls)
			wf_tls_bye(&ws->tls);
		shutdown(ws->fd, SHUT_WR);
	}
	while ((events & WF_READ) && (n = tr_read(ws, junk, sizeof junk)) != -EAGAIN) {
		if (n <= 0) {
			ws_die(ws);
			return;
		}
	}
	update_mask(ws);
}

static void refuse(struct wf_ws *ws, int status, const char *why)
{
	ws->st = S_REFUSING;
	wf_hs_server_refuse(&ws->obuf, status, why);
	set_why(ws, "handshake refused (%d): %s", status, why);
	ws->end.code = 1006;
	wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms > 0 ? ws->cfg->close_ms : 1000);
	do_refusing(ws, WF_WRITE | WF_READ);
}

/* Client: the server hung up before its whole answer. Say what it sent:
 * not HTTP, or a refusal; else why the read failed, with a TLS hint. */
static void server_hung_up(struct wf_ws *ws)
{
	const char *p = ws->hs.p, *eol = ws->hs.len ? memchr(p, '\n', ws->hs.len) : NULL;
	char why[256];

	if (wf_hs_client_early(p, ws->hs.len, why, sizeof why) < 0 ||
	    (eol && eol - p >= 12 && memcmp(p + 8, " 101", 4) &&
	     wf_hs_client_check(p, (size_t)(eol - p + 1), ws->cfg->client, NULL, 0, why, sizeof why) < 0)) {
		ws->end.why[0] = 0;
		fail(ws, why);
		return;
	}
	snprintf(why, sizeof why, "%s", ws->end.why[0] ? ws->end.why
			 : "the server closed the connection during the handshake");
	ws->end.why[0] = 0;
	set_why(ws, "%s%s", why, ws->use_tls ? wf_tls_cert_hint(&ws->tls) : "");
	fail(ws, why);
}

/* The opening handshake over HTTP. */
static void do_http(struct wf_ws *ws, int events)
{
	long end;
	char why[256];

	if (ws->st == S_REFUSING) {
		do_refusing(ws, events);
		return;
	}
	if (events & WF_READ) {
		for (;;) {
			ssize_t n;
			if (wf_buf_reserve(&ws->hs, 4096)) {
				n = -ENOBUFS;
			} else {
				n = tr_read(ws, ws->hs.p + ws->hs.len, ws->hs.cap - ws->hs.len);
			}
			if (n == -EAGAIN)
				break;
			if ((n == 0 || n == -EIO) && !ws->cfg->server) {
				server_hung_up(ws);
				return;
			}
			if (n == 0 || n == -EIO) {
				fail(ws, "the client left during the handshake");
				return;
			}
			if (n < 0)
				break;
			ws->hs.len += (size_t)n;
			if (wf_hs_head_end(ws->hs.p, ws->hs.len))
				break;
		}
	}
	if (events & WF_WRITE) {
		if (flush_obuf(ws) < 0) {
			fail(ws, "write failed during the handshake");
			return;
		}
	}
	end = wf_hs_head_end(ws->hs.p, ws->hs.len);
	if (end < 0) {
		if (ws->cfg->server) {
			refuse(ws, 431, "request head too large");
		} else {
			fail(ws, "the server's answer head is too large");
		}
		return;
	}
	if (end == 0 && !ws->cfg->server && wf_hs_client_early(ws->hs.p, ws->hs.len, why, sizeof why) < 0) {
		fail(ws, why);	/* no need to wait for the rest */
		return;
	}
	if (end == 0) {
		int status = ws->cfg->server ? wf_hs_server_early(ws->hs.p, ws->hs.len, why, sizeof why) : 0;
		if (status)
			refuse(ws, status, why);	/* no need to wait for the rest */
		else
			update_mask(ws);
		return;
	}
	if (ws->cfg->server) {
		struct wf_hs_req req;
		int status = wf_hs_server_check(ws->hs.p, (size_t)end, ws->cfg->protocol, &req, why, sizeof why);
		if (status) {
			refuse(ws, status, why);
			return;
		}
		wf_hs_server_accept(&ws->obuf, &req);
	} else {
		if (wf_hs_client_check(ws->hs.p, (size_t)end, ws->cfg->client, ws->cfg->chosen_protocol,
				       ws->cfg->chosen_len, why, sizeof why)) {
			fail(ws, why);
			return;
		}
	}
	if ((size_t)end < ws->hs.len)
		wf_buf_add(&ws->pre, ws->hs.p + end, ws->hs.len - (size_t)end);
	wf_buf_free(&ws->hs);
	start_open(ws);
	if (ws->st != S_DEAD) {
		update_mask(ws);
		queue_tls(ws);	/* frames read with the head's last record */
	}
}

static void start_http(struct wf_ws *ws)
{
	ws->st = S_HTTP;
	wf_buf_init(&ws->hs, WF_HS_MAX + 4096);
	if (!ws->cfg->server) {
		if (wf_hs_client_request(&ws->obuf, ws->cfg->client) < 0) {
			fail(ws, "a --header is not of the form \"Name: value\"");
			return;
		}
		do_http(ws, WF_WRITE);
		return;
	}
	update_mask(ws);
}

static void do_tls(struct wf_ws *ws)
{
	char msg[256];
	int rc;

	if (ws->cfg->server && !ws->tls_hello) {
		/* A TLS client starts with a handshake record (22): say so when
		 * not. GnuTLS reads only once that first byte is here, or the
		 * peek could see a later record of the client's (20, 23). */
		unsigned char b;
		ssize_t k = recv(ws->fd, &b, 1, MSG_PEEK);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			update_mask(ws);
			return;
		}
		if (k == 1 && b != 22) {
			fail(ws, "TLS handshake failed: the client does not speak TLS (a ws:// client?)");
			return;
		}
		ws->tls_hello = 1;
	}
	rc = wf_tls_handshake(&ws->tls, msg, sizeof msg);

	if (rc == WF_TLS_AGAIN) {
		update_mask(ws);
		return;
	}
	if (rc < 0) {
		fail(ws, msg);
		return;
	}
	start_http(ws);
	/* the client's first records may have come with its last handshake one */
	if (ws->st == S_HTTP && wf_tls_pending(&ws->tls))
		do_http(ws, WF_READ);
}

static void do_connecting(struct wf_ws *ws)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(ws->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		char why[200];
		snprintf(why, sizeof why, "connect: %s", strerror(err));
		fail(ws, why);
		return;
	}
	if (ws->use_tls) {
		ws->st = S_TLS;
		do_tls(ws);
	} else {
		start_http(ws);
	}
}

/* XOR n bytes at p with the masking key k, starting phase bytes into it,
 * 32 and eight at a time. */
static void unmask(unsigned char *p, size_t n, const unsigned char k[4], unsigned phase)
{
	unsigned char r[4];
	uint32_t k4;
	uint64_t k8, w;
	size_t i = 0;

	for (i = 0; i < 4; i++)
		r[i] = k[(phase + i) & 3];	/* the key as it lines up with p */
	memcpy(&k4, r, 4);
	k8 = (uint64_t)k4 << 32 | k4;
	for (i = 0; i + 32 <= n; i += 32) {
		uint64_t v[4];
		memcpy(v, p + i, 32);
		v[0] ^= k8;
		v[1] ^= k8;
		v[2] ^= k8;
		v[3] ^= k8;
		memcpy(p + i, v, 32);
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		w ^= k8;
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] ^= r[i & 3];
}

void wf_ws_unmask(unsigned char *p, size_t n, const unsigned char key[4], unsigned phase)
{
	unmask(p, n, key, phase);
}

/* The fast path's own close, for a frame wslay never saw. */
static void fast_fail(struct wf_ws *ws, int code)
{
	ws->ff.left = 0;
	ws->msg.len = 0;
	wslay_event_queue_close(ws->ctx, (uint16_t)code, NULL, 0);
	wslay_event_shutdown_read(ws->ctx);
	ws->rp = ws->re;
}

/* Hand the message of the fast path's frame over. */
static void fast_deliver(struct wf_ws *ws, int binary, const char *p, size_t n)
{
	ws->cb->message(ws, binary, p, n, ws->ud);
	ws->msg.len = 0;
	if (ws->msg.cap > 64 * 1024) {
		wf_buf_free(&ws->msg);
		wf_buf_init(&ws->msg, ws->cfg->max_message);
	}
}

/* Whether the fast path may run: wslay is between frames, outside a
 * fragmented message, reading, and the connection takes messages. */
static int fast_ok(const struct wf_ws *ws)
{
	return !ws->fh.have && !ws->fh.left && !ws->bad_frame && !ws->frag &&
	       ws->preoff >= ws->pre.len && ws->cb->message && (ws->st == S_OPEN || ws->st == S_CLOSING) &&
	       wslay_event_get_read_enabled(ws->ctx);
}

/* The read side's fast path, for the bytes rp..re just read. wslay copies
 * every payload, unmasks it and checks its UTF-8 a byte at a time (~20
 * instructions a byte); here, while wslay is between frames and messages,
 * unfragmented text and binary frames are unmasked eight bytes at a time
 * and delivered from the read buffer when whole (or gathered in msg when a
 * read cuts one; a header so cut waits in ff.carry). The first frame that
 * is anything else -- a control frame, a fragment, one with bad bits,
 * length, mask or UTF-8 -- stops it, as it was: wslay takes the rest and,
 * at the next read, first just the rest of the frame it is in. */
static void fast_frames(struct wf_ws *ws)
{
	unsigned char *p;
	const unsigned char *e = (const unsigned char *)ws->re;
	unsigned want_mask = ws->cfg->server ? 0x80 : 0;

	/* wslay is inside a frame: let it finish just that one */
	while (ws->rp < ws->re && (ws->fh.have || ws->fh.left) && !ws->bad_frame &&
	       wslay_event_get_read_enabled(ws->ctx) && ws->st != S_DEAD) {
		const char *rp = ws->rp;
		ws->re = ws->rp + (ws->fh.have ? 1 : ws->fh.left < (uint64_t)((const char *)e - ws->rp)
						       ? (size_t)ws->fh.left : (size_t)((const char *)e - ws->rp));
		if (wslay_event_recv(ws->ctx) != 0 && !ws->eof)
			ws->eof = 1;
		ws->re = (const char *)e;
		if (ws->rp == rp)
			break;
	}
	if (ws->ff.left && (!wslay_event_get_read_enabled(ws->ctx) || ws->st == S_DEAD)) {
		ws->ff.left = 0;	/* reading is over: drop the rest */
		ws->rp = ws->re;
		return;
	}
	if (!fast_ok(ws))
		return;
	p = (unsigned char *)ws->rp;
	/* the frame a read cut: more of its payload */
	if (ws->ff.left) {
		size_t k = (uint64_t)(e - p) < ws->ff.left ? (size_t)(e - p) : (size_t)ws->ff.left;
		unsigned char *d = (unsigned char *)ws->msg.p + ws->msg.len;
		memcpy(d, p, k);
		if (want_mask)
			unmask(d, k, ws->ff.key, ws->ff.phase);
		ws->ff.phase = (ws->ff.phase + (unsigned)k) & 3;
		ws->msg.len += k;
		ws->ff.left -= k;
		p += k;
		ws->rp = (const char *)p;
		if (!ws->ff.binary && (wf_utf8_feed(&ws->ff.utf8, d, k) < 0 || (!ws->ff.left && ws->ff.utf8))) {
			fast_fail(ws, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA);
			return;
		}
		if (ws->ff.left)
			return;
		fast_deliver(ws, ws->ff.binary, ws->msg.p, ws->msg.len);
	}
	while (p < e && (ws->st == S_OPEN || ws->st == S_CLOSING)) {
		unsigned op = p[0] & 15;
		size_t hl = 2, avail = (size_t)(e - p), i;
		uint64_t len;
		if ((p[0] & 0xf0) != 0x80 || (op != 1 && op != 2))
			break;
		if (avail < 2)
			goto cut_header;
		if ((p[1] & 0x80) != want_mask)
			break;
		len = p[1] & 127;
		if (len == 126) {
			if (avail < 4)
				goto cut_header;
			if ((len = (uint64_t)p[2] << 8 | p[3]) < 126)
				break;
			hl = 4;
		} else if (len == 127) {
			if (avail < 10)
				goto cut_header;
			for (len = 0, i = 2; i < 10; i++)
				len = len << 8 | p[i];
			if (len < 65536 || len >> 63)
				break;
			hl = 10;
		}
		if (want_mask)
			hl += 4;
		if (len > ws->cfg->max_message)
			break;
		if (avail < hl)
			goto cut_header;
		if (len > avail - hl) {
			/* cut by the end of the read: gather it in msg */
			size_t k = avail - hl;
			ws->msg.len = 0;
			if (wf_buf_reserve(&ws->msg, (size_t)len))
				break;
			ws->ff.left = len - k;
			ws->ff.binary = op == 2;
			ws->ff.utf8 = 0;
			ws->ff.phase = (unsigned)k & 3;
			if (want_mask)
				memcpy(ws->ff.key, p + hl - 4, 4);
			ws->msg.len = k;
			memcpy(ws->msg.p, p + hl, k);
			if (want_mask)
				unmask((unsigned char *)ws->msg.p, k, ws->ff.key, 0);
			ws->rp = ws->re;
			if (op == 1 && wf_utf8_feed(&ws->ff.utf8, (unsigned char *)ws->msg.p, k) < 0)
				fast_fail(ws, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA);
			return;
		}
		if (want_mask)
			unmask(p + hl, (size_t)len, p + hl - 4, 0);
		if (op == 1 && !wf_utf8_valid(p + hl, (size_t)len)) {
			if (want_mask)
				unmask(p + hl, (size_t)len, p + hl - 4, 0);	/* as it was, for wslay */
			break;
		}
		ws->rp = (const char *)(p + hl + len);
		fast_deliver(ws, op == 2, (const char *)(p + hl), (size_t)len);
		p += hl + len;
	}
	ws->rp = (const char *)p;
	return;
cut_header:
	/* a header cut by the end of the read: it leads the next one */
	memcpy(ws->ff.carry, p, (size_t)(e - p));
	ws->ff.ncarry = (size_t)(e - p);
	ws->rp = ws->re;
}

/* Read what the socket has and let wslay frame it. */
static void do_read(struct wf_ws *ws)
{
	struct wf_ws_engine *e = ws->e;
	size_t carried = ws->ff.ncarry, got = carried;

	memcpy(e->rbuf, ws->ff.carry, carried);	/* a frame header the last read cut */
	ws->ff.ncarry = 0;
	for (;;) {
		ssize_t n = tr_read(ws, e->rbuf + got, RBUF_SIZE - got);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			ws->eof = 1;
			break;
		}
		got += (size_t)n;
		if (!ws->use_tls || got == RBUF_SIZE)
			break;	/* TLS: gather records while GnuTLS has them */
	}
	queue_tls(ws);
	if (got > carried)
		ws->last_rx = wf_now_ms();
	ws->rp = e->rbuf;
	ws->re = e->rbuf + got;
	fast_frames(ws);
	if (wslay_event_recv(ws->ctx) != 0 && !ws->eof)
		ws->eof = 1;
	refuse_frame(ws);
	ws->rp = ws->re = NULL;
	check_done(ws);
	mark_dirty(ws);
}

static void on_fd(struct wf_loop *l, int fd, int events, void *ud)
{
	struct wf_ws *ws = ud;

	(void)l;
	(void)fd;
	switch (ws->st) {
	case S_CONNECTING:
		do_connecting(ws);
		return;
	case S_TLS:
		do_tls(ws);
		return;
	case S_HTTP:
	case S_REFUSING:
		do_http(ws, events);
		return;
	case S_OPEN:
	case S_CLOSING:
		if (events & (WF_READ | WF_ERROR))
			do_read(ws);	/* an error shows even while paused */
		if (ws->st != S_DEAD && (events & WF_WRITE))
			ws_pump(ws);
		return;
	case S_DEAD:
		return;
	}
}

/* Move queued frames to the socket. */
static void ws_pump(struct wf_ws *ws)
{
	int rc;

	if (ws->st == S_DEAD)
		return;
	if (ws->st < S_OPEN) {
		update_mask(ws);
		return;
	}
	for (;;) {
		if (wslay_event_want_write(ws->ctx) && wslay_event_send(ws->ctx) != 0) {
			fail(ws, ws->end.why[0] ? ws->end.why : "write failed");
			return;
		}
		rc = flush_obuf(ws);
		if (rc < 0) {
			ws->eof = 1;
			check_done(ws);
			return;
		}
		if (rc == 1 || !wslay_event_want_write(ws->ctx) || !wslay_event_get_queued_msg_count(ws->ctx))
			break;
	}
	if (ws->close_code && !wf_ws_queued(ws) && ws->st == S_OPEN && ws->close_ping == 1) {
		/* the data is out: a ping, answered in order once the peer read it */
		struct wslay_event_msg m = { WSLAY_PING, (const uint8_t *)"drain", 5 };
		ws->close_ping = 2;
		ws->data_out = 1;
		if (wslay_event_queue_msg(ws->ctx, &m) == 0) {
			wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms);
			mark_dirty(ws);
		} else {
			ws->close_ping = 0;
		}
	}
	if (ws->close_code && !wf_ws_queued(ws) && ws->st == S_OPEN && !ws->close_ping) {
		/* the data is out: now the close frame (wslay would send it first) */
		int code = ws->close_code;
		ws->close_code = 0;
		wf_ws_close(ws, code, ws->close_reason);
	}
	check_done(ws);
	if (ws->st == S_DEAD)
		return;
	/* backpressure bookkeeping */
	{
		size_t q = wf_ws_queued(ws);
		if (ws->above_high && q <= ws->cfg->queue_low) {
			ws->above_high = 0;
			wf_timer_stop(ws->e->loop, &ws->stall);
			if (ws->cb->drained)
				ws->cb->drained(ws, ws->ud);
		}
	}
	if (ws->st != S_DEAD)
		update_mask(ws);
}

static void on_timer(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct wf_ws *ws = ud;
	int64_t now = wf_now_ms();

	(void)t;
	switch (ws->st) {
	case S_CONNECTING:
	case S_TLS:
	case S_HTTP:
		fail(ws, ws->st == S_CONNECTING ? "connect timed out" : "the opening handshake timed out");
		return;
	case S_REFUSING:
		ws_die(ws);
		return;
	case S_CLOSING:
		if (ws->fin_wait) {
			ws_die(ws);	/* clean all the same */
			return;
		}
		if (!ws->end.code)
			ws->end.code = ws->code_rx ? ws->code_rx : 1006;
		set_why(ws, "%s", "the peer did not finish the close handshake");
		ws_die(ws);
		return;
	case S_OPEN:
		if (ws->close_code && ws->close_ping == 2) {
			/* no pong in time: close all the same */
			int code = ws->close_code;
			ws->close_code = ws->close_ping = 0;
			wf_ws_close(ws, code, ws->close_reason);
			return;
		}
		if (ws->close_code) {
			ws->end.code = 1006;
			fail(ws, "the peer did not take the data queued before the close");
			return;
		}
		if (ws->ping_sent && ws->last_rx < ws->ping_sent) {
			fail(ws, "ping timeout");
			return;
		}
		if (ws->ping_sent || now - ws->last_rx >= ws->cfg->ping_ms) {
			struct wslay_event_msg m = { WSLAY_PING, NULL, 0 };
			wslay_event_queue_msg(ws->ctx, &m);
			ws->ping_sent = now;
			mark_dirty(ws);
			wf_timer_start(l, &ws->timer, ws->cfg->pong_ms > 0 ? ws->cfg->pong_ms : ws->cfg->ping_ms);
		} else {
			wf_timer_start(l, &ws->timer, ws->cfg->ping_ms - (now - ws->last_rx));
		}
		return;
	case S_DEAD:
		return;
	}
}

static void on_stall(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct wf_ws *ws = ud;
	char why[200];

	(void)l;
	(void)t;
	snprintf(why, sizeof why, "the peer does not read: %zu bytes queued, no progress for %lld ms",
		 wf_ws_queued(ws), (long long)ws->cfg->stall_ms);
	set_why(ws, "%s", why);
	ws->end.code = 1008;
	/* a close frame cannot get past a full socket: drop the connection */
	ws_die(ws);
}

struct wf_ws *wf_ws_new(struct wf_ws_engine *e, int fd, const struct wf_ws_cfg *cfg,
			const struct wf_ws_cb *cb, void *ud, char *msg, size_t n)
{
	struct wf_ws *ws = calloc(1, sizeof *ws);

	if (!ws) {
		snprintf(msg, n, "out of memory");
		close(fd);
		return NULL;
	}
	ws->e = e;
	ws->fd = fd;
	ws->cfg = cfg;
	ws->cb = cb;
	ws->ud = ud;
	wf_buf_init(&ws->obuf, (size_t)-1);
	wf_buf_init(&ws->pre, (size_t)-1);
	wf_buf_init(&ws->hs, WF_HS_MAX + 4096);
	wf_buf_init(&ws->msg, cfg->max_message);
	wf_timer_init(&ws->timer, on_timer, ws);
	wf_timer_init(&ws->stall, on_stall, ws);
	if (cfg->tls) {
		if (wf_tls_new(&ws->tls, cfg->tls, fd, cfg->tls_domain, msg, n) < 0) {
			close(fd);
			free(ws);
			return NULL;
		}
		ws->use_tls = 1;
	}
	if (wf_loop_add_fd(e->loop, fd, 0, on_fd, ws) < 0) {
		snprintf(msg, n, "event loop: cannot watch fd %d", fd);
		if (ws->use_tls)
			wf_tls_free(&ws->tls);
		close(fd);
		free(ws);
		return NULL;
	}
	ws->next = e->all;
	if (e->all)
		e->all->prev = ws;
	e->all = ws;
	e->count++;
	if (cfg->handshake_ms > 0)
		wf_timer_start(e->loop, &ws->timer, cfg->handshake_ms);
	if (!cfg->server) {
		ws->st = S_CONNECTING;
		update_mask(ws);
	} else if (ws->use_tls) {
		ws->st = S_TLS;
		do_tls(ws);
	} else {
		start_http(ws);
	}
	return ws;
}

/* Masking keys come from a pool filled from GnuTLS's random source. */
static unsigned char key_pool[4096];
static size_t key_off = sizeof key_pool;

static void next_key(unsigned char k[4])
{
	if (key_off + 4 > sizeof key_pool) {
		gnutls_rnd(GNUTLS_RND_NONCE, key_pool, sizeof key_pool);
		key_off = 0;
	}
	memcpy(k, key_pool + key_off, 4);
	key_off += 4;
}

/* One whole data frame into obuf: masked when we are the client. */
static int frame_out(struct wf_ws *ws, int binary, const void *p, size_t n)
{
	unsigned char h[14], *d;
	size_t hl = 2, i;
	int mask = !ws->cfg->server;

	h[0] = (unsigned char)(0x80 | (binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME));
	if (n < 126) {
		h[1] = (unsigned char)n;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (mask) {
		h[1] |= 0x80;
		next_key(h + hl);
		hl += 4;
	}
	if (wf_buf_reserve(&ws->obuf, hl + n))
		return -1;
	d = (unsigned char *)ws->obuf.p + ws->obuf.len;
	memcpy(d, h, hl);
	if (n)
		memcpy(d + hl, p, n);
	if (mask)
		unmask(d + hl, n, h + hl - 4, 0);	/* XOR: masking is unmasking */
	ws->obuf.len += hl + n;
	return 0;
}

int wf_ws_send(struct wf_ws *ws, int binary, const void *p, size_t n)
{
	struct wslay_event_msg m;
	size_t q;

	if (ws->st != S_OPEN)
		return -EPIPE;
	q = wf_ws_queued(ws);
	if (q + n > ws->cfg->queue_max && q > 0)
		return -ENOBUFS;
	if (!binary && !wf_utf8_valid(p, n))
		return -EINVAL;
	if (!wslay_event_get_queued_msg_count(ws->ctx)) {
		/* nothing of wslay's is pending, so no frame of its is half
		 * in obuf: the frame goes straight there, masked 8 bytes at a
		 * time (wslay copies and masks a byte at a time) */
		if (frame_out(ws, binary, p, n) < 0)
			return -ENOMEM;
	} else {
		m.opcode = binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME;
		m.msg = p;
		m.msg_length = n;
		if (wslay_event_queue_msg(ws->ctx, &m) != 0)
			return -ENOMEM;
	}
	if (!ws->above_high && wf_ws_queued(ws) > ws->cfg->queue_high) {
		/* measured as the owner measures it (frame headers count) */
		ws->above_high = 1;
		if (ws->cfg->stall_ms > 0)
			wf_timer_start(ws->e->loop, &ws->stall, ws->cfg->stall_ms);
	}
	mark_dirty(ws);
	return 0;
}

int wf_ws_send_frames(struct wf_ws *ws, const void *p, size_t n)
{
	size_t q;

	if (ws->st != S_OPEN || ws->close_code)
		return -EPIPE;
	if (wslay_event_get_queued_msg_count(ws->ctx))
		return -EBUSY;	/* a frame of wslay's may be half in obuf */
	q = wf_ws_queued(ws);
	if (q + n > ws->cfg->queue_max && q > 0)
		return -ENOBUFS;
	if (wf_buf_add(&ws->obuf, p, n))
		return -ENOMEM;
	if (!ws->above_high && wf_ws_queued(ws) > ws->cfg->queue_high) {
		/* measured as the owner measures it (frame headers count) */
		ws->above_high = 1;
		if (ws->cfg->stall_ms > 0)
			wf_timer_start(ws->e->loop, &ws->stall, ws->cfg->stall_ms);
	}
	mark_dirty(ws);
	return 0;
}

void wf_ws_close(struct wf_ws *ws, int code, const char *reason)
{
	if (ws->st == S_DEAD || ws->st == S_CLOSING || ws->st == S_REFUSING)
		return;
	if (ws->st == S_OPEN && wf_ws_queued(ws)) {
		/* wslay sends control frames ahead of queued data: wait for it */
		ws->close_code = code;
		snprintf(ws->close_reason, sizeof ws->close_reason, "%s", reason ? reason : "");
		if (!wf_timer_armed(&ws->stall) && ws->cfg->close_ms > 0) {
			/* a peer that reads nothing must not hold the close forever */
			wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms + (ws->cfg->stall_ms > 0 ? ws->cfg->stall_ms : 0));
		}
		mark_dirty(ws);
		return;
	}
	if (ws->st != S_OPEN) {
		ws->end.code = 1006;
		set_why(ws, "%s", "closed during the opening handshake");
		ws_die(ws);
		return;
	}
	if (!wf_ws_queued(ws))
		ws->data_out = 1;
	wslay_event_queue_close(ws->ctx, (uint16_t)code, (const uint8_t *)reason,
				reason ? strlen(reason) : 0);
	ws->st = S_CLOSING;
	wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms);
	mark_dirty(ws);
}

void wf_ws_close_drained(struct wf_ws *ws, int code, const char *reason)
{
	if (ws->st != S_OPEN || ws->close_code) {
		wf_ws_close(ws, code, reason);
		return;
	}
	ws->close_ping = 1;
	ws->close_code = code;
	snprintf(ws->close_reason, sizeof ws->close_reason, "%s", reason ? reason : "");
	if (!wf_timer_armed(&ws->stall) && ws->cfg->close_ms > 0)
		wf_timer_start(ws->e->loop, &ws->timer, ws->cfg->close_ms + (ws->cfg->stall_ms > 0 ? ws->cfg->stall_ms : 0));
	mark_dirty(ws);
}

void wf_ws_abort(struct wf_ws *ws, const char *why)
{
	fail(ws, why);
}

void wf_ws_pause(struct wf_ws *ws, int paused)
{
	if (ws->paused == paused)
		return;
	ws->paused = paused;
	update_mask(ws);
	if (!paused)
		queue_tls(ws);	/* what waits in the session is read again */
}

static void ws_free(struct wf_ws *ws)
{
	struct wf_ws_engine *e = ws->e;

	if (ws->prev)
		ws->prev->next = ws->next;
	else
		e->all = ws->next;
	if (ws->next)
		ws->next->prev = ws->prev;
	e->count--;
	if (ws->use_tls) {
		wf_tls_bye(&ws->tls);
		wf_tls_free(&ws->tls);
	}
	close(ws->fd);
	if (ws->ctx)
		wslay_event_context_free(ws->ctx);
	wf_buf_free(&ws->obuf);
	wf_buf_free(&ws->pre);
	wf_buf_free(&ws->hs);
	wf_buf_free(&ws->msg);
	free(ws);
}

void wf_ws_engine_before(struct wf_ws_engine *e)
{
	/* TLS sessions holding decrypted bytes: no poll will say so */
	while (e->pending) {
		struct wf_ws *ws = e->pending;
		e->pending = ws->next_pending;
		ws->tls_pending = 0;
		if ((ws->st == S_OPEN || ws->st == S_CLOSING) && !ws->paused)
			do_read(ws);
	}
	while (e->dirty) {
		struct wf_ws *ws = e->dirty;
		e->dirty = ws->next_dirty;
		ws->dirty = 0;
		ws_pump(ws);
	}
	while (e->dead) {
		struct wf_ws *ws = e->dead;
		e->dead = ws->next_dead;
		if (!ws->end.code)
			ws->end.code = 1006;
		if (ws->cb->closed)
			ws->cb->closed(ws, &ws->end, ws->ud);
		/* unlink from the lists it may still be on */
		{
			struct wf_ws **pp;
			for (pp = &e->dirty; *pp; pp = &(*pp)->next_dirty)
				if (*pp == ws) {
					*pp = ws->next_dirty;
					break;
				}
			for (pp = &e->pending; *pp; pp = &(*pp)->next_pending)
				if (*pp == ws) {
					*pp = ws->next_pending;
					break;
				}
		}
		ws_free(ws);
	}
	if (e->pending)
		wf_loop_wake(e->loop);
}

void wf_ws_engine_free(struct wf_ws_engine *e)
{
	if (!e)
		return;
	while (e->all) {
		struct wf_ws *ws = e->all;
		ws->st = S_DEAD;
		ws_free(ws);
	}
	free(e->rbuf);
	free(e);
}
