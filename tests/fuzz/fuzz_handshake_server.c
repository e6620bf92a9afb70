/* fuzz_handshake_server: a client's request head, arbitrary bytes, through
 * every server-side check of handshake.c and the answer made for it. */
#include "fuzz.h"
#include "handshake.h"

#include <string.h>

/* Whether an answer is one whole HTTP head (and body) we could send. */
static void check_answer(const struct wf_buf *b)
{
	long end;

	FUZZ_ASSERT(b->len > 12 && !memcmp(b->p, "HTTP/1.1 ", 9));
	end = wf_hs_head_end(b->p, b->len);
	FUZZ_ASSERT(end > 0 && (size_t)end <= b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = { NULL, "chat", "" };
	const char *p = (const char *)data, *proto;
	struct wf_hs_req req;
	struct wf_buf out;
	char why[256];
	long end;
	int st;

	if (!size)
		return 0;
	/* the first byte picks the subprotocol this server speaks */
	proto = protos[data[0] % 3];
	p++;
	size--;

	end = wf_hs_head_end(p, size);
	FUZZ_ASSERT(end == -1 || (end >= 0 && (size_t)end <= size));

	why[0] = 0;
	st = wf_hs_server_early(p, size, why, sizeof why);
	FUZZ_ASSERT(st == 0 || ((st == 400 || st == 405) && why[0]));

	why[0] = 0;
	st = wf_hs_server_check(p, size, proto, &req, why, sizeof why);
	wf_buf_init(&out, 1 << 16);
	if (st == 0) {
		FUZZ_ASSERT(strlen(req.key) == 24);
		FUZZ_ASSERT(memchr(req.path, 0, sizeof req.path) && memchr(req.host, 0, sizeof req.host) &&
			    memchr(req.origin, 0, sizeof req.origin) &&
			    memchr(req.protocol, 0, sizeof req.protocol));
		FUZZ_ASSERT(!req.protocol[0] || (proto && !strcmp(req.protocol, proto)));
		FUZZ_ASSERT(wf_hs_server_accept(&out, &req) == 0);
		check_answer(&out);
		FUZZ_ASSERT(!memcmp(out.p, "HTTP/1.1 101 ", 13));
		{
			/* the answer is one our client takes for this request */
			struct wf_hs_client c = { .host = "h", .path = "/" };
			char chosen[256];
			c.protocol = req.protocol[0] ? req.protocol : NULL;
			memcpy(c.key, req.key, 25);
			FUZZ_ASSERT(wf_hs_client_check(out.p, out.len, &c, chosen, sizeof chosen, why,
						       sizeof why) == 0);
			FUZZ_ASSERT(!strcmp(chosen, req.protocol));
		}
	} else {
		FUZZ_ASSERT(st == 400 || st == 405 || st == 426);
		FUZZ_ASSERT(why[0]);
		FUZZ_ASSERT(wf_hs_server_refuse(&out, st, why) == 0);
		check_answer(&out);
	}
	wf_buf_free(&out);
	return 0;
}
