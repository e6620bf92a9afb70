/* envelope: parsing good and bad envelopes, the payload, the stream number,
 * meta.binary, splicing a member, and envelopes made from raw lines. */
#include "unit.h"
#include "envelope.h"

#include <errno.h>

static int parse(struct wf_event *ev, const char *line, struct wf_json_err *err)
{
	return wf_env_parse(ev, line, strlen(line), err);
}

#define CHECK_SPAN(mem, want) CHECK_MEM((mem).v, (size_t)((mem).ve - (mem).v), (want))

/* The line is not an envelope: the message and where. */
#define CHECK_BAD(line_, msg_, at_) do { \
	struct wf_event ev_; struct wf_json_err e_ = { 0 }; const char *l_ = (line_); \
	CHECK(parse(&ev_, l_, &e_) == -1); \
	CHECK(e_.msg && !strcmp(e_.msg, (msg_))); \
	CHECK(e_.at - l_ == (at_)); \
	if (e_.msg && (strcmp(e_.msg, (msg_)) || e_.at - l_ != (at_))) \
		fprintf(stderr, "  for %s: got \"%s\" at %td\n", l_, e_.msg, e_.at - l_); \
} while (0)

static void good(void)
{
	struct wf_event ev;
	struct wf_json_err err;
	const char *l;

	l = "{\"data\":\"hi\"}";
	CHECK(parse(&ev, l, &err) == 0);
	CHECK(ev.kind == WF_DATA && ev.line == l && ev.end == l + strlen(l));
	CHECK(ev.data.k == l + 1);
	CHECK_SPAN(ev.data, "\"hi\"");
	CHECK(!ev.bytes.k && !ev.meta.k && !ev.origin.k && !ev.control.k);

	l = " { \"x\" : [1,{\"data\":2}] , \"meta\" : {\"binary\":true} ,\"data\":{\"a\":42.0},"
	    "\"origin\":[{\"source\":\"ws_server\",\"stream\":7}], \"y\":null } ";
	CHECK(parse(&ev, l, &err) == 0);
	CHECK(ev.kind == WF_DATA);
	CHECK_SPAN(ev.data, "{\"a\":42.0}");
	CHECK_SPAN(ev.meta, "{\"binary\":true}");
	CHECK_SPAN(ev.origin, "[{\"source\":\"ws_server\",\"stream\":7}]");
	CHECK(*ev.meta.k == '"' && !memcmp(ev.meta.k, "\"meta\"", 6));

	l = "{\"bytes\":\"aGk=\",\"meta\":{}}";
	CHECK(parse(&ev, l, &err) == 0);
	CHECK(ev.kind == WF_BYTES);
	CHECK_SPAN(ev.bytes, "\"aGk=\"");

	l = "{\"control\":\"open\",\"origin\":[]}";
	CHECK(parse(&ev, l, &err) == 0);
	CHECK(ev.kind == WF_CONTROL);
	CHECK_SPAN(ev.control, "\"open\"");

	/* any value is data */
	CHECK(parse(&ev, "{\"data\":null}", &err) == 0 && ev.kind == WF_DATA);
	CHECK(parse(&ev, "{\"data\":[]}", &err) == 0 && ev.kind == WF_DATA);
	CHECK(parse(&ev, "{\"data\":12345678901234567890}", &err) == 0);
	CHECK_SPAN(ev.data, "12345678901234567890");
	/* keys are compared by what they stand for */
	l = "{\"d\\u0061ta\":\"x\",\"m\\u0065ta\":{}}";
	CHECK(parse(&ev, l, &err) == 0 && ev.kind == WF_DATA);
	CHECK_SPAN(ev.data, "\"x\"");
	CHECK(ev.meta.k == l + 17);
	/* a key that only starts like a member's is an unknown member */
	CHECK(parse(&ev, "{\"datas\":1,\"dat\":2,\"Data\":3,\"data\":4}", &err) == 0);
	CHECK_SPAN(ev.data, "4");
	/* and white space at the end of the line */
	CHECK(parse(&ev, "{\"data\":1}\r", &err) == 0);
	CHECK(wf_env_parse(&ev, "{\"data\":1}\n", 10, &err) == 0);
}

static void bad(void)
{
	CHECK_BAD("", "not a JSON object", 0);
	CHECK_BAD("   ", "not a JSON object", 3);
	CHECK_BAD("[]", "not a JSON object", 0);
	CHECK_BAD("\"data\"", "not a JSON object", 0);
	CHECK_BAD("hello", "not a JSON object", 0);
	CHECK_BAD("{", "expected a string key", 1);
	CHECK_BAD("{data:1}", "expected a string key", 1);
	CHECK_BAD("{\"data\"}", "expected ':'", 7);
	CHECK_BAD("{\"data\":}", "unexpected character", 8);
	CHECK_BAD("{\"data\":1", "expected ',' or '}'", 9);
	CHECK_BAD("{\"data\":1,}", "expected a string key", 10);
	CHECK_BAD("{\"data\":1 \"x\":2}", "expected ',' or '}'", 10);
	CHECK_BAD("{\"data\":\"a\x80\"}", "invalid UTF-8 in string", 10);
	CHECK_BAD("{\"data\":\"\\q\"}", "bad escape in string", 9);
	CHECK_BAD("{\"data\":[1,]}", "unexpected character", 11);
	CHECK_BAD("{\"data\":1}x", "unexpected data after the object", 10);
	CHECK_BAD("{\"data\":1} {}", "unexpected data after the object", 10);
	CHECK_BAD("{}", "no data, bytes or control member", 0);
	CHECK_BAD("{\"meta\":{},\"origin\":[]}", "no data, bytes or control member", 0);
	CHECK_BAD("{\"data\":1,\"data\":2}", "repeated envelope member", 10);
	CHECK_BAD("{\"data\":1,\"d\\u0061ta\":2}", "repeated envelope member", 10);
	CHECK_BAD("{\"meta\":{},\"data\":1,\"meta\":{}}", "repeated envelope member", 20);
	CHECK_BAD("{\"data\":\"a\",\"bytes\":\"YQ==\"}", "both data and bytes", 0);
	CHECK_BAD("{\"control\":1}", "control is not a string", 11);
	CHECK_BAD("{\"control\":\"close\",\"data\":\"x\"}", "control with data or bytes", 0);
	CHECK_BAD("{\"bytes\":\"YQ==\",\"control\":\"open\"}", "control with data or bytes", 0);
	CHECK_BAD("{\"bytes\":1}", "bytes is not a base64 string", 9);
	CHECK_BAD("{\"bytes\":[\"YQ==\"]}", "bytes is not a base64 string", 9);
	CHECK_BAD("{\"data\":1,\"meta\":[]}", "meta is not an object", 17);
	CHECK_BAD("{\"data\":1,\"meta\":null}", "meta is not an object", 17);
	CHECK_BAD("{\"data\":1,\"origin\":{}}", "origin is not an array", 19);
	CHECK_BAD("{\"data\":1,\"origin\":\"ws\"}", "origin is not an array", 19);
	/* a NUL inside the line is not white space */
	{
		struct wf_event ev;
		struct wf_json_err err;
		CHECK(wf_env_parse(&ev, "{\"data\":1}\0", 11, &err) == -1);
	}
}

#define CHECK_PAYLOAD(line_, rc_, bin_, want) do { \
	struct wf_event ev_; struct wf_json_err e_; struct wf_buf o_; int b_ = -1; \
	wf_buf_init(&o_, 1 << 20); \
	wf_buf_reserve(&o_, 1); \
	CHECK(parse(&ev_, (line_), &e_) == 0); \
	CHECK(wf_env_payload(&ev_, &o_, &b_) == (rc_)); \
	CHECK(b_ == (bin_)); \
	if (!(rc_)) \
		CHECK_MEM(o_.p, o_.len, (want)); \
	wf_buf_free(&o_); \
} while (0)

static void payload(void)
{
	CHECK_PAYLOAD("{\"data\":\"hi\"}", 0, 0, "hi");
	CHECK_PAYLOAD("{\"data\":\"\"}", 0, 0, "");
	CHECK_PAYLOAD("{\"data\":\"a\\nb\\u00e9\\\"\"}", 0, 0, "a\nb\xc3\xa9\"");
	CHECK_PAYLOAD("{\"data\":{ \"a\" : 42.0 }}", 0, 0, "{ \"a\" : 42.0 }");
	CHECK_PAYLOAD("{\"data\":12345678901234567890}", 0, 0, "12345678901234567890");
	CHECK_PAYLOAD("{\"bytes\":\"aGk=\"}", 0, 1, "hi");
	CHECK_PAYLOAD("{\"bytes\":\"\"}", 0, 1, "");
	CHECK_PAYLOAD("{\"bytes\":\"+/8=\"}", 0, 1, "\xfb\xff");
	/* a JSON escape in the base64 text stands for its character */
	CHECK_PAYLOAD("{\"bytes\":\"+\\/8=\"}", 0, 1, "\xfb\xff");
	CHECK_PAYLOAD("{\"bytes\":\"aGk\\u003d\"}", 0, 1, "hi");
	CHECK_PAYLOAD("{\"bytes\":\"aGk\"}", -EINVAL, 1, "");
	CHECK_PAYLOAD("{\"bytes\":\"aGk=\\n\"}", -EINVAL, 1, "");
	CHECK_PAYLOAD("{\"bytes\":\"a-k=\"}", -EINVAL, 1, "");
	CHECK_PAYLOAD("{\"control\":\"open\"}", 0, 0, "");
	/* appends */
	{
		struct wf_event ev;
		struct wf_json_err err;
		struct wf_buf o;
		int bin;
		wf_buf_init(&o, 1 << 20);
		wf_buf_adds(&o, ">");
		CHECK(parse(&ev, "{\"data\":\"x\"}", &err) == 0);
		CHECK(wf_env_payload(&ev, &o, &bin) == 0);
		CHECK(parse(&ev, "{\"bytes\":\"eQ==\"}", &err) == 0);
		CHECK(wf_env_payload(&ev, &o, &bin) == 0);
		CHECK_MEM(o.p, o.len, ">xy");
		wf_buf_free(&o);
		/* the buffer's maximum holds */
		wf_buf_init(&o, 2);
		CHECK(parse(&ev, "{\"data\":\"xyz\"}", &err) == 0);
		CHECK(wf_env_payload(&ev, &o, &bin) == -ENOBUFS);
		wf_buf_free(&o);
	}
}

static long long stream_of(const char *line)
{
	struct wf_event ev;
	struct wf_json_err err;

	if (parse(&ev, line, &err))
		return -100;
	return wf_env_stream(&ev);
}

static int binary_of(const char *line)
{
	struct wf_event ev;
	struct wf_json_err err;

	if (parse(&ev, line, &err))
		return -100;
	return wf_env_meta_binary(&ev);
}

static void stream_and_binary(void)
{
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"source\":\"ws_server\",\"stream\":7}]}") == 7);
	CHECK(stream_of("{\"data\":1,\"origin\":[ { \"stream\" : 0 } ]}") == 0);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"stream\":3},{\"stream\":4}]}") == 3);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"stream\":9000000000}]}") == 9000000000LL);
	CHECK(stream_of("{\"data\":1}") == -1);
	CHECK(stream_of("{\"data\":1,\"origin\":[]}") == -1);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"source\":\"x\"}]}") == -1);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"stream\":\"7\"}]}") == -1);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"stream\":7.5}]}") == -1);
	CHECK(stream_of("{\"data\":1,\"origin\":[1,{\"stream\":7}]}") == -1);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"stream\":1,\"stream\":2}]}") == 2);
	CHECK(stream_of("{\"data\":1,\"origin\":[{\"x\":{\"stream\":5}}]}") == -1);

	CHECK(binary_of("{\"data\":1,\"meta\":{\"binary\":true}}") == 1);
	CHECK(binary_of("{\"data\":1,\"meta\":{ \"a\":1, \"binary\" : true }}") == 1);
	CHECK(binary_of("{\"data\":1,\"meta\":{\"binary\":false}}") == 0);
	CHECK(binary_of("{\"data\":1,\"meta\":{\"binary\":\"true\"}}") == 0);
	CHECK(binary_of("{\"data\":1,\"meta\":{\"binary\":1}}") == 0);
	CHECK(binary_of("{\"data\":1,\"meta\":{\"ws_server\":{\"binary\":true}}}") == 0);
	CHECK(binary_of("{\"data\":1,\"meta\":{}}") == 0);
	CHECK(binary_of("{\"data\":1,\"binary\":true}") == 0);
	CHECK(binary_of("{\"data\":1}") == 0);
}

#define CHECK_SPLICE(line_, which, key, val, want) do { \
	struct wf_event ev_; struct wf_json_err e_; struct wf_buf o_; \
	wf_buf_init(&o_, 1 << 20); \
	CHECK(parse(&ev_, (line_), &e_) == 0); \
	CHECK(wf_env_splice(&o_, &ev_, &ev_.which, (key), (val), strlen(val)) == 0); \
	CHECK_MEM(o_.p, o_.len, (want)); \
	wf_buf_free(&o_); \
} while (0)

static void splice(void)
{
	CHECK_SPLICE("{\"data\":\"a\\nb\"}", data, NULL, "\"a\"", "{\"data\":\"a\"}\n");
	/* every other byte stays: white space, unknown members, their order */
	CHECK_SPLICE(" {\"z\":12345678901234567890, \"data\" : \"x\" ,\"b\":42.0,\"c\":\"\\u00e9\"} ",
		     data, NULL, "[1]",
		     " {\"z\":12345678901234567890, \"data\" : [1] ,\"b\":42.0,\"c\":\"\\u00e9\"} \n");
	/* with a key: the member is renamed */
	CHECK_SPLICE("{\"meta\":{},\"bytes\":\"aGk=\",\"origin\":[]}", bytes, "data", "\"hi\"",
		     "{\"meta\":{},\"data\":\"hi\",\"origin\":[]}\n");
	CHECK_SPLICE("{\"data\" : \"hi\"}", data, "bytes", "\"aGk=\"", "{\"bytes\":\"aGk=\"}\n");
	CHECK_SPLICE("{\"meta\":{\"a\":1},\"data\":1}", meta, NULL, "{}", "{\"meta\":{},\"data\":1}\n");
	CHECK_SPLICE("{\"data\":1}", data, NULL, "", "{\"data\":}\n");
	/* appends to what is there; the maximum holds */
	{
		struct wf_event ev;
		struct wf_json_err err;
		struct wf_buf o;
		CHECK(parse(&ev, "{\"data\":1}", &err) == 0);
		wf_buf_init(&o, 12);
		wf_buf_adds(&o, "#");
		CHECK(wf_env_splice(&o, &ev, &ev.data, NULL, "2", 1) == 0);
		CHECK_MEM(o.p, o.len, "#{\"data\":2}\n");
		CHECK(wf_env_splice(&o, &ev, &ev.data, NULL, "2", 1) == -ENOBUFS);
		wf_buf_free(&o);
	}
}

#define CHECK_TEXT(text, tlen, want) do { \
	struct wf_buf o_; struct wf_event ev_; struct wf_json_err e_; \
	wf_buf_init(&o_, 1 << 20); \
	CHECK(wf_env_from_text(&o_, (text), (tlen)) == 0); \
	CHECK_MEM(o_.p, o_.len, (want)); \
	CHECK(o_.len && wf_env_parse(&ev_, o_.p, o_.len - 1, &e_) == 0); \
	wf_buf_free(&o_); \
} while (0)

static void from_text(void)
{
	CHECK_TEXT("hi", 2, "{\"data\":\"hi\"}\n");
	CHECK_TEXT("", 0, "{\"data\":\"\"}\n");
	CHECK_TEXT("a\"b\\c\td\r\x01", 9, "{\"data\":\"a\\\"b\\\\c\\td\\r\\u0001\"}\n");
	CHECK_TEXT("caf\xc3\xa9", 5, "{\"data\":\"caf\xc3\xa9\"}\n");
	CHECK_TEXT("{\"a\":1}", 7, "{\"data\":\"{\\\"a\\\":1}\"}\n");
	/* not UTF-8: bytes */
	CHECK_TEXT("\xff\xfe", 2, "{\"bytes\":\"//4=\"}\n");
	CHECK_TEXT("a\xc3", 2, "{\"bytes\":\"YcM=\"}\n");
	CHECK_TEXT("\xed\xa0\x80", 3, "{\"bytes\":\"7aCA\"}\n");
	/* a NUL is text */
	CHECK_TEXT("a\0b", 3, "{\"data\":\"a\\u0000b\"}\n");
	/* and the round trip */
	{
		struct wf_buf o, p;
		struct wf_event ev;
		struct wf_json_err err;
		const char raw[] = "x\xf0\x9f\x98\x80\n\"y\"";
		int bin;
		wf_buf_init(&o, 1 << 20);
		wf_buf_init(&p, 1 << 20);
		CHECK(wf_env_from_text(&o, raw, sizeof raw - 1) == 0);
		CHECK(wf_env_parse(&ev, o.p, o.len - 1, &err) == 0);
		CHECK(wf_env_payload(&ev, &p, &bin) == 0 && bin == 0);
		CHECK(p.len == sizeof raw - 1 && !memcmp(p.p, raw, p.len));
		o.len = p.len = 0;
		CHECK(wf_env_from_text(&o, "\x80\x81", 2) == 0);
		CHECK(wf_env_parse(&ev, o.p, o.len - 1, &err) == 0);
		CHECK(wf_env_payload(&ev, &p, &bin) == 0 && bin == 1);
		CHECK_MEM(p.p, p.len, "\x80\x81");
		wf_buf_free(&o);
		wf_buf_free(&p);
	}
}

int main(void)
{
	good();
	bad();
	payload();
	stream_and_binary();
	splice();
	from_text();
	return unit_done();
}
