#include "b64.h"

#include <endian.h>
#include <stdint.h>
#include <string.h>

static const char enc[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0-63 for the alphabet, 64 for '=', 255 otherwise */
static unsigned char dec[256];
static int dec_ready;

static void dec_init(void)
{
	int i;

	for (i = 0; i < 256; i++)
		dec[i] = 255;
	for (i = 0; i < 64; i++)
		dec[(unsigned char)enc[i]] = (unsigned char)i;
	dec['='] = 64;
	dec_ready = 1;
}

/* The two characters of every 12 bits: encoding looks up a pair at a time. */
static char enc2[4096][2];
static int enc2_ready;

static void enc2_init(void)
{
	int i;

	for (i = 0; i < 4096; i++) {
		enc2[i][0] = enc[i >> 6];
		enc2[i][1] = enc[i & 63];
	}
	enc2_ready = 1;
}

size_t wf_b64_encode(const unsigned char *in, size_t n, char *out)
{
	char *o = out;
	size_t i = 0;

	if (!enc2_ready)
		enc2_init();
	/* six bytes (of an eight-byte load) to eight characters */
	for (; i + 8 <= n; i += 6) {
		uint64_t v;
		memcpy(&v, in + i, 8);
		v = be64toh(v);
		memcpy(o, enc2[v >> 52], 2);
		memcpy(o + 2, enc2[(v >> 40) & 4095], 2);
		memcpy(o + 4, enc2[(v >> 28) & 4095], 2);
		memcpy(o + 6, enc2[(v >> 16) & 4095], 2);
		o += 8;
	}
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		o[0] = enc[v >> 18];
		o[1] = enc[(v >> 12) & 63];
		o[2] = enc[(v >> 6) & 63];
		o[3] = enc[v & 63];
		o += 4;
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		o[0] = enc[v >> 18];
		o[1] = enc[(v >> 12) & 63];
		o[2] = o[3] = '=';
		o += 4;
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		o[0] = enc[v >> 18];
		o[1] = enc[(v >> 12) & 63];
		o[2] = enc[(v >> 6) & 63];
		o[3] = '=';
		o += 4;
	}
	return (size_t)(o - out);
}

long wf_b64_decode(const char *in, size_t n, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = out;
	size_t i;

	if (!dec_ready)
		dec_init();
	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		unsigned a = dec[p[i]], b = dec[p[i + 1]], c = dec[p[i + 2]], d = dec[p[i + 3]];
		if ((a | b | c | d) < 64) {
			unsigned v = a << 18 | b << 12 | c << 6 | d;
			o[0] = (unsigned char)(v >> 16);
			o[1] = (unsigned char)(v >> 8);
			o[2] = (unsigned char)v;
			o += 3;
			continue;
		}
		/* padding only in the last group: "xx==" or "xxx=" */
		if (i + 4 != n || a > 63 || b > 63)
			return -1;
		if (c == 64 && d == 64) {
			if (b & 15)
				return -1;	/* non-canonical trailing bits */
			*o++ = (unsigned char)(a << 2 | b >> 4);
		} else if (c < 64 && d == 64) {
			if (c & 3)
				return -1;
			*o++ = (unsigned char)(a << 2 | b >> 4);
			*o++ = (unsigned char)(b << 4 | c >> 2);
		} else {
			return -1;
		}
	}
	return (long)(o - out);
}
