/* clock: wall and monotonic time (see clock.h). */
#include "clock.h"

#include <errno.h>

static int64_t ms_of(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cas_wall_ms(void)
{
	return ms_of(CLOCK_REALTIME);
}

int64_t cas_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

int64_t cas_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void cas_sleep_ns(int64_t ns)
{
	if (ns <= 0)
		return;
	struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void cas_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

struct timespec cas_mono_after_ms(int64_t ms)
{
	int64_t t = cas_now_ns() + ms * 1000000;
	struct timespec dl = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };
	return dl;
}
