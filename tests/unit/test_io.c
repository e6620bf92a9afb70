/* io: the bounded line reader fed one byte at a time through a socket pair,
 * and the writer on a non-blocking pipe that fills up. */
#include "unit.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the reader returned, as text: a line as "[text]", an over-long line
 * as "LONG@lineno". */
struct got {
	char s[4096];
	size_t n;
};

static void got_add(struct got *g, const char *p, size_t n)
{
	if (g->n + n < sizeof g->s) {
		memcpy(g->s + g->n, p, n);
		g->n += n;
	}
}

static void drain(struct wf_reader *r, struct got *g)
{
	const char *line;
	size_t n;
	int k;

	while ((k = wf_reader_next(r, &line, &n)) != 0) {
		char tmp[32];
		if (k == WF_LINE_LONG) {
			snprintf(tmp, sizeof tmp, "LONG@%lu", r->lineno);
			got_add(g, tmp, strlen(tmp));
			continue;
		}
		CHECK(k == 1);
		got_add(g, "[", 1);
		got_add(g, line, n);
		snprintf(tmp, sizeof tmp, "]@%lu", r->lineno);
		got_add(g, tmp, strlen(tmp));
	}
}

/* Feed in[0..n) through a socket pair in pieces of `step` bytes, draining
 * the reader after each; then EOF. */
static void feed(const char *in, size_t n, size_t step, size_t maxline, struct got *g)
{
	struct wf_reader r;
	int sv[2];
	size_t at;

	g->n = 0;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	wf_reader_init(&r, sv[0], maxline);
	for (at = 0; at < n; at += step) {
		size_t k = n - at < step ? n - at : step;
		ssize_t got;
		CHECK(write(sv[1], in + at, k) == (ssize_t)k);
		/* a stream socket may hand a piece over in parts */
		for (got = 0; got < (ssize_t)k;) {
			ssize_t x = wf_reader_fill(&r);
			CHECK(x > 0);
			if (x <= 0)
				break;
			got += x;
		}
		drain(&r, g);
	}
	shutdown(sv[1], SHUT_WR);
	CHECK(wf_reader_fill(&r) == 0);
	CHECK(r.eof);
	drain(&r, g);
	/* EOF stays EOF */
	CHECK(wf_reader_fill(&r) == 0);
	drain(&r, g);
	got_add(g, "", 1);
	wf_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

/* The same input one byte at a time and all at once gives want. */
#define CHECK_READ(in, maxline, want) do { \
	struct got g_; size_t steps_[] = { 1, 2, 3, 7, 4096 }; size_t i_; \
	for (i_ = 0; i_ < sizeof steps_ / sizeof steps_[0]; i_++) { \
		feed((in), strlen(in), steps_[i_], (maxline), &g_); \
		CHECK(!strcmp(g_.s, (want))); \
		if (strcmp(g_.s, (want))) \
			fprintf(stderr, "  step %zu: got %s\n", steps_[i_], g_.s); \
	} \
} while (0)

static void reader(void)
{
	CHECK_READ("", 100, "");
	CHECK_READ("a\n", 100, "[a]@1");
	CHECK_READ("a\nbc\n", 100, "[a]@1[bc]@2");
	/* the last line, unterminated, at EOF */
	CHECK_READ("a\nlast", 100, "[a]@1[last]@2");
	CHECK_READ("x", 100, "[x]@1");
	/* empty lines are lines; \r stays */
	CHECK_READ("\n\n", 100, "[]@1[]@2");
	CHECK_READ("a\r\n\nb", 100, "[a\r]@1[]@2[b]@3");
	/* exactly at the bound, and one over: reported once, then the next line */
	CHECK_READ("12345678\n", 8, "[12345678]@1");
	CHECK_READ("123456789\nok\n", 8, "LONG@1[ok]@2");
	CHECK_READ("a\n0123456789abcdefghijklmnopqrstuvwxyz\nb\nc", 8, "[a]@1LONG@2[b]@3[c]@4");
	CHECK_READ("0123456789abcdefghij\n0123456789abcdefghij\nb\n", 8, "LONG@1LONG@2[b]@3");
	/* an over-long last line without a newline */
	CHECK_READ("a\n0123456789abcdefghij", 8, "[a]@1LONG@2");
	CHECK_READ("123456789", 8, "LONG@1");
	CHECK_READ("12345678", 8, "[12345678]@1");
	/* an over-long line ending right at EOF's newline */
	CHECK_READ("0123456789\n", 8, "LONG@1");
	/* a bound of one byte */
	CHECK_READ("a\nbb\n\nc", 1, "[a]@1LONG@2[]@3[c]@4");
}

/* Lines far longer than one read, and many of them. */
static void reader_big(void)
{
	struct wf_reader r;
	int p[2];
	size_t total = 0, lines = 0, longs = 0;
	char *big = malloc(600000);
	pid_t pid;
	const char *line;
	size_t n;
	int k;

	memset(big, 'x', 600000);
	big[599999] = '\n';
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		int i;
		close(p[0]);
		for (i = 0; i < 3; i++) {
			if (write(p[1], "short\n", 6) != 6 || write(p[1], big, 600000) != 600000)
				_exit(1);
		}
		_exit(write(p[1], "end", 3) == 3 ? 0 : 1);
	}
	close(p[1]);
	wf_reader_init(&r, p[0], 100000);
	for (;;) {
		ssize_t got = wf_reader_fill(&r);
		CHECK(got >= 0);
		while ((k = wf_reader_next(&r, &line, &n)) != 0) {
			if (k == WF_LINE_LONG) {
				longs++;
				continue;
			}
			lines++;
			total += n;
			CHECK(n == 5 || n == 3);
		}
		/* the reader's memory stays within its bound */
		CHECK(r.buf.cap <= r.buf.max);
		if (got <= 0)
			break;
	}
	CHECK(lines == 4 && longs == 3 && total == 18);
	{
		int st;
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	wf_reader_free(&r);
	close(p[0]);
	free(big);
}

/* A long line after a consumed one: the reader makes room by moving the
 * unconsumed rest, however the reads fall. */
static void reader_room(void)
{
	struct wf_reader r;
	int fd = memfd_create("in", 0);
	char *a = malloc(500001);
	const char *line;
	size_t n, lens[3], k = 0;
	ssize_t got;
	int rc;

	memset(a, 'a', 500000);
	a[500000] = '\n';
	CHECK(write(fd, a, 100000) == 100000);
	CHECK(write(fd, "\n", 1) == 1);
	CHECK(write(fd, a, 500001) == 500001);
	CHECK(write(fd, "end\n", 4) == 4);
	lseek(fd, 0, SEEK_SET);
	wf_reader_init(&r, fd, 500000);
	do {
		got = wf_reader_fill(&r);
		CHECK(got >= 0);
		while ((rc = wf_reader_next(&r, &line, &n)) != 0) {
			CHECK(rc == 1);
			if (rc == 1 && k < 3)
				lens[k++] = n;
		}
	} while (got > 0);
	CHECK(k == 3 && lens[0] == 100000 && lens[1] == 500000 && lens[2] == 3);
	wf_reader_free(&r);
	close(fd);
	free(a);
}

static void reader_nonblocking(void)
{
	struct wf_reader r;
	int p[2];
	const char *line;
	size_t n;

	CHECK(pipe2(p, O_NONBLOCK) == 0);
	wf_reader_init(&r, p[0], 100);
	CHECK(wf_reader_fill(&r) == -EAGAIN);
	CHECK(!r.eof);
	CHECK(write(p[1], "ab", 2) == 2);
	CHECK(wf_reader_fill(&r) == 2);
	CHECK(wf_reader_next(&r, &line, &n) == 0);
	CHECK(wf_reader_fill(&r) == -EAGAIN);
	CHECK(write(p[1], "c\n", 2) == 2);
	CHECK(wf_reader_fill(&r) == 2);
	CHECK(wf_reader_next(&r, &line, &n) == 1);
	CHECK_MEM(line, n, "abc");
	close(p[1]);
	CHECK(wf_reader_fill(&r) == 0 && r.eof);
	CHECK(wf_reader_next(&r, &line, &n) == 0);
	wf_reader_free(&r);
	close(p[0]);
	/* a read error */
	wf_reader_init(&r, -1, 100);
	CHECK(wf_reader_fill(&r) == -EBADF);
	wf_reader_free(&r);
}

/* Read everything the pipe holds now. */
static size_t slurp(int fd, struct wf_buf *into)
{
	char tmp[65536];
	size_t total = 0;
	ssize_t k;

	while ((k = read(fd, tmp, sizeof tmp)) > 0) {
		wf_buf_add(into, tmp, (size_t)k);
		total += (size_t)k;
	}
	return total;
}

static void writer(void)
{
	struct wf_writer w;
	struct wf_buf got;
	int p[2], rc, rounds = 0, i;
	size_t want = 0;

	/* more than a pipe holds: partial writes, the tail kept, order kept */
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	wf_writer_init(&w, p[1], (size_t)-1);
	wf_buf_init(&got, (size_t)-1);
	for (i = 0; i < 100000; i++)
		wf_buf_addf(&w.buf, "line %d\n", i);
	want = w.buf.len;
	rc = wf_writer_flush(&w);
	CHECK(rc == 1);
	CHECK(wf_writer_pending(&w) > 0 && wf_writer_pending(&w) < want);
	/* flushing a full pipe again writes nothing and says wait */
	{
		size_t before = wf_writer_pending(&w);
		CHECK(wf_writer_flush(&w) == 1);
		CHECK(wf_writer_pending(&w) == before);
	}
	while (rc == 1 && rounds++ < 10000) {
		slurp(p[0], &got);
		/* more is added while the tail waits */
		if (rounds == 3) {
			wf_buf_adds(&w.buf, "added\n");
			want += 6;
		}
		rc = wf_writer_flush(&w);
	}
	CHECK(rc == 0);
	CHECK(wf_writer_pending(&w) == 0);
	slurp(p[0], &got);
	CHECK(got.len == want);
	{
		/* the bytes arrived in order, the late addition last */
		struct wf_buf exp;
		wf_buf_init(&exp, (size_t)-1);
		for (i = 0; i < 100000; i++)
			wf_buf_addf(&exp, "line %d\n", i);
		wf_buf_adds(&exp, "added\n");
		CHECK(got.len == exp.len && !memcmp(got.p, exp.p, exp.len));
		wf_buf_free(&exp);
	}
	wf_buf_free(&got);
	wf_writer_free(&w);
	close(p[0]);
	close(p[1]);
}

static void writer_order(void)
{
	struct wf_writer w;
	struct wf_buf got, exp;
	int p[2], rc, i, n = 0;

	/* one byte of room at a time: the reader takes a little, the writer
	 * goes on where it stopped */
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	wf_writer_init(&w, p[1], (size_t)-1);
	wf_buf_init(&got, (size_t)-1);
	wf_buf_init(&exp, (size_t)-1);
	for (i = 0; i < 50000; i++) {
		wf_buf_addf(&w.buf, "%d,", i);
		wf_buf_addf(&exp, "%d,", i);
	}
	while ((rc = wf_writer_flush(&w)) == 1 && n++ < 100000) {
		char tmp[777];
		ssize_t k = read(p[0], tmp, sizeof tmp);
		if (k > 0)
			wf_buf_add(&got, tmp, (size_t)k);
	}
	CHECK(rc == 0);
	slurp(p[0], &got);
	CHECK(got.len == exp.len && !memcmp(got.p, exp.p, exp.len));
	/* the buffer is reused afterwards */
	wf_buf_adds(&w.buf, "more");
	CHECK(wf_writer_flush(&w) == 0);
	got.len = 0;
	slurp(p[0], &got);
	CHECK_MEM(got.p, got.len, "more");
	wf_buf_free(&got);
	wf_buf_free(&exp);
	wf_writer_free(&w);
	close(p[0]);
	close(p[1]);
}

static void writer_errors(void)
{
	struct wf_writer w;
	int p[2], fd;

	/* a reader that went away: EPIPE, and it sticks */
	CHECK(pipe(p) == 0);
	close(p[0]);
	wf_writer_init(&w, p[1], (size_t)-1);
	wf_buf_adds(&w.buf, "x\n");
	CHECK(wf_writer_flush(&w) == -EPIPE);
	CHECK(w.err == -EPIPE);
	CHECK(wf_writer_flush(&w) == -EPIPE);
	wf_writer_free(&w);
	close(p[1]);
	/* a full disk */
	fd = open("/dev/full", O_WRONLY);
	CHECK(fd >= 0);
	wf_writer_init(&w, fd, (size_t)-1);
	wf_buf_adds(&w.buf, "x\n");
	CHECK(wf_writer_flush(&w) == -ENOSPC);
	CHECK(wf_writer_flush(&w) == -ENOSPC);
	wf_writer_free(&w);
	close(fd);
	/* nothing to write is no error */
	wf_writer_init(&w, -1, 10);
	CHECK(wf_writer_flush(&w) == 0);
	wf_buf_adds(&w.buf, "x");
	CHECK(wf_writer_flush(&w) == -EBADF);
	wf_writer_free(&w);
}

static void nonblock_dup(void)
{
	int p[2], fd, nfd;
	char c;

	CHECK(pipe(p) == 0);
	nfd = wf_nonblock_dup(p[0], 0);
	CHECK(nfd != p[0] && nfd >= 0);
	CHECK(fcntl(nfd, F_GETFL) & O_NONBLOCK);
	CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	CHECK(read(nfd, &c, 1) == -1 && errno == EAGAIN);
	CHECK(write(p[1], "z", 1) == 1);
	CHECK(read(nfd, &c, 1) == 1 && c == 'z');
	close(nfd);
	nfd = wf_nonblock_dup(p[1], 1);
	CHECK(nfd != p[1] && (fcntl(nfd, F_GETFL) & O_NONBLOCK));
	CHECK(!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
	close(nfd);
	close(p[0]);
	close(p[1]);
	/* not a pipe: the fd itself */
	fd = open("/dev/null", O_RDONLY);
	CHECK(wf_nonblock_dup(fd, 0) == fd);
	close(fd);
	/* already non-blocking: itself */
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	CHECK(wf_nonblock_dup(p[0], 0) == p[0]);
	close(p[0]);
	close(p[1]);
}

static void io_start(void)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		int closed, lowest = open("/dev/null", O_RDONLY);
		close(lowest);
		close(1);
		close(2);
		closed = wf_io_start();
		/* 1 and 2 are open again (on /dev/null); SIGPIPE is ignored */
		if (closed != 6 || fcntl(1, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0)
			_exit(1);
		if (write(1, "x", 1) != 1)
			_exit(2);
		{
			int p[2];
			if (pipe(p) || close(p[0]) || write(p[1], "x", 1) != -1 || errno != EPIPE)
				_exit(3);
		}
		/* nothing leaked above 2 */
		_exit(open("/dev/null", O_RDONLY) == lowest ? 0 : 4);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "  child status %d\n", st);
}

/* wf_io_max_files: the soft limit goes up to the hard one (in a child, whose
 * limits are its own) */
static void max_files(void)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl))
			_exit(1);
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 64)
			_exit(0);	/* nothing to show */
		rl.rlim_cur = 32;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		if (wf_io_max_files() != (rl.rlim_max == RLIM_INFINITY ? 1LL << 40 : (long long)rl.rlim_max))
			_exit(3);
		if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != rl.rlim_max)
			_exit(4);
		/* at the hard limit already: unchanged */
		_exit(wf_io_max_files() == (rl.rlim_max == RLIM_INFINITY ? 1LL << 40 : (long long)rl.rlim_max) ? 0 : 5);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "  child status %d\n", st);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	reader();
	reader_big();
	reader_room();
	reader_nonblocking();
	writer();
	writer_order();
	writer_errors();
	nonblock_dup();
	io_start();
	max_files();
	return unit_done();
}
