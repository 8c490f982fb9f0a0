/* scratch_test: what only the tests ask of the scratch store (casfs asks
 * scratch_kind and scratch_names_of). Included by tests only. */
#ifndef CASFS_SCRATCH_TEST_H
#define CASFS_SCRATCH_TEST_H

#include <stddef.h>

#include "scratch.h"

int scratch_exists(struct scratch *s, const char *id, const char *name);
/* Entries (files and directories) held for one instance directory. */
size_t scratch_count_in(struct scratch *s, const char *id);
/* Every entry's name (scratch_names_of with SCRATCH_NONE). */
void scratch_names(struct scratch *s, const char *id, struct namelist *out);

#endif
