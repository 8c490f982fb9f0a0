/* t_store: the certificate store through the client (client/store.c) against
 * the emulator: the whole store across pages with expired certificates at
 * ⌈N/100⌉ ListCertificates (the default-Status trap of
 * ListUserCertificateOrder shown beside it), an upload and a duplicate
 * name (EEXIST; the same certificate again is success), local refusals with
 * no call, and a delete of a certificate in use (EBUSY, nothing applied). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "store.h"

static void leaf(const char *cn, char **cert, char **key)
{
	char body[128];
	snprintf(body, sizeof(body), "{\"CommonName\":\"%s\"}", cn);
	cJSON *o = emu_post("/_emulator/leaf", body);
	*cert = strdup(cJSON_GetObjectItem(o, "Cert")->valuestring);
	*key = strdup(cJSON_GetObjectItem(o, "Key")->valuestring);
	cJSON_Delete(o);
}

static void test_store_listing(void **state)
{
	(void)state;
	EMU_UP("--instances", "0");
	/* 250 uploads, every third expired */
	for (int i = 0; i < 250; i++) {
		char body[200];
		snprintf(body, sizeof(body), "{\"Name\":\"c%03d\",\"CommonName\":\"c%03d.example.com\",\"NotAfter\":%s}", i, i,
			 i % 3 == 0 ? "1600000000000" : "4000000000000");
		cJSON_Delete(emu_post("/_emulator/store", body));
	}
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_store_list l;
	struct cas_error e;
	cas_error_clear(&e);
	expect_rc(cas_store_list_all(c, &l, &e), 0, &e);
	assert_int_equal(l.n, 250);
	assert_int_equal(l.calls, 3); /* ceil(250/100) */
	int expired = 0;
	for (size_t i = 0; i < l.n; i++) {
		expired += l.v[i].status && strcmp(l.v[i].status, "expired") == 0;
		assert_true(l.v[i].id > 4294967296LL);
		assert_int_equal(l.v[i].nsans, 1);
	}
	assert_int_equal(expired, 84);
	cas_store_list_free(&l);
	cJSON *a = audit_all();
	assert_int_equal(audit_count(a, "ListCertificates", -1), 3);
	cJSON_Delete(a);
	/* beside it, the trap: UPLOAD without Status does not show the 84 */
	cJSON *resp = NULL;
	expect_rc(cas_store_order_page(c, "UPLOAD", NULL, NULL, 1, 1000, &resp, &e), 0, &e);
	assert_int_equal((int)cJSON_GetObjectItem(resp, "TotalCount")->valuedouble, 250 - 84);
	cJSON_Delete(resp);
}

static void test_store_upload(void **state)
{
	(void)state;
	EMU_UP("--instances", "3");
	struct cas_client *c = client_for(CRED_AK, NULL);
	char *cert, *key, *cert2, *key2;
	leaf("a.example.com", &cert, &key);
	leaf("b.example.com", &cert2, &key2);
	struct cas_error e;
	int64_t id = 0, id2 = 0;
	cas_error_clear(&e);
	expect_rc(cas_store_upload(c, "site-a", cert, key, &id, &e), 0, &e);
	assert_true(id > 0);
	/* the same certificate under the same name again: success, the same CertId */
	expect_rc(cas_store_upload(c, "site-a", cert, key, &id2, &e), 0, &e);
	assert_int_equal(id2, id);
	/* another certificate under that name: EEXIST */
	expect_rc(cas_store_upload(c, "site-a", cert2, key2, &id2, &e), -EEXIST, &e);
	assert_string_equal(e.code, "NameRepeat");
	/* local refusals, no call: wrong key, chain first, encrypted key, long name */
	int before = 0;
	cJSON *a = audit_all();
	before = audit_count(a, "UploadUserCertificate", -1);
	cJSON_Delete(a);
	expect_rc(cas_store_upload(c, "site-b", cert2, key, &id2, &e), -EINVAL, &e);
	const char *second = strstr(cert2 + 1, "-----BEGIN CERTIFICATE-----");
	char *swapped = NULL;
	assert_true(asprintf(&swapped, "%s%.*s", second, (int)(second - cert2), cert2) > 0);
	expect_rc(cas_store_upload(c, "site-b", swapped, key2, &id2, &e), -EINVAL, &e);
	expect_rc(cas_store_upload(c, "site-b", cert2, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n-----END ENCRYPTED PRIVATE KEY-----\n",
				   &id2, &e),
		  -EINVAL, &e);
	char longname[70];
	memset(longname, 'x', 65);
	longname[65] = '\0';
	expect_rc(cas_store_upload(c, longname, cert2, key2, &id2, &e), -EINVAL, &e);
	a = audit_all();
	assert_int_equal(audit_count(a, "UploadUserCertificate", -1), before);
	assert_int_equal(audit_count(a, "UploadUserCertificate", 1), 1);
	cJSON_Delete(a);
	free(swapped);
	free(cert);
	free(key);
	free(cert2);
	free(key2);
}

static void test_store_delete_in_use(void **state)
{
	(void)state;
	EMU_UP("--instances", "0");
	cJSON *o = emu_post("/_emulator/store", "{\"Name\":\"used\",\"NotAfter\":1600000000000}");
	int64_t used = (int64_t)cJSON_GetObjectItem(o, "CertId")->valuedouble;
	cJSON_Delete(o);
	o = emu_post("/_emulator/store", "{\"Name\":\"unused\",\"NotAfter\":1600000000000}");
	int64_t unused = (int64_t)cJSON_GetObjectItem(o, "CertId")->valuedouble;
	cJSON_Delete(o);
	char path[96];
	snprintf(path, sizeof(path), "/_emulator/store/%lld/in-use", (long long)used);
	cJSON_Delete(emu_post(path, "{\"Product\":\"CDN\",\"Resource\":\"www.example.com\"}"));
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_error e;
	cas_error_clear(&e);
	expect_rc(cas_store_delete(c, used, &e), -EBUSY, &e);
	assert_non_null(strstr(e.message, "CDN"));
	expect_rc(cas_store_delete(c, unused, &e), 0, &e);
	cJSON *a = audit_all();
	assert_int_equal(audit_count(a, "DeleteUserCertificate", 1), 1);
	assert_int_equal(audit_count(a, "DeleteUserCertificate", 0), 1);
	cJSON_Delete(a);
	struct cas_store_list l;
	expect_rc(cas_store_list_all(c, &l, &e), 0, &e);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, used);
	assert_int_equal(l.v[0].nusing, 1);
	assert_string_equal(l.v[0].using[0], "CDN");
	cas_store_list_free(&l);
}

/* -o dry_run: the pair is checked, nothing is sent; 0 with no id, never
 * EPROTO "no CertId" for the answer a dry run makes up. */
static void test_store_upload_dry_run(void **state)
{
	(void)state;
	EMU_UP("--instances", "0");
	struct cas_client_opts o = { .dry_run = 1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	char *cert, *key;
	leaf("dry.example.com", &cert, &key);
	struct cas_error e;
	cas_error_clear(&e);
	int64_t id = -1;
	expect_rc(cas_store_upload(c, "dry", cert, key, &id, &e), 0, &e);
	assert_int_equal(id, 0);
	expect_rc(cas_store_upload(c, "dry", key, cert, &id, &e), -EINVAL, &e); /* still checked */
	cJSON *a = audit_all();
	assert_int_equal(audit_count(a, "UploadUserCertificate", -1), 0);
	cJSON_Delete(a);
	free(cert);
	free(key);
}

int group_store(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_teardown(test_store_listing, emu_teardown),
		cmocka_unit_test_teardown(test_store_upload, emu_teardown),
		cmocka_unit_test_teardown(test_store_upload_dry_run, emu_teardown),
		cmocka_unit_test_teardown(test_store_delete_in_use, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.store", t, NULL, NULL);
}
