/* troy: the Tremor deployment language subset flow-run runs
 * (../shared/reference/tremor-semantics.md section 3).
 *
 * wf_troy_load parses a file and every module it uses into one tree; all
 * strings and nodes belong to the wf_troy returned, freed by wf_troy_free.
 * Errors are `file:line:col: message`, then the offending line and a caret. */
#ifndef WF_TROY_H
#define WF_TROY_H

#include <stddef.h>

struct wf_troy_pos {
	const char *file;	/* owned by the wf_troy */
	int line, col;		/* 1-based */
	const char *src;	/* the file's text as parsed (owned by the wf_troy),
				 * NUL-terminated; NULL: wf_troy_error reads file */
};

/* Expressions (trickle), kept as a tree for the jq compiler (troy_jq.c). */
enum wf_texpr_kind {
	WF_TE_LIT,	/* lit: JSON text of a literal: 1, 1.5, true, null, "s" */
	WF_TE_STR,	/* a string with #{} interpolation: kids are the parts
			 * (LIT strings and expressions), in order */
	WF_TE_RECORD,	/* kids: key0, value0, key1, value1, ... (keys LIT or STR) */
	WF_TE_ARRAY,	/* kids: the items */
	WF_TE_PATH,	/* lit: the root: "event", "$", "args", "state", or a
			 * local name; kids: segments, a LIT string for `.name`,
			 * any expression for `[e]` */
	WF_TE_CALL,	/* lit: the function as written, "nanos::from_seconds";
			 * kids: the arguments */
	WF_TE_BIN,	/* lit: the operator: == != < <= > >= + - * / % and or xor
			 * (also "&" etc. if ever needed); kids: left, right */
	WF_TE_UN,	/* lit: "not" or "-"; kids: the operand */
	WF_TE_PRESENT,	/* `present PATH` / `absent PATH`: lit "present"/"absent", kids[0] a PATH */
};

struct wf_texpr {
	enum wf_texpr_kind kind;
	struct wf_troy_pos pos;
	char *lit;
	struct wf_texpr **kids;
	size_t nkids;
};

/* `name = expr` in `with`, and `name [= default]` in `args`. */
struct wf_troy_binding {
	char *name;
	struct wf_texpr *value;	/* NULL for an arg without a default */
	struct wf_troy_pos pos;
};

struct wf_troy_bindings {
	struct wf_troy_binding *v;
	size_t n;
};

struct wf_troy_connector_def {
	char *name;
	char *type;		/* ws_server, ws_client, file, stdio, exit, ... */
	struct wf_troy_bindings args, with;
	struct wf_troy_pos pos;		/* the name */
	struct wf_troy_pos type_pos;	/* the type */
};

/* A statement of a script: `let $a.b = e`, `let event.a = e`, `let x = e`,
 * or a bare expression (the script's result when last). */
struct wf_troy_let {
	struct wf_texpr *target;	/* a PATH, or NULL for a bare expression */
	struct wf_texpr *value;
	struct wf_troy_pos pos;
};

struct wf_troy_script_def {
	char *name;
	struct wf_troy_bindings args;
	struct wf_troy_let *stmts;
	size_t nstmts;
	struct wf_troy_use *uses;	/* `use` inside the script */
	size_t nuses;
	struct wf_troy_pos pos;
};

/* `select EXPR from STREAM[/PORT] [where COND] into STREAM[/PORT] [having COND]` */
struct wf_troy_select {
	struct wf_texpr *expr;
	char *from, *from_port;		/* port NULL when not given */
	struct wf_texpr *where;		/* may be NULL */
	char *into, *into_port;
	struct wf_texpr *having;	/* may be NULL */
	struct wf_troy_pos pos;
	struct wf_troy_pos from_pos, into_pos;	/* the stream names */
};

/* `create script NAME [from TARGET] [with ... end]` inside a pipeline:
 * a node events flow through, named as a stream. */
struct wf_troy_script_use {
	char *alias;
	char *target;		/* the script definition's name as written
				 * ("s", "mod::s"), or NULL: the alias */
	struct wf_troy_bindings with;
	const struct wf_troy_script_def *def;	/* resolved by the parser */
	struct wf_troy_pos pos, target_pos;
};

struct wf_troy_pipeline_def {
	char *name;
	char **from_ports, **into_ports;	/* default in / out, err */
	size_t nfrom, ninto;
	struct wf_troy_bindings args;
	struct wf_troy_select *selects;
	size_t nselects;
	struct wf_troy_script_def *scripts;	/* defined inside */
	size_t nscripts;
	struct wf_troy_script_use *script_uses;
	size_t nscript_uses;
	char **streams;				/* `create stream NAME` */
	size_t nstreams;
	struct wf_troy_use *uses;		/* `use` inside the pipeline */
	size_t nuses;
	const struct wf_troy_scope *parent;	/* where it is defined */
	struct wf_troy_pos pos;
};

enum wf_troy_kind { WF_TROY_CONNECTOR, WF_TROY_PIPELINE };

struct wf_troy_create {
	enum wf_troy_kind kind;
	char *alias;
	char *target;		/* "integration::read_file", or NULL: the alias */
	struct wf_troy_bindings with;
	/* The definition, resolved by the parser: the one for kind is set. */
	const struct wf_troy_connector_def *connector;
	const struct wf_troy_pipeline_def *pipeline;
	struct wf_troy_pos pos;		/* the alias */
	struct wf_troy_pos target_pos;	/* the target (the alias when none) */
};

struct wf_troy_endpoint {
	enum wf_troy_kind kind;
	char *id;
	char *port;		/* NULL: the default (out from a source, in to a sink) */
	const struct wf_troy_create *create;	/* resolved: the create of id */
	struct wf_troy_pos pos;		/* the id */
	struct wf_troy_pos port_pos;	/* the port; the id's when port is NULL */
};

struct wf_troy_connect {
	struct wf_troy_endpoint from, to;
	struct wf_troy_pos pos;
};

struct wf_troy_use {
	char *path;		/* "tremor::pipelines" */
	char *alias;		/* the last segment, or the `as` name */
	struct wf_troy_module *mod;	/* resolved; NULL for built-in function modules */
	struct wf_troy_pos pos;
};

/* Definitions visible in one scope: a file (module) or a flow body. */
struct wf_troy_scope {
	struct wf_troy_use *uses;
	size_t nuses;
	struct wf_troy_connector_def *connectors;
	size_t nconnectors;
	struct wf_troy_pipeline_def *pipelines;
	size_t npipelines;
	struct wf_troy_script_def *scripts;
	size_t nscripts;
	struct wf_troy_flow_def *flows;
	size_t nflows;
	const struct wf_troy_scope *parent;	/* a flow's: its file's scope; NULL for a file */
};

struct wf_troy_flow_def {
	char *name;
	struct wf_troy_bindings args;
	struct wf_troy_scope scope;	/* its own definitions and uses */
	struct wf_troy_create *creates;
	size_t ncreates;
	struct wf_troy_connect *connects;
	size_t nconnects;
	struct wf_troy_pos pos;
};

struct wf_troy_deploy {
	char *alias;
	char *target;		/* NULL: the flow named alias */
	struct wf_troy_bindings with;
	const struct wf_troy_flow_def *flow;	/* resolved by the parser */
	struct wf_troy_pos pos, target_pos;
};

struct wf_troy_module {
	char *name;		/* "integration", "tremor::pipelines"; "" for the main file */
	char *file;
	struct wf_troy_scope scope;
	struct wf_troy_deploy *deploys;	/* only in the main file */
	size_t ndeploys;
};

struct wf_troy {
	struct wf_troy_module *main;
	struct wf_troy_module **mods;	/* every module loaded, once each, in
					 * the order of their first use (not main) */
	size_t nmods;
	void *arena;			/* everything above is allocated here */
};

/* Module search: dirs from -I first, then TREMOR_PATH (colon-separated),
 * then the modules flow-run ships (WF_TROYDIR, or its build-tree copy). */
struct wf_troy_path {
	const char **dirs;
	size_t ndirs;
};

/* Fill p with incl (the -I dirs, in order), then every non-empty entry of
 * tremor_path (TREMOR_PATH; may be NULL), then shipped (may be NULL). The
 * strings are copied; free with wf_troy_path_free. 0, or -ENOMEM. */
int wf_troy_path_init(struct wf_troy_path *p, const char *const *incl, size_t nincl,
		      const char *tremor_path, const char *shipped);
void wf_troy_path_free(struct wf_troy_path *p);

/* Parse file and its uses, and resolve every name the file uses (create and
 * deploy targets, connect ids, pipeline streams, script targets): the
 * resolved pointers in the tree are set. NULL on error with err filled: the
 * first error as `file:line:col: message\n<line>\n<caret>` (no trailing
 * newline); a file that cannot be read is `file: strerror`. */
struct wf_troy *wf_troy_load(const char *file, const struct wf_troy_path *path, char *err, size_t n);
/* The same from text in memory (name is used in messages). */
struct wf_troy *wf_troy_parse(const char *name, const char *text, size_t len,
			      const struct wf_troy_path *path, char *err, size_t n);
void wf_troy_free(struct wf_troy *t);

/* Format an error at pos the same way (for later checks: unknown names,
 * config keys, ports). The text shown is pos->src, or when it is NULL the
 * file read again (just the first line when it cannot be read). */
void wf_troy_error(char *err, size_t n, const struct wf_troy_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Look a name up as the parser resolves it: "name" in scope, then in its
 * parents; or "alias::name" through the uses of the scope and its parents,
 * then "alias::sub::name" through the module's own uses. NULL when unknown
 * (also for an alias of a built-in function module). */
const struct wf_troy_connector_def *wf_troy_find_connector(const struct wf_troy_scope *s, const char *name);
const struct wf_troy_pipeline_def *wf_troy_find_pipeline(const struct wf_troy_scope *s, const char *name);
const struct wf_troy_flow_def *wf_troy_find_flow(const struct wf_troy_scope *s, const char *name);

#endif
