/* store: the certificate store's calls (see store.h). */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "log.h"
#include "params.h"

void cas_store_list_free(struct cas_store_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		cas_store_cert_clear(&l->v[i]);
	if (l) {
		free(l->v);
		memset(l, 0, sizeof(*l));
	}
}

/* Lenient scalars (docs/PROTOCOL.md §8): a string stays a string, a number
 * is printed; an integer accepts a digit string. */
static char *str_dup(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsString(v))
		return cas_xstrdup(v->valuestring);
	if (cJSON_IsNumber(v))
		return cas_xasprintf("%.0f", v->valuedouble);
	if (cJSON_IsBool(v))
		return cas_xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	return NULL;
}

static int i64_of(const cJSON *o, const char *k, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	char *end = NULL;
	if (cJSON_IsNumber(v)) {
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v) && *v->valuestring) {
		long long n = strtoll(v->valuestring, &end, 10);
		if (*end == '\0') {
			*out = n;
			return 0;
		}
	}
	return -1;
}

static char **str_array(const cJSON *o, const char *k, size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k), *e;
	char **v = NULL;
	*n = 0;
	if (!cJSON_IsArray(a))
		return NULL;
	v = cas_xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*v));
	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e))
			v[(*n)++] = cas_xstrdup(e->valuestring);
	return v;
}

/* One ListCertificates entry; -1 when it has no usable CertificateId. */
static int decode_cert(const cJSON *o, struct cas_store_cert *x)
{
	memset(x, 0, sizeof(*x));
	if (i64_of(o, "CertificateId", &x->id) || x->id <= 0)
		return -1;
	x->ident = str_dup(o, "CertIdentifier");
	x->name = str_dup(o, "CertificateName");
	x->common_name = str_dup(o, "CommonName");
	x->fingerprint = str_dup(o, "FingerPrint");
	x->serial = str_dup(o, "Serial");
	x->issuer = str_dup(o, "Issuer");
	x->source = str_dup(o, "CertificateSource");
	x->status = str_dup(o, "CertificateStatus");
	x->instance_id = str_dup(o, "InstanceId");
	x->algorithm = str_dup(o, "Algorithm");
	i64_of(o, "NotBefore", &x->not_before);
	i64_of(o, "NotAfter", &x->not_after);
	x->has_key = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ExistPrivateKey"));
	x->sans = str_array(o, "SubjectAlternativeNames", &x->nsans);
	x->using = str_array(o, "UsingProductList", &x->nusing);
	return 0;
}

static int list_page(struct cas_client *c, int64_t page, cJSON **resp, struct cas_error *e)
{
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set_i64(&p, "CurrentPage", page);
	cas_params_set_i64(&p, "ShowSize", CAS_STORE_PAGE);
	int rc = cas_client_call(c, CAS_LIST_CERTIFICATES, &p, resp, e);
	cas_params_free(&p);
	return rc;
}

static int seen(const struct cas_store_list *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return 1;
	return 0;
}

int cas_store_list_all(struct cas_client *c, struct cas_store_list *out, struct cas_error *e)
{
	memset(out, 0, sizeof(*out));
	int calls = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		struct cas_store_list l = { 0 };
		int64_t total = -1, page = 1;
		int consistent = 1;
		for (;;) {
			cJSON *resp = NULL;
			int rc = list_page(c, page, &resp, e);
			calls++;
			if (rc) {
				cas_store_list_free(&l);
				return rc;
			}
			int64_t t = 0;
			if (i64_of(resp, "TotalCount", &t))
				t = -1;
			if (total >= 0 && t != total)
				consistent = 0; /* the store changed between pages */
			total = t;
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(resp, "CertificateList"), *it;
			if (!cJSON_IsArray(a))
				a = NULL;
			size_t got = 0;
			cJSON_ArrayForEach(it, a)
			{
				struct cas_store_cert x;
				got++;
				if (decode_cert(it, &x))
					continue;
				if (seen(&l, x.id)) {
					consistent = 0; /* shifted by an insertion */
					cas_store_cert_clear(&x);
					continue;
				}
				l.v = cas_xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
				l.v[l.n++] = x;
			}
			cJSON_Delete(resp);
			if (!consistent || got < CAS_STORE_PAGE || (total >= 0 && page * CAS_STORE_PAGE >= total))
				break;
			page++;
		}
		if (consistent || attempt == 2) {
			if (!consistent)
				cas_warn("ListCertificates: the store kept changing while it was listed; showing the last listing");
			l.calls = calls;
			*out = l;
			return 0;
		}
		cas_store_list_free(&l);
	}
	return 0;
}

int cas_store_order_page(struct cas_client *c, const char *order_type, const char *status, const char *keyword,
			 int64_t page, int64_t size, cJSON **out, struct cas_error *e)
{
	struct cas_params p = CAS_PARAMS_INIT;
	if (order_type)
		cas_params_set(&p, "OrderType", order_type);
	if (status)
		cas_params_set(&p, "Status", status);
	if (keyword)
		cas_params_set(&p, "Keyword", keyword);
	cas_params_set_i64(&p, "CurrentPage", page);
	cas_params_set_i64(&p, "ShowSize", size);
	int rc = cas_client_call(c, CAS_LIST_USER_CERTIFICATE_ORDER, &p, out, e);
	cas_params_free(&p);
	return rc;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int local(struct cas_error *e, const char *fmt, const char *detail)
{
	return cas_error_set(e, EINVAL, "Local.Validation", fmt, detail ? detail : "");
}

int cas_store_check_upload(const char *name, const char *cert, const char *key, char fingerprint[41],
			   struct cas_error *e)
{
	fingerprint[0] = '\0';
	if (!name || !*name)
		return local(e, "a certificate needs a name%s", "");
	if (utf8_chars(name) > CAS_STORE_NAME_MAX)
		return local(e, "the name \"%.80s\" is longer than 64 characters", name);
	if (!key || strstr(key, "ENCRYPTED"))
		return local(e, "the private key is encrypted or missing%s; CAS takes an unencrypted PEM key", "");
	BIO *kb = BIO_new_mem_buf(key, -1);
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
	BIO_free(kb);
	BIO *cb = BIO_new_mem_buf(cert ? cert : "", -1);
	X509 *leaf = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	BIO_free(cb);
	int rc = 0;
	if (!k)
		rc = local(e, "the private key is not a PEM key%s", "");
	else if (!leaf)
		rc = local(e, "the certificate is not PEM%s", "");
	else if (X509_check_private_key(leaf, k) != 1)
		rc = local(e, "the key does not match the first certificate%s (the leaf must come before its chain)", "");
	if (!rc) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned n = 0;
		X509_digest(leaf, EVP_sha1(), d, &n);
		for (unsigned i = 0; i < n && i < 20; i++)
			sprintf(fingerprint + 2 * i, "%02X", d[i]);
	}
	ERR_clear_error();
	X509_free(leaf);
	EVP_PKEY_free(k);
	return rc;
}

/* The store's entry with this fingerprint (and name, when given): its id or 0;
 * -1 when the store could not be listed. */
static int64_t find_in_store(struct cas_client *c, const char *fp, const char *name)
{
	struct cas_store_list l;
	struct cas_error e2;
	cas_error_clear(&e2);
	if (cas_store_list_all(c, &l, &e2))
		return -1;
	int64_t id = 0;
	for (size_t i = 0; i < l.n && !id; i++)
		if (l.v[i].fingerprint && strcasecmp(l.v[i].fingerprint, fp) == 0 &&
		    (!name || (l.v[i].name && strcmp(l.v[i].name, name) == 0)))
			id = l.v[i].id;
	cas_store_list_free(&l);
	return id;
}

int cas_store_upload(struct cas_client *c, const char *name, const char *cert, const char *key, int64_t *cert_id,
		     struct cas_error *e)
{
	char fp[41];
	*cert_id = 0;
	int rc = cas_store_check_upload(name, cert, key, fp, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "Name", name);
	cas_params_set(&p, "Cert", cert);
	cas_params_set(&p, "Key", key);
	cJSON *resp = NULL;
	rc = cas_client_call(c, CAS_UPLOAD_USER_CERTIFICATE, &p, &resp, e); /* one attempt: never resent */
	for (size_t i = 0; i < p.n; i++) /* the key's copy is wiped */
		if (strcmp(p.v[i].key, "Key") == 0)
			OPENSSL_cleanse(p.v[i].val, strlen(p.v[i].val));
	cas_params_free(&p);
	if (rc == 0 && cas_client_dry_run(c)) {
		/* checked and logged, not sent: nothing is stored, so there is no id */
		cJSON_Delete(resp);
		return 0;
	}
	if (rc == 0) {
		if (i64_of(resp, "CertId", cert_id) || *cert_id <= 0)
			rc = cas_error_set(e, EPROTO, "Local.Response", "UploadUserCertificate: no CertId in the answer%s", "");
		cJSON_Delete(resp);
		return rc;
	}
	if (strcmp(e->code, "NameRepeat") == 0) {
		int reach = cas_client_must_reach(1); /* the store as it is now, not the fleet's copy */
		int64_t id = find_in_store(c, fp, name);
		cas_client_must_reach(reach);
		if (id > 0) { /* this very certificate is already stored under this name */
			cas_error_clear(e);
			*cert_id = id;
			return 0;
		}
		if (id < 0) /* could not list: whether it is this certificate is unknown */
			snprintf(e->message + strlen(e->message), sizeof(e->message) - strlen(e->message),
				 " (and the store could not be listed to see whether it is this certificate)");
		return rc;
	}
	if (e->ambiguous) {
		int reach = cas_client_must_reach(1); /* the store as it is now, not the fleet's copy */
		int64_t id = find_in_store(c, fp, name);
		cas_client_must_reach(reach);
		if (id > 0) {
			cas_warn("UploadUserCertificate: response lost (%s); the store shows it was applied", e->code);
			cas_error_clear(e);
			*cert_id = id;
			return 0;
		}
		char was[sizeof(e->message)];
		snprintf(was, sizeof(was), "%s", e->message);
		snprintf(e->message, sizeof(e->message),
			 "the upload may have been applied: the response was lost (%.200s) and the store %s; it was not "
			 "sent again",
			 was, id < 0 ? "could not be listed to see" : "does not show it yet");
		e->err = EIO;
		return -EIO;
	}
	return rc;
}

int cas_store_delete(struct cas_client *c, int64_t cert_id, struct cas_error *e)
{
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set_i64(&p, "CertId", cert_id);
	cJSON *resp = NULL;
	int rc = cas_client_call(c, CAS_DELETE_USER_CERTIFICATE, &p, &resp, e);
	cJSON_Delete(resp);
	cas_params_free(&p);
	if (rc && e->ambiguous) {
		struct cas_store_list l;
		struct cas_error e2;
		cas_error_clear(&e2);
		if (cas_store_list_all(c, &l, &e2) == 0) {
			int there = 0;
			for (size_t i = 0; i < l.n; i++)
				there |= l.v[i].id == cert_id;
			cas_store_list_free(&l);
			if (!there) {
				cas_error_clear(e);
				return 0;
			}
		}
		e->err = EIO;
		return -EIO;
	}
	return rc;
}
