/* troy_tree: build troy expression trees by hand (the parser's job) for the
 * compiler and pipeline tests. Every node is remembered and freed by
 * tt_free_all. Positions: file "t.troy", line 1, the column counts nodes. */
#ifndef WF_TROY_TREE_H
#define WF_TROY_TREE_H

#include "troy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void **tt_all;
static size_t tt_n, tt_cap;
static int tt_col;

static void *tt_keep(void *p)
{
	if (tt_n == tt_cap) {
		tt_cap = tt_cap ? tt_cap * 2 : 64;
		tt_all = realloc(tt_all, tt_cap * sizeof *tt_all);
	}
	tt_all[tt_n++] = p;
	return p;
}

static char *tt_str(const char *s)
{
	return s ? tt_keep(strdup(s)) : NULL;
}

static void tt_free_all(void)
{
	while (tt_n)
		free(tt_all[--tt_n]);
	free(tt_all);
	tt_all = NULL;
	tt_cap = 0;
}

/* A node with the kids that follow, up to a NULL. */
static struct wf_texpr *tt_node(enum wf_texpr_kind k, const char *lit, ...)
{
	struct wf_texpr *e = tt_keep(calloc(1, sizeof *e));
	struct wf_texpr *kid;
	va_list ap;

	e->kind = k;
	e->lit = tt_str(lit);
	e->pos.file = "t.troy";
	e->pos.line = 1;
	e->pos.col = ++tt_col;
	va_start(ap, lit);
	while ((kid = va_arg(ap, struct wf_texpr *)) != NULL) {
		if (!e->nkids)
			e->kids = tt_keep(calloc(16, sizeof *e->kids));
		e->kids[e->nkids++] = kid;
	}
	va_end(ap);
	return e;
}

#define LIT(s) tt_node(WF_TE_LIT, (s), NULL)
#define STR(...) tt_node(WF_TE_STR, NULL, __VA_ARGS__, NULL)
#define STR0() tt_node(WF_TE_STR, NULL, NULL)
#define REC(...) tt_node(WF_TE_RECORD, NULL, __VA_ARGS__, NULL)
#define REC0() tt_node(WF_TE_RECORD, NULL, NULL)
#define ARR(...) tt_node(WF_TE_ARRAY, NULL, __VA_ARGS__, NULL)
#define ARR0() tt_node(WF_TE_ARRAY, NULL, NULL)
#define PATH(root, ...) tt_node(WF_TE_PATH, (root), __VA_ARGS__, NULL)
#define ROOT(root) tt_node(WF_TE_PATH, (root), NULL)
#define CALL(fn, ...) tt_node(WF_TE_CALL, (fn), __VA_ARGS__, NULL)
#define BIN(op, l, r) tt_node(WF_TE_BIN, (op), (l), (r), NULL)
#define UN(op, x) tt_node(WF_TE_UN, (op), (x), NULL)
#define PRESENT(p) tt_node(WF_TE_PRESENT, "present", (p), NULL)
#define ABSENT(p) tt_node(WF_TE_PRESENT, "absent", (p), NULL)
#define KEY(k) LIT("\"" k "\"")

/* Give e the column col (C leaves the order of arguments open, so the
 * counted columns of siblings are not known). */
static inline struct wf_texpr *tt_at(struct wf_texpr *e, int col)
{
	e->pos.col = col;
	return e;
}
#define AT(e, col) tt_at((e), (col))

/* Script statements and definitions. */
static inline struct wf_troy_script_def *tt_script(const char *name, size_t n, ...)
{
	struct wf_troy_script_def *s = tt_keep(calloc(1, sizeof *s));
	va_list ap;
	size_t i;

	s->name = tt_str(name);
	s->stmts = tt_keep(calloc(n ? n : 1, sizeof *s->stmts));
	s->nstmts = n;
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		s->stmts[i].target = va_arg(ap, struct wf_texpr *);
		s->stmts[i].value = va_arg(ap, struct wf_texpr *);
	}
	va_end(ap);
	return s;
}

/* Bindings: name, expr pairs up to a NULL name. */
static inline struct wf_troy_bindings tt_bind(const char *name, ...)
{
	struct wf_troy_bindings b = { 0 };
	va_list ap;

	b.v = tt_keep(calloc(16, sizeof *b.v));
	va_start(ap, name);
	while (name) {
		b.v[b.n].name = tt_str(name);
		b.v[b.n].value = va_arg(ap, struct wf_texpr *);
		b.v[b.n].pos.file = "t.troy";
		b.v[b.n].pos.line = 2;
		b.v[b.n].pos.col = (int)b.n + 1;
		b.n++;
		name = va_arg(ap, const char *);
	}
	va_end(ap);
	return b;
}

#endif
