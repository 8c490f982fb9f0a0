/* share: one mount's link to its fleet's shared state in Redis (-o share=):
 * the connection with a short deadline on every command, reconnection and
 * health; and what the fleet shares through it: API responses (one fetch
 * per request across the fleet, secrets removed), the account's token
 * buckets, the month's call counts and budget, and invalidations
 * (PUBLISH / a subscriber thread).
 *
 * Redis failing is never an outage: every operation here has a deadline of
 * min(SHARE_OP_MS, what the file-system operation has left); an operation
 * that fails or overruns marks Redis down (logged once, counted), and for
 * SHARE_RETRY_MS every operation answers "unavailable" at once, so the
 * caller does what it does without a fleet (its own cache, its own bucket
 * at its share of the limit, its own count). Redis answering again is
 * logged and counted (share.rejoins).
 *
 * What enters Redis (keys under "casfs:{<account>}:<endpoint hash>:"): the
 * JSON of read responses with every secret member removed (private keys,
 * SecretKey, AccessKeySecret), a generation number, fetch locks holding a
 * random token, bucket states, call counts per month and class/action, the
 * live mounts' random ids (a sorted set), and invalidation messages (cache
 * kind and key: instance ids, certificate ids). Never a credential, never a
 * private key, never a request signature.
 *
 * Threads and connections are made by share_start, after the fork of
 * the daemon (fs/daemon.c). Lock rule: cmd_mu guards the command connection and is
 * taken with a timed lock (never past the operation's deadline); st_mu
 * guards the health fields and counters; pend_mu guards the changes whose
 * publish failed and is never held across a command: the subscriber's
 * thread takes them out and replays them without it; operations only queue
 * behind them. Order: pend_mu, then st_mu; cmd_mu is taken with
 * neither held. */
#ifndef CAS_SHARE_H
#define CAS_SHARE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "cas.h"
#include "client.h"

#define SHARE_OP_MS 200     /* the longest any one Redis command may take */
#define SHARE_RETRY_MS 1000 /* after a failure, Redis is left alone this long */

struct share_opts {
	const char *url;        /* redis://HOST:PORT[/DB] */
	const char *password;   /* NULL: none (AUTH is not sent) */
	const char *account;    /* the state database's account name (never a secret) */
	const char *endpoint;   /* the API endpoint (hashed into the keys) */
	int64_t ttl_ms;         /* shared responses live this long; 0: responses are not shared */
	double qps, ca_qps;     /* the account's limits */
	int keep_keys;          /* -o keys: certificates are fetched by this mount itself */
};

struct share_stats {
	int up;                                /* the last command answered */
	uint64_t ops, fallbacks, downs, rejoins;
	uint64_t hits, misses, waits, stored, stripped;
	uint64_t too_old;                      /* shared answers older than the reader's ttl or its .cas/refresh */
	uint64_t wait_timeouts;                /* waits for another mount's fetch given up (it fetched itself) */
	uint64_t refused;                      /* answers not shared: they held a PEM private key */
	uint64_t published, received;
	uint64_t pending;                      /* changes whose publish failed, not yet replayed */
	uint64_t rate_shared, rate_local;
	uint64_t fleet;                        /* mounts of the account seen in the last 15 s */
	uint64_t month_calls;                  /* the fleet's calls this month (reads + writes), as last seen */
};

struct share;
/* Parses the URL (0, or -1 with a message in why); connects nothing. */
struct share *share_new(const struct share_opts *o, char *why, size_t whylen);
/* Connects and starts the subscriber thread: after the fork. */
void share_start(struct share *s);
/* Stops and joins the subscriber (no invalidation arrives afterwards). */
void share_stop(struct share *s);
void share_free(struct share *s);
void share_stats(struct share *s, struct share_stats *out);

/* The client's hooks (client.h struct cas_client_share) into this share. */
void share_client_hooks(struct share *s, struct cas_client_share *h);

/* Invalidations: publishes that (kind, key) changed through this mount
 * (bumping the generation of the shared responses first). */
void share_changed(struct share *s, int kind, const char *key); /* kind: cache.h enum cas_ck */
/* .cas/refresh: the fleet's answers stored before now are not taken (the
 * next reads reach the service, and share their answers). */
void share_refreshed(struct share *s);
/* Called on the subscriber's thread for (kind, key) another mount changed. */
typedef void (*share_inval_fn)(void *ctx, int kind, const char *key);
void share_set_inval(struct share *s, share_inval_fn fn, void *ctx);

/* The month's calls for the fleet (the accounting's fleet counter):
 * 0 counted, 1 refused by the budget, -1 Redis unavailable (count locally). */
int share_count_call(void *ctx, const char *month, int write, const char *action, uint64_t budget);

/* The age (ms) of the oldest shared answer this thread took since the last
 * share_age_reset (0: none): the cache dates its entry by it. */
void share_age_reset(void);
int64_t share_age_ms(void);

/* The JSON with every secret member removed (in place); the count removed. */
int share_strip_secrets(cJSON *j);

#endif
