/* cache: entry store with TTLs, coalescing, negative entries and stale
 * serving, and the struct cas_api decorator over it (see cache.h, whose
 * diagram names the states and transitions used below). */
#include "cache.h"
#include "cache_test.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "deadline.h"
#include "decode.h"
#include "log.h"
#include "ops.h"
#include "ratelimit.h"
#include "share.h"

#define uthash_malloc(sz) cas_xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

#define MAX_BACKGROUND 32

/* Why a reader gets what it gets (serve()). */
enum serve_reason {
	SERVE_FRESH,       /* fresh by the ttl rule, or the answer of the fetch it waited for */
	SERVE_STALE_SLOW,  /* stale: the refresh overran the soft deadline (or no room to start one) */
	SERVE_STALE_ERROR, /* stale: the refresh failed, now or less than error_retry ago */
};

/* What an entry holds at a given time, as a reader sees it (entry_state();
 * derived from the fields, since expiry is a matter of the clock). A fetch
 * in flight is orthogonal to it (the FETCHING overlay of cache.h). */
enum centry_state {
	CE_EMPTY,    /* nothing to give: never fetched, invalidated, an expired 404, past max_stale */
	CE_FRESH,    /* a value within its ttl */
	CE_NEGATIVE, /* a 404 within neg_ttl */
	CE_STALE,    /* a value past its ttl, within max_stale: served while a refresh runs */
	CE_BACKOFF,  /* STALE whose last refresh failed < error_retry ago: served without a call */
};

/* The API as the readers with a stale copy see it. */
enum api_health {
	API_HEALTHY,  /* a reader with a stale copy waits up to the soft deadline for a refresh */
	API_DEGRADED, /* a refresh overran its soft deadline or failed, and none answered within it
	               * since: stale copies are given at once while a background refresh tries */
};

/* One cached (kind, key). Every field is guarded by cas_cache.mu. */
struct centry {
	UT_hash_handle hh;      /* in cas_cache.table[kind], keyed by key */
	char *key;
	enum cas_ck kind;
	/* what is stored (entry_state() reads these with the clock) */
	void *value;            /* last good value (a struct cas_obj), possibly stale */
	int neg;                /* the last answer was a 404 (value NULL) */
	struct cas_error neg_err;
	int64_t fetched_ms;     /* when value or 404 was stored; 0 = invalidated or never (EMPTY) */
	int64_t fetched_ns;     /* CLOCK_MONOTONIC of the last store (ttl=0: fresh for operations begun before it) */
	int64_t retry_at_ms;    /* after a failed refresh, BACKOFF until then */
	uint64_t epoch;         /* invalidations so far */
	/* the fetch in flight (FETCHING) and its outcome */
	int fetching;
	uint64_t fetch_epoch;   /* epoch when the fetch in flight began; != epoch: OUTDATED */
	int64_t fetch_start_ns; /* CLOCK_MONOTONIC when the fetch in flight began */
	uint64_t gen;           /* completed fetches: a waiter's wake-up condition */
	int last_rc;            /* outcome of the last completed fetch */
	struct cas_error last_err;
	int waiters;            /* threads waiting on this entry or fetching it: the sweep leaves it alone */
	uint64_t logged_gen;    /* gen + 1 when "serving stale" was last logged (once per refresh) */
};

struct cas_cache {
	struct cas_api api; /* first: the decorator's face */
	struct cas_api *inner;
	struct cas_cache_opts o;
	pthread_mutex_t mu;             /* guards everything below, and every centry */
	pthread_cond_t cv;              /* a fetch completed (centry.gen moved) */
	struct centry *table[CAS_CK_N]; /* uthash heads, one per kind */
	struct cas_cache_stats st;
	enum api_health health;
	int background;                 /* background refreshes running */
	cas_cache_change_fn hook;
	void *hook_ctx;
	uint64_t hook_gen[CAS_CK_N];    /* per kind: the generation of the last value stored for a hook
	                                 * (assigned when it is stored; hooks may run out of this order) */
	int64_t last_sweep_ms;
	struct share *share;            /* -o share= (set before the first call) or NULL */
};

#define SWEEP_EVERY_MS 60000

static void sweep_locked(struct cas_cache *c, int64_t now);

static int64_t mono_ms(void *ctx)
{
	(void)ctx;
	return cas_now_ns() / 1000000;
}

static int64_t now_ms(struct cas_cache *c)
{
	return c->o.now_ms(c->o.clock_ctx);
}

static int64_t ttl_of(const struct cas_cache *c, enum cas_ck k)
{
	return c->o.ttl_kind_ms[k] ? c->o.ttl_kind_ms[k] : c->o.ttl_ms;
}

int64_t cas_cache_ttl_ms(const struct cas_cache *c)
{
	return c->o.ttl_ms;
}

void cas_cache_set_share(struct cas_cache *c, struct share *s)
{
	c->share = s;
}

/* A mutation of this thread may have reached the service since `sent`
 * (cas_client_mutations_sent before it): the fleet drops (kind, key). One
 * never sent (dry_run, a budget refusal, a local refusal) publishes nothing. */
static void publish(struct cas_cache *c, uint64_t sent, enum cas_ck kind, const char *key)
{
	if (c->share && cas_client_mutations_sent() != sent)
		share_changed(c->share, kind, key);
}

static void publish_instance(struct cas_cache *c, uint64_t sent, const char *id)
{
	publish(c, sent, CAS_CK_DETAIL, id);
	publish(c, sent, CAS_CK_INSTANCES, "");
	publish(c, sent, CAS_CK_SUMMARY, "");
	publish(c, sent, CAS_CK_STORE, "");
}

static struct centry *find(struct cas_cache *c, enum cas_ck kind, const char *key, int create)
{
	struct centry *e = NULL;
	HASH_FIND_STR(c->table[kind], key, e);
	if (e || !create)
		return e;
	e = cas_xcalloc(1, sizeof(*e));
	e->key = cas_xstrdup(key);
	e->kind = kind;
	HASH_ADD_KEYPTR(hh, c->table[kind], e->key, strlen(e->key), e);
	c->st.entries++;
	return e;
}

static void entry_free(struct centry *e)
{
	cas_obj_unref(e->value);
	free(e->key);
	free(e);
}

static int fresh(struct cas_cache *c, const struct centry *e, int64_t now)
{
	if (!e->fetched_ms)
		return 0;
	if (c->o.ttl_zero) { /* fresh only for an operation that began before it was fetched */
		struct cas_op op = cas_op_current();
		return op.start_ns && e->fetched_ns >= op.start_ns;
	}
	return now - e->fetched_ms < (e->neg ? c->o.neg_ttl_ms : ttl_of(c, e->kind));
}

/* Stale value usable? (expired less than max_stale ago) */
static int stale_ok(struct cas_cache *c, const struct centry *e, int64_t now, int64_t stored_ms)
{
	/* stored_ms == 0: invalidated (after a mutation or a refresh request); never serve that */
	return e->value && stored_ms && now - (stored_ms + ttl_of(c, e->kind)) <= c->o.max_stale_ms;
}

static enum centry_state entry_state(struct cas_cache *c, const struct centry *e, int64_t now)
{
	if (fresh(c, e, now))
		return e->neg ? CE_NEGATIVE : CE_FRESH;
	if (!stale_ok(c, e, now, e->fetched_ms))
		return CE_EMPTY;
	return now < e->retry_at_ms ? CE_BACKOFF : CE_STALE;
}
/* What the fetch functions look like: they call the inner API for one key. */
typedef int (*fetch_fn)(struct cas_api *inner, const char *key, void **out, struct cas_error *e);

static int f_instances(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	(void)key;
	return a->ops->list_instances(a, NULL, (struct cas_instances **)out, e);
}

static int f_detail(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	return a->ops->get_instance_detail(a, key, (struct cas_doc **)out, e);
}

static int f_summary(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	(void)key;
	return a->ops->get_instance_summary(a, (struct cas_doc **)out, e);
}

static int f_access(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	(void)key;
	return a->ops->list_cloud_access(a, (struct cas_entries **)out, e);
}

static int f_ca(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	(void)key;
	return a->ops->get_ca_instance_status(a, (struct cas_entries **)out, e);
}

static int f_cert(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	return a->ops->get_user_certificate_detail(a, key, (struct cas_cert **)out, e);
}

static int f_store(struct cas_api *a, const char *key, void **out, struct cas_error *e)
{
	(void)key;
	return a->ops->list_store(a, (struct cas_certs **)out, e);
}

static const fetch_fn fetchers[CAS_CK_N] = {
	[CAS_CK_INSTANCES] = f_instances, [CAS_CK_DETAIL] = f_detail, [CAS_CK_SUMMARY] = f_summary,
	[CAS_CK_ACCESS] = f_access,       [CAS_CK_CA] = f_ca,	      [CAS_CK_CERT] = f_cert,
	[CAS_CK_STORE] = f_store,
};

static int same_doc(void *a, void *b, enum cas_ck kind)
{
	if (!a || !b)
		return 0;
	if (kind == CAS_CK_CERT) {
		const struct cas_cert *x = a, *y = b;
		return x->pem_len == y->pem_len && memcmp(x->pem, y->pem, x->pem_len) == 0;
	}
	if (kind != CAS_CK_DETAIL && kind != CAS_CK_SUMMARY)
		return 0;
	const struct cas_doc *x = a, *y = b;
	return x->len == y->len && memcmp(x->text, y->text, x->len) == 0;
}

/* FETCHING -> FRESH | NEGATIVE | BACKOFF | EMPTY: runs one fetch for e
 * (which the caller marked fetching) and stores the outcome. A fetch that
 * an invalidation overtook (OUTDATED) stores its result as already
 * expired. */
static void run_fetch(struct cas_cache *c, struct centry *e)
{
	pthread_mutex_lock(&c->mu);
	uint64_t epoch = e->fetch_epoch = e->epoch;
	enum cas_ck kind = e->kind;
	char *key = cas_xstrdup(e->key);
	pthread_mutex_unlock(&c->mu);

	void *obj = NULL;
	struct cas_error err;
	cas_error_clear(&err);
	share_age_reset();
	int64_t max_age = cas_client_share_max_age(ttl_of(c, kind)); /* no shared answer older than this reader's ttl */
	int rc = fetchers[kind](c->inner, key, &obj, &err);
	cas_client_share_max_age(max_age);
	int64_t age = share_age_ms(); /* the fleet's answer is as old as when a mount fetched it */

	void *old = NULL, *new_value = NULL;
	int changed = 0;
	uint64_t gen = 0;
	pthread_mutex_lock(&c->mu);
	int64_t now = now_ms(c);
	e->gen++;
	e->fetching = 0;
	e->last_rc = rc;
	e->last_err = err;
	c->st.refreshes++;
	if (rc == 0 || rc == -ENOENT) {
		old = e->value;
		e->value = rc == 0 ? obj : NULL;
		e->neg = rc == -ENOENT;
		e->neg_err = err;
		/* invalidated while in flight: keep the result, but as already expired */
		e->fetched_ms = e->epoch == epoch ? (now - age > 0 ? now - age : 1) : 0;
		e->fetched_ns = cas_now_ns();
		e->retry_at_ms = 0;
		/* healthy again only when a refresh answered within the soft deadline */
		if (cas_now_ns() - e->fetch_start_ns < c->o.soft_deadline_ms * 1000000)
			c->health = API_HEALTHY;
		changed = !same_doc(old, e->value, kind) && (old || e->value);
		new_value = cas_obj_ref(e->value);
		if (changed)
			gen = ++c->hook_gen[kind];
	} else {
		cas_obj_unref(obj);
		c->st.fetch_errors++;
		e->retry_at_ms = now + c->o.error_retry_ms;
		c->health = API_DEGRADED;
	}
	pthread_cond_broadcast(&c->cv);
	cas_cache_change_fn hook = c->hook;
	void *hctx = c->hook_ctx;
	pthread_mutex_unlock(&c->mu);
	if (changed && hook)
		hook(hctx, kind, key, old, new_value, gen);
	cas_obj_unref(old);
	cas_obj_unref(new_value);
	free(key);
}

struct bg_job {
	struct cas_cache *c;
	struct centry *e;
};

static void *bg_fetch(void *arg)
{
	struct bg_job *j = arg;
	run_fetch(j->c, j->e);
	pthread_mutex_lock(&j->c->mu);
	j->c->background--;
	pthread_mutex_unlock(&j->c->mu);
	free(j);
	return NULL;
}

/* Starts a refresh of e in the background; 0 if it could not (caller fetches). Lock held. */
static int start_background(struct cas_cache *c, struct centry *e)
{
	if (c->background >= MAX_BACKGROUND)
		return 0;
	struct bg_job *j = cas_xmalloc(sizeof(*j));
	j->c = c;
	j->e = e;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int ok = pthread_create(&th, &at, bg_fetch, j) == 0;
	pthread_attr_destroy(&at);
	if (!ok) {
		free(j);
		return 0;
	}
	c->background++;
	return 1;
}

/* Hands e's value (or its 404) to a reader, counting and logging (once per
 * refresh) a stale copy. Lock held. */
static int serve(struct cas_cache *c, struct centry *e, void **out, struct cas_error *err, enum serve_reason why)
{
	if (e->neg) {
		*err = e->neg_err;
		return -ENOENT;
	}
	*out = cas_obj_ref(e->value);
	if (why == SERVE_FRESH)
		return 0;
	c->st.stale_served++;
	c->st.stale_on_error += why == SERVE_STALE_ERROR;
	if (e->logged_gen == e->gen + 1)
		return 0; /* logged once for this refresh (counted every time) */
	e->logged_gen = e->gen + 1;
	const char *what = e->kind == CAS_CK_DETAIL ? "detail of " : "cached list";
	const char *key = e->kind == CAS_CK_DETAIL ? e->key : "";
	if (why == SERVE_STALE_ERROR) {
		char msg[700];
		cas_error_format(&e->last_err, msg, sizeof(msg));
		cas_warn("serving stale %s%s: refresh failed: %s", what, key, msg);
	} else {
		cas_info("serving stale %s%s: the API is slow or down, refreshing in the background", what, key);
	}
	return 0;
}

/* Waits for the fetch in flight on e to complete (lock held), until
 * deadline_ns (CLOCK_MONOTONIC; 0 = no limit); ETIMEDOUT if it did not. */
static int wait_fetch(struct cas_cache *c, struct centry *e, int64_t deadline_ns)
{
	uint64_t gen = e->gen;
	struct timespec dl = { (time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000) };
	int rc = 0;
	e->waiters++;
	while (e->gen == gen && rc != ETIMEDOUT)
		rc = deadline_ns ? pthread_cond_timedwait(&c->cv, &c->mu, &dl) : pthread_cond_wait(&c->cv, &c->mu);
	e->waiters--;
	return e->gen == gen ? ETIMEDOUT : 0;
}

/* How long a reader holding a stale copy waits for the refresh in flight:
 * until the soft deadline of its operation and of the refresh, whichever is
 * first (so only the first reader of an overdue refresh waits), and not at
 * all while the API is degraded. */
static int64_t stale_wait_until(struct cas_cache *c, const struct centry *e)
{
	if (c->health == API_DEGRADED)
		return 0;
	struct cas_op op = cas_op_current();
	int64_t soft = c->o.soft_deadline_ms * 1000000;
	int64_t dl = e->fetch_start_ns + soft;
	if (op.start_ns && op.start_ns + soft < dl)
		dl = op.start_ns + soft;
	return dl;
}

/* The operation's hard deadline for a reader with nothing stale (0 = none). */
static int64_t hard_wait_until(void)
{
	return cas_op_current().deadline_ns;
}

/* A reader whose operation's deadline passed while it waited. */
static int op_timed_out(struct cas_error *err)
{
	cas_error_clear(err);
	return cas_error_set(err, ETIMEDOUT, "Local.Timeout",
			     "no answer from the service within the operation's deadline (-o timeout=)");
}

/* ---- a read: lookup, join-or-start, wait, answer -------------------------- */

/* The entry of (kind, key), created EMPTY if new; the sweep runs first
 * when due. Lock held. */
static struct centry *lookup(struct cas_cache *c, enum cas_ck kind, const char *key, int64_t now)
{
	if (now - c->last_sweep_ms > SWEEP_EVERY_MS)
		sweep_locked(c, now);
	return find(c, kind, key, 1);
}

/* OUTDATED: a fetch that began before the latest invalidation cannot answer
 * a reader that came after it: let it finish (then the reader fetches
 * again). 0, or ETIMEDOUT at the operation's deadline. Lock held. */
static int wait_outdated(struct cas_cache *c, struct centry *e)
{
	if (e->fetching && e->fetch_epoch != e->epoch)
		c->st.coalesced++;
	while (e->fetching && e->fetch_epoch != e->epoch)
		if (wait_fetch(c, e, hard_wait_until()) == ETIMEDOUT)
			return ETIMEDOUT;
	return 0;
}

enum join {
	JOINED,      /* a fetch was in flight: this reader waits for it (coalescing) */
	BACKGROUND,  /* started a refresh on its own thread: this reader has a stale copy */
	FETCHED,     /* nothing stale: this reader fetched on its own thread, the outcome is in e */
	NO_ROOM,     /* a stale copy, but MAX_BACKGROUND refreshes run already: serve it at once */
};

/* Joins the fetch in flight on e or starts one. Lock held (released
 * while this thread fetches). */
static enum join join_or_start(struct cas_cache *c, struct centry *e, int have_stale)
{
	if (e->fetching) {
		c->st.coalesced++;
		return JOINED;
	}
	c->st.misses++;
	e->fetching = 1;
	e->fetch_epoch = e->epoch; /* (run_fetch takes it again when it begins) */
	e->fetch_start_ns = cas_now_ns();
	if (have_stale) {
		if (start_background(c, e))
			return BACKGROUND;
		e->fetching = 0;
		return NO_ROOM;
	}
	e->waiters++; /* pinned: the sweep must not free it before we read the outcome */
	pthread_mutex_unlock(&c->mu);
	run_fetch(c, e);
	pthread_mutex_lock(&c->mu);
	e->waiters--;
	return FETCHED;
}

/* A reader with a stale copy waits for the fetch in flight until the soft
 * deadline (stale_wait_until); 1 if the fetch completed by then. Lock held. */
static int wait_soft(struct cas_cache *c, struct centry *e)
{
	int64_t until = stale_wait_until(c, e);
	return until > cas_now_ns() && wait_fetch(c, e, until) == 0;
}

/* The reader's answer once the fetch it waited for completed: its value or
 * 404, else the stale copy it had (stored_ms: when that copy was stored),
 * else the fetch's error. Lock held. */
static int answer_fetched(struct cas_cache *c, struct centry *e, void **out, struct cas_error *err, int have_stale,
			  int64_t stored_ms)
{
	if ((e->last_rc == 0 || e->last_rc == -ENOENT) && (e->neg || e->value))
		return serve(c, e, out, err, SERVE_FRESH);
	if (have_stale && stale_ok(c, e, now_ms(c), stored_ms))
		return serve(c, e, out, err, SERVE_STALE_ERROR);
	*err = e->last_err;
	return e->last_rc ? e->last_rc : -EIO;
}

/* One read of e (the transitions "read ..." of cache.h). allow_stale: a
 * stale copy may answer (a slow or failed refresh); 0 for a caller that
 * needs a copy fresh by the ttl rule (a commit's comparison state), which
 * waits for a fetch or fails with its error. Lock held. */
static int read_entry(struct cas_cache *c, struct centry *e, int64_t now, void **out, struct cas_error *err,
		      int allow_stale)
{
	enum centry_state st = entry_state(c, e, now);
	if (st == CE_FRESH || st == CE_NEGATIVE) {
		c->st.hits += st == CE_FRESH;
		c->st.negative_hits += st == CE_NEGATIVE;
		int rc = serve(c, e, out, err, SERVE_FRESH);
		if (st == CE_NEGATIVE)
			err->from_cache = 1;
		return rc;
	}
	if (st == CE_BACKOFF && allow_stale) /* a refresh failed a moment ago: no retry yet */
		return serve(c, e, out, err, SERVE_STALE_ERROR);
	if (wait_outdated(c, e) == ETIMEDOUT)
		return op_timed_out(err);
	st = entry_state(c, e, now_ms(c));
	if (st == CE_FRESH || st == CE_NEGATIVE)
		return serve(c, e, out, err, SERVE_FRESH);
	int have_stale = allow_stale && (st == CE_STALE || st == CE_BACKOFF);
	int64_t stored_ms = e->fetched_ms;
	switch (join_or_start(c, e, have_stale)) {
	case NO_ROOM:
		return serve(c, e, out, err, SERVE_STALE_SLOW);
	case FETCHED:
		break;
	case JOINED:
	case BACKGROUND:
		/* with a stale copy only until the soft deadline, without one
		 * until the operation's deadline */
		if (have_stale && !wait_soft(c, e)) {
			c->health = API_DEGRADED;
			return serve(c, e, out, err, SERVE_STALE_SLOW);
		}
		if (!have_stale && wait_fetch(c, e, hard_wait_until()) == ETIMEDOUT)
			return op_timed_out(err);
		break;
	}
	return answer_fetched(c, e, out, err, have_stale, stored_ms);
}

static int cache_get(struct cas_cache *c, enum cas_ck kind, const char *key, void **out, struct cas_error *err,
		     int allow_stale)
{
	*out = NULL;
	pthread_mutex_lock(&c->mu);
	int64_t now = now_ms(c);
	struct centry *e = lookup(c, kind, key, now);
	int rc = read_entry(c, e, now, out, err, allow_stale);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void cas_cache_invalidate(struct cas_cache *c, enum cas_ck kind, const char *key)
{
	pthread_mutex_lock(&c->mu);
	struct centry *e = find(c, kind, key ? key : "", 0);
	if (e) {
		e->fetched_ms = 0;
		e->retry_at_ms = 0;
		e->epoch++;
		c->st.invalidations++;
	}
	pthread_mutex_unlock(&c->mu);
}

void cas_cache_drop_all(struct cas_cache *c)
{
	pthread_mutex_lock(&c->mu);
	for (int k = 0; k < CAS_CK_N; k++) {
		for (struct centry *e = c->table[k]; e; e = e->hh.next) {
			e->fetched_ms = 0;
			e->retry_at_ms = 0;
			e->neg = 0;
			e->epoch++;
		}
	}
	c->st.invalidations++;
	pthread_mutex_unlock(&c->mu);
	share_refreshed(c->share); /* and the fleet's copies from before now are not taken either */
}

void *cas_cache_peek(struct cas_cache *c, enum cas_ck kind, const char *key)
{
	pthread_mutex_lock(&c->mu);
	struct centry *e = find(c, kind, key ? key : "", 0);
	void *v = e ? cas_obj_ref(e->value) : NULL;
	pthread_mutex_unlock(&c->mu);
	return v;
}

int cas_cache_fresh(struct cas_cache *c, enum cas_ck kind, const char *key)
{
	pthread_mutex_lock(&c->mu);
	struct centry *e = find(c, kind, key ? key : "", 0);
	int f = e && (e->fetching || fresh(c, e, now_ms(c)));
	pthread_mutex_unlock(&c->mu);
	return f;
}

void cas_cache_stats(struct cas_cache *c, struct cas_cache_stats *s)
{
	pthread_mutex_lock(&c->mu);
	*s = c->st;
	pthread_mutex_unlock(&c->mu);
}

/* EMPTY -> freed: entries too old to serve even as stale, that no fetch
 * or waiter holds. Lock held. */
static void sweep_locked(struct cas_cache *c, int64_t now)
{
	c->last_sweep_ms = now;
	for (int k = 0; k < CAS_CK_N; k++) {
		struct centry *e, *tmp;
		HASH_ITER(hh, c->table[k], e, tmp) {
			int64_t age = e->fetched_ms ? now - e->fetched_ms : INT64_MAX / 2;
			if (!e->fetching && !e->waiters && age > ttl_of(c, e->kind) + c->o.max_stale_ms) {
				HASH_DEL(c->table[k], e);
				entry_free(e);
				c->st.entries--;
			}
		}
	}
}

void cas_cache_sweep(struct cas_cache *c)
{
	pthread_mutex_lock(&c->mu);
	sweep_locked(c, now_ms(c));
	pthread_mutex_unlock(&c->mu);
}

void cas_cache_set_change_hook(struct cas_cache *c, cas_cache_change_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->mu);
	c->hook = fn;
	c->hook_ctx = ctx;
	pthread_mutex_unlock(&c->mu);
}

int cas_cache_get_fresh(struct cas_cache *c, enum cas_ck kind, const char *key, void **out, struct cas_error *e)
{
	int was = cas_client_must_reach(1); /* never stale: not the fleet's copy either */
	int rc = cache_get(c, kind, key ? key : "", out, e, 0);
	cas_client_must_reach(was);
	/* the service says the instance is gone: the cached list is out of date */
	if (rc == -ENOENT && !e->from_cache && (kind == CAS_CK_DETAIL || kind == CAS_CK_CERT))
		cas_cache_invalidate(c, CAS_CK_INSTANCES, "");
	return rc;
}

/* ---- one list entry from a detail -------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? cas_xstrdup(s) : NULL;
}

static void instance_copy(struct cas_instance *to, const struct cas_instance *from)
{
	*to = *from;
	to->id = dup_or_null(from->id);
	for (size_t k = 0; k < cas_instance_nstrs; k++) {
		char **p = (char **)((char *)to + cas_instance_strs[k].off);
		*p = dup_or_null(*p);
	}
	to->json = from->json ? cas_xstrndup(from->json, from->json_len) : NULL;
}

/* The list fields a detail may bring that an entry lacked (a value set for
 * the first time): the value files' fields. */
static int list_field(const char *k)
{
	for (size_t i = 0; i < cas_instance_nstrs; i++)
		if (strcmp(cas_instance_strs[i].wire, k) == 0)
			return 1;
	return strcmp(k, "CertificateNotBefore") == 0 || strcmp(k, "CertificateNotAfter") == 0 ||
	       strcmp(k, "CertificateId") == 0;
}

int cas_cache_entry_from_detail(const struct cas_instance *old, const struct cas_doc *d, struct cas_instance *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *entry = old->json ? cJSON_ParseWithLength(old->json, old->json_len) : NULL;
	cJSON *det = cJSON_ParseWithLength(d->text, d->len);
	int ok = cJSON_IsObject(entry) && cJSON_IsObject(det);
	const cJSON *did = ok ? cJSON_GetObjectItemCaseSensitive(det, "InstanceId") : NULL;
	/* a detail of another instance (or without its id) cannot stand for this entry */
	ok = ok && cJSON_IsString(did) && strcmp(did->valuestring, old->id) == 0;
	/* fields the entry shows take the detail's value; list-only fields
	 * (absent from the detail) keep theirs */
	for (const cJSON *f = ok ? det->child : NULL; f; f = f->next) {
		if (!f->string || (!cJSON_HasObjectItem(entry, f->string) && !list_field(f->string)))
			continue;
		cJSON *v = cJSON_Duplicate(f, 1);
		if (cJSON_HasObjectItem(entry, f->string))
			cJSON_ReplaceItemInObjectCaseSensitive(entry, f->string, v);
		else
			cJSON_AddItemToObject(entry, f->string, v);
	}
	struct cas_dec_tally t = { 0 };
	ok = ok && cas_instance_parse(entry, out, &t) && strcmp(out->id, old->id) == 0;
	if (!ok && out->id)
		cas_instance_clear(out);
	cJSON_Delete(entry);
	cJSON_Delete(det);
	return ok;
}

/* After a successful change of one existing instance (membership did not
 * change): its detail is fetched again at once (fresh, never stale) and its
 * entry in the cached list rewritten from it, so the list keeps its age and
 * no re-listing is needed. Whatever cannot be done that way (no fresh
 * detail, a detail fetch sent before the change still in flight, no list,
 * a list fetch in flight that would overwrite the entry) falls back to
 * invalidating the list. */
static void instance_updated(struct cas_cache *c, const char *id)
{
	cas_cache_invalidate(c, CAS_CK_DETAIL, id); /* the copy from before the change */
	cas_cache_invalidate(c, CAS_CK_SUMMARY, "");
	pthread_mutex_lock(&c->mu);
	struct centry *de = find(c, CAS_CK_DETAIL, id, 0);
	int busy = de && de->fetching; /* sent before the change: the writer does not wait for it */
	pthread_mutex_unlock(&c->mu);
	struct cas_doc *d = NULL;
	struct cas_error err;
	cas_error_clear(&err);
	if (busy || cas_cache_get_fresh(c, CAS_CK_DETAIL, id, (void **)&d, &err) != 0) {
		cas_cache_invalidate(c, CAS_CK_INSTANCES, "");
		return;
	}
	struct cas_instances *old = NULL, *nl = NULL;
	uint64_t gen = 0;
	pthread_mutex_lock(&c->mu);
	struct centry *e = find(c, CAS_CK_INSTANCES, "", 0);
	int usable = e && e->value && !e->neg && !e->fetching && e->fetched_ms;
	const struct cas_instance *was = usable ? cas_instances_find(e->value, id) : NULL;
	struct cas_instance now;
	if (was && cas_cache_entry_from_detail(was, d, &now)) {
		old = e->value;
		nl = cas_instances_new();
		nl->n = old->n;
		nl->v = cas_xcalloc(old->n ? old->n : 1, sizeof(*nl->v));
		for (size_t i = 0; i < old->n; i++) {
			if (&old->v[i] == was)
				nl->v[i] = now;
			else
				instance_copy(&nl->v[i], &old->v[i]);
		}
		nl->total_count = old->total_count;
		nl->skipped = old->skipped;
		nl->repeated = old->repeated;
		nl->inconsistent = old->inconsistent;
		nl->as_of_ms = old->as_of_ms;
		e->value = nl; /* fetched_ms stays: the list is as old as it was */
		/* the hook's own reference: a fetch stored after the unlock drops the entry's */
		cas_obj_ref(nl);
		gen = ++c->hook_gen[CAS_CK_INSTANCES];
		c->st.entry_updates++;
	}
	cas_cache_change_fn hook = c->hook;
	void *hctx = c->hook_ctx;
	pthread_mutex_unlock(&c->mu);
	cas_obj_unref(d);
	if (!old) {
		cas_cache_invalidate(c, CAS_CK_INSTANCES, "");
		return;
	}
	if (hook)
		hook(hctx, CAS_CK_INSTANCES, "", old, nl, gen);
	cas_obj_unref(old);
	cas_obj_unref(nl);
}

/* ---- the decorator ---------------------------------------------------- */

/* The cache whose face is a (api is its first member). */
static struct cas_cache *cache_of(struct cas_api *a)
{
	return (struct cas_cache *)((char *)a - offsetof(struct cas_cache, api));
}

static int d_list_instances(struct cas_api *a, const struct cas_list_filter *f, struct cas_instances **out,
			    struct cas_error *e)
{
	static const struct cas_list_filter none;
	if (f && memcmp(f, &none, sizeof(none)) != 0) /* filtered lists are not cached */
		return cache_of(a)->inner->ops->list_instances(cache_of(a)->inner, f, out, e);
	return cache_get(cache_of(a), CAS_CK_INSTANCES, "", (void **)out, e, 1);
}

static int d_detail(struct cas_api *a, const char *id, struct cas_doc **out, struct cas_error *e)
{
	int rc = cache_get(cache_of(a), CAS_CK_DETAIL, id, (void **)out, e, 1);
	/* the service says the instance is gone: the cached list is out of date */
	if (rc == -ENOENT && !e->from_cache)
		cas_cache_invalidate(cache_of(a), CAS_CK_INSTANCES, "");
	return rc;
}

static int d_cert(struct cas_api *a, const char *cert_id, struct cas_cert **out, struct cas_error *e)
{
	int rc = cache_get(cache_of(a), CAS_CK_CERT, cert_id, (void **)out, e, 1);
	/* the listed CertificateId is gone (reissued or deleted): the list is out of date */
	if (rc == -ENOENT && !e->from_cache)
		cas_cache_invalidate(cache_of(a), CAS_CK_INSTANCES, "");
	return rc;
}

static int d_summary(struct cas_api *a, struct cas_doc **out, struct cas_error *e)
{
	return cache_get(cache_of(a), CAS_CK_SUMMARY, "", (void **)out, e, 1);
}

static int d_list_access(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return cache_get(cache_of(a), CAS_CK_ACCESS, "", (void **)out, e, 1);
}

static int d_ca(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return cache_get(cache_of(a), CAS_CK_CA, "", (void **)out, e, 1);
}

/* After any instance mutation (successful or not) the instance, the list and
 * the summary may have changed. */
static void instance_changed(struct cas_cache *c, const char *id)
{
	cas_cache_invalidate(c, CAS_CK_DETAIL, id);
	cas_cache_invalidate(c, CAS_CK_INSTANCES, "");
	cas_cache_invalidate(c, CAS_CK_SUMMARY, "");
}

static int d_update(struct cas_api *a, const struct cas_update *u, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->update_instance(cache_of(a)->inner, u, e);
	publish_instance(cache_of(a), sent, u->instance_id);
	cas_cache_invalidate(cache_of(a), CAS_CK_STORE, ""); /* an issued certificate's name and dates are the instance's */
	if (rc)
		instance_changed(cache_of(a), u->instance_id);
	else
		instance_updated(cache_of(a), u->instance_id);
	return rc;
}

static int d_delete(struct cas_api *a, const char *id, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->delete_instance(cache_of(a)->inner, id, e);
	publish_instance(cache_of(a), sent, id);
	instance_changed(cache_of(a), id);
	cas_cache_invalidate(cache_of(a), CAS_CK_STORE, "");
	return rc;
}

static int d_refund(struct cas_api *a, const char *id, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->refund_instance(cache_of(a)->inner, id, e);
	publish_instance(cache_of(a), sent, id);
	cas_cache_invalidate(cache_of(a), CAS_CK_STORE, "");
	if (rc)
		instance_changed(cache_of(a), id);
	else
		instance_updated(cache_of(a), id);
	return rc;
}

static int d_add_access(struct cas_api *a, const struct cas_access_new *n, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->add_cloud_access(cache_of(a)->inner, n, e);
	publish(cache_of(a), sent, CAS_CK_ACCESS, "");
	cas_cache_invalidate(cache_of(a), CAS_CK_ACCESS, "");
	return rc;
}

static int d_delete_access(struct cas_api *a, const char *id, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->delete_cloud_access(cache_of(a)->inner, id, e);
	publish(cache_of(a), sent, CAS_CK_ACCESS, "");
	cas_cache_invalidate(cache_of(a), CAS_CK_ACCESS, "");
	return rc;
}

/* ---- the certificate store: the list is cached like the others; an
 * upload or a delete, applied or not, drops it (and the deleted CertId's
 * certificate), so the next reader lists the store again. */

static int d_list_store(struct cas_api *a, struct cas_certs **out, struct cas_error *e)
{
	return cache_get(cache_of(a), CAS_CK_STORE, "", (void **)out, e, 1);
}

static int d_upload_cert(struct cas_api *a, const struct cas_upload *u, int64_t *cert_id, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->upload_certificate(cache_of(a)->inner, u, cert_id, e);
	if (!(rc == -EINVAL && strcmp(e->code, "Local.Validation") == 0)) { /* refused locally: nothing sent */
		publish(cache_of(a), sent, CAS_CK_STORE, "");
		cas_cache_invalidate(cache_of(a), CAS_CK_STORE, "");
	}
	return rc;
}

static int d_delete_cert(struct cas_api *a, int64_t cert_id, struct cas_error *e)
{
	uint64_t sent = cas_client_mutations_sent();
	int rc = cache_of(a)->inner->ops->delete_certificate(cache_of(a)->inner, cert_id, e);
	char key[24];
	snprintf(key, sizeof(key), "%lld", (long long)cert_id);
	publish(cache_of(a), sent, CAS_CK_CERT, key);
	publish(cache_of(a), sent, CAS_CK_STORE, "");
	cas_cache_invalidate(cache_of(a), CAS_CK_CERT, key);
	cas_cache_invalidate(cache_of(a), CAS_CK_STORE, "");
	return rc;
}

static const struct cas_api_ops cache_ops = {
	.list_instances = d_list_instances,
	.get_instance_detail = d_detail,
	.get_instance_summary = d_summary,
	.update_instance = d_update,
	.delete_instance = d_delete,
	.refund_instance = d_refund,
	.list_cloud_access = d_list_access,
	.add_cloud_access = d_add_access,
	.delete_cloud_access = d_delete_access,
	.get_ca_instance_status = d_ca,
	.get_user_certificate_detail = d_cert,
	.list_store = d_list_store,
	.upload_certificate = d_upload_cert,
	.delete_certificate = d_delete_cert,
};

struct cas_cache *cas_cache_new(struct cas_api *inner, const struct cas_cache_opts *o)
{
	struct cas_cache *c = cas_xcalloc(1, sizeof(*c));
	c->api.ops = &cache_ops;
	c->inner = inner;
	c->o = *o;
	if (c->o.ttl_zero)
		c->o.ttl_ms = 0;
	else if (c->o.ttl_ms <= 0)
		c->o.ttl_ms = 60000;
	if (c->o.neg_ttl_ms <= 0 && !c->o.ttl_zero)
		c->o.neg_ttl_ms = c->o.ttl_ms < 10000 ? c->o.ttl_ms : 10000;
	if (c->o.max_stale_ms <= 0)
		c->o.max_stale_ms = 600000;
	if (c->o.soft_deadline_ms <= 0)
		c->o.soft_deadline_ms = 2000;
	if (c->o.error_retry_ms <= 0)
		c->o.error_retry_ms = 5000;
	if (!c->o.now_ms)
		c->o.now_ms = mono_ms;
	c->last_sweep_ms = c->o.now_ms(c->o.clock_ctx);
	pthread_mutex_init(&c->mu, NULL);
	cas_cond_init_mono(&c->cv);
	return c;
}

struct cas_api *cas_cache_api(struct cas_cache *c)
{
	return &c->api;
}

/* How long an unmount waits for the background refreshes (see below). */
#define FREE_WAIT_MS 5000

/* The background refreshes are detached threads that use c. Each is bounded
 * by its call's timeout, and the client's shutdown (before teardown frees
 * the cache) aborts its transfers, so they end at once; but one stuck in a
 * call that ignores the shutdown would hold the unmount forever. So the wait
 * is bounded: past it, the cache is logged and left allocated (a leak in a
 * process about to exit) rather than freed under a thread that still uses
 * it. 0 when freed, else the refreshes still running (c is left valid and
 * may be freed again later). */
int cas_cache_free_within(struct cas_cache *c, int64_t wait_ms)
{
	if (!c)
		return 0;
	int64_t until = cas_now_ns() + wait_ms * 1000000;
	pthread_mutex_lock(&c->mu);
	while (c->background && cas_now_ns() < until) {
		pthread_mutex_unlock(&c->mu);
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&c->mu);
	}
	int left = c->background;
	pthread_mutex_unlock(&c->mu);
	if (left) {
		cas_warn("cache: %d background refresh%s still running after %lld ms: the cache is not freed "
			 "(it exits with the process)", left, left == 1 ? "" : "es", (long long)wait_ms);
		return left;
	}
	for (int k = 0; k < CAS_CK_N; k++) {
		struct centry *e, *tmp;
		HASH_ITER(hh, c->table[k], e, tmp) {
			HASH_DEL(c->table[k], e);
			entry_free(e);
		}
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	return 0;
}

int cas_cache_free(struct cas_cache *c)
{
	return cas_cache_free_within(c, FREE_WAIT_MS);
}
