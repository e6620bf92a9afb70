#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef WF_VERSION
#define WF_VERSION "0.0.0"
#endif

static struct poptOption common[] = {
	{ "err-fd", 0, POPT_ARG_INT, NULL, 'e',
	  "write error events as envelopes to file descriptor N", "N" },
	{ "raw-input", 'R', POPT_ARG_NONE, NULL, 'R',
	  "read plain lines, each one text payload", NULL },
	{ "raw-output", 'r', POPT_ARG_NONE, NULL, 'r',
	  "write only payloads, one per line", NULL },
	{ "max-line", 0, POPT_ARG_STRING, NULL, 'L',
	  "longest input line, a longer one is an error event (default 128M)", "BYTES" },
	{ "version", 0, POPT_ARG_NONE, NULL, 'V', "print the version and exit", NULL },
	{ "help", '?', POPT_ARG_NONE, NULL, 'h', "show this help message", NULL },
	{ "usage", 0, POPT_ARG_NONE, NULL, 'u', "display brief usage message", NULL },
	POPT_TABLEEND
};

int wf_cli_parse(struct wf_cli *c, const char *prog, int argc, const char **argv,
		 const struct poptOption *own, const char *args_help, char *msg, size_t n)
{
	struct poptOption *table = c->table;
	int rc, k = 0, err_fd = -1;
	const char *max_line = NULL;

	memset(c, 0, sizeof *c);
	c->err_fd = -1;
	c->prog = prog;
	c->max_line = WF_MAX_LINE;
	common[0].arg = &err_fd;
	common[3].arg = &max_line;
	if (own) {
		struct poptOption inc = { NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)own, 0,
					  "Options:", NULL };
		table[k++] = inc;
	}
	{
		struct poptOption inc = { NULL, 0, POPT_ARG_INCLUDE_TABLE, common, 0,
					  "Common options:", NULL };
		table[k++] = inc;
	}
	{
		struct poptOption end = POPT_TABLEEND;
		table[k] = end;
	}
	/* popt allocates the strings it stores: remember where, to free them */
	for (k = 0; own && own[k].longName; k++)
		if ((own[k].argInfo & POPT_ARG_MASK) == POPT_ARG_STRING && own[k].arg &&
		    c->nstrs < sizeof c->strs / sizeof c->strs[0]) {
			c->strs[c->nstrs].where = own[k].arg;
			c->strs[c->nstrs].initial = *(char **)own[k].arg;
			c->nstrs++;
		}
	c->ctx = poptGetContext(prog, argc, argv, table, 0);
	poptSetOtherOptionHelp(c->ctx, args_help ? args_help : "[OPTION...]");
	while ((rc = poptGetNextOpt(c->ctx)) > 0) {
		switch (rc) {
		case 'e':
			if (err_fd < 0 || fcntl(err_fd, F_GETFD) < 0) {
				snprintf(msg, n, "--err-fd: %d is not an open file descriptor", err_fd);
				return WF_CLI_BAD;
			}
			c->err_fd = err_fd;
			break;
		case 'L': {
			int bad = wf_parse_size(max_line, &c->max_line) < 0 || !c->max_line;
			if (bad)
				snprintf(msg, n, "--max-line: \"%s\" is not a size", max_line);
			free((void *)max_line);
			max_line = NULL;
			if (bad)
				return WF_CLI_BAD;
			break;
		}
		case 'R': c->raw_in = 1; break;
		case 'r': c->raw_out = 1; break;
		case 'V': c->version = 1; break;
		case 'h': c->help = 1; break;
		case 'u': c->usage = 1; break;
		default: break;	/* the binary's own options with a val */
		}
	}
	if (rc < -1) {
		snprintf(msg, n, "%s: %s", poptBadOption(c->ctx, POPT_BADOPTION_NOALIAS),
			 poptStrerror(rc));
		return WF_CLI_BAD;
	}
	if (c->help || c->usage || c->version)
		return WF_CLI_HELP;
	c->args = poptGetArgs(c->ctx);
	while (c->args && c->args[c->nargs])
		c->nargs++;
	return WF_CLI_RUN;
}

int wf_cli_done(struct wf_cli *c, int rc, const char *msg, FILE *out, FILE *err)
{
	int status = 0;

	if (rc == WF_CLI_HELP) {
		if (c->version)
			fprintf(out, "%s (wsflow) %s\n", c->prog, WF_VERSION);
		else if (c->usage)
			poptPrintUsage(c->ctx, out, 0);
		else
			poptPrintHelp(c->ctx, out, 0);
		status = fflush(out) ? 1 : 0;
	} else {
		fprintf(err, "%s: %s\n", c->prog, msg);
		fprintf(err, "Try '%s --help' for more information.\n", c->prog);
		status = 2;
	}
	wf_cli_free(c);
	return status;
}

void wf_cli_free(struct wf_cli *c)
{
	size_t i;

	for (i = 0; i < c->nstrs; i++) {
		char **where = c->strs[i].where;
		if (*where != c->strs[i].initial)
			free(*where);
		*where = c->strs[i].initial;
	}
	c->nstrs = 0;
	if (c->ctx)
		poptFreeContext(c->ctx);
	c->ctx = NULL;
}

int wf_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end || v > (unsigned long long)SIZE_MAX >> shift)
		return -1;	/* a size that wraps around is no size */
	v <<= shift;
	*out = (size_t)v;
	return 0;
}

int wf_cli_size(const char *name, const char *v, size_t *out, char *msg, size_t n)
{
	size_t x;

	if (!v)
		return 0;
	if (wf_parse_size(v, &x) < 0 || !x) {
		snprintf(msg, n, "--%s: \"%s\" is not a size", name, v);
		return -1;
	}
	*out = x;
	return 0;
}

int wf_cli_ms(const char *name, const char *v, int64_t *out, char *msg, size_t n)
{
	char *end;
	double d;

	if (!v)
		return 0;
	d = strtod(v, &end);
	if (end == v || *end || d < 0) {
		snprintf(msg, n, "--%s: \"%s\" is not a number of milliseconds", name, v);
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}
