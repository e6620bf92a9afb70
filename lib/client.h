/* client: ws-connect, Tremor's ws_client as a filter.
 * One connection; envelopes on stdin become messages, messages become
 * envelopes on stdout. While disconnected stdin is not read (Tremor's
 * circuit breaker); reconnection follows Tremor's policies. */
#ifndef WF_CLIENT_H
#define WF_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct wf_client_cfg {
	const char *url;
	const char *id;			/* origin source, "ws_client" */
	int tls;			/* --tls: TLS even for ws:// */
	const char *cafile, *domain, *cert, *key;
	int insecure;
	int nodelay;
	const char **headers;		/* "K: V" */
	size_t nheaders;
	const char *protocol, *origin;
	/* reconnect: without retry, Tremor's "none" */
	int retry;
	int64_t retry_ms;
	double growth;
	long max_retries;		/* < 0: no limit */
	int randomized;
	int64_t ping_ms, pong_ms, connect_ms, close_ms, stall_ms;
	size_t max_message, max_line, max_queue;
	int stream_events, raw_in, raw_out;
	int no_close;			/* stdin EOF: wait for the server to close */
	struct wf_errsink *err;
	/* progress notes ("connecting to ...", "retrying in ...") for stderr */
	void (*note)(const char *msg, void *ud);
	void *ud;
};

/* Run until stdin ends (close 1000), a signal (close 1001), the server
 * closes (no retry policy) or retries run out. 0, 1 (msg filled), or 2 for
 * a configuration error found at start-up. */
int wf_client_run(const struct wf_client_cfg *cfg, char *msg, size_t n);

/* The wait before reconnect attempt k (0-based) given the previous wait:
 * Tremor's retry policy (interval, then x growth, or uniform between the
 * previous and previous x growth when randomized). */
int64_t wf_retry_wait(const struct wf_client_cfg *cfg, int k, int64_t prev);

#endif
