/* test_ratelimit: client/ratelimit.h with explicit now_ns values: a burst, then
 * waits of exactly k/rate; refill after idle capped at the burst; cancel
 * giving a token back; cas_bucket_take refusing (-ETIMEDOUT, nothing
 * consumed) when the token would come after the deadline; and concurrent
 * reservations from several threads each getting a distinct slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>

#include "ratelimit.h"

#define SEC 1000000000LL
#define T0 (1000 * SEC) /* an arbitrary start time */

static void burst_then_paced(void **state)
{
	(void)state;
	struct cas_bucket b;
	cas_bucket_init(&b, 10, 5, T0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(b.waits, 0);
	/* the k-th reservation past the burst waits exactly k/rate */
	for (int k = 1; k <= 20; k++)
		assert_int_equal(cas_bucket_reserve(&b, T0), k * (SEC / 10));
	assert_int_equal(b.waits, 20);
	cas_bucket_destroy(&b);

	/* 100 QPS with a burst of 1: each next request 10 ms after the last */
	cas_bucket_init(&b, 100, 1, T0);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(cas_bucket_reserve(&b, T0), SEC / 100);
	assert_int_equal(cas_bucket_reserve(&b, T0), 2 * SEC / 100);
	/* time passes exactly as promised: the next waits one slot after the last */
	assert_int_equal(cas_bucket_reserve(&b, T0 + 2 * SEC / 100), SEC / 100);
	cas_bucket_destroy(&b);
}

static void steady_rate(void **state)
{
	(void)state;
	struct cas_bucket b;
	cas_bucket_init(&b, 10, 1, T0);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	/* a caller arriving exactly every 1/rate never waits */
	for (int i = 1; i <= 50; i++)
		assert_int_equal(cas_bucket_reserve(&b, T0 + i * (SEC / 10)), 0);
	/* half a period early: waits the other half */
	assert_int_equal(cas_bucket_reserve(&b, T0 + 50 * (SEC / 10) + SEC / 20), SEC / 20);
	cas_bucket_destroy(&b);
}

static void refill_capped(void **state)
{
	(void)state;
	struct cas_bucket b;
	cas_bucket_init(&b, 10, 3, T0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_true(cas_bucket_reserve(&b, T0) > 0); /* debt of one token */
	/* an hour idle refills to the burst, not to 36000 tokens */
	int64_t t = T0 + 3600 * SEC;
	for (int i = 0; i < 3; i++)
		assert_int_equal(cas_bucket_reserve(&b, t), 0);
	assert_int_equal(cas_bucket_reserve(&b, t), SEC / 10);
	cas_bucket_destroy(&b);

	/* partial refill: 0.25 s at 10/s gives 2.5 tokens */
	cas_bucket_init(&b, 10, 3, T0);
	for (int i = 0; i < 3; i++)
		cas_bucket_reserve(&b, T0);
	t = T0 + SEC / 4;
	assert_int_equal(cas_bucket_reserve(&b, t), 0);
	assert_int_equal(cas_bucket_reserve(&b, t), 0);
	assert_int_equal(cas_bucket_reserve(&b, t), SEC / 20); /* needs the other half token */
	cas_bucket_destroy(&b);

	/* a clock read before the last reservation never refills backwards */
	cas_bucket_init(&b, 10, 1, T0);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(cas_bucket_reserve(&b, T0 - SEC), SEC / 10);
	cas_bucket_destroy(&b);
}

static void cancel_gives_back(void **state)
{
	(void)state;
	struct cas_bucket b;
	cas_bucket_init(&b, 10, 2, T0);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	int64_t w = cas_bucket_reserve(&b, T0);
	assert_int_equal(w, SEC / 10);
	cas_bucket_cancel(&b);
	/* the cancelled slot is handed to the next caller */
	assert_int_equal(cas_bucket_reserve(&b, T0), SEC / 10);
	cas_bucket_cancel(&b);
	cas_bucket_cancel(&b);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	/* cancelling never lifts the bucket above its burst */
	cas_bucket_destroy(&b);
	cas_bucket_init(&b, 10, 2, T0);
	cas_bucket_cancel(&b);
	cas_bucket_cancel(&b);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(cas_bucket_reserve(&b, T0), SEC / 10);
	cas_bucket_destroy(&b);
}

static void take_deadline(void **state)
{
	(void)state;
	struct cas_bucket b;
	/* one token per 1000 s: the second take cannot be served before any near deadline */
	cas_bucket_init(&b, 0.001, 1, cas_now_ns());
	assert_int_equal(cas_bucket_take(&b, 0), 0); /* no deadline, token available: no sleep */
	double before = b.tokens;
	int64_t now = cas_now_ns();
	assert_int_equal(cas_bucket_take(&b, now + SEC / 1000), -ETIMEDOUT);
	assert_int_equal(cas_bucket_take(&b, now + 10 * SEC), -ETIMEDOUT);
	/* nothing was consumed: the balance only grew by the (tiny) refill */
	assert_true(b.tokens >= before);
	assert_true(b.tokens < before + 0.5);
	assert_true(b.tokens > -0.5);
	cas_bucket_destroy(&b);

	/* a deadline far enough away is met */
	cas_bucket_init(&b, 1e6, 1, cas_now_ns());
	assert_int_equal(cas_bucket_take(&b, cas_now_ns() + 3600 * SEC), 0);
	assert_int_equal(cas_bucket_take(&b, cas_now_ns() + 3600 * SEC), 0); /* waits ~1 us */
	cas_bucket_destroy(&b);
}

/* ---- concurrency ---------------------------------------------------------- */

#define NTHREADS 8
#define PER_THREAD 250

struct worker {
	struct cas_bucket *b;
	pthread_barrier_t *go;
	int64_t waits[PER_THREAD];
};

static void *reserve_many(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->go);
	for (int i = 0; i < PER_THREAD; i++)
		w->waits[i] = cas_bucket_reserve(w->b, T0);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void concurrent_slots(void **state)
{
	(void)state;
	struct cas_bucket b;
	const int burst = 4;
	cas_bucket_init(&b, 100, burst, T0);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, NTHREADS);
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		w[i].b = &b;
		w[i].go = &go;
		assert_int_equal(pthread_create(&th[i], NULL, reserve_many, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);

	const int total = NTHREADS * PER_THREAD;
	int64_t *all = calloc(total, sizeof(int64_t));
	for (int i = 0; i < NTHREADS; i++)
		memcpy(all + i * PER_THREAD, w[i].waits, sizeof(w[i].waits));
	qsort(all, total, sizeof(int64_t), cmp_i64);
	/* burst zero waits, then every slot k/rate exactly once */
	int64_t sum = 0;
	for (int k = 0; k < total; k++) {
		int64_t want = k < burst ? 0 : (int64_t)(k - burst + 1) * (SEC / 100);
		if (all[k] != want)
			fail_msg("slot %d: wait %lld, want %lld (two threads got the same slot?)", k, (long long)all[k],
				 (long long)want);
		sum += all[k];
	}
	int64_t n = total - burst;
	assert_true(sum == n * (n + 1) / 2 * (SEC / 100));
	assert_int_equal(b.waits, (uint64_t)n);
	/* each thread's own reservations come out in increasing order */
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 1; j < PER_THREAD; j++)
			assert_true(w[i].waits[j] > w[i].waits[j - 1] || w[i].waits[j] == 0);
	free(all);
	cas_bucket_destroy(&b);
}

static void init_defaults(void **state)
{
	(void)state;
	struct cas_bucket b;
	cas_bucket_init(&b, 0, 0, T0); /* nonsense parameters become 1/s, burst 1 */
	assert_int_equal(cas_bucket_reserve(&b, T0), 0);
	assert_int_equal(cas_bucket_reserve(&b, T0), SEC);
	cas_bucket_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_paced),
		cmocka_unit_test(steady_rate),
		cmocka_unit_test(refill_capped),
		cmocka_unit_test(cancel_gives_back),
		cmocka_unit_test(take_deadline),
		cmocka_unit_test(concurrent_slots),
		cmocka_unit_test(init_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
