/* json-codec: Tremor's `json` codec (and `string`). */
#include <stdio.h>

#include "cli.h"
#include "codec.h"
#include "filter.h"

int main(int argc, char **argv)
{
	const char *prog = "json-codec", *id = prog;
	int decode = 0, encode = 0, sorted = 0, string = 0, closed;
	struct poptOption opts[] = {
		{ "decode", 'd', POPT_ARG_NONE, &decode, 0,
		  "parse each payload; the value becomes data (default)", NULL },
		{ "encode", 'e', POPT_ARG_NONE, &encode, 0,
		  "data becomes its compact JSON text", NULL },
		{ "sorted", 0, POPT_ARG_NONE, &sorted, 0,
		  "sort object keys at every depth (Tremor's mode \"sorted\")", NULL },
		{ "string", 0, POPT_ARG_NONE, &string, 0, "Tremor's string codec instead", NULL },
		{ "id", 0, POPT_ARG_STRING, &id, 0, "source name in error events", "NAME" },
		POPT_TABLEEND
	};
	struct wf_codec c = { .kind = WF_CODEC_JSON };
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
	if (rc == WF_CLI_RUN && decode && encode) {
		snprintf(msg, sizeof msg, "--decode and --encode exclude each other");
		rc = WF_CLI_BAD;
	}
	if (rc == WF_CLI_RUN && string && sorted) {
		snprintf(msg, sizeof msg, "--sorted applies to the json codec, not --string");
		rc = WF_CLI_BAD;
	}
	if (rc != WF_CLI_RUN)
		return wf_cli_done(&cli, rc, msg, stdout, stderr);
	c.encode = encode;
	c.sorted = sorted;
	c.kind = string ? WF_CODEC_STRING : WF_CODEC_JSON;
	wf_codec_init(&c, &f);
	rc = wf_filter_main(&f, &cli, prog, id, closed, msg, sizeof msg);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, msg);
	wf_codec_free(&c);
	wf_cli_free(&cli);
	return rc;
}
