/* worker: background threads with a stop flag (see worker.h). */
#include "worker.h"

#include <stdlib.h>

#include "buf.h"
#include "clock.h"

void cas_worker_init(struct cas_worker *w)
{
	pthread_mutex_init(&w->mu, NULL);
	cas_cond_init_mono(&w->cv);
	w->stop = 0;
	w->n = 0;
	w->th = NULL;
}

int cas_worker_start(struct cas_worker *w, int n, void *(*fn)(void *), void *arg)
{
	int started = 0;
	if (n <= 0)
		return 0;
	w->th = cas_xrealloc(w->th, (size_t)(w->n + n) * sizeof(pthread_t));
	for (int i = 0; i < n; i++)
		if (pthread_create(&w->th[w->n], NULL, fn, arg) == 0) {
			w->n++;
			started++;
		}
	return started;
}

int cas_worker_nap(struct cas_worker *w, int64_t ms)
{
	struct timespec dl = cas_mono_after_ms(ms);
	pthread_mutex_lock(&w->mu);
	while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &dl) == 0)
		;
	int stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

void cas_worker_stop(struct cas_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	w->n = 0;
}

void cas_worker_destroy(struct cas_worker *w)
{
	cas_worker_stop(w);
	free(w->th);
	w->th = NULL;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}
