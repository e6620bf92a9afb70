#include "err.h"
#include "b64.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define INPUT_MAX 4096

void wf_err_init(struct wf_errsink *s, const char *prog, const char *source, int fd)
{
	s->prog = prog;
	s->source = source;
	s->fd = fd;
	s->count = 0;
	s->failed = 0;
}

static void put(struct wf_errsink *s, int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* an err pipe that is full: wait for it, never drop */
				usleep(1000);
				continue;
			}
			s->failed = 1;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void wf_err_event(struct wf_errsink *s, const struct wf_event *ev, long long stream,
		  const char *input, size_t n, const char *fmt, ...)
{
	char msg[1024];
	struct wf_buf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->count++;
	if (s->fd < 0) {
		char line[1200];
		int k = snprintf(line, sizeof line, "%s: %s\n", s->prog, msg);
		put(s, 2, line, k < 0 ? 0 : (size_t)k >= sizeof line ? sizeof line - 1 : (size_t)k);
		return;
	}
	wf_buf_init(&b, (size_t)-1);
	wf_buf_adds(&b, "{\"data\":{\"error\":");
	/* vsnprintf may have cut a multi-byte character: keep the valid prefix */
	{
		size_t len = strlen(msg);
		while (len && !wf_utf8_valid((const unsigned char *)msg, len))
			len--;
		wf_json_escape(&b, msg, len);
	}
	wf_buf_adds(&b, ",\"source\":");
	wf_json_escape(&b, s->source, strlen(s->source));
	if (stream >= 0)
		wf_buf_addf(&b, ",\"stream\":%lld", stream);
	if (input) {
		if (n > INPUT_MAX) {
			/* cut at a character boundary: text stays text */
			n = INPUT_MAX;
			while (n > INPUT_MAX - 3 && ((unsigned char)input[n] & 0xc0) == 0x80)
				n--;
		}
		if (wf_utf8_valid((const unsigned char *)input, n)) {
			wf_buf_adds(&b, ",\"input\":");
			wf_json_escape(&b, input, n);
		} else if (!wf_buf_adds(&b, ",\"input_bytes\":\"") &&
			   !wf_buf_reserve(&b, wf_b64_enclen(n) + 1)) {
			b.len += wf_b64_encode((const unsigned char *)input, n, b.p + b.len);
			wf_buf_addc(&b, '"');
		}
	}
	wf_buf_addc(&b, '}');
	if (ev && ev->meta.k) {
		wf_buf_adds(&b, ",\"meta\":");
		wf_buf_add(&b, ev->meta.v, (size_t)(ev->meta.ve - ev->meta.v));
	}
	if (ev && ev->origin.k) {
		wf_buf_adds(&b, ",\"origin\":");
		wf_buf_add(&b, ev->origin.v, (size_t)(ev->origin.ve - ev->origin.v));
	}
	wf_buf_adds(&b, "}\n");
	put(s, s->fd, b.p, b.len);
	wf_buf_free(&b);
}
