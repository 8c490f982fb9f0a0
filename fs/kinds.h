/* kinds: the operations of each kind of node (procfs's inode and file
 * operations) and the per-row functions that rows of the node table point
 * to. Kinds: API nodes (files, directories and links the service backs:
 * apinode.c, apifile.c), scratch entries (scratchfile.c), .cas/events
 * (eventfile.c) and the certificate store's staging directories, staged
 * files and PEM files (store.c, storeviews.c; declared in store.h). Row
 * functions: render.c (content, same-meaning), certfiles.c (certificates),
 * expiry.c (by-expiry's windows), commit.c (writes and removals), control.c
 * (the .cas directory), journal.c (.cas/journal), metrics.c
 * (.cas/metrics.prom), tree.c (variable children and views).
 *
 * Ownership: every `struct snap **out` and `struct cas_entries **out` is
 * a new reference the caller drops with cas_obj_unref(); *out is NULL on
 * failure. `data` passed to a commit is the caller's. Functions fill the
 * cas_error on failure and return a negative errno; none of them records
 * the failure (the FUSE layer does, once). */
#ifndef CASFS_KINDS_H
#define CASFS_KINDS_H

#include <sys/types.h>
#include <time.h>

#include "nodes.h"

struct handle;
struct cas_buf;

/* One metadata change (chmod, chown, utimens). */
enum attr_what { ATTR_MODE, ATTR_OWNER, ATTR_TIMES };
struct attr_change {
	enum attr_what what;
	mode_t mode;
	uid_t uid;                     /* (uid_t)-1: unchanged */
	gid_t gid;                     /* (gid_t)-1: unchanged */
	const struct timespec *tv;     /* [atime, mtime], UTIME_NOW/UTIME_OMIT allowed; NULL: now */
};

/* Every operation returns 0 (or a byte count) or a negative errno and
 * records its own refusals. NULL means "not supported by this kind". */
struct kind_ops {
	/* h: an open handle of n, or NULL */
	int (*getattr)(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st);
	/* flags: open(2)'s. Returns a handle (which sets direct_io/keep_cache) or NULL with *rc. */
	struct handle *(*open)(struct casfs *fs, const struct node *n, int flags, int *rc);
	ssize_t (*read)(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off);
	/* pid: the writing thread (from the FUSE request) */
	ssize_t (*write)(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid);
	/* h: the handle the truncate came through, or NULL */
	int (*truncate)(struct casfs *fs, const struct node *n, struct handle *h, off_t size);
	int (*flush)(struct casfs *fs, struct handle *h, pid_t pid);
	/* final: the kernel's RELEASE (0 at unmount: nothing is committed any more) */
	void (*release)(struct casfs *fs, struct handle *h, int final);
	int (*setattr)(struct casfs *fs, const struct node *n, const struct attr_change *a);
	/* renames n to `name` in directory dir (resolved; flags: rename(2)'s;
	 * uid/gid: the caller's, for a file the rename creates) */
	int (*rename)(struct casfs *fs, const struct node *n, const struct node *dir, const char *name, unsigned flags,
		      uid_t uid, gid_t gid);
	/* the atomic save: a file renamed onto a node of this kind hands its bytes here */
	int (*receive)(struct casfs *fs, const struct node *n, const char *data, size_t len);
	/* on a variable row: creates an empty entry (file or directory, per the
	 * row's mode) `name` in dir (-EEXIST if it exists) */
	int (*create)(struct casfs *fs, const struct node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid);
	/* on a variable row: creates or replaces `name` in dir with a copy of data */
	int (*put)(struct casfs *fs, const struct node *dir, const char *name, const char *data, size_t len, mode_t mode,
		   uid_t uid, gid_t gid);
};

extern const struct kind_ops api_file_ops;    /* apinode.c: files and links the service backs */
extern const struct kind_ops api_dir_ops;     /* apinode.c: directories */
extern const struct kind_ops scratch_file_ops; /* scratchfile.c */
extern const struct kind_ops scratch_dir_ops;  /* scratchfile.c */
extern const struct kind_ops events_file_ops;  /* eventfile.c: .cas/events */

/* apinode.c: the target of a rename of n to name in dir, after the checks
 * every kind shares (same directory or -EXDEV; RENAME_NOREPLACE). 1 with
 * *dst filled when the target exists, 0 when not, or -errno. */
int rename_target(struct casfs *fs, const struct node *n, const struct node *dir, const char *name,
		  unsigned flags, struct node *dst);

/* render.c */
void add_iso8601(struct cas_buf *b, int64_t ms); /* UTC, "2024-01-31T12:00:00Z" */
int render_detail(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_config(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_value(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_tags(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_csr(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_empty(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_link(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_summary(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_entry(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_jsonl(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int same_config(const struct snap *written, const struct snap *current); /* the same update fields */
int same_tags(const struct snap *written, const struct snap *current);   /* the same set of lines */
int same_line(const struct snap *written, const struct snap *current);   /* equal up to trailing blanks */

/* certfiles.c: the leaf, the chain, both, and the private key */
enum cert_part { PEM_LEAF, PEM_CHAIN, PEM_FULLCHAIN, PEM_KEY };
/* cert.pem, chain.pem, fullchain.pem or key.pem of certificate cid, from its
 * cached GetUserCertificateDetail, zero-copy (key.pem's hash comes from the
 * leaf, never from the key) */
int render_cert_pem(struct casfs *fs, const char *cid, enum cert_part part, struct snap **out, struct cas_error *e);
int render_cert_leaf(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_cert_chain(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_cert_fullchain(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_cert_key(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int exists_cert_file(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		     struct cas_error *e);

/* expiry.c: by-expiry's groups (names_fn and holds_fn of its row) */
const char *expiry_window(size_t i); /* "expired", "7d", ...; NULL past the last */
int expiry_holds(const char *group, const struct cas_instance *it, int64_t as_of_ms);

/* control.c */
int render_stats(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_errors(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int commit_refresh(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
/* Drops every cache, the kernel's included, and logs why (.cas/refresh, going live). */
void control_refresh_all(struct casfs *fs, const char *why);

/* journal.c: .cas/journal */
int render_journal(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);

/* metrics.c: .cas/metrics.prom */
int render_metrics(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);

/* commit.c */
int commit_config(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_value(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_tags(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_csr(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_refund(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_access_new(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int remove_instance(struct casfs *fs, const struct node *n, struct cas_error *e);
int remove_access(struct casfs *fs, const struct node *n, struct cas_error *e);

/* scratchfile.c */
int list_scratch(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		 struct cas_error *e);
int exists_scratch(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		   struct cas_error *e);
int remove_scratch(struct casfs *fs, const struct node *n, struct cas_error *e);

#endif
