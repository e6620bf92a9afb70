/* map: a hash map from byte-string keys to borrowed pointers. Keys are
 * copied; values are the caller's. */
#ifndef WF_MAP_H
#define WF_MAP_H

#include <stddef.h>
#include <stdint.h>

struct wf_map_ent;

struct wf_map {
	struct wf_map_ent **tab;
	size_t ntab, count;
};

void wf_map_init(struct wf_map *m);
void wf_map_free(struct wf_map *m);
void *wf_map_get(const struct wf_map *m, const void *key, size_t klen);
/* 0, or -ENOMEM. Replaces an existing value. */
int wf_map_put(struct wf_map *m, const void *key, size_t klen, void *val);
void wf_map_del(struct wf_map *m, const void *key, size_t klen);

#endif
