/* render: produces the content of any node as a snapshot. render_node()
 * wraps the rows' renderers with the written-bytes rule (docs/SEMANTICS.md:
 * after a write, a file reads back the bytes written while its row's same
 * test says they mean the same as the service's state) and the prefetch
 * hint for detail-backed files. *out: a new reference, NULL on failure. */
#ifndef CASFS_RENDER_H
#define CASFS_RENDER_H

#include "nodes.h"

int render_node(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
/* Normalised "k=v" lines of a tags file, sorted: for comparisons. */
char *tags_normalize(const char *data, size_t len);

#endif
