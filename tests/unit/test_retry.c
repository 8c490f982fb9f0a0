/* test_retry: client/retry.h. The classification table of an attempt's outcome
 * (transport failures, 2xx with a good or malformed body, throttles, 5xx,
 * final 4xx) and the backoff: bounds per attempt over many draws, the
 * retry-after floor, the cap, and that the delay is actually jittered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "retry.h"

static const char *cls_name(enum cas_retry_class c)
{
	switch (c) {
	case CAS_RC_DONE: return "DONE";
	case CAS_RC_SAFE: return "SAFE";
	case CAS_RC_AMBIGUOUS: return "AMBIGUOUS";
	case CAS_RC_FATAL: return "FATAL";
	}
	return "?";
}

struct crow {
	enum cas_net net;
	int status;
	const char *code;
	int body_ok;
	enum cas_retry_class want;
};

static void classify(void **state)
{
	(void)state;
	static const struct crow rows[] = {
		/* the transport decides first, whatever else is passed */
		{ CAS_NET_NOT_SENT, 0, NULL, 0, CAS_RC_SAFE },
		{ CAS_NET_NOT_SENT, 500, "InternalError", 1, CAS_RC_SAFE },
		{ CAS_NET_TLS, 0, NULL, 0, CAS_RC_FATAL },
		{ CAS_NET_TLS, 200, NULL, 1, CAS_RC_FATAL },
		{ CAS_NET_TOO_BIG, 0, NULL, 0, CAS_RC_FATAL },
		{ CAS_NET_TOO_BIG, 200, NULL, 0, CAS_RC_FATAL },
		{ CAS_NET_TIMEOUT, 0, NULL, 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_LOST, 0, NULL, 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_LOST, 429, NULL, 0, CAS_RC_AMBIGUOUS },
		/* complete responses */
		{ CAS_NET_OK, 200, NULL, 1, CAS_RC_DONE },
		{ CAS_NET_OK, 204, NULL, 1, CAS_RC_DONE },
		{ CAS_NET_OK, 200, NULL, 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_OK, 299, "", 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_OK, 429, NULL, 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 429, "Throttling.User", 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 400, "Throttling.User", 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 400, "Throttling", 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 403, "Throttling.Api", 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 503, NULL, 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 503, "ServiceUnavailable", 0, CAS_RC_SAFE },
		{ CAS_NET_OK, 500, "InternalError", 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_OK, 500, NULL, 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_OK, 502, "", 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_OK, 504, NULL, 0, CAS_RC_AMBIGUOUS },
		{ CAS_NET_OK, 400, "InvalidParameter", 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 400, NULL, 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 400, "SignatureDoesNotMatch", 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 403, "Forbidden.RAM", 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 403, NULL, 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 404, "InvalidInstanceId.NotFound", 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 404, NULL, 0, CAS_RC_FATAL },
		{ CAS_NET_OK, 409, NULL, 0, CAS_RC_FATAL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct crow *r = &rows[i];
		enum cas_retry_class got = cas_retry_classify(r->net, r->status, r->code, r->body_ok);
		if (got != r->want)
			fail_msg("row %zu: classify(net %d, %d, %s, body_ok %d) = %s, want %s", i, r->net, r->status,
				 r->code ? r->code : "NULL", r->body_ok, cls_name(got), cls_name(r->want));
	}
}

static int64_t ceiling_of(int attempt)
{
	int64_t c = CAS_BACKOFF_BASE_MS;
	for (int i = 0; i < attempt && c < CAS_BACKOFF_CAP_MS; i++)
		c *= 2;
	return c < CAS_BACKOFF_CAP_MS ? c : CAS_BACKOFF_CAP_MS;
}

static void constants(void **state)
{
	(void)state;
	assert_int_equal(CAS_MAX_RETRIES, 5);
	assert_int_equal(CAS_BACKOFF_BASE_MS, 100);
	assert_int_equal(CAS_BACKOFF_CAP_MS, 5000);
	/* the expected ceilings: 100, 200, 400, ..., capped at 5000 */
	static const int64_t want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000 };
	for (int a = 0; a < 8; a++)
		assert_int_equal(ceiling_of(a), want[a]);
}

#define DRAWS 20000

static void backoff_bounds(void **state)
{
	(void)state;
	uint64_t rng = 0x853C49E6748FEA9BULL;
	for (int attempt = 0; attempt < 8; attempt++) {
		int64_t ceil = ceiling_of(attempt);
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		double sum = 0;
		int64_t first = -1;
		int distinct = 0;
		for (int i = 0; i < DRAWS; i++) {
			int64_t d = cas_backoff_ms(attempt, -1, &rng);
			if (d < 0 || d > ceil)
				fail_msg("attempt %d: delay %lld outside [0, %lld]", attempt, (long long)d, (long long)ceil);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
			sum += (double)d;
			if (first < 0)
				first = d;
			else if (d != first)
				distinct = 1;
		}
		/* full jitter: the draws are spread over the whole range */
		assert_true(distinct);
		assert_true(lo <= ceil / 10);
		assert_true(hi >= ceil - ceil / 10);
		double mean = sum / DRAWS;
		if (mean < ceil * 0.4 || mean > ceil * 0.6)
			fail_msg("attempt %d: mean delay %.1f, want about %lld", attempt, mean, (long long)ceil / 2);
	}
	/* far beyond the table: still capped, no overflow */
	for (int i = 0; i < 1000; i++) {
		int64_t d = cas_backoff_ms(1000, -1, &rng);
		assert_in_range(d, 0, CAS_BACKOFF_CAP_MS);
		d = cas_backoff_ms(63, -1, &rng);
		assert_in_range(d, 0, CAS_BACKOFF_CAP_MS);
	}
}

static void backoff_retry_after(void **state)
{
	(void)state;
	uint64_t rng = 42;
	for (int attempt = 0; attempt < 8; attempt++) {
		int64_t ceil = ceiling_of(attempt);
		static const int64_t hints[] = { 0, 1, 50, 100, 1000, 4999, 5000, 30000 };
		for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++) {
			int64_t ra = hints[h];
			int seen_above = 0;
			for (int i = 0; i < 2000; i++) {
				int64_t d = cas_backoff_ms(attempt, ra, &rng);
				if (d < ra)
					fail_msg("attempt %d retry-after %lld: delay %lld is below the server's hint",
						 attempt, (long long)ra, (long long)d);
				int64_t max = ra > ceil ? ra : ceil;
				if (d > max)
					fail_msg("attempt %d retry-after %lld: delay %lld above max(%lld, hint)", attempt,
						 (long long)ra, (long long)d, (long long)ceil);
				seen_above |= d > ra;
			}
			/* the hint is a floor, not a fixed delay, while jitter can exceed it */
			if (ra < ceil - 10)
				assert_true(seen_above);
		}
	}
}

static void rng(void **state)
{
	(void)state;
	uint64_t a = 1, b = 1;
	for (int i = 0; i < 100; i++)
		assert_true(cas_rand64(&a) == cas_rand64(&b)); /* deterministic for one seed */
	assert_true(a != 1);
	uint64_t s = 7, prev = cas_rand64(&s);
	int changes = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = cas_rand64(&s);
		changes += x != prev;
		prev = x;
		assert_true(s != 0); /* the state never collapses to zero */
	}
	assert_int_equal(changes, 100);
}

/* a mutation is sent again only after a complete error
 * answer, never after a timeout or a lost answer, never AddCloudAccess */
static void mutation_next(void **state)
{
	(void)state;
	/* a plain failure, or one certainly not run, is never reconciled */
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 400, "InvalidParameter", 0, 1), CAS_MUT_FAIL);
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 404, "InvalidAccessId.NotFound", 1, 1), CAS_MUT_FAIL);
	assert_int_equal(cas_mutation_next(CAS_NET_NOT_SENT, 0, NULL, 0, 1), CAS_MUT_FAIL);
	/* a read that shows the change: success, whatever the failure */
	assert_int_equal(cas_mutation_next(CAS_NET_TIMEOUT, 0, "Local.Timeout", 1, 0), CAS_MUT_APPLIED);
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 500, "InternalError", 1, 1), CAS_MUT_APPLIED);
	/* the first attempt may still be running: "not applied yet" proves nothing */
	assert_int_equal(cas_mutation_next(CAS_NET_TIMEOUT, 0, "Local.Timeout", 0, 1), CAS_MUT_UNKNOWN);
	assert_int_equal(cas_mutation_next(CAS_NET_LOST, 0, "Local.Network", 0, 1), CAS_MUT_UNKNOWN);
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 200, "Local.Response", 0, 1), CAS_MUT_UNKNOWN);
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 400, "SignatureNonceUsed", 0, 1), CAS_MUT_UNKNOWN);
	/* no read-back */
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 500, "InternalError", -1, 1), CAS_MUT_UNKNOWN);
	assert_int_equal(cas_mutation_next(CAS_NET_TIMEOUT, 0, "Local.Timeout", -1, 1), CAS_MUT_UNKNOWN);
	/* a 5xx answer and nothing applied: resent when a duplicate is harmless */
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 500, "InternalError", 0, 1), CAS_MUT_RESEND);
	/* 503 is refused before running (retried by the client itself): a plain failure */
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 503, "ServiceUnavailable", 0, 1), CAS_MUT_FAIL);
	/* ...never AddCloudAccess (no idempotency token) */
	assert_int_equal(cas_mutation_next(CAS_NET_OK, 500, "InternalError", 0, 0), CAS_MUT_UNKNOWN);
}

/* a retry-after hint pauses the client at most until the deadline */
static void pause_cap(void **state)
{
	(void)state;
	const int64_t ms = 1000000, now = 1000 * ms;
	assert_int_equal(cas_pause_cap_ns(3600000, now, now + 20000 * ms), 20000 * ms);
	assert_int_equal(cas_pause_cap_ns(250, now, now + 20000 * ms), 250 * ms);
	assert_int_equal(cas_pause_cap_ns(-1, now, now + 20000 * ms), CAS_BACKOFF_BASE_MS * ms);
	assert_int_equal(cas_pause_cap_ns(0, now, now + 20000 * ms), CAS_BACKOFF_BASE_MS * ms);
	assert_int_equal(cas_pause_cap_ns(3600000, now, now - 5 * ms), 0);
	assert_int_equal(cas_pause_cap_ns(INT64_MAX / 2, now, now + 20000 * ms), 20000 * ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classify),
		cmocka_unit_test(constants),
		cmocka_unit_test(backoff_bounds),
		cmocka_unit_test(backoff_retry_after),
		cmocka_unit_test(rng),
		cmocka_unit_test(mutation_next),
		cmocka_unit_test(pause_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
