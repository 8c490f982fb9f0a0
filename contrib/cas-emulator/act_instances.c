/* act_instances: ListInstances, GetInstanceDetail, GetInstanceSummary,
 * DeleteInstance and RefundInstance over the state (UpdateInstance is in
 * act_update.c). Business errors (codes are the emulator's choice; the real
 * ones are not documented, docs/PROTOCOL.md marks them OURS):
 *   404 InvalidInstanceId.NotFound          unknown InstanceId
 *   400 OperationDenied.RefundPeriodExpired more than 7 days after OrderStartTime
 *   400 OperationDenied.InstanceStatus      TEST, already refunded or closed */
#include <string.h>
#include <strings.h>

#include "actions.h"
#include "validate.h"

#define REFUND_WINDOW_MS (7 * 86400000LL)


static int field_is(const cJSON *obj, const char *key, const char *want, int icase)
{
	const char *v = emu_json_str(obj, key);
	return v && (icase ? strcasecmp(v, want) : strcmp(v, want)) == 0;
}

static int icontains(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

static int matches(const struct emu_inst *in, const struct cas_list_filter *f)
{
	const cJSON *o = in->obj;
	if (f->status && !field_is(o, "Status", f->status, 0))
		return 0;
	if (f->brand && !field_is(o, "Brand", f->brand, 1))
		return 0;
	if (f->cert_status && !field_is(o, "CertificateStatus", f->cert_status, 0))
		return 0;
	if (f->cert_type && !field_is(o, "CertificateType", f->cert_type, 0))
		return 0;
	if (f->instance_type && !field_is(o, "InstanceType", f->instance_type, 0))
		return 0;
	if (f->resource_group_id && !field_is(o, "ResourceGroupId", f->resource_group_id, 0))
		return 0;
	if (f->keyword && !icontains(emu_json_str(o, "Domain"), f->keyword) &&
	    !icontains(emu_json_str(o, "CertificateName"), f->keyword) && !icontains(in->key, f->keyword))
		return 0;
	return 1;
}

int emu_act_list_instances(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	struct cas_list_filter f = {
		.status = emu_param(p, "Status"),
		.brand = emu_param(p, "Brand"),
		.cert_status = emu_param(p, "CertificateStatus"),
		.cert_type = emu_param(p, "CertificateType"),
		.instance_type = emu_param(p, "InstanceType"),
		.keyword = emu_param(p, "Keyword"),
		.resource_group_id = emu_param(p, "ResourceGroupId"),
	};
	struct cas_error e = { 0 };
	int64_t page, size;
	int sent_page, sent_size;
	if (cas_validate_list_filter(&f, &e))
		return emu_fail_cas(r, &e);
	if (emu_page_params(p, 0, &page, &size, &sent_page, &sent_size, r))
		return -1;
	emu_state_drift(s, page);
	size = emu_listing_page_size(&s->listing, size);
	int64_t lie = emu_listing_total(&s->listing, -1);
	cJSON *body = cJSON_CreateObject();
	cJSON *list = cJSON_CreateArray();
	int64_t first = (page - 1) * size, total = 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->ninst; i++) {
		if (!matches(&s->inst[i], &f))
			continue;
		if (lie > 0 ? (page == 1 ? total < size : total == 0) : total >= first && total < first + size)
			cJSON_AddItemToArray(list, emu_instance_list_entry(s->inst[i].obj));
		total++;
	}
	pthread_rwlock_unlock(&s->lock);
	emu_listing_add_total(&s->listing, body, lie > 0 ? lie : total);
	cJSON_AddNumberToObject(body, "CurrentPage", (double)page);
	cJSON_AddNumberToObject(body, "ShowSize", (double)size);
	cJSON_AddItemToObject(body, "InstanceList", list);
	return emu_ok(r, body);
}

int emu_act_get_instance_detail(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *id;
	if (emu_require_instance_id(p, &id, r))
		return -1;
	pthread_rwlock_rdlock(&s->lock);
	ssize_t i = emu_state_find(s, id);
	cJSON *d = i >= 0 ? emu_instance_detail(s->inst[i].obj) : NULL;
	pthread_rwlock_unlock(&s->lock);
	if (!d)
		return emu_instance_not_found(r, id);
	return emu_ok(r, d);
}

int emu_act_get_instance_summary(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *type = emu_param(p, "InstanceType");
	struct cas_error e = { 0 };
	if (type && cas_validate_enum(CAS_ENUM_INSTANCE_TYPE, "InstanceType", type, &e))
		return emu_fail_cas(r, &e);
	long total = 0, inactive = 0, will = 0, reissue = 0, certs = 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->ninst; i++) {
		const cJSON *o = s->inst[i].obj;
		if (type && !field_is(o, "InstanceType", type, 0))
			continue;
		total++;
		inactive += field_is(o, "Status", "inactive", 0);
		will += field_is(o, "Status", "willExpire", 0);
		reissue += field_is(o, "AutoReissue", "enable", 0);
		certs += emu_json_str(o, "CertificateStatus") != NULL;
	}
	pthread_rwlock_unlock(&s->lock);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddNumberToObject(body, "TotalCount", (double)total);
	cJSON_AddNumberToObject(body, "InactiveCount", (double)inactive);
	cJSON_AddNumberToObject(body, "WillExpireCount", (double)will);
	cJSON_AddNumberToObject(body, "AutoReissueCount", (double)reissue);
	cJSON_AddNumberToObject(body, "CertificateCount", (double)certs);
	return emu_ok(r, body);
}

static int valid_client_token(const char *t)
{
	if (strlen(t) > 64)
		return 0;
	for (const unsigned char *c = (const unsigned char *)t; *c; c++)
		if (*c < 0x20 || *c >= 0x7F)
			return 0;
	return 1;
}

int emu_act_delete_instance(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *id, *token = emu_param(p, "ClientToken");
	if (emu_require_instance_id(p, &id, r))
		return -1;
	if (token && !valid_client_token(token))
		return emu_fail(r, 400, "InvalidParameter.ClientToken",
				"ClientToken must be at most 64 ASCII characters.");
	int64_t now = emu_now_ms();
	pthread_rwlock_wrlock(&s->lock);
	if (token && emu_token_seen(s, token, now)) {
		pthread_rwlock_unlock(&s->lock);
		return emu_ok(r, NULL); /* idempotent replay: nothing deleted twice */
	}
	ssize_t i = emu_state_find(s, id);
	if (i >= 0) {
		emu_state_remove(s, (size_t)i);
		if (token)
			emu_token_add(s, token, now);
	}
	pthread_rwlock_unlock(&s->lock);
	if (i < 0)
		return emu_instance_not_found(r, id);
	r->applied = 1;
	return emu_ok(r, NULL);
}

static int refund_check(const cJSON *o, int64_t now, struct emu_reply *r)
{
	int64_t start;
	if (!field_is(o, "InstanceType", "BUY", 0))
		return emu_fail(r, 400, "OperationDenied.InstanceStatus",
				"Only purchased (BUY) instances can be refunded; test certificates cannot.");
	if (field_is(o, "Status", "refund", 0))
		return emu_fail(r, 400, "OperationDenied.InstanceStatus", "The instance has already been refunded.");
	if (field_is(o, "Status", "closed", 0))
		return emu_fail(r, 400, "OperationDenied.InstanceStatus",
				"The instance is closed and cannot be refunded.");
	if (emu_json_i64(o, "OrderStartTime", &start) || now - start > REFUND_WINDOW_MS)
		return emu_fail(r, 400, "OperationDenied.RefundPeriodExpired",
				"The instance can only be refunded within 7 days of purchase.");
	return 0;
}

int emu_act_refund_instance(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *id;
	if (emu_require_instance_id(p, &id, r))
		return -1;
	int64_t now = emu_now_ms();
	int rc = 0;
	pthread_rwlock_wrlock(&s->lock);
	ssize_t i = emu_state_find(s, id);
	if (i < 0) {
		rc = emu_instance_not_found(r, id);
	} else if (!(rc = refund_check(s->inst[i].obj, now, r))) {
		cJSON *o = s->inst[i].obj;
		emu_json_set_str(o, "Status", "refund");
		if (emu_json_str(o, "CertificateStatus")) {
			emu_json_set_str(o, "CertificateStatus", "revoked");
			emu_json_set_i64(o, "CertificateRevokeTime", now);
		}
		r->applied = 1;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc ? rc : emu_ok(r, NULL);
}
