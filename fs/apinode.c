/* apinode: the kind operations of API nodes, the files, directories and
 * links the service backs (api_file_ops, api_dir_ops). Attributes are
 * truthful: a file's size is its rendering's, a directory's nlink is
 * counted from the table, and mtime is when the content last changed as far
 * as the mount knows. Mode, owner and times are fixed: a change to the
 * current values succeeds, any other is refused. An API file renamed away
 * leaves a copy in a file kind its directory can create (vim's backup); a
 * file renamed onto an API node commits its bytes there (the atomic save). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apifile.h"
#include "clock.h"
#include "errlog.h"
#include "kinds.h"
#include "render.h"

static uint64_t names_hash(const struct namelist *l)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < l->n; i++) {
		h ^= cas_hash64(l->v[i], strlen(l->v[i]) + 1);
		h *= 1099511628211ULL;
	}
	return h;
}

static void base_stat(struct casfs *fs, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = node_mode(fs, node_kind(n));
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
}

static void set_times(struct casfs *fs, const struct node *n, uint64_t hash, struct stat *st)
{
	st->st_mtim = cas_stamps_mtime(fs->stamps, n->ino, hash);
	st->st_atim = st->st_ctim = st->st_mtim;
}

static int dir_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	(void)h;
	base_stat(fs, n, st);
	struct cas_error e;
	cas_error_clear(&e);
	struct namelist l = { 0 };
	size_t subdirs = 0;
	int rc = node_children(fs, n, &l, &subdirs, &e);
	if (rc) {
		namelist_free(&l);
		fs_fail_read(fs, n->path, rc, &e);
		return rc;
	}
	st->st_nlink = 2 + subdirs;
	set_times(fs, n, names_hash(&l), st);
	namelist_free(&l);
	return 0;
}

/* Through a read-only handle (the kernel asks so before a read past the
 * size it holds), the handle's snapshot: the bytes that handle reads. Every
 * answer is recorded (stamps.h): an open of other content than the kernel
 * may hold is served direct_io. */
static int file_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	base_stat(fs, n, st);
	st->st_nlink = 1;
	size_t len;
	uint64_t hash;
	if (h && apifile_snapshot_attrs(h, &len, &hash, &st->st_mtim)) {
		st->st_atim = st->st_ctim = st->st_mtim;
	} else {
		struct cas_error e;
		cas_error_clear(&e);
		struct snap *s = NULL;
		int rc = render_node(fs, n, &s, &e);
		if (rc) {
			fs_fail_read(fs, n->path, rc, &e);
			return rc;
		}
		len = s->len;
		hash = s->hash;
		set_times(fs, n, s->hash, st);
		cas_obj_unref(s);
	}
	st->st_size = (off_t)len;
	st->st_blocks = (blkcnt_t)((len + 511) / 512);
	off_t pending = h ? apifile_pending_size(h) : -1;
	if (pending >= 0)
		st->st_size = pending;
	/* the kernel holds them for the ttl from about now (a second's margin
	 * for the reply's way); under ttl=0 not at all. A writer's pending size
	 * is no rendering's: recorded as content no snapshot has (hash 0), so
	 * the next open of the file is served direct (a truncate whose commit
	 * was refused leaves the kernel with size 0 and the old content) */
	cas_stamps_attrs_given(fs->stamps, n->ino, pending >= 0 ? 0 : hash,
			       fs->o.ttl > 0 ? cas_mono_ms() + (int64_t)(fs->o.ttl * 1000) + 1000 : 0);
	return 0;
}

static int same_time(const struct timespec *want, const struct timespec *have)
{
	return want->tv_nsec == UTIME_OMIT ||
	       (want->tv_nsec != UTIME_NOW && want->tv_sec == have->tv_sec && want->tv_nsec == have->tv_nsec);
}

static int api_setattr(struct casfs *fs, const struct node *n, const struct attr_change *a)
{
	struct stat st;
	int rc = node_kind(n)->ops->getattr(fs, n, NULL, &st);
	if (rc)
		return rc;
	int unchanged = 0;
	switch (a->what) {
	case ATTR_MODE: unchanged = (a->mode & 07777) == (st.st_mode & 07777); break;
	case ATTR_OWNER:
		unchanged = (a->uid == (uid_t)-1 || a->uid == st.st_uid) && (a->gid == (gid_t)-1 || a->gid == st.st_gid);
		break;
	case ATTR_TIMES:
		unchanged = a->tv && same_time(&a->tv[0], &st.st_atim) && same_time(&a->tv[1], &st.st_mtim);
		break;
	}
	return unchanged ? 0 : fs_refuse(fs, n->path, EPERM, "mode, owner and times of API files are fixed "
							     "(changes to the current values succeed)");
}

static int api_truncate(struct casfs *fs, const struct node *n, struct handle *h, off_t size)
{
	if (h)
		return apifile_truncate(fs, h, size);
	struct stat st;
	int rc = node_kind(n)->ops->getattr(fs, n, NULL, &st);
	if (rc)
		return rc;
	/* API files change only through a write: a truncate that changes nothing is fine */
	return st.st_size == size ? 0 : fs_refuse(fs, n->path, EPERM, "API files change only through a write; "
								      "truncate the file while writing it (O_TRUNC) instead");
}

int rename_target(struct casfs *fs, const struct node *n, const struct node *dir, const char *name,
		  unsigned flags, struct node *dst)
{
	const char *slash = strrchr(n->path, '/');
	size_t plen = slash == n->path ? 1 : (size_t)(slash - n->path);
	if (strlen(dir->path) != plen || strncmp(dir->path, n->path, plen) != 0)
		return -EXDEV; /* tools fall back to copy + unlink */
	struct cas_error e;
	cas_error_clear(&e);
	int exists = node_child(fs, dir, name, dst, &e) == 0;
	if (exists && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	return exists;
}

static int api_rename(struct casfs *fs, const struct node *n, const struct node *dir, const char *name,
		      unsigned flags, uid_t uid, gid_t gid)
{
	const struct node_kind *copy = node_creator(node_kind(n)->parent, S_IFREG);
	if (!copy)
		return fs_refuse(fs, n->path, EPERM, "only files inside an instance directory can be renamed");
	struct node dst;
	int rc = rename_target(fs, n, dir, name, flags, &dst);
	if (rc < 0)
		return rc;
	if (rc && node_kind(&dst)->ops->receive)
		return fs_refuse(fs, dst.path, EPERM, "an API file cannot replace another one");
	/* an API file renamed away (vim's backup): the copy becomes a file of
	 * the kind the directory creates; the API file itself stays */
	struct snap *s;
	struct cas_error e;
	cas_error_clear(&e);
	if ((rc = render_node(fs, n, &s, &e)))
		return rc;
	rc = copy->ops->put(fs, dir, name, s->data, s->len, node_kind(n)->mode & 07777, uid, gid);
	cas_obj_unref(s);
	return rc;
}

static int api_receive(struct casfs *fs, const struct node *n, const char *data, size_t len)
{
	if (!node_kind(n)->commit)
		return fs_refuse(fs, n->path, EPERM, "the target is read-only; rename onto config or a writable value file");
	return commit_document(fs, n, data, len);
}

const struct kind_ops api_file_ops = {
	.getattr = file_getattr,
	.open = apifile_open,
	.read = apifile_read,
	.write = apifile_write,
	.truncate = api_truncate,
	.flush = apifile_flush,
	.release = apifile_release,
	.setattr = api_setattr,
	.rename = api_rename,
	.receive = api_receive,
};

const struct kind_ops api_dir_ops = {
	.getattr = dir_getattr,
	.truncate = api_truncate,
	.setattr = api_setattr,
	.receive = api_receive,
};
