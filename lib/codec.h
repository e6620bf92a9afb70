/* codec: Tremor's `json` and `string` codecs over envelopes.
 *
 * json decode: the payload text is parsed; the value becomes `data`,
 *   compacted but with numbers and strings as written.
 * json encode: `data` becomes its compact JSON text (sorted: keys sorted at
 *   every depth, Tremor's mode "sorted"); `bytes` events pass unchanged.
 * string decode: a payload that is valid UTF-8 becomes a `data` string.
 * string encode: a string stays; any other value becomes its JSON text. */
#ifndef WF_CODEC_H
#define WF_CODEC_H

#include "filter.h"

enum wf_codec_kind { WF_CODEC_JSON, WF_CODEC_STRING };

struct wf_codec {
	enum wf_codec_kind kind;
	int encode;
	int sorted;
	struct wf_buf a, b;	/* scratch */
};

void wf_codec_init(struct wf_codec *c, struct wf_filter *f);
void wf_codec_free(struct wf_codec *c);

#endif
