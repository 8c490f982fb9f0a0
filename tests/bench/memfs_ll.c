/* memfs_ll: memfs (the benchmarks' null FUSE filesystem, memtree.h) written
 * against libfuse's low-level (inode) API, to measure what the kernel's
 * OPEN/RELEASE round trips cost a warm read of the tree. It serves the same
 * bytes read-only, with memfs's kernel cache settings (entry/attr timeout
 * 60 s, no negative entries, symlink targets cached, readdirplus off), on the
 * multithreaded loop. The mode is required:
 *
 *   --open     answers OPEN with keep_cache and OPENDIR with cache_readdir +
 *              keep_cache: the most a filesystem that answers OPEN can let
 *              the kernel keep. Each open and close still costs a round trip.
 *   --no-open  answers OPEN and OPENDIR with ENOSYS. The kernel then takes
 *              that as "no open support" for the whole connection: it never
 *              sends OPEN, RELEASE, OPENDIR or RELEASEDIR again and keeps
 *              pages and listings across opens (FUSE_CAP_NO_OPEN_SUPPORT,
 *              FUSE_CAP_NO_OPENDIR_SUPPORT).
 *
 *   memfs_ll --open|--no-open SOURCE_DIR MOUNTPOINT
 *
 * It stays in the foreground; SIGTERM, SIGINT or an unmount end it. */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtree.h"

static const double TIMEOUT = 60; /* seconds, entries and attributes (memfs's) */

static struct memtree tree; /* read-only once loaded: no lock */
static int answer_open;     /* --open: 1, --no-open: 0 */

/* inode number <-> node: the node's index + 1, the root is nodes[0] = 1 */
static struct mnode *node_of(fuse_ino_t ino)
{
	return ino >= 1 && ino <= tree.n ? &tree.nodes[ino - 1] : NULL;
}

static fuse_ino_t ino_of(const struct mnode *n)
{
	return (fuse_ino_t)(n - tree.nodes) + 1;
}

static void attr_of(const struct mnode *n, struct stat *st)
{
	*st = n->st;
	st->st_ino = ino_of(n);
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS; /* as memfs and casfs */
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS; /* as casfs: names from READDIR, attributes from LOOKUP */
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mnode *dir = node_of(parent);
	struct mnode *n = dir && S_ISDIR(dir->st.st_mode) ? memtree_child(&tree, dir, name) : NULL;
	if (!n) {
		fuse_reply_err(req, ENOENT); /* not cached: negative timeout 0 */
		return;
	}
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = ino_of(n);
	e.attr_timeout = e.entry_timeout = TIMEOUT;
	attr_of(n, &e.attr);
	fuse_reply_entry(req, &e);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct mnode *n = node_of(ino);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	attr_of(n, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mnode *n = node_of(ino);
	if (!n || !S_ISLNK(n->st.st_mode))
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, n->data);
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!answer_open) {
		fuse_reply_err(req, ENOSYS); /* the kernel stops sending OPENDIR/RELEASEDIR */
		return;
	}
	fi->cache_readdir = 1; /* the kernel keeps the listing ... */
	fi->keep_cache = 1;    /* ... across opendirs */
	fuse_reply_open(req, fi);
}

/* Entries "." and ".." then the node's kids; an entry's offset is the
 * position of the next one, so OFF resumes where the last reply ended. */
static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	struct mnode *dir = node_of(ino);
	if (!dir || !S_ISDIR(dir->st.st_mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	char *buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	for (off_t i = off; i < (off_t)dir->nkids + 2; i++) {
		struct stat st;
		memset(&st, 0, sizeof(st));
		const char *name;
		if (i < 2) {
			name = i == 0 ? "." : "..";
			st.st_ino = i == 0 ? ino : FUSE_ROOT_ID; /* only the type matters to the kernel */
			st.st_mode = S_IFDIR;
		} else {
			name = dir->kids[i - 2];
			struct mnode *k = memtree_child(&tree, dir, name);
			if (k)
				attr_of(k, &st);
		}
		size_t l = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
		if (l > size - used)
			break; /* does not fit: the next READDIR starts here */
		used += l;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!answer_open) {
		fuse_reply_err(req, ENOSYS); /* the kernel stops sending OPEN/RELEASE */
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->keep_cache = 1; /* pages stay valid across opens */
	fuse_reply_open(req, fi);
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	struct mnode *n = node_of(ino);
	if (!n || !S_ISREG(n->st.st_mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((size_t)off >= n->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	size_t c = n->len - (size_t)off < size ? n->len - (size_t)off : size;
	fuse_reply_buf(req, n->data + off, c);
}

/* RELEASE and RELEASEDIR (only with --open): nothing to free */
static void ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = ll_init,
	.lookup = ll_lookup,
	.getattr = ll_getattr,
	.readlink = ll_readlink,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.releasedir = ll_release,
	.open = ll_open,
	.read = ll_read,
	.release = ll_release,
};

static int usage(void)
{
	fprintf(stderr, "usage: memfs_ll --open|--no-open SOURCE_DIR MOUNTPOINT\n");
	return 2;
}

int main(int argc, char *argv[])
{
	if (argc != 4)
		return usage();
	if (!strcmp(argv[1], "--open"))
		answer_open = 1;
	else if (!strcmp(argv[1], "--no-open"))
		answer_open = 0;
	else
		return usage();
	int err = memtree_load(&tree, argv[2]);
	if (err < 0) {
		fprintf(stderr, "memfs_ll: %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	fprintf(stderr, "memfs_ll: %zu nodes loaded from %s (%s)\n", tree.n, argv[2], argv[1]);

	/* read-only mount: with --no-open the kernel never asks before a write */
	char *fargv[] = { argv[0], "-o", "ro,fsname=memfs_ll", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	int rc = 1;
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se) < 0)
		goto out_destroy;
	if (fuse_session_mount(se, argv[3]) < 0)
		goto out_signals;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	rc = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out:
	fuse_opt_free_args(&args);
	return rc;
}
