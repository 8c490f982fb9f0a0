/* creds: where credentials come from (docs/PROTOCOL.md §3): the environment
 * (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET[/_SECURITY_TOKEN]), then a bearer token
 * (DASHSCOPE_API_KEY or ALIBABA_CLOUD_BEARER_TOKEN), then an aliyun CLI
 * profile in ~/.aliyun/config.json (modes AK, StsToken, BearerToken). An
 * explicitly named profile or credentials file skips the environment. Never from argv. A profile
 * file that group or others can access is refused. */
#ifndef CAS_CREDS_H
#define CAS_CREDS_H

#include "error.h"

enum cas_cred_kind { CAS_CRED_AK, CAS_CRED_STS, CAS_CRED_BEARER };

struct cas_creds {
	enum cas_cred_kind kind;
	char *access_key_id;
	char *access_key_secret;
	char *security_token;
	char *bearer_token;
	char *source;   /* where they came from, for messages (never a secret) */
	char *region;   /* region_id of the profile, if any */
};

/* profile: NULL for the default chain. config_path: NULL for
 * $HOME/.aliyun/config.json. Returns 0 or -errno with a message in e. */
int cas_creds_resolve(struct cas_creds *out, const char *profile, const char *config_path, struct cas_error *e);
void cas_creds_free(struct cas_creds *c);
/* True when the environment holds credentials (used or not). */
int cas_creds_env_present(void);
/* What an authentication error Code most likely means, or NULL. */
const char *cas_creds_hint(const char *code);

#endif
