/* loop: the one event loop every wsflow binary runs (shaped like redis ae.h).
 *
 * File events: a callback per fd with a read/write interest mask. Regular
 * files, which epoll cannot watch, are always ready.
 * Timers: a caller-owned struct wf_timer is armed with wf_timer_start; it is
 * disarmed before its callback runs, so the callback may re-arm it.
 * Signals: delivered through signalfd as ordinary callbacks.
 * The before hook runs before every wait. */
#ifndef WF_LOOP_H
#define WF_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define WF_READ  1
#define WF_WRITE 2
#define WF_ERROR 4	/* reported only: the fd has an error or hang-up */

struct wf_loop;
typedef void wf_fd_fn(struct wf_loop *l, int fd, int events, void *ud);
typedef void wf_before_fn(struct wf_loop *l, void *ud);

struct wf_timer;
typedef void wf_timer_fn(struct wf_loop *l, struct wf_timer *t, void *ud);

struct wf_timer {
	int64_t when;		/* monotonic ms */
	size_t slot;		/* heap index + 1, 0 when disarmed */
	wf_timer_fn *fn;
	void *ud;
};

struct wf_loop *wf_loop_new(void);
void wf_loop_free(struct wf_loop *l);

/* Watch fd with mask (WF_READ|WF_WRITE); replaces an earlier registration. */
int wf_loop_add_fd(struct wf_loop *l, int fd, int mask, wf_fd_fn *fn, void *ud);
int wf_loop_set_mask(struct wf_loop *l, int fd, int mask);
int wf_loop_mask(struct wf_loop *l, int fd);
void wf_loop_del_fd(struct wf_loop *l, int fd);

void wf_timer_init(struct wf_timer *t, wf_timer_fn *fn, void *ud);
void wf_timer_start(struct wf_loop *l, struct wf_timer *t, int64_t ms);
void wf_timer_stop(struct wf_loop *l, struct wf_timer *t);
static inline int wf_timer_armed(const struct wf_timer *t) { return t->slot != 0; }

/* Route signo to fn (called as fn(l, signo, WF_READ, ud)); blocks it for the process. */
int wf_loop_signal(struct wf_loop *l, int signo, wf_fd_fn *fn, void *ud);

void wf_loop_set_before(struct wf_loop *l, wf_before_fn *fn, void *ud);
/* Run until wf_loop_stop; 0, or a negative errno from the wait. */
int wf_loop_run(struct wf_loop *l);
void wf_loop_stop(struct wf_loop *l);
/* Ask for another pass without waiting (work is pending that no fd signals). */
void wf_loop_wake(struct wf_loop *l);

int64_t wf_now_ms(void);

#endif
