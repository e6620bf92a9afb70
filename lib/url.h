/* url: the addresses ws-listen and ws-connect take.
 * `host:port`, `[v6]:port`, `ws://host[:port][/path][?query]`, `wss://...`. */
#ifndef WF_URL_H
#define WF_URL_H

#include <stddef.h>

struct wf_url {
	int secure;		/* wss:// */
	int has_scheme;
	char host[256];		/* without brackets */
	char port[8];		/* "80"/"443" when not given */
	int port_given;
	char path[4096];	/* path and query, "/" at least */
	char hostport[300];	/* for the Host header: host[:port], v6 in brackets */
};

/* 0, or -1 with msg. */
int wf_url_parse(const char *s, struct wf_url *u, char *msg, size_t n);

#endif
