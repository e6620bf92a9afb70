/* troy: a recursive-descent parser for the troy subset flow-run runs, the
 * module loader and the name resolution done before anything runs.
 *
 * Everything lives in one arena freed by wf_troy_free. The first error ends
 * the parse (longjmp to wf_troy_parse) with the message already written. */
#include "troy.h"
#include "troy_lex.h"
#include "utf8.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE	(16u << 20)	/* bytes of one troy file */
#define MAX_DEPTH	200		/* nesting of expressions */
#define MAX_MODDEPTH	64		/* modules using modules */
#define NONE		((size_t)-1)

/* ---- the arena ---- */

struct ablk {
	struct ablk *next;
	size_t used, cap;
};

#define AHDR ((sizeof(struct ablk) + 15) & ~(size_t)15)
#define ABLK 65536

struct arena {
	struct ablk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct ablk *b = a->head;

	n = n ? (n + 15) & ~(size_t)15 : 16;
	if (n > ABLK / 4) {
		if (n > SIZE_MAX - AHDR || !(b = calloc(1, AHDR + n)))
			return NULL;
		b->used = b->cap = n;
		if (a->head) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			a->head = b;
		}
		return (char *)b + AHDR;
	}
	if (!b || b->cap - b->used < n) {
		if (!(b = calloc(1, AHDR + ABLK)))
			return NULL;
		b->cap = ABLK;
		b->next = a->head;
		a->head = b;
	}
	b->used += n;
	return (char *)b + AHDR + b->used - n;
}

static void arena_free(struct arena *a)
{
	while (a && a->head) {
		struct ablk *b = a->head;
		a->head = b->next;
		free(b);
	}
	free(a);
}

/* ---- parse state ---- */

struct modrec {
	struct wf_troy_module m;
	int loading;
};

struct ctx {
	struct wf_troy *t;
	struct arena *a;
	const struct wf_troy_path *path;
	char *err;
	size_t errn;
	jmp_buf jb;
	struct modrec **recs;
	size_t nrecs;
	int mdepth;
};

struct parser {
	struct ctx *cx;
	struct troy_src src;
	struct troy_lexer lx;
	struct troy_token tok;
	size_t prev_end;	/* where the token before tok ended */
	int depth;
	struct wf_troy_module *mod;
	int is_main;
};

static void fail(struct ctx *cx, const char *file, const char *text, int line, int col,
		 const char *fmt, va_list ap) __attribute__((noreturn, format(printf, 6, 0)));

static void fail(struct ctx *cx, const char *file, const char *text, int line, int col,
		 const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	troy_format_error(cx->err, cx->errn, file, text, text ? strlen(text) : 0, line, col, msg);
	longjmp(cx->jb, 1);
}

/* An error at byte offset off of the file being parsed. */
static void perr(struct parser *P, size_t off, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

static void perr(struct parser *P, size_t off, const char *fmt, ...)
{
	va_list ap;
	int line, col;

	troy_src_pos(&P->src, off, &line, &col);
	va_start(ap, fmt);
	fail(P->cx, P->src.file, P->src.text, line, col, fmt, ap);
}

/* An error at a node's position (after the parse). */
static void rerr(struct ctx *cx, const struct wf_troy_pos *pos, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

static void rerr(struct ctx *cx, const struct wf_troy_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail(cx, pos->file, pos->src, pos->line, pos->col, fmt, ap);
}

static void oom(struct ctx *cx) __attribute__((noreturn));

static void oom(struct ctx *cx)
{
	snprintf(cx->err, cx->errn, "out of memory");
	longjmp(cx->jb, 1);
}

static void *alloc(struct ctx *cx, size_t n)
{
	void *p = arena_alloc(cx->a, n);

	if (!p)
		oom(cx);
	return p;
}

static void *alloc_cb(void *cx, size_t n)
{
	return alloc(cx, n);
}

static char *dupn(struct ctx *cx, const char *s, size_t n)
{
	char *p = alloc(cx, n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static char *dup(struct ctx *cx, const char *s)
{
	return dupn(cx, s, strlen(s));
}

/* Make room for element n of an array that holds n: capacity is 4, then
 * the next power of two, so it needs no field of its own. */
static void *grow(struct ctx *cx, void *v, size_t n, size_t sz)
{
	void *w;

	if (n && (n < 4 || (n & (n - 1))))
		return v;
	w = alloc(cx, (n ? 2 * n : 4) * sz);
	if (n)
		memcpy(w, v, n * sz);
	return w;
}

#define PUSH(cx, arr, n) ((arr) = grow((cx), (arr), (n), sizeof *(arr)), &(arr)[(n)++])

/* A growing byte string in the arena. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_put(struct ctx *cx, struct sbuf *b, const char *s, size_t n)
{
	if (b->cap - b->n < n + 1) {
		size_t cap = 2 * (b->n + n + 1) < 64 ? 64 : 2 * (b->n + n + 1);
		char *q = alloc(cx, cap);
		if (b->n)
			memcpy(q, b->p, b->n);
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_str(struct ctx *cx, struct sbuf *b, const char *s)
{
	sb_put(cx, b, s, strlen(s));
}

/* s as a JSON string. */
static char *json_quote(struct ctx *cx, const char *s, size_t n)
{
	char *o = alloc(cx, n * 6 + 3), *w = o;
	size_t i;

	*w++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		}
		if (e) {
			memcpy(w, e, 2);
			w += 2;
		} else if (c < 0x20) {
			w += sprintf(w, "\\u%04x", c);
		} else {
			*w++ = (char)c;
		}
	}
	*w++ = '"';
	*w = 0;
	return o;
}

static struct wf_troy_pos pos_of(struct parser *P, size_t off)
{
	struct wf_troy_pos p;

	p.file = P->src.file;
	p.src = P->src.text;
	troy_src_pos(&P->src, off, &p.line, &p.col);
	return p;
}

/* ---- tokens ---- */

static void next(struct parser *P)
{
	P->prev_end = P->tok.end;
	troy_lex(&P->lx, &P->tok);
}

static void expected(struct parser *P, const char *what) __attribute__((noreturn));
static void unsupported(struct parser *P, size_t off, const char *what) __attribute__((noreturn));

static void expected(struct parser *P, const char *what)
{
	const struct troy_token *t = &P->tok;
	char kw[16];

	switch (t->kind) {
	case T_BAD:
		perr(P, t->off, "%s", t->msg);
	case T_DOC:
		perr(P, t->off, "a '##' doc comment goes only right before define or deploy");
	case T_MODDOC:
		perr(P, t->off, "a '###' module comment goes only at the start of a file");
	case T_CONFIG:
		unsupported(P, t->off, "'#!config' directives are");
	case T_EOF:
		perr(P, P->prev_end, "expected %s, found end of file", what);
	case T_IDENT:
		perr(P, t->off, "expected %s, found '%.*s'", what, t->n > 40 ? 40 : (int)t->n, t->s);
	case T_INT:
	case T_FLOAT:
		perr(P, t->off, "expected %s, found '%.*s'", what,
		     t->end - t->off > 40 ? 40 : (int)(t->end - t->off), P->src.text + t->off);
	default:
		perr(P, t->off, "expected %s, found %s", what, troy_tok_name(t->kind, kw, sizeof kw));
	}
}

static int accept(struct parser *P, enum troy_tok k)
{
	if (P->tok.kind != k)
		return 0;
	next(P);
	return 1;
}

static void expect(struct parser *P, enum troy_tok k)
{
	char kw[16];

	if (!accept(P, k))
		expected(P, troy_tok_name(k, kw, sizeof kw));
}

/* An identifier: its text in the arena, its position in *pos. */
static char *ident(struct parser *P, const char *what, struct wf_troy_pos *pos)
{
	char *s;

	if (P->tok.kind != T_IDENT)
		expected(P, what);
	s = dupn(P->cx, P->tok.s, P->tok.n);
	if (pos)
		*pos = pos_of(P, P->tok.off);
	next(P);
	return s;
}

static void unsupported(struct parser *P, size_t off, const char *what)
{
	perr(P, off, "%s not supported by flow-run", what);
}

/* ---- expressions ---- */

static struct wf_texpr *parse_expr(struct parser *P);

static struct wf_texpr *mk(struct parser *P, enum wf_texpr_kind k, size_t off, char *lit)
{
	struct wf_texpr *e = alloc(P->cx, sizeof *e);

	e->kind = k;
	e->pos = pos_of(P, off);
	e->lit = lit;
	return e;
}

static void add_kid(struct parser *P, struct wf_texpr *e, struct wf_texpr *kid)
{
	*PUSH(P->cx, e->kids, e->nkids) = kid;
}

static void enter(struct parser *P)
{
	if (++P->depth > MAX_DEPTH)
		perr(P, P->tok.off, "expression nested too deeply (more than %d levels)", MAX_DEPTH);
}

/* The JSON text of the number token: no `_`, no leading zeros, hex in decimal. */
static char *num_lit(struct parser *P)
{
	const char *s = P->src.text + P->tok.off;
	size_t n = P->tok.end - P->tok.off, i;
	unsigned base = n > 1 && s[1] == 'x' ? 16 : 10;
	struct sbuf b = { 0 };
	uint64_t v = 0;
	char t[32];

	if (P->tok.kind == T_FLOAT) {
		for (i = 0; i < n; i++)
			if (s[i] != '_')
				sb_put(P->cx, &b, s + i, 1);
		for (i = 0; i + 1 < b.n && b.p[i] == '0' && b.p[i + 1] >= '0' && b.p[i + 1] <= '9'; i++)
			;
		return b.p + i;
	}
	for (i = base == 16 ? 2 : 0; i < n; i++) {
		unsigned d;
		if (s[i] == '_')
			continue;
		d = (unsigned)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
		if (v > (UINT64_MAX - d) / base)
			perr(P, P->tok.off, "integer literal too large");
		v = v * base + d;
	}
	snprintf(t, sizeof t, "%llu", (unsigned long long)v);
	return dup(P->cx, t);
}

/* A `\` escape at text[i] into b; returns the index after it. */
static size_t escape(struct parser *P, struct sbuf *b, size_t i)
{
	const char *text = P->src.text;
	size_t len = P->src.len;
	int c = i + 1 < len ? (unsigned char)text[i + 1] : -1;
	char u[4];
	const char *e;
	uint32_t cp;

	switch (c) {
	case '"': e = "\""; break;
	case '\\': e = "\\"; break;
	case '/': e = "/"; break;
	case '#': e = "#"; break;
	case 'b': e = "\b"; break;
	case 'f': e = "\f"; break;
	case 'n': e = "\n"; break;
	case 'r': e = "\r"; break;
	case 't': e = "\t"; break;
	case 'u':
		for (cp = 0, c = 2; c < 6; c++) {
			int h = i + (size_t)c < len ? (unsigned char)text[i + (size_t)c] : -1;
			if (h >= '0' && h <= '9')
				cp = cp * 16 + (uint32_t)(h - '0');
			else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
				cp = cp * 16 + (uint32_t)((h | 0x20) - 'a' + 10);
			else
				perr(P, i, "invalid unicode escape (\\u and four hex digits)");
		}
		i += 6;
		if (cp >= 0xd800 && cp < 0xdc00 && i + 5 < len && text[i] == '\\' && text[i + 1] == 'u') {
			uint32_t lo = 0;
			for (c = 2; c < 6; c++) {
				int h = (unsigned char)text[i + (size_t)c] | 0x20;
				if (h >= '0' && h <= '9')
					lo = lo * 16 + (uint32_t)(h - '0');
				else if (h >= 'a' && h <= 'f')
					lo = lo * 16 + (uint32_t)(h - 'a' + 10);
				else
					break;
			}
			if (c == 6 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
		}
		if (cp >= 0xd800 && cp < 0xe000)
			perr(P, i - 6, "invalid unicode escape (a lone surrogate)");
		sb_put(P->cx, b, u, wf_utf8_put(cp, u));
		return i;
	default:
		if (c > 0x20 && c < 0x7f)
			perr(P, i, "unknown escape sequence '\\%c'", c);
		perr(P, i, "unknown escape sequence");
	}
	sb_put(P->cx, b, e, 1);
	return i + 2;
}

/* The string whose opening quote is tok: a LIT, or a STR with the parts
 * when it interpolates. */
static struct wf_texpr *parse_string(struct parser *P)
{
	struct ctx *cx = P->cx;
	const char *text = P->src.text;
	size_t len = P->src.len, start = P->tok.off, i = P->lx.pos, part = i;
	int here = P->tok.heredoc, interp = 0;
	struct wf_texpr *str = mk(P, WF_TE_STR, start, NULL);
	struct sbuf b = { 0 };

	sb_put(cx, &b, "", 0);
	for (;;) {
		char c;
		if (i >= len)
			perr(P, start, here ? "unterminated heredoc (no closing '\"\"\"')" : "unterminated string");
		c = text[i];
		if (c == '"') {
			if (!here) {
				i++;
				break;
			}
			if (i + 2 < len && text[i + 1] == '"' && text[i + 2] == '"') {
				i += 3;
				break;
			}
		} else if (c == '\n' && !here) {
			perr(P, start, "unterminated string");
		} else if (c == '\\') {
			i = escape(P, &b, i);
			continue;
		} else if (c == '#' && i + 1 < len && text[i + 1] == '{') {
			if (b.n) {
				add_kid(P, str, mk(P, WF_TE_LIT, part, json_quote(cx, b.p, b.n)));
				b.n = 0;
			}
			P->lx.pos = i + 2;
			next(P);
			add_kid(P, str, parse_expr(P));
			if (P->tok.kind != T_RBRACE)
				expected(P, "'}'");
			part = i = P->lx.pos;
			interp = 1;
			continue;
		}
		sb_put(cx, &b, text + i, 1);
		i++;
	}
	P->lx.pos = i;
	P->tok.end = i;
	next(P);
	if (!interp)
		return mk(P, WF_TE_LIT, start, json_quote(cx, b.p, b.n));
	if (b.n)
		add_kid(P, str, mk(P, WF_TE_LIT, part, json_quote(cx, b.p, b.n)));
	return str;
}

/* `.name` and `[expr]` after a path's root. */
static void parse_segments(struct parser *P, struct wf_texpr *path)
{
	for (;;) {
		if (accept(P, T_DOT)) {
			if (P->tok.kind != T_IDENT)
				expected(P, "a field name");
			add_kid(P, path, mk(P, WF_TE_LIT, P->tok.off, json_quote(P->cx, P->tok.s, P->tok.n)));
			next(P);
		} else if (accept(P, T_LBRACK)) {
			add_kid(P, path, parse_expr(P));
			if (P->tok.kind == T_COLON)
				unsupported(P, P->tok.off, "array ranges are");
			if (P->tok.kind != T_RBRACK)
				expected(P, "']'");
			next(P);
		} else {
			return;
		}
	}
}

/* Tremor's paths on expressions, `f(x).a`, `(e)[0]`: not in the tree. */
static void no_path(struct parser *P, const char *what)
{
	if (P->tok.kind == T_DOT || P->tok.kind == T_LBRACK)
		perr(P, P->tok.off, "a path on %s is not supported by flow-run", what);
}

/* A name: a local or constant path (`x.a`, `mod::C`) or a call. */
static struct wf_texpr *parse_name(struct parser *P)
{
	struct sbuf name = { 0 };
	size_t off = P->tok.off;
	struct wf_texpr *e;

	sb_put(P->cx, &name, P->tok.s, P->tok.n);
	next(P);
	while (accept(P, T_COLONCOLON)) {
		if (P->tok.kind != T_IDENT)
			expected(P, "an identifier");
		sb_str(P->cx, &name, "::");
		sb_put(P->cx, &name, P->tok.s, P->tok.n);
		next(P);
	}
	if (!accept(P, T_LPAREN)) {
		e = mk(P, WF_TE_PATH, off, name.p);
		parse_segments(P, e);
		return e;
	}
	e = mk(P, WF_TE_CALL, off, name.p);
	while (P->tok.kind != T_RPAREN) {
		add_kid(P, e, parse_expr(P));
		if (accept(P, T_COMMA))
			continue;
		if (P->tok.kind != T_RPAREN)
			expected(P, "',' or ')'");
	}
	next(P);
	no_path(P, "a function's result");
	return e;
}

static struct wf_texpr *parse_primary(struct parser *P)
{
	size_t off = P->tok.off;
	struct wf_texpr *e;
	char kw[16];

	switch (P->tok.kind) {
	case T_INT:
	case T_FLOAT:
		e = mk(P, WF_TE_LIT, off, num_lit(P));
		next(P);
		return e;
	case K_TRUE:
	case K_FALSE:
	case K_NULL:
		e = mk(P, WF_TE_LIT, off, dupn(P->cx, P->tok.s, P->tok.n));
		next(P);
		return e;
	case T_STR:
		return parse_string(P);
	case T_LBRACK:
		e = mk(P, WF_TE_ARRAY, off, NULL);
		next(P);
		while (P->tok.kind != T_RBRACK) {
			add_kid(P, e, parse_expr(P));
			if (accept(P, T_COMMA))
				continue;
			if (P->tok.kind != T_RBRACK)
				expected(P, "',' or ']'");
		}
		next(P);
		no_path(P, "an array literal");
		return e;
	case T_LBRACE:
		e = mk(P, WF_TE_RECORD, off, NULL);
		next(P);
		while (P->tok.kind != T_RBRACE) {
			if (P->tok.kind != T_STR)
				expected(P, "a string key");
			add_kid(P, e, parse_string(P));
			expect(P, T_COLON);
			add_kid(P, e, parse_expr(P));
			if (accept(P, T_COMMA))
				continue;
			if (P->tok.kind != T_RBRACE)
				expected(P, "',' or '}'");
		}
		next(P);
		no_path(P, "a record literal");
		return e;
	case T_LPAREN:
		next(P);
		e = parse_expr(P);
		expect(P, T_RPAREN);
		no_path(P, "a parenthesized expression");
		return e;
	case T_DOLLAR:
		e = mk(P, WF_TE_PATH, off, dup(P->cx, "$"));
		next(P);
		if (P->tok.kind == T_IDENT) {
			add_kid(P, e, mk(P, WF_TE_LIT, P->tok.off, json_quote(P->cx, P->tok.s, P->tok.n)));
			next(P);
		}
		parse_segments(P, e);
		return e;
	case K_EVENT:
	case K_STATE:
	case K_ARGS:
		e = mk(P, WF_TE_PATH, off, dupn(P->cx, P->tok.s, P->tok.n));
		next(P);
		parse_segments(P, e);
		return e;
	case T_IDENT:
		return parse_name(P);
	case K_GROUP:
	case K_WINDOW:
		perr(P, off, "%s paths are not supported by flow-run (no windows, no group by)",
		     troy_tok_name(P->tok.kind, kw, sizeof kw));
	case K_MATCH:
	case K_FOR:
	case K_PATCH:
	case K_MERGE:
	case K_RECUR:
	case K_EMIT:
	case K_DROP:
	case K_LET:
		perr(P, off, "%s expressions are not supported by flow-run",
		     troy_tok_name(P->tok.kind, kw, sizeof kw));
	default:
		expected(P, "an expression");
	}
}

/* A path where only a path will do: `present`, `absent`, `let`. */
static struct wf_texpr *parse_path(struct parser *P, const char *what)
{
	size_t off = P->tok.off;
	struct wf_texpr *e;

	switch (P->tok.kind) {
	case T_DOLLAR:
	case K_EVENT:
	case K_STATE:
	case K_ARGS:
	case T_IDENT:
	case K_GROUP:
	case K_WINDOW:
		break;
	default:
		expected(P, what);
	}
	e = parse_primary(P);
	if (e->kind != WF_TE_PATH)
		perr(P, off, "expected %s, found a function call", what);
	return e;
}

static struct wf_texpr *parse_unary_simple(struct parser *P)
{
	size_t off = P->tok.off;
	struct wf_texpr *e;

	if (P->tok.kind == K_NOT || P->tok.kind == T_BANG) {
		e = mk(P, WF_TE_UN, off, dup(P->cx, P->tok.kind == K_NOT ? "not" : "!"));
		next(P);
		enter(P);
		add_kid(P, e, parse_unary_simple(P));
		P->depth--;
		return e;
	}
	if (P->tok.kind == K_PRESENT || P->tok.kind == K_ABSENT) {
		e = mk(P, WF_TE_PRESENT, off, dup(P->cx, P->tok.kind == K_PRESENT ? "present" : "absent"));
		next(P);
		add_kid(P, e, parse_path(P, "a path"));
		return e;
	}
	return parse_primary(P);
}

static struct wf_texpr *parse_unary(struct parser *P)
{
	size_t off = P->tok.off;
	int minus = P->tok.kind == T_MINUS;
	struct wf_texpr *e;

	if (!minus && P->tok.kind != T_PLUS)
		return parse_unary_simple(P);
	next(P);
	enter(P);
	e = parse_unary(P);
	P->depth--;
	if (minus) {
		if (e->kind == WF_TE_LIT && e->lit[0] >= '0' && e->lit[0] <= '9') {
			size_t n = strlen(e->lit);
			char *l = alloc(P->cx, n + 2);
			l[0] = '-';
			memcpy(l + 1, e->lit, n + 1);
			e->lit = l;
			e->pos = pos_of(P, off);
		} else {
			struct wf_texpr *u = mk(P, WF_TE_UN, off, dup(P->cx, "-"));
			add_kid(P, u, e);
			e = u;
		}
	}
	return e;
}

/* Tremor's precedence, loosest first. */
static const struct {
	enum troy_tok tok;
	int level;
	const char *op;
} binops[] = {
	{ K_OR, 0, "or" }, { K_XOR, 1, "xor" }, { K_AND, 2, "and" },
	{ T_CARET, 3, "^" }, { T_AMP, 4, "&" },
	{ T_EQ, 5, "==" }, { T_NE, 5, "!=" },
	{ T_LT, 6, "<" }, { T_LE, 6, "<=" }, { T_GT, 6, ">" }, { T_GE, 6, ">=" },
	{ T_SHL, 7, "<<" }, { T_SHR, 7, ">>" }, { T_SHRU, 7, ">>>" },
	{ T_PLUS, 8, "+" }, { T_MINUS, 8, "-" },
	{ T_STAR, 9, "*" }, { T_SLASH, 9, "/" }, { T_PERCENT, 9, "%" },
};
#define NLEVELS 10

static const char *binop(enum troy_tok k, int level)
{
	size_t i;

	for (i = 0; i < sizeof binops / sizeof *binops; i++)
		if (binops[i].tok == k && binops[i].level == level)
			return binops[i].op;
	return NULL;
}

static struct wf_texpr *parse_bin(struct parser *P, int level)
{
	struct wf_texpr *l;
	const char *op;

	if (level == NLEVELS)
		return parse_unary(P);
	l = parse_bin(P, level + 1);
	while ((op = binop(P->tok.kind, level))) {
		struct wf_texpr *e = mk(P, WF_TE_BIN, P->tok.off, dup(P->cx, op));
		next(P);
		add_kid(P, e, l);
		add_kid(P, e, parse_bin(P, level + 1));
		l = e;
	}
	return l;
}

static struct wf_texpr *parse_expr(struct parser *P)
{
	struct wf_texpr *e;

	enter(P);
	e = parse_bin(P, 0);
	P->depth--;
	return e;
}

/* ---- statements ---- */

/* The names of a binding list are distinct. */
static void check_bindings(struct parser *P, const struct wf_troy_bindings *b, int args)
{
	size_t i, j;

	for (i = 1; i < b->n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(b->v[i].name, b->v[j].name))
				rerr(P->cx, &b->v[i].pos, args ? "argument %s is declared twice" :
				     "%s is given twice", b->v[i].name);
}

/* After `with`: `name = expr, ...` through `end`. */
static void parse_with(struct parser *P, struct wf_troy_bindings *b)
{
	for (;;) {
		struct wf_troy_binding *x = PUSH(P->cx, b->v, b->n);
		x->name = ident(P, "a name", &x->pos);
		expect(P, T_ASSIGN);
		x->value = parse_expr(P);
		if (accept(P, T_COMMA)) {
			if (P->tok.kind == K_END)
				break;
			continue;
		}
		if (P->tok.kind != K_END)
			expected(P, "',' or 'end'");
		break;
	}
	next(P);
	check_bindings(P, b, 0);
}

/* After `args`: `name [= expr], ...`. */
static void parse_args(struct parser *P, struct wf_troy_bindings *b)
{
	do {
		struct wf_troy_binding *x = PUSH(P->cx, b->v, b->n);
		x->name = ident(P, "an argument name", &x->pos);
		if (accept(P, T_ASSIGN))
			x->value = parse_expr(P);
	} while (accept(P, T_COMMA) && P->tok.kind == T_IDENT);
	check_bindings(P, b, 1);
}

/* `name (, name)* [,]` */
static void parse_ports(struct parser *P, char ***v, size_t *n)
{
	do {
		char **p = PUSH(P->cx, *v, *n);
		*p = ident(P, "a port name", NULL);
	} while (accept(P, T_COMMA) && P->tok.kind == T_IDENT);
}

/* `Ident (:: Ident)*` */
static char *parse_target(struct parser *P, struct wf_troy_pos *pos)
{
	struct sbuf b = { 0 };

	if (P->tok.kind != T_IDENT)
		expected(P, "a name");
	*pos = pos_of(P, P->tok.off);
	sb_put(P->cx, &b, P->tok.s, P->tok.n);
	next(P);
	while (accept(P, T_COLONCOLON)) {
		if (P->tok.kind != T_IDENT)
			expected(P, "a name");
		sb_str(P->cx, &b, "::");
		sb_put(P->cx, &b, P->tok.s, P->tok.n);
		next(P);
	}
	return b.p;
}

static struct wf_troy_module *load_module(struct ctx *cx, const char *name, const struct wf_troy_pos *pos);

static void use_target(struct parser *P, const char *prefix, struct wf_troy_use **uses, size_t *nuses)
{
	struct sbuf path = { 0 };
	struct wf_troy_use *u;
	struct wf_troy_pos pos;
	char *last, *alias;

	if (P->tok.kind != T_IDENT)
		expected(P, "a module name");
	pos = pos_of(P, P->tok.off);
	if (*prefix) {
		sb_str(P->cx, &path, prefix);
		sb_str(P->cx, &path, "::");
	}
	last = dupn(P->cx, P->tok.s, P->tok.n);
	sb_str(P->cx, &path, last);
	next(P);
	while (accept(P, T_COLONCOLON)) {
		if (accept(P, T_LBRACE)) {
			do
				use_target(P, path.p, uses, nuses);
			while (accept(P, T_COMMA) && P->tok.kind != T_RBRACE);
			if (P->tok.kind != T_RBRACE)
				expected(P, "',' or '}'");
			next(P);
			return;
		}
		if (P->tok.kind != T_IDENT)
			expected(P, "a module name or '{'");
		last = dupn(P->cx, P->tok.s, P->tok.n);
		sb_str(P->cx, &path, "::");
		sb_str(P->cx, &path, last);
		next(P);
	}
	alias = accept(P, K_AS) ? ident(P, "an alias", NULL) : last;
	u = PUSH(P->cx, *uses, *nuses);
	u->path = path.p;
	u->alias = alias;
	u->pos = pos;
	u->mod = load_module(P->cx, u->path, &u->pos);
}

static void parse_use(struct parser *P, struct wf_troy_use **uses, size_t *nuses)
{
	next(P);
	use_target(P, "", uses, nuses);
}

/* Doc comments before a statement: the offset of the first, or NONE. */
static size_t docs(struct parser *P)
{
	size_t off = NONE;

	while (P->tok.kind == T_DOC) {
		if (off == NONE)
			off = P->tok.off;
		next(P);
	}
	if (off != NONE && P->tok.kind != K_DEFINE && P->tok.kind != K_DEPLOY &&
	    P->tok.kind != K_FN && P->tok.kind != K_CONST && P->tok.kind != K_INTRINSIC)
		perr(P, off, "a '##' doc comment goes only right before define or deploy");
	return off;
}

/* Skip what the parser has no use for (a fn, const or intrinsic in a
 * module): up to the `;` that ends it at block depth 0, or the `end` that
 * closes the first block when fn opens one. */
static void skip_stmt(struct parser *P, int fn)
{
	size_t off = P->tok.off;
	int depth = 0;

	for (;;) {
		switch (P->tok.kind) {
		case T_EOF:
			if (fn)
				perr(P, off, "unterminated fn (no 'end')");
			return;
		case T_SEMI:
			if (!depth && !fn)
				return;
			break;
		case T_STR:
			parse_string(P);
			continue;
		case T_BAD:
			P->lx.pos = P->tok.off + 1;
			troy_lex(&P->lx, &P->tok);
			continue;
		case K_WITH:
		case K_OF:
			if (fn == 1) {
				fn = 2;
				depth++;
			}
			break;
		case K_MATCH:
		case K_FOR:
		case K_PATCH:
		case K_MERGE:
			depth++;
			break;
		case K_END:
			if (depth && !--depth && fn) {
				next(P);
				return;
			}
			break;
		default:
			break;
		}
		next(P);
	}
}

static void define_connector(struct parser *P, struct wf_troy_scope *s)
{
	struct wf_troy_connector_def c = { 0 };

	next(P);
	c.name = ident(P, "a connector name", &c.pos);
	expect(P, K_FROM);
	c.type = ident(P, "a connector type", &c.type_pos);
	if (accept(P, K_ARGS)) {
		parse_args(P, &c.args);
		if (P->tok.kind != K_WITH)
			expected(P, "'with'");
	}
	if (accept(P, K_WITH))
		parse_with(P, &c.with);
	*PUSH(P->cx, s->connectors, s->nconnectors) = c;
}

static void define_script(struct parser *P, struct wf_troy_script_def **v, size_t *n)
{
	struct wf_troy_script_def s = { 0 };

	next(P);
	s.name = ident(P, "a script name", &s.pos);
	if (accept(P, K_ARGS))
		parse_args(P, &s.args);
	if (P->tok.kind == K_STATE)
		unsupported(P, P->tok.off, "script state is");
	if (!accept(P, K_SCRIPT))
		expected(P, s.args.n ? "'script'" : "'args' or 'script'");
	if (P->tok.kind == K_FROM)
		unsupported(P, P->tok.off, "named scripts (script from PORT) are");
	for (;;) {
		size_t off;
		docs(P);
		off = P->tok.off;
		switch (P->tok.kind) {
		case K_USE:
			parse_use(P, &s.uses, &s.nuses);
			break;
		case K_FN:
			skip_stmt(P, 1);
			break;
		case K_CONST:
		case K_INTRINSIC:
			skip_stmt(P, 0);
			break;
		case K_LET: {
			struct wf_troy_let *l = PUSH(P->cx, s.stmts, s.nstmts);
			l->pos = pos_of(P, off);
			next(P);
			l->target = parse_path(P, "a path to assign to");
			expect(P, T_ASSIGN);
			l->value = parse_expr(P);
			break;
		}
		default: {
			struct wf_troy_let *l = PUSH(P->cx, s.stmts, s.nstmts);
			l->pos = pos_of(P, off);
			l->value = parse_expr(P);
		}
		}
		if (accept(P, T_SEMI)) {
			if (P->tok.kind == K_END)
				break;
			continue;
		}
		if (P->tok.kind != K_END)
			expected(P, "';' or 'end'");
		break;
	}
	next(P);
	*PUSH(P->cx, *v, *n) = s;
}

static void parse_select(struct parser *P, struct wf_troy_pipeline_def *p)
{
	struct wf_troy_select s = { 0 };

	s.pos = pos_of(P, P->tok.off);
	next(P);
	s.expr = parse_expr(P);
	expect(P, K_FROM);
	s.from = ident(P, "a stream name", &s.from_pos);
	if (accept(P, T_SLASH))
		s.from_port = ident(P, "a port name", NULL);
	if (P->tok.kind == T_LBRACK)
		unsupported(P, P->tok.off, "windows are");
	if (accept(P, K_WHERE))
		s.where = parse_expr(P);
	if (P->tok.kind == K_GROUP)
		unsupported(P, P->tok.off, "group by is");
	if (!accept(P, K_INTO))
		expected(P, s.where ? "'into'" : s.from_port ? "'where' or 'into'" : "'/', 'where' or 'into'");
	s.into = ident(P, "a stream name", &s.into_pos);
	if (accept(P, T_SLASH))
		s.into_port = ident(P, "a port name", NULL);
	if (accept(P, K_HAVING))
		s.having = parse_expr(P);
	*PUSH(P->cx, p->selects, p->nselects) = s;
}

static void pipeline_stmt(struct parser *P, struct wf_troy_pipeline_def *p)
{
	size_t off;

	docs(P);
	off = P->tok.off;
	switch (P->tok.kind) {
	case K_USE:
		parse_use(P, &p->uses, &p->nuses);
		return;
	case K_SELECT:
		parse_select(P, p);
		return;
	case K_DEFINE:
		next(P);
		switch (P->tok.kind) {
		case K_SCRIPT:
			define_script(P, &p->scripts, &p->nscripts);
			return;
		case K_WINDOW:
			unsupported(P, off, "windows are");
		case K_OPERATOR:
			unsupported(P, off, "operators are");
		case K_PIPELINE:
			unsupported(P, off, "pipelines inside pipelines are");
		default:
			expected(P, "'script'");
		}
	case K_CREATE:
		next(P);
		switch (P->tok.kind) {
		case K_SCRIPT: {
			struct wf_troy_script_use u = { 0 };
			next(P);
			u.alias = ident(P, "a script name", &u.pos);
			u.target_pos = u.pos;
			if (accept(P, K_FROM))
				u.target = parse_target(P, &u.target_pos);
			if (accept(P, K_WITH))
				parse_with(P, &u.with);
			*PUSH(P->cx, p->script_uses, p->nscript_uses) = u;
			return;
		}
		case K_STREAM: {
			size_t i, noff;
			char *name;
			next(P);
			noff = P->tok.off;
			name = ident(P, "a stream name", NULL);
			for (i = 0; i < p->nstreams; i++)
				if (!strcmp(p->streams[i], name))
					perr(P, noff, "stream %s is created twice", name);
			*PUSH(P->cx, p->streams, p->nstreams) = name;
			return;
		}
		case K_WINDOW:
			unsupported(P, off, "windows are");
		case K_OPERATOR:
			unsupported(P, off, "operators are");
		case K_PIPELINE:
			unsupported(P, off, "pipelines inside pipelines are");
		default:
			expected(P, "'script' or 'stream'");
		}
	default:
		expected(P, "'select', 'define', 'create' or 'use'");
	}
}

static void define_pipeline(struct parser *P, struct wf_troy_scope *s)
{
	struct wf_troy_pipeline_def p = { 0 };

	next(P);
	p.name = ident(P, "a pipeline name", &p.pos);
	if (accept(P, K_FROM))
		parse_ports(P, &p.from_ports, &p.nfrom);
	if (accept(P, K_INTO))
		parse_ports(P, &p.into_ports, &p.ninto);
	if (accept(P, K_ARGS))
		parse_args(P, &p.args);
	if (!accept(P, K_PIPELINE))
		expected(P, p.args.n ? "'pipeline'" : p.ninto ? "'args' or 'pipeline'" :
			 p.nfrom ? "'into', 'args' or 'pipeline'" : "'from', 'into', 'args' or 'pipeline'");
	if (P->tok.kind == T_CONFIG)
		unsupported(P, P->tok.off, "'#!config' directives are");
	if (!p.nfrom)
		*PUSH(P->cx, p.from_ports, p.nfrom) = dup(P->cx, "in");
	if (!p.ninto) {
		*PUSH(P->cx, p.into_ports, p.ninto) = dup(P->cx, "out");
		*PUSH(P->cx, p.into_ports, p.ninto) = dup(P->cx, "err");
	}
	for (;;) {
		pipeline_stmt(P, &p);
		if (accept(P, T_SEMI)) {
			if (P->tok.kind == K_END)
				break;
			continue;
		}
		if (P->tok.kind != K_END)
			expected(P, "';' or 'end'");
		break;
	}
	next(P);
	*PUSH(P->cx, s->pipelines, s->npipelines) = p;
}

static void parse_endpoint(struct parser *P, struct wf_troy_endpoint *ep, int to_pipeline)
{
	expect(P, T_SLASH);
	if (P->tok.kind == K_PIPELINE)
		ep->kind = WF_TROY_PIPELINE;
	else if (P->tok.kind == K_CONNECTOR && !to_pipeline)
		ep->kind = WF_TROY_CONNECTOR;
	else
		expected(P, to_pipeline ? "'pipeline'" : "'connector' or 'pipeline'");
	next(P);
	expect(P, T_SLASH);
	ep->id = ident(P, ep->kind == WF_TROY_CONNECTOR ? "a connector name" : "a pipeline name", &ep->pos);
	ep->port_pos = ep->pos;
	if (accept(P, T_SLASH))
		ep->port = ident(P, "a port name", &ep->port_pos);
}

static void define_flow(struct parser *P, struct wf_troy_scope *s)
{
	struct wf_troy_flow_def f = { 0 };

	next(P);
	f.name = ident(P, "a flow name", &f.pos);
	if (accept(P, K_ARGS))
		parse_args(P, &f.args);
	if (!accept(P, K_FLOW))
		expected(P, f.args.n ? "'flow'" : "'args' or 'flow'");
	for (;;) {
		size_t off;
		docs(P);
		off = P->tok.off;
		switch (P->tok.kind) {
		case K_DEFINE:
			next(P);
			if (P->tok.kind == K_CONNECTOR)
				define_connector(P, &f.scope);
			else if (P->tok.kind == K_PIPELINE)
				define_pipeline(P, &f.scope);
			else
				expected(P, "'connector' or 'pipeline'");
			break;
		case K_CREATE: {
			struct wf_troy_create c = { 0 };
			next(P);
			if (P->tok.kind == K_CONNECTOR)
				c.kind = WF_TROY_CONNECTOR;
			else if (P->tok.kind == K_PIPELINE)
				c.kind = WF_TROY_PIPELINE;
			else
				expected(P, "'connector' or 'pipeline'");
			next(P);
			c.alias = ident(P, "a name", &c.pos);
			c.target_pos = c.pos;
			if (accept(P, K_FROM))
				c.target = parse_target(P, &c.target_pos);
			if (accept(P, K_WITH))
				parse_with(P, &c.with);
			*PUSH(P->cx, f.creates, f.ncreates) = c;
			break;
		}
		case K_CONNECT: {
			struct wf_troy_connect c = { 0 };
			c.pos = pos_of(P, off);
			next(P);
			parse_endpoint(P, &c.from, 0);
			if (!accept(P, K_TO))
				expected(P, c.from.port ? "'to'" : "'/' or 'to'");
			parse_endpoint(P, &c.to, c.from.kind == WF_TROY_CONNECTOR);
			*PUSH(P->cx, f.connects, f.nconnects) = c;
			break;
		}
		case K_USE:
			parse_use(P, &f.scope.uses, &f.scope.nuses);
			break;
		default:
			expected(P, "'define', 'create', 'connect' or 'use'");
		}
		if (accept(P, T_SEMI)) {
			if (P->tok.kind == K_END)
				break;
			continue;
		}
		if (P->tok.kind != K_END)
			expected(P, "';' or 'end'");
		break;
	}
	next(P);
	*PUSH(P->cx, s->flows, s->nflows) = f;
}

static void parse_deploy(struct parser *P)
{
	struct wf_troy_module *m = P->mod;
	struct wf_troy_deploy d = { 0 };

	next(P);
	expect(P, K_FLOW);
	d.alias = ident(P, "a flow name", &d.pos);
	d.target_pos = d.pos;
	if (accept(P, K_FROM))
		d.target = parse_target(P, &d.target_pos);
	if (accept(P, K_WITH))
		parse_with(P, &d.with);
	*PUSH(P->cx, m->deploys, m->ndeploys) = d;
}

static void top_stmt(struct parser *P)
{
	struct wf_troy_scope *s = &P->mod->scope;
	const char *what = P->is_main ? "'define', 'deploy' or 'use'" : "'define', 'use', 'fn' or 'const'";
	size_t off;

	docs(P);
	off = P->tok.off;
	switch (P->tok.kind) {
	case K_USE:
		parse_use(P, &s->uses, &s->nuses);
		return;
	case K_DEFINE:
		next(P);
		if (P->tok.kind == K_FLOW) {
			define_flow(P, s);
			return;
		}
		if (P->is_main)
			expected(P, "'flow'");
		switch (P->tok.kind) {
		case K_CONNECTOR:
			define_connector(P, s);
			return;
		case K_PIPELINE:
			define_pipeline(P, s);
			return;
		case K_SCRIPT:
			define_script(P, &s->scripts, &s->nscripts);
			return;
		case K_WINDOW:
			unsupported(P, off, "windows are");
		case K_OPERATOR:
			unsupported(P, off, "operators are");
		default:
			expected(P, "'flow', 'connector', 'pipeline' or 'script'");
		}
	case K_DEPLOY:
		if (!P->is_main)
			perr(P, off, "deploy goes only in the file flow-run runs, not in a module");
		parse_deploy(P);
		return;
	case K_FN:
	case K_CONST:
	case K_INTRINSIC:
		if (P->is_main)
			expected(P, what);
		skip_stmt(P, P->tok.kind == K_FN);
		return;
	default:
		expected(P, what);
	}
}

static void parse_file(struct parser *P)
{
	next(P);
	if (P->tok.kind == T_CONFIG)
		unsupported(P, P->tok.off, "'#!config' directives are");
	while (P->tok.kind == T_MODDOC)
		next(P);
	if (P->tok.kind == T_EOF && !P->is_main)
		return;
	for (;;) {
		top_stmt(P);
		if (accept(P, T_SEMI)) {
			if (P->tok.kind == T_EOF)
				break;
			continue;
		}
		if (P->tok.kind != T_EOF)
			expected(P, "';'");
		break;
	}
}

/* ---- name resolution ---- */

enum { F_CONNECTOR, F_PIPELINE, F_SCRIPT, F_FLOW };

static const char *const kind_names[] = { "connector", "pipeline", "script", "flow" };

static const struct wf_troy_use *find_use(const struct wf_troy_scope *s, const struct wf_troy_use *xu,
					  size_t nxu, const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < nxu; i++)
		if (strlen(xu[i].alias) == n && !memcmp(xu[i].alias, a, n))
			return &xu[i];
	for (; s; s = s->parent)
		for (i = 0; i < s->nuses; i++)
			if (strlen(s->uses[i].alias) == n && !memcmp(s->uses[i].alias, a, n))
				return &s->uses[i];
	return NULL;
}

static const void *find_def(const struct wf_troy_scope *s, const struct wf_troy_use *xu, size_t nxu,
			    const char *name, int kind)
{
	const char *sep = strstr(name, "::");
	size_t i;

	if (sep) {
		const struct wf_troy_use *u = find_use(s, xu, nxu, name, (size_t)(sep - name));
		if (!u || !u->mod)
			return NULL;
		return find_def(&u->mod->scope, NULL, 0, sep + 2, kind);
	}
	for (; s; s = s->parent) {
		switch (kind) {
		case F_CONNECTOR:
			for (i = 0; i < s->nconnectors; i++)
				if (!strcmp(s->connectors[i].name, name))
					return &s->connectors[i];
			break;
		case F_PIPELINE:
			for (i = 0; i < s->npipelines; i++)
				if (!strcmp(s->pipelines[i].name, name))
					return &s->pipelines[i];
			break;
		case F_SCRIPT:
			for (i = 0; i < s->nscripts; i++)
				if (!strcmp(s->scripts[i].name, name))
					return &s->scripts[i];
			break;
		case F_FLOW:
			for (i = 0; i < s->nflows; i++)
				if (!strcmp(s->flows[i].name, name))
					return &s->flows[i];
			break;
		}
	}
	return NULL;
}

const struct wf_troy_connector_def *wf_troy_find_connector(const struct wf_troy_scope *s, const char *name)
{
	return find_def(s, NULL, 0, name, F_CONNECTOR);
}

const struct wf_troy_pipeline_def *wf_troy_find_pipeline(const struct wf_troy_scope *s, const char *name)
{
	return find_def(s, NULL, 0, name, F_PIPELINE);
}

const struct wf_troy_flow_def *wf_troy_find_flow(const struct wf_troy_scope *s, const char *name)
{
	return find_def(s, NULL, 0, name, F_FLOW);
}

/* The error for a name find_def did not find. */
static void unknown(struct ctx *cx, const struct wf_troy_pos *pos, const struct wf_troy_scope *s,
		    const struct wf_troy_use *xu, size_t nxu, const char *name, int kind)
	__attribute__((noreturn));

static void unknown(struct ctx *cx, const struct wf_troy_pos *pos, const struct wf_troy_scope *s,
		    const struct wf_troy_use *xu, size_t nxu, const char *name, int kind)
{
	const char *sep = strstr(name, "::");

	if (sep) {
		int n = (int)(sep - name);
		const struct wf_troy_use *u = find_use(s, xu, nxu, name, (size_t)n);
		if (!u)
			rerr(cx, pos, "unknown %s %s (no use names a module %.*s)", kind_names[kind], name, n, name);
		if (!u->mod)
			rerr(cx, pos, "unknown %s %s (%s is a module of built-in functions)",
			     kind_names[kind], name, u->path);
	}
	rerr(cx, pos, "unknown %s %s", kind_names[kind], name);
}

#define DUPS(cx, arr, n, what) do { \
	size_t i_, j_; \
	for (i_ = 1; i_ < (n); i_++) \
		for (j_ = 0; j_ < i_; j_++) \
			if (!strcmp((arr)[i_].name, (arr)[j_].name)) \
				rerr((cx), &(arr)[i_].pos, "%s %s is already defined (line %d)", \
				     (what), (arr)[i_].name, (arr)[j_].pos.line); \
} while (0)

static void check_uses(struct ctx *cx, const struct wf_troy_use *u, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(u[i].alias, u[j].alias) && strcmp(u[i].path, u[j].path))
				rerr(cx, &u[i].pos, "%s already names module %s (line %d); use %s as ANOTHER_NAME",
				     u[i].alias, u[j].path, u[j].pos.line, u[i].path);
}

static int has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static void resolve_pipeline(struct ctx *cx, struct wf_troy_pipeline_def *p, const struct wf_troy_scope *s)
{
	size_t i, j;

	p->parent = s;
	for (i = 1; i < p->nfrom; i++)
		if (has(p->from_ports, i, p->from_ports[i]))
			rerr(cx, &p->pos, "pipeline %s: port %s is declared twice", p->name, p->from_ports[i]);
	for (i = 1; i < p->ninto; i++)
		if (has(p->into_ports, i, p->into_ports[i]))
			rerr(cx, &p->pos, "pipeline %s: port %s is declared twice", p->name, p->into_ports[i]);
	check_uses(cx, p->uses, p->nuses);
	DUPS(cx, p->scripts, p->nscripts, "script");
	for (i = 0; i < p->nscript_uses; i++) {
		struct wf_troy_script_use *u = &p->script_uses[i];
		const char *name = u->target ? u->target : u->alias;
		for (j = 0; j < i; j++)
			if (!strcmp(p->script_uses[j].alias, u->alias))
				rerr(cx, &u->pos, "script %s is already created (line %d)", u->alias,
				     p->script_uses[j].pos.line);
		if (has(p->streams, p->nstreams, u->alias))
			rerr(cx, &u->pos, "%s is already a stream", u->alias);
		if (!strstr(name, "::"))
			for (j = 0; j < p->nscripts && !u->def; j++)
				if (!strcmp(p->scripts[j].name, name))
					u->def = &p->scripts[j];
		if (!u->def)
			u->def = find_def(s, p->uses, p->nuses, name, F_SCRIPT);
		if (!u->def)
			unknown(cx, &u->target_pos, s, p->uses, p->nuses, name, F_SCRIPT);
	}
	for (i = 0; i < p->nselects; i++) {
		struct wf_troy_select *sel = &p->selects[i];
		int script = 0;
		for (j = 0; j < p->nscript_uses; j++)
			script |= !strcmp(p->script_uses[j].alias, sel->from);
		if (!script && !has(p->from_ports, p->nfrom, sel->from) && !has(p->streams, p->nstreams, sel->from))
			rerr(cx, &sel->from_pos, "pipeline %s has no input port, stream or script %s",
			     p->name, sel->from);
		for (script = 0, j = 0; j < p->nscript_uses; j++)
			script |= !strcmp(p->script_uses[j].alias, sel->into);
		if (!script && !has(p->into_ports, p->ninto, sel->into) && !has(p->streams, p->nstreams, sel->into))
			rerr(cx, &sel->into_pos, "pipeline %s has no output port, stream or script %s",
			     p->name, sel->into);
	}
}

static void resolve_flow(struct ctx *cx, struct wf_troy_flow_def *f)
{
	size_t i, j;

	for (i = 0; i < f->ncreates; i++) {
		struct wf_troy_create *c = &f->creates[i];
		const char *name = c->target ? c->target : c->alias;
		int k = c->kind == WF_TROY_CONNECTOR ? F_CONNECTOR : F_PIPELINE;
		for (j = 0; j < i; j++)
			if (f->creates[j].kind == c->kind && !strcmp(f->creates[j].alias, c->alias))
				rerr(cx, &c->pos, "%s %s is already created (line %d)", kind_names[k], c->alias,
				     f->creates[j].pos.line);
		if (k == F_CONNECTOR)
			c->connector = wf_troy_find_connector(&f->scope, name);
		else
			c->pipeline = wf_troy_find_pipeline(&f->scope, name);
		if (!c->connector && !c->pipeline)
			unknown(cx, &c->target_pos, &f->scope, NULL, 0, name, k);
	}
	for (i = 0; i < f->nconnects; i++) {
		struct wf_troy_endpoint *ep[2] = { &f->connects[i].from, &f->connects[i].to };
		int e;
		for (e = 0; e < 2; e++) {
			for (j = 0; j < f->ncreates && !ep[e]->create; j++)
				if (f->creates[j].kind == ep[e]->kind && !strcmp(f->creates[j].alias, ep[e]->id))
					ep[e]->create = &f->creates[j];
			if (!ep[e]->create)
				rerr(cx, &ep[e]->pos, "flow %s creates no %s %s", f->name,
				     kind_names[ep[e]->kind == WF_TROY_CONNECTOR ? F_CONNECTOR : F_PIPELINE], ep[e]->id);
		}
	}
}

static void resolve_scope(struct ctx *cx, struct wf_troy_scope *s, const struct wf_troy_scope *parent)
{
	size_t i;

	s->parent = parent;
	check_uses(cx, s->uses, s->nuses);
	DUPS(cx, s->connectors, s->nconnectors, "connector");
	DUPS(cx, s->pipelines, s->npipelines, "pipeline");
	DUPS(cx, s->scripts, s->nscripts, "script");
	DUPS(cx, s->flows, s->nflows, "flow");
	for (i = 0; i < s->npipelines; i++)
		resolve_pipeline(cx, &s->pipelines[i], s);
	for (i = 0; i < s->nflows; i++) {
		resolve_scope(cx, &s->flows[i].scope, s);
		resolve_flow(cx, &s->flows[i]);
	}
}

static void resolve_module(struct ctx *cx, struct wf_troy_module *m)
{
	size_t i, j;

	resolve_scope(cx, &m->scope, NULL);
	for (i = 0; i < m->ndeploys; i++) {
		struct wf_troy_deploy *d = &m->deploys[i];
		for (j = 0; j < i; j++)
			if (!strcmp(m->deploys[j].alias, d->alias))
				rerr(cx, &d->pos, "flow %s is already deployed (line %d)", d->alias,
				     m->deploys[j].pos.line);
		d->flow = wf_troy_find_flow(&m->scope, d->target ? d->target : d->alias);
		if (!d->flow)
			unknown(cx, &d->target_pos, &m->scope, NULL, 0, d->target ? d->target : d->alias, F_FLOW);
	}
}

/* ---- files and modules ---- */

/* The whole file, malloc'd; NULL with errno set. */
static char *read_all(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *p = NULL, *q;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	errno = 0;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 16384;
			if (cap > MAX_FILE + 4096 + 1) {
				free(p);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			if (!(q = realloc(p, cap))) {
				free(p);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n - 1, f);
		n += r;
		if (n > MAX_FILE) {
			free(p);
			fclose(f);
			errno = EFBIG;
			return NULL;
		}
		if (r == 0) {
			int e = ferror(f) ? (errno ? errno : EIO) : 0;
			fclose(f);
			if (e) {
				free(p);
				errno = e;
				return NULL;
			}
			break;
		}
	}
	p[n] = 0;
	*len = n;
	return p;
}

/* Parse text (in the arena, NUL-terminated) as m, then resolve its names. */
static void parse_source(struct ctx *cx, struct wf_troy_module *m, const char *text, size_t len, int is_main)
{
	struct parser P = { 0 };
	size_t i;

	P.cx = cx;
	P.mod = m;
	P.is_main = is_main;
	P.src.file = m->file;
	P.src.text = text;
	P.src.len = len;
	troy_src_lines(&P.src, alloc_cb, cx);
	P.lx.src = &P.src;
	for (i = 0; i < len;) {
		size_t n = (unsigned char)text[i] < 0x80 ? 1 : wf_utf8_seq((const unsigned char *)text + i, len - i);
		if (!n)
			perr(&P, i, "invalid UTF-8");
		if (!text[i])
			perr(&P, i, "unexpected character U+0000");
		i += n;
	}
	parse_file(&P);
	resolve_module(cx, m);
}

static int builtin_module(const char *name)
{
	static const char *const tremor[] = { "tremor::system", "tremor::origin", "tremor::chash" };
	size_t i;

	if (!strcmp(name, "std") || !strncmp(name, "std::", 5))
		return 1;
	for (i = 0; i < sizeof tremor / sizeof *tremor; i++)
		if (!strcmp(name, tremor[i]))
			return 1;
	return 0;
}

static struct wf_troy_module *load_module(struct ctx *cx, const char *name, const struct wf_troy_pos *pos)
{
	static const char *const exts[] = { ".tremor", ".trickle", ".troy" };
	const struct wf_troy_path *path = cx->path;
	struct sbuf rel = { 0 }, file = { 0 }, searched = { 0 };
	struct modrec *rec;
	const char *s;
	char *text;
	size_t i, e, len;
	struct stat st;

	if (builtin_module(name))
		return NULL;
	for (i = 0; i < cx->nrecs; i++)
		if (!strcmp(cx->recs[i]->m.name, name)) {
			if (cx->recs[i]->loading)
				rerr(cx, pos, "module %s uses itself (a cycle of use)", name);
			return &cx->recs[i]->m;
		}
	if (cx->mdepth >= MAX_MODDEPTH)
		rerr(cx, pos, "modules nested too deeply (more than %d)", MAX_MODDEPTH);
	for (s = name; *s; s++) {
		if (*s == '/' || *s == '\\' || (*s == '.' && (s == name || s[-1] == ':')))
			rerr(cx, pos, "invalid module name %s", name);
		if (s[0] == ':' && s[1] == ':') {
			sb_put(cx, &rel, "/", 1);
			s++;
		} else {
			sb_put(cx, &rel, s, 1);
		}
	}
	for (i = 0; path && i < path->ndirs; i++) {
		for (e = 0; e < sizeof exts / sizeof *exts; e++) {
			file.n = 0;
			sb_str(cx, &file, path->dirs[i]);
			if (file.n && file.p[file.n - 1] != '/')
				sb_str(cx, &file, "/");
			sb_str(cx, &file, rel.p);
			sb_str(cx, &file, exts[e]);
			if (!stat(file.p, &st) && S_ISREG(st.st_mode))
				goto found;
		}
		if (searched.n)
			sb_str(cx, &searched, ", ");
		sb_str(cx, &searched, path->dirs[i]);
	}
	rerr(cx, pos, "module %s not found (searched: %s)", name, searched.n ? searched.p : "no directories");
found:
	if (!(text = read_all(file.p, &len)))
		rerr(cx, pos, "cannot read module %s: %s: %s", name, file.p, strerror(errno));
	rec = alloc(cx, sizeof *rec);
	rec->m.name = dup(cx, name);
	rec->m.file = dup(cx, file.p);
	rec->loading = 1;
	*PUSH(cx, cx->recs, cx->nrecs) = rec;
	*PUSH(cx, cx->t->mods, cx->t->nmods) = &rec->m;
	/* text is malloc'd: copy it to the arena before anything can fail */
	{
		char *t = dupn(cx, text, len);
		free(text);
		text = t;
	}
	cx->mdepth++;
	parse_source(cx, &rec->m, text, len, 0);
	cx->mdepth--;
	rec->loading = 0;
	return &rec->m;
}

/* ---- the API ---- */

/* The main file into cx->t: 0, or -1 with the error written. */
static int parse_main(struct ctx *cx, const char *name, const char *text, size_t len)
{
	struct wf_troy *t = cx->t;

	if (setjmp(cx->jb))
		return -1;
	t->main = alloc(cx, sizeof *t->main);
	t->main->name = dup(cx, "");
	t->main->file = dup(cx, name);
	if (len > MAX_FILE) {
		snprintf(cx->err, cx->errn, "%s: file too large (more than %u bytes)", name, MAX_FILE);
		return -1;
	}
	parse_source(cx, t->main, dupn(cx, text, len), len, 1);
	return 0;
}

struct wf_troy *wf_troy_parse(const char *name, const char *text, size_t len,
			      const struct wf_troy_path *path, char *err, size_t n)
{
	struct ctx cx;
	struct wf_troy *t = calloc(1, sizeof *t);
	struct arena *a = calloc(1, sizeof *a);

	if (n)
		err[0] = 0;
	if (!t || !a) {
		free(t);
		free(a);
		snprintf(err, n, "out of memory");
		return NULL;
	}
	t->arena = a;
	memset(&cx, 0, sizeof cx);
	cx.t = t;
	cx.a = a;
	cx.path = path;
	cx.err = err;
	cx.errn = n;
	if (parse_main(&cx, name, text, len)) {
		wf_troy_free(t);
		return NULL;
	}
	return t;
}

struct wf_troy *wf_troy_load(const char *file, const struct wf_troy_path *path, char *err, size_t n)
{
	size_t len;
	char *text = read_all(file, &len);
	struct wf_troy *t;

	if (!text) {
		snprintf(err, n, "%s: %s", file, errno == EFBIG ? "file too large" : strerror(errno));
		return NULL;
	}
	t = wf_troy_parse(file, text, len, path, err, n);
	free(text);
	return t;
}

void wf_troy_free(struct wf_troy *t)
{
	if (!t)
		return;
	arena_free(t->arena);
	free(t);
}

void wf_troy_error(char *err, size_t n, const struct wf_troy_pos *pos, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	char *text = NULL;
	size_t len = 0;
	const char *src = pos->src;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!src && pos->file && (text = read_all(pos->file, &len)))
		src = text;
	else if (src)
		len = strlen(src);
	troy_format_error(err, n, pos->file ? pos->file : "?", src, len, pos->line, pos->col, msg);
	free(text);
}

int wf_troy_path_init(struct wf_troy_path *p, const char *const *incl, size_t nincl,
		      const char *tremor_path, const char *shipped)
{
	size_t i, n = nincl + 1 + (shipped != NULL);
	const char *s;

	for (s = tremor_path; s && *s; s++)
		n += *s == ':';
	p->ndirs = 0;
	if (!(p->dirs = calloc(n, sizeof *p->dirs)))
		return -ENOMEM;
	for (i = 0; i < nincl; i++)
		if (!(p->dirs[p->ndirs++] = strdup(incl[i])))
			goto nomem;
	for (s = tremor_path; s && *s;) {
		size_t l = strcspn(s, ":");
		if (l && !(p->dirs[p->ndirs++] = strndup(s, l)))
			goto nomem;
		s += l + (s[l] == ':');
	}
	if (shipped && !(p->dirs[p->ndirs++] = strdup(shipped)))
		goto nomem;
	return 0;
nomem:
	wf_troy_path_free(p);
	return -ENOMEM;
}

void wf_troy_path_free(struct wf_troy_path *p)
{
	size_t i;

	for (i = 0; i < p->ndirs; i++)
		free((char *)p->dirs[i]);
	free(p->dirs);
	p->dirs = NULL;
	p->ndirs = 0;
}
