/* paging: whole lists from paged operations. ListInstances pages 2..k are
 * fetched by a few worker threads at once; the shared rate limiter keeps
 * them within the QPS budget. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "deadline.h"
#include "log.h"
#include "ops.h"

#define PAGE_SIZE 100
#define ACCESS_PAGE_SIZE 50

struct pager {
	struct cas_client *c;
	const struct cas_list_filter *f;
	pthread_mutex_t mu;
	int64_t next, last;              /* next page to claim, last page */
	struct cas_instances **pages;    /* indexed by page - 1 */
	int rc;
	struct cas_error err;
	struct cas_op op;                /* the caller's operation: pages end by its deadline too */
};

static void *page_worker(void *arg)
{
	struct pager *pg = arg;
	cas_op_adopt(&pg->op);
	for (;;) {
		pthread_mutex_lock(&pg->mu);
		int64_t page = pg->rc ? pg->last + 1 : pg->next++;
		pthread_mutex_unlock(&pg->mu);
		if (page > pg->last)
			return NULL;
		struct cas_list_query q = { .filter = *pg->f, .current_page = page, .show_size = PAGE_SIZE };
		struct cas_error e;
		struct cas_instances *l = NULL;
		int rc = cas_list_instances(pg->c, &q, &l, &e);
		pthread_mutex_lock(&pg->mu);
		if (rc && !pg->rc) {
			pg->rc = rc;
			pg->err = e;
		}
		pg->pages[page - 1] = l;
		pthread_mutex_unlock(&pg->mu);
	}
}

static void merge(struct cas_instances *dst, struct cas_instances *src)
{
	dst->v = cas_xrealloc(dst->v, (dst->n + src->n + 1) * sizeof(*dst->v));
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	dst->skipped += src->skipped;
	src->n = 0; /* ownership of the strings moved */
}

int cas_list_all_instances(struct cas_client *c, const struct cas_list_filter *f, struct cas_instances **out,
			   struct cas_error *e)
{
	static const struct cas_list_filter none;
	f = f ? f : &none;
	*out = NULL;
	struct cas_list_query q = { .filter = *f, .current_page = 1, .show_size = PAGE_SIZE };
	struct cas_instances *first = NULL;
	int rc = cas_list_instances(c, &q, &first, e);
	if (rc)
		return rc;
	int64_t pages = (first->total_count + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > 1) {
		struct pager pg = { .c = c, .f = f, .next = 2, .last = pages, .op = cas_op_current() };
		pthread_mutex_init(&pg.mu, NULL);
		pg.pages = cas_xcalloc((size_t)pages, sizeof(*pg.pages));
		int nthreads = cas_client_page_workers(c);
		if (nthreads > pages - 1)
			nthreads = (int)(pages - 1);
		pthread_t *th = cas_xcalloc((size_t)nthreads, sizeof(*th));
		int started = 0;
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&th[i], NULL, page_worker, &pg) == 0)
				started++;
			else
				break;
		if (!started)
			page_worker(&pg);
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		free(th);
		for (int64_t i = 1; i < pages; i++) {
			if (pg.pages[i] && !pg.rc)
				merge(first, pg.pages[i]);
			cas_obj_unref(pg.pages[i]);
		}
		free(pg.pages);
		pthread_mutex_destroy(&pg.mu);
		if (pg.rc) {
			*e = pg.err;
			cas_obj_unref(first);
			return pg.rc;
		}
	}
	cas_instances_sort_unique(first);
	if (first->skipped)
		cas_warn("ListInstances: %zu entries skipped as unsafe or duplicate", first->skipped);
	*out = first;
	return 0;
}

int cas_list_all_cloud_access(struct cas_client *c, struct cas_entries **out, struct cas_error *e)
{
	*out = NULL;
	struct cas_entries *all = cas_entries_new();
	int64_t total = 0;
	for (int64_t page = 1;; page++) {
		struct cas_entries *l = NULL;
		int rc = cas_list_cloud_access(c, page, ACCESS_PAGE_SIZE, &l, &total, e);
		if (rc) {
			cas_obj_unref(all);
			return rc;
		}
		size_t got = l->n;
		all->v = cas_xrealloc(all->v, (all->n + l->n + 1) * sizeof(*all->v));
		memcpy(all->v + all->n, l->v, l->n * sizeof(*l->v));
		all->n += l->n;
		l->n = 0;
		cas_obj_unref(l);
		/* stop at the end, and on a short or empty page (no endless loop on a lying total) */
		if (got < ACCESS_PAGE_SIZE || page * ACCESS_PAGE_SIZE >= total)
			break;
	}
	cas_entries_sort_unique(all);
	*out = all;
	return 0;
}
