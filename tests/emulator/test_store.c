/* test_store: the certificate store of the emulator: uploads with
 * their OpenSSL checks and every error code (NameRepeat, the three X.509
 * codes, Name required and <= 64 characters), ListUserCertificateOrder (the
 * CPACK default, UPLOAD vs CERT, the default-Status trap that hides expired
 * certificates, Status=EXPIRED, Keyword, paging), ListCertificates (every
 * status without a filter, string CertificateId, UsingProductList), delete
 * (in use refused, unexpired issued refused, expired and uploaded deleted),
 * the detail of an upload, its 10 QPS, and the audit of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test_main.h"

/* A fresh leaf + key from /_emulator/leaf (cn, dates 0 = defaults). */
static void leaf(const char *cn, char **cert, char **key)
{
	struct resp r;
	char body[256];
	snprintf(body, sizeof(body), "{\"CommonName\":\"%s\"}", cn);
	assert_int_equal(http_raw(&g_emu, "POST", "/_emulator/leaf", body, &r), 0);
	assert_int_equal(r.status, 200);
	*cert = strdup(jstr(r.json, "Cert"));
	*key = strdup(jstr(r.json, "Key"));
	resp_free(&r);
}

static long long add_stored(const char *name, long long nb, long long na)
{
	struct resp r;
	char body[256];
	snprintf(body, sizeof(body), "{\"Name\":\"%s\",\"CommonName\":\"%s.example.com\",\"NotBefore\":%lld,\"NotAfter\":%lld}",
		 name, name, nb, na);
	assert_int_equal(http_raw(&g_emu, "POST", "/_emulator/store", body, &r), 0);
	assert_int_equal(r.status, 201);
	long long id = (long long)jnum(r.json, "CertId");
	resp_free(&r);
	return id;
}

static int applied_count(const char *action)
{
	cJSON *lines = audit_lines(&g_emu), *l;
	int n = 0;
	cJSON_ArrayForEach(l, lines)
		n += strcmp(jstr(l, "action"), action) == 0 && cJSON_IsTrue(cJSON_GetObjectItem(l, "applied"));
	cJSON_Delete(lines);
	return n;
}

static void test_upload_errors(void **state)
{
	(void)state;
	char *cert, *key, *cert2, *key2;
	leaf("up.example.com", &cert, &key);
	leaf("other.example.com", &cert2, &key2);
	struct resp r;
	const cJSON *b = ok_call(&r, "UploadUserCertificate", "Name", "up-1", "Cert", cert, "Key", key, NULL);
	long long id = (long long)jnum(b, "CertId");
	assert_true(id > 4294967296LL); /* an int64 */
	resp_free(&r);
	assert_int_equal(applied_count("UploadUserCertificate"), 1);
	/* the same name again (the same or other content): NameRepeat, nothing stored */
	v3(&g_emu, &r, "UploadUserCertificate", "Name", "up-1", "Cert", cert2, "Key", key2, NULL);
	expect_error(&r, 400, "NameRepeat");
	resp_free(&r);
	/* a key that is not the leaf's */
	v3(&g_emu, &r, "UploadUserCertificate", "Name", "up-2", "Cert", cert, "Key", key2, NULL);
	expect_error(&r, 400, "NotMatch.CertificateAndPrivateKey");
	resp_free(&r);
	/* the chain before the leaf */
	const char *second = strstr(cert + 1, "-----BEGIN CERTIFICATE-----");
	assert_non_null(second);
	char *swapped = cas_xasprintf("%s%.*s", second, (int)(second - cert), cert);
	v3(&g_emu, &r, "UploadUserCertificate", "Name", "up-3", "Cert", swapped, "Key", key, NULL);
	expect_error(&r, 400, "NotMatch.CertificateAndPrivateKey");
	resp_free(&r);
	/* an encrypted key (the PEM header says so) */
	char *enc = cas_xasprintf("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
	v3(&g_emu, &r, "UploadUserCertificate", "Name", "up-4", "Cert", cert, "Key", enc, NULL);
	expect_error(&r, 400, "PrivateKeyFormatException");
	resp_free(&r);
	/* not PEM */
	v3(&g_emu, &r, "UploadUserCertificate", "Name", "up-5", "Cert", "hello", "Key", key, NULL);
	expect_error(&r, 400, "CertificateFormatException");
	resp_free(&r);
	/* Name: required, at most 64 characters (65 refused, 64 accepted) */
	v3(&g_emu, &r, "UploadUserCertificate", "Cert", cert2, "Key", key2, NULL);
	expect_error(&r, 400, "MissingParameter.Name");
	resp_free(&r);
	char n65[66];
	memset(n65, 'n', 65);
	n65[65] = '\0';
	v3(&g_emu, &r, "UploadUserCertificate", "Name", n65, "Cert", cert2, "Key", key2, NULL);
	expect_error(&r, 400, "InvalidParameter.Name");
	resp_free(&r);
	n65[64] = '\0';
	ok_call(&r, "UploadUserCertificate", "Name", n65, "Cert", cert2, "Key", key2, NULL);
	resp_free(&r);
	assert_int_equal(applied_count("UploadUserCertificate"), 2);
	/* the detail of an upload gives back what was sent */
	char ids[24];
	snprintf(ids, sizeof(ids), "%lld", id);
	b = ok_call(&r, "GetUserCertificateDetail", "CertId", ids, NULL);
	assert_string_equal(jstr(b, "Cert"), cert);
	assert_string_equal(jstr(b, "Key"), key);
	assert_string_equal(jstr(b, "Name"), "up-1");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(b, "BuyInAliyun")));
	resp_free(&r);
	free(swapped);
	free(enc);
	free(cert);
	free(key);
	free(cert2);
	free(key2);
}

static int has_id(const cJSON *list, const char *field, long long id)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *v = cJSON_GetObjectItem(e, field);
		if ((cJSON_IsNumber(v) && (long long)v->valuedouble == id) || (cJSON_IsString(v) && atoll(v->valuestring) == id))
			return 1;
	}
	return 0;
}

static void test_listings_and_trap(void **state)
{
	(void)state;
	long long old = add_stored("expired-one", 1500000000000LL, 1600000000000LL);
	long long live = add_stored("live-one", 1700000000000LL, 4000000000000LL);
	struct resp r;
	/* the default is CPACK: orders, not certificates */
	const cJSON *b = ok_call(&r, "ListUserCertificateOrder", NULL);
	assert_false(has_id(cJSON_GetObjectItem(b, "CertificateOrderList"), "CertificateId", live));
	resp_free(&r);
	/* the trap: CERT without Status hides the expired upload */
	b = ok_call(&r, "ListUserCertificateOrder", "OrderType", "CERT", "ShowSize", "1000", NULL);
	assert_true(has_id(cJSON_GetObjectItem(b, "CertificateOrderList"), "CertificateId", live));
	assert_false(has_id(cJSON_GetObjectItem(b, "CertificateOrderList"), "CertificateId", old));
	int cert_total = (int)jnum(b, "TotalCount");
	resp_free(&r);
	b = ok_call(&r, "ListUserCertificateOrder", "OrderType", "UPLOAD", NULL);
	assert_false(has_id(cJSON_GetObjectItem(b, "CertificateOrderList"), "CertificateId", old));
	assert_true(jnum(b, "TotalCount") < cert_total); /* CERT also has the issued instances' certificates */
	resp_free(&r);
	b = ok_call(&r, "ListUserCertificateOrder", "OrderType", "UPLOAD", "Status", "EXPIRED", NULL);
	assert_true(has_id(cJSON_GetObjectItem(b, "CertificateOrderList"), "CertificateId", old));
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "CertificateOrderList"), 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "Expired")));
	assert_string_equal(jstr(e, "EndDate"), "2020-09-13");
	resp_free(&r);
	b = ok_call(&r, "ListUserCertificateOrder", "OrderType", "CERT", "Keyword", "live-one", NULL);
	assert_int_equal((int)jnum(b, "TotalCount"), 1);
	resp_free(&r);
	/* paging: ShowSize 1 walks the same set */
	b = ok_call(&r, "ListUserCertificateOrder", "OrderType", "CERT", "ShowSize", "1", "CurrentPage", "2", NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "CertificateOrderList")), 1);
	assert_int_equal((int)jnum(b, "TotalCount"), cert_total);
	resp_free(&r);
	v3(&g_emu, &r, "ListUserCertificateOrder", "OrderType", "NOPE", NULL);
	expect_error(&r, 400, "InvalidParameter.OrderType");
	resp_free(&r);
	/* ListCertificates: every status without a filter, the model's types */
	b = ok_call(&r, "ListCertificates", "ShowSize", "100", NULL);
	const cJSON *list = cJSON_GetObjectItem(b, "CertificateList");
	assert_true(has_id(list, "CertificateId", old) && has_id(list, "CertificateId", live));
	cJSON_ArrayForEach(e, list)
	{
		assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "CertificateId")));
		assert_true(cJSON_IsNumber(cJSON_GetObjectItem(e, "NotAfter")));
		assert_true(cJSON_IsArray(cJSON_GetObjectItem(e, "SubjectAlternativeNames")));
		assert_true(cJSON_IsArray(cJSON_GetObjectItem(e, "UsingProductList")));
		if (atoll(jstr(e, "CertificateId")) == old) {
			assert_string_equal(jstr(e, "CertificateStatus"), "expired");
			assert_string_equal(jstr(e, "CertificateSource"), "UPLOAD");
		}
	}
	resp_free(&r);
	b = ok_call(&r, "ListCertificates", "CertificateStatus", "expired", "CertificateSource", "UPLOAD", NULL);
	assert_true(has_id(cJSON_GetObjectItem(b, "CertificateList"), "CertificateId", old));
	assert_false(has_id(cJSON_GetObjectItem(b, "CertificateList"), "CertificateId", live));
	resp_free(&r);
	v3(&g_emu, &r, "ListCertificates", "ShowSize", "101", NULL);
	expect_error(&r, 400, "InvalidParameter.ShowSize");
	resp_free(&r);
}

static void test_delete(void **state)
{
	(void)state;
	long long used = add_stored("used-one", 1500000000000LL, 1600000000000LL);
	long long free_one = add_stored("free-one", 1500000000000LL, 1600000000000LL);
	char path[96], ids[24];
	struct resp r;
	snprintf(path, sizeof(path), "/_emulator/store/%lld/in-use", used);
	http_raw(&g_emu, "POST", path, "{\"Product\":\"SLB\",\"Resource\":\"lb-123\"}", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* in use: refused, nothing applied, the product named */
	snprintf(ids, sizeof(ids), "%lld", used);
	v3(&g_emu, &r, "DeleteUserCertificate", "CertId", ids, NULL);
	expect_error(&r, 400, "OperationDenied.CertificateInUse");
	assert_non_null(strstr(r.body, "SLB"));
	resp_free(&r);
	const cJSON *b = ok_call(&r, "ListCertificates", "Keyword", "used-one", NULL);
	const cJSON *u = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "CertificateList"), 0), "UsingProductList");
	assert_string_equal(cJSON_GetArrayItem(u, 0)->valuestring, "SLB");
	resp_free(&r);
	int before = applied_count("DeleteUserCertificate");
	snprintf(ids, sizeof(ids), "%lld", free_one);
	ok_call(&r, "DeleteUserCertificate", "CertId", ids, NULL);
	resp_free(&r);
	assert_int_equal(applied_count("DeleteUserCertificate"), before + 1);
	v3(&g_emu, &r, "DeleteUserCertificate", "CertId", ids, NULL);
	expect_error(&r, 404, "InvalidCertId.NotFound");
	resp_free(&r);
	v3(&g_emu, &r, "DeleteUserCertificate", NULL);
	expect_error(&r, 400, "MissingParameter.CertId");
	resp_free(&r);
	/* an issued, unexpired instance certificate is not deletable */
	b = ok_call(&r, "ListCertificates", "CertificateSource", "BUY", "CertificateStatus", "issued", NULL);
	const cJSON *e, *pick = NULL;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(b, "CertificateList"))
		if (!pick && cJSON_GetArraySize(cJSON_GetObjectItem(e, "UsingProductList")) == 0)
			pick = e;
	if (pick) {
		struct resp r2;
		v3(&g_emu, &r2, "DeleteUserCertificate", "CertId", jstr(pick, "CertificateId"), NULL);
		expect_error(&r2, 400, "OperationDenied.CertificateNotExpired");
		resp_free(&r2);
	}
	resp_free(&r);
	/* clearing the use makes it deletable */
	http_raw(&g_emu, "DELETE", path, NULL, &r);
	resp_free(&r);
	snprintf(ids, sizeof(ids), "%lld", used);
	ok_call(&r, "DeleteUserCertificate", "CertId", ids, NULL);
	resp_free(&r);
}

static void test_order_qps(void **state)
{
	(void)state;
	/* 30 back-to-back calls: the 10 QPS bucket refuses some with Throttling.User */
	int throttled = 0;
	for (int i = 0; i < 30; i++) {
		struct resp r;
		v3(&g_emu, &r, "ListUserCertificateOrder", "OrderType", "UPLOAD", NULL);
		if (r.status != 200) {
			expect_error(&r, 400, "Throttling.User");
			throttled++;
		}
		resp_free(&r);
	}
	assert_true(throttled > 0);
}

static int setup(void **state)
{
	(void)state;
	return start_emu((const char *const[]){ "--instances", "20", NULL });
}

static int teardown(void **state)
{
	(void)state;
	return stop_emu();
}

int run_store_group(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_upload_errors),
		cmocka_unit_test(test_listings_and_trap),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_order_qps),
	};
	return cmocka_run_group_tests_name("emulator.store", t, setup, teardown);
}
