/* events: .cas/events, the change feed: one JSON line per change the mount
 * observes (instances appearing, disappearing or changing, certificates
 * renewed, mutations and their outcomes, listings shown as a union,
 * offline/live switches). Lines live in a bounded ring (the last
 * EVENTS_KEEP lines, at most EVENTS_KEEP_BYTES bytes); the file's offsets
 * are absolute, so its size only grows while the mount lives and a line
 * keeps its offset forever: bytes of dropped lines read as one padded
 * {"kind":"dropped"} line. No event ever costs a call: instance changes are
 * the difference between two listings some reader (or -o watch) fetched.
 * The certificate store is one more listing of the same diff (its own
 * baseline; paths under /certificates), and its uploads and deletions made
 * through the mount are mutation lines.
 *
 * Lock rule: `mu` (a leaf) guards the ring and the pending mutations;
 * `diff_mu` serialises listing diffs and is taken before `mu`, never
 * across a call. */
#ifndef CASFS_EVENTS_H
#define CASFS_EVENTS_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache.h"
#include "casfs.h"

#define EVENTS_KEEP 10000
#define EVENTS_KEEP_BYTES (8u << 20)

struct events;
struct notifier;

/* n: told about every new line (the kernel forgets the file's size), may be NULL */
struct events *events_new(struct notifier *n);
void events_free(struct events *ev);
/* Appends one line: kind, path, and the members of `more` (taken; NULL: none). */
void events_add(struct events *ev, const char *kind, const char *path, cJSON *more);
/* Total bytes ever appended (the file's size) and the time of the last line (0: none). */
uint64_t events_size(struct events *ev, int64_t *last_ms);
/* Bytes [off, off+size) of the feed. */
ssize_t events_read(struct events *ev, char *buf, size_t size, off_t off);

/* The cache's change hook of the mount (ctx: struct casfs): the kernel's
 * invalidations (notify.c), then the feed's diff of instance listings. */
void events_on_cache_change(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value,
			    uint64_t gen);
/* The feed's view of a new listing of generation gen (cache.h): its
 * difference from the last one it saw (the first one is the baseline and
 * gives no line). A listing older than the baseline (the hook of an earlier
 * fetch finishing late) is ignored, so the baseline never goes back. */
void events_listing(struct events *ev, uint64_t gen, struct cas_instances *now);
/* Counters the feed reports as events (listings shown as a union): checked
 * after every listing the feed sees and whenever the feed is read. */
void events_poll(struct casfs *fs);
/* A mutation about to be sent (journal.c): returns the feed's token for it
 * (0: no feed). Every mutation gets its line at the outcome, also one the
 * journal could not record (journal_seq <= 0: the state database locked or
 * failing); the line carries "journal_seq" only when the journal has it. */
uint64_t events_mutation_begin(struct events *ev, int64_t journal_seq, const char *path, const char *action,
			       const char *fields);
/* The journal's record of the pending mutation `token` (0: none). */
int64_t events_mutation_journal_seq(struct events *ev, uint64_t token);
/* Its outcome: appends the mutation's line (fields: the answer's, in place
 * of those of events_mutation_begin; NULL keeps those). */
void events_mutation_end(struct events *ev, uint64_t token, const char *outcome, int err, const char *code,
			 const char *request_id, const char *fields);

#endif
