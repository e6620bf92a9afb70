/* split: Tremor's `separate` preprocessor (split) and postprocessor (join)
 * over envelopes. Semantics: ../shared/reference/tremor-semantics.md 2.1-2.2;
 * where Tremor drops data silently, this reports an error event instead. */
#ifndef WF_SPLIT_H
#define WF_SPLIT_H

#include <stddef.h>
#include "filter.h"
#include "map.h"

struct wf_split_stream;

struct wf_split {
	unsigned char sep;
	size_t max;		/* longest piece kept; 0 = no limit */
	size_t hard_max;	/* bound of a buffered tail when max is 0 */
	int buffered;
	int join;
	/* per-stream tails, keyed by the event's origin text */
	struct wf_map streams;
	struct wf_split_stream *first, *last;	/* in order of creation */
	struct wf_buf a;	/* the pieces of the current chunk */
	struct wf_buf b;	/* scratch of the tails */
	struct wf_buf c;	/* the current raw payload */
	char sep_esc[8];	/* the separator escaped as in a JSON string */
	size_t sep_esc_len;
};

/* Set s up and point f's callbacks at it. */
void wf_split_init(struct wf_split *s, struct wf_filter *f);
void wf_split_free(struct wf_split *s);

#endif
