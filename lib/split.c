#include "split.h"
#include "b64.h"
#include "utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A stream's unfinished tail. It is held either escaped (the contents of a
 * JSON string, as read: the fast path for text) or raw (bytes). */
struct wf_split_stream {
	struct wf_split_stream *prev_o, *next_o;	/* creation order */
	char *key;		/* the origin text, the key in s->streams */
	size_t klen;
	struct wf_buf tail;
	int esc;		/* tail is escaped JSON string contents */
	int binary;		/* a chunk of it came from `bytes` */
	size_t dlen;		/* decoded length of the tail */
	struct wf_buf tmpl;	/* the last line of this stream: meta and origin of a flush */
};

static struct wf_split_stream *stream_get(struct wf_split *s, const struct wf_event *ev, int create)
{
	const char *k = ev->origin.k ? ev->origin.v : "";
	size_t kl = ev->origin.k ? (size_t)(ev->origin.ve - ev->origin.v) : 0;
	struct wf_split_stream *st = wf_map_get(&s->streams, k, kl);

	if (st || !create)
		return st;
	st = calloc(1, sizeof *st);
	if (!st || !(st->key = malloc(kl ? kl : 1))) {
		free(st);
		return NULL;
	}
	memcpy(st->key, k, kl);
	st->klen = kl;
	if (wf_map_put(&s->streams, k, kl, st) < 0) {
		free(st->key);
		free(st);
		return NULL;
	}
	wf_buf_init(&st->tail, (size_t)-1);
	wf_buf_init(&st->tmpl, (size_t)-1);
	st->prev_o = s->last;
	if (s->last)
		s->last->next_o = st;
	else
		s->first = st;
	s->last = st;
	return st;
}

static void stream_drop(struct wf_split *s, struct wf_split_stream *st)
{
	wf_map_del(&s->streams, st->key, st->klen);
	if (st->prev_o)
		st->prev_o->next_o = st->next_o;
	else
		s->first = st->next_o;
	if (st->next_o)
		st->next_o->prev_o = st->prev_o;
	else
		s->last = st->prev_o;
	wf_buf_free(&st->tail);
	wf_buf_free(&st->tmpl);
	free(st->key);
	free(st);
}

/* The member a piece of ev goes into. */
static const struct wf_member *payload_member(const struct wf_event *ev)
{
	return ev->kind == WF_BYTES ? &ev->bytes : &ev->data;
}

/* Emit one piece: escaped JSON string contents, or raw bytes (as `bytes`
 * when binary or not UTF-8, else as a `data` string). */
static int emit(struct wf_filter *f, const struct wf_event *ev, int esc, int binary,
		const char *p, size_t n)
{
	const struct wf_member *m = payload_member(ev);
	int as_bytes = !esc && (binary || !wf_utf8_valid((const unsigned char *)p, n));
	const char *key = as_bytes ? (ev->kind == WF_BYTES ? NULL : "bytes")
				   : (ev->kind == WF_BYTES ? "data" : NULL);
	struct wf_buf *o;
	size_t mark;
	int rc;

	o = wf_filter_begin(f, ev, m, key, &mark);
	if (!o)
		return -ENOBUFS;
	if (esc) {
		rc = wf_buf_reserve(o, n + 2);
		if (!rc) {
			o->p[o->len++] = '"';
			memcpy(o->p + o->len, p, n);
			o->len += n;
			o->p[o->len++] = '"';
		}
	} else if (as_bytes) {
		rc = wf_buf_reserve(o, wf_b64_enclen(n) + 2);
		if (!rc) {
			o->p[o->len++] = '"';
			o->len += wf_b64_encode((const unsigned char *)p, n, o->p + o->len);
			o->p[o->len++] = '"';
		}
	} else {
		rc = wf_json_escape(o, p, n);
	}
	if (rc) {
		wf_filter_abort(f, mark);
		return rc;
	}
	return wf_filter_end(f, ev, m, key, mark);
}

static void dropped(struct wf_filter *f, const struct wf_event *ev, size_t len)
{
	struct wf_split *s = f->ud;

	wf_err_event(f->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
		     "line %lu: dropped a piece of %zu bytes: longer than max-length %zu",
		     f->lineno, len, s->max);
}

/* A piece found in the current chunk. */
struct piece {
	const char *p;
	size_t n;	/* in the chunk's form */
	size_t dlen;	/* decoded length */
};

static size_t limit(const struct wf_split *s)
{
	return s->max ? s->max : s->hard_max;
}

/* Make st's tail raw bytes. */
static int tail_to_raw(struct wf_split *s, struct wf_split_stream *st)
{
	int rc;

	if (!st->esc)
		return 0;
	s->b.len = 0;
	if ((rc = wf_json_unescape(&s->b, st->tail.p, st->tail.p + st->tail.len)))
		return rc;
	st->tail.len = 0;
	st->esc = 0;
	return wf_buf_add(&st->tail, s->b.p, s->b.len);
}

/* Append a piece (escaped when esc) to st's tail. */
static int tail_add(struct wf_split *s, struct wf_split_stream *st, int esc, const struct piece *pc)
{
	int rc;

	if (!st->tail.len)
		st->esc = esc;
	if (st->esc && !esc && (rc = tail_to_raw(s, st)))
		return rc;
	if (!st->esc && esc) {
		s->b.len = 0;
		if ((rc = wf_json_unescape(&s->b, pc->p, pc->p + pc->n)))
			return rc;
		rc = wf_buf_add(&st->tail, s->b.p, s->b.len);
	} else {
		rc = wf_buf_add(&st->tail, pc->p, pc->n);
	}
	st->dlen += pc->dlen;
	return rc;
}

static int remember(struct wf_split_stream *st, const struct wf_event *ev)
{
	st->tmpl.len = 0;
	return wf_buf_add(&st->tmpl, ev->line, (size_t)(ev->end - ev->line));
}

/* The buffered algorithm for one chunk already cut into pieces. */
static int split_buffered(struct wf_filter *f, const struct wf_event *ev, int esc, int binary,
			  struct piece *pcs, size_t npcs)
{
	struct wf_split *s = f->ud;
	struct wf_split_stream *st = stream_get(s, ev, 0);
	size_t i, lim = limit(s);
	int rc;

	if (npcs > 1) {
		/* the first piece completes the stream's tail, if it has one */
		if (st && st->tail.len) {
			size_t total = st->dlen + pcs[0].dlen;
			if (total > lim) {
				wf_err_event(f->err, ev, wf_env_stream(ev), NULL, 0,
					     "line %lu: discarded a fragment of %zu bytes: with the buffered %zu it exceeds max-length %zu",
					     f->lineno, pcs[0].dlen, st->dlen, lim);
			} else {
				if ((rc = tail_add(s, st, esc, &pcs[0])))
					return rc;
				if ((rc = emit(f, ev, st->esc, binary || st->binary, st->tail.p, st->tail.len)))
					return rc;
			}
			st->tail.len = 0;
			st->dlen = 0;
			st->binary = 0;
		} else if (s->max && pcs[0].dlen > s->max) {
			dropped(f, ev, pcs[0].dlen);
		} else if ((rc = emit(f, ev, esc, binary, pcs[0].p, pcs[0].n))) {
			return rc;
		}
		for (i = 1; i + 1 < npcs; i++) {
			if (s->max && pcs[i].dlen > s->max)
				dropped(f, ev, pcs[i].dlen);
			else if ((rc = emit(f, ev, esc, binary, pcs[i].p, pcs[i].n)))
				return rc;
		}
	}
	/* the tail after the last separator waits for more */
	{
		struct piece *t = &pcs[npcs - 1];
		size_t have = st ? st->dlen : 0;
		if (!t->n) {
			if (st && !st->tail.len)
				stream_drop(s, st);	/* nothing held: no state kept */
			return 0;
		}
		if (have + t->dlen > lim) {
			wf_err_event(f->err, ev, wf_env_stream(ev), NULL, 0,
				     "line %lu: discarded a fragment of %zu bytes: with the buffered %zu it exceeds max-length %zu",
				     f->lineno, t->dlen, have, lim);
			if (st)
				stream_drop(s, st);
			return 0;
		}
		if (!st && !(st = stream_get(s, ev, 1)))
			return -ENOMEM;
		if ((rc = tail_add(s, st, esc, t)))
			return rc;
		st->binary |= binary;
		return remember(st, ev);
	}
}

static int split_unbuffered(struct wf_filter *f, const struct wf_event *ev, int esc, int binary,
			    struct piece *pcs, size_t npcs)
{
	struct wf_split *s = f->ud;
	size_t i;
	int rc;

	for (i = 0; i < npcs; i++) {
		/* the remainder after the last separator is always emitted */
		if (i + 1 < npcs && s->max && pcs[i].dlen > s->max)
			dropped(f, ev, pcs[i].dlen);
		else if ((rc = emit(f, ev, esc, binary, pcs[i].p, pcs[i].n)))
			return rc;
	}
	return 0;
}

/* Pieces are collected into a growable array kept in s->a. */
static int add_piece(struct wf_split *s, const char *p, size_t n, size_t dlen)
{
	struct piece pc = { p, n, dlen };

	return wf_buf_add(&s->a, &pc, sizeof pc);
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* The first byte of p..e that is a or b (e when none), 16 bytes at a time. */
static inline const char *find2(const char *p, const char *e, char a, char b)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);

	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va),
								      _mm_cmpeq_epi8(v, vb)));
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < e && *p != a && *p != b)
		p++;
	return p;
}

/* Cut escaped JSON string contents at every separator, literal or escaped.
 * With a max-length each piece gets its decoded length (as
 * wf_json_unescaped_len counts it); otherwise its length as it stands, an
 * upper bound that is enough for the hard limit. */
static int cut_escaped(struct wf_split *s, const char *p, const char *e)
{
	const char *start = p;
	char lit = s->sep >= 0x20 && s->sep != '"' && s->sep != '\\' ? (char)s->sep : '\\';
	size_t saved = 0;	/* what the escapes of the piece so far save decoded */
	int exact = s->max != 0, rc;

	for (;;) {
		const char *q = find2(p, e, '\\', lit);
		unsigned v;
		size_t len, n;

		if (q == e)
			break;
		if (*q != '\\') {
			/* the separator as it is */
			n = (size_t)(q - start);
			if ((rc = add_piece(s, start, n, exact ? n - saved : n)))
				return rc;
			p = start = q + 1;
			saved = 0;
			continue;
		}
		/* an escape at q */
		if (q[1] == 'u') {
			v = hex4(q + 2);
			len = 6;
			if (v >= 0xd800 && v < 0xdc00 && e - q >= 12 && q[6] == '\\' && q[7] == 'u' &&
			    hex4(q + 8) >= 0xdc00 && hex4(q + 8) < 0xe000) {
				len = 12;	/* a pair: one 4-byte sequence */
				n = 4;
			} else {
				n = v < 0x80 ? 1 : v < 0x800 ? 2 : 3;	/* a lone surrogate is U+FFFD */
			}
		} else {
			switch (q[1]) {
			case 'n': v = '\n'; break;
			case 't': v = '\t'; break;
			case 'r': v = '\r'; break;
			case 'b': v = '\b'; break;
			case 'f': v = '\f'; break;
			default: v = (unsigned char)q[1];
			}
			len = 2;
			n = 1;
		}
		if (v == s->sep) {
			n = (size_t)(q - start);
			if ((rc = add_piece(s, start, n, exact ? n - saved : n)))
				return rc;
			start = q + len;
			saved = 0;
		} else {
			saved += len - n;
		}
		p = q + len;
	}
	{
		size_t n = (size_t)(e - start);
		return add_piece(s, start, n, exact ? n - saved : n);
	}
}

static int cut_raw(struct wf_split *s, const char *p, const char *e)
{
	int rc;

	for (;;) {
		const char *q = memchr(p, s->sep, (size_t)(e - p));
		if (!q)
			return add_piece(s, p, (size_t)(e - p), (size_t)(e - p));
		if ((rc = add_piece(s, p, (size_t)(q - p), (size_t)(q - p))))
			return rc;
		p = q + 1;
	}
}

static void bad_base64(struct wf_filter *f, const struct wf_event *ev)
{
	wf_err_event(f->err, ev, wf_env_stream(ev), ev->line, (size_t)(ev->end - ev->line),
		     "line %lu: bytes is not valid base64", f->lineno);
}

static int split_event(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_split *s = f->ud;
	int esc, binary = ev->kind == WF_BYTES, rc;
	struct piece *pcs;
	size_t npcs;

	s->a.len = 0;
	if (ev->kind == WF_DATA && *ev->data.v == '"' && s->sep < 0x80) {
		esc = 1;
		rc = cut_escaped(s, ev->data.v + 1, ev->data.ve - 1);
	} else {
		esc = 0;
		s->c.len = 0;
		rc = wf_env_payload(ev, &s->c, &binary);
		if (rc == -EINVAL) {
			bad_base64(f, ev);
			return 0;
		}
		if (!rc && (rc = wf_buf_reserve(&s->c, 1)) == 0)
			rc = cut_raw(s, s->c.p, s->c.p + s->c.len);
	}
	if (rc)
		return rc;
	pcs = (struct piece *)(void *)s->a.p;
	npcs = s->a.len / sizeof *pcs;
	return s->buffered ? split_buffered(f, ev, esc, binary, pcs, npcs)
			   : split_unbuffered(f, ev, esc, binary, pcs, npcs);
}

/* Emit st's tail as the last piece of its stream. */
static int flush_stream(struct wf_filter *f, struct wf_split_stream *st)
{
	struct wf_split *s = f->ud;
	struct wf_json_err jerr;
	struct wf_event ev;
	int rc = 0;

	if (st->tail.len && wf_env_parse(&ev, st->tmpl.p, st->tmpl.len, &jerr) == 0)
		rc = emit(f, &ev, st->esc, st->binary, st->tail.p, st->tail.len);
	stream_drop(s, st);
	return rc;
}

static int split_control(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_split *s = f->ud;
	struct wf_split_stream *st;
	int rc;

	if (ev->control.ve - ev->control.v == 7 && !memcmp(ev->control.v, "\"close\"", 7) &&
	    (st = stream_get(s, ev, 0)) && (rc = flush_stream(f, st)))
		return rc;
	return wf_filter_pass(f, ev);
}

static int split_finish(struct wf_filter *f)
{
	struct wf_split *s = f->ud;
	int rc;

	while (s->first)
		if ((rc = flush_stream(f, s->first)))
			return rc;
	return 0;
}

/* The postprocessor: append the separator to each payload. */
static int join_event(struct wf_filter *f, const struct wf_event *ev)
{
	struct wf_split *s = f->ud;
	int binary, rc;

	if (ev->kind == WF_DATA && *ev->data.v == '"' && s->sep < 0x80) {
		/* "contents" + escaped separator: the contents stay as written */
		struct wf_buf *o;
		size_t mark;
		o = wf_filter_begin(f, ev, &ev->data, NULL, &mark);
		if (!o)
			return -ENOBUFS;
		if ((rc = wf_buf_add(o, ev->data.v, (size_t)(ev->data.ve - ev->data.v - 1))) ||
		    (rc = wf_buf_add(o, s->sep_esc, s->sep_esc_len)) ||
		    (rc = wf_buf_addc(o, '"'))) {
			wf_filter_abort(f, mark);
			return rc;
		}
		return wf_filter_end(f, ev, &ev->data, NULL, mark);
	}
	s->c.len = 0;
	rc = wf_env_payload(ev, &s->c, &binary);
	if (rc == -EINVAL) {
		bad_base64(f, ev);
		return 0;
	}
	if (rc || (rc = wf_buf_addc(&s->c, (char)s->sep)))
		return rc;
	return emit(f, ev, 0, binary, s->c.p, s->c.len);
}

void wf_split_init(struct wf_split *s, struct wf_filter *f)
{
	wf_map_init(&s->streams);
	s->first = s->last = NULL;
	wf_buf_init(&s->a, (size_t)-1);
	wf_buf_init(&s->b, (size_t)-1);
	wf_buf_init(&s->c, (size_t)-1);
	{
		/* the separator as it stands escaped inside a JSON string */
		struct wf_buf t;
		wf_buf_init(&t, 16);
		s->sep_esc_len = 0;
		if (s->sep < 0x80 && !wf_json_escape(&t, (const char *)&s->sep, 1)) {
			s->sep_esc_len = t.len - 2;
			memcpy(s->sep_esc, t.p + 1, s->sep_esc_len);
		}
		wf_buf_free(&t);
	}
	f->ud = s;
	if (s->join) {
		f->event = join_event;
		f->control = NULL;
		f->finish = NULL;
	} else {
		f->event = split_event;
		f->control = split_control;
		f->finish = split_finish;
	}
}

void wf_split_free(struct wf_split *s)
{
	while (s->first)
		stream_drop(s, s->first);
	wf_map_free(&s->streams);
	wf_buf_free(&s->a);
	wf_buf_free(&s->b);
	wf_buf_free(&s->c);
}
