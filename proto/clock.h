/* clock: the process's two clocks in one place. Wall time (CLOCK_REALTIME)
 * for what is shown or stored (stamps, journal, log lines, the service's
 * Date); monotonic time (CLOCK_MONOTONIC) for every interval, timeout and
 * deadline, and condition variables whose timed waits follow it. */
#ifndef CAS_CLOCK_H
#define CAS_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t cas_wall_ms(void);      /* CLOCK_REALTIME, epoch ms */
int64_t cas_mono_ms(void);      /* CLOCK_MONOTONIC, ms */
int64_t cas_now_ns(void);       /* CLOCK_MONOTONIC, ns */
void cas_sleep_ns(int64_t ns);  /* whole, across EINTR; <= 0: no sleep */
/* A condition variable whose timed waits use CLOCK_MONOTONIC, and the
 * absolute deadline ms from now for such a wait. */
void cas_cond_init_mono(pthread_cond_t *cv);
struct timespec cas_mono_after_ms(int64_t ms);

#endif
