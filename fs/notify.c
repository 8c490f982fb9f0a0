/* notify: queued kernel cache invalidation (see notify.h). */
#define FUSE_USE_VERSION 314
#include "notify.h"

#include <stdio.h>
#include <fuse.h>
#include <pthread.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "kinds.h"
#include "log.h"
#include "nodes.h"
#include "validate.h"

struct item {
	struct item *next;
	char *path;
};

/* Lock rule: mu guards every field; cv wakes the thread for new items,
 * done_cv wakes notify_wait() when an item has been sent. */
struct notifier {
	pthread_mutex_t mu;
	pthread_cond_t cv, done_cv;
	unsigned long queued;  /* items ever queued; sent counts those handled */
	struct item *head, *tail;
	int stop, started;
	struct fuse *fuse;
	pthread_t th;
	unsigned long sent;
};

static void *run(void *arg)
{
	struct notifier *n = arg;
	pthread_mutex_lock(&n->mu);
	for (;;) {
		while (!n->stop && !n->head)
			pthread_cond_wait(&n->cv, &n->mu);
		if (!n->head && n->stop)
			break;
		struct item *it = n->head;
		n->head = it->next;
		if (!n->head)
			n->tail = NULL;
		struct fuse *f = n->fuse;
		pthread_mutex_unlock(&n->mu);
		if (f)
			fuse_invalidate_path(f, it->path); /* -ENOENT: the kernel never saw it */
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
	pthread_cond_init(&n->cv, NULL);
	pthread_cond_init(&n->done_cv, NULL);
	return n;
}

void notifier_start(struct notifier *n, struct fuse *f)
{
	n->fuse = f;
	if (pthread_create(&n->th, NULL, run, n) == 0)
		n->started = 1;
}

void notifier_stop(struct notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = 1;
	n->fuse = NULL; /* what is still queued is dropped, never sent to a session being torn down */
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
	for (struct item *it = n->head, *next; it; it = next) {
		next = it->next;
		free(it->path);
		free(it);
	}
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
	if (n->tail)
		n->tail->next = it;
	else
		n->head = it;
	n->tail = it;
	n->queued++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void notify_path(struct notifier *n, const char *path)
{
	queue_owned(n, cas_xstrdup(path));
}

/* A path built from parts: allocated to fit, never truncated (a cut path
 * would invalidate some other node, or none). */
static void notify_pathf(struct notifier *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notify_pathf(struct notifier *n, const char *fmt, ...)
{
	struct cas_buf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	cas_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	queue_owned(n, cas_buf_steal(&b));
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

/* The fixed files of directory dir, those with every flag of `flags`. */
static void notify_files(struct notifier *n, const char *dir, unsigned flags)
{
	int type = node_kind_of_path(dir);
	for (int t = 0; type >= 0 && t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		if (k->parent != type || !k->name || (k->flags & flags) != flags)
			continue;
		notify_pathf(n, "%s/%s", dir, k->name);
	}
}

void notify_instance(struct notifier *n, const char *id)
{
	char *dir = cas_xasprintf("/instances/%s", id);
	notify_path(n, dir);
	notify_files(n, dir, 0);
	free(dir);
	for (const char *const *s = cas_enum_values(CAS_ENUM_STATUS); *s; s++) {
		notify_pathf(n, "/by-status/%s/%s", *s, id);
		notify_pathf(n, "/by-status/%s", *s);
	}
	for (size_t i = 0; expiry_window(i); i++) {
		notify_pathf(n, "/by-expiry/%s/%s", expiry_window(i), id);
		notify_pathf(n, "/by-expiry/%s", expiry_window(i));
	}
	notify_path(n, "/instances");
	notify_path(n, "/instances.jsonl");
	notify_path(n, "/summary");
}

static void notify_entries(struct notifier *n, const char *dir, struct cas_entries *l)
{
	notify_path(n, dir);
	for (size_t i = 0; l && i < l->n; i++)
		notify_pathf(n, "%s/%s", dir, l->v[i].key);
}

void notify_tree(struct notifier *n, struct cas_instances *l, struct cas_entries *access, struct cas_entries *ca)
{
	notify_path(n, "/");
	for (size_t i = 0; l && i < l->n; i++)
		notify_instance(n, l->v[i].id);
	notify_entries(n, "/cloud-access", access);
	notify_entries(n, "/private-ca", ca);
}

void notify_on_cache_change(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value)
{
	struct notifier *n = ctx;
	switch (kind) {
	case CAS_CK_INSTANCES: {
		struct cas_instances *o = old_value, *c = new_value;
		if (!o)
			return; /* first sight: the kernel holds nothing yet */
		for (size_t i = 0; c && i < c->n; i++) {
			const struct cas_instance *was = cas_instances_find(o, c->v[i].id);
			if (!was || was->hash != c->v[i].hash)
				notify_instance(n, c->v[i].id);
		}
		for (size_t i = 0; i < o->n; i++)
			if (!cas_instances_find(c, o->v[i].id))
				notify_instance(n, o->v[i].id);
		break;
	}
	case CAS_CK_DETAIL: {
		if (!old_value)
			return;
		char *dir = cas_xasprintf("/instances/%s", key);
		notify_files(n, dir, NF_DETAIL);
		free(dir);
		break;
	}
	case CAS_CK_SUMMARY:
		if (old_value)
			notify_path(n, "/summary");
		break;
	case CAS_CK_ACCESS:
		if (old_value)
			notify_entries(n, "/cloud-access", old_value);
		break;
	case CAS_CK_CA:
		if (old_value)
			notify_entries(n, "/private-ca", old_value);
		break;
	case CAS_CK_STORE: /* certificates/: store.c invalidates its own paths */
	case CAS_CK_CERT: /* keyed by CertId; the files' stamps keep a changed certificate out of the page cache */
	case CAS_CK_N:
		break;
	}
}
