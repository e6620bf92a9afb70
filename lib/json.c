#include "json.h"
#include "utf8.h"

#include <errno.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define FAIL(where, text) do { if (err) { err->at = (where); err->msg = (text); } return NULL; } while (0)

/* A bit per byte of p[0..32) that is '"', '\\', a control or >= 0x80. */
static inline uint32_t special32(const char *p)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
	__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	/* signed: bytes >= 0x80 are negative, so below 0x20 too */
	__m128i m0 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v0, q), _mm_cmpeq_epi8(v0, b)),
				  _mm_cmplt_epi8(v0, sp));
	__m128i m1 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v1, q), _mm_cmpeq_epi8(v1, b)),
				  _mm_cmplt_epi8(v1, sp));
	return (uint32_t)_mm_movemask_epi8(m0) | (uint32_t)_mm_movemask_epi8(m1) << 16;
#else
	uint32_t bits = 0;
	unsigned i;
	for (i = 0; i < 32; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
			bits |= (uint32_t)1 << i;
	}
	return bits;
#endif
}

/* Each hex digit's value plus one; 0 marks every other byte. */
static const unsigned char hex_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The byte after a backslash: what a simple escape stands for, 1 for 'u',
 * 0 when it is no escape. */
static const unsigned char esc_tab[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
	['n'] = '\n', ['r'] = '\r', ['t'] = '\t', ['u'] = 1,
};

#define HEX(c) ((int)hex_tab[(unsigned char)(c)] - 1)	/* -1 for a non-digit */

static inline int hex4_ok(const char *h)
{
	return (HEX(h[0]) | HEX(h[1]) | HEX(h[2]) | HEX(h[3])) >= 0;
}

static inline uint32_t hex4(const char *h)
{
	return (uint32_t)(HEX(h[0]) << 12 | HEX(h[1]) << 8 | HEX(h[2]) << 4 | HEX(h[3]));
}

/* wf_utf8_seq with the common 2- and 3-byte sequences inline. */
static inline size_t utf8_len(const char *s, const char *e)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0];

	if (c >= 0xc2 && c < 0xe0 && e - s >= 2 && (p[1] & 0xc0) == 0x80)
		return 2;
	if (c > 0xe0 && c < 0xf0 && c != 0xed && e - s >= 3 &&
	    (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80)
		return 3;
	return wf_utf8_seq(p, (size_t)(e - s));
}

/* q at a special byte other than '"' inside the string that opens at start:
 * the byte after it (escape or UTF-8 sequence), or NULL (err filled). */
static inline const char *string_special(const char *q, const char *e, const char *start,
					 int *esc, struct wf_json_err *err)
{
	unsigned char c = (unsigned char)*q;
	size_t k;

	if (c == '\\') {
		*esc = 1;
		if (e - q < 2)
			FAIL(start, "unterminated string");
		switch (esc_tab[(unsigned char)q[1]]) {
		case 0:
			FAIL(q, "bad escape in string");
		case 1:
			if (e - q < 6 || !hex4_ok(q + 2))
				FAIL(q, "bad \\u escape in string");
			return q + 6;
		default:
			return q + 2;
		}
	}
	if (c < 0x20)
		FAIL(q, "control character in string");
	k = utf8_len(q, e);
	if (!k)
		FAIL(q, "invalid UTF-8 in string");
	return q + k;
}

const char *wf_json_string(const char *p, const char *e, int *esc, struct wf_json_err *err)
{
	const char *start = p;

	p++;
	*esc = 0;
	/* 32 bytes at a time; every special byte of a block is handled from
	 * its mask, the block is loaded again only when a sequence crosses it */
	while (e - p >= 32) {
		uint32_t bits = special32(p);
		const char *q;
		size_t i;

		while (bits) {
			q = p + __builtin_ctz(bits);
			if (*q == '"')
				return q + 1;
			q = string_special(q, e, start, esc, err);
			if (!q)
				return NULL;
			i = (size_t)(q - p);
			if (i >= 32)
				break;
			bits &= ~(uint32_t)0 << i;
		}
		p = bits ? q : p + 32;
	}
	while (p < e) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\' || c < 0x20 || c >= 0x80) {
			p = string_special(p, e, start, esc, err);
			if (!p)
				return NULL;
		} else {
			p++;
		}
	}
	FAIL(start, "unterminated string");
}

static const char *number_end(const char *p, const char *e, struct wf_json_err *err)
{
	const char *s = p;

	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		FAIL(s, "bad number");
	if (*p == '0')
		p++;
	else
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			FAIL(s, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			FAIL(s, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *literal_end(const char *p, const char *e, struct wf_json_err *err)
{
	static const char *const lits[] = { "true", "false", "null" };
	size_t i;

	for (i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(e - p) >= n && !memcmp(p, lits[i], n))
			return p + n;
	}
	FAIL(p, "unexpected character");
}

static const char *skip(const char *p, const char *e, int depth, struct wf_json_err *err)
{
	int esc;

	if (p >= e)
		FAIL(p, "unexpected end of input");
	switch (*p) {
	case '"':
		return wf_json_string(p, e, &esc, err);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		if (depth >= WF_JSON_MAX_DEPTH)
			FAIL(p, "nested too deeply");
		p = wf_json_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (p >= e || *p != '"')
					FAIL(p, "expected a string key");
				p = wf_json_string(p, e, &esc, err);
				if (!p)
					return NULL;
				p = wf_json_ws(p, e);
				if (p >= e || *p != ':')
					FAIL(p, "expected ':'");
				p = wf_json_ws(p + 1, e);
			}
			p = skip(p, e, depth + 1, err);
			if (!p)
				return NULL;
			p = wf_json_ws(p, e);
			if (p < e && *p == ',') {
				p = wf_json_ws(p + 1, e);
				continue;
			}
			if (p < e && *p == close)
				return p + 1;
			FAIL(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return number_end(p, e, err);
	default:
		return literal_end(p, e, err);
	}
}

const char *wf_json_skip(const char *p, const char *e, struct wf_json_err *err)
{
	return skip(p, e, 0, err);
}

static const char *unescape_u(const char *s, const char *se, uint32_t *cp)
{
	uint32_t c = hex4(s + 2);

	s += 6;
	if (c >= 0xd800 && c < 0xdc00) {
		if (se - s >= 6 && s[0] == '\\' && s[1] == 'u') {
			uint32_t lo = hex4(s + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				*cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				return s + 6;
			}
		}
		c = 0xfffd;
	} else if (c >= 0xdc00 && c < 0xe000) {
		c = 0xfffd;
	}
	*cp = c;
	return s;
}

int wf_json_unescape(struct wf_buf *out, const char *s, const char *se)
{
	char *o;
	int rc;

	if (s == se)
		return 0;	/* an empty buffer may have no memory to write to */
	if ((rc = wf_buf_reserve(out, (size_t)(se - s))))
		return rc;
	/* the output never runs ahead of the input, so 16-byte stores that
	 * stay within the input's length stay within the room reserved */
	o = out->p + out->len;
	for (;;) {
		const char *bs;
		size_t run;
#ifdef __SSE2__
		while (se - s >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
			unsigned bits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (bits) {
				unsigned i = (unsigned)__builtin_ctz(bits);
				s += i;
				o += i;
				goto escape;
			}
			s += 16;
			o += 16;
		}
#endif
		bs = memchr(s, '\\', (size_t)(se - s));
		run = (size_t)((bs ? bs : se) - s);
		memcpy(o, s, run);
		o += run;
		if (!bs)
			break;
		s = bs;
#ifdef __SSE2__
escape:
#endif
		if (s[1] == 'u') {
			uint32_t cp;
			s = unescape_u(s, se, &cp);
			o += wf_utf8_put(cp, o);
		} else {
			*o++ = (char)esc_tab[(unsigned char)s[1]];
			s += 2;
		}
	}
	out->len = (size_t)(o - out->p);
	return 0;
}

size_t wf_json_unescaped_len(const char *s, const char *se)
{
	size_t n = 0;
	char tmp[4];

	while (s < se) {
		const char *bs = memchr(s, '\\', (size_t)(se - s));
		if (!bs)
			return n + (size_t)(se - s);
		n += (size_t)(bs - s);
		if (bs[1] == 'u') {
			uint32_t cp;
			s = unescape_u(bs, se, &cp);
			n += wf_utf8_put(cp, tmp);
		} else {
			n++;
			s = bs + 2;
		}
	}
	return n;
}

static inline int needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

int wf_json_escape(struct wf_buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *e = p + n;
	char *o;
	/* Invariant: from o on there is room for the rest of the input as it
	 * is and the closing quote, so a 16-byte store of a whole block fits;
	 * each escape (up to 6 bytes for one) reserves again. */
	int rc = wf_buf_reserve(out, n + 2);

	if (rc)
		return rc;
	o = out->p + out->len;
	*o++ = '"';
	for (;;) {
		unsigned char c;
#ifdef __SSE2__
		while (e - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* controls: below 0x20 and not negative (>= 0x80) */
			__m128i ctl = _mm_and_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
						    _mm_cmpgt_epi8(v, _mm_set1_epi8(-1)));
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
							      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))), ctl);
			unsigned bits = (unsigned)_mm_movemask_epi8(m);
			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (bits) {
				unsigned i = (unsigned)__builtin_ctz(bits);
				p += i;
				o += i;
				goto found;
			}
			p += 16;
			o += 16;
		}
#endif
		while (p < e && !needs_escape((unsigned char)*p))
			*o++ = *p++;
		if (p >= e)
			break;
#ifdef __SSE2__
found:
#endif
		c = (unsigned char)*p++;
		out->len = (size_t)(o - out->p);
		if ((rc = wf_buf_reserve(out, 6 + (size_t)(e - p) + 1)))
			return rc;
		o = out->p + out->len;
		o[0] = '\\';
		switch (c) {
		case '"': o[1] = '"'; o += 2; break;
		case '\\': o[1] = '\\'; o += 2; break;
		case '\n': o[1] = 'n'; o += 2; break;
		case '\r': o[1] = 'r'; o += 2; break;
		case '\t': o[1] = 't'; o += 2; break;
		case '\b': o[1] = 'b'; o += 2; break;
		case '\f': o[1] = 'f'; o += 2; break;
		default:
			o[1] = 'u';
			o[2] = '0';
			o[3] = '0';
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
	}
	*o++ = '"';
	out->len = (size_t)(o - out->p);
	return 0;
}

/* Compaction copies the input through in runs and cuts out insignificant
 * white space: a run is flushed to out only where white space is cut or an
 * object must be rearranged, so compact input costs one copy. Per open
 * object it keeps a record of each member (its key in the input, its span in
 * the output), so that repeated keys and sorting can be resolved by
 * rearranging the object's output once it is closed. */
struct mem {
	const char *k, *ke;	/* key contents, in the input */
	size_t start;		/* the key's opening quote, in out */
	size_t end;		/* end of the member's value, in out */
	int esc;
};

struct cctx {
	struct wf_buf *out;
	const char *run;	/* input from here on is copied through but not yet in out */
	struct mem *m;
	size_t nm, capm;
	int sorted;
	int rc;		/* negative errno from the buffer */
	struct wf_json_err *err;
	struct wf_buf t1, t2;	/* scratch for comparing escaped keys */
	struct wf_buf t3;	/* scratch of rearranging: a copy of the object, the order */
};

/* Where input byte p lands in out. */
static inline size_t opos(const struct cctx *c, const char *p)
{
	return c->out->len + (size_t)(p - c->run);
}

/* Move the run up to p into out. */
static inline int flush(struct cctx *c, const char *p)
{
	int rc = wf_buf_add(c->out, c->run, (size_t)(p - c->run));

	c->run = p;
	return rc;
}

static inline int is_ws(char ch)
{
	return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

static int key_cmp(struct cctx *c, const struct mem *a, const struct mem *b)
{
	size_t la, lb;
	int r;

	if (!a->esc && !b->esc) {
		la = (size_t)(a->ke - a->k);
		lb = (size_t)(b->ke - b->k);
		r = memcmp(a->k, b->k, la < lb ? la : lb);
		return r ? r : (la > lb) - (la < lb);
	}
	c->t1.len = c->t2.len = 0;
	if (wf_json_unescape(&c->t1, a->k, a->ke) || wf_json_unescape(&c->t2, b->k, b->ke))
		return 0;
	la = c->t1.len;
	lb = c->t2.len;
	r = la && lb ? memcmp(c->t1.p, c->t2.p, la < lb ? la : lb) : 0;	/* an empty key's p is NULL */
	return r ? r : (la > lb) - (la < lb);
}

static inline int key_eq(struct cctx *c, const struct mem *a, const struct mem *b)
{
	if (!a->esc && !b->esc)
		return a->ke - a->k == b->ke - b->k && !memcmp(a->k, b->k, (size_t)(a->ke - a->k));
	return key_cmp(c, a, b) == 0;
}

static uint64_t key_hash(struct cctx *c, const struct mem *m)
{
	const char *p = m->k, *e = m->ke;
	uint64_t h = 1469598103934665603ull;

	if (m->esc) {
		c->t1.len = 0;
		if (wf_json_unescape(&c->t1, p, e))
			return 0;	/* every such key collides: compared in full */
		p = c->t1.p;
		e = p + c->t1.len;
	}
	while (p < e)
		h = (h ^ (unsigned char)*p++) * 1099511628211ull;
	return h;
}

/* Whether two of the members m[0..n) have the same key: 1, 0, or -ENOMEM.
 * A few members are compared pairwise, more through a hash table. */
static int has_dup(struct cctx *c, const struct mem *m, size_t n)
{
	size_t i, j, size, mask, *tab;
	uint64_t *hash;
	int dup = 0;

	if (n <= 8) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (key_eq(c, &m[i], &m[j]))
					return 1;
		return 0;
	}
	for (size = 16; size < 2 * n; size *= 2)
		;
	mask = size - 1;
	c->t3.len = 0;
	if (wf_buf_reserve(&c->t3, size * sizeof *tab + n * sizeof *hash))
		return -ENOMEM;
	tab = (size_t *)(void *)c->t3.p;
	hash = (uint64_t *)(void *)(tab + size);
	memset(tab, 0, size * sizeof *tab);
	for (i = 0; i < n && !dup; i++) {
		size_t slot;
		hash[i] = key_hash(c, &m[i]);
		for (slot = hash[i] & mask; tab[slot]; slot = (slot + 1) & mask) {
			j = tab[slot] - 1;
			if (hash[j] == hash[i] && key_eq(c, &m[j], &m[i])) {
				dup = 1;
				break;
			}
		}
		tab[slot] = i + 1;
	}
	return dup;
}

/* Stable sort of the members m[0..n) by key: insertion sort for a few,
 * merge sort (through tmp, room for n) for more. */
static void sort_members(struct cctx *c, struct mem *m, size_t n, struct mem *tmp)
{
	size_t i, j, w;

	if (n <= 16 || !tmp) {
		for (i = 1; i < n; i++) {
			struct mem x = m[i];
			for (j = i; j > 0 && key_cmp(c, &m[j - 1], &x) > 0; j--)
				m[j] = m[j - 1];
			m[j] = x;
		}
		return;
	}
	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			size_t a = i, am = i + w < n ? i + w : n, b = am, bm = i + 2 * w < n ? i + 2 * w : n;
			size_t k = i;
			while (a < am && b < bm)
				tmp[k++] = key_cmp(c, &m[b], &m[a]) < 0 ? m[b++] : m[a++];
			while (a < am)
				tmp[k++] = m[a++];
			while (b < bm)
				tmp[k++] = m[b++];
		}
		memcpy(m, tmp, n * sizeof *m);
	}
}

/* Rearrange the object written at out[from..) whose members are m[0..n):
 * sorted, or with each repeated key's last value in its first place. */
static int rearrange(struct cctx *c, size_t from, struct mem *m, size_t n)
{
	struct wf_buf *out = c->out;
	size_t len = out->len - from, i, j, nkeep = 0, *order;
	char *copy;

	c->t3.len = 0;
	if (wf_buf_reserve(&c->t3, len + n * (sizeof *order + sizeof *m) + 2 * sizeof(size_t)))
		return -ENOMEM;
	/* aligned pieces of the scratch: the order, the sort's room, the copy */
	order = (size_t *)(void *)c->t3.p;
	copy = c->t3.p + n * (sizeof *order + sizeof *m);
	memcpy(copy, out->p + from, len);
	if (c->sorted) {
		sort_members(c, m, n, (struct mem *)(void *)(order + n));
		/* equal keys are adjacent, in input order: keep the last of each run */
		for (i = 0; i < n; i++)
			if (i + 1 == n || key_cmp(c, &m[i], &m[i + 1]) != 0)
				order[nkeep++] = i;
	} else {
		/* a repeated key keeps its first place and its last value */
		for (i = 0; i < n; i++) {
			size_t last = i;
			int seen = 0;
			for (j = 0; j < i; j++)
				if (key_eq(c, &m[j], &m[i])) {
					seen = 1;
					break;
				}
			if (seen)
				continue;
			for (j = i + 1; j < n; j++)
				if (key_eq(c, &m[i], &m[j]))
					last = j;
			/* take the last value under the first key's place */
			m[i].end = m[last].end;
			m[i].start = m[last].start;
			order[nkeep++] = i;
		}
	}
	out->len = from;
	out->p[out->len++] = '{';
	for (i = 0; i < nkeep; i++) {
		const struct mem *x = &m[order[i]];
		if (i)
			out->p[out->len++] = ',';
		memcpy(out->p + out->len, copy + (x->start - from), x->end - x->start);
		out->len += x->end - x->start;
	}
	out->p[out->len++] = '}';
	return 0;
}

/* Skip white space at p, cutting it out of the output. */
#define CUT_WS(p) do { \
	if ((p) < e && is_ws(*(p))) { \
		if ((rc = flush(c, p))) \
			goto nobuf; \
		(p) = wf_json_ws(p, e); \
		c->run = (p); \
	} \
} while (0)

static const char *compact(struct cctx *c, const char *p, const char *e, int depth)
{
	struct wf_json_err *err = c->err;
	const char *q;
	int esc, rc;

	if (p >= e)
		FAIL(p, "unexpected end of input");
	switch (*p) {
	case '{': {
		size_t from = opos(c, p), base = c->nm, n;
		if (depth >= WF_JSON_MAX_DEPTH)
			FAIL(p, "nested too deeply");
		p++;
		CUT_WS(p);
		if (p < e && *p == '}')
			return p + 1;
		for (;;) {
			struct mem *mm;
			if (p >= e || *p != '"')
				FAIL(p, "expected a string key");
			q = wf_json_string(p, e, &esc, err);
			if (!q)
				return NULL;
			if (c->nm == c->capm) {
				size_t k = c->capm ? c->capm * 2 : 32;
				struct mem *x = realloc(c->m, k * sizeof *x);
				if (!x) {
					rc = -ENOMEM;
					goto nobuf;
				}
				c->m = x;
				c->capm = k;
			}
			mm = &c->m[c->nm++];
			mm->k = p + 1;
			mm->ke = q - 1;
			mm->esc = esc;
			mm->start = opos(c, p);
			p = q;
			CUT_WS(p);
			if (p >= e || *p != ':')
				FAIL(p, "expected ':'");
			p++;
			CUT_WS(p);
			p = compact(c, p, e, depth + 1);
			if (!p)
				return NULL;
			/* nested objects pushed and popped their own records above ours */
			c->m[c->nm - 1].end = opos(c, p);
			CUT_WS(p);
			if (p < e && *p == ',') {
				p++;
				CUT_WS(p);
				continue;
			}
			if (p < e && *p == '}')
				break;
			FAIL(p, "expected ',' or '}'");
		}
		p++;
		n = c->nm - base;
		c->nm = base;
		if (n >= 2) {
			if (!c->sorted && (rc = has_dup(c, c->m + base, n)) <= 0) {
				if (rc < 0)
					goto nobuf;
				return p;
			}
			if ((rc = flush(c, p)) || (rc = rearrange(c, from, c->m + base, n)))
				goto nobuf;
		}
		return p;
	}
	case '[':
		if (depth >= WF_JSON_MAX_DEPTH)
			FAIL(p, "nested too deeply");
		p++;
		CUT_WS(p);
		if (p < e && *p == ']')
			return p + 1;
		for (;;) {
			p = compact(c, p, e, depth + 1);
			if (!p)
				return NULL;
			CUT_WS(p);
			if (p < e && *p == ',') {
				p++;
				CUT_WS(p);
				continue;
			}
			if (p < e && *p == ']')
				break;
			FAIL(p, "expected ',' or ']'");
		}
		return p + 1;
	case '"':
		return wf_json_string(p, e, &esc, err);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return number_end(p, e, err);
	default:
		return literal_end(p, e, err);
	}
nobuf:
	c->rc = rc;
	FAIL(p, "out of buffer space");
}

int wf_json_compact(struct wf_buf *out, const char *p, const char *e, int sorted,
		    struct wf_json_err *err)
{
	struct cctx c = { .out = out, .sorted = sorted, .err = err };
	size_t from = out->len;
	const char *q;
	int ok = 1;

	wf_buf_init(&c.t1, (size_t)-1);
	wf_buf_init(&c.t2, (size_t)-1);
	wf_buf_init(&c.t3, (size_t)-1);
	p = wf_json_ws(p, e);
	c.run = p;
	q = compact(&c, p, e, 0);
	if (!q) {
		ok = c.rc ? c.rc : 0;
	} else if (wf_json_ws(q, e) != e) {
		if (err) {
			err->at = wf_json_ws(q, e);
			err->msg = "unexpected data after the value";
		}
		ok = 0;
	} else if ((ok = flush(&c, q)) == 0) {
		ok = 1;
	}
	if (ok != 1)
		out->len = from;
	free(c.m);
	wf_buf_free(&c.t1);
	wf_buf_free(&c.t2);
	wf_buf_free(&c.t3);
	return ok;
}

int wf_json_next(const char **pp, const char *e, struct wf_json_member *m)
{
	const char *p = wf_json_ws(*pp, e);
	int esc;

	if (p >= e)
		return 0;
	if (*p == '{' || *p == ',')
		p = wf_json_ws(p + 1, e);
	if (p >= e || *p != '"')
		return 0;
	m->k = p + 1;
	p = wf_json_string(p, e, &esc, NULL);
	m->ke = p - 1;
	m->kesc = esc;
	p = wf_json_ws(p, e);
	p = wf_json_ws(p + 1, e);	/* ':' */
	m->v = p;
	m->ve = wf_json_skip(p, e, NULL);
	*pp = wf_json_ws(m->ve, e);
	return 1;
}

int wf_json_key_is(const struct wf_json_member *m, const char *s)
{
	size_t n = strlen(s);

	if (!m->kesc)
		return (size_t)(m->ke - m->k) == n && !memcmp(m->k, s, n);
	{
		struct wf_buf b;
		int r;
		wf_buf_init(&b, (size_t)-1);
		r = !wf_json_unescape(&b, m->k, m->ke) && b.len == n && !memcmp(b.p, s, n);
		wf_buf_free(&b);
		return r;
	}
}

int wf_json_get(const char *obj, const char *e, const char *key, const char **v, const char **ve)
{
	struct wf_json_member m;
	const char *p = wf_json_ws(obj, e);
	int found = 0;

	if (p >= e || *p != '{')
		return 0;
	while (wf_json_next(&p, e, &m))
		if (wf_json_key_is(&m, key)) {
			*v = m.v;
			*ve = m.ve;
			found = 1;	/* the last one wins */
		}
	return found;
}

int wf_json_int(const char *v, const char *ve, long long *out)
{
	long long x = 0;
	int neg = 0;

	if (v < ve && *v == '-') {
		neg = 1;
		v++;
	}
	if (v >= ve)
		return 0;
	for (; v < ve; v++) {
		if (*v < '0' || *v > '9')
			return 0;
		if (x > (LLONG_MAX - 9) / 10)
			return 0;
		x = x * 10 + (*v - '0');
	}
	*out = neg ? -x : x;
	return 1;
}
