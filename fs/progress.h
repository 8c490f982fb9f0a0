/* progress: one log line every 10 s while a long listing or a read-ahead
 * scan runs, with the counts, the rate and the time left, e.g.
 *   details 2,400/5,000, 100/s, ~26 s left
 *   listing pages 37/100, 12/s, ~6 s left
 * Work shorter than 10 s logs nothing. One thread, sampling once a second. */
#ifndef CASFS_PROGRESS_H
#define CASFS_PROGRESS_H

#include "casfs.h"

struct progress;
struct progress *progress_start(struct casfs *fs);
void progress_stop(struct progress *p);

#endif
