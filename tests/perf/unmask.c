/* unmask: what reading one 64 KiB masked frame costs through wslay's
 * receive path, against the unmask (and UTF-8 check) of lib/ws.c's fast
 * path. The frame is built in memory once; nothing touches a socket.
 *
 *   unmask [-n N] [CASE...]
 *
 * Each case runs N times in a function of its own (perf_CASE, kept out of
 * line, so that callgrind's inclusive cost of it divided by N is the cost
 * of one frame), then, with -t, is timed: the best of 5 rounds of N, as
 * "CASE ns_per_frame MB_per_s" on stdout. The cases:
 *
 *   wslay-text      wslay_event_recv on a server context configured as
 *                   lib/ws.c does (no_buffering, max message length set):
 *                   its 4 KiB read buffer filled by the recv callback,
 *                   the payload unmasked and UTF-8-checked a byte at a
 *                   time, each chunk appended to a message buffer by the
 *                   on_frame_recv_chunk callback, as lib/ws.c's cb_chunk
 *                   does; on_msg_recv ends the message.
 *   wslay-binary    the same with a binary frame: no UTF-8 check.
 *   wslay-buffered  a text frame with wslay's own buffering (its default):
 *                   wslay gathers the message in chunks it allocates and
 *                   hands on_msg_recv a flattened copy.
 *   ws-unmask       wf_ws_unmask on the 64 KiB payload in place.
 *   ws-utf8         wf_utf8_valid on the 64 KiB payload.
 *
 * Every run checks that the message came out whole and unmasked. */
#include "buf.h"
#include "utf8.h"
#include "ws.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wslay/wslay.h>

#define PAYLOAD (64 * 1024)
#define HEAD 14	/* 2 + 8 (length) + 4 (key) */

static unsigned char plain[PAYLOAD];	/* the payload as sent */
static unsigned char frame[2][HEAD + PAYLOAD];	/* masked: text, binary */
static unsigned char work[PAYLOAD];	/* ws-unmask works in place here */

struct feed {
	const unsigned char *p;	/* the frame being served */
	size_t off, len;
	struct wf_buf msg;	/* no_buffering: the message, as cb_chunk gathers it */
	size_t got;		/* messages received */
	int bad;
};

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct feed *f = ud;
	size_t n = f->len - f->off;

	(void)flags;
	if (!n) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, f->p + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
	(void)ctx;
	(void)data;
	(void)flags;
	(void)ud;
	return (ssize_t)len;
}

static void on_chunk(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_chunk_arg *a,
		     void *ud)
{
	struct feed *f = ud;

	(void)ctx;
	if (wf_buf_add(&f->msg, a->data, a->data_length))
		f->bad = 1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *ud)
{
	struct feed *f = ud;
	const void *p = a->msg ? (const void *)a->msg : f->msg.p;
	size_t n = a->msg ? a->msg_length : f->msg.len;

	(void)ctx;
	if (n != PAYLOAD || memcmp(p, plain, PAYLOAD))
		f->bad = 1;
	f->msg.len = 0;
	f->got++;
}

static const struct wslay_event_callbacks cbs = { on_recv, on_send, NULL, NULL, on_chunk, NULL, on_msg };

static void build(void)
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	int b, i;

	for (i = 0; i < PAYLOAD; i++)	/* printable ASCII text, valid UTF-8 */
		plain[i] = (unsigned char)(' ' + (i * 7 + i / 95) % 95);
	for (b = 0; b < 2; b++) {
		unsigned char *h = frame[b];
		h[0] = (unsigned char)(0x80 | (b ? 2 : 1));
		h[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)PAYLOAD >> (56 - 8 * i));
		memcpy(h + 10, key, 4);
		memcpy(h + HEAD, plain, PAYLOAD);
		wf_ws_unmask(h + HEAD, PAYLOAD, key, 0);
	}
	memcpy(work, frame[0] + HEAD, PAYLOAD);
}

/* n frames through one wslay server context; 0 when every one came out right */
static int run_wslay(const unsigned char *fr, int buffered, long n)
{
	wslay_event_context_ptr ctx;
	struct feed f;
	long i;

	memset(&f, 0, sizeof f);
	wf_buf_init(&f.msg, 2 * PAYLOAD);
	if (wslay_event_context_server_init(&ctx, &cbs, &f))
		return -1;
	wslay_event_config_set_no_buffering(ctx, !buffered);
	wslay_event_config_set_max_recv_msg_length(ctx, 2 * PAYLOAD);
	for (i = 0; i < n; i++) {
		f.p = fr;
		f.off = 0;
		f.len = HEAD + PAYLOAD;
		if (wslay_event_recv(ctx) != 0 || f.bad)
			break;
	}
	wslay_event_context_free(ctx);
	wf_buf_free(&f.msg);
	return f.got == (size_t)n && !f.bad ? 0 : -1;
}

__attribute__((noinline)) static int perf_wslay_text(long n) { return run_wslay(frame[0], 0, n); }
__attribute__((noinline)) static int perf_wslay_binary(long n) { return run_wslay(frame[1], 0, n); }
__attribute__((noinline)) static int perf_wslay_buffered(long n) { return run_wslay(frame[0], 1, n); }

__attribute__((noinline)) static int perf_ws_unmask(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		wf_ws_unmask(work, PAYLOAD, frame[0] + 10, 0);
		__asm__ volatile("" : : "r"(work) : "memory");
	}
	if (n % 2)	/* an odd count leaves it unmasked: check, and mask it again */
		return memcmp(work, plain, PAYLOAD) ? -1 : (wf_ws_unmask(work, PAYLOAD, frame[0] + 10, 0), 0);
	return memcmp(work, frame[0] + HEAD, PAYLOAD) ? -1 : 0;
}

__attribute__((noinline)) static int perf_ws_utf8(long n)
{
	long i;
	int ok = 1;

	for (i = 0; i < n; i++) {
		ok &= wf_utf8_valid(plain, PAYLOAD);
		__asm__ volatile("" : : "r"(plain) : "memory");
	}
	return ok ? 0 : -1;
}

static const struct {
	const char *name;
	int (*run)(long);
} cases[] = {
	{ "wslay-text", perf_wslay_text },
	{ "wslay-binary", perf_wslay_binary },
	{ "wslay-buffered", perf_wslay_buffered },
	{ "ws-unmask", perf_ws_unmask },
	{ "ws-utf8", perf_ws_utf8 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: unmask [-t] [-n N] [CASE...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	long n = 1000;
	int timed = 0, i, a, status = 0;
	size_t c;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-t"))
			timed = 1;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc && (n = atol(argv[++i])) > 0)
			;
		else
			return usage();
	}
	build();
	for (c = 0; c < NCASES; c++) {
		int want = i == argc;
		double best = 0;
		for (a = i; a < argc; a++)
			want |= !strcmp(argv[a], cases[c].name);
		if (!want)
			continue;
		if (cases[c].run(n)) {
			fprintf(stderr, "unmask: %s: the message came out wrong\n", cases[c].name);
			status = 1;
			continue;
		}
		if (!timed)
			continue;
		for (a = 0; a < 5; a++) {
			double t0 = now(), t;
			cases[c].run(n);
			t = now() - t0;
			if (!a || t < best)
				best = t;
		}
		printf("%s %.0f %.0f\n", cases[c].name, best / n * 1e9, (double)PAYLOAD * n / best / 1e6);
	}
	for (a = i; a < argc; a++) {
		for (c = 0; c < NCASES && strcmp(argv[a], cases[c].name); c++)
			;
		if (c == NCASES) {
			fprintf(stderr, "unmask: %s: no such case\n", argv[a]);
			status = 2;
		}
	}
	return status;
}
