/* snapshot: the offline snapshot, as a struct cas_api decorator between the
 * client and the cache. While live it passes every call through and writes
 * each listing and document it fetched to the state database (never a
 * secret: a document that holds a SecretKey or a private key is not
 * stored). After a successful UpdateInstance or RefundInstance the stored
 * listing's entry of that instance is rewritten from the next detail fetched
 * for it, as the cache rewrites its own (cache.c), so offline shows the
 * change in the list-backed files too. While offline (-o offline and the API unreachable at start) it
 * answers reads from the database, refuses mutations with EROFS, and a
 * background thread probes the service with backoff (1 s doubling to 60 s);
 * when the service answers it switches to live and calls on_live, so the
 * mount turns live without a remount.
 *
 * Lock rule: `offline`, `since_ms` and `live_ms` are atomic; the retry
 * thread is a cas_worker (worker.h: its mu guards `stop`); `mu` (a leaf)
 * guards the ids of instances changed here (`changed[]`); no lock is held
 * while calling the inner API or the database. */
#ifndef CAS_SNAPSHOT_H
#define CAS_SNAPSHOT_H

#include <stdint.h>

#include "cas.h"
#include "statedb.h"

struct cas_snapshot;

/* probe: one cheap call proving the service answers (0 = answers). */
typedef int (*cas_probe_fn)(void *ctx, struct cas_error *e);

struct cas_snapshot *cas_snapshot_new(struct cas_api *live, struct statedb *db);
/* Stops and joins the retry thread (it calls the probe and on_live); the
 * decorator still answers. Teardown: stop, then free what the thread used,
 * then (once no cache refresh can call it any more) cas_snapshot_free. */
void cas_snapshot_stop(struct cas_snapshot *s);
/* Frees s (stopping the thread first). Nothing may call its api any more. */
void cas_snapshot_free(struct cas_snapshot *s);
struct cas_api *cas_snapshot_api(struct cas_snapshot *s);
/* True when the database holds a listing to start from. */
int cas_snapshot_usable(struct cas_snapshot *s, int64_t *stored_ms);
/* Enters offline mode and starts the background probe; on_live runs (on that
 * thread) once the service answers. */
void cas_snapshot_go_offline(struct cas_snapshot *s, cas_probe_fn probe, void *probe_ctx,
			     void (*on_live)(void *ctx), void *live_ctx);
/* Starts the background retry of an offline snapshot (nothing when live).
 * Called after the process daemonized: a thread started before fork(2)
 * would not exist in the daemon. */
void cas_snapshot_start(struct cas_snapshot *s);
int cas_snapshot_offline(struct cas_snapshot *s);
/* Wall-clock ms when offline mode began and when it ended (0 = never). */
void cas_snapshot_times(struct cas_snapshot *s, int64_t *since_ms, int64_t *live_ms);

#endif
