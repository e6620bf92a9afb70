#include "troy_jq.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The helpers every program starts with. `$at` is the `file:line:col` of the
 * expression a runtime error is reported at; type names are Tremor's. */
static const char prelude[] =
	"def _ty: if type == \"object\" then \"record\" elif type == \"boolean\" then \"bool\""
	" elif type == \"number\" then (if . == floor then \"integer\" else \"float\" end)"
	" else type end;\n"
	"def _get($k; $at): if type == \"object\" then"
	" (if ($k|type) != \"string\" then error($at + \": a record is indexed by a string, not by \" + ($k|_ty))"
	" elif has($k) then .[$k]"
	" else error($at + \": no key \" + ($k|tojson) + \" in the record\") end)"
	" elif type == \"array\" then"
	" (if ($k|type) != \"number\" or ($k|floor) != $k then"
	" error($at + \": an array is indexed by an integer, not by \" + ($k|_ty))"
	" elif $k >= 0 and $k < length then .[$k]"
	" else error($at + \": index \" + ($k|tojson) + \" out of bounds (length \" + (length|tostring) + \")\") end)"
	" else error($at + \": cannot index \" + _ty + \" with \" + ($k|tojson)) end;\n"
	"def _want($t; $name; $at): if type == $t then . else error($at + \": expected \" + $name + \", got \" + _ty) end;\n"
	"def _b($at): _want(\"boolean\"; \"a bool\"; $at);\n"
	"def _n($at): _want(\"number\"; \"a number\"; $at);\n"
	"def _s($at): _want(\"string\"; \"a string\"; $at);\n"
	"def _r($at): _want(\"object\"; \"a record\"; $at);\n"
	"def _a($at): _want(\"array\"; \"an array\"; $at);\n"
	"def _str: if type == \"string\" then . else tojson end;\n"
	"def _bad($op; $a; $b; $at): error($at + \": invalid binary operation \" + $op + \" between \""
	" + ($a|_ty) + \" and \" + ($b|_ty));\n"
	"def _nn($a; $b): ($a|type) == \"number\" and ($b|type) == \"number\";\n"
	"def _ord($a; $b): ($a|type) as $t | $t == ($b|type) and ($t == \"number\" or $t == \"string\");\n"
	"def _add($a; $b; $at): ($a|type) as $t | if $t == ($b|type) and"
	" ($t == \"number\" or $t == \"string\" or $t == \"array\" or $t == \"object\")"
	" then $a + $b else _bad(\"+\"; $a; $b; $at) end;\n"
	"def _sub($a; $b; $at): if _nn($a; $b) then $a - $b else _bad(\"-\"; $a; $b; $at) end;\n"
	"def _mul($a; $b; $at): if _nn($a; $b) then $a * $b else _bad(\"*\"; $a; $b; $at) end;\n"
	"def _div($a; $b; $at): if _nn($a; $b) | not then _bad(\"/\"; $a; $b; $at)"
	" elif $b == 0 then error($at + \": division by zero\") else $a / $b end;\n"
	"def _mod($a; $b; $at): if (_nn($a; $b) and ($a|floor) == $a and ($b|floor) == $b) | not"
	" then _bad(\"%\"; $a; $b; $at)"
	" elif $b == 0 then error($at + \": division by zero\") else $a % $b end;\n"
	"def _lt($a; $b; $at): if _ord($a; $b) then $a < $b else _bad(\"<\"; $a; $b; $at) end;\n"
	"def _le($a; $b; $at): if _ord($a; $b) then $a <= $b else _bad(\"<=\"; $a; $b; $at) end;\n"
	"def _gt($a; $b; $at): if _ord($a; $b) then $a > $b else _bad(\">\"; $a; $b; $at) end;\n"
	"def _ge($a; $b; $at): if _ord($a; $b) then $a >= $b else _bad(\">=\"; $a; $b; $at) end;\n"
	"def _neg($at): _n($at) | -(.);\n"
	"def _setin($p; $v; $at): if ($p|length) == 0 then $v"
	" elif type == \"object\" then .[$p[0]] = ((if has($p[0]) then .[$p[0]] else {} end) | _setin($p[1:]; $v; $at))"
	" else error($at + \": cannot assign to \" + ($p[0]|tojson) + \" in \" + _ty + \" (not a record)\") end;\n";

struct cx {
	struct wf_buf *o;
	char *err;
	size_t n;
	const char *const *locals;	/* names bound so far (scripts) */
	size_t nlocals;
	int any_local;
	int consts;			/* only literals, args and functions */
	const struct wf_troy_jq_env *env;
	const struct wf_troy_use *own;	/* a script's own uses */
	size_t nown;
	int nomem;
};

/* Errors in the file read as the parser's: `file:line:col: message`, then
 * the line and a caret when the text is at hand (wf_troy_error). */
static void vposerr(char *err, size_t n, const struct wf_troy_pos *pos, const char *fmt, va_list ap)
{
	int k;

	if (!n)
		return;
	if (pos->file) {
		char msg[1024];
		vsnprintf(msg, sizeof msg, fmt, ap);
		wf_troy_error(err, n, pos, "%s", msg);
		return;
	}
	k = snprintf(err, n, "%d:%d: ", pos->line, pos->col);
	if (k < 0)
		k = 0;
	if ((size_t)k < n)
		vsnprintf(err + k, n - (size_t)k, fmt, ap);
}

static void poserr(char *err, size_t n, const struct wf_troy_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void poserr(char *err, size_t n, const struct wf_troy_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vposerr(err, n, pos, fmt, ap);
	va_end(ap);
}

static int fail(struct cx *c, const struct wf_texpr *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct cx *c, const struct wf_texpr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vposerr(c->err, c->n, &e->pos, fmt, ap);
	va_end(ap);
	return -1;
}

static void put(struct cx *c, const char *s)
{
	if (wf_buf_adds(c->o, s))
		c->nomem = 1;
}

static void putn(struct cx *c, const char *s, size_t k)
{
	if (wf_buf_add(c->o, s, k))
		c->nomem = 1;
}

/* The position as a jq string: the `$at` of the helpers. */
static void at(struct cx *c, const struct wf_texpr *e)
{
	char b[64];
	int k;

	if (e->pos.file) {
		size_t fl = strlen(e->pos.file);
		struct wf_buf t;
		wf_buf_init(&t, (size_t)-1);
		if (wf_buf_add(&t, e->pos.file, fl) ||
		    wf_buf_addf(&t, ":%d:%d", e->pos.line, e->pos.col) ||
		    wf_json_escape(c->o, t.p, t.len))
			c->nomem = 1;
		wf_buf_free(&t);
		return;
	}
	k = snprintf(b, sizeof b, "\"%d:%d\"", e->pos.line, e->pos.col);
	putn(c, b, (size_t)k);
}

static int is_json_string_lit(const struct wf_texpr *e)
{
	return e->kind == WF_TE_LIT && e->lit && e->lit[0] == '"';
}

/* A literal must be one JSON value: it is written into the program as is
 * (JSON's escapes are jq's). */
static int lit_ok(const char *s)
{
	struct wf_json_err jerr;
	const char *e = s + strlen(s), *p = wf_json_ws(s, e), *q;

	if (p >= e)
		return 0;
	q = wf_json_skip(p, e, &jerr);
	return q && wf_json_ws(q, e) == e;
}

static int compile(struct cx *c, const struct wf_texpr *e);

/* `(E)` */
static int sub(struct cx *c, const struct wf_texpr *e)
{
	int rc;

	put(c, "(");
	rc = compile(c, e);
	put(c, ")");
	return rc;
}

static int local_known(const struct cx *c, const char *name)
{
	size_t i;

	if (c->any_local)
		return 1;
	for (i = 0; i < c->nlocals; i++)
		if (!strcmp(c->locals[i], name))
			return 1;
	return 0;
}

static int path_root(struct cx *c, const struct wf_texpr *e)
{
	const char *r = e->lit ? e->lit : "";

	if (!strcmp(r, "args")) {
		put(c, ".args");
		return 0;
	}
	if (c->consts)
		return fail(c, e, "`%s` cannot be used here: only literals, args and functions", r);
	if (!strcmp(r, "event"))
		put(c, ".event");
	else if (!strcmp(r, "$"))
		put(c, ".meta");
	else if (!strcmp(r, "state"))
		put(c, ".state");
	else if (!strcmp(r, "window") || !strcmp(r, "group"))
		return fail(c, e, "`%s` is not supported", r);
	else if (!*r || !local_known(c, r))
		return fail(c, e, "unknown name `%s`", r);
	else {
		put(c, ".locals | _get(");
		if (wf_json_escape(c->o, r, strlen(r)))
			c->nomem = 1;
		put(c, "; ");
		at(c, e);
		put(c, ")");
	}
	return 0;
}

static int path(struct cx *c, const struct wf_texpr *e)
{
	size_t i;

	put(c, "(");
	if (path_root(c, e))
		return -1;
	for (i = 0; i < e->nkids; i++) {
		const struct wf_texpr *k = e->kids[i];
		put(c, " | _get(");
		if (k->kind == WF_TE_LIT) {
			if (sub(c, k))
				return -1;
		} else {
			put(c, "($_r | ");
			if (compile(c, k))
				return -1;
			put(c, ")");
		}
		put(c, "; ");
		at(c, e);
		put(c, ")");
	}
	put(c, ")");
	return 0;
}

/* Functions: the name's last two segments, the arity, and the jq text with
 * %1..%3 for the arguments (each `(E)`) and %@ for the position. */
struct fn {
	const char *name;
	int arity;
	const char *jq;
};

#define NS_FROM(unit, k) { "nanos::from_" unit, 1, "((%1|_n(%@)) * " k ")" }
#define NS_TO(unit, k) { "nanos::to_" unit, 1, "((%1|_n(%@)) / " k ")" }
#define TWO(a, b) "((%1|" a "(%@)) as $_a | (%2|" b "(%@)) as $_b | $_a | "
#define THREE "((%1|_s(%@)) as $_a | (%2|_s(%@)) as $_b | (%3|_s(%@)) as $_c | $_a | "

static const struct fn fns[] = {
	{ "nanos::from_nanos", 1, "(%1|_n(%@))" },
	NS_FROM("micros", "1000"),
	NS_FROM("millis", "1000000"),
	NS_FROM("seconds", "1000000000"),
	NS_FROM("minutes", "60000000000"),
	NS_FROM("hours", "3600000000000"),
	NS_FROM("days", "86400000000000"),
	NS_FROM("weeks", "604800000000000"),
	NS_TO("micros", "1000"),
	NS_TO("millis", "1000000"),
	NS_TO("seconds", "1000000000"),
	NS_TO("minutes", "60000000000"),
	NS_TO("hours", "3600000000000"),
	NS_TO("days", "86400000000000"),
	NS_TO("weeks", "604800000000000"),
	{ "string::len", 1, "(%1|_s(%@)|length)" },
	{ "string::bytes", 1, "(%1|_s(%@)|utf8bytelength)" },
	{ "string::is_empty", 1, "(%1|_s(%@)|length == 0)" },
	{ "string::lowercase", 1, "(%1|_s(%@)|ascii_downcase)" },
	{ "string::uppercase", 1, "(%1|_s(%@)|ascii_upcase)" },
	{ "string::trim", 1, "(%1|_s(%@)|sub(\"^[[:space:]]+\"; \"\")|sub(\"[[:space:]]+$\"; \"\"))" },
	{ "string::trim_start", 1, "(%1|_s(%@)|sub(\"^[[:space:]]+\"; \"\"))" },
	{ "string::trim_end", 1, "(%1|_s(%@)|sub(\"[[:space:]]+$\"; \"\"))" },
	{ "string::contains", 2, TWO("_s", "_s") "contains($_b))" },
	{ "string::starts_with", 2, TWO("_s", "_s") "startswith($_b))" },
	{ "string::ends_with", 2, TWO("_s", "_s") "endswith($_b))" },
	{ "string::split", 2, TWO("_s", "_s") "split($_b))" },
	{ "string::replace", 3, THREE "split($_b) | join($_c))" },
	{ "string::format", -1, NULL },	/* compiled from its literal format */
	{ "type::is_null", 1, "(%1 == null)" },
	{ "type::is_bool", 1, "(%1|type == \"boolean\")" },
	{ "type::is_number", 1, "(%1|type == \"number\")" },
	{ "type::is_integer", 1, "(%1|type == \"number\" and . == floor)" },
	{ "type::is_float", 1, "(%1|type == \"number\" and . != floor)" },
	{ "type::is_string", 1, "(%1|type == \"string\")" },
	{ "type::is_array", 1, "(%1|type == \"array\")" },
	{ "type::is_record", 1, "(%1|type == \"object\")" },
	{ "type::is_binary", 1, "(%1|false)" },
	{ "type::as_string", 1, "(%1|_ty)" },
	{ "json::encode", 1, "(%1|tojson)" },
	{ "json::decode", 1, "(%1|_s(%@)|fromjson)" },
	{ "record::len", 1, "(%1|_r(%@)|length)" },
	{ "record::is_empty", 1, "(%1|_r(%@)|length == 0)" },
	{ "record::keys", 1, "(%1|_r(%@)|keys_unsorted)" },
	{ "record::values", 1, "(%1|_r(%@)|[.[]])" },
	{ "record::contains", 2, TWO("_r", "_s") "has($_b))" },
	{ "array::len", 1, "(%1|_a(%@)|length)" },
	{ "array::is_empty", 1, "(%1|_a(%@)|length == 0)" },
	{ "array::contains", 2, "((%2) as $_b | %1|_a(%@)|any(.[]; . == $_b))" },
	{ "array::push", 2, "((%2) as $_b | %1|_a(%@)|. + [$_b])" },
	{ "math::floor", 1, "(%1|_n(%@)|floor)" },
	{ "math::ceil", 1, "(%1|_n(%@)|ceil)" },
	{ "math::round", 1, "(%1|_n(%@)|round)" },
	{ "math::trunc", 1, "(%1|_n(%@)|trunc)" },
	{ "math::max", 2, TWO("_n", "_n") "if $_a > $_b then $_a else $_b end)" },
	{ "math::min", 2, TWO("_n", "_n") "if $_a < $_b then $_a else $_b end)" },
};

/* "std::time::nanos::from_seconds" is "nanos::from_seconds". */
static const char *fn_key(const char *name)
{
	const char *p = name + strlen(name), *cut = NULL;
	int seps = 0;

	while (p > name) {
		p--;
		if (*p == ':' && p > name && p[-1] == ':') {
			if (++seps == 2) {
				cut = p + 1;
				break;
			}
			p--;
		}
	}
	return cut ? cut : name;
}

/* string::format("{} and {}", a, b): the literal format becomes an
 * interpolation ({{ and }} stand for braces; values that are not strings
 * are formatted as JSON, as Tremor does). */
static int format_call(struct cx *c, const struct wf_texpr *e)
{
	const struct wf_texpr *f = e->nkids ? e->kids[0] : NULL;
	struct wf_buf s, seg;
	size_t i, next = 1;
	int rc = 0;

	if (!f || !is_json_string_lit(f) || !lit_ok(f->lit))
		return fail(c, e, "string::format needs a literal format string");
	wf_buf_init(&s, (size_t)-1);
	wf_buf_init(&seg, (size_t)-1);
	if (wf_json_unescape(&s, f->lit + 1, f->lit + strlen(f->lit) - 1)) {
		c->nomem = 1;
		goto out;
	}
	put(c, "(\"\"");
	for (i = 0; i <= s.len; i++) {
		char ch = i < s.len ? s.p[i] : 0;
		int hole = 0;

		if (i < s.len && (ch == '{' || ch == '}')) {
			if (i + 1 < s.len && s.p[i + 1] == ch) {
				if (wf_buf_addc(&seg, ch))
					c->nomem = 1;
				i++;
				continue;
			}
			if (ch == '}' || i + 1 >= s.len || s.p[i + 1] != '}') {
				rc = fail(c, f, "string::format: a lone `%c` in the format", ch);
				goto out;
			}
			hole = 1;
			i++;
		} else if (i < s.len) {
			if (wf_buf_addc(&seg, ch))
				c->nomem = 1;
			continue;
		}
		if (seg.len) {
			put(c, " + ");
			if (wf_json_escape(c->o, seg.p, seg.len))
				c->nomem = 1;
			seg.len = 0;
		}
		if (hole) {
			if (next >= e->nkids) {
				rc = fail(c, e, "string::format: more {} than arguments");
				goto out;
			}
			put(c, " + (");
			if ((rc = sub(c, e->kids[next++])))
				goto out;
			put(c, "|_str)");
		}
	}
	put(c, ")");
	if (next != e->nkids)
		rc = fail(c, e, "string::format: more arguments than {}");
out:
	wf_buf_free(&s);
	wf_buf_free(&seg);
	return rc;
}

static const struct wf_troy_use *find_use(const struct wf_troy_use *u, size_t n, const char *a, size_t al)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (u[i].alias && strlen(u[i].alias) == al && !memcmp(u[i].alias, a, al) && u[i].path)
			return &u[i];
	return NULL;
}

/* "a::f" with `use x::y as a` in sight is "x::y::f" (into buf). */
static const char *resolve(const struct cx *c, const char *name, char *buf, size_t n)
{
	const char *sep = strstr(name, "::");
	const struct wf_troy_use *u = NULL;
	const struct wf_troy_scope *s;
	size_t al, i;

	if (!sep)
		return name;
	al = (size_t)(sep - name);
	u = find_use(c->own, c->nown, name, al);
	for (i = 0; !u && c->env && i < 2; i++)
		u = find_use(c->env->uses[i], c->env->nuses[i], name, al);
	for (s = c->env ? c->env->scope : NULL; !u && s; s = s->parent)
		u = find_use(s->uses, s->nuses, name, al);
	if (!u || (size_t)snprintf(buf, n, "%s%s", u->path, sep) >= n)
		return name;
	return buf;
}

static int call(struct cx *c, const struct wf_texpr *e)
{
	const char *name = e->lit ? e->lit : "";
	char full[512];
	const char *key = fn_key(resolve(c, name, full, sizeof full));
	const struct fn *f = NULL;
	const char *t;
	size_t i;

	for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (!strcmp(fns[i].name, key)) {
			f = &fns[i];
			break;
		}
	if (!f)
		return fail(c, e, "unknown function %s", name);
	if (!f->jq)
		return format_call(c, e);
	if ((size_t)f->arity != e->nkids)
		return fail(c, e, "%s takes %d argument%s, not %zu", name, f->arity,
			    f->arity == 1 ? "" : "s", e->nkids);
	for (t = f->jq; *t; t++) {
		const char *pct = strchr(t, '%');
		if (!pct) {
			put(c, t);
			break;
		}
		putn(c, t, (size_t)(pct - t));
		t = pct + 1;
		if (*t == '@')
			at(c, e);
		else if (*t >= '1' && *t <= '3') {
			if (sub(c, e->kids[*t - '1']))
				return -1;
		} else
			putn(c, t, 1);
	}
	return 0;
}

static int binop(struct cx *c, const struct wf_texpr *e)
{
	static const struct {
		const char *op, *fn;
	} helpers[] = {
		{ "+", "_add" }, { "-", "_sub" }, { "*", "_mul" }, { "/", "_div" }, { "%", "_mod" },
		{ "<", "_lt" }, { "<=", "_le" }, { ">", "_gt" }, { ">=", "_ge" },
	};
	const char *op = e->lit ? e->lit : "";
	const struct wf_texpr *l, *r;
	size_t i;

	if (e->nkids != 2)
		return fail(c, e, "operator %s needs two operands", op);
	l = e->kids[0];
	r = e->kids[1];
	if (!strcmp(op, "==") || !strcmp(op, "!=")) {
		put(c, "(");
		if (sub(c, l))
			return -1;
		put(c, !strcmp(op, "==") ? " == " : " != ");
		if (sub(c, r))
			return -1;
		put(c, ")");
		return 0;
	}
	if (!strcmp(op, "and") || !strcmp(op, "or") || !strcmp(op, "xor")) {
		int x = op[0] == 'x';
		put(c, x ? "((" : "(if (");
		if (sub(c, l))
			return -1;
		put(c, "|_b(");
		at(c, e);
		put(c, !strcmp(op, "and") ? ")) then (" : !strcmp(op, "or") ? ")) then true else (" : ")) != (");
		if (sub(c, r))
			return -1;
		put(c, "|_b(");
		at(c, e);
		put(c, !strcmp(op, "and") ? ")) else false end)" : !strcmp(op, "or") ? ")) end)" : ")))");
		return 0;
	}
	for (i = 0; i < sizeof helpers / sizeof helpers[0]; i++)
		if (!strcmp(op, helpers[i].op)) {
			put(c, helpers[i].fn);
			put(c, "(");
			if (sub(c, l))
				return -1;
			put(c, "; ");
			if (sub(c, r))
				return -1;
			put(c, "; ");
			at(c, e);
			put(c, ")");
			return 0;
		}
	return fail(c, e, "operator %s is not supported", op);
}

static int compile(struct cx *c, const struct wf_texpr *e)
{
	size_t i;

	switch (e->kind) {
	case WF_TE_LIT:
		if (!e->lit || !lit_ok(e->lit))
			return fail(c, e, "bad literal");
		put(c, e->lit);
		return 0;
	case WF_TE_STR:
		if (!e->nkids) {
			put(c, "\"\"");
			return 0;
		}
		put(c, "(");
		for (i = 0; i < e->nkids; i++) {
			const struct wf_texpr *k = e->kids[i];
			if (i)
				put(c, " + ");
			if (is_json_string_lit(k)) {
				if (compile(c, k))
					return -1;
			} else {
				put(c, "(");
				if (sub(c, k))
					return -1;
				put(c, "|_str)");
			}
		}
		put(c, ")");
		return 0;
	case WF_TE_RECORD:
		if (e->nkids % 2)
			return fail(c, e, "a record needs a value for every key");
		put(c, "{");
		for (i = 0; i < e->nkids; i += 2) {
			const struct wf_texpr *k = e->kids[i];
			if (i)
				put(c, ", ");
			if (is_json_string_lit(k)) {
				if (sub(c, k))
					return -1;
			} else if (k->kind == WF_TE_STR) {
				put(c, "(");
				if (sub(c, k))
					return -1;
				put(c, "|_s(");
				at(c, k);
				put(c, "))");
			} else {
				return fail(c, k, "a record key must be a string");
			}
			put(c, ": ");
			if (sub(c, e->kids[i + 1]))
				return -1;
		}
		put(c, "}");
		return 0;
	case WF_TE_ARRAY:
		put(c, "[");
		for (i = 0; i < e->nkids; i++) {
			if (i)
				put(c, ", ");
			if (sub(c, e->kids[i]))
				return -1;
		}
		put(c, "]");
		return 0;
	case WF_TE_PATH:
		return path(c, e);
	case WF_TE_CALL:
		return call(c, e);
	case WF_TE_BIN:
		return binop(c, e);
	case WF_TE_UN:
		if (e->nkids != 1)
			return fail(c, e, "operator %s needs one operand", e->lit ? e->lit : "");
		if (e->lit && (!strcmp(e->lit, "not") || !strcmp(e->lit, "!"))) {
			put(c, "(");
			if (sub(c, e->kids[0]))
				return -1;
			put(c, "|_b(");
			at(c, e);
			put(c, ")|not)");
			return 0;
		}
		if (e->lit && (!strcmp(e->lit, "-") || !strcmp(e->lit, "+"))) {
			put(c, "(");
			if (sub(c, e->kids[0]))
				return -1;
			put(c, e->lit[0] == '-' ? "|_neg(" : "|_n(");
			at(c, e);
			put(c, "))");
			return 0;
		}
		return fail(c, e, "operator %s is not supported", e->lit ? e->lit : "");
	case WF_TE_PRESENT:
		if (e->nkids != 1 || e->kids[0]->kind != WF_TE_PATH)
			return fail(c, e, "present and absent need a path");
		put(c, "(try (");
		if (sub(c, e->kids[0]))
			return -1;
		put(c, e->lit && !strcmp(e->lit, "absent") ? "|false) catch true)" : "|true) catch false)");
		return 0;
	}
	return fail(c, e, "unknown expression");
}

static int finish(struct cx *c, int rc)
{
	if (!rc && c->nomem) {
		snprintf(c->err, c->n, "out of memory");
		return -1;
	}
	return rc;
}

static int program(struct wf_buf *out, const struct wf_texpr *e, const struct wf_troy_jq_env *env,
		   int consts, char *err, size_t n)
{
	struct cx c = { .o = out, .err = err, .n = n, .any_local = !(env && env->no_locals), .consts = consts,
			.env = env };
	size_t mark = out->len;
	int rc;

	put(&c, prelude);
	put(&c, ". as $_r | ");
	rc = finish(&c, compile(&c, e));
	if (rc)
		out->len = mark;
	return rc;
}

int wf_troy_jq(struct wf_buf *out, const struct wf_texpr *e, char *err, size_t n)
{
	return program(out, e, NULL, 0, err, n);
}

int wf_troy_jq_env(struct wf_buf *out, const struct wf_texpr *e, const struct wf_troy_jq_env *env,
		   char *err, size_t n)
{
	return program(out, e, env, 0, err, n);
}

unsigned wf_troy_uses(const struct wf_texpr *e)
{
	unsigned u = 0;
	size_t i;

	if (!e)
		return 0;
	if (e->kind == WF_TE_PATH) {
		const char *r = e->lit ? e->lit : "";
		u |= !strcmp(r, "event") ? WF_USES_EVENT : !strcmp(r, "$") ? WF_USES_META
		     : !strcmp(r, "args") ? WF_USES_ARGS : !strcmp(r, "state") ? WF_USES_STATE
		     : WF_USES_LOCALS;
	}
	for (i = 0; i < e->nkids; i++)
		u |= wf_troy_uses(e->kids[i]);
	return u;
}

int wf_troy_is_event(const struct wf_texpr *e)
{
	return e && e->kind == WF_TE_PATH && !e->nkids && e->lit && !strcmp(e->lit, "event");
}

/* Scripts. */

/* `let PATH = $_v` as Tremor assigns: keys that are missing are created as
 * records on the way; a value on the way that is not a record is an error. */
static int let_path(struct cx *c, const struct wf_texpr *t)
{
	const char *r = t->lit ? t->lit : "";
	size_t i;

	if (t->kind != WF_TE_PATH)
		return fail(c, t, "only a path can be assigned");
	put(c, "[");
	if (!strcmp(r, "event"))
		put(c, "\"event\"");
	else if (!strcmp(r, "$"))
		put(c, "\"meta\"");
	else if (!strcmp(r, "args") || !strcmp(r, "state") || !strcmp(r, "window") || !strcmp(r, "group"))
		return fail(c, t, "`%s` cannot be assigned", r);
	else if (!*r)
		return fail(c, t, "only a path can be assigned");
	else {
		put(c, "\"locals\", ");
		if (wf_json_escape(c->o, r, strlen(r)))
			c->nomem = 1;
	}
	put(c, "] as $_p | setpath($_p; getpath($_p) | _setin([");
	for (i = 0; i < t->nkids; i++) {
		const struct wf_texpr *k = t->kids[i];
		if (i)
			put(c, ", ");
		if (k->kind == WF_TE_LIT) {
			if (!is_json_string_lit(k))
				return fail(c, k, "only record keys can be assigned, not array elements");
			if (compile(c, k))
				return -1;
		} else {
			put(c, "($_r | ");
			if (sub(c, k))
				return -1;
			put(c, "|_s(");
			at(c, k);
			put(c, "))");
		}
	}
	put(c, "]; $_v; ");
	at(c, t);
	put(c, "))");
	return 0;
}

int wf_troy_jq_script(struct wf_buf *out, const struct wf_troy_script_def *s,
		      const struct wf_troy_jq_env *env, unsigned *flags, unsigned *uses, char *err, size_t n)
{
	struct cx c = { .o = out, .err = err, .n = n, .env = env, .own = s->uses, .nown = s->nuses };
	const char **names = NULL;
	size_t mark = out->len, i;
	int rc = 0, event_set = 0;

	*flags = 0;
	*uses = 0;
	for (i = 0; i < s->nstmts; i++) {
		const struct wf_texpr *t = s->stmts[i].target;
		if (t && t->lit && !strcmp(t->lit, "event"))
			event_set = 1;
		if (t && t->lit && !strcmp(t->lit, "$"))
			*flags |= WF_SCRIPT_META;
	}
	names = calloc(s->nstmts + 1, sizeof *names);
	if (!names) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	c.locals = names;
	put(&c, prelude);
	put(&c, ".");
	for (i = 0; i < s->nstmts && !rc; i++) {
		const struct wf_troy_let *st = &s->stmts[i];
		int last = i + 1 == s->nstmts;

		put(&c, " | . as $_r | ");
		if (!st->target) {
			if (last && !event_set && wf_troy_is_event(st->value)) {
				*flags |= WF_SCRIPT_PASS;
				put(&c, "[.meta]");
				break;
			}
			*uses |= wf_troy_uses(st->value);
			if ((rc = sub(&c, st->value)))
				break;
			put(&c, last ? " as $_v | [.meta, $_v]" : " as $_v | .");
			continue;
		}
		*uses |= wf_troy_uses(st->value) | wf_troy_uses(st->target);
		if ((rc = sub(&c, st->value)))
			break;
		put(&c, " as $_v | ");
		if ((rc = let_path(&c, st->target)))
			break;
		if (last)
			put(&c, " | [.meta, $_v]");
		if (st->target->lit && strcmp(st->target->lit, "event") && strcmp(st->target->lit, "$") &&
		    !local_known(&c, st->target->lit))
			names[c.nlocals++] = st->target->lit;
	}
	if (!rc && !s->nstmts) {
		*flags |= WF_SCRIPT_PASS;
		put(&c, " | [.meta]");
	}
	if (*flags & WF_SCRIPT_META)
		*uses |= WF_USES_META;
	free(names);
	rc = finish(&c, rc);
	if (rc)
		out->len = mark;
	return rc;
}

/* libjq */

struct jqmsg {
	char *err;
	size_t n;
	int set;
};

static void msg_text(char *err, size_t n, jv msg)
{
	if (jv_get_kind(msg) == JV_KIND_STRING) {
		snprintf(err, n, "%s", jv_string_value(msg));
		jv_free(msg);
	} else {
		jv s = jv_dump_string(msg, 0);
		snprintf(err, n, "%s", jv_string_value(s));
		jv_free(s);
	}
}

static void on_jq_msg(void *ud, jv msg)
{
	struct jqmsg *m = ud;

	if (m && !m->set) {
		m->set = 1;
		msg_text(m->err, m->n, msg);
		return;
	}
	jv_free(msg);
}

jq_state *wf_troy_jq_compile(const char *program_text, char *err, size_t n)
{
	struct jqmsg m = { .err = err, .n = n };
	jq_state *jq = jq_init();

	if (!jq) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	jq_set_error_cb(jq, on_jq_msg, &m);
	if (!jq_compile(jq, program_text)) {
		if (!m.set)
			snprintf(err, n, "jq: the program does not compile");
		jq_teardown(&jq);
		return NULL;
	}
	/* m dies here: later messages are dropped */
	jq_set_error_cb(jq, on_jq_msg, NULL);
	return jq;
}

int wf_troy_jq_run(jq_state *jq, jv input, jv *out, char *err, size_t n)
{
	jv r;

	jq_start(jq, input, 0);
	r = jq_next(jq);
	if (jv_is_valid(r)) {
		*out = r;
		return 0;
	}
	if (jv_invalid_has_msg(jv_copy(r)))
		msg_text(err, n, jv_invalid_get_msg(r));
	else {
		jv_free(r);
		snprintf(err, n, "the expression yields no value");
	}
	return -1;
}

int wf_troy_jv_dump(struct wf_buf *out, jv v)
{
	int rc = 0;

	switch (jv_get_kind(v)) {
	case JV_KIND_INVALID:
	case JV_KIND_NULL:
		return wf_buf_add(out, "null", 4);
	case JV_KIND_TRUE:
		return wf_buf_add(out, "true", 4);
	case JV_KIND_FALSE:
		return wf_buf_add(out, "false", 5);
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (isfinite(d) && d == floor(d) && fabs(d) < 9223372036854775808.0)
			return wf_buf_addf(out, "%lld", (long long)d);
		jv s = jv_dump_string(jv_copy(v), 0);
		rc = wf_buf_adds(out, jv_string_value(s));
		jv_free(s);
		return rc;
	}
	case JV_KIND_STRING:
		return wf_json_escape(out, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
	case JV_KIND_ARRAY: {
		int i, len = jv_array_length(jv_copy(v));
		if ((rc = wf_buf_addc(out, '[')))
			return rc;
		for (i = 0; i < len && !rc; i++) {
			jv x = jv_array_get(jv_copy(v), i);
			if (i)
				rc = wf_buf_addc(out, ',');
			if (!rc)
				rc = wf_troy_jv_dump(out, x);
			jv_free(x);
		}
		return rc ? rc : wf_buf_addc(out, ']');
	}
	case JV_KIND_OBJECT: {
		int it, first = 1;
		if ((rc = wf_buf_addc(out, '{')))
			return rc;
		for (it = jv_object_iter(v); !rc && jv_object_iter_valid(v, it); it = jv_object_iter_next(v, it)) {
			jv k = jv_object_iter_key(v, it), x = jv_object_iter_value(v, it);
			if (!first)
				rc = wf_buf_addc(out, ',');
			first = 0;
			if (!rc)
				rc = wf_troy_jv_dump(out, k);
			if (!rc)
				rc = wf_buf_addc(out, ':');
			if (!rc)
				rc = wf_troy_jv_dump(out, x);
			jv_free(k);
			jv_free(x);
		}
		return rc ? rc : wf_buf_addc(out, '}');
	}
	}
	return -EINVAL;
}

/* Constants: literals, records, arrays and args paths are written as they
 * stand in the file or in the args; anything else runs through jq. */

struct cst {
	const char *args, *args_end;	/* validated compact JSON object */
	const struct wf_troy_jq_env *env;
	char *err;
	size_t n;
};

static int cst_jq(struct cst *k, const struct wf_texpr *e, struct wf_buf *o)
{
	struct wf_buf prog;
	jq_state *jq;
	jv in, res;
	int rc;

	wf_buf_init(&prog, (size_t)-1);
	if (program(&prog, e, k->env, 1, k->err, k->n) || wf_buf_addc(&prog, 0)) {
		wf_buf_free(&prog);
		return -1;
	}
	jq = wf_troy_jq_compile(prog.p, k->err, k->n);
	wf_buf_free(&prog);
	if (!jq)
		return -1;
	in = jv_object();
	in = jv_object_set(in, jv_string("event"), jv_null());
	in = jv_object_set(in, jv_string("meta"), jv_object());
	in = jv_object_set(in, jv_string("args"), jv_parse_sized(k->args, (int)(k->args_end - k->args)));
	in = jv_object_set(in, jv_string("state"), jv_null());
	in = jv_object_set(in, jv_string("locals"), jv_object());
	rc = wf_troy_jq_run(jq, in, &res, k->err, k->n);
	if (!rc) {
		if (wf_troy_jv_dump(o, res)) {
			snprintf(k->err, k->n, "out of memory");
			rc = -1;
		}
		jv_free(res);
	}
	jq_teardown(&jq);
	return rc;
}

static int cst_val(struct cst *k, const struct wf_texpr *e, struct wf_buf *o);

static int cst_args_path(struct cst *k, const struct wf_texpr *e, struct wf_buf *o)
{
	const char *v = k->args, *ve = k->args_end;
	struct wf_buf key;
	size_t i;

	for (i = 0; i < e->nkids; i++)
		if (!is_json_string_lit(e->kids[i]) || !lit_ok(e->kids[i]->lit))
			return cst_jq(k, e, o);
	wf_buf_init(&key, (size_t)-1);
	for (i = 0; i < e->nkids; i++) {
		const char *lit = e->kids[i]->lit, *nv, *nve;
		key.len = 0;
		if (wf_json_unescape(&key, lit + 1, lit + strlen(lit) - 1) || wf_buf_addc(&key, 0)) {
			wf_buf_free(&key);
			snprintf(k->err, k->n, "out of memory");
			return -1;
		}
		if (*v != '{' || !wf_json_get(v, ve, key.p, &nv, &nve)) {
			/* jq says why, in the words of runtime errors */
			wf_buf_free(&key);
			return cst_jq(k, e, o);
		}
		v = nv;
		ve = nve;
	}
	wf_buf_free(&key);
	return wf_buf_add(o, v, (size_t)(ve - v)) ? -1 : 0;
}

static int cst_val(struct cst *k, const struct wf_texpr *e, struct wf_buf *o)
{
	size_t i;

	switch (e->kind) {
	case WF_TE_LIT:
		if (!e->lit || !lit_ok(e->lit)) {
			poserr(k->err, k->n, &e->pos, "bad literal");
			return -1;
		}
		return wf_buf_adds(o, e->lit) ? -1 : 0;
	case WF_TE_RECORD:
		if (e->nkids % 2)
			break;
		if (wf_buf_addc(o, '{'))
			return -1;
		for (i = 0; i < e->nkids; i += 2) {
			size_t km;
			if (i && wf_buf_addc(o, ','))
				return -1;
			km = o->len;
			if (cst_val(k, e->kids[i], o))
				return -1;
			if (o->p[km] != '"') {
				poserr(k->err, k->n, &e->kids[i]->pos, "a record key must be a string");
				return -1;
			}
			if (wf_buf_addc(o, ':') || cst_val(k, e->kids[i + 1], o))
				return -1;
		}
		return wf_buf_addc(o, '}') ? -1 : 0;
	case WF_TE_ARRAY:
		if (wf_buf_addc(o, '['))
			return -1;
		for (i = 0; i < e->nkids; i++)
			if ((i && wf_buf_addc(o, ',')) || cst_val(k, e->kids[i], o))
				return -1;
		return wf_buf_addc(o, ']') ? -1 : 0;
	case WF_TE_PATH:
		if (e->lit && !strcmp(e->lit, "args"))
			return cst_args_path(k, e, o);
		poserr(k->err, k->n, &e->pos, "`%s` cannot be used here: only literals, args and functions",
		       e->lit ? e->lit : "");
		return -1;
	default:
		break;
	}
	return cst_jq(k, e, o);
}

int wf_troy_eval_const(const struct wf_texpr *e, const char *args_json, struct wf_buf *out_json,
		       char *err, size_t n)
{
	return wf_troy_eval_const_env(e, args_json, NULL, out_json, err, n);
}

int wf_troy_eval_const_env(const struct wf_texpr *e, const char *args_json,
			   const struct wf_troy_jq_env *env, struct wf_buf *out_json, char *err, size_t n)
{
	struct wf_buf args, raw;
	struct wf_json_err jerr;
	struct cst k = { .err = err, .n = n, .env = env };
	int rc = -1;

	if (n)
		err[0] = 0;
	wf_buf_init(&args, (size_t)-1);
	wf_buf_init(&raw, (size_t)-1);
	if (!args_json)
		args_json = "{}";
	if (wf_json_compact(&args, args_json, args_json + strlen(args_json), 0, &jerr) != 1 || *args.p != '{') {
		snprintf(err, n, "args are not a JSON object");
		goto out;
	}
	k.args = args.p;
	k.args_end = args.p + args.len;
	if (cst_val(&k, e, &raw)) {
		if (n && !err[0])
			snprintf(err, n, "out of memory");
		goto out;
	}
	/* one pass over the whole value: a repeated key keeps the last value */
	if (wf_json_compact(out_json, raw.p, raw.p + raw.len, 0, &jerr) != 1) {
		poserr(err, n, &e->pos, "the value is not JSON: %s", jerr.msg);
		goto out;
	}
	rc = 0;
out:
	wf_buf_free(&args);
	wf_buf_free(&raw);
	return rc;
}

int wf_troy_args(struct wf_buf *out, const struct wf_troy_bindings *params,
		 const struct wf_troy_bindings *with, const char *outer_args, char *err, size_t n)
{
	size_t i, j, mark = out->len;

	for (j = 0; with && j < with->n; j++) {
		for (i = 0; params && i < params->n; i++)
			if (!strcmp(params->v[i].name, with->v[j].name))
				break;
		if (!params || i == params->n) {
			poserr(err, n, &with->v[j].pos, "unknown arg `%s`", with->v[j].name);
			return -1;
		}
	}
	if (wf_buf_addc(out, '{'))
		goto nomem;
	for (i = 0; params && i < params->n; i++) {
		const struct wf_troy_binding *p = &params->v[i];
		const struct wf_texpr *v = p->value;
		for (j = 0; with && j < with->n; j++)
			if (!strcmp(with->v[j].name, p->name))
				v = with->v[j].value;	/* the last one wins */
		if (!v) {
			poserr(err, n, &p->pos, "arg `%s` has no value", p->name);
			out->len = mark;
			return -1;
		}
		if ((i && wf_buf_addc(out, ',')) || wf_json_escape(out, p->name, strlen(p->name)) ||
		    wf_buf_addc(out, ':'))
			goto nomem;
		if (wf_troy_eval_const(v, outer_args, out, err, n)) {
			out->len = mark;
			return -1;
		}
	}
	if (wf_buf_addc(out, '}'))
		goto nomem;
	return 0;
nomem:
	out->len = mark;
	snprintf(err, n, "out of memory");
	return -1;
}
