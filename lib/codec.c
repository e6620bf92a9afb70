#include "codec.h"
#include "utf8.h"

#include <errno.h>
#include <string.h>

static const struct wf_member *payload_member(const struct wf_event *ev)
{
	return ev->kind == WF_BYTES ? &ev->bytes : &ev->data;
}

static void report(struct wf_filter *f, const struct wf_event *ev, const char *payload,
		   size_t n, const char *what, const char *why, size_t at)
{
	wf_err_event(f->err, ev, wf_env_stream(ev), payload, n,
		     "line %lu: %s: %s at byte %zu", f->lineno, what, why, at);
}

static int bad_base64(struct wf_filter *f, const struct wf_event *ev)
{
	wf_err_event(f->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
		     "line %lu: bytes is not valid base64", f->lineno);
	return 0;
}

static int json_decode(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_codec *c = f->ud;
	const struct wf_member *m = payload_member(ev);
	const char *key = ev->kind == WF_BYTES ? "data" : NULL;
	struct wf_json_err jerr;
	struct wf_buf *o;
	const char *p;
	size_t n, mark;
	int binary, rc;

	c->a.len = 0;
	if (ev->kind == WF_DATA && *ev->data.v != '"') {
		/* already a value: nothing to decode */
		return wf_filter_pass(f, ev);
	}
	if (ev->kind == WF_DATA && ev->text) {
		/* unescaped by the envelope reader as it checked the line */
		binary = 0;
		p = ev->text;
		n = (size_t)(ev->text_end - ev->text);
	} else {
		rc = wf_env_payload(ev, &c->a, &binary);
		if (rc == -EINVAL)
			return bad_base64(f, ev);
		if (rc)
			return rc;
		p = c->a.p ? c->a.p : "";
		n = c->a.len;
	}
	o = wf_filter_begin(f, ev, m, key, &mark);
	if (!o)
		return -ENOBUFS;
	/* the unescaped contents of a validated string are valid UTF-8 */
	rc = wf_json_compact_ex(o, p, p + n, (c->sorted ? WF_JSON_SORTED : 0) |
				(binary ? 0 : WF_JSON_UTF8), NULL, &jerr);
	if (rc != 1) {
		wf_filter_abort(f, mark);
		if (rc < 0)
			return rc;
		report(f, ev, p, n, "payload is not JSON", jerr.msg, (size_t)(jerr.at - p));
		return 0;
	}
	return wf_filter_end(f, ev, m, key, mark);
}

static int json_encode(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_codec *c = f->ud;
	struct wf_json_err jerr;
	struct wf_buf *o;
	size_t mark;
	int rc;

	if (ev->kind == WF_BYTES)
		return wf_filter_pass(f, ev);
	o = wf_filter_begin(f, ev, &ev->data, NULL, &mark);
	if (!o)
		return -ENOBUFS;
	/* data was validated by the envelope reader; its compact text is
	 * escaped straight into the output */
	rc = wf_json_compact_ex(o, ev->data.v, ev->data.ve, WF_JSON_VALID | WF_JSON_STRING |
				(c->sorted ? WF_JSON_SORTED : 0), &c->a, &jerr);
	if (rc != 1) {
		wf_filter_abort(f, mark);
		return rc < 0 ? rc : -EINVAL;
	}
	return wf_filter_end(f, ev, &ev->data, NULL, mark);
}

static int string_decode(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_codec *c = f->ud;
	struct wf_buf *o;
	size_t mark;
	int binary, rc;

	if (ev->kind == WF_DATA)
		return wf_filter_pass(f, ev);	/* text already */
	c->a.len = 0;
	rc = wf_env_payload(ev, &c->a, &binary);
	if (rc == -EINVAL)
		return bad_base64(f, ev);
	if (rc)
		return rc;
	if (!wf_utf8_valid((const unsigned char *)c->a.p, c->a.len)) {
		wf_err_event(f->err, ev, wf_env_stream(ev), c->a.p, c->a.len,
			     "line %lu: payload is not valid UTF-8", f->lineno);
		return 0;
	}
	o = wf_filter_begin(f, ev, &ev->bytes, "data", &mark);
	if (!o)
		return -ENOBUFS;
	if ((rc = wf_json_escape(o, c->a.p ? c->a.p : "", c->a.len))) {
		wf_filter_abort(f, mark);
		return rc;
	}
	return wf_filter_end(f, ev, &ev->bytes, "data", mark);
}

static int string_encode(struct wf_filter *f, const struct wf_event *ev)
{
	if (ev->kind == WF_BYTES || *ev->data.v == '"')
		return wf_filter_pass(f, ev);
	return json_encode(f, ev);
}

void wf_codec_init(struct wf_codec *c, struct wf_filter *f)
{
	wf_buf_init(&c->a, (size_t)-1);
	wf_buf_init(&c->b, (size_t)-1);
	f->ud = c;
	f->control = NULL;
	f->finish = NULL;
	if (c->kind == WF_CODEC_STRING)
		f->event = c->encode ? string_encode : string_decode;
	else
		f->event = c->encode ? json_encode : json_decode;
	f->want_text = c->kind == WF_CODEC_JSON && !c->encode;
}

void wf_codec_free(struct wf_codec *c)
{
	wf_buf_free(&c->a);
	wf_buf_free(&c->b);
}
