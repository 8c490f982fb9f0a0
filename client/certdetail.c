/* certdetail: GetUserCertificateDetail (2020-04-07): the request, and the
 * one place that decodes its response into a struct cas_cert. The response
 * is untrusted: every certificate block is parsed by OpenSSL and written
 * back out, so nothing but certificates reaches cert.pem / chain.pem; the
 * private key must parse and match the leaf. Secret fields (Key and the SM2
 * SignPrivateKey / EncryptPrivateKey) are wiped in the parsed response as
 * soon as they are read, kept in the result only when asked to, and never
 * appear in an error message. Numbers go through the lenient decoder
 * (decode.h: a number or a string of digits; null and "" are absent). */
#include "certdetail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "decode.h"
#include "validate.h"

/* The one table of members that carry a secret (wiped here from a
 * certificate's response; removed by cache/share.c before the fleet stores
 * an answer). */
const char *const cas_secret_members[] = {
	"Key", "PrivateKey", "EncryptPrivateKey", "SignPrivateKey", "SecretKey", "AccessKeySecret",
	"SecurityToken", "BearerToken",
};
const size_t cas_secret_members_n = sizeof(cas_secret_members) / sizeof(cas_secret_members[0]);

/* A string member, or NULL when absent, null, "" or not a string. */
static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

/* Appends every certificate in pem to b, re-encoded by OpenSSL; returns the
 * count, or -1 when a block does not parse. *first receives the leaf (the
 * first block) and *first_len the length of its encoding. */
static int append_certs(struct cas_buf *b, const char *pem, X509 **first, size_t *first_len)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	int n = 0;
	X509 *x;
	while (in && out && (x = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
		PEM_write_bio_X509(out, x);
		if (!n) {
			*first = x;
			*first_len = (size_t)BIO_pending(out);
		} else {
			X509_free(x);
		}
		n++;
	}
	/* stopped at the end of the input, or at something that is not a certificate */
	unsigned long err = ERR_peek_last_error();
	if (n && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
		n = -1;
	if (!n && strstr(pem, "-----BEGIN"))
		n = -1;
	ERR_clear_error();
	char *data = NULL;
	long len = out ? BIO_get_mem_data(out, &data) : 0;
	if (n > 0 && len > 0)
		cas_buf_add(b, data, (size_t)len);
	BIO_free(in);
	BIO_free(out);
	return n;
}

/* The PEM private key in text, checked to parse and to match leaf: a copy
 * from its BEGIN line through its END line (plus "\n"), or NULL. */
static char *checked_key(const char *text, X509 *leaf, size_t *len)
{
	const char *b = strstr(text, "-----BEGIN"), *end = b ? strstr(b, "-----END") : NULL;
	const char *eol = end ? strstr(end + 8, "-----") : NULL;
	if (!eol)
		return NULL;
	size_t n = (size_t)(eol + 5 - b);
	BIO *in = BIO_new_mem_buf(b, (int)n);
	EVP_PKEY *k = in ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
	int ok = k && leaf && X509_check_private_key(leaf, k) == 1;
	EVP_PKEY_free(k);
	BIO_free(in);
	ERR_clear_error();
	if (!ok)
		return NULL;
	char *copy = cas_xmalloc(n + 2);
	memcpy(copy, b, n);
	copy[n] = '\n';
	copy[n + 1] = '\0';
	*len = n + 1;
	return copy;
}

/* Wipes every secret string of the parsed response in place. */
static void wipe_secrets(cJSON *resp)
{
	for (size_t i = 0; i < cas_secret_members_n; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(resp, cas_secret_members[i]);
		if (cJSON_IsString(v) && v->valuestring)
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	}
}

int cas_cert_parse(cJSON *resp, const char *cert_id, int keep_key, struct cas_cert **out, struct cas_error *e)
{
	*out = NULL;
	int64_t id = 0;
	enum cas_dec idr;
	int rc = 0;
	/* SM2 dual certificates come as SignCert/EncryptCert with Cert empty: the
	 * signing pair is what cert.pem and key.pem show */
	const char *cert = str_of(resp, "Cert"), *key_field = "Key";
	if (!cert && str_of(resp, "SignCert")) {
		cert = str_of(resp, "SignCert");
		key_field = "SignPrivateKey";
	}
	const cJSON *kv = cJSON_GetObjectItemCaseSensitive(resp, key_field);
	if (!cJSON_IsObject(resp))
		rc = cas_protocol_error(e, "the response is not an object", resp);
	else if ((idr = cas_dec_int(resp, "Id", &id)) == CAS_DEC_BAD ||
		 (idr == CAS_DEC_OK && id != strtoll(cert_id, NULL, 10)))
		rc = cas_protocol_error(e, "the certificate is not the requested CertId", resp);
	else if (!cert)
		rc = cas_protocol_error(e, "the response carries no certificate (Cert and SignCert are empty)", resp);
	else if (kv && !cJSON_IsNull(kv) && !cJSON_IsString(kv))
		rc = cas_protocol_error(e, "the private key field is not a string", resp);
	struct cas_buf pem = CAS_BUF_INIT;
	X509 *leaf = NULL;
	size_t leaf_len = 0;
	if (!rc) {
		/* the first block is the leaf; what follows it is the chain */
		if (append_certs(&pem, cert, &leaf, &leaf_len) < 1)
			rc = cas_protocol_error(e, "Cert is not a PEM certificate", resp);
	}
	char *key = NULL;
	size_t key_len = 0;
	if (!rc && keep_key && cJSON_IsString(kv) && *kv->valuestring) {
		key = checked_key(kv->valuestring, leaf, &key_len);
		if (!key)
			rc = cas_protocol_error(e, "the private key does not parse or does not match the certificate", resp);
	}
	X509_free(leaf);
	wipe_secrets(resp);
	if (rc) {
		cas_buf_free(&pem);
		cas_secret_free(key, key_len);
		return rc;
	}
	size_t pem_len = pem.len;
	*out = cas_cert_new(cas_buf_steal(&pem), pem_len, leaf_len, key, key_len);
	return 0;
}

int cas_get_user_certificate_detail(struct cas_client *c, const char *cert_id, int keep_key, struct cas_cert **out,
				    struct cas_error *e)
{
	*out = NULL;
	cas_error_clear(e);
	cas_error_action(e, "GetUserCertificateDetail");
	if (!cert_id || !*cert_id || strlen(cert_id) > 19 || strspn(cert_id, "0123456789") != strlen(cert_id))
		return cas_error_set(e, EINVAL, "InvalidParameter.CertId", "CertId must be a decimal number");
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "CertId", cert_id);
	cJSON *resp = NULL;
	int rc = cas_client_call(c, CAS_GET_USER_CERTIFICATE_DETAIL, &p, &resp, e);
	cas_params_free(&p);
	if (rc)
		return rc;
	rc = cas_cert_parse(resp, cert_id, keep_key, out, e);
	cJSON_Delete(resp);
	return rc;
}
