/* meter: a count of events per second over the last 10 s, from a ring of
 * one-second buckets (the call rate in .cas/stats and the progress lines).
 * Thread-safe; times are CLOCK_MONOTONIC nanoseconds (cas_now_ns). */
#ifndef CAS_METER_H
#define CAS_METER_H

#include <pthread.h>
#include <stdint.h>

#define CAS_METER_SECONDS 10

struct cas_meter {
	pthread_mutex_t mu;              /* guards sec and n */
	int64_t sec[CAS_METER_SECONDS];  /* which second a bucket counts */
	uint64_t n[CAS_METER_SECONDS];
};

void cas_meter_init(struct cas_meter *m);
void cas_meter_destroy(struct cas_meter *m);
void cas_meter_add(struct cas_meter *m, int64_t now_ns, uint64_t n);
/* events per second over the 10 s up to now_ns */
double cas_meter_rate(struct cas_meter *m, int64_t now_ns);

#endif
