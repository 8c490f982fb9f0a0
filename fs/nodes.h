/* nodes: the tree as one table of node kinds (procfs style). Each row names
 * a kind, its parent kind, its mode, and what it does: render (content),
 * commit (a write), remove (unlink/rmdir), and for directories with
 * variable children, list/exists. Path resolution, lookup and readdir are
 * generic walks over this table. */
#ifndef CASFS_NODES_H
#define CASFS_NODES_H

#include <stddef.h>
#include <sys/stat.h>

#include "casfs.h"

enum node_type {
	T_ROOT,
	T_INSTANCES, T_INSTANCE,
	T_DETAIL, T_CONFIG, T_STATUS, T_CERT_STATUS, T_DOMAIN, T_NAME, T_AUTO_REISSUE, T_KEY_ALG,
	T_NOT_BEFORE, T_NOT_AFTER, T_TAGS, T_CSR,
	T_CERT_PEM, T_CHAIN_PEM, T_FULLCHAIN_PEM, T_KEY_PEM,
	T_REFUND, T_SCRATCH, T_SCRATCH_DIR,
	T_BY_STATUS, T_STATUS_DIR, T_STATUS_LINK,
	T_BY_EXPIRY, T_EXPIRY_DIR, T_EXPIRY_LINK,
	T_SUMMARY, T_INSTANCES_JSONL,
	T_ACCESS, T_ACCESS_NEW, T_ACCESS_ENTRY,
	T_CA, T_CA_ENTRY,
	T_CTL, T_CTL_STATS, T_CTL_ERRORS, T_CTL_JOURNAL, T_CTL_REFRESH,
	T_N
};

/* How a write buffer is judged complete (see handle.c). */
enum complete_rule { C_NONE, C_JSON, C_LINE, C_PEM, C_TAGS, C_ANY };

enum node_flags {
	NF_HIDDEN = 1,     /* not listed by readdir */
	NF_DIRECT = 2,     /* direct_io: bypass the page cache (secrets, live counters) */
	NF_DETAIL = 4,     /* rendered from GetInstanceDetail */
	NF_CHEAP = 8,      /* attributes are cheap (no per-instance call): offered in readdirplus */
	NF_OVERRIDE = 16,  /* after a write, reads return the written bytes while they mean the same */
	NF_SCRATCH = 32,   /* a user's scratch entry held by scratch.c, not an API node */
	NF_DESTROYS = 64,  /* removing it deletes something remotely: needs -o allow_delete */
	NF_SECRET = 128,   /* writes carry a secret: the buffer is wiped as soon as it was committed */
	NF_CERT = 256,     /* rendered from GetUserCertificateDetail (read ahead like NF_DETAIL) */
};

/* A resolved path. Strings point into `buf`. */
struct node {
	int type;
	const char *id;     /* instance id, status, access id or CA id */
	const char *name;   /* status-link instance id or scratch name */
	char path[4096];
	uint64_t ino;
	char buf[1024];
};

struct namelist {
	char **v;
	size_t n, cap;
};
void namelist_add(struct namelist *l, const char *name);
void namelist_free(struct namelist *l);

typedef int (*render_fn)(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
typedef int (*commit_fn)(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
typedef int (*remove_fn)(struct casfs *fs, const struct node *n, struct cas_error *e);
typedef int (*list_fn)(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e);
/* 1 = present, 0 = absent, <0 = error */
typedef int (*exists_fn)(struct casfs *fs, const struct node *parent, const char *name, struct cas_error *e);

struct node_kind {
	const char *name;       /* fixed name; NULL for a variable child */
	int parent;
	mode_t mode;
	unsigned flags;
	enum complete_rule complete;
	const char *action;     /* the API action a write performs (for error records) */
	render_fn render;
	commit_fn commit;
	remove_fn remove;
	list_fn list;           /* variable children of a directory row */
	exists_fn exists;       /* variable row: is `name` a child? fixed row: present? */
};

extern const struct node_kind node_kinds[T_N];

/* Resolves an absolute path. 0, -ENOENT, or another -errno from the API. */
int node_resolve(struct casfs *fs, const char *path, struct node *n, struct cas_error *e);
/* Appends the children of a directory node, in stable order. */
int node_children(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e);
/* Resolves a child of a resolved directory without re-walking the path. */
int node_child(struct casfs *fs, const struct node *dir, const char *name, struct node *out, struct cas_error *e);
int node_is_dir(const struct node *n);
int node_is_instance_file(int type);
int node_is_scratch(int type);

#endif
