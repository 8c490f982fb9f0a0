/* worker: background threads that stop on request. Start n threads, nap
 * between rounds, and stop them: set the flag, wake them, join. Used by the
 * prefetch workers, the offline snapshot's retry thread and the progress
 * lines (fs/progress.c).
 *
 * Lock rule: mu guards stop, and whatever its owner also puts under it (the
 * prefetch queue); cv wakes the threads, for stop or the owner's own news.
 * cv's timed waits use CLOCK_MONOTONIC. */
#ifndef CAS_WORKER_H
#define CAS_WORKER_H

#include <pthread.h>
#include <stdint.h>

struct cas_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;          /* under mu: the threads return when they see it */
	int n;             /* threads started (only the owner's thread changes it) */
	pthread_t *th;
};

void cas_worker_init(struct cas_worker *w);
/* Starts n more threads running fn(arg); returns how many started (thread
 * creation can fail: the caller decides whether fewer will do). */
int cas_worker_start(struct cas_worker *w, int n, void *(*fn)(void *), void *arg);
/* Sleeps ms (monotonic) unless stop is set or set meanwhile; returns stop.
 * Called without mu. */
int cas_worker_nap(struct cas_worker *w, int64_t ms);
/* Sets stop, wakes every thread and joins them. Again: nothing to do. */
void cas_worker_stop(struct cas_worker *w);
/* cas_worker_stop, then frees what init and start took. */
void cas_worker_destroy(struct cas_worker *w);

#endif
