/* fake_fs: a struct casfs without FUSE or network, for tests of the fs/
 * layer (handles, commit rules, the node table): a real cache over the fake
 * api (fake_api.h), real stamps, scratch, memo and error log, and a
 * notifier that is never started (its queue is freed unsent). */
#ifndef FAKE_FS_H
#define FAKE_FS_H

#include "casfs.h"
#include "fake_api.h"

struct fake_fs {
	struct casfs fs;
	struct fake_api f;
	struct fake_clock clk;
};

struct fake_fs *fake_fs_new(int ninstances);
void fake_fs_free(struct fake_fs *v);

#endif
