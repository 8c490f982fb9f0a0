/* llfront: the inode front (see llfront.h). The kernel knows files by
 * node id; this module keeps the table of the ids it handed out:
 *
 *   - a file's id is one snapshot: LOOKUP renders the file (render_node) and
 *     the id keeps that rendering, its size and its mtime until the kernel
 *     forgets the id. A later LOOKUP that renders the same bytes gets the
 *     same id; different bytes get a new id, while a process that still
 *     holds the file open goes on reading the old snapshot, whole. Rows
 *     without a rendering (the live .cas/events) keep an open handle
 *     instead, and their attributes are asked for every time.
 *   - a directory or link has one id per path. A changed listing or link is
 *     taken back with an inode invalidation (the kernel drops its cached
 *     listing or target); the kernel also drops a cached listing whose
 *     directory's mtime changed (casfs's directory mtime moves with the
 *     names, apinode.c).
 *   - the notifier's paths (notify.h) become entry invalidations, so the
 *     next path walk asks for the file again and gets the new snapshot.
 *
 * What users see as st_ino stays casfs's stable number of the path
 * (node.ino); only the kernel's node id changes. Volatile files (NF_DIRECT
 * rows that no cached document backs, so no notice comes when they change:
 * .cas/stats, errors, journal, metrics.prom, events) and rows without a
 * rendering have entry and attribute timeouts 0, everything else the ttl. */
#define FUSE_USE_VERSION 314
#include "llfront.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "deadline.h"
#include "errlog.h"
#include "front.h"
#include "handle.h"
#include "kinds.h"
#include "log.h"
#include "namelist.h"
#include "render.h"

#define uthash_malloc(sz) cas_xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

/* One listed entry of a directory, as READDIR shows it. */
struct lentry {
	char *name;
	uint64_t ino;
	mode_t type;
};

/* One pass's listing of a directory, immutable once made. READDIR offsets
 * name it: (gen << 32) | entries already given, so a pass goes on in the
 * listing it started with however many other passes start meanwhile. */
struct listing {
	uint32_t gen;
	uint64_t used;          /* the front's tick when a READDIR last read it (under mu) */
	size_t n;
	struct lentry *v;
};
/* Per directory: a new pass pushes out the listing read least recently, so
 * a pass is lost only after this many others were read since its last
 * READDIR. */
#define LISTINGS_KEPT 16
#define OFF_GEN(off) ((uint32_t)((uint64_t)(off) >> 32))
#define OFF_IDX(off) ((size_t)((uint64_t)(off) & 0xffffffffu))

/* One node id. id, path, type, snap, h, target, st and volatile_ are
 * set when it is made and never change; the rest is under the table's mu. */
struct lnode {
	fuse_ino_t id;
	char *path;
	mode_t type;            /* S_IFREG, S_IFDIR or S_IFLNK */
	struct snap *snap;      /* a file's snapshot (rows with a rendering) */
	struct handle *h;       /* a file's open handle (rows without one) */
	char *target;           /* a link's target */
	struct stat st;         /* a snapshot's attributes */
	int volatile_;          /* timeouts 0 */
	/* under mu */
	uint64_t nlookup;       /* the kernel's references (LOOKUP replies less FORGETs) */
	int current;            /* in by_path: what the path's next LOOKUP compares with */
	struct listing **lists; /* a directory's listings, one per pass under way (LISTINGS_KEPT
				 * slots, made at its first READDIR: files never need them) */
	UT_hash_handle hid, hpath;
};

/* Lock rule: mu guards by_id, by_path, next_id, next_gen, epoch and each
 * node's nlookup, current and listings. It is a leaf: no call to the cache, the API or the
 * kernel is made under it. A node may be used outside mu by a request on
 * its id: the kernel sends no FORGET for an id while a request on it is in
 * flight, so the node outlives the request. */
struct llfront {
	struct casfs *fs;
	struct fuse_session *se;
	pthread_mutex_t mu;
	struct lnode *by_id;
	struct lnode *by_path;
	fuse_ino_t next_id;
	uint32_t next_gen;      /* the next listing's generation (1..2^31-1) */
	uint64_t tick;          /* READDIRs served: the listings' recency */
	uint64_t epoch;         /* invalidations sent so far: a LOOKUP that saw it move answers uncached */
};

int llfront_wanted(const struct casfs_opts *o)
{
	return o->ro && (int64_t)(o->ttl * 1000) > 0 /* the cache's own test of ttl=0 */ && !o->keys && !o->hl_options && !(o->front && strcmp(o->front, "path") == 0);
}

static struct llfront *FR(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Every handler starts here (the path front's op_begin). */
static struct casfs *begin(fuse_req_t req, enum fuse_req_kind k)
{
	struct llfront *fr = FR(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	fs_count(fr->fs, k);
	cas_op_begin((int64_t)(fr->fs->o.timeout * 1000), (int64_t)ctx->uid, ctx->pid ? (int64_t)ctx->pid : -1);
	return fr->fs;
}

static void listing_free(struct listing *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->n; i++)
		free(ls->v[i].name);
	free(ls->v);
	free(ls);
}

static void lnode_free(struct casfs *fs, struct lnode *l)
{
	if (!l)
		return;
	cas_obj_unref(l->snap);
	handle_release(fs, l->h);
	for (size_t i = 0; l->lists && i < LISTINGS_KEPT; i++)
		listing_free(l->lists[i]);
	free(l->lists);
	free(l->target);
	free(l->path);
	free(l);
}

/* The node with id, or NULL (an id the kernel should not have). No
 * reference is taken: the kernel sends no FORGET for an id while a request
 * on it is in flight, and the only FORGET casfs makes itself is ll_lookup's
 * for a reply the kernel never took. Code that forgets a node on its own
 * must first give nodes a reference count. */
static struct lnode *by_id(struct llfront *fr, fuse_ino_t id)
{
	struct lnode *l;
	pthread_mutex_lock(&fr->mu);
	HASH_FIND(hid, fr->by_id, &id, sizeof(id), l);
	pthread_mutex_unlock(&fr->mu);
	return l;
}

static double timeout_of(const struct casfs *fs, const struct lnode *l)
{
	return l->volatile_ ? 0.0 : fs->o.ttl;
}

/* Builds a node for path (not yet in the table): resolves it and takes
 * what the kernel may keep of it. 0 or -errno (recorded). */
static int lnode_make(struct casfs *fs, const char *path, struct lnode **out)
{
	*out = NULL;
	struct node n;
	int rc = fs_resolve(fs, path, &n);
	if (rc)
		return rc;
	const struct node_kind *k = node_kind(&n);
	struct lnode *l = cas_xcalloc(1, sizeof(*l));
	l->path = cas_xstrdup(path);
	l->type = k->mode & S_IFMT;
	/* what no cached document backs changes without a notice (.cas's files) */
	l->volatile_ = (k->flags & NF_DIRECT) && !k->deps;
	struct cas_error e;
	cas_error_clear(&e);
	if ((rc = k->ops->getattr(fs, &n, NULL, &l->st)))
		goto fail;
	if (S_ISLNK(l->type)) {
		struct snap *s;
		if ((rc = render_node(fs, &n, &s, &e)))
			goto failrec;
		l->target = cas_xstrndup(s->data, s->len);
		cas_obj_unref(s);
	} else if (S_ISREG(l->type) && k->render) {
		if ((rc = render_node(fs, &n, &l->snap, &e)))
			goto failrec;
		/* the attributes are the snapshot's, whatever was rendered for
		 * getattr a moment before */
		l->st.st_size = (off_t)l->snap->len;
		l->st.st_blocks = (blkcnt_t)((l->snap->len + 511) / 512);
		l->st.st_mtim = cas_stamps_mtime(fs->stamps, n.ino, l->snap->hash);
		l->st.st_atim = l->st.st_ctim = l->st.st_mtim;
	} else if (S_ISREG(l->type)) {
		l->h = handle_open(fs, &n, O_RDONLY, &rc);
		if (!l->h)
			goto fail;
		l->volatile_ = 1;
	}
	*out = l;
	return 0;
failrec:
	fs_fail_read(fs, path, rc, &e);
fail:
	lnode_free(fs, l);
	return rc;
}

/* Would the kernel see the same thing in a and b? */
static int same_version(const struct lnode *a, const struct lnode *b)
{
	if (a->type != b->type || a->h || b->h)
		return 0;
	if (a->snap || b->snap)
		return a->snap && b->snap && a->snap->hash == b->snap->hash && a->snap->len == b->snap->len &&
		       memcmp(a->snap->data, b->snap->data, a->snap->len) == 0 &&
		       a->st.st_mode == b->st.st_mode;
	if (a->target || b->target)
		return a->target && b->target && strcmp(a->target, b->target) == 0;
	return 1; /* directories: one id per path */
}

/* Enters fresh as the path's current node, or takes the current one when it
 * is the same version (fresh is freed). Returns the node whose nlookup was
 * raised by one. */
static struct lnode *enter(struct llfront *fr, struct lnode *fresh)
{
	struct lnode *cur, *drop = NULL;
	pthread_mutex_lock(&fr->mu);
	HASH_FIND(hpath, fr->by_path, fresh->path, strlen(fresh->path), cur);
	if (cur && same_version(cur, fresh)) {
		drop = fresh;
		fresh = cur;
	} else {
		if (cur) {
			HASH_DELETE(hpath, fr->by_path, cur);
			cur->current = 0;
		}
		fresh->id = fr->next_id++;
		fresh->current = 1;
		HASH_ADD(hid, fr->by_id, id, sizeof(fresh->id), fresh);
		HASH_ADD_KEYPTR(hpath, fr->by_path, fresh->path, strlen(fresh->path), fresh);
	}
	fresh->nlookup++;
	pthread_mutex_unlock(&fr->mu);
	lnode_free(fr->fs, drop);
	return fresh;
}

/* The kernel dropped n references to id. */
static void forget_one(struct llfront *fr, fuse_ino_t id, uint64_t n)
{
	struct lnode *l, *gone = NULL;
	pthread_mutex_lock(&fr->mu);
	HASH_FIND(hid, fr->by_id, &id, sizeof(id), l);
	if (l && id != FUSE_ROOT_ID) {
		l->nlookup = n >= l->nlookup ? 0 : l->nlookup - n;
		if (l->nlookup == 0) {
			HASH_DELETE(hid, fr->by_id, l);
			if (l->current)
				HASH_DELETE(hpath, fr->by_path, l);
			gone = l;
		}
	}
	pthread_mutex_unlock(&fr->mu);
	lnode_free(fr->fs, gone);
}

static char *child_path(const struct lnode *dir, const char *name)
{
	return cas_xasprintf("%s/%s", strcmp(dir->path, "/") ? dir->path : "", name);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct llfront *fr = FR(req);
	struct casfs *fs = begin(req, FREQ_LOOKUP);
	struct lnode *dir = by_id(fr, parent);
	if (!dir || !S_ISDIR(dir->type)) {
		fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
		return;
	}
	if (strlen(name) > NODE_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	char *path = child_path(dir, name);
	pthread_mutex_lock(&fr->mu);
	uint64_t epoch = fr->epoch;
	pthread_mutex_unlock(&fr->mu);
	struct lnode *fresh;
	int rc = lnode_make(fs, path, &fresh);
	free(path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	/* the attributes just taken: a directory keeps its id, but its nlink and
	 * mtime follow its names, and the kernel drops a cached listing whose
	 * directory's mtime moved (a file's same-version id has the same ones) */
	struct stat now = fresh->st;
	struct lnode *l = enter(fr, fresh);
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = l->id;
	e.attr = now;
	e.attr_timeout = e.entry_timeout = timeout_of(fs, l);
	/* an invalidation sent while this was rendered may have been meant for
	 * it, and the kernel had nothing to drop yet: let it ask again next time */
	pthread_mutex_lock(&fr->mu);
	if (fr->epoch != epoch)
		e.attr_timeout = e.entry_timeout = 0;
	pthread_mutex_unlock(&fr->mu);
	if (fuse_reply_entry(req, &e) != 0)
		forget_one(fr, l->id, 1); /* interrupted: the kernel took no reference */
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fs_count(FR(req)->fs, FREQ_FORGET);
	forget_one(FR(req), ino, nlookup);
	fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	fs_count(FR(req)->fs, FREQ_FORGET);
	for (size_t i = 0; i < count; i++)
		forget_one(FR(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct casfs *fs = begin(req, FREQ_GETATTR);
	struct lnode *l = by_id(FR(req), ino);
	if (!l) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st = l->st;
	int rc = 0;
	if (l->h) { /* live: asked for every time */
		rc = node_kind(&l->h->node)->ops->getattr(fs, &l->h->node, l->h, &st);
	} else if (S_ISDIR(l->type)) { /* nlink and mtime follow the listing */
		struct node n;
		if (!(rc = fs_resolve(fs, l->path, &n)))
			rc = node_kind(&n)->ops->getattr(fs, &n, NULL, &st);
	}
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, timeout_of(fs, l));
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	(void)begin(req, FREQ_READLINK);
	struct lnode *l = by_id(FR(req), ino);
	if (!l || !l->target)
		fuse_reply_err(req, l ? EINVAL : ENOENT);
	else
		fuse_reply_readlink(req, l->target);
}

/* OPEN and OPENDIR are declined: ENOSYS tells the kernel to stop sending
 * them (and RELEASE, RELEASEDIR) on this connection and to keep pages and
 * listings. Permissions were checked by the kernel (default_permissions),
 * and a read-only mount refuses every write before it gets here (below,
 * refuse_at, for a mount made writable again). */
static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	(void)begin(req, FREQ_OPEN);
	fuse_reply_err(req, ENOSYS);
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	(void)begin(req, FREQ_OPENDIR);
	fuse_reply_err(req, ENOSYS);
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	struct casfs *fs = begin(req, FREQ_READ);
	struct lnode *l = by_id(FR(req), ino);
	if (!l || !S_ISREG(l->type)) {
		fuse_reply_err(req, l ? EISDIR : ENOENT);
		return;
	}
	if (l->snap) {
		size_t len = l->snap->len, o = off < 0 ? len : (size_t)off;
		fuse_reply_buf(req, o < len ? l->snap->data + o : NULL, o < len ? (size < len - o ? size : len - o) : 0);
		return;
	}
	char *buf = cas_xmalloc(size ? size : 1);
	ssize_t n = handle_read(fs, l->h, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* Takes the listing of dir: its children's names, numbers and types. */
static int take_listing(struct casfs *fs, const struct lnode *dir, struct listing **out)
{
	struct node d;
	int rc = fs_resolve(fs, dir->path, &d);
	if (rc)
		return rc;
	struct namelist names = { 0 };
	struct cas_error e;
	cas_error_clear(&e);
	if ((rc = node_children(fs, &d, &names, NULL, &e))) {
		fs_fail(fs, dir->path, rc, &e);
		namelist_free(&names);
		return rc;
	}
	struct lentry *v = cas_xcalloc(names.n + 2, sizeof(*v));
	size_t n = 0;
	v[n++] = (struct lentry){ cas_xstrdup("."), d.ino, S_IFDIR };
	v[n++] = (struct lentry){ cas_xstrdup(".."), d.ino, S_IFDIR };
	for (size_t i = 0; i < names.n; i++) {
		struct node c;
		if (node_child(fs, &d, names.v[i], &c, &e) != 0)
			continue;
		v[n++] = (struct lentry){ cas_xstrdup(names.v[i]), c.ino, node_kind(&c)->mode & S_IFMT };
	}
	namelist_free(&names);
	struct listing *ls = cas_xcalloc(1, sizeof(*ls));
	ls->v = v;
	ls->n = n;
	*out = ls;
	return 0;
}

/* A pass over a directory starts at offset 0 with a listing of its own,
 * kept on the directory's node with the others under way; its offsets name
 * it, so one pass reads one listing (the path front's per-open buffer)
 * while other passes start beside it; a pass that finds the same entries
 * as a kept listing shares it, so only a changed directory makes new ones.
 * A pass whose listing was pushed out (LISTINGS_KEPT others read since its
 * last READDIR) goes on in a new listing. The kernel keeps what it got. */
static struct listing *find_listing(struct lnode *l, uint32_t gen)
{
	for (size_t i = 0; l->lists && i < LISTINGS_KEPT; i++)
		if (l->lists[i] && l->lists[i]->gen == gen)
			return l->lists[i];
	return NULL;
}

/* A kept listing with the same entries as ls, or NULL. Under mu. */
static struct listing *same_listing(struct lnode *l, const struct listing *ls)
{
	for (size_t i = 0; l->lists && i < LISTINGS_KEPT; i++) {
		struct listing *k = l->lists[i];
		if (!k || k->n != ls->n)
			continue;
		size_t j = 0;
		while (j < k->n && k->v[j].ino == ls->v[j].ino && k->v[j].type == ls->v[j].type &&
		       strcmp(k->v[j].name, ls->v[j].name) == 0)
			j++;
		if (j == k->n)
			return k;
	}
	return NULL;
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	struct llfront *fr = FR(req);
	struct casfs *fs = begin(req, FREQ_READDIR);
	struct lnode *l = by_id(fr, ino);
	if (!l || !S_ISDIR(l->type)) {
		fuse_reply_err(req, l ? ENOTDIR : ENOENT);
		return;
	}
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_mutex_lock(&fr->mu);
	int have = off > 0 && find_listing(l, OFF_GEN(off)) != NULL;
	pthread_mutex_unlock(&fr->mu);
	struct listing *fresh = NULL, *evicted = NULL;
	if (!have) {
		int rc = take_listing(fs, l, &fresh);
		if (rc) {
			fuse_reply_err(req, -rc);
			return;
		}
	}
	char *buf = cas_xmalloc(size ? size : 1);
	size_t used = 0;
	pthread_mutex_lock(&fr->mu);
	struct listing *ls = fresh ? NULL : find_listing(l, OFF_GEN(off));
	if (!ls) { /* a new pass, or one whose listing was pushed out meanwhile */
		if (!fresh) { /* pushed out between the two looks: the latest will do */
			for (size_t i = 0; l->lists && i < LISTINGS_KEPT; i++)
				if (l->lists[i] && (!ls || l->lists[i]->gen > ls->gen))
					ls = l->lists[i];
		} else if ((ls = same_listing(l, fresh)) != NULL) {
			evicted = fresh; /* the same names as one kept: its passes and this one share it */
		} else {
			fresh->gen = fr->next_gen;
			fr->next_gen = fr->next_gen >= 0x7fffffffu ? 1 : fr->next_gen + 1;
			if (!l->lists)
				l->lists = cas_xcalloc(LISTINGS_KEPT, sizeof(*l->lists));
			size_t slot = 0;
			for (size_t i = 0; i < LISTINGS_KEPT; i++) {
				if (!l->lists[i]) {
					slot = i;
					break;
				}
				if (l->lists[i]->used < l->lists[slot]->used)
					slot = i;
			}
			evicted = l->lists[slot];
			l->lists[slot] = fresh;
			ls = fresh;
		}
	}
	if (ls)
		ls->used = ++fr->tick;
	for (size_t i = ls ? OFF_IDX(off) : 0; ls && i < ls->n; i++) {
		struct stat st = { .st_ino = ls->v[i].ino, .st_mode = ls->v[i].type };
		off_t next = (off_t)(((uint64_t)ls->gen << 32) | (uint64_t)(i + 1));
		size_t want = fuse_add_direntry(req, buf + used, size - used, ls->v[i].name, &st, next);
		if (want > size - used)
			break;
		used += want;
	}
	pthread_mutex_unlock(&fr->mu);
	listing_free(evicted);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	(void)begin(req, FREQ_OTHER);
	struct statvfs sv;
	fs_statfs(&sv);
	fuse_reply_statfs(req, &sv);
}

/* Every change is refused: the kernel mount is read-only (main.c passes
 * ro last), so these come only after a `mount -o remount,rw`; each gets
 * EROFS and a record, as on the path front. */
static void refuse_at(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct llfront *fr = FR(req);
	struct casfs *fs = begin(req, FREQ_OTHER);
	struct lnode *l = by_id(fr, ino);
	char *path = l && name ? child_path(l, name) : cas_xstrdup(l ? l->path : "/");
	fuse_reply_err(req, -fs_refuse(fs, path, EROFS, "mounted with -o ro"));
	free(path);
}

static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	(void)fi;
	refuse_at(req, ino, NULL);
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)buf;
	(void)size;
	(void)off;
	(void)fi;
	refuse_at(req, ino, NULL);
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)mode;
	(void)rdev;
	refuse_at(req, parent, name);
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)mode;
	refuse_at(req, parent, name);
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
	(void)mode;
	(void)fi;
	refuse_at(req, parent, name);
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	refuse_at(req, parent, name);
}

static void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	refuse_at(req, newparent, newname);
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse_at(req, parent, name);
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)newparent;
	(void)newname;
	(void)flags;
	refuse_at(req, parent, name);
}

/* extended attributes: casfs keeps none, so a change is a change to refuse */
static void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags)
{
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	refuse_at(req, ino, NULL);
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)name;
	refuse_at(req, ino, NULL);
}

/* The notifier's sink (its thread): the kernel forgets the path's entry,
 * so the next walk looks it up again and gets the new snapshot, and for a
 * directory or link also its listing or target. -ENOENT: the kernel never
 * saw it. */
static void invalidate_path(void *ctx, const char *path)
{
	struct llfront *fr = ctx;
	struct lnode *l, *dir = NULL;
	const char *slash = strrchr(path, '/');
	if (!slash)
		return;
	char *parent = slash == path ? cas_xstrdup("/") : cas_xstrndup(path, (size_t)(slash - path));
	fuse_ino_t id = 0, dir_id = 0;
	int keeps_content = 0;
	pthread_mutex_lock(&fr->mu);
	HASH_FIND(hpath, fr->by_path, path, strlen(path), l);
	if (l) {
		id = l->id;
		keeps_content = !S_ISREG(l->type);
	}
	HASH_FIND(hpath, fr->by_path, parent, strlen(parent), dir);
	if (dir)
		dir_id = dir->id;
	fr->epoch++; /* before the kernel hears it: see ll_lookup */
	pthread_mutex_unlock(&fr->mu);
	free(parent);
	if (id && keeps_content)
		fuse_lowlevel_notify_inval_inode(fr->se, id, 0, 0);
	if (dir_id && slash[1])
		fuse_lowlevel_notify_inval_entry(fr->se, dir_id, slash + 1, strlen(slash + 1));
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	struct llfront *fr = userdata;
	/* the same kernel caching as the path front (front.c), and the
	 * kernel's own check of cached pages against a file's mtime */
	fs_conn_want(fr->fs, conn);
	/* no atomic O_TRUNC: this front answers no OPEN, so the kernel would
	 * take `: > file` after a `mount -o remount,rw` as done, with no
	 * SETATTR to refuse (EROFS and a record, refuse_at) */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	casfs_start(fr->fs, invalidate_path, fr);
}

/* Empties the table under mu; the nodes are freed after (free_all), with
 * no lock held while the kinds release their handles. */
static struct lnode *take_all(struct llfront *fr)
{
	struct lnode *l, *tmp, *all = NULL;
	pthread_mutex_lock(&fr->mu);
	HASH_ITER(hid, fr->by_id, l, tmp) {
		HASH_DELETE(hid, fr->by_id, l);
		if (l->current)
			HASH_DELETE(hpath, fr->by_path, l);
		HASH_ADD(hid, all, id, sizeof(l->id), l);
	}
	pthread_mutex_unlock(&fr->mu);
	return all;
}

static void free_all(struct llfront *fr, struct lnode *all)
{
	struct lnode *l, *tmp;
	HASH_ITER(hid, all, l, tmp) {
		HASH_DELETE(hid, all, l);
		lnode_free(fr->fs, l);
	}
}

/* Before the per-mount state goes (casfs_finish releases every handle):
 * the table's nodes, with their snapshots and handles. */
static void ll_destroy(void *userdata)
{
	struct llfront *fr = userdata;
	struct lnode *all = take_all(fr);
	free_all(fr, all);
	casfs_finish(fr->fs);
}

static const struct fuse_lowlevel_ops ll_ops = {
	.init = ll_init,
	.destroy = ll_destroy,
	.lookup = ll_lookup,
	.forget = ll_forget,
	.forget_multi = ll_forget_multi,
	.getattr = ll_getattr,
	.readlink = ll_readlink,
	.open = ll_open,
	.read = ll_read,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.statfs = ll_statfs,
	.setattr = ll_setattr,
	.write = ll_write,
	.mknod = ll_mknod,
	.mkdir = ll_mkdir,
	.create = ll_create,
	.symlink = ll_symlink,
	.link = ll_link,
	.unlink = ll_unlink,
	.rmdir = ll_unlink,
	.rename = ll_rename,
	.setxattr = ll_setxattr,
	.removexattr = ll_removexattr,
};

struct llfront *llfront_new(struct casfs *fs, struct fuse_args *args)
{
	struct llfront *fr = cas_xcalloc(1, sizeof(*fr));
	fr->fs = fs;
	pthread_mutex_init(&fr->mu, NULL);
	fr->next_id = FUSE_ROOT_ID + 1;
	fr->next_gen = 1;
	/* the root: never forgotten */
	struct lnode *root = cas_xcalloc(1, sizeof(*root));
	root->id = FUSE_ROOT_ID;
	root->path = cas_xstrdup("/");
	root->type = S_IFDIR;
	root->current = 1;
	root->nlookup = 1;
	HASH_ADD(hid, fr->by_id, id, sizeof(root->id), root);
	HASH_ADD_KEYPTR(hpath, fr->by_path, root->path, strlen(root->path), root);
	fr->se = fuse_session_new(args, &ll_ops, sizeof(ll_ops), fr);
	if (!fr->se) {
		llfront_free(fr);
		return NULL;
	}
	return fr;
}

struct fuse_session *llfront_session(struct llfront *fr)
{
	return fr->se;
}

void llfront_free(struct llfront *fr)
{
	if (!fr)
		return;
	if (fr->se)
		fuse_session_destroy(fr->se); /* its destroy callback empties the table */
	free_all(fr, take_all(fr)); /* the root, or all of it when init never ran */
	pthread_mutex_destroy(&fr->mu);
	free(fr);
}
