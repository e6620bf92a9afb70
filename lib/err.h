/* err: the err port. Each binary reports bad input as an error event: with
 * --err-fd N an envelope on fd N, otherwise one line `prog: what: why` on
 * stderr. The caller sets the sink up; the library only writes through it. */
#ifndef WF_ERR_H
#define WF_ERR_H

#include <stddef.h>
#include "envelope.h"

struct wf_errsink {
	const char *prog;	/* prefix of stderr lines */
	const char *source;	/* "source" of error events (--id) */
	int fd;			/* --err-fd, or -1 for stderr lines */
	unsigned long count;	/* errors reported */
	int failed;		/* a write to the sink failed */
};

void wf_err_init(struct wf_errsink *s, const char *prog, const char *source, int fd);

/* Report one error. ev (may be NULL) lends its meta and origin; stream < 0
 * means none; input (may be NULL) is the offending text, cut to 4 KiB. */
void wf_err_event(struct wf_errsink *s, const struct wf_event *ev, long long stream,
		  const char *input, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
