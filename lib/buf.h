/* buf: a growable byte buffer with a hard maximum (as curl's dynbuf).
 * The buffer owns its memory; wf_buf_free releases it. */
#ifndef WF_BUF_H
#define WF_BUF_H

#include <stddef.h>
#include <string.h>

struct wf_buf {
	char *p;
	size_t len;	/* bytes in use */
	size_t cap;	/* bytes allocated */
	size_t max;	/* wf_buf_reserve fails past this many bytes */
};

void wf_buf_init(struct wf_buf *b, size_t max);
void wf_buf_free(struct wf_buf *b);
/* Make room for n more bytes: 0, or -ENOBUFS past max, -ENOMEM. */
int wf_buf_grow(struct wf_buf *b, size_t n);
/* Drop the first n bytes. */
void wf_buf_consume(struct wf_buf *b, size_t n);

static inline int wf_buf_reserve(struct wf_buf *b, size_t n)
{
	return b->cap - b->len >= n ? 0 : wf_buf_grow(b, n);
}

static inline int wf_buf_add(struct wf_buf *b, const void *p, size_t n)
{
	int rc = wf_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static inline int wf_buf_addc(struct wf_buf *b, char c)
{
	int rc = wf_buf_reserve(b, 1);
	if (rc)
		return rc;
	b->p[b->len++] = c;
	return 0;
}

static inline int wf_buf_adds(struct wf_buf *b, const char *s)
{
	return wf_buf_add(b, s, strlen(s));
}

int wf_buf_addf(struct wf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
