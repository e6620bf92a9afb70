#include "handshake.h"
#include "b64.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

long wf_hs_head_end(const char *p, size_t n)
{
	size_t i, lim = n < WF_HS_MAX ? n : WF_HS_MAX;

	for (i = 3; i < lim; i++)
		if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
			return (long)i + 1;
	return n >= WF_HS_MAX ? -1 : 0;
}

void wf_hs_accept_key(const char *key, char out[29])
{
	char buf[128];
	unsigned char sha[20];
	int k = snprintf(buf, sizeof buf, "%s%s", key, guid);

	gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, (size_t)k, sha);
	wf_b64_encode(sha, 20, out);
	out[28] = 0;
}

/* Iterate header lines of a head: *pp at the start of a line. 1 with the
 * name and value spans (value trimmed), 0 at the blank line. */
static int next_header(const char **pp, const char *e, const char **name, size_t *nl,
		       const char **val, size_t *vl)
{
	const char *p = *pp, *eol = memchr(p, '\n', (size_t)(e - p)), *colon, *ve;

	if (!eol || eol - p <= 1)
		return 0;
	ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
	colon = memchr(p, ':', (size_t)(ve - p));
	*pp = eol + 1;
	if (!colon) {
		*name = p;
		*nl = 0;
		*val = ve;
		*vl = 0;
		return 1;
	}
	*name = p;
	*nl = (size_t)(colon - p);
	colon++;
	while (colon < ve && (*colon == ' ' || *colon == '\t'))
		colon++;
	while (ve > colon && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	*val = colon;
	*vl = (size_t)(ve - colon);
	return 1;
}

static int name_is(const char *name, size_t nl, const char *want)
{
	return nl == strlen(want) && !strncasecmp(name, want, nl);
}

/* Whether a comma-separated token list holds tok (case-insensitive). */
static int has_token(const char *v, size_t vl, const char *tok)
{
	const char *e = v + vl;
	size_t tl = strlen(tok);

	while (v < e) {
		const char *c = memchr(v, ',', (size_t)(e - v)), *te = c ? c : e, *ts = v;
		while (ts < te && (*ts == ' ' || *ts == '\t'))
			ts++;
		while (te > ts && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		if ((size_t)(te - ts) == tl && !strncasecmp(ts, tok, tl))
			return 1;
		if (!c)
			break;
		v = c + 1;
	}
	return 0;
}

static void copy_span(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

/* The request line p..eol: 0 with the target's span, or the status. */
static int request_line(const char *p, const char *eol, const char **target, size_t *tl,
			char *why, size_t whylen)
{
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;

	if (!sp1 || !sp2 || (eol - sp2 - 1) < 8 || memcmp(sp2 + 1, "HTTP/1.", 7)) {
		snprintf(why, whylen, "not an HTTP request");
		return 400;
	}
	if (sp2[8] < '1' || sp2[8] > '9') {
		snprintf(why, whylen, "HTTP/1.1 or later is required");
		return 400;
	}
	if (sp1 - p != 3 || memcmp(p, "GET", 3)) {
		snprintf(why, whylen, "the method must be GET");
		return 405;
	}
	*target = sp1 + 1;
	*tl = (size_t)(sp2 - sp1 - 1);
	return 0;
}

int wf_hs_server_early(const char *p, size_t n, char *why, size_t whylen)
{
	const char *eol = memchr(p, '\n', n), *t;
	size_t i, tl;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
			snprintf(why, whylen, "not an HTTP request");
			return 400;
		}
	}
	return eol ? request_line(p, eol, &t, &tl, why, whylen) : 0;
}

int wf_hs_server_check(const char *head, size_t n, const char *want_protocol,
		       struct wf_hs_req *out, char *why, size_t whylen)
{
	const char *p = head, *e = head + n, *eol, *target, *name, *val;
	size_t nl, vl, tl;
	int upgrade = 0, connection = 0, version = 0, have_host = 0, status;

	memset(out, 0, sizeof *out);
	eol = memchr(p, '\n', n);
	if (!eol) {
		snprintf(why, whylen, "no request line");
		return 400;
	}
	if ((status = request_line(p, eol, &target, &tl, why, whylen)))
		return status;
	copy_span(out->path, sizeof out->path, target, tl);
	p = eol + 1;
	while (next_header(&p, e, &name, &nl, &val, &vl)) {
		if (!nl) {
			snprintf(why, whylen, "malformed header line");
			return 400;
		}
		if (name_is(name, nl, "Upgrade"))
			upgrade |= has_token(val, vl, "websocket");
		else if (name_is(name, nl, "Connection"))
			connection |= has_token(val, vl, "upgrade");
		else if (name_is(name, nl, "Sec-WebSocket-Version"))
			version = vl == 2 && !memcmp(val, "13", 2) ? 13 : -1;
		else if (name_is(name, nl, "Sec-WebSocket-Key"))
			copy_span(out->key, sizeof out->key, val, vl);
		else if (name_is(name, nl, "Host")) {
			have_host = 1;
			copy_span(out->host, sizeof out->host, val, vl);
		} else if (name_is(name, nl, "Origin"))
			copy_span(out->origin, sizeof out->origin, val, vl);
		else if (name_is(name, nl, "Sec-WebSocket-Extensions"))
			out->offered_ext = 1;
		else if (name_is(name, nl, "Sec-WebSocket-Protocol") && want_protocol &&
			 has_token(val, vl, want_protocol))
			copy_span(out->protocol, sizeof out->protocol, want_protocol,
				  strlen(want_protocol));
	}
	if (!upgrade) {
		snprintf(why, whylen, "no \"Upgrade: websocket\" header");
		return 400;
	}
	if (!connection) {
		snprintf(why, whylen, "no \"Connection: Upgrade\" header");
		return 400;
	}
	if (version != 13) {
		snprintf(why, whylen, "Sec-WebSocket-Version must be 13");
		return 426;
	}
	if (!have_host) {
		snprintf(why, whylen, "no Host header");
		return 400;
	}
	{
		unsigned char raw[20];
		if (strlen(out->key) != 24 || wf_b64_decode(out->key, 24, raw) != 16) {
			snprintf(why, whylen, "Sec-WebSocket-Key is not 16 bytes in base64");
			return 400;
		}
	}
	return 0;
}

int wf_hs_server_accept(struct wf_buf *out, const struct wf_hs_req *req)
{
	char acc[29];
	int rc;

	wf_hs_accept_key(req->key, acc);
	rc = wf_buf_addf(out, "HTTP/1.1 101 Switching Protocols\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: %s\r\n", acc);
	if (!rc && req->protocol[0])
		rc = wf_buf_addf(out, "Sec-WebSocket-Protocol: %s\r\n", req->protocol);
	if (!rc)
		rc = wf_buf_adds(out, "\r\n");
	return rc;
}

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

int wf_hs_server_refuse(struct wf_buf *out, int status, const char *why)
{
	return wf_buf_addf(out, "HTTP/1.1 %d %s\r\n%s%s"
			   "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			   "Connection: close\r\n\r\n%s\n",
			   status, status_text(status),
			   status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "",
			   status == 405 ? "Allow: GET\r\n" : "",
			   strlen(why) + 1, why);
}

static int header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	if (!colon || colon == h)
		return 0;
	for (; *h; h++)
		if (*h == '\r' || *h == '\n')
			return 0;
	return 1;
}

int wf_hs_client_request(struct wf_buf *out, struct wf_hs_client *c)
{
	unsigned char raw[16];
	size_t i;
	int rc;

	gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof raw);
	wf_b64_encode(raw, 16, c->key);
	c->key[24] = 0;
	for (i = 0; i < c->nheaders; i++)
		if (!header_ok(c->headers[i]))
			return -1;
	rc = wf_buf_addf(out, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n", c->path, c->host, c->key);
	if (!rc && c->protocol)
		rc = wf_buf_addf(out, "Sec-WebSocket-Protocol: %s\r\n", c->protocol);
	if (!rc && c->origin)
		rc = wf_buf_addf(out, "Origin: %s\r\n", c->origin);
	for (i = 0; !rc && i < c->nheaders; i++)
		rc = wf_buf_addf(out, "%s\r\n", c->headers[i]);
	if (!rc)
		rc = wf_buf_adds(out, "\r\n");
	return rc ? -1 : 0;
}

int wf_hs_client_check(const char *head, size_t n, const struct wf_hs_client *c,
		       char *protocol, size_t plen, char *why, size_t whylen)
{
	const char *p = head, *e = head + n, *eol = memchr(head, '\n', n), *name, *val;
	size_t nl, vl;
	int upgrade = 0, connection = 0, accepted = 0;
	char want[29];

	if (protocol && plen)
		protocol[0] = 0;
	if (!eol || n < 12 || memcmp(head, "HTTP/1.", 7)) {
		if (wf_hs_client_early(head, n, why, whylen) == 0)
			snprintf(why, whylen, "the server did not answer with HTTP");
		return -1;
	}
	if (memcmp(head + 8, " 101", 4)) {
		const char *le = eol > head && eol[-1] == '\r' ? eol - 1 : eol;
		snprintf(why, whylen, "the server refused the upgrade: %.*s", (int)(le - head), head);
		return -1;
	}
	wf_hs_accept_key(c->key, want);
	p = eol + 1;
	while (next_header(&p, e, &name, &nl, &val, &vl)) {
		if (name_is(name, nl, "Upgrade"))
			upgrade |= has_token(val, vl, "websocket");
		else if (name_is(name, nl, "Connection"))
			connection |= has_token(val, vl, "upgrade");
		else if (name_is(name, nl, "Sec-WebSocket-Accept"))
			accepted = vl == 28 && !memcmp(val, want, 28);
		else if (name_is(name, nl, "Sec-WebSocket-Extensions") && vl) {
			snprintf(why, whylen, "the server chose an extension that was not offered: %.*s",
				 (int)vl, val);
			return -1;
		} else if (name_is(name, nl, "Sec-WebSocket-Protocol")) {
			if (!c->protocol || vl != strlen(c->protocol) || memcmp(val, c->protocol, vl)) {
				snprintf(why, whylen, "the server chose a subprotocol that was not offered: %.*s",
					 (int)vl, val);
				return -1;
			}
			if (protocol && plen)
				copy_span(protocol, plen, val, vl);
		}
	}
	if (!upgrade || !connection) {
		snprintf(why, whylen, "the server's answer lacks Upgrade/Connection headers");
		return -1;
	}
	if (!accepted) {
		snprintf(why, whylen, "the server's Sec-WebSocket-Accept is wrong");
		return -1;
	}
	return 0;
}

int wf_hs_client_early(const char *p, size_t n, char *why, size_t whylen)
{
	char shown[48];
	size_t i, o = 0;

	if (!n || !memcmp(p, "HTTP/1.", n < 7 ? n : 7))
		return 0;
	if (n >= 2 && (p[0] == 0x15 || p[0] == 0x16) && p[1] == 0x03) {
		snprintf(why, whylen, "the server answered with TLS, not HTTP: use wss://");
		return -1;
	}
	for (i = 0; i < n && p[i] != '\r' && p[i] != '\n' && o + 5 < sizeof shown; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			shown[o++] = (char)ch;
		else
			o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", ch);
	}
	shown[o] = 0;
	snprintf(why, whylen, "the server did not answer with HTTP: \"%s\"%s", shown,
		 i < n && p[i] != '\r' && p[i] != '\n' ? "..." : "");
	return -1;
}
