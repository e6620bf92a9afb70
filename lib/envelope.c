#include "envelope.h"
#include "b64.h"
#include "utf8.h"

#include <errno.h>
#include <string.h>

/* The member a key names ("d\u0061ta" is "data" too), or NULL. */
static struct wf_member *known_member(struct wf_event *ev, const char *k, const char *ke, int esc)
{
	static const char *const names[] = { "data", "bytes", "meta", "origin", "control" };
	struct wf_member *const ms[] = { &ev->data, &ev->bytes, &ev->meta, &ev->origin, &ev->control };
	struct wf_json_member jm = { .k = k, .ke = ke, .kesc = esc };
	size_t i;

	if (!esc) {
		/* as written: the length tells the one name it can be */
		switch (ke - k) {
		case 4:
			return !memcmp(k, "data", 4) ? &ev->data : !memcmp(k, "meta", 4) ? &ev->meta : NULL;
		case 5:
			return !memcmp(k, "bytes", 5) ? &ev->bytes : NULL;
		case 6:
			return !memcmp(k, "origin", 6) ? &ev->origin : NULL;
		case 7:
			return !memcmp(k, "control", 7) ? &ev->control : NULL;
		default:
			return NULL;
		}
	}
	if (ke - k > 6 * 7)
		return NULL;	/* longer than any name, even escaped */
	for (i = 0; i < 5; i++)
		if (wf_json_key_is(&jm, names[i]))
			return ms[i];
	return NULL;
}

int wf_env_parse(struct wf_event *ev, const char *line, size_t n, struct wf_json_err *err)
{
	return wf_env_parse_text(ev, line, n, NULL, err);
}

int wf_env_parse_text(struct wf_event *ev, const char *line, size_t n, struct wf_buf *text,
		      struct wf_json_err *err)
{
	const char *p = line, *e = line + n;
	struct wf_json_err jerr;

	memset(ev, 0, sizeof *ev);
	ev->line = line;
	ev->end = e;
	if (text)
		text->len = 0;
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
			m = known_member(ev, ks, q - 1, esc);
			p = wf_json_ws(q, e);
			if (p >= e || *p != ':') {
				err->at = p;
				err->msg = "expected ':'";
				return -1;
			}
			p = wf_json_ws(p + 1, e);
			if (text && m == &ev->data && !m->k && p < e && *p == '"' &&
			    !wf_buf_reserve(text, (size_t)(e - p))) {
				/* checked and unescaped in one pass */
				q = wf_json_string_text(p, e, text, &esc, &jerr);
				ev->text = text->p;
				ev->text_end = text->p + text->len;
			} else {
				q = wf_json_skip(p, e, &jerr);
			}
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
		if (ev->data.k || ev->bytes.k) {
			err->at = line;
			err->msg = "control with data or bytes";
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
	*binary = 0;
	if (ev->kind == WF_BYTES) {
		*binary = 1;
		return wf_env_b64(out, ev->bytes.v + 1, ev->bytes.ve - 1);
	}
	if (ev->kind != WF_DATA)
		return 0;
	if (*ev->data.v == '"')
		return wf_json_unescape(out, ev->data.v + 1, ev->data.ve - 1);
	return wf_buf_add(out, ev->data.v, (size_t)(ev->data.ve - ev->data.v));
}

/* Decode base64 text s..se (no escapes) and append it to out. */
static int b64_text(struct wf_buf *out, const char *s, const char *se)
{
	long n;
	int rc;

	if ((rc = wf_buf_reserve(out, wf_b64_declen((size_t)(se - s)))))
		return rc;
	n = wf_b64_decode(s, (size_t)(se - s), (unsigned char *)out->p + out->len);
	if (n < 0)
		return -EINVAL;
	out->len += (size_t)n;
	return 0;
}

int wf_env_b64(struct wf_buf *out, const char *s, const char *se)
{
	struct wf_buf t;
	int rc;

	if (!memchr(s, '\\', (size_t)(se - s)))
		return b64_text(out, s, se);
	/* "\/" is a '/' too: decode what the string stands for, once (what
	 * it stands for is not a JSON string: a '\\' in it is not base64) */
	wf_buf_init(&t, (size_t)(se - s));
	rc = wf_json_unescape(&t, s, se);
	if (!rc)
		rc = b64_text(out, t.p, t.p + t.len);
	wf_buf_free(&t);
	return rc;
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
