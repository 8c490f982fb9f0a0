/* client: the CAS API client. It signs each attempt (ACS3-HMAC-SHA256, STS
 * or bearer), waits for the shared rate limiter, sends over the pooled
 * transport, retries per the policy of docs/PROTOCOL.md §6 within one deadline per
 * call, and keeps per-action counters. cas_client_api() exposes it as a
 * struct cas_api (the fourteen operations of cas.h over its fifteen actions:
 * ops.c, mutate.c, certdetail.c, store.c; the table is clientapi.c). */
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
	int page_workers;      /* parallel page fetches; 0 = 8 */
	int keep_keys;         /* keep certificates' private keys (-o keys); otherwise wiped when parsed */
	long first_page_ttl_ms; /* how long the mount probe's page may stand in for page 1; 0 = 60000 */
};

/* Listing bookkeeping (paging.c), shown in .cas/stats. */
struct cas_list_stats {
	uint64_t listings;      /* whole listings assembled */
	uint64_t refetches;     /* listings fetched again after drift */
	uint64_t inconsistent;  /* listings shown as a union because no snapshot was consistent */
	uint64_t repeated;      /* entries whose id was already seen (the newest kept) */
	uint64_t skipped;       /* entries whose id cannot be a file name */
	uint64_t probe_reused;  /* page 1 taken from the mount probe instead of a call */
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
	struct cas_list_stats lists;
	/* progress (the progress lines, .cas/stats) */
	long in_flight;             /* HTTP requests on the wire now */
	double rate_10s;            /* requests sent per second over the last 10 s */
	int64_t list_pages_done;    /* pages of the listings running now ... */
	int64_t list_pages_total;   /* ... of their total (0/0 when none runs) */
	uint64_t list_pages_fetched; /* pages of every finished listing */
};

struct cas_client;

struct cas_client *cas_client_new(const struct cas_client_opts *o, const struct cas_creds *cr, struct cas_error *e);
void cas_client_free(struct cas_client *c);
/* At shutdown: calls in flight end now (EIO), no more are sent. */
void cas_client_shutdown(struct cas_client *c);
struct cas_api *cas_client_api(struct cas_client *c);
/* The client whose cas_client_api() a is (the methods in clientapi.c). */
struct cas_client *cas_client_of(struct cas_api *a);
/* Whether the client was made with dry_run (it sends nothing; store.c answers an
 * upload with CertId 0). */
int cas_client_dry_run(const struct cas_client *c);
const char *cas_client_endpoint(const struct cas_client *c);
int cas_client_page_workers(const struct cas_client *c);
int cas_client_keep_keys(const struct cas_client *c);
/* "Now" on the service's clock, in epoch ms: our clock corrected by the Date
 * header of the latest response (1 s resolution); our clock until one came. */
int64_t cas_client_service_now_ms(struct cas_client *c);
/* Installs a gate called before every HTTP attempt (not for dry_run): a
 * negative errno refuses the attempt and ends the call with it (e filled by
 * the gate). Used for the monthly call accounting and budget. Set before
 * the first call. */
typedef int (*cas_gate_fn)(void *ctx, enum cas_action a, struct cas_error *e);
void cas_client_set_gate(struct cas_client *c, cas_gate_fn fn, void *ctx);

/* A fleet's shared state (-o share=, cache/share.c fills it in; a NULL
 * member is not shared). lookup, before a read is sent: 1 with *out (the
 * fleet's answer: no call), or 0: this mount sends it, and then done() is
 * called with the answer (NULL: it failed) and the ticket lookup gave.
 * take: a token of the account's bucket (ca: the 10 QPS class), sleeping
 * for it; 0, or -ETIMEDOUT when it would come after deadline_ns. Set
 * before the calls that should see it (the hooks are read without a lock:
 * set once, before the FUSE loop). */
struct cas_client_share {
	void *ctx;
	/* must_reach: the answer must come from the service (no hit is taken;
	 * the answer is still shared); max_age_ms: the oldest shared answer the
	 * reader accepts (0: the fleet's ttl) */
	int (*lookup)(void *ctx, enum cas_action a, const char *request, int64_t deadline_ns, int must_reach,
		      int64_t max_age_ms, cJSON **out, void **ticket);
	void (*done)(void *ctx, void *ticket, const cJSON *answer, int64_t deadline_ns);
	int (*take)(void *ctx, int ca, int64_t deadline_ns);
	void (*shutdown)(void *ctx); /* cas_client_shutdown: a waiting lookup ends now */
};
void cas_client_set_share(struct cas_client *c, const struct cas_client_share *h);
/* The response members that carry a secret (private keys, credentials):
 * one table (certdetail.c), wiped from a certificate's response and removed
 * before the fleet stores an answer. */
extern const char *const cas_secret_members[];
extern const size_t cas_secret_members_n;

/* Per thread: while set, reads of this thread are answered by the service,
 * never by the fleet's shared copy (a read that learns whether a mutation
 * applied, a refetch after drift, a "fresh, never stale" read). Returns
 * the previous value, to restore. */
int cas_client_must_reach(int on);
int cas_client_must_reach_get(void);
/* Per thread: the oldest shared answer this thread's reads accept, in ms
 * (0: the fleet's ttl); the cache sets it to the reader's ttl. Returns the
 * previous value. */
int64_t cas_client_share_max_age(int64_t ms);
/* Per thread: how many mutations this thread has handed to the transport
 * (a mutation that may have reached the service); the cache publishes a
 * change to the fleet only when this moved. */
uint64_t cas_client_mutations_sent(void);

/* One operation: query q (without signature fields). On success *out is the
 * response object (caller deletes). For a mutation whose response was lost,
 * e->ambiguous is set and nothing was retried. */
int cas_client_call(struct cas_client *c, enum cas_action a, const struct cas_params *q, cJSON **out,
		    struct cas_error *e);
void cas_client_stats(struct cas_client *c, struct cas_client_stats *out);
/* Listing progress (paging.c): a listing of `total` pages starts (done 0),
 * one of its pages is done, or it ends (its pages move to "fetched"). */
void cas_client_listing_start(struct cas_client *c, int64_t total);
void cas_client_listing_page(struct cas_client *c);
void cas_client_listing_end(struct cas_client *c, int64_t total, int64_t done);

/* paging.c's hooks into the client (all thread-safe): */
void cas_client_list_count(struct cas_client *c, const struct cas_list_stats *delta);
/* A failure worth a record although the operation succeeded (an
 * inconsistent listing); fs/ sets the hook to record it in .cas/errors. */
void cas_client_set_notice(struct cas_client *c, void (*fn)(void *ctx, const struct cas_error *e), void *ctx);
void cas_client_notice(struct cas_client *c, const struct cas_error *e);
/* Logs "<action>: <msg>" and passes it to the notice hook as (err, code). */
void cas_client_notify(struct cas_client *c, const char *action, int err, const char *code, const char *msg);
/* The unfiltered listing's first page, kept from the mount probe. take()
 * hands it out once, if it is younger than first_page_ttl_ms and no mutation
 * was sent since; otherwise NULL. */
void cas_client_prime(struct cas_client *c, struct cas_instances *page);
struct cas_instances *cas_client_take_primed(struct cas_client *c);

/* The URL host for a region (docs/PROTOCOL.md §1). */
const char *cas_region_host(const char *region, char *buf, size_t n);
/* 1 if region is an Alibaba Cloud region id casfs knows. */
int cas_region_known(const char *region);

/* The mount probe (paging.c): page 1 of the unfiltered listing (ShowSize
 * 100), kept in the client so that the first listing does not fetch it
 * again. 0, or the call's -errno with e. */
int cas_list_prime(struct cas_client *c, struct cas_error *e);

#endif
