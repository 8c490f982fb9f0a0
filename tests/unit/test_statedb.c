/* test_statedb: cache/statedb.h, cache/accounting.h and the persisted side
 * of fs/stamps.h, on real files in a temporary directory. Stamps
 * round-trip across a reopen (an unchanged file keeps its mtime; a stored
 * time ahead of the clock comes down to now); the directory is created 0700
 * and the file 0600; a corrupt file, a file of another program and one
 * written by a newer casfs are moved aside and a new database started; the
 * call counter is shared by two connections and the budget refuses exactly past N with EDQUOT; the
 * journal keeps the last 1,000 records with their outcome, and a record
 * left pending by a process that is gone reads "interrupted"; the offline
 * snapshot stores unchanged bodies once; the billing month is UTC+8; the
 * free-tier warnings come once each at 80% and 100%. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>
#include <glob.h>

#include "accounting.h"
#include "buf.h"
#include "stamps.h"
#include "statedb.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/casfs-statedb.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static char *sub(const char *name)
{
	return cas_xasprintf("%s/%s", dir, name);
}

static void stamps_survive_reopen(void **state)
{
	(void)state;
	char *d = sub("a/b/state");
	struct statedb *db = statedb_open(d, "acct");
	assert_non_null(db);
	struct stat st;
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(statedb_path(db), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct cas_stamps *s = cas_stamps_new();
	cas_stamps_attach(s, db);
	cas_stamps_start(s);
	struct timespec t1 = cas_stamps_mtime(s, 42, 0xAA);
	struct timespec t2 = cas_stamps_mtime(s, 43, 0xBB);
	cas_stamps_free(s);
	statedb_close(db);
	sleep(1);

	db = statedb_open(d, "acct");
	assert_non_null(db);
	assert_int_equal(statedb_stamps_count(db), 2);
	s = cas_stamps_new();
	cas_stamps_attach(s, db);
	cas_stamps_start(s);
	struct timespec u1 = cas_stamps_mtime(s, 42, 0xAA); /* unchanged: the first-seen time */
	struct timespec u2 = cas_stamps_mtime(s, 43, 0xCC); /* changed: a new time */
	assert_int_equal(u1.tv_sec, t1.tv_sec);
	assert_int_equal(u1.tv_nsec, t1.tv_nsec);
	assert_true(u2.tv_sec > t2.tv_sec);
	/* a stored time ahead of the clock (the clock was set back) comes down to now */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct statedb_stamp ahead = { 44, 0xDD, ((int64_t)now.tv_sec + 3600) * 1000000000LL };
	statedb_stamps_put(db, &ahead, 1);
	cas_stamps_free(s);
	s = cas_stamps_new();
	cas_stamps_attach(s, db);
	cas_stamps_start(s);
	struct timespec f = cas_stamps_mtime(s, 44, 0xDD);
	clock_gettime(CLOCK_REALTIME, &now);
	assert_true(f.tv_sec <= now.tv_sec);
	cas_stamps_free(s);
	assert_int_equal(statedb_errors(db), 0);
	statedb_close(db);
	free(d);
}

static int count_aside(const char *d)
{
	char *pat = cas_xasprintf("%s/*.bad-*", d);
	glob_t g;
	int n = glob(pat, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
	if (n)
		globfree(&g);
	free(pat);
	return n;
}

/* Runs SQL on a database file with another SQLite client (python3's). */
static void sqlite_file(const char *path, const char *sql)
{
	char *cmd = cas_xasprintf("python3 -c \"import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
				  "c.executescript(sys.argv[2]); c.commit()\" '%s' \"%s\"", path, sql);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Opening dir d finds its database file unusable: it is moved aside (the n-th so far). */
static void expect_moved_aside(const char *d, int n)
{
	struct statedb *db = statedb_open(d, "x");
	assert_non_null(db);
	assert_int_equal(count_aside(d), n);
	assert_int_equal(statedb_stamps_count(db), 0); /* a new, empty database */
	assert_int_equal(statedb_errors(db), 0);
	statedb_close(db);
}

static void corrupt_and_foreign_moved_aside(void **state)
{
	(void)state;
	char *d = sub("c");
	struct statedb *db = statedb_open(d, "x");
	assert_non_null(db);
	char *path = cas_xstrdup(statedb_path(db));
	statedb_stamps_put(db, &(struct statedb_stamp){ 1, 2, 3 }, 1);
	statedb_close(db);
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc(i * 7 & 0xff, f);
	fclose(f);
	expect_moved_aside(d, 1);
	/* another program's database */
	unlink(path);
	sqlite_file(path, "create table t(x);");
	expect_moved_aside(d, 2);
	/* ours, but from a newer casfs (incompatible schema) */
	unlink(path);
	sqlite_file(path, "pragma application_id=1128354630; pragma user_version=99; create table t(x);");
	expect_moved_aside(d, 3);
	free(path);
	free(d);
}

static void calls_shared_and_budget(void **state)
{
	(void)state;
	char *d = sub("calls");
	struct statedb *a = statedb_open(d, "acct"), *b = statedb_open(d, "acct");
	assert_non_null(a);
	assert_non_null(b);
	uint64_t after[STATEDB_NCLASS];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(statedb_call_take(a, "2026-12", STATEDB_READ, 5, after), 0);
		assert_int_equal(statedb_call_take(b, "2026-12", i ? STATEDB_READ : STATEDB_WRITE, 5, after), 0);
		if (i == 1)
			break;
	}
	/* 4 taken; one more fits, then every class is refused */
	assert_int_equal(after[STATEDB_READ] + after[STATEDB_WRITE], 4);
	assert_int_equal(statedb_call_take(a, "2026-12", STATEDB_READ, 5, after), 0);
	assert_int_equal(statedb_call_take(b, "2026-12", STATEDB_READ, 5, after), 1);
	assert_int_equal(statedb_call_take(a, "2026-12", STATEDB_WRITE, 5, after), 1);
	assert_int_equal(after[STATEDB_READ], 4);
	assert_int_equal(after[STATEDB_WRITE], 1);
	/* another month starts from zero */
	assert_int_equal(statedb_call_take(a, "2027-01", STATEDB_READ, 5, after), 0);
	assert_int_equal(after[STATEDB_READ], 1);
	uint64_t got[STATEDB_NCLASS];
	statedb_calls_get(b, "2026-12", got);
	assert_int_equal(got[STATEDB_READ], 4);
	assert_int_equal(got[STATEDB_WRITE], 1);
	statedb_close(a);
	statedb_close(b);
	free(d);
}

static void accounting_gate(void **state)
{
	(void)state;
	struct statedb *db = statedb_open_memory();
	struct cas_accounting *a = cas_accounting_new(db, 3);
	cas_accounting_start(a);
	struct cas_error e;
	for (int i = 0; i < 3; i++) {
		cas_error_clear(&e);
		assert_int_equal(cas_accounting_gate(a, i == 1 ? CAS_UPDATE_INSTANCE : CAS_LIST_INSTANCES, &e), 0);
	}
	cas_error_clear(&e);
	assert_int_equal(cas_accounting_gate(a, CAS_GET_INSTANCE_DETAIL, &e), -EDQUOT);
	assert_string_equal(e.code, "Local.CallBudget");
	struct cas_accounting_view v;
	cas_accounting_view(a, &v);
	assert_int_equal(v.calls[STATEDB_READ], 2);
	assert_int_equal(v.calls[STATEDB_WRITE], 1);
	assert_int_equal(v.refused, 1);
	assert_int_equal(v.budget, 3);
	cas_accounting_free(a);
	statedb_close(db);
}

/* Runs n read calls through the gate with stderr captured; returns the log text. */
static char *gate_log(struct cas_accounting *a, int n)
{
	char *path = sub("log.txt");
	fflush(stderr);
	int saved = dup(2);
	FILE *f = freopen(path, "w", stderr);
	assert_non_null(f);
	struct cas_error e;
	for (int i = 0; i < n; i++) {
		cas_error_clear(&e);
		assert_int_equal(cas_accounting_gate(a, CAS_GET_INSTANCE_DETAIL, &e), 0);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *in = fopen(path, "r");
	struct cas_buf b = CAS_BUF_INIT;
	char line[512];
	while (fgets(line, sizeof(line), in))
		cas_buf_adds(&b, line);
	fclose(in);
	free(path);
	return cas_buf_steal(&b);
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void free_tier_warnings(void **state)
{
	(void)state;
	struct statedb *db = statedb_open_memory();
	struct cas_accounting *a = cas_accounting_new(db, 0);
	cas_accounting_start(a);
	char *log = gate_log(a, 799);
	assert_int_equal(occurrences(log, "free tier"), 0);
	free(log);
	log = gate_log(a, 1);
	assert_int_equal(occurrences(log, "800 of 1000 free read calls"), 1);
	free(log);
	log = gate_log(a, 250);
	assert_int_equal(occurrences(log, "free tier"), 1);
	assert_int_equal(occurrences(log, "1000 of 1000 free read calls"), 1);
	assert_non_null(strstr(log, "further calls are billed"));
	free(log);
	cas_accounting_free(a);
	/* a new mount of a month already past 80% says so at start */
	char *path = sub("log.txt");
	fflush(stderr);
	int saved = dup(2);
	assert_non_null(freopen(path, "w", stderr));
	a = cas_accounting_new(db, 0);
	cas_accounting_start(a);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *in = fopen(path, "r");
	char line[512] = "";
	int lines = 0;
	while (fgets(line, sizeof(line), in))
		lines++;
	fclose(in);
	assert_int_equal(lines, 2); /* 80% and 100% of the reads */
	free(path);
	cas_accounting_free(a);
	statedb_close(db);
}

static void billing_month_is_utc8(void **state)
{
	(void)state;
	char m[8];
	cas_billing_month(1769875199, m); /* 2026-01-31T15:59:59Z = 23:59:59 in UTC+8 */
	assert_string_equal(m, "2026-01");
	cas_billing_month(1769875200, m); /* 2026-01-31T16:00:00Z = 2026-02-01T00:00 in UTC+8 */
	assert_string_equal(m, "2026-02");
}

static void journal_keeps_last_1000(void **state)
{
	(void)state;
	struct statedb *db = statedb_open_memory();
	int64_t last = 0;
	for (int i = 0; i < 1005; i++) {
		struct statedb_journal_rec r = { .time_ms = 1000 + i, .path = "/instances/x/name", .action = "UpdateInstance",
						 .fields = "{\"CertificateName\":{\"old\":\"a\",\"new\":\"b\"}}",
						 .outcome = "pending" };
		last = statedb_journal_add(db, &r);
		assert_true(last > 0);
	}
	struct statedb_journal_rec done = { .outcome = "ambiguous", .request_id = "RID-1", .err = EIO,
					    .code = "Local.Network", .message = "response lost" };
	statedb_journal_finish(db, last, &done);
	struct cas_buf b = CAS_BUF_INIT;
	statedb_journal_render(db, 1000, &b);
	size_t lines = 0;
	for (size_t i = 0; i < b.len; i++)
		lines += b.p[i] == '\n';
	assert_int_equal(lines, 1000);
	assert_non_null(strstr(b.p, "{\"seq\":6,")); /* the first five were trimmed */
	assert_null(strstr(b.p, "{\"seq\":5,"));
	const char *tail = strstr(b.p, "{\"seq\":1005,");
	assert_non_null(tail);
	assert_non_null(strstr(tail, "\"outcome\":\"ambiguous\""));
	assert_non_null(strstr(tail, "\"errno\":\"EIO\""));
	assert_non_null(strstr(tail, "\"request_id\":\"RID-1\""));
	cas_buf_free(&b);
	statedb_close(db);
}

static void pending_of_a_gone_mount_is_interrupted(void **state)
{
	(void)state;
	char *d = sub("j");
	struct statedb *db = statedb_open(d, "acct");
	assert_non_null(db);
	struct statedb_journal_rec r = { .time_ms = 1, .path = "/p", .action = "DeleteInstance", .outcome = "pending" };
	assert_true(statedb_journal_add(db, &r) > 0);
	assert_true(statedb_journal_add(db, &r) > 0);
	struct cas_buf b = CAS_BUF_INIT;
	statedb_journal_render(db, 10, &b);
	assert_int_equal(occurrences(b.p, "\"outcome\":\"pending\""), 2); /* this process is alive */
	cas_buf_free(&b);
	/* the first record as if written during another boot */
	sqlite_file(statedb_path(db), "update journal set mount='other-boot:1' where seq=1;");
	statedb_journal_render(db, 10, &b);
	assert_int_equal(occurrences(b.p, "\"outcome\":\"pending\""), 1);
	assert_int_equal(occurrences(b.p, "\"outcome\":\"interrupted\""), 1);
	cas_buf_free(&b);
	statedb_close(db);
	free(d);
}

static void snapshot_rows(void **state)
{
	(void)state;
	struct statedb *db = statedb_open_memory();
	statedb_snapshot_put(db, 1, "id-1", "{\"a\":1}", 7);
	int64_t t1 = 0, t2 = 0;
	size_t len = 0;
	char *got = statedb_snapshot_get(db, 1, "id-1", &len, &t1);
	assert_non_null(got);
	assert_int_equal(len, 7);
	assert_memory_equal(got, "{\"a\":1}", 7);
	free(got);
	assert_null(statedb_snapshot_get(db, 1, "id-2", &len, NULL));
	assert_null(statedb_snapshot_get(db, 2, "id-1", &len, NULL));
	statedb_snapshot_put(db, 1, "id-1", "{\"a\":2}", 7);
	got = statedb_snapshot_get(db, 1, "id-1", &len, &t2);
	assert_memory_equal(got, "{\"a\":2}", 7);
	free(got);
	assert_true(t2 >= t1);
	assert_int_equal(statedb_snapshot_count(db), 1);
	statedb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stamps_survive_reopen),
		cmocka_unit_test(corrupt_and_foreign_moved_aside),
		cmocka_unit_test(calls_shared_and_budget),
		cmocka_unit_test(accounting_gate),
		cmocka_unit_test(free_tier_warnings),
		cmocka_unit_test(billing_month_is_utc8),
		cmocka_unit_test(journal_keeps_last_1000),
		cmocka_unit_test(pending_of_a_gone_mount_is_interrupted),
		cmocka_unit_test(snapshot_rows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
