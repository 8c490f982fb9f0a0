/* journal: the record of every mutation sent through the mount, kept in the
 * state database (the last 1,000, across mounts) and shown in .cas/journal
 * as JSON lines: time, path, action, the fields with old and new values,
 * RequestId, outcome, and who asked (uid, pid and name of the process). A
 * record is written "pending" before the call and finished after it ("ok", "error", "ambiguous" when the service may or may
 * not have applied it, "dry_run"); a record left "pending" by a mount
 * process that is gone is shown "interrupted": a call whose outcome casfs
 * never learned. Secrets
 * (SecretKey) are never passed in. */
#ifndef CASFS_JOURNAL_H
#define CASFS_JOURNAL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "nodes.h"

#define JOURNAL_SHOW 1000

/* Starts a record; fields (may be NULL) is taken. Returns the handle for
 * journal_end (0: neither journal nor feed). A record the state database
 * cannot take (locked, failing) is missing from the journal, but the
 * mutation still gets its line in .cas/events. */
int64_t journal_begin(struct casfs *fs, const char *path, const char *action, cJSON *fields);
/* Finishes the record with the call's result (rc = 0 or -errno). */
void journal_end(struct casfs *fs, int64_t seq, int rc, const struct cas_error *e);
/* journal_end whose fields (taken; NULL: those of journal_begin) replace
 * the record's: what only the answer tells (an upload's CertificateId). */
void journal_end_fields(struct casfs *fs, int64_t seq, int rc, const struct cas_error *e, cJSON *fields);

#endif
