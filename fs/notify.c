/* notify: queued kernel cache invalidation (see notify.h). */
#include "notify.h"

#include <stdio.h>
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "nodes.h"

struct item {
	struct item *next;
	char *path;
	int64_t due_ms; /* `later` only: CLOCK_MONOTONIC ms when it joins the queue */
};

/* Lock rule: mu guards every field; cv wakes the thread for new items,
 * done_cv wakes notify_wait() when an item has been sent. */
struct notifier {
	pthread_mutex_t mu;
	pthread_cond_t cv, done_cv;
	unsigned long queued;  /* items ever queued; sent counts those handled */
	struct item *head, *tail;
	int stop, started;
	notify_sink sink;  /* the front's invalidation (NULL: stopped, items dropped) */
	void *sink_ctx;
	pthread_t th;
	unsigned long sent;
	struct item *later;         /* notify_path_at's items, unordered, one per path */
	struct cas_instances *last; /* the list the cache last reported (notify_instance's entries) */
	uint64_t last_gen;          /* its generation (cache.h): an older list never replaces it */
};

static void append(struct notifier *n, struct item *it)
{
	it->next = NULL;
	if (n->tail)
		n->tail->next = it;
	else
		n->head = it;
	n->tail = it;
	n->queued++;
}

/* Moves the due items of `later` to the queue; the earliest due time left
 * (or 0). Under mu. */
static int64_t promote(struct notifier *n)
{
	int64_t now = cas_mono_ms(), next = 0;
	for (struct item **pp = &n->later; *pp;) {
		struct item *it = *pp;
		if (it->due_ms <= now) {
			*pp = it->next;
			append(n, it);
		} else {
			if (!next || it->due_ms < next)
				next = it->due_ms;
			pp = &it->next;
		}
	}
	return next;
}

static void *run(void *arg)
{
	struct notifier *n = arg;
	pthread_mutex_lock(&n->mu);
	for (;;) {
		int64_t next;
		while (!n->stop && (next = promote(n), !n->head)) {
			if (!next) {
				pthread_cond_wait(&n->cv, &n->mu);
				continue;
			}
			struct timespec at = { (time_t)(next / 1000), (long)(next % 1000) * 1000000L };
			pthread_cond_timedwait(&n->cv, &n->mu, &at); /* cv runs on CLOCK_MONOTONIC */
		}
		if (!n->head && n->stop)
			break;
		struct item *it = n->head;
		n->head = it->next;
		if (!n->head)
			n->tail = NULL;
		notify_sink sink = n->sink;
		void *ctx = n->sink_ctx;
		pthread_mutex_unlock(&n->mu);
		if (sink)
			sink(ctx, it->path);
		free(it->path);
		free(it);
		pthread_mutex_lock(&n->mu);
		n->sent++;
		pthread_cond_broadcast(&n->done_cv);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

struct notifier *notifier_new(void)
{
	struct notifier *n = cas_xcalloc(1, sizeof(*n));
	pthread_mutex_init(&n->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&n->done_cv, NULL);
	return n;
}

void notifier_start(struct notifier *n, notify_sink sink, void *ctx)
{
	/* under mu: the share subscriber and the watch thread, started before
	 * the FUSE loop, may already queue (and read `started`) */
	pthread_mutex_lock(&n->mu);
	n->sink = sink;
	n->sink_ctx = ctx;
	n->started = pthread_create(&n->th, NULL, run, n) == 0;
	pthread_mutex_unlock(&n->mu);
}

void notifier_stop(struct notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = 1;
	n->sink = NULL; /* what is still queued is dropped, never sent to a session being torn down */
	pthread_cond_broadcast(&n->cv);
	int started = n->started;
	n->started = 0;
	pthread_mutex_unlock(&n->mu);
	if (started)
		pthread_join(n->th, NULL);
}

void notifier_free(struct notifier *n)
{
	if (!n)
		return;
	notifier_stop(n);
	for (int l = 0; l < 2; l++)
		for (struct item *it = l ? n->later : n->head, *next; it; it = next) {
			next = it->next;
			free(it->path);
			free(it);
		}
	cas_obj_unref(n->last);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	pthread_cond_destroy(&n->done_cv);
	free(n);
}

/* Queues a path the caller allocated (ownership passes). */
static void queue_owned(struct notifier *n, char *path)
{
	struct item *it = cas_xcalloc(1, sizeof(*it));
	it->path = path;
	pthread_mutex_lock(&n->mu);
	if (n->stop || !n->started) {
		pthread_mutex_unlock(&n->mu);
		free(it->path);
		free(it);
		return;
	}
	append(n, it);
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void notify_path(struct notifier *n, const char *path)
{
	queue_owned(n, cas_xstrdup(path));
}

void notify_path_at(struct notifier *n, const char *path, int64_t due_ms)
{
	pthread_mutex_lock(&n->mu);
	if (n->stop || !n->started) {
		pthread_mutex_unlock(&n->mu);
		return;
	}
	struct item *it = n->later;
	while (it && strcmp(it->path, path) != 0)
		it = it->next;
	if (it) { /* one per path: the latest time wins */
		if (due_ms > it->due_ms)
			it->due_ms = due_ms;
	} else {
		it = cas_xcalloc(1, sizeof(*it));
		it->path = cas_xstrdup(path);
		it->due_ms = due_ms;
		it->next = n->later;
		n->later = it;
	}
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

int notify_wait(struct notifier *n, int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&n->mu);
	unsigned long want = n->queued;
	int rc = 0;
	while (n->started && !n->stop && n->sent < want && rc == 0)
		rc = pthread_cond_timedwait(&n->done_cv, &n->mu, &dl);
	int done = !n->started || n->stop || n->sent >= want;
	pthread_mutex_unlock(&n->mu);
	return done ? 0 : -ETIMEDOUT;
}

unsigned long notify_sent(struct notifier *n)
{
	pthread_mutex_lock(&n->mu);
	unsigned long s = n->sent;
	pthread_mutex_unlock(&n->mu);
	return s;
}

/* ---- what to invalidate: derived from the rows' deps ------------------ */

/* One change of cached documents: the kind (DEP(kind)) and what binds the
 * variable components of the rows that show it (nodes.h, deps). */
struct change {
	unsigned dep;
	const char *id;                           /* the instance (NF_ID rows) */
	const struct cas_instance *was, *now;     /* its list entries before and after (NF_VIEW rows) */
	const struct cas_entries *entries;        /* the documents (rows with entries) */
	const void *was_doc, *now_doc;            /* the document before and after (rows with keys) */
};

/* The names variable row k takes in the paths the change touches. */
static void bind(const struct node_kind *k, const struct change *c, struct namelist *out)
{
	if (k->flags & NF_ID) {
		if (c->id)
			namelist_add(out, c->id);
	} else if ((k->flags & NF_VIEW) && k->names) {
		for (size_t i = 0; k->names(i); i++)
			namelist_add(out, k->names(i));
	} else if (k->flags & NF_VIEW) {
		const char *was = node_view_name(k, c->was), *now = node_view_name(k, c->now);
		if (was)
			namelist_add(out, was);
		if (now && (!was || strcmp(was, now) != 0))
			namelist_add(out, now);
	} else if (k->keys) {
		k->keys(c->was_doc, c->now_doc, out);
	} else if (k->entries) {
		for (size_t i = 0; c->entries && i < c->entries->n; i++)
			namelist_add(out, c->entries->v[i].key);
	}
}

/* Queues every path below prefix along chain[i..depth). */
static void expand(struct notifier *n, const int *chain, size_t i, size_t depth, const char *prefix,
		   const struct change *c)
{
	if (i == depth) {
		notify_path(n, prefix);
		return;
	}
	const struct node_kind *k = &node_kinds[chain[i]];
	struct namelist names = { 0 };
	if (k->name)
		namelist_add(&names, k->name);
	else
		bind(k, c, &names);
	for (size_t j = 0; j < names.n; j++) {
		char *p = cas_xasprintf("%s/%s", prefix, names.v[j]);
		expand(n, chain, i + 1, depth, p, c);
		free(p);
	}
	namelist_free(&names);
}

/* Every node of every row that shows what changed. */
static void notify_change(struct notifier *n, const struct change *c)
{
	for (int t = 0; t < T_N; t++) {
		if (!(node_kinds[t].deps & c->dep))
			continue;
		int chain[NODE_DEPTH_MAX + 1];
		size_t depth = 0;
		for (int r = t; node_kinds[r].parent >= 0 && depth <= NODE_DEPTH_MAX; r = node_kinds[r].parent)
			chain[depth++] = r;
		for (size_t i = 0; i < depth / 2; i++) {
			int x = chain[i];
			chain[i] = chain[depth - 1 - i];
			chain[depth - 1 - i] = x;
		}
		expand(n, chain, 0, depth, "", c);
	}
}

/* The list the cache last reported (a new reference), or NULL. */
static struct cas_instances *last_list(struct notifier *n)
{
	pthread_mutex_lock(&n->mu);
	struct cas_instances *l = cas_obj_ref(n->last);
	pthread_mutex_unlock(&n->mu);
	return l;
}

void notify_instance(struct notifier *n, const char *id)
{
	struct cas_instances *l = last_list(n);
	const struct cas_instance *was = cas_instances_find(l, id);
	notify_change(n, &(struct change){ .dep = DEP(CAS_CK_INSTANCES), .id = id, .was = was });
	cas_obj_unref(l);
}

void notify_kind(struct notifier *n, enum cas_ck kind)
{
	notify_change(n, &(struct change){ .dep = DEP(kind) });
}

void notify_tree(struct notifier *n, struct cas_instances *l, struct cas_entries *access, struct cas_entries *ca,
		 struct cas_certs *store)
{
	notify_path(n, "/");
	for (size_t i = 0; l && i < l->n; i++)
		notify_change(n, &(struct change){ .dep = DEP(CAS_CK_INSTANCES), .id = l->v[i].id, .was = &l->v[i] });
	notify_change(n, &(struct change){ .dep = DEP(CAS_CK_ACCESS), .entries = access });
	notify_change(n, &(struct change){ .dep = DEP(CAS_CK_CA), .entries = ca });
	notify_change(n, &(struct change){ .dep = DEP(CAS_CK_STORE), .was_doc = store });
}

void notify_on_cache_change(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value,
			    uint64_t gen)
{
	struct notifier *n = ctx;
	if (kind == CAS_CK_INSTANCES) {
		struct cas_instances *prev = NULL;
		pthread_mutex_lock(&n->mu);
		if (gen > n->last_gen || !n->last) { /* a call that finished late keeps its invalidations only */
			prev = n->last;
			n->last = cas_obj_ref(new_value);
			n->last_gen = gen;
		}
		pthread_mutex_unlock(&n->mu);
		cas_obj_unref(prev);
	}
	if (!old_value || kind == CAS_CK_CERT) /* first sight: the kernel holds nothing yet; certificates: */
		return;                         /* the files' stamps keep a changed one out of the page cache */
	switch (kind) {
	case CAS_CK_INSTANCES: {
		struct cas_instances *o = old_value, *c = new_value;
		for (size_t i = 0; c && i < c->n; i++) {
			const struct cas_instance *was = cas_instances_find(o, c->v[i].id);
			if (!was || was->hash != c->v[i].hash)
				notify_change(n, &(struct change){ .dep = DEP(kind), .id = c->v[i].id, .was = was,
								   .now = &c->v[i] });
		}
		for (size_t i = 0; i < o->n; i++)
			if (!cas_instances_find(c, o->v[i].id))
				notify_change(n, &(struct change){ .dep = DEP(kind), .id = o->v[i].id, .was = &o->v[i] });
		break;
	}
	case CAS_CK_DETAIL:
		notify_change(n, &(struct change){ .dep = DEP(kind), .id = key });
		break;
	case CAS_CK_ACCESS:
	case CAS_CK_CA:
		notify_change(n, &(struct change){ .dep = DEP(kind), .entries = old_value });
		break;
	case CAS_CK_STORE: /* certificates/: names shift within a lineage, so both lists bind them
			    * (store.c also invalidates the staging paths it changes) */
		notify_change(n, &(struct change){ .dep = DEP(kind), .was_doc = old_value, .now_doc = new_value });
		break;
	default:
		notify_change(n, &(struct change){ .dep = DEP(kind) });
		break;
	}
}
