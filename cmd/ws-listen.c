/* ws-listen: a WebSocket server filter (Tremor's ws_server). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "io.h"
#include "server.h"

static void listening(const char *url, void *ud)
{
	fprintf(stderr, "%s: listening on %s\n", (const char *)ud, url);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	const char *prog = "ws-listen";
	const char *maxmsg = NULL, *maxq = NULL, *ping = NULL, *pong = NULL, *hs = NULL, *stall = NULL;
	struct wf_server_cfg c = {
		.id = "ws_server", .backlog = 128, .reuseaddr = 1, .nodelay = 1,
		.max_message = 16u << 20, .max_queue = 64u << 20,
		.handshake_ms = 10000, .close_ms = 2000, .stall_ms = 30000, .pong_ms = 10000,
		.listening = listening,
	};
	struct poptOption opts[] = {
		{ "tls-cert", 0, POPT_ARG_STRING, &c.tls_cert, 0, "certificate chain (PEM): TLS on", "FILE" },
		{ "tls-key", 0, POPT_ARG_STRING, &c.tls_key, 0, "private key (PEM)", "FILE" },
		{ "backlog", 0, POPT_ARG_INT, &c.backlog, 0, "listen() backlog (128)", "N" },
		{ "reuseaddr", 0, POPT_ARG_VAL, &c.reuseaddr, 1, "set SO_REUSEADDR (default)", NULL },
		{ "no-reuseaddr", 0, POPT_ARG_VAL, &c.reuseaddr, 0, "do not set SO_REUSEADDR", NULL },
		{ "reuseport", 0, POPT_ARG_VAL, &c.reuseport, 1, "set SO_REUSEPORT", NULL },
		{ "no-reuseport", 0, POPT_ARG_VAL, &c.reuseport, 0, "do not set SO_REUSEPORT (default)", NULL },
		{ "nodelay", 0, POPT_ARG_VAL, &c.nodelay, 1, "set TCP_NODELAY (default)", NULL },
		{ "no-nodelay", 0, POPT_ARG_VAL, &c.nodelay, 0, "leave Nagle's algorithm on", NULL },
		{ "id", 0, POPT_ARG_STRING, &c.id, 0, "origin source of events (ws_server)", "NAME" },
		{ "max-message", 0, POPT_ARG_STRING, &maxmsg, 0, "largest message (16M); close 1009 past it", "BYTES" },
		{ "max-queue", 0, POPT_ARG_STRING, &maxq, 0, "bytes queued to one peer (64M)", "BYTES" },
		{ "ping-interval", 0, POPT_ARG_STRING, &ping, 0, "ping an idle peer every MS (0: off)", "MS" },
		{ "ping-timeout", 0, POPT_ARG_STRING, &pong, 0, "drop a peer whose pong is MS late (10000)", "MS" },
		{ "handshake-timeout", 0, POPT_ARG_STRING, &hs, 0, "opening handshake deadline (10000)", "MS" },
		{ "send-timeout", 0, POPT_ARG_STRING, &stall, 0, "close 1008 a peer that reads nothing for MS (30000)", "MS" },
		{ "max-connections", 0, POPT_ARG_INT, &c.max_connections, 0, "accept at most N at once (0: no limit)", "N" },
		{ "broadcast", 0, POPT_ARG_NONE, &c.broadcast, 0, "send unroutable events to every connection", NULL },
		{ "stream-events", 0, POPT_ARG_NONE, &c.stream_events, 0, "emit open/close control events", NULL },
		{ "protocol", 0, POPT_ARG_STRING, &c.protocol, 0, "accept this subprotocol", "P" },
		POPT_TABLEEND
	};
	struct wf_errsink err;
	struct wf_cli cli;
	char msg[512];
	int rc;

	wf_io_start();
	wf_io_max_files();	/* as many connections as the hard limit allows */
	rc = wf_cli_parse(&cli, prog, argc, (const char **)argv, opts, "[OPTION...] URL", msg, sizeof msg);
	if (rc == WF_CLI_RUN && cli.nargs != 1) {
		snprintf(msg, sizeof msg, cli.nargs ? "one URL only" : "a URL to listen on is needed");
		rc = WF_CLI_BAD;
	}
	if (rc == WF_CLI_RUN && (wf_cli_size("max-message", maxmsg, &c.max_message, msg, sizeof msg) ||
				 wf_cli_size("max-queue", maxq, &c.max_queue, msg, sizeof msg) ||
				 wf_cli_ms("ping-interval", ping, &c.ping_ms, msg, sizeof msg) ||
				 wf_cli_ms("ping-timeout", pong, &c.pong_ms, msg, sizeof msg) ||
				 wf_cli_ms("handshake-timeout", hs, &c.handshake_ms, msg, sizeof msg) ||
				 wf_cli_ms("send-timeout", stall, &c.stall_ms, msg, sizeof msg)))
		rc = WF_CLI_BAD;
	if (rc == WF_CLI_RUN && (c.backlog < 1 || c.max_connections < 0)) {
		snprintf(msg, sizeof msg, "--backlog and --max-connections take positive numbers");
		rc = WF_CLI_BAD;
	}
	if (rc != WF_CLI_RUN)
		return wf_cli_done(&cli, rc, msg, stdout, stderr);
	c.url = cli.args[0];
	c.raw_in = cli.raw_in;
	c.raw_out = cli.raw_out;
	c.max_line = cli.max_line;
	c.ud = (void *)prog;
	wf_err_init(&err, prog, c.id, cli.err_fd);
	c.err = &err;
	rc = wf_server_run(&c, msg, sizeof msg);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, msg);
	wf_cli_free(&cli);
	return rc;
}
