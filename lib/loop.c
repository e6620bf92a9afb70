#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct fdent {
	wf_fd_fn *fn;
	void *ud;
	int mask;	/* WF_READ|WF_WRITE interest */
	int reg;	/* registered */
	int always;	/* not pollable (regular file): always ready */
};

struct sigent {
	int signo;
	wf_fd_fn *fn;
	void *ud;
};

struct wf_loop {
	int ep;
	struct fdent *fds;
	int nfds;
	int nalways;	/* always-ready fds with a mask: the wait must not block */
	struct wf_timer **heap;
	size_t nheap, capheap;
	wf_before_fn *before;
	void *before_ud;
	int sfd;
	sigset_t sigs;
	struct sigent sig[8];
	int nsig;
	int stop;
	int woken;
};

int64_t wf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct wf_loop *wf_loop_new(void)
{
	struct wf_loop *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		free(l);
		return NULL;
	}
	l->sfd = -1;
	sigemptyset(&l->sigs);
	return l;
}

void wf_loop_free(struct wf_loop *l)
{
	if (!l)
		return;
	close(l->ep);
	if (l->sfd >= 0)
		close(l->sfd);
	free(l->fds);
	free(l->heap);
	free(l);
}

static int ensure_fd(struct wf_loop *l, int fd)
{
	int n;
	struct fdent *p;

	if (fd < l->nfds)
		return 0;
	n = l->nfds ? l->nfds : 64;
	while (n <= fd)
		n *= 2;
	p = realloc(l->fds, (size_t)n * sizeof *p);
	if (!p)
		return -ENOMEM;
	memset(p + l->nfds, 0, (size_t)(n - l->nfds) * sizeof *p);
	l->fds = p;
	l->nfds = n;
	return 0;
}

static uint32_t ep_events(int mask)
{
	return (mask & WF_READ ? EPOLLIN : 0) | (mask & WF_WRITE ? EPOLLOUT : 0);
}

int wf_loop_add_fd(struct wf_loop *l, int fd, int mask, wf_fd_fn *fn, void *ud)
{
	struct epoll_event ev = { .events = ep_events(mask), .data.fd = fd };
	struct fdent *e;
	int rc = ensure_fd(l, fd);

	if (rc)
		return rc;
	e = &l->fds[fd];
	if (!e->reg) {
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			if (errno != EPERM)
				return -errno;
			e->always = 1;
		}
	} else if (!e->always && epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
		return -errno;
	}
	if (e->always && !e->mask != !mask)
		l->nalways += mask ? 1 : -1;
	e->fn = fn;
	e->ud = ud;
	e->mask = mask;
	e->reg = 1;
	return 0;
}

int wf_loop_set_mask(struct wf_loop *l, int fd, int mask)
{
	struct epoll_event ev = { .events = ep_events(mask), .data.fd = fd };
	struct fdent *e;

	if (fd < 0 || fd >= l->nfds || !l->fds[fd].reg)
		return -EBADF;
	e = &l->fds[fd];
	if (e->mask == mask)
		return 0;
	if (!e->always && epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	if (e->always && !e->mask != !mask)
		l->nalways += mask ? 1 : -1;
	e->mask = mask;
	return 0;
}

int wf_loop_mask(struct wf_loop *l, int fd)
{
	return fd >= 0 && fd < l->nfds ? l->fds[fd].mask : 0;
}

void wf_loop_del_fd(struct wf_loop *l, int fd)
{
	struct fdent *e;

	if (fd < 0 || fd >= l->nfds || !l->fds[fd].reg)
		return;
	e = &l->fds[fd];
	if (e->always && e->mask)
		l->nalways--;
	else if (!e->always)
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	memset(e, 0, sizeof *e);
}

/* Timers: a binary min-heap on `when`; slot is the 1-based heap index. */
static void heap_set(struct wf_loop *l, size_t i, struct wf_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct wf_loop *l, size_t i)
{
	struct wf_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (l->heap[parent]->when <= t->when)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void sift_down(struct wf_loop *l, size_t i)
{
	struct wf_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (l->heap[c]->when >= t->when)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void wf_timer_init(struct wf_timer *t, wf_timer_fn *fn, void *ud)
{
	t->when = 0;
	t->slot = 0;
	t->fn = fn;
	t->ud = ud;
}

void wf_timer_stop(struct wf_loop *l, struct wf_timer *t)
{
	size_t i;
	struct wf_timer *last;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	last = l->heap[--l->nheap];
	if (last == t)
		return;
	heap_set(l, i, last);
	sift_down(l, i);
	sift_up(l, last->slot - 1);
}

void wf_timer_start(struct wf_loop *l, struct wf_timer *t, int64_t ms)
{
	wf_timer_stop(l, t);
	if (l->nheap == l->capheap) {
		size_t n = l->capheap ? l->capheap * 2 : 16;
		struct wf_timer **h = realloc(l->heap, n * sizeof *h);
		if (!h)
			abort();	/* a timer that cannot be armed is a lost timeout */
		l->heap = h;
		l->capheap = n;
	}
	t->when = wf_now_ms() + (ms < 0 ? 0 : ms);
	heap_set(l, l->nheap++, t);
	sift_up(l, l->nheap - 1);
}

static void on_signal(struct wf_loop *l, int fd, int events, void *ud)
{
	struct signalfd_siginfo si;
	int i;

	(void)events;
	(void)ud;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		for (i = 0; i < l->nsig; i++)
			if (l->sig[i].signo == (int)si.ssi_signo)
				l->sig[i].fn(l, (int)si.ssi_signo, WF_READ, l->sig[i].ud);
}

int wf_loop_signal(struct wf_loop *l, int signo, wf_fd_fn *fn, void *ud)
{
	int fd;

	if (l->nsig == (int)(sizeof l->sig / sizeof l->sig[0]))
		return -ENOSPC;
	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		return -errno;
	fd = signalfd(l->sfd, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sfd < 0) {
		l->sfd = fd;
		if (wf_loop_add_fd(l, fd, WF_READ, on_signal, NULL) < 0)
			return -errno;
	}
	l->sig[l->nsig].signo = signo;
	l->sig[l->nsig].fn = fn;
	l->sig[l->nsig].ud = ud;
	l->nsig++;
	return 0;
}

void wf_loop_set_before(struct wf_loop *l, wf_before_fn *fn, void *ud)
{
	l->before = fn;
	l->before_ud = ud;
}

void wf_loop_stop(struct wf_loop *l)
{
	l->stop = 1;
}

void wf_loop_wake(struct wf_loop *l)
{
	l->woken = 1;
}

static void run_timers(struct wf_loop *l)
{
	int64_t now = wf_now_ms();

	while (l->nheap && l->heap[0]->when <= now && !l->stop) {
		struct wf_timer *t = l->heap[0];
		wf_timer_stop(l, t);
		t->fn(l, t, t->ud);
	}
}

static void run_always(struct wf_loop *l)
{
	int fd;

	for (fd = 0; fd < l->nfds && !l->stop; fd++) {
		struct fdent *e = &l->fds[fd];
		if (e->always && e->mask)
			e->fn(l, fd, e->mask, e->ud);
	}
}

int wf_loop_run(struct wf_loop *l)
{
	struct epoll_event evs[256];

	l->stop = 0;
	while (!l->stop) {
		int i, n, timeout = -1;

		if (l->before)
			l->before(l, l->before_ud);
		if (l->stop)
			break;
		if (l->woken || l->nalways) {
			timeout = 0;
		} else if (l->nheap) {
			int64_t d = l->heap[0]->when - wf_now_ms();
			timeout = d < 0 ? 0 : d > 86400000 ? 86400000 : (int)d;
		}
		l->woken = 0;
		n = epoll_wait(l->ep, evs, 256, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !l->stop; i++) {
			int fd = evs[i].data.fd, ev = 0;
			struct fdent *e;
			uint32_t r = evs[i].events;

			if (fd >= l->nfds || !l->fds[fd].reg)
				continue;	/* removed by an earlier callback */
			e = &l->fds[fd];
			if (r & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
				ev |= WF_READ;
			if (r & EPOLLOUT)
				ev |= WF_WRITE;
			if (r & (EPOLLERR | EPOLLHUP))
				ev |= WF_ERROR;
			/* POLLHUP is not EOF: let the owner read until read() says 0 */
			if (ev & WF_ERROR)
				ev |= e->mask;
			ev &= e->mask | WF_ERROR;
			if (ev)
				e->fn(l, fd, ev, e->ud);
		}
		if (l->nalways)
			run_always(l);
		run_timers(l);
	}
	return 0;
}
