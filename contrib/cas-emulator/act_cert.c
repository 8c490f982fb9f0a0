/* act_cert: GetUserCertificateDetail (2020-04-07). CertId is an instance's
 * CertificateId; the leaf comes from pki.c, the descriptive fields from the
 * instance. CertFilter=true leaves out Cert, Key and the SM2 fields.
 * Errors (the codes are the emulator's choice; the real ones are not
 * documented):
 *   400 MissingParameter.CertId    no CertId
 *   400 InvalidParameter.CertId    not a positive integer
 *   404 InvalidCertId.NotFound     no issued or uploaded certificate has this CertId
 * Uploaded certificates are answered by act_store.c. */
#include <string.h>

#include "actions.h"
#include "pki.h"

static void copy_str(cJSON *body, const char *to, const cJSON *inst, const char *from)
{
	const char *v = emu_json_str(inst, from);
	cJSON_AddStringToObject(body, to, v ? v : "");
}

int emu_act_get_user_certificate_detail(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *cid = emu_param(p, "CertId"), *filter = emu_param(p, "CertFilter");
	int64_t want;
	if (!cid)
		return emu_fail(r, 400, "MissingParameter.CertId",
				"The input parameter \"CertId\" that is mandatory for processing this request is not "
				"supplied.");
	if (emu_parse_i64(cid, &want) || want <= 0)
		return emu_fail(r, 400, "InvalidParameter.CertId", "The parameter CertId is invalid (got \"%.32s\").",
				cid);
	int with_secrets = !(filter && strcmp(filter, "true") == 0);
	cJSON *body = cJSON_CreateObject();
	int found = 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->ninst && !found; i++) {
		const cJSON *o = s->inst[i].obj;
		int64_t id;
		if (emu_json_i64(o, "CertificateId", &id) || id != want)
			continue;
		if (emu_pki_issue(o, with_secrets, body) == 0) {
			found = 1;
			copy_str(body, "City", o, "City");
			copy_str(body, "Country", o, "CountryCode");
			copy_str(body, "InstanceId", o, "InstanceId");
			copy_str(body, "Issuer", o, "Brand");
			copy_str(body, "Name", o, "CertificateName");
			copy_str(body, "Province", o, "Province");
			copy_str(body, "ResourceGroupId", o, "ResourceGroupId");
			cJSON_AddStringToObject(body, "OrgName", "");
			cJSON_AddNumberToObject(body, "OrderId", (double)(want + 7000000000LL));
			const cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "Tags");
			cJSON_AddItemToObject(body, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
		}
	}
	pthread_rwlock_unlock(&s->lock);
	if (!found)
		found = emu_store_detail(s, want, with_secrets, body); /* an uploaded certificate */
	if (!found) {
		cJSON_Delete(body);
		return emu_fail(r, 404, "InvalidCertId.NotFound", "The specified certificate \"%.32s\" does not exist.",
				cid);
	}
	return emu_ok(r, body);
}
