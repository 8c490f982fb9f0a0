/* test_prefetch: cache/prefetch.h with the fake api (fake_api.c) behind a
 * real cache. Random access prefetches nothing; hints of ids in list order
 * queue the following ids up to the window; ids already fresh in the cache
 * are not fetched again; a new list restarts the scan detection; counts via
 * cas_prefetch_issued; certificates are read ahead by CertificateId, skipping
 * instances without one; cas_prefetch_free joins its workers even while they
 * are inside a call, and frees what is still queued. Completion is awaited
 * through the issued counter, never by sleeping a fixed time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "buf.h"
#include "cache.h"
#include "fake_api.h"
#include "log.h"
#include "prefetch.h"

struct env {
	struct fake_api f;
	struct fake_clock clk;
	struct cas_cache *c;
	struct cas_api *api;
	struct cas_instances *l;
	struct cas_prefetch *pf;
};

static struct env *new_env_kind(int n, int window, int workers, enum cas_ck kind)
{
	struct env *v = cas_xcalloc(1, sizeof(*v));
	fake_init(&v->f);
	v->f.ninstances = n;
	atomic_store(&v->clk.now, 1000000);
	struct cas_cache_opts o = { .ttl_ms = 60000, .soft_deadline_ms = 600000, .now_ms = fake_now_ms,
				    .clock_ctx = &v->clk };
	v->c = cas_cache_new(&v->f.api, &o);
	v->api = cas_cache_api(v->c);
	struct cas_error e;
	assert_int_equal(v->api->ops->list_instances(v->api, NULL, &v->l, &e), 0);
	assert_int_equal(v->l->n, (size_t)n);
	v->pf = cas_prefetch_new(v->c, kind, window, workers);
	return v;
}

static struct env *new_env(int n, int window, int workers)
{
	return new_env_kind(n, window, workers, CAS_CK_DETAIL);
}

static void free_env(struct env *v)
{
	cas_prefetch_free(v->pf);
	cas_obj_unref(v->l);
	cas_cache_free(v->c);
	fake_destroy(&v->f);
	free(v);
}

static void hint(struct env *v, int idx)
{
	char id[32];
	snprintf(id, sizeof(id), "cas-%04d", idx);
	cas_prefetch_hint(v->pf, v->l, id);
}

struct issued_arg {
	struct cas_prefetch *pf;
	uint64_t n;
};

static int issued_reached(void *arg)
{
	struct issued_arg *a = arg;
	return cas_prefetch_issued(a->pf) >= a->n;
}

static void wait_issued(struct env *v, uint64_t n)
{
	struct issued_arg a = { v->pf, n };
	wait_until(issued_reached, &a);
}

static int cached(struct env *v, int idx)
{
	char id[32];
	snprintf(id, sizeof(id), "cas-%04d", idx);
	struct cas_doc *d = cas_cache_peek(v->c, CAS_CK_DETAIL, id);
	cas_obj_unref(d);
	return d != NULL;
}

static void random_access_prefetches_nothing(void **state)
{
	(void)state;
	struct env *v = new_env(20, 4, 2);
	static const int order[] = { 5, 0, 12, 3, 19, 7, 7, 7, 10, 9, 8, 2, 0, 15, 17, 13 };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		hint(v, order[i]);
	cas_prefetch_hint(v->pf, v->l, "not-in-the-list");
	cas_prefetch_hint(v->pf, NULL, "cas-0001");
	/* nothing was queued, so after the workers are joined nothing was fetched */
	cas_prefetch_free(v->pf);
	v->pf = NULL;
	assert_int_equal(fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL), 0);
	for (int i = 0; i < 20; i++)
		assert_false(cached(v, i));
	free_env(v);
}

static void sequential_reads_ahead(void **state)
{
	(void)state;
	struct env *v = new_env(20, 4, 2);
	hint(v, 0);
	hint(v, 0); /* several files of one instance */
	assert_int_equal(cas_prefetch_issued(v->pf), 0);
	hint(v, 1); /* a scan: the next 4 are fetched ahead */
	wait_issued(v, 4);
	for (int i = 2; i <= 5; i++)
		assert_true(cached(v, i));
	assert_false(cached(v, 6));
	assert_false(cached(v, 0));
	assert_false(cached(v, 1));
	/* the scan goes on: one more each step, never more than the window ahead */
	hint(v, 2);
	wait_issued(v, 5);
	assert_true(cached(v, 6));
	hint(v, 2);
	hint(v, 3);
	hint(v, 4);
	wait_issued(v, 7);
	assert_true(cached(v, 8));
	/* reading the prefetched details costs no further calls */
	int calls = fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL);
	for (int i = 2; i <= 8; i++) {
		char id[32];
		snprintf(id, sizeof(id), "cas-%04d", i);
		struct cas_doc *d = NULL;
		struct cas_error e;
		assert_int_equal(v->api->ops->get_instance_detail(v->api, id, &d, &e), 0);
		cas_obj_unref(d);
	}
	assert_int_equal(fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL), calls);
	/* to the end of the list and no further (each step awaited, so the
	 * queue always has room) */
	for (int i = 5; i < 20; i++) {
		hint(v, i);
		int last = i + 4 < 19 ? i + 4 : 19;
		wait_issued(v, (uint64_t)(last - 1)); /* ids 2..last */
	}
	cas_prefetch_free(v->pf);
	v->pf = NULL;
	assert_int_equal(fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL), 18); /* ids 2..19, each once */
	for (int i = 2; i < 20; i++)
		assert_true(cached(v, i));
	assert_false(cached(v, 0)); /* hinted, never read ahead */
	assert_false(cached(v, 1));
	free_env(v);
}

static void fresh_details_are_skipped(void **state)
{
	(void)state;
	struct env *v = new_env(10, 4, 3);
	struct cas_error e;
	for (int i = 2; i <= 3; i++) {
		char id[32];
		snprintf(id, sizeof(id), "cas-%04d", i);
		struct cas_doc *d = NULL;
		assert_int_equal(v->api->ops->get_instance_detail(v->api, id, &d, &e), 0);
		cas_obj_unref(d);
	}
	hint(v, 0);
	hint(v, 1); /* queues 2..5; 2 and 3 are fresh */
	wait_issued(v, 2);
	cas_prefetch_free(v->pf);
	v->pf = NULL;
	assert_int_equal(fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL), 4);
	assert_true(cached(v, 4));
	assert_true(cached(v, 5));
	free_env(v);
}

static void new_list_restarts_detection(void **state)
{
	(void)state;
	struct env *v = new_env(10, 2, 1);
	hint(v, 3);
	/* the list is refreshed: indexes of the old one mean nothing now */
	cas_cache_drop_all(v->c);
	struct cas_instances *l2 = NULL;
	struct cas_error e;
	assert_int_equal(v->api->ops->list_instances(v->api, NULL, &l2, &e), 0);
	assert_true(l2 != v->l);
	cas_prefetch_hint(v->pf, l2, "cas-0004"); /* next index, but another list */
	cas_prefetch_hint(v->pf, l2, "cas-0005"); /* now a scan of l2 */
	wait_issued(v, 2);
	cas_prefetch_free(v->pf);
	v->pf = NULL;
	assert_int_equal(fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL), 2);
	assert_true(cached(v, 6));
	assert_true(cached(v, 7));
	assert_false(cached(v, 5));
	cas_obj_unref(l2);
	free_env(v);
}

struct freer {
	struct cas_prefetch *pf;
	pthread_t th;
};

static void *do_free(void *arg)
{
	struct freer *f = arg;
	cas_prefetch_free(f->pf);
	return NULL;
}

static void free_joins_busy_workers(void **state)
{
	(void)state;
	struct env *v = new_env(40, 8, 3);
	fake_hold(&v->f, 3); /* the three workers will be held inside GetInstanceDetail */
	hint(v, 0);
	hint(v, 1); /* queues 2..9 */
	fake_wait_held(&v->f, 3);
	/* free while all workers are inside a call and five ids are still queued */
	struct freer fr = { v->pf };
	assert_int_equal(pthread_create(&fr.th, NULL, do_free, &fr), 0);
	fake_release(&v->f);
	pthread_join(fr.th, NULL);
	v->pf = NULL;
	/* the calls in flight finished; queued ones were dropped (and freed), not run after free */
	int calls = fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL);
	assert_in_range(calls, 3, 8);
	free_env(v);

	/* an idle prefetcher frees at once; odd parameters get defaults */
	struct env *w = new_env(3, 0, 0);
	hint(w, 0);
	hint(w, 1);
	wait_issued(w, 1);
	free_env(w);
	cas_prefetch_free(NULL);
}

/* certificates are read ahead by CertificateId, and only where there is one */
static void certificates_by_cert_id(void **state)
{
	(void)state;
	struct env *v = new_env_kind(20, 6, 2, CAS_CK_CERT);
	hint(v, 0);
	hint(v, 1); /* a scan: of indexes 2..7, the even ones have a certificate */
	wait_issued(v, 3);
	for (int i = 2; i <= 7; i++) {
		char key[16];
		snprintf(key, sizeof(key), "%d", 5000 + i);
		struct cas_cert *c = cas_cache_peek(v->c, CAS_CK_CERT, key);
		assert_true((c != NULL) == (i % 2 == 0));
		cas_obj_unref(c);
	}
	cas_prefetch_free(v->pf);
	v->pf = NULL;
	assert_int_equal(fake_calls(&v->f, CAS_GET_USER_CERTIFICATE_DETAIL), 3);
	assert_int_equal(fake_calls(&v->f, CAS_GET_INSTANCE_DETAIL), 0);
	free_env(v);
}

int main(void)
{
	cas_log_init("test_prefetch", 0, CAS_LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_access_prefetches_nothing),
		cmocka_unit_test(sequential_reads_ahead),
		cmocka_unit_test(fresh_details_are_skipped),
		cmocka_unit_test(new_list_restarts_detection),
		cmocka_unit_test(free_joins_busy_workers),
		cmocka_unit_test(certificates_by_cert_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
