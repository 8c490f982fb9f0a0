/* ratelimit: token bucket (see ratelimit.h). */
#include "ratelimit.h"

static void refill(struct cas_bucket *b, int64_t now_ns);

#include <errno.h>
#include <time.h>

void cas_bucket_init(struct cas_bucket *b, double rate, double burst, int64_t now_ns)
{
	pthread_mutex_init(&b->mu, NULL);
	b->rate = b->max_rate = rate > 0 ? rate : 1;
	b->burst = burst >= 1 ? burst : 1;
	b->tokens = b->burst;
	b->last_ns = now_ns;
	b->waits = 0;
}

void cas_bucket_destroy(struct cas_bucket *b)
{
	pthread_mutex_destroy(&b->mu);
}

int64_t cas_bucket_reserve(struct cas_bucket *b, int64_t now_ns)
{
	pthread_mutex_lock(&b->mu);
	refill(b, now_ns);
	b->tokens -= 1;
	int64_t wait = b->tokens >= 0 ? 0 : (int64_t)(-b->tokens * 1e9 / b->rate);
	if (wait)
		b->waits++;
	pthread_mutex_unlock(&b->mu);
	return wait;
}

static void refill(struct cas_bucket *b, int64_t now_ns)
{
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * b->rate / 1e9;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ns = now_ns;
	}
}

void cas_bucket_throttled(struct cas_bucket *b, int64_t now_ns, int64_t pause_ns)
{
	pthread_mutex_lock(&b->mu);
	refill(b, now_ns);
	b->rate = b->rate / 2 > 1 ? b->rate / 2 : 1;
	double debt = -(double)pause_ns * b->rate / 1e9;
	if (b->tokens > debt)
		b->tokens = debt;
	pthread_mutex_unlock(&b->mu);
}

void cas_bucket_success(struct cas_bucket *b)
{
	pthread_mutex_lock(&b->mu);
	if (b->rate < b->max_rate) {
		b->rate += b->rate / 20 > 1 ? b->rate / 20 : 1; /* +5%: back to full speed within seconds */
		if (b->rate > b->max_rate)
			b->rate = b->max_rate;
	}
	pthread_mutex_unlock(&b->mu);
}

void cas_bucket_cancel(struct cas_bucket *b)
{
	pthread_mutex_lock(&b->mu);
	b->tokens += 1;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	pthread_mutex_unlock(&b->mu);
}

int cas_bucket_take(struct cas_bucket *b, int64_t deadline_ns)
{
	int64_t now = cas_now_ns();
	int64_t wait = cas_bucket_reserve(b, now);
	if (deadline_ns && now + wait > deadline_ns) {
		cas_bucket_cancel(b);
		return -ETIMEDOUT;
	}
	cas_sleep_ns(wait);
	return 0;
}
