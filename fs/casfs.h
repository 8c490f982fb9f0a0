/* casfs: the mount's shared state, handed to every FUSE handler through
 * fuse_get_context()->private_data, and the snapshot type every file
 * renders into. */
#ifndef CASFS_H
#define CASFS_H

#include <pthread.h>
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
	char *log_file, *log_level; /* -o log_file=, -o log_level=: where and how much to log */
	double ttl, qps, timeout, max_stale;
	int ro, dry_run, debug, foreground, show_help, show_version;
	int allow_delete, nonempty; /* consent to delete remotely; mount over a non-empty directory */
	int keys;       /* -o keys: show key.pem (certificates' private keys) */
	char *front;    /* -o front=path: a read-only mount on the path front (llfront.h) */
	int hl_options; /* an option of libfuse's high-level API was given (kernel_cache, attr_timeout=, ...) */
	unsigned max_read; /* libfuse's -o max_read=N, also told to the kernel at INIT (0: none) */
	char *mountpoint;
	char *state_dir;       /* -o state_dir= (default $XDG_STATE_HOME/casfs) */
	int no_state, offline; /* -o no_state, -o offline */
	double call_budget;    /* -o call_budget=N calls per billing month; 0 = none */
	/* -o umask=, uid=, gid=: taken by casfs, never passed to libfuse (whose
	 * versions replace every mode); see nodes.h, node_mode() */
	mode_t umask;          /* bits cleared from every row's mode (0: none) */
	int set_uid, set_gid;  /* uid=/gid= given: the owner of the API nodes */
	uid_t uid;
	gid_t gid;
	char *account;         /* -o account=NAME: the state's key instead of the credentials' identity */
	int insecure_http;     /* -o insecure_http: allow http:// to a host other than this machine */
	double watch;          /* -o watch=SECONDS: re-list the account on this period (0: off) */
	char *share;           /* -o share=redis://HOST:PORT[/DB]: a fleet's shared state (fleet.h) */
	char *share_password_file; /* -o share_password_file=: its password (0600) */
};

/* Requests that reached casfs since the mount, by kind (.cas/stats
 * "fuse_requests", front.c). On the path front a kernel LOOKUP arrives as
 * getattr (high-level API); only the inode front sees lookup and forget. */
enum fuse_req_kind {
	FREQ_LOOKUP, FREQ_FORGET, FREQ_GETATTR, FREQ_READLINK, FREQ_OPENDIR, FREQ_READDIR, FREQ_RELEASEDIR, FREQ_OPEN, FREQ_CREATE,
	FREQ_READ, FREQ_WRITE, FREQ_FLUSH, FREQ_RELEASE, FREQ_ACCESS, FREQ_OTHER, FREQ_N
};

struct fs_stats {
	atomic_ulong commits, commit_errors, noop_commits, validation_errors;
	atomic_ulong scratch_files;
	atomic_ulong outcome_unknown;  /* mutations that may or may not have been applied (EIO) */
	atomic_ulong requests[FREQ_N]; /* this mount's FUSE requests (relaxed: only .cas/stats reads them) */
};

struct scratch;
struct store;
struct memo;
struct errlog;
struct notifier;
struct handle;
struct ilocks;
struct statedb;
struct cas_accounting;
struct cas_snapshot;
struct progress;
struct events;
struct watch;

/* Lock order (docs/ARCHITECTURE.md §3 has every lock and where its rule is
 * written). A thread holding a lock may take only locks below it:
 *   1. a handle's mutex (apifile.c): held across its commit, a network call;
 *      beside it, never with it, the store's upload_mu (store.h): held across
 *      one staging directory's commit rule
 *   2. an instance's writer lock (ilock.c): held across GetInstanceDetail and
 *      UpdateInstance / DeleteInstance of that one instance
 *   3. the change feed's diff_mu (events.h): one listing's diff, from the
 *      cache's change hook; takes the feed's mu, then the notifier's
 *   4. leaves, never taking another lock: handles_mu, the lock table's
 *      mutex, scratch, memo, errlog, notifier, the feed's mu, stamps,
 *      sort_mu, watch, the store's table mutex (store.h: a refusal found
 *      under it is recorded after it is released), the cache's mutex (never held across a call),
 *      accounting, the state database (disk, never the network), workers
 *      (prefetch, progress, snapshot), the client's counters, rate limiters,
 *      meter, pools and pager.
 * No lock is shared by unrelated instances or handles. */
struct casfs {
	/* set before the FUSE loop starts, then read-only */
	struct casfs_opts o;
	struct cas_client *client;
	struct cas_cache *cache;
	struct cas_api *api;           /* the cache's face: every read and write goes here */
	struct cas_prefetch *prefetch;       /* details; set by init (fuse_ops.c) */
	struct cas_prefetch *prefetch_cert;  /* certificates; set by init */
	struct cas_stamps *stamps;
	struct scratch *scratch;
	struct store *store;           /* certificates/: names memo and staged uploads (store.h); set by init */
	struct memo *memo;
	struct errlog *errors;
	struct notifier *notify;
	struct statedb *state;         /* per-account state database (in memory with -o no_state) */
	struct cas_accounting *acct;   /* monthly call accounting and budget */
	struct cas_snapshot *snapshot; /* offline snapshot, between the client and the cache */
	struct progress *progress;     /* progress lines for long work (progress.h); set by init */
	struct events *events;         /* .cas/events, the change feed (NULL: none, e.g. unit tests) */
	struct watch *watch;           /* -o watch: the re-listing thread (started after the fork) */
	struct share *share;           /* -o share=: the fleet's Redis (fleet.h); NULL: alone */
	const char *front;             /* "path" or "inode": the front serving the mount (main.c); NULL: none */
	uid_t uid;
	gid_t gid;
	/* each of these objects has its own lock inside */
	struct ilocks *locks;          /* per-instance writer locks; set by init */
	struct fs_stats st;            /* atomics */
	/* open handles (handle.c) */
	pthread_mutex_t handles_mu;    /* protects handles and each handle's prev/next */
	struct handle *handles;
};

/* The per-mount state init creates and destroy frees (fuse_ops.c; unit
 * tests call them around a struct casfs of their own). */
void casfs_state_init(struct casfs *fs);
void casfs_state_free(struct casfs *fs);


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
