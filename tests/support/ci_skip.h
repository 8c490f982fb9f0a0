/* ci_skip: a cmocka skip that fails under CI. contrib/test.sh sets
 * CASFS_CI=1, so a check that cannot run there (a tool missing) fails the
 * suite instead of passing silently; run by hand, it skips. */
#ifndef CASFS_CI_SKIP_H
#define CASFS_CI_SKIP_H

#include <stdlib.h>

#define ci_skip(reason)                                                              \
	do {                                                                         \
		if (getenv("CASFS_CI") && *getenv("CASFS_CI") && *getenv("CASFS_CI") != '0') \
			fail_msg("skipped under CI (CASFS_CI set): %s", reason);     \
		print_message("skipped: %s\n", reason);                              \
		skip();                                                              \
	} while (0)

#endif
