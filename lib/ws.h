/* ws: one WebSocket connection over a non-blocking socket, server or client
 * side, plain or TLS: the opening handshake (handshake.c), then RFC 6455
 * framing through wslay (masking, fragmentation, UTF-8 of text, control
 * frames, the close handshake, the message size limit), keepalive pings and
 * a bounded outgoing queue.
 *
 * Connections belong to an engine. The engine owns each wf_ws: it frees it
 * after calling cb->closed, from its before-poll hook, never inside a
 * callback the application is running. The application calls
 * wf_ws_engine_before from its loop's before hook. */
#ifndef WF_WS_H
#define WF_WS_H

#include <stddef.h>
#include <stdint.h>
#include "handshake.h"
#include "loop.h"
#include "tls.h"

struct wf_ws;
struct wf_ws_engine;

/* How a connection ended. */
struct wf_ws_end {
	int opened;		/* the handshake had finished */
	int code;		/* close code: received, else sent; 1006 when none */
	char reason[128];	/* close reason (UTF-8), "" when none */
	char why[256];		/* local description when not a clean close, else "" */
	size_t unsent;		/* bytes of messages still queued to send when it
				 * ended (not a close frame or ping of ours) */
};

struct wf_ws_cb {
	void (*open)(struct wf_ws *ws, void *ud);
	/* one complete message; p is borrowed until the callback returns */
	void (*message)(struct wf_ws *ws, int binary, const char *p, size_t n, void *ud);
	/* the queue fell below the low-water mark after being above it */
	void (*drained)(struct wf_ws *ws, void *ud);
	/* the connection is gone; ws is freed after this returns */
	void (*closed)(struct wf_ws *ws, const struct wf_ws_end *end, void *ud);
};

struct wf_ws_cfg {
	int server;
	size_t max_message;		/* close 1009 past this */
	size_t queue_max;		/* bound of bytes queued to send */
	size_t queue_low;		/* `drained` below this, once above queue_high */
	size_t queue_high;
	int64_t handshake_ms;		/* the opening handshake's deadline (0: none) */
	int64_t ping_ms, pong_ms;	/* keepalive (0: off) */
	int64_t close_ms;		/* wait for the peer's close frame */
	int64_t stall_ms;		/* a queue above queue_high that makes no
					 * progress this long: close 1008 (0: never) */
	const char *protocol;		/* server: the subprotocol accepted */
	const struct wf_tls_creds *tls;	/* NULL: plain */
	const char *tls_domain;		/* client: name verified and sent as SNI */
	struct wf_hs_client *client;	/* client: the request to send */
	char *chosen_protocol;		/* client: filled with the server's choice */
	size_t chosen_len;
};

struct wf_ws_engine *wf_ws_engine_new(struct wf_loop *l);
void wf_ws_engine_free(struct wf_ws_engine *e);
/* Send what was queued, serve TLS bytes no poll would signal, free the dead. */
void wf_ws_engine_before(struct wf_ws_engine *e);
/* Connections not yet freed. */
size_t wf_ws_engine_count(const struct wf_ws_engine *e);

/* Take over fd (accepted, or connecting for a client). NULL with msg on
 * failure (fd is closed then). cfg must outlive the connection. */
struct wf_ws *wf_ws_new(struct wf_ws_engine *e, int fd, const struct wf_ws_cfg *cfg,
			const struct wf_ws_cb *cb, void *ud, char *msg, size_t n);

/* Queue one message: 0; -EPIPE when not open (or closing); -ENOBUFS when it
 * would pass queue_max; -EINVAL for text that is not UTF-8. */
int wf_ws_send(struct wf_ws *ws, int binary, const void *p, size_t n);
/* Queue bytes that are whole frames already (a client's masked ones), sent
 * as they are in order with the rest: a load generator's pre-built flood.
 * 0; -EPIPE when not open or closing; -EBUSY while wslay holds a message
 * (try again once it is sent); -ENOBUFS past queue_max. */
int wf_ws_send_frames(struct wf_ws *ws, const void *p, size_t n);
/* Start the close handshake (no-op when closing already). */
void wf_ws_close(struct wf_ws *ws, int code, const char *reason);
/* Close once the peer has read everything queued: when the queue is out,
 * a ping; the close frame goes at its pong (a peer answers in order, so an
 * echo has been written by then), or after close_ms without one. */
void wf_ws_close_drained(struct wf_ws *ws, int code, const char *reason);
/* Drop the connection now, without a close frame (reported as 1006 with why). */
void wf_ws_abort(struct wf_ws *ws, const char *why);
/* Stop or resume reading from the peer (backpressure). */
void wf_ws_pause(struct wf_ws *ws, int paused);

/* XOR n bytes at p with the masking key, starting phase (0-3) bytes into
 * it: masking and unmasking alike (RFC 6455 5.3). The read path's own
 * unmask, eight bytes at a time; exported for scripts/bench-profile's
 * tests/perf/unmask.c to time against wslay's byte-at-a-time one. */
void wf_ws_unmask(unsigned char *p, size_t n, const unsigned char key[4], unsigned phase);

int wf_ws_is_open(const struct wf_ws *ws);
size_t wf_ws_queued(const struct wf_ws *ws);
void *wf_ws_ud(const struct wf_ws *ws);
int wf_ws_fd(const struct wf_ws *ws);
int wf_ws_tls(const struct wf_ws *ws);

#endif
