/* t_errors: each error class of docs/PROTOCOL.md §5 mapped to its errno by the client,
 * against the real emulator: unknown instance/access id → ENOENT; a bad
 * parameter refused by the server → EINVAL (sent through cas_client_call or
 * through a rule only the server can check), and client-side validation
 * refusing bad input with no request in the audit; refund outside the 7-day
 * window → EPERM; throttling after retries → EAGAIN; 500s and network failure
 * after retries → EIO; a stall past timeout_ms → ETIMEDOUT. The protocol group:
 * malformed bodies, wrong JSON types and absurd totals → EPROTO. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "validate.h"

static const char *inst(cJSON *st, int i)
{
	return jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), i), "InstanceId");
}

static int is_request_id(const char *s)
{
	return s && strlen(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-';
}

/* The error came from the server: status, Code and RequestId filled in. */
static void expect_server_error(const struct cas_error *e, int status, const char *code, const char *action)
{
	assert_int_equal(e->http_status, status);
	assert_string_equal(e->code, code);
	assert_true(is_request_id(e->request_id));
	assert_true(e->message[0] != '\0');
	assert_string_equal(e->action, action);
	assert_int_equal(e->ambiguous, 0);
}

/* ---- ENOENT ---- */

static void test_enoent(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_api *a = cas_client_api(c);
	struct cas_error e;
	const char *missing = "cas-cn-doesnotexist";
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, missing, &d, &e), -ENOENT, &e);
	assert_null(d);
	expect_server_error(&e, 404, "InvalidInstanceId.NotFound", "GetInstanceDetail");
	expect_rc(a->ops->get_instance_detail(a, missing, &d, &e), -ENOENT, &e);
	struct cas_update u = { .instance_id = (char *)missing, .city = (char *)"Hangzhou" };
	expect_rc(cas_update_instance(c, &u, &e), -ENOENT, &e);
	expect_server_error(&e, 404, "InvalidInstanceId.NotFound", "UpdateInstance");
	expect_rc(cas_refund_instance(c, missing, &e), -ENOENT, &e);
	expect_server_error(&e, 404, "InvalidInstanceId.NotFound", "RefundInstance");
	expect_rc(cas_delete_instance(c, missing, &e), -ENOENT, &e);
	expect_server_error(&e, 404, "InvalidInstanceId.NotFound", "DeleteInstance");
	expect_rc(cas_delete_cloud_access(c, "999999", &e), -ENOENT, &e);
	expect_server_error(&e, 404, "InvalidAccessId.NotFound", "DeleteCloudAccess");
	struct cas_cert *cert = NULL;
	expect_rc(a->ops->get_user_certificate_detail(a, "4242", &cert, &e), -ENOENT, &e);
	assert_null(cert);
	expect_server_error(&e, 404, "InvalidCertId.NotFound", "GetUserCertificateDetail");
	/* a CertId that is not a number never leaves the client */
	expect_rc(a->ops->get_user_certificate_detail(a, "12a", &cert, &e), -EINVAL, &e);
	expect_rc(a->ops->get_user_certificate_detail(a, "", &cert, &e), -EINVAL, &e);
	/* 404 is final: one request each, nothing applied */
	cJSON *audit = audit_all();
	assert_int_equal(cJSON_GetArraySize(audit), 7);
	assert_int_equal(audit_count_status(audit, NULL, 404), 7);
	assert_int_equal(audit_count(audit, NULL, 1), 0);
	cJSON_Delete(audit);
	assert_int_equal(STATS_SUM(c, retries), 0);
	assert_int_equal(STATS_SUM(c, errors), 7);
}

/* ---- EINVAL ---- */

static void test_einval_server(void **state)
{
	(void)state;
	EMU_UP("--instances", "200");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_error e;
	/* bypassing the per-operation validation: the raw call of client.h */
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "ShowSize", "500");
	cJSON *out = NULL;
	expect_rc(cas_client_call(c, CAS_LIST_INSTANCES, &q, &out, &e), -EINVAL, &e);
	assert_null(out);
	expect_server_error(&e, 400, "InvalidParameter.ShowSize", "ListInstances");
	cas_params_free(&q);
	cas_params_set(&q, "InstanceType", "FREE");
	expect_rc(cas_client_call(c, CAS_GET_INSTANCE_SUMMARY, &q, &out, &e), -EINVAL, &e);
	expect_server_error(&e, 400, "InvalidParameter.InstanceType", "GetInstanceSummary");
	cas_params_free(&q);
	expect_rc(cas_client_call(c, CAS_GET_INSTANCE_DETAIL, &q, &out, &e), -EINVAL, &e); /* no InstanceId */
	expect_server_error(&e, 400, "MissingParameter.InstanceId", "GetInstanceDetail");

	/* a rule only the server can check: the instance holds an uploaded RSA
	 * CSR, and KeyAlgorithm alone would no longer match it */
	cJSON *st = emu_state();
	const cJSON *it, *target = NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "instances"))
	{
		const char *m = jstr(it, "GenerateCsrMethod"), *k = jstr(it, "KeyAlgorithm");
		if (!target && m && !strcmp(m, "upload") && k && !strcmp(k, "RSA_2048"))
			target = it;
	}
	assert_non_null(target);
	struct cas_update u = { .instance_id = (char *)jstr(target, "InstanceId"), .key_algorithm = (char *)"ECC_256" };
	expect_rc(cas_update_instance(c, &u, &e), -EINVAL, &e);
	assert_int_equal(e.http_status, 400);
	assert_true(strncmp(e.code, "InvalidParameter", 16) == 0);
	assert_true(is_request_id(e.request_id));
	cJSON *st2 = emu_state();
	assert_string_equal(jstr(state_instance(st2, u.instance_id), "KeyAlgorithm"), "RSA_2048");

	/* 400 is never retried, never applied */
	cJSON *audit = audit_all();
	assert_int_equal(cJSON_GetArraySize(audit), 4);
	assert_int_equal(audit_count_status(audit, NULL, 400), 4);
	assert_int_equal(audit_count(audit, "UpdateInstance", 1), 0);
	cJSON_Delete(audit);
	assert_int_equal(STATS_SUM(c, retries), 0);
	cJSON_Delete(st);
	cJSON_Delete(st2);
}

static void test_einval_client(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_api *a = cas_client_api(c);
	struct cas_error e;
	cJSON *st = emu_state();
	char *id = cas_xstrdup(inst(st, 2));
	struct cas_instances *l = NULL;
	struct cas_doc *d = NULL;
	struct cas_entries *en = NULL;
	int64_t total;

	struct cas_list_query q = { .show_size = 500 };
	expect_rc(cas_list_instances(c, &q, &l, &e), -EINVAL, &e);
	assert_string_equal(e.code, "InvalidParameter.ShowSize");
	q.show_size = 0;
	q.current_page = -1;
	expect_rc(cas_list_instances(c, &q, &l, &e), -EINVAL, &e);
	struct cas_list_filter f = { .status = "bogus" };
	expect_rc(cas_list_all_instances(c, &f, &l, &e), -EINVAL, &e);
	assert_string_equal(e.code, "InvalidParameter.Status");
	expect_rc(a->ops->list_instances(a, &f, &l, &e), -EINVAL, &e);
	struct cas_list_filter f2 = { .cert_type = "XV" };
	expect_rc(cas_list_all_instances(c, &f2, &l, &e), -EINVAL, &e);
	assert_null(l);
	expect_rc(cas_list_cloud_access(c, 1, 13, &en, &total, &e), -EINVAL, &e);
	expect_rc(cas_get_instance_summary(c, "FREE", &d, &e), -EINVAL, &e);
	expect_rc(cas_get_instance_detail(c, "", &d, &e), -EINVAL, &e);
	assert_string_equal(e.code, "MissingParameter.InstanceId");
	expect_rc(cas_get_instance_detail(c, "has space", &d, &e), -EINVAL, &e);
	expect_rc(cas_get_ca_instance_status(c, "bad\x01id", NULL, &en, &e), -EINVAL, &e);

	struct cas_update u = { .instance_id = id, .auto_reissue = (char *)"sometimes" };
	expect_rc(cas_update_instance(c, &u, &e), -EINVAL, &e);
	assert_string_equal(e.code, "InvalidParameter.AutoReissue");
	expect_rc(a->ops->update_instance(a, &u, &e), -EINVAL, &e);
	struct cas_tag many[CAS_MAX_TAGS + 1];
	char keys[CAS_MAX_TAGS + 1][16];
	for (int i = 0; i <= CAS_MAX_TAGS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		many[i].key = keys[i];
		many[i].value = (char *)"v";
	}
	struct cas_update u2 = { .instance_id = id, .has_tags = 1, .tags = many, .ntags = CAS_MAX_TAGS + 1 };
	expect_rc(cas_update_instance(c, &u2, &e), -EINVAL, &e);
	struct cas_update u3 = { .instance_id = id, .csr = (char *)"-----BEGIN CERTIFICATE REQUEST-----\nnot a csr\n-----END CERTIFICATE REQUEST-----\n" };
	expect_rc(cas_update_instance(c, &u3, &e), -EINVAL, &e);
	struct cas_update u4 = { .instance_id = id, .country_code = (char *)"Germany" };
	expect_rc(cas_update_instance(c, &u4, &e), -EINVAL, &e);
	struct cas_update u5 = { .instance_id = NULL, .city = (char *)"x" };
	expect_rc(cas_update_instance(c, &u5, &e), -EINVAL, &e);
	expect_rc(cas_delete_instance(c, "", &e), -EINVAL, &e);
	expect_rc(cas_refund_instance(c, "no/slash\n", &e), -EINVAL, &e);
	/* the provider is the service's to judge; a control character is not */
	struct cas_access_new n = { "Aws\n", "AKIDx", "secret" };
	expect_rc(cas_add_cloud_access(c, &n, &e), -EINVAL, &e);
	assert_string_equal(e.code, "InvalidParameter.CloudName");
	struct cas_access_new n2 = { "Tencent", "AKIDx", NULL };
	expect_rc(a->ops->add_cloud_access(a, &n2, &e), -EINVAL, &e);
	expect_rc(cas_delete_cloud_access(c, "12ab", &e), -EINVAL, &e);
	expect_rc(a->ops->delete_cloud_access(a, "", &e), -EINVAL, &e);

	/* every one of them was caught before any request */
	assert_int_equal(audit_lines(), 0);
	assert_int_equal(STATS_SUM(c, calls), 0);
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	assert_int_equal(cs.connections, 0);
	cJSON *st2 = emu_state();
	cJSON_DeleteItemFromObject(st, "now_ms");
	cJSON_DeleteItemFromObject(st2, "now_ms");
	assert_true(cJSON_Compare(st, st2, 1));
	free(id);
	cJSON_Delete(st);
	cJSON_Delete(st2);
}

/* ---- EPERM ---- */

static void test_eperm(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_api *a = cas_client_api(c);
	struct cas_error e;
	cJSON *st = emu_state();
	/* instance 1: BUY, ordered 30 days ago */
	expect_rc(cas_refund_instance(c, inst(st, 1), &e), -EPERM, &e);
	expect_server_error(&e, 400, "OperationDenied.RefundPeriodExpired", "RefundInstance");
	expect_rc(a->ops->refund_instance(a, inst(st, 1), &e), -EPERM, &e);
	/* instance 7: TEST, never refundable */
	expect_rc(cas_refund_instance(c, inst(st, 7), &e), -EPERM, &e);
	expect_server_error(&e, 400, "OperationDenied.InstanceStatus", "RefundInstance");
	/* instance 0 (ordered a day ago) once the emulator's clock is 7 days on */
	cJSON_Delete(emu_post("/_emulator/clock", "{\"offset_ms\": 604800000}"));
	expect_rc(cas_refund_instance(c, inst(st, 0), &e), -EPERM, &e);
	expect_server_error(&e, 400, "OperationDenied.RefundPeriodExpired", "RefundInstance");
	cJSON *audit = audit_all();
	assert_int_equal(audit_count(audit, "RefundInstance", -1), 4);
	assert_int_equal(audit_count(audit, "RefundInstance", 1), 0);
	cJSON_Delete(audit);
	cJSON *st2 = emu_state();
	assert_string_equal(jstr(state_instance(st2, inst(st, 0)), "Status"), jstr(state_instance(st, inst(st, 0)), "Status"));
	assert_string_equal(jstr(state_instance(st2, inst(st, 1)), "Status"), jstr(state_instance(st, inst(st, 1)), "Status"));
	cJSON_Delete(st2);
	/* back inside the window it works */
	cJSON_Delete(emu_post("/_emulator/clock", "{\"offset_ms\": 0}"));
	expect_rc(cas_refund_instance(c, inst(st, 0), &e), 0, &e);
	cJSON_Delete(st);
}

/* ---- EAGAIN ---- */

static void test_eagain(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "429=1");
	struct cas_client_opts o = { .max_retries = 2 };
	struct cas_client *c = client_for(CRED_AK, &o);
	struct cas_error e;
	cJSON *st = emu_state();
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EAGAIN, &e);
	expect_server_error(&e, 429, "Throttling.User", "GetInstanceDetail");
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].calls, 3); /* 1 + max_retries */
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].retries, 2);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].throttled, 3);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].errors, 1);
	cJSON *audit = audit_all();
	assert_int_equal(audit_count_status(audit, "GetInstanceDetail", 429), 3);
	cJSON_Delete(audit);

	/* a throttled mutation certainly did not run: retried too, never applied */
	struct cas_update u = { .instance_id = (char *)inst(st, 2), .city = (char *)"Client-EAGAIN-City" };
	expect_rc(cas_update_instance(c, &u, &e), -EAGAIN, &e);
	expect_server_error(&e, 429, "Throttling.User", "UpdateInstance");
	audit = audit_all();
	assert_int_equal(audit_count(audit, "UpdateInstance", -1), 3);
	assert_int_equal(audit_count(audit, "UpdateInstance", 1), 0);
	cJSON_Delete(audit);

	/* 503 is throttling too */
	emu_faults("503=1");
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), -EAGAIN, &e);
	assert_int_equal(e.http_status, 503);
	assert_string_equal(e.code, "ServiceUnavailable");
	audit = audit_all();
	assert_int_equal(audit_count_status(audit, "ListInstances", 503), 3);
	cJSON_Delete(audit);

	/* and with the fault gone the same client works */
	emu_faults("");
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), 0, &e);
	cas_obj_unref(d);
	cJSON_Delete(st);
}

/* ---- EIO ---- */

static int closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s); /* bound, never listening: connections are refused */
	return ntohs(a.sin_port);
}

static void test_eio(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "500=1");
	struct cas_client_opts o = { .max_retries = 2 };
	struct cas_client *c = client_for(CRED_AK, &o);
	struct cas_error e;
	cJSON *st = emu_state();
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EIO, &e);
	expect_server_error(&e, 500, "InternalError", "GetInstanceDetail");
	cJSON *audit = audit_all();
	assert_int_equal(audit_count_status(audit, "GetInstanceDetail", 500), 3);
	cJSON_Delete(audit);
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].retries, 2);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].throttled, 0);

	/* a 500 on a mutation: whatever reconciliation does, EIO and never applied */
	emu_faults("500=1@UpdateInstance");
	struct cas_update u = { .instance_id = (char *)inst(st, 2), .city = (char *)"Client-EIO-City" };
	expect_rc(cas_update_instance(c, &u, &e), -EIO, &e);
	assert_int_equal(e.http_status, 500);
	audit = audit_all();
	assert_true(audit_count(audit, "UpdateInstance", -1) >= 1);
	assert_int_equal(audit_count(audit, "UpdateInstance", 1), 0);
	cJSON_Delete(audit);

	/* network failure after retries: nothing listens on the port */
	char *url = cas_xasprintf("http://127.0.0.1:%d", closed_port());
	struct cas_client_opts o2 = { .endpoint = url, .max_retries = 1 };
	struct cas_client *dead = client_for(CRED_AK, &o2);
	expect_rc(cas_get_instance_detail(dead, inst(st, 0), &d, &e), -EIO, &e);
	assert_int_equal(e.http_status, 0);
	assert_string_equal(e.code, "Local.Network");
	cas_client_stats(dead, &cs);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].retries, 1);
	/* connect failed, so the mutation certainly did not run: retried, then EIO */
	expect_rc(cas_delete_instance(dead, inst(st, 0), &e), -EIO, &e);
	assert_int_equal(e.ambiguous, 0);
	free(url);
	cJSON_Delete(st);
}

/* ---- ETIMEDOUT ---- */

static void test_etimedout(void **state)
{
	(void)state;
	EMU_UP("--instances", "10", "--faults", "stall=1@GetInstanceDetail", "--stall-ms", "5000");
	struct cas_client_opts o = { .timeout_ms = 400, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	struct cas_error e;
	cJSON *st = emu_state();
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -ETIMEDOUT, &e);
	assert_null(d);
	assert_int_equal(e.http_status, 0);
	assert_string_equal(e.action, "GetInstanceDetail");
	/* other operations are unaffected */
	expect_rc(cas_get_instance_summary(c, NULL, &d, &e), 0, &e);
	cas_obj_unref(d);
	cJSON_Delete(st);
}

int group_errors(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_enoent, emu_teardown),
		cmocka_unit_test_teardown(test_einval_server, emu_teardown),
		cmocka_unit_test_teardown(test_einval_client, emu_teardown),
		cmocka_unit_test_teardown(test_eperm, emu_teardown),
		cmocka_unit_test_teardown(test_eagain, emu_teardown),
		cmocka_unit_test_teardown(test_eio, emu_teardown),
		cmocka_unit_test_teardown(test_etimedout, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.errors", tests, NULL, NULL);
}

/* ---- EPROTO ---- */

/* Runs every read operation under one fault SPEC; each must fail with EPROTO. */
static void reads_give_eproto(struct cas_client *c, cJSON *st, const char *spec, int detail, int lists, int access,
			      int ca, int summary)
{
	struct cas_error e;
	struct cas_doc *d = NULL;
	struct cas_instances *l = NULL;
	struct cas_entries *en = NULL;
	int64_t total;
	emu_faults(spec);
	if (detail) {
		expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EPROTO, &e);
		assert_null(d);
	}
	if (lists) {
		struct cas_list_query q = { .current_page = 1, .show_size = 10 };
		expect_rc(cas_list_instances(c, &q, &l, &e), -EPROTO, &e);
		assert_null(l);
		expect_rc(cas_list_all_instances(c, NULL, &l, &e), -EPROTO, &e);
		assert_null(l);
	}
	if (access) {
		expect_rc(cas_list_cloud_access(c, 1, 10, &en, &total, &e), -EPROTO, &e);
		expect_rc(cas_list_all_cloud_access(c, &en, &e), -EPROTO, &e);
		assert_null(en);
	}
	if (ca) {
		expect_rc(cas_get_ca_instance_status(c, NULL, NULL, &en, &e), -EPROTO, &e);
		assert_null(en);
	}
	if (summary) {
		expect_rc(cas_get_instance_summary(c, NULL, &d, &e), -EPROTO, &e);
		assert_null(d);
	}
	emu_faults("");
}

static void test_eproto_malformed(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client_opts o = { .max_retries = 1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	cJSON *st = emu_state();
	reads_give_eproto(c, st, "malformed=1", 1, 1, 1, 1, 1);
	/* a read with a cut body may be retried: at most 1 + max_retries requests each */
	cJSON *audit = audit_all();
	assert_true(audit_count(audit, "GetInstanceDetail", -1) <= 2);
	cJSON_Delete(audit);
	cJSON_Delete(st);
}

static void test_eproto_wrongtype(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	reads_give_eproto(c, st, "wrongtype=1@GetInstanceDetail", 1, 0, 0, 0, 0);
	reads_give_eproto(c, st, "wrongtype=1@ListInstances", 0, 1, 0, 0, 0);
	reads_give_eproto(c, st, "wrongtype=1@ListCloudAccess", 0, 0, 1, 0, 0);
	reads_give_eproto(c, st, "wrongtype=1@GetCAInstanceStatus", 0, 0, 0, 1, 0);
	/* a well-formed 200 with the wrong types is an answer, not a glitch: no retry */
	assert_int_equal(STATS_SUM(c, retries), 0);
	cJSON_Delete(st);
}

static void test_eproto_wrongtype_summary(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	/* counts that arrive as digit strings are read as the SDK reads them
	 * (proto/decode.h), and the document is shown as the service sent it */
	emu_faults("wrongtype=1@GetInstanceSummary");
	struct cas_doc *d = NULL;
	struct cas_error e;
	expect_rc(cas_get_instance_summary(c, NULL, &d, &e), 0, &e);
	assert_non_null(strstr(d->text, "\"TotalCount\": \"10\""));
	cas_obj_unref(d);
	cJSON_Delete(st);
}

static void test_eproto_badtotal(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	reads_give_eproto(c, st, "badtotal=1@ListInstances", 0, 1, 0, 0, 0);
	reads_give_eproto(c, st, "badtotal=1@ListCloudAccess", 0, 0, 1, 0, 0);
	/* the absurd total did not make the client fetch pages it invented */
	cJSON *audit = audit_all();
	assert_int_equal(audit_count(audit, "ListInstances", -1), 2);
	cJSON_Delete(audit);
	/* with the fault cleared everything is fine again */
	struct cas_instances *l = NULL;
	struct cas_error e;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 10);
	cas_obj_unref(l);
	cJSON_Delete(st);
}

int group_protocol(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_eproto_malformed, emu_teardown),
		cmocka_unit_test_teardown(test_eproto_wrongtype, emu_teardown),
		cmocka_unit_test_teardown(test_eproto_wrongtype_summary, emu_teardown),
		cmocka_unit_test_teardown(test_eproto_badtotal, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.protocol", tests, NULL, NULL);
}
