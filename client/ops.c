/* ops: the single calls of the CAS operations and their response parsing
 * (see ops.h). */
#include "ops.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "decode.h"
#include "log.h"
#include "sign.h"
#include "update.h"
#include "validate.h"

/* Canonical text of obj without RequestId (and without any SecretKey). */
static struct cas_doc *doc_of(cJSON *obj)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "RequestId");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "SecretKey");
	struct cas_buf b = CAS_BUF_INIT;
	cas_canon_render(&b, obj);
	struct cas_doc *d = cas_doc_new(b.p, b.len);
	cas_buf_free(&b);
	return d;
}

/* A string field, leniently (decode.h); an odd type is noted and absent. */
static char *opt_str(const cJSON *o, const char *k, struct cas_dec_tally *t, const char *entry)
{
	char *s = NULL;
	cas_dec_note(t, cas_dec_str(o, k, &s), k, entry);
	return s;
}

/* Epoch milliseconds; absent, or odd (noted), gives 0 = none. */
static int64_t opt_ms(const cJSON *o, const char *k, struct cas_dec_tally *t, const char *entry)
{
	int64_t v = 0;
	enum cas_dec r = cas_dec_int(o, k, &v);
	if (r == CAS_DEC_OK && (v < 0 || v >= 1000000000000000LL))
		r = CAS_DEC_BAD;
	cas_dec_note(t, r, k, entry);
	return r == CAS_DEC_OK ? v : 0;
}

/* TotalCount: a count, a digit string, or absent (-1: not given). */
static int total_of(const cJSON *resp, int64_t *total, struct cas_error *e)
{
	int64_t v = -1;
	enum cas_dec r = cas_dec_int(resp, "TotalCount", &v);
	if (r == CAS_DEC_BAD || (r == CAS_DEC_OK && v < 0))
		return cas_protocol_error(e, "TotalCount is not a count", resp);
	if (v > CAS_MAX_TOTAL)
		return cas_protocol_error(e, "TotalCount is absurdly large", resp);
	*total = r == CAS_DEC_OK ? v : -1;
	return 0;
}

static const cJSON *list_of(const cJSON *resp, const char *name, struct cas_error *e, int *rc)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(resp, name);
	*rc = 0;
	if (!l || cJSON_IsNull(l) || (cJSON_IsString(l) && !*l->valuestring))
		return NULL; /* an empty page may omit the list */
	if (!cJSON_IsArray(l))
		*rc = cas_protocol_error(e, "the list is not an array", resp);
	return l;
}

/* Entries of `action` skipped for their id: one record in .cas/errors. */
static void report_skipped(struct cas_client *c, const char *action, size_t n)
{
	char msg[120];
	if (!n)
		return;
	snprintf(msg, sizeof(msg), "%zu entries skipped: their id cannot be a file name", n);
	cas_client_notify(c, action, EPROTO, "Local.UnsafeId", msg);
}

/* An id that becomes a file name: a string (or number) that is a safe name. */
static char *entry_id(const cJSON *it, const char *k, const char *what)
{
	char *id = NULL;
	if (cJSON_IsObject(it))
		cas_dec_str(it, k, &id);
	if (!id || !cas_safe_name(id)) {
		char *printed = cJSON_PrintUnformatted(it);
		cas_err("%s: skipped an entry whose %s is missing or unsafe as a file name: %.200s", what, k,
			printed ? printed : "?");
		free(printed);
		free(id);
		return NULL;
	}
	return id;
}

int cas_instance_parse(const cJSON *it, struct cas_instance *out, struct cas_dec_tally *t)
{
	memset(out, 0, sizeof(*out));
	out->id = entry_id(it, "InstanceId", "ListInstances");
	if (!out->id)
		return 0;
	const char *id = out->id;
	for (size_t k = 0; k < cas_instance_nstrs; k++)
		*(char **)((char *)out + cas_instance_strs[k].off) = opt_str(it, cas_instance_strs[k].wire, t, id);
	out->not_before = opt_ms(it, "CertificateNotBefore", t, id);
	out->not_after = opt_ms(it, "CertificateNotAfter", t, id);
	/* an odd CertificateId (noted) only hides the certificate files */
	out->cert_id = opt_ms(it, "CertificateId", t, id);
	/* the entry as received, on one line: instances.jsonl, and the change hash */
	struct cas_buf line = CAS_BUF_INIT;
	cas_canon_render_line(&line, it);
	out->json_len = line.len;
	out->json = cas_xstrndup(line.p, line.len); /* exact size: the list holds N of these */
	cas_buf_free(&line);
	out->hash = cas_hash64(out->json, out->json_len);
	return 1;
}

int cas_list_instances(struct cas_client *c, const struct cas_list_query *q, struct cas_instances **page,
		       struct cas_error *e)
{
	*page = NULL;
	cas_error_clear(e);
	cas_error_action(e, "ListInstances");
	int rc;
	if ((rc = cas_validate_list_filter(&q->filter, e)))
		return rc;
	if (q->current_page && (rc = cas_validate_current_page(q->current_page, e)))
		return rc;
	if (q->show_size && (rc = cas_validate_show_size(q->show_size, 0, e)))
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	const struct cas_list_filter *f = &q->filter;
	const char *names[] = { "Status", "Brand", "CertificateStatus", "CertificateType", "InstanceType", "Keyword", "ResourceGroupId" };
	const char *vals[] = { f->status, f->brand, f->cert_status, f->cert_type, f->instance_type, f->keyword, f->resource_group_id };
	for (size_t i = 0; i < 7; i++)
		if (vals[i])
			cas_params_set(&p, names[i], vals[i]);
	if (q->current_page)
		cas_params_set_i64(&p, "CurrentPage", q->current_page);
	if (q->show_size)
		cas_params_set_i64(&p, "ShowSize", q->show_size);
	cJSON *resp = NULL;
	rc = cas_client_call(c, CAS_LIST_INSTANCES, &p, &resp, e);
	cas_params_free(&p);
	if (rc)
		return rc;
	struct cas_instances *l = cas_instances_new();
	const cJSON *items = list_of(resp, "InstanceList", e, &rc);
	if (!rc)
		rc = total_of(resp, &l->total_count, e);
	if (!rc) {
		struct cas_dec_tally t = { 0 };
		if (cas_dec_note(&t, cas_dec_int(resp, "ShowSize", &l->page_size), "ShowSize", NULL) != CAS_DEC_OK ||
		    l->page_size < 1)
			l->page_size = 0;
		size_t n = (size_t)cJSON_GetArraySize(items);
		l->received = n;
		l->v = cas_xcalloc(n ? n : 1, sizeof(*l->v));
		const cJSON *it;
		cJSON_ArrayForEach(it, items)
		{
			if (cas_instance_parse(it, &l->v[l->n], &t))
				l->n++;
			else
				l->skipped++;
		}
		cas_dec_report(&t, "ListInstances");
	}
	cJSON_Delete(resp);
	if (rc) {
		cas_obj_unref(l);
		return rc;
	}
	*page = l;
	return 0;
}

int cas_get_instance_detail(struct cas_client *c, const char *id, struct cas_doc **out, struct cas_error *e)
{
	*out = NULL;
	cas_error_clear(e);
	cas_error_action(e, "GetInstanceDetail");
	int rc = cas_validate_id("InstanceId", id, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "InstanceId", id);
	cJSON *resp = NULL;
	rc = cas_client_call(c, CAS_GET_INSTANCE_DETAIL, &p, &resp, e);
	cas_params_free(&p);
	if (rc)
		return rc;
	char *rid = NULL;
	cas_dec_str(resp, "InstanceId", &rid);
	if (!rid || strcmp(rid, id) != 0)
		rc = cas_protocol_error(e, "the detail is not for the requested InstanceId", resp);
	else
		*out = doc_of(resp);
	free(rid);
	cJSON_Delete(resp);
	return rc;
}

int cas_get_instance_summary(struct cas_client *c, const char *instance_type, struct cas_doc **out,
			     struct cas_error *e)
{
	*out = NULL;
	cas_error_clear(e);
	cas_error_action(e, "GetInstanceSummary");
	int rc;
	if (instance_type && (rc = cas_validate_enum(CAS_ENUM_INSTANCE_TYPE, "InstanceType", instance_type, e)))
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	if (instance_type)
		cas_params_set(&p, "InstanceType", instance_type);
	cJSON *resp = NULL;
	rc = cas_client_call(c, CAS_GET_INSTANCE_SUMMARY, &p, &resp, e);
	cas_params_free(&p);
	if (rc)
		return rc;
	static const char *const counts[] = { "TotalCount", "InactiveCount", "WillExpireCount", "AutoReissueCount",
					      "CertificateCount" };
	struct cas_dec_tally t = { 0 };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int64_t v = 0;
		if (cas_dec_note(&t, cas_dec_int(resp, counts[i], &v), counts[i], NULL) == CAS_DEC_OK && v < 0)
			cas_dec_note(&t, CAS_DEC_BAD, counts[i], NULL);
	}
	cas_dec_report(&t, "GetInstanceSummary"); /* the document is shown as the service sent it */
	*out = doc_of(resp);
	cJSON_Delete(resp);
	return rc;
}

static int parse_access(const cJSON *it, struct cas_entry *out, struct cas_dec_tally *t)
{
	memset(out, 0, sizeof(*out));
	int64_t n;
	if (!cJSON_IsObject(it) || cas_dec_int(it, "AccessId", &n) != CAS_DEC_OK || n < 0) {
		cas_err("ListCloudAccess: skipped an entry whose AccessId is missing or not a number");
		return 0;
	}
	out->key = cas_xasprintf("%lld", (long long)n);
	out->cloud_name = opt_str(it, "CloudName", t, out->key);
	out->secret_id = opt_str(it, "SecretId", t, out->key);
	out->doc = doc_of((cJSON *)it);
	return 1;
}

int cas_list_cloud_access(struct cas_client *c, int64_t current_page, int64_t show_size,
			  struct cas_entries **page, int64_t *total, struct cas_error *e)
{
	*page = NULL;
	cas_error_clear(e);
	cas_error_action(e, "ListCloudAccess");
	int rc;
	if (current_page && (rc = cas_validate_current_page(current_page, e)))
		return rc;
	if (show_size && (rc = cas_validate_show_size(show_size, 1, e)))
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	if (current_page)
		cas_params_set_i64(&p, "CurrentPage", current_page);
	if (show_size)
		cas_params_set_i64(&p, "ShowSize", show_size);
	cJSON *resp = NULL;
	rc = cas_client_call(c, CAS_LIST_CLOUD_ACCESS, &p, &resp, e);
	cas_params_free(&p);
	if (rc)
		return rc;
	struct cas_entries *l = cas_entries_new();
	const cJSON *items = list_of(resp, "CloudAccessList", e, &rc);
	if (!rc)
		rc = total_of(resp, total, e);
	if (!rc) {
		size_t n = (size_t)cJSON_GetArraySize(items);
		l->v = cas_xcalloc(n ? n : 1, sizeof(*l->v));
		struct cas_dec_tally t = { 0 };
		size_t skipped = 0;
		cJSON *it;
		cJSON_ArrayForEach(it, items)
		{
			if (parse_access(it, &l->v[l->n], &t))
				l->n++;
			else
				skipped++;
		}
		cas_dec_report(&t, "ListCloudAccess");
		report_skipped(c, "ListCloudAccess", skipped);
	}
	cJSON_Delete(resp);
	if (rc) {
		cas_obj_unref(l);
		return rc;
	}
	*page = l;
	return 0;
}

int cas_get_ca_instance_status(struct cas_client *c, const char *instance_id, const char *identifier,
			       struct cas_entries **out, struct cas_error *e)
{
	*out = NULL;
	cas_error_clear(e);
	cas_error_action(e, "GetCAInstanceStatus");
	int rc;
	if (instance_id && (rc = cas_validate_id("InstanceId", instance_id, e)))
		return rc;
	if (identifier && (rc = cas_validate_id("Identifier", identifier, e)))
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	if (identifier)
		cas_params_set(&p, "Identifier", identifier);
	if (instance_id)
		cas_params_set(&p, "InstanceId", instance_id);
	cJSON *resp = NULL;
	rc = cas_client_call(c, CAS_GET_CA_INSTANCE_STATUS, &p, &resp, e);
	cas_params_free(&p);
	if (rc)
		return rc;
	const cJSON *items = list_of(resp, "InstanceStatusList", e, &rc);
	struct cas_entries *l = cas_entries_new();
	if (!rc) {
		size_t n = (size_t)cJSON_GetArraySize(items);
		l->v = cas_xcalloc(n ? n : 1, sizeof(*l->v));
		size_t skipped = 0;
		cJSON *it;
		cJSON_ArrayForEach(it, items)
		{
			char *id = entry_id(it, "InstanceId", "GetCAInstanceStatus");
			if (!id) {
				skipped++;
				continue;
			}
			l->v[l->n].key = id;
			l->v[l->n].doc = doc_of(it);
			l->n++;
		}
		report_skipped(c, "GetCAInstanceStatus", skipped);
		size_t rep = cas_entries_sort_unique(l);
		if (rep)
			cas_warn("GetCAInstanceStatus: %zu repeated InstanceId%s; the last entry of each is shown", rep,
				 rep == 1 ? "" : "s");
	}
	cJSON_Delete(resp);
	if (rc) {
		cas_obj_unref(l);
		return rc;
	}
	*out = l;
	return 0;
}
