/* fuse_ops: the FUSE operations table of casfs (high-level, path based). */
#ifndef CASFS_FUSE_OPS_H
#define CASFS_FUSE_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse.h>

extern const struct fuse_operations casfs_ops;

struct casfs;
/* Stops the read-ahead workers and the kernel notifier (joins them): after
 * it returns nothing touches the fuse session, so it may be unmounted and
 * destroyed. Later cache changes are dropped, not sent. */
void casfs_stop_workers(struct casfs *fs);

#endif
