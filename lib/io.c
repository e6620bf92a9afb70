#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)

void wf_reader_init(struct wf_reader *r, int fd, size_t maxline)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->maxline = maxline;
	wf_buf_init(&r->buf, maxline + READ_CHUNK + 1);
}

void wf_reader_free(struct wf_reader *r)
{
	wf_buf_free(&r->buf);
}

ssize_t wf_reader_fill(struct wf_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	/* make room: drop consumed bytes once they are most of the buffer, or
	 * when a whole chunk would not fit behind them */
	if (r->start && (r->start >= r->buf.len || r->start > r->buf.cap / 2 ||
			 r->buf.max - r->buf.len < READ_CHUNK)) {
		wf_buf_consume(&r->buf, r->start);
		r->start = 0;
	}
	if (wf_buf_reserve(&r->buf, READ_CHUNK)) {
		/* cannot happen within maxline + chunk; read less rather than fail */
		if (r->buf.cap == r->buf.len)
			return -ENOBUFS;
	}
	do
		n = read(r->fd, r->buf.p + r->buf.len, r->buf.cap - r->buf.len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = 1;
	r->buf.len += (size_t)n;
	return n;
}

int wf_reader_next(struct wf_reader *r, const char **line, size_t *len)
{
	for (;;) {
		char *s = r->buf.p + r->start;
		size_t avail = r->buf.len - r->start;
		char *nl = avail > r->scan ? memchr(s + r->scan, '\n', avail - r->scan) : NULL;

		if (r->skipping) {
			if (!nl) {
				r->start = r->buf.len;
				r->scan = 0;
				if (r->eof)
					r->skipping = 0;
				return 0;
			}
			r->start += (size_t)(nl - s) + 1;
			r->scan = 0;
			r->skipping = 0;
			continue;
		}
		if (nl) {
			size_t n = (size_t)(nl - s);
			r->lineno++;
			r->start += n + 1;
			r->scan = 0;
			if (n > r->maxline)
				return WF_LINE_LONG;
			*line = s;
			*len = n;
			return 1;
		}
		r->scan = avail;
		if (avail > r->maxline) {
			r->lineno++;
			r->skipping = 1;
			r->start = r->buf.len;
			r->scan = 0;
			return WF_LINE_LONG;
		}
		if (r->eof && avail) {
			r->lineno++;
			r->start = r->buf.len;
			r->scan = 0;
			*line = s;
			*len = avail;
			return 1;
		}
		return 0;
	}
}

void wf_writer_init(struct wf_writer *w, int fd, size_t max)
{
	w->fd = fd;
	w->off = 0;
	w->err = 0;
	wf_buf_init(&w->buf, max);
}

void wf_writer_free(struct wf_writer *w)
{
	wf_buf_free(&w->buf);
}

int wf_writer_flush(struct wf_writer *w)
{
	if (w->err)
		return w->err;
	while (w->off < w->buf.len) {
		ssize_t n = write(w->fd, w->buf.p + w->off, w->buf.len - w->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				goto partial;
			w->err = -errno;
			return w->err;
		}
		w->off += (size_t)n;
	}
	w->buf.len = w->off = 0;
	return 0;
partial:
	if (w->off > w->buf.len / 2) {
		wf_buf_consume(&w->buf, w->off);
		w->off = 0;
	}
	return 1;
}

int wf_nonblock_dup(int fd, int for_write)
{
	struct stat st;
	char path[64];
	int nfd, fl;

	if (fstat(fd, &st) < 0)
		return fd;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return fd;
	if (!S_ISFIFO(st.st_mode))
		return fd;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	nfd = open(path, (for_write ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	return nfd < 0 ? fd : nfd;
}

int wf_io_start(void)
{
	int fd, closed = 0;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			closed |= 1 << fd;
	/* an fd 0-2 that is closed would be taken by the first socket */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
	return closed;
}

long long wf_io_max_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur != rl.rlim_max) {
		rlim_t cur = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = cur;
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)1 << 40 ? (long long)1 << 40
									    : (long long)rl.rlim_cur;
}
