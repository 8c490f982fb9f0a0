/* ops: the ten operations, response parsing and reconciliation (see ops.h). */
#include "ops.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "certdetail.h"
#include "decode.h"
#include "log.h"
#include "sign.h"
#include "update.h"
#include "validate.h"

int cas_protocol_error(struct cas_error *e, const char *what, const cJSON *resp)
{
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(resp, "RequestId");
	int rc = cas_error_set(e, EPROTO, "Local.Response", "unexpected response: %s", what);
	if (cJSON_IsString(rid))
		snprintf(e->request_id, sizeof(e->request_id), "%s", rid->valuestring);
	return rc;
}

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
	snprintf(e->action, sizeof(e->action), "ListInstances");
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
	snprintf(e->action, sizeof(e->action), "GetInstanceDetail");
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
	snprintf(e->action, sizeof(e->action), "GetInstanceSummary");
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

/* Reads the instance's detail as a parsed object (for reconciliation). */
static cJSON *read_detail(struct cas_client *c, const char *id, int *rc)
{
	struct cas_doc *d = NULL;
	struct cas_error e2;
	*rc = cas_get_instance_detail(c, id, &d, &e2);
	if (*rc)
		return NULL;
	cJSON *j = cas_json_parse(d->text, d->len);
	cas_obj_unref(d);
	return j;
}

/* A mutation whose response was lost and whose reconciling read could not
 * tell: the errno is EIO, and the message says what the caller must do. */
static void outcome_unknown(struct cas_error *e)
{
	char was[sizeof(e->message)];
	snprintf(was, sizeof(was), "%s", e->message);
	snprintf(e->message, sizeof(e->message),
		 "the change may have been applied: the response was lost (%.300s) and the state could not be read "
		 "back; read the file to see",
		 was);
	e->err = EIO;
}

/* Runs a mutation; after an ambiguous failure asks `applied` whether it took
 * effect, and sends it again only when it certainly did not. e->ambiguous
 * stays set on return only when the outcome is really unknown. */
static int mutate(struct cas_client *c, enum cas_action a, const struct cas_params *p,
		  int (*applied)(struct cas_client *c, const void *arg), const void *arg, struct cas_error *e)
{
	for (int round = 0; round < 3; round++) {
		cJSON *resp = NULL;
		int rc = cas_client_call(c, a, p, &resp, e);
		cJSON_Delete(resp);
		if (rc == 0 || !e->ambiguous)
			return rc;
		int st = applied(c, arg);
		if (st > 0) {
			cas_warn("%s: response lost (%s); a read shows it was applied", cas_actions[a].name, e->code);
			cas_error_clear(e);
			snprintf(e->action, sizeof(e->action), "%s", cas_actions[a].name);
			return 0;
		}
		if (st < 0)
			break; /* cannot tell: report the ambiguous failure */
		if (round == 2) {
			/* the last read showed it was not applied: a plain failure, not an unknown outcome */
			e->ambiguous = 0;
			break;
		}
		cas_warn("%s: response lost (%s); a read shows it was not applied, sending again", cas_actions[a].name,
			 e->code);
	}
	if (e->ambiguous)
		outcome_unknown(e);
	return -e->err;
}

static int update_applied(struct cas_client *c, const void *arg)
{
	const struct cas_update *u = arg;
	int rc;
	cJSON *d = read_detail(c, u->instance_id, &rc);
	if (!d)
		return -1;
	struct cas_update diff;
	int n = cas_update_diff(u, d, &diff);
	/* GenerateCsrMethod may be implied by the Csr; compare the fields we sent */
	if (n && diff.generate_csr_method && n == 1 && u->generate_csr_method)
		n = 0;
	cas_update_free(&diff);
	cJSON_Delete(d);
	return n == 0;
}

int cas_update_instance(struct cas_client *c, const struct cas_update *u, struct cas_error *e)
{
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "UpdateInstance");
	int rc = cas_validate_update(u, NULL, NULL, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_update_to_params(u, &p);
	rc = mutate(c, CAS_UPDATE_INSTANCE, &p, update_applied, u, e);
	cas_params_free(&p);
	return rc;
}

static int gone(struct cas_client *c, const void *arg)
{
	int rc;
	cJSON *d = read_detail(c, arg, &rc);
	cJSON_Delete(d);
	return rc == -ENOENT ? 1 : rc == 0 ? 0 : -1;
}

int cas_delete_instance(struct cas_client *c, const char *id, struct cas_error *e)
{
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "DeleteInstance");
	int rc = cas_validate_id("InstanceId", id, e);
	if (rc)
		return rc;
	char token[33];
	cas_random_hex(token);
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "InstanceId", id);
	cas_params_set(&p, "ClientToken", token); /* the service's own idempotency key */
	rc = mutate(c, CAS_DELETE_INSTANCE, &p, gone, id, e);
	cas_params_free(&p);
	return rc;
}

static int refunded(struct cas_client *c, const void *arg)
{
	int rc;
	cJSON *d = read_detail(c, arg, &rc);
	if (!d)
		return -1;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "Status");
	int yes = cJSON_IsString(s) && strcmp(s->valuestring, "refund") == 0;
	cJSON_Delete(d);
	return yes;
}

int cas_refund_instance(struct cas_client *c, const char *id, struct cas_error *e)
{
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "RefundInstance");
	int rc = cas_validate_id("InstanceId", id, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "InstanceId", id);
	rc = mutate(c, CAS_REFUND_INSTANCE, &p, refunded, id, e);
	cas_params_free(&p);
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
	snprintf(e->action, sizeof(e->action), "ListCloudAccess");
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

static int access_exists(struct cas_client *c, const void *arg)
{
	const struct cas_access_new *n = arg;
	struct cas_entries *all = NULL;
	struct cas_error e2;
	if (cas_list_all_cloud_access(c, &all, &e2))
		return -1;
	int found = 0;
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i].cloud_name && all->v[i].secret_id && strcmp(all->v[i].cloud_name, n->cloud_name) == 0 &&
		    strcmp(all->v[i].secret_id, n->secret_id) == 0)
			found = 1;
	cas_obj_unref(all);
	return found;
}

int cas_add_cloud_access(struct cas_client *c, const struct cas_access_new *n, struct cas_error *e)
{
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "AddCloudAccess");
	int rc = cas_validate_access_new(n, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "CloudName", n->cloud_name);
	cas_params_set(&p, "SecretId", n->secret_id);
	cas_params_set(&p, "SecretKey", n->secret_key);
	rc = mutate(c, CAS_ADD_CLOUD_ACCESS, &p, access_exists, n, e);
	cas_params_free(&p);
	return rc;
}

static int access_gone(struct cas_client *c, const void *arg)
{
	struct cas_entries *all = NULL;
	struct cas_error e2;
	if (cas_list_all_cloud_access(c, &all, &e2))
		return -1;
	int found = cas_entries_find(all, arg) != NULL;
	cas_obj_unref(all);
	return !found;
}

int cas_delete_cloud_access(struct cas_client *c, const char *access_id, struct cas_error *e)
{
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "DeleteCloudAccess");
	if (!access_id || !*access_id || strspn(access_id, "0123456789") != strlen(access_id) || strlen(access_id) > 19)
		return cas_error_set(e, EINVAL, "InvalidParameter.AccessId", "AccessId must be a decimal number");
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "AccessId", access_id);
	int rc = mutate(c, CAS_DELETE_CLOUD_ACCESS, &p, access_gone, access_id, e);
	cas_params_free(&p);
	return rc;
}

int cas_get_ca_instance_status(struct cas_client *c, const char *instance_id, const char *identifier,
			       struct cas_entries **out, struct cas_error *e)
{
	*out = NULL;
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "GetCAInstanceStatus");
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

/* The struct cas_api view of the client. */
static struct cas_client *C(struct cas_api *a)
{
	return (struct cas_client *)a; /* struct cas_api is the client's first member */
}

static int api_list_instances(struct cas_api *a, const struct cas_list_filter *f, struct cas_instances **out,
			      struct cas_error *e)
{
	return cas_list_all_instances(C(a), f, out, e);
}

static int api_detail(struct cas_api *a, const char *id, struct cas_doc **out, struct cas_error *e)
{
	return cas_get_instance_detail(C(a), id, out, e);
}

static int api_summary(struct cas_api *a, struct cas_doc **out, struct cas_error *e)
{
	return cas_get_instance_summary(C(a), NULL, out, e);
}

static int api_update(struct cas_api *a, const struct cas_update *u, struct cas_error *e)
{
	return cas_update_instance(C(a), u, e);
}

static int api_delete(struct cas_api *a, const char *id, struct cas_error *e)
{
	return cas_delete_instance(C(a), id, e);
}

static int api_refund(struct cas_api *a, const char *id, struct cas_error *e)
{
	return cas_refund_instance(C(a), id, e);
}

static int api_list_access(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return cas_list_all_cloud_access(C(a), out, e);
}

static int api_add_access(struct cas_api *a, const struct cas_access_new *n, struct cas_error *e)
{
	return cas_add_cloud_access(C(a), n, e);
}

static int api_delete_access(struct cas_api *a, const char *id, struct cas_error *e)
{
	return cas_delete_cloud_access(C(a), id, e);
}

static int api_ca_status(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return cas_get_ca_instance_status(C(a), NULL, NULL, out, e);
}

static int api_cert(struct cas_api *a, const char *cert_id, struct cas_cert **out, struct cas_error *e)
{
	return cas_get_user_certificate_detail(C(a), cert_id, cas_client_keep_keys(C(a)), out, e);
}

const struct cas_api_ops cas_client_ops = {
	.list_instances = api_list_instances,
	.get_instance_detail = api_detail,
	.get_instance_summary = api_summary,
	.update_instance = api_update,
	.delete_instance = api_delete,
	.refund_instance = api_refund,
	.list_cloud_access = api_list_access,
	.add_cloud_access = api_add_access,
	.delete_cloud_access = api_delete_access,
	.get_ca_instance_status = api_ca_status,
	.get_user_certificate_detail = api_cert,
};
