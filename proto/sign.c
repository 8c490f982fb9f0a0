/* sign: SDK-compatible request signing (see sign.h). */
#include "sign.h"
#include "wipe.h"

#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

void cas_random_hex(char out[33])
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		abort(); /* no entropy: signing nonces and tokens would repeat */
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void cas_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	to_hex(md, 32, out);
}

void cas_hmac_sha256_hex(const char *key, const void *msg, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), msg, n, md, &len);
	to_hex(md, 32, out);
}

int cas_secure_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* One canonical header: lowercased name and the (possibly joined) value. */
struct canon_hdr {
	char *name;
	char *value;
};

static char *trim_dup(const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return cas_xstrndup(v, n);
}

static char *lower_dup(const char *s)
{
	char *d = cas_xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static int default_signed(const char *lname)
{
	return strcmp(lname, "host") == 0 || strcmp(lname, "content-type") == 0 ||
	       strncmp(lname, "x-acs-", 6) == 0;
}

int cas_signed_list_has(const char *list, const char *lname)
{
	size_t n = strlen(lname);
	for (const char *p = list; p && *p;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		if (len == n && strncmp(p, lname, n) == 0)
			return 1;
		p = semi ? semi + 1 : NULL;
	}
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct canon_hdr *)a)->name, ((const struct canon_hdr *)b)->name);
}

/* Collects the selected headers, merging repeated names (values sorted, joined by ','). */
static size_t collect_headers(const struct cas_header *h, size_t nh, const char *only, struct canon_hdr *out)
{
	size_t n = 0;
	for (size_t i = 0; i < nh; i++) {
		char *lname = lower_dup(h[i].name);
		if (only ? !cas_signed_list_has(only, lname) : !default_signed(lname)) {
			free(lname);
			continue;
		}
		size_t j;
		for (j = 0; j < n && strcmp(out[j].name, lname) != 0; j++)
			;
		if (j < n) {
			free(lname);
			continue; /* merged below */
		}
		/* gather every value of this name */
		char **vals = cas_xmalloc(nh * sizeof(char *));
		size_t nv = 0;
		for (size_t k = i; k < nh; k++) {
			if (strcasecmp(h[k].name, h[i].name) == 0)
				vals[nv++] = trim_dup(h[k].value ? h[k].value : "");
		}
		qsort(vals, nv, sizeof(char *), str_cmp);
		struct cas_buf v = CAS_BUF_INIT;
		for (size_t k = 0; k < nv; k++) {
			if (k)
				cas_buf_addc(&v, ',');
			cas_buf_adds(&v, vals[k]);
			free(vals[k]);
		}
		free(vals);
		out[n].name = lname;
		out[n].value = cas_buf_steal(&v);
		n++;
	}
	qsort(out, n, sizeof(*out), hdr_cmp);
	return n;
}

static size_t count_list(const char *list)
{
	size_t n = 0;
	for (const char *p = list; p && *p;) {
		const char *semi = strchr(p, ';');
		n++;
		p = semi ? semi + 1 : NULL;
	}
	return n;
}

char *cas_v3_canonical_request(const char *method, const char *path, const struct cas_params *query,
			       const struct cas_header *h, size_t nh, const char *hashed_payload,
			       const char *only, char **signed_headers)
{
	struct cas_params q = CAS_PARAMS_INIT;
	if (query)
		cas_params_copy(&q, query);
	cas_params_sort(&q);
	char *qs = cas_params_encode(&q, 0);
	cas_params_free(&q);

	struct canon_hdr *ch = cas_xcalloc(nh ? nh : 1, sizeof(*ch));
	size_t n = collect_headers(h, nh, only, ch);
	char *result = NULL;
	struct cas_buf b = CAS_BUF_INIT, sh = CAS_BUF_INIT;
	if (only && n != count_list(only))
		goto out; /* a signed header is missing from the request */

	cas_buf_addf(&b, "%s\n%s\n%s\n", method, path, qs);
	for (size_t i = 0; i < n; i++) {
		cas_buf_addf(&b, "%s:%s\n", ch[i].name, ch[i].value);
		if (i)
			cas_buf_addc(&sh, ';');
		cas_buf_adds(&sh, ch[i].name);
	}
	cas_buf_addf(&b, "\n%s\n%s", cas_buf_str(&sh), hashed_payload);
	result = cas_buf_steal(&b);
	if (signed_headers)
		*signed_headers = cas_buf_steal(&sh);
out:
	cas_buf_free(&b);
	cas_buf_free(&sh);
	for (size_t i = 0; i < n; i++) {
		free(ch[i].name);
		free(ch[i].value);
	}
	free(ch);
	cas_wipe_free(qs); /* AddCloudAccess: the query holds a SecretKey */
	return result;
}

char *cas_v3_string_to_sign(const char *canonical_request)
{
	char hex[65];
	cas_sha256_hex(canonical_request, strlen(canonical_request), hex);
	return cas_xasprintf("%s\n%s", CAS_V3_ALGORITHM, hex);
}

void cas_v3_signature(const char *secret, const char *string_to_sign, char out[65])
{
	cas_hmac_sha256_hex(secret, string_to_sign, strlen(string_to_sign), out);
}

char *cas_v3_authorization(const char *access_key_id, const char *signed_headers, const char *signature)
{
	return cas_xasprintf("%s Credential=%s,SignedHeaders=%s,Signature=%s", CAS_V3_ALGORITHM, access_key_id,
			     signed_headers, signature);
}

char *cas_v2_string_to_sign(const char *method, const struct cas_params *query)
{
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_copy(&q, query);
	cas_params_remove(&q, "Signature");
	cas_params_sort(&q);
	char *canon = cas_params_encode(&q, 1);
	cas_params_free(&q);
	struct cas_buf b = CAS_BUF_INIT;
	cas_buf_adds(&b, method);
	cas_buf_adds(&b, "&%2F&");
	cas_pct_encode(&b, canon, strlen(canon));
	cas_wipe_free(canon);
	return cas_buf_steal(&b);
}

char *cas_v2_signature(const char *secret, const char *string_to_sign)
{
	char *key = cas_xasprintf("%s&", secret);
	unsigned char md[20];
	unsigned int len = 0;
	HMAC(EVP_sha1(), key, (int)strlen(key), (const unsigned char *)string_to_sign, strlen(string_to_sign), md,
	     &len);
	free(key);
	char *out = cas_xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, md, (int)len);
	return out;
}
