/* client: the CAS API client. It signs each attempt (ACS3-HMAC-SHA256, STS
 * or bearer), waits for the shared rate limiter, sends over the pooled
 * transport, retries per the policy of docs/PROTOCOL.md §6 within one deadline per
 * call, and keeps per-action counters. cas_client_api() exposes it as a
 * struct cas_api (the ten operations, ops.c). */
#ifndef CAS_CLIENT_H
#define CAS_CLIENT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "cas.h"
#include "creds.h"

struct cas_client_opts {
	const char *endpoint;  /* URL; NULL: derived from region (default https://cas.aliyuncs.com) */
	const char *region;    /* e.g. cn-hangzhou, ap-southeast-1 */
	const char *cafile;
	double qps;            /* account-wide rate limit; 0 = 100 */
	double ca_qps;         /* GetCAInstanceStatus limit; 0 = 10 */
	long timeout_ms;       /* deadline of one call including retries; 0 = 20000 */
	int max_retries;       /* < 0: default 5 */
	int dry_run;           /* mutations are logged, not sent */
	int signature_v2;      /* legacy HMAC-SHA1 RPC signature instead of V3 */
	int page_workers;      /* parallel page fetches; 0 = 8 */
	int keep_keys;         /* keep certificates' private keys (-o keys); otherwise wiped when parsed */
};

struct cas_action_stats {
	uint64_t calls;      /* HTTP attempts sent */
	uint64_t ok;
	uint64_t errors;     /* calls that finally failed */
	uint64_t retries;
	uint64_t throttled;  /* throttle answers received */
	uint64_t bytes_in;
	uint64_t dry_run;
};

struct cas_client_stats {
	struct cas_action_stats a[CAS_NACTIONS];
	long connections;
	uint64_t rate_waits;
};

struct cas_client;

struct cas_client *cas_client_new(const struct cas_client_opts *o, const struct cas_creds *cr, struct cas_error *e);
void cas_client_free(struct cas_client *c);
struct cas_api *cas_client_api(struct cas_client *c);
const char *cas_client_endpoint(const struct cas_client *c);
int cas_client_page_workers(const struct cas_client *c);
int cas_client_dry_run(const struct cas_client *c);
int cas_client_keep_keys(const struct cas_client *c);
/* "Now" on the service's clock, in epoch ms: our clock corrected by the Date
 * header of the latest response (1 s resolution); our clock until one came. */
int64_t cas_client_service_now_ms(struct cas_client *c);

/* One operation: query q (without signature fields). On success *out is the
 * response object (caller deletes). For a mutation whose response was lost,
 * e->ambiguous is set and nothing was retried. */
int cas_client_call(struct cas_client *c, enum cas_action a, const struct cas_params *q, cJSON **out,
		    struct cas_error *e);
void cas_client_stats(struct cas_client *c, struct cas_client_stats *out);

/* The URL host for a region (docs/PROTOCOL.md §1). */
const char *cas_region_host(const char *region, char *buf, size_t n);

#endif
