/* sign: request signing as the official SDKs do it (docs/PROTOCOL.md §2):
 * SHA-256/HMAC helpers, the ACS3-HMAC-SHA256
 * canonical request / string-to-sign / Authorization (V3), and the legacy
 * HMAC-SHA1 RPC signature (V2). The client signs V3 only; the emulator
 * verifies both, as the service does, so old SDK clients work against it.
 * Both are held to the SDK's vectors (tests/unit/test_sign.c). */
#ifndef CAS_SIGN_H
#define CAS_SIGN_H

#include <stddef.h>

#include "buf.h"
#include "params.h"

#define CAS_V3_ALGORITHM "ACS3-HMAC-SHA256"
#define CAS_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct cas_header {
	const char *name;
	const char *value;
};

/* 32 lowercase hex digits from 16 random bytes (nonces, ClientTokens);
 * aborts if the system has no randomness to give. */
void cas_random_hex(char out[33]);
void cas_sha256_hex(const void *data, size_t n, char out[65]);
void cas_hmac_sha256_hex(const char *key, const void *msg, size_t n, char out[65]);
/* Constant-time comparison of two NUL-terminated strings. */
int cas_secure_streq(const char *a, const char *b);

/* V3 canonical request. The query is sorted (a copy); header names are
 * lowercased, values trimmed, repeated names joined. When `only` is NULL the
 * signed set is host, content-type and x-acs-*; otherwise exactly the names in
 * the ';'-separated list `only` (a listed header that is missing gives NULL).
 * *signed_headers receives the ';'-joined names. */
char *cas_v3_canonical_request(const char *method, const char *path, const struct cas_params *query,
			       const struct cas_header *h, size_t nh, const char *hashed_payload,
			       const char *only, char **signed_headers);
/* Is lname one of the names in the ';'-separated SignedHeaders list? */
int cas_signed_list_has(const char *list, const char *lname);
char *cas_v3_string_to_sign(const char *canonical_request);
/* Lowercase hex HMAC-SHA256(secret, string_to_sign). */
void cas_v3_signature(const char *secret, const char *string_to_sign, char out[65]);
char *cas_v3_authorization(const char *access_key_id, const char *signed_headers, const char *signature);

/* V2: METHOD&%2F&pct(canonicalized query without Signature). */
char *cas_v2_string_to_sign(const char *method, const struct cas_params *query);
/* base64(HMAC-SHA1(secret + "&", string_to_sign)). */
char *cas_v2_signature(const char *secret, const char *string_to_sign);

#endif
