/* memo: render memo and written-bytes memo (see memo.h). */
#include "memo.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define RENDER_SLOTS 4096
#define WRITTEN_BUCKETS 256

struct rslot {
	uint64_t ino;
	void *src;        /* referenced cas_obj */
	struct snap *snap;
};

struct wnode {
	struct wnode *next;
	uint64_t ino;
	struct snap *snap;
};

struct memo {
	pthread_mutex_t mu;
	struct rslot r[RENDER_SLOTS];
	struct wnode *w[WRITTEN_BUCKETS];
};

struct memo *memo_new(void)
{
	struct memo *m = cas_xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void memo_clear_renders(struct memo *m)
{
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < RENDER_SLOTS; i++) {
		cas_obj_unref(m->r[i].src);
		cas_obj_unref(m->r[i].snap);
		memset(&m->r[i], 0, sizeof(m->r[i]));
	}
	pthread_mutex_unlock(&m->mu);
}

void memo_clear_all_written(struct memo *m)
{
	pthread_mutex_lock(&m->mu);
	for (size_t b = 0; b < WRITTEN_BUCKETS; b++) {
		for (struct wnode *n = m->w[b], *next; n; n = next) {
			next = n->next;
			cas_obj_unref(n->snap);
			free(n);
		}
		m->w[b] = NULL;
	}
	pthread_mutex_unlock(&m->mu);
}

void memo_free(struct memo *m)
{
	if (!m)
		return;
	memo_clear_renders(m);
	memo_clear_all_written(m);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

struct snap *memo_get(struct memo *m, uint64_t ino, const void *src)
{
	struct snap *s = NULL;
	pthread_mutex_lock(&m->mu);
	struct rslot *r = &m->r[ino % RENDER_SLOTS];
	if (r->ino == ino && r->src == src)
		s = cas_obj_ref(r->snap);
	pthread_mutex_unlock(&m->mu);
	return s;
}

void memo_put(struct memo *m, uint64_t ino, void *src, struct snap *s)
{
	pthread_mutex_lock(&m->mu);
	struct rslot *r = &m->r[ino % RENDER_SLOTS];
	void *old_src = r->src;
	struct snap *old_snap = r->snap;
	r->ino = ino;
	r->src = cas_obj_ref(src);
	r->snap = cas_obj_ref(s);
	pthread_mutex_unlock(&m->mu);
	cas_obj_unref(old_src);
	cas_obj_unref(old_snap);
}

static struct wnode **wfind(struct memo *m, uint64_t ino)
{
	struct wnode **pp = &m->w[ino % WRITTEN_BUCKETS];
	while (*pp && (*pp)->ino != ino)
		pp = &(*pp)->next;
	return pp;
}

void memo_set_written(struct memo *m, uint64_t ino, const char *data, size_t len)
{
	struct snap *s = snap_new(data, len);
	pthread_mutex_lock(&m->mu);
	struct wnode **pp = wfind(m, ino);
	struct snap *old = NULL;
	if (*pp) {
		old = (*pp)->snap;
		(*pp)->snap = s;
	} else {
		struct wnode *n = cas_xcalloc(1, sizeof(*n));
		n->ino = ino;
		n->snap = s;
		*pp = n;
	}
	pthread_mutex_unlock(&m->mu);
	cas_obj_unref(old);
}

struct snap *memo_written(struct memo *m, uint64_t ino)
{
	pthread_mutex_lock(&m->mu);
	struct wnode **pp = wfind(m, ino);
	struct snap *s = *pp ? cas_obj_ref((*pp)->snap) : NULL;
	pthread_mutex_unlock(&m->mu);
	return s;
}

void memo_clear_written(struct memo *m, uint64_t ino)
{
	pthread_mutex_lock(&m->mu);
	struct wnode **pp = wfind(m, ino), *n = *pp;
	if (n)
		*pp = n->next;
	pthread_mutex_unlock(&m->mu);
	if (n) {
		cas_obj_unref(n->snap);
		free(n);
	}
}
