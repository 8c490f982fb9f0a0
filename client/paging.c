/* paging: whole lists from paged operations, checked for consistency.
 *
 * ListInstances pages by offset, so an instance created or deleted while
 * the pages are fetched shifts every later entry: one is then repeated or
 * never returned. A listing is therefore checked: the pages must together
 * hold exactly TotalCount entries, no id may appear on two pages, and
 * TotalCount must be the same on every page. If not, the whole listing is
 * fetched again, at most CAS_LIST_ATTEMPTS times in all; a consistent
 * attempt is the answer. If none is, the answer is the union of everything
 * seen (never less), marked inconsistent, counted, and reported through the
 * client's notice hook. The last attempt reads the pages before the last
 * page that showed drift once more at its end: an instance moved or created
 * ahead of the pages already read (which pushes an id onto the next page,
 * TotalCount unchanged) is then in the union too. A repeated id is one
 * instance: its newest entry (later page, later attempt) is kept.
 *
 * Paging follows what the server does, not what was asked: the page size
 * is the one the server used (ShowSize as echoed, or the length of a short
 * first page when TotalCount says more exist); fetching continues while
 * TotalCount says more exist, even after a short page; it stops on an empty
 * page, on a page that adds no new id, and at a hard cap of
 * ceil(TotalCount / page size) + CAS_LIST_EXTRA_PAGES pages. Pages 2..k are
 * fetched in batches of 1, 2, 4, ... up to the client's page workers, so a
 * lying TotalCount costs at most about as many calls as real progress.
 *
 * The unfiltered listing's page 1 may come from the mount probe
 * (cas_client_take_primed), so a fresh mount lists N instances in
 * ceil(N/100) calls, probe included. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "deadline.h"
#include "log.h"
#include "ops.h"
#include "paging.h"

#define PAGE_SIZE 100
#define ACCESS_PAGE_SIZE 50

struct pager {
	struct cas_client *c;
	const struct cas_list_filter *f;
	pthread_mutex_t mu;
	int64_t first, next, last;       /* pages first..last; next to claim */
	struct cas_instances **pages;    /* indexed by page - first */
	int rc;
	struct cas_error err;
	struct cas_op op;                /* the caller's operation: pages end by its deadline too */
	int must_reach;                  /* the caller's cas_client_must_reach */
	int64_t max_age;                 /* the caller's cas_client_share_max_age */
};

static int fetch_page(struct cas_client *c, const struct cas_list_filter *f, int64_t page,
		      struct cas_instances **out, struct cas_error *e)
{
	struct cas_list_query q = { .filter = *f, .current_page = page, .show_size = PAGE_SIZE };
	return cas_list_instances(c, &q, out, e);
}

static void *page_worker(void *arg)
{
	struct pager *pg = arg;
	cas_op_adopt(&pg->op);
	cas_client_must_reach(pg->must_reach);
	cas_client_share_max_age(pg->max_age);
	for (;;) {
		pthread_mutex_lock(&pg->mu);
		int64_t page = pg->rc ? pg->last + 1 : pg->next++;
		pthread_mutex_unlock(&pg->mu);
		if (page > pg->last)
			return NULL;
		struct cas_error e;
		struct cas_instances *l = NULL;
		int rc = fetch_page(pg->c, pg->f, page, &l, &e);
		pthread_mutex_lock(&pg->mu);
		if (rc && !pg->rc) {
			pg->rc = rc;
			pg->err = e;
		}
		pg->pages[page - pg->first] = l;
		pthread_mutex_unlock(&pg->mu);
		if (!rc)
			cas_client_listing_page(pg->c); /* progress in .cas/stats */
	}
}

/* Fetches pages first..last concurrently into pages[]; the first error wins. */
static int fetch_batch(struct cas_client *c, const struct cas_list_filter *f, int64_t first, int64_t last,
		       struct cas_instances **pages, struct cas_error *e)
{
	struct pager pg = { .c = c, .f = f, .first = first, .next = first, .last = last, .pages = pages,
			    .op = cas_op_current(), .must_reach = cas_client_must_reach_get() };
	pg.max_age = cas_client_share_max_age(0);
	cas_client_share_max_age(pg.max_age);
	pthread_mutex_init(&pg.mu, NULL);
	int64_t nthreads = cas_client_page_workers(c);
	if (nthreads > last - first + 1)
		nthreads = last - first + 1;
	pthread_t th[64];
	int started = 0;
	for (int64_t i = 0; i < nthreads && i < 64; i++)
		if (pthread_create(&th[started], NULL, page_worker, &pg) == 0)
			started++;
	if (!started)
		page_worker(&pg);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pg.mu);
	if (pg.rc)
		*e = pg.err;
	return pg.rc;
}

/* One attempt at the whole listing. */
struct attempt {
	struct cas_instances *all; /* the union so far, sorted, ids unique */
	int64_t total;             /* page 1's TotalCount; -1 = not given */
	int64_t most;              /* the largest TotalCount any page gave */
	int64_t received;          /* entries in all responses */
	size_t cross;              /* entries whose id an earlier page had */
	int total_changed;
	int capped;
};

/* Merges one page into the attempt; returns how many new ids it added. */
static size_t absorb(struct attempt *at, struct cas_instances *page)
{
	if (page->total_count != at->total)
		at->total_changed = 1;
	if (page->total_count > at->most)
		at->most = page->total_count;
	at->received += (int64_t)page->received;
	cas_instances_sort_unique(page); /* repeats within one page are not drift */
	size_t n = page->n, before = at->all->n;
	cas_instances_append(at->all, page);
	cas_instances_sort_unique(at->all);
	size_t added = at->all->n - before;
	at->cross += n - added;
	return added;
}

/* Merges a page read again at the end of the last attempt: only ids not yet
 * seen are added; counters, TotalCount and the drift signs stay as they are
 * (the attempt is inconsistent already, and its entries were counted). */
static void absorb_new(struct attempt *at, struct cas_instances *page)
{
	size_t keep = 0;
	for (size_t i = 0; i < page->n; i++) {
		if (cas_instances_find(at->all, page->v[i].id))
			cas_instance_clear(&page->v[i]);
		else
			page->v[keep++] = page->v[i];
	}
	page->n = keep;
	page->skipped = page->repeated = 0;
	size_t repeated = at->all->repeated;
	cas_instances_append(at->all, page);
	cas_instances_sort_unique(at->all);
	at->all->repeated = repeated;
}

static int consistent(const struct attempt *at)
{
	if (at->capped || at->cross || at->total_changed)
		return 0;
	return at->total < 0 || at->received == at->total;
}

/* One attempt. Unless it is the last one, it stops as soon as drift is
 * certain (a changed TotalCount, an id on two pages): it will be fetched
 * again anyway. The last attempt reads on, to see as much as it can. */
static int list_once(struct cas_client *c, const struct cas_list_filter *f, int may_reuse, int last_try,
		     struct attempt *at, struct cas_list_stats *st, struct cas_error *e)
{
	memset(at, 0, sizeof(*at));
	at->all = cas_instances_new();
	struct cas_instances *p1 = may_reuse ? cas_client_take_primed(c) : NULL;
	int rc = 0;
	if (p1)
		st->probe_reused++;
	else if ((rc = fetch_page(c, f, 1, &p1, e)))
		return rc;
	at->total = at->most = p1->total_count;
	int64_t got = (int64_t)p1->received;
	int64_t size = p1->page_size > 0 && p1->page_size <= PAGE_SIZE ? p1->page_size : PAGE_SIZE;
	if (got > 0 && got < size && at->total > got)
		size = got; /* the server's page is smaller than asked, or echoed */
	int64_t expected = at->total >= 0 ? (at->total + size - 1) / size : 1;
	int64_t cap = (at->total >= 0 ? expected : CAS_MAX_TOTAL / size) + CAS_LIST_EXTRA_PAGES;
	int more = absorb(at, p1) > 0 && (at->total >= 0 ? at->received < at->most : got >= size);
	cas_obj_unref(p1);
	int64_t done = 1; /* progress: pages of this attempt, of `expected` */
	cas_client_listing_start(c, expected);
	cas_client_listing_page(c);
	int64_t next = 2, batch = 1, drift_at = 0; /* the last page on which drift showed */
	while (more && !rc) {
		if (next > cap) {
			at->capped = 1;
			break;
		}
		int64_t last = next + batch - 1;
		if (last > cap)
			last = cap;
		if (last > expected)
			last = expected >= next ? expected : next; /* beyond the promised pages, one at a time */
		struct cas_instances **pages = cas_xcalloc((size_t)(last - next + 1), sizeof(*pages));
		rc = fetch_batch(c, f, next, last, pages, e);
		for (int64_t p = next; p <= last; p++) {
			struct cas_instances *pg = pages[p - next];
			done += pg != NULL;
			if (!rc && more) {
				int64_t recv = (int64_t)pg->received;
				size_t cross = at->cross;
				int changed = at->total_changed;
				size_t added = absorb(at, pg);
				if (at->cross != cross || at->total_changed != changed)
					drift_at = p;
				if (recv == 0 || added == 0)
					more = 0; /* the end, or no progress */
				else if (!last_try && (at->total_changed || at->cross))
					more = 0; /* drift: this attempt cannot be consistent */
				else if (at->total >= 0)
					more = at->received < at->most;
				else
					more = recv >= size;
			}
			cas_obj_unref(pg);
		}
		free(pages);
		next = last + 1;
		if (batch < cas_client_page_workers(c))
			batch *= 2;
	}
	if (!rc && last_try && drift_at > 1) {
		/* What moved or was created ahead of the pages already read (an id
		 * on two pages, a changed TotalCount) is on one of pages
		 * 1..drift_at-1 now: read them once more, so the union holds every
		 * instance that existed throughout (at most one more listing). */
		int64_t n = drift_at - 1;
		struct cas_instances **pages = cas_xcalloc((size_t)n, sizeof(*pages));
		struct cas_error e2; /* a failure here only leaves the union as it was */
		int was = cas_client_must_reach(1); /* what the service lists now, not the fleet's pages */
		int rc2 = fetch_batch(c, f, 1, n, pages, &e2);
		cas_client_must_reach(was);
		for (int64_t p = 0; p < n; p++) {
			done += pages[p] != NULL;
			if (!rc2)
				absorb_new(at, pages[p]);
			cas_obj_unref(pages[p]);
		}
		free(pages);
	}
	cas_client_listing_end(c, expected, done);
	return rc;
}

static int unfiltered(const struct cas_list_filter *f)
{
	return !f->status && !f->brand && !f->cert_status && !f->cert_type && !f->instance_type && !f->keyword &&
	       !f->resource_group_id;
}

int cas_list_all_instances(struct cas_client *c, const struct cas_list_filter *f, struct cas_instances **out,
			   struct cas_error *e)
{
	static const struct cas_list_filter none;
	f = f ? f : &none;
	*out = NULL;
	struct cas_list_stats st = { .listings = 1 };
	struct cas_instances *seen = cas_instances_new(); /* the union over all attempts */
	struct cas_instances *result = NULL;
	struct attempt at = { 0 };
	size_t last_skipped = 0, last_repeated = 0;
	int rc = 0;
	for (int n = 0; n < CAS_LIST_ATTEMPTS && !result; n++) {
		if (n)
			st.refetches++;
		rc = list_once(c, f, n == 0 && unfiltered(f), n + 1 == CAS_LIST_ATTEMPTS, &at, &st, e);
		if (rc) {
			cas_obj_unref(at.all);
			break;
		}
		st.skipped += at.all->skipped;
		st.repeated += at.all->repeated;
		at.all->total_count = at.most;
		if (consistent(&at)) {
			result = at.all;
		} else {
			cas_warn("ListInstances: attempt %d is inconsistent (TotalCount %lld%s, %lld entries received, "
				 "%zu ids on two pages%s)%s",
				 n + 1, (long long)at.total, at.total_changed ? " and changing" : "", (long long)at.received,
				 at.cross, at.capped ? ", page cap reached" : "",
				 n + 1 < CAS_LIST_ATTEMPTS ? "; fetching again" : "");
			last_skipped = at.all->skipped;
			last_repeated = at.all->repeated;
			cas_instances_append(seen, at.all);
			cas_obj_unref(at.all);
		}
	}
	if (!rc && !result) {
		cas_instances_sort_unique(seen);
		seen->skipped = last_skipped; /* per listing, as in a consistent one */
		seen->repeated = last_repeated;
		seen->inconsistent = 1;
		seen->total_count = at.most;
		result = cas_obj_ref(seen);
		st.inconsistent = 1;
		char msg[300];
		snprintf(msg, sizeof(msg),
			 "no consistent listing in %d attempts (the account changed while it was paged, or the "
			 "server's paging is inconsistent); showing the union of everything seen: %zu instances",
			 CAS_LIST_ATTEMPTS, seen->n);
		cas_client_notify(c, "ListInstances", EAGAIN, "Local.InconsistentListing", msg);
	}
	cas_obj_unref(seen);
	cas_client_list_count(c, &st);
	if (rc)
		return rc;
	if (result->skipped) {
		char msg[120];
		snprintf(msg, sizeof(msg), "%zu entries skipped: their InstanceId cannot be a file name",
			 result->skipped);
		cas_client_notify(c, "ListInstances", EPROTO, "Local.UnsafeId", msg);
	}
	if (result->repeated)
		cas_warn("ListInstances: %zu repeated entries; the newest entry of each id is shown", result->repeated);
	result->as_of_ms = cas_client_service_now_ms(c); /* "now" of by-expiry/ */
	*out = result;
	return 0;
}

int cas_list_prime(struct cas_client *c, struct cas_error *e)
{
	struct cas_instances *p1 = NULL;
	static const struct cas_list_filter none;
	int rc = fetch_page(c, &none, 1, &p1, e);
	if (!rc)
		cas_client_prime(c, p1);
	cas_obj_unref(p1);
	return rc;
}

int cas_list_all_cloud_access(struct cas_client *c, struct cas_entries **out, struct cas_error *e)
{
	*out = NULL;
	struct cas_entries *all = cas_entries_new();
	int64_t total = -1, size = ACCESS_PAGE_SIZE, received = 0;
	for (int64_t page = 1;; page++) {
		struct cas_entries *l = NULL;
		int64_t t = -1;
		int rc = cas_list_cloud_access(c, page, ACCESS_PAGE_SIZE, &l, &t, e);
		if (rc) {
			cas_obj_unref(all);
			return rc;
		}
		int64_t got = (int64_t)l->n;
		if (page == 1 && got > 0 && got < size && t > got)
			size = got; /* the server's page is smaller than asked */
		if (t > total)
			total = t;
		received += got;
		size_t before = all->n;
		cas_entries_append(all, l);
		cas_obj_unref(l);
		cas_entries_sort_unique(all);
		int added = all->n > before;
		/* the same rules as instances: continue while TotalCount says more exist */
		int more = got > 0 && added && (total >= 0 ? received < total : got >= size);
		if (!more || page >= (total >= 0 ? (total + size - 1) / size : CAS_MAX_TOTAL / size) + CAS_LIST_EXTRA_PAGES)
			break;
	}
	*out = all;
	return 0;
}
