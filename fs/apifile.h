/* apifile: open files of API nodes. Reads see the snapshot taken at open.
 * Writes go to a per-handle buffer (wbuf.h) that is committed exactly once:
 * inside the write(2) that makes it a complete, valid document by the
 * row's complete rule (so even bash's builtin echo, which ignores close(2)
 * errors, sees the error), or else at flush (close). A buffer that can
 * never become valid fails the write at once. A row flagged NF_EXTENDS
 * (tags: no end marker) commits at the first write ending a line, and bytes
 * written after that extend the document, which close commits again as a
 * whole. A handle opened without O_TRUNC or O_APPEND edits the current
 * bytes in place (Python 'r+', rsync --inplace, dd conv=notrunc): a
 * truncate can still cut what it wrote, so it commits only at flush (close,
 * fsync), the buffer judged as a whole then. Truncate never commits;
 * release commits only a file emptied (O_TRUNC) that nobody wrote, as the
 * empty document; when that document is refused without a call (an empty
 * tag set, an empty config), flush already returns EINVAL, so close(2)
 * reports it. These are the file operations of api_file_ops (apinode.c). */
#ifndef CASFS_APIFILE_H
#define CASFS_APIFILE_H

#include <sys/types.h>

#include "handle.h"

#define APIFILE_MAX_BYTES (1u << 20)

struct handle *apifile_open(struct casfs *fs, const struct node *n, int flags, int *rc);
ssize_t apifile_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off);
ssize_t apifile_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid);
int apifile_truncate(struct casfs *fs, struct handle *h, off_t size);
/* Commits pending bytes (flush, fsync) and returns the handle's commit
 * result. A process that inherited the descriptor but never wrote (sleep in
 * `(printf ...; sleep 1; printf ...) > config`) does not commit a document
 * that is still incomplete: the writer's own close will. */
int apifile_flush(struct casfs *fs, struct handle *h, pid_t pid);
/* Size a stat through this handle should report (pending bytes), or -1. */
off_t apifile_pending_size(struct handle *h);
/* final: the kernel's RELEASE; 0 at unmount (nothing is committed then). */
void apifile_release(struct casfs *fs, struct handle *h, int final);

/* commit.c: would the empty document (a file opened with O_TRUNC and never
 * written) be refused without a call? Decided from cur, the content the
 * open rendered: 1 with why (EINVAL), 0 when only the commit can tell.
 * Pure. */
int commit_empty_refused(const struct node *n, const char *cur, size_t cur_len, char *why, size_t whylen);

/* Commits `data` (the caller's) to node n as one document, records a
 * failure, and updates the written-bytes memo and the kernel's caches. */
int commit_document(struct casfs *fs, const struct node *n, const char *data, size_t len);

#endif
