/* fake_api: a scriptable struct cas_api for the cache/ and fs/ tests, and a
 * fake clock. It counts calls per operation, serves documents that carry a
 * "server version" (taken when the call starts, as a real request would
 * see the state of that moment), can answer -ENOENT for chosen ids or a
 * given error for reads and mutations, and can hold the next N detail
 * calls at a gate until the test releases them. Waiting for the fake is
 * done on its condition variable, never by sleeping. Every other listed
 * instance (even index i) has CertificateId 5000 + i, served as a certificate
 * whose PEM is "CERT <id> v<version>". */
#ifndef FAKE_API_H
#define FAKE_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cache.h"
#include "cas.h"

#define FAKE_MAX_IDS 64

struct fake_api {
	struct cas_api api; /* first: the face handed to the cache */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int calls[CAS_NACTIONS];   /* calls started */
	int version;               /* "server state": bumped by a successful update/delete/refund */
	int read_rc;               /* nonzero: every read op fails with this (and an error body) */
	int mutate_rc;             /* nonzero: every mutation fails with this */
	char missing[FAKE_MAX_IDS][32]; /* detail ids answered with -ENOENT */
	int nmissing;
	int ninstances;            /* size of the instance list */
	int gate;                  /* hold this many more detail calls at the gate */
	int held;                  /* detail calls currently held */
	uint64_t release;          /* bumped by fake_release */
	char last_filter_status[32];
	/* extra members of every detail document ("\"Domain\": \"a.example\"", ...), or NULL */
	const char *detail_fields;
	int list_json;             /* list entries carry their JSON (an entry can be rewritten from a detail) */
	int last_update_fields;    /* how many fields the last UpdateInstance set */
	/* called inside get_instance_detail after the version was taken (may be NULL) */
	void (*on_detail)(struct fake_api *f, const char *id);
	void *ctx;
};

void fake_init(struct fake_api *f);
void fake_destroy(struct fake_api *f);
int fake_calls(struct fake_api *f, enum cas_action a);
void fake_set(struct fake_api *f, int *field, int value);
void fake_bump_version(struct fake_api *f);
void fake_add_missing(struct fake_api *f, const char *id);
/* Holds the next n detail calls. */
void fake_hold(struct fake_api *f, int n);
/* Blocks until at least n detail calls are held. */
void fake_wait_held(struct fake_api *f, int n);
/* Lets every held call go on. */
void fake_release(struct fake_api *f);
/* The document text the fake serves for a detail of id at version v
 * (without detail_fields). */
char *fake_detail_text(const char *id, int version);
/* The list: instance i is "cas-%04d" named "name-i", domain example.com,
 * status normal, issued, brand "Brand-i", type DV; even instances have
 * CertificateNotBefore/After set, odd ones none. */

/* A clock for struct cas_cache_opts.now_ms. */
struct fake_clock {
	_Atomic int64_t now;
};
int64_t fake_now_ms(void *ctx);

/* Waits (yielding) until cond(arg) holds; for states of the code under
 * test that it does not signal. A wait, never an assertion about time. */
void wait_until(int (*cond)(void *arg), void *arg);

#endif
