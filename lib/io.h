/* io: the streaming line reader and the buffered writer every binary uses.
 *
 * The reader is bounded: a line longer than its maximum is reported once
 * (WF_LINE_LONG) and skipped up to the next newline, so one bad line never
 * costs the ones after it. The writer keeps the unwritten tail of a partial
 * write; on a non-blocking fd it reports that the rest must wait for POLLOUT. */
#ifndef WF_IO_H
#define WF_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

#define WF_LINE_LONG (-2)

struct wf_reader {
	int fd;
	struct wf_buf buf;
	size_t start;		/* first unconsumed byte */
	size_t scan;		/* bytes from start known to hold no '\n' */
	size_t maxline;
	unsigned long lineno;	/* number of the line last returned */
	int eof;
	int skipping;		/* inside an over-long line */
};

void wf_reader_init(struct wf_reader *r, int fd, size_t maxline);
void wf_reader_free(struct wf_reader *r);
/* One read(): bytes read, 0 at EOF (r->eof set), or a negative errno
 * (-EAGAIN when nothing is there yet). */
ssize_t wf_reader_fill(struct wf_reader *r);
/* The next complete line (without '\n'; at EOF the unterminated rest):
 * 1, 0 when more input is needed, or WF_LINE_LONG once per over-long line. */
int wf_reader_next(struct wf_reader *r, const char **line, size_t *len);

struct wf_writer {
	int fd;
	struct wf_buf buf;
	size_t off;		/* bytes of buf already written */
	int err;		/* first write error (negative errno), sticky */
};

void wf_writer_init(struct wf_writer *w, int fd, size_t max);
void wf_writer_free(struct wf_writer *w);
/* Write what is buffered: 0 when all is out, 1 when the fd would block
 * (the rest stays buffered), or the sticky negative errno. */
int wf_writer_flush(struct wf_writer *w);
static inline size_t wf_writer_pending(const struct wf_writer *w) { return w->buf.len - w->off; }

/* For a pipe or fifo shared with the shell, a second descriptor of the same
 * pipe opened O_NONBLOCK (the shell's stays as it was); fd itself otherwise. */
int wf_nonblock_dup(int fd, int for_write);

/* Make sure fds 0-2 are open (opened on /dev/null otherwise), ignore SIGPIPE.
 * Returns a mask of the fds that were closed (bit n for fd n). */
int wf_io_start(void);

/* Raise the soft limit of open descriptors (RLIMIT_NOFILE) to the hard
 * limit, for a process with many connections: the soft limit now in force
 * (unchanged when it cannot be raised), or -1. */
long long wf_io_max_files(void);

#endif
