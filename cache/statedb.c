/* statedb: the per-account SQLite state database (see statedb.h). */
#include "statedb.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "clock.h"
#include "log.h"
#include "model.h"

#define SCHEMA_VERSION 2 /* 2: stamps.seen_ms (pruning) */
#define APPLICATION_ID 0x43415346 /* "CASF" */
/* Every statement runs under db->mu, which the journal record of a write and
 * the call counter need too: a lock held by another process (a sqlite3 shell
 * in a transaction) is waited for briefly, never for seconds. The mounts of an
 * account hold it for a few ms per transaction (WAL: readers never block). */
#define BUSY_TIMEOUT_MS 500
/* Opening (the schema check, WAL, the id) waits much longer: a lock held by
 * another process is no sign of a bad file, and a file moved aside loses the
 * month's counts, the journal and the snapshot. Still locked after this, the
 * mount goes on in memory and the file is left alone. */
#define OPEN_BUSY_TIMEOUT_MS 10000
#define JOURNAL_KEEP 1000
#define REPORT_EVERY_MS 10000
/* a path no mount has shown for this long loses its stamp (statedb_close) */
#define STAMP_KEEP_MS (90LL * 86400 * 1000)

const char *const statedb_class_names[STATEDB_NCLASS] = { "read", "write" };

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS stamps(ino INTEGER PRIMARY KEY, hash INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	" seen_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS calls(month TEXT NOT NULL, class TEXT NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY(month, class));"
	"CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
	" path TEXT NOT NULL, action TEXT NOT NULL, fields TEXT, outcome TEXT NOT NULL, request_id TEXT,"
	" errno INTEGER, code TEXT, message TEXT, uid INTEGER, pid INTEGER, process TEXT, mount TEXT);"
	"CREATE TABLE IF NOT EXISTS snapshot(kind INTEGER NOT NULL, key TEXT NOT NULL, hash INTEGER NOT NULL,"
	" stored_ms INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY(kind, key));";

/* This boot's id, to tell a process of this boot from an earlier one's. */
static void boot_id(char out[40])
{
	out[0] = 0;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (f && fgets(out, 40, f))
		out[strcspn(out, "\n")] = 0;
	if (f)
		fclose(f);
}

struct statedb {
	pthread_mutex_t mu; /* guards conn and every statement below */
	sqlite3 *conn;
	char *path;
	unsigned long errors;
	int64_t reported_ms;      /* when the last error was logged (monotonic) */
	unsigned long suppressed; /* errors not logged since */
	char mount_id[64];        /* "<boot id>:<pid>" of this process, in journal records */
	uint64_t mem_calls[STATEDB_NCLASS]; /* this mount's calls, the fallback when the database fails */
	void (*hook)(void *ctx, const char *what);
	void *hook_ctx;
};

char *statedb_default_dir(void)
{
	/* systemd's StateDirectory= (a colon-separated list: the first one) */
	const char *sd = getenv("STATE_DIRECTORY");
	if (sd && *sd == '/')
		return cas_xstrndup(sd, strcspn(sd, ":"));
	const char *x = getenv("XDG_STATE_HOME");
	if (x && *x == '/')
		return cas_xasprintf("%s/casfs", x);
	const char *home = getenv("HOME");
	if (home && *home)
		return cas_xasprintf("%s/.local/state/casfs", home);
	return NULL;
}

int statedb_dir_refusal(const char *dir, char *msg, size_t n)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0; /* missing, or unusable: statedb_open says why and goes on in memory */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return snprintf(msg, n,
				"the directory is writable by %s without the sticky bit (mode %04o): another user could "
				"replace the state database; use a directory only you can write to (it is created 0700 "
				"if missing)",
				(st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777)),
		       -1;
	return 0;
}

/* mkdir -p with mode 0700 for what it creates (whatever the umask); an
 * existing directory is never changed, and refused when statedb_dir_refusal
 * says so. */
static int make_dir(const char *dir)
{
	char *p = cas_xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			free(p);
			return -errno;
		}
		*s = '/';
	}
	int rc = 0;
	if (mkdir(p, 0700) == 0) {
		if (chmod(p, 0700) != 0) /* created here: the umask may have taken bits off */
			rc = -errno;
	} else if (errno != EEXIST) {
		rc = -errno;
	} else {
		char why[300];
		struct stat st;
		if (stat(p, &st) != 0) {
			rc = -errno;
		} else if (!S_ISDIR(st.st_mode)) {
			rc = -ENOTDIR;
		} else if (statedb_dir_refusal(p, why, sizeof(why))) {
			cas_warn("state directory %s: %s", p, why);
			rc = -EPERM;
		}
	}
	free(p);
	return rc;
}

/* Records a database error (lock held by the caller) and fills msg for
 * report(): at most one line per REPORT_EVERY_MS, so a failing disk cannot
 * flood the log and .cas/errors (every error is counted). */
static void db_error(struct statedb *db, const char *what, char *msg, size_t n)
{
	db->errors++;
	int64_t now = cas_mono_ms();
	if (db->reported_ms && now - db->reported_ms < REPORT_EVERY_MS) {
		db->suppressed++;
		msg[0] = 0;
		return;
	}
	char more[64] = "";
	if (db->suppressed)
		snprintf(more, sizeof(more), " (and %lu more errors)", db->suppressed);
	snprintf(msg, n, "state database %s: %s: %s%s", db->path, what, db->conn ? sqlite3_errmsg(db->conn) : "closed",
		 more);
	db->reported_ms = now;
	db->suppressed = 0;
}

static void report(struct statedb *db, const char *msg)
{
	if (!msg[0])
		return;
	cas_warn("%s", msg);
	if (db->hook)
		db->hook(db->hook_ctx, msg);
}

/* True unless the process that wrote a journal record is certainly gone
 * (another boot, or no such process now). */
static int mount_alive(const struct statedb *db, const unsigned char *mount)
{
	const char *m = (const char *)mount, *colon = m ? strrchr(m, ':') : NULL;
	const char *mine = strrchr(db->mount_id, ':');
	if (!colon || !mine)
		return 1;
	if ((size_t)(colon - m) != (size_t)(mine - db->mount_id) || memcmp(m, db->mount_id, (size_t)(colon - m)) != 0)
		return 0; /* written during another boot */
	pid_t pid = (pid_t)atoi(colon + 1);
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static int exec(sqlite3 *c, const char *sql)
{
	return sqlite3_exec(c, sql, NULL, NULL, NULL);
}

static int pragma_int(sqlite3 *c, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Schema 1 -> 2: stamps get seen_ms; the rows already there count as seen now. */
static int migrate_v1(sqlite3 *c)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "ALTER TABLE stamps ADD COLUMN seen_ms INTEGER NOT NULL DEFAULT 0;"
		 " UPDATE stamps SET seen_ms = %lld;", (long long)cas_wall_ms());
	return exec(c, sql);
}

/* An error that says another connection holds a lock: never a bad file. */
static int locked(sqlite3 *c, int rc)
{
	int x = (rc & 0xff) ? rc : sqlite3_errcode(c);
	return (x & 0xff) == SQLITE_BUSY || (x & 0xff) == SQLITE_LOCKED;
}

static int check_file(struct statedb *db, const char **why);

/* 1 (with why) when the database's -wal or -shm file exists as a symbolic
 * link or as another user's file: SQLite would open it as ours. */
static int foreign_file(const char *path, const char **why)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	for (size_t i = 0; i < 2; i++) {
		char *p = cas_xasprintf("%s%s", path, sfx[i]);
		struct stat st;
		int bad = lstat(p, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_uid != geteuid());
		free(p);
		if (bad) {
			*why = "its -wal or -shm file is a link or another user's (refused: another user may have planted it)";
			return 1;
		}
	}
	return 0;
}

/* Opens and checks one file: 0 usable, 1 corrupt or foreign (move aside),
 * -1 cannot open at all, or locked by another process for longer than
 * OPEN_BUSY_TIMEOUT_MS (the file is left as it is). */
static int try_open(struct statedb *db, const char **why)
{
	int rc = check_file(db, why);
	if (rc == 1 && db->conn && locked(db->conn, 0)) {
		*why = "locked by another process for too long (not a bad file: left as it is)";
		rc = -1;
	}
	if (rc == 0 && db->conn)
		sqlite3_busy_timeout(db->conn, BUSY_TIMEOUT_MS); /* the per-statement wait from now on */
	return rc;
}

static int check_file(struct statedb *db, const char **why)
{
	if (strcmp(db->path, ":memory:") == 0) {
		if (sqlite3_open(db->path, &db->conn) != SQLITE_OK || exec(db->conn, schema) != SQLITE_OK) {
			*why = "cannot create an in-memory database";
			return -1;
		}
		return 0;
	}
	if (foreign_file(db->path, why))
		return -1;
	int fd = open(db->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		*why = errno == ELOOP ? "it is a symbolic link (refused: another user may have planted it)" : strerror(errno);
		return -1;
	}
	/* in a directory others may write to (a sticky /tmp), the name may have
	 * been taken first: use only a regular file of our own, 0600 */
	struct stat fst;
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_uid != geteuid() || fchmod(fd, 0600) != 0) {
		*why = "it is not a regular file owned by this user (refused: another user may have planted it)";
		close(fd);
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(db->path, &db->conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		*why = db->conn ? sqlite3_errmsg(db->conn) : "out of memory";
		return -1;
	}
	sqlite3_busy_timeout(db->conn, OPEN_BUSY_TIMEOUT_MS);
	int app = 0, ver = 0, ok = 0;
	if (pragma_int(db->conn, "PRAGMA application_id", &app) != SQLITE_OK ||
	    pragma_int(db->conn, "PRAGMA user_version", &ver) != SQLITE_OK) {
		*why = "not a database";
		return 1;
	}
	int tables = 0;
	if (app == 0 && pragma_int(db->conn, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK) {
		*why = "not a database";
		return 1;
	}
	/* a new file has no id and no tables; anything else without our id is another program's */
	if ((app != 0 && app != APPLICATION_ID) || (app == 0 && (ver != 0 || tables != 0))) {
		*why = "not a casfs state database";
		return 1;
	}
	if (ver > SCHEMA_VERSION) {
		*why = "written by a newer casfs (incompatible schema)";
		return 1;
	}
	if (exec(db->conn, "PRAGMA journal_mode=WAL") != SQLITE_OK) {
		*why = "cannot use WAL";
		return 1;
	}
	exec(db->conn, "PRAGMA synchronous=NORMAL");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->conn, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (!ok && locked(db->conn, 0)) {
		*why = "locked";
		return 1;
	}
	if (!ok) {
		*why = "integrity check failed";
		return 1;
	}
	char sql[160];
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d;", APPLICATION_ID, SCHEMA_VERSION);
	if (ver == 1 && migrate_v1(db->conn) != SQLITE_OK) {
		*why = sqlite3_errmsg(db->conn);
		return 1;
	}
	if (exec(db->conn, schema) != SQLITE_OK || exec(db->conn, sql) != SQLITE_OK) {
		*why = sqlite3_errmsg(db->conn);
		return 1;
	}
	return 0;
}

static void move_aside(struct statedb *db, const char *why)
{
	sqlite3_close(db->conn);
	db->conn = NULL;
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	char *aside = cas_xasprintf("%s.bad-%s", db->path, stamp);
	for (int n = 2; access(aside, F_OK) == 0; n++) { /* never overwrite an earlier one */
		free(aside);
		aside = cas_xasprintf("%s.bad-%s-%d", db->path, stamp, n);
	}
	int rc = rename(db->path, aside);
	cas_warn("state database %s: %s; %s, starting a new one", db->path, why,
		 rc == 0 ? "moved aside" : "cannot move it aside");
	if (rc == 0)
		cas_warn("state database: the old file is %s", aside);
	const char *sfx[] = { "-wal", "-shm" };
	for (size_t i = 0; i < 2; i++) {
		char *a = cas_xasprintf("%s%s", db->path, sfx[i]), *b = cas_xasprintf("%s%s", aside, sfx[i]);
		if (rename(a, b) != 0)
			unlink(a);
		free(a);
		free(b);
	}
	free(aside);
}

static void set_mount_id(struct statedb *db)
{
	char b[40];
	boot_id(b);
	snprintf(db->mount_id, sizeof(db->mount_id), "%s:%d", b, (int)getpid());
}

struct statedb *statedb_open(const char *dir, const char *account)
{
	int rc = make_dir(dir);
	if (rc) {
		cas_warn("state directory %s: %s; running without persisted state", dir, strerror(-rc));
		return NULL;
	}
	struct statedb *db = cas_xcalloc(1, sizeof(*db));
	pthread_mutex_init(&db->mu, NULL);
	db->path = cas_xasprintf("%s/account-%s.db", dir, account);
	set_mount_id(db);
	const char *why = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = try_open(db, &why);
		if (rc == 0)
			break;
		if (rc < 0 || attempt == 1)
			break;
		move_aside(db, why);
	}
	if (rc) {
		cas_warn("state database %s: %s; running without persisted state", db->path, why ? why : "?");
		sqlite3_close(db->conn); /* closed here: statedb_close would prune a file that is not ours to use */
		db->conn = NULL;
		statedb_close(db);
		return NULL;
	}
	cas_debug("state database %s", db->path);
	return db;
}

/* fork(2) and SQLite (https://sqlite.org/howtocorrupt.html, 2.6): a child
 * holds none of the POSIX locks its parent's connection took, while SQLite
 * in the child believes it does; other processes then checkpoint and delete
 * the WAL under it, or write over its pages. So no connection to a file
 * crosses the fork: the parent closes it, the daemon opens its own. */
void statedb_suspend(struct statedb *db)
{
	if (!statedb_persistent(db))
		return;
	pthread_mutex_lock(&db->mu);
	if (db->conn && sqlite3_close(db->conn) != SQLITE_OK)
		cas_warn("state database %s: closing before the fork: %s", db->path, sqlite3_errmsg(db->conn));
	else
		db->conn = NULL;
	pthread_mutex_unlock(&db->mu);
}

void statedb_resume(struct statedb *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->mu);
	set_mount_id(db); /* this process's pid: journal records of its mutations in flight are "pending" */
	const char *why = NULL;
	if (!db->conn && try_open(db, &why) != 0) {
		cas_warn("state database %s: cannot reopen it in the daemon (%s); state is kept for this mount only",
			 db->path, why ? why : "?");
		sqlite3_close(db->conn);
		db->conn = NULL;
		free(db->path);
		db->path = cas_xstrdup(":memory:");
		if (try_open(db, &why) != 0) {
			sqlite3_close(db->conn);
			db->conn = NULL;
		}
	}
	pthread_mutex_unlock(&db->mu);
}

struct statedb *statedb_open_memory(void)
{
	struct statedb *db = cas_xcalloc(1, sizeof(*db));
	pthread_mutex_init(&db->mu, NULL);
	db->path = cas_xstrdup(":memory:");
	set_mount_id(db);
	const char *why = NULL;
	if (try_open(db, &why)) {
		cas_warn("state: %s", why);
		statedb_close(db);
		return NULL;
	}
	return db;
}

/* Pruning at close (after this mount has refreshed seen_ms of every path it
 * showed): the stamps of paths no mount has shown for STAMP_KEEP_MS, which
 * is what deleted instances and paths leave behind. */
static void prune_stamps(struct statedb *db)
{
	if (!db->conn || !statedb_persistent(db))
		return;
	char sql[120];
	snprintf(sql, sizeof(sql), "DELETE FROM stamps WHERE seen_ms < %lld", (long long)(cas_wall_ms() - STAMP_KEEP_MS));
	if (exec(db->conn, sql) != SQLITE_OK)
		cas_warn("state database %s: pruning stamps: %s", db->path, sqlite3_errmsg(db->conn));
	else if (sqlite3_changes(db->conn) > 0)
		cas_info("state database: pruned %d stamps of paths not shown for %lld days", sqlite3_changes(db->conn),
			 STAMP_KEEP_MS / 86400000);
}

void statedb_close(struct statedb *db)
{
	if (!db)
		return;
	prune_stamps(db);
	sqlite3_close(db->conn);
	pthread_mutex_destroy(&db->mu);
	free(db->path);
	free(db);
}

int statedb_persistent(const struct statedb *db)
{
	return db && strcmp(db->path, ":memory:") != 0;
}

const char *statedb_path(const struct statedb *db)
{
	return db ? db->path : NULL;
}

unsigned long statedb_errors(struct statedb *db)
{
	if (!db)
		return 0;
	pthread_mutex_lock(&db->mu);
	unsigned long n = db->errors;
	pthread_mutex_unlock(&db->mu);
	return n;
}

void statedb_set_error_hook(struct statedb *db, void (*fn)(void *ctx, const char *what), void *ctx)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->mu);
	db->hook = fn;
	db->hook_ctx = ctx;
	pthread_mutex_unlock(&db->mu);
}

/* One prepared statement run to completion with bound int64/text arguments:
 * fmt has one letter per argument: 'i' int64_t, 't' const char * (NULL = NULL).
 * Lock held. Returns SQLITE_OK/SQLITE_DONE-like 0 or an sqlite error code. */
static int run(struct statedb *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

void statedb_stamps_load(struct statedb *db, statedb_stamp_fn fn, void *ctx)
{
	if (!db)
		return;
	char msg[600] = "";
	pthread_mutex_lock(&db->mu);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn, "SELECT ino, hash, mtime_ns FROM stamps", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
		   sqlite3_column_int64(st, 2));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(db, "loading stamps", msg, sizeof(msg));
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
}

void statedb_stamps_put(struct statedb *db, const struct statedb_stamp *v, size_t n)
{
	if (!db || !n)
		return;
	char msg[600] = "";
	int64_t now = cas_wall_ms();
	pthread_mutex_lock(&db->mu);
	sqlite3_stmt *st = NULL;
	int ok = exec(db->conn, "BEGIN") == SQLITE_OK &&
		 sqlite3_prepare_v2(db->conn, "INSERT OR REPLACE INTO stamps(ino, hash, mtime_ns, seen_ms) VALUES(?, ?, ?, ?)", -1, &st,
				    NULL) == SQLITE_OK;
	for (size_t i = 0; ok && i < n; i++) {
		sqlite3_bind_int64(st, 1, (int64_t)v[i].ino);
		sqlite3_bind_int64(st, 2, (int64_t)v[i].hash);
		sqlite3_bind_int64(st, 3, v[i].mtime_ns);
		sqlite3_bind_int64(st, 4, now);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	ok = ok && exec(db->conn, "COMMIT") == SQLITE_OK;
	if (!ok) {
		db_error(db, "storing stamps", msg, sizeof(msg));
		exec(db->conn, "ROLLBACK");
	}
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
}

static int64_t count_query(struct statedb *db, const char *sql, const char *month, const char *cls)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) == SQLITE_OK) {
		if (month)
			sqlite3_bind_text(st, 1, month, -1, SQLITE_TRANSIENT);
		if (cls)
			sqlite3_bind_text(st, 2, cls, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

size_t statedb_stamps_count(struct statedb *db)
{
	if (!db)
		return 0;
	pthread_mutex_lock(&db->mu);
	int64_t n = count_query(db, "SELECT count(*) FROM stamps", NULL, NULL);
	pthread_mutex_unlock(&db->mu);
	return n > 0 ? (size_t)n : 0;
}

/* The month's counts per class (lock held); -1 on error. */
static int read_calls(struct statedb *db, const char *month, uint64_t out[STATEDB_NCLASS])
{
	for (int k = 0; k < STATEDB_NCLASS; k++) {
		int64_t n = count_query(db, "SELECT coalesce(sum(n), 0) FROM calls WHERE month = ?1 AND class = ?2",
					month, statedb_class_names[k]);
		if (n < 0)
			return -1;
		out[k] = (uint64_t)n;
	}
	return 0;
}

int statedb_call_take(struct statedb *db, const char *month, enum statedb_class cls, uint64_t budget,
		      uint64_t after[STATEDB_NCLASS])
{
	if (!db) {
		memset(after, 0, sizeof(uint64_t) * STATEDB_NCLASS);
		return 0;
	}
	char msg[600] = "";
	int refused = 0;
	pthread_mutex_lock(&db->mu);
	/* IMMEDIATE: the read and the increment are one step for every mount of the account */
	int ok = exec(db->conn, "BEGIN IMMEDIATE") == SQLITE_OK;
	uint64_t cur[STATEDB_NCLASS];
	ok = ok && read_calls(db, month, cur) == 0;
	if (ok && budget && cur[STATEDB_READ] + cur[STATEDB_WRITE] >= budget) {
		refused = 1;
		memcpy(after, cur, sizeof(cur));
	} else if (ok) {
		ok = run(db, "INSERT INTO calls(month, class, n) VALUES(?, ?, 1) "
			 "ON CONFLICT(month, class) DO UPDATE SET n = n + 1", "tt", month, statedb_class_names[cls]) == 0;
		cur[cls]++;
		memcpy(after, cur, sizeof(cur));
	}
	ok = ok && exec(db->conn, "COMMIT") == SQLITE_OK;
	if (!ok) {
		db_error(db, "counting a call", msg, sizeof(msg));
		exec(db->conn, "ROLLBACK");
		/* the call still goes out (and is counted in memory): the state layer
		 * never fails a read; -1 tells the caller it is not counted here yet */
		refused = -1;
		memcpy(after, db->mem_calls, sizeof(db->mem_calls));
		after[cls]++;
	}
	if (refused <= 0)
		db->mem_calls[cls]++;
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
	return refused;
}

int statedb_calls_add(struct statedb *db, const char *month, const uint64_t n[STATEDB_NCLASS])
{
	if (!db)
		return 0;
	char msg[600] = "";
	pthread_mutex_lock(&db->mu);
	int ok = exec(db->conn, "BEGIN IMMEDIATE") == SQLITE_OK;
	for (int k = 0; ok && k < STATEDB_NCLASS; k++)
		ok = !n[k] || run(db, "INSERT INTO calls(month, class, n) VALUES(?, ?, ?) "
				  "ON CONFLICT(month, class) DO UPDATE SET n = n + excluded.n", "tti", month,
				  statedb_class_names[k], (int64_t)n[k]) == 0;
	ok = ok && exec(db->conn, "COMMIT") == SQLITE_OK;
	if (!ok) {
		db_error(db, "counting calls", msg, sizeof(msg));
		exec(db->conn, "ROLLBACK");
	}
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
	return ok ? 0 : -1;
}

void statedb_calls_get(struct statedb *db, const char *month, uint64_t out[STATEDB_NCLASS])
{
	memset(out, 0, sizeof(uint64_t) * STATEDB_NCLASS);
	if (!db)
		return;
	char msg[600] = "";
	pthread_mutex_lock(&db->mu);
	if (read_calls(db, month, out))
		db_error(db, "reading call counts", msg, sizeof(msg));
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
}

int64_t statedb_journal_add(struct statedb *db, const struct statedb_journal_rec *r)
{
	if (!db)
		return 0;
	char msg[600] = "";
	int64_t seq = 0;
	pthread_mutex_lock(&db->mu);
	if (run(db, "INSERT INTO journal(time_ms, path, action, fields, outcome, request_id, errno, code, message,"
		" uid, pid, process, mount) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "itttttittiitt", r->time_ms,
		r->path, r->action, r->fields, r->outcome, r->request_id, (int64_t)r->err, r->code, r->message, r->uid,
		r->pid, r->process, db->mount_id) == 0) {
		seq = sqlite3_last_insert_rowid(db->conn);
		char sql[120];
		snprintf(sql, sizeof(sql), "DELETE FROM journal WHERE seq <= %lld", (long long)(seq - JOURNAL_KEEP));
		if (seq > JOURNAL_KEEP && exec(db->conn, sql) != SQLITE_OK)
			db_error(db, "trimming the journal", msg, sizeof(msg));
	} else {
		db_error(db, "journal", msg, sizeof(msg));
	}
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
	return seq;
}

void statedb_journal_finish(struct statedb *db, int64_t seq, const struct statedb_journal_rec *r)
{
	if (!db || seq <= 0)
		return;
	char msg[600] = "";
	pthread_mutex_lock(&db->mu);
	if (run(db,
		"UPDATE journal SET outcome = ?, request_id = ?, errno = ?, code = ?, message = ?,"
		" fields = COALESCE(?, fields) WHERE seq = ?",
		"ttittti", r->outcome, r->request_id, (int64_t)r->err, r->code, r->message, r->fields, seq))
		db_error(db, "journal outcome", msg, sizeof(msg));
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
}

static void add_text(cJSON *o, const char *k, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	if (v && *v)
		cJSON_AddStringToObject(o, k, (const char *)v);
}

void statedb_journal_render(struct statedb *db, size_t limit, struct cas_buf *out)
{
	if (!db)
		return;
	char msg[600] = "";
	pthread_mutex_lock(&db->mu);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn,
				    "SELECT seq, time_ms, path, action, fields, outcome, request_id, errno, code, message,"
				    " uid, pid, process, mount "
				    "FROM (SELECT * FROM journal ORDER BY seq DESC LIMIT ?) ORDER BY seq",
				    -1, &st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_int64(st, 1, (int64_t)limit);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
		int64_t ms = sqlite3_column_int64(st, 1);
		time_t t = (time_t)(ms / 1000);
		struct tm tm;
		char when[40], iso[48];
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(iso, sizeof(iso), "%s.%03dZ", when, (int)(ms % 1000));
		cJSON_AddStringToObject(o, "time", iso);
		add_text(o, "path", st, 2);
		add_text(o, "action", st, 3);
		const unsigned char *f = sqlite3_column_text(st, 4);
		cJSON *fj = f ? cJSON_Parse((const char *)f) : NULL;
		if (fj)
			cJSON_AddItemToObject(o, "fields", fj);
		const unsigned char *outcome = sqlite3_column_text(st, 5);
		if (outcome && strcmp((const char *)outcome, "pending") == 0 && !mount_alive(db, sqlite3_column_text(st, 13)))
			cJSON_AddStringToObject(o, "outcome", "interrupted");
		else
			add_text(o, "outcome", st, 5);
		add_text(o, "request_id", st, 6);
		int err = sqlite3_column_int(st, 7);
		if (err)
			cJSON_AddStringToObject(o, "errno", strerrorname_np(err) ? strerrorname_np(err) : "?");
		add_text(o, "code", st, 8);
		add_text(o, "message", st, 9);
		if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
			cJSON *by = cJSON_AddObjectToObject(o, "by");
			cJSON_AddNumberToObject(by, "uid", sqlite3_column_int(st, 10));
			cJSON_AddNumberToObject(by, "pid", sqlite3_column_int(st, 11));
			add_text(by, "process", st, 12);
		}
		char *line = cJSON_PrintUnformatted(o);
		cas_buf_adds(out, line);
		cas_buf_addc(out, '\n');
		free(line);
		cJSON_Delete(o);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(db, "reading the journal", msg, sizeof(msg));
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
}

void statedb_snapshot_put(struct statedb *db, int kind, const char *key, const char *text, size_t len)
{
	if (!db)
		return;
	char msg[600] = "";
	int64_t hash = (int64_t)cas_hash64(text, len);
	pthread_mutex_lock(&db->mu);
	sqlite3_stmt *st;
	/* an unchanged body is not rewritten */
	int rc = sqlite3_prepare_v2(db->conn,
				    "INSERT INTO snapshot(kind, key, hash, stored_ms, body) VALUES(?, ?, ?, ?, ?) "
				    "ON CONFLICT(kind, key) DO UPDATE SET hash = excluded.hash, stored_ms = excluded.stored_ms,"
				    " body = excluded.body WHERE hash != excluded.hash",
				    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, kind);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, hash);
		sqlite3_bind_int64(st, 4, cas_wall_ms());
		sqlite3_bind_blob(st, 5, text, (int)len, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(db, "storing the offline snapshot", msg, sizeof(msg));
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
}

char *statedb_snapshot_get(struct statedb *db, int kind, const char *key, size_t *len, int64_t *stored_ms)
{
	if (!db)
		return NULL;
	char msg[600] = "", *out = NULL;
	pthread_mutex_lock(&db->mu);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn, "SELECT body, stored_ms FROM snapshot WHERE kind = ? AND key = ?", -1, &st,
				    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, kind);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*len = (size_t)sqlite3_column_bytes(st, 0);
			out = cas_xmalloc(*len + 1);
			if (*len)
				memcpy(out, sqlite3_column_blob(st, 0), *len);
			out[*len] = 0;
			if (stored_ms)
				*stored_ms = sqlite3_column_int64(st, 1);
			rc = SQLITE_DONE;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(db, "reading the offline snapshot", msg, sizeof(msg));
	pthread_mutex_unlock(&db->mu);
	report(db, msg);
	return out;
}

size_t statedb_snapshot_count(struct statedb *db)
{
	if (!db)
		return 0;
	pthread_mutex_lock(&db->mu);
	int64_t n = count_query(db, "SELECT count(*) FROM snapshot", NULL, NULL);
	pthread_mutex_unlock(&db->mu);
	return n > 0 ? (size_t)n : 0;
}

void statedb_snapshot_keep(struct statedb *db, int kind, const char *const *keys, size_t n)
{
	if (!db)
		return;
	char msg[600] = "";
	pthread_mutex_lock(&db->mu);
	sqlite3_stmt *st = NULL;
	int ok = exec(db->conn, "BEGIN") == SQLITE_OK &&
		 exec(db->conn, "CREATE TEMP TABLE IF NOT EXISTS keep_keys(k TEXT PRIMARY KEY); DELETE FROM keep_keys") ==
			 SQLITE_OK &&
		 sqlite3_prepare_v2(db->conn, "INSERT OR IGNORE INTO keep_keys(k) VALUES(?)", -1, &st, NULL) == SQLITE_OK;
	for (size_t i = 0; ok && i < n; i++) {
		sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	ok = ok && run(db, "DELETE FROM snapshot WHERE kind = ? AND key NOT IN (SELECT k FROM keep_keys)", "i",
		       (int64_t)kind) == 0;
	int pruned = ok ? sqlite3_changes(db->conn) : 0;
	ok = ok && exec(db->conn, "COMMIT") == SQLITE_OK;
	if (!ok) {
		db_error(db, "pruning the offline snapshot", msg, sizeof(msg));
		exec(db->conn, "ROLLBACK");
	}
	pthread_mutex_unlock(&db->mu);
	if (ok && pruned > 0)
		cas_debug("state database: pruned %d snapshot rows of kind %d no longer in the account", pruned, kind);
	report(db, msg);
}
