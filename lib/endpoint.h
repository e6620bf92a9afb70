/* endpoint: what ws-listen and ws-connect share around their connections:
 * the envelope of a received message, the binary/text rule of a message to
 * send, and the bounded stdout that pauses the peers when it backs up. */
#ifndef WF_ENDPOINT_H
#define WF_ENDPOINT_H

#include <stddef.h>
#include "buf.h"
#include "envelope.h"
#include "io.h"
#include "loop.h"
#include "ws.h"

/* The constant end of every event from one connection:
 * tail  = ,"meta":{"<kind>":{"tls":..,"peer":{..}}},"origin":[{"source":id,"stream":n}]}\n
 * btail = the same with "binary":true in meta. */
struct wf_tails {
	struct wf_buf text, binary;
};

void wf_tails_build(struct wf_tails *t, const char *kind, int tls, const char *host, int port,
		    const char *id, long long stream);
void wf_tails_free(struct wf_tails *t);

/* Append the envelope of one received message (or, raw, the payload and '\n'). */
void wf_emit_message(struct wf_buf *o, const struct wf_tails *t, int raw, int binary,
		     const char *p, size_t n);
/* Append a control event ("open", or "close" with code and reason). */
void wf_emit_control(struct wf_buf *o, const struct wf_tails *t, const char *what, int code,
		     const char *reason);
/* Parse the envelope {"control":"close"<tail> into ev, backed by b (for error
 * events that carry a connection's meta and origin). 0, or -1. */
int wf_tails_event(const struct wf_tails *t, struct wf_buf *b, struct wf_event *ev);

/* The payload of an event to send, into out; *binary per DESIGN.md: a
 * `bytes` payload, meta.binary, meta.<kind>.binary, meta.ws_server.binary
 * (the key Tremor's docs give for both connectors), or text that is not
 * UTF-8. 0, -EINVAL (bad base64) or a buffer error. */
int wf_event_frame(const struct wf_event *ev, const char *kind, struct wf_buf *out, int *binary);

/* stdout with backpressure: above high the owner pauses its peers, below
 * low it resumes them. */
struct wf_stdout {
	struct wf_loop *loop;
	struct wf_writer w;
	int fd;
	int paused;
	void (*pause)(int paused, void *ud);
	void *ud;
	int err;		/* negative errno of a failed write */
};

/* The connection settings ws-listen and ws-connect share: the limits, the
 * queue's marks (a quarter of the bound, 1 MiB at most, and a quarter of
 * that) and the timers. The rest of w is left as it is. */
void wf_ws_cfg_limits(struct wf_ws_cfg *w, size_t max_message, size_t max_queue, int64_t handshake_ms,
		      int64_t ping_ms, int64_t pong_ms, int64_t close_ms, int64_t stall_ms);

#define WF_OUT_HIGH (4u << 20)
#define WF_OUT_LOW (1u << 20)

void wf_stdout_init(struct wf_stdout *o, struct wf_loop *l, void (*pause)(int, void *), void *ud);
/* Write what can be written; call after appending to o->w.buf. */
void wf_stdout_flush(struct wf_stdout *o);
/* At the end: block until written. 0, or a negative errno. */
int wf_stdout_finish(struct wf_stdout *o);

#endif
