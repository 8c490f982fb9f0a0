/* prefetch: read-ahead of instance details (or certificates) for sequential scans. When a
 * reader opens detail-backed files of instances in list order (tar, rsync,
 * grep -r), the next details are fetched ahead of it by a few workers,
 * bounded by a window and paced by the client's rate limiter. Random access
 * prefetches nothing; nothing but such reads ever triggers it. */
#ifndef CAS_PREFETCH_H
#define CAS_PREFETCH_H

#include <stdint.h>

#include "cache.h"

struct cas_prefetch;

/* kind: what is read ahead, CAS_CK_DETAIL (by InstanceId) or CAS_CK_CERT
 * (by CertificateId; instances without one are passed over). */
struct cas_prefetch *cas_prefetch_new(struct cas_cache *cache, enum cas_ck kind, int window, int workers);
void cas_prefetch_free(struct cas_prefetch *pf);
/* A file of instance `id` (an element of list l) backed by this kind is being
 * read. pf may be NULL (read-ahead off); so may it for _issued, _progress and _free. */
void cas_prefetch_hint(struct cas_prefetch *pf, const struct cas_instances *l, const char *id);
uint64_t cas_prefetch_issued(struct cas_prefetch *pf);

/* Progress (the progress lines, .cas/stats): read-ahead queued/done and where the scan is. */
struct cas_prefetch_progress {
	uint64_t queued;       /* details ever queued for read-ahead */
	uint64_t done;         /* of those, fetched (= cas_prefetch_issued) or found cached */
	long pending;          /* queued or being fetched now */
	long scan_pos, scan_n; /* instances the current scan has reached, of the list's n */
	int64_t last_hint_ns;  /* CLOCK_MONOTONIC time of the last hint, 0 = never */
};
void cas_prefetch_progress(struct cas_prefetch *pf, struct cas_prefetch_progress *out);

#endif
