/* test_decode: the lenient field decoder (proto/decode.h) against the
 * official Go SDK's rules: digit strings as integers, numbers and booleans
 * as strings, null (and "" for integers) as absent, everything else BAD;
 * and the model's "a repeated id is one instance: keep the newest". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "canon.h"
#include "decode.h"
#include "model.h"

static cJSON *J(const char *s)
{
	cJSON *j = cas_json_parse(s, strlen(s));
	assert_non_null(j);
	return j;
}

static void ints(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		enum cas_dec want;
		int64_t v;
	} cases[] = {
		{ "{\"k\":1}", CAS_DEC_OK, 1 },
		{ "{\"k\":\"250\"}", CAS_DEC_OK, 250 },
		{ "{\"k\":\"-7\"}", CAS_DEC_OK, -7 },
		{ "{\"k\":1700000000000}", CAS_DEC_OK, 1700000000000LL },
		{ "{\"k\":\"1700000000000\"}", CAS_DEC_OK, 1700000000000LL },
		{ "{\"k\":null}", CAS_DEC_ABSENT, 0 },
		{ "{\"k\":\"\"}", CAS_DEC_ABSENT, 0 },
		{ "{}", CAS_DEC_ABSENT, 0 },
		{ "{\"k\":1.5}", CAS_DEC_BAD, 0 },
		{ "{\"k\":\"1.5\"}", CAS_DEC_BAD, 0 },
		{ "{\"k\":\"2024-01-01\"}", CAS_DEC_BAD, 0 },
		{ "{\"k\":\" 1\"}", CAS_DEC_BAD, 0 },
		{ "{\"k\":\"-\"}", CAS_DEC_BAD, 0 },
		{ "{\"k\":\"99999999999999999999\"}", CAS_DEC_BAD, 0 },
		{ "{\"k\":1e300}", CAS_DEC_BAD, 0 },
		{ "{\"k\":true}", CAS_DEC_BAD, 0 },
		{ "{\"k\":[1]}", CAS_DEC_BAD, 0 },
		{ "{\"k\":{}}", CAS_DEC_BAD, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = J(cases[i].json);
		int64_t v = -12345;
		enum cas_dec r = cas_dec_int(o, "k", &v);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].json, r, cases[i].want);
		if (r == CAS_DEC_OK && v != cases[i].v)
			fail_msg("%s: value %lld", cases[i].json, (long long)v);
		if (r != CAS_DEC_OK)
			assert_int_equal(v, -12345); /* untouched */
		cJSON_Delete(o);
	}
}

static void strings(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		enum cas_dec want;
		const char *v;
	} cases[] = {
		{ "{\"k\":\"abc\"}", CAS_DEC_OK, "abc" },   { "{\"k\":\"\"}", CAS_DEC_OK, "" },
		{ "{\"k\":47305}", CAS_DEC_OK, "47305" },   { "{\"k\":12.5}", CAS_DEC_OK, "12.5" },
		{ "{\"k\":true}", CAS_DEC_OK, "true" },     { "{\"k\":false}", CAS_DEC_OK, "false" },
		{ "{\"k\":null}", CAS_DEC_ABSENT, NULL },   { "{}", CAS_DEC_ABSENT, NULL },
		{ "{\"k\":[\"a\"]}", CAS_DEC_BAD, NULL },   { "{\"k\":{\"a\":1}}", CAS_DEC_BAD, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = J(cases[i].json);
		char *v = NULL;
		enum cas_dec r = cas_dec_str(o, "k", &v);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].json, r, cases[i].want);
		if (cases[i].v)
			assert_string_equal(v, cases[i].v);
		else
			assert_null(v);
		free(v);
		cJSON_Delete(o);
	}
}

static void tally(void **state)
{
	(void)state;
	struct cas_dec_tally t = { 0 };
	assert_int_equal(cas_dec_note(&t, CAS_DEC_OK, "A", "x"), CAS_DEC_OK);
	assert_int_equal(cas_dec_note(&t, CAS_DEC_ABSENT, "A", "x"), CAS_DEC_ABSENT);
	assert_int_equal(t.n, 0);
	cas_dec_note(&t, CAS_DEC_BAD, "CertificateName", "cas-cn-1");
	cas_dec_note(&t, CAS_DEC_BAD, "Domain", "cas-cn-2");
	assert_int_equal(t.n, 2);
	assert_string_equal(t.first, "CertificateName of cas-cn-1");
	cas_dec_report(&t, "test");
}

static void add(struct cas_instances *l, const char *id, const char *status)
{
	l->v = cas_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(*l->v));
	l->v[l->n].id = cas_xstrdup(id);
	l->v[l->n].status = cas_xstrdup(status);
	l->n++;
}

/* A repeated id is one instance, and the entry that came last is kept. */
static void keep_newest(void **state)
{
	(void)state;
	struct cas_instances *a = cas_instances_new(), *b = cas_instances_new();
	add(a, "c", "old");
	add(a, "a", "x");
	add(a, "c", "mid");
	add(b, "b", "y");
	add(b, "c", "new");
	cas_instances_append(a, b);
	assert_int_equal(b->n, 0);
	cas_instances_sort_unique(a);
	assert_int_equal(a->n, 3);
	assert_int_equal(a->repeated, 2);
	assert_string_equal(a->v[0].id, "a");
	assert_string_equal(a->v[1].id, "b");
	assert_string_equal(a->v[2].id, "c");
	assert_string_equal(cas_instances_find(a, "c")->status, "new");
	cas_obj_unref(a);
	cas_obj_unref(b);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(ints),
		cmocka_unit_test(strings),
		cmocka_unit_test(tally),
		cmocka_unit_test(keep_newest),
	};
	return cmocka_run_group_tests_name("unit.decode", t, NULL, NULL);
}
