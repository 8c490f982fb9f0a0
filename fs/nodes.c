/* nodes: the node-kind table, the path grammar and generic child listing
 * (see nodes.h). */
#include "nodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kinds.h"
#include "scratch.h"
#include "validate.h"

void namelist_add(struct namelist *l, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = cas_xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = cas_xstrdup(name);
}

void namelist_free(struct namelist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- variable children ------------------------------------------------ */

static int with_instances(struct casfs *fs, struct cas_instances **l, struct cas_error *e)
{
	return fs->api->ops->list_instances(fs->api, NULL, l, e);
}

static int list_instances(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
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

static int exists_instance(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	(void)p;
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	int found = cas_instances_find(l, name) != NULL;
	cas_obj_unref(l);
	return found;
}

/* not_before / not_after exist only once a certificate was issued */
static int exists_validity(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	const struct cas_instance *it = cas_instances_find(l, p->id);
	int present = it && (strcmp(name, "not_before") == 0 ? it->not_before : it->not_after) > 0;
	cas_obj_unref(l);
	return present;
}

static int list_statuses(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
	(void)fs;
	(void)dir;
	(void)e;
	for (const char *const *s = cas_enum_values(CAS_ENUM_STATUS); *s; s++)
		namelist_add(out, *s);
	return 0;
}

static int exists_status(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	(void)fs;
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
static int list_status_links(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
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

static int exists_status_link(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	struct cas_instances *l = NULL;
	int rc = with_instances(fs, &l, e);
	if (rc)
		return rc;
	const struct cas_instance *it = cas_instances_find(l, name);
	int found = it && it->status && strcmp(it->status, p->id) == 0;
	cas_obj_unref(l);
	return found;
}

static int list_entries(struct casfs *fs, int ca, struct namelist *out, struct cas_error *e)
{
	struct cas_entries *l = NULL;
	int rc = ca ? fs->api->ops->get_ca_instance_status(fs->api, &l, e)
		    : fs->api->ops->list_cloud_access(fs->api, &l, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->n; i++)
		namelist_add(out, l->v[i].key);
	cas_obj_unref(l);
	return 0;
}

static int exists_entry(struct casfs *fs, int ca, const char *name, struct cas_error *e)
{
	struct cas_entries *l = NULL;
	int rc = ca ? fs->api->ops->get_ca_instance_status(fs->api, &l, e)
		    : fs->api->ops->list_cloud_access(fs->api, &l, e);
	if (rc)
		return rc;
	int found = cas_entries_find(l, name) != NULL;
	cas_obj_unref(l);
	return found;
}

static int list_access(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
	(void)dir;
	return list_entries(fs, 0, out, e);
}

static int exists_access(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	(void)p;
	return exists_entry(fs, 0, name, e);
}

static int list_ca(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
	(void)dir;
	return list_entries(fs, 1, out, e);
}

static int exists_ca(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	(void)p;
	return exists_entry(fs, 1, name, e);
}

static int list_scratch(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
	(void)e;
	scratch_names(fs->scratch, dir->id, out);
	return 0;
}

static int exists_scratch(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	(void)e;
	return scratch_kind(fs->scratch, p->id, name) == SCRATCH_FILE;
}

static int exists_scratch_dir(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e)
{
	(void)e;
	return scratch_kind(fs->scratch, p->id, name) == SCRATCH_DIR;
}

/* ---- the table -------------------------------------------------------- */

#define DIR 0040755
#define RO 0100444
#define RW 0100644
#define WO 0100200
#define LNK 0120777
#define KEY 0100400

const struct node_kind node_kinds[T_N] = {
	[T_ROOT] = { "", -1, DIR, 0, C_NONE, NULL, NULL, NULL, NULL, NULL, NULL },
	[T_INSTANCES] = { "instances", T_ROOT, DIR, NF_CHEAP, C_NONE, NULL, NULL, NULL, NULL, list_instances, NULL },
	[T_INSTANCE] = { NULL, T_INSTANCES, DIR, NF_CHEAP | NF_DESTROYS, C_NONE, "DeleteInstance", NULL, NULL, remove_instance,
			 NULL, exists_instance },
	[T_DETAIL] = { "detail", T_INSTANCE, RO, NF_DETAIL, C_NONE, NULL, render_detail, NULL, NULL, NULL, NULL },
	[T_CONFIG] = { "config", T_INSTANCE, RW, NF_DETAIL | NF_OVERRIDE, C_JSON, "UpdateInstance", render_config,
		       commit_config, NULL, NULL, NULL },
	[T_STATUS] = { "status", T_INSTANCE, RO, NF_CHEAP, C_NONE, NULL, render_value, NULL, NULL, NULL, NULL },
	[T_CERT_STATUS] = { "certificate_status", T_INSTANCE, RO, NF_CHEAP, C_NONE, NULL, render_value, NULL, NULL,
			    NULL, NULL },
	[T_DOMAIN] = { "domain", T_INSTANCE, RW, NF_CHEAP | NF_OVERRIDE, C_LINE, "UpdateInstance", render_value,
		       commit_value, NULL, NULL, NULL },
	[T_NAME] = { "name", T_INSTANCE, RW, NF_CHEAP | NF_OVERRIDE, C_LINE, "UpdateInstance", render_value,
		     commit_value, NULL, NULL, NULL },
	[T_AUTO_REISSUE] = { "auto_reissue", T_INSTANCE, RW, NF_CHEAP | NF_OVERRIDE, C_LINE, "UpdateInstance",
			     render_value, commit_value, NULL, NULL, NULL },
	[T_KEY_ALG] = { "key_algorithm", T_INSTANCE, RW, NF_CHEAP | NF_OVERRIDE, C_LINE, "UpdateInstance",
			render_value, commit_value, NULL, NULL, NULL },
	[T_NOT_BEFORE] = { "not_before", T_INSTANCE, RO, NF_CHEAP, C_NONE, NULL, render_value, NULL, NULL, NULL,
			   exists_validity },
	[T_NOT_AFTER] = { "not_after", T_INSTANCE, RO, NF_CHEAP, C_NONE, NULL, render_value, NULL, NULL, NULL,
			  exists_validity },
	[T_TAGS] = { "tags", T_INSTANCE, RW, NF_DETAIL | NF_OVERRIDE, C_TAGS, "UpdateInstance", render_tags,
		     commit_value, NULL, NULL, NULL },
	[T_CSR] = { "csr", T_INSTANCE, RW, NF_DETAIL | NF_OVERRIDE, C_PEM, "UpdateInstance", render_csr, commit_value,
		    NULL, NULL, NULL },
	/* certificates: present when the list shows a CertificateId; key.pem only with -o keys */
	[T_CERT_PEM] = { "cert.pem", T_INSTANCE, RO, NF_CERT, C_NONE, NULL, render_cert_file, NULL, NULL, NULL,
			 exists_cert_file },
	[T_CHAIN_PEM] = { "chain.pem", T_INSTANCE, RO, NF_CERT, C_NONE, NULL, render_cert_file, NULL, NULL, NULL,
			  exists_cert_file },
	[T_FULLCHAIN_PEM] = { "fullchain.pem", T_INSTANCE, RO, NF_CERT, C_NONE, NULL, render_cert_file, NULL, NULL,
			      NULL, exists_cert_file },
	[T_KEY_PEM] = { "key.pem", T_INSTANCE, KEY, NF_CERT | NF_DIRECT, C_NONE, NULL, render_cert_file, NULL, NULL,
			NULL, exists_cert_file },
	/* trigger files read as empty and stay readable so tar/rsync/cp -a of the tree work */
	[T_REFUND] = { "refund", T_INSTANCE, RW, NF_CHEAP | NF_DIRECT, C_LINE, "RefundInstance", render_empty,
		       commit_refund, NULL, NULL, NULL },
	[T_SCRATCH] = { NULL, T_INSTANCE, 0100600, NF_CHEAP | NF_SCRATCH, C_NONE, NULL, NULL, NULL, remove_scratch,
			NULL, exists_scratch },
	/* Ruby's tempfile (and so Puppet) makes a lock directory beside its target */
	[T_SCRATCH_DIR] = { NULL, T_INSTANCE, 0040700, NF_CHEAP | NF_SCRATCH, C_NONE, NULL, NULL, NULL, remove_scratch,
			    NULL, exists_scratch_dir },
	[T_BY_STATUS] = { "by-status", T_ROOT, DIR, NF_CHEAP, C_NONE, NULL, NULL, NULL, NULL, list_statuses, NULL },
	[T_STATUS_DIR] = { NULL, T_BY_STATUS, DIR, NF_CHEAP, C_NONE, NULL, NULL, NULL, NULL, list_status_links,
			   exists_status },
	[T_STATUS_LINK] = { NULL, T_STATUS_DIR, LNK, NF_CHEAP, C_NONE, NULL, render_link, NULL, NULL, NULL,
			    exists_status_link },
	/* by-expiry/<window>/<id>: windows of CertificateNotAfter from the list (expiry.c) */
	[T_BY_EXPIRY] = { "by-expiry", T_ROOT, DIR, NF_CHEAP, C_NONE, NULL, NULL, NULL, NULL, list_windows, NULL },
	[T_EXPIRY_DIR] = { NULL, T_BY_EXPIRY, DIR, NF_CHEAP, C_NONE, NULL, NULL, NULL, NULL, list_expiry_links,
			   exists_window },
	[T_EXPIRY_LINK] = { NULL, T_EXPIRY_DIR, LNK, NF_CHEAP, C_NONE, NULL, render_link, NULL, NULL, NULL,
			    exists_expiry_link },
	[T_SUMMARY] = { "summary", T_ROOT, RO, 0, C_NONE, NULL, render_summary, NULL, NULL, NULL, NULL },
	[T_INSTANCES_JSONL] = { "instances.jsonl", T_ROOT, RO, NF_CHEAP, C_NONE, NULL, render_jsonl, NULL, NULL, NULL,
				NULL },
	[T_ACCESS] = { "cloud-access", T_ROOT, DIR, 0, C_NONE, NULL, NULL, NULL, NULL, list_access, NULL },
	[T_ACCESS_NEW] = { "new", T_ACCESS, RW, NF_CHEAP | NF_DIRECT | NF_SECRET, C_JSON, "AddCloudAccess", render_empty,
			   commit_access_new, NULL, NULL, NULL },
	[T_ACCESS_ENTRY] = { NULL, T_ACCESS, RO, NF_DESTROYS, C_NONE, "DeleteCloudAccess", render_entry, NULL, remove_access,
			     NULL, exists_access },
	[T_CA] = { "private-ca", T_ROOT, DIR, 0, C_NONE, NULL, NULL, NULL, NULL, list_ca, NULL },
	[T_CA_ENTRY] = { NULL, T_CA, RO, 0, C_NONE, NULL, render_entry, NULL, NULL, NULL, exists_ca },
	[T_CTL] = { ".cas", T_ROOT, DIR, NF_HIDDEN | NF_CHEAP, C_NONE, NULL, NULL, NULL, NULL, NULL, NULL },
	[T_CTL_STATS] = { "stats", T_CTL, RO, NF_DIRECT | NF_CHEAP, C_NONE, NULL, render_stats, NULL, NULL, NULL,
			  NULL },
	[T_CTL_ERRORS] = { "errors", T_CTL, RO, NF_DIRECT | NF_CHEAP, C_NONE, NULL, render_errors, NULL, NULL, NULL,
			   NULL },
	[T_CTL_JOURNAL] = { "journal", T_CTL, RO, NF_DIRECT | NF_CHEAP, C_NONE, NULL, render_journal, NULL, NULL,
			    NULL, NULL },
	[T_CTL_REFRESH] = { "refresh", T_CTL, WO, NF_DIRECT | NF_CHEAP, C_ANY, "Refresh", render_empty,
			    commit_refresh, NULL, NULL, NULL },
};

int node_is_dir(const struct node *n)
{
	return S_ISDIR(node_kinds[n->type].mode);
}

int node_is_instance_file(int type)
{
	return node_kinds[type].parent == T_INSTANCE;
}

int node_is_scratch(int type)
{
	return (node_kinds[type].flags & NF_SCRATCH) != 0;
}

/* Which row holds the variable part of a node: id (instance, status, entry)
 * or name (link, scratch). */
static void set_var(struct node *n, int type, const char *comp)
{
	size_t used = 0;
	if (n->id)
		used = (size_t)(n->id - n->buf) + strlen(n->id) + 1;
	char *dst = n->buf + used;
	size_t room = sizeof(n->buf) - used;
	snprintf(dst, room, "%s", comp);
	if (S_ISLNK(node_kinds[type].mode) || node_is_scratch(type))
		n->name = dst;
	else
		n->id = dst;
}

int node_child(struct casfs *fs, const struct node *dir, const char *name, struct node *out, struct cas_error *e)
{
	if (out != dir)
		*out = *dir;
	/* rebase the pointers into out->buf */
	if (dir->id)
		out->id = out->buf + (dir->id - dir->buf);
	if (dir->name)
		out->name = out->buf + (dir->name - dir->buf);
	if (strlen(name) > 255 || strlen(out->path) + strlen(name) + 2 > sizeof(out->path))
		return -ENAMETOOLONG;
	int parent = dir->type;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != parent || !k->name || strcmp(k->name, name) != 0)
			continue;
		if (k->exists) {
			int rc = k->exists(fs, dir, name, e);
			if (rc < 0)
				return rc;
			if (!rc)
				return -ENOENT;
		}
		out->type = t;
		goto found;
	}
	/* a variable child: the first variable row that claims the name (an
	 * instance directory has two: scratch files and scratch directories) */
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != parent || k->name)
			continue;
		if (node_is_scratch(t) && strlen(dir->id) + strlen(name) + 2 > sizeof(out->buf))
			return -ENAMETOOLONG;
		int rc = k->exists(fs, dir, name, e);
		if (rc < 0)
			return rc;
		if (rc) {
			out->type = t;
			set_var(out, t, name);
			goto found;
		}
	}
	return -ENOENT;
found:
	if (strcmp(out->path, "/") != 0)
		strcat(out->path, "/");
	strcat(out->path, name);
	out->ino = cas_path_ino(out->path);
	return 0;
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

int node_children(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e)
{
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != dir->type || (k->flags & NF_HIDDEN))
			continue;
		if (k->name) {
			if (k->exists) {
				int rc = k->exists(fs, dir, k->name, e);
				if (rc < 0)
					return rc;
				if (!rc)
					continue;
			}
			namelist_add(out, k->name);
		}
	}
	const struct node_kind *dk = &node_kinds[dir->type];
	if (dk->list) {
		int rc = dk->list(fs, dir, out, e);
		if (rc)
			return rc;
	}
	if (dir->type == T_INSTANCE)
		return list_scratch(fs, dir, out, e);
	return 0;
}
