/* utf8: validation of UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#ifndef WF_UTF8_H
#define WF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 when p[0..n) is valid UTF-8, else 0. */
int wf_utf8_valid(const unsigned char *p, size_t n);

/* Incremental validation across fragments: state 0 at the start and at every
 * character boundary. Returns 0 while the input can still be valid, -1 on
 * the first byte that makes it invalid. A message is complete and valid when
 * the last call returned 0 and left *state == 0. */
int wf_utf8_feed(uint32_t *state, const unsigned char *p, size_t n);

/* Length of the sequence that starts at p (1..4), or 0 when p[0..n) does not
 * start with a valid sequence. */
size_t wf_utf8_seq(const unsigned char *p, size_t n);

/* Encode code point c into out (at least 4 bytes); returns the length. */
size_t wf_utf8_put(uint32_t c, char *out);

#endif
