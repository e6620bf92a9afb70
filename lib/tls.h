/* tls: GnuTLS sessions over non-blocking sockets, for both sides.
 *
 * A wf_tls_creds holds what a listener or a client trusts and presents; a
 * session is made per connection. All calls return 0/positive on success,
 * WF_TLS_AGAIN when the socket would block (wf_tls_want says for what), or a
 * negative error with a message in the caller's buffer. */
#ifndef WF_TLS_H
#define WF_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include <gnutls/gnutls.h>

#define WF_TLS_AGAIN (-11)

struct wf_tls_creds {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;	/* GnuTLS's defaults, AES-128-GCM first */
	int server;
	int verify;		/* client: verify the peer (always, unless insecure) */
};

/* Server: cert (PEM, a chain allowed) and key (PEM). 0, or -1 with msg. */
int wf_tls_server_creds(struct wf_tls_creds *c, const char *cert, const char *key,
			char *msg, size_t n);
/* Client: cafile (the only trusted root) or NULL for the system store;
 * cert/key for a client certificate or NULL. insecure turns verification off. */
int wf_tls_client_creds(struct wf_tls_creds *c, const char *cafile, const char *cert,
			const char *key, int insecure, char *msg, size_t n);
void wf_tls_creds_free(struct wf_tls_creds *c);

struct wf_tls {
	gnutls_session_t s;
	size_t pending;		/* bytes of an interrupted record_send */
	int done;		/* handshake finished */
	const char *domain;	/* client: the name verified (borrowed) */
	int fd;
	/* Bytes read from the socket ahead of GnuTLS, which asks for a
	 * record's 5-byte header and then its body, two reads a record:
	 * one recv of up to WF_TLS_READ_AHEAD serves many records. Held
	 * only while it has bytes, so an idle session keeps none. */
	unsigned char *ra;
	size_t ra_off, ra_len;
};

#define WF_TLS_READ_AHEAD (64u << 10)

/* domain: the name to verify and send as SNI (client only). */
int wf_tls_new(struct wf_tls *t, const struct wf_tls_creds *c, int fd, const char *domain,
	       char *msg, size_t n);
void wf_tls_free(struct wf_tls *t);
/* Drive the handshake: 0 done, WF_TLS_AGAIN, or -1 with msg (for a client,
 * what verification found: unknown CA, wrong name, expired). */
int wf_tls_handshake(struct wf_tls *t, char *msg, size_t n);
/* Bytes read, 0 at EOF, WF_TLS_AGAIN, or -1 with msg. */
ssize_t wf_tls_read(struct wf_tls *t, void *buf, size_t len, char *msg, size_t n);
/* Bytes written, WF_TLS_AGAIN, or -1. After WF_TLS_AGAIN the record is
 * queued inside GnuTLS: the next call, with any buffer, completes it and
 * returns its length (the caller passes the same bytes again). */
ssize_t wf_tls_write(struct wf_tls *t, const void *buf, size_t len, char *msg, size_t n);
/* Whether bytes are read from the socket but not yet from the session:
 * decrypted in GnuTLS, or read ahead of it. No poll would tell. */
int wf_tls_pending(const struct wf_tls *t);
/* WF_READ or WF_WRITE: what the last WF_TLS_AGAIN waits for. */
int wf_tls_want(const struct wf_tls *t);
/* Client: why a server may hang up after the handshake, as a parenthesis
 * to append: it asked for a certificate and got none, or may have refused
 * ours (TLS 1.3 refuses after the client's handshake is done). "" else. */
const char *wf_tls_cert_hint(const struct wf_tls *t);
/* Send close_notify without waiting. */
void wf_tls_bye(struct wf_tls *t);

#endif
