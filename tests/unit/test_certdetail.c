/* test_certdetail: cas_cert_parse (client/certdetail.c) on the shapes the
 * service may send and on hostile ones: leaf + chain split, text around the
 * PEM blocks dropped, the key kept only when asked and only when it matches
 * the leaf, the secret fields wiped in the parsed response either way, SM2
 * dual certificates (SignCert / SignPrivateKey), Id as a number, a digit
 * string, null or a different certificate, and Cert missing, "", null,
 * garbage or a corrupted block (EPROTO). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "certdetail.h"

struct pki {
	char *leaf, *inter, *key, *other_key;
};

static char *pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *d;
	long n = BIO_get_mem_data(b, &d);
	char *s = cas_xstrndup(d, (size_t)n);
	BIO_free(b);
	return s;
}

static char *pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *d;
	long n = BIO_get_mem_data(b, &d);
	char *s = cas_xstrndup(d, (size_t)n);
	BIO_free(b);
	return s;
}

static X509 *cert(EVP_PKEY *pub, const char *cn, EVP_PKEY *signer)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pub);
	X509_sign(x, signer, EVP_sha256());
	return x;
}

static int setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *o = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *leaf = cert(k, "www.example.com", ca), *inter = cert(ca, "Test CA", ca);
	p->leaf = pem_cert(leaf);
	p->inter = pem_cert(inter);
	p->key = pem_key(k);
	p->other_key = pem_key(o);
	X509_free(leaf);
	X509_free(inter);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(o);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pki *p = *state;
	free(p->leaf);
	free(p->inter);
	free(p->key);
	free(p->other_key);
	free(p);
	return 0;
}

/* A response with Cert = cert_text and Key = key_text (NULL: absent). */
static cJSON *resp(const char *cert_text, const char *key_text)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "RequestId", "RID-1");
	cJSON_AddNumberToObject(r, "Id", 123);
	if (cert_text)
		cJSON_AddStringToObject(r, "Cert", cert_text);
	if (key_text)
		cJSON_AddStringToObject(r, "Key", key_text);
	return r;
}

static int parse(cJSON *r, int keep, struct cas_cert **c)
{
	struct cas_error e;
	cas_error_clear(&e);
	int rc = cas_cert_parse(r, "123", keep, c, &e);
	if (rc)
		assert_int_equal(e.err, EPROTO);
	if (rc)
		assert_null(strstr(e.message, "PRIVATE")); /* an error never quotes the key */
	return rc;
}

static void wiped(cJSON *r, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, field);
	assert_true(cJSON_IsString(v));
	assert_int_equal(strlen(v->valuestring), 0); /* zeroed in place */
}

static void leaf_chain_and_key(void **state)
{
	struct pki *p = *state;
	char *full = cas_xasprintf("%s%s", p->leaf, p->inter);
	cJSON *r = resp(full, p->key);
	struct cas_cert *c = NULL;
	assert_int_equal(parse(r, 1, &c), 0);
	assert_int_equal(c->leaf_len, strlen(p->leaf));
	assert_int_equal(c->pem_len, strlen(full));
	assert_memory_equal(c->pem, full, c->pem_len);
	assert_non_null(c->key);
	assert_string_equal(c->key, p->key);
	wiped(r, "Key");
	cas_obj_unref(c);
	cJSON_Delete(r);
	/* without keep: no key in the result, and still wiped in the response */
	r = resp(full, p->key);
	assert_int_equal(parse(r, 0, &c), 0);
	assert_null(c->key);
	wiped(r, "Key");
	cas_obj_unref(c);
	cJSON_Delete(r);
	free(full);
}

static void text_around_blocks_dropped(void **state)
{
	struct pki *p = *state;
	char *messy = cas_xasprintf("subject=/CN=www\r\n%s\nissuer junk\n%s\n\n", p->leaf, p->inter);
	cJSON *r = resp(messy, "");
	struct cas_cert *c = NULL;
	assert_int_equal(parse(r, 1, &c), 0);
	assert_null(c->key); /* "" is no key */
	assert_int_equal(c->pem_len, strlen(p->leaf) + strlen(p->inter));
	assert_null(strstr(c->pem, "junk"));
	cas_obj_unref(c);
	cJSON_Delete(r);
	free(messy);
}

static void mismatched_or_bad_key(void **state)
{
	struct pki *p = *state;
	struct cas_cert *c = NULL;
	cJSON *r = resp(p->leaf, p->other_key);
	assert_int_equal(parse(r, 1, &c), -EPROTO);
	assert_null(c);
	wiped(r, "Key");
	cJSON_Delete(r);
	r = resp(p->leaf, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	assert_int_equal(parse(r, 1, &c), -EPROTO);
	cJSON_Delete(r);
	r = resp(p->leaf, NULL);
	cJSON_AddNumberToObject(r, "Key", 5);
	assert_int_equal(parse(r, 1, &c), -EPROTO);
	cJSON_Delete(r);
}

static void bad_certificates(void **state)
{
	struct pki *p = *state;
	struct cas_cert *c = NULL;
	const char *bad[] = { "", "hello", "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *r = resp(bad[i], NULL);
		assert_int_equal(parse(r, 0, &c), -EPROTO);
		cJSON_Delete(r);
	}
	cJSON *r = resp(NULL, NULL); /* Cert missing */
	assert_int_equal(parse(r, 0, &c), -EPROTO);
	cJSON_AddNullToObject(r, "Cert");
	assert_int_equal(parse(r, 0, &c), -EPROTO);
	cJSON_Delete(r);
	/* a good leaf followed by a corrupted block */
	char *tail = cas_xasprintf("%s-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", p->leaf);
	r = resp(tail, NULL);
	assert_int_equal(parse(r, 0, &c), -EPROTO);
	cJSON_Delete(r);
	free(tail);
	cJSON *arr = cJSON_CreateArray();
	assert_int_equal(parse(arr, 0, &c), -EPROTO);
	cJSON_Delete(arr);
}

static void id_shapes(void **state)
{
	struct pki *p = *state;
	struct cas_cert *c = NULL;
	cJSON *r = resp(p->leaf, NULL);
	cJSON_ReplaceItemInObject(r, "Id", cJSON_CreateString("123"));
	assert_int_equal(parse(r, 0, &c), 0);
	cas_obj_unref(c);
	cJSON_ReplaceItemInObject(r, "Id", cJSON_CreateNull());
	assert_int_equal(parse(r, 0, &c), 0);
	cas_obj_unref(c);
	cJSON_ReplaceItemInObject(r, "Id", cJSON_CreateString(""));
	assert_int_equal(parse(r, 0, &c), 0);
	cas_obj_unref(c);
	cJSON_ReplaceItemInObject(r, "Id", cJSON_CreateNumber(124));
	assert_int_equal(parse(r, 0, &c), -EPROTO);
	cJSON_ReplaceItemInObject(r, "Id", cJSON_CreateString("12x"));
	assert_int_equal(parse(r, 0, &c), -EPROTO);
	cJSON_ReplaceItemInObject(r, "Id", cJSON_CreateNumber(123.5));
	assert_int_equal(parse(r, 0, &c), -EPROTO);
	cJSON_Delete(r);
}

static void sm2_dual_shape(void **state)
{
	struct pki *p = *state;
	struct cas_cert *c = NULL;
	cJSON *r = resp("", "");
	cJSON_AddStringToObject(r, "SignCert", p->leaf);
	cJSON_AddStringToObject(r, "SignPrivateKey", p->key);
	cJSON_AddStringToObject(r, "EncryptCert", p->inter);
	cJSON_AddStringToObject(r, "EncryptPrivateKey", p->other_key);
	assert_int_equal(parse(r, 1, &c), 0);
	assert_int_equal(c->pem_len, strlen(p->leaf));
	assert_string_equal(c->key, p->key);
	wiped(r, "SignPrivateKey");
	wiped(r, "EncryptPrivateKey");
	cas_obj_unref(c);
	cJSON_Delete(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaf_chain_and_key),   cmocka_unit_test(text_around_blocks_dropped),
		cmocka_unit_test(mismatched_or_bad_key), cmocka_unit_test(bad_certificates),
		cmocka_unit_test(id_shapes),            cmocka_unit_test(sm2_dual_shape),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
