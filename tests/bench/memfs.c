/* memfs: the "null" FUSE filesystem of the benchmarks. At start it copies a
 * directory tree (a snapshot of a casfs mount) into memory and then serves
 * exactly those bytes, read-only, with the kernel cache settings casfs uses
 * (use_ino, entry/attr timeout 60 s, page cache kept). Whatever casfs costs
 * beyond this is the price of casfs itself.
 *
 *   memfs SOURCE_DIR MOUNTPOINT [-f] [-o ...] */
#define FUSE_USE_VERSION 314
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mnode {
	char *path;
	struct stat st;
	char *data;       /* file contents or symlink target */
	size_t len;
	char **kids;      /* directory entries */
	size_t nkids;
};

static struct mnode *nodes;
static size_t nnodes, cap;

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct mnode *)a)->path, ((const struct mnode *)b)->path);
}

static struct mnode *find(const char *path)
{
	struct mnode key = { .path = (char *)path };
	return bsearch(&key, nodes, nnodes, sizeof(*nodes), cmp_node);
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

static void load(const char *src, const char *rel)
{
	char full[8192];
	snprintf(full, sizeof(full), "%s%s", src, rel);
	if (nnodes == cap)
		nodes = realloc(nodes, (cap = cap ? cap * 2 : 1024) * sizeof(*nodes));
	struct mnode *n = &nodes[nnodes++];
	memset(n, 0, sizeof(*n));
	n->path = strdup(*rel ? rel : "/");
	lstat(full, &n->st);
	if (S_ISREG(n->st.st_mode)) {
		n->data = slurp(full, &n->len);
	} else if (S_ISLNK(n->st.st_mode)) {
		char t[4096];
		ssize_t l = readlink(full, t, sizeof(t) - 1);
		n->len = l > 0 ? (size_t)l : 0;
		n->data = strndup(t, n->len);
	} else if (S_ISDIR(n->st.st_mode)) {
		size_t self = nnodes - 1;
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
			load(src, sub);
		}
		nodes[self].kids = kids;
		nodes[self].nkids = nk;
	}
}

static int m_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	struct mnode *n = find(path);
	if (!n)
		return -ENOENT;
	*st = n->st;
	return 0;
}

static int m_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		     enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	struct mnode *n = find(path);
	if (!n)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (size_t i = 0; i < n->nkids; i++) {
		char sub[8192];
		snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "", n->kids[i]);
		struct mnode *k = find(sub);
		if (k && (flags & FUSE_READDIR_PLUS))
			fill(buf, n->kids[i], &k->st, 0, FUSE_FILL_DIR_PLUS);
		else
			fill(buf, n->kids[i], k ? &k->st : NULL, 0, 0);
	}
	return 0;
}

static int m_open(const char *path, struct fuse_file_info *fi)
{
	struct mnode *n = find(path);
	if (!n)
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	fi->fh = (uint64_t)(uintptr_t)n;
	fi->keep_cache = 1;
	return 0;
}

static int m_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct mnode *n = (struct mnode *)(uintptr_t)fi->fh;
	if ((size_t)off >= n->len)
		return 0;
	size_t c = n->len - (size_t)off < size ? n->len - (size_t)off : size;
	memcpy(buf, n->data + off, c);
	return (int)c;
}

static int m_readlink(const char *path, char *buf, size_t size)
{
	struct mnode *n = find(path);
	if (!n || !S_ISLNK(n->st.st_mode))
		return -EINVAL;
	snprintf(buf, size, "%s", n->data);
	return 0;
}

static void *m_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS; /* the same kernel caching casfs asks for */
	cfg->use_ino = 1;
	cfg->entry_timeout = cfg->attr_timeout = 60;
	cfg->negative_timeout = 0;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = m_init, .getattr = m_getattr, .readdir = m_readdir,
	.open = m_open, .read = m_read, .readlink = m_readlink,
};

int main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: memfs SOURCE_DIR MOUNTPOINT [fuse options]\n");
		return 2;
	}
	char *src = realpath(argv[1], NULL);
	if (!src) {
		perror(argv[1]);
		return 1;
	}
	load(src, "");
	qsort(nodes, nnodes, sizeof(*nodes), cmp_node);
	fprintf(stderr, "memfs: %zu nodes loaded from %s\n", nnodes, src);
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
