/* cli: the options every binary shares, parsed with popt.
 * --err-fd N, -R/--raw-input, -r/--raw-output, --help, --usage, --version.
 * The library prints nothing: wf_cli_parse says what happened and the
 * caller prints help or the message. */
#ifndef WF_CLI_H
#define WF_CLI_H

#include <popt.h>
#include <stdint.h>
#include <stdio.h>

struct wf_cli {
	const char *prog;
	int err_fd;		/* -1 when not given */
	int raw_in;
	int raw_out;
	size_t max_line;	/* --max-line, WF_MAX_LINE by default */
	int help, usage, version;
	const char **args;	/* positional arguments (owned by ctx) */
	int nargs;
	poptContext ctx;
	struct poptOption table[3];	/* the context points into it */
	struct {
		void *where;		/* a char ** of the caller's table */
		char *initial;
	} strs[32];			/* string options popt allocated */
	size_t nstrs;
};

/* The default bound of an input line: a 16 MiB payload escaped or in base64
 * with room to spare. */
#define WF_MAX_LINE ((size_t)128 << 20)

enum { WF_CLI_RUN = 0, WF_CLI_HELP = 1, WF_CLI_BAD = 2 };

/* Parse argv with the binary's own table (NULL-terminated, may be NULL) and
 * the shared options. WF_CLI_RUN, WF_CLI_HELP (--help, --usage or --version
 * asked for: call wf_cli_print), or WF_CLI_BAD with msg filled. */
int wf_cli_parse(struct wf_cli *c, const char *prog, int argc, const char **argv,
		 const struct poptOption *own, const char *args_help, char *msg, size_t n);
/* For WF_CLI_HELP print what was asked for on out; for WF_CLI_BAD print
 * `prog: msg` and a hint on err. Frees c; returns the exit status. */
int wf_cli_done(struct wf_cli *c, int rc, const char *msg, FILE *out, FILE *err);
void wf_cli_free(struct wf_cli *c);

/* Parse a size ("16777216", "16K", "16M", "1G"): 0, or -1. */
int wf_parse_size(const char *s, size_t *out);

/* An option's value, when given (v not NULL): a size above 0, or a number
 * of milliseconds >= 0. 0 (out set, or left alone when v is NULL), or -1
 * with msg `--name: "v" is not ...`. */
int wf_cli_size(const char *name, const char *v, size_t *out, char *msg, size_t n);
int wf_cli_ms(const char *name, const char *v, int64_t *out, char *msg, size_t n);

#endif
