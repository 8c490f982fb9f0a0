/* actions: dispatch table of the actions and the parameter helpers they
 * share (see actions.h). */
#include "actions.h"

#include <string.h>

#include "validate.h"

static const struct emu_action table[] = {
	{ CAS_LIST_INSTANCES, emu_act_list_instances },
	{ CAS_GET_INSTANCE_DETAIL, emu_act_get_instance_detail },
	{ CAS_GET_INSTANCE_SUMMARY, emu_act_get_instance_summary },
	{ CAS_UPDATE_INSTANCE, emu_act_update_instance },
	{ CAS_DELETE_INSTANCE, emu_act_delete_instance },
	{ CAS_REFUND_INSTANCE, emu_act_refund_instance },
	{ CAS_LIST_CLOUD_ACCESS, emu_act_list_cloud_access },
	{ CAS_ADD_CLOUD_ACCESS, emu_act_add_cloud_access },
	{ CAS_DELETE_CLOUD_ACCESS, emu_act_delete_cloud_access },
	{ CAS_GET_CA_INSTANCE_STATUS, emu_act_get_ca_instance_status },
	{ CAS_GET_USER_CERTIFICATE_DETAIL, emu_act_get_user_certificate_detail },
	{ CAS_LIST_USER_CERTIFICATE_ORDER, emu_act_list_user_certificate_order },
	{ CAS_LIST_CERTIFICATES, emu_act_list_certificates },
	{ CAS_UPLOAD_USER_CERTIFICATE, emu_act_upload_user_certificate },
	{ CAS_DELETE_USER_CERTIFICATE, emu_act_delete_user_certificate },
};

const struct emu_action *emu_action_find(const char *name, const char *version)
{
	if (!name || !version)
		return NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct cas_action_info *info = &cas_actions[table[i].id];
		if (strcmp(info->name, name) == 0 && strcmp(info->version, version) == 0)
			return &table[i];
	}
	return NULL;
}

const char *emu_param(const struct cas_params *p, const char *key)
{
	const char *v = cas_params_get(p, key);
	return v && *v ? v : NULL;
}

static int int_param(const struct cas_params *p, const char *key, int64_t dflt, int64_t *out, int *sent,
		     struct emu_reply *r)
{
	const char *v = emu_param(p, key);
	*sent = v != NULL;
	*out = dflt;
	if (v && emu_parse_i64(v, out))
		return emu_fail(r, 400, key[0] == 'S' ? "InvalidParameter.ShowSize" : "InvalidParameter.CurrentPage",
				"%s must be an integer (got \"%.32s\")", key, v);
	return 0;
}

int emu_page_params(const struct cas_params *p, int cloud_access, int64_t *page, int64_t *size, int *sent_page,
		    int *sent_size, struct emu_reply *r)
{
	struct cas_error e = { 0 };
	if (int_param(p, "CurrentPage", 1, page, sent_page, r) || int_param(p, "ShowSize", 10, size, sent_size, r))
		return -1;
	if (cas_validate_current_page(*page, &e) || cas_validate_show_size(*size, cloud_access, &e))
		return emu_fail_cas(r, &e);
	return 0;
}

int emu_require_instance_id(const struct cas_params *p, const char **id, struct emu_reply *r)
{
	*id = emu_param(p, "InstanceId");
	if (!*id)
		return emu_fail(r, 400, "MissingParameter.InstanceId",
				"The input parameter \"InstanceId\" that is mandatory for processing this request is "
				"not supplied.");
	return 0;
}

int emu_instance_not_found(struct emu_reply *r, const char *id)
{
	return emu_fail(r, 404, "InvalidInstanceId.NotFound", "The specified instance \"%.200s\" does not exist.", id);
}

static const char *const list_fields[] = {
	"AutoReissue",	     "Brand",		  "CertIdentifier",	   "CertificateDomain",
	"CertificateId",     "CertificateName",	  "CertificateNotAfter",   "CertificateNotBefore",
	"CertificateRevokeTime", "CertificateStatus", "CertificateType",   "Domain",
	"FullDomainCount",   "InstanceEndTime",	  "InstanceId",		   "InstanceStartTime",
	"InstanceType",	     "KeyAlgorithm",	  "OrderEndTime",	   "OrderStartTime",
	"PendingResult",     "ResourceGroupId",	  "Spec",		   "Status",
	"UsingProductList",  "WildcardDomainCount",
};

cJSON *emu_instance_list_entry(const cJSON *obj)
{
	cJSON *e = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof(list_fields) / sizeof(list_fields[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, list_fields[i]);
		if (v)
			cJSON_AddItemToObject(e, list_fields[i], cJSON_Duplicate(v, 1));
	}
	return e;
}

cJSON *emu_instance_detail(const cJSON *obj)
{
	cJSON *d = cJSON_CreateObject();
	for (const cJSON *v = obj ? obj->child : NULL; v; v = v->next)
		if (v->string && strcmp(v->string, "CertificateDomain") != 0)
			cJSON_AddItemToObject(d, v->string, cJSON_Duplicate(v, 1));
	return d;
}
