/* pipeline: one pipeline instance of a flow, run as a process body by
 * flow-run (DESIGN.md "flow-run").
 *
 * Envelopes are read from one fd per input port. Each event runs through
 * the selects that read from its port, in the order written: `where` (not
 * true: skipped), the select expression, `having`, then into a port, a
 * script or a stream (`create stream`), whose own selects run next. What
 * reaches an output port is written to that port's fd as an envelope: data
 * is the value, meta the event's ($, as scripts changed it), origin and every
 * other member as read. A value that did not change (`select event`, a
 * script ending in `event` that never assigns to it) is written byte for byte
 * as read: the line is copied and only changed members are spliced in.
 * Binary events (`bytes`) pass unchanged; an expression that reads such an
 * event sees it as a string when it is UTF-8 text, else it is an error.
 *
 * Control events (stream open/close) go unchanged to every output port the
 * input port's selects can reach. Runtime errors (a missing key, an operator
 * on the wrong types, a value that is not an envelope) become error events on
 * the `err` port when it is connected, as every wsflow binary writes them:
 *     {"data":{"error":"...","source":"<alias>","stream":N},"meta":...,"origin":...}
 * and otherwise `flow-run: pipeline <alias>: ...` lines on stderr (through
 * the errsink). Events sent to a port that is not connected are dropped, as
 * Tremor does.
 *
 * Expressions are compiled once, before the first event: to constants when
 * they read nothing but args, to a direct comparison for `event == "lit"`,
 * and to one jq program (one jq_state) each otherwise. */
#ifndef WF_PIPELINE_H
#define WF_PIPELINE_H

#include <stddef.h>
#include "err.h"
#include "troy.h"

struct wf_pipeline_port {
	const char *name;	/* a port the definition declares ("in", "out", "err", "exit") */
	int fd;			/* borrowed, never closed; -1: not connected */
};

struct wf_pipeline_spec {
	const struct wf_troy_pipeline_def *def;	/* borrowed, as is everything here */
	const char *alias;		/* the instance (`create pipeline ALIAS`): the source of its error events */
	const char *args_json;		/* the instance's args as a JSON object (wf_troy_args); NULL: {} */
	const struct wf_pipeline_port *in;	/* input ports: fds to read */
	size_t nin;
	const struct wf_pipeline_port *out;	/* output ports: fds to write; a declared port not */
	size_t nout;				/* listed here is not connected */
	struct wf_errsink *err;		/* stderr lines when `err` is not connected; NULL: one that
					 * writes `flow-run: pipeline <alias>: ...` */
	size_t maxline;			/* the longest input line; 0: WF_MAX_LINE */
};

/* Compile and check everything without running: unknown streams and
 * scripts, ports the definition does not declare, loops, expressions that do
 * not compile. 0, or -EINVAL with msg filled (`file:line:col: message` for
 * an error in the file). */
int wf_pipeline_check(const struct wf_pipeline_spec *spec, char *msg, size_t n);

/* Run until every input port has reached EOF and all output is written:
 * 0; -EINVAL for what wf_pipeline_check finds; a negative errno when a port
 * cannot be read or written (msg: `port out: write error: Broken pipe`).
 * Output fds that are pipes are written through non-blocking descriptors of
 * their own (the caller's stay as they are); when one is full, no input is
 * read until it drains. */
int wf_pipeline_run(const struct wf_pipeline_spec *spec, char *msg, size_t n);

#endif
