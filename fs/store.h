/* store: the certificates/ tree, the account's certificate store as files
 * (docs/SEMANTICS.md "The certificate store"). Two modules share
 * this header:
 *
 *  - storeviews.c, the read side: directory names derived from the cached
 *    store list (struct store_names, memoised per list), the files of a
 *    certificate directory, by-id/, expired/, by-expiry/ and the root's
 *    certificates.jsonl. Everything but the PEM files comes from the list
 *    at no extra call; the PEM files cost one GetUserCertificateDetail per
 *    certificate (cached by CertId).
 *  - store.c, the write side: staging directories and staged files (in
 *    wiped memory, bounded), the commit rule that turns a complete staged
 *    set into exactly one UploadUserCertificate (or none: a fingerprint the
 *    store already holds), and the deletion of a certificate.
 *
 * Naming (docs/SEMANTICS.md): a certificate's lineage is its Name up to
 * the first '~'. The newest certificate of a lineage (greatest NotBefore,
 * then CertificateId) is the directory <lineage>; the older ones are
 * <lineage>~<CertificateId>. A Name whose lineage is empty, not a safe
 * path component, starts with '.', or is one of the tree's own names
 * (by-id, expired, by-expiry) is ~<CertificateId>. A name without '~' is
 * therefore always a lineage's newest certificate, a name with one is
 * always one CertificateId: never ambiguous.
 *
 * Lock: struct store's mutex protects the memo and the staging table; it
 * is a leaf (never held across a call). upload_mu serialises the commit
 * rule's evaluations (held across UploadUserCertificate, above the
 * cache's locks). */
#ifndef CASFS_STORE_H
#define CASFS_STORE_H

#include <pthread.h>

#include "lineage.h"
#include "nodes.h"

#define STORE_MAX_DIRS 32            /* staging directories per mount */
#define STORE_MAX_FILES 16           /* staged files per directory */
#define STORE_MAX_BYTES (256u << 10) /* per staged file */

struct store_names {
	struct cas_obj obj;
	struct cas_certs *certs;
	char **dir;    /* dir[i]: the directory name of certs->v[i] */
	size_t *order; /* indices of certs->v sorted by directory name */
};

struct stage_dir;
struct store {
	pthread_mutex_t mu;          /* leaf: names memo and the staging table */
	struct store_names *names;   /* the memo: names of the last list seen */
	struct stage_dir *dirs;      /* staging table */
	size_t ndirs;
	pthread_mutex_t upload_mu;   /* one evaluation of the commit rule at a time */
};

struct store *store_new(void);
void store_free(struct store *s);

/* storeviews.c */
/* The names of the current store list (a new reference). */
int store_names_get(struct casfs *fs, struct store_names **out, struct cas_error *e);
/* The certificate shown as directory `dir` (a stored name, or a staging
 * directory's alias), or NULL. */
const struct cas_store_cert *store_names_cert(const struct store_names *nm, const char *dir);
/* The directory of certificate id, or NULL. */
const char *store_names_dir(const struct store_names *nm, int64_t id);
/* Is any certificate of lineage `dir` in the store? */
int store_lineage_taken(const struct store_names *nm, const char *dir);
/* Queues kernel invalidations of certificates/ (after an upload or delete). */
void store_notify(struct casfs *fs, const char *dir);

int list_store_certs(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		     struct cas_error *e);
int exists_store_cert(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		      struct cas_error *e);
int exists_store_key(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		     struct cas_error *e);
/* The notifier's binding of the store's variable rows (nodes.h, keys):
 * directories, CertificateIds and by-expiry windows of two store lists. */
void keys_store_dirs(const void *was, const void *now, struct namelist *out);
void keys_store_ids(const void *was, const void *now, struct namelist *out);
void keys_store_windows(const void *was, const void *now, struct namelist *out);
int list_store_ids(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		   struct cas_error *e);
int exists_store_id(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		    struct cas_error *e);
int list_store_expired(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		       struct cas_error *e);
int exists_store_expired(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			 struct cas_error *e);
int list_store_windows(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		       struct cas_error *e);
int exists_store_window(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			struct cas_error *e);
int list_store_window_links(struct casfs *fs, const struct node_kind *k, const struct node *dir,
			    struct namelist *out, struct cas_error *e);
int exists_store_window_link(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			     struct cas_error *e);
int render_store_value(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_store_info(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_store_pem(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_store_link(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_store_jsonl(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);

/* store.c */
extern const struct kind_ops store_stage_dir_ops; /* a staging directory (mkdir in certificates/) */
extern const struct kind_ops store_file_ops;      /* a staged file */
extern const struct kind_ops store_pem_ops;       /* a stored certificate's PEM file: reads as stored,
						   * a write stages a renewal */
int list_stage_dirs(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		    struct cas_error *e);
int exists_stage_dir(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		     struct cas_error *e);
int list_staged(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		struct cas_error *e);
int exists_staged(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		  struct cas_error *e);
int remove_staged(struct casfs *fs, const struct node *n, struct cas_error *e);
int remove_stage_dir(struct casfs *fs, const struct node *n, struct cas_error *e);
/* rmdir of a certificate directory, unlink of an expired/ link: one
 * DeleteUserCertificate (in use: EBUSY naming the products; backing an
 * instance: EPERM; nothing sent either way). */
int remove_store_cert(struct casfs *fs, const struct node *n, struct cas_error *e);
/* The CertId a staging directory stands for (a duplicate uploaded into a
 * new name), or 0. */
int64_t store_alias(struct casfs *fs, const char *dir);
/* Is dir shown as a staging directory now (a stored one of that name hides
 * behind it until it settles)? */
int store_staging(struct casfs *fs, const char *dir);
void store_aliases(struct casfs *fs, struct namelist *out);

#endif
