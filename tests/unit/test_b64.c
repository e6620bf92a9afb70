/* b64: RFC 4648 test vectors, round trips, and strict decoding. */
#include "unit.h"
#include "b64.h"

#include <stdint.h>

static void vector_n(const char *plain, size_t n, const char *enc)
{
	char out[128];
	unsigned char dec[128];
	size_t k;
	long d;

	k = wf_b64_encode((const unsigned char *)plain, n, out);
	CHECK(k == wf_b64_enclen(n));
	CHECK_MEM(out, k, enc);
	d = wf_b64_decode(enc, strlen(enc), dec);
	CHECK(d == (long)n);
	CHECK(d >= 0 && (size_t)d <= wf_b64_declen(strlen(enc)));
	CHECK(d >= 0 && !memcmp(dec, plain, n));
}

static void vector(const char *plain, const char *enc)
{
	vector_n(plain, strlen(plain), enc);
}

static int decodes(const char *s)
{
	unsigned char dec[64];

	return wf_b64_decode(s, strlen(s), dec) >= 0;
}

int main(void)
{
	unsigned char all[256], dec[400];
	char enc[400];
	size_t i, n;
	long d;

	/* RFC 4648 section 10 */
	vector("", "");
	vector("f", "Zg==");
	vector("fo", "Zm8=");
	vector("foo", "Zm9v");
	vector("foob", "Zm9vYg==");
	vector("fooba", "Zm9vYmE=");
	vector("foobar", "Zm9vYmFy");
	/* the whole alphabet, '+' and '/' included */
	vector("\xfb\xff\xbf", "+/+/");
	vector_n("\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f\x41\x14\x93\x51\x55\x97"
	       "\x61\x96\x9b\x71\xd7\x9f\x82\x18\xa3\x92\x59\xa7\xa2\x9a\xab\xb2\xdb\xaf"
	       "\xc3\x1c\xb3\xd3\x5d\xb7\xe3\x9e\xbb\xf3\xdf\xbf", 48,
	       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	/* every byte value, every length up to 256 */
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (n = 0; n <= 256; n++) {
		size_t k = wf_b64_encode(all + 256 - n, n, enc);
		d = wf_b64_decode(enc, k, dec);
		if (d != (long)n || memcmp(dec, all + 256 - n, n)) {
			CHECK(!"round trip");
			fprintf(stderr, "  length %zu\n", n);
		}
	}
	/* padding and length */
	CHECK(!decodes("Zg"));
	CHECK(!decodes("Zg="));
	CHECK(!decodes("Zm9"));
	CHECK(!decodes("Zm9vY"));
	CHECK(!decodes("Z==="));
	CHECK(!decodes("===="));
	CHECK(!decodes("=Zg="));
	CHECK(!decodes("Zg=a"));
	CHECK(!decodes("Zg==Zg=="));	/* padding before the end */
	CHECK(!decodes("Zm8=Zm9v"));
	CHECK(!decodes("Zm9v===="));
	/* non-canonical: the bits that padding drops must be zero */
	CHECK(!decodes("Zh=="));
	CHECK(!decodes("Zm9="));
	CHECK(decodes("Zg=="));
	CHECK(decodes("Zm8="));
	/* characters outside the standard alphabet */
	CHECK(!decodes("Zm9-"));
	CHECK(!decodes("Zm9_"));
	CHECK(!decodes("Zm9v\n"));
	CHECK(!decodes("Zm9 v"));
	CHECK(!decodes("Zm9v YmFy"));
	CHECK(!decodes("Zm\x80v"));
	CHECK(!decodes("Zm9\\"));
	{
		unsigned char z[4] = { 'Z', 'm', 0, 'v' };
		CHECK(wf_b64_decode((const char *)z, 4, dec) == -1);
	}
	/* every character that is not in the alphabet, in every position */
	for (i = 0; i < 256; i++) {
		char s[5] = "Zm9v";
		int pos;
		if ((i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') || (i >= '0' && i <= '9') ||
		    i == '+' || i == '/')
			continue;
		for (pos = 0; pos < 4; pos++) {
			memcpy(s, "Zm9v", 4);
			s[pos] = (char)i;
			if (i == '=' && pos == 3)
				continue;	/* "Zm9=" is rejected as non-canonical above */
			if (wf_b64_decode(s, 4, dec) != -1) {
				CHECK(!"a character outside the alphabet is rejected");
				fprintf(stderr, "  byte %zu at %d\n", i, pos);
			}
		}
	}
	return unit_done();
}
