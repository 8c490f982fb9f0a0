/* test_cache: cache/cache.h over a fake struct cas_api (fake_api.c) with a
 * fake clock: hits within the TTL and refetch after it (per kind), one inner
 * call for 16 concurrent misses, negative caching of -ENOENT, stale data on
 * failed refreshes within max_stale (and an error past it), the soft
 * deadline letting a reader have the stale copy while the refresh goes on
 * in the background, invalidation by mutations (also failed ones; never
 * served stale; not satisfied by a fetch that began before it), drop_all,
 * the change hook, filtered lists bypassing the cache, peek and sweep.
 * Concurrency is driven by the fake's gate and the cache's own counters;
 * nothing is asserted about elapsed time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>

#include "buf.h"
#include "cache.h"
#include "cache_test.h"
#include "deadline.h"
#include "deadline.h"
#include "fake_api.h"
#include "log.h"
#include "model.h"
#include "ops.h"

#define T0 1000000 /* fake clock start, ms */

struct env {
	struct fake_api f;
	struct fake_clock clk;
	struct cas_cache *c;
	struct cas_api *api;
	/* change hook log */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int hooks;
	enum cas_ck hook_kind;
	char hook_key[64];
	char *hook_old, *hook_new;
	void (*in_hook)(struct env *v, const char *key);
	uint64_t list_gens[16]; /* the gen of each CAS_CK_INSTANCES hook call, in the order they ended */
	int nlist_gens;
	/* t17_hook_outlives_a_relisting */
	int relist_armed, relist_rc;
	int refs_in_hook;
	char name_after_relist[64];
};

static struct env *new_env(const struct cas_cache_opts *o_in)
{
	struct env *v = cas_xcalloc(1, sizeof(*v));
	fake_init(&v->f);
	v->f.ctx = v;
	atomic_store(&v->clk.now, T0);
	struct cas_cache_opts o = *o_in;
	o.now_ms = fake_now_ms;
	o.clock_ctx = &v->clk;
	v->c = cas_cache_new(&v->f.api, &o);
	v->api = cas_cache_api(v->c);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	return v;
}

static void free_env(struct env *v)
{
	cas_cache_free(v->c);
	fake_destroy(&v->f);
	free(v->hook_old);
	free(v->hook_new);
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->cv);
	free(v);
}

/* The usual options: 1 s TTL, 0.5 s negative TTL, 10 s max stale, 5 s
 * error retry, and a soft deadline long enough that a reader always sees
 * the outcome of a refresh that completes (tests of the soft deadline set
 * it to 1 ms instead). */
static struct cas_cache_opts opts(void)
{
	struct cas_cache_opts o = { 0 };
	o.ttl_ms = 1000;
	o.neg_ttl_ms = 500;
	o.max_stale_ms = 10000;
	o.error_retry_ms = 5000;
	o.soft_deadline_ms = 600000;
	return o;
}

static void set_now(struct env *v, int64_t t)
{
	atomic_store(&v->clk.now, t);
}

/* get_instance_detail through the cache; returns rc and the text (or NULL). */
static int detail(struct env *v, const char *id, char **text, struct cas_error *e)
{
	struct cas_doc *d = NULL;
	struct cas_error e2;
	if (!e)
		e = &e2;
	cas_error_clear(e);
	int rc = v->api->ops->get_instance_detail(v->api, id, &d, e);
	if (text)
		*text = d ? cas_xstrndup(d->text, d->len) : NULL;
	if (rc == 0)
		assert_non_null(d);
	else
		assert_null(d);
	cas_obj_unref(d);
	return rc;
}

static void expect_detail(struct env *v, const char *id, int version)
{
	char *t = NULL;
	struct cas_error e;
	int rc = detail(v, id, &t, &e);
	if (rc)
		fail_msg("detail(%s): rc %d (%s: %s)", id, rc, e.code, e.message);
	char *want = fake_detail_text(id, version);
	if (strcmp(t, want) != 0)
		fail_msg("detail(%s) served\n%s\nwant (version %d)\n%s", id, t, version, want);
	free(want);
	free(t);
}

static struct cas_cache_stats stats(struct env *v)
{
	struct cas_cache_stats s;
	cas_cache_stats(v->c, &s);
	return s;
}

static int summary(struct env *v)
{
	struct cas_doc *d = NULL;
	struct cas_error e;
	int rc = v->api->ops->get_instance_summary(v->api, &d, &e);
	cas_obj_unref(d);
	return rc;
}

static int list(struct env *v, const struct cas_list_filter *flt)
{
	struct cas_instances *l = NULL;
	struct cas_error e;
	int rc = v->api->ops->list_instances(v->api, flt, &l, &e);
	if (rc == 0)
		assert_int_equal(l->n, 5);
	cas_obj_unref(l);
	return rc;
}

static int access_list(struct env *v)
{
	struct cas_entries *l = NULL;
	struct cas_error e;
	int rc = v->api->ops->list_cloud_access(v->api, &l, &e);
	cas_obj_unref(l);
	return rc;
}

static int ca_list(struct env *v)
{
	struct cas_entries *l = NULL;
	struct cas_error e;
	int rc = v->api->ops->get_ca_instance_status(v->api, &l, &e);
	cas_obj_unref(l);
	return rc;
}

#define CALLS(v, a) fake_calls(&(v)->f, a)

/* ---- freshness -------------------------------------------------------------- */

static void hit_within_ttl(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	fake_bump_version(&v->f); /* the service changed; the cache does not know yet */
	set_now(v, T0 + 999);
	expect_detail(v, "a", 1);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.hits, 2);
	assert_int_equal(s.stale_served, 0);
	assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	/* another key is its own entry */
	expect_detail(v, "b", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	/* every read kind is cached */
	assert_int_equal(summary(v), 0);
	assert_int_equal(summary(v), 0);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(access_list(v), 0);
	assert_int_equal(access_list(v), 0);
	assert_int_equal(ca_list(v), 0);
	assert_int_equal(ca_list(v), 0);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_SUMMARY), 1);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 1);
	assert_int_equal(CALLS(v, CAS_LIST_CLOUD_ACCESS), 1);
	assert_int_equal(CALLS(v, CAS_GET_CA_INSTANCE_STATUS), 1);
	free_env(v);
}

static void refetch_after_ttl(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1000);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	expect_detail(v, "a", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	/* fresh again from the refetch time */
	set_now(v, T0 + 1999);
	expect_detail(v, "a", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(stats(v).stale_served, 0);
	free_env(v);
}

static void ttl_per_kind(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.ttl_kind_ms[CAS_CK_DETAIL] = 5000;
	struct env *v = new_env(&o);
	assert_int_equal(cas_cache_ttl_ms(v->c), 1000);
	expect_detail(v, "a", 1);
	assert_int_equal(summary(v), 0);
	set_now(v, T0 + 2000);
	expect_detail(v, "a", 1); /* detail lives 5 s */
	assert_int_equal(summary(v), 0);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_SUMMARY), 2);
	set_now(v, T0 + 5000);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	free_env(v);
}

/* ---- coalescing --------------------------------------------------------------- */

struct reader {
	struct env *v;
	const char *id;
	pthread_t th;
	int rc;
	char *text;
	atomic_int done;
};

static void *read_detail(void *arg)
{
	struct reader *r = arg;
	r->rc = detail(r->v, r->id, &r->text, NULL);
	atomic_store(&r->done, 1);
	return NULL;
}

struct waitarg {
	struct env *v;
	uint64_t n;
	struct reader *r;
};

static int misses_plus_coalesced(void *arg)
{
	struct waitarg *w = arg;
	struct cas_cache_stats s = stats(w->v);
	return s.misses + s.coalesced >= w->n;
}

#define NREADERS 16

static void coalesce_concurrent_misses(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_hold(&v->f, NREADERS); /* every detail call that arrives is held */
	struct reader r[NREADERS];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < NREADERS; i++) {
		r[i].v = v;
		r[i].id = "x";
		assert_int_equal(pthread_create(&r[i].th, NULL, read_detail, &r[i]), 0);
	}
	/* all 16 are inside the cache: one fetching (held by the fake), the rest waiting */
	struct waitarg w = { v, NREADERS, NULL };
	wait_until(misses_plus_coalesced, &w);
	fake_wait_held(&v->f, 1);
	fake_release(&v->f);
	char *want = fake_detail_text("x", 1);
	for (int i = 0; i < NREADERS; i++) {
		pthread_join(r[i].th, NULL);
		assert_int_equal(r[i].rc, 0);
		assert_string_equal(r[i].text, want);
		free(r[i].text);
	}
	free(want);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.coalesced, NREADERS - 1);
	free_env(v);
}

static void coalesce_failure_shared(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	fake_hold(&v->f, NREADERS);
	struct reader r[NREADERS];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < NREADERS; i++) {
		r[i].v = v;
		r[i].id = "y";
		assert_int_equal(pthread_create(&r[i].th, NULL, read_detail, &r[i]), 0);
	}
	struct waitarg w = { v, NREADERS, NULL };
	wait_until(misses_plus_coalesced, &w);
	fake_wait_held(&v->f, 1);
	fake_release(&v->f);
	for (int i = 0; i < NREADERS; i++) {
		pthread_join(r[i].th, NULL);
		assert_int_equal(r[i].rc, -EIO); /* everyone gets the one answer */
		assert_null(r[i].text);
	}
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_int_equal(stats(v).fetch_errors, 1);
	free_env(v);
}

/* ---- negative entries ------------------------------------------------------------ */

static void negative_caching(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	struct cas_error e;
	assert_int_equal(detail(v, "gone", NULL, &e), -ENOENT);
	assert_int_equal(e.err, ENOENT);
	assert_string_equal(e.code, "InvalidInstanceId.NotFound");
	set_now(v, T0 + 499);
	cas_error_clear(&e);
	assert_int_equal(detail(v, "gone", NULL, &e), -ENOENT);
	assert_string_equal(e.code, "InvalidInstanceId.NotFound"); /* the cached answer carries the error */
	assert_int_equal(e.err, ENOENT);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "gone"));
	assert_null(cas_cache_peek(v->c, CAS_CK_DETAIL, "gone"));
	/* neg_ttl over: asked again */
	set_now(v, T0 + 500);
	assert_int_equal(detail(v, "gone", NULL, &e), -ENOENT);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	free_env(v);

	/* the default negative TTL is min(ttl, 10 s) */
	o = opts();
	o.neg_ttl_ms = 0;
	o.ttl_ms = 60000;
	v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	set_now(v, T0 + 9999);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	set_now(v, T0 + 10000);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	free_env(v);
}

/* .cas/stats shows these counters: a lookup answered by the inner call is
 * a miss, and only one answered from a cached 404 is a negative hit (as a
 * positive first fetch is a miss and not a hit). */
static void negative_hits_counted_once(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.negative_hits, 0);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	s = stats(v);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.negative_hits, 2);
	assert_int_equal(s.hits, 0);
	/* the same for a positive entry, for comparison */
	expect_detail(v, "a", 1);
	expect_detail(v, "a", 1);
	s = stats(v);
	assert_int_equal(s.misses, 2);
	assert_int_equal(s.hits, 1);
	free_env(v);
}

static void not_found_is_never_served_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_add_missing(&v->f, "a"); /* deleted behind our back */
	set_now(v, T0 + 1500);
	assert_int_equal(detail(v, "a", NULL, NULL), -ENOENT);
	assert_int_equal(stats(v).stale_served, 0);
	assert_null(cas_cache_peek(v->c, CAS_CK_DETAIL, "a"));
	free_env(v);
}

/* ---- stale data ------------------------------------------------------------------- */

/* Background refreshes run on their own threads: wait (bounded) until the
 * counter at `off` in the stats reaches n. */
static void wait_stat(struct env *v, size_t off, uint64_t n)
{
	for (int i = 0; i < 10000; i++) {
		struct cas_cache_stats s = stats(v);
		uint64_t got;
		memcpy(&got, (const char *)&s + off, sizeof(got));
		if (got >= n)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("a background refresh did not complete");
}
#define wait_errors(v, n) wait_stat(v, offsetof(struct cas_cache_stats, fetch_errors), n)

static void stale_on_error_within_max_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1); /* the refresh failed: the stale copy, rc 0 */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.stale_served, 1);
	assert_int_equal(s.stale_on_error, 1);
	assert_int_equal(s.fetch_errors, 1);
	/* within error_retry_ms the stale copy is served without asking again */
	set_now(v, T0 + 1500 + 4999);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(stats(v).stale_on_error, 2);
	/* then it tries again; the API failed last time, so the reader gets the
	 * stale copy at once while the refresh fails again in the background */
	set_now(v, T0 + 1500 + 5000);
	expect_detail(v, "a", 1);
	wait_errors(v, 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	assert_int_equal(stats(v).stale_served, 3);
	assert_int_equal(stats(v).stale_on_error, 2);
	/* the service recovers (and the copy is past max_stale): the reader
	 * waits for the refresh */
	fake_set(&v->f, &v->f.read_rc, 0);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1500 + 10000);
	expect_detail(v, "a", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 4);
	assert_int_equal(stats(v).stale_on_error, 2);
	/* stale serving works for the lists too */
	assert_int_equal(list(v, NULL), 0);
	fake_set(&v->f, &v->f.read_rc, -EAGAIN);
	set_now(v, T0 + 1500 + 12000);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(stats(v).stale_on_error, 3);
	free_env(v);
}

static void error_past_max_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	/* expired at T0+1000; stale allowed until T0+1000+10000 */
	set_now(v, T0 + 1000 + 10000);
	expect_detail(v, "a", 1);
	set_now(v, T0 + 1000 + 10000 + 5001); /* past max_stale, past the retry pause */
	struct cas_error e;
	char *t = NULL;
	assert_int_equal(detail(v, "a", &t, &e), -EIO);
	assert_null(t);
	assert_int_equal(e.err, EIO);
	assert_string_equal(e.code, "InternalError");
	assert_string_equal(e.request_id, "FAKE-RID");
	free_env(v);

	/* straight past max_stale without an earlier failure */
	v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1000 + 10001);
	assert_int_equal(detail(v, "a", NULL, NULL), -EIO);
	assert_int_equal(stats(v).stale_served, 0);
	free_env(v);
}

/* ---- soft deadline ------------------------------------------------------------------ */

static void hook_record(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value,
			uint64_t gen)
{
	struct env *v = ctx;
	if (v->in_hook)
		v->in_hook(v, key);
	pthread_mutex_lock(&v->mu);
	if (kind == CAS_CK_INSTANCES && v->nlist_gens < 16)
		v->list_gens[v->nlist_gens++] = gen;
	v->hooks++;
	v->hook_kind = kind;
	snprintf(v->hook_key, sizeof(v->hook_key), "%s", key);
	free(v->hook_old);
	free(v->hook_new);
	v->hook_old = v->hook_new = NULL;
	if (kind == CAS_CK_DETAIL || kind == CAS_CK_SUMMARY) {
		const struct cas_doc *o = old_value, *n = new_value;
		v->hook_old = o ? cas_xstrndup(o->text, o->len) : NULL;
		v->hook_new = n ? cas_xstrndup(n->text, n->len) : NULL;
	}
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
}

static int hooks(struct env *v)
{
	pthread_mutex_lock(&v->mu);
	int n = v->hooks;
	pthread_mutex_unlock(&v->mu);
	return n;
}

static void wait_hooks(struct env *v, int n)
{
	pthread_mutex_lock(&v->mu);
	while (v->hooks < n)
		pthread_cond_wait(&v->cv, &v->mu);
	pthread_mutex_unlock(&v->mu);
}

static void soft_deadline_serves_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 1;
	struct env *v = new_env(&o);
	cas_cache_set_change_hook(v->c, hook_record, v);
	expect_detail(v, "a", 1);
	assert_int_equal(hooks(v), 1);
	fake_bump_version(&v->f);
	fake_hold(&v->f, 1);
	set_now(v, T0 + 1500);
	/* the refresh is held by the fake; the reader gets the stale copy */
	expect_detail(v, "a", 1);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.stale_served, 1);
	assert_int_equal(s.stale_on_error, 0);
	/* the refresh completes later, in the background */
	fake_wait_held(&v->f, 1);
	fake_release(&v->f);
	wait_hooks(v, 2);
	assert_string_equal(v->hook_key, "a");
	char *want = fake_detail_text("a", 2);
	assert_string_equal(v->hook_new, want);
	struct cas_doc *d = cas_cache_peek(v->c, CAS_CK_DETAIL, "a");
	assert_non_null(d);
	assert_string_equal(d->text, want);
	cas_obj_unref(d);
	free(want);
	/* and it is fresh: no more calls */
	expect_detail(v, "a", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	free_env(v);
}

/* The unmount's free waits for the background refreshes, but not forever:
 * a refresh stuck in a call (here the fake holds it, as a call that ignores
 * the client's shutdown would) leaves the cache allocated after the bound
 * instead of hanging; freed once the refresh has ended. */
struct freer {
	struct cas_cache *c;
	int rc;
	atomic_int done;
};

static void *free_cache(void *arg)
{
	struct freer *f = arg;
	f->rc = cas_cache_free_within(f->c, 200);
	atomic_store(&f->done, 1);
	return NULL;
}

static void free_bounded_by_a_stuck_refresh(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 1;
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	fake_hold(&v->f, 1);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1); /* stale; the refresh is held in the fake */
	fake_wait_held(&v->f, 1);
	struct freer f = { .c = v->c };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, free_cache, &f), 0);
	for (int i = 0; i < 1000 && !atomic_load(&f.done); i++) /* up to 10 s for a 200 ms bound */
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	int returned = atomic_load(&f.done);
	fake_release(&v->f);
	pthread_join(th, NULL);
	assert_true(returned);              /* it did not wait for the stuck refresh */
	assert_int_equal(f.rc, 1);          /* and left the cache to it */
	while (cas_cache_free_within(v->c, 100) != 0) /* the refresh ended: freed now */
		;
	v->c = NULL;
	free_env(v);
}

static void soft_deadline_without_stale_waits(void **state)
{
	(void)state;
	/* with nothing stale to give, a reader waits for the fetch, deadline or not */
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 1;
	struct env *v = new_env(&o);
	fake_hold(&v->f, 1);
	struct reader r = { .v = v, .id = "a" };
	assert_int_equal(pthread_create(&r.th, NULL, read_detail, &r), 0);
	fake_wait_held(&v->f, 1);
	assert_false(atomic_load(&r.done));
	fake_release(&v->f);
	pthread_join(r.th, NULL);
	assert_int_equal(r.rc, 0);
	free(r.text);
	free_env(v);
}

/* ---- one deadline per operation (deadline.h) ---------------------------------------- */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void op_deadline_caps_the_soft_wait(void **state)
{
	(void)state;
	/* a 5 s soft deadline, but the operation began 5 s ago: it has none left,
	 * so the first reader gets the stale copy while the refresh is still held;
	 * the API is now degraded, and a reader with a fresh operation gets the
	 * stale copy at once too instead of waiting its 5 s */
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 5000;
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	fake_hold(&v->f, 1);
	set_now(v, T0 + 1500);
	struct cas_op old = { mono_ns() - 5000000000LL, mono_ns() + 15000000000LL };
	cas_op_adopt(&old);
	expect_detail(v, "a", 1);
	fake_wait_held(&v->f, 1);
	cas_op_begin(20000, -1, -1);
	int64_t t0 = mono_ns();
	expect_detail(v, "a", 1);
	assert_true(mono_ns() - t0 < 2500000000LL); /* far below the 5 s it would wait if not degraded */
	assert_int_equal(stats(v).stale_served, 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2); /* one refresh in flight, shared */
	fake_release(&v->f);
	cas_op_end();
	free_env(v);
}

static void *read_detail_in_op(void *arg)
{
	struct reader *r = arg;
	cas_op_begin(100, -1, -1); /* this reader's operation has 100 ms */
	r->rc = detail(r->v, r->id, &r->text, NULL);
	atomic_store(&r->done, 1);
	return NULL;
}

static void nothing_stale_fails_at_the_op_deadline(void **state)
{
	(void)state;
	/* a fetch with nothing stale is held; a second reader whose operation has
	 * 100 ms gets ETIMEDOUT while the fetch is still held */
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_hold(&v->f, 1);
	struct reader a = { .v = v, .id = "a" }, b = { .v = v, .id = "a" };
	assert_int_equal(pthread_create(&a.th, NULL, read_detail, &a), 0);
	fake_wait_held(&v->f, 1);
	assert_int_equal(pthread_create(&b.th, NULL, read_detail_in_op, &b), 0);
	pthread_join(b.th, NULL);
	assert_int_equal(b.rc, -ETIMEDOUT);
	assert_false(atomic_load(&a.done));
	fake_release(&v->f);
	pthread_join(a.th, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	free(a.text);
	free(b.text);
	free_env(v);
}

static void ttl_zero_fresh_within_one_operation(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.ttl_ms = 0;
	o.ttl_zero = 1;
	struct env *v = new_env(&o);
	cas_op_begin(20000, -1, -1);
	expect_detail(v, "a", 1);
	expect_detail(v, "a", 1); /* the same operation: no second call */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	fake_bump_version(&v->f);
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL); /* the next operation begins after the fetch */
	cas_op_begin(20000, -1, -1);
	expect_detail(v, "a", 2); /* a new operation revalidates */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	cas_op_end();
	expect_detail(v, "a", 2); /* no operation (a background thread): never fresh */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	free_env(v);
}

/* ---- invalidation ------------------------------------------------------------------ */

static void mutation_invalidates(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	expect_detail(v, "b", 1);
	struct cas_update u = { .instance_id = "a", .domain = "x.com" };
	struct cas_error e;
	cas_error_clear(&e);
	assert_int_equal(v->api->ops->update_instance(v->api, &u, &e), 0);
	assert_int_equal(CALLS(v, CAS_UPDATE_INSTANCE), 1);
	/* a successful change fetches the instance's detail again at once */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "b")); /* only what the mutation affects */
	expect_detail(v, "a", 2);
	expect_detail(v, "b", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	assert_true(stats(v).invalidations >= 1);
	free_env(v);
}

static void invalidated_is_never_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	struct cas_update u = { .instance_id = "a", .domain = "x.com" };
	struct cas_error e;
	fake_set(&v->f, &v->f.read_rc, -EIO); /* the refetch after the change fails too */
	assert_int_equal(v->api->ops->update_instance(v->api, &u, &e), 0);
	/* well within TTL and max_stale: still an error, never the pre-mutation copy */
	set_now(v, T0 + 10);
	assert_int_equal(detail(v, "a", NULL, &e), -EIO);
	assert_int_equal(e.err, EIO);
	assert_int_equal(detail(v, "a", NULL, &e), -EIO);
	assert_int_equal(stats(v).stale_served, 0);
	free_env(v);

	/* the same for an explicit invalidation */
	v = new_env(&o);
	expect_detail(v, "a", 1);
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "a");
	fake_set(&v->f, &v->f.read_rc, -EIO);
	assert_int_equal(detail(v, "a", NULL, NULL), -EIO);
	assert_int_equal(stats(v).stale_served, 0);
	/* invalidating what was never cached is harmless */
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "never");
	cas_cache_invalidate(v->c, CAS_CK_SUMMARY, NULL);
	free_env(v);
}


/* ---- the state a commit compares with -------------------------------------------------- */

static int fresh_detail(struct env *v, const char *id, int version)
{
	struct cas_doc *d = NULL;
	struct cas_error e;
	cas_error_clear(&e);
	int rc = cas_cache_get_fresh(v->c, CAS_CK_DETAIL, id, (void **)&d, &e);
	if (rc == 0) {
		char *want = fake_detail_text(id, version);
		if (d->len != strlen(want) || memcmp(d->text, want, d->len) != 0)
			fail_msg("fresh detail(%s) is\n%.*s\nwant version %d", id, (int)d->len, d->text, version);
		free(want);
	} else {
		assert_null(d);
	}
	cas_obj_unref(d);
	return rc;
}

/* After a failed refresh a read is given the stale copy; the fresh lookup
 * never is: it fetches (and fails with the fetch's error), and within the
 * ttl it takes the cached copy without a call. */
static void get_fresh_never_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	assert_int_equal(fresh_detail(v, "a", 1), 0); /* within the ttl: the cached copy */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1); /* a read: stale, the refresh failed */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	/* the service changed; a read would still be given the stale copy (error_retry) */
	fake_set(&v->f, &v->f.read_rc, 0);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1600);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(fresh_detail(v, "a", 2), 0); /* fetched */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	expect_detail(v, "a", 2); /* and stored */
	/* a failing fetch is the lookup's error, never the stale copy */
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 3000);
	uint64_t stale = stats(v).stale_served;
	assert_int_equal(fresh_detail(v, "a", 2), -EIO);
	assert_int_equal(stats(v).stale_served, stale);
	free_env(v);
}

/* ---- a list entry rewritten from a detail ---------------------------------------------- */

static void entry_of(const char *json, struct cas_instance *out)
{
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	assert_int_equal(cas_instance_parse(j, out, NULL), 1);
	cJSON_Delete(j);
}

static void entry_from_detail(void **state)
{
	(void)state;
	struct cas_instance old, now;
	entry_of("{\"InstanceId\":\"a\",\"CertificateName\":\"old\",\"Status\":\"normal\","
		 "\"CertificateDomain\":\"cd.example\"}",
		 &old);
	const char *text = "{\"InstanceId\":\"a\",\"CertificateName\":\"new\",\"Status\":\"normal\","
			   "\"City\":\"Hangzhou\",\"Domain\":\"d.example\",\"CertificateNotAfter\":1700000000000}";
	struct cas_doc *d = cas_doc_new(text, strlen(text));
	assert_int_equal(cas_cache_entry_from_detail(&old, d, &now), 1);
	assert_string_equal(now.id, "a");
	assert_string_equal(now.name, "new");
	assert_string_equal(now.domain, "d.example"); /* a value file's field, new to the entry */
	assert_int_equal(now.not_after, 1700000000000LL);
	assert_non_null(strstr(now.json, "\"CertificateDomain\":\"cd.example\"")); /* list-only: kept */
	assert_null(strstr(now.json, "City"));                                   /* detail-only: not added */
	assert_true(now.hash != old.hash);
	cas_instance_clear(&now);
	cas_obj_unref(d);
	/* a detail of another instance, or no JSON object, cannot stand for the entry */
	text = "{\"InstanceId\":\"b\",\"CertificateName\":\"new\"}";
	d = cas_doc_new(text, strlen(text));
	assert_int_equal(cas_cache_entry_from_detail(&old, d, &now), 0);
	assert_null(now.id);
	cas_obj_unref(d);
	d = cas_doc_new("[1]", 3);
	assert_int_equal(cas_cache_entry_from_detail(&old, d, &now), 0);
	cas_obj_unref(d);
	cas_instance_clear(&old);
}

static int reader_done_or_coalesced(void *arg)
{
	struct waitarg *w = arg;
	return atomic_load(&w->r->done) || stats(w->v).coalesced >= w->n;
}

/* A read that starts after a mutation returned must not be answered by a
 * fetch that was sent before the mutation (it may carry the old state). */
static void invalidation_not_satisfied_by_older_fetch(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 1;
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	/* a background refresh is sent while the service still has version 1 */
	fake_hold(&v->f, 1);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1); /* stale, soft deadline */
	fake_wait_held(&v->f, 1);
	/* now a mutation: the service moves to version 2, the cache invalidates */
	struct cas_update u = { .instance_id = "a", .domain = "x.com" };
	struct cas_error e;
	assert_int_equal(v->api->ops->update_instance(v->api, &u, &e), 0);
	/* a new reader; then the old refresh (version 1) comes back */
	uint64_t coalesced = stats(v).coalesced;
	struct reader r = { .v = v, .id = "a" };
	assert_int_equal(pthread_create(&r.th, NULL, read_detail, &r), 0);
	struct waitarg w = { v, coalesced + 1, &r };
	wait_until(reader_done_or_coalesced, &w);
	fake_release(&v->f);
	pthread_join(r.th, NULL);
	assert_int_equal(r.rc, 0);
	char *want = fake_detail_text("a", 2);
	if (strcmp(r.text, want) != 0)
		fail_msg("a read after the mutation was answered with the pre-mutation fetch:\n%s", r.text);
	free(want);
	free(r.text);
	free_env(v);
}

static void mutations_invalidate_even_when_failing(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_set(&v->f, &v->f.mutate_rc, -EIO);
	struct {
		const char *name;
		int act;
	} muts[] = { { "update", CAS_UPDATE_INSTANCE }, { "delete", CAS_DELETE_INSTANCE }, { "refund", CAS_REFUND_INSTANCE } };
	for (size_t m = 0; m < sizeof(muts) / sizeof(muts[0]); m++) {
		expect_detail(v, "a", 1);
		expect_detail(v, "b", 1);
		assert_int_equal(list(v, NULL), 0);
		assert_int_equal(summary(v), 0);
		assert_int_equal(access_list(v), 0);
		int d0 = CALLS(v, CAS_GET_INSTANCE_DETAIL), l0 = CALLS(v, CAS_LIST_INSTANCES),
		    s0 = CALLS(v, CAS_GET_INSTANCE_SUMMARY), a0 = CALLS(v, CAS_LIST_CLOUD_ACCESS);
		struct cas_error e;
		cas_error_clear(&e);
		int rc;
		if (muts[m].act == CAS_UPDATE_INSTANCE) {
			struct cas_update u = { .instance_id = "a", .city = "x" };
			rc = v->api->ops->update_instance(v->api, &u, &e);
		} else if (muts[m].act == CAS_DELETE_INSTANCE) {
			rc = v->api->ops->delete_instance(v->api, "a", &e);
		} else {
			rc = v->api->ops->refund_instance(v->api, "a", &e);
		}
		/* the failure passes through unchanged */
		assert_int_equal(rc, -EIO);
		assert_int_equal(e.err, EIO);
		assert_string_equal(e.code, "InternalError");
		assert_int_equal(CALLS(v, muts[m].act), 1);
		assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
		assert_false(cas_cache_fresh(v->c, CAS_CK_INSTANCES, ""));
		assert_false(cas_cache_fresh(v->c, CAS_CK_SUMMARY, ""));
		assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "b"));
		assert_true(cas_cache_fresh(v->c, CAS_CK_ACCESS, ""));
		expect_detail(v, "a", 1);
		expect_detail(v, "b", 1);
		assert_int_equal(list(v, NULL), 0);
		assert_int_equal(summary(v), 0);
		assert_int_equal(access_list(v), 0);
		assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), d0 + 1);
		assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), l0 + 1);
		assert_int_equal(CALLS(v, CAS_GET_INSTANCE_SUMMARY), s0 + 1);
		assert_int_equal(CALLS(v, CAS_LIST_CLOUD_ACCESS), a0);
	}
	/* cloud-access mutations invalidate the cloud-access list only */
	assert_int_equal(summary(v), 0);
	struct cas_access_new n = { "Tencent", "id", "secret" };
	struct cas_error e;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(access_list(v), 0);
		int a0 = CALLS(v, CAS_LIST_CLOUD_ACCESS), s0 = CALLS(v, CAS_GET_INSTANCE_SUMMARY);
		int rc = k == 0 ? v->api->ops->add_cloud_access(v->api, &n, &e)
				: v->api->ops->delete_cloud_access(v->api, "888", &e);
		assert_int_equal(rc, -EIO);
		assert_false(cas_cache_fresh(v->c, CAS_CK_ACCESS, ""));
		assert_int_equal(access_list(v), 0);
		assert_int_equal(summary(v), 0);
		assert_int_equal(CALLS(v, CAS_LIST_CLOUD_ACCESS), a0 + 1);
		assert_int_equal(CALLS(v, CAS_GET_INSTANCE_SUMMARY), s0);
	}
	assert_int_equal(CALLS(v, CAS_ADD_CLOUD_ACCESS), 1);
	assert_int_equal(CALLS(v, CAS_DELETE_CLOUD_ACCESS), 1);
	/* and successful mutations too */
	fake_set(&v->f, &v->f.mutate_rc, 0);
	assert_int_equal(v->api->ops->delete_instance(v->api, "b", &e), 0);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "b"));
	free_env(v);
}

static void drop_all(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	expect_detail(v, "a", 1);
	expect_detail(v, "b", 1);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(summary(v), 0);
	assert_int_equal(access_list(v), 0);
	assert_int_equal(ca_list(v), 0);
	cas_cache_drop_all(v->c);
	static const enum cas_ck kinds[] = { CAS_CK_INSTANCES, CAS_CK_SUMMARY, CAS_CK_ACCESS, CAS_CK_CA };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		assert_false(cas_cache_fresh(v->c, kinds[i], ""));
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "gone"));
	fake_bump_version(&v->f);
	expect_detail(v, "a", 2);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(summary(v), 0);
	assert_int_equal(access_list(v), 0);
	assert_int_equal(ca_list(v), 0);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 5);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_SUMMARY), 2);
	assert_int_equal(CALLS(v, CAS_LIST_CLOUD_ACCESS), 2);
	assert_int_equal(CALLS(v, CAS_GET_CA_INSTANCE_STATUS), 2);
	/* dropped values are not served stale either */
	cas_cache_drop_all(v->c);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	assert_int_equal(detail(v, "b", NULL, NULL), -EIO);
	assert_int_equal(summary(v), -EIO);
	assert_int_equal(stats(v).stale_served, 0);
	free_env(v);
}

/* ---- change hook --------------------------------------------------------------------- */

static void change_hook(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	cas_cache_set_change_hook(v->c, hook_record, v);
	expect_detail(v, "a", 1);
	assert_int_equal(hooks(v), 1); /* first sight: old NULL */
	assert_int_equal(v->hook_kind, CAS_CK_DETAIL);
	assert_string_equal(v->hook_key, "a");
	assert_null(v->hook_old);
	char *v1 = fake_detail_text("a", 1), *v2 = fake_detail_text("a", 2);
	assert_string_equal(v->hook_new, v1);
	/* refetched with the same text: no call (invalidate makes the refetch synchronous) */
	for (int i = 0; i < 3; i++) {
		cas_cache_invalidate(v->c, CAS_CK_DETAIL, "a");
		expect_detail(v, "a", 1);
	}
	set_now(v, T0 + 5000);
	expect_detail(v, "a", 1); /* an expiry refresh with the same text */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 5);
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "a");
	expect_detail(v, "a", 1);
	assert_int_equal(hooks(v), 1);
	/* changed text: old and new */
	fake_bump_version(&v->f);
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "a");
	expect_detail(v, "a", 2);
	assert_int_equal(hooks(v), 2);
	assert_string_equal(v->hook_old, v1);
	assert_string_equal(v->hook_new, v2);
	/* gone: old and NULL */
	fake_add_missing(&v->f, "a");
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "a");
	assert_int_equal(detail(v, "a", NULL, NULL), -ENOENT);
	assert_int_equal(hooks(v), 3);
	assert_string_equal(v->hook_old, v2);
	assert_null(v->hook_new);
	/* still gone: nothing changed */
	set_now(v, T0 + 20000);
	assert_int_equal(detail(v, "a", NULL, NULL), -ENOENT);
	assert_int_equal(hooks(v), 3);
	/* a failed refresh changes nothing */
	expect_detail(v, "c", 2);
	int h = hooks(v);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "c");
	assert_int_equal(detail(v, "c", NULL, NULL), -EIO);
	assert_int_equal(hooks(v), h);
	/* the summary is a document too */
	fake_set(&v->f, &v->f.read_rc, 0);
	assert_int_equal(summary(v), 0);
	h = hooks(v);
	cas_cache_invalidate(v->c, CAS_CK_SUMMARY, "");
	assert_int_equal(summary(v), 0);
	assert_int_equal(hooks(v), h);
	free(v1);
	free(v2);
	free_env(v);
}

/* ---- lists ---------------------------------------------------------------------------- */

static void filtered_list_bypasses(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	struct cas_list_filter flt = { .status = "normal" };
	assert_int_equal(list(v, &flt), 0);
	assert_int_equal(list(v, &flt), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 2);
	assert_string_equal(v->f.last_filter_status, "normal");
	struct cas_list_filter kw = { .keyword = "x" };
	assert_int_equal(list(v, &kw), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 3);
	/* the unfiltered list is cached and not confused with the filtered ones */
	struct cas_list_filter none = { 0 };
	assert_int_equal(list(v, NULL), 0);
	assert_string_equal(v->f.last_filter_status, "");
	assert_int_equal(list(v, &none), 0);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 4);
	assert_int_equal(list(v, &flt), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 5);
	assert_string_equal(v->f.last_filter_status, "normal");
	/* a filtered failure is the inner failure, never a cached list */
	fake_set(&v->f, &v->f.read_rc, -EIO);
	assert_int_equal(list(v, &flt), -EIO);
	free_env(v);
}

/* ---- peek and sweep ---------------------------------------------------------------------- */

static void peek_does_not_fetch(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	assert_null(cas_cache_peek(v->c, CAS_CK_DETAIL, "a"));
	assert_null(cas_cache_peek(v->c, CAS_CK_INSTANCES, ""));
	assert_null(cas_cache_peek(v->c, CAS_CK_SUMMARY, NULL));
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 0);
	assert_int_equal(stats(v).entries, 0);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	expect_detail(v, "a", 1);
	assert_int_equal(list(v, NULL), 0);
	struct cas_doc *d = cas_cache_peek(v->c, CAS_CK_DETAIL, "a");
	assert_non_null(d);
	char *want = fake_detail_text("a", 1);
	assert_string_equal(d->text, want);
	/* a reference of its own: valid after the cache lets go */
	cas_cache_drop_all(v->c);
	fake_bump_version(&v->f);
	expect_detail(v, "a", 2);
	assert_string_equal(d->text, want);
	cas_obj_unref(d);
	free(want);
	/* expired values are still peekable, without a fetch */
	set_now(v, T0 + 5000);
	int n = CALLS(v, CAS_GET_INSTANCE_DETAIL);
	d = cas_cache_peek(v->c, CAS_CK_DETAIL, "a");
	assert_non_null(d);
	cas_obj_unref(d);
	struct cas_instances *l = cas_cache_peek(v->c, CAS_CK_INSTANCES, "");
	assert_non_null(l);
	assert_int_equal(l->n, 5);
	cas_obj_unref(l);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), n);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 1);
	free_env(v);
}

static void sweep_frees_expired(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	expect_detail(v, "a", 1);
	expect_detail(v, "b", 1);
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	assert_int_equal(summary(v), 0);
	set_now(v, T0 + 6000);
	expect_detail(v, "c", 1); /* younger */
	assert_int_equal(stats(v).entries, 5);
	/* still usable as stale (expired < max_stale ago): kept */
	set_now(v, T0 + 1000 + 10000);
	cas_cache_sweep(v->c);
	assert_int_equal(stats(v).entries, 5);
	struct cas_doc *d = cas_cache_peek(v->c, CAS_CK_DETAIL, "a");
	assert_non_null(d);
	cas_obj_unref(d);
	/* too old for anything: freed */
	set_now(v, T0 + 1000 + 10001);
	cas_cache_sweep(v->c);
	assert_int_equal(stats(v).entries, 1);
	assert_null(cas_cache_peek(v->c, CAS_CK_DETAIL, "a"));
	assert_null(cas_cache_peek(v->c, CAS_CK_SUMMARY, ""));
	d = cas_cache_peek(v->c, CAS_CK_DETAIL, "c");
	assert_non_null(d);
	cas_obj_unref(d);
	/* a swept entry is simply fetched again */
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 5);
	set_now(v, T0 + 100000);
	cas_cache_sweep(v->c);
	assert_int_equal(stats(v).entries, 0);
	/* sweeping an empty cache is fine */
	cas_cache_sweep(v->c);
	free_env(v);
}

/* ---- defaults ---------------------------------------------------------------------------- */

static void default_options(void **state)
{
	(void)state;
	struct cas_cache_opts o = { 0 };
	struct env *v = new_env(&o);
	assert_int_equal(cas_cache_ttl_ms(v->c), 60000);
	expect_detail(v, "a", 1);
	set_now(v, T0 + 59999);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	free_env(v);
	/* the real clock when none is given */
	struct fake_api f;
	fake_init(&f);
	struct cas_cache *c = cas_cache_new(&f.api, &o);
	struct cas_api *a = cas_cache_api(c);
	struct cas_doc *d = NULL;
	struct cas_error e;
	assert_int_equal(a->ops->get_instance_detail(a, "a", &d, &e), 0);
	cas_obj_unref(d);
	assert_int_equal(a->ops->get_instance_detail(a, "a", &d, &e), 0);
	cas_obj_unref(d);
	assert_int_equal(fake_calls(&f, CAS_GET_INSTANCE_DETAIL), 1);
	cas_cache_free(c);
	fake_destroy(&f);
	cas_cache_free(NULL);
}

/* ---- the state diagram of cache.h: one test per transition ------------------------- */

/* A reader whose operation has 100 ms (for the ETIMEDOUT bound of T2). */
static void *read_detail_100ms(void *arg)
{
	return read_detail_in_op(arg);
}

/* T1 EMPTY -> FETCHING: a reader with nothing cached fetches on its own thread. */
static void t01_empty_to_fetching_reader_fetches(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	fake_hold(&v->f, 1);
	struct reader r = { .v = v, .id = "a" };
	assert_int_equal(pthread_create(&r.th, NULL, read_detail, &r), 0);
	fake_wait_held(&v->f, 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_int_equal(stats(v).misses, 1);
	assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a")); /* a fetch in flight counts */
	assert_false(atomic_load(&r.done));                      /* the reader waits for its own fetch */
	fake_release(&v->f);
	pthread_join(r.th, NULL);
	assert_int_equal(r.rc, 0);
	free(r.text);
	free_env(v);
}

/* T2 FETCHING -> FETCHING: a second reader joins the fetch in flight (one
 * call); one whose operation's deadline passes first gets ETIMEDOUT. */
static void t02_fetching_reader_joins_and_waits(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_hold(&v->f, 1);
	struct reader a = { .v = v, .id = "a" }, b = { .v = v, .id = "a" }, c = { .v = v, .id = "a" };
	assert_int_equal(pthread_create(&a.th, NULL, read_detail, &a), 0);
	fake_wait_held(&v->f, 1);
	assert_int_equal(pthread_create(&b.th, NULL, read_detail, &b), 0);
	struct waitarg w = { v, 1, &b };
	wait_until(reader_done_or_coalesced, &w);
	assert_int_equal(stats(v).coalesced, 1);
	assert_int_equal(pthread_create(&c.th, NULL, read_detail_100ms, &c), 0);
	pthread_join(c.th, NULL);
	assert_int_equal(c.rc, -ETIMEDOUT);
	assert_false(atomic_load(&b.done));
	fake_release(&v->f);
	pthread_join(a.th, NULL);
	pthread_join(b.th, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, 0);
	assert_string_equal(a.text, b.text);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_int_equal(stats(v).misses, 1);
	free(a.text);
	free(b.text);
	free(c.text);
	free_env(v);
}

/* T3 FETCHING -> FRESH: the answer is stored; within the ttl no call. */
static void t03_fetching_to_fresh_answer(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	set_now(v, T0 + 999);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_int_equal(stats(v).hits, 1);
	assert_true(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	free_env(v);
}

/* T4 FETCHING -> NEGATIVE: a 404 is stored; the next reader gets ENOENT
 * from the cache without a call. */
static void t04_fetching_to_negative_404(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	struct cas_error e;
	assert_int_equal(detail(v, "gone", NULL, &e), -ENOENT);
	assert_false(e.from_cache);
	set_now(v, T0 + 499);
	assert_int_equal(detail(v, "gone", NULL, &e), -ENOENT);
	assert_true(e.from_cache);
	assert_string_equal(e.code, "InvalidInstanceId.NotFound");
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 1);
	assert_int_equal(stats(v).negative_hits, 1);
	free_env(v);
}

/* T5 FETCHING -> EMPTY: a failed fetch with nothing stale is the reader's
 * error, and nothing is stored: the next reader calls again. */
static void t05_fetching_to_empty_error_nothing_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	struct cas_error e;
	assert_int_equal(detail(v, "a", NULL, &e), -EIO);
	assert_string_equal(e.code, "InternalError");
	assert_int_equal(detail(v, "a", NULL, &e), -EIO);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(stats(v).stale_served, 0);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	free_env(v);
}

/* T6 FRESH -> STALE: once the ttl passes the copy is no longer fresh, but
 * still a copy to serve when its refresh fails. */
static void t06_fresh_to_stale_ttl_passes(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	set_now(v, T0 + 1000);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	fake_set(&v->f, &v->f.read_rc, -EIO);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(stats(v).stale_on_error, 1);
	free_env(v);
}

/* T7 NEGATIVE -> EMPTY: once neg_ttl passes a 404 is asked again, and it is
 * never a stale answer to a failure. */
static void t07_negative_to_empty_neg_ttl_passes(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	fake_add_missing(&v->f, "gone");
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	set_now(v, T0 + 500);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "gone"));
	fake_set(&v->f, &v->f.read_rc, -EIO);
	assert_int_equal(detail(v, "gone", NULL, NULL), -EIO);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(stats(v).stale_served, 0);
	free_env(v);
}

/* T8 STALE|BACKOFF -> EMPTY: past ttl + max_stale the copy is not served,
 * even within a failed refresh's pause. */
static void t08_stale_to_empty_max_stale_passes(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1000 + 9000);
	expect_detail(v, "a", 1); /* STALE -> BACKOFF until +14000 */
	assert_int_equal(stats(v).stale_on_error, 1);
	set_now(v, T0 + 1000 + 10001); /* in the pause, past max_stale */
	assert_int_equal(detail(v, "a", NULL, NULL), -EIO);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	assert_int_equal(stats(v).stale_served, 1);
	free_env(v);

	v = new_env(&o); /* straight from STALE */
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1000 + 10001);
	assert_int_equal(detail(v, "a", NULL, NULL), -EIO);
	assert_int_equal(stats(v).stale_served, 0);
	free_env(v);
}

/* T9 STALE -> STALE+FETCHING: a reader starts a background refresh and,
 * when it overruns the soft deadline, gets the stale copy; the refresh
 * completes later. */
static void t09_stale_to_fetching_reader_refreshes_in_background(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 1;
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	fake_hold(&v->f, 1);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1);
	fake_wait_held(&v->f, 1); /* the refresh is in flight on its own thread */
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.misses, 2);
	assert_int_equal(s.stale_served, 1);
	assert_int_equal(s.stale_on_error, 0);
	fake_release(&v->f);
	wait_stat(v, offsetof(struct cas_cache_stats, refreshes), 2);
	expect_detail(v, "a", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	free_env(v);
}

/* T9, no room: with MAX_BACKGROUND (32) refreshes in flight, a reader with
 * a stale copy gets it at once and nothing more is sent. */
static void t09_stale_no_room_for_a_refresh_served_at_once(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	o.soft_deadline_ms = 1;
	struct env *v = new_env(&o);
	char id[33][8];
	for (int i = 0; i < 33; i++) {
		snprintf(id[i], sizeof(id[i]), "k%d", i);
		expect_detail(v, id[i], 1);
	}
	fake_hold(&v->f, 33);
	set_now(v, T0 + 1500);
	for (int i = 0; i < 32; i++)
		expect_detail(v, id[i], 1);
	fake_wait_held(&v->f, 32);
	uint64_t misses = stats(v).misses;
	expect_detail(v, id[32], 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 33 + 32);
	assert_int_equal(stats(v).misses, misses + 1);
	assert_int_equal(stats(v).stale_served, 33);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, id[32])); /* no fetch in flight */
	fake_release(&v->f);
	wait_stat(v, offsetof(struct cas_cache_stats, refreshes), 33 + 32);
	free_env(v);
}

/* T10 STALE+FETCHING -> FRESH: a refresh that answers within the soft
 * deadline is the reader's answer (no stale copy) and is stored. */
static void t10_stale_fetching_to_fresh_refresh_answers(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 2);
	assert_int_equal(stats(v).stale_served, 0);
	set_now(v, T0 + 2499);
	expect_detail(v, "a", 2);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	free_env(v);
}

/* T11 STALE+FETCHING -> BACKOFF: a failed refresh gives its waiters the
 * stale copy (counted as on error). */
static void t11_stale_fetching_to_backoff_refresh_fails(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1);
	struct cas_cache_stats s = stats(v);
	assert_int_equal(s.fetch_errors, 1);
	assert_int_equal(s.stale_served, 1);
	assert_int_equal(s.stale_on_error, 1);
	free_env(v);
}

/* T12 BACKOFF -> STALE: after error_retry the next reader refreshes again;
 * the API being degraded, it gets the stale copy at once while the refresh
 * runs; a refresh that answered within the soft deadline makes it healthy,
 * so the reader after the next expiry waits for its refresh again. */
static void t12_backoff_to_stale_error_retry_passes(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1); /* BACKOFF, API degraded */
	fake_set(&v->f, &v->f.read_rc, 0);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1500 + 5000);
	expect_detail(v, "a", 1); /* degraded: stale at once, refresh in the background */
	assert_int_equal(stats(v).stale_served, 2);
	wait_stat(v, offsetof(struct cas_cache_stats, refreshes), 3);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 3);
	expect_detail(v, "a", 2);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1500 + 7000);
	expect_detail(v, "a", 3); /* healthy again: the reader waited for the refresh */
	assert_int_equal(stats(v).stale_served, 2);
	free_env(v);
}

/* T13 BACKOFF -> BACKOFF: within error_retry a reader gets the stale copy
 * without a call; a fresh reader does not (T16). */
static void t13_backoff_reader_gets_stale_without_a_call(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 1500);
	expect_detail(v, "a", 1);
	set_now(v, T0 + 1500 + 4999);
	expect_detail(v, "a", 1);
	expect_detail(v, "a", 1);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	assert_int_equal(stats(v).stale_on_error, 3);
	free_env(v);
}

/* T14 any -> EMPTY: an invalidation (or drop_all) leaves nothing to serve,
 * not even as stale, from FRESH, STALE, BACKOFF and NEGATIVE alike. (A
 * fetch in flight becoming OUTDATED: invalidation_not_satisfied_by_older_fetch.) */
static void t14_any_to_empty_invalidate(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "stale", 1);
	expect_detail(v, "backoff", 1);
	set_now(v, T0 + 1200); /* stale: STALE */
	fake_set(&v->f, &v->f.read_rc, -EIO);
	expect_detail(v, "backoff", 1); /* backoff: BACKOFF */
	fake_set(&v->f, &v->f.read_rc, 0);
	expect_detail(v, "fresh", 1); /* fresh: FRESH */
	int calls = CALLS(v, CAS_GET_INSTANCE_DETAIL);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "fresh");
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "stale");
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "backoff");
	assert_int_equal(detail(v, "fresh", NULL, NULL), -EIO);
	assert_int_equal(detail(v, "stale", NULL, NULL), -EIO);
	assert_int_equal(detail(v, "backoff", NULL, NULL), -EIO);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), calls + 3);
	assert_int_equal(stats(v).stale_served, 1);
	free_env(v);

	v = new_env(&o); /* NEGATIVE and FRESH, drop_all */
	fake_add_missing(&v->f, "gone");
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	expect_detail(v, "a", 1);
	cas_cache_drop_all(v->c);
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "gone"));
	assert_false(cas_cache_fresh(v->c, CAS_CK_DETAIL, "a"));
	assert_int_equal(detail(v, "gone", NULL, NULL), -ENOENT);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	assert_int_equal(detail(v, "a", NULL, NULL), -EIO);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 4);
	free_env(v);
}

/* T15 EMPTY -> freed: the sweep frees what cannot be served, and keeps a
 * fresh entry and one a reader waits on. */
static void t15_empty_to_freed_sweep(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	expect_detail(v, "b", 1);
	assert_int_equal(stats(v).entries, 2);
	cas_cache_invalidate(v->c, CAS_CK_DETAIL, "a");
	fake_hold(&v->f, 1);
	struct reader r = { .v = v, .id = "c" }; /* EMPTY, but fetching */
	assert_int_equal(pthread_create(&r.th, NULL, read_detail, &r), 0);
	fake_wait_held(&v->f, 1);
	cas_cache_sweep(v->c);
	assert_int_equal(stats(v).entries, 2); /* b and c */
	assert_null(cas_cache_peek(v->c, CAS_CK_DETAIL, "a"));
	fake_release(&v->f);
	pthread_join(r.th, NULL);
	assert_int_equal(r.rc, 0);
	free(r.text);
	free_env(v);
}

/* T16 STALE|BACKOFF -> FETCHING for a fresh reader (a commit): it fetches
 * and waits, and a failure is its error, never the stale copy. */
static void t16_stale_to_fetching_fresh_reader_never_stale(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	expect_detail(v, "a", 1);
	fake_bump_version(&v->f);
	set_now(v, T0 + 1500); /* STALE */
	assert_int_equal(fresh_detail(v, "a", 2), 0);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 2);
	fake_set(&v->f, &v->f.read_rc, -EIO);
	set_now(v, T0 + 3000);
	expect_detail(v, "a", 2); /* -> BACKOFF */
	assert_int_equal(fresh_detail(v, "a", 2), -EIO);
	assert_int_equal(CALLS(v, CAS_GET_INSTANCE_DETAIL), 4);
	assert_int_equal(stats(v).stale_served, 1);
	free_env(v);
}

static int list_entry_name(struct env *v, const char *id, char *name, size_t n)
{
	struct cas_instances *l = cas_cache_peek(v->c, CAS_CK_INSTANCES, "");
	const struct cas_instance *it = l ? cas_instances_find(l, id) : NULL;
	int ok = it && it->name;
	if (ok)
		snprintf(name, n, "%s", it->name);
	cas_obj_unref(l);
	return ok;
}

/* T17 FRESH|STALE -> same state: a successful UpdateInstance rewrites the
 * instance's list entry from its fresh detail, and the list keeps its age;
 * a failed one invalidates the list (T14). */
static void t17_list_entry_rewritten_after_update(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	v->f.list_json = 1;
	v->f.detail_fields = "\"CertificateName\": \"renamed\"";
	cas_cache_set_change_hook(v->c, hook_record, v);
	assert_int_equal(list(v, NULL), 0);
	set_now(v, T0 + 500);
	struct cas_update u = { .instance_id = "cas-0001", .certificate_name = "renamed" };
	struct cas_error e;
	assert_int_equal(v->api->ops->update_instance(v->api, &u, &e), 0);
	assert_int_equal(stats(v).entry_updates, 1);
	assert_true(cas_cache_fresh(v->c, CAS_CK_INSTANCES, ""));
	char name[64];
	assert_true(list_entry_name(v, "cas-0001", name, sizeof(name)));
	assert_string_equal(name, "renamed");
	assert_true(list_entry_name(v, "cas-0002", name, sizeof(name)));
	assert_string_equal(name, "name-2");
	assert_int_equal(hooks(v), 3); /* the list fetch, the detail fetch, the rewritten list */
	assert_int_equal(v->hook_kind, CAS_CK_INSTANCES);
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 1);
	set_now(v, T0 + 1000); /* the list's age is that of its fetch */
	assert_false(cas_cache_fresh(v->c, CAS_CK_INSTANCES, ""));
	assert_int_equal(list(v, NULL), 0);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 2);
	/* a failed change: the list is invalidated */
	fake_set(&v->f, &v->f.mutate_rc, -EIO);
	assert_int_equal(v->api->ops->update_instance(v->api, &u, &e), -EIO);
	assert_false(cas_cache_fresh(v->c, CAS_CK_INSTANCES, ""));
	free_env(v);
}

/* Another thread while the hook of a T17 rewrite runs: the list is
 * invalidated and fetched again, which replaces (and unreferences) the
 * rewritten list the hook was given. */
static void *relist(void *arg)
{
	struct env *v = arg;
	cas_cache_invalidate(v->c, CAS_CK_INSTANCES, "");
	struct cas_instances *l = NULL;
	struct cas_error e;
	v->relist_rc = v->api->ops->list_instances(v->api, NULL, &l, &e);
	cas_obj_unref(l);
	return NULL;
}

static void hook_relisting(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value,
			   uint64_t gen)
{
	struct env *v = ctx;
	if (kind == CAS_CK_INSTANCES && v->relist_armed) {
		v->relist_armed = 0;
		v->refs_in_hook = atomic_load(&((struct cas_obj *)new_value)->ref);
		pthread_t th; /* the hook waits while the other thread re-lists */
		if (pthread_create(&th, NULL, relist, v) == 0)
			pthread_join(th, NULL);
		/* the list the hook was given is still its own */
		const struct cas_instance *it = cas_instances_find(new_value, "cas-0001");
		snprintf(v->name_after_relist, sizeof(v->name_after_relist), "%s", it && it->name ? it->name : "?");
	}
	hook_record(ctx, kind, key, old_value, new_value, gen);
}

/* T17 and a re-listing: the hook of the rewrite holds its own reference to
 * the rewritten list (a fetch stored after the lock was dropped replaces the
 * entry's), and the re-listing's hook, which ends first, has the later
 * generation. */
static void t17_hook_outlives_a_relisting(void **state)
{
	(void)state;
	struct cas_cache_opts o = opts();
	struct env *v = new_env(&o);
	v->f.list_json = 1;
	v->f.detail_fields = "\"CertificateName\": \"renamed\"";
	cas_cache_set_change_hook(v->c, hook_relisting, v);
	assert_int_equal(list(v, NULL), 0);
	v->relist_armed = 1;
	struct cas_update u = { .instance_id = "cas-0001", .certificate_name = "renamed" };
	struct cas_error e;
	assert_int_equal(v->api->ops->update_instance(v->api, &u, &e), 0);
	assert_int_equal(v->relist_armed, 0);
	assert_int_equal(v->relist_rc, 0);
	assert_int_equal(stats(v).entry_updates, 1);
	assert_int_equal(CALLS(v, CAS_LIST_INSTANCES), 2);
	/* the entry's reference and the hook's */
	assert_true(v->refs_in_hook >= 2);
	assert_string_equal(v->name_after_relist, "renamed");
	/* the first listing, the re-listing (ended first), the rewrite */
	assert_int_equal(v->nlist_gens, 3);
	assert_true(v->list_gens[0] < v->list_gens[2]);
	assert_true(v->list_gens[2] < v->list_gens[1]);
	free_env(v);
}

int main(void)
{
	cas_log_init("test_cache", 0, CAS_LOG_ERR); /* the stale-serving warnings are expected */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_within_ttl),
		cmocka_unit_test(refetch_after_ttl),
		cmocka_unit_test(ttl_per_kind),
		cmocka_unit_test(coalesce_concurrent_misses),
		cmocka_unit_test(coalesce_failure_shared),
		cmocka_unit_test(negative_caching),
		cmocka_unit_test(negative_hits_counted_once),
		cmocka_unit_test(not_found_is_never_served_stale),
		cmocka_unit_test(op_deadline_caps_the_soft_wait),
		cmocka_unit_test(nothing_stale_fails_at_the_op_deadline),
		cmocka_unit_test(ttl_zero_fresh_within_one_operation),
		cmocka_unit_test(stale_on_error_within_max_stale),
		cmocka_unit_test(error_past_max_stale),
		cmocka_unit_test(soft_deadline_serves_stale),
		cmocka_unit_test(free_bounded_by_a_stuck_refresh),
		cmocka_unit_test(soft_deadline_without_stale_waits),
		cmocka_unit_test(mutation_invalidates),
		cmocka_unit_test(get_fresh_never_stale),
		cmocka_unit_test(entry_from_detail),
		cmocka_unit_test(invalidated_is_never_stale),
		cmocka_unit_test(invalidation_not_satisfied_by_older_fetch),
		cmocka_unit_test(mutations_invalidate_even_when_failing),
		cmocka_unit_test(drop_all),
		cmocka_unit_test(change_hook),
		cmocka_unit_test(filtered_list_bypasses),
		cmocka_unit_test(peek_does_not_fetch),
		cmocka_unit_test(sweep_frees_expired),
		cmocka_unit_test(default_options),
		cmocka_unit_test(t01_empty_to_fetching_reader_fetches),
		cmocka_unit_test(t02_fetching_reader_joins_and_waits),
		cmocka_unit_test(t03_fetching_to_fresh_answer),
		cmocka_unit_test(t04_fetching_to_negative_404),
		cmocka_unit_test(t05_fetching_to_empty_error_nothing_stale),
		cmocka_unit_test(t06_fresh_to_stale_ttl_passes),
		cmocka_unit_test(t07_negative_to_empty_neg_ttl_passes),
		cmocka_unit_test(t08_stale_to_empty_max_stale_passes),
		cmocka_unit_test(t09_stale_to_fetching_reader_refreshes_in_background),
		cmocka_unit_test(t09_stale_no_room_for_a_refresh_served_at_once),
		cmocka_unit_test(t10_stale_fetching_to_fresh_refresh_answers),
		cmocka_unit_test(t11_stale_fetching_to_backoff_refresh_fails),
		cmocka_unit_test(t12_backoff_to_stale_error_retry_passes),
		cmocka_unit_test(t13_backoff_reader_gets_stale_without_a_call),
		cmocka_unit_test(t14_any_to_empty_invalidate),
		cmocka_unit_test(t15_empty_to_freed_sweep),
		cmocka_unit_test(t16_stale_to_fetching_fresh_reader_never_stale),
		cmocka_unit_test(t17_list_entry_rewritten_after_update),
		cmocka_unit_test(t17_hook_outlives_a_relisting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
