/* meter: events per second over the last 10 s (see meter.h). */
#include "meter.h"

#include <string.h>

void cas_meter_init(struct cas_meter *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < CAS_METER_SECONDS; i++)
		m->sec[i] = -1;
	pthread_mutex_init(&m->mu, NULL);
}

void cas_meter_destroy(struct cas_meter *m)
{
	pthread_mutex_destroy(&m->mu);
}

void cas_meter_add(struct cas_meter *m, int64_t now_ns, uint64_t n)
{
	int64_t s = now_ns / 1000000000;
	int i = (int)(s % CAS_METER_SECONDS);
	pthread_mutex_lock(&m->mu);
	if (m->sec[i] != s) {
		m->sec[i] = s;
		m->n[i] = 0;
	}
	m->n[i] += n;
	pthread_mutex_unlock(&m->mu);
}

double cas_meter_rate(struct cas_meter *m, int64_t now_ns)
{
	int64_t s = now_ns / 1000000000;
	uint64_t sum = 0;
	pthread_mutex_lock(&m->mu);
	for (int i = 0; i < CAS_METER_SECONDS; i++)
		if (m->sec[i] > s - CAS_METER_SECONDS && m->sec[i] <= s)
			sum += m->n[i];
	pthread_mutex_unlock(&m->mu);
	return (double)sum / CAS_METER_SECONDS;
}
