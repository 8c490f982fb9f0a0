/* creds: the credential chain (see creds.h and docs/PROTOCOL.md §3). */
#include "creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "wipe.h"

void cas_creds_free(struct cas_creds *c)
{
	free(c->access_key_id);
	cas_wipe_free(c->access_key_secret);
	cas_wipe_free(c->security_token);
	cas_wipe_free(c->bearer_token);
	free(c->source);
	free(c->region);
	memset(c, 0, sizeof(*c));
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int from_env(struct cas_creds *c, struct cas_error *e)
{
	const char *id = env("ALIBABA_CLOUD_ACCESS_KEY_ID"), *secret = env("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	if (id || secret) {
		if (!id || !secret)
			return cas_error_set(e, EINVAL, "Local.Credentials", "%s is set but %s is not",
					     id ? "ALIBABA_CLOUD_ACCESS_KEY_ID" : "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
					     id ? "ALIBABA_CLOUD_ACCESS_KEY_SECRET" : "ALIBABA_CLOUD_ACCESS_KEY_ID");
		const char *token = env("ALIBABA_CLOUD_SECURITY_TOKEN");
		c->kind = token ? CAS_CRED_STS : CAS_CRED_AK;
		c->access_key_id = cas_xstrdup(id);
		c->access_key_secret = cas_xstrdup(secret);
		c->security_token = token ? cas_xstrdup(token) : NULL;
		c->source = cas_xstrdup("environment (ALIBABA_CLOUD_ACCESS_KEY_ID)");
		return 1;
	}
	const char *names[] = { "DASHSCOPE_API_KEY", "ALIBABA_CLOUD_BEARER_TOKEN" };
	for (size_t i = 0; i < 2; i++) {
		const char *tok = env(names[i]);
		if (tok) {
			c->kind = CAS_CRED_BEARER;
			c->bearer_token = cas_xstrdup(tok);
			c->source = cas_xasprintf("environment (%s)", names[i]);
			return 1;
		}
	}
	return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

static int read_file(const char *path, char **out, struct cas_error *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cas_error_set(e, errno, "Local.Credentials", "cannot open %s: %s", path, strerror(errno));
	struct cas_buf b = CAS_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (1 << 20))
		cas_buf_add(&b, chunk, n);
	fclose(f);
	*out = cas_buf_steal(&b);
	return 0;
}

static int from_profile(struct cas_creds *c, const char *profile, const char *path, struct cas_error *e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return cas_error_set(e, ENOENT, "Local.Credentials", "%s does not exist", path);
	if (st.st_mode & 077)
		return cas_error_set(e, EACCES, "Local.Credentials",
				     "%s is accessible by group or others (mode %04o); run: chmod 600 %s", path,
				     (unsigned)(st.st_mode & 07777), path);
	char *text = NULL;
	int rc = read_file(path, &text, e);
	if (rc)
		return rc;
	cJSON *root = cJSON_Parse(text);
	cas_wipe_free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cas_error_set(e, EINVAL, "Local.Credentials", "%s is not valid JSON", path);
	}
	const char *want = profile ? profile : env("ALIBABA_CLOUD_PROFILE");
	if (!want)
		want = jstr(root, "current");
	if (!want)
		want = "default";
	const cJSON *p = NULL, *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "profiles"))
	{
		const char *name = jstr(it, "name");
		if (name && strcmp(name, want) == 0)
			p = it;
	}
	if (!p) {
		rc = cas_error_set(e, ENOENT, "Local.Credentials", "profile \"%s\" not found in %s", want, path);
		goto out;
	}
	const char *mode = jstr(p, "mode"), *id = jstr(p, "access_key_id"), *secret = jstr(p, "access_key_secret"),
		   *sts = jstr(p, "sts_token"), *bearer = jstr(p, "bearer_token");
	if (!mode)
		mode = bearer && !id ? "BearerToken" : sts ? "StsToken" : "AK";
	if (strcasecmp(mode, "AK") == 0 || strcasecmp(mode, "StsToken") == 0) {
		int is_sts = strcasecmp(mode, "StsToken") == 0;
		if (!id || !secret || (is_sts && !sts)) {
			rc = cas_error_set(e, EINVAL, "Local.Credentials",
					   "profile \"%s\" (mode %s) lacks access_key_id, access_key_secret%s", want,
					   mode, is_sts ? " or sts_token" : "");
			goto out;
		}
		c->kind = is_sts ? CAS_CRED_STS : CAS_CRED_AK;
		c->access_key_id = cas_xstrdup(id);
		c->access_key_secret = cas_xstrdup(secret);
		c->security_token = is_sts ? cas_xstrdup(sts) : NULL;
	} else if (strcasecmp(mode, "BearerToken") == 0) {
		if (!bearer) {
			rc = cas_error_set(e, EINVAL, "Local.Credentials", "profile \"%s\" lacks bearer_token", want);
			goto out;
		}
		c->kind = CAS_CRED_BEARER;
		c->bearer_token = cas_xstrdup(bearer);
	} else {
		rc = cas_error_set(e, EOPNOTSUPP, "Local.Credentials",
				   "profile \"%s\" uses mode %s; casfs supports AK, StsToken and BearerToken", want,
				   mode);
		goto out;
	}
	c->source = cas_xasprintf("profile \"%s\" in %s", want, path);
	const char *region = jstr(p, "region_id");
	c->region = region ? cas_xstrdup(region) : NULL;
	rc = 1;
out:
	cJSON_Delete(root);
	return rc;
}

int cas_creds_resolve(struct cas_creds *out, const char *profile, const char *config_path, struct cas_error *e)
{
	memset(out, 0, sizeof(*out));
	int rc;
	/* a named profile or credentials file wins over the environment: naming
	 * one is the more specific choice, and mounting the environment's
	 * account instead would be silent */
	if (!profile && !config_path && (rc = from_env(out, e)) != 0)
		return rc < 0 ? rc : 0;
	char *path = config_path ? cas_xstrdup(config_path) : NULL;
	if (!path) {
		const char *home = getenv("HOME");
		path = cas_xasprintf("%s/.aliyun/config.json", home ? home : "");
	}
	const char *disabled = env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED");
	struct stat st;
	if (!profile && !config_path && (disabled && strcasecmp(disabled, "true") == 0)) {
		rc = 0;
	} else if (!profile && !config_path && stat(path, &st) != 0) {
		rc = 0; /* no file: fall through to the "no credentials" message */
	} else {
		rc = from_profile(out, profile, path, e);
	}
	if (rc == 0)
		rc = cas_error_set(e, ENOKEY, "Local.Credentials",
				   "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, "
				   "or DASHSCOPE_API_KEY, or create a profile in %s (aliyun configure)",
				   path);
	free(path);
	if (rc < 0) {
		cas_creds_free(out);
		return rc;
	}
	return 0;
}

int cas_creds_env_present(void)
{
	return env("ALIBABA_CLOUD_ACCESS_KEY_ID") || env("ALIBABA_CLOUD_ACCESS_KEY_SECRET") ||
	       env("DASHSCOPE_API_KEY") || env("ALIBABA_CLOUD_BEARER_TOKEN");
}

const char *cas_creds_hint(const char *code)
{
	static const struct { const char *prefix, *hint; } hints[] = {
		{ "SignatureDoesNotMatch", "the AccessKey secret does not belong to this AccessKey ID (a wrong, "
					   "mistyped or rotated secret in that source)" },
		{ "IncompleteSignature", "the AccessKey secret does not belong to this AccessKey ID" },
		{ "InvalidAccessKeyId.Inactive", "this AccessKey is disabled in the RAM console" },
		{ "InvalidAccessKeyId", "no such AccessKey ID at this endpoint (deleted, or an account of "
					"another site: China vs international)" },
		{ "InvalidSecurityToken", "the STS token expired or does not belong to this AccessKey ID; "
					  "fetch a new one" },
		{ "InvalidBearerToken", "the bearer token is wrong or expired" },
		{ "Forbidden", "the credentials are valid but lack permission for CAS (RAM policy "
			       "AliyunYundunCertFullAccess or a narrower one)" },
		{ "NoPermission", "the credentials are valid but lack permission for CAS" },
	};
	for (size_t i = 0; code && i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strncmp(code, hints[i].prefix, strlen(hints[i].prefix)) == 0)
			return hints[i].hint;
	return NULL;
}
