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

int64_t journal_begin(struct casfs *fs, const char *path, const char *action, cJSON *fields)
{
	if (!fs->state) { /* no database (a mount without FUSE: tests, fuzzing): nothing to record */
		cJSON_Delete(fields);
		return 0;
	}
	char *f = fields ? cJSON_PrintUnformatted(fields) : NULL;
	cJSON_Delete(fields);
	struct statedb_journal_rec r = { .time_ms = cas_wall_ms(), .path = path, .action = action, .fields = f,
					 .outcome = "pending" };
	char comm[32];
	caller(&r, comm);
	int64_t seq = statedb_journal_add(fs->state, &r);
	events_mutation_begin(fs->events, seq, path, action, f); /* .cas/events: one line at the outcome */
	free(f);
	return seq;
}

void journal_end(struct casfs *fs, int64_t seq, int rc, const struct cas_error *e)
{
	struct statedb_journal_rec r = { .outcome = rc == 0 ? (fs->o.dry_run ? "dry_run" : "ok")
						 : e->ambiguous ? "ambiguous" : "error",
					 .request_id = e->request_id, .err = rc < 0 ? -rc : 0 };
	if (rc) {
		r.code = e->code;
		r.message = e->message;
	}
	statedb_journal_finish(fs->state, seq, &r);
	events_mutation_end(fs->events, seq, r.outcome, r.err, r.code, r.request_id);
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
