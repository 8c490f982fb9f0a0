/* actions: the table of the eleven operations: wire name, API version, and how
 * the client may retry and rate-limit each. */
#include <stdlib.h>
#include <string.h>

#include "cas.h"

const struct cas_action_info cas_actions[CAS_NACTIONS] = {
	[CAS_LIST_INSTANCES] = { "ListInstances", "2020-04-07", 0, 0 },
	[CAS_GET_INSTANCE_DETAIL] = { "GetInstanceDetail", "2020-04-07", 0, 0 },
	[CAS_GET_INSTANCE_SUMMARY] = { "GetInstanceSummary", "2020-04-07", 0, 0 },
	[CAS_UPDATE_INSTANCE] = { "UpdateInstance", "2020-04-07", 1, 0 },
	[CAS_DELETE_INSTANCE] = { "DeleteInstance", "2020-04-07", 1, 0 },
	[CAS_REFUND_INSTANCE] = { "RefundInstance", "2020-04-07", 1, 0 },
	[CAS_LIST_CLOUD_ACCESS] = { "ListCloudAccess", "2020-04-07", 0, 0 },
	[CAS_ADD_CLOUD_ACCESS] = { "AddCloudAccess", "2020-04-07", 1, 0 },
	[CAS_DELETE_CLOUD_ACCESS] = { "DeleteCloudAccess", "2020-04-07", 1, 0 },
	[CAS_GET_CA_INSTANCE_STATUS] = { "GetCAInstanceStatus", "2020-06-30", 0, 1 },
	[CAS_GET_USER_CERTIFICATE_DETAIL] = { "GetUserCertificateDetail", "2020-04-07", 0, 0 },
};

int cas_action_by_name(const char *name)
{
	for (int i = 0; i < CAS_NACTIONS; i++)
		if (name && strcmp(cas_actions[i].name, name) == 0)
			return i;
	return -1;
}

void cas_update_free(struct cas_update *u)
{
	char **strs[] = { &u->instance_id, &u->auto_reissue, &u->certificate_name, &u->city,
			  &u->country_code, &u->csr, &u->domain, &u->generate_csr_method,
			  &u->key_algorithm, &u->province, &u->resource_group_id, &u->validation_method };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	free(u->contact_ids);
	for (size_t i = 0; i < u->ntags; i++) {
		free(u->tags[i].key);
		free(u->tags[i].value);
	}
	free(u->tags);
	memset(u, 0, sizeof(*u));
}
