/* cache_test: what only the tests use of cache.c (the cache sweeps by
 * itself, every SWEEP_EVERY_MS, as it is used). Included by tests only. */
#ifndef CAS_CACHE_TEST_H
#define CAS_CACHE_TEST_H

#include "cache.h"

/* Frees values too old to serve even as stale, now. */
void cas_cache_sweep(struct cas_cache *c);

#endif
