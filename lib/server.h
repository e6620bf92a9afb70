/* server: ws-listen, Tremor's ws_server as a filter.
 * Accepts WebSocket connections; every message becomes an envelope on
 * stdout; every envelope on stdin is routed to its connection(s). */
#ifndef WF_SERVER_H
#define WF_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct wf_server_cfg {
	const char *url;
	const char *id;			/* origin source, "ws_server" */
	const char *tls_cert, *tls_key;
	int backlog;
	int reuseaddr, reuseport, nodelay;
	size_t max_message;
	size_t max_line;
	size_t max_queue;		/* per connection: bytes queued to send */
	int64_t ping_ms, pong_ms;
	int64_t handshake_ms, close_ms, stall_ms;
	int max_connections;		/* 0: no limit */
	int broadcast;
	int stream_events;
	int raw_in, raw_out;
	const char *protocol;
	struct wf_errsink *err;
	/* called once bound, with the address as a URL (ws://127.0.0.1:43567) */
	void (*listening)(const char *url, void *ud);
	void *ud;
};

/* Run until SIGINT/SIGTERM: 0; 1 on a runtime failure; 2 on a configuration
 * error found at start-up (msg filled for 1 and 2). */
int wf_server_run(const struct wf_server_cfg *cfg, char *msg, size_t n);

#endif
