/* filter_run: drive a wf_filter (lines-split, json-codec) through
 * wf_filter_run as the binaries do, with the input in a file or written into
 * a pipe one byte at a time, and the output and error reports collected. */
#ifndef WF_FILTER_RUN_H
#define WF_FILTER_RUN_H

#include "filter.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct fr_opts {
	int raw_in, raw_out;
	size_t maxline;		/* 0: WF_MAX_LINE-like default of 1 MiB */
	int err_envelopes;	/* error events as envelopes, else stderr lines */
	int by_byte;		/* input through a pipe, one byte per write */
	const char *prog;	/* stderr prefix and source; "f" by default */
};

struct fr_result {
	struct wf_buf out, err;
	int rc;
	char msg[256];
};

static void fr_slurp(int fd, struct wf_buf *into)
{
	char tmp[65536];
	ssize_t k;

	lseek(fd, 0, SEEK_SET);
	while ((k = read(fd, tmp, sizeof tmp)) > 0)
		wf_buf_add(into, tmp, (size_t)k);
}

/* Run f over in[0..n); the caller frees r with fr_free. */
static void fr_run(struct wf_filter *f, const char *in, size_t n, const struct fr_opts *o,
		   struct fr_result *r)
{
	static struct wf_errsink sink;
	const char *prog = o->prog ? o->prog : "f";
	int infd, outfd = memfd_create("out", 0), errfd = memfd_create("err", 0), saved2 = -1;
	pid_t pid = -1;

	wf_buf_init(&r->out, (size_t)-1);
	wf_buf_init(&r->err, (size_t)-1);
	r->msg[0] = 0;
	if (o->by_byte) {
		int p[2];
		if (pipe(p) < 0)
			abort();
		pid = fork();
		if (pid == 0) {
			size_t i;
			close(p[0]);
			for (i = 0; i < n; i++)
				if (write(p[1], in + i, 1) != 1)
					_exit(1);
			_exit(0);
		}
		close(p[1]);
		infd = p[0];
	} else {
		infd = memfd_create("in", 0);
		if (n && write(infd, in, n) != (ssize_t)n)
			abort();
		lseek(infd, 0, SEEK_SET);
	}
	f->err = &sink;
	wf_err_init(&sink, prog, prog, o->err_envelopes ? errfd : -1);
	if (!o->err_envelopes) {
		saved2 = dup(2);
		dup2(errfd, 2);
	}
	f->raw_in = o->raw_in;
	f->raw_out = o->raw_out;
	f->maxline = o->maxline ? o->maxline : (size_t)1 << 20;
	r->rc = wf_filter_run(f, infd, outfd, r->msg, sizeof r->msg);
	if (saved2 >= 0) {
		dup2(saved2, 2);
		close(saved2);
	}
	if (pid > 0) {
		int st;
		waitpid(pid, &st, 0);
	}
	fr_slurp(outfd, &r->out);
	fr_slurp(errfd, &r->err);
	wf_buf_addc(&r->out, 0);
	r->out.len--;
	wf_buf_addc(&r->err, 0);
	r->err.len--;
	close(infd);
	close(outfd);
	close(errfd);
}

static void fr_free(struct fr_result *r)
{
	wf_buf_free(&r->out);
	wf_buf_free(&r->err);
}

#endif
