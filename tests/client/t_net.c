/* t_net: the client's transport and retry behaviour against the emulator.
 * throttle: the emulator's --qps 20 throttles ~60 quick calls from 4
 * threads, the client retries and every call succeeds (stats: throttled > 0,
 * retries > 0); with the client's own limit at the server's rate nothing is
 * throttled. retry: injected 500s (--faults 500=0.3) are retried and every
 * read succeeds. reset: a connection reset (or a cut body, or a stall) after
 * a mutation was applied ends in success with exactly one applied call in
 * the audit, for every mutating action, reconciled by reading. tls: HTTPS
 * with a self-signed certificate works with cafile and is refused without
 * it. reuse: a warm connection is reused (connections stays at 1 over 100
 * sequential calls). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"

static const char *inst(cJSON *st, int i)
{
	return jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), i), "InstanceId");
}

/* ---- throttle ---- */

struct worker {
	struct cas_client *c;
	cJSON *st;
	int first, count, ok;
	int rc;
	struct cas_error e;
};

static void *detail_worker(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->count; i++) {
		struct cas_doc *d = NULL;
		struct cas_error e;
		int rc = cas_get_instance_detail(w->c, inst(w->st, (w->first + i) % 20), &d, &e);
		if (rc == 0)
			w->ok++;
		else if (!w->rc) {
			w->rc = rc;
			w->e = e;
		}
		cas_obj_unref(d);
	}
	return NULL;
}

/* Runs nthreads x per_thread GetInstanceDetail calls; returns the successes. */
static int run_threads(struct cas_client *c, cJSON *st, int nthreads, int per_thread)
{
	pthread_t th[8];
	struct worker w[8];
	assert_true(nthreads <= 8);
	for (int i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .c = c, .st = st, .first = i * 5, .count = per_thread };
		assert_int_equal(pthread_create(&th[i], NULL, detail_worker, &w[i]), 0);
	}
	int ok = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
		if (w[i].rc) {
			char msg[1024];
			cas_error_format(&w[i].e, msg, sizeof(msg));
			fprintf(stderr, "thread %d: %s\n", i, msg);
		}
	}
	return ok;
}

static void test_throttle_retried(void **state)
{
	(void)state;
	EMU_UP("--instances", "20", "--qps", "20");
	/* the client's default limit (100 QPS) is 5x the server's */
	struct cas_client_opts o = { .qps = 100, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	cJSON *st = emu_state();
	int ok = run_threads(c, st, 4, 15);
	assert_int_equal(ok, 60);
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	const struct cas_action_stats *a = &cs.a[CAS_GET_INSTANCE_DETAIL];
	fprintf(stderr, "throttle: calls %llu ok %llu throttled %llu retries %llu errors %llu\n",
		(unsigned long long)a->calls, (unsigned long long)a->ok, (unsigned long long)a->throttled,
		(unsigned long long)a->retries, (unsigned long long)a->errors);
	assert_true(a->throttled > 0);
	assert_true(a->retries > 0);
	assert_int_equal(a->ok, 60);
	assert_int_equal(a->errors, 0);
	assert_int_equal(a->calls, 60 + a->retries);
	/* the audit agrees: each throttle (HTTP 400 Throttling.User, the
	 * emulator's default) was followed by a retry, 60 answers succeeded */
	cJSON *audit = audit_all();
	assert_int_equal(audit_count_status(audit, "GetInstanceDetail", 200), 60);
	assert_int_equal((uint64_t)audit_count_status(audit, "GetInstanceDetail", 400), a->throttled);
	assert_int_equal((uint64_t)cJSON_GetArraySize(audit), a->calls);
	cJSON_Delete(audit);
	cJSON_Delete(st);
}

static void test_throttle_client_limit(void **state)
{
	(void)state;
	EMU_UP("--instances", "20", "--qps", "20");
	/* the client's own limit at the server's rate: nothing gets throttled */
	struct cas_client_opts o = { .qps = 20, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	cJSON *st = emu_state();
	int ok = run_threads(c, st, 4, 10);
	assert_int_equal(ok, 40);
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].throttled, 0);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].calls, 40);
	assert_true(cs.rate_waits > 0);
	cJSON *audit = audit_all();
	assert_int_equal(audit_count_status(audit, NULL, 429), 0);
	cJSON_Delete(audit);
	cJSON_Delete(st);
}

int group_throttle(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_throttle_retried, emu_teardown),
		cmocka_unit_test_teardown(test_throttle_client_limit, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.throttle", tests, NULL, NULL);
}

/* ---- injected 500s ---- */

static void test_retry_500(void **state)
{
	(void)state;
	EMU_UP("--instances", "300", "--faults", "500=0.3");
	/* sequential requests see the same fault pattern every run */
	struct cas_client_opts o = { .page_workers = 1, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	struct cas_api *a = cas_client_api(c);
	cJSON *st = emu_state();
	struct cas_error e;
	int reads = 0;
	for (int i = 0; i < 40; i++, reads++) {
		struct cas_doc *d = NULL;
		expect_rc(cas_get_instance_detail(c, inst(st, i), &d, &e), 0, &e);
		assert_string_equal(e.code, "");
		cas_obj_unref(d);
	}
	struct cas_instances *l = NULL;
	expect_rc(a->ops->list_instances(a, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 300);
	cas_obj_unref(l);
	reads += 3;
	struct cas_doc *d = NULL;
	expect_rc(a->ops->get_instance_summary(a, &d, &e), 0, &e);
	cas_obj_unref(d);
	reads++;
	struct cas_entries *en = NULL;
	expect_rc(a->ops->list_cloud_access(a, &en, &e), 0, &e);
	cas_obj_unref(en);
	reads++;
	expect_rc(a->ops->get_ca_instance_status(a, &en, &e), 0, &e);
	cas_obj_unref(en);
	reads++;
	uint64_t retries = STATS_SUM(c, retries);
	fprintf(stderr, "retry: %d reads, %llu retries\n", reads, (unsigned long long)retries);
	assert_true(retries > 0);
	assert_int_equal(STATS_SUM(c, errors), 0);
	assert_int_equal(STATS_SUM(c, ok), (uint64_t)reads);
	cJSON *audit = audit_all();
	assert_int_equal(audit_count_status(audit, NULL, 200), reads);
	assert_int_equal((uint64_t)audit_count_status(audit, NULL, 500), retries);
	cJSON_Delete(audit);
	cJSON_Delete(st);
}

int group_retry(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_retry_500, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.retry", tests, NULL, NULL);
}

/* ---- lost responses to mutations ---- */

static void warm_up(struct cas_client *c, cJSON *st)
{
	struct cas_doc *d = NULL;
	struct cas_error e;
	expect_rc(cas_get_instance_detail(c, inst(st, 9), &d, &e), 0, &e);
	cas_obj_unref(d);
}

/* Exactly one applied call of action, and the fault fired on it. */
static void expect_one_apply(const char *action, const char *fault)
{
	cJSON *audit = audit_all();
	int applied = audit_count(audit, action, 1);
	if (applied != 1) {
		char *s = cJSON_Print(audit);
		fprintf(stderr, "audit:\n%s\n", s);
		free(s);
		fail_msg("%s applied %d times", action, applied);
	}
	int fired = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, audit)
	{
		const char *f = jstr(it, "fault");
		if (f && strcmp(f, fault) == 0) {
			assert_string_equal(jstr(it, "action"), action);
			assert_true(cJSON_IsTrue(cJSON_GetObjectItem(it, "applied")));
			fired++;
		}
	}
	assert_int_equal(fired, 1);
	cJSON_Delete(audit);
}

static void update_lost(const char *fault, int warm, long timeout_ms)
{
	char spec[64];
	snprintf(spec, sizeof(spec), "%s=1@UpdateInstance#1", fault);
	EMU_UP("--instances", "10", "--faults", spec, "--stall-ms", "4000");
	struct cas_client_opts o = { .timeout_ms = timeout_ms, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	cJSON *st = emu_state();
	if (warm)
		warm_up(c, st);
	struct cas_error e;
	struct cas_tag tags[] = { { (char *)"lost", (char *)fault } };
	struct cas_update u = { .instance_id = (char *)inst(st, 3), .city = (char *)"Chengdu", .has_tags = 1,
				.tags = tags, .ntags = 1 };
	expect_rc(cas_update_instance(c, &u, &e), 0, &e);
	expect_one_apply("UpdateInstance", fault);
	cJSON *now = emu_state();
	assert_string_equal(jstr(state_instance(now, u.instance_id), "City"), "Chengdu");
	cJSON_Delete(now);
	cJSON_Delete(st);
}

static void test_reset_update_warm(void **state)
{
	(void)state;
	update_lost("reset", 1, 0);
}

static void test_reset_update_cold(void **state)
{
	(void)state;
	update_lost("reset", 0, 0);
}

static void test_malformed_update(void **state)
{
	(void)state;
	update_lost("malformed", 1, 0);
}

static void test_stall_update(void **state)
{
	(void)state;
	update_lost("stall", 1, 1000);
}

static void test_reset_delete(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "reset=1@DeleteInstance#1");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	warm_up(c, st);
	struct cas_error e;
	expect_rc(cas_delete_instance(c, inst(st, 4), &e), 0, &e);
	expect_one_apply("DeleteInstance", "reset");
	cJSON *now = emu_state();
	assert_null(state_instance(now, inst(st, 4)));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(now, "instances")), 9);
	cJSON_Delete(now);
	cJSON_Delete(st);
}

static int count_secret_id(cJSON *st, const char *secret_id)
{
	int n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "cloud_access"))
	n += jstr(it, "SecretId") && strcmp(jstr(it, "SecretId"), secret_id) == 0;
	return n;
}

static void test_reset_add_access(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "reset=1@AddCloudAccess#1");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	warm_up(c, st);
	struct cas_error e;
	struct cas_access_new n = { "Tencent", "AKIDclientTestReset01", "tencent-secret-key-reset" };
	expect_rc(cas_add_cloud_access(c, &n, &e), 0, &e);
	expect_one_apply("AddCloudAccess", "reset");
	cJSON *now = emu_state();
	assert_int_equal(count_secret_id(now, n.secret_id), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(now, "cloud_access")), 6);
	cJSON_Delete(now);
	cJSON_Delete(st);
}

static void test_reset_refund(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "reset=1@RefundInstance#1");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	warm_up(c, st);
	struct cas_error e;
	expect_rc(cas_refund_instance(c, inst(st, 0), &e), 0, &e);
	expect_one_apply("RefundInstance", "reset");
	cJSON *now = emu_state();
	assert_string_equal(jstr(state_instance(now, inst(st, 0)), "Status"), "refund");
	cJSON_Delete(now);
	cJSON_Delete(st);
}

static void test_reset_delete_access(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "reset=1@DeleteCloudAccess#1");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	warm_up(c, st);
	struct cas_error e;
	expect_rc(cas_delete_cloud_access(c, "100102", &e), 0, &e);
	expect_one_apply("DeleteCloudAccess", "reset");
	cJSON *now = emu_state();
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(now, "cloud_access")), 4);
	cJSON_Delete(now);
	cJSON_Delete(st);
}

/* A reset on a read: the read is simply retried and succeeds. */
static void test_reset_read(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "reset=1@GetInstanceDetail#1");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	struct cas_error e;
	struct cas_doc *d = NULL;
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e); /* warm, and not faulted */
	cas_obj_unref(l);
	expect_rc(cas_get_instance_detail(c, inst(st, 1), &d, &e), 0, &e);
	assert_non_null(d);
	cas_obj_unref(d);
	cJSON_Delete(st);
}

int group_reset(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reset_update_warm, emu_teardown),
		cmocka_unit_test_teardown(test_reset_update_cold, emu_teardown),
		cmocka_unit_test_teardown(test_reset_delete, emu_teardown),
		cmocka_unit_test_teardown(test_reset_add_access, emu_teardown),
		cmocka_unit_test_teardown(test_reset_refund, emu_teardown),
		cmocka_unit_test_teardown(test_reset_delete_access, emu_teardown),
		cmocka_unit_test_teardown(test_reset_read, emu_teardown),
		cmocka_unit_test_teardown(test_malformed_update, emu_teardown),
		cmocka_unit_test_teardown(test_stall_update, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.reset", tests, NULL, NULL);
}

/* ---- TLS ---- */

static char g_tls_dir[64], g_cert[128], g_key[128], g_other[128];

static int gen_cert(const char *cert, const char *key)
{
	char *cmd = cas_xasprintf("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
				  "-addext subjectAltName=IP:127.0.0.1 -days 2 -keyout '%s' -out '%s' >/dev/null 2>&1",
				  key, cert);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static int tls_setup(void **state)
{
	(void)state;
	snprintf(g_tls_dir, sizeof(g_tls_dir), "/tmp/client-tls-XXXXXX");
	if (!mkdtemp(g_tls_dir))
		return -1;
	snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_tls_dir);
	snprintf(g_key, sizeof(g_key), "%s/key.pem", g_tls_dir);
	snprintf(g_other, sizeof(g_other), "%s/other.pem", g_tls_dir);
	char okey[128];
	snprintf(okey, sizeof(okey), "%s/other-key.pem", g_tls_dir);
	if (gen_cert(g_cert, g_key) || gen_cert(g_other, okey)) {
		fprintf(stderr, "openssl could not make a test certificate\n");
		return -1;
	}
	return 0;
}

static int tls_teardown(void **state)
{
	(void)state;
	char *cmd = cas_xasprintf("rm -rf '%s'", g_tls_dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static void tls_up(void)
{
	snprintf(g_emu.cafile, sizeof(g_emu.cafile), "%s", g_cert); /* for the control requests */
	EMU_UP("--instances", "150", "--tls-cert", g_cert, "--tls-key", g_key);
	assert_true(strncmp(g_emu.url, "https://127.0.0.1:", 18) == 0);
}

static void test_tls_with_cafile(void **state)
{
	(void)state;
	tls_up();
	struct cas_client_opts o = { .cafile = g_cert, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	assert_string_equal(cas_client_endpoint(c), g_emu.url);
	cJSON *st = emu_state();
	struct cas_error e;
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), 0, &e);
	cas_obj_unref(d);
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 150);
	cas_obj_unref(l);
	struct cas_update u = { .instance_id = (char *)inst(st, 2), .city = (char *)"Xi'an" };
	expect_rc(cas_update_instance(c, &u, &e), 0, &e);
	cJSON *audit = audit_all();
	assert_int_equal(cJSON_GetArraySize(audit), 4);
	assert_int_equal(audit_count(audit, "UpdateInstance", 1), 1);
	cJSON_Delete(audit);
	/* the TLS session and connection are reused too */
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	assert_true(cs.connections >= 1 && cs.connections <= 3);
	cJSON_Delete(st);
}

static void test_tls_without_cafile(void **state)
{
	(void)state;
	tls_up();
	cJSON *st = emu_state();
	struct cas_error e;
	struct cas_doc *d = NULL;
	/* no cafile: the system store does not trust the certificate */
	struct cas_client_opts o = { .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EIO, &e);
	assert_null(d);
	assert_string_equal(e.code, "Local.TLS");
	assert_int_equal(e.http_status, 0);
	assert_int_equal(STATS_SUM(c, retries), 0); /* permanent: not retried */
	struct cas_update u = { .instance_id = (char *)inst(st, 2), .city = (char *)"Xi'an" };
	expect_rc(cas_update_instance(c, &u, &e), -EIO, &e);
	assert_string_equal(e.code, "Local.TLS");
	/* a CA file that holds another certificate does not help */
	struct cas_client_opts o2 = { .cafile = g_other, .max_retries = -1 };
	struct cas_client *c2 = client_for(CRED_AK, &o2);
	expect_rc(cas_get_instance_detail(c2, inst(st, 0), &d, &e), -EIO, &e);
	assert_string_equal(e.code, "Local.TLS");
	/* nothing reached the API */
	assert_int_equal(audit_lines(), 0);
	cJSON_Delete(st);
}

int group_tls(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tls_with_cafile, emu_teardown),
		cmocka_unit_test_teardown(test_tls_without_cafile, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.tls", tests, tls_setup, tls_teardown);
}

/* ---- connection reuse ---- */

static long connections(struct cas_client *c)
{
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	return cs.connections;
}

static void test_reuse_sequential(void **state)
{
	(void)state;
	EMU_UP("--instances", "120");
	struct cas_client_opts o = { .page_workers = 1, .max_retries = -1 }; /* sequential pages */
	struct cas_client *c = client_for(CRED_AK, &o);
	cJSON *st = emu_state();
	struct cas_error e;
	struct cas_doc *d = NULL;
	assert_int_equal(connections(c), 0);
	expect_rc(cas_get_instance_summary(c, NULL, &d, &e), 0, &e); /* the warm call */
	cas_obj_unref(d);
	assert_int_equal(connections(c), 1);
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), 0, &e);
	cas_obj_unref(d);
	assert_int_equal(connections(c), 1);
	for (int i = 0; i < 100; i++) {
		expect_rc(cas_get_instance_detail(c, inst(st, i), &d, &e), 0, &e);
		cas_obj_unref(d);
		assert_int_equal(connections(c), 1);
	}
	/* other read operations and error answers keep it too */
	expect_rc(cas_get_instance_detail(c, "cas-cn-notthereatall", &d, &e), -ENOENT, &e);
	assert_int_equal(connections(c), 1);
	struct cas_entries *en = NULL;
	expect_rc(cas_get_ca_instance_status(c, NULL, NULL, &en, &e), 0, &e);
	cas_obj_unref(en);
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	cas_obj_unref(l);
	assert_int_equal(connections(c), 1);
	/* a mutation rides a fresh connection, never a pooled one (client/http.h:
	 * libcurl would silently resend it on a reused one that died): exactly
	 * one new connection per mutation; reads then go on reusing what is open */
	struct cas_update u = { .instance_id = (char *)inst(st, 5), .city = (char *)"Suzhou" };
	expect_rc(cas_update_instance(c, &u, &e), 0, &e);
	long after_mutation = connections(c);
	assert_int_equal(after_mutation, 2);
	u.city = (char *)"Hangzhou";
	expect_rc(cas_update_instance(c, &u, &e), 0, &e);
	assert_int_equal(connections(c), 3);
	after_mutation = 3;
	for (int i = 0; i < 10; i++) {
		expect_rc(cas_get_instance_detail(c, inst(st, i), &d, &e), 0, &e);
		cas_obj_unref(d);
	}
	assert_int_equal(connections(c), after_mutation);
	assert_int_equal(audit_lines(), 1 + 1 + 100 + 1 + 1 + 2 + 1 + 1 + 10);
	cJSON_Delete(st);
}

static void test_reuse_threads(void **state)
{
	(void)state;
	EMU_UP("--instances", "20");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	assert_int_equal(run_threads(c, st, 4, 25), 100);
	long after = connections(c);
	assert_true(after >= 1 && after <= 4); /* at most one per concurrent caller */
	assert_int_equal(run_threads(c, st, 4, 25), 100);
	assert_true(connections(c) <= 4); /* the second round opens none that it could reuse */
	/* a list after that opens none either */
	struct cas_instances *l = NULL;
	struct cas_error e;
	long before = connections(c);
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	cas_obj_unref(l);
	assert_int_equal(connections(c), before);
	cJSON_Delete(st);
}

int group_reuse(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reuse_sequential, emu_teardown),
		cmocka_unit_test_teardown(test_reuse_threads, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.reuse", tests, NULL, NULL);
}
