/* nodes: the bodies of flow-run's internal processes (forked, not exec'd):
 * file and stdin readers, file and stdout writers, the remove-empty and
 * base64 processors, pipelines. Each reads envelopes on fd 0 or makes
 * them, writes to fd 1, and reports errors on fd 3 when it is there. */
#include "b64.h"
#include "envelope.h"
#include "err.h"
#include "filter.h"
#include "graph.h"
#include "io.h"
#include "pipeline.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int err_fd(const struct wf_gproc *p)
{
	size_t k;

	for (k = 0; k < p->nfds; k++)
		if (p->fds[k].fd == 3)
			return 3;
	return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Emit one chunk of raw input as an envelope of stream 0. */
static int emit_chunk(struct wf_buf *o, const char *alias, const char *p, size_t n)
{
	o->len = 0;
	if (wf_utf8_valid((const unsigned char *)p, n)) {
		wf_buf_add(o, "{\"data\":", 8);
		wf_json_escape(o, p, n);
	} else {
		wf_buf_add(o, "{\"bytes\":\"", 10);
		if (!wf_buf_reserve(o, wf_b64_enclen(n) + 1))
			o->len += wf_b64_encode((const unsigned char *)p, n, o->p + o->len);
		wf_buf_addc(o, '"');
	}
	wf_buf_adds(o, ",\"origin\":[{\"source\":");
	wf_json_escape(o, alias, strlen(alias));
	wf_buf_adds(o, ",\"stream\":0}]}\n");
	return write_all(1, o->p, o->len);
}

static volatile sig_atomic_t told_to_stop;

static void on_stop(int sig)
{
	(void)sig;
	told_to_stop = 1;
}

/* Read fd in chunks (cut at a character boundary where the text allows),
 * each an event; at EOF a close control event flushes the preprocessors.
 * Like Tremor's readers it does not end the flow: it waits to be stopped.
 * SIGUSR1 (the start of a graceful stop) ends the reading but not the
 * output, so that nothing downstream sees an end before the graph is
 * drained; SIGTERM ends the process. */
static int read_chunks(int fd, const char *alias, size_t chunk, const char *what)
{
	struct sigaction sa;
	struct wf_buf o, in;
	int rc = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;	/* no SA_RESTART: a read in progress returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	wf_buf_init(&o, (size_t)-1);
	wf_buf_init(&in, (size_t)-1);
	for (;;) {
		ssize_t n;
		size_t keep = 0, len;
		if (told_to_stop)
			goto stopped;
		if (wf_buf_reserve(&in, chunk)) {
			rc = 1;
			break;
		}
		n = read(fd, in.p + in.len, chunk - in.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "flow-run: %s: %s: read error: %s\n", alias, what, strerror(errno));
			rc = 1;
			break;
		}
		if (n == 0) {
			if (in.len && emit_chunk(&o, alias, in.p, in.len) < 0)
				rc = 1;
			break;
		}
		in.len += (size_t)n;
		len = in.len;
		/* hold back a character cut by the chunk's end */
		if (!wf_utf8_valid((const unsigned char *)in.p, len)) {
			size_t back;
			for (back = 1; back <= 3 && back < len; back++)
				if (((unsigned char)in.p[len - back] & 0xc0) == 0xc0) {
					if (wf_utf8_valid((const unsigned char *)in.p, len - back))
						keep = back;
					break;
				}
		}
		if (emit_chunk(&o, alias, in.p, len - keep) < 0) {
			rc = 1;
			break;
		}
		memmove(in.p, in.p + len - keep, keep);
		in.len = keep;
	}
	if (!rc) {
		o.len = 0;
		wf_buf_adds(&o, "{\"control\":\"close\",\"origin\":[{\"source\":");
		wf_json_escape(&o, alias, strlen(alias));
		wf_buf_adds(&o, ",\"stream\":0}]}\n");
		rc = write_all(1, o.p, o.len) < 0;
	}
	wf_buf_free(&o);
	wf_buf_free(&in);
	if (rc)
		return 1;
	/* done reading; the graph stops us */
	for (;;)
		pause();
stopped:
	wf_buf_free(&o);
	wf_buf_free(&in);
	for (;;)
		pause();
}

int wf_node_file_read(struct wf_gproc *p)
{
	struct wf_node_arg *a = p->arg;
	int fd = open(a->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "flow-run: %s: cannot open %s: %s\n", a->alias, a->path, strerror(errno));
		return 1;
	}
	return read_chunks(fd, a->alias, a->chunk, a->path);
}

int wf_node_stdio_read(struct wf_gproc *p)
{
	struct wf_node_arg *a = p->arg;

	return read_chunks(0, a->alias, 65536, "stdin");
}

#define WRITE_AT (64 * 1024)	/* payloads are written in batches this large */

/* Payloads of envelopes on fd 0, written raw to out: what one read of the
 * input holds goes out in one write (not one write per event). */
static int write_payloads(struct wf_gproc *p, int out, const char *what)
{
	struct wf_node_arg *a = p->arg;
	struct wf_errsink err;
	struct wf_reader r;
	struct wf_buf pay;
	int rc = 0;

	wf_err_init(&err, "flow-run", a->alias, err_fd(p));
	wf_reader_init(&r, 0, (size_t)128 << 20);
	wf_buf_init(&pay, (size_t)-1);
	for (;;) {
		const char *line;
		size_t n;
		int k;
		ssize_t got = wf_reader_fill(&r);
		if (got < 0 && got != -EAGAIN) {
			rc = 1;
			break;
		}
		while ((k = wf_reader_next(&r, &line, &n)) != 0) {
			struct wf_event ev;
			struct wf_json_err jerr;
			size_t mark;
			int binary;
			if (k == WF_LINE_LONG || wf_env_parse(&ev, line, n, &jerr) < 0) {
				wf_err_event(&err, NULL, -1, NULL, 0, "%s: line %lu: not an envelope", what, r.lineno);
				continue;
			}
			if (ev.kind == WF_CONTROL)
				continue;
			mark = pay.len;
			if (wf_env_payload(&ev, &pay, &binary) < 0) {
				pay.len = mark;
				wf_err_event(&err, &ev, wf_env_stream(&ev), NULL, 0, "%s: bad payload", what);
				continue;
			}
			if (pay.len >= WRITE_AT) {
				if (write_all(out, pay.p, pay.len) < 0)
					goto werr;
				pay.len = 0;
			}
		}
		/* the input is drained for now: write before waiting for more */
		if (pay.len && write_all(out, pay.p, pay.len) < 0)
			goto werr;
		pay.len = 0;
		if (got == 0)
			break;
	}
	goto done;
werr:
	fprintf(stderr, "flow-run: %s: %s: write error: %s\n", a->alias, what, strerror(errno));
	rc = 1;
done:
	wf_reader_free(&r);
	wf_buf_free(&pay);
	return rc;
}

int wf_node_file_write(struct wf_gproc *p)
{
	struct wf_node_arg *a = p->arg;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC, fd, rc;

	if (!strcmp(a->mode, "append"))
		flags |= O_APPEND;
	else if (strcmp(a->mode, "overwrite"))
		flags |= O_TRUNC;	/* write, truncate */
	fd = open(a->path, flags, 0666);
	if (fd < 0) {
		fprintf(stderr, "flow-run: %s: cannot open %s: %s\n", a->alias, a->path, strerror(errno));
		return 1;
	}
	rc = write_payloads(p, fd, a->path);
	if (close(fd) < 0 && !rc) {
		fprintf(stderr, "flow-run: %s: %s: %s\n", a->alias, a->path, strerror(errno));
		rc = 1;
	}
	return rc;
}

int wf_node_raw_write(struct wf_gproc *p)
{
	return write_payloads(p, 1, "stdout");
}

/* The processors, on the filter driver. */

static int drop_empty(struct wf_filter *f, const struct wf_event *ev)
{
	const struct wf_member *m = ev->kind == WF_BYTES ? &ev->bytes : &ev->data;

	if (m->ve - m->v == 2 && m->v[0] == '"')
		return 0;	/* "" */
	return wf_filter_pass(f, ev);
}

static int b64_decode(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_buf *tmp = f->ud, *o;
	const struct wf_member *m = ev->kind == WF_BYTES ? &ev->bytes : &ev->data;
	int binary, rc;
	size_t mark;
	long n;

	tmp->len = 0;
	if ((rc = wf_env_payload(ev, tmp, &binary)) < 0)
		return rc == -EINVAL ? 0 : rc;
	o = wf_filter_begin(f, ev, m, ev->kind == WF_BYTES ? NULL : "bytes", &mark);
	if (!o || wf_buf_reserve(o, wf_b64_declen(tmp->len) + 2))
		return -ENOBUFS;
	{
		/* decode into scratch, re-encode canonically as the bytes member */
		struct wf_buf raw;
		wf_buf_init(&raw, (size_t)-1);
		wf_buf_reserve(&raw, wf_b64_declen(tmp->len) + 1);
		n = wf_b64_decode(tmp->p ? tmp->p : "", tmp->len, (unsigned char *)raw.p);
		if (n < 0) {
			wf_filter_abort(f, mark);
			wf_err_event(f->err, ev, wf_env_stream(ev), NULL, 0, "base64: payload is not base64");
			wf_buf_free(&raw);
			return 0;
		}
		wf_buf_addc(o, '"');
		wf_buf_reserve(o, wf_b64_enclen((size_t)n) + 1);
		o->len += wf_b64_encode((const unsigned char *)raw.p, (size_t)n, o->p + o->len);
		wf_buf_addc(o, '"');
		wf_buf_free(&raw);
	}
	return wf_filter_end(f, ev, m, ev->kind == WF_BYTES ? NULL : "bytes", mark);
}

static int b64_encode(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_buf *tmp = f->ud, *o;
	const struct wf_member *m = ev->kind == WF_BYTES ? &ev->bytes : &ev->data;
	int binary, rc;
	size_t mark;

	tmp->len = 0;
	if ((rc = wf_env_payload(ev, tmp, &binary)) < 0)
		return rc == -EINVAL ? 0 : rc;
	o = wf_filter_begin(f, ev, m, ev->kind == WF_BYTES ? "data" : NULL, &mark);
	if (!o || wf_buf_reserve(o, wf_b64_enclen(tmp->len) + 2))
		return -ENOBUFS;
	wf_buf_addc(o, '"');
	o->len += wf_b64_encode((const unsigned char *)(tmp->p ? tmp->p : ""), tmp->len, o->p + o->len);
	wf_buf_addc(o, '"');
	return wf_filter_end(f, ev, m, ev->kind == WF_BYTES ? "data" : NULL, mark);
}

static int run_filter(struct wf_gproc *p, wf_filter_fn *fn)
{
	struct wf_node_arg *a = p->arg;
	struct wf_errsink err;
	struct wf_buf tmp;
	struct wf_filter f = { 0 };
	char msg[256];
	int rc;

	wf_err_init(&err, "flow-run", a->alias, err_fd(p));
	wf_buf_init(&tmp, (size_t)-1);
	f.err = &err;
	f.maxline = (size_t)128 << 20;
	f.event = fn;
	f.ud = &tmp;
	rc = wf_filter_run(&f, 0, 1, msg, sizeof msg);
	if (rc)
		fprintf(stderr, "flow-run: %s: %s\n", a->alias, msg);
	wf_buf_free(&tmp);
	return rc ? 1 : 0;
}

int wf_node_remove_empty(struct wf_gproc *p) { return run_filter(p, drop_empty); }
int wf_node_base64_decode(struct wf_gproc *p) { return run_filter(p, b64_decode); }
int wf_node_base64_encode(struct wf_gproc *p) { return run_filter(p, b64_encode); }

int wf_node_pipeline(struct wf_gproc *p)
{
	struct wf_node_arg *a = p->arg;
	struct wf_pipeline_port in[32], out[32];
	struct wf_pipeline_spec spec = { 0 };
	char msg[512];
	size_t k;
	int rc;

	for (k = 0; k < p->nfds && k < 32; k++) {
		struct wf_pipeline_port *pp = p->fds[k].write ? &out[spec.nout++] : &in[spec.nin++];
		pp->name = p->fds[k].port;
		pp->fd = p->fds[k].fd;
	}
	spec.def = a->pipeline;
	spec.alias = a->alias;
	spec.args_json = a->args;
	spec.in = in;
	spec.out = out;
	rc = wf_pipeline_run(&spec, msg, sizeof msg);
	if (rc < 0)
		fprintf(stderr, "flow-run: pipeline %s: %s\n", a->alias, msg);
	return rc < 0 ? 1 : 0;
}
