/* lines-split: Tremor's `separate` preprocessor and postprocessor. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "split.h"

static int parse_sep(const char *s, unsigned char *out)
{
	static const char esc[] = "n\nt\tr\r0\0\\\\";
	size_t i;

	if (s[0] && !s[1]) {
		*out = (unsigned char)s[0];
		return 0;
	}
	if (s[0] == '\\' && s[1] && !s[2])
		for (i = 0; i < sizeof esc - 1; i += 2)
			if (esc[i] == s[1]) {
				*out = (unsigned char)esc[i + 1];
				return 0;
			}
	return -1;
}

int main(int argc, char **argv)
{
	const char *prog = "lines-split", *sep = NULL, *maxlen = NULL, *id = prog;
	int buffered = -1, join = 0, closed;
	struct poptOption opts[] = {
		{ "separator", 's', POPT_ARG_STRING, &sep, 0,
		  "split at byte C (default \\n; \\t \\r \\0 \\\\ accepted)", "C" },
		{ "max-length", 'm', POPT_ARG_STRING, &maxlen, 0,
		  "drop pieces longer than N bytes (0: no limit)", "N" },
		{ "buffered", 0, POPT_ARG_VAL, &buffered, 1,
		  "keep an unfinished tail per stream until more arrives (default)", NULL },
		{ "no-buffered", 0, POPT_ARG_VAL, &buffered, 0,
		  "every payload stands alone; its tail is always emitted", NULL },
		{ "join", 'j', POPT_ARG_NONE, &join, 0,
		  "the postprocessor: append the separator to every payload", NULL },
		{ "id", 0, POPT_ARG_STRING, &id, 0, "source name in error events", "NAME" },
		POPT_TABLEEND
	};
	struct wf_split s = { .sep = '\n', .max = 8192, .buffered = 1 };
	struct wf_errsink err;
	struct wf_filter f = { .err = &err };
	struct wf_cli cli;
	char msg[512];
	int rc;

	closed = wf_io_start();
	rc = wf_cli_parse(&cli, prog, argc, (const char **)argv, opts, "[OPTION...]", msg, sizeof msg);
	if (rc == WF_CLI_RUN && cli.nargs) {
		snprintf(msg, sizeof msg, "unexpected argument '%s'", cli.args[0]);
		rc = WF_CLI_BAD;
	}
	/* Tremor: `separate` by name limits pieces to 8192 bytes; configured
	 * without max_length it has no limit */
	if (rc == WF_CLI_RUN && (sep || buffered >= 0))
		s.max = 0;
	if (rc == WF_CLI_RUN && sep && parse_sep(sep, &s.sep) < 0) {
		snprintf(msg, sizeof msg, "--separator: \"%s\" is not one byte", sep);
		rc = WF_CLI_BAD;
	}
	if (rc == WF_CLI_RUN && maxlen && wf_parse_size(maxlen, &s.max) < 0) {
		snprintf(msg, sizeof msg, "--max-length: \"%s\" is not a size", maxlen);
		rc = WF_CLI_BAD;
	}
	if (rc != WF_CLI_RUN)
		return wf_cli_done(&cli, rc, msg, stdout, stderr);
	s.buffered = buffered != 0;
	s.join = join;
	s.hard_max = cli.max_line;
	wf_split_init(&s, &f);
	rc = wf_filter_main(&f, &cli, prog, id, closed, msg, sizeof msg);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, msg);
	wf_split_free(&s);
	wf_cli_free(&cli);
	return rc;
}
