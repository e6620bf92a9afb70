#include "graph.h"
#include "buf.h"
#include "json.h"
#include "pipeline.h"
#include "troy_jq.h"
#include "url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Building: every created node has ports; a port is a list of process fds
 * (an output port may be fed by several processes, such as err). */
struct pend {
	int proc;
	int fd;
};

struct gport {
	char *name;
	int output;		/* the node writes it */
	struct pend *ends;
	size_t nends;
	int exit_sink;		/* the `in` of an exit connector: the hub reads it */
	int wired;		/* input: its process fd has a wire */
	int hub_wire;		/* input: the wire the hub writes into it, when wired so */
	const char *owner;	/* the node's alias (for labels) */
	long long exit_delay_ns;
	int exit_graceful;
	/* connections, filled from `connect` */
	struct edge **edges;
	size_t nedges;
};

struct gnode {
	enum wf_troy_kind kind;
	int flow;		/* the deploy it belongs to */
	char *alias;		/* as processes are named: "in", or "flow/in" when
				 * several flows are deployed */
	struct gport *ports;
	size_t nports;
	const struct wf_troy_pos *pos;
};

struct edge {
	struct gport *from, *to;
};

struct bctx {
	struct wf_graph *g;
	const struct wf_troy *t;
	const struct wf_graph_opts *o;
	struct gnode *nodes;
	size_t nnodes;
	struct edge *edges;
	size_t nedges;
	int flow;		/* the deploy being built */
	const char *prefix;	/* its alias, when there are several */
	char *err;
	size_t n;
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		abort();	/* the graph is small: out of memory here is fatal */
	return p;
}

static void *xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz ? sz : 1);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	return d;
}

static char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static int new_wire(struct wf_graph *g, const char *label)
{
	struct wf_gwire *w;

	g->wires = xrealloc(g->wires, (g->nwires + 1) * sizeof *g->wires);
	w = &g->wires[g->nwires];
	memset(w, 0, sizeof *w);
	w->rfd = w->wfd = -1;
	w->label = xstrdup(label);
	return (int)g->nwires++;
}

static struct wf_gproc *new_proc(struct wf_graph *g, const char *node, int *idx)
{
	struct wf_gproc *p;

	g->procs = xrealloc(g->procs, (g->nprocs + 1) * sizeof *g->procs);
	p = &g->procs[g->nprocs];
	memset(p, 0, sizeof *p);
	p->node = xstrdup(node);
	p->pid = -1;
	*idx = (int)g->nprocs++;
	return p;
}

static void add_fd(struct wf_gproc *p, int fd, int wire, int write, const char *port)
{
	p->fds = xrealloc(p->fds, (p->nfds + 1) * sizeof *p->fds);
	p->fds[p->nfds].fd = fd;
	p->fds[p->nfds].wire = wire;
	p->fds[p->nfds].write = write;
	p->fds[p->nfds].port = port ? xstrdup(port) : NULL;
	p->nfds++;
}

/* argv building */
struct argv {
	char **v;
	size_t n;
};

static void arg(struct argv *a, const char *s)
{
	a->v = xrealloc(a->v, (a->n + 2) * sizeof *a->v);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void argf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void argf(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	arg(a, s);
	free(s);
}

static char *join_argv(char **v)
{
	struct wf_buf b;
	size_t i;
	char *s;

	wf_buf_init(&b, (size_t)-1);
	for (i = 0; v[i]; i++) {
		if (i)
			wf_buf_addc(&b, ' ');
		if (strpbrk(v[i], " \t\"'\\$") || !*v[i]) {
			const char *c;
			wf_buf_addc(&b, '\'');
			for (c = v[i]; *c; c++) {
				if (*c == '\'')
					wf_buf_adds(&b, "'\\''");
				else
					wf_buf_addc(&b, *c);
			}
			wf_buf_addc(&b, '\'');
		} else {
			wf_buf_adds(&b, v[i]);
		}
	}
	wf_buf_addc(&b, 0);
	s = xstrdup(b.p);
	wf_buf_free(&b);
	return s;
}

/* ports */

/* Ports are added before any pointer to one is kept: adding moves them. */
static struct gport *add_port(struct gnode *nd, const char *name, int output)
{
	struct gport *pt;

	nd->ports = xrealloc(nd->ports, (nd->nports + 1) * sizeof *nd->ports);
	pt = &nd->ports[nd->nports++];
	memset(pt, 0, sizeof *pt);
	pt->name = xstrdup(name);
	pt->output = output;
	pt->owner = nd->alias;
	return pt;
}

static struct gport *find_port(struct gnode *nd, const char *name, int output)
{
	size_t i;

	for (i = 0; i < nd->nports; i++)
		if (!strcmp(nd->ports[i].name, name) && nd->ports[i].output == output)
			return &nd->ports[i];
	return NULL;
}

static void port_end(struct gport *pt, int proc, int fd)
{
	pt->ends = xrealloc(pt->ends, (pt->nends + 1) * sizeof *pt->ends);
	pt->ends[pt->nends].proc = proc;
	pt->ends[pt->nends].fd = fd;
	pt->nends++;
}

static int fail(struct bctx *b, const struct wf_troy_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct bctx *b, const struct wf_troy_pos *pos, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	wf_troy_error(b->err, b->n, pos, "%s", m);
	return -1;
}

/* Where a setting of a connector is written, for messages: its expression
 * in the definition's `with` while that is literal (records and lists are
 * walked into), else the nearest place that is. */
struct at {
	const struct wf_texpr *e;	/* NULL: not written as a literal */
	const struct wf_troy_pos *pos;	/* where to point when e is NULL */
};

static const struct wf_troy_pos *at_pos(struct at a)
{
	return a.e ? &a.e->pos : a.pos;
}

/* The index of key's kid in a literal record, or 0 (kid 0 is a key too,
 * so the index of a value is returned: 1, 3, ...). */
static size_t record_value(const struct wf_texpr *e, const char *key, size_t n)
{
	size_t i;

	if (!e || e->kind != WF_TE_RECORD)
		return 0;
	for (i = 0; i + 1 < e->nkids; i += 2) {
		const char *k = e->kids[i]->lit;
		if (e->kids[i]->kind == WF_TE_LIT && k && *k == '"' && strlen(k) == n + 2 && !memcmp(k + 1, key, n))
			return i + 1;
	}
	return 0;
}

/* The value of key in a record. */
static struct at at_key(struct at a, const char *key)
{
	size_t v = record_value(a.e, key, strlen(key));
	struct at r = { v ? a.e->kids[v] : NULL, at_pos(a) };

	return r;
}

/* The key itself (an unknown key is pointed at). */
static const struct wf_troy_pos *at_keyname(struct at a, const char *key, size_t n)
{
	size_t v = record_value(a.e, key, n);

	return v ? &a.e->kids[v - 1]->pos : at_pos(a);
}

/* Item i of a list. */
static struct at at_item(struct at a, size_t i)
{
	struct at r = { NULL, at_pos(a) };

	if (a.e && a.e->kind == WF_TE_ARRAY && i < a.e->nkids)
		r.e = a.e->kids[i];
	return r;
}

/* JSON config helpers over compact text */

static int jget(const char *obj, const char *key, const char **v, const char **ve)
{
	return obj && wf_json_get(obj, obj + strlen(obj), key, v, ve);
}

static char *jstr(const char *v, const char *ve)
{
	struct wf_buf b;
	char *s;

	if (!v || *v != '"')
		return NULL;
	wf_buf_init(&b, (size_t)-1);
	wf_json_unescape(&b, v + 1, ve - 1);
	wf_buf_addc(&b, 0);
	s = xstrdup(b.p);
	wf_buf_free(&b);
	return s;
}

static char *jdup(const char *v, const char *ve)
{
	char *s = xcalloc((size_t)(ve - v) + 1, 1);

	memcpy(s, v, (size_t)(ve - v));
	return s;
}

static int jbool(const char *v, const char *ve, int *out)
{
	if (ve - v == 4 && !memcmp(v, "true", 4))
		*out = 1;
	else if (ve - v == 5 && !memcmp(v, "false", 5))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Check the keys of a config record against the allowed ones. */
static int check_keys(struct bctx *b, struct at w, const char *what, const char *obj,
		      const char *const *allowed)
{
	const char *p;
	struct wf_json_member m;

	if (!obj)
		return 0;
	if (*obj != '{')
		return fail(b, at_pos(w), "%s must be a record", what);
	p = obj;
	while (wf_json_next(&p, obj + strlen(obj), &m)) {
		size_t i;
		int ok = 0;
		for (i = 0; allowed[i]; i++)
			if (wf_json_key_is(&m, allowed[i]))
				ok = 1;
		if (!ok)
			return fail(b, at_keyname(w, m.k, (size_t)(m.ke - m.k)), "unknown key \"%.*s\" in %s",
				    (int)(m.ke - m.k), m.k, what);
	}
	return 0;
}

/* An instance's args record: defaults, then the `with` of its create. */
static char *eval_args(struct bctx *b, const struct wf_troy_bindings *defs,
		       const struct wf_troy_bindings *with, const char *outer_args, int *bad)
{
	struct wf_troy_bindings none = { NULL, 0 };
	struct wf_buf rec;
	char *s;

	wf_buf_init(&rec, (size_t)-1);
	if (wf_troy_args(&rec, defs ? defs : &none, with ? with : &none, outer_args, b->err, b->n) < 0 ||
	    wf_buf_addc(&rec, 0)) {
		*bad = 1;
		wf_buf_free(&rec);
		return NULL;
	}
	s = xstrdup(rec.p);
	wf_buf_free(&rec);
	return s;
}

/* A runtime error of a constant expression is one line, `file:line:col:
 * message`: show its line and caret as every other error does. */
static void relocate(struct bctx *b, const struct wf_troy_pos *in)
{
	struct wf_troy_pos pos = *in;
	size_t fl = pos.file ? strlen(pos.file) : 0;
	char *msg;
	int off = 0;

	if (!fl || strchr(b->err, '\n') || strncmp(b->err, pos.file, fl) ||
	    sscanf(b->err + fl, ":%d:%d: %n", &pos.line, &pos.col, &off) != 2 || !off)
		return;
	msg = xstrdup(b->err + fl + off);
	wf_troy_error(b->err, b->n, &pos, "%s", msg);
	free(msg);
}

/* Evaluate a definition's `with` value by name, or NULL when absent. */
static char *with_value(struct bctx *b, const struct wf_troy_connector_def *d, const char *name,
			const char *args, int *bad)
{
	struct wf_buf val;
	size_t i;
	char *s;

	for (i = 0; i < d->with.n; i++) {
		if (strcmp(d->with.v[i].name, name))
			continue;
		wf_buf_init(&val, (size_t)-1);
		if (wf_troy_eval_const(d->with.v[i].value, args, &val, b->err, b->n) < 0) {
			relocate(b, &d->with.v[i].value->pos);
			wf_buf_free(&val);
			*bad = 1;
			return NULL;
		}
		wf_buf_addc(&val, 0);
		s = xstrdup(val.p);
		wf_buf_free(&val);
		return s;
	}
	return NULL;
}

/* The stages of a connector: codec and processors as process argvs. */
struct stage {
	char **argv;		/* exec'd */
	wf_gproc_fn *fn;	/* or internal */
	void *arg;
	const char *label;
};

struct stages {
	struct stage *v;
	size_t n;
};

static void stage_exec(struct stages *s, struct argv *a)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	memset(&s->v[s->n], 0, sizeof s->v[0]);
	s->v[s->n++].argv = a->v;
	a->v = NULL;
	a->n = 0;
}

static void stage_fn(struct stages *s, wf_gproc_fn *fn, void *argp, const char *label)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	memset(&s->v[s->n], 0, sizeof s->v[0]);
	s->v[s->n].fn = fn;
	s->v[s->n].arg = argp;
	s->v[s->n++].label = label;
}

static struct wf_node_arg *node_arg(const char *alias)
{
	struct wf_node_arg *a = xcalloc(1, sizeof *a);

	a->alias = xstrdup(alias);
	return a;
}

static void argv_free(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* A processor or codec item: "name" or {"name": ..., "config": {...}}. */
static int proc_item(struct bctx *b, struct at w, const char *what, const char *v, const char *ve,
		     char **name, char **config)
{
	const char *nv, *nve, *cv, *cve;

	*config = NULL;
	if (*v == '"') {
		*name = jstr(v, ve);
		return 0;
	}
	if (*v != '{' || !wf_json_get(v, ve, "name", &nv, &nve) || *nv != '"')
		return fail(b, at_pos(w), "%s is a name or {\"name\": ..., \"config\": {...}}", what);
	*name = jstr(nv, nve);
	if (wf_json_get(v, ve, "config", &cv, &cve))
		*config = jdup(cv, cve);
	return 0;
}

/* w: the processor item */
static int add_separate(struct bctx *b, struct at w, struct stages *s, const char *alias, const char *config,
			int join)
{
	static const char *const pre_keys[] = { "separator", "max_length", "buffered", NULL };
	static const char *const post_keys[] = { "separator", NULL };
	struct at cw = at_key(w, "config");
	struct argv a = { 0 };
	const char *v, *ve;

	if (check_keys(b, cw, join ? "the separate postprocessor's config" : "the separate preprocessor's config",
		       config, join ? post_keys : pre_keys))
		return -1;
	argf(&a, "lines-split");
	argf(&a, "--id=%s", alias);
	if (join)
		arg(&a, "--join");
	if (jget(config, "separator", &v, &ve)) {
		char *sep = jstr(v, ve);
		if (!sep || strlen(sep) != 1) {
			free(sep);
			argv_free(&a);
			return fail(b, at_pos(at_key(cw, "separator")), "separator must be a string of one byte");
		}
		argf(&a, "--separator=%s", sep);
		free(sep);
	}
	if (!join && config) {
		long long ml = 0;
		int bv;
		if (jget(config, "max_length", &v, &ve) && (!wf_json_int(v, ve, &ml) || ml < 0)) {
			argv_free(&a);
			return fail(b, at_pos(at_key(cw, "max_length")), "max_length must be a non-negative integer");
		}
		/* configured without max_length: no limit (Tremor) */
		argf(&a, "--max-length=%lld", ml);
		if (jget(config, "buffered", &v, &ve)) {
			if (jbool(v, ve, &bv) < 0) {
				argv_free(&a);
				return fail(b, at_pos(at_key(cw, "buffered")), "buffered must be true or false");
			}
			arg(&a, bv ? "--buffered" : "--no-buffered");
		}
	}
	stage_exec(s, &a);
	return 0;
}

/* Preprocessors (decode side) or postprocessors (encode side); w: the list. */
static int add_processors(struct bctx *b, struct at w, struct stages *s, const char *alias, const char *list,
			  int post)
{
	const char *p, *e;
	size_t i;

	if (!list)
		return 0;
	if (*list != '[')
		return fail(b, at_pos(w), "%s must be a list", post ? "postprocessors" : "preprocessors");
	e = list + strlen(list);
	p = wf_json_ws(list + 1, e);
	for (i = 0; p < e && *p != ']'; i++) {
		const char *q = wf_json_skip(p, e, NULL);
		struct at iw = at_item(w, i);
		char *name, *config;
		int rc = 0;
		if (proc_item(b, iw, post ? "a postprocessor" : "a preprocessor", p, q, &name, &config))
			return -1;
		if (!strcmp(name, "separate") || !strcmp(name, "lines"))
			rc = add_separate(b, iw, s, alias, config, post);
		else if (!post && !strcmp(name, "remove-empty"))
			stage_fn(s, wf_node_remove_empty, node_arg(alias), "remove-empty");
		else if (!strcmp(name, "base64"))
			stage_fn(s, post ? wf_node_base64_encode : wf_node_base64_decode, node_arg(alias),
				 post ? "base64 (encode)" : "base64 (decode)");
		else
			rc = fail(b, at_pos(iw), "%s \"%s\" is not supported (separate, lines, %sbase64)",
				  post ? "postprocessor" : "preprocessor", name, post ? "" : "remove-empty, ");
		free(name);
		free(config);
		if (rc)
			return -1;
		p = wf_json_ws(q, e);
		if (p < e && *p == ',')
			p = wf_json_ws(p + 1, e);
	}
	return 0;
}

/* The codec, as a stage in the decode (or encode) direction; binary adds
 * no decode stage. */
static int add_codec(struct bctx *b, struct at w, struct stages *s, const char *alias, const char *codec,
		     int encode)
{
	struct argv a = { 0 };
	char *name = NULL, *config = NULL;
	int sorted = 0;
	const char *v, *ve;

	if (!codec)
		return 0;
	if (proc_item(b, w, "a codec", codec, codec + strlen(codec), &name, &config))
		return -1;
	if (!strcmp(name, "json") || !strcmp(name, "json-sorted")) {
		static const char *const keys[] = { "mode", NULL };
		if (check_keys(b, at_key(w, "config"), "the json codec's config", config, keys))
			goto bad;
		sorted = !strcmp(name, "json-sorted");
		if (jget(config, "mode", &v, &ve)) {
			char *mode = jstr(v, ve);
			if (!mode || (strcmp(mode, "sorted") && strcmp(mode, "unsorted"))) {
				free(mode);
				fail(b, at_pos(at_key(at_key(w, "config"), "mode")),
				     "the json codec's mode is \"sorted\" or \"unsorted\"");
				goto bad;
			}
			sorted = !strcmp(mode, "sorted");
			free(mode);
		}
		argf(&a, "json-codec");
		argf(&a, "--id=%s", alias);
		arg(&a, encode ? "--encode" : "--decode");
		if (sorted && encode)
			arg(&a, "--sorted");
	} else if (!strcmp(name, "string") || !strcmp(name, "binary")) {
		if (!encode && !strcmp(name, "binary"))
			goto done;	/* bytes stay bytes */
		argf(&a, "json-codec");
		argf(&a, "--id=%s", alias);
		arg(&a, "--string");
		arg(&a, encode ? "--encode" : "--decode");
	} else {
		struct at nw = at_key(w, "name");
		fail(b, at_pos(nw.e ? nw : w), "codec \"%s\" is not supported (json, json-sorted, string, binary)",
		     name);
		goto bad;
	}
	stage_exec(s, &a);
done:
	free(name);
	free(config);
	return 0;
bad:
	free(name);
	free(config);
	return -1;
}

/* Processes */

#define WIRE_INHERIT (-2)	/* the child keeps flow-run's own fd */

static int stage_proc(struct bctx *b, struct gnode *nd, const struct stage *st, struct gport *err)
{
	int idx;
	struct wf_gproc *p = new_proc(b->g, "", &idx);

	free(p->node);
	p->node = xfmt("%s %s", nd->kind == WF_TROY_CONNECTOR ? "connector" : "pipeline", nd->alias);
	if (st->argv) {
		size_t n = 0;
		while (st->argv[n])
			n++;
		p->argv = xrealloc(st->argv, (n + 2) * sizeof *p->argv);
		p->argv[n] = xstrdup("--err-fd=3");
		p->argv[n + 1] = NULL;
		{
			char *cmd = join_argv(p->argv);
			p->name = xfmt("%s: %s", nd->alias, cmd);
			free(cmd);
		}
	} else {
		p->fn = st->fn;
		p->arg = st->arg;
		p->name = xfmt("%s: %s", nd->alias, st->label);
	}
	if (err)
		port_end(err, idx, 3);
	return idx;
}

static void link_procs(struct wf_graph *g, int from, int to)
{
	int w = new_wire(g, "");

	add_fd(&g->procs[from], 1, w, 1, NULL);
	add_fd(&g->procs[to], 0, w, 0, NULL);
}

/* Chain stages after `head` (a proc whose stdout starts it; -1: none) and
 * return the last proc (whose stdout ends it), or head when no stage. */
static int chain(struct bctx *b, struct gnode *nd, int head, struct stages *s, struct gport *err)
{
	size_t i;
	int prev = head;

	for (i = 0; i < s->n; i++) {
		int p = stage_proc(b, nd, &s->v[i], err);
		if (prev >= 0)
			link_procs(b->g, prev, p);
		else
			s->v[i].label = NULL;
		prev = p;
		if (head < 0 && i == 0)
			head = p;
	}
	return prev;
}

/* The encode side: stages chained in front of `tail` (a proc whose stdin
 * ends it). Returns the first proc (whose stdin is the `in` port). */
static int chain_in(struct bctx *b, struct gnode *nd, struct stages *s, int tail, struct gport *err)
{
	int first = -1, prev = -1;
	size_t i;

	for (i = 0; i < s->n; i++) {
		int p = stage_proc(b, nd, &s->v[i], err);
		if (prev >= 0)
			link_procs(b->g, prev, p);
		if (first < 0)
			first = p;
		prev = p;
	}
	if (prev >= 0 && tail >= 0)
		link_procs(b->g, prev, tail);
	return first >= 0 ? first : tail;
}

static int main_proc(struct bctx *b, struct gnode *nd, struct argv *a, wf_gproc_fn *fn, void *argp,
		     const char *label, struct gport *err, int source)
{
	struct stage st = { a ? a->v : NULL, fn, argp, label };
	int idx;

	if (a) {
		a->v = NULL;
		a->n = 0;
	}
	idx = stage_proc(b, nd, &st, err);
	b->g->procs[idx].source = source;
	return idx;
}

static const char *const conn_keys[] = {
	"codec", "config", "preprocessors", "postprocessors", "reconnect", "metrics_interval_s", NULL
};

static char *hostport(const struct wf_url *u)
{
	return strchr(u->host, ':') ? xfmt("[%s]:%s", u->host, u->port) : xfmt("%s:%s", u->host, u->port);
}

/* w: the config record */
static int socket_opts(struct bctx *b, struct at w, struct argv *a, const char *config, int server)
{
	static const char *const keys[] = { "SO_REUSEPORT", "SO_REUSEADDR", "TCP_NODELAY", NULL };
	static const char *const opt[] = { "SO_REUSEPORT", "reuseport", "SO_REUSEADDR", "reuseaddr",
					   "TCP_NODELAY", "nodelay", NULL };
	struct at sw = at_key(w, "socket_options");
	const char *so, *soe, *v, *ve;
	char *rec;
	size_t i;
	int bv;

	if (!jget(config, "socket_options", &so, &soe))
		return 0;
	rec = jdup(so, soe);
	if (check_keys(b, sw, "socket_options", rec, keys)) {
		free(rec);
		return -1;
	}
	for (i = 0; opt[i]; i += 2) {
		if (!jget(rec, opt[i], &v, &ve))
			continue;
		if (jbool(v, ve, &bv) < 0) {
			free(rec);
			return fail(b, at_pos(at_key(sw, opt[i])), "socket_options.%s must be true or false", opt[i]);
		}
		if (server || !strcmp(opt[i], "TCP_NODELAY"))	/* a client binds no port */
			argf(a, "--%s%s", bv ? "" : "no-", opt[i + 1]);
	}
	free(rec);
	return 0;
}

/* A ws connector's config: present, only known keys, and a url string
 * that parses. 0, or -1 with the error at the key that is wrong. */
static int config_url(struct bctx *b, struct at w, const char *type, const char *config,
		      const char *const *keys, struct wf_url *u)
{
	const char *v, *ve;
	char m[300], what[64], *url;
	int rc;

	if (!config)
		return fail(b, at_pos(w), "%s: config = {\"url\": ...} is required", type);
	snprintf(what, sizeof what, "the %s config", type);
	if (check_keys(b, w, what, config, keys))
		return -1;
	if (!jget(config, "url", &v, &ve) || !(url = jstr(v, ve)))
		return fail(b, at_pos(at_key(w, "url")), "%s: config url is required (a string)", type);
	rc = wf_url_parse(url, u, m, sizeof m);
	free(url);
	if (rc < 0)
		return fail(b, at_pos(at_key(w, "url")), "%s: %s", type, m);
	return 0;
}

static int ws_server_argv(struct bctx *b, struct at w, const char *alias, const char *config, struct argv *a)
{
	static const char *const keys[] = { "url", "tls", "backlog", "socket_options", NULL };
	const char *v, *ve, *cv, *cve;
	struct wf_url u;
	char *hp;
	long long backlog;

	if (config_url(b, w, "ws_server", config, keys, &u))
		return -1;
	hp = hostport(&u);	/* the scheme never turns TLS on; the path is ignored */
	arg(a, "ws-listen");
	arg(a, hp);
	free(hp);
	argf(a, "--id=%s", alias);
	arg(a, "--stream-events");
	if (jget(config, "tls", &v, &ve)) {
		char *cert = NULL, *key = NULL;
		if (*v != '{' || !wf_json_get(v, ve, "cert", &cv, &cve) || !(cert = jstr(cv, cve)) ||
		    !wf_json_get(v, ve, "key", &cv, &cve) || !(key = jstr(cv, cve))) {
			free(cert);
			return fail(b, at_pos(at_key(w, "tls")), "ws_server: tls must be a record with cert and key");
		}
		argf(a, "--tls-cert=%s", cert);
		argf(a, "--tls-key=%s", key);
		free(cert);
		free(key);
	}
	if (jget(config, "backlog", &v, &ve)) {
		if (!wf_json_int(v, ve, &backlog) || backlog < 1 || backlog > 0x7fffffff)
			return fail(b, at_pos(at_key(w, "backlog")), "ws_server: backlog must be a positive integer");
		argf(a, "--backlog=%lld", backlog);
	}
	return socket_opts(b, w, a, config, 1);
}

/* Tremor's reconnect: "none" or {"retry": {...}}; rw: where it is written. */
static int reconnect_argv(struct bctx *b, struct at rw, const char *reconnect, struct argv *a)
{
	static const char *const keys[] = { "retry", NULL };
	static const char *const retry_keys[] = { "interval_ms", "growth_rate", "max_retries", "randomized", NULL };
	struct at tw = at_key(rw, "retry");
	const char *rv, *rve, *v, *ve;
	char *rec;
	long long iv;
	double gr;
	int bv, rc = -1;

	if (!reconnect)
		return 0;
	if (*reconnect == '"') {
		char *s = jstr(reconnect, reconnect + strlen(reconnect));
		int ok = s && !strcmp(s, "none");
		free(s);
		return ok ? 0 : fail(b, at_pos(rw), "reconnect is \"none\" or {\"retry\": {\"interval_ms\": ...}}");
	}
	if (*reconnect != '{' || !jget(reconnect, "retry", &rv, &rve) || *rv != '{')
		return fail(b, at_pos(rw), "reconnect is \"none\" or {\"retry\": {\"interval_ms\": ...}}");
	if (check_keys(b, rw, "reconnect", reconnect, keys))
		return -1;
	rec = jdup(rv, rve);
	if (check_keys(b, tw, "reconnect.retry", rec, retry_keys))
		goto out;
	if (!jget(rec, "interval_ms", &v, &ve) || !wf_json_int(v, ve, &iv) || iv < 0) {
		fail(b, at_pos(at_key(tw, "interval_ms")), "reconnect.retry.interval_ms is required (milliseconds)");
		goto out;
	}
	argf(a, "--retry-interval=%lld", iv);
	if (jget(rec, "growth_rate", &v, &ve)) {
		char *end;
		char num[64];
		snprintf(num, sizeof num, "%.*s", (int)(ve - v), v);
		gr = strtod(num, &end);
		if (*end || end == num || !(gr > 0)) {
			fail(b, at_pos(at_key(tw, "growth_rate")), "reconnect.retry.growth_rate must be a positive number");
			goto out;
		}
		argf(a, "--retry-growth=%s", num);
	}
	if (jget(rec, "max_retries", &v, &ve)) {
		if (!wf_json_int(v, ve, &iv) || iv < 0) {
			fail(b, at_pos(at_key(tw, "max_retries")),
			     "reconnect.retry.max_retries must be a non-negative integer");
			goto out;
		}
		argf(a, "--retry-max=%lld", iv);
	}
	if (jget(rec, "randomized", &v, &ve)) {
		if (jbool(v, ve, &bv) < 0) {
			fail(b, at_pos(at_key(tw, "randomized")), "reconnect.retry.randomized must be true or false");
			goto out;
		}
		arg(a, bv ? "--retry-randomized" : "--no-retry-randomized");
	}
	rc = 0;
out:
	free(rec);
	return rc;
}

/* w: the config record, rw: the reconnect setting */
static int ws_client_argv(struct bctx *b, struct at w, struct at rw, const char *alias, const char *config,
			  const char *reconnect, struct argv *a)
{
	static const char *const keys[] = { "url", "tls", "socket_options", "no_delay", NULL };
	static const char *const tls_keys[] = { "cafile", "domain", "cert", "key", NULL };
	struct at tw = at_key(w, "tls");
	const char *v, *ve, *tv = NULL, *tve = NULL;
	struct wf_url u;
	int tls = 0, bv;

	if (config_url(b, w, "ws_client", config, keys, &u))
		return -1;
	if (!u.port_given)
		return fail(b, at_pos(at_key(w, "url")),
			    "ws_client: Not a valid WS type url - port specification missing");
	if (jget(config, "tls", &tv, &tve)) {
		if (jbool(tv, tve, &bv) == 0) {
			tls = bv;
		} else if (*tv == '{') {
			char *rec = jdup(tv, tve);
			int rc = check_keys(b, tw, "the ws_client tls config", rec, tls_keys);
			free(rec);
			if (rc)
				return -1;
			tls = 2;
		} else {
			return fail(b, at_pos(tw), "ws_client: tls must be true, false or a record");
		}
	}
	arg(a, "ws-connect");
	/* the scheme alone never turns TLS on (Tremor): only the tls key does */
	argf(a, "%s://%s%s%s:%s%s", tls ? "wss" : "ws", strchr(u.host, ':') ? "[" : "", u.host,
	     strchr(u.host, ':') ? "]" : "", u.port, u.path);
	argf(a, "--id=%s", alias);
	arg(a, "--stream-events");
	if (tls == 1)
		arg(a, "--tls");
	if (tls == 2) {
		static const char *const opt[] = { "cafile", "--tls-cafile", "domain", "--tls-domain",
						   "cert", "--tls-cert", "key", "--tls-key", NULL };
		size_t i;
		for (i = 0; opt[i]; i += 2) {
			const char *x, *xe;
			if (wf_json_get(tv, tve, opt[i], &x, &xe)) {
				char *s = jstr(x, xe);
				if (!s)
					return fail(b, at_pos(at_key(tw, opt[i])), "ws_client: tls.%s must be a string",
						    opt[i]);
				argf(a, "%s=%s", opt[i + 1], s);
				free(s);
			}
		}
		if (!wf_json_get(tv, tve, "cafile", &v, &ve))
			arg(a, "--tls");
	}
	if (jget(config, "no_delay", &v, &ve)) {
		if (jbool(v, ve, &bv) < 0)
			return fail(b, at_pos(at_key(w, "no_delay")), "ws_client: no_delay must be true or false");
		arg(a, bv ? "--nodelay" : "--no-nodelay");
	}
	if (socket_opts(b, w, a, config, 0))
		return -1;
	return reconnect_argv(b, rw, reconnect, a);
}

/* The name a node of the current deploy is shown by. */
static char *node_name(struct bctx *b, const char *alias)
{
	return b->prefix ? xfmt("%s/%s", b->prefix, alias) : xstrdup(alias);
}

static struct gnode *new_node(struct bctx *b, enum wf_troy_kind kind, const char *alias,
			      const struct wf_troy_pos *pos)
{
	struct gnode *nd;
	char *name = node_name(b, alias);
	size_t i;

	for (i = 0; i < b->nnodes; i++)
		if (b->nodes[i].kind == kind && b->nodes[i].flow == b->flow && !strcmp(b->nodes[i].alias, name)) {
			fail(b, pos, "%s %s is created twice", kind == WF_TROY_CONNECTOR ? "connector" : "pipeline",
			     alias);
			free(name);
			return NULL;
		}
	b->nodes = xrealloc(b->nodes, (b->nnodes + 1) * sizeof *b->nodes);
	nd = &b->nodes[b->nnodes++];
	memset(nd, 0, sizeof *nd);
	nd->kind = kind;
	nd->flow = b->flow;
	nd->alias = name;
	nd->pos = pos;
	return nd;
}

static void free_stages(struct stages *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Where a definition's setting is written (see struct at): in the
 * definition when it is in the file of the create, else at the create (a
 * module's definition gets its values from the create's args). */
static struct at setting(const struct wf_troy_create *cr, const struct wf_troy_connector_def *d, const char *name)
{
	struct at r = { NULL, &cr->pos };
	size_t i;

	if (!d->pos.file || !cr->pos.file || strcmp(d->pos.file, cr->pos.file))
		return r;
	r.pos = &d->pos;
	for (i = 0; i < d->with.n; i++)
		if (!strcmp(d->with.v[i].name, name)) {
			r.e = d->with.v[i].value;
			r.pos = &d->with.v[i].pos;
		}
	return r;
}

/* Stages not made into processes yet (on an error) */
static void drop_stages(struct stages *s)
{
	size_t i, k;

	for (i = 0; i < s->n; i++) {
		for (k = 0; s->v[i].argv && s->v[i].argv[k]; k++)
			free(s->v[i].argv[k]);
		free(s->v[i].argv);
		if (s->v[i].arg) {
			struct wf_node_arg *na = s->v[i].arg;
			free(na->alias);
			free(na);
		}
	}
	free_stages(s);
}

static void free_node_arg(struct wf_node_arg *a)
{
	if (!a)
		return;
	free(a->alias);
	free(a->path);
	free(a->mode);
	free(a->args);
	free(a);
}

static int build_connector(struct bctx *b, const struct wf_troy_create *cr,
			   const struct wf_troy_connector_def *d, const char *args)
{
	char *codec = NULL, *config = NULL, *pre = NULL, *post = NULL, *reconnect = NULL;
	struct at cw = setting(cr, d, "config"), kw = setting(cr, d, "codec");
	struct at prew = setting(cr, d, "preprocessors"), postw = setting(cr, d, "postprocessors");
	struct stages dec = { 0 }, enc = { 0 };
	struct wf_node_arg *na = NULL;
	struct argv a = { 0 };
	struct gnode *nd;
	struct gport *out = NULL, *err = NULL, *in = NULL;
	int bad = 0, rc = -1, m = -1;
	size_t i;

	if (strcmp(d->type, "ws_server") && strcmp(d->type, "ws_client") && strcmp(d->type, "file") &&
	    strcmp(d->type, "stdio") && strcmp(d->type, "exit"))
		return fail(b, &d->type_pos,
			    "connector type \"%s\" is not supported (ws_server, ws_client, file, stdio, exit)", d->type);
	for (i = 0; i < d->with.n; i++) {
		size_t k;
		int ok = 0;
		for (k = 0; conn_keys[k]; k++)
			if (!strcmp(d->with.v[i].name, conn_keys[k]))
				ok = 1;
		if (!ok)
			return fail(b, &d->with.v[i].pos, "unknown connector parameter %s", d->with.v[i].name);
	}
	codec = with_value(b, d, "codec", args, &bad);
	config = with_value(b, d, "config", args, &bad);
	pre = with_value(b, d, "preprocessors", args, &bad);
	post = with_value(b, d, "postprocessors", args, &bad);
	reconnect = with_value(b, d, "reconnect", args, &bad);
	if (bad)
		goto out;
	nd = new_node(b, WF_TROY_CONNECTOR, cr->alias, &cr->pos);
	if (!nd)
		goto out;
	if (!strcmp(d->type, "ws_server") || !strcmp(d->type, "ws_client")) {
		int server = !strcmp(d->type, "ws_server");
		if (!codec) {
			fail(b, at_pos(kw), "%s: a codec is required", d->type);
			goto out;
		}
		if (server ? ws_server_argv(b, cw, cr->alias, config, &a)
			   : ws_client_argv(b, cw, setting(cr, d, "reconnect"), cr->alias, config, reconnect, &a))
			goto out;
		if (add_processors(b, prew, &dec, cr->alias, pre, 0) || add_codec(b, kw, &dec, cr->alias, codec, 0) ||
		    add_codec(b, kw, &enc, cr->alias, codec, 1) || add_processors(b, postw, &enc, cr->alias, post, 1))
			goto out;
		add_port(nd, "out", 1);
		add_port(nd, "err", 1);
		add_port(nd, "in", 0);
		out = find_port(nd, "out", 1);
		err = find_port(nd, "err", 1);
		in = find_port(nd, "in", 0);
		m = main_proc(b, nd, &a, NULL, NULL, NULL, err, 1);
		port_end(out, chain(b, nd, m, &dec, err), 1);
		port_end(in, chain_in(b, nd, &enc, m, err), 0);
	} else if (!strcmp(d->type, "file")) {
		static const char *const keys[] = { "path", "mode", "chunk_size", NULL };
		const char *v, *ve;
		long long chunk = 0;
		na = node_arg(cr->alias);
		if (!config) {
			fail(b, at_pos(cw), "file: config = {\"path\": ...} is required");
			goto out;
		}
		if (check_keys(b, cw, "the file config", config, keys))
			goto out;
		if (!jget(config, "path", &v, &ve) || !(na->path = jstr(v, ve))) {
			fail(b, at_pos(at_key(cw, "path")), "file: config path is required (a string)");
			goto out;
		}
		na->mode = jget(config, "mode", &v, &ve) ? jstr(v, ve) : xstrdup("read");
		if (!na->mode || (strcmp(na->mode, "read") && strcmp(na->mode, "write") &&
				  strcmp(na->mode, "truncate") && strcmp(na->mode, "append") &&
				  strcmp(na->mode, "overwrite"))) {
			fail(b, at_pos(at_key(cw, "mode")), "file: mode is read, write, truncate, append or overwrite");
			goto out;
		}
		if (jget(config, "chunk_size", &v, &ve) && (!wf_json_int(v, ve, &chunk) || chunk < 1 ||
							    chunk > (1 << 30))) {
			fail(b, at_pos(at_key(cw, "chunk_size")), "file: chunk_size must be a positive integer");
			goto out;
		}
		na->chunk = chunk ? (size_t)chunk : 8192;
		if (!strcmp(na->mode, "read")) {
			if (add_processors(b, prew, &dec, cr->alias, pre, 0) || add_codec(b, kw, &dec, cr->alias, codec, 0))
				goto out;
			add_port(nd, "out", 1);
			add_port(nd, "err", 1);
			out = find_port(nd, "out", 1);
			err = find_port(nd, "err", 1);
			m = main_proc(b, nd, NULL, wf_node_file_read, na, "file reader", err, 1);
			na = NULL;
			port_end(out, chain(b, nd, m, &dec, err), 1);
		} else {
			if (add_codec(b, kw, &enc, cr->alias, codec, 1) ||
			    add_processors(b, postw, &enc, cr->alias, post, 1))
				goto out;
			add_port(nd, "in", 0);
			add_port(nd, "err", 1);
			in = find_port(nd, "in", 0);
			err = find_port(nd, "err", 1);
			m = main_proc(b, nd, NULL, wf_node_file_write, na, "file writer", err, 0);
			na = NULL;
			port_end(in, chain_in(b, nd, &enc, m, err), 0);
		}
	} else if (!strcmp(d->type, "stdio")) {
		static const char *const keys[] = { NULL };
		int r, w;
		if (check_keys(b, cw, "the stdio config", config, keys))
			goto out;
		if (add_processors(b, prew, &dec, cr->alias, pre, 0) || add_codec(b, kw, &dec, cr->alias, codec, 0) ||
		    add_codec(b, kw, &enc, cr->alias, codec, 1) || add_processors(b, postw, &enc, cr->alias, post, 1))
			goto out;
		add_port(nd, "out", 1);
		add_port(nd, "err", 1);
		add_port(nd, "in", 0);
		out = find_port(nd, "out", 1);
		err = find_port(nd, "err", 1);
		in = find_port(nd, "in", 0);
		r = main_proc(b, nd, NULL, wf_node_stdio_read, node_arg(cr->alias), "stdin reader", err, 1);
		add_fd(&b->g->procs[r], 0, WIRE_INHERIT, 0, NULL);
		port_end(out, chain(b, nd, r, &dec, err), 1);
		w = main_proc(b, nd, NULL, wf_node_raw_write, node_arg(cr->alias), "stdout writer", err, 0);
		add_fd(&b->g->procs[w], 1, WIRE_INHERIT, 1, NULL);
		port_end(in, chain_in(b, nd, &enc, w, err), 0);
	} else if (!strcmp(d->type, "exit")) {
		static const char *const keys[] = { "delay", "graceful", NULL };
		const char *v, *ve;
		long long delay = 0;
		int graceful = 1;
		if (check_keys(b, cw, "the exit config", config, keys))
			goto out;
		if (jget(config, "delay", &v, &ve) && (!wf_json_int(v, ve, &delay) || delay < 0)) {
			fail(b, at_pos(at_key(cw, "delay")), "exit: delay must be a number of nanoseconds");
			goto out;
		}
		if (jget(config, "graceful", &v, &ve) && jbool(v, ve, &graceful) < 0) {
			fail(b, at_pos(at_key(cw, "graceful")), "exit: graceful must be true or false");
			goto out;
		}
		in = add_port(nd, "in", 0);
		in->exit_sink = 1;
		in->exit_delay_ns = delay;
		in->exit_graceful = graceful;
		b->g->has_exit = 1;
	}
	rc = 0;
out:
	if (rc) {
		drop_stages(&dec);
		drop_stages(&enc);
	}
	free_stages(&dec);
	free_stages(&enc);
	free_node_arg(na);
	argv_free(&a);
	free(codec);
	free(config);
	free(pre);
	free(post);
	free(reconnect);
	return rc;
}

static int build_pipeline(struct bctx *b, const struct wf_troy_create *cr,
			  const struct wf_troy_pipeline_def *d, char *args)
{
	struct gnode *nd = new_node(b, WF_TROY_PIPELINE, cr->alias, &cr->pos);
	struct wf_node_arg *na;
	struct wf_gproc *p;
	int idx;
	size_t i;

	if (!nd) {
		free(args);
		return -1;
	}
	{
		/* everything a pipeline can get wrong is found before anything runs */
		struct wf_pipeline_port ports[64];
		struct wf_pipeline_spec spec = { 0 };
		size_t np = 0;
		for (i = 0; i < d->nfrom && np < 64; i++, np++) {
			ports[np].name = d->from_ports[i];
			ports[np].fd = -1;
		}
		spec.in = ports;
		spec.nin = np;
		for (i = 0; i < d->ninto && np < 64; i++, np++) {
			ports[np].name = d->into_ports[i];
			ports[np].fd = -1;
		}
		spec.out = ports + spec.nin;
		spec.nout = np - spec.nin;
		spec.def = d;
		spec.alias = cr->alias;
		spec.args_json = args;
		if (wf_pipeline_check(&spec, b->err, b->n) < 0) {
			free(args);
			return -1;
		}
	}
	na = node_arg(cr->alias);
	na->pipeline = d;
	na->args = args;
	p = new_proc(b->g, "", &idx);
	free(p->node);
	p->node = xfmt("pipeline %s", nd->alias);
	p->name = xfmt("%s: pipeline", nd->alias);
	p->fn = wf_node_pipeline;
	p->arg = na;
	for (i = 0; i < d->nfrom; i++)
		add_port(nd, d->from_ports[i], 0);
	for (i = 0; i < d->ninto; i++)
		add_port(nd, d->into_ports[i], 1);
	for (i = 0; i < nd->nports; i++)
		port_end(&nd->ports[i], idx, 3 + (int)i);
	return 0;
}

/* Creates, connects, deploys */

static struct gnode *find_node(struct bctx *b, enum wf_troy_kind kind, const char *alias)
{
	char *name = node_name(b, alias);
	size_t i;

	for (i = 0; i < b->nnodes; i++)
		if (b->nodes[i].kind == kind && b->nodes[i].flow == b->flow && !strcmp(b->nodes[i].alias, name)) {
			free(name);
			return &b->nodes[i];
		}
	free(name);
	return NULL;
}

static const char *kind_name(enum wf_troy_kind k)
{
	return k == WF_TROY_CONNECTOR ? "connector" : "pipeline";
}

/* "its input ports: in", "it has no output port" */
static void port_list(const struct gnode *nd, int output, char *buf, size_t n)
{
	size_t i, len;
	int any = 0;

	len = (size_t)snprintf(buf, n, "its %s ports: ", output ? "output" : "input");
	for (i = 0; i < nd->nports && len < n; i++)
		if (nd->ports[i].output == output) {
			len += (size_t)snprintf(buf + len, n - len, "%s%s", any ? ", " : "", nd->ports[i].name);
			any = 1;
		}
	if (!any)
		snprintf(buf, n, "it has none");
}

static int build_connect(struct bctx *b, const struct wf_troy_connect *c)
{
	char ports[256];
	struct gnode *from = find_node(b, c->from.kind, c->from.id);
	struct gnode *to = find_node(b, c->to.kind, c->to.id);
	const char *fp = c->from.port ? c->from.port : "out";
	const char *tp = c->to.port ? c->to.port : "in";
	struct gport *f, *t;
	struct edge *e;

	if (!from)
		return fail(b, &c->from.pos, "no %s %s was created", kind_name(c->from.kind), c->from.id);
	if (!to)
		return fail(b, &c->to.pos, "no %s %s was created", kind_name(c->to.kind), c->to.id);
	f = find_port(from, fp, 1);
	if (!f) {
		port_list(from, 1, ports, sizeof ports);
		return fail(b, &c->from.port_pos, "%s %s has no output port %s (%s)", kind_name(c->from.kind),
			    c->from.id, fp, ports);
	}
	t = find_port(to, tp, 0);
	if (!t) {
		port_list(to, 0, ports, sizeof ports);
		return fail(b, &c->to.port_pos, "%s %s has no input port %s (%s)", kind_name(c->to.kind), c->to.id,
			    tp, ports);
	}
	e = xcalloc(1, sizeof *e);
	e->from = f;
	e->to = t;
	f->edges = xrealloc(f->edges, (f->nedges + 1) * sizeof *f->edges);
	f->edges[f->nedges++] = e;
	t->edges = xrealloc(t->edges, (t->nedges + 1) * sizeof *t->edges);
	t->edges[t->nedges++] = e;
	return 0;
}

static int build_flow(struct bctx *b, const struct wf_troy_flow_def *fl, const char *flow_args)
{
	size_t i;

	for (i = 0; i < fl->ncreates; i++) {
		const struct wf_troy_create *cr = &fl->creates[i];
		const char *name = cr->target ? cr->target : cr->alias;
		int bad = 0;
		if (cr->kind == WF_TROY_CONNECTOR) {
			const struct wf_troy_connector_def *d = cr->connector;
			char *args;
			int rc;
			if (!d)
				d = wf_troy_find_connector(&fl->scope, name);
			if (!d)
				return fail(b, &cr->target_pos, "no connector definition %s", name);
			args = eval_args(b, &d->args, &cr->with, flow_args, &bad);
			if (bad)
				return -1;
			rc = build_connector(b, cr, d, args);
			free(args);
			if (rc)
				return -1;
		} else {
			const struct wf_troy_pipeline_def *d = cr->pipeline;
			char *args;
			if (!d)
				d = wf_troy_find_pipeline(&fl->scope, name);
			if (!d)
				return fail(b, &cr->target_pos, "no pipeline definition %s", name);
			args = eval_args(b, &d->args, &cr->with, flow_args, &bad);
			if (bad || build_pipeline(b, cr, d, args))
				return -1;
		}
	}
	for (i = 0; i < fl->nconnects; i++)
		if (build_connect(b, &fl->connects[i]))
			return -1;
	return 0;
}

/* Wiring: a port joined to exactly one other port, each of a single
 * process fd, gets a plain pipe; anything else goes through the hub. */
static int hub_dest(struct bctx *b, struct gport *t)
{
	int w;
	char *label;

	if (t->exit_sink || !t->nends)
		return -1;
	if (t->wired)
		return t->hub_wire;
	label = xfmt("%s/%s", t->owner, t->name);
	w = new_wire(b->g, label);
	free(label);
	b->g->wires[w].hub_writes = 1;
	add_fd(&b->g->procs[t->ends[0].proc], t->ends[0].fd, w, 0, t->name);
	t->wired = 1;
	t->hub_wire = w;
	return w;
}

static int wire_ports(struct bctx *b)
{
	struct wf_graph *g = b->g;
	size_t i, j, k, e;

	for (i = 0; i < b->nnodes; i++) {
		struct gnode *nd = &b->nodes[i];
		for (j = 0; j < nd->nports; j++) {
			struct gport *f = &nd->ports[j];
			if (!f->output)
				continue;
			if (f->nends == 1 && f->nedges == 1 && f->edges[0]->to->nedges == 1 &&
			    !f->edges[0]->to->exit_sink && f->edges[0]->to->nends == 1) {
				struct gport *t = f->edges[0]->to;
				char *label = xfmt("%s/%s", nd->alias, f->name);
				int w = new_wire(g, label);
				free(label);
				add_fd(&g->procs[f->ends[0].proc], f->ends[0].fd, w, 1, f->name);
				add_fd(&g->procs[t->ends[0].proc], t->ends[0].fd, w, 0, t->name);
				t->wired = 1;
				t->hub_wire = -1;
				continue;
			}
			if (!f->nedges && (!strcmp(f->name, "err") || nd->kind == WF_TROY_PIPELINE))
				continue;	/* errors to stderr; a pipeline drops the rest (Tremor) */
			for (k = 0; k < f->nends; k++) {
				char *label = xfmt("%s/%s", nd->alias, f->name);
				int w = new_wire(g, label);
				free(label);
				g->wires[w].hub_reads = 1;
				add_fd(&g->procs[f->ends[k].proc], f->ends[k].fd, w, 1, f->name);
				for (e = 0; e < f->nedges; e++) {
					struct gport *t = f->edges[e]->to;
					if (t->exit_sink) {
						g->wires[w].exit_port = 1;
						g->wires[w].exit_delay_ns = t->exit_delay_ns;
						g->wires[w].exit_graceful = t->exit_graceful;
						continue;
					}
					{
						int d = hub_dest(b, t);
						if (d < 0)
							continue;
						g->wires[w].dests = xrealloc(g->wires[w].dests,
									     (g->wires[w].ndests + 1) * sizeof(int));
						g->wires[w].dests[g->wires[w].ndests++] = d;
					}
				}
			}
		}
	}
	/* input ports nobody writes: an idle pipe held open until the stop */
	for (i = 0; i < b->nnodes; i++) {
		struct gnode *nd = &b->nodes[i];
		for (j = 0; j < nd->nports; j++) {
			struct gport *t = &nd->ports[j];
			if (!t->output && !t->wired)
				hub_dest(b, t);
		}
	}
	return 0;
}

/* A process whose err port goes nowhere reports on stderr itself. */
static void strip_err_fd(struct wf_graph *g)
{
	size_t i, k;

	for (i = 0; i < g->nprocs; i++) {
		struct wf_gproc *p = &g->procs[i];
		int has3 = 0;
		for (k = 0; k < p->nfds; k++)
			if (p->fds[k].fd == 3 && p->fds[k].write && p->argv)
				has3 = 1;
		if (!p->argv || has3)
			continue;
		for (k = 0; p->argv[k]; k++)
			if (!strcmp(p->argv[k], "--err-fd=3")) {
				free(p->argv[k]);
				for (; p->argv[k]; k++)
					p->argv[k] = p->argv[k + 1];
				break;
			}
		{
			char *cmd = join_argv(p->argv), *colon = strchr(p->name, ':');
			char *name = xfmt("%.*s: %s", colon ? (int)(colon - p->name) : 0, p->name, cmd);
			free(p->name);
			free(cmd);
			p->name = name;
		}
	}
}

static char *self_dir(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	return xstrdup(buf);
}

int wf_graph_build(struct wf_graph *g, const struct wf_troy *t, const struct wf_graph_opts *o,
		   char *err, size_t n)
{
	struct bctx b = { .g = g, .t = t, .o = o, .err = err, .n = n };
	const struct wf_troy_module *mod = t->main;
	size_t i, j;
	int rc = 0;

	memset(g, 0, sizeof *g);
	g->bindir = o && o->bindir ? xstrdup(o->bindir) : self_dir();
	if (!mod->ndeploys) {
		snprintf(err, n, "%s: nothing is deployed (no `deploy flow`)", mod->file);
		return -1;
	}
	for (i = 0; i < mod->ndeploys && !rc; i++) {
		const struct wf_troy_deploy *d = &mod->deploys[i];
		const char *name = d->target ? d->target : d->alias;
		const struct wf_troy_flow_def *fl = d->flow ? d->flow : wf_troy_find_flow(&mod->scope, name);
		char *args;
		int bad = 0;
		if (!fl) {
			rc = fail(&b, &d->pos, "no flow definition %s", name);
			break;
		}
		args = eval_args(&b, &fl->args, &d->with, "{}", &bad);
		if (bad) {
			rc = -1;
			break;
		}
		b.flow = (int)i;
		b.prefix = mod->ndeploys > 1 ? d->alias : NULL;
		rc = build_flow(&b, fl, args);
		free(args);
	}
	if (!rc)
		rc = wire_ports(&b);
	if (!rc)
		strip_err_fd(g);
	for (i = 0; i < b.nnodes; i++) {
		for (j = 0; j < b.nodes[i].nports; j++) {
			struct gport *pt = &b.nodes[i].ports[j];
			size_t e;
			if (pt->output)
				for (e = 0; e < pt->nedges; e++)
					free(pt->edges[e]);
			free(pt->edges);
			free(pt->ends);
			free(pt->name);
		}
		free(b.nodes[i].ports);
		free(b.nodes[i].alias);
	}
	free(b.nodes);
	return rc;
}

void wf_graph_free(struct wf_graph *g)
{
	size_t i, k;

	for (i = 0; i < g->nprocs; i++) {
		struct wf_gproc *p = &g->procs[i];
		for (k = 0; p->argv && p->argv[k]; k++)
			free(p->argv[k]);
		free(p->argv);
		if (p->arg) {
			struct wf_node_arg *a = p->arg;
			free(a->alias);
			free(a->path);
			free(a->mode);
			free(a->args);
			free(a);
		}
		for (k = 0; k < p->nfds; k++)
			free(p->fds[k].port);
		free(p->fds);
		free(p->name);
		free(p->node);
	}
	free(g->procs);
	for (i = 0; i < g->nwires; i++) {
		free(g->wires[i].dests);
		free(g->wires[i].label);
	}
	free(g->wires);
	free(g->bindir);
	memset(g, 0, sizeof *g);
}

static void dot_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void wf_graph_dot(const struct wf_graph *g, FILE *f)
{
	size_t i, k;

	fprintf(f, "digraph flow {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"monospace\"];\n");
	fprintf(f, "\thub [shape=ellipse, label=\"flow-run (fan-in/out, exit)\"];\n");
	for (i = 0; i < g->nprocs; i++) {
		fprintf(f, "\tp%zu [label=\"", i);
		dot_escape(f, g->procs[i].name);
		fprintf(f, "\"];\n");
	}
	for (i = 0; i < g->nwires; i++) {
		const struct wf_gwire *w = &g->wires[i];
		const char *writer = NULL, *reader = NULL;
		char wb[32], rb[32];
		for (k = 0; k < g->nprocs; k++) {
			size_t j;
			for (j = 0; j < g->procs[k].nfds; j++)
				if (g->procs[k].fds[j].wire == (int)i) {
					snprintf(g->procs[k].fds[j].write ? wb : rb, 32, "p%zu", k);
					if (g->procs[k].fds[j].write)
						writer = wb;
					else
						reader = rb;
				}
		}
		if (w->hub_writes && !writer)
			writer = "hub";
		if (w->hub_reads && !reader)
			reader = "hub";
		if (!writer)
			continue;	/* an idle input: nothing writes it */
		fprintf(f, "\t%s -> %s [label=\"", writer, reader ? reader : "hub");
		dot_escape(f, w->label);
		if (w->exit_port == 1)
			fprintf(f, " (exit)");
		fprintf(f, "\"];\n");
	}
	fprintf(f, "}\n");
}

void wf_graph_describe(const struct wf_graph *g, FILE *f)
{
	size_t i;

	for (i = 0; i < g->nprocs; i++)
		fprintf(f, "flow-run: %s\n", g->procs[i].name);
}
