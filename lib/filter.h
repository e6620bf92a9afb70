/* filter: the driver of the envelope filters (lines-split, json-codec).
 *
 * It reads stdin through the event loop with the bounded line reader, turns
 * each line into an event (-R: a plain line becomes a text payload), hands
 * it to the filter's callback and writes what the callback emits (-r: only
 * the payloads). Bad lines become error events; the next line goes on.
 * Output waits when stdout is slow: no input is read while it is pending. */
#ifndef WF_FILTER_H
#define WF_FILTER_H

#include <stddef.h>
#include "envelope.h"
#include "err.h"
#include "io.h"

struct wf_filter;
/* Return 0, or a negative errno that stops the filter (a buffer maximum). */
typedef int wf_filter_fn(struct wf_filter *f, const struct wf_event *ev);
typedef int wf_filter_end_fn(struct wf_filter *f);

struct wf_filter {
	/* set by the caller */
	struct wf_errsink *err;
	int raw_in, raw_out;
	size_t maxline;
	wf_filter_fn *event;	/* a data or bytes event */
	wf_filter_fn *control;	/* a control event, or NULL: passed on */
	wf_filter_end_fn *finish;	/* at EOF, or NULL */
	int want_text;		/* events come with ev->text (wf_env_parse_text) */
	void *ud;
	/* kept by the driver */
	struct wf_writer out;
	struct wf_buf line;	/* -R: the synthesized envelope */
	struct wf_buf tmp;	/* -r: payload scratch */
	struct wf_buf text;	/* want_text: the unescaped `data` string */
	unsigned long lineno;
};

/* Run until EOF: 0, or a negative errno of a failed write (msg filled). */
int wf_filter_run(struct wf_filter *f, int in, int out, char *msg, size_t n);

struct wf_cli;
/* What a filter's main does once its own options are read: set up the err
 * port and the line bound from cli, run on stdin/stdout. closed is wf_io_start's mask.
 * 0, or 1 with msg filled (the exit status). */
int wf_filter_main(struct wf_filter *f, const struct wf_cli *cli, const char *prog,
		   const char *id, int closed, char *msg, size_t n);

/* Emit ev with member m's value replaced by val (its key too when key is set). */
int wf_filter_emit(struct wf_filter *f, const struct wf_event *ev, const struct wf_member *m,
		   const char *key, const char *val, size_t vlen);
/* Emit ev unchanged. */
int wf_filter_pass(struct wf_filter *f, const struct wf_event *ev);
/* Begin/end an emit whose value the caller writes into *out in between
 * (saves a copy on the hot path); wf_filter_abort undoes a begun emit. */
struct wf_buf *wf_filter_begin(struct wf_filter *f, const struct wf_event *ev,
			       const struct wf_member *m, const char *key, size_t *mark);
int wf_filter_end(struct wf_filter *f, const struct wf_event *ev, const struct wf_member *m,
		  const char *key, size_t mark);
void wf_filter_abort(struct wf_filter *f, size_t mark);

#endif
