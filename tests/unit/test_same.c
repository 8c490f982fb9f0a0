/* test_same: the rows' same-meaning tests (fs/kinds.h), which decide
 * whether a file keeps reading back the bytes a writer committed: config
 * means the same when it asks for no change to the rendered state (key
 * order, blanks, nulls and set order do not matter), tags when the sets of
 * lines are equal, one-line values when equal up to trailing blanks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kinds.h"

static int same(same_fn f, const char *written, const char *current)
{
	struct snap *w = snap_new(written, strlen(written)), *c = snap_new(current, strlen(current));
	int r = f(w, c);
	cas_obj_unref(w);
	cas_obj_unref(c);
	return r;
}

#define CANON                                                                                                        \
	"{\n  \"City\": \"Hangzhou\",\n  \"CompanyId\": 7,\n  \"ContactIdList\": [\n    1,\n    2\n  ],\n"         \
	"  \"Domain\": \"a.example\",\n  \"Tags\": [\n    {\n      \"TagKey\": \"env\",\n      \"TagValue\": "     \
	"\"prod\"\n    }\n  ]\n}\n"

static void config(void **state)
{
	(void)state;
	assert_true(same(same_config, CANON, CANON));
	/* another order, other blanks, a subset, nulls, contacts as a set */
	assert_true(same(same_config, "{\"Domain\":\"a.example\",\"City\":\"Hangzhou\"}", CANON));
	assert_true(same(same_config, "{\"ContactIdList\":[2,1],\"Province\":null}\n\n", CANON));
	assert_true(same(same_config, "{}", CANON));
	/* a different value, an unknown key, or text that is not JSON: not the same */
	assert_false(same(same_config, "{\"City\":\"Shanghai\"}", CANON));
	assert_false(same(same_config, "{\"CompanyId\":8}", CANON));
	assert_false(same(same_config, "{\"Tags\":[]}", CANON));
	assert_false(same(same_config, "{\"Colour\":\"red\"}", CANON));
	assert_false(same(same_config, "{\"City\":", CANON));
}

static void tags(void **state)
{
	(void)state;
	assert_true(same(same_tags, "env=prod\nteam=web\n", "env=prod\nteam=web\n"));
	assert_true(same(same_tags, "team=web\n\nenv=prod  \r\n", "env=prod\nteam=web\n"));
	assert_true(same(same_tags, "team=web\nenv=prod", "env=prod\nteam=web\n"));
	assert_false(same(same_tags, "env=prod\n", "env=prod\nteam=web\n"));
	assert_false(same(same_tags, "env=dev\nteam=web\n", "env=prod\nteam=web\n"));
}

static void line(void **state)
{
	(void)state;
	assert_true(same(same_line, "a.example", "a.example\n"));
	assert_true(same(same_line, "a.example \t\r\n\n", "a.example\n"));
	assert_false(same(same_line, " a.example\n", "a.example\n"));
	assert_false(same(same_line, "b.example\n", "a.example\n"));
	assert_false(same(same_line, "a.example.org\n", "a.example\n"));
	assert_true(same(same_line, "\n", ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config),
		cmocka_unit_test(tags),
		cmocka_unit_test(line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
