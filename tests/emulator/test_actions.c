/* test_actions: the eleven actions against a 60-instance emulator: pagination,
 * every ListInstances filter, ShowSize limits of both lists, detail and
 * summary, UpdateInstance (incl. validation and CSR), DeleteInstance with
 * ClientToken, the refund window (also with a shifted clock), cloud access
 * (SecretKey never shown anywhere), GetCAInstanceStatus,
 * GetUserCertificateDetail (CertFilter, its three errors), and the audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "test_main.h"

#define SECRET_KEY "SuperSecretKeyValue-XYZ-0987"

static cJSON *instances(cJSON *dump)
{
	return cJSON_GetObjectItem(dump, "instances");
}

static void test_pagination(void **state)
{
	(void)state;
	cJSON *d = state_dump();
	int total = cJSON_GetArraySize(instances(d));
	assert_int_equal(total, 60);
	int seen = 0;
	for (int page = 1; page <= 4; page++) {
		char ps[8];
		snprintf(ps, sizeof(ps), "%d", page);
		struct resp r;
		const cJSON *b = ok_call(&r, "ListInstances", "CurrentPage", ps, "ShowSize", "25", NULL);
		assert_int_equal((int)jnum(b, "TotalCount"), 60);
		assert_int_equal((int)jnum(b, "CurrentPage"), page);
		assert_int_equal((int)jnum(b, "ShowSize"), 25);
		const cJSON *list = cJSON_GetObjectItem(b, "InstanceList");
		assert_true(cJSON_IsArray(list));
		assert_int_equal(cJSON_GetArraySize(list), page < 3 ? 25 : page == 3 ? 10 : 0);
		const cJSON *e;
		cJSON_ArrayForEach(e, list)
		{
			const cJSON *want = cJSON_GetArrayItem(instances(d), seen++);
			assert_string_equal(jstr(e, "InstanceId"), jstr(want, "InstanceId"));
			assert_null(cJSON_GetObjectItem(e, "Csr")); /* a projection onto the list fields */
			assert_null(cJSON_GetObjectItem(e, "Tags"));
			assert_non_null(jstr(e, "Status"));
		}
		resp_free(&r);
	}
	assert_int_equal(seen, 60);
	struct resp r;
	const cJSON *b = ok_call(&r, "ListInstances", NULL);
	assert_int_equal((int)jnum(b, "ShowSize"), 10);
	assert_int_equal((int)jnum(b, "CurrentPage"), 1);
	resp_free(&r);
	const char *bad[][2] = { { "ShowSize", "0" },	 { "ShowSize", "101" },	     { "ShowSize", "ten" },
				 { "CurrentPage", "0" }, { "CurrentPage", "1000000" }, { "Status", "active" } };
	const char *codes[] = { "InvalidParameter.ShowSize",   "InvalidParameter.ShowSize",
				"InvalidParameter.ShowSize",   "InvalidParameter.CurrentPage",
				"InvalidParameter.CurrentPage", "InvalidParameter.Status" };
	for (int i = 0; i < 6; i++) {
		v3(&g_emu, &r, "ListInstances", bad[i][0], bad[i][1], NULL);
		expect_error(&r, 400, codes[i]);
		resp_free(&r);
	}
	ok_call(&r, "ListInstances", "ShowSize", "100", NULL);
	resp_free(&r);
	cJSON_Delete(d);
}

/* Counts stored instances whose field equals (or, for Keyword, contains) value. */
static int expected(cJSON *d, const char *filter, const char *value)
{
	int n = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, instances(d))
	{
		if (strcmp(filter, "Keyword") == 0) {
			const char *f[] = { jstr(o, "Domain"), jstr(o, "CertificateName"), jstr(o, "InstanceId") };
			n += (f[0] && strcasestr(f[0], value)) || (f[1] && strcasestr(f[1], value)) ||
			     (f[2] && strcasestr(f[2], value));
		} else {
			const char *v = jstr(o, filter);
			n += v && (strcmp(filter, "Brand") == 0 ? strcasecmp(v, value) : strcmp(v, value)) == 0;
		}
	}
	return n;
}

static void check_filter(cJSON *d, const char *filter, const char *value)
{
	struct resp r;
	const char *field = strcmp(filter, "Keyword") == 0 ? NULL : filter;
	const cJSON *b = ok_call(&r, "ListInstances", filter, value, "ShowSize", "100", NULL);
	int want = expected(d, filter, value);
	if ((int)jnum(b, "TotalCount") != want)
		fprintf(stderr, "%s=%s: TotalCount %d, expected %d\n", filter, value, (int)jnum(b, "TotalCount"), want);
	assert_int_equal((int)jnum(b, "TotalCount"), want);
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(b, "InstanceList"))
	{
		if (field)
			assert_int_equal(strcasecmp(jstr(e, field), value), 0);
	}
	resp_free(&r);
}

static void test_filters(void **state)
{
	(void)state;
	cJSON *d = state_dump();
	const char *statuses[] = { "inactive", "pending", "willExpire", "expired", "refund", "normal", "closed" };
	int sum = 0;
	for (int i = 0; i < 7; i++) {
		assert_true(expected(d, "Status", statuses[i]) > 0); /* every status is generated */
		check_filter(d, "Status", statuses[i]);
		sum += expected(d, "Status", statuses[i]);
	}
	assert_int_equal(sum, 60);
	const char *brands[] = { "digicert", "GeoTrust", "GLOBALSIGN", "vTrus", "WoSign", "CFCA", "Alibaba" };
	for (int i = 0; i < 7; i++)
		check_filter(d, "Brand", brands[i]);
	const char *cert_statuses[] = { "issued", "willExpire", "expired", "revoked" };
	for (int i = 0; i < 4; i++)
		check_filter(d, "CertificateStatus", cert_statuses[i]);
	check_filter(d, "CertificateType", "DV");
	check_filter(d, "CertificateType", "OV");
	check_filter(d, "CertificateType", "EV");
	check_filter(d, "InstanceType", "BUY");
	check_filter(d, "InstanceType", "TEST");
	assert_true(expected(d, "InstanceType", "TEST") > 0);
	check_filter(d, "ResourceGroupId", jstr(cJSON_GetArrayItem(instances(d), 0), "ResourceGroupId"));
	check_filter(d, "Keyword", "EXAMPLE");
	check_filter(d, "Keyword", "cas_dv");
	check_filter(d, "Keyword", "cert-");
	/* certificate fields only where a certificate was issued */
	const cJSON *o;
	cJSON_ArrayForEach(o, instances(d))
	{
		int issued = jstr(o, "CertificateStatus") != NULL;
		assert_int_equal(issued, cJSON_GetObjectItem(o, "CertificateNotAfter") != NULL);
		assert_int_equal(issued, cJSON_GetObjectItem(o, "CertIdentifier") != NULL);
	}
	cJSON_Delete(d);
}

static void test_detail_summary(void **state)
{
	(void)state;
	cJSON *d = state_dump();
	const cJSON *first = cJSON_GetArrayItem(instances(d), 0);
	struct resp r;
	const cJSON *b = ok_call(&r, "GetInstanceDetail", "InstanceId", jstr(first, "InstanceId"), NULL);
	const char *fields[] = { "AutoReissue", "AverageWaitingTime", "Brand", "CertificateName", "CertificateType",
				 "City", "CompanyId", "ContactIdList", "CountryCode", "Csr", "DingGroupList", "Domain",
				 "DomainValidationList", "FullDomainCount", "GenerateCsrMethod", "InstanceEndTime",
				 "InstanceId", "InstanceStartTime", "InstanceType", "KeyAlgorithm", "OrderEndTime",
				 "OrderStartTime", "PendingResult", "Province", "ResourceGroupId", "Spec", "Status",
				 "Tags", "UpgradeStatus", "ValidationMethod", "WildcardDomainCount" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		assert_non_null(cJSON_GetObjectItem(b, fields[i]));
	assert_null(cJSON_GetObjectItem(b, "CertificateDomain"));
	resp_free(&r);
	v3(&g_emu, &r, "GetInstanceDetail", NULL);
	expect_error(&r, 400, "MissingParameter.InstanceId");
	resp_free(&r);
	v3(&g_emu, &r, "GetInstanceDetail", "InstanceId", "cas-cn-doesnotexist", NULL);
	expect_error(&r, 404, "InvalidInstanceId.NotFound");
	resp_free(&r);

	const char *types[] = { NULL, "BUY", "TEST" };
	for (int t = 0; t < 3; t++) {
		b = types[t] ? ok_call(&r, "GetInstanceSummary", "InstanceType", types[t], NULL)
			     : ok_call(&r, "GetInstanceSummary", NULL);
		int total = 0, inactive = 0, will = 0, reissue = 0, certs = 0;
		const cJSON *o;
		cJSON_ArrayForEach(o, instances(d))
		{
			if (types[t] && strcmp(jstr(o, "InstanceType"), types[t]))
				continue;
			total++;
			inactive += strcmp(jstr(o, "Status"), "inactive") == 0;
			will += strcmp(jstr(o, "Status"), "willExpire") == 0;
			reissue += strcmp(jstr(o, "AutoReissue"), "enable") == 0;
			certs += jstr(o, "CertificateStatus") != NULL;
		}
		assert_int_equal((int)jnum(b, "TotalCount"), total);
		assert_int_equal((int)jnum(b, "InactiveCount"), inactive);
		assert_int_equal((int)jnum(b, "WillExpireCount"), will);
		assert_int_equal((int)jnum(b, "AutoReissueCount"), reissue);
		assert_int_equal((int)jnum(b, "CertificateCount"), certs);
		resp_free(&r);
	}
	cJSON_Delete(d);
}

static const cJSON *find_upload(cJSON *d, const char *alg)
{
	const cJSON *o;
	cJSON_ArrayForEach(o, instances(d))
		if (strcmp(jstr(o, "GenerateCsrMethod"), "upload") == 0 && strcmp(jstr(o, "KeyAlgorithm"), alg) == 0)
			return o;
	return NULL;
}

static void test_update(void **state)
{
	(void)state;
	cJSON *d = state_dump();
	char *id = cas_xstrdup(jstr(cJSON_GetArrayItem(instances(d), 5), "InstanceId"));
	struct resp r;
	ok_call(&r, "UpdateInstance", "InstanceId", id, "CertificateName", "renamed", "Tags.1.TagKey", "a",
		"Tags.1.TagValue", "1", "Tags.2.TagKey", "b", "Tags.2.TagValue", "2", "ContactIdList.1", "7",
		"AutoReissue", "enable", "UnknownParam", "ignored", NULL);
	resp_free(&r);
	const cJSON *b = ok_call(&r, "GetInstanceDetail", "InstanceId", id, NULL);
	assert_string_equal(jstr(b, "CertificateName"), "renamed");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "Tags")), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "ContactIdList")), 1);
	assert_string_equal(jstr(b, "AutoReissue"), "enable");
	resp_free(&r);
	const char *bad[][3] = { { "AutoReissue", "maybe", "InvalidParameter.AutoReissue" },
				 { "KeyAlgorithm", "RSA_1024", "InvalidParameter.KeyAlgorithm" },
				 { "Domain", "not a domain", "InvalidParameter.Domain" },
				 { "Tags.1.TagKey", "aliyun:x", "InvalidParameter.TagKey" },
				 { "CountryCode", "CHN", "InvalidParameter.CountryCode" },
				 { "CompanyId", "x", "InvalidParameter.CompanyId" },
				 { "Csr", "garbage", "InvalidParameter.Csr" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v3(&g_emu, &r, "UpdateInstance", "InstanceId", id, bad[i][0], bad[i][1], NULL);
		expect_error(&r, 400, bad[i][2]);
		resp_free(&r);
	}
	v3(&g_emu, &r, "UpdateInstance", "InstanceId", "cas-cn-nope", "AutoReissue", "enable", NULL);
	expect_error(&r, 404, "InvalidInstanceId.NotFound");
	resp_free(&r);
	/* a real CSR from an uploaded instance; the key algorithm must match */
	const cJSON *up = find_upload(d, "RSA_2048");
	if (!up)
		up = find_upload(d, "ECC_256");
	assert_non_null(up);
	const char *alg = jstr(up, "KeyAlgorithm"), *other = strcmp(alg, "RSA_2048") ? "RSA_2048" : "ECC_256";
	v3(&g_emu, &r, "UpdateInstance", "InstanceId", id, "KeyAlgorithm", other, "Csr", jstr(up, "Csr"), NULL);
	expect_error(&r, 400, "InvalidParameter.Csr");
	resp_free(&r);
	ok_call(&r, "UpdateInstance", "InstanceId", id, "KeyAlgorithm", alg, "Csr", jstr(up, "Csr"), NULL);
	resp_free(&r);
	b = ok_call(&r, "GetInstanceDetail", "InstanceId", id, NULL);
	assert_string_equal(jstr(b, "GenerateCsrMethod"), "upload");
	assert_string_equal(jstr(b, "Csr"), jstr(up, "Csr"));
	resp_free(&r);
	/* the audit says which UpdateInstance calls changed state */
	cJSON *lines = audit_lines(&g_emu);
	int applied = 0, refused = 0;
	const cJSON *l;
	cJSON_ArrayForEach(l, lines)
	{
		if (!jstr(l, "action") || strcmp(jstr(l, "action"), "UpdateInstance"))
			continue;
		cJSON_IsTrue(cJSON_GetObjectItem(l, "applied")) ? applied++ : refused++;
		assert_string_equal(jstr(l, "auth"), "v3");
		assert_non_null(cJSON_GetObjectItem(l, "params"));
	}
	assert_int_equal(applied, 2);
	assert_int_equal(refused, 9);
	cJSON_Delete(lines);
	free(id);
	cJSON_Delete(d);
}

static void test_delete(void **state)
{
	(void)state;
	char *id = instance_id(10);
	struct resp r;
	ok_call(&r, "DeleteInstance", "InstanceId", id, "ClientToken", "tok-123", NULL);
	resp_free(&r);
	ok_call(&r, "DeleteInstance", "InstanceId", id, "ClientToken", "tok-123", NULL); /* idempotent replay */
	resp_free(&r);
	v3(&g_emu, &r, "DeleteInstance", "InstanceId", id, NULL);
	expect_error(&r, 404, "InvalidInstanceId.NotFound");
	resp_free(&r);
	v3(&g_emu, &r, "GetInstanceDetail", "InstanceId", id, NULL);
	expect_error(&r, 404, "InvalidInstanceId.NotFound");
	resp_free(&r);
	char longtok[70];
	memset(longtok, 'x', 65);
	longtok[65] = '\0';
	v3(&g_emu, &r, "DeleteInstance", "InstanceId", id, "ClientToken", longtok, NULL);
	expect_error(&r, 400, "InvalidParameter.ClientToken");
	resp_free(&r);
	cJSON *lines = audit_lines(&g_emu);
	int applied = 0, calls = 0;
	const cJSON *l;
	cJSON_ArrayForEach(l, lines)
	{
		if (jstr(l, "action") && strcmp(jstr(l, "action"), "DeleteInstance") == 0) {
			calls++;
			applied += cJSON_IsTrue(cJSON_GetObjectItem(l, "applied"));
		}
	}
	assert_int_equal(calls, 4);
	assert_int_equal(applied, 1);
	cJSON_Delete(lines);
	free(id);
}

static void test_refund(void **state)
{
	(void)state;
	char *fresh = instance_id(0), *old = instance_id(1);
	struct resp r;
	v3(&g_emu, &r, "RefundInstance", "InstanceId", old, NULL);
	expect_error(&r, 400, "OperationDenied.RefundPeriodExpired");
	assert_string_equal(jstr(r.json, "Message"), "The instance can only be refunded within 7 days of purchase.");
	resp_free(&r);
	ok_call(&r, "RefundInstance", "InstanceId", fresh, NULL);
	resp_free(&r);
	const cJSON *b = ok_call(&r, "GetInstanceDetail", "InstanceId", fresh, NULL);
	assert_string_equal(jstr(b, "Status"), "refund");
	resp_free(&r);
	v3(&g_emu, &r, "RefundInstance", "InstanceId", fresh, NULL);
	expect_error(&r, 400, "OperationDenied.InstanceStatus");
	resp_free(&r);
	/* a purchase 2 days old is refundable now, not after the clock moves 6 days on */
	cJSON *now = state_dump();
	char *body = cas_xasprintf("{\"InstanceType\":\"BUY\",\"Status\":\"inactive\",\"OrderStartTime\":%.0f}",
				   jnum(now, "now_ms") - 2 * 86400000.0);
	cJSON_Delete(now);
	http_raw(&g_emu, "POST", "/_emulator/instances/refund-me", body, &r);
	resp_free(&r);
	http_raw(&g_emu, "POST", "/_emulator/clock", "{\"offset_ms\": 518400000}", &r);
	resp_free(&r);
	v3(&g_emu, &r, "RefundInstance", "InstanceId", "refund-me", NULL);
	expect_error(&r, 400, "OperationDenied.RefundPeriodExpired");
	resp_free(&r);
	http_raw(&g_emu, "POST", "/_emulator/clock", "{\"offset_ms\": 0}", &r);
	resp_free(&r);
	ok_call(&r, "RefundInstance", "InstanceId", "refund-me", NULL);
	resp_free(&r);
	http_raw(&g_emu, "POST", "/_emulator/instances/test-cert", "{\"InstanceType\":\"TEST\",\"Status\":\"inactive\"}", &r);
	resp_free(&r);
	v3(&g_emu, &r, "RefundInstance", "InstanceId", "test-cert", NULL);
	expect_error(&r, 400, "OperationDenied.InstanceStatus");
	resp_free(&r);
	free(body);
	free(fresh);
	free(old);
}

static void test_cloud_access(void **state)
{
	(void)state;
	struct resp r;
	const cJSON *b = ok_call(&r, "ListCloudAccess", NULL);
	assert_int_equal((int)jnum(b, "TotalCount"), 5);
	assert_null(cJSON_GetObjectItem(b, "CurrentPage")); /* echoed only when sent */
	assert_null(cJSON_GetObjectItem(b, "ShowSize"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "CloudAccessList")), 5);
	resp_free(&r);
	b = ok_call(&r, "ListCloudAccess", "CurrentPage", "1", "ShowSize", "20", NULL);
	assert_int_equal((int)jnum(b, "ShowSize"), 20);
	assert_int_equal((int)jnum(b, "CurrentPage"), 1);
	resp_free(&r);
	v3(&g_emu, &r, "ListCloudAccess", "ShowSize", "15", NULL);
	expect_error(&r, 400, "InvalidParameter.ShowSize");
	resp_free(&r);
	b = ok_call(&r, "AddCloudAccess", "CloudName", "Tencent", "SecretId", "AKIDnew123", "SecretKey", SECRET_KEY, NULL);
	assert_int_equal(cJSON_GetArraySize((cJSON *)b), 1); /* only RequestId */
	resp_free(&r);
	b = ok_call(&r, "ListCloudAccess", "SecretId", "AKIDnew123", NULL);
	assert_int_equal((int)jnum(b, "TotalCount"), 1);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "CloudAccessList"), 0);
	assert_string_equal(jstr(e, "CloudName"), "Tencent");
	assert_string_equal(jstr(e, "ServiceStatus"), "normal");
	char access_id[32];
	snprintf(access_id, sizeof(access_id), "%.0f", jnum(e, "AccessId"));
	assert_null(strstr(r.body, SECRET_KEY));
	resp_free(&r);
	v3(&g_emu, &r, "AddCloudAccess", "CloudName", "AWS", "SecretId", "x", "SecretKey", "y", NULL);
	expect_error(&r, 400, "InvalidParameter.CloudName");
	resp_free(&r);
	v3(&g_emu, &r, "AddCloudAccess", "CloudName", "Tencent", "SecretId", "x", NULL);
	expect_error(&r, 400, "MissingParameter.SecretKey");
	resp_free(&r);
	struct resp s;
	http_raw(&g_emu, "GET", "/_emulator/state", NULL, &s);
	assert_null(strstr(s.body, SECRET_KEY));
	resp_free(&s);
	ok_call(&r, "DeleteCloudAccess", "AccessId", access_id, NULL);
	resp_free(&r);
	v3(&g_emu, &r, "DeleteCloudAccess", "AccessId", access_id, NULL);
	expect_error(&r, 404, "InvalidAccessId.NotFound");
	resp_free(&r);
	v3(&g_emu, &r, "DeleteCloudAccess", "AccessId", "abc", NULL);
	expect_error(&r, 400, "InvalidParameter.AccessId");
	resp_free(&r);
	char *audit = audit_text(&g_emu);
	assert_null(strstr(audit, SECRET_KEY));
	assert_non_null(strstr(audit, "\"SecretKey\":\"<redacted>\""));
	free(audit);
}

static void test_ca_status(void **state)
{
	(void)state;
	struct resp r;
	const cJSON *b = ok_call(&r, "GetCAInstanceStatus", NULL);
	const cJSON *list = cJSON_GetObjectItem(b, "InstanceStatusList");
	assert_int_equal(cJSON_GetArraySize(list), 4);
	char *id = cas_xstrdup(jstr(cJSON_GetArrayItem(list, 2), "InstanceId"));
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		const char *st = jstr(e, "Status");
		int used = strcmp(st, "USED") == 0 || strcmp(st, "REVOKE") == 0;
		assert_int_equal(used, jstr(e, "Identifier") != NULL);
		assert_int_equal(used, cJSON_GetObjectItem(e, "BeforeTime") != NULL);
	}
	resp_free(&r);
	b = ok_call(&r, "GetCAInstanceStatus", "InstanceId", id, NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "InstanceStatusList")), 1);
	resp_free(&r);
	free(id);
}

static void test_user_certificate_detail(void **state)
{
	(void)state;
	struct resp d;
	http_raw(&g_emu, "GET", "/_emulator/state", NULL, &d);
	cJSON *dump = cJSON_Parse(d.body);
	const cJSON *it, *issued = NULL;
	cJSON_ArrayForEach(it, instances(dump))
		if (!issued && cJSON_GetObjectItem(it, "CertificateId") && strcmp(jstr(it, "GenerateCsrMethod"), "online") == 0 &&
		    strcmp(jstr(it, "KeyAlgorithm"), "SM2") != 0)
			issued = it;
	assert_non_null(issued);
	char cid[24];
	snprintf(cid, sizeof(cid), "%.0f", jnum(issued, "CertificateId"));
	struct resp r;
	const cJSON *b = ok_call(&r, "GetUserCertificateDetail", "CertId", cid, NULL);
	assert_int_equal((long long)jnum(b, "Id"), atoll(cid));
	assert_string_equal(jstr(b, "InstanceId"), jstr(issued, "InstanceId"));
	assert_string_equal(jstr(b, "Sans"), jstr(issued, "Domain"));
	assert_int_equal((long long)jnum(b, "NotAfter"), (long long)jnum(issued, "CertificateNotAfter"));
	assert_non_null(strstr(jstr(b, "Cert"), "BEGIN CERTIFICATE"));
	assert_non_null(strstr(jstr(b, "Key"), "PRIVATE KEY"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "CertChain")), 2);
	resp_free(&r);
	/* CertFilter=true leaves out the PEM and the key */
	b = ok_call(&r, "GetUserCertificateDetail", "CertId", cid, "CertFilter", "true", NULL);
	assert_null(cJSON_GetObjectItem(b, "Cert"));
	assert_null(cJSON_GetObjectItem(b, "Key"));
	assert_non_null(cJSON_GetObjectItem(b, "Fingerprint"));
	resp_free(&r);
	v3(&g_emu, &r, "GetUserCertificateDetail", "CertId", "4242", NULL);
	expect_error(&r, 404, "InvalidCertId.NotFound");
	resp_free(&r);
	v3(&g_emu, &r, "GetUserCertificateDetail", "CertId", "-3", NULL);
	expect_error(&r, 400, "InvalidParameter.CertId");
	resp_free(&r);
	v3(&g_emu, &r, "GetUserCertificateDetail", NULL);
	expect_error(&r, 400, "MissingParameter.CertId");
	resp_free(&r);
	cJSON_Delete(dump);
	resp_free(&d);
}

static int setup(void **state)
{
	(void)state;
	return start_emu((const char *const[]){ "--instances", "60", "--cloud-access", "5", "--private-ca", "4", NULL });
}

static int teardown(void **state)
{
	(void)state;
	return stop_emu();
}

int run_actions_group(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_pagination), cmocka_unit_test(test_filters),	cmocka_unit_test(test_detail_summary),
		cmocka_unit_test(test_update),	   cmocka_unit_test(test_delete),	cmocka_unit_test(test_refund),
		cmocka_unit_test(test_cloud_access), cmocka_unit_test(test_ca_status),
		cmocka_unit_test(test_user_certificate_detail),
	};
	return cmocka_run_group_tests_name("emulator.actions", t, setup, teardown);
}
