#include "endpoint.h"
#include "b64.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void wf_tails_build(struct wf_tails *t, const char *kind, int tls, const char *host, int port,
		    const char *id, long long stream)
{
	struct wf_buf m;

	wf_buf_init(&t->text, (size_t)-1);
	wf_buf_init(&t->binary, (size_t)-1);
	wf_buf_init(&m, (size_t)-1);
	wf_buf_addf(&m, ",\"meta\":{\"%s\":{\"tls\":%s,\"peer\":{\"host\":\"%s\",\"port\":%d}}", kind,
		    tls ? "true" : "false", host, port);
	wf_buf_add(&t->text, m.p, m.len);
	wf_buf_add(&t->binary, m.p, m.len);
	wf_buf_adds(&t->binary, ",\"binary\":true");
	m.len = 0;
	wf_buf_adds(&m, "},\"origin\":[{\"source\":");
	wf_json_escape(&m, id, strlen(id));
	wf_buf_addf(&m, ",\"stream\":%lld}]}\n", stream);
	wf_buf_add(&t->text, m.p, m.len);
	wf_buf_add(&t->binary, m.p, m.len);
	wf_buf_free(&m);
}

void wf_tails_free(struct wf_tails *t)
{
	wf_buf_free(&t->text);
	wf_buf_free(&t->binary);
}

void wf_emit_message(struct wf_buf *o, const struct wf_tails *t, int raw, int binary,
		     const char *p, size_t n)
{
	if (raw) {
		wf_buf_add(o, p, n);
		wf_buf_addc(o, '\n');
	} else if (binary) {
		if (!wf_buf_add(o, "{\"bytes\":\"", 10) && !wf_buf_reserve(o, wf_b64_enclen(n) + 1)) {
			o->len += wf_b64_encode((const unsigned char *)p, n, o->p + o->len);
			o->p[o->len++] = '"';
		}
		wf_buf_add(o, t->binary.p, t->binary.len);
	} else {
		wf_buf_add(o, "{\"data\":", 8);
		wf_json_escape(o, p, n);
		wf_buf_add(o, t->text.p, t->text.len);
	}
}

void wf_emit_control(struct wf_buf *o, const struct wf_tails *t, const char *what, int code,
		     const char *reason)
{
	wf_buf_addf(o, "{\"control\":\"%s\"", what);
	if (reason) {
		size_t n = strlen(reason);
		wf_buf_addf(o, ",\"code\":%d,\"reason\":", code);
		wf_json_escape(o, reason, wf_utf8_valid((const unsigned char *)reason, n) ? n : 0);
	}
	wf_buf_add(o, t->text.p, t->text.len);
}

int wf_tails_event(const struct wf_tails *t, struct wf_buf *b, struct wf_event *ev)
{
	struct wf_json_err jerr;

	b->len = 0;
	if (wf_buf_adds(b, "{\"control\":\"close\"") || wf_buf_add(b, t->text.p, t->text.len - 1))
		return -1;
	return wf_env_parse(ev, b->p, b->len, &jerr);
}

static int is_true(const char *v, const char *ve)
{
	return ve - v == 4 && !memcmp(v, "true", 4);
}

/* meta.binary, meta.<kind>.binary or meta.ws_server.binary is true
 * (Tremor's docs name $ws_server.binary for both kinds): one pass over
 * meta for the three keys, the last of a repeated key winning as in
 * wf_json_get. */
static int meta_binary(const struct wf_event *ev, const char *kind)
{
	const char *p, *e, *kv = NULL, *kve = NULL, *sv = NULL, *sve = NULL, *v, *ve;
	struct wf_json_member m;
	int bin = 0;

	if (!ev->meta.k)
		return 0;
	e = ev->meta.ve;
	p = wf_json_ws(ev->meta.v, e);
	if (p >= e || *p != '{')
		return 0;
	while (wf_json_next(&p, e, &m)) {
		if (wf_json_key_is(&m, "binary")) {
			bin = is_true(m.v, m.ve);
		} else if (wf_json_key_is(&m, kind)) {
			kv = m.v;
			kve = m.ve;
		} else if (wf_json_key_is(&m, "ws_server")) {
			sv = m.v;	/* kind is another one */
			sve = m.ve;
		}
	}
	return bin || (kv && *kv == '{' && wf_json_get(kv, kve, "binary", &v, &ve) && is_true(v, ve)) ||
	       (sv && *sv == '{' && wf_json_get(sv, sve, "binary", &v, &ve) && is_true(v, ve));
}

int wf_event_frame(const struct wf_event *ev, const char *kind, struct wf_buf *out, int *binary)
{
	int rc = wf_env_payload(ev, out, binary);

	if (rc)
		return rc;
	if (*binary || meta_binary(ev, kind))
		*binary = 1;
	else if (!wf_utf8_valid((const unsigned char *)(out->p ? out->p : ""), out->len))
		*binary = 1;
	return 0;
}

static void on_writable(struct wf_loop *l, int fd, int events, void *ud)
{
	struct wf_stdout *o = ud;

	if ((events & WF_ERROR) && !wf_writer_pending(&o->w) && !o->err)
		o->err = -EPIPE;	/* the reader is gone */
	else
		wf_stdout_flush(o);
	if (o->err)
		wf_loop_del_fd(l, fd);	/* epoll would say so again and again */
}

void wf_stdout_init(struct wf_stdout *o, struct wf_loop *l, void (*pause)(int, void *), void *ud)
{
	memset(o, 0, sizeof *o);
	o->loop = l;
	o->pause = pause;
	o->ud = ud;
	o->fd = wf_nonblock_dup(1, 1);
	wf_writer_init(&o->w, o->fd, (size_t)-1);
	wf_loop_add_fd(l, o->fd, 0, on_writable, o);
}

static void set_paused(struct wf_stdout *o, int paused)
{
	if (o->paused == paused)
		return;
	o->paused = paused;
	if (o->pause)
		o->pause(paused, o->ud);
}

void wf_stdout_flush(struct wf_stdout *o)
{
	int rc;

	if (o->err)
		return;
	rc = wf_writer_flush(&o->w);
	if (rc < 0) {
		o->err = rc;
		wf_loop_set_mask(o->loop, o->fd, 0);
		return;
	}
	wf_loop_set_mask(o->loop, o->fd, rc == 1 ? WF_WRITE : 0);
	if (wf_writer_pending(&o->w) >= WF_OUT_HIGH)
		set_paused(o, 1);
	else if (wf_writer_pending(&o->w) <= WF_OUT_LOW)
		set_paused(o, 0);
}

int wf_stdout_finish(struct wf_stdout *o)
{
	int rc = o->err;

	if (!rc && wf_writer_pending(&o->w)) {
		int fl = fcntl(o->fd, F_GETFL);
		if (fl >= 0)
			fcntl(o->fd, F_SETFL, fl & ~O_NONBLOCK);
		rc = wf_writer_flush(&o->w);
	}
	wf_loop_del_fd(o->loop, o->fd);
	wf_writer_free(&o->w);
	if (o->fd != 1)
		close(o->fd);
	return rc < 0 ? rc : 0;
}

void wf_ws_cfg_limits(struct wf_ws_cfg *w, size_t max_message, size_t max_queue, int64_t handshake_ms,
		      int64_t ping_ms, int64_t pong_ms, int64_t close_ms, int64_t stall_ms)
{
	w->max_message = max_message;
	w->queue_max = max_queue;
	w->queue_high = max_queue / 4 < (1u << 20) ? max_queue / 4 : (1u << 20);
	w->queue_low = w->queue_high / 4;
	w->handshake_ms = handshake_ms;
	w->ping_ms = ping_ms;
	w->pong_ms = pong_ms;
	w->close_ms = close_ms;
	w->stall_ms = stall_ms;
}
