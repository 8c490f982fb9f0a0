/* handle: open files of every kind (see handle.h). */
#include "handle.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "buf.h"
#include "kinds.h"

struct handle *handle_new(struct casfs *fs, const struct node *n)
{
	struct handle *h = cas_xcalloc(1, sizeof(*h));
	h->node = *n;
	pthread_mutex_lock(&fs->handles_mu);
	h->next = fs->handles;
	if (fs->handles)
		fs->handles->prev = h;
	fs->handles = h;
	pthread_mutex_unlock(&fs->handles_mu);
	return h;
}

void handle_free(struct casfs *fs, struct handle *h)
{
	pthread_mutex_lock(&fs->handles_mu);
	if (h->prev)
		h->prev->next = h->next;
	else if (fs->handles == h)
		fs->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&fs->handles_mu);
	free(h);
}

static const struct kind_ops *ops_of(const struct handle *h)
{
	return node_kind(&h->node)->ops;
}

struct handle *handle_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	const struct kind_ops *ops = node_kind(n)->ops;
	if (!ops->open) {
		*rc = -EISDIR;
		return NULL;
	}
	return ops->open(fs, n, flags, rc);
}

ssize_t handle_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	return ops_of(h)->read(fs, h, buf, size, off);
}

ssize_t handle_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid)
{
	return ops_of(h)->write(fs, h, buf, size, off, pid);
}

int handle_truncate(struct casfs *fs, struct handle *h, off_t size)
{
	return ops_of(h)->truncate(fs, &h->node, h, size);
}

int handle_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	return ops_of(h)->flush(fs, h, pid);
}

void handle_release(struct casfs *fs, struct handle *h)
{
	if (h)
		node_kind(&h->node)->ops->release(fs, h, 1);
}

void handle_release_all(struct casfs *fs)
{
	for (;;) {
		pthread_mutex_lock(&fs->handles_mu);
		struct handle *h = fs->handles;
		pthread_mutex_unlock(&fs->handles_mu);
		if (!h)
			break;
		node_kind(&h->node)->ops->release(fs, h, 0); /* unmounting: nothing is committed any more */
	}
}
