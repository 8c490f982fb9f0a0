/* front: what the two FUSE fronts of casfs share. The path front
 * (fuse_ops.c, libfuse's high-level API) serves every read-write mount; the
 * inode front (llfront.c, the low-level API) serves read-only mounts at
 * kernel speed (docs/ARCHITECTURE.md, "Two fronts"). Both resolve paths
 * through the node table and hand the work to the kinds (kinds.h); this
 * module holds the start and stop of a mount's workers, the request
 * counters and the resolution that records failures. */
#ifndef CASFS_FRONT_H
#define CASFS_FRONT_H

#include <sys/statvfs.h>

#include "casfs.h"
#include "nodes.h"
#include "notify.h"

struct fuse_conn_info;
/* What both fronts ask of the kernel at INIT: no readdirplus (a listing
 * is read, entries are looked up on demand), no writeback cache, cached
 * symlink targets, atomic O_TRUNC, and -o max_read= repeated (libfuse 3
 * aborts INIT unless init() sets the value the mount option gave). */
void fs_conn_want(struct casfs *fs, struct fuse_conn_info *conn);
/* Called from the front's init, inside the FUSE loop's start: the
 * per-mount state (casfs_state_init), the notifier's thread sending its
 * invalidations to sink, read-ahead and progress. */
void casfs_start(struct casfs *fs, notify_sink sink, void *sink_ctx);
/* Stops the read-ahead workers and the kernel notifier (joins them): after
 * it returns nothing touches the fuse session, so it may be unmounted and
 * destroyed. Later cache changes are dropped, not sent. */
void casfs_stop_workers(struct casfs *fs);
/* The front's destroy: stop the workers (harmless twice), free the state. */
void casfs_finish(struct casfs *fs);

/* Counts one request of kind k for mount fs (relaxed: only .cas/stats reads). */
void fs_count(struct casfs *fs, enum fuse_req_kind k);
/* The name of a request kind and how many of that kind reached mount fs
 * (its own counters: several mounts in one process count apart). */
const char *fuse_req_name(enum fuse_req_kind k);
unsigned long fuse_req_count(struct casfs *fs, enum fuse_req_kind k);

/* Resolves path; API failures other than "not found" are recorded. */
int fs_resolve(struct casfs *fs, const char *path, struct node *n);
/* What statfs(2) shows of every mount. */
void fs_statfs(struct statvfs *sv);

#endif
