/* troy_jq: trickle expressions (struct wf_texpr, troy.h) as jq programs.
 *
 * A program runs on one input object
 *     {"event": <the event>, "meta": <$>, "args": <args>, "state": null, "locals": {...}}
 * and yields the expression's value. Tremor's runtime errors (a missing key,
 * an operator on the wrong types) are jq errors whose message starts with the
 * expression's `file:line:col`; compile errors (an unknown function, a name
 * that is not bound) fill err the same way.
 *
 * Constant expressions (config values in `with` blocks, args defaults) are
 * evaluated by wf_troy_eval_const: literals, records, arrays and args paths
 * are copied as written (42.0 and 12345678901234567890 stay), the rest goes
 * through libjq. */
#ifndef WF_TROY_JQ_H
#define WF_TROY_JQ_H

#include <stddef.h>
#include <jq.h>
#include <jv.h>
#include "buf.h"
#include "troy.h"

/* The whole program for e (helper definitions included), appended to out.
 * 0, or -1 with err filled. Every local name is accepted. */
int wf_troy_jq(struct wf_buf *out, const struct wf_texpr *e, char *err, size_t n);

/* Where function names are resolved: a call `a::f` whose `a` is the alias
 * of a `use` (the last segment of its path, or its `as` name) stands for
 * `<path>::f`. The use lists are searched first, innermost first, then the
 * uses of scope and its parents. std::time::nanos::f and nanos::f are the
 * same function either way. */
struct wf_troy_jq_env {
	const struct wf_troy_use *uses[2];
	size_t nuses[2];
	const struct wf_troy_scope *scope;	/* may be NULL */
	int no_locals;		/* names other than event, $, args and state are
				 * errors (selects have no locals) */
};

/* wf_troy_jq with names resolved in env (may be NULL). */
int wf_troy_jq_env(struct wf_buf *out, const struct wf_texpr *e, const struct wf_troy_jq_env *env,
		   char *err, size_t n);

/* Evaluate e, which may use only literals, args and functions, with args
 * the JSON object args_json (NULL: {}); its compact JSON text is appended to
 * out_json. 0, or -1 with err filled. */
int wf_troy_eval_const(const struct wf_texpr *e, const char *args_json, struct wf_buf *out_json,
		       char *err, size_t n);
/* The same with function names resolved in env (may be NULL). */
int wf_troy_eval_const_env(const struct wf_texpr *e, const char *args_json,
			   const struct wf_troy_jq_env *env, struct wf_buf *out_json, char *err, size_t n);

/* The args record of an instance, appended to out as a JSON object: every
 * declared arg (params) takes the `with` binding of that name, else its
 * default; both are evaluated against outer_args (the enclosing scope's args,
 * NULL: {}). A `with` name that params does not declare, or an arg left
 * without a value, is an error at its position. 0, or -1 with err filled. */
int wf_troy_args(struct wf_buf *out, const struct wf_troy_bindings *params,
		 const struct wf_troy_bindings *with, const char *outer_args, char *err, size_t n);

/* What an expression reads: a mask of these. */
#define WF_USES_EVENT	1
#define WF_USES_META	2
#define WF_USES_ARGS	4
#define WF_USES_STATE	8
#define WF_USES_LOCALS	16
unsigned wf_troy_uses(const struct wf_texpr *e);

/* Whether e is the bare path `event` (the value passed on unchanged). */
int wf_troy_is_event(const struct wf_texpr *e);

/* A script (troy.h) as one program over the same input object. It yields
 * [<$ after the script>, <result>]: the result is the last statement's value
 * (a `let` yields the value it assigned, as in Tremor). When the script does
 * not assign to `event` and ends with the bare `event`, the event is passed
 * on unchanged: the program yields only [<$>] and *flags has
 * WF_SCRIPT_PASS. WF_SCRIPT_META: the script assigns to $. *uses is what
 * the program reads. Names are resolved in env (may be NULL) and then in
 * the script's own uses. 0, or -1 with err filled. */
#define WF_SCRIPT_PASS	1
#define WF_SCRIPT_META	2
int wf_troy_jq_script(struct wf_buf *out, const struct wf_troy_script_def *s,
		      const struct wf_troy_jq_env *env, unsigned *flags, unsigned *uses, char *err, size_t n);

/* libjq: a state with program compiled (its compile errors in err), or NULL.
 * Free it with jq_teardown. */
jq_state *wf_troy_jq_compile(const char *program, char *err, size_t n);
/* Run a compiled program on input (consumed): 0 and its first value in *out
 * (the caller frees it), or -1 with err filled by the jq error. */
int wf_troy_jq_run(jq_state *jq, jv input, jv *out, char *err, size_t n);

/* Append v (borrowed) as compact JSON. Numbers that are whole and below 2^63
 * are written as integers (jq 1.6 would write 1e+17); keys keep their order.
 * 0, or a negative errno (buffer maximum). */
int wf_troy_jv_dump(struct wf_buf *out, jv v);

#endif
