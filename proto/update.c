/* update: UpdateInstance fields, config JSON, diff and flattening (see update.h). */
#include "update.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decode.h"
#include "update_test.h"

enum ftype { F_STR, F_I64, F_I64_LIST, F_TAGS };

struct field {
	const char *name;
	enum ftype type;
	size_t off; /* of the char * for F_STR */
};

#define S(n, m) { n, F_STR, offsetof(struct cas_update, m) }
static const struct field fields[CAS_UPDATE_NFIELDS] = {
	S("AutoReissue", auto_reissue),
	S("CertificateName", certificate_name),
	S("City", city),
	{ "CompanyId", F_I64, 0 },
	{ "ContactIdList", F_I64_LIST, 0 },
	S("CountryCode", country_code),
	S("Csr", csr),
	S("Domain", domain),
	S("GenerateCsrMethod", generate_csr_method),
	S("KeyAlgorithm", key_algorithm),
	S("Province", province),
	S("ResourceGroupId", resource_group_id),
	{ "Tags", F_TAGS, 0 },
	S("ValidationMethod", validation_method),
};
#undef S

const char *const cas_update_fields[CAS_UPDATE_NFIELDS] = {
	"AutoReissue", "CertificateName", "City",    "CompanyId",         "ContactIdList",
	"CountryCode", "Csr",             "Domain",  "GenerateCsrMethod", "KeyAlgorithm",
	"Province",    "ResourceGroupId", "Tags",    "ValidationMethod",
};

static char **str_slot(struct cas_update *u, const struct field *f)
{
	return (char **)((char *)u + f->off);
}

static char *const *cstr_slot(const struct cas_update *u, const struct field *f)
{
	return (char *const *)((const char *)u + f->off);
}

void cas_update_free(struct cas_update *u)
{
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++)
		if (fields[i].type == F_STR)
			free(*str_slot(u, &fields[i]));
	free(u->instance_id);
	free(u->contact_ids);
	for (size_t i = 0; i < u->ntags; i++) {
		free(u->tags[i].key);
		free(u->tags[i].value);
	}
	free(u->tags);
	memset(u, 0, sizeof(*u));
}

void cas_update_strings_from_params(const struct cas_params *p, struct cas_update *u)
{
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		const char *v = fields[i].type == F_STR ? cas_params_get(p, fields[i].name) : NULL;
		if (v) {
			free(*str_slot(u, &fields[i]));
			*str_slot(u, &fields[i]) = cas_xstrdup(v);
		}
	}
}

static const struct field *find_field(const char *name)
{
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

int cas_update_set_str(struct cas_update *u, const char *field, const char *v)
{
	const struct field *f = find_field(field);
	if (!f || f->type != F_STR)
		return -EINVAL;
	free(*str_slot(u, f));
	*str_slot(u, f) = cas_xstrdup(v);
	return 0;
}

static int integral(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return 0;
	double d = v->valuedouble;
	if (d != floor(d) || fabs(d) > 9007199254740992.0)
		return 0;
	*out = (int64_t)d;
	return 1;
}

static int type_error(struct cas_error *e, const char *field, const char *want)
{
	char code[96];
	snprintf(code, sizeof(code), "InvalidParameter.%s", field);
	return cas_error_set(e, EINVAL, code, "%s must be %s", field, want);
}

static int parse_tags(const cJSON *v, struct cas_update *u, struct cas_error *e)
{
	if (!cJSON_IsArray(v))
		return type_error(e, "Tags", "an array of {\"TagKey\": string, \"TagValue\": string}");
	size_t n = (size_t)cJSON_GetArraySize(v);
	u->tags = cas_xcalloc(n ? n : 1, sizeof(*u->tags));
	u->has_tags = 1;
	const cJSON *t;
	cJSON_ArrayForEach(t, v)
	{
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "TagKey");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(t, "TagValue");
		if (!cJSON_IsObject(t) || !cJSON_IsString(k) || (val && !cJSON_IsString(val) && !cJSON_IsNull(val)))
			return type_error(e, "Tags", "an array of {\"TagKey\": string, \"TagValue\": string}");
		for (const cJSON *m = t->child; m; m = m->next) {
			if (strcmp(m->string, "TagKey") != 0 && strcmp(m->string, "TagValue") != 0)
				return cas_error_set(e, EINVAL, "InvalidParameter.Tags",
						     "unknown key \"%.64s\" in a tag (only TagKey and TagValue)", m->string);
			for (const cJSON *p = t->child; p != m; p = p->next)
				if (strcmp(p->string, m->string) == 0)
					return cas_error_set(e, EINVAL, "InvalidParameter.Tags",
							     "%s is given more than once in a tag", m->string);
		}
		u->tags[u->ntags].key = cas_xstrdup(k->valuestring);
		u->tags[u->ntags].value = cas_xstrdup(cJSON_IsString(val) ? val->valuestring : "");
		u->ntags++;
	}
	return 0;
}

int cas_update_from_json(const cJSON *obj, struct cas_update *u, struct cas_error *e)
{
	if (!cJSON_IsObject(obj))
		return cas_error_set(e, EINVAL, "Local.Config", "config must be a JSON object");
	for (const cJSON *m = obj->child; m; m = m->next) {
		const struct field *f = find_field(m->string);
		if (!f) {
			struct cas_buf names = CAS_BUF_INIT;
			for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++)
				cas_buf_addf(&names, "%s%s", i ? ", " : "", fields[i].name);
			int rc = cas_error_set(e, EINVAL, "Local.Config", "unknown field \"%.64s\"; writable fields: %s",
					       m->string, names.p);
			cas_buf_free(&names);
			return rc;
		}
		for (const cJSON *p = obj->child; p != m; p = p->next)
			if (strcmp(p->string, m->string) == 0)
				return cas_error_set(e, EINVAL, "Local.Config", "field \"%s\" is given more than once",
						     m->string);
		if (cJSON_IsNull(m))
			continue;
		int rc = 0;
		switch (f->type) {
		case F_STR:
			if (!cJSON_IsString(m))
				return type_error(e, f->name, "a string");
			free(*str_slot(u, f));
			*str_slot(u, f) = cas_xstrdup(m->valuestring);
			break;
		case F_I64:
			if (!integral(m, &u->company_id))
				return type_error(e, f->name, "an integer");
			u->has_company_id = 1;
			break;
		case F_I64_LIST: {
			if (!cJSON_IsArray(m))
				return type_error(e, f->name, "an array of integers");
			size_t n = (size_t)cJSON_GetArraySize(m);
			free(u->contact_ids);
			u->contact_ids = cas_xcalloc(n ? n : 1, sizeof(int64_t));
			u->ncontacts = 0;
			u->has_contacts = 1;
			const cJSON *it;
			cJSON_ArrayForEach(it, m)
			{
				if (!integral(it, &u->contact_ids[u->ncontacts++]))
					return type_error(e, f->name, "an array of integers");
			}
			break;
		}
		case F_TAGS:
			if (u->has_tags)
				return type_error(e, f->name, "given once");
			rc = parse_tags(m, u, e);
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Values of the detail come from the service and are read leniently
 * (decode.h): "47305" is the integer 47305, "" and null are absent. */
static int detail_int(const cJSON *v, int64_t *out)
{
	return cas_dec_int_value(v, out) == CAS_DEC_OK;
}

/* A detail list with an element that is not an integer is shown as null
 * rather than as something that could not be written back. */
static cJSON *int_list(const cJSON *v)
{
	int64_t n;
	const cJSON *it;
	if (!cJSON_IsArray(v))
		return NULL;
	cJSON *out = cJSON_CreateArray();
	cJSON_ArrayForEach(it, v)
	{
		if (!detail_int(it, &n)) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddItemToArray(out, cJSON_CreateNumber((double)n));
	}
	return out;
}

static cJSON *tag_list(const cJSON *v)
{
	const cJSON *t;
	if (!cJSON_IsArray(v))
		return NULL;
	cJSON *out = cJSON_CreateArray();
	cJSON_ArrayForEach(t, v)
	{
		char *k = NULL, *val = NULL;
		if (!cJSON_IsObject(t) || cas_dec_str(t, "TagKey", &k) != CAS_DEC_OK ||
		    cas_dec_str(t, "TagValue", &val) == CAS_DEC_BAD) {
			free(k);
			cJSON_Delete(out);
			return NULL;
		}
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "TagKey", k);
		cJSON_AddStringToObject(o, "TagValue", val ? val : "");
		cJSON_AddItemToArray(out, o);
		free(k);
		free(val);
	}
	return out;
}

cJSON *cas_update_config_json(const cJSON *detail)
{
	cJSON *cfg = cJSON_CreateObject();
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		const struct field *f = &fields[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(detail, f->name);
		cJSON *out = NULL;
		int64_t n;
		char *s = NULL;
		switch (f->type) {
		case F_STR:
			if (cas_dec_str_value(v, &s) == CAS_DEC_OK)
				out = cJSON_CreateString(s);
			free(s);
			break;
		case F_I64: out = detail_int(v, &n) ? cJSON_CreateNumber((double)n) : NULL; break;
		case F_I64_LIST: out = int_list(v); break;
		case F_TAGS: out = tag_list(v); break;
		}
		cJSON_AddItemToObject(cfg, f->name, out ? out : cJSON_CreateNull());
	}
	return cfg;
}

static int str_differs(const struct field *f, const char *want, const cJSON *have)
{
	char *h = NULL;
	if (cas_dec_str_value(have, &h) != CAS_DEC_OK)
		return 1;
	int differ;
	if (strcmp(f->name, "Csr") == 0) {
		size_t a = cas_trim_len(want, strlen(want), CAS_BLANKS), b = cas_trim_len(h, strlen(h), CAS_BLANKS);
		differ = a != b || memcmp(want, h, a) != 0;
	} else {
		differ = strcmp(want, h) != 0;
	}
	free(h);
	return differ;
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int contacts_differ(const struct cas_update *u, const cJSON *have)
{
	if (!cJSON_IsArray(have) || (size_t)cJSON_GetArraySize(have) != u->ncontacts)
		return 1;
	int64_t *a = cas_xmalloc((u->ncontacts + 1) * sizeof(int64_t)), *b = cas_xmalloc((u->ncontacts + 1) * sizeof(int64_t));
	size_t i = 0;
	const cJSON *it;
	int differ = 0;
	cJSON_ArrayForEach(it, have)
	{
		if (!detail_int(it, &b[i++]))
			differ = 1;
	}
	if (u->ncontacts)
		memcpy(a, u->contact_ids, u->ncontacts * sizeof(int64_t));
	qsort(a, u->ncontacts, sizeof(int64_t), i64_cmp);
	qsort(b, u->ncontacts, sizeof(int64_t), i64_cmp);
	differ = differ || memcmp(a, b, u->ncontacts * sizeof(int64_t)) != 0;
	free(a);
	free(b);
	return differ;
}

static int tag_in_update(const struct cas_update *u, const char *k, const char *v)
{
	for (size_t i = 0; i < u->ntags; i++)
		if (strcmp(u->tags[i].key, k) == 0 && strcmp(u->tags[i].value, v) == 0)
			return 1;
	return 0;
}

static int tag_in_json(const cJSON *have, const char *k, const char *v)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, have)
	{
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(t, "TagKey");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(t, "TagValue");
		if (cJSON_IsString(key) && strcmp(key->valuestring, k) == 0 &&
		    strcmp(cJSON_IsString(val) ? val->valuestring : "", v) == 0)
			return 1;
	}
	return 0;
}

/* Tag sets are equal when each side's every tag is in the other and the
 * sizes match (so duplicates on one side cannot hide a missing tag). */
static int tags_differ_clean(const struct cas_update *u, const cJSON *have);

/* The detail's tags are compared as read leniently (tag_list). */
static int tags_differ(const struct cas_update *u, const cJSON *raw)
{
	cJSON *have = tag_list(raw);
	int differ = have ? tags_differ_clean(u, have) : u->ntags != 0 || cJSON_GetArraySize(raw) != 0;
	cJSON_Delete(have);
	return differ;
}

static int tags_differ_clean(const struct cas_update *u, const cJSON *have)
{
	size_t n = cJSON_IsArray(have) ? (size_t)cJSON_GetArraySize(have) : 0;
	if (n != u->ntags)
		return 1;
	for (size_t i = 0; i < u->ntags; i++)
		if (!tag_in_json(have, u->tags[i].key, u->tags[i].value))
			return 1;
	const cJSON *t;
	cJSON_ArrayForEach(t, have)
	{
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(t, "TagKey");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(t, "TagValue");
		if (!cJSON_IsString(key) || !tag_in_update(u, key->valuestring, cJSON_IsString(val) ? val->valuestring : ""))
			return 1;
	}
	return 0;
}

static void copy_tags(struct cas_update *dst, const struct cas_update *src)
{
	dst->has_tags = 1;
	dst->ntags = src->ntags;
	dst->tags = cas_xcalloc(src->ntags ? src->ntags : 1, sizeof(*dst->tags));
	for (size_t i = 0; i < src->ntags; i++) {
		dst->tags[i].key = cas_xstrdup(src->tags[i].key);
		dst->tags[i].value = cas_xstrdup(src->tags[i].value);
	}
}

static void copy_contacts(struct cas_update *dst, const struct cas_update *src)
{
	dst->has_contacts = 1;
	dst->ncontacts = src->ncontacts;
	dst->contact_ids = cas_xmalloc((src->ncontacts + 1) * sizeof(int64_t));
	if (src->ncontacts)
		memcpy(dst->contact_ids, src->contact_ids, src->ncontacts * sizeof(int64_t));
}

int cas_update_diff(const struct cas_update *want, const cJSON *detail, struct cas_update *diff)
{
	memset(diff, 0, sizeof(*diff));
	diff->instance_id = want->instance_id ? cas_xstrdup(want->instance_id) : NULL;
	int n = 0;
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		const struct field *f = &fields[i];
		const cJSON *have = cJSON_GetObjectItemCaseSensitive(detail, f->name);
		int64_t cur;
		switch (f->type) {
		case F_STR: {
			const char *w = *cstr_slot(want, f);
			if (w && str_differs(f, w, have)) {
				*str_slot(diff, f) = cas_xstrdup(w);
				n++;
			}
			break;
		}
		case F_I64:
			if (want->has_company_id && (!detail_int(have, &cur) || cur != want->company_id)) {
				diff->has_company_id = 1;
				diff->company_id = want->company_id;
				n++;
			}
			break;
		case F_I64_LIST:
			if (want->has_contacts && contacts_differ(want, have)) {
				copy_contacts(diff, want);
				n++;
			}
			break;
		case F_TAGS:
			if (want->has_tags && tags_differ(want, have)) {
				copy_tags(diff, want);
				n++;
			}
			break;
		}
	}
	if (diff->csr && !diff->generate_csr_method && !want->generate_csr_method) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(detail, "GenerateCsrMethod");
		if (!cJSON_IsString(m) || strcmp(m->valuestring, "upload") != 0) {
			diff->generate_csr_method = cas_xstrdup("upload");
			n++;
		}
	}
	return n;
}

int cas_update_count(const struct cas_update *u)
{
	int n = u->has_company_id + u->has_contacts + u->has_tags;
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++)
		if (fields[i].type == F_STR && *cstr_slot(u, &fields[i]))
			n++;
	return n;
}

void cas_update_to_params(const struct cas_update *u, struct cas_params *p)
{
	cas_params_set(p, "InstanceId", u->instance_id);
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		const struct field *f = &fields[i];
		switch (f->type) {
		case F_STR:
			if (*cstr_slot(u, f))
				cas_params_set(p, f->name, *cstr_slot(u, f));
			break;
		case F_I64:
			if (u->has_company_id)
				cas_params_set_i64(p, f->name, u->company_id);
			break;
		case F_I64_LIST:
			if (u->has_contacts)
				cas_params_set_i64_list(p, f->name, u->contact_ids, u->ncontacts);
			break;
		case F_TAGS:
			if (u->has_tags)
				cas_params_set_tags(p, f->name, u->tags, u->ntags);
			break;
		}
	}
}

void cas_update_copy(struct cas_update *dst, const struct cas_update *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->instance_id = src->instance_id ? cas_xstrdup(src->instance_id) : NULL;
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++)
		if (fields[i].type == F_STR && *cstr_slot(src, &fields[i]))
			*str_slot(dst, &fields[i]) = cas_xstrdup(*cstr_slot(src, &fields[i]));
	dst->has_company_id = src->has_company_id;
	dst->company_id = src->company_id;
	if (src->has_contacts)
		copy_contacts(dst, src);
	if (src->has_tags)
		copy_tags(dst, src);
}

static cJSON *new_value_json(const struct cas_update *u, const struct field *f)
{
	switch (f->type) {
	case F_STR: {
		const char *v = *cstr_slot(u, f);
		return v ? cJSON_CreateString(v) : NULL;
	}
	case F_I64:
		return u->has_company_id ? cJSON_CreateNumber((double)u->company_id) : NULL;
	case F_I64_LIST: {
		if (!u->has_contacts)
			return NULL;
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < u->ncontacts; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)u->contact_ids[i]));
		return a;
	}
	case F_TAGS: {
		if (!u->has_tags)
			return NULL;
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < u->ntags; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "TagKey", u->tags[i].key);
			cJSON_AddStringToObject(o, "TagValue", u->tags[i].value);
			cJSON_AddItemToArray(a, o);
		}
		return a;
	}
	}
	return NULL;
}

cJSON *cas_update_changes_json(const struct cas_update *u, const cJSON *detail)
{
	cJSON *out = cJSON_CreateObject();
	for (size_t i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		cJSON *nv = new_value_json(u, &fields[i]);
		if (!nv)
			continue;
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(detail, fields[i].name);
		cJSON *pair = cJSON_AddObjectToObject(out, fields[i].name);
		cJSON_AddItemToObject(pair, "old", old ? cJSON_Duplicate(old, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(pair, "new", nv);
	}
	return out;
}
