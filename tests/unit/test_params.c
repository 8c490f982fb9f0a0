/* test_params: proto/params.h beyond test_sign.c: set/get/copy/remove, the
 * SDK flattening of lists (1-based, null elements consume an index), i64
 * lists and tags, byte-order sorting and its determinism with duplicate
 * keys, encoding, and parse as the inverse of encode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "params.h"
#include "params_test.h"

static void expect_params(const struct cas_params *p, const char *const *kv, size_t n)
{
	if (p->n != n)
		fail_msg("%zu params, want %zu", p->n, n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(p->v[i].key, kv[2 * i]) != 0 || strcmp(p->v[i].val, kv[2 * i + 1]) != 0)
			fail_msg("param %zu is %s=%s, want %s=%s", i, p->v[i].key, p->v[i].val, kv[2 * i], kv[2 * i + 1]);
	}
}

#define EXPECT(p, ...)                                                                                  \
	do {                                                                                            \
		static const char *const kv_[] = { __VA_ARGS__ };                                       \
		expect_params(p, kv_, sizeof(kv_) / sizeof(kv_[0]) / 2);                                \
	} while (0)

static void set_get(void **state)
{
	(void)state;
	struct cas_params p = CAS_PARAMS_INIT;
	assert_null(cas_params_get(&p, "a"));
	cas_params_set(&p, "a", "1");
	cas_params_set(&p, "b", NULL);
	cas_params_set(&p, "a", "2");
	cas_params_set_i64(&p, "min", INT64_MIN);
	cas_params_set_i64(&p, "max", INT64_MAX);
	cas_params_set_i64(&p, "zero", 0);
	assert_string_equal(cas_params_get(&p, "a"), "1"); /* the first of duplicates */
	assert_string_equal(cas_params_get(&p, "b"), "");  /* null becomes an empty value, kept */
	assert_null(cas_params_get(&p, "A"));
	assert_null(cas_params_get(&p, ""));
	EXPECT(&p, "a", "1", "b", "", "a", "2", "min", "-9223372036854775808", "max", "9223372036854775807", "zero",
	       "0");
	/* many entries: growth keeps everything */
	for (int i = 0; i < 1000; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		cas_params_set_i64(&p, k, i);
	}
	assert_int_equal(p.n, 1006);
	assert_string_equal(cas_params_get(&p, "k999"), "999");
	assert_string_equal(cas_params_get(&p, "k0"), "0");
	cas_params_free(&p);
	assert_int_equal(p.n, 0);
	assert_null(p.v);
	cas_params_free(&p); /* twice is harmless */
}

static void copy(void **state)
{
	(void)state;
	struct cas_params src = CAS_PARAMS_INIT, dst = CAS_PARAMS_INIT;
	cas_params_set(&src, "x", "1");
	cas_params_set(&src, "y", "two words");
	cas_params_set(&dst, "pre", "0");
	cas_params_copy(&dst, &src);
	cas_params_free(&src); /* the copy owns its strings */
	EXPECT(&dst, "pre", "0", "x", "1", "y", "two words");
	struct cas_params empty = CAS_PARAMS_INIT;
	cas_params_copy(&dst, &empty);
	assert_int_equal(dst.n, 3);
	cas_params_free(&dst);
}

static void remove_all(void **state)
{
	(void)state;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "Signature", "s1");
	cas_params_set(&p, "a", "1");
	cas_params_set(&p, "Signature", "s2");
	cas_params_set(&p, "b", "2");
	cas_params_set(&p, "Signature", "s3");
	assert_int_equal(cas_params_remove(&p, "Signature"), 3);
	EXPECT(&p, "a", "1", "b", "2"); /* the rest keep their order */
	assert_int_equal(cas_params_remove(&p, "Signature"), 0);
	assert_int_equal(cas_params_remove(&p, "signature"), 0);
	assert_int_equal(cas_params_remove(&p, "a"), 1);
	assert_int_equal(cas_params_remove(&p, "b"), 1);
	assert_int_equal(p.n, 0);
	cas_params_set(&p, "c", "3"); /* still usable */
	EXPECT(&p, "c", "3");
	cas_params_free(&p);
}

static void lists(void **state)
{
	(void)state;
	struct cas_params p = CAS_PARAMS_INIT;
	const int64_t ids[] = { 101, 202, -1, INT64_MAX };
	cas_params_set_i64_list(&p, "ContactIdList", ids, 4);
	cas_params_set_i64_list(&p, "Empty", ids, 0);
	const char *const vals[] = { "a", NULL, "c" };
	cas_params_set_list(&p, "L", vals, 3);
	const struct cas_tag tags[] = { { "env", "prod test" }, { "owner", "\xe5\xbc\xa0\xe4\xb8\x89" }, { "k", NULL } };
	cas_params_set_tags(&p, "Tags", tags, 3);
	EXPECT(&p, "ContactIdList.1", "101", "ContactIdList.2", "202", "ContactIdList.3", "-1", "ContactIdList.4",
	       "9223372036854775807", "L.1", "a", "L.3", "c", "Tags.1.TagKey", "env", "Tags.1.TagValue", "prod test",
	       "Tags.2.TagKey", "owner", "Tags.2.TagValue", "\xe5\xbc\xa0\xe4\xb8\x89", "Tags.3.TagKey", "k",
	       "Tags.3.TagValue", "");
	cas_params_free(&p);

	/* twelve entries: indexes are decimal and 1-based */
	int64_t many[12];
	for (int i = 0; i < 12; i++)
		many[i] = i;
	cas_params_set_i64_list(&p, "C", many, 12);
	assert_string_equal(cas_params_get(&p, "C.1"), "0");
	assert_string_equal(cas_params_get(&p, "C.10"), "9");
	assert_string_equal(cas_params_get(&p, "C.12"), "11");
	assert_null(cas_params_get(&p, "C.0"));
	assert_null(cas_params_get(&p, "C.13"));
	cas_params_free(&p);
}

static void sort_byte_order(void **state)
{
	(void)state;
	struct cas_params p = CAS_PARAMS_INIT;
	static const char *const keys[] = { "b", "a", "Tags.2.TagKey", "Tags.10.TagKey", "Tags.1.TagValue",
					    "Tags.1.TagKey", "\xc3\xa9", "z", "Z", "a.1", "a1", "A", "_x", "~" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cas_params_set(&p, keys[i], "v");
	cas_params_sort(&p);
	static const char *const want[] = { "A",		"Tags.1.TagKey", "Tags.1.TagValue", "Tags.10.TagKey",
					    "Tags.2.TagKey",	"Z",		 "_x",		    "a",
					    "a.1",		"a1",		 "b",		    "z",
					    "~",		"\xc3\xa9" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(p.v[i].key, want[i]);
	cas_params_free(&p);
	/* sorting zero or one entry is fine */
	cas_params_sort(&p);
	cas_params_set(&p, "only", "1");
	cas_params_sort(&p);
	EXPECT(&p, "only", "1");
	cas_params_free(&p);
}

/* With duplicate keys (a received query may have them) the order after
 * sorting must not depend on the order they arrived in, or signer and
 * verifier would disagree; duplicates stay adjacent and none is lost. */
static void sort_duplicates_deterministic(void **state)
{
	(void)state;
	static const char *const kv[][2] = { { "k", "2" }, { "a", "x" }, { "k", "1" }, { "k", "10" },
					     { "b", "" },  { "k", "1" }, { "a", "" } };
	const size_t n = sizeof(kv) / sizeof(kv[0]);
	char *first = NULL;
	/* every rotation and the reversal of the input */
	for (size_t rot = 0; rot < 2 * n; rot++) {
		struct cas_params p = CAS_PARAMS_INIT;
		for (size_t i = 0; i < n; i++) {
			size_t j = rot < n ? (i + rot) % n : n - 1 - ((i + rot) % n);
			cas_params_set(&p, kv[j][0], kv[j][1]);
		}
		cas_params_sort(&p);
		assert_int_equal(p.n, n);
		for (size_t i = 1; i < p.n; i++)
			assert_true(strcmp(p.v[i - 1].key, p.v[i].key) <= 0);
		char *enc = cas_params_encode(&p, 0);
		if (!first)
			first = enc;
		else {
			assert_string_equal(enc, first);
			free(enc);
		}
		cas_params_free(&p);
	}
	assert_string_equal(first, "a=&a=x&b=&k=1&k=1&k=10&k=2");
	free(first);
}

static void encode(void **state)
{
	(void)state;
	struct cas_params p = CAS_PARAMS_INIT;
	char *s = cas_params_encode(&p, 1);
	assert_string_equal(s, "");
	free(s);
	cas_params_set(&p, "Key With Space", "a b+c&d=e/f~g*h");
	cas_params_set(&p, "E", "");
	cas_params_set(&p, "U", "\xe5\xbc\xa0");
	s = cas_params_encode(&p, 0);
	assert_string_equal(s, "Key With Space=a%20b%2Bc%26d%3De%2Ff~g%2Ah&E=&U=%E5%BC%A0");
	free(s);
	s = cas_params_encode(&p, 1);
	assert_string_equal(s, "Key%20With%20Space=a%20b%2Bc%26d%3De%2Ff~g%2Ah&E=&U=%E5%BC%A0");
	free(s);
	cas_params_free(&p);
}

static void parse(void **state)
{
	(void)state;
	struct cas_params p = CAS_PARAMS_INIT;
	assert_int_equal(cas_params_parse(&p, "a=1&b=&c&d=x%20y+z&&e=%2B%26%3D&"), 0);
	EXPECT(&p, "a", "1", "b", "", "c", "", "d", "x y z", "e", "+&=");
	cas_params_free(&p);
	assert_int_equal(cas_params_parse(&p, NULL), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(cas_params_parse(&p, ""), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(cas_params_parse(&p, "k%41y=v%61l=ue"), 0); /* '=' in a value */
	EXPECT(&p, "kAy", "val=ue");
	cas_params_free(&p);
	static const char *const bad[] = { "a=%", "a=%4", "a=%G1", "a=%1G", "%zz=1", "a=1&b=%%" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cas_params q = CAS_PARAMS_INIT;
		if (cas_params_parse(&q, bad[i]) != -1)
			fail_msg("parse accepted the malformed query %s", bad[i]);
		cas_params_free(&q);
	}
	/* lowercase hex is accepted */
	assert_int_equal(cas_params_parse(&p, "a=%e5%bc%a0"), 0);
	EXPECT(&p, "a", "\xe5\xbc\xa0");
	cas_params_free(&p);
}

static void parse_encode_round_trip(void **state)
{
	(void)state;
	static const char *const kv[][2] = {
		{ "Action", "ListInstances" },
		{ "Keyword", "a b*c" },
		{ "CertificateName", "my cert*(x)!~'/+=" },
		{ "Domain", "example.com,*.example.com" },
		{ "Tags.1.TagValue", "\xe5\xbc\xa0\xe4\xb8\x89" },
		{ "Empty", "" },
		{ "Percent", "100%" },
		{ "Amp&Key", "a&b=c" },
		{ "Plus", "+" },
		{ "Newline", "line1\nline2\r\n" },
		{ "Emoji", "\xf0\x9f\x98\x80" },
		{ "Dup", "1" },
		{ "Dup", "2" },
	};
	const size_t n = sizeof(kv) / sizeof(kv[0]);
	struct cas_params p = CAS_PARAMS_INIT, q = CAS_PARAMS_INIT;
	for (size_t i = 0; i < n; i++)
		cas_params_set(&p, kv[i][0], kv[i][1]);
	char *s = cas_params_encode(&p, 1);
	assert_int_equal(cas_params_parse(&q, s), 0);
	assert_int_equal(q.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(q.v[i].key, kv[i][0]);
		assert_string_equal(q.v[i].val, kv[i][1]);
	}
	/* and encode of the parse gives the same text */
	char *s2 = cas_params_encode(&q, 1);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	cas_params_free(&p);
	cas_params_free(&q);

	/* every byte value 1..255 survives */
	char all[256];
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	cas_params_set(&p, "bytes", all);
	s = cas_params_encode(&p, 1);
	assert_int_equal(cas_params_parse(&q, s), 0);
	assert_string_equal(cas_params_get(&q, "bytes"), all);
	free(s);
	cas_params_free(&p);
	cas_params_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_get),
		cmocka_unit_test(copy),
		cmocka_unit_test(remove_all),
		cmocka_unit_test(lists),
		cmocka_unit_test(sort_byte_order),
		cmocka_unit_test(sort_duplicates_deterministic),
		cmocka_unit_test(encode),
		cmocka_unit_test(parse),
		cmocka_unit_test(parse_encode_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
