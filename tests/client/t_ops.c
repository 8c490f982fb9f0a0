/* t_ops: the eleven operations of instances, cloud access, private CAs and
 * certificate detail end to end against the emulator (the certificate
 * store's are t_store.c's),
 * once through the struct cas_api table (cas_client_api(c)->ops) and once
 * through the per-operation functions of ops.h, each result checked against
 * /_emulator/state and each mutation against the audit log (exactly one
 * applied call). Also dry_run: mutations return 0 and nothing reaches the
 * audit log or the state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "harness.h"

/* ---- helpers comparing client results with the emulator's state ---- */

static cJSON *doc_json(const struct cas_doc *d)
{
	assert_non_null(d);
	assert_true(d->len > 0);
	assert_int_equal(d->text[d->len - 1], '\n');
	cJSON *j = cas_json_parse(d->text, d->len);
	assert_non_null(j);
	assert_null(cJSON_GetObjectItem(j, "RequestId"));
	return j;
}

static void expect_same_json(const cJSON *got, const cJSON *want)
{
	if (!cJSON_Compare(got, want, 1)) {
		char *g = cJSON_Print(got), *w = cJSON_Print(want);
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", g, w);
		free(g);
		free(w);
		fail_msg("JSON differs");
	}
}

/* The detail document equals the stored object without the list-only CertificateDomain. */
static void expect_detail(const struct cas_doc *d, cJSON *st, const char *id)
{
	cJSON *want = cJSON_Duplicate(state_instance(st, id), 1);
	assert_non_null(want);
	cJSON_DeleteItemFromObject(want, "CertificateDomain");
	cJSON *got = doc_json(d);
	expect_same_json(got, want);
	cJSON_Delete(got);
	cJSON_Delete(want);
}

static int64_t num_or_zero(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static int streq_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* One list entry matches its stored instance. */
static void expect_instance(const struct cas_instance *in, cJSON *st)
{
	cJSON *s = state_instance(st, in->id);
	if (!s)
		fail_msg("listed id %s is not in the state", in->id);
	assert_true(streq_null(in->name, jstr(s, "CertificateName")));
	assert_true(streq_null(in->domain, jstr(s, "Domain")));
	assert_true(streq_null(in->status, jstr(s, "Status")));
	assert_true(streq_null(in->cert_status, jstr(s, "CertificateStatus")));
	assert_true(streq_null(in->auto_reissue, jstr(s, "AutoReissue")));
	assert_true(streq_null(in->key_algorithm, jstr(s, "KeyAlgorithm")));
	assert_int_equal(in->not_before, num_or_zero(s, "CertificateNotBefore"));
	assert_int_equal(in->not_after, num_or_zero(s, "CertificateNotAfter"));
}

static const char *inst_id(cJSON *st, int i)
{
	const char *id = jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), i), "InstanceId");
	assert_non_null(id);
	return id;
}

static void expect_summary(const struct cas_doc *d, cJSON *st, const char *instance_type)
{
	int64_t total = 0, inactive = 0, will = 0, reissue = 0, certs = 0;
	cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "instances"))
	{
		if (instance_type && !streq_null(jstr(it, "InstanceType"), instance_type))
			continue;
		total++;
		inactive += streq_null(jstr(it, "Status"), "inactive");
		will += streq_null(jstr(it, "Status"), "willExpire");
		reissue += streq_null(jstr(it, "AutoReissue"), "enable");
		certs += jstr(it, "CertificateStatus") != NULL;
	}
	cJSON *got = doc_json(d);
	assert_true(total > 0);
	assert_int_equal(num_or_zero(got, "TotalCount"), total);
	assert_int_equal(num_or_zero(got, "InactiveCount"), inactive);
	assert_int_equal(num_or_zero(got, "WillExpireCount"), will);
	assert_int_equal(num_or_zero(got, "AutoReissueCount"), reissue);
	assert_int_equal(num_or_zero(got, "CertificateCount"), certs);
	cJSON_Delete(got);
}

/* Cloud-access entries: keyed by AccessId, equal to the stored entries. */
static void expect_access(const struct cas_entries *l, cJSON *st)
{
	cJSON *want = cJSON_GetObjectItem(st, "cloud_access");
	assert_int_equal(l->n, (size_t)cJSON_GetArraySize(want));
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			assert_true(strcmp(l->v[i - 1].key, l->v[i].key) < 0);
		const cJSON *w = NULL, *it;
		cJSON_ArrayForEach(it, want)
		{
			char key[32];
			snprintf(key, sizeof(key), "%.0f", jnum(it, "AccessId"));
			if (strcmp(key, l->v[i].key) == 0)
				w = it;
		}
		if (!w)
			fail_msg("AccessId %s not in the state", l->v[i].key);
		assert_string_equal(l->v[i].cloud_name, jstr(w, "CloudName"));
		assert_string_equal(l->v[i].secret_id, jstr(w, "SecretId"));
		cJSON *got = doc_json(l->v[i].doc);
		assert_null(cJSON_GetObjectItem(got, "SecretKey"));
		expect_same_json(got, w);
		cJSON_Delete(got);
	}
}

/* Private CA entries: keyed by InstanceId, equal to the stored entries. */
static void expect_cas(const struct cas_entries *l, cJSON *st, const char *only_id)
{
	size_t want_n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "private_cas"))
	{
		const char *id = jstr(it, "InstanceId");
		if (only_id && strcmp(id, only_id) != 0)
			continue;
		want_n++;
		const struct cas_entry *got = cas_entries_find(l, id);
		if (!got)
			fail_msg("private CA %s missing", id);
		cJSON *g = doc_json(got->doc);
		expect_same_json(g, it);
		cJSON_Delete(g);
	}
	assert_true(want_n > 0);
	assert_int_equal(l->n, want_n);
}

static const struct cas_tag test_tags[] = {
	{ "env", "prod test" },
	{ "owner", "\xe5\xbc\xa0\xe4\xb8\x89" }, /* 张三: non-ASCII survives signing */
};

/* An update of several fields, including lists, on instance id. */
static struct cas_update sample_update(const char *id)
{
	static int64_t contacts[] = { 101, 202 };
	struct cas_update u = { 0 };
	u.instance_id = (char *)id;
	u.certificate_name = (char *)"renamed by client test";
	u.auto_reissue = (char *)"enable";
	u.city = (char *)"Hangzhou";
	u.has_tags = 1;
	u.tags = (struct cas_tag *)test_tags;
	u.ntags = 2;
	u.has_contacts = 1;
	u.contact_ids = contacts;
	u.ncontacts = 2;
	return u;
}

static void expect_updated(cJSON *st, const char *id)
{
	cJSON *s = state_instance(st, id);
	assert_non_null(s);
	assert_string_equal(jstr(s, "CertificateName"), "renamed by client test");
	assert_string_equal(jstr(s, "AutoReissue"), "enable");
	assert_string_equal(jstr(s, "City"), "Hangzhou");
	cJSON *tags = cJSON_GetObjectItem(s, "Tags");
	assert_int_equal(cJSON_GetArraySize(tags), 2);
	assert_string_equal(jstr(cJSON_GetArrayItem(tags, 0), "TagKey"), "env");
	assert_string_equal(jstr(cJSON_GetArrayItem(tags, 0), "TagValue"), "prod test");
	assert_string_equal(jstr(cJSON_GetArrayItem(tags, 1), "TagValue"), test_tags[1].value);
	cJSON *contacts = cJSON_GetObjectItem(s, "ContactIdList");
	assert_int_equal(cJSON_GetArraySize(contacts), 2);
	assert_int_equal(cJSON_GetArrayItem(contacts, 0)->valuedouble, 101);
	assert_int_equal(cJSON_GetArrayItem(contacts, 1)->valuedouble, 202);
}

/* Exactly one applied call of each mutating action, and each with the
 * parameters the operation had to send. */
static void expect_one_apply_each(const char *update_id, const char *delete_id, const char *refund_id,
				  const char *access_secret_id)
{
	cJSON *audit = audit_all();
	const char *muts[] = { "UpdateInstance", "DeleteInstance", "RefundInstance", "AddCloudAccess",
			       "DeleteCloudAccess" };
	for (size_t i = 0; i < 5; i++) {
		if (audit_count(audit, muts[i], -1) != 1 || audit_count(audit, muts[i], 1) != 1)
			fail_msg("%s: %d calls, %d applied (want 1, 1)", muts[i], audit_count(audit, muts[i], -1),
				 audit_count(audit, muts[i], 1));
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, audit)
	{
		const char *a = jstr(it, "action");
		const cJSON *p = cJSON_GetObjectItem(it, "params");
		if (strstr(a, "Update") || strstr(a, "Delete") || strstr(a, "Refund") || strstr(a, "Add"))
			assert_int_equal((int)jnum(it, "status"), 200);
		if (strcmp(a, "UpdateInstance") == 0) {
			assert_string_equal(jstr(p, "InstanceId"), update_id);
			assert_string_equal(jstr(p, "Tags.1.TagValue"), "prod test");
			assert_string_equal(jstr(p, "Tags.2.TagValue"), test_tags[1].value);
			assert_string_equal(jstr(p, "ContactIdList.2"), "202");
			assert_null(cJSON_GetObjectItem(p, "Domain")); /* only the fields that were set */
		} else if (strcmp(a, "DeleteInstance") == 0) {
			assert_string_equal(jstr(p, "InstanceId"), delete_id);
		} else if (strcmp(a, "RefundInstance") == 0) {
			assert_string_equal(jstr(p, "InstanceId"), refund_id);
		} else if (strcmp(a, "AddCloudAccess") == 0) {
			assert_string_equal(jstr(p, "SecretId"), access_secret_id);
			assert_string_equal(jstr(p, "SecretKey"), "<redacted>");
		}
	}
	cJSON_Delete(audit);
}

static char *find_access_id(cJSON *st, const char *secret_id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "cloud_access"))
	if (streq_null(jstr(it, "SecretId"), secret_id))
		return cas_xasprintf("%.0f", jnum(it, "AccessId"));
	return NULL;
}

/* ---- through the cas_api table ---- */

/* The store's three operations through the table: the listing matches the
 * emulator's store (uploads and the issued certificates); an upload is one
 * UploadUserCertificate, listed afterwards with its fingerprint and Name;
 * its delete is one DeleteUserCertificate, and the listing no longer has it. */
static void store_round(struct cas_api *a, int64_t *idp)
{
	struct cas_error e;
	cJSON_Delete(emu_post("/_emulator/store", "{\"Name\":\"seeded\",\"CommonName\":\"seeded.example.com\"}"));
	struct cas_certs *l = NULL;
	expect_rc(a->ops->list_store(a, &l, &e), 0, &e);
	size_t before = l->n;
	assert_true(before >= 1);
	assert_int_equal(l->calls, 1);
	assert_true(l->as_of_ms > 0);
	const struct cas_store_cert *seeded = NULL;
	for (size_t i = 0; i < l->n; i++) {
		assert_true(l->v[i].id > 0);
		if (l->v[i].name && strcmp(l->v[i].name, "seeded") == 0)
			seeded = &l->v[i];
	}
	assert_non_null(seeded);
	assert_non_null(seeded->fingerprint);
	assert_true(seeded->not_after > seeded->not_before);
	cas_obj_unref(l);

	cJSON *o = emu_post("/_emulator/leaf", "{\"CommonName\":\"table.example.com\"}");
	struct cas_upload u = { "table-upload", cJSON_GetObjectItem(o, "Cert")->valuestring,
				cJSON_GetObjectItem(o, "Key")->valuestring };
	int64_t id = 0;
	expect_rc(a->ops->upload_certificate(a, &u, &id, &e), 0, &e);
	assert_true(id > 0);
	cJSON_Delete(o);
	l = NULL;
	expect_rc(a->ops->list_store(a, &l, &e), 0, &e);
	assert_int_equal(l->n, before + 1);
	const struct cas_store_cert *up = cas_certs_find(l, id);
	assert_non_null(up);
	assert_string_equal(up->name, "table-upload");
	assert_non_null(up->fingerprint);
	cas_obj_unref(l);

	expect_rc(a->ops->delete_certificate(a, id, &e), 0, &e);
	l = NULL;
	expect_rc(a->ops->list_store(a, &l, &e), 0, &e);
	assert_int_equal(l->n, before);
	assert_null(cas_certs_find(l, id));
	cas_obj_unref(l);
	cJSON *audit = audit_all();
	assert_int_equal(audit_count(audit, "UploadUserCertificate", 1), 1);
	assert_int_equal(audit_count(audit, "DeleteUserCertificate", 1), 1);
	assert_int_equal(audit_count(audit, "ListCertificates", -1), 3);
	cJSON_Delete(audit);
	*idp = id;
}

static void test_ops_table(void **state)
{
	(void)state;
	EMU_UP("--instances", "30");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_api *a = cas_client_api(c);
	assert_ptr_equal(a->ops, cas_client_api(c)->ops);
	struct cas_error e;
	cJSON *st = emu_state();

	/* list_instances: every instance, sorted, equal to the state */
	struct cas_instances *l = NULL;
	expect_rc(a->ops->list_instances(a, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 30);
	assert_int_equal(l->total_count, 30);
	assert_int_equal(l->skipped, 0);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			assert_true(strcmp(l->v[i - 1].id, l->v[i].id) < 0);
		expect_instance(&l->v[i], st);
	}
	cas_obj_unref(l);

	/* get_instance_detail of a few instances, certificate-bearing or not */
	for (int i = 0; i < 8; i++) {
		struct cas_doc *d = NULL;
		expect_rc(a->ops->get_instance_detail(a, inst_id(st, i), &d, &e), 0, &e);
		assert_true(strlen(e.request_id) > 0);
		expect_detail(d, st, inst_id(st, i));
		cas_obj_unref(d);
	}

	/* get_instance_summary */
	struct cas_doc *sum = NULL;
	expect_rc(a->ops->get_instance_summary(a, &sum, &e), 0, &e);
	expect_summary(sum, st, NULL);
	cas_obj_unref(sum);

	/* list_cloud_access and get_ca_instance_status */
	struct cas_entries *acc = NULL, *cas = NULL;
	expect_rc(a->ops->list_cloud_access(a, &acc, &e), 0, &e);
	expect_access(acc, st);
	cas_obj_unref(acc);
	expect_rc(a->ops->get_ca_instance_status(a, &cas, &e), 0, &e);
	expect_cas(cas, st, NULL);
	cas_obj_unref(cas);

	/* a certificate by the CertificateId of the first issued instance (a GET) */
	const cJSON *issued = NULL, *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "instances"))
		if (!issued && cJSON_IsNumber(cJSON_GetObjectItem(it, "CertificateId")))
			issued = it;
	assert_non_null(issued);
	char cid[24];
	snprintf(cid, sizeof(cid), "%.0f", cJSON_GetObjectItem(issued, "CertificateId")->valuedouble);
	struct cas_cert *cert = NULL;
	expect_rc(a->ops->get_user_certificate_detail(a, cid, &cert, &e), 0, &e);
	assert_non_null(strstr(cert->pem, "BEGIN CERTIFICATE"));
	assert_true(cert->leaf_len > 0 && cert->leaf_len < cert->pem_len); /* leaf, then the intermediate */
	assert_null(cert->key); /* the client was made without keep_keys */
	cas_obj_unref(cert);

	/* the five mutations */
	char *upd = cas_xstrdup(inst_id(st, 3)), *del = cas_xstrdup(inst_id(st, 5)), *ref = cas_xstrdup(inst_id(st, 0));
	struct cas_update u = sample_update(upd);
	expect_rc(a->ops->update_instance(a, &u, &e), 0, &e);
	expect_rc(a->ops->refund_instance(a, ref, &e), 0, &e);
	expect_rc(a->ops->delete_instance(a, del, &e), 0, &e);
	struct cas_access_new n = { "Tencent", "AKIDclientTestTable01", "tencent-secret-key-1" };
	expect_rc(a->ops->add_cloud_access(a, &n, &e), 0, &e);
	cJSON_Delete(st);
	st = emu_state();
	expect_updated(st, upd);
	assert_string_equal(jstr(state_instance(st, ref), "Status"), "refund");
	assert_null(state_instance(st, del));
	char *access_id = find_access_id(st, n.secret_id);
	assert_non_null(access_id);
	/* the new entry is listed, and the secret is nowhere */
	expect_rc(a->ops->list_cloud_access(a, &acc, &e), 0, &e);
	assert_non_null(cas_entries_find(acc, access_id));
	assert_null(strstr(cas_entries_find(acc, access_id)->doc->text, n.secret_key));
	cas_obj_unref(acc);
	expect_rc(a->ops->delete_cloud_access(a, access_id, &e), 0, &e);
	cJSON_Delete(st);
	st = emu_state();
	char *gone = find_access_id(st, n.secret_id);
	assert_null(gone);
	/* a deleted instance is gone for the client too */
	struct cas_doc *d = NULL;
	expect_rc(a->ops->get_instance_detail(a, del, &d, &e), -ENOENT, &e);
	assert_null(d);
	expect_one_apply_each(upd, del, ref, n.secret_id);

	/* the store: list_store, upload_certificate, delete_certificate */
	int64_t sid = 0;
	store_round(a, &sid);

	/* every call was counted once, and all succeeded on the first attempt */
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	for (int i = 0; i < CAS_NACTIONS; i++) /* every action the table reaches */
		assert_true(cs.a[i].calls >= 1 || i == CAS_LIST_USER_CERTIFICATE_ORDER);
	assert_int_equal(cs.a[CAS_LIST_USER_CERTIFICATE_ORDER].calls, 0); /* not the store's listing */
	assert_int_equal(cs.a[CAS_UPLOAD_USER_CERTIFICATE].calls, 1);
	assert_int_equal(cs.a[CAS_UPLOAD_USER_CERTIFICATE].ok, 1);
	assert_int_equal(cs.a[CAS_DELETE_USER_CERTIFICATE].calls, 1);
	assert_int_equal(cs.a[CAS_DELETE_USER_CERTIFICATE].ok, 1);
	assert_int_equal(cs.a[CAS_LIST_CERTIFICATES].calls, 3); /* one page each: before, after the upload, after the delete */
	assert_int_equal(cs.a[CAS_UPDATE_INSTANCE].calls, 1);
	assert_int_equal(cs.a[CAS_UPDATE_INSTANCE].ok, 1);
	assert_int_equal(cs.a[CAS_GET_INSTANCE_DETAIL].errors, 1); /* the ENOENT above */
	assert_int_equal(STATS_SUM(c, retries), 0);
	cJSON *audit = audit_all();
	assert_int_equal((uint64_t)cJSON_GetArraySize(audit), STATS_SUM(c, calls));
	cJSON_Delete(audit);
	free(access_id);
	free(upd);
	free(del);
	free(ref);
	cJSON_Delete(st);
}

/* ---- through the per-operation functions of ops.h ---- */

static void test_ops_functions(void **state)
{
	(void)state;
	EMU_UP("--instances", "30", "--private-ca", "4", "--cloud-access", "12");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_error e;
	cJSON *st = emu_state();

	/* cas_list_instances: one page as asked */
	struct cas_list_query q = { .current_page = 2, .show_size = 10 };
	struct cas_instances *page = NULL;
	expect_rc(cas_list_instances(c, &q, &page, &e), 0, &e);
	assert_int_equal(page->total_count, 30);
	assert_int_equal(page->n, 10);
	for (size_t i = 0; i < page->n; i++) {
		int found = 0;
		for (int k = 10; k < 20; k++)
			found |= strcmp(page->v[i].id, inst_id(st, k)) == 0;
		assert_true(found);
		expect_instance(&page->v[i], st);
	}
	cas_obj_unref(page);
	q.current_page = 4; /* past the end: empty, same total */
	expect_rc(cas_list_instances(c, &q, &page, &e), 0, &e);
	assert_int_equal(page->n, 0);
	assert_int_equal(page->total_count, 30);
	cas_obj_unref(page);

	/* cas_get_instance_detail */
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, inst_id(st, 4), &d, &e), 0, &e);
	expect_detail(d, st, inst_id(st, 4));
	cas_obj_unref(d);

	/* cas_get_instance_summary, all and per InstanceType */
	const char *types[] = { NULL, "BUY", "TEST" };
	for (size_t i = 0; i < 3; i++) {
		expect_rc(cas_get_instance_summary(c, types[i], &d, &e), 0, &e);
		expect_summary(d, st, types[i]);
		cas_obj_unref(d);
	}

	/* cas_list_cloud_access: one page of 10 of the 12, then the rest */
	struct cas_entries *acc = NULL;
	int64_t total = 0;
	expect_rc(cas_list_cloud_access(c, 1, 10, &acc, &total, &e), 0, &e);
	assert_int_equal(total, 12);
	assert_int_equal(acc->n, 10);
	cas_obj_unref(acc);
	expect_rc(cas_list_cloud_access(c, 2, 10, &acc, &total, &e), 0, &e);
	assert_int_equal(acc->n, 2);
	cas_obj_unref(acc);
	expect_rc(cas_list_all_cloud_access(c, &acc, &e), 0, &e);
	expect_access(acc, st);
	cas_obj_unref(acc);

	/* cas_get_ca_instance_status: all, by InstanceId, by Identifier, no match */
	struct cas_entries *cas = NULL;
	expect_rc(cas_get_ca_instance_status(c, NULL, NULL, &cas, &e), 0, &e);
	expect_cas(cas, st, NULL);
	cas_obj_unref(cas);
	const cJSON *ca0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "private_cas"), 0);
	expect_rc(cas_get_ca_instance_status(c, jstr(ca0, "InstanceId"), NULL, &cas, &e), 0, &e);
	expect_cas(cas, st, jstr(ca0, "InstanceId"));
	cas_obj_unref(cas);
	const cJSON *it, *with_ident = NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "private_cas")) if (!with_ident && jstr(it, "Identifier"))
		with_ident = it;
	assert_non_null(with_ident);
	expect_rc(cas_get_ca_instance_status(c, NULL, jstr(with_ident, "Identifier"), &cas, &e), 0, &e);
	expect_cas(cas, st, jstr(with_ident, "InstanceId"));
	cas_obj_unref(cas);
	expect_rc(cas_get_ca_instance_status(c, "cas-member-nosuchca", NULL, &cas, &e), 0, &e);
	assert_int_equal(cas->n, 0);
	cas_obj_unref(cas);

	/* mutations */
	char *upd = cas_xstrdup(inst_id(st, 6)), *del = cas_xstrdup(inst_id(st, 9)), *ref = cas_xstrdup(inst_id(st, 0));
	struct cas_update u = sample_update(upd);
	expect_rc(cas_update_instance(c, &u, &e), 0, &e);
	expect_rc(cas_refund_instance(c, ref, &e), 0, &e);
	expect_rc(cas_delete_instance(c, del, &e), 0, &e);
	struct cas_access_new n = { "Tencent", "AKIDclientTestFuncs01", "tencent-secret-key-2" };
	expect_rc(cas_add_cloud_access(c, &n, &e), 0, &e);
	cJSON_Delete(st);
	st = emu_state();
	expect_updated(st, upd);
	assert_string_equal(jstr(state_instance(st, ref), "Status"), "refund");
	assert_null(state_instance(st, del));
	char *access_id = find_access_id(st, n.secret_id);
	assert_non_null(access_id);
	expect_rc(cas_delete_cloud_access(c, access_id, &e), 0, &e);
	cJSON_Delete(st);
	st = emu_state();
	assert_null(find_access_id(st, n.secret_id));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "cloud_access")), 12);
	expect_one_apply_each(upd, del, ref, n.secret_id);
	free(access_id);
	free(upd);
	free(del);
	free(ref);
	cJSON_Delete(st);
}

/* The table and the functions give the same bytes for the same data. */
static void test_ops_same_bytes(void **state)
{
	(void)state;
	EMU_UP("--instances", "12");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_api *a = cas_client_api(c);
	struct cas_error e;
	cJSON *st = emu_state();
	for (int i = 0; i < 12; i++) {
		struct cas_doc *d1 = NULL, *d2 = NULL;
		expect_rc(a->ops->get_instance_detail(a, inst_id(st, i), &d1, &e), 0, &e);
		expect_rc(cas_get_instance_detail(c, inst_id(st, i), &d2, &e), 0, &e);
		assert_int_equal(d1->len, d2->len);
		assert_memory_equal(d1->text, d2->text, d1->len);
		assert_true(d1->hash == d2->hash);
		cas_obj_unref(d1);
		cas_obj_unref(d2);
	}
	cJSON_Delete(st);
}

int group_ops(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ops_table, emu_teardown),
		cmocka_unit_test_teardown(test_ops_functions, emu_teardown),
		cmocka_unit_test_teardown(test_ops_same_bytes, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.ops", tests, NULL, NULL);
}

/* ---- dry_run ---- */

static void test_dry_run(void **state)
{
	(void)state;
	EMU_UP("--instances", "12");
	struct cas_client_opts o = { .dry_run = 1, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	struct cas_api *a = cas_client_api(c);
	assert_true(cas_client_dry_run(c));
	struct cas_error e;
	cJSON *before = emu_state();
	cJSON_DeleteItemFromObject(before, "now_ms");
	char *upd = cas_xstrdup(inst_id(before, 3)), *ref = cas_xstrdup(inst_id(before, 0));
	struct cas_update u = sample_update(upd);
	struct cas_access_new n = { "Tencent", "AKIDclientTestDryRun1", "tencent-secret-key-3" };
	for (int round = 0; round < 2; round++) { /* functions, then the table */
		if (round == 0) {
			expect_rc(cas_update_instance(c, &u, &e), 0, &e);
			expect_rc(cas_refund_instance(c, ref, &e), 0, &e);
			expect_rc(cas_delete_instance(c, upd, &e), 0, &e);
			expect_rc(cas_add_cloud_access(c, &n, &e), 0, &e);
			expect_rc(cas_delete_cloud_access(c, "100100", &e), 0, &e);
		} else {
			expect_rc(a->ops->update_instance(a, &u, &e), 0, &e);
			expect_rc(a->ops->refund_instance(a, ref, &e), 0, &e);
			expect_rc(a->ops->delete_instance(a, upd, &e), 0, &e);
			expect_rc(a->ops->add_cloud_access(a, &n, &e), 0, &e);
			expect_rc(a->ops->delete_cloud_access(a, "100100", &e), 0, &e);
		}
	}
	/* nothing reached the emulator */
	assert_int_equal(audit_lines(), 0);
	cJSON *after = emu_state();
	cJSON_DeleteItemFromObject(after, "now_ms");
	expect_same_json(after, before);
	struct cas_client_stats cs;
	cas_client_stats(c, &cs);
	const enum cas_action muts[] = { CAS_UPDATE_INSTANCE, CAS_DELETE_INSTANCE, CAS_REFUND_INSTANCE,
					 CAS_ADD_CLOUD_ACCESS, CAS_DELETE_CLOUD_ACCESS };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(cs.a[muts[i]].dry_run, 2);
		assert_int_equal(cs.a[muts[i]].calls, 0);
	}
	assert_int_equal(cs.connections, 0);
	/* a bad mutation is still validated and refused in dry_run */
	struct cas_update bad = { .instance_id = upd, .auto_reissue = (char *)"sometimes" };
	expect_rc(cas_update_instance(c, &bad, &e), -EINVAL, &e);
	/* reads still go out */
	struct cas_doc *d = NULL;
	expect_rc(cas_get_instance_detail(c, upd, &d, &e), 0, &e);
	cas_obj_unref(d);
	cJSON *audit = audit_all();
	assert_int_equal(cJSON_GetArraySize(audit), 1);
	assert_int_equal(audit_count(audit, "GetInstanceDetail", -1), 1);
	cJSON_Delete(audit);
	free(upd);
	free(ref);
	cJSON_Delete(before);
	cJSON_Delete(after);
}

int group_dryrun(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dry_run, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.dryrun", tests, NULL, NULL);
}
