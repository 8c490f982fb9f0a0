/* fuse_ops: FUSE handlers. Each resolves its path through the node table and
 * hands the work to the module that owns it; all return negative errno.
 * Mode, chmod/chown/utimens and rename rules follow DESIGN §3: scratch
 * files behave like ordinary files, API files accept only no-op metadata
 * changes, and renaming a scratch file onto a writable node commits it. */
#include "fuse_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <openssl/crypto.h>

#include "deadline.h"
#include "errlog.h"
#include "handle.h"
#include "log.h"
#include "memo.h"
#include "nodes.h"
#include "notify.h"
#include "progress.h"
#include "render.h"
#include "scratch.h"

struct casfs *casfs_get(void)
{
	return fuse_get_context()->private_data;
}

/* Every handler starts here: one deadline (-o timeout) for the whole
 * file-system operation, however many cache lookups and calls it makes. */
static struct casfs *op_begin(void)
{
	struct fuse_context *ctx = fuse_get_context();
	struct casfs *fs = ctx->private_data;
	cas_op_begin((int64_t)(fs->o.timeout * 1000), (int64_t)ctx->uid, ctx->pid ? (int64_t)ctx->pid : -1);
	return fs;
}

/* Resolves path; API failures other than "not found" are recorded. */
static int resolve(struct casfs *fs, const char *path, struct node *n)
{
	struct cas_error e;
	cas_error_clear(&e);
	int rc = node_resolve(fs, path, n, &e);
	if (rc)
		fs_fail_read(fs, path, rc, &e);
	return rc;
}

/* Refuses an operation the tree does not allow, leaving a record that says why. */
static int refuse(struct casfs *fs, const char *path, int err, const char *why)
{
	struct cas_error e;
	cas_error_clear(&e);
	if (fs->o.ro && err != EXDEV) {
		err = EROFS;
		why = "mounted with -o ro";
	}
	cas_error_set(&e, err, err == EROFS ? "Local.ReadOnly" : "Local.NotAllowed", "%s", why);
	fs_fail(fs, path, -err, &e);
	return -err;
}

static uint64_t names_hash(const struct namelist *l)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < l->n; i++) {
		h ^= cas_hash64(l->v[i], strlen(l->v[i]) + 1);
		h *= 1099511628211ULL;
	}
	return h;
}

static int stat_node(struct casfs *fs, const struct node *n, struct stat *st)
{
	const struct node_kind *k = &node_kinds[n->type];
	if (node_is_scratch(n->type))
		return scratch_stat(fs->scratch, n->id, n->name, st);
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = k->mode;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	struct cas_error e;
	cas_error_clear(&e);
	uint64_t hash;
	if (S_ISDIR(k->mode)) {
		struct namelist l = { 0 };
		int rc = node_children(fs, n, &l, &e);
		if (rc) {
			namelist_free(&l);
			fs_fail_read(fs, n->path, rc, &e);
			return rc;
		}
		st->st_nlink = 2;
		for (size_t i = 0; i < l.n; i++) {
			struct node c;
			if (n->type == T_INSTANCES || n->type == T_BY_STATUS || n->type == T_BY_EXPIRY || n->type == T_ROOT) {
				if (n->type != T_ROOT || (node_child(fs, n, l.v[i], &c, &e) == 0 && node_is_dir(&c)))
					st->st_nlink++;
			}
		}
		if (n->type == T_ROOT)
			st->st_nlink++; /* the hidden .cas */
		hash = names_hash(&l);
		namelist_free(&l);
	} else {
		struct snap *s = NULL;
		int rc = render_node(fs, n, &s, &e);
		if (rc) {
			fs_fail_read(fs, n->path, rc, &e);
			return rc;
		}
		st->st_nlink = 1;
		st->st_size = (off_t)s->len;
		st->st_blocks = (blkcnt_t)((s->len + 511) / 512);
		hash = s->hash;
		cas_obj_unref(s);
	}
	st->st_mtim = cas_stamps_mtime(fs->stamps, n->ino, hash);
	st->st_atim = st->st_ctim = st->st_mtim;
	return 0;
}

static int casfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc;
	if (fi && fi->fh) {
		struct handle *h = (struct handle *)(uintptr_t)fi->fh;
		rc = stat_node(fs, handle_node(h), st);
		off_t pending = handle_size(h);
		if (!rc && pending >= 0)
			st->st_size = pending;
		return rc;
	}
	if ((rc = resolve(fs, path, &n)))
		return rc;
	return stat_node(fs, &n, st);
}

static int casfs_readlink(const char *path, char *buf, size_t size)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	if (rc)
		return rc;
	if (!S_ISLNK(node_kinds[n.type].mode))
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
	if ((rc = node_children(fs, &dir, &l, &e))) {
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
		st.st_ino = c.ino;
		st.st_mode = node_kinds[c.type].mode;
		/* attributes only where they cost no call: a readdir never fetches details */
		if ((flags & FUSE_READDIR_PLUS) && (node_kinds[c.type].flags & NF_CHEAP) && stat_node(fs, &c, &st) == 0)
			fill(buf, l.v[i], &st, 0, FUSE_FILL_DIR_PLUS);
		else
			fill(buf, l.v[i], &st, 0, 0);
	}
	namelist_free(&l);
	return 0;
}

static void set_open_flags(const struct node *n, struct handle *h, struct fuse_file_info *fi)
{
	const struct node_kind *k = &node_kinds[n->type];
	int wr = (fi->flags & O_ACCMODE) != O_RDONLY;
	fi->fh = (uint64_t)(uintptr_t)h;
	/* writes to API files bypass the page cache, so it never holds uncommitted bytes */
	fi->direct_io = (k->flags & NF_DIRECT) || (wr && n->type != T_SCRATCH);
	/* ttl=0: the kernel caches nothing, pages included */
	fi->keep_cache = !fi->direct_io && handle_keep_cache(h) && casfs_get()->o.ttl > 0;
	/* a read-only open has nothing to commit: spare the kernel a FLUSH per close */
	fi->noflush = !wr;
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
	struct handle *h = handle_open(fs, &n, fi->flags, &rc);
	if (!h) {
		if (rc == -EACCES || rc == -EROFS)
			return refuse(fs, path, -rc, "this file is read-only (detail, status and the like come from the "
						     "service; write config or a writable value file)");
		return rc;
	}
	set_open_flags(&n, h, fi);
	return 0;
}

/* The instance directory that is the parent of path, and the last component. */
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

/* The instance directory a new scratch entry goes into: 0, or -errno with a record. */
static int scratch_parent(struct casfs *fs, const char *path, struct node *dir, const char **name, int err,
			  const char *why)
{
	int rc = split_parent(fs, path, dir, name);
	if (rc)
		return rc;
	if (fs->o.ro)
		return refuse(fs, path, EROFS, "");
	return dir->type == T_INSTANCE ? 0 : refuse(fs, path, err, why);
}

/* Records a full scratch table. */
static int scratch_added(struct casfs *fs, const char *path, int rc)
{
	if (rc == -ENOSPC) {
		struct cas_error e;
		cas_error_clear(&e);
		cas_error_set(&e, ENOSPC, "Local.Scratch", "at most %d scratch entries per mount", SCRATCH_MAX_FILES);
		fs_fail(fs, path, rc, &e);
	}
	return rc;
}

static int casfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	struct node dir, n;
	const char *name;
	int rc = scratch_parent(fs, path, &dir, &name, EACCES,
				"new files can be created only inside instances/<id>/ (as scratch files)");
	if (rc)
		return rc;
	struct fuse_context *ctx = fuse_get_context();
	rc = scratch_added(fs, path, scratch_create(fs->scratch, dir.id, name, mode & ~ctx->umask, ctx->uid, ctx->gid));
	if (rc)
		return rc;
	struct cas_error e;
	if ((rc = node_child(fs, &dir, name, &n, &e)))
		return rc;
	struct handle *h = handle_open(fs, &n, fi->flags, &rc);
	if (!h)
		return rc;
	set_open_flags(&n, h, fi);
	return 0;
}

static int casfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	return (int)handle_read(op_begin(), (struct handle *)(uintptr_t)fi->fh, buf, size, off);
}

static int casfs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	int rc = (int)handle_write(op_begin(), h, buf, size, off, fuse_get_context()->pid);
	/* the request buffer libfuse reuses still holds the bytes: wipe a secret there too */
	if (node_kinds[handle_node(h)->type].flags & NF_SECRET)
		OPENSSL_cleanse((void *)buf, size);
	return rc;
}

static int casfs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return handle_flush(op_begin(), (struct handle *)(uintptr_t)fi->fh, fuse_get_context()->pid);
}

static int casfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return handle_flush(op_begin(), (struct handle *)(uintptr_t)fi->fh, fuse_get_context()->pid);
}

static int casfs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	handle_release(op_begin(), (struct handle *)(uintptr_t)fi->fh);
	return 0;
}

/* Resolves path for a metadata change: 1 for a scratch file (the caller
 * applies it), 0 for an API node (with its current attributes), or -errno. */
static int resolve_meta(struct casfs *fs, const char *path, struct node *n, struct stat *st)
{
	int rc = resolve(fs, path, n);
	if (rc)
		return rc;
	if (node_is_scratch(n->type))
		return 1;
	return stat_node(fs, n, st);
}

static int casfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct casfs *fs = op_begin();
	if (fi && fi->fh)
		return handle_truncate(fs, (struct handle *)(uintptr_t)fi->fh, size);
	struct node n;
	struct stat st;
	int rc = resolve_meta(fs, path, &n, &st);
	if (rc)
		return rc > 0 ? scratch_truncate(fs->scratch, n.id, n.name, size) : rc;
	/* API files change only through a write: a truncate that changes nothing is fine */
	return st.st_size == size ? 0 : refuse(fs, path, EPERM, "API files change only through a write; truncate "
								 "the file while writing it (O_TRUNC) instead");
}

/* Removal rules (docs/SEMANTICS.md): deleting anything remote needs
 * -o allow_delete; a directory holding scratch entries is ENOTEMPTY either
 * way; with allow_delete, unlinking an instance's own files succeeds and
 * changes nothing (they are views of the instance and come back), so that
 * rm -rf, find -delete and Ansible's rmtree reach the rmdir that deletes. */
static int remove_node(const char *path, int want_dir)
{
	struct casfs *fs = op_begin();
	struct node n;
	int rc = resolve(fs, path, &n);
	if (rc)
		return rc;
	if (want_dir != node_is_dir(&n))
		return want_dir ? -ENOTDIR : -EISDIR;
	const struct node_kind *k = &node_kinds[n.type];
	if (!k->remove && node_is_instance_file(n.type) && fs->o.allow_delete && !fs->o.ro) {
		cas_debug("%s: unlink of an instance's own file: nothing to do (it stays while the instance exists)",
			  path);
		return 0;
	}
	if (!k->remove)
		return refuse(fs, path, EPERM, node_is_instance_file(n.type)
						       ? "files of an instance cannot be removed; rmdir the instance "
							 "directory to delete the instance (needs -o allow_delete)"
						       : "this entry cannot be removed");
	if (node_is_dir(&n) && !node_is_scratch(n.type) && scratch_count_in(fs->scratch, n.id))
		return refuse(fs, path, ENOTEMPTY, "the directory holds scratch files or directories; remove them first");
	if ((k->flags & NF_DESTROYS) && !fs->o.allow_delete)
		return refuse(fs, path, EPERM, "deleting needs the mount option -o allow_delete (off by default)");
	struct cas_error e;
	cas_error_clear(&e);
	snprintf(e.action, sizeof(e.action), "%s", k->action ? k->action : "");
	rc = k->remove(fs, &n, &e);
	if (rc && !node_is_scratch(n.type))
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
	struct node src, dir, dst;
	const char *name;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	int rc = resolve(fs, from, &src);
	if (rc)
		return rc;
	if ((rc = split_parent(fs, to, &dir, &name)))
		return rc;
	if (fs->o.ro)
		return refuse(fs, from, EROFS, "");
	if (!node_is_instance_file(src.type))
		return refuse(fs, from, EPERM, "only files inside an instance directory can be renamed");
	if (dir.type != T_INSTANCE)
		return -EXDEV;
	if (strcmp(dir.id, src.id) != 0)
		return -EXDEV; /* tools fall back to copy + unlink */
	struct cas_error e;
	int exists = node_child(fs, &dir, name, &dst, &e) == 0;
	if (exists && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	int dst_is_node = exists && !node_is_scratch(dst.type);
	if (node_is_scratch(src.type) && !dst_is_node)
		return scratch_rename(fs->scratch, src.id, src.name, name);
	if (node_is_scratch(src.type) && node_is_dir(&src))
		return -ENOTDIR; /* a scratch directory onto an API file */
	if (node_is_scratch(src.type)) {
		/* the atomic save: commit the scratch file's bytes to the node */
		if (!node_kinds[dst.type].commit)
			return refuse(fs, to, EPERM, "the target is read-only; rename onto config or a writable value file");
		struct cas_buf b = CAS_BUF_INIT;
		scratch_contents(fs->scratch, src.id, src.name, &b);
		rc = commit_document(fs, &dst, b.p ? b.p : "", b.len);
		cas_buf_free(&b);
		if (!rc)
			scratch_remove(fs->scratch, src.id, src.name);
		return rc;
	}
	if (dst_is_node)
		return refuse(fs, to, EPERM, "an API file cannot replace another one");
	/* an API file renamed away (vim's backup): the copy becomes a scratch file,
	 * the API file itself stays */
	struct snap *s;
	cas_error_clear(&e);
	if ((rc = render_node(fs, &src, &s, &e)))
		return rc;
	struct fuse_context *ctx = fuse_get_context();
	rc = scratch_put(fs->scratch, src.id, name, s->data, s->len, node_kinds[src.type].mode & 07777, ctx->uid,
			 ctx->gid);
	cas_obj_unref(s);
	return rc;
}

/* Metadata changes on API files succeed only when they change nothing. */
static int api_meta(struct casfs *fs, const struct node *n, int unchanged)
{
	return unchanged ? 0 : refuse(fs, n->path, EPERM, "mode, owner and times of API files are fixed "
							  "(changes to the current values succeed)");
}

static int casfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	struct casfs *fs = op_begin();
	struct node n;
	struct stat st;
	int rc = resolve_meta(fs, path, &n, &st);
	if (rc)
		return rc > 0 ? scratch_chmod(fs->scratch, n.id, n.name, mode) : rc;
	return api_meta(fs, &n, (mode & 07777) == (node_kinds[n.type].mode & 07777));
}

static int casfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	struct casfs *fs = op_begin();
	struct node n;
	struct stat st;
	int rc = resolve_meta(fs, path, &n, &st);
	if (rc)
		return rc > 0 ? scratch_chown(fs->scratch, n.id, n.name, uid, gid) : rc;
	return api_meta(fs, &n, (uid == (uid_t)-1 || uid == fs->uid) && (gid == (gid_t)-1 || gid == fs->gid));
}

static int same_time(const struct timespec *want, const struct timespec *have)
{
	return want->tv_nsec == UTIME_OMIT ||
	       (want->tv_nsec != UTIME_NOW && want->tv_sec == have->tv_sec && want->tv_nsec == have->tv_nsec);
}

static int casfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	struct casfs *fs = op_begin();
	struct node n;
	struct stat st;
	int rc = resolve_meta(fs, path, &n, &st);
	if (rc)
		return rc > 0 ? scratch_utimens(fs->scratch, n.id, n.name, tv) : rc;
	return api_meta(fs, &n, tv && same_time(&tv[0], &st.st_atim) && same_time(&tv[1], &st.st_mtim));
}

static int casfs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	struct casfs *fs = op_begin();
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = 4096;
	sv->f_blocks = 1 << 20;
	sv->f_bfree = sv->f_bavail = 1 << 18; /* scratch room: editors check for free space */
	sv->f_files = 1 << 20;
	sv->f_ffree = sv->f_favail = SCRATCH_MAX_FILES - scratch_count(fs->scratch);
	sv->f_namemax = 255;
	return 0;
}

static int casfs_access(const char *path, int mask)
{
	(void)mask;
	struct node n;
	return resolve(op_begin(), path, &n);
}

static int refuse_mknod(const char *path, mode_t mode, dev_t dev)
{
	(void)mode;
	(void)dev;
	return refuse(casfs_get(), path, EPERM, "devices and links cannot be created in casfs");
}

static int refuse_link(const char *from, const char *to)
{
	(void)from;
	return refuse_mknod(to, 0, 0);
}

/* Scratch directories: empty directories inside instances/<id>/ (see scratch.h). */
static int casfs_mkdir(const char *path, mode_t mode)
{
	struct casfs *fs = casfs_get();
	struct node dir, n;
	const char *name;
	int rc = scratch_parent(fs, path, &dir, &name, EPERM,
				"directories can be created only inside instances/<id>/ (as empty scratch directories)");
	if (rc)
		return rc;
	struct cas_error e;
	cas_error_clear(&e);
	if ((rc = node_child(fs, &dir, name, &n, &e)) == 0)
		return -EEXIST;
	if (rc != -ENOENT)
		return rc;
	struct fuse_context *ctx = fuse_get_context();
	return scratch_added(fs, path, scratch_mkdir(fs->scratch, dir.id, name, mode & ~ctx->umask, ctx->uid, ctx->gid));
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
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* readdirplus makes libfuse look every listed entry up again (a second
	 * stat of each), while the kernel keeps entries and attributes for the
	 * ttl anyway: plain readdir plus lookups on demand costs less */
	conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* symlink targets (by-status) never change for a path; invalidation drops them */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	notifier_start(fs->notify, ctx->fuse);
	/* with ttl=0 nothing read ahead would still be fresh when it is read */
	fs->prefetch = fs->o.ttl > 0 ? cas_prefetch_new(fs->cache, CAS_CK_DETAIL, 16, 8) : NULL;
	fs->prefetch_cert = fs->o.ttl > 0 ? cas_prefetch_new(fs->cache, CAS_CK_CERT, 16, 8) : NULL;
	fs->progress = progress_start(fs);
	return fs;
}

void casfs_stop_workers(struct casfs *fs)
{
	progress_stop(fs->progress);
	fs->progress = NULL;
	cas_prefetch_free(fs->prefetch);
	cas_prefetch_free(fs->prefetch_cert);
	fs->prefetch = fs->prefetch_cert = NULL;
	notifier_stop(fs->notify);
}

static void casfs_destroy(void *data)
{
	struct casfs *fs = data;
	casfs_stop_workers(fs); /* already done by main after the loop; harmless twice */
	handle_release_all(fs);
}

const struct fuse_operations casfs_ops = {
	.init = casfs_init,
	.destroy = casfs_destroy,
	.getattr = casfs_getattr,
	.readlink = casfs_readlink,
	.readdir = casfs_readdir,
	.open = casfs_open,
	.create = casfs_create,
	.read = casfs_read,
	.write = casfs_write,
	.flush = casfs_flush,
	.fsync = casfs_fsync,
	.release = casfs_release,
	.truncate = casfs_truncate,
	.unlink = casfs_unlink,
	.rmdir = casfs_rmdir,
	.rename = casfs_rename,
	.chmod = casfs_chmod,
	.chown = casfs_chown,
	.utimens = casfs_utimens,
	.statfs = casfs_statfs,
	.access = casfs_access,
	.mkdir = casfs_mkdir,
	.mknod = refuse_mknod,
	.symlink = refuse_link,
	.link = refuse_link,
};
