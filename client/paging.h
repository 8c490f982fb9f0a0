/* paging: whole lists from the paged operations, above the single calls of
 * ops.h: pages 2..k fetched concurrently within the rate limit, the merged
 * listing checked against TotalCount, the server's page size and repeated
 * ids, refetched after drift (see paging.c and docs/SEMANTICS.md,
 * Listings). Results are new references (cas_obj_unref). */
#ifndef CAS_PAGING_H
#define CAS_PAGING_H

#include "client.h"

int cas_list_all_instances(struct cas_client *c, const struct cas_list_filter *f, struct cas_instances **out,
			   struct cas_error *e);
int cas_list_all_cloud_access(struct cas_client *c, struct cas_entries **out, struct cas_error *e);

#endif
