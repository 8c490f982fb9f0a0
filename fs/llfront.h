/* llfront: the inode front, which serves read-only mounts (-o ro with a
 * ttl, without -o keys) through libfuse's low-level API so that the kernel
 * answers warm reads itself. It declines OPEN and OPENDIR (ENOSYS), after
 * which the kernel sends neither again on the connection and keeps pages
 * and listings; per-open consistency comes from the inodes instead: every
 * kernel inode of a file is one immutable snapshot, and a path whose
 * content changed gets a new inode (docs/ARCHITECTURE.md, "Two fronts"). */
#ifndef CASFS_LLFRONT_H
#define CASFS_LLFRONT_H

#include "casfs.h"

struct fuse_args;
struct fuse_session;
struct llfront;

/* Would this mount be served by the inode front? (Its options alone.) */
int llfront_wanted(const struct casfs_opts *o);
/* A session serving fs (args: libfuse's, the mount point already parsed
 * out of them), or NULL after libfuse printed why. */
struct llfront *llfront_new(struct casfs *fs, struct fuse_args *args);
struct fuse_session *llfront_session(struct llfront *fr);
/* Destroys the session (its destroy callback frees the mount's per-mount
 * state, as the path front's does) and the inode table. */
void llfront_free(struct llfront *fr);

#endif
