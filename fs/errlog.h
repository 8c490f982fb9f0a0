/* errlog: the last 100 failures, shown in .cas/errors as JSON lines (time,
 * path, action, HTTP status, Code, Message, RequestId), and fs_fail(), the
 * one place a failure is recorded and logged. */
#ifndef CASFS_ERRLOG_H
#define CASFS_ERRLOG_H

#include "buf.h"
#include "casfs.h"

#define ERRLOG_CAP 100

struct errlog *errlog_new(void);
void errlog_free(struct errlog *l);
void errlog_render(struct errlog *l, struct cas_buf *out);
unsigned long errlog_total(struct errlog *l);
/* Records and logs a failure of the operation on `path` (rc = -errno). */
void fs_fail(struct casfs *fs, const char *path, int rc, const struct cas_error *e);
/* The same for a lookup or read: a name that simply is not there (local
 * ENOENT) or a 404 already recorded (answered from the negative cache) is
 * not a failure worth a record; a 404 from the service is. */
void fs_fail_read(struct casfs *fs, const char *path, int rc, const struct cas_error *e);
/* Refuses an operation the tree does not allow (err > 0), leaving a record
 * that says why; under -o ro every refusal but EXDEV is EROFS. Returns -err. */
int fs_refuse(struct casfs *fs, const char *path, int err, const char *why);
/* The same, with the action the record names (the call refused, or "rmdir"/"unlink"). */
int fs_refuse_as(struct casfs *fs, const char *path, int err, const char *action, const char *why);

#endif
