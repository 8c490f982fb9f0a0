/* test_creds: client/creds.h with a private environment and a temporary HOME:
 * environment AK and STS, half a pair, bearer tokens (DASHSCOPE_API_KEY,
 * ALIBABA_CLOUD_BEARER_TOKEN), the aliyun CLI profile file (modes AK,
 * StsToken, BearerToken, an unsupported mode, `current`,
 * ALIBABA_CLOUD_PROFILE, an explicit profile skipping the environment),
 * refusal of a group/other-readable file, the "no credentials" message,
 * and that `source` and messages never carry a secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"

#define AK_ID "LTAI5tEnvAccessKeyId"
#define AK_SECRET "EnvSecretValue0123456789"
#define STS_TOKEN "CAIStsTokenValue+/=="
#define BEARER "sk-bearer-token-value-123"

static const char *const vars[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
	"DASHSCOPE_API_KEY",	       "ALIBABA_CLOUD_BEARER_TOKEN",	  "ALIBABA_CLOUD_PROFILE",
	"ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
};

static char home[256];
static char cfg_dir[300];
static char cfg_path[320];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	snprintf(home, sizeof(home), "/tmp/test_creds.XXXXXX");
	if (!mkdtemp(home))
		return -1;
	setenv("HOME", home, 1);
	snprintf(cfg_dir, sizeof(cfg_dir), "%s/.aliyun", home);
	snprintf(cfg_path, sizeof(cfg_path), "%s/config.json", cfg_dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cfg_path);
	rmdir(cfg_dir);
	char other[400];
	snprintf(other, sizeof(other), "%s/other.json", home);
	unlink(other);
	rmdir(home);
	return 0;
}

static void write_file(const char *path, mode_t mode, const char *text)
{
	mkdir(cfg_dir, 0700);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void write_config(mode_t mode, const char *text)
{
	write_file(cfg_path, mode, text);
}

/* No secret value may appear in source or in an error message. */
static void no_secret_in(const char *s)
{
	static const char *const secrets[] = { AK_SECRET, STS_TOKEN, BEARER, "ProfileSecret", "ProfileToken",
					       "ProfileBearer", "WorkSecret" };
	for (size_t i = 0; s && i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(s, secrets[i]))
			fail_msg("\"%s\" contains the secret %s", s, secrets[i]);
}

static int resolve(struct cas_creds *c, const char *profile, const char *path, struct cas_error *e)
{
	cas_error_clear(e);
	int rc = cas_creds_resolve(c, profile, path, e);
	no_secret_in(e->message);
	if (rc == 0) {
		assert_non_null(c->source);
		no_secret_in(c->source);
	} else {
		/* nothing half-filled is handed back */
		assert_null(c->access_key_id);
		assert_null(c->access_key_secret);
		assert_null(c->security_token);
		assert_null(c->bearer_token);
		assert_true(e->err > 0);
		assert_int_equal(rc, -e->err);
	}
	return rc;
}

#define PROFILES                                                                                                    \
	"{\n\t\"current\": \"%s\",\n\t\"profiles\": [\n"                                                                \
	"\t\t{\"name\": \"default\", \"mode\": \"AK\", \"access_key_id\": \"ProfileId\", "                              \
	"\"access_key_secret\": \"ProfileSecret\", \"region_id\": \"cn-hangzhou\"},\n"                                  \
	"\t\t{\"name\": \"work\", \"mode\": \"AK\", \"access_key_id\": \"WorkId\", \"access_key_secret\": \"WorkSecret\", " \
	"\"region_id\": \"ap-southeast-1\"},\n"                                                                         \
	"\t\t{\"name\": \"sts\", \"mode\": \"StsToken\", \"access_key_id\": \"StsId\", \"access_key_secret\": "          \
	"\"ProfileSecret\", \"sts_token\": \"ProfileToken\", \"region_id\": \"cn-beijing\"},\n"                          \
	"\t\t{\"name\": \"bearer\", \"mode\": \"BearerToken\", \"bearer_token\": \"ProfileBearer\"},\n"                  \
	"\t\t{\"name\": \"lower\", \"mode\": \"ak\", \"access_key_id\": \"LowerId\", \"access_key_secret\": "            \
	"\"ProfileSecret\"},\n"                                                                                         \
	"\t\t{\"name\": \"ramrole\", \"mode\": \"RamRoleArn\", \"access_key_id\": \"RoleId\", \"access_key_secret\": "   \
	"\"ProfileSecret\", \"ram_role_arn\": \"acs:ram::1:role/x\"},\n"                                                \
	"\t\t{\"name\": \"nosecret\", \"mode\": \"AK\", \"access_key_id\": \"NoSecretId\"},\n"                          \
	"\t\t{\"name\": \"nosts\", \"mode\": \"StsToken\", \"access_key_id\": \"A\", \"access_key_secret\": "            \
	"\"ProfileSecret\"},\n"                                                                                         \
	"\t\t{\"name\": \"nobearer\", \"mode\": \"BearerToken\"}\n"                                                      \
	"\t],\n\t\"meta_path\": \"\"\n}\n"

static void write_profiles(const char *current)
{
	char text[4096];
	snprintf(text, sizeof(text), PROFILES, current);
	write_config(0600, text);
}

/* ---- environment ------------------------------------------------------------- */

static void env_ak(void **state)
{
	(void)state;
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID, 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET, 1);
	write_profiles("default"); /* the environment comes first */
	struct cas_creds c;
	struct cas_error e;
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_AK);
	assert_string_equal(c.access_key_id, AK_ID);
	assert_string_equal(c.access_key_secret, AK_SECRET);
	assert_null(c.security_token);
	assert_null(c.bearer_token);
	assert_non_null(strstr(c.source, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	cas_creds_free(&c);
	assert_null(c.access_key_id);
}

static void env_sts(void **state)
{
	(void)state;
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID, 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET, 1);
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN, 1);
	struct cas_creds c;
	struct cas_error e;
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_STS);
	assert_string_equal(c.access_key_id, AK_ID);
	assert_string_equal(c.access_key_secret, AK_SECRET);
	assert_string_equal(c.security_token, STS_TOKEN);
	cas_creds_free(&c);
}

static void env_half_pair(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID, 1);
	setenv("DASHSCOPE_API_KEY", BEARER, 1); /* half a pair is an error, not a reason to fall through */
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
	assert_int_equal(e.err, EINVAL);
	assert_non_null(strstr(e.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET, 1);
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
	assert_int_equal(e.err, EINVAL);
	assert_non_null(strstr(e.message, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	/* an empty value counts as unset */
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "", 1);
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
	assert_non_null(strstr(e.message, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	/* a token alone is not credentials either */
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	unsetenv("DASHSCOPE_API_KEY");
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN, 1);
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
}

static void env_bearer(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	setenv("DASHSCOPE_API_KEY", BEARER, 1);
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_BEARER);
	assert_string_equal(c.bearer_token, BEARER);
	assert_null(c.access_key_id);
	assert_null(c.access_key_secret);
	assert_non_null(strstr(c.source, "DASHSCOPE_API_KEY"));
	cas_creds_free(&c);

	unsetenv("DASHSCOPE_API_KEY");
	setenv("ALIBABA_CLOUD_BEARER_TOKEN", BEARER "2", 1);
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_BEARER);
	assert_string_equal(c.bearer_token, BEARER "2");
	assert_non_null(strstr(c.source, "ALIBABA_CLOUD_BEARER_TOKEN"));
	cas_creds_free(&c);

	/* DASHSCOPE_API_KEY is named first */
	setenv("DASHSCOPE_API_KEY", BEARER, 1);
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_string_equal(c.bearer_token, BEARER);
	cas_creds_free(&c);

	/* an AccessKey pair beats a bearer token */
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID, 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET, 1);
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_AK);
	assert_null(c.bearer_token);
	cas_creds_free(&c);

	/* a bearer token beats the profile file */
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	write_profiles("default");
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_BEARER);
	cas_creds_free(&c);
}

/* ---- profile file ----------------------------------------------------------- */

static void profile_modes(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	write_profiles("default");
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_AK);
	assert_string_equal(c.access_key_id, "ProfileId");
	assert_string_equal(c.access_key_secret, "ProfileSecret");
	assert_null(c.security_token);
	assert_string_equal(c.region, "cn-hangzhou");
	assert_non_null(strstr(c.source, "default"));
	assert_non_null(strstr(c.source, cfg_path));
	cas_creds_free(&c);

	assert_int_equal(resolve(&c, "sts", NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_STS);
	assert_string_equal(c.access_key_id, "StsId");
	assert_string_equal(c.security_token, "ProfileToken");
	assert_string_equal(c.region, "cn-beijing");
	cas_creds_free(&c);

	assert_int_equal(resolve(&c, "bearer", NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_BEARER);
	assert_string_equal(c.bearer_token, "ProfileBearer");
	assert_null(c.access_key_id);
	assert_null(c.region);
	cas_creds_free(&c);

	/* modes match case-insensitively, as the CLI does */
	assert_int_equal(resolve(&c, "lower", NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_AK);
	assert_string_equal(c.access_key_id, "LowerId");
	cas_creds_free(&c);
}

/* Without a mode the kind follows the keys present, as the CLI does. */
static void profile_mode_detected(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	write_config(0600, "{\"current\":\"ak\",\"profiles\":["
			   "{\"name\":\"ak\",\"access_key_id\":\"I\",\"access_key_secret\":\"ProfileSecret\"},"
			   "{\"name\":\"sts\",\"access_key_id\":\"I\",\"access_key_secret\":\"ProfileSecret\","
			   "\"sts_token\":\"ProfileToken\"},"
			   "{\"name\":\"bearer\",\"bearer_token\":\"ProfileBearer\"}]}");
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_AK);
	cas_creds_free(&c);
	assert_int_equal(resolve(&c, "sts", NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_STS);
	assert_string_equal(c.security_token, "ProfileToken");
	cas_creds_free(&c);
	assert_int_equal(resolve(&c, "bearer", NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_BEARER);
	assert_string_equal(c.bearer_token, "ProfileBearer");
	cas_creds_free(&c);
}

static void profile_bad_modes(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	write_profiles("default");
	assert_true(resolve(&c, "ramrole", NULL, &e) < 0);
	assert_non_null(strstr(e.message, "RamRoleArn"));
	assert_non_null(strstr(e.message, "ramrole"));
	assert_true(resolve(&c, "nosecret", NULL, &e) < 0);
	assert_int_equal(e.err, EINVAL);
	assert_non_null(strstr(e.message, "access_key_secret"));
	assert_true(resolve(&c, "nosts", NULL, &e) < 0);
	assert_non_null(strstr(e.message, "sts_token"));
	assert_true(resolve(&c, "nobearer", NULL, &e) < 0);
	assert_non_null(strstr(e.message, "bearer_token"));
	assert_true(resolve(&c, "missing", NULL, &e) < 0);
	assert_int_equal(e.err, ENOENT);
	assert_non_null(strstr(e.message, "missing"));
	assert_non_null(strstr(e.message, cfg_path));
}

static void profile_selection(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	/* the file's current profile */
	write_profiles("work");
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_string_equal(c.access_key_id, "WorkId");
	assert_string_equal(c.region, "ap-southeast-1");
	cas_creds_free(&c);
	/* ALIBABA_CLOUD_PROFILE beats current */
	setenv("ALIBABA_CLOUD_PROFILE", "default", 1);
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_string_equal(c.access_key_id, "ProfileId");
	cas_creds_free(&c);
	/* an explicit profile beats both */
	assert_int_equal(resolve(&c, "sts", NULL, &e), 0);
	assert_string_equal(c.access_key_id, "StsId");
	cas_creds_free(&c);
	/* without current nor ALIBABA_CLOUD_PROFILE: "default" */
	unsetenv("ALIBABA_CLOUD_PROFILE");
	write_config(0600, "{\"profiles\":[{\"name\":\"x\",\"mode\":\"AK\",\"access_key_id\":\"X\","
			   "\"access_key_secret\":\"ProfileSecret\"},{\"name\":\"default\",\"mode\":\"AK\","
			   "\"access_key_id\":\"D\",\"access_key_secret\":\"ProfileSecret\"}]}");
	assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
	assert_string_equal(c.access_key_id, "D");
	cas_creds_free(&c);
}

static void explicit_profile_skips_env(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	write_profiles("default");
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID, 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET, 1);
	setenv("DASHSCOPE_API_KEY", BEARER, 1);
	assert_int_equal(resolve(&c, "work", NULL, &e), 0);
	assert_int_equal(c.kind, CAS_CRED_AK);
	assert_string_equal(c.access_key_id, "WorkId");
	assert_string_equal(c.access_key_secret, "WorkSecret");
	cas_creds_free(&c);
	/* even half a pair in the environment does not matter then */
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	assert_int_equal(resolve(&c, "work", NULL, &e), 0);
	assert_string_equal(c.access_key_id, "WorkId");
	cas_creds_free(&c);
	/* an explicit profile without a file is an error, not the environment */
	unlink(cfg_path);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET, 1);
	assert_true(resolve(&c, "work", NULL, &e) < 0);
	assert_non_null(strstr(e.message, cfg_path));
}

static void explicit_config_path(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	char other[400];
	snprintf(other, sizeof(other), "%s/other.json", home);
	char text[4096];
	snprintf(text, sizeof(text), PROFILES, "work");
	write_file(other, 0600, text);
	assert_int_equal(resolve(&c, NULL, other, &e), 0);
	assert_string_equal(c.access_key_id, "WorkId");
	assert_non_null(strstr(c.source, other));
	cas_creds_free(&c);
}

static void file_permissions(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	static const mode_t refused[] = { 0644, 0640, 0604, 0660, 0666, 0610, 0601, 0700 | 0004 };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		write_profiles("default");
		assert_int_equal(chmod(cfg_path, refused[i]), 0);
		assert_int_equal(resolve(&c, NULL, NULL, &e), -EACCES);
		assert_int_equal(e.err, EACCES);
		if (!strstr(e.message, cfg_path) || !strstr(e.message, "chmod 600"))
			fail_msg("mode %04o: message \"%s\" should name %s and chmod 600", refused[i], e.message,
				 cfg_path);
		/* the same for a named profile */
		assert_int_equal(resolve(&c, "work", NULL, &e), -EACCES);
	}
	static const mode_t accepted[] = { 0600, 0400, 0700 };
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		write_profiles("default");
		assert_int_equal(chmod(cfg_path, accepted[i]), 0);
		assert_int_equal(resolve(&c, NULL, NULL, &e), 0);
		cas_creds_free(&c);
	}
	chmod(cfg_path, 0600);
}

static void no_credentials(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	int rc = resolve(&c, NULL, NULL, &e);
	assert_true(rc < 0);
	assert_non_null(strstr(e.message, "no credentials"));
	assert_non_null(strstr(e.message, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	assert_non_null(strstr(e.message, cfg_path));
	assert_null(c.source);

	/* a profile file that the CLI switch disables */
	write_profiles("default");
	setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true", 1);
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
	assert_non_null(strstr(e.message, "no credentials"));
	unsetenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED");

	/* no HOME at all */
	unsetenv("HOME");
	unlink(cfg_path);
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
	assert_non_null(strstr(e.message, "no credentials"));
	setenv("HOME", home, 1);
}

static void broken_files(void **state)
{
	(void)state;
	struct cas_creds c;
	struct cas_error e;
	static const char *const texts[] = { "", "not json", "[]", "{\"profiles\": 5}", "{\"profiles\": [1, null]}",
					     "{\"current\": 7, \"profiles\": [{\"name\": 3}]}" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		write_config(0600, texts[i]);
		int rc = resolve(&c, NULL, NULL, &e);
		if (rc == 0)
			fail_msg("credentials resolved from the file [%s]", texts[i]);
		assert_true(e.message[0] != '\0');
	}
	/* a directory where the file should be */
	unlink(cfg_path);
	mkdir(cfg_path, 0700);
	assert_true(resolve(&c, NULL, NULL, &e) < 0);
	rmdir(cfg_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(env_ak, setup, teardown),
		cmocka_unit_test_setup_teardown(env_sts, setup, teardown),
		cmocka_unit_test_setup_teardown(env_half_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(env_bearer, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_mode_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_bad_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_selection, setup, teardown),
		cmocka_unit_test_setup_teardown(explicit_profile_skips_env, setup, teardown),
		cmocka_unit_test_setup_teardown(explicit_config_path, setup, teardown),
		cmocka_unit_test_setup_teardown(file_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(no_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
