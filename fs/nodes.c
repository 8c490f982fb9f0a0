/* nodes: the node-kind table, the path grammar and generic child listing
 * (see nodes.h). The variable rows' list/exists functions live here too:
 * they read the cached lists through the mount's struct cas_api. */
#include "nodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "validate.h"

/* ---- variable children ------------------------------------------------ */

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

static int list_statuses(struct casfs *fs, const struct node_kind *k, const struct node *dir,
			 struct namelist *out, struct cas_error *e)
{
	(void)fs;
	(void)k;
	(void)dir;
	(void)e;
	for (const char *const *s = cas_enum_values(CAS_ENUM_STATUS); *s; s++)
		namelist_add(out, *s);
	return 0;
}

static int exists_status(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			 struct cas_error *e)
{
	(void)fs;
	(void)k;
	(void)p;
	(void)e;
	for (const char *const *s = cas_enum_values(CAS_ENUM_STATUS); *s; s++)
		if (strcmp(*s, name) == 0)
			return 1;
	return 0;
}

/* by-status/<status>/ is the full list filtered locally: the same answer as
 * ListInstances with Status=<status>, at no extra call, and always
 * consistent with instances/ so every link resolves. */
static int list_status_links(struct casfs *fs, const struct node_kind *k, const struct node *dir,
			     struct namelist *out, struct cas_error *e)
{
	(void)k;
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].status && strcmp(l->v[i].status, dir->id) == 0)
			namelist_add(out, l->v[i].id);
	cas_obj_unref(l);
	return 0;
}

static int exists_status_link(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			      struct cas_error *e)
{
	(void)k;
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	const struct cas_instance *it = cas_instances_find(l, name);
	int found = it && it->status && strcmp(it->status, p->id) == 0;
	cas_obj_unref(l);
	return found;
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

/* An instance file shown from the instance's ListInstances entry (no extra call). */
#define LIST_VALUE(file, member) \
	.name = file, .parent = T_INSTANCE, .mode = RO, .flags = NF_CHEAP, .ops = &api_file_ops, \
	.value = LIST_STR(member), .render = render_value
/* ... and one that UpdateInstance also writes. */
#define LIST_SETTING(file, member, field) \
	.name = file, .parent = T_INSTANCE, .mode = RW, .flags = NF_CHEAP | NF_INSTANCE, .ops = &api_file_ops, \
	.action = "UpdateInstance", .value = LIST_STR(member), .update = field, .complete = complete_line, \
	.same = same_line, .render = render_value, .commit = commit_value
/* ... and a time, present only once it is set. */
#define LIST_TIME_VALUE(file, member) \
	.name = file, .parent = T_INSTANCE, .mode = RO, .flags = NF_CHEAP, .ops = &api_file_ops, \
	.value = LIST_TIME(member), .render = render_value, .exists = exists_time
/* A certificate file of an instance, from GetUserCertificateDetail (certfiles.c). */
#define CERT_FILE(file, file_mode, more_flags) \
	.name = file, .parent = T_INSTANCE, .mode = file_mode, .flags = NF_CERT | (more_flags), .ops = &api_file_ops, \
	.exists = exists_cert_file
/* An instance file derived from GetInstanceDetail and written with UpdateInstance. */
#define DETAIL_SETTING(file, more_flags) \
	.name = file, .parent = T_INSTANCE, .mode = RW, .flags = NF_DETAIL | NF_INSTANCE | (more_flags), \
	.ops = &api_file_ops, .action = "UpdateInstance"

const struct node_kind node_kinds[T_N] = {
	[T_ROOT] = { .name = "", .parent = -1, .mode = DIR, .ops = &api_dir_ops },
	[T_INSTANCES] = { .name = "instances", .parent = T_ROOT, .mode = DIR, .flags = NF_CHEAP, .ops = &api_dir_ops },
	[T_INSTANCE] = { .parent = T_INSTANCES, .mode = DIR, .flags = NF_CHEAP | NF_DESTROYS, .ops = &api_dir_ops,
			 .action = "DeleteInstance", .remove = remove_instance, .list = list_instances,
			 .exists = exists_instance,
			 .fixed_why = "files of an instance cannot be removed; rmdir the instance directory to "
				      "delete the instance (needs -o allow_delete)" },
	[T_DETAIL] = { .name = "detail", .parent = T_INSTANCE, .mode = RO, .flags = NF_DETAIL, .ops = &api_file_ops,
		       .render = render_detail },
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
	[T_REFUND] = { .name = "refund", .parent = T_INSTANCE, .mode = RW, .flags = NF_CHEAP | NF_DIRECT | NF_INSTANCE,
		       .ops = &api_file_ops, .action = "RefundInstance", .complete = complete_line,
		       .render = render_empty, .commit = commit_refund },
	/* anything else in an instance directory is a scratch file (an editor's or a tool's) */
	[T_SCRATCH] = { .parent = T_INSTANCE, .mode = 0100600, .flags = NF_CHEAP, .ops = &scratch_file_ops,
			.remove = remove_scratch, .list = list_scratch, .exists = exists_scratch },
	/* ... or an empty scratch directory (Ruby's tempfile, and so Puppet, makes a lock directory) */
	[T_SCRATCH_DIR] = { .parent = T_INSTANCE, .mode = 0040700, .flags = NF_CHEAP, .ops = &scratch_dir_ops,
			    .remove = remove_scratch, .list = list_scratch, .exists = exists_scratch },
	[T_BY_STATUS] = { .name = "by-status", .parent = T_ROOT, .mode = DIR, .flags = NF_CHEAP, .ops = &api_dir_ops },
	[T_STATUS_DIR] = { .parent = T_BY_STATUS, .mode = DIR, .flags = NF_CHEAP, .ops = &api_dir_ops,
			   .list = list_statuses, .exists = exists_status },
	[T_STATUS_LINK] = { .parent = T_STATUS_DIR, .mode = LNK, .flags = NF_CHEAP, .ops = &api_file_ops,
			    .render = render_link, .list = list_status_links, .exists = exists_status_link },
	/* by-expiry/<window>/<id>: windows of CertificateNotAfter from the list (expiry.c) */
	[T_BY_EXPIRY] = { .name = "by-expiry", .parent = T_ROOT, .mode = DIR, .flags = NF_CHEAP, .ops = &api_dir_ops },
	[T_EXPIRY_DIR] = { .parent = T_BY_EXPIRY, .mode = DIR, .flags = NF_CHEAP, .ops = &api_dir_ops,
			   .list = list_windows, .exists = exists_window },
	[T_EXPIRY_LINK] = { .parent = T_EXPIRY_DIR, .mode = LNK, .flags = NF_CHEAP, .ops = &api_file_ops,
			    .render = render_link, .list = list_expiry_links, .exists = exists_expiry_link },
	[T_SUMMARY] = { .name = "summary", .parent = T_ROOT, .mode = RO, .ops = &api_file_ops,
			.render = render_summary },
	[T_INSTANCES_JSONL] = { .name = "instances.jsonl", .parent = T_ROOT, .mode = RO, .flags = NF_CHEAP,
				.ops = &api_file_ops, .render = render_jsonl },
	[T_ACCESS] = { .name = "cloud-access", .parent = T_ROOT, .mode = DIR, .ops = &api_dir_ops },
	[T_ACCESS_NEW] = { .name = "new", .parent = T_ACCESS, .mode = RW, .flags = NF_CHEAP | NF_DIRECT | NF_SECRET,
			   .ops = &api_file_ops, .action = "AddCloudAccess", .complete = complete_json,
			   .render = render_empty, .commit = commit_access_new },
	[T_ACCESS_ENTRY] = { .parent = T_ACCESS, .mode = RO, .flags = NF_DESTROYS, .ops = &api_file_ops,
			     .action = "DeleteCloudAccess",
			     .entries = entries_access, .render = render_entry, .remove = remove_access,
			     .list = list_entries, .exists = exists_entry },
	[T_CA] = { .name = "private-ca", .parent = T_ROOT, .mode = DIR, .ops = &api_dir_ops },
	[T_CA_ENTRY] = { .parent = T_CA, .mode = RO, .ops = &api_file_ops, .entries = entries_ca,
			 .render = render_entry, .list = list_entries, .exists = exists_entry },
	[T_CTL] = { .name = ".cas", .parent = T_ROOT, .mode = DIR, .flags = NF_HIDDEN | NF_CHEAP, .ops = &api_dir_ops },
	[T_CTL_STATS] = { .name = "stats", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT | NF_CHEAP,
			  .ops = &api_file_ops, .render = render_stats },
	[T_CTL_ERRORS] = { .name = "errors", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT | NF_CHEAP,
			   .ops = &api_file_ops, .render = render_errors },
	[T_CTL_JOURNAL] = { .name = "journal", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT | NF_CHEAP,
			    .ops = &api_file_ops, .render = render_journal },
	[T_CTL_REFRESH] = { .name = "refresh", .parent = T_CTL, .mode = WO, .flags = NF_DIRECT | NF_CHEAP,
			    .ops = &api_file_ops, .action = "Refresh", .complete = complete_any,
			    .render = render_empty, .commit = commit_refresh },
	/* issue 20: Prometheus text (metrics.c) and the change feed (events.c, eventfile.c) */
	[T_CTL_METRICS] = { .name = "metrics.prom", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT | NF_CHEAP,
			    .ops = &api_file_ops, .render = render_metrics },
	[T_CTL_EVENTS] = { .name = "events", .parent = T_CTL, .mode = RO, .flags = NF_DIRECT | NF_CHEAP,
			   .ops = &events_file_ops },
};

int node_is_dir(const struct node *n)
{
	return S_ISDIR(node_kind(n)->mode);
}

mode_t node_mode(const struct casfs *fs, const struct node_kind *k)
{
	return k->mode & ~(fs->o.umask & 0777);
}

int node_name_claimed(int parent, const char *name)
{
	for (int t = 0; t < T_N; t++)
		if (node_kinds[t].parent == parent && node_kinds[t].name && strcmp(node_kinds[t].name, name) == 0)
			return 1;
	return 0;
}

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

/* The row of component `name` under parent by names alone, or -1. */
static int row_by_name(int parent, const char *name, size_t len)
{
	int var = -1;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != parent)
			continue;
		if (k->name && strlen(k->name) == len && strncmp(k->name, name, len) == 0)
			return t;
		if (!k->name && var < 0)
			var = t;
	}
	return var;
}

int node_kind_of_path(const char *path)
{
	int t = T_ROOT;
	for (const char *p = path; *p && t >= 0;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len)
			t = row_by_name(t, p, len);
		p += len;
	}
	return t;
}

/* Is a fixed row's file present under dir? 1, 0 or -errno. */
static int fixed_present(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct cas_error *e)
{
	return k->exists ? k->exists(fs, k, dir, k->name, e) : 1;
}

/* Fills out as the child `name` of dir of row t (the variable component
 * goes to id when dir has none, else to name; see struct node). */
static int make_child(const struct node *dir, int t, const char *name, struct node *out)
{
	if (out != dir)
		*out = *dir;
	/* rebase the pointers into out->buf */
	if (dir->id)
		out->id = out->buf + (dir->id - dir->buf);
	if (dir->name)
		out->name = out->buf + (dir->name - dir->buf);
	out->type = t;
	if (!node_kinds[t].name) {
		size_t used = out->id ? (size_t)(out->id - out->buf) + strlen(out->id) + 1 : 0;
		if (used + strlen(name) + 1 > sizeof(out->buf))
			return -ENAMETOOLONG;
		char *dst = out->buf + used;
		memcpy(dst, name, strlen(name) + 1);
		*(out->id ? &out->name : &out->id) = dst;
	}
	if (strcmp(out->path, "/") != 0)
		strcat(out->path, "/");
	strcat(out->path, name);
	out->ino = cas_path_ino(out->path);
	return 0;
}

int node_child(struct casfs *fs, const struct node *dir, const char *name, struct node *out, struct cas_error *e)
{
	if (strlen(name) > 255 || strlen(dir->path) + strlen(name) + 2 > sizeof(out->path))
		return -ENAMETOOLONG;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != dir->type || !k->name || strcmp(k->name, name) != 0)
			continue;
		int rc = fixed_present(fs, k, dir, e);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
		return make_child(dir, t, name, out);
	}
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != dir->type || k->name)
			continue;
		int rc = k->exists(fs, k, dir, name, e);
		if (rc < 0)
			return rc;
		if (rc)
			return make_child(dir, t, name, out);
	}
	return -ENOENT;
}

int node_resolve(struct casfs *fs, const char *path, struct node *n, struct cas_error *e)
{
	memset(n, 0, sizeof(*n));
	n->type = T_ROOT;
	strcpy(n->path, "/");
	n->ino = 1;
	char comp[256];
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		if (len >= sizeof(comp))
			return -ENAMETOOLONG;
		if (!node_is_dir(n))
			return -ENOTDIR;
		memcpy(comp, p, len);
		comp[len] = '\0';
		int rc = node_child(fs, n, comp, n, e);
		if (rc)
			return rc;
		p += len;
	}
	return 0;
}

int node_children(struct casfs *fs, const struct node *dir, struct namelist *out, size_t *subdirs,
		  struct cas_error *e)
{
	size_t dirs = 0;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != dir->type || !k->name)
			continue;
		int rc = fixed_present(fs, k, dir, e);
		if (rc < 0)
			return rc;
		if (!rc)
			continue;
		dirs += S_ISDIR(k->mode) != 0;
		if (!(k->flags & NF_HIDDEN))
			namelist_add(out, k->name);
	}
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != dir->type || k->name)
			continue;
		size_t before = out->n;
		int rc = k->list(fs, k, dir, out, e);
		if (rc)
			return rc;
		if (S_ISDIR(k->mode))
			dirs += out->n - before;
	}
	if (subdirs)
		*subdirs = dirs;
	return 0;
}
