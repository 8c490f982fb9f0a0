/* watch: -o watch=SECONDS, a thread that re-lists the account on that
 * period (through the cache, whose change hook feeds .cas/events and whose
 * list .cas/metrics.prom serves), so changes made elsewhere reach the feed
 * and the metrics while nobody reads. Each period costs ⌈N/100⌉
 * ListInstances calls and nothing else (every field an event shows is in
 * the list entries). Started after daemon_start (threads do not survive
 * the fork), stopped with the other workers. */
#ifndef CASFS_WATCH_H
#define CASFS_WATCH_H

#include "casfs.h"

/* NULL when fs->o.watch is 0 (nothing runs). */
struct watch *watch_start(struct casfs *fs);
/* Wakes and joins the thread (NULL-safe). */
void watch_stop(struct watch *w);

#endif
