/* b64: standard base64 (RFC 4648, with padding). */
#ifndef WF_B64_H
#define WF_B64_H

#include <stddef.h>

static inline size_t wf_b64_enclen(size_t n) { return (n + 2) / 3 * 4; }
/* Upper bound of the decoded length of n base64 characters. */
static inline size_t wf_b64_declen(size_t n) { return n / 4 * 3 + 3; }

/* Writes wf_b64_enclen(n) characters to out; returns that length. */
size_t wf_b64_encode(const unsigned char *in, size_t n, char *out);
/* Decodes n characters into out; returns the decoded length, or -1 when the
 * input is not canonical padded base64. */
long wf_b64_decode(const char *in, size_t n, unsigned char *out);

#endif
