/* troy_jq: every construct against known results, runtime errors (missing
 * keys, operators on the wrong types), Tremor's comparisons across types,
 * compile errors with positions, constants and args. */
#include "unit.h"
#include "troy_tree.h"
#include "troy_jq.h"

#include <stdio.h>

#define INPUT "{\"event\":{\"a\":1,\"s\":\"hi\",\"f\":1.5,\"l\":[10,20,30],\"r\":{\"x\":{\"y\":true}},\"n\":null}," \
	      "\"meta\":{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}}," \
	      "\"args\":{\"delay\":100,\"name\":\"w\",\"k\":\"s\"},\"state\":null,\"locals\":{\"x\":7}}"

/* Evaluate e on INPUT (or on in): its compact JSON, or "error: <message>". */
static const char *run_on(const struct wf_texpr *e, const char *in)
{
	static char res[4096];
	char err[1024];
	struct wf_buf prog, out;
	jq_state *jq;
	jv v;

	wf_buf_init(&prog, (size_t)-1);
	wf_buf_init(&out, (size_t)-1);
	if (wf_troy_jq(&prog, e, err, sizeof err) || wf_buf_addc(&prog, 0)) {
		snprintf(res, sizeof res, "compile: %s", err);
		goto out;
	}
	jq = wf_troy_jq_compile(prog.p, err, sizeof err);
	if (!jq) {
		snprintf(res, sizeof res, "jq: %s", err);
		goto out;
	}
	if (wf_troy_jq_run(jq, jv_parse(in), &v, err, sizeof err)) {
		snprintf(res, sizeof res, "error: %s", err);
	} else {
		wf_troy_jv_dump(&out, v);
		jv_free(v);
		snprintf(res, sizeof res, "%.*s", (int)out.len, out.p);
	}
	jq_teardown(&jq);
out:
	wf_buf_free(&prog);
	wf_buf_free(&out);
	return res;
}

static const char *run(const struct wf_texpr *e)
{
	return run_on(e, INPUT);
}

#define EQ(e, want) do { const char *got_ = run(e); CHECK_MEM(got_, strlen(got_), want); } while (0)
#define EQ_ON(e, in, want) do { const char *got_ = run_on(e, in); CHECK_MEM(got_, strlen(got_), want); } while (0)

static void literals(void)
{
	EQ(LIT("42"), "42");
	EQ(LIT("1.5"), "1.5");
	EQ(LIT("-3"), "-3");
	EQ(LIT("true"), "true");
	EQ(LIT("null"), "null");
	EQ(LIT("\"a\\\"b\\u00e9\""), "\"a\\\"bé\"");
	EQ(REC(KEY("a"), LIT("1"), KEY("b"), ARR(LIT("1"), LIT("\"x\""))), "{\"a\":1,\"b\":[1,\"x\"]}");
	EQ(REC0(), "{}");
	EQ(ARR0(), "[]");
	/* key order as written */
	EQ(REC(KEY("z"), LIT("1"), KEY("a"), LIT("2")), "{\"z\":1,\"a\":2}");
	/* a key made by interpolation */
	EQ(REC(STR(KEY("k_"), PATH("args", KEY("name"))), LIT("1")), "{\"k_w\":1}");
	/* whole numbers jq holds as doubles are written as integers */
	EQ(BIN("*", LIT("100000000"), LIT("1000000000")), "100000000000000000");
}

static void interpolation(void)
{
	EQ(STR0(), "\"\"");
	EQ(STR(KEY("a"), PATH("event", KEY("s")), KEY("b")), "\"ahib\"");
	/* values that are not strings are interpolated as JSON */
	EQ(STR(PATH("event", KEY("l")), KEY("|"), PATH("event", KEY("r")), KEY("|"), PATH("event", KEY("n")),
	       KEY("|"), PATH("event", KEY("a"))),
	   "\"[10,20,30]|{\\\"x\\\":{\\\"y\\\":true}}|null|1\"");
	EQ(CALL("string::format", KEY("{} is {{{}}}"), PATH("event", KEY("s")), PATH("event", KEY("l"))),
	   "\"hi is {[10,20,30]}\"");
	EQ(CALL("string::format", AT(KEY("{"), 9)), "compile: t.troy:1:9: string::format: a lone `{` in the format");
}

static void paths(void)
{
	EQ(ROOT("event"), "{\"a\":1,\"s\":\"hi\",\"f\":1.5,\"l\":[10,20,30],\"r\":{\"x\":{\"y\":true}},\"n\":null}");
	EQ(PATH("event", KEY("a")), "1");
	EQ(PATH("event", KEY("r"), KEY("x"), KEY("y")), "true");
	EQ(PATH("event", KEY("l"), LIT("1")), "20");
	EQ(PATH("event", KEY("l"), BIN("-", PATH("event", KEY("a")), LIT("1"))), "10");
	EQ(PATH("event", PATH("args", KEY("k"))), "\"hi\"");
	EQ(PATH("event", KEY("n")), "null");
	EQ(ROOT("$"), "{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}}");
	EQ(PATH("$", KEY("ws_server"), KEY("peer"), KEY("port")), "51234");
	EQ(PATH("args", KEY("delay")), "100");
	EQ(ROOT("state"), "null");
	EQ(ROOT("x"), "7");
	/* Tremor: a missing key, an index out of bounds, indexing a string are errors */
	EQ(AT(PATH("event", KEY("nope")), 9), "error: t.troy:1:9: no key \"nope\" in the record");
	EQ(AT(PATH("event", KEY("l"), LIT("3")), 9), "error: t.troy:1:9: index 3 out of bounds (length 3)");
	EQ(AT(PATH("event", KEY("l"), LIT("-1")), 9), "error: t.troy:1:9: index -1 out of bounds (length 3)");
	EQ(AT(PATH("event", KEY("s"), KEY("x")), 9), "error: t.troy:1:9: cannot index string with \"x\"");
	EQ(AT(PATH("event", KEY("l"), KEY("x")), 9), "error: t.troy:1:9: an array is indexed by an integer, not by string");
	EQ(AT(PATH("event", LIT("0")), 9), "error: t.troy:1:9: a record is indexed by a string, not by integer");
	EQ(AT(PATH("$", KEY("missing")), 9), "error: t.troy:1:9: no key \"missing\" in the record");
	EQ(PRESENT(PATH("event", KEY("a"))), "true");
	EQ(PRESENT(PATH("event", KEY("r"), KEY("x"), KEY("z"))), "false");
	EQ(PRESENT(PATH("event", KEY("n"))), "true");
	EQ(ABSENT(PATH("event", KEY("zz"))), "true");
	EQ(ABSENT(PATH("$", KEY("m"))), "false");
}

static void comparisons(void)
{
	EQ(BIN("==", PATH("event", KEY("a")), LIT("1")), "true");
	EQ(BIN("==", PATH("event", KEY("a")), LIT("1.0")), "true");
	EQ(BIN("!=", PATH("event", KEY("s")), KEY("hi")), "false");
	/* different types compare unequal without an error */
	EQ(BIN("==", ROOT("event"), KEY("exit")), "false");
	EQ(BIN("!=", ROOT("event"), KEY("exit")), "true");
	EQ(BIN("==", PATH("event", KEY("l")), KEY("[10,20,30]")), "false");
	EQ(BIN("==", PATH("event", KEY("n")), LIT("null")), "true");
	EQ(BIN("==", LIT("0"), LIT("false")), "false");
	/* records compare by content, not key order */
	EQ(BIN("==", REC(KEY("a"), LIT("1"), KEY("b"), LIT("2")), REC(KEY("b"), LIT("2"), KEY("a"), LIT("1"))), "true");
	EQ(BIN("<", LIT("1"), LIT("2")), "true");
	EQ(BIN("<=", LIT("2"), LIT("2")), "true");
	EQ(BIN(">", KEY("b"), KEY("a")), "true");
	EQ(BIN(">=", KEY("a"), KEY("b")), "false");
	EQ(BIN("<", KEY("B"), KEY("a")), "true");
	/* ordering across types is an error in Tremor, not jq's type order */
	EQ(AT(BIN("<", LIT("1"), KEY("a")), 9), "error: t.troy:1:9: invalid binary operation < between integer and string");
	EQ(AT(BIN(">", REC0(), LIT("1")), 9), "error: t.troy:1:9: invalid binary operation > between record and integer");
	EQ(AT(BIN(">=", LIT("true"), LIT("false")), 9), "error: t.troy:1:9: invalid binary operation >= between bool and bool");
}

static void booleans(void)
{
	EQ(BIN("and", LIT("true"), LIT("false")), "false");
	EQ(BIN("or", LIT("false"), LIT("true")), "true");
	EQ(BIN("xor", LIT("true"), LIT("true")), "false");
	EQ(BIN("xor", LIT("true"), LIT("false")), "true");
	EQ(UN("not", LIT("false")), "true");
	/* short circuit: the right side is not evaluated */
	EQ(BIN("and", LIT("false"), PATH("event", KEY("nope"))), "false");
	EQ(BIN("or", LIT("true"), PATH("event", KEY("nope"))), "true");
	EQ(AT(BIN("and", LIT("1"), LIT("true")), 9), "error: t.troy:1:9: expected a bool, got integer");
	EQ(AT(UN("not", LIT("null")), 9), "error: t.troy:1:9: expected a bool, got null");
}

static void arithmetic(void)
{
	EQ(BIN("+", LIT("1"), LIT("2")), "3");
	EQ(BIN("+", LIT("1.5"), LIT("2")), "3.5");
	EQ(BIN("+", KEY("ab"), KEY("cd")), "\"abcd\"");
	EQ(BIN("+", ARR(LIT("1")), ARR(LIT("2"))), "[1,2]");
	EQ(BIN("+", REC(KEY("a"), LIT("1"), KEY("b"), LIT("1")), REC(KEY("b"), LIT("2"))), "{\"a\":1,\"b\":2}");
	EQ(BIN("-", LIT("1"), LIT("3")), "-2");
	EQ(BIN("*", LIT("6"), LIT("7")), "42");
	/* Tremor divides integers into a float: 7 / 2 is 3.5 */
	EQ(BIN("/", LIT("7"), LIT("2")), "3.5");
	EQ(BIN("/", LIT("6"), LIT("2")), "3");
	EQ(BIN("%", LIT("7"), LIT("3")), "1");
	EQ(BIN("%", LIT("-7"), LIT("3")), "-1");
	EQ(UN("-", PATH("event", KEY("f"))), "-1.5");
	EQ(AT(BIN("/", LIT("1"), LIT("0")), 9), "error: t.troy:1:9: division by zero");
	EQ(AT(BIN("%", LIT("1"), LIT("0")), 9), "error: t.troy:1:9: division by zero");
	EQ(AT(BIN("%", LIT("1.5"), LIT("1")), 9), "error: t.troy:1:9: invalid binary operation % between float and integer");
	EQ(AT(BIN("+", KEY("a"), LIT("1")), 9), "error: t.troy:1:9: invalid binary operation + between string and integer");
	EQ(AT(BIN("+", LIT("null"), LIT("1")), 9), "error: t.troy:1:9: invalid binary operation + between null and integer");
	EQ(AT(BIN("*", KEY("a"), LIT("2")), 9), "error: t.troy:1:9: invalid binary operation * between string and integer");
	EQ(AT(BIN("-", ARR(LIT("1")), ARR(LIT("1"))), 9), "error: t.troy:1:9: invalid binary operation - between array and array");
	EQ(AT(UN("-", KEY("a")), 9), "error: t.troy:1:9: expected a number, got string");
	EQ(AT(BIN("<<", LIT("1"), LIT("2")), 9), "compile: t.troy:1:9: operator << is not supported");
}

static void functions(void)
{
	EQ(CALL("nanos::from_millis", LIT("100")), "100000000");
	EQ(CALL("std::time::nanos::from_seconds", LIT("2")), "2000000000");
	EQ(CALL("nanos::from_nanos", LIT("5")), "5");
	EQ(CALL("nanos::from_micros", LIT("3")), "3000");
	EQ(CALL("nanos::from_minutes", LIT("1")), "60000000000");
	EQ(CALL("nanos::from_hours", LIT("1")), "3600000000000");
	EQ(CALL("nanos::from_days", LIT("1")), "86400000000000");
	EQ(CALL("nanos::from_days", LIT("10000")), "864000000000000000");
	EQ(CALL("nanos::from_seconds", LIT("100000000")), "100000000000000000");
	EQ(CALL("nanos::from_seconds", LIT("1.5")), "1500000000");
	EQ(CALL("nanos::to_seconds", LIT("1500000000")), "1.5");
	EQ(CALL("nanos::from_millis", PATH("args", KEY("delay"))), "100000000");
	EQ(CALL("string::len", KEY("h\\u00e9llo")), "5");
	EQ(CALL("string::bytes", KEY("h\\u00e9llo")), "6");
	EQ(CALL("string::uppercase", KEY("abc")), "\"ABC\"");
	EQ(CALL("string::trim", KEY("  a b \\t")), "\"a b\"");
	EQ(CALL("string::contains", KEY("hello"), KEY("ell")), "true");
	EQ(CALL("string::starts_with", KEY("hello"), KEY("he")), "true");
	EQ(CALL("string::ends_with", KEY("hello"), KEY("he")), "false");
	EQ(CALL("string::split", KEY("a,b"), KEY(",")), "[\"a\",\"b\"]");
	EQ(CALL("string::replace", KEY("a-b-c"), KEY("-"), KEY("+")), "\"a+b+c\"");
	EQ(CALL("type::is_string", PATH("event", KEY("s"))), "true");
	EQ(CALL("type::is_record", ROOT("event")), "true");
	EQ(CALL("type::is_null", PATH("event", KEY("n"))), "true");
	EQ(CALL("type::is_integer", PATH("event", KEY("a"))), "true");
	EQ(CALL("type::is_float", PATH("event", KEY("f"))), "true");
	EQ(CALL("type::as_string", PATH("event", KEY("l"))), "\"array\"");
	EQ(CALL("json::encode", PATH("event", KEY("r"))), "\"{\\\"x\\\":{\\\"y\\\":true}}\"");
	EQ(CALL("json::decode", KEY("[1,2]")), "[1,2]");
	EQ(CALL("record::keys", PATH("event", KEY("r"))), "[\"x\"]");
	EQ(CALL("record::contains", ROOT("$"), KEY("m")), "true");
	EQ(CALL("array::len", PATH("event", KEY("l"))), "3");
	EQ(CALL("array::contains", PATH("event", KEY("l")), LIT("20")), "true");
	EQ(CALL("array::push", PATH("event", KEY("l")), LIT("40")), "[10,20,30,40]");
	EQ(CALL("math::max", LIT("1"), LIT("2")), "2");
	EQ(CALL("math::floor", LIT("1.7")), "1");
	EQ(AT(CALL("string::len", LIT("1")), 9), "error: t.troy:1:9: expected a string, got integer");
	EQ(AT(CALL("nanos::from_millis", KEY("x")), 9), "error: t.troy:1:9: expected a number, got string");
	EQ(AT(CALL("nanos::from_fortnights", LIT("1")), 9), "compile: t.troy:1:9: unknown function nanos::from_fortnights");
	EQ(AT(CALL("string::len", LIT("1"), LIT("2")), 9), "compile: t.troy:1:9: string::len takes 1 argument, not 2");
}

static void names(void)
{
	char err[256];
	struct wf_buf b;

	/* wf_troy_jq accepts any local (scripts bind them); unknown roots are
	 * the script compiler's business, window and group are not supported */
	EQ(AT(ROOT("window"), 9), "compile: t.troy:1:9: `window` is not supported");
	wf_buf_init(&b, (size_t)-1);
	CHECK(wf_troy_jq(&b, ROOT("event"), err, sizeof err) == 0);
	CHECK(b.len > 0);
	wf_buf_free(&b);
	CHECK(wf_troy_uses(BIN("+", PATH("event", KEY("a")), ROOT("$"))) == (WF_USES_EVENT | WF_USES_META));
	CHECK(wf_troy_uses(CALL("nanos::from_millis", PATH("args", KEY("delay")))) == WF_USES_ARGS);
	CHECK(wf_troy_uses(LIT("1")) == 0);
	CHECK(wf_troy_is_event(ROOT("event")));
	CHECK(!wf_troy_is_event(PATH("event", KEY("a"))));
	CHECK(!wf_troy_is_event(ROOT("$")));
}

static const char *cst(const struct wf_texpr *e, const char *args)
{
	static char res[1024];
	char err[512];
	struct wf_buf out;

	wf_buf_init(&out, (size_t)-1);
	if (wf_troy_eval_const(e, args, &out, err, sizeof err))
		snprintf(res, sizeof res, "error: %s", err);
	else
		snprintf(res, sizeof res, "%.*s", (int)out.len, out.p);
	wf_buf_free(&out);
	return res;
}

#define CST(e, args, want) do { const char *got_ = cst((e), (args)); CHECK_MEM(got_, strlen(got_), want); } while (0)

static void constants(void)
{
	const char *args = "{\"url\":\"ws://h:1/\",\"n\":12345678901234567890,\"f\":42.0,\"o\":{\"a\": [1, 2.50]}}";

	/* the integration::exit connector's config */
	CST(REC(KEY("delay"), CALL("nanos::from_millis", LIT("100")), KEY("graceful"), LIT("true")), NULL,
	    "{\"delay\":100000000,\"graceful\":true}");
	/* literals and args stay as written */
	CST(REC(KEY("url"), PATH("args", KEY("url")), KEY("n"), PATH("args", KEY("n")), KEY("f"),
		PATH("args", KEY("f")), KEY("lit"), LIT("42.0"), KEY("big"), LIT("12345678901234567890")), args,
	    "{\"url\":\"ws://h:1/\",\"n\":12345678901234567890,\"f\":42.0,\"lit\":42.0,\"big\":12345678901234567890}");
	CST(PATH("args", KEY("o")), args, "{\"a\":[1,2.50]}");
	CST(PATH("args", KEY("o"), KEY("a")), args, "[1,2.50]");
	CST(ROOT("args"), args, "{\"url\":\"ws://h:1/\",\"n\":12345678901234567890,\"f\":42.0,\"o\":{\"a\":[1,2.50]}}");
	CST(ARR(LIT("1.0"), KEY("separate"), ARR0()), NULL, "[1.0,\"separate\",[]]");
	/* a repeated key keeps the last value */
	CST(REC(KEY("a"), LIT("1"), KEY("a"), LIT("2")), NULL, "{\"a\":2}");
	/* computed values go through jq */
	CST(STR(KEY("file-"), PATH("args", KEY("url"))), args, "\"file-ws://h:1/\"");
	CST(BIN("+", LIT("1"), LIT("2")), NULL, "3");
	CST(PATH("args", KEY("o"), KEY("a"), LIT("1")), args, "2.5");
	/* errors */
	CST(AT(PATH("args", KEY("nope")), 9), args, "error: t.troy:1:9: no key \"nope\" in the record");
	CST(REC(KEY("a"), AT(PATH("event", KEY("x")), 9)), NULL,
	    "error: t.troy:1:9: `event` cannot be used here: only literals, args and functions");
	CST(CALL("nanos::from_millis", AT(ROOT("$"), 9)), NULL,
	    "error: t.troy:1:9: `$` cannot be used here: only literals, args and functions");
	CST(REC(AT(LIT("1"), 9), LIT("2")), NULL, "error: t.troy:1:9: a record key must be a string");
	CST(LIT("1"), "[1]", "error: args are not a JSON object");
	CST(AT(tt_node(WF_TE_CALL, "nope::x", NULL), 9), NULL, "error: t.troy:1:9: unknown function nope::x");
}

static const char *args_of(const struct wf_troy_bindings *params, const struct wf_troy_bindings *with,
			   const char *outer)
{
	static char res[1024];
	char err[512];
	struct wf_buf out;

	wf_buf_init(&out, (size_t)-1);
	if (wf_troy_args(&out, params, with, outer, err, sizeof err))
		snprintf(res, sizeof res, "error: %s", err);
	else
		snprintf(res, sizeof res, "%.*s", (int)out.len, out.p);
	wf_buf_free(&out);
	return res;
}

static void instance_args(void)
{
	struct wf_troy_bindings params = tt_bind("delay", LIT("0"), "file", KEY("in.json"), "x", NULL, NULL);
	struct wf_troy_bindings with = tt_bind("x", PATH("args", KEY("v")), "delay", LIT("5.0"), NULL);
	struct wf_troy_bindings bad = tt_bind("y", LIT("1"), NULL);
	struct wf_troy_bindings none = tt_bind(NULL);
	const char *got;

	got = args_of(&params, &with, "{\"v\":[1]}");
	CHECK_MEM(got, strlen(got), "{\"delay\":5.0,\"file\":\"in.json\",\"x\":[1]}");
	got = args_of(&params, &none, NULL);
	CHECK_MEM(got, strlen(got), "error: t.troy:2:3: arg `x` has no value");
	got = args_of(&params, &bad, NULL);
	CHECK_MEM(got, strlen(got), "error: t.troy:2:1: unknown arg `y`");
	got = args_of(&none, &none, NULL);
	CHECK_MEM(got, strlen(got), "{}");
}

static const char *script(const struct wf_troy_script_def *s, const char *in, unsigned *flags)
{
	static char res[2048];
	char err[512];
	struct wf_buf prog, out;
	unsigned uses;
	jq_state *jq;
	jv v;

	wf_buf_init(&prog, (size_t)-1);
	wf_buf_init(&out, (size_t)-1);
	if (wf_troy_jq_script(&prog, s, NULL, flags, &uses, err, sizeof err) || wf_buf_addc(&prog, 0)) {
		snprintf(res, sizeof res, "compile: %s", err);
		goto out;
	}
	jq = wf_troy_jq_compile(prog.p, err, sizeof err);
	if (!jq) {
		snprintf(res, sizeof res, "jq: %s", err);
		goto out;
	}
	if (wf_troy_jq_run(jq, jv_parse(in), &v, err, sizeof err)) {
		snprintf(res, sizeof res, "error: %s", err);
	} else {
		wf_troy_jv_dump(&out, v);
		jv_free(v);
		snprintf(res, sizeof res, "%.*s", (int)out.len, out.p);
	}
	jq_teardown(&jq);
out:
	wf_buf_free(&prog);
	wf_buf_free(&out);
	return res;
}

#define SCRIPT(s, want, want_flags) do { \
	unsigned f_ = 0; const char *got_ = script((s), INPUT, &f_); \
	CHECK_MEM(got_, strlen(got_), want); CHECK(f_ == (want_flags)); \
} while (0)

static void scripts(void)
{
	const char *meta = "{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}";

	(void)meta;
	/* let $a = e; event: the event passes unchanged, $ changes */
	SCRIPT(tt_script("s", 2, PATH("$", KEY("a")), LIT("1"), NULL, ROOT("event")),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}},\"a\":1}]", WF_SCRIPT_PASS | WF_SCRIPT_META);
	/* nested meta, from the event */
	SCRIPT(tt_script("s", 2, PATH("$", KEY("x"), KEY("y")), PATH("event", KEY("s")), NULL, ROOT("event")),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}},\"x\":{\"y\":\"hi\"}}]",
	       WF_SCRIPT_PASS | WF_SCRIPT_META);
	/* let event.a = e; event: the event changes */
	SCRIPT(tt_script("s", 2, PATH("event", KEY("a")), LIT("2"), NULL, ROOT("event")),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}},"
	       "{\"a\":2,\"s\":\"hi\",\"f\":1.5,\"l\":[10,20,30],\"r\":{\"x\":{\"y\":true}},\"n\":null}]", 0);
	/* a local, then a result that is not the event */
	SCRIPT(tt_script("s", 2, ROOT("y"), BIN("+", PATH("event", KEY("a")), LIT("1")), NULL,
			 REC(KEY("y"), ROOT("y"))),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}},{\"y\":2}]", 0);
	/* a let last: its value is the result, as in Tremor */
	SCRIPT(tt_script("s", 1, PATH("$", KEY("a")), LIT("3")),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}},\"a\":3},3]", WF_SCRIPT_META);
	/* a key from an expression */
	SCRIPT(tt_script("s", 2, PATH("event", PATH("args", KEY("name"))), LIT("true"), NULL,
			 PATH("event", KEY("w"))),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}},true]", 0);
	/* runtime errors */
	SCRIPT(tt_script("s", 2, AT(PATH("event", KEY("a"), KEY("b")), 9), LIT("1"), NULL, ROOT("event")),
	       "error: t.troy:1:9: cannot assign to \"b\" in integer (not a record)", 0);
	/* missing records on the way are made */
	SCRIPT(tt_script("s", 1, PATH("$", KEY("p"), KEY("q"), PATH("event", KEY("s"))), LIT("[]")),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}},\"p\":{\"q\":{\"hi\":[]}}},[]]",
	       WF_SCRIPT_META);
	/* a local assigned into */
	SCRIPT(tt_script("s", 3, ROOT("y"), REC0(), PATH("y", KEY("k")), LIT("1"), NULL, ROOT("y")),
	       "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}},{\"k\":1}]", 0);
	/* a whole $ */
	SCRIPT(tt_script("s", 2, ROOT("$"), REC(KEY("only"), LIT("1")), NULL, ROOT("event")),
	       "[{\"only\":1}]", WF_SCRIPT_PASS | WF_SCRIPT_META);
	SCRIPT(tt_script("s", 1, NULL, AT(PATH("event", KEY("zz")), 9)), "error: t.troy:1:9: no key \"zz\" in the record", 0);
	/* compile errors: an unbound local, a local used before its let,
	 * assigning to args or to an array element */
	SCRIPT(tt_script("s", 1, NULL, AT(ROOT("y"), 9)), "compile: t.troy:1:9: unknown name `y`", 0);
	SCRIPT(tt_script("s", 1, ROOT("y"), AT(ROOT("y"), 9)), "compile: t.troy:1:9: unknown name `y`", 0);
	SCRIPT(tt_script("s", 1, AT(PATH("args", KEY("a")), 9), LIT("1")), "compile: t.troy:1:9: `args` cannot be assigned", 0);
	SCRIPT(tt_script("s", 1, PATH("event", AT(LIT("0"), 9)), LIT("1")),
	       "compile: t.troy:1:9: only record keys can be assigned, not array elements", 0);
	/* no statements: the event passes */
	SCRIPT(tt_script("s", 0), "[{\"m\":\"v\",\"ws_server\":{\"peer\":{\"port\":51234}}}]", WF_SCRIPT_PASS);
}

static void dump(void)
{
	struct wf_buf b;
	jv v = jv_parse("{\"b\":[1,2.5,-0.125,1e300,true,null,\"\\u00e9\\n\"],\"a\":{}}");

	wf_buf_init(&b, (size_t)-1);
	CHECK(wf_troy_jv_dump(&b, v) == 0);
	CHECK_MEM(b.p, b.len, "{\"b\":[1,2.5,-0.125,1e+300,true,null,\"é\\n\"],\"a\":{}}");
	jv_free(v);
	wf_buf_free(&b);
}

int main(void)
{
	literals();
	interpolation();
	paths();
	comparisons();
	booleans();
	arithmetic();
	functions();
	names();
	constants();
	instance_args();
	scripts();
	dump();
	tt_free_all();
	return unit_done();
}
