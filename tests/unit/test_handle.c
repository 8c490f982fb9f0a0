/* test_handle: fs/handle.h and apifile.h, the write-buffer commit rule, over fake_fs (fsfix.h).
 * A zero-length write into an empty buffer is harmless (UBSan: no memcpy
 * to NULL); a complete config commits inside the write that completes it;
 * text that can never be JSON fails at once with EINVAL and no call; an
 * incomplete document is not committed by the flush of a process that
 * never wrote (the inherited-descriptor rule) but is by the writer's; a
 * handle commits once however often it is flushed. Under -o ro casfs
 * refuses by itself too (EROFS, with a record), not only the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apifile.h"
#include "fsfix.h"
#include "handle.h"
#include "log.h"
#include "nodes.h"

static struct handle *open_path(struct fake_fs *v, const char *path, int flags)
{
	struct node n;
	struct cas_error e;
	assert_int_equal(node_resolve(&v->fs, path, &n, &e), 0);
	int rc = 0;
	struct handle *h = handle_open(&v->fs, &n, flags, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(h);
	return h;
}

static ssize_t put(struct fake_fs *v, struct handle *h, const char *s, off_t off)
{
	return handle_write(&v->fs, h, s, strlen(s), off, getpid());
}

static void zero_length_write(void **state)
{
	(void)state;
	struct fake_fs *v = fake_fs_new(3);
	struct handle *h = open_path(v, "/instances/cas-0001/config", O_WRONLY | O_TRUNC);
	assert_int_equal(handle_write(&v->fs, h, "", 0, 0, getpid()), 0);
	assert_int_equal(handle_write(&v->fs, h, NULL, 0, 0, getpid()), 0);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 0);
	handle_release(&v->fs, h);
	h = open_path(v, "/instances/cas-0001/tags", O_WRONLY | O_TRUNC);
	assert_int_equal(handle_write(&v->fs, h, "", 0, 0, getpid()), 0);
	handle_release(&v->fs, h);
	fake_fs_free(v);
}

static void commits_inside_completing_write(void **state)
{
	(void)state;
	struct fake_fs *v = fake_fs_new(3);
	struct handle *h = open_path(v, "/instances/cas-0001/config", O_WRONLY | O_TRUNC);
	assert_int_equal(put(v, h, "{\"City\":", 0), 8);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 0);
	assert_int_equal(put(v, h, "\"X\"}\n", 8), 5);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 1);
	/* once per handle */
	assert_int_equal(handle_flush(&v->fs, h, getpid()), 0);
	assert_int_equal(handle_flush(&v->fs, h, getpid()), 0);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 1);
	handle_release(&v->fs, h);
	fake_fs_free(v);
}

static void invalid_fails_at_once(void **state)
{
	(void)state;
	struct fake_fs *v = fake_fs_new(3);
	struct handle *h = open_path(v, "/instances/cas-0001/config", O_WRONLY | O_TRUNC);
	assert_int_equal(put(v, h, "{\"City\" 1", 0), -EINVAL);
	assert_int_equal(handle_flush(&v->fs, h, getpid()), -EINVAL);
	handle_release(&v->fs, h);
	h = open_path(v, "/instances/cas-0001/config", O_WRONLY | O_TRUNC);
	assert_int_equal(put(v, h, "[1]", 0), -EINVAL);
	handle_release(&v->fs, h);
	h = open_path(v, "/instances/cas-0001/tags", O_WRONLY | O_TRUNC);
	assert_int_equal(put(v, h, "novalue\n", 0), -EINVAL);
	handle_release(&v->fs, h);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 0);
	fake_fs_free(v);
}

static void inherited_descriptor(void **state)
{
	(void)state;
	struct fake_fs *v = fake_fs_new(3);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	struct handle *h = open_path(v, "/instances/cas-0001/config", O_WRONLY | O_TRUNC);
	assert_int_equal(put(v, h, "{\"City\":", 0), 8);
	/* the sleep that inherited the descriptor exits: nothing is committed */
	assert_int_equal(handle_flush(&v->fs, h, child), 0);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 0);
	assert_int_equal(put(v, h, "\"X\"}", 8), 4);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 1);
	handle_release(&v->fs, h);
	/* the writer's own close commits what it left incomplete (and fails it) */
	h = open_path(v, "/instances/cas-0002/config", O_WRONLY | O_TRUNC);
	assert_int_equal(put(v, h, "{\"City\":", 0), 8);
	assert_int_equal(handle_flush(&v->fs, h, getpid()), -EINVAL);
	handle_release(&v->fs, h);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	fake_fs_free(v);
}

static void read_only_by_itself(void **state)
{
	(void)state;
	struct fake_fs *v = fake_fs_new(3);
	v->fs.o.ro = 1;
	struct node n;
	struct cas_error e;
	assert_int_equal(node_resolve(&v->fs, "/instances/cas-0001/config", &n, &e), 0);
	int rc = 0;
	assert_null(handle_open(&v->fs, &n, O_WRONLY | O_TRUNC, &rc));
	assert_int_equal(rc, -EROFS);
	/* a rename of a scratch file onto an API file reaches commit_document */
	const char doc[] = "{\"City\": \"RO\"}";
	assert_int_equal(commit_document(&v->fs, &n, doc, sizeof(doc) - 1), -EROFS);
	assert_int_equal(node_resolve(&v->fs, "/.cas/errors", &n, &e), 0);
	struct handle *h = handle_open(&v->fs, &n, O_RDONLY, &rc);
	assert_non_null(h);
	char buf[4096];
	ssize_t got = handle_read(&v->fs, h, buf, sizeof(buf) - 1, 0);
	assert_true(got > 0);
	buf[got] = '\0';
	assert_non_null(strstr(buf, "Local.ReadOnly"));
	handle_release(&v->fs, h);
	assert_int_equal(fake_calls(&v->f, CAS_UPDATE_INSTANCE), 0);
	fake_fs_free(v);
}

int main(void)
{
	cas_log_init("test_handle", 0, CAS_LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_length_write),
		cmocka_unit_test(commits_inside_completing_write),
		cmocka_unit_test(invalid_fails_at_once),
		cmocka_unit_test(inherited_descriptor),
		cmocka_unit_test(read_only_by_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
