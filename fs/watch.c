/* watch: the -o watch re-listing thread (see watch.h). */
#include "watch.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "deadline.h"
#include "events.h"
#include "log.h"

/* Lock rule: mu guards stop; cv wakes the thread to stop. */
struct watch {
	struct casfs *fs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	pthread_t th;
};

/* One period's listing: the cached list is marked expired and read again,
 * so the cache fetches it (⌈N/100⌉ calls) and its change hook runs; the
 * store's list as well when the cache holds one (⌈M/100⌉ calls). */
static void relist(struct casfs *fs)
{
	cas_op_begin((int64_t)(fs->o.timeout * 1000), -1, -1);
	cas_cache_invalidate(fs->cache, CAS_CK_INSTANCES, "");
	struct cas_instances *l = NULL;
	struct cas_error e;
	cas_error_clear(&e);
	if (fs->api->ops->list_instances(fs->api, NULL, &l, &e))
		cas_debug("watch: listing failed: %s", e.message);
	cas_obj_unref(l);
	/* the certificate store too, once the mount has shown it (a reader of
	 * certificates/ or a scrape): ⌈M/100⌉ ListCertificates more */
	struct cas_certs *was = cas_cache_peek(fs->cache, CAS_CK_STORE, "");
	if (was) {
		cas_obj_unref(was);
		cas_cache_invalidate(fs->cache, CAS_CK_STORE, "");
		struct cas_certs *sl = NULL;
		cas_error_clear(&e);
		if (fs->api->ops->list_store(fs->api, &sl, &e))
			cas_debug("watch: store listing failed: %s", e.message);
		cas_obj_unref(sl);
	}
	cas_op_end();
	events_poll(fs);
}

static void *run(void *arg)
{
	struct watch *w = arg;
	int64_t period_ns = (int64_t)(w->fs->o.watch * 1e9);
	struct timespec at;
	clock_gettime(CLOCK_MONOTONIC, &at);
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		int64_t t = (int64_t)at.tv_sec * 1000000000 + at.tv_nsec + period_ns;
		at.tv_sec = t / 1000000000;
		at.tv_nsec = t % 1000000000;
		while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &at) == 0)
			;
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		relist(w->fs);
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_MONOTONIC, &at); /* the next period counts from the end of this one */
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct watch *watch_start(struct casfs *fs)
{
	if (fs->o.watch <= 0)
		return NULL;
	struct watch *w = cas_xcalloc(1, sizeof(*w));
	w->fs = fs;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->th, NULL, run, w) != 0) {
		cas_warn("watch: cannot start the thread; -o watch is off");
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	cas_info("watch: re-listing the account every %g s", fs->o.watch);
	return w;
}

void watch_stop(struct watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
