/* lineage: the lineage of a stored certificate's Name (docs/SEMANTICS.md
 * "The certificate store"): the Name up to its first '~', or empty when
 * that is not a safe directory name (empty, unsafe, starting with '.', or
 * one of certificates/' own names). A module of its own so that the
 * change feed (events.c) and the store (store.h) share it without
 * including each other. */
#ifndef CASFS_LINEAGE_H
#define CASFS_LINEAGE_H

#include <stddef.h>

/* The lineage of a Name into buf (empty when unsafe). */
void store_lineage(const char *name, char *buf, size_t n);

#endif
