/* auth: who sent a request, checked before anything else: ACS3-HMAC-SHA256
 * (V3), the legacy HMAC-SHA1 RPC signature (V2), STS tokens, and bearer
 * tokens (x-acs-bearer-token + SignatureType=BEARERTOKEN, Authorization:
 * Bearer, or BearerToken=...). Also rejects stale request times and reused
 * nonces. Secrets never appear in a reply except as the server's own
 * string-to-sign (which contains none). */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include "emu.h"

struct emu_auth;

struct emu_identity {
	const char *scheme;        /* "v3", "v2", "bearer" or "none" */
	const char *access_key_id; /* as claimed by the request (NULL for bearer) */
	int cred;                  /* index into the credentials, -1 if none */
	const char *action;        /* x-acs-action or Action, per scheme */
	const char *version;
};

struct emu_auth *emu_auth_new(const struct emu_cred *creds, size_t ncreds);
void emu_auth_free(struct emu_auth *a);
/* 0 when authenticated; otherwise -1 with r holding the error. id is filled
 * as far as the request could be understood, in both cases. */
int emu_auth_check(struct emu_auth *a, const struct emu_http *h, struct emu_identity *id, struct emu_reply *r);

#endif
