/* json: validation, compaction (duplicates, sorting, literals kept),
 * escape/unescape, member iteration. */
#include "unit.h"
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* wf_json_compact over a C string (or n bytes when n is given). */
static int compact_n(const char *in, size_t n, int sorted, struct wf_buf *out,
		     struct wf_json_err *err)
{
	out->len = 0;
	return wf_json_compact(out, in, in + n, sorted, err);
}

static int compact(const char *in, int sorted, struct wf_buf *out, struct wf_json_err *err)
{
	return compact_n(in, strlen(in), sorted, out, err);
}

/* The text is JSON and compacts to want. */
#define CHECK_COMPACT(in, sorted, want) do { \
	struct wf_buf o_; struct wf_json_err e_ = { 0 }; \
	wf_buf_init(&o_, 1 << 20); \
	CHECK(compact((in), (sorted), &o_, &e_) == 1); \
	CHECK_MEM(o_.p, o_.len, (want)); \
	wf_buf_free(&o_); \
} while (0)

/* The text is not JSON: the message and the offset of the error. */
#define CHECK_BAD_N(in, n, msg_, at_) do { \
	struct wf_buf o_; struct wf_json_err e_ = { 0 }; const char *i_ = (in); \
	wf_buf_init(&o_, 1 << 20); \
	CHECK(compact_n(i_, (n), 0, &o_, &e_) == 0); \
	CHECK(o_.len == 0); \
	CHECK(e_.msg && !strcmp(e_.msg, (msg_))); \
	CHECK(e_.at - i_ == (at_)); \
	if (e_.msg && strcmp(e_.msg, (msg_))) \
		fprintf(stderr, "  for %s: got \"%s\" at %td\n", #in, e_.msg, e_.at - i_); \
	wf_buf_free(&o_); \
} while (0)
#define CHECK_BAD(in, msg_, at_) CHECK_BAD_N(in, strlen(in), msg_, at_)

static void valid_values(void)
{
	static const char *const ok[] = {
		"0", "-0", "1", "-1", "10", "1.5", "-0.25", "1e5", "1E+5", "1e-5", "0.0e0",
		"12345678901234567890", "42.0", "\"\"", "\"a\"", "true", "false", "null",
		"{}", "[]", "[[]]", "{\"a\":{}}", " \t\r\n[ 1 , \"x\" , null ] \n",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\uFFFF\\uabcd\"",
		"\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\udc00x\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf\"",
		"\"\x7f\"",
	};
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct wf_buf o;
		struct wf_json_err e;
		int rc;
		wf_buf_init(&o, 1 << 20);
		rc = compact(ok[i], 0, &o, &e);
		CHECK(rc == 1);
		if (rc != 1)
			fprintf(stderr, "  rejected: %s (%s)\n", ok[i], e.msg);
		wf_buf_free(&o);
	}
}

static void invalid_values(void)
{
	CHECK_BAD("", "unexpected end of input", 0);
	CHECK_BAD("   ", "unexpected end of input", 3);
	CHECK_BAD("01", "unexpected data after the value", 1);
	CHECK_BAD("-", "bad number", 0);
	CHECK_BAD("-a", "bad number", 0);
	CHECK_BAD("1.", "bad number", 0);
	CHECK_BAD("1.e5", "bad number", 0);
	CHECK_BAD(".5", "unexpected character", 0);
	CHECK_BAD("+1", "unexpected character", 0);
	CHECK_BAD("1e", "bad number", 0);
	CHECK_BAD("1e+", "bad number", 0);
	CHECK_BAD("0x10", "unexpected data after the value", 1);
	CHECK_BAD("NaN", "unexpected character", 0);
	CHECK_BAD("-Infinity", "bad number", 0);
	CHECK_BAD("tru", "unexpected character", 0);
	CHECK_BAD("True", "unexpected character", 0);
	CHECK_BAD("nul", "unexpected character", 0);
	CHECK_BAD("truex", "unexpected data after the value", 4);
	CHECK_BAD("'a'", "unexpected character", 0);
	CHECK_BAD("\"abc", "unterminated string", 0);
	CHECK_BAD("\"abc\\", "unterminated string", 0);
	CHECK_BAD("\"abc\\\"", "unterminated string", 0);
	CHECK_BAD("\"\\x\"", "bad escape in string", 1);
	CHECK_BAD("\"\\U0041\"", "bad escape in string", 1);
	CHECK_BAD("\"\\u12\"", "bad \\u escape in string", 1);
	CHECK_BAD("\"\\u12G4\"", "bad \\u escape in string", 1);
	CHECK_BAD("\"a\tb\"", "control character in string", 2);
	CHECK_BAD("\"a\nb\"", "control character in string", 2);
	CHECK_BAD_N("\"a\0b\"", 5, "control character in string", 2);
	CHECK_BAD("[1,]", "unexpected character", 3);
	CHECK_BAD("[1 2]", "expected ',' or ']'", 3);
	CHECK_BAD("[1", "expected ',' or ']'", 2);
	CHECK_BAD("[", "unexpected end of input", 1);
	CHECK_BAD("]", "unexpected character", 0);
	CHECK_BAD("{\"a\":1,}", "expected a string key", 7);
	CHECK_BAD("{\"a\"}", "expected ':'", 4);
	CHECK_BAD("{\"a\":}", "unexpected character", 5);
	CHECK_BAD("{a:1}", "expected a string key", 1);
	CHECK_BAD("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7);
	CHECK_BAD("{\"a\":1", "expected ',' or '}'", 6);
	CHECK_BAD("{", "expected a string key", 1);
	CHECK_BAD("1 2", "unexpected data after the value", 2);
	CHECK_BAD("{} {}", "unexpected data after the value", 3);
	CHECK_BAD("[]x", "unexpected data after the value", 2);
	/* invalid UTF-8 in strings: stray continuation, overlongs, surrogates,
	 * above U+10FFFF, truncated sequences, bytes that never occur */
	CHECK_BAD("\"\x80\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"ab\xc0\x80\"", "invalid UTF-8 in string", 3);
	CHECK_BAD("\"\xc1\xbf\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xe0\x9f\xbf\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xf0\x8f\xbf\xbf\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xed\xa0\x80\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xed\xbf\xbf\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xf4\x90\x80\x80\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xf5\x80\x80\x80\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xe2\x82\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xe2\x82", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xf0\x9f\x98\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xff\"", "invalid UTF-8 in string", 1);
	CHECK_BAD("\"\xfe\"", "invalid UTF-8 in string", 1);
	/* the same after 16 plain bytes: the vector scan must stop there too */
	CHECK_BAD("\"0123456789abcdef\xed\xa0\x80\"", "invalid UTF-8 in string", 17);
	CHECK_BAD("\"0123456789abcdefghijklmnopq\x01\"", "control character in string", 28);
	/* outside strings */
	CHECK_BAD("\xef\xbb\xbf{}", "unexpected character", 0);
	CHECK_BAD("[\xc3\xa9]", "unexpected character", 1);
}

/* An array or object nested n deep. */
static char *nested(int n, char open, char close)
{
	char *s = malloc((size_t)n * 6 + 8), *p = s;
	int i;

	for (i = 0; i < n; i++) {
		if (open == '{') {
			memcpy(p, "{\"k\":", 5);
			p += 5;
		} else {
			*p++ = open;
		}
	}
	*p++ = '1';
	for (i = 0; i < n; i++)
		*p++ = close;
	*p = 0;
	return s;
}

static void depth_limit(void)
{
	struct wf_buf o;
	struct wf_json_err e;
	char *s;

	wf_buf_init(&o, 1 << 20);
	s = nested(WF_JSON_MAX_DEPTH, '[', ']');
	CHECK(compact(s, 0, &o, &e) == 1);
	CHECK(o.len == strlen(s));
	CHECK(wf_json_skip(s, s + strlen(s), &e) == s + strlen(s));
	free(s);
	s = nested(WF_JSON_MAX_DEPTH + 1, '[', ']');
	CHECK(compact(s, 0, &o, &e) == 0);
	CHECK(!strcmp(e.msg, "nested too deeply"));
	CHECK(e.at == s + WF_JSON_MAX_DEPTH);
	CHECK(wf_json_skip(s, s + strlen(s), &e) == NULL);
	CHECK(!strcmp(e.msg, "nested too deeply"));
	free(s);
	s = nested(WF_JSON_MAX_DEPTH, '{', '}');
	CHECK(compact(s, 1, &o, &e) == 1);
	free(s);
	s = nested(WF_JSON_MAX_DEPTH + 1, '{', '}');
	CHECK(compact(s, 0, &o, &e) == 0);
	CHECK(!strcmp(e.msg, "nested too deeply"));
	CHECK(wf_json_skip(s, s + strlen(s), &e) == NULL);
	free(s);
	/* far too deep must not exhaust the stack either */
	s = nested(200000, '[', ']');
	CHECK(compact(s, 0, &o, &e) == 0);
	CHECK(wf_json_skip(s, s + strlen(s), &e) == NULL);
	free(s);
	wf_buf_free(&o);
}

static void compaction(void)
{
	/* white space goes, everything else stays as written */
	CHECK_COMPACT(" { \"a\" : [ 1 , 2.50 ] ,\n\t\"b\" : { } } ", 0, "{\"a\":[1,2.50],\"b\":{}}");
	CHECK_COMPACT("{\"a\":12345678901234567890,\"b\":42.0,\"c\":\"\\u00e9\"}", 0,
		      "{\"a\":12345678901234567890,\"b\":42.0,\"c\":\"\\u00e9\"}");
	CHECK_COMPACT("[1E5, -0.0, 1e-7, 0]", 0, "[1E5,-0.0,1e-7,0]");
	CHECK_COMPACT("\"a b \\/ \\u0041\"", 0, "\"a b \\/ \\u0041\"");
	CHECK_COMPACT("{\"z\":1,\"a\":2,\"m\":3}", 0, "{\"z\":1,\"a\":2,\"m\":3}");
	CHECK_COMPACT("[ true , false , null ]", 0, "[true,false,null]");
}

static void duplicates(void)
{
	/* the last value wins, in the place of the first */
	CHECK_COMPACT("{\"a\":1,\"b\":2,\"a\":3}", 0, "{\"a\":3,\"b\":2}");
	CHECK_COMPACT("{\"a\":1,\"a\":2,\"a\":3}", 0, "{\"a\":3}");
	CHECK_COMPACT("{\"a\":1,\"b\":2,\"b\":3,\"a\":4,\"c\":5}", 0, "{\"a\":4,\"b\":3,\"c\":5}");
	CHECK_COMPACT("{ \"a\" : [1, 2] , \"a\" : { \"x\" : 1 } }", 0, "{\"a\":{\"x\":1}}");
	/* keys compare by their decoded text */
	CHECK_COMPACT("{\"a\":1,\"\\u0061\":2}", 0, "{\"\\u0061\":2}");
	CHECK_COMPACT("{\"ab\":1,\"a\":2}", 0, "{\"ab\":1,\"a\":2}");
	/* at every depth, and nested rewrites keep the outer offsets right */
	CHECK_COMPACT("{\"o\":{\"k\":1,\"k\":2},\"p\":[{\"x\":1,\"x\":{}}]}", 0,
		      "{\"o\":{\"k\":2},\"p\":[{\"x\":{}}]}");
	CHECK_COMPACT("{\"o\":{\"k\":1,\"k\":2},\"p\":1,\"o\":5}", 0, "{\"o\":5,\"p\":1}");
	CHECK_COMPACT("{\"o\":5,\"p\":1,\"o\":{\"k\":1,  \"k\":2}}", 0, "{\"o\":{\"k\":2},\"p\":1}");
	CHECK_COMPACT("[{\"a\":1,\"a\":2},{\"b\":1,\"b\":2}]", 0, "[{\"a\":2},{\"b\":2}]");
	/* sorted: the last of equal keys */
	CHECK_COMPACT("{\"b\":1,\"a\":2,\"b\":3}", 1, "{\"a\":2,\"b\":3}");
	CHECK_COMPACT("{\"b\":1,\"\\u0062\":2,\"a\":0}", 1, "{\"a\":0,\"\\u0062\":2}");
}

static void sorting(void)
{
	CHECK_COMPACT("{\"b\":1,\"a\":{\"d\":1,\"c\":2},\"c\":[{\"z\":1,\"y\":2},3]}", 1,
		      "{\"a\":{\"c\":2,\"d\":1},\"b\":1,\"c\":[{\"y\":2,\"z\":1},3]}");
	/* by bytes: 'B' < '_' < 'a', a prefix first, UTF-8 after ASCII */
	CHECK_COMPACT("{\"a\":1,\"_\":2,\"B\":3}", 1, "{\"B\":3,\"_\":2,\"a\":1}");
	CHECK_COMPACT("{\"ab\":1,\"a\":2,\"\":3}", 1, "{\"\":3,\"a\":2,\"ab\":1}");
	CHECK_COMPACT("{\"\xc3\xa9\":1,\"z\":2}", 1, "{\"z\":2,\"\xc3\xa9\":1}");
	/* escaped keys sort by what they stand for, and keep their spelling */
	CHECK_COMPACT("{\"\\u00e9\":1,\"z\":2,\"\\u0041\":3}", 1,
		      "{\"\\u0041\":3,\"z\":2,\"\\u00e9\":1}");
	CHECK_COMPACT("{\"b\\n\":1,\"b\":2,\"b\\u0000\":3}", 1,
		      "{\"b\":2,\"b\\u0000\":3,\"b\\n\":1}");
	/* not sorted: the order stays */
	CHECK_COMPACT("{\"b\":1,\"a\":2}", 0, "{\"b\":1,\"a\":2}");
	/* a larger object, in reverse order */
	{
		struct wf_buf in, want;
		int i;
		wf_buf_init(&in, 1 << 20);
		wf_buf_init(&want, 1 << 20);
		wf_buf_addc(&in, '{');
		for (i = 99; i >= 0; i--)
			wf_buf_addf(&in, "%s\"k%02d\":%d", i == 99 ? "" : ",", i, i);
		wf_buf_addc(&in, '}');
		wf_buf_addc(&in, 0);
		wf_buf_addc(&want, '{');
		for (i = 0; i < 100; i++)
			wf_buf_addf(&want, "%s\"k%02d\":%d", i ? "," : "", i, i);
		wf_buf_addc(&want, '}');
		wf_buf_addc(&want, 0);
		CHECK_COMPACT(in.p, 1, want.p);
		wf_buf_free(&in);
		wf_buf_free(&want);
	}
}

static void buffer_limit(void)
{
	struct wf_buf o;
	struct wf_json_err e;
	const char *s = "{\"a\":[1,2,3],\"b\":\"0123456789\"}";

	wf_buf_init(&o, 10);
	CHECK(compact(s, 0, &o, &e) == -ENOBUFS);
	CHECK(o.len == 0);
	wf_buf_free(&o);
	/* appends after what the buffer holds */
	wf_buf_init(&o, 100);
	wf_buf_adds(&o, "x=");
	CHECK(wf_json_compact(&o, "[ 1 ]", "[ 1 ]" + 5, 0, &e) == 1);
	CHECK_MEM(o.p, o.len, "x=[1]");
	CHECK(wf_json_compact(&o, "[", "[" + 1, 0, &e) == 0);
	CHECK_MEM(o.p, o.len, "x=[1]");
	wf_buf_free(&o);
}

/* A plain escaper to compare wf_json_escape with. */
static void ref_escape(struct wf_buf *o, const unsigned char *p, size_t n)
{
	size_t i;

	wf_buf_addc(o, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (c) {
		case '"': wf_buf_adds(o, "\\\""); break;
		case '\\': wf_buf_adds(o, "\\\\"); break;
		case '\n': wf_buf_adds(o, "\\n"); break;
		case '\r': wf_buf_adds(o, "\\r"); break;
		case '\t': wf_buf_adds(o, "\\t"); break;
		case '\b': wf_buf_adds(o, "\\b"); break;
		case '\f': wf_buf_adds(o, "\\f"); break;
		default:
			if (c < 0x20)
				wf_buf_addf(o, "\\u%04x", c);
			else
				wf_buf_addc(o, (char)c);
		}
	}
	wf_buf_addc(o, '"');
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void escape_roundtrip(void)
{
	struct wf_buf a, b, c;
	unsigned char all[128];
	int i, round;

	wf_buf_init(&a, 1 << 20);
	wf_buf_init(&b, 1 << 20);
	wf_buf_init(&c, 1 << 20);
	CHECK(wf_json_escape(&a, "", 0) == 0);
	CHECK_MEM(a.p, a.len, "\"\"");
	a.len = 0;
	CHECK(wf_json_escape(&a, "a\"b\\c/\n\x01\x1f\x7f\xc3\xa9", 12) == 0);
	CHECK_MEM(a.p, a.len, "\"a\\\"b\\\\c/\\n\\u0001\\u001f\x7f\xc3\xa9\"");
	/* every ASCII byte, at every alignment */
	for (i = 0; i < 128; i++)
		all[i] = (unsigned char)i;
	for (i = 0; i < 40; i++) {
		a.len = b.len = c.len = 0;
		CHECK(wf_json_escape(&a, (const char *)all + i, sizeof all - (size_t)i) == 0);
		ref_escape(&b, all + i, sizeof all - (size_t)i);
		CHECK(a.len == b.len && !memcmp(a.p, b.p, a.len));
		CHECK(wf_json_unescape(&c, a.p + 1, a.p + a.len - 1) == 0);
		CHECK(c.len == sizeof all - (size_t)i && !memcmp(c.p, all + i, c.len));
		CHECK(wf_json_unescaped_len(a.p + 1, a.p + a.len - 1) == c.len);
	}
	/* random text with UTF-8, specials sprinkled at random places */
	for (round = 0; round < 2000; round++) {
		static const char *const atoms[] = {
			"a", "Z", " ", "\"", "\\", "\n", "\t", "\x01", "\x1f", "/", "\xc3\xa9",
			"\xe2\x82\xac", "\xf0\x9f\x98\x80", "0123456789abcdef", "\x7f",
		};
		struct wf_buf src;
		struct wf_json_err e;
		int k, n = (int)(rnd() % 40);
		wf_buf_init(&src, 1 << 20);
		for (k = 0; k < n; k++)
			wf_buf_adds(&src, atoms[rnd() % (sizeof atoms / sizeof atoms[0])]);
		a.len = b.len = c.len = 0;
		CHECK(wf_json_escape(&a, src.p ? src.p : "", src.len) == 0);
		ref_escape(&b, (const unsigned char *)(src.p ? src.p : ""), src.len);
		CHECK(a.len == b.len && !memcmp(a.p, b.p, a.len));
		/* the escaped text is one valid JSON string */
		CHECK(wf_json_skip(a.p, a.p + a.len, &e) == a.p + a.len);
		CHECK(wf_json_unescape(&c, a.p + 1, a.p + a.len - 1) == 0);
		CHECK(c.len == src.len && (!c.len || !memcmp(c.p, src.p, c.len)));
		wf_buf_free(&src);
	}
	wf_buf_free(&a);
	wf_buf_free(&b);
	wf_buf_free(&c);
}

#define CHECK_UNESCAPE(esc, want) do { \
	struct wf_buf u_; const char *s_ = (esc); \
	wf_buf_init(&u_, 1 << 20); \
	wf_buf_reserve(&u_, 1); \
	CHECK(wf_json_unescape(&u_, s_, s_ + strlen(s_)) == 0); \
	CHECK_MEM(u_.p, u_.len, (want)); \
	CHECK(wf_json_unescaped_len(s_, s_ + strlen(s_)) == strlen(want)); \
	wf_buf_free(&u_); \
} while (0)

static void unescaping(void)
{
	CHECK_UNESCAPE("", "");
	CHECK_UNESCAPE("plain", "plain");
	CHECK_UNESCAPE("\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t");
	CHECK_UNESCAPE("\\u0041\\u00e9\\u20AC", "A\xc3\xa9\xe2\x82\xac");
	CHECK_UNESCAPE("\\u007f\\u0080\\u07ff\\u0800\\uffff",
		       "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
	/* surrogate pairs, and lone surrogates as U+FFFD */
	CHECK_UNESCAPE("\\ud83d\\ude00", "\xf0\x9f\x98\x80");
	CHECK_UNESCAPE("\\uD83D\\uDE00x", "\xf0\x9f\x98\x80x");
	CHECK_UNESCAPE("\\udbff\\udfff", "\xf4\x8f\xbf\xbf");
	CHECK_UNESCAPE("\\ud800", "\xef\xbf\xbd");
	CHECK_UNESCAPE("\\ud800x", "\xef\xbf\xbdx");
	CHECK_UNESCAPE("\\ud800\\u0041", "\xef\xbf\xbd" "A");
	CHECK_UNESCAPE("\\ud800\\ud800\\udc00", "\xef\xbf\xbd\xf0\x90\x80\x80");
	CHECK_UNESCAPE("\\udc00\\ud800", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_UNESCAPE("\\ud800\\n", "\xef\xbf\xbd\n");
	{
		struct wf_buf u;
		wf_buf_init(&u, 100);
		CHECK(wf_json_unescape(&u, "a\\u0000b", "a\\u0000b" + 8) == 0);
		CHECK(u.len == 3 && !memcmp(u.p, "a\0b", 3));
		wf_buf_free(&u);
		/* bounded output */
		wf_buf_init(&u, 3);
		CHECK(wf_json_unescape(&u, "abcdef", "abcdef" + 6) == -ENOBUFS);
		wf_buf_free(&u);
	}
}

static void strings(void)
{
	struct wf_json_err e;
	int esc = -1;
	const char *s = "\"abc\" tail", *q;

	q = wf_json_string(s, s + strlen(s), &esc, &e);
	CHECK(q == s + 5 && esc == 0);
	s = "\"a\\nb\"";
	q = wf_json_string(s, s + strlen(s), &esc, &e);
	CHECK(q == s + strlen(s) && esc == 1);
	s = "\"0123456789abcdef0123456789abcdef\"";
	q = wf_json_string(s, s + strlen(s), &esc, &e);
	CHECK(q == s + strlen(s) && esc == 0);
	/* a string cut at its end, so that no vector load runs past it */
	{
		char *heap = malloc(20);
		memcpy(heap, "\"0123456789abcdefgh", 19);
		heap[19] = '"';
		q = wf_json_string(heap, heap + 20, &esc, &e);
		CHECK(q == heap + 20);
		q = wf_json_string(heap, heap + 19, &esc, &e);
		CHECK(q == NULL && !strcmp(e.msg, "unterminated string"));
		free(heap);
	}
	/* err may be NULL */
	s = "\"abc";
	CHECK(wf_json_string(s, s + 4, &esc, NULL) == NULL);
	CHECK(wf_json_skip("[", "[" + 1, NULL) == NULL);
}

static void members(void)
{
	const char *obj = "{ \"a\" : 1 , \"b\\u0063\":[1,{\"x\":2}], \"s\":\"v\",\"a\":2.0 }";
	const char *e = obj + strlen(obj), *p = obj, *v, *ve;
	struct wf_json_member m;
	long long n;
	int count = 0;

	while (wf_json_next(&p, e, &m)) {
		switch (count++) {
		case 0:
			CHECK_MEM(m.k, (size_t)(m.ke - m.k), "a");
			CHECK_MEM(m.v, (size_t)(m.ve - m.v), "1");
			CHECK(!m.kesc && wf_json_key_is(&m, "a") && !wf_json_key_is(&m, "ab"));
			break;
		case 1:
			CHECK_MEM(m.k, (size_t)(m.ke - m.k), "b\\u0063");
			CHECK_MEM(m.v, (size_t)(m.ve - m.v), "[1,{\"x\":2}]");
			CHECK(m.kesc && wf_json_key_is(&m, "bc") && !wf_json_key_is(&m, "b"));
			break;
		case 2:
			CHECK_MEM(m.v, (size_t)(m.ve - m.v), "\"v\"");
			break;
		case 3:
			CHECK_MEM(m.v, (size_t)(m.ve - m.v), "2.0");
			break;
		}
	}
	CHECK(count == 4);
	p = "{}";
	CHECK(wf_json_next(&p, p + 2, &m) == 0);
	p = " { } ";
	CHECK(wf_json_next(&p, p + 5, &m) == 0);
	/* get: the last of a repeated key */
	CHECK(wf_json_get(obj, e, "a", &v, &ve) && ve - v == 3 && !memcmp(v, "2.0", 3));
	CHECK(wf_json_get(obj, e, "bc", &v, &ve) && *v == '[');
	CHECK(!wf_json_get(obj, e, "x", &v, &ve));
	CHECK(!wf_json_get("[1]", "[1]" + 3, "a", &v, &ve));
	/* integers */
	CHECK(wf_json_int("7", "7" + 1, &n) && n == 7);
	CHECK(wf_json_int("-42", "-42" + 3, &n) && n == -42);
	CHECK(wf_json_int("0", "0" + 1, &n) && n == 0);
	CHECK(wf_json_int("9223372036854775000", "9223372036854775000" + 19, &n) &&
	      n == 9223372036854775000LL);
	CHECK(!wf_json_int("99999999999999999999", "99999999999999999999" + 20, &n));
	CHECK(!wf_json_int("1.0", "1.0" + 3, &n));
	CHECK(!wf_json_int("1e3", "1e3" + 3, &n));
	CHECK(!wf_json_int("-", "-" + 1, &n));
	CHECK(!wf_json_int("\"1\"", "\"1\"" + 3, &n));
	CHECK(!wf_json_int("", "", &n));
}

int main(void)
{
	valid_values();
	invalid_values();
	depth_limit();
	compaction();
	duplicates();
	sorting();
	buffer_limit();
	escape_roundtrip();
	unescaping();
	strings();
	members();
	return unit_done();
}
