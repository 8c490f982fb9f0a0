/* journal: mutation records around each call (see journal.h). */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "deadline.h"
#include "events.h"
#include "kinds.h"
#include "statedb.h"

/* The process that asked for the mutation: the caller of the file-system
 * operation this thread serves (deadline.h), not known outside one. */
static void caller(struct statedb_journal_rec *r, char comm[32])
{
	struct cas_op op = cas_op_current();
	r->uid = r->pid = -1;
	comm[0] = 0;
	if (!op.start_ns || op.pid <= 0)
		return;
	r->uid = op.uid;
	r->pid = op.pid;
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)op.pid);
	FILE *f = fopen(p, "r");
	if (f && fgets(comm, 32, f)) {
		comm[strcspn(comm, "\n")] = 0;
		r->process = comm;
	}
	if (f)
		fclose(f);
}

/* The handle: the feed's token when the mount has a feed (it keeps the
 * journal's seq with the pending mutation, so a mutation the journal could
 * not record still gets its line), else the journal's seq. */
int64_t journal_begin(struct casfs *fs, const char *path, const char *action, cJSON *fields)
{
	char *f = fields ? cJSON_PrintUnformatted(fields) : NULL;
	cJSON_Delete(fields);
	int64_t seq = 0;
	if (fs->state) { /* no database (a mount without FUSE: tests, fuzzing): nothing to record */
		struct statedb_journal_rec r = { .time_ms = cas_wall_ms(), .path = path, .action = action,
						 .fields = f, .outcome = "pending" };
		char comm[32];
		caller(&r, comm);
		seq = statedb_journal_add(fs->state, &r); /* 0: not recorded (database locked, failing) */
	}
	/* .cas/events: one line at the outcome */
	uint64_t token = events_mutation_begin(fs->events, seq, path, action, f);
	free(f);
	return fs->events ? (int64_t)token : seq;
}

void journal_end(struct casfs *fs, int64_t h, int rc, const struct cas_error *e)
{
	journal_end_fields(fs, h, rc, e, NULL);
}

void journal_end_fields(struct casfs *fs, int64_t h, int rc, const struct cas_error *e, cJSON *fields)
{
	char *f = fields ? cJSON_PrintUnformatted(fields) : NULL;
	cJSON_Delete(fields);
	struct statedb_journal_rec r = { .outcome = rc == 0 ? (fs->o.dry_run ? "dry_run" : "ok")
						 : e->ambiguous ? "ambiguous" : "error",
					 .request_id = e->request_id, .err = rc < 0 ? -rc : 0, .fields = f };
	if (rc) {
		r.code = e->code;
		r.message = e->message;
	}
	int64_t seq = fs->events ? events_mutation_journal_seq(fs->events, (uint64_t)h) : h;
	statedb_journal_finish(fs->state, seq, &r);
	events_mutation_end(fs->events, (uint64_t)h, r.outcome, r.err, r.code, r.request_id, f);
	free(f);
}

int render_journal(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	(void)e;
	struct cas_buf b = CAS_BUF_INIT;
	statedb_journal_render(fs->state, JOURNAL_SHOW, &b);
	*out = snap_new(b.p ? b.p : "", b.len);
	cas_buf_free(&b);
	return 0;
}
