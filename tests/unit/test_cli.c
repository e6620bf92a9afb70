/* cli: sizes and the shared options. */
#include "unit.h"
#include "cli.h"

#include <stdint.h>

static size_t size_of(const char *s)
{
	size_t v = 12345;

	return wf_parse_size(s, &v) ? (size_t)-1 : v;
}

int main(void)
{
	struct wf_cli c;
	char msg[256];
	int flag = 0;
	struct poptOption own[] = {
		{ "flag", 'f', POPT_ARG_NONE, &flag, 0, "a flag", NULL },
		POPT_TABLEEND
	};

	CHECK(size_of("0") == 0);
	CHECK(size_of("16777216") == 16777216);
	CHECK(size_of("16K") == 16384 && size_of("16k") == 16384);
	CHECK(size_of("3M") == 3 << 20 && size_of("1G") == 1 << 30);
	CHECK(size_of("") == (size_t)-1);
	CHECK(size_of("-1") == (size_t)-1);
	CHECK(size_of(" 1") == (size_t)-1);
	CHECK(size_of("1x") == (size_t)-1);
	CHECK(size_of("1KB") == (size_t)-1);
	CHECK(size_of("K") == (size_t)-1);
	CHECK(size_of("99999999999999999999") == (size_t)-1);
	/* too large once multiplied: no silent wrap to a small size */
	CHECK(size_of("17179869184G") == (size_t)-1);
	CHECK(size_of("18014398509481984K") == (size_t)-1);
	CHECK(size_of("17179869183G") == (size_t)17179869183 << 30);
	{
		size_t v;
		CHECK(wf_parse_size(NULL, &v) == -1);
	}

	{
		const char *argv[] = { "p", "-f", "--max-line", "1K", "-R", "-r", "--err-fd", "2", "x", NULL };
		CHECK(wf_cli_parse(&c, "p", 9, argv, own, NULL, msg, sizeof msg) == WF_CLI_RUN);
		CHECK(flag == 1 && c.max_line == 1024 && c.raw_in && c.raw_out && c.err_fd == 2);
		CHECK(c.nargs == 1 && !strcmp(c.args[0], "x"));
		wf_cli_free(&c);
	}
	{
		const char *argv[] = { "p", NULL };
		CHECK(wf_cli_parse(&c, "p", 1, argv, own, NULL, msg, sizeof msg) == WF_CLI_RUN);
		CHECK(c.max_line == WF_MAX_LINE && c.err_fd == -1 && !c.raw_in && !c.raw_out && !c.nargs);
		wf_cli_free(&c);
	}
	{
		const char *argv[] = { "p", "--err-fd", "77", NULL };
		CHECK(wf_cli_parse(&c, "p", 3, argv, own, NULL, msg, sizeof msg) == WF_CLI_BAD);
		CHECK(!strcmp(msg, "--err-fd: 77 is not an open file descriptor"));
		wf_cli_free(&c);
	}
	{
		const char *argv[] = { "p", "--max-line", "0", NULL };
		CHECK(wf_cli_parse(&c, "p", 3, argv, own, NULL, msg, sizeof msg) == WF_CLI_BAD);
		CHECK(!strcmp(msg, "--max-line: \"0\" is not a size"));
		wf_cli_free(&c);
	}
	{
		const char *argv[] = { "p", "--nope", NULL };
		CHECK(wf_cli_parse(&c, "p", 2, argv, own, NULL, msg, sizeof msg) == WF_CLI_BAD);
		CHECK(!strcmp(msg, "--nope: unknown option"));
		wf_cli_free(&c);
	}
	{
		const char *argv[] = { "p", "--version", NULL };
		CHECK(wf_cli_parse(&c, "p", 2, argv, own, NULL, msg, sizeof msg) == WF_CLI_HELP);
		CHECK(c.version);
		wf_cli_free(&c);
	}
	return unit_done();
}
