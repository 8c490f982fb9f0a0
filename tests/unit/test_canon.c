/* test_canon: proto/canon.h. cas_canon_render must be byte-identical to
 * `jq -S .` (jq 1.6): fixed expectations (layout, escapes, jq's number
 * format, invalid UTF-8, duplicate keys) plus a few hundred generated
 * documents compared with the real jq (skipped only when jq is missing),
 * and cas_canon_render_line against `jq -S -c .`.
 * Also cas_json_parse (trailing whitespace/garbage, "\u0000" -> U+FFFD) and
 * cas_utf8_clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "canon.h"
#include "../support/ci_skip.h"

#define JQ "/usr/bin/jq"

/* Parses text with cas_json_parse and renders it. */
static char *render_text(const char *text)
{
	cJSON *j = cas_json_parse(text, strlen(text));
	if (!j)
		return NULL;
	struct cas_buf b = CAS_BUF_INIT;
	cas_canon_render(&b, j);
	cJSON_Delete(j);
	return cas_buf_steal(&b);
}

static void expect_render(const char *in, const char *want)
{
	char *got = render_text(in);
	if (!got)
		fail_msg("cas_json_parse rejected %s", in);
	if (strcmp(got, want) != 0)
		fail_msg("render of %s:\n got: [%s]\nwant: [%s]", in, got, want);
	free(got);
}

/* ---- fixed expectations ------------------------------------------------ */

static void layout(void **state)
{
	(void)state;
	expect_render("{\"b\":1,\"a\":[1,2,{}],\"c\":{},\"d\":[]}",
		      "{\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"b\": 1,\n  \"c\": {},\n  \"d\": []\n}\n");
	expect_render("null", "null\n");
	expect_render("true", "true\n");
	expect_render("false", "false\n");
	expect_render("\"x\"", "\"x\"\n");
	expect_render("[]", "[]\n");
	expect_render("{}", "{}\n");
	expect_render("[[[]]]", "[\n  [\n    []\n  ]\n]\n");
	expect_render("{\"a\":{\"b\":{\"c\":null}}}", "{\n  \"a\": {\n    \"b\": {\n      \"c\": null\n    }\n  }\n}\n");
	/* keys sort bytewise: uppercase before lowercase, prefix first, UTF-8 after ASCII */
	expect_render("{\"b\":1,\"B\":2,\"ab\":3,\"a\":4,\"\xc3\xa9\":5,\"z\":6}",
		      "{\n  \"B\": 2,\n  \"a\": 4,\n  \"ab\": 3,\n  \"b\": 1,\n  \"z\": 6,\n  \"\xc3\xa9\": 5\n}\n");
}

static void numbers(void **state)
{
	(void)state;
	/* expectations taken from jq 1.6 */
	static const char *const cases[][2] = {
		{ "1800000000000", "1800000000000" },
		{ "1e16", "1e+16" },
		{ "1e17", "1e+17" },
		{ "1e15", "1000000000000000" },
		{ "1e-5", "1e-05" },
		{ "0.0001", "0.0001" },
		{ "0.000123", "0.000123" },
		{ "1.23e-7", "1.23e-07" },
		{ "-0", "-0" },
		{ "0", "0" },
		{ "123456789012345678", "123456789012345680" },
		{ "12345678901234567890", "12345678901234567000" },
		{ "100000000000000000000", "1e+20" },
		{ "1.5", "1.5" },
		{ "-1.5", "-1.5" },
		{ "0.1", "0.1" },
		{ "1e300", "1e+300" },
		{ "1e1000", "1.7976931348623157e+308" },
		{ "-1e1000", "-1.7976931348623157e+308" },
		{ "5e-324", "5e-324" },
		{ "1.7976931348623157e308", "1.7976931348623157e+308" },
		{ "3.0", "3" },
		{ "1E2", "100" },
		{ "2.5e-3", "0.0025" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];
		snprintf(want, sizeof(want), "%s\n", cases[i][1]);
		expect_render(cases[i][0], want);
	}
}

static void strings(void **state)
{
	(void)state;
	expect_render("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\"\\\" \\\\ / \\b \\f \\n \\r \\t\"\n");
	/* other controls as lowercase \u00XX, DEL escaped, non-ASCII kept raw */
	expect_render("\"\\u0001\\u001F\\u001b\x7f\\u007F\"", "\"\\u0001\\u001f\\u001b\\u007f\\u007f\"\n");
	expect_render("\"\\u00e9\\u5F20\\ud83d\\ude00\"", "\"\xc3\xa9\xe5\xbc\xa0\xf0\x9f\x98\x80\"\n");
	expect_render("\"\xe5\xbc\xa0\xe4\xb8\x89 \xf0\x9f\x98\x80\"", "\"\xe5\xbc\xa0\xe4\xb8\x89 \xf0\x9f\x98\x80\"\n");
	expect_render("\"\\u2028\"", "\"\xe2\x80\xa8\"\n");
}

static void invalid_utf8(void **state)
{
	(void)state;
	/* jq 1.6 replacements, one U+FFFD per maximal bad sequence as jq decodes */
	static const char *const cases[][2] = {
		{ "a\xc0\xaf" "b", "a\xef\xbf\xbd\xef\xbf\xbd" "b" }, /* overlong: two bad single bytes */
		{ "\xe2\x82", "\xef\xbf\xbd" },                       /* truncated at end */
		{ "\xe2\x82z", "\xef\xbf\xbdz" },                     /* truncated before ASCII */
		{ "\xed\xa0\x80", "\xef\xbf\xbd" },                   /* encoded surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd" },               /* above U+10FFFF */
		{ "\xff", "\xef\xbf\xbd" },
		{ "\x80x", "\xef\xbf\xbdx" },
		{ "\xf0\x9f\x98", "\xef\xbf\xbd" },
		{ "ok\xf0\x9f\x98\x80", "ok\xf0\x9f\x98\x80" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cas_buf b = CAS_BUF_INIT;
		cas_canon_string(&b, cases[i][0], strlen(cases[i][0]));
		char want[64];
		snprintf(want, sizeof(want), "\"%s\"", cases[i][1]);
		if (strcmp(cas_buf_str(&b), want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, cas_buf_str(&b), want);
		cas_buf_free(&b);
	}
}

static void duplicate_keys_keep_last(void **state)
{
	(void)state;
	expect_render("{\"a\":1,\"a\":2}", "{\n  \"a\": 2\n}\n");
	expect_render("{\"b\":0,\"a\":1,\"c\":3,\"a\":2}", "{\n  \"a\": 2,\n  \"b\": 0,\n  \"c\": 3\n}\n");
	expect_render("{\"a\":1,\"b\":{\"c\":1,\"c\":[1]},\"a\":[]}", "{\n  \"a\": [],\n  \"b\": {\n    \"c\": [\n      1\n    ]\n  }\n}\n");
	/* the same key spelled with an escape is the same key */
	expect_render("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "{\n  \"\xc3\xa9\": 2\n}\n");
	expect_render("{\"z\":1,\"z\":2,\"z\":3}", "{\n  \"z\": 3\n}\n");
}

/* jq replaces invalid UTF-8 in keys before sorting and deduplicating, so
 * keys that differ only in their invalid bytes are one key, and the sort
 * order is that of the replaced text. */
static void invalid_utf8_keys_like_jq(void **state)
{
	(void)state;
	/* "\xfe" becomes U+FFFD (EF BF BD), which sorts before U+FFFE (EF BF BE) */
	expect_render("{\"\xfe\":1,\"\xef\xbf\xbe\":2}",
		      "{\n  \"\xef\xbf\xbd\": 1,\n  \"\xef\xbf\xbe\": 2\n}\n");
	/* "\xfe" and "\xff" are both U+FFFD: one key, the last value */
	expect_render("{\"\xfe\":1,\"\xff\":2}", "{\n  \"\xef\xbf\xbd\": 2\n}\n");
}

/* ---- cas_json_parse and cas_utf8_clean ---------------------------------- */

static void parse_rules(void **state)
{
	(void)state;
	cJSON *j = cas_json_parse("{}  \n\t\r ", 8);
	assert_non_null(j);
	cJSON_Delete(j);
	j = cas_json_parse("  [1]", 5);
	assert_non_null(j);
	cJSON_Delete(j);
	static const char *const bad[] = { "{} x", "{}{}", "1 2", "[1] ,", "", "   ", "{", "[1,]", "{\"a\"}", "nul",
					   "\"abc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = cas_json_parse(bad[i], strlen(bad[i]));
		if (j)
			fail_msg("cas_json_parse accepted [%s]", bad[i]);
	}
	/* the length is respected: garbage past len is not seen */
	j = cas_json_parse("[1]xyz", 3);
	assert_non_null(j);
	cJSON_Delete(j);
}

static void parse_rejects_trailing_control_bytes(void **state)
{
	(void)state;
	/* JSON whitespace is space, tab, LF and CR only; a control byte after
	 * the document is trailing garbage (jq rejects it too) */
	static const char *const bad[] = { "{}\x01", "{}\x0b", "1\x1f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *j = cas_json_parse(bad[i], strlen(bad[i]));
		if (j) {
			cJSON_Delete(j);
			fail_msg("cas_json_parse accepted a document followed by control byte 0x%02x",
				 (unsigned char)bad[i][strlen(bad[i]) - 1]);
		}
	}
}

static void parse_nul_escape(void **state)
{
	(void)state;
	const char *t = "[\"a\\u0000b\", \"\\u0000\", \"\\\\u0000\", \"\\\\\\u0000\", {\"k\\u0000\": 1}]";
	cJSON *j = cas_json_parse(t, strlen(t));
	assert_non_null(j);
	assert_string_equal(cJSON_GetArrayItem(j, 0)->valuestring, "a\xef\xbf\xbd" "b");
	assert_string_equal(cJSON_GetArrayItem(j, 1)->valuestring, "\xef\xbf\xbd");
	/* an escaped backslash followed by the text u0000 is not an escape */
	assert_string_equal(cJSON_GetArrayItem(j, 2)->valuestring, "\\u0000");
	assert_string_equal(cJSON_GetArrayItem(j, 3)->valuestring, "\\\xef\xbf\xbd");
	assert_string_equal(cJSON_GetArrayItem(j, 4)->child->string, "k\xef\xbf\xbd");
	/* the input text itself is not modified */
	assert_non_null(strstr(t, "\\u0000"));
	cJSON_Delete(j);
	/* U+FFFD makes the string unclean for the validators */
	assert_false(cas_utf8_clean("a\xef\xbf\xbd" "b"));
}

static void utf8_clean(void **state)
{
	(void)state;
	assert_true(cas_utf8_clean(""));
	assert_true(cas_utf8_clean("plain ascii"));
	assert_true(cas_utf8_clean("\xc3\xa9\xe5\xbc\xa0\xf0\x9f\x98\x80"));
	assert_true(cas_utf8_clean("\xef\xbf\xbc\xef\xbf\xbe")); /* U+FFFC, U+FFFE are not U+FFFD */
	assert_false(cas_utf8_clean("\xef\xbf\xbd"));
	assert_false(cas_utf8_clean("a\xff"));
	assert_false(cas_utf8_clean("\xc0\xaf"));
	assert_false(cas_utf8_clean("\xe2\x82"));
	assert_false(cas_utf8_clean("\xed\xa0\x80"));
	assert_false(cas_utf8_clean("\xf4\x90\x80\x80"));
	assert_false(cas_utf8_clean("\x80"));
	assert_false(cas_utf8_clean("\xf0\x9f\x98"));
}

/* ---- generated documents compared with jq -------------------------------- */

struct gen {
	uint64_t s;
	struct cas_buf b;
	int bad_keys; /* also put invalid UTF-8 into object keys */
};

static uint64_t rnd(struct gen *g)
{
	uint64_t x = g->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned pick(struct gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

static void ws(struct gen *g)
{
	static const char *const w[] = { "", "", "", " ", "\n", "\t", "\r\n", "  " };
	cas_buf_adds(&g->b, w[pick(g, 8)]);
}

static const char *const fragments[] = {
	"a", "b", "Z", "key", "0", " ", "-", ".", "_", "~",
	"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
	"\\u0001", "\\u001f", "\\u001F", "\\u007f", "\\u00e9", "\\u5f20", "\\ud83d\\ude00", "\\uFFFD", "\\u2028",
	"\x7f",                               /* raw DEL */
	"\xc3\xa9", "\xe5\xbc\xa0\xe4\xb8\x89", "\xf0\x9f\x98\x80", "\xef\xbf\xbe",
};
static const char *const bad_fragments[] = {
	"\xff", "\xfe", "\x80", "\xc0\xaf", "\xe2\x82", "\xe2\x82z", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x9f\x98",
	"\xc3", "\xc3\xc3\xa9",
};

static void gen_string(struct gen *g, int allow_bad)
{
	cas_buf_addc(&g->b, '"');
	unsigned n = pick(g, 7);
	for (unsigned i = 0; i < n; i++) {
		if (allow_bad && pick(g, 6) == 0)
			cas_buf_adds(&g->b, bad_fragments[pick(g, sizeof(bad_fragments) / sizeof(bad_fragments[0]))]);
		else
			cas_buf_adds(&g->b, fragments[pick(g, sizeof(fragments) / sizeof(fragments[0]))]);
	}
	cas_buf_addc(&g->b, '"');
}

static void gen_key(struct gen *g)
{
	/* a small alphabet so that duplicates and shared prefixes are common */
	static const char *const keys[] = { "\"a\"", "\"b\"", "\"A\"", "\"ab\"", "\"a b\"", "\"\"", "\"\\u0061\"",
					    "\"\xc3\xa9\"", "\"\\u00e9\"", "\"Tags\"", "\"tags\"", "\"a\\u0001\"",
					    "\"\xe5\xbc\xa0\"" };
	if (pick(g, 3) == 0)
		gen_string(g, g->bad_keys);
	else
		cas_buf_adds(&g->b, keys[pick(g, sizeof(keys) / sizeof(keys[0]))]);
}

static void gen_number(struct gen *g)
{
	static const char *const nums[] = {
		"0", "-0", "1", "-1", "1.5", "0.1", "0.0001", "1e-5", "1e16", "1e17", "1e15", "1800000000000",
		"1776988800000", "123456789012345678", "9007199254740993", "1e300", "1e-300", "5e-324",
		"1.7976931348623157e308", "2.2250738585072014e-308", "0.30000000000000004", "100", "1E2", "1e+2",
		"-2.5E-3", "3.0", "10.50", "99999999999999999999", "0.000001", "1234.5678", "-0.0",
	};
	if (pick(g, 2) == 0) {
		cas_buf_adds(&g->b, nums[pick(g, sizeof(nums) / sizeof(nums[0]))]);
		return;
	}
	/* random literal: [-]int[.frac][e[+-]exp] */
	if (pick(g, 3) == 0)
		cas_buf_addc(&g->b, '-');
	unsigned nd = 1 + pick(g, 19);
	cas_buf_addc(&g->b, (char)('1' + pick(g, 9)));
	for (unsigned i = 1; i < nd; i++)
		cas_buf_addc(&g->b, (char)('0' + pick(g, 10)));
	if (pick(g, 2)) {
		cas_buf_addc(&g->b, '.');
		unsigned nf = 1 + pick(g, 12);
		for (unsigned i = 0; i < nf; i++)
			cas_buf_addc(&g->b, (char)('0' + pick(g, 10)));
	}
	if (pick(g, 3) == 0)
		cas_buf_addf(&g->b, "e%s%u", pick(g, 2) ? "-" : "+", pick(g, 30));
}

static void gen_value(struct gen *g, int depth)
{
	unsigned k = pick(g, depth >= 5 ? 5 : 8);
	switch (k) {
	case 0: cas_buf_adds(&g->b, "null"); break;
	case 1: cas_buf_adds(&g->b, pick(g, 2) ? "true" : "false"); break;
	case 2: gen_number(g); break;
	case 3:
	case 4: gen_string(g, 1); break;
	case 5: {
		unsigned n = pick(g, 5);
		cas_buf_addc(&g->b, '[');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				cas_buf_addc(&g->b, ',');
			ws(g);
			gen_value(g, depth + 1);
			ws(g);
		}
		cas_buf_addc(&g->b, ']');
		break;
	}
	default: {
		unsigned n = pick(g, 6);
		cas_buf_addc(&g->b, '{');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				cas_buf_addc(&g->b, ',');
			ws(g);
			gen_key(g);
			ws(g);
			cas_buf_addc(&g->b, ':');
			ws(g);
			gen_value(g, depth + 1);
		}
		ws(g);
		cas_buf_addc(&g->b, '}');
		break;
	}
	}
}

/* Runs jq -S . (compact: jq -S -c .) over the documents in `all` (one
 * after another) and returns its output, or NULL. */
static char *run_jq(const char *all, size_t len, int compact)
{
	char path[] = "/tmp/test_canon.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, all, len), (ssize_t)len);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), JQ " -S %s. < %s", compact ? "-c " : "", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct cas_buf out = CAS_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		cas_buf_add(&out, chunk, n);
	int st = pclose(p);
	unlink(path);
	if (st != 0) {
		cas_buf_free(&out);
		return NULL;
	}
	return cas_buf_steal(&out);
}

static void compare_with_jq(uint64_t seed, int ndocs, int bad_keys, int compact)
{
	if (access(JQ, X_OK) != 0) {
		ci_skip("jq not found at " JQ "; the comparison with jq cannot run");
	}
	struct gen g = { .s = seed, .b = CAS_BUF_INIT, .bad_keys = bad_keys };
	size_t *ends = calloc((size_t)ndocs, sizeof(size_t));
	for (int i = 0; i < ndocs; i++) {
		/* mostly objects and arrays, sometimes a bare scalar */
		if (pick(&g, 10) == 0)
			gen_value(&g, 4);
		else if (pick(&g, 2))
			gen_value(&g, 0);
		else {
			size_t before = g.b.len;
			do {
				g.b.len = before;
				gen_value(&g, 0);
			} while (g.b.p[before] != '{' && g.b.p[before] != '[');
		}
		cas_buf_addc(&g.b, '\n');
		ends[i] = g.b.len;
	}
	char *jq = run_jq(g.b.p, g.b.len, compact);
	if (!jq)
		fail_msg("jq failed on the generated documents (seed %llu)", (unsigned long long)seed);
	/* our rendering of each document must be the next slice of jq's output */
	const char *jp = jq;
	size_t start = 0;
	for (int i = 0; i < ndocs; i++) {
		const char *doc = g.b.p + start;
		size_t dlen = ends[i] - start;
		cJSON *j = cas_json_parse(doc, dlen);
		if (!j)
			fail_msg("document %d not parsed: %.*s", i, (int)dlen, doc);
		struct cas_buf r = CAS_BUF_INIT;
		(compact ? cas_canon_render_line : cas_canon_render)(&r, j);
		cJSON_Delete(j);
		if (strncmp(jp, r.p, r.len) != 0) {
			const char *nl = jp;
			size_t shown = 0;
			while (*nl && shown < r.len + 200) {
				nl++;
				shown++;
			}
			fail_msg("document %d differs from jq -S%s .\ninput: %.*s\nours:\n%s\njq:\n%.*s", i, compact ? " -c" : "",
				 (int)dlen, doc, r.p, (int)shown, jp);
		}
		jp += r.len;
		cas_buf_free(&r);
		start = ends[i];
	}
	assert_int_equal(*jp, '\0');
	free(jq);
	free(ends);
	cas_buf_free(&g.b);
}

static void generated_vs_jq(void **state)
{
	(void)state;
	compare_with_jq(0x9E3779B97F4A7C15ULL, 400, 0, 0);
}

/* the one-line form of instances.jsonl is jq -S -c . */
static void generated_vs_jq_compact(void **state)
{
	(void)state;
	compare_with_jq(0x5DEECE66DULL, 300, 1, 1);
}

static void generated_vs_jq_bad_keys(void **state)
{
	(void)state;
	compare_with_jq(0xC0FFEE1234567ULL, 200, 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout),
		cmocka_unit_test(numbers),
		cmocka_unit_test(strings),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(generated_vs_jq_compact),
		cmocka_unit_test(duplicate_keys_keep_last),
		cmocka_unit_test(invalid_utf8_keys_like_jq),
		cmocka_unit_test(parse_rules),
		cmocka_unit_test(parse_rejects_trailing_control_bytes),
		cmocka_unit_test(parse_nul_escape),
		cmocka_unit_test(utf8_clean),
		cmocka_unit_test(generated_vs_jq),
		cmocka_unit_test(generated_vs_jq_bad_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
