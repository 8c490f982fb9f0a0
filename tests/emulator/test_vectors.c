/* test_vectors: the emulator's authentication against the requests the
 * official Node SDK produced (V0-V7, docs/PROTOCOL.md §2), verbatim: headers,
 * wire URL (V2 in Node's non-canonical order and encoding), form body (V4),
 * STS (V3), bearer (V5) and the legacy HMAC-SHA1 signature (V6). The clock
 * is pinned to the vectors' date; each vector must pass once, fail as a
 * replay, and fail with one signature character changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "buf.h"
#include "nonce.h"

#define AK "LTAI5tTestAccessKeyId01"
#define E "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct emu_cred creds[] = {
	{ EMU_CRED_AK, AK, "TestAccessKeySecret0123456789ab", NULL },
	{ EMU_CRED_STS, "STS.TestTemporaryAccessKeyId", "TestStsSecret", "CAIS.test.security.token==" },
	{ EMU_CRED_BEARER, NULL, NULL, "test-bearer-token-value" },
};

static struct emu_auth *g_auth;

struct vec {
	const char *query;            /* as on the wire */
	const char *hdr[12][2];
	const char *body;
};

static const char *run(const struct vec *v, const char *authz_override, struct emu_identity *id)
{
	static char code[96];
	struct emu_http h = { .method = "POST", .path = "/" };
	struct cas_header hdr[16];
	for (size_t i = 0; i < 12 && v->hdr[i][0]; i++) {
		hdr[h.nhdr].name = v->hdr[i][0];
		hdr[h.nhdr].value = strcmp(v->hdr[i][0], "Authorization") == 0 && authz_override ? authz_override
												 : v->hdr[i][1];
		h.nhdr++;
	}
	h.hdr = hdr;
	h.body = v->body ? v->body : "";
	h.body_len = strlen(h.body);
	snprintf(h.host, sizeof(h.host), "cas.aliyuncs.com");
	assert_int_equal(cas_params_parse(&h.query, v->query), 0);
	if (v->body)
		assert_int_equal(cas_params_parse(&h.form, v->body), 0);
	cas_params_copy(&h.all, &h.query);
	cas_params_copy(&h.all, &h.form);
	struct emu_reply r;
	emu_reply_init(&r);
	int rc = emu_auth_check(g_auth, &h, id, &r);
	snprintf(code, sizeof(code), "%s", rc ? r.code : "OK");
	emu_reply_free(&r);
	cas_params_free(&h.query);
	cas_params_free(&h.form);
	cas_params_free(&h.all);
	return code;
}

static char *flip_last(const char *authz)
{
	char *s = cas_xstrdup(authz);
	size_t n = strlen(s);
	s[n - 2] = s[n - 2] == 'a' ? 'b' : 'a';
	return s;
}

static void check(const struct vec *v, const char *scheme, const char *action)
{
	const char *authz = NULL;
	for (size_t i = 0; i < 12 && v->hdr[i][0]; i++)
		if (strcmp(v->hdr[i][0], "Authorization") == 0)
			authz = v->hdr[i][1];
	struct emu_identity id;
	if (authz) { /* a wrong signature first: it must not burn the nonce */
		char *bad = flip_last(authz);
		assert_string_equal(run(v, bad, &id), "SignatureDoesNotMatch");
		free(bad);
	}
	assert_string_equal(run(v, NULL, &id), "OK");
	assert_string_equal(id.scheme, scheme);
	assert_string_equal(id.action, action);
	assert_string_equal(run(v, NULL, &id), "SignatureNonceUsed");
}

#define V3HDR(action, date, nonce) { "host", "cas.aliyuncs.com" }, { "x-acs-action", action }, \
	{ "x-acs-version", "2020-04-07" }, { "x-acs-date", date }, { "x-acs-signature-nonce", nonce }, \
	{ "x-acs-content-sha256", E }, { "accept", "application/json" }, { "user-agent", "AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/2" }

static void test_v0_v1(void **state)
{
	(void)state;
	const struct vec v0 = { "CurrentPage=1&ShowSize=10&Status=normal",
		{ V3HDR("ListInstances", "2025-01-15T08:30:00Z", "3f1c2b7a9d8e4f60a1b2c3d4e5f60718"),
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=d49565e5d524292b76a7a9dba2c93dc6786996400060f20b134a293b2a1aba12" } } };
	check(&v0, "v3", "ListInstances");
	const struct vec v1 = { "CurrentPage=1&ShowSize=10&Status=normal",
		{ V3HDR("ListInstances", "2025-01-15T08:30:00Z", "3f1c2b7a9d8e4f60a1b2c3d4e5f60718"),
		  { "x-acs-credentials-provider", "static_ak" },
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=aa012971ca247427195618372f8b89d71f3c45383a85ad2ef5457da99dc0e9f2" } } };
	/* same nonce as V0 (the vectors share it): a replay for this credential */
	struct emu_identity id;
	assert_string_equal(run(&v1, NULL, &id), "SignatureNonceUsed");
}

static void test_v2_node_url(void **state)
{
	(void)state;
	const struct vec v = { "InstanceId=cas_dv-cn-0001&CertificateName=my%20cert*(x)!~'%2F%2B%3D&Domain=example.com%2C*.example.com&ContactIdList.1=101&ContactIdList.2=202&Tags.1.TagKey=env&Tags.1.TagValue=prod%20test&Tags.2.TagKey=owner&Tags.2.TagValue=%E5%BC%A0%E4%B8%89&AutoReissue=enable",
		{ V3HDR("UpdateInstance", "2025-01-15T08:31:05Z", "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"),
		  { "x-acs-credentials-provider", "static_ak" },
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=a3bcb6e252b12c0a9a53a33dd94f7f18e31ceabb7e0df256e24d87cf61de53ee" } } };
	check(&v, "v3", "UpdateInstance");
}

static void test_v3_sts(void **state)
{
	(void)state;
	const struct vec v = { "InstanceId=cas_dv-cn-0001",
		{ V3HDR("GetInstanceDetail", "2025-01-15T08:32:10Z", "0123456789abcdef0123456789abcdef"),
		  { "x-acs-accesskey-id", "STS.TestTemporaryAccessKeyId" }, { "x-acs-credentials-provider", "static_sts" },
		  { "x-acs-security-token", "CAIS.test.security.token==" },
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=STS.TestTemporaryAccessKeyId,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=70c72834d05d338e05fe0547ed200491b51e28b4d8a07a41120c6a04d691fb7e" } } };
	check(&v, "v3", "GetInstanceDetail");
}

static void test_v4_form_body(void **state)
{
	(void)state;
	const struct vec v = { "InstanceId=cas_dv-cn-0001",
		{ { "host", "cas.aliyuncs.com" }, { "x-acs-action", "DeleteInstance" }, { "x-acs-version", "2020-04-07" },
		  { "x-acs-date", "2025-01-15T08:33:20Z" }, { "x-acs-signature-nonce", "fedcba9876543210fedcba9876543210" },
		  { "x-acs-content-sha256", "b8e6751ba7fc88b0de1e033cbed162788e14d0f625dd6e6026b95da326edefd3" },
		  { "content-type", "application/x-www-form-urlencoded" }, { "x-acs-credentials-provider", "static_ak" },
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=8e2f2885810ec837febdb146bd4b3d10476c9bff794cd16b45d27ddf228ac423" } },
		"ClientToken=tok%201%2F2" };
	check(&v, "v3", "DeleteInstance");
}

static void test_v5_bearer(void **state)
{
	(void)state;
	const struct vec v = { "CurrentPage=1&ShowSize=20&SignatureType=BEARERTOKEN",
		{ { "host", "cas.aliyuncs.com" }, { "x-acs-action", "ListCloudAccess" }, { "x-acs-version", "2020-04-07" },
		  { "x-acs-date", "2025-01-15T08:34:00Z" }, { "x-acs-signature-nonce", "11112222333344445555666677778888" },
		  { "x-acs-content-sha256", E }, { "x-acs-bearer-token", "test-bearer-token-value" } } };
	check(&v, "bearer", "ListCloudAccess");
}

static void test_v6_legacy(void **state)
{
	(void)state;
	const struct vec v = { "AccessKeyId=" AK "&Action=ListInstances&CurrentPage=1&Format=json&Keyword=a%20b%2Ac&ShowSize=10&SignatureMethod=HMAC-SHA1&SignatureNonce=99998888777766665555444433332222&SignatureVersion=1.0&Timestamp=2025-01-15T08%3A35%3A00Z&Version=2020-04-07&Signature=%2F%2BGYcYxVoYzDjpRghn5FHRVlL90%3D",
		{ { "host", "cas.aliyuncs.com" }, { "x-acs-action", "ListInstances" }, { "x-acs-version", "2020-04-07" } } };
	struct emu_identity id;
	assert_string_equal(run(&v, NULL, &id), "OK");
	assert_string_equal(id.scheme, "v2");
	assert_string_equal(run(&v, NULL, &id), "SignatureNonceUsed");
}

static void test_v7(void **state)
{
	(void)state;
	const struct vec v = { "CloudName=Tencent&CurrentPage=1&ShowSize=20",
		{ V3HDR("ListCloudAccess", "2025-01-15T08:36:00Z", "abcdefabcdefabcdefabcdefabcdef12"),
		  { "x-acs-credentials-provider", "static_ak" },
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=bbcc33ef38411e4b332f67464c2714992a8e8885b19575bae725489fe780eff0" } } };
	check(&v, "v3", "ListCloudAccess");
}

static void test_skew(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(emu_parse_acs_date("2025-01-15T08:33:00Z", &t), 0);
	emu_clock_freeze(t + 19 * 60 * 1000); /* 08:52: a request dated 08:36 is stale */
	const struct vec v = { "CloudName=Tencent&CurrentPage=1&ShowSize=20",
		{ V3HDR("ListCloudAccess", "2025-01-15T08:36:00Z", "fresh-nonce-for-skew"),
		  { "Authorization", "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=00" } } };
	struct emu_identity id;
	assert_string_equal(run(&v, NULL, &id), "InvalidTimeStamp.Expired");
	emu_clock_freeze(t);
}

static int setup(void **state)
{
	(void)state;
	int64_t t;
	emu_parse_acs_date("2025-01-15T08:33:00Z", &t);
	emu_clock_freeze(t);
	g_auth = emu_auth_new(creds, 3);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	emu_auth_free(g_auth);
	return 0;
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_v0_v1),	     cmocka_unit_test(test_v2_node_url), cmocka_unit_test(test_v3_sts),
		cmocka_unit_test(test_v4_form_body), cmocka_unit_test(test_v5_bearer),	 cmocka_unit_test(test_v6_legacy),
		cmocka_unit_test(test_v7),	     cmocka_unit_test(test_skew),
	};
	return cmocka_run_group_tests_name("emulator.vectors", t, setup, teardown);
}
