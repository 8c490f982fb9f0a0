/* t_auth: authentication end to end. AccessKey, STS (--sts ID:SECRET:TOKEN)
 * and bearer tokens (CAS_CRED_BEARER), each signed as casfs signs (V3; the
 * emulator's legacy V2 check is tests/emulator's), on reads, paged lists and a
 * mutation with non-ASCII parameters; a wrong secret gives EACCES with the
 * HTTP status, Code SignatureDoesNotMatch and a RequestId, and is never
 * retried. The creds group: cas_creds_resolve refuses a profile file that
 * group or others can read (EACCES), and credentials resolved from a 0600
 * profile or the environment work against the emulator. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "creds.h"
#include "harness.h"

static const char *inst(cJSON *st, int i)
{
	return jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), i), "InstanceId");
}

/* A read, a whole paged list and a mutation; checks the audit's scheme. */
static void exercise(struct cas_client *c, cJSON *st, int i, const char *scheme, const char *ak)
{
	struct cas_error e;
	int before = audit_lines();
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, inst(st, i), &d, &e), 0, &e);
	cas_obj_unref(d);
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 150);
	cas_obj_unref(l);
	struct cas_entries *en = NULL;
	expect_rc(cas_get_ca_instance_status(c, NULL, NULL, &en, &e), 0, &e); /* the 2020-06-30 version */
	cas_obj_unref(en);
	struct cas_tag tags[] = { { (char *)"scheme", (char *)scheme },
				  { (char *)"note", (char *)"a b*c~d'e(f)!g&h=i+j%k \xe2\x9c\x93" } };
	char name[64];
	snprintf(name, sizeof(name), "signed %s %d", scheme, i);
	struct cas_update u = { .instance_id = (char *)inst(st, i), .certificate_name = name, .has_tags = 1,
				.tags = tags, .ntags = 2 };
	expect_rc(cas_update_instance(c, &u, &e), 0, &e);
	cJSON *now = emu_state();
	cJSON *s = state_instance(now, u.instance_id);
	assert_string_equal(jstr(s, "CertificateName"), name);
	assert_string_equal(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "Tags"), 1), "TagValue"), tags[1].value);
	cJSON_Delete(now);
	cJSON *audit = audit_all();
	int n = cJSON_GetArraySize(audit);
	assert_int_equal(n - before, 1 + 2 + 1 + 1);
	for (int k = before; k < n; k++) {
		const cJSON *it = cJSON_GetArrayItem(audit, k);
		assert_int_equal((int)jnum(it, "status"), 200);
		assert_string_equal(jstr(it, "auth"), scheme);
		if (ak)
			assert_string_equal(jstr(it, "access_key_id"), ak);
		else
			assert_null(jstr(it, "access_key_id"));
	}
	cJSON_Delete(audit);
}

static void test_auth_schemes(void **state)
{
	(void)state;
	EMU_UP("--instances", "150");
	cJSON *st = emu_state();
	const struct {
		enum cred kind;
		const char *scheme, *ak;
	} cases[] = {
		{ CRED_AK, "v3", T_AK }, { CRED_STS, "v3", T_STS_AK }, { CRED_BEARER, "bearer", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cas_client_opts o = { .max_retries = -1 };
		struct cas_client *c = client_for(cases[i].kind, &o);
		exercise(c, st, (int)i + 2, cases[i].scheme, cases[i].ak);
		assert_int_equal(STATS_SUM(c, retries), 0);
	}
	/* secrets never reach the audit */
	FILE *f = fopen(g_emu.proc.audit, "r");
	assert_non_null(f);
	char line[8192];
	while (fgets(line, sizeof(line), f)) {
		assert_null(strstr(line, T_SECRET));
		assert_null(strstr(line, T_STS_SECRET));
		assert_null(strstr(line, T_STS_TOKEN));
		assert_null(strstr(line, T_BEARER));
	}
	fclose(f);
	cJSON_Delete(st);
}

static void test_auth_failures(void **state)
{
	(void)state;
	EMU_UP("--instances", "10");
	cJSON *st = emu_state();
	struct cas_error e;
	struct cas_doc *d = NULL;
	{
		struct cas_client_opts o = { .max_retries = -1 };
		struct cas_client *c = client_for(CRED_WRONG_SECRET, &o);
		int before = audit_lines();
		expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EACCES, &e);
		assert_null(d);
		assert_int_equal(e.http_status, 400);
		assert_string_equal(e.code, "SignatureDoesNotMatch");
		assert_int_equal(strlen(e.request_id), 36);
		assert_true(e.message[0] != '\0');
		assert_string_equal(e.action, "GetInstanceDetail");
		char line[1024];
		cas_error_format(&e, line, sizeof(line));
		assert_non_null(strstr(line, e.request_id));
		assert_non_null(strstr(line, "SignatureDoesNotMatch"));
		/* never retried, the RequestId is the one the server logged */
		assert_int_equal(audit_lines() - before, 1);
		cJSON *audit = audit_all();
		const cJSON *last = cJSON_GetArrayItem(audit, cJSON_GetArraySize(audit) - 1);
		assert_string_equal(jstr(last, "request_id"), e.request_id);
		assert_string_equal(jstr(last, "code"), "SignatureDoesNotMatch");
		cJSON_Delete(audit);
		assert_int_equal(STATS_SUM(c, retries), 0);
		/* a mutation with the wrong secret changes nothing */
		struct cas_update u = { .instance_id = (char *)inst(st, 1), .city = (char *)"Nowhere" };
		expect_rc(cas_update_instance(c, &u, &e), -EACCES, &e);
		assert_string_equal(e.code, "SignatureDoesNotMatch");
	}
	/* an unknown AccessKeyId is EACCES too, although the status is 404 */
	struct cas_creds cr = { .kind = CAS_CRED_AK, .access_key_id = "LTAI5tNoSuchKey", .access_key_secret = "x" };
	struct cas_client *c = client_with(&cr, NULL);
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EACCES, &e);
	assert_int_equal(e.http_status, 404);
	assert_string_equal(e.code, "InvalidAccessKeyId.NotFound");
	/* an unknown bearer token, and an STS key with a forged token */
	struct cas_creds bt = { .kind = CAS_CRED_BEARER, .bearer_token = "not-a-known-token" };
	c = client_with(&bt, NULL);
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EACCES, &e);
	assert_true(strncmp(e.code, "InvalidBearerToken", 18) == 0);
	struct cas_creds sts = { .kind = CAS_CRED_STS, .access_key_id = T_STS_AK, .access_key_secret = T_STS_SECRET,
				 .security_token = "CAIS.forged" };
	c = client_with(&sts, NULL);
	expect_rc(cas_get_instance_detail(c, inst(st, 0), &d, &e), -EACCES, &e);
	assert_string_equal(e.code, "InvalidSecurityToken.Mismatch");
	cJSON *audit = audit_all();
	assert_int_equal(audit_count(audit, NULL, 1), 0);
	cJSON_Delete(audit);
	cJSON_Delete(st);
}

int group_auth(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_auth_schemes, emu_teardown),
		cmocka_unit_test_teardown(test_auth_failures, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.auth", tests, NULL, NULL);
}

/* ---- credentials files and the environment ---- */

static char g_dir[64];

static char *write_config(const char *name, mode_t mode, const char *text)
{
	char *path = cas_xasprintf("%s/%s", g_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0); /* exactly this mode, whatever the umask */
	return path;
}

static void clear_env(void)
{
	const char *vars[] = { "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
			       "ALIBABA_CLOUD_SECURITY_TOKEN", "DASHSCOPE_API_KEY", "ALIBABA_CLOUD_BEARER_TOKEN",
			       "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static int creds_setup(void **state)
{
	(void)state;
	clear_env();
	snprintf(g_dir, sizeof(g_dir), "/tmp/client-creds-XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int creds_teardown(void **state)
{
	char *cmd = cas_xasprintf("rm -rf '%s'", g_dir);
	int rc = system(cmd);
	free(cmd);
	clear_env();
	return emu_teardown(state) || rc;
}

static const char *profile_json = "{\n"
				  "\t\"current\": \"default\",\n"
				  "\t\"profiles\": [\n"
				  "\t\t{\"name\": \"default\", \"mode\": \"AK\", \"access_key_id\": \"" T_AK
				  "\", \"access_key_secret\": \"" T_SECRET "\", \"region_id\": \"cn-hangzhou\"},\n"
				  "\t\t{\"name\": \"sts\", \"mode\": \"StsToken\", \"access_key_id\": \"" T_STS_AK
				  "\", \"access_key_secret\": \"" T_STS_SECRET "\", \"sts_token\": \"" T_STS_TOKEN
				  "\", \"region_id\": \"cn-hangzhou\"},\n"
				  "\t\t{\"name\": \"bearer\", \"mode\": \"BearerToken\", \"bearer_token\": \"" T_BEARER
				  "\", \"region_id\": \"cn-hangzhou\"}\n"
				  "\t]\n"
				  "}\n";

static void test_creds_mode_refused(void **state)
{
	(void)state;
	struct cas_creds cr;
	struct cas_error e;
	const mode_t bad[] = { 0644, 0640, 0604, 0660, 0666, 0610 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_config("config.json", bad[i], profile_json);
		/* the default chain (no environment), and an explicit profile */
		expect_rc(cas_creds_resolve(&cr, NULL, path, &e), -EACCES, &e);
		assert_non_null(strstr(e.message, "chmod 600"));
		assert_null(cr.access_key_secret);
		expect_rc(cas_creds_resolve(&cr, "default", path, &e), -EACCES, &e);
		expect_rc(cas_creds_resolve(&cr, "bearer", path, &e), -EACCES, &e);
		/* the secret is not in the message */
		assert_null(strstr(e.message, T_SECRET));
		free(path);
	}
}

static void use_creds(const struct cas_creds *cr, const char *scheme)
{
	struct cas_client *c = client_with(cr, NULL);
	struct cas_error e;
	int before = audit_lines();
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_summary(c, NULL, &d, &e), 0, &e);
	cas_obj_unref(d);
	cJSON *audit = audit_all();
	assert_int_equal(cJSON_GetArraySize(audit), before + 1);
	assert_string_equal(jstr(cJSON_GetArrayItem(audit, before), "auth"), scheme);
	cJSON_Delete(audit);
}

static void test_creds_resolved_work(void **state)
{
	(void)state;
	EMU_UP("--instances", "5");
	struct cas_creds cr;
	struct cas_error e = { 0 }; /* cas_creds_resolve fills it only on failure */
	char *path = write_config("config.json", 0600, profile_json);
	expect_rc(cas_creds_resolve(&cr, NULL, path, &e), 0, &e);
	assert_int_equal(cr.kind, CAS_CRED_AK);
	assert_string_equal(cr.access_key_id, T_AK);
	assert_string_equal(cr.region, "cn-hangzhou");
	use_creds(&cr, "v3");
	cas_creds_free(&cr);
	expect_rc(cas_creds_resolve(&cr, "sts", path, &e), 0, &e);
	assert_int_equal(cr.kind, CAS_CRED_STS);
	use_creds(&cr, "v3");
	cas_creds_free(&cr);
	expect_rc(cas_creds_resolve(&cr, "bearer", path, &e), 0, &e);
	assert_int_equal(cr.kind, CAS_CRED_BEARER);
	assert_string_equal(cr.bearer_token, T_BEARER);
	use_creds(&cr, "bearer");
	cas_creds_free(&cr);
	/* 0400 is fine too */
	assert_int_equal(chmod(path, 0400), 0);
	expect_rc(cas_creds_resolve(&cr, "default", path, &e), 0, &e);
	cas_creds_free(&cr);

	/* without a named file or profile the environment comes first, and works end to end */
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", T_STS_AK, 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", T_STS_SECRET, 1);
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", T_STS_TOKEN, 1);
	expect_rc(cas_creds_resolve(&cr, NULL, NULL, &e), 0, &e);
	assert_int_equal(cr.kind, CAS_CRED_STS);
	use_creds(&cr, "v3");
	cas_creds_free(&cr);
	/* a named credentials file wins over the environment */
	expect_rc(cas_creds_resolve(&cr, NULL, path, &e), 0, &e);
	assert_non_null(strstr(cr.source, path));
	assert_true(cas_creds_env_present());
	cas_creds_free(&cr);
	clear_env();
	setenv("DASHSCOPE_API_KEY", T_BEARER, 1);
	expect_rc(cas_creds_resolve(&cr, NULL, NULL, &e), 0, &e);
	assert_int_equal(cr.kind, CAS_CRED_BEARER);
	use_creds(&cr, "bearer");
	cas_creds_free(&cr);
	/* ... but even good environment credentials do not excuse a readable file
	 * when that profile is named explicitly */
	assert_int_equal(chmod(path, 0644), 0);
	expect_rc(cas_creds_resolve(&cr, "default", path, &e), -EACCES, &e);
	free(path);
}

int group_creds(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_creds_mode_refused, creds_setup, creds_teardown),
		cmocka_unit_test_setup_teardown(test_creds_resolved_work, creds_setup, creds_teardown),
	};
	return cmocka_run_group_tests_name("client.creds", tests, NULL, NULL);
}
