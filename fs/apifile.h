/* apifile: open files of API nodes. Reads see the snapshot taken at open.
 * Writes go to a per-handle buffer (wbuf.h); the commit rule, one state per
 * handle moved along a transition table (apifile.c, drawn in
 * docs/ARCHITECTURE.md), decides when it is sent (committed):
 *  - inside the write(2) that makes the buffer a complete, valid document by
 *    the row's complete rule, so even bash's builtin echo, which ignores
 *    close(2) errors, sees the error;
 *  - else at flush (close, fsync), the buffer judged as final, when the
 *    flushing process wrote through the handle: one that only inherited
 *    the descriptor (the sleep in `(printf ...; sleep 1; printf ...) >
 *    config`) does not commit a document that is still incomplete;
 *  - a handle opened without O_TRUNC or O_APPEND over content (an in-place
 *    edit: Python 'r+', rsync --inplace, dd conv=notrunc) only at flush: a
 *    truncate can still cut what it wrote;
 *  - a handle opened with O_TRUNC and never written at release, as the
 *    empty document (bash flushes the descriptor it redirects before the
 *    command writes). When that document is refused without a call (an
 *    empty tag set, an empty config), flush already returns EINVAL, so
 *    close(2) reports it; release records it.
 * Truncate never commits. Bytes that can never become valid fail their
 * write at once, and nothing is sent. Release (other than the emptied case)
 * and unmount never commit.
 * How often: a handle commits once, and never again after a failure.
 * A row flagged NF_EXTENDS (tags, which has no end marker) is the one
 * exception: its first write ending a line commits, text written after
 * that extends the same document, and the next flush commits the whole
 * again. So a tags handle commits at most twice up to its close, plus once
 * per fsync that follows more text; the end state is what was written. A
 * tags write whose every line is already in the file does not commit
 * inside write(2) (rewriting the current set line by line costs no call):
 * the flush commits it. These are the file operations of api_file_ops
 * (apinode.c). */
#ifndef CASFS_APIFILE_H
#define CASFS_APIFILE_H

#include <sys/types.h>

#include "handle.h"

#define APIFILE_MAX_BYTES (1u << 20)

struct handle *apifile_open(struct casfs *fs, const struct node *n, int flags, int *rc);
ssize_t apifile_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off);
ssize_t apifile_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid);
int apifile_truncate(struct casfs *fs, struct handle *h, off_t size);
/* Flush (close, fsync): commits pending bytes as above and returns the
 * handle's result (EINVAL for a refused empty document). */
int apifile_flush(struct casfs *fs, struct handle *h, pid_t pid);
/* Size a stat through this handle should report (pending bytes), or -1. */
off_t apifile_pending_size(struct handle *h);
/* A read-only handle's snapshot: its size, hash and mtime (1), or 0 (a
 * writer's handle: a stat through it shows the file's current content). A
 * stat the kernel sends through an open file (before a read past the size
 * it holds) must see the bytes that handle reads. */
int apifile_snapshot_attrs(struct handle *h, size_t *len, uint64_t *hash, struct timespec *mtime);
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
