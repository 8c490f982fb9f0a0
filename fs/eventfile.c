/* eventfile: the kind operations of .cas/events (events_file_ops). Unlike an
 * API file, an open handle takes no snapshot: every read is served from
 * the live feed at its absolute offset, so `tail -f` (which polls the size
 * and reads on from where it was) sees lines as they come. The size is the
 * feed's total and only grows; mtime is the time of the last line. Every
 * new line makes the kernel forget the attributes (events.c), and reads
 * bypass the page cache (direct_io). Read-only: writes, truncates and
 * attribute changes are refused. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "errlog.h"
#include "events.h"
#include "handle.h"
#include "kinds.h"

static int ef_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	(void)h;
	events_poll(fs);
	memset(st, 0, sizeof(*st));
	int64_t last = 0;
	uint64_t size = events_size(fs->events, &last);
	st->st_ino = n->ino;
	st->st_mode = node_mode(fs, node_kind(n));
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtim.tv_sec = last / 1000;
	st->st_mtim.tv_nsec = (long)(last % 1000) * 1000000;
	st->st_atim = st->st_ctim = st->st_mtim;
	return 0;
}

static struct handle *ef_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
		*rc = fs_refuse(fs, n->path, EACCES, ".cas/events is read-only");
		return NULL;
	}
	struct handle *h = handle_new(fs, n);
	h->direct_io = 1;
	return h;
}

static ssize_t ef_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	(void)h;
	return events_read(fs->events, buf, size, off);
}

static ssize_t ef_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid)
{
	(void)fs, (void)h, (void)buf, (void)size, (void)off, (void)pid;
	return -EBADF;
}

static int ef_truncate(struct casfs *fs, const struct node *n, struct handle *h, off_t size)
{
	(void)h, (void)size;
	return fs_refuse(fs, n->path, EPERM, ".cas/events is read-only");
}

static int ef_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	(void)fs, (void)h, (void)pid;
	return 0;
}

static void ef_release(struct casfs *fs, struct handle *h, int final)
{
	(void)final;
	handle_free(fs, h);
}

static int ef_setattr(struct casfs *fs, const struct node *n, const struct attr_change *a)
{
	(void)a;
	return fs_refuse(fs, n->path, EPERM, ".cas/events is read-only");
}

const struct kind_ops events_file_ops = {
	.getattr = ef_getattr,
	.open = ef_open,
	.read = ef_read,
	.write = ef_write,
	.truncate = ef_truncate,
	.flush = ef_flush,
	.release = ef_release,
	.setattr = ef_setattr,
};
