/* utf8: whole-buffer validation, sequence lengths, encoding, and the
 * incremental validator, which must agree with the whole-buffer one however
 * the input is cut. */
#include "unit.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>

#define V(s) wf_utf8_valid((const unsigned char *)(s), sizeof(s) - 1)

static void whole(void)
{
	/* valid: ASCII, every length at its bounds */
	CHECK(V(""));
	CHECK(V("plain ASCII text, longer than eight bytes"));
	CHECK(V("\x00\x7f"));
	CHECK(V("\xc2\x80" "\xdf\xbf"));			/* U+0080, U+07FF */
	CHECK(V("\xe0\xa0\x80" "\xef\xbf\xbf"));		/* U+0800, U+FFFF */
	CHECK(V("\xed\x9f\xbf" "\xee\x80\x80"));		/* around the surrogates */
	CHECK(V("\xf0\x90\x80\x80" "\xf4\x8f\xbf\xbf"));	/* U+10000, U+10FFFF */
	CHECK(V("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK(V("0123456789abcdef\xc3\xa9" "0123456789abcdef"));
	/* invalid: stray continuation bytes, bytes that never occur */
	CHECK(!V("\x80"));
	CHECK(!V("\xbf"));
	CHECK(!V("a\x80" "b"));
	CHECK(!V("\xc0\x80"));
	CHECK(!V("\xc1\xbf"));
	CHECK(!V("\xf5\x80\x80\x80"));
	CHECK(!V("\xf8\x88\x80\x80\x80"));
	CHECK(!V("\xfe"));
	CHECK(!V("\xff"));
	/* overlongs */
	CHECK(!V("\xe0\x80\x80"));
	CHECK(!V("\xe0\x9f\xbf"));
	CHECK(!V("\xf0\x80\x80\x80"));
	CHECK(!V("\xf0\x8f\xbf\xbf"));
	/* surrogates U+D800..U+DFFF */
	CHECK(!V("\xed\xa0\x80"));
	CHECK(!V("\xed\xaf\xbf"));
	CHECK(!V("\xed\xbf\xbf"));
	CHECK(!V("\xed\xa0\xbd\xed\xb8\x80"));	/* CESU-8 pair */
	/* above U+10FFFF */
	CHECK(!V("\xf4\x90\x80\x80"));
	CHECK(!V("\xf7\xbf\xbf\xbf"));
	/* truncated, at the end and before another character */
	CHECK(!V("\xc3"));
	CHECK(!V("\xe2\x82"));
	CHECK(!V("\xf0\x9f\x98"));
	CHECK(!V("\xc3" "a"));
	CHECK(!V("\xe2\x82" "a"));
	CHECK(!V("\xf0\x9f\x98" "a"));
	CHECK(!V("\xf0\x9f\x98\xc3\xa9"));
	/* the bad byte after an ASCII run that the fast path skips */
	CHECK(!V("0123456789abcdefghijklmnop\xff"));
	CHECK(!V("01234567\x80"));
}

static void sequences(void)
{
	const unsigned char *s = (const unsigned char *)"\xf0\x9f\x98\x80";
	char out[4];
	uint32_t c;

	CHECK(wf_utf8_seq((const unsigned char *)"a", 1) == 1);
	CHECK(wf_utf8_seq((const unsigned char *)"\xc3\xa9", 2) == 2);
	CHECK(wf_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3) == 3);
	CHECK(wf_utf8_seq(s, 4) == 4);
	CHECK(wf_utf8_seq(s, 3) == 0);
	CHECK(wf_utf8_seq((const unsigned char *)"\xc3", 1) == 0);
	CHECK(wf_utf8_seq((const unsigned char *)"\x80", 1) == 0);
	CHECK(wf_utf8_put(0x41, out) == 1 && out[0] == 'A');
	CHECK(wf_utf8_put(0xe9, out) == 2 && !memcmp(out, "\xc3\xa9", 2));
	CHECK(wf_utf8_put(0x7ff, out) == 2 && !memcmp(out, "\xdf\xbf", 2));
	CHECK(wf_utf8_put(0x800, out) == 3 && !memcmp(out, "\xe0\xa0\x80", 3));
	CHECK(wf_utf8_put(0xfffd, out) == 3 && !memcmp(out, "\xef\xbf\xbd", 3));
	CHECK(wf_utf8_put(0x10000, out) == 4 && !memcmp(out, "\xf0\x90\x80\x80", 4));
	CHECK(wf_utf8_put(0x10ffff, out) == 4 && !memcmp(out, "\xf4\x8f\xbf\xbf", 4));
	/* every scalar value encodes to a valid sequence of the right length */
	for (c = 0; c <= 0x10ffff; c++) {
		size_t n;
		if (c >= 0xd800 && c < 0xe000)
			continue;
		n = wf_utf8_put(c, out);
		if (!wf_utf8_valid((const unsigned char *)out, n) ||
		    wf_utf8_seq((const unsigned char *)out, n) != n) {
			CHECK(!"U+ encodes to a valid sequence");
			fprintf(stderr, "  U+%04X\n", (unsigned)c);
			break;
		}
	}
	CHECK(c == 0x110000);
}

/* Feed p[0..n) cut at the given points; 1 when the validator accepts it. */
static int feed_cuts(const unsigned char *p, size_t n, const size_t *cuts, size_t ncuts)
{
	uint32_t st = 0;
	size_t at = 0, i;

	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : n;
		if (wf_utf8_feed(&st, p + at, to - at) < 0)
			return 0;
		at = to;
	}
	return st == 0;
}

static int feed_bytes(const unsigned char *p, size_t n)
{
	uint32_t st = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (wf_utf8_feed(&st, p + i, 1) < 0)
			return 0;
	return st == 0;
}

static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Bytes that are mostly UTF-8, with the edges of every rule nearby. */
static size_t gen(unsigned char *p, size_t max)
{
	static const unsigned char lead[] = {
		0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
		0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
	};
	static const unsigned char cont[] = { 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0x41, 0xc3 };
	size_t n = 0, len = rnd() % max;

	while (n < len) {
		unsigned r = rnd() % 10;
		if (r < 3) {
			p[n++] = (unsigned char)('a' + rnd() % 26);
		} else if (r < 6) {
			char tmp[4];
			uint32_t c = rnd() % 0x110000;
			size_t k;
			if (c >= 0xd800 && c < 0xe000)
				c = 0xe9;
			k = wf_utf8_put(c, tmp);
			if (n + k > len)
				break;
			memcpy(p + n, tmp, k);
			n += k;
		} else if (r < 8) {
			p[n++] = lead[rnd() % sizeof lead];
		} else {
			p[n++] = cont[rnd() % sizeof cont];
		}
	}
	return n;
}

static void incremental(void)
{
	unsigned char buf[64];
	size_t cuts[8];
	int round, valid = 0, invalid = 0;

	/* cut inside each kind of sequence */
	{
		const unsigned char *s = (const unsigned char *)"a\xf0\x9f\x98\x80" "b\xe2\x82\xac\xc3\xa9";
		size_t n = strlen((const char *)s), c1, c2;
		for (c1 = 0; c1 <= n; c1++)
			for (c2 = c1; c2 <= n; c2++) {
				cuts[0] = c1;
				cuts[1] = c2;
				CHECK(feed_cuts(s, n, cuts, 2));
			}
		CHECK(feed_bytes(s, n));
	}
	/* a message that ends inside a sequence is not complete */
	{
		uint32_t st = 0;
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"ab\xe2\x82", 4) == 0);
		CHECK(st != 0);
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"", 0) == 0 && st != 0);
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xac", 1) == 0 && st == 0);
		st = 0;
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xed", 1) == 0);
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xa0", 1) == -1);
		st = 0;
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xf4", 1) == 0);
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\x90", 1) == -1);
		st = 0;
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xe0", 1) == 0);
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\x9f", 1) == -1);
		st = 0;
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xf0\x9f", 2) == 0);
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\x98" "a", 2) == -1);
		st = 0;
		CHECK(wf_utf8_feed(&st, (const unsigned char *)"\xc0", 1) == -1);
	}
	/* random inputs: byte by byte and in random pieces, as a whole */
	for (round = 0; round < 200000; round++) {
		size_t n = gen(buf, sizeof buf), ncuts = rnd() % 5, i;
		int want = wf_utf8_valid(buf, n);
		for (i = 0; i < ncuts; i++)
			cuts[i] = n ? rnd() % (n + 1) : 0;
		/* sort the cut points */
		for (i = 1; i < ncuts; i++) {
			size_t x = cuts[i], j = i;
			for (; j > 0 && cuts[j - 1] > x; j--)
				cuts[j] = cuts[j - 1];
			cuts[j] = x;
		}
		if (want)
			valid++;
		else
			invalid++;
		if (feed_bytes(buf, n) != want || feed_cuts(buf, n, cuts, ncuts) != want ||
		    feed_cuts(buf, n, cuts, 0) != want) {
			CHECK(!"wf_utf8_feed agrees with wf_utf8_valid");
			fprintf(stderr, "  valid=%d, input:", want);
			for (i = 0; i < n; i++)
				fprintf(stderr, " %02x", buf[i]);
			fprintf(stderr, "\n");
			break;
		}
	}
	/* both kinds were tried in numbers */
	CHECK(valid > 10000 && invalid > 10000);
}

int main(void)
{
	whole();
	sequences();
	incremental();
	return unit_done();
}
