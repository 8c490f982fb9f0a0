/* test_faults: injected faults (500 before the action, reset after it with
 * the audit's "applied", malformed, badtotal, wrongtype, 503, 429, stall,
 * the runtime /_emulator/faults control and deterministic draws) and the
 * per-credential --qps throttle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "test_main.h"

static void set_faults(const char *spec, long want)
{
	struct resp r;
	http_raw(&g_emu, "POST", "/_emulator/faults", spec, &r);
	if (r.status != want)
		fprintf(stderr, "faults %s: %ld %s\n", spec, r.status, r.body);
	assert_int_equal(r.status, want);
	resp_free(&r);
}

static int count_audit(const char *action, const char *fault, int applied)
{
	cJSON *lines = audit_lines(&g_emu);
	int n = 0;
	const cJSON *l;
	cJSON_ArrayForEach(l, lines)
	{
		const char *a = jstr(l, "action"), *f = jstr(l, "fault");
		if (!a || strcmp(a, action))
			continue;
		if (fault && (!f || strcmp(f, fault)))
			continue;
		if (applied >= 0 && cJSON_IsTrue(cJSON_GetObjectItem(l, "applied")) != applied)
			continue;
		n++;
	}
	cJSON_Delete(lines);
	return n;
}

static void test_500_then_success(void **state)
{
	(void)state;
	struct resp r;
	v3(&g_emu, &r, "GetInstanceSummary", NULL); /* --faults 500=1@GetInstanceSummary#1 */
	expect_error(&r, 500, "InternalError");
	resp_free(&r);
	ok_call(&r, "GetInstanceSummary", NULL);
	resp_free(&r);
	assert_int_equal(count_audit("GetInstanceSummary", "500", 0), 1);
}

static void test_reset_applied_once(void **state)
{
	(void)state;
	char *id = instance_id(2);
	set_faults("reset=1@UpdateInstance#1", 200);
	struct call c;
	call_init(&c, "UpdateInstance");
	cas_params_set(&c.q, "InstanceId", id);
	cas_params_set(&c.q, "CertificateName", "after-reset");
	c.fresh_connection = 1;
	struct resp r;
	api_call(&g_emu, &c, &r);
	assert_int_not_equal(r.curl_error, CURLE_OK); /* the answer was lost */
	resp_free(&r);
	const cJSON *b = ok_call(&r, "GetInstanceDetail", "InstanceId", id, NULL);
	assert_string_equal(jstr(b, "CertificateName"), "after-reset"); /* ... but the update happened */
	resp_free(&r);
	assert_int_equal(count_audit("UpdateInstance", "reset", 1), 1);
	assert_int_equal(count_audit("UpdateInstance", NULL, 1), 1);

	/* On a reused keep-alive connection libcurl silently resends a request
	 * whose connection died before any answer. The resend carries the same
	 * nonce, so the emulator (like the gateway) refuses it: still applied once. */
	set_faults("reset=1@UpdateInstance#1", 200);
	ok_call(&r, "GetInstanceSummary", NULL); /* warm the connection */
	resp_free(&r);
	c.fresh_connection = 0;
	api_call(&g_emu, &c, &r);
	if (r.curl_error == CURLE_OK)
		expect_error(&r, 400, "SignatureNonceUsed");
	resp_free(&r);
	assert_int_equal(count_audit("UpdateInstance", "reset", 1), 2);
	assert_int_equal(count_audit("UpdateInstance", NULL, 1), 2);
	call_free(&c);
	free(id);
}

static void test_body_faults(void **state)
{
	(void)state;
	struct resp r;
	set_faults("malformed=1@GetInstanceSummary#1", 200);
	v3(&g_emu, &r, "GetInstanceSummary", NULL);
	assert_int_equal(r.status, 200);
	assert_null(r.json);
	assert_true(r.len > 0);
	resp_free(&r);
	set_faults("badtotal=1@ListInstances#1, wrongtype=1#1", 200);
	v3(&g_emu, &r, "ListInstances", NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"TotalCount\":1000000000000000"));
	resp_free(&r);
	v3(&g_emu, &r, "ListInstances", NULL);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(r.json, "InstanceList")));
	assert_true(cJSON_IsString(cJSON_GetObjectItem(r.json, "TotalCount")));
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "InstanceList"), "Item"), 0);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(first, "InstanceId")));
	resp_free(&r);
	set_faults("503=1#1", 200);
	v3(&g_emu, &r, "ListCloudAccess", NULL);
	expect_error(&r, 503, "ServiceUnavailable");
	resp_free(&r);
	set_faults("429=1#1", 200);
	v3(&g_emu, &r, "ListCloudAccess", NULL);
	expect_error(&r, 429, "Throttling.User");
	assert_true(atoi(r.retry_after) > 0);
	resp_free(&r);
	/* 500/503/429 come before the action: nothing applied */
	set_faults("500=1@AddCloudAccess#1", 200);
	v3(&g_emu, &r, "AddCloudAccess", "CloudName", "Tencent", "SecretId", "sid", "SecretKey", "k", NULL);
	expect_error(&r, 500, "InternalError");
	resp_free(&r);
	assert_int_equal(count_audit("AddCloudAccess", "500", 0), 1);
	assert_int_equal(count_audit("AddCloudAccess", NULL, 1), 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_stall_and_control(void **state)
{
	(void)state;
	struct resp r;
	set_faults("stall=1@GetInstanceSummary#1", 200);
	double t0 = now_s();
	ok_call(&r, "GetInstanceSummary", NULL); /* --stall-ms 300 */
	assert_true(now_s() - t0 >= 0.29);
	resp_free(&r);
	set_faults("bogus=1", 400);
	set_faults("badtotal=1@GetInstanceDetail", 400);
	set_faults("500=0.5@GetInstanceSummary", 200);
	http_raw(&g_emu, "GET", "/_emulator/faults", NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 1);
	resp_free(&r);
	/* the same SPEC draws the same pattern again (the RNG is reseeded) */
	char pattern[2][21];
	for (int round = 0; round < 2; round++) {
		set_faults("500=0.5@GetInstanceSummary", 200);
		for (int i = 0; i < 20; i++) {
			v3(&g_emu, &r, "GetInstanceSummary", NULL);
			pattern[round][i] = r.status == 500 ? 'x' : '.';
			resp_free(&r);
		}
		pattern[round][20] = '\0';
	}
	assert_string_equal(pattern[0], pattern[1]);
	assert_non_null(strchr(pattern[0], 'x'));
	assert_non_null(strchr(pattern[0], '.'));
	set_faults("", 200);
	http_raw(&g_emu, "GET", "/_emulator/faults", NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 0);
	resp_free(&r);
}

/* throttle:MS answers Throttling.User with any retry-after; slow:MS
 * holds the request, then applies it (a service that applies late) */
static void test_throttle_and_slow(void **state)
{
	(void)state;
	struct resp r;
	set_faults("throttle:3600000=1@GetInstanceSummary#1", 200);
	v3(&g_emu, &r, "GetInstanceSummary", NULL);
	expect_error(&r, 400, "Throttling.User");
	assert_string_equal(r.retry_after, "3600000");
	resp_free(&r);
	set_faults("429:2500=1@GetInstanceSummary#1", 200);
	v3(&g_emu, &r, "GetInstanceSummary", NULL);
	expect_error(&r, 429, "Throttling.User");
	assert_string_equal(r.retry_after, "2500");
	resp_free(&r);
	set_faults("500:10=1", 400);     /* only 429, throttle, stall and slow take :MS */
	set_faults("slow:x=1", 400);
	int before = count_audit("AddCloudAccess", NULL, 1);
	set_faults("slow:400=1@AddCloudAccess#1", 200);
	double t0 = now_s();
	v3(&g_emu, &r, "AddCloudAccess", "CloudName", "Tencent", "SecretId", "slowsid", "SecretKey", "k", NULL);
	assert_int_equal(r.status, 200);
	assert_true(now_s() - t0 >= 0.39);
	resp_free(&r);
	assert_int_equal(count_audit("AddCloudAccess", "slow", 1), 1);
	assert_int_equal(count_audit("AddCloudAccess", NULL, 1), before + 1);
	set_faults("", 200);
}

static int setup_faults(void **state)
{
	(void)state;
	return start_emu((const char *const[]){ "--instances", "20", "--faults", "500=1@GetInstanceSummary#1",
						"--stall-ms", "300", NULL });
}

static int teardown(void **state)
{
	(void)state;
	return stop_emu();
}

int run_faults_group(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_500_then_success),
		cmocka_unit_test(test_reset_applied_once),
		cmocka_unit_test(test_body_faults),
		cmocka_unit_test(test_stall_and_control),
		cmocka_unit_test(test_throttle_and_slow),
	};
	return cmocka_run_group_tests_name("emulator.faults", t, setup_faults, teardown);
}

static void test_qps(void **state)
{
	(void)state;
	struct resp r;
	int ok = 0, throttled = 0;
	long retry = 0;
	for (int i = 0; i < 12; i++) {
		v3(&g_emu, &r, "ListCloudAccess", NULL);
		if (r.status == 200) {
			ok++;
		} else {
			expect_error(&r, 400, "Throttling.User"); /* the default --throttle-status */
			assert_string_equal(jstr(r.json, "Message"), "Request was denied due to user flow control.");
			retry = atol(r.retry_after);
			assert_true(retry > 0 && retry <= 1000);
			throttled++;
		}
		resp_free(&r);
	}
	assert_true(ok >= 5 && ok <= 7);
	assert_true(throttled >= 5);
	/* another credential has its own bucket */
	struct call c;
	call_init(&c, "ListCloudAccess");
	c.sts = 1;
	api_call(&g_emu, &c, &r);
	expect_ok(&r);
	resp_free(&r);
	call_free(&c);
	/* control endpoints are never throttled */
	for (int i = 0; i < 20; i++) {
		http_raw(&g_emu, "GET", "/_emulator/health", NULL, &r);
		assert_int_equal(r.status, 200);
		resp_free(&r);
	}
	struct timespec ts = { .tv_sec = retry / 1000, .tv_nsec = (retry % 1000) * 1000000L + 20000000L };
	nanosleep(&ts, NULL);
	ok_call(&r, "ListCloudAccess", NULL);
	resp_free(&r);
}

static int setup_qps(void **state)
{
	(void)state;
	return start_emu((const char *const[]){ "--instances", "5", "--qps", "5", NULL });
}

int run_throttle_group(void)
{
	const struct CMUnitTest t[] = { cmocka_unit_test(test_qps) };
	return cmocka_run_group_tests_name("emulator.throttle", t, setup_qps, teardown);
}
