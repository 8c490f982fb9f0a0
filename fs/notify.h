/* notify: tells the kernel to forget cached attributes and pages of paths
 * whose content changed (after a mutation, a cache refresh that saw new
 * content, or .cas/refresh). Which paths show a changed document is derived
 * from the node table (each row's deps, nodes.h): this module names no
 * path but the root. Invalidations must not be sent from inside a request
 * handler, so they are queued and sent by one thread. */
#ifndef CASFS_NOTIFY_H
#define CASFS_NOTIFY_H

#include "casfs.h"

/* How the front that serves the mount tells the kernel to forget one path
 * (fuse_ops.c: the path front; llfront.c: the inode front). Called from the
 * notifier's thread only, never from a request handler. */
typedef void (*notify_sink)(void *ctx, const char *path);
struct notifier *notifier_new(void);
void notifier_start(struct notifier *n, notify_sink sink, void *ctx);
/* Joins the thread and drops what is queued; later notify_* calls are
 * no-ops. Called before the fuse session is unmounted and destroyed. */
void notifier_stop(struct notifier *n);
void notifier_free(struct notifier *n);
void notify_path(struct notifier *n, const char *path);
/* notify_path at due_ms (CLOCK_MONOTONIC milliseconds), for what changes by
 * itself when a time passes (a staging directory that settles); a path
 * queued again for later keeps the later time. */
void notify_path_at(struct notifier *n, const char *path, int64_t due_ms);
/* Every node that shows instance id: its directory and files, the lists,
 * and its links in every view (a view's groups bound from the list entry
 * the cache last reported). */
void notify_instance(struct notifier *n, const char *id);
/* Every node of the rows that show `kind` and name no variable part (e.g.
 * the cloud-access directory after an entry was added or removed). */
void notify_kind(struct notifier *n, enum cas_ck kind);
/* Every file the tree can hold, from the given lists (any may be NULL). */
void notify_tree(struct notifier *n, struct cas_instances *l, struct cas_entries *access, struct cas_entries *ca,
		 struct cas_certs *store);
unsigned long notify_sent(struct notifier *n);
/* Waits until everything queued so far was sent, at most timeout_ms
 * (0, or -ETIMEDOUT). Only from a handler that holds no page of a file the
 * queue may invalidate (e.g. the direct_io .cas/refresh), or the kernel
 * and this wait would hold each other up until the timeout. */
int notify_wait(struct notifier *n, int timeout_ms);
/* The cache's change hook: maps changed content to paths (every call's;
 * the list it keeps is the one of the latest gen, cache.h). */
void notify_on_cache_change(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value,
			    uint64_t gen);

#endif
