/* split: Tremor's `separate` preprocessor (buffered and not, max_length,
 * per-stream tails) and postprocessor (join), run through wf_filter_run
 * with the input from a file and, again, through a pipe one byte at a time. */
#include "unit.h"
#include "split.h"
#include "filter_run.h"

#include <stdarg.h>

struct cfg {
	int sep;		/* 0 means '\n'; use SEP_NUL for the NUL byte */
	size_t max, hard_max;
	int unbuffered, join, raw_in, raw_out, envelopes;
	size_t maxline;
};
#define SEP_NUL 256

static void run(const struct cfg *c, const char *in, size_t n, int by_byte, struct fr_result *r)
{
	struct wf_split s = { 0 };
	struct wf_filter f = { 0 };
	struct fr_opts o = { 0 };

	s.sep = (unsigned char)(c->sep == SEP_NUL ? 0 : c->sep ? c->sep : '\n');
	s.max = c->max;
	s.hard_max = c->hard_max ? c->hard_max : (size_t)1 << 20;
	s.buffered = !c->unbuffered;
	s.join = c->join;
	wf_split_init(&s, &f);
	o.raw_in = c->raw_in;
	o.raw_out = c->raw_out;
	o.maxline = c->maxline;
	o.err_envelopes = c->envelopes;
	o.by_byte = by_byte;
	o.prog = "lines-split";
	fr_run(&f, in, n, &o, r);
	wf_split_free(&s);
}

/* Run the case both ways; compare stdout and the error reports. */
static void check(int line, const struct cfg *c, const char *in, size_t n, const char *out,
		  const char *err)
{
	int by_byte;

	for (by_byte = 0; by_byte < 2; by_byte++) {
		struct fr_result r;
		run(c, in, n, by_byte, &r);
		unit_checks++;
		if (r.rc || r.out.len != strlen(out) || memcmp(r.out.p, out, r.out.len) ||
		    strcmp(r.err.p, err)) {
			unit_failures++;
			fprintf(stderr, "%s:%d: split case failed (%s)%s%s\n", __FILE__, line,
				by_byte ? "byte by byte" : "from a file", r.rc ? ": " : "", r.msg);
			fprintf(stderr, "  out:  %s  want: %s", r.out.p, out);
			fprintf(stderr, "  err:  %s  want: %s", r.err.p, err);
		}
		fr_free(&r);
	}
}

#define SPLIT(cfg_, in, out, err) do { \
	struct cfg c_ = cfg_; \
	check(__LINE__, &c_, (in), sizeof(in) - 1, (out), (err)); \
} while (0)
#define C(...) ((struct cfg){ __VA_ARGS__ })
#define BUF C(.max = 0)

static void buffered(void)
{
	SPLIT(BUF, "{\"data\":\"a\\nb\\nc\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\"}\n", "");
	/* the tail waits for the next chunk of the stream */
	SPLIT(BUF, "{\"data\":\"ab\"}\n{\"data\":\"c\\nd\"}\n",
	      "{\"data\":\"abc\"}\n{\"data\":\"d\"}\n", "");
	SPLIT(BUF, "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\\n\"}\n",
	      "{\"data\":\"abc\"}\n", "");
	/* a chunk that ends with the separator leaves nothing */
	SPLIT(BUF, "{\"data\":\"a\\n\"}\n", "{\"data\":\"a\"}\n", "");
	/* empty pieces between separators are written */
	SPLIT(BUF, "{\"data\":\"\\n\\n\"}\n", "{\"data\":\"\"}\n{\"data\":\"\"}\n", "");
	SPLIT(BUF, "{\"data\":\"\\nx\"}\n", "{\"data\":\"\"}\n{\"data\":\"x\"}\n", "");
	SPLIT(BUF, "{\"data\":\"a\"}\n{\"data\":\"\\n\"}\n", "{\"data\":\"a\"}\n", "");
	/* empty chunks add nothing */
	SPLIT(BUF, "{\"data\":\"\"}\n", "", "");
	SPLIT(BUF, "{\"data\":\"x\"}\n{\"data\":\"\"}\n", "{\"data\":\"x\"}\n", "");
	/* the last line of the input without its newline */
	SPLIT(BUF, "{\"data\":\"a\\nb\"}", "{\"data\":\"a\"}\n{\"data\":\"b\"}\n", "");
	/* Tremor's test_leftovers */
	SPLIT(BUF, "{\"data\":\"123\\n456\"}\n{\"data\":\"7890\"}\n{\"data\":\"123\\n456\"}\n",
	      "{\"data\":\"123\"}\n{\"data\":\"4567890123\"}\n{\"data\":\"456\"}\n", "");
}

static void members_kept(void)
{
	/* unknown members, their order, numbers and escapes as written */
	SPLIT(BUF, "{\"z\":1,\"data\":\"a\\nb\",\"n\":[12345678901234567890,42.0]}\n",
	      "{\"z\":1,\"data\":\"a\",\"n\":[12345678901234567890,42.0]}\n"
	      "{\"z\":1,\"data\":\"b\",\"n\":[12345678901234567890,42.0]}\n", "");
	SPLIT(BUF, "{\"data\":\"\\u00e9\\nx\\\\y\\/\"}\n",
	      "{\"data\":\"\\u00e9\"}\n{\"data\":\"x\\\\y\\/\"}\n", "");
	SPLIT(BUF, " { \"data\" : \"a\\nb\" , \"meta\":{\"m\":1} } \n",
	      " { \"data\" : \"a\" , \"meta\":{\"m\":1} } \n { \"data\" : \"b\" , \"meta\":{\"m\":1} } \n", "");
	/* a separator written as an escape cuts too */
	SPLIT(BUF, "{\"data\":\"a\\u000ab\\u000A\"}\n", "{\"data\":\"a\"}\n{\"data\":\"b\"}\n", "");
	/* a surrogate pair is not cut */
	SPLIT(BUF, "{\"data\":\"\\ud83d\\ude00\\n\"}\n", "{\"data\":\"\\ud83d\\ude00\"}\n", "");
	/* a flushed tail takes meta and origin from the stream's last event */
	SPLIT(BUF, "{\"meta\":{\"n\":1},\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"meta\":{\"n\":2},\"data\":\"b\",\"origin\":[{\"stream\":1}]}\n",
	      "{\"meta\":{\"n\":2},\"data\":\"ab\",\"origin\":[{\"stream\":1}]}\n", "");
	/* a value that is not a string is split as its JSON text */
	SPLIT(BUF, "{\"data\":42}\n", "{\"data\":\"42\"}\n", "");
	SPLIT(BUF, "{\"data\":[1,\"a\\nb\"]}\n", "{\"data\":\"[1,\\\"a\\\\nb\\\"]\"}\n", "");
	SPLIT(C(.sep = ','), "{\"data\":[1,2]}\n", "{\"data\":\"[1\"}\n{\"data\":\"2]\"}\n", "");
}

static void streams(void)
{
	/* each origin is a stream */
	SPLIT(BUF, "{\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"data\":\"b\",\"origin\":[{\"stream\":2}]}\n"
		   "{\"data\":\"c\\nd\",\"origin\":[{\"stream\":1}]}\n",
	      "{\"data\":\"ac\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"data\":\"d\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"data\":\"b\",\"origin\":[{\"stream\":2}]}\n", "");
	/* at EOF in the order the streams began to hold a tail */
	SPLIT(BUF, "{\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"data\":\"b\",\"origin\":[{\"stream\":2}]}\n"
		   "{\"data\":\"\\n\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"data\":\"c\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"data\":\"d\"}\n",
	      "{\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"data\":\"b\",\"origin\":[{\"stream\":2}]}\n"
	      "{\"data\":\"c\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"data\":\"d\"}\n", "");
	/* a close event flushes its stream first; open passes */
	SPLIT(BUF, "{\"data\":\"a\\nb\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"data\":\"x\\ny\",\"origin\":[{\"stream\":2}]}\n"
		   "{\"control\":\"open\",\"origin\":[{\"stream\":2}]}\n"
		   "{\"control\":\"close\",\"origin\":[{\"stream\":1}]}\n",
	      "{\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"data\":\"x\",\"origin\":[{\"stream\":2}]}\n"
	      "{\"control\":\"open\",\"origin\":[{\"stream\":2}]}\n"
	      "{\"data\":\"b\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"control\":\"close\",\"origin\":[{\"stream\":1}]}\n"
	      "{\"data\":\"y\",\"origin\":[{\"stream\":2}]}\n", "");
	/* after a close the stream starts afresh */
	SPLIT(BUF, "{\"data\":\"a\",\"origin\":[1]}\n{\"control\":\"close\",\"origin\":[1]}\n"
		   "{\"data\":\"b\\n\",\"origin\":[1]}\n{\"control\":\"close\",\"origin\":[1]}\n",
	      "{\"data\":\"a\",\"origin\":[1]}\n{\"control\":\"close\",\"origin\":[1]}\n"
	      "{\"data\":\"b\",\"origin\":[1]}\n{\"control\":\"close\",\"origin\":[1]}\n", "");
	/* events without an origin are one stream; a close without one flushes it */
	SPLIT(BUF, "{\"data\":\"a\"}\n{\"data\":\"b\",\"origin\":[2]}\n{\"control\":\"close\"}\n",
	      "{\"data\":\"a\"}\n{\"control\":\"close\"}\n{\"data\":\"b\",\"origin\":[2]}\n", "");
	/* the origin is compared as written */
	SPLIT(BUF, "{\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n"
		   "{\"data\":\"b\\n\",\"origin\":[ {\"stream\":1}]}\n",
	      "{\"data\":\"b\",\"origin\":[ {\"stream\":1}]}\n"
	      "{\"data\":\"a\",\"origin\":[{\"stream\":1}]}\n", "");
	/* other control events are passed on untouched */
	SPLIT(BUF, "{\"control\":\"custom\",\"x\":1}\n", "{\"control\":\"custom\",\"x\":1}\n", "");
}

/* Many streams: the table grows, streams come and go. */
static void many_streams(void)
{
	struct wf_buf in, want;
	struct cfg c = BUF;
	int i;

	wf_buf_init(&in, (size_t)-1);
	wf_buf_init(&want, (size_t)-1);
	for (i = 0; i < 300; i++)
		wf_buf_addf(&in, "{\"data\":\"s%d\",\"origin\":[%d]}\n", i, i);
	/* close the even ones, in reverse */
	for (i = 298; i >= 0; i -= 2) {
		wf_buf_addf(&in, "{\"control\":\"close\",\"origin\":[%d]}\n", i);
		wf_buf_addf(&want, "{\"data\":\"s%d\",\"origin\":[%d]}\n", i, i);
		wf_buf_addf(&want, "{\"control\":\"close\",\"origin\":[%d]}\n", i);
	}
	/* complete every third odd one */
	for (i = 1; i < 300; i += 6) {
		wf_buf_addf(&in, "{\"data\":\"!\\n\",\"origin\":[%d]}\n", i);
		wf_buf_addf(&want, "{\"data\":\"s%d!\",\"origin\":[%d]}\n", i, i);
	}
	for (i = 1; i < 300; i += 2)
		if ((i - 1) % 6)
			wf_buf_addf(&want, "{\"data\":\"s%d\",\"origin\":[%d]}\n", i, i);
	wf_buf_addc(&want, 0);
	check(__LINE__, &c, in.p, in.len, want.p, "");
	wf_buf_free(&in);
	wf_buf_free(&want);
}

static void bytes(void)
{
	/* "a\nb" */
	SPLIT(BUF, "{\"bytes\":\"YQpi\",\"meta\":{\"binary\":true}}\n",
	      "{\"bytes\":\"YQ==\",\"meta\":{\"binary\":true}}\n"
	      "{\"bytes\":\"Yg==\",\"meta\":{\"binary\":true}}\n", "");
	/* ff 0a fe, across two chunks */
	SPLIT(BUF, "{\"bytes\":\"/wr+\"}\n{\"bytes\":\"/wo=\"}\n",
	      "{\"bytes\":\"/w==\"}\n{\"bytes\":\"/v8=\"}\n", "");
	/* a tail of bytes completed by text, and the reverse: bytes */
	SPLIT(BUF, "{\"bytes\":\"YQ==\"}\n{\"data\":\"b\\n\"}\n", "{\"bytes\":\"YWI=\"}\n", "");
	SPLIT(BUF, "{\"data\":\"a\"}\n{\"bytes\":\"Ygo=\"}\n", "{\"bytes\":\"YWI=\"}\n", "");
	/* text completed by text stays text, escapes and all */
	SPLIT(BUF, "{\"data\":\"\\u00e9\"}\n{\"data\":\"\\t\\n\"}\n", "{\"data\":\"\\u00e9\\t\"}\n", "");
	/* empty bytes */
	SPLIT(BUF, "{\"bytes\":\"\"}\n", "", "");
	SPLIT(C(.unbuffered = 1), "{\"bytes\":\"\"}\n", "{\"bytes\":\"\"}\n", "");
	/* escapes inside the base64 text */
	SPLIT(BUF, "{\"bytes\":\"YQpi\\u003d\\u003d\"}\n", "", "lines-split: line 1: bytes is not valid base64\n");
	SPLIT(BUF, "{\"bytes\":\"\\/wr+\"}\n", "{\"bytes\":\"/w==\"}\n{\"bytes\":\"/g==\"}\n", "");
	/* bad base64 is reported and the next line goes on */
	SPLIT(BUF, "{\"bytes\":\"YQ\"}\n{\"data\":\"ok\\n\"}\n", "{\"data\":\"ok\"}\n",
	      "lines-split: line 1: bytes is not valid base64\n");
	/* a separator above 0x7f cuts the UTF-8 bytes; pieces that are not
	 * UTF-8 become bytes */
	SPLIT(C(.sep = 0xc3), "{\"data\":\"x\\u00e9y\"}\n", "{\"data\":\"x\"}\n{\"bytes\":\"qXk=\"}\n", "");
	SPLIT(C(.sep = 0xa9), "{\"data\":\"x\xc3\xa9y\"}\n", "{\"bytes\":\"eMM=\"}\n{\"data\":\"y\"}\n", "");
	SPLIT(C(.sep = 0xff), "{\"bytes\":\"Yf9i\"}\n", "{\"bytes\":\"YQ==\"}\n{\"bytes\":\"Yg==\"}\n", "");
}

static void separators(void)
{
	SPLIT(C(.sep = '\t'), "{\"data\":\"a\\tb\\u0009c\\nd\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\\nd\"}\n", "");
	SPLIT(C(.sep = '"'), "{\"data\":\"a\\\"b\\u0022c\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\"}\n", "");
	SPLIT(C(.sep = '\\'), "{\"data\":\"a\\\\b\\u005cc\\/d\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\\/d\"}\n", "");
	SPLIT(C(.sep = SEP_NUL), "{\"data\":\"a\\u0000b\"}\n", "{\"data\":\"a\"}\n{\"data\":\"b\"}\n", "");
	SPLIT(C(.sep = '\r'), "{\"data\":\"a\\r\\nb\"}\n", "{\"data\":\"a\"}\n{\"data\":\"\\nb\"}\n", "");
	SPLIT(C(.sep = ','), "{\"data\":\"a\\u002cb,c\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\"}\n", "");
	SPLIT(C(.sep = '/'), "{\"data\":\"a\\/b/c\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\"}\n", "");
	/* letters and digits of escapes are not separators */
	SPLIT(C(.sep = 'u'), "{\"data\":\"\\u00e9u\\u0075x\"}\n",
	      "{\"data\":\"\\u00e9\"}\n{\"data\":\"\"}\n{\"data\":\"x\"}\n", "");
	SPLIT(C(.sep = 'n'), "{\"data\":\"a\\nb\"}\n", "{\"data\":\"a\\nb\"}\n", "");
	SPLIT(C(.sep = '0'), "{\"data\":\"\\u00e90\\u0030\"}\n",
	      "{\"data\":\"\\u00e9\"}\n{\"data\":\"\"}\n", "");
	/* the newline is data when it is not the separator */
	SPLIT(C(.sep = ' '), "{\"data\":\"one two\\nthree\"}\n",
	      "{\"data\":\"one\"}\n{\"data\":\"two\\nthree\"}\n", "");
}

static void max_length(void)
{
	/* Tremor's test6, chunk by chunk */
	SPLIT(C(.max = 10), "{\"data\":\"012345\\n0123456789\\n\"}\n",
	      "{\"data\":\"012345\"}\n{\"data\":\"0123456789\"}\n", "");
	SPLIT(C(.max = 10), "{\"data\":\"012345\"}\n{\"data\":\"\\n0123456789\\n\"}\n",
	      "{\"data\":\"012345\"}\n{\"data\":\"0123456789\"}\n", "");
	SPLIT(C(.max = 10), "{\"data\":\"012345\"}\n{\"data\":\"0123456789\\n\"}\n"
			    "{\"data\":\"012345\\n0123456789\\n\"}\n",
	      "{\"data\":\"012345\"}\n{\"data\":\"0123456789\"}\n",
	      "lines-split: line 2: discarded a fragment of 10 bytes: with the buffered 6 it exceeds max-length 10\n");
	SPLIT(C(.max = 10), "{\"data\":\"012345\"}\n{\"data\":\"0123456789\"}\n"
			    "{\"data\":\"012345\\n0123456789\\n\"}\n",
	      "{\"data\":\"012345\"}\n{\"data\":\"0123456789\"}\n",
	      "lines-split: line 2: discarded a fragment of 10 bytes: with the buffered 6 it exceeds max-length 10\n");
	/* exactly the limit is kept, across chunks too */
	SPLIT(C(.max = 10), "{\"data\":\"01234\"}\n{\"data\":\"56789\\n\"}\n",
	      "{\"data\":\"0123456789\"}\n", "");
	/* a complete piece longer than the limit is dropped and reported; the
	 * others stay */
	SPLIT(C(.max = 3), "{\"data\":\"aaaa\\nbb\\nc\"}\n",
	      "{\"data\":\"bb\"}\n{\"data\":\"c\"}\n",
	      "lines-split: line 1: dropped a piece of 4 bytes: longer than max-length 3\n");
	SPLIT(C(.max = 3), "{\"data\":\"a\\nbbbb\\ncccc\\nd\\n\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"d\"}\n",
	      "lines-split: line 1: dropped a piece of 4 bytes: longer than max-length 3\n"
	      "lines-split: line 1: dropped a piece of 4 bytes: longer than max-length 3\n");
	/* a tail that grows too long is discarded; the stream starts afresh */
	SPLIT(C(.max = 3), "{\"data\":\"a\\nbbbb\"}\n{\"data\":\"c\\n\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"c\"}\n",
	      "lines-split: line 1: discarded a fragment of 4 bytes: with the buffered 0 it exceeds max-length 3\n");
	SPLIT(C(.max = 3), "{\"data\":\"ab\"}\n{\"data\":\"cd\"}\n{\"data\":\"e\"}\n",
	      "{\"data\":\"e\"}\n",
	      "lines-split: line 2: discarded a fragment of 2 bytes: with the buffered 2 it exceeds max-length 3\n");
	/* the length is counted unescaped */
	SPLIT(C(.max = 10), "{\"data\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\n\"}\n",
	      "{\"data\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}\n", "");
	SPLIT(C(.max = 9), "{\"data\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\n\"}\n", "",
	      "lines-split: line 1: dropped a piece of 10 bytes: longer than max-length 9\n");
	SPLIT(C(.max = 3), "{\"data\":\"\\u00e9\"}\n{\"data\":\"\\u00e9\\n\"}\n", "",
	      "lines-split: line 2: discarded a fragment of 2 bytes: with the buffered 2 it exceeds max-length 3\n");
	SPLIT(C(.max = 2), "{\"bytes\":\"/w==\"}\n{\"bytes\":\"/v0K\"}\n", "",
	      "lines-split: line 2: discarded a fragment of 2 bytes: with the buffered 1 it exceeds max-length 2\n");
	/* without a limit the tail is still bounded */
	SPLIT(C(.hard_max = 8), "{\"data\":\"12345\"}\n{\"data\":\"678\"}\n{\"data\":\"9\\n\"}\n"
				"{\"data\":\"x\\n\"}\n",
	      "{\"data\":\"x\"}\n",
	      "lines-split: line 3: discarded a fragment of 1 bytes: with the buffered 8 it exceeds max-length 8\n");
}

static void unbuffered(void)
{
	struct cfg u = C(.unbuffered = 1);

	/* Tremor's test_separate_no_buffer_no_maxlength */
	SPLIT(u, "{\"data\":\"snot\\nbadger\"}\n", "{\"data\":\"snot\"}\n{\"data\":\"badger\"}\n", "");
	SPLIT(u, "{\"data\":\"snot\\n\"}\n", "{\"data\":\"snot\"}\n{\"data\":\"\"}\n", "");
	SPLIT(u, "{\"data\":\"\\nsnot\"}\n", "{\"data\":\"\"}\n{\"data\":\"snot\"}\n", "");
	SPLIT(u, "{\"data\":\"\\n\"}\n", "{\"data\":\"\"}\n{\"data\":\"\"}\n", "");
	SPLIT(u, "{\"data\":\"abc\"}\n", "{\"data\":\"abc\"}\n", "");
	SPLIT(u, "{\"data\":\"\"}\n", "{\"data\":\"\"}\n", "");
	/* nothing is kept between events */
	SPLIT(u, "{\"data\":\"a\"}\n{\"data\":\"b\\n\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"\"}\n", "");
	/* over-long pieces are dropped, but never the last one */
	SPLIT(C(.unbuffered = 1, .max = 3), "{\"data\":\"aaaa\\nbb\\ncccc\"}\n",
	      "{\"data\":\"bb\"}\n{\"data\":\"cccc\"}\n",
	      "lines-split: line 1: dropped a piece of 4 bytes: longer than max-length 3\n");
	/* Tremor's test_max_length_unbuffered, in small */
	SPLIT(u, "{\"data\":\"AAAAAAAA\\nA\"}\n", "{\"data\":\"AAAAAAAA\"}\n{\"data\":\"A\"}\n", "");
	/* control events pass */
	SPLIT(u, "{\"data\":\"a\",\"origin\":[1]}\n{\"control\":\"close\",\"origin\":[1]}\n",
	      "{\"data\":\"a\",\"origin\":[1]}\n{\"control\":\"close\",\"origin\":[1]}\n", "");
	SPLIT(u, "{\"bytes\":\"/wr+\"}\n", "{\"bytes\":\"/w==\"}\n{\"bytes\":\"/g==\"}\n", "");
}

static void join(void)
{
	SPLIT(C(.join = 1), "{\"data\":\"a\"}\n", "{\"data\":\"a\\n\"}\n", "");
	SPLIT(C(.join = 1), "{\"data\":\"\"}\n", "{\"data\":\"\\n\"}\n", "");
	SPLIT(C(.join = 1, .sep = '\t'), "{\"data\":\"a\"}\n", "{\"data\":\"a\\t\"}\n", "");
	SPLIT(C(.join = 1, .sep = '"'), "{\"data\":\"a\"}\n", "{\"data\":\"a\\\"\"}\n", "");
	SPLIT(C(.join = 1, .sep = '\\'), "{\"data\":\"a\"}\n", "{\"data\":\"a\\\\\"}\n", "");
	SPLIT(C(.join = 1, .sep = SEP_NUL), "{\"data\":\"a\"}\n", "{\"data\":\"a\\u0000\"}\n", "");
	SPLIT(C(.join = 1, .sep = ','), "{\"data\":\"a\\n\"}\n", "{\"data\":\"a\\n,\"}\n", "");
	/* escapes stay, other members stay */
	SPLIT(C(.join = 1), "{\"x\":1,\"data\":\"\\u00e9\",\"meta\":{}}\n",
	      "{\"x\":1,\"data\":\"\\u00e9\\n\",\"meta\":{}}\n", "");
	/* bytes stay bytes */
	SPLIT(C(.join = 1), "{\"bytes\":\"YQ==\"}\n", "{\"bytes\":\"YQo=\"}\n", "");
	SPLIT(C(.join = 1), "{\"bytes\":\"YQ\"}\n{\"data\":\"b\"}\n", "{\"data\":\"b\\n\"}\n",
	      "lines-split: line 1: bytes is not valid base64\n");
	/* a value that is not a string: its JSON text */
	SPLIT(C(.join = 1), "{\"data\":{\"a\":42.0}}\n", "{\"data\":\"{\\\"a\\\":42.0}\\n\"}\n", "");
	/* a separator above 0x7f makes bytes */
	SPLIT(C(.join = 1, .sep = 0xff), "{\"data\":\"a\"}\n", "{\"bytes\":\"Yf8=\"}\n", "");
	/* control events pass, nothing is buffered */
	SPLIT(C(.join = 1), "{\"control\":\"close\"}\n{\"data\":\"a\"}\n",
	      "{\"control\":\"close\"}\n{\"data\":\"a\\n\"}\n", "");
	/* and -r writes the joined payload */
	SPLIT(C(.join = 1, .raw_out = 1), "{\"data\":\"a\"}\n{\"bytes\":\"Yg==\"}\n", "a\n\nb\n\n", "");
}

static void raw(void)
{
	/* -R: each line a text payload */
	SPLIT(C(.sep = ',', .raw_in = 1), "a,b\nc\n", "{\"data\":\"a\"}\n{\"data\":\"bc\"}\n", "");
	SPLIT(C(.sep = ',', .raw_in = 1), "\"q\"\t,x\n",
	      "{\"data\":\"\\\"q\\\"\\t\"}\n{\"data\":\"x\"}\n", "");
	/* a line that is not UTF-8 is bytes, and so are its pieces */
	SPLIT(C(.sep = ',', .raw_in = 1), "\"q\",\xff\n",
	      "{\"bytes\":\"InEi\"}\n{\"bytes\":\"/w==\"}\n", "");
	/* -r: the payloads only, control events not at all */
	SPLIT(C(.raw_out = 1), "{\"data\":\"a\\u00e9\\nb\"}\n{\"control\":\"close\"}\n{\"bytes\":\"/wr+\"}\n",
	      "a\xc3\xa9\nb\n\xff\n\xfe\n", "");
	SPLIT(C(.sep = ' ', .raw_in = 1, .raw_out = 1), "one two three\n", "one\ntwo\nthree\n", "");
	SPLIT(C(.raw_out = 1, .unbuffered = 1), "{\"data\":\"x\\n\"}\n", "x\n\n", "");
}

static void bad_input(void)
{
	/* each bad line is reported; the next line goes on */
	SPLIT(BUF, "hello\n{\"data\":\"a\\n\"}\n[]\n{\"data\":\"b\\n\"}\n{\"meta\":{}}\n{\"data\":\"c\\n\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"c\"}\n",
	      "lines-split: line 1: not an envelope: not a JSON object at byte 0\n"
	      "lines-split: line 3: not an envelope: not a JSON object at byte 0\n"
	      "lines-split: line 5: not an envelope: no data, bytes or control member at byte 0\n");
	SPLIT(BUF, "{\"data\":\"\xff\"}\n{\"data\":\"ok\\n\"}\n{\"data\":1,\"data\":2}\n",
	      "{\"data\":\"ok\"}\n",
	      "lines-split: line 1: not an envelope: invalid UTF-8 in string at byte 9\n"
	      "lines-split: line 3: not an envelope: repeated envelope member at byte 10\n");
	/* an over-long line */
	SPLIT(C(.maxline = 20), "{\"data\":\"a\\n\"}\n{\"data\":\"0123456789abcdef\"}\n{\"data\":\"b\\n\"}\n",
	      "{\"data\":\"a\"}\n{\"data\":\"b\"}\n",
	      "lines-split: line 2: longer than 20 bytes, skipped\n");
	/* empty lines are not envelopes */
	SPLIT(BUF, "\n{\"data\":\"a\\n\"}\n", "{\"data\":\"a\"}\n",
	      "lines-split: line 1: not an envelope: not a JSON object at byte 0\n");
}

static void error_envelopes(void)
{
	SPLIT(C(.max = 3, .envelopes = 1), "{\"data\":\"aaaa\\nb\",\"origin\":[{\"stream\":7}],\"meta\":{\"m\":1}}\n",
	      "{\"data\":\"b\",\"origin\":[{\"stream\":7}],\"meta\":{\"m\":1}}\n",
	      "{\"data\":{\"error\":\"line 1: dropped a piece of 4 bytes: longer than max-length 3\","
	      "\"source\":\"lines-split\",\"stream\":7,"
	      "\"input\":\"{\\\"data\\\":\\\"aaaa\\\\nb\\\",\\\"origin\\\":[{\\\"stream\\\":7}],\\\"meta\\\":{\\\"m\\\":1}}\"},"
	      "\"meta\":{\"m\":1},\"origin\":[{\"stream\":7}]}\n");
	SPLIT(C(.envelopes = 1), "nope\n", "",
	      "{\"data\":{\"error\":\"line 1: not an envelope: not a JSON object at byte 0\","
	      "\"source\":\"lines-split\",\"input\":\"nope\"}}\n");
	SPLIT(C(.envelopes = 1), "\xff\n", "",
	      "{\"data\":{\"error\":\"line 1: not an envelope: not a JSON object at byte 0\","
	      "\"source\":\"lines-split\",\"input_bytes\":\"/w==\"}}\n");
}

int main(void)
{
	buffered();
	members_kept();
	streams();
	many_streams();
	bytes();
	separators();
	max_length();
	unbuffered();
	join();
	raw();
	bad_input();
	error_envelopes();
	return unit_done();
}
