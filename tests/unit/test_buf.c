/* buf: growth, the hard maximum, consume, addf. */
#include "unit.h"
#include "buf.h"

#include <errno.h>

int main(void)
{
	struct wf_buf b;
	int i;

	/* a maximum below the first allocation still holds */
	wf_buf_init(&b, 10);
	CHECK(wf_buf_add(&b, "0123456789", 10) == 0);
	CHECK(b.cap <= 10);
	CHECK(wf_buf_addc(&b, 'x') == -ENOBUFS);
	CHECK(wf_buf_reserve(&b, 1) == -ENOBUFS);
	CHECK(wf_buf_reserve(&b, 0) == 0);
	CHECK_MEM(b.p, b.len, "0123456789");
	wf_buf_consume(&b, 4);
	CHECK_MEM(b.p, b.len, "456789");
	CHECK(wf_buf_adds(&b, "abcd") == 0);
	CHECK(wf_buf_adds(&b, "e") == -ENOBUFS);
	CHECK_MEM(b.p, b.len, "456789abcd");
	wf_buf_consume(&b, 100);
	CHECK(b.len == 0);
	wf_buf_free(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);

	/* growth up to exactly the maximum */
	wf_buf_init(&b, 1000);
	for (i = 0; i < 1000; i++)
		CHECK(wf_buf_addc(&b, (char)('a' + i % 26)) == 0);
	CHECK(b.len == 1000 && b.cap == 1000);
	CHECK(wf_buf_addc(&b, 'x') == -ENOBUFS);
	CHECK(b.len == 1000);
	wf_buf_free(&b);

	/* a request that overflows size_t */
	wf_buf_init(&b, (size_t)-1);
	CHECK(wf_buf_addc(&b, 'a') == 0);
	CHECK(wf_buf_grow(&b, (size_t)-1) == -ENOBUFS);
	wf_buf_free(&b);

	/* addf */
	wf_buf_init(&b, 16);
	CHECK(wf_buf_addf(&b, "%d-%s", 42, "x") == 0);
	CHECK_MEM(b.p, b.len, "42-x");
	CHECK(wf_buf_addf(&b, "%s", "0123456789ab") == -ENOBUFS);
	CHECK_MEM(b.p, b.len, "42-x");
	CHECK(wf_buf_addf(&b, "%s", "0123456789a") == 0);
	CHECK(b.len == 15);
	wf_buf_free(&b);
	return unit_done();
}
