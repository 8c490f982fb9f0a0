/* test_stamps: fs/stamps.h. The mtime of a file stays put while its
 * content hash does, moves strictly forward when the hash changes, even
 * several times within one second, and is never later than the clock
 * (whole seconds, or the current time to the nanosecond for a change within
 * the second of the previous one); a stored time ahead of the clock comes
 * down to now; stamps round-trip through a state database; keep_cache is true only
 * when the same hash is handed to the kernel again; inode numbers from
 * paths are stable and never 0 or 1; many entries survive rehashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "model.h"
#include "clock.h"
#include "stamps.h"

static int64_t ns_of(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void mtime_stable_for_same_hash(void **state)
{
	(void)state;
	struct cas_stamps *s = cas_stamps_new();
	struct timespec before;
	clock_gettime(CLOCK_REALTIME, &before);
	uint64_t ino = cas_path_ino("/instances/cas-1/detail");
	struct timespec t1 = cas_stamps_mtime(s, ino, 0x1111);
	/* a plausible wall-clock time in whole seconds, not in the future */
	assert_int_equal(t1.tv_nsec, 0);
	assert_true(t1.tv_sec >= before.tv_sec - 1);
	struct timespec after;
	clock_gettime(CLOCK_REALTIME, &after);
	assert_true(t1.tv_sec <= after.tv_sec);
	for (int i = 0; i < 100; i++) {
		struct timespec t = cas_stamps_mtime(s, ino, 0x1111);
		assert_int_equal(t.tv_sec, t1.tv_sec);
		assert_int_equal(t.tv_nsec, t1.tv_nsec);
	}
	assert_int_equal(cas_stamps_count(s), 1);
	cas_stamps_free(s);
}

static void mtime_moves_forward_on_change(void **state)
{
	(void)state;
	struct cas_stamps *s = cas_stamps_new();
	uint64_t ino = cas_path_ino("/summary");
	int64_t last = ns_of(cas_stamps_mtime(s, ino, 1));
	/* many changes in quick succession (well within one second): each one
	 * still moves the mtime strictly forward, and never past the clock */
	static const uint64_t hashes[] = { 2, 3, 2, 1, 0xdeadbeef, 7, 2 };
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		struct timespec t = cas_stamps_mtime(s, ino, hashes[i]);
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (ns_of(t) > ns_of(now))
			fail_msg("change %zu: mtime %lld is later than the clock %lld", i, (long long)ns_of(t),
				 (long long)ns_of(now));
		if (ns_of(t) <= last)
			fail_msg("change %zu: mtime %lld did not move past %lld", i, (long long)ns_of(t), (long long)last);
		last = ns_of(t);
		/* and then stays */
		assert_int_equal(ns_of(cas_stamps_mtime(s, ino, hashes[i])), last);
	}
	cas_stamps_free(s);
}

static void files_are_independent(void **state)
{
	(void)state;
	struct cas_stamps *s = cas_stamps_new();
	uint64_t a = cas_path_ino("/instances/a/detail"), b = cas_path_ino("/instances/b/detail");
	assert_true(a != b);
	int64_t ta = ns_of(cas_stamps_mtime(s, a, 5));
	int64_t tb = ns_of(cas_stamps_mtime(s, b, 5));
	/* changing b leaves a alone */
	int64_t tb2 = ns_of(cas_stamps_mtime(s, b, 6));
	assert_true(tb2 > tb);
	assert_int_equal(ns_of(cas_stamps_mtime(s, a, 5)), ta);
	assert_int_equal(cas_stamps_count(s), 2);
	cas_stamps_free(s);
}

static void keep_cache(void **state)
{
	(void)state;
	struct cas_stamps *s = cas_stamps_new();
	uint64_t ino = cas_path_ino("/instances/cas-1/config");
	assert_false(cas_stamps_keep_cache(s, ino, 0xAAAA)); /* first open: nothing cached before */
	assert_true(cas_stamps_keep_cache(s, ino, 0xAAAA));  /* same content again */
	assert_true(cas_stamps_keep_cache(s, ino, 0xAAAA));
	assert_false(cas_stamps_keep_cache(s, ino, 0xBBBB)); /* changed */
	assert_true(cas_stamps_keep_cache(s, ino, 0xBBBB));
	assert_false(cas_stamps_keep_cache(s, ino, 0xAAAA)); /* changed back is a change too */
	/* independent of the mtime bookkeeping of the same ino */
	int64_t t = ns_of(cas_stamps_mtime(s, ino, 0xAAAA));
	assert_true(cas_stamps_keep_cache(s, ino, 0xAAAA));
	assert_int_equal(ns_of(cas_stamps_mtime(s, ino, 0xAAAA)), t);
	/* per file */
	uint64_t other = cas_path_ino("/instances/cas-2/config");
	assert_false(cas_stamps_keep_cache(s, other, 0xAAAA));
	assert_int_equal(cas_stamps_count(s), 2);
	cas_stamps_free(s);
}

/* An open of other content than the attributes the kernel may hold is
 * served direct_io and leaves the record of the kernel's pages alone. */
static void open_vs_attrs(void **state)
{
	(void)state;
	struct cas_stamps *s = cas_stamps_new();
	uint64_t ino = cas_path_ino("/instances/cas-1/detail");
	int64_t later = cas_mono_ms() + 60000;
	assert_int_equal(cas_stamps_open(s, ino, 0xAAAA), STAMPS_DROP); /* nothing answered yet */
	cas_stamps_attrs_given(s, ino, 0xAAAA, later);
	assert_int_equal(cas_stamps_open(s, ino, 0xAAAA), STAMPS_KEEP);
	assert_int_equal(cas_stamps_open(s, ino, 0xBBBB), STAMPS_DIRECT); /* the kernel's size is AAAA's */
	/* a direct handle may have filled the pages (a private mmap): not kept */
	assert_int_equal(cas_stamps_open(s, ino, 0xAAAA), STAMPS_DROP);
	assert_int_equal(cas_stamps_open(s, ino, 0xAAAA), STAMPS_KEEP);
	cas_stamps_attrs_given(s, ino, 0xBBBB, later); /* AAAA's answer may still be the kernel's */
	assert_int_equal(cas_stamps_open(s, ino, 0xBBBB), STAMPS_DIRECT);
	/* expired answers hold nothing */
	uint64_t other = cas_path_ino("/instances/cas-2/detail");
	cas_stamps_attrs_given(s, other, 0xAAAA, cas_mono_ms() - 1);
	assert_int_equal(cas_stamps_open(s, other, 0xBBBB), STAMPS_DROP);
	cas_stamps_attrs_given(s, other, 0xBBBB, 0); /* ttl=0 */
	assert_int_equal(cas_stamps_open(s, other, 0xCCCC), STAMPS_DROP);
	assert_int_equal(cas_stamps_open(s, other, 0xCCCC), STAMPS_KEEP);
	cas_stamps_free(s);
}

static void path_inodes(void **state)
{
	(void)state;
	static const char *const paths[] = { "/", "", "/instances", "/instances/", "/.cas/stats", "/a", "/b" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		uint64_t ino = cas_path_ino(paths[i]);
		assert_true(ino > 1);
		assert_true(ino == cas_path_ino(paths[i])); /* stable */
	}
	assert_true(cas_path_ino("/a") != cas_path_ino("/b"));
	assert_true(cas_path_ino("/instances") != cas_path_ino("/instances/"));
	/* many paths: never 0 or 1, and no collisions in a realistic tree */
	enum { N = 20000 };
	uint64_t *v = malloc(N * sizeof(uint64_t));
	for (int i = 0; i < N; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/instances/cas-cn-%06d/%s", i / 10, (const char *[]){ "detail", "config", "status",
			 "domain", "name", "tags", "csr", "refund", "not_after", "key_algorithm" }[i % 10]);
		v[i] = cas_path_ino(p);
		assert_true(v[i] > 1);
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N && j < i + 50; j++)
			assert_true(v[i] != v[j]);
	free(v);
}

/* Snapshots of a document (snap_of_doc) carry the document's hash and
 * rendered snapshots (snap_new) carry cas_hash64: the same bytes must give
 * the same hash on both paths, or keep_cache and the mtime would flip. */
static void hash_matches_doc_hash(void **state)
{
	(void)state;
	static const char *const texts[] = { "", "a", "{\n  \"a\": 1\n}\n", "\xe5\xbc\xa0\xff" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cas_doc *d = cas_doc_new(texts[i], strlen(texts[i]));
		assert_true(d->hash == cas_hash64(texts[i], strlen(texts[i])));
		cas_obj_unref(d);
	}
	assert_true(cas_hash64("a", 1) != cas_hash64("b", 1));
	assert_true(cas_hash64("ab", 2) != cas_hash64("ba", 2));
}

static void many_entries(void **state)
{
	(void)state;
	struct cas_stamps *s = cas_stamps_new();
	enum { N = 50000 };
	int64_t *t = malloc(N * sizeof(int64_t));
	for (int i = 0; i < N; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/instances/%d/detail", i);
		t[i] = ns_of(cas_stamps_mtime(s, cas_path_ino(p), (uint64_t)i * 7 + 1));
		assert_int_equal(cas_stamps_keep_cache(s, cas_path_ino(p), (uint64_t)i + 1), 0);
	}
	assert_int_equal(cas_stamps_count(s), N);
	/* after all the growth every entry still has its own state */
	for (int i = 0; i < N; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/instances/%d/detail", i);
		assert_int_equal(ns_of(cas_stamps_mtime(s, cas_path_ino(p), (uint64_t)i * 7 + 1)), t[i]);
		assert_int_equal(cas_stamps_keep_cache(s, cas_path_ino(p), (uint64_t)i + 1), 1);
	}
	assert_int_equal(cas_stamps_count(s), N);
	/* consecutive and clustered inode numbers too */
	for (uint64_t ino = 2; ino < 5000; ino++)
		cas_stamps_mtime(s, ino, ino);
	for (uint64_t ino = 2; ino < 5000; ino++)
		assert_int_equal(cas_stamps_keep_cache(s, ino, 99), 0);
	assert_int_equal(cas_stamps_count(s), N + 4998);
	free(t);
	cas_stamps_free(s);
	cas_stamps_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mtime_stable_for_same_hash),
		cmocka_unit_test(mtime_moves_forward_on_change),
		cmocka_unit_test(files_are_independent),
		cmocka_unit_test(keep_cache),
		cmocka_unit_test(open_vs_attrs),
		cmocka_unit_test(path_inodes),
		cmocka_unit_test(hash_matches_doc_hash),
		cmocka_unit_test(many_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
