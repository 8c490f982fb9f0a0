/* nonce: the replay store (a hash set of 64-bit digests of (credential,
 * nonce) with a FIFO of expiry times; about 48 bytes per remembered request)
 * and timestamp parsing (see nonce.h). */
#include "nonce.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "rng.h"

struct node {
	uint64_t key;
	int64_t expires;
	struct node *chain;
	struct node *fifo;
};

struct emu_nonces {
	pthread_mutex_t mu;
	int64_t ttl;
	struct node **buckets;
	size_t nbuckets;
	size_t count;
	struct node *head, *tail;
};

struct emu_nonces *emu_nonces_new(int64_t ttl_ms)
{
	struct emu_nonces *n = cas_xcalloc(1, sizeof(*n));
	pthread_mutex_init(&n->mu, NULL);
	n->ttl = ttl_ms;
	n->nbuckets = 1024;
	n->buckets = cas_xcalloc(n->nbuckets, sizeof(*n->buckets));
	return n;
}

void emu_nonces_free(struct emu_nonces *n)
{
	if (!n)
		return;
	for (struct node *x = n->head, *next; x; x = next) {
		next = x->fifo;
		free(x);
	}
	free(n->buckets);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

static uint64_t digest(int cred, const char *nonce)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)cred;
	for (const unsigned char *p = (const unsigned char *)nonce; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return emu_mix64(h ^ strlen(nonce));
}

static void unlink_chain(struct emu_nonces *n, struct node *x)
{
	struct node **pp = &n->buckets[x->key & (n->nbuckets - 1)];
	while (*pp && *pp != x)
		pp = &(*pp)->chain;
	if (*pp)
		*pp = x->chain;
}

static void purge(struct emu_nonces *n, int64_t now)
{
	while (n->head && n->head->expires <= now) {
		struct node *x = n->head;
		n->head = x->fifo;
		if (!n->head)
			n->tail = NULL;
		unlink_chain(n, x);
		free(x);
		n->count--;
	}
}

static void grow(struct emu_nonces *n)
{
	size_t nb = n->nbuckets * 2;
	struct node **b = cas_xcalloc(nb, sizeof(*b));
	for (struct node *x = n->head; x; x = x->fifo) {
		x->chain = b[x->key & (nb - 1)];
		b[x->key & (nb - 1)] = x;
	}
	free(n->buckets);
	n->buckets = b;
	n->nbuckets = nb;
}

int emu_nonce_use(struct emu_nonces *n, int cred, const char *nonce, int64_t now_ms)
{
	uint64_t key = digest(cred, nonce);
	int seen = 0;
	pthread_mutex_lock(&n->mu);
	purge(n, now_ms);
	for (struct node *x = n->buckets[key & (n->nbuckets - 1)]; x; x = x->chain)
		if (x->key == key)
			seen = 1;
	if (!seen) {
		struct node *x = cas_xcalloc(1, sizeof(*x));
		x->key = key;
		x->expires = now_ms + n->ttl;
		x->chain = n->buckets[key & (n->nbuckets - 1)];
		n->buckets[key & (n->nbuckets - 1)] = x;
		if (n->tail)
			n->tail->fifo = x;
		else
			n->head = x;
		n->tail = x;
		if (++n->count > n->nbuckets * 2)
			grow(n);
	}
	pthread_mutex_unlock(&n->mu);
	return seen;
}

int emu_parse_acs_date(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, used = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 || used != 19)
		return -1;
	const char *p = s + used;
	long frac = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		if (!digits)
			return -1;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return 0;
}
