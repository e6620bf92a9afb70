#include "map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wf_map_ent {
	struct wf_map_ent *next;
	uint64_t hash;
	void *val;
	size_t klen;
	char key[];
};

static uint64_t hash(const void *k, size_t n)
{
	const unsigned char *p = k;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

void wf_map_init(struct wf_map *m)
{
	m->tab = NULL;
	m->ntab = m->count = 0;
}

void wf_map_free(struct wf_map *m)
{
	size_t i;

	for (i = 0; i < m->ntab; i++)
		while (m->tab[i]) {
			struct wf_map_ent *e = m->tab[i];
			m->tab[i] = e->next;
			free(e);
		}
	free(m->tab);
	wf_map_init(m);
}

static struct wf_map_ent **find(const struct wf_map *m, const void *key, size_t klen, uint64_t h)
{
	struct wf_map_ent **pp;

	if (!m->ntab)
		return NULL;
	for (pp = &m->tab[h % m->ntab]; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->klen == klen && !memcmp((*pp)->key, key, klen))
			return pp;
	return NULL;
}

void *wf_map_get(const struct wf_map *m, const void *key, size_t klen)
{
	struct wf_map_ent **pp = find(m, key, klen, hash(key, klen));

	return pp ? (*pp)->val : NULL;
}

int wf_map_put(struct wf_map *m, const void *key, size_t klen, void *val)
{
	uint64_t h = hash(key, klen);
	struct wf_map_ent **pp = find(m, key, klen, h), *e;

	if (pp) {
		(*pp)->val = val;
		return 0;
	}
	if (m->count >= m->ntab) {
		size_t n = m->ntab ? m->ntab * 2 : 64, i;
		struct wf_map_ent **t = calloc(n, sizeof *t);
		if (!t)
			return -ENOMEM;
		for (i = 0; i < m->ntab; i++)
			while (m->tab[i]) {
				e = m->tab[i];
				m->tab[i] = e->next;
				e->next = t[e->hash % n];
				t[e->hash % n] = e;
			}
		free(m->tab);
		m->tab = t;
		m->ntab = n;
	}
	e = malloc(sizeof *e + klen);
	if (!e)
		return -ENOMEM;
	e->hash = h;
	e->val = val;
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->next = m->tab[h % m->ntab];
	m->tab[h % m->ntab] = e;
	m->count++;
	return 0;
}

void wf_map_del(struct wf_map *m, const void *key, size_t klen)
{
	struct wf_map_ent **pp = find(m, key, klen, hash(key, klen)), *e;

	if (!pp)
		return;
	e = *pp;
	*pp = e->next;
	free(e);
	m->count--;
}
