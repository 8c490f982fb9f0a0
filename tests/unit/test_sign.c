/* test_sign: every signing vector produced by the official Node SDK (docs/PROTOCOL.md §2), byte for byte, plus
 * percent-encoding and query-flattening edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "params.h"
#include "params_test.h"
#include "sign.h"

#define AK "LTAI5tTestAccessKeyId01"
#define SK "TestAccessKeySecret0123456789ab"

struct vec {
	struct cas_header h[12];
	size_t nh;
};

static void check_v3(const struct cas_params *q, const struct cas_header *h, size_t nh, const char *payload,
		     const char *secret, const char *akid, const char *want_canon, const char *want_hash,
		     const char *want_auth)
{
	char *sh = NULL;
	char *canon = cas_v3_canonical_request("POST", "/", q, h, nh, payload, NULL, &sh);
	assert_non_null(canon);
	if (want_canon)
		assert_string_equal(canon, want_canon);
	char hex[65];
	cas_sha256_hex(canon, strlen(canon), hex);
	assert_string_equal(hex, want_hash);
	char *sts = cas_v3_string_to_sign(canon);
	char want_sts[128];
	snprintf(want_sts, sizeof(want_sts), "ACS3-HMAC-SHA256\n%s", want_hash);
	assert_string_equal(sts, want_sts);
	char sig[65];
	cas_v3_signature(secret, sts, sig);
	char *auth = cas_v3_authorization(akid, sh, sig);
	assert_string_equal(auth, want_auth);
	/* the verifier's path: rebuild from exactly the signed names */
	char *sh2 = NULL;
	char *canon2 = cas_v3_canonical_request("POST", "/", q, h, nh, payload, sh, &sh2);
	assert_string_equal(canon2, canon);
	free(canon2);
	free(sh2);
	free(auth);
	free(sts);
	free(canon);
	free(sh);
}

static void v0_minimal(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "Status", "normal");
	cas_params_set(&q, "CurrentPage", "1");
	cas_params_set(&q, "ShowSize", "10");
	struct cas_header h[] = {
		{ "host", "cas.aliyuncs.com" },
		{ "x-acs-action", "ListInstances" },
		{ "x-acs-version", "2020-04-07" },
		{ "x-acs-date", "2025-01-15T08:30:00Z" },
		{ "x-acs-signature-nonce", "3f1c2b7a9d8e4f60a1b2c3d4e5f60718" },
		{ "x-acs-content-sha256", CAS_EMPTY_SHA256 },
		{ "accept", "application/json" },
		{ "user-agent", "casfs" },
	};
	check_v3(&q, h, 8, CAS_EMPTY_SHA256, SK, AK,
		 "POST\n/\nCurrentPage=1&ShowSize=10&Status=normal\n"
		 "host:cas.aliyuncs.com\nx-acs-action:ListInstances\n"
		 "x-acs-content-sha256:" CAS_EMPTY_SHA256 "\n"
		 "x-acs-date:2025-01-15T08:30:00Z\nx-acs-signature-nonce:3f1c2b7a9d8e4f60a1b2c3d4e5f60718\n"
		 "x-acs-version:2020-04-07\n\n"
		 "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" CAS_EMPTY_SHA256,
		 "cbd3421155f7c79c693b12296b588fa409c4ae94042339cd2e1935a14fa30cf1",
		 "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=host;x-acs-action;"
		 "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
		 "Signature=d49565e5d524292b76a7a9dba2c93dc6786996400060f20b134a293b2a1aba12");
	cas_params_free(&q);
}

static void v1_provider_header(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "CurrentPage", "1");
	cas_params_set(&q, "ShowSize", "10");
	cas_params_set(&q, "Status", "normal");
	struct cas_header h[] = {
		{ "Host", "cas.aliyuncs.com" },
		{ "x-acs-action", "ListInstances" },
		{ "x-acs-version", "2020-04-07" },
		{ "x-acs-date", "2025-01-15T08:30:00Z" },
		{ "x-acs-signature-nonce", " 3f1c2b7a9d8e4f60a1b2c3d4e5f60718 " }, /* values are trimmed */
		{ "x-acs-content-sha256", CAS_EMPTY_SHA256 },
		{ "X-Acs-Credentials-Provider", "static_ak" },
	};
	check_v3(&q, h, 7, CAS_EMPTY_SHA256, SK, AK, NULL,
		 "0514f07aa30e93d5d4cd84446ca0d681b3d1b3d3cff57f5cc39e6e85c5ba028d",
		 "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=host;x-acs-action;"
		 "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
		 "Signature=aa012971ca247427195618372f8b89d71f3c45383a85ad2ef5457da99dc0e9f2");
	cas_params_free(&q);
}

static void v2_flatten_reserved(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "InstanceId", "cas_dv-cn-0001");
	cas_params_set(&q, "CertificateName", "my cert*(x)!~'/+=");
	cas_params_set(&q, "Domain", "example.com,*.example.com");
	int64_t contacts[] = { 101, 202 };
	cas_params_set_i64_list(&q, "ContactIdList", contacts, 2);
	struct cas_tag tags[] = { { "env", "prod test" }, { "owner", "\xE5\xBC\xA0\xE4\xB8\x89" } };
	cas_params_set_tags(&q, "Tags", tags, 2);
	cas_params_set(&q, "AutoReissue", "enable");
	struct cas_header h[] = {
		{ "host", "cas.aliyuncs.com" },
		{ "x-acs-action", "UpdateInstance" },
		{ "x-acs-version", "2020-04-07" },
		{ "x-acs-date", "2025-01-15T08:31:05Z" },
		{ "x-acs-signature-nonce", "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4" },
		{ "x-acs-content-sha256", CAS_EMPTY_SHA256 },
		{ "x-acs-credentials-provider", "static_ak" },
	};
	check_v3(&q, h, 7, CAS_EMPTY_SHA256, SK, AK,
		 "POST\n/\nAutoReissue=enable&CertificateName=my%20cert%2A%28x%29%21~%27%2F%2B%3D&ContactIdList.1=101&"
		 "ContactIdList.2=202&Domain=example.com%2C%2A.example.com&InstanceId=cas_dv-cn-0001&Tags.1.TagKey=env&"
		 "Tags.1.TagValue=prod%20test&Tags.2.TagKey=owner&Tags.2.TagValue=%E5%BC%A0%E4%B8%89\n"
		 "host:cas.aliyuncs.com\nx-acs-action:UpdateInstance\n"
		 "x-acs-content-sha256:" CAS_EMPTY_SHA256 "\nx-acs-credentials-provider:static_ak\n"
		 "x-acs-date:2025-01-15T08:31:05Z\nx-acs-signature-nonce:a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4\n"
		 "x-acs-version:2020-04-07\n\n"
		 "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;"
		 "x-acs-version\n" CAS_EMPTY_SHA256,
		 "bd7f93090db5e8793639c690b398e06b957ff0af9430f6b557416a7d0d3e417e",
		 "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=host;x-acs-action;"
		 "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
		 "Signature=a3bcb6e252b12c0a9a53a33dd94f7f18e31ceabb7e0df256e24d87cf61de53ee");
	cas_params_free(&q);
}

static void v3_sts(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "InstanceId", "cas_dv-cn-0001");
	struct cas_header h[] = {
		{ "host", "cas.aliyuncs.com" },
		{ "x-acs-action", "GetInstanceDetail" },
		{ "x-acs-version", "2020-04-07" },
		{ "x-acs-date", "2025-01-15T08:32:10Z" },
		{ "x-acs-signature-nonce", "0123456789abcdef0123456789abcdef" },
		{ "x-acs-content-sha256", CAS_EMPTY_SHA256 },
		{ "x-acs-credentials-provider", "static_sts" },
		{ "x-acs-accesskey-id", "STS.TestTemporaryAccessKeyId" },
		{ "x-acs-security-token", "CAIS.test.security.token==" },
	};
	check_v3(&q, h, 9, CAS_EMPTY_SHA256, "TestStsSecret", "STS.TestTemporaryAccessKeyId", NULL,
		 "60d96352f25c56d534a7f8a009e04ff5d36c98384e5b30d266c922c99f662ac5",
		 "ACS3-HMAC-SHA256 Credential=STS.TestTemporaryAccessKeyId,SignedHeaders=host;x-acs-accesskey-id;"
		 "x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;"
		 "x-acs-signature-nonce;x-acs-version,"
		 "Signature=70c72834d05d338e05fe0547ed200491b51e28b4d8a07a41120c6a04d691fb7e");
	cas_params_free(&q);
}

static void v4_body(void **state)
{
	(void)state;
	const char *body = "ClientToken=tok%201%2F2";
	char bh[65];
	cas_sha256_hex(body, strlen(body), bh);
	assert_string_equal(bh, "b8e6751ba7fc88b0de1e033cbed162788e14d0f625dd6e6026b95da326edefd3");
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "InstanceId", "cas_dv-cn-0001");
	struct cas_header h[] = {
		{ "host", "cas.aliyuncs.com" },
		{ "x-acs-action", "DeleteInstance" },
		{ "x-acs-version", "2020-04-07" },
		{ "x-acs-date", "2025-01-15T08:33:20Z" },
		{ "x-acs-signature-nonce", "fedcba9876543210fedcba9876543210" },
		{ "x-acs-content-sha256", bh },
		{ "x-acs-credentials-provider", "static_ak" },
		{ "content-type", "application/x-www-form-urlencoded" },
	};
	check_v3(&q, h, 8, bh, SK, AK, NULL, "343b5baf934f18f7ed4602b4eabff8772a3ded5fc91b337d14b767ed7d9a5a6d",
		 "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=content-type;host;x-acs-action;"
		 "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
		 "Signature=8e2f2885810ec837febdb146bd4b3d10476c9bff794cd16b45d27ddf228ac423");
	cas_params_free(&q);
}

static void v5_bearer_query(void **state)
{
	(void)state;
	/* bearer: no HMAC; the query gains SignatureType=BEARERTOKEN */
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "CurrentPage", "1");
	cas_params_set(&q, "ShowSize", "20");
	cas_params_set(&q, "SignatureType", "BEARERTOKEN");
	char *qs = cas_params_encode(&q, 0);
	assert_string_equal(qs, "CurrentPage=1&ShowSize=20&SignatureType=BEARERTOKEN");
	free(qs);
	cas_params_free(&q);
}

static void v6_legacy_v2(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "CurrentPage", "1");
	cas_params_set(&q, "ShowSize", "10");
	cas_params_set(&q, "Keyword", "a b*c");
	cas_params_set(&q, "Action", "ListInstances");
	cas_params_set(&q, "Format", "json");
	cas_params_set(&q, "Version", "2020-04-07");
	cas_params_set(&q, "Timestamp", "2025-01-15T08:35:00Z");
	cas_params_set(&q, "SignatureNonce", "99998888777766665555444433332222");
	cas_params_set(&q, "SignatureMethod", "HMAC-SHA1");
	cas_params_set(&q, "SignatureVersion", "1.0");
	cas_params_set(&q, "AccessKeyId", AK);
	cas_params_set(&q, "Signature", "ignored");
	char *sts = cas_v2_string_to_sign("POST", &q);
	assert_string_equal(sts,
			    "POST&%2F&AccessKeyId%3DLTAI5tTestAccessKeyId01%26Action%3DListInstances%26CurrentPage%3D1%26"
			    "Format%3Djson%26Keyword%3Da%2520b%252Ac%26ShowSize%3D10%26SignatureMethod%3DHMAC-SHA1%26"
			    "SignatureNonce%3D99998888777766665555444433332222%26SignatureVersion%3D1.0%26Timestamp%3D"
			    "2025-01-15T08%253A35%253A00Z%26Version%3D2020-04-07");
	char *sig = cas_v2_signature(SK, sts);
	assert_string_equal(sig, "/+GYcYxVoYzDjpRghn5FHRVlL90=");
	free(sig);
	free(sts);
	cas_params_free(&q);
}

static void v7_cloud_access(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_set(&q, "ShowSize", "20");
	cas_params_set(&q, "CloudName", "Tencent");
	cas_params_set(&q, "CurrentPage", "1");
	struct cas_header h[] = {
		{ "host", "cas.aliyuncs.com" },
		{ "x-acs-action", "ListCloudAccess" },
		{ "x-acs-version", "2020-04-07" },
		{ "x-acs-date", "2025-01-15T08:36:00Z" },
		{ "x-acs-signature-nonce", "abcdefabcdefabcdefabcdefabcdef12" },
		{ "x-acs-content-sha256", CAS_EMPTY_SHA256 },
		{ "x-acs-credentials-provider", "static_ak" },
	};
	check_v3(&q, h, 7, CAS_EMPTY_SHA256, SK, AK, NULL,
		 "223b98ef91ea14193459c5e30ceb54132fc63fd270cd05d1490ad17a90cd4251",
		 "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=host;x-acs-action;"
		 "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
		 "Signature=bbcc33ef38411e4b332f67464c2714992a8e8885b19575bae725489fe780eff0");
	cas_params_free(&q);
}

static void pct_encoding(void **state)
{
	(void)state;
	struct cas_buf b = CAS_BUF_INIT;
	const char in[] = "AZaz09-_.~ !'()*/+=,:;@&%\xE5\xBC\xA0\x01";
	cas_pct_encode(&b, in, sizeof(in) - 1);
	assert_string_equal(b.p, "AZaz09-_.~%20%21%27%28%29%2A%2F%2B%3D%2C%3A%3B%40%26%25%E5%BC%A0%01");
	cas_buf_free(&b);
	char *d = cas_pct_decode("a%20b+c%2Bd%e5%BC%a0", 20, 1);
	assert_string_equal(d, "a b c+d\xE5\xBC\xA0");
	free(d);
	d = cas_pct_decode("a+b", 3, 0);
	assert_string_equal(d, "a+b");
	free(d);
	assert_null(cas_pct_decode("bad%2", 5, 1));
	assert_null(cas_pct_decode("bad%zz", 6, 1));
	assert_null(cas_pct_decode("%", 1, 1));
}

static void flattening(void **state)
{
	(void)state;
	struct cas_params q = CAS_PARAMS_INIT;
	const char *vals[] = { "a", NULL, "c" };
	cas_params_set_list(&q, "L", vals, 3); /* null skipped, index consumed */
	struct cas_tag tags[11];
	char keys[11][8];
	for (int i = 0; i < 11; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		tags[i].key = keys[i];
		tags[i].value = "";
	}
	cas_params_set_tags(&q, "Tags", tags, 11);
	cas_params_set(&q, "Empty", "");
	cas_params_sort(&q);
	char *qs = cas_params_encode(&q, 0);
	/* byte order: "Tags.10" sorts before "Tags.2"; empty values are kept as "Empty=" */
	assert_true(strstr(qs, "Empty=&L.1=a&L.3=c&Tags.1.TagKey=k0&Tags.1.TagValue=&Tags.10.TagKey=k9") == qs);
	assert_non_null(strstr(qs, "Tags.11.TagValue=&Tags.2.TagKey=k1"));
	free(qs);
	struct cas_params r = CAS_PARAMS_INIT;
	assert_int_equal(cas_params_parse(&r, "b=2&a=%E5%BC%A0&c&d="), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(cas_params_get(&r, "a"), "\xE5\xBC\xA0");
	assert_string_equal(cas_params_get(&r, "c"), "");
	assert_int_equal(cas_params_parse(&r, "x=%G0"), -1);
	cas_params_free(&r);
	cas_params_free(&q);
}

static void missing_signed_header(void **state)
{
	(void)state;
	struct cas_header h[] = { { "host", "h" }, { "x-acs-date", "d" } };
	char *sh = NULL;
	assert_null(cas_v3_canonical_request("POST", "/", NULL, h, 2, CAS_EMPTY_SHA256, "host;x-acs-action", &sh));
	char *c = cas_v3_canonical_request("POST", "/", NULL, h, 2, CAS_EMPTY_SHA256, "host", &sh);
	assert_string_equal(c, "POST\n/\n\nhost:h\n\nhost\n" CAS_EMPTY_SHA256);
	free(c);
	free(sh);
	assert_true(cas_secure_streq("abc", "abc"));
	assert_false(cas_secure_streq("abc", "abd"));
	assert_false(cas_secure_streq("abc", "ab"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v0_minimal),      cmocka_unit_test(v1_provider_header),
		cmocka_unit_test(v2_flatten_reserved), cmocka_unit_test(v3_sts),
		cmocka_unit_test(v4_body),         cmocka_unit_test(v5_bearer_query),
		cmocka_unit_test(v6_legacy_v2),    cmocka_unit_test(v7_cloud_access),
		cmocka_unit_test(pct_encoding),    cmocka_unit_test(flattening),
		cmocka_unit_test(missing_signed_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
