/* casfs: the mount's shared state, handed to every FUSE handler through
 * fuse_get_context()->private_data, and the snapshot type every file
 * renders into. */
#ifndef CASFS_H
#define CASFS_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache.h"
#include "cas.h"
#include "client.h"
#include "model.h"
#include "prefetch.h"
#include "stamps.h"

struct casfs_opts {
	char *endpoint, *region, *profile, *cafile, *config_path;
	char *log_file, *log_level; /* operations (issue 13): where and how much to log */
	double ttl, qps, timeout, max_stale;
	int ro, dry_run, debug, foreground, show_help, show_version;
	int allow_delete, nonempty; /* consent to delete remotely; mount over a non-empty directory */
	int keys;       /* -o keys: show key.pem (certificates' private keys) */
	char *mountpoint;
	char *state_dir;       /* -o state_dir= (default $XDG_STATE_HOME/casfs) */
	int no_state, offline; /* -o no_state, -o offline */
	double call_budget;    /* -o call_budget=N calls per billing month; 0 = none */
};

struct fs_stats {
	atomic_ulong commits, commit_errors, noop_commits, validation_errors;
	atomic_ulong scratch_files;
	atomic_ulong outcome_unknown;  /* mutations that may or may not have been applied (EIO) */
};

struct scratch;
struct overrides;
struct memo;
struct errlog;
struct notifier;
struct statedb;
struct cas_accounting;
struct cas_snapshot;
struct progress;

struct casfs {
	struct casfs_opts o;
	struct cas_client *client;
	struct cas_cache *cache;
	struct cas_api *api;           /* the cache's face: every read and write goes here */
	struct cas_prefetch *prefetch;       /* details */
	struct cas_prefetch *prefetch_cert;  /* certificates */
	struct cas_stamps *stamps;
	struct scratch *scratch;
	struct overrides *ov;
	struct memo *memo;
	struct errlog *errors;
	struct notifier *notify;
	struct statedb *state;         /* per-account state database (in memory with -o no_state) */
	struct cas_accounting *acct;   /* monthly call accounting and budget */
	struct cas_snapshot *snapshot; /* offline snapshot, between the client and the cache */
	struct progress *progress;     /* progress lines for long work (issue 13) */
	struct fs_stats st;
	uid_t uid;
	gid_t gid;
	int64_t start_wall;
};

struct casfs *casfs_get(void); /* the mount's state, from the FUSE context */

/* An immutable rendering of one file: what one open reads. */
struct snap {
	struct cas_obj obj;
	uint64_t hash;
	size_t len;
	const char *data;
	void *owner;    /* a referenced object holding data, or NULL when data is inline */
	char inline_data[];
};

struct snap *snap_new(const char *data, size_t len);
struct snap *snap_of_doc(struct cas_doc *d); /* zero-copy; takes its own reference */
/* Zero-copy view of data inside owner (referenced), with the given content hash. */
struct snap *snap_of_bytes(void *owner, const char *data, size_t len, uint64_t hash);

#endif
