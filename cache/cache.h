/* cache: a caching decorator over struct cas_api (the same fourteen operations).
 * Reads are cached per kind with a TTL; concurrent misses for one key make
 * one call; 404s are cached briefly; after expiry a refresh that does not
 * answer within a soft deadline (~2 s) lets readers have the stale copy
 * while it continues in the background (the soft deadline counts from the
 * start of the file-system operation, deadline.h, and of the refresh, so
 * only the first reader of an overdue refresh waits, and while the API is
 * slow or failing a reader with a stale copy gets it at once; a reader with
 * nothing stale waits at most until its operation's deadline); on errors stale data is served up
 * to max_stale, each time logged and counted. Mutations pass through and
 * invalidate what they affect, even when they fail; after a successful
 * change of one existing instance (UpdateInstance, RefundInstance) its
 * detail is fetched again and its entry in the cached list rewritten from
 * it, so only a change of membership (add, delete) costs a re-listing. The clock is injectable
 * for tests. A change hook tells the caller when cached content changed.
 * Certificates (CAS_CK_CERT, keyed by CertId) may hold private keys: a
 * value that leaves the cache is unreferenced, and the last reference wipes
 * its key (struct cas_cert). */
/*
 * The life of one entry (cache.c: enum centry_state, derived from the
 * stored fields and the clock; a fetch in flight, FETCHING, overlays any
 * state; "reader" = a read through the decorator, "fresh reader" =
 * cas_cache_get_fresh, which never takes a stale copy).
 *
 *        T14 invalidate, drop_all: from every state (a fetch in flight is then OUTDATED)
 *                                   |
 *          T15 sweep                v
 *  (freed) <--------------------+-------+  T1 reader fetches  +----------+
 *                 +-----------> | EMPTY | ------------------> | FETCHING | <-- T2 reader joins, waits
 *                 |      +----> +-------+ <------------------ +----------+
 *                 |      |                T5 fails, no stale    |      |
 *                 |      | T7 neg_ttl passes         T4 404     |      | T3 answer
 *                 |  +----------+ <-----------------------------+      v
 *                 |  | NEGATIVE |                                  +-------+
 *                 |  +----------+                                  | FRESH | <------------+
 *                 |                                                +-------+              |
 *                 | T8 max_stale passes                 T6 ttl passes  |                  | T10 answer
 *                 |                                                    v                  |
 *                 |                                                +-------+  T9    +----------------+
 *                 +----------------------------------------------- | STALE | -----> | STALE+FETCHING |
 *                                                                  +-------+        +----------------+
 *                                                T12 retry passes      ^      +---------+    | T11 fails
 *                                                                      +----- | BACKOFF | <--+
 *                                                                             +---------+ <-- T13 reader
 *
 * Transitions, each with its event (the unit test of test_cache.c is named after it):
 *   T1  EMPTY -> FETCHING          a reader, nothing fresh or stale: it fetches on its own thread
 *   T2  FETCHING -> FETCHING       another reader joins the fetch in flight and waits for it
 *                                  (coalescing; without a stale copy up to its operation's deadline,
 *                                  then ETIMEDOUT)
 *   T3  FETCHING -> FRESH          the fetch answers; every waiter gets the value
 *   T4  FETCHING -> NEGATIVE       the fetch answers 404; every waiter gets ENOENT
 *   T5  FETCHING -> EMPTY          the fetch fails with nothing stale: every waiter gets its error
 *   T6  FRESH -> STALE             ttl passes (ttl=0: an operation that began after the fetch)
 *   T7  NEGATIVE -> EMPTY          neg_ttl passes (a 404 is never served stale)
 *   T8  STALE|BACKOFF -> EMPTY     ttl + max_stale passes: only a fetch answers
 *   T9  STALE -> STALE+FETCHING    a reader starts a background refresh and waits for it up to the
 *                                  soft deadline (not at all while the API is degraded), then gets
 *                                  the stale copy and the API is degraded; with MAX_BACKGROUND
 *                                  refreshes running it gets the stale copy at once
 *   T10 STALE+FETCHING -> FRESH    the refresh answers (within the soft deadline: API healthy again)
 *   T11 STALE+FETCHING -> BACKOFF  the refresh fails: waiters get the stale copy, API degraded
 *   T12 BACKOFF -> STALE           error_retry passes: the next reader refreshes again
 *   T13 BACKOFF -> BACKOFF         a reader gets the stale copy without a call
 *   T14 any -> EMPTY               invalidate (a mutation, even a failed one) or drop_all; a fetch
 *                                  in flight becomes OUTDATED: its result is stored as already
 *                                  expired, and a reader waits for it and then fetches again
 *   T15 EMPTY -> (freed)           the sweep, once a minute, frees entries nobody fetches or waits on
 *   T16 STALE|BACKOFF -> FETCHING  a fresh reader (a commit) never takes the stale copy: it fetches
 *                                  (or joins) and waits for the answer or the error
 *   T17 FRESH|STALE -> same state  after UpdateInstance/RefundInstance succeed, the list entry of
 *                                  the instance is rewritten from its fresh detail (T14+T1..T3 for
 *                                  the detail); the list keeps its age. Otherwise T14 on the list.
 * Change hooks (cas_cache_change_fn) run after T3/T4/T10 store a changed value and after T17
 * rewrites the list, outside the lock, each with its own references to old and new and with a
 * generation number per kind taken when the value was stored: hooks may finish out of order
 * (two fetches, or a fetch that replaced a T17 rewrite while its hook ran); the generation says
 * which value is the later one.
 * The API's health, one for the cache: HEALTHY -> DEGRADED when a reader's soft deadline passes
 * (T9) or a fetch fails (T5, T11); DEGRADED -> HEALTHY when a fetch answers within the soft
 * deadline (T3, T4, T10). A new entry starts EMPTY.
 */
#ifndef CAS_CACHE_H
#define CAS_CACHE_H

#include <stdint.h>

#include "cas.h"

/* CAS_CK_STORE: the certificate store (ListCertificates, key ""), ttl-cached
 * like the lists and dropped after every upload and delete of a certificate. */
enum cas_ck { CAS_CK_INSTANCES, CAS_CK_DETAIL, CAS_CK_SUMMARY, CAS_CK_ACCESS, CAS_CK_CA, CAS_CK_CERT, CAS_CK_STORE,
	      CAS_CK_N };

struct cas_cache_opts {
	int64_t ttl_ms;                   /* freshness of every kind (default 60000) */
	int ttl_zero;                     /* ttl=0: a value is fresh only for the file-system operations
	                                   * that began before it was fetched (every operation revalidates;
	                                   * concurrent readers still share one call) */
	int64_t ttl_kind_ms[CAS_CK_N];    /* per-kind override; 0 = ttl_ms */
	int64_t neg_ttl_ms;               /* cached 404s (default min(ttl, 10000)) */
	int64_t max_stale_ms;             /* stale data served on errors up to this past expiry (default 600000) */
	int64_t soft_deadline_ms;         /* wait this long for a refresh before serving stale (default 2000) */
	int64_t error_retry_ms;           /* after a failed refresh, serve stale this long before retrying (default 5000) */
	int64_t (*now_ms)(void *ctx);     /* injectable clock; NULL = CLOCK_MONOTONIC */
	void *clock_ctx;
};

struct cas_cache_stats {
	uint64_t hits, misses, coalesced, negative_hits;
	uint64_t stale_served;      /* stale copies handed out (slow refresh or error) */
	uint64_t stale_on_error;    /* of which because the refresh failed */
	uint64_t refreshes, fetch_errors, invalidations;
	uint64_t entry_updates;     /* list entries rewritten from a fresh detail after a change */
	uint64_t entries;
};

/* Called after content under (kind, key) changed: old/new are the previous
 * and current values (either may be NULL; references the caller holds for
 * the call, so valid even when a later fetch has replaced the entry).
 * Called without locks held, so the calls of two fetches (or a fetch and a
 * list entry rewrite, T17) can run concurrently and finish in either order:
 * gen orders them. It is assigned per kind, under the cache's lock, when
 * the value is stored, so a larger gen is a later value of that kind; a
 * hook that keeps "the last value" (a baseline) ignores a call with a gen
 * older than the one it holds. */
typedef void (*cas_cache_change_fn)(void *ctx, enum cas_ck kind, const char *key, void *old_value,
				    void *new_value, uint64_t gen);

struct cas_cache;
struct cas_cache *cas_cache_new(struct cas_api *inner, const struct cas_cache_opts *o);
/* Waits a few seconds at most for the background refreshes, then frees c.
 * Returns how many refreshes were still running: then c is left allocated
 * (logged), and so must be everything those refreshes use. */
int cas_cache_free(struct cas_cache *c);
struct cas_api *cas_cache_api(struct cas_cache *c);
void cas_cache_set_change_hook(struct cas_cache *c, cas_cache_change_fn fn, void *ctx);
/* Drops every cached value and negative entry. */
void cas_cache_drop_all(struct cas_cache *c);
void cas_cache_invalidate(struct cas_cache *c, enum cas_ck kind, const char *key);
/* The stored value of (kind, key), fresh or stale, without fetching (a new
 * reference), or NULL. */
void *cas_cache_peek(struct cas_cache *c, enum cas_ck kind, const char *key);
/* Like a read through the decorator, but never a stale copy: a value fresh
 * by the ttl rule, or else one fetched now (waiting for a fetch in flight up
 * to the operation's deadline), or the fetch's error. For the state a
 * commit compares with (SEMANTICS "at most ttl old"). */
int cas_cache_get_fresh(struct cas_cache *c, enum cas_ck kind, const char *key, void **out, struct cas_error *e);
/* The list entry `old` rewritten from the instance's detail d: the fields
 * the entry shows (and the value files' fields) take the detail's values,
 * list-only fields keep theirs. 1 with *out filled (the caller's), 0 when d
 * is not a detail of old's instance. Pure. */
struct cas_instance;
int cas_cache_entry_from_detail(const struct cas_instance *old, const struct cas_doc *d, struct cas_instance *out);
/* True when (kind, key) holds a fresh value or negative entry. */
int cas_cache_fresh(struct cas_cache *c, enum cas_ck kind, const char *key);
void cas_cache_stats(struct cas_cache *c, struct cas_cache_stats *s);
int64_t cas_cache_ttl_ms(const struct cas_cache *c);
/* -o share=: every mutation publishes what it changed to the fleet (before
 * this mount refetches), and an answer the fleet gave is dated by its age
 * (share.h). Set before the first call. */
struct share;
void cas_cache_set_share(struct cas_cache *c, struct share *s);

#endif
