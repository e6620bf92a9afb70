/* ws-bench: a WebSocket load generator (flood, echo, connect and hold scenarios). */
#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "buf.h"
#include "cli.h"
#include "io.h"
#include "json.h"
#include "utf8.h"

#ifndef WF_VERSION
#define WF_VERSION "0.0.0"
#endif

struct opts {
	char *scenario, *size, *count, *duration, *timeout, *cafile, *domain;
	int connections, depth, opening, binary, insecure, quiet, version, help, usage;
};

static int seconds(const char *name, const char *v, int64_t *ms, char *msg, size_t n)
{
	char *end;
	double d;

	if (!v)
		return 0;
	d = strtod(v, &end);
	if (end == v || *end || !(d > 0) || d > 1e9) {
		snprintf(msg, n, "--%s: \"%s\" is not a number of seconds", name, v);
		return -1;
	}
	*ms = (int64_t)(d * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

/* in the order of enum WF_BENCH_* */
static const char *const scenario_names[] = { "flood", "echo", "connect", "hold" };

/* Fill c from the options: 0, or -1 with msg. */
static int check(const struct opts *o, struct wf_bench_cfg *c, char *msg, size_t n)
{
	char *end;
	size_t i;

	for (i = 0; i < sizeof scenario_names / sizeof *scenario_names; i++)
		if (!strcmp(o->scenario ? o->scenario : "flood", scenario_names[i]))
			break;
	if (i == sizeof scenario_names / sizeof *scenario_names) {
		snprintf(msg, n, "--scenario: \"%s\" is not flood, echo, connect or hold", o->scenario);
		return -1;
	}
	c->scenario = (int)i;
	if (o->size && (wf_parse_size(o->size, &c->size) < 0 || c->size > (1u << 30))) {
		snprintf(msg, n, "--size: \"%s\" is not a size up to 1G", o->size);
		return -1;
	}
	if (o->count) {
		errno = 0;
		c->count = strtoull(o->count, &end, 10);
		if (*o->count < '0' || *o->count > '9' || *end || errno || !c->count) {
			snprintf(msg, n, "--count: \"%s\" is not a positive number", o->count);
			return -1;
		}
	}
	if (seconds("duration", o->duration, &c->duration_ms, msg, n) ||
	    seconds("timeout", o->timeout, &c->timeout_ms, msg, n))
		return -1;
	if (c->scenario == WF_BENCH_HOLD && c->count) {
		snprintf(msg, n, "--count: hold has no count (it holds --connections for --duration)");
		return -1;
	}
	if (!c->count && !c->duration_ms && c->scenario != WF_BENCH_HOLD)
		c->duration_ms = 10000;
	if (o->connections < 1 || o->connections > 100000) {
		snprintf(msg, n, "--connections: %d is not between 1 and 100000", o->connections);
		return -1;
	}
	if (o->depth < 1 || o->depth > 1000000) {
		snprintf(msg, n, "--depth: %d is not between 1 and 1000000", o->depth);
		return -1;
	}
	if (o->opening < 1 || o->opening > 100000) {
		snprintf(msg, n, "--opening: %d is not between 1 and 100000", o->opening);
		return -1;
	}
	c->opening = o->opening;
	c->connections = o->connections;
	c->depth = o->depth;
	c->binary = o->binary;
	c->tls_cafile = o->cafile;
	c->tls_insecure = o->insecure;
	c->tls_domain = o->domain;
	return 0;
}

/* The URL as a JSON string (bytes that are not UTF-8 as \u00XX). */
static void put_url(const char *url)
{
	struct wf_buf b;
	const unsigned char *p;

	wf_buf_init(&b, (size_t)-1);
	if (wf_utf8_valid((const unsigned char *)url, strlen(url)) &&
	    !wf_json_escape(&b, url, strlen(url))) {
		fwrite(b.p, 1, b.len, stdout);
	} else {
		putchar('"');
		for (p = (const unsigned char *)url; *p; p++)
			if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
				printf("\\u%04x", *p);
			else
				putchar(*p);
		putchar('"');
	}
	wf_buf_free(&b);
}

static void report_connect(const struct wf_bench_cfg *c, const struct wf_bench_result *r, int quiet)
{
	double rate = r->seconds > 0 ? (double)r->messages / r->seconds : 0;
	double p50 = wf_hist_quantile(&r->rtt, 0.5) / 1e3, p99 = wf_hist_quantile(&r->rtt, 0.99) / 1e3;
	double p999 = wf_hist_quantile(&r->rtt, 0.999) / 1e3, max = r->rtt.max / 1e3;

	printf(",\"connections\":%d,\"tls\":%s,\"handshakes\":%llu,\"seconds\":%.6f,"
	       "\"handshakes_per_second\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
	       "\"max_us\":%.1f}\n", c->connections, r->tls ? "true" : "false", r->messages, r->seconds,
	       rate, p50, p99, p999, r->messages ? max : 0);
	if (quiet)
		return;
	fprintf(stderr, "ws-bench: connect: %d connection%s in flight: %llu handshakes in %.3f s: %.0f/s\n",
		c->connections, c->connections == 1 ? "" : "s", r->messages, r->seconds, rate);
	fprintf(stderr, "ws-bench: handshake (us): p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n",
		p50, p99, p999, r->messages ? max : 0);
}

static void report_hold(const struct wf_bench_cfg *c, const struct wf_bench_result *r, int quiet)
{
	printf(",\"connections\":%d,\"tls\":%s,\"open\":%d,\"connect_seconds\":%.6f,\"seconds\":%.6f}\n",
	       c->connections, r->tls ? "true" : "false", r->open, r->connect_seconds, r->seconds);
	if (quiet)
		return;
	fprintf(stderr, "ws-bench: hold: %d connection%s opened in %.3f s, held for %.3f s\n",
		r->open, r->open == 1 ? "" : "s", r->connect_seconds, r->seconds);
}

static void report(const struct wf_bench_cfg *c, const struct wf_bench_result *r, int quiet)
{
	const char *name = scenario_names[c->scenario];
	double rate = r->seconds > 0 ? (double)r->messages / r->seconds : 0;
	double mb = rate * (double)c->size / 1e6;

	printf("{\"scenario\":\"%s\",\"url\":", name);
	put_url(c->url);
	if (c->scenario == WF_BENCH_CONNECT) {
		report_connect(c, r, quiet);
		return;
	}
	if (c->scenario == WF_BENCH_HOLD) {
		report_hold(c, r, quiet);
		return;
	}
	printf(",\"connections\":%d,\"size\":%zu,\"binary\":%s,\"tls\":%s,",
	       c->connections, c->size, c->binary ? "true" : "false", r->tls ? "true" : "false");
	if (c->scenario == WF_BENCH_ECHO)
		printf("\"depth\":%d,", c->depth);
	printf("\"messages\":%llu,\"seconds\":%.6f,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f",
	       r->messages, r->seconds, rate, mb);
	if (c->scenario == WF_BENCH_ECHO)
		printf(",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f",
		       wf_hist_quantile(&r->rtt, 0.5) / 1e3, wf_hist_quantile(&r->rtt, 0.99) / 1e3,
		       wf_hist_quantile(&r->rtt, 0.999) / 1e3, r->rtt.max / 1e3);
	printf("}\n");
	if (quiet)
		return;
	fprintf(stderr, "ws-bench: %s: %d connection%s, %zu-byte %s messages", name, c->connections,
		c->connections == 1 ? "" : "s", c->size, c->binary ? "binary" : "text");
	if (c->scenario == WF_BENCH_FLOOD) {
		fprintf(stderr, ": %llu in %.3f s: %.0f msg/s, %.2f MB/s\n", r->messages, r->seconds, rate, mb);
		return;
	}
	fprintf(stderr, ", depth %d: %llu round trips in %.3f s: %.0f/s, %.2f MB/s each way\n",
		c->depth, r->messages, r->seconds, rate, mb);
	fprintf(stderr, "ws-bench: round trip (us): p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n",
		wf_hist_quantile(&r->rtt, 0.5) / 1e3, wf_hist_quantile(&r->rtt, 0.99) / 1e3,
		wf_hist_quantile(&r->rtt, 0.999) / 1e3, r->rtt.max / 1e3);
}

/* hold: every connection is open; scripts wait for this line */
static void holding(int n, void *ud)
{
	(void)ud;
	fprintf(stderr, "ws-bench: holding %d connections\n", n);
	fflush(stderr);
}

/* Descriptors besides the connections: stdio, the event loop's epoll and
 * signalfd, and some to spare. */
#define SPARE_FDS 16

int main(int argc, char **argv)
{
	const char *prog = "ws-bench";
	struct opts o = { .connections = 8, .depth = 1, .opening = 256 };
	struct wf_bench_cfg c = { .size = 16, .timeout_ms = 30000, .holding = holding };
	long long files;
	struct poptOption own[] = {
		{ "scenario", 0, POPT_ARG_STRING, &o.scenario, 0, "flood (default), echo, connect or hold", "NAME" },
		{ "connections", 'c', POPT_ARG_INT, &o.connections, 0, "connections to open (8)", "N" },
		{ "size", 's', POPT_ARG_STRING, &o.size, 0, "payload of every message (16)", "BYTES" },
		{ "text", 0, POPT_ARG_VAL, &o.binary, 0, "send text messages (default)", NULL },
		{ "binary", 0, POPT_ARG_VAL, &o.binary, 1, "send binary messages", NULL },
		{ "count", 'n', POPT_ARG_STRING, &o.count, 0, "send N messages (connect: handshakes) in all", "N" },
		{ "duration", 'd', POPT_ARG_STRING, &o.duration, 0, "send (hold: hold) for S seconds (10 without --count)", "S" },
		{ "depth", 0, POPT_ARG_INT, &o.depth, 0, "echo: messages in flight per connection (1)", "D" },
		{ "opening", 0, POPT_ARG_INT, &o.opening, 0, "hold: handshakes in flight at most (256)", "N" },
		{ "tls-cafile", 0, POPT_ARG_STRING, &o.cafile, 0, "wss: the only trusted root (PEM)", "FILE" },
		{ "tls-insecure", 0, POPT_ARG_NONE, &o.insecure, 0, "wss: do not verify the server", NULL },
		{ "tls-domain", 0, POPT_ARG_STRING, &o.domain, 0, "wss: name to verify and send (the URL host)", "NAME" },
		{ "timeout", 0, POPT_ARG_STRING, &o.timeout, 0, "give up when nothing moves for S seconds (30)", "S" },
		{ "quiet", 'q', POPT_ARG_NONE, &o.quiet, 0, "no summary on stderr", NULL },
		POPT_TABLEEND
	};
	struct poptOption common[] = {
		{ "version", 0, POPT_ARG_NONE, &o.version, 0, "print the version and exit", NULL },
		{ "help", '?', POPT_ARG_NONE, &o.help, 0, "show this help message", NULL },
		{ "usage", 0, POPT_ARG_NONE, &o.usage, 0, "display brief usage message", NULL },
		POPT_TABLEEND
	};
	struct poptOption table[] = {
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, own, 0, "Options:", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, common, 0, "Common options:", NULL },
		POPT_TABLEEND
	};
	static struct wf_bench_result r;	/* the histogram is large */
	const char **args;
	char msg[512];
	poptContext ctx;
	int rc, nargs = 0;

	wf_io_start();
	files = wf_io_max_files();
	ctx = poptGetContext(prog, argc, (const char **)argv, table, 0);
	poptSetOtherOptionHelp(ctx, "[OPTION...] URL");
	while ((rc = poptGetNextOpt(ctx)) > 0)
		;
	if (rc < -1) {
		snprintf(msg, sizeof msg, "%s: %s", poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		goto usage;
	}
	if (o.help || o.usage || o.version) {
		if (o.version)
			printf("%s (wsflow) %s\n", prog, WF_VERSION);
		else if (o.usage)
			poptPrintUsage(ctx, stdout, 0);
		else
			poptPrintHelp(ctx, stdout, 0);
		rc = fflush(stdout) ? 1 : 0;
		goto out;
	}
	args = poptGetArgs(ctx);
	while (args && args[nargs])
		nargs++;
	if (nargs != 1) {
		snprintf(msg, sizeof msg, nargs ? "one URL only" : "a URL to connect to is needed");
		goto usage;
	}
	if (check(&o, &c, msg, sizeof msg) < 0)
		goto usage;
	if (files >= 0 && c.connections + SPARE_FDS > files) {
		fprintf(stderr, "%s: --connections: %d connections need %d open files, the limit is %lld (ulimit -n)\n",
			prog, c.connections, c.connections + SPARE_FDS, files);
		rc = 2;
		goto out;
	}
	c.url = args[0];
	rc = wf_bench_run(&c, &r, msg, sizeof msg);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		goto out;
	}
	report(&c, &r, o.quiet);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: write error: %s\n", prog, strerror(errno));
		rc = 1;
	}
	goto out;
usage:
	fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", prog, msg, prog);
	rc = 2;
out:
	free(o.scenario);
	free(o.size);
	free(o.count);
	free(o.duration);
	free(o.timeout);
	free(o.cafile);
	free(o.domain);
	poptFreeContext(ctx);
	return rc;
}
