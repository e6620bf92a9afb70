/* bench: the load generator behind ws-bench. Client connections to one
 * WebSocket server run a scenario; the result is a count, a time and, for
 * round trips, a latency histogram.
 *
 * flood: every connection sends one message after another, as fast as the
 * server reads them. The frames are built and masked once (one masking key
 * for the run) and queued as bytes, so the client spends almost nothing per
 * message. Each connection ends with the close handshake, which the server
 * answers only after it has read every message before it: the time runs
 * from the start to the last close answered.
 * echo: every connection keeps `depth` messages in flight and waits for
 * each to come back unchanged; each round trip goes into the histogram and
 * the time runs from the start to the last echo.
 * connect: a handshake storm. `connections` connections are in flight at
 * once; each one closes (1000) as soon as it is open and is replaced by a
 * new one when the close is done, until `count` handshakes were started or
 * the duration is up. The time from a connection's start (before its TCP
 * connect) to its open goes into the histogram; the time runs from the
 * start to the last close.
 * hold: `connections` connections, at most `opening` handshakes in flight
 * at once, then all of them open and idle (pings are answered) for the
 * duration, or without one until SIGINT or SIGTERM; then every one is
 * closed (1000) and the closes are waited for. The server closing one, or
 * one failing, is a runtime failure. */
#ifndef WF_BENCH_H
#define WF_BENCH_H

#include <stddef.h>
#include <stdint.h>

enum { WF_BENCH_FLOOD, WF_BENCH_ECHO, WF_BENCH_CONNECT, WF_BENCH_HOLD };

struct wf_bench_cfg {
	const char *url;		/* ws:// or wss:// */
	int scenario;
	int connections;
	size_t size;			/* payload bytes of every message */
	int binary;
	unsigned long long count;	/* messages (connect: handshakes) in all (0: no limit) */
	int64_t duration_ms;		/* stop sending (hold: holding) after this (0: no limit) */
	int depth;			/* echo: messages in flight per connection */
	int opening;			/* hold: handshakes in flight at most */
	/* hold: called once, when every connection is open */
	void (*holding)(int connections, void *ud);
	void *ud;
	const char *tls_cafile;		/* the only trusted root (NULL: the system's) */
	int tls_insecure;
	const char *tls_domain;		/* name verified and sent as SNI (NULL: the URL host) */
	int64_t timeout_ms;		/* give up when nothing moves this long */
};

/* A histogram of non-negative values with logarithmic buckets, each split
 * into 2^WF_HIST_SUB linear ones: a value read back is within 1/64 of the
 * value put in. */
#define WF_HIST_SUB 5
#define WF_HIST_BUCKETS ((64 - WF_HIST_SUB + 1) << WF_HIST_SUB)

struct wf_hist {
	uint64_t n, min, max;
	uint64_t count[WF_HIST_BUCKETS];
};

void wf_hist_init(struct wf_hist *h);
void wf_hist_add(struct wf_hist *h, uint64_t v);
/* The value at quantile q (0 < q <= 1): the middle of the bucket that holds
 * the ceil(q * n)-th smallest value, kept within [min, max]; 0 when empty. */
uint64_t wf_hist_quantile(const struct wf_hist *h, double q);

struct wf_bench_result {
	unsigned long long messages;	/* flood: sent and read; echo: round trips;
					 * connect: opening handshakes completed */
	double seconds;			/* hold: from all open to the end of the hold */
	double connect_seconds;		/* hold: from the start to all open */
	int open;			/* hold: the most connections open at once */
	int tls;
	struct wf_hist rtt;		/* echo: round-trip times, connect: handshake
					 * times (start to open), in nanoseconds */
};

/* The longest frame header: 2 bytes, 8 of length, 4 of masking key. */
#define WF_BENCH_HEAD_MAX 14

/* Write one client frame (FIN, text or binary, masked with mask) of the n
 * bytes at p to out, which holds n + WF_BENCH_HEAD_MAX; its length. */
size_t wf_bench_frame(unsigned char *out, int binary, const unsigned char *p, size_t n,
		      const unsigned char mask[4]);

/* Run the scenario: 0 with r filled; 1 on a runtime failure (a connection
 * refused or lost, a wrong echo, a handshake refused, no progress within
 * timeout_ms, which a hold's idle time does not count against); 2 on a
 * configuration error (URL, TLS files). msg is filled for 1 and 2. r->rtt
 * is large: r belongs to the caller, who may keep it off the stack. */
int wf_bench_run(const struct wf_bench_cfg *cfg, struct wf_bench_result *r, char *msg, size_t n);

#endif
