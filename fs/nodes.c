/* nodes: the path grammar, generic child listing and link targets: walks
 * over the node table (tree.c; see nodes.h). */
#include "nodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int node_is_dir(const struct node *n)
{
	return S_ISDIR(node_kind(n)->mode);
}

mode_t node_mode(const struct casfs *fs, const struct node_kind *k)
{
	return k->mode & ~(fs->o.umask & 0777);
}

int node_fixed_present(struct casfs *fs, const struct node *dir, const char *name, struct cas_error *e)
{
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent == dir->type && k->name && strcmp(k->name, name) == 0)
			return k->exists ? k->exists(fs, k, dir, name, e) : 1;
	}
	return 0;
}

int node_name_claimed(int parent, const char *name)
{
	for (int t = 0; t < T_N; t++)
		if (node_kinds[t].parent == parent && node_kinds[t].name && strcmp(node_kinds[t].name, name) == 0)
			return 1;
	return 0;
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
	size_t plen = strlen(dir->path), nlen = strlen(name);
	if (nlen > NODE_NAME_MAX || plen + 1 + nlen >= sizeof(out->path) || (!node_kinds[t].name && dir->name[0]))
		return -ENAMETOOLONG; /* deeper than any row: never for a row of the table */
	if (out != dir)
		*out = *dir;
	out->type = t;
	if (!node_kinds[t].name)
		memcpy(out->id[0] ? out->name : out->id, name, nlen + 1);
	if (plen > 1)
		out->path[plen++] = '/';
	memcpy(out->path + plen, name, nlen + 1);
	out->ino = cas_path_ino(out->path);
	return 0;
}

int node_child(struct casfs *fs, const struct node *dir, const char *name, struct node *out, struct cas_error *e)
{
	if (strlen(name) > NODE_NAME_MAX)
		return -ENAMETOOLONG;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != dir->type || !k->name || strcmp(k->name, name) != 0)
			continue;
		int rc = fixed_present(fs, k, dir, e);
		if (rc < 0)
			return rc;
		if (rc)
			return make_child(dir, t, name, out);
		break; /* absent (key.pem without -o keys): a variable row may hold the name (a staged file) */
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

char *node_link_target(const struct node *n)
{
	const struct node_kind *k = node_kind(n);
	/* the target's rows, the target first (the root left out) */
	int chain[NODE_DEPTH_MAX + 1];
	size_t depth = 0;
	for (int r = k->target; node_kinds[r].parent >= 0 && depth < NODE_DEPTH_MAX; r = node_kinds[r].parent)
		chain[depth++] = r;
	/* climb from the link's directory to the nearest row the target's path
	 * shares (the root at the latest), so a copy of a subtree (rsync of
	 * certificates/) keeps its links inside it */
	struct cas_buf b = CAS_BUF_INIT;
	size_t spell = depth;
	for (int r = k->parent; node_kinds[r].parent >= 0; r = node_kinds[r].parent) {
		size_t i = 0;
		while (i < depth && chain[i] != r)
			i++;
		if (i < depth) {
			spell = i;
			break;
		}
		cas_buf_adds(&b, "../");
	}
	for (size_t i = spell; i-- > 0;) {
		const char *c = node_kinds[chain[i]].name;
		cas_buf_adds(&b, c ? c : n->name[0] ? n->name : n->id);
		if (i)
			cas_buf_addc(&b, '/');
	}
	return cas_buf_steal(&b);
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
