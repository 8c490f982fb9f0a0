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

/* The name of a request kind (enum fuse_req_kind, casfs.h) and how many of
 * that kind reached mount fs (its own counters: several mounts in one
 * process count apart). */
#include "casfs.h" /* enum fuse_req_kind */
const char *fuse_req_name(enum fuse_req_kind k);
unsigned long fuse_req_count(struct casfs *fs, enum fuse_req_kind k);

#endif
