#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void wf_buf_init(struct wf_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void wf_buf_free(struct wf_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int wf_buf_grow(struct wf_buf *b, size_t n)
{
	size_t need = b->len + n, cap;
	char *p;

	if (need < b->len || need > b->max)
		return -ENOBUFS;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256 < b->max ? 256 : b->max;
	while (cap < need)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	if (cap < need)
		cap = need;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

void wf_buf_consume(struct wf_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

int wf_buf_addf(struct wf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = wf_buf_reserve(b, (size_t)n + 1);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
