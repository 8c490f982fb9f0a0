/* fsfix: a struct casfs for the fs/ tests and fuzz harnesses, without FUSE
 * or network: the mount's scratch store, memos, error log, stamps and
 * per-mount state, and a notifier that is never started (invalidations are
 * dropped). Two fronts for the fake API: fsfix_init puts it behind the
 * mount directly (every read is a call, so tests can count them);
 * fake_fs_new puts a real cache over it (fake clock) and a prefetcher, as a
 * mount has. */
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

/* The cached mount. */
struct fake_fs {
	struct casfs fs;
	struct fake_api f;
	struct fake_clock clk;
};

struct fake_fs *fake_fs_new(int ninstances);
void fake_fs_free(struct fake_fs *v);

#endif
