/* statedb: the per-account state database (SQLite) that survives a remount.
 * It owns the file (<state_dir>/account-<hash>.db, directory 0700, file
 * 0600, WAL, busy timeout so several mounts of one account share it), its
 * schema, and every statement run against it:
 *   stamps   path inode -> content hash and when that content was first seen,
 *            and when a mount last showed the path (seen_ms): a path not
 *            shown for 90 days (a deleted instance's) is pruned at close
 *   calls    API calls per billing month and class (read, write)
 *   journal  every mutation sent: time, path, action, fields old/new,
 *            RequestId, outcome, and the local uid, pid and process name
 *   snapshot the last listing and details as fetched (the offline snapshot)
 * A file that is corrupt or of another schema is moved aside (with a
 * warning) and a new one started. Secrets are never handed to it.
 *
 * Degrading safely: every function returns a result the caller can ignore;
 * a database error is counted, logged and passed to the error hook (at most
 * once per 10 s, with the count of those in between), never turned into a
 * failed read or a hidden mutation outcome.
 *
 * Lock rule: one mutex (db->mu) guards the connection and every statement;
 * no other lock is taken while it is held, and the error hook is called
 * after it is released. */
#ifndef CAS_STATEDB_H
#define CAS_STATEDB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct statedb;

/* Opens (creating) the database of `account` (a short non-secret name) in
 * dir (created 0700 with parents; an existing one is never changed, and
 * refused as statedb_dir_refusal says). NULL on failure, with a warning logged:
 * the mount then runs without persisted state. */
struct statedb *statedb_open(const char *dir, const char *account);
/* A database of this mount only (-o no_state, or when the file cannot be used):
 * the journal and the counts then cover this mount and vanish at unmount. */
struct statedb *statedb_open_memory(void);
/* Around fork(2) (fs/daemon.c's daemon_start): suspend closes the file's connection
 * in the parent (an in-memory database stays), resume opens the daemon's
 * own and records its pid as the mount's. Nothing may use db in between;
 * if the file cannot be reopened, the mount goes on with an in-memory one. */
void statedb_suspend(struct statedb *db);
void statedb_resume(struct statedb *db);
/* True for a database kept in a file. */
int statedb_persistent(const struct statedb *db);
void statedb_close(struct statedb *db);
const char *statedb_path(const struct statedb *db);
/* Why an existing directory must not hold a state database (a one-line
 * reason in msg, -1): its group or everyone may write to it without the
 * sticky bit. 0 otherwise, also when it is missing (statedb_open creates
 * it 0700) or is no directory (statedb_open warns and goes on in memory);
 * an existing directory's mode is never changed. */
int statedb_dir_refusal(const char *dir, char *msg, size_t n);
/* The default directory: $STATE_DIRECTORY (systemd's StateDirectory=),
 * else $XDG_STATE_HOME/casfs, else ~/.local/state/casfs (malloc'd; NULL
 * when none of them is set). */
char *statedb_default_dir(void);
/* Database errors seen since open. */
unsigned long statedb_errors(struct statedb *db);
/* Called (without the lock) with a one-line description of each database error. */
void statedb_set_error_hook(struct statedb *db, void (*fn)(void *ctx, const char *what), void *ctx);

/* stamps */
typedef void (*statedb_stamp_fn)(void *ctx, uint64_t ino, uint64_t hash, int64_t mtime_ns);
void statedb_stamps_load(struct statedb *db, statedb_stamp_fn fn, void *ctx);
struct statedb_stamp {
	uint64_t ino, hash;
	int64_t mtime_ns;
};
/* Stores n stamps in one transaction. */
void statedb_stamps_put(struct statedb *db, const struct statedb_stamp *v, size_t n);
size_t statedb_stamps_count(struct statedb *db);

/* calls: month is "YYYY-MM"; class is "read" or "write". */
enum statedb_class { STATEDB_READ, STATEDB_WRITE, STATEDB_NCLASS };
extern const char *const statedb_class_names[STATEDB_NCLASS];
/* Counts one call of `cls` in `month`, unless budget > 0 and the month's
 * total (both classes) is already >= budget: then returns 1 and counts
 * nothing. 0 when counted; -1 when the database failed (locked past the
 * busy timeout): nothing counted in it, the caller may try again.
 * after[] receives the month's counts after the call (or the in-memory
 * figure when the database failed). Atomic across mounts. */
int statedb_call_take(struct statedb *db, const char *month, enum statedb_class cls, uint64_t budget,
		      uint64_t after[STATEDB_NCLASS]);
/* Adds n[class] calls to `month` whatever the budget (calls that were
 * sent); 0, or -1 when the database failed. */
int statedb_calls_add(struct statedb *db, const char *month, const uint64_t n[STATEDB_NCLASS]);
void statedb_calls_get(struct statedb *db, const char *month, uint64_t out[STATEDB_NCLASS]);

/* journal */
struct statedb_journal_rec {
	int64_t time_ms;
	const char *path, *action;
	const char *fields;      /* JSON object {"Field":{"old":..,"new":..}} or NULL */
	const char *outcome;     /* "pending", "ok", "error", "ambiguous", "dry_run" */
	const char *request_id, *code, *message;
	int err;                 /* positive errno, 0 */
	int64_t uid, pid;        /* who asked (the writing process), -1 = unknown */
	const char *process;     /* its name (comm), or NULL */
};
/* Appends a record; returns its sequence number (> 0) or 0 on error. */
int64_t statedb_journal_add(struct statedb *db, const struct statedb_journal_rec *r);
/* Sets the outcome of record seq (and its fields, when r->fields is set:
 * what only the answer tells, e.g. an upload's CertificateId). */
void statedb_journal_finish(struct statedb *db, int64_t seq, const struct statedb_journal_rec *r);
/* Renders the last `limit` records, oldest first, one JSON object a line. */
void statedb_journal_render(struct statedb *db, size_t limit, struct cas_buf *out);

/* snapshot: (kind, key) -> text, with when it was stored. */
void statedb_snapshot_put(struct statedb *db, int kind, const char *key, const char *text, size_t len);
/* The stored text (malloc'd, *len set) or NULL; *stored_ms when it was stored. */
char *statedb_snapshot_get(struct statedb *db, int kind, const char *key, size_t *len, int64_t *stored_ms);
size_t statedb_snapshot_count(struct statedb *db);
/* Deletes the rows of `kind` whose key is not one of keys[0..n) (the
 * instances or certificates a complete listing no longer has). */
void statedb_snapshot_keep(struct statedb *db, int kind, const char *const *keys, size_t n);

#endif
