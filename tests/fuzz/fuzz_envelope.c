/* fuzz_envelope: arbitrary bytes as an envelope line and as JSON text:
 * wf_env_parse and what a filter does with a parsed event (payload, stream,
 * splice), wf_json_compact sorted and unsorted, and the round trips that
 * must hold between them. */
#include "fuzz.h"
#include "envelope.h"
#include "json.h"

#include <errno.h>
#include <string.h>

#define MAX (1u << 24)

static int same(const struct wf_buf *a, const struct wf_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

/* A text made into an envelope reads back as that text, byte for byte. */
static void from_text_round_trip(const char *p, size_t n)
{
	struct wf_buf line, pay;
	struct wf_event ev;
	struct wf_json_err err;
	int binary;

	wf_buf_init(&line, MAX);
	wf_buf_init(&pay, MAX);
	FUZZ_ASSERT(wf_env_from_text(&line, p, n) == 0);
	FUZZ_ASSERT(line.len && line.p[line.len - 1] == '\n');
	FUZZ_ASSERT(!memchr(line.p, '\n', line.len - 1));
	FUZZ_ASSERT(wf_env_parse(&ev, line.p, line.len - 1, &err) == 0);
	FUZZ_ASSERT(wf_env_payload(&ev, &pay, &binary) == 0);
	FUZZ_ASSERT(pay.len == n && (!n || !memcmp(pay.p, p, n)));
	wf_buf_free(&line);
	wf_buf_free(&pay);
}

static void compact(const char *p, size_t n, int parsed)
{
	struct wf_buf u, s, again, str, scratch, un;
	struct wf_json_err err;
	int ru, rs;

	wf_buf_init(&u, MAX);
	wf_buf_init(&s, MAX);
	wf_buf_init(&again, MAX);
	wf_buf_init(&str, MAX);
	wf_buf_init(&scratch, MAX);
	wf_buf_init(&un, MAX);
	ru = wf_json_compact(&u, p, p + n, 0, &err);
	FUZZ_ASSERT(ru == 0 || ru == 1);
	if (!ru)
		FUZZ_ASSERT(err.msg && err.at >= p && err.at <= p + n);
	rs = wf_json_compact(&s, p, p + n, 1, &err);
	FUZZ_ASSERT(rs == ru);
	/* an envelope wf_env_parse took is JSON */
	FUZZ_ASSERT(!parsed || ru == 1);
	if (ru == 1) {
		FUZZ_ASSERT(u.len == s.len && u.len <= n);
		/* compact text is a fixed point, sorted or not */
		FUZZ_ASSERT(wf_json_compact(&again, u.p, u.p + u.len, 0, &err) == 1 && same(&again, &u));
		again.len = 0;
		FUZZ_ASSERT(wf_json_compact(&again, s.p, s.p + s.len, 1, &err) == 1 && same(&again, &s));
		again.len = 0;
		FUZZ_ASSERT(wf_json_compact(&again, u.p, u.p + u.len, 1, &err) == 1 && same(&again, &s));
		again.len = 0;
		FUZZ_ASSERT(wf_json_compact_ex(&again, p, p + n, WF_JSON_VALID, NULL, &err) == 1 &&
			    same(&again, &u));
		/* as a JSON string: a valid string that stands for the compact text */
		FUZZ_ASSERT(wf_json_compact_ex(&str, p, p + n, WF_JSON_SORTED | WF_JSON_STRING, &scratch,
					       &err) == 1);
		{
			int esc;
			FUZZ_ASSERT(str.len >= 2 && str.p[0] == '"' &&
				    wf_json_string(str.p, str.p + str.len, &esc, &err) == str.p + str.len);
			FUZZ_ASSERT(wf_json_unescape(&un, str.p + 1, str.p + str.len - 1) == 0 && same(&un, &s));
			FUZZ_ASSERT(wf_json_unescaped_len(str.p + 1, str.p + str.len - 1) == s.len);
		}
	}
	wf_buf_free(&u);
	wf_buf_free(&s);
	wf_buf_free(&again);
	wf_buf_free(&str);
	wf_buf_free(&scratch);
	wf_buf_free(&un);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct wf_event ev, ev2;
	struct wf_json_err err;
	struct wf_buf pay, out;
	int binary, rc, parsed;

	if (size > (1u << 20))
		return 0;
	rc = wf_env_parse(&ev, p, size, &err);
	parsed = rc == 0;
	if (rc == 0) {
		FUZZ_ASSERT(ev.kind == WF_DATA || ev.kind == WF_BYTES || ev.kind == WF_CONTROL);
		wf_buf_init(&pay, MAX);
		rc = wf_env_payload(&ev, &pay, &binary);
		FUZZ_ASSERT(rc == 0 || (rc == -EINVAL && ev.kind == WF_BYTES));
		FUZZ_ASSERT(binary == (ev.kind == WF_BYTES));
		(void)wf_env_stream(&ev);
		(void)wf_env_meta_binary(&ev);
		if (rc == 0 && ev.kind != WF_CONTROL)
			from_text_round_trip(pay.p ? pay.p : "", pay.len);
		/* splicing a value in keeps an envelope */
		if (ev.kind == WF_DATA) {
			wf_buf_init(&out, MAX);
			FUZZ_ASSERT(wf_env_splice(&out, &ev, &ev.data, NULL, "null", 4) == 0);
			FUZZ_ASSERT(out.len && out.p[out.len - 1] == '\n');
			FUZZ_ASSERT(wf_env_parse(&ev2, out.p, out.len - 1, &err) == 0 && ev2.kind == WF_DATA);
			FUZZ_ASSERT(ev2.data.ve - ev2.data.v == 4 && !memcmp(ev2.data.v, "null", 4));
			out.len = 0;
			FUZZ_ASSERT(wf_env_splice(&out, &ev, &ev.data, "bytes", "\"AA==\"", 6) == 0);
			FUZZ_ASSERT(wf_env_parse(&ev2, out.p, out.len - 1, &err) == 0 && ev2.kind == WF_BYTES);
			wf_buf_free(&out);
		}
		wf_buf_free(&pay);
	} else {
		FUZZ_ASSERT(rc == -1 && err.msg && err.at >= p && err.at <= p + size);
	}
	compact(p, size, parsed);
	from_text_round_trip(p, size);
	return 0;
}
