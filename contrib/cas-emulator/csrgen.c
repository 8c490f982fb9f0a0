/* csrgen: PEM certificate requests for generated instances whose
 * GenerateCsrMethod is "upload". Two fixed test keys are embedded so that the
 * data is reproducible: RSA-2048 requests (PKCS#1 v1.5) are byte-identical
 * from run to run; ECDSA P-256 signatures use a random nonce in OpenSSL 3.0,
 * so ECC_256 requests differ between runs (same key, same subject). These
 * keys are public test material and protect nothing. */
#include "csrgen.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"

static const char rsa_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDMq90ldah8EfSF\n"
	"4Dtd8tOa6pZ7AdWgBjXLCISazhrbAXDcFSNaEWPEz4fRFofgfgxCoDCKLfHPjwbf\n"
	"VF3NvWlFDMPIo5sK+cHxnF9BAhPALsUa5zRLjp3FVtjzVg5yG5dbc5YBk+XUsJEM\n"
	"sxk7j5+/SerryRYmRIxKm0zG+nsfyn7v0XvrvkjcKMQa4HomzBtx7T1CQ/ec3OQX\n"
	"XbRWaVGlSXBLQDS+E3BpBUzc2SmjYeVTvRht5vjMz6zWrIyi/d1DvBJEfKrWZPK9\n"
	"2XgikmzIjOWuFheEd3gbyrkM3FVchcxMjAFrFuRzPE5ipVSZ79SWwehTDvPqIswI\n"
	"aCfsfYxNAgMBAAECggEAO2ibjXcEi9buYjm/IbsNXwc+3L+gkY2b6a40R3cR5oYZ\n"
	"i1h7ZXZsvkD7DF7829XamzBCRqmlafj7JrIndEPJnahh4AhVRa9Pc2FPaOBAeWVa\n"
	"A0AfNttTwmc+HAvbr5WArqPzY8vZR45k3AnUhixfUzgSf5Rj4IG/Mxy3AX7NZGFu\n"
	"y207MUgTLKZCn6duHxiWglEXrgTtBb2KXltsV1kYzU31ra9UU+jscRzxvFpg1WeX\n"
	"LE1MXq+DeYCxZigg/NaKevAUnQLPDCDoK2qwgmOX45R1DHHEgkOrbAoxtkfVUCK3\n"
	"hhZn30M3UIWkuq5NjJxmsiyFdGaBW2Md6R6EoYhxJQKBgQDu4DTOx1BuJdWxdsff\n"
	"X886y6NKmrM//23hvhuWyKIiyaT3TUy8cIbFEU3T1JAeVVDsbaosFOdQsWmtcDhx\n"
	"p7PLDdMmz25FNHcYblkxZoFJGwr3kVTnIHC7V+3b9eUOkvdZRkTkQt4jUz3U0Lm2\n"
	"IMfLAnRSnfw/TeskmrpRldcTcwKBgQDbV/H2AdcLboKPbrygV3GBLyEGI6y4taLK\n"
	"sLULr3uhlx7hnVOtOkZuMRa563+ZEWvsSmR3S6MUwwV++nNqyM21Av4zsf/EnZwi\n"
	"rhhRpcREWZiVe7Zlll428txzJY9S2HeCUJO2w6dFrw9moY60wobapUiLE7guTo/W\n"
	"GHKWdJ5xPwKBgAy7THU88E9+mr4jq5F/RMdIdUKTrjwZ/BxNCqFlviaGgtFfgFiG\n"
	"0tgMDQ7eRHQpbe+8BJbm4lFNs2k4EvoTyyRmbzuhUKpFmpdlwkE8ymVAGLyLNXBA\n"
	"LWH+1MGlgHjfYmmSsjdMTRSq6h++pDdN1fg/AD4rB3fESmUgDhAtIVJ7AoGAcxXX\n"
	"vG4GuNbI5h0CF1cKFO/3cdMyAtA6lALXW0Q9p/E0oMf9aXyUC6jx9abckiGT8Kyv\n"
	"vfAPpwsUTSV3fWXSmNDzM4iHXFAd5gxWcjB5pCsmZfg9IVweHtKaXEguxRcSzWsd\n"
	"td0+XM+XUxAdYjZWr03dnCtCjflmerzlEpApud0CgYAN3bLy5OZ6gNUTQtRkPqG9\n"
	"Yu63hxsZxYA6hMOHehS6ETh8jnpqQ67DibXof/YpEnSD05zTGIjm12tiohpnjueQ\n"
	"7IQNWep2AwbeppnefenU9w9W5cFxPMlOo6q/kKjtHUmguQCf4wZXqS06wK2BbWDm\n"
	"8sQ2hESaMoKqKQPc3VIYmw==\n"
	"-----END PRIVATE KEY-----\n"
;

static const char ec_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgL5soTjOQJTdsuouJ\n"
	"MkgV+ezyZmRAOiTDaXrSb/l2cJihRANCAAQlsoBA0skkMGrreFx9KmYPW50/Gnc6\n"
	"37FJvOUQIfZlCdBm15r3K8BNCH3APlwxwJQhZcX4f5j9FDEl0rDI6z10\n"
	"-----END PRIVATE KEY-----\n"
;

static EVP_PKEY *g_rsa, *g_ec;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static EVP_PKEY *load_key(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return k;
}

EVP_PKEY *emu_csr_key(const char *alg)
{
	EVP_PKEY *k = NULL;
	pthread_mutex_lock(&g_mu);
	if (strcmp(alg, "RSA_2048") == 0) {
		if (!g_rsa)
			g_rsa = load_key(rsa_key_pem);
		k = g_rsa;
	} else if (strcmp(alg, "ECC_256") == 0) {
		if (!g_ec)
			g_ec = load_key(ec_key_pem);
		k = g_ec;
	}
	pthread_mutex_unlock(&g_mu);
	return k;
}

int emu_csr_supported(const char *key_algorithm)
{
	return key_algorithm && (strcmp(key_algorithm, "RSA_2048") == 0 || strcmp(key_algorithm, "ECC_256") == 0);
}

char *emu_csr_make(const char *key_algorithm, const char *cn)
{
	if (!emu_csr_supported(key_algorithm) || !cn || !*cn)
		return NULL;
	EVP_PKEY *key = emu_csr_key(key_algorithm);
	X509_REQ *req = X509_REQ_new();
	BIO *out = BIO_new(BIO_s_mem());
	char *pem = NULL;
	if (!key || !req || !out)
		goto done;
	X509_NAME *name = X509_REQ_get_subject_name(req);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"CN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Example Test Org", -1, -1, 0);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		goto done;
	if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_pubkey(req, key) || !X509_REQ_sign(req, key, EVP_sha256()))
		goto done;
	if (!PEM_write_bio_X509_REQ(out, req))
		goto done;
	char *data = NULL;
	long n = BIO_get_mem_data(out, &data);
	if (n > 0)
		pem = cas_xstrndup(data, (size_t)n);
done:
	ERR_clear_error();
	BIO_free(out);
	X509_REQ_free(req);
	return pem;
}

char *emu_csr_common_name(const char *pem)
{
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
	char *cn = NULL;
	if (req) {
		X509_NAME *name = X509_REQ_get_subject_name(req);
		int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
		X509_NAME_ENTRY *e = i >= 0 ? X509_NAME_get_entry(name, i) : NULL;
		unsigned char *utf8 = NULL;
		int len = e ? ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e)) : -1;
		if (len > 0)
			cn = cas_xstrndup((const char *)utf8, (size_t)len);
		OPENSSL_free(utf8);
	}
	X509_REQ_free(req);
	BIO_free(bio);
	ERR_clear_error();
	return cn;
}

void emu_csr_cleanup(void)
{
	pthread_mutex_lock(&g_mu);
	EVP_PKEY_free(g_rsa);
	EVP_PKEY_free(g_ec);
	g_rsa = g_ec = NULL;
	pthread_mutex_unlock(&g_mu);
}
