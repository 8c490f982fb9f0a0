/* nodes: the tree as one table of node kinds (procfs's pid_entry style;
 * the table is in tree.c, the resolver in nodes.c). Each row is data: its
 * name (NULL for a variable child), parent, mode and flags, the operations
 * of its kind (kinds.h), and what those operations need: the list field it
 * shows, the update field it writes, its complete rule, its same-meaning
 * test, its render/commit/remove functions, for a variable row how to list
 * and recognise its children, the cached documents its content comes from
 * (deps: what the notifier invalidates), and for a link the row it points
 * to. A parent may have several variable rows; a name is the first one's
 * that recognises it (a fixed row's name too, while that row is absent).
 * Resolution, lookup, readdir, nlink, invalidation and link targets are generic walks over this table: generic code never names
 * a kind (T_ names appear only as parent links in rows and as the root in
 * the resolver). */
#ifndef CASFS_NODES_H
#define CASFS_NODES_H

#include <stddef.h>
#include <sys/stat.h>

#include "casfs.h"
#include "namelist.h"
#include "wbuf.h"

enum node_type {
	T_ROOT,
	T_INSTANCES, T_INSTANCE,
	T_DETAIL, T_CONFIG, T_STATUS, T_CERT_STATUS, T_DOMAIN, T_NAME, T_AUTO_REISSUE, T_KEY_ALG,
	T_BRAND, T_TYPE,
	T_NOT_BEFORE, T_NOT_AFTER, T_TAGS, T_CSR,
	T_CERT_PEM, T_CHAIN_PEM, T_FULLCHAIN_PEM, T_KEY_PEM,
	T_REFUND, T_SCRATCH, T_SCRATCH_DIR,
	T_BY_STATUS, T_STATUS_DIR, T_STATUS_LINK,
	T_BY_EXPIRY, T_EXPIRY_DIR, T_EXPIRY_LINK,
	T_BY_BRAND, T_BRAND_DIR, T_BRAND_LINK,
	T_SUMMARY, T_INSTANCES_JSONL,
	T_ACCESS, T_ACCESS_NEW, T_ACCESS_ENTRY,
	T_CA, T_CA_ENTRY,
	/* certificates/: the certificate store (store.h), one block */
	T_STORE, T_SC_CERT, T_SC_STAGE,
	T_SC_CERT_PEM, T_SC_CHAIN_PEM, T_SC_FULLCHAIN_PEM, T_SC_KEY_PEM, T_SC_INFO,
	T_SC_ID, T_SC_NAME, T_SC_NOT_BEFORE, T_SC_NOT_AFTER, T_SC_FINGERPRINT, T_SC_IDENT, T_SC_IN_USE,
	T_SC_FILE, T_SC_STAGED,
	T_SC_BY_ID, T_SC_ID_LINK, T_SC_EXPIRED, T_SC_EXPIRED_LINK, T_SC_BY_EXPIRY, T_SC_WINDOW, T_SC_WINDOW_LINK,
	T_CERTS_JSONL,
	T_CTL, T_CTL_STATS, T_CTL_ERRORS, T_CTL_JOURNAL, T_CTL_REFRESH, T_CTL_METRICS, T_CTL_EVENTS,
	T_N
};

enum node_flags {
	NF_HIDDEN = 1,     /* not listed by readdir */
	NF_DIRECT = 2,     /* direct_io: bypass the page cache (secrets, live counters) */
	NF_DETAIL = 4,     /* rendered from GetInstanceDetail */
	NF_INSTANCE = 16,  /* a commit changes the instance the node belongs to (its files are invalidated) */
	NF_DESTROYS = 32,  /* removing it deletes something remotely: needs -o allow_delete */
	NF_EXTENDS = 64,   /* no end marker (tags): writes after the first commit extend it; close commits again */
	NF_SECRET = 128,   /* writes carry a secret: the buffer is wiped as soon as it was committed */
	NF_CERT = 256,     /* rendered from GetUserCertificateDetail (read ahead like NF_DETAIL) */
	NF_KEYS = 512,     /* a private key: present only with -o keys */
	NF_ID = 1024,      /* a variable row whose names are instance ids (instances/<id>, a view's links) */
	NF_VIEW = 2048,    /* a variable row of a view's groups (by-status/<status>): see holds, names */
};

/* deps: a set of the cache's kinds (cache.h) a row's content comes from.
 * When one changes the notifier invalidates every node of the row, its
 * variable components bound to what changed: an NF_ID row to the instance,
 * an NF_VIEW row to the groups that held it before or hold it now, a row
 * with entries to the changed documents' keys, a row with keys() to the
 * names it takes in the document before and after. */
#define DEP(ck) (1u << (ck))

/* The tree is at most this deep (certificates/by-expiry/<window>/<link>; a unit test checks
 * every row), and every component at most NAME_MAX bytes (node_child). */
#define NODE_DEPTH_MAX 4
#define NODE_NAME_MAX 255

/* A resolved path: a plain value (no pointers), so assignment copies it.
 * A variable component is stored as `id` when the path has none yet
 * (instance, status, brand, access or CA id), else as `name` (a view
 * link's instance id, a scratch name); "" when absent. */
struct node {
	int type;
	uint64_t ino;
	char id[NODE_NAME_MAX + 1];
	char name[NODE_NAME_MAX + 1];
	char path[NODE_DEPTH_MAX * (NODE_NAME_MAX + 1) + 1];
};

struct node_kind;
struct kind_ops;

typedef int (*render_fn)(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
typedef int (*commit_fn)(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
typedef int (*remove_fn)(struct casfs *fs, const struct node *n, struct cas_error *e);
/* A variable row's children of dir, appended to out in stable order. */
typedef int (*list_fn)(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		       struct cas_error *e);
/* Variable row: is `name` a child of parent? Fixed row: is it present?
 * 1 = yes, 0 = no, <0 = -errno. */
typedef int (*exists_fn)(struct casfs *fs, const struct node_kind *k, const struct node *parent, const char *name,
			 struct cas_error *e);
/* Do the bytes a writer committed still mean the same as the current rendering? */
typedef int (*same_fn)(const struct snap *written, const struct snap *current);
/* A view's groups: the i-th group's name, NULL past the last. */
typedef const char *(*names_fn)(size_t i);
/* A view's groups: does group `group` hold instance it (as_of_ms: the list's clock)? */
typedef int (*holds_fn)(const char *group, const struct cas_instance *it, int64_t as_of_ms);
/* The names a variable row takes in two cached documents of its deps (a
 * change's before and after, either NULL), each once: what the notifier
 * binds the row to (the certificate store's directories, ids, windows). */
typedef void (*keys_fn)(const void *was, const void *now, struct namelist *out);
/* A list of keyed documents (cloud-access, private CA). *out: a new reference. */
typedef int (*entries_fn)(struct casfs *fs, struct cas_entries **out, struct cas_error *e);

/* A value file's source in a ListInstances entry. */
enum value_type { VAL_NONE, VAL_STR, VAL_TIME };
struct list_value {
	size_t off;          /* of the member in struct cas_instance: char * (VAL_STR) or epoch ms int64_t (VAL_TIME) */
	enum value_type type;
};
#define LIST_STR(member) { offsetof(struct cas_instance, member), VAL_STR }
#define LIST_TIME(member) { offsetof(struct cas_instance, member), VAL_TIME }

struct node_kind {
	const char *name;              /* fixed name; NULL for a variable child */
	int parent;
	mode_t mode;
	unsigned flags;
	const struct kind_ops *ops;    /* open, read, write, getattr, setattr, rename, ... (kinds.h) */
	const char *action;            /* the API action a write or removal performs (error records) */
	struct list_value value;       /* list-backed value files */
	const char *update;            /* the UpdateInstance field a write sets (wire name) */
	complete_fn complete;          /* when a write buffer is a whole document (wbuf.h) */
	same_fn same;                  /* non-NULL: reads return the written bytes while they mean the same */
	entries_fn entries;            /* the keyed documents the row shows or lists */
	render_fn render;
	commit_fn commit;
	remove_fn remove;
	list_fn list;                  /* variable rows */
	exists_fn exists;
	const char *fixed_why;         /* directories: why their fixed files cannot be removed */
	unsigned deps;                 /* DEP(kind) of the cached documents its content comes from */
	keys_fn keys;                  /* variable rows with deps and neither NF_ID, NF_VIEW nor entries */
	/* NF_VIEW rows: the groups are names() (fixed), else the values of the
	 * list member `value` that are safe names; a group holds the instances
	 * holds() says, else those whose `value` is its name */
	names_fn names;
	holds_fn holds;
	int target;                    /* links: the row of the target (the link's name is its variable part) */
};

extern const struct node_kind node_kinds[T_N];

static inline const struct node_kind *node_kind(const struct node *n)
{
	return &node_kinds[n->type];
}

/* Resolves an absolute path. 0, -ENOENT, or another -errno from the API. */
int node_resolve(struct casfs *fs, const char *path, struct node *n, struct cas_error *e);
/* Appends the children of a directory node, in stable order (fixed rows in
 * table order, then each variable row's list). subdirs (may be NULL) gets
 * the number of child directories, hidden ones included: nlink is 2 + it. */
int node_children(struct casfs *fs, const struct node *dir, struct namelist *out, size_t *subdirs,
		  struct cas_error *e);
/* Resolves a child of a resolved directory without re-walking the path
 * (out may be dir). */
int node_child(struct casfs *fs, const struct node *dir, const char *name, struct node *out, struct cas_error *e);
int node_is_dir(const struct node *n);
/* The target of link n from its row's target, relative to its directory and
 * through the nearest directory both share (../../instances/<id>, ../<cert>);
 * the caller frees it. */
char *node_link_target(const struct node *n);
/* The group of an NF_VIEW row k whose name is instance it's list member
 * (`value`), if that is a safe name; NULL for a row with holds(). */
const char *node_view_name(const struct node_kind *k, const struct cas_instance *it);
/* The mode casfs shows for a node of row k: the row's, with the bits of
 * -o umask= cleared. Never looser than the row's (key.pem stays 0400). */
mode_t node_mode(const struct casfs *fs, const struct node_kind *k);
/* Does a fixed row under parent carry `name`? Such a name is never a
 * scratch name, present or not (key.pem without -o keys, cert.pem before
 * issue). */
int node_name_claimed(int parent, const char *name);
/* Does a fixed row under dir carry `name` and is it present? 1, 0 or -errno.
 * An absent fixed row's name may be a variable row's child (node_child: a
 * staged key.pem in a certificate directory without -o keys). */
int node_fixed_present(struct casfs *fs, const struct node *dir, const char *name, struct cas_error *e);
/* The kind a path would have judging by names alone: a component is a
 * fixed row's name or else the parent's first variable row; no API call,
 * nothing checked to exist. -1 when no row fits. */
int node_kind_of_path(const char *path);
/* The variable row under parent whose kind creates entries of type
 * (S_IFREG or S_IFDIR) with ops->create, or NULL. */
const struct node_kind *node_creator(int parent, mode_t type);
/* How many children of dir are entries a user created (a creating row's). */
size_t node_created_children(struct casfs *fs, const struct node *dir);

#endif
