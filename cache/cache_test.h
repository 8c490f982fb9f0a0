/* cache_test: what only the tests use of cache.c (the cache sweeps by
 * itself, every SWEEP_EVERY_MS, as it is used). Included by tests only. */
#ifndef CAS_CACHE_TEST_H
#define CAS_CACHE_TEST_H

#include "cache.h"

/* Frees values too old to serve even as stale, now. */
void cas_cache_sweep(struct cas_cache *c);
/* cas_cache_free with its wait for the background refreshes bounded by
 * wait_ms: 0 when freed, else how many still run (c was not freed). */
int cas_cache_free_within(struct cas_cache *c, int64_t wait_ms);

#endif
