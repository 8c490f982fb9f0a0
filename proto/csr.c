/* csr: CSR checks with OpenSSL: PEM parse, proof of possession (the request's
 * self-signature), and the key type and size against KeyAlgorithm. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "validate.h"

static X509_REQ *parse_csr(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	ERR_clear_error();
	return req;
}

static const char *key_algorithm_of(EVP_PKEY *pk)
{
	char group[64] = "";
	size_t glen = 0;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		switch (EVP_PKEY_get_bits(pk)) {
		case 2048: return "RSA_2048";
		case 3072: return "RSA_3072";
		case 4096: return "RSA_4096";
		default: return "RSA (unsupported size)";
		}
	}
	if (EVP_PKEY_is_a(pk, "SM2"))
		return "SM2";
	if (EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			return "ECC_256";
		if (strcasecmp(group, "SM2") == 0)
			return "SM2";
		return "EC (unsupported curve)";
	}
	return "unsupported key type";
}

const char *cas_csr_key_algorithm(const char *pem)
{
	X509_REQ *req = pem ? parse_csr(pem) : NULL;
	EVP_PKEY *pk = req ? X509_REQ_get0_pubkey(req) : NULL;
	const char *alg = pk ? key_algorithm_of(pk) : NULL;
	if (alg && strchr(alg, ' '))
		alg = NULL;
	X509_REQ_free(req);
	return alg;
}

int cas_validate_csr(const char *pem, const char *key_algorithm, struct cas_error *e)
{
	if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"))
		return cas_error_set(e, EINVAL, "InvalidParameter.Csr",
				     "Csr must be a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)");
	if (strlen(pem) > CAS_MAX_CSR_BYTES)
		return cas_error_set(e, EINVAL, "InvalidParameter.Csr", "Csr is larger than %d bytes",
				     CAS_MAX_CSR_BYTES);
	X509_REQ *req = parse_csr(pem);
	if (!req)
		return cas_error_set(e, EINVAL, "InvalidParameter.Csr", "Csr is not a valid PEM certificate request");
	int rc = 0;
	EVP_PKEY *pk = X509_REQ_get0_pubkey(req);
	if (!pk) {
		rc = cas_error_set(e, EINVAL, "InvalidParameter.Csr", "Csr carries no usable public key");
	} else if (X509_REQ_verify(req, pk) != 1) {
		rc = cas_error_set(e, EINVAL, "InvalidParameter.Csr",
				   "Csr signature does not verify with its own public key");
	} else {
		const char *have = key_algorithm_of(pk);
		if (key_algorithm && strcmp(have, key_algorithm) != 0)
			rc = cas_error_set(e, EINVAL, "InvalidParameter.Csr",
					   "Csr key is %s but KeyAlgorithm is %s", have, key_algorithm);
		else if (!key_algorithm && strchr(have, ' '))
			rc = cas_error_set(e, EINVAL, "InvalidParameter.Csr", "Csr key is an %s", have);
	}
	ERR_clear_error();
	X509_REQ_free(req);
	return rc;
}
