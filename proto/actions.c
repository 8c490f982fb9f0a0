/* actions: the table of the operations: wire name, API version, and how
 * the client may retry and rate-limit each. */
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
	/* the certificate store (docs/PROTOCOL.md §14); ListUserCertificateOrder
	 * has its own documented 10 QPS, so it shares the 10 QPS bucket */
	[CAS_LIST_USER_CERTIFICATE_ORDER] = { "ListUserCertificateOrder", "2020-04-07", 0, 1 },
	[CAS_LIST_CERTIFICATES] = { "ListCertificates", "2020-04-07", 0, 0 },
	[CAS_UPLOAD_USER_CERTIFICATE] = { "UploadUserCertificate", "2020-04-07", 1, 0 },
	[CAS_DELETE_USER_CERTIFICATE] = { "DeleteUserCertificate", "2020-04-07", 1, 0 },
};

int cas_action_by_name(const char *name)
{
	for (int i = 0; i < CAS_NACTIONS; i++)
		if (name && strcmp(cas_actions[i].name, name) == 0)
			return i;
	return -1;
}
