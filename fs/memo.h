/* memo: two per-file memories keyed by inode number. The render memo keeps
 * a file rendered from a cached source object (config, tags and csr are
 * derived from the cached detail) until that source changes. The written
 * memo keeps the bytes a writer committed, which reads return for as long
 * as they still mean the same as the remote state (so Ansible/Puppet
 * checksum comparisons stay idempotent). */
#ifndef CASFS_MEMO_H
#define CASFS_MEMO_H

#include <stddef.h>
#include <stdint.h>

#include "casfs.h"

struct memo *memo_new(void);
void memo_free(struct memo *m);
/* The render of ino made from source `src`, or NULL (a new reference). */
struct snap *memo_get(struct memo *m, uint64_t ino, const void *src);
/* Remembers s as the render of ino from src (references both). */
void memo_put(struct memo *m, uint64_t ino, void *src, struct snap *s);
void memo_set_written(struct memo *m, uint64_t ino, const char *data, size_t len);
struct snap *memo_written(struct memo *m, uint64_t ino);
void memo_clear_written(struct memo *m, uint64_t ino);
/* Forgets every written memo (.cas/refresh): files show the canonical state. */
void memo_clear_all_written(struct memo *m);
void memo_clear_renders(struct memo *m);

#endif
