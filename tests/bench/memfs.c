/* memfs: the "null" FUSE filesystem of the benchmarks. At start it copies a
 * directory tree (a snapshot of a casfs mount) into memory and then serves
 * exactly those bytes, read-only, with the kernel cache settings casfs uses
 * (use_ino, entry/attr timeout 60 s, page cache kept). Whatever casfs costs
 * beyond this is the price of casfs itself. It uses libfuse's high-level
 * (path) API, as casfs does; memfs_ll is the same with the low-level API.
 *
 *   memfs SOURCE_DIR MOUNTPOINT [-f] [-o ...] */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtree.h"

static struct memtree tree;

static int m_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	struct mnode *n = memtree_find(&tree, path);
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
	struct mnode *n = memtree_find(&tree, path);
	if (!n)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (size_t i = 0; i < n->nkids; i++) {
		struct mnode *k = memtree_child(&tree, n, n->kids[i]);
		if (k && (flags & FUSE_READDIR_PLUS))
			fill(buf, n->kids[i], &k->st, 0, FUSE_FILL_DIR_PLUS);
		else
			fill(buf, n->kids[i], k ? &k->st : NULL, 0, 0);
	}
	return 0;
}

static int m_open(const char *path, struct fuse_file_info *fi)
{
	struct mnode *n = memtree_find(&tree, path);
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
	struct mnode *n = memtree_find(&tree, path);
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
	int err = memtree_load(&tree, argv[1]);
	if (err < 0) {
		fprintf(stderr, "memfs: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	fprintf(stderr, "memfs: %zu nodes loaded from %s\n", tree.n, argv[1]);
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
