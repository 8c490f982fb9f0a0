/* tree: the node table, the one place the tree is spelled (see nodes.h for
 * the row fields), and the functions of its variable rows: they read the
 * cached lists through the mount's struct cas_api. Generic views (by-status,
 * by-expiry, by-brand) are rows over list_view_dirs/list_view_links; the
 * notifier (notify.c) and link targets (nodes.c) are derived from the rows'
 * deps, NF_ID, NF_VIEW and target. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "nodes.h"
#include "store.h"
#include "validate.h"

/* ---- variable children (instances, keyed documents) ------------------------------------------------ */

static int with_instances(struct casfs *fs, struct cas_instances **l, struct cas_error *e)
{
	return fs->api->ops->list_instances(fs->api, NULL, l, e);
}

static int list_instances(struct casfs *fs, const struct node_kind *k, const struct node *dir,
			  struct namelist *out, struct cas_error *e)
{
	(void)k;
	(void)dir;
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->n; i++)
		namelist_add(out, l->v[i].id);
	cas_obj_unref(l);
	return 0;
}

static int exists_instance(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			   struct cas_error *e)
{
	(void)k;
	(void)p;
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	int found = cas_instances_find(l, name) != NULL;
	cas_obj_unref(l);
	return found;
}

/* A time-valued file exists only once its time is set (not_before and
 * not_after: once a certificate was issued). */
static int exists_time(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		       struct cas_error *e)
{
	(void)name;
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	const struct cas_instance *it = cas_instances_find(l, p->id);
	int present = it && *(const int64_t *)((const char *)it + k->value.off) > 0;
	cas_obj_unref(l);
	return present;
}

/* ---- views ---------------------------------------------------------------
 * by-<what>/<group>/<InstanceId> -> ../../instances/<InstanceId>: the list
 * filtered locally, at no extra call and always consistent with instances/
 * so every link resolves. The group directory's row says which instances a
 * group holds (holds(), or the list member `value` equal to the group's
 * name) and what the groups are (names(), or the member's values in the
 * list); the link row is generic. */

const char *node_view_name(const struct node_kind *k, const struct cas_instance *it)
{
	const char *v = it ? *(char *const *)((const char *)it + k->value.off) : NULL;
	return !k->holds && cas_safe_name(v) ? v : NULL;
}

static int view_holds(const struct node_kind *k, const char *group, const struct cas_instance *it, int64_t as_of_ms)
{
	if (k->holds)
		return k->holds(group, it, as_of_ms);
	const char *v = *(char *const *)((const char *)it + k->value.off);
	return v && strcmp(v, group) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int list_view_dirs(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
			  struct cas_error *e)
{
	(void)dir;
	if (k->names) {
		for (size_t i = 0; k->names(i); i++)
			namelist_add(out, k->names(i));
		return 0;
	}
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	const char **v = cas_xcalloc(l->n + 1, sizeof(*v));
	size_t m = 0;
	for (size_t i = 0; i < l->n; i++)
		if ((v[m] = node_view_name(k, &l->v[i])))
			m++;
	qsort(v, m, sizeof(*v), cmp_str);
	for (size_t i = 0; i < m; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			namelist_add(out, v[i]);
	free(v);
	cas_obj_unref(l);
	return 0;
}

static int exists_view_dir(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			   struct cas_error *e)
{
	(void)p;
	if (k->names) {
		for (size_t i = 0; k->names(i); i++)
			if (strcmp(k->names(i), name) == 0)
				return 1;
		return 0;
	}
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	int found = 0;
	for (size_t i = 0; i < l->n && !found; i++) {
		const char *v = node_view_name(k, &l->v[i]);
		found = v && strcmp(v, name) == 0;
	}
	cas_obj_unref(l);
	return found;
}

static int list_view_links(struct casfs *fs, const struct node_kind *k, const struct node *dir,
			   struct namelist *out, struct cas_error *e)
{
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->n; i++)
		if (view_holds(&node_kinds[k->parent], dir->id, &l->v[i], l->as_of_ms))
			namelist_add(out, l->v[i].id);
	cas_obj_unref(l);
	return 0;
}

static int exists_view_link(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			    struct cas_error *e)
{
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	const struct cas_instance *it = cas_instances_find(l, name);
	int found = it && view_holds(&node_kinds[k->parent], p->id, it, l->as_of_ms);
	cas_obj_unref(l);
	return found;
}

/* by-status's groups: every status the service knows, empty or not */
static const char *status_name(size_t i)
{
	const char *const *v = cas_enum_values(CAS_ENUM_STATUS);
	for (size_t j = 0; j < i; j++)
		if (!v[j])
			return NULL;
	return v[i];
}

static int entries_access(struct casfs *fs, struct cas_entries **out, struct cas_error *e)
{
	return fs->api->ops->list_cloud_access(fs->api, out, e);
}

static int entries_ca(struct casfs *fs, struct cas_entries **out, struct cas_error *e)
{
	return fs->api->ops->get_ca_instance_status(fs->api, out, e);
}

/* the keys of the row's keyed documents */
static int list_entries(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
			struct cas_error *e)
{
	(void)dir;
	struct cas_entries *l = NULL;
	int rc = k->entries(fs, &l, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->n; i++)
		namelist_add(out, l->v[i].key);
	cas_obj_unref(l);
	return 0;
}

static int exists_entry(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			struct cas_error *e)
{
	(void)p;
	struct cas_entries *l = NULL;
	int rc = k->entries(fs, &l, e);
	if (rc)
		return rc;
	int found = cas_entries_find(l, name) != NULL;
	cas_obj_unref(l);
	return found;
}

/* ---- the table -------------------------------------------------------- */

#define DIR 0040755
#define RO 0100444
#define RW 0100644
#define WO 0100200
#define LNK 0120777
#define KEY 0100400

/* what a row's content comes from (nodes.h, deps) */
#define LIST DEP(CAS_CK_INSTANCES)
#define DETAIL (DEP(CAS_CK_INSTANCES) | DEP(CAS_CK_DETAIL))

/* An instance file shown from the instance's ListInstances entry (no extra call). */
#define LIST_VALUE(file, member) \
	.name = file, .parent = T_INSTANCE, .mode = RO, .deps = LIST, .ops = &api_file_ops, \
	.value = LIST_STR(member), .render = render_value
/* ... and one that UpdateInstance also writes. */
#define LIST_SETTING(file, member, field) \
	.name = file, .parent = T_INSTANCE, .mode = RW, .flags = NF_INSTANCE, .deps = LIST, \
	.ops = &api_file_ops, .action = "UpdateInstance", .value = LIST_STR(member), .update = field, \
	.complete = complete_line, .same = same_line, .render = render_value, .commit = commit_value
/* ... and a time, present only once it is set. */
#define LIST_TIME_VALUE(file, member) \
	.name = file, .parent = T_INSTANCE, .mode = RO, .deps = LIST, .ops = &api_file_ops, \
	.value = LIST_TIME(member), .render = render_value, .exists = exists_time
/* A certificate file of an instance, from GetUserCertificateDetail (certfiles.c). */
#define CERT_FILE(file, file_mode, more_flags) \
	.name = file, .parent = T_INSTANCE, .mode = file_mode, .flags = NF_CERT | (more_flags), .deps = LIST, \
	.ops = &api_file_ops, .exists = exists_cert_file
/* An instance file derived from GetInstanceDetail and written with UpdateInstance. */
#define DETAIL_SETTING(file, more_flags) \
	.name = file, .parent = T_INSTANCE, .mode = RW, .flags = NF_DETAIL | NF_INSTANCE | (more_flags), \
	.deps = DETAIL, .ops = &api_file_ops, .action = "UpdateInstance"
/* A view (see "views" above): its directory under the root, a directory
 * per group, and in each a link per instance the group holds. */
#define VIEW(file) .name = file, .parent = T_ROOT, .mode = DIR, .ops = &api_dir_ops
#define VIEW_GROUP(view) \
	.parent = view, .mode = DIR, .flags = NF_VIEW, .deps = LIST, .ops = &api_dir_ops, \
	.list = list_view_dirs, .exists = exists_view_dir
#define VIEW_LINK(group) \
	.parent = group, .mode = LNK, .flags = NF_ID, .deps = LIST, .ops = &api_file_ops, \
	.target = T_INSTANCE, .render = render_link, .list = list_view_links, .exists = exists_view_link

const struct node_kind node_kinds[T_N] = {
	[T_ROOT] = { .name = "", .parent = -1, .mode = DIR, .ops = &api_dir_ops },
	[T_INSTANCES] = { .name = "instances", .parent = T_ROOT, .mode = DIR, .deps = LIST,
			  .ops = &api_dir_ops },
	[T_INSTANCE] = { .parent = T_INSTANCES, .mode = DIR, .flags = NF_DESTROYS | NF_ID, .deps = LIST,
			 .ops = &api_dir_ops, .action = "DeleteInstance", .remove = remove_instance,
			 .list = list_instances, .exists = exists_instance,
			 .fixed_why = "files of an instance cannot be removed; rmdir the instance directory to "
				      "delete the instance (needs -o allow_delete)" },
	[T_DETAIL] = { .name = "detail", .parent = T_INSTANCE, .mode = RO, .flags = NF_DETAIL, .deps = DETAIL,
		       .ops = &api_file_ops, .render = render_detail },
	[T_CONFIG] = { DETAIL_SETTING("config", 0), .complete = complete_json, .same = same_config,
		       .render = render_config, .commit = commit_config },
	[T_STATUS] = { LIST_VALUE("status", status) },
	[T_CERT_STATUS] = { LIST_VALUE("certificate_status", cert_status) },
	[T_DOMAIN] = { LIST_SETTING("domain", domain, "Domain") },
	[T_NAME] = { LIST_SETTING("name", name, "CertificateName") },
	[T_AUTO_REISSUE] = { LIST_SETTING("auto_reissue", auto_reissue, "AutoReissue") },
	[T_KEY_ALG] = { LIST_SETTING("key_algorithm", key_algorithm, "KeyAlgorithm") },
	[T_BRAND] = { LIST_VALUE("brand", brand) },
	[T_TYPE] = { LIST_VALUE("type", cert_type) },
	[T_NOT_BEFORE] = { LIST_TIME_VALUE("not_before", not_before) },
	[T_NOT_AFTER] = { LIST_TIME_VALUE("not_after", not_after) },
	[T_TAGS] = { DETAIL_SETTING("tags", NF_EXTENDS), .update = "Tags", .complete = complete_tags, .same = same_tags,
		     .render = render_tags, .commit = commit_tags },
	[T_CSR] = { DETAIL_SETTING("csr", 0), .update = "Csr", .complete = complete_pem, .same = same_line,
		    .render = render_csr, .commit = commit_csr },
	/* certificates: present when the list shows a CertificateId; key.pem only with -o keys */
	[T_CERT_PEM] = { CERT_FILE("cert.pem", RO, 0), .render = render_cert_leaf },
	[T_CHAIN_PEM] = { CERT_FILE("chain.pem", RO, 0), .render = render_cert_chain },
	[T_FULLCHAIN_PEM] = { CERT_FILE("fullchain.pem", RO, 0), .render = render_cert_fullchain },
	[T_KEY_PEM] = { CERT_FILE("key.pem", KEY, NF_DIRECT | NF_KEYS), .render = render_cert_key },
	/* trigger files read as empty and stay readable so tar/rsync/cp -a of the tree work */
	[T_REFUND] = { .name = "refund", .parent = T_INSTANCE, .mode = RW, .flags = NF_DIRECT | NF_INSTANCE,
		       .deps = LIST, .ops = &api_file_ops, .action = "RefundInstance", .complete = complete_line,
		       .render = render_empty, .commit = commit_refund },
	/* anything else in an instance directory is a scratch file (an editor's or a tool's) */
	[T_SCRATCH] = { .parent = T_INSTANCE, .mode = 0100600, .ops = &scratch_file_ops,
			.remove = remove_scratch, .list = list_scratch, .exists = exists_scratch },
	/* ... or an empty scratch directory (Ruby's tempfile, and so Puppet, makes a lock directory) */
	[T_SCRATCH_DIR] = { .parent = T_INSTANCE, .mode = 0040700, .ops = &scratch_dir_ops,
			    .remove = remove_scratch, .list = list_scratch, .exists = exists_scratch },
	/* by-status/<Status>/<id>: every status the service knows, empty or not */
	[T_BY_STATUS] = { VIEW("by-status") },
	[T_STATUS_DIR] = { VIEW_GROUP(T_BY_STATUS), .value = LIST_STR(status), .names = status_name },
	[T_STATUS_LINK] = { VIEW_LINK(T_STATUS_DIR) },
	/* by-expiry/<window>/<id>: windows of CertificateNotAfter (expiry.c) */
	[T_BY_EXPIRY] = { VIEW("by-expiry") },
	[T_EXPIRY_DIR] = { VIEW_GROUP(T_BY_EXPIRY), .names = expiry_window, .holds = expiry_holds },
	[T_EXPIRY_LINK] = { VIEW_LINK(T_EXPIRY_DIR) },
	/* by-brand/<Brand>/<id>: the brands the list shows (a brand unsafe as a name is left out) */
	[T_BY_BRAND] = { VIEW("by-brand"), .deps = LIST },
	[T_BRAND_DIR] = { VIEW_GROUP(T_BY_BRAND), .value = LIST_STR(brand) },
	[T_BRAND_LINK] = { VIEW_LINK(T_BRAND_DIR) },
	[T_SUMMARY] = { .name = "summary", .parent = T_ROOT, .mode = RO, .deps = LIST | DEP(CAS_CK_SUMMARY),
			.ops = &api_file_ops, .render = render_summary },
	[T_INSTANCES_JSONL] = { .name = "instances.jsonl", .parent = T_ROOT, .mode = RO,
				.deps = LIST, .ops = &api_file_ops, .render = render_jsonl },
	[T_ACCESS] = { .name = "cloud-access", .parent = T_ROOT, .mode = DIR, .deps = DEP(CAS_CK_ACCESS),
		       .ops = &api_dir_ops },
	[T_ACCESS_NEW] = { .name = "new", .parent = T_ACCESS, .mode = RW, .flags = NF_DIRECT | NF_SECRET,
			   .ops = &api_file_ops, .action = "AddCloudAccess", .complete = complete_json,
			   .render = render_empty, .commit = commit_access_new },
	[T_ACCESS_ENTRY] = { .parent = T_ACCESS, .mode = RO, .flags = NF_DESTROYS, .deps = DEP(CAS_CK_ACCESS),
			     .ops = &api_file_ops, .action = "DeleteCloudAccess",
			     .entries = entries_access, .render = render_entry, .remove = remove_access,
			     .list = list_entries, .exists = exists_entry },
	[T_CA] = { .name = "private-ca", .parent = T_ROOT, .mode = DIR, .deps = DEP(CAS_CK_CA), .ops = &api_dir_ops },
	[T_CA_ENTRY] = { .parent = T_CA, .mode = RO, .deps = DEP(CAS_CK_CA), .ops = &api_file_ops,
			 .entries = entries_ca, .render = render_entry, .list = list_entries, .exists = exists_entry },
	/* ---- certificates/: the certificate store (store.h, storeviews.c, store.c) ----
	 * <dir>/ per certificate (named by lineage, store.h), staging directories
	 * made by mkdir, staged files, by-id/, expired/ (its links delete: the
	 * purge), by-expiry/, and the root's certificates.jsonl */
#define STORE DEP(CAS_CK_STORE) /* every row but the staged ones: the list shows them */
#define STORE_VALUE(file) \
	.name = file, .parent = T_SC_CERT, .mode = RO, .deps = STORE, .ops = &api_file_ops, \
	.render = render_store_value
#define STORE_PEM(file) \
	.name = file, .parent = T_SC_CERT, .mode = RW, .deps = STORE, .ops = &store_pem_ops, .render = render_store_pem
#define STAGED(dir) \
	.parent = dir, .mode = 0100600, .flags = NF_DIRECT, .ops = &store_file_ops, .remove = remove_staged, \
	.list = list_staged, .exists = exists_staged
	[T_STORE] = { .name = "certificates", .parent = T_ROOT, .mode = DIR, .deps = STORE, .ops = &api_dir_ops },
	[T_SC_CERT] = { .parent = T_STORE, .mode = DIR, .flags = NF_DESTROYS, .deps = STORE, .keys = keys_store_dirs,
			.ops = &api_dir_ops,
			.action = "DeleteUserCertificate", .remove = remove_store_cert, .list = list_store_certs,
			.exists = exists_store_cert,
			.fixed_why = "files of a certificate cannot be removed; rmdir the certificate directory to delete "
				     "the certificate (needs -o allow_delete)" },
	[T_SC_STAGE] = { .parent = T_STORE, .mode = 0040700, .ops = &store_stage_dir_ops,
			 .remove = remove_stage_dir, .list = list_stage_dirs, .exists = exists_stage_dir },
	[T_SC_CERT_PEM] = { STORE_PEM("cert.pem") },
	[T_SC_CHAIN_PEM] = { STORE_PEM("chain.pem") },
	[T_SC_FULLCHAIN_PEM] = { STORE_PEM("fullchain.pem") },
	[T_SC_KEY_PEM] = { .name = "key.pem", .parent = T_SC_CERT, .mode = KEY, .flags = NF_DIRECT | NF_KEYS, .deps = STORE,
			   .ops = &store_pem_ops, .render = render_store_pem, .exists = exists_store_key },
	[T_SC_INFO] = { .name = "info.json", .parent = T_SC_CERT, .mode = RO, .deps = STORE, .ops = &api_file_ops,
			.render = render_store_info },
	[T_SC_ID] = { STORE_VALUE("id") },
	[T_SC_NAME] = { STORE_VALUE("name") },
	[T_SC_NOT_BEFORE] = { STORE_VALUE("not_before") },
	[T_SC_NOT_AFTER] = { STORE_VALUE("not_after") },
	[T_SC_FINGERPRINT] = { STORE_VALUE("fingerprint") },
	[T_SC_IDENT] = { STORE_VALUE("cert_identifier") },
	[T_SC_IN_USE] = { STORE_VALUE("in_use") },
	[T_SC_FILE] = { STAGED(T_SC_CERT) },
	[T_SC_STAGED] = { STAGED(T_SC_STAGE) },
	[T_SC_BY_ID] = { .name = "by-id", .parent = T_STORE, .mode = DIR, .deps = STORE, .ops = &api_dir_ops },
	[T_SC_ID_LINK] = { .parent = T_SC_BY_ID, .mode = LNK, .deps = STORE, .keys = keys_store_ids, .ops = &api_file_ops,
			   .target = T_SC_CERT, .render = render_store_link, .list = list_store_ids, .exists = exists_store_id },
	[T_SC_EXPIRED] = { .name = "expired", .parent = T_STORE, .mode = DIR, .deps = STORE, .ops = &api_dir_ops },
	[T_SC_EXPIRED_LINK] = { .parent = T_SC_EXPIRED, .mode = LNK, .flags = NF_DESTROYS, .deps = STORE,
				.keys = keys_store_dirs,
				.ops = &api_file_ops, .action = "DeleteUserCertificate", .target = T_SC_CERT, .render = render_store_link,
				.remove = remove_store_cert, .list = list_store_expired, .exists = exists_store_expired },
	[T_SC_BY_EXPIRY] = { .name = "by-expiry", .parent = T_STORE, .mode = DIR, .deps = STORE,
			     .ops = &api_dir_ops },
	[T_SC_WINDOW] = { .parent = T_SC_BY_EXPIRY, .mode = DIR, .deps = STORE, .keys = keys_store_windows,
			  .ops = &api_dir_ops,
			  .list = list_store_windows, .exists = exists_store_window },
	[T_SC_WINDOW_LINK] = { .parent = T_SC_WINDOW, .mode = LNK, .deps = STORE, .keys = keys_store_dirs,
			       .ops = &api_file_ops,
			       .target = T_SC_CERT, .render = render_store_link, .list = list_store_window_links,
			       .exists = exists_store_window_link },
	[T_CERTS_JSONL] = { .name = "certificates.jsonl", .parent = T_ROOT, .mode = RO, .deps = STORE,
			    .ops = &api_file_ops, .render = render_store_jsonl },
#undef STORE
#undef STORE_VALUE
#undef STORE_PEM
#undef STAGED
	/* ---- end of certificates/ ---- */
	[T_CTL] = { .name = ".cas", .parent = T_ROOT, .mode = DIR, .flags = NF_HIDDEN, .ops = &api_dir_ops },
	[T_CTL_STATS] = { .name = "stats", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT,
			  .ops = &api_file_ops, .render = render_stats },
	[T_CTL_ERRORS] = { .name = "errors", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT,
			   .ops = &api_file_ops, .render = render_errors },
	[T_CTL_JOURNAL] = { .name = "journal", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT,
			    .ops = &api_file_ops, .render = render_journal },
	[T_CTL_REFRESH] = { .name = "refresh", .parent = T_CTL, .mode = WO, .flags = NF_DIRECT,
			    .ops = &api_file_ops, .action = "Refresh", .complete = complete_any,
			    .render = render_empty, .commit = commit_refresh },
	/* Prometheus text (metrics.c) and the change feed (events.c, eventfile.c) */
	[T_CTL_METRICS] = { .name = "metrics.prom", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT,
			    .ops = &api_file_ops, .render = render_metrics },
	[T_CTL_EVENTS] = { .name = "events", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT,
			   .ops = &events_file_ops },
};

/* ---- queries that need the kinds' operations ----------------------- */

const struct node_kind *node_creator(int parent, mode_t type)
{
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent == parent && !k->name && k->ops->create && (k->mode & S_IFMT) == type)
			return k;
	}
	return NULL;
}

size_t node_created_children(struct casfs *fs, const struct node *dir)
{
	struct namelist l = { 0 };
	struct cas_error e;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent == dir->type && !k->name && k->ops->create)
			k->list(fs, k, dir, &l, &e);
	}
	size_t n = l.n;
	namelist_free(&l);
	return n;
}

