/* flow-run: run a Tremor flow file as a process graph of wsflow filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "graph.h"
#include "io.h"
#include "troy.h"

#ifndef WF_TROYDIR
#define WF_TROYDIR "/usr/local/share/wsflow/troy"
#endif

/* The modules flow-run ships: installed, or beside the build tree. */
static char *shipped_dir(void)
{
	static const char *const rel[] = { "../share/wsflow/troy", "../../../lib/troy" };
	char exe[4096], path[4200];
	ssize_t n;
	size_t i;

	if (access(WF_TROYDIR, R_OK) == 0)
		return strdup(WF_TROYDIR);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(path, sizeof path, "%s/%s/tremor", exe, rel[i]);
		if (access(path, R_OK) == 0) {
			snprintf(path, sizeof path, "%s/%s", exe, rel[i]);
			return strdup(path);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *prog = "flow-run";
	const char **incs = NULL, *bindir = NULL;
	int graph = 0, verbose = 0, rc;
	struct poptOption opts[] = {
		{ "include", 'I', POPT_ARG_ARGV, &incs, 0, "look for modules in DIR first (repeatable)", "DIR" },
		{ "graph", 0, POPT_ARG_NONE, &graph, 0, "print the process graph (Graphviz dot), run nothing", NULL },
		{ "verbose", 'v', POPT_ARG_NONE, &verbose, 0, "log every process's command line", NULL },
		{ "bindir", 0, POPT_ARG_STRING, &bindir, 0, "where the wsflow binaries are (beside flow-run)", "DIR" },
		POPT_TABLEEND
	};
	struct wf_graph_opts go = { 0 };
	struct wf_troy_path path = { 0 };
	size_t nincs = 0;
	struct wf_troy *t = NULL;
	struct wf_graph g;
	struct wf_cli cli;
	char msg[2048], *shipped = NULL;
	size_t i;

	wf_io_start();
	rc = wf_cli_parse(&cli, prog, argc, (const char **)argv, opts, "[OPTION...] FILE.troy", msg, sizeof msg);
	if (rc == WF_CLI_RUN && cli.nargs != 1) {
		snprintf(msg, sizeof msg, cli.nargs ? "one flow file only" : "a flow file (.troy) is needed");
		rc = WF_CLI_BAD;
	} else if (rc == WF_CLI_RUN && (cli.err_fd >= 0 || cli.raw_in || cli.raw_out || cli.max_line != WF_MAX_LINE)) {
		/* the filters' options: a flow says what its connectors do */
		snprintf(msg, sizeof msg, "--err-fd, --raw-input, --raw-output and --max-line are not flow-run options");
		rc = WF_CLI_BAD;
	}
	if (rc != WF_CLI_RUN) {
		for (i = 0; incs && incs[i]; i++)
			free((void *)incs[i]);
		free(incs);
		return wf_cli_done(&cli, rc, msg, stdout, stderr);
	}
	/* -I, then TREMOR_PATH, then the shipped modules */
	while (incs && incs[nincs])
		nincs++;
	shipped = shipped_dir();
	if (wf_troy_path_init(&path, incs, nincs, getenv("TREMOR_PATH"), shipped) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	go.bindir = bindir;
	go.verbose = verbose;
	t = wf_troy_load(cli.args[0], &path, msg, sizeof msg);
	if (!t) {
		fprintf(stderr, "%s\n", msg);
		rc = 2;
	} else if (wf_graph_build(&g, t, &go, msg, sizeof msg) < 0) {
		fprintf(stderr, "%s\n", msg);
		wf_graph_free(&g);
		rc = 2;
	} else {
		if (graph) {
			wf_graph_dot(&g, stdout);
			rc = fflush(stdout) ? 1 : 0;
		} else {
			msg[0] = 0;
			rc = wf_graph_run(&g, &go, msg, sizeof msg);
			if (rc && msg[0])
				fprintf(stderr, "%s: %s\n", prog, msg);
		}
		wf_graph_free(&g);
	}
	wf_troy_free(t);
	for (i = 0; incs && incs[i]; i++)
		free((void *)incs[i]);
	free(incs);
	wf_troy_path_free(&path);
	free(shipped);
	wf_cli_free(&cli);
	return rc;
}
