/* test_commitrule: the commit rule of fs/apifile.c, row by row. The test
 * includes apifile.c itself, with APIFILE_ROW_TAKEN counting the rows of
 * `rules` that are taken, and drives real handles (handle.h) over the fake
 * API (fsfix.h, every read a call): each test walks a handle through some
 * rows and checks the state, the errno and the UpdateInstance calls; the
 * last test checks that every row was taken, and the table's shape (no
 * (state, event) pair matches two rows). The static libraries give this
 * file's definitions precedence, so casfs_core's apifile.o is not linked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static int taken[64];
#define APIFILE_ROW_TAKEN(row) (taken[(row) - rules]++)
#include "apifile.c"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsfix.h"
#include "handle.h"
#include "log.h"

#define NROWS (sizeof(rules) / sizeof(rules[0]))

/* The service has two tags, env=prod and team=web, and a city. */
#define DETAIL                                                                                                       \
	"\"City\": \"Hangzhou\", \"Tags\": [{\"TagKey\": \"env\", \"TagValue\": \"prod\"}, "                     \
	"{\"TagKey\": \"team\", \"TagValue\": \"web\"}]"

static struct fsfix X;

static int setup(void **state)
{
	(void)state;
	fsfix_init(&X);
	X.f.detail_fields = DETAIL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fsfix_free(&X);
	return 0;
}

static struct handle *op(const char *path, int flags)
{
	struct node n;
	assert_int_equal(fsfix_resolve(&X, path, &n), 0);
	int rc = 0;
	struct handle *h = handle_open(&X.fs, &n, flags, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(h);
	return h;
}

static enum wstate st(struct handle *h)
{
	return A(h)->state;
}

static ssize_t wr(struct handle *h, const char *s, off_t off)
{
	return handle_write(&X.fs, h, s, strlen(s), off, getpid());
}

static int updates(void)
{
	return fake_calls(&X.f, CAS_UPDATE_INSTANCE);
}

/* Times the row for (s, ev) was taken so far. */
static int hits(enum wstate s, enum wevent ev)
{
	const struct wrow *r = rule_for(s, ev);
	assert_non_null(r);
	return taken[r - rules];
}

#define TAGS "/instances/cas-0001/tags"
#define CONFIG "/instances/cas-0001/config"

static void opens(void **state)
{
	(void)state;
	struct handle *h = op(TAGS, O_RDONLY);
	assert_int_equal(st(h), WS_READ);
	assert_int_equal(handle_truncate(&X.fs, h, 0), 0); /* READ, E_TRUNCATE: nothing */
	assert_int_equal(st(h), WS_READ);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0); /* READ, E_FLUSH */
	handle_release(&X.fs, h);                              /* READ, E_RELEASE */
	h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(st(h), WS_EMPTIED);
	assert_int_equal(apifile_pending_size(h), -1);
	handle_release(&X.fs, h); /* only for the row count; the release rows are below */
	h = op(TAGS, O_WRONLY | O_APPEND);
	assert_int_equal(st(h), WS_OPEN);
	assert_false(A(h)->inplace);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0); /* OPEN, E_FLUSH: nothing */
	handle_release(&X.fs, h);
	h = op("/cloud-access/new", O_WRONLY); /* nothing to edit: appends */
	assert_int_equal(st(h), WS_OPEN);
	assert_false(A(h)->inplace);
	handle_release(&X.fs, h);
	h = op(TAGS, O_RDWR);
	assert_int_equal(st(h), WS_OPEN);
	assert_true(A(h)->inplace);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 0);
}

/* A document commits inside the write that completes it, once. */
static void write_completes(void **state)
{
	(void)state;
	struct handle *h = op(CONFIG, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "{\"City\":", 0), 8);
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(apifile_pending_size(h), 8);
	assert_int_equal(wr(h, "\"X\"}", 8), 4);
	assert_int_equal(st(h), WS_COMMITTED);
	assert_int_equal(updates(), 1);
	assert_int_equal(wr(h, "\n", 12), 1); /* COMMITTED, E_WRITE_BLANK */
	assert_int_equal(handle_truncate(&X.fs, h, 0), 0); /* COMMITTED, E_TRUNCATE: nothing */
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0);
	assert_int_equal(st(h), WS_COMMITTED);
	assert_int_equal(updates(), 1);
	assert_int_equal(wr(h, "{}", 13), -EINVAL); /* COMMITTED, E_WRITE_AGAIN */
	assert_int_equal(st(h), WS_FAILED);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 1);
}

/* Text that can never be valid fails its write; the handle stays failed. */
static void write_invalid(void **state)
{
	(void)state;
	unsigned long errors = fsfix_errors(&X);
	struct handle *h = op(CONFIG, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "[1]", 0), -EINVAL);
	assert_int_equal(st(h), WS_FAILED);
	assert_int_equal(fsfix_errors(&X), errors + 1);
	assert_int_equal(wr(h, "{}", 3), -EINVAL); /* FAILED, E_WRITE_AGAIN */
	assert_int_equal(wr(h, "  ", 5), -EINVAL); /* FAILED, E_WRITE_BLANK */
	assert_int_equal(handle_truncate(&X.fs, h, 0), 0); /* FAILED, E_TRUNCATE */
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL);
	handle_release(&X.fs, h);
	h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "novalue\n", 0), -EINVAL);
	assert_int_equal(wr(h, "a=1\n", 8), -EINVAL); /* FAILED, E_WRITE_EXTEND */
	assert_int_equal(st(h), WS_FAILED);
	handle_release(&X.fs, h);
	h = op(CONFIG, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "{", APIFILE_MAX_BYTES), -EFBIG);
	assert_int_equal(st(h), WS_FAILED);
	handle_release(&X.fs, h);
	assert_int_equal(fsfix_errors(&X), errors + 3);
	assert_int_equal(updates(), 0);
}

/* tags: the first line commits, more lines extend the document, which the
 * flush commits again as a whole: at most twice through a close. */
static void tags_extend(void **state)
{
	(void)state;
	struct handle *h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "a=1\n", 0), 4);
	assert_int_equal(st(h), WS_COMMITTED);
	assert_int_equal(updates(), 1);
	assert_int_equal(wr(h, "b=", 4), 2); /* COMMITTED, E_WRITE_EXTEND, then EXTENDED, E_WRITE */
	assert_int_equal(st(h), WS_EXTENDED);
	assert_int_equal(apifile_pending_size(h), 6);
	assert_int_equal(wr(h, "2\n", 6), 2); /* EXTENDED, E_WRITE_COMPLETE: waits */
	assert_int_equal(handle_truncate(&X.fs, h, 8), 0); /* EXTENDED, E_TRUNCATE */
	assert_int_equal(st(h), WS_EXTENDED);
	assert_int_equal(updates(), 1);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0); /* EXTENDED, E_FLUSH */
	assert_int_equal(st(h), WS_COMMITTED);
	assert_int_equal(updates(), 2);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 2);
	/* a bad line after the commit fails its own write */
	h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "a=1\n", 0), 4);
	assert_int_equal(wr(h, "novalue\n", 4), -EINVAL); /* EXTENDED, E_WRITE_INVALID */
	assert_int_equal(st(h), WS_FAILED);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 3);
}

/* Rewriting the current set line by line commits nothing inside a write. */
static void tags_repeat(void **state)
{
	(void)state;
	struct handle *h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "env=prod\n", 0), 9);
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(wr(h, "team=web\n", 9), 9);
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(hits(WS_PENDING, E_WRITE_REPEATS), 2);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0); /* PENDING, E_FLUSH */
	assert_int_equal(st(h), WS_COMMITTED);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 0);
}

/* An in-place edit never commits inside a write: the truncate decides. */
static void in_place(void **state)
{
	(void)state;
	struct handle *h = op(TAGS, O_RDWR);
	assert_int_equal(wr(h, "a=1\n", 0), 4); /* a complete set in the buffer's first line */
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(updates(), 0);
	assert_int_equal(handle_truncate(&X.fs, h, 4), 0); /* PENDING, E_TRUNCATE */
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0);
	assert_int_equal(updates(), 1);
	handle_release(&X.fs, h);
	/* a truncate alone makes the buffer: any flush commits it */
	h = op(CONFIG, O_RDWR);
	assert_int_equal(handle_truncate(&X.fs, h, 0), 0); /* OPEN, E_TRUNCATE */
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL); /* an empty config */
	assert_int_equal(st(h), WS_FAILED);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 1);
}

/* The flush of a process that never wrote does not commit an incomplete
 * document; the writer's does. */
static void inherited(void **state)
{
	(void)state;
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	struct handle *h = op(CONFIG, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "{\"City\":", 0), 8);
	assert_int_equal(handle_flush(&X.fs, h, child), 0); /* PENDING, E_FLUSH_WAIT */
	assert_int_equal(st(h), WS_PENDING);
	assert_int_equal(hits(WS_PENDING, E_FLUSH_WAIT), 1);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL);
	assert_int_equal(st(h), WS_FAILED);
	handle_release(&X.fs, h);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(updates(), 0);
}

/* O_TRUNC and never written: flush says EINVAL when the empty document is
 * refused without a call, and release records it; otherwise release
 * commits the empty document. A write after the refusal clears it. */
static void emptied(void **state)
{
	(void)state;
	unsigned long errors = fsfix_errors(&X);
	struct handle *h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL); /* EMPTIED, E_FLUSH_REFUSED */
	assert_int_equal(st(h), WS_REFUSED);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL); /* REFUSED, E_FLUSH_REFUSED */
	assert_int_equal(fsfix_errors(&X), errors);
	handle_release(&X.fs, h); /* REFUSED, E_RELEASE: the record */
	assert_int_equal(fsfix_errors(&X), errors + 1);
	/* the shell's case: its flush comes before the command writes */
	h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL);
	assert_int_equal(wr(h, "a=1\n", 0), 4); /* REFUSED, E_WRITE_COMPLETE */
	assert_int_equal(st(h), WS_COMMITTED);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0);
	handle_release(&X.fs, h);
	assert_int_equal(updates(), 1);
	/* refused bytes after the refusal, then a truncate */
	h = op(CONFIG, O_WRONLY | O_TRUNC);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), -EINVAL);
	assert_int_equal(handle_truncate(&X.fs, h, 0), 0); /* REFUSED, E_TRUNCATE */
	assert_int_equal(st(h), WS_PENDING);
	handle_release(&X.fs, h);
	/* no tags shown: the empty set is no refusal, release commits it (no change, no call) */
	X.f.detail_fields = "\"City\": \"Hangzhou\"";
	h = op(TAGS, O_WRONLY | O_TRUNC);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), 0); /* EMPTIED, E_FLUSH */
	assert_int_equal(st(h), WS_EMPTIED);
	int before = hits(WS_EMPTIED, E_RELEASE);
	handle_release(&X.fs, h);
	assert_int_equal(hits(WS_EMPTIED, E_RELEASE), before + 1);
	assert_int_equal(updates(), 1);
}

/* A commit that fails: the error is the write's, then every flush's. */
static void commit_fails(void **state)
{
	(void)state;
	fake_set(&X.f, &X.f.mutate_rc, -EIO);
	int before = hits(WS_COMMITTED, E_ERROR);
	struct handle *h = op(TAGS, O_WRONLY | O_TRUNC);
	ssize_t rc = wr(h, "a=1\n", 0);
	assert_true(rc < 0);
	assert_int_equal(st(h), WS_FAILED);
	assert_int_equal(hits(WS_COMMITTED, E_ERROR), before + 1);
	assert_int_equal(handle_flush(&X.fs, h, getpid()), (int)rc);
	handle_release(&X.fs, h);
	fake_set(&X.f, &X.f.mutate_rc, 0);
}

/* Unmount (or a failed open) commits nothing, whatever the state. */
static void discard(void **state)
{
	(void)state;
	int before = hits(WS_NEW, E_DISCARD);
	struct handle *h = op(TAGS, O_WRONLY | O_TRUNC);
	apifile_release(&X.fs, h, 0); /* EMPTIED, E_DISCARD: the empty document is not sent */
	h = op(CONFIG, O_WRONLY | O_TRUNC);
	assert_int_equal(wr(h, "{\"City\":", 0), 8);
	apifile_release(&X.fs, h, 0); /* PENDING, E_DISCARD */
	assert_int_equal(updates(), 0);
	assert_int_equal(hits(WS_NEW, E_DISCARD), before + 2);
}

/* The table's shape, and every row taken by the tests above. */
static void every_row(void **state)
{
	(void)state;
	for (unsigned s = WS_NEW; s < WS_SAME; s++)
		for (unsigned ev = E_OPEN_READ; ev <= E_ERROR; ev++) {
			int n = 0;
			for (size_t i = 0; i < NROWS; i++)
				n += rules[i].ev == ev && (rules[i].from & (1u << s));
			if (n > 1)
				fail_msg("state %u, event %u: %d rows", s, ev, n);
		}
	int missed = 0;
	for (size_t i = 0; i < NROWS; i++)
		if (!taken[i]) {
			print_error("row %zu (event %d) never taken\n", i, (int)rules[i].ev);
			missed++;
		}
	assert_int_equal(missed, 0);
}

int main(void)
{
	cas_log_init("test_commitrule", 0, CAS_LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(opens, setup, teardown),
		cmocka_unit_test_setup_teardown(write_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(write_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(tags_extend, setup, teardown),
		cmocka_unit_test_setup_teardown(tags_repeat, setup, teardown),
		cmocka_unit_test_setup_teardown(in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(inherited, setup, teardown),
		cmocka_unit_test_setup_teardown(emptied, setup, teardown),
		cmocka_unit_test_setup_teardown(commit_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(discard, setup, teardown),
		cmocka_unit_test(every_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
