/* filter: the driver. Emit helpers, -R/-r, error reports, write errors, and
 * backpressure: a non-blocking stdout that fills up must neither lose nor
 * hold back events. */
#include "unit.h"
#include "filter_run.h"

#include <poll.h>

/* A filter that passes data events on, replaces the data of events whose
 * data is "swap" and emits a marker at EOF. */
static int ev_pass(struct wf_filter *f, const struct wf_event *ev)
{
	if (ev->data.k && ev->data.ve - ev->data.v == 6 && !memcmp(ev->data.v, "\"swap\"", 6))
		return wf_filter_emit(f, ev, &ev->data, NULL, "[1,2]", 5);
	if (ev->data.k && ev->data.ve - ev->data.v == 6 && !memcmp(ev->data.v, "\"tobs\"", 6))
		return wf_filter_emit(f, ev, &ev->data, "bytes", "\"/w==\"", 6);
	if (ev->data.k && ev->data.ve - ev->data.v == 7 && !memcmp(ev->data.v, "\"begin\"", 7)) {
		size_t mark;
		struct wf_buf *o = wf_filter_begin(f, ev, &ev->data, NULL, &mark);
		if (!o)
			return -ENOBUFS;
		wf_buf_adds(o, "\"began\"");
		return wf_filter_end(f, ev, &ev->data, NULL, mark);
	}
	if (ev->data.k && ev->data.ve - ev->data.v == 7 && !memcmp(ev->data.v, "\"abort\"", 7)) {
		size_t mark;
		struct wf_buf *o = wf_filter_begin(f, ev, &ev->data, NULL, &mark);
		if (!o)
			return -ENOBUFS;
		wf_buf_adds(o, "\"half");
		wf_filter_abort(f, mark);
		return 0;
	}
	if (ev->data.k && ev->data.ve - ev->data.v == 6 && !memcmp(ev->data.v, "\"fail\"", 6))
		return -ENOMEM;
	return wf_filter_pass(f, ev);
}

static int finish_marker(struct wf_filter *f)
{
	return wf_buf_adds(&f->out.buf, "{\"data\":\"end\"}\n");
}

static void setup(struct wf_filter *f)
{
	memset(f, 0, sizeof *f);
	f->event = ev_pass;
	f->finish = finish_marker;
}

#define RUN(opts, in, want_out, want_err) do { \
	struct wf_filter f_; struct fr_result r_; struct fr_opts o_ = opts; \
	setup(&f_); \
	fr_run(&f_, (in), sizeof(in) - 1, &o_, &r_); \
	CHECK(r_.rc == 0); \
	CHECK_MEM(r_.out.p, r_.out.len, (want_out)); \
	CHECK_MEM(r_.err.p, r_.err.len, (want_err)); \
	fr_free(&r_); \
} while (0)
#define O(...) ((struct fr_opts){ __VA_ARGS__ })

static void emitting(void)
{
	RUN(O(0), "", "{\"data\":\"end\"}\n", "");
	RUN(O(0), "{\"data\":\"a\"}\n{\"x\":1,\"data\":\"swap\",\"y\":2}\n",
	    "{\"data\":\"a\"}\n{\"x\":1,\"data\":[1,2],\"y\":2}\n{\"data\":\"end\"}\n", "");
	RUN(O(0), "{\"data\" : \"tobs\" }\n", "{\"bytes\":\"/w==\" }\n{\"data\":\"end\"}\n", "");
	RUN(O(0), "{\"data\":\"begin\",\"m\":{}}\n", "{\"data\":\"began\",\"m\":{}}\n{\"data\":\"end\"}\n", "");
	RUN(O(0), "{\"data\":\"a\"}\n{\"data\":\"abort\"}\n{\"data\":\"b\"}\n",
	    "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"end\"}\n", "");
	/* control events pass without a control callback */
	RUN(O(0), "{\"control\":\"open\"}\n", "{\"control\":\"open\"}\n{\"data\":\"end\"}\n", "");
	/* -r */
	RUN(O(.raw_out = 1), "{\"data\":\"a\\tb\"}\n{\"data\":\"swap\"}\n{\"data\":\"tobs\"}\n"
			     "{\"control\":\"open\"}\n{\"data\":{\"k\":42.0}}\n{\"bytes\":\"aGk=\"}\n"
			     "{\"data\":\"begin\"}\n{\"data\":\"abort\"}\n{\"bytes\":\"a\\/8=\"}\n",
	    "a\tb\n[1,2]\n\xff\n{\"k\":42.0}\nhi\nbegan\nk\xff\n{\"data\":\"end\"}\n", "");
	/* -r with bytes that are not base64: an error event, not the end */
	RUN(O(.raw_out = 1), "{\"bytes\":\"YQ\"}\n{\"data\":\"b\"}\n", "b\n{\"data\":\"end\"}\n",
	    "f: line 1: bytes is not valid base64\n");
	/* -R */
	RUN(O(.raw_in = 1), "plain \"text\"\n\xff\xfe\n\nlast",
	    "{\"data\":\"plain \\\"text\\\"\"}\n{\"bytes\":\"//4=\"}\n{\"data\":\"\"}\n{\"data\":\"last\"}\n"
	    "{\"data\":\"end\"}\n", "");
	RUN(O(.raw_in = 1, .raw_out = 1), "a\\n\n\xff\n", "a\\n\n\xff\n{\"data\":\"end\"}\n", "");
	/* -R lines are bounded too */
	RUN(O(.raw_in = 1, .maxline = 4), "abcd\nabcde\nx\n",
	    "{\"data\":\"abcd\"}\n{\"data\":\"x\"}\n{\"data\":\"end\"}\n",
	    "f: line 2: longer than 4 bytes, skipped\n");
}

static void errors(void)
{
	/* bad lines: stderr lines, and envelopes on the err fd */
	RUN(O(0), "x\n{\"data\":\"a\"}\n{\"data\":\"a\",\"bytes\":\"\"}\n{\"data\":\"b\"}\n",
	    "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":\"end\"}\n",
	    "f: line 1: not an envelope: not a JSON object at byte 0\n"
	    "f: line 3: not an envelope: both data and bytes at byte 0\n");
	RUN(O(.err_envelopes = 1, .prog = "p"), "{\"data\":1}x\n{\"data\":\"a\"}\n",
	    "{\"data\":\"a\"}\n{\"data\":\"end\"}\n",
	    "{\"data\":{\"error\":\"line 1: not an envelope: unexpected data after the object at byte 10\","
	    "\"source\":\"p\",\"input\":\"{\\\"data\\\":1}x\"}}\n");
	/* the offending input is cut to 4 KiB */
	{
		struct wf_filter f;
		struct fr_result r;
		struct fr_opts o = O(.err_envelopes = 1);
		char in[6001];
		memset(in, 'x', 6000);
		in[6000] = '\n';
		setup(&f);
		fr_run(&f, in, sizeof in, &o, &r);
		CHECK(r.rc == 0);
		CHECK(strstr(r.err.p, "\"input\":\"xxxx") != NULL);
		CHECK(r.err.len == strlen("{\"data\":{\"error\":\"line 1: not an envelope: not a JSON object at byte 0\","
					  "\"source\":\"f\",\"input\":\"\"}}\n") + 4096);
		fr_free(&r);
	}
	/* ... at a character boundary, so that text stays text */
	{
		struct wf_filter f;
		struct fr_result r;
		struct fr_opts o = O(.err_envelopes = 1);
		char in[6001];
		int i;
		for (i = 0; i < 6000; i += 3)
			memcpy(in + i, "\xe2\x82\xac", 3);
		in[6000] = '\n';
		setup(&f);
		fr_run(&f, in, sizeof in, &o, &r);
		CHECK(r.rc == 0);
		CHECK(strstr(r.err.p, "\"input\":\"\xe2\x82\xac") != NULL);
		CHECK(r.err.len == strlen("{\"data\":{\"error\":\"line 1: not an envelope: not a JSON object at byte 0\","
					  "\"source\":\"f\",\"input\":\"\"}}\n") + 4095);
		fr_free(&r);
	}
	/* a callback error stops the run */
	{
		struct wf_filter f;
		struct fr_result r;
		struct fr_opts o = O(0);
		const char in[] = "{\"data\":\"a\"}\n{\"data\":\"fail\"}\n{\"data\":\"b\"}\n";
		setup(&f);
		fr_run(&f, in, sizeof in - 1, &o, &r);
		CHECK(r.rc == -ENOMEM);
		CHECK(!strcmp(r.msg, "out of memory: Cannot allocate memory"));
		fr_free(&r);
	}
}

/* Write errors: the message the binaries print. */
static void write_errors(void)
{
	struct wf_filter f;
	struct wf_errsink sink;
	char msg[256];
	int in = memfd_create("in", 0), out, p[2];

	CHECK(write(in, "{\"data\":\"a\"}\n", 13) == 13);
	lseek(in, 0, SEEK_SET);
	setup(&f);
	f.err = &sink;
	wf_err_init(&sink, "f", "f", -1);
	f.maxline = 100;
	out = open("/dev/full", O_WRONLY);
	CHECK(wf_filter_run(&f, in, out, msg, sizeof msg) == -ENOSPC);
	CHECK(!strcmp(msg, "write error: No space left on device"));
	close(out);
	/* a reader that went away */
	lseek(in, 0, SEEK_SET);
	CHECK(pipe(p) == 0);
	close(p[0]);
	setup(&f);
	f.err = &sink;
	f.maxline = 100;
	CHECK(wf_filter_run(&f, in, p[1], msg, sizeof msg) == -EPIPE);
	CHECK(!strcmp(msg, "write error: Broken pipe"));
	close(p[1]);
	/* a read error */
	setup(&f);
	f.err = &sink;
	f.maxline = 100;
	out = memfd_create("out", 0);
	{
		int d = open("/tmp", O_RDONLY | O_DIRECTORY);
		CHECK(wf_filter_run(&f, d, out, msg, sizeof msg) == -EISDIR);
		CHECK(!strcmp(msg, "read error: Is a directory"));
		close(d);
	}
	close(out);
	close(in);
}

/* A consumer process: reads fd until EOF into a memfd; when it has seen
 * `lines` newlines it writes one byte to `tell` (if >= 0). It closes
 * `other`, the write end of its pipe, and `other2`. */
static pid_t consumer(int fd, int store, long lines, int tell, int other, int other2)
{
	pid_t pid = fork();

	if (pid == 0) {
		char buf[1000];
		close(other);
		if (other2 >= 0)
			close(other2);
		ssize_t k;
		long seen = 0;
		while ((k = read(fd, buf, sizeof buf)) != 0) {
			ssize_t i;
			if (k < 0) {
				struct pollfd pfd = { .fd = fd, .events = POLLIN };
				if (errno != EAGAIN || poll(&pfd, 1, -1) < 0)
					_exit(2);
				continue;
			}
			if (write(store, buf, (size_t)k) != k)
				_exit(3);
			for (i = 0; i < k; i++)
				if (buf[i] == '\n' && ++seen == lines && tell >= 0 &&
				    write(tell, "!", 1) != 1)
					_exit(4);
		}
		_exit(0);
	}
	return pid;
}

static void expected(struct wf_buf *b, long n, int marker)
{
	long i;

	for (i = 0; i < n; i++)
		wf_buf_addf(b, "{\"data\":\"event number %ld\"}\n", i);
	if (marker)
		wf_buf_adds(b, "{\"data\":\"end\"}\n");
}

/* stdout a non-blocking pipe that a slower reader drains: every event
 * arrives, in order, and the EOF marker last. */
static void backpressure_eof(void)
{
	const long n = 60000;
	struct wf_filter f;
	struct wf_errsink sink;
	struct wf_buf in, want, got;
	char msg[256];
	int infd = memfd_create("in", 0), store = memfd_create("store", 0), p[2], round;

	wf_buf_init(&in, (size_t)-1);
	wf_buf_init(&want, (size_t)-1);
	expected(&in, n, 0);
	expected(&want, n, 1);
	CHECK(write(infd, in.p, in.len) == (ssize_t)in.len);
	for (round = 0; round < 3; round++) {
		pid_t pid;
		int st;
		lseek(infd, 0, SEEK_SET);
		CHECK(ftruncate(store, 0) == 0);
		lseek(store, 0, SEEK_SET);
		CHECK(pipe2(p, O_NONBLOCK) == 0);
		fcntl(p[1], F_SETPIPE_SZ, 4096);
		pid = consumer(p[0], store, -1, -1, p[1], -1);
		close(p[0]);
		setup(&f);
		f.err = &sink;
		wf_err_init(&sink, "f", "f", -1);
		f.maxline = 1000;
		msg[0] = 0;
		CHECK(wf_filter_run(&f, infd, p[1], msg, sizeof msg) == 0);
		if (msg[0])
			fprintf(stderr, "  %s\n", msg);
		close(p[1]);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		wf_buf_init(&got, (size_t)-1);
		fr_slurp(store, &got);
		CHECK(got.len == want.len && !memcmp(got.p, want.p, want.len));
		if (got.len != want.len)
			fprintf(stderr, "  got %zu bytes of %zu\n", got.len, want.len);
		wf_buf_free(&got);
	}
	wf_buf_free(&in);
	wf_buf_free(&want);
	close(infd);
	close(store);
}

/* The same with an input that stays open until the reader has every event:
 * nothing may wait in the filter for more input. */
static void backpressure_idle(void)
{
	const long n = 30000;
	struct wf_filter f;
	struct wf_errsink sink;
	struct wf_buf in, want, got;
	char msg[256];
	int store = memfd_create("store", 0), inp[2], outp[2], tell[2], st;
	pid_t writer, reader;

	wf_buf_init(&in, (size_t)-1);
	wf_buf_init(&want, (size_t)-1);
	expected(&in, n, 0);
	expected(&want, n, 1);
	CHECK(pipe(inp) == 0 && pipe2(outp, O_NONBLOCK) == 0 && pipe(tell) == 0);
	fcntl(outp[1], F_SETPIPE_SZ, 4096);
	fcntl(inp[1], F_SETPIPE_SZ, 1 << 20);
	writer = fork();
	if (writer == 0) {
		char c;
		close(inp[0]);
		close(tell[1]);
		close(outp[0]);
		close(outp[1]);
		if (write(inp[1], in.p, in.len) != (ssize_t)in.len)
			_exit(1);
		/* keep the input open until the reader has seen every event */
		_exit(read(tell[0], &c, 1) == 1 ? 0 : 2);
	}
	close(tell[0]);
	close(inp[1]);
	reader = consumer(outp[0], store, n, tell[1], outp[1], inp[0]);
	close(tell[1]);
	close(outp[0]);
	setup(&f);
	f.err = &sink;
	wf_err_init(&sink, "f", "f", -1);
	f.maxline = 1000;
	alarm(60);	/* a deadline: a withheld event hangs here */
	CHECK(wf_filter_run(&f, inp[0], outp[1], msg, sizeof msg) == 0);
	alarm(0);
	close(outp[1]);
	close(inp[0]);
	CHECK(waitpid(writer, &st, 0) == writer && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(waitpid(reader, &st, 0) == reader && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	wf_buf_init(&got, (size_t)-1);
	fr_slurp(store, &got);
	CHECK(got.len == want.len && !memcmp(got.p, want.p, want.len));
	wf_buf_free(&got);
	wf_buf_free(&in);
	wf_buf_free(&want);
	close(store);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	emitting();
	errors();
	write_errors();
	backpressure_eof();
	backpressure_idle();
	return unit_done();
}
