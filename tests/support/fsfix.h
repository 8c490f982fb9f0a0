/* fsfix: a struct casfs for the fs/ unit tests, over the fake API (reads
 * and writes go straight to it, no cache), with the mount's scratch store,
 * memos, error log, stamps and per-mount state, and a notifier that is never
 * started (invalidations are dropped). */
#ifndef FSFIX_H
#define FSFIX_H

#include "casfs.h"
#include "fake_api.h"
#include "nodes.h"

struct fsfix {
	struct fake_api f;
	struct casfs fs;
};

void fsfix_init(struct fsfix *x);
void fsfix_free(struct fsfix *x);
/* cmocka setup/teardown for cmocka_unit_test_prestate_setup_teardown(test,
 * fsfix_setup, fsfix_teardown, &a_struct_fsfix). */
int fsfix_setup(void **state);
int fsfix_teardown(void **state);
/* node_resolve on the fixture's mount. */
int fsfix_resolve(struct fsfix *x, const char *path, struct node *n);
/* Failures recorded in the mount's error log so far. */
unsigned long fsfix_errors(struct fsfix *x);

#endif
