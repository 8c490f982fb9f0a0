/* front: what the two FUSE fronts share (see front.h). */
#define FUSE_USE_VERSION 314
#include "front.h"

#include <stdatomic.h>
#include <string.h>

#include <fuse_lowlevel.h>

#include "errlog.h"
#include "handle.h"
#include "ilock.h"
#include "progress.h"
#include "store.h"
#include "watch.h"

/* Requests that reached casfs, by kind, counted in the mount's own struct
 * casfs (fs->st.requests). The path front answers a kernel LOOKUP with
 * getattr (libfuse's high-level API), so its lookups count there; the inode
 * front counts lookup and forget apart. Relaxed atomics: handlers run on
 * many threads and only .cas/stats reads them. */
static const char *const req_names[FREQ_N] = {
	[FREQ_LOOKUP] = "lookup",   [FREQ_FORGET] = "forget",         [FREQ_GETATTR] = "getattr",
	[FREQ_READLINK] = "readlink", [FREQ_OPENDIR] = "opendir",     [FREQ_READDIR] = "readdir",
	[FREQ_RELEASEDIR] = "releasedir", [FREQ_OPEN] = "open",       [FREQ_CREATE] = "create",
	[FREQ_READ] = "read",       [FREQ_WRITE] = "write",           [FREQ_FLUSH] = "flush",
	[FREQ_RELEASE] = "release", [FREQ_ACCESS] = "access",         [FREQ_OTHER] = "other",
};

void fs_count(struct casfs *fs, enum fuse_req_kind k)
{
	atomic_fetch_add_explicit(&fs->st.requests[k], 1, memory_order_relaxed);
}

const char *fuse_req_name(enum fuse_req_kind k)
{
	return req_names[k];
}

unsigned long fuse_req_count(struct casfs *fs, enum fuse_req_kind k)
{
	return atomic_load_explicit(&fs->st.requests[k], memory_order_relaxed);
}

int fs_resolve(struct casfs *fs, const char *path, struct node *n)
{
	struct cas_error e;
	cas_error_clear(&e);
	int rc = node_resolve(fs, path, n, &e);
	if (rc)
		fs_fail_read(fs, path, rc, &e);
	return rc;
}

void fs_statfs(struct statvfs *sv)
{
	memset(sv, 0, sizeof(*sv));
	/* as s3fs and rclone do: a remote account has no meaningful size, so
	 * report effectively unlimited free space and inodes (1 PiB, 2^30 files,
	 * none used), which df, editors and monitoring ("out of inodes" alerts)
	 * take at face value; the scratch limits (SCRATCH_MAX_FILES, the size
	 * limit) stay what they are: ENOSPC/EFBIG where a create or write hits them */
	sv->f_bsize = sv->f_frsize = 4096;
	sv->f_blocks = sv->f_bfree = sv->f_bavail = 1ULL << 38;
	sv->f_files = sv->f_ffree = sv->f_favail = 1ULL << 30;
	sv->f_namemax = 255;
}

void fs_conn_want(struct casfs *fs, struct fuse_conn_info *conn)
{
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* readdirplus makes libfuse look every listed entry up again (a second
	 * stat of each), while the kernel keeps entries and attributes for the
	 * ttl anyway: plain readdir plus lookups on demand costs less */
	conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* symlink targets (by-status) never change for a path; invalidation drops them */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/* the mount option is the kernel's; libfuse compares init()'s value
	 * with it and refuses the session when they differ (libfuse #91) */
	conn->max_read = fs->o.max_read;
}

void casfs_state_init(struct casfs *fs)
{
	pthread_mutex_init(&fs->handles_mu, NULL);
	fs->handles = NULL;
	fs->locks = ilocks_new();
	fs->store = store_new();
}

void casfs_state_free(struct casfs *fs)
{
	handle_release_all(fs);
	ilocks_free(fs->locks);
	fs->locks = NULL;
	store_free(fs->store);
	fs->store = NULL;
	pthread_mutex_destroy(&fs->handles_mu);
}

void casfs_start(struct casfs *fs, notify_sink sink, void *sink_ctx)
{
	casfs_state_init(fs);
	notifier_start(fs->notify, sink, sink_ctx);
	/* with ttl=0 nothing read ahead would still be fresh when it is read */
	fs->prefetch = fs->o.ttl > 0 ? cas_prefetch_new(fs->cache, CAS_CK_DETAIL, 16, 8) : NULL;
	fs->prefetch_cert = fs->o.ttl > 0 ? cas_prefetch_new(fs->cache, CAS_CK_CERT, 16, 8) : NULL;
	fs->progress = progress_start(fs);
}

void casfs_stop_workers(struct casfs *fs)
{
	watch_stop(fs->watch);
	fs->watch = NULL;
	progress_stop(fs->progress);
	fs->progress = NULL;
	cas_prefetch_free(fs->prefetch);
	cas_prefetch_free(fs->prefetch_cert);
	fs->prefetch = fs->prefetch_cert = NULL;
	notifier_stop(fs->notify);
}

void casfs_finish(struct casfs *fs)
{
	casfs_stop_workers(fs); /* already done by main after the loop; harmless twice */
	casfs_state_free(fs);
}
