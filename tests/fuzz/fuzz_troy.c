/* fuzz_troy: arbitrary text as a troy deployment file, parsed with an
 * empty module path (a `use` finds nothing, so only the text is read). */
#include "fuzz.h"
#include "troy.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wf_troy_path path = { NULL, 0 };
	struct wf_troy *t;
	char err[1024];

	if (size > (1u << 16))
		return 0;
	err[0] = 0;
	t = wf_troy_parse("fuzz.troy", (const char *)data, size, &path, err, sizeof err);
	if (t) {
		FUZZ_ASSERT(t->main);
		wf_troy_free(t);
	} else {
		/* file:line:col: message */
		FUZZ_ASSERT(!strncmp(err, "fuzz.troy:", 10) || !strcmp(err, "out of memory"));
		FUZZ_ASSERT(memchr(err, 0, sizeof err));
	}
	return 0;
}
