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

/* A bit per byte of p[0..32) that is '"', '\\', a control or, with high,
 * >= 0x80. */
static inline __attribute__((always_inline)) uint32_t special32(const char *p, int high)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
	__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	/* signed: bytes >= 0x80 are negative, so below 0x20 too */
	__m128i c0 = _mm_cmplt_epi8(v0, sp), c1 = _mm_cmplt_epi8(v1, sp);
	__m128i m0, m1;

	if (!high) {
		c0 = _mm_andnot_si128(_mm_cmplt_epi8(v0, _mm_setzero_si128()), c0);
		c1 = _mm_andnot_si128(_mm_cmplt_epi8(v1, _mm_setzero_si128()), c1);
	}
	m0 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v0, q), _mm_cmpeq_epi8(v0, b)), c0);
	m1 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v1, q), _mm_cmpeq_epi8(v1, b)), c1);
	return (uint32_t)_mm_movemask_epi8(m0) | (uint32_t)_mm_movemask_epi8(m1) << 16;
#else
	uint32_t bits = 0;
	unsigned i;
	for (i = 0; i < 32; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\' || c < 0x20 || (high && c >= 0x80))
			bits |= (uint32_t)1 << i;
	}
	return bits;
#endif
}

/* A bit per byte of p[0..32) that is '"' or '\\'. */
static inline uint32_t quote32(const char *p)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
	__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	__m128i m0 = _mm_or_si128(_mm_cmpeq_epi8(v0, q), _mm_cmpeq_epi8(v0, b));
	__m128i m1 = _mm_or_si128(_mm_cmpeq_epi8(v1, q), _mm_cmpeq_epi8(v1, b));
	return (uint32_t)_mm_movemask_epi8(m0) | (uint32_t)_mm_movemask_epi8(m1) << 16;
#else
	uint32_t bits = 0;
	unsigned i;
	for (i = 0; i < 32; i++)
		if (p[i] == '"' || p[i] == '\\')
			bits |= (uint32_t)1 << i;
	return bits;
#endif
}

/* The bytes of p[0..32) by kind, a bit each: backslashes, quotes,
 * controls (below 0x20) and high bytes (>= 0x80). */
struct kinds {
	uint32_t b, q, c, h;
};

static inline __attribute__((always_inline)) void classify32(const char *p, struct kinds *k)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
	__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));

	k->b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, b)) |
	       (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, b)) << 16;
	k->q = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, q)) |
	       (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, q)) << 16;
	k->h = (uint32_t)_mm_movemask_epi8(v0) | (uint32_t)_mm_movemask_epi8(v1) << 16;
	/* signed: high bytes are below 0x20 too */
	k->c = ((uint32_t)_mm_movemask_epi8(_mm_cmplt_epi8(v0, sp)) |
		(uint32_t)_mm_movemask_epi8(_mm_cmplt_epi8(v1, sp)) << 16) & ~k->h;
#else
	unsigned i;
	k->b = k->q = k->c = k->h = 0;
	for (i = 0; i < 32; i++) {
		unsigned char ch = (unsigned char)p[i];
		uint32_t bit = (uint32_t)1 << i;
		if (ch == '\\')
			k->b |= bit;
		else if (ch == '"')
			k->q |= bit;
		else if (ch < 0x20)
			k->c |= bit;
		else if (ch >= 0x80)
			k->h |= bit;
	}
#endif
}

/* Each hex digit's value plus one; 0 marks every other byte. */
/* 32 bytes from p to o, before the scan says how many of them to keep */
static inline void copy32(char *o, const char *p)
{
#ifdef __SSE2__
	_mm_storeu_si128((__m128i *)(void *)o, _mm_loadu_si128((const __m128i *)(const void *)p));
	_mm_storeu_si128((__m128i *)(void *)(o + 16), _mm_loadu_si128((const __m128i *)(const void *)(p + 16)));
#else
	memcpy(o, p, 32);
#endif
}

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

/* The string scanner from p inside the string that opens at start; with
 * utf8 0 the text is known to be valid UTF-8. Sets *esc at an escape. */
static inline __attribute__((always_inline)) const char *
scan_from(const char *start, const char *p, const char *e, int *esc, struct wf_json_err *err,
	  int utf8)
{
	/* 32 bytes at a time. A block whose backslashes stand apart, all
	 * followed by a valid simple escape, takes its closing quote from the
	 * masks and checks only its UTF-8 sequences one by one; any other
	 * block handles each special byte in turn (the errors come from there) */
	while (e - p >= 32) {
		struct kinds k;
		uint32_t bits, escd, end, before, x;
		const char *q, *next;
		size_t i;

		classify32(p, &k);
		if (!(k.b | k.q | k.c | (utf8 ? k.h : 0))) {
			p += 32;
			continue;
		}
		if (k.b & (k.b << 1))
			goto each;	/* runs of backslashes */
		escd = k.b << 1;	/* the bytes escaped (within the block) */
		end = k.q & ~escd;
		before = end ? (end & -end) - 1 : ~(uint32_t)0;
		if (k.c & before)
			goto each;
		/* escaped bytes other than quotes must be simple escapes */
		for (x = escd & ~k.q & before; x; x &= x - 1)
			if (esc_tab[(unsigned char)p[__builtin_ctz(x)]] <= 1)
				goto each;
		next = p + 32;
		if (!end && (k.b >> 31)) {
			/* the last byte escapes the first of the next block */
			if (e - p < 33 || esc_tab[(unsigned char)p[32]] <= 1)
				goto each;
			next = p + 33;
		}
		if (utf8 && (x = k.h & before)) {
			/* x holds lead and continuation bytes: each sequence
			 * clears its own bits */
			while (x) {
				size_t len;
				i = (size_t)__builtin_ctz(x);
				len = utf8_len(p + i, e);
				if (!len)
					goto each;
				if (i + len >= 32) {
					next = p + i + len;	/* cannot meet a quote or backslash */
					break;
				}
				x &= ~(uint32_t)0 << (i + len);
			}
		}
		if (k.b & before)
			*esc = 1;
		if (end)
			return p + __builtin_ctz(end) + 1;
		p = next;
		continue;
each:
		bits = k.b | k.q | k.c | (utf8 ? k.h : 0);
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
		if (c == '\\' || c < 0x20 || (utf8 && c >= 0x80)) {
			p = string_special(p, e, start, esc, err);
			if (!p)
				return NULL;
		} else {
			p++;
		}
	}
	FAIL(start, "unterminated string");
}

static inline __attribute__((always_inline)) const char *
scan_string(const char *p, const char *e, int *esc, struct wf_json_err *err, int utf8)
{
	*esc = 0;
	return scan_from(p, p + 1, e, esc, err, utf8);
}

static __attribute__((noinline)) const char *
string_any(const char *p, const char *e, int *esc, struct wf_json_err *err)
{
	return scan_string(p, e, esc, err, 1);
}

static __attribute__((noinline)) const char *
string_known_utf8(const char *p, const char *e, int *esc, struct wf_json_err *err)
{
	return scan_string(p, e, esc, err, 0);
}

/* Most strings are short and plain: their closing quote is the first
 * special byte of the 32 after the opening one. That case costs no call. */
static inline __attribute__((always_inline)) const char *
string_inline(const char *p, const char *e, int *esc, struct wf_json_err *err, int utf8)
{
	if (e - p > 32) {
		uint32_t bits = special32(p + 1, utf8);
		if (bits && p[1 + __builtin_ctz(bits)] == '"') {
			*esc = 0;
			return p + 2 + __builtin_ctz(bits);
		}
	}
	return utf8 ? string_any(p, e, esc, err) : string_known_utf8(p, e, esc, err);
}

const char *wf_json_string(const char *p, const char *e, int *esc, struct wf_json_err *err)
{
	return string_inline(p, e, esc, err, 1);
}

/* wf_json_string for text known to be valid UTF-8. */
static inline const char *string_utf8(const char *p, const char *e, int *esc, struct wf_json_err *err)
{
	return string_inline(p, e, esc, err, 0);
}

static inline int is_ws(char ch)
{
	unsigned char c = (unsigned char)ch;

	/* ' ', '\n', '\r', '\t' as bits of one word */
	return c <= ' ' && ((1ull << c) & (1ull << ' ' | 1ull << '\n' | 1ull << '\r' | 1ull << '\t'));
}

/* p at white space: the first byte after the run. */
static const char *ws_run(const char *p, const char *e)
{
#ifdef __SSE2__
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
						      _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
					 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
						      _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
		unsigned bits = ~(unsigned)_mm_movemask_epi8(m) & 0xffff;
		if (bits)
			return p + __builtin_ctz(bits);
		p += 16;
	}
#endif
	while (p < e && is_ws(*p))
		p++;
	return p;
}

/* ws_run for a line break and its indentation (pretty text) without a call. */
static inline const char *ws_indent(const char *p, const char *e)
{
#ifdef __SSE2__
	if (*p == '\n' && e - p >= 17) {
		unsigned nz = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(p + 1)), _mm_set1_epi8(' '))) & 0xffff;
		if (nz && !is_ws(p[1 + __builtin_ctz(nz)]))
			return p + 1 + __builtin_ctz(nz);
	}
#endif
	return ws_run(p, e);
}

/* wf_json_ws, with long runs (indentation) 16 bytes at a time. */
static inline const char *ws(const char *p, const char *e)
{
	return p < e && is_ws(*p) ? ws_run(p, e) : p;
}

/* The first byte at or after p that is not a digit. */
static inline const char *digits(const char *p, const char *e)
{
#ifdef __SSE2__
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
					  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
		unsigned bits = ~(unsigned)_mm_movemask_epi8(m) & 0xffff;
		if (bits)
			return p + __builtin_ctz(bits);
		p += 16;
	}
#endif
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* The end of a string in validated text: only quotes and backslashes count. */
static const char *valid_string(const char *p, const char *e, int *esc)
{
	p++;
	*esc = 0;
	while (e - p >= 32) {
		uint32_t bits = quote32(p);
		size_t i = 32;

		while (bits) {
			i = (size_t)__builtin_ctz(bits);
			if (p[i] == '"')
				return p + i + 1;
			*esc = 1;
			i += 2;
			if (i >= 32)
				break;
			bits &= ~(uint32_t)0 << i;
		}
		p += bits ? i : 32;
	}
	while (p < e) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\')
			*esc = 1, p++;
		p++;
	}
	return e;
}

/* The end of a number or literal in validated text: a number is the run of
 * the bytes numbers are made of. */
static inline const char *valid_scalar(const char *p, const char *e)
{
	switch (*p) {
	case 't': case 'n':
		return p + 4;
	case 'f':
		return p + 5;
	}
#ifdef __SSE2__
	if (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(
			_mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
						   _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))),
				     _mm_cmpeq_epi8(v, _mm_set1_epi8('.'))),
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('e')),
						  _mm_cmpeq_epi8(v, _mm_set1_epi8('E'))),
				     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')),
						  _mm_cmpeq_epi8(v, _mm_set1_epi8('-')))));
		unsigned len = (unsigned)__builtin_ctz(~(unsigned)_mm_movemask_epi8(m) | 0x10000u);
		if (len < 16)
			return p + len;
	}
#endif
	for (;;) {
		p = digits(p, e);
		if (p < e && (*p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E'))
			p++;
		else
			return p;
	}
}

/* A number of the common forms -?(0|[1-9][0-9]*)(.[0-9]+)? within 16 bytes,
 * from masks: its end, or NULL for number_end to decide (and report). */
static inline const char *number_fast(const char *p, const char *e)
{
#ifdef __SSE2__
	__m128i v;
	unsigned d, dot, other, tok, len, s0;

	if (e - p < 16)
		return NULL;
	v = _mm_loadu_si128((const __m128i *)(const void *)p);
	d = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
						      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
	dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
	other = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('e')), _mm_cmpeq_epi8(v, _mm_set1_epi8('E'))),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')))));
	s0 = *p == '-';
	/* the token: digits and dots after an optional leading minus */
	len = (unsigned)__builtin_ctz(~(d | dot | other) | 0x10000u);
	if (len == 16)
		return NULL;	/* longer: number_end */
	tok = (1u << len) - 1;
	if ((other & tok) != s0 || len == s0)
		return NULL;	/* an exponent, a sign inside, or a lone '-' */
	dot &= tok;
	if (dot & (dot - 1))
		return NULL;
	if (dot && (dot < (2u << s0) || dot << 1 == (tok + 1)))
		return NULL;	/* no digit before or after the dot */
	if (p[s0] == '0' && len > s0 + 1 && p[s0 + 1] != '.')
		return NULL;	/* a leading zero */
	return p + len;
#else
	(void)p;
	(void)e;
	return NULL;
#endif
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
		p = digits(p, e);
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			FAIL(s, "bad number");
		p = digits(p, e);
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			FAIL(s, "bad number");
		p = digits(p, e);
	}
	return p;
}

static const char *literal_end(const char *p, const char *e, struct wf_json_err *err)
{
	size_t n = (size_t)(e - p);

	switch (*p) {
	case 't':
		if (n >= 4 && !memcmp(p, "true", 4))
			return p + 4;
		break;
	case 'f':
		if (n >= 5 && !memcmp(p, "false", 5))
			return p + 5;
		break;
	case 'n':
		if (n >= 4 && !memcmp(p, "null", 4))
			return p + 4;
		break;
	}
	FAIL(p, "unexpected character");
}

/* A value that is not an object or array: a number or a literal. */
static inline const char *scalar_end(const char *p, const char *e, struct wf_json_err *err)
{
	if (p >= e)
		FAIL(p, "unexpected end of input");
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		const char *q = number_fast(p, e);
		return q ? q : number_end(p, e, err);
	}
	return literal_end(p, e, err);
}

static const char *skip(const char *p, const char *e, int depth, struct wf_json_err *err)
{
	int esc;

	if (p >= e)
		FAIL(p, "unexpected end of input");
	switch (*p) {
	case '"':
		return string_inline(p, e, &esc, err, 1);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		if (depth >= WF_JSON_MAX_DEPTH)
			FAIL(p, "nested too deeply");
		p = ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (p >= e || *p != '"')
					FAIL(p, "expected a string key");
				p = string_inline(p, e, &esc, err, 1);
				if (!p)
					return NULL;
				p = ws(p, e);
				if (p >= e || *p != ':')
					FAIL(p, "expected ':'");
				p = ws(p + 1, e);
			}
			/* scalars here, only containers by recursion */
			if (p < e && *p == '"')
				p = string_inline(p, e, &esc, err, 1);
			else if (p < e && (*p == '{' || *p == '['))
				p = skip(p, e, depth + 1, err);
			else
				p = scalar_end(p, e, err);
			if (!p)
				return NULL;
			p = ws(p, e);
			if (p < e && *p == ',') {
				p = ws(p + 1, e);
				continue;
			}
			if (p < e && *p == close)
				return p + 1;
			FAIL(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
	default:
		return scalar_end(p, e, err);
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
			unsigned i, k, next;
			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (!bits) {
				s += 16;
				o += 16;
				continue;
			}
			if (se - s < 48) {
				i = (unsigned)__builtin_ctz(bits);
				s += i;
				o += i;
				goto escape;
			}
			/* the simple escapes of a block in place: each one's byte,
			 * then the input after it stored again (k bytes behind) */
			if (!(bits & (bits << 1)) &&
			    !((bits << 1) & (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('u')))) &&
			    !((bits >> 15) && s[16] == 'u')) {
				/* no two backslashes together, no \u: every one
				 * starts a simple escape */
				k = 0;
				do {
					i = (unsigned)__builtin_ctz(bits);
					o[i - k] = (char)esc_tab[(unsigned char)s[i + 1]];
					_mm_storeu_si128((__m128i *)(void *)(o + i - k + 1),
							 _mm_loadu_si128((const __m128i *)(const void *)(s + i + 2)));
					k++;
					bits &= bits - 1;
				} while (bits);
				next = 16 + (i == 15);
				s += next;
				o += next - k;
				continue;
			}
			k = 0;
			next = 16;
			do {
				i = (unsigned)__builtin_ctz(bits);
				if (s[i + 1] == 'u') {
					s += i;
					o += i - k;
					goto escape;
				}
				o[i - k] = (char)esc_tab[(unsigned char)s[i + 1]];
				_mm_storeu_si128((__m128i *)(void *)(o + i - k + 1),
						 _mm_loadu_si128((const __m128i *)(const void *)(s + i + 2)));
				k++;
				bits &= ~(3u << i);	/* an escaped backslash is no escape */
				if (i + 2 > next)
					next = i + 2;
			} while (bits);
			s += next;
			o += next - k;
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

const char *wf_json_string_text(const char *p, const char *e, struct wf_buf *out, int *esc,
				struct wf_json_err *err)
{
	const char *start = p, *q;
	char *o = out->p + out->len;
	int escaped = 0;

	p++;
	/* 32 bytes at a time, stored whole; each escape writes what it stands
	 * for and stores the input after it again, sh bytes further back.
	 * Loads and stores stay within e: the output is never longer. */
	while (e - p >= 80) {
		struct kinds k;
		uint32_t bits;
		size_t i, next, sh = 0;

		classify32(p, &k);
		copy32(o, p);
		bits = k.b | k.q | k.c | k.h;
		while (bits) {
			unsigned char c;
			i = (size_t)__builtin_ctz(bits);
			q = p + i;
			c = (unsigned char)*q;
			if (c == '"') {
				out->len = (size_t)(o + i - sh - out->p);
				*esc = escaped;
				return q + 1;
			}
			if (c == '\\') {
				uint32_t cp;
				size_t used, put;
				unsigned char d = esc_tab[(unsigned char)q[1]];
				escaped = 1;
				if (d > 1) {
					/* the common case: a simple escape */
					o[i - sh] = (char)d;
					sh++;
					next = i + 2;
					goto restore;
				}
				switch (d) {
				case 0:
					FAIL(q, "bad escape in string");
				case 1:
					if (!hex4_ok(q + 2))
						FAIL(q, "bad \\u escape in string");
					if (q[6] == '\\' && q[7] == 'u' && !hex4_ok(q + 8)) {
						/* the next escape is bad: an error follows */
						cp = 0xfffd;
						used = 6;
					} else {
						used = (size_t)(unescape_u(q, e, &cp) - q);
					}
					put = wf_utf8_put(cp, o + i - sh);
				}
				sh += used - put;
				next = i + used;
restore:
#ifdef __SSE2__
				_mm_storeu_si128((__m128i *)(void *)(o + next - sh),
						 _mm_loadu_si128((const __m128i *)(const void *)(p + next)));
				_mm_storeu_si128((__m128i *)(void *)(o + next - sh + 16),
						 _mm_loadu_si128((const __m128i *)(const void *)(p + next + 16)));
#else
				memcpy(o + next - sh, p + next, 32);
#endif
			} else if (c < 0x20) {
				FAIL(q, "control character in string");
			} else {
				size_t len = utf8_len(q, e);
				if (!len)
					FAIL(q, "invalid UTF-8 in string");
				next = i + len;
				if (next > 32)
					memcpy(o + i - sh, q, len);	/* past what was stored */
			}
			if (next >= 32) {
				p += next;
				o += next - sh;
				goto next_block;
			}
			bits &= ~(uint32_t)0 << next;
		}
		p += 32;
		o += 32 - sh;
next_block:;
	}
	/* the last bytes: up to each special byte, 32 at a time while there are
	 * 32 (stored whole: the output is never longer), then one by one */
	while (p < e) {
		unsigned char c;
		if (e - p >= 32) {
			uint32_t bits = special32(p, 1);
			copy32(o, p);
			if (!bits) {
				p += 32;
				o += 32;
				continue;
			}
			p += __builtin_ctz(bits);
			o += __builtin_ctz(bits);
		}
		c = (unsigned char)*p;
		if (c == '"') {
			out->len = (size_t)(o - out->p);
			*esc = escaped;
			return p + 1;
		}
		if (c != '\\' && c >= 0x20 && c < 0x80) {
			*o++ = *p++;
			continue;
		}
		q = string_special(p, e, start, &escaped, err);
		if (!q)
			return NULL;
		if (c != '\\') {
			memcpy(o, p, (size_t)(q - p));	/* a UTF-8 sequence */
			o += q - p;
		} else if (p[1] != 'u') {
			*o++ = (char)esc_tab[(unsigned char)p[1]];
		} else {
			uint32_t cp;
			if (e - q >= 6 && q[0] == '\\' && q[1] == 'u' && !hex4_ok(q + 2)) {
				cp = 0xfffd;	/* the next escape is bad: an error follows */
			} else {
				q = unescape_u(p, e, &cp);
			}
			o += wf_utf8_put(cp, o);
		}
		p = q;
	}
	FAIL(start, "unterminated string");
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

/* Append p[0..n) escaped as the contents of a JSON string. */
static int escape_body(struct wf_buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *e = p + n;
	char *o;
	/* Invariant: from o on there is room for the rest of the input as it
	 * is, so a 16-byte store of a whole block fits; each escape (up to 6
	 * bytes for one) reserves again. */
	int rc = wf_buf_reserve(out, n);

	if (rc)
		return rc;
	o = out->p + out->len;
	for (;;) {
		unsigned char c;
#ifdef __SSE2__
		while (e - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* controls: below 0x20 and not negative (>= 0x80) */
			__m128i ctl = _mm_and_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
						    _mm_cmpgt_epi8(v, _mm_set1_epi8(-1)));
			__m128i qb = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
						  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
			unsigned bits = (unsigned)_mm_movemask_epi8(qb), ctlbits, i, k;

			if (!bits || _mm_movemask_epi8(ctl) || e - p < 32) {
				ctlbits = (unsigned)_mm_movemask_epi8(ctl);
				bits |= ctlbits;
				_mm_storeu_si128((__m128i *)(void *)o, v);
				if (bits) {
					i = (unsigned)__builtin_ctz(bits);
					p += i;
					o += i;
					goto found;
				}
				p += 16;
				o += 16;
				continue;
			}
			/* only quotes and backslashes: each gets its backslash in
			 * place, then the input from it is stored again after
			 * (k bytes ahead); room for the rest and one per escape */
			if (out->cap - (size_t)(o - out->p) < (size_t)(e - p) + 16) {
				unsigned x = bits - ((bits >> 1) & 0x5555);
				x = (x & 0x3333) + ((x >> 2) & 0x3333);
				x = (x + (x >> 4)) & 0x0f0f;
				x = (x + (x >> 8)) & 0x1f;	/* the number of escapes */
				out->len = (size_t)(o - out->p);
				if ((rc = wf_buf_reserve(out, (size_t)(e - p) + x)))
					return rc;
				o = out->p + out->len;
			}
			_mm_storeu_si128((__m128i *)(void *)o, v);
			k = 0;
			do {
				i = (unsigned)__builtin_ctz(bits);
				o[i + k] = '\\';
				_mm_storeu_si128((__m128i *)(void *)(o + i + k + 1),
						 _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
				k++;
				bits &= bits - 1;
			} while (bits);
			p += 16;
			o += 16 + k;
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
		if ((rc = wf_buf_reserve(out, 6 + (size_t)(e - p))))
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
	out->len = (size_t)(o - out->p);
	return 0;
}

int wf_json_escape(struct wf_buf *out, const char *p, size_t n)
{
	int rc = wf_buf_reserve(out, n + 2);

	if (rc)
		return rc;
	out->p[out->len++] = '"';
	if ((rc = escape_body(out, p, n)))
		return rc;
	return wf_buf_addc(out, '"');
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
	uint32_t fp;		/* length and some bytes of an unescaped key */
};

/* Keys with different fingerprints differ (unless one has escapes). */
static inline uint32_t key_fp(const char *k, const char *ke)
{
	size_t n = (size_t)(ke - k);

	if (!n)
		return 0;
	return (uint32_t)(n & 0xff) | (uint32_t)(unsigned char)k[0] << 8 |
	       (uint32_t)(unsigned char)k[n / 2] << 16 | (uint32_t)(unsigned char)ke[-1] << 24;
}

struct cctx {
	struct wf_buf *out;
	const char *run;	/* input from here on is copied through but not yet in out */
	struct mem *m;		/* starts on the caller's stack, capm of them */
	struct mem *m_stack;
	size_t nm, capm;
	int sorted;
	int valid;		/* the text was validated before: only find the ends */
	int utf8;		/* the text is known to be valid UTF-8 */
	int escape;		/* the output is escaped as a string's contents */
	const char *end;	/* of the input */
	int rc;		/* negative errno from the buffer */
	struct wf_json_err *err;
	struct wf_buf t1, t2;	/* scratch for comparing escaped keys */
	struct wf_buf t3;	/* scratch of rearranging: a copy of the object, the order */
	struct wf_buf t4;	/* scratch of an escaped object rearranged */
};

/* Where input byte p lands in out. */
static inline size_t opos(const struct cctx *c, const char *p)
{
	return c->out->len + (size_t)(p - c->run);
}

/* Move the run up to p into out. */
static inline int flush(struct cctx *c, const char *p)
{
	struct wf_buf *o = c->out;
	size_t n = (size_t)(p - c->run);
	int rc = 0;

	if (c->escape) {
		rc = escape_body(o, c->run, n);
	} else if (n <= 32 && o->cap - o->len >= 32 && c->end - c->run >= 32) {
		/* a short run (between white space) as two 16-byte copies */
#ifdef __SSE2__
		_mm_storeu_si128((__m128i *)(void *)(o->p + o->len),
				 _mm_loadu_si128((const __m128i *)(const void *)c->run));
		_mm_storeu_si128((__m128i *)(void *)(o->p + o->len + 16),
				 _mm_loadu_si128((const __m128i *)(const void *)(c->run + 16)));
#else
		memcpy(o->p + o->len, c->run, 32);
#endif
		o->len += n;
	} else {
		rc = wf_buf_add(o, c->run, n);
	}
	c->run = p;
	return rc;
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
		return a->fp == b->fp && a->ke - a->k == b->ke - b->k &&
		       !memcmp(a->k, b->k, (size_t)(a->ke - a->k));
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
	size_t i, j, size, mask, *tab, tab_s[256];
	uint64_t *hash, hash_s[128];
	int dup = 0;

	if (n <= 16) {
		/* a bitmap of fingerprints first: most objects pass it */
		uint64_t seen[4] = { 0, 0, 0, 0 };
		for (i = 0; i < n; i++) {
			uint32_t h = (m[i].fp * 0x9e3779b1u) >> 24;
			if (m[i].esc || (seen[h >> 6] >> (h & 63) & 1))
				break;
			seen[h >> 6] |= (uint64_t)1 << (h & 63);
		}
		if (i == n)
			return 0;
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if ((m[i].fp == m[j].fp || m[i].esc || m[j].esc) && key_eq(c, &m[i], &m[j]))
					return 1;
		return 0;
	}
	for (size = 16; size < 2 * n; size *= 2)
		;
	mask = size - 1;
	if (size <= 256) {
		tab = tab_s;
		hash = hash_s;
	} else {
		c->t3.len = 0;
		if (wf_buf_reserve(&c->t3, size * sizeof *tab + n * sizeof *hash))
			return -ENOMEM;
		tab = (size_t *)(void *)c->t3.p;
		hash = (uint64_t *)(void *)(tab + size);
	}
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

static int compact_ex(struct wf_buf *out, const char *p, const char *e, unsigned flags,
		      struct wf_json_err *err, struct wf_buf *scratch);

/* The length of p..e escaped. */
static size_t escaped_len(const char *p, const char *e)
{
	size_t n = 0;

	for (; p < e; p++)
		n += 1 + needs_escape((unsigned char)*p) + 4 * ((unsigned char)*p < 0x20);
	return n;
}

/* An object with repeated keys in escaped output: it is compacted again,
 * rearranged, and escaped in the place of what was written of it. Its start
 * obj was in the run that began at run0 when out held len0 bytes. */
static int redo_escaped(struct cctx *c, size_t len0, const char *run0, const char *obj,
			const char *oe)
{
	int rc;

	if (c->run == run0) {
		/* nothing of it is in out yet: out gets the run up to it */
		if ((rc = flush(c, obj)))
			return rc;
	} else {
		c->out->len = len0 + escaped_len(run0, obj);
	}
	c->t4.len = 0;
	rc = compact_ex(&c->t4, obj, oe, WF_JSON_VALID, NULL, NULL);
	if (rc < 0)
		return rc;
	c->run = oe;
	return escape_body(c->out, c->t4.p, c->t4.len);
}

/* Skip white space at p, cutting it out of the output. */
#define CUT_WS(p) do { \
	if ((p) < e && is_ws(*(p))) { \
		if ((rc = flush(c, p))) \
			goto nobuf; \
		/* one space (as after ':' in pretty text) needs no scan */ \
		(p) = (p) + 1 < e && !is_ws((p)[1]) ? (p) + 1 : ws_indent(p, e); \
		c->run = (p); \
	} \
} while (0)

/* The modes of compaction, each a function of its own: validated text,
 * text known to be valid UTF-8, any text. */
enum { C_VALID, C_UTF8, C_ANY };

static const char *compact_valid(struct cctx *c, const char *p, const char *e, int depth);
static const char *compact_utf8(struct cctx *c, const char *p, const char *e, int depth);
static const char *compact_any(struct cctx *c, const char *p, const char *e, int depth);

#define STRING(p) (mode == C_VALID ? valid_string(p, e, &esc) : \
		   mode == C_UTF8 ? string_utf8(p, e, &esc, err) : string_inline(p, e, &esc, err, 1))
#define COMPACT(p) (mode == C_VALID ? compact_valid(c, p, e, depth + 1) : \
		    mode == C_UTF8 ? compact_utf8(c, p, e, depth + 1) : compact_any(c, p, e, depth + 1))
/* A member or element: scalars here, only containers by recursion. */
#define VALUE(p) ((p) < e && *(p) == '"' ? STRING(p) : \
		  (p) < e && (*(p) == '{' || *(p) == '[') ? COMPACT(p) : \
		  mode == C_VALID ? valid_scalar(p, e) : scalar_end(p, e, err))

static inline __attribute__((always_inline)) const char *
compact(struct cctx *c, const char *p, const char *e, int depth, int mode)
{
	struct wf_json_err *err = c->err;
	const char *q;
	int esc, rc;

	if (p >= e)
		FAIL(p, "unexpected end of input");
	switch (*p) {
	case '{': {
		const char *obj = p, *run0 = c->run;
		size_t len0 = c->out->len, from = opos(c, p), base = c->nm, n;
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
			q = STRING(p);
			if (!q)
				return NULL;
			if (c->nm == c->capm) {
				size_t k = c->capm * 2;
				struct mem *x = c->m == c->m_stack ? malloc(k * sizeof *x)
								   : realloc(c->m, k * sizeof *x);
				if (!x) {
					rc = -ENOMEM;
					goto nobuf;
				}
				if (c->m == c->m_stack)
					memcpy(x, c->m, c->nm * sizeof *x);
				c->m = x;
				c->capm = k;
			}
			mm = &c->m[c->nm++];
			mm->k = p + 1;
			mm->ke = q - 1;
			mm->esc = esc;
			mm->fp = key_fp(p + 1, q - 1);
			mm->start = opos(c, p);
			p = q;
			CUT_WS(p);
			if (p >= e || *p != ':')
				FAIL(p, "expected ':'");
			p++;
			CUT_WS(p);
			p = VALUE(p);
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
			if (c->escape)
				rc = redo_escaped(c, len0, run0, obj, p);
			else if (!(rc = flush(c, p)))
				rc = rearrange(c, from, c->m + base, n);
			if (rc)
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
			p = VALUE(p);
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
		return STRING(p);
	}
	if (mode == C_VALID)
		return valid_scalar(p, e);
	return scalar_end(p, e, err);
nobuf:
	c->rc = rc;
	FAIL(p, "out of buffer space");
}

static const char *compact_valid(struct cctx *c, const char *p, const char *e, int depth)
{
	return compact(c, p, e, depth, C_VALID);
}

static const char *compact_utf8(struct cctx *c, const char *p, const char *e, int depth)
{
	return compact(c, p, e, depth, C_UTF8);
}

static const char *compact_any(struct cctx *c, const char *p, const char *e, int depth)
{
	return compact(c, p, e, depth, C_ANY);
}

static int compact_ex(struct wf_buf *out, const char *p, const char *e, unsigned flags,
		      struct wf_json_err *err, struct wf_buf *scratch)
{
	struct mem m_stack[64];
	struct cctx c = { .out = out, .m = m_stack, .m_stack = m_stack, .capm = 64,
			  .sorted = !!(flags & WF_JSON_SORTED), .valid = !!(flags & WF_JSON_VALID),
			  .utf8 = !!(flags & WF_JSON_UTF8), .escape = !!(flags & WF_JSON_STRING),
			  .end = e, .err = err, .t1 = { .max = (size_t)-1 }, .t2 = { .max = (size_t)-1 },
			  .t3 = { .max = (size_t)-1 }, .t4 = { .max = (size_t)-1 } };
	size_t from = out->len;
	const char *q;
	int ok = 1;

	if (c.escape && c.sorted) {
		/* sorting rearranges every object: compact, then escape */
		struct wf_buf t, *b = scratch ? scratch : &t;
		if (!scratch)
			wf_buf_init(&t, (size_t)-1);
		b->len = 0;
		ok = compact_ex(b, p, e, flags & ~(unsigned)WF_JSON_STRING, err, NULL);
		if (ok == 1 && (ok = wf_json_escape(out, b->p, b->len)) == 0)
			ok = 1;
		if (!scratch)
			wf_buf_free(&t);
		if (ok != 1)
			out->len = from;
		return ok;
	}
	if (c.escape && (ok = wf_buf_addc(out, '"')) < 0)
		return ok;
	p = wf_json_ws(p, e);
	c.run = p;
	q = c.valid ? compact_valid(&c, p, e, 0) : c.utf8 ? compact_utf8(&c, p, e, 0) : compact_any(&c, p, e, 0);
	if (!q) {
		ok = c.rc ? c.rc : 0;
	} else if (wf_json_ws(q, e) != e) {
		if (err) {
			err->at = wf_json_ws(q, e);
			err->msg = "unexpected data after the value";
		}
		ok = 0;
	} else if ((ok = flush(&c, q)) == 0 && (!c.escape || (ok = wf_buf_addc(out, '"')) == 0)) {
		ok = 1;
	}
	if (ok != 1)
		out->len = from;
	if (c.m != m_stack)
		free(c.m);
	/* the scratch is rarely used: no calls for nothing */
	if (c.t1.p || c.t2.p || c.t3.p || c.t4.p) {
		wf_buf_free(&c.t1);
		wf_buf_free(&c.t2);
		wf_buf_free(&c.t3);
		wf_buf_free(&c.t4);
	}
	return ok;
}

int wf_json_compact_ex(struct wf_buf *out, const char *p, const char *e, unsigned flags,
		       struct wf_buf *scratch, struct wf_json_err *err)
{
	return compact_ex(out, p, e, flags, err, scratch);
}

int wf_json_compact(struct wf_buf *out, const char *p, const char *e, int sorted,
		    struct wf_json_err *err)
{
	return compact_ex(out, p, e, sorted ? WF_JSON_SORTED : 0, err, NULL);
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
