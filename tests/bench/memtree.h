/* memtree: the in-memory copy of a directory tree that the null FUSE
 * filesystems of the benchmarks (memfs, memfs_ll) serve. memtree_load copies
 * every node under SOURCE_DIR once (metadata from lstat, file contents,
 * symlink targets, directory entries); after that the tree never changes, so
 * it needs no locking however many threads read it.
 *
 * Nodes are sorted by path; the root "/" is always nodes[0], so a node's index
 * + 1 is a stable inode number with the root at FUSE_ROOT_ID (1). */
#ifndef CASFS_BENCH_MEMTREE_H
#define CASFS_BENCH_MEMTREE_H

#include <stddef.h>
#include <sys/stat.h>

struct mnode {
	char *path;       /* "/" or "/a/b", relative to the source directory */
	struct stat st;   /* lstat of the source */
	char *data;       /* file contents or symlink target */
	size_t len;
	char **kids;      /* directory entries, without "." and ".." */
	size_t nkids;
};

struct memtree {
	struct mnode *nodes; /* sorted by path, nodes[0] is "/" */
	size_t n, cap;
};

/* Copies SRC (a directory) into T. Returns 0, or -errno when SRC cannot be
 * resolved or is not a directory. */
int memtree_load(struct memtree *t, const char *src);
/* The node at PATH ("/" or "/a/b"), or NULL. */
struct mnode *memtree_find(const struct memtree *t, const char *path);
/* The entry NAME of directory DIR, or NULL. */
struct mnode *memtree_child(const struct memtree *t, const struct mnode *dir, const char *name);

#endif
