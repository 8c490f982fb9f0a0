/* apifile: open API files, write buffers and the commit rule (see apifile.h). */
#include "apifile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errlog.h"
#include "log.h"
#include "memo.h"
#include "notify.h"
#include "render.h"

/* An open API file (handle->priv). */
struct apifile {
	struct snap *snap;     /* what reads return; NULL for write-only nodes; immutable */
	pthread_mutex_t mu;    /* protects everything below; held across a commit */
	int writing;           /* opened for writing */
	int dirty;             /* the buffer differs from what was opened */
	int emptied;           /* opened with O_TRUNC: see apifile_release() */
	int inplace;           /* opened without O_TRUNC/O_APPEND over content: commits only at flush */
	int empty_refused;     /* emptied, unwritten, and the empty document is refused: flush said EINVAL */
	int extended;          /* written again after its commit (NF_EXTENDS): the rest commits at close */
	int done;              /* the one commit happened (or the buffer failed) */
	int rc;                /* its result */
	struct wbuf w;
	pid_t writers[8];      /* processes that wrote through this handle */
	int nwriters;          /* > 8: too many to track, every flush counts */
};

static struct apifile *A(struct handle *h)
{
	return h->priv;
}

static void note_writer(struct apifile *a, pid_t pid)
{
	for (int i = 0; i < a->nwriters && i < 8; i++)
		if (a->writers[i] == pid)
			return;
	if (a->nwriters < 8)
		a->writers[a->nwriters] = pid;
	a->nwriters++;
}

/* FUSE names the calling thread; the process is its thread group. 0 if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "r");
	pid_t tgid = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	if (f)
		fclose(f);
	return tgid;
}

static int is_writer(const struct apifile *a, pid_t pid)
{
	if (a->nwriters == 0 || a->nwriters > 8)
		return 1;
	pid_t tg = tgid_of(pid);
	for (int i = 0; i < a->nwriters; i++) {
		if (a->writers[i] == pid)
			return 1;
		pid_t wtg = tgid_of(a->writers[i]);
		if (!tg || !wtg || wtg == tg)
			return 1; /* same process, or cannot tell: let it commit */
	}
	return 0;
}

static enum verdict judge(struct handle *h, int final, char *why, size_t whylen)
{
	complete_fn rule = node_kind(&h->node)->complete;
	if (rule)
		return rule(&A(h)->w, final, why, whylen);
	snprintf(why, whylen, "not writable");
	return V_INVALID;
}

/* Every line written so far is already a line of the file's current
 * content: committing now could only remove lines that a later write may
 * still bring (bash's builtins write line by line), so the commit waits for
 * close, which applies the document exactly. */
static int lines_already_there(struct casfs *fs, struct handle *h)
{
	struct snap *cur = NULL;
	struct cas_error e;
	cas_error_clear(&e);
	if (render_node(fs, &h->node, &cur, &e))
		return 0;
	const struct cas_buf *b = &A(h)->w.b;
	int all = 1, any = 0;
	const char *p = cas_buf_str(b), *end = p + b->len;
	while (all && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = cas_trim_len(p, nl ? (size_t)(nl - p) : (size_t)(end - p), "\r");
		if (cas_trim_len(p, l, CAS_BLANKS)) {
			all = 0;
			any = 1;
			for (const char *q = cur->data, *qe = cur->data + cur->len; q < qe && !all;) {
				const char *qn = memchr(q, '\n', (size_t)(qe - q));
				size_t ql = qn ? (size_t)(qn - q) : (size_t)(qe - q);
				all = ql == l && memcmp(q, p, l) == 0;
				q = qn ? qn + 1 : qe;
			}
		}
		p = nl ? nl + 1 : end;
	}
	cas_obj_unref(cur);
	return all && any; /* blank lines alone are an empty set: committed (and refused) now */
}

static void action_of(const struct node *n, struct cas_error *e)
{
	const char *a = node_kind(n)->action;
	snprintf(e->action, sizeof(e->action), "%s", a ? a : "");
}

int commit_document(struct casfs *fs, const struct node *n, const char *data, size_t len)
{
	const struct node_kind *k = node_kind(n);
	struct cas_error e;
	cas_error_clear(&e);
	action_of(n, &e);
	int rc = k->commit ? k->commit(fs, n, data, len, &e)
			   : cas_error_set(&e, EPERM, "Local.Node", "%s is not writable", n->path);
	if (rc) {
		atomic_fetch_add(&fs->st.commit_errors, 1);
		if (rc == -EINVAL && !e.http_status)
			atomic_fetch_add(&fs->st.validation_errors, 1);
		/* nothing changed remotely: earlier written bytes keep their meaning */
		fs_fail(fs, n->path, rc, &e);
		notify_path(fs->notify, n->path); /* the kernel holds the bytes that failed */
	} else {
		atomic_fetch_add(&fs->st.commits, 1);
		if (k->same)
			memo_set_written(fs->memo, n->ino, data, len);
		if (k->flags & NF_INSTANCE)
			notify_instance(fs->notify, n->id);
	}
	return rc;
}

/* Fails the handle for a buffer that can never be committed. */
static int fail(struct casfs *fs, struct handle *h, int err, const char *why)
{
	struct apifile *a = A(h);
	struct cas_error e;
	cas_error_clear(&e);
	action_of(&h->node, &e);
	cas_error_set(&e, err, err == EFBIG ? "Local.TooLarge" : "Local.Validation", "%s", why);
	a->done = 1;
	a->rc = -err;
	atomic_fetch_add(&fs->st.commit_errors, 1);
	if (err == EINVAL)
		atomic_fetch_add(&fs->st.validation_errors, 1);
	fs_fail(fs, h->node.path, -err, &e);
	notify_path(fs->notify, h->node.path);
	return -err;
}

static int commit(struct casfs *fs, struct handle *h)
{
	struct apifile *a = A(h);
	a->done = 1;
	a->rc = commit_document(fs, &h->node, cas_buf_str(&a->w.b), a->w.b.len);
	if (node_kind(&h->node)->flags & NF_SECRET)
		wbuf_free(&a->w); /* the secret is gone as soon as it was sent */
	return a->rc;
}

struct handle *apifile_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	const struct node_kind *k = node_kind(n);
	int acc = flags & O_ACCMODE;
	int wr = acc == O_WRONLY || acc == O_RDWR;
	*rc = 0;
	if (wr && !k->commit) {
		*rc = -EACCES;
		return NULL;
	}
	if (wr && fs->o.ro) {
		*rc = -EROFS;
		return NULL;
	}
	if (acc != O_WRONLY && !(k->mode & 0444)) {
		*rc = -EACCES; /* write-only control files */
		return NULL;
	}
	struct handle *h = handle_new(fs, n);
	struct apifile *a = cas_xcalloc(1, sizeof(*a));
	h->priv = a;
	pthread_mutex_init(&a->mu, NULL);
	a->writing = wr;
	a->w.secret = (k->flags & NF_SECRET) != 0;
	/* writes bypass the page cache, so it never holds uncommitted bytes */
	h->direct_io = (k->flags & NF_DIRECT) || wr;
	if (k->mode & 0444) {
		struct cas_error e;
		cas_error_clear(&e);
		*rc = render_node(fs, n, &a->snap, &e);
		if (*rc) {
			fs_fail_read(fs, n->path, *rc, &e);
			apifile_release(fs, h, 0);
			return NULL;
		}
		h->keep_cache = !h->direct_io && cas_stamps_keep_cache(fs->stamps, n->ino, a->snap->hash);
		/* without O_TRUNC a write replaces bytes of the current content */
		if (wr && !(flags & O_TRUNC))
			cas_buf_add(&a->w.b, a->snap->data, a->snap->len);
		a->inplace = wr && !(flags & (O_TRUNC | O_APPEND)) && a->snap->len > 0;
	}
	a->emptied = wr && (flags & O_TRUNC);
	return h;
}

ssize_t apifile_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	(void)fs;
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	const char *data = a->snap ? a->snap->data : "";
	size_t len = a->snap ? a->snap->len : 0;
	if (a->dirty && !a->done) {
		data = cas_buf_str(&a->w.b);
		len = a->w.b.len;
	}
	ssize_t n = 0;
	if (off >= 0 && (size_t)off < len) {
		n = (ssize_t)(len - (size_t)off < size ? len - (size_t)off : size);
		memcpy(buf, data + off, (size_t)n);
	}
	pthread_mutex_unlock(&a->mu);
	return n;
}

ssize_t apifile_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid)
{
	struct apifile *a = A(h);
	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&a->mu);
	ssize_t rc = (ssize_t)size;
	char why[600] = "";
	int extends = node_kind(&h->node)->flags & NF_EXTENDS;
	if (a->done && !a->rc && extends && cas_trim_len(buf, size, CAS_BLANKS)) {
		a->done = 0; /* more of the same document: close commits it again */
		a->extended = 1;
	}
	if (a->done) {
		/* the document was committed (or failed): only trailing blank lines are welcome */
		if (a->rc)
			rc = a->rc;
		else if (cas_trim_len(buf, size, CAS_BLANKS))
			rc = fail(fs, h, EINVAL, "the file was already written as one complete document; "
						"open it again to write another");
	} else if ((size_t)off + size > APIFILE_MAX_BYTES) {
		rc = fail(fs, h, EFBIG, "write larger than the 1 MiB limit of an API file");
	} else if (a->inplace) {
		/* an edit of the current bytes: old bytes after it may be cut by a
		 * truncate still to come (or stay), so the whole is judged at flush */
		wbuf_place(&a->w, buf, size, (size_t)off);
		a->dirty = 1;
		note_writer(a, pid);
	} else {
		wbuf_place(&a->w, buf, size, (size_t)off);
		a->dirty = 1;
		note_writer(a, pid);
		switch (judge(h, 0, why, sizeof(why))) {
		case V_INVALID: rc = fail(fs, h, EINVAL, why); break;
		case V_COMPLETE:
			if (extends && (a->extended || lines_already_there(fs, h)))
				break;
			if (commit(fs, h))
				rc = a->rc;
			break;
		case V_INCOMPLETE: break;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int apifile_truncate(struct casfs *fs, struct handle *h, off_t size)
{
	(void)fs;
	struct apifile *a = A(h);
	if (size < 0)
		return -EINVAL;
	if ((size_t)size > APIFILE_MAX_BYTES)
		return -EFBIG;
	pthread_mutex_lock(&a->mu);
	if (!a->done) {
		wbuf_truncate(&a->w, (size_t)size);
		a->dirty = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* The empty document of an emptied, unwritten handle is refused without a
 * call (why says how). */
static int empty_refused(struct handle *h, char *why, size_t whylen)
{
	const struct snap *cur = A(h)->snap;
	if (judge(h, 1, why, whylen) == V_INVALID)
		return 1;
	return commit_empty_refused(&h->node, cur ? cur->data : "", cur ? cur->len : 0, why, whylen);
}

int apifile_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	char why[600] = "";
	if (a->writing && a->dirty && !a->done &&
	    (is_writer(a, pid) || judge(h, 0, why, sizeof(why)) != V_INCOMPLETE)) {
		if (judge(h, 1, why, sizeof(why)) == V_INVALID)
			fail(fs, h, EINVAL, why);
		else
			commit(fs, h);
	}
	int rc = a->done ? a->rc : 0;
	if (a->writing && a->emptied && !a->dirty && !a->done && empty_refused(h, why, sizeof(why))) {
		/* open(p, "w").close(): the empty document, refused without a
		 * call. close(2) reports it; the record comes at release, because
		 * this may be the shell closing the descriptor it redirected before
		 * the command writes (a later write clears it). */
		a->empty_refused = 1;
		cas_debug("%s: emptied and not written: %s", h->node.path, why);
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

off_t apifile_pending_size(struct handle *h)
{
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	off_t s = a->dirty && !a->done ? (off_t)a->w.b.len : -1;
	pthread_mutex_unlock(&a->mu);
	return s;
}

void apifile_release(struct casfs *fs, struct handle *h, int final)
{
	struct apifile *a = A(h);
	/* An emptied file that nobody wrote is the empty document. It cannot be
	 * committed at flush: bash closes the descriptor it redirects (a FLUSH)
	 * before the command writes. So it is committed here, at the last
	 * close: its failure (an empty tag set, an empty config) is recorded in
	 * .cas/errors and the log. A refusal that needs no call was already
	 * close(2)'s EINVAL (apifile_flush). */
	if (final && a->emptied && !a->dirty && !a->done) {
		char why[600] = "";
		if (a->empty_refused && empty_refused(h, why, sizeof(why)))
			fail(fs, h, EINVAL, why); /* what close(2) reported: a record, nothing sent */
		else
			commit(fs, h);
	}
	wbuf_free(&a->w); /* wipes: cloud-access/new carries a SecretKey */
	cas_obj_unref(a->snap);
	pthread_mutex_destroy(&a->mu);
	free(a);
	handle_free(fs, h);
}
