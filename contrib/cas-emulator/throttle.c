/* throttle: per-credential token buckets on the monotonic clock (see throttle.h). */
#include "throttle.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"

struct bucket {
	double tokens;
	double last;   /* seconds, CLOCK_MONOTONIC */
};

struct emu_throttle {
	pthread_mutex_t mu;
	double rate;
	size_t n;
	struct bucket *b;
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct emu_throttle *emu_throttle_new(long qps, size_t ncreds)
{
	struct emu_throttle *t = cas_xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->rate = qps > 0 ? (double)qps : 0;
	t->n = ncreds;
	t->b = cas_xcalloc(ncreds ? ncreds : 1, sizeof(*t->b));
	double now = mono_now();
	for (size_t i = 0; i < ncreds; i++) {
		t->b[i].tokens = t->rate;
		t->b[i].last = now;
	}
	return t;
}

void emu_throttle_free(struct emu_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->b);
	free(t);
}

long emu_throttle_take(struct emu_throttle *t, int cred)
{
	if (!t || t->rate <= 0 || cred < 0 || (size_t)cred >= t->n)
		return 0;
	long wait = 0;
	pthread_mutex_lock(&t->mu);
	struct bucket *b = &t->b[cred];
	double now = mono_now();
	b->tokens += (now - b->last) * t->rate;
	if (b->tokens > t->rate)
		b->tokens = t->rate;
	b->last = now;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
	} else {
		wait = (long)ceil((1.0 - b->tokens) / t->rate * 1000.0);
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&t->mu);
	return wait;
}
