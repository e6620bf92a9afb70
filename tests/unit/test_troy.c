/* troy: the lexer, every production, the seed flows, the shipped modules,
 * module search, name resolution, every error message (with its line,
 * column and caret) and robustness against cut and mangled input. */
#include "unit.h"
#include "troy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char errbuf[8192];
static const char *shipped_dirs[] = { "lib/troy" };
static const struct wf_troy_path shipped = { shipped_dirs, 1 };

static struct wf_troy *parse_with_path(const char *text, const struct wf_troy_path *p)
{
	errbuf[0] = 0;
	return wf_troy_parse("t.troy", text, strlen(text), p, errbuf, sizeof errbuf);
}

static struct wf_troy *parse(const char *text)
{
	return parse_with_path(text, &shipped);
}

#define CHECK_OK(t) do { \
	if (!(t)) \
		fprintf(stderr, "%s:%d: parse failed:\n%s\n", __FILE__, __LINE__, errbuf); \
	CHECK(t); \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	unit_checks++; \
	if (!g_ || strcmp(g_, w_)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, g_ ? g_ : "(null)", w_); \
	} \
} while (0)

/* The parse of text fails with exactly want. */
static void check_err_text(int line, const char *text, const struct wf_troy_path *p, const char *want)
{
	struct wf_troy *t = parse_with_path(text, p);

	unit_checks++;
	if (t || strcmp(errbuf, want)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: error case failed\n--- got:\n%s\n--- want:\n%s\n---\n", __FILE__, line,
			t ? "(it parsed)" : errbuf, want);
	}
	wf_troy_free(t);
}

/* The error in t.troy at line:col with msg: the message, then that line of
 * text and a caret under col (spaces before it: the text has no tabs). */
static void check_err_at(int line, const char *text, const struct wf_troy_path *p, int l, int c,
			 const char *msg)
{
	char want[8192];
	const char *s = text, *e;
	int i, n;

	for (i = 1; i < l && s; i++)
		if ((s = strchr(s, '\n')))
			s++;
	if (!s)
		s = "";
	e = strchr(s, '\n');
	n = snprintf(want, sizeof want, "t.troy:%d:%d: %s\n%.*s\n", l, c, msg,
		     (int)(e ? (size_t)(e - s) : strlen(s)), s);
	for (i = 1; i < c; i++)
		want[n++] = ' ';
	want[n++] = '^';
	want[n] = 0;
	check_err_text(line, text, p, want);
}

#define CHECK_ERR(text, want) check_err_text(__LINE__, (text), &shipped, (want))
#define CHECK_ERR_AT(text, l, c, msg) check_err_at(__LINE__, (text), &shipped, (l), (c), (msg))
#define CHECK_ERR_AT_P(text, p, l, c, msg) check_err_at(__LINE__, (text), (p), (l), (c), (msg))

/* ---- expressions as S-expressions ---- */

struct out {
	char buf[4096];
	size_t n;
};

static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += (size_t)r < sizeof o->buf - o->n ? (size_t)r : sizeof o->buf - o->n - 1;
}

static void dump(struct out *o, const struct wf_texpr *e)
{
	static const char *const kinds[] = { "lit", "str", "record", "array", "path", "call", "bin", "un", "present" };
	size_t i;

	if (!e) {
		outf(o, "NULL");
		return;
	}
	if (e->kind == WF_TE_LIT) {
		outf(o, "%s", e->lit);
		return;
	}
	outf(o, "(%s", kinds[e->kind]);
	if (e->lit)
		outf(o, " %s", e->lit);
	for (i = 0; i < e->nkids; i++) {
		outf(o, " ");
		dump(o, e->kids[i]);
	}
	outf(o, ")");
}

static const char *show(const struct wf_texpr *e)
{
	static struct out o;

	o.n = 0;
	o.buf[0] = 0;
	dump(&o, e);
	return o.buf;
}

/* A flow around one pipeline whose body is the text given. */
#define PIPE_HEAD "define flow f flow define pipeline p pipeline "
#define PIPE_TAIL " end; end;"

static const struct wf_troy_pipeline_def *pipeline_of(const struct wf_troy *t)
{
	return &t->main->scope.flows[0].scope.pipelines[0];
}

/* The expression of `select EXPR from in into out`, shown. */
static void check_expr(int line, const char *src, const char *want)
{
	char text[4096];
	struct wf_troy *t;

	snprintf(text, sizeof text, PIPE_HEAD "select %s from in into out;" PIPE_TAIL, src);
	t = parse(text);
	unit_checks++;
	if (!t) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s: parse failed:\n%s\n", __FILE__, line, src, errbuf);
		return;
	}
	if (strcmp(show(pipeline_of(t)->selects[0].expr), want)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, line, src,
			show(pipeline_of(t)->selects[0].expr), want);
	}
	wf_troy_free(t);
}

#define CHECK_EXPR(src, want) check_expr(__LINE__, (src), (want))

static void expressions(void)
{
	/* literals */
	CHECK_EXPR("1", "1");
	CHECK_EXPR("1_000", "1000");
	CHECK_EXPR("007", "7");
	CHECK_EXPR("0x1F", "31");
	CHECK_EXPR("0xff_ff", "65535");
	CHECK_EXPR("18446744073709551615", "18446744073709551615");
	CHECK_EXPR("1.5", "1.5");
	CHECK_EXPR("1_0.2_5", "10.25");
	CHECK_EXPR("00.5", "0.5");
	CHECK_EXPR("2.5e-3", "2.5e-3");
	CHECK_EXPR("1.0E+10", "1.0E+10");
	CHECK_EXPR("-1", "-1");
	CHECK_EXPR("-1.5", "-1.5");
	CHECK_EXPR("- 2", "-2");
	CHECK_EXPR("--2", "(un - -2)");
	CHECK_EXPR("+3", "3");
	CHECK_EXPR("true", "true");
	CHECK_EXPR("false", "false");
	CHECK_EXPR("null", "null");
	/* strings */
	CHECK_EXPR("\"\"", "\"\"");
	CHECK_EXPR("\"exit\"", "\"exit\"");
	CHECK_EXPR("\"a\\\"b\\\\c\\/d\"", "\"a\\\"b\\\\c/d\"");
	CHECK_EXPR("\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\"");
	CHECK_EXPR("\"\\u00e9\\u0001\"", "\"\xc3\xa9\\u0001\"");
	CHECK_EXPR("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
	CHECK_EXPR("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"");
	CHECK_EXPR("\"a\\#{b}\"", "\"a#{b}\"");
	CHECK_EXPR("\"# not a comment\"", "\"# not a comment\"");
	CHECK_EXPR("\"a#b\"", "\"a#b\"");
	CHECK_EXPR("\"tab\there\"", "\"tab\\there\"");
	CHECK_EXPR("\"a#{event.x}b\"", "(str \"a\" (path event \"x\") \"b\")");
	CHECK_EXPR("\"#{1 + 2}\"", "(str (bin + 1 2))");
	CHECK_EXPR("\"#{ \"in#{ $x }\" }!\"", "(str (str \"in\" (path $ \"x\")) \"!\")");
	CHECK_EXPR("\"#{{\"a\": 1}}\"", "(str (record \"a\" 1))");
	CHECK_EXPR("\"\"\"\nline 1\n  \"quoted\" #{event}\n\"\"\"", "(str \"line 1\\n  \\\"quoted\\\" \" (path event) \"\\n\")");
	CHECK_EXPR("\"\"\"\r\nx\"\"\"", "\"x\"");
	CHECK_EXPR("\"\"\"\n\"\"\"", "\"\"");
	/* records and arrays */
	CHECK_EXPR("{}", "(record)");
	CHECK_EXPR("[]", "(array)");
	CHECK_EXPR("{\"exit\": 0, \"delay\": args.delay}", "(record \"exit\" 0 \"delay\" (path args \"delay\"))");
	CHECK_EXPR("{\"a\": {\"b\": [1, 2,],},}", "(record \"a\" (record \"b\" (array 1 2)))");
	CHECK_EXPR("{\"k#{event}\": 1}", "(record (str \"k\" (path event)) 1)");
	CHECK_EXPR("[event, $, args, state]", "(array (path event) (path $) (path args) (path state))");
	/* paths */
	CHECK_EXPR("event.a[0].b", "(path event \"a\" 0 \"b\")");
	CHECK_EXPR("event[\"a b\"]", "(path event \"a b\")");
	CHECK_EXPR("$ws_server.binary", "(path $ \"ws_server\" \"binary\")");
	CHECK_EXPR("$[\"binary\"]", "(path $ \"binary\")");
	CHECK_EXPR("$binary", "(path $ \"binary\")");
	CHECK_EXPR("state.count", "(path state \"count\")");
	CHECK_EXPR("x.y", "(path x \"y\")");
	CHECK_EXPR("`from`.y", "(path from \"y\")");
	CHECK_EXPR("event.`select`", "(path event \"select\")");
	CHECK_EXPR("m::C", "(path m::C)");
	CHECK_EXPR("a::b::C.x", "(path a::b::C \"x\")");
	CHECK_EXPR("event[event.i + 1]", "(path event (bin + (path event \"i\") 1))");
	/* calls */
	CHECK_EXPR("nanos::from_millis(100)", "(call nanos::from_millis 100)");
	CHECK_EXPR("std::time::nanos::from_seconds(1, )", "(call std::time::nanos::from_seconds 1)");
	CHECK_EXPR("f()", "(call f)");
	CHECK_EXPR("f(g(1), [2])", "(call f (call g 1) (array 2))");
	/* operators and precedence */
	CHECK_EXPR("event == \"exit\"", "(bin == (path event) \"exit\")");
	CHECK_EXPR("event != \"exit\"", "(bin != (path event) \"exit\")");
	CHECK_EXPR("1 + 2 * 3", "(bin + 1 (bin * 2 3))");
	CHECK_EXPR("(1 + 2) * 3", "(bin * (bin + 1 2) 3)");
	CHECK_EXPR("1 - 2 - 3", "(bin - (bin - 1 2) 3)");
	CHECK_EXPR("8 / 2 % 3", "(bin % (bin / 8 2) 3)");
	CHECK_EXPR("a < b == c >= d", "(bin == (bin < (path a) (path b)) (bin >= (path c) (path d)))");
	CHECK_EXPR("1 < 2 <= 3 > 4", "(bin > (bin <= (bin < 1 2) 3) 4)");
	CHECK_EXPR("a or b xor c and d", "(bin or (path a) (bin xor (path b) (bin and (path c) (path d))))");
	CHECK_EXPR("a and b or c", "(bin or (bin and (path a) (path b)) (path c))");
	CHECK_EXPR("a == 1 and b != 2", "(bin and (bin == (path a) 1) (bin != (path b) 2))");
	CHECK_EXPR("1 + 2 == 3", "(bin == (bin + 1 2) 3)");
	CHECK_EXPR("1 << 2 + 3", "(bin << 1 (bin + 2 3))");
	CHECK_EXPR("1 >> 2 >>> 3", "(bin >>> (bin >> 1 2) 3)");
	CHECK_EXPR("1 & 2 == 2 ^ 3", "(bin ^ (bin & 1 (bin == 2 2)) 3)");
	CHECK_EXPR("not a", "(un not (path a))");
	CHECK_EXPR("not a == b", "(bin == (un not (path a)) (path b))");
	CHECK_EXPR("not (a == b)", "(un not (bin == (path a) (path b)))");
	CHECK_EXPR("not not a", "(un not (un not (path a)))");
	CHECK_EXPR("!a", "(un ! (path a))");
	CHECK_EXPR("-event.x * 2", "(bin * (un - (path event \"x\")) 2)");
	CHECK_EXPR("- not a", "(un - (un not (path a)))");
	CHECK_EXPR("present event.a", "(present present (path event \"a\"))");
	CHECK_EXPR("absent $x and present state", "(bin and (present absent (path $ \"x\")) (present present (path state)))");
	CHECK_EXPR("not present x", "(un not (present present (path x)))");
}

/* Positions of expression nodes. */
static void expression_positions(void)
{
	struct wf_troy *t = parse(PIPE_HEAD "\nselect\n  {\"a\": event.b + -1}\nfrom in into out;" PIPE_TAIL);
	const struct wf_texpr *r, *plus;

	CHECK_OK(t);
	if (!t)
		return;
	r = pipeline_of(t)->selects[0].expr;
	CHECK(r->pos.line == 3 && r->pos.col == 3);
	CHECK(r->kids[0]->pos.line == 3 && r->kids[0]->pos.col == 4);
	plus = r->kids[1];
	CHECK(plus->pos.line == 3 && plus->pos.col == 17);
	CHECK(plus->kids[0]->pos.col == 9);
	CHECK(plus->kids[1]->pos.col == 19);
	CHECK_STR(r->pos.file, "t.troy");
	CHECK(r->pos.src && !strncmp(r->pos.src, "define flow f", 13));
	CHECK(pipeline_of(t)->selects[0].pos.line == 2 && pipeline_of(t)->selects[0].pos.col == 1);
	wf_troy_free(t);
}

static void lexing(void)
{
	struct wf_troy *t;

	/* comments anywhere, doc comments before define and deploy, module
	 * comments at the start, a shebang line */
	t = parse("#!/usr/bin/env flow-run\n"
		  "### module comment\n"
		  "###\n"
		  "# plain\n"
		  "## doc\n"
		  "## more doc\n"
		  "define # here\n flow # and here\n f flow\n"
		  "  ## doc before define\n"
		  "  define connector c from stdio; # trailing\n"
		  "  create connector c # a ## is fine in a plain comment\n"
		  "end;\n"
		  "## doc before deploy\n"
		  "deploy flow f;\n"
		  "# the end");
	CHECK_OK(t);
	if (t) {
		CHECK(t->main->scope.nflows == 1);
		CHECK_STR(t->main->scope.flows[0].scope.connectors[0].type, "stdio");
		CHECK(t->main->ndeploys == 1);
	}
	wf_troy_free(t);
	/* whitespace of all kinds, CRLF line ends, no final newline */
	t = parse("define\tflow\r\nf\fflow\vuse tremor::connectors;\r\ncreate connector c from connectors::console\r\nend\r\n");
	CHECK_OK(t);
	wf_troy_free(t);
	/* keywords need not be separated from punctuation */
	t = parse("define flow f flow define pipeline p pipeline select{\"a\":[1,2]}from in/x where(event)into out/y;end;end");
	CHECK_OK(t);
	if (t) {
		const struct wf_troy_select *s = &pipeline_of(t)->selects[0];
		CHECK_STR(s->from_port, "x");
		CHECK_STR(s->into_port, "y");
		CHECK_STR(show(s->where), "(path event)");
	}
	wf_troy_free(t);
	/* in, out, err and exit are plain names */
	t = parse("define flow exit flow define pipeline err from in, out into exit, err pipeline "
		  "select event from out into exit; end; create pipeline in from err; end; deploy flow exit");
	CHECK_OK(t);
	wf_troy_free(t);
	/* backquoted names may be keywords */
	t = parse("define flow `flow` flow define connector `end` from `stdio`; create connector `select` from `end`; end; deploy flow `flow`");
	CHECK_OK(t);
	if (t)
		CHECK_STR(t->main->scope.flows[0].creates[0].alias, "select");
	wf_troy_free(t);
}

/* ---- statements ---- */

static void uses(void)
{
	const char *dirs[] = { "lib/troy" };
	struct wf_troy_path p = { dirs, 1 };
	struct wf_troy *t = parse_with_path(
		"use std::time::nanos;\n"
		"use tremor::connectors as conn;\n"
		"use tremor::{pipelines, connectors as c2,};\n"
		"use std::{string, time::nanos as ns};\n"
		"use integration\n", &p);
	const struct wf_troy_scope *s;

	CHECK_OK(t);
	if (!t)
		return;
	s = &t->main->scope;
	CHECK(s->nuses == 7);
	CHECK_STR(s->uses[0].path, "std::time::nanos");
	CHECK_STR(s->uses[0].alias, "nanos");
	CHECK(s->uses[0].mod == NULL);
	CHECK(s->uses[0].pos.line == 1 && s->uses[0].pos.col == 5);
	CHECK_STR(s->uses[1].path, "tremor::connectors");
	CHECK_STR(s->uses[1].alias, "conn");
	CHECK(s->uses[1].mod && !strcmp(s->uses[1].mod->name, "tremor::connectors"));
	CHECK_STR(s->uses[2].path, "tremor::pipelines");
	CHECK_STR(s->uses[2].alias, "pipelines");
	CHECK(s->uses[2].pos.line == 3 && s->uses[2].pos.col == 14);
	CHECK_STR(s->uses[3].path, "tremor::connectors");
	CHECK_STR(s->uses[3].alias, "c2");
	CHECK(s->uses[3].mod == s->uses[1].mod);
	CHECK_STR(s->uses[4].path, "std::string");
	CHECK(s->uses[4].mod == NULL);
	CHECK_STR(s->uses[5].path, "std::time::nanos");
	CHECK_STR(s->uses[5].alias, "ns");
	CHECK_STR(s->uses[6].alias, "integration");
	CHECK(t->nmods == 3);
	CHECK(wf_troy_find_connector(s, "conn::console") != NULL);
	CHECK(wf_troy_find_connector(s, "c2::exit") != NULL);
	CHECK(wf_troy_find_pipeline(s, "pipelines::passthrough") != NULL);
	CHECK(wf_troy_find_pipeline(s, "integration::out_or_exit") != NULL);
	CHECK(wf_troy_find_connector(s, "integration::out_or_exit") == NULL);
	CHECK(wf_troy_find_connector(s, "nanos::from_millis") == NULL);
	CHECK(wf_troy_find_connector(s, "nope::console") == NULL);
	CHECK(wf_troy_find_connector(s, "console") == NULL);
	wf_troy_free(t);
}

static void connectors(void)
{
	struct wf_troy *t = parse(
		"define flow f\n"
		"args\n"
		"  port = 8080,\n"
		"  host,\n"
		"flow\n"
		"  define connector exit from exit;\n"
		"  define connector ws from ws_server\n"
		"  args\n"
		"    url = \"127.0.0.1:#{args.port}\",\n"
		"    tls\n"
		"  with\n"
		"    codec = \"json\",\n"
		"    config = {\"url\": args.url}\n"
		"  end;\n"
		"  define connector s from stdio with codec = \"string\", end;\n"
		"  create connector exit;\n"
		"  create connector w from ws with url = \"0.0.0.0:1\", tls = false end;\n"
		"  create connector s\n"
		"end;\n"
		"deploy flow f with port = 1, host = \"h\" end;\n"
		"deploy flow g from f;\n");
	const struct wf_troy_flow_def *f;
	const struct wf_troy_connector_def *c;

	CHECK_OK(t);
	if (!t)
		return;
	f = &t->main->scope.flows[0];
	CHECK_STR(f->name, "f");
	CHECK(f->pos.line == 1 && f->pos.col == 13);
	CHECK(f->args.n == 2);
	CHECK_STR(f->args.v[0].name, "port");
	CHECK_STR(show(f->args.v[0].value), "8080");
	CHECK_STR(f->args.v[1].name, "host");
	CHECK(f->args.v[1].value == NULL);
	CHECK(f->args.v[1].pos.line == 4 && f->args.v[1].pos.col == 3);
	CHECK(f->scope.nconnectors == 3);
	c = &f->scope.connectors[0];
	CHECK_STR(c->name, "exit");
	CHECK_STR(c->type, "exit");
	CHECK(c->args.n == 0 && c->with.n == 0);
	c = &f->scope.connectors[1];
	CHECK_STR(c->name, "ws");
	CHECK_STR(c->type, "ws_server");
	CHECK(c->pos.line == 7 && c->pos.col == 20);
	CHECK(c->args.n == 2);
	CHECK_STR(show(c->args.v[0].value), "(str \"127.0.0.1:\" (path args \"port\"))");
	CHECK(c->args.v[1].value == NULL);
	CHECK(c->with.n == 2);
	CHECK_STR(c->with.v[0].name, "codec");
	CHECK_STR(show(c->with.v[0].value), "\"json\"");
	CHECK_STR(show(c->with.v[1].value), "(record \"url\" (path args \"url\"))");
	CHECK(c->with.v[1].pos.line == 13 && c->with.v[1].pos.col == 5);
	CHECK(f->scope.connectors[2].with.n == 1);
	CHECK(f->ncreates == 3);
	CHECK(f->creates[0].kind == WF_TROY_CONNECTOR);
	CHECK_STR(f->creates[0].alias, "exit");
	CHECK(f->creates[0].target == NULL);
	CHECK(f->creates[0].connector == &f->scope.connectors[0]);
	CHECK(f->creates[0].pipeline == NULL);
	CHECK_STR(f->creates[1].target, "ws");
	CHECK(f->creates[1].connector == &f->scope.connectors[1]);
	CHECK(f->creates[1].pos.line == 17 && f->creates[1].pos.col == 20);
	CHECK(f->creates[1].target_pos.line == 17 && f->creates[1].target_pos.col == 27);
	CHECK(f->creates[1].with.n == 2);
	CHECK_STR(show(f->creates[1].with.v[1].value), "false");
	CHECK(f->creates[2].connector == &f->scope.connectors[2]);
	CHECK(f->scope.parent == &t->main->scope);
	CHECK(t->main->ndeploys == 2);
	CHECK_STR(t->main->deploys[0].alias, "f");
	CHECK(t->main->deploys[0].target == NULL);
	CHECK(t->main->deploys[0].flow == f);
	CHECK(t->main->deploys[0].with.n == 2);
	CHECK_STR(t->main->deploys[1].alias, "g");
	CHECK_STR(t->main->deploys[1].target, "f");
	CHECK(t->main->deploys[1].flow == f);
	CHECK(t->main->deploys[1].target_pos.line == 21 && t->main->deploys[1].target_pos.col == 20);
	wf_troy_free(t);
}

static void pipelines(void)
{
	struct wf_troy *t = parse(
		"define flow f flow\n"
		"  define pipeline p\n"
		"  from in, ctl,\n"
		"  into out, exit\n"
		"  args limit = 10, name\n"
		"  pipeline\n"
		"    use std::string;\n"
		"    define script meta\n"
		"    args tag = \"t\"\n"
		"    script\n"
		"      use std::time::nanos;\n"
		"      let $ws_server.binary = true;\n"
		"      let $[\"b\"] = 1;\n"
		"      let event.tag = args.tag;\n"
		"      let x = event.n + 1;\n"
		"      x\n"
		"    end;\n"
		"    create script tagger from meta with tag = \"u\" end;\n"
		"    create script meta;\n"
		"    create stream mid;\n"
		"    select event from in where event.n < args.limit into tagger;\n"
		"    select event from tagger into mid;\n"
		"    select event from tagger/err into out/err;\n"
		"    select {\"n\": event.n} from mid into out having event.n > 0;\n"
		"    select event from ctl/x into exit\n"
		"  end;\n"
		"  define pipeline q pipeline select event from in into out end;\n"
		"  define pipeline r args a pipeline select args.a from in into err; end;\n"
		"  create pipeline p with limit = 20 end;\n"
		"  create pipeline q\n"
		"end");
	const struct wf_troy_pipeline_def *p, *q;
	const struct wf_troy_script_def *s;

	CHECK_OK(t);
	if (!t)
		return;
	p = &t->main->scope.flows[0].scope.pipelines[0];
	CHECK_STR(p->name, "p");
	CHECK(p->nfrom == 2 && !strcmp(p->from_ports[0], "in") && !strcmp(p->from_ports[1], "ctl"));
	CHECK(p->ninto == 2 && !strcmp(p->into_ports[0], "out") && !strcmp(p->into_ports[1], "exit"));
	CHECK(p->args.n == 2);
	CHECK_STR(show(p->args.v[0].value), "10");
	CHECK(p->nuses == 1 && p->uses[0].mod == NULL);
	CHECK(p->nscripts == 1);
	s = &p->scripts[0];
	CHECK_STR(s->name, "meta");
	CHECK(s->args.n == 1);
	CHECK(s->nuses == 1);
	CHECK(s->nstmts == 5);
	CHECK_STR(show(s->stmts[0].target), "(path $ \"ws_server\" \"binary\")");
	CHECK_STR(show(s->stmts[0].value), "true");
	CHECK(s->stmts[0].pos.line == 12 && s->stmts[0].pos.col == 7);
	CHECK_STR(show(s->stmts[1].target), "(path $ \"b\")");
	CHECK_STR(show(s->stmts[2].target), "(path event \"tag\")");
	CHECK_STR(show(s->stmts[2].value), "(path args \"tag\")");
	CHECK_STR(show(s->stmts[3].target), "(path x)");
	CHECK_STR(show(s->stmts[3].value), "(bin + (path event \"n\") 1)");
	CHECK(s->stmts[4].target == NULL);
	CHECK_STR(show(s->stmts[4].value), "(path x)");
	CHECK(p->nscript_uses == 2);
	CHECK_STR(p->script_uses[0].alias, "tagger");
	CHECK_STR(p->script_uses[0].target, "meta");
	CHECK(p->script_uses[0].def == s);
	CHECK(p->script_uses[0].with.n == 1);
	CHECK(p->script_uses[1].target == NULL);
	CHECK(p->script_uses[1].def == s);
	CHECK(p->nstreams == 1 && !strcmp(p->streams[0], "mid"));
	CHECK(p->nselects == 5);
	CHECK_STR(show(p->selects[0].where), "(bin < (path event \"n\") (path args \"limit\"))");
	CHECK_STR(p->selects[0].into, "tagger");
	CHECK(p->selects[0].from_port == NULL && p->selects[0].into_port == NULL);
	CHECK(p->selects[0].having == NULL);
	CHECK_STR(p->selects[2].from_port, "err");
	CHECK_STR(p->selects[2].into_port, "err");
	CHECK_STR(show(p->selects[3].having), "(bin > (path event \"n\") 0)");
	CHECK(p->selects[3].where == NULL);
	CHECK(p->selects[3].from_pos.line == 24 && p->selects[3].from_pos.col == 32);
	CHECK(p->selects[3].into_pos.line == 24 && p->selects[3].into_pos.col == 41);
	CHECK_STR(p->selects[4].from_port, "x");
	CHECK(p->parent == &t->main->scope.flows[0].scope);
	q = &t->main->scope.flows[0].scope.pipelines[1];
	CHECK(q->nfrom == 1 && !strcmp(q->from_ports[0], "in"));
	CHECK(q->ninto == 2 && !strcmp(q->into_ports[0], "out") && !strcmp(q->into_ports[1], "err"));
	CHECK(t->main->scope.flows[0].creates[0].pipeline == p);
	CHECK(t->main->scope.flows[0].creates[1].pipeline == q);
	CHECK(t->main->scope.flows[0].creates[0].with.n == 1);
	wf_troy_free(t);
}

static void connects(void)
{
	struct wf_troy *t = parse(
		"define flow f flow\n"
		"  use tremor::connectors;\n"
		"  use tremor::pipelines;\n"
		"  create connector c from connectors::console;\n"
		"  create pipeline c from pipelines::passthrough;\n"
		"  create pipeline d from pipelines::passthrough;\n"
		"  connect /connector/c to /pipeline/c;\n"
		"  connect /connector/c/err to /pipeline/d/in;\n"
		"  connect /pipeline/c/out to /pipeline/d;\n"
		"  connect /pipeline/d/err to /connector/c/stderr;\n"
		"  connect /pipeline/d to /connector/c;\n"
		"end;\n"
		"deploy flow f\n");
	const struct wf_troy_flow_def *f;
	const struct wf_troy_connect *c;

	CHECK_OK(t);
	if (!t)
		return;
	f = &t->main->scope.flows[0];
	CHECK(f->nconnects == 5);
	c = &f->connects[0];
	CHECK(c->from.kind == WF_TROY_CONNECTOR && c->to.kind == WF_TROY_PIPELINE);
	CHECK_STR(c->from.id, "c");
	CHECK(c->from.port == NULL && c->to.port == NULL);
	CHECK(c->from.create == &f->creates[0]);
	CHECK(c->to.create == &f->creates[1]);
	CHECK(c->pos.line == 7 && c->pos.col == 3);
	CHECK(c->from.pos.line == 7 && c->from.pos.col == 22);
	CHECK(c->from.port_pos.col == 22);
	c = &f->connects[1];
	CHECK_STR(c->from.port, "err");
	CHECK(c->from.port_pos.col == 24);
	CHECK_STR(c->to.port, "in");
	CHECK(c->to.create == &f->creates[2]);
	c = &f->connects[2];
	CHECK(c->from.kind == WF_TROY_PIPELINE && c->to.kind == WF_TROY_PIPELINE);
	CHECK_STR(c->from.port, "out");
	c = &f->connects[3];
	CHECK(c->from.kind == WF_TROY_PIPELINE && c->to.kind == WF_TROY_CONNECTOR);
	CHECK_STR(c->to.port, "stderr");
	CHECK(f->connects[4].to.create == &f->creates[0]);
	wf_troy_free(t);
}

/* fn, const and intrinsic in a module are skipped; defines and uses kept. */
static void module_skips(void)
{
	char dir[] = "/tmp/wf-troy-XXXXXX", file[256];
	const char *dirs[1];
	struct wf_troy_path p = { dirs, 1 };
	struct wf_troy *t;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	dirs[0] = dir;
	snprintf(file, sizeof file, "%s/m.tremor", dir);
	f = fopen(file, "w");
	fputs("### a module\n"
	      "use std::string;\n"
	      "## a constant\n"
	      "const N = 1_000 * 60;\n"
	      "const R = match event of case %{ a == 1 } => \"x; y\" case _ => 1 end;\n"
	      "## a function\n"
	      "fn twice(x) with\n"
	      "  let y = match x of case 1 => \"end\" default => for x of case (k, v) => v end end;\n"
	      "  y * 2\n"
	      "end;\n"
	      "fn pick(a) of\n"
	      "  case (1) => \"one\"\n"
	      "  case _ => patch event of insert \"a\" => 1 end\n"
	      "end;\n"
	      "intrinsic fn len(s) as string::len;\n"
	      "define script s script let event.x = 1; end;\n"
	      "define pipeline p pipeline create script s; select event from in into s; select event from s into out; end;\n"
	      "define connector c from stdio;\n"
	      "define flow mf flow create connector c; create pipeline p; connect /connector/c to /pipeline/p; end\n", f);
	fclose(f);
	t = parse_with_path("use m; define flow x flow create connector c from m::c; create pipeline p from m::p; end; deploy flow y from m::mf", &p);
	CHECK_OK(t);
	if (t) {
		const struct wf_troy_module *m = t->mods[0];
		CHECK(t->nmods == 1);
		CHECK(m->scope.nscripts == 1);
		CHECK(m->scope.npipelines == 1 && m->scope.nconnectors == 1 && m->scope.nflows == 1);
		CHECK(m->scope.pipelines[0].script_uses[0].def == &m->scope.scripts[0]);
		CHECK(t->main->deploys[0].flow == &m->scope.flows[0]);
		CHECK(m->scope.flows[0].creates[0].connector == &m->scope.connectors[0]);
		CHECK(m->scope.flows[0].scope.parent == &m->scope);
		CHECK(m->scope.parent == NULL);
	}
	wf_troy_free(t);
	/* a module of comments only is empty */
	f = fopen(file, "w");
	fputs("### nothing here\n# at all\n", f);
	fclose(f);
	t = parse_with_path("use m; define flow x flow use m; end", &p);
	CHECK_OK(t);
	wf_troy_free(t);
	/* an unterminated fn */
	f = fopen(file, "w");
	fputs("fn f(x) with\n  match x of case 1 => 2 end\n", f);
	fclose(f);
	snprintf(errbuf, sizeof errbuf, "%s/m.tremor:1:1: unterminated fn (no 'end')\nfn f(x) with\n^", dir);
	{
		char want[4096];
		strcpy(want, errbuf);
		check_err_text(__LINE__, "use m;", &p, want);
	}
	unlink(file);
	rmdir(dir);
}

/* ---- the seed flows and the shipped modules ---- */

static char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	if (p) {
		p[n] = 0;
		*len = (size_t)n;
	}
	return p;
}

static const struct wf_troy_create *create_of(const struct wf_troy_flow_def *f, enum wf_troy_kind k,
					      const char *alias)
{
	size_t i;

	for (i = 0; i < f->ncreates; i++)
		if (f->creates[i].kind == k && !strcmp(f->creates[i].alias, alias))
			return &f->creates[i];
	return NULL;
}

static const struct wf_texpr *with_of(const struct wf_troy_bindings *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].name, name))
			return b->v[i].value;
	return NULL;
}

static void seed(const char *file, const char *proc)
{
	struct wf_troy *t = wf_troy_load(file, &shipped, errbuf, sizeof errbuf);
	const struct wf_troy_flow_def *f;
	const struct wf_troy_create *c;
	const struct wf_troy_pipeline_def *p;
	char want[128];

	CHECK_OK(t);
	if (!t)
		return;
	CHECK_STR(t->main->file, file);
	CHECK_STR(t->main->name, "");
	CHECK(t->nmods == 3);
	CHECK(t->main->ndeploys == 1);
	f = t->main->deploys[0].flow;
	CHECK(f == &t->main->scope.flows[0]);
	CHECK_STR(f->name, "main");
	CHECK(f->scope.nuses == 3);
	CHECK(f->scope.nconnectors == 2);
	CHECK(f->ncreates == 9);
	CHECK(f->nconnects == 11);
	snprintf(want, sizeof want, "(array \"%s\")", proc);
	CHECK_STR(show(with_of(&f->scope.connectors[0].with, "postprocessors")), want);
	CHECK_STR(show(with_of(&f->scope.connectors[1].with, "preprocessors")), want);
	CHECK_STR(show(with_of(&f->scope.connectors[0].with, "config")),
		  "(record \"url\" \"wss://0.0.0.0:65535\" \"no_delay\" false \"tls\" "
		  "(record \"cafile\" \"./before/localhost.cert\" \"domain\" \"localhost\"))");
	CHECK_STR(show(with_of(&f->scope.connectors[0].with, "reconnect")),
		  "(record \"retry\" (record \"interval_ms\" 500 \"growth_rate\" 2 \"max_retries\" 3))");
	c = create_of(f, WF_TROY_CONNECTOR, "in");
	CHECK(c && c->connector && !strcmp(c->connector->name, "read_file") && !strcmp(c->connector->type, "file"));
	if (c && c->connector) {
		CHECK_STR(show(with_of(&c->connector->args, "file")), "\"in.json\"");
		CHECK_STR(show(with_of(&c->connector->with, "preprocessors")), "(array \"separate\")");
		CHECK_STR(show(with_of(&c->connector->with, "config")),
			  "(record \"path\" (path args \"file\") \"mode\" \"read\")");
		CHECK_STR(c->connector->pos.file, "lib/troy/integration.tremor");
	}
	c = create_of(f, WF_TROY_CONNECTOR, "out");
	CHECK(c && c->connector && !strcmp(c->connector->name, "write_file"));
	if (c && c->connector) {
		CHECK_STR(show(with_of(&c->connector->with, "codec")),
			  "(record \"name\" \"json\" \"config\" (record \"mode\" \"sorted\"))");
		CHECK_STR(show(with_of(&c->connector->with, "postprocessors")), "(array \"separate\")");
		CHECK_STR(show(with_of(&c->connector->with, "config")),
			  "(record \"path\" (path args \"file\") \"mode\" \"truncate\")");
	}
	c = create_of(f, WF_TROY_CONNECTOR, "exit");
	CHECK(c && c->connector && !strcmp(c->connector->type, "exit"));
	if (c && c->connector)
		CHECK_STR(show(with_of(&c->connector->with, "config")),
			  "(record \"delay\" (call nanos::from_millis 100) \"graceful\" true)");
	c = create_of(f, WF_TROY_CONNECTOR, "stdio");
	CHECK(c && c->connector && !strcmp(c->connector->name, "console") && !strcmp(c->connector->type, "stdio"));
	if (c && c->connector) {
		CHECK_STR(show(with_of(&c->connector->with, "codec")), "\"string\"");
		CHECK_STR(show(with_of(&c->connector->with, "preprocessors")), "(array \"separate\")");
		CHECK_STR(show(with_of(&c->connector->with, "postprocessors")), "(array \"separate\")");
	}
	c = create_of(f, WF_TROY_CONNECTOR, "ws_client");
	CHECK(c && c->connector == &f->scope.connectors[0]);
	c = create_of(f, WF_TROY_CONNECTOR, "ws_server");
	CHECK(c && c->connector == &f->scope.connectors[1]);
	c = create_of(f, WF_TROY_PIPELINE, "server_side");
	CHECK(c && c->pipeline && !strcmp(c->pipeline->name, "out_or_exit"));
	if (c && (p = c->pipeline)) {
		CHECK(p->ninto == 2 && !strcmp(p->into_ports[1], "exit"));
		CHECK_STR(show(with_of(&p->args, "delay")), "0");
		CHECK(p->nselects == 2);
		CHECK_STR(show(p->selects[0].where), "(bin != (path event) \"exit\")");
		CHECK_STR(show(p->selects[1].expr), "(record \"exit\" 0 \"delay\" (path args \"delay\"))");
		CHECK_STR(show(p->selects[1].where), "(bin == (path event) \"exit\")");
		CHECK_STR(p->selects[1].into, "exit");
	}
	c = create_of(f, WF_TROY_PIPELINE, "debug");
	CHECK(c && c->pipeline && !strcmp(c->pipeline->name, "passthrough"));
	if (c && (p = c->pipeline)) {
		CHECK(p->nselects == 1 && !strcmp(show(p->selects[0].expr), "(path event)"));
		CHECK(p->nfrom == 1 && p->ninto == 2);
	}
	CHECK(f->connects[10].from.create == create_of(f, WF_TROY_PIPELINE, "server_side"));
	CHECK(f->connects[10].to.create == create_of(f, WF_TROY_CONNECTOR, "exit"));
	CHECK_STR(f->connects[1].from.port, "err");
	wf_troy_free(t);
}

/* The out_and_exit pipeline and the module list of the shipped modules. */
static void shipped_modules(void)
{
	struct wf_troy *t = parse("use integration; define flow f flow use integration; create pipeline p from integration::out_and_exit; end");
	const struct wf_troy_pipeline_def *p;

	CHECK_OK(t);
	if (!t)
		return;
	CHECK(t->nmods == 1);
	p = t->main->scope.flows[0].creates[0].pipeline;
	CHECK(p && p->nselects == 2);
	if (p) {
		CHECK(p->selects[0].where == NULL);
		CHECK_STR(p->selects[0].into, "out");
		CHECK_STR(show(p->selects[1].where), "(bin == (path event) \"exit\")");
		CHECK_STR(p->selects[1].into, "exit");
	}
	CHECK(t->mods[0]->scope.nuses == 1 && t->mods[0]->scope.uses[0].mod == NULL);
	wf_troy_free(t);
}

/* ---- module search ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512], *s;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	for (s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(path, 0700);
		*s = '/';
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

/* Which file module m came from: the connector it defines is named for it. */
static const char *defined_in(const char *text, const struct wf_troy_path *p)
{
	static char name[64];
	struct wf_troy *t = parse_with_path(text, p);

	if (!t)
		return errbuf;
	snprintf(name, sizeof name, "%s", t->nmods && t->mods[0]->scope.nconnectors ?
		 t->mods[0]->scope.connectors[0].name : "?");
	wf_troy_free(t);
	return name;
}

static void module_search(void)
{
	char a[] = "/tmp/wf-troy-a-XXXXXX", b[] = "/tmp/wf-troy-b-XXXXXX", tp[200], want[1024];
	const char *incl[1];
	struct wf_troy_path p;
	struct wf_troy *t;

	if (!mkdtemp(a) || !mkdtemp(b)) {
		CHECK(0);
		return;
	}
	write_file(a, "m.tremor", "define connector from_a from stdio;");
	write_file(b, "m.tremor", "define connector from_b from stdio;");
	write_file(a, "x.troy", "define connector a_troy from stdio;");
	write_file(b, "x.tremor", "define connector b_tremor from stdio;");
	write_file(a, "y.troy", "define connector y_troy from stdio;");
	write_file(a, "y.trickle", "define connector y_trickle from stdio;");
	write_file(b, "y.tremor", "define connector y_tremor_b from stdio;");
	write_file(a, "z.troy", "define connector z_troy from stdio;");
	write_file(a, "z.trickle", "define connector z_trickle from stdio;");
	write_file(a, "deep/er/md.tremor", "define connector deep from stdio;");
	write_file(a, "std/time/nanos.tremor", "this is not troy at all");
	write_file(a, "tremor/connectors.tremor", "define connector mine from stdio;");

	/* -I first, then TREMOR_PATH, then the shipped modules */
	incl[0] = a;
	snprintf(tp, sizeof tp, "::%s:", b);
	CHECK(wf_troy_path_init(&p, incl, 1, tp, "lib/troy") == 0);
	CHECK(p.ndirs == 3);
	CHECK_STR(p.dirs[0], a);
	CHECK_STR(p.dirs[1], b);
	CHECK_STR(p.dirs[2], "lib/troy");
	CHECK_STR(defined_in("use m;", &p), "from_a");
	/* the first directory that has the module wins, whatever its extension */
	CHECK_STR(defined_in("use x;", &p), "a_troy");
	/* in one directory: .tremor, then .trickle, then .troy */
	CHECK_STR(defined_in("use y;", &p), "y_trickle");
	CHECK_STR(defined_in("use z;", &p), "z_trickle");
	CHECK_STR(defined_in("use deep::er::md;", &p), "deep");
	/* a directory of the path shadows the shipped modules */
	CHECK_STR(defined_in("use tremor::connectors;", &p), "mine");
	/* std function modules are built in: their files are never read */
	t = parse_with_path("use std::time::nanos; use std; use std::string as s;", &p);
	CHECK_OK(t);
	if (t)
		CHECK(t->nmods == 0 && t->main->scope.uses[0].mod == NULL);
	wf_troy_free(t);
	wf_troy_path_free(&p);
	CHECK(p.dirs == NULL && p.ndirs == 0);

	/* TREMOR_PATH alone, in its order */
	snprintf(tp, sizeof tp, "%s:%s", b, a);
	CHECK(wf_troy_path_init(&p, NULL, 0, tp, NULL) == 0);
	CHECK(p.ndirs == 2);
	CHECK_STR(defined_in("use m;", &p), "from_b");
	CHECK_STR(defined_in("use y;", &p), "y_tremor_b");
	/* the shipped modules are not searched when not in the path */
	snprintf(want, sizeof want, "module tremor::pipelines not found (searched: %s, %s)", b, a);
	CHECK_ERR_AT_P("use tremor::pipelines;", &p, 1, 5, want);
	wf_troy_path_free(&p);

	/* -I before TREMOR_PATH */
	incl[0] = b;
	snprintf(tp, sizeof tp, "%s", a);
	CHECK(wf_troy_path_init(&p, incl, 1, tp, NULL) == 0);
	CHECK_STR(defined_in("use m;", &p), "from_b");
	wf_troy_path_free(&p);
	CHECK(wf_troy_path_init(&p, NULL, 0, NULL, NULL) == 0);
	CHECK(p.ndirs == 0);
	CHECK_ERR_AT_P("use m;", &p, 1, 5, "module m not found (searched: no directories)");
	wf_troy_path_free(&p);

	/* parsed once however often it is used; cycles are errors */
	incl[0] = a;
	CHECK(wf_troy_path_init(&p, incl, 1, NULL, NULL) == 0);
	write_file(a, "once.tremor", "use m;\ndefine connector once from stdio;");
	t = parse_with_path("use once; use m; define flow f flow use once; use m as m2; end", &p);
	CHECK_OK(t);
	if (t) {
		CHECK(t->nmods == 2);
		CHECK(t->main->scope.uses[0].mod == t->main->scope.flows[0].scope.uses[0].mod);
		CHECK(t->main->scope.uses[1].mod == t->main->scope.flows[0].scope.uses[1].mod);
		CHECK(t->main->scope.uses[0].mod->scope.uses[0].mod == t->main->scope.uses[1].mod);
		/* a path through a module's own use */
		CHECK(wf_troy_find_connector(&t->main->scope, "once::m::from_a") != NULL);
		CHECK(wf_troy_find_connector(&t->main->scope.flows[0].scope, "m2::from_a") != NULL);
		CHECK(wf_troy_find_connector(&t->main->scope.flows[0].scope, "once::from_a") == NULL);
	}
	wf_troy_free(t);
	write_file(a, "c1.tremor", "use c2;");
	write_file(a, "c2.tremor", "\n  use c1;");
	snprintf(want, sizeof want, "%s/c2.tremor:2:7: module c1 uses itself (a cycle of use)\n  use c1;\n      ^", a);
	check_err_text(__LINE__, "use c1;", &p, want);
	write_file(a, "self.tremor", "use self;");
	snprintf(want, sizeof want, "%s/self.tremor:1:5: module self uses itself (a cycle of use)\nuse self;\n    ^", a);
	check_err_text(__LINE__, "use self;", &p, want);
	/* errors in a module are reported in its file */
	write_file(a, "bad.tremor", "define connector x from stdio\nwith\n  codec = \"json\"\n  config = {}\nend;");
	snprintf(want, sizeof want, "%s/bad.tremor:4:3: expected ',' or 'end', found 'config'\n  config = {}\n  ^", a);
	check_err_text(__LINE__, "use bad;", &p, want);
	write_file(a, "dep.tremor", "deploy flow x;");
	snprintf(want, sizeof want, "%s/dep.tremor:1:1: deploy goes only in the file flow-run runs, not in a module\ndeploy flow x;\n^", a);
	check_err_text(__LINE__, "use dep;", &p, want);
	/* a directory is not a module; odd names are refused */
	snprintf(want, sizeof want, "module deep::er not found (searched: %s)", a);
	CHECK_ERR_AT_P("use deep::er;", &p, 1, 5, want);
	CHECK_ERR_AT_P("use `..`::x;", &p, 1, 5, "invalid module name ..::x");
	CHECK_ERR_AT_P("use a::`b/c`;", &p, 1, 5, "invalid module name a::b/c");
	/* an unreadable module */
	write_file(a, "noread.tremor", "");
	{
		char f[300];
		snprintf(f, sizeof f, "%s/noread.tremor", a);
		chmod(f, 0);
		if (access(f, R_OK)) {
			snprintf(want, sizeof want, "cannot read module noread: %s: %s", f, strerror(EACCES));
			CHECK_ERR_AT_P("use noread;", &p, 1, 5, want);
		}
	}
	wf_troy_path_free(&p);
	rm_rf(a);
	rm_rf(b);
}

/* ---- errors ---- */

#define FLOW(body) "define flow f flow " body " end;"
#define PIPE(body) PIPE_HEAD body PIPE_TAIL
#define SEL(e) PIPE("select " e " from in into out;")
/* The column of the expression in SEL(e). */
#define SELCOL ((int)sizeof(PIPE_HEAD "select "))

static void lexical_errors(void)
{
	/* the whole message, exactly */
	CHECK_ERR("define flow f flow\n\tcreate connector c from @x;\nend",
		  "t.troy:2:26: unexpected character '@'\n"
		  "\tcreate connector c from @x;\n"
		  "\t                        ^");
	CHECK_ERR("define flow f flow create \xc3\xa9\xc3\xa9 end",
		  "t.troy:1:27: unexpected character '\xc3\xa9'\n"
		  "define flow f flow create \xc3\xa9\xc3\xa9 end\n"
		  "                          ^");
	CHECK_ERR("# caf\xc3\xa9 \xc3\xa9\ndefine flow f flow use \xc3\xa9; end",
		  "t.troy:2:24: unexpected character '\xc3\xa9'\n"
		  "define flow f flow use \xc3\xa9; end\n"
		  "                       ^");
	CHECK_ERR_AT("define flow f flow use \x07; end", 1, 24, "unexpected character U+0007");
	CHECK_ERR_AT("define flow f flow use |x|; end", 1, 24, "unexpected character '|'");
	CHECK_ERR_AT("define flow f flow use ~; end", 1, 24, "unexpected character '~'");
	CHECK_ERR_AT("# fine\n# bad \xff\n", 2, 7, "invalid UTF-8");
	CHECK_ERR_AT("\"\xc3\"", 1, 2, "invalid UTF-8");
	CHECK_ERR_AT("define flow f\n#!x\nflow", 2, 1, "unexpected '#!' (only a first line may start with it)");
	CHECK_ERR_AT("#!config metrics_interval_s = 10\ndefine flow f flow use x; end", 1, 1,
		     "'#!config' directives are not supported by flow-run");
	CHECK_ERR_AT(PIPE("#!config x = 1\n select event from in into out;"), 1, 47,
		     "'#!config' directives are not supported by flow-run");
	CHECK_ERR_AT("define flow `f", 1, 13, "unterminated quoted identifier");
	CHECK_ERR_AT("define flow `f\n`", 1, 13, "unterminated quoted identifier");
	CHECK_ERR_AT("define flow `` flow", 1, 13, "empty quoted identifier");
	{
		/* NUL bytes */
		struct wf_troy *t = wf_troy_parse("t.troy", "use\0x", 5, &shipped, errbuf, sizeof errbuf);
		CHECK(!t);
		CHECK_STR(errbuf, "t.troy:1:4: unexpected character U+0000\nuse\n   ^");
	}
	/* strings */
	CHECK_ERR_AT(SEL("\"abc"), 1, SELCOL, "unterminated string");
	CHECK_ERR_AT(PIPE("select \"abc\nd\" from in into out;"), 1, SELCOL, "unterminated string");
	CHECK_ERR_AT("define flow f flow create connector c with x = \"a#{\"b", 1, 52, "unterminated string");
	CHECK_ERR_AT(PIPE_HEAD "select \"\"\"\nabc\n\"\"", 1, SELCOL, "unterminated heredoc (no closing '\"\"\"')");
	CHECK_ERR_AT(PIPE_HEAD "select \"\"\" abc\n\"\"\"", 1, SELCOL, "a heredoc's opening '\"\"\"' must end its line");
	CHECK_ERR_AT(SEL("\"a\\qb\""), 1, SELCOL + 2, "unknown escape sequence '\\q'");
	CHECK_ERR_AT(SEL("\"a\\'b\""), 1, SELCOL + 2, "unknown escape sequence '\\''");
	CHECK_ERR_AT(PIPE("select \"a\\\nb\" from in into out;"), 1, SELCOL + 2, "unknown escape sequence");
	CHECK_ERR_AT(SEL("\"\\u12\""), 1, SELCOL + 1, "invalid unicode escape (\\u and four hex digits)");
	CHECK_ERR_AT(SEL("\"\\u12g4\""), 1, SELCOL + 1, "invalid unicode escape (\\u and four hex digits)");
	CHECK_ERR_AT(SEL("\"\\ud800\""), 1, SELCOL + 1, "invalid unicode escape (a lone surrogate)");
	CHECK_ERR_AT(SEL("\"\\ud800\\u0041\""), 1, SELCOL + 1, "invalid unicode escape (a lone surrogate)");
	CHECK_ERR_AT(SEL("\"\\udc00\""), 1, SELCOL + 1, "invalid unicode escape (a lone surrogate)");
	CHECK_ERR_AT(SEL("\"#{event\""), 1, SELCOL + 8, "expected '}', found a string");
	CHECK_ERR_AT(SEL("\"#{}\""), 1, SELCOL + 3, "expected an expression, found '}'");
	/* numbers */
	CHECK_ERR_AT(SEL("0x"), 1, SELCOL, "invalid hexadecimal literal");
	CHECK_ERR_AT(SEL("0xg"), 1, SELCOL, "invalid hexadecimal literal");
	CHECK_ERR_AT(SEL("1.5e"), 1, SELCOL, "invalid float literal");
	CHECK_ERR_AT(SEL("1.5e+"), 1, SELCOL, "invalid float literal");
	CHECK_ERR_AT(SEL("12ab"), 1, SELCOL + 2, "unexpected character 'a'");
	CHECK_ERR_AT(SEL("1.5x"), 1, SELCOL + 3, "unexpected character 'x'");
	CHECK_ERR_AT(SEL("0x1g"), 1, SELCOL + 3, "unexpected character 'g'");
	CHECK_ERR_AT(SEL("18446744073709551616"), 1, SELCOL, "integer literal too large");
	CHECK_ERR_AT(SEL("0x1_0000_0000_0000_0000"), 1, SELCOL, "integer literal too large");
	/* doc comments */
	CHECK_ERR_AT("## doc\nuse integration;", 1, 1, "a '##' doc comment goes only right before define or deploy");
	CHECK_ERR_AT("use integration;\n  ## doc\n", 2, 3, "a '##' doc comment goes only right before define or deploy");
	CHECK_ERR_AT("define flow f flow\n  ## doc\n  create connector c;\nend", 2, 3,
		     "a '##' doc comment goes only right before define or deploy");
	CHECK_ERR_AT("define flow f ## doc\nflow", 1, 15, "a '##' doc comment goes only right before define or deploy");
	CHECK_ERR_AT(SEL("1 + ## doc\n 2"), 1, SELCOL + 4, "a '##' doc comment goes only right before define or deploy");
	CHECK_ERR_AT("use integration;\n### mod\n", 2, 1, "a '###' module comment goes only at the start of a file");
	CHECK_ERR_AT("## doc\n### mod\ndefine flow f flow use integration; end", 1, 1,
		     "a '##' doc comment goes only right before define or deploy");
}

static void syntax_errors(void)
{
	/* the statement lists */
	CHECK_ERR_AT("", 1, 1, "expected 'define', 'deploy' or 'use', found end of file");
	CHECK_ERR_AT("# only a comment\n", 1, 1, "expected 'define', 'deploy' or 'use', found end of file");
	CHECK_ERR_AT("create connector x;", 1, 1, "expected 'define', 'deploy' or 'use', found 'create'");
	CHECK_ERR_AT("deploy flow f;;", 1, 15, "expected 'define', 'deploy' or 'use', found ';'");
	CHECK_ERR_AT("define connector x from stdio;", 1, 8, "expected 'flow', found 'connector'");
	CHECK_ERR_AT("define flow f flow use integration; end\ndeploy flow f", 2, 1, "expected ';', found 'deploy'");
	CHECK_ERR_AT("fn f() with 1 end;", 1, 1, "expected 'define', 'deploy' or 'use', found 'fn'");
	CHECK_ERR_AT("define flow", 1, 12, "expected a flow name, found end of file");
	CHECK_ERR_AT("define flow f", 1, 14, "expected 'args' or 'flow', found end of file");
	CHECK_ERR_AT("define flow f args a, b = 1 use", 1, 29, "expected 'flow', found 'use'");
	CHECK_ERR_AT("define flow f args 1", 1, 20, "expected an argument name, found '1'");
	CHECK_ERR_AT("define flow f flow end", 1, 20, "expected 'define', 'create', 'connect' or 'use', found 'end'");
	CHECK_ERR_AT("define flow f flow use integration\n", 1, 35, "expected ';' or 'end', found end of file");
	CHECK_ERR_AT("define flow f flow use integration;\n  select event from in into out;\nend", 2, 3,
		     "expected 'define', 'create', 'connect' or 'use', found 'select'");
	CHECK_ERR_AT("define flow f flow\n  use integration\n  create connector c;\nend", 3, 3,
		     "expected ';' or 'end', found 'create'");
	CHECK_ERR_AT(FLOW("define flow g flow use integration; end;"), 1, 27, "expected 'connector' or 'pipeline', found 'flow'");
	/* use */
	CHECK_ERR_AT("use;", 1, 4, "expected a module name, found ';'");
	CHECK_ERR_AT("use a::;", 1, 8, "expected a module name or '{', found ';'");
	CHECK_ERR_AT("use a::{};", 1, 9, "expected a module name, found '}'");
	CHECK_ERR_AT("use tremor::{pipelines connectors};", 1, 24, "expected ',' or '}', found 'connectors'");
	CHECK_ERR_AT("use integration as;", 1, 19, "expected an alias, found ';'");
	CHECK_ERR_AT("use \"integration\";", 1, 5, "expected a module name, found a string");
	/* define connector */
	CHECK_ERR_AT(FLOW("define connector from stdio;"), 1, 37, "expected a connector name, found 'from'");
	CHECK_ERR_AT(FLOW("define connector c stdio;"), 1, 39, "expected 'from', found 'stdio'");
	CHECK_ERR_AT(FLOW("define connector c from;"), 1, 43, "expected a connector type, found ';'");
	CHECK_ERR_AT(FLOW("define connector c from stdio args a = 1;"), 1, 60, "expected 'with', found ';'");
	CHECK_ERR_AT(FLOW("define connector c from stdio with end;"), 1, 55, "expected a name, found 'end'");
	CHECK_ERR_AT(FLOW("define connector c from stdio with codec;"), 1, 60, "expected '=', found ';'");
	CHECK_ERR_AT(FLOW("define connector c from stdio with codec = ;"), 1, 63, "expected an expression, found ';'");
	CHECK_ERR("define flow f flow\n  define connector c from stdio\n  with\n    codec = \"json\";\nend;",
		  "t.troy:4:19: expected ',' or 'end', found ';'\n"
		  "    codec = \"json\";\n"
		  "                  ^");
	CHECK_ERR_AT("define flow f flow\n  define connector c from stdio\n  with\n    codec = \"json\",\n", 4, 20,
		     "expected a name, found end of file");
	/* the seed as the second document printed it: no `with`, no `end;` */
	CHECK_ERR_AT("define flow main\nuse integration;\n", 2, 1, "expected 'args' or 'flow', found 'use'");
	CHECK_ERR_AT("define flow main\nflow\nuse integration;\n\ndefine connector ws_client from ws_client\n"
		     "postprocessors = [\"lines\"],\ncodec = \"json\",\n", 6, 1,
		     "expected ';' or 'end', found 'postprocessors'");
	/* create, connect, deploy */
	CHECK_ERR_AT(FLOW("create c;"), 1, 27, "expected 'connector' or 'pipeline', found 'c'");
	CHECK_ERR_AT(FLOW("create connector;"), 1, 36, "expected a name, found ';'");
	CHECK_ERR_AT(FLOW("create connector c from;"), 1, 43, "expected a name, found ';'");
	CHECK_ERR_AT(FLOW("create connector c from a::;"), 1, 47, "expected a name, found ';'");
	CHECK_ERR_AT(FLOW("create connector c from a::b::1;"), 1, 50, "expected a name, found '1'");
	CHECK_ERR_AT(FLOW("create connector c with x = 1;"), 1, 49, "expected ',' or 'end', found ';'");
	CHECK_ERR_AT(FLOW("connect connector/c to /pipeline/p;"), 1, 28, "expected '/', found 'connector'");
	CHECK_ERR_AT(FLOW("connect /stream/c to /pipeline/p;"), 1, 29, "expected 'connector' or 'pipeline', found 'stream'");
	CHECK_ERR_AT(FLOW("connect /connector c to /pipeline/p;"), 1, 39, "expected '/', found 'c'");
	CHECK_ERR_AT(FLOW("connect /connector/ to /pipeline/p;"), 1, 40, "expected a connector name, found 'to'");
	CHECK_ERR_AT(FLOW("connect /pipeline/ to /pipeline/p;"), 1, 39, "expected a pipeline name, found 'to'");
	CHECK_ERR_AT(FLOW("connect /connector/c /pipeline/p;"), 1, 42, "expected a port name, found 'pipeline'");
	CHECK_ERR_AT(FLOW("connect /connector/c/out /pipeline/p;"), 1, 45, "expected 'to', found '/'");
	CHECK_ERR_AT(FLOW("connect /connector/c too /pipeline/p;"), 1, 41, "expected '/' or 'to', found 'too'");
	CHECK_ERR_AT(FLOW("connect /connector/c/ to /pipeline/p;"), 1, 42, "expected a port name, found 'to'");
	CHECK_ERR_AT(FLOW("connect /connector/c to /connector/d;"), 1, 45, "expected 'pipeline', found 'connector'");
	CHECK_ERR_AT(FLOW("connect /connector/c to pipeline/p;"), 1, 44, "expected '/', found 'pipeline'");
	CHECK_ERR_AT(FLOW("connect /connector/c to;"), 1, 43, "expected '/', found ';'");
	CHECK_ERR_AT("deploy f;", 1, 8, "expected 'flow', found 'f'");
	CHECK_ERR_AT("deploy flow;", 1, 12, "expected a flow name, found ';'");
	CHECK_ERR_AT("deploy flow f from;", 1, 19, "expected a name, found ';'");
	CHECK_ERR_AT("deploy flow f with a = 1", 1, 25, "expected ',' or 'end', found end of file");
	/* pipelines */
	CHECK_ERR_AT(FLOW("define pipeline p;"), 1, 37, "expected 'from', 'into', 'args' or 'pipeline', found ';'");
	CHECK_ERR_AT(FLOW("define pipeline p from in;"), 1, 45, "expected 'into', 'args' or 'pipeline', found ';'");
	CHECK_ERR_AT(FLOW("define pipeline p from in into out;"), 1, 54, "expected 'args' or 'pipeline', found ';'");
	CHECK_ERR_AT(FLOW("define pipeline p args a;"), 1, 44, "expected 'pipeline', found ';'");
	CHECK_ERR_AT(FLOW("define pipeline p into pipeline"), 1, 43, "expected a port name, found 'pipeline'");
	CHECK_ERR_AT(FLOW("define pipeline p pipeline end;"), 1, 47,
		     "expected 'select', 'define', 'create' or 'use', found 'end'");
	CHECK_ERR_AT(PIPE_HEAD "select event from in into out", 1, 76, "expected ';' or 'end', found end of file");
	CHECK_ERR_AT(PIPE_HEAD "select event from in into out; select", 1, 84, "expected an expression, found end of file");
	CHECK_ERR_AT(PIPE("select event in into out;"), 1, SELCOL + 6, "expected 'from', found 'in'");
	CHECK_ERR_AT(PIPE("select event from into out;"), 1, SELCOL + 11, "expected a stream name, found 'into'");
	CHECK_ERR_AT(PIPE("select event from in out;"), 1, SELCOL + 14, "expected '/', 'where' or 'into', found 'out'");
	CHECK_ERR_AT(PIPE("select event from in/x out;"), 1, SELCOL + 16, "expected 'where' or 'into', found 'out'");
	CHECK_ERR_AT(PIPE("select event from in where true out;"), 1, SELCOL + 25, "expected 'into', found 'out'");
	CHECK_ERR_AT(PIPE("select event from in into;"), 1, SELCOL + 18, "expected a stream name, found ';'");
	CHECK_ERR_AT(PIPE("select event from in into out having;"), 1, SELCOL + 29, "expected an expression, found ';'");
	CHECK_ERR_AT(PIPE("select event from in into out/;"), 1, SELCOL + 23, "expected a port name, found ';'");
	CHECK_ERR_AT(PIPE("define s script 1 end;"), 1, 54, "expected 'script', found 's'");
	CHECK_ERR_AT(PIPE("define script s 1 end;"), 1, 63, "expected 'args' or 'script', found '1'");
	CHECK_ERR_AT(PIPE("define script s script end;"), 1, 70, "expected an expression, found 'end'");
	CHECK_ERR_AT(PIPE("define script s script let = 1 end;"), 1, 74, "expected a path to assign to, found '='");
	CHECK_ERR_AT(PIPE("define script s script let f(x) = 1 end;"), 1, 74, "expected a path to assign to, found a function call");
	CHECK_ERR_AT(PIPE("define script s script let x 1 end;"), 1, 76, "expected '=', found '1'");
	CHECK_ERR_AT(PIPE("define script s script let x = 1 let y = 2 end;"), 1, 80, "expected ';' or 'end', found 'let'");
	CHECK_ERR_AT(PIPE("create x;"), 1, 54, "expected 'script' or 'stream', found 'x'");
	CHECK_ERR_AT(PIPE("create script;"), 1, 60, "expected a script name, found ';'");
	CHECK_ERR_AT(PIPE("create stream;"), 1, 60, "expected a stream name, found ';'");
	CHECK_ERR_AT(PIPE("deploy flow f;"), 1, 47, "expected 'select', 'define', 'create' or 'use', found 'deploy'");
	/* expressions */
	CHECK_ERR_AT(SEL("1 +"), 1, SELCOL + 4, "expected an expression, found 'from'");
	CHECK_ERR_AT(SEL("(1 + 2"), 1, SELCOL + 7, "expected ')', found 'from'");
	CHECK_ERR_AT(SEL("[1 2]"), 1, SELCOL + 3, "expected ',' or ']', found '2'");
	CHECK_ERR_AT(SEL("[1,,]"), 1, SELCOL + 3, "expected an expression, found ','");
	CHECK_ERR_AT(SEL("{\"a\" 1}"), 1, SELCOL + 5, "expected ':', found '1'");
	CHECK_ERR_AT(SEL("{\"a\": 1 \"b\": 2}"), 1, SELCOL + 8, "expected ',' or '}', found a string");
	CHECK_ERR_AT(SEL("{a: 1}"), 1, SELCOL + 1, "expected a string key, found 'a'");
	CHECK_ERR_AT(SEL("{1: 1}"), 1, SELCOL + 1, "expected a string key, found '1'");
	CHECK_ERR_AT(SEL("f(1 2)"), 1, SELCOL + 4, "expected ',' or ')', found '2'");
	CHECK_ERR_AT(SEL("a::"), 1, SELCOL + 4, "expected an identifier, found 'from'");
	CHECK_ERR_AT(SEL("event."), 1, SELCOL + 7, "expected a field name, found 'from'");
	CHECK_ERR_AT(SEL("event.from"), 1, SELCOL + 6, "expected a field name, found 'from'");
	CHECK_ERR_AT(SEL("event[1"), 1, SELCOL + 8, "expected ']', found 'from'");
	CHECK_ERR_AT(SEL("present 1"), 1, SELCOL + 8, "expected a path, found '1'");
	CHECK_ERR_AT(SEL("absent f(1)"), 1, SELCOL + 7, "expected a path, found a function call");
	CHECK_ERR_AT(SEL("not -1"), 1, SELCOL + 4, "expected an expression, found '-'");
	CHECK_ERR_AT(SEL("1 == == 2"), 1, SELCOL + 5, "expected an expression, found '=='");
	CHECK_ERR_AT(SEL("a => b"), 1, SELCOL + 2, "expected 'from', found '=>'");
	CHECK_ERR_AT(SEL("a = b"), 1, SELCOL + 2, "expected 'from', found '='");
	{
		/* deep nesting is an error, not a crash */
		char text[8192], *w = text;
		int i;
		w += sprintf(w, PIPE_HEAD "select ");
		for (i = 0; i < 300; i++)
			*w++ = '[';
		*w = 0;
		CHECK_ERR_AT(text, 1, SELCOL + 200, "expression nested too deeply (more than 200 levels)");
		w = text + sprintf(text, PIPE_HEAD "select ");
		for (i = 0; i < 300; i++)
			w += sprintf(w, "not ");
		CHECK_ERR_AT(text, 1, SELCOL + 4 * 200, "expression nested too deeply (more than 200 levels)");
		w = text + sprintf(text, PIPE_HEAD "select ");
		for (i = 0; i < 300; i++)
			w += sprintf(w, "- ");
		CHECK_ERR_AT(text, 1, SELCOL + 2 * 200, "expression nested too deeply (more than 200 levels)");
		/* 200 levels are fine */
		w = text + sprintf(text, PIPE_HEAD "select ");
		for (i = 0; i < 199; i++)
			*w++ = '[';
		for (i = 0; i < 199; i++)
			*w++ = ']';
		strcpy(w, " from in into out;" PIPE_TAIL);
		{
			struct wf_troy *t = parse(text);
			CHECK_OK(t);
			wf_troy_free(t);
		}
		w = text + sprintf(text, PIPE_HEAD "select ");
		for (i = 0; i < 250; i++)
			w += sprintf(w, "(1 + ");
		strcpy(w, "1");
		for (i = 0; i < 250; i++)
			strcat(w, ")");
		strcat(w, " from in into out;" PIPE_TAIL);
		CHECK(parse(text) == NULL);
		CHECK(strstr(errbuf, "expression nested too deeply") != NULL);
	}
}

static void unsupported_errors(void)
{
	CHECK_ERR_AT(SEL("match event of case 1 => 2 end"), 1, SELCOL, "'match' expressions are not supported by flow-run");
	CHECK_ERR_AT(SEL("for event of case (k, v) => v end"), 1, SELCOL, "'for' expressions are not supported by flow-run");
	CHECK_ERR_AT(SEL("patch event of insert \"a\" => 1 end"), 1, SELCOL, "'patch' expressions are not supported by flow-run");
	CHECK_ERR_AT(SEL("merge event of {} end"), 1, SELCOL, "'merge' expressions are not supported by flow-run");
	CHECK_ERR_AT(PIPE("define script s script drop end;"), 1, 70, "'drop' expressions are not supported by flow-run");
	CHECK_ERR_AT(PIPE("define script s script emit event end;"), 1, 70, "'emit' expressions are not supported by flow-run");
	CHECK_ERR_AT(SEL("window.x"), 1, SELCOL, "'window' paths are not supported by flow-run (no windows, no group by)");
	CHECK_ERR_AT(SEL("group[0]"), 1, SELCOL, "'group' paths are not supported by flow-run (no windows, no group by)");
	CHECK_ERR_AT(SEL("f(1).a"), 1, SELCOL + 4, "a path on a function's result is not supported by flow-run");
	CHECK_ERR_AT(SEL("(event)[0]"), 1, SELCOL + 7, "a path on a parenthesized expression is not supported by flow-run");
	CHECK_ERR_AT(SEL("{\"a\": 1}.a"), 1, SELCOL + 8, "a path on a record literal is not supported by flow-run");
	CHECK_ERR_AT(SEL("[1][0]"), 1, SELCOL + 3, "a path on an array literal is not supported by flow-run");
	CHECK_ERR_AT(SEL("event[1:2]"), 1, SELCOL + 7, "array ranges are not supported by flow-run");
	CHECK_ERR_AT(PIPE("select event from in [w] into out;"), 1, SELCOL + 14, "windows are not supported by flow-run");
	CHECK_ERR_AT(PIPE("select event from in group by event into out;"), 1, SELCOL + 14, "group by is not supported by flow-run");
	CHECK_ERR_AT(PIPE("define window w from tumbling with size = 2 end;"), 1, 47, "windows are not supported by flow-run");
	CHECK_ERR_AT(PIPE("define operator o from generic::batch;"), 1, 47, "operators are not supported by flow-run");
	CHECK_ERR_AT(PIPE("define pipeline q pipeline select event from in into out; end;"), 1, 47,
		     "pipelines inside pipelines are not supported by flow-run");
	CHECK_ERR_AT(PIPE("create window w;"), 1, 47, "windows are not supported by flow-run");
	CHECK_ERR_AT(PIPE("create operator o;"), 1, 47, "operators are not supported by flow-run");
	CHECK_ERR_AT(PIPE("create pipeline q;"), 1, 47, "pipelines inside pipelines are not supported by flow-run");
	CHECK_ERR_AT(PIPE("define script s state 0 script 1 end;"), 1, 63, "script state is not supported by flow-run");
	CHECK_ERR_AT(PIPE("define script s script from in 1 script 2 end;"), 1, 70,
		     "named scripts (script from PORT) are not supported by flow-run");
}

static void resolution_errors(void)
{
	/* unknown names */
	CHECK_ERR("define flow f flow\n  use integration;\n  create connector in from integration::read_fil;\nend",
		  "t.troy:3:28: unknown connector integration::read_fil\n"
		  "  create connector in from integration::read_fil;\n"
		  "                           ^");
	CHECK_ERR_AT(FLOW("create connector in from integratio::read_file;"), 1, 45,
		     "unknown connector integratio::read_file (no use names a module integratio)");
	CHECK_ERR_AT("use integration; define flow f flow create pipeline p from integration::nope; end", 1, 60,
		     "unknown pipeline integration::nope");
	CHECK_ERR_AT("use integration; define flow f flow create pipeline p from integration::read_file; end", 1, 60,
		     "unknown pipeline integration::read_file");
	CHECK_ERR_AT(FLOW("use std::time::nanos; create connector c from nanos::from_millis;"), 1, 66,
		     "unknown connector nanos::from_millis (std::time::nanos is a module of built-in functions)");
	CHECK_ERR_AT(FLOW("create connector ws_client;"), 1, 37, "unknown connector ws_client");
	CHECK_ERR_AT(FLOW("create pipeline p;"), 1, 36, "unknown pipeline p");
	CHECK_ERR_AT(FLOW("define connector c from stdio; create pipeline c;"), 1, 67, "unknown pipeline c");
	CHECK_ERR_AT("define flow f flow use integration; end;\ndeploy flow main;", 2, 13, "unknown flow main");
	CHECK_ERR_AT("define flow f flow use integration; end;\ndeploy flow main from g;", 2, 23, "unknown flow g");
	CHECK_ERR_AT("use integration; deploy flow main from integration::exit;", 1, 40, "unknown flow integration::exit");
	CHECK_ERR_AT("deploy flow main from x::y;", 1, 23, "unknown flow x::y (no use names a module x)");
	/* a use inside one flow is not seen from another */
	CHECK_ERR_AT("define flow a flow use integration; end;\ndefine flow b flow create connector c from integration::exit; end",
		     2, 44, "unknown connector integration::exit (no use names a module integration)");
	/* connect names what the flow creates */
	CHECK_ERR("define flow f flow\n  use tremor::connectors;\n  create connector c from connectors::console;\n"
		  "  connect /connector/d to /pipeline/p;\nend",
		  "t.troy:4:22: flow f creates no connector d\n"
		  "  connect /connector/d to /pipeline/p;\n"
		  "                     ^");
	CHECK_ERR_AT("define flow f flow\n  use tremor::connectors;\n  create connector c from connectors::console;\n"
		     "  connect /connector/c to /pipeline/c;\nend", 4, 37, "flow f creates no pipeline c");
	/* pipeline streams */
	CHECK_ERR_AT(PIPE("select event from inn into out;"), 1, SELCOL + 11,
		     "pipeline p has no input port, stream or script inn");
	CHECK_ERR_AT(PIPE("select event from in into exit;"), 1, SELCOL + 19,
		     "pipeline p has no output port, stream or script exit");
	CHECK_ERR_AT(PIPE("select event from out into out;"), 1, SELCOL + 11,
		     "pipeline p has no input port, stream or script out");
	CHECK_ERR_AT(PIPE("create script s;"), 1, 61, "unknown script s");
	CHECK_ERR_AT(PIPE("create script s from t;"), 1, 68, "unknown script t");
	CHECK_ERR_AT(PIPE("create script s from m::t;"), 1, 68, "unknown script m::t (no use names a module m)");
	/* twice */
	CHECK_ERR_AT(FLOW("define connector c from stdio;\n define connector c from file;"), 2, 19,
		     "connector c is already defined (line 1)");
	CHECK_ERR_AT(FLOW("define pipeline p pipeline select event from in into out end;\n"
			  "define pipeline p pipeline select event from in into out end;"), 2, 17,
		     "pipeline p is already defined (line 1)");
	CHECK_ERR_AT("define flow f flow use integration; end;\ndefine flow f flow use integration; end;", 2, 13,
		     "flow f is already defined (line 1)");
	CHECK_ERR_AT(PIPE("define script s script 1 end;\n define script s script 2 end;"), 2, 16,
		     "script s is already defined (line 1)");
	CHECK_ERR_AT(FLOW("define connector c from stdio;\ncreate connector c;\ncreate connector c;"), 3, 18,
		     "connector c is already created (line 2)");
	CHECK_ERR_AT("define flow f flow use integration; end;\ndeploy flow f;\ndeploy flow f;", 3, 13,
		     "flow f is already deployed (line 2)");
	CHECK_ERR_AT(PIPE("define script s script 1 end; create script s;\n create script s;"), 2, 16,
		     "script s is already created (line 1)");
	CHECK_ERR_AT(PIPE("create stream s;\n create stream s;"), 2, 16, "stream s is created twice");
	CHECK_ERR_AT(PIPE("define script s script 1 end; create stream s;\n create script s;"), 2, 16,
		     "s is already a stream");
	CHECK_ERR_AT("define flow f args a, b, a flow use integration; end", 1, 26, "argument a is declared twice");
	CHECK_ERR_AT(FLOW("define connector c from stdio with codec = \"json\",\n codec = \"string\" end;"), 2, 2,
		     "codec is given twice");
	CHECK_ERR_AT(FLOW("define pipeline q from in, in pipeline select event from in into out; end;"), 1, 36,
		     "pipeline q: port in is declared twice");
	CHECK_ERR_AT(FLOW("define pipeline q into out, out pipeline select event from in into out; end;"), 1, 36,
		     "pipeline q: port out is declared twice");
	CHECK_ERR_AT("use integration;\nuse tremor::connectors as integration;", 2, 5,
		     "integration already names module integration (line 1); use tremor::connectors as ANOTHER_NAME");
	{
		/* the same module under the same name twice is fine */
		struct wf_troy *t = parse("use integration; use integration; define flow f flow use integration; end");
		CHECK_OK(t);
		wf_troy_free(t);
	}
}

/* wf_troy_load and wf_troy_error. */
static void files(void)
{
	char dir[] = "/tmp/wf-troy-f-XXXXXX", file[300], err[512];
	struct wf_troy *t;
	struct wf_troy_pos pos;
	FILE *f;

	t = wf_troy_load("/nonexistent/x.troy", &shipped, err, sizeof err);
	CHECK(!t);
	CHECK_STR(err, "/nonexistent/x.troy: No such file or directory");
	t = wf_troy_load("/", &shipped, err, sizeof err);
	CHECK(!t);
	CHECK_STR(err, "/: Is a directory");
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(file, sizeof file, "%s/f.troy", dir);
	f = fopen(file, "w");
	fputs("define flow f flow\n  define connector c from stdio\n  with\n\tcodec = \"jsn\"\n  end;\n"
	      "  create connector c;\nend;\ndeploy flow f;\n", f);
	fclose(f);
	t = wf_troy_load(file, &shipped, err, sizeof err);
	CHECK(t != NULL);
	if (t) {
		const struct wf_troy_binding *b = &t->main->scope.flows[0].scope.connectors[0].with.v[0];
		char want[600];
		/* what the graph builder does with a bad value */
		wf_troy_error(err, sizeof err, &b->value->pos, "unknown codec %s", "jsn");
		snprintf(want, sizeof want, "%s:4:10: unknown codec jsn\n\tcodec = \"jsn\"\n\t        ^", file);
		CHECK_STR(err, want);
		/* without the text: the file is read again */
		pos = b->pos;
		pos.src = NULL;
		wf_troy_error(err, sizeof err, &pos, "unknown key %s", b->name);
		snprintf(want, sizeof want, "%s:4:2: unknown key codec\n\tcodec = \"jsn\"\n\t^", file);
		CHECK_STR(err, want);
		/* a short buffer holds what fits */
		wf_troy_error(err, 12, &b->pos, "x");
		CHECK(strlen(err) == 11 && !strncmp(err, file, 11));
		wf_troy_free(t);
	}
	/* no text to show */
	pos.file = "/nonexistent/y.troy";
	pos.line = 3;
	pos.col = 4;
	pos.src = NULL;
	wf_troy_error(err, sizeof err, &pos, "gone %d", 1);
	CHECK_STR(err, "/nonexistent/y.troy:3:4: gone 1");
	/* a line past the end of the text */
	pos.src = "one line";
	wf_troy_error(err, sizeof err, &pos, "late");
	CHECK_STR(err, "/nonexistent/y.troy:3:4: late");
	/* a caret past the end of its line */
	pos.line = 1;
	pos.col = 12;
	wf_troy_error(err, sizeof err, &pos, "eol");
	CHECK_STR(err, "/nonexistent/y.troy:1:12: eol\none line\n           ^");
	unlink(file);
	rmdir(dir);
	{
		/* too large */
		size_t n = (16u << 20) + 1;
		char *big = malloc(n);
		if (big) {
			memset(big, ' ', n);
			t = wf_troy_parse("big.troy", big, n, &shipped, err, sizeof err);
			CHECK(!t);
			CHECK_STR(err, "big.troy: file too large (more than 16777216 bytes)");
			free(big);
		}
	}
}

/* ---- robustness ---- */

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Parse: either a tree or a message in the format, never a crash. */
static void survive(const char *text, size_t n)
{
	struct wf_troy *t = wf_troy_parse("t.troy", text, n, &shipped, errbuf, sizeof errbuf);

	unit_checks++;
	if (!t && strncmp(errbuf, "t.troy:", 7)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: odd error for mangled input: %s\n", __FILE__, __LINE__, errbuf);
	}
	wf_troy_free(t);
}

static void robustness(void)
{
	size_t len, i, flow_end, deploy;
	char *seed = slurp("tests/fixtures/troy/seed-separate.troy", &len), *buf;
	static const char chars[] = "\"{}[]();,:/=#\\$.-+ \n\taz09_`\xc3\xff";
	int k;

	CHECK(seed != NULL);
	if (!seed)
		return;
	flow_end = (size_t)(strstr(seed, "\nend;\n") - seed) + 4;
	deploy = (size_t)(strstr(seed, "deploy flow main;") - seed);
	/* every cut of the seed */
	for (i = 0; i < len; i++) {
		struct wf_troy *t = wf_troy_parse("t.troy", seed, i, &shipped, errbuf, sizeof errbuf);
		int ok = !!t;
		wf_troy_free(t);
		if (i < flow_end || (i > deploy && i < deploy + 16)) {
			unit_checks++;
			if (ok || strncmp(errbuf, "t.troy:", 7)) {
				unit_failures++;
				fprintf(stderr, "%s:%d: the seed cut at %zu: %s\n", __FILE__, __LINE__, i,
					ok ? "parsed" : errbuf);
			}
		}
	}
	buf = malloc(len + 64);
	/* random bytes changed, inserted, cut out */
	for (k = 0; buf && k < 4000; k++) {
		size_t n = len, at, j;
		memcpy(buf, seed, len);
		for (j = 1 + rnd() % 3; j; j--) {
			at = rnd() % n;
			switch (rnd() % 3) {
			case 0:
				buf[at] = chars[rnd() % (sizeof chars - 1)];
				break;
			case 1:
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = chars[rnd() % (sizeof chars - 1)];
				n++;
				break;
			default: {
				size_t cut = 1 + rnd() % 20;
				if (cut > n - at)
					cut = n - at;
				memmove(buf + at, buf + at + cut, n - at - cut);
				n -= cut;
			}
			}
		}
		survive(buf, n);
	}
	free(buf);
	free(seed);
	/* odd inputs */
	survive("\"", 1);
	survive("\"\"\"\n", 4);
	survive("\"#{", 3);
	survive("\"#{\"#{\"#{", 9);
	survive("use a::{b::{c::{", 16);
	survive("`", 1);
	survive("#", 1);
	survive("##", 2);
	survive("0x", 2);
	survive("1.", 2);
	survive("\\", 1);
}

int main(void)
{
	expressions();
	expression_positions();
	lexing();
	uses();
	connectors();
	pipelines();
	connects();
	module_skips();
	seed("tests/fixtures/troy/seed-separate.troy", "separate");
	seed("tests/fixtures/troy/seed-lines.troy", "lines");
	shipped_modules();
	module_search();
	lexical_errors();
	syntax_errors();
	unsupported_errors();
	resolution_errors();
	files();
	robustness();
	return unit_done();
}
