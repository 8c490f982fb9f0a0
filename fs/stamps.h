/* stamps: what the mount knows about each file's content over time. For a
 * path it keeps the hash of the content last seen and when that content
 * first appeared, so st_mtime moves only when the content changes; and the
 * hash last handed to the kernel's page cache, so an open may keep the page
 * cache only while the content is unchanged. Keyed by a 64-bit path hash,
 * which is also the file's stable inode number. Survives cache drops, and,
 * attached to a state database, remounts: the hash and first-seen time of
 * every path are loaded at start, and new ones are written by a writer
 * thread in one transaction every 200 ms (and at free), so a stat never
 * waits for the disk; a crash loses at most the last 200 ms of stamps.
 *
 * No mtime is ever later than the clock: a change within the second of the
 * previous one gets the current time to the nanosecond (whole seconds
 * otherwise), and a stored time ahead of the clock (the clock was set back)
 * is brought down to now. */
#ifndef CAS_STAMPS_H
#define CAS_STAMPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model.h" /* cas_hash64 */

struct cas_stamps;

struct cas_stamps *cas_stamps_new(void);
void cas_stamps_free(struct cas_stamps *s);
struct statedb;
/* Loads the stored stamps and writes every new one to db (a file database;
 * NULL or an in-memory one: nothing is kept). Call before the stamps are
 * shared between threads. */
void cas_stamps_attach(struct cas_stamps *s, struct statedb *db);
/* Starts the thread that writes new stamps to the attached database. Called
 * after the process daemonized: a thread started before fork(2) is absent in
 * the child, and a mutex it held there stays locked forever. */
void cas_stamps_start(struct cas_stamps *s);
/* The mtime of `ino` whose content now hashes to `hash`. */
struct timespec cas_stamps_mtime(struct cas_stamps *s, uint64_t ino, uint64_t hash);
/* Records that the kernel now caches content `hash` for ino; returns 1 when
 * that is what it cached before (so the page cache may be kept). */
int cas_stamps_keep_cache(struct cas_stamps *s, uint64_t ino, uint64_t hash);
/* What the kernel may hold of a file's attributes (its size above all),
 * for an open to choose how it is served. The path front's kernel keeps
 * the attributes a getattr answered for the ttl, while the document they
 * came from may change sooner (its cache entry expired, a refresh): an open
 * then hands out content of another size than the kernel's, which clamps
 * page-cache reads to its own (a cut document) or pads a short one with
 * NULs. Records that a getattr answered content `hash`, which the kernel
 * may hold until until_ms (CLOCK_MONOTONIC); an answer of other content
 * while the previous one may still be held, and was answered less than a second
 * before (both may have been on their way), leaves either possible until
 * the previous one expires. */
void cas_stamps_attrs_given(struct cas_stamps *s, uint64_t ino, uint64_t hash, int64_t until_ms);
enum stamps_open {
	STAMPS_KEEP,   /* page-cached, the kernel's pages kept: they are this content */
	STAMPS_DROP,   /* page-cached, pages dropped: the kernel's size is this content's */
	STAMPS_DIRECT, /* the kernel may hold another content's size: direct_io (reads are not
			* clamped to it), and the pages it holds are left as they were recorded */
};
/* How an open of content `hash` is served; KEEP and DROP record that the
 * kernel caches `hash` from now on (cas_stamps_keep_cache). */
enum stamps_open cas_stamps_open(struct cas_stamps *s, uint64_t ino, uint64_t hash);
size_t cas_stamps_count(struct cas_stamps *s);

/* Stable inode number of a path (never 0 or 1). */
uint64_t cas_path_ino(const char *path);

#endif
