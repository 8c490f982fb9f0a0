/* stamps: content hash -> mtime and page-cache bookkeeping (see stamps.h). */
#include "stamps.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "ratelimit.h"
#include "statedb.h"

#define uthash_malloc(sz) cas_xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

struct slot {
	UT_hash_handle hh;   /* in cas_stamps.v, keyed by ino */
	uint64_t ino;
	uint64_t hash;
	uint64_t served;     /* hash the kernel was last given */
	int served_set;      /* the kernel was given something */
	int touched;         /* shown by this mount: its row's seen_ms is refreshed once (pruning) */
	int64_t mtime_ns;
	uint64_t attr_hash;  /* content of the attributes last answered (getattr) */
	int64_t attr_until;  /* CLOCK_MONOTONIC ms until which the kernel may hold them */
	int64_t attr_at;     /* CLOCK_MONOTONIC ms when they were answered */
	int64_t mixed_until; /* ... may hold those of other content, answered just before them */
};

/* Two answers of different content this close together may both have been
 * on their way to the kernel, and either be the one it keeps. */
#define ATTRS_IN_FLIGHT_MS 1000

#define FLUSH_EVERY_MS 200

struct cas_stamps {
	pthread_mutex_t mu;  /* guards v and its slots, the pending list and stopping; released before db is called */
	struct statedb *db;  /* set once before sharing */
	struct statedb_stamp *pending; /* new stamps not yet written */
	size_t npending, cappending;
	pthread_cond_t cv;   /* wakes the writer (stop) */
	pthread_t writer;
	int have_writer, stopping;
	struct slot *v;      /* uthash head */
};

uint64_t cas_path_ino(const char *path)
{
	uint64_t h = cas_hash64(path, strlen(path));
	return h < 2 ? h + 2 : h;
}

struct cas_stamps *cas_stamps_new(void)
{
	struct cas_stamps *s = cas_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	cas_cond_init_mono(&s->cv);
	return s;
}

/* Writes the pending stamps in one transaction (mu not held). */
static void flush(struct cas_stamps *s)
{
	pthread_mutex_lock(&s->mu);
	struct statedb_stamp *v = s->pending;
	size_t n = s->npending;
	s->pending = NULL;
	s->npending = s->cappending = 0;
	pthread_mutex_unlock(&s->mu);
	statedb_stamps_put(s->db, v, n);
	free(v);
}

static void *writer(void *arg)
{
	struct cas_stamps *s = arg;
	for (;;) {
		struct timespec dl = cas_mono_after_ms(FLUSH_EVERY_MS);
		pthread_mutex_lock(&s->mu);
		while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &dl) == 0)
			;
		int stop = s->stopping;
		pthread_mutex_unlock(&s->mu);
		flush(s);
		if (stop)
			return NULL;
	}
}

void cas_stamps_free(struct cas_stamps *s)
{
	if (!s)
		return;
	if (s->have_writer) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->pending);
	struct slot *sl, *tmp;
	HASH_ITER(hh, s->v, sl, tmp) {
		HASH_DEL(s->v, sl);
		free(sl);
	}
	free(s);
}

/* The slot of ino, created empty if new. mu held (or not shared yet). */
static struct slot *slot_for(struct cas_stamps *s, uint64_t ino)
{
	struct slot *sl = NULL;
	HASH_FIND(hh, s->v, &ino, sizeof(ino), sl);
	if (!sl) {
		sl = cas_xcalloc(1, sizeof(*sl));
		sl->ino = ino;
		HASH_ADD(hh, s->v, ino, sizeof(sl->ino), sl);
	}
	return sl;
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void load_one(void *ctx, uint64_t ino, uint64_t hash, int64_t mtime_ns)
{
	struct cas_stamps *s = ctx;
	struct slot *sl = slot_for(s, ino);
	sl->hash = hash;
	sl->mtime_ns = mtime_ns;
}

void cas_stamps_attach(struct cas_stamps *s, struct statedb *db)
{
	if (!statedb_persistent(db))
		return; /* an in-memory database would only duplicate the table */
	s->db = db;
	statedb_stamps_load(db, load_one, s);
}

void cas_stamps_start(struct cas_stamps *s)
{
	if (!s->db || s->have_writer)
		return;
	s->have_writer = pthread_create(&s->writer, NULL, writer, s) == 0;
	if (!s->have_writer) {
		pthread_mutex_lock(&s->mu);
		s->db = NULL; /* stamps stay in memory for this mount */
		pthread_mutex_unlock(&s->mu);
	}
}

struct timespec cas_stamps_mtime(struct cas_stamps *s, uint64_t ino, uint64_t hash)
{
	int64_t now = wall_ns();
	int changed = 0;
	pthread_mutex_lock(&s->mu);
	struct slot *sl = slot_for(s, ino);
	if (!sl->mtime_ns || sl->hash != hash) {
		/* whole seconds keep tools that compare at second granularity exact;
		 * a change within the second of the previous one takes the clock to
		 * the nanosecond, so it still moves forward and never ahead of now */
		int64_t t = now / 1000000000LL * 1000000000LL;
		if (sl->mtime_ns && t <= sl->mtime_ns)
			t = now > sl->mtime_ns ? now : sl->mtime_ns;
		sl->mtime_ns = t;
		sl->hash = hash;
		changed = 1;
	}
	if (!sl->touched) { /* first time this mount shows the path: refresh seen_ms */
		sl->touched = 1;
		changed = 1;
	}
	if (sl->mtime_ns > now) { /* stored ahead of the clock: the clock was set back */
		sl->mtime_ns = now;
		changed = 1;
	}
	int64_t m = sl->mtime_ns;
	if (changed && s->db) {
		if (s->npending == s->cappending) {
			s->cappending = s->cappending ? s->cappending * 2 : 256;
			s->pending = cas_xrealloc(s->pending, s->cappending * sizeof(*s->pending));
		}
		s->pending[s->npending++] = (struct statedb_stamp){ ino, hash, m };
	}
	pthread_mutex_unlock(&s->mu);
	struct timespec ts = { .tv_sec = m / 1000000000LL, .tv_nsec = m % 1000000000LL };
	return ts;
}

int cas_stamps_keep_cache(struct cas_stamps *s, uint64_t ino, uint64_t hash)
{
	pthread_mutex_lock(&s->mu);
	struct slot *sl = slot_for(s, ino);
	int keep = sl->served_set && sl->served == hash;
	sl->served = hash;
	sl->served_set = 1;
	pthread_mutex_unlock(&s->mu);
	return keep;
}

void cas_stamps_attrs_given(struct cas_stamps *s, uint64_t ino, uint64_t hash, int64_t until_ms)
{
	int64_t now = cas_mono_ms();
	pthread_mutex_lock(&s->mu);
	struct slot *sl = slot_for(s, ino);
	if (sl->attr_hash != hash && sl->attr_until > now && now - sl->attr_at < ATTRS_IN_FLIGHT_MS &&
	    sl->attr_until > sl->mixed_until)
		sl->mixed_until = sl->attr_until; /* two answers in flight: either may be the kernel's */
	sl->attr_hash = hash;
	sl->attr_at = now;
	if (until_ms > sl->attr_until || sl->attr_until <= now)
		sl->attr_until = until_ms;
	pthread_mutex_unlock(&s->mu);
}

enum stamps_open cas_stamps_open(struct cas_stamps *s, uint64_t ino, uint64_t hash)
{
	int64_t now = cas_mono_ms();
	pthread_mutex_lock(&s->mu);
	struct slot *sl = slot_for(s, ino);
	enum stamps_open r;
	if (sl->mixed_until > now || (sl->attr_hash != hash && sl->attr_until > now)) {
		r = STAMPS_DIRECT;
		/* what the kernel's pages hold is no longer known (a direct handle may
		 * still fill them, e.g. a private mmap): the next page-cached open drops them */
		sl->served_set = 0;
	} else {
		r = sl->served_set && sl->served == hash ? STAMPS_KEEP : STAMPS_DROP;
		sl->served = hash;
		sl->served_set = 1;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

size_t cas_stamps_count(struct cas_stamps *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = HASH_COUNT(s->v);
	pthread_mutex_unlock(&s->mu);
	return n;
}
