/* json: a validating scanner over raw JSON text (RFC 8259, UTF-8 only).
 *
 * It never builds a tree: values are spans of the input, so a value that is
 * passed on is written out byte for byte as it was read (12345678901234567890
 * and 42.0 survive). Pointers returned point into the caller's text. */
#ifndef WF_JSON_H
#define WF_JSON_H

#include <stddef.h>
#include "buf.h"

#define WF_JSON_MAX_DEPTH 512

struct wf_json_err {
	const char *at;		/* where in the input */
	const char *msg;	/* static text */
};

static inline const char *wf_json_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* p at a value's first byte: the end of that value, or NULL (err filled). */
const char *wf_json_skip(const char *p, const char *e, struct wf_json_err *err);
/* p at '"': the byte after the closing quote, or NULL. *esc is set when the
 * string holds a backslash escape. */
const char *wf_json_string(const char *p, const char *e, int *esc, struct wf_json_err *err);

/* wf_json_string that also appends the string's contents, unescaped as by
 * wf_json_unescape, to out, in the same pass. out must have room for e - p
 * bytes (the contents are never longer). On failure out->len is unchanged. */
const char *wf_json_string_text(const char *p, const char *e, struct wf_buf *out, int *esc,
				struct wf_json_err *err);

/* Unescape the contents of a validated string (between the quotes) into out.
 * Lone surrogates become U+FFFD. 0 or a negative errno (buffer maximum). */
int wf_json_unescape(struct wf_buf *out, const char *s, const char *se);
/* Append p[0..n) (valid UTF-8) as a JSON string with its quotes. */
int wf_json_escape(struct wf_buf *out, const char *p, size_t n);
/* Decoded length of a validated string's contents. */
size_t wf_json_unescaped_len(const char *s, const char *se);

/* Validate the JSON text p..e (surrounding white space allowed) and append
 * it to out without insignificant white space. Numbers and strings are kept
 * as written. An object with a repeated key keeps the last one (in the first
 * one's place); with sorted, object keys are sorted by their bytes at every
 * depth. 1 on success, 0 when the text is not JSON (err filled), or a
 * negative errno. */
int wf_json_compact(struct wf_buf *out, const char *p, const char *e, int sorted,
		    struct wf_json_err *err);

/* wf_json_compact with flags: WF_JSON_SORTED sorts keys; WF_JSON_VALID says
 * p..e was validated before (it is not checked again: err is not used);
 * WF_JSON_UTF8 says p..e is valid UTF-8 (as the unescaped contents of a
 * validated string are); WF_JSON_STRING appends the compact text as a JSON
 * string, escaped and quoted, without a copy of it in between (with
 * WF_JSON_SORTED the copy is made in scratch, borrowed, when it is not NULL). */
#define WF_JSON_SORTED 1u
#define WF_JSON_VALID 2u
#define WF_JSON_UTF8 4u
#define WF_JSON_STRING 8u
int wf_json_compact_ex(struct wf_buf *out, const char *p, const char *e, unsigned flags,
		       struct wf_buf *scratch, struct wf_json_err *err);

/* Iterate a validated object: *pp starts at '{'. Fills key (contents without
 * quotes) and value spans; 1 per member, 0 at the end. */
struct wf_json_member {
	const char *k, *ke;	/* key contents */
	const char *v, *ve;	/* value */
	int kesc;		/* key has escapes */
};
int wf_json_next(const char **pp, const char *e, struct wf_json_member *m);
/* Look key up in a validated object obj..e; 1 and the value's span, or 0. */
int wf_json_get(const char *obj, const char *e, const char *key, const char **v, const char **ve);
/* Whether a key's contents equal s (escapes decoded). */
int wf_json_key_is(const struct wf_json_member *m, const char *s);

/* A validated integer value (no fraction, no exponent) into *out: 1, or 0. */
int wf_json_int(const char *v, const char *ve, long long *out);

#endif
