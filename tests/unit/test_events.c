/* test_events: the change feed's ring (events.c): offsets are absolute and
 * the size only grows; a read at any offset returns exactly the bytes the
 * file has there; once lines are dropped, the dropped bytes read as one
 * padded {"kind":"dropped"} line of the same length, so a reader that
 * polls from its own offset never sees the retained lines move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

static char *read_all(struct events *ev, uint64_t *len)
{
	*len = events_size(ev, NULL);
	char *b = malloc(*len + 1);
	/* small reads at odd offsets, as a polling reader would make */
	uint64_t off = 0;
	while (off < *len) {
		ssize_t n = events_read(ev, b + off, 777, (off_t)off);
		assert_true(n > 0);
		off += (uint64_t)n;
	}
	assert_int_equal(events_read(ev, b, 10, (off_t)*len), 0);
	b[*len] = 0;
	return b;
}

static void lines_and_sizes(void **state)
{
	(void)state;
	struct events *ev = events_new(NULL);
	assert_int_equal(events_size(ev, NULL), 0);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "action", "UpdateInstance");
	events_add(ev, "mutation", "/instances/a/name", m);
	events_add(ev, "live", "/", NULL);
	uint64_t len;
	char *all = read_all(ev, &len);
	char *nl = strchr(all, '\n');
	assert_non_null(nl);
	cJSON *first = cJSON_ParseWithLength(all, (size_t)(nl - all));
	assert_non_null(first);
	assert_int_equal(cJSON_GetObjectItem(first, "seq")->valuedouble, 1);
	assert_string_equal(cJSON_GetObjectItem(first, "kind")->valuestring, "mutation");
	assert_string_equal(cJSON_GetObjectItem(first, "path")->valuestring, "/instances/a/name");
	assert_string_equal(cJSON_GetObjectItem(first, "action")->valuestring, "UpdateInstance");
	assert_non_null(cJSON_GetObjectItem(first, "time"));
	cJSON_Delete(first);
	assert_non_null(strstr(nl + 1, "\"seq\":2,"));
	free(all);
	events_free(ev);
}

static void dropped_lines_keep_offsets(void **state)
{
	(void)state;
	struct events *ev = events_new(NULL);
	uint64_t prev = 0, off_of_last = 0;
	for (int i = 0; i < EVENTS_KEEP + 50; i++) {
		if (i == EVENTS_KEEP + 49)
			off_of_last = events_size(ev, NULL);
		events_add(ev, "changed", "/instances/x", NULL);
		uint64_t s = events_size(ev, NULL);
		assert_true(s > prev); /* only grows */
		prev = s;
	}
	uint64_t len;
	char *all = read_all(ev, &len);
	/* the first line stands for the 50 dropped ones, padded to their bytes */
	assert_int_equal(strncmp(all, "{\"kind\":\"dropped\",\"through_seq\":50}", 35), 0);
	char *nl = strchr(all, '\n');
	cJSON *gap = cJSON_ParseWithLength(all, (size_t)(nl - all));
	assert_non_null(gap); /* JSON with trailing blanks */
	cJSON_Delete(gap);
	assert_non_null(strstr(nl + 1, "\"seq\":51,"));
	/* the last line is still where it was written */
	assert_non_null(strstr(all + off_of_last, "\"seq\":10050,"));
	assert_int_equal(all + off_of_last - strstr(all, "\"seq\":10050,"), -1);
	size_t lines = 0;
	for (char *p = all; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, EVENTS_KEEP + 1);
	free(all);
	events_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_and_sizes),
		cmocka_unit_test(dropped_lines_keep_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
