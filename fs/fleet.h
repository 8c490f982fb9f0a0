/* fleet: -o share= for one mount (cache/share.h does the Redis work): the
 * password from a 0600 file or the environment (never the command line),
 * the share's hooks into the client, the cache and the accounting, and what
 * a change another mount published does here (the cache entry dropped, the
 * kernel's pages invalidated). */
#ifndef CASFS_FLEET_H
#define CASFS_FLEET_H

#include "casfs.h"

/* Builds fs->share from the options (NULL without -o share=) and hooks it
 * in; nothing connects yet. 0, or 1 with a message printed (the mount fails). */
int fleet_open(struct casfs *fs, const char *account);
/* After the fork: connects and starts the subscriber. */
void fleet_start(struct casfs *fs);
/* Stops the subscriber (before the cache and the notifier go). */
void fleet_stop(struct casfs *fs);

#endif
