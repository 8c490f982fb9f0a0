/* test_scratch: fs/scratch.h (and fs/namelist.h):
 * create/exists/names/read/write/truncate/stat/chmod/chown/utimens/remove/
 * rename (replacing the target)/contents/put/drop_instance, -ENOENT for
 * missing files, and the limits: the 65th file is -ENOSPC, bytes past
 * 1 MiB are -EFBIG (and change nothing); scratch directories (mkdir, kind,
 * stat, rename across kinds, the shared limit, count per instance); names
 * ending .pem/.key/.crt and private keys (whole, in pieces, put) refused. */
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
#include <sys/stat.h>

#include "buf.h"
#include "namelist.h"
#include "scratch.h"
#include "scratch_test.h"

#define ID "cas-cn-0001"
#define ID2 "cas-cn-0002"

static int has_name(const struct namelist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}

static char *contents(struct scratch *s, const char *id, const char *name, size_t *len)
{
	struct cas_buf b = CAS_BUF_INIT;
	assert_int_equal(scratch_contents(s, id, name, &b), 0);
	*len = b.len;
	char *p = cas_xmalloc(b.len + 1);
	memcpy(p, cas_buf_str(&b), b.len + 1);
	cas_buf_free(&b);
	return p;
}

static void namelist(void **state)
{
	(void)state;
	struct namelist l = { 0 };
	char name[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		namelist_add(&l, name);
	}
	snprintf(name, sizeof(name), "changed"); /* the list holds copies */
	assert_int_equal(l.n, 1000);
	assert_string_equal(l.v[0], "n0");
	assert_string_equal(l.v[999], "n999");
	namelist_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	namelist_free(&l);
}

static void create_exists_names(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_count(s), 0);
	assert_false(scratch_exists(s, ID, "sed1234"));
	assert_int_equal(scratch_create(s, ID, "sed1234", 0644, 1000, 1000), 0);
	assert_int_equal(scratch_create(s, ID, "4913", 0600, 1000, 1000), 0);
	assert_int_equal(scratch_create(s, ID, "sed1234", 0644, 1000, 1000), -EEXIST);
	assert_true(scratch_exists(s, ID, "sed1234"));
	assert_false(scratch_exists(s, ID2, "sed1234")); /* per instance directory */
	assert_false(scratch_exists(s, ID, "sed123"));
	assert_int_equal(scratch_create(s, ID2, "sed1234", 0644, 0, 0), 0);
	assert_int_equal(scratch_count(s), 3);
	struct namelist l = { 0 };
	scratch_names(s, ID, &l);
	assert_int_equal(l.n, 2);
	assert_true(has_name(&l, "sed1234"));
	assert_true(has_name(&l, "4913"));
	namelist_free(&l);
	scratch_names(s, "cas-cn-none", &l);
	assert_int_equal(l.n, 0);
	namelist_free(&l);
	scratch_free(s);
	scratch_free(NULL);
}

static void read_write(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_create(s, ID, "f", 0644, 1, 1), 0);
	char buf[64];
	assert_int_equal(scratch_read(s, ID, "f", buf, sizeof(buf), 0), 0); /* empty */
	assert_int_equal(scratch_write(s, ID, "f", "hello", 5, 0), 5);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(scratch_read(s, ID, "f", buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(scratch_read(s, ID, "f", buf, 2, 2), 2);
	assert_memory_equal(buf, "ll", 2);
	assert_int_equal(scratch_read(s, ID, "f", buf, sizeof(buf), 5), 0);
	assert_int_equal(scratch_read(s, ID, "f", buf, sizeof(buf), 100), 0);
	/* overwrite in the middle, then write past the end: the gap reads as zeros */
	assert_int_equal(scratch_write(s, ID, "f", "EL", 2, 1), 2);
	assert_int_equal(scratch_write(s, ID, "f", "xyz", 3, 10), 3);
	size_t n;
	char *c = contents(s, ID, "f", &n);
	assert_int_equal(n, 13);
	assert_memory_equal(c, "hELlo\0\0\0\0\0xyz", 13);
	free(c);
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_size, 13);
	/* zero-length write changes nothing */
	assert_int_equal(scratch_write(s, ID, "f", "", 0, 0), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_size, 13);
	assert_int_equal(scratch_write(s, ID, "f", "a", 1, -1), -EINVAL);
	/* contents appends to what the buffer holds */
	struct cas_buf b = CAS_BUF_INIT;
	cas_buf_adds(&b, ">>");
	assert_int_equal(scratch_contents(s, ID, "f", &b), 0);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.p, ">>hELlo", 7);
	cas_buf_free(&b);
	/* an empty file's contents */
	assert_int_equal(scratch_create(s, ID, "empty", 0644, 1, 1), 0);
	c = contents(s, ID, "empty", &n);
	assert_int_equal(n, 0);
	free(c);
	scratch_free(s);
}

static void truncate_(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_create(s, ID, "f", 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "f", "hello world", 11, 0), 11);
	assert_int_equal(scratch_truncate(s, ID, "f", 5), 0);
	size_t n;
	char *c = contents(s, ID, "f", &n);
	assert_int_equal(n, 5);
	assert_memory_equal(c, "hello", 5);
	free(c);
	/* growing fills with zeros, not with the old bytes */
	assert_int_equal(scratch_truncate(s, ID, "f", 8), 0);
	c = contents(s, ID, "f", &n);
	assert_int_equal(n, 8);
	assert_memory_equal(c, "hello\0\0\0", 8);
	free(c);
	assert_int_equal(scratch_truncate(s, ID, "f", 0), 0);
	c = contents(s, ID, "f", &n);
	assert_int_equal(n, 0);
	free(c);
	assert_int_equal(scratch_truncate(s, ID, "f", -1), -EINVAL);
	assert_int_equal(scratch_truncate(s, ID, "f", SCRATCH_MAX_BYTES), 0);
	assert_int_equal(scratch_truncate(s, ID, "f", (off_t)SCRATCH_MAX_BYTES + 1), -EFBIG);
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_size, SCRATCH_MAX_BYTES);
	/* truncating a file that never held data */
	assert_int_equal(scratch_create(s, ID, "g", 0644, 1, 1), 0);
	assert_int_equal(scratch_truncate(s, ID, "g", 0), 0);
	assert_int_equal(scratch_truncate(s, ID, "g", 3), 0);
	c = contents(s, ID, "g", &n);
	assert_int_equal(n, 3);
	assert_memory_equal(c, "\0\0\0", 3);
	free(c);
	scratch_free(s);
}

static void stat_chmod_chown(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_create(s, ID, "f", 0640 | S_IFREG, 1000, 100), 0);
	assert_int_equal(scratch_create(s, ID, "g", 04755, 1000, 100), 0);
	struct stat st, sg;
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0640);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 100);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 0);
	assert_true(st.st_ino != 0);
	assert_int_equal(scratch_stat(s, ID, "g", &sg), 0);
	assert_int_equal(sg.st_mode, S_IFREG | 04755);
	assert_true(sg.st_ino != st.st_ino);
	assert_int_equal(scratch_write(s, ID, "f", "x", 1, 1000), 1);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_size, 1001);
	assert_true(st.st_blocks * 512 >= 1001);

	/* chmod changes permission bits only: still a regular file */
	assert_int_equal(scratch_chmod(s, ID, "f", 0600), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(scratch_chmod(s, ID, "f", S_IFDIR | 0755), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0755);

	/* chown; -1 leaves a value as it is */
	assert_int_equal(scratch_chown(s, ID, "f", 0, 0), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
	assert_int_equal(scratch_chown(s, ID, "f", 42, (gid_t)-1), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_uid, 42);
	assert_int_equal(st.st_gid, 0);
	assert_int_equal(scratch_chown(s, ID, "f", (uid_t)-1, 7), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_uid, 42);
	assert_int_equal(st.st_gid, 7);
	scratch_free(s);
}

static void utimens(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_create(s, ID, "f", 0644, 1, 1), 0);
	struct timespec tv[2] = { { 1000, 111 }, { 2000, 222 } };
	assert_int_equal(scratch_utimens(s, ID, "f", tv), 0);
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 111);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 222);
	assert_true(st.st_ctim.tv_sec > 2000); /* ctime is "now", not settable */
	/* UTIME_OMIT keeps, UTIME_NOW sets the current time */
	struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	assert_int_equal(scratch_utimens(s, ID, "f", omit_now), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_true(st.st_mtim.tv_sec > 2000);
	struct timespec now_omit[2] = { { 0, UTIME_NOW }, { 5, UTIME_OMIT } };
	struct timespec old_mtime = st.st_mtim;
	assert_int_equal(scratch_utimens(s, ID, "f", now_omit), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_true(st.st_atim.tv_sec > 1000);
	assert_int_equal(st.st_mtim.tv_sec, old_mtime.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, old_mtime.tv_nsec);
	/* NULL: both now */
	assert_int_equal(scratch_utimens(s, ID, "f", tv), 0);
	assert_int_equal(scratch_utimens(s, ID, "f", NULL), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_true(st.st_atim.tv_sec > 1000);
	assert_true(st.st_mtim.tv_sec > 2000);
	/* writes and truncates move mtime (from a long-ago value to now) */
	assert_int_equal(scratch_utimens(s, ID, "f", tv), 0);
	assert_int_equal(scratch_write(s, ID, "f", "x", 1, 0), 1);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_true(st.st_mtim.tv_sec > 2000);
	assert_int_equal(scratch_utimens(s, ID, "f", tv), 0);
	assert_int_equal(scratch_truncate(s, ID, "f", 0), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_true(st.st_mtim.tv_sec > 2000);
	/* reads do not */
	assert_int_equal(scratch_utimens(s, ID, "f", tv), 0);
	char buf[4];
	assert_int_equal(scratch_read(s, ID, "f", buf, sizeof(buf), 0), 0);
	assert_int_equal(scratch_stat(s, ID, "f", &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	scratch_free(s);
}

static void remove_and_missing(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_create(s, ID, "a", 0644, 1, 1), 0);
	assert_int_equal(scratch_create(s, ID, "b", 0644, 1, 1), 0);
	assert_int_equal(scratch_create(s, ID, "c", 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "c", "ccc", 3, 0), 3);
	assert_int_equal(scratch_remove(s, ID, "a"), 0);
	assert_false(scratch_exists(s, ID, "a"));
	assert_int_equal(scratch_remove(s, ID, "a"), -ENOENT);
	assert_int_equal(scratch_count(s), 2);
	/* the others are intact */
	size_t n;
	char *c = contents(s, ID, "c", &n);
	assert_int_equal(n, 3);
	assert_memory_equal(c, "ccc", 3);
	free(c);
	assert_true(scratch_exists(s, ID, "b"));
	/* every operation on a missing file */
	char buf[4];
	struct stat st;
	struct cas_buf b = CAS_BUF_INIT;
	struct timespec tv[2] = { { 1, 0 }, { 1, 0 } };
	assert_int_equal(scratch_read(s, ID, "a", buf, 4, 0), -ENOENT);
	assert_int_equal(scratch_write(s, ID, "a", "x", 1, 0), -ENOENT);
	assert_int_equal(scratch_truncate(s, ID, "a", 0), -ENOENT);
	assert_int_equal(scratch_stat(s, ID, "a", &st), -ENOENT);
	assert_int_equal(scratch_chmod(s, ID, "a", 0600), -ENOENT);
	assert_int_equal(scratch_chown(s, ID, "a", 1, 1), -ENOENT);
	assert_int_equal(scratch_utimens(s, ID, "a", tv), -ENOENT);
	assert_int_equal(scratch_rename(s, ID, "a", "z"), -ENOENT);
	assert_int_equal(scratch_contents(s, ID, "a", &b), -ENOENT);
	assert_int_equal(scratch_read(s, ID2, "b", buf, 4, 0), -ENOENT); /* other instance */
	assert_int_equal(b.len, 0);
	cas_buf_free(&b);
	assert_false(scratch_exists(s, ID, "z"));
	scratch_free(s);
}

static void rename_(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_create(s, ID, ".config.XXXX", 0600, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, ".config.XXXX", "new", 3, 0), 3);
	struct stat st0;
	assert_int_equal(scratch_stat(s, ID, ".config.XXXX", &st0), 0);
	/* a plain rename keeps data, mode and inode */
	assert_int_equal(scratch_rename(s, ID, ".config.XXXX", "config~"), 0);
	assert_false(scratch_exists(s, ID, ".config.XXXX"));
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "config~", &st), 0);
	assert_int_equal(st.st_ino, st0.st_ino);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	/* onto an existing file: the target is replaced */
	assert_int_equal(scratch_create(s, ID, "target", 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "target", "old content", 11, 0), 11);
	assert_int_equal(scratch_create(s, ID, "bystander", 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "bystander", "b", 1, 0), 1);
	assert_int_equal(scratch_count(s), 3);
	assert_int_equal(scratch_rename(s, ID, "config~", "target"), 0);
	assert_int_equal(scratch_count(s), 2);
	assert_false(scratch_exists(s, ID, "config~"));
	size_t n;
	char *c = contents(s, ID, "target", &n);
	assert_int_equal(n, 3);
	assert_memory_equal(c, "new", 3);
	free(c);
	assert_int_equal(scratch_stat(s, ID, "target", &st), 0);
	assert_int_equal(st.st_ino, st0.st_ino);
	c = contents(s, ID, "bystander", &n);
	assert_int_equal(n, 1);
	free(c);
	struct namelist l = { 0 };
	scratch_names(s, ID, &l);
	assert_int_equal(l.n, 2);
	assert_true(has_name(&l, "target"));
	assert_true(has_name(&l, "bystander"));
	namelist_free(&l);
	/* onto itself: nothing is lost */
	assert_int_equal(scratch_rename(s, ID, "target", "target"), 0);
	c = contents(s, ID, "target", &n);
	assert_int_equal(n, 3);
	free(c);
	assert_int_equal(scratch_count(s), 2);
	/* the same name in another instance is not a target */
	assert_int_equal(scratch_create(s, ID2, "x", 0644, 1, 1), 0);
	assert_int_equal(scratch_rename(s, ID, "target", "x"), 0);
	assert_true(scratch_exists(s, ID2, "x"));
	assert_true(scratch_exists(s, ID, "x"));
	assert_int_equal(scratch_count(s), 3);
	/* the replaced file being the last one in the table */
	assert_int_equal(scratch_create(s, ID, "last", 0644, 1, 1), 0);
	assert_int_equal(scratch_rename(s, ID, "bystander", "last"), 0);
	c = contents(s, ID, "last", &n);
	assert_int_equal(n, 1);
	assert_memory_equal(c, "b", 1);
	free(c);
	assert_int_equal(scratch_count(s), 3);
	scratch_free(s);
}

static void put_and_drop(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_put(s, ID, "p", "abc", 3, 0600, 5, 6), 0);
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "p", &st), 0);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(st.st_uid, 5);
	/* put again replaces the contents (shorter too) */
	assert_int_equal(scratch_put(s, ID, "p", "z", 1, 0644, 7, 7), 0);
	size_t n;
	char *c = contents(s, ID, "p", &n);
	assert_int_equal(n, 1);
	assert_memory_equal(c, "z", 1);
	free(c);
	assert_int_equal(scratch_count(s), 1);
	assert_int_equal(scratch_put(s, ID, "e", "", 0, 0644, 1, 1), 0);
	c = contents(s, ID, "e", &n);
	assert_int_equal(n, 0);
	free(c);
	/* drop_instance removes that directory's files only */
	assert_int_equal(scratch_create(s, ID2, "q", 0644, 1, 1), 0);
	assert_int_equal(scratch_create(s, ID, "r", 0644, 1, 1), 0);
	assert_int_equal(scratch_count(s), 4);
	scratch_drop_instance(s, ID);
	assert_int_equal(scratch_count(s), 1);
	assert_false(scratch_exists(s, ID, "p"));
	assert_false(scratch_exists(s, ID, "r"));
	assert_true(scratch_exists(s, ID2, "q"));
	scratch_drop_instance(s, "cas-cn-none");
	assert_int_equal(scratch_count(s), 1);
	scratch_free(s);
}

static void limit_files(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(SCRATCH_MAX_FILES, 64);
	char name[32];
	for (int i = 0; i < SCRATCH_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		/* the limit is for the whole mount, across instance directories */
		assert_int_equal(scratch_create(s, i % 2 ? ID : ID2, name, 0644, 1, 1), 0);
	}
	assert_int_equal(scratch_count(s), 64);
	assert_int_equal(scratch_create(s, ID, "f64", 0644, 1, 1), -ENOSPC);
	assert_int_equal(scratch_create(s, "cas-cn-other", "x", 0644, 1, 1), -ENOSPC);
	assert_int_equal(scratch_put(s, ID, "f64", "x", 1, 0644, 1, 1), -ENOSPC);
	assert_false(scratch_exists(s, ID, "f64"));
	assert_int_equal(scratch_count(s), 64);
	/* existing files stay usable; put may replace one */
	assert_int_equal(scratch_put(s, ID, "f1", "data", 4, 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "f1", "!", 1, 4), 1);
	/* renaming onto an existing file frees a slot */
	assert_int_equal(scratch_rename(s, ID, "f1", "f3"), 0);
	assert_int_equal(scratch_count(s), 63);
	assert_int_equal(scratch_create(s, ID, "f64", 0644, 1, 1), 0);
	assert_int_equal(scratch_create(s, ID, "f65", 0644, 1, 1), -ENOSPC);
	/* removing frees a slot too */
	assert_int_equal(scratch_remove(s, ID2, "f0"), 0);
	assert_int_equal(scratch_create(s, ID, "f65", 0644, 1, 1), 0);
	scratch_drop_instance(s, ID2);
	assert_int_equal(scratch_count(s), 33);
	scratch_free(s);
}

static void directories(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(scratch_mkdir(s, ID, "x.lock", 0755, 1, 2), 0);
	assert_int_equal(scratch_mkdir(s, ID, "x.lock", 0755, 1, 2), -EEXIST);
	assert_int_equal(scratch_create(s, ID, "x.lock", 0644, 1, 2), -EEXIST);
	assert_int_equal(scratch_create(s, ID, "file", 0644, 1, 2), 0);
	assert_int_equal(scratch_kind(s, ID, "x.lock"), SCRATCH_DIR);
	assert_int_equal(scratch_kind(s, ID, "file"), SCRATCH_FILE);
	assert_int_equal(scratch_kind(s, ID, "none"), SCRATCH_NONE);
	assert_int_equal(scratch_kind(s, ID2, "x.lock"), SCRATCH_NONE);
	assert_true(scratch_exists(s, ID, "x.lock"));
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "x.lock", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_gid, 2);
	assert_int_equal(scratch_chmod(s, ID, "x.lock", 0700), 0);
	assert_int_equal(scratch_stat(s, ID, "x.lock", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	/* renames keep kinds apart; a directory may replace a directory */
	assert_int_equal(scratch_rename(s, ID, "x.lock", "file"), -ENOTDIR);
	assert_int_equal(scratch_rename(s, ID, "file", "x.lock"), -EISDIR);
	assert_int_equal(scratch_put(s, ID, "x.lock", "data", 4, 0644, 1, 1), -EISDIR);
	assert_int_equal(scratch_mkdir(s, ID, "y.lock", 0755, 1, 2), 0);
	assert_int_equal(scratch_rename(s, ID, "y.lock", "x.lock"), 0);
	assert_int_equal(scratch_kind(s, ID, "x.lock"), SCRATCH_DIR);
	assert_int_equal(scratch_kind(s, ID, "y.lock"), SCRATCH_NONE);
	assert_int_equal(scratch_count_in(s, ID), 2);
	assert_int_equal(scratch_count_in(s, ID2), 0);
	/* directories share the limit with files */
	char name[32];
	for (int i = 2; i < SCRATCH_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		assert_int_equal(scratch_mkdir(s, ID2, name, 0755, 1, 1), 0);
	}
	assert_int_equal(scratch_mkdir(s, ID2, "one-more", 0755, 1, 1), -ENOSPC);
	assert_int_equal(scratch_create(s, ID2, "one-more", 0644, 1, 1), -ENOSPC);
	assert_int_equal(scratch_remove(s, ID, "x.lock"), 0);
	assert_int_equal(scratch_count_in(s, ID), 1);
	assert_int_equal(scratch_mkdir(s, ID2, "one-more", 0755, 1, 1), 0);
	scratch_free(s);
}

static void limit_bytes(void **state)
{
	(void)state;
	struct scratch *s = scratch_new();
	assert_int_equal(SCRATCH_MAX_BYTES, 1048576);
	assert_int_equal(scratch_create(s, ID, "big", 0644, 1, 1), 0);
	char *mb = cas_xmalloc(SCRATCH_MAX_BYTES + 1);
	memset(mb, 'a', SCRATCH_MAX_BYTES + 1);
	/* exactly 1 MiB fits */
	assert_int_equal(scratch_write(s, ID, "big", mb, SCRATCH_MAX_BYTES, 0), SCRATCH_MAX_BYTES);
	/* one byte more does not, wherever it is written, and changes nothing */
	assert_int_equal(scratch_write(s, ID, "big", "b", 1, SCRATCH_MAX_BYTES), -EFBIG);
	assert_int_equal(scratch_write(s, ID, "big", "bb", 2, SCRATCH_MAX_BYTES - 1), -EFBIG);
	assert_int_equal(scratch_write(s, ID, "big", "b", 1, (off_t)SCRATCH_MAX_BYTES * 4), -EFBIG);
	struct stat st;
	assert_int_equal(scratch_stat(s, ID, "big", &st), 0);
	assert_int_equal(st.st_size, SCRATCH_MAX_BYTES);
	char last;
	assert_int_equal(scratch_read(s, ID, "big", &last, 1, SCRATCH_MAX_BYTES - 1), 1);
	assert_int_equal(last, 'a');
	/* a single oversize write to an empty file */
	assert_int_equal(scratch_create(s, ID, "big2", 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "big2", mb, SCRATCH_MAX_BYTES + 1, 0), -EFBIG);
	assert_int_equal(scratch_stat(s, ID, "big2", &st), 0);
	assert_int_equal(st.st_size, 0);
	/* put has the same limit */
	assert_int_equal(scratch_put(s, ID, "big3", mb, SCRATCH_MAX_BYTES + 1, 0644, 1, 1), -EFBIG);
	assert_false(scratch_exists(s, ID, "big3"));
	assert_int_equal(scratch_put(s, ID, "big3", mb, SCRATCH_MAX_BYTES, 0644, 1, 1), 0);
	free(mb);
	scratch_free(s);
}

/* The pure rules: certificate-like names, and no private key in a scratch
 * file, whether it arrives whole, in pieces or through put. */
static void names_and_keys(void **state)
{
	(void)state;
	assert_null(scratch_name_refusal("sed1234"));
	assert_null(scratch_name_refusal(".config.pem.swp"));
	assert_null(scratch_name_refusal("name.pem~"));
	assert_null(scratch_name_refusal(".pem")); /* a dotfile, not a suffix */
	assert_null(scratch_name_refusal("pem"));
	assert_non_null(scratch_name_refusal("le.pem"));
	assert_non_null(scratch_name_refusal("le.key"));
	assert_non_null(scratch_name_refusal("le.crt"));
	assert_non_null(strstr(scratch_name_refusal("x.crt"), "never uploaded"));

	static const char key[] = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n";
	static const char cert[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	assert_true(scratch_holds_key(key, sizeof(key) - 1));
	assert_false(scratch_holds_key(cert, sizeof(cert) - 1));
	assert_false(scratch_holds_key(key, 20)); /* the marker is not complete yet */
	assert_false(scratch_holds_key(NULL, 0));

	struct scratch *s = scratch_new();
	struct stat st;
	/* whole */
	assert_int_equal(scratch_create(s, ID, "k", 0400, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "k", key, sizeof(key) - 1, 0), -EPERM);
	assert_int_equal(scratch_stat(s, ID, "k", &st), 0);
	assert_int_equal(st.st_size, 0);
	/* and every later write to that file */
	assert_int_equal(scratch_write(s, ID, "k", "x", 1, 0), -EPERM);
	/* in pieces of 3 bytes: refused when the marker completes, everything before wiped */
	assert_int_equal(scratch_create(s, ID, "k3", 0600, 1, 1), 0);
	size_t off = 0, refused_at = 0;
	for (; off < sizeof(key) - 1; off += 3) {
		size_t n = sizeof(key) - 1 - off < 3 ? sizeof(key) - 1 - off : 3;
		ssize_t rc = scratch_write(s, ID, "k3", key + off, n, (off_t)off);
		if (rc == -EPERM) {
			refused_at = off;
			break;
		}
		assert_int_equal(rc, (ssize_t)n);
	}
	assert_true(refused_at > 0 && refused_at < 31);
	assert_int_equal(scratch_stat(s, ID, "k3", &st), 0);
	assert_int_equal(st.st_size, 0);
	/* written back to front: the marker completes at its start (bytes 20..38:
	 * the BEGIN line's tail and the body, no END line) */
	assert_int_equal(scratch_create(s, ID, "kb", 0600, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "kb", key + 20, 19, 20), 19);
	assert_int_equal(scratch_write(s, ID, "kb", key, 20, 0), -EPERM);
	assert_int_equal(scratch_stat(s, ID, "kb", &st), 0);
	assert_int_equal(st.st_size, 0);
	/* put: nothing is created or replaced */
	assert_int_equal(scratch_put(s, ID, "p", key, sizeof(key) - 1, 0400, 1, 1), -EPERM);
	assert_false(scratch_exists(s, ID, "p"));
	assert_int_equal(scratch_put(s, ID, "c", cert, sizeof(cert) - 1, 0644, 1, 1), 0);
	assert_int_equal(scratch_put(s, ID, "c", key, sizeof(key) - 1, 0644, 1, 1), -EPERM);
	size_t len;
	char *c = contents(s, ID, "c", &len);
	assert_int_equal(len, sizeof(cert) - 1);
	free(c);
	/* a certificate is fine */
	assert_int_equal(scratch_create(s, ID, "crt", 0644, 1, 1), 0);
	assert_int_equal(scratch_write(s, ID, "crt", cert, sizeof(cert) - 1, 0), (ssize_t)(sizeof(cert) - 1));
	scratch_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(namelist),
		cmocka_unit_test(create_exists_names),
		cmocka_unit_test(read_write),
		cmocka_unit_test(truncate_),
		cmocka_unit_test(stat_chmod_chown),
		cmocka_unit_test(utimens),
		cmocka_unit_test(remove_and_missing),
		cmocka_unit_test(rename_),
		cmocka_unit_test(put_and_drop),
		cmocka_unit_test(limit_files),
		cmocka_unit_test(limit_bytes),
		cmocka_unit_test(directories),
		cmocka_unit_test(names_and_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
