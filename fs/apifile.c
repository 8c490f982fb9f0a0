/* apifile: open API files, write buffers and the commit rule (see apifile.h).
 * The commit rule is one state per handle (enum wstate) that changes only
 * along the rows of `rules` below; the entry points classify what happened
 * into an event (enum wevent) and take the row's action. The same table is
 * in docs/ARCHITECTURE.md ("The commit rule"). */
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

/* A test that includes this file counts the rows taken (tests/unit/test_commitrule.c). */
#ifndef APIFILE_ROW_TAKEN
#define APIFILE_ROW_TAKEN(row) ((void)0)
#endif

enum wstate {
	WS_NEW,       /* being opened */
	WS_READ,      /* opened read-only: nothing is ever committed */
	WS_OPEN,      /* opened for writing without O_TRUNC, nothing written: the buffer is the current bytes */
	WS_EMPTIED,   /* opened with O_TRUNC, nothing written: release commits the empty document */
	WS_REFUSED,   /* EMPTIED, and its empty document is refused without a call: flush said EINVAL */
	WS_PENDING,   /* written or truncated, not committed: the write completing the document commits */
	WS_EXTENDED,  /* NF_EXTENDS (tags): written again after its commit; the next flush commits the whole */
	WS_COMMITTED, /* committed: blank bytes may follow (NF_EXTENDS: text too, see EXTENDED) */
	WS_FAILED,    /* the commit failed, or the buffer never can: writes and flushes return rc */
	WS_SAME,      /* in a row: the state stays */
};

enum wevent {
	E_OPEN_READ,      /* open read-only */
	E_OPEN_TRUNC,     /* open for writing with O_TRUNC */
	E_OPEN_APPEND,    /* ... without O_TRUNC, with O_APPEND or with nothing to edit (empty or write-only file) */
	E_OPEN_INPLACE,   /* ... without O_TRUNC or O_APPEND over content: writes edit the current bytes */
	E_WRITE,          /* bytes leaving the document incomplete; an in-place handle's bytes always (no verdict) */
	E_WRITE_COMPLETE, /* bytes completing a valid document */
	E_WRITE_REPEATS,  /* NF_EXTENDS: completing, but every line written is already a line of the file */
	E_WRITE_INVALID,  /* bytes that can never become a valid document */
	E_WRITE_TOO_BIG,  /* bytes past APIFILE_MAX_BYTES */
	E_WRITE_BLANK,    /* after the commit: blank bytes only */
	E_WRITE_AGAIN,    /* after the commit: text, the kind has no NF_EXTENDS */
	E_WRITE_EXTEND,   /* after the commit: text, NF_EXTENDS */
	E_TRUNCATE,       /* ftruncate through the handle */
	E_FLUSH,          /* close or fsync: by a writer, or the buffer is not incomplete */
	E_FLUSH_WAIT,     /* ... by a process that never wrote, the buffer incomplete (an inherited descriptor) */
	E_FLUSH_REFUSED,  /* ... of an emptied, unwritten handle whose empty document is refused without a call */
	E_RELEASE,        /* the last close */
	E_DISCARD,        /* release at unmount or of a failed open: nothing is committed */
	E_ERROR,          /* the commit just taken failed */
};

enum waction {
	A_NONE,
	A_LOAD,         /* the buffer starts as the current bytes */
	A_LOAD_INPLACE, /* same, and the handle's writes get no verdict: a truncate may still cut them */
	A_COMMIT,       /* commit the buffer */
	A_FLUSH_COMMIT, /* judge the buffer as final: invalid fails (EINVAL), else commit */
	A_FAIL,         /* fail the handle with EINVAL and the verdict's reason, nothing sent */
	A_FAIL_BIG,     /* ... with EFBIG */
	A_FAIL_AGAIN,   /* ... with EINVAL: a second document through one handle */
	A_FAIL_EMPTY,   /* ... with EINVAL: record the refusal close(2) already reported */
	A_CUT,          /* truncate the buffer */
	A_REFUSE,       /* flush returns EINVAL (the state says so); the record waits for release */
	A_REWRITE,      /* the write's bytes are taken again in the new state */
};

#define S(x) (1u << WS_##x)
#define UNCOMMITTED (S(OPEN) | S(EMPTIED) | S(REFUSED) | S(PENDING))
#define EVERY (S(NEW) | S(READ) | UNCOMMITTED | S(EXTENDED) | S(COMMITTED) | S(FAILED))

/* The commit rule. A (state, event) pair matches at most one row. */
static const struct wrow {
	unsigned from;     /* states (S() bits) */
	enum wevent ev;
	enum waction act;
	enum wstate to;
} rules[] = {
	/* from                     event             action          to */
	{ S(NEW),                   E_OPEN_READ,      A_NONE,         WS_READ },
	{ S(NEW),                   E_OPEN_TRUNC,     A_NONE,         WS_EMPTIED },
	{ S(NEW),                   E_OPEN_APPEND,    A_LOAD,         WS_OPEN },
	{ S(NEW),                   E_OPEN_INPLACE,   A_LOAD_INPLACE, WS_OPEN },
	{ UNCOMMITTED,              E_WRITE,          A_NONE,         WS_PENDING },
	{ UNCOMMITTED,              E_WRITE_COMPLETE, A_COMMIT,       WS_COMMITTED },
	{ UNCOMMITTED,              E_WRITE_REPEATS,  A_NONE,         WS_PENDING },
	{ S(EXTENDED),              E_WRITE,          A_NONE,         WS_SAME },
	{ S(EXTENDED),              E_WRITE_COMPLETE, A_NONE,         WS_SAME },
	{ UNCOMMITTED | S(EXTENDED), E_WRITE_INVALID, A_FAIL,         WS_FAILED },
	{ UNCOMMITTED | S(EXTENDED), E_WRITE_TOO_BIG, A_FAIL_BIG,     WS_FAILED },
	{ S(COMMITTED) | S(FAILED), E_WRITE_BLANK,    A_NONE,         WS_SAME },
	{ S(COMMITTED),             E_WRITE_AGAIN,    A_FAIL_AGAIN,   WS_FAILED },
	{ S(COMMITTED),             E_WRITE_EXTEND,   A_REWRITE,      WS_EXTENDED },
	{ S(FAILED),                E_WRITE_AGAIN,    A_NONE,         WS_SAME },
	{ S(FAILED),                E_WRITE_EXTEND,   A_NONE,         WS_SAME },
	{ UNCOMMITTED,              E_TRUNCATE,       A_CUT,          WS_PENDING },
	{ S(EXTENDED),              E_TRUNCATE,       A_CUT,          WS_SAME },
	{ S(READ) | S(COMMITTED) | S(FAILED), E_TRUNCATE, A_NONE,     WS_SAME },
	{ S(PENDING) | S(EXTENDED), E_FLUSH,          A_FLUSH_COMMIT, WS_COMMITTED },
	{ S(PENDING) | S(EXTENDED), E_FLUSH_WAIT,     A_NONE,         WS_SAME },
	{ S(EMPTIED) | S(REFUSED),  E_FLUSH_REFUSED,  A_REFUSE,       WS_REFUSED },
	{ S(READ) | S(OPEN) | S(EMPTIED) | S(COMMITTED) | S(FAILED), E_FLUSH, A_NONE, WS_SAME },
	{ S(EMPTIED),               E_RELEASE,        A_COMMIT,       WS_COMMITTED },
	{ S(REFUSED),               E_RELEASE,        A_FAIL_EMPTY,   WS_FAILED },
	{ EVERY & ~(S(EMPTIED) | S(REFUSED)), E_RELEASE, A_NONE,      WS_SAME },
	{ EVERY,                    E_DISCARD,        A_NONE,         WS_SAME },
	{ S(COMMITTED),             E_ERROR,          A_NONE,         WS_FAILED },
};

/* Reads and stat see the buffer in these states, the snapshot otherwise. */
#define SHOWS_BUFFER (S(PENDING) | S(EXTENDED))

/* Writers tracked per handle; beyond that every flush counts as a writer's. */
#define APIFILE_MAX_WRITERS 8

/* The processes that wrote through a handle, so that the flush of a process
 * that never wrote (a child that inherited the descriptor: the sleep in
 * `(printf ...; sleep 1; printf ...) > config`) does not commit a document
 * that is still incomplete. FUSE names the calling thread, and the threads
 * of a process share its descriptors (Go moves goroutines between threads,
 * so the closing thread is often not the writing one), so a writer is a
 * thread group: its id is read once per writing thread from
 * /proc/<tid>/status ("Tgid:"), where Linux tells it. When that
 * fails, or past APIFILE_MAX_WRITERS, every flush counts: a flush then
 * commits early (an incomplete document fails), never loses a commit. */
struct writers {
	pid_t tid[APIFILE_MAX_WRITERS];  /* the thread that wrote */
	pid_t tgid[APIFILE_MAX_WRITERS]; /* its process; 0: unknown */
	int n;                           /* > APIFILE_MAX_WRITERS: too many to track */
};

/* An open API file (handle->priv). */
struct apifile {
	struct snap *snap;     /* what reads return; NULL for write-only nodes; immutable */
	pthread_mutex_t mu;    /* protects everything below; held across a commit */
	enum wstate state;     /* changed only by step() */
	int inplace;           /* A_LOAD_INPLACE: writes get no verdict, flush judges */
	int rc;                /* the result of the commit (or of the failure): 0 or -errno */
	struct wbuf w;
	struct writers writers;
	struct timespec mtime; /* the snapshot's (stamps), what a stat through the handle shows */
};

/* What an event carries to its action. */
struct wctx {
	const char *buf; /* a write's bytes */
	size_t size;
	off_t off;       /* a write's offset, a truncate's size */
	pid_t pid;
	char why[600];   /* the verdict's reason, for A_FAIL */
};

static struct apifile *A(struct handle *h)
{
	return h->priv;
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

static void note_writer(struct writers *w, pid_t tid)
{
	for (int i = 0; i < w->n && i < APIFILE_MAX_WRITERS; i++)
		if (w->tid[i] == tid)
			return;
	if (w->n < APIFILE_MAX_WRITERS) {
		w->tid[w->n] = tid;
		w->tgid[w->n] = tgid_of(tid);
	}
	if (w->n <= APIFILE_MAX_WRITERS)
		w->n++;
}

static int is_writer(const struct writers *w, pid_t tid)
{
	if (w->n == 0 || w->n > APIFILE_MAX_WRITERS)
		return 1; /* nobody wrote (a truncate made the buffer), or too many to tell */
	for (int i = 0; i < w->n; i++)
		if (w->tid[i] == tid)
			return 1;
	pid_t tg = tgid_of(tid);
	for (int i = 0; i < w->n; i++)
		if (!tg || !w->tgid[i] || w->tgid[i] == tg)
			return 1; /* the same process, or /proc cannot tell: let it commit */
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
 * flush, which applies the document exactly (E_WRITE_REPEATS). */
static int repeats_current_lines(struct casfs *fs, struct handle *h)
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

/* The buffer can never be committed: a record, nothing sent. */
static void fail_with(struct casfs *fs, struct handle *h, int err, const char *why)
{
	struct apifile *a = A(h);
	struct cas_error e;
	cas_error_clear(&e);
	action_of(&h->node, &e);
	cas_error_set(&e, err, err == EFBIG ? "Local.TooLarge" : "Local.Validation", "%s", why);
	a->rc = -err;
	atomic_fetch_add(&fs->st.commit_errors, 1);
	if (err == EINVAL)
		atomic_fetch_add(&fs->st.validation_errors, 1);
	fs_fail(fs, h->node.path, -err, &e);
	notify_path(fs->notify, h->node.path);
}

static void commit(struct casfs *fs, struct handle *h)
{
	struct apifile *a = A(h);
	a->rc = commit_document(fs, &h->node, cas_buf_str(&a->w.b), a->w.b.len);
	if (node_kind(&h->node)->flags & NF_SECRET)
		wbuf_free(&a->w); /* the secret is gone as soon as it was sent */
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

static const struct wrow *rule_for(enum wstate s, enum wevent ev)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].ev == ev && (rules[i].from & (1u << s)))
			return &rules[i];
	return NULL;
}

static enum wevent write_event(struct casfs *fs, struct handle *h, struct wctx *c);

/* Takes the row for (the handle's state, ev): the state moves, then the
 * action runs; a commit that fails is the event E_ERROR. */
static void step(struct casfs *fs, struct handle *h, enum wevent ev, struct wctx *c)
{
	struct apifile *a = A(h);
	const struct wrow *r = rule_for(a->state, ev);
	if (!r) {
		cas_err("%s: commit rule: no row for state %d, event %d", h->node.path, (int)a->state, (int)ev);
		return;
	}
	APIFILE_ROW_TAKEN(r);
	if (r->to != WS_SAME)
		a->state = r->to;
	switch (r->act) {
	case A_NONE: break;
	case A_LOAD_INPLACE: a->inplace = 1; /* fall through */
	case A_LOAD:
		if (a->snap) /* a write replaces bytes of the current content */
			cas_buf_add(&a->w.b, a->snap->data, a->snap->len);
		break;
	case A_COMMIT: commit(fs, h); break;
	case A_FLUSH_COMMIT:
		if (judge(h, 1, c->why, sizeof(c->why)) == V_INVALID)
			fail_with(fs, h, EINVAL, c->why);
		else
			commit(fs, h);
		break;
	case A_FAIL: fail_with(fs, h, EINVAL, c->why); break;
	case A_FAIL_BIG: fail_with(fs, h, EFBIG, "write larger than the 1 MiB limit of an API file"); break;
	case A_FAIL_AGAIN:
		fail_with(fs, h, EINVAL, "the file was already written as one complete document; "
				    "open it again to write another");
		break;
	case A_FAIL_EMPTY:
		empty_refused(h, c->why, sizeof(c->why));
		fail_with(fs, h, EINVAL, c->why);
		break;
	case A_CUT: wbuf_truncate(&a->w, (size_t)c->off); break;
	case A_REFUSE:
		/* open(p, "w").close(): close(2) reports it; the record comes at
		 * release, because this may be the shell closing the descriptor it
		 * redirected before the command writes (a later write clears it). */
		cas_debug("%s: emptied and not written: %s", h->node.path, c->why);
		break;
	case A_REWRITE: step(fs, h, write_event(fs, h, c), c); break;
	}
	if (a->state == WS_COMMITTED && a->rc)
		step(fs, h, E_ERROR, c);
}

/* What a write is. Before the commit its bytes are placed first: the
 * verdict judges the whole buffer. */
static enum wevent write_event(struct casfs *fs, struct handle *h, struct wctx *c)
{
	struct apifile *a = A(h);
	int extends = node_kind(&h->node)->flags & NF_EXTENDS;
	if (a->state == WS_COMMITTED || a->state == WS_FAILED) {
		if (!cas_trim_len(c->buf, c->size, CAS_BLANKS))
			return E_WRITE_BLANK;
		return extends ? E_WRITE_EXTEND : E_WRITE_AGAIN;
	}
	if ((size_t)c->off + c->size > APIFILE_MAX_BYTES)
		return E_WRITE_TOO_BIG;
	wbuf_place(&a->w, c->buf, c->size, (size_t)c->off);
	note_writer(&a->writers, c->pid);
	if (a->inplace)
		return E_WRITE;
	switch (judge(h, 0, c->why, sizeof(c->why))) {
	case V_INVALID: return E_WRITE_INVALID;
	case V_INCOMPLETE: return E_WRITE;
	case V_COMPLETE: break;
	}
	/* in EXTENDED the flush commits either way: no need to ask */
	if (extends && a->state != WS_EXTENDED && repeats_current_lines(fs, h))
		return E_WRITE_REPEATS;
	return E_WRITE_COMPLETE;
}

static enum wevent flush_event(struct handle *h, struct wctx *c)
{
	struct apifile *a = A(h);
	switch (a->state) {
	case WS_PENDING:
	case WS_EXTENDED:
		return is_writer(&a->writers, c->pid) || judge(h, 0, c->why, sizeof(c->why)) != V_INCOMPLETE
			       ? E_FLUSH
			       : E_FLUSH_WAIT;
	case WS_EMPTIED:
	case WS_REFUSED: return empty_refused(h, c->why, sizeof(c->why)) ? E_FLUSH_REFUSED : E_FLUSH;
	default: return E_FLUSH;
	}
}

/* How the kernel gets a page-cached kind's snapshot (stamps.h): its pages
 * kept when they are these bytes; dropped when they are not; and direct_io
 * when the kernel may still hold the size of other content (the attributes
 * of a getattr that outlive the document they came from), so that read()
 * returns the snapshot whole, neither cut at the old size nor padded with
 * NULs. A read-only open then also waits (bounded) until the kernel was
 * told to forget this path's attributes, so that an fstat right after it
 * asks casfs again; an open that creates or writes never waits (the kernel
 * may hold the directory's lock or the file's while it opens). */
#define OPEN_INVAL_WAIT_MS 500

static void serve_snapshot(struct casfs *fs, struct handle *h, int flags)
{
	switch (cas_stamps_open(fs->stamps, h->node.ino, A(h)->snap->hash)) {
	case STAMPS_KEEP: h->keep_cache = 1; break;
	case STAMPS_DROP: break;
	case STAMPS_DIRECT:
		h->direct_io = 1;
		if ((flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC))) {
			notify_path(fs->notify, h->node.path);
			if (notify_wait(fs->notify, OPEN_INVAL_WAIT_MS))
				cas_debug("%s: opened before the kernel forgot its attributes", h->node.path);
		}
		break;
	}
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
	a->state = WS_NEW;
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
		a->mtime = cas_stamps_mtime(fs->stamps, n->ino, a->snap->hash);
		if (!h->direct_io)
			serve_snapshot(fs, h, flags);
	}
	struct wctx c = {0};
	step(fs, h, !wr ? E_OPEN_READ
		   : flags & O_TRUNC ? E_OPEN_TRUNC
		   : !(flags & O_APPEND) && a->snap && a->snap->len > 0 ? E_OPEN_INPLACE
									 : E_OPEN_APPEND,
	     &c);
	return h;
}

ssize_t apifile_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	(void)fs;
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	const char *data = a->snap ? a->snap->data : "";
	size_t len = a->snap ? a->snap->len : 0;
	if (SHOWS_BUFFER & (1u << a->state)) {
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
	ssize_t rc = -EBADF; /* a read-only handle: the kernel never sends this */
	if (a->state != WS_READ) {
		struct wctx c = {.buf = buf, .size = size, .off = off, .pid = pid};
		step(fs, h, write_event(fs, h, &c), &c);
		rc = a->state == WS_FAILED ? a->rc : (ssize_t)size;
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int apifile_truncate(struct casfs *fs, struct handle *h, off_t size)
{
	struct apifile *a = A(h);
	if (size < 0)
		return -EINVAL;
	if ((size_t)size > APIFILE_MAX_BYTES)
		return -EFBIG;
	pthread_mutex_lock(&a->mu);
	struct wctx c = {.off = size};
	step(fs, h, E_TRUNCATE, &c);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int apifile_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	struct wctx c = {.pid = pid};
	step(fs, h, flush_event(h, &c), &c);
	int rc = a->state == WS_FAILED ? a->rc : a->state == WS_REFUSED ? -EINVAL : 0;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

off_t apifile_pending_size(struct handle *h)
{
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	off_t s = SHOWS_BUFFER & (1u << a->state) ? (off_t)a->w.b.len : -1;
	pthread_mutex_unlock(&a->mu);
	return s;
}

int apifile_snapshot_attrs(struct handle *h, size_t *len, uint64_t *hash, struct timespec *mtime)
{
	struct apifile *a = A(h);
	pthread_mutex_lock(&a->mu);
	int is = a->state == WS_READ && a->snap;
	if (is) {
		*len = a->snap->len;
		*hash = a->snap->hash;
		*mtime = a->mtime;
	}
	pthread_mutex_unlock(&a->mu);
	return is;
}

void apifile_release(struct casfs *fs, struct handle *h, int final)
{
	struct apifile *a = A(h);
	struct wctx c = {0};
	step(fs, h, final ? E_RELEASE : E_DISCARD, &c);
	wbuf_free(&a->w); /* wipes: cloud-access/new carries a SecretKey */
	cas_obj_unref(a->snap);
	pthread_mutex_destroy(&a->mu);
	free(a);
	handle_free(fs, h);
}
