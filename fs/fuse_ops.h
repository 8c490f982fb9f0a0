/* fuse_ops: the FUSE operations table of casfs (high-level, path based). */
#ifndef CASFS_FUSE_OPS_H
#define CASFS_FUSE_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse.h>

extern const struct fuse_operations casfs_ops;

#endif
