/* ilock: per-instance writer locks (see ilock.h). The table's mutex is
 * held only to find, create or drop an entry, never while waiting for an
 * instance's lock or across a call: table mu, then nothing. */
#include "ilock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct ilock {
	struct ilock *next;  /* under ilocks.mu */
	char *id;            /* immutable */
	int refs;            /* holders and waiters; under ilocks.mu */
	pthread_mutex_t mu;  /* the instance's writer lock */
};

struct ilocks {
	pthread_mutex_t mu;  /* protects head and every refs */
	struct ilock *head;
};

struct ilocks *ilocks_new(void)
{
	struct ilocks *t = cas_xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void ilocks_free(struct ilocks *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

struct ilock *ilock_acquire(struct ilocks *t, const char *id)
{
	pthread_mutex_lock(&t->mu);
	struct ilock *l = t->head;
	while (l && strcmp(l->id, id) != 0)
		l = l->next;
	if (!l) {
		l = cas_xcalloc(1, sizeof(*l));
		l->id = cas_xstrdup(id);
		pthread_mutex_init(&l->mu, NULL);
		l->next = t->head;
		t->head = l;
	}
	l->refs++;
	pthread_mutex_unlock(&t->mu);
	pthread_mutex_lock(&l->mu);
	return l;
}

void ilock_release(struct ilocks *t, struct ilock *l)
{
	pthread_mutex_unlock(&l->mu);
	pthread_mutex_lock(&t->mu);
	if (--l->refs == 0) {
		struct ilock **pp = &t->head;
		while (*pp != l)
			pp = &(*pp)->next;
		*pp = l->next;
		pthread_mutex_destroy(&l->mu);
		free(l->id);
		free(l);
	}
	pthread_mutex_unlock(&t->mu);
}
