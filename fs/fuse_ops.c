/* fuse_ops: FUSE handlers. Each resolves its path through the node table and
 * hands the work to the operations of the node's kind (kinds.h); none of
 * them names a kind. All return negative errno. The rules for modes,
 * metadata changes and renames are each kind's (docs/SEMANTICS.md). */
#include "fuse_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "deadline.h"
#include "errlog.h"
#include "front.h"
#include "handle.h"
#include "ilock.h"
#include "kinds.h"
#include "log.h"
#include "nodes.h"
#include "notify.h"
#include "progress.h"
#include "render.h"
#include "scratch.h"
#include "store.h"
#include "watch.h"

/* Every handler starts here: one deadline (-o timeout) for the whole
 * file-system operation, however many cache lookups and calls it makes. */
static void count(enum fuse_req_kind k)
{
	fs_count(fuse_get_context()->private_data, k);
}

static struct casfs *op_begin(void)
{
	struct fuse_context *ctx = fuse_get_context();
	struct casfs *fs = ctx->private_data;
	cas_op_begin((int64_t)(fs->o.timeout * 1000), (int64_t)ctx->uid, ctx->pid ? (int64_t)ctx->pid : -1);
	return fs;
}

static const struct kind_ops *ops_of(const struct node *n)
{
	return node_kind(n)->ops;
}

static struct handle *handle_of(const struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

static int resolve(struct casfs *fs, const char *path, struct node *n)
{
	return fs_resolve(fs, path, n);
}

static int casfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	if (fi && fi->fh) {
		struct handle *h = handle_of(fi);
		return ops_of(&h->node)->getattr(fs, &h->node, h, st);
	}
	struct node n;
	int rc = resolve(fs, path, &n);
	return rc ? rc : ops_of(&n)->getattr(fs, &n, NULL, st);
}

static int casfs_readlink(const char *path, char *buf, size_t size)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	if (rc)
		return rc;
	if (!S_ISLNK(node_kind(&n)->mode))
		return -EINVAL;
	struct snap *s;
	struct cas_error e;
	if ((rc = render_node(fs, &n, &s, &e)))
		return rc;
	snprintf(buf, size, "%.*s", (int)s->len, s->data);
	cas_obj_unref(s);
	return 0;
}

static int casfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags; /* FUSE_READDIR_PLUS never comes: casfs_init turns readdirplus off */
	struct casfs *fs = op_begin();
	struct node dir;
	int rc = resolve(fs, path, &dir);
	if (rc)
		return rc;
	if (!node_is_dir(&dir))
		return -ENOTDIR;
	struct namelist l = { 0 };
	struct cas_error e;
	cas_error_clear(&e);
	if ((rc = node_children(fs, &dir, &l, NULL, &e))) {
		fs_fail(fs, path, rc, &e);
		namelist_free(&l);
		return rc;
	}
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (size_t i = 0; i < l.n; i++) {
		struct node c;
		struct stat st;
		memset(&st, 0, sizeof(st));
		if (node_child(fs, &dir, l.v[i], &c, &e) != 0)
			continue;
		const struct node_kind *k = node_kind(&c);
		st.st_ino = c.ino;
		st.st_mode = node_mode(fs, k);
		fill(buf, l.v[i], &st, 0, 0); /* names and types only: readdirplus is off (casfs_init) */
	}
	namelist_free(&l);
	return 0;
}

/* Directory opens are only counted. Kernel caching of listings
 * (cache_readdir, keep_cache) is not asked for: libfuse 3.14's high-level
 * API drops both flags from its OPENDIR reply, and FUSE_CAP_NO_OPENDIR_SUPPORT
 * would leave it without the per-open buffer it keeps in opendir
 * (docs/ARCHITECTURE.md, "Kernel caching"). */
static int casfs_opendir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	count(FREQ_OPENDIR);
	return 0;
}

static int casfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	count(FREQ_RELEASEDIR);
	return 0;
}

/* Is gid the caller's group, primary or supplementary? */
static int caller_in_group(const struct fuse_context *ctx, gid_t gid)
{
	if (ctx->gid == gid)
		return 1;
	gid_t groups[256];
	int n = fuse_getgroups(256, groups);
	for (int i = 0; i < n && i < 256; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* The access check casfs makes itself, behind the kernel's
 * (default_permissions): may the caller have `want` (R_OK|W_OK|X_OK) on n?
 * The nodes of the table's rows have the mode node_mode() shows and the
 * mount's owner (-o uid=/gid=), whatever a stale attribute or another
 * option says: with -o allow_other no other user reads key.pem or writes a
 * file its mode does not give them. Entries users create (scratch) carry
 * their creator's owner and mode, checked by the kernel. Root passes, as
 * with the kernel's check. 0 or -EACCES with a record. */
static int may(struct casfs *fs, const struct node *n, int want)
{
	const struct node_kind *k = node_kind(n);
	struct fuse_context *ctx = fuse_get_context();
	if (!want || k->ops->create || ctx->uid == 0)
		return 0;
	mode_t m = node_mode(fs, k);
	mode_t bits = ctx->uid == fs->uid ? m >> 6 : caller_in_group(ctx, fs->gid) ? m >> 3 : m;
	if (((mode_t)want & bits & 7) == (mode_t)want)
		return 0;
	char why[160];
	snprintf(why, sizeof(why), "uid %u may not %s this file (mode %04o, owner %u:%u)", (unsigned)ctx->uid,
		 want & W_OK ? "write" : want & R_OK ? "read" : "search", (unsigned)(m & 07777), (unsigned)fs->uid,
		 (unsigned)fs->gid);
	return fs_refuse(fs, n->path, EACCES, why);
}

static int want_of(int flags)
{
	int acc = flags & O_ACCMODE;
	return (acc == O_RDONLY || acc == O_RDWR ? R_OK : 0) | (acc != O_RDONLY || (flags & O_TRUNC) ? W_OK : 0);
}

/* Opens a resolved node through its kind. */
static int open_node(struct casfs *fs, const struct node *n, struct fuse_file_info *fi)
{
	int rc = may(fs, n, want_of(fi->flags));
	if (rc)
		return rc;
	struct handle *h = handle_open(fs, n, fi->flags, &rc);
	if (!h) {
		if (rc == -EACCES || rc == -EROFS)
			return fs_refuse(fs, n->path, -rc,
					 "this file is read-only (detail, status and the like come from the "
					 "service; write config or a writable value file)");
		return rc;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->direct_io = h->direct_io;
	/* ttl=0: the kernel caches nothing, pages included */
	fi->keep_cache = !fi->direct_io && h->keep_cache && fs->o.ttl > 0;
	/* a read-only open has nothing to commit: spare the kernel a FLUSH per close */
	fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
	return 0;
}

static int casfs_open(const char *path, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	if (rc)
		return rc;
	if (node_is_dir(&n))
		return -EISDIR;
	return open_node(fs, &n, fi);
}

/* The directory that is the parent of path, and the last component. */
static int split_parent(struct casfs *fs, const char *path, struct node *dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	char parent[4096];
	size_t plen = slash == path ? 1 : (size_t)(slash - path);
	if (plen >= sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	*name = slash + 1;
	return resolve(fs, parent, dir);
}

/* The parent directory of a new entry of type (S_IFREG, S_IFDIR) and the
 * row that creates it there: 0, or -errno with a record (err, why). */
static int creator_of(struct casfs *fs, const char *path, mode_t type, int err, const char *why, struct node *dir,
		      const char **name, const struct node_kind **k)
{
	int rc = split_parent(fs, path, dir, name);
	if (rc)
		return rc;
	if (fs->o.ro)
		return fs_refuse(fs, path, EROFS, "");
	*k = node_creator(dir->type, type);
	return *k ? 0 : fs_refuse(fs, path, err, why);
}

static int casfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	struct node dir, n;
	const char *name;
	const struct node_kind *k;
	int rc = creator_of(fs, path, S_IFREG, EACCES,
			    "new files can be created only inside instances/<id>/ (as scratch files)", &dir, &name, &k);
	if (rc)
		return rc;
	struct fuse_context *ctx = fuse_get_context();
	if ((rc = k->ops->create(fs, &dir, name, mode & ~ctx->umask, ctx->uid, ctx->gid)))
		return rc;
	struct cas_error e;
	if ((rc = node_child(fs, &dir, name, &n, &e)))
		return rc;
	return open_node(fs, &n, fi);
}

static int casfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct handle *h = handle_of(fi);
	return (int)handle_read(op_begin(), h, buf, size, off);
}

static int casfs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct handle *h = handle_of(fi);
	int rc = (int)handle_write(op_begin(), h, buf, size, off, fuse_get_context()->pid);
	/* the request buffer libfuse reuses still holds the bytes: wipe a secret there too */
	if (node_kind(&h->node)->flags & NF_SECRET)
		OPENSSL_cleanse((void *)buf, size);
	return rc;
}

static int casfs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct handle *h = handle_of(fi);
	return handle_flush(op_begin(), h, fuse_get_context()->pid);
}

static int casfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	return casfs_flush(path, fi);
}

static int casfs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	handle_release(op_begin(), handle_of(fi));
	return 0;
}

static int casfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	if (fi && fi->fh) {
		struct handle *h = handle_of(fi);
		return handle_truncate(fs, h, size);
	}
	struct node n;
	int rc = resolve(fs, path, &n);
	if (!rc)
		rc = may(fs, &n, W_OK);
	return rc ? rc : ops_of(&n)->truncate(fs, &n, NULL, size);
}

/* Removal rules (docs/SEMANTICS.md): deleting anything remote needs
 * -o allow_delete; a directory holding entries a user created (scratch) is
 * ENOTEMPTY either way; with allow_delete, unlinking a fixed file of a
 * directory whose row explains why they stay (an instance's own files)
 * succeeds and changes nothing (they are views of the instance and come
 * back), so that rm -rf, find -delete and Ansible's rmtree reach the rmdir
 * that deletes. */
static int remove_node(const char *path, int want_dir)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	if (rc)
		return rc;
	if (want_dir != node_is_dir(&n))
		return want_dir ? -ENOTDIR : -EISDIR;
	const struct node_kind *k = node_kind(&n);
	const char *fixed_why = k->name && k->parent >= 0 ? node_kinds[k->parent].fixed_why : NULL;
	if (!k->remove && fixed_why && fs->o.allow_delete && !fs->o.ro) {
		cas_debug("%s: unlink of an instance's own file: nothing to do (it stays while the instance exists)",
			  path);
		return 0;
	}
	/* a refusal's record names what was refused: the action it would have sent, else rmdir/unlink */
	const char *what = k->action ? k->action : want_dir ? "rmdir" : "unlink";
	if (!k->remove)
		return fs_refuse_as(fs, path, EPERM, what, fixed_why ? fixed_why : "this entry cannot be removed");
	if (node_is_dir(&n) && node_created_children(fs, &n))
		return fs_refuse_as(fs, path, ENOTEMPTY, what,
				    "the directory holds scratch files or directories; remove them first");
	if ((k->flags & NF_DESTROYS) && !fs->o.allow_delete)
		return fs_refuse_as(fs, path, EPERM, what,
				    "deleting needs the mount option -o allow_delete (off by default)");
	struct cas_error e;
	cas_error_clear(&e);
	cas_error_action(&e, k->action);
	rc = k->remove(fs, &n, &e);
	if (rc && k->action) /* a removal the service refused (not a local file's) */
		fs_fail(fs, path, rc, &e);
	return rc;
}

static int casfs_unlink(const char *path)
{
	return remove_node(path, 0);
}

static int casfs_rmdir(const char *path)
{
	return remove_node(path, 1);
}

static int casfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct casfs *fs = op_begin();
	struct node src, dir;
	const char *name;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	int rc = resolve(fs, from, &src);
	if (rc)
		return rc;
	if ((rc = split_parent(fs, to, &dir, &name)))
		return rc;
	if (fs->o.ro)
		return fs_refuse(fs, from, EROFS, "");
	if (!ops_of(&src)->rename)
		return fs_refuse(fs, from, EPERM, "only files inside an instance directory can be renamed");
	if (node_kind(&src)->flags & NF_KEYS) /* renamed away, it would become a scratch copy */
		return fs_refuse(fs, from, EPERM, "a private key never becomes a scratch file: key.pem cannot be "
						  "renamed; copy it out of the mount instead");
	struct fuse_context *ctx = fuse_get_context();
	return ops_of(&src)->rename(fs, &src, &dir, name, flags, ctx->uid, ctx->gid);
}

static int setattr(const char *path, const struct attr_change *a)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	return rc ? rc : ops_of(&n)->setattr(fs, &n, a);
}

static int casfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	return setattr(path, &(struct attr_change){ .what = ATTR_MODE, .mode = mode });
}

static int casfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	return setattr(path, &(struct attr_change){ .what = ATTR_OWNER, .uid = uid, .gid = gid });
}

static int casfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	return setattr(path, &(struct attr_change){ .what = ATTR_TIMES, .tv = tv });
}

static int casfs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	(void)op_begin();
	fs_statfs(sv);
	return 0;
}

static int casfs_access(const char *path, int mask)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	return rc ? rc : may(fs, &n, mask & (R_OK | W_OK | X_OK));
}

static int refuse_mknod(const char *path, mode_t mode, dev_t dev)
{
	(void)mode;
	(void)dev;
	return fs_refuse(op_begin(), path, EPERM, "devices and links cannot be created in casfs");
}

static int refuse_link(const char *from, const char *to)
{
	(void)from;
	return refuse_mknod(to, 0, 0);
}

/* Directories exist only where a row creates them (empty scratch
 * directories inside instances/<id>/). */
static int casfs_mkdir(const char *path, mode_t mode)
{
	struct casfs *fs = op_begin();
	struct node dir, n;
	const char *name;
	const struct node_kind *k;
	int rc = creator_of(fs, path, S_IFDIR, EPERM,
			    "directories can be created only inside instances/<id>/ (as empty scratch directories)", &dir,
			    &name, &k);
	if (rc)
		return rc;
	struct cas_error e;
	cas_error_clear(&e);
	if ((rc = node_child(fs, &dir, name, &n, &e)) == 0)
		return -EEXIST;
	if (rc != -ENOENT)
		return rc;
	struct fuse_context *ctx = fuse_get_context();
	return k->ops->create(fs, &dir, name, mode & ~ctx->umask, ctx->uid, ctx->gid);
}

/* The notifier's sink: libfuse finds the path's node and tells the kernel
 * to forget its entry and its attributes and pages (-ENOENT: the kernel
 * never saw it). */
static void invalidate_path(void *fuse, const char *path)
{
	fuse_invalidate_path(fuse, path);
}

static void *casfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fuse_context *ctx = fuse_get_context();
	struct casfs *fs = ctx->private_data;
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->entry_timeout = fs->o.ttl;
	cfg->attr_timeout = fs->o.ttl;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	fs_conn_want(fs, conn);
	casfs_start(fs, invalidate_path, ctx->fuse);
	return fs;
}

static void casfs_destroy(void *data)
{
	casfs_finish(data);
}

/* The counted entry points: each counts its request, then runs the handler. */
static int c_getattr(const char *p, struct stat *st, struct fuse_file_info *fi)
{
	count(FREQ_GETATTR);
	return casfs_getattr(p, st, fi);
}
static int c_readlink(const char *p, char *buf, size_t size)
{
	count(FREQ_READLINK);
	return casfs_readlink(p, buf, size);
}
static int c_readdir(const char *p, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		     enum fuse_readdir_flags flags)
{
	count(FREQ_READDIR);
	return casfs_readdir(p, buf, fill, off, fi, flags);
}
static int c_open(const char *p, struct fuse_file_info *fi)
{
	count(FREQ_OPEN);
	return casfs_open(p, fi);
}
static int c_create(const char *p, mode_t mode, struct fuse_file_info *fi)
{
	count(FREQ_CREATE);
	return casfs_create(p, mode, fi);
}
static int c_read(const char *p, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	count(FREQ_READ);
	return casfs_read(p, buf, size, off, fi);
}
static int c_write(const char *p, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	count(FREQ_WRITE);
	return casfs_write(p, buf, size, off, fi);
}
static int c_flush(const char *p, struct fuse_file_info *fi)
{
	count(FREQ_FLUSH);
	return casfs_flush(p, fi);
}
static int c_release(const char *p, struct fuse_file_info *fi)
{
	count(FREQ_RELEASE);
	return casfs_release(p, fi);
}
static int c_access(const char *p, int mask)
{
	count(FREQ_ACCESS);
	return casfs_access(p, mask);
}
static int c_fsync(const char *p, int datasync, struct fuse_file_info *fi)
{
	count(FREQ_OTHER);
	return casfs_fsync(p, datasync, fi);
}
static int c_truncate(const char *p, off_t size, struct fuse_file_info *fi)
{
	count(FREQ_OTHER);
	return casfs_truncate(p, size, fi);
}
static int c_unlink(const char *p)
{
	count(FREQ_OTHER);
	return casfs_unlink(p);
}
static int c_rmdir(const char *p)
{
	count(FREQ_OTHER);
	return casfs_rmdir(p);
}
static int c_rename(const char *from, const char *to, unsigned int flags)
{
	count(FREQ_OTHER);
	return casfs_rename(from, to, flags);
}
static int c_chmod(const char *p, mode_t mode, struct fuse_file_info *fi)
{
	count(FREQ_OTHER);
	return casfs_chmod(p, mode, fi);
}
static int c_chown(const char *p, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	count(FREQ_OTHER);
	return casfs_chown(p, uid, gid, fi);
}
static int c_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi)
{
	count(FREQ_OTHER);
	return casfs_utimens(p, tv, fi);
}
static int c_statfs(const char *p, struct statvfs *sv)
{
	count(FREQ_OTHER);
	return casfs_statfs(p, sv);
}
static int c_mkdir(const char *p, mode_t mode)
{
	count(FREQ_OTHER);
	return casfs_mkdir(p, mode);
}
static int c_mknod(const char *p, mode_t mode, dev_t dev)
{
	count(FREQ_OTHER);
	return refuse_mknod(p, mode, dev);
}
static int c_link(const char *from, const char *to)
{
	count(FREQ_OTHER);
	return refuse_link(from, to);
}

/* Go programs (node_exporter's textfile collector) register every file they
 * open with epoll, which makes the kernel send FUSE_POLL. libfuse 3.14's
 * high-level API leaks the poll handle of a filesystem without .poll: this
 * frees it and answers ENOSYS, after which the kernel treats every file as
 * always ready and asks no more (what it does without .poll anyway). */
static int casfs_poll(const char *p, struct fuse_file_info *fi, struct fuse_pollhandle *ph, unsigned *reventsp)
{
	(void)p, (void)fi, (void)reventsp;
	if (ph)
		fuse_pollhandle_destroy(ph);
	return -ENOSYS;
}

const struct fuse_operations casfs_ops = {
	.init = casfs_init,
	.destroy = casfs_destroy,
	.getattr = c_getattr,
	.readlink = c_readlink,
	.opendir = casfs_opendir,
	.readdir = c_readdir,
	.releasedir = casfs_releasedir,
	.open = c_open,
	.create = c_create,
	.read = c_read,
	.write = c_write,
	.flush = c_flush,
	.fsync = c_fsync,
	.release = c_release,
	.truncate = c_truncate,
	.unlink = c_unlink,
	.rmdir = c_rmdir,
	.rename = c_rename,
	.chmod = c_chmod,
	.chown = c_chown,
	.utimens = c_utimens,
	.statfs = c_statfs,
	.access = c_access,
	.mkdir = c_mkdir,
	.mknod = c_mknod,
	.symlink = c_link,
	.link = c_link,
	.poll = casfs_poll,
};
