/* graph: what wf_graph_build checks after the parser (connector types,
 * parameters, config keys and values, codecs, processors, ports, args,
 * several deployed flows), every message with its position; and the
 * processes and pipes it makes of the seed's flow. Nothing is run. */
#include "unit.h"
#include "graph.h"
#include "troy.h"

#include <stdlib.h>

static char errbuf[8192];
static const char *shipped_dirs[] = { "lib/troy" };
static const struct wf_troy_path shipped = { shipped_dirs, 1 };

/* The error for text at line:col: the message, the line, a caret. */
static void want_at(char *want, size_t n, const char *text, int l, int c, const char *msg)
{
	const char *s = text, *e;
	int i, k;

	for (i = 1; i < l && s; i++)
		if ((s = strchr(s, '\n')))
			s++;
	if (!s)
		s = "";
	e = strchr(s, '\n');
	k = snprintf(want, n, "t.troy:%d:%d: %s\n%.*s\n", l, c, msg, (int)(e ? (size_t)(e - s) : strlen(s)), s);
	for (i = 1; i < c && (size_t)k + 2 < n; i++)
		want[k++] = ' ';
	want[k++] = '^';
	want[k] = 0;
}

/* Build text's graph: 0, or -1 with errbuf (a parse error is a failure). */
static int build(int line, const char *text, struct wf_graph *g)
{
	struct wf_graph_opts o = { "/nonexistent", 0 };
	struct wf_troy *t;
	int rc;

	errbuf[0] = 0;
	memset(g, 0, sizeof *g);
	t = wf_troy_parse("t.troy", text, strlen(text), &shipped, errbuf, sizeof errbuf);
	if (!t) {
		unit_failures++;
		fprintf(stderr, "%s:%d: the parse failed:\n%s\n", __FILE__, line, errbuf);
		return -2;
	}
	rc = wf_graph_build(g, t, &o, errbuf, sizeof errbuf);
	wf_troy_free(t);
	return rc;
}

static void check_err(int line, const char *text, int l, int c, const char *msg)
{
	char want[8192];
	struct wf_graph g;
	int rc = build(line, text, &g);

	wf_graph_free(&g);
	if (rc == -2)
		return;
	want_at(want, sizeof want, text, l, c, msg);
	unit_checks++;
	if (rc == 0 || strcmp(errbuf, want)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: error case failed\n--- got:\n%s\n--- want:\n%s\n---\n", __FILE__, line,
			rc == 0 ? "(it built)" : errbuf, want);
	}
}

#define ERR_AT(text, l, c, msg) check_err(__LINE__, (text), (l), (c), (msg))

/* A flow with connector c of type TYPE and its `with` lines (line 4 is the
 * define, its with lines start at line 6). */
#define CONN(type, with) \
	"define flow main\n" \
	"flow\n" \
	"  use integration;\n" \
	"  define connector c from " type "\n" \
	"  with\n" \
	with \
	"  end;\n" \
	"  create connector c;\n" \
	"end;\n" \
	"deploy flow main;\n"

static void connector_errors(void)
{
	ERR_AT(CONN("kafka", "    codec = \"json\"\n"), 4, 27,
	       "connector type \"kafka\" is not supported (ws_server, ws_client, file, stdio, exit)");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    codecs = \"json\"\n"), 7, 5,
	       "unknown connector parameter codecs");
	ERR_AT(CONN("ws_server", "    config = {\"url\": \"127.0.0.1:0\"}\n"), 4, 20,
	       "ws_server: a codec is required");
	ERR_AT(CONN("ws_client", "    config = {\"url\": \"ws://h:1/\"}\n"), 4, 20,
	       "ws_client: a codec is required");
	/* a with value that does not evaluate */
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": args.nope}\n"), 7, 22,
	       "no key \"nope\" in the record");
}

static void ws_server_errors(void)
{
	ERR_AT(CONN("ws_server", "    codec = \"json\"\n"), 4, 20,
	       "ws_server: config = {\"url\": ...} is required");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = \"127.0.0.1:0\"\n"), 7, 14,
	       "the ws_server config must be a record");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"host\": \"x\"}\n"), 7, 15,
	       "unknown key \"host\" in the ws_server config");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"backlog\": 1}\n"), 7, 14,
	       "ws_server: config url is required (a string)");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": 8080}\n"), 7, 22,
	       "ws_server: config url is required (a string)");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": \"http://h:1\"}\n"), 7, 22,
	       "ws_server: http://h:1: the scheme must be ws:// or wss://");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": \"h:1\", \"tls\": {\"cert\": \"c\"}}\n"),
	       7, 36, "ws_server: tls must be a record with cert and key");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": \"h:1\", \"backlog\": 0}\n"), 7, 40,
	       "ws_server: backlog must be a positive integer");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": \"h:1\", \"socket_options\": "
		    "{\"SO_LINGER\": 1}}\n"), 7, 48, "unknown key \"SO_LINGER\" in socket_options");
	ERR_AT(CONN("ws_server", "    codec = \"json\",\n    config = {\"url\": \"h:1\", \"socket_options\": "
		    "{\"TCP_NODELAY\": 1}}\n"), 7, 63, "socket_options.TCP_NODELAY must be true or false");
}

static void ws_client_errors(void)
{
	ERR_AT(CONN("ws_client", "    codec = \"json\"\n"), 4, 20,
	       "ws_client: config = {\"url\": ...} is required");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h/\"}\n"), 7, 22,
	       "ws_client: Not a valid WS type url - port specification missing");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"uri\": \"ws://h:1/\"}\n"), 7, 15,
	       "unknown key \"uri\" in the ws_client config");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\", \"tls\": \"yes\"}\n"), 7,
	       42, "ws_client: tls must be true, false or a record");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\", \"tls\": {\"ca\": \"x\"}}\n"),
	       7, 43, "unknown key \"ca\" in the ws_client tls config");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\", \"tls\": {\"domain\": 1}}\n"),
	       7, 53, "ws_client: tls.domain must be a string");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\", \"no_delay\": \"no\"}\n"),
	       7, 47, "ws_client: no_delay must be true or false");
	/* reconnect */
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\"},\n"
		    "    reconnect = \"always\"\n"), 8, 17, "reconnect is \"none\" or {\"retry\": {\"interval_ms\": ...}}");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\"},\n"
		    "    reconnect = {\"retry\": {\"interval_ms\": 1}, \"x\": 1}\n"), 8, 47,
	       "unknown key \"x\" in reconnect");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\"},\n"
		    "    reconnect = {\"retry\": {\"growth_rate\": 2}}\n"), 8, 27,
	       "reconnect.retry.interval_ms is required (milliseconds)");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\"},\n"
		    "    reconnect = {\"retry\": {\"interval_ms\": 1, \"growth_rate\": \"fast\"}}\n"), 8, 61,
	       "reconnect.retry.growth_rate must be a positive number");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\"},\n"
		    "    reconnect = {\"retry\": {\"interval_ms\": 1, \"max_retries\": -1}}\n"), 8, 61,
	       "reconnect.retry.max_retries must be a non-negative integer");
	ERR_AT(CONN("ws_client", "    codec = \"json\",\n    config = {\"url\": \"ws://h:1/\"},\n"
		    "    reconnect = {\"retry\": {\"interval_ms\": 1, \"randomized\": 1}}\n"), 8, 60,
	       "reconnect.retry.randomized must be true or false");
}

static void codec_and_processor_errors(void)
{
#define SRV(with) CONN("ws_server", "    config = {\"url\": \"h:1\"},\n" with)
	ERR_AT(SRV("    codec = \"csv\"\n"), 7, 13,
	       "codec \"csv\" is not supported (json, json-sorted, string, binary)");
	ERR_AT(SRV("    codec = 1\n"), 7, 13, "a codec is a name or {\"name\": ..., \"config\": {...}}");
	ERR_AT(SRV("    codec = {\"name\": \"json\", \"config\": {\"sorted\": true}}\n"), 7, 41,
	       "unknown key \"sorted\" in the json codec's config");
	ERR_AT(SRV("    codec = {\"name\": \"json\", \"config\": {\"mode\": 1}}\n"), 7, 49,
	       "the json codec's mode is \"sorted\" or \"unsorted\"");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = \"separate\"\n"), 8, 21, "preprocessors must be a list");
	ERR_AT(SRV("    codec = \"json\",\n    postprocessors = {}\n"), 8, 22, "postprocessors must be a list");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = [\"separate\", 7]\n"), 8, 34,
	       "a preprocessor is a name or {\"name\": ..., \"config\": {...}}");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = [\"gelf-chunking\"]\n"), 8, 22,
	       "preprocessor \"gelf-chunking\" is not supported (separate, lines, remove-empty, base64)");
	ERR_AT(SRV("    codec = \"json\",\n    postprocessors = [\"compress\"]\n"), 8, 23,
	       "postprocessor \"compress\" is not supported (separate, lines, base64)");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = [{\"name\": \"separate\", \"config\": [1]}]\n"), 8, 53,
	       "the separate preprocessor's config must be a record");
	ERR_AT(SRV("    codec = \"json\",\n    postprocessors = [{\"name\": \"separate\", \"config\": {\"buffered\": true}}]\n"),
	       8, 55, "unknown key \"buffered\" in the separate postprocessor's config");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = [{\"name\": \"lines\", \"config\": {\"separator\": \"\"}}]\n"),
	       8, 64, "separator must be a string of one byte");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = [{\"name\": \"separate\", \"config\": {\"max_length\": -1}}]\n"),
	       8, 68, "max_length must be a non-negative integer");
	ERR_AT(SRV("    codec = \"json\",\n    preprocessors = [{\"name\": \"separate\", \"config\": {\"buffered\": 0}}]\n"),
	       8, 66, "buffered must be true or false");
#undef SRV
}

static void file_stdio_exit_errors(void)
{
	ERR_AT(CONN("file", "    codec = \"json\"\n"), 4, 20, "file: config = {\"path\": ...} is required");
	ERR_AT(CONN("file", "    config = {\"mode\": \"read\"}\n"), 6, 14, "file: config path is required (a string)");
	ERR_AT(CONN("file", "    config = {\"path\": \"x\", \"mode\": \"rw\"}\n"), 6, 36,
	       "file: mode is read, write, truncate, append or overwrite");
	ERR_AT(CONN("file", "    config = {\"path\": \"x\", \"chunk_size\": 0}\n"), 6, 42,
	       "file: chunk_size must be a positive integer");
	ERR_AT(CONN("file", "    config = {\"path\": \"x\", \"recursive\": true}\n"), 6, 28,
	       "unknown key \"recursive\" in the file config");
	ERR_AT(CONN("stdio", "    config = {\"stream\": \"stderr\"}\n"), 6, 15, "unknown key \"stream\" in the stdio config");
	ERR_AT(CONN("exit", "    config = {\"delay\": \"1s\"}\n"), 6, 24, "exit: delay must be a number of nanoseconds");
	ERR_AT(CONN("exit", "    config = {\"graceful\": \"yes\"}\n"), 6, 27, "exit: graceful must be true or false");
	ERR_AT(CONN("exit", "    config = {\"status\": 1}\n"), 6, 15, "unknown key \"status\" in the exit config");
}

/* in, out, exit and a passthrough p; the connects start at line 9 */
#define WIRED(connects) \
	"define flow main\n" \
	"flow\n" \
	"  use integration;\n" \
	"  use tremor::pipelines;\n" \
	"  create connector in from integration::read_file;\n" \
	"  create connector out from integration::write_file;\n" \
	"  create connector exit from integration::exit;\n" \
	"  create pipeline p from pipelines::passthrough;\n" \
	connects \
	"end;\n" \
	"deploy flow main;\n"

static void port_errors(void)
{
	ERR_AT(WIRED("  connect /connector/in/output to /pipeline/p;\n"), 9, 25,
	       "connector in has no output port output (its output ports: out, err)");
	ERR_AT(WIRED("  connect /connector/in to /pipeline/p/data;\n"), 9, 40,
	       "pipeline p has no input port data (its input ports: in)");
	ERR_AT(WIRED("  connect /pipeline/p/exit to /connector/exit;\n"), 9, 23,
	       "pipeline p has no output port exit (its output ports: out, err)");
	ERR_AT(WIRED("  connect /pipeline/p to /connector/in;\n"), 9, 37,
	       "connector in has no input port in (it has none)");
	ERR_AT(WIRED("  connect /connector/out to /pipeline/p;\n"), 9, 22,
	       "connector out has no output port out (its output ports: err)");
	ERR_AT(WIRED("  connect /connector/exit/out to /pipeline/p;\n"), 9, 27,
	       "connector exit has no output port out (it has none)");
	ERR_AT(WIRED("  connect /pipeline/p to /connector/exit/stop;\n"), 9, 42,
	       "connector exit has no input port stop (its input ports: in)");
}

static void arg_and_deploy_errors(void)
{
	ERR_AT("define flow main\n"
	       "flow\n"
	       "  use integration;\n"
	       "  create connector in from integration::read_file;\n"
	       "end;\n"
	       "deploy flow main with nope = 1 end;\n", 6, 23, "unknown arg `nope`");
	ERR_AT("define flow f\n"
	       "args\n"
	       "  x\n"
	       "flow\n"
	       "  use integration;\n"
	       "end;\n"
	       "deploy flow f;\n", 3, 3, "arg `x` has no value");
	ERR_AT("define flow main\n"
	       "flow\n"
	       "  use integration;\n"
	       "  create connector in from integration::read_file with path = \"x\" end;\n"
	       "end;\n"
	       "deploy flow main;\n", 4, 56, "unknown arg `path`");
	{
		const char *text = "define flow main\nflow\n  use integration;\nend;\n";
		struct wf_graph g;
		int rc = build(__LINE__, text, &g);
		wf_graph_free(&g);
		CHECK(rc == -1);
		CHECK(!strcmp(errbuf, "t.troy: nothing is deployed (no `deploy flow`)"));
	}
}

static const struct wf_gproc *proc_named(const struct wf_graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nprocs; i++)
		if (!strcmp(g->procs[i].name, name))
			return &g->procs[i];
	return NULL;
}

/* The seed's flow: the processes, and which pipes go through the hub. */
static void seed_graph(void)
{
	static const char *const names[] = {
		"in: file reader",
		"in: lines-split --id=in --err-fd=3",
		"in: json-codec --id=in --decode --err-fd=3",
		"out: file writer",
		"out: json-codec --id=out --encode --sorted",
		"out: lines-split --id=out --join",
		"stdio: stdin reader",
		"stdio: lines-split --id=stdio",
		"stdio: json-codec --id=stdio --string --decode",
		"stdio: stdout writer",
		"stdio: json-codec --id=stdio --string --encode",
		"stdio: lines-split --id=stdio --join",
		"ws_client: ws-connect wss://0.0.0.0:65535/ --id=ws_client --stream-events "
		"--tls-cafile=./before/localhost.cert --tls-domain=localhost --no-nodelay --retry-interval=500 "
		"--retry-growth=2 --retry-max=3 --err-fd=3",
		"ws_client: json-codec --id=ws_client --decode --err-fd=3",
		"ws_client: json-codec --id=ws_client --encode --err-fd=3",
		"ws_client: lines-split --id=ws_client --join --err-fd=3",
		"ws_server: ws-listen 0.0.0.0:65535 --id=ws_server --stream-events "
		"--tls-cert=./before/localhost.cert --tls-key=./before/localhost.key --err-fd=3",
		"ws_server: lines-split --id=ws_server --err-fd=3",
		"ws_server: json-codec --id=ws_server --decode --err-fd=3",
		"ws_server: json-codec --id=ws_server --encode --err-fd=3",
		"server_side: pipeline",
		"to_client: pipeline",
		"debug: pipeline",
	};
	FILE *f = fopen("tests/fixtures/troy/seed-separate.troy", "r");
	static char text[16384];
	struct wf_graph g;
	const struct wf_gproc *p;
	size_t n, i, hub_reads = 0, exits = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	if (build(__LINE__, text, &g) < 0) {
		fprintf(stderr, "%s\n", errbuf);
		CHECK(0);
		wf_graph_free(&g);
		return;
	}
	CHECK(g.nprocs == sizeof names / sizeof names[0]);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		unit_checks++;
		if (!proc_named(&g, names[i])) {
			unit_failures++;
			fprintf(stderr, "%s:%d: no process %s\n", __FILE__, __LINE__, names[i]);
		}
	}
	CHECK(g.has_exit);
	for (i = 0; i < g.nwires; i++) {
		hub_reads += g.wires[i].hub_reads;
		exits += g.wires[i].exit_port == 1;
		if (g.wires[i].exit_port == 1) {
			CHECK(!strcmp(g.wires[i].label, "server_side/out"));
			CHECK(g.wires[i].exit_delay_ns == 100000000);
			CHECK(g.wires[i].exit_graceful == 1);
			/* out_or_exit's out also feeds the file writer and the server */
			CHECK(g.wires[i].ndests == 2);
		}
	}
	CHECK(exits == 1);
	CHECK(hub_reads > 0);
	/* a pipeline's ports are its fds from 3 on, named */
	p = proc_named(&g, "server_side: pipeline");
	CHECK(p && p->fn == wf_node_pipeline);
	if (p) {
		int in = 0, out = 0;
		for (i = 0; i < p->nfds; i++) {
			in += !p->fds[i].write && p->fds[i].port && !strcmp(p->fds[i].port, "in");
			out += p->fds[i].write && p->fds[i].port && !strcmp(p->fds[i].port, "out");
		}
		CHECK(in == 1 && out == 1);
	}
	/* the file reader is a source: it stops first */
	p = proc_named(&g, "in: file reader");
	CHECK(p && p->source && p->fn == wf_node_file_read);
	wf_graph_free(&g);
}

/* Two deploys of one flow: each its own nodes, named by the deploy. */
static void two_deploys(void)
{
	const char *text = "define flow f\n"
			   "args\n"
			   "  target = \"out.log\"\n"
			   "flow\n"
			   "  use integration;\n"
			   "  use tremor::pipelines;\n"
			   "  create connector in from integration::read_file;\n"
			   "  create connector out from integration::write_file with file = args.target end;\n"
			   "  create pipeline p from pipelines::passthrough;\n"
			   "  connect /connector/in to /pipeline/p;\n"
			   "  connect /pipeline/p to /connector/out;\n"
			   "end;\n"
			   "deploy flow a from f with target = \"a.log\" end;\n"
			   "deploy flow b from f with target = \"b.log\" end;\n";
	struct wf_graph g;
	const struct wf_gproc *pa, *pb;

	if (build(__LINE__, text, &g) < 0) {
		fprintf(stderr, "%s\n", errbuf);
		CHECK(0);
	} else {
		CHECK(g.nprocs == 14);
		pa = proc_named(&g, "a/out: file writer");
		pb = proc_named(&g, "b/out: file writer");
		CHECK(pa && pb);
		if (pa && pb) {
			CHECK(!strcmp(((struct wf_node_arg *)pa->arg)->path, "a.log"));
			CHECK(!strcmp(((struct wf_node_arg *)pb->arg)->path, "b.log"));
		}
		CHECK(proc_named(&g, "a/p: pipeline") && proc_named(&g, "b/p: pipeline"));
	}
	wf_graph_free(&g);
}

int main(void)
{
	connector_errors();
	ws_server_errors();
	ws_client_errors();
	codec_and_processor_errors();
	file_stdio_exit_errors();
	port_errors();
	arg_and_deploy_errors();
	seed_graph();
	two_deploys();
	return unit_done();
}
