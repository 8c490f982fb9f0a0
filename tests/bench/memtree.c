/* memtree: the tree loader and lookups shared by memfs and memfs_ll
 * (memtree.h). */
#include "memtree.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct mnode *)a)->path, ((const struct mnode *)b)->path);
}

struct mnode *memtree_find(const struct memtree *t, const char *path)
{
	struct mnode key = { .path = (char *)path };
	return bsearch(&key, t->nodes, t->n, sizeof(*t->nodes), cmp_node);
}

struct mnode *memtree_child(const struct memtree *t, const struct mnode *dir, const char *name)
{
	char sub[8192];
	snprintf(sub, sizeof(sub), "%s/%s", strcmp(dir->path, "/") ? dir->path : "", name);
	return memtree_find(t, sub);
}

static char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		return NULL;
	size_t n = 0, c = 4096;
	char *buf = malloc(c);
	size_t r;
	while ((r = fread(buf + n, 1, c - n, f)) > 0) {
		n += r;
		if (n == c)
			buf = realloc(buf, c *= 2);
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Appends the node at SRC/REL and, for a directory, everything below it. */
static void load(struct memtree *t, const char *src, const char *rel)
{
	char full[8192];
	snprintf(full, sizeof(full), "%s%s", src, rel);
	if (t->n == t->cap)
		t->nodes = realloc(t->nodes, (t->cap = t->cap ? t->cap * 2 : 1024) * sizeof(*t->nodes));
	size_t self = t->n++;
	struct mnode *n = &t->nodes[self];
	memset(n, 0, sizeof(*n));
	n->path = strdup(*rel ? rel : "/");
	lstat(full, &n->st);
	if (S_ISREG(n->st.st_mode)) {
		n->data = slurp(full, &n->len);
	} else if (S_ISLNK(n->st.st_mode)) {
		char target[4096];
		ssize_t l = readlink(full, target, sizeof(target) - 1);
		n->len = l > 0 ? (size_t)l : 0;
		n->data = strndup(target, n->len);
	} else if (S_ISDIR(n->st.st_mode)) {
		DIR *d = opendir(full);
		struct dirent *de;
		char **kids = NULL;
		size_t nk = 0;
		while (d && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			kids = realloc(kids, (nk + 1) * sizeof(char *));
			kids[nk++] = strdup(de->d_name);
		}
		if (d)
			closedir(d);
		for (size_t i = 0; i < nk; i++) {
			char sub[8192];
			snprintf(sub, sizeof(sub), "%s/%s", rel, kids[i]);
			load(t, src, sub); /* may move t->nodes: n is stale from here */
		}
		t->nodes[self].kids = kids;
		t->nodes[self].nkids = nk;
	}
}

int memtree_load(struct memtree *t, const char *src)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	load(t, src, "");
	/* "/" sorts before every "/x", so the root stays nodes[0] */
	qsort(t->nodes, t->n, sizeof(*t->nodes), cmp_node);
	return 0;
}
