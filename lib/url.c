#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int wf_url_parse(const char *s, struct wf_url *u, char *msg, size_t n)
{
	const char *p = s, *hs, *he, *pe;
	size_t hl;

	memset(u, 0, sizeof *u);
	/* host and path go into the request as they are: no CR LF, no space */
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(msg, n, "%s: a space or control character (percent-encode it)", s);
			return -1;
		}
	p = s;
	if (!strncasecmp(p, "ws://", 5)) {
		u->has_scheme = 1;
		p += 5;
	} else if (!strncasecmp(p, "wss://", 6)) {
		u->has_scheme = 1;
		u->secure = 1;
		p += 6;
	} else if (strstr(p, "://")) {
		snprintf(msg, n, "%s: the scheme must be ws:// or wss://", s);
		return -1;
	}
	if (*p == '[') {
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he) {
			snprintf(msg, n, "%s: unclosed [ in the host", s);
			return -1;
		}
		p = he + 1;
	} else {
		hs = p;
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	hl = (size_t)(he - hs);
	if (!hl) {
		snprintf(msg, n, "%s: no host", s);
		return -1;
	}
	if (hl >= sizeof u->host || memchr(hs, '@', hl)) {
		snprintf(msg, n, "%s: bad host", s);
		return -1;
	}
	memcpy(u->host, hs, hl);
	if (*p == ':') {
		char *end;
		long port;
		p++;
		pe = p + strcspn(p, "/?#");
		port = strtol(p, &end, 10);
		if (pe == p || end != pe || port < 0 || port > 65535) {
			snprintf(msg, n, "%s: bad port", s);
			return -1;
		}
		snprintf(u->port, sizeof u->port, "%ld", port);
		u->port_given = 1;
		p = pe;
	} else {
		snprintf(u->port, sizeof u->port, "%s", u->secure ? "443" : "80");
	}
	if (*p && *p != '/' && *p != '?') {
		snprintf(msg, n, "%s: unexpected \"%s\"", s, p);
		return -1;
	}
	pe = p + strcspn(p, "#");	/* a fragment is never sent */
	if ((size_t)(pe - p) + 2 > sizeof u->path) {
		snprintf(msg, n, "%s: path too long", s);
		return -1;
	}
	snprintf(u->path, sizeof u->path, "%s%.*s", *p == '/' ? "" : "/", (int)(pe - p), p);
	{
		int v6 = strchr(u->host, ':') != NULL;
		int dflt = !u->port_given || (!strcmp(u->port, u->secure ? "443" : "80"));
		snprintf(u->hostport, sizeof u->hostport, "%s%s%s%s%s", v6 ? "[" : "", u->host,
			 v6 ? "]" : "", dflt ? "" : ":", dflt ? "" : u->port);
	}
	return 0;
}
