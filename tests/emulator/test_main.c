/* test_main: the emulator test driver. `test_emulator BIN GROUP` runs one
 * group against a freshly started cas-emulator BIN: cli, auth, control and
 * tls here; actions, faults and throttle in test_actions.c/test_faults.c. */
#include "test_main.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "../support/ci_skip.h"

const char *g_bin;
struct emu_proc g_emu;
/* cmocka 1.1 does not fail a run whose group teardown fails, so an emulator
 * that exits non-zero (e.g. a sanitizer report at exit) is recorded here. */
static int g_stop_failed;

int start_emu(const char *const *extra)
{
	return emu_start(&g_emu, g_bin, extra);
}

int stop_emu(void)
{
	int rc = emu_stop(&g_emu);
	if (rc != 0) {
		fprintf(stderr, "emulator exited with %d\n", rc);
		g_stop_failed = 1;
	}
	return rc;
}

static int is_request_id(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]) || islower((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

void expect_error(const struct resp *r, long status, const char *code)
{
	if (r->status != status || !r->json || !jstr(r->json, "Code") || strcmp(jstr(r->json, "Code"), code))
		fprintf(stderr, "expected %ld %s, got %ld %s\n", status, code, r->status, r->body ? r->body : "");
	assert_int_equal(r->status, status);
	assert_non_null(r->json);
	assert_string_equal(jstr(r->json, "Code"), code);
	assert_non_null(jstr(r->json, "Message"));
	assert_true(is_request_id(jstr(r->json, "RequestId")));
	assert_string_equal(jstr(r->json, "RequestId"), r->request_id);
	assert_string_equal(jstr(r->json, "HostId"), "127.0.0.1");
	char want[200];
	snprintf(want, sizeof(want), "https://api.aliyun.com/troubleshoot?q=%s&product=cas", code);
	assert_string_equal(jstr(r->json, "Recommend"), want);
	assert_string_equal(r->content_type, "application/json;charset=utf-8");
}

void expect_ok(const struct resp *r)
{
	if (r->status != 200)
		fprintf(stderr, "expected 200, got %ld %s\n", r->status, r->body ? r->body : "");
	assert_int_equal(r->status, 200);
	assert_non_null(r->json);
	assert_true(is_request_id(jstr(r->json, "RequestId")));
	assert_string_equal(jstr(r->json, "RequestId"), r->request_id);
	assert_string_equal(r->content_type, "application/json;charset=utf-8");
}

const cJSON *ok_call(struct resp *r, const char *action, ...)
{
	struct call c;
	call_init(&c, action);
	va_list ap;
	va_start(ap, action);
	for (const char *k; (k = va_arg(ap, const char *));)
		cas_params_set(&c.q, k, va_arg(ap, const char *));
	va_end(ap);
	api_call(&g_emu, &c, r);
	call_free(&c);
	expect_ok(r);
	return r->json;
}

cJSON *state_dump(void)
{
	struct resp r;
	http_raw(&g_emu, "GET", "/_emulator/state", NULL, &r);
	assert_int_equal(r.status, 200);
	cJSON *d = r.json;
	r.json = NULL;
	resp_free(&r);
	return d;
}

char *instance_id(int i)
{
	cJSON *d = state_dump();
	cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "instances"), i);
	char *id = cas_xstrdup(jstr(o, "InstanceId"));
	cJSON_Delete(d);
	return id;
}

/* ---- cli ---- */

static void expect_exit(int code, const char *needle, const char *const *args)
{
	char line[512];
	int rc = emu_run_exit(g_bin, args, line, sizeof(line));
	if (rc != code || (needle && !strstr(line, needle)))
		fprintf(stderr, "exit %d, stderr \"%s\"\n", rc, line);
	assert_int_equal(rc, code);
	if (needle)
		assert_non_null(strstr(line, needle));
}

static void test_cli(void **state)
{
	(void)state;
	expect_exit(2, "credential", (const char *const[]){ "--instances", "3", NULL });
	expect_exit(2, "--instances", (const char *const[]){ "--access-key", "a:b", "--instances", "x", NULL });
	expect_exit(2, "unknown", (const char *const[]){ "--access-key", "a:b", "--bogus", NULL });
	expect_exit(2, "ID:SECRET", (const char *const[]){ "--access-key", "nocolon", NULL });
	expect_exit(2, "ID:SECRET:TOKEN", (const char *const[]){ "--sts", "a:b", NULL });
	expect_exit(2, "fault", (const char *const[]){ "--bearer", "t", "--faults", "700=1", NULL });
	expect_exit(2, "rate", (const char *const[]){ "--bearer", "t", "--faults", "500=2", NULL });
	expect_exit(2, "action", (const char *const[]){ "--bearer", "t", "--faults", "500=1@Nope", NULL });
	expect_exit(2, "--tls-key", (const char *const[]){ "--bearer", "t", "--tls-cert", "/x", NULL });
	expect_exit(0, NULL, (const char *const[]){ "--help", NULL });
	expect_exit(0, NULL, (const char *const[]){ "--version", NULL });
}

/* ---- auth ---- */

static void call_expect(struct call *c, long status, const char *code)
{
	struct resp r;
	api_call(&g_emu, c, &r);
	if (code)
		expect_error(&r, status, code);
	else
		expect_ok(&r);
	resp_free(&r);
}

static void test_auth_schemes(void **state)
{
	(void)state;
	char *id = instance_id(0);
	const enum sign_mode modes[] = { SIGN_V3, SIGN_V2, SIGN_BEARER_HDR, SIGN_BEARER_AUTH, SIGN_BEARER_V2 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		for (int sts = 0; sts < 2; sts++) {
			if (sts && modes[i] != SIGN_V3 && modes[i] != SIGN_V2)
				continue;
			struct call c;
			call_init(&c, "GetInstanceDetail");
			c.mode = modes[i];
			c.sts = sts;
			cas_params_set(&c.q, "InstanceId", id);
			call_expect(&c, 200, NULL);
			call_free(&c);
		}
	}
	/* the audit records the scheme and the key id, never a token */
	char *text = audit_text(&g_emu);
	assert_non_null(strstr(text, "\"auth\":\"v3\""));
	assert_non_null(strstr(text, "\"auth\":\"v2\""));
	assert_non_null(strstr(text, "\"auth\":\"bearer\""));
	assert_non_null(strstr(text, "\"access_key_id\":\"" T_STS_AK "\""));
	assert_null(strstr(text, T_BEARER));
	assert_null(strstr(text, T_STS_TOKEN));
	free(text);
	free(id);
}

static void test_auth_failures(void **state)
{
	(void)state;
	struct call c;
	call_init(&c, "ListInstances");
	c.secret = "wrong-secret";
	call_expect(&c, 400, "SignatureDoesNotMatch");
	c.mode = SIGN_V2;
	call_expect(&c, 400, "SignatureDoesNotMatch");
	c.mode = SIGN_V3;
	c.secret = NULL;
	c.ak = "LTAI5tUnknownKey";
	call_expect(&c, 404, "InvalidAccessKeyId.NotFound");
	c.mode = SIGN_V2;
	call_expect(&c, 404, "InvalidAccessKeyId.NotFound");
	c.ak = NULL;
	c.mode = SIGN_BEARER_HDR;
	c.token = "not-a-token";
	struct resp r;
	api_call(&g_emu, &c, &r);
	assert_int_equal(r.status, 400);
	assert_true(strncmp(jstr(r.json, "Code"), "InvalidBearerToken", 18) == 0);
	resp_free(&r);
	c.mode = SIGN_V3;
	c.sts = 1; /* right key, wrong token */
	c.token = "CAIS.forged";
	call_expect(&c, 400, "InvalidSecurityToken.Mismatch");
	c.sts = 0;
	c.token = NULL;
	c.date = "2020-01-01T00:00:00Z";
	call_expect(&c, 400, "InvalidTimeStamp.Expired");
	c.mode = SIGN_V2;
	call_expect(&c, 400, "InvalidTimeStamp.Expired");
	c.mode = SIGN_V3;
	c.date = "yesterday";
	call_expect(&c, 400, "InvalidTimeStamp.Format");
	c.date = NULL;
	c.drop_header = "x-acs-date";
	call_expect(&c, 400, "IncompleteSignature");
	c.drop_header = NULL;
	c.mode = SIGN_NONE;
	call_expect(&c, 400, "IncompleteSignature");
	call_free(&c);
}

static void test_auth_nonce_and_tamper(void **state)
{
	(void)state;
	struct call c;
	call_init(&c, "ListInstances");
	c.nonce = "0123456789abcdef0123456789abcdef";
	call_expect(&c, 200, NULL);
	call_expect(&c, 400, "SignatureNonceUsed");
	c.mode = SIGN_V2; /* same nonce, same credential, other scheme */
	call_expect(&c, 400, "SignatureNonceUsed");
	c.sts = 1; /* another credential may use it */
	call_expect(&c, 200, NULL);
	c.sts = 0;
	c.nonce = NULL;
	c.mode = SIGN_V3;
	cas_params_set(&c.q, "ShowSize", "10");
	c.tamper_key = "ShowSize";
	c.tamper_val = "20";
	call_expect(&c, 400, "SignatureDoesNotMatch");
	c.mode = SIGN_V2;
	call_expect(&c, 400, "SignatureDoesNotMatch");
	c.mode = SIGN_V3;
	c.tamper_key = "Extra";
	c.tamper_val = "1";
	call_expect(&c, 400, "SignatureDoesNotMatch");
	call_free(&c);
}

/* The URL of signing vector V2 as Node sends it: insertion order and
 * encodeURIComponent (*()!' unescaped); the signature covers the canonical form. */
static void test_auth_node_encoding(void **state)
{
	(void)state;
	char *id = instance_id(3);
	struct call c;
	call_init(&c, "UpdateInstance");
	c.node_encoding = 1;
	cas_params_set(&c.q, "InstanceId", id);
	cas_params_set(&c.q, "CertificateName", "my cert*(x)!~'/+=");
	cas_params_set(&c.q, "Domain", "example.com,*.example.com");
	cas_params_set(&c.q, "ContactIdList.1", "101");
	cas_params_set(&c.q, "ContactIdList.2", "202");
	cas_params_set(&c.q, "Tags.1.TagKey", "env");
	cas_params_set(&c.q, "Tags.1.TagValue", "prod test");
	cas_params_set(&c.q, "Tags.2.TagKey", "owner");
	cas_params_set(&c.q, "Tags.2.TagValue", "\xE5\xBC\xA0\xE4\xB8\x89");
	cas_params_set(&c.q, "AutoReissue", "enable");
	call_expect(&c, 200, NULL);
	call_free(&c);
	struct resp r;
	const cJSON *d = ok_call(&r, "GetInstanceDetail", "InstanceId", id, NULL);
	assert_string_equal(jstr(d, "CertificateName"), "my cert*(x)!~'/+=");
	assert_string_equal(jstr(d, "Domain"), "example.com,*.example.com");
	assert_int_equal((int)jnum(d, "FullDomainCount"), 1);
	assert_int_equal((int)jnum(d, "WildcardDomainCount"), 1);
	const cJSON *tags = cJSON_GetObjectItem(d, "Tags");
	assert_int_equal(cJSON_GetArraySize(tags), 2);
	assert_string_equal(jstr(cJSON_GetArrayItem(tags, 1), "TagValue"), "\xE5\xBC\xA0\xE4\xB8\x89");
	assert_int_equal((int)cJSON_GetArrayItem(cJSON_GetObjectItem(d, "ContactIdList"), 1)->valuedouble, 202);
	resp_free(&r);
	free(id);
}

static void test_auth_body_and_versions(void **state)
{
	(void)state;
	struct call c;
	call_init(&c, "ListInstances");
	c.form_body = "ShowSize=5"; /* a form body's parameters count, its hash is signed */
	struct resp r;
	api_call(&g_emu, &c, &r);
	expect_ok(&r);
	assert_int_equal((int)jnum(r.json, "ShowSize"), 5);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "InstanceList")), 5);
	resp_free(&r);
	call_free(&c);
	call_init(&c, "ListInstances");
	c.version = "2020-06-30";
	call_expect(&c, 404, "InvalidAction.NotFound");
	c.action = "GetCAInstanceStatus";
	c.version = "2020-04-07";
	call_expect(&c, 404, "InvalidAction.NotFound");
	c.action = "DescribeNothing";
	c.version = NULL;
	call_expect(&c, 404, "InvalidAction.NotFound");
	c.mode = SIGN_V2;
	call_expect(&c, 404, "InvalidAction.NotFound");
	call_free(&c);
	http_raw(&g_emu, "POST", "/?ShowSize=%ZZ", NULL, &r);
	expect_error(&r, 400, "InvalidParameter");
	resp_free(&r);
}

/* ---- control ---- */

static void post_instance(const char *path_id, const char *json, long want)
{
	char *path = cas_xasprintf("/_emulator/instances/%s", path_id);
	struct resp r;
	http_raw(&g_emu, "POST", path, json, &r);
	if (r.status != want)
		fprintf(stderr, "POST %s: %ld %s\n", path, r.status, r.body);
	assert_int_equal(r.status, want);
	resp_free(&r);
	free(path);
}

static int listed(const char *id)
{
	struct resp r;
	const cJSON *b = ok_call(&r, "ListInstances", "ShowSize", "100", NULL);
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(b, "InstanceList"))
	{
		const char *s = jstr(e, "InstanceId");
		n += s && strcmp(s, id) == 0;
	}
	resp_free(&r);
	return n;
}

static void test_control_hostile(void **state)
{
	(void)state;
	post_instance("fresh-1", "{\"Status\":\"normal\",\"Domain\":\"x.example.com\"}", 201);
	struct resp r;
	const cJSON *d = ok_call(&r, "GetInstanceDetail", "InstanceId", "fresh-1", NULL);
	assert_string_equal(jstr(d, "Domain"), "x.example.com");
	resp_free(&r);
	post_instance("fresh-1", "{\"Domain\":\"y.example.com\"}", 200);

	char longid[301];
	memset(longid, 'a', 300);
	longid[300] = '\0';
	char *dup = instance_id(0);
	const char *hostile[] = { "", ".", "..", "../../etc", "a/b", longid, "bad\nid\x01", dup };
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "InstanceId", hostile[i]);
		char *body = cJSON_PrintUnformatted(o);
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "tmp-%zu", i);
		post_instance(tmp, body, 201);
		assert_int_equal(listed(hostile[i]), strcmp(hostile[i], dup) == 0 ? 2 : 1);
		free(body);
		cJSON_Delete(o);
	}
	/* hostile ids are served as they are; percent-decoded in control paths */
	d = ok_call(&r, "GetInstanceDetail", "InstanceId", "../../etc", NULL);
	assert_string_equal(jstr(d, "InstanceId"), "../../etc");
	resp_free(&r);
	http_raw(&g_emu, "GET", "/_emulator/instances/a%2Fb", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(r.json, "InstanceId"), "a/b");
	resp_free(&r);
	/* wrong types are stored and served as given */
	post_instance("typed", "{\"Status\":5,\"Tags\":\"notalist\",\"InstanceId\":\"typed\"}", 201);
	d = ok_call(&r, "GetInstanceDetail", "InstanceId", "typed", NULL);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(d, "Status")));
	assert_true(cJSON_IsString(cJSON_GetObjectItem(d, "Tags")));
	resp_free(&r);
	http_raw(&g_emu, "DELETE", "/_emulator/instances/typed", NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	http_raw(&g_emu, "GET", "/_emulator/instances/typed", NULL, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	http_raw(&g_emu, "POST", "/_emulator/instances/x", "[1,2]", &r);
	assert_int_equal(r.status, 400);
	resp_free(&r);
	free(dup);
}

static void test_control_misc(void **state)
{
	(void)state;
	struct resp r;
	http_raw(&g_emu, "POST", "/_emulator/clock", "{\"offset_ms\": 1000}", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal((int)jnum(r.json, "offset_ms"), 1000);
	resp_free(&r);
	http_raw(&g_emu, "POST", "/_emulator/clock", "{\"offset_ms\": 0}", &r);
	resp_free(&r);
	cJSON *d = state_dump();
	assert_non_null(cJSON_GetObjectItem(d, "cloud_access"));
	assert_non_null(cJSON_GetObjectItem(d, "private_cas"));
	assert_true(jnum(cJSON_GetObjectItem(d, "counters"), "GetInstanceDetail") >= 1);
	cJSON_Delete(d);
	http_raw(&g_emu, "GET", "/_emulator/nope", NULL, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
}

/* ---- tls ---- */

static void test_tls(void **state)
{
	(void)state;
	char dir[] = "/tmp/emu-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cmd = cas_xasprintf("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/k.pem -out %s/c.pem -days 1 "
				  "-subj /CN=127.0.0.1 >/dev/null 2>&1", dir, dir);
	int rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		rmdir(dir);
		ci_skip("openssl could not make a test certificate; TLS is untested");
	}
	char *cert = cas_xasprintf("%s/c.pem", dir), *key = cas_xasprintf("%s/k.pem", dir);
	assert_int_equal(start_emu((const char *const[]){ "--tls-cert", cert, "--tls-key", key, NULL }), 0);
	assert_non_null(strstr(g_emu.base, "https://"));
	struct resp r;
	ok_call(&r, "GetInstanceSummary", NULL);
	resp_free(&r);
	assert_int_equal(stop_emu(), 0);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	free(cert);
	free(key);
}

static int setup_default(void **state)
{
	(void)state;
	return start_emu((const char *const[]){ "--instances", "30", NULL });
}

static int teardown_default(void **state)
{
	(void)state;
	return stop_emu();
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CAS-EMULATOR-BINARY GROUP\n", argv[0]);
		return 2;
	}
	g_bin = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *group = argv[2];
	int rc = 2;
	if (strcmp(group, "cli") == 0) {
		const struct CMUnitTest t[] = { cmocka_unit_test(test_cli) };
		rc = cmocka_run_group_tests_name("emulator.cli", t, NULL, NULL);
	} else if (strcmp(group, "auth") == 0) {
		const struct CMUnitTest t[] = {
			cmocka_unit_test(test_auth_schemes),	      cmocka_unit_test(test_auth_failures),
			cmocka_unit_test(test_auth_nonce_and_tamper), cmocka_unit_test(test_auth_node_encoding),
			cmocka_unit_test(test_auth_body_and_versions),
		};
		rc = cmocka_run_group_tests_name("emulator.auth", t, setup_default, teardown_default);
	} else if (strcmp(group, "control") == 0) {
		const struct CMUnitTest t[] = { cmocka_unit_test(test_control_hostile), cmocka_unit_test(test_control_misc) };
		rc = cmocka_run_group_tests_name("emulator.control", t, setup_default, teardown_default);
	} else if (strcmp(group, "tls") == 0) {
		const struct CMUnitTest t[] = { cmocka_unit_test(test_tls) };
		rc = cmocka_run_group_tests_name("emulator.tls", t, NULL, NULL);
	} else if (strcmp(group, "actions") == 0) {
		rc = run_actions_group();
	} else if (strcmp(group, "faults") == 0) {
		rc = run_faults_group();
	} else if (strcmp(group, "store") == 0) {
		rc = run_store_group();
	} else if (strcmp(group, "throttle") == 0) {
		rc = run_throttle_group();
	} else {
		fprintf(stderr, "unknown group %s\n", group);
	}
	if (g_emu.pid > 0)
		stop_emu();
	curl_global_cleanup();
	return rc ? rc : g_stop_failed;
}
