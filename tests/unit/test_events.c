/* test_events: the change feed's ring (events.c): offsets are absolute and
 * the size only grows; a read at any offset returns exactly the bytes the
 * file has there; once lines are dropped, the dropped bytes read as one
 * padded {"kind":"dropped"} line of the same length, so a reader that
 * polls from its own offset never sees the retained lines move. Listings
 * are diffed in the order of their generation (cache.h): a hook call that
 * ends late with an older listing neither gives lines nor moves the
 * baseline back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "events.h"
#include "model.h"

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

/* A listing of one instance "a" named `name`. */
static struct cas_instances *listing(const char *name)
{
	struct cas_instances *l = cas_instances_new();
	l->n = 1;
	l->v = cas_xcalloc(1, sizeof(*l->v));
	char json[128];
	snprintf(json, sizeof(json), "{\"CertificateName\":\"%s\",\"InstanceId\":\"a\"}\n", name);
	l->v[0].id = cas_xstrdup("a");
	l->v[0].name = cas_xstrdup(name);
	l->v[0].json = cas_xstrdup(json);
	l->v[0].json_len = strlen(json);
	l->v[0].hash = cas_hash64(json, strlen(json));
	return l;
}

static size_t count(const char *all, const char *what)
{
	size_t n = 0;
	for (const char *p = all; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void listings_in_generation_order(void **state)
{
	(void)state;
	struct events *ev = events_new(NULL);
	struct cas_instances *l1 = listing("one"), *l2 = listing("two"), *l3 = listing("three");
	events_listing(ev, 1, l1); /* the baseline: no line */
	assert_int_equal(events_size(ev, NULL), 0);
	/* the hook of generation 3 ends before that of generation 2 */
	events_listing(ev, 3, l3);
	uint64_t len;
	char *all = read_all(ev, &len);
	assert_int_equal(count(all, "\"kind\":\"changed\""), 1);
	assert_non_null(strstr(all, "\"old\":\"one\",\"new\":\"three\""));
	free(all);
	uint64_t size = events_size(ev, NULL);
	events_listing(ev, 2, l2); /* older than the baseline: no line (was "three" -> "two") */
	assert_int_equal(events_size(ev, NULL), size);
	events_listing(ev, 4, l3); /* the baseline is still "three": nothing changed */
	assert_int_equal(events_size(ev, NULL), size);
	struct cas_instances *l5 = listing("two");
	events_listing(ev, 5, l5);
	all = read_all(ev, &len);
	assert_int_equal(count(all, "\"kind\":\"changed\""), 2);
	assert_non_null(strstr(all, "\"old\":\"three\",\"new\":\"two\""));
	free(all);
	cas_obj_unref(l1);
	cas_obj_unref(l2);
	cas_obj_unref(l3);
	cas_obj_unref(l5);
	events_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_and_sizes),
		cmocka_unit_test(dropped_lines_keep_offsets),
		cmocka_unit_test(listings_in_generation_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
