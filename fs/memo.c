/* memo: render memo and written-bytes memo (see memo.h). */
#include "memo.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define uthash_malloc(sz) cas_xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

/* The render memo is a direct-mapped cache, not a table: a render lost to
 * a collision is made again, and its memory stays bounded. */
#define RENDER_SLOTS 4096

struct rslot {
	uint64_t ino;
	void *src;        /* referenced cas_obj */
	struct snap *snap;
};

struct wnode {
	UT_hash_handle hh; /* in memo.w, keyed by ino */
	uint64_t ino;
	struct snap *snap;
};

struct memo {
	pthread_mutex_t mu;           /* guards r, w and every wnode */
	struct rslot r[RENDER_SLOTS];
	struct wnode *w;              /* the written memo (uthash head) */
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
	struct wnode *n, *tmp;
	HASH_ITER(hh, m->w, n, tmp) {
		HASH_DEL(m->w, n);
		cas_obj_unref(n->snap);
		free(n);
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

static struct wnode *wfind(struct memo *m, uint64_t ino)
{
	struct wnode *n = NULL;
	HASH_FIND(hh, m->w, &ino, sizeof(ino), n);
	return n;
}

void memo_set_written(struct memo *m, uint64_t ino, const char *data, size_t len)
{
	struct snap *s = snap_new(data, len);
	pthread_mutex_lock(&m->mu);
	struct wnode *n = wfind(m, ino);
	struct snap *old = NULL;
	if (n) {
		old = n->snap;
		n->snap = s;
	} else {
		n = cas_xcalloc(1, sizeof(*n));
		n->ino = ino;
		n->snap = s;
		HASH_ADD(hh, m->w, ino, sizeof(n->ino), n);
	}
	pthread_mutex_unlock(&m->mu);
	cas_obj_unref(old);
}

struct snap *memo_written(struct memo *m, uint64_t ino)
{
	pthread_mutex_lock(&m->mu);
	struct wnode *n = wfind(m, ino);
	struct snap *s = n ? cas_obj_ref(n->snap) : NULL;
	pthread_mutex_unlock(&m->mu);
	return s;
}

void memo_clear_written(struct memo *m, uint64_t ino)
{
	pthread_mutex_lock(&m->mu);
	struct wnode *n = wfind(m, ino);
	if (n)
		HASH_DEL(m->w, n);
	pthread_mutex_unlock(&m->mu);
	if (n) {
		cas_obj_unref(n->snap);
		free(n);
	}
}
