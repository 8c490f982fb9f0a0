/* mutate: the five mutating operations over a cas_client. Each is sent
 * again only when it certainly did not run; after an ambiguous failure the
 * state is read back to learn whether it was applied. When even that read
 * fails the result is EIO with e->ambiguous set and a message saying the
 * change may have been applied. */
#ifndef CAS_MUTATE_H
#define CAS_MUTATE_H

#include "client.h"

int cas_update_instance(struct cas_client *c, const struct cas_update *u, struct cas_error *e);
/* Sends a fresh ClientToken (the service's own idempotency key). */
int cas_delete_instance(struct cas_client *c, const char *id, struct cas_error *e);
int cas_refund_instance(struct cas_client *c, const char *id, struct cas_error *e);
/* AddCloudAccess returns no id: success is confirmed by listing. */
int cas_add_cloud_access(struct cas_client *c, const struct cas_access_new *n, struct cas_error *e);
int cas_delete_cloud_access(struct cas_client *c, const char *access_id, struct cas_error *e);

#endif
