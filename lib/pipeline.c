#include "pipeline.h"
#include "b64.h"
#include "cli.h"
#include "envelope.h"
#include "io.h"
#include "json.h"
#include "loop.h"
#include "troy_jq.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (64 * 1024)
#define INPUT_MAX 4096

/* A compiled expression. */
enum ekind {
	E_NONE,		/* no where / having */
	E_PASS,		/* the bare `event`: the value passes unchanged */
	E_CONST,	/* reads only args: evaluated once, text holds the JSON */
	E_EQ,		/* `event == "lit"` or `!=` (text holds the literal) */
	E_JQ,		/* a jq program */
};

struct expr {
	enum ekind kind;
	int neg;		/* E_EQ: != */
	int truth;		/* E_CONST: the value is true */
	struct wf_buf text;
	jv lit;			/* E_EQ: the literal as a value */
	jq_state *jq;
	unsigned uses;
	const jv *args;		/* what `args` is: the pipeline's or a script's */
};

enum tkind { T_OUT, T_SCRIPT, T_STREAM };

struct sel {
	const struct wf_troy_select *s;
	struct expr where, expr, having;
	enum tkind tk;
	size_t target;		/* out port, script, or node */
};

/* Where events arrive: input ports, then scripts, then streams. */
struct node {
	const char *name;
	size_t *sels;		/* the selects that read from it, in order */
	size_t nsels;
};

struct script {
	const struct wf_troy_script_use *use;
	const struct wf_troy_script_def *def;
	jq_state *jq;
	unsigned flags, uses;
	jv args;
	size_t node;
};

struct pl;

struct writer {
	struct pl *p;
	struct wf_writer w;
	int fd;			/* as the spec gives it */
	int own;		/* w.fd is our non-blocking descriptor */
	int blocked;		/* waiting for POLLOUT */
	int closed;		/* the reader is gone (EPIPE): events are dropped */
	const char *name;	/* a port on it, for messages */
};

struct outport {
	const char *name;
	int w;			/* writer, or -1: not connected */
};

struct inport {
	struct pl *p;
	const char *name;
	int fd;
	size_t node;
	struct wf_reader r;
	int done;
	unsigned char *reach;	/* per writer: control events go there */
};

struct pl {
	const struct wf_pipeline_spec *spec;
	const struct wf_troy_pipeline_def *def;
	const char *alias;
	const char *args_json;
	jv args;
	struct wf_troy_jq_env env;
	const char *const *from;	/* declared ports */
	size_t nfrom;
	const char *const *into;
	size_t ninto;
	struct node *nodes;
	size_t nnodes, script0, stream0;
	struct sel *sels;
	size_t nsels;
	struct script *scripts;
	size_t nscripts;
	struct outport *outs;	/* one per declared output port */
	struct inport *ins;	/* the connected input ports */
	size_t nins;
	struct writer *ws;
	size_t nws;
	int err_w;		/* the writer of the err port, or -1 */
	struct wf_errsink sink, *err;
	char prog[256];
	struct wf_loop *loop;
	int blocked;		/* writers waiting for POLLOUT */
	int rc;
	char what[256];
	struct wf_buf dbuf, mbuf, tmp1, tmp2;
	char emsg[1024];
};

static const char *const default_from[] = { "in" };
static const char *const default_into[] = { "out", "err" };

/* The event in flight: the envelope it came in, its data (the envelope's
 * own, a constant's JSON text, or a value) and its meta. */
struct cur {
	const struct wf_event *ev;
	int dorig;		/* data is the envelope's data or bytes member */
	const char *dtext;	/* else, when set: this JSON text */
	size_t dlen;
	int dhave;		/* dval holds the value (for dorig/dtext: parsed) */
	jv dval;
	int mset;		/* mval is a new $ (a script assigned it) */
	int mhave;		/* mval holds $ */
	jv mval;
};

static void cur_child(struct cur *d, const struct cur *s)
{
	*d = *s;
	if (d->dhave)
		d->dval = jv_copy(s->dval);
	if (d->mhave)
		d->mval = jv_copy(s->mval);
}

static void cur_free(struct cur *c)
{
	if (c->dhave)
		jv_free(c->dval);
	if (c->mhave)
		jv_free(c->mval);
	c->dhave = c->mhave = 0;
}

static void cur_set_value(struct cur *c, jv v)
{
	if (c->dhave)
		jv_free(c->dval);
	c->dorig = 0;
	c->dtext = NULL;
	c->dval = v;
	c->dhave = 1;
}

static void cur_set_text(struct cur *c, const char *t, size_t n)
{
	if (c->dhave)
		jv_free(c->dval);
	c->dhave = 0;
	c->dorig = 0;
	c->dtext = t;
	c->dlen = n;
}

static void cur_set_meta(struct cur *c, jv v)
{
	if (c->mhave)
		jv_free(c->mval);
	c->mval = v;
	c->mhave = 1;
	c->mset = 1;
}

static void fail(char *msg, size_t n, const struct wf_troy_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(char *msg, size_t n, const struct wf_troy_pos *pos, const char *fmt, ...)
{
	char m[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (pos && pos->file)
		wf_troy_error(msg, n, pos, "%s", m);	/* as the parser's errors read */
	else
		snprintf(msg, n, "%s", m);
}

/* Setup: ports, nodes, scripts, selects. */

static long find(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (long)i;
	return -1;
}

static long find_script(const struct pl *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nscripts; i++)
		if (!strcmp(p->scripts[i].use->alias, name))
			return (long)i;
	return -1;
}

static long find_stream(const struct pl *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->def->nstreams; i++)
		if (!strcmp(p->def->streams[i], name))
			return (long)i;
	return -1;
}

static int is_eq_lit(const struct wf_texpr *e)
{
	return e->kind == WF_TE_LIT && e->lit &&
	       (e->lit[0] == '"' || !strcmp(e->lit, "true") || !strcmp(e->lit, "false") ||
		!strcmp(e->lit, "null"));
}

/* `event == LIT` or `LIT != event` with a string, bool or null literal. */
static const struct wf_texpr *eq_fast(const struct wf_texpr *e, int *neg)
{
	if (e->kind != WF_TE_BIN || e->nkids != 2 || !e->lit || (strcmp(e->lit, "==") && strcmp(e->lit, "!=")))
		return NULL;
	*neg = e->lit[0] == '!';
	if (wf_troy_is_event(e->kids[0]) && is_eq_lit(e->kids[1]))
		return e->kids[1];
	if (wf_troy_is_event(e->kids[1]) && is_eq_lit(e->kids[0]))
		return e->kids[0];
	return NULL;
}

static int compile_prog(struct expr *x, const struct wf_buf *prog, const struct wf_troy_pos *pos,
			char *msg, size_t n)
{
	char jerr[512];

	x->jq = wf_troy_jq_compile(prog->p, jerr, sizeof jerr);
	if (!x->jq) {
		fail(msg, n, pos, "the expression does not compile in jq: %s", jerr);
		return -EINVAL;
	}
	return 0;
}

/* cond: a where or having (only its truth counts). */
static int compile_expr(struct pl *p, struct expr *x, const struct wf_texpr *e, const jv *args,
			const char *args_json, int cond, char *msg, size_t n)
{
	const struct wf_texpr *lit;
	struct wf_json_err jerr;
	struct wf_buf prog;
	int rc;

	wf_buf_init(&x->text, (size_t)-1);
	x->args = args;
	if (!e) {
		x->kind = E_NONE;
		return 0;
	}
	x->uses = wf_troy_uses(e);
	if (!cond && wf_troy_is_event(e)) {
		x->kind = E_PASS;
		return 0;
	}
	if (!(x->uses & (WF_USES_EVENT | WF_USES_META | WF_USES_STATE | WF_USES_LOCALS))) {
		if (wf_troy_eval_const_env(e, args_json, &p->env, &x->text, msg, n))
			return -EINVAL;
		x->kind = E_CONST;
		x->truth = x->text.len == 4 && !memcmp(x->text.p, "true", 4);
		return 0;
	}
	if (cond && (lit = eq_fast(e, &x->neg)) != NULL &&
	    wf_json_compact(&x->text, lit->lit, lit->lit + strlen(lit->lit), 0, &jerr) == 1) {
		x->lit = jv_parse_sized(x->text.p, (int)x->text.len);
		if (jv_is_valid(x->lit)) {
			x->kind = E_EQ;
			return 0;
		}
		jv_free(x->lit);
		x->text.len = 0;
	}
	wf_buf_init(&prog, (size_t)-1);
	if (wf_troy_jq_env(&prog, e, &p->env, msg, n) || wf_buf_addc(&prog, 0)) {
		wf_buf_free(&prog);
		return -EINVAL;
	}
	rc = compile_prog(x, &prog, &e->pos, msg, n);
	wf_buf_free(&prog);
	if (!rc)
		x->kind = E_JQ;
	return rc;
}

static void expr_free(struct expr *x)
{
	if (x->jq)
		jq_teardown(&x->jq);
	if (x->kind == E_EQ)
		jv_free(x->lit);
	wf_buf_free(&x->text);
	x->kind = E_NONE;
}

static int setup_scripts(struct pl *p, char *msg, size_t n)
{
	const struct wf_troy_pipeline_def *d = p->def;
	size_t i, j;

	p->nscripts = d->nscript_uses;
	p->scripts = calloc(d->nscript_uses + 1, sizeof *p->scripts);
	if (!p->scripts)
		return -ENOMEM;
	for (i = 0; i < d->nscript_uses; i++) {
		struct script *s = &p->scripts[i];
		const struct wf_troy_script_use *u = &d->script_uses[i];
		const char *target = u->target ? u->target : u->alias;
		struct wf_buf prog;
		struct expr x = { 0 };
		int rc;

		s->use = u;
		s->args = jv_null();
		s->def = u->def;
		for (j = 0; !s->def && j < d->nscripts; j++)
			if (!strcmp(d->scripts[j].name, target))
				s->def = &d->scripts[j];
		if (!s->def) {
			fail(msg, n, &u->pos, "unknown script `%s`", target);
			return -EINVAL;
		}
		wf_buf_init(&prog, (size_t)-1);
		if (wf_troy_args(&prog, &s->def->args, &u->with, p->args_json, msg, n)) {
			wf_buf_free(&prog);
			return -EINVAL;
		}
		jv_free(s->args);
		s->args = jv_parse_sized(prog.p, (int)prog.len);
		prog.len = 0;
		if (wf_troy_jq_script(&prog, s->def, &p->env, &s->flags, &s->uses, msg, n) ||
		    wf_buf_addc(&prog, 0)) {
			wf_buf_free(&prog);
			return -EINVAL;
		}
		rc = compile_prog(&x, &prog, &s->def->pos, msg, n);
		wf_buf_free(&prog);
		if (rc)
			return rc;
		s->jq = x.jq;
		s->node = p->script0 + i;
	}
	return 0;
}

static int add_sel(struct node *nd, size_t si)
{
	size_t *v = realloc(nd->sels, (nd->nsels + 1) * sizeof *v);

	if (!v)
		return -ENOMEM;
	v[nd->nsels++] = si;
	nd->sels = v;
	return 0;
}

static int setup_selects(struct pl *p, char *msg, size_t n)
{
	const struct wf_troy_pipeline_def *d = p->def;
	size_t i;
	int rc;

	p->nsels = d->nselects;
	p->sels = calloc(d->nselects + 1, sizeof *p->sels);
	if (!p->sels)
		return -ENOMEM;
	for (i = 0; i < d->nselects; i++) {
		const struct wf_troy_select *s = &d->selects[i];
		struct sel *x = &p->sels[i];
		long k;
		size_t node;

		x->s = s;
		/* from: an input port, a script's output, a stream */
		if ((k = find(p->from, p->nfrom, s->from)) >= 0 && !s->from_port) {
			node = (size_t)k;
		} else if ((k = find_script(p, s->from)) >= 0 &&
			   (!s->from_port || !strcmp(s->from_port, "out"))) {
			node = p->script0 + (size_t)k;
		} else if ((k = find_stream(p, s->from)) >= 0 && !s->from_port) {
			node = p->stream0 + (size_t)k;
		} else if (k >= 0 || find(p->from, p->nfrom, s->from) >= 0) {
			fail(msg, n, &s->pos, "`%s` has no port `%s` to select from", s->from, s->from_port);
			return -EINVAL;
		} else {
			fail(msg, n, &s->pos, "unknown stream `%s`: not an input port, script or stream of `%s`",
			     s->from, d->name);
			return -EINVAL;
		}
		/* into: an output port, a script, a stream */
		if ((k = find(p->into, p->ninto, s->into)) >= 0 && !s->into_port) {
			x->tk = T_OUT;
			x->target = (size_t)k;
		} else if ((k = find_script(p, s->into)) >= 0 &&
			   (!s->into_port || !strcmp(s->into_port, "in"))) {
			x->tk = T_SCRIPT;
			x->target = (size_t)k;
		} else if ((k = find_stream(p, s->into)) >= 0 && !s->into_port) {
			x->tk = T_STREAM;
			x->target = p->stream0 + (size_t)k;
		} else if (k >= 0 || find(p->into, p->ninto, s->into) >= 0) {
			fail(msg, n, &s->pos, "`%s` has no port `%s` to select into", s->into, s->into_port);
			return -EINVAL;
		} else {
			fail(msg, n, &s->pos, "unknown stream `%s`: not an output port, script or stream of `%s`",
			     s->into, d->name);
			return -EINVAL;
		}
		if ((rc = compile_expr(p, &x->where, s->where, &p->args, p->args_json, 1, msg, n)) ||
		    (rc = compile_expr(p, &x->expr, s->expr, &p->args, p->args_json, 0, msg, n)) ||
		    (rc = compile_expr(p, &x->having, s->having, &p->args, p->args_json, 1, msg, n)))
			return rc;
		if ((rc = add_sel(&p->nodes[node], i)))
			return rc;
	}
	return 0;
}

/* The node a select leads to, or -1 for an output port. */
static long sel_next(const struct pl *p, const struct sel *s)
{
	if (s->tk == T_SCRIPT)
		return (long)p->scripts[s->target].node;
	if (s->tk == T_STREAM)
		return (long)s->target;
	return -1;
}

/* Selects that feed a script or stream back into itself are refused. */
static int loops(const struct pl *p, size_t node, unsigned char *state, char *msg, size_t n)
{
	size_t i;

	state[node] = 1;
	for (i = 0; i < p->nodes[node].nsels; i++) {
		const struct sel *s = &p->sels[p->nodes[node].sels[i]];
		long next = sel_next(p, s);
		if (next < 0 || state[next] == 2)
			continue;
		if (state[next] == 1) {
			fail(msg, n, &s->s->pos, "select into `%s` makes a loop", s->s->into);
			return -EINVAL;
		}
		if (loops(p, (size_t)next, state, msg, n))
			return -EINVAL;
	}
	state[node] = 2;
	return 0;
}

static void pl_free(struct pl *p)
{
	size_t i;

	for (i = 0; p->sels && i < p->nsels; i++) {
		expr_free(&p->sels[i].where);
		expr_free(&p->sels[i].expr);
		expr_free(&p->sels[i].having);
	}
	free(p->sels);
	for (i = 0; p->scripts && i < p->nscripts; i++) {
		if (p->scripts[i].jq)
			jq_teardown(&p->scripts[i].jq);
		jv_free(p->scripts[i].args);
	}
	free(p->scripts);
	for (i = 0; p->nodes && i < p->nnodes; i++)
		free(p->nodes[i].sels);
	free(p->nodes);
	for (i = 0; p->ins && i < p->nins; i++) {
		wf_reader_free(&p->ins[i].r);
		free(p->ins[i].reach);
	}
	free(p->ins);
	for (i = 0; p->ws && i < p->nws; i++) {
		wf_writer_free(&p->ws[i].w);
		if (p->ws[i].own)
			close(p->ws[i].w.fd);
	}
	free(p->ws);
	free(p->outs);
	jv_free(p->args);
	wf_buf_free(&p->dbuf);
	wf_buf_free(&p->mbuf);
	wf_buf_free(&p->tmp1);
	wf_buf_free(&p->tmp2);
	if (p->loop)
		wf_loop_free(p->loop);
}

/* Everything that does not need the fds. */
static int compile(struct pl *p, const struct wf_pipeline_spec *spec, char *msg, size_t n)
{
	const struct wf_troy_pipeline_def *d = spec->def;
	unsigned char *state;
	size_t i;
	int rc;

	memset(p, 0, sizeof *p);
	p->args = jv_null();
	p->err_w = -1;
	wf_buf_init(&p->dbuf, (size_t)-1);
	wf_buf_init(&p->mbuf, (size_t)-1);
	wf_buf_init(&p->tmp1, (size_t)-1);
	wf_buf_init(&p->tmp2, (size_t)-1);
	if (!d) {
		snprintf(msg, n, "no pipeline definition");
		return -EINVAL;
	}
	p->spec = spec;
	p->def = d;
	p->alias = spec->alias ? spec->alias : d->name;
	p->args_json = spec->args_json ? spec->args_json : "{}";
	jv_free(p->args);
	p->args = jv_parse(p->args_json);
	if (jv_get_kind(p->args) != JV_KIND_OBJECT) {
		snprintf(msg, n, "pipeline %s: args are not a JSON object", p->alias);
		return -EINVAL;
	}
	p->env.uses[0] = d->uses;
	p->env.nuses[0] = d->nuses;
	p->env.scope = d->parent;
	p->env.no_locals = 1;
	p->from = d->nfrom ? (const char *const *)d->from_ports : default_from;
	p->nfrom = d->nfrom ? d->nfrom : 1;
	p->into = d->ninto ? (const char *const *)d->into_ports : default_into;
	p->ninto = d->ninto ? d->ninto : 2;
	p->script0 = p->nfrom;
	p->stream0 = p->script0 + d->nscript_uses;
	p->nnodes = p->stream0 + d->nstreams;
	p->nodes = calloc(p->nnodes + 1, sizeof *p->nodes);
	if (!p->nodes)
		return -ENOMEM;
	for (i = 0; i < p->nfrom; i++)
		p->nodes[i].name = p->from[i];
	for (i = 0; i < d->nscript_uses; i++)
		p->nodes[p->script0 + i].name = d->script_uses[i].alias;
	for (i = 0; i < d->nstreams; i++)
		p->nodes[p->stream0 + i].name = d->streams[i];
	if ((rc = setup_scripts(p, msg, n)) || (rc = setup_selects(p, msg, n)))
		return rc;
	state = calloc(p->nnodes + 1, 1);
	if (!state)
		return -ENOMEM;
	for (i = 0; i < p->nnodes && !rc; i++)
		if (!state[i])
			rc = loops(p, i, state, msg, n);
	free(state);
	return rc;
}

/* The spec's ports against the declared ones. */
static int check_ports(struct pl *p, char *msg, size_t n)
{
	const struct wf_pipeline_spec *spec = p->spec;
	size_t i;

	for (i = 0; i < spec->nin; i++)
		if (find(p->from, p->nfrom, spec->in[i].name) < 0) {
			fail(msg, n, &p->def->pos, "pipeline `%s` has no input port `%s`", p->def->name,
			     spec->in[i].name);
			return -EINVAL;
		}
	for (i = 0; i < spec->nout; i++)
		if (find(p->into, p->ninto, spec->out[i].name) < 0) {
			fail(msg, n, &p->def->pos, "pipeline `%s` has no output port `%s`", p->def->name,
			     spec->out[i].name);
			return -EINVAL;
		}
	return 0;
}

int wf_pipeline_check(const struct wf_pipeline_spec *spec, char *msg, size_t n)
{
	struct pl p;
	int rc = compile(&p, spec, msg, n);

	if (!rc)
		rc = check_ports(&p, msg, n);
	if (rc == -ENOMEM)
		snprintf(msg, n, "out of memory");
	pl_free(&p);
	return rc;
}

/* Error events. */

static void report(struct pl *p, const struct wf_event *ev, const char *input, size_t in_n,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(struct pl *p, const struct wf_event *ev, const char *input, size_t in_n,
		   const char *fmt, ...)
{
	long long stream = ev ? wf_env_stream(ev) : -1;
	struct writer *w = p->err_w >= 0 ? &p->ws[p->err_w] : NULL;
	char msg[1024];
	struct wf_buf *b;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	len = strlen(msg);
	while (len && !wf_utf8_valid((const unsigned char *)msg, len))
		len--;
	msg[len] = 0;
	if (!w) {
		wf_err_event(p->err, ev, stream, input, in_n, "%s", msg);
		return;
	}
	p->err->count++;
	if (w->closed)
		return;
	/* through the err port's writer: lines stay whole among the selects' */
	b = &w->w.buf;
	wf_buf_adds(b, "{\"data\":{\"error\":");
	wf_json_escape(b, msg, len);
	wf_buf_adds(b, ",\"source\":");
	wf_json_escape(b, p->alias, strlen(p->alias));
	if (stream >= 0)
		wf_buf_addf(b, ",\"stream\":%lld", stream);
	if (input) {
		if (in_n > INPUT_MAX) {
			in_n = INPUT_MAX;
			while (in_n > INPUT_MAX - 3 && ((unsigned char)input[in_n] & 0xc0) == 0x80)
				in_n--;
		}
		if (wf_utf8_valid((const unsigned char *)input, in_n)) {
			wf_buf_adds(b, ",\"input\":");
			wf_json_escape(b, input, in_n);
		} else if (!wf_buf_adds(b, ",\"input_bytes\":\"") && !wf_buf_reserve(b, wf_b64_enclen(in_n) + 1)) {
			b->len += wf_b64_encode((const unsigned char *)input, in_n, b->p + b->len);
			wf_buf_addc(b, '"');
		}
	}
	wf_buf_addc(b, '}');
	if (ev && ev->meta.k) {
		wf_buf_adds(b, ",\"meta\":");
		wf_buf_add(b, ev->meta.v, (size_t)(ev->meta.ve - ev->meta.v));
	}
	if (ev && ev->origin.k) {
		wf_buf_adds(b, ",\"origin\":");
		wf_buf_add(b, ev->origin.v, (size_t)(ev->origin.ve - ev->origin.v));
	}
	wf_buf_adds(b, "}\n");
}

static void stop(struct pl *p, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void stop(struct pl *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!p->rc) {
		p->rc = rc;
		va_start(ap, fmt);
		vsnprintf(p->what, sizeof p->what, fmt, ap);
		va_end(ap);
	}
	wf_loop_stop(p->loop);
}

/* Values. */

/* The event's value (a copy in *out): 0, or -1 with p->emsg filled. */
static int cur_event(struct pl *p, struct cur *c, jv *out)
{
	if (!c->dhave) {
		const struct wf_event *ev = c->ev;
		jv v;

		if (c->dtext) {
			v = jv_parse_sized(c->dtext, (int)c->dlen);
		} else if (ev->kind == WF_BYTES) {
			int rc;
			p->tmp1.len = 0;
			rc = wf_env_b64(&p->tmp1, ev->bytes.v + 1, ev->bytes.ve - 1);
			if (rc) {
				snprintf(p->emsg, sizeof p->emsg, rc == -EINVAL ? "bytes is not valid base64" : "out of memory");
				return -1;
			}
			if (!wf_utf8_valid((const unsigned char *)p->tmp1.p, p->tmp1.len)) {
				snprintf(p->emsg, sizeof p->emsg, "the binary payload is not UTF-8 text");
				return -1;
			}
			v = jv_string_sized(p->tmp1.len ? p->tmp1.p : "", (int)p->tmp1.len);
		} else {
			v = jv_parse_sized(ev->data.v, (int)(ev->data.ve - ev->data.v));
		}
		if (!jv_is_valid(v)) {
			jv m = jv_invalid_get_msg(v);
			snprintf(p->emsg, sizeof p->emsg, "data: %s",
				 jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "not JSON");
			jv_free(m);
			return -1;
		}
		c->dval = v;
		c->dhave = 1;
	}
	*out = jv_copy(c->dval);
	return 0;
}

static int cur_meta(struct pl *p, struct cur *c, jv *out)
{
	if (!c->mhave) {
		const struct wf_event *ev = c->ev;
		jv v = ev->meta.k ? jv_parse_sized(ev->meta.v, (int)(ev->meta.ve - ev->meta.v)) : jv_object();
		if (!jv_is_valid(v)) {
			jv_free(v);
			snprintf(p->emsg, sizeof p->emsg, "meta: not JSON");
			return -1;
		}
		c->mval = v;
		c->mhave = 1;
	}
	*out = jv_copy(c->mval);
	return 0;
}

/* Run a program on the event: 0 and the value, or -1 with p->emsg. */
static int run_jq(struct pl *p, jq_state *jq, unsigned uses, const jv *args, struct cur *c, jv *out)
{
	jv in = jv_object(), v;

	if (uses & WF_USES_EVENT) {
		if (cur_event(p, c, &v)) {
			jv_free(in);
			return -1;
		}
	} else {
		v = jv_null();
	}
	in = jv_object_set(in, jv_string("event"), v);
	if (uses & WF_USES_META) {
		if (cur_meta(p, c, &v)) {
			jv_free(in);
			return -1;
		}
	} else {
		v = jv_object();
	}
	in = jv_object_set(in, jv_string("meta"), v);
	in = jv_object_set(in, jv_string("args"), jv_copy(*args));
	in = jv_object_set(in, jv_string("state"), jv_null());
	in = jv_object_set(in, jv_string("locals"), jv_object());
	return wf_troy_jq_run(jq, in, out, p->emsg, sizeof p->emsg);
}

/* Whether JSON texts a (validated) and l (a compact literal) are equal. */
static int raw_eq(struct pl *p, const char *a, size_t an, const char *l, size_t ln)
{
	if (*l != '"' || (!memchr(a, '\\', an) && !memchr(l, '\\', ln)))
		return an == ln && !memcmp(a, l, ln);
	if (!an || *a != '"')
		return 0;
	p->tmp1.len = p->tmp2.len = 0;
	if (wf_json_unescape(&p->tmp1, a + 1, a + an - 1) || wf_json_unescape(&p->tmp2, l + 1, l + ln - 1))
		return 0;
	return p->tmp1.len == p->tmp2.len && !memcmp(p->tmp1.p, p->tmp2.p, p->tmp1.len);
}

/* A where or having: 1, 0, or -1 with p->emsg. */
static int cond(struct pl *p, struct expr *x, struct cur *c)
{
	jv v;
	int r;

	switch (x->kind) {
	case E_NONE:
		return 1;
	case E_CONST:
		return x->truth;
	case E_EQ:
		if (c->dorig && c->ev->kind == WF_BYTES) {
			/* as Tremor compares bytes with a string: by their bytes */
			const struct wf_event *ev = c->ev;
			p->tmp1.len = p->tmp2.len = 0;
			if ((r = wf_env_b64(&p->tmp1, ev->bytes.v + 1, ev->bytes.ve - 1))) {
				snprintf(p->emsg, sizeof p->emsg, r == -EINVAL ? "bytes is not valid base64" : "out of memory");
				return -1;
			}
			r = x->text.p[0] == '"' &&
			    !wf_json_unescape(&p->tmp2, x->text.p + 1, x->text.p + x->text.len - 1) &&
			    p->tmp1.len == p->tmp2.len && !memcmp(p->tmp1.p, p->tmp2.p, p->tmp1.len);
		} else if (c->dtext)
			r = raw_eq(p, c->dtext, c->dlen, x->text.p, x->text.len);
		else if (c->dorig && c->ev->kind == WF_DATA)
			r = raw_eq(p, c->ev->data.v, (size_t)(c->ev->data.ve - c->ev->data.v), x->text.p,
				   x->text.len);
		else if (cur_event(p, c, &v))
			return -1;
		else
			r = jv_equal(v, jv_copy(x->lit));
		return r ^ x->neg;
	case E_JQ:
		if (run_jq(p, x->jq, x->uses, x->args, c, &v))
			return -1;
		r = jv_get_kind(v) == JV_KIND_TRUE;
		jv_free(v);
		return r;
	case E_PASS:
		break;
	}
	return 0;
}

/* Output. */

struct edit {
	const char *from, *to;	/* the span of the line replaced */
	const char *pre;	/* written before the text */
	const char *s;
	size_t n;
	const char *post;
};

/* ev's line with the changed data and meta spliced in, then '\n'. */
static int compose(struct pl *p, struct wf_buf *b, struct cur *c)
{
	const struct wf_event *ev = c->ev;
	struct edit e[2];
	size_t ne = 0, i;
	const char *at = ev->line;
	int rc;

	if (!c->dorig) {
		const char *s = c->dtext;
		size_t n = c->dlen;
		if (!s) {
			p->dbuf.len = 0;
			if ((rc = wf_troy_jv_dump(&p->dbuf, c->dval)))
				return rc;
			s = p->dbuf.p;
			n = p->dbuf.len;
		}
		if (ev->data.k)
			e[ne++] = (struct edit){ ev->data.v, ev->data.ve, "", s, n, "" };
		else	/* a binary event gets a value: the bytes member becomes data */
			e[ne++] = (struct edit){ ev->bytes.k, ev->bytes.ve, "\"data\":", s, n, "" };
	}
	if (c->mset) {
		p->mbuf.len = 0;
		if ((rc = wf_troy_jv_dump(&p->mbuf, c->mval)))
			return rc;
		if (ev->meta.k) {
			e[ne++] = (struct edit){ ev->meta.v, ev->meta.ve, "", p->mbuf.p, p->mbuf.len, "" };
		} else {
			const char *brace = memchr(ev->line, '{', (size_t)(ev->end - ev->line));
			e[ne++] = (struct edit){ brace + 1, brace + 1, "\"meta\":", p->mbuf.p, p->mbuf.len, "," };
		}
	}
	if (ne == 2 && (e[1].from < e[0].from || (e[1].from == e[0].from && e[1].to < e[0].to))) {
		struct edit t = e[0];
		e[0] = e[1];
		e[1] = t;
	}
	for (i = 0; i < ne; i++) {
		if ((rc = wf_buf_add(b, at, (size_t)(e[i].from - at))) || (rc = wf_buf_adds(b, e[i].pre)) ||
		    (rc = wf_buf_add(b, e[i].s, e[i].n)) || (rc = wf_buf_adds(b, e[i].post)))
			return rc;
		at = e[i].to;
	}
	if ((rc = wf_buf_add(b, at, (size_t)(ev->end - at))))
		return rc;
	return wf_buf_addc(b, '\n');
}

static int flush_w(struct pl *p, struct writer *w);

static void emit(struct pl *p, size_t port, struct cur *c)
{
	struct writer *w;
	int rc;

	if (p->outs[port].w < 0)
		return;		/* not connected: dropped, as in Tremor */
	w = &p->ws[p->outs[port].w];
	if (w->closed)
		return;
	if ((rc = compose(p, &w->w.buf, c)))
		stop(p, rc, "out of memory");
}

static void dispatch(struct pl *p, size_t node, struct cur *c);

static void run_script(struct pl *p, struct script *s, struct cur *c)
{
	struct cur o;
	jv r;

	if (run_jq(p, s->jq, s->uses, &s->args, c, &r)) {
		report(p, c->ev, NULL, 0, "%s", p->emsg);
		return;
	}
	cur_child(&o, c);
	if (s->flags & WF_SCRIPT_META)
		cur_set_meta(&o, jv_array_get(jv_copy(r), 0));
	if (!(s->flags & WF_SCRIPT_PASS))
		cur_set_value(&o, jv_array_get(jv_copy(r), 1));
	jv_free(r);
	dispatch(p, s->node, &o);
	cur_free(&o);
}

static void run_select(struct pl *p, struct sel *s, struct cur *c)
{
	struct cur o;
	jv v;
	int r;

	if ((r = cond(p, &s->where, c)) <= 0) {
		if (r < 0)
			report(p, c->ev, NULL, 0, "%s", p->emsg);
		return;
	}
	cur_child(&o, c);
	if (s->expr.kind == E_CONST) {
		cur_set_text(&o, s->expr.text.p, s->expr.text.len);
	} else if (s->expr.kind == E_JQ) {
		if (run_jq(p, s->expr.jq, s->expr.uses, s->expr.args, c, &v)) {
			report(p, c->ev, NULL, 0, "%s", p->emsg);
			cur_free(&o);
			return;
		}
		cur_set_value(&o, v);
	}
	if ((r = cond(p, &s->having, &o)) <= 0) {
		if (r < 0)
			report(p, c->ev, NULL, 0, "%s", p->emsg);
		cur_free(&o);
		return;
	}
	switch (s->tk) {
	case T_OUT:
		emit(p, s->target, &o);
		break;
	case T_SCRIPT:
		run_script(p, &p->scripts[s->target], &o);
		break;
	case T_STREAM:
		dispatch(p, s->target, &o);
		break;
	}
	cur_free(&o);
}

static void dispatch(struct pl *p, size_t node, struct cur *c)
{
	size_t i;

	for (i = 0; i < p->nodes[node].nsels && !p->rc; i++)
		run_select(p, &p->sels[p->nodes[node].sels[i]], c);
}

/* Input. */

static void handle_line(struct pl *p, struct inport *in, const char *line, size_t n)
{
	struct wf_json_err jerr;
	struct wf_event ev;
	struct cur c;
	size_t i;

	if (wf_env_parse(&ev, line, n, &jerr) < 0) {
		report(p, NULL, line, n, "port %s, line %lu: not an envelope: %s at byte %zu", in->name,
		       in->r.lineno, jerr.msg, (size_t)(jerr.at - line));
		return;
	}
	if (ev.kind == WF_CONTROL) {
		for (i = 0; i < p->nws; i++)
			if (in->reach[i] && !p->ws[i].closed &&
			    (wf_buf_add(&p->ws[i].w.buf, line, n) || wf_buf_addc(&p->ws[i].w.buf, '\n')))
				stop(p, -ENOMEM, "out of memory");
		return;
	}
	memset(&c, 0, sizeof c);
	c.ev = &ev;
	c.dorig = 1;
	dispatch(p, in->node, &c);
	cur_free(&c);
}

static void on_in(struct wf_loop *l, int fd, int events, void *ud);
static void on_out(struct wf_loop *l, int fd, int events, void *ud);

/* Paused inputs are not watched at all: a hang-up would wake the loop
 * again and again while output waits. */
static void pause_inputs(struct pl *p, int resume)
{
	size_t i;

	for (i = 0; i < p->nins; i++) {
		if (p->ins[i].done)
			continue;
		if (!resume)
			wf_loop_del_fd(p->loop, p->ins[i].fd);
		else if (wf_loop_add_fd(p->loop, p->ins[i].fd, WF_READ, on_in, &p->ins[i]))
			stop(p, -ENOMEM, "event loop: cannot watch port %s", p->ins[i].name);
	}
}

static void close_w(struct pl *p, struct writer *w)
{
	w->closed = 1;
	w->w.err = 0;
	w->w.buf.len = w->w.off = 0;
	wf_loop_del_fd(p->loop, w->w.fd);
}

/* Write what w holds: 0 when all is out, 1 when the fd is full (inputs
 * pause until it drains), or negative when the run stops. */
static int flush_w(struct pl *p, struct writer *w)
{
	int rc;

	if (w->closed || !wf_writer_pending(&w->w))
		return 0;
	rc = wf_writer_flush(&w->w);
	if (rc == -EPIPE) {
		/* the reader is gone: like an unconnected port from now on */
		close_w(p, w);
		return 0;
	}
	if (rc < 0) {
		stop(p, rc, "port %s: write error: %s", w->name, strerror(-rc));
		return rc;
	}
	if (rc == 1 && !w->blocked) {
		w->blocked = 1;
		p->blocked++;
		if (wf_loop_add_fd(p->loop, w->w.fd, WF_WRITE, on_out, w))
			stop(p, -ENOMEM, "event loop: cannot watch port %s", w->name);
		pause_inputs(p, 0);
	}
	return rc;
}

static void flush_all(struct pl *p, size_t at_least)
{
	size_t i;

	for (i = 0; i < p->nws && !p->rc; i++)
		if (!p->ws[i].blocked && wf_writer_pending(&p->ws[i].w) >= at_least)
			flush_w(p, &p->ws[i]);
}

static void check_done(struct pl *p)
{
	size_t i;

	if (p->rc || p->blocked)
		return;
	for (i = 0; i < p->nins; i++)
		if (!p->ins[i].done)
			return;
	for (i = 0; i < p->nws; i++)
		if (!p->ws[i].closed && wf_writer_pending(&p->ws[i].w))
			return;
	wf_loop_stop(p->loop);
}

/* Handle the complete lines in's reader holds; at EOF, retire it.
 * 1 when output is full (lines wait), 0 otherwise. */
static int drain(struct pl *p, struct inport *in)
{
	const char *line;
	size_t n;
	int k;

	while (!p->rc && !p->blocked && (k = wf_reader_next(&in->r, &line, &n)) != 0) {
		if (k == WF_LINE_LONG) {
			report(p, NULL, NULL, 0, "port %s, line %lu: longer than %zu bytes, skipped", in->name,
			       in->r.lineno, in->r.maxline);
			continue;
		}
		handle_line(p, in, line, n);
		flush_all(p, FLUSH_AT);
	}
	if (p->rc)
		return 1;
	if (p->blocked)
		return 1;
	if (in->r.eof && !in->done) {
		in->done = 1;
		wf_loop_del_fd(p->loop, in->fd);
	}
	flush_all(p, 1);
	check_done(p);
	return p->blocked || p->rc;
}

static void on_in(struct wf_loop *l, int fd, int events, void *ud)
{
	struct inport *in = ud;
	struct pl *p = in->p;
	ssize_t got;

	(void)l;
	(void)fd;
	(void)events;
	if (p->blocked || in->done || drain(p, in))
		return;
	got = wf_reader_fill(&in->r);
	if (got < 0 && got != -EAGAIN) {
		stop(p, (int)got, "port %s: read error: %s", in->name, strerror((int)-got));
		return;
	}
	drain(p, in);
}

static void on_out(struct wf_loop *l, int fd, int events, void *ud)
{
	struct writer *w = ud;
	struct pl *p = w->p;
	size_t i;
	int rc;

	(void)events;
	if (!w->blocked) {
		/* an error or hang-up while nothing waits: the next write tells */
		wf_loop_del_fd(l, fd);
		return;
	}
	rc = wf_writer_flush(&w->w);
	if (rc == 1)
		return;
	if (rc == -EPIPE) {
		close_w(p, w);
	} else if (rc < 0) {
		stop(p, rc, "port %s: write error: %s", w->name, strerror(-rc));
		return;
	} else {
		wf_loop_del_fd(l, fd);
	}
	w->blocked = 0;
	if (--p->blocked)
		return;
	/* every port drained: the lines read before they filled go first */
	pause_inputs(p, 1);
	for (i = 0; i < p->nins && !p->blocked && !p->rc; i++)
		if (!p->ins[i].done)
			drain(p, &p->ins[i]);
	check_done(p);
}

/* Writers (one per distinct fd), readers, and the ports control events
 * reach from each input. */
static int open_ports(struct pl *p, char *msg, size_t n)
{
	const struct wf_pipeline_spec *spec = p->spec;
	size_t maxline = spec->maxline ? spec->maxline : WF_MAX_LINE;
	size_t i, j;
	long k;

	p->outs = calloc(p->ninto + 1, sizeof *p->outs);
	p->ws = calloc(spec->nout + 1, sizeof *p->ws);
	p->ins = calloc(spec->nin + 1, sizeof *p->ins);
	if (!p->outs || !p->ws || !p->ins)
		return -ENOMEM;
	for (i = 0; i < p->ninto; i++) {
		p->outs[i].name = p->into[i];
		p->outs[i].w = -1;
	}
	for (i = 0; i < spec->nout; i++) {
		const struct wf_pipeline_port *pt = &spec->out[i];
		struct outport *o = &p->outs[find(p->into, p->ninto, pt->name)];
		if (pt->fd < 0) {
			o->w = -1;
			continue;
		}
		for (j = 0; j < p->nws && p->ws[j].fd != pt->fd; j++)
			;
		if (j == p->nws) {
			struct writer *w = &p->ws[p->nws++];
			int wfd = wf_nonblock_dup(pt->fd, 1);
			w->p = p;
			w->fd = pt->fd;
			w->own = wfd != pt->fd;
			w->name = pt->name;
			wf_writer_init(&w->w, wfd, (size_t)-1);
		}
		o->w = (int)j;
	}
	if ((k = find(p->into, p->ninto, "err")) >= 0)
		p->err_w = p->outs[k].w;
	for (i = 0; i < spec->nin; i++) {
		const struct wf_pipeline_port *pt = &spec->in[i];
		struct inport *in;
		if (pt->fd < 0)
			continue;
		for (j = 0; j < p->nins; j++)
			if (p->ins[j].fd == pt->fd) {
				snprintf(msg, n, "pipeline %s: ports %s and %s read the same fd %d", p->alias,
					 p->ins[j].name, pt->name, pt->fd);
				return -EINVAL;
			}
		for (j = 0; j < p->nws; j++)
			if (p->ws[j].w.fd == pt->fd || p->ws[j].fd == pt->fd) {
				snprintf(msg, n, "pipeline %s: fd %d is both read (port %s) and written (port %s)",
					 p->alias, pt->fd, pt->name, p->ws[j].name);
				return -EINVAL;
			}
		in = &p->ins[p->nins++];
		in->p = p;
		in->name = pt->name;
		in->fd = pt->fd;
		in->node = (size_t)find(p->from, p->nfrom, pt->name);
		wf_reader_init(&in->r, pt->fd, maxline);
		in->reach = calloc(p->nws + 1, 1);
		if (!in->reach)
			return -ENOMEM;
	}
	return 0;
}

/* The writers the events of node can reach. */
static void reach(struct pl *p, size_t node, unsigned char *ws, unsigned char *seen)
{
	size_t i;

	if (seen[node])
		return;
	seen[node] = 1;
	for (i = 0; i < p->nodes[node].nsels; i++) {
		const struct sel *s = &p->sels[p->nodes[node].sels[i]];
		long next = sel_next(p, s);
		if (next >= 0)
			reach(p, (size_t)next, ws, seen);
		else if (p->outs[s->target].w >= 0)
			ws[p->outs[s->target].w] = 1;
	}
}

int wf_pipeline_run(const struct wf_pipeline_spec *spec, char *msg, size_t n)
{
	struct pl p;
	size_t i;
	int rc;

	rc = compile(&p, spec, msg, n);
	if (!rc)
		rc = check_ports(&p, msg, n);
	if (!rc)
		rc = open_ports(&p, msg, n);
	if (!rc && !(p.loop = wf_loop_new()))
		rc = -ENOMEM;
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(msg, n, "out of memory");
		pl_free(&p);
		return rc;
	}
	snprintf(p.prog, sizeof p.prog, "flow-run: pipeline %s", p.alias);
	wf_err_init(&p.sink, p.prog, p.alias, -1);
	p.err = spec->err ? spec->err : &p.sink;
	for (i = 0; i < p.nins; i++) {
		unsigned char *seen = calloc(p.nnodes + 1, 1);
		if (!seen) {
			rc = -ENOMEM;
			break;
		}
		reach(&p, p.ins[i].node, p.ins[i].reach, seen);
		free(seen);
		if ((rc = wf_loop_add_fd(p.loop, p.ins[i].fd, WF_READ, on_in, &p.ins[i])))
			break;
	}
	if (rc) {
		snprintf(msg, n, "pipeline %s: event loop: %s", p.alias, strerror(-rc));
		pl_free(&p);
		return rc;
	}
	/* with nothing connected to read there is nothing to do */
	rc = p.nins ? wf_loop_run(p.loop) : 0;
	if (!rc)
		rc = p.rc;
	if (rc)
		snprintf(msg, n, "pipeline %s: %s", p.alias, p.what[0] ? p.what : strerror(-rc));
	pl_free(&p);
	return rc < 0 ? rc : 0;
}
