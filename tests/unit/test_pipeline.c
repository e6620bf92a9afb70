/* pipeline: wf_pipeline_run over pipes and files. Pass-through byte for
 * byte, integration::out_or_exit, where filters, select expressions,
 * scripts setting $ and the event, streams, error events on the err port
 * and on stderr, binary events, control events, unconnected ports, setup
 * errors, backpressure and write errors. */
#include "unit.h"
#include "troy_tree.h"
#include "pipeline.h"
#include "troy_jq.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Definitions. */

static char **names(const char *a, const char *b, const char *c)
{
	char **v = tt_keep(calloc(4, sizeof *v));
	size_t i = 0;

	if (a)
		v[i++] = tt_str(a);
	if (b)
		v[i++] = tt_str(b);
	if (c)
		v[i++] = tt_str(c);
	return v;
}

static size_t count(char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/* A pipeline with the given ports (NULL: Tremor's defaults). */
static struct wf_troy_pipeline_def *pipeline(const char *name, char **from, char **into)
{
	struct wf_troy_pipeline_def *d = tt_keep(calloc(1, sizeof *d));

	d->name = tt_str(name);
	if (from) {
		d->from_ports = from;
		d->nfrom = count(from);
	}
	if (into) {
		d->into_ports = into;
		d->ninto = count(into);
	}
	d->selects = tt_keep(calloc(16, sizeof *d->selects));
	d->scripts = tt_keep(calloc(4, sizeof *d->scripts));
	d->script_uses = tt_keep(calloc(4, sizeof *d->script_uses));
	d->pos.file = "t.troy";
	d->pos.line = 1;
	d->pos.col = 1;
	return d;
}

/* `select expr from from [where where] into into`, at line `line`. */
static struct wf_troy_select *sel(struct wf_troy_pipeline_def *d, struct wf_texpr *expr, const char *from,
				  struct wf_texpr *where, const char *into, int line)
{
	struct wf_troy_select *s = &d->selects[d->nselects++];

	s->expr = expr;
	s->from = tt_str(from);
	s->where = where;
	s->into = tt_str(into);
	s->pos.file = "t.troy";
	s->pos.line = line;
	s->pos.col = 5;
	return s;
}

static void script(struct wf_troy_pipeline_def *d, const char *alias, struct wf_troy_script_def *s)
{
	struct wf_troy_script_use *u = &d->script_uses[d->nscript_uses++];

	d->scripts[d->nscripts++] = *s;
	u->alias = tt_str(alias);
	u->target = tt_str(s->name);
	u->pos.file = "t.troy";
	u->pos.line = 9;
	u->pos.col = 1;
}

/* integration::out_or_exit, as the test library defines it */
static struct wf_troy_pipeline_def *out_or_exit(void)
{
	struct wf_troy_pipeline_def *d = pipeline("out_or_exit", NULL, names("out", "exit", NULL));

	sel(d, ROOT("event"), "in", BIN("!=", ROOT("event"), KEY("exit")), "out", 7);
	sel(d, REC(KEY("exit"), LIT("0"), KEY("delay"), PATH("args", KEY("delay"))), "in",
	    BIN("==", ROOT("event"), KEY("exit")), "exit", 8);
	return d;
}

static struct wf_troy_pipeline_def *passthrough(void)
{
	struct wf_troy_pipeline_def *d = pipeline("passthrough", NULL, NULL);

	sel(d, ROOT("event"), "in", NULL, "out", 3);
	return d;
}

/* Running. */

#define MAXP 4

struct run {
	const char *ins[MAXP];		/* port names */
	const char *outs[MAXP];
	int out_fd[MAXP];		/* 0: a memfd (default), -1: unconnected, else as given */
	const char *args;
	struct wf_errsink *err;
	/* results */
	struct wf_buf out[MAXP], stderr_text;
	int rc;
	char msg[512];
};

static void slurp(int fd, struct wf_buf *into)
{
	char tmp[65536];
	ssize_t k;

	lseek(fd, 0, SEEK_SET);
	while ((k = read(fd, tmp, sizeof tmp)) > 0)
		wf_buf_add(into, tmp, (size_t)k);
	wf_buf_addc(into, 0);
	into->len--;
}

static int memfd_with(const char *text)
{
	int fd = memfd_create("in", 0);
	size_t n = strlen(text);

	if (n && write(fd, text, n) != (ssize_t)n)
		abort();
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Run d with in_text[i] on input port r->ins[i] (all "in" when unset). */
static void run(const struct wf_troy_pipeline_def *d, struct run *r, const char *const *in_text)
{
	struct wf_pipeline_port ins[MAXP], outs[MAXP];
	struct wf_pipeline_spec spec = { .def = d, .alias = "p", .args_json = r->args, .err = r->err };
	int infd[MAXP], outfd[MAXP], errfd = memfd_create("stderr", 0), saved2 = dup(2);
	size_t i;

	wf_buf_init(&r->stderr_text, (size_t)-1);
	for (i = 0; i < MAXP && in_text[i]; i++) {
		infd[i] = memfd_with(in_text[i]);
		ins[i].name = r->ins[i] ? r->ins[i] : "in";
		ins[i].fd = infd[i];
	}
	spec.in = ins;
	spec.nin = i;
	for (i = 0; i < MAXP && r->outs[i]; i++) {
		wf_buf_init(&r->out[i], (size_t)-1);
		outfd[i] = r->out_fd[i] == 0 ? memfd_create("out", 0) : r->out_fd[i];
		outs[i].name = r->outs[i];
		outs[i].fd = outfd[i];
	}
	spec.out = outs;
	spec.nout = i;
	dup2(errfd, 2);
	r->rc = wf_pipeline_run(&spec, r->msg, sizeof r->msg);
	dup2(saved2, 2);
	close(saved2);
	slurp(errfd, &r->stderr_text);
	close(errfd);
	for (i = 0; i < spec.nin; i++)
		close(infd[i]);
	for (i = 0; i < spec.nout; i++)
		if (r->out_fd[i] == 0) {
			slurp(outfd[i], &r->out[i]);
			close(outfd[i]);
		}
}

static void run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < MAXP && r->outs[i]; i++)
		wf_buf_free(&r->out[i]);
	wf_buf_free(&r->stderr_text);
}

#define IN1(text) ((const char *const[]){ (text), NULL })

/* The lines wsflow binaries write, with the values a pass-through keeps. */
#define LINES \
	"{\"data\":42.0}\n" \
	"{\"data\":12345678901234567890,\"meta\":{\"n\":1.50}}\n" \
	"{ \"x\" : [1, 2.0], \"data\" : {\"b\":1,\"a\":2} , \"origin\":[{\"source\":\"s\",\"stream\":7}]}\n" \
	"{\"data\":\"caf\\u00e9 \\/\",\"zz\":null}\n" \
	"{\"bytes\":\"/w==\",\"meta\":{\"binary\":true}}\n" \
	"{\"control\":\"open\",\"origin\":[{\"source\":\"s\",\"stream\":7}]}\n" \
	"{\"data\":\"exit\"}\n"

static void pass_through(void)
{
	struct run r = { .outs = { "out", "err" } };

	run(passthrough(), &r, IN1(LINES));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, LINES);
	CHECK_MEM(r.out[1].p, r.out[1].len, "");
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len, "");
	run_free(&r);

	/* the last line without its newline is still a line */
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	run(passthrough(), &r, IN1("{\"data\":1}\n{\"data\":2.0}"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":1}\n{\"data\":2.0}\n");
	run_free(&r);
}

static void or_exit(void)
{
	struct run r = { .outs = { "out", "exit" }, .args = "{\"delay\":0}" };

	run(out_or_exit(), &r, IN1(LINES));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len,
		  "{\"data\":42.0}\n"
		  "{\"data\":12345678901234567890,\"meta\":{\"n\":1.50}}\n"
		  "{ \"x\" : [1, 2.0], \"data\" : {\"b\":1,\"a\":2} , \"origin\":[{\"source\":\"s\",\"stream\":7}]}\n"
		  "{\"data\":\"caf\\u00e9 \\/\",\"zz\":null}\n"
		  "{\"bytes\":\"/w==\",\"meta\":{\"binary\":true}}\n"
		  "{\"control\":\"open\",\"origin\":[{\"source\":\"s\",\"stream\":7}]}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"control\":\"open\",\"origin\":[{\"source\":\"s\",\"stream\":7}]}\n"
		  "{\"data\":{\"exit\":0,\"delay\":0}}\n");
	/* a binary event is compared with "exit" by its bytes, as in Tremor */
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len, "");
	run_free(&r);

	/* the delay from args; meta, origin and other members of the "exit"
	 * event are kept; "exit" written with escapes is "exit" */
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	r.outs[1] = "exit";
	r.args = "{\"delay\":100000000}";
	run(out_or_exit(), &r,
	    IN1("{\"data\":\"a\"}\n"
		"{\"meta\":{\"ws_server\":{\"tls\":false}},\"data\":\"\\u0065xit\",\"origin\":[{\"stream\":3}],\"k\":1}\n"
		"{\"data\":\"b\"}\n{\"bytes\":\"ZXhpdA==\"}\n{\"data\":[\"exit\"]}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":\"a\"}\n{\"data\":\"b\"}\n{\"data\":[\"exit\"]}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"meta\":{\"ws_server\":{\"tls\":false}},\"data\":{\"exit\":0,\"delay\":100000000},"
		  "\"origin\":[{\"stream\":3}],\"k\":1}\n"
		  "{\"data\":{\"exit\":0,\"delay\":100000000}}\n");
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len, "");
	run_free(&r);

	/* an unconnected port drops its events silently */
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	r.outs[1] = "exit";
	r.out_fd[1] = -1;
	r.args = "{\"delay\":0}";
	run(out_or_exit(), &r, IN1("{\"data\":\"exit\"}\n{\"data\":\"x\"}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":\"x\"}\n");
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len, "");
	run_free(&r);
}

static void wheres_and_values(void)
{
	struct wf_troy_pipeline_def *d = pipeline("p", NULL, NULL);
	struct run r = { .outs = { "out", "err" } };

	/* where with jq, a select expression with meta, a constant */
	sel(d, REC(KEY("v"), PATH("event", KEY("a")), KEY("m"), AT(PATH("$", KEY("m")), 6)), "in",
	    BIN(">", AT(PATH("event", KEY("a")), 2), LIT("1")), "out", 4);
	sel(d, STR(KEY("n="), PATH("event", KEY("a"))), "in", BIN("==", AT(PATH("event", KEY("a")), 2), LIT("3")),
	    "out", 5);
	run(d, &r,
	    IN1("{\"data\":{\"a\":1},\"meta\":{\"m\":\"x\"}}\n"
		"{\"meta\":{\"m\":[1.0]},\"data\":{\"a\":2},\"origin\":[{\"stream\":4}]}\n"
		"{\"data\":{\"b\":2},\"meta\":{\"m\":0},\"origin\":[{\"source\":\"s\",\"stream\":9}]}\n"
		"{\"data\":{\"a\":3}}\n"));
	CHECK(r.rc == 0);
	/* the value went through jq (1.0 is 1); meta and origin as read */
	CHECK_MEM(r.out[0].p, r.out[0].len,
		  "{\"meta\":{\"m\":[1.0]},\"data\":{\"v\":2,\"m\":[1]},\"origin\":[{\"stream\":4}]}\n"
		  "{\"data\":\"n=3\"}\n");
	/* a missing key is an error event on err, with the event's meta,
	 * origin and stream; the other select still runs (and fails too);
	 * the fourth event has no meta: $m is missing */
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"data\":{\"error\":\"t.troy:1:2: no key \\\"a\\\" in the record\",\"source\":\"p\",\"stream\":9},"
		  "\"meta\":{\"m\":0},\"origin\":[{\"source\":\"s\",\"stream\":9}]}\n"
		  "{\"data\":{\"error\":\"t.troy:1:2: no key \\\"a\\\" in the record\",\"source\":\"p\",\"stream\":9},"
		  "\"meta\":{\"m\":0},\"origin\":[{\"source\":\"s\",\"stream\":9}]}\n"
		  "{\"data\":{\"error\":\"t.troy:1:6: no key \\\"m\\\" in the record\",\"source\":\"p\"}}\n");
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len, "");
	run_free(&r);
}

static void scripts(void)
{
	struct wf_troy_pipeline_def *d = pipeline("p", NULL, NULL);
	struct run r = { .outs = { "out", "err" } };

	/* define script s script let $seen = true; let $n = event.n; event end */
	script(d, "s", tt_script("s", 3, PATH("$", KEY("seen")), LIT("true"), PATH("$", KEY("n")),
				 AT(PATH("event", KEY("n")), 6), NULL, ROOT("event")));
	sel(d, ROOT("event"), "in", NULL, "s", 3);
	sel(d, ROOT("event"), "s", NULL, "out", 4);
	run(d, &r,
	    IN1("{\"data\":{\"n\":1.0,\"big\":12345678901234567890},\"meta\":{\"m\":1},\"origin\":[]}\n"
		"{\"data\":{\"n\":2}}\n"
		"{ \"data\":{\"x\":0}}\n"));
	CHECK(r.rc == 0);
	/* the data byte for byte, the new $ spliced in (or added) */
	CHECK_MEM(r.out[0].p, r.out[0].len,
		  "{\"data\":{\"n\":1.0,\"big\":12345678901234567890},\"meta\":{\"m\":1,\"seen\":true,\"n\":1},\"origin\":[]}\n"
		  "{\"meta\":{\"seen\":true,\"n\":2},\"data\":{\"n\":2}}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"data\":{\"error\":\"t.troy:1:6: no key \\\"n\\\" in the record\",\"source\":\"p\"}}\n");
	run_free(&r);

	/* a script that changes the event, then a where on the result */
	d = pipeline("p", NULL, NULL);
	script(d, "t", tt_script("t", 2, AT(PATH("event", KEY("seen")), 12), LIT("1"), NULL, ROOT("event")));
	sel(d, ROOT("event"), "in", NULL, "t", 3);
	sel(d, ROOT("event"), "t", PRESENT(PATH("event", KEY("seen"))), "out", 4);
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	run(d, &r, IN1("{\"data\":{\"a\":\"x\"},\"z\":1}\n{\"data\":\"str\"}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":{\"a\":\"x\",\"seen\":1},\"z\":1}\n");
	/* a string cannot take a key: an error on stderr (err not connected) */
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len,
		  "flow-run: pipeline p: t.troy:1:12: cannot assign to \"seen\" in string (not a record)\n");
	run_free(&r);
}

static void streams_and_ports(void)
{
	struct wf_troy_pipeline_def *d = pipeline("p", names("in", "side", NULL), names("out", "err", "copy"));
	struct run r = { .ins = { "in", "side" }, .outs = { "out", "copy" } };

	d->streams = names("mid", NULL, NULL);
	d->nstreams = 1;
	sel(d, ROOT("event"), "in", NULL, "mid", 3);
	sel(d, ROOT("event"), "side", NULL, "mid", 4);
	sel(d, ROOT("event"), "mid", NULL, "out", 5);
	sel(d, ARR(ROOT("event")), "side", NULL, "copy", 6);
	run(d, &r, (const char *const[]){ "{\"data\":1}\n{\"control\":\"close\"}\n", "{\"data\":2.0}\n", NULL });
	CHECK(r.rc == 0);
	/* the order between the two inputs is not fixed: sort of check both */
	CHECK(strstr(r.out[0].p, "{\"data\":1}\n") != NULL);
	CHECK(strstr(r.out[0].p, "{\"data\":2.0}\n") != NULL);
	CHECK(strstr(r.out[0].p, "{\"control\":\"close\"}\n") != NULL);
	CHECK(r.out[0].len == strlen("{\"data\":1}\n{\"data\":2.0}\n{\"control\":\"close\"}\n"));
	/* control events from in do not reach copy (only side's selects do) */
	CHECK_MEM(r.out[1].p, r.out[1].len, "{\"data\":[2]}\n");
	run_free(&r);
}

static void binary(void)
{
	struct wf_troy_pipeline_def *d = pipeline("p", NULL, NULL);
	struct run r = { .outs = { "out", "err" } };

	sel(d, ROOT("event"), "in", BIN("==", ROOT("event"), KEY("hi")), "out", 3);
	sel(d, REC(KEY("len"), CALL("string::len", ROOT("event"))), "in", NULL, "out", 4);
	run(d, &r, IN1("{\"bytes\":\"aGk=\",\"meta\":{\"binary\":true}}\n{\"bytes\":\"/w==\"}\n{\"bytes\":\"YQ\"}\n"));
	CHECK(r.rc == 0);
	/* a binary event passes as it is; a value made from it becomes data */
	CHECK_MEM(r.out[0].p, r.out[0].len,
		  "{\"bytes\":\"aGk=\",\"meta\":{\"binary\":true}}\n"
		  "{\"data\":{\"len\":2},\"meta\":{\"binary\":true}}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"data\":{\"error\":\"the binary payload is not UTF-8 text\",\"source\":\"p\"}}\n"
		  "{\"data\":{\"error\":\"bytes is not valid base64\",\"source\":\"p\"}}\n"
		  "{\"data\":{\"error\":\"bytes is not valid base64\",\"source\":\"p\"}}\n");
	run_free(&r);
}

static void bad_input(void)
{
	struct run r = { .outs = { "out", "err" } };
	struct wf_errsink sink;

	run(passthrough(), &r, IN1("{\"data\":1}\nnot json\n{\"meta\":{}}\n{\"data\":3}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":1}\n{\"data\":3}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"data\":{\"error\":\"port in, line 2: not an envelope: not a JSON object at byte 0\","
		  "\"source\":\"p\",\"input\":\"not json\"}}\n"
		  "{\"data\":{\"error\":\"port in, line 3: not an envelope: no data, bytes or control member at byte 0\","
		  "\"source\":\"p\",\"input\":\"{\\\"meta\\\":{}}\"}}\n");
	run_free(&r);

	/* without an err port: the errsink given, or the default one */
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	wf_err_init(&sink, "flow-run: pipeline q", "q", -1);
	r.err = &sink;
	run(passthrough(), &r, IN1("nope\n"));
	CHECK_MEM(r.stderr_text.p, r.stderr_text.len,
		  "flow-run: pipeline q: port in, line 1: not an envelope: not a JSON object at byte 0\n");
	CHECK(sink.count == 1);
	run_free(&r);
}

static const char *check(const struct wf_troy_pipeline_def *d, const char *in, const char *out)
{
	static char msg[512];
	struct wf_pipeline_port ip = { in, 0 }, op = { out, 1 };
	struct wf_pipeline_spec spec = { .def = d, .alias = "p", .args_json = "{\"delay\":0}",
					 .in = &ip, .nin = 1, .out = &op, .nout = 1 };
	int rc = wf_pipeline_check(&spec, msg, sizeof msg);

	if (!rc)
		snprintf(msg, sizeof msg, "ok");
	else if (rc != -EINVAL)
		snprintf(msg, sizeof msg, "rc %d", rc);
	return msg;
}

#define CHECKS(d, in, out, want) do { const char *m_ = check((d), (in), (out)); CHECK_MEM(m_, strlen(m_), want); } while (0)

static void setup_errors(void)
{
	struct wf_troy_pipeline_def *d;

	CHECKS(passthrough(), "in", "out", "ok");
	CHECKS(out_or_exit(), "in", "exit", "ok");
	CHECKS(passthrough(), "inn", "out", "t.troy:1:1: pipeline `passthrough` has no input port `inn`");
	CHECKS(passthrough(), "in", "exit", "t.troy:1:1: pipeline `passthrough` has no output port `exit`");
	d = pipeline("p", NULL, NULL);
	sel(d, ROOT("event"), "nowhere", NULL, "out", 3);
	CHECKS(d, "in", "out", "t.troy:3:5: unknown stream `nowhere`: not an input port, script or stream of `p`");
	d = pipeline("p", NULL, NULL);
	sel(d, ROOT("event"), "in", NULL, "exit", 4);
	CHECKS(d, "in", "out", "t.troy:4:5: unknown stream `exit`: not an output port, script or stream of `p`");
	d = pipeline("p", NULL, NULL);
	sel(d, ROOT("event"), "in", NULL, "out", 4)->into_port = tt_str("x");
	CHECKS(d, "in", "out", "t.troy:4:5: `out` has no port `x` to select into");
	d = pipeline("p", NULL, NULL);
	sel(d, AT(CALL("nanos::from_eons", LIT("1")), 7), "in", NULL, "out", 4);
	CHECKS(d, "in", "out", "t.troy:1:7: unknown function nanos::from_eons");
	/* selects have no locals */
	d = pipeline("p", NULL, NULL);
	sel(d, AT(ROOT("x"), 8), "in", NULL, "out", 4);
	CHECKS(d, "in", "out", "t.troy:1:8: unknown name `x`");
	/* a constant that cannot be computed is an error before the first event */
	d = pipeline("p", NULL, NULL);
	sel(d, AT(PATH("args", KEY("nope")), 8), "in", NULL, "out", 4);
	CHECKS(d, "in", "out", "t.troy:1:8: no key \"nope\" in the record");
	/* a loop through a stream */
	d = pipeline("p", NULL, NULL);
	d->streams = names("a", NULL, NULL);
	d->nstreams = 1;
	sel(d, ROOT("event"), "in", NULL, "a", 3);
	sel(d, ROOT("event"), "a", NULL, "a", 4);
	CHECKS(d, "in", "out", "t.troy:4:5: select into `a` makes a loop");
	/* an unknown script */
	d = pipeline("p", NULL, NULL);
	d->script_uses[0].alias = tt_str("s");
	d->script_uses[0].pos = (struct wf_troy_pos){ "t.troy", 9, 3, NULL };
	d->nscript_uses = 1;
	CHECKS(d, "in", "out", "t.troy:9:3: unknown script `s`");
}

/* A pipe of 4 KiB read slowly by a child that copies into a memfd: the
 * pipeline must wait for it, not drop or reorder anything. */
static void backpressure(void)
{
	struct run r = { .outs = { "out" } };
	struct wf_buf in, got;
	int p[2], sink = memfd_create("sink", 0);
	pid_t pid;
	size_t i;

	wf_buf_init(&in, (size_t)-1);
	wf_buf_init(&got, (size_t)-1);
	for (i = 0; i < 20000; i++)
		wf_buf_addf(&in, "{\"data\":%zu.0,\"pad\":\"%064zu\"}\n", i, i);
	wf_buf_addc(&in, 0);
	if (pipe(p) < 0)
		abort();
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	pid = fork();
	if (pid == 0) {
		char buf[1000];
		ssize_t k;
		close(p[1]);
		while ((k = read(p[0], buf, sizeof buf)) > 0) {
			if (write(sink, buf, (size_t)k) != k)
				_exit(1);
			usleep(50);
		}
		_exit(0);
	}
	close(p[0]);
	r.out_fd[0] = p[1];
	run(passthrough(), &r, IN1(in.p));
	close(p[1]);
	waitpid(pid, NULL, 0);
	CHECK(r.rc == 0);
	slurp(sink, &got);
	CHECK(got.len == in.len - 1 && !memcmp(got.p, in.p, got.len));
	close(sink);
	wf_buf_free(&in);
	wf_buf_free(&got);
	run_free(&r);
}

static void write_errors(void)
{
	struct run r = { .outs = { "out", "exit" }, .args = "{\"delay\":0}" };
	int full = open("/dev/full", O_WRONLY), p[2];

	if (full < 0)
		return;
	r.out_fd[0] = full;
	run(out_or_exit(), &r, IN1("{\"data\":1}\n"));
	CHECK(r.rc == -ENOSPC);
	CHECK_MEM(r.msg, strlen(r.msg), "pipeline p: port out: write error: No space left on device");
	close(full);
	run_free(&r);

	/* a port whose reader is gone is dropped, the others go on */
	if (pipe(p) < 0)
		abort();
	close(p[0]);
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	r.outs[1] = "exit";
	r.out_fd[1] = p[1];
	r.args = "{\"delay\":0}";
	run(out_or_exit(), &r, IN1("{\"data\":\"exit\"}\n{\"data\":1}\n{\"data\":\"exit\"}\n{\"data\":2}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":1}\n{\"data\":2}\n");
	close(p[1]);
	run_free(&r);
}

/* The real parser's trees: the test library's out_or_exit, and a script
 * with a function module, interpolation and a where on its output. */
static const char flow_src[] =
	"use std::time::nanos;\n"
	"define flow f\n"
	"flow\n"
	"  define pipeline out_or_exit\n"
	"  into out, exit\n"
	"  args\n"
	"    delay = 0\n"
	"  pipeline\n"
	"    select event from in where event != \"exit\" into out;\n"
	"    select {\"exit\": 0, \"delay\": args.delay} from in where event == \"exit\" into exit;\n"
	"  end;\n"
	"  define pipeline tag\n"
	"  pipeline\n"
	"    define script s\n"
	"    script\n"
	"      let $ms = nanos::from_millis(1);\n"
	"      let $name = \"x#{event.a}\";\n"
	"      event\n"
	"    end;\n"
	"    create script s;\n"
	"    select event from in into s;\n"
	"    select event from s where event.a > 1 into out;\n"
	"  end;\n"
	"  define pipeline bad\n"
	"  pipeline\n"
	"    select nanos::from_eons(1) from in into out;\n"
	"  end;\n"
	"  create pipeline out_or_exit;\n"
	"end;\n"
	"deploy flow f;\n";

static void parsed(void)
{
	char err[1024];
	struct wf_troy *t = wf_troy_parse("f.troy", flow_src, strlen(flow_src), NULL, err, sizeof err);
	const struct wf_troy_flow_def *f;
	const struct wf_troy_pipeline_def *d;
	struct wf_buf args;
	struct run r;

	CHECK(t != NULL);
	if (!t) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	f = wf_troy_find_flow(&t->main->scope, "f");
	wf_buf_init(&args, (size_t)-1);
	d = wf_troy_find_pipeline(&f->scope, "out_or_exit");
	CHECK(wf_troy_args(&args, &d->args, &f->creates[0].with, NULL, err, sizeof err) == 0);
	wf_buf_addc(&args, 0);
	CHECK_MEM(args.p, strlen(args.p), "{\"delay\":0}");
	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	r.outs[1] = "exit";
	r.args = args.p;
	run(d, &r, IN1("{\"data\":1.0}\n{\"data\":\"exit\",\"meta\":{}}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"data\":1.0}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len, "{\"data\":{\"exit\":0,\"delay\":0},\"meta\":{}}\n");
	run_free(&r);

	memset(&r, 0, sizeof r);
	r.outs[0] = "out";
	r.outs[1] = "err";
	run(wf_troy_find_pipeline(&f->scope, "tag"), &r, IN1("{\"data\":{\"a\":1}}\n{\"data\":{\"a\":2.50}}\n{\"data\":7}\n"));
	CHECK(r.rc == 0);
	CHECK_MEM(r.out[0].p, r.out[0].len, "{\"meta\":{\"ms\":1000000,\"name\":\"x2.5\"},\"data\":{\"a\":2.50}}\n");
	CHECK_MEM(r.out[1].p, r.out[1].len,
		  "{\"data\":{\"error\":\"f.troy:17:23: cannot index integer with \\\"a\\\"\",\"source\":\"p\"}}\n");
	run_free(&r);

	/* a compile error reads as the parser's, with the line and a caret */
	{
		struct wf_pipeline_spec spec = { .def = wf_troy_find_pipeline(&f->scope, "bad"), .alias = "bad" };
		CHECK(wf_pipeline_check(&spec, err, sizeof err) == -EINVAL);
		CHECK_MEM(err, strlen(err), "f.troy:26:12: unknown function nanos::from_eons\n"
		                            "    select nanos::from_eons(1) from in into out;\n"
		                            "           ^");
	}
	wf_buf_free(&args);
	wf_troy_free(t);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60);	/* a hang is a failure, not a stuck `make check` */
	pass_through();
	or_exit();
	wheres_and_values();
	scripts();
	streams_and_ports();
	binary();
	bad_input();
	setup_errors();
	backpressure();
	write_errors();
	parsed();
	tt_free_all();
	return unit_done();
}
