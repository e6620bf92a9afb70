/* fuzz_handshake_client: a server's answer head, arbitrary bytes, through
 * the client-side checks of handshake.c. The request's key is RFC 6455's
 * example, so an answer with its accept key gets past the key check. */
#include "fuzz.h"
#include "handshake.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = { NULL, "chat", "" };
	struct wf_hs_client c = { .host = "127.0.0.1:9000", .path = "/" };
	const char *p = (const char *)data;
	char chosen[64], why[256];
	size_t plen;
	int rc;

	if (!size)
		return 0;
	/* the first byte picks the offered subprotocol and the room for the chosen one */
	c.protocol = protos[data[0] % 3];
	plen = (data[0] >> 2) & 1 ? sizeof chosen : (size_t)(data[0] >> 3);
	memcpy(c.key, "dGhlIHNhbXBsZSBub25jZQ==", 25);
	p++;
	size--;

	why[0] = 0;
	rc = wf_hs_client_early(p, size, why, sizeof why);
	FUZZ_ASSERT(rc == 0 || (rc == -1 && why[0]));
	FUZZ_ASSERT(strlen(why) < sizeof why);

	why[0] = 0;
	memset(chosen, 'x', sizeof chosen);
	rc = wf_hs_client_check(p, size, &c, plen ? chosen : NULL, plen, why, sizeof why);
	if (rc == 0) {
		FUZZ_ASSERT(size >= 12 && !memcmp(p, "HTTP/1.", 7) && !memcmp(p + 8, " 101", 4));
		if (plen) {
			FUZZ_ASSERT(memchr(chosen, 0, plen));
			FUZZ_ASSERT(!chosen[0] || (c.protocol && !strncmp(chosen, c.protocol, plen - 1)));
		}
	} else {
		FUZZ_ASSERT(rc == -1 && why[0]);
	}
	return 0;
}
