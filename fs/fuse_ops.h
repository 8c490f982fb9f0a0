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

/* Requests that reached casfs since the mount, by kind (.cas/stats
 * "fuse_requests"). A kernel LOOKUP arrives as getattr (high-level API). */
enum fuse_req_kind {
	FREQ_GETATTR, FREQ_READLINK, FREQ_OPENDIR, FREQ_READDIR, FREQ_RELEASEDIR, FREQ_OPEN, FREQ_CREATE,
	FREQ_READ, FREQ_WRITE, FREQ_FLUSH, FREQ_RELEASE, FREQ_ACCESS, FREQ_OTHER, FREQ_N
};
const char *fuse_req_name(enum fuse_req_kind k);
unsigned long fuse_req_count(enum fuse_req_kind k);

#endif
