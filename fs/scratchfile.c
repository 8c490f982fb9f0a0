/* scratchfile: scratch entries as kinds of node: scratch files
 * (scratch_file_ops) and empty scratch directories (scratch_dir_ops), and
 * the scratch rows' list/exists/remove, which take the entry type from the
 * row's mode. A scratch file behaves like an ordinary file, held by the
 * mount's scratch store (scratch.h): it is created, written, truncated,
 * chmod/chown/utimens'ed and renamed like one. Renamed onto a node that
 * receives bytes (an API file), it commits there and disappears; a failure
 * leaves both as they were. A scratch directory holds nothing.
 *
 * What never becomes a scratch entry (each refused with a record): a name
 * a fixed row of the table claims, present or not (key.pem without -o keys,
 * cert.pem before issue: EACCES, else the entry would hide behind the row);
 * a name ending .pem, .key or .crt (EACCES, with a hint); and a private
 * key, renamed or copied in (EPERM, the bytes wiped). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "errlog.h"
#include "handle.h"
#include "kinds.h"
#include "scratch.h"

static enum scratch_kind kind_of_row(const struct node_kind *k)
{
	return S_ISDIR(k->mode) ? SCRATCH_DIR : SCRATCH_FILE;
}

int list_scratch(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		 struct cas_error *e)
{
	(void)e;
	scratch_names_of(fs->scratch, dir->id, kind_of_row(k), out);
	return 0;
}

int exists_scratch(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		   struct cas_error *e)
{
	(void)e;
	return scratch_kind(fs->scratch, p->id, name) == kind_of_row(k);
}

int remove_scratch(struct casfs *fs, const struct node *n, struct cas_error *e)
{
	(void)e;
	return scratch_remove(fs->scratch, n->id, n->name);
}

static void full_path(const struct node *dir, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir->path, name);
}

/* 0 when `name` may be a scratch entry in dir, else -EACCES with a record. */
static int name_ok(struct casfs *fs, const struct node *dir, const char *name)
{
	char path[sizeof(dir->path) + 256];
	full_path(dir, name, path, sizeof(path));
	if (node_name_claimed(dir->type, name))
		return fs_refuse(fs, path, EACCES,
				 "this name belongs to a file casfs shows here when it exists (key.pem with -o keys; "
				 "cert.pem, chain.pem, fullchain.pem, not_before and not_after once a certificate is "
				 "issued): it is never a scratch name");
	const char *why = scratch_name_refusal(name);
	return why ? fs_refuse(fs, path, EACCES, why) : 0;
}

static const char key_refused[] = "a private key never becomes a scratch file (scratch files are page-cached "
				  "copies in memory): read key.pem where it is, or copy it out of the mount";

static int sf_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	(void)h;
	return scratch_stat(fs->scratch, n->id, n->name, st);
}

static struct handle *sf_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	(void)flags;
	*rc = 0;
	return handle_new(fs, n); /* page-cached like any file: no direct_io, no keep_cache */
}

static ssize_t sf_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	return scratch_read(fs->scratch, h->node.id, h->node.name, buf, size, off);
}

static ssize_t sf_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid)
{
	(void)pid;
	ssize_t rc = scratch_write(fs->scratch, h->node.id, h->node.name, buf, size, off);
	if (rc == -EPERM) {
		OPENSSL_cleanse((void *)buf, size); /* the request buffer libfuse reuses */
		return fs_refuse(fs, h->node.path, EPERM, key_refused);
	}
	return rc;
}

static int sf_truncate(struct casfs *fs, const struct node *n, struct handle *h, off_t size)
{
	(void)h;
	return scratch_truncate(fs->scratch, n->id, n->name, size);
}

static int sf_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	(void)fs;
	(void)h;
	(void)pid;
	return 0; /* nothing leaves the mount */
}

static void sf_release(struct casfs *fs, struct handle *h, int final)
{
	(void)final;
	handle_free(fs, h);
}

static int sf_setattr(struct casfs *fs, const struct node *n, const struct attr_change *a)
{
	switch (a->what) {
	case ATTR_MODE: return scratch_chmod(fs->scratch, n->id, n->name, a->mode);
	case ATTR_OWNER: return scratch_chown(fs->scratch, n->id, n->name, a->uid, a->gid);
	case ATTR_TIMES: return scratch_utimens(fs->scratch, n->id, n->name, a->tv);
	}
	return -EINVAL;
}

/* rename(2) of a scratch entry within its directory. A file renamed onto a
 * node that receives bytes commits there (the atomic save) and goes; a
 * directory gives ENOTDIR there. Onto another scratch entry the store
 * replaces it (EISDIR / ENOTDIR across types). */
static int sf_rename(struct casfs *fs, const struct node *n, const struct node *dir, const char *name,
		     unsigned flags, uid_t uid, gid_t gid)
{
	(void)uid;
	(void)gid;
	struct node dst;
	int rc = rename_target(fs, n, dir, name, flags, &dst);
	if (rc < 0)
		return rc;
	if (!rc) /* a new name: it must be a scratch name */
		return (rc = name_ok(fs, dir, name)) ? rc : scratch_rename(fs->scratch, n->id, n->name, name);
	if (!node_kind(&dst)->ops->receive)
		return scratch_rename(fs->scratch, n->id, n->name, name);
	if (S_ISDIR(node_kind(n)->mode))
		return -ENOTDIR;
	struct cas_buf b = CAS_BUF_INIT;
	scratch_contents(fs->scratch, n->id, n->name, &b);
	rc = node_kind(&dst)->ops->receive(fs, &dst, cas_buf_str(&b), b.len);
	cas_buf_free(&b);
	if (!rc)
		scratch_remove(fs->scratch, n->id, n->name);
	return rc;
}

/* Records a full scratch table. */
static int added(struct casfs *fs, const struct node *dir, const char *name, int rc)
{
	if (rc == -ENOSPC) {
		struct cas_error e;
		cas_error_clear(&e);
		cas_error_set(&e, ENOSPC, "Local.Scratch", "at most %d scratch entries per mount", SCRATCH_MAX_FILES);
		char path[sizeof(dir->path) + 256];
		full_path(dir, name, path, sizeof(path));
		fs_fail(fs, path, rc, &e);
	}
	return rc;
}

static int sf_create(struct casfs *fs, const struct node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	int rc = name_ok(fs, dir, name);
	return rc ? rc : added(fs, dir, name, scratch_create(fs->scratch, dir->id, name, mode, uid, gid));
}

static int sd_create(struct casfs *fs, const struct node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	int rc = name_ok(fs, dir, name);
	return rc ? rc : added(fs, dir, name, scratch_mkdir(fs->scratch, dir->id, name, mode, uid, gid));
}

/* An API file renamed away (vim's backup) lands here. */
static int sf_put(struct casfs *fs, const struct node *dir, const char *name, const char *data, size_t len,
		  mode_t mode, uid_t uid, gid_t gid)
{
	int rc = name_ok(fs, dir, name);
	if (rc)
		return rc;
	rc = added(fs, dir, name, scratch_put(fs->scratch, dir->id, name, data, len, mode, uid, gid));
	if (rc != -EPERM)
		return rc;
	char path[sizeof(dir->path) + 256];
	full_path(dir, name, path, sizeof(path));
	return fs_refuse(fs, path, EPERM, key_refused);
}

const struct kind_ops scratch_file_ops = {
	.getattr = sf_getattr,
	.open = sf_open,
	.read = sf_read,
	.write = sf_write,
	.truncate = sf_truncate,
	.flush = sf_flush,
	.release = sf_release,
	.setattr = sf_setattr,
	.rename = sf_rename,
	.create = sf_create,
	.put = sf_put,
};

const struct kind_ops scratch_dir_ops = {
	.getattr = sf_getattr,
	.setattr = sf_setattr,
	.rename = sf_rename,
	.create = sd_create,
};
