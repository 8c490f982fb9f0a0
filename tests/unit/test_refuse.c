/* test_refuse: fs/errlog.h's refusals under -o ro. A refusal for the mount
 * being read-only (a write, a create, an rename) says EROFS "mounted with
 * -o ro"; a refusal that has nothing to do with writing keeps its errno:
 * casfs's own access check (may() in fuse_ops.c) says EACCES for a read the
 * file's mode refuses, ro or not, and EXDEV stays EXDEV. Each is recorded
 * once in the error log with that errno. And the FUSE request counters
 * (.cas/stats fuse_requests) are each mount's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <stdatomic.h>

#include "errlog.h"
#include "fsfix.h"
#include "front.h"
#include "log.h"

static void ro_keeps_eacces(void **state)
{
	(void)state;
	struct fsfix x;
	fsfix_init(&x);
	x.fs.o.ro = 1;
	unsigned long n0 = fsfix_errors(&x);
	assert_int_equal(fs_refuse(&x.fs, "/instances/i/key.pem", EACCES, "uid 65534 may not read this file"), -EACCES);
	assert_int_equal(fs_refuse(&x.fs, "/instances/i/a", EXDEV, "across directories"), -EXDEV);
	assert_int_equal(fs_refuse(&x.fs, "/instances/i/name", EPERM, "fixed"), -EROFS);
	assert_int_equal(fsfix_errors(&x), n0 + 3);
	struct cas_buf b = { 0 };
	errlog_render(x.fs.errors, &b);
	assert_non_null(strstr(cas_buf_str(&b), "\"errno\":\"EACCES\""));
	assert_non_null(strstr(cas_buf_str(&b), "uid 65534 may not read this file"));
	cas_buf_free(&b);
	fsfix_free(&x);
}

static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2 : (*s & 0xF8) == 0xF0 ? 3 : -1;
		if (n < 0)
			return 0;
		for (s++; n > 0; n--, s++)
			if ((*s & 0xC0) != 0x80)
				return 0;
	}
	return 1;
}

/* A record keeps a node's path whole, the deepest and longest (four
 * components of 255 bytes of 3-byte characters), and a longer path is cut
 * at a character boundary: .cas/errors stays valid UTF-8 (jq reads it). */
static void long_path_whole(void **state)
{
	(void)state;
	struct fsfix x;
	fsfix_init(&x);
	char path[2200] = "";
	for (int c = 0; c < 4; c++) {
		strcat(path, "/");
		for (int i = 0; i < 85; i++)
			strcat(path, "\xe5\xbc\xa0"); /* U+5F20 */
	}
	assert_int_equal(strlen(path), 1024);
	fs_refuse(&x.fs, path, EINVAL, "long");
	struct cas_buf b = { 0 };
	errlog_render(x.fs.errors, &b);
	assert_non_null(strstr(cas_buf_str(&b), path));
	assert_true(valid_utf8((const unsigned char *)cas_buf_str(&b)));
	cas_buf_free(&b);
	strcpy(path, "/a"); /* longer than any node's path, the cut inside a character: cut before it */
	for (int i = 0; i < 500; i++)
		strcat(path, "\xe5\xbc\xa0");
	fs_refuse(&x.fs, path, EINVAL, "longer");
	errlog_render(x.fs.errors, &b);
	assert_true(valid_utf8((const unsigned char *)cas_buf_str(&b)));
	cas_buf_free(&b);
	fsfix_free(&x);
}

/* The FUSE request counters are each mount's (struct casfs), not the
 * process's: two mounts in one process (as these fixtures are) count apart. */
static void requests_per_mount(void **state)
{
	(void)state;
	struct fsfix a, b;
	fsfix_init(&a);
	fsfix_init(&b);
	atomic_fetch_add(&a.fs.st.requests[FREQ_READ], 3);
	assert_int_equal(fuse_req_count(&a.fs, FREQ_READ), 3);
	assert_int_equal(fuse_req_count(&b.fs, FREQ_READ), 0);
	assert_string_equal(fuse_req_name(FREQ_READ), "read");
	fsfix_free(&b);
	fsfix_free(&a);
}

int main(void)
{
	cas_log_init("test_refuse", 0, CAS_LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ro_keeps_eacces),
		cmocka_unit_test(requests_per_mount),
		cmocka_unit_test(long_path_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
