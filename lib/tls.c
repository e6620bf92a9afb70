#include "tls.h"
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <gnutls/x509.h>

static int check_file(const char *what, const char *path, char *msg, size_t n)
{
	if (access(path, R_OK) < 0) {
		snprintf(msg, n, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether a PEM file holds what it should, to say which of the two is bad
 * (GnuTLS's own error names neither): 0, or -1 with msg. */
static int check_pem(const char *what, const char *path, int is_key, char *msg, size_t n)
{
	gnutls_datum_t d = { NULL, 0 };
	int rc = gnutls_load_file(path, &d);

	if (rc >= 0 && is_key) {
		gnutls_x509_privkey_t k;
		if ((rc = gnutls_x509_privkey_init(&k)) >= 0) {
			rc = gnutls_x509_privkey_import2(k, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
			gnutls_x509_privkey_deinit(k);
		}
	} else if (rc >= 0) {
		gnutls_x509_crt_t *crts;
		unsigned i, count = 0;
		rc = gnutls_x509_crt_list_import2(&crts, &count, &d, GNUTLS_X509_FMT_PEM, 0);
		if (rc >= 0) {
			for (i = 0; i < count; i++)
				gnutls_x509_crt_deinit(crts[i]);
			gnutls_free(crts);
		}
	}
	gnutls_free(d.data);
	if (rc < 0) {
		snprintf(msg, n, "%s %s: not a PEM %s", what, path, is_key ? "private key" : "certificate");
		return -1;
	}
	return 0;
}

/* GnuTLS's default ciphers (NORMAL: AES-256-GCM, CHACHA20-POLY1305,
 * AES-256-CCM, AES-256-CBC, AES-128-GCM, AES-128-CCM, AES-128-CBC) with
 * AES-128-GCM first, as browsers and Mozilla's recommended configurations
 * order them: TLS 1.3's one mandatory suite, and 10 AES rounds where
 * AES-256 takes 14. The server picks by its own order. */
#define PRIO_CIPHERS "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-256-CCM:+AES-256-CBC:+AES-128-CCM:+AES-128-CBC"

static int set_prio(struct wf_tls_creds *c, char *msg, size_t n)
{
	int rc = gnutls_priority_init2(&c->prio, c->server ? "%SERVER_PRECEDENCE:" PRIO_CIPHERS : PRIO_CIPHERS,
				       NULL, GNUTLS_PRIORITY_INIT_DEF_APPEND);

	if (rc < 0) {
		snprintf(msg, n, "TLS priorities: %s", gnutls_strerror(rc));
		c->prio = NULL;
		return -1;
	}
	return 0;
}

int wf_tls_server_creds(struct wf_tls_creds *c, const char *cert, const char *key,
			char *msg, size_t n)
{
	int rc;

	memset(c, 0, sizeof *c);
	c->server = 1;
	if (check_file("certificate", cert, msg, n) || check_file("key", key, msg, n) ||
	    check_pem("certificate", cert, 0, msg, n) || check_pem("key", key, 1, msg, n))
		return -1;
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		snprintf(msg, n, "TLS credentials: %s", gnutls_strerror(rc));
		return -1;
	}
	rc = gnutls_certificate_set_x509_key_file(c->cred, cert, key, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
			snprintf(msg, n, "key %s does not match certificate %s", key, cert);
		else
			snprintf(msg, n, "certificate %s / key %s: %s", cert, key, gnutls_strerror(rc));
		gnutls_certificate_free_credentials(c->cred);
		c->cred = NULL;
		return -1;
	}
	if (set_prio(c, msg, n)) {
		gnutls_certificate_free_credentials(c->cred);
		c->cred = NULL;
		return -1;
	}
	return 0;
}

int wf_tls_client_creds(struct wf_tls_creds *c, const char *cafile, const char *cert,
			const char *key, int insecure, char *msg, size_t n)
{
	int rc;

	memset(c, 0, sizeof *c);
	c->verify = !insecure;
	if (cafile && check_file("CA file", cafile, msg, n))
		return -1;
	if ((cert && check_file("certificate", cert, msg, n)) || (key && check_file("key", key, msg, n)))
		return -1;
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		snprintf(msg, n, "TLS credentials: %s", gnutls_strerror(rc));
		return -1;
	}
	if (cafile) {
		rc = gnutls_certificate_set_x509_trust_file(c->cred, cafile, GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(msg, n, "CA file %s: %s", cafile,
				 rc == 0 ? "no certificate in it" : gnutls_strerror(rc));
			goto fail;
		}
	} else if (!insecure) {
		rc = gnutls_certificate_set_x509_system_trust(c->cred);
		if (rc < 0) {
			snprintf(msg, n, "system trust store: %s", gnutls_strerror(rc));
			goto fail;
		}
	}
	if (cert && key) {
		rc = gnutls_certificate_set_x509_key_file(c->cred, cert, key, GNUTLS_X509_FMT_PEM);
		if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
			snprintf(msg, n, "key %s does not match certificate %s", key, cert);
			goto fail;
		}
		if (rc < 0) {
			snprintf(msg, n, "client certificate %s / key %s: %s", cert, key,
				 rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || rc == GNUTLS_E_BASE64_DECODING_ERROR
				 ? "not a PEM certificate and key" : gnutls_strerror(rc));
			goto fail;
		}
	}
	if (set_prio(c, msg, n))
		goto fail;
	return 0;
fail:
	gnutls_certificate_free_credentials(c->cred);
	c->cred = NULL;
	return -1;
}

void wf_tls_creds_free(struct wf_tls_creds *c)
{
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	c->cred = NULL;
	c->prio = NULL;
}

/* The transport: GnuTLS reads through the read-ahead buffer and writes
 * with sendmsg, errors given back as errno. */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct wf_tls *t = ptr;
	ssize_t n;

	if (t->ra_off == t->ra_len) {
		if (len >= WF_TLS_READ_AHEAD) {
			n = recv(t->fd, data, len, 0);
			if (n < 0)
				gnutls_transport_set_errno(t->s, errno);
			return n;
		}
		if (!t->ra && !(t->ra = malloc(WF_TLS_READ_AHEAD))) {
			gnutls_transport_set_errno(t->s, ENOMEM);
			return -1;
		}
		n = recv(t->fd, t->ra, WF_TLS_READ_AHEAD, 0);
		if (n <= 0) {
			if (n < 0)
				gnutls_transport_set_errno(t->s, errno);
			free(t->ra);
			t->ra = NULL;
			t->ra_off = t->ra_len = 0;
			return n;
		}
		t->ra_off = 0;
		t->ra_len = (size_t)n;
	}
	n = (ssize_t)(len < t->ra_len - t->ra_off ? len : t->ra_len - t->ra_off);
	memcpy(data, t->ra + t->ra_off, (size_t)n);
	t->ra_off += (size_t)n;
	if (t->ra_off == t->ra_len) {
		free(t->ra);
		t->ra = NULL;
		t->ra_off = t->ra_len = 0;
	}
	return n;
}

static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct wf_tls *t = ptr;
	struct pollfd p = { t->fd, POLLIN, 0 };
	int rc;

	if (t->ra_off < t->ra_len)
		return 1;
	rc = poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
	if (rc < 0)
		gnutls_transport_set_errno(t->s, errno);
	return rc;
}

static ssize_t push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int n)
{
	struct wf_tls *t = ptr;
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	ssize_t rc = sendmsg(t->fd, &m, MSG_NOSIGNAL);

	if (rc < 0)
		gnutls_transport_set_errno(t->s, errno);
	return rc;
}

int wf_tls_new(struct wf_tls *t, const struct wf_tls_creds *c, int fd, const char *domain,
	       char *msg, size_t n)
{
	int rc;

	memset(t, 0, sizeof *t);
	rc = gnutls_init(&t->s, (c->server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK);
	if (rc < 0)
		goto fail;
	if ((rc = c->prio ? gnutls_priority_set(t->s, c->prio) : gnutls_set_default_priority(t->s)) < 0 ||
	    (rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, c->cred)) < 0)
		goto fail;
	t->domain = domain;
	if (!c->server && domain) {
		if ((rc = gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, domain, strlen(domain))) < 0)
			goto fail;
		if (c->verify)
			gnutls_session_set_verify_cert(t->s, domain, 0);
	} else if (!c->server && c->verify) {
		gnutls_session_set_verify_cert(t->s, NULL, 0);
	}
	t->fd = fd;
	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_pull_function(t->s, pull);
	gnutls_transport_set_pull_timeout_function(t->s, pull_timeout);
	gnutls_transport_set_vec_push_function(t->s, push);
	gnutls_handshake_set_timeout(t->s, 0);
	return 0;
fail:
	snprintf(msg, n, "TLS session: %s", gnutls_strerror(rc));
	if (t->s)
		gnutls_deinit(t->s);
	t->s = NULL;
	return -1;
}

void wf_tls_free(struct wf_tls *t)
{
	if (t->s)
		gnutls_deinit(t->s);
	t->s = NULL;
	free(t->ra);
	t->ra = NULL;
	t->ra_off = t->ra_len = 0;
}

static void verify_reason(struct wf_tls *t, char *msg, size_t n)
{
	unsigned status = gnutls_session_get_verify_cert_status(t->s);
	gnutls_datum_t out = { NULL, 0 };

	if (status & GNUTLS_CERT_EXPIRED)
		snprintf(msg, n, "certificate verification failed: the certificate has expired");
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		snprintf(msg, n, "certificate verification failed: the certificate is not yet valid");
	else if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		snprintf(msg, n, "certificate verification failed: the certificate does not match the name %s",
			 t->domain ? t->domain : "asked for");
	else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		snprintf(msg, n, "certificate verification failed: unknown certificate authority");
	else if (!gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0)) {
		snprintf(msg, n, "certificate verification failed: %s", out.data);
		gnutls_free(out.data);
	} else {
		snprintf(msg, n, "certificate verification failed");
	}
}

int wf_tls_handshake(struct wf_tls *t, char *msg, size_t n)
{
	int rc;

	if (t->done)
		return 0;
	do	/* GnuTLS may stop with bytes read ahead: no poll would wake us for them */
		rc = gnutls_handshake(t->s);
	while (rc == GNUTLS_E_INTERRUPTED || (rc == GNUTLS_E_AGAIN && t->ra_off < t->ra_len));
	if (rc == GNUTLS_E_AGAIN)
		return WF_TLS_AGAIN;
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		verify_reason(t, msg, n);
		return -1;
	}
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		const char *a = gnutls_alert_get_name(gnutls_alert_get(t->s));
		snprintf(msg, n, "TLS handshake failed: the peer sent the alert \"%s\"", a ? a : "?");
		return -1;
	}
	if (rc < 0) {
		snprintf(msg, n, "TLS handshake failed: %s", gnutls_strerror(rc));
		return -1;
	}
	t->done = 1;
	return 0;
}

ssize_t wf_tls_read(struct wf_tls *t, void *buf, size_t len, char *msg, size_t n)
{
	ssize_t rc;

	do	/* E_AGAIN after a post-handshake message (a session ticket), with
		 * the next records read ahead already: read on */
		rc = gnutls_record_recv(t->s, buf, len);
	while (rc == GNUTLS_E_INTERRUPTED || (rc == GNUTLS_E_AGAIN && t->ra_off < t->ra_len));
	if (rc >= 0)
		return rc;
	if (rc == GNUTLS_E_AGAIN)
		return WF_TLS_AGAIN;
	if (rc == GNUTLS_E_PREMATURE_TERMINATION || rc == GNUTLS_E_PULL_ERROR)
		return 0;	/* EOF without close_notify, or a reset: a peer that vanished */
	snprintf(msg, n, "TLS read: %s", gnutls_strerror((int)rc));
	return -1;
}

ssize_t wf_tls_write(struct wf_tls *t, const void *buf, size_t len, char *msg, size_t n)
{
	ssize_t rc;

	if (t->pending) {
		/* complete the record GnuTLS already holds */
		do
			rc = gnutls_record_send(t->s, NULL, 0);
		while (rc == GNUTLS_E_INTERRUPTED);
		if (rc == GNUTLS_E_AGAIN)
			return WF_TLS_AGAIN;
		if (rc < 0)
			goto fail;
		rc = (ssize_t)t->pending;
		t->pending = 0;
		return rc;
	}
	do
		rc = gnutls_record_send(t->s, buf, len);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc == GNUTLS_E_AGAIN) {
		/* the record is queued whole: remember how much of buf it holds */
		size_t maxrec = gnutls_record_get_max_size(t->s);
		t->pending = len < maxrec ? len : maxrec;
		return WF_TLS_AGAIN;
	}
	if (rc >= 0)
		return rc;
fail:
	snprintf(msg, n, "TLS write: %s", gnutls_strerror((int)rc));
	return -1;
}

int wf_tls_pending(const struct wf_tls *t)
{
	return t->s && (t->ra_off < t->ra_len || gnutls_record_check_pending(t->s) > 0);
}

int wf_tls_want(const struct wf_tls *t)
{
	return gnutls_record_get_direction(t->s) ? WF_WRITE : WF_READ;
}

const char *wf_tls_cert_hint(const struct wf_tls *t)
{
	if (!t->s || !t->done || !gnutls_certificate_client_get_request_status(t->s))
		return "";
	return gnutls_certificate_get_ours(t->s) ? " (it asked for a client certificate: was this one refused?)"
						 : " (it asked for a client certificate and none was given)";
}

void wf_tls_bye(struct wf_tls *t)
{
	if (t->s && t->done)
		gnutls_bye(t->s, GNUTLS_SHUT_WR);
}
