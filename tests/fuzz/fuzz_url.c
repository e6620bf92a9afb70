/* fuzz_url: arbitrary text as a ws-listen / ws-connect address. */
#include "fuzz.h"
#include "url.h"

#include <string.h>

static int clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wf_url u;
	char msg[512], *s;
	int rc;

	if (size > 8192)
		return 0;
	s = malloc(size + 1);	/* a C string: it ends at the first NUL */
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	msg[0] = 0;
	rc = wf_url_parse(s, &u, msg, sizeof msg);
	if (rc == 0) {
		FUZZ_ASSERT(memchr(u.host, 0, sizeof u.host) && memchr(u.port, 0, sizeof u.port) &&
			    memchr(u.path, 0, sizeof u.path) && memchr(u.hostport, 0, sizeof u.hostport));
		FUZZ_ASSERT(u.path[0] == '/');
		FUZZ_ASSERT(u.port[0]);
		FUZZ_ASSERT(!u.secure || u.has_scheme);
		/* host and path go into the request line and the Host header as
		 * they are: no space, no control character (no CR LF) */
		FUZZ_ASSERT(clean(u.host) && clean(u.path) && clean(u.hostport));
	} else {
		FUZZ_ASSERT(rc == -1 && msg[0]);
	}
	free(s);
	return 0;
}
