/* handle: open files, write buffers and the commit rule (see handle.h). */
#include "handle.h"

#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_tokener.h>
#include <json-c/json_object.h>

#include "buf.h"
#include "errlog.h"
#include "log.h"
#include "memo.h"
#include "notify.h"
#include "render.h"
#include "scratch.h"
#include "validate.h"

struct handle {
	struct handle *prev, *next; /* every open handle, for handle_release_all() */
	struct node node;
	struct snap *snap;     /* what reads return; NULL for write-only nodes and scratch */
	int keep_cache;
	pthread_mutex_t mu;
	int writing;
	int dirty;             /* the buffer differs from what was opened */
	int emptied;           /* opened with O_TRUNC: see release() */
	int extended;          /* written again after its commit (tags): the rest commits at close */
	int done;              /* the one commit happened (or the buffer failed) */
	int rc;                /* its result */
	struct cas_buf buf;
	json_tokener *tok;
	size_t fed;            /* bytes of buf fed to tok */
	pid_t writers[8];      /* processes that wrote through this handle */
	int nwriters;          /* > 8: too many to track, every flush counts */
};

static void release(struct casfs *fs, struct handle *h, int final);

static void note_writer(struct handle *h, pid_t pid)
{
	for (int i = 0; i < h->nwriters && i < 8; i++)
		if (h->writers[i] == pid)
			return;
	if (h->nwriters < 8)
		h->writers[h->nwriters] = pid;
	h->nwriters++;
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

static int is_writer(const struct handle *h, pid_t pid)
{
	if (h->nwriters == 0 || h->nwriters > 8)
		return 1;
	pid_t tg = tgid_of(pid);
	for (int i = 0; i < h->nwriters; i++) {
		if (h->writers[i] == pid)
			return 1;
		pid_t wtg = tgid_of(h->writers[i]);
		if (!tg || !wtg || wtg == tg)
			return 1; /* same process, or cannot tell: let it commit */
	}
	return 0;
}

static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct handle *open_list;

static void track(struct handle *h)
{
	pthread_mutex_lock(&open_mu);
	h->next = open_list;
	if (open_list)
		open_list->prev = h;
	open_list = h;
	pthread_mutex_unlock(&open_mu);
}

static void untrack(struct handle *h)
{
	pthread_mutex_lock(&open_mu);
	if (h->prev)
		h->prev->next = h->next;
	else if (open_list == h)
		open_list = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	pthread_mutex_unlock(&open_mu);
}

enum verdict { V_INCOMPLETE, V_COMPLETE, V_INVALID };

static int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int all_ws(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws(p[i]))
			return 0;
	return 1;
}

/* JSON: json-c's tokener tells "needs more" from "can never parse". */
static enum verdict judge_json(struct handle *h, int final, char *why, size_t whylen)
{
	const char *p = h->buf.p ? h->buf.p : "";
	size_t n = h->buf.len, i = 0;
	while (i < n && is_ws(p[i]))
		i++;
	if (i == n) {
		if (final)
			snprintf(why, whylen, "empty document; expected a JSON object");
		return final ? V_INVALID : V_INCOMPLETE;
	}
	if (p[i] != '{') {
		snprintf(why, whylen, "expected a JSON object");
		return V_INVALID;
	}
	if (!h->tok || h->fed > n) {
		if (h->tok)
			json_tokener_free(h->tok);
		h->tok = json_tokener_new();
		json_tokener_set_flags(h->tok, JSON_TOKENER_STRICT);
		h->fed = 0;
	}
	json_object *obj = NULL;
	size_t chunk = h->fed;
	if (h->fed < n) {
		obj = json_tokener_parse_ex(h->tok, p + h->fed, (int)(n - h->fed));
		h->fed = n;
	}
	enum json_tokener_error err = json_tokener_get_error(h->tok);
	if (obj) {
		/* parse_end is where the object ended within the chunk just fed;
		 * everything after it must be blank */
		const char *close = p + chunk + json_tokener_get_parse_end(h->tok);
		json_object_put(obj);
		json_tokener_reset(h->tok);
		h->fed = (size_t)-1; /* anything more re-parses from the start */
		if (!all_ws(close, (size_t)(p + n - close))) {
			snprintf(why, whylen, "text after the end of the JSON object");
			return V_INVALID;
		}
		return V_COMPLETE;
	}
	if (err == json_tokener_continue) {
		if (final)
			snprintf(why, whylen, "incomplete JSON document");
		return final ? V_INVALID : V_INCOMPLETE;
	}
	snprintf(why, whylen, "invalid JSON: %s", json_tokener_error_desc(err));
	return V_INVALID;
}

static enum verdict judge_line(struct handle *h, int final, char *why, size_t whylen)
{
	const char *p = h->buf.p ? h->buf.p : "";
	size_t n = h->buf.len;
	const char *nl = memchr(p, '\n', n);
	if (!nl)
		return final ? V_COMPLETE : V_INCOMPLETE;
	if (!all_ws(nl, (size_t)(p + n - nl))) {
		snprintf(why, whylen, "one value per file: text after the first line");
		return V_INVALID;
	}
	return V_COMPLETE;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE REQUEST-----"
#define PEM_END "-----END CERTIFICATE REQUEST-----"

static enum verdict judge_pem(struct handle *h, int final, char *why, size_t whylen)
{
	const char *p = h->buf.p ? h->buf.p : "";
	size_t n = h->buf.len, i = 0;
	while (i < n && is_ws(p[i]))
		i++;
	size_t have = n - i, want = strlen(PEM_BEGIN);
	if (memcmp(p + i, PEM_BEGIN, have < want ? have : want) != 0) {
		snprintf(why, whylen, "not a PEM certificate request (it must start with %s)", PEM_BEGIN);
		return V_INVALID;
	}
	const char *end = memmem(p, n, PEM_END, strlen(PEM_END));
	if (!end)
		return final ? V_COMPLETE : V_INCOMPLETE; /* commit() reports a truncated PEM */
	const char *after = end + strlen(PEM_END);
	if (!all_ws(after, (size_t)(p + n - after))) {
		snprintf(why, whylen, "text after " PEM_END);
		return V_INVALID;
	}
	return final || memchr(after, '\n', (size_t)(p + n - after)) ? V_COMPLETE : V_INCOMPLETE;
}

/* Tags have no end marker: a buffer that ends in a newline is committed,
 * and more lines written later extend it (see rule_extends); a line that
 * can never be valid fails the write at once. */
static enum verdict judge_tags(struct handle *h, int final, char *why, size_t whylen)
{
	const char *p = h->buf.p ? h->buf.p : "";
	size_t n = h->buf.len, lines = 0;
	for (const char *q = p; q < p + n;) {
		const char *nl = memchr(q, '\n', (size_t)(p + n - q));
		if (!nl && !final)
			break;
		size_t l = nl ? (size_t)(nl - q) : (size_t)(p + n - q);
		if (l && !all_ws(q, l)) {
			const char *eq = memchr(q, '=', l);
			lines++;
			struct cas_tag t = { NULL, NULL };
			struct cas_error e;
			if (!eq || eq == q) {
				snprintf(why, whylen, "tags lines must be key=value");
				return V_INVALID;
			}
			size_t vl = l - (size_t)(eq - q) - 1;
			while (vl && eq[vl] == '\r')
				vl--;
			t.key = cas_xstrndup(q, (size_t)(eq - q));
			t.value = cas_xstrndup(eq + 1, vl);
			int rc = cas_validate_tags(&t, 1, &e);
			free(t.key);
			free(t.value);
			if (rc) {
				snprintf(why, whylen, "%s", e.message);
				return V_INVALID;
			}
			if (lines > CAS_MAX_TAGS) {
				snprintf(why, whylen, "at most %d tags are allowed", CAS_MAX_TAGS);
				return V_INVALID;
			}
		}
		q = nl ? nl + 1 : p + n;
	}
	/* the usual single write (echo, printf, one write of the whole set) ends
	 * in a newline: commit it now, so even bash's builtin echo sees a failure */
	return final || (n && p[n - 1] == '\n') ? V_COMPLETE : V_INCOMPLETE;
}

/* Rules whose document has no end marker (tags): the first write that ends
 * a line commits (the usual single write: echo, printf, one write of the
 * set); bytes written after that extend the same document, which close
 * commits again as a whole. So a handle applies at most twice, and the end
 * state is exactly what was written. */
static int rule_extends(const struct handle *h)
{
	return node_kinds[h->node.type].complete == C_TAGS;
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
	int all = 1, any = 0;
	const char *p = h->buf.p ? h->buf.p : "", *end = p + h->buf.len;
	while (all && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (l && p[l - 1] == '\r')
			l--;
		if (l && !all_ws(p, l)) {
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

static enum verdict judge(struct handle *h, int final, char *why, size_t whylen)
{
	switch (node_kinds[h->node.type].complete) {
	case C_JSON: return judge_json(h, final, why, whylen);
	case C_LINE: return judge_line(h, final, why, whylen);
	case C_PEM: return judge_pem(h, final, why, whylen);
	case C_TAGS: return judge_tags(h, final, why, whylen);
	case C_ANY: return V_COMPLETE;
	case C_NONE: break;
	}
	snprintf(why, whylen, "not writable");
	return V_INVALID;
}

int commit_document(struct casfs *fs, const struct node *n, const char *data, size_t len)
{
	const struct node_kind *k = &node_kinds[n->type];
	struct cas_error e;
	cas_error_clear(&e);
	snprintf(e.action, sizeof(e.action), "%s", k->action ? k->action : "");
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
		if (k->flags & NF_OVERRIDE)
			memo_set_written(fs->memo, n->ino, data, len);
		if (n->type != T_CTL_REFRESH && n->type != T_ACCESS_NEW && n->id)
			notify_instance(fs->notify, n->id);
	}
	return rc;
}

/* Fails the handle for a buffer that can never be committed. */
static int fail(struct casfs *fs, struct handle *h, int err, const char *why)
{
	struct cas_error e;
	cas_error_clear(&e);
	const struct node_kind *k = &node_kinds[h->node.type];
	snprintf(e.action, sizeof(e.action), "%s", k->action ? k->action : "");
	cas_error_set(&e, err, err == EFBIG ? "Local.TooLarge" : "Local.Validation", "%s", why);
	h->done = 1;
	h->rc = -err;
	atomic_fetch_add(&fs->st.commit_errors, 1);
	if (err == EINVAL)
		atomic_fetch_add(&fs->st.validation_errors, 1);
	fs_fail(fs, h->node.path, -err, &e);
	notify_path(fs->notify, h->node.path);
	return -err;
}

static int commit(struct casfs *fs, struct handle *h)
{
	h->done = 1;
	h->rc = commit_document(fs, &h->node, h->buf.p ? h->buf.p : "", h->buf.len);
	return h->rc;
}

struct handle *handle_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	const struct node_kind *k = &node_kinds[n->type];
	int acc = flags & O_ACCMODE;
	int wr = acc == O_WRONLY || acc == O_RDWR;
	*rc = 0;
	if (wr && !k->commit && n->type != T_SCRATCH) {
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
	struct handle *h = cas_xcalloc(1, sizeof(*h));
	h->node = *n;
	if (n->id)
		h->node.id = h->node.buf + (n->id - n->buf);
	if (n->name)
		h->node.name = h->node.buf + (n->name - n->buf);
	pthread_mutex_init(&h->mu, NULL);
	track(h);
	h->writing = wr;
	if (n->type != T_SCRATCH && (k->mode & 0444)) {
		struct cas_error e;
		cas_error_clear(&e);
		*rc = render_node(fs, n, &h->snap, &e);
		if (*rc) {
			fs_fail_read(fs, n->path, *rc, &e);
			release(fs, h, 0);
			return NULL;
		}
		h->keep_cache = !(k->flags & NF_DIRECT) && cas_stamps_keep_cache(fs->stamps, n->ino, h->snap->hash);
		/* without O_TRUNC a write replaces bytes of the current content */
		if (wr && !(flags & O_TRUNC))
			cas_buf_add(&h->buf, h->snap->data, h->snap->len);
	}
	h->emptied = wr && (flags & O_TRUNC) && n->type != T_SCRATCH;
	return h;
}

const struct node *handle_node(const struct handle *h)
{
	return &h->node;
}

int handle_keep_cache(const struct handle *h)
{
	return h->keep_cache;
}

ssize_t handle_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	if (h->node.type == T_SCRATCH)
		return scratch_read(fs->scratch, h->node.id, h->node.name, buf, size, off);
	pthread_mutex_lock(&h->mu);
	const char *data = h->snap ? h->snap->data : "";
	size_t len = h->snap ? h->snap->len : 0;
	if (h->dirty && !h->done) {
		data = h->buf.p ? h->buf.p : "";
		len = h->buf.len;
	}
	ssize_t n = 0;
	if (off >= 0 && (size_t)off < len) {
		n = (ssize_t)(len - (size_t)off < size ? len - (size_t)off : size);
		memcpy(buf, data + off, (size_t)n);
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

static void place(struct cas_buf *b, const char *data, size_t size, size_t off)
{
	if (off + size > b->len) {
		cas_buf_reserve(b, off + size - b->len);
		if (off > b->len)
			memset(b->p + b->len, 0, off - b->len);
		b->len = off + size;
		b->p[b->len] = '\0';
	}
	memcpy(b->p + off, data, size);
}

ssize_t handle_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid)
{
	if (h->node.type == T_SCRATCH)
		return scratch_write(fs->scratch, h->node.id, h->node.name, buf, size, off);
	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&h->mu);
	ssize_t rc = (ssize_t)size;
	char why[600] = "";
	if (h->done && !h->rc && rule_extends(h) && !all_ws(buf, size)) {
		h->done = 0; /* more of the same document: close commits it again */
		h->extended = 1;
	}
	if (h->done) {
		/* the document was committed (or failed): only trailing blank lines are welcome */
		if (h->rc)
			rc = h->rc;
		else if (!all_ws(buf, size))
			rc = fail(fs, h, EINVAL, "the file was already written as one complete document; "
						"open it again to write another");
	} else if ((size_t)off + size > HANDLE_MAX_BYTES) {
		rc = fail(fs, h, EFBIG, "write larger than the 1 MiB limit of an API file");
	} else {
		if ((size_t)off < h->fed)
			h->fed = (size_t)-1; /* bytes already parsed changed: start over */
		place(&h->buf, buf, size, (size_t)off);
		h->dirty = 1;
		note_writer(h, pid);
		switch (judge(h, 0, why, sizeof(why))) {
		case V_INVALID: rc = fail(fs, h, EINVAL, why); break;
		case V_COMPLETE:
			if (rule_extends(h) && (h->extended || lines_already_there(fs, h)))
				break;
			if (commit(fs, h))
				rc = h->rc;
			break;
		case V_INCOMPLETE: break;
		}
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

int handle_truncate(struct casfs *fs, struct handle *h, off_t size)
{
	if (h->node.type == T_SCRATCH)
		return scratch_truncate(fs->scratch, h->node.id, h->node.name, size);
	if (size < 0)
		return -EINVAL;
	if ((size_t)size > HANDLE_MAX_BYTES)
		return -EFBIG;
	pthread_mutex_lock(&h->mu);
	if (!h->done) {
		if ((size_t)size > h->buf.len)
			place(&h->buf, "", 0, (size_t)size);
		h->buf.len = (size_t)size;
		if (h->buf.p)
			h->buf.p[size] = '\0';
		h->dirty = 1;
		h->fed = (size_t)-1;
	}
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int handle_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	if (h->node.type == T_SCRATCH)
		return 0;
	pthread_mutex_lock(&h->mu);
	char why[600] = "";
	if (h->writing && h->dirty && !h->done &&
	    (is_writer(h, pid) || judge(h, 0, why, sizeof(why)) != V_INCOMPLETE)) {
		if (judge(h, 1, why, sizeof(why)) == V_INVALID)
			fail(fs, h, EINVAL, why);
		else
			commit(fs, h);
	}
	int rc = h->done ? h->rc : 0;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

off_t handle_size(struct handle *h)
{
	pthread_mutex_lock(&h->mu);
	off_t s = h->dirty && !h->done ? (off_t)h->buf.len : -1;
	pthread_mutex_unlock(&h->mu);
	return s;
}

static void release(struct casfs *fs, struct handle *h, int final)
{
	if (!h)
		return;
	/* An emptied file that nobody wrote is the empty document. It cannot be
	 * committed at flush: bash closes the descriptor it redirects (a FLUSH)
	 * before the command writes. So it is committed here, at the last
	 * close: its failure (an empty tag set, an empty config) is recorded in
	 * .cas/errors and the log, though close(2) has already returned. */
	if (final && h->emptied && !h->dirty && !h->done)
		commit(fs, h);
	untrack(h);
	if (h->buf.p)
		explicit_bzero(h->buf.p, h->buf.cap); /* cloud-access/new carries a SecretKey */
	cas_buf_free(&h->buf);
	if (h->tok)
		json_tokener_free(h->tok);
	cas_obj_unref(h->snap);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void handle_release(struct casfs *fs, struct handle *h)
{
	release(fs, h, 1);
}

void handle_release_all(struct casfs *fs)
{
	for (;;) {
		pthread_mutex_lock(&open_mu);
		struct handle *h = open_list;
		pthread_mutex_unlock(&open_mu);
		if (!h)
			break;
		release(fs, h, 0); /* unmounting: nothing is committed any more */
	}
}
