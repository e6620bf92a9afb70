/* envelope: one event per line, as DESIGN.md defines it.
 *
 * wf_env_parse validates a line and records where each known member's key
 * and value stand in it; nothing is copied, so a filter that changes one
 * member splices the new value into the line and every other byte (unknown
 * members, key order, number literals) passes on as read. */
#ifndef WF_ENVELOPE_H
#define WF_ENVELOPE_H

#include <stddef.h>
#include "buf.h"
#include "json.h"

struct wf_member {
	const char *k;		/* the key's opening quote; NULL when absent */
	const char *v, *ve;	/* the value */
};

enum wf_kind { WF_DATA = 1, WF_BYTES, WF_CONTROL };

struct wf_event {
	const char *line, *end;	/* borrowed: the caller's line, without '\n' */
	enum wf_kind kind;
	struct wf_member data, bytes, meta, origin, control;
	const char *text, *text_end;	/* see wf_env_parse_text; NULL otherwise */
};

/* 0, or -1 with err filled ("not a JSON object", "no data, bytes or control", ...).
 * Keys are compared by what they stand for ("d\u0061ta" is data). */
int wf_env_parse(struct wf_event *ev, const char *line, size_t n, struct wf_json_err *err);
/* wf_env_parse that, in the same pass, unescapes a `data` string into text
 * (emptied first; text may be NULL): ev->text..text_end then point at the
 * contents in it. They are NULL when text had no room for them (its maximum). */
int wf_env_parse_text(struct wf_event *ev, const char *line, size_t n, struct wf_buf *text,
		      struct wf_json_err *err);

/* The payload as bytes: a `data` string unescaped, a `bytes` string decoded,
 * any other `data` value as its JSON text. Appends to out; 0, -EINVAL for a
 * bad base64 payload, or a buffer error. *binary is set for `bytes`. */
int wf_env_payload(const struct wf_event *ev, struct wf_buf *out, int *binary);

/* Decode the contents s..se of a `bytes` string (JSON escapes allowed) and
 * append them to out: 0, -EINVAL when it is not base64, or a buffer error. */
int wf_env_b64(struct wf_buf *out, const char *s, const char *se);

/* The stream number of the first origin entry, or -1. */
long long wf_env_stream(const struct wf_event *ev);

/* Whether meta.binary is true (top-level $binary, as Tremor reads it). */
int wf_env_meta_binary(const struct wf_event *ev);

/* Append ev's line with member m's value replaced by val (and its key by
 * key when key is not NULL), then '\n'. */
int wf_env_splice(struct wf_buf *out, const struct wf_event *ev, const struct wf_member *m,
		  const char *key, const char *val, size_t vlen);

/* Append {"data":<escaped text>}\n for a raw line, or {"bytes":<base64>}\n
 * when it is not valid UTF-8. */
int wf_env_from_text(struct wf_buf *out, const char *p, size_t n);

#endif
