/* ilock: per-instance writer locks. Writers of one instance (UpdateInstance
 * after reading the detail, DeleteInstance) are serialised by a mutex that
 * exists only while someone holds or waits for it, found by instance id in
 * a small refcounted table; unrelated instances never share a lock, so one
 * instance's slow call never delays another's. */
#ifndef CASFS_ILOCK_H
#define CASFS_ILOCK_H

struct ilocks;
struct ilock;

struct ilocks *ilocks_new(void);
/* Every lock must have been released. NULL-safe. */
void ilocks_free(struct ilocks *t);
/* Blocks until the caller holds id's lock; the result is for ilock_release. */
struct ilock *ilock_acquire(struct ilocks *t, const char *id);
void ilock_release(struct ilocks *t, struct ilock *l);

#endif
