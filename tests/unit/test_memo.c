/* test_memo: fs/memo.h. The render memo answers only for the same inode
 * and the same source object (never another inode sharing its slot), holds
 * its own references, and is emptied by memo_clear_renders; the written
 * memo keeps the committed bytes per inode until cleared or replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "casfs.h"
#include "memo.h"

static struct cas_doc *doc(const char *t)
{
	return cas_doc_new(t, strlen(t));
}

static void render_memo(void **state)
{
	(void)state;
	struct memo *m = memo_new();
	struct cas_doc *src = doc("{\"v\":1}"), *src2 = doc("{\"v\":2}");
	struct snap *s1 = snap_new("rendered 1\n", 11);
	assert_null(memo_get(m, 42, src));
	memo_put(m, 42, src, s1);
	struct snap *got = memo_get(m, 42, src);
	assert_ptr_equal(got, s1);
	cas_obj_unref(got);
	/* another source (the detail was refetched) or another inode: no answer */
	assert_null(memo_get(m, 42, src2));
	assert_null(memo_get(m, 43, src));
	/* the memo holds its own references */
	cas_obj_unref(s1);
	got = memo_get(m, 42, src);
	assert_non_null(got);
	assert_int_equal(got->len, 11);
	assert_memory_equal(got->data, "rendered 1\n", 11);
	cas_obj_unref(got);
	/* a new render for the new source replaces the old one */
	struct snap *s2 = snap_new("rendered 2\n", 11);
	memo_put(m, 42, src2, s2);
	assert_null(memo_get(m, 42, src));
	got = memo_get(m, 42, src2);
	assert_ptr_equal(got, s2);
	cas_obj_unref(got);
	/* putting the same pair again is harmless */
	memo_put(m, 42, src2, s2);
	got = memo_get(m, 42, src2);
	assert_ptr_equal(got, s2);
	cas_obj_unref(got);
	cas_obj_unref(s2);
	cas_obj_unref(src);
	cas_obj_unref(src2);
	memo_free(m);
	memo_free(NULL);
}

static void render_memo_slots(void **state)
{
	(void)state;
	struct memo *m = memo_new();
	struct cas_doc *src = doc("{}");
	struct snap *a = snap_new("a", 1), *b = snap_new("b", 1);
	/* inodes that share a slot never see each other's render */
	uint64_t ino = 7, other = 7 + 4096, far = 7 + 4096ULL * 1000003;
	memo_put(m, ino, src, a);
	assert_null(memo_get(m, other, src));
	assert_null(memo_get(m, far, src));
	memo_put(m, other, src, b);
	assert_null(memo_get(m, ino, src));
	struct snap *got = memo_get(m, other, src);
	assert_ptr_equal(got, b);
	cas_obj_unref(got);
	/* many inodes at once */
	struct snap *many[100];
	for (int i = 0; i < 100; i++) {
		char t[16];
		int n = snprintf(t, sizeof(t), "r%d", i);
		many[i] = snap_new(t, (size_t)n);
		memo_put(m, 100000 + (uint64_t)i, src, many[i]);
	}
	for (int i = 0; i < 100; i++) {
		got = memo_get(m, 100000 + (uint64_t)i, src);
		assert_ptr_equal(got, many[i]);
		cas_obj_unref(got);
		cas_obj_unref(many[i]);
	}
	/* clear_renders drops them all (and their references) */
	memo_clear_renders(m);
	assert_null(memo_get(m, other, src));
	for (int i = 0; i < 100; i++)
		assert_null(memo_get(m, 100000 + (uint64_t)i, src));
	cas_obj_unref(a);
	cas_obj_unref(b);
	cas_obj_unref(src);
	memo_free(m);
}

static void written_memo(void **state)
{
	(void)state;
	struct memo *m = memo_new();
	assert_null(memo_written(m, 5));
	memo_set_written(m, 5, "{\"Domain\": \"a.com\"}\n", 20);
	struct snap *s = memo_written(m, 5);
	assert_non_null(s);
	assert_int_equal(s->len, 20);
	assert_memory_equal(s->data, "{\"Domain\": \"a.com\"}\n", 20);
	assert_true(s->hash == cas_hash64(s->data, s->len));
	/* replacing it does not disturb a reader holding the old snapshot */
	memo_set_written(m, 5, "b.com\n", 6);
	assert_memory_equal(s->data, "{\"Domain\": \"a.com\"}\n", 20);
	cas_obj_unref(s);
	s = memo_written(m, 5);
	assert_int_equal(s->len, 6);
	assert_memory_equal(s->data, "b.com\n", 6);
	cas_obj_unref(s);
	/* bytes, not strings: NULs and empty writes are kept as they are */
	memo_set_written(m, 6, "a\0b", 3);
	s = memo_written(m, 6);
	assert_int_equal(s->len, 3);
	assert_memory_equal(s->data, "a\0b", 3);
	cas_obj_unref(s);
	memo_set_written(m, 7, "", 0);
	s = memo_written(m, 7);
	assert_non_null(s);
	assert_int_equal(s->len, 0);
	cas_obj_unref(s);
	/* inodes in one bucket are independent */
	memo_set_written(m, 5 + 256, "other", 5);
	memo_set_written(m, 5 + 512, "third", 5);
	memo_clear_written(m, 5 + 256);
	assert_null(memo_written(m, 5 + 256));
	s = memo_written(m, 5);
	assert_int_equal(s->len, 6);
	cas_obj_unref(s);
	s = memo_written(m, 5 + 512);
	assert_memory_equal(s->data, "third", 5);
	cas_obj_unref(s);
	memo_clear_written(m, 5);
	assert_null(memo_written(m, 5));
	memo_clear_written(m, 5);       /* twice */
	memo_clear_written(m, 999999);  /* never set */
	/* render and written memories do not mix */
	struct cas_doc *src = doc("{}");
	struct snap *r = snap_new("render", 6);
	memo_put(m, 6, src, r);
	s = memo_written(m, 6);
	assert_memory_equal(s->data, "a\0b", 3);
	cas_obj_unref(s);
	memo_clear_renders(m);
	s = memo_written(m, 6);
	assert_non_null(s);
	cas_obj_unref(s);
	cas_obj_unref(r);
	cas_obj_unref(src);
	/* .cas/refresh forgets every written memo at once */
	memo_set_written(m, 8, "x", 1);
	memo_set_written(m, 8 + 256, "y", 1);
	memo_clear_all_written(m);
	assert_null(memo_written(m, 6));
	assert_null(memo_written(m, 8));
	assert_null(memo_written(m, 8 + 256));
	memo_set_written(m, 8, "z", 1); /* and works again afterwards */
	s = memo_written(m, 8);
	assert_memory_equal(s->data, "z", 1);
	cas_obj_unref(s);
	memo_free(m); /* with entries left: freed, no leaks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_memo),
		cmocka_unit_test(render_memo_slots),
		cmocka_unit_test(written_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
