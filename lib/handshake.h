/* handshake: the HTTP/1.1 upgrade of RFC 6455 section 4, both sides.
 * Pure functions over buffers: no I/O, so the fuzzers and unit tests can
 * drive them directly. */
#ifndef WF_HANDSHAKE_H
#define WF_HANDSHAKE_H

#include <stddef.h>
#include "buf.h"

#define WF_HS_MAX 16384		/* largest request or response head */

/* Find the end of an HTTP head in p[0..n): the length up to and including
 * the blank line, 0 when incomplete, -1 when over WF_HS_MAX. */
long wf_hs_head_end(const char *p, size_t n);

struct wf_hs_req {
	char path[2048];
	char key[32];
	char protocol[256];	/* the subprotocol chosen, "" when none */
	char host[256];
	char origin[256];
	int offered_ext;	/* the client offered extensions (declined) */
};

/* Check a client's request head. 0 and out filled; or the HTTP status to
 * answer (400, 405, 426) with why filled. want_protocol (may be NULL) is
 * the subprotocol this server speaks. */
int wf_hs_server_check(const char *head, size_t n, const char *want_protocol,
		       struct wf_hs_req *out, char *why, size_t whylen);
/* Whether the first n bytes of a request head, not yet whole, can still be
 * one: 0, or the status to answer at once (400 for bytes no HTTP head has,
 * 400/405 for a bad request line) with why filled. */
int wf_hs_server_early(const char *p, size_t n, char *why, size_t whylen);
/* The 101 answer for a checked request. */
int wf_hs_server_accept(struct wf_buf *out, const struct wf_hs_req *req);
/* A refusal: status line, reason in the body, Connection: close. */
int wf_hs_server_refuse(struct wf_buf *out, int status, const char *why);

/* Sec-WebSocket-Accept for a key: 28 characters and a NUL. */
void wf_hs_accept_key(const char *key, char out[29]);

struct wf_hs_client {
	const char *host;	/* Host header value (with port when not default) */
	const char *path;	/* path and query, "/" at least */
	const char *protocol;	/* may be NULL */
	const char *origin;	/* may be NULL */
	const char *const *headers;	/* "K: V" lines, may be NULL */
	size_t nheaders;
	char key[25];		/* filled by wf_hs_client_request */
};

/* The request, with a fresh random key. 0, or -1 when a header is malformed. */
int wf_hs_client_request(struct wf_buf *out, struct wf_hs_client *c);
/* Check the server's answer: 0; or -1 with why (the status line when not
 * 101, a wrong accept key, an unrequested protocol or extension). */
int wf_hs_client_check(const char *head, size_t n, const struct wf_hs_client *c,
		       char *protocol, size_t plen, char *why, size_t whylen);
/* Whether the first n bytes of an answer, not yet whole, can still be an
 * HTTP answer: 0, or -1 with why (what came instead, escaped; a TLS record
 * is named as such). */
int wf_hs_client_early(const char *p, size_t n, char *why, size_t whylen);

#endif
