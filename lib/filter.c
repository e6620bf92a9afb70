#include "filter.h"
#include "loop.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FLUSH_AT (64 * 1024)

struct run {
	struct wf_filter *f;
	struct wf_reader in;
	struct wf_loop *loop;
	int rc;
	int finished;		/* EOF seen and the filter's finish called */
	const char *what;	/* what failed, for the message */
};

static int out_raw(struct wf_filter *f, int bytes, const char *val, size_t vlen)
{
	struct wf_buf *o = &f->out.buf;
	int rc;

	if (bytes) {
		if ((rc = wf_env_b64(o, val + 1, val + vlen - 1)))
			return rc;
	} else if (vlen && *val == '"') {
		if ((rc = wf_json_unescape(o, val + 1, val + vlen - 1)))
			return rc;
	} else if ((rc = wf_buf_add(o, val, vlen))) {
		return rc;
	}
	return wf_buf_addc(o, '\n');
}

static int is_bytes(const struct wf_event *ev, const struct wf_member *m, const char *key)
{
	return key ? !strcmp(key, "bytes") : m == &ev->bytes;
}

int wf_filter_emit(struct wf_filter *f, const struct wf_event *ev, const struct wf_member *m,
		   const char *key, const char *val, size_t vlen)
{
	if (f->raw_out)
		return out_raw(f, is_bytes(ev, m, key), val, vlen);
	return wf_env_splice(&f->out.buf, ev, m, key, val, vlen);
}

int wf_filter_pass(struct wf_filter *f, const struct wf_event *ev)
{
	const struct wf_member *m;

	if (f->raw_out) {
		int rc;
		if (ev->kind == WF_CONTROL)
			return 0;
		m = ev->kind == WF_BYTES ? &ev->bytes : &ev->data;
		rc = out_raw(f, ev->kind == WF_BYTES, m->v, (size_t)(m->ve - m->v));
		if (rc == -EINVAL) {
			/* bytes passed on unread: bad base64 is bad input, not the end */
			wf_err_event(f->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
				     "line %lu: bytes is not valid base64", f->lineno);
			return 0;
		}
		return rc;
	}
	if (wf_buf_add(&f->out.buf, ev->line, (size_t)(ev->end - ev->line)))
		return -ENOBUFS;
	return wf_buf_addc(&f->out.buf, '\n');
}

struct wf_buf *wf_filter_begin(struct wf_filter *f, const struct wf_event *ev,
			       const struct wf_member *m, const char *key, size_t *mark)
{
	struct wf_buf *o = f->raw_out ? &f->tmp : &f->out.buf;

	*mark = o->len;
	if (f->raw_out) {
		f->tmp.len = 0;
		*mark = 0;
		return o;
	}
	/* the head of the line up to the value */
	{
		const char *cut = key ? m->k : m->v;
		if (wf_buf_add(o, ev->line, (size_t)(cut - ev->line)))
			return NULL;
		if (key && (wf_buf_addc(o, '"') || wf_buf_adds(o, key) || wf_buf_add(o, "\":", 2)))
			return NULL;
	}
	return o;
}

int wf_filter_end(struct wf_filter *f, const struct wf_event *ev, const struct wf_member *m,
		  const char *key, size_t mark)
{
	int rc;

	if (f->raw_out)
		return out_raw(f, is_bytes(ev, m, key), f->tmp.p + mark, f->tmp.len - mark);
	if ((rc = wf_buf_add(&f->out.buf, m->ve, (size_t)(ev->end - m->ve))))
		return rc;
	return wf_buf_addc(&f->out.buf, '\n');
}

void wf_filter_abort(struct wf_filter *f, size_t mark)
{
	if (f->raw_out)
		f->tmp.len = 0;
	else
		f->out.buf.len = mark;
}

static void describe(char *msg, size_t n, const char *what, int err)
{
	snprintf(msg, n, "%s: %s", what, strerror(-err));
}

static void stop(struct run *r, int rc, const char *what)
{
	r->rc = rc;
	if (what)
		r->what = what;
	wf_loop_stop(r->loop);
}

static int flush_out(struct run *r, int all)
{
	struct wf_filter *f = r->f;
	int rc;

	if (!all && wf_writer_pending(&f->out) < FLUSH_AT)
		return 0;
	rc = wf_writer_flush(&f->out);
	if (rc < 0) {
		stop(r, rc, "write error");
		return rc;
	}
	if (rc == 1) {
		/* stdout is non-blocking and full: stop reading until it drains */
		wf_loop_set_mask(r->loop, r->in.fd, 0);
		wf_loop_set_mask(r->loop, f->out.fd, WF_WRITE);
	}
	return rc;
}

static int handle_line(struct run *r, const char *line, size_t n)
{
	struct wf_filter *f = r->f;
	struct wf_json_err jerr;
	struct wf_event ev;
	int rc;

	if (f->raw_in) {
		f->line.len = 0;
		if ((rc = wf_env_from_text(&f->line, line, n)))
			return rc;
		line = f->line.p;
		n = f->line.len - 1;
	}
	if (wf_env_parse_text(&ev, line, n, f->want_text ? &f->text : NULL, &jerr) < 0) {
		wf_err_event(f->err, NULL, -1, line, n, "line %lu: not an envelope: %s at byte %zu",
			     f->lineno, jerr.msg, (size_t)(jerr.at - line));
		return 0;
	}
	if (ev.kind == WF_CONTROL)
		return f->control ? f->control(f, &ev) : wf_filter_pass(f, &ev);
	return f->event(f, &ev);
}

/* Handle the complete lines the reader holds, then write what they made:
 * nothing waits in the buffer while the input is quiet. At EOF, finish.
 * 0 when more input is wanted, 1 when stdout is full (the rest of the
 * lines waits for POLLOUT), or negative when the run stopped. */
static int drain(struct run *r)
{
	struct wf_filter *f = r->f;
	const char *line;
	size_t n;
	int k, rc;

	while ((k = wf_reader_next(&r->in, &line, &n)) != 0) {
		f->lineno = r->in.lineno;
		if (k == WF_LINE_LONG) {
			wf_err_event(f->err, NULL, -1, NULL, 0,
				     "line %lu: longer than %zu bytes, skipped", f->lineno, r->in.maxline);
			continue;
		}
		if ((rc = handle_line(r, line, n)) < 0) {
			stop(r, rc, NULL);
			return rc;
		}
		if ((rc = flush_out(r, 0)) != 0)
			return rc;
	}
	if (r->in.eof && !r->finished) {
		r->finished = 1;
		wf_loop_del_fd(r->loop, r->in.fd);
		if (f->finish && (rc = f->finish(f)) < 0) {
			stop(r, rc, NULL);
			return rc;
		}
	}
	rc = flush_out(r, 1);
	if (rc == 0 && r->finished)
		wf_loop_stop(r->loop);
	return rc;
}

static void on_out(struct wf_loop *l, int fd, int events, void *ud)
{
	struct run *r = ud;
	int rc;

	(void)events;
	rc = wf_writer_flush(&r->f->out);
	if (rc < 0) {
		stop(r, rc, "write error");
	} else if (rc == 0) {
		wf_loop_set_mask(l, fd, 0);
		if (!r->finished)
			wf_loop_set_mask(l, r->in.fd, WF_READ);
		/* the lines read before stdout filled up go first */
		drain(r);
	}
}

static void on_in(struct wf_loop *l, int fd, int events, void *ud)
{
	struct run *r = ud;
	ssize_t got;

	(void)l;
	(void)fd;
	(void)events;
	if (drain(r) != 0)
		return;
	got = wf_reader_fill(&r->in);
	if (got < 0 && got != -EAGAIN) {
		stop(r, (int)got, "read error");
		return;
	}
	drain(r);
}

int wf_filter_run(struct wf_filter *f, int in, int out, char *msg, size_t n)
{
	struct run r = { .f = f, .what = "out of memory" };
	int rc;

	wf_reader_init(&r.in, in, f->maxline);
	wf_writer_init(&f->out, out, (size_t)-1);
	wf_buf_init(&f->line, f->maxline * 6 + 64);
	wf_buf_init(&f->tmp, (size_t)-1);
	wf_buf_init(&f->text, f->maxline * 6 + 64);
	r.loop = wf_loop_new();
	if (!r.loop) {
		describe(msg, n, "event loop", -ENOMEM);
		return -ENOMEM;
	}
	wf_loop_add_fd(r.loop, in, WF_READ, on_in, &r);
	if (out != in)
		wf_loop_add_fd(r.loop, out, 0, on_out, &r);
	rc = wf_loop_run(r.loop);
	if (!rc)
		rc = r.rc;
	if (!rc && wf_writer_pending(&f->out)) {
		rc = wf_writer_flush(&f->out);
		r.what = "write error";
	}
	if (rc < 0)
		describe(msg, n, r.what, rc);
	wf_loop_free(r.loop);
	wf_reader_free(&r.in);
	wf_writer_free(&f->out);
	wf_buf_free(&f->line);
	wf_buf_free(&f->tmp);
	wf_buf_free(&f->text);
	return rc < 0 ? rc : 0;
}

int wf_filter_main(struct wf_filter *f, const struct wf_cli *cli, const char *prog,
		   const char *id, int closed, char *msg, size_t n)
{
	struct wf_errsink *err = f->err;
	int rc;

	wf_err_init(err, prog, id, cli->err_fd);
	f->raw_in = cli->raw_in;
	f->raw_out = cli->raw_out;
	f->maxline = cli->max_line;
	if (closed & 2) {
		snprintf(msg, n, "write error: %s", strerror(EBADF));
		return 1;
	}
	rc = wf_filter_run(f, 0, 1, msg, n);
	if (rc)
		return 1;
	if (err->failed) {
		snprintf(msg, n, "error events: write error");
		return 1;
	}
	return 0;
}
