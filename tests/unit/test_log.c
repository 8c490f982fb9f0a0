/* test_log: the logger's level names, one-line records in one format, the
 * level filter, and reopen-after-rename (logrotate); and the 10 s meter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <regex.h>

#include "log.h"
#include "meter.h"

static char dir[64];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(cas_log_level_parse("error"), CAS_LOG_ERR);
	assert_int_equal(cas_log_level_parse("warn"), CAS_LOG_WARN);
	assert_int_equal(cas_log_level_parse("info"), CAS_LOG_INFO);
	assert_int_equal(cas_log_level_parse("debug"), CAS_LOG_DEBUG);
	const char *bad[] = { "", "WARN", "warning", "err", "debug ", "7" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cas_log_level_parse(bad[i]), -1);
	assert_int_equal(cas_log_level_parse(NULL), -1);
}

static void test_file_format_level_reopen(void **state)
{
	(void)state;
	char path[128], rotated[128];
	snprintf(path, sizeof(path), "%s/a.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/a.log.1", dir);
	assert_int_equal(cas_log_open_file("/nonexistent-dir/x.log"), -2); /* -ENOENT, nothing changed */
	cas_log_init("casfs", 0, CAS_LOG_WARN);
	assert_int_equal(cas_log_open_file(path), 0);
	cas_warn("first %d", 1);
	cas_info("filtered");
	cas_err("multi\nline\tmessage\r");
	char *s = slurp(path);
	assert_non_null(s);
	assert_int_equal(count_lines(s), 2);
	assert_null(strstr(s, "filtered"));
	regex_t re;
	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z casfs\\[[0-9]+\\] "
				 "warn: first 1\n[^\n]+ error: multi line message \n$",
				 REG_EXTENDED),
			 0);
	assert_int_equal(regexec(&re, s, 0, NULL, 0), 0);
	regfree(&re);
	/* logrotate: rename, reopen, and the next record is in a new file */
	assert_int_equal(rename(path, rotated), 0);
	cas_log_reopen();
	cas_warn("after");
	s = slurp(path);
	assert_non_null(s);
	assert_string_equal(strstr(s, "warn: ") + 6, "after\n");
	s = slurp(rotated);
	assert_null(strstr(s, "after"));
	unlink(path);
	unlink(rotated);
}

static void test_meter(void **state)
{
	(void)state;
	struct cas_meter m;
	cas_meter_init(&m);
	const int64_t s = 1000000000LL;
	assert_true(cas_meter_rate(&m, 100 * s) == 0);
	for (int t = 100; t < 110; t++)
		cas_meter_add(&m, t * s + s / 2, 20); /* 20 per second for 10 s */
	assert_true(cas_meter_rate(&m, 109 * s + s / 2) == 20);
	/* 5 s later half the window has passed */
	assert_true(cas_meter_rate(&m, 114 * s + s / 2) == 10);
	/* a bucket reused for a later second starts from zero */
	cas_meter_add(&m, 120 * s, 3);
	assert_true(cas_meter_rate(&m, 120 * s) == 0.3);
	assert_true(cas_meter_rate(&m, 200 * s) == 0);
	cas_meter_destroy(&m);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_log.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_file_format_level_reopen),
		cmocka_unit_test(test_meter),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
