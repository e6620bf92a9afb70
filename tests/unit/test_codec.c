/* codec: Tremor's json codec (decode, encode, sorted) and string codec, run
 * through wf_filter_run, from a file and through a pipe byte by byte. */
#include "unit.h"
#include "codec.h"
#include "filter_run.h"

struct cfg {
	enum wf_codec_kind kind;
	int encode, sorted, raw_in, raw_out, envelopes;
};

static void check(int line, const struct cfg *c, const char *in, size_t n, const char *out,
		  const char *err)
{
	int by_byte;

	for (by_byte = 0; by_byte < 2; by_byte++) {
		struct wf_codec codec = { .kind = c->kind, .encode = c->encode, .sorted = c->sorted };
		struct wf_filter f = { 0 };
		struct fr_opts o = { .raw_in = c->raw_in, .raw_out = c->raw_out,
				     .err_envelopes = c->envelopes, .by_byte = by_byte,
				     .prog = "json-codec" };
		struct fr_result r;
		wf_codec_init(&codec, &f);
		fr_run(&f, in, n, &o, &r);
		wf_codec_free(&codec);
		unit_checks++;
		if (r.rc || r.out.len != strlen(out) || memcmp(r.out.p, out, r.out.len) ||
		    strcmp(r.err.p, err)) {
			unit_failures++;
			fprintf(stderr, "%s:%d: codec case failed (%s)%s%s\n", __FILE__, line,
				by_byte ? "byte by byte" : "from a file", r.rc ? ": " : "", r.msg);
			fprintf(stderr, "  out:  %s  want: %s", r.out.p, out);
			fprintf(stderr, "  err:  %s  want: %s", r.err.p, err);
		}
		fr_free(&r);
	}
}

#define CODEC(cfg_, in, out, err) do { \
	struct cfg c_ = cfg_; \
	check(__LINE__, &c_, (in), sizeof(in) - 1, (out), (err)); \
} while (0)
#define C(...) ((struct cfg){ __VA_ARGS__ })
#define DEC C(.kind = WF_CODEC_JSON)
#define ENC C(.kind = WF_CODEC_JSON, .encode = 1)
#define SDEC C(.kind = WF_CODEC_STRING)
#define SENC C(.kind = WF_CODEC_STRING, .encode = 1)

static void decode(void)
{
	CODEC(DEC, "{\"data\":\"{\\\"a\\\": 1}\"}\n", "{\"data\":{\"a\":1}}\n", "");
	/* numbers and strings as written, key order kept */
	CODEC(DEC, "{\"data\":\"{\\\"n\\\": 42.0, \\\"big\\\": 12345678901234567890, \\\"e\\\": [1E5, -0.0]}\"}\n",
	      "{\"data\":{\"n\":42.0,\"big\":12345678901234567890,\"e\":[1E5,-0.0]}}\n", "");
	CODEC(DEC, "{\"data\":\"\\\"\\\\u00e9\\\"\"}\n", "{\"data\":\"\\u00e9\"}\n", "");
	CODEC(DEC, "{\"data\":\"\\\"\xc3\xa9\\\"\"}\n", "{\"data\":\"\xc3\xa9\"}\n", "");
	CODEC(DEC, "{\"data\":\"{\\\"z\\\":1,\\\"a\\\":2}\"}\n", "{\"data\":{\"z\":1,\"a\":2}}\n", "");
	/* any JSON text, white space around it */
	CODEC(DEC, "{\"data\":\"42\"}\n{\"data\":\" null \"}\n{\"data\":\"\\ttrue\\r\\n\"}\n",
	      "{\"data\":42}\n{\"data\":null}\n{\"data\":true}\n", "");
	/* a repeated key: the last wins */
	CODEC(DEC, "{\"data\":\"{\\\"a\\\":1,\\\"b\\\":0,\\\"a\\\":2}\"}\n", "{\"data\":{\"a\":2,\"b\":0}}\n", "");
	/* sorted applies to what is parsed */
	CODEC(C(.sorted = 1), "{\"data\":\"{\\\"b\\\":1,\\\"a\\\":{\\\"d\\\":1,\\\"c\\\":2}}\"}\n",
	      "{\"data\":{\"a\":{\"c\":2,\"d\":1},\"b\":1}}\n", "");
	/* other members stay, in their place */
	CODEC(DEC, "{\"id\":7,\"data\":\"[1, 2]\",\"meta\":{\"m\":12345678901234567890},\"origin\":[{\"stream\":1}]}\n",
	      "{\"id\":7,\"data\":[1,2],\"meta\":{\"m\":12345678901234567890},\"origin\":[{\"stream\":1}]}\n", "");
	/* bytes become data */
	CODEC(DEC, "{\"bytes\":\"eyJhIjoxfQ==\",\"meta\":{\"binary\":true}}\n",
	      "{\"data\":{\"a\":1},\"meta\":{\"binary\":true}}\n", "");
	CODEC(DEC, "{\"meta\":{},\"bytes\" : \"WzEsMl0=\" }\n", "{\"meta\":{},\"data\":[1,2] }\n", "");
	/* a value already decoded passes, sorted or not */
	CODEC(DEC, "{\"data\":{\"b\":1,\"a\":2}}\n", "{\"data\":{\"b\":1,\"a\":2}}\n", "");
	CODEC(C(.sorted = 1), "{\"data\":{\"b\":1, \"a\":2}}\n", "{\"data\":{\"b\":1, \"a\":2}}\n", "");
	/* control events pass */
	CODEC(DEC, "{\"control\":\"open\",\"origin\":[]}\n", "{\"control\":\"open\",\"origin\":[]}\n", "");
	/* -R: plain lines of JSON; -r: the values */
	CODEC(C(.raw_in = 1), "{\"z\":1, \"a\":2}\n[1]\n", "{\"data\":{\"z\":1,\"a\":2}}\n{\"data\":[1]}\n", "");
	CODEC(C(.raw_in = 1, .raw_out = 1), "{\"z\":1, \"a\":2}\n\"x\\n\"\n", "{\"z\":1,\"a\":2}\nx\n\n", "");
}

static void decode_errors(void)
{
	CODEC(DEC, "{\"data\":\"nope\"}\n{\"data\":\"1\"}\n", "{\"data\":1}\n",
	      "json-codec: line 1: payload is not JSON: unexpected character at byte 0\n");
	CODEC(DEC, "{\"data\":\"[1,\"}\n{\"data\":\"\"}\n{\"data\":\"1 2\"}\n{\"data\":\"{\\\"a\\\":1,}\"}\n"
		   "{\"data\":\"\\\"\\\\x\\\"\"}\n{\"data\":\"[]\"}\n",
	      "{\"data\":[]}\n",
	      "json-codec: line 1: payload is not JSON: unexpected end of input at byte 3\n"
	      "json-codec: line 2: payload is not JSON: unexpected end of input at byte 0\n"
	      "json-codec: line 3: payload is not JSON: unexpected data after the value at byte 2\n"
	      "json-codec: line 4: payload is not JSON: expected a string key at byte 7\n"
	      "json-codec: line 5: payload is not JSON: bad escape in string at byte 1\n");
	/* the offset counts in the unescaped payload */
	CODEC(DEC, "{\"data\":\"\\u00e9\\n\"}\n", "",
	      "json-codec: line 1: payload is not JSON: unexpected character at byte 0\n");
	CODEC(DEC, "{\"data\":\"[\\\"\\u00e9\\\",x]\"}\n", "",
	      "json-codec: line 1: payload is not JSON: unexpected character at byte 6\n");
	/* bytes that are not UTF-8, bytes that are not base64 */
	CODEC(DEC, "{\"bytes\":\"Iv8i\"}\n{\"bytes\":\"e30\"}\n{\"bytes\":\"e30=\"}\n", "{\"data\":{}}\n",
	      "json-codec: line 1: payload is not JSON: invalid UTF-8 in string at byte 1\n"
	      "json-codec: line 2: bytes is not valid base64\n");
	/* not envelopes */
	CODEC(DEC, "{\"data\":\"1\"}x\n{\"control\":\"close\",\"data\":\"1\"}\n{\"data\":\"2\"}\n", "{\"data\":2}\n",
	      "json-codec: line 1: not an envelope: unexpected data after the object at byte 12\n"
	      "json-codec: line 2: not an envelope: control with data or bytes at byte 0\n");
	/* too deep */
	{
		struct wf_buf in, err;
		struct cfg c = DEC;
		int i;
		wf_buf_init(&in, (size_t)-1);
		wf_buf_init(&err, (size_t)-1);
		wf_buf_adds(&in, "{\"data\":\"");
		for (i = 0; i < WF_JSON_MAX_DEPTH + 1; i++)
			wf_buf_addc(&in, '[');
		wf_buf_adds(&in, "\"}\n{\"data\":\"0\"}\n");
		wf_buf_addf(&err, "json-codec: line 1: payload is not JSON: nested too deeply at byte %d\n",
			    WF_JSON_MAX_DEPTH);
		wf_buf_addc(&err, 0);
		check(__LINE__, &c, in.p, in.len, "{\"data\":0}\n", err.p);
		wf_buf_free(&in);
		wf_buf_free(&err);
	}
	/* as envelopes on the err port */
	CODEC(C(.envelopes = 1), "{\"data\":\"[1,\",\"meta\":{\"m\":1},\"origin\":[{\"stream\":4}]}\n", "",
	      "{\"data\":{\"error\":\"line 1: payload is not JSON: unexpected end of input at byte 3\","
	      "\"source\":\"json-codec\",\"stream\":4,\"input\":\"[1,\"},\"meta\":{\"m\":1},\"origin\":[{\"stream\":4}]}\n");
	CODEC(C(.envelopes = 1), "{\"bytes\":\"/w==\"}\n", "",
	      "{\"data\":{\"error\":\"line 1: payload is not JSON: unexpected character at byte 0\","
	      "\"source\":\"json-codec\",\"input_bytes\":\"/w==\"}}\n");
}

static void encode(void)
{
	CODEC(ENC, "{\"data\":{\"b\":1,\"a\":[1.0]}}\n", "{\"data\":\"{\\\"b\\\":1,\\\"a\\\":[1.0]}\"}\n", "");
	CODEC(C(.encode = 1, .sorted = 1), "{\"data\":{\"b\":1,\"a\":{\"d\":[],\"c\":null}}}\n",
	      "{\"data\":\"{\\\"a\\\":{\\\"c\\\":null,\\\"d\\\":[]},\\\"b\\\":1}\"}\n", "");
	/* a string becomes the JSON text of that string */
	CODEC(ENC, "{\"data\":\"x\"}\n", "{\"data\":\"\\\"x\\\"\"}\n", "");
	CODEC(ENC, "{\"data\":\"\\u00e9\"}\n", "{\"data\":\"\\\"\\\\u00e9\\\"\"}\n", "");
	CODEC(ENC, "{\"data\":\"a\\\"b\"}\n", "{\"data\":\"\\\"a\\\\\\\"b\\\"\"}\n", "");
	/* numbers as written */
	CODEC(ENC, "{\"data\":12345678901234567890}\n{\"data\":42.0}\n{\"data\": null }\n",
	      "{\"data\":\"12345678901234567890\"}\n{\"data\":\"42.0\"}\n{\"data\": \"null\" }\n", "");
	/* compact, a repeated key once */
	CODEC(ENC, "{\"data\":{ \"a\" : 1 , \"a\" : [ 2 ] }}\n", "{\"data\":\"{\\\"a\\\":[2]}\"}\n", "");
	/* bytes and control events pass; other members stay */
	CODEC(ENC, "{\"bytes\":\"/w==\"}\n{\"control\":\"close\"}\n{\"x\":[1],\"data\":1,\"meta\":{}}\n",
	      "{\"bytes\":\"/w==\"}\n{\"control\":\"close\"}\n{\"x\":[1],\"data\":\"1\",\"meta\":{}}\n", "");
	/* -r: the text */
	CODEC(C(.encode = 1, .raw_out = 1), "{\"data\":{\"x\":[1, 2]}}\n{\"data\":\"hi\"}\n{\"bytes\":\"aGk=\"}\n",
	      "{\"x\":[1,2]}\n\"hi\"\nhi\n", "");
	CODEC(C(.encode = 1, .raw_out = 1), "{\"bytes\":\"aGk\"}\n{\"data\":1}\n", "1\n",
	      "json-codec: line 1: bytes is not valid base64\n");
}

/* encode, then decode: the compact value comes back */
static void round_trip(void)
{
	static const char *const values[] = {
		"{\"a\":12345678901234567890,\"b\":42.0,\"c\":\"\\u00e9\"}",
		"[1,\"two\",{\"3\":[null,true,false]},\"\\\"q\\\"\\\\\"]",
		"\"\\ud83d\\ude00 \xf0\x9f\x98\x80\"",
		"-0.0e-0",
	};
	size_t i;

	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct wf_codec enc = { .kind = WF_CODEC_JSON, .encode = 1 };
		struct wf_codec dec = { .kind = WF_CODEC_JSON };
		struct wf_filter f = { 0 };
		struct fr_opts o = { .prog = "json-codec" };
		struct fr_result r1, r2;
		struct wf_buf in, want;
		wf_buf_init(&in, (size_t)-1);
		wf_buf_init(&want, (size_t)-1);
		wf_buf_addf(&in, "{\"data\":%s,\"k\":1}\n", values[i]);
		wf_codec_init(&enc, &f);
		fr_run(&f, in.p, in.len, &o, &r1);
		wf_codec_free(&enc);
		memset(&f, 0, sizeof f);
		wf_codec_init(&dec, &f);
		fr_run(&f, r1.out.p, r1.out.len, &o, &r2);
		wf_codec_free(&dec);
		CHECK(r1.rc == 0 && r2.rc == 0 && !r1.err.len && !r2.err.len);
		CHECK_MEM(r2.out.p, r2.out.len, in.p);
		fr_free(&r1);
		fr_free(&r2);
		wf_buf_free(&in);
		wf_buf_free(&want);
	}
}

static void string_codec(void)
{
	CODEC(SDEC, "{\"bytes\":\"aGk=\",\"meta\":{\"binary\":true}}\n{\"data\":\"hi\"}\n",
	      "{\"data\":\"hi\",\"meta\":{\"binary\":true}}\n{\"data\":\"hi\"}\n", "");
	CODEC(SDEC, "{\"bytes\":\"IgpcAX8=\"}\n", "{\"data\":\"\\\"\\n\\\\\\u0001\x7f\"}\n", "");
	CODEC(SDEC, "{\"bytes\":\"\"}\n", "{\"data\":\"\"}\n", "");
	CODEC(SDEC, "{\"data\":{\"a\":1}}\n", "{\"data\":{\"a\":1}}\n", "");
	CODEC(SDEC, "{\"bytes\":\"/w==\"}\n{\"bytes\":\"7aCA\"}\n{\"bytes\":\"YQ\"}\n{\"bytes\":\"w6k=\"}\n",
	      "{\"data\":\"\xc3\xa9\"}\n",
	      "json-codec: line 1: payload is not valid UTF-8\n"
	      "json-codec: line 2: payload is not valid UTF-8\n"
	      "json-codec: line 3: bytes is not valid base64\n");
	CODEC(C(.kind = WF_CODEC_STRING, .envelopes = 1), "{\"bytes\":\"/w==\",\"origin\":[{\"stream\":2}]}\n", "",
	      "{\"data\":{\"error\":\"line 1: payload is not valid UTF-8\",\"source\":\"json-codec\",\"stream\":2,"
	      "\"input_bytes\":\"/w==\"},\"origin\":[{\"stream\":2}]}\n");
	/* encode: strings and bytes stay, other values become their JSON text */
	CODEC(SENC, "{\"data\":\"hi\"}\n{\"bytes\":\"/w==\"}\n{\"data\":42.0}\n{\"data\":{ \"a\" : [1] }}\n",
	      "{\"data\":\"hi\"}\n{\"bytes\":\"/w==\"}\n{\"data\":\"42.0\"}\n{\"data\":\"{\\\"a\\\":[1]}\"}\n", "");
	CODEC(C(.kind = WF_CODEC_STRING, .encode = 1, .raw_out = 1), "{\"data\":\"h\\u00e9\"}\n{\"data\":[1]}\n",
	      "h\xc3\xa9\n[1]\n", "");
}

int main(void)
{
	decode();
	decode_errors();
	encode();
	round_trip();
	string_codec();
	return unit_done();
}
