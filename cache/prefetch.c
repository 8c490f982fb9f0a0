/* prefetch: sequential-scan detector and read-ahead workers (see prefetch.h). */
#include "prefetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "worker.h"

/* How one kind is keyed and fetched. */
struct pf_kind {
	/* the cache key of list entry `it` in buf, or NULL: nothing to read ahead */
	const char *(*key_of)(const struct cas_instance *it, char buf[24]);
	void (*fetch)(struct cas_api *api, const char *key);
};

static const char *detail_key(const struct cas_instance *it, char buf[24])
{
	(void)buf;
	return it->id;
}

static void detail_fetch(struct cas_api *api, const char *key)
{
	struct cas_doc *d = NULL;
	struct cas_error e;
	api->ops->get_instance_detail(api, key, &d, &e);
	cas_obj_unref(d);
}

static const char *cert_key(const struct cas_instance *it, char buf[24])
{
	if (it->cert_id <= 0)
		return NULL;
	snprintf(buf, 24, "%lld", (long long)it->cert_id);
	return buf;
}

static void cert_fetch(struct cas_api *api, const char *key)
{
	struct cas_cert *c = NULL;
	struct cas_error e;
	api->ops->get_user_certificate_detail(api, key, &c, &e);
	cas_obj_unref(c);
}

static const struct pf_kind kinds[CAS_CK_N] = {
	[CAS_CK_DETAIL] = { detail_key, detail_fetch },
	[CAS_CK_CERT] = { cert_key, cert_fetch },
};

struct cas_prefetch {
	struct cas_cache *cache;
	enum cas_ck kind;
	const struct pf_kind *k;
	int window;
	struct cas_worker w;  /* the workers; w.mu guards everything below, w.cv wakes them for the queue */
	/* scan state */
	struct cas_instances *list; /* the list the indexes refer to (referenced) */
	long last;            /* index of the last hinted instance, -1 = none */
	long queued_until;    /* highest index already queued */
	/* queue of ids */
	char **q;
	int qhead, qlen;
	uint64_t issued;
	/* progress */
	uint64_t queued, dequeued_done;
	int busy;             /* workers fetching now */
	int64_t last_hint_ns;
};

static void *worker(void *arg)
{
	struct cas_prefetch *pf = arg;
	struct cas_api *api = cas_cache_api(pf->cache);
	pthread_mutex_lock(&pf->w.mu);
	for (;;) {
		while (!pf->w.stop && pf->qlen == 0)
			pthread_cond_wait(&pf->w.cv, &pf->w.mu);
		if (pf->w.stop)
			break;
		char *id = pf->q[pf->qhead];
		pf->qhead = (pf->qhead + 1) % pf->window;
		pf->qlen--;
		pf->busy++;
		pthread_mutex_unlock(&pf->w.mu);
		int fetched = 0;
		if (!cas_cache_fresh(pf->cache, pf->kind, id)) {
			pf->k->fetch(api, id);
			fetched = 1;
		}
		free(id);
		pthread_mutex_lock(&pf->w.mu);
		pf->issued += fetched;
		pf->dequeued_done++;
		pf->busy--;
	}
	pthread_mutex_unlock(&pf->w.mu);
	return NULL;
}

struct cas_prefetch *cas_prefetch_new(struct cas_cache *cache, enum cas_ck kind, int window, int workers)
{
	struct cas_prefetch *pf = cas_xcalloc(1, sizeof(*pf));
	pf->cache = cache;
	pf->kind = kinds[kind].fetch ? kind : CAS_CK_DETAIL;
	pf->k = &kinds[pf->kind];
	pf->window = window > 0 ? window : 16;
	pf->last = -1;
	pf->queued_until = -1;
	pf->q = cas_xcalloc((size_t)pf->window, sizeof(char *));
	cas_worker_init(&pf->w);
	cas_worker_start(&pf->w, workers > 0 ? workers : 1, worker, pf);
	return pf;
}

void cas_prefetch_free(struct cas_prefetch *pf)
{
	if (!pf)
		return;
	cas_worker_stop(&pf->w);
	for (int i = 0; i < pf->qlen; i++)
		free(pf->q[(pf->qhead + i) % pf->window]);
	free(pf->q);
	cas_obj_unref(pf->list);
	cas_worker_destroy(&pf->w);
	free(pf);
}

void cas_prefetch_hint(struct cas_prefetch *pf, const struct cas_instances *l, const char *id)
{
	if (!pf)
		return; /* read-ahead is off (ttl=0: nothing fetched ahead could be fresh) */
	const struct cas_instance *it = cas_instances_find(l, id);
	if (!it)
		return;
	long idx = (long)(it - l->v);
	int64_t now = cas_now_ns();
	pthread_mutex_lock(&pf->w.mu);
	pf->last_hint_ns = now;
	if (pf->list != l) {
		cas_obj_unref(pf->list);
		pf->list = cas_obj_ref((void *)l);
		pf->last = -1;
		pf->queued_until = -1;
	}
	int sequential = pf->last >= 0 && (idx == pf->last + 1 || (idx == pf->last && pf->queued_until > idx));
	long from = pf->queued_until >= idx + 1 ? pf->queued_until + 1 : idx + 1;
	long to = idx + pf->window < (long)l->n - 1 ? idx + pf->window : (long)l->n - 1;
	if (!sequential) {
		if (idx != pf->last)
			pf->queued_until = idx;
		from = to + 1; /* random access: nothing to read ahead */
	}
	pf->last = idx;
	pthread_mutex_unlock(&pf->w.mu);
	/* only what is not already cached goes to the workers, one wake-up each
	 * (a warm scan costs no wake-ups at all) */
	for (long i = from; i <= to; i++) {
		char buf[24];
		const char *key = pf->k->key_of(&l->v[i], buf);
		int need = key && !cas_cache_fresh(pf->cache, pf->kind, key);
		pthread_mutex_lock(&pf->w.mu);
		if (pf->list != l || pf->qlen >= pf->window) {
			pthread_mutex_unlock(&pf->w.mu);
			break;
		}
		if (i > pf->queued_until) {
			pf->queued_until = i;
			if (need) {
				pf->q[(pf->qhead + pf->qlen) % pf->window] = cas_xstrdup(key);
				pf->qlen++;
				pf->queued++;
				pthread_cond_signal(&pf->w.cv);
			}
		}
		pthread_mutex_unlock(&pf->w.mu);
	}
}

uint64_t cas_prefetch_issued(struct cas_prefetch *pf)
{
	if (!pf)
		return 0;
	pthread_mutex_lock(&pf->w.mu);
	uint64_t n = pf->issued;
	pthread_mutex_unlock(&pf->w.mu);
	return n;
}

void cas_prefetch_progress(struct cas_prefetch *pf, struct cas_prefetch_progress *out)
{
	memset(out, 0, sizeof(*out));
	if (!pf)
		return; /* read-ahead is off: nothing in progress */
	pthread_mutex_lock(&pf->w.mu);
	out->queued = pf->queued;
	out->done = pf->dequeued_done;
	out->pending = pf->qlen + pf->busy;
	out->scan_pos = pf->list ? pf->last + 1 : 0;
	out->scan_n = pf->list ? (long)pf->list->n : 0;
	out->last_hint_ns = pf->last_hint_ns;
	pthread_mutex_unlock(&pf->w.mu);
}
