/* ws-connect: a WebSocket client filter (Tremor's ws_client). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "err.h"
#include "io.h"

static void note(const char *msg, void *ud)
{
	fprintf(stderr, "%s: %s\n", (const char *)ud, msg);
}

static void free_argv(const char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free((void *)v[i]);
	free(v);
}

static int num_opt(const char *name, const char *v, double min, double *out, char *msg, size_t n)
{
	char *end;
	double d;

	if (!v)
		return 0;
	d = strtod(v, &end);
	if (end == v || *end || d < min) {
		snprintf(msg, n, "--%s: \"%s\" is not a number >= %g", name, v, min);
		return -1;
	}
	*out = d;
	return 0;
}

int main(int argc, char **argv)
{
	const char *prog = "ws-connect";
	const char *maxmsg = NULL, *maxq = NULL, *ping = NULL, *pong = NULL, *cto = NULL;
	const char *rint = NULL, *rgrowth = NULL, *rmax = NULL, *stall = NULL;
	const char **headers = NULL;
	int randomized = -1, verbose = 0;
	double d;
	struct wf_client_cfg c = {
		.id = "ws_client", .nodelay = 1, .max_message = 16u << 20, .max_queue = 64u << 20,
		.growth = 1.5, .max_retries = -1, .randomized = 1,
		.connect_ms = 10000, .close_ms = 2000, .pong_ms = 10000, .stall_ms = 30000,
	};
	struct poptOption opts[] = {
		{ "tls", 0, POPT_ARG_NONE, &c.tls, 0, "TLS, verified against the system trust store", NULL },
		{ "tls-cafile", 0, POPT_ARG_STRING, &c.cafile, 0, "the only trusted root (PEM)", "FILE" },
		{ "tls-domain", 0, POPT_ARG_STRING, &c.domain, 0, "name to verify and send as SNI (the URL host)", "NAME" },
		{ "tls-cert", 0, POPT_ARG_STRING, &c.cert, 0, "client certificate (PEM)", "FILE" },
		{ "tls-key", 0, POPT_ARG_STRING, &c.key, 0, "client certificate key (PEM)", "FILE" },
		{ "tls-insecure", 0, POPT_ARG_NONE, &c.insecure, 0, "do not verify the server (says so on stderr)", NULL },
		{ "nodelay", 0, POPT_ARG_VAL, &c.nodelay, 1, "set TCP_NODELAY (default)", NULL },
		{ "no-nodelay", 0, POPT_ARG_VAL, &c.nodelay, 0, "leave Nagle's algorithm on", NULL },
		{ "header", 'H', POPT_ARG_ARGV, &headers, 0, "add a request header (repeatable)", "\"K: V\"" },
		{ "protocol", 0, POPT_ARG_STRING, &c.protocol, 0, "ask for this subprotocol", "P" },
		{ "origin", 0, POPT_ARG_STRING, &c.origin, 0, "send this Origin header", "O" },
		{ "retry-interval", 0, POPT_ARG_STRING, &rint, 0, "reconnect: first wait (Tremor interval_ms)", "MS" },
		{ "retry-growth", 0, POPT_ARG_STRING, &rgrowth, 0, "reconnect: each wait x F (1.5)", "F" },
		{ "retry-max", 0, POPT_ARG_STRING, &rmax, 0, "reconnect: give up after N failed attempts (no limit)", "N" },
		{ "retry-randomized", 0, POPT_ARG_VAL, &randomized, 1, "reconnect: draw each wait at random (default)", NULL },
		{ "no-retry-randomized", 0, POPT_ARG_VAL, &randomized, 0, "reconnect: exact waits", NULL },
		{ "ping-interval", 0, POPT_ARG_STRING, &ping, 0, "keepalive ping every MS (0: off)", "MS" },
		{ "ping-timeout", 0, POPT_ARG_STRING, &pong, 0, "connection lost when a pong is MS late (10000)", "MS" },
		{ "connect-timeout", 0, POPT_ARG_STRING, &cto, 0, "connect and handshake deadline (10000)", "MS" },
		{ "send-timeout", 0, POPT_ARG_STRING, &stall, 0, "connection lost when the server reads nothing for MS (30000)", "MS" },
		{ "id", 0, POPT_ARG_STRING, &c.id, 0, "origin source of events (ws_client)", "NAME" },
		{ "max-message", 0, POPT_ARG_STRING, &maxmsg, 0, "largest message (16M); close 1009 past it", "BYTES" },
		{ "max-queue", 0, POPT_ARG_STRING, &maxq, 0, "bytes queued to send (64M)", "BYTES" },
		{ "no-close", 'n', POPT_ARG_NONE, &c.no_close, 0, "at stdin EOF do not close: wait for the server to close", NULL },
		{ "stream-events", 0, POPT_ARG_NONE, &c.stream_events, 0, "emit open/close control events", NULL },
		{ "verbose", 'v', POPT_ARG_NONE, &verbose, 0, "say on stderr when connecting and retrying", NULL },
		POPT_TABLEEND
	};
	struct wf_errsink err;
	struct wf_cli cli;
	char msg[512];
	int rc;

	wf_io_start();
	rc = wf_cli_parse(&cli, prog, argc, (const char **)argv, opts, "[OPTION...] URL", msg, sizeof msg);
	if (rc == WF_CLI_RUN && cli.nargs != 1) {
		snprintf(msg, sizeof msg, cli.nargs ? "one URL only" : "a URL to connect to is needed");
		rc = WF_CLI_BAD;
	}
	if (rc == WF_CLI_RUN && (wf_cli_size("max-message", maxmsg, &c.max_message, msg, sizeof msg) ||
				 wf_cli_size("max-queue", maxq, &c.max_queue, msg, sizeof msg) ||
				 wf_cli_ms("ping-interval", ping, &c.ping_ms, msg, sizeof msg) ||
				 wf_cli_ms("ping-timeout", pong, &c.pong_ms, msg, sizeof msg) ||
				 wf_cli_ms("connect-timeout", cto, &c.connect_ms, msg, sizeof msg) ||
				 wf_cli_ms("send-timeout", stall, &c.stall_ms, msg, sizeof msg) ||
				 wf_cli_ms("retry-interval", rint, &c.retry_ms, msg, sizeof msg)))
		rc = WF_CLI_BAD;
	if (rc == WF_CLI_RUN && (rgrowth || rmax || randomized >= 0) && !rint) {
		snprintf(msg, sizeof msg, "the --retry options need --retry-interval");
		rc = WF_CLI_BAD;
	}
	if (rc == WF_CLI_RUN && rmax) {
		char *end;
		long v = strtol(rmax, &end, 10);
		if (end == rmax || *end || v < 0) {
			snprintf(msg, sizeof msg, "--retry-max: \"%s\" is not a whole number >= 0", rmax);
			rc = WF_CLI_BAD;
		} else {
			c.max_retries = v;
		}
	}
	if (rc == WF_CLI_RUN && rgrowth) {
		if (num_opt("retry-growth", rgrowth, 0, &d, msg, sizeof msg))
			rc = WF_CLI_BAD;
		else
			c.growth = d;
	}
	if (rc != WF_CLI_RUN) {
		free_argv(headers);
		return wf_cli_done(&cli, rc, msg, stdout, stderr);
	}
	c.retry = rint != NULL;
	if (randomized >= 0)
		c.randomized = randomized;
	c.url = cli.args[0];
	c.headers = headers;
	while (headers && headers[c.nheaders])
		c.nheaders++;
	c.raw_in = cli.raw_in;
	c.raw_out = cli.raw_out;
	c.max_line = cli.max_line;
	if (verbose) {
		c.note = note;
		c.ud = (void *)prog;
	}
	if (c.insecure)
		fprintf(stderr, "%s: WARNING: --tls-insecure: the server's certificate is NOT verified\n", prog);
	wf_err_init(&err, prog, c.id, cli.err_fd);
	c.err = &err;
	rc = wf_client_run(&c, msg, sizeof msg);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, msg);
	free_argv(headers);
	wf_cli_free(&cli);
	return rc;
}
