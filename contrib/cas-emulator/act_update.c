/* act_update: UpdateInstance. Turns the flattened query (ContactIdList.N,
 * Tags.N.TagKey/TagValue, ...) into a struct cas_update, validates it with
 * proto/validate against the instance's current KeyAlgorithm and Csr, and
 * applies it. Unknown parameters are ignored, as the gateway does. Tags
 * replace the whole set; "Tags=" (or "Tags=[]") clears it, which the
 * flattened form cannot otherwise express. A Csr implies GenerateCsrMethod
 * upload, and when Domain is given as well the CSR's CN wins (docs/PROTOCOL.md §4). */
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "buf.h"
#include "csrgen.h"
#include "data.h"
#include "update.h"
#include "validate.h"

#define MAX_LIST_INDEX 1000

static char *dup_param(const struct cas_params *p, const char *key)
{
	const char *v = cas_params_get(p, key);
	return v ? cas_xstrdup(v) : NULL;
}

/* "Base.N" or "Base.N.Field": N (1..MAX_LIST_INDEX) and the rest, or 0. */
static long list_index(const char *key, const char *base, const char **rest)
{
	size_t bl = strlen(base);
	if (strncmp(key, base, bl) != 0 || key[bl] != '.')
		return 0;
	char *end = NULL;
	const char *num = key + bl + 1;
	if (*num < '1' || *num > '9')
		return 0;
	long n = strtol(num, &end, 10);
	if (n < 1 || n > MAX_LIST_INDEX)
		return 0;
	*rest = end;
	return n;
}

static int parse_contacts(const struct cas_params *p, struct cas_update *u, struct emu_reply *r)
{
	int64_t *byn = NULL;
	char *set = NULL;
	long maxn = 0;
	for (size_t i = 0; i < p->n; i++) {
		const char *rest;
		long n = list_index(p->v[i].key, "ContactIdList", &rest);
		if (!n || *rest)
			continue;
		if (!byn) {
			byn = cas_xcalloc(MAX_LIST_INDEX + 1, sizeof(*byn));
			set = cas_xcalloc(MAX_LIST_INDEX + 1, 1);
		}
		if (emu_parse_i64(p->v[i].val, &byn[n])) {
			free(byn);
			free(set);
			return emu_fail(r, 400, "InvalidParameter.ContactIdList",
					"ContactIdList.%ld must be an integer contact id.", n);
		}
		set[n] = 1;
		maxn = n > maxn ? n : maxn;
	}
	if (byn) {
		u->has_contacts = 1;
		u->contact_ids = cas_xcalloc((size_t)maxn, sizeof(int64_t));
		for (long n = 1; n <= maxn; n++)
			if (set[n])
				u->contact_ids[u->ncontacts++] = byn[n];
	}
	free(byn);
	free(set);
	return 0;
}

static void parse_tags(const struct cas_params *p, struct cas_update *u)
{
	const char *all = cas_params_get(p, "Tags");
	if (all && (!*all || strcmp(all, "[]") == 0))
		u->has_tags = 1;
	struct cas_tag *byn = NULL;
	long maxn = 0;
	for (size_t i = 0; i < p->n; i++) {
		const char *rest;
		long n = list_index(p->v[i].key, "Tags", &rest);
		int is_key = n && strcmp(rest, ".TagKey") == 0, is_val = n && strcmp(rest, ".TagValue") == 0;
		if (!is_key && !is_val)
			continue;
		if (!byn)
			byn = cas_xcalloc(MAX_LIST_INDEX + 1, sizeof(*byn));
		char **slot = is_key ? &byn[n].key : &byn[n].value;
		free(*slot);
		*slot = cas_xstrdup(p->v[i].val);
		maxn = n > maxn ? n : maxn;
	}
	if (!byn)
		return;
	u->has_tags = 1;
	u->tags = cas_xcalloc((size_t)maxn, sizeof(*u->tags));
	for (long n = 1; n <= maxn; n++)
		if (byn[n].key || byn[n].value)
			u->tags[u->ntags++] = byn[n];
	free(byn);
}

static int parse_update(const struct cas_params *p, struct cas_update *u, struct emu_reply *r)
{
	u->instance_id = dup_param(p, "InstanceId");
	cas_update_strings_from_params(p, u);
	const char *company = cas_params_get(p, "CompanyId");
	if (company) {
		u->has_company_id = 1;
		if (emu_parse_i64(company, &u->company_id))
			return emu_fail(r, 400, "InvalidParameter.CompanyId", "CompanyId must be an integer.");
	}
	if (parse_contacts(p, u, r))
		return -1;
	parse_tags(p, u);
	return 0;
}

static void set_domain(cJSON *o, const char *domain)
{
	int full, wild;
	emu_domain_counts(domain, &full, &wild);
	emu_json_set_str(o, "Domain", domain);
	emu_json_set_i64(o, "FullDomainCount", full);
	emu_json_set_i64(o, "WildcardDomainCount", wild);
}

static void apply_update(cJSON *o, const struct cas_update *u)
{
	const struct {
		const char *key;
		const char *val;
	} strs[] = {
		{ "AutoReissue", u->auto_reissue },	{ "CertificateName", u->certificate_name },
		{ "City", u->city },			{ "CountryCode", u->country_code },
		{ "GenerateCsrMethod", u->generate_csr_method }, { "KeyAlgorithm", u->key_algorithm },
		{ "Province", u->province },		{ "ResourceGroupId", u->resource_group_id },
		{ "ValidationMethod", u->validation_method },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i].val)
			emu_json_set_str(o, strs[i].key, strs[i].val);
	if (u->domain)
		set_domain(o, u->domain);
	if (u->csr) {
		emu_json_set_str(o, "Csr", u->csr);
		if (*u->csr) {
			emu_json_set_str(o, "GenerateCsrMethod", "upload");
			char *cn = u->domain ? emu_csr_common_name(u->csr) : NULL;
			if (cn && *cn)
				set_domain(o, cn);
			free(cn);
		}
	}
	if (u->has_company_id)
		emu_json_set_i64(o, "CompanyId", u->company_id);
	if (u->has_contacts) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < u->ncontacts; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)u->contact_ids[i]));
		emu_json_set(o, "ContactIdList", a);
	}
	if (u->has_tags) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < u->ntags; i++) {
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "TagKey", u->tags[i].key ? u->tags[i].key : "");
			cJSON_AddStringToObject(t, "TagValue", u->tags[i].value ? u->tags[i].value : "");
			cJSON_AddItemToArray(a, t);
		}
		emu_json_set(o, "Tags", a);
	}
}

int emu_act_update_instance(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *id;
	struct cas_update u = { 0 };
	struct cas_error e = { 0 };
	int rc = -1;
	if (emu_require_instance_id(p, &id, r) || parse_update(p, &u, r))
		goto out;
	pthread_rwlock_wrlock(&s->lock);
	ssize_t i = emu_state_find(s, id);
	if (i < 0) {
		emu_instance_not_found(r, id);
	} else {
		cJSON *o = s->inst[i].obj;
		if (cas_validate_update(&u, emu_json_str(o, "KeyAlgorithm"), emu_json_str(o, "Csr"), &e)) {
			emu_fail_cas(r, &e);
		} else {
			apply_update(o, &u);
			r->applied = 1;
			rc = emu_ok(r, NULL);
		}
	}
	pthread_rwlock_unlock(&s->lock);
out:
	cas_update_free(&u);
	return rc;
}
