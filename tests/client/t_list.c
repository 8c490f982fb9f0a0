/* t_list: whole-list reads. Paging through 1,000 instances (exactly 1000
 * sorted unique ids, ceil(1000/100) = 10 ListInstances calls in the audit,
 * pages 1..10 each once); each cas_list_filter field narrowing the result
 * exactly as /_emulator/state predicts; and hostile ids injected through
 * POST /_emulator/instances/<id> being skipped (counted in ->skipped), never
 * returned. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "harness.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted ids of the state's instances for which keep() holds. */
static char **state_ids(cJSON *st, int (*keep)(const cJSON *it, const void *arg), const void *arg, size_t *n)
{
	cJSON *arr = cJSON_GetObjectItem(st, "instances");
	char **v = cas_xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	*n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	if (!keep || keep(it, arg))
		v[(*n)++] = cas_xstrdup(jstr(it, "InstanceId"));
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_ids(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void expect_ids(const struct cas_instances *l, char **want, size_t n)
{
	if (l->n != n) {
		fprintf(stderr, "got %zu ids, want %zu\n", l->n, n);
		fail();
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->v[i].id, want[i]);
}

/* ---- paging ---- */

static void test_paging_1000(void **state)
{
	(void)state;
	EMU_UP("--instances", "1000");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	size_t n;
	char **want = state_ids(st, NULL, NULL, &n);
	assert_int_equal(n, 1000);
	struct cas_error e;
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 1000);
	assert_int_equal(l->total_count, 1000);
	assert_int_equal(l->skipped, 0);
	for (size_t i = 1; i < l->n; i++)
		assert_true(strcmp(l->v[i - 1].id, l->v[i].id) < 0); /* sorted, unique */
	expect_ids(l, want, n);
	for (size_t i = 0; i < l->n; i += 97)
		assert_non_null(cas_instances_find(l, l->v[i].id));
	cas_obj_unref(l);

	/* ceil(1000/100) = 10 calls, pages 1..10 once each, ShowSize 100 */
	cJSON *audit = audit_all();
	assert_int_equal(cJSON_GetArraySize(audit), 10);
	assert_int_equal(audit_count(audit, "ListInstances", -1), 10);
	assert_int_equal(audit_count_status(audit, "ListInstances", 200), 10);
	int seen[11] = { 0 };
	const cJSON *it;
	cJSON_ArrayForEach(it, audit)
	{
		const cJSON *p = cJSON_GetObjectItem(it, "params");
		assert_string_equal(jstr(p, "ShowSize"), "100");
		int page = atoi(jstr(p, "CurrentPage"));
		assert_true(page >= 1 && page <= 10);
		seen[page]++;
	}
	for (int i = 1; i <= 10; i++)
		assert_int_equal(seen[i], 1);
	cJSON_Delete(audit);

	/* the table's list_instances is the same whole list, again 10 calls */
	struct cas_api *a = cas_client_api(c);
	expect_rc(a->ops->list_instances(a, NULL, &l, &e), 0, &e);
	expect_ids(l, want, n);
	cas_obj_unref(l);
	audit = audit_all();
	assert_int_equal(audit_count(audit, "ListInstances", -1), 20);
	cJSON_Delete(audit);
	free_ids(want, n);
	cJSON_Delete(st);
}

/* Page boundaries: 0, 1, 99, 100, 101 and 250 instances, and sequential paging. */
static void test_paging_edges(void **state)
{
	(void)state;
	EMU_UP("--instances", "250");
	struct cas_client_opts o = { .page_workers = 1, .max_retries = -1 };
	struct cas_client *c = client_for(CRED_AK, &o);
	struct cas_error e;
	cJSON *st = emu_state();
	size_t n;
	char **want = state_ids(st, NULL, NULL, &n);
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	expect_ids(l, want, n);
	cas_obj_unref(l);
	cJSON *audit = audit_all();
	assert_int_equal(audit_count(audit, "ListInstances", -1), 3);
	cJSON_Delete(audit);
	free_ids(want, n);

	/* delete down to 101, 100, 99, 1 and 0 instances behind the client's back */
	const int sizes[] = { 101, 100, 99, 1, 0 };
	cJSON *ids = cJSON_GetObjectItem(st, "instances");
	int have = 250;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		while (have > sizes[s]) {
			have--;
			char *path = cas_xasprintf("/_emulator/instances/%s", jstr(cJSON_GetArrayItem(ids, have), "InstanceId"));
			cJSON_Delete(emu_delete(path));
			free(path);
		}
		int before = audit_lines();
		expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
		assert_int_equal(l->n, (size_t)sizes[s]);
		assert_int_equal(l->total_count, sizes[s]);
		for (int i = 0; i < sizes[s]; i++)
			assert_non_null(cas_instances_find(l, jstr(cJSON_GetArrayItem(ids, i), "InstanceId")));
		cas_obj_unref(l);
		int calls = audit_lines() - before;
		int pages = sizes[s] ? (sizes[s] + 99) / 100 : 1;
		assert_int_equal(calls, pages);
	}
	cJSON_Delete(st);
}

/* ---- filters ---- */

struct want_filter {
	const char *field; /* state field, or "Keyword" */
	const char *value;
};

static int contains_ci(const char *hay, const char *needle)
{
	if (!hay)
		return 0;
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return 1;
	return 0;
}

/* The emulator's documented filter rules (Brand case-insensitive, Keyword a
 * case-insensitive substring of Domain, CertificateName or InstanceId). */
static int matches(const cJSON *it, const void *arg)
{
	for (const struct want_filter *f = arg; f->field; f++) {
		if (strcmp(f->field, "Keyword") == 0) {
			if (!contains_ci(jstr(it, "Domain"), f->value) && !contains_ci(jstr(it, "CertificateName"), f->value) &&
			    !contains_ci(jstr(it, "InstanceId"), f->value))
				return 0;
		} else if (strcmp(f->field, "Brand") == 0) {
			const char *v = jstr(it, "Brand");
			if (!v || strcasecmp(v, f->value) != 0)
				return 0;
		} else {
			const char *v = jstr(it, f->field);
			if (!v || strcmp(v, f->value) != 0)
				return 0;
		}
	}
	return 1;
}

static void set_filter(struct cas_list_filter *lf, const struct want_filter *wf)
{
	memset(lf, 0, sizeof(*lf));
	for (const struct want_filter *f = wf; f->field; f++) {
		if (strcmp(f->field, "Status") == 0)
			lf->status = f->value;
		else if (strcmp(f->field, "Brand") == 0)
			lf->brand = f->value;
		else if (strcmp(f->field, "CertificateStatus") == 0)
			lf->cert_status = f->value;
		else if (strcmp(f->field, "CertificateType") == 0)
			lf->cert_type = f->value;
		else if (strcmp(f->field, "InstanceType") == 0)
			lf->instance_type = f->value;
		else if (strcmp(f->field, "Keyword") == 0)
			lf->keyword = f->value;
		else if (strcmp(f->field, "ResourceGroupId") == 0)
			lf->resource_group_id = f->value;
		else
			fail_msg("unknown filter %s", f->field);
	}
}

static void check_filter(struct cas_client *c, cJSON *st, const struct want_filter *wf, int must_narrow)
{
	struct cas_list_filter lf;
	set_filter(&lf, wf);
	size_t n, all;
	char **want = state_ids(st, matches, wf, &n);
	char **every = state_ids(st, NULL, NULL, &all);
	free_ids(every, all);
	if (must_narrow && !(n > 0 && n < all))
		fail_msg("filter %s=%s matches %zu of %zu: not a useful test value", wf->field, wf->value, n, all);
	struct cas_error e;
	struct cas_instances *l = NULL;
	int before = audit_lines();
	expect_rc(cas_list_all_instances(c, &lf, &l, &e), 0, &e);
	if (l->n != n)
		fprintf(stderr, "filter %s=%s%s: got %zu, want %zu\n", wf->field, wf->value, wf[1].field ? " (+more)" : "",
			l->n, n);
	expect_ids(l, want, n);
	assert_int_equal(l->total_count, (int64_t)n);
	cas_obj_unref(l);
	/* one call per 100 matches, each carrying the filter */
	cJSON *audit = audit_all();
	int calls = cJSON_GetArraySize(audit) - before;
	assert_int_equal(calls, n ? (int)(n + 99) / 100 : 1);
	for (int i = before; i < cJSON_GetArraySize(audit); i++) {
		const cJSON *p = cJSON_GetObjectItem(cJSON_GetArrayItem(audit, i), "params");
		for (const struct want_filter *f = wf; f->field; f++)
			assert_string_equal(jstr(p, f->field), f->value);
	}
	cJSON_Delete(audit);
	free_ids(want, n);
}

static void test_filters(void **state)
{
	(void)state;
	EMU_UP("--instances", "400");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	/* values that exist, taken from the data */
	cJSON *i3 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), 3);
	char *rg = cas_xstrdup(jstr(i3, "ResourceGroupId"));
	const struct want_filter singles[][2] = {
		{ { "Status", "normal" }, { NULL, NULL } },
		{ { "Status", "refund" }, { NULL, NULL } },
		{ { "Brand", "DigiCert" }, { NULL, NULL } },
		{ { "Brand", "Alibaba" }, { NULL, NULL } },
		{ { "CertificateStatus", "issued" }, { NULL, NULL } },
		{ { "CertificateStatus", "expired" }, { NULL, NULL } },
		{ { "CertificateType", "OV" }, { NULL, NULL } },
		{ { "InstanceType", "TEST" }, { NULL, NULL } },
		{ { "InstanceType", "BUY" }, { NULL, NULL } },
		{ { "Keyword", "api-gw" }, { NULL, NULL } },
		{ { "Keyword", "CAS_DV" }, { NULL, NULL } }, /* case-insensitive, matches the id */
		{ { "ResourceGroupId", rg }, { NULL, NULL } },
	};
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
		check_filter(c, st, singles[i], 1);
	/* combinations narrow further */
	const struct want_filter combo[] = { { "Status", "normal" }, { "InstanceType", "BUY" },
					     { "CertificateType", "DV" }, { NULL, NULL } };
	check_filter(c, st, combo, 1);
	/* a filter that matches nothing */
	const struct want_filter none[] = { { "Keyword", "no-such-domain-anywhere" }, { NULL, NULL } };
	check_filter(c, st, none, 0);
	/* the table's list_instances takes the same filter */
	struct cas_api *a = cas_client_api(c);
	struct cas_list_filter lf = { .status = "expired" };
	struct cas_error e;
	struct cas_instances *l = NULL;
	expect_rc(a->ops->list_instances(a, &lf, &l, &e), 0, &e);
	const struct want_filter exp[] = { { "Status", "expired" }, { NULL, NULL } };
	size_t n;
	char **want = state_ids(st, matches, exp, &n);
	expect_ids(l, want, n);
	for (size_t i = 0; i < l->n; i++)
		assert_string_equal(l->v[i].status, "expired");
	free_ids(want, n);
	cas_obj_unref(l);
	free(rg);
	cJSON_Delete(st);
}

/* After a change behind the client's back, the filter follows the state. */
static void test_filter_follows_state(void **state)
{
	(void)state;
	EMU_UP("--instances", "60");
	struct cas_client *c = client_for(CRED_AK, NULL);
	cJSON *st = emu_state();
	const char *id = jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), 10), "InstanceId");
	char *path = cas_xasprintf("/_emulator/instances/%s", id);
	cJSON_Delete(emu_post(path, "{\"ResourceGroupId\":\"rg-client-test-moved\"}"));
	free(path);
	struct cas_list_filter lf = { .resource_group_id = "rg-client-test-moved" };
	struct cas_error e;
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, &lf, &l, &e), 0, &e);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].id, id);
	cas_obj_unref(l);
	cJSON_Delete(st);
}

/* A server whose pages are smaller than asked (10 for 50): cloud access is
 * still listed completely, one call per server page; and throttling as
 * HTTP 429 (selectable) is retried like the default HTTP 400. */
static void test_paging_server_cap(void **state)
{
	(void)state;
	EMU_UP("--cloud-access", "25", "--page-cap", "10", "--instances", "35", "--qps", "3", "--throttle-status",
	       "429");
	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_error e;
	struct cas_entries *en = NULL;
	expect_rc(cas_list_all_cloud_access(c, &en, &e), 0, &e);
	assert_int_equal(en->n, 25);
	cas_obj_unref(en);
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n, 35);
	assert_int_equal(l->inconsistent, 0);
	cas_obj_unref(l);
	cJSON *audit = audit_all();
	assert_int_equal(audit_count_status(audit, "ListCloudAccess", 200), 3);
	assert_int_equal(audit_count_status(audit, "ListInstances", 200), 4);
	assert_true(audit_count_status(audit, "ListInstances", 429) + audit_count_status(audit, "ListCloudAccess", 429) >
		    0);
	cJSON_Delete(audit);
}

int group_paging(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_paging_1000, emu_teardown),
		cmocka_unit_test_teardown(test_paging_edges, emu_teardown),
		cmocka_unit_test_teardown(test_paging_server_cap, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.paging", tests, NULL, NULL);
}

int group_filters(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_filters, emu_teardown),
		cmocka_unit_test_teardown(test_filter_follows_state, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.filters", tests, NULL, NULL);
}

/* ---- hostile ids ---- */

static int is_safe(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f || *p >= 0x80)
			return 0; /* (the hostile set below has no valid non-ASCII id) */
	return 1;
}

static void test_hostile_ids(void **state)
{
	(void)state;
	EMU_UP("--instances", "150");
	cJSON *st = emu_state();
	char *dup = cas_xstrdup(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "instances"), 4), "InstanceId"));
	cJSON_Delete(st);
	struct cas_buf longid = CAS_BUF_INIT;
	for (int i = 0; i < 300; i++)
		cas_buf_addc(&longid, 'a');
	/* bodies POSTed to /_emulator/instances/hostile-N */
	char *dup_body = cas_xasprintf("{\"InstanceId\":\"%s\"}", dup);
	char *long_body = cas_xasprintf("{\"InstanceId\":\"%s\"}", cas_buf_str(&longid));
	const char *bodies[] = {
		"{\"InstanceId\":\"../x\"}",
		"{\"InstanceId\":\"..\"}",
		"{\"InstanceId\":\".\"}",
		"{\"InstanceId\":\"a/b\"}",
		"{\"InstanceId\":\"/etc/passwd\"}",
		"{\"InstanceId\":\"\"}",
		"{\"InstanceId\":\"line\\nbreak\"}",
		"{\"InstanceId\":\"tab\\there\"}",
		"{\"InstanceId\":\"nul\\u0000cut\"}",
		"{\"InstanceId\":\"bad\xff\xfeutf8\"}",
		"{\"InstanceId\":\"del\\u007f\"}",
		"{\"InstanceId\":12345}",
		"{\"InstanceId\":null}",
		"{\"InstanceId\":[\"x\"]}",
		long_body,
		dup_body,
	};
	size_t nb = sizeof(bodies) / sizeof(bodies[0]);
	for (size_t i = 0; i < nb; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/_emulator/instances/hostile-%zu", i);
		cJSON_Delete(emu_post(path, bodies[i]));
	}
	/* a safe id added the same way is listed normally */
	cJSON_Delete(emu_post("/_emulator/instances/cas-cn-addedbytest", "{\"Status\":\"normal\"}"));

	struct cas_client *c = client_for(CRED_AK, NULL);
	struct cas_error e;
	struct cas_instances *l = NULL;
	expect_rc(cas_list_all_instances(c, NULL, &l, &e), 0, &e);
	/* what the emulator lists, entry by entry (a raw page read, for the truth) */
	cJSON *ids = emu_get("/_emulator/instances");
	int total = cJSON_GetArraySize(ids);
	assert_int_equal(total, 150 + (int)nb + 1);
	assert_int_equal(l->total_count, total);
	/* every listed entry is returned, counted as skipped (unsafe name) or
	 * as repeated (the duplicate id: one instance, its newest entry kept) */
	assert_int_equal(l->n + l->skipped + l->repeated, (size_t)total);
	assert_true(l->skipped >= nb - 2); /* the number 12345 is the name "12345"; the duplicate is repeated */
	assert_int_equal(l->repeated, 1);
	for (size_t i = 0; i < l->n; i++) {
		assert_true(is_safe(l->v[i].id));
		if (i)
			assert_true(strcmp(l->v[i - 1].id, l->v[i].id) < 0);
		assert_null(strstr(l->v[i].id, "/"));
		assert_true(strcmp(l->v[i].id, "..") && strcmp(l->v[i].id, "."));
	}
	/* every safe, unique generated id is still there, plus the safe added one */
	st = emu_state();
	const cJSON *it;
	size_t safe_unique = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "instances"))
	{
		const char *id = jstr(it, "InstanceId");
		if (!id || !is_safe(id) || strcmp(id, dup) == 0)
			continue;
		safe_unique++;
		if (!cas_instances_find(l, id))
			fail_msg("safe id %s was not returned", id);
	}
	assert_int_equal(safe_unique, 150 - 1 + 1);
	assert_non_null(cas_instances_find(l, "cas-cn-addedbytest"));
	/* the duplicated id is never returned twice */
	size_t dups = 0;
	for (size_t i = 0; i < l->n; i++)
		dups += strcmp(l->v[i].id, dup) == 0;
	assert_int_equal(dups, 1);
	assert_non_null(cas_instances_find(l, "12345")); /* a number where a string is expected, as the SDK reads it */
	assert_int_equal(l->n, safe_unique + dups + 1);
	cas_obj_unref(l);

	/* the same through the table, and with a filter that spans a hostile entry */
	struct cas_api *a = cas_client_api(c);
	expect_rc(a->ops->list_instances(a, NULL, &l, &e), 0, &e);
	assert_int_equal(l->n + l->skipped + l->repeated, (size_t)total);
	cas_obj_unref(l);
	cJSON_Delete(ids);
	cJSON_Delete(st);
	free(dup_body);
	free(long_body);
	free(dup);
	cas_buf_free(&longid);
}

int group_hostile(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hostile_ids, emu_teardown),
	};
	return cmocka_run_group_tests_name("client.hostile", tests, NULL, NULL);
}
