/* auth: request authentication (see auth.h). Error codes and statuses:
 *   404 InvalidAccessKeyId.NotFound   unknown AccessKeyId (V3 and V2)
 *   400 SignatureDoesNotMatch         wrong signature or body hash
 *   400 IncompleteSignature           malformed Authorization, a required header
 *                                     missing or not signed, no credentials at all
 *   400 InvalidSignatureMethod        not ACS3-HMAC-SHA256 / HMAC-SHA1
 *   400 InvalidSignatureVersion       V2 SignatureVersion other than 1.0
 *   400 MissingParameter.<Name>       a V2 parameter missing
 *   400 InvalidSecurityToken.*        STS token missing, wrong, or with a non-STS key
 *   400 InvalidBearerToken.NotFound   unknown bearer token
 *   400 InvalidTimeStamp.Format / InvalidTimeStamp.Expired (±15 minutes)
 *   400 SignatureNonceUsed            nonce reused by the same credential within 15 minutes */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "nonce.h"

struct emu_auth {
	const struct emu_cred *creds;
	size_t ncreds;
	struct emu_nonces *nonces;
};

static const char *const v3_required[] = { "host", "x-acs-action", "x-acs-version", "x-acs-date",
					    "x-acs-signature-nonce", "x-acs-content-sha256" };

struct emu_auth *emu_auth_new(const struct emu_cred *creds, size_t ncreds)
{
	struct emu_auth *a = cas_xcalloc(1, sizeof(*a));
	a->creds = creds;
	a->ncreds = ncreds;
	a->nonces = emu_nonces_new(EMU_AUTH_WINDOW_MS);
	return a;
}

void emu_auth_free(struct emu_auth *a)
{
	if (!a)
		return;
	emu_nonces_free(a->nonces);
	free(a);
}

static int find_key(const struct emu_auth *a, const char *id)
{
	for (size_t i = 0; id && i < a->ncreds; i++)
		if (a->creds[i].kind != EMU_CRED_BEARER && strcmp(a->creds[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int find_bearer(const struct emu_auth *a, const char *token)
{
	int found = -1;
	for (size_t i = 0; token && i < a->ncreds; i++)
		if (a->creds[i].kind == EMU_CRED_BEARER && cas_secure_streq(a->creds[i].token, token))
			found = (int)i;
	return found;
}

static int key_not_found(struct emu_reply *r)
{
	return emu_fail(r, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
}

static int check_token(const struct emu_auth *a, int cred, const char *token, struct emu_reply *r)
{
	const struct emu_cred *c = &a->creds[cred];
	if (c->kind == EMU_CRED_STS && !token)
		return emu_fail(r, 400, "InvalidSecurityToken.Missing",
				"The security token is required for a temporary (STS) AccessKey.");
	if (c->kind == EMU_CRED_AK && token)
		return emu_fail(r, 400, "InvalidSecurityToken.MismatchWithAccessKey",
				"The security token does not match the AccessKey.");
	if (token && !cas_secure_streq(c->token, token))
		return emu_fail(r, 400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is invalid.");
	return 0;
}

static int check_time(const char *when, struct emu_reply *r)
{
	int64_t t;
	if (emu_parse_acs_date(when, &t))
		return emu_fail(r, 400, "InvalidTimeStamp.Format",
				"Specified time stamp or date value is not well formatted (expected "
				"YYYY-MM-DDThh:mm:ssZ in UTC).");
	int64_t skew = t - emu_real_ms();
	if (skew > EMU_AUTH_WINDOW_MS || skew < -EMU_AUTH_WINDOW_MS)
		return emu_fail(r, 400, "InvalidTimeStamp.Expired",
				"Specified time stamp or date value is expired (more than 15 minutes from the "
				"server time).");
	return 0;
}

static int check_nonce(struct emu_auth *a, int cred, const char *nonce, struct emu_reply *r)
{
	if (emu_nonce_use(a->nonces, cred, nonce, emu_real_ms()))
		return emu_fail(r, 400, "SignatureNonceUsed", "Specified signature nonce was used already.");
	return 0;
}

static int mismatch(struct emu_reply *r, const char *string_to_sign)
{
	return emu_fail(r, 400, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:%s",
			string_to_sign);
}

/* Finds "name=value" among the comma-separated items after the algorithm. */
static char *auth_item(const char *items, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = items; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t vl = len - n - 1;
			while (vl && p[n + vl] == ' ')
				vl--;
			return cas_xstrndup(p + n + 1, vl);
		}
		p = end;
	}
	return NULL;
}

static int v3_headers_ok(const struct emu_http *h, const char *signed_list, struct emu_reply *r)
{
	for (size_t i = 0; i < sizeof(v3_required) / sizeof(v3_required[0]); i++) {
		if (!emu_http_header(h, v3_required[i]))
			return emu_fail(r, 400, "IncompleteSignature",
					"The request signature does not conform to Aliyun standards: header %s is "
					"missing.", v3_required[i]);
		if (!cas_signed_list_has(signed_list, v3_required[i]))
			return emu_fail(r, 400, "IncompleteSignature",
					"The request signature does not conform to Aliyun standards: header %s must "
					"be signed.", v3_required[i]);
	}
	if (emu_http_header(h, "x-acs-security-token") && !cas_signed_list_has(signed_list, "x-acs-security-token"))
		return emu_fail(r, 400, "IncompleteSignature",
				"The request signature does not conform to Aliyun standards: header "
				"x-acs-security-token must be signed.");
	return 0;
}

static int v3_signature_ok(const struct emu_http *h, const char *secret, const char *signed_list,
			   const char *signature, struct emu_reply *r)
{
	const char *hashed = emu_http_header(h, "x-acs-content-sha256");
	char body_hash[65];
	cas_sha256_hex(h->body ? h->body : "", h->body_len, body_hash);
	if (strcasecmp(hashed, body_hash) != 0)
		return emu_fail(r, 400, "SignatureDoesNotMatch",
				"x-acs-content-sha256 does not match the SHA-256 of the request body.");
	char *canon = cas_v3_canonical_request(h->method, h->path, &h->query, h->hdr, h->nhdr, hashed, signed_list,
					       NULL);
	if (!canon)
		return emu_fail(r, 400, "IncompleteSignature",
				"The request signature does not conform to Aliyun standards: a header named in "
				"SignedHeaders is missing.");
	char *sts = cas_v3_string_to_sign(canon);
	char sig[65];
	cas_v3_signature(secret, sts, sig);
	int rc = cas_secure_streq(sig, signature) ? 0 : mismatch(r, sts);
	free(sts);
	free(canon);
	return rc;
}

static int verify_v3(struct emu_auth *a, const struct emu_http *h, const char *authz, struct emu_identity *id,
		     struct emu_reply *r)
{
	id->scheme = "v3";
	id->action = emu_http_header(h, "x-acs-action");
	id->version = emu_http_header(h, "x-acs-version");
	size_t alen = strcspn(authz, " ");
	if (alen != strlen(CAS_V3_ALGORITHM) || strncmp(authz, CAS_V3_ALGORITHM, alen) != 0)
		return emu_fail(r, 400, "InvalidSignatureMethod",
				"Specified signature method \"%.*s\" is not supported; use ACS3-HMAC-SHA256.",
				(int)(alen > 40 ? 40 : alen), authz);
	char *cred = auth_item(authz + alen, "Credential");
	char *signed_list = auth_item(authz + alen, "SignedHeaders");
	char *signature = auth_item(authz + alen, "Signature");
	int rc = -1;
	if (!cred || !*cred || !signed_list || !*signed_list || !signature || !*signature) {
		emu_fail(r, 400, "IncompleteSignature",
			 "The request signature does not conform to Aliyun standards: Authorization needs "
			 "Credential, SignedHeaders and Signature.");
		goto out;
	}
	id->cred = find_key(a, cred);
	id->access_key_id = id->cred >= 0 ? a->creds[id->cred].id : NULL;
	if (id->cred < 0) {
		key_not_found(r);
		goto out;
	}
	const char *ak_header = emu_http_header(h, "x-acs-accesskey-id");
	if (ak_header && strcmp(ak_header, cred) != 0) {
		emu_fail(r, 400, "IncompleteSignature", "x-acs-accesskey-id does not match the Credential.");
		goto out;
	}
	if (check_token(a, id->cred, emu_http_header(h, "x-acs-security-token"), r) ||
	    v3_headers_ok(h, signed_list, r) || check_time(emu_http_header(h, "x-acs-date"), r) ||
	    v3_signature_ok(h, a->creds[id->cred].secret, signed_list, signature, r) ||
	    check_nonce(a, id->cred, emu_http_header(h, "x-acs-signature-nonce"), r))
		goto out;
	rc = 0;
out:
	free(cred);
	free(signed_list);
	free(signature);
	return rc;
}

static int verify_v2(struct emu_auth *a, const struct emu_http *h, struct emu_identity *id, struct emu_reply *r)
{
	static const char *const required[] = { "AccessKeyId",	  "Signature", "SignatureMethod",
						 "SignatureVersion", "SignatureNonce", "Timestamp" };
	const struct cas_params *p = &h->all;
	id->scheme = "v2";
	id->action = cas_params_get(p, "Action");
	id->version = cas_params_get(p, "Version");
	id->access_key_id = cas_params_get(p, "AccessKeyId");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *v = cas_params_get(p, required[i]);
		if (!v || !*v) {
			char code[64];
			snprintf(code, sizeof(code), "MissingParameter.%s", required[i]);
			return emu_fail(r, 400, code,
					"The input parameter \"%s\" that is mandatory for processing this request "
					"is not supplied.", required[i]);
		}
	}
	if (strcmp(cas_params_get(p, "SignatureMethod"), "HMAC-SHA1") != 0)
		return emu_fail(r, 400, "InvalidSignatureMethod", "Specified signature method is not supported.");
	if (strcmp(cas_params_get(p, "SignatureVersion"), "1.0") != 0)
		return emu_fail(r, 400, "InvalidSignatureVersion", "Specified signature version is not supported.");
	id->cred = find_key(a, id->access_key_id);
	if (id->cred < 0)
		return key_not_found(r);
	if (check_token(a, id->cred, cas_params_get(p, "SecurityToken"), r) ||
	    check_time(cas_params_get(p, "Timestamp"), r))
		return -1;
	char *sts = cas_v2_string_to_sign(h->method, p);
	char *sig = cas_v2_signature(a->creds[id->cred].secret, sts);
	int ok = cas_secure_streq(sig, cas_params_get(p, "Signature"));
	int rc = ok ? 0 : mismatch(r, sts);
	free(sig);
	free(sts);
	return rc ? rc : check_nonce(a, id->cred, cas_params_get(p, "SignatureNonce"), r);
}

static int verify_bearer(struct emu_auth *a, const struct emu_http *h, const char *token, struct emu_identity *id,
			 struct emu_reply *r)
{
	const char *hdr_action = emu_http_header(h, "x-acs-action");
	id->scheme = "bearer";
	id->action = hdr_action ? hdr_action : cas_params_get(&h->all, "Action");
	id->version = hdr_action ? emu_http_header(h, "x-acs-version") : cas_params_get(&h->all, "Version");
	id->cred = find_bearer(a, token);
	if (id->cred < 0)
		return emu_fail(r, 400, "InvalidBearerToken.NotFound", "Specified bearer token is not valid.");
	const char *when = emu_http_header(h, "x-acs-date");
	const char *nonce = emu_http_header(h, "x-acs-signature-nonce");
	if (!when)
		when = cas_params_get(&h->all, "Timestamp");
	if (!nonce)
		nonce = cas_params_get(&h->all, "SignatureNonce");
	if ((when && check_time(when, r)) || (nonce && check_nonce(a, id->cred, nonce, r)))
		return -1;
	return 0;
}

int emu_auth_check(struct emu_auth *a, const struct emu_http *h, struct emu_identity *id, struct emu_reply *r)
{
	memset(id, 0, sizeof(*id));
	id->scheme = "none";
	id->cred = -1;
	const char *authz = emu_http_header(h, "Authorization");
	const char *bearer_hdr = emu_http_header(h, "x-acs-bearer-token");
	const char *bearer_q = cas_params_get(&h->all, "BearerToken");
	id->action = emu_http_header(h, "x-acs-action");
	id->version = emu_http_header(h, "x-acs-version");
	if (!id->action) {
		id->action = cas_params_get(&h->all, "Action");
		id->version = cas_params_get(&h->all, "Version");
	}
	if (authz && strncasecmp(authz, "Bearer ", 7) == 0)
		return verify_bearer(a, h, authz + 7, id, r);
	if (authz && strncmp(authz, "ACS3-", 5) == 0)
		return verify_v3(a, h, authz, id, r);
	if (authz)
		return emu_fail(r, 400, "IncompleteSignature",
				"The request signature does not conform to Aliyun standards: unsupported "
				"Authorization scheme.");
	if (bearer_hdr || bearer_q)
		return verify_bearer(a, h, bearer_hdr ? bearer_hdr : bearer_q, id, r);
	if (cas_params_get(&h->all, "Signature") || cas_params_get(&h->all, "AccessKeyId"))
		return verify_v2(a, h, id, r);
	return emu_fail(r, 400, "IncompleteSignature",
			"The request signature does not conform to Aliyun standards: the request carries no "
			"Authorization header, Signature or bearer token.");
}
