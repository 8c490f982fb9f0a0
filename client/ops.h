/* ops: the single calls of the reading operations over a cas_client, with
 * response parsing that treats the server as untrusted but reads fields
 * leniently, as the official SDK does (decode.h): a field of an odd type is
 * absent, an unsafe id skips its entry (logged and recorded), a broken
 * shape or an absurd total gives EPROTO. Layers above it: paging.h (whole
 * lists), mutate.h (mutations and their reconciliation), clientapi.c (the
 * struct cas_api vtable). Results (**out, **page) are new references the
 * caller releases with cas_obj_unref; on failure *out is left NULL. */
#ifndef CAS_OPS_H
#define CAS_OPS_H

#include "client.h"

#define CAS_MAX_TOTAL 1000000 /* a TotalCount above this is treated as hostile */
#define CAS_LIST_ATTEMPTS 3     /* fetches of one listing at most (2 refetches after drift) */
#define CAS_LIST_EXTRA_PAGES 2  /* pages beyond what TotalCount promised, at most */

struct cas_list_query {
	struct cas_list_filter filter;
	int64_t current_page; /* 0 = not sent */
	int64_t show_size;    /* 0 = not sent */
};

/* One ListInstances entry, decoded leniently (decode.h) into *out (zeroed
 * first; its strings are the caller's, freed with the list). 0 when the
 * entry has no id safe as a file name (logged), 1 otherwise. The snapshot
 * re-reads stored entries through it, so both see the same fields. */
struct cas_dec_tally;
int cas_instance_parse(const cJSON *it, struct cas_instance *out, struct cas_dec_tally *t);

int cas_list_instances(struct cas_client *c, const struct cas_list_query *q, struct cas_instances **page,
		       struct cas_error *e);
int cas_get_instance_detail(struct cas_client *c, const char *id, struct cas_doc **out, struct cas_error *e);
int cas_get_instance_summary(struct cas_client *c, const char *instance_type, struct cas_doc **out,
			     struct cas_error *e);
int cas_list_cloud_access(struct cas_client *c, int64_t current_page, int64_t show_size,
			  struct cas_entries **page, int64_t *total, struct cas_error *e);
int cas_get_ca_instance_status(struct cas_client *c, const char *instance_id, const char *identifier,
			       struct cas_entries **out, struct cas_error *e);

#endif
