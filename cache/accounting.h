/* accounting: API calls per billing month and class (read = List/Get,
 * write = mutating), counted across mounts and restarts in the state
 * database, the free-tier warnings (80% and 100% of 1,000 reads and 100
 * writes, logged by the mount whose call crosses the line, and at start
 * when already past), and the monthly call budget (-o call_budget=N: past
 * N calls of either class this month every further call is refused with
 * EDQUOT before it is sent).
 *
 * The billing month is the calendar month in UTC+8 (China Standard Time),
 * the time zone of Alibaba Cloud's billing. Without a database the figures
 * are this mount's own and the budget holds per mount.
 *
 * A call never waits on the database for more than GATE_WAIT_MS (200 ms):
 * one counter thread takes the calls to the database in order, and a call
 * whose count has not been answered by then (another process holds the
 * database's lock) is decided by the figures the database gave last plus
 * the calls queued since, and sent; the counter counts it later.
 *
 * A call the gate let through is counted whatever the budget says by then
 * (another mount may have used it up meanwhile): it was sent.
 *
 * Lock rule: mu guards the in-memory counts, the warned flags and the
 * queue; it is never held while the database is called (only the counter
 * thread calls it, without mu). */
#ifndef CAS_ACCOUNTING_H
#define CAS_ACCOUNTING_H

#include <stdint.h>
#include <time.h>

#include "cas.h"
#include "statedb.h"

#define CAS_FREE_READS 1000
#define CAS_FREE_WRITES 100

struct cas_accounting;

/* db may be NULL; budget 0 = no budget. */
struct cas_accounting *cas_accounting_new(struct statedb *db, uint64_t budget);
void cas_accounting_free(struct cas_accounting *a);
/* The process is final (called after the daemon's fork (fs/daemon.c), also with -f):
 * only now may the counter thread start. Before, a call is decided from the
 * figures in memory and its ticket waits here; every call sent is counted
 * (at the latest at cas_accounting_free). */
void cas_accounting_start(struct cas_accounting *a);
/* The client gate (client.h): counts the call, or refuses it with -EDQUOT. */
int cas_accounting_gate(void *ctx, enum cas_action action, struct cas_error *e);

/* "YYYY-MM" of the billing month containing t (UTC+8). */
void cas_billing_month(time_t t, char out[8]);

struct cas_accounting_view {
	char month[8];
	uint64_t calls[STATEDB_NCLASS];  /* this billing month, every mount of the account */
	uint64_t budget;                 /* 0 = none */
	uint64_t refused;                /* calls this mount refused for the budget */
	uint64_t uncounted;              /* calls this mount sent that the database has not counted (yet) */
	int persisted;                   /* counted in the state database */
};
void cas_accounting_view(struct cas_accounting *a, struct cas_accounting_view *v);

/* -o share=: the fleet's count (share_count_call): 0 counted, 1 refused by
 * the budget (the fleet's calls this month reached it), -1 unavailable.
 * When it answers, its verdict refuses a call for every mount of the fleet;
 * the state database still counts this host's calls. Set before the first
 * call; called without a->mu held. */
typedef int (*cas_fleet_count_fn)(void *ctx, const char *month, int write, const char *action, uint64_t budget);
void cas_accounting_set_fleet(struct cas_accounting *a, cas_fleet_count_fn fn, void *ctx);

#endif
