/* scratch: files that are not API nodes, created inside instance directories
 * by editors and atomic-save tools (sed -i's sedXXXXXX, vim's 4913 probe and
 * swap files, Python tempfiles, rsync's .name.XXXXXX), and empty scratch
 * directories (the lock directory Ruby's tempfile, and so Puppet, makes
 * beside its target). They live in memory, bounded in size and count (files
 * and directories together), and never reach the API unless a file is
 * renamed onto a writable node. Lock: one mutex over the whole table. */
#ifndef CASFS_SCRATCH_H
#define CASFS_SCRATCH_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"

#define SCRATCH_MAX_FILES 64
#define SCRATCH_MAX_BYTES (1u << 20)

struct namelist;
struct scratch;

struct scratch *scratch_new(void);
void scratch_free(struct scratch *s);
enum scratch_kind { SCRATCH_NONE, SCRATCH_FILE, SCRATCH_DIR };

enum scratch_kind scratch_kind(struct scratch *s, const char *id, const char *name);
/* The names of one kind of entry only (SCRATCH_NONE: every entry). */
void scratch_names_of(struct scratch *s, const char *id, enum scratch_kind kind, struct namelist *out);
/* Names and contents a scratch file never has (pure rules; the callers
 * record the refusal). A name ending .pem, .key or .crt is what a copied
 * certificate or key is called: kept here it would look uploaded while it
 * lives only in this mount's memory. NULL when the name is fine, else why
 * not, with the hint. */
const char *scratch_name_refusal(const char *name);
/* Do the bytes hold a PEM private key ("-----BEGIN ... PRIVATE KEY-----")? */
int scratch_holds_key(const char *data, size_t len);

/* 0, -EEXIST, or -ENOSPC when the mount already holds SCRATCH_MAX_FILES. */
int scratch_create(struct scratch *s, const char *id, const char *name, mode_t mode, uid_t uid, gid_t gid);
/* An empty scratch directory (it holds no entries); same errors as create. */
int scratch_mkdir(struct scratch *s, const char *id, const char *name, mode_t mode, uid_t uid, gid_t gid);
ssize_t scratch_read(struct scratch *s, const char *id, const char *name, char *buf, size_t size, off_t off);
/* -EFBIG beyond SCRATCH_MAX_BYTES. -EPERM when the file would then hold a
 * private key (scratch_holds_key, also split across writes): its contents
 * are wiped and every later write to it is -EPERM, until it is removed. */
ssize_t scratch_write(struct scratch *s, const char *id, const char *name, const char *buf, size_t size, off_t off);
int scratch_truncate(struct scratch *s, const char *id, const char *name, off_t size);
int scratch_stat(struct scratch *s, const char *id, const char *name, struct stat *st);
int scratch_chmod(struct scratch *s, const char *id, const char *name, mode_t mode);
int scratch_chown(struct scratch *s, const char *id, const char *name, uid_t uid, gid_t gid);
int scratch_utimens(struct scratch *s, const char *id, const char *name, const struct timespec tv[2]);
int scratch_remove(struct scratch *s, const char *id, const char *name);
/* Renames within one instance directory (replacing an existing target of
 * the same kind; -EISDIR / -ENOTDIR across kinds). */
int scratch_rename(struct scratch *s, const char *id, const char *from, const char *to);
/* Copies the contents into out. */
int scratch_contents(struct scratch *s, const char *id, const char *name, struct cas_buf *out);
/* Creates or replaces a scratch file with the given contents; -EPERM (and
 * nothing changes) when they hold a private key. */
int scratch_put(struct scratch *s, const char *id, const char *name, const char *data, size_t len, mode_t mode,
		uid_t uid, gid_t gid);
void scratch_drop_instance(struct scratch *s, const char *id);
size_t scratch_count(struct scratch *s);

#endif
