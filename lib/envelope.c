#include "envelope.h"
#include "b64.h"
#include "utf8.h"

#include <errno.h>
#include <string.h>

int wf_env_parse(struct wf_event *ev, const char *line, size_t n, struct wf_json_err *err)
{
	const char *p = line, *e = line + n;
	struct wf_json_err jerr;

	memset(ev, 0, sizeof *ev);
	ev->line = line;
	ev->end = e;
	p = wf_json_ws(p, e);
	if (p >= e || *p != '{') {
		err->at = p;
		err->msg = "not a JSON object";
		return -1;
	}
	p = wf_json_ws(p + 1, e);
	if (p < e && *p == '}') {
		p++;
	} else {
		for (;;) {
			const char *k = p, *ks, *q;
			struct wf_member *m = NULL;
			int esc;

			if (p >= e || *p != '"') {
				err->at = p;
				err->msg = "expected a string key";
				return -1;
			}
			q = wf_json_string(p, e, &esc, err);
			if (!q)
				return -1;
			ks = k + 1;
			if (!esc) {
				size_t kl = (size_t)(q - ks - 1);
				if (kl == 4 && !memcmp(ks, "data", 4))
					m = &ev->data;
				else if (kl == 5 && !memcmp(ks, "bytes", 5))
					m = &ev->bytes;
				else if (kl == 4 && !memcmp(ks, "meta", 4))
					m = &ev->meta;
				else if (kl == 6 && !memcmp(ks, "origin", 6))
					m = &ev->origin;
				else if (kl == 7 && !memcmp(ks, "control", 7))
					m = &ev->control;
			}
			p = wf_json_ws(q, e);
			if (p >= e || *p != ':') {
				err->at = p;
				err->msg = "expected ':'";
				return -1;
			}
			p = wf_json_ws(p + 1, e);
			q = wf_json_skip(p, e, &jerr);
			if (!q) {
				*err = jerr;
				return -1;
			}
			if (m) {
				if (m->k) {
					err->at = k;
					err->msg = "repeated envelope member";
					return -1;
				}
				m->k = k;
				m->v = p;
				m->ve = q;
			}
			p = wf_json_ws(q, e);
			if (p < e && *p == ',') {
				p = wf_json_ws(p + 1, e);
				continue;
			}
			if (p < e && *p == '}') {
				p++;
				break;
			}
			err->at = p;
			err->msg = "expected ',' or '}'";
			return -1;
		}
	}
	if (wf_json_ws(p, e) != e) {
		err->at = p;
		err->msg = "unexpected data after the object";
		return -1;
	}
	if (ev->control.k) {
		if (*ev->control.v != '"') {
			err->at = ev->control.v;
			err->msg = "control is not a string";
			return -1;
		}
		ev->kind = WF_CONTROL;
	}
	if (ev->data.k && ev->bytes.k) {
		err->at = line;
		err->msg = "both data and bytes";
		return -1;
	}
	if (ev->bytes.k) {
		if (*ev->bytes.v != '"') {
			err->at = ev->bytes.v;
			err->msg = "bytes is not a base64 string";
			return -1;
		}
		ev->kind = WF_BYTES;
	} else if (ev->data.k) {
		ev->kind = WF_DATA;
	}
	if (!ev->kind) {
		err->at = line;
		err->msg = "no data, bytes or control member";
		return -1;
	}
	if (ev->meta.k && *ev->meta.v != '{') {
		err->at = ev->meta.v;
		err->msg = "meta is not an object";
		return -1;
	}
	if (ev->origin.k && *ev->origin.v != '[') {
		err->at = ev->origin.v;
		err->msg = "origin is not an array";
		return -1;
	}
	return 0;
}

int wf_env_payload(const struct wf_event *ev, struct wf_buf *out, int *binary)
{
	int rc;

	*binary = 0;
	if (ev->kind == WF_BYTES) {
		const char *s = ev->bytes.v + 1, *se = ev->bytes.ve - 1;
		long n;
		*binary = 1;
		if ((rc = wf_buf_reserve(out, wf_b64_declen((size_t)(se - s)))))
			return rc;
		n = wf_b64_decode(s, (size_t)(se - s), (unsigned char *)out->p + out->len);
		if (n < 0)
			return -EINVAL;
		out->len += (size_t)n;
		return 0;
	}
	if (ev->kind != WF_DATA)
		return 0;
	if (*ev->data.v == '"')
		return wf_json_unescape(out, ev->data.v + 1, ev->data.ve - 1);
	return wf_buf_add(out, ev->data.v, (size_t)(ev->data.ve - ev->data.v));
}

long long wf_env_stream(const struct wf_event *ev)
{
	const char *p, *e, *v, *ve;
	long long s;

	if (!ev->origin.k)
		return -1;
	p = wf_json_ws(ev->origin.v + 1, ev->origin.ve);
	e = ev->origin.ve;
	if (p >= e || *p != '{')
		return -1;
	if (!wf_json_get(p, e, "stream", &v, &ve) || !wf_json_int(v, ve, &s))
		return -1;
	return s;
}

int wf_env_meta_binary(const struct wf_event *ev)
{
	const char *v, *ve;

	return ev->meta.k && wf_json_get(ev->meta.v, ev->meta.ve, "binary", &v, &ve) &&
	       ve - v == 4 && !memcmp(v, "true", 4);
}

int wf_env_splice(struct wf_buf *out, const struct wf_event *ev, const struct wf_member *m,
		  const char *key, const char *val, size_t vlen)
{
	const char *cut = key ? m->k : m->v;
	size_t head = (size_t)(cut - ev->line), tail = (size_t)(ev->end - m->ve);
	size_t klen = key ? strlen(key) + 3 : 0;
	char *o;
	int rc = wf_buf_reserve(out, head + klen + vlen + tail + 1);

	if (rc)
		return rc;
	o = out->p + out->len;
	memcpy(o, ev->line, head);
	o += head;
	if (key) {
		*o++ = '"';
		memcpy(o, key, klen - 3);
		o += klen - 3;
		*o++ = '"';
		*o++ = ':';
	}
	memcpy(o, val, vlen);
	o += vlen;
	memcpy(o, m->ve, tail);
	o += tail;
	*o++ = '\n';
	out->len = (size_t)(o - out->p);
	return 0;
}

int wf_env_from_text(struct wf_buf *out, const char *p, size_t n)
{
	int rc;

	if (!wf_utf8_valid((const unsigned char *)p, n)) {
		if ((rc = wf_buf_add(out, "{\"bytes\":\"", 10)) ||
		    (rc = wf_buf_reserve(out, wf_b64_enclen(n) + 3)))
			return rc;
		out->len += wf_b64_encode((const unsigned char *)p, n, out->p + out->len);
		return wf_buf_add(out, "\"}\n", 3);
	}
	if ((rc = wf_buf_add(out, "{\"data\":", 8)) || (rc = wf_json_escape(out, p, n)) ||
	    (rc = wf_buf_add(out, "}\n", 2)))
		return rc;
	return 0;
}
