/* handle: one open file, whatever its kind: a copy of the node it opened,
 * the kernel cache flags the kind chose, and the kind's own per-open state.
 * Every handle of a mount is on fs->handles (under fs->handles_mu), so that
 * unmount can free those whose RELEASE never arrived. */
#ifndef CASFS_HANDLE_H
#define CASFS_HANDLE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "nodes.h"

struct handle {
	struct handle *prev, *next; /* fs->handles, under fs->handles_mu */
	struct node node;           /* immutable after handle_new */
	int direct_io, keep_cache;  /* set by the kind's open, read by the FUSE layer */
	void *priv;                 /* the kind's per-open state, freed by its release */
};

/* A handle of n (a copy), on the mount's list. */
struct handle *handle_new(struct casfs *fs, const struct node *n);
/* The kind's operations on an open file, for callers that hold a node or a
 * handle (the FUSE layer, tests): each dispatches to node_kind()->ops. */
/* Opens n: NULL with *rc (-EISDIR for a kind that cannot be opened). */
struct handle *handle_open(struct casfs *fs, const struct node *n, int flags, int *rc);
ssize_t handle_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off);
ssize_t handle_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid);
int handle_truncate(struct casfs *fs, struct handle *h, off_t size);
int handle_flush(struct casfs *fs, struct handle *h, pid_t pid);
/* Takes h off the list and frees it (the kind freed priv). */
void handle_free(struct casfs *fs, struct handle *h);
/* Releases h through its kind (NULL-safe). */
void handle_release(struct casfs *fs, struct handle *h);
/* At unmount: releases the handles whose RELEASE never arrived (the kernel
 * sends it asynchronously, so a stop right after a close can beat it). */
void handle_release_all(struct casfs *fs);

#endif
