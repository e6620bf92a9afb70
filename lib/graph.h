/* graph: a deployed troy flow as a graph of processes joined by pipes.
 *
 * wf_graph_build checks a parsed troy tree against what flow-run supports
 * (connector types, config keys, codecs, processors, ports) and expands
 * every connector and pipeline into processes: ws-listen/ws-connect with
 * their lines-split and json-codec stages, file and stdio readers and
 * writers, pipelines. Nothing runs until wf_graph_run. */
#ifndef WF_GRAPH_H
#define WF_GRAPH_H

#include <stddef.h>
#include <stdio.h>
#include "troy.h"

struct wf_graph;
struct wf_gproc;

/* A process body run in a forked child (internal nodes); fds are set up. */
typedef int wf_gproc_fn(struct wf_gproc *p);

/* One fd of a process, joined to a wire. */
struct wf_gfd {
	int fd;			/* the number in the child */
	int wire;		/* index into graph wires; -1: /dev/null */
	int write;		/* the child writes it */
	char *port;		/* the port it carries, for pipelines (owned) */
};

struct wf_gproc {
	char *name;		/* "ws_server: json-codec --decode", for messages */
	char *node;		/* the troy node: "connector ws_server", "pipeline debug" */
	char **argv;		/* an exec'd binary (argv[0] a bare name) or NULL */
	wf_gproc_fn *fn;	/* or an internal body */
	void *arg;		/* the body's data (owned by the graph) */
	struct wf_gfd *fds;
	size_t nfds;
	int source;		/* stops first on a graceful stop */
	int pid;
	int exited, status;
	unsigned long long cpu;	/* its CPU time, ticks (the drain's check) */
};

/* A pipe between one writer and one reader; the hub (flow-run itself) is
 * the reader of a source wire and the writer of a fan wire. */
struct wf_gwire {
	int rfd, wfd;
	int hub_reads;		/* the hub reads it (fan-in/out, exit) */
	int hub_writes;
	int *dests;		/* hub_reads: the wires each line is copied to */
	size_t ndests;
	int exit_port;		/* hub_reads: lines are events for an exit connector */
	long long exit_delay_ns;
	int exit_graceful;	/* the exit connector's config: drain first */
	char *label;		/* for --graph */
};

struct wf_graph {
	struct wf_gproc *procs;
	size_t nprocs;
	struct wf_gwire *wires;
	size_t nwires;
	int has_exit;
	char *bindir;		/* where the wsflow binaries are */
};

/* The data of an internal process (owned by the graph). */
struct wf_node_arg {
	char *alias;		/* the connector or pipeline */
	char *path;		/* file */
	char *mode;		/* file: read, write, truncate, append, overwrite */
	size_t chunk;		/* file read */
	const struct wf_troy_pipeline_def *pipeline;
	char *args;		/* pipeline args, JSON */
};

/* Internal process bodies (nodes.c). */
int wf_node_file_read(struct wf_gproc *p);
int wf_node_file_write(struct wf_gproc *p);
int wf_node_stdio_read(struct wf_gproc *p);
int wf_node_raw_write(struct wf_gproc *p);
int wf_node_remove_empty(struct wf_gproc *p);
int wf_node_base64_decode(struct wf_gproc *p);
int wf_node_base64_encode(struct wf_gproc *p);
int wf_node_pipeline(struct wf_gproc *p);

struct wf_graph_opts {
	const char *bindir;	/* NULL: next to flow-run, then PATH */
	int verbose;
};

/* 0, or -1 with err filled as `file:line:col: message` + line + caret. */
int wf_graph_build(struct wf_graph *g, const struct wf_troy *t, const struct wf_graph_opts *o,
		   char *err, size_t n);
void wf_graph_free(struct wf_graph *g);
/* Graphviz dot of the processes and pipes. */
void wf_graph_dot(const struct wf_graph *g, FILE *f);
/* Log each process's command line (verbose). */
void wf_graph_describe(const struct wf_graph *g, FILE *f);

/* Run until an exit connector fires (after its delay), SIGINT/SIGTERM, or
 * a process dies: then stop gracefully (sources first, then let the rest
 * drain) and reap every child. A process that dies (a signal not sent by
 * the stop, or a non-zero exit status) is reported on stderr as it happens,
 * `flow-run: NAME: exited with status N`. 0; or 1: msg says why when the
 * graph could not start, and is left empty when a process failed. */
int wf_graph_run(struct wf_graph *g, const struct wf_graph_opts *o, char *msg, size_t n);

#endif
