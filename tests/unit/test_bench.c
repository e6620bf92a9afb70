/* bench: the pre-built client frames (RFC 6455 5.7 and wslay as the
 * server that reads them) and the latency histogram's quantiles. */
#include "unit.h"
#include "bench.h"

#include <stdlib.h>
#include <wslay/wslay.h>

/* wslay as a server: read frames from a buffer, collect the messages */
struct feed {
	const unsigned char *p;
	size_t n, off;
	int msgs, last_op;
	size_t last_len;
	unsigned char last[70000];
};

static ssize_t feed_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct feed *f = ud;
	size_t k = f->n - f->off;

	(void)flags;
	if (!k) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (k > len)
		k = len;
	if (k > 7)
		k = 7;	/* odd pieces: headers and payloads cut anywhere */
	memcpy(buf, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

static ssize_t feed_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
	(void)ctx;
	(void)data;
	(void)flags;
	(void)ud;
	return (ssize_t)len;
}

static void feed_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *ud)
{
	struct feed *f = ud;

	(void)ctx;
	f->msgs++;
	f->last_op = a->opcode;
	f->last_len = a->msg_length;
	if (a->msg_length && a->msg_length <= sizeof f->last)
		memcpy(f->last, a->msg, a->msg_length);
}

/* Frames of n-byte messages, three in a row, read back by wslay. */
static void through_wslay(int binary, size_t n)
{
	struct wslay_event_callbacks cbs = { feed_recv, feed_send, NULL, NULL, NULL, NULL, feed_msg };
	static const unsigned char mask[4] = { 0xa1, 0x00, 0x5c, 0xff };
	unsigned char *payload = malloc(n + 1), *frames = malloc(3 * (n + WF_BENCH_HEAD_MAX));
	static struct feed f;
	wslay_event_context_ptr ctx;
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		payload[i] = binary ? (unsigned char)(i * 7 + 3) : (unsigned char)('a' + i % 26);
	for (i = 0; i < 3; i++)
		len += wf_bench_frame(frames + len, binary, payload, n, mask);
	CHECK(len == 3 * (n + (n < 126 ? 6 : n <= 0xffff ? 8 : 14)));
	memset(&f, 0, sizeof f);
	f.p = frames;
	f.n = len;
	CHECK(wslay_event_context_server_init(&ctx, &cbs, &f) == 0);
	wslay_event_config_set_max_recv_msg_length(ctx, 1 << 20);
	while (f.off < f.n && wslay_event_recv(ctx) == 0)
		;
	CHECK(f.off == f.n);
	CHECK(f.msgs == 3);
	CHECK(f.last_op == (binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME));
	CHECK(f.last_len == n);
	CHECK(!memcmp(f.last, payload, n));
	CHECK(wslay_event_get_read_enabled(ctx));	/* no protocol error, no close */
	wslay_event_context_free(ctx);
	free(payload);
	free(frames);
}

static void frames(void)
{
	/* RFC 6455 5.7: a single-frame masked text message "Hello" */
	static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	static const unsigned char hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					       0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	unsigned char out[64 + WF_BENCH_HEAD_MAX];

	CHECK(wf_bench_frame(out, 0, (const unsigned char *)"Hello", 5, mask) == sizeof hello);
	CHECK(!memcmp(out, hello, sizeof hello));
	CHECK(wf_bench_frame(out, 1, NULL, 0, mask) == 6);
	CHECK(out[0] == 0x82 && out[1] == 0x80);

	through_wslay(0, 0);
	through_wslay(0, 16);
	through_wslay(0, 125);
	through_wslay(1, 126);
	through_wslay(0, 1024);
	through_wslay(1, 65535);
	through_wslay(1, 65536);
}

static int near(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;

	return d * 64 <= want;
}

static void histogram(void)
{
	static struct wf_hist h;
	uint64_t v;

	wf_hist_init(&h);
	CHECK(wf_hist_quantile(&h, 0.5) == 0);
	wf_hist_add(&h, 12345);
	CHECK(wf_hist_quantile(&h, 0.5) == 12345);	/* kept within [min, max] */
	CHECK(wf_hist_quantile(&h, 1) == 12345);

	/* small values are exact */
	wf_hist_init(&h);
	for (v = 0; v < 20; v++)
		wf_hist_add(&h, v);
	CHECK(wf_hist_quantile(&h, 0.5) == 9);	/* the 10th of 20 */
	CHECK(wf_hist_quantile(&h, 0.05) == 0);
	CHECK(wf_hist_quantile(&h, 1) == 19);

	/* 1..1000000: every quantile within 1/64 */
	wf_hist_init(&h);
	for (v = 1; v <= 1000000; v++)
		wf_hist_add(&h, v);
	CHECK(h.n == 1000000 && h.min == 1 && h.max == 1000000);
	CHECK(near(wf_hist_quantile(&h, 0.5), 500000));
	CHECK(near(wf_hist_quantile(&h, 0.99), 990000));
	CHECK(near(wf_hist_quantile(&h, 0.999), 999000));
	CHECK(wf_hist_quantile(&h, 1) == 1000000);
	CHECK(near(wf_hist_quantile(&h, 0.001), 1000));

	/* a long tail: 999 fast, 1 slow; p99.9 is the fast one, max the slow */
	wf_hist_init(&h);
	for (v = 0; v < 999; v++)
		wf_hist_add(&h, 50000);
	wf_hist_add(&h, 80000000);
	CHECK(near(wf_hist_quantile(&h, 0.999), 50000));
	CHECK(wf_hist_quantile(&h, 1) == 80000000);

	/* the largest values have a bucket */
	wf_hist_init(&h);
	wf_hist_add(&h, UINT64_MAX);
	CHECK(wf_hist_quantile(&h, 0.5) == UINT64_MAX);
}

int main(void)
{
	frames();
	histogram();
	return unit_done();
}
