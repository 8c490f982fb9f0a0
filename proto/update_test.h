/* update_test: what only the tests use of update.c (a copy, a count of the
 * fields set); casfs itself never needs them. Included by tests only. */
#ifndef CAS_UPDATE_TEST_H
#define CAS_UPDATE_TEST_H

#include "update.h"

/* The number of fields u sets. */
int cas_update_count(const struct cas_update *u);
/* A deep copy of src into dst. */
void cas_update_copy(struct cas_update *dst, const struct cas_update *src);

#endif
