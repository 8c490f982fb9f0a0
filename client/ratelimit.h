/* ratelimit: a token bucket shared by all threads (docs/PROTOCOL.md §6: 100 QPS for the
 * account, 10 QPS for GetCAInstanceStatus). Callers reserve a token and sleep
 * until it is theirs, so waiting threads are served in arrival order. */
#ifndef CAS_RATELIMIT_H
#define CAS_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "clock.h" /* cas_now_ns(), cas_sleep_ns(), cas_cond_init_mono(): the clocks the bucket runs on */

struct cas_bucket {
	pthread_mutex_t mu;
	double rate;     /* tokens per second now */
	double max_rate; /* the configured rate */
	double burst;    /* capacity */
	double tokens;   /* may go negative: reserved debt */
	int64_t last_ns;
	uint64_t waits;  /* reservations that had to wait */
};

void cas_bucket_init(struct cas_bucket *b, double rate, double burst, int64_t now_ns);
void cas_bucket_destroy(struct cas_bucket *b);
/* Reserves one token at time now_ns; returns the wait in ns before it may be used. */
int64_t cas_bucket_reserve(struct cas_bucket *b, int64_t now_ns);
/* The service throttled us: halve the rate and let nobody have a token for
 * pause_ns, so retries and new calls queue fairly instead of racing. */
void cas_bucket_throttled(struct cas_bucket *b, int64_t now_ns, int64_t pause_ns);
/* A call went through: recover the rate towards the configured one. */
void cas_bucket_success(struct cas_bucket *b);
/* Gives back a reserved token that will not be used. */
void cas_bucket_cancel(struct cas_bucket *b);
/* Reserve and sleep. Returns 0, or -ETIMEDOUT (nothing consumed) when the
 * token would arrive after deadline_ns (CLOCK_MONOTONIC). */
int cas_bucket_take(struct cas_bucket *b, int64_t deadline_ns);


#endif
