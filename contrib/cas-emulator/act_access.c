/* act_access: ListCloudAccess, AddCloudAccess, DeleteCloudAccess (the
 * multi-cloud keys; SecretKey is kept only as a SHA-256 and never returned)
 * and GetCAInstanceStatus (private CAs, API version 2020-06-30). */
#include <string.h>

#include "actions.h"
#include "validate.h"

int emu_act_list_cloud_access(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *cloud = emu_param(p, "CloudName"), *sid = emu_param(p, "SecretId");
	int64_t page, size;
	int sent_page, sent_size;
	if (emu_page_params(p, 1, &page, &size, &sent_page, &sent_size, r))
		return -1;
	size = emu_listing_page_size(&s->listing, size);
	cJSON *list = cJSON_CreateArray();
	int64_t first = (page - 1) * size, total = 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->nacc; i++) {
		const cJSON *o = s->acc[i].obj;
		const char *c = emu_json_str(o, "CloudName"), *k = emu_json_str(o, "SecretId");
		if ((cloud && (!c || strcmp(c, cloud))) || (sid && (!k || strcmp(k, sid))))
			continue;
		if (total >= first && total < first + size)
			cJSON_AddItemToArray(list, cJSON_Duplicate(o, 1));
		total++;
	}
	pthread_rwlock_unlock(&s->lock);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddNumberToObject(body, "TotalCount", (double)total);
	if (sent_page)
		cJSON_AddNumberToObject(body, "CurrentPage", (double)page);
	if (sent_size)
		cJSON_AddNumberToObject(body, "ShowSize", (double)size);
	cJSON_AddItemToObject(body, "CloudAccessList", list);
	return emu_ok(r, body);
}

int emu_act_add_cloud_access(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	struct cas_access_new n = {
		.cloud_name = cas_params_get(p, "CloudName"),
		.secret_id = cas_params_get(p, "SecretId"),
		.secret_key = cas_params_get(p, "SecretKey"),
	};
	struct cas_error e = { 0 };
	if (cas_validate_access_new(&n, &e) || cas_validate_enum(CAS_ENUM_CLOUD_NAME, "CloudName", n.cloud_name, &e))
		return emu_fail_cas(r, &e);
	pthread_rwlock_wrlock(&s->lock);
	emu_access_add(s, n.cloud_name, n.secret_id, n.secret_key);
	pthread_rwlock_unlock(&s->lock);
	r->applied = 1;
	return emu_ok(r, NULL);
}

int emu_act_delete_cloud_access(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *v = emu_param(p, "AccessId");
	int64_t id;
	if (!v)
		return emu_fail(r, 400, "MissingParameter.AccessId",
				"The input parameter \"AccessId\" that is mandatory for processing this request is "
				"not supplied.");
	if (emu_parse_i64(v, &id) || id <= 0)
		return emu_fail(r, 400, "InvalidParameter.AccessId", "AccessId must be a positive integer (got \"%.32s\").",
				v);
	pthread_rwlock_wrlock(&s->lock);
	ssize_t i = emu_access_find(s, id);
	if (i >= 0)
		emu_access_remove(s, (size_t)i);
	pthread_rwlock_unlock(&s->lock);
	if (i < 0)
		return emu_fail(r, 404, "InvalidAccessId.NotFound", "The specified AccessId %lld does not exist.",
				(long long)id);
	r->applied = 1;
	return emu_ok(r, NULL);
}

int emu_act_get_ca_instance_status(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *id = emu_param(p, "InstanceId"), *ident = emu_param(p, "Identifier");
	cJSON *list = cJSON_CreateArray();
	pthread_rwlock_rdlock(&s->lock);
	const cJSON *o;
	cJSON_ArrayForEach(o, s->cas)
	{
		const char *i = emu_json_str(o, "InstanceId"), *d = emu_json_str(o, "Identifier");
		if ((id && (!i || strcmp(i, id))) || (ident && (!d || strcmp(d, ident))))
			continue;
		cJSON_AddItemToArray(list, cJSON_Duplicate(o, 1));
	}
	pthread_rwlock_unlock(&s->lock);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "InstanceStatusList", list);
	return emu_ok(r, body);
}
