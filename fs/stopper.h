/* stopper: SIGINT and SIGTERM stop a mount in order. libfuse's own handler
 * ends the FUSE loop at once; a kernel invalidation the notifier is sending
 * may then wait forever for a request nobody serves any more (an entry
 * invalidation takes the directory's lock that a pending LOOKUP holds). So
 * the signal only wakes this module's thread, which stops the notifier while
 * the loop still serves, then ends the loop. */
#ifndef CASFS_STOPPER_H
#define CASFS_STOPPER_H

struct fuse_session;
struct notifier;
struct stopper;

/* After fuse_set_signal_handlers (its SIGINT and SIGTERM are replaced), in
 * the thread that runs the loop. NULL if no thread could be made (libfuse's
 * handlers then stay). */
struct stopper *stopper_start(struct fuse_session *se, struct notifier *n);
/* Has a SIGINT or SIGTERM asked for a stop (one that waited, blocked,
 * before stopper_start is delivered when the caller unblocks it)? */
int stopper_requested(void);
/* After the loop returned, whatever ended it: joins the thread and gives
 * SIGINT and SIGTERM back to libfuse's handling (NULL-safe). */
void stopper_stop(struct stopper *s);

#endif
