#include "utf8.h"

#include <string.h>

size_t wf_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0) {
		if (n < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xf0) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] > 0x9f)
			return 0;	/* surrogate */
		return 3;
	}
	if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
	    (p[3] & 0xc0) != 0x80)
		return 0;
	if (c == 0xf0 && p[1] < 0x90)
		return 0;	/* overlong */
	if (c == 0xf4 && p[1] > 0x8f)
		return 0;	/* > U+10FFFF */
	return 4;
}

int wf_utf8_valid(const unsigned char *p, size_t n)
{
	const unsigned char *e = p + n;

	while (p < e) {
		size_t k;
		/* ASCII fast path, 32 then eight bytes at a time */
		while (e - p >= 32) {
			uint64_t w[4];
			memcpy(w, p, 32);
			if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull)
				break;
			p += 32;
		}
		while (e - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ull)
				break;
			p += 8;
		}
		while (p < e && *p < 0x80)
			p++;
		if (p == e)
			break;
		k = wf_utf8_seq(p, (size_t)(e - p));
		if (!k)
			return 0;
		p += k;
	}
	return 1;
}

/* Whether s[0..have) can begin a valid sequence: pad it with the smallest
 * continuation bytes legal after it and check the whole. */
static int prefix_ok(const unsigned char *s, size_t have)
{
	unsigned char t[4];
	unsigned c = s[0];
	size_t want, i;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	want = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (have >= want)
		return wf_utf8_seq(s, have) == want;
	memcpy(t, s, have);
	for (i = have; i < want; i++)
		t[i] = i > 1 ? 0x80 : c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	return wf_utf8_seq(t, want) == want;
}

/* The state packs an unfinished sequence: bits 0-2 count the bytes held
 * (0 = at a boundary), bits 8-31 hold up to three of them. */
int wf_utf8_feed(uint32_t *state, const unsigned char *p, size_t n)
{
	const unsigned char *e = p + n;
	uint32_t st = *state;

	if (st) {
		unsigned char seq[4];
		size_t have = st & 7, want, i;

		for (i = 0; i < have; i++)
			seq[i] = (unsigned char)(st >> (8 * (i + 1)));
		want = seq[0] < 0xe0 ? 2 : seq[0] < 0xf0 ? 3 : 4;
		while (have < want && p < e)
			seq[have++] = *p++;
		if (!prefix_ok(seq, have))
			return -1;
		st = 0;
		if (have < want) {
			st = (uint32_t)have;
			for (i = 0; i < have; i++)
				st |= (uint32_t)seq[i] << (8 * (i + 1));
			*state = st;
			return 0;
		}
	}
	while (p < e) {
		size_t k, left, i;
		while (e - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ull)
				break;
			p += 8;
		}
		while (p < e && *p < 0x80)
			p++;
		if (p == e)
			break;
		left = (size_t)(e - p);
		k = wf_utf8_seq(p, left);
		if (k) {
			p += k;
			continue;
		}
		/* a sequence cut by the end of this fragment, or an invalid one */
		if (left >= 4 || !prefix_ok(p, left))
			return -1;
		{
			unsigned c = *p;
			size_t want = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
			if (left >= want)
				return -1;
		}
		st = (uint32_t)left;
		for (i = 0; i < left; i++)
			st |= (uint32_t)p[i] << (8 * (i + 1));
		break;
	}
	*state = st;
	return 0;
}

size_t wf_utf8_put(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}
