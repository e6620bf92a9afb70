/* run: flow-run's side of a running graph. It forks every process, and is
 * itself the hub: it copies whole lines from fan-in/fan-out wires, reads
 * exit connectors' input, reaps children and stops the graph. */
#include "envelope.h"
#include "graph.h"
#include "io.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/ioctl.h>

#define HUB_HIGH (1u << 20)	/* a destination this far behind pauses its sources */
#define DRAIN_QUIET_MS 60	/* pipes empty, processes idle this long: drained */
#define DRAIN_MAX_MS 3000
#define PIPE_BYTES (256 << 10)	/* each wire's pipe: fewer, larger batches per wake-up */
#define KILL_AFTER_MS 5000

struct hubwire {
	struct wf_reader r;	/* hub_reads */
	struct wf_writer w;	/* hub_writes */
	int nsources;		/* hub_writes: source wires still open */
	int open;
	int paused;
};

struct runner {
	struct wf_graph *g;
	const struct wf_graph_opts *o;
	struct wf_loop *loop;
	struct hubwire *hw;
	int stopping;		/* 0 running, 1 draining, 2 connectors told, 3 killing */
	int status;
	char *msg;
	size_t msglen;
	int exit_fired;
	int exit_graceful;
	struct wf_timer exit_timer, drain_timer, kill_timer;
	int64_t drain_start, quiet_since;
	size_t alive;
	int *watch;		/* read ends flow-run keeps to see whether pipes are empty */
};

static void begin_stop(struct runner *r);
enum { READERS, SOURCES, EVERYONE };
static void signal_procs(struct runner *r, int who, int sig);

static void child_setup(struct wf_graph *g, struct wf_gproc *p)
{
	sigset_t none;
	int i, maxfd = 3;
	size_t k;
	int *src;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* the terminal's ^C is flow-run's to handle */
	if (!p->argv)
		signal(SIGUSR1, SIG_IGN);	/* until a reader's body handles it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* move every fd it keeps above the targets, then into place */
	src = calloc(p->nfds ? p->nfds : 1, sizeof *src);
	for (k = 0; k < p->nfds; k++) {
		const struct wf_gfd *f = &p->fds[k];
		int from;
		if (f->fd > maxfd)
			maxfd = f->fd;
		if (f->wire == -2)
			from = f->fd;	/* inherited */
		else if (f->wire < 0)
			from = open("/dev/null", f->write ? O_WRONLY : O_RDONLY);
		else
			from = f->write ? g->wires[f->wire].wfd : g->wires[f->wire].rfd;
		src[k] = fcntl(from, F_DUPFD_CLOEXEC, 64);
	}
	for (k = 0; k < p->nfds; k++)
		dup2(src[k], p->fds[k].fd);
	free(src);
	/* fds 0 and 1 not given: /dev/null */
	for (i = 0; i <= 1; i++) {
		int used = 0;
		for (k = 0; k < p->nfds; k++)
			if (p->fds[k].fd == i)
				used = 1;
		if (!used) {
			int fd = open("/dev/null", i ? O_WRONLY : O_RDONLY);
			dup2(fd, i);
			if (fd != i)
				close(fd);
		}
	}
	/* everything else closes: a forked body must not hold other
	 * processes' pipe ends open (exec would close the CLOEXEC ones) */
	for (i = 3; i <= maxfd; i++) {
		int keep = 0;
		for (k = 0; k < p->nfds; k++)
			if (p->fds[k].fd == i)
				keep = 1;
		if (!keep)
			close(i);
	}
	close_range((unsigned)maxfd + 1, ~0u, 0);
}

static void exec_proc(struct wf_graph *g, struct wf_gproc *p)
{
	char path[4096];

	if (g->bindir) {
		snprintf(path, sizeof path, "%s/%s", g->bindir, p->argv[0]);
		if (access(path, X_OK) == 0)
			execv(path, p->argv);
	}
	execvp(p->argv[0], p->argv);
	fprintf(stderr, "flow-run: %s: cannot run %s: %s\n", p->node, p->argv[0], strerror(errno));
	_exit(127);
}

static int start(struct runner *r)
{
	struct wf_graph *g = r->g;
	size_t i;

	for (i = 0; i < g->nwires; i++) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0) {
			snprintf(r->msg, r->msglen, "pipe: %s", strerror(errno));
			return -1;
		}
		fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);	/* a hint: the default (64 KiB) if refused */
		g->wires[i].rfd = fds[0];
		g->wires[i].wfd = fds[1];
	}
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < g->nprocs; i++) {
		struct wf_gproc *p = &g->procs[i];
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(r->msg, r->msglen, "fork: %s", strerror(errno));
			return -1;
		}
		if (pid == 0) {
			child_setup(g, p);
			if (p->argv)
				exec_proc(g, p);
			_exit(p->fn(p) ? 1 : 0);
		}
		p->pid = pid;
		r->alive++;
	}
	/* flow-run keeps only the hub's ends; read ends stay watched (FIONREAD)
	 * to see when the graph is drained */
	r->watch = calloc(g->nwires ? g->nwires : 1, sizeof *r->watch);
	for (i = 0; i < g->nwires; i++) {
		struct wf_gwire *w = &g->wires[i];
		r->watch[i] = -1;
		if (!w->hub_reads) {
			r->watch[i] = w->rfd;	/* kept: the drain check reads its level */
			w->rfd = -1;
		}
		if (!w->hub_writes) {
			close(w->wfd);
			w->wfd = -1;
		}
	}
	return 0;
}

static void hub_pause_check(struct runner *r, int wi);

static void on_hub_write(struct wf_loop *l, int fd, int events, void *ud);

static void dest_add(struct runner *r, int d, const char *line, size_t n)
{
	struct hubwire *h = &r->hw[d];

	if (!h->open)
		return;
	wf_buf_add(&h->w.buf, line, n);
	wf_buf_addc(&h->w.buf, '\n');
}

static void dest_flush(struct runner *r, int d)
{
	struct hubwire *h = &r->hw[d];
	int rc;

	if (!h->open)
		return;
	rc = wf_writer_flush(&h->w);
	if (rc < 0) {
		/* the reader went away: its process is gone, reported by its exit */
		wf_loop_del_fd(r->loop, h->w.fd);
		close(h->w.fd);
		h->open = 0;
		return;
	}
	wf_loop_set_mask(r->loop, h->w.fd, rc == 1 ? WF_WRITE : 0);
	if (!rc && !h->nsources && r->g->wires[d].hub_writes) {
		/* every source is done: pass the EOF on */
		wf_loop_del_fd(r->loop, h->w.fd);
		close(h->w.fd);
		h->open = 0;
	}
}

/* Tremor's exit connector: the event's `delay` (ns) if it has one, else
 * the configured delay. */
static long long exit_delay(const struct wf_event *ev, long long dflt)
{
	const char *v, *ve;
	long long d;

	if (ev->kind == WF_DATA && *ev->data.v == '{' && wf_json_get(ev->data.v, ev->data.ve, "delay", &v, &ve) &&
	    wf_json_int(v, ve, &d) && d >= 0)
		return d;
	return dflt;
}

/* The event's `graceful` if it is a boolean, else the configured one. */
static int exit_graceful(const struct wf_event *ev, int dflt)
{
	const char *v, *ve;

	if (ev->kind == WF_DATA && *ev->data.v == '{' && wf_json_get(ev->data.v, ev->data.ve, "graceful", &v, &ve)) {
		if (ve - v == 4 && !memcmp(v, "true", 4))
			return 1;
		if (ve - v == 5 && !memcmp(v, "false", 5))
			return 0;
	}
	return dflt;
}

static void on_exit_timer(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct runner *r = ud;

	(void)t;
	begin_stop(r);
	if (!r->exit_graceful && r->stopping == 1) {
		/* forceful: no drain, every process is told at once */
		r->stopping = 2;
		signal_procs(r, EVERYONE, SIGTERM);
		wf_timer_start(l, &r->kill_timer, KILL_AFTER_MS);
	}
}

static void on_hub_read(struct wf_loop *l, int fd, int events, void *ud)
{
	struct runner *r = ud;
	struct wf_gwire *w = NULL;
	struct hubwire *h = NULL;
	const char *line;
	size_t n, k;
	ssize_t got;
	int wi = -1, rc;
	struct wf_event ev;
	struct wf_json_err jerr;

	(void)events;
	for (k = 0; k < r->g->nwires; k++)
		if (r->g->wires[k].hub_reads && r->g->wires[k].rfd == fd) {
			wi = (int)k;
			break;
		}
	if (wi < 0)
		return;
	w = &r->g->wires[wi];
	h = &r->hw[wi];
	got = wf_reader_fill(&h->r);
	while ((rc = wf_reader_next(&h->r, &line, &n)) != 0) {
		if (rc == WF_LINE_LONG)
			continue;
		if (w->exit_port == 1 && !r->exit_fired && wf_env_parse(&ev, line, n, &jerr) == 0 &&
		    ev.kind != WF_CONTROL) {
			long long ns = exit_delay(&ev, w->exit_delay_ns);
			r->exit_fired = 1;
			r->exit_graceful = exit_graceful(&ev, w->exit_graceful);
			if (r->o && r->o->verbose)
				fprintf(stderr, "flow-run: exit connector: stopping in %lld ms\n", ns / 1000000);
			wf_timer_start(l, &r->exit_timer, ns / 1000000);
		}
		if (w->exit_port == -1)
			fprintf(stderr, "flow-run: %s: %.*s\n", w->label, (int)n, line);
		for (k = 0; k < w->ndests; k++)
			dest_add(r, w->dests[k], line, n);
	}
	for (k = 0; k < w->ndests; k++)
		dest_flush(r, w->dests[k]);
	if (got == 0 || (got < 0 && got != -EAGAIN)) {
		wf_loop_del_fd(l, fd);
		close(fd);
		w->rfd = -1;
		for (k = 0; k < w->ndests; k++) {
			r->hw[w->dests[k]].nsources--;
			dest_flush(r, w->dests[k]);
		}
		return;
	}
	hub_pause_check(r, wi);
}

/* Stop reading a source while one of its destinations is far behind. */
static void hub_pause_check(struct runner *r, int wi)
{
	struct wf_gwire *w = &r->g->wires[wi];
	size_t k;
	int full = 0;

	if (w->rfd < 0)
		return;
	for (k = 0; k < w->ndests; k++)
		if (r->hw[w->dests[k]].open && wf_writer_pending(&r->hw[w->dests[k]].w) > HUB_HIGH)
			full = 1;
	r->hw[wi].paused = full;
	wf_loop_set_mask(r->loop, w->rfd, full ? 0 : WF_READ);
}

static void on_hub_write(struct wf_loop *l, int fd, int events, void *ud)
{
	struct runner *r = ud;
	size_t k;

	(void)l;
	(void)events;
	for (k = 0; k < r->g->nwires; k++)
		if (r->g->wires[k].hub_writes && r->hw[k].open && r->hw[k].w.fd == fd) {
			dest_flush(r, (int)k);
			break;
		}
	for (k = 0; k < r->g->nwires; k++)
		if (r->g->wires[k].hub_reads && r->hw[k].paused)
			hub_pause_check(r, (int)k);
}

/* READERS: the file and stdin readers (they stop reading, their output
 * stays open); SOURCES: the readers and the network connectors (EOF then
 * flows down to the sinks); EVERYONE: a forceful stop. */
static void signal_procs(struct runner *r, int who, int sig)
{
	size_t i;

	for (i = 0; i < r->g->nprocs; i++) {
		struct wf_gproc *p = &r->g->procs[i];
		if (p->pid <= 0 || p->exited)
			continue;
		if (who == EVERYONE || (p->source && (who == SOURCES || !p->argv)))
			kill(p->pid, sig);
	}
}

static int pipes_empty(struct runner *r)
{
	size_t i;

	for (i = 0; i < r->g->nwires; i++) {
		int n = 0;
		if (r->watch[i] >= 0 && ioctl(r->watch[i], FIONREAD, &n) == 0 && n > 0)
			return 0;
		if (r->g->wires[i].hub_writes && r->hw[i].open && wf_writer_pending(&r->hw[i].w))
			return 0;
	}
	return 1;
}

/* Data the pipes do not show (in a socket, a TLS record, a process's own
 * buffers) shows as work: a process that is runnable, or that has used CPU
 * since the last look, is busy. From /proc; without it, nobody is. */
static int processes_idle(struct runner *r)
{
	int idle = 1;
	size_t i;

	for (i = 0; i < r->g->nprocs; i++) {
		struct wf_gproc *p = &r->g->procs[i];
		char path[64], buf[1024], *c;
		unsigned long long ut, st;
		char state;
		ssize_t n;
		int fd;

		if (p->pid <= 0 || p->exited)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", p->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		/* pid (comm) state ppid pgrp session tty tpgid flags minflt
		 * cminflt majflt cmajflt utime stime */
		c = strrchr(buf, ')');
		if (!c || sscanf(c + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ut, &st) != 3)
			continue;
		if (state == 'R' || ut + st != p->cpu)
			idle = 0;
		p->cpu = ut + st;
	}
	return idle;
}

static void on_kill_timer(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct runner *r = ud;
	size_t i;

	(void)l;
	(void)t;
	r->stopping = 3;
	for (i = 0; i < r->g->nprocs; i++)
		if (r->g->procs[i].pid > 0 && !r->g->procs[i].exited) {
			fprintf(stderr, "flow-run: %s did not stop: killed\n", r->g->procs[i].name);
			kill(r->g->procs[i].pid, SIGKILL);
		}
}

/* Draining: readers of files and stdin are stopped; once every pipe has
 * been empty and every process idle a while (or the drain takes too long)
 * the network connectors are told to stop, and EOF flows down to the sinks. */
static void on_drain_timer(struct wf_loop *l, struct wf_timer *t, void *ud)
{
	struct runner *r = ud;
	int64_t now = wf_now_ms();
	size_t i;

	if (r->stopping != 1)
		return;
	if (!processes_idle(r) || !pipes_empty(r))
		r->quiet_since = now;
	if (now - r->quiet_since >= DRAIN_QUIET_MS || now - r->drain_start >= DRAIN_MAX_MS) {
		r->stopping = 2;
		signal_procs(r, SOURCES, SIGTERM);
		/* idle inputs and hub writers with no source: EOF now */
		for (i = 0; i < r->g->nwires; i++)
			if (r->g->wires[i].hub_writes && r->hw[i].open && !r->hw[i].nsources)
				dest_flush(r, (int)i);
		wf_timer_start(l, &r->kill_timer, KILL_AFTER_MS);
		return;
	}
	wf_timer_start(l, t, 20);
}

static void begin_stop(struct runner *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	r->drain_start = r->quiet_since = wf_now_ms();
	signal_procs(r, READERS, SIGUSR1);
	wf_timer_start(r->loop, &r->drain_timer, 20);
}

static void on_signal(struct wf_loop *l, int signo, int events, void *ud)
{
	struct runner *r = ud;

	(void)l;
	(void)events;
	if (r->stopping && signo == SIGINT) {
		/* a second ^C: do not wait */
		on_kill_timer(l, &r->kill_timer, r);
		return;
	}
	begin_stop(r);
}

static void on_child(struct wf_loop *l, int signo, int events, void *ud)
{
	struct runner *r = ud;
	int st;
	pid_t pid;

	(void)signo;
	(void)events;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		size_t i;
		for (i = 0; i < r->g->nprocs; i++) {
			struct wf_gproc *p = &r->g->procs[i];
			if (p->pid != pid)
				continue;
			p->exited = 1;
			p->status = st;
			r->alive--;
			/* while stopping, the signals are ours; an exit status is not */
			if ((WIFSIGNALED(st) && !r->stopping) || (WIFEXITED(st) && WEXITSTATUS(st))) {
				r->status = 1;
				if (WIFSIGNALED(st))
					fprintf(stderr, "flow-run: %s: killed by signal %d%s\n", p->name, WTERMSIG(st),
						r->stopping ? "" : "; stopping the flow");
				else
					fprintf(stderr, "flow-run: %s: exited with status %d%s\n", p->name,
						WEXITSTATUS(st), r->stopping ? "" : "; stopping the flow");
				begin_stop(r);
			} else if (r->o && r->o->verbose) {
				fprintf(stderr, "flow-run: %s finished\n", p->name);
			}
			break;
		}
	}
	if (!r->alive)
		wf_loop_stop(l);
}

int wf_graph_run(struct wf_graph *g, const struct wf_graph_opts *o, char *msg, size_t n)
{
	struct runner r;
	size_t i;
	int rc;

	memset(&r, 0, sizeof r);
	r.g = g;
	r.o = o;
	r.msg = msg;
	r.msglen = n;
	r.loop = wf_loop_new();
	if (!r.loop) {
		snprintf(msg, n, "out of memory");
		return 1;
	}
	/* signals first: a child that dies at once must not be missed */
	wf_loop_signal(r.loop, SIGCHLD, on_child, &r);
	wf_loop_signal(r.loop, SIGINT, on_signal, &r);
	wf_loop_signal(r.loop, SIGTERM, on_signal, &r);
	wf_loop_signal(r.loop, SIGHUP, on_signal, &r);
	wf_timer_init(&r.exit_timer, on_exit_timer, &r);
	wf_timer_init(&r.drain_timer, on_drain_timer, &r);
	wf_timer_init(&r.kill_timer, on_kill_timer, &r);
	if (o && o->verbose)
		wf_graph_describe(g, stderr);
	if (start(&r) < 0) {
		rc = 1;
		goto out;
	}
	r.hw = calloc(g->nwires ? g->nwires : 1, sizeof *r.hw);
	for (i = 0; i < g->nwires; i++) {
		struct wf_gwire *w = &g->wires[i];
		if (w->hub_reads) {
			fcntl(w->rfd, F_SETFL, O_NONBLOCK);
			wf_reader_init(&r.hw[i].r, w->rfd, (size_t)128 << 20);
			wf_loop_add_fd(r.loop, w->rfd, WF_READ, on_hub_read, &r);
		}
		if (w->hub_writes) {
			fcntl(w->wfd, F_SETFL, O_NONBLOCK);
			wf_writer_init(&r.hw[i].w, w->wfd, (size_t)-1);
			r.hw[i].open = 1;
			wf_loop_add_fd(r.loop, w->wfd, 0, on_hub_write, &r);
		}
	}
	for (i = 0; i < g->nwires; i++) {
		size_t k;
		for (k = 0; k < g->wires[i].ndests; k++)
			r.hw[g->wires[i].dests[k]].nsources++;
	}
	/* a child may have died before SIGCHLD was watched: look now */
	on_child(r.loop, SIGCHLD, 0, &r);
	if (r.alive)
		wf_loop_run(r.loop);
	rc = r.status;
out:
	/* nothing outlives flow-run */
	for (i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid > 0 && !g->procs[i].exited) {
			kill(g->procs[i].pid, SIGKILL);
			waitpid(g->procs[i].pid, NULL, 0);
		}
	for (i = 0; i < g->nwires; i++) {
		if (r.hw && g->wires[i].hub_reads)
			wf_reader_free(&r.hw[i].r);
		if (r.hw && g->wires[i].hub_writes) {
			if (r.hw[i].open)
				close(r.hw[i].w.fd);
			wf_writer_free(&r.hw[i].w);
		}
		if (g->wires[i].hub_reads && g->wires[i].rfd >= 0)
			close(g->wires[i].rfd);
		if (r.watch && r.watch[i] >= 0)
			close(r.watch[i]);
	}
	free(r.watch);
	free(r.hw);
	wf_loop_free(r.loop);
	return rc ? 1 : 0;
}
