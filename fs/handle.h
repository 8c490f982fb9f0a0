/* handle: one open file. Reads see the snapshot taken at open. Writes go to
 * a per-handle buffer that is committed exactly once: inside the write(2)
 * that makes it a complete, valid document (so even bash's builtin echo,
 * which ignores close(2) errors, sees the error), or else at flush (close).
 * A buffer that can never become valid fails the write at once. Tags have
 * no end marker: the first write ending a line commits, and bytes written
 * after that extend the document, which close commits again as a whole
 * (see rule_extends in handle.c). Truncate never commits; release
 * commits only a file emptied (O_TRUNC) that nobody wrote, as the empty
 * document (see release() in handle.c). */
#ifndef CASFS_HANDLE_H
#define CASFS_HANDLE_H

#include <sys/types.h>

#include "nodes.h"

#define HANDLE_MAX_BYTES (1u << 20)

struct handle;

/* flags: the open(2) flags. Returns NULL with *rc set on failure. */
struct handle *handle_open(struct casfs *fs, const struct node *n, int flags, int *rc);
const struct node *handle_node(const struct handle *h);
int handle_keep_cache(const struct handle *h);
ssize_t handle_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off);
/* pid: the writing process (from the FUSE request). */
ssize_t handle_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid);
int handle_truncate(struct casfs *fs, struct handle *h, off_t size);
/* Commits pending bytes (flush, fsync) and returns the handle's commit
 * result. A process that inherited the descriptor but never wrote (sleep in
 * `(printf ...; sleep 1; printf ...) > config`) does not commit a document
 * that is still incomplete: the writer's own close will. */
int handle_flush(struct casfs *fs, struct handle *h, pid_t pid);
/* Size a stat through this handle should report, or -1 for the node's. */
off_t handle_size(struct handle *h);
void handle_release(struct casfs *fs, struct handle *h);
/* At unmount: frees the handles whose RELEASE never arrived (the kernel
 * sends it asynchronously, so a stop right after a close can beat it). */
void handle_release_all(struct casfs *fs);

/* Commits `data` to node n as one document (rename of a scratch file). */
int commit_document(struct casfs *fs, const struct node *n, const char *data, size_t len);

#endif
